/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The client side of the proxy: one session per accepted connection.
 *
 *   S_HEAD ──head──> route ──local answer──> S_LOCAL ──> S_HEAD | S_CLOSING
 *                      └──cluster──> S_UPSTREAM ──101──> S_TUNNEL
 *                                       └──response done──> S_HEAD | S_CLOSING
 *
 * Every event of either connection calls px_session_drive(), which makes
 * all the progress the two connections' buffers allow and re-arms the
 * session's one timer. Bytes are moved only as far as the receiving side
 * has send space, so a slow reader stops its peer through TCP flow control
 * and memory does not grow with the size of a body.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_mbuf.h>

#include "mg_tls.h"
#include "proxy_internal.h"

#define LINGER_US	5000000	/* after an error response: wait for the FIN */

static void request_end(struct px_session *s);
static void request_proceed(struct px_session *s);
static void session_close(struct px_session *s);

static uint64_t
ms_to_us(uint32_t ms)
{
	return (uint64_t)ms * 1000;
}

/* The proxy's clock: set from the stack at every event and timer run, so
 * that it is valid even after the client connection is gone. */
static uint64_t
now_us(const struct px_session *s)
{
	return s->px->now_us;
}

/* --- allocation --- */

static struct px_session *
session_alloc(struct mg_proxy *px)
{
	struct px_session *s;
	uint32_t next;

	if (px->free_session == UINT32_MAX)
		return NULL;
	s = &px->sessions[px->free_session];
	next = s->next_free;
	memset(s, 0, sizeof(*s));	/* nothing of the last session survives */
	px->free_session = next;
	s->px = px;
	s->timer.kind = PX_T_SESSION;
	s->route = s->cluster = s->endpoint = -1;
	s->waf_policy = -1;
	return s;
}

static void
session_free(struct px_session *s)
{
	struct mg_proxy *px = s->px;

	px_timer_stop(&s->timer);
	px_buf_put(px, s->req);
	px_buf_put(px, s->resp);
	s->req = s->resp = NULL;
	s->client = NULL;
	s->next_free = px->free_session;
	px->free_session = (uint32_t)(s - px->sessions);
}

/* --- moving bytes --- */

/* Copy a chain into b at b->len (the caller made room); frees the chain. */
static void
chain_to_buf(struct px_buf *b, struct rte_mbuf *m)
{
	for (struct rte_mbuf *seg = m; seg != NULL; seg = seg->next) {
		memcpy(b->data + b->len, rte_pktmbuf_mtod(seg, const char *),
		       seg->data_len);
		b->len += seg->data_len;
	}
	rte_pktmbuf_free(m);
}

/*
 * Keep the first @p keep bytes of chain m and append the rest to b (the
 * bytes of the next message that came in the same read).
 */
void
px_chain_cut(struct rte_mbuf *m, uint32_t keep, struct px_buf *b)
{
	struct rte_mbuf *seg = m, *prev = NULL;
	uint32_t off = 0;
	uint16_t nseg = 0;

	while (seg != NULL && off + seg->data_len <= keep) {
		off += seg->data_len;
		prev = seg;
		seg = seg->next;
		nseg++;
	}
	if (seg == NULL)
		return;
	if (keep > off) {
		/* split inside seg: its tail moves to b */
		uint16_t in = (uint16_t)(keep - off);

		memcpy(b->data + b->len, rte_pktmbuf_mtod_offset(seg, char *, in),
		       seg->data_len - in);
		b->len += seg->data_len - in;
		seg->data_len = in;
		prev = seg;
		seg = seg->next;
		nseg++;
	}
	prev->next = NULL;
	m->pkt_len = keep;
	m->nb_segs = nseg;
	if (seg != NULL) {
		/* seg is now the head of its own chain: fix its totals */
		uint32_t total = 0;
		uint16_t n = 0;

		for (struct rte_mbuf *t = seg; t != NULL; t = t->next) {
			total += t->data_len;
			n++;
		}
		seg->pkt_len = total;
		seg->nb_segs = n;
		chain_to_buf(b, seg);
	}
}

/*
 * Feed a chunked body's bytes to the decoder; returns the bytes that belong
 * to the body (all of them unless the body ends inside), or -1 on an error.
 * *done is set when the last chunk and trailers were seen.
 */
static int64_t
chunked_walk(struct mg_http_chunked *ck, const char *p, size_t len, bool *done)
{
	size_t off = 0;

	while (off < len) {
		struct mg_http_slice data;
		size_t used;
		int rc = mg_http_chunked_decode(ck, p + off, len - off, &used, &data);

		off += used;
		if (rc == MG_HTTP_OK) {
			*done = true;
			return (int64_t)off;
		}
		if (rc != MG_HTTP_AGAIN)
			return -1;
		if (used == 0)
			break;
	}
	return (int64_t)off;
}

int64_t
px_chunked_walk_chain(struct mg_http_chunked *ck, struct rte_mbuf *m, bool *done)
{
	int64_t total = 0;

	for (struct rte_mbuf *seg = m; seg != NULL && !*done; seg = seg->next) {
		int64_t n = chunked_walk(ck, rte_pktmbuf_mtod(seg, const char *),
					 seg->data_len, done);
		if (n < 0)
			return -1;
		total += n;
	}
	return total;
}

/* The two sides of a session, as (TCP, TLS) pairs for proxy_io.c. */
#define CLIENT(s)	(s)->client, (s)->ctls
#define UPSTREAM(s)	(s)->up->conn, (s)->up->tls

/* Send flat bytes as far as space goes; returns bytes queued. */
static uint32_t
send_flat(struct mg_proxy *px, struct mg_tcp_conn *c, struct mg_tls_conn *t,
	  const char *p, uint32_t len)
{
	uint32_t room = px_send_space(c, t);
	int n;

	if (len > room)
		len = room;
	if (len == 0)
		return 0;
	n = px_send_copy(px, c, t, p, len);
	return n > 0 ? (uint32_t)n : 0;
}

