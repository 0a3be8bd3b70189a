/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The built-in services. Each connection's state is a slot from a fixed
 * array; every handler moves as much as the stack's send space allows and
 * resumes on WRITABLE, so a slow reader holds back its own connection
 * only, through TCP flow control.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_malloc.h>

#include "mg_service.h"

#define SOURCE_REQ_MAX	40	/* "N SEED\n" */
#define CHUNK		16384	/* bytes generated per send call */

enum phase {
	PH_REQUEST,		/* source: reading the request line */
	PH_SENDING,		/* source: streaming; http: answering */
	PH_DRAINING,		/* FIN sent or to be sent when queued data is out */
};

struct svc_conn {
	struct mg_service *svc;
	struct mg_tcp_conn *conn;
	uint32_t next_free;
	uint8_t phase;
	uint8_t req_len;
	uint8_t match;			/* http: bytes of "\r\n\r\n" matched */
	bool peer_closed;
	uint64_t remaining;		/* source: bytes still to send */
	uint64_t offset;		/* source: stream position */
	uint64_t seed;
	uint32_t responses;		/* http: requests seen, not yet answered */
	uint32_t resp_sent;		/* http: bytes of the current response sent */
	char req[SOURCE_REQ_MAX];
};

struct mg_service {
	struct mg_service_params p;
	struct mg_service_stats st;
	uint32_t free_head;		/* UINT32_MAX = none */
	char *http_resp;		/* header + body, built once */
	uint32_t http_resp_len;
	struct svc_conn *conns;
};

int
mg_service_kind_parse(const char *name, enum mg_service_kind *kind)
{
	static const char *const names[] = {
		[MG_SERVICE_ECHO] = "echo", [MG_SERVICE_DISCARD] = "discard",
		[MG_SERVICE_SOURCE] = "source", [MG_SERVICE_HTTP] = "http",
	};

	for (unsigned i = 0; i < RTE_DIM(names); i++)
		if (strcmp(name, names[i]) == 0) {
			*kind = (enum mg_service_kind)i;
			return 0;
		}
	return -EINVAL;
}

struct mg_service *
mg_service_create(const struct mg_service_params *p)
{
	struct mg_service *svc;

	if (p->max_conns == 0 || p->kind > MG_SERVICE_HTTP) {
		rte_errno = EINVAL;
		return NULL;
	}
	svc = rte_zmalloc_socket("mg_service", sizeof(*svc), 0, p->socket);
	if (svc == NULL)
		goto nomem;
	svc->p = *p;
	svc->conns = rte_zmalloc_socket("mg_service_conns",
			sizeof(*svc->conns) * p->max_conns, RTE_CACHE_LINE_SIZE,
			p->socket);
	if (svc->conns == NULL)
		goto nomem;
	for (uint32_t i = 0; i < p->max_conns; i++)
		svc->conns[i].next_free = i + 1 < p->max_conns ? i + 1 : UINT32_MAX;
	svc->free_head = 0;

	if (p->kind == MG_SERVICE_HTTP) {
		char hdr[160];
		int n = snprintf(hdr, sizeof(hdr), "HTTP/1.1 200 OK\r\n"
				 "Server: meshgate\r\nContent-Type: text/plain\r\n"
				 "Content-Length: %u\r\n\r\n", p->http_body_size);

		svc->http_resp_len = (uint32_t)n + p->http_body_size;
		svc->http_resp = rte_malloc_socket("mg_service_http",
				svc->http_resp_len, 0, p->socket);
		if (svc->http_resp == NULL)
			goto nomem;
		memcpy(svc->http_resp, hdr, (size_t)n);
		for (uint32_t i = 0; i < p->http_body_size; i++)
			svc->http_resp[n + i] = (char)('a' + i % 26);
		if (p->http_body_size > 0)
			svc->http_resp[svc->http_resp_len - 1] = '\n';
	}
	return svc;
nomem:
	mg_service_free(svc);
	rte_errno = ENOMEM;
	return NULL;
}

void
mg_service_free(struct mg_service *svc)
{
	if (svc == NULL)
		return;
	rte_free(svc->http_resp);
	rte_free(svc->conns);
	rte_free(svc);
}

void
mg_service_stats_get(const struct mg_service *svc, struct mg_service_stats *st)
{
	*st = svc->st;
}

static struct svc_conn *
slot_get(struct mg_service *svc)
{
	struct svc_conn *sc;

	if (svc->free_head == UINT32_MAX)
		return NULL;
	sc = &svc->conns[svc->free_head];
	svc->free_head = sc->next_free;
	memset(sc, 0, sizeof(*sc));
	sc->svc = svc;
	return sc;
}

