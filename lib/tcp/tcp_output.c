/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Segment output: building segments (IP and TCP headers, options,
 * checksums in software), the sender's decisions (congestion and receive
 * windows, Nagle, sender SWS avoidance, FIN), retransmission after a
 * timeout, RFC 6675 recovery sends, window probes, ACKs.
 *
 * Data is copied from the send queue into the segment: one copy per
 * segment sent, which keeps retransmission and partial ACKs simple; the
 * receive side is zero-copy.
 */

#include <errno.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_tcp.h>

#include "mg_net.h"
#include "tcp_private.h"

/* Copy @p len bytes of the send queue, from @p off bytes past snd_una,
 * to the end of @p m (growing the chain as needed). */
static int
copy_from_snd(struct mg_tcp_conn *c, struct rte_mbuf *m, uint32_t off,
	      uint32_t len)
{
	struct rte_mbuf *src = c->snd_head, *dst = rte_pktmbuf_lastseg(m);

	while (src != NULL && off >= src->data_len) {
		off -= src->data_len;
		src = src->next;
	}
	while (len > 0 && src != NULL) {
		uint32_t n = RTE_MIN(len, (uint32_t)src->data_len - off);
		uint32_t room = rte_pktmbuf_tailroom(dst);

		if (room == 0) {
			struct rte_mbuf *nm = rte_pktmbuf_alloc(c->stack->p.pool);

			if (nm == NULL)
				return -ENOBUFS;
			dst->next = nm;
			dst = nm;
			m->nb_segs++;
			continue;
		}
		n = RTE_MIN(n, room);
		memcpy(rte_pktmbuf_mtod_offset(dst, uint8_t *, dst->data_len),
		       rte_pktmbuf_mtod_offset(src, uint8_t *, off), n);
		dst->data_len += n;
		m->pkt_len += n;
		len -= n;
		off += n;
		if (off == src->data_len) {
			src = src->next;
			off = 0;
		}
	}
	return len == 0 ? 0 : -EINVAL;
}

/* Build and send one segment. @p c, when not NULL, supplies data. */
static int
emit(struct mg_tcp_stack *s, const struct mg_ip *src, uint16_t sport,
     const struct mg_ip *dst, uint16_t dport, uint32_t seq, uint32_t ack,
     uint8_t flags, uint16_t win, const uint8_t *opt, unsigned optlen,
     struct mg_tcp_conn *c, uint32_t off, uint32_t len)
{
	unsigned l3 = src->family == AF_INET ? sizeof(struct rte_ipv4_hdr) :
					       sizeof(struct rte_ipv6_hdr);
	struct rte_mbuf *m = rte_pktmbuf_alloc(s->p.pool);
	struct rte_tcp_hdr *th;
	uint8_t *p;
	int rc;

