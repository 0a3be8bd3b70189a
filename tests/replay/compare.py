#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The replay runner's two steps in Python (replay.sh calls them).

    compare.py wait DIR PREFIX TIMEOUT
        poll the appliance's telemetry (/ethdev/stats,0 on the EAL prefix's
        socket) until it has read every input packet and its transmit
        counter has held still for a second; exit 1 on timeout.
    compare.py check DIR LOG
        compare DIR/out.pcap with DIR/expected.pcap and the "drop REASON
        COUNT" lines of LOG with DIR/expected.json; print a readable diff.

The comparison: the start-up announcements (gratuitous ARP, unsolicited
NA; make_captures.is_announcement) are compared as a multiset, since they
go through the control ring at a time set by the scheduler; every other
packet is compared in order, byte for byte. Every output packet's checksums
are also checked against a recomputation, so a wrong one is named as such.
"""
import json
import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scapy.all import Ether, rdpcap  # noqa: E402

import make_captures as mc  # noqa: E402


def telemetry(sock_path, cmd):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(2)
    s.connect(sock_path)
    json.loads(s.recv(65536).decode())          # the greeting
    s.send(cmd.encode())
    reply = json.loads(s.recv(1 << 20).decode())
    s.close()
    return reply


def socket_path(prefix):
    dirs = ['/var/run/dpdk'] if os.getuid() == 0 else []
    if os.environ.get('XDG_RUNTIME_DIR'):
        dirs.append(os.path.join(os.environ['XDG_RUNTIME_DIR'], 'dpdk'))
    dirs.append('/tmp/dpdk')
    for d in dirs:
        p = os.path.join(d, prefix, 'dpdk_telemetry.v2')
        if os.path.exists(p):
            return p
    return os.path.join(dirs[0], prefix, 'dpdk_telemetry.v2')


def wait(out_dir, prefix, timeout):
    with open(os.path.join(out_dir, 'expected.json')) as fp:
        exp = json.load(fp)
    want_in = exp['inputs']
    deadline = time.monotonic() + timeout
    last, still_since = None, None
    while time.monotonic() < deadline:
        try:
            st = telemetry(socket_path(prefix), '/ethdev/stats,0')['/ethdev/stats']
            cur = (st['ipackets'] + st['ierrors'] + st['imissed'], st['opackets'])
        except (OSError, ValueError, KeyError, TypeError):
            time.sleep(0.2)
            continue
        if cur != last:
            last, still_since = cur, time.monotonic()
        elif cur[0] >= want_in and time.monotonic() - still_since >= 1.0:
            print('replay: %d packets read, %d sent' % cur)
            return 0
        time.sleep(0.1)
    print('replay: timeout: read/sent %s, %d inputs' % (last, want_in))
    return 1


def summary(p):
    return p.summary() if p is not None else '(none)'


def checksum_problems(p):
    """Names of the layers whose checksums differ from a recomputation."""
    try:
        r = mc.rebuilt(p)
    except Exception as e:          # a packet scapy cannot even rebuild
        return ['rebuild failed: %s' % e]
    if bytes(r) == bytes(p):
        return []
    bad = []
    for name in ('IP', 'TCP', 'UDP', 'ICMP', 'ICMPv6EchoReply'):
        if p.haslayer(name) and r.haslayer(name):
            a, b = p[name], r[name]
            fa = a.fields.get('chksum', a.fields.get('cksum'))
            fb = b.fields.get('chksum', b.fields.get('cksum'))
            if fa != fb:
                bad.append('%s checksum %#06x, should be %#06x' % (name, fa or 0, fb or 0))
    return bad or ['differs from its recomputation (lengths?)']


def field_diff(want, got):
    """'IP.chksum: 0x1 != 0x2' for the header fields that differ."""
    out = []
    w, g = want, got
    while w is not None and g is not None and w.__class__ is g.__class__ and \
            w.name != 'Raw' and len(out) < 6:
        for f in w.fields_desc:
            a, b = w.getfieldval(f.name), g.getfieldval(f.name)
            if a != b:
                out.append('%s.%s: expected %r, got %r' % (w.name, f.name, a, b))
        w = w.payload if w.payload else None
        g = g.payload if g.payload else None
    if w is not None and g is not None and w.__class__ is not g.__class__:
        out.append('layer %s expected, %s got' % (w.name, g.name))
    elif w is not None and g is not None and bytes(w) != bytes(g):
        out.append('payload differs')
    return out


def first_diff(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


def check(out_dir, log_path):
    with open(os.path.join(out_dir, 'expected.json')) as fp:
        exp = json.load(fp)
    ok = True
    with open(log_path, errors='replace') as fp:
        log = fp.read()

    m = re.search(r'port p0 .*: mac ([0-9a-f:]{17})', log)
    if m is None or m.group(1) != exp['mac']:
        print('FAIL: the port MAC is %s, the captures assume %s' %
              (m.group(1) if m else 'not in the log', exp['mac']))
        return 1

    out_path = os.path.join(out_dir, 'out.pcap')
    got = list(rdpcap(out_path)) if os.path.getsize(out_path) > 0 else []
    want = list(rdpcap(os.path.join(out_dir, 'expected.pcap')))
    got_ann = sorted(bytes(p) for p in got if mc.is_announcement(p))
    want_ann = sorted(bytes(p) for p in want if mc.is_announcement(p))
    got_data = [p for p in got if not mc.is_announcement(p)]
    want_data = [p for p in want if not mc.is_announcement(p)]

    if got_ann != want_ann:
        ok = False
        print('FAIL: announcements differ')
        for b in want_ann:
            if b not in got_ann:
                print('  missing: %s' % Ether(b).summary())
        for b in got_ann:
            if b not in want_ann:
                print('  extra:   %s' % Ether(b).summary())
    else:
        print('announcements: %d, as expected' % len(got_ann))

    n = max(len(got_data), len(want_data))
    bad_rows = 0
    for i in range(n):
        g = got_data[i] if i < len(got_data) else None
        w = want_data[i] if i < len(want_data) else None
        same = g is not None and w is not None and bytes(g) == bytes(w)
        if same:
            continue
        ok = False
        bad_rows += 1
        if bad_rows > 10:
            continue
        print('FAIL: data packet %d differs' % i)
        print('  expected: %s' % summary(w))
        print('  got:      %s' % summary(g))
        if g is not None and w is not None:
            gb, wb = bytes(g), bytes(w)
            off = first_diff(gb, wb)
            print('  lengths %d/%d, first difference at byte %d: expected %s got %s' %
                  (len(wb), len(gb), off, wb[off:off + 8].hex(), gb[off:off + 8].hex()))
            for line in field_diff(w, g):
                print('  ' + line)
    if bad_rows > 10:
        print('  ... %d more differing packets' % (bad_rows - 10))
    if bad_rows == 0:
        print('data packets: %d, all identical to the expected ones' % len(got_data))

    for i, p in enumerate(got_data):
        probs = checksum_problems(p)
        if probs:
            ok = False
            print('FAIL: output packet %d (%s): %s' % (i, p.summary(), '; '.join(probs)))

    drops = {k: int(v) for k, v in re.findall(r'^\s+drop\s+(\S+)\s+(\d+)\s*$', log, re.M)}
    if drops != exp['drops']:
        ok = False
        print('FAIL: drop counters differ')
        for k in sorted(set(drops) | set(exp['drops'])):
            if drops.get(k, 0) != exp['drops'].get(k, 0):
                print('  drop %-24s expected %d, got %d' %
                      (k, exp['drops'].get(k, 0), drops.get(k, 0)))
    else:
        print('drops: %s' % (', '.join('%s %d' % kv for kv in sorted(drops.items()))
                             or 'none'))
    print('%s: %s' % (exp['scenario'], 'PASS' if ok else 'FAIL'))
    return 0 if ok else 1


def main():
    if len(sys.argv) == 5 and sys.argv[1] == 'wait':
        return wait(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    if len(sys.argv) == 4 and sys.argv[1] == 'check':
        return check(sys.argv[2], sys.argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main())
