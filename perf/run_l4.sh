#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# The L4 benchmark (issue 2): established-flow packet rate and cycles per
# packet of meshgate's full-NAT path, beside the ceiling of the same virtual
# device, and the rate of new flows. Never part of the test suite.
#
#   perf/run_l4.sh [CASE ...]        CASE = proto:size:flows[:reflect]
#                                    e.g. udp:64:1 tcp:1518:1000000
#
# Builds nothing: it runs $MG_BUILD_DIR/app/meshgate and
# $MG_BUILD_DIR/perf/mg_l4gen (MG_BUILD_DIR defaults to build). Root, free
# hugepages, and two CPUs: CPU 1 forwards (the meshgate worker, or the
# dpdk-testpmd forwarding lcore for the ceiling), CPU 0 runs the generator
# and both programs' main lcores (they sleep).
#
# Arrangement, over net_memif (shared-memory rings, no kernel):
#   mg_l4gen ext (memif client) <-> [ext] DUT [int] <-> mg_l4gen int (client)
# where DUT is meshgate with perf/l4-memif.cfg, or, for the ceiling,
# dpdk-testpmd --forward-mode=io between two memif server ports.
#
# Environment: WARMUP (s, default 2), DURATION (s, default 5),
# RUNS (repetitions per case, the best is kept, default 1),
# MG_PERF_OUT (directory for logs, default /tmp/meshgate-perf).
set -euo pipefail

cd "$(dirname "$0")/.."
B=${MG_BUILD_DIR:-build}
GEN=$B/perf/mg_l4gen
MG=$B/app/meshgate
CFG=perf/l4-memif.cfg
SOCK=/run/meshgate-perf
OUT=${MG_PERF_OUT:-/tmp/meshgate-perf}
WARMUP=${WARMUP:-2}
DURATION=${DURATION:-5}
RUNS=${RUNS:-1}
PY=/usr/bin/python3

for f in "$GEN" "$MG"; do
	[ -x "$f" ] || { echo "run_l4.sh: $f missing: build first (MG_BUILD_DIR=$B)" >&2; exit 1; }
done
command -v dpdk-testpmd >/dev/null || { echo "run_l4.sh: dpdk-testpmd missing" >&2; exit 1; }
mkdir -p "$SOCK" "$OUT"

if [ $# -gt 0 ]; then
	CASES=("$@")
else
	CASES=(udp:64:1 udp:64:1000000 udp:1518:1 udp:1518:1000000
	       tcp:64:1 tcp:64:1000000 tcp:1518:1 tcp:1518:1000000)
fi

# The generator is a memif client of both ports; zero-copy on its side
# (it needs single-file segments) keeps it ahead of the forwarding core.
gen_eal=(-l 0 --file-prefix mgperf-gen --single-file-segments --no-pci
	--log-level=notice
	"--vdev=net_memif0,role=client,socket=$SOCK/ext.sock,socket-abstract=no,id=0,mac=02:6d:67:00:01:01,zero-copy=yes,rsize=12"
	"--vdev=net_memif1,role=client,socket=$SOCK/int.sock,socket-abstract=no,id=0,mac=02:6d:67:00:01:02,zero-copy=yes,rsize=12")

dut_pid=

stop_dut() {
	if [ -n "$dut_pid" ] && kill -0 "$dut_pid" 2>/dev/null; then
		kill -INT "$dut_pid" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$dut_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$dut_pid" 2>/dev/null || true
		wait "$dut_pid" 2>/dev/null || true
	fi
	dut_pid=
	rm -f "$SOCK/ext.sock" "$SOCK/int.sock"
}
trap stop_dut EXIT

# wait_ready LOG TEXT: the server ports are started once TEXT is logged (a
# memif client that connects earlier is refused and does not retry).
wait_ready() {
	for _ in $(seq 100); do
		if [ -S "$SOCK/ext.sock" ] && [ -S "$SOCK/int.sock" ] &&
		   grep -q "$2" "$1" 2>/dev/null; then
			sleep 0.2
			return 0
		fi
		sleep 0.1
	done
	echo "run_l4.sh: the device under test did not start (see $1)" >&2
	return 1
}

start_ceiling() {
	rm -f "$SOCK/ext.sock" "$SOCK/int.sock"
	dpdk-testpmd -l 0,1 --main-lcore 0 --file-prefix mgperf-testpmd --no-pci \
		--log-level=notice \
		"--vdev=net_memif0,role=server,socket=$SOCK/ext.sock,socket-abstract=no,id=0" \
		"--vdev=net_memif1,role=server,socket=$SOCK/int.sock,socket-abstract=no,id=0" \
		-- --forward-mode=io --nb-cores=1 --rxd=1024 --txd=1024 --burst=32 \
		--auto-start --stats-period=60 >"$OUT/testpmd.log" 2>&1 &
	dut_pid=$!
	wait_ready "$OUT/testpmd.log" "Port statistics"
}

start_meshgate() {
	rm -f "$SOCK/ext.sock" "$SOCK/int.sock"
	"$MG" -c "$CFG" >"$OUT/meshgate.log" 2>&1 &
	dut_pid=$!
	wait_ready "$OUT/meshgate.log" "meshgate: ready"
}

# One JSON object: meshgate's worker 0 counters and a timestamp.
snap() {
	$PY - <<'EOF'
import json, socket, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect("/var/run/dpdk/mgperf-dut/dpdk_telemetry.v2")
s.recv(4096)
s.send(b"/meshgate/lcores")
w = json.loads(s.recv(1 << 16))["/meshgate/lcores"]["worker0"]
w["t"] = time.monotonic()
print(json.dumps(w))
EOF
}

drops() {
	$PY - <<'EOF'
import json, socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect("/var/run/dpdk/mgperf-dut/dpdk_telemetry.v2")
s.recv(4096)
s.send(b"/meshgate/drops")
d = json.loads(s.recv(1 << 16))["/meshgate/drops"]
print(" ".join("%s=%d" % (k, v) for k, v in d.items() if v))
EOF
}

# run_gen TAG GENARGS...: the generator's result line in $OUT/TAG.result;
# with meshgate running, telemetry at the window's edges in TAG.s0/.s1.
run_gen() {
	local tag=$1 with_tel=$2
	shift 2
	rm -f "$OUT/$tag".*
	"$GEN" "${gen_eal[@]}" -- "$@" 2>"$OUT/$tag.gen.err" | while IFS= read -r line; do
		case "$line" in
		window-start) [ "$with_tel" = 1 ] && snap >"$OUT/$tag.s0" ;;
		window-end) [ "$with_tel" = 1 ] && snap >"$OUT/$tag.s1" ;;
		result*)
			echo "$line" >"$OUT/$tag.result"
			# The DUT goes first (see the end of mg_l4gen.c).
			[ "$with_tel" = 1 ] && drops >"$OUT/$tag.drops"
			kill -INT "$dut_pid" 2>/dev/null || true ;;
		esac
	done
	[ -s "$OUT/$tag.result" ] || { echo "run_l4.sh: no result for $tag (see $OUT/$tag.gen.err)" >&2; return 1; }
}

