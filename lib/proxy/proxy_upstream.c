/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The upstream side: picking an endpoint, connection pools, circuit
 * breakers, retries and passive outlier detection, per worker and cluster.
 *
 * Circuit breakers are per worker: each enforces ceil(limit / workers) of
 * the cluster's limits (shared-nothing; no atomics between workers).
 * Retries go to an endpoint not tried yet when there is one, and only
 * while no byte of the response went to the client and the request can be
 * sent again (no body, or its body not read yet).
 */
#include <errno.h>
#include <string.h>

#include <rte_errno.h>

#include "mg_lb.h"
#include "mg_tls.h"
#include "proxy_internal.h"

static uint64_t
ms_to_us(uint32_t ms)
{
	return (uint64_t)ms * 1000;
}

static struct px_cluster *
cluster_of(struct px_session *s)
{
	return &s->px->clusters[s->cluster];
}

/* --- connection parameters --- */

void
mg_proxy_conn_params(const struct mg_cfg_tcp *t, struct mg_tcp_conn_params *cp)
{
	memset(cp, 0, sizeof(*cp));
	cp->rcv_buf = t->rcv_buf;
	cp->snd_buf = t->snd_buf;
	cp->mss = t->mss;
	cp->nodelay = t->nodelay;
	cp->timestamps = t->timestamps;
	cp->sack = t->sack;
	cp->window_scaling = t->window_scaling;
	cp->cc = t->cc[0] ? t->cc : NULL;
	cp->delack_us = t->delack_us;
	cp->keepalive_idle_s = t->keepalive_idle_s;
	cp->keepalive_intvl_s = t->keepalive_intvl_s;
	cp->keepalive_probes = t->keepalive_probes;
}

struct mg_tcp_conn *
px_connect(struct mg_proxy *px, uint32_t ci, uint32_t ei, uint16_t port,
	   struct px_upstream *u)
{
	struct px_cluster *c = &px->clusters[ci];
	struct px_endpoint *ep = &c->ep[ei];
	const struct mg_ip *src = ep->addr.family == AF_INET ? &c->src4 : &c->src6;
	struct mg_tcp_conn_params cp;

	struct mg_tcp_conn *conn;

	mg_proxy_conn_params(&c->cfg->tcp, &cp);
	cp.nodelay = true;	/* heads must not wait for an ACK */
	conn = mg_tcp_connect(px->tcp, src, &ep->addr, port ? port : ep->port, &cp,
			      px_upstream_event, u, px->now_us);
	if (conn != NULL && c->tls != NULL) {
		/* re-encryption to the mesh (health probes too, as Envoy's
		 * go over the cluster's transport): the ClientHello waits in
		 * the engine until TCP is up; sessions are kept per endpoint,
		 * for requests */
		struct mg_tls_connect_params tp = {
			.session_slot = c->tls_session_slots > 0 && u->pr == NULL
				? (int)(ei % c->tls_session_slots) : -1,
		};

		u->tls = mg_tls_conn_connect(c->tls, &tp, px->now_us);
		if (u->tls == NULL) {
			mg_tcp_abort(conn, px->now_us);
			return NULL;
		}
	}
	return conn;
}

/* --- outlier detection (lib/lb keeps the counts and ejections) --- */

void
px_outlier_result(struct mg_proxy *px, uint32_t ci, uint32_t ei,
		  bool connect_failed, bool is_5xx)
{
	struct px_cluster *c;

	if (ci >= px->cfg->n_clusters || ei >= px->clusters[ci].n_ep)
		return;
	c = &px->clusters[ci];
	if (c->outlier == NULL)
		return;
	if (mg_lb_outlier_report(c->outlier, ei, connect_failed
			? MG_LB_OUTCOME_CONNECT_FAILURE : is_5xx
			? MG_LB_OUTCOME_5XX : MG_LB_OUTCOME_SUCCESS, px->now_us) == 1)
		c->st.ejections++;
}

