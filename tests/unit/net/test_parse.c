/* SPDX-License-Identifier: Apache-2.0 */
/* mg_pkt_parse(): good frames at every layer, and every way to break them. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ip.h>

#include "mg_addr.h"
#include "mg_test.h"
#include "net_test.h"

static const struct tspec good[] = {
	{ .proto = IPPROTO_TCP, .src = "10.10.0.2", .dst = "10.10.0.100",
	  .sport = 40000, .dport = 80, .tcp_flags = 0x02, .payload = 0 },
	{ .proto = IPPROTO_TCP, .src = "10.10.0.2", .dst = "10.10.0.100",
	  .sport = 40001, .dport = 443, .tcp_flags = 0x18, .payload = 100, .vlan = 42 },
	{ .proto = IPPROTO_UDP, .src = "10.10.0.2", .dst = "10.10.0.100",
	  .sport = 5353, .dport = 53, .payload = 33 },
	{ .proto = IPPROTO_ICMP, .src = "10.10.0.2", .dst = "10.10.0.1",
	  .sport = 0x77, .dport = 1, .icmp_type = 8, .payload = 56, .ttl = 1 },
	{ .proto = IPPROTO_TCP, .src = "fd00:10::2", .dst = "fd00:10::100",
	  .sport = 1, .dport = 2, .tcp_flags = 0x10, .payload = 7 },
	{ .proto = IPPROTO_UDP, .src = "fd00:10::2", .dst = "fd00:10::100",
	  .sport = 9, .dport = 10, .payload = 1, .vlan = 4095 },
	{ .proto = IPPROTO_ICMPV6, .src = "fd00:10::2", .dst = "fd00:10::1",
	  .sport = 5, .dport = 6, .icmp_type = 128, .payload = 16 },
};

static struct rte_mbuf *
over(const uint8_t *b, unsigned len)
{
	return t_mbuf_over(b, len, 0);
}

static enum mg_net_drop
parse_bytes(const uint8_t *b, unsigned len, struct mg_pkt *p)
{
	struct rte_mbuf *m = over(b, len);
	enum mg_net_drop r = mg_pkt_parse(m, p);

	t_mbuf_over_free(m);
	return r;
}

static void
fix_ip4(uint8_t *ip)
{
	unsigned ihl = (ip[0] & 0xf) * 4u;

	ip[10] = ip[11] = 0;
	t_put16(ip + 10, t_fold(t_sum(ip, ihl, 0)));
}

static void
test_good(void)
{
	uint8_t b[2048];
	unsigned i;

	for (i = 0; i < RTE_DIM(good); i++) {
		const struct tspec *s = &good[i];
		struct mg_ip src, dst;
		struct mg_pkt p;
		unsigned len = tframe(s, b), l2 = s->vlan ? 18 : 14;
		bool v4 = strchr(s->src, ':') == NULL;
		struct rte_mbuf *m = over(b, len);

		MG_CHECK_EQ(mg_pkt_parse(m, &p), MG_NET_OK);
		mg_ip_parse(s->src, &src);
		mg_ip_parse(s->dst, &dst);
		MG_CHECK_EQ(p.l2_len, l2);
		MG_CHECK_EQ(p.vlan, s->vlan);
		MG_CHECK_EQ(p.ethertype, v4 ? 0x0800 : 0x86dd);
		MG_CHECK_EQ(p.l3_off, l2);
		MG_CHECK_EQ(p.l3_len, v4 ? 20 : 40);
		MG_CHECK_EQ(p.l4_off, l2 + p.l3_len);
		MG_CHECK_EQ(p.l4_len, (s->proto == IPPROTO_TCP ? 20 : 8) + s->payload);
		MG_CHECK_EQ(p.l4_proto, s->proto);
		MG_CHECK_EQ(p.ttl, s->ttl ? s->ttl : 64);
		MG_CHECK(mg_ip_eq(&p.src, &src));
		MG_CHECK(mg_ip_eq(&p.dst, &dst));
		MG_CHECK_EQ(p.sport, s->sport);
		if (s->proto == IPPROTO_TCP || s->proto == IPPROTO_UDP)
			MG_CHECK_EQ(p.dport, s->dport);
		else
			MG_CHECK_EQ(p.icmp_type, s->icmp_type);
		MG_CHECK_EQ(p.tcp_flags, s->tcp_flags);
		MG_CHECK(mg_pkt_l4_csum_ok(m, &p));

		/* DPDK's own checksum agrees with the test builder. */
		if (s->proto == IPPROTO_TCP || s->proto == IPPROTO_UDP) {
			const void *ip = b + p.l3_off, *l4 = b + p.l4_off;

			if (v4)
				MG_CHECK_EQ(rte_ipv4_udptcp_cksum_verify(ip, l4), 0);
			else
				MG_CHECK_EQ(rte_ipv6_udptcp_cksum_verify(ip, l4), 0);
		}

		/* One flipped payload bit breaks the L4 checksum, not parsing. */
		rte_pktmbuf_mtod(m, uint8_t *)[len - 1] ^= 0x40;
		MG_CHECK_EQ(mg_pkt_parse(m, &p), MG_NET_OK);
		MG_CHECK(!mg_pkt_l4_csum_ok(m, &p));
		t_mbuf_over_free(m);

		/* Ethernet padding after the IP packet is ignored. */
		struct tspec padded = *s;
		struct mg_pkt q;

		padded.pad = 23;
		len = tframe(&padded, b);
		m = over(b, len);
		MG_CHECK_EQ(mg_pkt_parse(m, &q), MG_NET_OK);
		MG_CHECK_EQ(q.l4_len, (s->proto == IPPROTO_TCP ? 20 : 8) + s->payload);
		MG_CHECK(mg_pkt_l4_csum_ok(m, &q));
		t_mbuf_over_free(m);
	}
}

