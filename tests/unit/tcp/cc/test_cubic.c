/* SPDX-License-Identifier: Apache-2.0 */
/* CUBIC (RFC 9438) against its formulas, computed here independently. */

#include <math.h>
#include <string.h>

#include "mg_test.h"
#include "cc_test.h"

static const struct mg_tcp_cc_ops *cu = &mg_tcp_cc_cubic;

/* W_cubic(t) in segments (RFC 9438 eq. 1 and 2), t in seconds. */
static double
ref_wcubic(double t, double w_max, double cwnd_epoch)
{
	double k = cbrt((w_max - cwnd_epoch) / 0.4);

	return 0.4 * (t - k) * (t - k) * (t - k) + w_max;
}

/* A connection in congestion avoidance at @p w segments that loses. */
static void
setup_after_loss(struct mg_tcp_cc_state *s, uint32_t w, uint64_t now)
{
	cu->init(s, MSS, 0);
	s->cwnd = w * MSS;
	s->ssthresh = w * MSS;
	cu->on_loss(s, s->cwnd, 100000, now);
	cu->on_recovery_end(s, now);
}

static void
test_reduction(void)
{
	struct mg_tcp_cc_state s;

	setup_after_loss(&s, 100, 0);
	MG_CHECK_EQ(s.w_max, 100 * MSS);
	MG_CHECK_EQ(s.cwnd, 70 * MSS);
	MG_CHECK_EQ(s.ssthresh, 70 * MSS);
	MG_CHECK_EQ(s.cwnd_prior, 100 * MSS);
	MG_CHECK(!s.in_recovery);
	/* Little in flight: at least 2 SMSS. */
	cu->init(&s, MSS, 0);
	cu->on_loss(&s, MSS, 1000, 0);
	MG_CHECK_EQ(s.cwnd, 2 * MSS);
	MG_CHECK(s.in_recovery);
	MG_CHECK_EQ(s.recover, 1000);
}

/* W_est (RFC 9438 eq. 4) in segments after @p rounds of a full window:
 * alpha_cubic per round up to cwnd_prior, then 1. */
static double
ref_west(double rounds, double cwnd_epoch, double cwnd_prior)
{
	double alpha = 3.0 * (1 - 0.7) / (1 + 0.7);
	double to_prior = (cwnd_prior - cwnd_epoch) / alpha;

	if (rounds <= to_prior)
		return cwnd_epoch + alpha * rounds;
	return cwnd_prior + (rounds - to_prior);
}

/* Follow the window over time, round trip by round trip. */
static void
test_cubic_curve(void)
{
	struct mg_tcp_cc_state s;
	const uint32_t rtt = 200000;	/* 200 ms: the cubic region */
	const double k = cbrt(30.0 / 0.4);
	uint64_t now = 1000000, t0 = 0;
	double prev_w = 70, d_before = 0, d_prev = 1e9;
	int rounds = 0, checked = 0;

	setup_after_loss(&s, 100, now);
	while (rounds < 40) {
		double t, w, want;

		cc_round(cu, &s, &now, rtt, 1);
		if (t0 == 0)
			t0 = s.epoch_start_us;
		rounds++;
		t = (double)(now - t0) / 1e6;
		w = (double)s.cwnd / MSS;
		want = ref_wcubic(t, 100, 70);
		MG_CHECK(ref_west(rounds, 70, 100) < want || t < 0.7);
		/* At the end of each round cwnd has caught up with the curve
		 * (it aimed at W(t + RTT) during the round). */
		if (fabs(w - want) > 0.02 * want + 1.0) {
			fprintf(stderr, "t=%.2f cwnd=%.2f want=%.2f\n", t, w, want);
			MG_CHECK(0);
		}
		checked++;
		/* Concave below K (growth slows), convex above (speeds up). */
		if (t > 0.5 && t < k - 0.3)
			MG_CHECK(w - prev_w <= d_prev + 0.05);
		if (t > k + 0.5)
			MG_CHECK(w - prev_w >= d_prev - 0.05);
		if (fabs(t - k) < 0.06)
			MG_CHECK(fabs(w - 100) < 1.0);
		if (t > k - 0.5 && t < k + 0.5)
			d_before += w - prev_w;
		d_prev = w - prev_w;
		prev_w = w;
	}
	MG_CHECK_EQ(checked, 40);
	MG_CHECK(prev_w > 120);		/* well into the convex region */
	/* Flat around W_max: under 1.5 segments gained in that second. */
	MG_CHECK(d_before < 1.5);
	/* K as the algorithm computed it. */
	MG_CHECK(fabs(s.k_us / 1e6 - k) < 0.001);
	MG_CHECK_EQ(s.origin, 100 * MSS);
	/* Reno-friendly estimate is below the curve all along here. */
	MG_CHECK(s.w_est < s.cwnd);
}

