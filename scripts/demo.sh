#!/usr/bin/env bash
# The demo: set up the machine, build, bring up the lab (a client namespace,
# three nginx endpoints in a backend namespace), start meshgate on
# cfg/lab-l4.cfg and show it load-balancing TCP and UDP over the endpoints,
# answering ping on both address families, and taking a stopped endpoint out
# of rotation. Everything is torn down at the end (pass --keep to leave the
# lab and the appliance running).
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

if $keep; then
	echo
	echo "meshgate is running (log: $MG_LOG); 'scripts/lab.sh down' and kill $MG_PID to stop."
	trap - EXIT
	exit 0
fi
say "stopping (final statistics follow)"
mg_stop
