/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mg_httpgen: the HTTP load generator and responder of the L7 benchmark
 * (perf/run_http.sh), built on lib/tcp and lib/http the way TRex ASTF is
 * built on its own stack, so that the gateway is measured without a kernel
 * on either side. One lcore drives two ports, each with its own lib/tcp
 * stack:
 *
 *   port 0 "ext": N HTTP/1.1 clients, active opens from the client
 *       addresses (10.10.0.10 + i % n_clients) to VIP:vport. Keep-alive
 *       mode: N connections, each with one request outstanding (as wrk
 *       -cN). Connection-per-request mode: every request on a new
 *       connection with "Connection: close"; the gateway closes first, the
 *       client closes on its FIN and opens the next. Each "{n}" of
 *       --path becomes 8 hex digits that change with every request.
 *   port 1 "int": the endpoints: listeners on endpoint:eport that answer
 *       every GET with a fixed 200 response of --size body bytes.
 *
 * Both ports answer ARP for their addresses (lib/net) and learn the
 * gateway's MAC from its ARP; the ext side asks for the VIP's MAC before
 * it starts. Every response is parsed (lib/http) and checked: status 200,
 * Content-Length framing, exactly the body size the responder sent.
 *
 * A frame the memif ring refuses waits in a per-port queue and is retried
 * (memif applies back-pressure; dropping would turn into TCP
 * retransmission timeouts and measure those instead).
 *
 * Phases: links up; ARP; the clients open and run for --warmup seconds,
 * then the measured window of --duration seconds ("window-start" and
 * "window-end" on stdout, for telemetry snapshots), the load for --tail
 * more seconds (while the snapshot is taken), then one line
 * "result key=value ..." on stdout. Requests are counted when their
 * response is complete; latency is from the request's send (keep-alive) or
 * the connection's open (connection-per-request) to the last body byte.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "mg_http.h"
#include "mg_net.h"
#include "mg_tcp.h"

#define GEN_EXT		0
#define GEN_INT		1
#define GEN_BURST	32
#define GEN_TXQ		8192		/* frames waiting for ring room, per port */
#define GEN_NEIGH	8		/* the gateway's addresses, per port */
#define GEN_HEAD_MAX	2048		/* a response or request head */
#define GEN_HDRS	32
#define GEN_MAX_EP	16
#define GEN_LAT_US	20000		/* latency histogram: 1 us buckets */
#define GEN_ARP_GAP_US	100000

/* What can go wrong, one counter each. */
#define GEN_ERRORS(X)							\
	X(CONNECT_FAILED, "connect-failed")	/* mg_tcp_connect NULL */	\
	X(RESET, "reset")			/* RST or timeout */	\
	X(CLOSED_EARLY, "closed-mid-response")				\
	X(BAD_RESPONSE, "bad-response-head")				\
	X(BAD_STATUS, "status-not-200")					\
	X(BAD_FRAMING, "not-content-length")				\
	X(BAD_LENGTH, "unexpected-body-size")				\
	X(EXTRA_BYTES, "bytes-after-response")				\
	X(HEAD_TOO_LARGE, "head-too-large")				\
	X(BAD_REQUEST, "bad-request-head")				\
	X(REQUEST_BODY, "request-with-body")				\
	X(NO_SERVER_SLOT, "no-server-slot")				\
	X(SEND_FAILED, "send-failed")					\
	X(NEIGH_MISS, "neighbour-unknown")	/* frame dropped */	\
	X(TXQ_FULL, "tx-queue-full")		/* frame dropped */	\
	X(NO_MBUF, "no-mbuf")						\
	X(RX_DROPPED, "rx-unhandled")

enum gen_error {
#define X(n, s) GEN_E_##n,
	GEN_ERRORS(X)
#undef X
	GEN_E_MAX
};

static const char *const gen_error_names[GEN_E_MAX] = {
#define X(n, s) [GEN_E_##n] = s,
	GEN_ERRORS(X)
#undef X
};

struct gen_opts {
	bool keepalive;
	uint32_t conns;
	uint32_t size;			/* response body bytes */
	const char *path, *host;
	struct mg_ip vip;
	struct mg_ip dut_int;		/* the gateway's address on int */
	uint16_t vport, eport;
	uint32_t client_base;		/* host order */
	uint32_t n_clients;
	uint32_t ep_lo, ep_hi;		/* host order */
	double warmup_s, duration_s, setup_timeout_s;
	double tail_s;			/* load after the window */
	bool show_request;		/* print the first forwarded head */
	bool show_response;		/* and the first response head */
};

/* One port: its interface for lib/net, its stack, what waits to go out. */
struct gen_port {
	uint16_t id;
	struct mg_net_iface ifc;
	struct mg_tcp_stack *tcp;
	struct {
		struct mg_ip ip;
		struct rte_ether_addr mac;
		uint64_t asked_us;
		bool known;
	} neigh[GEN_NEIGH];
	struct rte_mbuf *txq[GEN_TXQ];
	uint32_t tx_head, tx_len;
};

enum cli_state { CLI_IDLE, CLI_CONNECTING, CLI_WAIT_RESPONSE, CLI_WAIT_FIN };

struct cli {
	struct mg_tcp_conn *c;
	uint8_t state;
	bool head_done, queued;
	uint32_t head_len;		/* bytes in head[] */
	uint64_t body_left;
	uint64_t t_start;		/* TSC: request sent or connection opened */
	uint32_t next_idle;		/* free list of slots to (re)open */
	struct mg_http_msg msg;
	struct mg_http_header hdrs[GEN_HDRS];
	char head[GEN_HEAD_MAX];
};

