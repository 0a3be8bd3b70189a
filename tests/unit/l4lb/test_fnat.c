/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Full-NAT rewrite: random IPv4/IPv6 TCP/UDP packets, rewritten in place,
 * must carry the checksums a full recomputation gives.
 */
#include <stdlib.h>
#include <string.h>

#include "mg_test.h"
#include "mg_l4lb.h"

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

/* RFC 1071 reference, big-endian words, independent of the library. */
static uint32_t
sum_bytes(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t
fold_not(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Full checksum of the L4 segment with its pseudo-header (field zeroed). */
static uint16_t
l4_csum(const uint8_t *ip, int family, uint8_t proto, const uint8_t *l4,
	size_t l4_len)
{
	uint8_t copy[2048];
	unsigned off = proto == IPPROTO_TCP ? 16 : 6;
	uint32_t sum = 0;

	memcpy(copy, l4, l4_len);
	put16(copy + off, 0);
	if (family == AF_INET)
		sum = sum_bytes(sum, ip + 12, 8);
	else
		sum = sum_bytes(sum, ip + 8, 32);
	sum += proto + (uint32_t)l4_len;
	if (family == AF_INET6)
		sum += (uint32_t)(l4_len >> 16);
	sum = sum_bytes(sum, copy, l4_len);
	return fold_not(sum);
}

static uint16_t
ip4_csum(const uint8_t *ip)
{
	uint8_t copy[20];

	memcpy(copy, ip, 20);
	put16(copy + 10, 0);
	return fold_not(sum_bytes(0, copy, 20));
}

struct pkt {
	uint8_t buf[2048];
	uint8_t *l4;
	size_t l4_len;
	int family;
	uint8_t proto;
};

static void
rnd_addr(struct mg_ip *a, int family)
{
	unsigned i;

	memset(a, 0, sizeof(*a));
	a->family = (uint8_t)family;
	for (i = 0; i < (family == AF_INET ? 4u : 16u); i++)
		a->v6[i] = (uint8_t)rnd();
	/* edge words: all ones and all zeros show up often */
	if (rnd() % 8 == 0)
		memset(a->v6, 0xff, family == AF_INET ? 4 : 16);
	if (rnd() % 8 == 0)
		memset(a->v6, 0, 2);
}

static void
build(struct pkt *p, int family, uint8_t proto, size_t payload)
{
	uint8_t *ip = p->buf;
	size_t l3_len = family == AF_INET ? 20 : 40;
	size_t hdr = proto == IPPROTO_TCP ? 20 : 8, i;
	struct mg_ip s, d;

	memset(p->buf, 0, sizeof(p->buf));
	p->family = family;
	p->proto = proto;
	p->l4 = ip + l3_len;
	p->l4_len = hdr + payload;
	rnd_addr(&s, family);
	rnd_addr(&d, family);
	if (family == AF_INET) {
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(20 + p->l4_len));
		put16(ip + 4, (uint16_t)rnd());
		ip[8] = 64;
		ip[9] = proto;
		memcpy(ip + 12, &s.v4, 4);
		memcpy(ip + 16, &d.v4, 4);
	} else {
		ip[0] = 0x60;
		put16(ip + 4, (uint16_t)p->l4_len);
		ip[6] = proto;
		ip[7] = 64;
		memcpy(ip + 8, s.v6, 16);
		memcpy(ip + 24, d.v6, 16);
	}
	for (i = 0; i < p->l4_len; i++)
		p->l4[i] = (uint8_t)rnd();
	if (proto == IPPROTO_UDP)
		put16(p->l4 + 4, (uint16_t)p->l4_len);
	else
		p->l4[12] = 0x50;
	if (family == AF_INET)
		put16(ip + 10, ip4_csum(ip));
	put16(p->l4 + (proto == IPPROTO_TCP ? 16 : 6),
	      l4_csum(ip, family, proto, p->l4, p->l4_len));
}

static void
check_pkt(const struct pkt *p, const struct mg_ip *ns, uint16_t sport,
	  const struct mg_ip *nd, uint16_t dport, bool udp_none)
{
	const uint8_t *ip = p->buf;
	unsigned off = p->proto == IPPROTO_TCP ? 16 : 6;
	uint16_t want = l4_csum(ip, p->family, p->proto, p->l4, p->l4_len);

	if (p->family == AF_INET) {
		MG_CHECK(memcmp(ip + 12, &ns->v4, 4) == 0);
		MG_CHECK(memcmp(ip + 16, &nd->v4, 4) == 0);
		MG_CHECK_EQ(get16(ip + 10), ip4_csum(ip));
	} else {
		MG_CHECK(memcmp(ip + 8, ns->v6, 16) == 0);
		MG_CHECK(memcmp(ip + 24, nd->v6, 16) == 0);
	}
	MG_CHECK(memcmp(p->l4, &sport, 2) == 0);
	MG_CHECK(memcmp(p->l4 + 2, &dport, 2) == 0);
	if (udp_none)
		MG_CHECK_EQ(get16(p->l4 + off), 0);
	else if (p->proto == IPPROTO_UDP && want == 0)
		MG_CHECK_EQ(get16(p->l4 + off), 0xffff);
	else
		MG_CHECK_EQ(get16(p->l4 + off), want);
}

static void
test_random(void)
{
	static const int families[] = { AF_INET, AF_INET6 };
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP };
	unsigned iter, fi, pi;

	for (iter = 0; iter < 20000; iter++) {
		for (fi = 0; fi < 2; fi++) {
			for (pi = 0; pi < 2; pi++) {
				struct pkt p;
				struct mg_ip ns, nd;
				uint16_t sport = (uint16_t)rnd(), dport = (uint16_t)rnd();
				bool none = false;

				build(&p, families[fi], protos[pi], rnd() % 200);
				if (protos[pi] == IPPROTO_UDP &&
				    families[fi] == AF_INET && rnd() % 10 == 0) {
					put16(p.l4 + 6, 0);
					none = true;
				}
				rnd_addr(&ns, families[fi]);
				rnd_addr(&nd, families[fi]);
				mg_fnat_rewrite(p.buf, (uint8_t)families[fi], p.l4,
						protos[pi], &ns, sport, &nd, dport);
				check_pkt(&p, &ns, sport, &nd, dport, none);
				/* and back again */
				rnd_addr(&ns, families[fi]);
				rnd_addr(&nd, families[fi]);
				mg_fnat_rewrite(p.buf, (uint8_t)families[fi], p.l4,
						protos[pi], &ns, dport, &nd, sport);
				check_pkt(&p, &ns, dport, &nd, sport, none);
			}
		}
	}
}

