/* SPDX-License-Identifier: Apache-2.0 */
/* Maglev: weighted shares, minimal disruption on health changes, determinism. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_memory.h>

#include "mg_test.h"
#include "mg_lb.h"

static const struct mg_lb_ops *maglev;

/* Low-entropy keys on purpose (like addr:port): the permutation hash must mix. */
static void
make_eps(struct mg_lb_endpoint *eps, uint32_t n, const uint32_t *weights)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		eps[i].key = ((uint64_t)(0x0a140000u + i) << 16) | 8080;
		eps[i].weight = weights != NULL ? weights[i] : 1;
	}
}

static void
count_slots(const struct mg_lb *lb, uint32_t *counts, uint32_t n)
{
	uint32_t s;

	memset(counts, 0, sizeof(*counts) * n);
	for (s = 0; s < lb->table_size; s++)
		if (lb->table[s] != MG_LB_TABLE_NONE)
			counts[lb->table[s]]++;
}

/*
 * Each healthy endpoint within 1% of its weighted share of the table. A
 * share of a few dozen slots cannot be met to 1%; one slot of rounding is
 * allowed on top (matters only for the 1..100 weights).
 */
static unsigned
check_shares(const struct mg_lb *lb, const struct mg_lb_endpoint *eps,
	     uint32_t n, const bool *healthy)
{
	uint32_t *counts = calloc(n, sizeof(*counts));
	uint64_t wsum = 0;
	unsigned bad = 0;
	uint32_t i;

	count_slots(lb, counts, n);
	for (i = 0; i < n; i++)
		if (healthy == NULL || healthy[i])
			wsum += eps[i].weight;
	for (i = 0; i < n; i++) {
		double share = (double)lb->table_size * eps[i].weight / wsum;

		if (healthy != NULL && !healthy[i]) {
			if (counts[i] != 0)
				bad++;
			continue;
		}
		if (fabs(counts[i] - share) > 0.01 * share + 1.0) {
			fprintf(stderr, "  M=%u n=%u ep %u w=%u: %u slots, share %.1f\n",
				lb->table_size, n, i, eps[i].weight, counts[i], share);
			bad++;
		}
	}
	free(counts);
	return bad;
}

static void
test_invalid(void)
{
	static const uint32_t bad_sizes[] = { 0, 1, 2, 65521, 65536, 65541,
					      655372, 100000 };
	struct mg_lb_endpoint eps[3];
	struct mg_lb *lb;
	size_t i;

	make_eps(eps, 3, NULL);
	MG_CHECK(maglev != NULL);
	MG_CHECK(mg_lb_find("no-such-lb") == NULL);
	MG_CHECK(mg_lb_find(NULL) == NULL);
	for (i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
		rte_errno = 0;
		lb = mg_lb_create(maglev, eps, 3, bad_sizes[i], SOCKET_ID_ANY);
		MG_CHECK(lb == NULL);
		MG_CHECK_EQ(rte_errno, EINVAL);
	}
	eps[1].weight = 0;
	MG_CHECK(mg_lb_create(maglev, eps, 3, 65537, SOCKET_ID_ANY) == NULL);
	eps[1].weight = 1001;
	MG_CHECK(mg_lb_create(maglev, eps, 3, 65537, SOCKET_ID_ANY) == NULL);
	eps[1].weight = 1000;
	lb = mg_lb_create(maglev, eps, 3, 65537, SOCKET_ID_ANY);
	MG_CHECK(lb != NULL);
	mg_lb_free(lb);
	mg_lb_free(NULL);

	/* no endpoints at all: valid, every pick is NONE */
	lb = mg_lb_create(maglev, NULL, 0, 65537, SOCKET_ID_ANY);
	MG_CHECK(lb != NULL);
	if (lb != NULL) {
		MG_CHECK_EQ(mg_lb_pick(lb, 12345), MG_LB_NONE);
		MG_CHECK_EQ(mg_lb_set_healthy(lb, NULL), 0);
		MG_CHECK_EQ(mg_lb_pick(lb, ~0ULL), MG_LB_NONE);
	}
	mg_lb_free(lb);
}

/*
 * Take endpoints in @p down out, one set at a time, and check against
 * the all-healthy table: only slots of downed endpoints move, survivors
 * keep their weighted shares, and restoring gives the base back.
 */
static void
check_failure(struct mg_lb *lb, const uint16_t *base,
	      const struct mg_lb_endpoint *eps, uint32_t n,
	      const uint32_t *down, uint32_t n_down)
{
	uint32_t m = lb->table_size, s, i, moved = 0, expect_moved = 0;
	uint32_t wrong = 0;
	bool *healthy = malloc(n);

	for (i = 0; i < n; i++)
		healthy[i] = true;
	for (i = 0; i < n_down; i++)
		healthy[down[i]] = false;
	MG_CHECK_EQ(mg_lb_set_healthy(lb, healthy), 0);
	MG_CHECK_EQ(lb->n_healthy, n - n_down);
	for (s = 0; s < m; s++) {
		if (!healthy[base[s]])
			expect_moved++;
		if (lb->table[s] == base[s])
			continue;
		moved++;
		/* a slot may move only away from a downed endpoint */
		if (healthy[base[s]])
			wrong++;
		if (lb->table[s] == MG_LB_TABLE_NONE || !healthy[lb->table[s]])
			wrong++;
	}
	MG_CHECK_EQ(wrong, 0);
	MG_CHECK_EQ(moved, expect_moved);
	MG_CHECK_EQ(check_shares(lb, eps, n, healthy), 0);

	/* clone keeps the degraded table; restoring gives the exact base */
	{
		struct mg_lb *c = mg_lb_clone(lb);

		MG_CHECK(c != NULL);
		if (c != NULL) {
			MG_CHECK(memcmp(c->table, lb->table, m * 2) == 0);
			MG_CHECK_EQ(mg_lb_set_healthy(c, NULL), 0);
			MG_CHECK(memcmp(c->table, base, m * 2) == 0);
			mg_lb_free(c);
		}
	}
	MG_CHECK_EQ(mg_lb_set_healthy(lb, NULL), 0);
	MG_CHECK(memcmp(lb->table, base, m * 2) == 0);
	free(healthy);
}