struct srv {
	struct mg_tcp_conn *c;
	uint32_t head_len;
	uint32_t resp_off;		/* of the response being sent */
	bool sending, close_after;
	uint32_t next_free;
	struct mg_http_msg msg;
	struct mg_http_header hdrs[GEN_HDRS];
	char head[GEN_HEAD_MAX];
};

struct gen_counters {
	uint64_t requests, responses, resp_bytes, connects, srv_requests;
	uint64_t srv_accepts;
	uint64_t errors[GEN_E_MAX];
	uint64_t polls, busy_polls;
	uint64_t tx_refused;		/* a burst the ring took only part of */
};

static volatile sig_atomic_t stop;
static struct gen_opts o;
static struct gen_counters cnt;
static uint64_t lat_hist[GEN_LAT_US + 1];
static struct rte_mempool *pool;
static struct gen_port ports[2];
static uint64_t tsc_hz, tsc_per_us, now_us;
static bool running;			/* clients send requests */

static struct cli *clis;
static uint32_t idle_head = UINT32_MAX;	/* clients to (re)open */
static struct srv *srvs;
static uint32_t n_srvs, srv_free = UINT32_MAX;

static char request[512];
static uint32_t request_len;
/* "{n}" in --path: 8 characters of the request head rewritten before each
 * request, so that no two requests carry the same values (what a WAF's
 * memos see from live traffic) */
#define GEN_FRESH_MAX	4
#define GEN_FRESH_LEN	8
static uint32_t fresh_at[GEN_FRESH_MAX];
static unsigned n_fresh;
static uint64_t fresh_seq;
static char *response;
static uint32_t response_len;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
count(enum gen_error e)
{
	cnt.errors[e]++;
}

/* --- output: neighbours, the queue, Ethernet --- */

static struct rte_ether_addr *
neigh_find(struct gen_port *gp, const struct mg_ip *ip)
{
	for (unsigned i = 0; i < GEN_NEIGH; i++)
		if (gp->neigh[i].known && mg_ip_eq(&gp->neigh[i].ip, ip))
			return &gp->neigh[i].mac;
	return NULL;
}

static void
neigh_learn(struct gen_port *gp, const struct mg_neigh_learn *l)
{
	unsigned i, slot = GEN_NEIGH;

	if (l->mode == MG_NEIGH_LEARN_NONE)
		return;
	for (i = 0; i < GEN_NEIGH; i++) {
		if (mg_ip_eq(&gp->neigh[i].ip, &l->ip)) {
			slot = i;
			break;
		}
		if (slot == GEN_NEIGH && gp->neigh[i].ip.family == 0)
			slot = i;
	}
	if (slot == GEN_NEIGH ||
	    (l->mode == MG_NEIGH_LEARN_UPDATE && !gp->neigh[slot].known))
		return;
	gp->neigh[slot].ip = l->ip;
	gp->neigh[slot].mac = l->mac;
	gp->neigh[slot].known = true;
}

static void
txq_put(struct gen_port *gp, struct rte_mbuf *m)
{
	if (gp->tx_len == GEN_TXQ) {
		count(GEN_E_TXQ_FULL);
		rte_pktmbuf_free(m);
		return;
	}
	gp->txq[(gp->tx_head + gp->tx_len++) % GEN_TXQ] = m;
}

/* Send what waits, oldest first, as far as the ring takes it. */
static void
txq_flush(struct gen_port *gp)
{
	while (gp->tx_len > 0) {
		uint32_t run = RTE_MIN(gp->tx_len, GEN_TXQ - gp->tx_head);
		uint16_t n = (uint16_t)RTE_MIN(run, (uint32_t)UINT16_MAX);
		uint16_t sent = rte_eth_tx_burst(gp->id, 0, gp->txq + gp->tx_head, n);

		gp->tx_head = (gp->tx_head + sent) % GEN_TXQ;
		gp->tx_len -= sent;
		if (sent < n) {
			cnt.tx_refused++;
			return;
		}
	}
}

/* Ask for @p ip's MAC, at most once per GEN_ARP_GAP_US. */
static void
neigh_ask(struct gen_port *gp, const struct mg_ip *ip)
{
	unsigned i, slot = GEN_NEIGH;
	struct rte_mbuf *m;

	for (i = 0; i < GEN_NEIGH; i++) {
		if (mg_ip_eq(&gp->neigh[i].ip, ip)) {
			slot = i;
			break;
		}
		if (slot == GEN_NEIGH && gp->neigh[i].ip.family == 0)
			slot = i;
	}
	if (slot == GEN_NEIGH)
		return;
	if (gp->neigh[slot].ip.family != 0 &&
	    now_us - gp->neigh[slot].asked_us < GEN_ARP_GAP_US)
		return;
	gp->neigh[slot].ip = *ip;
	gp->neigh[slot].asked_us = now_us;
	m = mg_arp_request(pool, &gp->ifc, ip, NULL);
	if (m != NULL)
		txq_put(gp, m);
}

/* The stacks' xmit: every destination is on-link (the VIP on ext, the
 * gateway's address on int). */
