#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Replay one scenario: crafted captures through the appliance on a net_pcap
# port, the output compared with the expected capture.
#
#   replay.sh SCENARIO DIR MESHGATE MAGLEV_PICK
#
# DIR (in the build directory) receives the captures, the configuration and
# meshgate.log. The appliance reads in.pcap at full speed when it starts;
# once telemetry shows every packet read and the transmit counter still for
# a second, it gets SIGTERM, and compare.py checks out.pcap and the drop
# counters it printed. Exit 77 (skip) without scapy for /usr/bin/python3.
set -u

if [ $# -ne 4 ]; then
	echo "usage: $0 SCENARIO DIR MESHGATE MAGLEV_PICK" >&2
	exit 2
fi
scenario=$1 dir=$2 bin=$3 pick=$4
here=$(dirname "$(readlink -f "$0")")
py=/usr/bin/python3
prefix=mgreplay

if ! $py -c 'import scapy.all' 2>/dev/null; then
	echo "SKIP: /usr/bin/python3 has no scapy (apt-get install python3-scapy)"
	exit 77
fi

mkdir -p "$dir" || exit 1
rm -f "$dir/out.pcap" "$dir/meshgate.log"
$py "$here/make_captures.py" "$scenario" "$dir" --pick "$pick" || exit 1

: >"$dir/meshgate.log"
"$bin" -c "$dir/meshgate.cfg" >"$dir/meshgate.log" 2>&1 &
pid=$!
stop() {
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		for _ in $(seq 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
	fi
	wait "$pid"
}
trap 'kill -KILL $pid 2>/dev/null' EXIT

for _ in $(seq 300); do
	grep -q "meshgate: ready" "$dir/meshgate.log" && break
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "FAIL: meshgate exited at start:"
		cat "$dir/meshgate.log"
		exit 1
	fi
	sleep 0.1
done
if ! grep -q "meshgate: ready" "$dir/meshgate.log"; then
	echo "FAIL: meshgate not ready after 30 s:"
	cat "$dir/meshgate.log"
	exit 1
fi

$py "$here/compare.py" wait "$dir" "$prefix" 30 || waited=1
stop
rc=$?
trap - EXIT
if [ "$rc" -ne 0 ] || [ "${waited:-0}" -ne 0 ]; then
	echo "FAIL: meshgate exit status $rc; its log:"
	cat "$dir/meshgate.log"
	exit 1
fi
$py "$here/compare.py" check "$dir" "$dir/meshgate.log"
