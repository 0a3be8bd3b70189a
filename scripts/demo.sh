#!/usr/bin/env bash
# The demo: set up the machine, build, bring up the lab (a client namespace,
# three endpoints in a backend namespace running nginx and an HTTP test
# server), then
#  1. meshgate on cfg/lab-l4.cfg: L4 full-NAT load balancing of TCP and UDP
#     over the endpoints, ping on both address families, a stopped endpoint
#     taken out of rotation by health checks and brought back;
#  2. meshgate on cfg/lab-waf.cfg in blocking mode: the WAF (the OWASP Core
#     Rule Set 3.3.4 on Hyperscan) passing API calls and answering attacks
#     403, the matched rules, the audit log;
#  3. meshgate on cfg/lab-https.cfg: TLS at the edge, client certificates
#     (a missing or revoked one refused), re-encryption with mTLS to
#     endpoints that require meshgate's client certificate;
#  4. meshgate on cfg/lab-http.cfg: the L7 gateway - routes by host, path,
#     header and query, rewrites and header changes, a canary split, HTTP
#     health checks, retries, a circuit breaker, the access log.
# Everything is torn down at the end (pass --keep to leave the lab and the
# HTTP gateway running).
set -euo pipefail
cd "$(dirname "$0")/.."
keep=false
[ "${1:-}" = "--keep" ] && keep=true

scripts/setup.sh
scripts/build.sh
source tests/lab/lib.sh

if $keep; then
	lab_up_nocleanup
else
	lab_up
fi
mg_start cfg/lab-l4.cfg

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# Endpoint states and connection counts, from the appliance's telemetry.
endpoints() {
	mg_telemetry /meshgate/endpoints | /usr/bin/python3 -c '
import json, sys
for name, e in json.load(sys.stdin)["/meshgate/endpoints"].items():
    print("  %-8s %-12s %-5s %4d connections, %3d/%3d probes ok" % (name,
          e["address"], e["state"], e["connections"], e.get("probes_ok", 0),
          e.get("probes", 0)))'
}

say "ping the appliance and the VIP (IPv4 and IPv6)"
ip netns exec mg-client ping -c 2 -W 1 10.10.0.1
ip netns exec mg-client ping -c 2 -W 1 10.10.0.100
ip netns exec mg-client ping -6 -c 2 -W 1 fd00:10::100

say "30 HTTP requests to http://10.10.0.100/ through the L4 full-NAT path"
for _ in $(seq 30); do
	ip netns exec mg-client curl -s --max-time 3 http://10.10.0.100/
done | sort | uniq -c

say "the same over IPv6: http://[fd00:10::100]/"
for _ in $(seq 12); do
	ip netns exec mg-client curl -s -g --max-time 3 'http://[fd00:10::100]/'
done | sort | uniq -c

say "UDP through the L4 listener 10.10.0.100:7 (echo)"
for i in 1 2 3 4 5 6; do
	ip netns exec mg-client /usr/bin/python3 - "$i" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
s.sendto(b"hello %s" % sys.argv[1].encode(), ("10.10.0.100", 7))
print(s.recvfrom(2048)[0].decode().strip())
PY
done

say "stop endpoint 10.20.0.12: health checks take it out"
scripts/lab.sh endpoint stop 10.20.0.12
sleep 2
endpoints | grep 'web/'
for _ in $(seq 20); do
	ip netns exec mg-client curl -s --max-time 3 http://10.10.0.100/
done | sort | uniq -c

say "restart it: it comes back"
scripts/lab.sh endpoint start 10.20.0.12
sleep 2
endpoints | grep 'web/'
for _ in $(seq 20); do
	ip netns exec mg-client curl -s --max-time 3 http://10.10.0.100/
done | sort | uniq -c

say "telemetry: /meshgate/endpoints, /meshgate/lcores"
endpoints
mg_telemetry /meshgate/lcores
say "stopping the L4 configuration"
mg_stop

url=http://10.10.0.100
c() { ip netns exec mg-client curl -s --max-time 5 "$@"; }

