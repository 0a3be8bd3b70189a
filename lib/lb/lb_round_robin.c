/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nginx's smooth weighted round robin: at each step every endpoint gains
 * its weight, the one with the most wins (the first on a tie) and pays
 * back the total. Weights 5,1,1 give a a b a c a a: the heavy endpoint's
 * turns are spread, not bunched.
 *
 * The sequence depends only on the healthy weights, so the balancer
 * computes one period of it (sum of the weights over their gcd) on the
 * main lcore and a worker just walks it from its own position: one load
 * per pick whatever the number of endpoints (4.6 ns per pick through
 * mg_lb_pick_request() on the 2-core build VM). Only when the period is
 * long (over RR_SCHEDULE_MAX entries, or period x endpoints over
 * RR_BUILD_MAX) do workers run the steps themselves on their own current
 * weights, O(n) per pick as in nginx but vectorised: 270 ns at 1,000
 * endpoints. Every configuration within MG_MAX_ENDPOINTS (256) of
 * mg_cfg.h gets a schedule; the longest to build, 256 endpoints of weights
 * 999 and 1000, takes 20-25 ms.
 *
 * A request that may not have the next endpoint (tried, ejected) takes the
 * one after it in the sequence; after RR_WALK_MAX such steps (most of the
 * weight filtered out) one nginx step over the allowed endpoints decides.
 */
#include <errno.h>
#include <string.h>

#include <rte_errno.h>

#include "lb_internal.h"

#define RR_SCHEDULE_MAX (1u << 18)	/* entries: 512 KiB */
#define RR_BUILD_MAX (1u << 26)		/* steps x endpoints: ~25 ms */
#define RR_WALK_MAX 16
/* Added to an unhealthy endpoint's current weight so that it never leads:
 * current weights stay within +-2^26 (65535 x 1000). */
#define RR_OUT (-(1 << 30))

struct round_robin {
	struct lb_set set;		/* first */
	uint32_t capacity;		/* of schedule */
	uint32_t period;		/* 0: no schedule, workers step */
	int32_t step_total;		/* sum of step_weight */
	uint16_t *schedule;
	int32_t *step_weight;		/* healthy: weight / gcd; others 0 */
	int32_t *penalty;		/* healthy 0, others RR_OUT */
	int32_t *scratch;		/* current weights while building */
};

/*
 * One step over all healthy endpoints with @p current weights. Two plain
 * loops over arrays that the compiler vectorises: 0.27 ns per endpoint
 * (-march=native on the build VM), where one loop that tracks the leader
 * as it goes took 0.8.
 */
static uint32_t
rr_step_all(const struct round_robin *rr, int32_t *current)
{
	uint32_t e, n = rr->set.lb.n_endpoints, best = n;
	int32_t top = INT32_MIN;

	for (e = 0; e < n; e++) {
		int32_t v = current[e] + rr->step_weight[e];

		current[e] = v;
		v += rr->penalty[e];
		top = v > top ? v : top;
	}
	for (e = 0; e < n; e++) {
		uint32_t k = current[e] + rr->penalty[e] == top ? e : n;

		best = k < best ? k : best;
	}
	current[best] -= rr->step_total;
	return best;
}

/* nginx's step over the healthy endpoints @p f allows; NONE if none. */
static uint32_t
rr_step_allowed(const struct round_robin *rr, int32_t *current,
		const struct mg_lb_filter *f)
{
	const struct lb_set *s = &rr->set;
	uint32_t i, best = MG_LB_NONE;
	int32_t total = 0;

	for (i = 0; i < s->lb.n_healthy; i++) {
		uint32_t e = s->healthy_list[i];

		if (lb_filtered(f, e))
			continue;
		current[e] += rr->step_weight[e];
		total += rr->step_weight[e];
		if (best == MG_LB_NONE || current[e] > current[best])
			best = e;
	}
	if (best != MG_LB_NONE)
		current[best] -= total;
	return best;
}

