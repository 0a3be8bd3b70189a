/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PROXY_TEST_H
#define PROXY_TEST_H

/*
 * The harness of the proxy tests: two lib/tcp stacks back to back on the
 * scripted link of tests/unit/tcp/stack (link.h), on a virtual clock.
 *
 *   stack A, 10.0.0.1                          stack B, 10.0.0.2
 *   clients  ------------------------------->  proxy listener :80
 *   servers :8080, :8081 <--------------------  proxy upstream connections
 *
 * Stack A plays both ends: HTTP clients written here, and a small HTTP/1.1
 * origin server (on lib/tcp events, requests parsed by lib/http) whose
 * behaviour is chosen by the path. 10.0.0.3 is an endpoint nobody answers:
 * the link drops what B sends there.
 */

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rte_mbuf.h>

#include "mg_test.h"
#include "link.h"
#include "mg_http.h"
#include "mg_lb.h"
#include "mg_proxy.h"
#include "mg_route.h"

/* ---- the world of one case ---- */

enum { C_APP, C_DEAD, C_ONE, N_CLUSTERS };	/* cluster indexes */
enum { R_DIRECT, R_REDIRECT, R_APP, R_DEAD, R_ONE, N_ROUTES };

#define PT_BUF		65536	/* TCP buffers of the proxy's connections */
#define PT_MAX_RECORDS	256
#define PT_MAX_PROBES	16

struct probe_result {
	uint32_t target, probe_id;
	bool up;
	uint64_t at;
};

static struct rte_mempool *pool;
static struct link L;
static struct mg_config *cfg;
static struct mg_route_table *routes;
static struct mg_lb *lbs[N_CLUSTERS];
static struct mg_proxy *px;
/* WAF policy i (cfg->waf[i]) as loaded, and the conf it was loaded with */
static const struct mg_waf_ruleset *pt_waf[MG_MAX_WAF_POLICIES];
static struct mg_waf_conf pt_waf_conf[MG_MAX_WAF_POLICIES];
static struct mg_access_record records[PT_MAX_RECORDS];
static unsigned n_records;
static struct probe_result probes[PT_MAX_PROBES];
static unsigned n_probes;
static unsigned pool_free_start;

static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

#define FNV0 0xcbf29ce484222325ull

/* Byte @p pos of a generated body: not periodic over small distances, so
 * a lost or repeated stretch shows. */
static inline uint8_t
pattern(uint64_t pos)
{
	return (uint8_t)((pos ^ (pos >> 8) ^ (pos >> 16)) * 31 + 7);
}

static bool
has(const char *p, size_t len, const char *needle)
{
	return memmem(p, len, needle, strlen(needle)) != NULL;
}

static struct mg_ip
ip(const char *s)
{
	struct mg_ip a;

	memset(&a, 0, sizeof(a));
	MG_CHECK_EQ(mg_ip_parse(s, &a), 0);
	return a;
}

/* ---- the origin servers on stack A ---- */

#define N_SERVERS	2
#define MAX_SCONNS	64

struct server {
	int id;
	uint16_t port;
	uint16_t force_status;		/* answer every request with it */
	uint16_t health_status;		/* of /health */
	uint32_t accepts, requests, resets, closes, fins;
	char last_head[16384];
	uint32_t last_head_len;
	uint64_t last_body_len, last_body_hash;
};

struct sconn {
	bool used;
	struct server *srv;
	struct mg_tcp_conn *c;
	char *in;
	uint32_t in_len, in_cap, pos;	/* pos: bytes of in parsed */
	struct mg_http_msg msg;
	struct mg_http_header hdrs[128];
	bool in_body, chunked;
	uint64_t body_left, body_len, body_hash;
	struct mg_http_chunked ck;
	char *out;
	uint32_t out_len, out_off, out_cap;
	uint64_t gen_left, gen_pos;	/* generated body after out */
	uint64_t hold_until;		/* a delayed response waits */
	uint64_t abort_at;		/* reset the connection then */
	bool shut_after, shut, tunnel, peer_closed;
};

static struct server servers[N_SERVERS];
static struct sconn sconns[MAX_SCONNS];

static void
grow(char **buf, uint32_t *cap, uint32_t need)
{
	uint32_t c = *cap ? *cap : 4096;

	if (need <= *cap)
		return;
	while (c < need)
		c *= 2;
	*buf = realloc(*buf, c);
	*cap = c;
}

static void
out_add(struct sconn *sc, const void *p, uint32_t n)
{
	grow(&sc->out, &sc->out_cap, sc->out_len + n);
	memcpy(sc->out + sc->out_len, p, n);
	sc->out_len += n;
}

static void __attribute__((format(printf, 2, 3)))
out_fmt(struct sconn *sc, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	out_add(sc, tmp, (uint32_t)n);
}

