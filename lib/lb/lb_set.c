/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The endpoint set under round_robin, least_request, random and
 * ring_hash: one allocation holding the algorithm's struct, the endpoints,
 * the health flags, the healthy list and its cumulative weights.
 *
 * A weighted draw reads one bucket of an alias table (Vose); a draw that
 * must leave one endpoint out searches the cumulative weights instead
 * (about ten steps at 1,000 endpoints); equal weights index the list
 * directly.
 */
#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "lb_internal.h"

/* Draws before least_request and random fall back to a scan: with half of
 * the weight filtered out, the scan is needed once in 65,536 picks. */
#define LB_DRAW_TRIES 16

static size_t
align8(size_t x)
{
	return (x + 7) & ~(size_t)7;
}

struct lb_set *
lb_set_create(const struct mg_lb_ops *ops, size_t size,
	      const struct mg_lb_endpoint *eps, uint32_t n, uint32_t param,
	      int socket)
{
	size_t off_eps = align8(size);
	size_t off_cum = off_eps + sizeof(struct mg_lb_endpoint) * n;
	size_t off_list = off_cum + sizeof(uint32_t) * n;
	size_t off_stack = off_list + sizeof(uint32_t) * n;
	size_t off_mass = align8(off_stack + sizeof(uint32_t) * n);
	size_t off_alias = off_mass + sizeof(uint64_t) * n;
	size_t off_healthy = off_alias + sizeof(struct lb_alias) * n;
	struct lb_set *s;
	char *p;

	if (lb_endpoints_check(eps, n) != 0) {
		rte_errno = EINVAL;
		return NULL;
	}
	p = rte_zmalloc_socket(ops->name, off_healthy + sizeof(bool) * n,
			       RTE_CACHE_LINE_SIZE, socket);
	if (p == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	s = (struct lb_set *)p;
	s->lb.ops = ops;
	s->lb.n_endpoints = n;
	s->socket = socket;
	s->param = param;
	s->eps = (struct mg_lb_endpoint *)(p + off_eps);
	s->cum = (uint32_t *)(p + off_cum);
	s->healthy_list = (uint32_t *)(p + off_list);
	s->stack = (uint32_t *)(p + off_stack);
	s->mass = (uint64_t *)(p + off_mass);
	s->alias = (struct lb_alias *)(p + off_alias);
	s->healthy = (bool *)(p + off_healthy);
	if (n > 0)
		memcpy(s->eps, eps, sizeof(*eps) * n);
	lb_set_update(s, NULL);
	return s;
}

void
lb_set_free(struct mg_lb *lb)
{
	rte_free(lb);
}

int
lb_set_set_healthy(struct mg_lb *lb, const bool *healthy)
{
	lb_set_update((struct lb_set *)lb, healthy);
	return 0;
}

/*
 * Vose's alias table over the healthy list, in integers: position i has
 * mass weight_i * n and every bucket holds total_weight; a bucket short of
 * that is topped up from one with too much, which then may fall short in
 * turn. Exact: the masses sum to n * total_weight.
 */
static void
alias_build(struct lb_set *s)
{
	uint32_t n = s->lb.n_healthy, total = s->total_weight, i;
	uint32_t *stack = s->stack, n_small = 0, n_large = 0;

	/* the small ones stack up from the front, the large from the back */
	for (i = 0; i < n; i++) {
		s->mass[i] = (uint64_t)s->eps[s->healthy_list[i]].weight * n;
		if (s->mass[i] < total)
			stack[n_small++] = i;
		else
			stack[n - ++n_large] = i;
		s->alias[i].threshold = total;
		s->alias[i].alias = i;
	}
	while (n_small > 0 && n_large > 0) {
		uint32_t l = stack[--n_small], g = stack[n - n_large];

		s->alias[l].threshold = (uint32_t)s->mass[l];
		s->alias[l].alias = g;
		s->mass[g] -= total - s->mass[l];
		if (s->mass[g] < total) {
			n_large--;
			stack[n_small++] = g;
		}
	}
}

void
lb_set_update(struct lb_set *s, const bool *healthy)
{
	uint32_t e, nh = 0, total = 0, w0 = 0;
	bool equal = true;

	for (e = 0; e < s->lb.n_endpoints; e++) {
		uint32_t w = s->eps[e].weight;

		s->healthy[e] = healthy == NULL || healthy[e];
		if (!s->healthy[e])
			continue;
		if (nh == 0)
			w0 = w;
		else if (w != w0)
			equal = false;
		total += w;
		s->healthy_list[nh] = e;
		s->cum[nh] = total;
		nh++;
	}
	s->lb.n_healthy = nh;
	s->total_weight = total;
	s->equal_weights = equal;
	alias_build(s);
}

struct mg_lb *
lb_set_clone(const struct mg_lb *lb)
{
	const struct lb_set *src = (const struct lb_set *)lb;
	struct mg_lb *c;

	c = lb->ops->create(src->eps, lb->n_endpoints, src->param, src->socket);
	if (c != NULL)
		lb->ops->set_healthy(c, src->healthy);
	return c;
}

/* The first position whose cumulative weight exceeds @p x (< total). */
static uint32_t
cum_search(const uint32_t *cum, uint32_t n, uint32_t x)
{
	const uint32_t *base = cum;

	/* branch-free: a draw is random, so a branch on it would mispredict
	 * half the time */
	while (n > 1) {
		uint32_t half = n / 2;

		base = base[half - 1] <= x ? base + half : base;
		n -= half;
	}
	return (uint32_t)(base - cum);
}

uint32_t
lb_set_draw(const struct lb_set *s, uint64_t r, uint32_t skip)
{
	uint32_t n = s->lb.n_healthy, ws, x;

	if (skip == MG_LB_NONE) {
		uint32_t i = lb_scale(r, n);

		if (s->equal_weights)
			return i;
		/* the high half of r chose the bucket, the low half decides */
		x = (uint32_t)(((r & UINT32_MAX) * s->total_weight) >> 32);
		return x < s->alias[i].threshold ? i : s->alias[i].alias;
	}
	if (s->equal_weights) {
		x = lb_scale(r, n - 1);
		return x >= skip ? x + 1 : x;
	}
	/* draw from the weight of the others, then step over skip's range */
	ws = s->cum[skip] - (skip > 0 ? s->cum[skip - 1] : 0);
	x = lb_scale(r, s->total_weight - ws);
	if (x >= s->cum[skip] - ws)
		x += ws;
	return cum_search(s->cum, n, x);
}

uint32_t
lb_set_draw_allowed(const struct lb_set *s, struct mg_lb_worker *w,
		    const struct mg_lb_filter *f, uint32_t skip)
{
	unsigned t;

	if (s->lb.n_healthy <= (skip != MG_LB_NONE))
		return MG_LB_NONE;
	for (t = 0; t < LB_DRAW_TRIES; t++) {
		uint32_t p = lb_set_draw(s, lb_rand(w), skip);

		if (f == NULL || !lb_filtered(f, s->healthy_list[p]))
			return p;
	}
	return MG_LB_NONE;
}

uint32_t
lb_set_pick(const struct mg_lb *lb, uint64_t hash)
{
	const struct lb_set *s = (const struct lb_set *)lb;

	if (lb->n_healthy == 0)
		return MG_LB_NONE;
	return s->healthy_list[lb_set_draw(s, hash, MG_LB_NONE)];
}
