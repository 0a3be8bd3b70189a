/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_NET_H
#define MG_NET_H

/*
 * L2/L3/L4 header parsing, checksum helpers, and the local handling of
 * ARP, ICMP echo and IPv6 neighbour discovery for the data ports.
 *
 * meshgate is a host, not a router: a full-NAT load balancer terminates the
 * client's packet and originates a new one towards the backend, so TTL and
 * hop limit are recorded but never checked or decremented here
 * (MG_NET_DROP_IP4_TTL_EXPIRED / IP6_HOP_LIMIT exist for a caller that
 * decides to forward; mg_pkt_parse() never returns them).
 *
 * Everything here works on the first segment of an mbuf for headers
 * (a header that straddles segments is reported as truncated); total lengths
 * are checked against the packet length of the whole chain.
 */

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "mg_addr.h"

/*
 * Why a frame was dropped by parsing or local handling: one list that
 * generates the enum and the counter names.
 */
#define MG_NET_DROPS(X)							\
	X(ETH_TRUNCATED,	"eth-truncated")			\
	X(VLAN_TRUNCATED,	"vlan-truncated")			\
	X(VLAN_STACKED,		"vlan-stacked")				\
	X(VLAN_MISMATCH,	"vlan-mismatch")			\
	X(ETHERTYPE_UNKNOWN,	"ethertype-unknown")			\
	X(ARP_MALFORMED,	"arp-malformed")			\
	X(ARP_NOT_FOR_US,	"arp-not-for-us")			\
	X(IP4_TRUNCATED,	"ip4-truncated")			\
	X(IP4_BAD_VERSION,	"ip4-bad-version")			\
	X(IP4_BAD_IHL,		"ip4-bad-ihl")				\
	X(IP4_BAD_LENGTH,	"ip4-bad-length")			\
	X(IP4_BAD_CHECKSUM,	"ip4-bad-checksum")			\
	X(IP4_TTL_EXPIRED,	"ip4-ttl-expired")			\
	X(IP4_FRAGMENT,		"ip4-fragment")				\
	X(IP4_BAD_SOURCE,	"ip4-bad-source")			\
	X(IP6_TRUNCATED,	"ip6-truncated")			\
	X(IP6_BAD_VERSION,	"ip6-bad-version")			\
	X(IP6_BAD_LENGTH,	"ip6-bad-length")			\
	X(IP6_HOP_LIMIT,	"ip6-hop-limit")			\
	X(IP6_FRAGMENT,		"ip6-fragment")				\
	X(IP6_EXT_HEADER,	"ip6-ext-header")			\
	X(IP6_BAD_SOURCE,	"ip6-bad-source")			\
	X(TCP_TRUNCATED,	"tcp-truncated")			\
	X(TCP_BAD_OFFSET,	"tcp-bad-offset")			\
	X(UDP_TRUNCATED,	"udp-truncated")			\
	X(UDP_BAD_LENGTH,	"udp-bad-length")			\
	X(L4_BAD_CHECKSUM,	"l4-bad-checksum")			\
	X(ICMP_MALFORMED,	"icmp-malformed")			\
	X(ICMP_UNHANDLED,	"icmp-unhandled")			\
	X(ND_MALFORMED,		"nd-malformed")				\
	X(ND_NOT_FOR_US,	"nd-not-for-us")			\
	X(NOT_LOCAL,		"not-local")				\
	X(PROTO_UNHANDLED,	"proto-unhandled")			\
	X(NO_ROOM,		"no-room")

enum mg_net_drop {
	MG_NET_OK = 0,
#define MG_NET_DROP_ENUM(name, str) MG_NET_DROP_##name,
	MG_NET_DROPS(MG_NET_DROP_ENUM)
#undef MG_NET_DROP_ENUM
	MG_NET_DROP_MAX
};

/** Counter names, indexed by enum mg_net_drop; "ok" at 0. */
extern const char *const mg_net_drop_names[MG_NET_DROP_MAX];

/** What mg_pkt_parse() found. Offsets count from the start of the frame. */
struct mg_pkt {
	uint16_t l2_len;	/* Ethernet header + VLAN tag in the frame */
	uint16_t vlan;		/* VLAN id (tag or stripped by the NIC), 0 untagged */
	uint16_t ethertype;	/* host order, after the VLAN tag */
	uint16_t l3_off;	/* == l2_len */
	uint16_t l3_len;	/* IPv4: IHL*4; IPv6: 40 + skipped extension headers;
				   ARP: 28 */
	uint16_t l4_off;	/* == l3_off + l3_len */
	uint16_t l4_len;	/* L4 header + payload as the IP header says
				   (trailing Ethernet padding excluded) */
	uint8_t l4_proto;	/* IPPROTO_TCP/UDP/ICMP/ICMPV6 */
	uint8_t tcp_flags;
	uint8_t ttl;		/* TTL or hop limit */
	uint8_t icmp_type;	/* ICMP/ICMPv6 only */
	uint8_t icmp_code;
	struct mg_ip src, dst;
	uint16_t sport, dport;	/* host order; ICMP echo: identifier in sport */
};

