/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_TCP_OPTIONS_H
#define MG_TCP_OPTIONS_H

/*
 * TCP options (RFC 9293 MSS, RFC 7323 window scale and timestamps,
 * RFC 2018 SACK): parsing what a segment carries and writing what we send.
 * Private to lib/tcp.
 */

#include <stdbool.h>
#include <stdint.h>

#define MG_TCP_MAX_SACK_BLOCKS	4	/* in one segment (3 with timestamps) */
#define MG_TCP_OPT_MAXLEN	40

struct mg_tcp_sack_block {
	uint32_t start, end;		/* host order, [start, end) */
};

struct mg_tcp_opts {
	uint8_t has_mss : 1, has_wscale : 1, has_ts : 1, sack_permitted : 1;
	uint8_t wscale;			/* as received; clamp to 14 is the caller's */
	uint16_t mss;
	uint32_t ts_val, ts_ecr;
	uint8_t n_sack;
	struct mg_tcp_sack_block sack[MG_TCP_MAX_SACK_BLOCKS];
};

/* Reasons an options field is refused; the segment is still processed
 * without the option (RFC 9293: unknown options are ignored), except
 * where noted by the caller. */
#define MG_TCP_OPT_ERRORS(X)					\
	X(TRUNCATED, "opt-truncated")	/* kind/len past the end */	\
	X(BAD_LENGTH, "opt-bad-length")	/* len < 2 or wrong for kind */

enum mg_tcp_opt_error {
	MG_TCP_OPT_ERR_NONE,
#define X(n, s) MG_TCP_OPT_ERR_##n,
	MG_TCP_OPT_ERRORS(X)
#undef X
	MG_TCP_OPT_ERR_MAX
};
extern const char *const mg_tcp_opt_error_names[MG_TCP_OPT_ERR_MAX];

/**
 * Parse the options area of a TCP header.
 * @param opt  first option byte (just after the 20-byte fixed header)
 * @param len  options length (doff * 4 - 20), 0..40
 * @param syn  the segment has SYN: MSS, window scale and SACK-permitted
 *             are only honoured on SYN segments
 * @return 0, or -EINVAL when the area is malformed (what was parsed before
 *         the bad option is kept in @p out; the caller counts it).
 */
int mg_tcp_opts_parse(const uint8_t *opt, unsigned len, bool syn,
		      struct mg_tcp_opts *out);

/*
 * Rules (tcp_options.c): @p out is cleared first; SACK blocks count only
 * on non-SYN segments; a repeated option: the last one wins; unknown kinds
 * are skipped by their length; @p len > 40 is refused whole.
 */

/** mg_tcp_opts_parse() that also says why an area was refused (@p why may
 *  be NULL; MG_TCP_OPT_ERR_NONE on success). */
int mg_tcp_opts_parse_why(const uint8_t *opt, unsigned len, bool syn,
			  struct mg_tcp_opts *out, enum mg_tcp_opt_error *why);

/**
 * Write options for an outgoing segment, 32-bit aligned with NOPs.
 * SYN/SYN-ACK: MSS, SACK-permitted, timestamps, window scale as set in
 * @p o; other segments: timestamps and up to @p o->n_sack SACK blocks
 * (as many as fit in 40 bytes).
 * @return bytes written (a multiple of 4, <= MG_TCP_OPT_MAXLEN).
 */
unsigned mg_tcp_opts_write(uint8_t *dst, const struct mg_tcp_opts *o, bool syn);

#endif /* MG_TCP_OPTIONS_H */
