/* SPDX-License-Identifier: Apache-2.0 */
/* Outlier detection on a virtual clock: thresholds, times, the share cap. */
#include <errno.h>
#include <stdlib.h>

#include <rte_errno.h>
#include <rte_memory.h>

#include "mg_test.h"
#include "lb_test.h"
#include "mg_cfg.h"

#define S 1000000ull		/* a second of the virtual clock */
#define BASE_S 30
#define MAX_S 300

static const struct mg_cfg_outlier default_cfg = {
	.consecutive_5xx = 5,
	.consecutive_connect_failures = 3,
	.base_ejection_ms = BASE_S * 1000,
	.max_ejection_ms = MAX_S * 1000,
	.max_ejection_pct = 50,
};

static struct mg_lb_outlier_stats
stats(const struct mg_lb_outlier *o)
{
	struct mg_lb_outlier_stats st;

	mg_lb_outlier_stats_get(o, &st);
	return st;
}

/* @p k results of @p what on @p e at @p now; the last report's return. */
static int
report_n(struct mg_lb_outlier *o, uint32_t e, enum mg_lb_outcome what,
	 unsigned k, uint64_t now)
{
	int rc = 0;

	while (k-- > 0)
		rc = mg_lb_outlier_report(o, e, what, now);
	return rc;
}

static void
test_invalid(void)
{
	struct mg_cfg_outlier c = default_cfg;
	struct mg_lb_outlier *o;

	MG_CHECK(mg_lb_outlier_create(NULL, 3, SOCKET_ID_ANY) == NULL);
	MG_CHECK(mg_lb_outlier_create(&c, MG_LB_MAX_ENDPOINTS + 1,
				      SOCKET_ID_ANY) == NULL);
	c.max_ejection_pct = 101;
	rte_errno = 0;
	MG_CHECK(mg_lb_outlier_create(&c, 3, SOCKET_ID_ANY) == NULL);
	MG_CHECK_EQ(rte_errno, EINVAL);
	c = default_cfg;
	c.base_ejection_ms = 0;
	MG_CHECK(mg_lb_outlier_create(&c, 3, SOCKET_ID_ANY) == NULL);
	c = default_cfg;
	c.max_ejection_ms = c.base_ejection_ms - 1;
	MG_CHECK(mg_lb_outlier_create(&c, 3, SOCKET_ID_ANY) == NULL);
	/* both rules off: times do not matter, nothing is ever ejected */
	c.consecutive_5xx = 0;
	c.consecutive_connect_failures = 0;
	c.base_ejection_ms = 0;
	o = mg_lb_outlier_create(&c, 3, SOCKET_ID_ANY);
	MG_CHECK(o != NULL);
	if (o != NULL) {
		MG_CHECK_EQ(report_n(o, 1, MG_LB_OUTCOME_5XX, 100, 0), 0);
		MG_CHECK_EQ(report_n(o, 1, MG_LB_OUTCOME_CONNECT_FAILURE, 100, 0), 0);
		MG_CHECK(!mg_lb_outlier_is_ejected(o, 1));
		/* bad reports refused and counted */
		MG_CHECK_EQ(mg_lb_outlier_report(o, 3, MG_LB_OUTCOME_5XX, 0), -EINVAL);
		MG_CHECK_EQ(mg_lb_outlier_report(o, 0, (enum mg_lb_outcome)7, 0),
			    -EINVAL);
		MG_CHECK_EQ(stats(o).bad_reports, 2);
		MG_CHECK(!mg_lb_outlier_is_ejected(o, 3));
	}
	mg_lb_outlier_free(o);
	mg_lb_outlier_free(NULL);
}

