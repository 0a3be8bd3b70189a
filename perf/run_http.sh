#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# The L7 gateway benchmark (issue 4). Never part of the test suite.
#
#   perf/run_http.sh [memif|lab|all] [CASE ...]     CASE = mode:size[:conns]
#       mode keepalive or close (connection per request), size = response
#       body bytes; default cases keepalive:64 keepalive:16384 close:64
#       close:16384, conns $CONNS (64).
#
# memif: meshgate without a kernel on either side. mg_httpgen (perf/,
#   lib/tcp + lib/http) plays the HTTP clients on one memif port and the
#   endpoints on the other; meshgate runs perf/http-memif.cfg (one worker,
#   CPU 1; the generator on CPU 0):
#     mg_httpgen clients <-> [ext] meshgate [int] <-> mg_httpgen endpoints
#   Reported per case: requests/s; the worker's cycles per request, three
#   ways (see "Columns" below); how much of CPU 1 the worker really got.
#
# lab: the same wrk in namespace mg-client against three proxies in turn,
#   with the same nginx endpoints (scripts/lab.sh) behind, each proxy on
#   CPU 1 and everything else on CPU 0:
#     meshgate  cfg/lab-http.cfg (af_packet on mg-ext/mg-int), route
#               /static/ -> cluster "static" (nginx :80, least request)
#     nginx     reverse proxy, 1 worker, upstream keep-alive pool
#     haproxy   1 thread, http-reuse always
#   nginx and HAProxy run in the root namespace in meshgate's place: while
#   they run, the root ends of the lab's veths get meshgate's addresses
#   (10.10.0.1/24 + VIP 10.10.0.100 on mg-ext, 10.20.0.1/24 on mg-int), the
#   lab's nftables ingress drop is lifted and the ends answer ARP. Same
#   client, same backends, same wires, same run. Reported per case:
#   requests/s, latency, and the proxy's CPU per request (see "Columns").
#
# Environment: MG_BUILD_DIR (build), WARMUP (s, 2), DURATION (s, 5 memif,
#   10 lab), RUNS (memif repetitions: a row each, then the best by rate;
#   1), CONNS (64), MG_PERF_OUT (/tmp/meshgate-perf-http), PROFILE=1
#   (memif: perf record of the worker during each window, top symbols in
#   CASE.profile), ACCESS_LOG=1 (memif: the access log on), PROXIES (lab:
#   "meshgate nginx haproxy"), NICE (-10: see below; 0 leaves the
#   scheduling alone), WAF=1 (meshgate's listener gets the CRS 3.3.4 at
#   paranoia level 1 in block mode, as crs-setup.conf ships it: the WAF's
#   cost in the gateway), GEN_PATH (memif: the request target, "/" by
#   default; e.g. a query with arguments for the WAF; each "{n}" in it
#   becomes 8 hex digits new with every request), SCHEME=https (lab:
#   TLS 1.3 from wrk to each proxy, the lab's ECDSA P-256 certificate for
#   api.lab.test, plain HTTP to the endpoints; a "close" case is then a
#   full handshake per request).
#
# Columns (memif):
#   busy c/r      telemetry busy_cycles / requests: rdtsc around the RX
#                 bursts' pipeline (TCP, proxy, TX queueing); wall time, so
#                 it also counts any preemption of the worker inside a burst
#   cpu c/r       the worker thread's time on CPU (/proc schedstat) x TSC Hz
#                 / requests: everything the core did (memif RX/TX copies,
#                 timers, empty polls) and nothing while it was preempted
#   poll          cycles of one empty poll, measured on the idle worker for
#                 1 s before the generator starts
#   work c/r      (time on CPU - empty polls x poll) / requests: the
#                 worker's cost of a request, what transfers to a
#                 dedicated core
#   req/s/core    TSC Hz / work c/r: the rate one dedicated worker core
#                 sustains at that cost
#   share         worker time on CPU / wall time (below 100 %: other load
#                 on CPU 1 took the rest)
#   idle          polls that found nothing / polls
#   p50us, p99us  request latency at the generator (send to last byte)
#   gerr, mgerr   errors: the generator's (whole run: resets, bad
#                 responses, ...) and meshgate's /meshgate/http errors
# Columns (lab):
#   cpu us/req    the proxy's CPU per request: nginx and HAProxy: utime +
#                 stime of all their processes (/proc/PID/stat); meshgate:
#                 the worker thread's utime + stime (it sleeps 20 us after
#                 an empty poll, idle_sleep_us, so idle time is not counted)
#   usr, sys      the same split into user and system time (sys: system
#                 calls, and the kernel work they run inline, such as the
#                 receiving namespace's processing of a veth transmission)
#   busy us/req   meshgate only: telemetry busy_cycles / TSC Hz / requests
#                 (the pipeline; without the af_packet RX/TX system calls)
#   proc us/req   meshgate only: the whole process (main lcore too: access
#                 log, health checks, telemetry)
#   empty         meshgate only: polls that found nothing, per request (each
#                 followed by a 20 us sleep: a system call)
# Kernel work for a veth frame runs on the CPU that sends it (wrk and the
# endpoints on CPU 0), so each proxy's receive-side kernel processing is
# partly outside its own figures, for meshgate's af_packet as for the
# sockets of nginx and HAProxy.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
B=${MG_BUILD_DIR:-build}
GEN=$B/perf/mg_httpgen
MG=$B/app/meshgate
CFG=perf/http-memif.cfg
SOCK=/run/meshgate-perf
OUT=${MG_PERF_OUT:-/tmp/meshgate-perf-http}
WARMUP=${WARMUP:-2}
RUNS=${RUNS:-1}
CONNS=${CONNS:-64}
PY=/usr/bin/python3
PROXIES=${PROXIES:-"meshgate nginx haproxy"}
NICE=${NICE:--10}