static void
slot_put(struct svc_conn *sc)
{
	struct mg_service *svc = sc->svc;

	sc->conn = NULL;
	sc->next_free = svc->free_head;
	svc->free_head = (uint32_t)(sc - svc->conns);
}

/* Send from a flat buffer as far as the send space goes. */
static uint32_t
send_flat(struct svc_conn *sc, const char *buf, uint32_t len)
{
	struct mg_tcp_conn *c = sc->conn;
	uint32_t room = mg_tcp_send_space(c);
	int n;

	if (len > room)
		len = room;
	if (len == 0)
		return 0;
	n = mg_tcp_send_copy(c, buf, len, mg_tcp_now(c));
	if (n <= 0)
		return 0;
	sc->svc->st.bytes_out += (uint64_t)n;
	return (uint32_t)n;
}

static void
finish(struct svc_conn *sc)
{
	/* FIN after what is queued; CLOSED comes when both sides are done. */
	if (sc->phase != PH_DRAINING) {
		sc->phase = PH_DRAINING;
		mg_tcp_shutdown(sc->conn, mg_tcp_now(sc->conn));
	}
	if (sc->peer_closed)
		mg_tcp_close(sc->conn, mg_tcp_now(sc->conn));
}

static void
serve_echo(struct svc_conn *sc)
{
	struct mg_tcp_conn *c = sc->conn;
	bool eof = false;

	for (;;) {
		uint32_t room = mg_tcp_send_space(c), n;
		struct rte_mbuf *m = NULL;

		if (room == 0)
			return;		/* resume on WRITABLE */
		n = mg_tcp_recv(c, &m, room, &eof);
		if (n == 0)
			break;
		sc->svc->st.bytes_in += n;
		if (mg_tcp_send(c, m, mg_tcp_now(c)) != 0) {
			rte_pktmbuf_free(m);
			mg_tcp_abort(c, mg_tcp_now(c));
			return;
		}
		sc->svc->st.bytes_out += n;
	}
	if (eof || sc->peer_closed) {
		sc->peer_closed = true;
		finish(sc);
	}
}

static void
serve_discard(struct svc_conn *sc)
{
	struct mg_tcp_conn *c = sc->conn;
	bool eof = false;
	uint32_t n;

	do {
		struct rte_mbuf *m = NULL;

		n = mg_tcp_recv(c, &m, UINT32_MAX, &eof);
		sc->svc->st.bytes_in += n;
		rte_pktmbuf_free(m);
	} while (n > 0);
	if (eof || sc->peer_closed) {
		sc->peer_closed = true;
		finish(sc);
	}
}

/* "N [SEED]\n": returns 1 when complete, 0 when more is needed, -1 bad. */
static int
source_request(struct svc_conn *sc)
{
	struct mg_tcp_conn *c = sc->conn;
	bool eof = false;

	while (sc->req_len < SOURCE_REQ_MAX) {
		struct rte_mbuf *m = NULL;
		char ch;

		if (mg_tcp_recv(c, &m, 1, &eof) == 0)
			return eof ? -1 : 0;
		ch = *rte_pktmbuf_mtod(m, char *);
		rte_pktmbuf_free(m);
		sc->svc->st.bytes_in++;
		if (ch == '\n') {
			char *end;
			unsigned long long n, seed = 0;

			sc->req[sc->req_len] = '\0';
			errno = 0;
			n = strtoull(sc->req, &end, 10);
			if (end == sc->req || errno != 0)
				return -1;
			if (*end == ' ')
				seed = strtoull(end + 1, &end, 10);
			if (*end != '\0' && *end != '\r')
				return -1;
			if (n > sc->svc->p.source_max_bytes)
				return -1;
			sc->remaining = n;
			sc->seed = seed;
			return 1;
		}
		sc->req[sc->req_len++] = ch;
	}
	return -1;
}

/* The source stream, a 64-bit block at a time (same bytes as
 * mg_service_source_byte(), at an eighth of the cost). */
static void
source_fill(uint64_t seed, uint64_t off, uint8_t *b, uint32_t len)
{
	uint32_t i = 0;

	while (i < len && ((off + i) & 7) != 0) {
		b[i] = mg_service_source_byte(seed, off + i);
		i++;
	}
	for (; i + 8 <= len; i += 8) {
		uint64_t x = mg_service_source_block(seed, (off + i) >> 3);

		memcpy(b + i, &x, 8);
	}
	for (; i < len; i++)
		b[i] = mg_service_source_byte(seed, off + i);
}