/* Send what is queued (and generated) as far as the send buffer goes. */
static void
srv_push(struct sconn *sc)
{
	if (sc->c == NULL || L.now < sc->hold_until)
		return;
	while (sc->out_off < sc->out_len) {
		int n = mg_tcp_send_copy(sc->c, sc->out + sc->out_off,
					 sc->out_len - sc->out_off, L.now);

		if (n <= 0)
			return;
		sc->out_off += (uint32_t)n;
	}
	sc->out_off = sc->out_len = 0;
	while (sc->gen_left > 0) {
		uint8_t tmp[16384];
		uint32_t k = (uint32_t)RTE_MIN(sc->gen_left, sizeof(tmp));
		int n;

		for (uint32_t i = 0; i < k; i++)
			tmp[i] = pattern(sc->gen_pos + i);
		n = mg_tcp_send_copy(sc->c, tmp, k, L.now);
		if (n <= 0)
			return;
		sc->gen_pos += (uint64_t)n;
		sc->gen_left -= (uint64_t)n;
	}
	if (sc->shut_after && !sc->shut && sc->abort_at == 0) {
		sc->shut = true;
		mg_tcp_shutdown(sc->c, L.now);
	}
}

static void
srv_head_status(struct sconn *sc, unsigned status)
{
	out_fmt(sc, "HTTP/1.1 %u %s\r\n", status,
		status == 200 ? "OK" : status == 101 ? "Switching Protocols" :
		"Whatever");
}

static void
srv_simple(struct sconn *sc, unsigned status, const char *body)
{
	srv_head_status(sc, status);
	out_fmt(sc, "Content-Length: %zu\r\nX-Server: %d\r\n\r\n%s",
		strlen(body), sc->srv->id, body);
}

static bool
path_is(const char *p, uint32_t len, const char *prefix, unsigned long *arg)
{
	size_t pl = strlen(prefix);

	if (len < pl || memcmp(p, prefix, pl) != 0)
		return false;
	if (arg != NULL) {
		char num[32];
		uint32_t k = 0;

		while (pl + k < len && k < sizeof(num) - 1 &&
		       p[pl + k] >= '0' && p[pl + k] <= '9') {
			num[k] = p[pl + k];
			k++;
		}
		num[k] = '\0';
		*arg = strtoul(num, NULL, 10);
	}
	return true;
}

/* A whole request is in: answer it by its path. */
static void
srv_respond(struct sconn *sc)
{
	struct server *srv = sc->srv;
	const struct mg_http_msg *m = &sc->msg;
	const char *path = sc->in + m->target.off;
	uint32_t plen = m->target.len;
	unsigned long arg = 0;
	char body[128];

	srv->requests++;
	srv->last_head_len = RTE_MIN(m->head_len, (uint32_t)sizeof(srv->last_head) - 1);
	memcpy(srv->last_head, sc->in, srv->last_head_len);
	srv->last_head[srv->last_head_len] = '\0';
	srv->last_body_len = sc->body_len;
	srv->last_body_hash = sc->body_hash;
	if (m->flags & MG_HTTP_F_CONN_CLOSE)
		sc->shut_after = true;

	if (srv->force_status != 0) {
		snprintf(body, sizeof(body), "forced %u\n", srv->force_status);
		srv_simple(sc, srv->force_status, body);
	} else if (path_is(path, plen, "/echo", NULL)) {
		/* the head as received, then what the body was */
		char tail[128];
		int tl = snprintf(tail, sizeof(tail),
				  "body-length: %" PRIu64 "\nbody-hash: %016" PRIx64
				  "\nserver: %d\n", sc->body_len, sc->body_hash, srv->id);

		srv_head_status(sc, 200);
		out_fmt(sc, "Content-Length: %u\r\nX-Server: %d\r\n"
			"Connection: x-drop-me\r\nX-Drop-Me: 1\r\n"
			"Keep-Alive: timeout=5\r\n\r\n",
			m->head_len + (uint32_t)tl, srv->id);
		out_add(sc, sc->in, m->head_len);
		out_add(sc, tail, (uint32_t)tl);
	} else if (path_is(path, plen, "/status/", &arg)) {
		snprintf(body, sizeof(body), "status %lu\n", arg);
		srv_simple(sc, (unsigned)arg, body);
	} else if (path_is(path, plen, "/delay/", &arg)) {
		sc->hold_until = L.now + arg * 1000;
		srv_simple(sc, 200, "delayed\n");
	} else if (path_is(path, plen, "/close", NULL)) {
		srv_head_status(sc, 200);
		out_fmt(sc, "Connection: close\r\n\r\nread until the close\n");
		sc->shut_after = true;
	} else if (path_is(path, plen, "/chunked", NULL)) {
		srv_head_status(sc, 200);
		out_fmt(sc, "Transfer-Encoding: chunked\r\n\r\n"
			"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n");
	} else if (path_is(path, plen, "/reset/", &arg)) {
		if (arg == 0) {
			sc->abort_at = L.now;
		} else {
			srv_head_status(sc, 200);
			out_fmt(sc, "Content-Length: 100000\r\n\r\n");
			sc->gen_left = arg;
			sc->gen_pos = 0;
			sc->abort_at = L.now + 2000;
		}
	} else if (path_is(path, plen, "/large/", &arg)) {
		srv_head_status(sc, 200);
		out_fmt(sc, "Content-Length: %lu\r\n\r\n", arg);
		sc->gen_left = arg;
		sc->gen_pos = 0;
	} else if (path_is(path, plen, "/upgrade", NULL)) {
		srv_head_status(sc, 101);
		out_fmt(sc, "Connection: upgrade\r\nUpgrade: test-proto\r\n\r\n");
		sc->tunnel = true;
	} else if (path_is(path, plen, "/health", NULL)) {
		srv_simple(sc, srv->health_status, "health\n");
	} else {
		srv_simple(sc, 404, "not here\n");
	}
}