what=all
case "${1:-}" in
memif|lab|all) what=$1; shift ;;
esac
if [ $# -gt 0 ]; then
	CASES=("$@")
else
	CASES=(keepalive:64 keepalive:16384 close:64 close:16384)
fi
# On a shared machine other sessions' load takes CPU time from ours; with
# autogroup scheduling (kernel.sched_autogroup_enabled) nice acts only
# within a session, so the benchmark runs in a session of its own whose
# group has nice $NICE (no controlling terminal: stop it with kill).
if [ "$NICE" != 0 ] && [ -z "${MG_PERF_SESSION:-}" ] && [ "$(id -u)" -eq 0 ]; then
	exec setsid -w env MG_PERF_SESSION=1 "$PWD/perf/run_http.sh" "$what" "${CASES[@]}"
fi
if [ "$NICE" != 0 ] && [ -w /proc/self/autogroup ]; then
	echo "$NICE" >/proc/self/autogroup
fi
for cs in "${CASES[@]}"; do
	[[ "$cs" =~ ^(keepalive|close):[0-9]+(:[0-9]+)?$ ]] ||
		{ echo "run_http.sh: bad case '$cs' (mode:size[:conns])" >&2; exit 2; }
done
[ "$(id -u)" -eq 0 ] || { echo "run_http.sh: must run as root" >&2; exit 1; }
[ -x "$MG" ] || { echo "run_http.sh: $MG missing: build first (MG_BUILD_DIR=$B)" >&2; exit 1; }
mkdir -p "$OUT"

# tel PREFIX CMD...: one JSON object {cmd: reply} from a DPDK telemetry socket.
tel() {
	$PY - "/var/run/dpdk/$1/dpdk_telemetry.v2" "${@:2}" <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
hello = json.loads(s.recv(4096))
out = {}
for c in sys.argv[2:]:
    s.send(c.encode())
    out.update(json.loads(s.recv(hello.get("max_output_len", 16384))))
print(json.dumps(out))
EOF
}

# worker_tid PID: the thread of meshgate's worker lcore.
worker_tid() {
	local t
	for t in /proc/"$1"/task/*; do
		if [ "$(cat "$t/comm" 2>/dev/null)" = rte-worker-1 ]; then
			echo "${t##*/}"
			return 0
		fi
	done
	return 1
}

# ------------------------------------------------------------------ memif

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
	rm -f "$SOCK/http-ext.sock" "$SOCK/http-int.sock"
}

