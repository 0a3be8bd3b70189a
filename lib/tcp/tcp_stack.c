/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A stack instance: the connection table, listeners, the pools taken at
 * creation (connections, SACK scoreboards), ISN and timestamp secrets, and
 * the counters.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_mbuf_dyn.h>
#include <rte_tcp.h>

#include "mg_net.h"
#include "tcp_private.h"

const char *const mg_tcp_error_names[MG_TCP_ERR_MAX] = {
#define X(n, s) [MG_TCP_ERR_##n] = s,
	MG_TCP_ERRORS(X)
#undef X
};

const char *const mg_tcp_state_names[MG_TCP_N_STATES] = {
#define X(n, s) [MG_TCP_##n] = s,
	MG_TCP_STATES(X)
#undef X
};

static inline uint64_t
mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

static uint64_t
ip_fold(const struct mg_ip *a)
{
	if (a->family == AF_INET)
		return a->v4;
	return ((uint64_t)a->v6w[0] << 32 | a->v6w[1]) ^
	       mix64((uint64_t)a->v6w[2] << 32 | a->v6w[3]);
}

static uint64_t
tuple_mix(uint64_t key, const struct mg_ip *la, uint16_t lp,
	  const struct mg_ip *ra, uint16_t rp)
{
	uint64_t h = key;

	h = mix64(h ^ ip_fold(la));
	h = mix64(h ^ ip_fold(ra));
	return mix64(h ^ ((uint64_t)lp << 16 | rp));
}

uint32_t
tcp_tuple_hash(const struct mg_tcp_stack *s, const struct mg_ip *la,
	       uint16_t lp, const struct mg_ip *ra, uint16_t rp)
{
	return (uint32_t)tuple_mix(s->secret[0] ^ 0x5bd1e995ull, la, lp, ra, rp);
}

/* RFC 6528: a 4 us clock plus a keyed hash of the connection. */
uint32_t
tcp_new_isn(struct mg_tcp_stack *s, const struct mg_ip *la, uint16_t lp,
	    const struct mg_ip *ra, uint16_t rp, uint64_t now_us)
{
	return (uint32_t)(now_us / 4) +
	       (uint32_t)tuple_mix(s->secret[1], la, lp, ra, rp);
}

/* RFC 7323 5.4: a per-connection timestamp offset. Fixed for a 4-tuple,
 * so that a new incarnation's TSvals follow the old one's (reuse of
 * TIME-WAIT) and a SYN-cookie connection can be rebuilt. */
uint32_t
tcp_ts_offset(struct mg_tcp_stack *s, const struct mg_ip *la, uint16_t lp,
	      const struct mg_ip *ra, uint16_t rp)
{
	return (uint32_t)(tuple_mix(s->secret[1] ^ 0x7473ull, la, lp, ra, rp) >> 32);
}

struct mg_tcp_conn *
tcp_conn_lookup(struct mg_tcp_stack *s, const struct mg_ip *la, uint16_t lp,
		const struct mg_ip *ra, uint16_t rp)
{
	struct mg_tcp_conn *c;

	c = s->htab[tcp_tuple_hash(s, la, lp, ra, rp) & s->hmask];
	for (; c != NULL; c = c->hnext)
		if (c->lport == lp && c->rport == rp && mg_ip_eq(&c->raddr, ra) &&
		    mg_ip_eq(&c->laddr, la))
			return c;
	return NULL;
}

void
tcp_hash_insert(struct mg_tcp_stack *s, struct mg_tcp_conn *c)
{
	struct mg_tcp_conn **b = &s->htab[tcp_tuple_hash(s, &c->laddr, c->lport,
					  &c->raddr, c->rport) & s->hmask];

	c->hnext = *b;
	*b = c;
	c->flags |= TF_HASHED;
}

void
tcp_hash_remove(struct mg_tcp_stack *s, struct mg_tcp_conn *c)
{
	struct mg_tcp_conn **b;

	if (!(c->flags & TF_HASHED))
		return;
	b = &s->htab[tcp_tuple_hash(s, &c->laddr, c->lport, &c->raddr,
				    c->rport) & s->hmask];
	for (; *b != NULL; b = &(*b)->hnext)
		if (*b == c) {
			*b = c->hnext;
			break;
		}
	c->hnext = NULL;
	c->flags &= ~TF_HASHED;
}

