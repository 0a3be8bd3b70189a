/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CUBIC (RFC 9438). Windows are kept in bytes; the cubic curve is
 * evaluated in segments and seconds with doubles, once per ACK in
 * congestion avoidance (one cbrt per congestion epoch, a few multiplies
 * per ACK). Slow start is the shared one with byte counting.
 */

#include <math.h>

#include "tcp_cc.h"

#define CUBIC_C		0.4	/* segments / s^3 */
/* beta_cubic = 0.7 = 7/10; fast convergence uses (1 + beta) / 2 = 17/20;
 * the Reno-friendly alpha_cubic = 3 (1 - beta) / (1 + beta) = 9/17. */
#define BETA_NUM	7
#define BETA_DEN	10
#define FC_NUM		17
#define FC_DEN		20
#define ALPHA_NUM	9
#define ALPHA_DEN	17

static uint32_t
cubic_clamp(uint64_t w)
{
	return w < MG_TCP_CC_CWND_MAX ? (uint32_t)w : MG_TCP_CC_CWND_MAX;
}

/* ssthresh after a congestion event: flight * beta, at least 2 SMSS. */
static uint32_t
cubic_ssthresh(const struct mg_tcp_cc_state *s, uint32_t flight)
{
	uint64_t w = (uint64_t)flight * BETA_NUM / BETA_DEN;

	if (w < 2 * (uint64_t)s->mss)
		w = 2 * (uint64_t)s->mss;
	return cubic_clamp(w);
}

static void
cubic_end_epoch(struct mg_tcp_cc_state *s)
{
	s->epoch_start_us = 0;
	s->bytes_acked = 0;
	s->est_frac = 0;
}

static void
cubic_init(struct mg_tcp_cc_state *s, uint32_t mss, uint64_t now_us)
{
	s->mss = mss ? mss : 536;
	s->cwnd = mg_tcp_cc_initial_window(s->mss);
	s->ssthresh = UINT32_MAX;
	s->in_recovery = false;
	s->recover_valid = false;
	s->recover = 0;
	s->w_max = 0;
	s->cwnd_prior = 0;
	s->k_us = 0;
	s->w_est = 0;
	s->origin = 0;
	cubic_end_epoch(s);
}

/* The first ACK of a congestion avoidance stage: the curve starts at the
 * current cwnd and reaches origin (W_max) after K. */
static void
cubic_start_epoch(struct mg_tcp_cc_state *s, uint64_t now_us)
{
	s->epoch_start_us = now_us ? now_us : 1;	/* 0 means none */
	s->w_est = s->cwnd;
	s->est_frac = 0;
	s->bytes_acked = 0;
	if (s->w_max > s->cwnd) {
		double k = cbrt((double)(s->w_max - s->cwnd) / s->mss / CUBIC_C);

		s->origin = s->w_max;
		s->k_us = k * 1e6 < (double)UINT32_MAX ? (uint32_t)(k * 1e6) :
			UINT32_MAX;
	} else {
		/* After an RTO, or above W_max: convex from here (K = 0). */
		s->origin = s->cwnd;
		s->k_us = 0;
	}
}

/* W_cubic(t) in bytes, t in microseconds since the epoch started. */
static double
cubic_window(const struct mg_tcp_cc_state *s, uint64_t t_us)
{
	double d = ((double)t_us - (double)s->k_us) / 1e6;

	return CUBIC_C * d * d * d * s->mss + s->origin;
}

static void
cubic_on_ack(struct mg_tcp_cc_state *s, uint32_t acked, uint32_t flight,
	     uint32_t srtt_us, uint64_t now_us)
{
	uint64_t t_us, num, den;
	double w, target;
	uint32_t tgt;

	if (s->in_recovery || acked == 0 || flight < s->cwnd / 2)
		return;
	if (s->cwnd < s->ssthresh) {
		acked = mg_tcp_cc_slow_start(s, acked);
		if (acked == 0)
			return;
	}
	if (acked > s->cwnd)
		acked = s->cwnd;
	if (s->epoch_start_us == 0)
		cubic_start_epoch(s, now_us);
	t_us = now_us > s->epoch_start_us ? now_us - s->epoch_start_us : 0;

	/* W_est += alpha * segments_acked / cwnd, kept exact in bytes with a
	 * remainder; alpha becomes 1 once W_est reaches cwnd_prior. */
	num = (uint64_t)acked * s->mss *
		(s->w_est >= s->cwnd_prior ? ALPHA_DEN : ALPHA_NUM) + s->est_frac;
	den = (uint64_t)s->cwnd * ALPHA_DEN;
	s->w_est = cubic_clamp((uint64_t)s->w_est + num / den);
	s->est_frac = den <= UINT32_MAX ? (uint32_t)(num % den) : 0;

	w = cubic_window(s, t_us);
	if (w < (double)s->w_est) {
		/* Reno-friendly region: do at least as well as Reno would. */
		if (s->w_est > s->cwnd)
			s->cwnd = s->w_est;
		s->bytes_acked = 0;
		return;
	}

	/* Concave or convex region: aim for W_cubic one RTT ahead, growing
	 * (target - cwnd) / cwnd per SMSS acknowledged, kept exact with a
	 * remainder. The target is bounded to [cwnd, 1.5 cwnd]. */
	target = cubic_window(s, t_us + srtt_us);
	if (target <= (double)s->cwnd)
		return;
	tgt = target >= 1.5 * s->cwnd ? s->cwnd + s->cwnd / 2 :
		(uint32_t)target;
	num = (uint64_t)(tgt - s->cwnd) * acked + s->bytes_acked;
	s->bytes_acked = (uint32_t)(num % s->cwnd);
	s->cwnd = cubic_clamp((uint64_t)s->cwnd + num / s->cwnd);
}

static void
cubic_on_loss(struct mg_tcp_cc_state *s, uint32_t flight, uint32_t snd_nxt,
	      uint64_t now_us)
{
	/* Fast convergence: a flow losing below its last W_max gives way. */
	if (s->cwnd < s->w_max)
		s->w_max = (uint32_t)((uint64_t)s->cwnd * FC_NUM / FC_DEN);
	else
		s->w_max = s->cwnd;
	s->cwnd_prior = s->cwnd;
	s->ssthresh = cubic_ssthresh(s, flight);
	s->cwnd = s->ssthresh;
	s->in_recovery = true;
	mg_tcp_cc_set_recover(s, snd_nxt);
	cubic_end_epoch(s);
}

static void
cubic_on_recovery_end(struct mg_tcp_cc_state *s, uint64_t now_us)
{
	s->cwnd = s->ssthresh;
	s->in_recovery = false;
	cubic_end_epoch(s);
}

static void
cubic_on_rto(struct mg_tcp_cc_state *s, uint32_t flight, uint64_t now_us)
{
	/* RFC 9438 4.8: Reno's cwnd, CUBIC's ssthresh; the next epoch starts
	 * with K = 0 and W_max = its initial cwnd. */
	s->cwnd_prior = s->cwnd;
	s->ssthresh = cubic_ssthresh(s, flight);
	s->cwnd = s->mss;
	s->w_max = 0;
	s->in_recovery = false;
	cubic_end_epoch(s);
}

const struct mg_tcp_cc_ops mg_tcp_cc_cubic = {
	.name = "cubic",
	.init = cubic_init,
	.on_ack = cubic_on_ack,
	.on_loss = cubic_on_loss,
	.on_recovery_end = cubic_on_recovery_end,
	.on_rto = cubic_on_rto,
};
