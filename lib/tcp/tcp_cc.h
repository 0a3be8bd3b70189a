/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_TCP_CC_H
#define MG_TCP_CC_H

/*
 * Congestion control behind a small ops table, one algorithm per file
 * (cc_newreno.c: RFC 5681 + RFC 6582; cc_cubic.c: RFC 9438). The
 * connection owns struct mg_tcp_cc_state and calls the hooks; loss
 * recovery itself (which segment to resend, pipe, RFC 6675) lives in
 * tcp_sack.c and tcp_output.c, the algorithms only move cwnd/ssthresh.
 * All sizes are in bytes; time in microseconds.
 */

#include <stdbool.h>
#include <stdint.h>

#include "tcp_seq.h"

struct mg_tcp_cc_state {
	uint32_t cwnd;
	uint32_t ssthresh;
	uint32_t mss;			/* sender MSS (SMSS) */
	uint32_t bytes_acked;		/* NewReno: byte counting in CA (RFC 3465);
					 * CUBIC: remainder of the per-ACK growth */
	bool in_recovery;
	bool recover_valid;		/* recover holds a loss/RTO point */
	uint32_t recover;		/* RFC 6582 recover: snd_nxt at loss/RTO */
	/* CUBIC (RFC 9438) */
	uint64_t epoch_start_us;	/* 0 = no epoch (starts on the next CA ACK) */
	uint32_t w_max;			/* W_max: cwnd before the last reduction,
					 * lowered by fast convergence */
	uint32_t cwnd_prior;		/* cwnd before the last reduction */
	uint32_t k_us;			/* time to reach w_max again, in us */
	uint32_t w_est;			/* Reno-friendly estimate */
	uint32_t origin;		/* W_max of the current epoch's curve */
	uint32_t est_frac;		/* remainder of the W_est growth */
};

/*
 * How the core drives an algorithm:
 * - init() when the connection is established (cwnd = RFC 6928 initial
 *   window, ssthresh "arbitrarily high").
 * - on_ack() for every ACK that advances snd_una while not in recovery
 *   (it does nothing while s->in_recovery). @p flight is FlightSize when
 *   the ACK arrived, before it is applied (snd_nxt - old snd_una): cwnd
 *   only grows while flight >= cwnd / 2, i.e. while the window is used
 *   (an application-limited sender must not inflate it, RFC 7661's idea
 *   in its simplest form). Slow start counts bytes with L = 2*SMSS
 *   (RFC 3465); congestion avoidance is the algorithm's own.
 * - on_loss() once when fast recovery starts (third dupack, or RFC 6675
 *   loss detection); it sets ssthresh, cwnd = ssthresh, in_recovery and
 *   recover = @p snd_nxt. Only enter when mg_tcp_cc_may_recover() says so
 *   (RFC 6582 3.2 (1): no second reduction for losses of the same window).
 *   Then:
 *   . with SACK (RFC 6675): send while pipe (mg_tcp_sb_pipe) < cwnd,
 *     cwnd stays ssthresh during recovery; nothing else to do here.
 *   . without SACK (RFC 6582): the core inflates: cwnd += 3*SMSS right
 *     after on_loss, mg_tcp_cc_dupack() for each further dupack,
 *     mg_tcp_cc_partial_ack() for each ACK below recover.
 *   A full ACK (mg_tcp_cc_full_ack()) ends recovery: on_recovery_end()
 *   (cwnd = ssthresh, in_recovery = false).
 * - on_rto() on a retransmission timeout: ssthresh from @p flight,
 *   cwnd = 1 SMSS, recovery abandoned. The core then calls
 *   mg_tcp_cc_set_recover(s, snd_nxt) (RFC 6582 3.2 (4)). On later
 *   back-offs of the same segment RFC 5681 (4) holds ssthresh: call
 *   on_rto() only for the first expiry, and just keep cwnd = SMSS after.
 */
