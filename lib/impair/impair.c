/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The impairment stage. Two fixed FIFOs hold packets: the delay queue (a
 * constant delay keeps due times in arrival order, so a FIFO is a heap
 * here) and the reorder queue, whose packets wait for the next normal
 * packet to go out first.
 */

#include <errno.h>
#include <math.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "mg_impair.h"

struct held {
	struct rte_mbuf *m;
	uint64_t due_us;
	uint64_t after;		/* reorder: go once this many normal went */
};

struct fifo {
	struct held *e;
	uint32_t cap, head, count;
};

struct mg_impair {
	uint64_t rng[4];		/* xoshiro256** */
	uint64_t loss_thr, dup_thr, reorder_thr;	/* out of 2^53 */
	uint64_t delay_us;
	struct rte_mempool *clone_pool;
	uint64_t admitted;		/* normal packets taken in */
	uint64_t emitted;		/* normal packets sent out */
	struct fifo delayq, reorderq;
	struct mg_impair_stats st;
};

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t
rng_next(uint64_t s[4])
{
	uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

/* True with probability thr / 2^53; draws nothing when thr is 0, so a
 * zero rate does not shift the other decisions' sequence. */
static inline bool
chance(struct mg_impair *im, uint64_t thr)
{
	return thr != 0 && (rng_next(im->rng) >> 11) < thr;
}

static int
pct_threshold(double pct, uint64_t *thr)
{
	if (!(pct >= 0.0 && pct <= 100.0))
		return -EINVAL;
	*thr = (uint64_t)ldexp(pct / 100.0, 53);
	return 0;
}

static inline struct held *
fifo_head(struct fifo *f)
{
	return f->count != 0 ? &f->e[f->head] : NULL;
}

static inline struct rte_mbuf *
fifo_pop(struct fifo *f)
{
	struct rte_mbuf *m = f->e[f->head].m;

	if (++f->head == f->cap)
		f->head = 0;
	f->count--;
	return m;
}

static inline bool
fifo_push(struct fifo *f, struct rte_mbuf *m, uint64_t due_us, uint64_t after)
{
	uint32_t tail;

	if (f->count == f->cap)
		return false;
	tail = f->head + f->count;
	if (tail >= f->cap)
		tail -= f->cap;
	f->e[tail] = (struct held){ .m = m, .due_us = due_us, .after = after };
	f->count++;
	return true;
}

static int
fifo_init(struct fifo *f, uint32_t cap, int socket)
{
	f->cap = cap;
	if (cap == 0)
		return 0;
	f->e = rte_zmalloc_socket("mg_impair_q", (size_t)cap * sizeof(f->e[0]),
				  RTE_CACHE_LINE_SIZE, socket);
	return f->e != NULL ? 0 : -ENOMEM;
}

static void
fifo_fini(struct fifo *f)
{
	while (f->count != 0)
		rte_pktmbuf_free(fifo_pop(f));
	rte_free(f->e);
}

struct mg_impair *
mg_impair_create(const struct mg_cfg_impairment *cfg, uint32_t worker_index,
		 struct rte_mempool *clone_pool, uint32_t hold_capacity,
		 int socket)
{
	struct mg_impair *im;
	uint64_t x;

	im = rte_zmalloc_socket("mg_impair", sizeof(*im), RTE_CACHE_LINE_SIZE,
				socket);
	if (im == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	if (pct_threshold(cfg->loss_pct, &im->loss_thr) < 0 ||
	    pct_threshold(cfg->duplicate_pct, &im->dup_thr) < 0 ||
	    pct_threshold(cfg->reorder_pct, &im->reorder_thr) < 0 ||
	    (im->dup_thr != 0 && clone_pool == NULL) ||
	    ((cfg->delay_us != 0 || im->reorder_thr != 0) &&
	     hold_capacity == 0))
		goto einval;
	im->delay_us = cfg->delay_us;
	im->clone_pool = clone_pool;

	x = cfg->seed ^ ((uint64_t)worker_index + 1) * 0xd1342543de82ef95ULL;
	for (unsigned i = 0; i < 4; i++)
		im->rng[i] = splitmix64(&x);

	if (fifo_init(&im->delayq, hold_capacity, socket) < 0 ||
	    fifo_init(&im->reorderq, im->reorder_thr != 0 ? hold_capacity : 0,
		      socket) < 0)
		goto enomem;
	return im;

enomem:
	mg_impair_free(im);
	rte_errno = ENOMEM;
	return NULL;
einval:
	mg_impair_free(im);
	rte_errno = EINVAL;
	return NULL;
}

void
mg_impair_free(struct mg_impair *im)
{
	if (im == NULL)
		return;
	fifo_fini(&im->delayq);
	fifo_fini(&im->reorderq);
	rte_free(im);
}

/* Send out what is due, in order: a reordered packet right after the normal
 * packet it waits for, delayed packets at their time, and a reordered packet
 * whose wait ran out. */
static uint16_t
release(struct mg_impair *im, struct rte_mbuf **out, uint16_t nout,
	uint16_t out_cap, uint64_t now_us)
{
	while (nout < out_cap) {
		struct held *r = fifo_head(&im->reorderq);
		struct held *d = fifo_head(&im->delayq);

		if (r != NULL && r->after <= im->emitted) {
			out[nout++] = fifo_pop(&im->reorderq);
		} else if (d != NULL && d->due_us <= now_us) {
			out[nout++] = fifo_pop(&im->delayq);
			im->emitted++;
		} else if (r != NULL && r->due_us <= now_us) {
			out[nout++] = fifo_pop(&im->reorderq);
		} else {
			break;
		}
		im->st.passed++;
	}
	return nout;
}

/* A packet that goes in order (possibly delayed). */
static uint16_t
admit(struct mg_impair *im, struct rte_mbuf *m, struct rte_mbuf **out,
      uint16_t nout, uint16_t out_cap, uint64_t now_us)
{
	im->admitted++;
	if (im->delay_us == 0 && im->delayq.count == 0 && nout < out_cap) {
		out[nout++] = m;
		im->emitted++;
		im->st.passed++;
		return release(im, out, nout, out_cap, now_us);
	}
	if (!fifo_push(&im->delayq, m, now_us + im->delay_us, 0)) {
		/* It will never go out: do not let reordered packets wait
		 * for it. */
		im->admitted--;
		im->st.overflow++;
		rte_pktmbuf_free(m);
		return nout;
	}
	if (im->delay_us != 0)
		im->st.delayed++;
	return nout;
}

uint16_t
mg_impair_tx(struct mg_impair *im, struct rte_mbuf **pkts, uint16_t n,
	     struct rte_mbuf **out, uint16_t out_cap, uint64_t now_us)
{
	uint16_t nout = release(im, out, 0, out_cap, now_us);

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i], *copy = NULL;

		if (chance(im, im->loss_thr)) {
			im->st.dropped++;
			rte_pktmbuf_free(m);
			continue;
		}
		if (chance(im, im->dup_thr)) {
			copy = rte_pktmbuf_copy(m, im->clone_pool, 0,
						UINT32_MAX);
			if (copy != NULL)
				im->st.duplicated++;
			else
				im->st.dup_failed++;
		}
		if (chance(im, im->reorder_thr) &&
		    fifo_push(&im->reorderq, m, now_us + im->delay_us +
			      MG_IMPAIR_REORDER_HOLD_US, im->admitted + 1))
			im->st.reordered++;
		else
			nout = admit(im, m, out, nout, out_cap, now_us);
		if (copy != NULL)
			nout = admit(im, copy, out, nout, out_cap, now_us);
	}
	return release(im, out, nout, out_cap, now_us);
}

uint16_t
mg_impair_flush(struct mg_impair *im, struct rte_mbuf **out, uint16_t out_cap,
		uint64_t now_us)
{
	return release(im, out, 0, out_cap, now_us);
}

uint32_t
mg_impair_held(const struct mg_impair *im)
{
	return im->delayq.count + im->reorderq.count;
}

void
mg_impair_get_stats(const struct mg_impair *im, struct mg_impair_stats *st)
{
	*st = im->st;
}