# with_waf CFG: CFG on stdout with the CRS at paranoia level 1 (block mode)
# on every listener.
with_waf() {
	sed -e "s|^\(\t\tname = \"[a-z0-9]*\"; mode = \"http[s]*\";\)|\1 waf = \"crs\";|" \
		"$1"
	cat <<-EOF
	waf = ( {
		name = "crs";
		setup = "/etc/modsecurity/crs/crs-setup.conf";
		rules_dir = "/usr/share/modsecurity-crs/rules";
		paranoia_level = 1;
		mode = "block";
		cache_dir = "/var/cache/meshgate/waf";
	} );
	EOF
}

start_dut() {
	local cfg=$OUT/http-memif-run.cfg
	rm -f "$SOCK/http-ext.sock" "$SOCK/http-int.sock"
	if [ "${WAF:-0}" = 1 ]; then
		with_waf "$CFG" >"$cfg"
	else
		cp "$CFG" "$cfg"
	fi
	if [ "${ACCESS_LOG:-0}" = 1 ]; then
		sed -i -e 's/access_log = false;/access_log = true;/' \
		    -e "s|^logging = {|logging = {\n\taccess_log = \"$OUT/access.log\";|" \
		    "$cfg"
	fi
	nice -n "$NICE" "$MG" -c "$cfg" >"$OUT/meshgate.log" 2>&1 &
	dut_pid=$!
	# a first load of the CRS compiles its databases (a minute or two)
	for _ in $(seq $(( ${WAF:-0} == 1 ? 1800 : 100 ))); do
		if [ -S "$SOCK/http-ext.sock" ] && [ -S "$SOCK/http-int.sock" ] &&
		   grep -q "meshgate: ready" "$OUT/meshgate.log"; then
			sleep 0.2
			return 0
		fi
		sleep 0.1
	done
	echo "run_http.sh: meshgate did not start (see $OUT/meshgate.log)" >&2
	return 1
}

# snap FILE: telemetry, then at once the worker thread's scheduler times
# and the clock.
snap() {
	$PY - "/proc/$dut_pid/task/$(worker_tid "$dut_pid")/schedstat" >"$1" <<'EOF'
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect("/var/run/dpdk/mgperf-http/dpdk_telemetry.v2")
hello = json.loads(s.recv(4096))
out = {}
for c in ("/meshgate/lcores", "/meshgate/http"):
    s.send(c.encode())
    out.update(json.loads(s.recv(hello.get("max_output_len", 16384))))
st = open(sys.argv[1]).read().split()
print(json.dumps(out))
print("schedstat %s %s %s %.6f" % (st[0], st[1], st[2], time.monotonic()))
EOF
}

# run_gen TAG GENARGS...
run_gen() {
	local tag=$1 perf_pid="" tid
	shift
	rm -f "$OUT/$tag".[!i]*
	nice -n "$NICE" "$GEN" -l 0 --file-prefix mgperf-hgen --single-file-segments --no-pci \
		--log-level=notice \
		"--vdev=net_memif0,role=client,socket=$SOCK/http-ext.sock,socket-abstract=no,id=0,mac=02:6d:67:00:01:11,zero-copy=yes,rsize=12" \
		"--vdev=net_memif1,role=client,socket=$SOCK/http-int.sock,socket-abstract=no,id=0,mac=02:6d:67:00:01:12,zero-copy=yes,rsize=12" \
		-- "$@" 2>"$OUT/$tag.gen.err" | while IFS= read -r line; do
		case "$line" in
		window-start)
			snap "$OUT/$tag.s0"
			if [ "${PROFILE:-0}" = 1 ]; then
				tid=$(worker_tid "$dut_pid")
				perf record -q -t "$tid" -e cpu-clock -F 2999 \
					-o "$OUT/$tag.perf.data" >/dev/null 2>&1 &
				echo $! >"$OUT/$tag.perf.pid"
			fi ;;
		window-end)
			snap "$OUT/$tag.s1"
			if [ -f "$OUT/$tag.perf.pid" ]; then
				perf_pid=$(cat "$OUT/$tag.perf.pid")
				kill -INT "$perf_pid" 2>/dev/null || true
				while kill -0 "$perf_pid" 2>/dev/null; do sleep 0.1; done
			fi ;;
		result*)
			echo "$line" >"$OUT/$tag.result"
			# meshgate goes first (see the end of mg_httpgen.c)
			kill -INT "$dut_pid" 2>/dev/null || true ;;
		esac
	done || true	# what counts is the result line (not the exit status:
			# DPDK's teardown after it may fail)
	[ -s "$OUT/$tag.result" ] || { echo "run_http.sh: no result for $tag (see $OUT/$tag.gen.err)" >&2; return 1; }
	if [ -f "$OUT/$tag.perf.data" ]; then
		perf report -i "$OUT/$tag.perf.data" --no-children --sort dso,symbol \
			--stdio -g none 2>/dev/null | grep '%' | head -40 >"$OUT/$tag.profile" || true
	fi
}