static int
port_xmit(void *ctx, struct rte_mbuf *m, uint8_t family)
{
	struct gen_port *gp = ctx;
	struct rte_ether_addr *mac;
	struct mg_ip dst;

	if (family != AF_INET) {
		rte_pktmbuf_free(m);
		return -EAFNOSUPPORT;
	}
	mg_ip_set_v4(&dst, rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *)->dst_addr);
	mac = neigh_find(gp, &dst);
	if (mac == NULL) {
		neigh_ask(gp, &dst);
		count(GEN_E_NEIGH_MISS);
		rte_pktmbuf_free(m);
		return -EHOSTUNREACH;
	}
	if (mg_eth_prepend(m, &gp->ifc, mac, RTE_ETHER_TYPE_IPV4) != 0) {
		count(GEN_E_NO_MBUF);
		rte_pktmbuf_free(m);
		return -ENOSPC;
	}
	txq_put(gp, m);
	return 0;
}

/* --- the clients --- */

static void
cli_make_idle(struct cli *cl)
{
	cl->c = NULL;
	cl->state = CLI_IDLE;
	if (!cl->queued) {
		cl->queued = true;
		cl->next_idle = idle_head;
		idle_head = (uint32_t)(cl - clis);
	}
}

static void
lat_record(uint64_t t_start)
{
	uint64_t us = (rte_rdtsc() - t_start) / tsc_per_us;

	lat_hist[RTE_MIN(us, (uint64_t)GEN_LAT_US)]++;
}

/* Each "{n}" of the path: 8 hex digits of a hash of the request's number
 * (a counter would keep most of its digits from request to request) */
static void
fresh_values(void)
{
	for (unsigned f = 0; f < n_fresh; f++) {
		uint64_t x = (++fresh_seq) * 0x9e3779b97f4a7c15ull;

		x ^= x >> 31;
		for (unsigned i = 0; i < GEN_FRESH_LEN; i++)
			request[fresh_at[f] + i] =
				"0123456789abcdef"[(x >> (4 * i)) & 15];
	}
}

static void
cli_send_request(struct cli *cl)
{
	mg_http_response_init(&cl->msg, cl->hdrs, GEN_HDRS, NULL, MG_HTTP_M_GET);
	cl->head_done = false;
	cl->head_len = 0;
	cl->t_start = cl->state == CLI_CONNECTING && !o.keepalive
		? cl->t_start : rte_rdtsc();
	cl->state = CLI_WAIT_RESPONSE;
	fresh_values();
	if (mg_tcp_send_copy(cl->c, request, request_len, now_us) !=
	    (int)request_len) {
		count(GEN_E_SEND_FAILED);
		mg_tcp_abort(cl->c, now_us);
		return;
	}
	cnt.requests++;
}

/* The response is complete: the next request, or wait for the close. */
static void
cli_response_done(struct cli *cl)
{
	cnt.responses++;
	cnt.resp_bytes += o.size;
	lat_record(cl->t_start);
	if (!o.keepalive) {
		cl->state = CLI_WAIT_FIN;	/* the gateway closes first */
		return;
	}
	if (running)
		cli_send_request(cl);
	else
		cl->state = CLI_WAIT_FIN;	/* the run is over: park it */
}

/* Count @p e and reset the connection; false, for cli_bytes(). */
static bool
cli_fail(struct cli *cl, enum gen_error e)
{
	count(e);
	mg_tcp_abort(cl->c, now_us);
	return false;
}

/* Bytes of the response; false when the connection was given up. */
static bool
cli_bytes(struct cli *cl, const char *p, uint32_t n)
{
	if (cl->state != CLI_WAIT_RESPONSE)
		return cli_fail(cl, GEN_E_EXTRA_BYTES);
	if (!cl->head_done) {
		uint32_t k = RTE_MIN(n, GEN_HEAD_MAX - cl->head_len);
		int rc;

		memcpy(cl->head + cl->head_len, p, k);
		cl->head_len += k;
		rc = mg_http_response_parse(&cl->msg, cl->head, cl->head_len);
		if (rc == MG_HTTP_AGAIN)
			return cl->head_len < GEN_HEAD_MAX ||
			       cli_fail(cl, GEN_E_HEAD_TOO_LARGE);
		if (rc != MG_HTTP_OK)
			return cli_fail(cl, GEN_E_BAD_RESPONSE);
		if (cl->msg.status != 200)
			return cli_fail(cl, GEN_E_BAD_STATUS);
		if (cl->msg.framing != MG_HTTP_BODY_LENGTH)
			return cli_fail(cl, GEN_E_BAD_FRAMING);
		if (cl->msg.content_length != o.size)
			return cli_fail(cl, GEN_E_BAD_LENGTH);
		if (o.show_response) {
			o.show_response = false;
			fprintf(stderr, "mg_httpgen: a response head as the "
				"client got it, %u bytes:\n%.*s", cl->msg.head_len,
				(int)cl->msg.head_len, cl->head);
		}
		cl->head_done = true;
		cl->body_left = cl->msg.content_length;
		/* what came after the head in this stretch is body */
		n = cl->head_len - cl->msg.head_len + (n - k);
	}
	if (n > cl->body_left)
		return cli_fail(cl, GEN_E_EXTRA_BYTES);
	cl->body_left -= n;
	if (cl->body_left == 0)
		cli_response_done(cl);
	return true;
}

static void
cli_read(struct cli *cl)
{
	struct rte_mbuf *m;
	bool eof = false;

	while (cl->c != NULL && mg_tcp_recv(cl->c, &m, UINT32_MAX, &eof) > 0) {
		bool ok = true;

		for (struct rte_mbuf *s = m; s != NULL && ok; s = s->next)
			ok = cli_bytes(cl, rte_pktmbuf_mtod(s, const char *),
				       s->data_len);
		rte_pktmbuf_free(m);
		if (!ok)
			return;
	}
}

