#!/usr/bin/env bash
# meshgate as the L7 gateway (cfg/lab-http.cfg) with real clients and
# servers: curl for routing and header features, tests/lab/http_checks.py
# for raw protocol checks (smuggling, pipelining, 1.0, 100-continue,
# WebSocket), wrk for load, slowhttptest for a slowloris, and the lab's
# endpoints (scripts/backend/httpbin.py on :8080, nginx on :80) for health
# checks, outlier ejection, circuit breakers, retries and 1 GiB bodies.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lab_require sha256sum wrk
lab_up

state=${MG_LAB_STATE:-/run/meshgate-lab}
cfg=$MG_TMP/lab-http.cfg
sed "s|/run/meshgate-lab/access.log|$MG_TMP/access.log|" \
	"$MG_ROOT/cfg/lab-http.cfg" >"$cfg"
rm -f "$state"/unhealthy-* "$state"/fail-*
mg_start "$cfg"
VIP=10.10.0.100
url=http://$VIP
wait_for 10 in_client curl -sf -o /dev/null --max-time 1 "$url/healthz"

# The endpoint ids (11, 12, 13) that answered N requests, as "11:n 12:n 13:n".
spread() {
	local path=$1 n=$2; shift 2
	for _ in $(seq "$n"); do
		in_client curl -s --max-time 3 "$@" -o /dev/null -w '%header{x-endpoint}\n' \
			"$url$path" || true
	done | sort | uniq -c | awk '{printf "%s:%s ", $2, $1}'
}
count_of() { echo "$1" | tr ' ' '\n' | awk -F: -v id="$2" '$1 == id {print $2}'; }
json_get() { /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

# --- routing ---------------------------------------------------------------
check_eq "direct response" "ok" "$(in_client curl -s --max-time 3 "$url/healthz")"
loc=$(in_client curl -s --max-time 3 -o /dev/null -w '%{http_code} %header{location}' \
	-H 'Host: www.lab.test' "$url/old/page?a=1")
check_eq "redirect with %{host} and %{path}" "301 http://www.lab.test/new/old/page" "$loc"
check_eq "query match -> direct response" '{"debug":true}' \
	"$(in_client curl -s --max-time 3 "$url/anything?x=2&debug=1")"
check_eq "method match: DELETE -> 405" 405 \
	"$(in_client curl -s -o /dev/null -w '%{http_code}' --max-time 3 -X DELETE "$url/echo")"

rr=$(spread /echo/rr 30)
check_eq "round robin over 3 endpoints, 30 requests" "11:10 12:10 13:10 " "$rr"

canary=$(spread /echo/c 400 -H 'Host: eu.canary.lab.test')
a=$(count_of "$canary" 11); b=$(count_of "$canary" 12)
check "wildcard host, split 75/25: $canary" test "${a:-0}" -ge 255 -a "${a:-0}" -le 345 \
	-a "$((${a:-0} + ${b:-0}))" -eq 400

one=$(spread /sticky 20 -H 'x-user: alice')
check_match "ring hash on x-user: one user, one endpoint ($one)" '^1[1-3]:20 $' "$one"
many=$(for u in $(seq 40); do in_client curl -s --max-time 3 -H "x-user: u$u" \
	-o /dev/null -w '%header{x-endpoint}\n' "$url/sticky"; done | sort -u | wc -l)
check_eq "ring hash: 40 users spread over all endpoints" 3 "$many"

v6=$(in_client curl -s -g --max-time 3 "http://[fd00:10::100]/echo/v6" | json_get 'd["endpoint"]')
check_match "IPv6 listener, IPv6 cluster (endpoint $v6)" '^1[1-3]$' "$v6"

check "static files through the least-request cluster (nginx)" \
	in_client curl -sf -o /dev/null --max-time 3 "$url/static/"

# --- raw protocol checks -----------------------------------------------------
check "protocol checks (tests/lab/http_checks.py)" \
	in_client /usr/bin/python3 "$MG_LAB_LIB_DIR/http_checks.py" $VIP 80

# --- 1 GiB both ways, intact ---------------------------------------------------
big=$((1 << 30))
want=$(in_backend curl -s --max-time 120 "http://10.20.0.11:8080/bytes/$big?seed=3" | sha256sum | cut -d' ' -f1)
got=$(in_client curl -s --max-time 300 "$url/bytes/$big?seed=3" | sha256sum | cut -d' ' -f1)
check_eq "1 GiB download intact (SHA-256)" "$want" "$got"
up=$(in_client bash -c "head -c $big /dev/zero | curl -s --max-time 300 -T - -X POST $url/upload")
check_eq "1 GiB chunked upload intact (SHA-256)" \
	"$(head -c $big /dev/zero | sha256sum | cut -d' ' -f1)" "$(echo "$up" | json_get 'd["sha256"]')"

# --- load: keep-alive and a connection per request, no errors ------------------
out=$(in_client wrk -t1 -c64 -d4s "$url/static/" 2>&1)
check_match "wrk keep-alive: no errors" 'Requests/sec' "$out"
check_fail "wrk keep-alive: no socket errors or non-2xx" grep -qE 'Socket errors|Non-2xx' <<<"$out"
out=$(in_client wrk -t1 -c16 -d3s -H 'Connection: close' "$url/static/" 2>&1)
check_fail "wrk connection per request: no socket errors or non-2xx" \
	grep -qE 'Socket errors|Non-2xx' <<<"$out"

# --- active health checks take an endpoint out and back ------------------------
touch "$state/unhealthy-12"
sleep 2
out=$(spread /echo/h 30)
check_eq "HTTP health check: .12 answering 503 on /health is taken out" "" "$(count_of "$out" 12)"
rm -f "$state/unhealthy-12"
sleep 2
out=$(spread /echo/h 30)
check_ge "HTTP health check: .12 back ($out)" 5 "$(count_of "$out" 12)"

# --- retries and outlier ejection ---------------------------------------------
touch "$state/fail-13"
codes=$(for i in $(seq 30); do in_client curl -s -o /dev/null -w '%{http_code}\n' \
	--max-time 3 "$url/fail/k$i"; done | sort | uniq -c | awk '{printf "%s:%s ", $2, $1}')
check_eq "retries: 503s of .13 retried on another endpoint" "200:30 " "$codes"
check_ge "outlier detection ejected .13" 1 \
	"$(mg_telemetry /meshgate/clusters /meshgate/clusters bin ejections)"
check_ge "retries counted" 1 "$(mg_telemetry /meshgate/clusters /meshgate/clusters bin retries)"
rm -f "$state/fail-13"

# --- circuit breakers and timeouts on the slow cluster --------------------------
codes=$(for i in $(seq 10); do in_client curl -s -o /dev/null -w '%{http_code}\n' \
	--max-time 10 "$url/slow/delay/700" & done; wait)
ok=$(grep -c '^200$' <<<"$codes" || true); busy=$(grep -c '^503$' <<<"$codes" || true)
check_eq "circuit breaker: 10 concurrent, 4 served, 6 answered 503" "4 6" "$ok $busy"
reason=$(in_client bash -c "for i in 1 2 3 4 5 6; do curl -s --max-time 10 $url/slow/delay/700 & done; wait" |
	grep -o 'circuit breaker: [a-z ]*' | sort -u | head -1)
check_match "the 503 says why" 'circuit breaker' "$reason"
check_eq "response timeout: 504" 504 \
	"$(in_client curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$url/slow/delay/1500")"