static void
test_thresholds(void)
{
	struct mg_lb_outlier *o = mg_lb_outlier_create(&default_cfg, 10,
						       SOCKET_ID_ANY);

	MG_CHECK(o != NULL);
	if (o == NULL)
		return;
	/* 5xx: a success in between starts the count again */
	MG_CHECK_EQ(report_n(o, 0, MG_LB_OUTCOME_5XX, 4, 0), 0);
	MG_CHECK_EQ(report_n(o, 0, MG_LB_OUTCOME_SUCCESS, 1, 0), 0);
	MG_CHECK_EQ(report_n(o, 0, MG_LB_OUTCOME_5XX, 4, 0), 0);
	MG_CHECK(!mg_lb_outlier_is_ejected(o, 0));
	MG_CHECK_EQ(report_n(o, 0, MG_LB_OUTCOME_5XX, 1, 0), 1);
	MG_CHECK(mg_lb_outlier_is_ejected(o, 0));
	MG_CHECK_EQ(stats(o).ejections_5xx, 1);

	/* connect failures: a 5xx response means the connection worked */
	MG_CHECK_EQ(report_n(o, 1, MG_LB_OUTCOME_CONNECT_FAILURE, 2, 0), 0);
	MG_CHECK_EQ(report_n(o, 1, MG_LB_OUTCOME_5XX, 1, 0), 0);
	MG_CHECK_EQ(report_n(o, 1, MG_LB_OUTCOME_CONNECT_FAILURE, 2, 0), 0);
	MG_CHECK(!mg_lb_outlier_is_ejected(o, 1));
	MG_CHECK_EQ(report_n(o, 1, MG_LB_OUTCOME_CONNECT_FAILURE, 1, 0), 1);
	MG_CHECK_EQ(stats(o).ejections_connect, 1);

	/* ... but a connect failure does not end a run of 5xx */
	MG_CHECK_EQ(report_n(o, 2, MG_LB_OUTCOME_5XX, 4, 0), 0);
	MG_CHECK_EQ(report_n(o, 2, MG_LB_OUTCOME_CONNECT_FAILURE, 1, 0), 0);
	MG_CHECK_EQ(report_n(o, 2, MG_LB_OUTCOME_5XX, 1, 0), 1);

	/* results for an ejected endpoint are ignored... */
	MG_CHECK_EQ(report_n(o, 0, MG_LB_OUTCOME_5XX, 7, S), 0);
	MG_CHECK_EQ(stats(o).ignored_while_ejected, 7);
	MG_CHECK_EQ(stats(o).ejected, 3);
	/* ... and it comes back with clean counts */
	MG_CHECK_EQ(mg_lb_outlier_tick(o, BASE_S * S), 3);
	MG_CHECK_EQ(stats(o).returns, 3);
	MG_CHECK_EQ(report_n(o, 0, MG_LB_OUTCOME_5XX, 4, BASE_S * S), 0);
	MG_CHECK(!mg_lb_outlier_is_ejected(o, 0));
	mg_lb_outlier_free(o);
}

/*
 * Ejected for base x ejections, capped; back exactly when the time is
 * over; the multiplier decays by one per base time back in service.
 */
static void
test_times(void)
{
	struct mg_lb_outlier *o = mg_lb_outlier_create(&default_cfg, 4,
						       SOCKET_ID_ANY);
	uint64_t now = 1000 * S, k;

	MG_CHECK(o != NULL);
	if (o == NULL)
		return;
	MG_CHECK_EQ(mg_lb_outlier_tick(o, now), 0);
	for (k = 1; k <= 12; k++) {
		uint64_t len = (k * BASE_S < MAX_S ? k * BASE_S : MAX_S) * S;

		/* failing again as soon as it is back */
		MG_CHECK_EQ(report_n(o, 3, MG_LB_OUTCOME_CONNECT_FAILURE, 3, now), 1);
		MG_CHECK_EQ(mg_lb_outlier_tick(o, now + len - 1), 0);
		MG_CHECK(mg_lb_outlier_is_ejected(o, 3));
		MG_CHECK_EQ(mg_lb_outlier_tick(o, now + len), 1);
		MG_CHECK(!mg_lb_outlier_is_ejected(o, 3));
		now += len;
	}
	/* the multiplier stopped at the cap (10); two base times of good
	 * service take it to 8, this ejection to 9 */
	now += 2 * BASE_S * S + 1;
	MG_CHECK_EQ(report_n(o, 3, MG_LB_OUTCOME_CONNECT_FAILURE, 3, now), 1);
	MG_CHECK_EQ(mg_lb_outlier_tick(o, now + 9 * BASE_S * S - 1), 0);
	MG_CHECK_EQ(mg_lb_outlier_tick(o, now + 9 * BASE_S * S), 1);
	/* a long good spell: the base time again */
	now += 9 * BASE_S * S + 3600 * S;
	MG_CHECK_EQ(report_n(o, 3, MG_LB_OUTCOME_CONNECT_FAILURE, 3, now), 1);
	MG_CHECK_EQ(mg_lb_outlier_tick(o, now + BASE_S * S - 1), 0);
	MG_CHECK_EQ(mg_lb_outlier_tick(o, now + BASE_S * S), 1);

	/* a report after the time is over returns the endpoint first */
	now += BASE_S * S;
	MG_CHECK_EQ(report_n(o, 1, MG_LB_OUTCOME_5XX, 5, now), 1);
	MG_CHECK_EQ(report_n(o, 1, MG_LB_OUTCOME_SUCCESS, 1, now + BASE_S * S), 0);
	MG_CHECK(!mg_lb_outlier_is_ejected(o, 1));
	MG_CHECK_EQ(stats(o).ignored_while_ejected, 0);
	mg_lb_outlier_free(o);
}