static uint32_t
gcd(uint32_t a, uint32_t b)
{
	while (b != 0) {
		uint32_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

static void
rr_build(struct round_robin *rr)
{
	const struct lb_set *s = &rr->set;
	uint32_t i, e, g = 0, period, n = s->lb.n_endpoints;

	rr->period = 0;
	if (s->lb.n_healthy == 0)
		return;
	for (i = 0; i < s->lb.n_healthy; i++)
		g = gcd(s->eps[s->healthy_list[i]].weight, g);
	for (e = 0; e < n; e++) {
		rr->step_weight[e] = s->healthy[e] ?
			(int32_t)(s->eps[e].weight / g) : 0;
		rr->penalty[e] = s->healthy[e] ? 0 : RR_OUT;
	}
	period = s->total_weight / g;
	rr->step_total = (int32_t)period;
	if (s->equal_weights) {
		/* the steps give the healthy endpoints in index order */
		for (i = 0; i < period; i++)
			rr->schedule[i] = (uint16_t)s->healthy_list[i];
		rr->period = period;
		return;
	}
	if (period > rr->capacity || (uint64_t)period * n > RR_BUILD_MAX)
		return;
	memset(rr->scratch, 0, sizeof(int32_t) * n);
	for (i = 0; i < period; i++)
		rr->schedule[i] = (uint16_t)rr_step_all(rr, rr->scratch);
	rr->period = period;
}

static struct mg_lb *
rr_create(const struct mg_lb_endpoint *eps, uint32_t n, uint32_t table_size,
	  int socket)
{
	struct round_robin *rr;
	uint64_t sum = 0;
	uint32_t i, capacity;
	size_t size;

	if (lb_endpoints_check(eps, n) != 0) {
		rte_errno = EINVAL;
		return NULL;
	}
	for (i = 0; i < n; i++)
		sum += eps[i].weight;
	/* no subset of the endpoints has a longer period than all of them */
	capacity = sum < RR_SCHEDULE_MAX ? (uint32_t)sum : RR_SCHEDULE_MAX;
	size = sizeof(*rr) + sizeof(int32_t) * 3 * n +
		sizeof(uint16_t) * capacity;
	rr = (struct round_robin *)lb_set_create(&mg_lb_round_robin_ops, size,
						 eps, n, table_size, socket);
	if (rr == NULL)
		return NULL;
	rr->step_weight = (int32_t *)(rr + 1);
	rr->penalty = rr->step_weight + n;
	rr->scratch = rr->penalty + n;
	rr->schedule = (uint16_t *)(rr->scratch + n);
	rr->capacity = capacity;
	rr_build(rr);
	return &rr->set.lb;
}

static int
rr_set_healthy(struct mg_lb *lb, const bool *healthy)
{
	struct round_robin *rr = (struct round_robin *)lb;

	lb_set_update(&rr->set, healthy);
	rr_build(rr);
	return 0;
}

/* The next endpoint of the sequence for worker @p w. */
static uint32_t
rr_next(const struct round_robin *rr, struct mg_lb_worker *w)
{
	uint32_t pos = w->rr_pos, e;

	if (rr->period == 0)
		return rr_step_all(rr, w->rr_current);
	if (pos >= rr->period)	/* a new balancer, or the seeded start */
		pos %= rr->period;
	e = rr->schedule[pos];
	w->rr_pos = pos + 1 < rr->period ? pos + 1 : 0;
	return e;
}

static uint32_t
rr_pick_request(const struct mg_lb *lb, struct mg_lb_worker *w,
		uint64_t hash, const struct mg_lb_filter *f)
{
	const struct round_robin *rr = (const struct round_robin *)lb;
	uint32_t k, e;

	if (lb->n_healthy == 0)
		return MG_LB_NONE;
	if (f == NULL)
		return rr_next(rr, w);
	for (k = 0; k < RR_WALK_MAX; k++) {
		e = rr_next(rr, w);
		if (!lb_filtered(f, e))
			return e;
	}
	return rr_step_allowed(rr, w->rr_current, f);
}

const struct mg_lb_ops mg_lb_round_robin_ops = {
	.name = "round_robin",
	.hashing = false,
	.create = rr_create,
	.clone = lb_set_clone,
	.set_healthy = rr_set_healthy,
	.pick = lb_set_pick,
	.pick_request = rr_pick_request,
	.free = lb_set_free,
};