/* Every prefix of every good frame is rejected, without reading past it. */
static void
test_truncated(void)
{
	uint8_t b[2048];
	unsigned i, n;

	for (i = 0; i < RTE_DIM(good); i++) {
		unsigned len = tframe(&good[i], b);

		for (n = 0; n < len; n++) {
			struct mg_pkt p;
			enum mg_net_drop r = parse_bytes(b, n, &p);

			MG_CHECK(r != MG_NET_OK);
			MG_CHECK(r < MG_NET_DROP_MAX);
			if (n < 14)
				MG_CHECK_EQ(r, MG_NET_DROP_ETH_TRUNCATED);
		}
	}
}

static void
test_ip4_bad(void)
{
	struct tspec s = good[2];
	uint8_t b[2048], c[2048];
	unsigned len = tframe(&s, b);
	uint8_t *ip = c + 14;
	struct mg_pkt p;

#define MUTATE(stmt, expect) do {					\
		memcpy(c, b, len);					\
		stmt;							\
		MG_CHECK_EQ(parse_bytes(c, len, &p), expect);		\
	} while (0)

	MUTATE(ip[0] = 0x55; fix_ip4(ip), MG_NET_DROP_IP4_BAD_VERSION);
	MUTATE(ip[0] = 0x65, MG_NET_DROP_IP4_BAD_VERSION);
	MUTATE(ip[0] = 0x44, MG_NET_DROP_IP4_BAD_IHL);
	MUTATE(ip[0] = 0x40, MG_NET_DROP_IP4_BAD_IHL);
	MUTATE(ip[0] = 0x4f; fix_ip4(ip), MG_NET_DROP_UDP_TRUNCATED);
	MUTATE(t_put16(ip + 2, (uint16_t)(len - 14 + 1)); fix_ip4(ip),
	       MG_NET_DROP_IP4_BAD_LENGTH);
	MUTATE(t_put16(ip + 2, 19); fix_ip4(ip), MG_NET_DROP_IP4_BAD_LENGTH);
	MUTATE(ip[10] ^= 1, MG_NET_DROP_IP4_BAD_CHECKSUM);
	MUTATE(t_put16(ip + 6, 0x2000); fix_ip4(ip), MG_NET_DROP_IP4_FRAGMENT);
	MUTATE(t_put16(ip + 6, 0x0001); fix_ip4(ip), MG_NET_DROP_IP4_FRAGMENT);
	MUTATE(t_put16(ip + 6, 0x4000); fix_ip4(ip), MG_NET_OK);	/* DF only */
	MUTATE(ip[12] = 127; fix_ip4(ip), MG_NET_DROP_IP4_BAD_SOURCE);
	MUTATE(ip[12] = 224; fix_ip4(ip), MG_NET_DROP_IP4_BAD_SOURCE);
	MUTATE(memset(ip + 12, 0xff, 4); fix_ip4(ip), MG_NET_DROP_IP4_BAD_SOURCE);
	MUTATE(memset(ip + 12, 0, 4); fix_ip4(ip), MG_NET_DROP_IP4_BAD_SOURCE);
	/* A host does not check TTL: 0 and 1 are recorded, not dropped. */
	MUTATE(ip[8] = 0; fix_ip4(ip), MG_NET_OK);
	MG_CHECK_EQ(p.ttl, 0);
	MUTATE(ip[8] = 1; fix_ip4(ip), MG_NET_OK);
	MUTATE(ip[9] = 47; fix_ip4(ip), MG_NET_DROP_PROTO_UNHANDLED);
	MG_CHECK_EQ(p.l4_proto, 47);
	MUTATE(ip[9] = IPPROTO_ICMPV6; fix_ip4(ip), MG_NET_DROP_PROTO_UNHANDLED);
	/* UDP */
	MUTATE(t_put16(ip + 24, (uint16_t)(len - 34 + 1)), MG_NET_DROP_UDP_BAD_LENGTH);
	MUTATE(t_put16(ip + 24, (uint16_t)(len - 34 - 1)), MG_NET_DROP_UDP_BAD_LENGTH);
	MUTATE(t_put16(ip + 2, 27); fix_ip4(ip), MG_NET_DROP_UDP_TRUNCATED);

	/* Options are skipped: IHL 6 with a NOP option word. */
	{
		struct mg_pkt q;
		unsigned l = len + 4;

		memcpy(c, b, 34);
		memset(c + 34, 1, 4);
		memcpy(c + 38, b + 34, len - 34);
		c[14] = 0x46;
		t_put16(c + 16, (uint16_t)(len - 14 + 4));
		fix_ip4(c + 14);
		MG_CHECK_EQ(parse_bytes(c, l, &q), MG_NET_OK);
		MG_CHECK_EQ(q.l3_len, 24);
		MG_CHECK_EQ(q.l4_off, 38);
		MG_CHECK_EQ(q.dport, 53);
	}

	/* The NIC's checksum verdict is trusted both ways. */
	{
		struct rte_mbuf *m;
		struct mg_pkt q;

		memcpy(c, b, len);
		ip[10] ^= 1;
		m = over(c, len);
		m->ol_flags = RTE_MBUF_F_RX_IP_CKSUM_GOOD;
		MG_CHECK_EQ(mg_pkt_parse(m, &q), MG_NET_OK);
		t_mbuf_over_free(m);
		m = over(b, len);
		m->ol_flags = RTE_MBUF_F_RX_IP_CKSUM_BAD;
		MG_CHECK_EQ(mg_pkt_parse(m, &q), MG_NET_DROP_IP4_BAD_CHECKSUM);
		t_mbuf_over_free(m);
	}

	/* TCP data offset */
	s = good[0];
	s.payload = 8;
	len = tframe(&s, b);
	MUTATE(ip[32] = 4 << 4, MG_NET_DROP_TCP_BAD_OFFSET);
	MUTATE(ip[32] = 7 << 4, MG_NET_OK);	/* 28 = l4_len: no data */
	MG_CHECK_EQ(p.l4_len, 28);
	MUTATE(ip[32] = 8 << 4, MG_NET_DROP_TCP_BAD_OFFSET);
	MUTATE(ip[32] = 7 << 4; t_put16(ip + 2, 48); fix_ip4(ip), MG_NET_OK);
	MUTATE(ip[32] = 15 << 4, MG_NET_DROP_TCP_BAD_OFFSET);
	MUTATE(t_put16(ip + 2, 39); fix_ip4(ip), MG_NET_DROP_TCP_TRUNCATED);

	/* IHL beyond the frame */
	s = good[2];
	s.payload = 0;
	len = tframe(&s, b);
	MUTATE(ip[0] = 0x4f, MG_NET_DROP_IP4_TRUNCATED);

	/* ICMP shorter than 8 bytes */
	s = good[3];
	s.payload = 0;
	len = tframe(&s, b);
	MUTATE(t_put16(ip + 2, 27); fix_ip4(ip), MG_NET_DROP_ICMP_MALFORMED);
