/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The WAF in the request path (lib/waf, the OWASP CRS on Hyperscan).
 *
 * A request on a listener or route with a WAF policy is evaluated before
 * anything is done with it: phase 1 on the head (a request blocked there
 * is answered before its body is read); then, when it has a body, the
 * body is read and held (zero-copy, as the mbuf chains it came in, up to
 * the policy's body_limit), and once it is all held the request is
 * evaluated from the start, head and body together (a policy none of
 * whose phase-2 rules reads the body, or with body access off, has its
 * phase 2 run at once, and the body streams): the worker has one
 * WAF context per policy, and it serves other requests while a body comes
 * in, so a transaction never spans two events. Only a request the WAF
 * passes goes on to its route's action, the held body first. A body longer
 * than the limit is inspected up to it, as ModSecurity's ProcessPartial
 * does. In detect mode nothing is blocked; the matches are logged (and
 * listed in X-Meshgate-Waf-Rules when the policy asks for it).
 */
#include <stdio.h>
#include <string.h>

#include <rte_mbuf.h>

#include "mg_waf.h"
#include "proxy_internal.h"

int
px_waf_init(struct mg_proxy *px)
{
	const struct mg_proxy_params *p = &px->p;

	for (uint32_t i = 0; i < p->n_waf && i < MG_MAX_WAF_POLICIES; i++) {
		if (p->waf[i] == NULL)
			continue;
		px->waf_ctx[i] = mg_waf_ctx_create(p->waf[i], &p->waf_conf[i]);
		if (px->waf_ctx[i] == NULL) {
			snprintf(px->tls_err, sizeof(px->tls_err),
				 "WAF policy %s: no memory for a context",
				 px->cfg->waf[i].name);
			return -1;
		}
	}
	return 0;
}

void
px_waf_free(struct mg_proxy *px)
{
	for (uint32_t i = 0; i < MG_MAX_WAF_POLICIES; i++) {
		mg_waf_ctx_free(px->waf_ctx[i]);
		px->waf_ctx[i] = NULL;
	}
}

/* The policy of this request: the route's, else the listener's. */
static int32_t
policy_of(const struct px_session *s)
{
	const struct mg_config *cfg = s->px->cfg;

	if (s->route >= 0 && cfg->routes[s->route].waf_idx != MG_CFG_WAF_INHERIT)
		return cfg->routes[s->route].waf_idx;
	return s->lst->cfg->waf_idx;
}

/* Remember what matched: the rule ids (for the header), the audit line
 * (for the main lcore), the counters. */
static void
record(struct px_session *s, struct mg_waf_ctx *ctx,
       const struct mg_waf_result *res)
{
	struct mg_proxy *px = s->px;

	if (res->n_matches == 0)
		return;
	px->st.waf_matched++;
	for (unsigned i = 0; i < res->n_matches && i < MG_WAF_MAX_MATCHES; i++)
		s->waf_rules[i] = res->matches[i].rule_id;
	s->n_waf_rules = (uint8_t)(res->n_matches < MG_WAF_MAX_MATCHES ?
				   res->n_matches : MG_WAF_MAX_MATCHES);
	if (px->p.waf_audit != NULL) {
		char line[MG_PROXY_AUDIT_MAX];
		size_t n = mg_waf_audit_json(ctx, res, line, sizeof(line));

		if (n >= sizeof(line))
			n = sizeof(line) - 1;	/* cut; still one line */
		line[n] = '\0';
		if (!px->p.waf_audit(px->p.ctx, line, (uint32_t)n))
			px->st.waf_audit_dropped++;
	}
}

/* The verdict is in: 0 go on, -1 answered (blocked). */
static int
verdict(struct px_session *s, struct mg_waf_ctx *ctx,
	const struct mg_waf_result *res, int v)
{
	const struct mg_cfg_waf *w = &s->px->cfg->waf[s->waf_policy];

	record(s, ctx, res);
	if (v == MG_WAF_PASS || w->mode == MG_CFG_WAF_DETECT || res->detect_only)
		return 0;
	s->px->st.waf_blocked++;
	s->waf_status = res->status ? res->status : (uint16_t)w->block_status;
	px_session_fail(s, v == MG_WAF_DROP ? MG_PROXY_E_WAF_DROPPED
					    : MG_PROXY_E_WAF_BLOCKED);
	return -1;
}

/* Phase 1 of the session's request on ctx (a new transaction). */
static int
begin(struct px_session *s, struct mg_waf_ctx *ctx, struct mg_waf_result *res)
{
	struct mg_waf_conn conn;
	char addr[MG_IP_STRLEN];
	int v;

	mg_ip_format(&s->client_addr, addr, sizeof(addr));
	memset(&conn, 0, sizeof(conn));
	conn.remote_addr = addr;
	conn.remote_port = s->client_port;
	conn.unique_id = s->request_id[0] ? s->request_id : NULL;
	v = mg_waf_begin(ctx, (const uint8_t *)s->req->data, s->head_len, &conn, res);
	return v < 0 ? MG_WAF_PASS : v;	/* lib/http vouched for the head */
}

int
px_waf_request(struct px_session *s)
{
	struct mg_proxy *px = s->px;
	struct mg_waf_result *res = &px->waf_res;
	struct mg_waf_ctx *ctx;
	int32_t pol = policy_of(s);
	int v;

	s->waf_policy = -1;
	if (pol < 0 || (ctx = px->waf_ctx[pol]) == NULL)
		return 0;
	s->waf_policy = pol;
	v = begin(s, ctx, res);
	if (v != MG_WAF_PASS)
		return verdict(s, ctx, res, v);	/* blocked on the head */
	if (s->req_done) {
		/* no body: phase 2 on the head's arguments */
		v = mg_waf_end(ctx, res);
		return verdict(s, ctx, res, v);
	}
	if (!mg_waf_wants_body(ctx)) {
		/* no rule of the policy reads a body (or body access is
		 * off): phase 2 now, and the body streams */
		px->st.waf_bodies_streamed++;
		v = mg_waf_end(ctx, res);
		return verdict(s, ctx, res, v);
	}
	/* A body: held, then the request is evaluated again, whole (phase
	 * 1 ran now so that a request blocked on its head is answered
	 * before its body is read). */
	px->st.waf_bodies_held++;
	s->waf_hold = true;
	s->waf_started = false;
	s->waf_seen = 0;
	if (s->req_framing == MG_HTTP_BODY_CHUNKED)
		mg_http_chunked_init(&s->waf_chunk_end, 0, 0, 0);
	return 1;
}

/* Feed body bytes (as they come: raw, chunked or not) to the WAF. */
static void
feed(struct px_session *s, struct mg_waf_ctx *ctx, const char *p, uint32_t len)
{
	if (s->req_framing != MG_HTTP_BODY_CHUNKED) {
		mg_waf_body(ctx, (const uint8_t *)p, len);
		return;
	}
	while (len > 0) {
		struct mg_http_slice d;
		size_t used;
		int rc = mg_http_chunked_decode(&s->waf_chunk, p, len, &used, &d);

		if (d.len > 0)
			mg_waf_body(ctx, (const uint8_t *)p + d.off, d.len);
		if (rc != MG_HTTP_AGAIN || used == 0)
			return;	/* the end, or an error pump_request reports */
		p += used;
		len -= (uint32_t)used;
	}
}

static int
held_from_buffer(struct px_session *s)
{
	struct px_buf *b = s->req;
	uint32_t have = b->len - s->body_off, n = have, off = 0;
	bool done = false;

	if (have == 0)
		return 0;
	if (s->req_framing == MG_HTTP_BODY_CHUNKED) {
		size_t used = 0;

		/* only to find where the body ends in what we have */
		while (used < have && !done) {
			struct mg_http_slice d;
			size_t u;
			int rc = mg_http_chunked_decode(&s->waf_chunk_end,
					b->data + s->body_off + used, have - used, &u, &d);

			used += u;
			if (rc == MG_HTTP_OK)
				done = true;
			else if (rc != MG_HTTP_AGAIN || u == 0)
				break;	/* an error: pump_request answers it */
		}
		n = (uint32_t)used;
	} else if (n >= s->body_left) {
		n = (uint32_t)s->body_left;
		done = true;
	}
	while (off < n) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(s->px->p.pool);
		uint32_t k;

		if (m == NULL)
			return -1;
		k = RTE_MIN(n - off, (uint32_t)rte_pktmbuf_tailroom(m));
		memcpy(rte_pktmbuf_mtod(m, char *), b->data + s->body_off + off, k);
		m->data_len = (uint16_t)k;
		m->pkt_len = k;
		if (s->held == NULL)
			s->held = m;
		else
			rte_pktmbuf_chain(s->held, m);
		off += k;
	}
	/* what followed the body is the next request's: it moves up */
	memmove(b->data + s->body_off, b->data + s->body_off + n, have - n);
	b->len -= n;
	s->held_len = n;
	s->waf_seen = n;
	s->waf_body_done = done;
	return 0;
}

