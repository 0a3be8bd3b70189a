#!/usr/bin/python3
"""Segments a normal client never sends, against meshgate's TCP stack.

  tcp_hostile.py [--tel SOCKET] [CASE...]      (MG_HOSTILE_SEED=N: other ISNs)

Runs in the lab's mg-client namespace (tests/lab/tcp_hostile.sh sets it up)
against the built-in services of cfg/lab-tcp.cfg on 10.10.0.100: raw
segments through scapy on eth0, one function per case, each printing
"ok - NAME" or "not ok - NAME" (with the segments seen as "# " lines when it
fails), then "N passed, N failed". With --tel (the appliance's DPDK
telemetry socket) each case also checks the stack's error counters moved.

The kernel of mg-client does not know these connections and would answer
the appliance with RSTs: the caller drops the kernel's RSTs from source
ports SPORT_MIN..SPORT_MAX with nftables. Needs /usr/bin/python3 (scapy).
"""
import json
import os
import random
import select
import socket
import struct
import sys
import time

from scapy.config import conf

conf.verb = 0
from scapy.arch import get_if_hwaddr  # noqa: E402
from scapy.layers.inet import IP, in4_chksum  # noqa: E402
from scapy.layers.l2 import ARP, Ether  # noqa: E402
from scapy.packet import Raw  # noqa: E402
from scapy.sendrecv import srp  # noqa: E402

IFACE = "eth0"
SRC = "10.10.0.2"
VIP = "10.10.0.100"
ECHO, SOURCE, CLOSED_PORT = 7, 19, 4444
# Outside Linux's ephemeral range (32768-60999), so that the kernel's own
# connections never use them and the nftables rule only hits ours.
SPORT_MIN, SPORT_MAX = 61000, 61999
MASK = 0xFFFFFFFF
F_FIN, F_SYN, F_RST, F_PSH, F_ACK, F_URG = 1, 2, 4, 8, 16, 32
WIN = 65535
MSS_OPT = b"\x02\x04\x05\xb4"          # MSS 1460

FLAG_CHARS = "FSRPAUEC"


def flag_str(f):
    return "".join(c for i, c in enumerate(FLAG_CHARS) if f & (1 << i)) or "."


def source_byte(seed, i):
    """Byte i of the source service's stream (lib/service/mg_service.h)."""
    x = ((seed ^ 0x9E3779B97F4A7C15) + (i >> 3) * 0xBF58476D1CE4E5B9) & (2**64 - 1)
    x ^= x >> 31
    x = (x * 0x94D049BB133111EB) & (2**64 - 1)
    x ^= x >> 29
    return (x >> ((i & 7) * 8)) & 0xFF


def source_stream(seed, n):
    return bytes(source_byte(seed, i) for i in range(n))


# ------------------------------------------------------------- telemetry

class Telemetry:
    def __init__(self, path):
        self.path = path

    def snap(self):
        if not self.path:
            return None
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.settimeout(3)
        try:
            s.connect(self.path)
            hello = json.loads(s.recv(1024).decode())
            s.send(b"/meshgate/tcp")
            reply = json.loads(s.recv(hello.get("max_output_len", 16384)).decode())
        finally:
            s.close()
        return reply["/meshgate/tcp"]


# ------------------------------------------------------------- segments

class Seg:
    """A segment from the appliance, parsed from the frame's bytes."""

    def __init__(self, ip):
        ihl = (ip[0] & 15) * 4
        tot = struct.unpack("!H", ip[2:4])[0]
        tcp = ip[ihl:tot]
        (self.sport, self.dport, self.seq, self.ack, off, self.flags,
         self.win, _ck, self.urg) = struct.unpack("!HHIIBBHHH", tcp[:20])
        doff = (off >> 4) * 4
        self.opts = tcp[20:doff]
        self.data = tcp[doff:]

    def has(self, f):
        return (self.flags & f) == f

    def __str__(self):
        return "< %d>%d %s seq=%d ack=%d win=%d len=%d%s" % (
            self.sport, self.dport, flag_str(self.flags), self.seq, self.ack,
            self.win, len(self.data),
            (" " + repr(self.data[:24])) if self.data else "")


