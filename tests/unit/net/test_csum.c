/* SPDX-License-Identifier: Apache-2.0 */
/* Incremental checksum updates (RFC 1624) against full recomputation. */
#include "mg_test.h"
#include "net_test.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

/* 0x0000 and 0xffff are the same ones' complement number. */
static bool
csum_same(uint16_t a, uint16_t b)
{
	return a == b || (a == 0 && b == 0xffff) || (a == 0xffff && b == 0);
}

/* Random word arrays: replace one 16- or 32-bit word, compare. */
static void
test_words(void)
{
	unsigned n, fails16 = 0, fails32 = 0;

	for (n = 0; n < 20000; n++) {
		uint16_t w[32];
		unsigned len = 2 + rnd() % 31, i, k = rnd() % (len - 1);
		uint16_t c, c2;
		uint32_t old32, new32;

		for (i = 0; i < len; i++)
			w[i] = (uint16_t)(n % 7 == 0 ? (rnd() & 1) * 0xffff : rnd());
		c = htons(t_fold(t_sum((const uint8_t *)w, len * 2, 0)));
		uint16_t old = w[k], nw = (uint16_t)(n % 5 == 0 ? 0 : rnd());

		w[k] = nw;
		c2 = mg_csum_replace16(c, old, nw);
		if (!csum_same(ntohs(c2), t_fold(t_sum((const uint8_t *)w, len * 2, 0))))
			fails16++;

		/* 32-bit value stored at an even offset, as in headers */
		memcpy(&old32, &w[k], 4);
		new32 = rnd() ^ (rnd() << 16);
		c = htons(t_fold(t_sum((const uint8_t *)w, len * 2, 0)));
		memcpy(&w[k], &new32, 4);
		c2 = mg_csum_replace32(c, old32, new32);
		if (!csum_same(ntohs(c2), t_fold(t_sum((const uint8_t *)w, len * 2, 0))))
			fails32++;
	}
	MG_CHECK_EQ(fails16, 0);
	MG_CHECK_EQ(fails32, 0);
}

/*
 * Random TCP/UDP packets, v4 and v6: NAT both addresses and both ports the
 * way the full-NAT path does, incrementally, then check the packet with
 * mg_pkt_l4_csum_ok() and against a full recomputation.
 */
