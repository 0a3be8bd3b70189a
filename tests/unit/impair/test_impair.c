/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The impairment stage on a virtual clock: rates within statistical bounds
 * and repeatable per seed, delay exact, reordering without loss, overflow
 * counted with every mbuf returned to its pool, zero config a pass-through.
 */

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_mbuf.h>

#include "mg_test.h"
#include "mg_impair.h"

#define NPKT		100000
#define BURST		32
#define OUT_CAP		128
#define TICK_US		10	/* one loop iteration */

static struct rte_mempool *pool;

static struct rte_mbuf *
tagged(uint32_t seq)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	char *p;

	if (m == NULL)
		return NULL;
	p = rte_pktmbuf_append(m, 64);
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memset(p, 0, 64);
	memcpy(p, &seq, sizeof(seq));
	return m;
}

static uint32_t
tag_of(const struct rte_mbuf *m)
{
	uint32_t seq;

	memcpy(&seq, rte_pktmbuf_mtod(m, const void *), sizeof(seq));
	return seq;
}

struct run {
	struct mg_impair_stats st;
	uint32_t *seen;		/* tags in the order they went out */
	uint64_t n_seen;
	uint64_t *at_us;	/* when each went out */
	uint64_t hash;		/* of the output order */
	uint32_t held_at_end;
};

static void
collect(struct run *r, struct rte_mbuf **out, uint16_t n, uint64_t now_us)
{
	for (uint16_t i = 0; i < n; i++) {
		uint32_t tag = tag_of(out[i]);

		if (r->n_seen < 2 * NPKT) {
			r->seen[r->n_seen] = tag;
			r->at_us[r->n_seen] = now_us;
		}
		r->n_seen++;
		r->hash = (r->hash ^ tag) * 0x100000001b3ULL;
		rte_pktmbuf_free(out[i]);
	}
}

/* Push NPKT tagged packets through in bursts, one burst per tick, flushing
 * every tick, then drain. */
static int
run(const struct mg_cfg_impairment *cfg, uint32_t worker, uint32_t hold,
    struct run *r)
{
	struct rte_mbuf *in[BURST], *out[OUT_CAP];
	struct mg_impair *im;
	uint64_t now = 1000000;
	uint32_t seq = 0;
	unsigned avail = rte_mempool_avail_count(pool);

	memset(r, 0, sizeof(*r));
	r->seen = calloc(2 * NPKT, sizeof(*r->seen));
	r->at_us = calloc(2 * NPKT, sizeof(*r->at_us));
	im = mg_impair_create(cfg, worker, pool, hold, SOCKET_ID_ANY);
	if (im == NULL || r->seen == NULL || r->at_us == NULL) {
		MG_CHECK(im != NULL);
		return -1;
	}
	while (seq < NPKT) {
		uint16_t n = 0;

		while (n < BURST && seq < NPKT) {
			in[n] = tagged(seq);
			if (in[n] == NULL)
				break;
			n++;
			seq++;
		}
		collect(r, out, mg_impair_tx(im, in, n, out, OUT_CAP, now), now);
		now += TICK_US;
		collect(r, out, mg_impair_flush(im, out, OUT_CAP, now), now);
	}
	for (int i = 0; i < 100000 && mg_impair_held(im) != 0; i++) {
		now += TICK_US;
		collect(r, out, mg_impair_flush(im, out, OUT_CAP, now), now);
	}
	r->held_at_end = mg_impair_held(im);
	mg_impair_get_stats(im, &r->st);
	mg_impair_free(im);
	MG_CHECK_EQ(rte_mempool_avail_count(pool), avail);
	/* Every packet accounted for. */
	MG_CHECK_EQ(NPKT + r->st.duplicated, r->st.passed + r->st.dropped +
		    r->st.overflow + r->held_at_end);
	MG_CHECK_EQ(r->st.passed, r->n_seen);
	return 0;
}

static void
run_free(struct run *r)
{
	free(r->seen);
	free(r->at_us);
}

static bool
within(uint64_t count, double pct, double tol_pct)
{
	double got = 100.0 * (double)count / NPKT;

	return fabs(got - pct) <= tol_pct;
}

