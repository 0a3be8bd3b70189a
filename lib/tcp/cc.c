/* SPDX-License-Identifier: Apache-2.0 */
/* The congestion control algorithms by name, and what they share. */

#include <string.h>

#include "tcp_cc.h"

static const struct mg_tcp_cc_ops *const cc_algos[] = {
	&mg_tcp_cc_newreno,
	&mg_tcp_cc_cubic,
};

const struct mg_tcp_cc_ops *
mg_tcp_cc_find(const char *name)
{
	unsigned i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < sizeof(cc_algos) / sizeof(cc_algos[0]); i++)
		if (strcmp(cc_algos[i]->name, name) == 0)
			return cc_algos[i];
	return NULL;
}

uint32_t
mg_tcp_cc_initial_window(uint32_t mss)
{
	uint64_t iw = (uint64_t)mss * 2 > 14600 ? (uint64_t)mss * 2 : 14600;

	if (iw > (uint64_t)mss * 10)
		iw = (uint64_t)mss * 10;
	return iw > MG_TCP_CC_CWND_MAX ? MG_TCP_CC_CWND_MAX : (uint32_t)iw;
}

uint32_t
mg_tcp_cc_slow_start(struct mg_tcp_cc_state *s, uint32_t acked)
{
	/* RFC 3465: L = 2 bounds the burst a stretch ACK can release. */
	uint32_t inc = acked < 2 * s->mss ? acked : 2 * s->mss;
	uint32_t room = s->ssthresh > s->cwnd ? s->ssthresh - s->cwnd : 0;

	if (inc > room)
		inc = room;
	if (inc > MG_TCP_CC_CWND_MAX - s->cwnd)
		inc = MG_TCP_CC_CWND_MAX - s->cwnd;
	s->cwnd += inc;
	if (s->cwnd < s->ssthresh)
		return 0;
	return acked - (acked < inc ? acked : inc);
}
