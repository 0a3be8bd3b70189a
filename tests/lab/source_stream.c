/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source_stream N [SEED]: write the N bytes the built-in "source" service
 * sends for SEED, so a lab test can compare SHA-256 digests.
 */
#include <stdio.h>
#include <stdlib.h>

#include "mg_service.h"

int
main(int argc, char **argv)
{
	static uint8_t buf[1 << 16];
	unsigned long long n, seed, off = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s N [SEED]\n", argv[0]);
		return 2;
	}
	n = strtoull(argv[1], NULL, 10);
	seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 0;
	while (off < n) {
		size_t len = n - off < sizeof(buf) ? (size_t)(n - off) : sizeof(buf);

		for (size_t i = 0; i < len; i++)
			buf[i] = mg_service_source_byte(seed, off + i);
		if (fwrite(buf, 1, len, stdout) != len)
			return 1;
		off += len;
	}
	return 0;
}
