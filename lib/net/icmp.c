/* SPDX-License-Identifier: Apache-2.0 */
#include <rte_icmp.h>
#include <rte_ip.h>

#include "net_priv.h"

/* Turn the L2 header of a received frame into one back to its sender. */
static int
l2_reply(struct rte_mbuf *m, const struct mg_pkt *p, const struct mg_net_iface *ifc)
{
	struct rte_ether_addr dst;
	struct mg_pkt q = *p;

	memcpy(&dst, rte_pktmbuf_mtod_offset(m, uint8_t *, 6), 6);
	return mg_eth_rewrite(m, &q, ifc, &dst);
}

enum mg_net_action
mg_icmp4_input(struct rte_mbuf *m, const struct mg_pkt *p,
	       const struct mg_net_iface *ifc, enum mg_net_drop *drop)
{
	struct rte_ipv4_hdr *ip;
	uint8_t *icmp;
	uint32_t tmp;
	uint16_t raw;

	if (!mg_iface_owns(ifc, &p->dst)) {
		*drop = MG_NET_DROP_NOT_LOCAL;
		return MG_NET_ACT_DROP;
	}
	if (!mg_pkt_l4_csum_ok(m, p)) {
		*drop = MG_NET_DROP_L4_BAD_CHECKSUM;
		return MG_NET_ACT_DROP;
	}
	if (p->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || p->icmp_code != 0) {
		*drop = MG_NET_DROP_ICMP_UNHANDLED;
		return MG_NET_ACT_DROP;
	}

	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, p->l3_off);
	tmp = ip->src_addr;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = tmp;
	ip->time_to_live = NET_DEFAULT_TTL;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = (uint16_t)~rte_raw_cksum(ip, p->l3_len);

	icmp = rte_pktmbuf_mtod_offset(m, uint8_t *, p->l4_off);
	icmp[0] = RTE_IP_ICMP_ECHO_REPLY;
	icmp[2] = icmp[3] = 0;
	if (rte_raw_cksum_mbuf(m, p->l4_off, p->l4_len, &raw) != 0) {
		*drop = MG_NET_DROP_ICMP_MALFORMED;
		return MG_NET_ACT_DROP;
	}
	raw = (uint16_t)~raw;
	memcpy(icmp + 2, &raw, 2);

	if (l2_reply(m, p, ifc) != 0) {
		*drop = MG_NET_DROP_NO_ROOM;
		return MG_NET_ACT_DROP;
	}
	return MG_NET_ACT_TX;
}

enum mg_net_action
net_icmp6_echo(struct rte_mbuf *m, const struct mg_pkt *p,
	       const struct mg_net_iface *ifc, enum mg_net_drop *drop)
{
	struct rte_ipv6_hdr *ip;
	uint8_t *icmp;
	uint8_t tmp[16];
	struct mg_pkt q = *p;
	uint16_t raw;
	uint32_t sum = 0;
	unsigned i;

	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, p->l3_off);
	memcpy(tmp, ip->src_addr, 16);
	memcpy(ip->src_addr, ip->dst_addr, 16);
	memcpy(ip->dst_addr, tmp, 16);
	ip->hop_limits = NET_DEFAULT_TTL;

	icmp = rte_pktmbuf_mtod_offset(m, uint8_t *, p->l4_off);
	icmp[0] = ICMP6_ECHO_REPLY;
	icmp[2] = icmp[3] = 0;
	if (rte_raw_cksum_mbuf(m, p->l4_off, p->l4_len, &raw) != 0) {
		*drop = MG_NET_DROP_ICMP_MALFORMED;
		return MG_NET_ACT_DROP;
	}
	/* The pseudo header sum does not change when src and dst swap. */
	for (i = 0; i < 4; i++)
		sum += (p->src.v6w[i] & 0xffff) + (p->src.v6w[i] >> 16) +
		       (p->dst.v6w[i] & 0xffff) + (p->dst.v6w[i] >> 16);
	sum += rte_cpu_to_be_16(p->l4_len) + rte_cpu_to_be_16(IPPROTO_ICMPV6);
	sum += raw;
	raw = (uint16_t)~mg_csum_fold32(sum);
	memcpy(icmp + 2, &raw, 2);

	if (l2_reply(m, &q, ifc) != 0) {
		*drop = MG_NET_DROP_NO_ROOM;
		return MG_NET_ACT_DROP;
	}
	return MG_NET_ACT_TX;
}

enum mg_net_action
mg_net_local_input(struct rte_mbuf *m, const struct mg_pkt *p,
		   const struct mg_net_iface *ifc, struct mg_neigh_learn *learn,
		   enum mg_net_drop *drop)
{
	memset(learn, 0, sizeof(*learn));
	*drop = mg_pkt_check_vlan(p, ifc);
	if (*drop != MG_NET_OK)
		return MG_NET_ACT_DROP;
	if (p->ethertype == RTE_ETHER_TYPE_ARP)
		return mg_arp_input(m, p, ifc, learn, drop);
	if (p->l4_proto == IPPROTO_ICMP && p->ethertype == RTE_ETHER_TYPE_IPV4)
		return mg_icmp4_input(m, p, ifc, drop);
	if (p->l4_proto == IPPROTO_ICMPV6 && p->ethertype == RTE_ETHER_TYPE_IPV6)
		return mg_icmp6_input(m, p, ifc, learn, drop);
	*drop = MG_NET_DROP_PROTO_UNHANDLED;
	return MG_NET_ACT_DROP;
}
