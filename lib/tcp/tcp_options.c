/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TCP options: RFC 9293 (EOL, NOP, MSS), RFC 7323 (window scale,
 * timestamps), RFC 2018 (SACK-permitted, SACK).
 *
 * Parsing rules, chosen so that what we write parses back to the same
 * thing (the fuzz target checks it):
 * - MSS, window scale and SACK-permitted count only on SYN segments; SACK
 *   blocks only on others (a SYN acknowledges no data). Timestamps on both.
 *   An option that does not count is still checked for its length.
 * - A repeated option: the last one wins (as Linux does), for SACK the
 *   blocks of the last SACK option replace earlier ones.
 * - Unknown kinds are skipped by their length.
 * - A malformed area stops parsing with -EINVAL; options before the bad
 *   one are kept.
 */
#include <errno.h>
#include <string.h>

#include "tcp_options.h"

enum {
	OPT_EOL = 0, OPT_NOP = 1, OPT_MSS = 2, OPT_WSCALE = 3,
	OPT_SACK_PERM = 4, OPT_SACK = 5, OPT_TS = 8,
};

enum {
	OPTLEN_MSS = 4, OPTLEN_WSCALE = 3, OPTLEN_SACK_PERM = 2, OPTLEN_TS = 10,
	OPTLEN_SACK_BASE = 2, OPTLEN_SACK_BLOCK = 8,
};

const char *const mg_tcp_opt_error_names[MG_TCP_OPT_ERR_MAX] = {
	[MG_TCP_OPT_ERR_NONE] = "ok",
#define X(n, s) [MG_TCP_OPT_ERR_##n] = s,
	MG_TCP_OPT_ERRORS(X)
#undef X
};

static inline uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint8_t *
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static inline uint8_t *
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return p + 4;
}

static int
bad(enum mg_tcp_opt_error *why, enum mg_tcp_opt_error e)
{
	if (why != NULL)
		*why = e;
	return -EINVAL;
}

int
mg_tcp_opts_parse_why(const uint8_t *opt, unsigned len, bool syn,
		      struct mg_tcp_opts *out, enum mg_tcp_opt_error *why)
{
	unsigned i = 0;

	memset(out, 0, sizeof(*out));
	if (why != NULL)
		*why = MG_TCP_OPT_ERR_NONE;
	if (len > MG_TCP_OPT_MAXLEN)
		return bad(why, MG_TCP_OPT_ERR_TRUNCATED);

	while (i < len) {
		uint8_t kind = opt[i], olen;
		const uint8_t *v;

		if (kind == OPT_EOL)
			break;
		if (kind == OPT_NOP) {
			i++;
			continue;
		}
		if (len - i < 2)
			return bad(why, MG_TCP_OPT_ERR_TRUNCATED);
		olen = opt[i + 1];
		if (olen < 2)
			return bad(why, MG_TCP_OPT_ERR_BAD_LENGTH);
		if (olen > len - i)
			return bad(why, MG_TCP_OPT_ERR_TRUNCATED);
		v = opt + i + 2;

		switch (kind) {
		case OPT_MSS:
			if (olen != OPTLEN_MSS)
				return bad(why, MG_TCP_OPT_ERR_BAD_LENGTH);
			if (syn) {
				out->has_mss = 1;
				out->mss = get16(v);
			}
			break;
		case OPT_WSCALE:
			if (olen != OPTLEN_WSCALE)
				return bad(why, MG_TCP_OPT_ERR_BAD_LENGTH);
			if (syn) {
				out->has_wscale = 1;
				out->wscale = v[0];
			}
			break;
		case OPT_SACK_PERM:
			if (olen != OPTLEN_SACK_PERM)
				return bad(why, MG_TCP_OPT_ERR_BAD_LENGTH);
			if (syn)
				out->sack_permitted = 1;
			break;
		case OPT_SACK: {
			/* 40 bytes of options hold at most 4 blocks */
			unsigned n = (olen - OPTLEN_SACK_BASE) / OPTLEN_SACK_BLOCK;

			if (olen < OPTLEN_SACK_BASE + OPTLEN_SACK_BLOCK ||
			    (olen - OPTLEN_SACK_BASE) % OPTLEN_SACK_BLOCK != 0)
				return bad(why, MG_TCP_OPT_ERR_BAD_LENGTH);
			if (syn)
				break;
			out->n_sack = (uint8_t)n;
			for (unsigned b = 0; b < n; b++) {
				out->sack[b].start = get32(v + 8 * b);
				out->sack[b].end = get32(v + 8 * b + 4);
			}
			break;
		}
		case OPT_TS:
			if (olen != OPTLEN_TS)
				return bad(why, MG_TCP_OPT_ERR_BAD_LENGTH);
			out->has_ts = 1;
			out->ts_val = get32(v);
			out->ts_ecr = get32(v + 4);
			break;
		default:
			break;
		}
		i += olen;
	}
	return 0;
}

int
mg_tcp_opts_parse(const uint8_t *opt, unsigned len, bool syn,
		  struct mg_tcp_opts *out)
{
	return mg_tcp_opts_parse_why(opt, len, syn, out, NULL);
}

static uint8_t *
put_ts(uint8_t *p, const struct mg_tcp_opts *o)
{
	*p++ = OPT_TS;
	*p++ = OPTLEN_TS;
	p = put32(p, o->ts_val);
	return put32(p, o->ts_ecr);
}

/*
 * Layouts (Linux's, so that middleboxes have seen them before):
 *   SYN:  MSS | SACK_PERM TS or NOP NOP TS or NOP NOP SACK_PERM | NOP WS
 *         (at most 20 bytes)
 *   else: NOP NOP TS | NOP NOP SACK(n), n <= 3 with TS, <= 4 without
 */
unsigned
mg_tcp_opts_write(uint8_t *dst, const struct mg_tcp_opts *o, bool syn)
{
	uint8_t *p = dst;

	if (syn) {
		if (o->has_mss) {
			*p++ = OPT_MSS;
			*p++ = OPTLEN_MSS;
			p = put16(p, o->mss);
		}
		if (o->has_ts) {
			if (o->sack_permitted) {
				*p++ = OPT_SACK_PERM;
				*p++ = OPTLEN_SACK_PERM;
			} else {
				*p++ = OPT_NOP;
				*p++ = OPT_NOP;
			}
			p = put_ts(p, o);
		} else if (o->sack_permitted) {
			*p++ = OPT_NOP;
			*p++ = OPT_NOP;
			*p++ = OPT_SACK_PERM;
			*p++ = OPTLEN_SACK_PERM;
		}
		if (o->has_wscale) {
			*p++ = OPT_NOP;
			*p++ = OPT_WSCALE;
			*p++ = OPTLEN_WSCALE;
			*p++ = o->wscale;
		}
		return (unsigned)(p - dst);
	}

	if (o->has_ts) {
		*p++ = OPT_NOP;
		*p++ = OPT_NOP;
		p = put_ts(p, o);
	}
	if (o->n_sack > 0) {
		unsigned max = o->has_ts ? MG_TCP_MAX_SACK_BLOCKS - 1 :
					   MG_TCP_MAX_SACK_BLOCKS;
		unsigned n = o->n_sack < max ? o->n_sack : max;

		*p++ = OPT_NOP;
		*p++ = OPT_NOP;
		*p++ = OPT_SACK;
		*p++ = (uint8_t)(OPTLEN_SACK_BASE + OPTLEN_SACK_BLOCK * n);
		for (unsigned b = 0; b < n; b++) {
			p = put32(p, o->sack[b].start);
			p = put32(p, o->sack[b].end);
		}
	}
	return (unsigned)(p - dst);
}
