/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TCP stack between two instances on a scripted link: one test per
 * behaviour, chosen by name on the command line (meson runs each as its
 * own test). Deterministic: fixed seeds, a virtual clock.
 */

#include <stdio.h>
#include <string.h>

#include <rte_mbuf.h>

#include "mg_test.h"
#include "link.h"
#include "tcp_private.h"

static struct rte_mempool *pool;
static struct link L;

/* ---- a small application: sends a buffer, hashes what it reads ---- */

struct app {
	struct mg_tcp_conn *c;
	const uint8_t *tx;
	uint32_t tx_len, tx_off;
	bool shut_when_done, shut, close_on_eof;
	bool read_stop;
	bool echo;			/* send back what it reads, zero-copy */
	uint64_t rx_hash, rx_len;
	bool open, eof, reset, closed, peer_closed;
	unsigned n_ev[8];
};

#define MAX_APPS 64
static struct app apps[MAX_APPS];
static unsigned n_apps;
static struct app srv_tmpl;		/* what accepted connections do */

static uint64_t
fnv(uint64_t h, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

#define FNV0 0xcbf29ce484222325ull

static uint8_t *
random_buf(uint32_t len, uint64_t seed)
{
	uint8_t *b = malloc(len);
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 7;
	uint32_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		b[i] = (uint8_t)x;
	}
	return b;
}

static void
app_push(struct app *a)
{
	while (a->c != NULL && a->tx_off < a->tx_len) {
		uint32_t k = RTE_MIN(a->tx_len - a->tx_off, 65536u);
		int n = mg_tcp_send_copy(a->c, a->tx + a->tx_off, k, L.now);

		if (n <= 0)
			break;
		a->tx_off += (uint32_t)n;
	}
	if (a->c != NULL && a->tx_off == a->tx_len && a->shut_when_done &&
	    !a->shut) {
		a->shut = true;
		mg_tcp_shutdown(a->c, L.now);
	}
}

static void
app_read(struct app *a)
{
	struct rte_mbuf *m, *s;
	bool eof = false;

	while (a->c != NULL && !a->read_stop) {
		uint32_t n = mg_tcp_recv(a->c, &m, UINT32_MAX, &eof);

		if (n == 0) {
			if (eof)
				a->eof = true;
			break;
		}
		MG_CHECK_EQ(m->pkt_len, n);
		for (s = m; s != NULL; s = s->next)
			a->rx_hash = fnv(a->rx_hash, rte_pktmbuf_mtod(s, uint8_t *),
					 s->data_len);
		a->rx_len += n;
		rte_pktmbuf_free(m);
	}
	if (a->eof && a->close_on_eof && a->c != NULL && !a->closed)
		mg_tcp_close(a->c, L.now);
}

/* Like the echo service: take the received mbufs and queue them for
 * sending inside the callback (their ->next are relinked). */
static void
app_echo(struct app *a)
{
	struct rte_mbuf *m, *s;
	bool eof = false;

	while (a->c != NULL) {
		uint32_t room = mg_tcp_send_space(a->c), n;

		if (room == 0)
			return;
		n = mg_tcp_recv(a->c, &m, room, &eof);
		if (n == 0)
			break;
		MG_CHECK_EQ(m->pkt_len, n);
		for (s = m; s != NULL; s = s->next)
			a->rx_hash = fnv(a->rx_hash, rte_pktmbuf_mtod(s, uint8_t *),
					 s->data_len);
		a->rx_len += n;
		if (mg_tcp_send(a->c, m, L.now) != 0) {
			MG_CHECK(false);
			rte_pktmbuf_free(m);
			return;
		}
	}
	if (eof && a->c != NULL && !a->shut) {
		a->eof = true;
		a->shut = true;
		mg_tcp_shutdown(a->c, L.now);
	}
}

static void
app_event(struct mg_tcp_conn *c, enum mg_tcp_event ev, void *user)
{
	struct app *a = user;

	a->n_ev[ev]++;
	switch (ev) {
	case MG_TCP_EV_ACCEPTED:
	case MG_TCP_EV_CONNECTED:
		a->open = true;
		a->c = c;
		app_push(a);
		break;
	case MG_TCP_EV_READABLE:
		if (a->echo)
			app_echo(a);
		else
			app_read(a);
		break;
	case MG_TCP_EV_WRITABLE:
		if (a->echo)
			app_echo(a);
		else
			app_push(a);
		break;
	case MG_TCP_EV_PEER_CLOSED:
		a->peer_closed = true;
		if (a->echo)
			app_echo(a);
		else
			app_read(a);
		break;
	case MG_TCP_EV_RESET:
		if (getenv("TCP_DEBUG"))
			printf("  reset app %ld at %" PRIu64 " state %s rx %" PRIu64 " tx %u eof %d\n",
			       (long)(a - apps), L.now, mg_tcp_state_names[mg_tcp_conn_state(c)],
			       a->rx_len, a->tx_off, a->eof);
		a->reset = true;
		break;
	case MG_TCP_EV_CLOSED:
		a->closed = true;
		a->c = NULL;
		break;
	}
}

/* Free mbufs, not capped at the pool's size as rte_mempool_avail_count()
 * is: an mbuf freed twice shows as one too many. */
static unsigned
pool_free_raw(void)
{
	unsigned n = rte_mempool_get_ops(pool->ops_index)->get_count(pool), lc;

	RTE_LCORE_FOREACH(lc)
		if (pool->cache_size > 0)
			n += pool->local_cache[lc].len;
	return n;
}

static struct app *
new_app(void)
{
	struct app *a = &apps[n_apps++ % MAX_APPS];

	memset(a, 0, sizeof(*a));
	a->rx_hash = FNV0;
	return a;
}

static void
srv_event(struct mg_tcp_conn *c, enum mg_tcp_event ev, void *user)
{
	struct app *a;

	(void)user;
	if (ev != MG_TCP_EV_ACCEPTED)
		return;
	a = new_app();
	*a = srv_tmpl;
	a->rx_hash = FNV0;
	mg_tcp_set_user(c, app_event, a);
	app_event(c, ev, a);
}

static struct mg_tcp_conn_params
cparams(void)
{
	return (struct mg_tcp_conn_params){
		.rcv_buf = 256 * 1024, .snd_buf = 256 * 1024,
		.timestamps = true, .sack = true, .window_scaling = true,
		.cc = "newreno", .delack_us = 40000,
	};
}

static struct mg_tcp_listener *
listen_b(const struct mg_tcp_conn_params *cp, uint16_t port)
{
	struct mg_tcp_listen_params lp = {
		.port = port, .syn_backlog = 64, .syncookie_threshold = 0,
		.conn = *cp, .event = srv_event,
	};

	lp.addr = L.addr[1];
	return mg_tcp_listen(L.st[1], &lp);
}

static struct app *
connect_a(const struct mg_tcp_conn_params *cp, uint16_t port)
{
	struct app *a = new_app();

	a->c = mg_tcp_connect(L.st[0], &L.addr[0], &L.addr[1], port, cp,
			      app_event, a, L.now);
	MG_CHECK(a->c != NULL);
	return a;
}

static struct mg_tcp_stack_params setup_params;

static void
setup(uint64_t seed, bool v6)
{
	struct mg_tcp_stack_params p = setup_params;

	if (p.max_conns == 0)
		p.max_conns = 256;
	p.mtu = 1500;
	p.time_wait_ms = 60000;
	p.n_workers = 1;
	memset(&setup_params, 0, sizeof(setup_params));

	n_apps = 0;
	memset(&srv_tmpl, 0, sizeof(srv_tmpl));
	link_init(&L, pool, seed, v6, &p);
	MG_CHECK(L.st[0] != NULL && L.st[1] != NULL);
}

static struct mg_tcp_stats
stats(int i)
{
	struct mg_tcp_stats st;

	mg_tcp_stats_get(L.st[i], &st);
	return st;
}

static struct app *
srv_app(void)
{
	unsigned i;

	for (i = RTE_MIN(n_apps, (unsigned)MAX_APPS); i-- > 0;)
		if (apps[i].n_ev[MG_TCP_EV_ACCEPTED] > 0)
			return &apps[i];	/* the latest */
	return NULL;
}

static void
print_errors(const char *who, const struct mg_tcp_stats *st)
{
	int e;

	for (e = 0; e < MG_TCP_ERR_MAX; e++)
		if (st->errors[e] != 0)
			printf("  %s %s=%" PRIu64 "\n", who, mg_tcp_error_names[e],
			       st->errors[e]);
}

/* ---- bulk transfer both ways ---- */

struct bulk_opts {
	const char *cc;
	uint32_t loss_pm, dup_pm, reorder_pm;
	uint64_t delay_us, jitter_us;
	uint32_t size;
	bool sack, v6;
	uint64_t seed;
	bool echo;		/* B echoes A's data (zero-copy) instead of sending */
	uint32_t reseg_pm, split_pm, overlap_pm;	/* A sends like Linux */
	bool pad, chain, no_ts;
	uint32_t fail_nth[2];	/* xmit of that segment fails, per direction */
};

/*
 * The receive side's books of @p c agree with its queues: the
 * reassembly list sorted, without overlaps, beyond rcv_nxt, its bytes
 * and segments counted; the receive queue's bytes counted; no cycles.
 */
static void
check_books(const struct mg_tcp_conn *c)
{
	const struct mg_tcp_stack *s;
	struct rte_mbuf *m;
	uint32_t bytes = 0, segs = 0, guard = 100000, prev_end;

	if (c == NULL || (c->flags & TF_DEAD))
		return;
	s = c->stack;
	prev_end = c->rcv_nxt;
	for (m = c->reass; m != NULL && guard-- > 0;
	     m = tcp_mbuf_reass(s, m)->next) {
		uint32_t seq = tcp_mbuf_reass(s, m)->seq;

		MG_CHECK(mg_seq_geq(seq, prev_end) && (segs == 0 ? seq != c->rcv_nxt : true));
		MG_CHECK(m->pkt_len > 0);
		prev_end = seq + m->pkt_len;
		bytes += m->pkt_len;
		segs++;
	}
	MG_CHECK(guard > 0);
	MG_CHECK_EQ(bytes, c->reass_bytes);
	MG_CHECK_EQ(segs, c->reass_segs);
	bytes = 0;
	guard = 1000000;
	for (m = c->rcv_head; m != NULL && guard-- > 0; m = m->next) {
		bytes += m->data_len;
		if (m->next == NULL)
			MG_CHECK(m == c->rcv_tail);
	}
	MG_CHECK(guard > 0);
	MG_CHECK_EQ(bytes, c->rcv_queued);
}