static void
cli_event(struct mg_tcp_conn *c, enum mg_tcp_event ev, void *user)
{
	struct cli *cl = user;

	switch (ev) {
	case MG_TCP_EV_CONNECTED:
		cnt.connects++;
		cli_send_request(cl);
		break;
	case MG_TCP_EV_READABLE:
		cli_read(cl);
		break;
	case MG_TCP_EV_PEER_CLOSED:
		cli_read(cl);
		if (cl->state == CLI_WAIT_FIN) {
			mg_tcp_close(c, now_us);
		} else if (cl->state != CLI_IDLE) {
			count(GEN_E_CLOSED_EARLY);
			mg_tcp_abort(c, now_us);
		}
		break;
	case MG_TCP_EV_RESET:
		count(GEN_E_RESET);
		break;
	case MG_TCP_EV_CLOSED:
		cli_make_idle(cl);
		break;
	default:
		break;
	}
}

static void
cli_conn_params(struct mg_tcp_conn_params *cp)
{
	memset(cp, 0, sizeof(*cp));
	cp->timestamps = true;
	cp->sack = true;
	cp->window_scaling = true;
	cp->nodelay = true;
}

/* Open connections for the idle clients (all at first; in
 * connection-per-request mode, each one whose last connection ended). */
static void
cli_open_idle(void)
{
	static uint32_t next_addr;
	struct mg_tcp_conn_params cp;

	cli_conn_params(&cp);
	while (running && idle_head != UINT32_MAX) {
		struct cli *cl = &clis[idle_head];
		struct mg_ip la;

		mg_ip_set_v4(&la, htonl(o.client_base + next_addr++ % o.n_clients));
		cl->state = CLI_CONNECTING;
		cl->t_start = rte_rdtsc();
		cl->c = mg_tcp_connect(ports[GEN_EXT].tcp, &la, &o.vip, o.vport,
				       &cp, cli_event, cl, now_us);
		if (cl->c == NULL) {
			count(GEN_E_CONNECT_FAILED);
			cl->state = CLI_IDLE;
			return;		/* again on the next loop */
		}
		idle_head = cl->next_idle;
		cl->queued = false;
	}
}

/* --- the responders --- */

static struct srv *
srv_alloc(void)
{
	struct srv *s;

	if (srv_free == UINT32_MAX)
		return NULL;
	s = &srvs[srv_free];
	srv_free = s->next_free;
	s->head_len = 0;
	s->resp_off = 0;
	s->sending = s->close_after = false;
	mg_http_request_init(&s->msg, s->hdrs, GEN_HDRS, NULL);
	return s;
}

static void
srv_release(struct srv *s)
{
	s->c = NULL;
	s->next_free = srv_free;
	srv_free = (uint32_t)(s - srvs);
}

/* Send (the rest of) the response; true when all of it is queued. */
static bool
srv_push(struct srv *s)
{
	s->sending = true;
	while (s->resp_off < response_len) {
		int n = mg_tcp_send_copy(s->c, response + s->resp_off,
					 response_len - s->resp_off, now_us);

		if (n < 0) {
			count(GEN_E_SEND_FAILED);
			mg_tcp_abort(s->c, now_us);
			return false;
		}
		if (n == 0)
			return false;	/* WRITABLE resumes */
		s->resp_off += (uint32_t)n;
	}
	s->resp_off = 0;
	s->sending = false;
	if (s->close_after)
		mg_tcp_shutdown(s->c, now_us);
	return true;
}

/* Answer every complete request in head[] (pipelined ones in order). */
static void
srv_serve(struct srv *s)
{
	while (!s->sending && s->head_len > 0 && !s->close_after) {
		int rc = mg_http_request_parse(&s->msg, s->head, s->head_len);
		uint32_t used;

		if (rc == MG_HTTP_AGAIN) {
			if (s->head_len == GEN_HEAD_MAX) {
				count(GEN_E_HEAD_TOO_LARGE);
				mg_tcp_abort(s->c, now_us);
			}
			return;
		}
		if (rc != MG_HTTP_OK) {
			count(GEN_E_BAD_REQUEST);
			mg_tcp_abort(s->c, now_us);
			return;
		}
		if (s->msg.framing != MG_HTTP_BODY_NONE &&
		    !(s->msg.framing == MG_HTTP_BODY_LENGTH &&
		      s->msg.content_length == 0)) {
			count(GEN_E_REQUEST_BODY);
			mg_tcp_abort(s->c, now_us);
			return;
		}
		if (o.show_request) {
			/* what the gateway forwards and answers, e.g. for
			 * the byte counts of scripts/trex/http_astf.py */
			o.show_request = false;
			fprintf(stderr, "mg_httpgen: a forwarded request head, %u "
				"bytes:\n%.*s", s->msg.head_len,
				(int)s->msg.head_len, s->head);
		}
		cnt.srv_requests++;
		s->close_after = !(s->msg.flags & MG_HTTP_F_KEEP_ALIVE);
		used = s->msg.head_len;
		memmove(s->head, s->head + used, s->head_len - used);
		s->head_len -= used;
		mg_http_request_init(&s->msg, s->hdrs, GEN_HDRS, NULL);
		if (!srv_push(s))
			return;
	}
}

static void
srv_read(struct srv *s)
{
	struct rte_mbuf *m;
	bool eof = false;

	for (;;) {
		uint32_t room = GEN_HEAD_MAX - s->head_len, n;

		if (room == 0)
			break;
		n = mg_tcp_recv(s->c, &m, room, &eof);
		if (n == 0)
			break;
		for (struct rte_mbuf *g = m; g != NULL; g = g->next) {
			memcpy(s->head + s->head_len,
			       rte_pktmbuf_mtod(g, const char *), g->data_len);
			s->head_len += g->data_len;
		}
		rte_pktmbuf_free(m);
		srv_serve(s);
		if (s->c == NULL)
			return;
	}
	srv_serve(s);
}