# ------------------------------------------------------------------ WAF
say "the WAF: the OWASP Core Rule Set 3.3.4 as Debian ships it, on Hyperscan, paranoia level 1, blocking"
echo "  (the first start compiles the rules into Hyperscan databases, 20 s to a minute here;"
echo "   later starts load them from /var/cache/meshgate/waf)"
MG_START_TIMEOUT=300 mg_start "$(lab_waf_cfg block)"
grep -o 'waf crs: [0-9]* rules.*' "$MG_LOG" | sed 's/^/  /'
wait_for 10 c -f -o /dev/null "$url/"
# Each request: what it is, the status, and the matched rules the
# appliance lists in X-Meshgate-Waf-Rules (cfg/lab-waf.cfg turns that on).
waf_try() {
	local what=$1; shift
	printf '  %-44s ' "$what"
	c -o /dev/null -w '%{http_code}  rules: %header{x-meshgate-waf-rules}\n' \
		-H 'Host: api.lab.test' "$@" | sed 's/rules: $/rules: none/'
}
waf_try "a JSON API call" -H 'Content-Type: application/json' \
	-d '{"user":"alice","note":"hello, world","tags":["a","b"]}' "$url/api/notes"
waf_try "a search with non-ASCII text" "$url/search?q=caf%C3%A9+cr%C3%A8me"
waf_try "SQL injection in the query" "$url/search?q=1%27%20or%201=1--"
waf_try "path traversal to /etc/passwd" "$url/download?file=../../../../etc/passwd"
waf_try "XSS in a form body" -d 'comment=<script>alert(1)</script>' "$url/comments"
waf_try "a shell command in a JSON body" -H 'Content-Type: application/json' \
	-d '{"host":"example.com; cat /etc/shadow"}' "$url/api/ping"
waf_try "a vulnerability scanner's User-Agent" -A 'sqlmap/1.7.2#stable (https://sqlmap.org)' "$url/"
echo "  a blocked request's answer:"
c -H 'Host: api.lab.test' "$url/search?q=1%27%20or%201=1--" | sed 's/^/    /'
echo
echo "  the audit log, one JSON line per request that matched (the last one, shortened):"
tail -n 1 "$MG_TMP/waf-audit.log" | /usr/bin/python3 -c 'import json, sys
d = json.loads(sys.stdin.read())
for m in d["matches"]:
    m["data"] = m["data"][:60]
print("   ", json.dumps({k: d[k] for k in ("unique_id", "verdict", "status",
      "anomaly_score", "rule_ids", "matches")})[:600])'
printf '  /meshgate/http: waf_matched %s, waf_blocked %s, waf_bodies_held %s\n' \
	"$(mg_telemetry /meshgate/http /meshgate/http waf_matched)" \
	"$(mg_telemetry /meshgate/http /meshgate/http waf_blocked)" \
	"$(mg_telemetry /meshgate/http /meshgate/http waf_bodies_held)"
say "stopping the WAF configuration"
mg_stop

# ------------------------------------------------------------------ TLS
pki=${MG_LAB_STATE:-/run/meshgate-lab}/pki
https_cfg=$MG_TMP/lab-https.cfg
sed "s|/run/meshgate-lab/pki|$pki|g" cfg/lab-https.cfg >"$https_cfg"
mg_start "$https_cfg"
# curl to https://api.lab.test/ (the VIP), trusting the lab's CA
tc() { c --cacert "$pki/ca.crt" --resolve api.lab.test:443:10.10.0.100 "$@"; }
wait_for 10 tc -f -o /dev/null https://api.lab.test/echo/up

say "TLS at the edge (cfg/lab-https.cfg, the lab's CA): what curl negotiated with the VIP"
tc -v -o /dev/null https://api.lab.test/echo/a 2>&1 |
	grep -E '^\* (SSL connection using|ALPN: server accepted|Server certificate)|^\*  (subject|issuer|expire date):' |
	sed 's/^\* */  /'
printf '  TLS 1.1 offered alone: %s (refused)\n' \
	"$(tc -o /dev/null -w '%{http_code}' --tlsv1.1 --tls-max 1.1 https://api.lab.test/echo/a || true)"

say "client certificates (mTLS from partners) on /secure/"
printf '  none sent: %s\n' "$(tc -o /dev/null -w '%{http_code}' https://api.lab.test/secure/x)"
printf '  revoked (CRL): %s (handshake refused)\n' \
	"$(tc -o /dev/null -w '%{http_code}' --cert "$pki/client-revoked.crt" \
		--key "$pki/client-revoked.key" https://api.lab.test/secure/x || true)"
