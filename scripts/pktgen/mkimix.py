#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Write an IMIX pcap for pktgen-dpdk (scripts/pktgen/l4_imix.lua).

pktgen cannot weight frame sizes in range mode, but it replays a pcap in a
loop: this file holds the standard IMIX, 64:594:1518-byte frames (with FCS)
at 7:4:1, every packet from its own client flow (source address x source
port), so one pass over the file walks all the flows.

  /usr/bin/python3 scripts/pktgen/mkimix.py --flows 65536 -o /tmp/imix.pcap

pktgen keeps the whole file in mbufs: up to a few hundred thousand flows.
"""

import argparse
import ipaddress
import struct
import sys

IMIX = (64, 64, 64, 64, 64, 64, 64, 594, 594, 594, 594, 1518)  # 7:4:1
FCS = 4
PORT_MIN = 1024
PORT_SPAN = 65535 - PORT_MIN + 1


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(dst_mac, src_mac, src, vip, sport, dport, size, udp_csum):
    payload_len = size - FCS - 14 - 20 - 8
    payload = bytes(payload_len)
    udp_len = 8 + payload_len
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 0, 0x4000, 64, 17,
                     0, src.packed, vip.packed)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    udp = struct.pack("!HHHH", sport, dport, udp_len, 0)
    if udp_csum:
        pseudo = src.packed + vip.packed + struct.pack("!BBH", 0, 17, udp_len)
        c = checksum(pseudo + udp + payload) or 0xFFFF
        udp = udp[:6] + struct.pack("!H", c)
    eth = dst_mac + src_mac + b"\x08\x00"
    return eth + ip + udp + payload


def mac(s):
    try:
        b = bytes(int(x, 16) for x in s.split(":"))
    except ValueError:
        b = b""
    if len(b) != 6:
        raise argparse.ArgumentTypeError("not a MAC address: " + s)
    return b


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--flows", type=int, default=65536,
                    help="distinct client flows (rounded up to a multiple of 12)")
    ap.add_argument("--dst-mac", type=mac, default=mac("02:00:00:00:00:01"),
                    help="meshgate ext port's MAC")
    ap.add_argument("--src-mac", type=mac, default=mac("02:00:00:00:00:02"))
    ap.add_argument("--src", type=ipaddress.IPv4Address,
                    default=ipaddress.IPv4Address("198.18.0.1"))
    ap.add_argument("--vip", type=ipaddress.IPv4Address,
                    default=ipaddress.IPv4Address("203.0.113.100"))
    ap.add_argument("--dport", type=int, default=7)
    ap.add_argument("--udp-checksum", action="store_true",
                    help="fill in UDP checksums (default: 0, none)")
    a = ap.parse_args()

    if not 1 <= a.flows <= 1 << 22:
        ap.error("--flows must be 1..%d" % (1 << 22))
    flows = -(-a.flows // len(IMIX)) * len(IMIX)
    clients = min(flows, 256)
    if -(-flows // clients) > PORT_SPAN:
        ap.error("too many flows")

    with open(a.output, "wb") as f:
        # pcap, microsecond timestamps, Ethernet
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(flows):
            src = a.src + (i % clients)
            sport = PORT_MIN + i // clients
            pkt = frame(a.dst_mac, a.src_mac, src, a.vip, sport, a.dport,
                        IMIX[i % len(IMIX)], a.udp_checksum)
            f.write(struct.pack("<IIII", i // 1000000, i % 1000000,
                                  len(pkt), len(pkt)))
            f.write(pkt)
    avg = sum(IMIX) / len(IMIX)
    print("%s: %d packets, %d flows, IMIX 7:4:1, average frame %.1f bytes" %
          (a.output, flows, flows, avg))
    return 0


if __name__ == "__main__":
    sys.exit(main())
