/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Segment arrival (RFC 9293 3.10.7): listeners and SYN cookies, SYN-SENT,
 * then the synchronized states in the RFC's order of checks, with PAWS
 * (RFC 7323), the RFC 5961 protections, ACK processing with RTT samples
 * (RFC 6298), fast retransmit and recovery (RFC 5681/6582, RFC 6675 with
 * the SACK scoreboard), data, reassembly and FIN.
 */

#include <errno.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_tcp.h>

#include "mg_net.h"
#include "tcp_private.h"

struct seg {
	uint32_t seq, ack, len, wnd;
	uint8_t flags;
	struct rte_mbuf *m;		/* payload only; NULL when len == 0 */
	struct mg_tcp_opts o;
};

#define SEG_HAS(sg, f)	(((sg)->flags & RTE_TCP_##f##_FLAG) != 0)

uint8_t
tcp_pick_wscale(uint32_t rcv_buf)
{
	uint8_t ws = 0;

	while (ws < TCP_MAX_WSCALE && (65535u << ws) < rcv_buf)
		ws++;
	return ws;
}

/*
 * The TCP checksum over the IP header's length (l4_len: never pkt_len,
 * which counts Ethernet padding), with the pseudo-header of the family.
 * Not rte_raw_cksum_mbuf(): DPDK 22.11's truncates a segment's 32-bit
 * partial sum to 16 bits before swapping it when the segment starts at an
 * odd offset, so chains split at odd lengths fail good segments.
 */