static void
serve_source(struct svc_conn *sc)
{
	uint64_t block[CHUNK / 8 + 1];

	if (sc->phase == PH_REQUEST) {
		int r = source_request(sc);

		if (r < 0) {
			sc->svc->st.bad_requests++;
			mg_tcp_abort(sc->conn, mg_tcp_now(sc->conn));
			return;
		}
		if (r == 0)
			return;
		sc->svc->st.requests++;
		sc->phase = PH_SENDING;
	}
	while (sc->phase == PH_SENDING && sc->remaining > 0) {
		uint32_t len = sc->remaining < CHUNK ? (uint32_t)sc->remaining : CHUNK;
		uint8_t *b = (uint8_t *)block;
		uint64_t off = sc->offset;

		source_fill(sc->seed, off, b, len);
		uint32_t sent = send_flat(sc, (const char *)b, len);
		if (sent == 0)
			return;		/* resume on WRITABLE */
		sc->offset += sent;
		sc->remaining -= sent;
	}
	if (sc->phase == PH_SENDING && sc->remaining == 0)
		finish(sc);
}

static void
serve_http(struct svc_conn *sc)
{
	struct mg_service *svc = sc->svc;
	struct mg_tcp_conn *c = sc->conn;
	static const char crlf2[] = "\r\n\r\n";
	bool eof = false;

	/* Count complete request heads ("\r\n\r\n"); bodies are not read:
	 * this is a fixed-response service for GET/HEAD load. */
	for (;;) {
		struct rte_mbuf *m = NULL, *seg;
		uint32_t n = mg_tcp_recv(c, &m, UINT32_MAX, &eof);

		if (n == 0)
			break;
		svc->st.bytes_in += n;
		for (seg = m; seg != NULL; seg = seg->next) {
			const char *d = rte_pktmbuf_mtod(seg, const char *);

			for (uint16_t i = 0; i < seg->data_len; i++) {
				if (d[i] == crlf2[sc->match])
					sc->match++;
				else
					sc->match = d[i] == '\r' ? 1 : 0;
				if (sc->match == 4) {
					sc->responses++;
					svc->st.requests++;
					sc->match = 0;
				}
			}
		}
		rte_pktmbuf_free(m);
	}
	while (sc->responses > 0) {
		uint32_t left = svc->http_resp_len - sc->resp_sent;
		uint32_t sent = send_flat(sc, svc->http_resp + sc->resp_sent, left);

		sc->resp_sent += sent;
		if (sent < left)
			return;		/* resume on WRITABLE */
		sc->resp_sent = 0;
		sc->responses--;
	}
	if (eof || sc->peer_closed) {
		sc->peer_closed = true;
		finish(sc);
	}
}

static void
serve(struct svc_conn *sc)
{
	switch (sc->svc->p.kind) {
	case MG_SERVICE_ECHO:
		serve_echo(sc);
		break;
	case MG_SERVICE_DISCARD:
		serve_discard(sc);
		break;
	case MG_SERVICE_SOURCE:
		serve_source(sc);
		break;
	case MG_SERVICE_HTTP:
		serve_http(sc);
		break;
	}
}

void
mg_service_event(struct mg_tcp_conn *c, enum mg_tcp_event ev, void *user)
{
	struct svc_conn *sc;

	if (ev == MG_TCP_EV_ACCEPTED) {
		struct mg_service *svc = user;

		sc = slot_get(svc);
		if (sc == NULL) {
			svc->st.refused++;
			mg_tcp_set_user(c, mg_service_event, NULL);
			mg_tcp_abort(c, mg_tcp_now(c));
			return;
		}
		svc->st.accepted++;
		sc->conn = c;
		mg_tcp_set_user(c, mg_service_event, sc);
		return;
	}
	sc = user;
	if (sc == NULL)
		return;		/* a refused connection's last events */
	switch (ev) {
	case MG_TCP_EV_READABLE:
	case MG_TCP_EV_WRITABLE:
		if (sc->phase != PH_DRAINING || sc->svc->p.kind == MG_SERVICE_DISCARD)
			serve(sc);
		break;
	case MG_TCP_EV_PEER_CLOSED:
		sc->peer_closed = true;
		if (sc->phase == PH_DRAINING)
			mg_tcp_close(c, mg_tcp_now(c));
		else
			serve(sc);
		break;
	case MG_TCP_EV_RESET:
		break;
	case MG_TCP_EV_CLOSED:
		sc->svc->st.closed++;
		slot_put(sc);
		break;
	default:
		break;
	}
}