echo "  valid: the endpoint received"
tc --cert "$pki/client.crt" --key "$pki/client.key" https://api.lab.test/secure/x |
	/usr/bin/python3 -c 'import json, sys
h = dict((k.lower(), v) for k, v in json.load(sys.stdin)["headers"])
print("    x-forwarded-client-cert:", h.get("x-forwarded-client-cert"))
print("    x-forwarded-proto:", h.get("x-forwarded-proto"))'

say "re-encryption to the mesh: /mesh/ goes to nginx endpoints that require meshgate's client certificate"
for _ in 1 2 3 4 5 6; do tc https://api.lab.test/mesh/; done | sort | uniq -c
printf '  /meshgate/http: tls_handshakes %s, tls_failures %s\n' \
	"$(mg_telemetry /meshgate/http /meshgate/http tls_handshakes)" \
	"$(mg_telemetry /meshgate/http /meshgate/http tls_failures)"
say "stopping the TLS configuration"
mg_stop

# ------------------------------------------------------------------ L7
state=${MG_LAB_STATE:-/run/meshgate-lab}
http_cfg=$MG_TMP/lab-http.cfg
sed "s|/run/meshgate-lab/access.log|$MG_TMP/access.log|" cfg/lab-http.cfg >"$http_cfg"
mg_start "$http_cfg"
# Which endpoint answered each of N requests.
who() {
	local n=$1; shift
	for _ in $(seq "$n"); do
		c -o /dev/null -w 'endpoint %header{x-endpoint} -> %{http_code}\n' "$@"
	done | sort | uniq -c
}
wait_for 10 c -f -o /dev/null "$url/healthz"

say "L7 gateway on http://10.10.0.100/ (cfg/lab-http.cfg): a direct response and a redirect"
c -i "$url/healthz"
c -o /dev/null -w '%{http_code} Location: %header{location}\n' -H 'Host: www.lab.test' "$url/old/page"

say "route \"api\": host api.lab.test, /api/ -> /echo/, headers added, set, removed; what the endpoint received:"
c -H 'Host: api.lab.test' -H 'X-Internal-Token: secret' "$url/api/orders?id=7" |
	/usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin)
print("  path:", d["path"])
for k, v in d["headers"]: print("  %s: %s" % (k, v))'

say "round robin over three endpoints (20 requests)"
who 20 "$url/echo/rr"
say "canary: *.canary.lab.test split 75/25 between two clusters (100 requests)"
who 100 -H 'Host: eu.canary.lab.test' "$url/echo/c"
say "ring hash on the x-user header: each user sticks to one endpoint"
for u in alice bob carol; do echo "  $u: $(who 5 -H "x-user: $u" "$url/sticky" | tr -s ' ' | tr '\n' ' ')"; done

say "endpoint .12 fails its HTTP health check (/health answers 503): taken out"
touch "$state/unhealthy-12"
sleep 2
who 12 "$url/echo/h"
rm -f "$state/unhealthy-12"
say "... and back"
sleep 2
who 12 "$url/echo/h"

say "endpoint .13 answers 503: retried on another endpoint, then ejected by outlier detection"
touch "$state/fail-13"
who 12 "$url/fail/x"
rm -f "$state/fail-13"
mg_telemetry /meshgate/clusters /meshgate/clusters bin

say "circuit breaker: 10 concurrent slow requests to a cluster that allows 4"
for _ in $(seq 10); do c -w ' -> %{http_code}\n' "$url/slow/delay/700" & done |
	sed 's/,"request_id":"[^"]*"//' | sort | uniq -c
mg_telemetry /meshgate/clusters /meshgate/clusters slow

say "malformed and smuggling requests are refused with a reason"
printf 'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n' |
	ip netns exec mg-client socat -t 2 - TCP:10.10.0.100:80 | tail -1 || true
echo

say "the access log (JSON lines) and /meshgate/http"
tail -n 3 "$MG_TMP/access.log"
mg_telemetry /meshgate/http

if $keep; then
	echo
	echo "meshgate is running (log: $MG_LOG); 'scripts/lab.sh down' and kill $MG_PID to stop."
	trap - EXIT
	exit 0
fi
say "stopping (final statistics follow)"
mg_stop