static void
test_passthrough(void)
{
	struct mg_cfg_impairment cfg = { .seed = 1 };
	struct run r;

	/* Zero config needs neither a clone pool nor hold space. */
	struct mg_impair *im = mg_impair_create(&cfg, 0, NULL, 0,
						SOCKET_ID_ANY);
	MG_CHECK(im != NULL);
	mg_impair_free(im);

	if (run(&cfg, 0, 0, &r) < 0)
		return;
	MG_CHECK_EQ(r.st.passed, NPKT);
	MG_CHECK_EQ(r.st.dropped + r.st.duplicated + r.st.reordered +
		    r.st.delayed + r.st.overflow + r.st.dup_failed, 0);
	for (uint32_t i = 0; i < NPKT; i++) {
		if (r.seen[i] != i) {
			MG_CHECK_EQ(r.seen[i], i);
			break;
		}
	}
	run_free(&r);
}

static void
test_rates(void)
{
	struct mg_cfg_impairment loss = { .loss_pct = 1, .seed = 99 };
	struct mg_cfg_impairment dup = { .duplicate_pct = 2, .seed = 99 };
	struct mg_cfg_impairment mix = { .loss_pct = 5, .duplicate_pct = 3,
		.reorder_pct = 4, .delay_us = 200, .seed = 7 };
	struct run a, b, c;

	/* Loss 1% -> 1% +- 0.3%, and the same drops on a second run. */
	if (run(&loss, 3, 0, &a) < 0 || run(&loss, 3, 0, &b) < 0 ||
	    run(&loss, 4, 0, &c) < 0)
		return;
	printf("  loss 1%%: %" PRIu64 " dropped of %u\n", a.st.dropped, NPKT);
	MG_CHECK(within(a.st.dropped, 1.0, 0.3));
	MG_CHECK_EQ(a.st.passed + a.st.dropped, NPKT);
	MG_CHECK_EQ(a.st.duplicated + a.st.reordered + a.st.delayed, 0);
	MG_CHECK_EQ(a.st.dropped, b.st.dropped);
	MG_CHECK_EQ(a.hash, b.hash);
	/* Another worker index, other packets lost. */
	MG_CHECK(a.hash != c.hash);
	/* What survives keeps its order. */
	for (uint64_t i = 1; i < a.n_seen; i++) {
		if (a.seen[i] <= a.seen[i - 1]) {
			MG_CHECK(a.seen[i] > a.seen[i - 1]);
			break;
		}
	}
	run_free(&a);
	run_free(&b);
	run_free(&c);

	/* Duplication 2%: each copy right behind its original. */
	if (run(&dup, 0, 0, &a) < 0)
		return;
	printf("  duplicate 2%%: %" PRIu64 " copies\n", a.st.duplicated);
	MG_CHECK(within(a.st.duplicated, 2.0, 0.3));
	MG_CHECK_EQ(a.st.passed, NPKT + a.st.duplicated);
	{
		uint64_t twins = 0;
		uint32_t next = 0;

		for (uint64_t i = 0; i < a.n_seen; i++) {
			if (i > 0 && a.seen[i] == a.seen[i - 1]) {
				twins++;
				continue;
			}
			MG_CHECK_EQ(a.seen[i], next);
			if (a.seen[i] != next)
				break;
			next++;
		}
		MG_CHECK_EQ(twins, a.st.duplicated);
	}
	run_free(&a);

	/* Everything at once: each rate in bounds, repeatable. */
	if (run(&mix, 1, 4096, &a) < 0 || run(&mix, 1, 4096, &b) < 0)
		return;
	printf("  mix: dropped %" PRIu64 " duplicated %" PRIu64
	       " reordered %" PRIu64 " delayed %" PRIu64 " overflow %" PRIu64
	       "\n", a.st.dropped, a.st.duplicated, a.st.reordered,
	       a.st.delayed, a.st.overflow);
	MG_CHECK(within(a.st.dropped, 5.0, 0.3));
	/* Duplication and reordering apply to the 95% that were not lost. */
	MG_CHECK(within(a.st.duplicated, 3.0 * 0.95, 0.3));
	MG_CHECK(within(a.st.reordered, 4.0 * 0.95, 0.3));
	MG_CHECK_EQ(a.st.overflow, 0);
	MG_CHECK_EQ(a.held_at_end, 0);
	MG_CHECK_EQ(a.hash, b.hash);
	MG_CHECK(memcmp(&a.st, &b.st, sizeof(a.st)) == 0);
	run_free(&a);
	run_free(&b);
}