static bool
bulk_done(void *arg)
{
	struct app **ab = arg;

	return ab[0]->closed && ab[1] != NULL && ab[1]->closed;
}

static bool
dbg_filter(struct link *l, int dir, struct rte_mbuf *m, struct rte_tcp_hdr *th,
	   void *arg)
{
	(void)m;
	(void)arg;
	if (th->tcp_flags & (RTE_TCP_FIN_FLAG | RTE_TCP_RST_FLAG | RTE_TCP_SYN_FLAG))
		printf("  %" PRIu64 " %s flags %02x seq %u ack %u\n", l->now,
		       dir ? "B>A" : "A>B", th->tcp_flags,
		       rte_be_to_cpu_32(th->sent_seq), rte_be_to_cpu_32(th->recv_ack));
	return false;
}

static uint64_t
bulk(const struct bulk_opts *o)
{
	struct mg_tcp_conn_params cp = cparams();
	uint8_t *da, *db;
	struct app *a, *ab[2];
	struct mg_tcp_stats sa, sb;
	int d;

	setup(o->seed, o->v6);
	cp.cc = o->cc;
	cp.sack = o->sack;
	if (o->no_ts)
		cp.timestamps = false;
	if (o->reseg_pm || o->split_pm || o->overlap_pm)
		link_linux_like(&L, 0, o->reseg_pm, o->split_pm, o->overlap_pm,
				o->size + (1u << 20));
	L.pad_short = o->pad;
	L.chain_rx = o->chain;
	L.dir[0].fail_nth = o->fail_nth[0];
	L.dir[1].fail_nth = o->fail_nth[1];
	for (d = 0; d < 2; d++) {
		L.dir[d].loss_pm = o->loss_pm;
		L.dir[d].dup_pm = o->dup_pm;
		L.dir[d].reorder_pm = o->reorder_pm;
		L.dir[d].delay_us = o->delay_us;
		L.dir[d].jitter_us = o->jitter_us;
	}
	da = random_buf(o->size, o->seed + 1);
	db = random_buf(o->size, o->seed + 2);
	if (o->echo) {
		srv_tmpl.echo = true;
	} else {
		srv_tmpl.tx = db;
		srv_tmpl.tx_len = o->size;
		srv_tmpl.shut_when_done = true;
	}
	if (getenv("TCP_DEBUG"))
		L.filter = dbg_filter;
	MG_CHECK(listen_b(&cp, 80) != NULL);
	a = connect_a(&cp, 80);
	a->tx = da;
	a->tx_len = o->size;
	a->shut_when_done = true;
	ab[0] = a;
	ab[1] = NULL;
	while (!bulk_done(ab) && L.now < 4000ull * 1000000) {
		link_run(&L, 1000);
		ab[1] = srv_app();
		check_books(a->c);
		if (ab[1] != NULL)
			check_books(ab[1]->c);
		if (getenv("TCP_DEBUG") && L.now % 20000000 == 0)
			for (d = 0; d < 2; d++) {
				struct mg_tcp_conn *c = d ? (ab[1] ? ab[1]->c : NULL) : a->c;

				if (c == NULL)
					continue;
				printf("  %c %s una %u nxt %u max %u q %u wnd %u cwnd %u rcv_nxt %u adv %u rq %u reass %u/%u flags %x rtx_shift %u t_rtx %lu\n",
				       'A' + d, mg_tcp_state_names[c->state], c->snd_una - c->iss,
				       c->snd_nxt - c->iss, c->snd_max - c->iss, c->snd_queued,
				       c->snd_wnd, c->ccs.cwnd, c->rcv_nxt - c->irs, c->rcv_adv - c->irs,
				       c->rcv_queued, c->reass_bytes, c->reass_segs, c->flags,
				       c->rtx_shift, (unsigned long)c->t_rtx);
			}
	}
	MG_CHECK(ab[1] != NULL);
	if (ab[1] == NULL)
		return 0;
	MG_CHECK(a->eof && ab[1]->eof);
	MG_CHECK(a->closed && ab[1]->closed);
	MG_CHECK(!a->reset && !ab[1]->reset);
	MG_CHECK_EQ(a->rx_len, o->size);
	MG_CHECK_EQ(ab[1]->rx_len, o->size);
	MG_CHECK(a->rx_hash == fnv(FNV0, o->echo ? da : db, o->size));
	MG_CHECK(ab[1]->rx_hash == fnv(FNV0, da, o->size));
	sa = stats(0);
	sb = stats(1);
	print_errors("A", &sa);
	print_errors("B", &sb);
	if (getenv("TCP_DEBUG"))
		for (d = 0; d < MG_TCP_N_STATES; d++)
			if (sa.conns_by_state[d] || sb.conns_by_state[d])
				printf("  state %s: A %" PRIu64 " B %" PRIu64 "\n",
				       mg_tcp_state_names[d], sa.conns_by_state[d],
				       sb.conns_by_state[d]);
	MG_CHECK_EQ(sa.errors[MG_TCP_ERR_BAD_CHECKSUM] +
		    sb.errors[MG_TCP_ERR_BAD_CHECKSUM], 0);
	if (o->pad)
		MG_CHECK(L.padded > 0);
	if (o->fail_nth[0] != 0)
		MG_CHECK_EQ(sa.errors[MG_TCP_ERR_XMIT_FAILED], 1);
	if (o->fail_nth[1] != 0)
		MG_CHECK_EQ(sb.errors[MG_TCP_ERR_XMIT_FAILED], 1);
	printf("  %s loss=%u dup=%u reord=%u sack=%d: %.3f s virtual, "
	       "rtx A=%" PRIu64 " B=%" PRIu64 ", segs A=%" PRIu64 "\n",
	       o->cc, o->loss_pm, o->dup_pm, o->reorder_pm, o->sack,
	       (double)(L.now - 1000000) / 1e6, sa.retransmits, sb.retransmits,
	       sa.segs_out);
	/* Both shut down at about the same time: one or both (simultaneous
	 * close) end in TIME-WAIT; memory is back. */
	MG_CHECK(sa.conns_by_state[MG_TCP_TIME_WAIT] +
		 sb.conns_by_state[MG_TCP_TIME_WAIT] >= 1);
	MG_CHECK_EQ(sa.conns_by_state[MG_TCP_ESTABLISHED] +
		    sb.conns_by_state[MG_TCP_ESTABLISHED], 0);
	MG_CHECK_EQ(sa.memory, 0);
	MG_CHECK_EQ(sb.memory, 0);
	free(da);
	free(db);
	link_free(&L);
	MG_CHECK_EQ(pool_free_raw(), pool->size);
	return sa.retransmits + sb.retransmits;
}

static void
t_bulk_clean(void)
{
	struct bulk_opts o = { .cc = "newreno", .size = 8u << 20, .sack = true,
			       .delay_us = 1000, .seed = 11 };

	bulk(&o);
	o.cc = "cubic";
	bulk(&o);
}

static void
t_bulk_lossy(void)
{
	struct bulk_opts o = { .cc = "newreno", .size = 8u << 20, .sack = true,
			       .loss_pm = 10, .dup_pm = 10, .reorder_pm = 10,
			       .delay_us = 1000, .jitter_us = 2000, .seed = 12 };

	bulk(&o);
	o.cc = "cubic";
	bulk(&o);
	o.sack = false;
	bulk(&o);
}

static void
t_bulk_v6(void)
{
	struct bulk_opts o = { .cc = "cubic", .size = 1u << 20, .sack = true,
			       .loss_pm = 10, .delay_us = 500, .jitter_us = 1000,
			       .reorder_pm = 10, .v6 = true, .seed = 13 };

	bulk(&o);
}


/* A Linux-like sender to a zero-copy echo: retransmissions with other
 * bounds, split segments, duplicates overlapping queued data, with loss,
 * duplication and reordering. */
static void
t_reass_linux(void)
{
	struct bulk_opts o = { .cc = "cubic", .size = 2u << 20, .sack = true,
			       .loss_pm = 20, .dup_pm = 10, .reorder_pm = 30,
			       .delay_us = 1000, .jitter_us = 3000, .seed = 14,
			       .echo = true, .reseg_pm = 100, .split_pm = 50,
			       .overlap_pm = 50 };

	bulk(&o);
	o.sack = false;
	o.seed = 15;
	bulk(&o);
	o.sack = true;
	o.v6 = true;
	o.seed = 16;
	bulk(&o);
}

/* Frames padded to the Ethernet minimum (the pad must not count as data
 * or in the checksum), and frames as chains split at odd offsets. */
static void
t_rx_frames(void)
{
	struct bulk_opts o = { .cc = "newreno", .size = 256u << 10, .sack = true,
			       .loss_pm = 10, .delay_us = 1000, .seed = 17,
			       .echo = true, .split_pm = 300, .pad = true,
			       .no_ts = true };

	bulk(&o);
	o.pad = false;
	o.chain = true;
	o.split_pm = 50;
	o.reseg_pm = 50;
	o.seed = 18;
	bulk(&o);
	o.v6 = true;
	o.seed = 19;
	bulk(&o);
}

/* ---- helpers for single-behaviour tests ---- */

static uint32_t
tcp_payload(struct rte_mbuf *m, struct rte_tcp_hdr *th)
{
	unsigned l3;

	link_tcp(m, &l3);
	return m->pkt_len - l3 - (th->data_off >> 4) * 4u;
}

