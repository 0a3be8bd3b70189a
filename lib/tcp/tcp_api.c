/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The application's calls: active open (with this worker's local ports
 * and TIME-WAIT reuse), receive, send, shutdown, close, abort.
 */

#include <errno.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_tcp.h>

#include "tcp_private.h"

/*
 * A TIME-WAIT connection may give its 4-tuple to a new active open when
 * it used timestamps and our clock has moved on since it ended: the new
 * SYN's TSval is then newer than anything of the old one, and its ISN is
 * placed beyond the old sequence space (RFC 6191's conditions).
 */
static bool
tw_reusable(const struct mg_tcp_conn *tw, uint64_t now_us)
{
	uint64_t ended = tw->t_keep - (uint64_t)tw->stack->p.time_wait_ms * 1000;

	return (tw->flags & TF_TS) && tcp_now_ms(now_us) > tcp_now_ms(ended);
}

static int
pick_port(struct mg_tcp_stack *s, const struct mg_ip *la,
	  const struct mg_ip *ra, uint16_t rport, uint64_t now_us,
	  uint16_t *port, uint32_t *isn_floor)
{
	uint32_t range = (uint32_t)s->p.port_max - s->p.port_min + 1, i;
	struct mg_tcp_conn *tw = NULL;
	uint16_t tw_port = 0;

	*isn_floor = 0;
	for (i = 0; i < range; i++) {
		uint16_t p = (uint16_t)(s->p.port_min +
					(s->port_cursor + i) % range);
		struct mg_tcp_conn *c;

		if (p == 0 || p % s->p.n_workers != s->p.worker_index)
			continue;
		c = tcp_conn_lookup(s, la, p, ra, rport);
		if (c == NULL) {
			s->port_cursor = (uint16_t)((s->port_cursor + i + 1) % range);
			*port = p;
			return 0;
		}
		if (tw == NULL && c->state == MG_TCP_TIME_WAIT &&
		    tw_reusable(c, now_us)) {
			tw = c;
			tw_port = p;
		}
	}
	if (tw == NULL)
		return -EADDRNOTAVAIL;
	*isn_floor = tw->snd_max + 2 * 65536;
	if (*isn_floor == 0)
		*isn_floor = 1;
	tcp_conn_release(tw);
	*port = tw_port;
	return 0;
}

struct mg_tcp_conn *
mg_tcp_connect(struct mg_tcp_stack *s, const struct mg_ip *laddr,
	       const struct mg_ip *raddr, uint16_t rport,
	       const struct mg_tcp_conn_params *cp, mg_tcp_event_fn event,
	       void *user, uint64_t now_us)
{
	const struct mg_tcp_cc_ops *cc;
	struct mg_tcp_conn *c;
	uint32_t floor;
	uint16_t port;

	if (s == NULL || laddr == NULL || raddr == NULL || cp == NULL ||
	    event == NULL || rport == 0 || laddr->family != raddr->family ||
	    (laddr->family != AF_INET && laddr->family != AF_INET6)) {
		rte_errno = EINVAL;
		return NULL;
	}
	cc = tcp_cc_for(cp->cc);
	if (cc == NULL) {
		rte_errno = EINVAL;
		return NULL;
	}
	if (now_us > s->now_us)
		s->now_us = now_us;
	tcp_enter(s);
	if (pick_port(s, laddr, raddr, rport, now_us, &port, &floor) != 0) {
		tcp_count(s, MG_TCP_ERR_NO_LOCAL_PORT);
		rte_errno = EADDRNOTAVAIL;
		tcp_leave(s);
		return NULL;
	}
	c = tcp_conn_alloc(s);
	if (c == NULL) {
		tcp_count(s, MG_TCP_ERR_CONN_LIMIT);
		rte_errno = ENOBUFS;
		tcp_leave(s);
		return NULL;
	}
	c->laddr = *laddr;
	c->lport = port;
	c->raddr = *raddr;
	c->rport = rport;
	tcp_conn_setup(c, cp, cc);
	c->flags |= TF_ACTIVE;
	c->event = event;
	c->user = user;
	c->iss = tcp_new_isn(s, laddr, port, raddr, rport, now_us);
	if (floor != 0 && mg_seq_lt(c->iss, floor))
		c->iss = floor;
	c->snd_una = c->iss;
	c->snd_nxt = c->snd_max = c->iss + 1;
	c->recover = c->iss;
	c->last_rcv_us = now_us;
	tcp_set_state(c, MG_TCP_SYN_SENT);
	tcp_hash_insert(s, c);
	s->st.active_opens++;
	c->flags |= TF_RTT_TIMING;
	c->rtt_seq = c->iss;
	c->rtt_start_us = now_us;
	tcp_send_ctl(c, c->iss, RTE_TCP_SYN_FLAG, now_us);
	tcp_arm_rtx(c, now_us);
	tcp_leave(s);
	return c;
}