static void
test_reorder(void)
{
	struct mg_cfg_impairment cfg = { .reorder_pct = 5, .seed = 2024 };
	struct run r;
	uint8_t *count;
	uint64_t inversions = 0, late_max = 0;

	if (run(&cfg, 0, 256, &r) < 0)
		return;
	count = calloc(NPKT, 1);
	if (count == NULL)
		return;
	/* Nothing lost, nothing twice. */
	MG_CHECK_EQ(r.n_seen, NPKT);
	for (uint64_t i = 0; i < r.n_seen && i < NPKT; i++) {
		if (r.seen[i] < NPKT)
			count[r.seen[i]]++;
		if (i > 0 && r.seen[i] < r.seen[i - 1]) {
			inversions++;
			late_max = RTE_MAX(late_max,
					   (uint64_t)(r.seen[i - 1] - r.seen[i]));
		}
	}
	for (uint32_t i = 0; i < NPKT; i++) {
		if (count[i] != 1) {
			MG_CHECK_EQ(count[i], 1);
			break;
		}
	}
	printf("  reorder 5%%: %" PRIu64 " held back, %" PRIu64
	       " inversions, at most %" PRIu64 " late\n", r.st.reordered,
	       inversions, late_max);
	MG_CHECK(within(r.st.reordered, 5.0, 0.3));
	/* Out of order, but only just: behind the packet that followed. */
	MG_CHECK(inversions > 0 && inversions <= r.st.reordered);
	MG_CHECK(late_max <= 4);
	MG_CHECK_EQ(r.st.dropped + r.st.duplicated + r.st.overflow, 0);
	free(count);
	run_free(&r);

	/* A reordered packet with nobody behind it still goes, a little
	 * late. */
	{
		struct mg_cfg_impairment all = { .reorder_pct = 100, .seed = 1 };
		struct mg_impair *im = mg_impair_create(&all, 0, NULL, 4,
							SOCKET_ID_ANY);
		struct rte_mbuf *m = tagged(7), *out[4];

		MG_CHECK(im != NULL && m != NULL);
		if (im == NULL || m == NULL)
			return;
		MG_CHECK_EQ(mg_impair_tx(im, &m, 1, out, 4, 0), 0);
		MG_CHECK_EQ(mg_impair_flush(im, out, 4,
			    MG_IMPAIR_REORDER_HOLD_US - 1), 0);
		MG_CHECK_EQ(mg_impair_flush(im, out, 4,
			    MG_IMPAIR_REORDER_HOLD_US), 1);
		rte_pktmbuf_free(out[0]);
		mg_impair_free(im);
	}
}

