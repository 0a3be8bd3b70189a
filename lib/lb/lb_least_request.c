/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Least request by the power of two choices (Mitzenmacher): draw two
 * distinct healthy endpoints in proportion to weight and send the request
 * to the one with fewer active requests per unit of weight (nginx
 * least_conn's comparison, active_a * weight_b < active_b * weight_a); a
 * tie goes to the first draw. So with no requests in flight the shares
 * follow the weights, and under load the active requests per unit of
 * weight even out. Envoy's weighted variant runs an EDF schedule on
 * weight / (active + 1)^bias instead; with equal weights both are plain P2C.
 *
 * Active requests are this worker's own (mg_lb_request_start/done), so
 * workers never share a cache line.
 */
#include <rte_errno.h>

#include "lb_internal.h"

static struct mg_lb *
lr_create(const struct mg_lb_endpoint *eps, uint32_t n, uint32_t table_size,
	  int socket)
{
	struct lb_set *s = lb_set_create(&mg_lb_least_request_ops, sizeof(*s),
					 eps, n, table_size, socket);

	return s != NULL ? &s->lb : NULL;
}

/* Whether @p b carries fewer active requests per unit of weight than @p a. */
static bool
lr_less_loaded(const struct lb_set *s, const struct mg_lb_worker *w,
	       uint32_t b, uint32_t a)
{
	return (uint64_t)w->active[b] * s->eps[a].weight <
	       (uint64_t)w->active[a] * s->eps[b].weight;
}

/* The least loaded endpoint @p f allows, the first on a tie. */
static uint32_t
lr_scan(const struct lb_set *s, const struct mg_lb_worker *w,
	const struct mg_lb_filter *f)
{
	uint32_t i, best = MG_LB_NONE;

	for (i = 0; i < s->lb.n_healthy; i++) {
		uint32_t e = s->healthy_list[i];

		if (lb_filtered(f, e))
			continue;
		if (best == MG_LB_NONE || lr_less_loaded(s, w, e, best))
			best = e;
	}
	return best;
}

static uint32_t
lr_pick_request(const struct mg_lb *lb, struct mg_lb_worker *w,
		uint64_t hash, const struct mg_lb_filter *f)
{
	const struct lb_set *s = (const struct lb_set *)lb;
	uint32_t a, b;

	if (lb->n_healthy == 0)
		return MG_LB_NONE;
	a = lb_set_draw_allowed(s, w, f, MG_LB_NONE);
	if (a == MG_LB_NONE)
		return lr_scan(s, w, f);	/* most weight filtered out */
	b = lb_set_draw_allowed(s, w, f, a);
	a = s->healthy_list[a];
	if (b == MG_LB_NONE)
		return a;
	b = s->healthy_list[b];
	return lr_less_loaded(s, w, b, a) ? b : a;
}

const struct mg_lb_ops mg_lb_least_request_ops = {
	.name = "least_request",
	.hashing = false,
	.create = lr_create,
	.clone = lb_set_clone,
	.set_healthy = lb_set_set_healthy,
	.pick = lb_set_pick,
	.pick_request = lr_pick_request,
	.free = lb_set_free,
};