/* Find option @p kind in a segment; returns its bytes or NULL. */
static const uint8_t *
tcp_opt(struct rte_tcp_hdr *th, uint8_t kind)
{
	const uint8_t *o = (const uint8_t *)(th + 1);
	unsigned len = (th->data_off >> 4) * 4u - 20, i = 0;

	while (i < len) {
		if (o[i] == 0)
			break;
		if (o[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= len || o[i + 1] < 2)
			break;
		if (o[i] == kind)
			return &o[i];
		i += o[i + 1];
	}
	return NULL;
}

/* A hand-made IPv4 segment delivered to stack @p to. */
static int
inject(int to, const struct mg_ip *src, uint16_t sport, const struct mg_ip *dst,
       uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd,
       const uint8_t *opt, unsigned optlen, uint32_t dlen)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	unsigned total = 14 + 20 + 20 + optlen + dlen;
	uint8_t *b = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)total);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(b + 14);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);
	struct mg_pkt p;

	memset(b, 0, total);
	((struct rte_ether_hdr *)b)->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(total - 14));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = src->v4;
	ip->dst_addr = dst->v4;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	th->src_port = rte_cpu_to_be_16(sport);
	th->dst_port = rte_cpu_to_be_16(dport);
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32(ack);
	th->data_off = (uint8_t)(((20 + optlen) / 4) << 4);
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(wnd);
	if (optlen)
		memcpy(th + 1, opt, optlen);
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	if (mg_pkt_parse(m, &p) != MG_NET_OK) {
		rte_pktmbuf_free(m);
		return -1;
	}
	return mg_tcp_input(L.st[to], m, &p, L.now);
}

/* Segment from A's connection to B, forged with A's numbers. */
static int
inject_as_a(struct mg_tcp_conn *ca, uint32_t seq, uint8_t flags)
{
	return inject(1, &ca->laddr, ca->lport, &ca->raddr, ca->rport, seq,
		      ca->rcv_nxt, flags, 1000, NULL, 0, 0);
}

/* Connect A to B:80 and run until both sides are open. */
static struct app *
open_pair(const struct mg_tcp_conn_params *ca, const struct mg_tcp_conn_params *cb,
	  struct app **srv)
{
	struct app *a;

	if (tcp_listener_find(L.st[1], &L.addr[1], 80) == NULL)
		MG_CHECK(listen_b(cb, 80) != NULL);
	a = connect_a(ca, 80);
	link_run(&L, 50000);
	*srv = srv_app();
	MG_CHECK(a->open);
	MG_CHECK(*srv != NULL && (*srv)->open);
	return a;
}

static uint32_t seg_count[2], data_segs[2], max_payload[2], syns[2], fins[2];
static uint32_t acks_with_sack[2], zero_wnd[2], probes[2];
static uint64_t last_seg_at[2];

static bool
count_filter(struct link *l, int dir, struct rte_mbuf *m, struct rte_tcp_hdr *th,
	     void *arg)
{
	uint32_t n = tcp_payload(m, th);

	(void)arg;
	seg_count[dir]++;
	last_seg_at[dir] = l->now;
	if (n > 0)
		data_segs[dir]++;
	if (n > max_payload[dir])
		max_payload[dir] = n;
	if (th->tcp_flags & RTE_TCP_SYN_FLAG)
		syns[dir]++;
	if (th->tcp_flags & RTE_TCP_FIN_FLAG)
		fins[dir]++;
	if (tcp_opt(th, 5) != NULL)
		acks_with_sack[dir]++;
	if (th->rx_win == 0 && !(th->tcp_flags & RTE_TCP_RST_FLAG))
		zero_wnd[dir]++;
	return false;
}

static void
reset_counts(void)
{
	memset(seg_count, 0, sizeof(seg_count));
	memset(data_segs, 0, sizeof(data_segs));
	memset(max_payload, 0, sizeof(max_payload));
	memset(syns, 0, sizeof(syns));
	memset(fins, 0, sizeof(fins));
	memset(acks_with_sack, 0, sizeof(acks_with_sack));
	memset(zero_wnd, 0, sizeof(zero_wnd));
	memset(probes, 0, sizeof(probes));
	L.filter = count_filter;
}

static void
teardown(void)
{
	link_free(&L);
	MG_CHECK_EQ(pool_free_raw(), pool->size);
}

/* ---- state machine ---- */

static void
t_handshake(void)
{
	struct mg_tcp_conn_params cp = cparams();
	struct app *a, *b;
	struct mg_tcp_stats sa, sb;

	setup(21, false);
	L.dir[0].delay_us = L.dir[1].delay_us = 1000;
	reset_counts();
	a = open_pair(&cp, &cp, &b);
	MG_CHECK_EQ(seg_count[0], 2);		/* SYN, ACK */
	MG_CHECK_EQ(seg_count[1], 1);		/* SYN-ACK */
	MG_CHECK_EQ(a->n_ev[MG_TCP_EV_CONNECTED], 1);
	MG_CHECK_EQ(b->n_ev[MG_TCP_EV_ACCEPTED], 1);
	MG_CHECK_EQ(mg_tcp_conn_state(a->c), MG_TCP_ESTABLISHED);
	MG_CHECK_EQ(mg_tcp_conn_state(b->c), MG_TCP_ESTABLISHED);
	sa = stats(0);
	sb = stats(1);
	MG_CHECK_EQ(sa.conns_by_state[MG_TCP_ESTABLISHED], 1);
	MG_CHECK_EQ(sb.conns_by_state[MG_TCP_ESTABLISHED], 1);
	MG_CHECK_EQ(sa.active_opens, 1);
	MG_CHECK_EQ(sb.passive_opens, 1);
	/* Negotiated: timestamps, SACK, window scale; RTT from the SYN. */
	MG_CHECK(a->c->flags & TF_TS);
	MG_CHECK(b->c->flags & TF_SACK);
	MG_CHECK_EQ(a->c->snd_wscale, b->c->rcv_wscale);
	MG_CHECK(a->c->srtt_us >= 1900 && a->c->srtt_us <= 3100);
	/* Ports: A's local port is from its range. */
	MG_CHECK(a->c->lport >= 40000 && a->c->lport <= 40999);
	MG_CHECK(mg_tcp_owns(L.st[0], &(struct mg_pkt){ .l4_proto = IPPROTO_TCP,
		.src = L.addr[1], .dst = L.addr[0], .sport = 80,
		.dport = a->c->lport }));
	/* No listener on B:81: RST, counted. */
	inject(1, &L.addr[0], 1234, &L.addr[1], 81, 1, 0, RTE_TCP_SYN_FLAG,
	       1000, NULL, 0, 0);
	MG_CHECK_EQ(stats(1).errors[MG_TCP_ERR_NO_LISTENER], 1);
	teardown();
}

static void
t_simultaneous_open(void)
{
	struct mg_tcp_conn_params cp = cparams();
	struct app *a = new_app(), *b = new_app();
	struct mg_tcp_stack_params p = { .max_conns = 16, .mtu = 1500,
					 .n_workers = 1 };

	memset(&L, 0, sizeof(L));
	n_apps = 0;
	a = new_app();
	b = new_app();
	p.port_min = p.port_max = 5000;
	link_init(&L, pool, 22, false, &p);
	mg_tcp_stack_free(L.st[1]);
	p.port_min = p.port_max = 6000;
	p.xmit = link_xmit;
	p.pool = pool;
	p.xmit_ctx = &L.ctx[1];
	L.st[1] = mg_tcp_stack_create(&p);
	L.dir[0].delay_us = L.dir[1].delay_us = 5000;
	reset_counts();
	a->c = mg_tcp_connect(L.st[0], &L.addr[0], &L.addr[1], 6000, &cp,
			      app_event, a, L.now);
	b->c = mg_tcp_connect(L.st[1], &L.addr[1], &L.addr[0], 5000, &cp,
			      app_event, b, L.now);
	MG_CHECK(a->c != NULL && b->c != NULL);
	link_run(&L, 100000);
	MG_CHECK(a->open && b->open);
	MG_CHECK_EQ(a->n_ev[MG_TCP_EV_CONNECTED], 1);
	MG_CHECK_EQ(b->n_ev[MG_TCP_EV_CONNECTED], 1);
	MG_CHECK_EQ(mg_tcp_conn_state(a->c), MG_TCP_ESTABLISHED);
	MG_CHECK_EQ(mg_tcp_conn_state(b->c), MG_TCP_ESTABLISHED);
	MG_CHECK_EQ(syns[0], 2);	/* SYN, then SYN-ACK */
	MG_CHECK_EQ(syns[1], 2);
	MG_CHECK_EQ(mg_tcp_send_copy(a->c, "hello", 5, L.now), 5);
	link_run(&L, 100000);
	MG_CHECK_EQ(b->rx_len, 5);
	teardown();
}

static void
t_simultaneous_close(void)
{
	struct mg_tcp_conn_params cp = cparams();
	struct app *a, *b;

	setup(23, false);
	L.dir[0].delay_us = L.dir[1].delay_us = 5000;
	reset_counts();
	a = open_pair(&cp, &cp, &b);
	mg_tcp_shutdown(a->c, L.now);
	mg_tcp_shutdown(b->c, L.now);
	MG_CHECK_EQ(mg_tcp_conn_state(a->c), MG_TCP_FIN_WAIT_1);
	link_run(&L, 7000);
	MG_CHECK_EQ(stats(0).conns_by_state[MG_TCP_CLOSING], 1);
	MG_CHECK_EQ(stats(1).conns_by_state[MG_TCP_CLOSING], 1);
	link_run(&L, 100000);
	MG_CHECK(a->closed && b->closed && a->eof && b->eof);
	MG_CHECK(!a->reset && !b->reset);
	MG_CHECK_EQ(stats(0).conns_by_state[MG_TCP_TIME_WAIT], 1);
	MG_CHECK_EQ(stats(1).conns_by_state[MG_TCP_TIME_WAIT], 1);
	/* 2 MSL later both are gone. */
	link_run(&L, 61000000);
	MG_CHECK_EQ(stats(0).conns_by_state[MG_TCP_TIME_WAIT], 0);
	MG_CHECK_EQ(stats(1).conns_by_state[MG_TCP_TIME_WAIT], 0);
	teardown();
}

