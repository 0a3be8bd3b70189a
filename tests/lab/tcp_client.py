#!/usr/bin/python3
"""Clients for the built-in services of meshgate's TCP stack (lab tests).

  tcp_client.py echo HOST PORT BYTES [SEED]     send BYTES, check the echo
  tcp_client.py source HOST PORT BYTES [SEED]   ask for BYTES, print SHA-256
  tcp_client.py discard HOST PORT BYTES         send BYTES, check a clean close
  tcp_client.py http-seq HOST PORT N            N connections one after another
  tcp_client.py http-conc HOST PORT N           N connections open at once

Each prints one line of results and exits non-zero on any failure. Data is
random.Random(SEED).randbytes(), hashed with SHA-256 on both sides.
"""
import hashlib
import random
import selectors
import socket
import sys
import time

CHUNK = 256 * 1024


def connect(host, port, timeout=30):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((host, port))
    return s


def echo(host, port, total, seed):
    """Send and receive at once: the echo server reads only as fast as it
    can send back, so a client that wrote everything first would stall."""
    rnd = random.Random(seed)
    s = connect(host, port)
    s.setblocking(False)
    sent_hash, recv_hash = hashlib.sha256(), hashlib.sha256()
    sent = received = 0
    pending = b""
    sel = selectors.DefaultSelector()
    sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
    deadline = time.time() + 600
    shut = False
    while received < total:
        if time.time() > deadline:
            sys.exit("echo: timed out at %d/%d bytes back" % (received, total))
        for _key, ev in sel.select(timeout=5):
            if ev & selectors.EVENT_READ:
                data = s.recv(CHUNK)
                if not data:
                    sys.exit("echo: closed early at %d/%d bytes" % (received, total))
                recv_hash.update(data)
                received += len(data)
            if ev & selectors.EVENT_WRITE and not shut:
                if not pending and sent < total:
                    pending = rnd.randbytes(min(CHUNK, total - sent))
                    sent_hash.update(pending)
                    sent += len(pending)
                if pending:
                    try:
                        n = s.send(pending)
                        pending = pending[n:]
                    except BlockingIOError:
                        pass
                if not pending and sent >= total:
                    s.shutdown(socket.SHUT_WR)
                    shut = True
                    sel.modify(s, selectors.EVENT_READ)
    s.setblocking(True)
    s.settimeout(30)
    tail = s.recv(1)
    s.close()
    if tail:
        sys.exit("echo: %d extra bytes after the echo" % len(tail))
    ok = sent_hash.digest() == recv_hash.digest()
    print("echo %d bytes: sent %s received %s %s" % (
        total, sent_hash.hexdigest()[:16], recv_hash.hexdigest()[:16],
        "match" if ok else "MISMATCH"))
    return 0 if ok else 1


def source(host, port, total, seed):
    s = connect(host, port)
    s.sendall(b"%d %d\n" % (total, seed))
    h, got = hashlib.sha256(), 0
    while True:
        data = s.recv(CHUNK)
        if not data:
            break
        h.update(data)
        got += len(data)
    s.close()
    print("%s %d" % (h.hexdigest(), got))
    return 0 if got == total else 1


def discard(host, port, total):
    rnd = random.Random(1)
    s = connect(host, port)
    sent = 0
    while sent < total:
        buf = rnd.randbytes(min(CHUNK, total - sent))
        s.sendall(buf)
        sent += len(buf)
    s.shutdown(socket.SHUT_WR)
    tail = s.recv(1)
    s.close()
    print("discard %d bytes, closed %s" % (sent, "cleanly" if not tail else "with data"))
    return 0 if not tail else 1


REQUEST = b"GET / HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n\r\n"


def http_once(s):
    s.sendall(REQUEST)
    s.shutdown(socket.SHUT_WR)
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return data.startswith(b"HTTP/1.1 200 OK")


def http_seq(host, port, n):
    ok = 0
    failures = []
    for i in range(n):
        try:
            if http_once(connect(host, port, 5)):
                ok += 1
            else:
                failures.append("#%d: bad or empty response" % i)
        except OSError as e:
            failures.append("#%d: %r" % (i, e))
    for f in failures[:5]:
        print("http-seq: connection %s" % f, file=sys.stderr)
    print("http-seq %d/%d completed" % (ok, n))
    return 0 if ok == n else 1


def http_conc(host, port, n):
    socks = []
    for _ in range(n):
        socks.append(connect(host, port, 30))
    # All n connections are established before the first request goes.
    ok = 0
    for s in socks:
        s.sendall(REQUEST)
        s.shutdown(socket.SHUT_WR)
    for s in socks:
        data = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except OSError:
            pass
        s.close()
        ok += data.startswith(b"HTTP/1.1 200 OK")
    print("http-conc %d/%d completed" % (ok, n))
    return 0 if ok == n else 1


def main(argv):
    if len(argv) < 5:
        sys.exit(__doc__)
    mode, host, port, n = argv[1], argv[2], int(argv[3]), int(argv[4])
    seed = int(argv[5]) if len(argv) > 5 else 0
    if mode == "echo":
        return echo(host, port, n, seed)
    if mode == "source":
        return source(host, port, n, seed)
    if mode == "discard":
        return discard(host, port, n)
    if mode == "http-seq":
        return http_seq(host, port, n)
    if mode == "http-conc":
        return http_conc(host, port, n)
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
