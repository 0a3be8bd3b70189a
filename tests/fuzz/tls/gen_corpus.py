#!/usr/bin/env python3
# Writes the seed corpora of the TLS fuzzers (see the comments at the top
# of fuzz_server.c and fuzz_record.c for the layout of an input).
import os
import ssl
import struct

here = os.path.dirname(os.path.abspath(__file__))


def client_hello(version, sni, alpn):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = version
    ctx.maximum_version = version
    if alpn:
        ctx.set_alpn_protocols(alpn)
    bin_, bout = ssl.MemoryBIO(), ssl.MemoryBIO()
    s = ctx.wrap_bio(bin_, bout, server_hostname=sni)
    try:
        s.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return bout.read()


def write(kind, name, data):
    d = os.path.join(here, 'corpus-' + kind)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


V12, V13 = ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3
hellos = [
    (V13, 'api.lab.test', ['http/1.1']),
    (V13, 'www.lab.test', ['h2']),
    (V12, 'api.lab.test', ['h2', 'http/1.1']),
    (V12, 'unknown.example', None),
    (V13, None, None),
]
for i, (v, sni, alpn) in enumerate(hellos):
    ch = client_hello(v, sni, alpn)
    for sel in (0, 1, 2, 4 * 7 + 1):
        write('server', '%02d-%02x' % (i, sel), bytes([sel]) + ch)
write('server', 'http', b'\x00GET / HTTP/1.1\r\nHost: a\r\n\r\n')


def rec(flags, body, type_byte=None):
    out = bytes([flags]) + struct.pack('>H', len(body))
    if type_byte is not None:
        out += bytes([type_byte])
    return out + body


records = [
    rec(0, b'GET / HTTP/1.1\r\nHost: api.lab.test\r\n\r\n'),
    rec(0, b'') * 3,
    rec(0x10, b'padded'),
    rec(3, b'\x01\x00'),                  # close_notify
    rec(3, b'\x02\x28'),                  # fatal handshake_failure
    rec(4, b'\x18\x00\x00\x01\x01'),      # KeyUpdate, update_requested
    rec(4, b'\x18\x00\x00\x01\x00') + rec(0, b'after the update'),
    rec(4, b'\x01\x00\x00\x04\x03\x03\x00\x00'),  # a ClientHello
    rec(4, b'\x04\x00\x00\x08\x00\x00\x00\x01\x00\x00\x00\x00'),
    rec(5, b'\x01'),
    rec(6, b'\x17\x03\x03\x00\x05hello'),
    rec(7, b'x', 99),
    rec(8, b'spoiled tag'),
    rec(0x20, b'wrong sequence number'),
    rec(0x40, b'ours first') + rec(0x41, b'again, asking'),
    rec(0x80, b'closed'),
    rec(0, b'A' * 16384),
]
for i, r in enumerate(records):
    for sel in (0, 1, 2, 3, 4 * 5 + 1):
        write('record', '%02d-%02x' % (i, sel), bytes([sel]) + r)