# memif_row FILES-BASE LABEL: one table row from a run's files.
memif_row() {
	$PY - "$1" "$2" <<'EOF'
import json, sys
base, label = sys.argv[1:3]
res = dict(kv.split("=", 1) for kv in open(base + ".result").read().split()[1:])
def load(k):
    lines = open(base + "." + k).read().splitlines()
    f = lines[1].split()
    return json.loads(lines[0]), int(f[1]), float(f[4])
(t0, run0, w0), (t1, run1, w1) = load("s0"), load("s1")
(i0, irun0, _), (i1, irun1, _) = load("i0"), load("i1")
tsc = int(res["tsc_hz"])
lc = lambda t: t["/meshgate/lcores"]["worker0"]
ipolls = lc(i1)["polls"] - lc(i0)["polls"]
poll_cost = (irun1 - irun0) * 1e-9 * tsc / ipolls if ipolls else 0
req = t1["/meshgate/http"]["responses"] - t0["/meshgate/http"]["responses"]
dt = w1 - w0
oncpu = (run1 - run0) * 1e-9 * tsc
polls = lc(t1)["polls"] - lc(t0)["polls"]
empty = polls - (lc(t1)["busy_polls"] - lc(t0)["busy_polls"])
busy = (lc(t1)["busy_cycles"] - lc(t0)["busy_cycles"]) / req if req else 0
cpu = oncpu / req if req else 0
work = (oncpu - empty * poll_cost) / req if req else 0
idle = 100.0 * empty / polls if polls else 0
share = 100.0 * (run1 - run0) * 1e-9 / dt
skip = ("mode", "conns", "size", "responses", "rps", "resp_gbps", "connects_per_s",
        "srv_requests", "srv_accepts", "lat_p50_us", "lat_p99_us", "lat_p999_us",
        "gen_busy_polls_pct", "tx_refused", "cli_retransmits", "srv_retransmits", "tsc_hz")
errs = sum(int(v) for k, v in res.items() if k not in skip)
e0, e1 = t0["/meshgate/http"]["errors"], t1["/meshgate/http"]["errors"]
mgerr = sum(e1[k] - e0[k] for k in e1)
print("%-9s %6s %5s %4s | %9.0f %9.0f | %8.0f %8.0f %4.0f %8.0f %9.0f | %5.0f%% %5.1f%% | %5s %6s | %4d %4d" % (
    res["mode"], res["size"], res["conns"], label, float(res["rps"]), req / dt,
    busy, cpu, poll_cost, work, tsc / work if work > 0 else 0, share, idle,
    res["lat_p50_us"], res["lat_p99_us"], errs, mgerr))
EOF
}