/* --- timers --- */

static const struct mg_cfg_http *
http_cfg(const struct px_session *s)
{
	return &s->lst->cfg->http;
}

static const struct mg_cfg_cluster *
cluster_cfg(const struct px_session *s)
{
	return s->cluster >= 0 ? &s->px->cfg->clusters[s->cluster] : NULL;
}

/* The session's earliest deadline and what passing it means. */
static uint64_t
deadline(const struct px_session *s, enum mg_proxy_error *why)
{
	const struct mg_cfg_http *h = http_cfg(s);
	const struct mg_cfg_cluster *cc = cluster_cfg(s);
	uint64_t d = UINT64_MAX, t;

#define EARLIEST(when, e) do { t = (when); if (t < d) { d = t; *why = (e); } } while (0)
	*why = MG_PROXY_E_MAX;
	switch (s->state) {
	case S_HEAD:
		if (s->ctls != NULL && !s->tls_up &&
		    mg_tls_conn_deadline(s->ctls) != 0)
			EARLIEST(mg_tls_conn_deadline(s->ctls), MG_PROXY_E_MAX);
		if (s->req != NULL && s->req->len > 0)
			EARLIEST(s->t_state_us + ms_to_us(h->header_timeout_ms),
				 MG_PROXY_E_HEADER_TIMEOUT);
		else if (s->requests == 0)
			EARLIEST(s->t_state_us + ms_to_us(h->header_timeout_ms),
				 MG_PROXY_E_MAX);
		else
			EARLIEST(s->t_state_us + ms_to_us(h->idle_timeout_ms),
				 MG_PROXY_E_MAX);
		break;
	case S_UPSTREAM:
		if (cc == NULL)
			break;
		if (s->t_deadline_req_us != 0)
			EARLIEST(s->t_deadline_req_us, MG_PROXY_E_REQUEST_TIMEOUT);
		if (s->up == NULL || s->up->state == UP_CONNECTING) {
			if (cc->timeouts.connect_ms != 0)
				EARLIEST(s->t_attempt_us + ms_to_us(cc->timeouts.connect_ms),
					 MG_PROXY_E_CONNECT_FAILED);
		} else if (s->resp_state == R_HEAD && s->req_done) {
			if (cc->timeouts.response_ms != 0)
				EARLIEST(s->t_req_sent_us + ms_to_us(cc->timeouts.response_ms),
					 MG_PROXY_E_RESPONSE_TIMEOUT);
		} else if (!s->req_done) {
			EARLIEST(s->t_activity_us + ms_to_us(h->body_timeout_ms),
				 MG_PROXY_E_BODY_TIMEOUT);
		} else if (cc->timeouts.idle_ms != 0) {
			EARLIEST(s->t_activity_us + ms_to_us(cc->timeouts.idle_ms),
				 MG_PROXY_E_UPSTREAM_IDLE);
		}
		break;
	case S_WAF:
		EARLIEST(s->t_activity_us + ms_to_us(h->body_timeout_ms),
			 MG_PROXY_E_BODY_TIMEOUT);
		break;
	case S_TUNNEL:
		EARLIEST(s->t_activity_us + ms_to_us(cc != NULL && cc->timeouts.idle_ms
				? cc->timeouts.idle_ms : h->idle_timeout_ms),
			 MG_PROXY_E_MAX);
		break;
	case S_LOCAL:
	case S_CLOSING:
		EARLIEST(s->t_state_us + LINGER_US, MG_PROXY_E_MAX);
		break;
	}
#undef EARLIEST
	return d;
}

void
px_session_timer(struct px_session *s)
{
	enum mg_proxy_error why;
	uint64_t d = deadline(s, &why);

	if (d == UINT64_MAX)
		px_timer_stop(&s->timer);
	else
		px_timer_set(&s->px->wheel, &s->timer, d);
}

static void
set_state(struct px_session *s, uint8_t state)
{
	s->state = state;
	s->t_state_us = now_us(s);
	s->t_activity_us = s->t_state_us;
}

/* --- answering locally --- */

/* Queue a local response held in s->resp; the session goes to S_LOCAL
 * and continues (or closes) once it is all sent. */
static void
local_start(struct px_session *s, uint32_t len)
{
	s->resp->len = len;
	s->local_sent = 0;
	s->status_sent = true;
	set_state(s, S_LOCAL);
	px_session_drive(s);
}

static bool
take_resp_buf(struct px_session *s)
{
	if (s->resp == NULL)
		s->resp = px_buf_get(s->px);
	if (s->resp == NULL)
		return false;
	s->resp->len = 0;
	return true;
}

void
px_session_fail(struct px_session *s, enum mg_proxy_error e)
{
	static const uint16_t status[MG_PROXY_E_MAX] = {
#define X(n, st, t) [MG_PROXY_E_##n] = st,
		MG_PROXY_ERRORS(X)
#undef X
	};
	int n;

	s->px->st.errors[e]++;
	if (s->parse_error > MG_HTTP_AGAIN && s->parse_error < MG_HTTP_RC_MAX)
		s->px->st.http_errors[s->parse_error]++;
	if (s->error == 0)
		s->error = (uint8_t)(e + 1);
	if (s->t_head_us == 0) {
		/* answered before a head was parsed: logged all the same */
		s->t_head_us = now_us(s);
		if (s->req != NULL)
			s->bytes_in = s->req->len;
		px_request_id_new(s);
	}
	px_upstream_unqueue(s);
	if (s->up != NULL)
		px_upstream_release(s, false);
	if (s->head_sent || status[e] == 0 || s->state == S_TUNNEL) {
		/* Too late (or pointless) to answer: the client sees a reset. */
		request_end(s);
		set_state(s, S_CLOSING);
		if (s->client != NULL) {
			struct mg_tcp_conn *c = s->client;

			mg_tcp_abort(c, mg_tcp_now(c));
		}
		return;
	}
	s->close_after = true;
	s->status = status[e];
	if (e == MG_PROXY_E_WAF_BLOCKED && s->waf_status != 0)
		s->status = s->waf_status;	/* the policy's or the rule's */
	if (!take_resp_buf(s)) {
		/* Not even a buffer for the answer: reset. */
		s->px->st.errors[MG_PROXY_E_OVERLOADED]++;
		request_end(s);
		set_state(s, S_CLOSING);
		mg_tcp_abort(s->client, mg_tcp_now(s->client));
		return;
	}
	n = px_build_error(s, s->status, mg_proxy_error_names[e],
			   s->resp->data, s->px->buf_size);
	local_start(s, (uint32_t)n);
}

