/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A connection's life: taking one from the pool, its settings, state
 * changes (counted per state), telling the application, and its end.
 */

#include <errno.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_tcp.h>

#include "tcp_private.h"

const struct mg_tcp_cc_ops *
tcp_cc_for(const char *name)
{
	return mg_tcp_cc_find(name != NULL && name[0] != '\0' ? name : "newreno");
}

void
tcp_mem_add(struct mg_tcp_stack *s, int64_t bytes)
{
	s->st.memory += (uint64_t)bytes;
}

/*
 * At the connection limit the oldest TIME-WAIT connection makes room
 * (it has no owner and only guards against old duplicates).
 */
struct mg_tcp_conn *
tcp_conn_alloc(struct mg_tcp_stack *s)
{
	struct mg_tcp_conn *c;

	if (s->n_conns >= s->p.max_conns || s->free_conns == NULL) {
		c = TAILQ_FIRST(&s->tw);
		if (c == NULL)
			return NULL;
		tcp_conn_release(c);
		if (s->free_conns == NULL) {
			/* Released inside a callback: still on the dead list. */
			struct mg_tcp_conn **pp;

			for (pp = &s->dead; *pp != NULL; pp = &(*pp)->hnext)
				if (*pp == c) {
					*pp = c->hnext;
					break;
				}
			memset(c, 0, sizeof(*c));
			c->hnext = s->free_conns;
			s->free_conns = c;
		}
	}
	c = s->free_conns;
	s->free_conns = c->hnext;
	memset(c, 0, sizeof(*c));
	c->stack = s;
	c->state = MG_TCP_CLOSED;
	s->st.conns_by_state[MG_TCP_CLOSED]++;
	s->n_conns++;
	return c;
}

/* Settings from the caller's parameters; the addresses are already set. */
void
tcp_conn_setup(struct mg_tcp_conn *c, const struct mg_tcp_conn_params *cp,
	       const struct mg_tcp_cc_ops *cc)
{
	struct mg_tcp_stack *s = c->stack;
	uint32_t hdr = c->laddr.family == AF_INET6 ? 60 : 40;
	uint32_t mss = s->p.mtu - hdr;

	c->rcv_buf = cp->rcv_buf ? RTE_MIN(cp->rcv_buf, 1u << 30) : TCP_DEFAULT_BUF;
	c->snd_buf = cp->snd_buf ? RTE_MIN(cp->snd_buf, 1u << 30) : TCP_DEFAULT_BUF;
	if (cp->mss != 0 && cp->mss < mss)
		mss = RTE_MAX(cp->mss, 64);
	c->rmss = (uint16_t)mss;
	c->smss = c->laddr.family == AF_INET6 ? 1220 : 536;	/* until told */
	if (cp->nodelay)
		c->flags |= TF_NODELAY;
	if (cp->timestamps)
		c->flags |= TF_WANT_TS;
	if (cp->sack)
		c->flags |= TF_WANT_SACK;
	if (cp->window_scaling)
		c->flags |= TF_WANT_WS;
	c->delack_us = cp->delack_us ? RTE_MIN(cp->delack_us, 500000u) :
				       TCP_DEFAULT_DELACK_US;
	c->user_timeout_ms = cp->user_timeout_ms ? cp->user_timeout_ms :
						   TCP_DEFAULT_USER_TO_MS;
	c->ka_idle_s = cp->keepalive_idle_s;
	c->ka_intvl_s = cp->keepalive_intvl_s ? cp->keepalive_intvl_s : 75;
	c->ka_probes = (uint8_t)(cp->keepalive_probes ?
				 RTE_MIN(cp->keepalive_probes, 255u) : 9);
	c->cc = cc;
	c->rto_us = TCP_RTO_INIT_US;
	c->rcv_wscale = (c->flags & TF_WANT_WS) ? tcp_pick_wscale(c->rcv_buf) : 0;
	c->ts_offset = tcp_ts_offset(s, &c->laddr, c->lport, &c->raddr, c->rport);
}

