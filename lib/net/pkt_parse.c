/* SPDX-License-Identifier: Apache-2.0 */
#include <rte_arp.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "mg_net.h"

const char *const mg_net_drop_names[MG_NET_DROP_MAX] = {
	[MG_NET_OK] = "ok",
#define MG_NET_DROP_NAME(name, str) [MG_NET_DROP_##name] = str,
	MG_NET_DROPS(MG_NET_DROP_NAME)
#undef MG_NET_DROP_NAME
};

#define IP6_MAX_EXT_HDRS	4

/* Headers are read only from the first segment. */
static inline const uint8_t *
hdr_at(const struct rte_mbuf *m, uint32_t off, uint32_t len)
{
	if ((uint32_t)off + len > rte_pktmbuf_data_len(m))
		return NULL;
	return rte_pktmbuf_mtod_offset(m, const uint8_t *, off);
}

static inline uint16_t
rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static enum mg_net_drop
parse_l4(const struct rte_mbuf *m, struct mg_pkt *p)
{
	const uint8_t *h;

	switch (p->l4_proto) {
	case IPPROTO_TCP: {
		unsigned doff;

		h = hdr_at(m, p->l4_off, sizeof(struct rte_tcp_hdr));
		if (h == NULL || p->l4_len < sizeof(struct rte_tcp_hdr))
			return MG_NET_DROP_TCP_TRUNCATED;
		doff = (h[12] >> 4) * 4u;
		if (doff < sizeof(struct rte_tcp_hdr) || doff > p->l4_len)
			return MG_NET_DROP_TCP_BAD_OFFSET;
		/* Options are read by the TCP stage: keep them contiguous. */
		if (hdr_at(m, p->l4_off, doff) == NULL)
			return MG_NET_DROP_TCP_TRUNCATED;
		p->sport = rd16(h);
		p->dport = rd16(h + 2);
		p->tcp_flags = h[13];
		return MG_NET_OK;
	}
	case IPPROTO_UDP:
		h = hdr_at(m, p->l4_off, sizeof(struct rte_udp_hdr));
		if (h == NULL || p->l4_len < sizeof(struct rte_udp_hdr))
			return MG_NET_DROP_UDP_TRUNCATED;
		if (rd16(h + 4) != p->l4_len)
			return MG_NET_DROP_UDP_BAD_LENGTH;
		p->sport = rd16(h);
		p->dport = rd16(h + 2);
		return MG_NET_OK;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if ((p->l4_proto == IPPROTO_ICMP) != (p->ethertype == RTE_ETHER_TYPE_IPV4))
			return MG_NET_DROP_PROTO_UNHANDLED;
		/* Every message type has at least 8 bytes of header. */
		h = hdr_at(m, p->l4_off, 8);
		if (h == NULL || p->l4_len < 8)
			return MG_NET_DROP_ICMP_MALFORMED;
		p->icmp_type = h[0];
		p->icmp_code = h[1];
		p->sport = rd16(h + 4);	/* echo identifier */
		return MG_NET_OK;
	default:
		return MG_NET_DROP_PROTO_UNHANDLED;
	}
}

static enum mg_net_drop
parse_ip4(const struct rte_mbuf *m, struct mg_pkt *p)
{
	const struct rte_ipv4_hdr *ip;
	const uint8_t *h;
	uint32_t avail = rte_pktmbuf_pkt_len(m) - p->l3_off;
	unsigned ihl, tot;
	uint32_t src;

	h = hdr_at(m, p->l3_off, sizeof(*ip));
	if (h == NULL)
		return MG_NET_DROP_IP4_TRUNCATED;
	ip = (const struct rte_ipv4_hdr *)h;
	if ((h[0] >> 4) != 4)
		return MG_NET_DROP_IP4_BAD_VERSION;
	ihl = (h[0] & 0xf) * 4u;
	if (ihl < sizeof(*ip))
		return MG_NET_DROP_IP4_BAD_IHL;
	if (hdr_at(m, p->l3_off, ihl) == NULL)
		return MG_NET_DROP_IP4_TRUNCATED;
	tot = rd16(h + 2);
	if (tot < ihl || tot > avail)
		return MG_NET_DROP_IP4_BAD_LENGTH;

	switch (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) {
	case RTE_MBUF_F_RX_IP_CKSUM_GOOD:
		break;
	case RTE_MBUF_F_RX_IP_CKSUM_BAD:
		return MG_NET_DROP_IP4_BAD_CHECKSUM;
	default:
		if (rte_raw_cksum(h, ihl) != 0xffff)
			return MG_NET_DROP_IP4_BAD_CHECKSUM;
	}

	/* MF set or a non-zero offset: the LB has no reassembly. */
	if (rd16(h + 6) & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))
		return MG_NET_DROP_IP4_FRAGMENT;

	src = rte_be_to_cpu_32(ip->src_addr);
	if ((src >> 24) == 0 || (src >> 24) == 127 || (src >> 29) == 7)
		return MG_NET_DROP_IP4_BAD_SOURCE;

	mg_ip_set_v4(&p->src, ip->src_addr);
	mg_ip_set_v4(&p->dst, ip->dst_addr);
	p->ttl = ip->time_to_live;
	p->l3_len = (uint16_t)ihl;
	p->l4_off = (uint16_t)(p->l3_off + ihl);
	p->l4_len = (uint16_t)(tot - ihl);
	p->l4_proto = ip->next_proto_id;
	return parse_l4(m, p);
}

