/* SPDX-License-Identifier: Apache-2.0 */
/* Least request, power of two choices: load decides, weights share. */
#include <math.h>
#include <stdlib.h>

#include <rte_memory.h>

#include "mg_test.h"
#include "lb_test.h"

static const struct mg_lb_ops *lr;

static struct mg_lb *
make_lb(uint32_t n, const uint32_t *weights)
{
	struct mg_lb_endpoint eps[16];

	lb_test_eps(eps, n, weights);
	return mg_lb_create(lr, eps, n, 0, SOCKET_ID_ANY);
}

static void
load(struct mg_lb_worker *w, uint32_t e, uint32_t requests)
{
	while (requests-- > 0)
		mg_lb_request_start(w, e);
}

static void
test_prefers_idle(void)
{
	struct mg_lb *lb = make_lb(3, NULL);
	struct mg_lb_worker *w = mg_lb_worker_create(3, 1, SOCKET_ID_ANY);
	uint32_t counts[3] = { 0 }, i, picks = 30000;

	MG_CHECK(lb != NULL && w != NULL);
	if (lb == NULL || w == NULL)
		return;
	/* endpoint 2 tried: the two choices are the two left, the idle wins */
	load(w, 0, 5);
	load(w, 2, 5);
	for (i = 0; i < 1000; i++) {
		uint32_t tried = 2, e;

		e = mg_lb_pick_request(lb, w, 0, &tried, 1, NULL);
		MG_CHECK_EQ(e, 1);
	}
	/* three, loads 5, 0, 5: the idle one is in 2 of the 3 pairs */
	for (i = 0; i < picks; i++)
		counts[mg_lb_pick_request(lb, w, 0, NULL, 0, NULL)]++;
	MG_CHECK(fabs(counts[1] - picks * 2.0 / 3) < 0.02 * picks);
	MG_CHECK(fabs((double)counts[0] - counts[2]) < 0.03 * picks);

	/* start/done keep the count; mistakes are refused and counted */
	MG_CHECK_EQ(mg_lb_active_requests(w, 0), 5);
	for (i = 0; i < 6; i++)
		mg_lb_request_done(w, 0);
	MG_CHECK_EQ(mg_lb_active_requests(w, 0), 0);
	mg_lb_request_start(w, 3);
	mg_lb_request_done(w, MG_LB_NONE);
	MG_CHECK_EQ(mg_lb_active_requests(w, 3), 0);
	{
		struct mg_lb_worker_stats st;

		mg_lb_worker_stats_get(w, &st);
		MG_CHECK_EQ(st.bad_calls, 3);
		MG_CHECK_EQ(st.picks, 1000 + picks);
	}
	mg_lb_free(lb);
	mg_lb_worker_free(w);
}

/* With nothing in flight the shares follow the weights. */
static void
test_weights_idle(void)
{
	static const uint32_t weights[] = { 1, 2, 3, 4 };
	struct mg_lb *lb = make_lb(4, weights);
	struct mg_lb_worker *w = mg_lb_worker_create(4, 2, SOCKET_ID_ANY);
	uint32_t counts[4] = { 0 }, i, picks = 100000;

	MG_CHECK(lb != NULL && w != NULL);
	if (lb == NULL || w == NULL)
		return;
	for (i = 0; i < picks; i++)
		counts[mg_lb_pick_request(lb, w, 0, NULL, 0, NULL)]++;
	for (i = 0; i < 4; i++)
		MG_CHECK(fabs(counts[i] - picks * weights[i] / 10.0) <
			 0.03 * picks * weights[i] / 10.0);
	mg_lb_free(lb);
	mg_lb_worker_free(w);
}

/* Active requests per unit of weight: 2 on weight 3 beats 1 on weight 1. */
static void
test_weights_loaded(void)
{
	static const uint32_t weights[] = { 1, 3 };
	struct mg_lb *lb = make_lb(2, weights);
	struct mg_lb_worker *w = mg_lb_worker_create(2, 3, SOCKET_ID_ANY);
	uint32_t i;

	MG_CHECK(lb != NULL && w != NULL);
	if (lb == NULL || w == NULL)
		return;
	load(w, 0, 1);
	load(w, 1, 2);
	for (i = 0; i < 100; i++)
		MG_CHECK_EQ(mg_lb_pick_request(lb, w, 0, NULL, 0, NULL), 1);
	load(w, 1, 2);		/* 4/3 > 1/1 */
	for (i = 0; i < 100; i++)
		MG_CHECK_EQ(mg_lb_pick_request(lb, w, 0, NULL, 0, NULL), 0);
	mg_lb_free(lb);
	mg_lb_worker_free(w);
}

/*
 * A virtual-time run: one request per tick, endpoint 0 takes 20 ticks to
 * answer and the others 2. Least request sends the slow one far less than
 * its fair share; active requests per endpoint stay low.
 */
static void
test_slow_endpoint(void)
{
	enum { N = 4, TICKS = 40000, MAX_LAT = 20 };
	struct mg_lb *lb = make_lb(N, NULL);
	struct mg_lb_worker *w = mg_lb_worker_create(N, 4, SOCKET_ID_ANY);
	uint32_t due[MAX_LAT + 1][N] = { { 0 } }, counts[N] = { 0 };
	uint32_t t, e, max_active = 0;

	MG_CHECK(lb != NULL && w != NULL);
	if (lb == NULL || w == NULL)
		return;
	for (t = 0; t < TICKS; t++) {
		uint32_t *now = due[t % (MAX_LAT + 1)];

		for (e = 0; e < N; e++)
			while (now[e] > 0) {
				mg_lb_request_done(w, e);
				now[e]--;
			}
		e = mg_lb_pick_request(lb, w, 0, NULL, 0, NULL);
		counts[e]++;
		mg_lb_request_start(w, e);
		due[(t + (e == 0 ? MAX_LAT : 2)) % (MAX_LAT + 1)][e]++;
		if (mg_lb_active_requests(w, e) > max_active)
			max_active = mg_lb_active_requests(w, e);
	}
	MG_CHECK(counts[0] < TICKS / N / 3);
	MG_CHECK(max_active <= 3);
	mg_lb_free(lb);
	mg_lb_worker_free(w);
}

int
main(void)
{
	if (mg_test_eal_init("test_lb_least_request") < 0)
		return EXIT_FAILURE;
	lr = mg_lb_find("least_request");
	MG_CHECK(lr != NULL && !lr->hashing);
	test_prefers_idle();
	test_weights_idle();
	test_weights_loaded();
	test_slow_endpoint();
	return mg_test_done("test_lb_least_request");
}