#undef MUTATE
}

/* Insert an extension header of @p elen bytes before the upper layer. */
static unsigned
ip6_insert_ext(uint8_t *c, const uint8_t *b, unsigned len, uint8_t type,
	       unsigned elen, uint8_t segleft)
{
	uint8_t *ip = c + 14;
	uint8_t next = b[14 + 6];

	memcpy(c, b, 54);
	memset(c + 54, 0, elen);
	memcpy(c + 54 + elen, b + 54, len - 54);
	ip[6] = type;
	ip[40] = next;
	ip[41] = (uint8_t)(elen / 8 - 1);
	if (type == IPPROTO_ROUTING)
		ip[43] = segleft;
	t_put16(ip + 4, (uint16_t)(len - 54 + elen));
	return len + elen;
}

static void
test_ip6_bad(void)
{
	struct tspec s = good[5];
	uint8_t b[2048], c[2048];
	unsigned len, l;
	uint8_t *ip = c + 14;
	struct mg_pkt p;

	s.vlan = 0;
	len = tframe(&s, b);
#define MUTATE(stmt, expect) do {					\
		memcpy(c, b, len);					\
		stmt;							\
		MG_CHECK_EQ(parse_bytes(c, len, &p), expect);		\
	} while (0)
	MUTATE(ip[0] = 0x40, MG_NET_DROP_IP6_BAD_VERSION);
	MUTATE(t_put16(ip + 4, (uint16_t)(len - 54 + 1)), MG_NET_DROP_IP6_BAD_LENGTH);
	MUTATE(t_put16(ip + 4, 0), MG_NET_DROP_IP6_BAD_LENGTH);
	MUTATE(ip[8] = 0xff, MG_NET_DROP_IP6_BAD_SOURCE);
	MUTATE(memset(ip + 8, 0, 16); ip[23] = 1, MG_NET_DROP_IP6_BAD_SOURCE);
	MUTATE(ip[7] = 0, MG_NET_OK);	/* hop limit is recorded only */
	MUTATE(ip[6] = IPPROTO_FRAGMENT, MG_NET_DROP_IP6_FRAGMENT);
	MUTATE(ip[6] = IPPROTO_ESP, MG_NET_DROP_IP6_EXT_HEADER);
	MUTATE(ip[6] = IPPROTO_NONE, MG_NET_DROP_IP6_EXT_HEADER);
	MUTATE(ip[6] = IPPROTO_ICMP, MG_NET_DROP_PROTO_UNHANDLED);
	MUTATE(ip[6] = 200, MG_NET_DROP_PROTO_UNHANDLED);