static enum mg_net_drop
parse_ip6(const struct rte_mbuf *m, struct mg_pkt *p)
{
	const uint8_t *h;
	uint32_t avail = rte_pktmbuf_pkt_len(m) - p->l3_off;
	unsigned plen, off, next, n_ext;

	h = hdr_at(m, p->l3_off, sizeof(struct rte_ipv6_hdr));
	if (h == NULL)
		return MG_NET_DROP_IP6_TRUNCATED;
	if ((h[0] >> 4) != 6)
		return MG_NET_DROP_IP6_BAD_VERSION;
	plen = rd16(h + 4);
	/* 0 is a jumbogram (hop-by-hop option): not on Ethernet. */
	if (plen == 0 || plen + sizeof(struct rte_ipv6_hdr) > avail)
		return MG_NET_DROP_IP6_BAD_LENGTH;
	if (h[8] == 0xff || (memcmp(h + 8, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0))
		return MG_NET_DROP_IP6_BAD_SOURCE;

	mg_ip_set_v6(&p->src, h + 8);
	mg_ip_set_v6(&p->dst, h + 24);
	p->ttl = h[7];
	next = h[6];
	off = sizeof(struct rte_ipv6_hdr);

	for (n_ext = 0;; n_ext++) {
		const uint8_t *e;
		unsigned elen;

		if (next != IPPROTO_HOPOPTS && next != IPPROTO_DSTOPTS &&
		    next != IPPROTO_ROUTING)
			break;
		if ((next == IPPROTO_HOPOPTS && n_ext != 0) ||
		    n_ext == IP6_MAX_EXT_HDRS)
			return MG_NET_DROP_IP6_EXT_HEADER;
		e = hdr_at(m, p->l3_off + off, 8);
		if (e == NULL || off + 8 > sizeof(struct rte_ipv6_hdr) + plen)
			return MG_NET_DROP_IP6_TRUNCATED;
		elen = (e[1] + 1u) * 8;
		if (off + elen > sizeof(struct rte_ipv6_hdr) + plen)
			return MG_NET_DROP_IP6_BAD_LENGTH;
		if (hdr_at(m, p->l3_off + off, elen) == NULL)
			return MG_NET_DROP_IP6_TRUNCATED;
		/* Segments left: this node would have to route it on. */
		if (next == IPPROTO_ROUTING && e[3] != 0)
			return MG_NET_DROP_IP6_EXT_HEADER;
		next = e[0];
		off += elen;
	}
	if (next == IPPROTO_FRAGMENT)
		return MG_NET_DROP_IP6_FRAGMENT;

	p->l3_len = (uint16_t)off;
	p->l4_off = (uint16_t)(p->l3_off + off);
	p->l4_len = (uint16_t)(sizeof(struct rte_ipv6_hdr) + plen - off);
	p->l4_proto = (uint8_t)next;
	switch (next) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_ICMPV6:
		return parse_l4(m, p);
	case IPPROTO_ICMP:
		return MG_NET_DROP_PROTO_UNHANDLED;
	case IPPROTO_AH:
	case IPPROTO_ESP:
	case IPPROTO_NONE:
	case 135:	/* mobility */
	case 139:	/* HIP */
	case 140:	/* shim6 */
		return MG_NET_DROP_IP6_EXT_HEADER;
	default:
		return parse_l4(m, p);
	}
}