field() {	# field FILE KEY
	tr ' ' '\n' <"$1" | sed -n "s/^$2=//p"
}

best_of() {	# best_of TAG MODE GENARGS...: keep the run with the highest rx_pps
	local tag=$1 mode=$2 best=0 r
	shift 2
	for r in $(seq "$RUNS"); do
		if [ "$mode" = ceiling ]; then start_ceiling; else start_meshgate; fi
		run_gen "$tag.run$r" "$([ "$mode" = dut ] && echo 1 || echo 0)" "$@"
		stop_dut
		local pps
		pps=$(field "$OUT/$tag.run$r.result" rx_pps)
		if [ "${pps%.*}" -ge "$best" ]; then
			best=${pps%.*}
			for f in "$OUT/$tag.run$r".*; do cp "$f" "$OUT/$tag.${f##*.run$r.}"; done
		fi
	done
}

printf '%-5s %5s %8s %4s | %10s | %10s %6s | %6s %6s %5s %5s | %10s | %7s\n' \
	proto size flows refl "ceil pps" "mg pps" "ratio" "cyc/p" "core/p" "busy" "rxhit" "new flow/s" "B/flow"
for cs in "${CASES[@]}"; do
	IFS=: read -r proto size flows reflect <<<"$cs"
	args=(--proto "$proto" --size "$size" --flows "$flows" --warmup "$WARMUP" --duration "$DURATION")
	[ "${reflect:-0}" = 1 ] && args+=(--reflect)
	tag="$proto-$size-$flows-${reflect:-0}"
	best_of "$tag.ceil" ceiling "${args[@]}"
	best_of "$tag.mg" dut "${args[@]}"
	$PY - "$OUT/$tag" "${reflect:-0}" <<'EOF'
import json, sys
base, reflect = sys.argv[1], sys.argv[2] == "1"
def res(path):
    return dict(kv.split("=") for kv in open(path).read().split()[1:])
c, m = res(base + ".ceil.result"), res(base + ".mg.result")
tsc = int(m["tsc_hz"])
s0, s1 = (json.load(open(base + ".mg." + k)) for k in ("s0", "s1"))
dp, dc, dt = s1["packets"] - s0["packets"], s1["busy_cycles"] - s0["busy_cycles"], s1["t"] - s0["t"]
# Packets per second through the forwarding core: both directions when the
# sink reflects.
cpps = float(c["rx_pps"]) + (float(c["back_pps"]) if reflect else 0)
mpps = float(m["rx_pps"]) + (float(m["back_pps"]) if reflect else 0)
cyc = dc / dp if dp else 0
core = tsc / (dp / dt) if dp and tsc else 0
busy = dc / (dt * tsc) * 100 if tsc else 0
dpolls = s1["polls"] - s0["polls"]
full = (s1["busy_polls"] - s0["busy_polls"]) / dpolls * 100 if dpolls else 0
nf = m["new_flows_per_s"] if int(m["setup_flows"]) >= 1000 else "-"
bpf = s1["ct_memory_bytes"] / 1100000
print("%-5s %5s %8s %4s | %10.0f | %10.0f %5.1f%% | %6.0f %6.0f %4.0f%% %4.0f%% | %10s | %7.1f" % (
    m["proto"], m["size"], m["flows"], "yes" if reflect else "no", cpps, mpps,
    mpps / cpps * 100 if cpps else 0, cyc, core, busy, full, nf, bpf))
EOF
done
echo "logs: $OUT (ceil = dpdk-testpmd io, mg = meshgate; *.drops = meshgate drops)"