/* Parse and answer what came in, as far as it goes. */
static void
srv_process(struct sconn *sc)
{
	for (;;) {
		if (sc->tunnel) {
			out_add(sc, sc->in + sc->pos, sc->in_len - sc->pos);
			sc->in_len = sc->pos = 0;
			return;
		}
		if (sc->hold_until > L.now || sc->abort_at != 0)
			return;		/* busy with the last request */
		if (!sc->in_body) {
			int rc;

			if (sc->in_len == 0)
				return;
			rc = mg_http_request_parse(&sc->msg, sc->in, sc->in_len);
			if (rc == MG_HTTP_AGAIN)
				return;
			if (rc != MG_HTTP_OK) {
				fprintf(stderr, "server: bad request %s\n",
					mg_http_rc_name(rc));
				MG_CHECK(false);
				sc->abort_at = L.now;
				return;
			}
			sc->in_body = true;
			sc->pos = sc->msg.head_len;
			sc->chunked = sc->msg.framing == MG_HTTP_BODY_CHUNKED;
			sc->body_left = sc->msg.framing == MG_HTTP_BODY_LENGTH
				? sc->msg.content_length : 0;
			sc->body_len = 0;
			sc->body_hash = FNV0;
			if (sc->chunked)
				mg_http_chunked_init(&sc->ck, 0, 0, 0);
		}
		if (sc->chunked) {
			int rc = MG_HTTP_AGAIN;

			while (sc->pos < sc->in_len) {
				struct mg_http_slice d;
				size_t used;
				const char *p = sc->in + sc->pos;

				rc = mg_http_chunked_decode(&sc->ck, p,
						sc->in_len - sc->pos, &used, &d);
				if (rc != MG_HTTP_OK && rc != MG_HTTP_AGAIN) {
					MG_CHECK(false);
					sc->abort_at = L.now;
					return;
				}
				sc->body_hash = fnv(sc->body_hash, p + d.off, d.len);
				sc->body_len += d.len;
				sc->pos += (uint32_t)used;
				if (rc == MG_HTTP_OK || used == 0)
					break;
			}
			if (rc != MG_HTTP_OK)
				return;
		} else {
			uint32_t k = (uint32_t)RTE_MIN((uint64_t)(sc->in_len - sc->pos),
						       sc->body_left);

			sc->body_hash = fnv(sc->body_hash, sc->in + sc->pos, k);
			sc->body_len += k;
			sc->body_left -= k;
			sc->pos += k;
			if (sc->body_left > 0)
				return;
		}
		srv_respond(sc);
		memmove(sc->in, sc->in + sc->pos, sc->in_len - sc->pos);
		sc->in_len -= sc->pos;
		sc->pos = 0;
		sc->in_body = false;
		mg_http_request_init(&sc->msg, sc->hdrs, 128, NULL);
	}
}

static void
srv_read(struct sconn *sc)
{
	bool eof = false;
	uint32_t n;

	do {
		struct rte_mbuf *m = NULL;

		n = mg_tcp_recv(sc->c, &m, UINT32_MAX, &eof);
		for (struct rte_mbuf *s = m; s != NULL; s = s->next) {
			grow(&sc->in, &sc->in_cap, sc->in_len + s->data_len);
			memcpy(sc->in + sc->in_len, rte_pktmbuf_mtod(s, char *),
			       s->data_len);
			sc->in_len += s->data_len;
		}
		rte_pktmbuf_free(m);
	} while (n > 0);
	srv_process(sc);
}

