#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Protocol checks of meshgate's HTTP proxy that curl cannot express: raw
request bytes, pipelining, HTTP/1.0, 100-continue, WebSocket, smuggling
attempts. Runs in the lab's client namespace against cfg/lab-http.cfg;
the endpoints run scripts/backend/httpbin.py, whose /echo answers with the
request exactly as the gateway forwarded it.

Usage: http_checks.py VIP PORT      prints "ok: ..." / "FAIL: ..." lines,
                                    exits 1 when any check failed.
"""
import base64
import hashlib
import json
import os
import socket
import sys
import time

VIP, PORT = sys.argv[1], int(sys.argv[2])
failures = 0


def report(ok, what, detail=""):
    global failures
    if ok:
        print(f"ok: {what}")
    else:
        failures += 1
        print(f"FAIL: {what} {detail}")


def connect(timeout=5.0):
    s = socket.create_connection((VIP, PORT), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


class Reader:
    """HTTP/1.1 responses off a socket: Content-Length, chunked, close."""

    def __init__(self, s):
        self.s, self.buf, self.eof = s, b"", False

    def _fill(self):
        try:
            d = self.s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            d = b""
        if not d:
            self.eof = True
        self.buf += d
        return bool(d)

    def _line(self):
        while b"\r\n" not in self.buf:
            if not self._fill():
                return None
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _take(self, n):
        while len(self.buf) < n:
            if not self._fill():
                break
        d, self.buf = self.buf[:n], self.buf[n:]
        return d

    def response(self, head_only=False):
        """(status, headers dict lowercased -> list, body) or None."""
        line = self._line()
        if line is None or not line.startswith(b"HTTP/1."):
            return None
        parts = line.split(b" ", 2)
        status = int(parts[1])
        hdrs = {}
        while True:
            h = self._line()
            if h is None:
                return None
            if h == b"":
                break
            k, _, v = h.partition(b":")
            hdrs.setdefault(k.strip().lower().decode(), []).append(v.strip().decode())
        if head_only or status in (204, 304) or 100 <= status < 200:
            return status, hdrs, b""
        if "content-length" in hdrs:
            return status, hdrs, self._take(int(hdrs["content-length"][0]))
        if "chunked" in ",".join(hdrs.get("transfer-encoding", [])):
            body = b""
            while True:
                size = int(self._line().split(b";")[0], 16)
                if size == 0:
                    while self._line() not in (b"", None):
                        pass
                    return status, hdrs, body
                body += self._take(size)
                self._line()
        while self._fill():
            pass
        body, self.buf = self.buf, b""
        return status, hdrs, body


def closed_after(s, r):
    """True when the server closed the connection (after what was read)."""
    s.settimeout(2.0)
    while r._fill():
        pass
    return r.eof


def raw(req, timeout=5.0):
    s = connect(timeout)
    s.sendall(req)
    r = Reader(s)
    resp = r.response()
    closed = closed_after(s, r) if resp else True
    s.close()
    return resp, closed


def echo_of(resp):
    return json.loads(resp[2]) if resp and resp[0] == 200 else None


def fwd_headers(echo):
    return {k.lower(): v for k, v in echo["headers"]}


# --- smuggling and malformed requests: an error, and the connection closed
bad = [
    ("Content-Length with Transfer-Encoding",
     b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n"
     b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("two differing Content-Length",
     b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n"
     b"Content-Length: 5\r\n\r\nabcde", 400),
    ("Transfer-Encoding not ending in chunked",
     b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400),
    ("Transfer-Encoding: xchunked",
     b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n", 501),
    ("space before the colon",
     b"GET /echo HTTP/1.1\r\nHost: a\r\nX-A : 1\r\n\r\n", 400),
    ("obsolete line folding",
     b"GET /echo HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n  2\r\n\r\n", 400),
    ("bare LF line ends", b"GET /echo HTTP/1.1\nHost: a\n\n", 400),
    ("bare CR in a value", b"GET /echo HTTP/1.1\r\nHost: a\r\nX-A: 1\r2\r\n\r\n", 400),
    ("missing Host on 1.1", b"GET /echo HTTP/1.1\r\n\r\n", 400),
    ("duplicate Host", b"GET /echo HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    ("absolute-form host differs from Host",
     b"GET http://b/echo HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("chunk size overflow",
     b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"fffffffffffffffff1\r\n", 400),
    ("request line too long", b"GET /" + b"a" * 3000 + b" HTTP/1.1\r\nHost: a\r\n\r\n", 414),
    ("header section too large",
     b"GET /echo HTTP/1.1\r\nHost: a\r\n" + b"X-Big: " + b"b" * 20000 + b"\r\n\r\n", 431),
    ("too many header fields",
     b"GET /echo HTTP/1.1\r\nHost: a\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(80)) + b"\r\n", 431),
    ("HTTP/2.0 request line", b"GET /echo HTTP/2.0\r\nHost: a\r\n\r\n", 505),
    ("invalid header name", b"GET /echo HTTP/1.1\r\nHost: a\r\nX(A): 1\r\n\r\n", 400),
    ("fragment in the target", b"GET /echo#x HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("empty Host", b"GET /echo HTTP/1.1\r\nHost:\r\n\r\n", 400),
    ("Host %00", b"GET /echo HTTP/1.1\r\nHost: %00\r\n\r\n", 400),
    ("Host with a sub-delimiter", b"GET /echo HTTP/1.1\r\nHost: a;for=1.2.3.4\r\n\r\n", 400),
    ("userinfo in an absolute-form target",
     b"GET http://u@a/echo HTTP/1.1\r\nHost: a\r\n\r\n", 400),
]
for what, req, want in bad:
    resp, closed = raw(req)
    ok = resp is not None and resp[0] == want and closed
    body = {}
    if resp is not None:
        try:
            body = json.loads(resp[2])
        except ValueError:
            ok = False
    ok = ok and body.get("status") == want and "reason" in body and "request_id" in body
    # the parser's reason in words, for the client's developer
    ok = ok and "detail" in body
    report(ok, f"{what}: {want}, JSON body with the detail, connection closed",
           f"(got {resp[0] if resp else None}, closed={closed}, body={body})")

# --- a smuggled second request inside a body is a body, not a request
s = connect()
smuggle = b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n"
s.sendall(b"POST /echo/first HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n" % len(smuggle) + smuggle)
r = Reader(s)
e = echo_of(r.response())
report(e is not None and e["body_len"] == len(smuggle) and
       e["body_sha256"] == hashlib.sha256(smuggle).hexdigest(),
       "a request inside a body is forwarded as body bytes")
s.close()

# --- what the gateway forwards (route "api": rewrites and header changes)
s = connect()
s.sendall(b"GET /api/things?x=1 HTTP/1.1\r\nHost: API.lab.test\r\n"
          b"X-Internal-Token: secret\r\nX-Forwarded-For: 192.0.2.7\r\n"
          b"Connection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\n"
          b"traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n\r\n")
r = Reader(s)
resp = r.response()
e = echo_of(resp)
if e is None:
    report(False, "route api answered", f"{resp}")
else:
    h = fwd_headers(e)
    report(e["path"] == "/echo/things?x=1", "prefix rewrite /api/ -> /echo/, query kept", e["path"])
    report(h.get("host") == "api.internal", "host rewrite", h.get("host"))
    report("x-internal-token" not in h, "request header removed")
    report(h.get("x-gateway-route") == "api", "request header set with %{route}")
    report(h.get("x-client", "").startswith("10.10.0.2:"), "request header added with variables",
           h.get("x-client"))
    report(h.get("x-forwarded-for") == "192.0.2.7, 10.10.0.2",
           "X-Forwarded-For appended for a trusted proxy", h.get("x-forwarded-for"))
    report(h.get("x-forwarded-proto") == "http" and h.get("x-forwarded-host") == "API.lab.test",
           "X-Forwarded-Proto and -Host")
    report(h.get("forwarded", "").endswith("for=10.10.0.2;proto=http;host=API.lab.test"),
           "Forwarded", h.get("forwarded"))
    report("x-hop" not in h and "keep-alive" not in h and "connection" not in h,
           "hop-by-hop fields and those Connection names are not forwarded")
    rid = h.get("x-request-id", "")
    report(len(rid) == 36 and rid[14] == "4", "X-Request-Id generated (UUID v4)", rid)
    report(h.get("traceparent") == "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
           "a valid traceparent is passed on")
    report(resp[1].get("x-served-by", [""])[0].startswith("10.20.0.1"),
           "response header set with %{upstream_address}", resp[1].get("x-served-by"))
s.close()

# a request id of the client's is kept; a missing traceparent is started
resp, _ = raw(b"GET /echo HTTP/1.1\r\nHost: a\r\nX-Request-Id: abc-123\r\nConnection: close\r\n\r\n")
e = echo_of(resp)
h = fwd_headers(e) if e else {}
report(h.get("x-request-id") == "abc-123", "client's X-Request-Id passed on", h.get("x-request-id"))
tp = h.get("traceparent", "")
report(len(tp) == 55 and tp.startswith("00-") and tp.endswith("-01"), "traceparent started", tp)
report(h.get("x-forwarded-for") == "10.10.0.2", "X-Forwarded-For set to the client",
       h.get("x-forwarded-for"))

# --- pipelining: three requests in one write, answered in order
s = connect()
s.sendall(b"".join(b"GET /echo/p%d HTTP/1.1\r\nHost: a\r\n\r\n" % i for i in range(3)))
r = Reader(s)
paths = []
for i in range(3):
    e = echo_of(r.response())
    paths.append(e["path"] if e else None)
report(paths == ["/echo/p0", "/echo/p1", "/echo/p2"], "pipelined requests answered in order", paths)
s.close()

# --- HTTP/1.0: answered, closed unless keep-alive was asked for
s = connect()
s.sendall(b"GET /echo/10 HTTP/1.0\r\n\r\n")
r = Reader(s)
resp = r.response()
report(resp is not None and resp[0] == 200 and closed_after(s, r), "HTTP/1.0 request, then close")
s.close()
s = connect()
s.sendall(b"GET /echo/a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
r = Reader(s)
r1 = r.response()
s.sendall(b"GET /echo/b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
r2 = r.response()
report(r1 and r2 and r1[0] == 200 and r2[0] == 200 and
       "keep-alive" in ",".join(r1[1].get("connection", [])).lower(),
       "HTTP/1.0 keep-alive: two requests on one connection")
s.close()
# a chunked response to an HTTP/1.0 client is decoded and closed
s = connect()
s.sendall(b"GET /bytes-chunked/100000 HTTP/1.0\r\n\r\n")
r = Reader(s)
resp = r.response()
report(resp is not None and resp[0] == 200 and len(resp[2]) == 100000 and
       "transfer-encoding" not in resp[1], "chunked response de-chunked for HTTP/1.0",
       f"{len(resp[2]) if resp else None}")
s.close()

# --- Expect: 100-continue
s = connect()
body = os.urandom(300000)
s.sendall(b"POST /upload HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
          b"Content-Length: %d\r\n\r\n" % len(body))
r = Reader(s)
interim = r.response()
ok = interim is not None and interim[0] == 100
s.sendall(body)
resp = r.response()
got = json.loads(resp[2]) if resp and resp[0] == 200 else {}
report(ok and got.get("sha256") == hashlib.sha256(body).hexdigest(),
       "100-continue passed through, body after it intact")
s.close()

# --- chunked request body, with a pipelined request after it
s = connect()
chunks = [os.urandom(n) for n in (1, 1000, 70000, 5)]
req = b"POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
for c in chunks:
    req += b"%x\r\n" % len(c) + c + b"\r\n"
req += b"0\r\nX-Trailer: 1\r\n\r\nGET /echo/after HTTP/1.1\r\nHost: a\r\n\r\n"
s.sendall(req)
r = Reader(s)
resp = r.response()
got = json.loads(resp[2]) if resp and resp[0] == 200 else {}
e = echo_of(r.response())
report(got.get("sha256") == hashlib.sha256(b"".join(chunks)).hexdigest() and
       e is not None and e["path"] == "/echo/after",
       "chunked upload with trailers, then a pipelined request")
s.close()

# --- WebSocket echo through the tunnel
s = connect()
key = base64.b64encode(os.urandom(16)).decode()
s.sendall(("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
r = Reader(s)
resp = r.response(head_only=True)
accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
                                       .encode()).digest()).decode()
ok = resp is not None and resp[0] == 101 and resp[1].get("sec-websocket-accept", [""])[0] == accept
payload = os.urandom(70000)
mask = os.urandom(4)
frame = bytes([0x82, 0x80 | 127]) + len(payload).to_bytes(8, "big") + mask + \
    bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
s.sendall(frame)
hdr = r._take(2)
n = hdr[1] & 0x7f if len(hdr) == 2 else 0
if n == 126:
    n = int.from_bytes(r._take(2), "big")
elif n == 127:
    n = int.from_bytes(r._take(8), "big")
echoed = r._take(n)
report(ok and echoed == payload, "WebSocket: 101, 70000-byte binary frame echoed")
s.close()

# --- a request for no route: 404 with the JSON body, connection closed
s6 = socket.create_connection(("fd00:10::100", PORT), timeout=5)
s6.sendall(b"GET /nothing HTTP/1.1\r\nHost: a\r\n\r\n")
r = Reader(s6)
resp = r.response()
body = json.loads(resp[2]) if resp else {}
report(resp is not None and resp[0] == 404 and body.get("reason") == "no route matches",
       "no route: 404 with a JSON reason", f"{resp and resp[0]} {body}")
s6.close()

# --- header timeout: a head never finished gets 408 and a close
t0 = time.time()
s = connect(timeout=10)
s.sendall(b"GET /echo HTTP/1.1\r\nHost: a\r\n")
r = Reader(s)
resp = r.response()
report(resp is not None and resp[0] == 408 and closed_after(s, r),
       "unfinished head: 408 after header_timeout_ms, closed")
s.close()

sys.exit(1 if failures else 0)
