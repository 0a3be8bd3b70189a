/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-lcore connection tracking for the L4 full-NAT path. Layout and the
 * bytes-per-flow budget are in ct_private.h.
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include <rte_prefetch.h>

#include "ct_private.h"

_Static_assert(sizeof(struct mg_flow) == 40, "flow entry grew: see ct_private.h");

#define CT_KEY_SEED	0x6d672d63742d6b31ULL
#define CT_EP_SEED	0x6d672d63742d6570ULL

const char *const mg_ct_state_names[MG_CT_N_STATES] = {
#define MG_CT_STATE_NAME(name, str) [MG_CT_##name] = str,
	MG_CT_STATES(MG_CT_STATE_NAME)
#undef MG_CT_STATE_NAME
};

const char *const mg_ct_error_names[MG_CT_ERR_MAX] = {
#define MG_CT_ERROR_NAME(name, str) [MG_CT_ERR_##name] = str,
	MG_CT_ERRORS(MG_CT_ERROR_NAME)
#undef MG_CT_ERROR_NAME
};

static const struct mg_ct_timeouts ct_default_timeouts = {
	.tcp_syn = 10, .tcp_established = 900, .tcp_closing = 60,
	.tcp_closed = 10, .udp = 300,
};

static uint64_t
ct_addr_hash(uint64_t seed, uint8_t family, const void *addr, uint64_t w)
{
	uint64_t lo, hi, h;

	if (family == AF_INET) {
		uint32_t v4;

		memcpy(&v4, addr, 4);
		return mg_l4lb_mix64(seed ^ ((uint64_t)v4 << 32) ^ w);
	}
	memcpy(&lo, addr, 8);
	memcpy(&hi, (const uint8_t *)addr + 8, 8);
	h = mg_l4lb_mix64(seed ^ lo);
	h = mg_l4lb_mix64(h ^ hi);
	return mg_l4lb_mix64(h ^ w);
}

static uint32_t
ct_key_sig(uint8_t family, const void *addr, uint16_t port,
	   uint16_t listener_id, uint8_t proto)
{
	uint64_t w = ((uint64_t)port << 16) | ((uint64_t)proto << 8) | family;

	w ^= (uint64_t)listener_id * 0x9e3779b97f4a7c15ULL;
	return (uint32_t)(ct_addr_hash(CT_KEY_SEED, family, addr, w) >> 32);
}

static uint32_t
ct_endpoint_tag(const struct mg_ip *ep, uint16_t port)
{
	uint64_t w = ((uint64_t)port << 16) | ep->family;

	return (uint32_t)ct_addr_hash(CT_EP_SEED, ep->family, ep->v6, w);
}

static inline uint32_t
ct_home(const struct mg_ct *ct, uint32_t sig)
{
	return (uint32_t)(((uint64_t)sig * ct->n_slots) >> 32);
}

static inline uint32_t
ct_next_slot(const struct mg_ct *ct, uint32_t i)
{
	return ++i == ct->n_slots ? 0 : i;
}

static inline uint32_t
ct_now_ms(uint64_t now_us)
{
	return (uint32_t)(now_us / 1000);
}

static bool
ct_key_eq(const struct mg_flow *f, uint8_t family, const void *addr,
	  uint16_t port, uint16_t listener_id, uint8_t proto)
{
	if (f->client_port != port || f->listener_id != listener_id ||
	    f->proto != proto || f->family != family)
		return false;
	if (family == AF_INET)
		return memcmp(f->client.v6, addr, 4) == 0;
	return memcmp(f->client.v6, addr, 16) == 0;
}

/*
 * Probe for a key. Returns the slot holding it, or CT_EMPTY with *empty
 * set to the first free slot of the probe sequence.
 */
static uint32_t
ct_find(const struct mg_ct *ct, uint32_t sig, uint8_t family,
	const void *addr, uint16_t port, uint16_t listener_id, uint8_t proto,
	uint32_t *empty)
{
	uint32_t i = ct_home(ct, sig);

	/* load <= 0.5, so an empty slot always ends the probe */
	for (;;) {
		const struct ct_slot *s = &ct->slots[i];

		if (s->idx == CT_EMPTY) {
			if (empty != NULL)
				*empty = i;
			return CT_EMPTY;
		}
		if (s->sig == sig && ct_key_eq(&ct->flows[s->idx], family,
					       addr, port, listener_id, proto))
			return i;
		i = ct_next_slot(ct, i);
	}
}

