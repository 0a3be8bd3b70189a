#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# The TCP stack benchmark (issue 3): lib/tcp against the Linux kernel's TCP,
# in the same run, on the same CPU. Never part of the test suite.
#
#   perf/run_tcp.sh
#
# meshgate: perf/tcp_bench, two lib/tcp instances on one lcore (CPU $CPU)
#   back to back over net_ring ethdev ports: bulk (one connection, MTU
#   1500), connections per second (open, client closes, server closes, K in
#   flight), and IDLE idle established connections (memory).
# kernel: perf/tcp_kernel_bench, a server in netns mgperf-b and a client in
#   netns mgperf-a over a veth pair (10.251.0.1/24 - 10.251.0.2/24, client
#   sources 10.251.0.101-116), both processes pinned to CPU $CPU, so the
#   application, the system calls and the softirq share one core. Run with
#   TSO/GSO/GRO off (MSS-sized segments end to end, as lib/tcp does) and
#   on (the kernel's best), each labelled.
#
# Builds nothing: it runs $MG_BUILD_DIR/perf/tcp_bench and
# $MG_BUILD_DIR/perf/tcp_kernel_bench (MG_BUILD_DIR defaults to build).
# Root; hugepages if free (else --no-huge). Creates and removes the
# namespaces mgperf-a and mgperf-b (not the lab's).
#
# Environment: CPU (default 1), BULK_GIB (default 4), CPS_SECS (default 5),
# K (connections in flight, default 64), IDLE (default 1000000),
# RUNS (repetitions, the best is kept, default 3),
# MG_PERF_OUT (logs, default /tmp/meshgate-perf-tcp).
set -euo pipefail

cd "$(dirname "$0")/.."
B=${MG_BUILD_DIR:-build}
BENCH=$B/perf/tcp_bench
KBENCH=$B/perf/tcp_kernel_bench
CPU=${CPU:-1}
BULK_GIB=${BULK_GIB:-4}
CPS_SECS=${CPS_SECS:-5}
K=${K:-64}
IDLE=${IDLE:-1000000}
RUNS=${RUNS:-3}
OUT=${MG_PERF_OUT:-/tmp/meshgate-perf-tcp}
NA=mgperf-a
NB=mgperf-b
SRV=10.251.0.2
PORT=5001

for f in "$BENCH" "$KBENCH"; do
	[ -x "$f" ] || { echo "run_tcp.sh: $f missing: build first (MG_BUILD_DIR=$B)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "run_tcp.sh: needs root" >&2; exit 1; }
mkdir -p "$OUT"

srv_pid=
cleanup() {
	if [ -n "$srv_pid" ]; then
		kill "$srv_pid" 2>/dev/null || true
		wait "$srv_pid" 2>/dev/null || true
	fi
	srv_pid=
	ip netns del "$NA" 2>/dev/null || true
	ip netns del "$NB" 2>/dev/null || true
}
trap cleanup EXIT

# kv FILE MODE KEY: a value from the RESULT line of MODE.
kv() {
	awk -v m="$2" -v k="$3" '$1 == "RESULT" && $2 == m {
		for (i = 3; i <= NF; i++) { split($i, a, "="); if (a[1] == k) print a[2] } }' "$1" | tail -1
}

# best FILE... MODE KEY: the largest value over runs.
best() {
	local mode=${*: -2:1} key=${*: -1} f v b=
	for f in "${@:1:$#-2}"; do
		v=$(kv "$f" "$mode" "$key")
		[ -n "$v" ] || continue
		if [ -z "$b" ] || awk -v a="$v" -v b="$b" 'BEGIN { exit !(a > b) }'; then
			b=$v
		fi
	done
	echo "${b:-nan}"
}

# The file of the run with the best KEY (to take its other figures).
best_file() {
	local mode=${*: -2:1} key=${*: -1} f v b= bf=
	for f in "${@:1:$#-2}"; do
		v=$(kv "$f" "$mode" "$key")
		[ -n "$v" ] || continue
		if [ -z "$b" ] || awk -v a="$v" -v b="$b" 'BEGIN { exit !(a > b) }'; then
			b=$v; bf=$f
		fi
	done
	echo "$bf"
}

