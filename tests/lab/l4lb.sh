#!/usr/bin/env bash
# The L4 full-NAT path against real peers: ping on both families, the spread
# of 300 connections over three nginx endpoints, a 256 MiB transfer checked
# by SHA-256, UDP, and an endpoint stopped mid-run and restarted.
#
#   tests/lab/l4lb.sh [WORKERS]     (default 1 worker lcore)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

workers=${1:-1}
lab_require sha256sum
lab_up
# The spread checks below connect from fixed client ports (40000-43059);
# the client's other connections take ports above them: a fixed port one
# of those left in TIME-WAIT cannot be bound, and curl fails (exit 45).
in_client sysctl -qw net.ipv4.ip_local_port_range="44000 60999"

cfg=$MG_TMP/lab-l4-w$workers.cfg
sed "s/^\([[:space:]]*workers[[:space:]]*=[[:space:]]*\)[0-9]*;/\1$workers;/" \
	"$MG_ROOT/cfg/lab-l4.cfg" >"$cfg"
grep -q "workers = $workers;" "$cfg" || mg_die "cannot set workers in $cfg"
mg_start "$cfg"
echo "# meshgate with $workers worker(s)"

# Wait until the first health checks have passed and neighbours resolved.
wait_for 10 in_client curl -sf --max-time 1 http://10.10.0.100/ || true

# --- L2/L3: the appliance answers ARP/ND and echo for itself and its VIPs.
check "ping 10.10.0.1" in_client ping -c 2 -W 2 10.10.0.1
check "ping VIP 10.10.0.100" in_client ping -c 2 -W 2 10.10.0.100
check "ping6 fd00:10::1" in_client ping -6 -c 2 -W 2 fd00:10::1
check "ping6 VIP fd00:10::100" in_client ping -6 -c 2 -W 2 fd00:10::100
check "ping int 10.20.0.1 from a backend" in_backend ping -c 2 -W 2 10.20.0.1
check_fail "no answer for a foreign address" in_client ping -c 1 -W 1 10.10.0.99

# --- 300 connections, from fixed client ports so the spread is the same on
# every run: Maglev and the flow hash are deterministic.
counts=$MG_TMP/counts
for port in $(seq 40000 40299); do
	in_client curl -s --max-time 3 --local-port "$port" http://10.10.0.100/ || echo "failed"
done | sort | uniq -c | tee "$counts" | sed 's/^/# /'
total=0
for ep in 11 12 13; do
	n=$(awk -v e="endpoint 10.20.0.$ep" '$2 " " $3 == e {print $1}' "$counts")
	n=${n:-0}
	total=$((total + n))
	check "endpoint .$ep has 100±25 of 300 connections ($n)" test "$n" -ge 75 -a "$n" -le 125
done
check_eq "all 300 connections answered" 300 "$total"