void
tcp_set_state(struct mg_tcp_conn *c, uint8_t st)
{
	struct mg_tcp_stack *s = c->stack;

	if (c->state == st)
		return;
	s->st.conns_by_state[c->state]--;
	s->st.conns_by_state[st]++;
	if (c->state == MG_TCP_SYN_RECEIVED && (c->flags & TF_SYN_RCVD_CNT)) {
		c->listener->n_syn--;
		c->flags &= ~TF_SYN_RCVD_CNT;
	}
	c->state = st;
	if ((st == MG_TCP_TIME_WAIT || st == MG_TCP_CLOSED) && c->event != NULL &&
	    !(c->flags & TF_CLOSED_TOLD))
		c->ev |= TE_CLOSED;
}

static void
tcp_rcv_free(struct mg_tcp_conn *c)
{
	rte_pktmbuf_free(c->rcv_head);
	c->rcv_head = c->rcv_tail = NULL;
	tcp_mem_add(c->stack, -(int64_t)c->rcv_queued);
	c->rcv_queued = 0;
}

/* The send queue (not in TIME-WAIT, where its place holds tw_link),
 * the receive queue and the reassembly queue. */
void
tcp_queues_free(struct mg_tcp_conn *c)
{
	if (c->state != MG_TCP_TIME_WAIT) {
		rte_pktmbuf_free(c->snd_head);
		c->snd_head = c->snd_tail = NULL;
		tcp_mem_add(c->stack, -(int64_t)c->snd_queued);
		c->snd_queued = 0;
	}
	tcp_rcv_free(c);
	tcp_reass_free(c);
}

void
tcp_conn_release(struct mg_tcp_conn *c)
{
	struct mg_tcp_stack *s = c->stack;

	if (c->flags & TF_DEAD)
		return;
	tcp_timer_cancel(c);
	tcp_hash_remove(s, c);
	tcp_queues_free(c);
	if (c->state == MG_TCP_TIME_WAIT) {
		TAILQ_REMOVE(&s->tw, c, tw_link);
		c->snd_head = c->snd_tail = NULL;
	}
	if (c->sb != NULL) {
		tcp_sb_put(s, c->sb);
		c->sb = NULL;
	}
	if (c->flags & TF_SYN_RCVD_CNT)
		c->listener->n_syn--;
	s->st.conns_by_state[c->state]--;
	s->n_conns--;
	c->flags = TF_DEAD;
	c->ev = 0;
	c->event = NULL;
	c->hnext = s->dead;
	s->dead = c;
	if (s->depth == 0) {
		s->depth = 1;
		tcp_leave(s);
	}
}

/* The connection is over: tell RESET (unless the application closed it)
 * and CLOSED, then free it. */
void
tcp_conn_reset(struct mg_tcp_conn *c, enum mg_tcp_error why, bool send_rst,
	       uint64_t now_us)
{
	struct mg_tcp_stack *s = c->stack;

	if (c->flags & TF_DEAD)
		return;
	if (why < MG_TCP_ERR_MAX)
		tcp_count(s, why);
	if (send_rst && c->state != MG_TCP_TIME_WAIT)
		tcp_send_ctl(c, c->snd_nxt, RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG,
			     now_us);
	tcp_timer_cancel(c);
	c->t_rtx = c->t_delack = c->t_keep = 0;
	if (c->state == MG_TCP_TIME_WAIT) {
		TAILQ_REMOVE(&s->tw, c, tw_link);
		c->snd_head = c->snd_tail = NULL;
	}
	if (c->event != NULL && !(c->flags & TF_CLOSED_TOLD)) {
		if (!(c->flags & TF_APP_CLOSED))
			c->ev |= TE_RESET;
		c->ev &= ~(TE_OPEN | TE_WRITABLE);
	}
	tcp_set_state(c, MG_TCP_CLOSED);
	if (c->event == NULL || (c->flags & TF_CLOSED_TOLD))
		tcp_conn_release(c);
	else
		tcp_tell(c);
}

/* Orderly end in LAST-ACK (or FIN-WAIT-2 after close): CLOSED only. */
void
tcp_conn_finish(struct mg_tcp_conn *c)
{
	tcp_timer_cancel(c);
	c->t_rtx = c->t_delack = c->t_keep = 0;
	tcp_set_state(c, MG_TCP_CLOSED);
	if (c->event == NULL || (c->flags & TF_CLOSED_TOLD))
		tcp_conn_release(c);
	else
		tcp_tell(c);
}

