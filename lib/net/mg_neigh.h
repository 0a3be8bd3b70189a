/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_NEIGH_H
#define MG_NEIGH_H

/*
 * Neighbour table of one port: IPv4 (ARP) and IPv6 (ND) next hops in one
 * table, RFC 4861 states.
 *
 * Written ONLY by the main lcore (learning, requests, aging); read
 * lock-free by the workers on every forwarded packet. Slots of a
 * fixed-capacity open-addressing array are never emptied: a neighbour that
 * fails goes to FAILED (lookups miss) and its slot is reused, for the same
 * address or another. Each slot carries a sequence counter: the writer
 * makes it odd while it writes, a reader retries until it sees the same
 * even value before and after copying.
 *
 *   (none) --request--> INCOMPLETE --learn--> REACHABLE --reachable_ms--> STALE
 *   STALE --delay_ms--> PROBE (unicast probes) --reply--> REACHABLE
 *   INCOMPLETE/PROBE --max_probes unanswered--> FAILED
 * Passive learning (a request aimed at us) creates STALE. REACHABLE, STALE
 * and PROBE entries have a usable MAC.
 *
 * PERMANENT entries come from the configuration (static ARP/ND): usable,
 * never aged or probed, and left alone by learning; only
 * mg_neigh_add_static() and mg_neigh_remove() change them.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>

#include "mg_addr.h"
#include "mg_net.h"

#define MG_NEIGH_STATES(X)				\
	X(NONE,		"none")				\
	X(INCOMPLETE,	"incomplete")			\
	X(REACHABLE,	"reachable")			\
	X(STALE,	"stale")			\
	X(PROBE,	"probe")			\
	X(FAILED,	"failed")				\
	X(PERMANENT,	"permanent")

enum mg_neigh_state {
#define MG_NEIGH_STATE_ENUM(name, str) MG_NEIGH_##name,
	MG_NEIGH_STATES(MG_NEIGH_STATE_ENUM)
#undef MG_NEIGH_STATE_ENUM
	MG_NEIGH_STATE_MAX
};

/** Name of a state, for telemetry. */
const char *mg_neigh_state_name(enum mg_neigh_state s);

struct mg_neigh_params {
	uint32_t reachable_ms;	/* REACHABLE -> STALE (default 30000) */
	uint32_t delay_ms;	/* STALE -> PROBE (default 5000) */
	uint32_t retrans_ms;	/* between probes; FAILED hold-down (default 1000) */
	uint32_t max_probes;	/* unanswered probes before FAILED (default 3) */
};

struct mg_neigh_stats {
	uint32_t capacity;
	uint32_t slots_used;	/* slots ever taken (FAILED included) */
	uint32_t entries;	/* slots not FAILED */
	uint32_t permanent;	/* PERMANENT entries */
	uint64_t learned;	/* new entries from learning */
	uint64_t refused_full;	/* learn/request refused: table full */
	uint64_t probes;	/* probe callbacks made */
	uint64_t failed;	/* entries that went FAILED */
};

struct mg_neigh_table;

/**
 * Create a table of @p capacity slots (a power of two, 8 .. 4M) on NUMA
 * @p socket (SOCKET_ID_ANY allowed), with default parameters.
 * @return the table, or NULL with rte_errno EINVAL or ENOMEM.
 */
struct mg_neigh_table *mg_neigh_create(uint32_t capacity, int socket);

/** Free a table (NULL is fine). No reader may still use it. */
void mg_neigh_free(struct mg_neigh_table *tbl);

/** Change the aging parameters (main lcore); zero fields keep their value. */
void mg_neigh_set_params(struct mg_neigh_table *tbl,
			 const struct mg_neigh_params *params);

/**
 * Worker: the MAC of @p ip.
 * @return 0 when the entry is REACHABLE, STALE or PROBE; -ENOENT otherwise
 *         (the caller then asks the main lcore for mg_neigh_request()).
 */
int mg_neigh_lookup(const struct mg_neigh_table *tbl, const struct mg_ip *ip,
		    struct rte_ether_addr *mac);

/*
 * Main lcore only from here on.
 */

/**
 * Learn @p ip at @p mac: create the entry when absent, REACHABLE when
 * @p solicited_or_confirmed (a reply to our probe) else STALE. An existing
 * entry is confirmed (REACHABLE), or goes STALE when its MAC changes or it
 * was not resolved yet; otherwise it is left as it is.
 * @return 0, -EINVAL (bad family), -ENOSPC (table full; counted).
 */
int mg_neigh_learn(struct mg_neigh_table *tbl, const struct mg_ip *ip,
		   const struct rte_ether_addr *mac, uint64_t now_us,
		   bool solicited_or_confirmed);

/**
 * Install @p ip at @p mac as PERMANENT: an entry already there (learned,
 * requested or static) is replaced. Learning never changes it afterwards.
 * @return 0, -EINVAL (bad family, or a multicast/zero MAC), -ENOSPC (table
 *         full; counted).
 */
int mg_neigh_add_static(struct mg_neigh_table *tbl, const struct mg_ip *ip,
			const struct rte_ether_addr *mac);

/** As mg_neigh_learn() for an existing, not FAILED entry only; -ENOENT. */
int mg_neigh_update(struct mg_neigh_table *tbl, const struct mg_ip *ip,
		    const struct rte_ether_addr *mac, uint64_t now_us,
		    bool solicited_or_confirmed);

/** Apply what a handler of mg_net.h found (learn or update by its mode). */
int mg_neigh_apply(struct mg_neigh_table *tbl, const struct mg_neigh_learn *l,
		   uint64_t now_us);

/**
 * A worker missed @p ip: create it INCOMPLETE so that mg_neigh_age() sends
 * probes (the first at its next call). A FAILED entry is re-armed once
 * retrans_ms has passed since it failed.
 * @return 0 (created, re-armed, or already there), -EHOSTUNREACH (failed
 *         too recently), -EINVAL, -ENOSPC (full; counted).
 */
int mg_neigh_request(struct mg_neigh_table *tbl, const struct mg_ip *ip,
		     uint64_t now_us);

/** Remove @p ip (it goes FAILED); -ENOENT when absent. */
int mg_neigh_remove(struct mg_neigh_table *tbl, const struct mg_ip *ip,
		    uint64_t now_us);

/** Called by mg_neigh_age() for each probe to send: @p mac is NULL for a
 *  broadcast/multicast probe, the known MAC for a unicast one. */
typedef void (*mg_neigh_probe_fn)(const struct mg_ip *ip,
				  const struct rte_ether_addr *mac, void *arg);

/** Move entries through their states at time @p now_us, calling @p probe
 *  for every probe due. Call it every few tens of milliseconds. */
void mg_neigh_age(struct mg_neigh_table *tbl, uint64_t now_us,
		  mg_neigh_probe_fn probe, void *arg);

typedef void (*mg_neigh_entry_fn)(const struct mg_ip *ip,
				  const struct rte_ether_addr *mac,
				  const char *state, uint64_t age_ms, void *arg);

/** Call @p fn for every taken slot (FAILED included); age_ms is the time
 *  since its last state change or confirmation. */
void mg_neigh_foreach(const struct mg_neigh_table *tbl, uint64_t now_us,
		      mg_neigh_entry_fn fn, void *arg);

void mg_neigh_stats_get(const struct mg_neigh_table *tbl,
			struct mg_neigh_stats *st);

#endif /* MG_NEIGH_H */
