/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Maglev consistent hashing (Eisenbud et al., NSDI 2016) with weights and
 * a health rule that never moves a flow between two healthy endpoints.
 *
 * Base table: every configured endpoint, health ignored, fills the table
 * in rounds. Each endpoint walks its own permutation of the slots
 * (offset + j * skip mod M, M prime) and takes the next free slot when its
 * credit allows: in round r it may hold up to r * weight / max_weight
 * slots, so every endpoint ends within about one slot of its weighted
 * share, which is what makes the 1% bound hold at M >= 65537.
 *
 * Live table: slots whose base owner is healthy are kept; the slots of
 * unhealthy endpoints are the only free ones, and the healthy endpoints
 * take them by continuing their permutations (from where the base build
 * left them) in fresh weighted rounds. So a failure moves exactly the
 * failed endpoint's slots, a recovery gives them back, and the result
 * depends only on (endpoints, health flags).
 *
 * Cost, measured on the 2-core build VM (-O2): create 0.8-1.5 ms for 65537
 * slots (3..256 endpoints), 10-20 ms for 655373; rebuilding the live
 * table for one failure about half of that.
 */
#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "lb_internal.h"

#define MAGLEV_MIN_TABLE 65537u
#define MAGLEV_MAX_TABLE (1u << 24)	/* keeps slot arithmetic in 32 bits */
#define MAGLEV_SEED_OFFSET 0x6d67676174654f66ULL
#define MAGLEV_SEED_SKIP   0x6d676761746553bbULL

struct maglev_ep {
	uint32_t weight;
	uint32_t skip;
	uint32_t cursor;	/* next slot of its permutation after the base */
};

struct maglev {
	struct mg_lb lb;	/* first: container of the public head */
	size_t size;		/* of the whole allocation, for clone */
	int socket;
	struct maglev_ep *eps;
	bool *healthy;
	uint32_t *scratch_cursor;
	uint32_t *scratch_placed;
	uint16_t *base;
	uint16_t *live;
};

static bool
is_prime(uint32_t m)
{
	uint32_t d;

	if (m < 2)
		return false;
	if (m % 2 == 0)
		return m == 2;
	for (d = 3; (uint64_t)d * d <= m; d += 2)
		if (m % d == 0)
			return false;
	return true;
}

/*
 * The endpoints with active[i] take the @p n_free free slots of @p t in
 * weighted rounds, each walking its permutation from cursor[i].
 */
static void
maglev_fill(uint16_t *t, uint32_t m, const struct maglev_ep *eps, uint32_t n,
	    const bool *active, uint32_t *cursor, uint32_t *placed,
	    uint32_t n_free)
{
	uint32_t wmax = 0, i;
	uint64_t r;

	for (i = 0; i < n; i++) {
		placed[i] = 0;
		if (active[i] && eps[i].weight > wmax)
			wmax = eps[i].weight;
	}
	if (wmax == 0)
		return;
	for (r = 1; n_free > 0; r++) {
		for (i = 0; i < n && n_free > 0; i++) {
			uint32_t c, skip = eps[i].skip;

			if (!active[i] ||
			    (uint64_t)placed[i] * wmax >= r * eps[i].weight)
				continue;
			/* n_free > 0 and the permutation visits every slot,
			 * so this ends within m steps */
			c = cursor[i];
			while (t[c] != MG_LB_TABLE_NONE) {
				c += skip;
				if (c >= m)
					c -= m;
			}
			t[c] = (uint16_t)i;
			placed[i]++;
			n_free--;
			c += skip;
			if (c >= m)
				c -= m;
			cursor[i] = c;
		}
	}
}

static size_t
align8(size_t x)
{
	return (x + 7) & ~(size_t)7;
}

static void
maglev_layout(struct maglev *mg, uint32_t n, uint32_t m)
{
	char *p = (char *)mg + align8(sizeof(*mg));

	mg->eps = (struct maglev_ep *)p;
	p += align8(sizeof(struct maglev_ep) * n);
	mg->healthy = (bool *)p;
	p += align8(sizeof(bool) * n);
	mg->scratch_cursor = (uint32_t *)p;
	p += align8(sizeof(uint32_t) * n);
	mg->scratch_placed = (uint32_t *)p;
	p += align8(sizeof(uint32_t) * n);
	mg->base = (uint16_t *)p;
	p += align8(sizeof(uint16_t) * m);
	mg->live = (uint16_t *)p;
}

static size_t
maglev_size(uint32_t n, uint32_t m)
{
	return align8(sizeof(struct maglev)) +
		align8(sizeof(struct maglev_ep) * n) + align8(sizeof(bool) * n) +
		2 * align8(sizeof(uint32_t) * n) + 2 * align8(sizeof(uint16_t) * m);
}