static void
test_reno_friendly(void)
{
	struct mg_tcp_cc_state s;
	const uint32_t rtt = 1000;	/* 1 ms: Reno would grow faster */
	uint64_t now = 1000000;
	double alpha = 3.0 * (1 - 0.7) / (1 + 0.7), t;
	int r, reno_won = 0;

	setup_after_loss(&s, 100, now);
	for (r = 1; r <= 20; r++)
		cc_round(cu, &s, &now, rtt, 1);
	t = (double)(now - s.epoch_start_us) / 1e6;
	MG_CHECK(ref_wcubic(t, 100, 70) < (double)s.cwnd / MSS);
	/* W_est = 70 + alpha per RTT. */
	MG_CHECK(fabs((double)s.cwnd / MSS - (70 + 20 * alpha)) < 0.5);
	MG_CHECK_EQ(s.cwnd, s.w_est);
	/* Past cwnd_prior (100 segments) alpha becomes 1. */
	for (; r <= 100; r++)
		cc_round(cu, &s, &now, rtt, 1);
	MG_CHECK(fabs((double)s.cwnd / MSS - ref_west(100, 70, 100)) < 2.0);
	MG_CHECK(ref_west(100, 70, 100) > 140);
	/* With 100 ms RTT, Reno overtakes the cubic curve after K:
	 * cwnd follows max(W_cubic, W_est). */
	setup_after_loss(&s, 100, now);
	for (r = 1; r <= 90; r++) {
		double want;

		cc_round(cu, &s, &now, 100000, 1);
		t = (double)(now - s.epoch_start_us) / 1e6 + 0.1 / 70;
		want = fmax(ref_wcubic(t, 100, 70), ref_west(r, 70, 100));
		reno_won += ref_west(r, 70, 100) > ref_wcubic(t, 100, 70) + 2;
		MG_CHECK(fabs((double)s.cwnd / MSS - want) < 0.02 * want + 1);
	}
	MG_CHECK(reno_won > 10);
	/* Delayed ACKs count segments, not ACKs. */
	setup_after_loss(&s, 100, now);
	for (r = 1; r <= 20; r++)
		cc_round(cu, &s, &now, rtt, 2);
	MG_CHECK(fabs((double)s.cwnd / MSS - (70 + 20 * alpha)) < 0.5);
}

static void
test_fast_convergence(void)
{
	struct mg_tcp_cc_state s;
	uint64_t now = 1000000;

	setup_after_loss(&s, 100, now);
	MG_CHECK_EQ(s.w_max, 100 * MSS);
	/* The next loss comes at 80 segments, below W_max: give way. */
	s.cwnd = 80 * MSS;
	cu->on_loss(&s, s.cwnd, 200000, now);
	MG_CHECK_EQ(s.w_max, 68 * MSS);		/* 80 * (1 + 0.7) / 2 */
	MG_CHECK_EQ(s.cwnd, 56 * MSS);
	MG_CHECK_EQ(s.cwnd_prior, 80 * MSS);
	cu->on_recovery_end(&s, now);
	cc_round(cu, &s, &now, 100000, 1);
	MG_CHECK(fabs(s.k_us / 1e6 - cbrt(12.0 / 0.4)) < 0.001);
	MG_CHECK_EQ(s.origin, 68 * MSS);
	/* A loss at or above W_max takes cwnd as the new W_max. */
	s.cwnd = 90 * MSS;
	cu->on_loss(&s, s.cwnd, 300000, now);
	MG_CHECK_EQ(s.w_max, 90 * MSS);
	MG_CHECK_EQ(s.cwnd, 63 * MSS);
}

static void
test_rto_and_slow_start(void)
{
	struct mg_tcp_cc_state s;
	uint64_t now = 1000000;
	uint32_t before;

	cu->init(&s, MSS, 0);
	MG_CHECK_EQ(s.cwnd, 10 * MSS);
	cc_round(cu, &s, &now, 50000, 1);	/* slow start as NewReno */
	MG_CHECK_EQ(s.cwnd, 20 * MSS);
	MG_CHECK_EQ(s.epoch_start_us, 0);
	s.cwnd = 50 * MSS;
	cu->on_rto(&s, 50 * MSS, now);
	MG_CHECK_EQ(s.cwnd, MSS);
	MG_CHECK_EQ(s.ssthresh, 35 * MSS);
	MG_CHECK(!s.in_recovery);
	while (s.cwnd < s.ssthresh)
		cc_round(cu, &s, &now, 50000, 1);
	/* The round that reached ssthresh went on in CA. */
	MG_CHECK(s.cwnd >= 35 * MSS && s.cwnd < 36 * MSS);
	/* First CA epoch after an RTO: K = 0, W_max = cwnd at its start. */
	cc_round(cu, &s, &now, 50000, 1);
	MG_CHECK_EQ(s.k_us, 0);
	MG_CHECK_EQ(s.origin, 35 * MSS);
	MG_CHECK(s.cwnd >= 35 * MSS);
	/* A long silence does not let one ACK jump past 1.5 cwnd. */
	before = s.cwnd;
	now += 100 * 1000000ull;
	cu->on_ack(&s, MSS, s.cwnd, 50000, now);
	MG_CHECK(s.cwnd <= before + MSS / 2 + 1);
	MG_CHECK(s.cwnd > before);
	/* Nothing moves in recovery or when application-limited. */
	before = s.cwnd;
	cu->on_ack(&s, MSS, s.cwnd / 4, 50000, now + 1000);
	MG_CHECK_EQ(s.cwnd, before);
	cu->on_loss(&s, s.cwnd, 1, now);
	before = s.cwnd;
	cu->on_ack(&s, MSS, s.cwnd, 50000, now + 2000);
	MG_CHECK_EQ(s.cwnd, before);
}

int
main(void)
{
	test_reduction();
	test_cubic_curve();
	test_reno_friendly();
	test_fast_convergence();
	test_rto_and_slow_start();
	return mg_test_done("tcp_cc_cubic");
}
