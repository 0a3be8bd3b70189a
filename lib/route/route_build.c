/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One route of the configuration compiled into struct mg_route: strings
 * copied into the table's arena, methods to a bit mask, conditions with
 * their regex databases, the action, rewrites and header templates.
 *
 * The loader has checked the syntax of every string already; what is
 * checked again here is what the matcher relies on or what would reach
 * the wire, so that a table built from hand-made structs (tests, tools)
 * is as safe as one built from a file.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "route_internal.h"

/* The length of a configuration string, or -1 when it fills its array
 * without a NUL (a struct not made by the loader). */
#define CFG_LEN(s) ((int)strnlen((s), sizeof(s)) < (int)sizeof(s) ?	\
		    (int)strnlen((s), sizeof(s)) : -1)

static bool
is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool
is_token(const char *s, int len)
{
	if (len <= 0)
		return false;
	for (int i = 0; i < len; i++)
		if (!is_tchar(s[i]))
			return false;
	return true;
}

/* A copy in the arena; lowercased when asked. */
static int
copy_str(struct rt_builder *b, const char *s, int len, bool lower,
	 struct mg_route_slice *out)
{
	char *p = rt_strndup(&b->t->arena, s, (size_t)len);

	if (p == NULL)
		return rt_nomem(b);
	for (int i = 0; lower && i < len; i++)
		p[i] = rt_lower(p[i]);
	*out = (struct mg_route_slice){ p, (uint32_t)len };
	return 0;
}

static int
compile_listeners(struct rt_builder *b, const struct mg_cfg_route *cr,
		  struct mg_route *r)
{
	const struct mg_config *cfg = b->cfg;

	if (cr->listener_mask == 0)
		return rt_fail(b, cr, "is on no listener (listener_mask is 0; "
			       "expected the loader to resolve listeners)");
	for (uint32_t i = 0; i < 64; i++) {
		if (!(cr->listener_mask & (1ull << i)))
			continue;
		if (i >= cfg->n_listeners)
			return rt_fail(b, cr, "is on listener %u of %u "
				       "(listener_mask out of range)", i,
				       cfg->n_listeners);
		if (!mg_listener_mode_is_http(cfg->listeners[i].mode))
			return rt_fail(b, cr, "is on listener '%.*s', which is "
				       "not in mode http", MG_NAME_MAX,
				       cfg->listeners[i].name);
	}
	r->listener_mask = cr->listener_mask;
	return 0;
}

static int
compile_path(struct rt_builder *b, const struct mg_cfg_route *cr,
	     struct mg_route *r)
{
	int len = CFG_LEN(cr->path);

	r->path_type = (uint8_t)cr->path_type;
	r->path_regex = RT_NONE;
	switch (cr->path_type) {
	case MG_PATH_ANY:
		return 0;
	case MG_PATH_EXACT:
	case MG_PATH_PREFIX:
		if (len <= 0 || cr->path[0] != '/')
			return rt_fail(b, cr, "path \"%.*s\" does not start with "
				       "'/' (expected a path such as \"/api/\")",
				       MG_URI_MAX, cr->path);
		return copy_str(b, cr->path, len, false, &r->path);
	case MG_PATH_REGEX:
		if (len <= 0)
			return rt_fail(b, cr, "has an empty path regex");
		if (copy_str(b, cr->path, len, false, &r->path) != 0)
			return -ENOMEM;
		return rt_regex_path(b, cr, r->index, r->path.ptr,
				     &r->path_regex);
	}
	return rt_fail(b, cr, "has path type %d (expected any, exact, prefix "
		       "or regex)", (int)cr->path_type);
}

/* Known methods become bits; others (extension methods) are kept by name
 * for requests whose method is MG_HTTP_M_OTHER. */
static int
compile_methods(struct rt_builder *b, const struct mg_cfg_route *cr,
		struct mg_route *r)
{
	struct mg_route_slice *other;

