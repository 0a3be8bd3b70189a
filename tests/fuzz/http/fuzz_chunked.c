/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Chunked decoder on arbitrary bytes: the first two bytes pick limits and a
 * piece size; the body is decoded whole and in pieces, and result, end
 * position and data (by a running checksum) must agree.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mg_http.h"

struct fz_out {
	int rc;
	size_t end;
	uint64_t ndata;
	uint64_t sum;
};

static void
fz_decode(const char *buf, size_t n, size_t step, uint8_t sel,
	  struct fz_out *o)
{
	struct mg_http_chunked c;
	size_t pos = 0;

	mg_http_chunked_init(&c, (sel & 1) ? 8 : 0, (sel & 2) ? 16 : 0,
			     (sel & 4) ? 100 : 0);
	memset(o, 0, sizeof(*o));
	o->rc = MG_HTTP_AGAIN;
	while (pos < n && o->rc == MG_HTTP_AGAIN) {
		size_t piece = step && n - pos > step ? step : n - pos;
		size_t off = 0;

		while (off < piece) {
			struct mg_http_slice d;
			size_t used;

			o->rc = mg_http_chunked_decode(&c, buf + pos + off,
						       piece - off, &used, &d);
			if (used > piece - off ||
			    (size_t)d.off + d.len > used)
				__builtin_trap();
			for (uint32_t i = 0; i < d.len; i++)
				o->sum = o->sum * 31 +
					 (uint8_t)buf[pos + off + d.off + i];
			o->ndata += d.len;
			off += used;
			if (o->rc != MG_HTTP_AGAIN)
				break;
			if (used == 0)
				__builtin_trap();	/* no progress */
		}
		pos += off;
	}
	o->end = pos;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_out a, b;

	if (size < 2)
		return 0;
	fz_decode((const char *)data + 2, size - 2, 0, data[0], &a);
	fz_decode((const char *)data + 2, size - 2, (size_t)data[1] % 7 + 1,
		  data[0], &b);
	if (a.rc != b.rc || a.end != b.end || a.ndata != b.ndata ||
	    a.sum != b.sum)
		__builtin_trap();
	if (mg_http_rc_name(a.rc)[0] == '?')
		__builtin_trap();
	return 0;
}