static struct mg_lb *
maglev_create(const struct mg_lb_endpoint *eps, uint32_t n,
	      uint32_t table_size, int socket)
{
	struct maglev *mg;
	uint32_t i, m = table_size;
	size_t size;

	if (m < MAGLEV_MIN_TABLE || m > MAGLEV_MAX_TABLE || !is_prime(m) ||
	    lb_endpoints_check(eps, n) != 0) {
		rte_errno = EINVAL;
		return NULL;
	}
	size = maglev_size(n, m);
	mg = rte_zmalloc_socket("mg_lb_maglev", size, RTE_CACHE_LINE_SIZE,
				socket);
	if (mg == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	mg->size = size;
	mg->socket = socket;
	maglev_layout(mg, n, m);
	mg->lb.ops = &mg_lb_maglev_ops;
	mg->lb.table_size = m;
	mg->lb.n_endpoints = n;
	mg->lb.n_healthy = n;

	for (i = 0; i < n; i++) {
		mg->eps[i].weight = eps[i].weight;
		mg->eps[i].skip = (uint32_t)(lb_mix64(eps[i].key ^
					MAGLEV_SEED_SKIP) % (m - 1)) + 1;
		mg->scratch_cursor[i] = (uint32_t)(lb_mix64(eps[i].key ^
					MAGLEV_SEED_OFFSET) % m);
		mg->healthy[i] = true;
	}
	memset(mg->base, 0xff, sizeof(uint16_t) * m);
	maglev_fill(mg->base, m, mg->eps, n, mg->healthy, mg->scratch_cursor,
		    mg->scratch_placed, n > 0 ? m : 0);
	for (i = 0; i < n; i++)
		mg->eps[i].cursor = mg->scratch_cursor[i];
	mg->lb.table = mg->base;
	return &mg->lb;
}

static struct mg_lb *
maglev_clone(const struct mg_lb *lb)
{
	const struct maglev *src = (const struct maglev *)lb;
	struct maglev *mg;

	mg = rte_malloc_socket("mg_lb_maglev", src->size, RTE_CACHE_LINE_SIZE,
			       src->socket);
	if (mg == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	memcpy(mg, src, src->size);
	maglev_layout(mg, lb->n_endpoints, lb->table_size);
	mg->lb.table = src->lb.table == src->base ? mg->base : mg->live;
	return &mg->lb;
}

static int
maglev_set_healthy(struct mg_lb *lb, const bool *healthy)
{
	struct maglev *mg = (struct maglev *)lb;
	uint32_t i, n = lb->n_endpoints, m = lb->table_size;
	uint32_t n_healthy = 0, n_free = 0;

	for (i = 0; i < n; i++) {
		mg->healthy[i] = healthy == NULL || healthy[i];
		n_healthy += mg->healthy[i];
	}
	lb->n_healthy = n_healthy;
	if (n_healthy == n) {
		lb->table = mg->base;
		return 0;
	}
	for (i = 0; i < m; i++) {
		uint16_t e = mg->base[i];

		if (mg->healthy[e]) {
			mg->live[i] = e;
		} else {
			mg->live[i] = MG_LB_TABLE_NONE;
			n_free++;
		}
	}
	for (i = 0; i < n; i++)
		mg->scratch_cursor[i] = mg->eps[i].cursor;
	maglev_fill(mg->live, m, mg->eps, n, mg->healthy, mg->scratch_cursor,
		    mg->scratch_placed, n_healthy > 0 ? n_free : 0);
	lb->table = mg->live;
	return 0;
}

static uint32_t
maglev_pick(const struct mg_lb *lb, uint64_t flow_hash)
{
	uint16_t e = lb->table[mg_lb_slot(lb, flow_hash)];

	return e == MG_LB_TABLE_NONE ? MG_LB_NONE : e;
}

/*
 * An endpoint the request may not have hands its slot on to the next
 * slot's owner: deterministic for the hash, and since neighbouring slots
 * belong to random endpoints, its keys spread over the others by weight.
 */
static uint32_t
maglev_pick_request(const struct mg_lb *lb, struct mg_lb_worker *w,
		    uint64_t hash, const struct mg_lb_filter *f)
{
	const struct maglev *mg = (const struct maglev *)lb;
	uint32_t s = mg_lb_slot(lb, hash), e, steps = 0;

	if (lb->n_healthy == 0)
		return MG_LB_NONE;
	e = lb->table[s];
	if (f == NULL)
		return e;
	if (!lb_filter_leaves_any(f, mg->healthy, lb->n_endpoints,
				  lb->n_healthy))
		return MG_LB_NONE;
	while (lb_filtered(f, e)) {
		if (++steps == lb->table_size)
			return MG_LB_NONE;	/* a mask with a wrong count */
		if (++s == lb->table_size)
			s = 0;
		e = lb->table[s];
	}
	return e;
}

static void
maglev_free(struct mg_lb *lb)
{
	rte_free(lb);
}

const struct mg_lb_ops mg_lb_maglev_ops = {
	.name = "maglev",
	.hashing = true,
	.create = maglev_create,
	.clone = maglev_clone,
	.set_healthy = maglev_set_healthy,
	.pick = maglev_pick,
	.pick_request = maglev_pick_request,
	.free = maglev_free,
};