#undef MUTATE

	/* Skipped: hop-by-hop, destination options, routing with segleft 0. */
	l = ip6_insert_ext(c, b, len, IPPROTO_HOPOPTS, 8, 0);
	MG_CHECK_EQ(parse_bytes(c, l, &p), MG_NET_OK);
	MG_CHECK_EQ(p.l3_len, 48);
	MG_CHECK_EQ(p.l4_off, 62);
	MG_CHECK_EQ(p.l4_len, len - 54);
	MG_CHECK_EQ(p.l4_proto, IPPROTO_UDP);
	l = ip6_insert_ext(c, b, len, IPPROTO_DSTOPTS, 16, 0);
	MG_CHECK_EQ(parse_bytes(c, l, &p), MG_NET_OK);
	MG_CHECK_EQ(p.l3_len, 56);
	l = ip6_insert_ext(c, b, len, IPPROTO_ROUTING, 24, 0);
	MG_CHECK_EQ(parse_bytes(c, l, &p), MG_NET_OK);
	l = ip6_insert_ext(c, b, len, IPPROTO_ROUTING, 24, 1);
	MG_CHECK_EQ(parse_bytes(c, l, &p), MG_NET_DROP_IP6_EXT_HEADER);
	/* A fragment header after a skipped one is still a fragment. */
	l = ip6_insert_ext(c, b, len, IPPROTO_DSTOPTS, 8, 0);
	c[54] = IPPROTO_FRAGMENT;
	MG_CHECK_EQ(parse_bytes(c, l, &p), MG_NET_DROP_IP6_FRAGMENT);
	/* Hop-by-hop anywhere but first. */
	l = ip6_insert_ext(c, b, len, IPPROTO_DSTOPTS, 8, 0);
	c[54] = IPPROTO_HOPOPTS;
	MG_CHECK_EQ(parse_bytes(c, l, &p), MG_NET_DROP_IP6_EXT_HEADER);
	/* Extension header longer than the payload. */
	l = ip6_insert_ext(c, b, len, IPPROTO_DSTOPTS, 8, 0);
	c[55] = 10;
	MG_CHECK_EQ(parse_bytes(c, l, &p), MG_NET_DROP_IP6_BAD_LENGTH);
	/* A chain of 5 destination options headers is too long. */
	{
		unsigned k;

		memcpy(c, b, len);
		l = len;
		for (k = 0; k < 5; k++) {
			uint8_t tmp[2048];

			memcpy(tmp, c, l);
			l = ip6_insert_ext(c, tmp, l, IPPROTO_DSTOPTS, 8, 0);
		}
		MG_CHECK_EQ(parse_bytes(c, l, &p), MG_NET_DROP_IP6_EXT_HEADER);
	}
	/* Checksums see through skipped headers. */
	{
		struct rte_mbuf *m;

		l = ip6_insert_ext(c, b, len, IPPROTO_HOPOPTS, 8, 0);
		m = over(c, l);
		MG_CHECK_EQ(mg_pkt_parse(m, &p), MG_NET_OK);
		MG_CHECK(mg_pkt_l4_csum_ok(m, &p));
		t_mbuf_over_free(m);
	}
	/* UDP checksum 0: "none" over IPv4, invalid over IPv6. */
	{
		struct rte_mbuf *m;

		memcpy(c, b, len);
		c[60] = c[61] = 0;
		m = over(c, len);
		MG_CHECK_EQ(mg_pkt_parse(m, &p), MG_NET_OK);
		MG_CHECK(!mg_pkt_l4_csum_ok(m, &p));
		t_mbuf_over_free(m);
		len = tframe(&good[2], b);
		b[40] = b[41] = 0;
		m = over(b, len);
		MG_CHECK_EQ(mg_pkt_parse(m, &p), MG_NET_OK);
		MG_CHECK(mg_pkt_l4_csum_ok(m, &p));
		t_mbuf_over_free(m);
	}
}

