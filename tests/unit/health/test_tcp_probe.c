/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Probe frames: SYNs parse back with the right fields and checksums, and
 * SYN-ACKs (IPv4, IPv6, VLAN-tagged, with IP options or extension headers,
 * payload, several segments) become valid RSTs in place.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "mg_test.h"
#include "mg_health.h"

static struct rte_mempool *pool;

static const struct rte_ether_addr our_mac = {
	{ 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 } };
static const struct rte_ether_addr peer_mac = {
	{ 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 } };

static struct mg_ip
ip_of(const char *s)
{
	struct mg_ip ip;

	memset(&ip, 0, sizeof(ip));
	if (mg_ip_parse(s, &ip) < 0)
		MG_CHECK(!"bad address in test");
	return ip;
}

/* Header checksum and TCP checksum both right, recomputed on a copy. */
static void
check_cksums(const uint8_t *l3, uint8_t family, size_t l3_len, size_t l4_len)
{
	uint8_t copy[256];
	const struct rte_tcp_hdr *tcp = (const void *)(l3 + l3_len);
	struct rte_tcp_hdr *ctcp = (void *)(copy + l3_len);

	MG_CHECK(l3_len + l4_len <= sizeof(copy));
	memcpy(copy, l3, l3_len + l4_len);
	ctcp->cksum = 0;
	if (family == AF_INET) {
		const struct rte_ipv4_hdr *ip = (const void *)l3;
		struct rte_ipv4_hdr *cip = (void *)copy;

		cip->hdr_checksum = 0;
		MG_CHECK_EQ(rte_ipv4_cksum(cip), ip->hdr_checksum);
		MG_CHECK_EQ(rte_ipv4_udptcp_cksum(cip, ctcp), tcp->cksum);
		MG_CHECK_EQ(rte_ipv4_udptcp_cksum_verify(ip, tcp), 0);
	} else {
		const struct rte_ipv6_hdr *ip = (const void *)l3;

		MG_CHECK_EQ(rte_ipv6_udptcp_cksum((const void *)copy, ctcp),
			    tcp->cksum);
		MG_CHECK_EQ(rte_ipv6_udptcp_cksum_verify(ip, tcp), 0);
	}
}

/* Walk the L2 header: returns the L3 offset and the EtherType. */
static uint16_t
parse_l2(const uint8_t *p, uint16_t vlan, uint16_t *type)
{
	const struct rte_ether_hdr *eth = (const void *)p;

	if (vlan == 0) {
		*type = rte_be_to_cpu_16(eth->ether_type);
		return sizeof(*eth);
	}
	const struct rte_vlan_hdr *vh = (const void *)(eth + 1);

	MG_CHECK_EQ(rte_be_to_cpu_16(eth->ether_type), RTE_ETHER_TYPE_VLAN);
	MG_CHECK_EQ(rte_be_to_cpu_16(vh->vlan_tci), vlan);
	*type = rte_be_to_cpu_16(vh->eth_proto);
	return sizeof(*eth) + sizeof(*vh);
}