# --- slowloris does not starve others ---------------------------------------------
if command -v slowhttptest >/dev/null; then
	in_client slowhttptest -H -c 400 -r 200 -i 5 -l 15 -u "$url/echo" -o "$MG_TMP/slow" \
		>/dev/null 2>&1 &
	slow=$!
	sleep 4
	fine=$(for i in $(seq 20); do in_client curl -s -o /dev/null -w '%{http_code}\n' \
		--max-time 2 "$url/healthz"; done | grep -c '^200$' || true)
	check_eq "slowloris (400 slow connections): 20 other requests answered" 20 "$fine"
	kill "$slow" 2>/dev/null || true
	wait "$slow" 2>/dev/null || true
fi

# --- access log and telemetry ------------------------------------------------------
sleep 1
check_ge "access log: one JSON line per request" 500 "$(wc -l <"$MG_TMP/access.log")"
check "access log lines are JSON with the fields" /usr/bin/python3 -c '
import json, sys
keys = {"time", "client", "method", "host", "path", "status", "bytes_in", "bytes_out",
        "route", "cluster", "endpoint", "upstream_us", "edge_us", "request_id"}
for line in open(sys.argv[1]):
    d = json.loads(line)
    assert keys <= d.keys(), d
' "$MG_TMP/access.log"
mv "$MG_TMP/access.log" "$MG_TMP/access.log.1"
kill -HUP "$MG_PID"
in_client curl -s -o /dev/null --max-time 3 "$url/healthz"
wait_for 5 test -s "$MG_TMP/access.log"
check "access log reopened on SIGHUP" test -s "$MG_TMP/access.log"
check_eq "telemetry: no access-log record dropped" 0 \
	"$(mg_telemetry /meshgate/http /meshgate/http access_log_dropped)"
check_ge "telemetry: per-route counters" 30 \
	"$(mg_telemetry /meshgate/routes /meshgate/routes default requests)"

mg_stop
lab_done