/* An error found by the request parser, answered with its own status. */
static void
fail_parse(struct px_session *s, int rc)
{
	unsigned st = mg_http_rc_status(rc);
	enum mg_proxy_error e;

	switch (st) {
	case 413: e = MG_PROXY_E_BODY_TOO_LARGE; break;
	case 414: e = MG_PROXY_E_URI_TOO_LONG; break;
	case 431: e = MG_PROXY_E_HEAD_TOO_LARGE; break;
	case 501: e = MG_PROXY_E_NOT_IMPLEMENTED; break;
	case 505: e = MG_PROXY_E_VERSION; break;
	default: e = MG_PROXY_E_BAD_REQUEST; break;
	}
	s->parse_error = (uint16_t)rc;
	px_session_fail(s, e);
}

/* --- the request head --- */

static void
request_begin(struct px_session *s)
{
	struct mg_proxy *px = s->px;
	const struct mg_cfg_http *h = http_cfg(s);
	int r;

	s->t_head_us = now_us(s);
	s->requests++;
	px->st.requests++;
	s->method = s->msg.method;
	s->version = s->msg.version;
	s->req_framing = s->msg.framing;
	s->head_len = s->msg.head_len;
	s->body_off = s->head_len;
	s->bytes_in = s->head_len;
	s->close_after = !(s->msg.flags & MG_HTTP_F_KEEP_ALIVE) ||
		(h->max_requests_per_conn != 0 &&
		 s->requests >= h->max_requests_per_conn);
	px_request_id(s);

	r = px_route(s);
	if (r < 0) {
		px_session_fail(s, r == -2 ? MG_PROXY_E_CLIENT_CERT
					   : MG_PROXY_E_NO_ROUTE);
		return;
	}
	if (s->req_framing == MG_HTTP_BODY_LENGTH) {
		if (s->msg.content_length > s->max_body) {
			px_session_fail(s, MG_PROXY_E_BODY_TOO_LARGE);
			return;
		}
		s->body_left = s->msg.content_length;
	} else if (s->req_framing == MG_HTTP_BODY_CHUNKED) {
		mg_http_chunked_init(&s->req_chunk, 0, 0, s->max_body);
	}
	s->req_done = s->req_framing == MG_HTTP_BODY_NONE ||
		(s->req_framing == MG_HTTP_BODY_LENGTH && s->body_left == 0);
	s->local = r == 1;

	/* the WAF sees every request before its route acts on it */
	r = px_waf_request(s);
	if (r < 0)
		return;		/* blocked and answered */
	if (r > 0) {
		set_state(s, S_WAF);	/* the body first */
		px_session_drive(s);
		return;
	}
	request_proceed(s);
}

/* The request passed the WAF (or has none): its route's action. */
static void
request_proceed(struct px_session *s)
{
	struct mg_proxy *px = s->px;

	if (s->local) {
		/* direct response or redirect */
		int n;

		px->st.local_responses++;
		if (!s->req_done)
			s->close_after = true;	/* the body is not read */
		if (!take_resp_buf(s)) {
			px_session_fail(s, MG_PROXY_E_OVERLOADED);
			return;
		}
		n = px_build_local(s, s->resp->data, px->buf_size);
		if (n < 0) {
			px_session_fail(s, MG_PROXY_E_OVERLOADED);
			return;
		}
		local_start(s, (uint32_t)n);
		return;
	}
	set_state(s, S_UPSTREAM);
	s->resp_state = R_NONE;
	s->n_tried = 0;
	if (s->timeout_ms != 0)
		s->t_deadline_req_us = s->t_head_us + ms_to_us(s->timeout_ms);
	if (px_upstream_start(s) != 0)
		return;		/* failed and answered, or waiting */
	px_session_drive(s);
}

static void
read_head(struct px_session *s)
{
	struct mg_proxy *px = s->px;
	bool eof = false;

	if (s->req == NULL) {
		s->req = px_buf_get(px);
		if (s->req == NULL) {
			px_session_fail(s, MG_PROXY_E_OVERLOADED);
			return;
		}
		mg_http_request_init(&s->msg, s->req->hdrs,
			(uint16_t)RTE_MIN(http_cfg(s)->max_headers, PX_MAX_HEADERS_CAP),
			&s->lst->lim);
	}
	for (;;) {
		struct px_buf *b = s->req;
		struct rte_mbuf *m = NULL;
		uint32_t room, n;

		if (b->len > 0) {
			int rc = mg_http_request_parse(&s->msg, b->data, b->len);

			if (rc == MG_HTTP_OK) {
				request_begin(s);
				return;
			}
			if (rc != MG_HTTP_AGAIN) {
				fail_parse(s, rc);
				return;
			}
		}
		room = px->buf_size - b->len;
		if (room == 0) {
			px_session_fail(s, MG_PROXY_E_HEAD_TOO_LARGE);
			return;
		}
		n = px_recv(px, CLIENT(s), &m, room, &eof);
		if (n == 0)
			break;
		if (b->len == 0) {
			/* a new head starts: the header timeout runs from here */
			s->t_state_us = now_us(s);
		}
		chain_to_buf(b, m);
	}
	if (eof || s->client_eof) {
		/* FIN between requests is a normal close; inside a head the
		 * request is abandoned. */
		if (s->req->len > 0)
			px->st.errors[MG_PROXY_E_CLIENT_ABORTED]++;
		session_close(s);
	}
}

