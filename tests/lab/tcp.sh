#!/usr/bin/env bash
# meshgate's TCP stack against the Linux kernel's: the built-in services of
# cfg/lab-tcp.cfg on the VIP, driven by real clients in mg-client.
#
#   tests/lab/tcp.sh basic      echo/source/discard/http on both families,
#                               10,000 sequential and 1,000 concurrent
#                               connections, a bounded SYN flood
#   tests/lab/tcp.sh impaired CC
#                               1 GiB (CUBIC; 256 MiB NewReno) through echo
#                               and source with 1% loss,
#                               duplication and reordering and 1 ms delay
#                               (the appliance's impairment stage on its
#                               transmit side, nftables loss on the
#                               client's), congestion control CC
set -euo pipefail
. "$(dirname "$0")/lib.sh"

what=${1:-basic}
cc=${2:-cubic}
client=$MG_LAB_LIB_DIR/tcp_client.py
stream=$MG_BUILD_DIR/tests/lab/source_stream
lab_require sha256sum
[ -x "$stream" ] || mg_die "$stream not built"
lab_up

cfg=$MG_TMP/lab-tcp.cfg
cp "$MG_ROOT/cfg/lab-tcp.cfg" "$cfg"
if [ "$what" = impaired ]; then
	# Every service listener gets the congestion control under test.
	sed -i "s/listen_port = \([0-9]*\); }/listen_port = \1; tcp = { cc = \"$cc\"; }; }/" "$cfg"
	cat >>"$cfg" <<-CFG
	impairment = ( { port = "ext"; loss_pct = 1.0; duplicate_pct = 1.0;
	                 reorder_pct = 1.0; delay_us = 1000; seed = 7; } );
	CFG
	# Loss on the way in as well: nftables on the client's egress.
	in_client nft -f - <<-NFT
	table inet mg_loss {
		chain out { type filter hook output priority 0;
			ip daddr 10.10.0.100 numgen random mod 100 < 1 drop; }
	}
	NFT
fi
mg_start "$cfg"
wait_for 10 in_client "$client" http-seq 10.10.0.100 80 1 || true

sha_stream() { "$stream" "$1" "$2" | sha256sum | cut -d' ' -f1; }

if [ "$what" = basic ]; then
	check "echo 4 MiB over IPv4" in_client "$client" echo 10.10.0.100 7 $((4 << 20)) 1
	check "echo 4 MiB over IPv6" in_client "$client" echo fd00:10::100 7 $((4 << 20)) 2
	for fam in 10.10.0.100 fd00:10::100; do
		got=$(in_client "$client" source "$fam" 19 $((8 << 20)) 5 | cut -d' ' -f1)
		check_eq "source 8 MiB over $fam (SHA-256)" "$(sha_stream $((8 << 20)) 5)" "$got"
	done
	check "discard 16 MiB, clean close" in_client "$client" discard 10.10.0.100 9 $((16 << 20))
	# Counted with wc: $(...) would drop the body's final newline.
	body=$(in_client curl -s --max-time 3 http://10.10.0.100/ | wc -c)
	check_eq "http: curl gets the fixed body" 64 "$body"
	check "http: curl over IPv6 with keep-alive, 3 requests" \
		in_client curl -sf -g --max-time 3 'http://[fd00:10::100]/' 'http://[fd00:10::100]/a' \
		'http://[fd00:10::100]/b'

	check "10,000 sequential connections" in_client "$client" http-seq 10.10.0.100 80 10000
	check "1,000 concurrent connections" in_client "$client" http-conc 10.10.0.100 80 1000

	# A bounded SYN flood from one source, as fast as hping3 goes: the
	# listener's backlog passes its threshold (64) and SYN cookies answer.
	# The client kernel's RSTs to the SYN-ACKs would end each half-open
	# connection at once (the backlog never filled): they are dropped
	# for the flood, as a spoofed flood's would never come.
	if mg_have hping3; then
		in_client nft -f - <<-NFT
		table inet mg_flood {
			chain out { type filter hook output priority 0;
				ip daddr 10.10.0.100 tcp dport 80 tcp flags & rst == rst drop; }
		}
		NFT
		in_client timeout 20 hping3 -q -S -p 80 -i u50 -c 20000 10.10.0.100 \
			>/dev/null 2>&1 &
		flood=$!
		sleep 1
		check "curl succeeds during the SYN flood" \
			in_client curl -sf --retry 3 --max-time 3 http://10.10.0.100/
		wait "$flood" || true
		in_client nft delete table inet mg_flood
		sent=$(mg_telemetry /meshgate/tcp /meshgate/tcp syncookie_sent)
		check_ge "SYN cookies engaged during the flood ($sent)" 1 "$sent"
	fi
else
	# 1 GiB with CUBIC; NewReno's loss recovery is as well exercised by
	# 256 MiB (about 180,000 segments, 1,800 of them lost), at a quarter
	# of the time.
	size=$((1 << 30)) label="1 GiB"
	[ "$cc" = newreno ] && size=$((256 << 20)) label="256 MiB"
	check "echo $label both ways, $cc, impaired" \
		in_client "$client" echo 10.10.0.100 7 "$size" 11
	got=$(in_client "$client" source 10.10.0.100 19 "$size" 12 | cut -d' ' -f1)
	check_eq "source $label, $cc, impaired (SHA-256)" "$(sha_stream "$size" 12)" "$got"
	rtx=$(mg_telemetry /meshgate/tcp /meshgate/tcp retransmits)
	check_ge "the stack retransmitted what was lost ($rtx)" 1 "$rtx"
fi

mg_telemetry /meshgate/tcp | sed 's/^/# /'
check "clean shutdown" mg_stop
lab_done
