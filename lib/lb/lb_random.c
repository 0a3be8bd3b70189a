/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Weighted random: each pick draws a healthy endpoint in proportion to its
 * weight from the worker's PRNG; an endpoint the request may not have is
 * drawn again.
 */
#include <rte_errno.h>

#include "lb_internal.h"

static struct mg_lb *
random_create(const struct mg_lb_endpoint *eps, uint32_t n,
	      uint32_t table_size, int socket)
{
	struct lb_set *s = lb_set_create(&mg_lb_random_ops, sizeof(*s), eps,
					 n, table_size, socket);

	return s != NULL ? &s->lb : NULL;
}

/* A weighted draw over the endpoints @p f allows: two passes, one draw. */
static uint32_t
random_scan(const struct lb_set *s, struct mg_lb_worker *w,
	    const struct mg_lb_filter *f)
{
	uint32_t i, e, x, sum = 0;

	for (i = 0; i < s->lb.n_healthy; i++) {
		e = s->healthy_list[i];
		if (!lb_filtered(f, e))
			sum += s->eps[e].weight;
	}
	if (sum == 0)
		return MG_LB_NONE;
	x = lb_scale(lb_rand(w), sum);
	for (i = 0;; i++) {
		e = s->healthy_list[i];
		if (lb_filtered(f, e))
			continue;
		if (x < s->eps[e].weight)
			return e;
		x -= s->eps[e].weight;
	}
}

static uint32_t
random_pick_request(const struct mg_lb *lb, struct mg_lb_worker *w,
		    uint64_t hash, const struct mg_lb_filter *f)
{
	const struct lb_set *s = (const struct lb_set *)lb;
	uint32_t p;

	if (lb->n_healthy == 0)
		return MG_LB_NONE;
	p = lb_set_draw_allowed(s, w, f, MG_LB_NONE);
	if (p != MG_LB_NONE)
		return s->healthy_list[p];
	/* most of the weight is filtered out (f != NULL here) */
	return random_scan(s, w, f);
}

const struct mg_lb_ops mg_lb_random_ops = {
	.name = "random",
	.hashing = false,
	.create = random_create,
	.clone = lb_set_clone,
	.set_healthy = lb_set_set_healthy,
	.pick = lb_set_pick,
	.pick_request = random_pick_request,
	.free = lb_set_free,
};