static void
t_half_close(void)
{
	struct mg_tcp_conn_params cp = cparams();
	struct app *a, *b;
	uint8_t *buf = random_buf(100000, 5);

	setup(24, false);
	L.dir[0].delay_us = L.dir[1].delay_us = 2000;
	a = open_pair(&cp, &cp, &b);
	MG_CHECK_EQ(mg_tcp_send_copy(a->c, buf, 1000, L.now), 1000);
	reset_counts();
	mg_tcp_shutdown(a->c, L.now);
	link_run(&L, 50000);
	MG_CHECK(b->eof && b->peer_closed);
	MG_CHECK_EQ(b->rx_len, 1000);
	MG_CHECK_EQ(mg_tcp_conn_state(b->c), MG_TCP_CLOSE_WAIT);
	MG_CHECK_EQ(mg_tcp_conn_state(a->c), MG_TCP_FIN_WAIT_2);
	/* B goes on sending after A's FIN; A still reads, and sends no
	 * second FIN (once acknowledged, a FIN is not due again). */
	b->tx = buf;
	b->tx_len = 100000;
	b->shut_when_done = true;
	app_push(b);
	link_run(&L, 500000);
	MG_CHECK_EQ(a->rx_len, 100000);
	MG_CHECK(a->rx_hash == fnv(FNV0, buf, 100000));
	MG_CHECK(a->eof && a->closed && b->closed);
	MG_CHECK_EQ(fins[0], 1);
	MG_CHECK_EQ(stats(0).conns_by_state[MG_TCP_TIME_WAIT], 1);
	free(buf);
	teardown();
}

static void
t_rst(void)
{
	struct mg_tcp_conn_params cp = cparams();
	struct app *a, *b;

	setup(25, false);
	L.dir[0].delay_us = L.dir[1].delay_us = 1000;
	a = open_pair(&cp, &cp, &b);
	mg_tcp_abort(a->c, L.now);
	MG_CHECK(a->closed && !a->reset);
	MG_CHECK_EQ(a->n_ev[MG_TCP_EV_CLOSED], 1);
	link_run(&L, 10000);
	MG_CHECK(b->reset && b->closed);
	MG_CHECK_EQ(b->n_ev[MG_TCP_EV_RESET], 1);
	MG_CHECK_EQ(stats(1).conns_by_state[MG_TCP_ESTABLISHED], 0);
	/* Close with unread data also resets the peer (RFC 2525). */
	a = open_pair(&cp, &cp, &b);
	b->read_stop = true;
	mg_tcp_send_copy(a->c, "data", 4, L.now);
	link_run(&L, 10000);
	mg_tcp_close(b->c, L.now);
	link_run(&L, 10000);
	MG_CHECK(a->reset && a->closed && b->closed);
	teardown();
}


/* ---- TIME-WAIT ---- */

static void
t_time_wait_reuse(void)
{
	struct mg_tcp_conn_params cp = cparams();
	struct app *a, *b;
	uint32_t old_max;
	uint16_t port;

	setup_params.port_min = setup_params.port_max = 7000;
	setup(26, false);
	L.dir[0].delay_us = L.dir[1].delay_us = 1000;
	a = open_pair(&cp, &cp, &b);
	port = a->c->lport;
	MG_CHECK_EQ(port, 7000);
	/* A closes first: A holds TIME-WAIT. */
	b->close_on_eof = true;
	mg_tcp_shutdown(a->c, L.now);
	old_max = a->c->snd_max;
	link_run(&L, 50000);
	MG_CHECK(a->closed && b->closed);
	MG_CHECK_EQ(stats(0).conns_by_state[MG_TCP_TIME_WAIT], 1);
	MG_CHECK_EQ(stats(1).conns_by_state[MG_TCP_CLOSED] +
		    stats(1).conns_by_state[MG_TCP_ESTABLISHED], 0);
	/* Same 4-tuple again: TIME-WAIT is reused (timestamps, later clock),
	 * with an ISN beyond the old sequence space. */
	a = connect_a(&cp, 80);
	MG_CHECK(a->c != NULL);
	if (a->c == NULL)
		goto out;
	MG_CHECK_EQ(a->c->lport, 7000);
	MG_CHECK(mg_seq_gt(a->c->iss, old_max));
	link_run(&L, 50000);
	MG_CHECK(a->open);
	MG_CHECK_EQ(stats(0).conns_by_state[MG_TCP_TIME_WAIT], 0);

	/* B closes first now: B holds TIME-WAIT, and A's next SYN with a
	 * newer timestamp takes it over (RFC 6191). */
	b = srv_app();
	for (unsigned i = 0; i < n_apps; i++)
		if (apps[i].open && !apps[i].closed && &apps[i] != a)
			b = &apps[i];
	a->close_on_eof = true;
	mg_tcp_shutdown(b->c, L.now);
	link_run(&L, 50000);
	MG_CHECK(a->closed && b->closed);
	MG_CHECK_EQ(stats(1).conns_by_state[MG_TCP_TIME_WAIT], 1);
	a = connect_a(&cp, 80);
	link_run(&L, 50000);
	MG_CHECK(a->open);
	MG_CHECK_EQ(stats(1).conns_by_state[MG_TCP_TIME_WAIT], 0);
	MG_CHECK_EQ(stats(1).conns_by_state[MG_TCP_ESTABLISHED], 1);
	mg_tcp_abort(a->c, L.now);
	link_run(&L, 50000);

	/* Without timestamps TIME-WAIT is not reused: no port. */
	cp.timestamps = false;
	a = connect_a(&cp, 80);
	link_run(&L, 50000);
	b->close_on_eof = false;
	for (unsigned i = 0; i < n_apps; i++)
		if (apps[i].open && !apps[i].closed && &apps[i] != a)
			apps[i].close_on_eof = true;
	mg_tcp_shutdown(a->c, L.now);
	link_run(&L, 50000);
	MG_CHECK_EQ(stats(0).conns_by_state[MG_TCP_TIME_WAIT], 1);
	MG_CHECK(mg_tcp_connect(L.st[0], &L.addr[0], &L.addr[1], 80, &cp,
				app_event, new_app(), L.now) == NULL);
	MG_CHECK_EQ(stats(0).errors[MG_TCP_ERR_NO_LOCAL_PORT], 1);
	/* After 2 MSL the port is free. */
	link_run(&L, 61000000);
	a = connect_a(&cp, 80);
	MG_CHECK(a->c != NULL);
	link_run(&L, 50000);
	MG_CHECK(a->open);
out:
	teardown();
}

/* ---- retransmission of SYN and FIN; RTO ---- */

static void
t_syn_retransmit(void)
{
	struct mg_tcp_conn_params cp = cparams();
	struct app *a, *b;
	uint64_t t0;

	setup(27, false);
	L.dir[0].delay_us = L.dir[1].delay_us = 1000;
	L.dir[0].drop_nth[0] = 1;	/* first SYN */
	L.dir[0].drop_nth[1] = 2;	/* second SYN */
	L.dir[1].drop_nth[0] = 1;	/* first SYN-ACK */
	L.dir[0].n_drop = 2;
	L.dir[1].n_drop = 1;
	reset_counts();
	t0 = L.now;
	MG_CHECK(listen_b(&cp, 80) != NULL);
	a = connect_a(&cp, 80);
	link_run(&L, 2900000);
	MG_CHECK(!a->open);
	/* SYNs at 0, 1 s, 3 s (back-off); SYN-ACK lost once, sent again
	 * when B's timer fires (1 s) or the SYN comes again. */
	link_run(&L, 3000000);
	MG_CHECK(a->open);
	b = srv_app();
	MG_CHECK(b != NULL && b->open);
	MG_CHECK_EQ(syns[0], 3);
	MG_CHECK(syns[1] >= 2);
	MG_CHECK(L.now - t0 > 3000000);
	/* SYN given up after the retries: RESET, counted. */
	L.dir[0].down = true;
	a = connect_a(&cp, 80);
	link_run(&L, 200000000);
	MG_CHECK(a->reset && a->closed);
	MG_CHECK_EQ(stats(0).errors[MG_TCP_ERR_RETRANSMIT_TIMEOUT], 1);
	teardown();
}

static bool fin_dropped;

static bool
drop_first_fin(struct link *l, int dir, struct rte_mbuf *m,
	       struct rte_tcp_hdr *th, void *arg)
{
	count_filter(l, dir, m, th, arg);
	if (dir == 0 && (th->tcp_flags & RTE_TCP_FIN_FLAG) && !fin_dropped) {
		fin_dropped = true;
		return true;
	}
	return false;
}

static void
t_fin_retransmit(void)
{
	struct mg_tcp_conn_params cp = cparams();
	struct app *a, *b;

	setup(28, false);
	L.dir[0].delay_us = L.dir[1].delay_us = 1000;
	a = open_pair(&cp, &cp, &b);
	reset_counts();
	fin_dropped = false;
	L.filter = drop_first_fin;
	b->close_on_eof = true;
	mg_tcp_shutdown(a->c, L.now);
	link_run(&L, 100000);
	MG_CHECK(!b->eof);
	MG_CHECK_EQ(fins[0], 1);
	link_run(&L, 1000000);
	MG_CHECK(b->eof && a->closed && b->closed);
	MG_CHECK(fins[0] >= 2);
	teardown();
}

static uint64_t rtx_times[16];
static unsigned n_rtx_times;
static uint32_t watch_seq;

static bool
watch_seq_filter(struct link *l, int dir, struct rte_mbuf *m,
		 struct rte_tcp_hdr *th, void *arg)
{
	(void)arg;
	if (dir == 0 && tcp_payload(m, th) > 0 &&
	    rte_be_to_cpu_32(th->sent_seq) == watch_seq && n_rtx_times < 16)
		rtx_times[n_rtx_times++] = l->now;
	return false;
}

