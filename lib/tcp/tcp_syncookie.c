/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SYN cookies (RFC 4987 3.6).
 *
 * Our ISN:   | MAC (24 bits) | counter & 31 (5 bits) | MSS index (3 bits) |
 * Our TSval: | our clock, low 6 bits cleared         | T | S | wscale (4) |
 *            (only when the client sent timestamps; T = 1 marks the bits)
 *
 * counter = now_s / 64. The MAC is SipHash-2-4 over the 4-tuple, the
 * client's ISN, the full counter, the MSS index and the 6 TSval bits, so
 * none of the encoded parameters can be changed without breaking the MAC.
 * The check rebuilds the counter from its 5 low bits and accepts the
 * current period and the one before (64 to 128 s of validity); a forged
 * ACK passes with probability 2^-24 at best.
 */
#include <errno.h>
#include <string.h>

#include "tcp_syncookie.h"

#define COUNTER_SHIFT	6	/* 64 s per period */
#define COUNTER_BITS	5
#define COUNTER_MASK	((1u << COUNTER_BITS) - 1)
#define MSS_BITS	3
#define MSS_MASK	((1u << MSS_BITS) - 1)
#define MAC_SHIFT	(COUNTER_BITS + MSS_BITS)
#define MAX_AGE		1	/* periods before the current one */

#define TS_OPT_MASK	0x3fu
#define TS_OPT_ON	0x20u	/* the bits carry cookie options */
#define TS_OPT_SACK	0x10u
#define TS_OPT_WSCALE	0x0fu

/* Common MSS values, ascending: IPv4 minimum, IPv6 minimum, tunnels and
 * PPPoE, IPv6 and IPv4 over Ethernet, jumbo frames. */
const uint16_t mg_tcp_cookie_mss_table[MG_TCP_COOKIE_N_MSS] = {
	536, 1220, 1300, 1380, 1440, 1452, 1460, 8960,
};

static inline uint64_t
rotl64(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static inline uint64_t
le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

#define SIPROUND do {							\
	v0 += v1; v1 = rotl64(v1, 13); v1 ^= v0; v0 = rotl64(v0, 32);	\
	v2 += v3; v3 = rotl64(v3, 16); v3 ^= v2;			\
	v0 += v3; v3 = rotl64(v3, 21); v3 ^= v0;			\
	v2 += v1; v1 = rotl64(v1, 17); v1 ^= v2; v2 = rotl64(v2, 32);	\
} while (0)

