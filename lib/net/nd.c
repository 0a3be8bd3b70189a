/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>

#include <rte_errno.h>
#include <rte_ip.h>

#include "net_priv.h"

#define ND_NS_NA_LEN	24	/* ICMPv6 header + reserved/flags + target */
#define ND_LL_OPT_LEN	8

static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 0x01 };

void
net_solicited_node(const struct mg_ip *ip, uint8_t out[16])
{
	static const uint8_t prefix[13] = { 0xff, 0x02, [11] = 0x01, [12] = 0xff };

	memcpy(out, prefix, 13);
	memcpy(out + 13, ip->v6 + 13, 3);
}

void
net_ip6_mcast_mac(const uint8_t ip6[16], struct rte_ether_addr *mac)
{
	mac->addr_bytes[0] = 0x33;
	mac->addr_bytes[1] = 0x33;
	memcpy(mac->addr_bytes + 2, ip6 + 12, 4);
}

uint16_t
net_ip6_l4_csum(const uint8_t *ip6, const uint8_t *l4, unsigned len, uint8_t proto)
{
	uint32_t sum = __rte_raw_cksum(ip6 + 8, 32, 0);

	sum += rte_cpu_to_be_16((uint16_t)len) + rte_cpu_to_be_16(proto);
	sum = __rte_raw_cksum(l4, len, sum);
	return (uint16_t)~mg_csum_fold32(sum);
}

unsigned
net_nd_write(uint8_t *ip6, uint8_t type, uint8_t na_flags, const uint8_t src[16],
	     const uint8_t dst[16], const uint8_t target[16],
	     const struct rte_ether_addr *ll)
{
	uint8_t *icmp = ip6 + sizeof(struct rte_ipv6_hdr);
	unsigned len = ND_NS_NA_LEN + ND_LL_OPT_LEN;
	uint16_t csum;

	memset(ip6, 0, sizeof(struct rte_ipv6_hdr) + len);
	ip6[0] = 0x60;
	wr16(ip6 + 4, (uint16_t)len);
	ip6[6] = IPPROTO_ICMPV6;
	ip6[7] = ND_HOP_LIMIT;
	memcpy(ip6 + 8, src, 16);
	memcpy(ip6 + 24, dst, 16);
	icmp[0] = type;
	icmp[4] = na_flags;
	memcpy(icmp + 8, target, 16);
	icmp[24] = type == ND_NEIGHBOR_SOLICIT ? ND_OPT_SOURCE_LL : ND_OPT_TARGET_LL;
	icmp[25] = 1;
	memcpy(icmp + 26, ll, 6);
	csum = net_ip6_l4_csum(ip6, icmp, len, IPPROTO_ICMPV6);
	memcpy(icmp + 2, &csum, 2);
	return sizeof(struct rte_ipv6_hdr) + len;
}

/* Find the link-layer address option of @p type; -1 malformed, 0 absent. */
static int
nd_find_ll(const uint8_t *opt, unsigned len, uint8_t type,
	   struct rte_ether_addr *mac)
{
	int found = 0;

	while (len > 0) {
		unsigned olen;

		if (len < 2 || opt[1] == 0)
			return -1;
		olen = opt[1] * 8u;
		if (olen > len)
			return -1;
		if (opt[0] == type) {
			if (olen != ND_LL_OPT_LEN)
				return -1;
			memcpy(mac, opt + 2, 6);
			found = 1;
		}
		opt += olen;
		len -= olen;
	}
	return found;
}

static bool
ip6_is_unspec(const struct mg_ip *ip)
{
	return (ip->v6w[0] | ip->v6w[1] | ip->v6w[2] | ip->v6w[3]) == 0;
}

static enum mg_net_action
nd_drop(enum mg_net_drop *drop, enum mg_net_drop why)
{
	*drop = why;
	return MG_NET_ACT_DROP;
}

static enum mg_net_action
nd_solicit_input(struct rte_mbuf *m, const struct mg_pkt *p,
		 const struct mg_net_iface *ifc, const uint8_t *icmp,
		 struct mg_neigh_learn *learn, enum mg_net_drop *drop)
{
	struct rte_ether_addr slla, dmac;
	uint8_t f[NET_MAX_BUILT], sn[16];
	const uint8_t *dst6;
	struct mg_ip target;
	bool dad = ip6_is_unspec(&p->src);
	unsigned l2, len;
	int has_ll;