memif_case() {	# memif_case MODE SIZE CONNS
	local mode=$1 size=$2 conns=$3 tag best=-1 r rps
	tag=memif-$mode-$size-$conns
	for r in $(seq "$RUNS"); do
		start_dut
		# the cost of an empty poll, on the idle worker
		snap "$OUT/$tag.run$r.i0"
		sleep 1
		snap "$OUT/$tag.run$r.i1"
		run_gen "$tag.run$r" --mode "$mode" --size "$size" --conns "$conns" \
			--path "${GEN_PATH:-/}" \
			--warmup "$WARMUP" --duration "${DURATION:-5}"
		stop_dut
		memif_row "$OUT/$tag.run$r" "r$r"
		rps=$(tr ' ' '\n' <"$OUT/$tag.run$r.result" | sed -n 's/^rps=//p')
		if [ "${rps%.*}" -gt "$best" ]; then
			best=${rps%.*}
			for f in "$OUT/$tag.run$r".*; do cp "$f" "$OUT/$tag.${f##*.run"$r".}"; done
		fi
	done
	[ "$RUNS" -gt 1 ] && memif_row "$OUT/$tag" best
	return 0
}

run_memif() {
	[ -x "$GEN" ] || { echo "run_http.sh: $GEN missing: build first" >&2; exit 1; }
	mkdir -p "$SOCK"
	trap stop_dut EXIT
	echo "memif: mg_httpgen (CPU 0) <-> meshgate perf/http-memif.cfg (worker CPU 1)"
	printf '%-9s %6s %5s %4s | %9s %9s | %8s %8s %4s %8s %9s | %6s %6s | %5s %6s | %4s %4s\n' \
		mode size conns run "gen req/s" "mg req/s" "busy c/r" "cpu c/r" "poll" \
		"work c/r" "req/s/core" "share" "idle" "p50us" "p99us" "gerr" "mgerr"
	for cs in "${CASES[@]}"; do
		IFS=: read -r mode size conns <<<"$cs"
		memif_case "$mode" "$size" "${conns:-$CONNS}"
	done
	trap - EXIT
}

# -------------------------------------------------------------------- lab

# "USER SYSTEM": CPU seconds (utime, stime) of the processes or threads
# given as /proc paths.
cpu_s() {
	local f u=0 k=0 hz
	local -a st
	hz=$(getconf CLK_TCK)
	for f in "$@"; do
		[ -r "$f/stat" ] || continue
		read -r -a st < <(sed 's/.*) //' "$f/stat")
		u=$((u + st[11]))
		k=$((k + st[12]))
	done
	echo "$u $k $hz" | awk '{printf "%.3f %.3f\n", $1 / $3, $2 / $3}'
}

# proxy_paths PROXY WHAT: /proc paths whose CPU time counts. WHAT "cpu":
# the proxy's figure (meshgate: its worker thread; nginx, HAProxy: all
# their processes); "proc": meshgate's whole process.
proxy_paths() {
	local p
	case "$1:$2" in
	meshgate:cpu) echo "/proc/$MG_PID/task/$(worker_tid "$MG_PID")" ;;
	meshgate:proc) echo "/proc/$MG_PID" ;;
	*:cpu)
		echo "/proc/$kproxy_pid"
		for p in $(pgrep -P "$kproxy_pid"); do echo "/proc/$p"; done ;;
	esac
}

SCHEME=${SCHEME:-http}
LAB_URL=$SCHEME://10.10.0.100/static
PKI=/run/meshgate-lab/pki

# The meshgate configuration of the lab run: cfg/lab-http.cfg, with TLS on
# 443 for SCHEME=https, with the WAF for WAF=1.
lab_mg_cfg() {
	local cfg=$OUT/lab-run.cfg tls
	tls="tls = { certificates = ( { cert = \"$PKI/api-ecdsa.crt\"; key = \"$PKI/api-ecdsa.key\"; } );"
	tls="$tls default_certificate = 0; ticket_keys = \"$PKI/tickets.key\"; };"
	if [ "${WAF:-0}" = 1 ]; then
		with_waf "$ROOT/cfg/lab-http.cfg"
	else
		cat "$ROOT/cfg/lab-http.cfg"
	fi >"$cfg"
	if [ "$SCHEME" = https ]; then
		sed -i "s|\(name = \"web\"; mode = \)\"http\"\(.*\)listen_port = 80;|\1\"https\"\2listen_port = 443; $tls|" "$cfg"
	fi
	echo "$cfg"
}

