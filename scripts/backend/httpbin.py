#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""HTTP/1.1 test backend for one lab endpoint of the meshgate HTTP proxy tests.

Every response carries "X-Endpoint: <id>" so a test can tell which endpoint
answered. One asyncio loop serves every connection; requests on a connection
(pipelined or not) are answered in order. Endpoints:

  /echo...             any method: JSON with the request as received
                       (method, raw target, version, headers in order,
                       trailers, body_len, body_sha256)
  /status/NNN          answer NNN (1xx: sent as an interim response, then 200)
  /delay/MS            sleep MS milliseconds, then 200
  /bytes/N[?seed=S]    N bytes of a deterministic stream, Content-Length
  /bytes-chunked/N     the same stream, chunked, in chunks of varying sizes
  /upload              POST/PUT: JSON with the body's length and SHA-256
  /fail-once/KEY       503 the first time KEY is asked for, then 200
  /fail/KEY            503 while STATE/fail-<id> exists, else 200
  /health              "ok", or 503 while STATE/unhealthy-<id> exists
  /ws                  WebSocket echo (RFC 6455)
  /close               200 with "Connection: close", then close

Every request body (Content-Length or chunked with trailers) is read and
hashed before the answer, so framing stays intact on keep-alive connections;
"Expect: 100-continue" gets "100 Continue" before the body is read. Malformed
requests get 400 (414, 431, 501, 505 where they fit) and the connection is
closed.

The /bytes stream can be reproduced locally for checks:
  httpbin.py --gen N [--seed S]           write the stream to stdout
  httpbin.py --gen-sha256 N [--seed S]    print its SHA-256
  httpbin.py --self-test                  exercise every endpoint, raw sockets
