/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_seqcount.h>

#include "mg_neigh.h"

/*
 * One slot per cache line: readers copy ip/state/mac under the slot's
 * sequence counter; the timing fields are the writer's alone.
 */
struct neigh_entry {
	rte_seqcount_t sc;
	uint8_t state;
	uint8_t probes;
	struct mg_ip ip;		/* family 0: never used */
	struct rte_ether_addr mac;
	uint64_t since_us;		/* last state change or confirmation */
	uint64_t next_us;		/* next probe due */
} __rte_cache_aligned;

struct mg_neigh_table {
	uint32_t mask;
	uint32_t max_dist;		/* longest probe distance ever used */
	struct mg_neigh_params params;
	struct mg_neigh_stats stats;
	struct neigh_entry e[];
};

static const char *const state_names[MG_NEIGH_STATE_MAX] = {
#define MG_NEIGH_STATE_NAME(name, str) [MG_NEIGH_##name] = str,
	MG_NEIGH_STATES(MG_NEIGH_STATE_NAME)
#undef MG_NEIGH_STATE_NAME
};

const char *
mg_neigh_state_name(enum mg_neigh_state s)
{
	return (unsigned)s < MG_NEIGH_STATE_MAX ? state_names[s] : "?";
}

static inline uint32_t
neigh_hash(const struct mg_ip *ip)
{
	uint32_t h;

	if (ip->family == AF_INET)
		return rte_hash_crc_4byte(ip->v4, 0x4e1);
	/* 32-bit steps: struct mg_ip only guarantees 4-byte alignment. */
	h = rte_hash_crc_4byte(ip->v6w[0], 0x6e1);
	h = rte_hash_crc_4byte(ip->v6w[1], h);
	h = rte_hash_crc_4byte(ip->v6w[2], h);
	return rte_hash_crc_4byte(ip->v6w[3], h);
}

static inline bool
usable(uint8_t state)
{
	return state == MG_NEIGH_REACHABLE || state == MG_NEIGH_STALE ||
	       state == MG_NEIGH_PROBE || state == MG_NEIGH_PERMANENT;
}