/*
 * A UDP datagram whose checksum after the rewrite computes to 0 must go
 * out as 0xffff: tune one payload word so the rewritten sum is 0xffff.
 */
static void
test_udp_zero_result(void)
{
	static const int families[] = { AF_INET, AF_INET6 };
	unsigned iter, fi;

	for (iter = 0; iter < 200; iter++) {
		for (fi = 0; fi < 2; fi++) {
			struct pkt p, q;
			struct mg_ip ns, nd;
			uint16_t sport = (uint16_t)rnd(), dport = (uint16_t)rnd();
			uint16_t c;
			size_t l3 = families[fi] == AF_INET ? 20 : 40;

			build(&p, families[fi], IPPROTO_UDP, 10 + rnd() % 50);
			rnd_addr(&ns, families[fi]);
			rnd_addr(&nd, families[fi]);
			/* rewritten copy with payload word 8..9 zero */
			q = p;
			q.l4 = q.buf + l3;
			if (families[fi] == AF_INET) {
				memcpy(q.buf + 12, &ns.v4, 4);
				memcpy(q.buf + 16, &nd.v4, 4);
			} else {
				memcpy(q.buf + 8, ns.v6, 16);
				memcpy(q.buf + 24, nd.v6, 16);
			}
			memcpy(q.l4, &sport, 2);
			memcpy(q.l4 + 2, &dport, 2);
			put16(q.l4 + 8, 0);
			c = l4_csum(q.buf, families[fi], IPPROTO_UDP, q.l4,
				    q.l4_len);
			/* sum is ~c; adding c makes it 0xffff, checksum 0 */
			put16(p.l4 + 8, c);
			put16(p.l4 + 6, l4_csum(p.buf, families[fi], IPPROTO_UDP,
						p.l4, p.l4_len));
			if (get16(p.l4 + 6) == 0)
				put16(p.l4 + 6, 0xffff);
			mg_fnat_rewrite(p.buf, (uint8_t)families[fi], p.l4,
					IPPROTO_UDP, &ns, sport, &nd, dport);
			MG_CHECK_EQ(l4_csum(p.buf, families[fi], IPPROTO_UDP,
					    p.l4, p.l4_len), 0);
			MG_CHECK_EQ(get16(p.l4 + 6), 0xffff);
		}
	}
}

/* Other protocols and l4 == NULL: addresses (and the IPv4 header) only. */
static void
test_addresses_only(void)
{
	struct pkt p;
	struct mg_ip ns, nd;
	uint8_t before[64];

	build(&p, AF_INET, IPPROTO_TCP, 20);
	memcpy(before, p.l4, sizeof(before));
	rnd_addr(&ns, AF_INET);
	rnd_addr(&nd, AF_INET);
	mg_fnat_rewrite(p.buf, AF_INET, NULL, IPPROTO_TCP, &ns, 1, &nd, 2);
	MG_CHECK_EQ(get16(p.buf + 10), ip4_csum(p.buf));
	MG_CHECK(memcmp(before, p.l4, sizeof(before)) == 0);
	mg_fnat_rewrite(p.buf, AF_INET, p.l4, IPPROTO_ICMP, &nd, 1, &ns, 2);
	MG_CHECK_EQ(get16(p.buf + 10), ip4_csum(p.buf));
	MG_CHECK(memcmp(before, p.l4, sizeof(before)) == 0);
}

int
main(void)
{
	test_random();
	test_udp_zero_result();
	test_addresses_only();
	return mg_test_done("test_l4lb_fnat");
}