static bool
ip_is_any(const struct mg_ip *a)
{
	if (a->family == 0)
		return true;
	if (a->family == AF_INET)
		return a->v4 == 0;
	return (a->v6w[0] | a->v6w[1] | a->v6w[2] | a->v6w[3]) == 0;
}

struct mg_tcp_listener *
tcp_listener_find(struct mg_tcp_stack *s, const struct mg_ip *a, uint16_t port)
{
	struct mg_tcp_listener *l, *any = NULL;

	for (l = s->listeners; l != NULL; l = l->next) {
		if (l->port != port)
			continue;
		if (mg_ip_eq(&l->addr, a))
			return l;
		if (ip_is_any(&l->addr) &&
		    (l->addr.family == 0 || l->addr.family == a->family))
			any = l;
	}
	return any;
}

struct mg_tcp_scoreboard *
tcp_sb_get(struct mg_tcp_stack *s)
{
	struct mg_tcp_scoreboard *sb;

	if (s->n_free_sbs == 0)
		return NULL;
	sb = s->free_sbs[--s->n_free_sbs];
	memset(sb, 0, sizeof(*sb));
	return sb;
}

void
tcp_sb_put(struct mg_tcp_stack *s, struct mg_tcp_scoreboard *sb)
{
	s->free_sbs[s->n_free_sbs++] = sb;
}

void
tcp_enter(struct mg_tcp_stack *s)
{
	s->depth++;
}

/* Connections released inside callbacks go back to the pool only when no
 * call of the stack is under way, so that no caller holds a stale one. */
void
tcp_leave(struct mg_tcp_stack *s)
{
	struct mg_tcp_conn *c;

	if (--s->depth > 0)
		return;
	while ((c = s->dead) != NULL) {
		s->dead = c->hnext;
		memset(c, 0, sizeof(*c));
		c->hnext = s->free_conns;
		s->free_conns = c;
	}
}

static uint32_t
pow2_at_least(uint32_t n)
{
	uint32_t p = 1;

	while (p < n && p < (1u << 30))
		p <<= 1;
	return p;
}