/* --- proxying --- */

/* Client -> upstream: the rest of the request body. */
static void
pump_request(struct px_session *s)
{
	struct mg_proxy *px = s->px;
	bool chunked = s->req_framing == MG_HTTP_BODY_CHUNKED;

	while (!s->req_done) {
		uint32_t space = px_send_space(UPSTREAM(s));
		struct px_buf *b = s->req;

		if (space == 0)
			return;		/* the upstream's WRITABLE resumes */
		if (s->held != NULL) {
			/* the body the WAF held, as it came */
			struct rte_mbuf *m = s->held;
			bool done = false;

			if (space < s->held_len)
				return;
			if (chunked) {
				if (px_chunked_walk_chain(&s->req_chunk, m, &done) < 0) {
					rte_pktmbuf_free(m);
					s->held = NULL;
					goto bad_chunk;
				}
			} else {
				s->body_left -= s->held_len;
				done = s->body_left == 0;
			}
			s->held = NULL;
			s->bytes_in += s->held_len;
			if (px_send(px, UPSTREAM(s), m) != 0) {
				rte_pktmbuf_free(m);
				px_session_fail(s, MG_PROXY_E_UPSTREAM_RESET);
				return;
			}
			s->req_done = done;
			continue;
		}
		if (s->body_off < b->len) {
			/* body bytes that came with the head */
			uint32_t n = RTE_MIN(b->len - s->body_off, space);
			bool done = false;

			if (chunked) {
				int64_t k = chunked_walk(&s->req_chunk,
						b->data + s->body_off, n, &done);
				if (k < 0)
					goto bad_chunk;
				n = (uint32_t)k;
			} else if (n > s->body_left) {
				n = (uint32_t)s->body_left;
			}
			n = send_flat(px, UPSTREAM(s), b->data + s->body_off, n);
			s->body_off += n;
			s->bytes_in += n;
			if (!chunked)
				s->body_left -= n;
			s->req_done = chunked ? done : s->body_left == 0;
			continue;
		}
		/* from the connection, zero-copy */
		struct rte_mbuf *m = NULL;
		bool eof = false, done = false;
		uint32_t want = space, n;

		if (!chunked && want > s->body_left)
			want = (uint32_t)s->body_left;
		if (chunked && want > px->buf_size - b->len)
			want = px->buf_size - b->len;	/* room for an overshoot */
		if (want == 0)
			return;
		n = px_recv(px, CLIENT(s), &m, want, &eof);
		if (n == 0) {
			if (eof || s->client_eof)
				px_session_fail(s, MG_PROXY_E_CLIENT_ABORTED);
			return;
		}
		s->t_activity_us = now_us(s);
		if (chunked) {
			int64_t k = px_chunked_walk_chain(&s->req_chunk, m, &done);

			if (k < 0) {
				rte_pktmbuf_free(m);
				goto bad_chunk;
			}
			if ((uint32_t)k < n) {
				/* The next request began in the same read: its
				 * bytes go to [body_off, len) of the buffer,
				 * where request_end() finds them. */
				px_chain_cut(m, (uint32_t)k, b);
				n = (uint32_t)k;
			}
		} else {
			s->body_left -= n;
			done = s->body_left == 0;
		}
		if (px_send(px, UPSTREAM(s), m) != 0) {
			rte_pktmbuf_free(m);
			px_session_fail(s, MG_PROXY_E_UPSTREAM_RESET);
			return;
		}
		s->bytes_in += n;
		s->req_done = done;
	}
	s->t_req_sent_us = now_us(s);
	return;
bad_chunk:
	s->parse_error = s->req_chunk.rc;
	px_session_fail(s, s->req_chunk.rc == MG_HTTP_E_BODY_TOO_LARGE
			? MG_PROXY_E_BODY_TOO_LARGE : MG_PROXY_E_BAD_REQUEST);
}

static void
send_response_head(struct px_session *s)
{
	struct mg_proxy *px = s->px;
	int n = px_build_response_head(s, px->scratch, px->scratch_size);

	if (n < 0) {
		px_session_fail(s, MG_PROXY_E_BAD_RESPONSE);
		return;
	}
	/* The head is built the same way every time: what did not fit is
	 * sent from head_off when the client's WRITABLE comes (owed, as
	 * this send fills the buffer). */
	s->head_off += send_flat(s->px, CLIENT(s), px->scratch + s->head_off,
				 (uint32_t)n - s->head_off);
	if (s->head_off < (uint32_t)n)
		return;
	s->head_sent = true;
	s->bytes_out += (uint32_t)n;
	s->resp_off = s->rmsg.head_len;
	switch (s->resp_framing) {
	case MG_HTTP_BODY_LENGTH:
		s->resp_left = s->rmsg.content_length;
		break;
	case MG_HTTP_BODY_CHUNKED:
		mg_http_chunked_init(&s->resp_chunk, 0, 0, 0);
		break;
	default:
		break;
	}
	s->resp_state = R_BODY;
	if (s->tunnel) {
		/* bytes that came with either head open the tunnel */
		struct px_buf *b = s->resp, *q = s->req;

		if (b->len > s->resp_off)
			s->bytes_out += send_flat(s->px, CLIENT(s), b->data + s->resp_off,
						  b->len - s->resp_off);
		s->resp_off = b->len;
		if (q->len > s->body_off)
			s->bytes_in += send_flat(s->px, UPSTREAM(s), q->data + s->body_off,
						 q->len - s->body_off);
		s->body_off = q->len;
		s->req_done = true;
		set_state(s, S_TUNNEL);
	}
}