struct mg_neigh_table *
mg_neigh_create(uint32_t capacity, int socket)
{
	struct mg_neigh_table *t;
	uint32_t i;

	if (capacity < 8 || capacity > (1u << 22) || !rte_is_power_of_2(capacity)) {
		rte_errno = EINVAL;
		return NULL;
	}
	t = rte_zmalloc_socket("mg_neigh", sizeof(*t) +
			       (size_t)capacity * sizeof(struct neigh_entry),
			       RTE_CACHE_LINE_SIZE, socket);
	if (t == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	t->mask = capacity - 1;
	t->params = (struct mg_neigh_params){ .reachable_ms = 30000,
		.delay_ms = 5000, .retrans_ms = 1000, .max_probes = 3 };
	t->stats.capacity = capacity;
	for (i = 0; i < capacity; i++)
		rte_seqcount_init(&t->e[i].sc);
	return t;
}

void
mg_neigh_free(struct mg_neigh_table *tbl)
{
	rte_free(tbl);
}

void
mg_neigh_set_params(struct mg_neigh_table *tbl, const struct mg_neigh_params *p)
{
	if (p->reachable_ms)
		tbl->params.reachable_ms = p->reachable_ms;
	if (p->delay_ms)
		tbl->params.delay_ms = p->delay_ms;
	if (p->retrans_ms)
		tbl->params.retrans_ms = p->retrans_ms;
	if (p->max_probes)
		tbl->params.max_probes = p->max_probes;
}

int
mg_neigh_lookup(const struct mg_neigh_table *tbl, const struct mg_ip *ip,
		struct rte_ether_addr *mac)
{
	uint32_t i = neigh_hash(ip) & tbl->mask;
	uint32_t d, max = __atomic_load_n(&tbl->max_dist, __ATOMIC_RELAXED);

	for (d = 0; d <= max; d++, i = (i + 1) & tbl->mask) {
		const struct neigh_entry *e = &tbl->e[i];
		struct rte_ether_addr m;
		struct mg_ip key;
		uint32_t sn;
		uint8_t state;

		do {
			sn = rte_seqcount_read_begin(&e->sc);
			key = e->ip;
			state = e->state;
			m = e->mac;
		} while (rte_seqcount_read_retry(&e->sc, sn));
		if (key.family == 0)
			return -ENOENT;
		if (mg_ip_eq(&key, ip)) {
			if (!usable(state))
				return -ENOENT;
			*mac = m;
			return 0;
		}
	}
	return -ENOENT;
}

/*
 * Writer side. Find @p ip's slot; when absent, *free gets the slot to take
 * (the first FAILED one on the chain, else the empty one ending it) or
 * NULL when the table is full.
 */
static struct neigh_entry *
neigh_find(struct mg_neigh_table *t, const struct mg_ip *ip,
	   struct neigh_entry **free, uint32_t *free_dist)
{
	uint32_t i = neigh_hash(ip) & t->mask, d;

	*free = NULL;
	for (d = 0; d <= t->mask; d++, i = (i + 1) & t->mask) {
		struct neigh_entry *e = &t->e[i];

		if (e->ip.family == 0) {
			if (*free == NULL) {
				*free = e;
				*free_dist = d;
			}
			return NULL;
		}
		if (mg_ip_eq(&e->ip, ip))
			return e;
		if (e->state == MG_NEIGH_FAILED && *free == NULL) {
			*free = e;
			*free_dist = d;
		}
	}
	return NULL;
}

static void
neigh_set(struct neigh_entry *e, const struct mg_ip *ip, uint8_t state,
	  const struct rte_ether_addr *mac)
{
	rte_seqcount_write_begin(&e->sc);
	if (ip != NULL)
		e->ip = *ip;
	e->state = state;
	if (mac != NULL)
		e->mac = *mac;
	rte_seqcount_write_end(&e->sc);
}

/* Take slot @p e (from neigh_find; NULL: the table is full) for @p ip. */
static struct neigh_entry *
neigh_take(struct mg_neigh_table *t, struct neigh_entry *e, uint32_t dist,
	   const struct mg_ip *ip, uint8_t state,
	   const struct rte_ether_addr *mac, uint64_t now_us)
{
	if (e == NULL) {
		t->stats.refused_full++;
		return NULL;
	}
	if (e->ip.family == 0)
		t->stats.slots_used++;
	if (dist > t->max_dist)
		__atomic_store_n(&t->max_dist, dist, __ATOMIC_RELAXED);
	neigh_set(e, ip, state, mac);
	e->probes = 0;
	e->since_us = now_us;
	e->next_us = now_us;
	return e;
}

static void
neigh_refresh(struct neigh_entry *e, const struct rte_ether_addr *mac,
	      uint64_t now_us, bool confirmed)
{
	/* A forged ARP reply must not redirect a configured neighbour. */
	if (e->state == MG_NEIGH_PERMANENT)
		return;
	if (confirmed) {
		neigh_set(e, NULL, MG_NEIGH_REACHABLE, mac);
	} else if (e->state == MG_NEIGH_INCOMPLETE ||
		   !rte_is_same_ether_addr(&e->mac, mac)) {
		neigh_set(e, NULL, MG_NEIGH_STALE, mac);
	} else {
		return;
	}
	e->probes = 0;
	e->since_us = now_us;
}

static bool
family_ok(const struct mg_ip *ip)
{
	return ip->family == AF_INET || ip->family == AF_INET6;
}

int
mg_neigh_learn(struct mg_neigh_table *tbl, const struct mg_ip *ip,
	       const struct rte_ether_addr *mac, uint64_t now_us,
	       bool solicited_or_confirmed)
{
	uint8_t state = solicited_or_confirmed ? MG_NEIGH_REACHABLE : MG_NEIGH_STALE;
	struct neigh_entry *e, *free;
	uint32_t dist = 0;

	if (!family_ok(ip))
		return -EINVAL;
	e = neigh_find(tbl, ip, &free, &dist);
	if (e != NULL && e->state != MG_NEIGH_FAILED) {
		neigh_refresh(e, mac, now_us, solicited_or_confirmed);
		return 0;
	}
	if (e == NULL) {
		if (neigh_take(tbl, free, dist, ip, state, mac, now_us) == NULL)
			return -ENOSPC;
	} else {
		neigh_set(e, NULL, state, mac);
		e->probes = 0;
		e->since_us = now_us;
	}
	tbl->stats.learned++;
	return 0;
}

int
mg_neigh_add_static(struct mg_neigh_table *tbl, const struct mg_ip *ip,
		    const struct rte_ether_addr *mac)
{
	struct neigh_entry *e, *free;
	uint32_t dist = 0;

	if (!family_ok(ip) || mac == NULL || !rte_is_unicast_ether_addr(mac) ||
	    rte_is_zero_ether_addr(mac))
		return -EINVAL;
	e = neigh_find(tbl, ip, &free, &dist);
	if (e == NULL)
		return neigh_take(tbl, free, dist, ip, MG_NEIGH_PERMANENT, mac, 0)
			? 0 : -ENOSPC;
	neigh_set(e, NULL, MG_NEIGH_PERMANENT, mac);
	e->probes = 0;
	e->since_us = 0;
	return 0;
}

int
mg_neigh_update(struct mg_neigh_table *tbl, const struct mg_ip *ip,
		const struct rte_ether_addr *mac, uint64_t now_us,
		bool solicited_or_confirmed)
{
	struct neigh_entry *e, *free;
	uint32_t dist;

	if (!family_ok(ip))
		return -EINVAL;
	e = neigh_find(tbl, ip, &free, &dist);
	if (e == NULL || e->state == MG_NEIGH_FAILED)
		return -ENOENT;
	neigh_refresh(e, mac, now_us, solicited_or_confirmed);
	return 0;
}

int
mg_neigh_apply(struct mg_neigh_table *tbl, const struct mg_neigh_learn *l,
	       uint64_t now_us)
{
	switch (l->mode) {
	case MG_NEIGH_LEARN_CREATE:
		return mg_neigh_learn(tbl, &l->ip, &l->mac, now_us, l->confirmed);
	case MG_NEIGH_LEARN_UPDATE:
		return mg_neigh_update(tbl, &l->ip, &l->mac, now_us, l->confirmed);
	default:
		return 0;
	}
}

int
mg_neigh_request(struct mg_neigh_table *tbl, const struct mg_ip *ip,
		 uint64_t now_us)
{
	struct neigh_entry *e, *free;
	uint32_t dist = 0;

	if (!family_ok(ip))
		return -EINVAL;
	e = neigh_find(tbl, ip, &free, &dist);
	if (e == NULL)
		return neigh_take(tbl, free, dist, ip, MG_NEIGH_INCOMPLETE, NULL,
				  now_us) ? 0 : -ENOSPC;
	if (e->state != MG_NEIGH_FAILED)
		return 0;
	/* Hold-down: missing workers must not turn into a probe storm. */
	if (now_us - e->since_us < tbl->params.retrans_ms * 1000ull)
		return -EHOSTUNREACH;
	neigh_set(e, NULL, MG_NEIGH_INCOMPLETE, NULL);
	e->probes = 0;
	e->since_us = now_us;
	e->next_us = now_us;
	return 0;
}

int
mg_neigh_remove(struct mg_neigh_table *tbl, const struct mg_ip *ip,
		uint64_t now_us)
{
	struct neigh_entry *e, *free;
	uint32_t dist;

	if (!family_ok(ip))
		return -EINVAL;
	e = neigh_find(tbl, ip, &free, &dist);
	if (e == NULL || e->state == MG_NEIGH_FAILED)
		return -ENOENT;
	neigh_set(e, NULL, MG_NEIGH_FAILED, NULL);
	e->since_us = now_us;
	return 0;
}

static void
neigh_probe(struct mg_neigh_table *t, struct neigh_entry *e, uint64_t now_us,
	    mg_neigh_probe_fn probe, void *arg)
{
	if (now_us < e->next_us)
		return;
	if (e->probes >= t->params.max_probes) {
		neigh_set(e, NULL, MG_NEIGH_FAILED, NULL);
		e->since_us = now_us;
		t->stats.failed++;
		return;
	}
	e->probes++;
	e->next_us = now_us + t->params.retrans_ms * 1000ull;
	t->stats.probes++;
	if (probe != NULL)
		probe(&e->ip, e->state == MG_NEIGH_PROBE ? &e->mac : NULL, arg);
}

void
mg_neigh_age(struct mg_neigh_table *tbl, uint64_t now_us,
	     mg_neigh_probe_fn probe, void *arg)
{
	const struct mg_neigh_params *p = &tbl->params;
	uint32_t i;

	for (i = 0; i <= tbl->mask; i++) {
		struct neigh_entry *e = &tbl->e[i];
		uint64_t age = now_us - e->since_us;

		switch (e->state) {
		case MG_NEIGH_REACHABLE:
			if (age >= p->reachable_ms * 1000ull) {
				neigh_set(e, NULL, MG_NEIGH_STALE, NULL);
				e->since_us = now_us;
			}
			break;
		case MG_NEIGH_STALE:
			if (age >= p->delay_ms * 1000ull) {
				neigh_set(e, NULL, MG_NEIGH_PROBE, NULL);
				e->since_us = now_us;
				e->probes = 0;
				e->next_us = now_us;
				neigh_probe(tbl, e, now_us, probe, arg);
			}
			break;
		case MG_NEIGH_INCOMPLETE:
		case MG_NEIGH_PROBE:
			neigh_probe(tbl, e, now_us, probe, arg);
			break;
		default:
			break;
		}
	}
}

void
mg_neigh_foreach(const struct mg_neigh_table *tbl, uint64_t now_us,
		 mg_neigh_entry_fn fn, void *arg)
{
	uint32_t i;

	for (i = 0; i <= tbl->mask; i++) {
		const struct neigh_entry *e = &tbl->e[i];

		if (e->ip.family == 0)
			continue;
		fn(&e->ip, &e->mac, mg_neigh_state_name(e->state),
		   now_us >= e->since_us ? (now_us - e->since_us) / 1000 : 0, arg);
	}
}

void
mg_neigh_stats_get(const struct mg_neigh_table *tbl, struct mg_neigh_stats *st)
{
	uint32_t i;

	*st = tbl->stats;
	st->entries = 0;
	st->permanent = 0;
	for (i = 0; i <= tbl->mask; i++) {
		if (tbl->e[i].ip.family != 0 && tbl->e[i].state != MG_NEIGH_FAILED)
			st->entries++;
		if (tbl->e[i].state == MG_NEIGH_PERMANENT)
			st->permanent++;
	}
}
