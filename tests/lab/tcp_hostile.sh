#!/usr/bin/env bash
# meshgate's TCP stack against segments a normal client never sends: bad
# checksums, odd options, out-of-window data, RST and SYN, overlapping
# out-of-order data, half-close abuse, urgent data (tests/lab/tcp_hostile.py,
# scapy in mg-client), then the stack's error counters.
#
#   tests/lab/tcp_hostile.sh [CASE...]      all cases, or the ones named
set -euo pipefail
. "$(dirname "$0")/lib.sh"

hostile=$MG_LAB_LIB_DIR/tcp_hostile.py
lab_require nft ping
/usr/bin/python3 -c 'import scapy' 2>/dev/null ||
	{ echo "skip: python3-scapy not installed" >&2; exit 77; }
lab_up
mg_start "$MG_ROOT/cfg/lab-tcp.cfg"
tel_sock=$MG_DPDK_RUNDIR/${MG_FILE_PREFIX:-meshgate}/dpdk_telemetry.v2

# scapy's connections are unknown to mg-client's kernel, which would reset
# them: drop its RSTs from the ports tcp_hostile.py uses (61000-61999, off
# the kernel's ephemeral range).
in_client nft -f - <<-NFT
table inet mg_hostile {
	chain out { type filter hook output priority 0;
		tcp sport 61000-61999 tcp flags & rst == rst drop; }
}
NFT

# The appliance learns the client's MAC before any TCP: a segment sent
# while the neighbour is unresolved takes another path (dropped and
# retransmitted), which is not what these cases are about.
wait_for 10 in_client ping -c1 -W1 10.10.0.1 || true
wait_for 10 in_client curl -sf --max-time 1 http://10.10.0.100/ || true
counter() { mg_telemetry /meshgate/tcp /meshgate/tcp "$1"; }
declare -A before
keys=(bad_checksum bad_options out_of_window challenge_ack_sent
	rst_in_window_challenged no_connection urgent_pointer_ignored)
for k in "${keys[@]}"; do before[$k]=$(counter "$k"); done

out=$MG_TMP/hostile.out
rc=0
in_client timeout 120 /usr/bin/python3 "$hostile" --tel "$tel_sock" "$@" >"$out" 2>&1 || rc=$?
# The python's verdicts count as this test's checks.
while IFS= read -r line; do
	case $line in
	"ok - "*) _mg_result 1 "${line#ok - }" ;;
	"not ok - "*) _mg_result 0 "${line#not ok - }" ;;
	"# "*) echo "$line" >&2 ;;
	*" passed, "*" failed") ;;
	*) echo "# $line" >&2 ;;
	esac
done <"$out"
check_eq "tcp_hostile.py finished (status)" 0 "$rc"
in_client nft delete table inet mg_hostile || true

# Every case that should count did; only when all ran.
if [ $# -eq 0 ]; then
	declare -A want=([bad_checksum]=1 [bad_options]=4 [out_of_window]=4
		[challenge_ack_sent]=2 [rst_in_window_challenged]=1
		[no_connection]=1 [urgent_pointer_ignored]=1)
	for k in "${keys[@]}"; do
		d=$(($(counter "$k") - before[$k]))
		check_ge "counter $k moved by ${want[$k]} or more ($d)" "${want[$k]}" "$d"
	done
fi
check "the appliance is still running" mg_running
mg_telemetry /meshgate/tcp | sed "s/^/# /"
mg_telemetry /meshgate/drops | sed "s/^/# /"
check "clean shutdown" mg_stop
lab_done