/* Upstream response head: read, parse, interim responses, retries. */
static void
read_response_head(struct px_session *s)
{
	struct mg_proxy *px = s->px;
	bool eof = false;

	if (s->resp == NULL) {
		if (!take_resp_buf(s)) {
			px_session_fail(s, MG_PROXY_E_OVERLOADED);
			return;
		}
		s->resp_parsed = false;
	}
	if (!s->resp_parsed && s->resp->len == 0)
		mg_http_response_init(&s->rmsg, s->resp->hdrs, PX_MAX_HEADERS_CAP,
				      NULL, (enum mg_http_method)s->method);
	for (;;) {
		struct px_buf *b = s->resp;
		struct rte_mbuf *m = NULL;
		uint32_t n;

		if (!s->resp_parsed && b->len > 0) {
			int rc = mg_http_response_parse(&s->rmsg, b->data, b->len);

			if (rc == MG_HTTP_OK) {
				uint16_t st = s->rmsg.status;

				if (st >= 100 && st < 200 && st != 101) {
					/* interim: pass it on, read the final one */
					uint32_t hl = s->rmsg.head_len;

					s->head_off += send_flat(px, CLIENT(s),
						b->data + s->head_off, hl - s->head_off);
					if (s->head_off < hl)
						return;	/* WRITABLE resumes */
					s->head_off = 0;
					s->bytes_out += hl;
					memmove(b->data, b->data + hl, b->len - hl);
					b->len -= hl;
					mg_http_response_init(&s->rmsg, b->hdrs,
						PX_MAX_HEADERS_CAP, NULL,
						(enum mg_http_method)s->method);
					continue;
				}
				s->resp_parsed = true;
				s->status = st;
				s->resp_framing = s->rmsg.framing;
				if (px_upstream_response(s) != 0)
					return;	/* retried elsewhere */
				break;
			}
			if (rc != MG_HTTP_AGAIN) {
				/* counted here: a retry may still answer */
				s->px->st.http_errors[rc]++;
				px_upstream_failed(s, MG_PROXY_E_BAD_RESPONSE);
				return;
			}
		}
		if (s->resp_parsed)
			break;
		if (b->len == px->buf_size) {
			px_upstream_failed(s, MG_PROXY_E_BAD_RESPONSE);
			return;
		}
		n = px_recv(px, UPSTREAM(s), &m, px->buf_size - b->len, &eof);
		if (n == 0) {
			if (eof || s->up->peer_closed)
				px_upstream_failed(s, MG_PROXY_E_UPSTREAM_RESET);
			return;
		}
		if (b->len == 0)
			s->t_first_byte_us = now_us(s);
		s->t_activity_us = now_us(s);
		chain_to_buf(b, m);
	}
	send_response_head(s);
}

/* The request is answered: the next one, or the close. */
static void
request_finish(struct px_session *s)
{
	request_end(s);
	if (s->close_after || s->client_eof)
		session_close(s);
	else
		set_state(s, S_HEAD);
}

static void
response_done(struct px_session *s)
{
	s->resp_state = R_DONE;
	s->t_up_end_us = now_us(s);
	request_finish(s);
}

/* Upstream -> client: the response body. */
static void
pump_response(struct px_session *s)
{
	struct mg_proxy *px = s->px;
	uint8_t fr = s->resp_framing;

	if (fr == MG_HTTP_BODY_NONE || (fr == MG_HTTP_BODY_LENGTH && s->resp_left == 0)) {
		s->up_reusable = true;
		response_done(s);
		return;
	}
	for (;;) {
		uint32_t space = px_send_space(CLIENT(s));
		struct px_buf *b = s->resp;
		bool done = false;

		if (space == 0)
			return;		/* the client's WRITABLE resumes */
		if (s->resp_off < b->len) {
			uint32_t n = RTE_MIN(b->len - s->resp_off, space);

			if (fr == MG_HTTP_BODY_CHUNKED) {
				int64_t k;

				if (s->dechunk) {
					/* one data stretch at a time */
					struct mg_http_slice d;
					size_t used;
					int rc = mg_http_chunked_decode(&s->resp_chunk,
						b->data + s->resp_off, n, &used, &d);

					if (rc != MG_HTTP_OK && rc != MG_HTTP_AGAIN)
						goto bad;
					if (d.len > 0 && send_flat(px, CLIENT(s), b->data + s->resp_off +
							d.off, d.len) != d.len) {
						/* decoder moved on: space was checked */
						goto bad;
					}
					s->resp_off += (uint32_t)used;
					s->bytes_out += d.len;
					if (rc == MG_HTTP_OK)
						goto done_body;
					if (used == 0)
						break;
					continue;
				}
				k = chunked_walk(&s->resp_chunk, b->data + s->resp_off,
						 n, &done);
				if (k < 0)
					goto bad;
				n = (uint32_t)k;
			} else if (fr == MG_HTTP_BODY_LENGTH && n > s->resp_left) {
				n = (uint32_t)s->resp_left;
				done = true;
			}
			n = send_flat(px, CLIENT(s), b->data + s->resp_off, n);
			s->resp_off += n;
			s->bytes_out += n;
			if (fr == MG_HTTP_BODY_LENGTH) {
				s->resp_left -= n;
				done = s->resp_left == 0;
			}
			if (done)
				goto done_body;
			continue;
		}
		/* from the upstream connection, zero-copy */
		struct rte_mbuf *m = NULL;
		bool eof = false;
		uint32_t want = space, n;

		if (fr == MG_HTTP_BODY_LENGTH && want > s->resp_left)
			want = (uint32_t)s->resp_left;
		if (fr == MG_HTTP_BODY_CHUNKED && want > px->buf_size)
			want = px->buf_size;	/* room for an overshoot */
		if (fr == MG_HTTP_BODY_CHUNKED && s->dechunk) {
			/* decoded from the buffer: refill it */
			b->len = 0;
			s->resp_off = 0;
			n = px_recv(px, UPSTREAM(s), &m, px->buf_size, &eof);
			if (n == 0)
				goto nodata;
			chain_to_buf(b, m);
			s->t_activity_us = now_us(s);
			continue;
		}
		n = px_recv(px, UPSTREAM(s), &m, want, &eof);
		if (n == 0)
			goto nodata;
		s->t_activity_us = now_us(s);
		if (fr == MG_HTTP_BODY_CHUNKED) {
			int64_t k = px_chunked_walk_chain(&s->resp_chunk, m, &done);

			if (k < 0) {
				rte_pktmbuf_free(m);
				goto bad;
			}
			if ((uint32_t)k < n) {
				/* bytes after the last chunk: dropped, and the
				 * connection is not reused */
				b->len = 0;
				s->resp_off = 0;
				px_chain_cut(m, (uint32_t)k, b);
				b->len = 0;
				s->up_extra = true;
				n = (uint32_t)k;
			}
		} else if (fr == MG_HTTP_BODY_LENGTH) {
			s->resp_left -= n;
			done = s->resp_left == 0;
		}
		if (px_send(px, CLIENT(s), m) != 0) {
			rte_pktmbuf_free(m);
			px_session_fail(s, MG_PROXY_E_CLIENT_ABORTED);
			return;
		}
		s->bytes_out += n;
		if (done)
			goto done_body;
	}
	return;
nodata:
	if (s->up->peer_closed) {
		if (fr == MG_HTTP_BODY_CLOSE) {
			s->close_after = true;
			s->up_reusable = false;
			response_done(s);
		} else {
			px_upstream_failed(s, MG_PROXY_E_RESPONSE_ABORTED);
		}
	}
	return;
bad:
	px_upstream_failed(s, MG_PROXY_E_BAD_RESPONSE);
	return;
done_body:
	s->up_reusable = !s->up_extra && s->resp_off >= s->resp->len;
	if (s->dechunk)
		s->close_after = true;
	response_done(s);
}

