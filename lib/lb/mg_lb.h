/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_LB_H
#define MG_LB_H

/*
 * Load-balancing algorithms behind one small ops table, one file each
 * (lb_maglev.c; round robin, least request, ring hash can follow as
 * lb_round_robin.c, ...).
 *
 * Life cycle: create and set_healthy run on the main lcore and allocate;
 * pick runs on workers and only reads. A health change builds a NEW
 * balancer (mg_lb_create + mg_lb_set_healthy, or mg_lb_clone +
 * mg_lb_set_healthy) that the data plane publishes with RCU, freeing the
 * old one after a grace period; a published balancer is never mutated.
 */

#include <stdbool.h>
#include <stdint.h>

/* pick() result when no endpoint is healthy. */
#define MG_LB_NONE UINT32_MAX
/* Table entry meaning "no endpoint": endpoint indexes are < 65535. */
#define MG_LB_TABLE_NONE UINT16_MAX
#define MG_LB_MAX_ENDPOINTS 65535u
#define MG_LB_WEIGHT_MAX 1000u

struct mg_lb_endpoint {
	uint64_t key;		/* stable identity (e.g. hash of addr:port):
				 * decides where the endpoint lands */
	uint32_t weight;	/* 1..MG_LB_WEIGHT_MAX */
};

struct mg_lb;

struct mg_lb_ops {
	const char *name;
	struct mg_lb *(*create)(const struct mg_lb_endpoint *eps, uint32_t n,
				uint32_t table_size, int socket);
	struct mg_lb *(*clone)(const struct mg_lb *lb);
	int (*set_healthy)(struct mg_lb *lb, const bool *healthy);
	/* Used when the algorithm has no lookup table (table == NULL). */
	uint32_t (*pick)(const struct mg_lb *lb, uint64_t flow_hash);
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
	uint32_t table_size;
	uint32_t n_endpoints;
	uint32_t n_healthy;
};

extern const struct mg_lb_ops mg_lb_maglev_ops;

/** The algorithm called @p name ("maglev"), or NULL. */
const struct mg_lb_ops *mg_lb_find(const char *name);

/**
 * Build a balancer over @p n endpoints, all healthy.
 *
 * @param table_size  lookup-table size for table algorithms (Maglev: a
 *                    prime >= 65537); ignored by others.
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
 * Rebuild the live table for a health change. @p healthy has one flag per
 * endpoint (NULL: all healthy). Deterministic: the same endpoints and
 * flags always give the same table.
 * @return 0, or -ENOMEM.
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

#endif /* MG_LB_H */
