/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TCP stack benchmark (issue 3): two lib/tcp instances, "client" and
 * "server", joined back to back by two net_ring ethdev ports (port C's TX
 * ring is port S's RX ring and the other way), so every segment crosses
 * rte_eth_tx_burst/rte_eth_rx_burst as in the appliance. Both stacks run
 * on ONE lcore, alternately: the wall clock is the cost of both ends on
 * one core, and the server's share is timed on its own with rte_rdtsc
 * (its rx_burst, parsing, mg_tcp_input, timers, tx_burst and its
 * application callbacks).
 *
 *   tcp_bench [EAL args] -- bulk GIB          one connection, client sends
 *   tcp_bench [EAL args] -- cps SECONDS K     open/close with K in flight
 *   tcp_bench [EAL args] -- idle M            M idle established connections
 *
 * Output: human lines, then one "RESULT <mode> key=value ..." line.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "mg_net.h"
#include "mg_tcp.h"

#define BURST		32
#define RING_SIZE	4096
#define SRV_PORT	5001
#define N_LADDR		16	/* client addresses: 16 x 64,512 ports */
#define MSS_MTU		1500

struct side {
	const char *name;
	uint16_t port;
	struct mg_tcp_stack *st;
	struct rte_mbuf *txq[BURST];
	unsigned ntx;
	uint64_t cycles;	/* inside this side's poll */
	uint64_t tx_drops;	/* ring full */
};

enum { CLI, SRV };
static struct side sides[2];
static struct rte_mempool *pool;
static uint64_t tsc_hz, tsc_per_us, now_us;
static struct mg_ip srv_addr, cli_addr[N_LADDR];
static uint8_t payload[65536];

static void
side_flush(struct side *sd)
{
	uint16_t n;

	if (sd->ntx == 0)
		return;
	n = rte_eth_tx_burst(sd->port, 0, sd->txq, (uint16_t)sd->ntx);
	if (n < sd->ntx) {
		sd->tx_drops += sd->ntx - n;
		rte_pktmbuf_free_bulk(&sd->txq[n], sd->ntx - n);
	}
	sd->ntx = 0;
}

/* The stack hands us an IP packet: add the Ethernet header and queue it. */
static int
side_xmit(void *ctx, struct rte_mbuf *m, uint8_t family)
{
	struct side *sd = ctx;
	struct rte_ether_hdr *eh;

	eh = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, sizeof(*eh));
	if (eh == NULL) {
		rte_pktmbuf_free(m);	/* xmit owns the mbuf, sent or not */
		return -ENOSPC;
	}
	memset(eh, 0, 2 * RTE_ETHER_ADDR_LEN);
	eh->dst_addr.addr_bytes[0] = 2;
	eh->src_addr.addr_bytes[0] = 2;
	eh->dst_addr.addr_bytes[5] = (uint8_t)(sd == &sides[CLI] ? 2 : 1);
	eh->src_addr.addr_bytes[5] = (uint8_t)(sd == &sides[CLI] ? 1 : 2);
	eh->ether_type = rte_cpu_to_be_16(family == AF_INET ?
					  RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
	sd->txq[sd->ntx++] = m;
	if (sd->ntx == BURST)
		side_flush(sd);
	return 0;
}

static inline uint64_t
clock_us(void)
{
	return rte_rdtsc() / tsc_per_us;
}

/* One turn of a side: receive, input, timers, send. Returns packets in. */
static unsigned
side_poll(struct side *sd)
{
	struct rte_mbuf *pkts[BURST];
	struct mg_pkt p;
	uint64_t t0 = rte_rdtsc();
	uint16_t n, i;

	n = rte_eth_rx_burst(sd->port, 0, pkts, BURST);
	for (i = 0; i < n; i++) {
		if (mg_pkt_parse(pkts[i], &p) != MG_NET_OK ||
		    p.l4_proto != IPPROTO_TCP) {
			rte_pktmbuf_free(pkts[i]);
			continue;
		}
		mg_tcp_input(sd->st, pkts[i], &p, now_us);
	}
	mg_tcp_timers(sd->st, now_us);
	side_flush(sd);
	sd->cycles += rte_rdtsc() - t0;
	return n;
}

static unsigned
poll_both(void)
{
	unsigned n;

	now_us = clock_us();
	n = side_poll(&sides[SRV]);
	n += side_poll(&sides[CLI]);
	return n;
}

static int
make_port(const char *name, struct rte_ring *rx, struct rte_ring *tx)
{
	struct rte_eth_conf conf;
	int port;

	port = rte_eth_from_rings(name, &rx, 1, &tx, 1, (unsigned)rte_socket_id());
	if (port < 0)
		return -1;
	memset(&conf, 0, sizeof(conf));
	if (rte_eth_dev_configure((uint16_t)port, 1, 1, &conf) < 0 ||
	    rte_eth_rx_queue_setup((uint16_t)port, 0, RING_SIZE,
				   (unsigned)rte_socket_id(), NULL, pool) < 0 ||
	    rte_eth_tx_queue_setup((uint16_t)port, 0, RING_SIZE,
				   (unsigned)rte_socket_id(), NULL) < 0 ||
	    rte_eth_dev_start((uint16_t)port) < 0)
		return -1;
	return port;
}

static long
rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static struct mg_tcp_stack *
make_stack(struct side *sd, uint32_t max_conns, uint32_t time_wait_ms,
	   uint64_t seed)
{
	struct mg_tcp_stack_params p;
	struct mg_tcp_stack *st;

	memset(&p, 0, sizeof(p));
	p.worker_index = 0;
	p.n_workers = 1;
	p.port_min = 1024;
	p.port_max = 65535;
	p.max_conns = max_conns;
	p.mtu = MSS_MTU;
	p.time_wait_ms = time_wait_ms;
	p.seed = seed;
	p.pool = pool;
	p.xmit = side_xmit;
	p.xmit_ctx = sd;
	p.socket = (int)rte_socket_id();
	st = mg_tcp_stack_create(&p);
	if (st == NULL) {
		fprintf(stderr, "tcp_bench: %s stack: %s\n", sd->name,
			rte_strerror(rte_errno));
		exit(1);
	}
	sd->st = st;
	return st;
}

static void
conn_params(struct mg_tcp_conn_params *cp)
{
	memset(cp, 0, sizeof(*cp));
	cp->timestamps = true;	/* as Linux by default */
	cp->sack = true;
	cp->window_scaling = true;
	cp->nodelay = true;
}

static void
print_stats(const char *what, struct mg_tcp_stack *st)
{
	struct mg_tcp_stats s;
	unsigned i;

	mg_tcp_stats_get(st, &s);
	printf("  %s: segs in %" PRIu64 " out %" PRIu64 " retransmits %" PRIu64,
	       what, s.segs_in, s.segs_out, s.retransmits);
	for (i = 0; i < MG_TCP_ERR_MAX; i++)
		if (s.errors[i] != 0)
			printf(" %s=%" PRIu64, mg_tcp_error_names[i], s.errors[i]);
	printf("\n");
}

static struct mg_tcp_listener *
listen_srv(mg_tcp_event_fn fn, uint32_t backlog)
{
	struct mg_tcp_listen_params lp;
	struct mg_tcp_listener *l;

	memset(&lp, 0, sizeof(lp));
	lp.addr = srv_addr;
	lp.port = SRV_PORT;
	lp.syn_backlog = backlog;
	conn_params(&lp.conn);
	lp.event = fn;
	l = mg_tcp_listen(sides[SRV].st, &lp);
	if (l == NULL) {
		fprintf(stderr, "tcp_bench: listen: %s\n", rte_strerror(rte_errno));
		exit(1);
	}
	return l;
}

/* ---- bulk: one connection, the client sends, the server discards ---- */

static struct {
	struct mg_tcp_conn *c;
	uint64_t total, sent, rcvd;
	bool connected, shut, done, reset;
	uint64_t t_start, t_end;
} bulk;

static void
bulk_push(void)
{
	while (bulk.c != NULL && bulk.sent < bulk.total) {
		uint32_t k = (uint32_t)RTE_MIN(bulk.total - bulk.sent,
					       (uint64_t)sizeof(payload));
		int n = mg_tcp_send_copy(bulk.c, payload, k, now_us);

		if (n <= 0)
			break;
		bulk.sent += (uint64_t)n;
	}
	if (bulk.c != NULL && bulk.sent == bulk.total && !bulk.shut) {
		bulk.shut = true;
		mg_tcp_shutdown(bulk.c, now_us);
	}
}

static void
bulk_cli_ev(struct mg_tcp_conn *c, enum mg_tcp_event ev, void *user)
{
	(void)user;
	switch (ev) {
	case MG_TCP_EV_CONNECTED:
		bulk.connected = true;
		break;
	case MG_TCP_EV_WRITABLE:
		bulk_push();
		break;
	case MG_TCP_EV_PEER_CLOSED:
		mg_tcp_close(c, mg_tcp_now(c));
		break;
	case MG_TCP_EV_RESET:
		bulk.reset = true;
		break;
	case MG_TCP_EV_CLOSED:
		bulk.c = NULL;
		break;
	default:
		break;
	}
}

static void
bulk_srv_ev(struct mg_tcp_conn *c, enum mg_tcp_event ev, void *user)
{
	struct rte_mbuf *m;
	bool eof = false;
	uint32_t n;

	(void)user;
	switch (ev) {
	case MG_TCP_EV_READABLE:
	case MG_TCP_EV_PEER_CLOSED:
		while ((n = mg_tcp_recv(c, &m, UINT32_MAX, &eof)) > 0) {
			bulk.rcvd += n;
			rte_pktmbuf_free(m);
		}
		if (bulk.rcvd >= bulk.total && !bulk.done) {
			bulk.done = true;
			bulk.t_end = rte_rdtsc();
		}
		if (eof)
			mg_tcp_close(c, mg_tcp_now(c));
		break;
	case MG_TCP_EV_RESET:
		bulk.reset = true;
		break;
	default:
		break;
	}
}

static int
run_bulk(double gib)
{
	struct mg_tcp_conn_params cp;
	uint64_t c0, s0, wall, t_limit;
	double secs;

	make_stack(&sides[CLI], 1024, 1000, 1);
	make_stack(&sides[SRV], 1024, 1000, 2);
	listen_srv(bulk_srv_ev, 0);
	conn_params(&cp);
	bulk.total = (uint64_t)(gib * (1ull << 30));
	now_us = clock_us();
	bulk.c = mg_tcp_connect(sides[CLI].st, &cli_addr[0], &srv_addr, SRV_PORT,
				&cp, bulk_cli_ev, NULL, now_us);
	if (bulk.c == NULL) {
		fprintf(stderr, "tcp_bench: connect: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	while (!bulk.connected && !bulk.reset)
		poll_both();
	c0 = sides[CLI].cycles;
	s0 = sides[SRV].cycles;
	bulk.t_start = rte_rdtsc();
	t_limit = bulk.t_start + 120 * tsc_hz;
	while (!bulk.done && !bulk.reset && rte_rdtsc() < t_limit) {
		uint64_t t = rte_rdtsc();

		now_us = clock_us();
		bulk_push();	/* the client application's turn */
		sides[CLI].cycles += rte_rdtsc() - t;
		side_poll(&sides[SRV]);
		side_poll(&sides[CLI]);
	}
	if (!bulk.done) {
		fprintf(stderr, "tcp_bench: bulk did not finish (%" PRIu64
			" of %" PRIu64 " bytes, reset %d)\n", bulk.rcvd,
			bulk.total, bulk.reset);
		return 1;
	}
	wall = bulk.t_end - bulk.t_start;
	secs = (double)wall / (double)tsc_hz;
	printf("bulk: %" PRIu64 " bytes in %.3f s on one lcore, MTU %u\n",
	       bulk.rcvd, secs, MSS_MTU);
	printf("  %.2f Gbit/s per core; cycles/byte: total %.3f, server %.3f, "
	       "client %.3f\n", (double)bulk.rcvd * 8 / secs / 1e9,
	       (double)wall / (double)bulk.rcvd,
	       (double)(sides[SRV].cycles - s0) / (double)bulk.rcvd,
	       (double)(sides[CLI].cycles - c0) / (double)bulk.rcvd);
	print_stats("client", sides[CLI].st);
	print_stats("server", sides[SRV].st);
	printf("  ring drops: client %" PRIu64 " server %" PRIu64 "\n",
	       sides[CLI].tx_drops, sides[SRV].tx_drops);
	printf("RESULT bulk bytes=%" PRIu64 " secs=%.4f gbps=%.3f "
	       "cpb_total=%.4f cpb_server=%.4f cpb_client=%.4f tsc_hz=%" PRIu64
	       "\n", bulk.rcvd, secs, (double)bulk.rcvd * 8 / secs / 1e9,
	       (double)wall / (double)bulk.rcvd,
	       (double)(sides[SRV].cycles - s0) / (double)bulk.rcvd,
	       (double)(sides[CLI].cycles - c0) / (double)bulk.rcvd, tsc_hz);
	return 0;
}

/* ---- cps: connect, established, client closes, server closes ---- */

static struct {
	uint32_t in_flight, k;
	uint64_t opened, cli_closed, srv_closed, failed, resets;
	unsigned next_addr;
} cps;

static void
cps_cli_ev(struct mg_tcp_conn *c, enum mg_tcp_event ev, void *user)
{
	(void)user;
	switch (ev) {
	case MG_TCP_EV_CONNECTED:
		mg_tcp_close(c, mg_tcp_now(c));	/* the active closer */
		break;
	case MG_TCP_EV_RESET:
		cps.resets++;
		break;
	case MG_TCP_EV_CLOSED:
		cps.cli_closed++;
		cps.in_flight--;
		break;
	default:
		break;
	}
}

static void
cps_srv_ev(struct mg_tcp_conn *c, enum mg_tcp_event ev, void *user)
{
	(void)user;
	switch (ev) {
	case MG_TCP_EV_PEER_CLOSED:
		mg_tcp_close(c, mg_tcp_now(c));
		break;
	case MG_TCP_EV_RESET:
		cps.resets++;
		break;
	case MG_TCP_EV_CLOSED:
		cps.srv_closed++;
		break;
	default:
		break;
	}
}

static void
cps_open(void)
{
	struct mg_tcp_conn_params cp;
	uint64_t t0 = rte_rdtsc();

	conn_params(&cp);
	while (cps.in_flight < cps.k) {
		struct mg_tcp_conn *c;

		c = mg_tcp_connect(sides[CLI].st,
				   &cli_addr[cps.next_addr++ % N_LADDR],
				   &srv_addr, SRV_PORT, &cp, cps_cli_ev, NULL,
				   now_us);
		if (c == NULL) {
			cps.failed++;
			break;
		}
		cps.opened++;
		cps.in_flight++;
	}
	sides[CLI].cycles += rte_rdtsc() - t0;
}

static int
run_cps(double seconds, uint32_t k)
{
	uint64_t t0, t1, c0, s0, n0, tw_end;
	double secs, rate;
	struct mg_tcp_stats st;

	cps.k = k;
	/* TIME-WAIT of 1 s on the client (the active closer): at ~1 M/s
	 * that is ~1 M connections in TIME-WAIT, within 16 x 64,512 tuples. */
	make_stack(&sides[CLI], 1u << 21, 1000, 1);
	make_stack(&sides[SRV], 65536, 1000, 2);
	listen_srv(cps_srv_ev, 4096);
	/* Warm-up: 1 s, so TIME-WAIT reaches its steady population. */
	tw_end = rte_rdtsc() + tsc_hz;
	while (rte_rdtsc() < tw_end) {
		now_us = clock_us();
		cps_open();
		side_poll(&sides[SRV]);
		side_poll(&sides[CLI]);
	}
	c0 = sides[CLI].cycles;
	s0 = sides[SRV].cycles;
	n0 = cps.srv_closed;
	t0 = rte_rdtsc();
	t1 = t0 + (uint64_t)(seconds * (double)tsc_hz);
	while (rte_rdtsc() < t1) {
		now_us = clock_us();
		cps_open();
		side_poll(&sides[SRV]);
		side_poll(&sides[CLI]);
	}
	t1 = rte_rdtsc();
	n0 = cps.srv_closed - n0;
	secs = (double)(t1 - t0) / (double)tsc_hz;
	rate = (double)n0 / secs;
	mg_tcp_stats_get(sides[CLI].st, &st);
	printf("cps: %" PRIu64 " connections in %.2f s, %u in flight, one lcore\n",
	       n0, secs, k);
	printf("  %.0f conns/s per core (both ends); cycles/conn: total %.0f, "
	       "server %.0f, client %.0f\n", rate,
	       (double)(t1 - t0) / (double)n0,
	       (double)(sides[SRV].cycles - s0) / (double)n0,
	       (double)(sides[CLI].cycles - c0) / (double)n0);
	printf("  client TIME-WAIT at end: %" PRIu64 "; connect failures %" PRIu64
	       ", resets %" PRIu64 "\n", st.conns_by_state[MG_TCP_TIME_WAIT],
	       cps.failed, cps.resets);
	print_stats("client", sides[CLI].st);
	print_stats("server", sides[SRV].st);
	printf("  ring drops: client %" PRIu64 " server %" PRIu64 "\n",
	       sides[CLI].tx_drops, sides[SRV].tx_drops);
	printf("RESULT cps conns=%" PRIu64 " secs=%.4f cps=%.0f cpc_total=%.0f "
	       "cpc_server=%.0f cpc_client=%.0f k=%u failed=%" PRIu64 " resets=%"
	       PRIu64 " tsc_hz=%" PRIu64 "\n", n0, secs, rate,
	       (double)(t1 - t0) / (double)n0,
	       (double)(sides[SRV].cycles - s0) / (double)n0,
	       (double)(sides[CLI].cycles - c0) / (double)n0, k, cps.failed,
	       cps.resets, tsc_hz);
	return 0;
}

/* ---- idle: M established connections, then nothing ---- */

static struct {
	uint64_t cli_open, srv_open, resets;
	uint32_t in_flight;
} idle;

static void
idle_cli_ev(struct mg_tcp_conn *c, enum mg_tcp_event ev, void *user)
{
	(void)c;
	(void)user;
	if (ev == MG_TCP_EV_CONNECTED) {
		idle.cli_open++;
		idle.in_flight--;
	} else if (ev == MG_TCP_EV_RESET) {
		idle.resets++;
	}
}

static void
idle_srv_ev(struct mg_tcp_conn *c, enum mg_tcp_event ev, void *user)
{
	(void)c;
	(void)user;
	if (ev == MG_TCP_EV_ACCEPTED)
		idle.srv_open++;
	else if (ev == MG_TCP_EV_RESET)
		idle.resets++;
}

static int
run_idle(uint32_t m)
{
	struct mg_tcp_conn_params cp;
	struct mg_tcp_stats ss, cs;
	long rss0, rss_srv, rss_cli, rss_est;
	uint64_t opened = 0, t0, t1, tt, n_timer = 0, t_limit;
	uint32_t max = m + m / 64 + 1024;
	unsigned i;

	conn_params(&cp);
	rss0 = rss_kib();
	make_stack(&sides[SRV], max, 1000, 2);
	rss_srv = rss_kib();
	make_stack(&sides[CLI], max, 1000, 1);
	rss_cli = rss_kib();
	listen_srv(idle_srv_ev, 8192);
	t0 = rte_rdtsc();
	t_limit = t0 + 600 * tsc_hz;
	while (idle.srv_open < m && rte_rdtsc() < t_limit) {
		poll_both();
		while (opened < m && idle.in_flight < 1024) {
			if (mg_tcp_connect(sides[CLI].st,
					   &cli_addr[opened % N_LADDR], &srv_addr,
					   SRV_PORT, &cp, idle_cli_ev, NULL,
					   now_us) == NULL) {
				fprintf(stderr, "tcp_bench: connect %" PRIu64
					": %s\n", opened, rte_strerror(rte_errno));
				goto out;
			}
			opened++;
			idle.in_flight++;
		}
	}
out:
	/* Let the last ACKs land and the delayed-ACK timers run out. */
	tt = rte_rdtsc() + tsc_hz / 5;
	while (rte_rdtsc() < tt)
		poll_both();
	t1 = rte_rdtsc();
	rss_est = rss_kib();
	/* Idle: what the loop costs with all of them held. */
	tt = rte_rdtsc();
	for (i = 0; i < 1000000; i++) {
		now_us = clock_us();
		mg_tcp_timers(sides[SRV].st, now_us);
		n_timer++;
	}
	tt = rte_rdtsc() - tt;
	mg_tcp_stats_get(sides[SRV].st, &ss);
	mg_tcp_stats_get(sides[CLI].st, &cs);
	printf("idle: %" PRIu64 " connections opened in %.2f s (%u slots per "
	       "stack)\n", idle.srv_open, (double)(t1 - t0) / (double)tsc_hz, max);
	printf("  established: server %" PRIu64 ", client %" PRIu64
	       "; resets %" PRIu64 "; buffered data %" PRIu64 " B\n",
	       ss.conns_by_state[MG_TCP_ESTABLISHED],
	       cs.conns_by_state[MG_TCP_ESTABLISHED], idle.resets, ss.memory);
	printf("  mg_tcp_conn_size() %zu B; server stack RSS at create %ld KiB "
	       "= %.1f B/slot; RSS growth while establishing (both stacks) "
	       "%ld KiB = %.1f B/conn/stack\n", mg_tcp_conn_size(),
	       rss_srv - rss0, (double)(rss_srv - rss0) * 1024 / max,
	       rss_est - rss_cli,
	       (double)(rss_est - rss_cli) * 1024 / 2 / (double)idle.srv_open);
	printf("  mg_tcp_timers() with them idle: %.0f cycles per call\n",
	       (double)tt / (double)n_timer);
	print_stats("client", sides[CLI].st);
	print_stats("server", sides[SRV].st);
	printf("RESULT idle conns=%" PRIu64 " est_server=%" PRIu64 " slots=%u "
	       "conn_size=%zu rss_create_kib=%ld b_per_slot=%.1f "
	       "rss_grow_kib=%ld b_per_conn_grow=%.1f "
	       "b_per_conn_total=%.1f timer_cycles=%.0f\n",
	       idle.srv_open, ss.conns_by_state[MG_TCP_ESTABLISHED], max,
	       mg_tcp_conn_size(), rss_srv - rss0,
	       (double)(rss_srv - rss0) * 1024 / max, rss_est - rss_cli,
	       (double)(rss_est - rss_cli) * 1024 / 2 / (double)idle.srv_open,
	       ((double)(rss_srv - rss0) * 1024 +
		(double)(rss_est - rss_cli) * 1024 / 2) / (double)idle.srv_open,
	       (double)tt / (double)n_timer);
	return ss.conns_by_state[MG_TCP_ESTABLISHED] >= m ? 0 : 1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: tcp_bench [EAL args] -- bulk GIB | cps SECONDS K"
		" | idle M\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct rte_ring *r_cs, *r_sc;
	int n, pc, ps, rc = 2;
	unsigned i;

	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "tcp_bench: rte_eal_init failed\n");
		return 1;
	}
	argc -= n;
	argv += n;
	if (argc < 3)
		usage();
	tsc_hz = rte_get_tsc_hz();
	tsc_per_us = tsc_hz / 1000000;
	for (i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7);
	mg_ip_set_v4(&srv_addr, rte_cpu_to_be_32(0x0a0b0001));	/* 10.11.0.1 */
	for (i = 0; i < N_LADDR; i++)
		mg_ip_set_v4(&cli_addr[i], rte_cpu_to_be_32(0x0a0c0000 + 1 + i));
	/* Enough for both send and receive buffers, the rings and bursts. */
	pool = rte_pktmbuf_pool_create("tcpb_pool", 65535, 256, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE,
				       (int)rte_socket_id());
	r_cs = rte_ring_create("tcpb_c2s", RING_SIZE, (int)rte_socket_id(),
			       RING_F_SP_ENQ | RING_F_SC_DEQ);
	r_sc = rte_ring_create("tcpb_s2c", RING_SIZE, (int)rte_socket_id(),
			       RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (pool == NULL || r_cs == NULL || r_sc == NULL) {
		fprintf(stderr, "tcp_bench: pool/rings: %s\n",
			rte_strerror(rte_errno));
		return 1;
	}
	pc = make_port("tcpb_cli", r_sc, r_cs);
	ps = make_port("tcpb_srv", r_cs, r_sc);
	if (pc < 0 || ps < 0) {
		fprintf(stderr, "tcp_bench: net_ring ports failed\n");
		return 1;
	}
	sides[CLI] = (struct side){ .name = "client", .port = (uint16_t)pc };
	sides[SRV] = (struct side){ .name = "server", .port = (uint16_t)ps };
	printf("tcp_bench: lcore %u, TSC %.3f GHz, net_ring ports %d<->%d, "
	       "mg_tcp_conn_size %zu\n", rte_lcore_id(), (double)tsc_hz / 1e9,
	       pc, ps, mg_tcp_conn_size());
	if (strcmp(argv[1], "bulk") == 0)
		rc = run_bulk(atof(argv[2]));
	else if (strcmp(argv[1], "cps") == 0 && argc >= 4)
		rc = run_cps(atof(argv[2]), (uint32_t)atoi(argv[3]));
	else if (strcmp(argv[1], "idle") == 0)
		rc = run_idle((uint32_t)strtoul(argv[2], NULL, 10));
	else
		usage();
	fflush(stdout);
	/* The stacks' RSTs on free would go to the rings: skip freeing,
	 * the process ends here. */
	rte_eal_cleanup();
	return rc;
}
