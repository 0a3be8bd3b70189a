/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_LB_H
#define MG_LB_H

/*
 * Load-balancing algorithms behind one small ops table, one file each:
 * maglev and ring_hash (consistent hashing on a hash the caller computes),
 * round_robin (nginx's smooth weighted round robin), least_request (power
 * of two choices on active requests) and random (weighted).
 *
 * Life cycle: create and set_healthy run on the main lcore and allocate;
 * pick runs on workers and only reads. A health change builds a NEW
 * balancer (mg_lb_create + mg_lb_set_healthy, or mg_lb_clone +
 * mg_lb_set_healthy) that the data plane publishes with RCU, freeing the
 * old one after a grace period; a published balancer is never mutated.
 *
 * Two ways to pick:
 *  - mg_lb_pick(lb, flow_hash): stateless, for the L4 path. Maglev answers
 *    with one inline table read; the others make a weighted choice by the
 *    hash (ring_hash: its ring).
 *  - mg_lb_pick_request(lb, worker, hash, tried, ejected): for HTTP
 *    requests. The worker state (struct mg_lb_worker, one per worker per
 *    cluster) holds what changes per pick: the round-robin position, active
 *    requests per endpoint, a PRNG. It outlives the balancers published for
 *    the same endpoint list.
 *
 * Passive health (outlier detection) is struct mg_lb_outlier, also one per
 * worker per cluster; its ejected set is an argument of the pick.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* pick() result when no endpoint is healthy. */
#define MG_LB_NONE UINT32_MAX
/* Table entry meaning "no endpoint": endpoint indexes are < 65535. */
#define MG_LB_TABLE_NONE UINT16_MAX
#define MG_LB_MAX_ENDPOINTS 65535u
#define MG_LB_WEIGHT_MAX 1000u
/* ring_hash: bounds of the ring size (table_size of mg_lb_create()). */
#define MG_LB_RING_MIN 1u
#define MG_LB_RING_MAX (1u << 23)	/* Envoy's max_ring_size */

struct mg_lb_endpoint {
	uint64_t key;		/* stable identity (e.g. hash of addr:port):
				 * decides where the endpoint lands */
	uint32_t weight;	/* 1..MG_LB_WEIGHT_MAX */
};

struct mg_lb;
struct mg_lb_worker;
struct mg_lb_filter;		/* private: what a request may not be given */
struct mg_cfg_outlier;		/* mg_cfg.h */

struct mg_lb_ops {
	const char *name;
	bool hashing;		/* picks by the caller's hash: compute one */
	struct mg_lb *(*create)(const struct mg_lb_endpoint *eps, uint32_t n,
				uint32_t table_size, int socket);
	struct mg_lb *(*clone)(const struct mg_lb *lb);
	int (*set_healthy)(struct mg_lb *lb, const bool *healthy);
	/* Used when the algorithm has no lookup table (table == NULL). */
	uint32_t (*pick)(const struct mg_lb *lb, uint64_t flow_hash);
	/* A healthy endpoint the filter (NULL: none) allows, or MG_LB_NONE
	 * when there is none; mg_lb_pick_request() does the fallbacks. */
	uint32_t (*pick_request)(const struct mg_lb *lb, struct mg_lb_worker *w,
				 uint64_t hash, const struct mg_lb_filter *f);
	void (*free)(struct mg_lb *lb);
};

/*
 * The head every algorithm's state starts with. It is visible only so
 * that table-driven algorithms (Maglev) are picked by an inline table read;
 * treat it as read-only.
 */
struct mg_lb {
	const struct mg_lb_ops *ops;
	const uint16_t *table;	/* live lookup table, or NULL */
	uint32_t table_size;	/* 0 without a table */
	uint32_t n_endpoints;
	uint32_t n_healthy;
};

extern const struct mg_lb_ops mg_lb_maglev_ops;
extern const struct mg_lb_ops mg_lb_ring_hash_ops;
extern const struct mg_lb_ops mg_lb_round_robin_ops;
extern const struct mg_lb_ops mg_lb_least_request_ops;
extern const struct mg_lb_ops mg_lb_random_ops;

/**
 * The algorithm called @p name ("maglev", "ring_hash", "round_robin",
 * "least_request", "random"), or NULL.
 */
const struct mg_lb_ops *mg_lb_find(const char *name);

/**
 * Build a balancer over @p n endpoints, all healthy.
 *
 * @param table_size  maglev: lookup-table size, a prime >= 65537;
 *                    ring_hash: points on the ring, MG_LB_RING_MIN..MAX
 *                    (each endpoint gets its weighted share, at least one);
 *                    ignored by the others.
 * @param socket      NUMA socket for the memory (SOCKET_ID_ANY is fine).
 * @return the balancer, or NULL with rte_errno: EINVAL (bad size, weight
 *         out of 1..1000, more than MG_LB_MAX_ENDPOINTS), ENOMEM.
 */
struct mg_lb *mg_lb_create(const struct mg_lb_ops *ops,
			   const struct mg_lb_endpoint *eps, uint32_t n,
			   uint32_t table_size, int socket);