/* Linear-probing deletion by backward shift. */
static void
ct_slot_delete(struct mg_ct *ct, uint32_t i)
{
	uint32_t j = i, k;

	for (;;) {
		j = ct_next_slot(ct, j);
		if (ct->slots[j].idx == CT_EMPTY)
			break;
		k = ct_home(ct, ct->slots[j].sig);
		/* leave j where it is if its home lies cyclically in (i, j] */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		ct->slots[i] = ct->slots[j];
		i = j;
	}
	ct->slots[i].idx = CT_EMPTY;
}

static void
ct_set_state(struct mg_ct *ct, struct mg_flow *f, uint8_t state)
{
	ct->state_count[f->state]--;
	ct->state_count[state]++;
	f->state = state;
}

static void
ct_release(struct mg_ct *ct, struct mg_flow *f)
{
	uint32_t idx = (uint32_t)(f - ct->flows);
	uint32_t sig = ct_key_sig(f->family, f->client.v6, f->client_port,
				  f->listener_id, f->proto);
	uint32_t i = ct_home(ct, sig);
	uint32_t addr_i = f->local_addr_index;

	while (ct->slots[i].idx != idx)
		i = ct_next_slot(ct, i);
	ct_slot_delete(ct, i);
	ct_port_release(ct, ct_port_entry(ct, ct_proto_index(f->proto), addr_i,
					  rte_be_to_cpu_16(f->local_port)));
	ct->state_count[f->state]--;
	f->state = MG_CT_FREE;
	f->endpoint_tag = ct->free_head;
	ct->free_head = idx;
	ct->count--;
}

static int
ct_check_params(const struct mg_ct_params *p)
{
	uint32_t i;

	if (p == NULL || p->capacity == 0 || p->capacity > MG_CT_MAX_CAPACITY ||
	    p->n_workers == 0 || p->worker_index >= p->n_workers ||
	    p->port_min == 0 || p->port_min > p->port_max ||
	    p->n_local_addrs == 0 || p->n_local_addrs > MG_CT_MAX_LOCAL_ADDRS ||
	    p->local_addrs == NULL)
		return -EINVAL;
	for (i = 0; i < p->n_local_addrs; i++)
		if (ct_family_index(p->local_addrs[i].family) < 0)
			return -EINVAL;
	return 0;
}

