/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The proxy's use of lib/route: matching a request, the route's target and
 * host rewrites, header changes with template variables, and the local
 * answers (direct responses, redirects).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include <hs/hs.h>

#include "mg_route.h"
#include "mg_tls.h"
#include "proxy_internal.h"

static int
cert_re_hit(unsigned id, unsigned long long from, unsigned long long to,
	    unsigned flags, void *ctx)
{
	*(bool *)ctx = true;
	return 1;	/* one match is enough */
}

/* Compile the client_cert.subject regexes of the routes (whole subject,
 * as the loader checked them). */
int
px_cert_regex_init(struct mg_proxy *px)
{
	const struct mg_config *cfg = px->cfg;

	for (uint32_t r = 0; r < cfg->n_routes; r++) {
		const char *re = cfg->routes[r].client_cert.subject;
		char wrapped[MG_URI_MAX + 16];
		hs_compile_error_t *ce = NULL;

		if (re[0] == '\0')
			continue;
		if (px->cert_re == NULL) {
			px->cert_re = calloc(cfg->n_routes, sizeof(*px->cert_re));
			if (px->cert_re == NULL)
				return -1;
		}
		snprintf(wrapped, sizeof(wrapped), "\\A(?:%s)\\z", re);
		if (hs_compile(wrapped, HS_FLAG_SINGLEMATCH | HS_FLAG_DOTALL,
			       HS_MODE_BLOCK, NULL, &px->cert_re[r], &ce) != HS_SUCCESS) {
			snprintf(px->tls_err, sizeof(px->tls_err),
				 "route %s: client_cert.subject: %s",
				 cfg->routes[r].name, ce ? ce->message : "?");
			hs_free_compile_error(ce);
			return -1;
		}
		if (hs_alloc_scratch(px->cert_re[r], &px->cert_scratch) != HS_SUCCESS)
			return -1;
	}
	return 0;
}

void
px_cert_regex_free(struct mg_proxy *px)
{
	if (px->cert_re != NULL)
		for (uint32_t r = 0; r < px->cfg->n_routes; r++)
			hs_free_database(px->cert_re[r]);
	free(px->cert_re);
	px->cert_re = NULL;
	hs_free_scratch(px->cert_scratch);
	px->cert_scratch = NULL;
}

/* The route's demands on the client certificate (https listeners): a
 * verified one, a SAN equal to client_cert.san, a subject matching
 * client_cert.subject (compiled per worker in px->cert_re). */
static bool
client_cert_ok(struct px_session *s, const struct mg_cfg_route *cr)
{
	const struct mg_cfg_cert_match *m = &cr->client_cert;
	struct mg_tls_conn *t = s->ctls;
	char buf[512];

	if (!cr->require_client_cert && m->san[0] == '\0' && m->subject[0] == '\0')
		return true;
	if (t == NULL || !mg_tls_conn_peer_verified(t))
		return false;
	if (m->san[0] != '\0') {
		bool found = false;

		for (int ty = MG_TLS_SAN_DNS; ty <= MG_TLS_SAN_IP && !found; ty++)
			for (unsigned i = 0; !found; i++) {
				int n = mg_tls_conn_peer_san(t, (enum mg_tls_san_type)ty,
							     i, buf, sizeof(buf));
				if (n == -ENOENT)
					break;
				found = n >= 0 && strcmp(buf, m->san) == 0;
			}
		if (!found)
			return false;
	}
	if (m->subject[0] != '\0') {
		hs_database_t *db = s->px->cert_re[s->route];
		int n = mg_tls_conn_peer_subject(t, buf, sizeof(buf));
		bool hit = false;

		if (n < 0 || db == NULL ||
		    hs_scan(db, buf, (unsigned)n, 0, s->px->cert_scratch,
			    cert_re_hit, &hit) != HS_SUCCESS || !hit)
			return false;
	}
	return true;
}

int
px_route(struct px_session *s)
{
	struct mg_proxy *px = s->px;
	struct mg_route_request rq;
	const struct mg_route *r;
	uint64_t max_body;

	mg_route_request_from_http(&rq, &s->msg, s->req->data, s->lst->index);
	s->path = rq.path;
	s->query = rq.query;
	r = px->p.routes != NULL
		? mg_route_match(px->p.routes, &rq, px->route_scratch) : NULL;
	s->rt = r;
	s->max_body = s->lst->cfg->http.max_body_size;
	if (r == NULL)
		return -1;
	s->route = (int32_t)mg_route_index(r);
	if (!client_cert_ok(s, &px->cfg->routes[s->route]))
		return -2;
	max_body = mg_route_max_body_size(r);
	if (max_body != 0)
		s->max_body = max_body;
	if (mg_route_action(r) != MG_ROUTE_FORWARD)
		return 1;
	s->cluster = (int32_t)mg_route_cluster(r, (uint32_t)px_rand(px));
	if ((uint32_t)s->cluster >= px->cfg->n_clusters)
		return -1;
	s->timeout_ms = mg_route_timeout_ms(r);
	if (s->timeout_ms == 0)
		s->timeout_ms = px->cfg->clusters[s->cluster].timeouts.request_ms;
	return 0;
}

