/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Load-balancer pick cost (issue 4): nanoseconds per pick of every
 * algorithm over 3, 100 and 1000 endpoints, on one lcore, from warm
 * caches. Rows:
 *   L4 pick       mg_lb_pick(): Maglev's inline table read, the others'
 *                 stateless weighted choice by hash
 *   equal         mg_lb_pick_request(), equal weights, no filter
 *   mixed         the same, weights 1..1000 (round robin without a
 *                 schedule at 100 and 1000 endpoints: O(n) steps)
 *   filtered      mixed weights, 10% ejected and one endpoint tried
 * then the cost of rebuilding a balancer for a health change (main lcore)
 * and of outlier detection's report and tick.
 *
 *   lb_bench [EAL args]        (defaults: --no-huge -l 0, no PCI)
 *
 * No assertions: a table to read and to copy into perf/RESULTS.md.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_memory.h>

#include "mg_cfg.h"
#include "mg_lb.h"

#define PICKS		(1u << 20)
#define RUNS		3
#define N_HASHES	4096u	/* a power of two */

enum mode { L4, EQUAL, MIXED, FILTERED, N_MODES };

static const char *const mode_names[N_MODES] = {
	"L4 pick", "equal", "mixed", "filtered"
};
static const char *const algos[] = {
	"maglev", "ring_hash", "round_robin", "least_request", "random"
};
static const uint32_t sizes[] = { 3, 100, 1000 };

static uint64_t hashes[N_HASHES];
static double ns_per_tsc;
static volatile uint32_t sink;

static uint64_t
mix(uint64_t i)
{
	return mg_lb_hash_bytes(&i, sizeof(i));
}

static uint32_t
table_size_of(const char *algo)
{
	if (strcmp(algo, "maglev") == 0)
		return 65537;
	return strcmp(algo, "ring_hash") == 0 ? 65536 : 0;
}

static struct mg_lb *
make_lb(const char *algo, uint32_t n, bool mixed)
{
	struct mg_lb_endpoint *eps = calloc(n, sizeof(*eps));
	struct mg_lb *lb;
	uint32_t i;

	for (i = 0; i < n; i++) {
		eps[i].key = ((uint64_t)(0x0a140000u + i) << 16) | 8080;
		eps[i].weight = mixed ? (uint32_t)(mix(i) % 1000) + 1 : 1;
	}
	lb = mg_lb_create(mg_lb_find(algo), eps, n, table_size_of(algo),
			  SOCKET_ID_ANY);
	free(eps);
	return lb;
}

/* ns per pick; -1 when the balancer could not be built */
static double
time_picks(const char *algo, uint32_t n, enum mode mode)
{
	struct mg_lb *lb = make_lb(algo, n, mode != EQUAL);
	struct mg_lb_worker *w = mg_lb_worker_create(n, 1, SOCKET_ID_ANY);
	uint64_t *bits = calloc((n + 63) / 64, sizeof(*bits));
	struct mg_lb_mask ejected = { bits, n, 0 };
	uint32_t i, acc = 0, tried = 1, n_tried = 0, run;
	const struct mg_lb_mask *ej = NULL;
	uint64_t t0, best = UINT64_MAX;

	if (lb == NULL || w == NULL || bits == NULL) {
		fprintf(stderr, "lb_bench: %s/%u: %s\n", algo, n,
			rte_strerror(rte_errno));
		return -1;
	}
	/* some requests in flight, for least_request to compare */
	for (i = 0; i < n; i++)
		for (uint32_t k = mix(i + 77) % 4; k > 0; k--)
			mg_lb_request_start(w, i);
	if (mode == FILTERED) {
		for (i = 0; i < n / 10; i++) {
			uint32_t e = (uint32_t)(mix(i + 1000) % n);

			if (!(bits[e / 64] >> (e % 64) & 1)) {
				bits[e / 64] |= 1ULL << (e % 64);
				ejected.count++;
			}
		}
		ej = &ejected;
		n_tried = 1;
	}
	/* the best of RUNS: other processes only ever add time */
	for (run = 0; run < RUNS; run++) {
		t0 = rte_rdtsc_precise();
		if (mode == L4) {
			for (i = 0; i < PICKS; i++)
				acc += mg_lb_pick(lb, hashes[i & (N_HASHES - 1)]);
		} else {
			for (i = 0; i < PICKS; i++)
				acc += mg_lb_pick_request(lb, w,
						hashes[i & (N_HASHES - 1)],
						&tried, n_tried, ej);
		}
		t0 = rte_rdtsc_precise() - t0;
		best = t0 < best ? t0 : best;
	}
	sink = acc;
	mg_lb_free(lb);
	mg_lb_worker_free(w);
	free(bits);
	return (double)best * ns_per_tsc / PICKS;
}

