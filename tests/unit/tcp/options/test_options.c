/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TCP options: write/parse round trips, the exact SYN layout, every
 * malformed shape, unknown kinds, truncation at every length, SACK block
 * counts and alignment. Areas are copied to buffers of their exact size so
 * that ASan catches any read past the end.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mg_test.h"
#include "tcp_options.h"

static bool
opts_eq(const struct mg_tcp_opts *a, const struct mg_tcp_opts *b)
{
	if (a->has_mss != b->has_mss || a->has_wscale != b->has_wscale ||
	    a->has_ts != b->has_ts || a->sack_permitted != b->sack_permitted ||
	    a->n_sack != b->n_sack)
		return false;
	if ((a->has_mss && a->mss != b->mss) ||
	    (a->has_wscale && a->wscale != b->wscale) ||
	    (a->has_ts && (a->ts_val != b->ts_val || a->ts_ecr != b->ts_ecr)))
		return false;
	for (unsigned i = 0; i < a->n_sack; i++)
		if (a->sack[i].start != b->sack[i].start ||
		    a->sack[i].end != b->sack[i].end)
			return false;
	return true;
}

/* Parse exactly @p len bytes from a heap copy of that size. */
static int
parse_exact(const uint8_t *area, unsigned len, bool syn,
	    struct mg_tcp_opts *out, enum mg_tcp_opt_error *why)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	memcpy(copy, area, len);
	rc = mg_tcp_opts_parse_why(copy, len, syn, out, why);
	free(copy);
	return rc;
}

static void
test_syn_round_trip(void)
{
	for (unsigned mask = 0; mask < 16; mask++) {
		struct mg_tcp_opts o = { 0 }, back;
		uint8_t buf[MG_TCP_OPT_MAXLEN];
		unsigned n;

		o.has_mss = mask & 1;
		o.mss = 1460;
		o.sack_permitted = (mask >> 1) & 1;
		o.has_ts = (mask >> 2) & 1;
		o.ts_val = 0xdeadbeef;
		o.ts_ecr = 0;
		o.has_wscale = (mask >> 3) & 1;
		o.wscale = 7;
		n = mg_tcp_opts_write(buf, &o, true);
		MG_CHECK_EQ(n % 4, 0);
		MG_CHECK(n <= 20);
		MG_CHECK_EQ(parse_exact(buf, n, true, &back, NULL), 0);
		MG_CHECK(opts_eq(&o, &back));
		/* the same area on a non-SYN keeps only the timestamps */
		MG_CHECK_EQ(parse_exact(buf, n, false, &back, NULL), 0);
		MG_CHECK(!back.has_mss && !back.has_wscale &&
			 !back.sack_permitted);
		MG_CHECK_EQ(back.has_ts, o.has_ts);
	}
}

static void
test_syn_layout(void)
{
	static const uint8_t full[] = {
		2, 4, 0x05, 0xb4,			/* MSS 1460 */
		4, 2, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8,	/* SACK_PERM TS */
		1, 3, 3, 9,				/* NOP WS 9 */
	};
	static const uint8_t nosack[] = {
		2, 4, 0x02, 0x18, 1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8,
	};
	static const uint8_t nots[] = {
		2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 0,
	};
	struct mg_tcp_opts o = {
		.has_mss = 1, .mss = 1460, .sack_permitted = 1, .has_ts = 1,
		.ts_val = 0x01020304, .ts_ecr = 0x05060708, .has_wscale = 1,
		.wscale = 9,
	};
	uint8_t buf[MG_TCP_OPT_MAXLEN];

	MG_CHECK_EQ(mg_tcp_opts_write(buf, &o, true), sizeof(full));
	MG_CHECK(memcmp(buf, full, sizeof(full)) == 0);
	o.sack_permitted = 0;
	o.has_wscale = 0;
	o.mss = 536;
	MG_CHECK_EQ(mg_tcp_opts_write(buf, &o, true), sizeof(nosack));
	MG_CHECK(memcmp(buf, nosack, sizeof(nosack)) == 0);
	o.has_ts = 0;
	o.sack_permitted = 1;
	o.has_wscale = 1;
	o.wscale = 0;
	o.mss = 1460;
	MG_CHECK_EQ(mg_tcp_opts_write(buf, &o, true), sizeof(nots));
	MG_CHECK(memcmp(buf, nots, sizeof(nots)) == 0);
}