static void
test_l2(void)
{
	uint8_t b[2048], c[2048];
	unsigned len;
	struct mg_pkt p;
	struct rte_mbuf *m;

	len = tframe(&good[0], b);
	memcpy(c, b, len);
	t_put16(c + 12, 0x88b5);
	MG_CHECK_EQ(parse_bytes(c, len, &p), MG_NET_DROP_ETHERTYPE_UNKNOWN);
	MG_CHECK_EQ(parse_bytes(c, 13, &p), MG_NET_DROP_ETH_TRUNCATED);
	t_put16(c + 12, 0x8100);
	MG_CHECK_EQ(parse_bytes(c, 17, &p), MG_NET_DROP_VLAN_TRUNCATED);

	/* Stacked tags (QinQ outer or two 802.1Q) are not ours. */
	len = tframe(&good[1], b);
	memcpy(c, b, len);
	t_put16(c + 12, 0x88a8);
	MG_CHECK_EQ(parse_bytes(c, len, &p), MG_NET_DROP_VLAN_STACKED);
	memcpy(c, b, len);
	t_put16(c + 16, 0x8100);
	MG_CHECK_EQ(parse_bytes(c, len, &p), MG_NET_DROP_VLAN_STACKED);
	/* VLAN id keeps 12 bits; priority bits are ignored. */
	c[14] = (uint8_t)(0xa0 | (c[14] & 0x0f));
	t_put16(c + 16, 0x0800);
	MG_CHECK_EQ(parse_bytes(c, len, &p), MG_NET_OK);
	MG_CHECK_EQ(p.vlan, 42);

	/* A tag stripped by the NIC. */
	len = tframe(&good[0], b);
	m = over(b, len);
	m->ol_flags = RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
	m->vlan_tci = 0x2007;
	MG_CHECK_EQ(mg_pkt_parse(m, &p), MG_NET_OK);
	MG_CHECK_EQ(p.vlan, 7);
	MG_CHECK_EQ(p.l2_len, 14);
	t_mbuf_over_free(m);
}

