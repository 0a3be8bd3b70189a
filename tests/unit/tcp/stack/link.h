/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_TEST_TCP_LINK_H
#define MG_TEST_TCP_LINK_H

/*
 * Two TCP stacks joined back to back through their xmit callbacks by a
 * scripted link, on a virtual clock. Each direction has its own delay,
 * jitter (which reorders), loss and duplication drawn from a seeded
 * generator, an explicit script (drop the Nth segment) and a filter
 * hook that may look at, change or drop each segment.
 * Stack 0 is "A" (10.0.0.1 / fd00::1), stack 1 is "B" (10.0.0.2 / fd00::2).
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "mg_net.h"
#include "mg_tcp.h"

#define LINK_QMAX	8192
#define LINK_SCRIPT_MAX	32

struct link;

/* Return true to drop the segment. @p th points into the packet (IP
 * header first); a filter that changes it must fix the checksum with
 * link_fix_csum(). */
typedef bool (*link_filter_fn)(struct link *l, int dir, struct rte_mbuf *m,
			       struct rte_tcp_hdr *th, void *arg);

struct link_pkt {
	uint64_t at;
	uint64_t order;
	struct rte_mbuf *m;
};

struct link_dir {
	uint32_t loss_pm, dup_pm, reorder_pm;	/* per mille */
	uint64_t delay_us, jitter_us;
	uint32_t drop_nth[LINK_SCRIPT_MAX];	/* 1-based segment numbers */
	unsigned n_drop;
	uint64_t sent, dropped, delivered;
	bool down;				/* drop everything */
	uint32_t fail_nth;			/* xmit of the Nth fails (frees) */
	/* A Linux-like sender (link_reshape()): per mille of data segments
	 * replaced by one with other bounds over the bytes sent so far
	 * (coalesced or shifted retransmissions), delivered as two pieces,
	 * or followed by an extra segment overlapping queued data. */
	uint32_t reseg_pm, split_pm, overlap_pm;
	uint8_t *stream;			/* bytes sent, from base */
	uint32_t stream_cap, base, hi;		/* hi: end of what was sent */
	bool have_base;
};

struct link {
	struct rte_mempool *pool;
	struct mg_tcp_stack *st[2];
	struct link_dir dir[2];
	struct link_pkt q[LINK_QMAX];
	unsigned nq;
	uint64_t order;
	uint64_t now;
	uint64_t rng;
	int ctx[2];
	link_filter_fn filter;
	void *filter_arg;
	struct mg_ip addr[2];
	bool pad_short;		/* Ethernet pad (garbage) to 60 bytes */
	bool chain_rx;		/* deliver as chains split at odd offsets */
	uint64_t padded, chained;
};

static inline uint64_t
link_rand(struct link *l)
{
	l->rng ^= l->rng << 13;
	l->rng ^= l->rng >> 7;
	l->rng ^= l->rng << 17;
	return l->rng;
}

static inline bool
link_chance(struct link *l, uint32_t pm)
{
	return pm > 0 && link_rand(l) % 1000 < pm;
}

static struct link *link_self;

/* TCP header of an IP packet at the start of @p m. */
static inline struct rte_tcp_hdr *
link_tcp(struct rte_mbuf *m, unsigned *l3)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);

	*l3 = (p[0] >> 4) == 4 ? (p[0] & 15) * 4u : 40u;
	return (struct rte_tcp_hdr *)(p + *l3);
}

static inline void
link_fix_csum(struct rte_mbuf *m)
{
	unsigned l3;
	struct rte_tcp_hdr *th = link_tcp(m, &l3);
	void *ip = rte_pktmbuf_mtod(m, void *);

	th->cksum = 0;
	if (l3 == 40)
		th->cksum = rte_ipv6_udptcp_cksum_mbuf(m, ip, l3);
	else
		th->cksum = rte_ipv4_udptcp_cksum_mbuf(m, ip, l3);
}

static void
link_enqueue(struct link *l, struct rte_mbuf *m, uint64_t at)
{
	unsigned i;

	if (l->nq == LINK_QMAX) {
		rte_pktmbuf_free(m);
		return;
	}
	/* Sorted by time, then by order sent. */
	i = l->nq++;
	while (i > 0 && l->q[i - 1].at > at) {
		l->q[i] = l->q[i - 1];
		i--;
	}
	l->q[i] = (struct link_pkt){ at, l->order++, m };
}

/* Put an IP packet on the wire of direction @p dir: Ethernet header,
 * padding, delay, reordering, duplication. */