static void
test_data_round_trip(void)
{
	for (unsigned ts = 0; ts < 2; ts++)
		for (unsigned n = 0; n <= MG_TCP_MAX_SACK_BLOCKS; n++) {
			struct mg_tcp_opts o = { 0 }, back;
			uint8_t buf[MG_TCP_OPT_MAXLEN];
			unsigned len, fit = ts ? 3 : 4;
			unsigned want = n < fit ? n : fit;

			o.has_ts = ts;
			o.ts_val = 100 + n;
			o.ts_ecr = 0xffffffff;
			o.n_sack = (uint8_t)n;
			for (unsigned i = 0; i < n; i++) {
				o.sack[i].start = 1000 * i + 0xfffff000u;
				o.sack[i].end = 1000 * i + 0xfffff000u + 500;
			}
			/* SYN-only fields are not written on data segments */
			o.has_mss = 1;
			o.mss = 1460;
			o.sack_permitted = 1;
			len = mg_tcp_opts_write(buf, &o, false);
			MG_CHECK_EQ(len % 4, 0);
			MG_CHECK(len <= MG_TCP_OPT_MAXLEN);
			MG_CHECK_EQ(len, (ts ? 12 : 0) +
				    (want ? 4 + 8 * want : 0));
			MG_CHECK_EQ(parse_exact(buf, len, false, &back, NULL), 0);
			MG_CHECK_EQ(back.has_ts, ts);
			MG_CHECK_EQ(back.n_sack, want);
			MG_CHECK(!back.has_mss && !back.sack_permitted);
			if (ts) {
				MG_CHECK_EQ(back.ts_val, o.ts_val);
				MG_CHECK_EQ(back.ts_ecr, o.ts_ecr);
			}
			for (unsigned i = 0; i < want; i++) {
				MG_CHECK_EQ(back.sack[i].start, o.sack[i].start);
				MG_CHECK_EQ(back.sack[i].end, o.sack[i].end);
			}
			/* SACK blocks do not count on a SYN */
			MG_CHECK_EQ(parse_exact(buf, len, true, &back, NULL), 0);
			MG_CHECK_EQ(back.n_sack, 0);
		}
}

struct bad_case {
	const char *name;
	uint8_t area[40];
	unsigned len;
	bool syn;
	enum mg_tcp_opt_error why;
	bool keeps_ts;			/* a TS before the bad option survives */
};

#define TS_PREFIX 1, 1, 8, 10, 0, 0, 0, 7, 0, 0, 0, 9