struct mg_ct *
mg_ct_create(const struct mg_ct_params *p)
{
	struct mg_ct *ct;
	uint32_t i, first;
	uint64_t n_entries;

	if (ct_check_params(p) < 0) {
		rte_errno = EINVAL;
		return NULL;
	}
	/* lowest port >= port_min with port % n_workers == worker_index */
	first = p->port_min + (p->worker_index + p->n_workers -
			       p->port_min % p->n_workers) % p->n_workers;
	if (first > p->port_max) {
		rte_errno = EINVAL;
		return NULL;
	}
	ct = rte_zmalloc_socket("mg_ct", sizeof(*ct), RTE_CACHE_LINE_SIZE,
				p->socket);
	if (ct == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	ct->capacity = p->capacity;
	ct->n_slots = 2 * p->capacity;
	ct->worker_index = p->worker_index;
	ct->n_workers = p->n_workers;
	ct->first_port = first;
	ct->n_ports = (p->port_max - first) / p->n_workers + 1;
	ct->n_local_addrs = p->n_local_addrs;
	n_entries = 2ULL * ct->n_local_addrs * ct->n_ports;
	if (n_entries >= CT_PORT_END) {
		rte_errno = EINVAL;
		goto fail;
	}
	ct->n_port_entries = (uint32_t)n_entries;

	ct->flows = rte_malloc_socket("mg_ct_flows",
				      sizeof(struct mg_flow) * ct->capacity,
				      RTE_CACHE_LINE_SIZE, p->socket);
	ct->slots = rte_malloc_socket("mg_ct_slots",
				      sizeof(struct ct_slot) * ct->n_slots,
				      RTE_CACHE_LINE_SIZE, p->socket);
	ct->ports = rte_malloc_socket("mg_ct_ports",
				      sizeof(uint32_t) * ct->n_port_entries,
				      RTE_CACHE_LINE_SIZE, p->socket);
	ct->local_addrs = rte_zmalloc_socket("mg_ct_addrs",
				sizeof(struct mg_ip) * ct->n_local_addrs,
				RTE_CACHE_LINE_SIZE, p->socket);
	if (ct->flows == NULL || ct->slots == NULL || ct->ports == NULL ||
	    ct->local_addrs == NULL) {
		rte_errno = ENOMEM;
		goto fail;
	}
	memcpy(ct->local_addrs, p->local_addrs,
	       sizeof(struct mg_ip) * ct->n_local_addrs);

	memset(ct->flows, 0, sizeof(struct mg_flow) * ct->capacity);
	for (i = 0; i < ct->capacity; i++)
		ct->flows[i].endpoint_tag = i + 1 < ct->capacity ? i + 1 : CT_NIL;
	ct->free_head = 0;
	for (i = 0; i < ct->n_slots; i++)
		ct->slots[i] = (struct ct_slot){ .sig = 0, .idx = CT_EMPTY };
	ct_ports_init(ct);
	for (i = 0; i < MG_CT_MAX_LISTENERS; i++)
		mg_ct_set_timeouts(ct, (uint16_t)i, &ct_default_timeouts);

	ct->memory = sizeof(*ct) +
		sizeof(struct mg_flow) * (size_t)ct->capacity +
		sizeof(struct ct_slot) * (size_t)ct->n_slots +
		sizeof(uint32_t) * (size_t)ct->n_port_entries +
		sizeof(struct mg_ip) * ct->n_local_addrs;
	return ct;
fail:
	mg_ct_free(ct);
	return NULL;
}

void
mg_ct_free(struct mg_ct *ct)
{
	if (ct == NULL)
		return;
	rte_free(ct->flows);
	rte_free(ct->slots);
	rte_free(ct->ports);
	rte_free(ct->local_addrs);
	rte_free(ct);
}

int
mg_ct_set_timeouts(struct mg_ct *ct, uint16_t listener_id,
		   const struct mg_ct_timeouts *t)
{
	uint32_t *ms;

	if (listener_id >= MG_CT_MAX_LISTENERS || t == NULL ||
	    t->tcp_syn > MG_CT_TIMEOUT_MAX_S ||
	    t->tcp_established > MG_CT_TIMEOUT_MAX_S ||
	    t->tcp_closing > MG_CT_TIMEOUT_MAX_S ||
	    t->tcp_closed > MG_CT_TIMEOUT_MAX_S || t->udp > MG_CT_TIMEOUT_MAX_S)
		return -EINVAL;
	ms = ct->timeout_ms[listener_id];
	ms[MG_CT_FREE] = 0;
	ms[MG_CT_SYN_SENT] = t->tcp_syn * 1000;
	ms[MG_CT_SYN_RECV] = t->tcp_syn * 1000;
	ms[MG_CT_ESTABLISHED] = t->tcp_established * 1000;
	ms[MG_CT_CLOSING] = t->tcp_closing * 1000;
	ms[MG_CT_CLOSED] = t->tcp_closed * 1000;
	ms[MG_CT_UDP] = t->udp * 1000;
	return 0;
}

struct mg_flow *
mg_ct_lookup_inbound(struct mg_ct *ct, const struct mg_ip *client,
		     uint16_t client_port, uint16_t listener_id, uint8_t proto,
		     uint64_t now_us)
{
	uint32_t sig = ct_key_sig(client->family, client->v6, client_port,
				  listener_id, proto);
	uint32_t i = ct_find(ct, sig, client->family, client->v6, client_port,
			     listener_id, proto, NULL);
	struct mg_flow *f;

	if (i == CT_EMPTY)
		return NULL;
	f = &ct->flows[ct->slots[i].idx];
	f->last_seen_ms = ct_now_ms(now_us);
	return f;
}

uint32_t
mg_ct_prefetch_inbound(const struct mg_ct *ct, const struct mg_ip *client,
		       uint16_t client_port, uint16_t listener_id, uint8_t proto)
{
	uint32_t sig = ct_key_sig(client->family, client->v6, client_port,
				  listener_id, proto);

	rte_prefetch0(&ct->slots[ct_home(ct, sig)]);
	return sig;
}

void
mg_ct_prefetch_inbound_flow(const struct mg_ct *ct, uint32_t token)
{
	const struct ct_slot *s = &ct->slots[ct_home(ct, token)];

	/* The home slot holds the flow in all but a collision's case. */
	if (s->idx != CT_EMPTY)
		rte_prefetch0(&ct->flows[s->idx]);
}

static int
ct_local_addr_index(const struct mg_ct *ct, const struct mg_ip *a)
{
	uint32_t i;

	/* a handful of addresses: a scan beats hashing */
	for (i = 0; i < ct->n_local_addrs; i++)
		if (mg_ip_eq(&ct->local_addrs[i], a))
			return (int)i;
	return -1;
}

struct mg_flow *
mg_ct_lookup_reply(struct mg_ct *ct, const struct mg_ip *local_addr,
		   uint16_t local_port, uint8_t proto,
		   const struct mg_ip *endpoint_addr, uint16_t endpoint_port,
		   uint64_t now_us)
{
	int proto_i = ct_proto_index(proto);
	int addr_i = ct_local_addr_index(ct, local_addr);
	uint32_t e, v;
	struct mg_flow *f;

	if (proto_i < 0 || addr_i < 0)
		goto miss;
	e = ct_port_entry(ct, proto_i, (uint32_t)addr_i,
			  rte_be_to_cpu_16(local_port));
	if (e == CT_PORT_END)
		goto miss;
	v = ct->ports[e];
	if (v & CT_PORT_FREE)
		goto miss;
	f = &ct->flows[v];
	if (f->endpoint_tag != ct_endpoint_tag(endpoint_addr, endpoint_port)) {
		ct->stats.errors[MG_CT_ERR_REPLY_WRONG_SOURCE]++;
		return NULL;
	}
	f->last_seen_ms = ct_now_ms(now_us);
	return f;
miss:
	ct->stats.errors[MG_CT_ERR_REPLY_MISS]++;
	return NULL;
}

uint32_t
mg_ct_prefetch_reply(const struct mg_ct *ct, const struct mg_ip *local_addr,
		     uint16_t local_port, uint8_t proto)
{
	int proto_i = ct_proto_index(proto);
	int addr_i = ct_local_addr_index(ct, local_addr);
	uint32_t e;

	if (proto_i < 0 || addr_i < 0)
		return CT_PORT_END;
	e = ct_port_entry(ct, proto_i, (uint32_t)addr_i,
			  rte_be_to_cpu_16(local_port));
	if (e != CT_PORT_END)
		rte_prefetch0(&ct->ports[e]);
	return e;
}

void
mg_ct_prefetch_reply_flow(const struct mg_ct *ct, uint32_t token)
{
	uint32_t v;

	if (token == CT_PORT_END)
		return;
	v = ct->ports[token];
	if (!(v & CT_PORT_FREE))
		rte_prefetch0(&ct->flows[v]);
}

static struct mg_flow *
ct_fail(struct mg_ct *ct, enum mg_ct_error why, int err)
{
	ct->stats.errors[why]++;
	rte_errno = err;
	return NULL;
}

struct mg_flow *
mg_ct_create_flow(struct mg_ct *ct, const struct mg_ip *client,
		  uint16_t client_port, uint16_t listener_id, uint8_t proto,
		  uint16_t endpoint_index, const struct mg_ip *endpoint_addr,
		  uint16_t endpoint_port, uint64_t now_us)
{
	int proto_i = ct_proto_index(proto);
	int family_i = ct_family_index(endpoint_addr->family);
	uint32_t sig, slot, entry, idx, addr_i;
	uint16_t port;
	struct mg_flow *f;

	if (proto_i < 0 || family_i < 0 || listener_id >= MG_CT_MAX_LISTENERS ||
	    ct_family_index(client->family) < 0)
		return ct_fail(ct, MG_CT_ERR_BAD_ARG, EINVAL);
	if (ct->count >= ct->capacity)
		return ct_fail(ct, MG_CT_ERR_TABLE_FULL, ENOSPC);
	sig = ct_key_sig(client->family, client->v6, client_port, listener_id,
			 proto);
	if (ct_find(ct, sig, client->family, client->v6, client_port,
		    listener_id, proto, &slot) != CT_EMPTY)
		return ct_fail(ct, MG_CT_ERR_EXISTS, EEXIST);
	entry = ct_port_alloc(ct, proto_i, family_i);
	if (entry == CT_PORT_END)
		return ct_fail(ct, MG_CT_ERR_NO_LOCAL_PORT, EADDRINUSE);
	ct_port_entry_decode(ct, entry, &addr_i, &port);

	idx = ct->free_head;
	f = &ct->flows[idx];
	ct->free_head = f->endpoint_tag;
	if (idx >= ct->hwm)
		ct->hwm = idx + 1;

	memset(f, 0, sizeof(*f));
	memcpy(f->client.v6, client->v6, client->family == AF_INET ? 4 : 16);
	f->endpoint_tag = ct_endpoint_tag(endpoint_addr, endpoint_port);
	f->last_seen_ms = ct_now_ms(now_us);
	f->client_port = client_port;
	f->local_port = rte_cpu_to_be_16(port);
	f->listener_id = listener_id;
	f->endpoint_index = endpoint_index;
	f->local_addr_index = (uint8_t)addr_i;
	f->proto = proto;
	f->family = client->family;
	f->state = proto == IPPROTO_TCP ? MG_CT_SYN_SENT : MG_CT_UDP;

	ct->ports[entry] = idx;
	ct->slots[slot] = (struct ct_slot){ .sig = sig, .idx = idx };
	ct->state_count[f->state]++;
	ct->count++;
	ct->stats.created++;
	return f;
}

void
mg_ct_tcp_update(struct mg_ct *ct, struct mg_flow *f, uint8_t flags,
		 bool from_client)
{
	uint8_t state = f->state;

	if (f->proto != IPPROTO_TCP)
		return;
	if (flags & MG_TCP_RST) {
		state = MG_CT_CLOSED;
	} else if (flags & MG_TCP_SYN) {
		if (from_client && !(flags & MG_TCP_ACK) &&
		    (state == MG_CT_CLOSING || state == MG_CT_CLOSED)) {
			/* the client reuses its port for a new connection */
			state = MG_CT_SYN_SENT;
			f->fins = 0;
		} else if (!from_client && (flags & MG_TCP_ACK) &&
			   state == MG_CT_SYN_SENT) {
			state = MG_CT_SYN_RECV;
		}
	} else if (flags & MG_TCP_FIN) {
		if (state != MG_CT_CLOSED) {
			f->fins |= from_client ? 1 : 2;
			state = f->fins == 3 ? MG_CT_CLOSED : MG_CT_CLOSING;
		}
	} else if ((flags & MG_TCP_ACK) && from_client &&
		   state == MG_CT_SYN_RECV) {
		state = MG_CT_ESTABLISHED;
	}
	if (state != f->state)
		ct_set_state(ct, f, state);
}

void
mg_ct_remove(struct mg_ct *ct, struct mg_flow *f)
{
	if (f->state == MG_CT_FREE)
		return;
	ct_release(ct, f);
	ct->stats.removed++;
}

unsigned
mg_ct_expire(struct mg_ct *ct, uint64_t now_us, unsigned budget)
{
	uint32_t now = ct_now_ms(now_us);
	unsigned freed = 0;

	if (budget > ct->hwm)
		budget = ct->hwm;
	while (budget-- > 0) {
		struct mg_flow *f;

		if (ct->sweep >= ct->hwm)
			ct->sweep = 0;
		f = &ct->flows[ct->sweep++];
		if (f->state == MG_CT_FREE)
			continue;
		/* unsigned difference: correct across the 49-day wrap */
		if (now - f->last_seen_ms >=
		    ct->timeout_ms[f->listener_id][f->state]) {
			ct_release(ct, f);
			freed++;
		}
	}
	ct->stats.expired += freed;
	return freed;
}

uint32_t
mg_ct_count(const struct mg_ct *ct)
{
	return ct->count;
}

uint32_t
mg_ct_count_state(const struct mg_ct *ct, enum mg_ct_state state)
{
	if (state <= MG_CT_FREE || state >= MG_CT_N_STATES)
		return 0;
	return ct->state_count[state];
}

uint32_t
mg_ct_free_ports(const struct mg_ct *ct, uint8_t proto, uint8_t family)
{
	int p = ct_proto_index(proto), f = ct_family_index(family);

	if (p < 0 || f < 0)
		return 0;
	return ct->port_lists[p][f].count;
}

const struct mg_ct_stats *
mg_ct_stats(const struct mg_ct *ct)
{
	return &ct->stats;
}

size_t
mg_ct_memory(const struct mg_ct *ct)
{
	return ct->memory;
}

const struct mg_ip *
mg_ct_local_addr(const struct mg_ct *ct, uint8_t index)
{
	return index < ct->n_local_addrs ? &ct->local_addrs[index] : NULL;
}

void
mg_flow_client(const struct mg_flow *f, struct mg_ip *out)
{
	memset(out, 0, sizeof(*out));
	out->family = f->family;
	memcpy(out->v6, f->client.v6, f->family == AF_INET ? 4 : 16);
}