static void
test_nat(int v6, uint8_t proto, unsigned cases)
{
	unsigned n, bad = 0, bad_full = 0, bad_ip = 0;
	uint8_t b[2048];

	for (n = 0; n < cases; n++) {
		struct tspec s = {
			.proto = proto, .src = v6 ? "fd00:10::2" : "10.10.0.2",
			.dst = v6 ? "fd00:10::100" : "10.10.0.100",
			.sport = (uint16_t)rnd(), .dport = (uint16_t)rnd(),
			.payload = rnd() % 300,
		};
		unsigned len = tframe(&s, b), l3 = 14, l4 = l3 + (v6 ? 40 : 20), i;
		uint8_t *ip = b + l3, *th = b + l4;
		unsigned coff = proto == IPPROTO_TCP ? 16 : 6;
		struct mg_ip osrc, odst, nsrc, ndst;
		uint16_t csum, ip_csum, oport, nport;
		struct rte_mbuf *m;
		struct mg_pkt p;

		/* random payload and addresses, then a correct checksum */
		for (i = l4 + (proto == IPPROTO_TCP ? 20 : 8); i < len; i++)
			b[i] = (uint8_t)rnd();
		osrc.family = odst.family = v6 ? AF_INET6 : AF_INET;
		for (i = 0; i < 4; i++) {
			osrc.v6w[i] = rnd() ^ (rnd() << 16);
			odst.v6w[i] = rnd() ^ (rnd() << 16);
		}
		osrc.v6[0] = 10;	/* not a bad source */
		memcpy(ip + (v6 ? 8 : 12), v6 ? osrc.v6 : (uint8_t *)&osrc.v4, v6 ? 16 : 4);
		memcpy(ip + (v6 ? 24 : 16), v6 ? odst.v6 : (uint8_t *)&odst.v4, v6 ? 16 : 4);
		if (!v6) {
			ip[10] = ip[11] = 0;
			t_put16(ip + 10, t_fold(t_sum(ip, 20, 0)));
		}
		th[coff] = th[coff + 1] = 0;
		csum = t_l4_csum(v6 ? AF_INET6 : AF_INET, ip, th, len - l4, proto);
		if (proto == IPPROTO_UDP && csum == 0)
			csum = 0xffff;
		t_put16(th + coff, csum);

		/* NAT: new addresses and ports, incrementally */
		nsrc.family = ndst.family = osrc.family;
		for (i = 0; i < 4; i++) {
			nsrc.v6w[i] = rnd() ^ (rnd() << 16);
			ndst.v6w[i] = n % 11 == 0 ? ~odst.v6w[i] : rnd();
		}
		nsrc.v6[0] = 10;
		memcpy(&csum, th + coff, 2);
		if (proto == IPPROTO_UDP) {
			csum = mg_udp_csum_replace_addr(csum, &osrc, &nsrc);
			csum = mg_udp_csum_replace_addr(csum, &odst, &ndst);
		} else {
			csum = mg_csum_replace_addr(csum, &osrc, &nsrc);
			csum = mg_csum_replace_addr(csum, &odst, &ndst);
		}
		for (i = 0; i < 2; i++) {
			memcpy(&oport, th + 2 * i, 2);
			nport = (uint16_t)rnd();
			memcpy(th + 2 * i, &nport, 2);
			csum = proto == IPPROTO_UDP ?
				mg_udp_csum_replace16(csum, oport, nport) :
				mg_csum_replace16(csum, oport, nport);
		}
		memcpy(th + coff, &csum, 2);
		if (!v6) {
			memcpy(&ip_csum, ip + 10, 2);
			ip_csum = mg_csum_replace32(ip_csum, osrc.v4, nsrc.v4);
			ip_csum = mg_csum_replace32(ip_csum, odst.v4, ndst.v4);
			memcpy(ip + 10, &ip_csum, 2);
			memcpy(ip + 12, &nsrc.v4, 4);
			memcpy(ip + 16, &ndst.v4, 4);
			if (t_fold(t_sum(ip, 20, 0)) != 0)
				bad_ip++;
		} else {
			memcpy(ip + 8, nsrc.v6, 16);
			memcpy(ip + 24, ndst.v6, 16);
		}
		if (proto == IPPROTO_UDP && csum == 0)
			bad++;

		m = t_mbuf_over(b, len, 0);
		p.l4_proto = 0;
		if (mg_pkt_parse(m, &p) != MG_NET_OK || !mg_pkt_l4_csum_ok(m, &p))
			bad++;
		t_mbuf_over_free(m);
		th[coff] = th[coff + 1] = 0;
		if (!csum_same(rte_be_to_cpu_16(csum), t_l4_csum(v6 ? AF_INET6 : AF_INET,
						ip, th, len - l4, proto)))
			bad_full++;
	}
	MG_CHECK_EQ(bad, 0);
	MG_CHECK_EQ(bad_full, 0);
	MG_CHECK_EQ(bad_ip, 0);
}

static void
test_udp_zero(void)
{
	struct mg_ip a, b;

	mg_ip_parse("10.0.0.1", &a);
	mg_ip_parse("10.0.0.2", &b);
	MG_CHECK_EQ(mg_udp_csum_replace_addr(0, &a, &b), 0);
	MG_CHECK_EQ(mg_udp_csum_replace16(0, 1, 2), 0);
	/* A result of 0 is sent as 0xffff. Find a case: csum s.t. result 0. */
	uint16_t c = 0x1234, r = mg_csum_replace16(c, 0, 0);

	MG_CHECK_EQ(r, c);
	/* ~(~c + ~o + n) == 0  <=>  ~c + ~o + n == 0xffff: take c=0xfffe,o=0,n=0x0001
	 * -> 0x0001 + 0xffff + 0x0001 = 0x10001 -> folds to 0x0002; not zero.
	 * c=0xffff (-0), o=0xffff, n=0xffff: 0 + 0 + 0xffff -> ~ = 0. */
	MG_CHECK_EQ(mg_csum_replace16(0xffff, 0xffff, 0xffff), 0);
	MG_CHECK_EQ(mg_udp_csum_replace16(0xffff, 0xffff, 0xffff), 0xffff);
}

int
main(void)
{
	test_words();
	test_nat(0, IPPROTO_TCP, 5000);
	test_nat(0, IPPROTO_UDP, 5000);
	test_nat(1, IPPROTO_TCP, 5000);
	test_nat(1, IPPROTO_UDP, 5000);
	test_udp_zero();
	return mg_test_done("test_net_csum");
}
