/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_L4LB_H
#define MG_L4LB_H

/*
 * The L4 fast path: per-lcore connection tracking with local-port
 * allocation, and the full-NAT rewrite.
 *
 * Flow model: client C:cp -> VIP:vp (listener L) leaves as
 * LADDR:lp -> E:ep towards endpoint E; replies E:ep -> LADDR:lp go back as
 * VIP:vp -> C:cp. One struct mg_ct per worker lcore, used by that lcore
 * only (no locks). A local port p belongs to worker p % n_workers, so a
 * reply that lands on another lcore is handed to its owner by its
 * destination port alone (mg_ct_port_owner()).
 *
 * Conventions: addresses are struct mg_ip (network byte order); ports in
 * the lookup/create calls and in struct mg_flow are in NETWORK byte order,
 * as they sit in packets. Only the port range in mg_ct_params and the
 * argument of mg_ct_port_owner() are host-order numbers. Time is passed
 * in as now_us (virtual clock in tests).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>

#include "mg_addr.h"

#define MG_CT_MAX_LISTENERS	256	/* listener ids 0..255 */
#define MG_CT_MAX_LOCAL_ADDRS	255	/* local address index is 8 bits */
#define MG_CT_MAX_CAPACITY	(1u << 30)
#define MG_CT_TIMEOUT_MAX_S	(24u * 86400u)	/* idle times fit 31 bits of ms */

/* TCP flags as in the header's flags byte. */
#define MG_TCP_FIN 0x01
#define MG_TCP_SYN 0x02
#define MG_TCP_RST 0x04
#define MG_TCP_ACK 0x10

/*
 * Flow states; each has its own idle timeout. SYN_SENT: client SYN seen;
 * SYN_RECV: endpoint answered SYN-ACK (still the syn timeout, so spoofed
 * SYN floods never reach the long established timeout); ESTABLISHED:
 * client ACKed; CLOSING: one FIN; CLOSED: RST or both FINs.
 */
#define MG_CT_STATES(X)				\
	X(FREE, "free")				\
	X(SYN_SENT, "syn_sent")			\
	X(SYN_RECV, "syn_recv")			\
	X(ESTABLISHED, "established")		\
	X(CLOSING, "closing")			\
	X(CLOSED, "closed")			\
	X(UDP, "udp")

enum mg_ct_state {
#define MG_CT_STATE_ENUM(name, str) MG_CT_##name,
	MG_CT_STATES(MG_CT_STATE_ENUM)
#undef MG_CT_STATE_ENUM
	MG_CT_N_STATES
};

extern const char *const mg_ct_state_names[MG_CT_N_STATES];

/* Why a flow could not be created or a reply not matched. */
#define MG_CT_ERRORS(X)							\
	X(TABLE_FULL, "table_full")	/* create: capacity reached */	\
	X(NO_LOCAL_PORT, "no_local_port") /* create: no free local	\
					   * port of that family/proto */ \
	X(EXISTS, "exists")		/* create: key already tracked */ \
	X(BAD_ARG, "bad_arg")		/* create: proto, listener id */ \
	X(REPLY_MISS, "reply_miss")	/* no flow holds that local	\
					 * addr/port/proto */		\
	X(REPLY_WRONG_SOURCE, "reply_wrong_source") /* a flow does, but	\
					 * not with that endpoint */

enum mg_ct_error {
#define MG_CT_ERROR_ENUM(name, str) MG_CT_ERR_##name,
	MG_CT_ERRORS(MG_CT_ERROR_ENUM)
#undef MG_CT_ERROR_ENUM
	MG_CT_ERR_MAX
};

extern const char *const mg_ct_error_names[MG_CT_ERR_MAX];

struct mg_ct_stats {
	uint64_t created;
	uint64_t expired;		/* freed by mg_ct_expire() */
	uint64_t removed;		/* freed by mg_ct_remove() */
	uint64_t errors[MG_CT_ERR_MAX];
};

struct mg_ct_params {
	uint32_t capacity;		/* flows, 1..MG_CT_MAX_CAPACITY */
	uint32_t worker_index, n_workers;
	uint16_t port_min, port_max;	/* local port range of the whole
					 * appliance (host order), e.g.
					 * 1024..65535; port_min >= 1 */
	uint32_t n_local_addrs;		/* 1..MG_CT_MAX_LOCAL_ADDRS, v4 and/or v6 */
	const struct mg_ip *local_addrs;
	int socket;
};

/* Idle timeouts of one listener, in seconds; same fields and order as
 * struct mg_cfg_l4_timeouts. */
struct mg_ct_timeouts {
	uint32_t tcp_syn;
	uint32_t tcp_established;
	uint32_t tcp_closing;
	uint32_t tcp_closed;
	uint32_t udp;
};

/*
 * One tracked connection: 40 bytes. Visible because the data plane reads
 * it to rewrite packets; change it only through the mg_ct_* calls.
 */
