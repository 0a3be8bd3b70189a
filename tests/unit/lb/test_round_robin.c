/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Smooth weighted round robin: the exact nginx sequence, from the
 * precomputed schedule and from the per-worker steps alike.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_memory.h>

#include "mg_test.h"
#include "lb_test.h"

static const struct mg_lb_ops *rr;

/* nginx's ngx_http_upstream_get_peer(), written from its description. */
struct ref_swrr {
	uint32_t n;
	const uint32_t *weight;
	const bool *healthy;	/* NULL: all */
	int64_t current[1024];
};

static uint32_t
ref_next(struct ref_swrr *r)
{
	int64_t total = 0;
	uint32_t i, best = MG_LB_NONE;

	for (i = 0; i < r->n; i++) {
		if (r->healthy != NULL && !r->healthy[i])
			continue;
		r->current[i] += r->weight[i];
		total += r->weight[i];
		if (best == MG_LB_NONE || r->current[i] > r->current[best])
			best = i;
	}
	r->current[best] -= total;
	return best;
}

/* @p picks picks of a fresh worker (seed 0) match the reference. */
static unsigned
check_against_reference(const uint32_t *weights, uint32_t n,
			const bool *healthy, uint32_t picks)
{
	struct mg_lb_endpoint *eps = calloc(n, sizeof(*eps));
	struct ref_swrr *ref = calloc(1, sizeof(*ref));
	struct mg_lb_worker *w = mg_lb_worker_create(n, 0, SOCKET_ID_ANY);
	struct mg_lb *lb;
	unsigned bad = 0;
	uint32_t i;

	lb_test_eps(eps, n, weights);
	lb = mg_lb_create(rr, eps, n, 0, SOCKET_ID_ANY);
	MG_CHECK(lb != NULL && w != NULL);
	if (lb == NULL || w == NULL)
		goto out;
	MG_CHECK_EQ(mg_lb_set_healthy(lb, healthy), 0);
	ref->n = n;
	ref->weight = weights;
	ref->healthy = healthy;
	for (i = 0; i < picks; i++) {
		uint32_t want = ref_next(ref);
		uint32_t got = mg_lb_pick_request(lb, w, 0, NULL, 0, NULL);

		if (got != want && bad++ < 3)
			fprintf(stderr, "  n=%u pick %u: %u, nginx gives %u\n",
				n, i, got, want);
	}
out:
	mg_lb_free(lb);
	mg_lb_worker_free(w);
	free(ref);
	free(eps);
	return bad;
}

static void
test_nginx_sequence(void)
{
	static const uint32_t w511[] = { 5, 1, 1 };
	static const char expect[] = "aabacaa";
	struct mg_lb_endpoint eps[3];
	struct mg_lb_worker *w = mg_lb_worker_create(3, 0, SOCKET_ID_ANY);
	struct mg_lb *lb;
	char got[8 * 10 + 1];
	uint32_t i;

	lb_test_eps(eps, 3, w511);
	lb = mg_lb_create(rr, eps, 3, 0, SOCKET_ID_ANY);
	MG_CHECK(lb != NULL && w != NULL);
	if (lb == NULL || w == NULL)
		return;
	for (i = 0; i < 70; i++)
		got[i] = (char)('a' + mg_lb_pick_request(lb, w, 0, NULL, 0, NULL));
	for (i = 0; i < 70; i++)
		MG_CHECK_EQ(got[i], expect[i % 7]);
	mg_lb_free(lb);
	mg_lb_worker_free(w);
}