struct mg_tcp_stack *
mg_tcp_stack_create(const struct mg_tcp_stack_params *p)
{
	static const struct rte_mbuf_dynfield seq_field = {
		.name = "mg_tcp_reass",
		.size = sizeof(struct tcp_reass_field),
		.align = __alignof__(struct tcp_reass_field),
	};
	struct mg_tcp_stack *s;
	uint32_t i, n_sbs;

	if (p == NULL || p->pool == NULL || p->xmit == NULL ||
	    (p->n_workers > 0 && p->worker_index >= p->n_workers) ||
	    p->port_min > p->port_max || (p->mtu != 0 && p->mtu < 576)) {
		rte_errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		goto nomem;
	s->p = *p;
	if (s->p.n_workers == 0)
		s->p.n_workers = 1;
	if (s->p.max_conns == 0)
		s->p.max_conns = 1024;
	if (s->p.max_memory == 0)
		s->p.max_memory = UINT32_MAX;
	if (s->p.mtu == 0)
		s->p.mtu = 1500;
	if (s->p.time_wait_ms == 0)
		s->p.time_wait_ms = 60000;
	if (s->p.challenge_ack_limit == 0)
		s->p.challenge_ack_limit = 1000;
	if (s->p.port_min == 0 && s->p.port_max == 0) {
		s->p.port_min = 32768;
		s->p.port_max = 60999;
	}
	s->seq_dynfield = rte_mbuf_dynfield_register(&seq_field);
	if (s->seq_dynfield < 0)
		goto fail;
	s->hmask = pow2_at_least(s->p.max_conns) - 1;
	s->htab = calloc(s->hmask + 1, sizeof(*s->htab));
	s->conns = calloc(s->p.max_conns, sizeof(*s->conns));
	n_sbs = RTE_MAX(16u, RTE_MIN(s->p.max_conns / 8, 65536u));
	s->sbs = calloc(n_sbs, sizeof(*s->sbs));
	s->free_sbs = calloc(n_sbs, sizeof(*s->free_sbs));
	if (s->htab == NULL || s->conns == NULL || s->sbs == NULL ||
	    s->free_sbs == NULL)
		goto nomem;
	for (i = s->p.max_conns; i-- > 0;) {
		s->conns[i].hnext = s->free_conns;
		s->free_conns = &s->conns[i];
	}
	for (i = 0; i < n_sbs; i++)
		s->free_sbs[i] = &s->sbs[i];
	s->n_free_sbs = n_sbs;
	s->secret[0] = mix64(p->seed ^ 0x6d67746370ull);
	s->secret[1] = mix64(s->secret[0] ^ p->seed);
	mg_tcp_cookie_key_init(&s->ckey, mix64(s->secret[1] + 1));
	TAILQ_INIT(&s->tw);
	tcp_wheel_init(&s->wheel, 0);
	s->port_cursor = (uint16_t)(s->secret[0] % ((uint32_t)s->p.port_max -
						    s->p.port_min + 1));
	s->st.conns_by_state[MG_TCP_CLOSED] = 0;
	return s;
nomem:
	rte_errno = ENOMEM;
fail:
	if (s != NULL) {
		int err = rte_errno;

		free(s->htab);
		free(s->conns);
		free(s->sbs);
		free(s->free_sbs);
		free(s);
		rte_errno = err;
	}
	return NULL;
}

void
mg_tcp_stack_free(struct mg_tcp_stack *s)
{
	struct mg_tcp_listener *l;
	uint32_t i;

	if (s == NULL)
		return;
	s->depth++;		/* no frees while we walk the table */
	for (i = 0; i < s->p.max_conns; i++) {
		struct mg_tcp_conn *c = &s->conns[i];

		if (c->stack == NULL || (c->flags & TF_DEAD))
			continue;
		c->flags |= TF_APP_CLOSED | TF_CLOSED_TOLD;	/* no callbacks */
		if (tcp_synchronized(c->state) && c->state != MG_TCP_TIME_WAIT)
			tcp_send_ctl(c, c->snd_nxt, RTE_TCP_RST_FLAG, s->now_us);
		tcp_conn_release(c);
	}
	while ((l = s->listeners) != NULL) {
		s->listeners = l->next;
		free(l);
	}
	free(s->htab);
	free(s->conns);
	free(s->sbs);
	free(s->free_sbs);
	free(s);
}

struct mg_tcp_listener *
mg_tcp_listen(struct mg_tcp_stack *s, const struct mg_tcp_listen_params *p)
{
	struct mg_tcp_listener *l;
	const struct mg_tcp_cc_ops *cc;

	if (s == NULL || p == NULL || p->port == 0 || p->event == NULL ||
	    (p->addr.family != 0 && p->addr.family != AF_INET &&
	     p->addr.family != AF_INET6)) {
		rte_errno = EINVAL;
		return NULL;
	}
	cc = tcp_cc_for(p->conn.cc);
	if (cc == NULL) {
		rte_errno = EINVAL;
		return NULL;
	}
	for (l = s->listeners; l != NULL; l = l->next)
		if (l->port == p->port && l->addr.family == p->addr.family &&
		    (p->addr.family == 0 || mg_ip_eq(&l->addr, &p->addr))) {
			rte_errno = EADDRINUSE;
			return NULL;
		}
	l = calloc(1, sizeof(*l));
	if (l == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	l->stack = s;
	l->addr = p->addr;
	l->port = p->port;
	l->syn_backlog = p->syn_backlog ? p->syn_backlog : 256;
	l->syncookie_threshold = p->syncookie_threshold;
	l->cp = p->conn;
	l->cp.cc = NULL;		/* resolved: do not keep the caller's string */
	l->cc = cc;
	l->event = p->event;
	l->user = p->user;
	l->next = s->listeners;
	s->listeners = l;
	s->n_listeners++;
	return l;
}

bool
mg_tcp_owns(const struct mg_tcp_stack *s, const struct mg_pkt *p)
{
	struct mg_tcp_stack *ws = (struct mg_tcp_stack *)(uintptr_t)s;

	if (p->l4_proto != IPPROTO_TCP)
		return false;
	if (tcp_conn_lookup(ws, &p->dst, p->dport, &p->src, p->sport) != NULL)
		return true;
	return tcp_listener_find(ws, &p->dst, p->dport) != NULL;
}

void
mg_tcp_stats_get(const struct mg_tcp_stack *s, struct mg_tcp_stats *st)
{
	*st = s->st;
}

size_t
mg_tcp_conn_size(void)
{
	/* The connection, its hash bucket and its share of the scoreboard
	 * pool (one per 8 connections). */
	return sizeof(struct mg_tcp_conn) + sizeof(struct mg_tcp_conn *) +
	       (sizeof(struct mg_tcp_scoreboard) + sizeof(void *)) / 8;
}