/* Split off the first @p n bytes of segment @p m as an indirect mbuf. */
static struct rte_mbuf *
split_seg(struct mg_tcp_stack *s, struct rte_mbuf *m, uint32_t n)
{
	struct rte_mbuf *mi = rte_pktmbuf_alloc(s->p.pool);

	if (mi == NULL)
		return NULL;
	rte_pktmbuf_attach(mi, m);
	mi->data_off = m->data_off;
	mi->data_len = (uint16_t)n;
	mi->pkt_len = n;
	m->data_off += n;
	m->data_len -= n;
	return mi;
}

uint32_t
mg_tcp_recv(struct mg_tcp_conn *c, struct rte_mbuf **out, uint32_t max,
	    bool *eof)
{
	struct mg_tcp_stack *s = c->stack;
	struct rte_mbuf *head = NULL, *tail = NULL, *m;
	uint32_t taken = 0, cur;
	uint16_t nb = 0;

	*out = NULL;
	while (taken < max && (m = c->rcv_head) != NULL) {
		if (m->data_len > max - taken) {
			struct rte_mbuf *mi = split_seg(s, m, max - taken);

			if (mi == NULL) {
				tcp_count(s, MG_TCP_ERR_NO_MBUF);
				break;
			}
			m = mi;
		} else {
			c->rcv_head = m->next;
			if (c->rcv_head == NULL)
				c->rcv_tail = NULL;
			m->next = NULL;
		}
		taken += m->data_len;
		if (m->data_len == 0) {
			rte_pktmbuf_free_seg(m);
			continue;
		}
		if (tail != NULL)
			tail->next = m;
		else
			head = m;
		tail = m;
		nb++;
	}
	if (head != NULL) {
		head->pkt_len = taken;
		head->nb_segs = nb;
	} else {
		taken = 0;
	}
	c->rcv_queued -= RTE_MIN(taken, c->rcv_queued);
	tcp_mem_add(s, -(int64_t)taken);
	*out = head;
	if (eof != NULL)
		*eof = (c->flags & TF_FIN_RCVD) && c->rcv_queued == 0;

	/* Window update when the offered window was nearly closed and
	 * reading opened it by at least the SWS threshold (RFC 9293
	 * 3.8.6.2.2): the peer may be waiting for it. Otherwise the next
	 * ACK carries it. */
	cur = mg_seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	if (taken > 0 && !(c->flags & (TF_FIN_RCVD | TF_DEAD)) &&
	    c->state >= MG_TCP_ESTABLISHED && c->state <= MG_TCP_FIN_WAIT_2 &&
	    cur < 4u * c->rmss &&
	    tcp_rcv_space(c) >= cur + RTE_MIN(c->rcv_buf / 2, (uint32_t)c->rmss)) {
		tcp_enter(s);
		tcp_send_ack(c, s->now_us);
		tcp_leave(s);
	}
	return taken;
}

uint32_t
mg_tcp_readable(const struct mg_tcp_conn *c)
{
	return c->rcv_queued;
}

static bool
can_send(const struct mg_tcp_conn *c)
{
	if (c->flags & (TF_FIN_QUEUED | TF_APP_CLOSED | TF_DEAD))
		return false;
	return c->state == MG_TCP_ESTABLISHED || c->state == MG_TCP_CLOSE_WAIT ||
	       c->state == MG_TCP_SYN_SENT || c->state == MG_TCP_SYN_RECEIVED;
}

uint32_t
mg_tcp_send_space(const struct mg_tcp_conn *c)
{
	if (!can_send(c) || c->snd_queued >= c->snd_buf)
		return 0;
	return c->snd_buf - c->snd_queued;
}

static void
kick(struct mg_tcp_conn *c, uint64_t now_us)
{
	struct mg_tcp_stack *s = c->stack;

	if (now_us > s->now_us)
		s->now_us = now_us;
	tcp_enter(s);
	tcp_output(c, now_us);
	tcp_tell(c);
	tcp_leave(s);
}

int
mg_tcp_send(struct mg_tcp_conn *c, struct rte_mbuf *m, uint64_t now_us)
{
	struct mg_tcp_stack *s = c->stack;
	uint32_t len = m->pkt_len;

	if (!can_send(c))
		return -EPIPE;
	if (len == 0) {
		rte_pktmbuf_free(m);
		return 0;
	}
	if (c->snd_queued + len > c->snd_buf) {
		c->flags |= TF_WANT_WRITE;
		return -EAGAIN;
	}
	if (s->st.memory + len > s->p.max_memory) {
		tcp_count(s, MG_TCP_ERR_MEMORY_LIMIT);
		c->flags |= TF_WANT_WRITE;
		return -EAGAIN;
	}
	if (c->snd_tail != NULL)
		c->snd_tail->next = m;
	else
		c->snd_head = m;
	c->snd_tail = rte_pktmbuf_lastseg(m);
	c->snd_queued += len;
	tcp_mem_add(s, len);
	/* A full buffer owes WRITABLE too: an application that sees
	 * mg_tcp_send_space() == 0 waits for it without trying to send. */
	if (c->snd_queued >= c->snd_buf)
		c->flags |= TF_WANT_WRITE;
	if (c->state >= MG_TCP_ESTABLISHED)
		kick(c, now_us);
	return 0;
}