	if (cr->n_methods == 0) {
		r->method_mask = RT_ALL_METHODS;
		return 0;
	}
	if (cr->n_methods > MG_MAX_ROUTE_METHODS)
		return rt_fail(b, cr, "has %u methods (expected at most %u)",
			       cr->n_methods, MG_MAX_ROUTE_METHODS);
	other = rt_alloc(&b->t->arena, sizeof(*other) * cr->n_methods);
	if (other == NULL)
		return rt_nomem(b);
	r->methods_other = other;
	for (uint32_t i = 0; i < cr->n_methods; i++) {
		const char *m = cr->methods[i];
		int len = CFG_LEN(cr->methods[i]);
		int k;

		if (!is_token(m, len))
			return rt_fail(b, cr, "method \"%.*s\" is not an HTTP "
				       "token", 16, m);
		for (k = 1; k < MG_HTTP_M_MAX; k++) {
			const char *known = mg_http_method_name(k);

			if (strcmp(known, m) == 0)
				break;
			if (strcasecmp(known, m) == 0)
				return rt_fail(b, cr, "method \"%s\" would never "
					       "match: methods are case-sensitive "
					       "(expected \"%s\")", m, known);
		}
		if (k < MG_HTTP_M_MAX) {
			r->method_mask |= 1u << k;
			continue;
		}
		r->method_mask |= 1u << MG_HTTP_M_OTHER;
		if (copy_str(b, m, len, false, &other[r->n_methods_other++]))
			return -ENOMEM;
	}
	return 0;
}

static int
compile_cond(struct rt_builder *b, const struct mg_cfg_route *cr,
	     const struct mg_cfg_kv_match *kv, enum rt_where where,
	     struct rt_cond *c)
{
	const char *what = where == RT_HEADER ? "header" : "query parameter";
	int nlen = CFG_LEN(kv->name), vlen = CFG_LEN(kv->value);

	if (nlen <= 0 || vlen < 0)
		return rt_fail(b, cr, "has a %s condition without a name",
			       what);
	if (where == RT_HEADER && !is_token(kv->name, nlen))
		return rt_fail(b, cr, "header name \"%s\" is not an HTTP token",
			       kv->name);
	c->where = (uint8_t)where;
	c->type = (uint8_t)kv->type;
	c->invert = kv->invert;
	c->regex = RT_NONE;
	if (copy_str(b, kv->name, nlen, where == RT_HEADER, &c->name) != 0 ||
	    copy_str(b, kv->value, vlen, false, &c->value) != 0)
		return -ENOMEM;
	switch (kv->type) {
	case MG_VALUE_EXACT:
	case MG_VALUE_PRESENT:
		return 0;
	case MG_VALUE_REGEX:
		return rt_regex_value(b, cr, c->value.ptr, &c->regex);
	}
	return rt_fail(b, cr, "%s \"%s\" has match type %d (expected exact, "
		       "present or regex)", what, kv->name, (int)kv->type);
}

static int
compile_conds(struct rt_builder *b, const struct mg_cfg_route *cr,
	      struct mg_route *r)
{
	struct rt_cond *c;
	int rc;

	if (cr->n_headers > MG_MAX_ROUTE_MATCHES ||
	    cr->n_query > MG_MAX_ROUTE_MATCHES)
		return rt_fail(b, cr, "has %u header and %u query conditions "
			       "(expected at most %u each)", cr->n_headers,
			       cr->n_query, MG_MAX_ROUTE_MATCHES);
	if (cr->n_headers + cr->n_query == 0)
		return 0;
	c = rt_alloc(&b->t->arena, sizeof(*c) * (cr->n_headers + cr->n_query));
	if (c == NULL)
		return rt_nomem(b);
	r->conds = c;
	for (uint32_t i = 0; i < cr->n_headers; i++)
		if ((rc = compile_cond(b, cr, &cr->headers[i], RT_HEADER,
				       &c[r->n_conds++])) != 0)
			return rc;
	for (uint32_t i = 0; i < cr->n_query; i++)
		if ((rc = compile_cond(b, cr, &cr->query[i], RT_QUERY,
				       &c[r->n_conds++])) != 0)
			return rc;
	return 0;
}

