/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Chunked decoder: valid bodies and every rejection, each fed whole, split
 * at every byte position and one byte at a time, with identical data,
 * result and end position.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mg_test.h"
#include "mg_http.h"

struct out {
	int rc;
	size_t end;		/* bytes consumed when the result came */
	size_t n;
	char data[512];
};

struct lims {
	uint32_t ext, trl;
	uint64_t body;
};

static const struct lims DEF = { 0, 0, 0 };

/* Feed in[0..n) in pieces of at most 'step' bytes (0: whole), and the
 * first piece cut at 'cut' when non-zero. */
static void
decode(const char *in, size_t n, size_t cut, size_t step,
       const struct lims *l, struct out *o)
{
	struct mg_http_chunked c;
	size_t pos = 0;

	mg_http_chunked_init(&c, l->ext, l->trl, l->body);
	memset(o, 0, sizeof(*o));
	o->rc = MG_HTTP_AGAIN;
	while (pos < n && o->rc == MG_HTTP_AGAIN) {
		size_t piece = n - pos, off = 0;
		char *b;

		if (cut && pos < cut)
			piece = cut - pos;
		else if (step && piece > step)
			piece = step;
		/* a buffer of exactly the piece, so ASan sees overreads */
		b = malloc(piece);
		memcpy(b, in + pos, piece);
		while (off < piece) {
			struct mg_http_slice d;
			size_t used;

			o->rc = mg_http_chunked_decode(&c, b + off,
						       piece - off, &used, &d);
			if (d.len) {
				if (o->n + d.len <= sizeof(o->data))
					memcpy(o->data + o->n, b + off + d.off,
					       d.len);
				o->n += d.len;
			}
			off += used;
			if (o->rc != MG_HTTP_AGAIN)
				break;
		}
		free(b);
		pos += off;
	}
	o->end = pos;
}

static bool
same(const struct out *a, const struct out *b)
{
	return a->rc == b->rc && a->end == b->end && a->n == b->n &&
	       memcmp(a->data, b->data, a->n < sizeof(a->data) ?
		      a->n : sizeof(a->data)) == 0;
}

/* Returns the whole-input result; checks all splits agree with it. */
static int
run(const char *in, size_t n, const struct lims *l, struct out *whole)
{
	struct out o;

	decode(in, n, 0, 0, l, whole);
	for (size_t k = 1; k < n; k++) {
		decode(in, n, k, 0, l, &o);
		MG_CHECK(same(&o, whole));
	}
	decode(in, n, 0, 1, l, &o);
	MG_CHECK(same(&o, whole));
	decode(in, n, 0, 3, l, &o);
	MG_CHECK(same(&o, whole));
	return whole->rc;
}

#define RUN(s, l, o) run((s), sizeof(s) - 1, (l), (o))

static void
test_valid(void)
{
	struct out o;

	MG_CHECK_EQ(RUN("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nNEXT", &DEF, &o),
		    MG_HTTP_OK);
	MG_CHECK_EQ(o.n, 11);
	MG_CHECK(!memcmp(o.data, "hello world", 11));
	MG_CHECK_EQ(o.end, sizeof("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n") - 1);

	/* hex case, leading zeros, extensions, trailers */
	MG_CHECK_EQ(RUN("0A;name=val;x=\"q d\"\r\n0123456789\r\n"
			"00f ; ext\r\nabcdefghijklmno\r\n"
			"000\r\nTrailer-A: 1\r\nB:\t2 \r\n\r\n", &DEF, &o),
		    MG_HTTP_OK);
	MG_CHECK_EQ(o.n, 25);
	MG_CHECK(!memcmp(o.data, "0123456789abcdefghijklmno", 25));

	MG_CHECK_EQ(RUN("0\r\n\r\n", &DEF, &o), MG_HTTP_OK);
	MG_CHECK_EQ(o.n, 0);
	MG_CHECK_EQ(RUN("1\r\n\0\r\n0\r\n\r\n", &DEF, &o), MG_HTTP_OK);
	MG_CHECK_EQ(o.n, 1);
	/* data bytes are opaque, CRLF inside data included */
	MG_CHECK_EQ(RUN("4\r\n\r\n\r\n\r\n0\r\n\r\n", &DEF, &o), MG_HTTP_OK);
	MG_CHECK_EQ(o.n, 4);
	/* incomplete */
	MG_CHECK_EQ(RUN("5\r\nhel", &DEF, &o), MG_HTTP_AGAIN);
	MG_CHECK_EQ(o.n, 3);
	MG_CHECK_EQ(RUN("5\r\nhello\r\n0\r\nX: y\r\n", &DEF, &o), MG_HTTP_AGAIN);
	MG_CHECK_EQ(RUN("ffffffffffffffff\r\nab", &DEF, &o), MG_HTTP_AGAIN);
	MG_CHECK_EQ(o.n, 2);
}

struct bad {
	const char *in;
	size_t n;
	int rc;
};
#define B(s, rc) { s, sizeof(s) - 1, rc }

