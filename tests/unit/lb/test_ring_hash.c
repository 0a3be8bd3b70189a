/* SPDX-License-Identifier: Apache-2.0 */
/* Ring hash: weighted shares, minimal disruption, deterministic walks. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include <rte_errno.h>
#include <rte_memory.h>

#include "mg_test.h"
#include "lb_test.h"

#define KEYS 100000u

static const struct mg_lb_ops *ring;

static void
test_invalid(void)
{
	struct mg_lb_endpoint eps[3];
	struct mg_lb *lb;

	lb_test_eps(eps, 3, NULL);
	MG_CHECK(ring != NULL && ring->hashing);
	rte_errno = 0;
	MG_CHECK(mg_lb_create(ring, eps, 3, 0, SOCKET_ID_ANY) == NULL);
	MG_CHECK_EQ(rte_errno, EINVAL);
	MG_CHECK(mg_lb_create(ring, eps, 3, MG_LB_RING_MAX + 1,
			      SOCKET_ID_ANY) == NULL);
	eps[2].weight = 0;
	MG_CHECK(mg_lb_create(ring, eps, 3, 1024, SOCKET_ID_ANY) == NULL);
	eps[2].weight = 1;

	/* fewer points than endpoints: one each, all reachable */
	lb = mg_lb_create(ring, eps, 3, 1, SOCKET_ID_ANY);
	MG_CHECK(lb != NULL);
	if (lb != NULL) {
		uint32_t seen[3] = { 0 }, i;

		for (i = 0; i < 1000; i++)
			seen[mg_lb_pick(lb, lb_test_hash(i))]++;
		MG_CHECK(seen[0] > 0 && seen[1] > 0 && seen[2] > 0);
	}
	mg_lb_free(lb);
	/* no endpoints: test_pick.c, for every algorithm */
}

static void
assign(const struct mg_lb *lb, uint32_t *owner)
{
	uint32_t k;

	for (k = 0; k < KEYS; k++)
		owner[k] = mg_lb_pick(lb, lb_test_hash(k));
}

/* Key shares within @p tol (relative) of the weighted shares, plus the
 * sampling noise of KEYS keys (4 sigma). */
static unsigned
check_shares(const uint32_t *owner, const struct mg_lb_endpoint *eps,
	     uint32_t n, const bool *healthy, double tol)
{
	uint32_t *counts = calloc(n, sizeof(*counts)), i;
	uint64_t wsum = 0;
	unsigned bad = 0;

	for (i = 0; i < KEYS; i++)
		counts[owner[i]]++;
	for (i = 0; i < n; i++)
		if (healthy == NULL || healthy[i])
			wsum += eps[i].weight;
	for (i = 0; i < n; i++) {
		double share = (double)KEYS * eps[i].weight / wsum;

		if (healthy != NULL && !healthy[i])
			bad += counts[i] != 0;
		else if (fabs(counts[i] - share) > tol * share + 4 * sqrt(share)) {
			fprintf(stderr, "  n=%u ep %u: %u keys, share %.0f\n",
				n, i, counts[i], share);
			bad++;
		}
	}
	free(counts);
	return bad;
}

/*
 * Take @p down out: exactly its keys move, each to an endpoint that stays;
 * they move where a request that had tried them walks to; back in, the
 * old ring returns.
 */