int
px_route_target(struct px_session *s, char *out, uint32_t cap)
{
	struct mg_route_slice p = s->path, q = s->query;
	int n = mg_route_rewrite_path(s->rt, p, q, out, cap);
	uint32_t need;

	if (n != 0)
		return n < 0 ? -1 : n;
	/* unchanged: origin-form path and query (absolute-form loses its
	 * scheme and authority on the way to the upstream) */
	if (s->msg.target_form == MG_HTTP_T_ORIGIN ||
	    s->msg.target_form == MG_HTTP_T_ASTERISK ||
	    s->msg.target_form == MG_HTTP_T_AUTHORITY) {
		struct mg_http_slice t = s->msg.target;

		if (t.len > cap)
			return -1;
		memcpy(out, s->req->data + t.off, t.len);
		return (int)t.len;
	}
	need = p.len + (q.len ? q.len + 1 : 0);
	if (need > cap)
		return -1;
	memcpy(out, p.ptr, p.len);
	if (q.len) {
		out[p.len] = '?';
		memcpy(out + p.len + 1, q.ptr, q.len);
	}
	return (int)need;
}

bool
px_route_host(struct px_session *s, const char **p, uint32_t *len)
{
	struct mg_route_slice h = mg_route_host_rewrite(s->rt);

	*p = h.ptr;
	*len = h.len;
	return h.len > 0;
}

static bool
slice_eq_ci(const char *a, uint32_t alen, const char *b, uint32_t blen)
{
	if (alen != blen)
		return false;
	for (uint32_t i = 0; i < alen; i++) {
		char x = a[i], y = b[i];

		if (x >= 'A' && x <= 'Z')
			x = (char)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (char)(y + 32);
		if (x != y)
			return false;
	}
	return true;
}

bool
px_route_drops_header(struct px_session *s, const char *buf,
		      struct mg_http_slice name, bool response)
{
	const struct mg_route_header_ops *ops;

	if (s->rt == NULL)
		return false;
	ops = mg_route_header_ops(s->rt, response ? MG_ROUTE_RESPONSE
						  : MG_ROUTE_REQUEST);
	for (uint32_t i = 0; i < ops->n_remove; i++)
		if (slice_eq_ci(buf + name.off, name.len, ops->remove[i].name.ptr,
				ops->remove[i].name.len))
			return true;
	for (uint32_t i = 0; i < ops->n_set; i++)
		if (slice_eq_ci(buf + name.off, name.len, ops->set[i].name.ptr,
				ops->set[i].name.len))
			return true;
	return false;
}

/* Values of the template variables; text that needs formatting goes to
 * @p store (at least 256 bytes). */