	if (m == NULL) {
		tcp_count(s, MG_TCP_ERR_NO_MBUF);
		return -ENOBUFS;
	}
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(l3 + 20 + optlen));
	if (p == NULL)
		goto nobufs;
	if (len > 0 && copy_from_snd(c, m, off, len) != 0) {
		goto nobufs;
	}
	th = (struct rte_tcp_hdr *)(p + l3);
	th->src_port = rte_cpu_to_be_16(sport);
	th->dst_port = rte_cpu_to_be_16(dport);
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32((flags & RTE_TCP_ACK_FLAG) ? ack : 0);
	th->data_off = (uint8_t)(((20 + optlen) / 4) << 4);
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(win);
	th->cksum = 0;
	th->tcp_urp = 0;
	if (optlen > 0)
		memcpy(th + 1, opt, optlen);
	if (src->family == AF_INET) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)p;

		ip->version_ihl = 0x45;
		ip->type_of_service = 0;
		ip->total_length = rte_cpu_to_be_16((uint16_t)m->pkt_len);
		ip->packet_id = rte_cpu_to_be_16(s->ip_id++);
		ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_TCP;
		ip->src_addr = src->v4;
		ip->dst_addr = dst->v4;
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		th->cksum = rte_ipv4_udptcp_cksum_mbuf(m, ip, l3);
		m->packet_type = RTE_PTYPE_L3_IPV4 | RTE_PTYPE_L4_TCP;
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)p;

		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16((uint16_t)(m->pkt_len - l3));
		ip->proto = IPPROTO_TCP;
		ip->hop_limits = 64;
		memcpy(ip->src_addr, src->v6, 16);
		memcpy(ip->dst_addr, dst->v6, 16);
		th->cksum = rte_ipv6_udptcp_cksum_mbuf(m, ip, l3);
		m->packet_type = RTE_PTYPE_L3_IPV6 | RTE_PTYPE_L4_TCP;
	}
	m->l2_len = 0;
	m->l3_len = l3;
	m->l4_len = 20 + optlen;
	s->st.segs_out++;
	s->st.bytes_out += len;
	/* The mbuf is xmit's now, whatever it returns: a dropping xmit
	 * frees it itself, and a second free here would put it in the pool
	 * twice (two owners later, chains with cycles). */
	rc = s->p.xmit(s->p.xmit_ctx, m, src->family);
	if (rc != 0) {
		tcp_count(s, MG_TCP_ERR_XMIT_FAILED);
		return rc;
	}
	return 0;
nobufs:
	tcp_count(s, MG_TCP_ERR_NO_MBUF);
	rte_pktmbuf_free(m);
	return -ENOBUFS;
}

/*
 * The window to advertise, with receiver SWS avoidance (RFC 9293
 * 3.8.6.2.2): the right edge only moves on by at least min(buf/2, MSS),
 * and never moves back.
 */
uint32_t
tcp_rcv_window(struct mg_tcp_conn *c)
{
	uint32_t space = tcp_rcv_space(c), cur = 0, wnd, field;

	if (mg_seq_gt(c->rcv_adv, c->rcv_nxt))
		cur = c->rcv_adv - c->rcv_nxt;
	wnd = cur;
	if (space >= cur + RTE_MIN(c->rcv_buf / 2, (uint32_t)c->rmss))
		wnd = space;
	field = (wnd + (1u << c->rcv_wscale) - 1) >> c->rcv_wscale;
	if (field > 65535)
		field = 65535;
	if (mg_seq_gt(c->rcv_nxt + (field << c->rcv_wscale), c->rcv_adv))
		c->rcv_adv = c->rcv_nxt + (field << c->rcv_wscale);
	return field;
}

static unsigned
conn_opts(struct mg_tcp_conn *c, uint8_t flags, uint8_t *buf, uint64_t now_us)
{
	struct mg_tcp_opts o;

	memset(&o, 0, sizeof(o));
	if (flags & RTE_TCP_SYN_FLAG) {
		bool synack = (flags & RTE_TCP_ACK_FLAG) != 0;

		o.has_mss = 1;
		o.mss = c->rmss;
		if (synack ? (c->flags & TF_SACK) : (c->flags & TF_WANT_SACK))
			o.sack_permitted = 1;
		if (synack ? (c->flags & TF_TS) : (c->flags & TF_WANT_TS)) {
			o.has_ts = 1;
			o.ts_val = tcp_tsval(c, now_us);
			o.ts_ecr = synack ? c->ts_recent : 0;
		}
		/* On a SYN-ACK, TF_WANT_WS already means "negotiated". */
		if (c->flags & TF_WANT_WS) {
			o.has_wscale = 1;
			o.wscale = c->rcv_wscale;
		}
		return mg_tcp_opts_write(buf, &o, true);
	}
	if (flags & RTE_TCP_RST_FLAG)
		return 0;
	if (c->flags & TF_TS) {
		o.has_ts = 1;
		o.ts_val = tcp_tsval(c, now_us);
		o.ts_ecr = c->ts_recent;
	}
	if ((c->flags & TF_SACK) && c->reass != NULL)
		o.n_sack = (uint8_t)tcp_reass_sack(c, o.sack, o.has_ts ? 3 : 4);
	return mg_tcp_opts_write(buf, &o, false);
}