int
mg_tcp_send_copy(struct mg_tcp_conn *c, const void *data, uint32_t len,
		 uint64_t now_us)
{
	struct mg_tcp_stack *s = c->stack;
	struct rte_mbuf *head = NULL, *tail = NULL;
	const uint8_t *src = data;
	uint32_t n, done = 0;

	if (!can_send(c))
		return -EPIPE;
	n = RTE_MIN(len, mg_tcp_send_space(c));
	if (s->st.memory + n > s->p.max_memory)
		n = s->st.memory >= s->p.max_memory ? 0 :
		    (uint32_t)(s->p.max_memory - s->st.memory);
	while (done < n) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(s->p.pool);
		uint32_t k;

		if (m == NULL) {
			tcp_count(s, MG_TCP_ERR_NO_MBUF);
			break;
		}
		k = RTE_MIN(n - done, (uint32_t)rte_pktmbuf_tailroom(m));
		memcpy(rte_pktmbuf_append(m, (uint16_t)k), src + done, k);
		done += k;
		if (tail != NULL) {
			tail->next = m;
			head->nb_segs++;
			head->pkt_len += k;
		} else {
			head = m;
		}
		tail = m;
	}
	if (done < len)
		c->flags |= TF_WANT_WRITE;
	if (head == NULL)
		return 0;
	if (mg_tcp_send(c, head, now_us) != 0) {
		rte_pktmbuf_free(head);
		return 0;
	}
	return (int)done;
}

int
mg_tcp_shutdown(struct mg_tcp_conn *c, uint64_t now_us)
{
	if (c->flags & TF_FIN_QUEUED)
		return 0;
	switch (c->state) {
	case MG_TCP_ESTABLISHED:
		tcp_set_state(c, MG_TCP_FIN_WAIT_1);
		break;
	case MG_TCP_CLOSE_WAIT:
		tcp_set_state(c, MG_TCP_LAST_ACK);
		break;
	default:
		return -ENOTCONN;
	}
	c->flags |= TF_FIN_QUEUED;
	kick(c, now_us);
	return 0;
}

void
mg_tcp_close(struct mg_tcp_conn *c, uint64_t now_us)
{
	struct mg_tcp_stack *s = c->stack;

	if (c->flags & (TF_DEAD | TF_CLOSED_TOLD))
		return;
	if (now_us > s->now_us)
		s->now_us = now_us;
	tcp_enter(s);
	c->flags |= TF_APP_CLOSED;
	c->ev &= TE_CLOSED;
	if (c->state < MG_TCP_ESTABLISHED) {
		tcp_conn_reset(c, MG_TCP_ERR_MAX, c->state == MG_TCP_SYN_RECEIVED,
			       now_us);
	} else if (c->rcv_queued > 0) {
		/* Unread data: the peer must learn it was not taken
		 * (RFC 2525 2.17), so abort rather than FIN. */
		tcp_conn_reset(c, MG_TCP_ERR_MAX, true, now_us);
	} else {
		if (!(c->flags & TF_FIN_QUEUED))
			mg_tcp_shutdown(c, now_us);
		if (c->state == MG_TCP_FIN_WAIT_2 && c->t_keep == 0) {
			c->t_keep = now_us + (uint64_t)s->p.time_wait_ms * 1000;
			tcp_timer_update(c);
		}
		tcp_tell(c);
	}
	tcp_leave(s);
}

void
mg_tcp_abort(struct mg_tcp_conn *c, uint64_t now_us)
{
	struct mg_tcp_stack *s = c->stack;

	if (c->flags & (TF_DEAD | TF_CLOSED_TOLD))
		return;
	if (now_us > s->now_us)
		s->now_us = now_us;
	tcp_enter(s);
	c->flags |= TF_APP_CLOSED;
	tcp_conn_reset(c, MG_TCP_ERR_MAX, c->state >= MG_TCP_SYN_RECEIVED,
		       now_us);
	tcp_leave(s);
}

void
mg_tcp_set_user(struct mg_tcp_conn *c, mg_tcp_event_fn event, void *user)
{
	if (event != NULL)
		c->event = event;
	c->user = user;
}

uint64_t
mg_tcp_now(const struct mg_tcp_conn *c)
{
	return c->stack->now_us;
}

enum mg_tcp_state
mg_tcp_conn_state(const struct mg_tcp_conn *c)
{
	return (enum mg_tcp_state)c->state;
}

void
mg_tcp_conn_addrs(const struct mg_tcp_conn *c, struct mg_ip *laddr,
		  uint16_t *lport, struct mg_ip *raddr, uint16_t *rport)
{
	if (laddr != NULL)
		*laddr = c->laddr;
	if (lport != NULL)
		*lport = c->lport;
	if (raddr != NULL)
		*raddr = c->raddr;
	if (rport != NULL)
		*rport = c->rport;
}
