#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The test lab (DESIGN.md "The test lab"): two network namespaces joined to
# the root namespace by veth pairs, whose root ends the appliance opens with
# net_af_packet.
#
#   netns mg-client             root netns            netns mg-backend
#   eth0 10.10.0.2/24  <---> mg-ext   mg-int <--->  eth0 10.20.0.11-13/24
#        fd00:10::2/64        (no addresses)             fd00:20::11-13/64
#   default via .1 / ::1                                 default via .1 / ::1
#
# The appliance owns 10.10.0.1, fd00:10::1 (ext) and 10.20.0.1, fd00:20::1
# (int). The root ends carry no address and no IPv6, answer no ARP, forward
# nothing, and (with nftables) the root kernel drops all they receive after
# packet sockets, so DPDK still sees every frame.
#
# scripts/pki.sh makes the lab's certificates in $STATE/pki.
# Each endpoint runs nginx on port 80 and, with TLS that requires a mesh
# client certificate, on port 443 (see backend/nginx.conf.in), a UDP
# echo on port 7 (backend/udp_echo.py) and an HTTP test server on port 8080
# (backend/httpbin.py: echo, status, delay, bytes, upload, WebSocket) on
# both its addresses.
#
# Usage: lab.sh up | down | status
#        lab.sh endpoint stop|start|status ADDR   (10.20.0.12, fd00:20::12, 12, all)
#        lab.sh mkfile SIZE_MB    -> prints the sha256 of www/big-<SIZE_MB>M.bin
#
# Environment: MG_LAB_STATE (default /run/meshgate-lab),
#              MG_LAB_KERNEL_DROP=0 to leave out the nftables drop.

set -euo pipefail

MG_PROG=lab
HERE=$(dirname "$(readlink -f "$0")")
# shellcheck source=scripts/lib/common.sh
. "$HERE/lib/common.sh"

NS_CLIENT=mg-client
NS_BACKEND=mg-backend
EXT_IF=mg-ext
INT_IF=mg-int
PEER_IF=eth0
STATE=${MG_LAB_STATE:-/run/meshgate-lab}
WWW=$STATE/www
ENDPOINTS=(11 12 13)
NFT_TABLE=meshgate_lab
PYTHON=/usr/bin/python3

usage() {
	sed -n 's/^# Usage: /usage: /p; s/^#        lab/       lab/p' "$0" >&2
	exit 2
}

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# ---------------------------------------------------------------- network

# Checksum and segmentation offloads off: the appliance must see finished
# checksums and frames no larger than the MTU, and the receiving kernel must
# verify what the appliance sends rather than trust the veth.
offloads_off() {
	local ns=$1 dev=$2 f
	local -a run=()
	[ -n "$ns" ] && run=(ip netns exec "$ns")
	if ! "${run[@]}" ethtool -K "$dev" tx off rx off tso off gso off gro off \
		lro off >/dev/null 2>&1; then
		for f in tx rx tso gso gro lro; do
			"${run[@]}" ethtool -K "$dev" "$f" off >/dev/null 2>&1 || true
		done
	fi
	"${run[@]}" ethtool -k "$dev" | grep -q '^tx-checksumming: off' ||
		mg_die "could not turn off TX checksum offload on $dev${ns:+ in $ns}"
}

# The root end of a pair: left to the appliance, silent for the kernel.
root_end() {
	local dev=$1
	sysctl -q -w "net.ipv6.conf.$dev.disable_ipv6=1" \
		"net.ipv4.conf.$dev.arp_ignore=8" \
		"net.ipv4.conf.$dev.arp_announce=2" \
		"net.ipv4.conf.$dev.forwarding=0" >/dev/null
	offloads_off "" "$dev"
	ip link set dev "$dev" up
}