static void
test_rejections(void)
{
	static const struct bad cases[] = {
		B("\r\n", MG_HTTP_E_BAD_CHUNK_SIZE),
		B("g\r\n", MG_HTTP_E_BAD_CHUNK_SIZE),
		B("-1\r\n", MG_HTTP_E_BAD_CHUNK_SIZE),
		B("0x5\r\n", MG_HTTP_E_BAD_CHUNK_SIZE),
		B(" 5\r\n", MG_HTTP_E_BAD_CHUNK_SIZE),
		B("5\n", MG_HTTP_E_BAD_CHUNK_SIZE),
		B("5\rX", MG_HTTP_E_BARE_CR),
		B("10000000000000000\r\n", MG_HTTP_E_CHUNK_SIZE_OVERFLOW),
		B("00000000000000000000000000000000001\r\n", MG_HTTP_E_BAD_CHUNK_SIZE),
		B("5 x\r\n", MG_HTTP_E_BAD_CHUNK_EXT),
		B("5 \r\n", MG_HTTP_E_BAD_CHUNK_EXT),
		B("5;a\x01\r\n", MG_HTTP_E_BAD_CHUNK_EXT),
		B("5;a\n", MG_HTTP_E_BARE_LF),
		B("5\r\nhelloX\r\n", MG_HTTP_E_BAD_CHUNK_END),
		B("5\r\nhello\rX", MG_HTTP_E_BAD_CHUNK_END),
		B("5\r\nhello\n0\r\n\r\n", MG_HTTP_E_BAD_CHUNK_END),
		B("0\r\n\n", MG_HTTP_E_BARE_LF),
		B("0\r\n\rX", MG_HTTP_E_BARE_CR),
		B("0\r\n X: y\r\n\r\n", MG_HTTP_E_BAD_TRAILER),
		B("0\r\nX : y\r\n\r\n", MG_HTTP_E_BAD_TRAILER),
		B("0\r\nX\r\n\r\n", MG_HTTP_E_BAD_TRAILER),
		B("0\r\nX: \x7f\r\n\r\n", MG_HTTP_E_BAD_TRAILER),
		B("0\r\nX: y\n\r\n", MG_HTTP_E_BARE_LF),
		B("0\r\nX: y\rZ\r\n", MG_HTTP_E_BARE_CR),
	};
	struct out o;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = run(cases[i].in, cases[i].n, &DEF, &o);

		MG_CHECK_EQ(rc, cases[i].rc);
		if (rc != cases[i].rc)
			fprintf(stderr, "  case %zu: got %s want %s\n", i,
				mg_http_rc_name(rc), mg_http_rc_name(cases[i].rc));
	}
	/* an error is sticky */
	{
		struct mg_http_chunked c;
		struct mg_http_slice d;
		size_t used;

		mg_http_chunked_init(&c, 0, 0, 0);
		MG_CHECK_EQ(mg_http_chunked_decode(&c, "z", 1, &used, &d),
			    MG_HTTP_E_BAD_CHUNK_SIZE);
		MG_CHECK_EQ(mg_http_chunked_decode(&c, "0\r\n\r\n", 5, &used, &d),
			    MG_HTTP_E_BAD_CHUNK_SIZE);
		MG_CHECK_EQ(used, 0);
	}
}

static void
test_limits(void)
{
	struct lims l = { 8, 16, 10 };
	struct out o;

	/* extension: ";abcdefg" is 8 bytes, fits; 9 does not */
	MG_CHECK_EQ(RUN("1;abcdefg\r\nx\r\n0\r\n\r\n", &l, &o), MG_HTTP_OK);
	MG_CHECK_EQ(RUN("1;abcdefgh\r\nx\r\n0\r\n\r\n", &l, &o),
		    MG_HTTP_E_CHUNK_EXT_TOO_LONG);
	/* the bound is per chunk */
	MG_CHECK_EQ(RUN("1;abcdefg\r\nx\r\n1;abcdefg\r\ny\r\n0\r\n\r\n", &l, &o),
		    MG_HTTP_OK);
	/* trailer section incl. final CRLF: 14 + 2 = 16 fits */
	MG_CHECK_EQ(RUN("0\r\nAbcdefghij: \r\n\r\n", &l, &o), MG_HTTP_OK);
	MG_CHECK_EQ(RUN("0\r\nAbcdefghijk: \r\n\r\n", &l, &o),
		    MG_HTTP_E_TRAILER_TOO_LARGE);
	/* body total */
	MG_CHECK_EQ(RUN("5\r\n12345\r\n5\r\n12345\r\n0\r\n\r\n", &l, &o), MG_HTTP_OK);
	MG_CHECK_EQ(RUN("5\r\n12345\r\n6\r\n123456\r\n0\r\n\r\n", &l, &o),
		    MG_HTTP_E_BODY_TOO_LARGE);
	MG_CHECK_EQ(RUN("ffffffffffffffff\r\n", &l, &o), MG_HTTP_E_BODY_TOO_LARGE);
	MG_CHECK_EQ(o.n, 0);
}

int
main(void)
{
	test_valid();
	test_rejections();
	test_limits();
	return mg_test_done("test_http_chunked");
}
