/* SPDX-License-Identifier: Apache-2.0 */
#ifndef LB_INTERNAL_H
#define LB_INTERNAL_H

/*
 * Shared by the algorithms of lib/lb: the request filter, the worker
 * state, hashing and the PRNG, and struct lb_set, the endpoint set that
 * the algorithms without a Maglev table build on.
 */

#include <stdbool.h>
#include <stdint.h>

#include "mg_lb.h"

/*
 * What a request may not be given. mg_lb_pick_request() passes NULL
 * instead of an empty filter, so the common case tests one pointer.
 */
struct mg_lb_filter {
	const uint64_t *ejected;	/* NULL: nothing ejected */
	uint32_t n_ejected;
	const uint32_t *tried;
	uint32_t n_tried;
};

static inline bool
lb_filtered(const struct mg_lb_filter *f, uint32_t e)
{
	uint32_t i;

	if (f->ejected != NULL && (f->ejected[e / 64] >> (e % 64)) & 1)
		return true;
	for (i = 0; i < f->n_tried; i++)
		if (f->tried[i] == e)
			return true;
	return false;
}

/*
 * Whether some healthy endpoint passes @p f. Walking algorithms ask first
 * rather than go round a whole table to find none. O(1) unless the filter
 * could cover every healthy endpoint. It trusts the mask's count, so walks
 * still stop after one lap.
 */
bool lb_filter_leaves_any(const struct mg_lb_filter *f, const bool *healthy,
			  uint32_t n, uint32_t n_healthy);

struct mg_lb_worker {
	uint32_t n_endpoints;		/* capacity */
	uint32_t rr_pos;		/* round robin: next schedule entry */
	uint64_t rng;			/* splitmix64 state */
	int32_t *rr_current;		/* round robin without a schedule */
	uint32_t *active;		/* requests in flight per endpoint */
	struct mg_lb_worker_stats stats;
};

static inline uint64_t
lb_mix64(uint64_t x)
{
	/* splitmix64 finaliser: full avalanche for nearby keys */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static inline uint64_t
lb_rand(struct mg_lb_worker *w)
{
	w->rng += 0x9e3779b97f4a7c15ULL;
	return lb_mix64(w->rng);
}

/* @p r scaled to [0, range): high 32 bits, multiply and shift. */
static inline uint32_t
lb_scale(uint64_t r, uint32_t range)
{
	return (uint32_t)(((r >> 32) * (uint64_t)range) >> 32);
}

/* 0 when every weight is in 1..MG_LB_WEIGHT_MAX and n fits, else -EINVAL. */
int lb_endpoints_check(const struct mg_lb_endpoint *eps, uint32_t n);

/* Vose's alias method: a draw is one bucket and one comparison. */
struct lb_alias {
	uint32_t threshold;		/* below it, the bucket's own position */
	uint32_t alias;			/* else this one */
};

/*
 * The endpoint set of round_robin, least_request, random and ring_hash:
 * weights, the healthy endpoints in index order, their cumulative weights
 * and an alias table for weighted draws. An algorithm's state starts with
 * it.
 */
struct lb_set {
	struct mg_lb lb;		/* first: container of the public head */
	int socket;
	uint32_t param;			/* table_size as created, for clone */
	uint32_t total_weight;		/* of the healthy endpoints */
	bool equal_weights;		/* the healthy endpoints weigh the same */
	struct mg_lb_endpoint *eps;
	bool *healthy;
	uint32_t *healthy_list;		/* n_healthy indexes, ascending */
	uint32_t *cum;			/* cum[i]: weight of healthy_list[0..i] */
	struct lb_alias *alias;		/* per healthy_list position */
	uint64_t *mass;			/* building the alias table ... */
	uint32_t *stack;		/* ... on the main lcore */
};

/*
 * Allocate @p size bytes (the algorithm's struct, starting with struct
 * lb_set) and the set over @p eps, all healthy. NULL + rte_errno.
 */
struct lb_set *lb_set_create(const struct mg_lb_ops *ops, size_t size,
			     const struct mg_lb_endpoint *eps, uint32_t n,
			     uint32_t param, int socket);
/* Take the health flags (NULL: all healthy) and redo the list and sums. */
void lb_set_update(struct lb_set *s, const bool *healthy);
/* The set_healthy and free ops of algorithms with nothing more to do. */
int lb_set_set_healthy(struct mg_lb *lb, const bool *healthy);
void lb_set_free(struct mg_lb *lb);
/* The copy create + set_healthy would build (for the clone op). */
struct mg_lb *lb_set_clone(const struct mg_lb *lb);

/*
 * Position in healthy_list of a draw @p r in proportion to weight, leaving
 * out position @p skip (MG_LB_NONE: none). There must be a healthy
 * endpoint other than @p skip.
 */
uint32_t lb_set_draw(const struct lb_set *s, uint64_t r, uint32_t skip);

/*
 * Up to a few draws for a position whose endpoint passes @p f (NULL: any),
 * other than @p skip; MG_LB_NONE when they all failed.
 */
uint32_t lb_set_draw_allowed(const struct lb_set *s, struct mg_lb_worker *w,
			     const struct mg_lb_filter *f, uint32_t skip);

/* The stateless pick op: a weighted choice by the hash. */
uint32_t lb_set_pick(const struct mg_lb *lb, uint64_t hash);

#endif /* LB_INTERNAL_H */