# make_ns NS ROOT_IF V4GW V6GW ADDR...: a namespace whose eth0 is the peer of
# ROOT_IF, with the addresses given (CIDR) and default routes via the gateways.
make_ns() {
	local ns=$1 root_if=$2 gw4=$3 gw6=$4 a
	shift 4
	ip netns add "$ns"
	# Name resolution of its own (ip netns exec mounts /etc/netns/NS/ over
	# /etc): the lab's names, and no DNS server, so that a look-up fails at
	# once instead of timing out against the host's resolver (which the
	# namespace cannot reach; testssl.sh makes dozens).
	mkdir -p "/etc/netns/$ns"
	printf '# meshgate lab: no DNS in this namespace\nnameserver 127.0.0.1\noptions timeout:1 attempts:1\n' \
		>"/etc/netns/$ns/resolv.conf"
	printf '127.0.0.1 localhost\n::1 localhost\n10.10.0.100 api.lab.test www.lab.test\n' \
		>"/etc/netns/$ns/hosts"
	in_ns "$ns" ip link set lo up
	# No DAD: addresses are usable at once, and no probes reach the appliance
	# before a test starts. No RS/RA either; routes are static.
	in_ns "$ns" sysctl -q -w net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.default.accept_ra=0 \
		net.ipv6.conf.default.router_solicitations=0 >/dev/null
	ip link add "$root_if" type veth peer name "$PEER_IF" netns "$ns"
	in_ns "$ns" sysctl -q -w "net.ipv6.conf.$PEER_IF.accept_dad=0" \
		"net.ipv6.conf.$PEER_IF.accept_ra=0" \
		"net.ipv6.conf.$PEER_IF.router_solicitations=0" >/dev/null
	root_end "$root_if"
	offloads_off "$ns" "$PEER_IF"
	for a in "$@"; do
		if [[ "$a" == *:* ]]; then
			in_ns "$ns" ip -6 addr add "$a" dev "$PEER_IF" nodad
		else
			in_ns "$ns" ip addr add "$a" dev "$PEER_IF"
		fi
	done
	in_ns "$ns" ip link set dev "$PEER_IF" up
	in_ns "$ns" ip route add default via "$gw4" dev "$PEER_IF"
	in_ns "$ns" ip -6 route add default via "$gw6" dev "$PEER_IF"
}

# The root kernel sees every frame on mg-ext/mg-int too; drop them at
# ingress, which runs after packet sockets (tcpdump, DPDK af_packet) took
# their copy.
kernel_drop_on() {
	[ "${MG_LAB_KERNEL_DROP:-1}" = 1 ] || return 0
	mg_have nft || { mg_msg "nft not found: root kernel still sees lab frames"; return 0; }
	nft -f - <<-EOF || mg_msg "nftables ingress drop not available; relying on sysctls"
		table netdev $NFT_TABLE {
			chain ext_in { type filter hook ingress device "$EXT_IF" priority 0; policy drop; }
			chain int_in { type filter hook ingress device "$INT_IF" priority 0; policy drop; }
		}
	EOF
}

kernel_drop_off() {
	mg_have nft || return 0
	nft delete table netdev "$NFT_TABLE" >/dev/null 2>&1 || true
}

# -------------------------------------------------------------- endpoints

# endpoint_id ARG: 10.20.0.12 | fd00:20::12 | 12 -> 12
endpoint_id() {
	local a=$1 id
	case "$a" in
	10.20.0.1[1-3]) id=${a##*.} ;;
	fd00:20::1[1-3]) id=${a##*:} ;;
	1[1-3]) id=$a ;;
	*) mg_die "unknown endpoint '$a' (10.20.0.11-13, fd00:20::11-13 or 11-13)" ;;
	esac
	echo "$id"
}

ep_dir() { echo "$STATE/endpoint-$1"; }

endpoint_running() {
	local d
	d=$(ep_dir "$1")
	[ -f "$d/nginx.pid" ] && mg_pid_alive "$(tr -dc 0-9 <"$d/nginx.pid")" nginx &&
		[ -f "$d/udp-echo.pid" ] && mg_pid_alive "$(tr -dc 0-9 <"$d/udp-echo.pid")" udp_echo &&
		[ -f "$d/httpbin.pid" ] && mg_pid_alive "$(tr -dc 0-9 <"$d/httpbin.pid")" httpbin
}

