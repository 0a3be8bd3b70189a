/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP pick: per-worker state, and the order in which the rules of a
 * request (not an endpoint it tried, not an ejected one) are given up when
 * no endpoint satisfies them.
 */
#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "lb_internal.h"

struct mg_lb_worker *
mg_lb_worker_create(uint32_t n_endpoints, uint64_t seed, int socket)
{
	struct mg_lb_worker *w;
	size_t size;

	if (n_endpoints > MG_LB_MAX_ENDPOINTS) {
		rte_errno = EINVAL;
		return NULL;
	}
	size = sizeof(*w) + (sizeof(int32_t) + sizeof(uint32_t)) * n_endpoints;
	w = rte_zmalloc_socket("mg_lb_worker", size, RTE_CACHE_LINE_SIZE,
			       socket);
	if (w == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	w->n_endpoints = n_endpoints;
	w->rng = seed;
	/* lb_mix64(0) == 0: seed 0 starts the cycle at its beginning */
	w->rr_pos = (uint32_t)lb_mix64(seed);
	w->rr_current = (int32_t *)(w + 1);
	w->active = (uint32_t *)(w->rr_current + n_endpoints);
	return w;
}

void
mg_lb_worker_free(struct mg_lb_worker *w)
{
	rte_free(w);
}

void
mg_lb_request_start(struct mg_lb_worker *w, uint32_t e)
{
	if (e >= w->n_endpoints) {
		w->stats.bad_calls++;
		return;
	}
	w->active[e]++;
}

void
mg_lb_request_done(struct mg_lb_worker *w, uint32_t e)
{
	if (e >= w->n_endpoints || w->active[e] == 0) {
		w->stats.bad_calls++;
		return;
	}
	w->active[e]--;
}

uint32_t
mg_lb_active_requests(const struct mg_lb_worker *w, uint32_t e)
{
	return e < w->n_endpoints ? w->active[e] : 0;
}

void
mg_lb_worker_stats_get(const struct mg_lb_worker *w,
		       struct mg_lb_worker_stats *st)
{
	*st = w->stats;
}

bool
lb_filter_leaves_any(const struct mg_lb_filter *f, const bool *healthy,
		     uint32_t n, uint32_t n_healthy)
{
	uint32_t e;

	/* tried may repeat or name unhealthy endpoints: an upper bound */
	if ((uint64_t)f->n_ejected + f->n_tried < n_healthy)
		return true;
	for (e = 0; e < n; e++)
		if (healthy[e] && !lb_filtered(f, e))
			return true;
	return false;
}

/* The rules dropped at each step of mg_lb_pick_request(). */
#define DROP_TRIED	1u
#define DROP_EJECTED	2u

uint32_t
mg_lb_pick_request(const struct mg_lb *lb, struct mg_lb_worker *w,
		   uint64_t hash, const uint32_t *tried, uint32_t n_tried,
		   const struct mg_lb_mask *ejected)
{
	static const uint8_t steps[] = {
		0, DROP_TRIED, DROP_EJECTED, DROP_TRIED | DROP_EJECTED
	};
	struct mg_lb_filter f;
	uint32_t n_ejected, e = MG_LB_NONE;
	unsigned i;

	if (lb == NULL || w == NULL)
		return MG_LB_NONE;
	if (lb->n_endpoints > w->n_endpoints ||
	    (tried == NULL && n_tried > 0) ||
	    (ejected != NULL && ejected->size < lb->n_endpoints) ||
	    (ejected != NULL && ejected->bits == NULL && ejected->count > 0)) {
		w->stats.bad_calls++;
		return MG_LB_NONE;
	}
	if (lb->n_healthy == 0) {
		w->stats.no_endpoint++;
		return MG_LB_NONE;
	}
	n_ejected = ejected != NULL ? ejected->count : 0;
	if (n_ejected == 0 && n_tried == 0) {
		w->stats.picks++;
		return lb->ops->pick_request(lb, w, hash, NULL);
	}
	for (i = 0; i < RTE_DIM(steps) && e == MG_LB_NONE; i++) {
		unsigned drop = steps[i];

		/* a rule with nothing in it cannot be the one to drop */
		if (((drop & DROP_TRIED) && n_tried == 0) ||
		    ((drop & DROP_EJECTED) && n_ejected == 0))
			continue;
		f.ejected = (drop & DROP_EJECTED) || n_ejected == 0 ?
			NULL : ejected->bits;
		f.n_ejected = f.ejected != NULL ? n_ejected : 0;
		f.tried = tried;
		f.n_tried = drop & DROP_TRIED ? 0 : n_tried;
		e = lb->ops->pick_request(lb, w, hash,
				f.ejected == NULL && f.n_tried == 0 ? NULL : &f);
		if (e != MG_LB_NONE) {
			w->stats.reused += (drop & DROP_TRIED) != 0;
			w->stats.panic += (drop & DROP_EJECTED) != 0;
		}
	}
	if (e == MG_LB_NONE)
		w->stats.no_endpoint++;	/* unreachable while n_healthy > 0 */
	else
		w->stats.picks++;
	return e;
}