static void
test_delay(void)
{
	struct mg_cfg_impairment cfg = { .delay_us = 500, .seed = 3 };
	struct mg_impair *im;
	struct rte_mbuf *in[16], *out[64];
	struct mg_impair_stats st;
	struct run r;
	uint16_t n;

	im = mg_impair_create(&cfg, 0, NULL, 64, SOCKET_ID_ANY);
	MG_CHECK(im != NULL);
	if (im == NULL)
		return;
	for (uint32_t i = 0; i < 16; i++)
		in[i] = tagged(i);
	MG_CHECK_EQ(mg_impair_tx(im, in, 16, out, 64, 1000), 0);
	MG_CHECK_EQ(mg_impair_flush(im, out, 64, 1000), 0);
	MG_CHECK_EQ(mg_impair_flush(im, out, 64, 1499), 0);
	MG_CHECK_EQ(mg_impair_held(im), 16);
	n = mg_impair_flush(im, out, 64, 1500);
	MG_CHECK_EQ(n, 16);
	for (uint16_t i = 0; i < n; i++) {
		MG_CHECK_EQ(tag_of(out[i]), i);
		rte_pktmbuf_free(out[i]);
	}
	mg_impair_get_stats(im, &st);
	MG_CHECK_EQ(st.delayed, 16);
	MG_CHECK_EQ(st.passed, 16);
	mg_impair_free(im);

	/* A stream: every packet out exactly delay_us after it went in. */
	if (run(&cfg, 0, 4096, &r) < 0)
		return;
	MG_CHECK_EQ(r.n_seen, NPKT);
	MG_CHECK_EQ(r.st.delayed, NPKT);
	for (uint64_t i = 0; i < r.n_seen && i < NPKT; i++) {
		/* Burst k went in at 1000000 + k * TICK_US. */
		uint64_t in_us = 1000000 + (uint64_t)(r.seen[i] / BURST) *
			TICK_US;

		if (r.seen[i] != i || r.at_us[i] != in_us + 500) {
			MG_CHECK_EQ(r.seen[i], i);
			MG_CHECK_EQ(r.at_us[i], in_us + 500);
			break;
		}
	}
	run_free(&r);
}

static void
test_overflow(void)
{
	struct mg_cfg_impairment delay = { .delay_us = 100, .seed = 3 };
	struct mg_cfg_impairment none = { .seed = 3 };
	struct rte_mbuf *in[32], *out[32];
	struct mg_impair_stats st;
	struct mg_impair *im;
	unsigned avail = rte_mempool_avail_count(pool);
	uint16_t n;

	/* Hold queue of 8, 20 delayed packets: 12 freed. */
	im = mg_impair_create(&delay, 0, NULL, 8, SOCKET_ID_ANY);
	MG_CHECK(im != NULL);
	if (im == NULL)
		return;
	for (uint32_t i = 0; i < 20; i++)
		in[i] = tagged(i);
	MG_CHECK_EQ(mg_impair_tx(im, in, 20, out, 32, 0), 0);
	mg_impair_get_stats(im, &st);
	MG_CHECK_EQ(st.overflow, 12);
	MG_CHECK_EQ(st.delayed, 8);
	MG_CHECK_EQ(mg_impair_held(im), 8);
	/* out[] smaller than what is due: the rest stays held, in order. */
	n = mg_impair_flush(im, out, 5, 100);
	MG_CHECK_EQ(n, 5);
	for (uint16_t i = 0; i < n; i++) {
		MG_CHECK_EQ(tag_of(out[i]), i);
		rte_pktmbuf_free(out[i]);
	}
	MG_CHECK_EQ(mg_impair_held(im), 3);
	/* Freeing with packets held returns them to the pool. */
	mg_impair_free(im);
	MG_CHECK_EQ(rte_mempool_avail_count(pool), avail);

	/* Pass-through into a small out[]: the rest waits in the hold
	 * queue while it has room, then is dropped. */
	im = mg_impair_create(&none, 0, NULL, 8, SOCKET_ID_ANY);
	if (im == NULL) {
		MG_CHECK(im != NULL);
		return;
	}
	for (uint32_t i = 0; i < 32; i++)
		in[i] = tagged(i);
	n = mg_impair_tx(im, in, 32, out, 16, 0);
	MG_CHECK_EQ(n, 16);
	mg_impair_get_stats(im, &st);
	MG_CHECK_EQ(st.overflow, 8);
	MG_CHECK_EQ(st.delayed, 0);
	MG_CHECK_EQ(mg_impair_held(im), 8);
	for (uint16_t i = 0; i < n; i++)
		rte_pktmbuf_free(out[i]);
	n = mg_impair_flush(im, out, 32, 0);
	MG_CHECK_EQ(n, 8);
	for (uint16_t i = 0; i < n; i++) {
		MG_CHECK_EQ(tag_of(out[i]), 16 + i);
		rte_pktmbuf_free(out[i]);
	}
	mg_impair_free(im);
	MG_CHECK_EQ(rte_mempool_avail_count(pool), avail);

	/* No hold space at all: what does not fit in out[] is dropped. */
	im = mg_impair_create(&none, 0, NULL, 0, SOCKET_ID_ANY);
	if (im == NULL) {
		MG_CHECK(im != NULL);
		return;
	}
	for (uint32_t i = 0; i < 32; i++)
		in[i] = tagged(i);
	n = mg_impair_tx(im, in, 32, out, 10, 0);
	MG_CHECK_EQ(n, 10);
	mg_impair_get_stats(im, &st);
	MG_CHECK_EQ(st.overflow, 22);
	for (uint16_t i = 0; i < n; i++)
		rte_pktmbuf_free(out[i]);
	mg_impair_free(im);
	MG_CHECK_EQ(rte_mempool_avail_count(pool), avail);
}