# lab_case PROXY MODE SIZE CONNS: wrk from mg-client, CPU figures around it.
lab_case() {
	local proxy=$1 mode=$2 size=$3 conns=$4 tag cu0 ck0 cu1 ck1 pu0 pk0 pu1 pk1
	local -a hdr=() paths ppaths
	tag=lab-$proxy-$mode-$size-$conns
	[ "$mode" = close ] && hdr=(-H "Connection: close")
	mapfile -t paths < <(proxy_paths "$proxy" cpu)
	mapfile -t ppaths < <(proxy_paths "$proxy" proc)
	# warm-up: connections, pools, caches
	taskset -c 0 ip netns exec mg-client wrk -t1 -c"$conns" -d"${WARMUP}s" \
		"${hdr[@]}" "$LAB_URL/perf-$size.bin" >/dev/null 2>&1 || true
	[ "$proxy" = meshgate ] && tel "$MG_FILE_PREFIX" /meshgate/lcores /meshgate/http >"$OUT/$tag.t0"
	read -r cu0 ck0 < <(cpu_s "${paths[@]}")
	read -r pu0 pk0 < <(cpu_s "${ppaths[@]:-/nonexistent}")
	taskset -c 0 ip netns exec mg-client wrk -t1 -c"$conns" -d"${DURATION:-10}s" \
		--latency "${hdr[@]}" "$LAB_URL/perf-$size.bin" >"$OUT/$tag.wrk" 2>&1 || true
	read -r cu1 ck1 < <(cpu_s "${paths[@]}")
	read -r pu1 pk1 < <(cpu_s "${ppaths[@]:-/nonexistent}")
	[ "$proxy" = meshgate ] && tel "$MG_FILE_PREFIX" /meshgate/lcores /meshgate/http >"$OUT/$tag.t1"
	$PY - "$OUT/$tag" "$proxy" "$mode" "$size" "$conns" "$cu0" "$ck0" "$cu1" \
		"$ck1" "$pu0" "$pk0" "$pu1" "$pk1" <<'EOF'
import json, os, re, sys
base, proxy, mode, size, conns = sys.argv[1:6]
cu0, ck0, cu1, ck1, pu0, pk0, pu1, pk1 = map(float, sys.argv[6:14])
w = open(base + ".wrk").read()
m = re.search(r"^\s*(\d+) requests in", w, re.M)
reqs = int(m.group(1)) if m else 0
m = re.search(r"Requests/sec:\s*([\d.]+)", w)
rps = float(m.group(1)) if m else 0
lat = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", w, re.M))
errs = 0
m = re.search(r"Non-2xx or 3xx responses: (\d+)", w)
errs += int(m.group(1)) if m else 0
m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", w)
errs += sum(map(int, m.groups())) if m else 0
us = lambda s: s / reqs * 1e6 if reqs else 0
busy = proc = empty = "-"
if proxy == "meshgate" and os.path.exists(base + ".t0"):
    a, b = json.load(open(base + ".t0")), json.load(open(base + ".t1"))
    wa, wb = a["/meshgate/lcores"]["worker0"], b["/meshgate/lcores"]["worker0"]
    busy = "%.2f" % us((wb["busy_cycles"] - wa["busy_cycles"]) /
                       float(os.environ["TSC_HZ"]))
    proc = "%.2f" % us(pu1 + pk1 - pu0 - pk0)
    polls = wb["polls"] - wa["polls"] - (wb["busy_polls"] - wa["busy_polls"])
    empty = "%.1f" % (polls / reqs if reqs else 0)
print("%-8s %-9s %6s %5s | %9.0f %9s %9s | %8.2f %6.2f %6.2f %6s %6s %5s | %6s" % (
    proxy, mode, size, conns, rps, lat.get("50", "-"), lat.get("99", "-"),
    us(cu1 + ck1 - cu0 - ck0), us(cu1 - cu0), us(ck1 - ck0), busy, proc,
    empty, errs))
EOF
}

# Root ends of the lab's veths as a kernel proxy's interfaces, and back.
NFT_SAVE=
kernel_ends_on() {
	NFT_SAVE=$OUT/nft-lab.save
	nft list table netdev meshgate_lab >"$NFT_SAVE" 2>/dev/null &&
		nft delete table netdev meshgate_lab || NFT_SAVE=
	sysctl -q -w net.ipv4.conf.mg-ext.arp_ignore=0 net.ipv4.conf.mg-int.arp_ignore=0
	ip addr add 10.10.0.1/24 dev mg-ext
	ip addr add 10.10.0.100/32 dev mg-ext
	ip addr add 10.20.0.1/24 dev mg-int
}

