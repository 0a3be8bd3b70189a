/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_HEALTH_H
#define MG_HEALTH_H

/*
 * Active health checks of endpoints: by TCP SYN probe, built here, or by
 * HTTP request (type http), which the main lcore hands to worker 0's
 * HTTP proxy (lib/proxy); either way the scheduler and the up/down state
 * machine below decide when to probe and what the results mean.
 *
 * Split across lcores like this:
 *  - the scheduler and the up/down state machine (mg_health_poll/report)
 *    run on the main lcore only; they are not thread-safe;
 *  - the main lcore builds each probe (mg_tcp_probe_build) and hands it to
 *    a worker to transmit on the internal port;
 *  - whichever worker receives the reply recognises it with
 *    mg_health_key_decode() (read-only, any lcore), turns a SYN-ACK into a
 *    RST (mg_tcp_probe_rst_in_place) and passes (target, probe_id, up) back
 *    to the main lcore through a ring, which calls mg_health_report().
 *
 * Semantics, as HAProxy and Envoy users expect them:
 *  - targets start UP, so traffic flows at start-up before the first probe;
 *  - unhealthy_threshold consecutive failures (RST, timeout, failed send)
 *    take a target DOWN; healthy_threshold consecutive successes (SYN-ACK)
 *    bring it back UP;
 *  - at most one probe is outstanding per target; the next probe is due
 *    interval_ms after the previous one was sent, or when the previous one
 *    is resolved if that is later (timeout_ms > interval_ms);
 *  - first probes are spread over the first interval with seeded jitter so
 *    that targets are not probed in lockstep;
 *  - MG_HEALTH_NONE targets are always UP and never probed.
 * A target that stops answering is DOWN within
 *   unhealthy_threshold * max(interval, timeout) + timeout
 * (interval * unhealthy_threshold + timeout when timeout <= interval).
 *
 * Probe identity: the SYN's sequence number is a keyed 32-bit permutation
 * of (target:16, probe_id:16), so the reply's ack - 1 (SYN-ACK, or RST|ACK)
 * names the probe, and a spoofed reply has to guess the key. The source
 * port is taken from MG_HEALTH_SPORT_MIN..MAX, also keyed, as a second check.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "mg_addr.h"
#include "mg_cfg.h"

/*
 * Source ports of probes. The data plane keeps this range out of the
 * full-NAT port range so that a reply in it is always a probe reply.
 * The size of the range must be a power of two.
 */
#define MG_HEALTH_SPORT_MIN	1024
#define MG_HEALTH_SPORT_MAX	2047
#define MG_HEALTH_SPORT_COUNT	(MG_HEALTH_SPORT_MAX - MG_HEALTH_SPORT_MIN + 1)

/* Target indexes and probe ids are 16 bits wide inside the sequence number. */
#define MG_HEALTH_MAX_TARGETS	65536u
#define MG_HEALTH_PROBE_ID_MASK	0xffffu

/* The window and MSS option of probe SYNs. */
#define MG_HEALTH_PROBE_WINDOW	1024
#define MG_HEALTH_PROBE_MSS4	1460
#define MG_HEALTH_PROBE_MSS6	1440

struct mg_health_target {
	struct mg_ip addr;
	uint16_t port;			/* host byte order */
	struct mg_cfg_health cfg;	/* cfg.port != 0 overrides port */
};

/*
 * The immutable part of an instance that workers need to recognise
 * replies. It never changes after mg_health_create(); a worker may keep a
 * pointer to it (valid until mg_health_free) or a copy by value.
 */
struct mg_health_key {
	uint64_t k[5];			/* secret derived from the seed */
	uint32_t n_targets;
};

struct mg_health;

/**
 * Create a health checker for @p n targets (copied).
 *
 * @param now_us  current time; first probes fall in [now, now + interval)
 * @param seed    secret for probe sequence numbers and jitter; pass a
 *                random value (e.g. rte_rand()) in production, a fixed one
 *                in tests
 * @return the instance, or NULL with rte_errno = EINVAL (n > 65536, a
 *         TCP target with a zero interval, timeout, threshold or port, or
 *         an address that is neither IPv4 nor IPv6; unknown type) or ENOMEM.
 */
struct mg_health *mg_health_create(const struct mg_health_target *t,
				   uint32_t n, uint64_t now_us, uint64_t seed);

/** Free an instance; NULL is accepted. */
void mg_health_free(struct mg_health *h);

/**
 * Run the scheduler; call from the main lcore about every millisecond.
 *
 * Times out outstanding probes, then sends the probes that are due through
 * @p send(target, probe_id, arg), which returns 0 or -errno. A failed send
 * is counted (send_failed) and the probe then fails at its timeout like a
 * probe that got no answer.
 *
 * @return the number of targets whose up/down state changed since the
 *         previous call (here, or in mg_health_report() in between); the
 *         caller rebuilds its load-balancing tables when it is not 0.
 */
unsigned mg_health_poll(struct mg_health *h, uint64_t now_us,
			int (*send)(uint32_t target, uint32_t probe_id,
				    void *arg),
			void *arg);