static void
test_case(uint32_t m, uint32_t n, const uint32_t *weights)
{
	struct mg_lb_endpoint *eps = calloc(n, sizeof(*eps));
	struct mg_lb *lb, *again;
	uint16_t *base;
	uint32_t *counts = calloc(n, sizeof(*counts));
	uint64_t wsum = 0;
	uint32_t i, down[2];

	make_eps(eps, n, weights);
	for (i = 0; i < n; i++)
		wsum += eps[i].weight;
	lb = mg_lb_create(maglev, eps, n, m, SOCKET_ID_ANY);
	MG_CHECK(lb != NULL);
	if (lb == NULL)
		goto out;
	MG_CHECK_EQ(check_shares(lb, eps, n, NULL), 0);
	base = malloc(m * 2);
	memcpy(base, lb->table, m * 2);

	/* same input, same table */
	again = mg_lb_create(maglev, eps, n, m, SOCKET_ID_ANY);
	MG_CHECK(again != NULL && memcmp(again->table, base, m * 2) == 0);
	mg_lb_free(again);

	/* removing one of N moves about 1/N (its weighted share) */
	count_slots(lb, counts, n);
	down[0] = n / 2;
	MG_CHECK(fabs(counts[down[0]] - (double)m * eps[down[0]].weight / wsum) <=
		 0.01 * m * eps[down[0]].weight / wsum + 1.0);
	check_failure(lb, base, eps, n, down, 1);
	down[0] = 0;
	check_failure(lb, base, eps, n, down, 1);
	down[0] = n - 1;
	check_failure(lb, base, eps, n, down, 1);
	if (n >= 3) {
		down[0] = 0;
		down[1] = n - 1;
		check_failure(lb, base, eps, n, down, 2);
	}

	/* the same degraded table twice */
	{
		bool *h = malloc(n);

		for (i = 0; i < n; i++)
			h[i] = i % 3 != 1;
		again = mg_lb_create(maglev, eps, n, m, SOCKET_ID_ANY);
		MG_CHECK_EQ(mg_lb_set_healthy(lb, h), 0);
		MG_CHECK_EQ(mg_lb_set_healthy(again, h), 0);
		MG_CHECK(memcmp(again->table, lb->table, m * 2) == 0);
		mg_lb_free(again);

		/* all down */
		for (i = 0; i < n; i++)
			h[i] = false;
		MG_CHECK_EQ(mg_lb_set_healthy(lb, h), 0);
		MG_CHECK_EQ(lb->n_healthy, 0);
		for (i = 0; i < 1000; i++)
			MG_CHECK_EQ(mg_lb_pick(lb, (uint64_t)i * 0x9e3779b97f4a7c15ULL),
				    MG_LB_NONE);
		/* one back: it takes everything */
		h[n - 1] = true;
		MG_CHECK_EQ(mg_lb_set_healthy(lb, h), 0);
		count_slots(lb, counts, n);
		MG_CHECK_EQ(counts[n - 1], m);
		MG_CHECK_EQ(mg_lb_set_healthy(lb, NULL), 0);
		MG_CHECK(memcmp(lb->table, base, m * 2) == 0);
		free(h);
	}

	/* pick reads the table slot */
	for (i = 0; i < 1000; i++) {
		uint64_t h = (uint64_t)i * 0x9e3779b97f4a7c15ULL;

		MG_CHECK_EQ(mg_lb_pick(lb, h), base[mg_lb_slot(lb, h)]);
		MG_CHECK(mg_lb_slot(lb, h) < m);
	}
	MG_CHECK(mg_lb_slot(lb, ~0ULL) < m);
	free(base);
out:
	mg_lb_free(lb);
	free(eps);
	free(counts);
}

int
main(void)
{
	static const uint32_t sizes[] = { 65537, 655373 };
	uint32_t w[100], i;
	size_t k;

	if (mg_test_eal_init("test_lb_maglev") < 0)
		return EXIT_FAILURE;
	maglev = mg_lb_find("maglev");
	test_invalid();
	for (k = 0; k < 2; k++) {
		uint32_t m = sizes[k];

		test_case(m, 3, NULL);
		test_case(m, 10, NULL);
		test_case(m, 100, NULL);
		for (i = 0; i < 100; i++)
			w[i] = i + 1;
		test_case(m, 3, w);	/* 1:2:3 */
		test_case(m, 10, w);	/* 1..10 */
		test_case(m, 100, w);	/* 1..100 */
		w[0] = 1;
		w[1] = 100;
		test_case(m, 2, w);	/* 1:100 */
		w[0] = 100;
		w[1] = 1;
		w[2] = 100;
		test_case(m, 3, w);
		w[0] = 1000;
		w[1] = 1;
		test_case(m, 2, w);	/* 1000:1 */
	}
	return mg_test_done("test_lb_maglev");
}