kernel_ends_off() {
	ip addr flush dev mg-ext 2>/dev/null || true
	ip addr flush dev mg-int 2>/dev/null || true
	sysctl -q -w net.ipv4.conf.mg-ext.arp_ignore=8 net.ipv4.conf.mg-int.arp_ignore=8 || true
	if [ -n "$NFT_SAVE" ]; then
		nft -f "$NFT_SAVE" || true
		NFT_SAVE=
	fi
	# the namespaces' ARP caches hold the root ends' MACs: forget them
	ip netns exec mg-client ip neigh flush all 2>/dev/null || true
	ip netns exec mg-backend ip neigh flush all 2>/dev/null || true
}

write_nginx_conf() {
	cat >"$OUT/nginx-proxy.conf" <<EOF
# nginx as the reverse proxy of perf/run_http.sh: one worker (CPU 1), the
# endpoints in a keep-alive pool, the same prefix strip as meshgate's route
# and the same forwarded headers.
worker_processes 1;
daemon off;
pid $OUT/nginx-proxy.pid;
error_log $OUT/nginx-proxy.err warn;
events { worker_connections 16384; }
http {
	access_log off;
	server_tokens off;
	client_body_temp_path $OUT/nginx-tmp/body;
	proxy_temp_path $OUT/nginx-tmp/proxy;
	fastcgi_temp_path $OUT/nginx-tmp/fastcgi;
	uwsgi_temp_path $OUT/nginx-tmp/uwsgi;
	scgi_temp_path $OUT/nginx-tmp/scgi;
	upstream static {
		least_conn;
		server 10.20.0.11:80;
		server 10.20.0.12:80;
		server 10.20.0.13:80;
		keepalive 1024;
	}
	server {
		listen 10.10.0.100:80 backlog=4096;
		listen 10.10.0.100:443 ssl backlog=4096;
		ssl_certificate $PKI/api-ecdsa.crt;
		ssl_certificate_key $PKI/api-ecdsa.key;
		ssl_protocols TLSv1.2 TLSv1.3;
		keepalive_requests 1000000;
		location /static/ {
			proxy_pass http://static/;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
			proxy_set_header X-Forwarded-Proto \$scheme;
			proxy_set_header X-Request-Id \$request_id;
			proxy_buffering on;
		}
	}
}
EOF
	mkdir -p "$OUT/nginx-tmp"
}

write_haproxy_conf() {
	cat "$PKI/api-ecdsa.crt" "$PKI/api-ecdsa.key" >"$OUT/haproxy.pem"
	cat >"$OUT/haproxy-proxy.conf" <<EOF
# HAProxy as the reverse proxy of perf/run_http.sh: one thread (CPU 1),
# server-side connection reuse, the same prefix strip as meshgate's route
# and the same forwarded headers.
global
	nbthread 1
	maxconn 8000
defaults
	mode http
	timeout connect 1s
	timeout client 30s
	timeout server 30s
	option http-keep-alive
	http-reuse always
frontend web
	bind 10.10.0.100:80
	bind 10.10.0.100:443 ssl crt $OUT/haproxy.pem
	http-request set-header X-Request-Id %[uuid]
	option forwardfor
	http-request set-header X-Forwarded-Proto http
	use_backend static if { path_beg /static/ }
backend static
	balance leastconn
	http-request replace-path /static(/.*) \1
	server e11 10.20.0.11:80 maxconn 1000
	server e12 10.20.0.12:80 maxconn 1000
	server e13 10.20.0.13:80 maxconn 1000
EOF
}

kproxy_pid=