endpoint_start() {
	local id=$1 d v4 v6
	d=$(ep_dir "$id")
	v4=10.20.0.$id
	v6=fd00:20::$id
	mg_netns_exists "$NS_BACKEND" || mg_die "lab is not up"
	mkdir -p "$d/tmp" "$WWW"
	if ! { [ -f "$d/nginx.pid" ] && mg_pid_alive "$(tr -dc 0-9 <"$d/nginx.pid")" nginx; }; then
		rm -f "$d/nginx.pid"
		sed -e "s|@ID@|$id|g" -e "s|@V4@|$v4|g" -e "s|@V6@|$v6|g" \
			-e "s|@DIR@|$d|g" -e "s|@WWW@|$WWW|g" \
			-e "s|@N@|${id#1}|g" -e "s|@PKI@|$STATE/pki|g" \
			"$HERE/backend/nginx.conf.in" >"$d/nginx.conf"
		in_ns "$NS_BACKEND" nginx -q -p "$d/" -c "$d/nginx.conf" -e "$d/error.log" ||
			{ tail -n 5 "$d/error.log" >&2 || true; mg_die "nginx for $v4 did not start"; }
		mg_wait_file "$d/nginx.pid" 50 || mg_die "nginx for $v4 wrote no pid file"
	fi
	if ! { [ -f "$d/udp-echo.pid" ] && mg_pid_alive "$(tr -dc 0-9 <"$d/udp-echo.pid")" udp_echo; }; then
		rm -f "$d/udp-echo.pid"
		setsid ip netns exec "$NS_BACKEND" "$PYTHON" "$HERE/backend/udp_echo.py" \
			--port 7 --pidfile "$d/udp-echo.pid" "$v4" "$v6" \
			</dev/null >"$d/udp-echo.log" 2>&1 &
		mg_wait_file "$d/udp-echo.pid" 50 ||
			{ cat "$d/udp-echo.log" >&2 || true; mg_die "UDP echo for $v4 did not start"; }
	fi
	if ! { [ -f "$d/httpbin.pid" ] && mg_pid_alive "$(tr -dc 0-9 <"$d/httpbin.pid")" httpbin; }; then
		rm -f "$d/httpbin.pid"
		setsid ip netns exec "$NS_BACKEND" "$PYTHON" "$HERE/backend/httpbin.py" \
			--id "$id" --listen "$v4:8080" --listen "[$v6]:8080" \
			--state-dir "$STATE" --pidfile "$d/httpbin.pid" \
			</dev/null >"$d/httpbin.log" 2>&1 &
		mg_wait_file "$d/httpbin.pid" 50 ||
			{ cat "$d/httpbin.log" >&2 || true; mg_die "httpbin for $v4 did not start"; }
	fi
}

endpoint_stop() {
	local d
	d=$(ep_dir "$1")
	mg_kill_pidfile "$d/nginx.pid" nginx
	mg_kill_pidfile "$d/udp-echo.pid" udp_echo
	mg_kill_pidfile "$d/httpbin.pid" httpbin
}

# ----------------------------------------------------------------- verbs

lab_down() {
	local id ns pid
	for id in "${ENDPOINTS[@]}"; do
		endpoint_stop "$id" 2>/dev/null || true
	done
	# Whatever else still runs in a lab namespace (a test's curl, wrk) would
	# keep it alive; these pids are in our namespaces, so they are ours.
	for ns in "$NS_CLIENT" "$NS_BACKEND"; do
		mg_netns_exists "$ns" || continue
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			mg_kill_pid "$pid" || true
		done
	done
	kernel_drop_off
	for ns in "$NS_CLIENT" "$NS_BACKEND"; do
		if mg_netns_exists "$ns"; then ip netns del "$ns" 2>/dev/null || true; fi
		rm -rf "/etc/netns/$ns"
	done
	for ns in "$EXT_IF" "$INT_IF"; do
		if mg_link_exists "$ns"; then ip link del "$ns" 2>/dev/null || true; fi
	done
	rm -rf "$STATE"
}