static void
test_arp_parse(void)
{
	static const uint8_t arp[42] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 2, 0x08, 0x06,
		0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 2, 10, 10, 0, 2,
		0, 0, 0, 0, 0, 0, 10, 10, 0, 1 };
	uint8_t c[64];
	struct mg_pkt p;
	unsigned n;

	MG_CHECK_EQ(parse_bytes(arp, sizeof(arp), &p), MG_NET_OK);
	MG_CHECK_EQ(p.ethertype, 0x0806);
	MG_CHECK_EQ(p.l3_len, 28);
	MG_CHECK_EQ(p.src.v4, htonl(0x0a0a0002));
	MG_CHECK_EQ(p.dst.v4, htonl(0x0a0a0001));
	for (n = 0; n < sizeof(arp); n++)
		MG_CHECK(parse_bytes(arp, n, &p) != MG_NET_OK);
	memcpy(c, arp, sizeof(arp));
	c[18] = 8;
	MG_CHECK_EQ(parse_bytes(c, sizeof(arp), &p), MG_NET_DROP_ARP_MALFORMED);
	memcpy(c, arp, sizeof(arp));
	c[21] = 3;	/* RARP */
	MG_CHECK_EQ(parse_bytes(c, sizeof(arp), &p), MG_NET_DROP_ARP_MALFORMED);
	memcpy(c, arp, sizeof(arp));
	c[16] = 0x86;
	MG_CHECK_EQ(parse_bytes(c, sizeof(arp), &p), MG_NET_DROP_ARP_MALFORMED);
}