static void
t_rto_backoff(void)
{
	struct mg_tcp_conn_params cp = cparams();
	struct app *a, *b;
	uint32_t srtt, i;

	cp.timestamps = false;		/* Karn's rule is about timing */
	setup(29, false);
	L.dir[0].delay_us = L.dir[1].delay_us = 10000;
	a = open_pair(&cp, &cp, &b);
	srtt = a->c->srtt_us;
	MG_CHECK(srtt >= 19000 && srtt <= 21000);
	watch_seq = a->c->snd_nxt;
	n_rtx_times = 0;
	L.filter = watch_seq_filter;
	L.dir[0].down = true;
	mg_tcp_send_copy(a->c, "x", 1, L.now);
	link_run(&L, 3500000);
	/* Sent, then resent at RTO (200 ms floor), 2x, 4x, 8x ... */
	MG_CHECK(n_rtx_times >= 4);
	for (i = 2; i + 1 < n_rtx_times; i++)
		MG_CHECK_EQ(rtx_times[i + 1] - rtx_times[i],
			    2 * (rtx_times[i] - rtx_times[i - 1]));
	MG_CHECK_EQ(rtx_times[1] - rtx_times[0], 200000);
	MG_CHECK(a->c->rtx_shift >= 4);
	/* The retransmitted segment is ACKed: no RTT sample (Karn), srtt
	 * stays, and the backed-off RTO is kept until a fresh sample. */
	L.dir[0].down = false;
	link_run(&L, 10000000);
	MG_CHECK_EQ(b->rx_len, 1);
	MG_CHECK_EQ(a->c->srtt_us, srtt);
	MG_CHECK(a->c->rtx_shift > 0);
	mg_tcp_send_copy(a->c, "y", 1, L.now);
	link_run(&L, 100000);
	MG_CHECK_EQ(a->c->rtx_shift, 0);	/* new sample */
	/* User timeout: give up and reset. */
	a->c->user_timeout_ms = 5000;
	L.dir[0].down = true;
	mg_tcp_send_copy(a->c, "z", 1, L.now);
	link_run(&L, 30000000);
	MG_CHECK(a->reset && a->closed);
	MG_CHECK_EQ(stats(0).errors[MG_TCP_ERR_RETRANSMIT_TIMEOUT], 1);
	teardown();
}

/* ---- options ---- */

static void
t_mss(void)
{
	struct mg_tcp_conn_params ca = cparams(), cb = cparams();
	struct app *a, *b;
	uint8_t *buf = random_buf(200000, 9);

	ca.mss = 1000;
	setup(30, false);
	L.dir[0].delay_us = L.dir[1].delay_us = 1000;
	reset_counts();
	a = open_pair(&ca, &cb, &b);
	MG_CHECK_EQ(b->c->smss, 1000);
	MG_CHECK_EQ(a->c->smss, 1460);
	a->tx = buf;
	a->tx_len = 200000;
	b->tx = buf;
	b->tx_len = 200000;
	app_push(a);
	app_push(b);
	link_run(&L, 500000);
	MG_CHECK_EQ(a->rx_len, 200000);
	MG_CHECK_EQ(b->rx_len, 200000);
	/* Data per segment: MSS less the timestamp option. */
	MG_CHECK_EQ(max_payload[1], 1000 - 12);
	MG_CHECK_EQ(max_payload[0], 1460 - 12);
	/* Without an MSS option: 536. */
	inject(1, &L.addr[0], 999, &L.addr[1], 80, 100, 0, RTE_TCP_SYN_FLAG,
	       1000, NULL, 0, 0);
	{
		struct mg_tcp_conn *c = tcp_conn_lookup(L.st[1], &L.addr[1], 80,
							&L.addr[0], 999);

		MG_CHECK(c != NULL && c->smss == 536);
	}
	free(buf);
	teardown();
}

static void
t_window_scaling(void)
{
	struct mg_tcp_conn_params cp = cparams();
	struct app *a, *b;
	uint8_t *buf = random_buf(4u << 20, 3);
	uint32_t max_flight = 0;

	cp.rcv_buf = cp.snd_buf = 1u << 20;
	setup(31, false);
	L.dir[0].delay_us = L.dir[1].delay_us = 5000;
	a = open_pair(&cp, &cp, &b);
	MG_CHECK_EQ(a->c->rcv_wscale, 5);	/* 1 MiB needs 2^5 */
	MG_CHECK_EQ(b->c->snd_wscale, 5);
	MG_CHECK_EQ(a->c->snd_wscale, 5);
	a->tx = buf;
	a->tx_len = 4u << 20;
	app_push(a);
	while (b->rx_len < (4u << 20) && L.now < 20000000) {
		link_run(&L, 1000);
		if (a->c != NULL && tcp_flight(a->c) > max_flight)
			max_flight = tcp_flight(a->c);
	}
	MG_CHECK_EQ(b->rx_len, 4u << 20);
	MG_CHECK(max_flight > 65535);
	/* One side without: neither scales. */
	cp.window_scaling = false;
	a = connect_a(&cp, 80);
	link_run(&L, 50000);
	MG_CHECK(a->open);
	MG_CHECK_EQ(a->c->rcv_wscale, 0);
	MG_CHECK_EQ(a->c->snd_wscale, 0);
	MG_CHECK(a->c->rcv_adv - a->c->rcv_nxt <= 65535);
	free(buf);
	teardown();
}

static struct rte_mbuf *saved_seg;

static bool
save_data_seg(struct link *l, int dir, struct rte_mbuf *m,
	      struct rte_tcp_hdr *th, void *arg)
{
	(void)l;
	(void)arg;
	if (dir == 0 && saved_seg == NULL && tcp_payload(m, th) > 0)
		saved_seg = rte_pktmbuf_copy(m, pool, 0, UINT32_MAX);
	return false;
}

static void
t_paws(void)
{
	struct mg_tcp_conn_params cp = cparams();
	struct app *a, *b;
	struct rte_mbuf *m;
	struct rte_tcp_hdr *th;
	struct rte_ether_hdr *eh;
	struct mg_pkt p;
	unsigned l3;
	uint32_t rx;

	setup(32, false);
	L.dir[0].delay_us = L.dir[1].delay_us = 1000;
	a = open_pair(&cp, &cp, &b);
	saved_seg = NULL;
	L.filter = save_data_seg;
	mg_tcp_send_copy(a->c, "first", 5, L.now);
	link_run(&L, 100000);
	mg_tcp_send_copy(a->c, "second", 6, L.now);
	link_run(&L, 100000);
	MG_CHECK(saved_seg != NULL);
	if (saved_seg == NULL)
		goto out;
	rx = (uint32_t)b->rx_len;
	/* The old segment again, its sequence number moved into the
	 * window: only its old timestamp gives it away. */
	m = saved_seg;
	th = link_tcp(m, &l3);
	th->sent_seq = rte_cpu_to_be_32(b->c->rcv_nxt);
	link_fix_csum(m);
	eh = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, sizeof(*eh));
	memset(eh, 0, sizeof(*eh));
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	MG_CHECK(mg_pkt_parse(m, &p) == MG_NET_OK);
	MG_CHECK_EQ(mg_tcp_input(L.st[1], m, &p, L.now), MG_TCP_ERR_PAWS_REJECTED);
	MG_CHECK_EQ(stats(1).errors[MG_TCP_ERR_PAWS_REJECTED], 1);
	link_run(&L, 10000);
	MG_CHECK_EQ(b->rx_len, rx);
	/* Timestamps echo: B's TS.Recent follows A's clock. */
	MG_CHECK(b->c->ts_recent == tcp_tsval(a->c, L.now) ||
		 mg_seq_lt(b->c->ts_recent, tcp_tsval(a->c, L.now)));
out:
	teardown();
}

/* ---- SACK ---- */

struct sack_result {
	uint64_t rtx, done_us;
};

static struct sack_result
sack_run(bool sack)
{
	struct mg_tcp_conn_params cp = cparams();
	struct app *a, *b;
	uint8_t *buf = random_buf(1u << 20, 4);
	struct sack_result r = { 0, 0 };
	uint64_t t0;
	unsigned i;

	cp.sack = sack;
	setup(33, false);
	L.dir[0].delay_us = L.dir[1].delay_us = 5000;
	a = open_pair(&cp, &cp, &b);
	reset_counts();
	/* A run of losses in one window, and a few more after it. */
	L.dir[0].sent = 0;
	for (i = 0; i < 24; i++)
		L.dir[0].drop_nth[i] = 60 + i;
	L.dir[0].drop_nth[24] = 95;
	L.dir[0].drop_nth[25] = 97;
	L.dir[0].n_drop = 26;
	a->tx = buf;
	a->tx_len = 1u << 20;
	t0 = L.now;
	app_push(a);
	while (b->rx_len < (1u << 20) && L.now < t0 + 20000000)
		link_run(&L, 1000);
	r.done_us = L.now - t0;
	MG_CHECK_EQ(b->rx_len, 1u << 20);
	MG_CHECK(b->rx_hash == fnv(FNV0, buf, 1u << 20));
	if (sack)
		MG_CHECK(acks_with_sack[1] > 0);
	else
		MG_CHECK_EQ(acks_with_sack[1], 0);
	r.rtx = stats(0).retransmits;
	printf("  sack=%d: %" PRIu64 " retransmissions, done in %.3f s\n",
	       sack, r.rtx, (double)r.done_us / 1e6);
	free(buf);
	teardown();
	return r;
}

static void
t_sack(void)
{
	struct sack_result with = sack_run(true), without = sack_run(false);

	MG_CHECK(with.rtx >= 26);
	MG_CHECK(with.rtx < without.rtx);
	MG_CHECK(with.done_us < without.done_us);
}

static void
t_sack_blocks(void)
{
	struct mg_tcp_conn_params cp = cparams();
	struct app *a, *b;
	struct mg_tcp_sack_block bl[4];
	uint8_t *buf = random_buf(20000, 6);
	unsigned n;

	setup(34, false);
	L.dir[0].delay_us = L.dir[1].delay_us = 5000;
	a = open_pair(&cp, &cp, &b);
	/* Segments 2 and 4 of a burst lost: B holds two blocks. */
	L.dir[0].drop_nth[0] = L.dir[0].sent + 2;
	L.dir[0].drop_nth[1] = L.dir[0].sent + 4;
	L.dir[0].n_drop = 2;
	L.dir[0].delay_us = 5000;
	L.dir[1].down = true;		/* keep A from repairing for now */
	mg_tcp_send_copy(a->c, buf, 6 * 1448, L.now);
	link_run(&L, 6000);
	n = tcp_reass_sack(b->c, bl, 4);
	MG_CHECK_EQ(n, 2);
	/* Most recent first (segment 5-6), then the other (segment 3). */
	MG_CHECK_EQ(bl[0].end - bl[0].start, 2 * 1448);
	MG_CHECK_EQ(bl[1].end - bl[1].start, 1448);
	MG_CHECK_EQ(bl[0].start - b->c->rcv_nxt, 3 * 1448);
	MG_CHECK_EQ(bl[1].start - b->c->rcv_nxt, 1448);
	L.dir[1].down = false;
	link_run(&L, 1000000);
	MG_CHECK_EQ(b->rx_len, 6 * 1448);
	MG_CHECK(b->rx_hash == fnv(FNV0, buf, 6 * 1448));
	MG_CHECK(b->c->reass == NULL);
	free(buf);
	teardown();
}


