/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NewReno: RFC 5681 slow start and congestion avoidance with byte counting
 * (RFC 3465), RFC 6582 fast recovery. The window inflation of recovery
 * without SACK is the core's (tcp_cc.h); here only the reductions.
 */

#include "tcp_cc.h"

static uint32_t
newreno_half_flight(const struct mg_tcp_cc_state *s, uint32_t flight)
{
	/* RFC 5681 (4): max(FlightSize / 2, 2 * SMSS). */
	uint32_t half = flight / 2;

	if (half < 2 * s->mss)
		half = 2 * s->mss;
	return half < MG_TCP_CC_CWND_MAX ? half : MG_TCP_CC_CWND_MAX;
}

static void
newreno_init(struct mg_tcp_cc_state *s, uint32_t mss, uint64_t now_us)
{
	s->mss = mss ? mss : 536;
	s->cwnd = mg_tcp_cc_initial_window(s->mss);
	s->ssthresh = UINT32_MAX;
	s->bytes_acked = 0;
	s->in_recovery = false;
	s->recover_valid = false;
	s->recover = 0;
}

static void
newreno_on_ack(struct mg_tcp_cc_state *s, uint32_t acked, uint32_t flight,
	       uint32_t srtt_us, uint64_t now_us)
{
	if (s->in_recovery || acked == 0 || flight < s->cwnd / 2)
		return;
	if (s->cwnd < s->ssthresh) {
		acked = mg_tcp_cc_slow_start(s, acked);
		if (acked == 0)
			return;
	}
	/* RFC 3465 2.1: one SMSS per window's worth of acknowledged bytes. */
	s->bytes_acked += acked;
	if (s->bytes_acked >= s->cwnd) {
		s->bytes_acked -= s->cwnd;
		if (s->cwnd <= MG_TCP_CC_CWND_MAX - s->mss)
			s->cwnd += s->mss;
	}
	/* A window acked in one go must not leave credit for the next. */
	if (s->bytes_acked >= s->cwnd)
		s->bytes_acked = 0;
}

static void
newreno_on_loss(struct mg_tcp_cc_state *s, uint32_t flight, uint32_t snd_nxt,
		uint64_t now_us)
{
	s->ssthresh = newreno_half_flight(s, flight);
	s->cwnd = s->ssthresh;
	s->bytes_acked = 0;
	s->in_recovery = true;
	mg_tcp_cc_set_recover(s, snd_nxt);
}

static void
newreno_on_recovery_end(struct mg_tcp_cc_state *s, uint64_t now_us)
{
	/* Deflate whatever the core inflated during recovery. */
	s->cwnd = s->ssthresh;
	s->bytes_acked = 0;
	s->in_recovery = false;
}

static void
newreno_on_rto(struct mg_tcp_cc_state *s, uint32_t flight, uint64_t now_us)
{
	s->ssthresh = newreno_half_flight(s, flight);
	s->cwnd = s->mss;
	s->bytes_acked = 0;
	s->in_recovery = false;
}

const struct mg_tcp_cc_ops mg_tcp_cc_newreno = {
	.name = "newreno",
	.init = newreno_init,
	.on_ack = newreno_on_ack,
	.on_loss = newreno_on_loss,
	.on_recovery_end = newreno_on_recovery_end,
	.on_rto = newreno_on_rto,
};