# CPU busy share between two /proc/stat snapshots of $CPU.
cpu_snap() { awk -v c="cpu$CPU" '$1 == c { t = 0; for (i = 2; i <= NF; i++) t += $i; print t, $5 + $6 }' /proc/stat; }
busy_pct() { awk -v a="$1" -v b="$2" -v c="$3" -v d="$4" 'BEGIN { t = c - a; printf "%.0f", (t > 0 ? 100 * (1 - (d - b) / t) : 0) }'; }

# ---- meshgate: lib/tcp over net_ring on one lcore ----
free_hp=$(awk '/HugePages_Free/ { print $2 }' /proc/meminfo)
if [ "${free_hp:-0}" -ge 256 ]; then
	eal=(-l "$CPU" --no-pci --file-prefix mgperf-tcp --log-level=notice)
	mem="hugepages"
else
	eal=(-l "$CPU" --no-pci --no-huge -m 1024 --no-shconf --log-level=notice)
	mem="--no-huge"
fi
echo "== meshgate lib/tcp (tcp_bench, lcore $CPU, $mem)"
mg_bulk=() mg_cps=()
for r in $(seq "$RUNS"); do
	f=$OUT/mg-bulk-$r.log
	"$BENCH" "${eal[@]}" -- bulk "$BULK_GIB" >"$f" 2>&1 || { cat "$f"; exit 1; }
	grep -E "^  [0-9].*Gbit" "$f"
	mg_bulk+=("$f")
	f=$OUT/mg-cps-$r.log
	"$BENCH" "${eal[@]}" -- cps "$CPS_SECS" "$K" >"$f" 2>&1 || { cat "$f"; exit 1; }
	grep -E "conns/s" "$f"
	mg_cps+=("$f")
done
f=$OUT/mg-idle.log
"$BENCH" "${eal[@]}" -- idle "$IDLE" >"$f" 2>&1 || { cat "$f"; exit 1; }
grep -E "^idle|established|conn_size|timers" "$f"

# ---- the kernel: veth between two namespaces, one CPU ----
cleanup
ip netns add "$NA"
ip netns add "$NB"
ip link add mgperf-va netns "$NA" type veth peer name mgperf-vb netns "$NB"
ip -n "$NA" addr add 10.251.0.1/24 dev mgperf-va
for i in $(seq 101 116); do
	ip -n "$NA" addr add "10.251.0.$i/24" dev mgperf-va
done
ip -n "$NB" addr add "$SRV/24" dev mgperf-vb
for ns in "$NA" "$NB"; do
	ip -n "$ns" link set lo up
done
ip -n "$NA" link set mgperf-va up
ip -n "$NB" link set mgperf-vb up
# The client side may reuse TIME-WAIT tuples (timestamps), as lib/tcp does.
ip netns exec "$NA" sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
ip netns exec "$NA" sysctl -qw net.ipv4.tcp_tw_reuse=1
ip netns exec "$NB" sysctl -qw net.core.somaxconn=4096
srcs=()
for i in $(seq 101 116); do srcs+=("10.251.0.$i"); done
sleep 1

ip netns exec "$NB" taskset -c "$CPU" "$KBENCH" server "$SRV" "$PORT" &
srv_pid=$!
sleep 0.5