/* The cluster at @p idx must be the one named (the loader resolved it). */
static int
check_cluster(struct rt_builder *b, const struct mg_cfg_route *cr,
	      const char *name, uint32_t idx)
{
	if (idx >= b->cfg->n_clusters ||
	    strncmp(b->cfg->clusters[idx].name, name, MG_NAME_MAX) != 0)
		return rt_fail(b, cr, "cluster '%.*s' is not resolved "
			       "(cluster_idx %u does not name it)", MG_NAME_MAX,
			       name, idx);
	return 0;
}

static int
compile_splits(struct rt_builder *b, const struct mg_cfg_route *cr,
	       struct mg_route *r)
{
	uint64_t total = 0;

	if (cr->n_splits > MG_MAX_SPLITS)
		return rt_fail(b, cr, "has %u splits (expected at most %u)",
			       cr->n_splits, MG_MAX_SPLITS);
	for (uint32_t i = 0; i < cr->n_splits; i++) {
		const struct mg_cfg_split *sp = &cr->splits[i];

		if (CFG_LEN(sp->cluster_name) <= 0)
			return rt_fail(b, cr, "split %u has no cluster", i + 1);
		if (check_cluster(b, cr, sp->cluster_name, sp->cluster_idx))
			return -EINVAL;
		total += sp->weight;
		if (total > UINT32_MAX)
			return rt_fail(b, cr, "split weights add up to more "
				       "than %u", UINT32_MAX);
		r->split_cluster[i] = sp->cluster_idx;
		r->split_upto[i] = (uint32_t)total;
	}
	if (total == 0)
		return rt_fail(b, cr, "split weights are all 0 (expected at "
			       "least one cluster with weight)");
	r->n_splits = cr->n_splits;
	return 0;
}

static int
compile_template(struct rt_builder *b, const struct mg_cfg_route *cr,
		 const char *what, const char *text,
		 const struct mg_route_template **out)
{
	char why[256];
	int rc = rt_template_compile(&b->t->arena, text, out, why, sizeof(why));

	if (rc == -ENOMEM)
		return rt_nomem(b);
	if (rc != 0)
		return rt_fail(b, cr, "%s \"%s\" %s", what, text, why);
	return 0;
}

static int
compile_action(struct rt_builder *b, const struct mg_cfg_route *cr,
	       struct mg_route *r)
{
	const struct mg_cfg_direct_response *d = &cr->direct;
	const struct mg_cfg_redirect *rd = &cr->redirect;
	int n_actions = (CFG_LEN(cr->cluster_name) > 0) + (cr->n_splits > 0) +
			(d->status != 0) + (rd->status != 0);
	int blen, tlen;

	r->cluster = MG_ROUTE_NO_CLUSTER;
	if (n_actions != 1)
		return rt_fail(b, cr, "has %s (expected exactly one of cluster, "
			       "splits, direct_response and redirect)",
			       n_actions ? "more than one action" : "no action");
	if (cr->n_splits > 0) {
		r->action = MG_ROUTE_FORWARD;
		return compile_splits(b, cr, r);
	}
	if (d->status != 0) {
		blen = CFG_LEN(d->body);
		tlen = CFG_LEN(d->content_type);
		if (d->status < 200 || d->status > 599)
			return rt_fail(b, cr, "direct response status %u "
				       "(expected 200..599)", d->status);
		if (blen < 0 || tlen < 0)
			return rt_fail(b, cr, "direct response body or "
				       "content type is not terminated");
		r->action = MG_ROUTE_DIRECT;
		r->direct.status = (uint16_t)d->status;
		if (copy_str(b, d->body, blen, false, &r->direct.body) != 0 ||
		    copy_str(b, d->content_type, tlen, false,
			     &r->direct.content_type) != 0)
			return -ENOMEM;
		return 0;
	}
	if (rd->status != 0) {
		if (rd->status != 301 && rd->status != 302 && rd->status != 303 &&
		    rd->status != 307 && rd->status != 308)
			return rt_fail(b, cr, "redirect status %u (expected 301, "
				       "302, 303, 307 or 308)", rd->status);
		if (CFG_LEN(rd->location) <= 0)
			return rt_fail(b, cr, "redirect without a location");
		r->action = MG_ROUTE_REDIRECT;
		r->redirect_status = (uint16_t)rd->status;
		return compile_template(b, cr, "redirect location",
					rd->location, &r->location);
	}
	r->action = MG_ROUTE_FORWARD;
	if (check_cluster(b, cr, cr->cluster_name, cr->cluster_idx) != 0)
		return -EINVAL;
	r->cluster = cr->cluster_idx;
	return 0;
}