static void
test_max_share(void)
{
	struct mg_cfg_outlier c = default_cfg;
	struct mg_lb_outlier *o;
	uint32_t e;

	/* 20% of 10: two at once; the third waits for room */
	c.max_ejection_pct = 20;
	o = mg_lb_outlier_create(&c, 10, SOCKET_ID_ANY);
	MG_CHECK(o != NULL);
	if (o == NULL)
		return;
	MG_CHECK_EQ(report_n(o, 0, MG_LB_OUTCOME_5XX, 5, 0), 1);
	MG_CHECK_EQ(report_n(o, 1, MG_LB_OUTCOME_5XX, 5, S), 1);
	MG_CHECK_EQ(report_n(o, 2, MG_LB_OUTCOME_5XX, 5, 2 * S), 0);
	MG_CHECK_EQ(report_n(o, 2, MG_LB_OUTCOME_5XX, 3, 3 * S), 0);
	MG_CHECK_EQ(stats(o).ejections_refused, 4);
	MG_CHECK_EQ(mg_lb_outlier_ejected(o)->count, 2);
	/* endpoint 0 is back at 30 s: the next 5xx of 2 ejects it */
	MG_CHECK_EQ(report_n(o, 2, MG_LB_OUTCOME_5XX, 1, BASE_S * S), 1);
	MG_CHECK(!mg_lb_outlier_is_ejected(o, 0));
	MG_CHECK(mg_lb_outlier_is_ejected(o, 2));
	mg_lb_outlier_free(o);

	/* 10% of 3 is less than one: one may always be ejected (Envoy) */
	c.max_ejection_pct = 10;
	o = mg_lb_outlier_create(&c, 3, SOCKET_ID_ANY);
	MG_CHECK(o != NULL);
	if (o != NULL) {
		for (e = 0; e < 3; e++)
			report_n(o, e, MG_LB_OUTCOME_5XX, 5, 0);
		MG_CHECK_EQ(mg_lb_outlier_ejected(o)->count, 1);
		MG_CHECK_EQ(stats(o).ejections_refused, 2);
	}
	mg_lb_outlier_free(o);

	/* 0%: never; 100%: all */
	c.max_ejection_pct = 0;
	o = mg_lb_outlier_create(&c, 3, SOCKET_ID_ANY);
	MG_CHECK(o != NULL && report_n(o, 0, MG_LB_OUTCOME_5XX, 5, 0) == 0);
	mg_lb_outlier_free(o);
	c.max_ejection_pct = 100;
	o = mg_lb_outlier_create(&c, 3, SOCKET_ID_ANY);
	MG_CHECK(o != NULL);
	if (o != NULL) {
		for (e = 0; e < 3; e++)
			MG_CHECK_EQ(report_n(o, e, MG_LB_OUTCOME_5XX, 5, 0), 1);
		MG_CHECK_EQ(mg_lb_outlier_ejected(o)->count, 3);
	}
	mg_lb_outlier_free(o);
}

/* The ejected set steers the picks of every algorithm, then lets go. */
static void
test_with_pick(void)
{
	const uint32_t n = 4;
	struct mg_lb_endpoint eps[4];
	size_t a;

	lb_test_eps(eps, n, NULL);
	for (a = 0; a < LB_TEST_N_ALGOS; a++) {
		struct mg_lb *lb = lb_test_create(lb_test_algos[a].name, eps, n);
		struct mg_lb_worker *w = mg_lb_worker_create(n, 1, SOCKET_ID_ANY);
		struct mg_lb_outlier *o = mg_lb_outlier_create(&default_cfg, n,
							       SOCKET_ID_ANY);
		uint32_t i, to_2 = 0;

		MG_CHECK(lb != NULL && w != NULL && o != NULL);
		if (lb == NULL || w == NULL || o == NULL)
			continue;
		MG_CHECK_EQ(mg_lb_outlier_ejected(o)->size, n);
		MG_CHECK_EQ(report_n(o, 2, MG_LB_OUTCOME_5XX, 5, 0), 1);
		for (i = 0; i < 1000; i++)
			to_2 += mg_lb_pick_request(lb, w, lb_test_hash(i), NULL, 0,
						   mg_lb_outlier_ejected(o)) == 2;
		MG_CHECK_EQ(to_2, 0);
		mg_lb_outlier_tick(o, BASE_S * S);
		for (i = 0; i < 1000; i++)
			to_2 += mg_lb_pick_request(lb, w, lb_test_hash(i), NULL, 0,
						   mg_lb_outlier_ejected(o)) == 2;
		MG_CHECK(to_2 > 150);
		mg_lb_outlier_free(o);
		mg_lb_worker_free(w);
		mg_lb_free(lb);
	}
}

int
main(void)
{
	if (mg_test_eal_init("test_lb_outlier") < 0)
		return EXIT_FAILURE;
	test_invalid();
	test_thresholds();
	test_times();
	test_max_share();
	test_with_pick();
	return mg_test_done("test_lb_outlier");
}