static void
acked_now(struct mg_tcp_conn *c)
{
	c->flags &= ~(TF_ACK_NOW | TF_DELACK);
	c->t_delack = 0;	/* the wheel node catches up lazily */
	c->segs_unacked = 0;
	c->last_ack_sent = c->rcv_nxt;
}

/* A segment of the connection: data [seq, seq + len) from the send queue
 * (which must hold it), and control flags. */
int
tcp_send_data(struct mg_tcp_conn *c, uint32_t seq, uint32_t len, uint8_t flags,
	      uint64_t now_us)
{
	struct mg_tcp_stack *s = c->stack;
	uint8_t opt[MG_TCP_OPT_MAXLEN];
	unsigned optlen;
	uint16_t win;
	int rc;

	if (c->state != MG_TCP_SYN_SENT)
		flags |= RTE_TCP_ACK_FLAG;
	optlen = conn_opts(c, flags, opt, now_us);
	/* SACK blocks take room from the data. */
	if (len > 0 && len + optlen > c->smss)
		len = c->smss > optlen ? c->smss - optlen : 1;
	if ((flags & RTE_TCP_FIN_FLAG) && seq + len != c->snd_una + c->snd_queued)
		flags &= ~RTE_TCP_FIN_FLAG;
	if (flags & RTE_TCP_SYN_FLAG)
		win = (uint16_t)RTE_MIN(tcp_rcv_space(c), 65535u);
	else if (flags & RTE_TCP_RST_FLAG)
		win = 0;
	else
		win = (uint16_t)tcp_rcv_window(c);
	if ((flags & RTE_TCP_SYN_FLAG) && mg_seq_gt(c->rcv_nxt + win, c->rcv_adv))
		c->rcv_adv = c->rcv_nxt + win;
	if (len > 0 && mg_seq_lt(seq, c->snd_max))
		s->st.retransmits++;
	rc = emit(s, &c->laddr, c->lport, &c->raddr, c->rport, seq, c->rcv_nxt,
		  flags, win, opt, optlen, c, seq - c->snd_una, len);
	if (flags & RTE_TCP_ACK_FLAG)
		acked_now(c);
	return rc < 0 ? rc : (int)len;
}

int
tcp_send_ctl(struct mg_tcp_conn *c, uint32_t seq, uint8_t flags,
	     uint64_t now_us)
{
	return tcp_send_data(c, seq, 0, flags, now_us);
}

void
tcp_send_ack(struct mg_tcp_conn *c, uint64_t now_us)
{
	tcp_send_ctl(c, c->snd_nxt, RTE_TCP_ACK_FLAG, now_us);
}

/* RFC 5961 section 7: challenge ACKs share a per-second budget. */
void
tcp_send_challenge_ack(struct mg_tcp_conn *c, uint64_t now_us)
{
	struct mg_tcp_stack *s = c->stack;
	uint64_t sec = now_us / 1000000;

	if (sec != s->chack_sec) {
		s->chack_sec = sec;
		s->chack_n = 0;
	}
	if (s->chack_n >= s->p.challenge_ack_limit) {
		tcp_count(s, MG_TCP_ERR_CHALLENGE_ACK_LIMITED);
		return;
	}
	s->chack_n++;
	tcp_count(s, MG_TCP_ERR_CHALLENGE_ACK);
	tcp_send_ack(c, now_us);
}

/* RFC 9293 3.10.7.1: the reset for a segment that has no connection. */
void
tcp_send_reset_for(struct mg_tcp_stack *s, const struct mg_pkt *p, uint32_t seq,
		   uint32_t ack, uint32_t len, bool has_ack)
{
	if (has_ack)
		emit(s, &p->dst, p->dport, &p->src, p->sport, ack, 0,
		     RTE_TCP_RST_FLAG, 0, NULL, 0, NULL, 0, 0);
	else
		emit(s, &p->dst, p->dport, &p->src, p->sport, 0, seq + len,
		     RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG, 0, NULL, 0, NULL, 0, 0);
}

