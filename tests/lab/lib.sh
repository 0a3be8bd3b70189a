# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# Helpers for lab tests written in bash. Source it from a test that runs
# with `set -euo pipefail`:
#
#   . "$(dirname "$0")/lib.sh"
#   lab_require                     # exit 77 (skip) unless root with the tools
#   lab_up                          # scripts/lab.sh up + cleanup on any exit
#                                   # (one lab test at a time: a lock)
#   mg_start "$cfg"                 # appliance in the background, ready
#   check "v4 through VIP" in_client curl -sf http://10.10.0.100/
#   check_eq "endpoint" "endpoint 10.20.0.11" "$(in_backend curl -s http://10.20.0.11/)"
#   mg_telemetry /ethdev/stats,0 /ethdev/stats ipackets
#   mg_stop
#   lab_done                        # "N passed, N failed"; non-zero on failures
#
# Environment:
#   MG_BUILD_DIR        build directory holding app/meshgate (default: build)
#   MG_BIN              the appliance binary (default: $MG_BUILD_DIR/app/meshgate)
#   MG_READY_PATTERN    line that says the appliance is up ("meshgate: ready")
#   MG_START_TIMEOUT    seconds mg_start waits for it (default 30)
#   MG_FILE_PREFIX      EAL file prefix for mg_telemetry (default: from the
#                       configuration's file_prefix, else "meshgate")
#   MG_KEEP_TMP=1       keep the temporary directory (logs) after the test

MG_LAB_LIB_DIR=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
MG_ROOT=$(readlink -f "$MG_LAB_LIB_DIR/../..")
# shellcheck source=scripts/lib/common.sh
. "$MG_ROOT/scripts/lib/common.sh"

MG_LAB=$MG_ROOT/scripts/lab.sh
: "${MG_BUILD_DIR:=$MG_ROOT/build}"
: "${MG_BIN:=$MG_BUILD_DIR/app/meshgate}"
: "${MG_READY_PATTERN:=meshgate: ready}"
: "${MG_START_TIMEOUT:=30}"
: "${MG_DPDK_RUNDIR:=/var/run/dpdk}"
MG_PROG=${MG_PROG:-${0##*/}}

MG_TMP=${MG_TMP:-$(mktemp -d "${TMPDIR:-/tmp}/mg-lab.XXXXXX")}
MG_LOG=$MG_TMP/meshgate.log
MG_PID=
MG_EXIT_STATUS=
MG_LAB_IS_UP=0
MG_PASSED=0
MG_FAILED=0

in_client() { ip netns exec mg-client "$@"; }
in_backend() { ip netns exec mg-backend "$@"; }

# lab_require [TOOL...]: skip the test (exit 77, meson's SKIP) unless it runs
# as root and finds ip, nginx, the appliance binary and the tools named.
lab_require() {
	local t
	if [ "$(id -u)" -ne 0 ]; then
		echo "skip: lab tests need root" >&2
		exit 77
	fi
	for t in ip ethtool nginx curl /usr/bin/python3 "$MG_BIN" "$@"; do
		if ! mg_have "$t"; then
			echo "skip: $t not found (scripts/setup.sh, or build first)" >&2
			exit 77
		fi
	done
}

# mg_hugepages_ok: hugetlbfs is mounted and has free pages (else configure
# dataplane.hugepages = false).
mg_hugepages_ok() {
	awk '$3 == "hugetlbfs" {f = 1} END {exit !f}' /proc/mounts &&
		[ "$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)" -gt 0 ]
}

_lab_cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ -n "$MG_PID" ]; then mg_stop >/dev/null 2>&1 || true; fi
	if [ "$MG_LAB_IS_UP" = 1 ]; then _mg_nolock "$MG_LAB" down || true; fi
	if [ "${MG_KEEP_TMP:-0}" = 1 ] || [ "$rc" -ne 0 ]; then
		echo "# logs kept in $MG_TMP" >&2
	else
		rm -rf "$MG_TMP"
	fi
	exit "$rc"
}