/** An independent copy with the same endpoints and health; NULL + rte_errno. */
struct mg_lb *mg_lb_clone(const struct mg_lb *lb);

/**
 * Rebuild for a health change. @p healthy has one flag per endpoint (NULL:
 * all healthy). Deterministic: the same endpoints and flags always give
 * the same balancer. Consistent hashing moves only the keys of endpoints
 * that went down (and gives them back when they return).
 * @return 0, or -EINVAL for a NULL @p lb.
 */
int mg_lb_set_healthy(struct mg_lb *lb, const bool *healthy);

/** Release a balancer (NULL is fine). */
void mg_lb_free(struct mg_lb *lb);

/** The table slot mg_lb_pick() reads for @p flow_hash (tests, tools). */
static inline uint32_t
mg_lb_slot(const struct mg_lb *lb, uint64_t flow_hash)
{
	/* high 32 bits scaled to the table: no 64-bit division per packet */
	return (uint32_t)(((flow_hash >> 32) * (uint64_t)lb->table_size) >> 32);
}

/**
 * The endpoint index for a flow, or MG_LB_NONE when no endpoint is healthy.
 * @p flow_hash should be a well-mixed 64-bit hash (mg_l4lb_flow_hash()).
 * Table algorithms answer with one inline table read.
 */
static inline uint32_t
mg_lb_pick(const struct mg_lb *lb, uint64_t flow_hash)
{
	if (lb->table != NULL) {
		uint16_t e = lb->table[mg_lb_slot(lb, flow_hash)];

		return e == MG_LB_TABLE_NONE ? MG_LB_NONE : e;
	}
	return lb->ops->pick(lb, flow_hash);
}

/**
 * A well-mixed 64-bit hash of @p len bytes, for the hashing algorithms
 * (a header or cookie value, a client address). The same bytes give the
 * same hash on every lcore.
 */
uint64_t mg_lb_hash_bytes(const void *data, size_t len);

/*
 * A set of endpoint indexes as a bitmap: endpoint e is in the set when bit
 * e % 64 of bits[e / 64] is set.
 */
struct mg_lb_mask {
	const uint64_t *bits;
	uint32_t size;		/* endpoints the bitmap covers */
	uint32_t count;		/* endpoints in the set */
};

/* Counters of a worker state. X(name, what it counts) */
#define MG_LB_WORKER_COUNTERS(X)					\
	X(picks, "endpoints picked")					\
	X(reused, "picks of an endpoint the request had already tried: "\
	  "every other one was tried or ejected")			\
	X(panic, "picks that ignored outlier ejection: every endpoint " \
	  "left was ejected")						\
	X(no_endpoint, "picks that found no healthy endpoint")		\
	X(bad_calls, "calls refused: an endpoint index, a state or a "	\
	  "mask that does not fit the balancer, a request ended twice")

struct mg_lb_worker_stats {
#define MG_LB_STAT_FIELD_(name, doc) uint64_t name;
	MG_LB_WORKER_COUNTERS(MG_LB_STAT_FIELD_)
#undef MG_LB_STAT_FIELD_
};

/**
 * Per-worker, per-cluster state of the HTTP pick, for balancers of up to
 * @p n_endpoints endpoints. Allocates; call off the data path.
 *
 * @param seed  seeds the PRNG of random and least_request and sets where
 *              round_robin starts its cycle, so that workers do not all
 *              start on the same endpoint; 0 starts at the beginning.
 * @return the state, or NULL with rte_errno: EINVAL (n_endpoints above
 *         MG_LB_MAX_ENDPOINTS), ENOMEM.
 */
struct mg_lb_worker *mg_lb_worker_create(uint32_t n_endpoints, uint64_t seed,
					 int socket);

/** Release a worker state (NULL is fine). */
void mg_lb_worker_free(struct mg_lb_worker *w);

/**
 * Pick the endpoint for one attempt of an HTTP request.
 *
 * @param hash     the request's hash for hashing algorithms (client
 *                 address, header or cookie: mg_lb_hash_bytes()); ignored
 *                 by the others.
 * @param tried    endpoints this request already tried (retries), or NULL
 * @param ejected  the worker's ejected set (mg_lb_outlier_ejected()), or NULL
 *
 * A healthy endpoint that is neither tried nor ejected is preferred. When
 * the algorithm's choice is not allowed, hashing algorithms walk on
 * deterministically (next table slot, next ring point), round_robin takes
 * the next in its sequence and the others draw again among the rest. When
 * no allowed endpoint is left, the rules are dropped in this order:
 *   1. a tried endpoint is given again (counted in reused), ejection still
 *      honoured (Envoy's retry predicate likewise gives up before its
 *      load balancer ignores ejection);
 *   2. ejection is ignored (Envoy's panic mode; counted in panic), tried
 *      endpoints still avoided;
 *   3. both are ignored.
 * Endpoints the balancer holds unhealthy (active health checks) are never
 * picked.
 * @return the endpoint index, or MG_LB_NONE when no endpoint is healthy or
 *         the call does not fit (state or mask smaller than the balancer;
 *         counted in bad_calls).
 */