static bool
is_host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c != '\0' && strchr("-._:[]", c));
}

static int
compile_rewrites(struct rt_builder *b, const struct mg_cfg_route *cr,
		 struct mg_route *r)
{
	int plen = CFG_LEN(cr->prefix_rewrite);
	int wlen = CFG_LEN(cr->path_rewrite);
	int hlen = CFG_LEN(cr->host_rewrite);

	if (plen < 0 || wlen < 0 || hlen < 0)
		return rt_fail(b, cr, "has a rewrite that is not terminated");
	if ((plen || wlen || hlen) && r->action != MG_ROUTE_FORWARD)
		return rt_fail(b, cr, "rewrites a request it answers itself "
			       "(expected rewrites only with cluster or "
			       "splits)");
	if (plen && wlen)
		return rt_fail(b, cr, "has both prefix_rewrite and path_rewrite "
			       "(expected at most one)");
	if (plen && cr->path_type != MG_PATH_PREFIX &&
	    cr->path_type != MG_PATH_EXACT)
		return rt_fail(b, cr, "has a prefix_rewrite but no path prefix "
			       "(expected path_prefix or path)");
	if ((plen && cr->prefix_rewrite[0] != '/') ||
	    (wlen && cr->path_rewrite[0] != '/'))
		return rt_fail(b, cr, "rewrites the path to \"%s\", which does "
			       "not start with '/'", plen ? cr->prefix_rewrite :
			       cr->path_rewrite);
	for (int i = 0; i < hlen; i++)
		if (!is_host_char(cr->host_rewrite[i]))
			return rt_fail(b, cr, "host_rewrite \"%s\" is not a "
				       "host[:port]", cr->host_rewrite);
	if (copy_str(b, cr->prefix_rewrite, plen, false, &r->prefix_rewrite) ||
	    copy_str(b, cr->path_rewrite, wlen, false, &r->path_rewrite) ||
	    copy_str(b, cr->host_rewrite, hlen, false, &r->host_rewrite))
		return -ENOMEM;
	return 0;
}

/* Framing and connection management belong to the proxy; the Host of a
 * request is changed with host_rewrite. */
static bool
header_reserved(const char *name, enum mg_route_side side)
{
	return strcasecmp(name, "content-length") == 0 ||
	       strcasecmp(name, "transfer-encoding") == 0 ||
	       strcasecmp(name, "connection") == 0 ||
	       (side == MG_ROUTE_REQUEST && strcasecmp(name, "host") == 0);
}

static int
compile_op_name(struct rt_builder *b, const struct mg_cfg_route *cr,
		const char *name, size_t size, enum mg_route_side side,
		struct mg_route_slice *out)
{
	int len = (int)strnlen(name, size);

	if ((size_t)len == size || !is_token(name, len))
		return rt_fail(b, cr, "header operation on \"%.*s\", which is "
			       "not an HTTP token", MG_HDR_NAME_MAX, name);
	if (header_reserved(name, side))
		return rt_fail(b, cr, "changes header \"%s\", which the proxy "
			       "manages (use host_rewrite for Host)", name);
	return copy_str(b, name, len, false, out);
}

static int
compile_op_list(struct rt_builder *b, const struct mg_cfg_route *cr,
		const struct mg_cfg_header_op *ops, uint32_t n,
		enum mg_route_side side, const struct mg_route_header_op **out)
{
	struct mg_route_header_op *o;
	int rc;