start_kproxy() {
	case "$1" in
	nginx)
		write_nginx_conf
		taskset -c 1 nginx -c "$OUT/nginx-proxy.conf" -e "$OUT/nginx-proxy.err" \
			</dev/null >/dev/null 2>&1 &
		kproxy_pid=$! ;;
	haproxy)
		write_haproxy_conf
		taskset -c 1 haproxy -db -f "$OUT/haproxy-proxy.conf" \
			</dev/null >"$OUT/haproxy-proxy.err" 2>&1 &
		kproxy_pid=$! ;;
	esac
	wait_for 10 in_client curl -skf -o /dev/null "$LAB_URL/perf-64.bin" ||
		{ echo "run_http.sh: $1 does not answer" >&2; return 1; }
}

stop_kproxy() {
	[ -n "$kproxy_pid" ] || return 0
	kill -TERM "$kproxy_pid" 2>/dev/null || true
	mg_wait_gone "$kproxy_pid" 50 || kill -KILL "$kproxy_pid" 2>/dev/null || true
	wait "$kproxy_pid" 2>/dev/null || true
	kproxy_pid=
}

run_lab() {
	local proxy cs mode size conns p
	# shellcheck source=tests/lab/lib.sh
	MG_BUILD_DIR=$ROOT/$B
	MG_BIN=$ROOT/$MG
	. "$ROOT/tests/lab/lib.sh"
	lab_require wrk taskset nft
	for p in $PROXIES; do
		[ "$p" = meshgate ] || mg_have "$p" ||
			{ echo "run_http.sh: $p not installed (apt-get install $p)" >&2; exit 1; }
	done
	# lab.sh up takes down a lab already up: it may be someone's
	if mg_netns_exists mg-client || mg_netns_exists mg-backend ||
	   mg_link_exists mg-ext; then
		echo "run_http.sh: the lab is up (in use?): scripts/lab.sh down first" >&2
		exit 1
	fi
	lab_up
	trap 'rc=$?; set +e; stop_kproxy; kernel_ends_off; (exit $rc); _lab_cleanup' EXIT
	for s in "${CASES[@]}"; do
		IFS=: read -r _ size _ <<<"$s"
		head -c "$size" /dev/zero | tr '\0' 'x' >"/run/meshgate-lab/www/perf-$size.bin"
	done
	head -c 64 /dev/zero | tr '\0' 'x' >/run/meshgate-lab/www/perf-64.bin
	# everything but the proxy on CPU 0
	for p in $(ip netns pids mg-backend); do taskset -a -p -c 0 "$p" >/dev/null; done
	# busy_cycles count TSC ticks; the kernel's TSC rate
	export TSC_HZ
	TSC_HZ=$(awk '/^cpu MHz/ {print $4 * 1e6; exit}' /proc/cpuinfo)
	echo "lab: wrk -t1 (mg-client, CPU 0) -> $SCHEME -> proxy (CPU 1) -> nginx endpoints (CPU 0)${WAF:+ (meshgate with the WAF)}"
	printf '%-8s %-9s %6s %5s | %9s %9s %9s | %8s %6s %6s %6s %6s %5s | %6s\n' \
		proxy mode size conns "req/s" "p50" "p99" "cpu us/r" "usr" "sys" \
		"busy" "proc" "empty" errors
	for proxy in $PROXIES; do
		case "$proxy" in
		meshgate)
			MG_FILE_PREFIX=meshgate
			[ "${WAF:-0}" = 1 ] && MG_START_TIMEOUT=180
			mg_start "$(lab_mg_cfg)"
			wait_for 10 in_client curl -skf -o /dev/null "$LAB_URL/perf-64.bin" ||
				{ echo "run_http.sh: meshgate does not answer" >&2; exit 1; } ;;
		*)
			kernel_ends_on
			start_kproxy "$proxy" ;;
		esac
		for cs in "${CASES[@]}"; do
			IFS=: read -r mode size conns <<<"$cs"
			lab_case "$proxy" "$mode" "$size" "${conns:-$CONNS}"
		done
		case "$proxy" in
		meshgate) mg_stop >/dev/null 2>&1 || true ;;
		*) stop_kproxy; kernel_ends_off ;;
		esac
	done
}

case "$what" in
memif) run_memif ;;
lab) run_lab ;;
all) run_memif; run_lab ;;
esac
echo "logs: $OUT"