void
tcp_enter_time_wait(struct mg_tcp_conn *c, uint64_t now_us)
{
	struct mg_tcp_stack *s = c->stack;

	/* Unread data stays until CLOSED is told: the callbacks before it
	 * may still read. */
	rte_pktmbuf_free(c->snd_head);
	c->snd_head = c->snd_tail = NULL;
	tcp_mem_add(s, -(int64_t)c->snd_queued);
	c->snd_queued = 0;
	tcp_reass_free(c);
	if (c->sb != NULL) {
		tcp_sb_put(s, c->sb);
		c->sb = NULL;
	}
	c->flags &= ~(TF_PERSIST | TF_DELACK);
	c->t_rtx = c->t_delack = 0;
	tcp_set_state(c, MG_TCP_TIME_WAIT);
	TAILQ_INSERT_TAIL(&s->tw, c, tw_link);
	c->t_keep = now_us + (uint64_t)s->p.time_wait_ms * 1000;
	tcp_timer_update(c);
}

static enum mg_tcp_event
te_event(struct mg_tcp_conn *c, uint8_t bit)
{
	switch (bit) {
	case TE_OPEN:
		return (c->flags & TF_ACTIVE) ? MG_TCP_EV_CONNECTED :
						MG_TCP_EV_ACCEPTED;
	case TE_READABLE:
		return MG_TCP_EV_READABLE;
	case TE_PEER_CLOSED:
		return MG_TCP_EV_PEER_CLOSED;
	case TE_WRITABLE:
		return MG_TCP_EV_WRITABLE;
	case TE_RESET:
		return MG_TCP_EV_RESET;
	default:
		return MG_TCP_EV_CLOSED;
	}
}

/* Tell the application what happened, in a fixed order. A callback may
 * call anything on the connection, this function included. */
void
tcp_tell(struct mg_tcp_conn *c)
{
	while (c->ev != 0 && !(c->flags & TF_DEAD) && c->event != NULL) {
		uint8_t bit;
		mg_tcp_event_fn fn = c->event;

		if (c->flags & TF_APP_CLOSED)
			c->ev &= TE_CLOSED;
		if (c->ev == 0)
			break;
		bit = c->ev & (uint8_t)-c->ev;
		c->ev &= ~bit;
		if (bit == TE_CLOSED) {
			c->ev = 0;
			c->flags |= TF_CLOSED_TOLD;
			fn(c, MG_TCP_EV_CLOSED, c->user);
			c->event = NULL;
			c->user = NULL;
			if (!(c->flags & TF_DEAD))
				tcp_rcv_free(c);
			if (c->state == MG_TCP_CLOSED)
				tcp_conn_release(c);
			return;
		}
		fn(c, te_event(c, bit), c->user);
	}
}

/* Drop @p n acknowledged bytes from the front of the send queue. */
void
tcp_snd_trim(struct mg_tcp_conn *c, uint32_t n)
{
	struct rte_mbuf *m;

	n = RTE_MIN(n, c->snd_queued);
	c->snd_queued -= n;
	tcp_mem_add(c->stack, -(int64_t)n);
	while (n > 0 && (m = c->snd_head) != NULL) {
		if (m->data_len > n) {
			m->data_off += n;
			m->data_len -= n;
			m->pkt_len = m->data_len;
			return;
		}
		n -= m->data_len;
		c->snd_head = m->next;
		m->next = NULL;
		m->nb_segs = 1;
		rte_pktmbuf_free_seg(m);
	}
	/* Empty segments left at the front are freed too. */
	while ((m = c->snd_head) != NULL && m->data_len == 0) {
		c->snd_head = m->next;
		m->next = NULL;
		m->nb_segs = 1;
		rte_pktmbuf_free_seg(m);
	}
	if (c->snd_head == NULL)
		c->snd_tail = NULL;
}

void
tcp_rcv_append(struct mg_tcp_conn *c, struct rte_mbuf *m, uint32_t len)
{
	struct rte_mbuf *last = rte_pktmbuf_lastseg(m);

	if (c->rcv_tail != NULL)
		c->rcv_tail->next = m;
	else
		c->rcv_head = m;
	c->rcv_tail = last;
	c->rcv_queued += len;
	tcp_mem_add(c->stack, len);
}