static enum mg_net_drop
parse_arp(const struct rte_mbuf *m, struct mg_pkt *p)
{
	const uint8_t *a = hdr_at(m, p->l3_off, sizeof(struct rte_arp_hdr));
	uint16_t op;

	if (a == NULL)
		return MG_NET_DROP_ARP_MALFORMED;
	op = rd16(a + 6);
	if (rd16(a) != RTE_ARP_HRD_ETHER || rd16(a + 2) != RTE_ETHER_TYPE_IPV4 ||
	    a[4] != RTE_ETHER_ADDR_LEN || a[5] != 4 ||
	    (op != RTE_ARP_OP_REQUEST && op != RTE_ARP_OP_REPLY))
		return MG_NET_DROP_ARP_MALFORMED;
	p->l3_len = sizeof(struct rte_arp_hdr);
	p->l4_off = (uint16_t)(p->l3_off + p->l3_len);
	memcpy(&p->src.v4, a + 14, 4);
	p->src.family = AF_INET;
	memcpy(&p->dst.v4, a + 24, 4);
	p->dst.family = AF_INET;
	return MG_NET_OK;
}

enum mg_net_drop
mg_pkt_parse(const struct rte_mbuf *m, struct mg_pkt *p)
{
	const uint8_t *h;
	uint16_t type;

	memset(p, 0, sizeof(*p));
	h = hdr_at(m, 0, RTE_ETHER_HDR_LEN);
	if (h == NULL)
		return MG_NET_DROP_ETH_TRUNCATED;
	type = rd16(h + 12);
	p->l2_len = RTE_ETHER_HDR_LEN;
	if (type == RTE_ETHER_TYPE_VLAN) {
		h = hdr_at(m, 0, RTE_ETHER_HDR_LEN + sizeof(struct rte_vlan_hdr));
		if (h == NULL)
			return MG_NET_DROP_VLAN_TRUNCATED;
		p->vlan = rd16(h + 14) & 0xfff;
		type = rd16(h + 16);
		p->l2_len += sizeof(struct rte_vlan_hdr);
		if (m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED)
			return MG_NET_DROP_VLAN_STACKED;
	} else if (m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) {
		p->vlan = m->vlan_tci & 0xfff;
	}
	if (type == RTE_ETHER_TYPE_VLAN || type == RTE_ETHER_TYPE_QINQ)
		return MG_NET_DROP_VLAN_STACKED;
	p->ethertype = type;
	p->l3_off = p->l2_len;

	switch (type) {
	case RTE_ETHER_TYPE_IPV4:
		return parse_ip4(m, p);
	case RTE_ETHER_TYPE_IPV6:
		return parse_ip6(m, p);
	case RTE_ETHER_TYPE_ARP:
		return parse_arp(m, p);
	default:
		return MG_NET_DROP_ETHERTYPE_UNKNOWN;
	}
}

bool
mg_pkt_l4_csum_ok(const struct rte_mbuf *m, const struct mg_pkt *p)
{
	uint32_t sum = 0;
	uint16_t raw;

	if (p->l4_proto == IPPROTO_UDP) {
		const uint8_t *u = hdr_at(m, p->l4_off, 8);

		if (u == NULL)
			return false;
		if (u[6] == 0 && u[7] == 0)
			return p->ethertype == RTE_ETHER_TYPE_IPV4;
	}
	if (p->l4_proto != IPPROTO_ICMP) {
		/* Pseudo header: both addresses, length, protocol. */
		if (p->src.family == AF_INET)
			sum = (p->src.v4 & 0xffff) + (p->src.v4 >> 16) +
			      (p->dst.v4 & 0xffff) + (p->dst.v4 >> 16);
		else
			for (unsigned i = 0; i < 4; i++)
				sum += (p->src.v6w[i] & 0xffff) + (p->src.v6w[i] >> 16) +
				       (p->dst.v6w[i] & 0xffff) + (p->dst.v6w[i] >> 16);
		sum += rte_cpu_to_be_16(p->l4_len);
		sum += rte_cpu_to_be_16(p->l4_proto);
	}
	if (rte_raw_cksum_mbuf(m, p->l4_off, p->l4_len, &raw) != 0)
		return false;
	sum += raw;
	return mg_csum_fold32(sum) == 0xffff;
}