static void
test_reference(void)
{
	uint32_t w[1024], i;
	bool h[1024];

	w[0] = 1; w[1] = 2; w[2] = 3;
	MG_CHECK_EQ(check_against_reference(w, 3, NULL, 600), 0);
	w[0] = 2; w[1] = 4; w[2] = 6;	/* the gcd does not change the order */
	MG_CHECK_EQ(check_against_reference(w, 3, NULL, 600), 0);
	w[0] = 1000; w[1] = 1;
	MG_CHECK_EQ(check_against_reference(w, 2, NULL, 3003), 0);
	for (i = 0; i < 100; i++)
		w[i] = i % 7 + 1;
	MG_CHECK_EQ(check_against_reference(w, 100, NULL, 1500), 0);
	for (i = 0; i < 100; i++)
		h[i] = i % 4 != 3;
	MG_CHECK_EQ(check_against_reference(w, 100, h, 1500), 0);
	/* a period of about 128,000 steps: no schedule, workers step */
	for (i = 0; i < 256; i++)
		w[i] = (uint32_t)(lb_test_hash(i) % 1000) + 1;
	MG_CHECK_EQ(check_against_reference(w, 256, NULL, 5000), 0);
	for (i = 0; i < 256; i++)
		h[i] = i % 5 != 0;
	MG_CHECK_EQ(check_against_reference(w, 256, h, 5000), 0);
	/* equal weights: the identity order at any size */
	for (i = 0; i < 1000; i++)
		w[i] = 7;
	MG_CHECK_EQ(check_against_reference(w, 1000, NULL, 2500), 0);
}

/* Whatever the seed, one period gives each endpoint its weight. */
static void
test_seeded_start(void)
{
	static const uint32_t weights[] = { 5, 1, 1, 3 };
	struct mg_lb_endpoint eps[4];
	struct mg_lb *lb;
	uint32_t first[8] = { 0 }, seed, i;

	lb_test_eps(eps, 4, weights);
	lb = mg_lb_create(rr, eps, 4, 0, SOCKET_ID_ANY);
	MG_CHECK(lb != NULL);
	if (lb == NULL)
		return;
	for (seed = 0; seed < 40; seed++) {
		struct mg_lb_worker *w = mg_lb_worker_create(4, seed, SOCKET_ID_ANY);
		uint32_t counts[4] = { 0 };

		for (i = 0; i < 10; i++) {
			uint32_t e = mg_lb_pick_request(lb, w, 0, NULL, 0, NULL);

			if (i == 0)
				first[e]++;
			counts[e]++;
		}
		for (i = 0; i < 4; i++)
			MG_CHECK_EQ(counts[i], weights[i]);
		mg_lb_worker_free(w);
	}
	/* workers do not all start on the same endpoint */
	MG_CHECK(first[0] < 40);
	mg_lb_free(lb);
}

/* A tried endpoint is skipped and the cycle goes on. */
static void
test_skip(uint32_t n, const uint32_t *weights)
{
	struct mg_lb_endpoint *eps = calloc(n, sizeof(*eps));
	struct mg_lb_worker *w = mg_lb_worker_create(n, 0, SOCKET_ID_ANY);
	uint32_t *counts = calloc(n, sizeof(*counts));
	uint64_t wsum = 0;
	struct mg_lb *lb;
	uint32_t tried = 1, i, picks = 20000;

	lb_test_eps(eps, n, weights);
	lb = mg_lb_create(rr, eps, n, 0, SOCKET_ID_ANY);
	MG_CHECK(lb != NULL && w != NULL);
	if (lb == NULL || w == NULL)
		goto out;
	for (i = 0; i < picks; i++)
		counts[mg_lb_pick_request(lb, w, 0, &tried, 1, NULL)]++;
	MG_CHECK_EQ(counts[1], 0);
	for (i = 0; i < n; i++)
		wsum += i == 1 ? 0 : weights[i];
	/* the others keep their weighted shares, to a few picks */
	for (i = 0; i < n; i++) {
		double share = (double)picks * weights[i] / wsum;

		if (i != 1)
			MG_CHECK(fabs(counts[i] - share) <= 0.03 * share + 2);
	}
out:
	mg_lb_free(lb);
	mg_lb_worker_free(w);
	free(counts);
	free(eps);
}

/*
 * A request that may not have the next endpoint takes the one after it:
 * the cycle (a a b a c a a) goes on from there for everyone after.
 */