/* ---- flow control ---- */

static bool
count_probes(struct link *l, int dir, struct rte_mbuf *m, struct rte_tcp_hdr *th,
	     void *arg)
{
	struct mg_tcp_conn *ca = arg;

	count_filter(l, dir, m, th, NULL);
	if (dir == 0 && tcp_payload(m, th) == 0 && ca != NULL &&
	    rte_be_to_cpu_32(th->sent_seq) == ca->snd_una - 1)
		probes[0]++;
	return false;
}

static void
t_zero_window(void)
{
	struct mg_tcp_conn_params ca = cparams(), cb = cparams();
	struct app *a, *b;
	uint32_t len = 1u << 20;
	uint8_t *buf = random_buf(len, 8);

	cb.rcv_buf = 64 * 1024;
	setup(40, false);
	L.dir[0].delay_us = L.dir[1].delay_us = 2000;
	a = open_pair(&ca, &cb, &b);
	reset_counts();
	L.filter = count_probes;
	L.filter_arg = a->c;
	b->read_stop = true;
	a->tx = buf;
	a->tx_len = len;
	app_push(a);
	link_run(&L, 10000000);
	/* B's window is closed with 64 KiB unread; A probes, backing off. */
	MG_CHECK(mg_tcp_readable(b->c) >= 64 * 1024 - 1448 &&
		 mg_tcp_readable(b->c) <= 64 * 1024 + 2896);
	MG_CHECK(zero_wnd[1] > 0);
	MG_CHECK(probes[0] >= 4 && probes[0] <= 12);
	MG_CHECK(a->c->flags & TF_PERSIST);
	MG_CHECK(a->c->snd_wnd == 0);
	MG_CHECK(!a->reset && !b->reset);
	/* B reads: the window opens (an update from B, or the next probe's
	 * answer) and the rest flows. */
	b->read_stop = false;
	app_read(b);
	link_run(&L, 3000000);
	MG_CHECK_EQ(b->rx_len, len);
	MG_CHECK(b->rx_hash == fnv(FNV0, buf, len));
	free(buf);
	teardown();
}

static void
t_flow_control(void)
{
	struct mg_tcp_conn_params ca = cparams(), cb = cparams();
	struct app *a, *b;
	uint32_t len = 4u << 20;
	uint8_t *buf = random_buf(len, 10);
	struct mg_tcp_stats sa, sb;

	ca.snd_buf = 128 * 1024;
	cb.rcv_buf = 96 * 1024;
	setup(41, false);
	L.dir[0].delay_us = L.dir[1].delay_us = 1000;
	a = open_pair(&ca, &cb, &b);
	b->read_stop = true;
	a->tx = buf;
	a->tx_len = len;
	a->shut_when_done = true;
	app_push(a);
	MG_CHECK_EQ(a->tx_off, 128 * 1024);	/* send buffer full */
	MG_CHECK_EQ(mg_tcp_send_space(a->c), 0);
	MG_CHECK_EQ(mg_tcp_send_copy(a->c, buf, 10, L.now), 0);
	link_run(&L, 2000000);
	/* Memory stays bounded by the two buffers. */
	sa = stats(0);
	sb = stats(1);
	MG_CHECK(sb.memory <= 96 * 1024 + 2 * 1460);
	MG_CHECK(sa.memory <= 128 * 1024);
	MG_CHECK(a->tx_off <= 128 * 1024 + 96 * 1024 + 2 * 1460);
	/* The reader resumes; WRITABLE drives the sender to the end. */
	b->read_stop = false;
	app_read(b);
	link_run(&L, 5000000);
	MG_CHECK_EQ(b->rx_len, len);
	MG_CHECK(b->rx_hash == fnv(FNV0, buf, len));
	MG_CHECK(a->n_ev[MG_TCP_EV_WRITABLE] > 0);
	MG_CHECK(b->eof);
	/* Partial reads: mg_tcp_recv() honours max. */
	{
		struct rte_mbuf *m;
		bool eof;

		b->read_stop = true;
		mg_tcp_send_copy(b->c, buf, 5000, L.now);
		link_run(&L, 100000);
		b->read_stop = true;
		MG_CHECK_EQ(mg_tcp_readable(b->c), 0);
		MG_CHECK_EQ(mg_tcp_readable(a->c) + a->rx_len, 5000);
		if (a->c != NULL && mg_tcp_readable(a->c) == 0) {
			MG_CHECK_EQ(mg_tcp_recv(a->c, &m, 100, &eof), 0);
		}
	}
	free(buf);
	teardown();
}

static void
t_recv_partial(void)
{
	struct mg_tcp_conn_params cp = cparams();
	struct app *a, *b;
	uint8_t *buf = random_buf(10000, 12);
	struct rte_mbuf *m;
	uint64_t h = FNV0;
	uint32_t got = 0, n;
	bool eof = false;

	setup(42, false);
	L.dir[0].delay_us = L.dir[1].delay_us = 1000;
	a = open_pair(&cp, &cp, &b);
	b->read_stop = true;
	mg_tcp_send_copy(a->c, buf, 10000, L.now);
	mg_tcp_shutdown(a->c, L.now);
	link_run(&L, 100000);
	MG_CHECK_EQ(mg_tcp_readable(b->c), 10000);
	while ((n = mg_tcp_recv(b->c, &m, 777, &eof)) > 0) {
		struct rte_mbuf *s;

		MG_CHECK(n <= 777);
		MG_CHECK_EQ(m->pkt_len, n);
		for (s = m; s != NULL; s = s->next)
			h = fnv(h, rte_pktmbuf_mtod(s, uint8_t *), s->data_len);
		got += n;
		rte_pktmbuf_free(m);
	}
	MG_CHECK_EQ(got, 10000);
	MG_CHECK(eof);
	MG_CHECK(h == fnv(FNV0, buf, 10000));
	free(buf);
	teardown();
}

/* ---- reassembly against scripted overlaps ---- */

static struct rte_mbuf *tmpl;		/* one of A's data segments */
static bool hold_a_data;

static bool
hold_filter(struct link *l, int dir, struct rte_mbuf *m, struct rte_tcp_hdr *th,
	    void *arg)
{
	(void)l;
	(void)arg;
	if (dir != 0 || tcp_payload(m, th) == 0 || !hold_a_data)
		return false;
	if (tmpl == NULL)
		tmpl = rte_pktmbuf_copy(m, pool, 0, UINT32_MAX);
	return true;
}

/* Deliver A's stream bytes [off, off + len) to B as one segment. */
static void
give(struct app *b, uint32_t off, uint32_t len)
{
	struct rte_mbuf *m = link_build(&L, tmpl, 0, L.dir[0].base + off, len,
					RTE_TCP_ACK_FLAG);

	MG_CHECK(m != NULL);
	link_put(&L, 0, m, AF_INET);
	link_run(&L, 1000);
	check_books(b->c);
}

static void
t_reass_overlap(void)
{
	struct mg_tcp_conn_params cp = cparams();
	const uint32_t S = 1448, total = 10 * 1448;
	uint8_t *buf = random_buf(total, 31);
	struct mg_tcp_stats sb;
	struct app *a, *b;
	unsigned round;

	for (round = 0; round < 2; round++) {
		cp.timestamps = false;
		setup(46 + round, false);
		srv_tmpl.echo = round == 1;
		tmpl = NULL;
		hold_a_data = true;
		link_linux_like(&L, 0, 0, 0, 0, 1u << 20);
		L.filter = hold_filter;
		a = open_pair(&cp, &cp, &b);
		a->tx = buf;
		a->tx_len = total;
		a->shut_when_done = true;
		app_push(a);
		link_run(&L, 1000);		/* A's first flight, held */
		MG_CHECK(tmpl != NULL);
		MG_CHECK_EQ(L.dir[0].hi - L.dir[0].base, total);
		b->read_stop = round == 0;	/* data stays queued */

		give(b, 2 * S, S);			/* out of order */
		give(b, 2 * S - 500, 1500);		/* [x-500, x+1000) */
		MG_CHECK_EQ(b->c->reass_bytes, S + 500);
		give(b, 5 * S, S);
		give(b, 7 * S, S);
		give(b, 4 * S + 100, 4 * S);		/* over two queued ones */
		MG_CHECK_EQ(b->c->reass_segs, 3);
		give(b, 0, 1000);			/* in order */
		MG_CHECK_EQ(b->c->rcv_nxt - b->c->irs - 1, 1000);
		give(b, 500, 1400);			/* below rcv_nxt and in a hole */
		MG_CHECK_EQ(b->c->rcv_nxt - b->c->irs - 1, 1900);
		give(b, 1800, 700);			/* into the queued front */
		MG_CHECK_EQ(b->c->rcv_nxt - b->c->irs - 1, 3 * S);
		give(b, 2 * S, S);			/* duplicates */
		give(b, 7 * S, S);
		give(b, 7 * S - 1, 3);
		give(b, 3 * S, 2 * S + 1000);		/* coalesced retransmission */
		MG_CHECK_EQ(b->c->rcv_nxt - b->c->irs - 1, 8 * S + 100);
		MG_CHECK_EQ(b->c->reass_bytes, 0);
		give(b, 9 * S, 7);			/* split retransmission */
		give(b, 8 * S + 100, S);
		give(b, 9 * S + 7, S - 7);
		MG_CHECK_EQ(b->c->rcv_nxt - b->c->irs - 1, total);
		MG_CHECK_EQ(b->c->reass_bytes + b->c->reass_segs, 0);
		if (round == 0) {
			MG_CHECK_EQ(b->c->rcv_queued, total);
			b->read_stop = false;
			app_read(b);
		}
		MG_CHECK_EQ(b->c->rcv_queued, 0);
		MG_CHECK_EQ(b->rx_len, total);
		MG_CHECK(b->rx_hash == fnv(FNV0, buf, total));

		/* A retransmits what it believes lost; all ends cleanly. */
		hold_a_data = false;
		if (round == 0)
			mg_tcp_shutdown(b->c, L.now);
		link_run(&L, 5000000);
		MG_CHECK(a->closed && b->closed && !a->reset && !b->reset);
		if (round == 1) {
			MG_CHECK_EQ(a->rx_len, total);
			MG_CHECK(a->rx_hash == fnv(FNV0, buf, total));
		}
		sb = stats(1);
		MG_CHECK_EQ(sb.memory, 0);
		MG_CHECK_EQ(stats(0).memory, 0);
		rte_pktmbuf_free(tmpl);
		tmpl = NULL;
		teardown();
	}
	free(buf);
}