/* After 101 Switching Protocols: bytes both ways until both sides close. */
static void
pump_tunnel(struct px_session *s)
{
	struct mg_proxy *px = s->px;
	struct mg_tcp_conn *from[2] = { s->client, s->up->conn };
	struct mg_tcp_conn *to[2] = { s->up->conn, s->client };
	struct mg_tls_conn *from_t[2] = { s->ctls, s->up->tls };
	struct mg_tls_conn *to_t[2] = { s->up->tls, s->ctls };

	for (int dir = 0; dir < 2; dir++) {
		for (;;) {
			uint32_t space = px_send_space(to[dir], to_t[dir]), n;
			struct rte_mbuf *m = NULL;
			bool eof = false;

			if (space == 0 || s->tunnel_shut[dir])
				break;
			n = px_recv(px, from[dir], from_t[dir], &m, space, &eof);
			if (n == 0) {
				if (eof || (dir == 0 ? s->client_eof : s->up->peer_closed)) {
					s->tunnel_shut[dir] = true;
					px_shutdown(px, to[dir], to_t[dir]);
				}
				break;
			}
			s->t_activity_us = now_us(s);
			if (px_send(px, to[dir], to_t[dir], m) != 0) {
				rte_pktmbuf_free(m);
				s->tunnel_shut[dir] = true;
				break;
			}
			if (dir == 0)
				s->bytes_in += n;
			else
				s->bytes_out += n;
		}
	}
	if (s->tunnel_shut[0] && s->tunnel_shut[1]) {
		s->up_reusable = false;
		response_done(s);
	}
}

/* --- the end of a request --- */

static unsigned
hist_bucket(uint64_t us)
{
	unsigned b = us == 0 ? 0 : 63 - (unsigned)__builtin_clzll(us);

	return b < MG_PROXY_HIST_BUCKETS ? b : MG_PROXY_HIST_BUCKETS - 1;
}

static void
log_request(struct px_session *s)
{
	struct mg_proxy *px = s->px;
	uint64_t now = now_us(s);
	uint64_t total = now - s->t_head_us;
	uint64_t upstream = 0, edge;
	unsigned cls = s->status / 100;
	struct mg_access_record r;

	if (s->t_up_start_us != 0)
		upstream = (s->t_up_end_us ? s->t_up_end_us : now) - s->t_up_start_us;
	edge = total > upstream ? total - upstream : 0;
	px->st.bytes_in += s->bytes_in;
	px->st.bytes_out += s->bytes_out;
	if (cls > 5)
		cls = 0;
	px->st.by_class[cls]++;
	if (s->status != 0)
		px->st.responses++;
	if (s->route >= 0) {
		struct mg_proxy_route_stats *rs = &px->route_st[s->route];

		rs->requests++;
		rs->by_class[cls]++;
		rs->edge_us[hist_bucket(edge)]++;
		if (s->t_up_start_us != 0)
			rs->upstream_us[hist_bucket(upstream)]++;
	}
	if (!http_cfg(s)->access_log || px->p.access_log == NULL)
		return;
	memset(&r, 0, sizeof(r));
	r.time_us = (uint64_t)((int64_t)s->t_head_us + px->p.wall_offset_us);
	r.bytes_in = s->bytes_in;
	r.bytes_out = s->bytes_out;
	r.upstream_us = (uint32_t)RTE_MIN(upstream, UINT32_MAX);
	r.edge_us = (uint32_t)RTE_MIN(edge, UINT32_MAX);
	r.client = s->client_addr;
	r.client_port = s->client_port;
	r.status = s->status;
	r.route = s->route;
	r.cluster = s->cluster;
	r.endpoint = s->endpoint;
	r.listener = (uint16_t)s->lst->index;
	r.attempts = s->n_tried;
	r.error = s->error;
	if (s->req != NULL && s->msg.rc == MG_HTTP_OK) {
		const char *d = s->req->data;
		struct mg_http_slice t = s->msg.target;

		/* r is zeroed: a cut copy stays NUL-terminated */
		memcpy(r.method, d + s->msg.method_str.off,
		       RTE_MIN(s->msg.method_str.len, sizeof(r.method) - 1));
		memcpy(r.host, d + s->msg.host.off,
		       RTE_MIN(s->msg.host.len, sizeof(r.host) - 1));
		memcpy(r.path, d + t.off, RTE_MIN(t.len, sizeof(r.path) - 1));
	}
	memcpy(r.request_id, s->request_id, sizeof(r.request_id) - 1);
	px->st.log_records++;
	if (!px->p.access_log(px->p.ctx, &r))
		px->st.log_dropped++;
}

