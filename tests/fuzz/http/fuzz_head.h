/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared body of the head fuzzers: the first byte picks limits and a split
 * point; the rest is parsed whole, split in two and byte by byte, and the
 * three results must agree (split independence is the parser's contract).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mg_http.h"

#define FZ_MAXH 8

typedef int (*fz_parse_fn)(struct mg_http_msg *, const char *, size_t);

static void
fz_check_slice(struct mg_http_slice s, size_t n)
{
	if ((size_t)s.off + s.len > n)
		__builtin_trap();
}

/* What a proxy copies on from a request: a target without a fragment and a
 * host of name, IPv6 and port characters only. */
static void
fz_check_request(const char *buf, const struct mg_http_msg *m)
{
	for (uint32_t i = 0; i < m->target.len; i++)
		if (buf[m->target.off + i] == '#')
			__builtin_trap();
	for (uint32_t i = 0; i < m->host.len; i++) {
		unsigned char c = (unsigned char)buf[m->host.off + i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		      c == '_' || c == ':' || c == '[' || c == ']'))
			__builtin_trap();
	}
}

static int
fz_one(struct mg_http_msg *m, struct mg_http_header *h, fz_parse_fn parse,
       void (*init)(struct mg_http_msg *, struct mg_http_header *, uint8_t),
       uint8_t sel, const char *buf, size_t n, size_t split, size_t step)
{
	int rc = MG_HTTP_AGAIN;
	size_t k = 0;

	init(m, h, sel);
	if (split) {
		rc = parse(m, buf, split < n ? split : n);
		if (rc != MG_HTTP_AGAIN)
			return rc;
		return parse(m, buf, n);
	}
	while (rc == MG_HTTP_AGAIN && k < n) {
		k = step ? (k + step < n ? k + step : n) : n;
		rc = parse(m, buf, k);
	}
	return rc;
}

static int
fz_run(fz_parse_fn parse,
       void (*init)(struct mg_http_msg *, struct mg_http_header *, uint8_t),
       const uint8_t *data, size_t size)
{
	struct mg_http_msg a, b, c;
	struct mg_http_header ha[FZ_MAXH], hb[FZ_MAXH], hc[FZ_MAXH];
	const char *buf;
	size_t n;
	uint8_t sel;
	int ra, rb, rc;

	if (size < 2)
		return 0;
	sel = data[0];
	buf = (const char *)data + 2;
	n = size - 2;
	ra = fz_one(&a, ha, parse, init, sel, buf, n, 0, 0);
	rb = fz_one(&b, hb, parse, init, sel, buf, n, (size_t)data[1] + 1, 0);
	rc = fz_one(&c, hc, parse, init, sel, buf, n, 0, (sel & 3) + 1);
	if (ra != rb || ra != rc)
		__builtin_trap();
	if (ra < 0 || ra >= MG_HTTP_RC_MAX || mg_http_rc_name(ra)[0] == '?')
		__builtin_trap();
	if (ra == MG_HTTP_OK) {
		if (a.head_len > n || a.n_headers > FZ_MAXH ||
		    a.head_len != b.head_len || a.head_len != c.head_len ||
		    a.flags != b.flags || a.flags != c.flags ||
		    a.n_headers != c.n_headers ||
		    memcmp(ha, hc, sizeof(ha[0]) * a.n_headers) != 0)
			__builtin_trap();
		fz_check_slice(a.target, n);
		fz_check_slice(a.host, n);
		fz_check_slice(a.reason, n);
		fz_check_slice(a.method_str, n);
		for (unsigned i = 0; i < a.n_headers; i++) {
			fz_check_slice(ha[i].name, n);
			fz_check_slice(ha[i].value, n);
		}
		(void)mg_http_find_header(&a, buf, "host");
		fz_check_request(buf, &a);
	}
	return 0;
}
