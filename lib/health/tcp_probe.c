/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Probe frames: the SYN the main lcore sends, and the RST a worker makes
 * out of the SYN-ACK so that the endpoint does not keep a half-open
 * connection. Checksums are computed in software: probes are rare, and the
 * frames must be right whatever the port offloads.
 */

#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "mg_health.h"

#define PROBE_TTL	64
#define TCP_OPT_MSS	2
#define TCP_OPT_MSS_LEN	4
#define SYN_TCP_LEN	(sizeof(struct rte_tcp_hdr) + TCP_OPT_MSS_LEN)

static uint16_t
write_l2(uint8_t *p, const struct rte_ether_addr *src_mac,
	 const struct rte_ether_addr *dst_mac, uint16_t vlan, uint16_t type)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)p;
	struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(eth + 1);

	rte_ether_addr_copy(dst_mac, &eth->dst_addr);
	rte_ether_addr_copy(src_mac, &eth->src_addr);
	if (vlan == 0) {
		eth->ether_type = rte_cpu_to_be_16(type);
		return sizeof(*eth);
	}
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
	vh->vlan_tci = rte_cpu_to_be_16(vlan);
	vh->eth_proto = rte_cpu_to_be_16(type);
	return sizeof(*eth) + sizeof(*vh);
}

