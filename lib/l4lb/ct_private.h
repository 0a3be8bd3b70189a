/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_CT_PRIVATE_H
#define MG_CT_PRIVATE_H

/*
 * Layout of the per-lcore connection table. Bytes per flow, at capacity C
 * with A local addresses and P local ports owned by the worker:
 *
 *   flow entry (struct mg_flow)                 40
 *   hash slots: 2 per flow x 8 (sig, index)     16   (load <= 0.5)
 *   port index: 2 protos x A x P x 4 / C        A*P*8/C
 *
 * e.g. C = 1,000,000, A = 16, P = 64512 (one worker): 56 + 8.3 = 64.3
 * bytes per flow; 32 addresses: 72.5. tests/unit/l4lb checks <= 128.
 *
 * Hash table: linear probing over (sig, flow index) slots, deletion by
 * backward shift (no tombstones, so probe lengths do not grow with churn
 * from expiry). A slot's home is derived from its 32-bit signature, so
 * deletion never has to re-read flow entries to rehash keys.
 *
 * Port index: one uint32 per (proto, local addr, owned port): the flow
 * index when in use, else CT_PORT_FREE | next free entry, which threads a
 * FIFO free list per (proto, family) through the array itself.
 */

#include "mg_l4lb.h"

#define CT_EMPTY	UINT32_MAX	/* hash slot unused */
#define CT_NIL		UINT32_MAX	/* end of the flow free list */
#define CT_PORT_FREE	0x80000000u
#define CT_PORT_END	0x7fffffffu	/* end of a port free list */

struct ct_slot {
	uint32_t sig;
	uint32_t idx;
};

struct ct_port_list {
	uint32_t head, tail;		/* entry indexes, CT_PORT_END if empty */
	uint32_t count;
};

struct mg_ct {
	uint32_t capacity;
	uint32_t n_slots;
	uint32_t count;
	uint32_t free_head;		/* LIFO of free flows via endpoint_tag */
	uint32_t hwm;			/* flows [0, hwm) have been used */
	uint32_t sweep;			/* next flow mg_ct_expire() visits */
	struct mg_flow *flows;
	struct ct_slot *slots;

	uint32_t worker_index, n_workers;
	uint32_t first_port;		/* lowest port this worker owns */
	uint32_t n_ports;		/* ports it owns in the range */
	uint32_t n_local_addrs;
	struct mg_ip *local_addrs;
	uint32_t *ports;		/* [proto 2][addr][owned port] */
	uint32_t n_port_entries;
	struct ct_port_list port_lists[2][2];	/* [proto][family] */

	uint32_t state_count[MG_CT_N_STATES];
	uint32_t timeout_ms[MG_CT_MAX_LISTENERS][MG_CT_N_STATES];
	struct mg_ct_stats stats;
	size_t memory;
};

/* 0 for TCP, 1 for UDP, -1 otherwise. */
static inline int
ct_proto_index(uint8_t proto)
{
	return proto == IPPROTO_TCP ? 0 : proto == IPPROTO_UDP ? 1 : -1;
}

static inline int
ct_family_index(uint8_t family)
{
	return family == AF_INET ? 0 : family == AF_INET6 ? 1 : -1;
}

/* snat_ports.c */
void ct_ports_init(struct mg_ct *ct);
/* Take the oldest free (addr, port) for proto/family; CT_PORT_END if none. */
uint32_t ct_port_alloc(struct mg_ct *ct, int proto_i, int family_i);
/* Entry of (proto, addr, port host order), or CT_PORT_END when the port is
 * outside the range or owned by another worker. */
uint32_t ct_port_entry(const struct mg_ct *ct, int proto_i, uint32_t addr_i,
		       uint16_t port);
void ct_port_entry_decode(const struct mg_ct *ct, uint32_t entry,
			  uint32_t *addr_i, uint16_t *port);
void ct_port_release(struct mg_ct *ct, uint32_t entry);

#endif /* MG_CT_PRIVATE_H */