def tcp_segment(sport, dport, seq, ack, flags, opts=b"", data=b"", urg=0,
                win=WIN, bad_csum=False):
    """An IPv4 packet with a TCP segment built byte by byte, so that
    options can be malformed and the checksum wrong on purpose."""
    assert len(opts) % 4 == 0 and len(opts) <= 40
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & MASK, ack & MASK,
                      ((20 + len(opts)) // 4) << 4, flags, win, 0, urg)
    seg = hdr + opts + data
    ck = in4_chksum(socket.IPPROTO_TCP, IP(src=SRC, dst=VIP), seg)
    if bad_csum:
        ck ^= 0x5A5A
    seg = seg[:16] + struct.pack("!H", ck) + seg[18:]
    return IP(src=SRC, dst=VIP, proto=socket.IPPROTO_TCP, ttl=64) / Raw(seg)


class Link:
    """One packet socket on eth0; segments go to their Conn by port."""

    def __init__(self):
        self.mac = get_if_hwaddr(IFACE)
        self.peer_mac = self.arp(VIP)
        self.sock = conf.L2socket(iface=IFACE)
        self.conns = {}
        self.next_port = SPORT_MIN

    @staticmethod
    def arp(ip):
        for _ in range(5):
            ans, _unans = srp(Ether(dst="ff:ff:ff:ff:ff:ff") / ARP(pdst=ip),
                              iface=IFACE, timeout=1)
            for _s, r in ans:
                return r[ARP].hwsrc
        raise SystemExit("no ARP answer for %s" % ip)

    def new_port(self):
        p = self.next_port
        self.next_port += 1
        if p > SPORT_MAX:
            raise SystemExit("out of source ports")
        return p

    def send(self, pkt):
        self.sock.send(Ether(src=self.mac, dst=self.peer_mac) / pkt)

    def poll(self, timeout):
        """Take at most one frame (waiting up to timeout); dispatch it."""
        r, _w, _x = select.select([self.sock], [], [], max(timeout, 0))
        if not r:
            return False
        p = self.sock.recv()
        if p is None:
            return True
        raw = bytes(getattr(p, "original", None) or bytes(p))
        if len(raw) < 14 + 40 or raw[12:14] != b"\x08\x00":
            return True
        ip = raw[14:]
        if ip[9] != socket.IPPROTO_TCP or socket.inet_ntoa(ip[12:16]) != VIP \
                or socket.inet_ntoa(ip[16:20]) != SRC:
            return True
        seg = Seg(ip)
        c = self.conns.get(seg.dport)
        if c is not None and seg.sport == c.dport:
            c.input(seg)
        return True


class Conn:
    """The client side of one connection, driven by hand."""

    def __init__(self, link, dport, log, isn=None):
        self.link = link
        self.dport = dport
        self.sport = link.new_port()
        self.log = log
        self.iss = random.getrandbits(32) if isn is None else isn
        self.snd_nxt = self.iss
        self.irs = None
        self.stream = bytearray()       # in-order data from the appliance
        self.ooo = {}                   # offset -> bytes
        self.conflict = False           # the same offset came with other bytes
        self.fin_off = None             # stream offset of the appliance's FIN
        self.ack_fin = True             # our ACKs cover its FIN
        self.auto_ack = True
        self.segs = []
        self.rst = None
        link.conns[self.sport] = self

    # -- receive side
    @property
    def fin_seen(self):
        return self.fin_off is not None and len(self.stream) >= self.fin_off

    @property
    def rcv_nxt(self):
        n = self.irs + 1 + len(self.stream)
        if self.fin_seen and self.ack_fin:
            n += 1
        return n & MASK

    def _store(self, off, data):
        if off < 0:
            data, off = data[-off:], 0
        have = self.stream[off:off + len(data)]
        if bytes(have) != data[:len(have)]:
            self.conflict = True
        if off <= len(self.stream):
            self.stream += data[len(self.stream) - off:]
            for o in sorted(self.ooo):
                if o > len(self.stream):
                    break
                d = self.ooo.pop(o)
                if bytes(self.stream[o:o + len(d)]) != d[:len(self.stream) - o]:
                    self.conflict = True
                self.stream += d[len(self.stream) - o:]
        else:
            self.ooo[off] = data

    def input(self, seg):
        self.segs.append(seg)
        self.log.append(str(seg))
        if seg.has(F_RST):
            self.rst = seg
            return
        if seg.has(F_SYN) and self.irs is None:
            self.irs = seg.seq
            return
        if self.irs is None:
            return
        off = (seg.seq - (self.irs + 1)) & MASK
        if off > 1 << 31:
            off -= 1 << 32
        if seg.data:
            self._store(off, seg.data)
        if seg.has(F_FIN):
            self.fin_off = off + len(seg.data)
        if self.auto_ack and (seg.data or seg.has(F_FIN)):
            self.send(flags=F_ACK, advance=False)

    def wait(self, pred, timeout):
        end = time.monotonic() + timeout
        while not pred():
            left = end - time.monotonic()
            if left <= 0:
                return False
            self.link.poll(left)
        return True

    def quiet(self, timeout):
        """Everything that arrives for this connection in @timeout s."""
        mark = len(self.segs)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.link.poll(end - time.monotonic())
        return self.segs[mark:]

    def drain(self, timeout=0.3):
        self.quiet(timeout)

    # -- send side
    def send(self, data=b"", flags=F_PSH | F_ACK, seq=None, ack=None,
             opts=b"", urg=0, bad_csum=False, advance=True):
        if seq is None:
            seq = self.snd_nxt
        if ack is None:
            ack = self.rcv_nxt if (flags & F_ACK) and self.irs is not None else 0
        pkt = tcp_segment(self.sport, self.dport, seq, ack, flags, opts, data,
                          urg, bad_csum=bad_csum)
        self.log.append("> %d>%d %s seq=%d ack=%d len=%d%s%s" % (
            self.sport, self.dport, flag_str(flags), seq & MASK, ack & MASK,
            len(data), " opts=" + opts.hex() if opts else "",
            " BAD-CSUM" if bad_csum else ""))
        self.link.send(pkt)
        if advance and (seq & MASK) == (self.snd_nxt & MASK):
            self.snd_nxt = (self.snd_nxt + len(data) + (1 if flags & F_SYN else 0)
                            + (1 if flags & F_FIN else 0)) & MASK

    def syn(self, opts=MSS_OPT, bad_csum=False):
        self.snd_nxt = self.iss
        self.send(flags=F_SYN, opts=opts, bad_csum=bad_csum)

    def connect(self, opts=MSS_OPT, timeout=1.5):
        """Three-way handshake; returns the SYN-ACK or None."""
        self.syn(opts)
        if not self.wait(lambda: self.irs is not None or self.rst is not None,
                         timeout):
            return None
        synack = next((s for s in self.segs if s.has(F_SYN)), None)
        if synack is None or not synack.has(F_SYN | F_ACK):
            return None
        self.send(flags=F_ACK)
        return synack

    def echo(self, data, timeout=2.0, grace=0.2):
        """Send data on an echo connection; True when exactly it comes back."""
        want = len(self.stream) + len(data)
        base = bytes(self.stream)
        self.send(data)
        self.wait(lambda: len(self.stream) >= want, timeout)
        self.quiet(grace)
        return bytes(self.stream) == base + data and not self.conflict


# ------------------------------------------------------------- the cases

class Case:
    def __init__(self, name, fn):
        self.name = name
        self.fn = fn


class Runner:
    def __init__(self, tel):
        self.tel = tel
        self.link = Link()
        self.passed = self.failed = 0
        self.log = []
        self.why = []

    def conn(self, dport=ECHO, isn=None):
        return Conn(self.link, dport, self.log, isn)

    def expect(self, cond, what):
        if not cond:
            self.why.append(what)
        return cond

    def counters_moved(self, before, want):
        """want: counter -> minimum increase (0: must not move)."""
        if before is None:
            return
        after = self.tel.snap()
        moved = ["%s+%d" % (k, v - before.get(k, 0)) for k, v in sorted(after.items())
                 if not k.startswith("conns_") and k != "memory"
                 and v != before.get(k, 0)]
        self.log.append("counters moved: " + " ".join(moved))
        for k, n in want.items():
            d = after.get(k, 0) - before.get(k, 0)
            if n == 0:
                self.expect(d == 0, "counter %s moved by %d, expected 0" % (k, d))
            else:
                self.expect(d >= n, "counter %s moved by %d, expected >= %d" % (k, d, n))

    def alive(self):
        """A normal connection (the kernel's) to echo still works."""
        msg = b"still alive %d\n" % random.getrandbits(32)
        try:
            with socket.create_connection((VIP, ECHO), timeout=3) as s:
                s.sendall(msg)
                s.shutdown(socket.SHUT_WR)
                got = b""
                while True:
                    d = s.recv(4096)
                    if not d:
                        break
                    got += d
        except OSError as e:
            return self.expect(False, "normal connection failed: %s" % e)
        return self.expect(got == msg, "normal connection echoed %r" % got)

    def run(self, case):
        self.log, self.why = [], []
        try:
            case.fn(self)
        except Exception as e:  # a bug here is a failure, not a crash
            self.why.append("exception: %r" % e)
        if self.why:
            self.failed += 1
            print("not ok - %s" % case.name)
            for w in self.why:
                print("#   %s" % w)
            for line in self.log[-40:]:
                print("#   | %s" % line)
        else:
            self.passed += 1
            print("ok - %s" % case.name)
            verbose = os.environ.get("MG_HOSTILE_VERBOSE") == "1"
            for line in self.log:
                if verbose:
                    print("#   | %s" % line)
                elif line.startswith("counters moved"):
                    print("#   %s" % line)
        sys.stdout.flush()


def case_syn_bad_checksum(r):
    t0 = r.tel.snap()
    c = r.conn()
    c.syn(bad_csum=True)
    got = c.quiet(1.0)
    r.expect(not got, "an answer to a SYN with a bad checksum")
    r.counters_moved(t0, {"bad_checksum": 1})
    c2 = r.conn()
    r.expect(c2.connect() is not None, "no SYN-ACK for a good SYN afterwards")
    r.alive()


def syn_options_case(r, opts, bad):
    """A SYN with these options: the stack skips unknown kinds and, on a
    malformed area, keeps the options before it and goes on (counted as
    bad_options): the handshake completes either way."""
    t0 = r.tel.snap()
    c = r.conn()
    synack = c.connect(opts=opts)
    if r.expect(synack is not None, "no SYN-ACK"):
        r.expect(synack.ack == (c.iss + 1) & MASK,
                 "SYN-ACK acks %d, not %d" % (synack.ack, (c.iss + 1) & MASK))
        r.expect(c.echo(b"options-%s\n" % opts.hex().encode()),
                 "echo on the connection failed: %r" % bytes(c.stream))
    r.counters_moved(t0, {"bad_options": 1 if bad else 0})
    r.alive()


def case_syn_unknown_options(r):
    # MSS, an experimental option (RFC 6994, kind 253), an unassigned kind
    syn_options_case(r, MSS_OPT + b"\xfd\x06\xde\xad\xbe\xef" + b"\x63\x04\x01\x02"
                     + b"\x01\x01", bad=False)


def case_syn_option_len0(r):
    syn_options_case(r, MSS_OPT + b"\x63\x00\x01\x01", bad=True)


def case_syn_option_len1(r):
    syn_options_case(r, MSS_OPT + b"\x63\x01\x01\x01", bad=True)


def case_syn_option_past_end(r):
    # timestamps (length 10) with two bytes left in the area
    syn_options_case(r, MSS_OPT + b"\x01\x01\x08\x0a", bad=True)


def case_syn_option_bad_known_length(r):
    # window scale with length 4 (must be 3)
    syn_options_case(r, MSS_OPT + b"\x03\x04\x07\x00", bad=True)


def established(r, isn=None):
    c = r.conn(isn=isn)
    if c.connect() is None:
        r.expect(False, "handshake failed")
        return None
    if not r.expect(c.echo(b"hello\n"), "echo before the test failed"):
        return None
    c.drain(0.1)
    return c


# Our ISN in the lower and in the upper half of the sequence space: the
# window's edges must not depend on where the numbers fall.
ISN_LOW, ISN_HIGH = 0x40000000, 0xC0000000


def data_out_of_window(r, isn):
    c = established(r, isn)
    if c is None:
        return
    t0 = r.tel.snap()
    mark = len(c.segs)
    c.send(b"OUTSIDE-THE-WINDOW", seq=c.snd_nxt + 200000, advance=False)
    ok = c.wait(lambda: any(s.has(F_ACK) and not s.data and s.ack == c.snd_nxt
                            for s in c.segs[mark:]), 1.0)
    r.expect(ok, "no ACK with ack=%d (rcv_nxt) for an out-of-window segment"
             % c.snd_nxt)
    r.counters_moved(t0, {"out_of_window": 1})
    r.expect(c.echo(b"inside\n"),
             "echo after it returned %r" % bytes(c.stream))
    r.alive()


def case_data_out_of_window_low_isn(r):
    data_out_of_window(r, ISN_LOW)


def case_data_out_of_window_high_isn(r):
    data_out_of_window(r, ISN_HIGH)


def rst_out_of_window(r, isn):
    c = established(r, isn)
    if c is None:
        return
    t0 = r.tel.snap()
    c.send(flags=F_RST, seq=c.snd_nxt + 10000000, ack=0, advance=False)
    got = c.quiet(0.5)
    r.expect(not got, "an answer to an out-of-window RST")
    r.counters_moved(t0, {"out_of_window": 1})
    r.expect(c.echo(b"after oow rst\n"), "the connection died")
    r.alive()


def case_rst_out_of_window_low_isn(r):
    rst_out_of_window(r, ISN_LOW)


def case_rst_out_of_window_high_isn(r):
    rst_out_of_window(r, ISN_HIGH)


def case_rst_in_window(r):
    c = established(r)
    if c is None:
        return
    t0 = r.tel.snap()
    mark = len(c.segs)
    c.send(flags=F_RST, seq=c.snd_nxt + 1000, ack=0, advance=False)
    ok = c.wait(lambda: any(s.has(F_ACK) and not s.has(F_RST) and not s.data
                            and s.ack == c.snd_nxt for s in c.segs[mark:]), 1.0)
    r.expect(ok, "no challenge ACK (ack=%d) for an in-window RST" % c.snd_nxt)
    r.counters_moved(t0, {"challenge_ack_sent": 1, "rst_in_window_challenged": 1})
    r.expect(c.echo(b"after in-window rst\n"), "the connection died")
    r.alive()


def case_rst_exact(r):
    c = established(r)
    if c is None:
        return
    t0 = r.tel.snap()
    c.send(flags=F_RST, seq=c.snd_nxt, ack=0, advance=False)
    got = c.quiet(0.3)
    r.expect(not got, "an answer to an exact RST")
    mark = len(c.segs)
    c.send(b"after the reset\n")
    ok = c.wait(lambda: any(s.has(F_RST) for s in c.segs[mark:]), 1.0)
    if r.expect(ok, "no RST for data after the connection was reset"):
        rst = next(s for s in c.segs[mark:] if s.has(F_RST))
        r.expect(rst.seq == c.rcv_nxt,
                 "the RST has seq=%d, not our ack %d" % (rst.seq, c.rcv_nxt))
    r.expect(not any(s.data for s in c.segs[mark:]), "data came back")
    r.counters_moved(t0, {"no_connection": 1})
    r.alive()


def case_syn_in_window(r):
    c = established(r)
    if c is None:
        return
    t0 = r.tel.snap()
    mark = len(c.segs)
    c.send(flags=F_SYN, seq=c.snd_nxt + 10, ack=0, opts=MSS_OPT, advance=False)
    ok = c.wait(lambda: any(s.has(F_ACK) and not s.has(F_SYN) and not s.has(F_RST)
                            and s.ack == c.snd_nxt for s in c.segs[mark:]), 1.0)
    r.expect(ok, "no challenge ACK (ack=%d) for an in-window SYN" % c.snd_nxt)
    r.counters_moved(t0, {"challenge_ack_sent": 1})
    r.expect(c.echo(b"after in-window syn\n"), "the connection died")
    r.alive()


def case_overlap_reorder(r):
    c = established(r)
    if c is None:
        return
    rnd = random.Random(3)
    data = bytes(rnd.getrandbits(8) for _ in range(4000))
    base = c.snd_nxt
    before = bytes(c.stream)
    t0 = r.tel.snap()
    # Out of order and overlapping; each piece under the MTU.
    top = 0
    for lo, hi in ((1000, 2200), (1900, 3100), (2800, 4000), (0, 1300)):
        c.send(data[lo:hi], seq=(base + lo) & MASK, advance=False)
        # Our ACKs carry the highest sequence sent, as a real sender's do.
        top = max(top, hi)
        c.snd_nxt = (base + top) & MASK
        c.quiet(0.05)
    want = len(before) + len(data)
    c.wait(lambda: len(c.stream) >= want, 3.0)
    c.quiet(0.5)
    got = bytes(c.stream)[len(before):]
    r.expect(not c.conflict, "the same stream offset came back with other bytes")
    r.expect(got == data, "echo returned %d bytes%s" % (
        len(got), "" if len(got) != len(data) else " that differ"))
    r.expect(not c.ooo, "bytes beyond the stream came back: %s" % sorted(c.ooo))
    r.counters_moved(t0, {})
    r.alive()


def case_syn_closed_port(r):
    c = r.conn(CLOSED_PORT)
    c.syn()
    ok = c.wait(lambda: c.rst is not None, 1.5)
    if r.expect(ok, "no RST for a SYN to %s:%d" % (VIP, CLOSED_PORT)):
        r.expect(c.rst.has(F_RST | F_ACK), "RST without ACK")
        r.expect(c.rst.ack == (c.iss + 1) & MASK,
                 "RST acks %d, not seq+1 %d" % (c.rst.ack, (c.iss + 1) & MASK))
    r.alive()


def case_data_after_fin(r):
    """Data past our FIN: RFC 9293 3.10.7.4 says ignore the text; lib/tcp
    ACKs and drops it (data_input). It must never reach the service."""
    c = established(r)
    if c is None:
        return
    t0 = r.tel.snap()
    c.ack_fin = False           # keep the appliance in LAST-ACK
    c.send(flags=F_FIN | F_ACK)
    fin_ok = c.wait(lambda: c.fin_seen, 1.5)
    r.expect(fin_ok, "the echo service did not close after our FIN")
    before = bytes(c.stream)
    mark = len(c.segs)
    after_fin = c.snd_nxt
    c.send(b"AFTER-FIN-JUNK\n")
    c.wait(lambda: any((s.has(F_ACK) and not s.data and s.ack == after_fin)
                       or s.has(F_RST) for s in c.segs[mark:]), 1.0)
    c.quiet(0.3)
    new = c.segs[mark:]
    answered = any(s.has(F_RST) or (s.has(F_ACK) and s.ack == after_fin)
                   for s in new)
    r.expect(answered, "neither an ACK at our FIN+1 nor a RST for data after the FIN")
    r.expect(not any(s.has(F_ACK) and s.ack == c.snd_nxt and not s.has(F_RST)
                     for s in new), "data after the FIN was acknowledged")
    r.expect(bytes(c.stream) == before, "data after the FIN was echoed: %r"
             % bytes(c.stream)[len(before):])
    r.counters_moved(t0, {})
    c.ack_fin = True
    c.send(flags=F_ACK, seq=after_fin, advance=False)
    r.alive()


def source_half_closed(r, junk):
    n, seed = 30000, 9
    t0 = r.tel.snap()
    c = r.conn(SOURCE)
    if not r.expect(c.connect() is not None, "handshake failed"):
        return
    c.send(b"%d %d\n" % (n, seed))
    c.send(flags=F_FIN | F_ACK)
    if junk:
        c.send(b"JUNK AFTER FIN")
    c.wait(lambda: c.fin_seen or c.rst is not None, 5.0)
    c.quiet(0.3)
    got = bytes(c.stream)
    r.expect(c.rst is None, "the connection was reset")
    r.expect(c.fin_seen, "no FIN after the stream")
    r.expect(got == source_stream(seed, n) and not c.conflict,
             "got %d bytes, %s" % (len(got), "not the source stream"
                                   if len(got) == n else "want %d" % n))
    r.counters_moved(t0, {})
    r.alive()


def case_source_half_closed(r):
    source_half_closed(r, junk=False)


def case_source_half_closed_data_after_fin(r):
    # Delivered junk would sit unread in CLOSE-WAIT, and the service's
    # close would then reset the connection: it must be dropped instead.
    source_half_closed(r, junk=True)


def case_urgent(r):
    c = established(r)
    if c is None:
        return
    t0 = r.tel.snap()
    base = bytes(c.stream)
    c.send(b"abc")
    c.send(b"XYZ", flags=F_PSH | F_ACK | F_URG, urg=3)
    c.send(b"def\n")
    want = base + b"abcXYZdef\n"
    c.wait(lambda: len(c.stream) >= len(want), 2.0)
    c.quiet(0.2)
    r.expect(bytes(c.stream) == want and not c.conflict,
             "echo returned %r" % bytes(c.stream)[len(base):])
    r.counters_moved(t0, {"urgent_pointer_ignored": 1})
    r.alive()


CASES = [Case(n[len("case_"):], f) for n, f in list(globals().items())
         if n.startswith("case_")]


def main():
    args = sys.argv[1:]
    tel = None
    if len(args) >= 2 and args[0] == "--tel":
        tel = args[1]
        args = args[2:]
    # Fixed ISNs and data unless asked otherwise (MG_HOSTILE_SEED).
    random.seed(int(os.environ.get("MG_HOSTILE_SEED", "1")))
    r = Runner(Telemetry(tel))
    names = set(args)
    for case in CASES:
        if not names or case.name in names:
            r.run(case)
    print("%d passed, %d failed" % (r.passed, r.failed))
    sys.exit(0 if r.failed == 0 and r.passed > 0 else 1)


if __name__ == "__main__":
    main()