struct mg_flow {
	union {
		uint32_t v4;
		uint8_t v6[16];
	} client;			/* v4 uses the first 4 bytes */
	uint32_t endpoint_tag;		/* hash of endpoint addr:port, checked
					 * on replies; free-list link when FREE */
	uint32_t last_seen_ms;		/* now_us / 1000, wrapping */
	uint16_t client_port;		/* network byte order */
	uint16_t local_port;		/* network byte order */
	uint16_t listener_id;
	uint16_t endpoint_index;
	uint8_t local_addr_index;	/* see mg_ct_local_addr() */
	uint8_t proto;			/* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t family;			/* AF_INET or AF_INET6 */
	uint8_t state;			/* enum mg_ct_state */
	uint8_t fins;			/* 1: client FIN seen, 2: endpoint FIN */
	uint8_t pad[3];
};

struct mg_ct;

/**
 * Create the connection table of one worker.
 * @return the table, or NULL with rte_errno EINVAL (bad parameters, or no
 *         local port of this worker in the range) or ENOMEM.
 */
struct mg_ct *mg_ct_create(const struct mg_ct_params *p);

/** Release a table (NULL is fine). */
void mg_ct_free(struct mg_ct *ct);

/**
 * Set the idle timeouts of listener @p listener_id (until set, a listener
 * has syn 10 s, established 900 s, closing 60 s, closed 10 s, udp 300 s).
 * Call from the lcore that owns @p ct (or before it runs).
 * @return 0, or -EINVAL (listener id >= MG_CT_MAX_LISTENERS, a timeout
 *         above MG_CT_TIMEOUT_MAX_S).
 */
int mg_ct_set_timeouts(struct mg_ct *ct, uint16_t listener_id,
		       const struct mg_ct_timeouts *t);

/**
 * Find the flow of a client packet and refresh its last-seen time.
 * A flow idle past its timeout but not yet swept is still found (and so
 * revived): it still holds its local port, so that is safe.
 * @return the flow, or NULL when the connection is not tracked.
 */
struct mg_flow *mg_ct_lookup_inbound(struct mg_ct *ct,
				     const struct mg_ip *client,
				     uint16_t client_port, uint16_t listener_id,
				     uint8_t proto, uint64_t now_us);

/**
 * Find the flow of a reply by its destination (local addr, port, proto)
 * through a direct index, then check that the packet comes from the
 * flow's endpoint: the flow keeps a 32-bit hash of the endpoint's
 * addr:port, so a spoofed source matches only by a 2^-32 chance. Refreshes
 * last-seen on a match.
 * @return the flow, or NULL: counted as REPLY_MISS (nothing there, a port
 *         of another worker, an unknown local address) or
 *         REPLY_WRONG_SOURCE.
 */
struct mg_flow *mg_ct_lookup_reply(struct mg_ct *ct,
				   const struct mg_ip *local_addr,
				   uint16_t local_port, uint8_t proto,
				   const struct mg_ip *endpoint_addr,
				   uint16_t endpoint_port, uint64_t now_us);

/**
 * Prefetching across a burst. A lookup costs two dependent cache misses
 * once the table outgrows the cache (hash slot, then flow entry; about 400
 * of the ~570 cycles per packet measured with a million flows). Calling
 * the first stage for every packet of a burst, then the second, then the
 * lookups, lets those misses overlap. The returned token feeds the second
 * stage; both stages only read, so a wrong guess costs nothing but time.
 */
uint32_t mg_ct_prefetch_inbound(const struct mg_ct *ct,
				const struct mg_ip *client, uint16_t client_port,
				uint16_t listener_id, uint8_t proto);
void mg_ct_prefetch_inbound_flow(const struct mg_ct *ct, uint32_t token);
uint32_t mg_ct_prefetch_reply(const struct mg_ct *ct,
			      const struct mg_ip *local_addr,
			      uint16_t local_port, uint8_t proto);
void mg_ct_prefetch_reply_flow(const struct mg_ct *ct, uint32_t token);

/**
 * Track a new connection to endpoint @p endpoint_index and give it a local
 * address of the endpoint's family and a local port owned by this worker
 * (port % n_workers == worker_index). Free ports are reused oldest-freed
 * first, which keeps a 4-tuple out of use for as long as possible.
 * TCP flows start in SYN_SENT (feed the first packet's flags to
 * mg_ct_tcp_update()), UDP flows in UDP.
 * @return the flow, or NULL with rte_errno (also counted in the stats):
 *         ENOSPC (TABLE_FULL), EADDRINUSE (NO_LOCAL_PORT, including "no
 *         local address of that family"), EEXIST (already tracked: look up
 *         first), EINVAL (proto not TCP/UDP, listener id out of range).
 */
struct mg_flow *mg_ct_create_flow(struct mg_ct *ct, const struct mg_ip *client,
				  uint16_t client_port, uint16_t listener_id,
				  uint8_t proto, uint16_t endpoint_index,
				  const struct mg_ip *endpoint_addr,
				  uint16_t endpoint_port, uint64_t now_us);

