# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# Helpers shared by scripts/*.sh and tests/lab/lib.sh. Source it; it defines
# functions only and changes no shell options of the caller.

mg_msg() { printf '%s: %s\n' "${MG_PROG:-${0##*/}}" "$*" >&2; }
mg_die() { mg_msg "$*"; exit 1; }

mg_need_root() {
	[ "$(id -u)" -eq 0 ] || mg_die "must run as root"
}

mg_have() { command -v "$1" >/dev/null 2>&1; }

# mg_pid_alive PID [NAME]: PID is running (and, with NAME, its command line
# contains NAME, so that a recycled pid is never taken for ours).
mg_pid_alive() {
	local pid=$1 name=${2:-}
	[[ "$pid" =~ ^[0-9]+$ ]] || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	[ -z "$name" ] && return 0
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$name"
}

# mg_wait_gone PID TENTHS: wait until PID has exited, at most TENTHS/10 s.
mg_wait_gone() {
	local pid=$1 n=$2
	while [ "$n" -gt 0 ] && kill -0 "$pid" 2>/dev/null; do
		# A zombie child of ours counts as gone.
		[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = Z ] && return 0
		sleep 0.1
		n=$((n - 1))
	done
	! kill -0 "$pid" 2>/dev/null ||
		[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = Z ]
}

# mg_kill_pid PID [NAME]: SIGTERM, wait up to 5 s, then SIGKILL.
mg_kill_pid() {
	local pid=$1 name=${2:-}
	mg_pid_alive "$pid" "$name" || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	mg_wait_gone "$pid" 50 && return 0
	kill -KILL "$pid" 2>/dev/null || true
	mg_wait_gone "$pid" 20
}

# mg_kill_pidfile FILE [NAME]: stop the process a pid file names, if it is
# still the process that wrote it, and remove the file.
mg_kill_pidfile() {
	local file=$1 name=${2:-} pid
	[ -f "$file" ] || return 0
	pid=$(head -n1 "$file" 2>/dev/null | tr -dc 0-9)
	[ -n "$pid" ] && mg_kill_pid "$pid" "$name"
	rm -f "$file"
}

# mg_wait_file FILE TENTHS: wait until FILE exists and is not empty.
mg_wait_file() {
	local file=$1 n=$2
	while [ "$n" -gt 0 ]; do
		[ -s "$file" ] && return 0
		sleep 0.1
		n=$((n - 1))
	done
	[ -s "$file" ]
}

mg_netns_exists() { [ -e "/run/netns/$1" ]; }
mg_link_exists() { ip link show dev "$1" >/dev/null 2>&1; }
