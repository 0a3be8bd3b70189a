/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Full-NAT header rewrite with incremental checksums (RFC 1624, eqn. 3:
 * HC' = ~(~HC + ~m + m')). The one's-complement sum does not depend on
 * byte order (RFC 1071), so 16-bit words are summed as they sit in memory.
 * Both results stay in 0x0000..0xfffe exactly like a full recomputation,
 * since ~HC + ... is never zero.
 */
#include <string.h>

#include "mg_l4lb.h"

static inline uint16_t
ld16(const void *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static inline void
st16(void *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

/* Sum of ~old + new over @p n_words 16-bit words. */
static inline uint32_t
csum_delta(const void *old, const void *new, unsigned n_words)
{
	const uint8_t *o = old, *n = new;
	uint32_t sum = 0;
	unsigned i;

	for (i = 0; i < n_words; i++)
		sum += (uint16_t)~ld16(o + 2 * i) + ld16(n + 2 * i);
	return sum;
}

static inline uint16_t
csum_apply(uint16_t check, uint32_t delta)
{
	uint32_t sum = (uint16_t)~check + delta;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

void
mg_fnat_rewrite(void *l3, uint8_t family, void *l4, uint8_t proto,
		const struct mg_ip *new_src, uint16_t new_sport_be,
		const struct mg_ip *new_dst, uint16_t new_dport_be)
{
	uint8_t *ip = l3, *th = l4;
	uint32_t delta;
	unsigned csum_off;
	uint16_t check;

	if (family == AF_INET) {
		delta = csum_delta(ip + 12, &new_src->v4, 2) +
			csum_delta(ip + 16, &new_dst->v4, 2);
		st16(ip + 10, csum_apply(ld16(ip + 10), delta));
		memcpy(ip + 12, &new_src->v4, 4);
		memcpy(ip + 16, &new_dst->v4, 4);
	} else {
		delta = csum_delta(ip + 8, new_src->v6, 8) +
			csum_delta(ip + 24, new_dst->v6, 8);
		memcpy(ip + 8, new_src->v6, 16);
		memcpy(ip + 24, new_dst->v6, 16);
	}
	if (th == NULL)
		return;
	if (proto == IPPROTO_TCP)
		csum_off = 16;
	else if (proto == IPPROTO_UDP)
		csum_off = 6;
	else
		return;

	delta += csum_delta(th, &new_sport_be, 1) +
		csum_delta(th + 2, &new_dport_be, 1);
	st16(th, new_sport_be);
	st16(th + 2, new_dport_be);
	check = ld16(th + csum_off);
	if (proto == IPPROTO_UDP && family == AF_INET && check == 0)
		return;		/* sender did not checksum */
	check = csum_apply(check, delta);
	if (proto == IPPROTO_UDP && check == 0)
		check = 0xffff;
	st16(th + csum_off, check);
}
