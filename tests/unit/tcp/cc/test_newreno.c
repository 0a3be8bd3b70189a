/* SPDX-License-Identifier: Apache-2.0 */
/* NewReno (RFC 5681, RFC 3465, RFC 6582) on scripted ACK streams. */

#include <string.h>

#include "mg_test.h"
#include "cc_test.h"

static const struct mg_tcp_cc_ops *nr = &mg_tcp_cc_newreno;

static void
test_find(void)
{
	MG_CHECK(mg_tcp_cc_find("newreno") == &mg_tcp_cc_newreno);
	MG_CHECK(mg_tcp_cc_find("cubic") == &mg_tcp_cc_cubic);
	MG_CHECK(mg_tcp_cc_find("reno") == NULL);
	MG_CHECK(mg_tcp_cc_find("") == NULL);
	MG_CHECK(mg_tcp_cc_find(NULL) == NULL);
}

static void
test_initial_window(void)
{
	struct mg_tcp_cc_state s;

	memset(&s, 0xa5, sizeof(s));
	nr->init(&s, MSS, 0);
	MG_CHECK_EQ(s.cwnd, 10 * MSS);
	MG_CHECK_EQ(s.mss, MSS);
	MG_CHECK(s.ssthresh > MG_TCP_CC_CWND_MAX);
	MG_CHECK(!s.in_recovery);
	MG_CHECK_EQ(s.bytes_acked, 0);
	/* RFC 6928: min(10*MSS, max(2*MSS, 14600)). */
	MG_CHECK_EQ(mg_tcp_cc_initial_window(536), 5360);
	MG_CHECK_EQ(mg_tcp_cc_initial_window(1460), 14600);
	MG_CHECK_EQ(mg_tcp_cc_initial_window(8960), 2 * 8960);
}

static void
test_slow_start(void)
{
	struct mg_tcp_cc_state s;
	uint64_t now = 0;
	int r;

	/* Every segment acknowledged: the window doubles each round trip. */
	nr->init(&s, MSS, now);
	for (r = 1; r <= 6; r++) {
		cc_round(nr, &s, &now, 50000, 1);
		MG_CHECK_EQ(s.cwnd, (10u << r) * MSS);
	}
	/* Delayed ACKs (2 segments each) double it too: N <= 2*SMSS. */
	nr->init(&s, MSS, now);
	for (r = 1; r <= 4; r++) {
		cc_round(nr, &s, &now, 50000, 2);
		MG_CHECK_EQ(s.cwnd, (10u << r) * MSS);
	}
	/* Stretch ACKs of 4 segments: at most 2 SMSS each (L = 2). */
	nr->init(&s, MSS, now);
	cc_round(nr, &s, &now, 50000, 4);
	MG_CHECK_EQ(s.cwnd, 14 * MSS);	/* ACKs of 4 and 6 segments */
}

static void
test_abc_limit(void)
{
	struct mg_tcp_cc_state s;

	nr->init(&s, MSS, 0);
	nr->on_ack(&s, 10 * MSS, 10 * MSS, 10000, 1);
	MG_CHECK_EQ(s.cwnd, 12 * MSS);
	nr->on_ack(&s, 100, 12 * MSS, 10000, 2);	/* a small ACK counts bytes */
	MG_CHECK_EQ(s.cwnd, 12 * MSS + 100);
	/* Slow start stops at ssthresh; the rest goes to CA counting. */
	nr->init(&s, MSS, 0);
	s.ssthresh = 11 * MSS;
	nr->on_ack(&s, 2 * MSS, 10 * MSS, 10000, 1);
	MG_CHECK_EQ(s.cwnd, 11 * MSS);
	MG_CHECK_EQ(s.bytes_acked, MSS);
	/* Application-limited: little in flight, no growth. */
	nr->init(&s, MSS, 0);
	nr->on_ack(&s, MSS, 4 * MSS, 10000, 1);
	MG_CHECK_EQ(s.cwnd, 10 * MSS);
	nr->on_ack(&s, MSS, 5 * MSS, 10000, 1);
	MG_CHECK_EQ(s.cwnd, 11 * MSS);
	nr->on_ack(&s, 0, 5 * MSS, 10000, 1);
	MG_CHECK_EQ(s.cwnd, 11 * MSS);
}

static void
test_congestion_avoidance(void)
{
	struct mg_tcp_cc_state s;
	uint64_t now = 0;
	int r;

	nr->init(&s, MSS, now);
	s.cwnd = 20 * MSS;
	s.ssthresh = 10 * MSS;
	for (r = 1; r <= 10; r++) {
		cc_round(nr, &s, &now, 50000, 1);
		MG_CHECK_EQ(s.cwnd, (20u + r) * MSS);
	}
	/* Delayed ACKs: still one SMSS per window acknowledged. */
	for (r = 1; r <= 10; r++) {
		uint32_t before = s.cwnd;

		cc_round(nr, &s, &now, 50000, 2);
		MG_CHECK(s.cwnd == before + MSS || s.cwnd == before);
	}
	MG_CHECK(s.cwnd >= 39 * MSS && s.cwnd <= 40 * MSS);
	/* A whole window in one ACK gives one SMSS, no credit left over. */
	s.cwnd = 20 * MSS;
	s.bytes_acked = 0;
	nr->on_ack(&s, 50 * MSS, 20 * MSS, 50000, now);
	MG_CHECK_EQ(s.cwnd, 21 * MSS);
	MG_CHECK(s.bytes_acked < s.cwnd);
}