# The lab's names and addresses are fixed, so two tests cannot share the
# machine: lab_up holds this lock until the test exits (meson may run lab
# tests in parallel; they then take turns). Children get the fd closed, so
# a process left behind cannot hold the lock.
MG_LAB_LOCK=${MG_LAB_LOCK:-/run/meshgate-lab.lock}
: "${MG_LAB_LOCK_TIMEOUT:=600}"
MG_LAB_LOCK_FD=

_lab_lock() {
	exec {MG_LAB_LOCK_FD}>>"$MG_LAB_LOCK"
	if ! flock -n "$MG_LAB_LOCK_FD"; then
		echo "# waiting for another lab test (lock $MG_LAB_LOCK)" >&2
		flock -w "$MG_LAB_LOCK_TIMEOUT" "$MG_LAB_LOCK_FD" ||
			{ mg_msg "lab busy for ${MG_LAB_LOCK_TIMEOUT}s"; return 1; }
	fi
}

# _mg_nolock CMD...: run CMD without the lock's fd.
_mg_nolock() {
	if [ -n "$MG_LAB_LOCK_FD" ]; then
		"$@" {MG_LAB_LOCK_FD}>&-
	else
		"$@"
	fi
}

# lab_up: bring the lab up; the appliance (if started) is stopped and the
# lab taken down when the test exits, however it exits.
lab_up() {
	trap _lab_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	_lab_lock
	MG_LAB_IS_UP=1
	_mg_nolock "$MG_LAB" up >&2
}

# lab_up_nocleanup: bring the lab up and leave it (and the appliance) when
# the script exits, e.g. for a demo; `scripts/lab.sh down` removes it.
lab_up_nocleanup() {
	"$MG_LAB" up >&2
}

lab_down() {
	_mg_nolock "$MG_LAB" down
	MG_LAB_IS_UP=0
}

# mg_start CFG [ARGS...]: start $MG_BIN -c CFG ARGS in the background, its
# output in $MG_LOG, and wait for $MG_READY_PATTERN. Fails, showing the end
# of the log, if the appliance exits or is not ready in $MG_START_TIMEOUT s.
mg_start() {
	local cfg=$1 dev deadline prefix
	shift
	[ -z "$MG_PID" ] || { mg_msg "mg_start: already running (pid $MG_PID)"; return 1; }
	[ -x "$MG_BIN" ] || { mg_msg "mg_start: $MG_BIN not built"; return 1; }
	if [ "$MG_LAB_IS_UP" = 1 ]; then
		for dev in mg-ext mg-int; do
			mg_link_exists "$dev" || { mg_msg "mg_start: $dev missing (lab not up?)"; return 1; }
		done
	fi
	if [ -z "${MG_FILE_PREFIX:-}" ]; then
		prefix=$(sed -n 's/^[^#]*file_prefix[[:space:]]*[=:][[:space:]]*"\([^"]*\)".*/\1/p' \
			"$cfg" 2>/dev/null | head -n1)
		MG_FILE_PREFIX=${prefix:-meshgate}
	fi
	: >"$MG_LOG"
	# A plain background command, so that $! is the appliance itself.
	if [ -n "$MG_LAB_LOCK_FD" ]; then
		"$MG_BIN" -c "$cfg" "$@" >>"$MG_LOG" 2>&1 </dev/null {MG_LAB_LOCK_FD}>&- &
	else
		"$MG_BIN" -c "$cfg" "$@" >>"$MG_LOG" 2>&1 </dev/null &
	fi
	MG_PID=$!
	MG_EXIT_STATUS=
	deadline=$((SECONDS + MG_START_TIMEOUT))
	while :; do
		if grep -qF -- "$MG_READY_PATTERN" "$MG_LOG"; then
			return 0
		fi
		if ! kill -0 "$MG_PID" 2>/dev/null; then
			wait "$MG_PID" 2>/dev/null && MG_EXIT_STATUS=0 || MG_EXIT_STATUS=$?
			mg_msg "mg_start: meshgate exited (status $MG_EXIT_STATUS) before it was ready:"
			tail -n 30 "$MG_LOG" | sed 's/^/# /' >&2
			MG_PID=
			return 1
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			mg_msg "mg_start: not ready after ${MG_START_TIMEOUT}s:"
			tail -n 30 "$MG_LOG" | sed 's/^/# /' >&2
			mg_stop >/dev/null 2>&1 || true
			return 1
		fi
		sleep 0.1
	done
}

