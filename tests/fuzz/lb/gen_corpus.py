#!/usr/bin/env python3
"""Seeds of fuzz_lb_pick (the input format is described in fuzz_pick.c).

seed-A-N: algorithm A over N endpoints, 60 random operations.
retry-A:  three endpoints; one ejected, then picks that tried the others,
          so that the fallback order of mg_lb_pick_request() is reached.
Run from this directory; it rewrites corpus/.
"""
import random
import struct


def random_program(rng, algo, n):
    b = bytes([algo, n - 1]) + bytes(rng.randrange(256) for _ in range(n))
    for _ in range(60):
        op = rng.randrange(7)
        if op == 0:
            b += bytes([0]) + struct.pack('>Q', rng.getrandbits(64) | rng.getrandbits(64))
        elif op == 1:
            b += bytes([1]) + struct.pack('>Q', rng.getrandbits(64))
            b += bytes([2, rng.randrange(n), rng.randrange(n)])
        elif op == 2:
            b += bytes([2 | (rng.randrange(3) << 4), rng.randrange(n)])
        elif op == 3:
            b += bytes([3, rng.randrange(256)])
        elif op == 4:
            b += bytes([4 | (rng.randrange(2) << 7), rng.randrange(n)])
        elif op == 5:
            b += bytes([5]) + bytes(rng.randrange(256) for _ in range(128))
        else:
            b += bytes([6]) + struct.pack('>Q', rng.getrandbits(64))
    return b


def retry_program(algo):
    b = bytes([algo, 2, 1, 3, 5])
    b += bytes([0x12, 0]) * 3                       # three 5xx eject 0
    for tried in ([1, 2], [1], [0, 1, 2], []):
        for h in (1, 0x8000000000000000, 0xffffffffffffffff):
            b += bytes([1]) + struct.pack('>Q', h) + bytes([len(tried)] + tried)
    b += bytes([3, 200])                            # 200 ms: 0 returns
    b += bytes([0x22, 2]) * 2                       # connect failures eject 2
    b += bytes([1]) + struct.pack('>Q', 7) + bytes([2, 0, 1])
    b += bytes([0]) + struct.pack('>Q', 0b011)      # 2 unhealthy
    b += bytes([1]) + struct.pack('>Q', 9) + bytes([1, 0])
    return b


def main():
    rng = random.Random(4)
    for a in range(5):
        for n in (3, 17, 64):
            with open(f'corpus/seed-{a}-{n}', 'wb') as f:
                f.write(random_program(rng, a, n))
    for a in range(5):
        with open(f'corpus/retry-{a}', 'wb') as f:
            f.write(retry_program(a))


if __name__ == '__main__':
    main()