/* An xmit that fails takes the mbuf (the dataplane frees what it cannot
 * route or resolve): the SYN-ACK, a data segment and an ACK fail once
 * each; nothing is freed twice, the transfer completes. */
static void
t_xmit_fail(void)
{
	struct bulk_opts o = { .cc = "newreno", .size = 256u << 10, .sack = true,
			       .delay_us = 1000, .seed = 20, .echo = true,
			       .fail_nth = { 10, 1 } };

	bulk(&o);	/* it checks the pool is whole at the end */
	o.fail_nth[0] = 3;
	o.fail_nth[1] = 30;
	o.seed = 21;
	bulk(&o);
}

/* The window offered by both ends stays within the receive buffer for
 * any initial sequence numbers (half of them are in the upper half of the
 * space, where a right edge starting at 0 never moved), and a receiver
 * that does not read holds no more than its buffer. */
static void
t_rcv_window_edge(void)
{
	struct mg_tcp_conn_params cp = cparams();
	uint8_t *buf = random_buf(1u << 20, 33);
	struct app *a, *b;
	unsigned seed, upper = 0;

	cp.rcv_buf = 64 * 1024;
	for (seed = 0; seed < 16; seed++) {
		struct mg_tcp_stats st;
		uint32_t slack;

		setup(100 + seed, false);
		L.dir[0].delay_us = L.dir[1].delay_us = 1000;
		a = open_pair(&cp, &cp, &b);
		upper += (b->c->rcv_nxt >> 31) + (a->c->rcv_nxt >> 31);
		slack = 1u << b->c->rcv_wscale;
		MG_CHECK(b->c->rcv_adv - b->c->rcv_nxt <= cp.rcv_buf + slack);
		MG_CHECK(a->c->rcv_adv - a->c->rcv_nxt <= cp.rcv_buf + slack);
		b->read_stop = true;
		a->tx = buf;
		a->tx_len = 1u << 20;
		app_push(a);
		link_run(&L, 2000000);
		MG_CHECK(b->c->rcv_queued <= cp.rcv_buf + slack);
		MG_CHECK(b->c->rcv_queued >= cp.rcv_buf - 1448);
		st = stats(1);
		MG_CHECK_EQ(st.errors[MG_TCP_ERR_RCV_QUEUE_FULL], 0);
		b->read_stop = false;
		app_read(b);
		link_run(&L, 5000000);
		MG_CHECK_EQ(b->rx_len, 1u << 20);
		MG_CHECK(b->rx_hash == fnv(FNV0, buf, 1u << 20));
		teardown();
	}
	MG_CHECK(upper > 0);
	free(buf);
}

/* ---- ACK and send timing ---- */

static uint64_t data_at, ack_at;

static bool
ack_timing(struct link *l, int dir, struct rte_mbuf *m, struct rte_tcp_hdr *th,
	   void *arg)
{
	count_filter(l, dir, m, th, arg);
	if (dir == 0 && tcp_payload(m, th) > 0)
		data_at = l->now;
	if (dir == 1 && tcp_payload(m, th) == 0 && data_at != 0 && ack_at == 0)
		ack_at = l->now;
	return false;
}

static void
t_delayed_ack(void)
{
	struct mg_tcp_conn_params cp = cparams();
	struct app *a, *b;
	uint8_t buf[4000] = { 0 };

	cp.nodelay = true;
	cp.delack_us = 40000;
	setup(43, false);
	L.dir[0].delay_us = L.dir[1].delay_us = 1000;
	a = open_pair(&cp, &cp, &b);
	reset_counts();
	data_at = ack_at = 0;
	L.filter = ack_timing;
	mg_tcp_send_copy(a->c, buf, 100, L.now);
	link_run(&L, 100000);
	/* One small segment: the ACK waits for the delayed-ACK timer. */
	MG_CHECK(ack_at != 0);
	MG_CHECK_EQ(ack_at - data_at - 1000, 40000);
	/* Two full segments: ACKed at once (RFC 5681 4.2). */
	data_at = ack_at = 0;
	mg_tcp_send_copy(a->c, buf, 2 * 1448, L.now);
	link_run(&L, 100000);
	MG_CHECK(ack_at != 0);
	MG_CHECK_EQ(ack_at - data_at, 1000);
	/* Out of order: ACKed at once. */
	data_at = ack_at = 0;
	L.dir[0].drop_nth[0] = (uint32_t)L.dir[0].sent + 1;
	L.dir[0].n_drop = 1;
	mg_tcp_send_copy(a->c, buf, 1448, L.now);
	mg_tcp_send_copy(a->c, buf, 100, L.now);
	link_run(&L, 5000);
	MG_CHECK(ack_at != 0 && ack_at - data_at <= 1000);
	teardown();
}

static void
t_nagle(void)
{
	struct mg_tcp_conn_params cp = cparams();
	struct app *a, *b;
	int i;

	for (int nodelay = 0; nodelay < 2; nodelay++) {
		cp.nodelay = nodelay;
		setup(44, false);
		L.dir[0].delay_us = L.dir[1].delay_us = 5000;
		a = open_pair(&cp, &cp, &b);
		reset_counts();
		for (i = 0; i < 10; i++)
			MG_CHECK_EQ(mg_tcp_send_copy(a->c, "0123456789", 10, L.now), 10);
		link_run(&L, 200000);
		MG_CHECK_EQ(b->rx_len, 100);
		if (nodelay)
			MG_CHECK_EQ(data_segs[0], 10);
		else
			MG_CHECK_EQ(data_segs[0], 2);	/* one, then the rest */
		teardown();
	}
}

static void
t_keepalive(void)
{
	struct mg_tcp_conn_params ca = cparams(), cb = cparams();
	struct app *a, *b;

	ca.keepalive_idle_s = 10;
	ca.keepalive_intvl_s = 2;
	ca.keepalive_probes = 3;
	setup(45, false);
	L.dir[0].delay_us = L.dir[1].delay_us = 1000;
	a = open_pair(&ca, &cb, &b);
	reset_counts();
	L.filter = count_probes;
	L.filter_arg = a->c;
	link_run(&L, 9000000);
	MG_CHECK_EQ(seg_count[0], 0);
	link_run(&L, 2000000);
	MG_CHECK_EQ(probes[0], 1);		/* at 10 s idle, answered */
	MG_CHECK_EQ(seg_count[1], 1);
	link_run(&L, 9500000);
	MG_CHECK_EQ(probes[0], 2);		/* idle again 10 s later */
	MG_CHECK(!a->reset);
	/* The peer goes silent: 3 probes 2 s apart, then reset. */
	L.dir[1].down = true;
	link_run(&L, 20000000);
	MG_CHECK(a->reset && a->closed);
	MG_CHECK_EQ(probes[0], 2 + 3);
	MG_CHECK_EQ(stats(0).errors[MG_TCP_ERR_KEEPALIVE_TIMEOUT], 1);
	teardown();
}

/* ---- RFC 5961 ---- */

static void
t_rfc5961(void)
{
	struct mg_tcp_conn_params cp = cparams();
	struct app *a, *b;
	struct mg_tcp_stats st;
	uint32_t seq;
	int i;

	setup_params.challenge_ack_limit = 5;
	setup(46, false);
	L.dir[0].delay_us = L.dir[1].delay_us = 1000;
	a = open_pair(&cp, &cp, &b);
	cp.timestamps = false;
	/* Without timestamps so the forged segments pass PAWS. */
	a = connect_a(&cp, 80);
	link_run(&L, 50000);
	b = srv_app();
	reset_counts();
	seq = a->c->snd_nxt;
	/* RST in the window but not exact: challenge ACK, no reset. */
	inject_as_a(a->c, seq + 100, RTE_TCP_RST_FLAG);
	st = stats(1);
	MG_CHECK_EQ(st.errors[MG_TCP_ERR_RST_IN_WINDOW_IGNORED], 1);
	MG_CHECK_EQ(st.errors[MG_TCP_ERR_CHALLENGE_ACK], 1);
	MG_CHECK_EQ(mg_tcp_conn_state(b->c), MG_TCP_ESTABLISHED);
	/* RST outside the window: dropped silently. */
	inject_as_a(a->c, seq + 10000000, RTE_TCP_RST_FLAG);
	MG_CHECK_EQ(stats(1).errors[MG_TCP_ERR_CHALLENGE_ACK], 1);
	/* SYN in the window: challenge ACK. */
	inject_as_a(a->c, seq + 5, RTE_TCP_SYN_FLAG);
	MG_CHECK_EQ(stats(1).errors[MG_TCP_ERR_CHALLENGE_ACK], 2);
	MG_CHECK_EQ(mg_tcp_conn_state(b->c), MG_TCP_ESTABLISHED);
	link_run(&L, 10000);
	MG_CHECK(!a->reset && !b->reset);
	/* ACK of data never sent: challenge ACK, dropped. */
	inject(1, &a->c->laddr, a->c->lport, &a->c->raddr, a->c->rport, seq,
	       b->c->snd_max + 100000, RTE_TCP_ACK_FLAG, 1000, NULL, 0, 0);
	MG_CHECK_EQ(stats(1).errors[MG_TCP_ERR_BAD_ACK], 1);
	MG_CHECK_EQ(stats(1).errors[MG_TCP_ERR_CHALLENGE_ACK], 3);
	/* Throttled: at most 5 a second. */
	for (i = 0; i < 20; i++)
		inject_as_a(a->c, seq + 100 + i, RTE_TCP_RST_FLAG);
	st = stats(1);
	MG_CHECK_EQ(st.errors[MG_TCP_ERR_CHALLENGE_ACK], 5);
	MG_CHECK_EQ(st.errors[MG_TCP_ERR_CHALLENGE_ACK_LIMITED], 18);
	link_run(&L, 1000000);
	inject_as_a(a->c, seq + 100, RTE_TCP_RST_FLAG);
	MG_CHECK_EQ(stats(1).errors[MG_TCP_ERR_CHALLENGE_ACK], 6);
	/* The exact RST resets. */
	inject_as_a(a->c, seq, RTE_TCP_RST_FLAG);
	MG_CHECK(b->reset && b->closed);
	teardown();
}