static bool
tcp_csum_ok(const struct rte_mbuf *m, const struct mg_pkt *p)
{
	uint32_t sum = 0, off = p->l4_off, left = p->l4_len, done = 0;
	const struct rte_mbuf *seg = m;
	unsigned i;

	if (p->src.family == AF_INET) {
		sum = (p->src.v4 & 0xffff) + (p->src.v4 >> 16) +
		      (p->dst.v4 & 0xffff) + (p->dst.v4 >> 16);
	} else {
		for (i = 0; i < 4; i++)
			sum += (p->src.v6w[i] & 0xffff) + (p->src.v6w[i] >> 16) +
			       (p->dst.v6w[i] & 0xffff) + (p->dst.v6w[i] >> 16);
	}
	/* The length is 16 bits in IPv4's pseudo-header and 32 in IPv6's;
	 * the upper half is zero either way. */
	sum += rte_cpu_to_be_16(p->l4_len) + rte_cpu_to_be_16(IPPROTO_TCP);
	while (seg != NULL && off >= seg->data_len) {
		off -= seg->data_len;
		seg = seg->next;
	}
	while (left > 0 && seg != NULL) {
		uint32_t n = RTE_MIN(left, (uint32_t)seg->data_len - off);
		uint16_t part = __rte_raw_cksum_reduce(__rte_raw_cksum(
			rte_pktmbuf_mtod_offset(seg, const void *, off), n, 0));

		/* A piece at an odd offset has its bytes in swapped lanes. */
		sum += (done & 1) ? rte_bswap16(part) : part;
		done += n;
		left -= n;
		off = 0;
		seg = seg->next;
	}
	if (left > 0)
		return false;		/* shorter than the IP header says */
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

static void
seg_free(struct seg *sg)
{
	rte_pktmbuf_free(sg->m);
	sg->m = NULL;
}

/* MSS, SACK-permitted, timestamps and window scale from the peer's SYN. */
static void
negotiate(struct mg_tcp_conn *c, const struct mg_tcp_opts *o, uint64_t now_us)
{
	uint32_t lim = c->stack->p.mtu - (c->laddr.family == AF_INET6 ? 60 : 40);

	if (o->has_mss)
		c->smss = (uint16_t)RTE_MAX(RTE_MIN((uint32_t)o->mss, lim), 64u);
	else
		c->smss = c->laddr.family == AF_INET6 ? 1220 : 536;
	if ((c->flags & TF_WANT_TS) && o->has_ts) {
		c->flags |= TF_TS;
		c->ts_recent = o->ts_val;
		c->ts_recent_ms = tcp_now_ms(now_us);
	}
	if ((c->flags & TF_WANT_SACK) && o->sack_permitted)
		c->flags |= TF_SACK;
	if ((c->flags & TF_WANT_WS) && o->has_wscale) {
		c->snd_wscale = RTE_MIN(o->wscale, TCP_MAX_WSCALE);
	} else {
		c->flags &= ~TF_WANT_WS;
		c->snd_wscale = 0;
		c->rcv_wscale = 0;
	}
}

static void
rtt_sample(struct mg_tcp_conn *c, uint32_t r)
{
	uint64_t rto;

	if (r == 0)
		r = 1;
	if (c->srtt_us == 0) {
		c->srtt_us = r;
		c->rttvar_us = r / 2;
	} else {
		uint32_t d = c->srtt_us > r ? c->srtt_us - r : r - c->srtt_us;

		c->rttvar_us = (3 * c->rttvar_us + d) / 4;
		c->srtt_us = (7 * (uint64_t)c->srtt_us + r) / 8;
	}
	rto = c->srtt_us + RTE_MAX(1000u, 4 * c->rttvar_us);
	c->rto_us = (uint32_t)RTE_MIN(RTE_MAX(rto, (uint64_t)TCP_RTO_MIN_US),
				      (uint64_t)TCP_RTO_MAX_US);
	c->rtx_shift = 0;
}

static void
established(struct mg_tcp_conn *c, uint64_t now_us)
{
	struct mg_tcp_stack *s = c->stack;

	tcp_set_state(c, MG_TCP_ESTABLISHED);
	c->cc->init(&c->ccs, tcp_eff_mss(c), now_us);
	c->recover = c->snd_una;
	c->t_rtx = 0;
	c->rtx_shift = 0;
	if (c->flags & TF_ACTIVE) {
		c->ev |= TE_OPEN;
	} else {
		struct mg_tcp_listener *l = c->listener;

		s->st.passive_opens++;
		c->event = l->event;
		c->user = l->user;
		c->ev |= TE_OPEN;
	}
	tcp_arm_keepalive(c, now_us);
	tcp_timer_update(c);
}

/* A connection for a listener, in SYN-RECEIVED or (cookie) ESTABLISHED. */
static struct mg_tcp_conn *
conn_for_listener(struct mg_tcp_stack *s, struct mg_tcp_listener *l,
		  const struct mg_pkt *p)
{
	struct mg_tcp_conn *c = tcp_conn_alloc(s);

	if (c == NULL) {
		tcp_count(s, MG_TCP_ERR_CONN_LIMIT);
		return NULL;
	}
	c->laddr = p->dst;
	c->lport = p->dport;
	c->raddr = p->src;
	c->rport = p->sport;
	tcp_conn_setup(c, &l->cp, l->cc);
	c->listener = l;
	tcp_hash_insert(s, c);
	return c;
}

static void
syn_cookie_reply(struct mg_tcp_stack *s, struct mg_tcp_listener *l,
		 const struct seg *sg, const struct mg_pkt *p, uint64_t now_us)
{
	struct mg_tcp_cookie_params cp = {
		.mss = sg->o.has_mss ? sg->o.mss : 536,
		.wscale = (l->cp.window_scaling && sg->o.has_wscale) ?
			  RTE_MIN(sg->o.wscale, TCP_MAX_WSCALE) : 0xf,
		.sack_permitted = l->cp.sack && sg->o.sack_permitted,
		.timestamps = l->cp.timestamps && sg->o.has_ts,
	};
	uint32_t hdr = p->dst.family == AF_INET6 ? 60 : 40;
	uint32_t rmss = s->p.mtu - hdr, rcv_buf, tsval, isn;
	struct mg_tcp_opts o;

	if (l->cp.mss != 0 && l->cp.mss < rmss)
		rmss = RTE_MAX(l->cp.mss, 64);
	rcv_buf = l->cp.rcv_buf ? l->cp.rcv_buf : TCP_DEFAULT_BUF;
	tsval = tcp_now_ms(now_us) +
		tcp_ts_offset(s, &p->dst, p->dport, &p->src, p->sport);
	isn = mg_tcp_cookie_make(&s->ckey, &p->src, p->sport, &p->dst, p->dport,
				 sg->seq, (uint32_t)(now_us / 1000000), &cp,
				 &tsval);
	memset(&o, 0, sizeof(o));
	o.has_mss = 1;
	o.mss = (uint16_t)rmss;
	o.sack_permitted = cp.sack_permitted;
	if (cp.timestamps) {
		o.has_ts = 1;
		o.ts_val = tsval;
		o.ts_ecr = sg->o.ts_val;
	}
	if (cp.wscale != 0xf) {
		o.has_wscale = 1;
		o.wscale = tcp_pick_wscale(rcv_buf);
	}
	l->last_cookie_us = now_us ? now_us : 1;
	tcp_count(s, MG_TCP_ERR_SYNCOOKIE_SENT);
	tcp_send_cookie_synack(s, p, isn, sg->seq, &o,
			       (uint16_t)RTE_MIN(rcv_buf, 65535u));
}

/* The ACK of a cookie SYN-ACK: rebuild the connection. */
static struct mg_tcp_conn *
syn_cookie_accept(struct mg_tcp_stack *s, struct mg_tcp_listener *l,
		  const struct seg *sg, const struct mg_pkt *p, uint64_t now_us)
{
	struct mg_tcp_cookie_params cp;
	struct mg_tcp_conn *c;
	uint32_t lim, tsnow;

	if (mg_tcp_cookie_check(&s->ckey, &p->src, p->sport, &p->dst, p->dport,
				sg->ack, sg->seq, sg->o.has_ts, sg->o.ts_ecr,
				(uint32_t)(now_us / 1000000), &cp) != 0) {
		tcp_count(s, MG_TCP_ERR_SYNCOOKIE_BAD);
		return NULL;
	}
	c = conn_for_listener(s, l, p);
	if (c == NULL)
		return NULL;
	tcp_count(s, MG_TCP_ERR_SYNCOOKIE_OK);
	c->flags |= TF_COOKIE;
	c->irs = sg->seq - 1;
	c->rcv_nxt = sg->seq;
	c->rcv_adv = sg->seq + RTE_MIN(c->rcv_buf, 65535u);
	c->iss = sg->ack - 1;
	c->snd_una = c->snd_nxt = c->snd_max = sg->ack;
	lim = s->p.mtu - (c->laddr.family == AF_INET6 ? 60 : 40);
	c->smss = (uint16_t)RTE_MAX(RTE_MIN((uint32_t)cp.mss, lim), 64u);
	if (cp.sack_permitted && (c->flags & TF_WANT_SACK))
		c->flags |= TF_SACK;
	if (cp.timestamps && sg->o.has_ts && (c->flags & TF_WANT_TS)) {
		c->flags |= TF_TS;
		c->ts_recent = sg->o.ts_val;
		c->ts_recent_ms = tcp_now_ms(now_us);
		/* Our TSvals go on from the one the cookie carried. */
		tsnow = tcp_tsval(c, now_us);
		if (mg_seq_lt(tsnow, sg->o.ts_ecr))
			c->ts_offset += sg->o.ts_ecr - tsnow;
	}
	if (cp.wscale != 0xf && (c->flags & TF_WANT_WS)) {
		c->snd_wscale = RTE_MIN(cp.wscale, TCP_MAX_WSCALE);
	} else {
		c->flags &= ~TF_WANT_WS;
		c->snd_wscale = c->rcv_wscale = 0;
	}
	c->snd_wnd = sg->wnd << c->snd_wscale;
	c->max_snd_wnd = c->snd_wnd;
	c->snd_wl1 = sg->seq;
	c->snd_wl2 = sg->ack;
	c->last_ack_sent = c->rcv_nxt;
	established(c, now_us);
	return c;
}

static int conn_input(struct mg_tcp_conn *c, struct seg *sg,
		      const struct mg_pkt *p, uint64_t now_us);

static int
listen_input(struct mg_tcp_stack *s, struct mg_tcp_listener *l, struct seg *sg,
	     const struct mg_pkt *p, uint32_t isn_floor, uint64_t now_us)
{
	struct mg_tcp_conn *c;

	if (SEG_HAS(sg, RST)) {
		seg_free(sg);
		return 0;
	}
	if (SEG_HAS(sg, ACK)) {
		if (!SEG_HAS(sg, SYN) && l->last_cookie_us != 0 &&
		    now_us - l->last_cookie_us < TCP_COOKIE_PERIOD_US) {
			c = syn_cookie_accept(s, l, sg, p, now_us);
			if (c != NULL)
				return conn_input(c, sg, p, now_us);
			tcp_send_reset_for(s, p, sg->seq, sg->ack, sg->len, true);
			seg_free(sg);
			return MG_TCP_ERR_SYNCOOKIE_BAD;
		}
		tcp_count(s, MG_TCP_ERR_NO_CONNECTION);
		tcp_send_reset_for(s, p, sg->seq, sg->ack, sg->len, true);
		seg_free(sg);
		return MG_TCP_ERR_NO_CONNECTION;
	}
	seg_free(sg);		/* data on a SYN: the peer sends it again */
	if (!SEG_HAS(sg, SYN))
		return 0;
	if (s->n_conns >= s->p.max_conns && TAILQ_EMPTY(&s->tw)) {
		tcp_count(s, MG_TCP_ERR_CONN_LIMIT);
		tcp_send_reset_for(s, p, sg->seq, 0, 1, false);
		return MG_TCP_ERR_CONN_LIMIT;
	}
	if (l->syncookie_threshold > 0 && l->n_syn >= l->syncookie_threshold) {
		syn_cookie_reply(s, l, sg, p, now_us);
		return 0;
	}
	if (l->n_syn >= l->syn_backlog) {
		tcp_count(s, MG_TCP_ERR_SYN_BACKLOG_FULL);
		return MG_TCP_ERR_SYN_BACKLOG_FULL;
	}
	c = conn_for_listener(s, l, p);
	if (c == NULL)
		return MG_TCP_ERR_CONN_LIMIT;
	tcp_set_state(c, MG_TCP_SYN_RECEIVED);
	c->flags |= TF_SYN_RCVD_CNT;
	l->n_syn++;
	negotiate(c, &sg->o, now_us);
	c->irs = sg->seq;
	c->rcv_nxt = sg->seq + 1;
	/* The right edge starts at rcv_nxt, not at 0: it only ever moves
	 * forward by sequence comparison, and from 0 it never would when
	 * rcv_nxt is in the other half of the space; the window then
	 * looked 2 GB wide (everything accepted, 65535 << wscale offered
	 * whatever the buffer held). */
	c->rcv_adv = c->rcv_nxt;
	c->iss = tcp_new_isn(s, &c->laddr, c->lport, &c->raddr, c->rport, now_us);
	if (isn_floor != 0 && mg_seq_lt(c->iss, isn_floor))
		c->iss = isn_floor;
	c->snd_una = c->iss;
	c->snd_nxt = c->snd_max = c->iss + 1;
	c->snd_wnd = sg->wnd;		/* never scaled on a SYN */
	c->max_snd_wnd = c->snd_wnd;
	c->snd_wl1 = sg->seq;
	c->snd_wl2 = c->iss;
	c->last_rcv_us = now_us;
	tcp_send_ctl(c, c->iss, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, now_us);
	tcp_arm_rtx(c, now_us);
	return 0;
}

static void
enter_recovery(struct mg_tcp_conn *c, uint64_t now_us)
{
	uint32_t mss = tcp_eff_mss(c);
	uint32_t len = RTE_MIN(mss, c->snd_queued);
	int n;

	c->flags |= TF_RECOVERY;
	c->flags &= ~(TF_RTT_TIMING | TF_PARTIAL_ACK);
	c->recover = c->snd_max;
	c->cc->on_loss(&c->ccs, c->snd_max - c->snd_una, c->snd_max, now_us);
	if (c->sb != NULL) {
		mg_tcp_sb_enter_recovery(c->sb, c->snd_una, c->snd_max);
	} else {
		/* RFC 6582: inflate by the three segments that left. */
		mg_tcp_cc_dupack(&c->ccs);
		mg_tcp_cc_dupack(&c->ccs);
		mg_tcp_cc_dupack(&c->ccs);
	}
	/* RFC 6675 step 4 / RFC 5681 3.2: the first segment at once. */
	if (len > 0) {
		n = tcp_send_data(c, c->snd_una, len, 0, now_us);
		if (n > 0 && c->sb != NULL)
			mg_tcp_sb_sent(c->sb, c->snd_una, (uint32_t)n);
	} else if (c->flags & TF_FIN_SENT) {
		tcp_send_ctl(c, c->snd_una, RTE_TCP_FIN_FLAG, now_us);
	}
	tcp_arm_rtx(c, now_us);
}

/* RFC 9293 3.10.7.4 fifth check, with RFC 5961 5.2. @return false when
 * the segment must be dropped. */
static bool
ack_input(struct mg_tcp_conn *c, struct seg *sg, uint64_t now_us)
{
	struct mg_tcp_stack *s = c->stack;
	uint32_t wnd = sg->wnd << c->snd_wscale, mss = tcp_eff_mss(c);
	uint32_t old_wnd = c->snd_wnd, newly_sacked = 0;

	if (mg_seq_gt(sg->ack, c->snd_max) ||
	    mg_seq_lt(sg->ack, c->snd_una - c->max_snd_wnd)) {
		tcp_count(s, MG_TCP_ERR_BAD_ACK);
		tcp_send_challenge_ack(c, now_us);
		return false;
	}
	/* RFC 9293 3.10.7.4, TIME-WAIT: nothing of ours is outstanding, and
	 * the send queue's place holds tw_link; only the peer's FIN, sent
	 * again, can come, and data_input() acknowledges it. */
	if (c->state == MG_TCP_TIME_WAIT)
		return true;
	/* Window update (RFC 9293 3.10.7.4). */
	if (mg_seq_lt(c->snd_wl1, sg->seq) ||
	    (c->snd_wl1 == sg->seq && mg_seq_leq(c->snd_wl2, sg->ack))) {
		c->snd_wnd = wnd;
		c->snd_wl1 = sg->seq;
		c->snd_wl2 = sg->ack;
		if (wnd > c->max_snd_wnd)
			c->max_snd_wnd = wnd;
		if (wnd > 0 && (c->flags & TF_PERSIST)) {
			c->flags &= ~TF_PERSIST;
			c->t_rtx = 0;
			c->rtx_shift = 0;
		}
	}
	if ((c->flags & TF_SACK) && sg->o.n_sack > 0 &&
	    c->snd_max != c->snd_una) {
		if (c->sb == NULL && !(c->flags & TF_RECOVERY) &&
		    (c->sb = tcp_sb_get(s)) != NULL)
			mg_tcp_sb_reset(c->sb, c->snd_una);
		if (c->sb != NULL)
			newly_sacked = mg_tcp_sb_update(c->sb,
				mg_seq_max(sg->ack, c->snd_una), c->snd_max,
				sg->o.sack, sg->o.n_sack);
	}
	if (mg_seq_gt(sg->ack, c->snd_una)) {
		uint32_t acked = sg->ack - c->snd_una;
		uint32_t data = RTE_MIN(acked, c->snd_queued);
		bool fin_acked = (c->flags & TF_FIN_SENT) && acked > c->snd_queued;
		uint32_t flight = tcp_flight(c);

		if ((c->flags & TF_TS) && sg->o.has_ts && sg->o.ts_ecr != 0) {
			uint32_t ms = tcp_tsval(c, now_us) - sg->o.ts_ecr;

			if (ms < 60000)
				rtt_sample(c, ms * 1000);
		} else if ((c->flags & TF_RTT_TIMING) &&
			   mg_seq_gt(sg->ack, c->rtt_seq)) {
			c->flags &= ~TF_RTT_TIMING;
			rtt_sample(c, (uint32_t)RTE_MIN(now_us - c->rtt_start_us,
							(uint64_t)TCP_RTO_MAX_US));
		}
		tcp_snd_trim(c, data);
		c->snd_una = sg->ack;
		if (mg_seq_lt(c->snd_nxt, c->snd_una))
			c->snd_nxt = c->snd_una;
		c->rtx_first_us = 0;
		if (c->flags & TF_RECOVERY) {
			if (mg_tcp_cc_full_ack(&c->ccs, sg->ack)) {
				c->flags &= ~TF_RECOVERY;
				c->dupacks = 0;
				c->cc->on_recovery_end(&c->ccs, now_us);
			} else if (c->sb == NULL) {
				/* RFC 6582 partial ACK: resend the next hole. */
				uint32_t len = RTE_MIN(mss, c->snd_queued);

				mg_tcp_cc_partial_ack(&c->ccs, acked);
				if (len > 0)
					tcp_send_data(c, c->snd_una, len, 0, now_us);
			}
		} else {
			c->dupacks = 0;
			c->cc->on_ack(&c->ccs, data, flight, c->srtt_us, now_us);
		}
		if (c->snd_una == c->snd_max) {
			if (!(c->flags & TF_PERSIST))
				c->t_rtx = 0;
			if (c->sb != NULL && !(c->flags & TF_RECOVERY)) {
				tcp_sb_put(s, c->sb);
				c->sb = NULL;
			}
		} else if (!(c->flags & TF_PERSIST) &&
			   ((c->flags & (TF_RECOVERY | TF_PARTIAL_ACK)) !=
			    (TF_RECOVERY | TF_PARTIAL_ACK) || c->sb != NULL)) {
			/* RFC 6582 3.2 (5), "Impatient": without SACK only
			 * the first partial ACK restarts the timer. */
			if ((c->flags & TF_RECOVERY) && c->sb == NULL)
				c->flags |= TF_PARTIAL_ACK;
			tcp_arm_rtx(c, now_us);
		}
		if ((c->flags & TF_WANT_WRITE) &&
		    c->snd_buf - RTE_MIN(c->snd_buf, c->snd_queued) >=
		    RTE_MAX(c->snd_buf / 4, 1u)) {
			c->flags &= ~TF_WANT_WRITE;
			c->ev |= TE_WRITABLE;
		}
		if (fin_acked) {
			switch (c->state) {
			case MG_TCP_FIN_WAIT_1:
				tcp_set_state(c, MG_TCP_FIN_WAIT_2);
				if (c->flags & TF_APP_CLOSED) {
					c->t_keep = now_us +
						(uint64_t)s->p.time_wait_ms * 1000;
					tcp_timer_update(c);
				}
				break;
			case MG_TCP_CLOSING:
				tcp_enter_time_wait(c, now_us);
				break;
			case MG_TCP_LAST_ACK:
				tcp_conn_finish(c);
				return false;
			default:
				break;
			}
		}
	} else if (sg->ack == c->snd_una && c->snd_max != c->snd_una &&
		   ((sg->len == 0 && !SEG_HAS(sg, FIN) && wnd == old_wnd) ||
		    newly_sacked > 0)) {
		if (c->dupacks < 255)
			c->dupacks++;
		if (c->flags & TF_RECOVERY) {
			if (c->sb == NULL)
				mg_tcp_cc_dupack(&c->ccs);
		} else if ((c->dupacks >= MG_TCP_DUPTHRESH ||
			    (c->sb != NULL &&
			     mg_tcp_sb_is_lost(c->sb, c->snd_una, mss))) &&
			   mg_tcp_cc_may_recover(&c->ccs, sg->ack)) {
			enter_recovery(c, now_us);
		}
	}
	return true;
}

static void
fin_input(struct mg_tcp_conn *c, uint64_t now_us)
{
	c->rcv_nxt++;
	c->flags |= TF_FIN_RCVD | TF_ACK_NOW;
	c->flags &= ~TF_FIN_OOO;
	c->ev |= TE_READABLE | TE_PEER_CLOSED;
	switch (c->state) {
	case MG_TCP_SYN_RECEIVED:
	case MG_TCP_ESTABLISHED:
		tcp_set_state(c, MG_TCP_CLOSE_WAIT);
		break;
	case MG_TCP_FIN_WAIT_1:
		tcp_set_state(c, MG_TCP_CLOSING);
		break;
	case MG_TCP_FIN_WAIT_2:
		tcp_enter_time_wait(c, now_us);	/* the ACK goes from output */
		break;
	default:
		break;
	}
}

/* Segment text and FIN (sixth to eighth checks). */
static void
data_input(struct mg_tcp_conn *c, struct seg *sg, uint64_t now_us)
{
	struct mg_tcp_stack *s = c->stack;
	uint32_t seq = sg->seq, len = sg->len, right;
	bool fin = SEG_HAS(sg, FIN);

	if (c->state == MG_TCP_CLOSE_WAIT || c->state == MG_TCP_CLOSING ||
	    c->state == MG_TCP_LAST_ACK || c->state == MG_TCP_TIME_WAIT ||
	    (c->flags & TF_FIN_RCVD)) {
		if (len > 0 || fin)
			c->flags |= TF_ACK_NOW;
		seg_free(sg);
		return;
	}
	if ((c->flags & TF_APP_CLOSED) && len > 0) {
		/* RFC 9293 3.6.1 / RFC 1122 4.2.2.13: nobody will read it. */
		seg_free(sg);
		tcp_conn_reset(c, MG_TCP_ERR_DATA_AFTER_CLOSE, true, now_us);
		return;
	}
	if (mg_seq_lt(seq, c->rcv_nxt)) {
		uint32_t cut = c->rcv_nxt - seq;

		if (cut >= len) {
			seg_free(sg);
			len = 0;
			if (fin && seq + sg->len != c->rcv_nxt)
				fin = false;
			c->flags |= TF_ACK_NOW;
		} else {
			sg->m = tcp_mbuf_cut_front(sg->m, cut);
			len -= cut;
		}
		seq = c->rcv_nxt;
	}
	right = mg_seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv : c->rcv_nxt;
	if (len > 0 && mg_seq_gt(seq + len, right)) {
		uint32_t over = seq + len - right;

		fin = false;
		c->flags |= TF_ACK_NOW;
		if (over >= len) {
			seg_free(sg);
			len = 0;
		} else {
			tcp_mbuf_cut_back(sg->m, over);
			len -= over;
		}
	}
	if (len > 0 && s->st.memory + len > s->p.max_memory) {
		tcp_count(s, MG_TCP_ERR_MEMORY_LIMIT);
		seg_free(sg);
		c->flags |= TF_ACK_NOW;
		return;
	}
	/* The segment at rcv_nxt is never refused for what waits beyond
	 * it: it is the one that lets the queue drain (refusing it would
	 * stall the connection for good once the reassembly queue is full). */
	if (len > 0 && c->rcv_queued + len +
		       (seq == c->rcv_nxt ? 0 : c->reass_bytes) >
		       c->rcv_buf + ((uint32_t)c->rmss << 1)) {
		tcp_count(s, MG_TCP_ERR_RCV_QUEUE_FULL);
		seg_free(sg);
		c->flags |= TF_ACK_NOW;
		return;
	}
	if (seq == c->rcv_nxt) {
		if (len > 0) {
			tcp_rcv_append(c, sg->m, len);
			sg->m = NULL;
			c->rcv_nxt += len;
			s->st.bytes_in += len;
			c->ev |= TE_READABLE;
			if (c->reass != NULL) {
				s->st.bytes_in += tcp_reass_pull(c);
				c->flags |= TF_ACK_NOW;
			}
			if (++c->segs_unacked >= 2)
				c->flags |= TF_ACK_NOW;
			else
				c->flags |= TF_DELACK;
		}
		if (fin || ((c->flags & TF_FIN_OOO) && c->fin_seq == c->rcv_nxt))
			fin_input(c, now_us);
	} else {
		if (len > 0) {
			tcp_reass_insert(c, sg->m, seq, len);
			sg->m = NULL;
		}
		if (fin) {
			c->flags |= TF_FIN_OOO;
			c->fin_seq = seq + len;
		}
		c->flags |= TF_ACK_NOW;		/* duplicate ACK with SACK */
	}
	seg_free(sg);
}

static void
syn_sent_input(struct mg_tcp_conn *c, struct seg *sg, const struct mg_pkt *p,
	       uint64_t now_us)
{
	struct mg_tcp_stack *s = c->stack;
	bool ack_ok = false;

	seg_free(sg);
	if (SEG_HAS(sg, ACK)) {
		if (mg_seq_leq(sg->ack, c->iss) || mg_seq_gt(sg->ack, c->snd_max)) {
			tcp_count(s, MG_TCP_ERR_BAD_ACK);
			if (!SEG_HAS(sg, RST))
				tcp_send_reset_for(s, p, sg->seq, sg->ack, 0, true);
			return;
		}
		ack_ok = true;
	}
	if (SEG_HAS(sg, RST)) {
		if (ack_ok)
			tcp_conn_reset(c, MG_TCP_ERR_MAX, false, now_us);
		return;
	}
	if (!SEG_HAS(sg, SYN))
		return;
	negotiate(c, &sg->o, now_us);
	c->irs = sg->seq;
	c->rcv_nxt = sg->seq + 1;
	c->rcv_adv = c->rcv_nxt;	/* our SYN's window was before IRS */
	c->snd_wnd = sg->wnd;
	c->max_snd_wnd = c->snd_wnd;
	c->snd_wl1 = sg->seq;
	c->last_ack_sent = c->rcv_nxt;
	if (ack_ok) {
		c->snd_una = sg->ack;
		c->snd_wl2 = sg->ack;
		if ((c->flags & TF_TS) && sg->o.ts_ecr != 0) {
			uint32_t ms = tcp_tsval(c, now_us) - sg->o.ts_ecr;

			if (ms < 60000)
				rtt_sample(c, ms * 1000);
		} else if ((c->flags & TF_RTT_TIMING) && c->rtx_shift == 0) {
			rtt_sample(c, (uint32_t)(now_us - c->rtt_start_us));
		}
		c->flags &= ~TF_RTT_TIMING;
		established(c, now_us);
		c->flags |= TF_ACK_NOW;
		return;
	}
	/* Simultaneous open (RFC 9293 figure 8). */
	tcp_set_state(c, MG_TCP_SYN_RECEIVED);
	c->snd_wl2 = c->iss;
	tcp_send_ctl(c, c->iss, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, now_us);
	tcp_arm_rtx(c, now_us);
}

/* RFC 9293 3.10.7.4 first check, with RFC 7323 PAWS before it. */
static bool
seq_acceptable(const struct mg_tcp_conn *c, const struct seg *sg)
{
	uint32_t wnd = mg_seq_gt(c->rcv_adv, c->rcv_nxt) ?
		       c->rcv_adv - c->rcv_nxt : 0;
	uint32_t n = sg->len + (SEG_HAS(sg, SYN) ? 1 : 0) +
		     (SEG_HAS(sg, FIN) ? 1 : 0);

	if (n == 0)
		return wnd == 0 ? sg->seq == c->rcv_nxt :
				  mg_seq_in(sg->seq, c->rcv_nxt, c->rcv_nxt + wnd);
	if (wnd == 0)
		return false;
	return mg_seq_in(sg->seq, c->rcv_nxt, c->rcv_nxt + wnd) ||
	       mg_seq_in(sg->seq + n - 1, c->rcv_nxt, c->rcv_nxt + wnd);
}

static int
conn_input(struct mg_tcp_conn *c, struct seg *sg, const struct mg_pkt *p,
	   uint64_t now_us)
{
	struct mg_tcp_stack *s = c->stack;
	int rc = 0;

	if (c->state == MG_TCP_SYN_SENT) {
		syn_sent_input(c, sg, p, now_us);
		goto out;
	}
	/* RFC 6191: a new SYN may take over TIME-WAIT when it is newer. */
	if (c->state == MG_TCP_TIME_WAIT && SEG_HAS(sg, SYN) &&
	    !SEG_HAS(sg, ACK) && !SEG_HAS(sg, RST)) {
		bool newer = (c->flags & TF_TS) && sg->o.has_ts ?
			     mg_seq_gt(sg->o.ts_val, c->ts_recent) :
			     mg_seq_gt(sg->seq, c->rcv_nxt);
		struct mg_tcp_listener *l = tcp_listener_find(s, &p->dst, p->dport);

		if (newer && l != NULL) {
			uint32_t floor = c->snd_max + 65536 * 2;

			tcp_conn_release(c);
			return listen_input(s, l, sg, p, floor ? floor : 1, now_us);
		}
	}
	if ((c->flags & TF_TS) && sg->o.has_ts && !SEG_HAS(sg, RST) &&
	    mg_seq_lt(sg->o.ts_val, c->ts_recent) &&
	    tcp_now_ms(now_us) - c->ts_recent_ms < TCP_PAWS_IDLE_MS) {
		tcp_count(s, MG_TCP_ERR_PAWS_REJECTED);
		seg_free(sg);
		tcp_send_ack(c, now_us);
		rc = MG_TCP_ERR_PAWS_REJECTED;
		goto out;
	}
	if (!seq_acceptable(c, sg)) {
		tcp_count(s, MG_TCP_ERR_OUT_OF_WINDOW);
		seg_free(sg);
		if (!SEG_HAS(sg, RST))
			tcp_send_ack(c, now_us);
		rc = MG_TCP_ERR_OUT_OF_WINDOW;
		goto out;
	}
	c->last_rcv_us = now_us;
	c->ka_sent = 0;
	if (SEG_HAS(sg, RST)) {
		seg_free(sg);
		if (c->state == MG_TCP_TIME_WAIT)
			goto out;	/* RFC 1337: no TIME-WAIT assassination */
		if (sg->seq != c->rcv_nxt) {
			/* RFC 5961 3.2: in the window but not exact. */
			tcp_count(s, MG_TCP_ERR_RST_IN_WINDOW_IGNORED);
			tcp_send_challenge_ack(c, now_us);
			goto out;
		}
		tcp_conn_reset(c, MG_TCP_ERR_MAX, false, now_us);
		return 0;
	}
	if (SEG_HAS(sg, SYN)) {
		seg_free(sg);
		if (c->state == MG_TCP_SYN_RECEIVED && !SEG_HAS(sg, ACK) &&
		    sg->seq == c->irs) {
			/* Our SYN-ACK was lost: the SYN came again. */
			s->st.retransmits++;
			tcp_send_ctl(c, c->iss, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG,
				     now_us);
			goto out;
		}
		tcp_send_challenge_ack(c, now_us);	/* RFC 5961 4.2 */
		goto out;
	}
	if (!SEG_HAS(sg, ACK)) {
		seg_free(sg);
		goto out;
	}
	if (c->state == MG_TCP_SYN_RECEIVED) {
		if (!mg_seq_gt(sg->ack, c->snd_una) ||
		    mg_seq_gt(sg->ack, c->snd_max)) {
			tcp_count(s, MG_TCP_ERR_BAD_ACK);
			tcp_send_reset_for(s, p, sg->seq, sg->ack, sg->len, true);
			seg_free(sg);
			rc = MG_TCP_ERR_BAD_ACK;
			goto out;
		}
		c->snd_una = c->iss + 1;	/* the SYN is acknowledged */
		c->snd_wnd = sg->wnd << c->snd_wscale;
		c->max_snd_wnd = c->snd_wnd;
		c->snd_wl1 = sg->seq;
		c->snd_wl2 = sg->ack;
		if ((c->flags & TF_TS) && sg->o.has_ts && sg->o.ts_ecr != 0) {
			uint32_t ms = tcp_tsval(c, now_us) - sg->o.ts_ecr;

			if (ms < 60000)
				rtt_sample(c, ms * 1000);
		}
		established(c, now_us);
	}
	/* RFC 7323 4.3: TS.Recent from segments that cover Last.ACK.sent. */
	if ((c->flags & TF_TS) && sg->o.has_ts &&
	    mg_seq_leq(sg->seq, c->last_ack_sent) &&
	    mg_seq_geq(sg->o.ts_val, c->ts_recent)) {
		c->ts_recent = sg->o.ts_val;
		c->ts_recent_ms = tcp_now_ms(now_us);
	}
	if (!ack_input(c, sg, now_us)) {
		seg_free(sg);
		goto out;
	}
	if (c->flags & TF_DEAD) {
		seg_free(sg);
		return 0;
	}
	if (SEG_HAS(sg, URG))
		tcp_count(s, MG_TCP_ERR_URGENT_IGNORED);
	if (sg->len > 0 || SEG_HAS(sg, FIN))
		data_input(c, sg, now_us);
	else
		seg_free(sg);
out:
	if (!(c->flags & TF_DEAD)) {
		tcp_output(c, now_us);
		tcp_tell(c);
	}
	return rc;
}

int
mg_tcp_input(struct mg_tcp_stack *s, struct rte_mbuf *m, const struct mg_pkt *p,
	     uint64_t now_us)
{
	const struct rte_tcp_hdr *th;
	struct mg_tcp_conn *c;
	struct mg_tcp_listener *l;
	struct seg sg;
	unsigned doff;
	int rc;

	if (now_us > s->now_us)
		s->now_us = now_us;
	s->st.segs_in++;
	if (p->l4_proto != IPPROTO_TCP || p->l4_len < sizeof(*th) ||
	    m->data_len < p->l4_off + sizeof(*th)) {
		rte_pktmbuf_free(m);
		tcp_count(s, MG_TCP_ERR_BAD_OPTIONS);
		return MG_TCP_ERR_BAD_OPTIONS;
	}
	/* Trust the NIC only for GOOD; BAD is checked again in software
	 * (some report BAD for what they do not understand), and NONE or
	 * UNKNOWN (af_packet sets no flag) means software. */
	if ((m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) != RTE_MBUF_F_RX_L4_CKSUM_GOOD &&
	    !tcp_csum_ok(m, p)) {
		rte_pktmbuf_free(m);
		tcp_count(s, MG_TCP_ERR_BAD_CHECKSUM);
		return MG_TCP_ERR_BAD_CHECKSUM;
	}
	th = rte_pktmbuf_mtod_offset(m, const struct rte_tcp_hdr *, p->l4_off);
	doff = (th->data_off >> 4) * 4u;
	if (doff < sizeof(*th) || doff > p->l4_len ||
	    m->data_len < p->l4_off + doff) {
		rte_pktmbuf_free(m);
		tcp_count(s, MG_TCP_ERR_BAD_OPTIONS);
		return MG_TCP_ERR_BAD_OPTIONS;
	}
	memset(&sg, 0, sizeof(sg));
	sg.flags = th->tcp_flags;
	sg.seq = rte_be_to_cpu_32(th->sent_seq);
	sg.ack = rte_be_to_cpu_32(th->recv_ack);
	sg.wnd = rte_be_to_cpu_16(th->rx_win);
	sg.len = p->l4_len - doff;
	if (mg_tcp_opts_parse((const uint8_t *)(th + 1), doff - sizeof(*th),
			      SEG_HAS(&sg, SYN), &sg.o) != 0)
		tcp_count(s, MG_TCP_ERR_BAD_OPTIONS);
	if (sg.o.n_sack > MG_TCP_MAX_SACK_BLOCKS)
		sg.o.n_sack = MG_TCP_MAX_SACK_BLOCKS;
	if (sg.len > 0) {
		m = tcp_mbuf_cut_front(m, p->l4_off + doff);
		if (m->pkt_len > sg.len)
			tcp_mbuf_cut_back(m, m->pkt_len - sg.len);
		sg.m = m;
	} else {
		rte_pktmbuf_free(m);
	}

	tcp_enter(s);
	c = tcp_conn_lookup(s, &p->dst, p->dport, &p->src, p->sport);
	if (c != NULL) {
		rc = conn_input(c, &sg, p, now_us);
	} else if ((l = tcp_listener_find(s, &p->dst, p->dport)) != NULL) {
		rc = listen_input(s, l, &sg, p, 0, now_us);
		c = tcp_conn_lookup(s, &p->dst, p->dport, &p->src, p->sport);
		if (c != NULL)
			tcp_tell(c);
	} else {
		seg_free(&sg);
		tcp_count(s, MG_TCP_ERR_NO_LISTENER);
		if (!SEG_HAS(&sg, RST))
			tcp_send_reset_for(s, p, sg.seq, sg.ack,
					   sg.len + (SEG_HAS(&sg, SYN) ? 1 : 0) +
					   (SEG_HAS(&sg, FIN) ? 1 : 0),
					   SEG_HAS(&sg, ACK));
		rc = MG_TCP_ERR_NO_LISTENER;
	}
	tcp_leave(s);
	return rc;
}