	if (n == 0)
		return 0;
	o = rt_alloc(&b->t->arena, sizeof(*o) * n);
	if (o == NULL)
		return rt_nomem(b);
	*out = o;
	for (uint32_t i = 0; i < n; i++) {
		if (CFG_LEN(ops[i].value) < 0)
			return rt_fail(b, cr, "header value is not terminated");
		rc = compile_op_name(b, cr, ops[i].name, sizeof(ops[i].name),
				     side, &o[i].name);
		if (rc == 0)
			rc = compile_template(b, cr, "header value",
					      ops[i].value, &o[i].value);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int
compile_ops(struct rt_builder *b, const struct mg_cfg_route *cr,
	    const struct mg_cfg_header_ops *c, enum mg_route_side side,
	    struct mg_route_header_ops *ops)
{
	struct mg_route_header_op *rm;
	int rc;

	if (c->n_add > MG_MAX_HEADER_OPS || c->n_set > MG_MAX_HEADER_OPS ||
	    c->n_remove > MG_MAX_HEADER_OPS)
		return rt_fail(b, cr, "has more than %u header operations of "
			       "a kind", MG_MAX_HEADER_OPS);
	if (c->n_remove > 0) {
		rm = rt_alloc(&b->t->arena, sizeof(*rm) * c->n_remove);
		if (rm == NULL)
			return rt_nomem(b);
		ops->remove = rm;
		for (uint32_t i = 0; i < c->n_remove; i++)
			if ((rc = compile_op_name(b, cr, c->remove[i],
						  sizeof(c->remove[i]), side,
						  &rm[i].name)) != 0)
				return rc;
	}
	ops->n_remove = c->n_remove;
	if ((rc = compile_op_list(b, cr, c->set, c->n_set, side,
				  &ops->set)) != 0 ||
	    (rc = compile_op_list(b, cr, c->add, c->n_add, side,
				  &ops->add)) != 0)
		return rc;
	ops->n_set = c->n_set;
	ops->n_add = c->n_add;
	return 0;
}

static int
compile_name(struct rt_builder *b, const struct mg_cfg_route *cr,
	     struct mg_route *r)
{
	int len = CFG_LEN(cr->name);
	struct mg_route_slice s;
	uint32_t id;
	bool added;

	if (len <= 0)
		return rt_fail(b, cr, "has no name");
	if (copy_str(b, cr->name, len, false, &s) != 0)
		return -ENOMEM;
	r->name = s.ptr;
	/* %{route} and the access log name routes: two of a name would be
	 * told apart by nobody */
	if (rt_strmap_intern(&b->names, s.ptr, s.len, &id, &added) != 0)
		return rt_nomem(b);
	if (!added)
		return rt_fail(b, cr, "has the name of an earlier route "
			       "(expected unique names)");
	return 0;
}

int
rt_route_compile(struct rt_builder *b, const struct mg_cfg_route *cr,
		 uint32_t index)
{
	struct mg_route *r = &b->t->routes[index];
	int rc;

	r->index = index;
	if ((rc = compile_name(b, cr, r)) != 0 ||
	    (rc = compile_listeners(b, cr, r)) != 0 ||
	    (rc = compile_path(b, cr, r)) != 0 ||
	    (rc = compile_methods(b, cr, r)) != 0 ||
	    (rc = compile_conds(b, cr, r)) != 0 ||
	    (rc = compile_action(b, cr, r)) != 0 ||
	    (rc = compile_rewrites(b, cr, r)) != 0 ||
	    (rc = compile_ops(b, cr, &cr->request_headers, MG_ROUTE_REQUEST,
			      &r->ops[MG_ROUTE_REQUEST])) != 0 ||
	    (rc = compile_ops(b, cr, &cr->response_headers, MG_ROUTE_RESPONSE,
			      &r->ops[MG_ROUTE_RESPONSE])) != 0)
		return rc;
	r->max_body_size = cr->max_body_size;
	r->timeout_ms = cr->timeout_ms;
	return rt_index_add_route(b, cr, index);
}