static int
link_put(struct link *l, int dir, struct rte_mbuf *m, uint8_t family)
{
	struct link_dir *d = &l->dir[dir];
	struct rte_ether_hdr *eh;
	uint64_t at;

	eh = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, sizeof(*eh));
	if (eh == NULL) {
		rte_pktmbuf_free(m);
		return -ENOSPC;
	}
	memset(eh, 0, sizeof(*eh));
	eh->ether_type = rte_cpu_to_be_16(family == AF_INET ?
					  RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
	if (l->pad_short && m->pkt_len < RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN) {
		uint16_t pad = (uint16_t)(RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN -
					  m->pkt_len);
		char *p = rte_pktmbuf_append(m, pad);

		if (p != NULL) {
			memset(p, 0xa5, pad);	/* never zero: must not count */
			l->padded++;
		}
	}
	at = l->now + d->delay_us;
	if (link_chance(l, d->reorder_pm) && d->jitter_us > 0)
		at += 1 + link_rand(l) % d->jitter_us;
	if (link_chance(l, d->dup_pm)) {
		struct rte_mbuf *c = rte_pktmbuf_copy(m, l->pool, 0, UINT32_MAX);

		if (c != NULL)
			link_enqueue(l, c, at + 1);
	}
	link_enqueue(l, m, at);
	return 0;
}

static inline uint32_t
link_hdr_len(struct rte_mbuf *m, unsigned *l3)
{
	struct rte_tcp_hdr *th = link_tcp(m, l3);

	return *l3 + (th->data_off >> 4) * 4u;
}

/* A copy of IP packet @p orig (headers and all) carrying the stream's
 * bytes [seq, seq + len) of direction @p dir instead of its own, in a
 * chain when it does not fit one mbuf. */
static struct rte_mbuf *
link_build(struct link *l, struct rte_mbuf *orig, int dir, uint32_t seq,
	   uint32_t len, uint8_t flags)
{
	struct link_dir *d = &l->dir[dir];
	unsigned l3;
	uint32_t hl = link_hdr_len(orig, &l3), done = 0;
	struct rte_mbuf *m = rte_pktmbuf_alloc(l->pool), *last;
	struct rte_tcp_hdr *th;
	uint8_t *p;

	if (m == NULL)
		return NULL;
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)hl);
	memcpy(p, rte_pktmbuf_mtod(orig, uint8_t *), hl);
	last = m;
	while (done < len) {
		uint32_t k = RTE_MIN(len - done, (uint32_t)rte_pktmbuf_tailroom(last));

		if (k == 0) {
			struct rte_mbuf *n = rte_pktmbuf_alloc(l->pool);

			if (n == NULL) {
				rte_pktmbuf_free(m);
				return NULL;
			}
			last->next = n;
			last = n;
			m->nb_segs++;
			continue;
		}
		memcpy(rte_pktmbuf_mtod_offset(last, uint8_t *, last->data_len),
		       d->stream + (seq - d->base) + done, k);
		last->data_len += k;
		m->pkt_len += k;
		done += k;
	}
	th = (struct rte_tcp_hdr *)(p + l3);
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->tcp_flags = flags;
	if (l3 == 40) {
		((struct rte_ipv6_hdr *)p)->payload_len =
			rte_cpu_to_be_16((uint16_t)(m->pkt_len - 40));
	} else {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)p;

		ip->total_length = rte_cpu_to_be_16((uint16_t)m->pkt_len);
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	link_fix_csum(m);
	return m;
}

/* Record a segment's bytes; reshape it when the dice say so. Returns
 * true when it took the segment over (sent its own instead). */