static void
test_malformed(void)
{
	static const struct bad_case cases[] = {
		{ "len-0", { 2, 0, 5, 0xb4 }, 4, true,
		  MG_TCP_OPT_ERR_BAD_LENGTH, false },
		{ "len-1", { 30, 1, 0, 0 }, 4, false,
		  MG_TCP_OPT_ERR_BAD_LENGTH, false },
		{ "len-0-unknown", { 1, 1, 99, 0 }, 4, false,
		  MG_TCP_OPT_ERR_BAD_LENGTH, false },
		{ "kind-at-end", { 1, 1, 1, 2 }, 4, true,
		  MG_TCP_OPT_ERR_TRUNCATED, false },
		{ "past-end", { 2, 4, 5 }, 3, true,
		  MG_TCP_OPT_ERR_TRUNCATED, false },
		{ "unknown-past-end", { 77, 10, 0, 0, 0, 0 }, 6, false,
		  MG_TCP_OPT_ERR_TRUNCATED, false },
		{ "mss-len-3", { 2, 3, 5, 1 }, 4, true,
		  MG_TCP_OPT_ERR_BAD_LENGTH, false },
		{ "mss-len-5-nonsyn", { 2, 5, 5, 0xb4, 0 }, 5, false,
		  MG_TCP_OPT_ERR_BAD_LENGTH, false },
		{ "ws-len-4", { 3, 4, 7, 0 }, 4, true,
		  MG_TCP_OPT_ERR_BAD_LENGTH, false },
		{ "sackperm-len-3", { 4, 3, 0, 1 }, 4, true,
		  MG_TCP_OPT_ERR_BAD_LENGTH, false },
		{ "ts-len-8", { 8, 8, 0, 0, 0, 0, 0, 0 }, 8, false,
		  MG_TCP_OPT_ERR_BAD_LENGTH, false },
		{ "ts-len-12", { 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, 12,
		  false, MG_TCP_OPT_ERR_BAD_LENGTH, false },
		{ "sack-len-2", { TS_PREFIX, 5, 2, 1, 1 }, 16, false,
		  MG_TCP_OPT_ERR_BAD_LENGTH, true },
		{ "sack-len-9", { TS_PREFIX, 5, 9 }, 21, false,
		  MG_TCP_OPT_ERR_BAD_LENGTH, true },
		{ "sack-len-11", { TS_PREFIX, 5, 11 }, 23, false,
		  MG_TCP_OPT_ERR_BAD_LENGTH, true },
		{ "sack-past-end", { TS_PREFIX, 1, 1, 5, 26 }, 36, false,
		  MG_TCP_OPT_ERR_TRUNCATED, true },
		{ "ts-then-len-0", { TS_PREFIX, 2, 0 }, 14, true,
		  MG_TCP_OPT_ERR_BAD_LENGTH, true },
		{ "ts-then-kind-at-end", { TS_PREFIX, 3 }, 13, true,
		  MG_TCP_OPT_ERR_TRUNCATED, true },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bad_case *c = &cases[i];
		struct mg_tcp_opts o;
		enum mg_tcp_opt_error why = MG_TCP_OPT_ERR_NONE;
		int rc = parse_exact(c->area, c->len, c->syn, &o, &why);

		if (rc != -EINVAL || why != c->why)
			fprintf(stderr, "case %s: rc %d why %s\n", c->name, rc,
				mg_tcp_opt_error_names[why]);
		MG_CHECK_EQ(rc, -EINVAL);
		MG_CHECK_EQ(why, c->why);
		MG_CHECK_EQ(o.has_ts, c->keeps_ts);
		if (c->keeps_ts) {
			MG_CHECK_EQ(o.ts_val, 7);
			MG_CHECK_EQ(o.ts_ecr, 9);
		}
		MG_CHECK(!o.has_mss && !o.has_wscale && o.n_sack == 0);
	}
	/* an area longer than a header can carry is refused whole */
	{
		uint8_t big[41];
		struct mg_tcp_opts o;

		memset(big, 1, sizeof(big));
		MG_CHECK_EQ(mg_tcp_opts_parse(big, 41, false, &o), -EINVAL);
		MG_CHECK_EQ(mg_tcp_opts_parse(big, 40, false, &o), 0);
	}
	MG_CHECK(strcmp(mg_tcp_opt_error_names[MG_TCP_OPT_ERR_TRUNCATED],
			"opt-truncated") == 0);
	MG_CHECK(strcmp(mg_tcp_opt_error_names[MG_TCP_OPT_ERR_BAD_LENGTH],
			"opt-bad-length") == 0);
}

static void
test_unknown_eol_dups(void)
{
	/* unknown kinds (MD5 19, TFO 34, experimental 254) are skipped */
	static const uint8_t unk[] = {
		19, 18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		34, 2, 254, 4, 0xf9, 0x89, 2, 4, 0x23, 0x28, 3, 3, 14,
	};
	/* after EOL anything goes */
	static const uint8_t eol[] = { 2, 4, 1, 0, 0, 2, 0, 0xff };
	/* repeated options: the last one wins */
	static const uint8_t dup[] = {
		2, 4, 1, 0, 2, 4, 2, 0, 3, 3, 1, 3, 3, 2,
		8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 8, 10, 0, 0, 0, 3, 0, 0, 0, 4,
	};
	static const uint8_t dupsack[] = {
		1, 1, 5, 18, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4,
		1, 1, 5, 10, 0, 0, 0, 5, 0, 0, 0, 6,
	};
	struct mg_tcp_opts o;

	MG_CHECK_EQ(parse_exact(unk, sizeof(unk), true, &o, NULL), 0);
	MG_CHECK(o.has_mss && o.mss == 9000);
	MG_CHECK(o.has_wscale && o.wscale == 14);
	MG_CHECK_EQ(parse_exact(eol, sizeof(eol), true, &o, NULL), 0);
	MG_CHECK(o.has_mss && o.mss == 256 && !o.has_wscale);
	/* EOL right at the start: nothing */
	MG_CHECK_EQ(parse_exact(eol + 4, 4, true, &o, NULL), 0);
	MG_CHECK(!o.has_mss);
	MG_CHECK_EQ(parse_exact(dup, sizeof(dup), true, &o, NULL), 0);
	MG_CHECK_EQ(o.mss, 512);
	MG_CHECK_EQ(o.wscale, 2);
	MG_CHECK_EQ(o.ts_val, 3);
	MG_CHECK_EQ(o.ts_ecr, 4);
	MG_CHECK_EQ(parse_exact(dupsack, sizeof(dupsack), false, &o, NULL), 0);
	MG_CHECK_EQ(o.n_sack, 1);
	MG_CHECK_EQ(o.sack[0].start, 5);
	MG_CHECK_EQ(o.sack[0].end, 6);
	/* an empty area and an all-NOP area */
	MG_CHECK_EQ(mg_tcp_opts_parse(unk, 0, true, &o), 0);
	MG_CHECK(!o.has_mss && !o.has_ts);
	{
		uint8_t nops[40];

		memset(nops, 1, sizeof(nops));
		MG_CHECK_EQ(parse_exact(nops, 40, true, &o, NULL), 0);
		MG_CHECK(!o.has_mss && !o.has_ts && !o.sack_permitted);
	}
	/* wscale and MSS values are kept as received */
	{
		static const uint8_t odd[] = { 2, 4, 0, 0, 3, 3, 200, 0 };

		MG_CHECK_EQ(parse_exact(odd, sizeof(odd), true, &o, NULL), 0);
		MG_CHECK(o.has_mss && o.mss == 0 && o.wscale == 200);
	}
}

/* Every prefix of a written area: parses cleanly exactly when it ends on
 * an option boundary, and keeps the options wholly inside it. */
static void
truncate_all(const struct mg_tcp_opts *o, bool syn)
{
	uint8_t buf[MG_TCP_OPT_MAXLEN];
	unsigned len = mg_tcp_opts_write(buf, o, syn);
	bool boundary[MG_TCP_OPT_MAXLEN + 1] = { false };
	unsigned i = 0;

	boundary[0] = true;
	while (i < len) {
		i += buf[i] == 1 ? 1 : buf[i + 1];
		boundary[i] = true;
	}
	MG_CHECK_EQ(i, len);
	for (unsigned l = 0; l <= len; l++) {
		struct mg_tcp_opts back;
		int rc = parse_exact(buf, l, syn, &back, NULL);

		MG_CHECK_EQ(rc, boundary[l] ? 0 : -EINVAL);
		/* the full area parses back; in a prefix, options are all
		 * or nothing */
		if (l == len)
			MG_CHECK(opts_eq(o, &back));
		if (back.has_ts)
			MG_CHECK(back.ts_val == o->ts_val &&
				 back.ts_ecr == o->ts_ecr);
		if (back.has_mss)
			MG_CHECK_EQ(back.mss, o->mss);
		for (unsigned b = 0; b < back.n_sack; b++)
			MG_CHECK_EQ(back.sack[b].end, o->sack[b].end);
	}
}

static void
test_truncation(void)
{
	struct mg_tcp_opts syn = {
		.has_mss = 1, .mss = 1440, .sack_permitted = 1, .has_ts = 1,
		.ts_val = 11, .ts_ecr = 0, .has_wscale = 1, .wscale = 14,
	};
	struct mg_tcp_opts data = {
		.has_ts = 1, .ts_val = 0x80000000, .ts_ecr = 0x7fffffff,
		.n_sack = 3, .sack = { { 1, 2 }, { 3, 4 }, { 5, 6 } },
	};
	struct mg_tcp_opts sack4 = {
		.n_sack = 4,
		.sack = { { 1, 2 }, { 3, 4 }, { 5, 6 }, { 7, 8 } },
	};

	truncate_all(&syn, true);
	syn.sack_permitted = 0;
	truncate_all(&syn, true);
	truncate_all(&data, false);
	truncate_all(&sack4, false);
	data.n_sack = 1;
	truncate_all(&data, false);
}

int
main(void)
{
	test_syn_round_trip();
	test_syn_layout();
	test_data_round_trip();
	test_malformed();
	test_unknown_eol_dups();
	test_truncation();
	return mg_test_done("test_tcp_options");
}