declare -A kb_files kc_files kb_busy kc_busy
for off in off on; do
	for dev in "$NA:mgperf-va" "$NB:mgperf-vb"; do
		ip netns exec "${dev%%:*}" ethtool -K "${dev#*:}" tso "$off" gso "$off" gro "$off" 2>/dev/null || true
	done
	echo "== kernel TCP over veth, TSO/GSO/GRO $off, CPU $CPU"
	kb=() kc=() bb= cb=
	for r in $(seq "$RUNS"); do
		f=$OUT/k-$off-bulk-$r.log
		read -r t0 i0 < <(cpu_snap)
		ip netns exec "$NA" taskset -c "$CPU" "$KBENCH" bulk "$SRV" "$PORT" "$BULK_GIB" >"$f" 2>&1 || { cat "$f"; exit 1; }
		read -r t1 i1 < <(cpu_snap)
		echo "busy=$(busy_pct "$t0" "$i0" "$t1" "$i1")" >>"$f"
		grep -E "Gbit" "$f"; tail -1 "$f"
		kb+=("$f")
		f=$OUT/k-$off-cps-$r.log
		read -r t0 i0 < <(cpu_snap)
		ip netns exec "$NA" taskset -c "$CPU" "$KBENCH" cps "$SRV" "$PORT" "$CPS_SECS" "$K" "${srcs[@]}" >"$f" 2>&1 || { cat "$f"; exit 1; }
		read -r t1 i1 < <(cpu_snap)
		echo "busy=$(busy_pct "$t0" "$i0" "$t1" "$i1")" >>"$f"
		grep -E "conns/s" "$f"; tail -1 "$f"
		kc+=("$f")
	done
	kb_files[$off]="${kb[*]}"
	kc_files[$off]="${kc[*]}"
	sleep 1
done

# ---- the table ----
hz=$(kv "${mg_bulk[0]}" bulk tsc_hz)
bf=$(best_file "${mg_bulk[@]}" bulk gbps)
cf=$(best_file "${mg_cps[@]}" cps cps)
mg_g=$(kv "$bf" bulk gbps)
mg_cpb=$(kv "$bf" bulk cpb_total)
mg_cpbs=$(kv "$bf" bulk cpb_server)
mg_c=$(kv "$cf" cps cps)
mg_cpc=$(kv "$cf" cps cpc_total)
mg_cpcs=$(kv "$cf" cps cpc_server)

echo
echo "| stack | bulk Gbit/s per core | cycles/byte (core) | cycles/byte (server side) | conns/s per core | cycles/conn (core) | cycles/conn (server side) |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
printf "| meshgate lib/tcp, net_ring | %.2f | %.3f | %.3f | %'.0f | %'.0f | %'.0f |\n" \
	"$mg_g" "$mg_cpb" "$mg_cpbs" "$mg_c" "$mg_cpc" "$mg_cpcs"
declare -A kg kcp
for off in off on; do
	# shellcheck disable=SC2086
	g=$(best ${kb_files[$off]} kbulk gbps)
	# shellcheck disable=SC2086
	c=$(best ${kc_files[$off]} kcps cps)
	kg[$off]=$g
	kcp[$off]=$c
	cpb=$(awk -v g="$g" -v h="$hz" 'BEGIN { printf "%.3f", h * 8 / (g * 1e9) }')
	cpc=$(awk -v c="$c" -v h="$hz" 'BEGIN { printf "%.0f", h / c }')
	printf "| Linux, veth, TSO/GSO/GRO %s | %.2f | %s | - | %'.0f | %'.0f | - |\n" \
		"$off" "$g" "$cpb" "$c" "$cpc"
done
echo
for off in off on; do
	awk -v a="$mg_g" -v b="${kg[$off]}" -v c="$mg_c" -v d="${kcp[$off]}" -v o="$off" 'BEGIN {
		printf "ratio vs kernel (offloads %s): bulk %.2fx (target 1.5x), conns/s %.2fx (target 3x)\n", o, a / b, c / d }'
done
printf "idle: %s connections held, %s B/conn by mg_tcp_conn_size(), %s B/conn resident (measured), mg_tcp_timers %s cycles/call\n" \
	"$(kv "$OUT/mg-idle.log" idle est_server)" "$(kv "$OUT/mg-idle.log" idle conn_size)" \
	"$(kv "$OUT/mg-idle.log" idle b_per_conn_total)" "$(kv "$OUT/mg-idle.log" idle timer_cycles)"
echo "kernel CPU $CPU busy (%) per run:"
for f in "$OUT"/k-*.log; do
	printf "  %s %s\n" "$(basename "$f" .log)" "$(tail -1 "$f")"
done