static bool
link_reshape(struct link *l, int dir, struct rte_mbuf *m, uint8_t family)
{
	struct link_dir *d = &l->dir[dir];
	unsigned l3;
	struct rte_tcp_hdr *th = link_tcp(m, &l3);
	uint32_t hl = link_hdr_len(m, &l3), seq = rte_be_to_cpu_32(th->sent_seq);
	uint32_t len = m->pkt_len - hl, off, end, s2, e2, room;
	uint8_t fl = th->tcp_flags;
	struct rte_mbuf *a, *b;
	const void *src;

	if (d->stream == NULL)
		return false;
	if (fl & RTE_TCP_SYN_FLAG) {
		d->base = d->hi = seq + 1;
		d->have_base = true;
		return false;
	}
	off = seq - d->base;
	if (!d->have_base || len == 0 || off > d->stream_cap ||
	    len > d->stream_cap - off || (fl & RTE_TCP_RST_FLAG))
		return false;
	src = rte_pktmbuf_read(m, hl, len, d->stream + off);
	if (src != NULL && src != d->stream + off)
		memcpy(d->stream + off, src, len);
	end = seq + len;
	if ((int32_t)(end - d->hi) > 0)
		d->hi = end;
	if (link_chance(l, d->reseg_pm)) {
		/* Other bounds over bytes already sent: up to 2000 more
		 * on either side (Linux collapses retransmissions). */
		room = off;
		s2 = seq - (uint32_t)(link_rand(l) % (RTE_MIN(room, 2000u) + 1));
		room = d->hi - end;
		e2 = end + (uint32_t)(link_rand(l) % (RTE_MIN(room, 2000u) + 1));
		a = link_build(l, m, dir, s2, e2 - s2,
			       e2 == end ? fl : (uint8_t)(fl & ~RTE_TCP_FIN_FLAG));
		if (a == NULL)
			return false;
		rte_pktmbuf_free(m);
		link_put(l, dir, a, family);
		return true;
	}
	if (len >= 2 && link_chance(l, d->split_pm)) {
		uint32_t k = 1 + (uint32_t)(link_rand(l) % (len - 1));

		a = link_build(l, m, dir, seq, k, fl & ~RTE_TCP_FIN_FLAG);
		b = link_build(l, m, dir, seq + k, len - k, fl);
		if (a == NULL || b == NULL) {
			rte_pktmbuf_free(a);
			rte_pktmbuf_free(b);
			return false;
		}
		rte_pktmbuf_free(m);
		link_put(l, dir, b, family);	/* the second first: reordered */
		link_put(l, dir, a, family);
		return true;
	}
	if (link_chance(l, d->overlap_pm)) {
		/* The segment, then one over a stretch of what came before
		 * and after it (a duplicate that covers queued data). */
		s2 = d->base + (uint32_t)(link_rand(l) % (off + 1));
		e2 = s2 + 1 + (uint32_t)(link_rand(l) % RTE_MIN(d->hi - s2, 5000u));
		a = link_build(l, m, dir, s2, e2 - s2,
			       (uint8_t)(fl & ~RTE_TCP_FIN_FLAG));
		link_put(l, dir, m, family);
		if (a != NULL)
			link_put(l, dir, a, family);
		return true;
	}
	return false;
}

static int
link_xmit(void *ctx, struct rte_mbuf *m, uint8_t family)
{
	struct link *l = link_self;
	int dir = *(int *)ctx;
	struct link_dir *d = &l->dir[dir];
	struct rte_tcp_hdr *th;
	unsigned i, l3;
	bool drop = false;

	d->sent++;
	if (d->fail_nth == d->sent) {
		/* Like the dataplane without a neighbour: dropped, freed
		 * here, an error returned (the contract of xmit). */
		rte_pktmbuf_free(m);
		return -EHOSTUNREACH;
	}
	th = link_tcp(m, &l3);
	if (l->filter != NULL && l->filter(l, dir, m, th, l->filter_arg))
		drop = true;
	for (i = 0; i < d->n_drop; i++)
		if (d->drop_nth[i] == d->sent)
			drop = true;
	if (d->down || link_chance(l, d->loss_pm))
		drop = true;
	if (drop) {
		/* What was sent may still come back in a reshaped one. */
		if (d->stream != NULL) {
			uint32_t k[3] = { d->reseg_pm, d->split_pm, d->overlap_pm };

			d->reseg_pm = d->split_pm = d->overlap_pm = 0;
			link_reshape(l, dir, m, family);	/* records only */
			d->reseg_pm = k[0];
			d->split_pm = k[1];
			d->overlap_pm = k[2];
		}
		d->dropped++;
		rte_pktmbuf_free(m);
		return 0;
	}
	if (link_reshape(l, dir, m, family))
		return 0;
	return link_put(l, dir, m, family);
}

/* Turn on the Linux-like sender for direction @p dir (see link_dir). */
static inline void
link_linux_like(struct link *l, int dir, uint32_t reseg_pm, uint32_t split_pm,
		uint32_t overlap_pm, uint32_t cap)
{
	struct link_dir *d = &l->dir[dir];

	d->reseg_pm = reseg_pm;
	d->split_pm = split_pm;
	d->overlap_pm = overlap_pm;
	d->stream_cap = cap;
	d->stream = calloc(1, cap);
}

