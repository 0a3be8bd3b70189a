/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Route lookup cost (issue 4): mg_route_match() on tables of 10, 1,000
 * and 10,000 routes, on one core, no EAL.
 *
 * Tables ("mix"):
 *   api     20 routes per host "svcK.example.com": exact paths and
 *           prefixes, some with a method or a header condition, 1% on
 *           wildcard hosts, a catch-all last.
 *   regex   the same with every 10th path a regex.
 *   prefix  one host, every route a distinct prefix (the radix tree).
 * Requests: "hit" builds a request for a random route, "miss" one for an
 * unknown host and path (answered by the catch-all, or nothing).
 * Then the choice behind route_regex.c: N path regexes as one
 * multi-pattern database scanned once, against N single-pattern
 * databases scanned in order until one matches (what a per-route regex
 * would cost).
 *
 * Prints tables; asserts nothing. ns from CLOCK_MONOTONIC, cycles from
 * the TSC (rte_rdtsc), both per lookup, of the fastest of REPS passes.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hs.h>
#include <rte_cycles.h>

#include "mg_route.h"

#define N_REQ		4096
#define LOOKUPS		(1u << 19)
#define REPS		5

struct req {
	char buf[512];			/* method, host, path, header */
	struct mg_http_header h[2];
	struct mg_route_request rq;
	int want;			/* route it was made for, -1 miss */
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t
rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

enum mix { MIX_API, MIX_REGEX, MIX_PREFIX };
static const char *const mix_names[] = { "api", "regex", "prefix" };

/* Route i of a table of n; the catch-all is the last of "api"/"regex". */
static void
make_route(struct mg_cfg_route *r, uint32_t i, uint32_t n, enum mix mix)
{
	snprintf(r->name, MG_NAME_MAX, "r%u", i);
	r->listener_mask = 1;
	strcpy(r->cluster_name, "c0");
	if (mix == MIX_PREFIX) {
		r->n_hosts = 1;
		strcpy(r->hosts[0], "api.example.com");
		r->path_type = MG_PATH_PREFIX;
		snprintf(r->path, MG_URI_MAX, "/svc/%u/%x/", i % 97, i);
		return;
	}
	if (i == n - 1 && n > 1)
		return;				/* catch-all */
	r->n_hosts = 1;
	if (i % 100 == 99)
		snprintf(r->hosts[0], MG_HOST_MAX, "*.zone%u.example.net",
			 i / 100);
	else
		snprintf(r->hosts[0], MG_HOST_MAX, "svc%u.example.com", i / 20);
	if (mix == MIX_REGEX && i % 10 == 5) {
		r->path_type = MG_PATH_REGEX;
		snprintf(r->path, MG_URI_MAX, "/rx%u/[0-9]+(/.*)?", i);
	} else if (i % 4 == 0) {
		r->path_type = MG_PATH_EXACT;
		snprintf(r->path, MG_URI_MAX, "/api/v1/item%u", i);
	} else {
		r->path_type = MG_PATH_PREFIX;
		snprintf(r->path, MG_URI_MAX, "/api/v%u/res%u/", i % 3, i);
	}
	if (i % 10 == 3) {
		r->n_methods = 1;
		strcpy(r->methods[0], "GET");
	}
	if (i % 20 == 7) {
		r->n_headers = 1;
		snprintf(r->headers[0].name, MG_HDR_NAME_MAX, "x-tenant");
		snprintf(r->headers[0].value, MG_HDR_VALUE_MAX, "t%u", i);
	}
}

/* A request route i would serve (want = i), or a miss (i = -1). */
static void
make_req(struct req *q, const struct mg_cfg_route *routes, int i)
{
	const struct mg_cfg_route *r = i >= 0 ? &routes[i] : NULL;
	char host[MG_HOST_MAX], path[MG_URI_MAX + 16];
	int n, hn;

	memset(q, 0, sizeof(*q));
	q->want = i;
	if (r == NULL || r->n_hosts == 0)
		strcpy(host, "unknown.example.org");
	else if (r->hosts[0][0] == '*')
		snprintf(host, sizeof(host), "a.b%s:443", r->hosts[0] + 1);
	else
		snprintf(host, sizeof(host), "%s", r->hosts[0]);
	if (r == NULL || r->path_type == MG_PATH_ANY)
		strcpy(path, "/nothing/here/at/all");
	else if (r->path_type == MG_PATH_REGEX)
		snprintf(path, sizeof(path), "/rx%d/12345/detail", i);
	else if (r->path_type == MG_PATH_EXACT)
		snprintf(path, sizeof(path), "%s", r->path);
	else
		snprintf(path, sizeof(path), "%sorders/12345", r->path);
	n = snprintf(q->buf, sizeof(q->buf), "GET%s%s", host, path);
	q->rq.listener_idx = 0;
	q->rq.method = MG_HTTP_M_GET;
	q->rq.method_str = (struct mg_route_slice){ q->buf, 3 };
	hn = (int)strlen(host);
	q->rq.host = (struct mg_route_slice){ q->buf + 3, (uint32_t)hn };
	q->rq.path = (struct mg_route_slice){ q->buf + 3 + hn,
					      (uint32_t)(n - 3 - hn) };
	/* "x-tenant" header, matching when the route asks for one */
	n += 1 + snprintf(q->buf + n + 1, sizeof(q->buf) - (size_t)n - 1,
			  "x-tenant");
	q->h[0].name = (struct mg_http_slice){ (uint32_t)n - 8, 8 };
	hn = snprintf(q->buf + n, sizeof(q->buf) - (size_t)n, "%s",
		      r && r->n_headers ? r->headers[0].value : "none");
	q->h[0].value = (struct mg_http_slice){ (uint32_t)n, (uint32_t)hn };
	q->rq.buf = q->buf;
	q->rq.headers = q->h;
	q->rq.n_headers = 1;
}

struct result {
	double ns, cycles, matched;
};

/* Best of REPS passes: the machine may be shared, and the quietest pass
 * is the one closest to the cost of the code. */
static struct result
run(const struct mg_route_table *t, struct mg_route_scratch *s,
    const struct req *reqs)
{
	struct result best = { 1e30, 1e30, 0 };

	for (uint32_t i = 0; i < N_REQ; i++)	/* warm up */
		(void)mg_route_match(t, &reqs[i].rq, s);
	for (int rep = 0; rep < REPS; rep++) {
		uint64_t matched = 0, c0 = rte_rdtsc();
		double t0 = now_ns(), cycles, ns;

		for (uint32_t i = 0; i < LOOKUPS; i++) {
			const struct req *q = &reqs[i & (N_REQ - 1)];
			const struct mg_route *r = mg_route_match(t, &q->rq, s);

			matched += r != NULL && (int)mg_route_index(r) == q->want;
		}
		cycles = (double)(rte_rdtsc() - c0) / LOOKUPS;
		ns = (now_ns() - t0) / LOOKUPS;
		if (ns < best.ns)
			best = (struct result){ ns, cycles,
				100.0 * (double)matched / LOOKUPS };
	}
	return best;
}

static void
bench_table(uint32_t n, enum mix mix, struct req *reqs)
{
	struct mg_config *cfg = calloc(1, sizeof(*cfg));
	struct mg_route_table *t;
	struct mg_route_scratch *s;
	struct result hit, miss;
	char err[256];
	double t0, build_ms;

	cfg->n_listeners = 1;
	cfg->listeners[0].mode = MG_MODE_HTTP;
	cfg->n_clusters = 1;
	strcpy(cfg->clusters[0].name, "c0");
	cfg->n_routes = n;
	cfg->routes = calloc(n, sizeof(*cfg->routes));
	for (uint32_t i = 0; i < n; i++)
		make_route(&cfg->routes[i], i, n, mix);
	t0 = now_ns();
	t = mg_route_table_create(cfg, err, sizeof(err));
	build_ms = (now_ns() - t0) / 1e6;
	if (t == NULL) {
		printf("%-7s %6u  build failed: %s\n", mix_names[mix], n, err);
		goto out;
	}
	s = mg_route_scratch_create(t);
	/* hits spread over every route but the catch-all */
	for (uint32_t i = 0; i < N_REQ; i++)
		make_req(&reqs[i], cfg->routes,
			 (int)(rnd() % (n > 1 && mix != MIX_PREFIX ? n - 1 : n)));
	hit = run(t, s, reqs);
	for (uint32_t i = 0; i < N_REQ; i++) {
		make_req(&reqs[i], cfg->routes, -1);
		reqs[i].want = mix == MIX_PREFIX || n == 1 ? -1 : (int)n - 1;
	}
	miss = run(t, s, reqs);
	printf("%-7s %6u %9.1f %8.1f %8.1f %6.1f%% %8.1f %8.1f\n",
	       mix_names[mix], n, build_ms, hit.ns, hit.cycles, hit.matched,
	       miss.ns, miss.cycles);
	mg_route_scratch_free(s);
	mg_route_table_free(t);
out:
	free(cfg->routes);
	free(cfg);
}

/* ---- one multi-pattern database against one database per regex ---- */

static int
on_match(unsigned int id, unsigned long long from, unsigned long long to,
	 unsigned int flags, void *ctx)
{
	(*(uint32_t *)ctx)++;
	return 0;
}

static int
on_match_stop(unsigned int id, unsigned long long from,
	      unsigned long long to, unsigned int flags, void *ctx)
{
	(*(uint32_t *)ctx)++;
	return 1;
}

static void
bench_regex(uint32_t n)
{
	const unsigned fl = HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY;
	char **exprs = calloc(n, sizeof(*exprs));
	unsigned *flags = calloc(n, sizeof(*flags));
	unsigned *ids = calloc(n, sizeof(*ids));
	hs_database_t *multi = NULL, **single = calloc(n, sizeof(*single));
	hs_scratch_t *scr = NULL;
	hs_compile_error_t *e = NULL;
	char paths[64][64];
	uint32_t hits = 0, rounds = 20000;
	double t0, ms_multi, ms_single, ns_multi, ns_single;
	uint64_t c0, cy_multi, cy_single;

	for (uint32_t i = 0; i < n; i++) {
		exprs[i] = malloc(64);
		snprintf(exprs[i], 64, "\\A(?:/rx%u/[0-9]+(/.*)?)\\z", i);
		flags[i] = fl;
		ids[i] = i;
	}
	t0 = now_ns();
	if (hs_compile_multi((const char *const *)exprs, flags, ids, n,
			     HS_MODE_BLOCK, NULL, &multi, &e) != HS_SUCCESS) {
		printf("regex %u: %s\n", n, e->message);
		return;
	}
	ms_multi = (now_ns() - t0) / 1e6;
	hs_alloc_scratch(multi, &scr);
	t0 = now_ns();
	for (uint32_t i = 0; i < n; i++) {
		hs_compile(exprs[i], fl, HS_MODE_BLOCK, NULL, &single[i], &e);
		hs_alloc_scratch(single[i], &scr);
	}
	ms_single = (now_ns() - t0) / 1e6;
	for (int i = 0; i < 64; i++)
		snprintf(paths[i], sizeof(paths[i]), "/rx%u/12345/orders/x",
			 (uint32_t)(rnd() % n));

	t0 = now_ns();
	c0 = rte_rdtsc();
	for (uint32_t k = 0; k < rounds; k++) {
		const char *p = paths[k & 63];

		hs_scan(multi, p, (unsigned)strlen(p), 0, scr, on_match, &hits);
	}
	cy_multi = (rte_rdtsc() - c0) / rounds;
	ns_multi = (now_ns() - t0) / rounds;
	rounds = n >= 1000 ? 200 : 2000;
	t0 = now_ns();
	c0 = rte_rdtsc();
	for (uint32_t k = 0; k < rounds; k++) {
		const char *p = paths[k & 63];
		uint32_t found = 0;

		/* routes in order until the one whose regex matches */
		for (uint32_t i = 0; i < n && !found; i++)
			hs_scan(single[i], p, (unsigned)strlen(p), 0, scr,
				on_match_stop, &found);
		hits += found;
	}
	cy_single = (rte_rdtsc() - c0) / rounds;
	ns_single = (now_ns() - t0) / rounds;
	printf("%6u %10.1f %10.1f %10.1f %10" PRIu64 " %12.1f %12" PRIu64
	       "\n", n, ms_multi, ms_single, ns_multi, cy_multi, ns_single,
	       cy_single);
	for (uint32_t i = 0; i < n; i++) {
		hs_free_database(single[i]);
		free(exprs[i]);
	}
	hs_free_database(multi);
	hs_free_scratch(scr);
	free(single);
	free(exprs);
	free(flags);
	free(ids);
}

int
main(void)
{
	static const uint32_t sizes[] = { 10, 1000, 10000 };
	struct req *reqs = calloc(N_REQ, sizeof(*reqs));

	printf("route lookup: best of %d passes of %u lookups over %u "
	       "requests\n", REPS, LOOKUPS, N_REQ);
	printf("%-7s %6s %9s %8s %8s %7s %8s %8s\n", "mix", "routes",
	       "build_ms", "hit_ns", "hit_cyc", "right", "miss_ns", "miss_cyc");
	for (int mix = 0; mix < 3; mix++)
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
			bench_table(sizes[i], (enum mix)mix, reqs);
	printf("\npath regexes: one multi-pattern database vs one per regex\n"
	       "(scan of a 24-byte path; per regex: in order until a match)\n");
	printf("%6s %10s %10s %10s %10s %12s %12s\n", "n", "multi_ms",
	       "single_ms", "multi_ns", "multi_cyc", "single_ns", "single_cyc");
	bench_regex(10);
	bench_regex(100);
	bench_regex(1000);
	free(reqs);
	return 0;
}