/* A 20-byte IPv4 header without options; checksum included. */
static void
write_ipv4(struct rte_ipv4_hdr *ip, uint32_t src, uint32_t dst,
	   uint16_t l4_len)
{
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0;
	ip->total_length = rte_cpu_to_be_16(sizeof(*ip) + l4_len);
	ip->packet_id = 0;
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = PROBE_TTL;
	ip->next_proto_id = IPPROTO_TCP;
	ip->hdr_checksum = 0;
	ip->src_addr = src;
	ip->dst_addr = dst;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

static void
write_ipv6(struct rte_ipv6_hdr *ip, const uint8_t *src, const uint8_t *dst,
	   uint16_t l4_len)
{
	ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16(l4_len);
	ip->proto = IPPROTO_TCP;
	ip->hop_limits = PROBE_TTL;
	/* memmove: in place, source and destination may be the same bytes. */
	memmove(ip->src_addr, src, 16);
	memmove(ip->dst_addr, dst, 16);
}

static void
tcp_cksum(void *l3, struct rte_tcp_hdr *tcp, uint8_t family)
{
	tcp->cksum = 0;
	if (family == AF_INET)
		tcp->cksum = rte_ipv4_udptcp_cksum(l3, tcp);
	else
		tcp->cksum = rte_ipv6_udptcp_cksum(l3, tcp);
}

struct rte_mbuf *
mg_tcp_probe_build(struct rte_mempool *mp, const struct rte_ether_addr *src_mac,
		   const struct rte_ether_addr *dst_mac, uint16_t vlan,
		   const struct mg_ip *src, uint16_t sport,
		   const struct mg_ip *dst, uint16_t dport, uint32_t seq)
{
	struct rte_mbuf *m;
	struct rte_tcp_hdr *tcp;
	uint16_t l2_len, l3_len, len;
	uint8_t *p;

	if (src->family != dst->family ||
	    (src->family != AF_INET && src->family != AF_INET6) ||
	    vlan > RTE_ETHER_MAX_VLAN_ID) {
		rte_errno = EINVAL;
		return NULL;
	}
	l2_len = sizeof(struct rte_ether_hdr) +
		(vlan != 0 ? sizeof(struct rte_vlan_hdr) : 0);
	l3_len = src->family == AF_INET ? sizeof(struct rte_ipv4_hdr) :
		sizeof(struct rte_ipv6_hdr);
	len = l2_len + l3_len + SYN_TCP_LEN;

	m = rte_pktmbuf_alloc(mp);
	if (m == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	p = (uint8_t *)rte_pktmbuf_append(m, len);
	if (p == NULL) {
		rte_pktmbuf_free(m);
		rte_errno = ENOSPC;
		return NULL;
	}
	memset(p, 0, len);

	write_l2(p, src_mac, dst_mac, vlan, src->family == AF_INET ?
		 RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);

	tcp = (struct rte_tcp_hdr *)(p + l2_len + l3_len);
	tcp->src_port = rte_cpu_to_be_16(sport);
	tcp->dst_port = rte_cpu_to_be_16(dport);
	tcp->sent_seq = rte_cpu_to_be_32(seq);
	tcp->recv_ack = 0;
	tcp->data_off = (SYN_TCP_LEN / 4) << 4;
	tcp->tcp_flags = RTE_TCP_SYN_FLAG;
	tcp->rx_win = rte_cpu_to_be_16(MG_HEALTH_PROBE_WINDOW);
	tcp->tcp_urp = 0;
	{
		uint8_t *opt = (uint8_t *)(tcp + 1);
		uint16_t mss = src->family == AF_INET ? MG_HEALTH_PROBE_MSS4 :
			MG_HEALTH_PROBE_MSS6;

		opt[0] = TCP_OPT_MSS;
		opt[1] = TCP_OPT_MSS_LEN;
		opt[2] = (uint8_t)(mss >> 8);
		opt[3] = (uint8_t)mss;
	}

	if (src->family == AF_INET) {
		write_ipv4((struct rte_ipv4_hdr *)(p + l2_len), src->v4,
			   dst->v4, SYN_TCP_LEN);
		m->packet_type = RTE_PTYPE_L3_IPV4;
	} else {
		write_ipv6((struct rte_ipv6_hdr *)(p + l2_len), src->v6,
			   dst->v6, SYN_TCP_LEN);
		m->packet_type = RTE_PTYPE_L3_IPV6;
	}
	tcp_cksum(p + l2_len, tcp, src->family);

	m->packet_type |= RTE_PTYPE_L2_ETHER | RTE_PTYPE_L4_TCP;
	m->l2_len = l2_len;
	m->l3_len = l3_len;
	m->l4_len = SYN_TCP_LEN;
	m->ol_flags = 0;
	return m;
}

int
mg_tcp_probe_rst_in_place(struct rte_mbuf *m, uint16_t l3_off,
			  uint16_t l4_off, uint8_t family)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)p;
	struct rte_ether_addr mac;
	struct rte_tcp_hdr *tcp;
	uint16_t l3_len, sport, dport;
	uint32_t ack;
	uint8_t flags;

	l3_len = family == AF_INET ? sizeof(struct rte_ipv4_hdr) :
		sizeof(struct rte_ipv6_hdr);
	if ((family != AF_INET && family != AF_INET6) ||
	    l3_off < sizeof(*eth) || l4_off < l3_off + l3_len ||
	    (uint32_t)l4_off + sizeof(*tcp) > m->data_len)
		return -EINVAL;
	if ((p[l3_off] >> 4) != (family == AF_INET ? 4 : 6))
		return -EINVAL;
	if (family == AF_INET &&
	    ((struct rte_ipv4_hdr *)(p + l3_off))->next_proto_id != IPPROTO_TCP)
		return -EINVAL;
	/* For IPv6 the caller found TCP behind any extension headers. */

	tcp = (struct rte_tcp_hdr *)(p + l4_off);
	flags = tcp->tcp_flags;
	/* Never answer a RST; without an ACK there is no seq to use. */
	if (!(flags & RTE_TCP_ACK_FLAG) || (flags & RTE_TCP_RST_FLAG))
		return -EINVAL;
	sport = tcp->src_port;
	dport = tcp->dst_port;
	ack = tcp->recv_ack;

	rte_ether_addr_copy(&eth->src_addr, &mac);
	rte_ether_addr_copy(&eth->dst_addr, &eth->src_addr);
	rte_ether_addr_copy(&mac, &eth->dst_addr);

	/* The RST goes right behind a fresh IP header, dropping IP options
	 * and extension headers along with the payload. */
	tcp = (struct rte_tcp_hdr *)(p + l3_off + l3_len);
	if (family == AF_INET) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + l3_off);

		write_ipv4(ip, ip->dst_addr, ip->src_addr, sizeof(*tcp));
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(p + l3_off);
		uint8_t a[16];

		memcpy(a, ip->src_addr, 16);
		write_ipv6(ip, ip->dst_addr, a, sizeof(*tcp));
	}
	tcp->src_port = dport;
	tcp->dst_port = sport;
	tcp->sent_seq = ack;
	tcp->recv_ack = 0;
	tcp->data_off = (sizeof(*tcp) / 4) << 4;
	tcp->tcp_flags = RTE_TCP_RST_FLAG;
	tcp->rx_win = 0;
	tcp->tcp_urp = 0;
	tcp_cksum(p + l3_off, tcp, family);

	if (m->next != NULL) {
		rte_pktmbuf_free(m->next);
		m->next = NULL;
		m->nb_segs = 1;
	}
	m->data_len = l3_off + l3_len + sizeof(*tcp);
	m->pkt_len = m->data_len;
	m->l2_len = l3_off;
	m->l3_len = l3_len;
	m->l4_len = sizeof(*tcp);
	m->ol_flags = 0;
	return 0;
}