static void
srv_event(struct mg_tcp_conn *c, enum mg_tcp_event ev, void *user)
{
	struct srv *s = user;

	switch (ev) {
	case MG_TCP_EV_ACCEPTED:
		s = srv_alloc();
		if (s == NULL) {
			count(GEN_E_NO_SERVER_SLOT);
			mg_tcp_set_user(c, srv_event, NULL);
			mg_tcp_abort(c, now_us);
			return;
		}
		cnt.srv_accepts++;
		s->c = c;
		mg_tcp_set_user(c, srv_event, s);
		break;
	case MG_TCP_EV_READABLE:
		if (s != NULL)
			srv_read(s);
		break;
	case MG_TCP_EV_WRITABLE:
		if (s != NULL && s->sending && srv_push(s))
			srv_serve(s);
		break;
	case MG_TCP_EV_PEER_CLOSED:
		if (s != NULL) {
			srv_read(s);
			if (s->c != NULL)
				mg_tcp_close(c, now_us);
		}
		break;
	case MG_TCP_EV_CLOSED:
		if (s != NULL)
			srv_release(s);
		break;
	default:
		break;
	}
}

/* --- the loop --- */

static void
poll_port(struct gen_port *gp)
{
	struct rte_mbuf *pkts[GEN_BURST];
	uint16_t n = rte_eth_rx_burst(gp->id, 0, pkts, GEN_BURST);

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct mg_neigh_learn learn;
		enum mg_net_drop drop;
		struct mg_pkt p;

		if (mg_pkt_parse(m, &p) != MG_NET_OK) {
			count(GEN_E_RX_DROPPED);
			rte_pktmbuf_free(m);
			continue;
		}
		if (p.ethertype == RTE_ETHER_TYPE_IPV4 &&
		    p.l4_proto == IPPROTO_TCP) {
			mg_tcp_input(gp->tcp, m, &p, now_us);
			continue;
		}
		learn.mode = MG_NEIGH_LEARN_NONE;
		switch (mg_net_local_input(m, &p, &gp->ifc, &learn, &drop)) {
		case MG_NET_ACT_TX:
			txq_put(gp, m);
			break;
		case MG_NET_ACT_CONSUMED:
			rte_pktmbuf_free(m);
			break;
		default:
			count(GEN_E_RX_DROPPED);
			rte_pktmbuf_free(m);
			break;
		}
		neigh_learn(gp, &learn);
	}
	if (n > 0)
		cnt.busy_polls++;
}

static void
poll_all(void)
{
	now_us = rte_rdtsc() / tsc_per_us;
	cnt.polls++;
	poll_port(&ports[GEN_INT]);
	poll_port(&ports[GEN_EXT]);
	mg_tcp_timers(ports[GEN_INT].tcp, now_us);
	mg_tcp_timers(ports[GEN_EXT].tcp, now_us);
	cli_open_idle();
	txq_flush(&ports[GEN_INT]);
	txq_flush(&ports[GEN_EXT]);
}

static double
now_s(void)
{
	return (double)rte_rdtsc() / (double)tsc_hz;
}

static void
run_for(double s)
{
	double end = now_s() + s;

	while (!stop && now_s() < end)
		poll_all();
}

/* --- set-up --- */

static int
port_init(struct gen_port *gp, uint16_t id)
{
	struct rte_eth_conf conf;
	uint16_t rxd = 1024, txd = 1024;
	int rc;

	memset(&conf, 0, sizeof(conf));
	gp->id = id;
	rc = rte_eth_dev_configure(id, 1, 1, &conf);
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(id, &rxd, &txd);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(id, 0, rxd, rte_eth_dev_socket_id(id),
					    NULL, pool);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(id, 0, txd, rte_eth_dev_socket_id(id),
					    NULL);
	if (rc == 0)
		rc = rte_eth_macaddr_get(id, &gp->ifc.mac);
	if (rc == 0)
		rc = rte_eth_dev_start(id);
	gp->ifc.port_id = id;
	return rc;
}

/* The interface lib/net answers ARP for: the first address with its /24
 * (the on-link subnet), the others as extra addresses. */
static int
iface_addrs(struct gen_port *gp, uint32_t first, uint32_t n)
{
	if (n == 0 || n > 1 + MG_NET_MAX_EXTRA)
		return -EINVAL;
	gp->ifc.n_addrs = 1;
	mg_ip_set_v4(&gp->ifc.addrs[0], htonl(first));
	gp->ifc.prefix_len[0] = 24;
	gp->ifc.n_extra = n - 1;
	for (uint32_t i = 1; i < n; i++)
		mg_ip_set_v4(&gp->ifc.extra[i - 1], htonl(first + i));
	return 0;
}

static struct mg_tcp_stack *
make_stack(struct gen_port *gp, uint32_t max_conns, uint64_t seed)
{
	struct mg_tcp_stack_params p;

	memset(&p, 0, sizeof(p));
	p.worker_index = 0;
	p.n_workers = 1;
	p.port_min = 1024;
	p.port_max = 65535;
	p.max_conns = max_conns;
	p.mtu = 1500;
	p.time_wait_ms = 1000;
	p.seed = seed;
	p.pool = pool;
	p.xmit = port_xmit;
	p.xmit_ctx = gp;
	p.socket = (int)rte_socket_id();
	gp->tcp = mg_tcp_stack_create(&p);
	return gp->tcp;
}