# mg_stop: SIGTERM, up to 10 s to exit, then SIGKILL. Returns 0 only if the
# appliance exited by itself with status 0; the status is in $MG_EXIT_STATUS.
mg_stop() {
	local n=100 killed=0
	[ -n "$MG_PID" ] || return 0
	kill -TERM "$MG_PID" 2>/dev/null || true
	while [ "$n" -gt 0 ] && kill -0 "$MG_PID" 2>/dev/null; do
		sleep 0.1
		n=$((n - 1))
	done
	if kill -0 "$MG_PID" 2>/dev/null; then
		mg_msg "mg_stop: still running after 10 s, SIGKILL"
		kill -KILL "$MG_PID" 2>/dev/null || true
		killed=1
	fi
	wait "$MG_PID" 2>/dev/null && MG_EXIT_STATUS=0 || MG_EXIT_STATUS=$?
	MG_PID=
	echo "# meshgate exited with status $MG_EXIT_STATUS; last lines of $MG_LOG:" >&2
	tail -n 10 "$MG_LOG" | sed 's/^/#   /' >&2
	[ "$killed" = 0 ] && [ "$MG_EXIT_STATUS" = 0 ]
}

# lab_waf_cfg [block]: print the path of cfg/lab-waf.cfg made runnable from
# anywhere ($MG_TMP/lab-waf.cfg: the regression setup file by absolute path,
# the audit log in $MG_TMP/waf-audit.log, the databases' cache in
# $MG_WAF_TEST_CACHE if set). "block": the policy "crs", blocking at
# paranoia level 1 with crs-setup.conf alone, as a deployment runs the CRS.
lab_waf_cfg() {
	local out=$MG_TMP/lab-waf.cfg
	sed -e "s|\"tests/waf/|\"$MG_ROOT/tests/waf/|" \
		-e "s|/run/meshgate-lab/waf-audit.log|$MG_TMP/waf-audit.log|" \
		-e "s|\"/var/cache/meshgate/waf\"|\"${MG_WAF_TEST_CACHE:-/var/cache/meshgate/waf}\"|" \
		"$MG_ROOT/cfg/lab-waf.cfg" >"$out"
	if [ "${1:-}" = block ]; then
		sed -i -e 's/mode = "detect";/mode = "block";/' \
			-e 's/paranoia_level = 4;/paranoia_level = 1;/' -e '/pre_files/d' \
			-e 's/"crs-regression";/"crs";/' "$out"
	fi
	echo "$out"
}

# mg_running: the appliance started by mg_start is still alive.
mg_running() { [ -n "$MG_PID" ] && kill -0 "$MG_PID" 2>/dev/null; }

# mg_telemetry CMD [KEY...]: send CMD (e.g. "/ethdev/stats,0") to the DPDK
# telemetry socket of the running appliance and print the JSON reply; with
# KEYs, print only the value found by walking them (object keys or list
# indexes), as JSON unless it is a string or a number.
mg_telemetry() {
	local sock=$MG_DPDK_RUNDIR/${MG_FILE_PREFIX:-meshgate}/dpdk_telemetry.v2
	/usr/bin/python3 - "$sock" "$@" <<-'EOF'
		import json, socket, sys
		path, cmd, keys = sys.argv[1], sys.argv[2], sys.argv[3:]
		s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
		s.settimeout(5)
		try:
		    s.connect(path)
		except OSError as e:
		    sys.exit("mg_telemetry: %s: %s" % (path, e))
		hello = json.loads(s.recv(1024).decode())
		s.send(cmd.encode())
		reply = json.loads(s.recv(hello.get("max_output_len", 16384)).decode())
		for k in keys:
		    try:
		        reply = reply[int(k)] if isinstance(reply, list) else reply[k]
		    except (KeyError, IndexError, ValueError, TypeError):
		        sys.exit("mg_telemetry: no %r in reply to %s" % (k, cmd))
		if isinstance(reply, (str, int, float)) and not isinstance(reply, bool):
		    print(reply)
		else:
		    print(json.dumps(reply))
	EOF
}