lab_up() {
	local id t
	for t in ip ethtool nginx sysctl setsid "$PYTHON"; do
		mg_have "$t" || mg_die "$t not found: run scripts/setup.sh"
	done
	lab_down
	mkdir -p "$STATE" "$WWW"
	# Anything that fails half-way leaves no half lab behind.
	trap 'lab_down' EXIT
	make_ns "$NS_CLIENT" "$EXT_IF" 10.10.0.1 fd00:10::1 \
		10.10.0.2/24 fd00:10::2/64
	make_ns "$NS_BACKEND" "$INT_IF" 10.20.0.1 fd00:20::1 \
		10.20.0.11/24 10.20.0.12/24 10.20.0.13/24 \
		fd00:20::11/64 fd00:20::12/64 fd00:20::13/64
	kernel_drop_on
	# The lab's PKI (edge, client and mesh certificates): fresh keys
	# every time the lab comes up, nothing committed.
	"$HERE/pki.sh" "$STATE/pki" >"$STATE/pki.log" 2>&1 ||
		{ cat "$STATE/pki.log" >&2; mg_die "scripts/pki.sh failed"; }
	for id in "${ENDPOINTS[@]}"; do
		endpoint_start "$id"
	done
	trap - EXIT
	echo "lab: up ($NS_CLIENT via $EXT_IF, $NS_BACKEND via $INT_IF; state in $STATE)"
}

lab_status() {
	local ns dev id d ok=1 s
	for ns in "$NS_CLIENT" "$NS_BACKEND"; do
		if mg_netns_exists "$ns"; then
			echo "netns $ns:"
			in_ns "$ns" ip -br addr show dev "$PEER_IF" 2>/dev/null | sed 's/^/  /' || ok=0
			in_ns "$ns" ip -br route show default 2>/dev/null | sed 's/^/  v4 /'
			in_ns "$ns" ip -6 -br route show default 2>/dev/null | sed 's/^/  v6 /'
		else
			echo "netns $ns: absent"
			ok=0
		fi
	done
	for dev in "$EXT_IF" "$INT_IF"; do
		if mg_link_exists "$dev"; then
			s=$(ip -br link show dev "$dev" | awk '{print $2}')
			echo "link $dev: $s, tx-checksumming $(ethtool -k "$dev" 2>/dev/null |
				awk '/^tx-checksumming:/ {print $2}'), ipv6 $(
				[ "$(sysctl -n "net.ipv6.conf.$dev.disable_ipv6" 2>/dev/null)" = 1 ] &&
					echo off || echo ON)"
		else
			echo "link $dev: absent"
			ok=0
		fi
	done
	if mg_have nft && nft list table netdev "$NFT_TABLE" >/dev/null 2>&1; then
		echo "root kernel: drops frames on $EXT_IF and $INT_IF at ingress"
	else
		echo "root kernel: no ingress drop"
	fi
	for id in "${ENDPOINTS[@]}"; do
		d=$(ep_dir "$id")
		if endpoint_running "$id"; then
			echo "endpoint 10.20.0.$id: up (nginx $(cat "$d/nginx.pid"), udp echo $(cat "$d/udp-echo.pid"))"
		else
			echo "endpoint 10.20.0.$id: down"
			ok=0
		fi
	done
	[ "$ok" = 1 ]
}

lab_mkfile() {
	local mb=$1 f
	[[ "$mb" =~ ^[1-9][0-9]*$ ]] || mg_die "mkfile: SIZE_MB must be a positive number"
	f=$WWW/big-${mb}M.bin
	mkdir -p "$WWW"
	if [ ! -s "$f" ]; then
		head -c "$((mb * 1048576))" /dev/urandom >"$f.tmp"
		mv "$f.tmp" "$f"
		chmod 644 "$f"
	fi
	sha256sum "$f" | awk '{print $1}'
}

cmd=${1:-}
[ -n "$cmd" ] || usage
shift
case "$cmd" in
up) mg_need_root; lab_up ;;
down) mg_need_root; lab_down ;;
status) lab_status ;;
mkfile) [ $# -eq 1 ] || usage; lab_mkfile "$1" ;;
endpoint)
	[ $# -eq 2 ] || usage
	mg_need_root
	if [ "$2" = all ]; then
		ids=("${ENDPOINTS[@]}")
	else
		id=$(endpoint_id "$2")
		ids=("$id")
	fi
	for id in "${ids[@]}"; do
		case "$1" in
		start) endpoint_start "$id" ;;
		stop) endpoint_stop "$id" ;;
		status)
			if endpoint_running "$id"; then echo "endpoint 10.20.0.$id: up"
			else echo "endpoint 10.20.0.$id: down"; exit 1; fi ;;
		*) usage ;;
		esac
	done
	;;
*) usage ;;
esac