/* ms to rebuild for one endpoint down (set_healthy), median of 5 */
static double
time_rebuild(const char *algo, uint32_t n)
{
	struct mg_lb *lb = make_lb(algo, n, true);
	bool *healthy = malloc(n);
	double t[5], tmp;
	int i, j;

	if (lb == NULL || healthy == NULL)
		return -1;
	for (i = 0; i < 5; i++) {
		uint64_t t0;

		memset(healthy, 1, n);
		healthy[(uint32_t)i % n] = false;
		t0 = rte_rdtsc_precise();
		mg_lb_set_healthy(lb, healthy);
		t[i] = (double)(rte_rdtsc_precise() - t0) * ns_per_tsc / 1e6;
	}
	for (i = 0; i < 5; i++)
		for (j = i + 1; j < 5; j++)
			if (t[j] < t[i]) {
				tmp = t[i];
				t[i] = t[j];
				t[j] = tmp;
			}
	free(healthy);
	mg_lb_free(lb);
	return t[2];
}

static void
bench_outlier(void)
{
	static const struct mg_cfg_outlier cfg = {
		.consecutive_5xx = 5, .consecutive_connect_failures = 3,
		.base_ejection_ms = 30000, .max_ejection_ms = 300000,
		.max_ejection_pct = 10,
	};
	struct mg_lb_outlier *o = mg_lb_outlier_create(&cfg, 1000,
						       SOCKET_ID_ANY);
	uint64_t t0, t1, now = 0;
	uint32_t i;

	if (o == NULL)
		return;
	t0 = rte_rdtsc_precise();
	for (i = 0; i < PICKS; i++) {
		/* one 5xx in 8: a few ejections, mostly successes */
		mg_lb_outlier_report(o, (uint32_t)(hashes[i & (N_HASHES - 1)] % 1000),
				     (i & 7) == 0 ? MG_LB_OUTCOME_5XX :
				     MG_LB_OUTCOME_SUCCESS, now);
		now += 10;
	}
	t1 = rte_rdtsc_precise();
	printf("outlier report (1000 endpoints): %.1f ns\n",
	       (double)(t1 - t0) * ns_per_tsc / PICKS);
	t0 = rte_rdtsc_precise();
	for (i = 0; i < PICKS; i++)
		sink += mg_lb_outlier_tick(o, now);
	t1 = rte_rdtsc_precise();
	printf("outlier tick, nothing due:       %.1f ns\n",
	       (double)(t1 - t0) * ns_per_tsc / PICKS);
	mg_lb_outlier_free(o);
}

int
main(int argc, char **argv)
{
	char *def[] = { argv[0], "--no-huge", "-m", "512", "--no-pci",
			"--no-shconf", "--no-telemetry",
			"--log-level=lib.eal:error", "-l", "0", NULL };
	size_t a, s;
	int m;

	if (argc > 1 ? rte_eal_init(argc, argv) < 0 :
	    rte_eal_init((int)(sizeof(def) / sizeof(def[0])) - 1, def) < 0) {
		fprintf(stderr, "lb_bench: rte_eal_init failed\n");
		return EXIT_FAILURE;
	}
	ns_per_tsc = 1e9 / (double)rte_get_tsc_hz();
	for (s = 0; s < N_HASHES; s++)
		hashes[s] = mix(s + 12345);

	printf("ns per pick (best of %u runs of %u picks, TSC %.2f GHz)\n",
	       RUNS, PICKS, (double)rte_get_tsc_hz() / 1e9);
	printf("%-14s %-9s %9s %9s %9s\n", "algorithm", "mode", "n=3",
	       "n=100", "n=1000");
	for (a = 0; a < sizeof(algos) / sizeof(algos[0]); a++) {
		for (m = 0; m < N_MODES; m++) {
			printf("%-14s %-9s", algos[a], mode_names[m]);
			for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
				printf(" %9.1f", time_picks(algos[a], sizes[s],
							    (enum mode)m));
			printf("\n");
		}
	}
	printf("\nms to rebuild for one endpoint down (mixed weights)\n");
	printf("%-14s %9s %9s %9s\n", "algorithm", "n=3", "n=100", "n=1000");
	for (a = 0; a < sizeof(algos) / sizeof(algos[0]); a++) {
		printf("%-14s", algos[a]);
		for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
			printf(" %9.3f", time_rebuild(algos[a], sizes[s]));
		printf("\n");
	}
	printf("\n");
	bench_outlier();
	rte_eal_cleanup();
	return EXIT_SUCCESS;
}