static void
test_loss_and_recovery(void)
{
	struct mg_tcp_cc_state s;
	const uint32_t nxt = 0xfffff000u;	/* recover near the wrap */

	nr->init(&s, MSS, 0);
	s.cwnd = 30 * MSS;
	s.ssthresh = 10 * MSS;
	MG_CHECK(mg_tcp_cc_may_recover(&s, 12345));
	nr->on_loss(&s, 30 * MSS, nxt, 1000);
	MG_CHECK_EQ(s.ssthresh, 15 * MSS);
	MG_CHECK_EQ(s.cwnd, 15 * MSS);
	MG_CHECK(s.in_recovery);
	MG_CHECK_EQ(s.recover, nxt);
	/* No growth and no second reduction inside recovery. */
	nr->on_ack(&s, MSS, 15 * MSS, 50000, 2000);
	MG_CHECK_EQ(s.cwnd, 15 * MSS);
	MG_CHECK(!mg_tcp_cc_may_recover(&s, nxt + 100));
	MG_CHECK(!mg_tcp_cc_full_ack(&s, nxt - 1));
	MG_CHECK(mg_tcp_cc_full_ack(&s, nxt));
	MG_CHECK(mg_tcp_cc_full_ack(&s, nxt + 5000));	/* across the wrap */

	/* RFC 6582 without SACK: the core inflates and deflates. */
	s.cwnd = s.ssthresh + 3 * MSS;
	mg_tcp_cc_dupack(&s);
	MG_CHECK_EQ(s.cwnd, 19 * MSS);
	mg_tcp_cc_partial_ack(&s, 2 * MSS);
	MG_CHECK_EQ(s.cwnd, 18 * MSS);
	mg_tcp_cc_partial_ack(&s, 100);
	MG_CHECK_EQ(s.cwnd, 18 * MSS - 100);

	nr->on_recovery_end(&s, 3000);
	MG_CHECK_EQ(s.cwnd, 15 * MSS);
	MG_CHECK(!s.in_recovery);
	/* Dupacks below recover belong to the old window (RFC 6582 3.2). */
	MG_CHECK(!mg_tcp_cc_may_recover(&s, nxt - 1));
	MG_CHECK(mg_tcp_cc_may_recover(&s, nxt));
	MG_CHECK(mg_tcp_cc_may_recover(&s, nxt - 1)); /* forgotten once passed */
	/* CA resumes from ssthresh. */
	nr->on_ack(&s, MSS, 15 * MSS, 50000, 4000);
	MG_CHECK_EQ(s.cwnd, 15 * MSS);
	MG_CHECK_EQ(s.bytes_acked, MSS);

	/* Little in flight: ssthresh is still 2 SMSS. */
	nr->init(&s, MSS, 0);
	nr->on_loss(&s, MSS, 1000, 0);
	MG_CHECK_EQ(s.ssthresh, 2 * MSS);
	MG_CHECK_EQ(s.cwnd, 2 * MSS);
}

static void
test_rto(void)
{
	struct mg_tcp_cc_state s;
	uint64_t now = 0;

	nr->init(&s, MSS, 0);
	s.cwnd = 40 * MSS;
	s.ssthresh = 20 * MSS;
	nr->on_rto(&s, 40 * MSS, 100);
	MG_CHECK_EQ(s.cwnd, MSS);
	MG_CHECK_EQ(s.ssthresh, 20 * MSS);
	MG_CHECK(!s.in_recovery);
	mg_tcp_cc_set_recover(&s, 5000);
	MG_CHECK(!mg_tcp_cc_may_recover(&s, 4000));
	/* Slow start again from one segment. */
	nr->on_ack(&s, MSS, MSS, 50000, 200);
	MG_CHECK_EQ(s.cwnd, 2 * MSS);
	cc_round(nr, &s, &now, 50000, 1);
	MG_CHECK_EQ(s.cwnd, 4 * MSS);
	/* An RTO during recovery abandons it. */
	nr->on_loss(&s, 4 * MSS, 9000, 300);
	nr->on_rto(&s, 2 * MSS, 400);
	MG_CHECK(!s.in_recovery);
	MG_CHECK_EQ(s.ssthresh, 2 * MSS);
	MG_CHECK_EQ(s.cwnd, MSS);
}

int
main(void)
{
	test_find();
	test_initial_window();
	test_slow_start();
	test_abc_limit();
	test_congestion_avoidance();
	test_loss_and_recovery();
	test_rto();
	return mg_test_done("tcp_cc_newreno");
}