/**
 * Validate and parse a frame.
 *
 * Accepts Ethernet with at most one 802.1Q tag (or a tag stripped by the
 * NIC: RTE_MBUF_F_RX_VLAN_STRIPPED), carrying ARP, IPv4 or IPv6.
 * - ARP: Ethernet/IPv4 ARP with a 28-byte body, request or reply.
 * - IPv4: version, IHL, total length against the frame, header checksum
 *   (skipped when the NIC says RTE_MBUF_F_RX_IP_CKSUM_GOOD, trusted when it
 *   says BAD), fragments dropped, source must not be 0/8, 127/8 or
 *   224/3 (multicast, reserved, broadcast). Options are skipped.
 * - IPv6: version, payload length against the frame (jumbograms dropped),
 *   source must not be multicast or ::1. Hop-by-hop (first only),
 *   destination options, and routing headers with segments left 0 are
 *   skipped (at most 4); a routing header with segments left, and anything
 *   else that is not an upper layer we know, is IP6_EXT_HEADER; a fragment
 *   header is IP6_FRAGMENT.
 * - TCP: header and data offset (5..15, within the segment); UDP: header
 *   and its length equal to the IP payload length; ICMP/ICMPv6: 8 bytes.
 * Other upper-layer protocols return PROTO_UNHANDLED with everything up to
 * l4_off/l4_len/l4_proto filled in.
 *
 * TCP/UDP checksums are NOT verified: a full-NAT path updates them
 * incrementally, which keeps a bad checksum bad for the endpoint to drop.
 * Use mg_pkt_l4_csum_ok() for packets terminated locally.
 *
 * @return MG_NET_OK or the drop reason; @p p is only fully valid on OK.
 */
enum mg_net_drop mg_pkt_parse(const struct rte_mbuf *m, struct mg_pkt *p);

/**
 * Verify the L4 checksum of a parsed TCP, UDP, ICMP or ICMPv6 packet in
 * software. A UDP/IPv4 checksum of 0 (none) is accepted; over IPv6 it is not.
 */
bool mg_pkt_l4_csum_ok(const struct rte_mbuf *m, const struct mg_pkt *p);

/*
 * Incremental checksum updates (RFC 1624, eqn. 3) for NAT rewrites.
 *
 * Every value is taken exactly as it is stored in the header: the checksum
 * field and the old/new 16- or 32-bit words in network byte order (do not
 * byte-swap them). The ones' complement sum does not depend on byte order,
 * so the result is again ready to store.
 *
 * UDP uses 0 for "no checksum" (IPv4); use the mg_udp_csum_* variants
 * there, which keep 0 as 0 and never produce 0.
 */