/* The L2 rewrite adds, removes and changes tags; L3 does not move. */
static void
test_eth_rewrite(void)
{
	static const uint16_t vlans[] = { 0, 42, 4095 };
	struct rte_ether_addr nh = { .addr_bytes = { 2, 9, 9, 9, 9, 9 } };
	uint8_t b[2048];
	unsigned i, j, k;

	for (k = 0; k < RTE_DIM(good); k++)
	for (i = 0; i < RTE_DIM(vlans); i++)
	for (j = 0; j < RTE_DIM(vlans); j++) {
		struct tspec s = good[k];
		struct mg_net_iface out;
		struct mg_pkt p, q;
		struct rte_mbuf *m;
		unsigned len;
		const uint8_t *f;

		s.vlan = vlans[i];
		len = tframe(&s, b);
		m = over(b, len);
		MG_CHECK_EQ(mg_pkt_parse(m, &p), MG_NET_OK);
		t_iface(&out, vlans[j]);
		out.mac.addr_bytes[5] = 0x77;
		MG_CHECK_EQ(mg_eth_rewrite(m, &p, &out, &nh), 0);
		MG_CHECK_EQ(mg_pkt_parse(m, &q), MG_NET_OK);
		MG_CHECK_EQ(memcmp(&p, &q, sizeof(p)), 0);
		MG_CHECK_EQ(q.vlan, vlans[j]);
		f = rte_pktmbuf_mtod(m, const uint8_t *);
		MG_CHECK_EQ(memcmp(f, &nh, 6), 0);
		MG_CHECK_EQ(memcmp(f + 6, &out.mac, 6), 0);
		MG_CHECK_EQ(memcmp(f + q.l3_off, b + (s.vlan ? 18 : 14),
				   len - (s.vlan ? 18 : 14)), 0);
		t_mbuf_over_free(m);
	}
	/* No headroom for a tag. */
	{
		struct mg_net_iface out;
		struct mg_pkt p;
		struct rte_mbuf *m;
		unsigned len = tframe(&good[0], b);

		m = over(b, len);
		MG_CHECK_EQ(mg_pkt_parse(m, &p), MG_NET_OK);
		m->data_off = 2;
		memmove((uint8_t *)m->buf_addr + 2,
			(uint8_t *)m->buf_addr + T_HEADROOM, len);
		t_iface(&out, 5);
		MG_CHECK_EQ(mg_eth_rewrite(m, &p, &out, &nh), -ENOSPC);
		t_mbuf_over_free(m);
	}
}

static void
test_names(void)
{
	unsigned i;

	MG_CHECK(strcmp(mg_net_drop_names[MG_NET_OK], "ok") == 0);
	for (i = 0; i < MG_NET_DROP_MAX; i++)
		MG_CHECK(mg_net_drop_names[i] != NULL && mg_net_drop_names[i][0]);
	MG_CHECK(strcmp(mg_net_drop_names[MG_NET_DROP_IP6_FRAGMENT],
			"ip6-fragment") == 0);
}

/* mg_ip_format's own IPv4 formatting writes what inet_ntop writes; a
 * buffer too short gets "?", never a cut address. */
static void
test_ip_format(void)
{
	static const uint32_t edge[] = { 0, 0xffffffffu, 0x0a0a0064u,
					 0x7f000001u, 0x01020304u, 0xc0a80a09u };
	struct mg_ip ip = { .family = AF_INET };
	char a[MG_IP_STRLEN], b[MG_IP_STRLEN], shortbuf[8];
	unsigned bad = 0;

	srand(7);
	for (unsigned i = 0; i < 200000; i++) {
		uint32_t h = i < 6 ? edge[i] : ((uint32_t)rand() << 16) ^
				      (uint32_t)rand();

		ip.v4 = htonl(h);
		mg_ip_format(&ip, a, sizeof(a));
		inet_ntop(AF_INET, &ip.v4, b, sizeof(b));
		bad += strcmp(a, b) != 0;
	}
	MG_CHECK_EQ(bad, 0);
	ip.v4 = htonl(0xc0a80a09u);	/* "192.168.10.9" and its NUL: 13 */
	MG_CHECK(strcmp(mg_ip_format(&ip, shortbuf, sizeof(shortbuf)), "?")
		 == 0);
	MG_CHECK(strcmp(mg_ip_format(&ip, a, 12), "?") == 0);
	MG_CHECK(strcmp(mg_ip_format(&ip, a, 13), "192.168.10.9") == 0);
}

int
main(void)
{
	test_ip_format();
	test_names();
	test_good();
	test_truncated();
	test_ip4_bad();
	test_ip6_bad();
	test_l2();
	test_arp_parse();
	test_eth_rewrite();
	return mg_test_done("test_net_parse");
}