void
px_outlier_tick(struct mg_proxy *px)
{
	for (uint32_t ci = 0; ci < px->cfg->n_clusters; ci++)
		if (px->clusters[ci].outlier != NULL)
			mg_lb_outlier_tick(px->clusters[ci].outlier, px->now_us);
}

/* --- picking --- */

/* The value of cookie @p name in the request's Cookie fields. */
static bool
find_cookie(const struct px_session *s, const char *name, const char **v,
	    uint32_t *vlen)
{
	const char *buf = s->req->data;
	size_t nlen = strlen(name);

	for (uint16_t i = 0; i < s->msg.n_headers; i++) {
		const struct mg_http_header *h = &s->req->hdrs[i];
		uint32_t p, end;

		if (!px_slice_eq_ci(buf, h->name, "cookie"))
			continue;
		p = h->value.off;
		end = p + h->value.len;
		while (p < end) {
			uint32_t q = p, eq;

			while (q < end && buf[q] != ';')
				q++;
			while (p < q && buf[p] == ' ')
				p++;
			for (eq = p; eq < q && buf[eq] != '='; eq++)
				;
			if (eq < q && eq - p == nlen && memcmp(buf + p, name, nlen) == 0) {
				*v = buf + eq + 1;
				*vlen = q - eq - 1;
				return true;
			}
			p = q + 1;
		}
	}
	return false;
}

/* What the hashing balancers hash for this request (hash_on). */
static uint64_t
request_hash(const struct px_session *s, const struct mg_cfg_cluster *cc)
{
	const struct mg_http_header *h;
	const char *v;
	uint32_t len;

	switch (cc->hash_on) {
	case MG_HASH_HEADER:
		h = mg_http_find_header(&s->msg, s->req->data, cc->hash_key);
		if (h != NULL)
			return mg_lb_hash_bytes(s->req->data + h->value.off,
						h->value.len);
		break;
	case MG_HASH_COOKIE:
		if (find_cookie(s, cc->hash_key, &v, &len))
			return mg_lb_hash_bytes(v, len);
		break;
	case MG_HASH_CLIENT_ADDRESS:
		break;
	}
	/* no header or cookie: the client address keeps the client sticky */
	return mg_lb_hash_bytes(&s->client_addr, sizeof(s->client_addr));
}

int32_t
px_pick(struct px_session *s)
{
	struct mg_proxy *px = s->px;
	struct px_cluster *c = cluster_of(s);
	const struct mg_lb *lb = px->p.cluster_lb(px->p.ctx, (uint32_t)s->cluster);
	uint64_t hash = 0;
	uint32_t e;

	if (lb == NULL || c->lbw == NULL)
		return -1;
	if (lb->ops->hashing)
		hash = request_hash(s, c->cfg);
	e = mg_lb_pick_request(lb, c->lbw, hash, s->tried,
			       RTE_MIN(s->n_tried, PX_MAX_TRIES),
			       c->outlier != NULL ? mg_lb_outlier_ejected(c->outlier)
						  : NULL);
	return e == MG_LB_NONE || e >= c->n_ep ? -1 : (int32_t)e;
}

/* --- pending queue (connection limit reached) --- */

static void
pending_push(struct px_cluster *c, struct px_session *s)
{
	s->next_pending = NULL;
	if (c->pending_tail == NULL)
		c->pending_tail = &c->pending_head;
	s->pprev_pending = c->pending_tail;
	*c->pending_tail = s;
	c->pending_tail = &s->next_pending;
	c->pending++;
	s->waiting_conn = true;
}

void
px_upstream_unqueue(struct px_session *s)
{
	struct px_cluster *c;

	if (!s->waiting_conn)
		return;
	c = cluster_of(s);
	*s->pprev_pending = s->next_pending;
	if (s->next_pending != NULL)
		s->next_pending->pprev_pending = s->pprev_pending;
	else
		c->pending_tail = s->pprev_pending;
	s->next_pending = NULL;
	s->pprev_pending = NULL;
	s->waiting_conn = false;
	c->pending--;
}

/* A connection slot or a pooled connection freed up: the first waiting
 * session tries again. */