static inline uint16_t
mg_csum_fold32(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static inline uint16_t
mg_csum_replace16(uint16_t csum, uint16_t old, uint16_t new_)
{
	uint32_t sum = (uint16_t)~csum + (uint32_t)(uint16_t)~old + new_;

	return (uint16_t)~mg_csum_fold32(sum);
}

static inline uint16_t
mg_csum_replace32(uint16_t csum, uint32_t old, uint32_t new_)
{
	uint32_t sum = (uint16_t)~csum;

	sum += (uint16_t)~(uint16_t)old + (uint32_t)(uint16_t)~(uint16_t)(old >> 16);
	sum += (new_ & 0xffff) + (new_ >> 16);
	return (uint16_t)~mg_csum_fold32(sum);
}

/** Replace an address in a checksum: 4 or 16 bytes; families must match. */
static inline uint16_t
mg_csum_replace_addr(uint16_t csum, const struct mg_ip *old,
		     const struct mg_ip *new_)
{
	uint32_t sum;
	unsigned i;

	if (old->family == AF_INET)
		return mg_csum_replace32(csum, old->v4, new_->v4);
	sum = (uint16_t)~csum;
	for (i = 0; i < 4; i++) {
		uint32_t o = old->v6w[i], n = new_->v6w[i];

		sum += (uint16_t)~(uint16_t)o + (uint32_t)(uint16_t)~(uint16_t)(o >> 16);
		sum += (n & 0xffff) + (n >> 16);
	}
	return (uint16_t)~mg_csum_fold32(sum);
}

/* UDP: 0 stays 0 (no checksum); a computed 0 is sent as 0xffff. */
static inline uint16_t
mg_udp_csum_fix(uint16_t old_csum, uint16_t csum)
{
	if (old_csum == 0)
		return 0;
	return csum == 0 ? 0xffff : csum;
}

static inline uint16_t
mg_udp_csum_replace16(uint16_t csum, uint16_t old, uint16_t new_)
{
	return mg_udp_csum_fix(csum, mg_csum_replace16(csum, old, new_));
}

static inline uint16_t
mg_udp_csum_replace_addr(uint16_t csum, const struct mg_ip *old,
			 const struct mg_ip *new_)
{
	return mg_udp_csum_fix(csum, mg_csum_replace_addr(csum, old, new_));
}

/*
 * A data port as L2/L3 sees it, built by the data plane from the
 * configuration.
 */
#define MG_NET_MAX_ADDRS	8	/* == MG_MAX_PORT_ADDRS */
#define MG_NET_MAX_EXTRA	64	/* VIPs and SNAT addresses on a port */

struct mg_net_iface {
	uint16_t port_id;
	uint16_t vlan;			/* 0 untagged; frames are tagged on output */
	struct rte_ether_addr mac;
	uint32_t n_addrs;		/* interface addresses: on-link subnets */
	struct mg_ip addrs[MG_NET_MAX_ADDRS];
	uint8_t prefix_len[MG_NET_MAX_ADDRS];
	uint32_t n_extra;		/* also answered for in ARP/ND/echo */
	struct mg_ip extra[MG_NET_MAX_EXTRA];
	struct mg_ip gateway4, gateway6;	/* family 0 = none */
};

/**
 * True when @p ip is one of the interface's addresses, an extra address,
 * or its IPv6 link-local address (fe80::/64 + EUI-64 of the MAC).
 */
bool mg_iface_owns(const struct mg_net_iface *ifc, const struct mg_ip *ip);

/**
 * Next hop towards @p dst: @p dst itself when it lies in one of the
 * interface's subnets, else the gateway of its family.
 * @return 0, or -ENETUNREACH when off-link and there is no gateway.
 */
int mg_iface_next_hop(const struct mg_net_iface *ifc, const struct mg_ip *dst,
		      struct mg_ip *nh);

/**
 * Source address for ARP/ND/ICMP sent towards @p dst: the interface
 * address whose subnet holds @p dst, else the first one of its family
 * (IPv6: else the link-local address).
 * @return 0, or -EADDRNOTAVAIL when the interface has no IPv4 address.
 */
int mg_iface_src_addr(const struct mg_net_iface *ifc, const struct mg_ip *dst,
		      struct mg_ip *src);

/** The interface's IPv6 link-local address (fe80::/64 + modified EUI-64). */
void mg_iface_link_local(const struct mg_net_iface *ifc, struct mg_ip *ll);

/** VLAN check for frames received on @p ifc: OK or VLAN_MISMATCH. */
static inline enum mg_net_drop
mg_pkt_check_vlan(const struct mg_pkt *p, const struct mg_net_iface *ifc)
{
	return p->vlan == ifc->vlan ? MG_NET_OK : MG_NET_DROP_VLAN_MISMATCH;
}

/*
 * Local handling. Each handler works in place on a frame that
 * mg_pkt_parse() accepted with @p p, and returns:
 *   MG_NET_ACT_TX        the mbuf is now a reply, ready to send on @p ifc
 *                        (@p p no longer describes it);
 *   MG_NET_ACT_CONSUMED  nothing to send; the caller frees the mbuf;
 *   MG_NET_ACT_DROP      *drop says why; the caller frees and counts.
 * Handlers that learn neighbours fill *learn whatever the action (mode
 * MG_NEIGH_LEARN_NONE when there is nothing to learn); the data plane hands
 * it to the main lcore, which applies it with mg_neigh_apply().
 */
enum mg_net_action {
	MG_NET_ACT_DROP,
	MG_NET_ACT_TX,
	MG_NET_ACT_CONSUMED,
};

enum mg_neigh_learn_mode {
	MG_NEIGH_LEARN_NONE,
	MG_NEIGH_LEARN_UPDATE,	/* refresh an existing entry only */
	MG_NEIGH_LEARN_CREATE,	/* create or refresh */
};

struct mg_neigh_learn {
	struct mg_ip ip;
	struct rte_ether_addr mac;
	uint16_t port_id;
	uint8_t mode;		/* enum mg_neigh_learn_mode */
	bool confirmed;		/* a reply to us: the neighbour is REACHABLE */
};

/**
 * ARP (RFC 826, merge rule): a request for an owned address is turned
 * into the reply (TX); a reply or request aimed at us creates the sender's
 * entry (a reply confirms it); any other valid ARP, gratuitous ones
 * included, only refreshes an existing entry. Senders 0.0.0.0 (probes,
 * RFC 5227) are answered but not learnt. Gratuitous ARP and replies to us
 * are CONSUMED; other frames not for us are dropped ARP_NOT_FOR_US.
 */
enum mg_net_action mg_arp_input(struct rte_mbuf *m, const struct mg_pkt *p,
				const struct mg_net_iface *ifc,
				struct mg_neigh_learn *learn,
				enum mg_net_drop *drop);

/**
 * ICMPv4: an echo request to an owned unicast address (checksum verified)
 * becomes the echo reply (TTL 64). Everything else is dropped:
 * NOT_LOCAL, L4_BAD_CHECKSUM or ICMP_UNHANDLED.
 */
enum mg_net_action mg_icmp4_input(struct rte_mbuf *m, const struct mg_pkt *p,
				  const struct mg_net_iface *ifc,
				  enum mg_net_drop *drop);

/**
 * ICMPv6 (checksum always verified): echo request to an owned address ->
 * echo reply; Neighbour Solicitation for an owned target -> Neighbour
 * Advertisement (S=1 O=1 to the solicitor, or S=0 to ff02::1 when the
 * solicitor does DAD from ::), with our target link-layer address.
 * ND messages are validated as RFC 4861 says (hop limit 255, code 0,
 * lengths, options); an NS learns the solicitor's source link-layer
 * address (create, STALE), an NA its target link-layer address (update
 * only; S confirms). Router/redirect/MLD messages are ICMP_UNHANDLED.
 */
enum mg_net_action mg_icmp6_input(struct rte_mbuf *m, const struct mg_pkt *p,
				  const struct mg_net_iface *ifc,
				  struct mg_neigh_learn *learn,
				  enum mg_net_drop *drop);

/**
 * Everything above behind one call, for frames that no listener took:
 * checks the VLAN, then ARP -> mg_arp_input, ICMP -> mg_icmp4_input,
 * ICMPv6 -> mg_icmp6_input, anything else PROTO_UNHANDLED.
 */
enum mg_net_action mg_net_local_input(struct rte_mbuf *m, const struct mg_pkt *p,
				      const struct mg_net_iface *ifc,
				      struct mg_neigh_learn *learn,
				      enum mg_net_drop *drop);

/*
 * Builders: a new frame from @p mp, ready to send on @p ifc (VLAN tagged
 * when the interface is, padded to 60 bytes). NULL with rte_errno set
 * (ENOMEM, EADDRNOTAVAIL when @p ifc has no address of the family,
 * EINVAL for a wrong family).
 */

/** ARP request for @p target, broadcast, or unicast to @p unicast_dst. */
struct rte_mbuf *mg_arp_request(struct rte_mempool *mp,
				const struct mg_net_iface *ifc,
				const struct mg_ip *target,
				const struct rte_ether_addr *unicast_dst);

/** Gratuitous ARP request announcing @p addr (sender = target = addr). */
struct rte_mbuf *mg_arp_gratuitous(struct rte_mempool *mp,
				   const struct mg_net_iface *ifc,
				   const struct mg_ip *addr);

/** Neighbour Solicitation for @p target: to its solicited-node group, or
 *  to @p target itself at @p unicast_dst (NUD). */
struct rte_mbuf *mg_nd_solicit(struct rte_mempool *mp,
			       const struct mg_net_iface *ifc,
			       const struct mg_ip *target,
			       const struct rte_ether_addr *unicast_dst);

/** Unsolicited Neighbour Advertisement (O=1) of @p addr to ff02::1. */
struct rte_mbuf *mg_nd_unsolicited_na(struct rte_mempool *mp,
				      const struct mg_net_iface *ifc,
				      const struct mg_ip *addr);

/** ARP request or Neighbour Solicitation, by the family of @p ip. */
struct rte_mbuf *mg_neigh_probe_build(struct rte_mempool *mp,
				      const struct mg_net_iface *ifc,
				      const struct mg_ip *ip,
				      const struct rte_ether_addr *unicast_dst);

/**
 * Prepend an Ethernet header (and the interface's VLAN tag) to @p m.
 * @return 0, or -ENOSPC without enough headroom.
 */
int mg_eth_prepend(struct rte_mbuf *m, const struct mg_net_iface *ifc,
		   const struct rte_ether_addr *dst, uint16_t ethertype);

/**
 * Rewrite the L2 header of a parsed frame for output on @p out: dst MAC =
 * @p dst, src MAC = out's MAC, VLAN tag added, removed or changed for out's
 * VLAN. The L3 bytes do not move; @p p's offsets and l2_len/vlan are
 * updated. A tag stripped by the NIC on input is forgotten.
 * @return 0, or -ENOSPC when a tag must be added and there is no headroom.
 */
int mg_eth_rewrite(struct rte_mbuf *m, struct mg_pkt *p,
		   const struct mg_net_iface *out,
		   const struct rte_ether_addr *dst);

#endif /* MG_NET_H */