static void
srv_event(struct mg_tcp_conn *c, enum mg_tcp_event ev, void *user)
{
	struct sconn *sc = user;

	switch (ev) {
	case MG_TCP_EV_ACCEPTED: {
		struct server *srv = user;
		unsigned i;

		for (i = 0; i < MAX_SCONNS && sconns[i].used; i++)
			;
		MG_CHECK(i < MAX_SCONNS);
		if (i == MAX_SCONNS) {
			mg_tcp_abort(c, L.now);
			return;
		}
		sc = &sconns[i];
		memset(sc, 0, sizeof(*sc));
		sc->used = true;
		sc->srv = srv;
		sc->c = c;
		srv->accepts++;
		mg_http_request_init(&sc->msg, sc->hdrs, 128, NULL);
		mg_tcp_set_user(c, srv_event, sc);
		return;
	}
	case MG_TCP_EV_CONNECTED:
		return;
	case MG_TCP_EV_PEER_CLOSED:
		sc->peer_closed = true;
		sc->srv->fins++;
		srv_read(sc);
		if (sc->tunnel) {
			sc->shut_after = true;
		} else if (!sc->in_body && sc->out_len == 0 && sc->gen_left == 0 &&
			   sc->hold_until <= L.now && sc->abort_at == 0) {
			/* the peer is done and so are we */
			mg_tcp_close(c, L.now);
			return;
		}
		srv_push(sc);
		return;
	case MG_TCP_EV_READABLE:
		srv_read(sc);
		srv_push(sc);
		return;
	case MG_TCP_EV_WRITABLE:
		srv_push(sc);
		return;
	case MG_TCP_EV_RESET:
		sc->srv->resets++;
		return;
	case MG_TCP_EV_CLOSED:
		sc->srv->closes++;
		free(sc->in);
		free(sc->out);
		memset(sc, 0, sizeof(*sc));
		return;
	}
}

/* Delayed answers and resets whose time came. */
static void
srv_tick(void)
{
	for (unsigned i = 0; i < MAX_SCONNS; i++) {
		struct sconn *sc = &sconns[i];

		if (!sc->used || sc->c == NULL)
			continue;
		if (sc->abort_at != 0 && L.now >= sc->abort_at) {
			srv_push(sc);
			mg_tcp_abort(sc->c, L.now);	/* CLOSED frees sc */
			continue;
		}
		if (sc->hold_until != 0 && L.now >= sc->hold_until) {
			sc->hold_until = 0;
			srv_push(sc);
			srv_process(sc);
			srv_push(sc);
		}
	}
}

/* ---- clients on stack A ---- */

#define MAX_CLIENTS	16

struct client {
	bool used;
	struct mg_tcp_conn *c;
	char *tx;
	uint32_t tx_len, tx_off, tx_cap;
	char *rx;
	uint32_t rx_len, rx_cap;
	uint32_t rate;			/* bytes read per ms; 0 = all at once */
	bool paused;			/* reads nothing */
	bool connected, peer_closed, reset, closed;
};

static struct client clients[MAX_CLIENTS];

static void
cl_push(struct client *cl)
{
	while (cl->c != NULL && cl->connected && cl->tx_off < cl->tx_len) {
		int n = mg_tcp_send_copy(cl->c, cl->tx + cl->tx_off,
					 cl->tx_len - cl->tx_off, L.now);

		if (n <= 0)
			return;
		cl->tx_off += (uint32_t)n;
	}
}

static void
cl_read(struct client *cl, uint32_t max)
{
	bool eof = false;
	uint32_t n;

	while (cl->c != NULL && max > 0) {
		struct rte_mbuf *m = NULL;

		n = mg_tcp_recv(cl->c, &m, max, &eof);
		if (n == 0)
			break;
		max -= n;
		for (struct rte_mbuf *s = m; s != NULL; s = s->next) {
			grow(&cl->rx, &cl->rx_cap, cl->rx_len + s->data_len);
			memcpy(cl->rx + cl->rx_len, rte_pktmbuf_mtod(s, char *),
			       s->data_len);
			cl->rx_len += s->data_len;
		}
		rte_pktmbuf_free(m);
	}
	if (eof)
		cl->peer_closed = true;
}

static void
cl_event(struct mg_tcp_conn *c, enum mg_tcp_event ev, void *user)
{
	struct client *cl = user;

	(void)c;
	switch (ev) {
	case MG_TCP_EV_ACCEPTED:
		return;
	case MG_TCP_EV_CONNECTED:
		cl->connected = true;
		cl_push(cl);
		return;
	case MG_TCP_EV_READABLE:
	case MG_TCP_EV_PEER_CLOSED:
		if (ev == MG_TCP_EV_PEER_CLOSED)
			cl->peer_closed = true;
		if (cl->rate == 0 && !cl->paused)
			cl_read(cl, UINT32_MAX);
		return;
	case MG_TCP_EV_WRITABLE:
		cl_push(cl);
		return;
	case MG_TCP_EV_RESET:
		cl->reset = true;
		return;
	case MG_TCP_EV_CLOSED:
		cl->closed = true;
		cl->c = NULL;
		return;
	}
}