/* ---- SYN cookies and limits ---- */

static bool
drop_to_c(struct link *l, int dir, struct rte_mbuf *m, struct rte_tcp_hdr *th,
	  void *arg)
{
	unsigned l3;
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);

	(void)l;
	(void)dir;
	(void)th;
	(void)arg;
	link_tcp(m, &l3);
	return l3 == 20 && ip->dst_addr == rte_cpu_to_be_32(0x0a000003);
}

static void
t_syncookies(void)
{
	struct mg_tcp_conn_params ca = cparams(), cb = cparams();
	struct mg_tcp_listen_params lp = { .port = 80, .syn_backlog = 64,
					   .syncookie_threshold = 2,
					   .event = srv_event };
	struct mg_ip c3;
	struct app *a, *b;
	uint8_t *buf = random_buf(1u << 20, 14);
	struct mg_tcp_stats st;
	struct mg_tcp_conn *cc;

	setup(47, false);
	mg_ip_set_v4(&c3, rte_cpu_to_be_32(0x0a000003));
	L.dir[0].delay_us = L.dir[1].delay_us = 1000;
	L.filter = drop_to_c;
	lp.addr = L.addr[1];
	cb.mss = 1400;
	lp.conn = cb;
	MG_CHECK(mg_tcp_listen(L.st[1], &lp) != NULL);
	/* Two half-open connections from 10.0.0.3 fill up to the threshold. */
	inject(1, &c3, 1001, &L.addr[1], 80, 5000, 0, RTE_TCP_SYN_FLAG, 1000,
	       NULL, 0, 0);
	inject(1, &c3, 1002, &L.addr[1], 80, 5000, 0, RTE_TCP_SYN_FLAG, 1000,
	       NULL, 0, 0);
	MG_CHECK_EQ(stats(1).conns_by_state[MG_TCP_SYN_RECEIVED], 2);
	/* The next one is answered with a cookie and no state. */
	ca.mss = 1200;
	a = connect_a(&ca, 80);
	link_run(&L, 1500);
	st = stats(1);
	MG_CHECK_EQ(st.errors[MG_TCP_ERR_SYNCOOKIE_SENT], 1);
	MG_CHECK_EQ(st.conns_by_state[MG_TCP_SYN_RECEIVED], 2);
	link_run(&L, 50000);
	st = stats(1);
	MG_CHECK_EQ(st.errors[MG_TCP_ERR_SYNCOOKIE_OK], 1);
	b = srv_app();
	MG_CHECK(a->open && b != NULL && b->open);
	if (b == NULL || b->c == NULL)
		goto out;
	/* Options came through the cookie. */
	MG_CHECK(b->c->flags & TF_COOKIE);
	MG_CHECK(b->c->flags & TF_TS);
	MG_CHECK(b->c->flags & TF_SACK);
	MG_CHECK(a->c->flags & TF_SACK);
	MG_CHECK_EQ(b->c->snd_wscale, a->c->rcv_wscale);
	MG_CHECK_EQ(a->c->snd_wscale, b->c->rcv_wscale);
	MG_CHECK(b->c->smss <= 1200 && b->c->smss >= 536);	/* cookie table */
	MG_CHECK_EQ(a->c->smss, 1400);
	/* And it works both ways. */
	a->tx = buf;
	a->tx_len = 1u << 20;
	b->tx = buf;
	b->tx_len = 1u << 20;
	app_push(a);
	app_push(b);
	link_run(&L, 2000000);
	MG_CHECK_EQ(a->rx_len, 1u << 20);
	MG_CHECK_EQ(b->rx_len, 1u << 20);
	MG_CHECK(b->rx_hash == fnv(FNV0, buf, 1u << 20));
	/* A forged cookie ACK: rejected with RST, no connection. */
	inject(1, &c3, 1003, &L.addr[1], 80, 7001, 0x12345678, RTE_TCP_ACK_FLAG,
	       1000, NULL, 0, 0);
	st = stats(1);
	MG_CHECK_EQ(st.errors[MG_TCP_ERR_SYNCOOKIE_BAD], 1);
	cc = tcp_conn_lookup(L.st[1], &L.addr[1], 80, &c3, 1003);
	MG_CHECK(cc == NULL);
out:
	free(buf);
	teardown();
}

static void
t_limits(void)
{
	struct mg_tcp_conn_params cp = cparams();
	struct mg_tcp_listen_params lp = { .port = 81, .syn_backlog = 2,
					   .event = srv_event };
	struct app *a[6], *b;
	struct mg_ip c3;
	int i, open = 0, reset = 0;

	setup(48, false);
	{
		struct mg_tcp_stack_params p = { .max_conns = 4, .mtu = 1500,
			.n_workers = 1, .pool = pool, .xmit = link_xmit,
			.xmit_ctx = &L.ctx[1], .seed = 99 };

		mg_tcp_stack_free(L.st[1]);
		L.st[1] = mg_tcp_stack_create(&p);
	}
	mg_ip_set_v4(&c3, rte_cpu_to_be_32(0x0a000003));
	L.dir[0].delay_us = L.dir[1].delay_us = 1000;
	L.filter = drop_to_c;
	MG_CHECK(listen_b(&cp, 80) != NULL);
	for (i = 0; i < 6; i++)
		a[i] = connect_a(&cp, 80);
	link_run(&L, 100000);
	for (i = 0; i < 6; i++) {
		open += a[i]->open && !a[i]->closed;
		reset += a[i]->reset;
	}
	/* Four fit; the two newest are refused with RST. */
	MG_CHECK_EQ(open, 4);
	MG_CHECK_EQ(reset, 2);
	MG_CHECK_EQ(stats(1).errors[MG_TCP_ERR_CONN_LIMIT], 2);
	MG_CHECK_EQ(stats(1).conns_by_state[MG_TCP_ESTABLISHED], 4);
	/* The existing ones are unharmed. */
	(void)b;
	for (i = 0; i < 6; i++)
		if (a[i]->open && !a[i]->closed)
			MG_CHECK_EQ(mg_tcp_send_copy(a[i]->c, "ok", 2, L.now), 2);
	link_run(&L, 100000);
	{
		uint64_t got = 0;

		for (unsigned k = 0; k < n_apps; k++)
			if (apps[k].n_ev[MG_TCP_EV_ACCEPTED])
				got += apps[k].rx_len;
		MG_CHECK_EQ(got, 8);
	}
	teardown();

	/* SYN backlog: two half-open, the third SYN is dropped. */
	setup(49, false);
	L.filter = drop_to_c;
	lp.addr = L.addr[1];
	lp.conn = cp;
	MG_CHECK(mg_tcp_listen(L.st[1], &lp) != NULL);
	for (i = 0; i < 3; i++)
		inject(1, &c3, (uint16_t)(2000 + i), &L.addr[1], 81, 100, 0,
		       RTE_TCP_SYN_FLAG, 1000, NULL, 0, 0);
	MG_CHECK_EQ(stats(1).conns_by_state[MG_TCP_SYN_RECEIVED], 2);
	MG_CHECK_EQ(stats(1).errors[MG_TCP_ERR_SYN_BACKLOG_FULL], 1);
	/* Half-open ones give up after their SYN-ACK retries. */
	link_run(&L, 200000000);
	MG_CHECK_EQ(stats(1).conns_by_state[MG_TCP_SYN_RECEIVED], 0);
	teardown();
}

static void
t_conn_size(void)
{
	printf("  sizeof(struct mg_tcp_conn) = %zu, per connection with table "
	       "and pool shares = %zu\n", sizeof(struct mg_tcp_conn),
	       mg_tcp_conn_size());
	MG_CHECK(mg_tcp_conn_size() <= 1024);
	MG_CHECK(sizeof(struct mg_tcp_conn) <= 512);
}

/* ---- table of tests ---- */

struct test {
	const char *name;
	void (*fn)(void);
};

static const struct test tests[] = {
	{ "bulk_clean", t_bulk_clean },
	{ "bulk_lossy", t_bulk_lossy },
	{ "bulk_v6", t_bulk_v6 },
	{ "handshake", t_handshake },
	{ "simultaneous_open", t_simultaneous_open },
	{ "simultaneous_close", t_simultaneous_close },
	{ "half_close", t_half_close },
	{ "rst", t_rst },
	{ "time_wait_reuse", t_time_wait_reuse },
	{ "syn_retransmit", t_syn_retransmit },
	{ "fin_retransmit", t_fin_retransmit },
	{ "rto_backoff", t_rto_backoff },
	{ "mss", t_mss },
	{ "window_scaling", t_window_scaling },
	{ "paws", t_paws },
	{ "sack", t_sack },
	{ "sack_blocks", t_sack_blocks },
	{ "zero_window", t_zero_window },
	{ "flow_control", t_flow_control },
	{ "recv_partial", t_recv_partial },
	{ "delayed_ack", t_delayed_ack },
	{ "nagle", t_nagle },
	{ "keepalive", t_keepalive },
	{ "rfc5961", t_rfc5961 },
	{ "syncookies", t_syncookies },
	{ "limits", t_limits },
	{ "conn_size", t_conn_size },
	{ "reass_linux", t_reass_linux },
	{ "rx_frames", t_rx_frames },
	{ "reass_overlap", t_reass_overlap },
	{ "xmit_fail", t_xmit_fail },
	{ "rcv_window_edge", t_rcv_window_edge },
};

int
main(int argc, char **argv)
{
	unsigned i;
	bool any = false;

	if (mg_test_eal_init(argv[0]) != 0)
		return EXIT_FAILURE;
	pool = rte_pktmbuf_pool_create("tcp_stack", 32767, 256, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (pool == NULL) {
		fprintf(stderr, "no mbuf pool\n");
		return EXIT_FAILURE;
	}
	for (i = 0; i < RTE_DIM(tests); i++) {
		if (argc > 1 && strcmp(argv[1], tests[i].name) != 0)
			continue;
		printf("%s\n", tests[i].name);
		tests[i].fn();
		any = true;
	}
	MG_CHECK(any);
	return mg_test_done(argc > 1 ? argv[1] : "tcp_stack");
}