"""

import argparse
import asyncio
import base64
import codecs
import hashlib
import json
import os
import re
import signal
import socket
import struct
import sys
import tempfile
import threading
import time
from http import HTTPStatus

# Limits; beyond them the request is refused with the status that says why.
MAX_REQUEST_LINE = 16 * 1024
MAX_HEADER_LINE = 64 * 1024
MAX_HEADER_BYTES = 64 * 1024
MAX_HEADERS = 256
MAX_CHUNK_LINE = 4096
MAX_BYTES = 1 << 40
MAX_DELAY_MS = 3600 * 1000
MAX_WS_FRAME = 64 * 1024 * 1024
READ_PIECE = 256 * 1024
SEND_PIECE = 64 * 1024

TCHARS = rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
TOKEN = re.compile(TCHARS + rb"\Z")
REQUEST_LINE = re.compile(
    rb"(" + TCHARS + rb") ([\x21-\x7e]+) HTTP/([0-9])\.([0-9])\Z")
# Field values: visible ASCII, obs-text, SP and HTAB; no CR, LF, NUL or DEL.
FIELD_VALUE_BAD = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
HEX = re.compile(rb"[0-9A-Fa-f]{1,16}\Z")
CHUNK_EXT = re.compile(
    rb"(?:[ \t]*;[ \t]*" + TCHARS + rb"(?:[ \t]*=[ \t]*(?:" + TCHARS +
    rb"|\"[^\"\\\r\n]*\"))?)*\Z")

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

# Chunk sizes /bytes-chunked cycles through: tiny, odd, block-sized and large,
# so a proxy's chunked decoder meets every boundary case.
CHUNK_SIZES = (1, 65536, 17, 4096, 65535, 300, 32768, 8191, 2, 16384)


class BadRequest(Exception):
    """A request we refuse; the connection is closed after the answer."""

    def __init__(self, status, why):
        super().__init__(why)
        self.status = status
        self.why = why


class PeerGone(Exception):
    """The client closed or timed out mid-request: close without answering."""


# ---------------------------------------------------------------------------
# The deterministic /bytes stream.
#
# A 1 MiB base block per seed is SHA-256 in counter mode; block b of the
# stream is that base rotated left by rot(b), itself a hash of the seed and b,
# so content depends on position yet every 64 KiB piece is a zero-copy slice
# of base+base (Python could not generate ~GB/s otherwise).

BLOCK = 1 << 20
_base_cache = {}


def _seed_bytes(seed):
    return seed.encode("utf-8", "surrogateescape")


def stream_base(seed):
    """Return base+base (2 MiB) for seed, cached for a few recent seeds."""
    doubled = _base_cache.get(seed)
    if doubled is not None:
        return doubled
    prefix = b"mg-httpbin:" + _seed_bytes(seed) + b":"
    base = b"".join(hashlib.sha256(prefix + i.to_bytes(8, "big")).digest()
                    for i in range(BLOCK // 32))
    doubled = memoryview(base + base)
    if len(_base_cache) >= 16:
        _base_cache.pop(next(iter(_base_cache)))
    _base_cache[seed] = doubled
    return doubled


def stream_rotation(seed, block):
    digest = hashlib.sha256(b"mg-httpbin-rot:" + _seed_bytes(seed) + b":" +
                            block.to_bytes(8, "big")).digest()
    return int.from_bytes(digest[:4], "big") % BLOCK


def stream_pieces(seed, start, length, piece=SEND_PIECE):
    """Yield memoryviews covering stream bytes [start, start + length)."""
    doubled = stream_base(seed)
    pos, end = start, start + length
    while pos < end:
        block, off = divmod(pos, BLOCK)
        n = min(piece, end - pos, BLOCK - off)
        rot = stream_rotation(seed, block)
        yield doubled[rot + off:rot + off + n]
        pos += n


# ---------------------------------------------------------------------------
# Requests.

class Request:
    __slots__ = ("method", "target", "path", "query", "major", "minor",
                 "headers", "fields", "framing", "length", "keep_alive",
                 "expect_continue", "trailers", "body_len", "body_sha256")

    def __init__(self):
        self.headers = []
        self.fields = {}
        self.trailers = []
        self.framing = None
        self.length = 0
        self.expect_continue = False
        self.body_len = 0
        self.body_sha256 = ""

    def field(self, name):
        """Last value of a header (lower-case name) or None."""
        values = self.fields.get(name)
        return values[-1] if values else None

    def tokens(self, name):
        """Comma-separated tokens of every value of a header, lower-cased."""
        out = []
        for value in self.fields.get(name, ()):
            out.extend(t.strip().lower() for t in value.split(b",")
                       if t.strip())
        return out

    @property
    def version(self):
        return "HTTP/%d.%d" % (self.major, self.minor)


def split_target(target):
    """Path and query of an origin-form or absolute-form target."""
    if target.startswith((b"http://", b"https://")):
        rest = target.split(b"//", 1)[1]
        slash = rest.find(b"/")
        target = rest[slash:] if slash >= 0 else b"/"
    path, _, query = target.partition(b"?")
    return path, query


def query_param(query, name):
    for pair in query.split(b"&"):
        key, _, value = pair.partition(b"=")
        if key == name:
            return value.decode("latin-1")
    return None


def reason_phrase(status):
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Status %d" % status


def to_json(obj):
    return (json.dumps(obj, separators=(",", ":")) + "\n").encode()


class Connection:
    """One client connection: read requests, answer them in order."""

    def __init__(self, server, reader, writer):
        self.server = server
        self.reader = reader
        self.writer = writer
        self.peer = writer.get_extra_info("peername") or ("?",)
        self.major, self.minor = 1, 1
        self.last_active = time.monotonic()
        self.sleeping = False

    # -- reading ------------------------------------------------------------

    async def read_line(self, limit, too_long_status, what):
        try:
            line = await self.reader.readuntil(b"\n")
        except asyncio.IncompleteReadError:
            raise PeerGone() from None
        except asyncio.LimitOverrunError:
            raise BadRequest(too_long_status, what + " too long") from None
        self.last_active = time.monotonic()
        if len(line) > limit + 2:
            raise BadRequest(too_long_status, what + " too long")
        if not line.endswith(b"\r\n") or b"\r" in line[:-2]:
            raise BadRequest(400, "bare CR or LF in " + what)
        return line[:-2]

    async def read_exact(self, n):
        try:
            data = await self.reader.readexactly(n)
        except asyncio.IncompleteReadError:
            raise PeerGone() from None
        self.last_active = time.monotonic()
        return data

    async def read_some(self, n):
        data = await self.reader.read(min(n, READ_PIECE))
        if not data:
            raise PeerGone()
        self.last_active = time.monotonic()
        return data

    async def read_fields(self, into, what):
        """Read header or trailer fields up to the empty line."""
        total = 0
        while True:
            line = await self.read_line(MAX_HEADER_LINE, 431, what)
            if not line:
                return
            total += len(line) + 2
            if total > MAX_HEADER_BYTES or len(into) >= MAX_HEADERS:
                raise BadRequest(431, what + " section too large")
            if line[:1] in (b" ", b"\t"):
                raise BadRequest(400, "obsolete line folding")
            name, colon, value = line.partition(b":")
            if not colon or not TOKEN.match(name):
                raise BadRequest(400, "invalid field name")
            value = value.strip(b" \t")
            if FIELD_VALUE_BAD.search(value):
                raise BadRequest(400, "invalid character in field value")
            into.append((name, value))

    async def read_request(self):
        """Parse the next request head; None at a clean end of connection."""
        # A client may send CRLF between requests (RFC 9112 2.2).
        for _ in range(4):
            try:
                line = await self.read_line(MAX_REQUEST_LINE, 414,
                                            "request line")
            except PeerGone:
                return None
            if line:
                break
        else:
            raise BadRequest(400, "empty lines instead of a request")
        m = REQUEST_LINE.match(line)
        if not m:
            raise BadRequest(400, "malformed request line")
        req = Request()
        req.method, req.target = m.group(1), m.group(2)
        req.major, req.minor = int(m.group(3)), int(m.group(4))
        if req.major != 1:
            raise BadRequest(505, "unsupported HTTP version")
        self.major, self.minor = 1, min(req.minor, 1)
        req.path, req.query = split_target(req.target)
        await self.read_fields(req.headers, "header")
        for name, value in req.headers:
            req.fields.setdefault(name.lower(), []).append(value)
        check_framing(req)
        return req

    async def body_pieces(self, req):
        """Yield the request body; chunked trailers land in req.trailers."""
        if req.framing is None:
            return
        if req.expect_continue:
            await self.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        if req.framing == "length":
            left = req.length
            while left:
                data = await self.read_some(left)
                left -= len(data)
                yield data
            return
        while True:
            line = await self.read_line(MAX_CHUNK_LINE, 400,
                                        "chunk size line")
            digits = line
            semi = line.find(b";")
            if semi >= 0:
                digits = line[:semi].rstrip(b" \t")
                if not CHUNK_EXT.match(line[len(digits):]):
                    raise BadRequest(400, "malformed chunk extension")
            if not HEX.match(digits):
                raise BadRequest(400, "malformed chunk size")
            left = int(digits, 16)
            if left == 0:
                await self.read_fields(req.trailers, "trailer")
                return
            while left:
                data = await self.read_some(left)
                left -= len(data)
                yield data
            if await self.read_exact(2) != b"\r\n":
                raise BadRequest(400, "chunk data not followed by CRLF")

    async def consume_body(self, req):
        digest = hashlib.sha256()
        n = 0
        async for data in self.body_pieces(req):
            digest.update(data)
            n += len(data)
        req.body_len = n
        req.body_sha256 = digest.hexdigest()

    # -- writing ------------------------------------------------------------

    async def send(self, data, flush=False):
        """Queue data; wait only when the peer is not keeping up."""
        transport = self.writer.transport
        if transport.is_closing():
            raise PeerGone()
        self.writer.write(data)
        if flush or transport.get_write_buffer_size() > SEND_PIECE:
            await self.writer.drain()
            self.last_active = time.monotonic()

    def head(self, status, headers, keep_alive, reason=None):
        lines = ["HTTP/%d.%d %d %s" % (self.major, self.minor, status,
                                       reason or reason_phrase(status)),
                 "Server: mg-httpbin",
                 "X-Endpoint: %d" % self.server.endpoint_id]
        lines.extend("%s: %s" % kv for kv in headers)
        if not keep_alive:
            lines.append("Connection: close")
        elif self.minor == 0:
            lines.append("Connection: keep-alive")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def log(self, req, status):
        if self.server.verbose:
            print("endpoint %d %s %s %s %d" % (
                self.server.endpoint_id, self.peer[0],
                req.method.decode() if req else "-",
                req.target.decode("latin-1") if req else "-", status),
                flush=True)

    async def respond(self, req, status, body=b"", ctype="text/plain",
                      keep_alive=None, extra=()):
        """Send a response framed by Content-Length; returns keep-alive."""
        if keep_alive is None:
            keep_alive = req.keep_alive if req else False
        headers = list(extra)
        if status < 200 or status in (204, 304):
            body = b""
        else:
            headers.append(("Content-Type", ctype))
            headers.append(("Content-Length", str(len(body))))
        if req is not None and req.method == b"HEAD":
            body = b""
        await self.send(self.head(status, headers, keep_alive) + body)
        self.log(req, status)
        return keep_alive

    async def lingering_close(self):
        """Close so an answer is not lost to a reset by unread input."""
        try:
            await self.writer.drain()
            self.writer.write_eof()
            async with asyncio.timeout(1.0):
                drained = 0
                while drained < (1 << 20):
                    data = await self.reader.read(65536)
                    if not data:
                        break
                    drained += len(data)
        except (OSError, TimeoutError, PeerGone):
            pass

    # -- serving ------------------------------------------------------------

    async def run(self):
        self.server.connections.add(self)
        graceful = True
        try:
            while True:
                req = await self.read_request()
                if req is None:
                    graceful = False
                    break
                if not await self.dispatch(req):
                    break
        except BadRequest as e:
            body = to_json({"status": e.status, "reason": e.why,
                            "endpoint": self.server.endpoint_id})
            try:
                await self.respond(None, e.status, body, "application/json",
                                   keep_alive=False)
            except (OSError, PeerGone):
                graceful = False
        except (PeerGone, OSError):
            graceful = False
        except Exception as e:  # a bug here must not kill the server
            print("httpbin %d: %s: %r" % (self.server.endpoint_id,
                                          self.peer[0], e), file=sys.stderr)
            graceful = False
        finally:
            self.server.connections.discard(self)
        if graceful:
            await self.lingering_close()
            self.writer.close()
        else:
            self.writer.transport.abort()

    async def dispatch(self, req):
        """Answer one request; returns whether the connection stays open."""
        path = req.path
        if path == b"/ws":
            return await self.websocket(req)
        await self.consume_body(req)
        if path.startswith(b"/echo"):
            return await self.echo(req)
        if path == b"/upload":
            if req.method not in (b"POST", b"PUT"):
                return await self.respond(req, 405, b"POST or PUT\n",
                                          extra=[("Allow", "POST, PUT")])
            return await self.respond(req, 200, to_json({
                "endpoint": self.server.endpoint_id,
                "bytes": req.body_len, "sha256": req.body_sha256}),
                "application/json")
        if path == b"/health":
            if self.server.state_file("unhealthy"):
                return await self.respond(req, 503, b"unhealthy\n")
            return await self.respond(req, 200, b"ok\n")
        if path == b"/close":
            return await self.respond(req, 200, b"closing\n",
                                      keep_alive=False)
        for prefix, handler in self.NUMBERED:
            if path.startswith(prefix):
                arg = path[len(prefix):]
                if not arg.isdigit() or len(arg) > 15:
                    raise BadRequest(400, "bad number in path")
                return await handler(self, req, int(arg))
        if path.startswith(b"/fail-once/") and len(path) > 11:
            return await self.respond(req, 503 if self.server.first_time(path)
                                      else 200, b"fail-once\n")
        if path.startswith(b"/fail/") and len(path) > 6:
            return await self.respond(req, 503 if self.server.state_file(
                "fail") else 200, b"fail\n")
        return await self.respond(req, 404, to_json({
            "status": 404, "reason": "no such path",
            "endpoint": self.server.endpoint_id,
            "path": req.target.decode("latin-1")}), "application/json")

    async def echo(self, req):
        def pairs(fields):
            return [[n.decode("latin-1"), v.decode("latin-1")]
                    for n, v in fields]
        return await self.respond(req, 200, to_json({
            "endpoint": self.server.endpoint_id,
            "method": req.method.decode("latin-1"),
            "path": req.target.decode("latin-1"),
            "version": req.version,
            "headers": pairs(req.headers),
            "trailers": pairs(req.trailers),
            "body_len": req.body_len,
            "body_sha256": req.body_sha256}), "application/json")

    async def status(self, req, code):
        if code < 100 or code > 599 or code == 101:
            raise BadRequest(400, "status out of range")
        if code < 200:
            # An interim response alone would leave the client waiting.
            if self.minor >= 1:
                await self.send(self.head(code, [], True))
            return await self.respond(req, 200, b"sent %d\n" % code)
        return await self.respond(req, code, b"status %d\n" % code)

    async def delay(self, req, ms):
        if ms > MAX_DELAY_MS:
            raise BadRequest(400, "delay too long")
        self.sleeping = True
        await asyncio.sleep(ms / 1000.0)
        self.sleeping = False
        self.last_active = time.monotonic()
        return await self.respond(req, 200, b"delayed %d ms\n" % ms)

    async def send_bytes(self, req, n, chunked=False):
        if n > MAX_BYTES:
            raise BadRequest(400, "too many bytes")
        seed = query_param(req.query, b"seed") or "0"
        keep_alive = req.keep_alive
        headers = [("Content-Type", "application/octet-stream")]
        if not chunked:
            headers.append(("Content-Length", str(n)))
        elif self.minor >= 1:
            headers.append(("Transfer-Encoding", "chunked"))
        else:
            keep_alive = False  # HTTP/1.0 has no chunked: close delimits
        await self.send(self.head(200, headers, keep_alive))
        self.log(req, 200)
        if req.method == b"HEAD":
            return keep_alive
        if not chunked or self.minor == 0:
            for piece in stream_pieces(seed, 0, n):
                await self.send(piece, flush=True)
            return keep_alive
        pos, i, out, out_len = 0, 0, [], 0
        while pos < n:
            size = min(CHUNK_SIZES[i % len(CHUNK_SIZES)], n - pos)
            out.append(b"%x\r\n" % size)
            out.extend(stream_pieces(seed, pos, size))
            out.append(b"\r\n")
            out_len += size
            pos += size
            i += 1
            if out_len >= SEND_PIECE:
                await self.send(b"".join(out), flush=True)
                out, out_len = [], 0
        out.append(b"0\r\n\r\n")
        await self.send(b"".join(out))
        return keep_alive

    async def bytes_chunked(self, req, n):
        return await self.send_bytes(req, n, chunked=True)

    NUMBERED = ((b"/status/", status), (b"/delay/", delay),
                (b"/bytes/", send_bytes), (b"/bytes-chunked/", bytes_chunked))

    # -- WebSocket ----------------------------------------------------------

    async def websocket(self, req):
        if req.framing is not None:
            raise BadRequest(400, "body on a WebSocket handshake")
        key = req.field(b"sec-websocket-key")
        if (req.method != b"GET" or req.minor < 1
                or b"websocket" not in req.tokens(b"upgrade")
                or b"upgrade" not in req.tokens(b"connection")):
            return await self.respond(req, 426,
                                      b"WebSocket upgrade required\n",
                                      extra=[("Upgrade", "websocket")])
        if req.field(b"sec-websocket-version") != b"13":
            raise BadRequest(400, "Sec-WebSocket-Version must be 13")
        try:
            if key is None or len(base64.b64decode(key, validate=True)) != 16:
                raise ValueError
        except ValueError:
            raise BadRequest(400, "bad Sec-WebSocket-Key") from None
        accept = base64.b64encode(hashlib.sha1(key + WS_GUID).digest())
        await self.send(self.head(101, [
            ("Upgrade", "websocket"), ("Connection", "Upgrade"),
            ("Sec-WebSocket-Accept", accept.decode())], True,
            "Switching Protocols"))
        self.log(req, 101)
        await self.ws_echo()
        return False

    async def ws_send(self, first_byte, payload):
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", first_byte, n)
        elif n < 65536:
            head = struct.pack("!BBH", first_byte, 126, n)
        else:
            head = struct.pack("!BBQ", first_byte, 127, n)
        await self.send(head + payload)

    async def ws_echo(self):
        """Echo data frames as they come, answer pings, close on close."""
        in_message = None  # opcode of the unfinished message, if any
        text = None
        while True:
            b0, b1 = await self.read_exact(2)
            fin, op, n = b0 & 0x80, b0 & 0x0F, b1 & 0x7F
            if b0 & 0x70 or not b1 & 0x80 or op not in (0, 1, 2, 8, 9, 10):
                return await self.ws_close(1002)
            if n == 126:
                n = struct.unpack("!H", await self.read_exact(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", await self.read_exact(8))[0]
            if op >= 8 and (not fin or n > 125):
                return await self.ws_close(1002)
            if n > MAX_WS_FRAME:
                return await self.ws_close(1009)
            mask = await self.read_exact(4)
            payload = ws_unmask(await self.read_exact(n), mask)
            if op == 8:
                if n == 1:
                    return await self.ws_close(1002)
                return await self.ws_send(0x88, payload[:2])
            if op == 9:
                await self.ws_send(0x8A, payload)
                continue
            if op == 10:
                continue
            if (op == 0) != (in_message is not None):
                return await self.ws_close(1002)  # continuation out of place
            if op == 1:
                text = codecs.getincrementaldecoder("utf-8")()
            if op == 1 or (op == 0 and in_message == 1):
                try:
                    text.decode(payload, final=bool(fin))
                except UnicodeDecodeError:
                    return await self.ws_close(1007)
            in_message = None if fin else (in_message or op)
            await self.ws_send(b0 & 0x8F, payload)

    async def ws_close(self, code):
        await self.ws_send(0x88, struct.pack("!H", code))


def check_framing(req):
    """Body framing, Host, keep-alive and Expect of a parsed head."""
    hosts = req.fields.get(b"host", [])
    if req.minor >= 1 and len(hosts) != 1:
        raise BadRequest(400, "missing or duplicate Host")
    te = req.tokens(b"transfer-encoding")
    lengths = req.fields.get(b"content-length", [])
    if b"transfer-encoding" in req.fields:
        if lengths:
            raise BadRequest(400, "Content-Length with Transfer-Encoding")
        if req.minor == 0:
            raise BadRequest(400, "Transfer-Encoding in HTTP/1.0")
        if not te or te[-1] != b"chunked" or te.count(b"chunked") != 1:
            raise BadRequest(400, "Transfer-Encoding not ending chunked")
        if len(te) != 1:
            raise BadRequest(501, "unsupported transfer coding")
        req.framing = "chunked"
    elif lengths:
        if any(not v.isdigit() or len(v) > 18 for v in lengths):
            raise BadRequest(400, "malformed Content-Length")
        if len(set(int(v) for v in lengths)) != 1:
            raise BadRequest(400, "differing Content-Length")
        req.length = int(lengths[0])
        req.framing = "length" if req.length else None
    conn = req.tokens(b"connection")
    if req.minor >= 1:
        req.keep_alive = b"close" not in conn
    else:
        req.keep_alive = b"keep-alive" in conn
    expect = req.field(b"expect")
    if expect is not None:
        if expect.lower() != b"100-continue":
            raise BadRequest(417, "unsupported Expect")
        req.expect_continue = req.minor >= 1 and req.framing is not None


def ws_unmask(data, mask):
    n = len(data)
    if not n:
        return b""
    key = (mask * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "little") ^
            int.from_bytes(key, "little")).to_bytes(n, "little")


# ---------------------------------------------------------------------------
# Server.

def parse_listen(spec):
    """"1.2.3.4:80" or "[fd00::1]:80" to (family, address, port)."""
    addr, sep, port = spec.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError("expected ADDR:PORT, got %r" % spec)
    if addr.startswith("[") and addr.endswith("]"):
        return socket.AF_INET6, addr[1:-1], int(port)
    if ":" in addr:
        raise ValueError("IPv6 address needs brackets: %r" % spec)
    return socket.AF_INET, addr, int(port)


class Server:
    """All listeners of one endpoint on one asyncio loop.

    One loop rather than a thread per connection: with 250 busy connections
    threads fighting for the GIL left some requests waiting over 2 s, while
    the loop serves connections round robin.
    """

    def __init__(self, endpoint_id, state_dir, verbose=False,
                 idle_timeout=120.0):
        self.endpoint_id = endpoint_id
        self.state_dir = state_dir
        self.verbose = verbose
        self.idle_timeout = idle_timeout
        self.servers = []
        self.connections = set()
        self.seen = set()
        self.sweeper = None

    def state_file(self, kind):
        return os.path.exists(os.path.join(
            self.state_dir, "%s-%d" % (kind, self.endpoint_id)))

    def first_time(self, key):
        if key in self.seen:
            return False
        self.seen.add(key)
        return True

    async def listen(self, family, addr, port):
        """Bind and serve one address; returns the bound port."""
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        try:
            s.bind((addr, port))
        except OSError:
            s.close()
            raise
        self.servers.append(await asyncio.start_server(
            self.accept, sock=s, backlog=1024, limit=MAX_HEADER_LINE + 2))
        if self.sweeper is None:
            self.sweeper = asyncio.create_task(self.sweep())
        return s.getsockname()[1]

    async def accept(self, reader, writer):
        await Connection(self, reader, writer).run()

    async def sweep(self):
        """Drop connections silent for longer than the idle timeout."""
        while True:
            await asyncio.sleep(min(1.0, self.idle_timeout))
            limit = time.monotonic() - self.idle_timeout
            for conn in list(self.connections):
                if conn.last_active < limit and not conn.sleeping:
                    conn.writer.transport.abort()

    def stop(self):
        for server in self.servers:
            server.close()
        if self.sweeper is not None:
            self.sweeper.cancel()


def write_pidfile(path):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(tmp, path)


async def serve(args):
    server = Server(args.id, args.state_dir, args.verbose, args.idle_timeout)
    try:
        for spec in args.listen:
            await server.listen(*parse_listen(spec))
    except (ValueError, OSError) as e:
        print("httpbin: listen: %s" % e, file=sys.stderr)
        return 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if args.pidfile:
        write_pidfile(args.pidfile)
    await stop.wait()
    server.stop()
    if args.pidfile:
        try:
            os.unlink(args.pidfile)
        except OSError:
            pass
    return 0


def generate(n, seed, sha_only):
    digest = hashlib.sha256()
    out = sys.stdout.buffer
    for piece in stream_pieces(seed, 0, n, BLOCK):
        if sha_only:
            digest.update(piece)
        else:
            out.write(piece)
    if sha_only:
        print(digest.hexdigest())
    else:
        out.flush()
    return 0


def main():
    ap = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="usage: httpbin.py --id N --listen ADDR:PORT "
               "[--listen [V6ADDR]:PORT ...] [--pidfile F]")
    ap.add_argument("--id", type=int, help="endpoint id for X-Endpoint")
    ap.add_argument("--listen", action="append", default=[],
                    metavar="ADDR:PORT",
                    help="repeatable; IPv6 as [addr]:port")
    ap.add_argument("--pidfile")
    ap.add_argument("--state-dir", default="/run/meshgate-lab",
                    help="where fail-<id> and unhealthy-<id> are looked for")
    ap.add_argument("--idle-timeout", type=float, default=120.0,
                    help="seconds a connection may stay silent")
    ap.add_argument("--verbose", action="store_true",
                    help="log one line per request to stdout")
    ap.add_argument("--gen", type=int, metavar="N",
                    help="write N bytes of the /bytes stream to stdout")
    ap.add_argument("--gen-sha256", type=int, metavar="N",
                    help="print the SHA-256 of N bytes of the /bytes stream")
    ap.add_argument("--seed", default="0", help="stream seed for --gen*")
    ap.add_argument("--self-test", action="store_true")
    args = ap.parse_args()

    if args.self_test:
        return self_test()
    if args.gen is not None:
        return generate(args.gen, args.seed, False)
    if args.gen_sha256 is not None:
        return generate(args.gen_sha256, args.seed, True)
    if args.id is None or not args.listen:
        ap.error("--id and at least one --listen are required")
    return asyncio.run(serve(args))


# ---------------------------------------------------------------------------
# Self-test: a server on an ephemeral port, raw sockets against it.

class Client:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def fill(self):
        data = self.sock.recv(1 << 20)
        if not data:
            raise EOFError("connection closed")
        self.buf += data

    def until(self, delim):
        while delim not in self.buf:
            self.fill()
        line, self.buf = self.buf.split(delim, 1)
        return line

    def exact(self, n):
        while len(self.buf) < n:
            self.fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def closed(self):
        try:
            return not self.buf and not self.sock.recv(1)
        except ConnectionResetError:
            return True

    def response(self, head=False):
        """(version, status, lower-case header dict, body) of one response."""
        lines = self.until(b"\r\n\r\n").split(b"\r\n")
        version, status = lines[0].split(b" ")[:2]
        status = int(status)
        hdrs = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            hdrs[name.strip().lower().decode()] = value.strip().decode()
        if head or status < 200 or status in (204, 304):
            body = b""
        elif hdrs.get("transfer-encoding") == "chunked":
            parts = []
            while True:
                size = int(self.until(b"\r\n"), 16)
                if not size:
                    self.until(b"\r\n")
                    break
                parts.append(self.exact(size))
                assert self.exact(2) == b"\r\n"
            body = b"".join(parts)
        elif "content-length" in hdrs:
            body = self.exact(int(hdrs["content-length"]))
        else:
            try:
                while True:
                    self.fill()
            except EOFError:
                pass
            body, self.buf = self.buf, b""
        return version.decode(), status, hdrs, body

    def close(self):
        self.sock.close()


def reference_stream(seed, n):
    """The /bytes stream rebuilt block by block, independent of slicing."""
    prefix = b"mg-httpbin:" + _seed_bytes(seed) + b":"
    base = b"".join(hashlib.sha256(prefix + i.to_bytes(8, "big")).digest()
                    for i in range(BLOCK // 32))
    out = bytearray()
    block = 0
    while len(out) < n:
        rot = stream_rotation(seed, block)
        out += base[rot:] + base[:rot]
        block += 1
    return bytes(out[:n])


def ws_frame(op, payload, fin=True):
    mask = os.urandom(4)
    n = len(payload)
    b0 = (0x80 if fin else 0) | op
    if n < 126:
        head = struct.pack("!BB", b0, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", b0, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", b0, 0x80 | 127, n)
    return head + mask + ws_unmask(payload, mask)


def ws_read(c):
    b0, b1 = c.exact(2)
    assert not b1 & 0x80, "server frames must not be masked"
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack("!H", c.exact(2))[0]
    elif n == 127:
        n = struct.unpack("!Q", c.exact(8))[0]
    return b0, c.exact(n)


def self_test():
    state = tempfile.mkdtemp(prefix="mg-httpbin-")
    server = Server(7, state)
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    port = asyncio.run_coroutine_threadsafe(
        server.listen(socket.AF_INET, "127.0.0.1", 0), loop).result()
    H = b"Host: t\r\n"

    def get(path, extra=b"", version=b"1.1"):
        c = Client(port)
        c.send(b"GET " + path + b" HTTP/" + version + b"\r\n" + H + extra +
               b"\r\n")
        r = c.response()
        c.close()
        return r

    def check(cond, what):
        if not cond:
            raise AssertionError(what)

    # Echo: headers in order with names as sent, raw target, body hash.
    c = Client(port)
    body = b"hello world"
    c.send(b"PUT /echo/x?a=1&b=2 HTTP/1.1\r\nHost: t\r\nX-B: 2\r\n"
           b"x-a:  1 \r\nContent-Length: 11\r\n\r\n" + body)
    v, st, h, b = c.response()
    e = json.loads(b)
    check(st == 200 and h["x-endpoint"] == "7", "echo status")
    check(e["method"] == "PUT" and e["path"] == "/echo/x?a=1&b=2", "echo req")
    check(e["headers"] == [["Host", "t"], ["X-B", "2"], ["x-a", "1"],
                           ["Content-Length", "11"]], "echo headers")
    check(e["body_len"] == 11 and
          e["body_sha256"] == hashlib.sha256(body).hexdigest(), "echo body")

    # Pipelining: three requests in one write, answered in order.
    c.send(b"GET /echo/1 HTTP/1.1\r\n" + H + b"\r\n"
           b"POST /echo/2 HTTP/1.1\r\n" + H + b"Content-Length: 3\r\n\r\nabc"
           b"HEAD /status/204 HTTP/1.1\r\n" + H + b"\r\n")
    check(json.loads(c.response()[3])["path"] == "/echo/1", "pipeline 1")
    check(json.loads(c.response()[3])["body_len"] == 3, "pipeline 2")
    check(c.response(head=True)[1] == 204, "pipeline 3")
    c.send(b"HEAD /echo HTTP/1.1\r\n" + H + b"\r\n")
    v, st, h, b = c.response(head=True)
    check(st == 200 and int(h["content-length"]) > 0 and not c.buf, "HEAD")
    c.close()

    # Chunked upload with extensions and trailers; 100-continue.
    c = Client(port)
    payload = os.urandom(100000)
    chunks = b"".join(b"%x;ext=1\r\n" % len(p) + p + b"\r\n"
                      for p in (payload[:1], payload[1:70000],
                                payload[70000:]))
    c.send(b"POST /upload HTTP/1.1\r\n" + H +
           b"Transfer-Encoding: chunked\r\n\r\n" + chunks +
           b"0\r\nX-Trailer: t\r\n\r\n")
    u = json.loads(c.response()[3])
    check(u == {"endpoint": 7, "bytes": len(payload),
                "sha256": hashlib.sha256(payload).hexdigest()}, "chunked up")
    c.send(b"POST /upload HTTP/1.1\r\n" + H + b"Expect: 100-continue\r\n"
           b"Content-Length: %d\r\n\r\n" % len(payload))
    check(c.response()[1] == 100, "100 Continue")
    c.send(payload)
    u = json.loads(c.response()[3])
    check(u["sha256"] == hashlib.sha256(payload).hexdigest(), "100 upload")
    c.send(b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n"
           b"\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n")
    e = json.loads(c.response()[3])
    check(e["trailers"] == [["X-T", "1"]] and e["body_len"] == 3, "trailers")
    c.close()

    # Status, delay, interim responses.
    check(get(b"/status/418")[1] == 418, "status 418")
    v, st, h, b = get(b"/status/304")
    check(st == 304 and not b and "content-length" not in h, "status 304")
    c = Client(port)
    c.send(b"GET /status/103 HTTP/1.1\r\n" + H + b"\r\n")
    check(c.response()[1] == 103 and c.response()[1] == 200, "status 103")
    c.close()
    t0 = time.monotonic()
    check(get(b"/delay/50")[1] == 200, "delay status")
    check(time.monotonic() - t0 >= 0.05, "delay slept")

    # /bytes and /bytes-chunked against the rebuilt stream.
    n = 3 * BLOCK + 12345
    want = reference_stream("abc", n)
    v, st, h, b = get(b"/bytes/%d?seed=abc" % n)
    check(st == 200 and int(h["content-length"]) == n, "bytes head")
    check(hashlib.sha256(b).digest() == hashlib.sha256(want).digest(),
          "bytes content")
    v, st, h, b = get(b"/bytes-chunked/%d?seed=abc" % n)
    check(h.get("transfer-encoding") == "chunked" and b == want,
          "bytes-chunked content")
    check(get(b"/bytes/100")[3] == reference_stream("0", 100), "bytes seed 0")
    check(get(b"/bytes/0")[3] == b"", "bytes 0")

    # Fail-once, fail and health follow the shared dict and state files.
    check(get(b"/fail-once/k")[1] == 503, "fail-once first")
    check(get(b"/fail-once/k")[1] == 200, "fail-once later")
    check(get(b"/fail/x")[1] == 200, "fail absent")
    check(get(b"/health")[3] == b"ok\n", "health ok")
    for kind in ("fail", "unhealthy"):
        open(os.path.join(state, "%s-7" % kind), "w").close()
    check(get(b"/fail/x")[1] == 503, "fail present")
    check(get(b"/health")[1] == 503, "health bad")
    for kind in ("fail", "unhealthy"):
        os.unlink(os.path.join(state, "%s-7" % kind))
    os.rmdir(state)
    check(get(b"/health")[1] == 200, "health back")

    # WebSocket: handshake, 70000-byte binary, fragmented text, ping, close.
    c = Client(port)
    key = base64.b64encode(os.urandom(16))
    c.send(b"GET /ws HTTP/1.1\r\n" + H + b"Upgrade: websocket\r\n"
           b"Connection: keep-alive, Upgrade\r\nSec-WebSocket-Version: 13\r\n"
           b"Sec-WebSocket-Key: " + key + b"\r\n\r\n")
    v, st, h, b = c.response(head=True)
    check(st == 101 and h["sec-websocket-accept"] == base64.b64encode(
        hashlib.sha1(key + WS_GUID).digest()).decode(), "ws handshake")
    blob = os.urandom(70000)
    c.send(ws_frame(2, blob))
    check(ws_read(c) == (0x82, blob), "ws binary echo")
    c.send(ws_frame(1, "héllo ".encode(), fin=False) + ws_frame(9, b"p") +
           ws_frame(0, b"world"))
    check(ws_read(c) == (0x01, "héllo ".encode()), "ws fragment 1")
    check(ws_read(c) == (0x8A, b"p"), "ws pong")
    check(ws_read(c) == (0x80, b"world"), "ws fragment 2")
    c.send(ws_frame(8, struct.pack("!H", 1000)))
    check(ws_read(c) == (0x88, struct.pack("!H", 1000)), "ws close")
    check(c.closed(), "ws closed")
    c.close()

    # /close, HTTP/1.0 with and without keep-alive.
    c = Client(port)
    c.send(b"GET /close HTTP/1.1\r\n" + H + b"\r\n")
    check(c.response()[2].get("connection") == "close" and c.closed(),
          "close")
    c.close()
    c = Client(port)
    c.send(b"GET /echo HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    v, st, h, b = c.response()
    check(v == "HTTP/1.0" and h.get("connection") == "keep-alive", "1.0 ka")
    c.send(b"GET /bytes-chunked/70000 HTTP/1.0\r\n\r\n")
    v, st, h, b = c.response()
    check(v == "HTTP/1.0" and b == reference_stream("0", 70000)
          and c.closed(), "1.0 close-delimited")
    c.close()

    # Malformed requests: 400 (or the precise status) and close.
    for raw, want_status in (
            (b"GET /echo HTTP/1.1\r\nHost: t\r\nBad Name: x\r\n\r\n", 400),
            (b"GET /echo HTTP/1.1\r\nHost : t\r\n\r\n", 400),
            (b"GET /echo HTTP/1.1\r\n\r\n", 400),
            (b"GET /echo HTTP/1.1\nHost: t\n\n", 400),
            (b"GET /echo HTTP/1.1\r\nHost: t\r\n x\r\n\r\n", 400),
            (b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n"
             b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
            (b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n"
             b"Content-Length: 2\r\n\r\nab", 400),
            (b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: "
             b"chunked\r\n\r\n1ffffffffffffffff\r\n", 400),
            (b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: "
             b"chunked, gzip\r\n\r\n", 400),
            (b"GET /" + b"a" * MAX_REQUEST_LINE + b" HTTP/1.1\r\n\r\n", 414),
            (b"GET /echo HTTP/2.0\r\nHost: t\r\n\r\n", 505),
            (b"GARBAGE\r\n\r\n", 400)):
        c = Client(port)
        c.send(raw)
        v, st, h, b = c.response()
        check(st == want_status and h.get("connection") == "close" and
              c.closed(), "malformed %r" % raw[:40])
        c.close()
    check(get(b"/nowhere")[1] == 404, "404")

    # 250 concurrent keep-alive connections, two requests each.
    clients = [Client(port) for _ in range(250)]
    for round_ in range(2):
        for i, c in enumerate(clients):
            c.send(b"GET /echo/%d HTTP/1.1\r\nHost: t\r\n\r\n" % i)
        for i, c in enumerate(clients):
            check(json.loads(c.response()[3])["path"] == "/echo/%d" % i,
                  "concurrent %d" % i)
    for c in clients:
        c.close()

    loop.call_soon_threadsafe(server.stop)
    print("self-test OK")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except AssertionError as e:
        print("self-test FAILED: %s" % e, file=sys.stderr)
        sys.exit(1)