static void
check_failure(struct mg_lb *lb, const uint32_t *base,
	      const struct mg_lb_endpoint *eps, uint32_t n,
	      const uint32_t *down, uint32_t n_down)
{
	struct mg_lb_worker *w = mg_lb_worker_create(n, 0, SOCKET_ID_ANY);
	uint32_t *now = malloc(KEYS * sizeof(*now));
	bool *healthy = malloc(n);
	uint32_t i, moved = 0, expect = 0, wrong = 0, walk_differs = 0;

	for (i = 0; i < n; i++)
		healthy[i] = true;
	for (i = 0; i < n_down; i++)
		healthy[down[i]] = false;
	MG_CHECK_EQ(mg_lb_set_healthy(lb, healthy), 0);
	MG_CHECK_EQ(lb->n_healthy, n - n_down);
	assign(lb, now);
	for (i = 0; i < KEYS; i++) {
		expect += !healthy[base[i]];
		if (now[i] == base[i])
			continue;
		moved++;
		if (healthy[base[i]] || !healthy[now[i]])
			wrong++;
	}
	MG_CHECK_EQ(wrong, 0);
	MG_CHECK_EQ(moved, expect);
	MG_CHECK_EQ(check_shares(now, eps, n, healthy, 0.25), 0);

	/* with everyone up, a request that tried the downed endpoints walks
	 * to exactly where the keys moved */
	MG_CHECK_EQ(mg_lb_set_healthy(lb, NULL), 0);
	for (i = 0; i < KEYS; i++)
		if (mg_lb_pick_request(lb, w, lb_test_hash(i), down, n_down,
				       NULL) != now[i])
			walk_differs++;
	MG_CHECK_EQ(walk_differs, 0);
	assign(lb, now);
	MG_CHECK(memcmp(now, base, KEYS * sizeof(*now)) == 0);
	mg_lb_worker_free(w);
	free(healthy);
	free(now);
}

static void
test_case(uint32_t n, const uint32_t *weights, uint32_t ring_size)
{
	struct mg_lb_endpoint *eps = calloc(n, sizeof(*eps));
	uint32_t *base = malloc(KEYS * sizeof(*base));
	uint32_t *other = malloc(KEYS * sizeof(*other));
	struct mg_lb *lb, *again;
	uint32_t down[2], i;

	lb_test_eps(eps, n, weights);
	lb = mg_lb_create(ring, eps, n, ring_size, SOCKET_ID_ANY);
	MG_CHECK(lb != NULL);
	if (lb == NULL)
		goto out;
	assign(lb, base);
	/* thousands of points per endpoint: shares within a few percent */
	MG_CHECK_EQ(check_shares(base, eps, n, NULL, n <= 10 ? 0.06 : 0.25), 0);

	/* same input, same ring; a clone too; no filter, same as pick */
	again = mg_lb_create(ring, eps, n, ring_size, SOCKET_ID_ANY);
	MG_CHECK(again != NULL);
	if (again != NULL) {
		assign(again, other);
		MG_CHECK(memcmp(other, base, KEYS * sizeof(*base)) == 0);
		mg_lb_free(again);
	}
	again = mg_lb_clone(lb);
	MG_CHECK(again != NULL);
	if (again != NULL) {
		struct mg_lb_worker *w = mg_lb_worker_create(n, 0, SOCKET_ID_ANY);
		uint32_t differ = 0;

		for (i = 0; i < KEYS; i++)
			differ += mg_lb_pick_request(again, w, lb_test_hash(i),
						     NULL, 0, NULL) != base[i];
		MG_CHECK_EQ(differ, 0);
		mg_lb_worker_free(w);
		mg_lb_free(again);
	}

	down[0] = n / 2;
	check_failure(lb, base, eps, n, down, 1);
	down[0] = 0;
	check_failure(lb, base, eps, n, down, 1);
	down[0] = n - 1;
	check_failure(lb, base, eps, n, down, 1);
	if (n >= 3) {
		down[1] = 1;
		check_failure(lb, base, eps, n, down, 2);
	}
	mg_lb_free(lb);
out:
	free(other);
	free(base);
	free(eps);
}

int
main(void)
{
	uint32_t w[100], i;

	if (mg_test_eal_init("test_lb_ring_hash") < 0)
		return EXIT_FAILURE;
	ring = mg_lb_find("ring_hash");
	test_invalid();
	test_case(3, NULL, 65536);
	test_case(10, NULL, 65536);
	test_case(100, NULL, 65536);
	for (i = 0; i < 100; i++)
		w[i] = i + 1;
	test_case(4, w, 65536);		/* 1:2:3:4 */
	test_case(10, w, 1u << 20);	/* 1..10 */
	w[0] = 1000;
	w[1] = 1;
	test_case(2, w, 65536);		/* 1000:1 */
	return mg_test_done("test_lb_ring_hash");
}