static inline void
link_init(struct link *l, struct rte_mempool *pool, uint64_t seed, bool v6,
	  const struct mg_tcp_stack_params *base)
{
	struct mg_tcp_stack_params p;
	int i;

	memset(l, 0, sizeof(*l));
	link_self = l;
	l->pool = pool;
	l->rng = seed * 0x9e3779b97f4a7c15ull + 1;
	l->now = 1000000;
	for (i = 0; i < 2; i++) {
		l->ctx[i] = i;
		if (v6) {
			uint8_t a[16] = { 0xfd, 0, [15] = (uint8_t)(i + 1) };

			mg_ip_set_v6(&l->addr[i], a);
		} else {
			mg_ip_set_v4(&l->addr[i], rte_cpu_to_be_32(0x0a000001 + i));
		}
		p = *base;
		p.pool = pool;
		p.xmit = link_xmit;
		p.xmit_ctx = &l->ctx[i];
		p.seed = seed + (uint64_t)i * 7919;
		if (p.port_min == 0) {
			p.port_min = (uint16_t)(40000 + i * 1000);
			p.port_max = (uint16_t)(40999 + i * 1000);
		}
		l->st[i] = mg_tcp_stack_create(&p);
	}
}

static inline void
link_free(struct link *l)
{
	unsigned i;

	mg_tcp_stack_free(l->st[0]);	/* its RSTs land in the queue */
	mg_tcp_stack_free(l->st[1]);
	for (i = 0; i < l->nq; i++)
		rte_pktmbuf_free(l->q[i].m);
	l->nq = 0;
	for (i = 0; i < 2; i++) {
		free(l->dir[i].stream);
		l->dir[i].stream = NULL;
	}
}

/* The frame as a chain: headers in the first mbuf (the parser wants
 * them there), the rest in pieces of 1 to 700 bytes, odd ones too. */
static inline struct rte_mbuf *
link_rechain(struct link *l, struct rte_mbuf *m)
{
	uint32_t first = 14 + 60 + 60, off, total = m->pkt_len;
	struct rte_mbuf *h, *last;

	if (total <= first)
		return m;
	h = rte_pktmbuf_alloc(l->pool);
	if (h == NULL)
		return m;
	for (off = 0, last = h; off < total;) {
		uint32_t k = off == 0 ? first :
			     1 + (uint32_t)(link_rand(l) % 700);
		const void *src;

		k = RTE_MIN(k, total - off);
		if (off > 0) {
			struct rte_mbuf *n = rte_pktmbuf_alloc(l->pool);

			if (n == NULL) {
				rte_pktmbuf_free(h);
				return m;
			}
			last->next = n;
			last = n;
			h->nb_segs++;
		}
		src = rte_pktmbuf_read(m, off, k, rte_pktmbuf_mtod(last, void *));
		if (src != rte_pktmbuf_mtod(last, void *))
			memcpy(rte_pktmbuf_mtod(last, void *), src, k);
		last->data_len = (uint16_t)k;
		h->pkt_len += k;
		off += k;
	}
	h->ol_flags = m->ol_flags;
	rte_pktmbuf_free(m);
	l->chained++;
	return h;
}

/* Deliver one queued packet to its stack. */
static inline void
link_deliver(struct link *l, struct rte_mbuf *m)
{
	struct mg_pkt p;
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	const uint8_t *ip = (const uint8_t *)(eh + 1);
	struct mg_ip dst;
	int to;

	if (l->chain_rx) {
		m = link_rechain(l, m);
		eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	}
	if (mg_pkt_parse(m, &p) != MG_NET_OK) {
		rte_pktmbuf_free(m);
		return;
	}
	(void)ip;
	dst = p.dst;
	to = mg_ip_eq(&dst, &l->addr[0]) ? 0 : 1;
	l->dir[1 - to].delivered++;
	mg_tcp_input(l->st[to], m, &p, l->now);
}

/* Run until @p until (virtual us), or until idle when @p stop says so. */
static inline void
link_run_until(struct link *l, uint64_t until)
{
	while (l->now < until) {
		uint64_t next = (l->now / 1000 + 1) * 1000;

		if (l->nq > 0 && l->q[0].at < next)
			next = l->q[0].at;
		if (next > until)
			next = until;
		if (next > l->now)
			l->now = next;
		while (l->nq > 0 && l->q[0].at <= l->now) {
			struct rte_mbuf *m = l->q[0].m;

			memmove(&l->q[0], &l->q[1], (l->nq - 1) * sizeof(l->q[0]));
			l->nq--;
			link_deliver(l, m);
		}
		mg_tcp_timers(l->st[0], l->now);
		mg_tcp_timers(l->st[1], l->now);
	}
}

static inline void
link_run(struct link *l, uint64_t dt_us)
{
	link_run_until(l, l->now + dt_us);
}

/* Run until @p done(arg) or @p max_us passed; returns done's last value. */
static inline bool
link_run_cond(struct link *l, bool (*done)(void *), void *arg, uint64_t max_us)
{
	uint64_t end = l->now + max_us;

	while (l->now < end) {
		if (done(arg))
			return true;
		link_run(l, 1000);
	}
	return done(arg);
}

#endif /* MG_TEST_TCP_LINK_H */