static int
listen_endpoints(void)
{
	struct mg_tcp_listen_params lp;

	memset(&lp, 0, sizeof(lp));
	lp.port = o.eport;
	lp.syn_backlog = 4096;
	cli_conn_params(&lp.conn);
	lp.event = srv_event;
	for (uint32_t a = o.ep_lo; a <= o.ep_hi; a++) {
		mg_ip_set_v4(&lp.addr, htonl(a));
		if (mg_tcp_listen(ports[GEN_INT].tcp, &lp) == NULL)
			return -rte_errno;
	}
	return 0;
}

static int
build_messages(void)
{
	char path[256];
	const char *p = o.path, *mark;
	size_t len = 0;
	int n, h;

	/* each "{n}" becomes GEN_FRESH_LEN placeholder bytes, found again
	 * in the head below */
	while ((mark = strstr(p, "{n}")) != NULL && n_fresh < GEN_FRESH_MAX) {
		if (len + (size_t)(mark - p) + GEN_FRESH_LEN >= sizeof(path))
			return -EINVAL;
		memcpy(path + len, p, (size_t)(mark - p));
		len += (size_t)(mark - p);
		memset(path + len, '\x01', GEN_FRESH_LEN);
		len += GEN_FRESH_LEN;
		n_fresh++;
		p = mark + 3;
	}
	if (len + strlen(p) >= sizeof(path))
		return -EINVAL;
	strcpy(path + len, p);
	n = snprintf(request, sizeof(request),
		     "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: mg_httpgen\r\n"
		     "Accept: */*\r\n%s\r\n", path, o.host,
		     o.keepalive ? "" : "Connection: close\r\n");
	if (n < 0 || (size_t)n >= sizeof(request))
		return -EINVAL;
	request_len = (uint32_t)n;
	for (unsigned f = 0; f < n_fresh; f++) {
		uint32_t from = f ? fresh_at[f - 1] + GEN_FRESH_LEN : 0;

		mark = memchr(request + from, '\x01', request_len - from);
		if (mark == NULL)
			return -EINVAL;
		fresh_at[f] = (uint32_t)(mark - request);
	}
	fresh_values();
	response = rte_malloc("gen_response", o.size + 256, 0);
	if (response == NULL)
		return -ENOMEM;
	h = snprintf(response, 256, "HTTP/1.1 200 OK\r\nServer: mg_httpgen\r\n"
		     "Content-Type: application/octet-stream\r\n"
		     "Content-Length: %u\r\n\r\n", o.size);
	for (uint32_t i = 0; i < o.size; i++)
		response[h + i] = (char)('a' + i % 26);
	response_len = (uint32_t)h + o.size;
	return 0;
}

static bool
links_up(void)
{
	for (uint16_t p = 0; p < 2; p++) {
		struct rte_eth_link l;

		if (rte_eth_link_get_nowait(p, &l) != 0 || !l.link_status)
			return false;
	}
	return true;
}

/* An ARP request from each of the port's addresses to @p target (on ext
 * the VIP, on int the gateway's address): a request aimed at it makes
 * the gateway learn the sender, so its first SYN-ACK to a client or SYN to
 * an endpoint does not wait for resolution (and its retransmission
 * timeout). Built by lib/net from a one-address copy of the interface,
 * which makes that address the sender. */
static void
announce(struct gen_port *gp, const struct mg_ip *target)
{
	uint32_t n = gp->ifc.n_addrs + gp->ifc.n_extra;
	struct mg_net_iface one = gp->ifc;

	one.n_extra = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct rte_mbuf *m;

		if (i > 0)
			one.addrs[0] = gp->ifc.extra[i - 1];
		m = mg_arp_request(pool, &one, target, NULL);
		if (m == NULL) {
			count(GEN_E_NO_MBUF);
			continue;
		}
		txq_put(gp, m);
	}
}

/* The VIP's MAC before the first SYN (a SYN lost to an unresolved
 * neighbour would wait for its retransmission timeout). */
static int
resolve_vip(void)
{
	double end = now_s() + o.setup_timeout_s;

	while (!stop && now_s() < end) {
		if (neigh_find(&ports[GEN_EXT], &o.vip) != NULL) {
			/* the learning goes through the gateway's main lcore */
			for (int i = 0; i < 2; i++) {
				announce(&ports[GEN_EXT], &o.vip);
				announce(&ports[GEN_INT], &o.dut_int);
				run_for(0.1);
			}
			return 0;
		}
		neigh_ask(&ports[GEN_EXT], &o.vip);
		run_for(0.01);
	}
	return -ETIMEDOUT;
}

/* --- arguments --- */

/* An IPv4 address (lib/base), in host order for address arithmetic. */
static int
parse_ip4(const char *s, uint32_t *host)
{
	struct mg_ip a;

	if (mg_ip_parse(s, &a) != 0 || a.family != AF_INET)
		return -EINVAL;
	*host = ntohl(a.v4);
	return 0;
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: mg_httpgen [EAL args] -- [--mode keepalive|close]\n"
		"         [--conns N] [--size BYTES] [--path P] [--host H]\n"
		"         [--vip A] [--vport P] [--clients A] [--n-clients N]\n"
		"         [--endpoints A-B] [--eport P] [--dut-int A]\n"
		"         [--warmup S] [--duration S] [--tail S]\n"
		"         [--setup-timeout S] [--show-request]\n"
		"  --path: each \"{n}\" (up to 4) becomes 8 hex digits that\n"
		"       change with every request.\n"
		"  EAL: two ports, 0 = ext (clients, towards the VIP),\n"
		"       1 = int (the endpoints).\n");
}