# wait_for "CMD" TIMEOUT   or   wait_for TIMEOUT CMD [ARGS...]
# Poll CMD (a string is run with eval) every 0.2 s until it succeeds;
# fail after TIMEOUT seconds.
wait_for() {
	local timeout deadline
	local -a cmd
	if [ $# -eq 2 ] && [[ "$2" =~ ^[0-9]+$ ]] && ! [[ "$1" =~ ^[0-9]+$ ]]; then
		timeout=$2
		cmd=(eval "$1")
	elif [ $# -ge 2 ] && [[ "$1" =~ ^[0-9]+$ ]]; then
		timeout=$1
		shift
		cmd=("$@")
	else
		mg_msg "usage: wait_for \"CMD\" TIMEOUT | wait_for TIMEOUT CMD [ARGS...]"
		return 2
	fi
	deadline=$(($(date +%s%N) / 1000000 + timeout * 1000))
	until "${cmd[@]}" >/dev/null 2>&1; do
		[ "$(($(date +%s%N) / 1000000))" -lt "$deadline" ] || return 1
		sleep 0.2
	done
}

# ------------------------------------------------------------- assertions

_mg_result() {
	local ok=$1 name=$2
	if [ "$ok" = 1 ]; then
		MG_PASSED=$((MG_PASSED + 1))
		echo "ok - $name"
	else
		MG_FAILED=$((MG_FAILED + 1))
		echo "not ok - $name"
	fi
}

# check NAME CMD [ARGS...]: passes when CMD succeeds. Its output is shown
# only when it fails, so a check can run curl without flooding the output.
check() {
	local name=$1 out=$MG_TMP/check.out rc=0
	shift
	"$@" >"$out" 2>&1 || rc=$?
	if [ "$rc" -eq 0 ]; then
		_mg_result 1 "$name"
	else
		_mg_result 0 "$name"
		echo "#   failed (status $rc): $*" >&2
		tail -n 5 "$out" | sed 's/^/#   | /' >&2
	fi
}

# check_fail NAME CMD [ARGS...]: passes when CMD fails.
check_fail() {
	local name=$1 out=$MG_TMP/check.out
	shift
	if "$@" >"$out" 2>&1; then
		_mg_result 0 "$name"
		echo "#   succeeded but should not: $*" >&2
		tail -n 5 "$out" | sed 's/^/#   | /' >&2
	else
		_mg_result 1 "$name"
	fi
}

# check_eq NAME EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then
		_mg_result 1 "$1"
	else
		_mg_result 0 "$1"
		printf '#   expected: %s\n#   got:      %s\n' "$2" "$3" >&2
	fi
}

# check_match NAME REGEX ACTUAL (bash extended regex)
check_match() {
	if [[ "$3" =~ $2 ]]; then
		_mg_result 1 "$1"
	else
		_mg_result 0 "$1"
		printf '#   expected to match: %s\n#   got: %s\n' "$2" "$3" >&2
	fi
}

# check_ge NAME MIN ACTUAL (integers)
check_ge() {
	if [[ "$3" =~ ^-?[0-9]+$ ]] && [ "$3" -ge "$2" ]; then
		_mg_result 1 "$1"
	else
		_mg_result 0 "$1"
		printf '#   expected >= %s, got: %s\n' "$2" "$3" >&2
	fi
}

# lab_done: print the tally; non-zero when a check failed or none ran.
lab_done() {
	echo "$MG_PASSED passed, $MG_FAILED failed"
	[ "$MG_FAILED" -eq 0 ] && [ "$MG_PASSED" -gt 0 ]
}