	mg_ip_set_v6(&target, icmp + 8);
	if (target.v6[0] == 0xff)
		return nd_drop(drop, MG_NET_DROP_ND_MALFORMED);
	has_ll = nd_find_ll(icmp + ND_NS_NA_LEN, p->l4_len - ND_NS_NA_LEN,
			    ND_OPT_SOURCE_LL, &slla);
	if (has_ll < 0 || (dad && has_ll))
		return nd_drop(drop, MG_NET_DROP_ND_MALFORMED);
	if (has_ll && (!rte_is_unicast_ether_addr(&slla) ||
		       rte_is_zero_ether_addr(&slla)))
		return nd_drop(drop, MG_NET_DROP_ND_MALFORMED);
	net_solicited_node(&target, sn);
	if (p->dst.v6[0] == 0xff) {
		if (memcmp(p->dst.v6, sn, 16) != 0)
			return nd_drop(drop, MG_NET_DROP_ND_MALFORMED);
	} else if (dad) {
		return nd_drop(drop, MG_NET_DROP_ND_MALFORMED);
	}

	/* RFC 4861 7.2.3: an NS for someone else is discarded unread. */
	if (!mg_iface_owns(ifc, &target))
		return nd_drop(drop, MG_NET_DROP_ND_NOT_FOR_US);
	if (has_ll && !mg_iface_owns(ifc, &p->src)) {
		learn->ip = p->src;
		learn->mac = slla;
		learn->port_id = ifc->port_id;
		learn->mode = MG_NEIGH_LEARN_CREATE;
	}

	if (dad) {
		dst6 = all_nodes;
		net_ip6_mcast_mac(all_nodes, &dmac);
	} else {
		dst6 = p->src.v6;
		if (has_ll)
			dmac = slla;
		else	/* unicast NUD probe: answer the frame's sender */
			memcpy(&dmac, rte_pktmbuf_mtod_offset(m, uint8_t *, 6), 6);
	}
	l2 = net_l2_write(f, ifc, &dmac, RTE_ETHER_TYPE_IPV6);
	len = net_nd_write(f + l2, ND_NEIGHBOR_ADVERT,
			   (dad ? 0 : ND_NA_FLAG_SOLICITED) | ND_NA_FLAG_OVERRIDE,
			   target.v6, dst6, target.v6, &ifc->mac);
	if (net_frame_replace(m, f, l2 + len) != 0)
		return nd_drop(drop, MG_NET_DROP_NO_ROOM);
	return MG_NET_ACT_TX;
}

static enum mg_net_action
nd_advert_input(const struct mg_pkt *p, const struct mg_net_iface *ifc,
		const uint8_t *icmp, struct mg_neigh_learn *learn,
		enum mg_net_drop *drop)
{
	struct rte_ether_addr tlla;
	struct mg_ip target;
	bool solicited = (icmp[4] & ND_NA_FLAG_SOLICITED) != 0;
	int has_ll;

	mg_ip_set_v6(&target, icmp + 8);
	if (target.v6[0] == 0xff || (solicited && p->dst.v6[0] == 0xff))
		return nd_drop(drop, MG_NET_DROP_ND_MALFORMED);
	has_ll = nd_find_ll(icmp + ND_NS_NA_LEN, p->l4_len - ND_NS_NA_LEN,
			    ND_OPT_TARGET_LL, &tlla);
	if (has_ll < 0)
		return nd_drop(drop, MG_NET_DROP_ND_MALFORMED);
	/* Without the option there is no MAC to record: nothing to learn. */
	if (has_ll && rte_is_unicast_ether_addr(&tlla) &&
	    !rte_is_zero_ether_addr(&tlla) && !mg_iface_owns(ifc, &target)) {
		learn->ip = target;
		learn->mac = tlla;
		learn->port_id = ifc->port_id;
		learn->mode = MG_NEIGH_LEARN_UPDATE;	/* NA never creates */
		learn->confirmed = solicited;
	}
	return MG_NET_ACT_CONSUMED;
}

