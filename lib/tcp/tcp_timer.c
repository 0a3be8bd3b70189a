/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The per-stack timer wheel: 1 ms ticks hashed into 1024 slots, one node
 * per connection holding its earliest deadline. A connection keeps three
 * deadlines (retransmission or persist, delayed ACK, keep-alive or
 * TIME-WAIT / FIN-WAIT-2) and re-queues its node when the earliest moves,
 * so that the per-segment cost of a deadline pushed later is a compare.
 */

#include <string.h>

#include <rte_tcp.h>

#include "tcp_private.h"

void
tcp_wheel_init(struct tcp_wheel *w, uint64_t now_us)
{
	memset(w, 0, sizeof(*w));
	w->cur = now_us / TCP_TICK_US;
}

static void
node_unlink(struct tcp_tnode *n)
{
	if (n->pprev == NULL)
		return;
	*n->pprev = n->next;
	if (n->next != NULL)
		n->next->pprev = n->pprev;
	n->next = NULL;
	n->pprev = NULL;
}

static void
node_link(struct tcp_tnode **head, struct tcp_tnode *n)
{
	n->next = *head;
	if (*head != NULL)
		(*head)->pprev = &n->next;
	*head = n;
	n->pprev = head;
}

void
tcp_timer_cancel(struct mg_tcp_conn *c)
{
	if (c->tnode.pprev != NULL) {
		node_unlink(&c->tnode);
		c->stack->wheel.n--;
	}
}

void
tcp_timer_update(struct mg_tcp_conn *c)
{
	struct tcp_wheel *w = &c->stack->wheel;
	uint64_t d = UINT64_MAX, tick;

	if (c->t_rtx != 0)
		d = c->t_rtx;
	if (c->t_delack != 0 && c->t_delack < d)
		d = c->t_delack;
	if (c->t_keep != 0 && c->t_keep < d)
		d = c->t_keep;
	if (d == UINT64_MAX) {
		tcp_timer_cancel(c);
		return;
	}
	tick = (d + TCP_TICK_US - 1) / TCP_TICK_US;
	if (tick < w->cur)
		tick = w->cur;
	if (c->tnode.pprev != NULL) {
		if (c->tnode.expiry == tick)
			return;
		node_unlink(&c->tnode);
		w->n--;
	}
	c->tnode.expiry = tick;
	node_link(&w->slot[tick & (TCP_WHEEL_SLOTS - 1)], &c->tnode);
	w->n++;
}

static uint64_t
backoff(uint32_t base, uint8_t shift, uint32_t lo, uint32_t hi)
{
	uint64_t v = (uint64_t)RTE_MAX(base, lo) << RTE_MIN(shift, 20);

	return RTE_MIN(v, (uint64_t)hi);
}

void
tcp_arm_rtx(struct mg_tcp_conn *c, uint64_t now_us)
{
	c->flags &= ~TF_PERSIST;
	c->t_rtx = now_us + backoff(c->rto_us, c->rtx_shift, TCP_RTO_MIN_US,
				    TCP_RTO_MAX_US);
	tcp_timer_update(c);
}

void
tcp_arm_persist(struct mg_tcp_conn *c, uint64_t now_us)
{
	c->flags |= TF_PERSIST;
	c->t_rtx = now_us + backoff(c->rto_us, c->rtx_shift, TCP_PERSIST_MIN_US,
				    TCP_PERSIST_MAX_US);
	tcp_timer_update(c);
}

void
tcp_arm_keepalive(struct mg_tcp_conn *c, uint64_t now_us)
{
	if (c->ka_idle_s == 0 || c->t_keep != 0)
		return;
	c->t_keep = now_us + (uint64_t)c->ka_idle_s * 1000000;
	tcp_timer_update(c);
}

static void
keepalive_timeout(struct mg_tcp_conn *c, uint64_t now_us)
{
	uint64_t idle_us = (uint64_t)c->ka_idle_s * 1000000;
	uint64_t intvl_us = (uint64_t)c->ka_intvl_s * 1000000;

	if (c->ka_idle_s == 0 || c->state < MG_TCP_ESTABLISHED ||
	    c->state > MG_TCP_CLOSE_WAIT)
		return;
	/* Input clears ka_sent: any segment from the peer answers. */
	if (c->ka_sent == 0 && now_us < c->last_rcv_us + idle_us) {
		c->t_keep = c->last_rcv_us + idle_us;
		return;
	}
	if (c->ka_sent >= c->ka_probes) {
		tcp_conn_reset(c, MG_TCP_ERR_KEEPALIVE_TIMEOUT, true, now_us);
		return;
	}
	if (tcp_flight(c) == 0) {
		/* RFC 9293 3.8.4: an ACK one below SND.NXT draws an ACK. */
		tcp_send_ctl(c, c->snd_nxt - 1, RTE_TCP_ACK_FLAG, now_us);
		c->ka_sent++;
	}
	c->t_keep = now_us + intvl_us;
}

static void
conn_timeout(struct mg_tcp_conn *c, uint64_t now_us)
{
	if (c->t_delack != 0 && c->t_delack <= now_us) {
		c->t_delack = 0;
		if (c->flags & TF_DELACK)
			tcp_send_ack(c, now_us);
	}
	if (c->t_rtx != 0 && c->t_rtx <= now_us && !(c->flags & TF_DEAD)) {
		c->t_rtx = 0;
		if (c->flags & TF_PERSIST)
			tcp_persist_timeout(c, now_us);
		else
			tcp_rtx_timeout(c, now_us);
	}
	if (c->t_keep != 0 && c->t_keep <= now_us && !(c->flags & TF_DEAD)) {
		c->t_keep = 0;
		if (c->state == MG_TCP_TIME_WAIT)
			tcp_conn_release(c);
		else if (c->state == MG_TCP_FIN_WAIT_2 &&
			 (c->flags & TF_APP_CLOSED))
			tcp_conn_finish(c);
		else
			keepalive_timeout(c, now_us);
	}
	if (!(c->flags & TF_DEAD)) {
		tcp_timer_update(c);
		tcp_tell(c);
	}
}

void
tcp_timers_run(struct mg_tcp_stack *s, uint64_t now_us)
{
	struct tcp_wheel *w = &s->wheel;
	uint64_t target = now_us / TCP_TICK_US, n, i;

	if (w->cur > target)
		return;
	n = target - w->cur + 1;
	if (n > TCP_WHEEL_SLOTS)
		n = TCP_WHEEL_SLOTS;
	for (i = 0; i < n && w->n > 0; i++) {
		struct tcp_tnode **slot = &w->slot[(w->cur + i) & (TCP_WHEEL_SLOTS - 1)];
		struct tcp_tnode *pending = NULL, *nd;

		if (*slot == NULL)
			continue;
		/* Move the slot aside: callbacks may queue into it again. */
		pending = *slot;
		pending->pprev = &pending;
		*slot = NULL;
		while ((nd = pending) != NULL) {
			struct mg_tcp_conn *c = container_of(nd, struct mg_tcp_conn,
							     tnode);

			node_unlink(nd);
			if (nd->expiry > target) {
				node_link(slot, nd);
				continue;
			}
			w->n--;
			conn_timeout(c, now_us);
		}
	}
	w->cur = target + 1;
}

void
mg_tcp_timers(struct mg_tcp_stack *s, uint64_t now_us)
{
	if (now_us > s->now_us)
		s->now_us = now_us;
	tcp_enter(s);
	tcp_timers_run(s, now_us);
	tcp_leave(s);
}