int
tcp_send_cookie_synack(struct mg_tcp_stack *s, const struct mg_pkt *p,
		       uint32_t isn, uint32_t irs, const struct mg_tcp_opts *o,
		       uint16_t rwnd)
{
	uint8_t opt[MG_TCP_OPT_MAXLEN];
	unsigned optlen = mg_tcp_opts_write(opt, o, true);

	return emit(s, &p->dst, p->dport, &p->src, p->sport, isn, irs + 1,
		    RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, rwnd, opt, optlen,
		    NULL, 0, 0);
}

/* Window available to send in, from the peer's window and cwnd. */
static uint32_t
send_room(struct mg_tcp_conn *c, uint32_t pipe)
{
	uint32_t right = c->snd_una + c->snd_wnd, rwnd, cwnd;

	rwnd = mg_seq_gt(right, c->snd_nxt) ? right - c->snd_nxt : 0;
	cwnd = c->ccs.cwnd > pipe ? c->ccs.cwnd - pipe : 0;
	return RTE_MIN(rwnd, cwnd);
}

static void
note_sent(struct mg_tcp_conn *c, uint32_t seq, uint32_t len, bool fin,
	  uint64_t now_us)
{
	/* RTT of one segment at a time, when timestamps do not give it;
	 * never from a retransmitted one (Karn). */
	if (!(c->flags & (TF_TS | TF_RTT_TIMING)) && len > 0 &&
	    seq == c->snd_max) {
		c->flags |= TF_RTT_TIMING;
		c->rtt_seq = seq;
		c->rtt_start_us = now_us;
	}
	c->snd_nxt = seq + len + (fin ? 1 : 0);
	if (mg_seq_gt(c->snd_nxt, c->snd_max))
		c->snd_max = c->snd_nxt;
	if (fin)
		c->flags |= TF_FIN_SENT;
	if (c->t_rtx == 0 || (c->flags & TF_PERSIST))
		tcp_arm_rtx(c, now_us);
}

/* RFC 6675 section 5 steps (C): send what the scoreboard says while
 * cwnd - pipe allows a full segment. */
void
tcp_recovery_send(struct mg_tcp_conn *c, uint64_t now_us)
{
	uint32_t mss = tcp_eff_mss(c);
	unsigned guard = 64;

	while (guard-- > 0 && c->sb != NULL) {
		uint32_t pipe = mg_tcp_sb_pipe(c->sb, c->snd_una, c->snd_nxt, mss);
		uint32_t end = c->snd_una + c->snd_queued;
		uint32_t unsent = mg_seq_gt(end, c->snd_nxt) ? end - c->snd_nxt : 0;
		uint32_t right = c->snd_una + c->snd_wnd, max_new, seq, len;
		int r;

		if (c->ccs.cwnd < pipe + mss)
			break;
		max_new = mg_seq_gt(right, c->snd_nxt) ?
			  RTE_MIN(unsent, right - c->snd_nxt) : 0;
		r = mg_tcp_sb_next_seg(c->sb, c->snd_una, c->snd_nxt, mss,
				       max_new, true, &seq, &len);
		if (r == 1) {
			int n;

			len = RTE_MIN(len, mss);
			if (mg_seq_geq(seq, end)) {
				/* Only the FIN is missing. */
				if (c->flags & TF_FIN_SENT)
					tcp_send_ctl(c, end, RTE_TCP_FIN_FLAG,
						     now_us);
				mg_tcp_sb_sent(c->sb, seq, 1);
				break;
			}
			if (mg_seq_gt(seq + len, end))
				len = end - seq;
			n = tcp_send_data(c, seq, len, 0, now_us);
			if (n <= 0)
				break;
			mg_tcp_sb_sent(c->sb, seq, (uint32_t)n);
			if (c->t_rtx == 0)
				tcp_arm_rtx(c, now_us);
		} else if (r == 2) {
			int n;

			len = RTE_MIN(RTE_MIN(len, max_new), mss);
			if (len == 0)
				break;
			n = tcp_send_data(c, c->snd_nxt, len, RTE_TCP_PSH_FLAG,
					  now_us);
			if (n <= 0)
				break;
			note_sent(c, c->snd_nxt, (uint32_t)n, false, now_us);
		} else {
			break;
		}
	}
}