static void
check_syn(uint8_t family, uint16_t vlan)
{
	struct mg_ip src = ip_of(family == AF_INET ? "10.20.0.1" : "fd00:20::1");
	struct mg_ip dst = ip_of(family == AF_INET ? "10.20.0.12" :
				 "fd00:20::12");
	struct rte_mbuf *m;
	const struct rte_ether_hdr *eth;
	const struct rte_tcp_hdr *tcp;
	const uint8_t *p, *opt;
	uint16_t l3, type;
	size_t l3_len = family == AF_INET ? 20 : 40;

	m = mg_tcp_probe_build(pool, &our_mac, &peer_mac, vlan, &src, 1500,
			       &dst, 8080, 0xdeadbeef);
	MG_CHECK(m != NULL);
	if (m == NULL)
		return;
	p = rte_pktmbuf_mtod(m, const uint8_t *);
	eth = (const void *)p;
	MG_CHECK(rte_is_same_ether_addr(&eth->src_addr, &our_mac));
	MG_CHECK(rte_is_same_ether_addr(&eth->dst_addr, &peer_mac));
	l3 = parse_l2(p, vlan, &type);
	MG_CHECK_EQ(m->pkt_len, l3 + l3_len + 24);
	MG_CHECK_EQ(m->data_len, m->pkt_len);
	MG_CHECK_EQ(m->l2_len, l3);
	MG_CHECK_EQ(m->l3_len, l3_len);
	MG_CHECK_EQ(m->l4_len, 24);
	MG_CHECK_EQ(m->ol_flags, 0);
	if (family == AF_INET) {
		const struct rte_ipv4_hdr *ip = (const void *)(p + l3);

		MG_CHECK_EQ(type, RTE_ETHER_TYPE_IPV4);
		MG_CHECK_EQ(ip->version_ihl, 0x45);
		MG_CHECK_EQ(rte_be_to_cpu_16(ip->total_length), 44);
		MG_CHECK_EQ(ip->next_proto_id, IPPROTO_TCP);
		MG_CHECK(ip->time_to_live > 1);
		MG_CHECK_EQ(ip->src_addr, src.v4);
		MG_CHECK_EQ(ip->dst_addr, dst.v4);
	} else {
		const struct rte_ipv6_hdr *ip = (const void *)(p + l3);

		MG_CHECK_EQ(type, RTE_ETHER_TYPE_IPV6);
		MG_CHECK_EQ(rte_be_to_cpu_32(ip->vtc_flow) >> 28, 6);
		MG_CHECK_EQ(rte_be_to_cpu_16(ip->payload_len), 24);
		MG_CHECK_EQ(ip->proto, IPPROTO_TCP);
		MG_CHECK(ip->hop_limits > 1);
		MG_CHECK(memcmp(ip->src_addr, src.v6, 16) == 0);
		MG_CHECK(memcmp(ip->dst_addr, dst.v6, 16) == 0);
	}
	tcp = (const void *)(p + l3 + l3_len);
	MG_CHECK_EQ(rte_be_to_cpu_16(tcp->src_port), 1500);
	MG_CHECK_EQ(rte_be_to_cpu_16(tcp->dst_port), 8080);
	MG_CHECK_EQ(rte_be_to_cpu_32(tcp->sent_seq), 0xdeadbeef);
	MG_CHECK_EQ(tcp->recv_ack, 0);
	MG_CHECK_EQ(tcp->tcp_flags, RTE_TCP_SYN_FLAG);
	MG_CHECK_EQ(tcp->data_off >> 4, 6);
	MG_CHECK_EQ(rte_be_to_cpu_16(tcp->rx_win), 1024);
	opt = (const uint8_t *)(tcp + 1);
	MG_CHECK_EQ(opt[0], 2);
	MG_CHECK_EQ(opt[1], 4);
	MG_CHECK((opt[2] << 8 | opt[3]) >= 536);
	check_cksums(p + l3, family, l3_len, 24);
	rte_pktmbuf_free(m);
}

static void
test_syn(void)
{
	struct mg_ip v4 = ip_of("10.20.0.1"), v6 = ip_of("fd00:20::1");

	check_syn(AF_INET, 0);
	check_syn(AF_INET, 100);
	check_syn(AF_INET6, 0);
	check_syn(AF_INET6, 4095);

	rte_errno = 0;
	MG_CHECK(mg_tcp_probe_build(pool, &our_mac, &peer_mac, 0, &v4, 1024,
				    &v6, 80, 1) == NULL);
	MG_CHECK_EQ(rte_errno, EINVAL);
	MG_CHECK(mg_tcp_probe_build(pool, &our_mac, &peer_mac, 4096, &v4, 1024,
				    &v4, 80, 1) == NULL);
	v4.family = 0;
	MG_CHECK(mg_tcp_probe_build(pool, &our_mac, &peer_mac, 0, &v4, 1024,
				    &v4, 80, 1) == NULL);
}

struct synack {
	uint8_t family;
	uint16_t vlan;
	uint16_t opt_len;	/* IPv4 options or IPv6 hop-by-hop header */
	uint16_t payload;
	bool two_segs;		/* payload in a second segment */
	uint8_t flags;
};