# The endpoint sees the appliance's address, not the client's (full-NAT).
seen=$(in_client curl -s --max-time 3 http://10.10.0.100/client || true)
check_match "endpoint sees the full-NAT source 10.20.0.1" "^10\.20\.0\.1[: ]" "$seen"

# --- IPv6 through its own listener and cluster.
v6=$(in_client curl -s -g --max-time 3 'http://[fd00:10::100]/' || true)
check_match "IPv6 VIP reaches an IPv6 endpoint" "^endpoint fd00:20::1[123]$" "$v6"

# --- 256 MiB through the L4 path, intact.
sum=$("$MG_LAB" mkfile 256)
got=$(in_client curl -s --max-time 120 http://10.10.0.100/big-256M.bin | sha256sum | cut -d' ' -f1)
check_eq "256 MiB download intact (SHA-256)" "$sum" "$got"

# --- UDP: datagrams echoed by all three endpoints through the VIP.
udp=$(in_client /usr/bin/python3 - <<'PY'
import socket
seen, ok = {}, 0
for i in range(60):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.bind(("10.10.0.2", 41000 + i))
    msg = b"probe-%d" % i
    s.sendto(msg, ("10.10.0.100", 7))
    try:
        data, src = s.recvfrom(2048)
    except socket.timeout:
        continue
    ep, _, payload = data.partition(b" ")
    if src == ("10.10.0.100", 7) and payload.strip() == msg:
        ok += 1
        seen[ep] = seen.get(ep, 0) + 1
    s.close()
print(ok, len(seen))
PY
)
check_eq "60 UDP datagrams echoed from the VIP, by 3 endpoints" "60 3" "$udp"

# --- An endpoint stopped mid-run: a transfer on another endpoint goes on,
# the stopped one leaves the table, no new connection reaches it, and it
# comes back when restarted.
hdr=$MG_TMP/long.hdr long_out=$MG_TMP/long.sum
( in_client curl -s --max-time 120 --limit-rate 25M -D "$hdr" \
	http://10.10.0.100/big-256M.bin | sha256sum | cut -d' ' -f1 >"$long_out" ) &
long_pid=$!
wait_for 5 grep -qi '^X-Endpoint:' "$hdr" || true
long_on=$(awk -F': *' 'tolower($1) == "x-endpoint" {print $2 + 0}' "$hdr")
# Stop an endpoint the long transfer is not on.
victim=12
[ "$long_on" != 12 ] || victim=13
echo "# long transfer on endpoint .$long_on; stopping .$victim"
state() { mg_telemetry /meshgate/endpoints /meshgate/endpoints "web/$(($1 - 11))" state; }
t0=$(date +%s%N)
"$MG_LAB" endpoint stop "10.20.0.$victim"
if wait_for "[ \"\$(state $victim)\" = down ]" 10; then
	ms=$((($(date +%s%N) - t0) / 1000000))
	echo "# endpoint .$victim marked down after ${ms} ms (interval 500 ms x threshold 2, timeout 300 ms)"
	_mg_result 1 "stopped endpoint leaves the table"
else
	_mg_result 0 "stopped endpoint leaves the table"
fi
after=$(for port in $(seq 42000 42099); do
	in_client curl -s --max-time 3 --local-port "$port" http://10.10.0.100/ || echo failed
done | sort | uniq -c)
echo "$after" | sed 's/^/# /'
check_fail "no new connection reaches the stopped endpoint" grep -q "10.20.0.$victim\|failed" <<<"$after"
wait "$long_pid" || true
check_eq "transfer on a surviving endpoint carried on intact" "$sum" "$(cat "$long_out")"

"$MG_LAB" endpoint start "10.20.0.$victim"
check "restarted endpoint comes back" wait_for "[ \"\$(state $victim)\" = up ]" 10
back=$(for port in $(seq 43000 43059); do
	in_client curl -s --max-time 3 --local-port "$port" http://10.10.0.100/ || echo failed
done | sort | uniq -c)
check_match "connections reach it again" "endpoint 10\.20\.0\.$victim" "$back"

# --- Counters through telemetry.
flows=$(mg_telemetry /meshgate/listeners /meshgate/listeners web connections)
check_ge "telemetry counts the listener's connections" 460 "$flows"

if [ "$workers" -gt 1 ]; then
	# Replies that land on a worker other than the flow's owner are handed
	# over by local port: with fanout over two queues some always do.
	ho=$(mg_telemetry /meshgate/lcores | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)["/meshgate/lcores"]
print(sum(w["handoff_in"] for w in d.values()))')
	check_ge "replies handed to their owning worker ($ho)" 1 "$ho"
	drops=$(mg_telemetry /meshgate/drops /meshgate/drops handoff_not_owner)
	check_eq "no hand-off reached a non-owner" 0 "$drops"
fi

check "clean shutdown" mg_stop
grep -q "listener web" "$MG_LOG" && _mg_result 1 "final statistics printed" ||
	_mg_result 0 "final statistics printed"
lab_done