/**
 * Advance a TCP flow's state with the flags of one packet (no-op for UDP).
 * RST -> CLOSED; FIN -> CLOSING, FIN from both sides -> CLOSED; SYN-ACK from
 * the endpoint in SYN_SENT -> SYN_RECV; then an ACK from the client ->
 * ESTABLISHED; a client SYN on a CLOSING/CLOSED flow starts over in
 * SYN_SENT (same endpoint and local port).
 */
void mg_ct_tcp_update(struct mg_ct *ct, struct mg_flow *f, uint8_t tcp_flags,
		      bool from_client);

/** Stop tracking @p f now and release its local port. */
void mg_ct_remove(struct mg_ct *ct, struct mg_flow *f);

/**
 * Visit at most @p budget flow entries, continuing where the last call
 * stopped, and free those idle for at least their state's timeout
 * (releasing their local ports). The worker calls it every loop with a
 * small budget; entries beyond the highest ever used are not visited.
 * @return the number of flows freed.
 */
unsigned mg_ct_expire(struct mg_ct *ct, uint64_t now_us, unsigned budget);

/** Live flows. */
uint32_t mg_ct_count(const struct mg_ct *ct);

/** Live flows in @p state (0 for MG_CT_FREE or out of range). */
uint32_t mg_ct_count_state(const struct mg_ct *ct, enum mg_ct_state state);

/** Free local (addr, port) pairs for @p proto (TCP/UDP) and @p family. */
uint32_t mg_ct_free_ports(const struct mg_ct *ct, uint8_t proto,
			  uint8_t family);

const struct mg_ct_stats *mg_ct_stats(const struct mg_ct *ct);

/** Bytes held by the table (flows, hash slots, port index, the struct). */
size_t mg_ct_memory(const struct mg_ct *ct);

/** The local address with index @p index (a flow's local_addr_index). */
const struct mg_ip *mg_ct_local_addr(const struct mg_ct *ct, uint8_t index);

/** The client address of a flow. */
void mg_flow_client(const struct mg_flow *f, struct mg_ip *out);

/** The worker that owns local port @p local_port (HOST byte order). */
static inline uint32_t
mg_ct_port_owner(uint16_t local_port, uint32_t n_workers)
{
	return local_port % n_workers;
}

/* splitmix64 finaliser: a bijection on 64 bits with full avalanche. */
static inline uint64_t
mg_l4lb_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

#define MG_L4LB_FLOW_SEED 0x4d474c344c422d31ULL

/**
 * An endpoint's identity for Maglev (struct mg_lb_endpoint.key): where an
 * endpoint lands in the table depends on its address and port only, so a
 * restart or a reordered configuration gives it the same slots.
 */
static inline uint64_t
mg_l4lb_endpoint_key(const struct mg_ip *addr, uint16_t port)
{
	uint64_t h = mg_l4lb_mix64(((uint64_t)port << 8) | addr->family);

	for (int i = 0; i < (addr->family == AF_INET ? 1 : 4); i++)
		h = mg_l4lb_mix64(h ^ addr->v6w[i]);
	return h;
}

/**
 * The hash Maglev picks an endpoint with: client address, client port
 * (network order) and protocol, fixed seed, so every lcore and every
 * restart agrees. The listener is not in it: each listener has its own
 * table. For IPv4 it is a bijection, so two v4 flows never collide.
 */
static inline uint64_t
mg_l4lb_flow_hash(const struct mg_ip *client, uint16_t client_port,
		  uint8_t proto)
{
	uint64_t w = ((uint64_t)client_port << 16) | ((uint64_t)proto << 8) |
		client->family;

	if (client->family == AF_INET)
		return mg_l4lb_mix64(MG_L4LB_FLOW_SEED ^
				     ((uint64_t)client->v4 << 32) ^ w);
	{
		uint64_t lo, hi, h;

		memcpy(&lo, client->v6, 8);
		memcpy(&hi, client->v6 + 8, 8);
		h = mg_l4lb_mix64(MG_L4LB_FLOW_SEED ^ lo);
		h = mg_l4lb_mix64(h ^ hi);
		return mg_l4lb_mix64(h ^ w);
	}
}

/**
 * Rewrite a packet's addresses and ports in place for full-NAT, updating
 * the IPv4 header checksum and the TCP/UDP checksum incrementally
 * (RFC 1624), so the payload is never read.
 *
 * @param l3      IPv4 or IPv6 header (family AF_INET / AF_INET6).
 * @param l4      TCP or UDP header, or NULL to rewrite addresses only.
 * @param proto   IPPROTO_TCP or IPPROTO_UDP; other protocols get their
 *                addresses rewritten and @p l4 left alone.
 * @param new_src, new_dst  same family as the packet.
 * @param new_sport_be, new_dport_be  ports in network byte order.
 *
 * A UDP/IPv4 checksum of 0 (none) stays 0; a UDP result of 0 is sent as
 * 0xffff. With checksum offload the fields hold a pseudo-header sum and
 * must be recomputed instead.
 */
void mg_fnat_rewrite(void *l3, uint8_t family, void *l4, uint8_t proto,
		     const struct mg_ip *new_src, uint16_t new_sport_be,
		     const struct mg_ip *new_dst, uint16_t new_dport_be);

#endif /* MG_L4LB_H */