static void
test_dup_pool_empty(void)
{
	struct mg_cfg_impairment cfg = { .duplicate_pct = 100, .seed = 5 };
	struct rte_mempool *tiny;
	struct mg_impair_stats st;
	struct rte_mbuf *in[4], *out[16];
	struct mg_impair *im;
	uint16_t n;

	tiny = rte_pktmbuf_pool_create("impair_tiny", 2, 0, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	im = mg_impair_create(&cfg, 0, tiny, 0, SOCKET_ID_ANY);
	MG_CHECK(tiny != NULL && im != NULL);
	if (tiny == NULL || im == NULL)
		return;
	for (uint32_t i = 0; i < 4; i++)
		in[i] = tagged(i);
	n = mg_impair_tx(im, in, 4, out, 16, 0);
	mg_impair_get_stats(im, &st);
	MG_CHECK_EQ(st.duplicated, 2);
	MG_CHECK_EQ(st.dup_failed, 2);
	MG_CHECK_EQ(n, 6);
	for (uint16_t i = 0; i < n; i++)
		rte_pktmbuf_free(out[i]);
	MG_CHECK_EQ(rte_mempool_avail_count(tiny), 2);
	mg_impair_free(im);
	rte_mempool_free(tiny);
}

static void
test_create_errors(void)
{
	struct mg_cfg_impairment cfg;

	cfg = (struct mg_cfg_impairment){ .loss_pct = 100.5 };
	rte_errno = 0;
	MG_CHECK(mg_impair_create(&cfg, 0, pool, 8, SOCKET_ID_ANY) == NULL);
	MG_CHECK_EQ(rte_errno, EINVAL);
	cfg = (struct mg_cfg_impairment){ .reorder_pct = -1 };
	MG_CHECK(mg_impair_create(&cfg, 0, pool, 8, SOCKET_ID_ANY) == NULL);
	cfg = (struct mg_cfg_impairment){ .duplicate_pct = NAN };
	MG_CHECK(mg_impair_create(&cfg, 0, pool, 8, SOCKET_ID_ANY) == NULL);
	cfg = (struct mg_cfg_impairment){ .duplicate_pct = 1 };
	MG_CHECK(mg_impair_create(&cfg, 0, NULL, 8, SOCKET_ID_ANY) == NULL);
	cfg = (struct mg_cfg_impairment){ .delay_us = 10 };
	MG_CHECK(mg_impair_create(&cfg, 0, pool, 0, SOCKET_ID_ANY) == NULL);
	cfg = (struct mg_cfg_impairment){ .reorder_pct = 1 };
	MG_CHECK(mg_impair_create(&cfg, 0, pool, 0, SOCKET_ID_ANY) == NULL);
	MG_CHECK_EQ(rte_errno, EINVAL);
	mg_impair_free(NULL);
}

int
main(int argc, char **argv)
{
	(void)argc;
	if (mg_test_eal_init(argv[0]) < 0)
		return EXIT_FAILURE;
	pool = rte_pktmbuf_pool_create("impair_test", 8191, 0, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	if (pool == NULL) {
		fprintf(stderr, "mempool: %s\n", rte_strerror(rte_errno));
		return EXIT_FAILURE;
	}
	test_passthrough();
	test_rates();
	test_reorder();
	test_delay();
	test_overflow();
	test_dup_pool_empty();
	test_create_errors();
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return mg_test_done("test_impair");
}