static void
pending_wake(struct mg_proxy *px, uint32_t ci)
{
	struct px_cluster *c = &px->clusters[ci];
	struct px_session *s = c->pending_head;

	if (s == NULL)
		return;
	px_upstream_unqueue(s);
	if (px_upstream_start(s) == 0)
		px_session_drive(s);
}

/* --- sending the request --- */

static void
send_head(struct px_session *s)
{
	struct mg_proxy *px = s->px;
	struct px_upstream *u = s->up;
	int n = px_build_request_head(s, px->scratch, px->scratch_size);

	if (n < 0) {
		px_session_fail(s, MG_PROXY_E_HEAD_TOO_LARGE);
		return;
	}
	if (px_send_space(u->conn, u->tls) < (uint32_t)n ||
	    px_send_copy(px, u->conn, u->tls, px->scratch, (uint32_t)n) != n) {
		px_session_fail(s, MG_PROXY_E_OVERLOADED);
		return;
	}
	u->requests++;
	s->head_to_up = true;
	s->resp_state = R_HEAD;
	s->t_activity_us = px->now_us;
	if (s->req_done)
		s->t_req_sent_us = px->now_us;
}

/* --- starting an attempt --- */

static bool
idempotent(uint8_t method)
{
	switch (method) {
	case MG_HTTP_M_GET: case MG_HTTP_M_HEAD: case MG_HTTP_M_OPTIONS:
	case MG_HTTP_M_TRACE: case MG_HTTP_M_PUT: case MG_HTTP_M_DELETE:
		return true;
	default:
		return false;
	}
}

/* May this request be sent again? Its body must not have been read yet. */
static bool
replayable(const struct px_session *s)
{
	if (s->head_sent || s->status_sent)
		return false;
	if (s->req_framing == MG_HTTP_BODY_NONE)
		return true;
	/* body bytes went upstream when body_off moved past the head */
	return s->body_off == s->head_len &&
	       (s->req_framing != MG_HTTP_BODY_LENGTH ||
		s->body_left == s->msg.content_length);
}

static bool
retry_allowed(struct px_session *s)
{
	struct px_cluster *c = cluster_of(s);
	const struct mg_cfg_retry *r = &c->cfg->retry;
	uint32_t budget;

	if (s->n_tried > r->attempts || !replayable(s))
		return false;
	if (s->t_deadline_req_us != 0 && s->px->now_us >= s->t_deadline_req_us)
		return false;
	/* retry budget: retries in flight within budget_pct of requests in
	 * flight, but always min_retries; and the breaker's max_retries */
	budget = (uint32_t)((uint64_t)c->requests * r->budget_pct / 100);
	if (budget < r->min_retries)
		budget = r->min_retries;
	if (c->retries >= budget || c->retries >= c->max_retries) {
		c->st.breaker_open[3]++;
		return false;
	}
	return true;
}

/* Undo the counting of the current attempt. */
static void
attempt_uncount(struct px_session *s)
{
	struct px_cluster *c = cluster_of(s);

	if (s->counted_request) {
		c->requests--;
		if (s->endpoint >= 0)
			mg_lb_request_done(c->lbw, (uint32_t)s->endpoint);
		s->counted_request = false;
	}
	if (s->is_retry) {
		c->retries--;
		s->is_retry = false;
	}
}