/*
 * Send what the windows, Nagle and SWS avoidance allow, the FIN when it
 * is due, and an ACK when one is owed and nothing else carried it.
 */
int
tcp_output(struct mg_tcp_conn *c, uint64_t now_us)
{
	uint32_t mss = tcp_eff_mss(c);
	unsigned guard = 1024;

	if (c->flags & TF_DEAD)
		return 0;
	if (c->state < MG_TCP_ESTABLISHED || c->state == MG_TCP_TIME_WAIT) {
		if (c->flags & TF_ACK_NOW)
			tcp_send_ack(c, now_us);
		return 0;
	}
	if ((c->flags & TF_RECOVERY) && c->sb != NULL)
		tcp_recovery_send(c, now_us);
	while (guard-- > 0) {
		uint32_t end = c->snd_una + c->snd_queued;
		uint32_t avail = mg_seq_gt(end, c->snd_nxt) ? end - c->snd_nxt : 0;
		uint32_t pipe = tcp_flight(c), room, len;
		bool fin;
		int n;

		/* With SACK, tcp_recovery_send() decides; without, cwnd
		 * is inflated (RFC 6582) and flight is the pipe. */
		if ((c->flags & TF_RECOVERY) && c->sb != NULL)
			break;
		room = send_room(c, pipe);
		len = RTE_MIN(RTE_MIN(avail, room), mss);
		if (c->sb != NULL && len > 0 && mg_seq_lt(c->snd_nxt, c->snd_max) &&
		    mg_tcp_sb_is_sacked(c->sb, c->snd_nxt, len)) {
			c->snd_nxt += len;	/* after an RTO: held by the peer */
			continue;
		}
		/* In FIN-WAIT-2 the FIN is acknowledged: snd_una is past it
		 * and "end" no longer marks where it goes. */
		fin = (c->flags & TF_FIN_QUEUED) &&
		      c->state != MG_TCP_FIN_WAIT_2 && c->snd_nxt + len == end;
		if (len == 0 && !fin)
			break;
		if (len < mss && len < avail) {
			/* Sender SWS avoidance: a piece of a window. */
			if (len < c->max_snd_wnd / 2 || len == 0)
				break;
		} else if (len < mss && !fin && !(c->flags & TF_NODELAY) &&
			   tcp_flight(c) > 0 && c->snd_nxt == c->snd_max) {
			break;	/* Nagle: one small segment in flight */
		}
		n = tcp_send_data(c, c->snd_nxt, len,
				  (len == avail ? RTE_TCP_PSH_FLAG : 0) |
				  (fin ? RTE_TCP_FIN_FLAG : 0), now_us);
		if (n < 0)
			break;
		note_sent(c, c->snd_nxt, (uint32_t)n,
			  fin && (uint32_t)n == len, now_us);
		if (fin)
			break;
	}
	/* Data waits and nothing is in flight to bring an ACK: probe. */
	if (c->t_rtx == 0 && tcp_flight(c) == 0 &&
	    mg_seq_gt(c->snd_una + c->snd_queued, c->snd_nxt))
		tcp_arm_persist(c, now_us);
	if (c->flags & TF_ACK_NOW)
		tcp_send_ack(c, now_us);
	else if ((c->flags & TF_DELACK) && c->t_delack == 0) {
		c->t_delack = now_us + c->delack_us;
		tcp_timer_update(c);
	}
	return 0;
}