static void
fill_vars(struct px_session *s, struct mg_route_vars *v, char *store)
{
	const struct mg_config *cfg = s->px->cfg;
	char *p = store;
	int n;

	memset(v, 0, sizeof(*v));
#define SET(var, ptr_, len_) do {					\
		v->v[MG_HTTP_VAR_##var].ptr = (ptr_);			\
		v->v[MG_HTTP_VAR_##var].len = (uint32_t)(len_);		\
	} while (0)
	mg_ip_format(&s->client_addr, p, MG_IP_STRLEN);
	SET(client_address, p, strlen(p));
	p += strlen(p) + 1;
	n = snprintf(p, 8, "%u", s->client_port);
	SET(client_port, p, n);
	p += n + 1;
	SET(request_id, s->request_id, strlen(s->request_id));
	if (s->rt != NULL) {
		const char *rn = mg_route_name(s->rt);

		SET(route, rn, strlen(rn));
	}
	if (s->cluster >= 0) {
		const char *cn = cfg->clusters[s->cluster].name;

		SET(cluster, cn, strlen(cn));
	}
	{
		/* host: lowercased, without the port */
		const char *h = s->req->data + s->msg.host.off;
		uint32_t len = s->msg.host.len, k = 0;

		if (len > 0 && h[0] == '[') {
			while (k < len && h[k] != ']' && k < 127)
				k++;
			if (k < len)
				k++;
		} else {
			while (k < len && h[k] != ':' && k < 127)
				k++;
		}
		for (uint32_t i = 0; i < k; i++) {
			char c = h[i];

			p[i] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
		}
		SET(host, p, k);
		p += k + 1;
	}
	SET(path, s->path.ptr, s->path.len);
	SET(method, s->req->data + s->msg.method_str.off, s->msg.method_str.len);
	if (s->ctls != NULL)
		SET(scheme, "https", 5);
	else
		SET(scheme, "http", 4);
	SET(listener, s->lst->cfg->name, strlen(s->lst->cfg->name));
	if (s->cluster >= 0 && s->endpoint >= 0) {
		const struct px_endpoint *ep = &s->px->clusters[s->cluster].ep[s->endpoint];
		char a[MG_IP_STRLEN];

		mg_ip_format(&ep->addr, a, sizeof(a));
		n = snprintf(p, MG_IP_STRLEN + 10, ep->addr.family == AF_INET6
			     ? "[%s]:%u" : "%s:%u", a, ep->port);
		SET(upstream_address, p, n);
	}
#undef SET
}

int
px_route_add_headers(struct px_session *s, char *out, uint32_t cap,
		     bool response)
{
	const struct mg_route_header_ops *ops;
	struct mg_route_vars v;
	char store[MG_IP_STRLEN + 8 + 128 + MG_IP_STRLEN + 16 + 8];
	uint32_t len = 0;

	if (s->rt == NULL)
		return 0;
	ops = mg_route_header_ops(s->rt, response ? MG_ROUTE_RESPONSE
						  : MG_ROUTE_REQUEST);
	if (ops->n_set == 0 && ops->n_add == 0)
		return 0;
	fill_vars(s, &v, store);
	for (int pass = 0; pass < 2; pass++) {
		const struct mg_route_header_op *op = pass == 0 ? ops->set : ops->add;
		uint32_t nops = pass == 0 ? ops->n_set : ops->n_add;

		for (uint32_t i = 0; i < nops; i++) {
			int n;

			if (op[i].name.len + 4 > cap - len)
				return -1;
			memcpy(out + len, op[i].name.ptr, op[i].name.len);
			len += op[i].name.len;
			out[len++] = ':';
			out[len++] = ' ';
			n = mg_route_template_expand(op[i].value, &v, out + len,
						     cap - len - 2);
			if (n == -EINVAL)
				n = 0;	/* a value that would split the header */
			if (n < 0)
				return -1;
			len += (uint32_t)n;
			out[len++] = '\r';
			out[len++] = '\n';
		}
	}
	return (int)len;
}

int
px_build_local(struct px_session *s, char *out, uint32_t cap)
{
	const struct mg_route *r = s->rt;
	uint32_t len;
	int k;

	if (mg_route_action(r) == MG_ROUTE_DIRECT) {
		const struct mg_route_direct *d = mg_route_direct(r);

		s->status = d->status;
		k = px_local_head(s, d->status, out, cap);
		if (k < 0)
			return -1;
		len = (uint32_t)k;
		if (d->content_type.len > 0)
			k = snprintf(out + len, cap - len,
				     "Content-Type: %.*s\r\n",
				     (int)d->content_type.len, d->content_type.ptr);
		else
			k = 0;
		if (k < 0 || (uint32_t)k >= cap - len)
			return -1;
		len += (uint32_t)k;
		k = px_route_add_headers(s, out + len, cap - len, true);
		if (k < 0)
			return -1;
		len += (uint32_t)k;
		k = snprintf(out + len, cap - len, "Content-Length: %u\r\n\r\n",
			     d->body.len);
		if (k < 0 || (uint32_t)k >= cap - len ||
		    d->body.len > cap - len - (uint32_t)k)
			return -1;
		len += (uint32_t)k;
		/* HEAD gets the fields, not the body */
		if (s->method != MG_HTTP_M_HEAD) {
			memcpy(out + len, d->body.ptr, d->body.len);
			len += d->body.len;
		}
		return (int)len;
	}

	/* redirect */
	struct mg_route_vars v;
	char store[MG_IP_STRLEN + 8 + 128 + MG_IP_STRLEN + 16 + 8];

	s->status = mg_route_redirect_status(r);
	k = px_local_head(s, s->status, out, cap);
	if (k < 0)
		return -1;
	len = (uint32_t)k;
	fill_vars(s, &v, store);
	if (cap - len < 16)
		return -1;
	memcpy(out + len, "Location: ", 10);
	len += 10;
	k = mg_route_redirect_location(r, &v, out + len, cap - len - 2);
	if (k < 0)
		return -1;
	len += (uint32_t)k;
	memcpy(out + len, "\r\n", 2);
	len += 2;
	k = px_route_add_headers(s, out + len, cap - len, true);
	if (k < 0)
		return -1;
	len += (uint32_t)k;
	k = snprintf(out + len, cap - len, "Content-Length: 0\r\n\r\n");
	if (k < 0 || (uint32_t)k >= cap - len)
		return -1;
	return (int)(len + (uint32_t)k);
}
