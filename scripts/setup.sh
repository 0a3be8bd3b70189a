#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Prepare a Debian 12 machine to build and test meshgate: install the Debian
# packages, keep the packaged nginx service from running (the lab starts its
# own nginx inside a network namespace), and reserve hugepages where the
# kernel allows it. Idempotent; run as root.
#
# Environment:
#   MG_HUGEPAGES   number of 2 MiB hugepages to reserve (default 1024)
#   MG_SETUP_LOG   where apt output goes (default /tmp/meshgate-setup.log)

set -euo pipefail

MG_PROG=setup
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$(readlink -f "$0")")/lib/common.sh"

LOG=${MG_SETUP_LOG:-/tmp/meshgate-setup.log}
HUGEPAGES=${MG_HUGEPAGES:-1024}
HUGE_MNT=/dev/hugepages

# Build and link dependencies (meson.build), tools for tests and the lab
# (scripts/lab.sh, tests/lab/), and the linters run on scripts.
PACKAGES=(
	build-essential gcc clang libclang-rt-14-dev llvm
	meson ninja-build pkg-config
	dpdk dpdk-dev libdpdk-dev
	libconfig-dev libhyperscan-dev libipsec-mb-dev libssl-dev libpcap-dev
	iproute2 iputils-ping ethtool nftables procps kmod
	nginx-light socat curl wrk hping3 tcpdump slowhttptest
	modsecurity-crs libpcre2-dev libmodsecurity-dev openssl gnutls-bin testssl.sh haproxy
	python3 python3-scapy
	shellcheck lua5.3
)

mg_need_root
[[ "$HUGEPAGES" =~ ^[0-9]+$ ]] || mg_die "MG_HUGEPAGES must be a number, not '$HUGEPAGES'"

show_log() {
	mg_msg "failed; last lines of $LOG:"
	tail -n 40 "$LOG" >&2 || true
}

missing_packages() {
	local p st
	for p in "${PACKAGES[@]}"; do
		st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		[ "$st" = "install ok installed" ] || printf '%s\n' "$p"
	done
}

lists_fresh() {
	[ -n "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' \
		-mmin -1440 -print -quit 2>/dev/null)" ]
}

apt_update() {
	mg_msg "apt-get update"
	apt-get update >>"$LOG" 2>&1 || { show_log; exit 1; }
}

apt_install() {
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends -o Dpkg::Options::=--force-confold \
		"$@" >>"$LOG" 2>&1
}

# invoke-rc.d asks policy-rc.d whether a package may start its service;
# 101 means "no". Keep one that is already there (containers ship one).
POLICY=/usr/sbin/policy-rc.d
OWN_POLICY=0
cleanup() {
	if [ "$OWN_POLICY" = 1 ]; then rm -f "$POLICY"; fi
}
trap cleanup EXIT

: >"$LOG"
mapfile -t MISSING < <(missing_packages)
INSTALLED_NOW=0
if [ "${#MISSING[@]}" -gt 0 ]; then
	mg_msg "installing ${#MISSING[@]} packages: ${MISSING[*]} (log: $LOG)"
	if [ ! -e "$POLICY" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$POLICY"
		chmod 755 "$POLICY"
		OWN_POLICY=1
	fi
	lists_fresh || apt_update
	if ! apt_install "${MISSING[@]}"; then
		# A stale mirror index is the usual cause: refresh once and retry.
		apt_update
		apt_install "${MISSING[@]}" || { show_log; exit 1; }
	fi
	INSTALLED_NOW=${#MISSING[@]}
	mapfile -t STILL < <(missing_packages)
	[ "${#STILL[@]}" -eq 0 ] || { show_log; mg_die "still missing: ${STILL[*]}"; }
fi

# The packaged nginx must not run (or start at boot) in the root namespace:
# it would hold port 80 and confuse the lab.
if [ -d /run/systemd/system ]; then
	systemctl disable --now nginx >>"$LOG" 2>&1 || true
else
	systemctl disable nginx >>"$LOG" 2>&1 || true
	if mg_have update-rc.d; then update-rc.d nginx disable >>"$LOG" 2>&1 || true; fi
fi
# HAProxy is installed for perf/run_http.sh (the proxy compared with
# meshgate): the packaged service must not run either.
if [ -d /run/systemd/system ]; then
	systemctl disable --now haproxy >>"$LOG" 2>&1 || true
else
	systemctl disable haproxy >>"$LOG" 2>&1 || true
	if mg_have update-rc.d; then update-rc.d haproxy disable >>"$LOG" 2>&1 || true; fi
fi
if [ -f /run/haproxy.pid ]; then
	mg_kill_pid "$(tr -dc 0-9 </run/haproxy.pid)" haproxy || true
	rm -f /run/haproxy.pid
fi
if [ -f /run/nginx.pid ]; then
	mg_kill_pid "$(tr -dc 0-9 </run/nginx.pid)" nginx || true
	rm -f /run/nginx.pid
fi
NGINX_STATE=stopped
if [ -f /run/nginx.pid ] && mg_pid_alive "$(tr -dc 0-9 </run/nginx.pid)" nginx; then
	NGINX_STATE="STILL RUNNING (pid $(cat /run/nginx.pid))"
fi

# veth is all the lab needs from the kernel; load it if it is a module.
if mg_have modprobe; then modprobe -q veth 2>/dev/null || true; fi

# Hugepages. Where they cannot be had (containers, read-only /proc/sys),
# meshgate runs with --no-huge; that is the configuration's choice, so this
# is a note and not a failure.
hp_total() { awk '/^HugePages_Total:/ {print $2}' /proc/meminfo; }
hp_free() { awk '/^HugePages_Free:/ {print $2}' /proc/meminfo; }
HUGE_PROBLEM=
if [ "$(hp_total)" -lt "$HUGEPAGES" ]; then
	sysctl -q -w vm.nr_hugepages="$HUGEPAGES" >>"$LOG" 2>&1 ||
		HUGE_PROBLEM="cannot set vm.nr_hugepages"
fi
if [ "${HUGE_PROBLEM}" = "" ] && [ "$(hp_total)" -eq 0 ]; then
	HUGE_PROBLEM="kernel reserved no hugepages"
fi
if [ -z "$HUGE_PROBLEM" ] &&
	! awk -v m="$HUGE_MNT" '$2 == m && $3 == "hugetlbfs" {f = 1} END {exit !f}' /proc/mounts; then
	mkdir -p "$HUGE_MNT"
	mount -t hugetlbfs nodev "$HUGE_MNT" >>"$LOG" 2>&1 ||
		HUGE_PROBLEM="cannot mount hugetlbfs on $HUGE_MNT"
fi
if [ -n "$HUGE_PROBLEM" ]; then
	echo "setup: hugepages unavailable ($HUGE_PROBLEM); meshgate will run with --no-huge (set dataplane.hugepages = false)"
	HUGE_STATE="unavailable"
else
	HUGE_STATE="$(hp_total) x 2 MiB reserved, $(hp_free) free, hugetlbfs on $HUGE_MNT"
	if [ "$(hp_total)" -lt "$HUGEPAGES" ]; then
		HUGE_STATE="$HUGE_STATE (asked for $HUGEPAGES)"
	fi
fi

echo "setup: packages: ${#PACKAGES[@]} required, $INSTALLED_NOW installed now"
echo "setup: DPDK $(pkg-config --modversion libdpdk 2>/dev/null || echo '?'), $(clang --version 2>/dev/null | head -n1 || echo 'clang ?')"
echo "setup: nginx service: disabled, $NGINX_STATE"
echo "setup: hugepages: $HUGE_STATE"