static void
test_walk_on(void)
{
	static const uint32_t w511[] = { 5, 1, 1 };
	static const char expect[] = "bcaaaabacaa";
	struct mg_lb_endpoint eps[3];
	struct mg_lb_worker *w = mg_lb_worker_create(3, 0, SOCKET_ID_ANY);
	struct mg_lb *lb;
	uint32_t a = 0, i;
	char got[sizeof(expect)] = { 0 };

	lb_test_eps(eps, 3, w511);
	lb = mg_lb_create(rr, eps, 3, 0, SOCKET_ID_ANY);
	MG_CHECK(lb != NULL && w != NULL);
	if (lb == NULL || w == NULL)
		return;
	/* a tried: b at 2, then (a again) c at 4 ... */
	got[0] = (char)('a' + mg_lb_pick_request(lb, w, 0, &a, 1, NULL));
	got[1] = (char)('a' + mg_lb_pick_request(lb, w, 0, &a, 1, NULL));
	/* ... and the plain picks go on from 5: a a, a a b a c a a */
	for (i = 2; i < sizeof(expect) - 1; i++)
		got[i] = (char)('a' + mg_lb_pick_request(lb, w, 0, NULL, 0, NULL));
	MG_CHECK(memcmp(got, expect, sizeof(expect) - 1) == 0);
	if (memcmp(got, expect, sizeof(expect) - 1) != 0)
		fprintf(stderr, "  got %s, want %s\n", got, expect);
	mg_lb_free(lb);
	mg_lb_worker_free(w);
}

/*
 * Without a schedule, a worker's current weights outlive the balancer: an
 * endpoint that goes down while ahead must still never be picked, and the
 * healthy ones keep their shares.
 */
static void
test_steps_health_change(void)
{
	const uint32_t n = 600, picks = 60000;
	struct mg_lb_endpoint *eps = calloc(n, sizeof(*eps));
	uint32_t *counts = calloc(n, sizeof(*counts));
	struct mg_lb_worker *w = mg_lb_worker_create(n, 0, SOCKET_ID_ANY);
	bool *healthy = calloc(n, sizeof(*healthy));
	struct mg_lb *lb;
	uint32_t i, to_down = 0;

	lb_test_eps(eps, n, NULL);
	for (i = 0; i < n; i++) {
		eps[i].weight = 500 + i % 500;	/* sum ~450,000: no schedule */
		healthy[i] = i % 7 != 0;
	}
	lb = mg_lb_create(rr, eps, n, 0, SOCKET_ID_ANY);
	MG_CHECK(lb != NULL && w != NULL);
	if (lb == NULL || w == NULL)
		goto out;
	for (i = 0; i < 1001; i++)
		mg_lb_pick_request(lb, w, 0, NULL, 0, NULL);
	MG_CHECK_EQ(mg_lb_set_healthy(lb, healthy), 0);
	for (i = 0; i < picks; i++) {
		uint32_t e = mg_lb_pick_request(lb, w, 0, NULL, 0, NULL);

		to_down += !healthy[e];
		counts[e]++;
	}
	MG_CHECK_EQ(to_down, 0);
	/* about 0.15 periods: each healthy one within a pick or two of
	 * its share */
	{
		uint64_t wsum = 0;
		uint32_t off = 0;

		for (i = 0; i < n; i++)
			wsum += healthy[i] ? eps[i].weight : 0;
		for (i = 0; i < n; i++)
			if (healthy[i] &&
			    fabs(counts[i] - (double)picks * eps[i].weight / wsum) > 2)
				off++;
		MG_CHECK_EQ(off, 0);
	}
out:
	mg_lb_free(lb);
	mg_lb_worker_free(w);
	free(healthy);
	free(counts);
	free(eps);
}

int
main(void)
{
	uint32_t w[256], i;

	if (mg_test_eal_init("test_lb_round_robin") < 0)
		return EXIT_FAILURE;
	rr = mg_lb_find("round_robin");
	MG_CHECK(rr != NULL && !rr->hashing);
	test_nginx_sequence();
	test_reference();
	test_seeded_start();
	test_walk_on();
	test_steps_health_change();
	w[0] = 5; w[1] = 1; w[2] = 1; w[3] = 3;
	test_skip(4, w);			/* schedule */
	for (i = 0; i < 256; i++)
		w[i] = (uint32_t)(lb_test_hash(i + 7) % 1000) + 1;
	test_skip(256, w);			/* steps */
	return mg_test_done("test_lb_round_robin");
}
