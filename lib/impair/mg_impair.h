/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_IMPAIR_H
#define MG_IMPAIR_H

/*
 * The test-only impairment stage: loss, duplication, reordering and delay
 * applied to the packets a worker is about to transmit on one port, so that
 * the TCP stack can be tested against real peers under a bad network on a
 * kernel without netem.
 *
 * One instance per (worker lcore, port), used by that lcore only. Decisions
 * come from the instance's own PRNG, seeded with cfg->seed mixed with the
 * worker index: lcores differ, and a run with the same seed and the same
 * input repeats exactly.
 *
 * Per packet, in this order: lost with loss_pct; otherwise duplicated with
 * duplicate_pct (the copy follows the original); the original is chosen for
 * reordering with reorder_pct. Delayed packets (delay_us > 0) are held
 * until now + delay_us and keep their order among themselves. A reordered
 * packet is held back until the packet sent after it has gone out, or for
 * at most delay_us + MG_IMPAIR_REORDER_HOLD_US, so it arrives late.
 *
 * Nothing is allocated per packet: the hold queues are fixed at create.
 */

#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "mg_cfg.h"

/* Longest extra hold of a reordered packet when no packet follows it. */
#define MG_IMPAIR_REORDER_HOLD_US	1000

struct mg_impair;

/**
 * Create an instance.
 *
 * @param cfg            the port's impairment (copied)
 * @param worker_index   mixed into the seed
 * @param clone_pool     where duplicates come from; may be NULL when
 *                       duplicate_pct is 0
 * @param hold_capacity  packets the delay queue can hold, and packets the
 *                       reorder queue can hold (each); must be > 0 when
 *                       delay_us or reorder_pct is not 0
 * @param socket         NUMA socket for the queues (SOCKET_ID_ANY allowed)
 * @return the instance, or NULL with rte_errno = EINVAL (a percentage
 *         outside 0..100, no clone pool or hold capacity where needed)
 *         or ENOMEM.
 */
struct mg_impair *mg_impair_create(const struct mg_cfg_impairment *cfg,
				   uint32_t worker_index,
				   struct rte_mempool *clone_pool,
				   uint32_t hold_capacity, int socket);

/** Free an instance and the packets it still holds; NULL is accepted. */
void mg_impair_free(struct mg_impair *im);

/**
 * Impair a burst about to be transmitted. Takes ownership of all @p n
 * packets: they are freed (lost), held, or written to @p out. Packets
 * already held that are due go out first, then this burst's.
 *
 * @return the number of packets written to @p out (at most @p out_cap),
 *         to be transmitted now; packets that fit neither in @p out nor in
 *         the hold queue are freed and counted as overflow.
 */
uint16_t mg_impair_tx(struct mg_impair *im, struct rte_mbuf **pkts,
		      uint16_t n, struct rte_mbuf **out, uint16_t out_cap,
		      uint64_t now_us);

/**
 * Release held packets that are due; call every loop iteration, also when
 * nothing was received. @return the number written to @p out.
 */
uint16_t mg_impair_flush(struct mg_impair *im, struct rte_mbuf **out,
			 uint16_t out_cap, uint64_t now_us);

/** Packets held right now (delayed and reordered). */
uint32_t mg_impair_held(const struct mg_impair *im);

struct mg_impair_stats {
	uint64_t passed;	/* written to out[], copies included */
	uint64_t dropped;	/* lost on purpose */
	uint64_t duplicated;	/* copies made */
	uint64_t reordered;	/* held back to go out late */
	uint64_t delayed;	/* put in the delay queue */
	uint64_t overflow;	/* freed: out[] and hold queue full */
	uint64_t dup_failed;	/* no mbuf for a copy: sent once only */
};

/*
 * Every packet is accounted for:
 *   in + duplicated == passed + dropped + overflow + mg_impair_held()
 */
void mg_impair_get_stats(const struct mg_impair *im,
			 struct mg_impair_stats *st);

#endif /* MG_IMPAIR_H */