static struct client *
cl_open(void)
{
	struct mg_tcp_conn_params cp = {
		.rcv_buf = 256 * 1024, .snd_buf = 256 * 1024, .nodelay = true,
		.timestamps = true, .sack = true, .window_scaling = true,
		.cc = "newreno",
	};
	unsigned i;
	struct client *cl;

	for (i = 0; i < MAX_CLIENTS && clients[i].used; i++)
		;
	if (i == MAX_CLIENTS) {
		MG_CHECK(false);
		return NULL;
	}
	cl = &clients[i];
	memset(cl, 0, sizeof(*cl));
	cl->used = true;
	cl->c = mg_tcp_connect(L.st[0], &L.addr[0], &L.addr[1], 80, &cp,
			       cl_event, cl, L.now);
	MG_CHECK(cl->c != NULL);
	return cl;
}

static void
cl_send(struct client *cl, const void *p, uint32_t len)
{
	grow(&cl->tx, &cl->tx_cap, cl->tx_len + len);
	memcpy(cl->tx + cl->tx_len, p, len);
	cl->tx_len += len;
	cl_push(cl);
}

static void
cl_sends(struct client *cl, const char *s)
{
	cl_send(cl, s, (uint32_t)strlen(s));
}

/* A request for @p path on host @p host, HTTP/1.1, no body. */
static void
cl_get(struct client *cl, const char *host, const char *path)
{
	char req[512];

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\n"
		 "User-Agent: proxy-test\r\n\r\n", path, host);
	cl_sends(cl, req);
}

/* ---- responses as the client sees them ---- */

#define MAX_RESP_HDRS	48

struct resp {
	uint16_t status;
	const char *head;
	uint32_t head_len;
	struct mg_http_header hdrs[MAX_RESP_HDRS];
	uint16_t n_hdrs;
	uint8_t framing;
	const char *body;		/* decoded */
	uint32_t body_len;
};

static char dechunked[1 << 20];

/*
 * The complete responses in what @p cl received, in order, at most @p max.
 * A close-delimited body is complete once the client saw the FIN; after
 * a 101 the rest of the bytes are the tunnel's, as body.
 */
static unsigned
cl_responses(const struct client *cl, struct resp *out, unsigned max)
{
	uint32_t off = 0, dc = 0;
	unsigned n = 0;

	while (off < cl->rx_len && n < max) {
		struct resp *r = &out[n];
		struct mg_http_msg m;
		const char *b;
		uint32_t avail, used = 0;
		bool complete = false;

		memset(r, 0, sizeof(*r));
		mg_http_response_init(&m, r->hdrs, MAX_RESP_HDRS, NULL,
				      MG_HTTP_M_GET);
		if (mg_http_response_parse(&m, cl->rx + off, cl->rx_len - off) !=
		    MG_HTTP_OK)
			break;
		r->status = m.status;
		r->head = cl->rx + off;
		r->head_len = m.head_len;
		r->n_hdrs = m.n_headers;
		r->framing = m.framing;
		b = r->head + m.head_len;
		avail = cl->rx_len - off - m.head_len;
		r->body = b;
		switch (m.framing) {
		case MG_HTTP_BODY_NONE:
			complete = true;
			if (m.status == 101) {
				r->body_len = avail;
				used = avail;
			}
			break;
		case MG_HTTP_BODY_LENGTH:
			complete = avail >= m.content_length;
			r->body_len = (uint32_t)m.content_length;
			used = r->body_len;
			break;
		case MG_HTTP_BODY_CLOSE:
			complete = cl->peer_closed || cl->reset;
			r->body_len = avail;
			used = avail;
			break;
		case MG_HTTP_BODY_CHUNKED: {
			struct mg_http_chunked ck;
			int rc = MG_HTTP_AGAIN;

			mg_http_chunked_init(&ck, 0, 0, 0);
			r->body = dechunked + dc;
			while (used < avail) {
				struct mg_http_slice d;
				size_t k;

				rc = mg_http_chunked_decode(&ck, b + used, avail - used,
							    &k, &d);
				if (rc != MG_HTTP_OK && rc != MG_HTTP_AGAIN)
					break;
				if (d.len > sizeof(dechunked) - dc)
					break;
				memcpy(dechunked + dc, b + used + d.off, d.len);
				dc += d.len;
				r->body_len += d.len;
				used += (uint32_t)k;
				if (rc == MG_HTTP_OK || k == 0)
					break;
			}
			complete = rc == MG_HTTP_OK;
			break;
		}
		}
		if (!complete)
			break;
		off += m.head_len + used;
		n++;
	}
	return n;
}

/* Header @p name of @p r as a C string in @p buf; false when absent. */
static bool
resp_header(const struct resp *r, const char *name, char *buf, size_t cap)
{
	for (uint16_t i = 0; i < r->n_hdrs; i++) {
		const struct mg_http_header *h = &r->hdrs[i];

		if (h->name.len == strlen(name) &&
		    strncasecmp(r->head + h->name.off, name, h->name.len) == 0) {
			snprintf(buf, cap, "%.*s", (int)h->value.len,
				 r->head + h->value.off);
			return true;
		}
	}
	return false;
}