/* Phases 1 and 2 over the head and the held body (the start of a longer
 * one when truncated); 0 passed, -1 blocked. */
static int
inspect_held(struct px_session *s, struct mg_waf_ctx *ctx, bool truncated)
{
	struct mg_waf_result *res = &s->px->waf_res;
	int v = begin(s, ctx, res);

	if (v != MG_WAF_PASS)
		return verdict(s, ctx, res, v);
	if (s->req_framing == MG_HTTP_BODY_CHUNKED)
		mg_http_chunked_init(&s->waf_chunk, 0, 0, 0);
	for (struct rte_mbuf *seg = s->held; seg != NULL; seg = seg->next)
		feed(s, ctx, rte_pktmbuf_mtod(seg, const char *), seg->data_len);
	if (truncated) {
		/* counted; refused (413) under SecRequestBodyLimitAction
		 * Reject, else inspected up to the limit (ProcessPartial) */
		s->px->st.waf_bodies_truncated++;
		mg_waf_body_truncated(ctx);
	}
	v = mg_waf_end(ctx, res);
	return verdict(s, ctx, res, v);
}

int
px_waf_body(struct px_session *s)
{
	struct mg_proxy *px = s->px;
	struct mg_waf_ctx *ctx = px->waf_ctx[s->waf_policy];
	uint32_t limit = mg_waf_body_limit(px->p.waf[s->waf_policy]);
	struct px_buf *b = s->req;
	bool chunked = s->req_framing == MG_HTTP_BODY_CHUNKED;

	/* The body bytes that came with the head start the held chain, so
	 * that the buffer holds only the head (and, after it, any bytes of
	 * the next request): the body then goes upstream in one order. */
	if (!s->waf_started) {
		s->waf_started = true;
		if (held_from_buffer(s) != 0) {
			px_session_fail(s, MG_PROXY_E_OVERLOADED);
			return -1;
		}
	}
	while (s->waf_seen < limit && !s->waf_body_done) {
		struct rte_mbuf *m = NULL;
		bool eof = false, done = false;
		uint64_t left = chunked ? UINT32_MAX : s->body_left - s->held_len;
		uint32_t want = limit - s->waf_seen, n;

		if (!chunked && (uint64_t)want > left)
			want = (uint32_t)left;
		if (chunked && want > px->buf_size - b->len)
			want = px->buf_size - b->len;	/* room for an overshoot */
		if (want == 0)
			break;
		n = px_recv(px, s->client, s->ctls, &m, want, &eof);
		if (n == 0) {
			if (eof || s->client_eof) {
				px_session_fail(s, MG_PROXY_E_CLIENT_ABORTED);
				return -1;
			}
			return 0;	/* more later */
		}
		s->t_activity_us = px->now_us;
		if (chunked) {
			int64_t k = px_chunked_walk_chain(&s->waf_chunk_end, m, &done);

			if (k < 0)
				k = n;	/* pump_request finds and answers it */
			if ((uint32_t)k < n) {
				/* the next request began: its bytes wait in
				 * the buffer, after the held body */
				px_chain_cut(m, (uint32_t)k, b);
				n = (uint32_t)k;
			}
		} else {
			done = s->held_len + n == s->body_left;
		}
		if (s->held == NULL)
			s->held = m;
		else
			rte_pktmbuf_chain(s->held, m);
		s->held_len += n;
		s->waf_seen += n;
		s->waf_body_done = done;
	}
	/* The whole body is held (or as much as the policy inspects): the
	 * request is evaluated now from its start, head and body at once,
	 * since the worker's context may have served other requests while
	 * this body came in. */
	s->waf_hold = false;
	return inspect_held(s, ctx, !s->waf_body_done) < 0 ? -1 : 1;
}