uint64_t
mg_tcp_siphash24(const uint64_t k[2], const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t v0 = k[0] ^ 0x736f6d6570736575ULL;
	uint64_t v1 = k[1] ^ 0x646f72616e646f6dULL;
	uint64_t v2 = k[0] ^ 0x6c7967656e657261ULL;
	uint64_t v3 = k[1] ^ 0x7465646279746573ULL;
	uint64_t m;
	size_t i, left = len & 7;

	for (i = 0; i + 8 <= len; i += 8) {
		m = le64(p + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	m = (uint64_t)(len & 0xff) << 56;
	for (size_t j = 0; j < left; j++)
		m |= (uint64_t)p[i + j] << (8 * j);
	v3 ^= m;
	SIPROUND;
	SIPROUND;
	v0 ^= m;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

static uint64_t
splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void
mg_tcp_cookie_key_init(struct mg_tcp_cookie_key *key, uint64_t seed)
{
	for (unsigned i = 0; i < 4; i++)
		key->k[i] = splitmix64(&seed);
}

static uint32_t
cookie_mac(const struct mg_tcp_cookie_key *key,
	   const struct mg_ip *saddr, uint16_t sport,
	   const struct mg_ip *daddr, uint16_t dport,
	   uint32_t client_isn, uint32_t counter, unsigned mss_idx,
	   unsigned ts_opt)
{
	uint8_t buf[48], *p = buf;
	size_t alen = saddr->family == AF_INET6 ? 16 : 4;

	/* family, both addresses as they sit in packets, then the rest */
	*p++ = saddr->family == AF_INET6 ? 6 : 4;
	*p++ = (uint8_t)mss_idx;
	*p++ = (uint8_t)ts_opt;
	*p++ = (uint8_t)(sport >> 8);
	*p++ = (uint8_t)sport;
	*p++ = (uint8_t)(dport >> 8);
	*p++ = (uint8_t)dport;
	memcpy(p, &client_isn, 4);
	p += 4;
	memcpy(p, &counter, 4);
	p += 4;
	memcpy(p, alen == 16 ? (const void *)saddr->v6 : (const void *)&saddr->v4,
	       alen);
	p += alen;
	memcpy(p, alen == 16 ? (const void *)daddr->v6 : (const void *)&daddr->v4,
	       alen);
	p += alen;
	return (uint32_t)mg_tcp_siphash24(key->k, buf, (size_t)(p - buf)) &
	       ((1u << (32 - MAC_SHIFT)) - 1);
}

unsigned
mg_tcp_cookie_mss_index(uint16_t mss)
{
	unsigned i = MG_TCP_COOKIE_N_MSS - 1;

	while (i > 0 && mg_tcp_cookie_mss_table[i] > mss)
		i--;
	return i;
}

uint32_t
mg_tcp_cookie_make(const struct mg_tcp_cookie_key *key,
		   const struct mg_ip *saddr, uint16_t sport,
		   const struct mg_ip *daddr, uint16_t dport,
		   uint32_t client_isn, uint32_t now_s,
		   const struct mg_tcp_cookie_params *p, uint32_t *ts_val)
{
	uint32_t counter = now_s >> COUNTER_SHIFT;
	unsigned mss_idx = mg_tcp_cookie_mss_index(p->mss);
	unsigned ts_opt = 0;

	if (p->timestamps) {
		/* a scale above 14 is sent as 14 (RFC 7323 2.3); 0xf is none */
		unsigned ws = p->wscale == MG_TCP_COOKIE_NO_WSCALE ? p->wscale :
			      p->wscale > 14 ? 14 : p->wscale;

		ts_opt = TS_OPT_ON | (p->sack_permitted ? TS_OPT_SACK : 0) | ws;
		/* clearing the low bits keeps TSval at or before our clock */
		*ts_val = (*ts_val & ~TS_OPT_MASK) | ts_opt;
	}
	return cookie_mac(key, saddr, sport, daddr, dport, client_isn, counter,
			  mss_idx, ts_opt) << MAC_SHIFT |
	       (counter & COUNTER_MASK) << MSS_BITS | mss_idx;
}

int
mg_tcp_cookie_check(const struct mg_tcp_cookie_key *key,
		    const struct mg_ip *saddr, uint16_t sport,
		    const struct mg_ip *daddr, uint16_t dport,
		    uint32_t ack, uint32_t seq, bool has_ts, uint32_t ts_ecr,
		    uint32_t now_s, struct mg_tcp_cookie_params *p)
{
	uint32_t cookie = ack - 1, now_c = now_s >> COUNTER_SHIFT;
	uint32_t age = (now_c - (cookie >> MSS_BITS)) & COUNTER_MASK;
	unsigned mss_idx = cookie & MSS_MASK;
	unsigned ts_opt = 0;

	if (age > MAX_AGE || (saddr->family != AF_INET &&
			      saddr->family != AF_INET6) ||
	    daddr->family != saddr->family)
		return -EINVAL;
	/* TSecr without our mark: the client did not echo a cookie TSval,
	 * which the MAC then refuses if we had sent one */
	if (has_ts && (ts_ecr & TS_OPT_ON))
		ts_opt = ts_ecr & TS_OPT_MASK;
	if (cookie_mac(key, saddr, sport, daddr, dport, seq - 1, now_c - age,
		       mss_idx, ts_opt) != cookie >> MAC_SHIFT)
		return -EINVAL;

	p->mss = mg_tcp_cookie_mss_table[mss_idx];
	p->timestamps = ts_opt != 0;
	p->sack_permitted = (ts_opt & TS_OPT_SACK) != 0;
	p->wscale = ts_opt != 0 ? (uint8_t)(ts_opt & TS_OPT_WSCALE) :
				  MG_TCP_COOKIE_NO_WSCALE;
	return 0;
}