static int
parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "mode", 1, NULL, 'm' }, { "conns", 1, NULL, 'c' },
		{ "size", 1, NULL, 's' }, { "path", 1, NULL, 'p' },
		{ "host", 1, NULL, 'H' }, { "vip", 1, NULL, 'v' },
		{ "vport", 1, NULL, 'V' }, { "clients", 1, NULL, 'a' },
		{ "n-clients", 1, NULL, 'n' }, { "endpoints", 1, NULL, 'e' },
		{ "eport", 1, NULL, 'E' }, { "warmup", 1, NULL, 'w' },
		{ "duration", 1, NULL, 'd' }, { "setup-timeout", 1, NULL, 't' },
		{ "dut-int", 1, NULL, 'g' }, { "show-request", 0, NULL, 'R' },
		{ "tail", 1, NULL, 'T' },
		{ "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint32_t vip;
	char *dash;
	int opt;

	o.keepalive = true;
	o.conns = 64;
	o.size = 64;
	o.path = "/";
	o.host = "perf.test";
	parse_ip4("10.10.0.100", &vip);
	mg_ip_set_v4(&o.vip, htonl(vip));
	o.vport = 80;
	o.eport = 80;
	parse_ip4("10.20.0.1", &vip);
	mg_ip_set_v4(&o.dut_int, htonl(vip));
	parse_ip4("10.10.0.10", &o.client_base);
	/* odd: the stack's port cursor and the address rotation do not line
	 * up, so a 4-tuple comes back only after 31 x 64,512 connections */
	o.n_clients = 31;
	parse_ip4("10.20.0.11", &o.ep_lo);
	parse_ip4("10.20.0.13", &o.ep_hi);
	o.warmup_s = 2;
	o.duration_s = 5;
	o.setup_timeout_s = 10;
	o.tail_s = 2;

	while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (opt) {
		case 'm':
			if (strcmp(optarg, "keepalive") == 0)
				o.keepalive = true;
			else if (strcmp(optarg, "close") == 0)
				o.keepalive = false;
			else
				return -EINVAL;
			break;
		case 'c': o.conns = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 's': o.size = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'p': o.path = optarg; break;
		case 'H': o.host = optarg; break;
		case 'v':
			if (parse_ip4(optarg, &vip) != 0)
				return -EINVAL;
			mg_ip_set_v4(&o.vip, htonl(vip));
			break;
		case 'V': o.vport = (uint16_t)strtoul(optarg, NULL, 0); break;
		case 'a':
			if (parse_ip4(optarg, &o.client_base) != 0)
				return -EINVAL;
			break;
		case 'n': o.n_clients = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'e':
			dash = strchr(optarg, '-');
			if (dash == NULL)
				return -EINVAL;
			*dash = '\0';
			if (parse_ip4(optarg, &o.ep_lo) != 0 ||
			    parse_ip4(dash + 1, &o.ep_hi) != 0)
				return -EINVAL;
			break;
		case 'g':
			if (parse_ip4(optarg, &vip) != 0)
				return -EINVAL;
			mg_ip_set_v4(&o.dut_int, htonl(vip));
			break;
		case 'R': o.show_request = o.show_response = true; break;
		case 'T': o.tail_s = strtod(optarg, NULL); break;
		case 'E': o.eport = (uint16_t)strtoul(optarg, NULL, 0); break;
		case 'w': o.warmup_s = strtod(optarg, NULL); break;
		case 'd': o.duration_s = strtod(optarg, NULL); break;
		case 't': o.setup_timeout_s = strtod(optarg, NULL); break;
		default:
			return -EINVAL;
		}
	}
	if (o.conns == 0 || o.conns > 65536 || o.size > (64u << 20) ||
	    o.n_clients == 0 || o.n_clients > 1 + MG_NET_MAX_EXTRA ||
	    o.ep_hi < o.ep_lo || o.ep_hi - o.ep_lo >= GEN_MAX_EP ||
	    o.vport == 0 || o.eport == 0 || o.duration_s <= 0 ||
	    o.path[0] != '/')
		return -EINVAL;
	return 0;
}

/* --- results --- */

static uint64_t
lat_quantile(const uint64_t *h, uint64_t total, double q)
{
	uint64_t want = (uint64_t)((double)total * q), seen = 0;

	for (uint32_t us = 0; us <= GEN_LAT_US; us++) {
		seen += h[us];
		if (seen > want)
			return us;
	}
	return GEN_LAT_US;
}

