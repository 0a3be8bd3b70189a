#!/usr/bin/env python3
# Writes the seed corpus of fuzz_route. Byte 0: mode (0x80 = HTTP head),
# listener (bits 4-5), method (low nibble); bytes 1-4: split random value;
# byte 5: output buffer size. Then '\n'-separated fields (method, host,
# path, query, header lines) or an HTTP request head.
import os

here = os.path.dirname(os.path.abspath(__file__))

fields = [
    (0x11, b'GET\napi.example.com\n/exact\n\n'),
    (0x11, b'GET\nA.Example.COM.:8080\n/api/x/y\na=1\nx-env:prod\n'),
    (0x12, b'HEAD\n[::1]:80\n/items/42/z\n\n'),
    (0x10, b'PURGE\n[::1]\n/items/7\n\n'),
    (0x11, b'GET\nz.b.example.org\n/v1\n\nx-env:prod\nx-ver:beta\n'),
    (0x13, b'POST\nq\n/q\na=1&id=123&debug\ncookie:a=b; session=beef\n'),
    (0x11, b'GET\nredirect.example.com\n/from/here\nk=v\n'),
    (0x11, b'GET\nh\n/down\n\n'),
    (0x21, b'GET\nh\n/canary/x\nq=%20+\n'),
    (0x21, b'GET\nw.example.com\n/re/abc\n\n'),
    (0x11, b'GET\na..example.com\n/\n\n'),
]
heads = [
    (0x91, b'GET /api/v1?x=1 HTTP/1.1\r\nHost: w.example.com\r\nX-Env: prod\r\n\r\n'),
    (0xa1, b'GET http://w.example.com/re/x?y#f HTTP/1.1\r\nHost: w.example.com\r\n\r\n'),
    (0x91, b'OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n'),
    (0x93, b'POST /q?a=1&id=9 HTTP/1.0\r\nCookie: session=0a\r\n\r\n'),
]

d = os.path.join(here, 'corpus')
os.makedirs(d, exist_ok=True)
for i, (sel, body) in enumerate(fields + heads):
    for cap in (16, 200):
        with open(os.path.join(d, '%02d-%03d' % (i, cap)), 'wb') as f:
            f.write(bytes([sel, 0x10, 0x32, 0x54, 0x76, cap]) + body)
