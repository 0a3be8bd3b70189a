/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Consistent hashing on a ring (Karger et al.; Ketama's weighted points):
 * each endpoint puts points on a 64-bit ring, as many as its weighted share
 * of ring_size (at least one), and a hash belongs to the endpoint of the
 * first point at or after it. Ketama finds it by binary search: 45-55 ns
 * at 65,536 points, the ring being out of the L1/L2 caches; here an index
 * of the points by their top bits (one bucket per one or two points)
 * leaves a scan of a point or two: 5-9 ns.
 *
 * The share is taken of the weight of ALL configured endpoints, health
 * ignored, and the live ring is the full ring without the points of
 * unhealthy endpoints. So when an endpoint goes down, only its keys move
 * (each to the next point, so they spread over the others) and no key
 * moves between two endpoints that stay up; when it returns, they come
 * back. (A configuration change of weights or endpoints changes the
 * shares, and then keys do move between survivors.)
 *
 * Points of an endpoint are a splitmix64 stream seeded by its key, so its
 * first k points are the same whatever k is.
 */
#include <errno.h>
#include <stdlib.h>

#include <rte_errno.h>

#include "lb_internal.h"

#define RING_SEED 0x72696e675f686173ULL

struct ring_point {
	uint64_t hash;
	uint32_t endpoint;
};

struct ring_hash {
	struct lb_set set;		/* first */
	uint32_t n_points;		/* on the full ring */
	uint32_t n_live;		/* on the live ring */
	struct ring_point *ring;	/* full ring, sorted */
	uint32_t bucket_shift;		/* 64 - log2(number of buckets) */
	uint64_t *live_hash;		/* live ring, sorted, and ... */
	uint16_t *live_owner;		/* ... who owns each point */
	uint32_t *bucket;		/* [b]: first live point whose top
					 * bits are >= b; one more at the end */
};

/* Buckets: a power of two, at most n_points, at least two. */
static uint32_t
ring_bucket_bits(uint32_t n_points)
{
	uint32_t bits = 1;

	while ((2ull << bits) <= n_points)
		bits++;
	return bits;
}

static uint32_t
ring_points_of(uint32_t ring_size, uint32_t weight, uint64_t total)
{
	uint64_t k = ((uint64_t)ring_size * weight * 2 + total) / (2 * total);

	return k > 0 ? (uint32_t)k : 1;
}

static int
ring_point_cmp(const void *a, const void *b)
{
	const struct ring_point *x = a, *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return x->endpoint < y->endpoint ? -1 : x->endpoint > y->endpoint;
}

static void
ring_fill(struct ring_hash *rh, uint32_t ring_size, uint64_t total)
{
	const struct lb_set *s = &rh->set;
	uint32_t e, j, k = 0;

	for (e = 0; e < s->lb.n_endpoints; e++) {
		uint32_t pts = ring_points_of(ring_size, s->eps[e].weight, total);
		uint64_t state = lb_mix64(s->eps[e].key ^ RING_SEED);

		for (j = 0; j < pts; j++) {
			state += 0x9e3779b97f4a7c15ULL;
			rh->ring[k].hash = lb_mix64(state);
			rh->ring[k].endpoint = e;
			k++;
		}
	}
	/* the main lcore, once per balancer: qsort is fine */
	qsort(rh->ring, rh->n_points, sizeof(*rh->ring), ring_point_cmp);
}

static void
ring_build_live(struct ring_hash *rh)
{
	uint64_t b, nb = 1ull << (64 - rh->bucket_shift);
	uint32_t i, k = 0;

	for (i = 0; i < rh->n_points; i++) {
		uint32_t e = rh->ring[i].endpoint;

		if (!rh->set.healthy[e])
			continue;
		rh->live_hash[k] = rh->ring[i].hash;
		rh->live_owner[k] = (uint16_t)e;
		k++;
	}
	rh->n_live = k;
	k = 0;
	for (b = 0; b <= nb; b++) {
		while (k < rh->n_live &&
		       rh->live_hash[k] >> rh->bucket_shift < b)
			k++;
		rh->bucket[b] = k;
	}
}

static struct mg_lb *
ring_create(const struct mg_lb_endpoint *eps, uint32_t n, uint32_t ring_size,
	    int socket)
{
	struct ring_hash *rh;
	uint64_t total = 0;
	uint32_t i, n_points = 0, bits;
	size_t size;

	if (ring_size < MG_LB_RING_MIN || ring_size > MG_LB_RING_MAX ||
	    lb_endpoints_check(eps, n) != 0) {
		rte_errno = EINVAL;
		return NULL;
	}
	for (i = 0; i < n; i++)
		total += eps[i].weight;
	for (i = 0; i < n; i++)	/* <= ring_size + n: no overflow */
		n_points += ring_points_of(ring_size, eps[i].weight, total);
	bits = ring_bucket_bits(n_points);
	size = sizeof(*rh) + (sizeof(struct ring_point) + sizeof(uint64_t)) *
		(size_t)n_points + sizeof(uint16_t) * (n_points + 1) +
		sizeof(uint32_t) * ((1u << bits) + 1);
	rh = (struct ring_hash *)lb_set_create(&mg_lb_ring_hash_ops, size, eps,
					       n, ring_size, socket);
	if (rh == NULL)
		return NULL;
	rh->n_points = n_points;
	rh->ring = (struct ring_point *)(rh + 1);
	rh->live_hash = (uint64_t *)(rh->ring + n_points);
	rh->live_owner = (uint16_t *)(rh->live_hash + n_points);
	rh->bucket = (uint32_t *)(rh->live_owner + n_points + (n_points & 1));
	rh->bucket_shift = 64 - bits;
	if (n > 0)
		ring_fill(rh, ring_size, total);
	ring_build_live(rh);
	return &rh->set.lb;
}

static int
ring_set_healthy(struct mg_lb *lb, const bool *healthy)
{
	struct ring_hash *rh = (struct ring_hash *)lb;

	lb_set_update(&rh->set, healthy);
	ring_build_live(rh);
	return 0;
}

/* The live point a hash lands on: the first at or after it, wrapping. */
static uint32_t
ring_find(const struct ring_hash *rh, uint64_t hash)
{
	uint64_t b = hash >> rh->bucket_shift;
	uint32_t i = rh->bucket[b], end = rh->bucket[b + 1];

	while (i < end && rh->live_hash[i] < hash)
		i++;
	return i == rh->n_live ? 0 : i;
}

static uint32_t
ring_pick(const struct mg_lb *lb, uint64_t hash)
{
	const struct ring_hash *rh = (const struct ring_hash *)lb;

	if (rh->n_live == 0)
		return MG_LB_NONE;
	return rh->live_owner[ring_find(rh, hash)];
}

static uint32_t
ring_pick_request(const struct mg_lb *lb, struct mg_lb_worker *w,
		  uint64_t hash, const struct mg_lb_filter *f)
{
	const struct ring_hash *rh = (const struct ring_hash *)lb;
	uint32_t i, e, steps = 0;

	if (rh->n_live == 0)
		return MG_LB_NONE;
	i = ring_find(rh, hash);
	e = rh->live_owner[i];
	if (f == NULL)
		return e;
	if (!lb_filter_leaves_any(f, rh->set.healthy, lb->n_endpoints,
				  lb->n_healthy))
		return MG_LB_NONE;
	while (lb_filtered(f, e)) {	/* the next point clockwise */
		if (++steps == rh->n_live)
			return MG_LB_NONE;	/* a mask with a wrong count */
		if (++i == rh->n_live)
			i = 0;
		e = rh->live_owner[i];
	}
	return e;
}

const struct mg_lb_ops mg_lb_ring_hash_ops = {
	.name = "ring_hash",
	.hashing = true,
	.create = ring_create,
	.clone = lb_set_clone,
	.set_healthy = ring_set_healthy,
	.pick = ring_pick,
	.pick_request = ring_pick_request,
	.free = lb_set_free,
};
