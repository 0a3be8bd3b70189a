/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_TCP_SYNCOOKIE_H
#define MG_TCP_SYNCOOKIE_H

/*
 * SYN cookies (RFC 4987 section 3.6): when a listener's SYN backlog is
 * past its threshold, the SYN-ACK's initial sequence number carries the
 * connection's parameters and no state is kept; the ACK that completes the
 * handshake is checked and the connection rebuilt from it.
 *
 * The ISN encodes a 24-bit keyed MAC of the 4-tuple, the client ISN and a
 * coarse time counter, plus the MSS as an index into a small table. Window
 * scale, SACK-permitted and the timestamp option, which do not fit, travel
 * in the low bits of our timestamp value (TSval) when the client sent
 * timestamps, as Linux does; without timestamps they are off.
 * Private to lib/tcp.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mg_addr.h"

struct mg_tcp_cookie_key {
	uint64_t k[4];			/* secret, per stack; rotate with seed */
};

/* MSS values a cookie can carry (ascending); the client's MSS is rounded
 * down to one of them (up to the first, 536, when it is smaller). */
#define MG_TCP_COOKIE_N_MSS	8
extern const uint16_t mg_tcp_cookie_mss_table[MG_TCP_COOKIE_N_MSS];
#define MG_TCP_COOKIE_NO_WSCALE	0xf

/** Index in mg_tcp_cookie_mss_table of the largest entry <= @p mss (0 when
 *  none is). */
unsigned mg_tcp_cookie_mss_index(uint16_t mss);

/**
 * SipHash-2-4 of @p len bytes under the 128-bit key @p k (k[0] holds key
 * bytes 0..7 little-endian). Also fit for RFC 6528 ISNs.
 */
uint64_t mg_tcp_siphash24(const uint64_t k[2], const void *data, size_t len);

struct mg_tcp_cookie_params {
	uint16_t mss;			/* the client's MSS (or 536) */
	uint8_t wscale;			/* client's window scale, 0xf = none */
	bool sack_permitted;
	bool timestamps;
};

/* The key is expanded from @p seed (splitmix64): seed it from a random
 * source (rte_rand(), getrandom()) outside tests. Words 0..1 key the MAC,
 * 2..3 are spare. */
void mg_tcp_cookie_key_init(struct mg_tcp_cookie_key *key, uint64_t seed);

/*
 * saddr/sport are the client's (the SYN's source), daddr/dport ours; the
 * check takes them the same way from the ACK. p->wscale is the client's
 * shift (above 14 is taken as 14) or MG_TCP_COOKIE_NO_WSCALE. The window
 * scale, SACK and timestamps come back from the check only when the ACK
 * echoes a cookie TSval; the MAC covers them too.
 */

/**
 * Make the SYN-ACK's ISN (and, with timestamps, our TSval) for a SYN.
 * @param now_s  coarse time in seconds; cookies stay valid for 2 counter
 *               periods of 64 s.
 * @param ts_val in: our clock's TSval for the SYN-ACK; out: the same with
 *               the options encoded in its low 6 bits (only when
 *               p->timestamps).
 */
uint32_t mg_tcp_cookie_make(const struct mg_tcp_cookie_key *key,
			    const struct mg_ip *saddr, uint16_t sport,
			    const struct mg_ip *daddr, uint16_t dport,
			    uint32_t client_isn, uint32_t now_s,
			    const struct mg_tcp_cookie_params *p, uint32_t *ts_val);

/**
 * Check the ACK of a handshake against its cookie.
 * @param ack     the ACK's acknowledgment number (our ISN + 1)
 * @param seq     the ACK's sequence number (client ISN + 1)
 * @param ts_ecr  the ACK's TSecr when it carries timestamps, else 0 with
 *                @p has_ts false
 * @return 0 with *p filled, or -EINVAL (forged, or expired).
 */
int mg_tcp_cookie_check(const struct mg_tcp_cookie_key *key,
			const struct mg_ip *saddr, uint16_t sport,
			const struct mg_ip *daddr, uint16_t dport,
			uint32_t ack, uint32_t seq, bool has_ts, uint32_t ts_ecr,
			uint32_t now_s, struct mg_tcp_cookie_params *p);

#endif /* MG_TCP_SYNCOOKIE_H */
