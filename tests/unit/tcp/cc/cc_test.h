/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_TCP_CC_TEST_H
#define MG_TCP_CC_TEST_H

/* Driving an algorithm with ACK streams on a virtual clock. */

#include "tcp_cc.h"

#define MSS	1460u

/*
 * One round trip of a window-limited sender: the window in flight is
 * acknowledged by ACKs of @p seg_per_ack segments, spread evenly over
 * @p rtt_us. Returns the number of ACKs.
 */
static inline unsigned
cc_round(const struct mg_tcp_cc_ops *ops, struct mg_tcp_cc_state *s,
	 uint64_t *now, uint32_t rtt_us, unsigned seg_per_ack)
{
	uint32_t flight = s->cwnd, left = s->cwnd;
	unsigned n = s->cwnd / (MSS * seg_per_ack), i;

	if (n == 0)
		n = 1;
	for (i = 0; i < n; i++) {
		uint32_t acked = i + 1 == n ? left : MSS * seg_per_ack;

		*now += rtt_us / n;
		ops->on_ack(s, acked, flight, rtt_us, *now);
		left -= acked;
	}
	return n;
}

#endif /* MG_TCP_CC_TEST_H */