static bool
resp_header_is(const struct resp *r, const char *name, const char *value)
{
	char v[512];

	return resp_header(r, name, v, sizeof(v)) && strcasecmp(v, value) == 0;
}

static bool
body_has(const struct resp *r, const char *needle)
{
	return has(r->body, r->body_len, needle);
}

/* ---- the proxy's callbacks ---- */

static const struct mg_lb *
pt_cluster_lb(void *ctx, uint32_t cluster)
{
	(void)ctx;
	return cluster < N_CLUSTERS ? lbs[cluster] : NULL;
}

static bool
pt_access_log(void *ctx, const struct mg_access_record *r)
{
	(void)ctx;
	if (n_records == PT_MAX_RECORDS)
		return false;
	records[n_records++] = *r;
	return true;
}

static void
pt_probe_done(void *ctx, uint32_t target, uint32_t probe_id, bool up)
{
	(void)ctx;
	MG_CHECK(n_probes < PT_MAX_PROBES);
	if (n_probes < PT_MAX_PROBES)
		probes[n_probes++] = (struct probe_result){ target, probe_id, up,
							     L.now };
}

/* ---- the configuration ---- */

static void
tcp_settings(struct mg_cfg_tcp *t)
{
	t->rcv_buf = PT_BUF;
	t->snd_buf = PT_BUF;
	t->nodelay = true;
	t->timestamps = true;
	t->sack = true;
	t->window_scaling = true;
	snprintf(t->cc, sizeof(t->cc), "newreno");
	t->syn_backlog = 64;
	t->delack_us = 40000;
}

static void
cluster_init(struct mg_cfg_cluster *c, const char *name,
	     const char *const *eps, unsigned n)
{
	snprintf(c->name, MG_NAME_MAX, "%s", name);
	c->lb = MG_LB_ROUND_ROBIN;
	c->n_endpoints = n;
	for (unsigned i = 0; i < n; i++) {
		char a[64];
		char *colon;

		snprintf(a, sizeof(a), "%s", eps[i]);
		colon = strchr(a, ':');
		*colon = '\0';
		c->endpoints[i].address = ip(a);
		c->endpoints[i].port = (uint16_t)atoi(colon + 1);
		c->endpoints[i].weight = 1;
	}
	/* the sample's defaults, outlier detection off */
	c->health.type = MG_HEALTH_HTTP;
	c->health.interval_ms = 2000;
	c->health.timeout_ms = 500;
	c->health.healthy_threshold = 2;
	c->health.unhealthy_threshold = 3;
	snprintf(c->health.path, MG_URI_MAX, "/health");
	snprintf(c->health.expected_statuses, 64, "200-399");
	c->outlier.base_ejection_ms = 30000;
	c->outlier.max_ejection_ms = 300000;
	c->outlier.max_ejection_pct = 10;
	c->breakers = (struct mg_cfg_breakers){ 1024, 1024, 1024, 3 };
	c->timeouts = (struct mg_cfg_upstream_timeouts){ 1000, 15000, 60000, 0 };
	c->retry = (struct mg_cfg_retry){ 1, true, true, 20, 3 };
	c->pool = (struct mg_cfg_pool){ 64, 30000, 0 };
	tcp_settings(&c->tcp);
	snprintf(c->port_name, MG_NAME_MAX, "p0");
	c->port_idx = 0;
}

static void
route_init(struct mg_cfg_route *r, const char *name, const char *host,
	   int cluster)
{
	snprintf(r->name, MG_NAME_MAX, "%s", name);
	r->listener_mask = 1;
	if (host != NULL) {
		r->n_hosts = 1;
		snprintf(r->hosts[0], MG_HOST_MAX, "%s", host);
	}
	if (cluster >= 0) {
		snprintf(r->cluster_name, MG_NAME_MAX, "%s",
			 cfg->clusters[cluster].name);
		r->cluster_idx = (uint32_t)cluster;
	}
	r->line = (int)(r - cfg->routes) + 100;
	r->waf_idx = MG_CFG_WAF_INHERIT;	/* as cfg_check resolves "" */
}

/* The configuration every case starts from; cases change it before
 * pt_start(). */