/* The request is over (answered, failed or abandoned): log it, release
 * the upstream and the buffers, and keep any pipelined bytes. */
static void
request_end(struct px_session *s)
{
	struct mg_proxy *px = s->px;

	px_upstream_unqueue(s);
	if (s->t_head_us != 0)
		log_request(s);
	if (s->up != NULL)
		px_upstream_release(s, s->up_reusable && s->req_done);
	if (s->resp != NULL) {
		px_buf_put(px, s->resp);
		s->resp = NULL;
	}
	if (s->req != NULL) {
		struct px_buf *b = s->req;
		uint32_t keep_from = s->body_off;

		if (!s->req_done)
			s->close_after = true;	/* body left unread */
		if (keep_from > b->len || s->t_head_us == 0)
			keep_from = b->len;
		if (keep_from < b->len && !s->close_after) {
			memmove(b->data, b->data + keep_from, b->len - keep_from);
			b->len -= keep_from;
		} else {
			px_buf_put(px, b);
			s->req = NULL;
		}
	}
	rte_pktmbuf_free(s->held);
	s->held = NULL;
	s->held_len = 0;
	s->waf_hold = s->waf_body_done = false;
	s->n_waf_rules = 0;
	s->waf_policy = -1;
	/* reset the per-request part */
	s->t_head_us = 0;
	s->t_up_start_us = s->t_up_end_us = 0;
	s->t_deadline_req_us = 0;
	s->head_sent = s->status_sent = false;
	s->head_off = 0;
	s->started = false;
	s->req_done = s->up_reusable = s->up_extra = s->dechunk = false;
	s->tunnel = s->head_to_up = false;
	s->rt = NULL;
	s->timeout_ms = 0;
	s->resp_parsed = false;
	s->resp_state = R_NONE;
	s->status = 0;
	s->error = 0;
	s->parse_error = 0;
	s->route = s->cluster = s->endpoint = -1;
	s->n_tried = 0;
	s->bytes_in = s->bytes_out = 0;
	s->tunnel_shut[0] = s->tunnel_shut[1] = false;
	s->request_id[0] = '\0';
	if (s->req != NULL)
		mg_http_request_init(&s->msg, s->req->hdrs,
			(uint16_t)RTE_MIN(http_cfg(s)->max_headers, PX_MAX_HEADERS_CAP),
			&s->lst->lim);
	else
		s->msg.rc = MG_HTTP_AGAIN;
}

static void
session_close(struct px_session *s)
{
	struct mg_tcp_conn *c = s->client;

	set_state(s, S_CLOSING);
	if (c != NULL && !s->shut) {
		s->shut = true;
		px_shutdown(s->px, c, s->ctls);
	}
	if (s->client_eof && c != NULL) {
		s->client = NULL;
		mg_tcp_close(c, mg_tcp_now(c));
	}
}

/* Discard what the client still sends after our FIN, until its FIN. */
static void
drain_client(struct px_session *s)
{
	bool eof = false;
	uint32_t n;

	do {
		struct rte_mbuf *m = NULL;

		n = px_recv(s->px, CLIENT(s), &m, UINT32_MAX, &eof);
		rte_pktmbuf_free(m);
	} while (n > 0);
	if (eof)
		s->client_eof = true;
	if (s->client_eof)
		session_close(s);
}

static void
send_local(struct px_session *s)
{
	struct px_buf *b = s->resp;
	uint32_t n = send_flat(s->px, CLIENT(s), b->data + s->local_sent,
			       b->len - s->local_sent);

	s->local_sent += n;
	s->bytes_out += n;
	if (s->local_sent < b->len)
		return;
	request_finish(s);
}

void
px_session_drive(struct px_session *s)
{
	uint32_t guard = 0;

	/* Each pass either changes state or stops for lack of bytes/space;
	 * pipelined requests loop here (bounded per event for fairness). */
	while (s->client != NULL && guard++ < 16) {
		uint8_t st = s->state;

		switch (st) {
		case S_HEAD:
			read_head(s);
			break;
		case S_UPSTREAM:
			if (s->up == NULL || s->up->state != UP_BUSY)
				break;	/* connecting or waiting */
			if (!s->head_to_up)
				break;
			pump_request(s);
			if (s->state != S_UPSTREAM || s->up == NULL)
				break;
			if (s->resp_state == R_HEAD || s->resp_state == R_NONE) {
				s->resp_state = R_HEAD;
				read_response_head(s);
			}
			if (s->state == S_UPSTREAM && s->resp_state == R_BODY &&
			    s->up != NULL)
				pump_response(s);
			break;
		case S_TUNNEL:
			pump_tunnel(s);
			break;
		case S_WAF:
			if (px_waf_body(s) > 0)
				request_proceed(s);
			break;
		case S_LOCAL:
			send_local(s);
			break;
		case S_CLOSING:
			drain_client(s);
			return;
		}
		if (s->client == NULL || s->state == st)
			break;
		if (s->state == S_HEAD && (s->req == NULL || s->req->len == 0) &&
		    !s->client_eof && px_readable(CLIENT(s)) == 0)
			break;
	}
	if (s->client != NULL)
		px_session_timer(s);
}