struct mg_tcp_cc_ops {
	const char *name;
	/* Connection established: initial window (RFC 6928: 10 segments). */
	void (*init)(struct mg_tcp_cc_state *s, uint32_t mss, uint64_t now_us);
	/* New data acknowledged outside recovery. */
	void (*on_ack)(struct mg_tcp_cc_state *s, uint32_t acked,
		       uint32_t flight, uint32_t srtt_us, uint64_t now_us);
	/* Entering fast recovery (3 dupacks / SACK loss detection):
	 * set ssthresh and cwnd. @p flight is the data outstanding. */
	void (*on_loss)(struct mg_tcp_cc_state *s, uint32_t flight,
			uint32_t snd_nxt, uint64_t now_us);
	/* Recovery ended (all data sent at loss acknowledged). */
	void (*on_recovery_end)(struct mg_tcp_cc_state *s, uint64_t now_us);
	/* Retransmission timeout: cwnd to one segment (RFC 5681 3.1). */
	void (*on_rto)(struct mg_tcp_cc_state *s, uint32_t flight,
		       uint64_t now_us);
};

extern const struct mg_tcp_cc_ops mg_tcp_cc_newreno;
extern const struct mg_tcp_cc_ops mg_tcp_cc_cubic;

/** The algorithm called @p name ("newreno", "cubic"), or NULL. */
const struct mg_tcp_cc_ops *mg_tcp_cc_find(const char *name);

/* Largest cwnd/ssthresh the algorithms produce: the largest window TCP
 * can advertise (65535 << 14) rounded up. */
#define MG_TCP_CC_CWND_MAX	(1u << 30)

/** RFC 6928 initial window: min(10*MSS, max(2*MSS, 14600)). */
uint32_t mg_tcp_cc_initial_window(uint32_t mss);

/**
 * Slow start shared by the algorithms: cwnd grows by the bytes acked, at
 * most 2*SMSS per ACK (RFC 3465, L = 2), and not past ssthresh.
 * @return the part of @p acked left over once cwnd reached ssthresh
 *         (for congestion avoidance).
 */
uint32_t mg_tcp_cc_slow_start(struct mg_tcp_cc_state *s, uint32_t acked);

/* RFC 6582 bookkeeping, algorithm independent. */

/** Record the RFC 6582 recover point (on_loss does it; the core after
 *  on_rto, with its snd_nxt). */
static inline void
mg_tcp_cc_set_recover(struct mg_tcp_cc_state *s, uint32_t snd_nxt)
{
	s->recover = snd_nxt;
	s->recover_valid = true;
}

/** May three dupacks at @p ack start a new recovery? Not while one runs,
 *  nor before everything sent at the last loss or RTO is acknowledged
 *  (RFC 6582 3.2 (1)). Forgets a recover point once passed, so that it
 *  cannot come back to life when sequence numbers wrap. */
static inline bool
mg_tcp_cc_may_recover(struct mg_tcp_cc_state *s, uint32_t ack)
{
	if (s->in_recovery)
		return false;
	if (!s->recover_valid)
		return true;
	if (mg_seq_lt(ack, s->recover))
		return false;
	s->recover_valid = false;
	return true;
}

/** Does @p ack acknowledge all data outstanding when recovery began? */
static inline bool
mg_tcp_cc_full_ack(const struct mg_tcp_cc_state *s, uint32_t ack)
{
	return mg_seq_geq(ack, s->recover);
}

/** Without SACK: each further dupack in recovery inflates cwnd by SMSS. */
static inline void
mg_tcp_cc_dupack(struct mg_tcp_cc_state *s)
{
	if (s->cwnd <= MG_TCP_CC_CWND_MAX - s->mss)
		s->cwnd += s->mss;
}

/** Without SACK: a partial ACK of @p acked bytes deflates cwnd by that
 *  much and adds back SMSS when at least SMSS was acknowledged. */
static inline void
mg_tcp_cc_partial_ack(struct mg_tcp_cc_state *s, uint32_t acked)
{
	s->cwnd = s->cwnd > acked ? s->cwnd - acked : 0;
	if (acked >= s->mss)
		s->cwnd += s->mss;
	if (s->cwnd < s->mss)
		s->cwnd = s->mss;
}

#endif /* MG_TCP_CC_H */
