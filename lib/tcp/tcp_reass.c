/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Receive reassembly: out-of-order segments kept zero-copy as their
 * mbufs, sorted and without overlaps, each with its sequence number and
 * queue link in an mbuf dynamic field; and the SACK blocks (RFC 2018)
 * that describe them, the most recently received first.
 */

#include "tcp_private.h"

/* Drop @p n bytes from the front of a packet chain; returns the new head
 * (whole leading segments are freed). */
struct rte_mbuf *
tcp_mbuf_cut_front(struct rte_mbuf *m, uint32_t n)
{
	uint32_t pkt_len = m->pkt_len - n;
	uint16_t nb = m->nb_segs;

	while (n > 0 && m->data_len <= n && m->next != NULL) {
		struct rte_mbuf *next = m->next;

		n -= m->data_len;
		m->next = NULL;
		m->nb_segs = 1;
		rte_pktmbuf_free_seg(m);
		m = next;
		nb--;
	}
	n = RTE_MIN(n, (uint32_t)m->data_len);
	m->data_off += n;
	m->data_len -= n;
	m->pkt_len = pkt_len;
	m->nb_segs = nb;
	return m;
}

/* Drop @p n bytes from the end of a packet chain. */
void
tcp_mbuf_cut_back(struct rte_mbuf *m, uint32_t n)
{
	uint32_t keep = m->pkt_len > n ? m->pkt_len - n : 0, off = 0;
	struct rte_mbuf *seg = m;
	uint16_t nb = 1;

	while (seg->next != NULL && off + seg->data_len < keep) {
		off += seg->data_len;
		seg = seg->next;
		nb++;
	}
	seg->data_len = (uint16_t)(keep - off);
	if (seg->next != NULL) {
		rte_pktmbuf_free(seg->next);
		seg->next = NULL;
	}
	m->pkt_len = keep;
	m->nb_segs = nb;
}

static inline uint32_t
r_seq(const struct mg_tcp_stack *s, struct rte_mbuf *m)
{
	return tcp_mbuf_reass(s, m)->seq;
}

static inline struct rte_mbuf **
r_next(const struct mg_tcp_stack *s, struct rte_mbuf *m)
{
	return &tcp_mbuf_reass(s, m)->next;
}

/*
 * Queue [seq, seq + len) held by @p m (payload only, pkt_len == len),
 * which lies after rcv_nxt and within the window.
 * @return 0, or -ENOSPC (dropped: too many segments waiting).
 */
int
tcp_reass_insert(struct mg_tcp_conn *c, struct rte_mbuf *m, uint32_t seq,
		 uint32_t len)
{
	struct mg_tcp_stack *s = c->stack;
	struct rte_mbuf **pp = &c->reass, *cur;

	c->last_ooo = seq;
	while ((cur = *pp) != NULL &&
	       mg_seq_leq(r_seq(s, cur) + cur->pkt_len, seq))
		pp = r_next(s, cur);
	if (cur != NULL && mg_seq_leq(r_seq(s, cur), seq)) {
		uint32_t end = r_seq(s, cur) + cur->pkt_len;

		if (mg_seq_geq(end, seq + len)) {
			rte_pktmbuf_free(m);	/* all of it is here already */
			return 0;
		}
		m = tcp_mbuf_cut_front(m, end - seq);
		len -= end - seq;
		seq = end;
		pp = r_next(s, cur);
	}
	while ((cur = *pp) != NULL && mg_seq_lt(r_seq(s, cur), seq + len)) {
		uint32_t cend = r_seq(s, cur) + cur->pkt_len;

		if (mg_seq_leq(cend, seq + len)) {
			/* Covered by the new segment: replace it. */
			*pp = *r_next(s, cur);
			c->reass_bytes -= cur->pkt_len;
			c->reass_segs--;
			tcp_mem_add(s, -(int64_t)cur->pkt_len);
			rte_pktmbuf_free(cur);
			continue;
		}
		tcp_mbuf_cut_back(m, seq + len - r_seq(s, cur));
		len = r_seq(s, cur) - seq;
		break;
	}
	if (len == 0) {
		rte_pktmbuf_free(m);
		return 0;
	}
	if (c->reass_segs >= TCP_REASS_MAX_SEGS) {
		tcp_count(s, MG_TCP_ERR_REASS_OVERFLOW);
		rte_pktmbuf_free(m);
		return -ENOSPC;
	}
	tcp_mbuf_reass(s, m)->seq = seq;
	*r_next(s, m) = *pp;
	*pp = m;
	c->reass_bytes += len;
	c->reass_segs++;
	tcp_mem_add(s, len);
	return 0;
}

/* Move what rcv_nxt has reached to the receive queue; returns bytes. */
uint32_t
tcp_reass_pull(struct mg_tcp_conn *c)
{
	struct mg_tcp_stack *s = c->stack;
	struct rte_mbuf *m;
	uint32_t moved = 0;

	while ((m = c->reass) != NULL && mg_seq_leq(r_seq(s, m), c->rcv_nxt)) {
		uint32_t seq = r_seq(s, m), len = m->pkt_len;

		c->reass = *r_next(s, m);
		c->reass_bytes -= len;
		c->reass_segs--;
		tcp_mem_add(s, -(int64_t)len);
		if (mg_seq_leq(seq + len, c->rcv_nxt)) {
			rte_pktmbuf_free(m);
			continue;
		}
		if (seq != c->rcv_nxt) {
			m = tcp_mbuf_cut_front(m, c->rcv_nxt - seq);
			len -= c->rcv_nxt - seq;
		}
		tcp_rcv_append(c, m, len);
		c->rcv_nxt += len;
		moved += len;
	}
	return moved;
}

/*
 * SACK blocks for the queue: adjacent segments merged, the block holding
 * the most recent arrival first (RFC 2018 section 4), then the others
 * from the highest down.
 */
unsigned
tcp_reass_sack(const struct mg_tcp_conn *c, struct mg_tcp_sack_block *b,
	       unsigned max)
{
	const struct mg_tcp_stack *s = c->stack;
	struct mg_tcp_sack_block all[TCP_REASS_MAX_SEGS];
	unsigned n = 0, i, out = 0, first = UINT32_MAX;
	struct rte_mbuf *m;

	for (m = c->reass; m != NULL; m = *r_next(s, m)) {
		uint32_t seq = r_seq(s, m), end = seq + m->pkt_len;

		if (n > 0 && all[n - 1].end == seq)
			all[n - 1].end = end;
		else
			all[n++] = (struct mg_tcp_sack_block){ seq, end };
	}
	for (i = 0; i < n; i++)
		if (mg_seq_in(c->last_ooo, all[i].start, all[i].end))
			first = i;
	if (first != UINT32_MAX && out < max)
		b[out++] = all[first];
	for (i = n; i-- > 0 && out < max;)
		if (i != first)
			b[out++] = all[i];
	return out;
}

void
tcp_reass_free(struct mg_tcp_conn *c)
{
	struct mg_tcp_stack *s = c->stack;
	struct rte_mbuf *m;

	while ((m = c->reass) != NULL) {
		c->reass = *r_next(s, m);
		rte_pktmbuf_free(m);
	}
	tcp_mem_add(s, -(int64_t)c->reass_bytes);
	c->reass_bytes = 0;
	c->reass_segs = 0;
}
