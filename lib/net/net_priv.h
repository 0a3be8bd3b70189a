/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_NET_PRIV_H
#define MG_NET_PRIV_H

/* Helpers shared by the sources of lib/net; not installed. */

#include "mg_net.h"

/* Frames we build are padded to the Ethernet minimum (without FCS). */
#define NET_MIN_FRAME		(RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN)
/* Largest frame built from scratch here (VLAN + IPv6 + NS/NA + option). */
#define NET_MAX_BUILT		128

#define ICMP6_ECHO_REQUEST	128
#define ICMP6_ECHO_REPLY	129
#define ND_ROUTER_SOLICIT	133
#define ND_REDIRECT		137
#define ND_NEIGHBOR_SOLICIT	135
#define ND_NEIGHBOR_ADVERT	136
#define ND_OPT_SOURCE_LL	1
#define ND_OPT_TARGET_LL	2
#define ND_NA_FLAG_ROUTER	0x80
#define ND_NA_FLAG_SOLICITED	0x40
#define ND_NA_FLAG_OVERRIDE	0x20
#define ND_HOP_LIMIT		255
#define NET_DEFAULT_TTL		64

static inline void
wr16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

/* Write the L2 header of @p ifc into @p buf; returns its length. */
unsigned net_l2_write(uint8_t *buf, const struct mg_net_iface *ifc,
		      const struct rte_ether_addr *dst, uint16_t ethertype);

/* Replace the whole content of @p m with @p len bytes of @p frame (padded
 * to the Ethernet minimum), keeping only the first segment. */
int net_frame_replace(struct rte_mbuf *m, const uint8_t *frame, unsigned len);

/* A new mbuf holding @p frame (padded); NULL with rte_errno. */
struct rte_mbuf *net_frame_alloc(struct rte_mempool *mp, const uint8_t *frame,
				 unsigned len);

/* Checksum of an IPv6 upper-layer message in a flat buffer. */
uint16_t net_ip6_l4_csum(const uint8_t *ip6, const uint8_t *l4, unsigned len,
			 uint8_t proto);

/* Solicited-node multicast address of @p ip and its MAC. */
void net_solicited_node(const struct mg_ip *ip, uint8_t out[16]);
void net_ip6_mcast_mac(const uint8_t ip6[16], struct rte_ether_addr *mac);

/* Write a ND NS or NA (IPv6 header included) at @p ip6; returns its length. */
unsigned net_nd_write(uint8_t *ip6, uint8_t type, uint8_t na_flags,
		      const uint8_t src[16], const uint8_t dst[16],
		      const uint8_t target[16], const struct rte_ether_addr *ll);

/* ICMPv6 echo request -> reply in place (icmp.c). */
enum mg_net_action net_icmp6_echo(struct rte_mbuf *m, const struct mg_pkt *p,
				  const struct mg_net_iface *ifc,
				  enum mg_net_drop *drop);

#endif /* MG_NET_PRIV_H */