void
px_session_timeout(struct px_session *s)
{
	enum mg_proxy_error why;
	uint64_t d = deadline(s, &why);
	uint64_t now = s->px->now_us;

	if (d > now) {
		px_session_timer(s);	/* activity moved it */
		return;
	}
	switch (s->state) {
	case S_HEAD:
		if (s->ctls != NULL && !s->tls_up &&
		    mg_tls_conn_check_deadline(s->ctls, now) < 0) {
			/* handshake timeout (counted by lib/tls): the alert,
			 * then FIN */
			s->px->st.tls_failures++;
			s->px->st.tls_handshake_timeouts++;
			session_close(s);
			if (s->client != NULL)
				px_session_timer(s);
			return;
		}
		if (why == MG_PROXY_E_HEADER_TIMEOUT) {
			px_session_fail(s, why);
		} else {
			/* idle keep-alive connection, or nothing ever sent */
			session_close(s);
			if (s->client != NULL)
				px_session_timer(s);
		}
		return;
	case S_WAF:
		px_session_fail(s, why);
		return;
	case S_UPSTREAM:
		if (s->waiting_conn) {
			/* queued behind the connection limit for connect_ms */
			px_session_fail(s, MG_PROXY_E_CB_PENDING);
			return;
		}
		if (why == MG_PROXY_E_CONNECT_FAILED) {
			px_upstream_connect_failed(s);
			return;
		}
		if (why == MG_PROXY_E_RESPONSE_TIMEOUT)
			px_outlier_result(s->px, (uint32_t)s->cluster,
					  (uint32_t)s->endpoint, false, true);
		px_session_fail(s, why);
		return;
	default:
		/* linger or tunnel idle over: reset (CLOSED then ends the
		 * request and frees the session) */
		if (s->up != NULL) {
			s->up_reusable = false;
			px_upstream_release(s, false);
		}
		if (s->client != NULL)
			mg_tcp_abort(s->client, now_us(s));
		return;
	}
}

/* --- the client connection's events --- */

void
px_client_event(struct mg_tcp_conn *c, enum mg_tcp_event ev, void *user)
{
	struct px_session *s;

	if (ev == MG_TCP_EV_ACCEPTED) {
		struct px_listener *l = user;
		struct mg_ip laddr;
		uint16_t lport;

		s = session_alloc(l->px);
		if (s == NULL) {
			l->px->st.sessions_refused++;
			mg_tcp_set_user(c, px_client_event, NULL);
			mg_tcp_abort(c, mg_tcp_now(c));
			return;
		}
		l->px->st.sessions++;
		s->lst = l;
		s->client = c;
		mg_tcp_conn_addrs(c, &laddr, &lport, &s->client_addr,
				  &s->client_port);
		mg_tcp_set_user(c, px_client_event, s);
		s->px->now_us = mg_tcp_now(c);
		if (l->tls != NULL) {
			/* https: the handshake within its own timeout, then
			 * the head within header_timeout_ms of the accept */
			s->ctls = mg_tls_conn_accept(l->tls, s->px->now_us);
			if (s->ctls == NULL) {
				l->px->st.tls_failures++;
				mg_tcp_abort(c, s->px->now_us);
				return;
			}
		}
		set_state(s, S_HEAD);
		s->msg.rc = MG_HTTP_AGAIN;
		px_session_timer(s);
		return;
	}
	s = user;
	if (s == NULL)
		return;		/* a refused connection's last events */
	s->px->now_us = mg_tcp_now(c);
	if (s->ctls != NULL && !s->tls_up && ev != MG_TCP_EV_CLOSED &&
	    ev != MG_TCP_EV_RESET) {
		int r = px_tls_progress(s->px, c, s->ctls);

		if (r < 0) {
			/* the alert is queued: FIN after it. The closing
			 * session's later events (the alert sent, the
			 * client's FIN) meet the same failure: counted once. */
			if (s->state != S_CLOSING)
				s->px->st.tls_failures++;
			session_close(s);
			return;
		}
		if (r == 0) {
			if (ev == MG_TCP_EV_PEER_CLOSED)
				s->client_eof = true;
			return;
		}
		s->tls_up = true;
		s->px->st.tls_handshakes++;
	}
	switch (ev) {
	case MG_TCP_EV_READABLE:
		px_session_drive(s);
		break;
	case MG_TCP_EV_WRITABLE:
		if (s->ctls != NULL)
			px_tls_flush(s->px, c, s->ctls);
		px_session_drive(s);
		break;
	case MG_TCP_EV_PEER_CLOSED:
		s->client_eof = true;
		px_session_drive(s);
		break;
	case MG_TCP_EV_RESET:
		break;
	case MG_TCP_EV_CLOSED:
		px_upstream_unqueue(s);
		if (s->t_head_us != 0) {
			if (s->error == 0) {
				s->px->st.errors[MG_PROXY_E_CLIENT_ABORTED]++;
				s->error = MG_PROXY_E_CLIENT_ABORTED + 1;
			}
			s->up_reusable = false;
			request_end(s);
		}
		if (s->up != NULL)
			px_upstream_release(s, false);
		s->client = NULL;
		if (s->ctls != NULL) {
			px_tls_release(s->ctls);
			s->ctls = NULL;
		}
		session_free(s);
		break;
	default:
		break;
	}
}