int
px_upstream_start(struct px_session *s)
{
	struct mg_proxy *px = s->px;
	struct px_cluster *c = cluster_of(s);
	struct px_endpoint *ep;
	struct px_upstream *u;
	int32_t e;

	if (!s->started) {
		s->started = true;
		c->st.requests++;
		if (c->requests >= c->max_requests) {
			c->st.breaker_open[2]++;
			px_session_fail(s, MG_PROXY_E_CB_REQUESTS);
			return -1;
		}
	}
	e = px_pick(s);
	if (e < 0) {
		px_session_fail(s, MG_PROXY_E_NO_HEALTHY_ENDPOINT);
		return -1;
	}
	ep = &c->ep[e];

	/* a warm pooled connection first */
	u = ep->idle;
	if (u == NULL && c->conns >= c->max_conns) {
		if (c->pending >= c->max_pending) {
			c->st.breaker_open[1]++;
			px_session_fail(s, MG_PROXY_E_CB_PENDING);
			return -1;
		}
		c->st.breaker_open[0]++;
		pending_push(c, s);
		if (s->t_attempt_us == 0)
			s->t_attempt_us = px->now_us;
		return 1;
	}
	s->endpoint = e;
	if (s->n_tried < PX_MAX_TRIES)
		s->tried[s->n_tried] = (uint32_t)e;
	s->n_tried++;
	if (s->n_tried > 1) {
		c->st.retries++;
		c->retries++;
		s->is_retry = true;
	}
	c->requests++;
	mg_lb_request_start(c->lbw, (uint32_t)e);
	s->counted_request = true;
	s->t_attempt_us = px->now_us;
	if (s->t_up_start_us == 0)
		s->t_up_start_us = px->now_us;
	s->head_to_up = false;
	s->resp_state = R_NONE;

	if (u != NULL) {
		*u->pprev_idle = u->next_idle;
		if (u->next_idle != NULL)
			u->next_idle->pprev_idle = u->pprev_idle;
		u->next_idle = NULL;
		u->pprev_idle = NULL;
		ep->n_idle--;
		px_timer_stop(&u->timer);
		u->state = UP_BUSY;
		u->s = s;
		s->up = u;
		c->st.pool_reuses++;
		send_head(s);
		return s->state == S_UPSTREAM ? 0 : -1;
	}
	u = px_up_alloc(px);
	if (u == NULL) {
		attempt_uncount(s);
		px_session_fail(s, MG_PROXY_E_OVERLOADED);
		return -1;
	}
	u->cluster = (uint32_t)s->cluster;
	u->endpoint = (uint32_t)e;
	u->state = UP_CONNECTING;
	u->s = s;
	s->up = u;
	c->conns++;
	ep->conns++;
	c->st.connects++;
	u->conn = px_connect(px, (uint32_t)s->cluster, (uint32_t)e, 0, u);
	if (u->conn == NULL) {
		c->conns--;
		ep->conns--;
		s->up = NULL;
		px_up_free(u);
		px_upstream_connect_failed(s);
		return -1;
	}
	return 0;
}

/* --- releasing --- */

void
px_upstream_release(struct px_session *s, bool reusable)
{
	struct mg_proxy *px = s->px;
	struct px_upstream *u = s->up;
	struct px_cluster *c = cluster_of(s);
	struct px_endpoint *ep;
	const struct mg_cfg_pool *pool = &c->cfg->pool;

	attempt_uncount(s);
	s->up = NULL;
	if (u == NULL)
		return;
	u->s = NULL;
	ep = &c->ep[u->endpoint];
	if (reusable && u->state == UP_BUSY && !u->peer_closed &&
	    mg_tcp_conn_state(u->conn) == MG_TCP_ESTABLISHED &&
	    px_readable(u->conn, u->tls) == 0 && mg_tcp_readable(u->conn) == 0 &&
	    ep->n_idle < pool->max_idle_per_endpoint &&
	    (pool->max_requests_per_conn == 0 ||
	     u->requests < pool->max_requests_per_conn)) {
		u->state = UP_IDLE;
		u->next_idle = ep->idle;
		if (ep->idle != NULL)
			ep->idle->pprev_idle = &u->next_idle;
		ep->idle = u;
		u->pprev_idle = &ep->idle;
		ep->n_idle++;
		if (pool->idle_timeout_ms != 0)
			px_timer_set(&px->wheel, &u->timer,
				     px->now_us + ms_to_us(pool->idle_timeout_ms));
		pending_wake(px, u->cluster);
		return;
	}
	u->state = UP_CLOSING;
	if (u->conn != NULL) {
		struct mg_tcp_conn *conn = u->conn;

		/* unread data or a half-done exchange: RST, else FIN */
		if (reusable)
			mg_tcp_close(conn, px->now_us);
		else
			mg_tcp_abort(conn, px->now_us);
	}
}