/**
 * A reply to a probe was seen: @p up is true for a SYN-ACK, false for a
 * RST. Replies for a probe that is no longer outstanding (timed out, or an
 * older id) are ignored and counted in stale_replies of the target; replies
 * naming an unknown target are counted in mg_health_unknown_replies().
 */
void mg_health_report(struct mg_health *h, uint32_t target, uint32_t probe_id,
		      bool up, uint64_t now_us);

/** Whether @p target is up; false for an unknown target. */
bool mg_health_is_up(const struct mg_health *h, uint32_t target);

/** Number of targets of the instance. */
uint32_t mg_health_count(const struct mg_health *h);

struct mg_health_stats {
	bool up;
	uint32_t consecutive_ok, consecutive_fail;
	uint64_t probes_sent;		/* handed to send() successfully */
	uint64_t send_failed;		/* send() returned an error */
	uint64_t ok;			/* SYN-ACKs */
	uint64_t failed;		/* RSTs + timeouts (send failures included) */
	uint64_t timeouts;
	uint64_t stale_replies;
	uint64_t last_change_us;	/* creation time until the first change */
};

/** Counters and state of @p target; zeroed for an unknown target. */
void mg_health_get(const struct mg_health *h, uint32_t target,
		   struct mg_health_stats *st);

/** Replies that named a target the instance does not have. */
uint64_t mg_health_unknown_replies(const struct mg_health *h);

/** The immutable key for workers (see struct mg_health_key). */
const struct mg_health_key *mg_health_key(const struct mg_health *h);

/** Sequence number of the SYN of probe @p probe_id (low 16 bits used). */
uint32_t mg_health_probe_seq(const struct mg_health *h, uint32_t target,
			     uint32_t probe_id);

/**
 * Recover (target, probe_id) from the ack - 1 of a SYN-ACK or RST|ACK.
 * Reads only the immutable key: safe on any lcore.
 * @return 0, or -EINVAL when the value cannot be one of our probes.
 * A random value passes with probability n_targets / 65536; checking the
 * destination port against mg_health_key_sport() divides that by 1024, and
 * the probe id check in mg_health_report() by another 65536.
 */
int mg_health_probe_decode(const struct mg_health *h, uint32_t ack_minus_1,
			   uint32_t *target, uint32_t *probe_id);

/** The same as the two above, on the key alone. */
uint32_t mg_health_key_seq(const struct mg_health_key *k, uint32_t target,
			   uint32_t probe_id);
int mg_health_key_decode(const struct mg_health_key *k, uint32_t ack_minus_1,
			 uint32_t *target, uint32_t *probe_id);

/** Source port (host order) of probe @p probe_id of @p target. */
uint16_t mg_health_key_sport(const struct mg_health_key *k, uint32_t target,
			     uint32_t probe_id);

/* What the main lcore needs to build one probe frame. */
struct mg_health_probe {
	struct mg_ip dst;
	uint16_t dport;			/* host byte order */
	uint16_t sport;			/* host byte order */
	uint32_t seq;
};

/**
 * Fill @p p for probe @p probe_id of @p target (as given to send()).
 * @return 0, or -EINVAL for an unknown target.
 */
int mg_health_probe_info(const struct mg_health *h, uint32_t target,
			 uint32_t probe_id, struct mg_health_probe *p);

/**
 * Build a probe SYN frame: Ethernet (+ 802.1Q tag when @p vlan != 0),
 * IPv4 or IPv6, TCP with an MSS option and a window of 1024, checksums
 * computed in software (no offload flags set). Ports are in host order.
 * @return the mbuf, or NULL with rte_errno = EINVAL (families differ or
 *         are unknown, vlan > 4095), ENOMEM (pool empty) or ENOSPC.
 */
struct rte_mbuf *mg_tcp_probe_build(struct rte_mempool *mp,
				    const struct rte_ether_addr *src_mac,
				    const struct rte_ether_addr *dst_mac,
				    uint16_t vlan, const struct mg_ip *src,
				    uint16_t sport, const struct mg_ip *dst,
				    uint16_t dport, uint32_t seq);

/**
 * Turn a received SYN-ACK into the RST that aborts the half-open
 * connection, in place: MACs, addresses and ports swapped, a RST with
 * seq = the SYN-ACK's ack and no payload or options, IP options and IPv6
 * extension headers removed, checksums recomputed, the mbuf trimmed. The
 * Ethernet header (and any VLAN tag) spans [0, l3_off) of the first
 * segment; the IP header starts at @p l3_off and TCP at @p l4_off.
 *
 * @param family  AF_INET or AF_INET6
 * @return 0, or -EINVAL when the frame is not an ACK-carrying, non-RST TCP
 *         segment of that family with the headers inside the first segment.
 */
int mg_tcp_probe_rst_in_place(struct rte_mbuf *m, uint16_t l3_off,
			      uint16_t l4_off, uint8_t family);

#endif /* MG_HEALTH_H */