static void
print_result(const struct gen_counters *w0, const struct gen_counters *w1,
	     const uint64_t *hist, double win)
{
	uint64_t resp = w1->responses - w0->responses;
	struct mg_tcp_stats cs, ss;

	mg_tcp_stats_get(ports[GEN_EXT].tcp, &cs);
	mg_tcp_stats_get(ports[GEN_INT].tcp, &ss);
	printf("result mode=%s conns=%u size=%u responses=%" PRIu64
	       " rps=%.0f resp_gbps=%.3f connects_per_s=%.0f"
	       " srv_requests=%" PRIu64 " srv_accepts=%" PRIu64
	       " lat_p50_us=%" PRIu64 " lat_p99_us=%" PRIu64
	       " lat_p999_us=%" PRIu64 " gen_busy_polls_pct=%.1f"
	       " tx_refused=%" PRIu64 " cli_retransmits=%" PRIu64
	       " srv_retransmits=%" PRIu64 " tsc_hz=%" PRIu64,
	       o.keepalive ? "keepalive" : "close", o.conns, o.size, resp,
	       (double)resp / win,
	       (double)(w1->resp_bytes - w0->resp_bytes) * 8 / win / 1e9,
	       (double)(w1->connects - w0->connects) / win,
	       w1->srv_requests - w0->srv_requests,
	       w1->srv_accepts - w0->srv_accepts,
	       lat_quantile(hist, resp, 0.5), lat_quantile(hist, resp, 0.99),
	       lat_quantile(hist, resp, 0.999),
	       w1->polls > w0->polls ? 100.0 * (double)(w1->busy_polls -
		       w0->busy_polls) / (double)(w1->polls - w0->polls) : 0,
	       w1->tx_refused - w0->tx_refused, cs.retransmits, ss.retransmits,
	       tsc_hz);
	/* errors over the whole run, not only the window */
	for (unsigned e = 0; e < GEN_E_MAX; e++)
		printf(" %s=%" PRIu64, gen_error_names[e], cnt.errors[e]);
	for (unsigned e = 0; e < MG_TCP_ERR_MAX; e++)
		if (cs.errors[e] + ss.errors[e] != 0)
			printf(" tcp_%s=%" PRIu64, mg_tcp_error_names[e],
			       cs.errors[e] + ss.errors[e]);
	printf("\n");
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	static uint64_t hist0[GEN_LAT_US + 1];
	struct gen_counters w0, w1;
	double t0, t_w0, win;
	uint32_t max_cli;
	int n;

	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "mg_httpgen: EAL initialisation failed\n");
		return 1;
	}
	argc -= n;
	argv += n;
	if (parse_args(argc, argv) != 0) {
		usage();
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	tsc_hz = rte_get_tsc_hz();
	tsc_per_us = tsc_hz / 1000000;
	if (rte_eth_dev_count_avail() < 2) {
		fprintf(stderr, "mg_httpgen: needs two ports (ext, int)\n");
		return 1;
	}
	/* Receive and send queues of every connection on both sides hold
	 * mbufs: 16 KiB responses to 1,024 clients are ~24,000 of them. */
	pool = rte_pktmbuf_pool_create("httpgen", 131071, 256, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	n_srvs = 16384;
	clis = rte_zmalloc("httpgen_cli", sizeof(*clis) * o.conns, 64);
	srvs = rte_zmalloc("httpgen_srv", sizeof(*srvs) * n_srvs, 64);
	if (pool == NULL || clis == NULL || srvs == NULL ||
	    build_messages() != 0) {
		fprintf(stderr, "mg_httpgen: out of memory\n");
		return 1;
	}
	for (uint32_t i = n_srvs; i-- > 0;)
		srv_release(&srvs[i]);
	for (uint32_t i = o.conns; i-- > 0;)
		cli_make_idle(&clis[i]);
	if (port_init(&ports[GEN_EXT], GEN_EXT) != 0 ||
	    port_init(&ports[GEN_INT], GEN_INT) != 0 ||
	    iface_addrs(&ports[GEN_EXT], o.client_base, o.n_clients) != 0 ||
	    iface_addrs(&ports[GEN_INT], o.ep_lo, o.ep_hi - o.ep_lo + 1) != 0) {
		fprintf(stderr, "mg_httpgen: port setup failed\n");
		return 1;
	}
	/* Passive closes only on the client side (no TIME-WAIT there). */
	max_cli = o.conns * 2 + 1024;
	if (make_stack(&ports[GEN_EXT], max_cli, 0x5eed1) == NULL ||
	    make_stack(&ports[GEN_INT], n_srvs, 0x5eed2) == NULL ||
	    listen_endpoints() != 0) {
		fprintf(stderr, "mg_httpgen: TCP set-up: %s\n",
			rte_strerror(rte_errno));
		return 1;
	}

	t0 = now_s();
	while (!stop && !links_up() && now_s() < t0 + o.setup_timeout_s)
		rte_delay_ms(10);
	if (!links_up() || resolve_vip() != 0) {
		fprintf(stderr, "mg_httpgen: %s\n", links_up()
			? "the VIP's MAC did not resolve (no ARP reply)"
			: "links did not come up");
		return 1;
	}

	running = true;
	run_for(o.warmup_s);
	w0 = cnt;
	memcpy(hist0, lat_hist, sizeof(hist0));
	t_w0 = now_s();
	printf("window-start\n");
	fflush(stdout);
	run_for(o.duration_s);
	w1 = cnt;
	win = now_s() - t_w0;
	printf("window-end\n");
	fflush(stdout);
	for (uint32_t i = 0; i <= GEN_LAT_US; i++)
		hist0[i] = lat_hist[i] - hist0[i];

	/* The load goes on while whoever reads "window-end" samples the
	 * gateway's counters; then what is in flight finishes, so that the
	 * responders' last answers are not counted as errors there. */
	run_for(o.tail_s);
	running = false;
	run_for(0.2);
	print_result(&w0, &w1, hist0, win);

	/* The memif PMD unmaps a ring when its peer goes while the data path
	 * may still poll it: stop polling, let the gateway stop first. */
	t0 = now_s();
	while (!stop && links_up() && now_s() < t0 + 10)
		rte_delay_ms(10);
	rte_delay_ms(200);	/* the interrupt thread handles the disconnect */
	for (uint16_t p = 0; p < 2; p++) {
		rte_eth_dev_stop(p);
		rte_eth_dev_close(p);
	}
	rte_eal_cleanup();
	return 0;
}