static void
idle_unlink(struct px_upstream *u)
{
	struct px_endpoint *ep = &u->px->clusters[u->cluster].ep[u->endpoint];

	if (u->pprev_idle == NULL)
		return;
	*u->pprev_idle = u->next_idle;
	if (u->next_idle != NULL)
		u->next_idle->pprev_idle = u->pprev_idle;
	u->next_idle = NULL;
	u->pprev_idle = NULL;
	ep->n_idle--;
}

void
px_upstream_idle_timeout(struct px_upstream *u)
{
	if (u->state != UP_IDLE)
		return;
	idle_unlink(u);
	u->state = UP_CLOSING;
	mg_tcp_close(u->conn, u->px->now_us);
}

/* --- failures and retries --- */

static void
retry_or_fail(struct px_session *s, enum mg_proxy_error e, bool allowed)
{
	if (allowed && retry_allowed(s)) {
		if (px_upstream_start(s) == 0)
			px_session_drive(s);
		return;
	}
	px_session_fail(s, e);
}

void
px_upstream_connect_failed(struct px_session *s)
{
	struct px_cluster *c = cluster_of(s);

	c->st.connect_failures++;
	if (s->endpoint >= 0)
		px_outlier_result(s->px, (uint32_t)s->cluster,
				  (uint32_t)s->endpoint, true, false);
	if (s->up != NULL)
		px_upstream_release(s, false);
	else
		attempt_uncount(s);
	retry_or_fail(s, MG_PROXY_E_CONNECT_FAILED,
		      c->cfg->retry.on_connect_failure);
}

void
px_upstream_failed(struct px_session *s, enum mg_proxy_error e)
{
	struct px_upstream *u = s->up;
	/* A pooled connection the server closed just before our request
	 * arrived (no response byte came): safe to send again, once. */
	bool stale = u != NULL && u->requests > 1 && s->resp != NULL &&
		     s->resp->len == 0 && e == MG_PROXY_E_UPSTREAM_RESET &&
		     idempotent(s->method);

	if (!stale && s->endpoint >= 0)
		px_outlier_result(s->px, (uint32_t)s->cluster,
				  (uint32_t)s->endpoint, false, true);
	if (u != NULL)
		px_upstream_release(s, false);
	if (s->resp != NULL)
		s->resp->len = 0;
	s->resp_parsed = false;
	retry_or_fail(s, e, stale || (cluster_of(s)->cfg->retry.on_5xx &&
				      idempotent(s->method)));
}

int
px_upstream_response(struct px_session *s)
{
	struct px_cluster *c = cluster_of(s);
	uint16_t st = s->status;
	bool is_5xx = st >= 500;

	px_outlier_result(s->px, (uint32_t)s->cluster, (uint32_t)s->endpoint,
			  false, is_5xx);
	if ((st == 502 || st == 503 || st == 504) && c->cfg->retry.on_5xx &&
	    idempotent(s->method) && retry_allowed(s)) {
		/* the response is dropped with its connection */
		px_upstream_release(s, false);
		s->resp->len = 0;
		s->resp_parsed = false;
		s->status = 0;
		if (px_upstream_start(s) == 0)
			px_session_drive(s);
		return -1;
	}
	if (st == 101) {
		if (!(s->msg.flags & MG_HTTP_F_UPGRADE)) {
			px_upstream_failed(s, MG_PROXY_E_BAD_RESPONSE);
			return -1;
		}
		s->px->st.upgrades++;
		s->tunnel = true;
	}
	/* an HTTP/1.0 client cannot read chunked: decode and close */
	s->dechunk = s->version == 10 && s->resp_framing == MG_HTTP_BODY_CHUNKED;
	return 0;
}

/* --- events of upstream connections --- */