static void
pt_config(void)
{
	static const char *const app[] = { "10.0.0.1:8080", "10.0.0.1:8081" };
	static const char *const dead[] = { "10.0.0.3:8080", "10.0.0.1:8080" };
	static const char *const one[] = { "10.0.0.1:8080" };
	struct mg_cfg_listener *l;
	struct mg_cfg_http *h;

	cfg = calloc(1, sizeof(*cfg));
	cfg->n_ports = 1;
	snprintf(cfg->ports[0].name, MG_NAME_MAX, "p0");
	cfg->ports[0].n_addrs = 1;
	cfg->ports[0].addrs[0] = ip("10.0.0.2");
	cfg->ports[0].prefix_len[0] = 24;

	cfg->n_listeners = 1;
	l = &cfg->listeners[0];
	snprintf(l->name, MG_NAME_MAX, "web");
	l->mode = MG_MODE_HTTP;
	snprintf(l->port_name, MG_NAME_MAX, "p0");
	l->address = ip("10.0.0.2");
	l->listen_port = 80;
	tcp_settings(&l->tcp);
	l->waf_idx = -1;		/* no WAF, as cfg_check resolves "" */
	h = &l->http;			/* cfg/meshgate.cfg.sample */
	h->max_request_line = 8192;
	h->max_header_size = 32768;
	h->max_headers = 100;
	h->max_body_size = 1073741824;
	h->header_timeout_ms = 10000;
	h->body_timeout_ms = 30000;
	h->idle_timeout_ms = 60000;
	h->forwarded_headers = true;
	snprintf(h->request_id_header, MG_HDR_NAME_MAX, "x-request-id");
	h->generate_request_id = true;
	h->trace_context = true;
	h->access_log = true;

	cfg->n_clusters = N_CLUSTERS;
	cluster_init(&cfg->clusters[C_APP], "app", app, 2);
	cluster_init(&cfg->clusters[C_DEAD], "dead", dead, 2);
	cluster_init(&cfg->clusters[C_ONE], "one", one, 1);

	cfg->n_routes = N_ROUTES;
	cfg->routes = calloc(N_ROUTES, sizeof(*cfg->routes));
	route_init(&cfg->routes[R_DIRECT], "direct", NULL, -1);
	cfg->routes[R_DIRECT].path_type = MG_PATH_EXACT;
	snprintf(cfg->routes[R_DIRECT].path, MG_URI_MAX, "/direct");
	cfg->routes[R_DIRECT].direct.status = 200;
	snprintf(cfg->routes[R_DIRECT].direct.body, MG_BODY_MAX, "hello direct");
	snprintf(cfg->routes[R_DIRECT].direct.content_type, 64, "text/plain");
	route_init(&cfg->routes[R_REDIRECT], "redirect", NULL, -1);
	cfg->routes[R_REDIRECT].path_type = MG_PATH_EXACT;
	snprintf(cfg->routes[R_REDIRECT].path, MG_URI_MAX, "/old");
	cfg->routes[R_REDIRECT].redirect.status = 301;
	snprintf(cfg->routes[R_REDIRECT].redirect.location, MG_URI_MAX,
		 "http://%%{host}/new");
	route_init(&cfg->routes[R_APP], "app", "app.test", C_APP);
	route_init(&cfg->routes[R_DEAD], "dead", "dead.test", C_DEAD);
	route_init(&cfg->routes[R_ONE], "one", "one.test", C_ONE);
}

/* B drops what it sends to 10.0.0.3: an endpoint that never answers. */
static bool
drop_dead(struct link *l, int dir, struct rte_mbuf *m, struct rte_tcp_hdr *th,
	  void *arg)
{
	const struct rte_ipv4_hdr *iph = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);

	(void)l;
	(void)th;
	(void)arg;
	return dir == 1 && iph->dst_addr == rte_cpu_to_be_32(0x0a000003);
}

