#!/usr/bin/env python3
# Seeds for fuzz_tcp_listener / fuzz_tcp_established (record format in
# fuzz_segment.c). Run once from this directory; the output is committed.
import os, struct

def rec(flags, mode, seq, ack, win, opt=b"", paylen=0, adv=0):
    return (struct.pack(">BBIIHB", flags, mode, seq, ack, win, len(opt)) + opt +
            struct.pack(">HH", paylen, adv))

SYN, ACK, FIN, RST, PSH = 0x02, 0x10, 0x01, 0x04, 0x08
OPTS = bytes([2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 100, 0, 0, 0, 0, 1, 3, 3, 7])
TS = bytes([1, 1, 8, 10, 0, 0, 0, 200, 0, 0, 0, 0])
SACK = bytes([1, 1, 5, 10, 0, 0, 0, 10, 0, 0, 0, 20])

seeds = {
    "listener": {
        "syn": rec(SYN, 0, 1000, 0, 65535, OPTS),
        "handshake": rec(SYN, 0, 1000, 0, 65535, OPTS) + rec(ACK, 3, 0, 0, 512, TS),
        "handshake_data_fin": rec(SYN, 0, 1000, 0, 65535, OPTS) +
            rec(ACK, 3, 0, 0, 512, TS) + rec(ACK | PSH, 0x13, 0, 0, 512, TS, 100) +
            rec(ACK | FIN, 0x23, 100, 0, 512, TS),
        "cookies": b"".join(rec(SYN, 8 * (i & 1), 1000 + i, 0, 1000, OPTS) for i in range(4)) +
            rec(ACK, 2, 1001, 0, 512, TS),
        "stray": rec(ACK, 0, 5, 6, 100) + rec(RST, 0, 5, 6, 100) + rec(FIN, 0, 1, 1, 1),
        "timeout": rec(SYN, 0, 1000, 0, 65535, OPTS, 0, 60000),
    },
    "established": {
        "data": rec(ACK | PSH, 3, 0, 0, 512, TS, 1000),
        "ooo_sack": rec(ACK, 3, 2000, 0, 512, TS, 500) + rec(ACK, 3, 0, 0, 512, TS, 500),
        "send_and_ack": rec(ACK, 0x13, 0, 0, 512, TS, 0, 10) + rec(ACK, 3, 0, 1448, 512, SACK),
        "rst_challenge": rec(RST, 1, 100, 0, 0) + rec(RST, 1, 0, 0, 0),
        "syn_challenge": rec(SYN, 1, 5, 0, 100, OPTS),
        "fin_close": rec(ACK | FIN, 3, 0, 0, 512, TS) + rec(ACK, 0x33, 1, 1, 512, TS),
        # shutdown, its FIN acked, data in FIN-WAIT-2, the peer's FIN,
        # an ACK one past snd_una, then TIME-WAIT expires
        "half_close": rec(ACK, 0x23, 0, 0, 512, TS) + rec(ACK, 3, 0, 1, 512, TS) +
            rec(ACK | PSH, 3, 0, 0, 512, TS, 100) + rec(ACK | FIN, 3, 0, 0, 512, TS) +
            rec(ACK, 3, 0, 1, 512, TS, 0, 60000),
        "zero_window": rec(ACK, 0x13, 0, 0, 0, TS, 0, 100) + rec(ACK, 3, 0, 0, 0, TS, 0, 5000),
        "keepalive": rec(ACK, 3, 0, 0, 512, TS, 0, 30000),
        "paws": rec(ACK, 3, 0, 0, 512, bytes([1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0]), 10),
    },
}
for mode, s in seeds.items():
    d = "corpus-" + mode
    os.makedirs(d, exist_ok=True)
    for name, data in s.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