void
px_upstream_event(struct mg_tcp_conn *c, enum mg_tcp_event ev, void *user)
{
	struct px_upstream *u = user;
	struct mg_proxy *px;
	struct px_session *s;

	if (u == NULL)
		return;
	if (u->pr != NULL) {
		px_probe_event(c, ev, u);
		return;
	}
	px = u->px;
	px->now_us = mg_tcp_now(c);
	s = u->s;
	switch (ev) {
	case MG_TCP_EV_CONNECTED:
		if (s == NULL) {
			mg_tcp_close(c, px->now_us);
			return;
		}
		if (u->tls != NULL) {
			px_tls_flush(px, c, u->tls);	/* the ClientHello */
			return;	/* BUSY once the handshake is done */
		}
		u->state = UP_BUSY;
		send_head(s);
		if (s->up == u)
			px_session_drive(s);
		return;
	case MG_TCP_EV_READABLE:
	case MG_TCP_EV_WRITABLE:
	case MG_TCP_EV_PEER_CLOSED:
		if (ev == MG_TCP_EV_PEER_CLOSED)
			u->peer_closed = true;
		if (u->tls != NULL && ev == MG_TCP_EV_WRITABLE)
			px_tls_flush(px, c, u->tls);
		if (u->tls != NULL && u->state == UP_CONNECTING && s != NULL) {
			int r = px_tls_progress(px, c, u->tls);

			if (r == 0)
				return;
			if (r < 0) {
				/* a bad certificate or SAN is not the endpoint
				 * being down: 502, counted, no retry elsewhere */
				px->st.upstream_tls_failures++;
				px_outlier_result(px, u->cluster, u->endpoint, true, false);
				px_session_fail(s, MG_PROXY_E_UPSTREAM_TLS);
				return;
			}
			u->state = UP_BUSY;
			send_head(s);
			if (s->up == u)
				px_session_drive(s);
			return;
		}
		if (u->tls != NULL && s == NULL && u->state == UP_IDLE &&
		    ev == MG_TCP_EV_READABLE) {
			/* post-handshake messages (tickets) on a pooled
			 * connection are fine; data or close_notify is not */
			if (px_tls_progress(px, c, u->tls) > 0 &&
			    mg_tls_conn_readable(u->tls) == 0 &&
			    mg_tls_conn_state(u->tls) == MG_TLS_ESTABLISHED &&
			    mg_tcp_readable(c) == 0)
				return;
		}
		if (s != NULL) {
			px_session_drive(s);
		} else if (u->state == UP_IDLE) {
			/* A pooled connection: the server's FIN (READABLE
			 * with nothing to read comes first, then PEER_CLOSED)
			 * is answered with ours; bytes nobody asked for with
			 * RST; WRITABLE means nothing here. */
			if (ev == MG_TCP_EV_WRITABLE ||
			    (ev == MG_TCP_EV_READABLE && mg_tcp_readable(c) == 0))
				return;
			idle_unlink(u);
			u->state = UP_CLOSING;
			if (mg_tcp_readable(c) == 0)
				mg_tcp_close(c, px->now_us);
			else
				mg_tcp_abort(c, px->now_us);
		}
		return;
	case MG_TCP_EV_RESET:
		u->peer_closed = true;
		if (s == NULL)
			return;
		if (u->state == UP_CONNECTING) {
			u->s = NULL;
			s->up = NULL;
			px_upstream_connect_failed(s);
		} else {
			px_upstream_failed(s, s->head_sent ? MG_PROXY_E_RESPONSE_ABORTED
					      : MG_PROXY_E_UPSTREAM_RESET);
		}
		return;
	case MG_TCP_EV_CLOSED: {
		struct px_cluster *cl = &px->clusters[u->cluster];

		if (u->state == UP_IDLE)
			idle_unlink(u);
		if (s != NULL) {
			/* closed under a session without a reset first */
			u->s = NULL;
			s->up = NULL;
			attempt_uncount(s);
			px_session_fail(s, MG_PROXY_E_UPSTREAM_RESET);
		}
		cl->conns--;
		cl->ep[u->endpoint].conns--;
		u->conn = NULL;
		if (u->tls != NULL) {
			px_tls_release(u->tls);
			u->tls = NULL;
		}
		px_up_free(u);
		pending_wake(px, (uint32_t)(cl - px->clusters));
		return;
	}
	default:
		return;
	}
}