/* RFC 6298 5.4-5.7 and RFC 5681 3.1: back off, resend from snd_una. */
void
tcp_rtx_timeout(struct mg_tcp_conn *c, uint64_t now_us)
{
	struct mg_tcp_stack *s = c->stack;

	if (c->state == MG_TCP_SYN_SENT || c->state == MG_TCP_SYN_RECEIVED) {
		if (++c->rtx_shift > TCP_SYN_RETRIES) {
			tcp_conn_reset(c, MG_TCP_ERR_RETRANSMIT_TIMEOUT,
				       c->state == MG_TCP_SYN_RECEIVED, now_us);
			return;
		}
		c->flags &= ~TF_RTT_TIMING;
		s->st.retransmits++;
		tcp_send_ctl(c, c->iss, c->state == MG_TCP_SYN_SENT ?
			     RTE_TCP_SYN_FLAG :
			     RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, now_us);
		tcp_arm_rtx(c, now_us);
		return;
	}
	if (c->snd_una == c->snd_max)
		return;		/* nothing outstanding */
	if (c->rtx_first_us == 0)
		c->rtx_first_us = now_us;
	else if (now_us - c->rtx_first_us >=
		 (uint64_t)c->user_timeout_ms * 1000) {
		tcp_conn_reset(c, MG_TCP_ERR_RETRANSMIT_TIMEOUT, true, now_us);
		return;
	}
	/* RFC 5681 (4): ssthresh only on the first expiry. */
	if (c->rtx_shift == 0)
		c->cc->on_rto(&c->ccs, c->snd_max - c->snd_una, now_us);
	else
		c->ccs.cwnd = c->ccs.mss;
	c->ccs.in_recovery = false;
	mg_tcp_cc_set_recover(&c->ccs, c->snd_max);
	c->flags &= ~(TF_RECOVERY | TF_RTT_TIMING);
	c->dupacks = 0;
	c->recover = c->snd_max;
	/* SACK information survives the first timeout (resending skips what
	 * the peer holds); a second one suggests the peer reneged. */
	if (c->sb != NULL && c->rtx_shift > 0) {
		tcp_sb_put(s, c->sb);
		c->sb = NULL;
	}
	if (c->rtx_shift < 20)
		c->rtx_shift++;
	c->snd_nxt = c->snd_una;
	c->t_rtx = 0;
	tcp_output(c, now_us);
	if (c->t_rtx == 0 && !(c->flags & TF_DEAD))
		tcp_arm_rtx(c, now_us);
}

/* Window probe (like Linux: an ACK one below snd_una draws the peer's
 * window without using sequence space), or, when the window is open but
 * too small for SWS avoidance, what fits. */
void
tcp_persist_timeout(struct mg_tcp_conn *c, uint64_t now_us)
{
	uint32_t end = c->snd_una + c->snd_queued;
	uint32_t avail = mg_seq_gt(end, c->snd_nxt) ? end - c->snd_nxt : 0;

	c->flags &= ~TF_PERSIST;
	if (avail == 0 || c->state < MG_TCP_ESTABLISHED)
		return;
	if (c->snd_wnd > 0 && tcp_flight(c) < c->snd_wnd) {
		uint32_t len = RTE_MIN(RTE_MIN(avail, c->snd_wnd - tcp_flight(c)),
				       tcp_eff_mss(c));
		int n = tcp_send_data(c, c->snd_nxt, len, RTE_TCP_PSH_FLAG, now_us);

		if (n > 0) {
			note_sent(c, c->snd_nxt, (uint32_t)n, false, now_us);
			return;
		}
	}
	tcp_send_ctl(c, c->snd_una - 1, RTE_TCP_ACK_FLAG, now_us);
	if (c->rtx_shift < 20)
		c->rtx_shift++;
	tcp_arm_persist(c, now_us);
}