/* Build what the configuration says and start listening. */
static bool
pt_start(void)
{
	struct mg_tcp_stack_params sp = {
		.max_conns = 256, .mtu = 1500, .time_wait_ms = 60000,
		.n_workers = 1,
	};
	struct mg_proxy_params pp;
	struct mg_tcp_listen_params lp;
	char err[256], perr[256];

	pool_free_start = rte_mempool_avail_count(pool);
	link_init(&L, pool, 42, false, &sp);
	MG_CHECK(L.st[0] != NULL && L.st[1] != NULL);
	L.dir[0].delay_us = 50;
	L.dir[1].delay_us = 50;
	L.filter = drop_dead;
	n_records = 0;
	n_probes = 0;
	memset(servers, 0, sizeof(servers));
	memset(sconns, 0, sizeof(sconns));
	memset(clients, 0, sizeof(clients));

	routes = mg_route_table_create(cfg, err, sizeof(err));
	if (routes == NULL) {
		fprintf(stderr, "route table: %s\n", err);
		MG_CHECK(false);
		return false;
	}
	for (unsigned c = 0; c < N_CLUSTERS; c++) {
		struct mg_lb_endpoint eps[4];
		const struct mg_cfg_cluster *cc = &cfg->clusters[c];

		for (unsigned e = 0; e < cc->n_endpoints; e++)
			eps[e] = (struct mg_lb_endpoint){ 1000 * c + e + 1, 1 };
		lbs[c] = mg_lb_create(mg_lb_find("round_robin"), eps,
				      cc->n_endpoints, 0, SOCKET_ID_ANY);
		MG_CHECK(lbs[c] != NULL);
	}
	memset(&pp, 0, sizeof(pp));
	pp.cfg = cfg;
	pp.routes = routes;
	pp.tcp = L.st[1];
	pp.pool = pool;
	pp.worker_index = 0;
	pp.n_workers = 1;
	pp.max_sessions = 64;
	pp.max_upstreams = 64;
	pp.socket = SOCKET_ID_ANY;
	pp.seed = 7;
	pp.cluster_lb = pt_cluster_lb;
	pp.access_log = pt_access_log;
	pp.probe_done = pt_probe_done;
	pp.wall_offset_us = 1700000000000000LL;
	pp.n_waf = cfg->n_waf;
	for (unsigned i = 0; i < cfg->n_waf; i++) {
		pp.waf[i] = pt_waf[i];
		pp.waf_conf[i] = pt_waf_conf[i];
	}
	px = mg_proxy_create(&pp, perr, sizeof(perr));
	MG_CHECK(px != NULL);
	if (px == NULL) {
		fprintf(stderr, "mg_proxy_create: %s\n", perr);
		return false;
	}

	memset(&lp, 0, sizeof(lp));
	lp.addr = cfg->listeners[0].address;
	lp.port = cfg->listeners[0].listen_port;
	lp.syn_backlog = 64;
	lp.conn = (struct mg_tcp_conn_params){
		.rcv_buf = PT_BUF, .snd_buf = PT_BUF, .nodelay = true,
		.timestamps = true, .sack = true, .window_scaling = true,
		.cc = "newreno", .delack_us = 40000,
	};
	lp.event = mg_proxy_event;
	lp.user = mg_proxy_listener_user(px, 0);
	MG_CHECK(mg_tcp_listen(L.st[1], &lp) != NULL);

	for (int i = 0; i < N_SERVERS; i++) {
		servers[i].id = i;
		servers[i].port = (uint16_t)(8080 + i);
		servers[i].health_status = 200;
		lp.addr = L.addr[0];
		lp.port = servers[i].port;
		lp.event = srv_event;
		lp.user = &servers[i];
		MG_CHECK(mg_tcp_listen(L.st[0], &lp) != NULL);
	}
	return true;
}

static void
pt_stop(void)
{
	link_free(&L);		/* the stacks first: they tell nothing */
	mg_proxy_free(px);
	px = NULL;
	mg_route_table_free(routes);
	routes = NULL;
	for (unsigned c = 0; c < N_CLUSTERS; c++) {
		mg_lb_free(lbs[c]);
		lbs[c] = NULL;
	}
	for (unsigned i = 0; i < MAX_SCONNS; i++) {
		free(sconns[i].in);
		free(sconns[i].out);
	}
	for (unsigned i = 0; i < MAX_CLIENTS; i++) {
		free(clients[i].tx);
		free(clients[i].rx);
	}
	memset(sconns, 0, sizeof(sconns));
	memset(clients, 0, sizeof(clients));
	/* every mbuf came back: neither the proxy nor the harness leaked */
	MG_CHECK_EQ(rte_mempool_avail_count(pool), pool_free_start);
	free(cfg->routes);
	free(cfg);
	cfg = NULL;
	for (unsigned i = 0; i < MG_MAX_WAF_POLICIES; i++) {
		mg_waf_ruleset_free((struct mg_waf_ruleset *)pt_waf[i]);
		pt_waf[i] = NULL;
	}
}

/* ---- the clock ---- */

static void (*pt_each_ms)(void);	/* a case's own per-ms hook */

/* Move the clock by @p us: the link, both stacks, the servers, the
 * clients that read at a rate, the proxy's timers. */
static void
run(uint64_t us)
{
	uint64_t end = L.now + us;

	while (L.now < end) {
		link_run(&L, RTE_MIN(end - L.now, (uint64_t)1000));
		srv_tick();
		for (unsigned i = 0; i < MAX_CLIENTS; i++)
			if (clients[i].used && clients[i].rate != 0)
				cl_read(&clients[i], clients[i].rate);
		mg_proxy_timers(px, L.now);
		if (pt_each_ms != NULL)
			pt_each_ms();
	}
}

/* Run until @p cl has @p n complete responses (or @p max_us passed). */
static unsigned
wait_responses(struct client *cl, unsigned n, struct resp *out, unsigned max,
	       uint64_t max_us)
{
	uint64_t end = L.now + max_us;
	unsigned got;

	while ((got = cl_responses(cl, out, max)) < n && L.now < end)
		run(1000);
	return got;
}

static struct mg_proxy_stats
pstats(void)
{
	struct mg_proxy_stats st;

	mg_proxy_stats_get(px, &st);
	return st;
}

static struct mg_proxy_cluster_stats
cstats(uint32_t c)
{
	struct mg_proxy_cluster_stats st;

	mg_proxy_cluster_stats(px, c, &st);
	return st;
}

#endif /* PROXY_TEST_H */