uint32_t mg_lb_pick_request(const struct mg_lb *lb, struct mg_lb_worker *w,
			    uint64_t hash, const uint32_t *tried,
			    uint32_t n_tried, const struct mg_lb_mask *ejected);

/**
 * A request was sent to / finished on endpoint @p e: the active-request
 * counts least_request compares (per worker, like everything here). Call
 * done once for each start; an index out of range or a done without a
 * start is counted in bad_calls and ignored.
 */
void mg_lb_request_start(struct mg_lb_worker *w, uint32_t e);
void mg_lb_request_done(struct mg_lb_worker *w, uint32_t e);

/** Active requests of this worker on endpoint @p e (0 if out of range). */
uint32_t mg_lb_active_requests(const struct mg_lb_worker *w, uint32_t e);

void mg_lb_worker_stats_get(const struct mg_lb_worker *w,
			    struct mg_lb_worker_stats *st);

/*
 * Outlier detection (passive health), per worker per cluster, on a clock
 * the caller passes in (now_us, microseconds, e.g. mg_clock_now_us()).
 *
 * - consecutive_5xx results (5xx responses, including the proxy's own 502
 *   and 504 for the attempt) or consecutive_connect_failures eject the
 *   endpoint; 0 turns a rule off. Any other response resets both counts;
 *   a 5xx response resets the connect-failure count (the connection
 *   worked); a connect failure leaves the 5xx count alone.
 * - An ejection lasts base_ejection_ms times the number of times the
 *   endpoint was ejected, this one included, capped at max_ejection_ms.
 *   The count decays by one for every base_ejection_ms the endpoint then
 *   spends back in service, so an endpoint that recovered for good starts
 *   again from base_ejection_ms (Envoy decays per interval likewise).
 * - At most max_ejection_pct percent of the endpoints (of all of them,
 *   healthy or not) are ejected at once, except that one endpoint may
 *   always be ejected when max_ejection_pct > 0 (Envoy's rule); 0 never
 *   ejects. A refused ejection is counted and tried again on the next
 *   failure while the count stays at or above its threshold.
 * - Results that arrive for an ejected endpoint (requests in flight when it
 *   was ejected) are counted and ignored; the counts start from zero when
 *   it returns.
 * - Endpoints return lazily: mg_lb_outlier_tick() (O(1) when none is due;
 *   call it before picking, once per burst is enough) and every report.
 */
enum mg_lb_outcome {
	MG_LB_OUTCOME_SUCCESS,		/* a response below 500 */
	MG_LB_OUTCOME_5XX,		/* a 5xx response (or 502/504 of ours) */
	MG_LB_OUTCOME_CONNECT_FAILURE,	/* refused, reset or timed out */
};

#define MG_LB_OUTLIER_COUNTERS(X)					\
	X(ejections_5xx, "ejections for consecutive 5xx")		\
	X(ejections_connect, "ejections for consecutive connect failures") \
	X(ejections_refused, "ejections refused by max_ejection_pct")	\
	X(returns, "ejected endpoints back in service")			\
	X(ignored_while_ejected, "results for an ejected endpoint")	\
	X(bad_reports, "reports with an unknown endpoint or outcome")

struct mg_lb_outlier_stats {
#define MG_LB_STAT_FIELD_(name, doc) uint64_t name;
	MG_LB_OUTLIER_COUNTERS(MG_LB_STAT_FIELD_)
#undef MG_LB_STAT_FIELD_
	uint32_t ejected;		/* endpoints ejected now */
};

struct mg_lb_outlier;

/**
 * Outlier detection over @p n endpoints with @p cfg (copied).
 * @return the detector, or NULL with rte_errno: EINVAL (n above
 *         MG_LB_MAX_ENDPOINTS, max_ejection_pct above 100, or a rule on
 *         with base_ejection_ms 0 or max_ejection_ms below it), ENOMEM.
 */
struct mg_lb_outlier *mg_lb_outlier_create(const struct mg_cfg_outlier *cfg,
					   uint32_t n, int socket);

void mg_lb_outlier_free(struct mg_lb_outlier *o);

/**
 * The outcome of one attempt on endpoint @p e at @p now_us.
 * @return 1 if this report ejected @p e, 0 if not, -EINVAL for an unknown
 *         endpoint or outcome (counted in bad_reports).
 */
int mg_lb_outlier_report(struct mg_lb_outlier *o, uint32_t e,
			 enum mg_lb_outcome outcome, uint64_t now_us);

/** Return the endpoints whose ejection is over; the number returned. */
uint32_t mg_lb_outlier_tick(struct mg_lb_outlier *o, uint64_t now_us);

/** The ejected set for mg_lb_pick_request(); lives as long as @p o. */
const struct mg_lb_mask *mg_lb_outlier_ejected(const struct mg_lb_outlier *o);

/** Whether @p e is ejected (as of the last tick or report). */
bool mg_lb_outlier_is_ejected(const struct mg_lb_outlier *o, uint32_t e);

void mg_lb_outlier_stats_get(const struct mg_lb_outlier *o,
			     struct mg_lb_outlier_stats *st);

#endif /* MG_LB_H */
