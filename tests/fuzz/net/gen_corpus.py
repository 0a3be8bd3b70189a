#!/usr/bin/python3
# Writes the seed corpus of fuzz_net_parse: valid frames of every kind the
# parser and the local handlers know, addressed to the fuzz target's test
# interface (10.10.0.1/24, fd00:10::1/64, VIPs .100 and ::100, MAC
# 02:00:00:00:00:01, VLAN 42 or none). Needs scapy: /usr/bin/python3.
# Run once from this directory; the output is committed.
import os
from scapy.all import (ARP, Dot1Q, Ether, ICMP, ICMPv6EchoRequest,
                       ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6ND_RS,
                       ICMPv6NDOptDstLLAddr, ICMPv6NDOptSrcLLAddr, IP, IPv6,
                       IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,
                       IPv6ExtHdrRouting, Raw, TCP, UDP)

US, PEER, BC = "02:00:00:00:00:01", "02:00:00:00:00:02", "ff:ff:ff:ff:ff:ff"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def eth(dst=US, vlan=0, src=PEER):
    e = Ether(dst=dst, src=src)
    return e / Dot1Q(vlan=vlan) if vlan else e


def frames():
    for i in range(15):
        v = 42 if i % 3 == 0 else 0
        pay = Raw(bytes((i * 7 + k) & 0xff for k in range(i * 11)))
        yield "arp", eth(BC, v) / ARP(op=1, hwsrc=PEER, psrc="10.10.0.%d" % (2 + i),
                                      pdst=["10.10.0.1", "10.10.0.100", "10.10.0.3"][i % 3])
        yield "arp-reply", eth(US, v) / ARP(op=2, hwsrc=PEER, psrc="10.10.0.%d" % (2 + i),
                                            hwdst=US, pdst="10.10.0.1")
        yield "arp-grat", eth(BC, v) / ARP(op=1 + i % 2, hwsrc=PEER,
                                           psrc="10.10.0.%d" % (20 + i),
                                           pdst="10.10.0.%d" % (20 + i))
        yield "arp-probe", eth(BC, v) / ARP(op=1, hwsrc=PEER, psrc="0.0.0.0",
                                            pdst="10.10.0.1")
        yield "tcp4", eth(US, v) / IP(src="10.10.0.2", dst="10.10.0.100", ttl=64 - i,
                                      flags="DF", options=[] if i % 4 else
                                      [b"\x01\x01\x01\x00"]) / \
            TCP(sport=40000 + i, dport=80, flags=["S", "SA", "A", "PA", "FA", "R"][i % 6],
                options=[("MSS", 1460)] if i % 2 else []) / pay
        yield "udp4", eth(US, v) / IP(src="10.10.0.2", dst="10.10.0.100") / \
            UDP(sport=5000 + i, dport=53) / pay
        yield "icmp4", eth(US, v) / IP(src="10.10.0.2", dst=["10.10.0.1", "10.10.0.100"][i % 2]) / \
            ICMP(type=8, id=i, seq=i * 3) / pay
        yield "frag4", eth(US, v) / IP(src="10.10.0.2", dst="10.10.0.100", flags="MF" if i % 2 else 0,
                                       frag=0 if i % 2 else 10 + i) / UDP(sport=1, dport=2) / pay
        yield "tcp6", eth(US, v) / IPv6(src="fd00:10::2", dst="fd00:10::100", hlim=64 - i) / \
            TCP(sport=40000 + i, dport=443, flags="S") / pay
        yield "udp6", eth(US, v) / IPv6(src="fd00:10::2", dst="fd00:10::100") / \
            UDP(sport=6000 + i, dport=53) / pay
        yield "icmp6", eth(US, v) / IPv6(src="fd00:10::2", dst=["fd00:10::1", "fd00:10::100",
                                                               "fe80::ff:fe00:1"][i % 3]) / \
            ICMPv6EchoRequest(id=i, seq=i) / pay
        tgt = ["fd00:10::1", "fd00:10::100", "fe80::ff:fe00:1"][i % 3]
        sn = "ff02::1:ff00:" + ["1", "100", "1"][i % 3]
        src = "::" if i % 5 == 4 else ["fd00:10::2", "fe80::2"][i % 2]
        ns = ICMPv6ND_NS(tgt=tgt)
        if src != "::":
            ns = ns / ICMPv6NDOptSrcLLAddr(lladdr=PEER)
        yield "ns", eth("33:33:ff:00:00:01", v) / IPv6(src=src, dst=sn, hlim=255) / ns
        yield "na", eth(US, v) / IPv6(src="fd00:10::%x" % (2 + i), dst="fd00:10::1", hlim=255) / \
            ICMPv6ND_NA(tgt="fd00:10::%x" % (2 + i), R=0, S=i % 2, O=1) / \
            ICMPv6NDOptDstLLAddr(lladdr=PEER)
        ext = [IPv6ExtHdrHopByHop(), IPv6ExtHdrDestOpt(), IPv6ExtHdrRouting(segleft=0),
               IPv6ExtHdrFragment(m=1)][i % 4]
        yield "ext6", eth(US, v) / IPv6(src="fd00:10::2", dst="fd00:10::100") / ext / \
            UDP(sport=7, dport=7) / pay
        yield "rs", eth("33:33:00:00:00:02", v) / IPv6(src="fe80::2", dst="ff02::2", hlim=255) / \
            ICMPv6ND_RS()


def main():
    os.makedirs(OUT, exist_ok=True)
    counts = {}
    for kind, f in frames():
        n = counts.get(kind, 0)
        counts[kind] = n + 1
        with open(os.path.join(OUT, "%s-%02d" % (kind, n)), "wb") as fh:
            fh.write(bytes(f))
    print(sum(counts.values()), "seeds:", counts)


if __name__ == "__main__":
    main()
