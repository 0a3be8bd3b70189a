#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""UDP echo for a lab endpoint.

Each datagram is answered with "<bound address> " followed by the payload, so
a test that sends through the load balancer can tell which endpoint answered.
Binds every address given (IPv4 and IPv6), writes its pid file once all
sockets are bound, and exits on SIGTERM or SIGINT.
"""

import argparse
import os
import selectors
import signal
import socket
import sys

MAX_UDP = 65507


def bind(addr, port):
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, port))
    s.setblocking(False)
    return s


def write_pidfile(path):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(tmp, path)


def serve(sel):
    while True:
        for key, _ in sel.select():
            sock, prefix = key.fileobj, key.data
            while True:
                try:
                    data, peer = sock.recvfrom(65535)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:
                    break
                try:
                    sock.sendto((prefix + data)[:MAX_UDP], peer)
                except OSError:
                    pass  # peer unreachable or buffer full: a lost reply


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=7)
    ap.add_argument("--pidfile")
    ap.add_argument("addresses", nargs="+")
    args = ap.parse_args()

    sel = selectors.DefaultSelector()
    for addr in args.addresses:
        try:
            sock = bind(addr, args.port)
        except OSError as e:
            print("udp_echo: bind %s port %d: %s" % (addr, args.port, e),
                  file=sys.stderr)
            return 1
        sel.register(sock, selectors.EVENT_READ, (addr + " ").encode())

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    if args.pidfile:
        write_pidfile(args.pidfile)
    try:
        serve(sel)
    finally:
        if args.pidfile:
            try:
                os.unlink(args.pidfile)
            except OSError:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