/* A frame from the endpoint back to a probe; returns it and its offsets. */
static struct rte_mbuf *
make_synack(const struct synack *s, uint32_t ack, uint16_t *l3_off,
	    uint16_t *l4_off)
{
	struct mg_ip ep = ip_of(s->family == AF_INET ? "10.20.0.11" :
				"fd00:20::11");
	struct mg_ip us = ip_of(s->family == AF_INET ? "10.20.0.1" :
				"fd00:20::1");
	uint16_t l3_len = (s->family == AF_INET ? 20 : 40) + s->opt_len;
	uint16_t tcp_len = 24, l3 = s->vlan ? 18 : 14;
	uint16_t head = l3 + l3_len + tcp_len;
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool), *m2 = NULL;
	struct rte_ether_hdr *eth;
	struct rte_tcp_hdr *tcp;
	uint8_t *p;

	if (m == NULL)
		return NULL;
	p = (uint8_t *)rte_pktmbuf_append(m, head + (s->two_segs ? 0 :
					  s->payload));
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memset(p, 0, head);
	eth = (void *)p;
	rte_ether_addr_copy(&peer_mac, &eth->src_addr);
	rte_ether_addr_copy(&our_mac, &eth->dst_addr);
	if (s->vlan) {
		struct rte_vlan_hdr *vh = (void *)(eth + 1);

		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		vh->vlan_tci = rte_cpu_to_be_16(s->vlan);
		vh->eth_proto = rte_cpu_to_be_16(s->family == AF_INET ?
			RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
	} else {
		eth->ether_type = rte_cpu_to_be_16(s->family == AF_INET ?
			RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
	}
	if (s->family == AF_INET) {
		struct rte_ipv4_hdr *ip = (void *)(p + l3);

		ip->version_ihl = 0x40 | (l3_len / 4);
		ip->total_length = rte_cpu_to_be_16(l3_len + tcp_len +
						    s->payload);
		ip->time_to_live = 57;
		ip->next_proto_id = IPPROTO_TCP;
		ip->src_addr = ep.v4;
		ip->dst_addr = us.v4;
		memset(ip + 1, 1, s->opt_len);		/* NOPs */
	} else {
		struct rte_ipv6_hdr *ip = (void *)(p + l3);
		uint8_t *ext = (uint8_t *)(ip + 1);

		ip->vtc_flow = rte_cpu_to_be_32(6u << 28 | 0x12345);
		ip->payload_len = rte_cpu_to_be_16(s->opt_len + tcp_len +
						   s->payload);
		ip->proto = s->opt_len ? 0 : IPPROTO_TCP;	/* hop-by-hop */
		ip->hop_limits = 57;
		memcpy(ip->src_addr, ep.v6, 16);
		memcpy(ip->dst_addr, us.v6, 16);
		if (s->opt_len) {
			ext[0] = IPPROTO_TCP;
			ext[1] = s->opt_len / 8 - 1;
			ext[2] = 1;			/* PadN */
			ext[3] = s->opt_len - 4;
		}
	}
	tcp = (void *)(p + l3 + l3_len);
	tcp->src_port = rte_cpu_to_be_16(80);
	tcp->dst_port = rte_cpu_to_be_16(1500);
	tcp->sent_seq = rte_cpu_to_be_32(0x11223344);
	tcp->recv_ack = rte_cpu_to_be_32(ack);
	tcp->data_off = 6 << 4;
	tcp->tcp_flags = s->flags;
	tcp->rx_win = rte_cpu_to_be_16(65535);
	memcpy(tcp + 1, "\x02\x04\x05\xb4", 4);
	if (s->two_segs && s->payload) {
		m2 = rte_pktmbuf_alloc(pool);
		if (m2 == NULL || rte_pktmbuf_append(m2, s->payload) == NULL ||
		    rte_pktmbuf_chain(m, m2) != 0) {
			rte_pktmbuf_free(m2);
			rte_pktmbuf_free(m);
			return NULL;
		}
		memset(rte_pktmbuf_mtod(m2, void *), 'x', s->payload);
	} else {
		memset(p + head, 'x', s->payload);
	}
	*l3_off = l3;
	*l4_off = l3 + l3_len;
	return m;
}

static void
check_rst(const struct synack *s)
{
	const uint32_t ack = 0xcafef00d;
	struct mg_ip ep = ip_of(s->family == AF_INET ? "10.20.0.11" :
				"fd00:20::11");
	struct mg_ip us = ip_of(s->family == AF_INET ? "10.20.0.1" :
				"fd00:20::1");
	size_t l3_len = s->family == AF_INET ? 20 : 40;
	const struct rte_ether_hdr *eth;
	const struct rte_tcp_hdr *tcp;
	struct rte_mbuf *m;
	uint16_t l3_off, l4_off, l3, type;
	const uint8_t *p;

	m = make_synack(s, ack, &l3_off, &l4_off);
	MG_CHECK(m != NULL);
	if (m == NULL)
		return;
	MG_CHECK_EQ(mg_tcp_probe_rst_in_place(m, l3_off, l4_off, s->family), 0);
	MG_CHECK_EQ(m->nb_segs, 1);
	MG_CHECK(m->next == NULL);
	MG_CHECK_EQ(m->pkt_len, l3_off + l3_len + 20);
	MG_CHECK_EQ(m->data_len, m->pkt_len);
	p = rte_pktmbuf_mtod(m, const uint8_t *);
	eth = (const void *)p;
	MG_CHECK(rte_is_same_ether_addr(&eth->src_addr, &our_mac));
	MG_CHECK(rte_is_same_ether_addr(&eth->dst_addr, &peer_mac));
	l3 = parse_l2(p, s->vlan, &type);
	MG_CHECK_EQ(l3, l3_off);
	if (s->family == AF_INET) {
		const struct rte_ipv4_hdr *ip = (const void *)(p + l3);

		MG_CHECK_EQ(type, RTE_ETHER_TYPE_IPV4);
		MG_CHECK_EQ(ip->version_ihl, 0x45);
		MG_CHECK_EQ(rte_be_to_cpu_16(ip->total_length), 40);
		MG_CHECK_EQ(ip->next_proto_id, IPPROTO_TCP);
		MG_CHECK_EQ(ip->src_addr, us.v4);
		MG_CHECK_EQ(ip->dst_addr, ep.v4);
	} else {
		const struct rte_ipv6_hdr *ip = (const void *)(p + l3);

		MG_CHECK_EQ(type, RTE_ETHER_TYPE_IPV6);
		MG_CHECK_EQ(rte_be_to_cpu_16(ip->payload_len), 20);
		MG_CHECK_EQ(ip->proto, IPPROTO_TCP);
		MG_CHECK(memcmp(ip->src_addr, us.v6, 16) == 0);
		MG_CHECK(memcmp(ip->dst_addr, ep.v6, 16) == 0);
	}
	tcp = (const void *)(p + l3 + l3_len);
	MG_CHECK_EQ(rte_be_to_cpu_16(tcp->src_port), 1500);
	MG_CHECK_EQ(rte_be_to_cpu_16(tcp->dst_port), 80);
	MG_CHECK_EQ(rte_be_to_cpu_32(tcp->sent_seq), ack);
	MG_CHECK_EQ(tcp->recv_ack, 0);
	MG_CHECK_EQ(tcp->tcp_flags, RTE_TCP_RST_FLAG);
	MG_CHECK_EQ(tcp->data_off, 5 << 4);
	check_cksums(p + l3, s->family, l3_len, 20);
	rte_pktmbuf_free(m);
}

static void
test_rst(void)
{
	const uint8_t sa = RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG;
	const struct synack cases[] = {
		{ AF_INET, 0, 0, 0, false, sa },
		{ AF_INET, 42, 0, 0, false, sa },
		{ AF_INET, 0, 8, 100, false, sa },	/* options, payload */
		{ AF_INET, 7, 4, 300, true, sa },
		{ AF_INET6, 0, 0, 0, false, sa },
		{ AF_INET6, 42, 0, 0, false, sa },
		{ AF_INET6, 0, 8, 50, false, sa },	/* hop-by-hop */
		{ AF_INET6, 3000, 16, 500, true, sa },
		{ AF_INET, 0, 0, 0, false, RTE_TCP_ACK_FLAG },
	};
	unsigned avail = rte_mempool_avail_count(pool);
	const struct synack bad[] = {
		{ AF_INET, 0, 0, 0, false, RTE_TCP_SYN_FLAG },
		{ AF_INET, 0, 0, 0, false, RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG },
		{ AF_INET6, 5, 0, 0, false, RTE_TCP_RST_FLAG },
	};
	struct rte_mbuf *m;
	uint16_t l3_off, l4_off;

	for (unsigned i = 0; i < RTE_DIM(cases); i++)
		check_rst(&cases[i]);
	for (unsigned i = 0; i < RTE_DIM(bad); i++) {
		m = make_synack(&bad[i], 1, &l3_off, &l4_off);
		MG_CHECK(m != NULL);
		if (m == NULL)
			continue;
		MG_CHECK_EQ(mg_tcp_probe_rst_in_place(m, l3_off, l4_off,
						      bad[i].family), -EINVAL);
		rte_pktmbuf_free(m);
	}

	/* Offsets and family that do not fit the frame. */
	m = make_synack(&cases[0], 1, &l3_off, &l4_off);
	if (m != NULL) {
		MG_CHECK_EQ(mg_tcp_probe_rst_in_place(m, l3_off, l4_off,
						      AF_INET6), -EINVAL);
		MG_CHECK_EQ(mg_tcp_probe_rst_in_place(m, l3_off, l4_off, 0),
			    -EINVAL);
		MG_CHECK_EQ(mg_tcp_probe_rst_in_place(m, l3_off, l3_off + 8,
						      AF_INET), -EINVAL);
		MG_CHECK_EQ(mg_tcp_probe_rst_in_place(m, 4, l4_off, AF_INET),
			    -EINVAL);
		MG_CHECK_EQ(mg_tcp_probe_rst_in_place(m, l3_off,
			    m->data_len - 10, AF_INET), -EINVAL);
		MG_CHECK_EQ(mg_tcp_probe_rst_in_place(m, l3_off, 60000,
						      AF_INET), -EINVAL);
		rte_pktmbuf_free(m);
	}
	/* Every mbuf back, second segments included. */
	MG_CHECK_EQ(rte_mempool_avail_count(pool), avail);
}

/* The whole loop: a probe for a target, the SYN-ACK it gets, recognised
 * from ack - 1, and the RST back. */
static void
test_probe_roundtrip(void)
{
	struct mg_health_target t[3];
	struct mg_health_probe pr;
	struct mg_health *h;
	struct mg_ip us = ip_of("fd00:20::1");
	struct synack s = { AF_INET6, 0, 0, 0, false,
			    RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG };
	struct rte_mbuf *syn, *m;
	const struct rte_tcp_hdr *tcp;
	uint16_t l3_off, l4_off;
	uint32_t tg, id, seq;

	memset(t, 0, sizeof(t));
	for (int i = 0; i < 3; i++) {
		t[i].addr = ip_of("fd00:20::11");
		t[i].port = 80;
		t[i].cfg = (struct mg_cfg_health){ MG_HEALTH_TCP, 100, 50,
						   2, 3, 0 };
	}
	h = mg_health_create(t, 3, 0, 31337);
	if (h == NULL) {
		MG_CHECK(h != NULL);
		return;
	}
	MG_CHECK_EQ(mg_health_probe_info(h, 2, 4242, &pr), 0);
	syn = mg_tcp_probe_build(pool, &our_mac, &peer_mac, 0, &us, pr.sport,
				 &pr.dst, pr.dport, pr.seq);
	MG_CHECK(syn != NULL);
	if (syn == NULL)
		goto out;
	tcp = rte_pktmbuf_mtod_offset(syn, const struct rte_tcp_hdr *, 54);
	seq = rte_be_to_cpu_32(tcp->sent_seq);
	MG_CHECK(rte_be_to_cpu_16(tcp->src_port) >= MG_HEALTH_SPORT_MIN &&
		 rte_be_to_cpu_16(tcp->src_port) <= MG_HEALTH_SPORT_MAX);
	rte_pktmbuf_free(syn);

	m = make_synack(&s, seq + 1, &l3_off, &l4_off);
	if (m == NULL)
		goto out;
	tcp = rte_pktmbuf_mtod_offset(m, const struct rte_tcp_hdr *, l4_off);
	MG_CHECK_EQ(mg_health_key_decode(mg_health_key(h),
		    rte_be_to_cpu_32(tcp->recv_ack) - 1, &tg, &id), 0);
	MG_CHECK_EQ(tg, 2);
	MG_CHECK_EQ(id, 4242);
	MG_CHECK_EQ(mg_tcp_probe_rst_in_place(m, l3_off, l4_off, AF_INET6), 0);
	tcp = rte_pktmbuf_mtod_offset(m, const struct rte_tcp_hdr *, l4_off);
	MG_CHECK_EQ(rte_be_to_cpu_32(tcp->sent_seq), seq + 1);
	rte_pktmbuf_free(m);
out:
	mg_health_free(h);
}

int
main(int argc, char **argv)
{
	(void)argc;
	if (mg_test_eal_init(argv[0]) < 0)
		return EXIT_FAILURE;
	pool = rte_pktmbuf_pool_create("health_test", 1023, 0, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	if (pool == NULL) {
		fprintf(stderr, "mempool: %s\n", rte_strerror(rte_errno));
		return EXIT_FAILURE;
	}
	test_syn();
	test_rst();
	test_probe_roundtrip();
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return mg_test_done("test_health_tcp_probe");
}
