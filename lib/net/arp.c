/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>

#include <rte_arp.h>
#include <rte_errno.h>

#include "net_priv.h"

static bool
ip4_learnable(uint32_t be)
{
	uint32_t a = rte_be_to_cpu_32(be);

	return a != 0 && (a >> 24) != 127 && (a >> 28) < 14;
}

/* Fill an ARP body (28 bytes). */
static void
arp_write(uint8_t *a, uint16_t op, const struct rte_ether_addr *sha,
	  uint32_t spa, const struct rte_ether_addr *tha, uint32_t tpa)
{
	wr16(a, RTE_ARP_HRD_ETHER);
	wr16(a + 2, RTE_ETHER_TYPE_IPV4);
	a[4] = RTE_ETHER_ADDR_LEN;
	a[5] = 4;
	wr16(a + 6, op);
	memcpy(a + 8, sha, 6);
	memcpy(a + 14, &spa, 4);
	memcpy(a + 18, tha, 6);
	memcpy(a + 24, &tpa, 4);
}

enum mg_net_action
mg_arp_input(struct rte_mbuf *m, const struct mg_pkt *p,
	     const struct mg_net_iface *ifc, struct mg_neigh_learn *learn,
	     enum mg_net_drop *drop)
{
	const uint8_t *a = rte_pktmbuf_mtod_offset(m, const uint8_t *, p->l3_off);
	struct rte_ether_addr sha;
	uint8_t reply[NET_MAX_BUILT];
	uint16_t op = (uint16_t)(a[6] << 8 | a[7]);
	uint32_t spa, tpa;
	bool for_us;
	unsigned l2;

	memset(learn, 0, sizeof(*learn));
	memcpy(&sha, a + 8, 6);
	spa = p->src.v4;
	tpa = p->dst.v4;
	if (!rte_is_unicast_ether_addr(&sha) || rte_is_zero_ether_addr(&sha)) {
		*drop = MG_NET_DROP_ARP_MALFORMED;
		return MG_NET_ACT_DROP;
	}
	for_us = mg_iface_owns(ifc, &p->dst);

	/* RFC 826 merge: refresh whoever speaks; create only when spoken to.
	 * Never learn our own addresses (a conflict is for the operator). */
	if (ip4_learnable(spa) && !mg_iface_owns(ifc, &p->src)) {
		learn->ip = p->src;
		learn->mac = sha;
		learn->port_id = ifc->port_id;
		learn->mode = for_us ? MG_NEIGH_LEARN_CREATE : MG_NEIGH_LEARN_UPDATE;
		learn->confirmed = for_us && op == RTE_ARP_OP_REPLY;
	}

	if (!for_us) {
		if (spa == tpa)
			return MG_NET_ACT_CONSUMED;	/* gratuitous */
		*drop = MG_NET_DROP_ARP_NOT_FOR_US;
		return MG_NET_ACT_DROP;
	}
	if (op == RTE_ARP_OP_REPLY || spa == tpa)
		return MG_NET_ACT_CONSUMED;

	/* Answer the request, also a probe from 0.0.0.0 (RFC 5227). */
	l2 = net_l2_write(reply, ifc, &sha, RTE_ETHER_TYPE_ARP);
	arp_write(reply + l2, RTE_ARP_OP_REPLY, &ifc->mac, tpa, &sha, spa);
	if (net_frame_replace(m, reply, l2 + sizeof(struct rte_arp_hdr)) != 0) {
		*drop = MG_NET_DROP_NO_ROOM;
		return MG_NET_ACT_DROP;
	}
	return MG_NET_ACT_TX;
}

static struct rte_mbuf *
arp_build(struct rte_mempool *mp, const struct mg_net_iface *ifc, uint32_t spa,
	  uint32_t tpa, const struct rte_ether_addr *dst)
{
	static const struct rte_ether_addr bcast = {
		.addr_bytes = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
	static const struct rte_ether_addr zero;
	uint8_t f[NET_MAX_BUILT];
	unsigned l2;

	l2 = net_l2_write(f, ifc, dst ? dst : &bcast, RTE_ETHER_TYPE_ARP);
	arp_write(f + l2, RTE_ARP_OP_REQUEST, &ifc->mac, spa, &zero, tpa);
	return net_frame_alloc(mp, f, l2 + sizeof(struct rte_arp_hdr));
}

struct rte_mbuf *
mg_arp_request(struct rte_mempool *mp, const struct mg_net_iface *ifc,
	       const struct mg_ip *target, const struct rte_ether_addr *unicast_dst)
{
	struct mg_ip src;

	if (target->family != AF_INET) {
		rte_errno = EINVAL;
		return NULL;
	}
	if (mg_iface_src_addr(ifc, target, &src) != 0) {
		rte_errno = EADDRNOTAVAIL;
		return NULL;
	}
	return arp_build(mp, ifc, src.v4, target->v4, unicast_dst);
}

struct rte_mbuf *
mg_arp_gratuitous(struct rte_mempool *mp, const struct mg_net_iface *ifc,
		  const struct mg_ip *addr)
{
	if (addr->family != AF_INET) {
		rte_errno = EINVAL;
		return NULL;
	}
	return arp_build(mp, ifc, addr->v4, addr->v4, NULL);
}

struct rte_mbuf *
mg_neigh_probe_build(struct rte_mempool *mp, const struct mg_net_iface *ifc,
		     const struct mg_ip *ip, const struct rte_ether_addr *unicast_dst)
{
	if (ip->family == AF_INET)
		return mg_arp_request(mp, ifc, ip, unicast_dst);
	return mg_nd_solicit(mp, ifc, ip, unicast_dst);
}
