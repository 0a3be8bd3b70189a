#!/usr/bin/env python3
# Writes the seed corpora: byte 0 selects limits, byte 1 the split point.
import os

here = os.path.dirname(os.path.abspath(__file__))

seeds = {
    'request': [
        b'GET / HTTP/1.1\r\nHost: a\r\n\r\n',
        b'POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello',
        b'POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n',
        b'GET http://a:8/p HTTP/1.1\r\nHost: a:8\r\nConnection: upgrade\r\nUpgrade: h2c\r\n\r\n',
        b'CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n',
        b'OPTIONS * HTTP/1.0\r\nExpect: 100-continue\r\n\r\n',
        b'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n',
        b'GET / HTTP/1.1\nHost: a\n\n',
        b'GET /a#b HTTP/1.1\r\nHost: a_b.example.:8080\r\n\r\n',
        b'GET http://u@[::ffff:1.2.3.4]:65535/ HTTP/1.1\r\nHost: [2001:db8::1]\r\n\r\n',
        b'GET a:80 HTTP/1.1\r\nHost: %00\r\n\r\n',
        b'GET / HTTP/1.0\r\nHost:\r\n\r\n',
    ],
    'response': [
        b'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi',
        b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n',
        b'HTTP/1.0 304 Not Modified\r\nConnection: keep-alive\r\n\r\n',
        b'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
        b'HTTP/1.1 500 \r\n\r\n',
    ],
    'chunked': [
        b'5\r\nhello\r\n0\r\n\r\n',
        b'a;x=y\r\n0123456789\r\n0\r\nT: v\r\n\r\n',
        b'0000F\r\n0123456789abcde\r\n0;e\r\n\r\n',
        b'ffffffffffffffff\r\nx',
    ],
}

for kind, items in seeds.items():
    d = os.path.join(here, 'corpus-' + kind)
    os.makedirs(d, exist_ok=True)
    for i, s in enumerate(items):
        for sel in (0, 0x31):
            with open(os.path.join(d, '%02d-%02x' % (i, sel)), 'wb') as f:
                f.write(bytes([sel, 7]) + s)