enum mg_net_action
mg_icmp6_input(struct rte_mbuf *m, const struct mg_pkt *p,
	       const struct mg_net_iface *ifc, struct mg_neigh_learn *learn,
	       enum mg_net_drop *drop)
{
	const uint8_t *icmp;
	uint8_t type = p->icmp_type;

	memset(learn, 0, sizeof(*learn));
	if (type >= ND_ROUTER_SOLICIT && type <= ND_REDIRECT) {
		if (p->ttl != ND_HOP_LIMIT || p->icmp_code != 0 ||
		    p->l4_len < ND_NS_NA_LEN)
			return nd_drop(drop, MG_NET_DROP_ND_MALFORMED);
	}
	if (!mg_pkt_l4_csum_ok(m, p))
		return nd_drop(drop, MG_NET_DROP_L4_BAD_CHECKSUM);

	switch (type) {
	case ICMP6_ECHO_REQUEST:
		if (!mg_iface_owns(ifc, &p->dst))
			return nd_drop(drop, MG_NET_DROP_NOT_LOCAL);
		if (p->icmp_code != 0 || ip6_is_unspec(&p->src))
			return nd_drop(drop, MG_NET_DROP_ICMP_MALFORMED);
		return net_icmp6_echo(m, p, ifc, drop);
	case ND_NEIGHBOR_SOLICIT:
	case ND_NEIGHBOR_ADVERT:
		/* Options are parsed in place: they must be contiguous. */
		if ((uint32_t)p->l4_off + p->l4_len > rte_pktmbuf_data_len(m))
			return nd_drop(drop, MG_NET_DROP_ND_MALFORMED);
		icmp = rte_pktmbuf_mtod_offset(m, const uint8_t *, p->l4_off);
		if (type == ND_NEIGHBOR_SOLICIT)
			return nd_solicit_input(m, p, ifc, icmp, learn, drop);
		return nd_advert_input(p, ifc, icmp, learn, drop);
	default:
		return nd_drop(drop, MG_NET_DROP_ICMP_UNHANDLED);
	}
}

static struct rte_mbuf *
nd_build(struct rte_mempool *mp, const struct mg_net_iface *ifc, uint8_t type,
	 uint8_t flags, const uint8_t src[16], const uint8_t dst[16],
	 const struct rte_ether_addr *dmac, const uint8_t target[16])
{
	uint8_t f[NET_MAX_BUILT];
	unsigned l2;

	l2 = net_l2_write(f, ifc, dmac, RTE_ETHER_TYPE_IPV6);
	l2 += net_nd_write(f + l2, type, flags, src, dst, target, &ifc->mac);
	return net_frame_alloc(mp, f, l2);
}

struct rte_mbuf *
mg_nd_solicit(struct rte_mempool *mp, const struct mg_net_iface *ifc,
	      const struct mg_ip *target, const struct rte_ether_addr *unicast_dst)
{
	struct rte_ether_addr dmac;
	struct mg_ip src;
	uint8_t dst[16];

	if (target->family != AF_INET6) {
		rte_errno = EINVAL;
		return NULL;
	}
	mg_iface_src_addr(ifc, target, &src);
	if (unicast_dst != NULL) {
		memcpy(dst, target->v6, 16);
		dmac = *unicast_dst;
	} else {
		net_solicited_node(target, dst);
		net_ip6_mcast_mac(dst, &dmac);
	}
	return nd_build(mp, ifc, ND_NEIGHBOR_SOLICIT, 0, src.v6, dst, &dmac,
			target->v6);
}

struct rte_mbuf *
mg_nd_unsolicited_na(struct rte_mempool *mp, const struct mg_net_iface *ifc,
		     const struct mg_ip *addr)
{
	struct rte_ether_addr dmac;

	if (addr->family != AF_INET6) {
		rte_errno = EINVAL;
		return NULL;
	}
	net_ip6_mcast_mac(all_nodes, &dmac);
	return nd_build(mp, ifc, ND_NEIGHBOR_ADVERT, ND_NA_FLAG_OVERRIDE,
			addr->v6, all_nodes, &dmac, addr->v6);
}
