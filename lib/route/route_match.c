/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Matching a request: normalise the host, visit the groups it falls in
 * (exact name, wildcard suffixes, host-less routes), and in each the
 * routes its path reaches, keeping the lowest route index whose
 * conditions hold. A list is left as soon as its next index is not below
 * the best found, so a catch-all at the end of the file costs one compare.
 */
#include <string.h>

#include "route_internal.h"

/* Host name bytes lowercased; 0 for bytes a name cannot hold. One table
 * read per byte: normalising was a tenth of a lookup with compares. */
static const char name_char[256] = {
#define R4(c) [c] = c, [c + 1] = c + 1, [c + 2] = c + 2, [c + 3] = c + 3
	R4('0'), R4('4'), ['8'] = '8', ['9'] = '9',
	R4('a'), R4('e'), R4('i'), R4('m'), R4('q'), R4('u'),
	['y'] = 'y', ['z'] = 'z',
#define U4(c) [c] = c + 32, [c + 1] = c + 33, [c + 2] = c + 34, [c + 3] = c + 35
	U4('A'), U4('E'), U4('I'), U4('M'), U4('Q'), U4('U'),
	['Y'] = 'y', ['Z'] = 'z',
	['-'] = '-', ['_'] = '_', ['.'] = '.',
#undef R4
#undef U4
};

static bool
is_ip6_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == ':' ||
	       c == '.';
}

static enum rt_host_kind
ip6_literal(const char *p, uint32_t n, char *out)
{
	if (n < 4)
		return RT_HOST_BAD;
	out[0] = '[';
	out[n - 1] = ']';
	for (uint32_t i = 1; i < n - 1; i++) {
		out[i] = rt_lower(p[i]);
		if (!is_ip6_char(out[i]))
			return RT_HOST_BAD;
	}
	return RT_HOST_IP6;
}

enum rt_host_kind
rt_host_normalize(const char *p, uint32_t len, char *out, uint32_t *out_len)
{
	bool ip6 = len > 0 && p[0] == '[';
	uint32_t n = len, label = 0;
	const char *e;

	if (len == 0)
		return RT_HOST_NONE;
	e = memchr(p, ip6 ? ']' : ':', len);
	if (ip6 && e == NULL)
		return RT_HOST_BAD;
	if (e != NULL)
		n = (uint32_t)(e - p) + ip6;
	/* what follows the host is a port: ':' and digits (maybe none) */
	if (n < len && p[n] != ':')
		return RT_HOST_BAD;
	for (uint32_t i = n + 1; i < len; i++)
		if (p[i] < '0' || p[i] > '9')
			return RT_HOST_BAD;
	if (!ip6 && n > 0 && p[n - 1] == '.')
		n--;			/* "example.com." is "example.com" */
	if (n == 0)
		return RT_HOST_BAD;
	if (n > RT_HOST_MAX)
		return RT_HOST_LONG;
	*out_len = n;
	if (ip6)
		return ip6_literal(p, n, out);
	for (uint32_t i = 0; i < n; i++) {
		char c = name_char[(uint8_t)p[i]];

		out[i] = c;
		if (c == '.') {
			if (label == 0)
				return RT_HOST_BAD;	/* empty label */
			label = 0;
		} else if (c == 0) {
			return RT_HOST_BAD;
		} else {
			label++;
		}
	}
	return label == 0 ? RT_HOST_BAD : RT_HOST_NAME;
}

struct rt_match {
	const struct mg_route_table *t;
	const struct mg_route_request *rq;
	struct mg_route_scratch *s;
	uint32_t best;
};

/* 1 when the condition's value test holds for p[0..len), -1 on error. */
static int
value_holds(struct rt_match *m, const struct rt_cond *c, const char *p,
	    uint32_t len)
{
	switch (c->type) {
	case MG_VALUE_PRESENT:
		return 1;
	case MG_VALUE_EXACT:
		return len == c->value.len && memcmp(p, c->value.ptr, len) == 0;
	default:
		return rt_regex_value_match(m->t, m->s, c->regex, p, len);
	}
}

static bool
name_ieq(const char *p, uint32_t len, const struct mg_route_slice *lower)
{
	if (len != lower->len)
		return false;
	for (uint32_t i = 0; i < len; i++)
		if (rt_lower(p[i]) != lower->ptr[i])
			return false;
	return true;
}

/* Any field of the name may satisfy it; invert negates the whole. */
static int
cond_holds(struct rt_match *m, const struct rt_cond *c)
{
	const struct mg_route_request *rq = m->rq;
	int found = 0;

	if (c->where == RT_HEADER) {
		for (uint32_t i = 0; found == 0 && i < rq->n_headers; i++) {
			const struct mg_http_header *h = &rq->headers[i];

			if (name_ieq(rq->buf + h->name.off, h->name.len,
				     &c->name))
				found = value_holds(m, c, rq->buf + h->value.off,
						    h->value.len);
		}
	} else {
		struct mg_route_slice name, value;
		uint32_t pos = 0;

		while (found == 0 &&
		       mg_route_query_next(rq->query, &pos, &name, &value))
			if (name.len == c->name.len &&
			    memcmp(name.ptr, c->name.ptr, name.len) == 0)
				found = value_holds(m, c, value.ptr, value.len);
	}
	if (found < 0)
		return -1;		/* a failed scan never matches */
	return found != c->invert;
}

static bool
method_holds(const struct mg_route *r, const struct mg_route_request *rq)
{
	unsigned mt = rq->method < MG_HTTP_M_MAX ? rq->method : MG_HTTP_M_OTHER;

	if (r->method_mask == RT_ALL_METHODS && r->n_methods_other == 0)
		return true;
	if (!(r->method_mask & (1u << mt)))
		return false;
	if (mt != MG_HTTP_M_OTHER)
		return true;
	for (uint32_t i = 0; i < r->n_methods_other; i++)
		if (rq->method_str.len == r->methods_other[i].len &&
		    memcmp(rq->method_str.ptr, r->methods_other[i].ptr,
			   rq->method_str.len) == 0)
			return true;
	return false;
}

/* Everything but host and path, which the index has decided. */
static bool
route_holds(struct rt_match *m, const struct mg_route *r)
{
	const struct mg_route_request *rq = m->rq;

	if (rq->listener_idx >= 64 ||
	    !(r->listener_mask & (1ull << rq->listener_idx)))
		return false;
	if (!method_holds(r, rq))
		return false;
	if (r->path_regex != RT_NONE &&
	    (rt_regex_scan_path(m->t, m->s, rq->path) != 0 ||
	     m->s->path_hit[r->path_regex] != m->s->gen))
		return false;
	for (uint32_t i = 0; i < r->n_conds; i++)
		if (cond_holds(m, &r->conds[i]) != 1)
			return false;
	return true;
}

static void
scan_list(struct rt_match *m, struct rt_list l)
{
	const uint32_t *idx = m->t->lists + l.off;

	for (uint32_t i = 0; i < l.n && idx[i] < m->best; i++)
		if (route_holds(m, &m->t->routes[idx[i]])) {
			m->best = idx[i];
			return;
		}
}

static const struct rt_node *
child(const struct mg_route_table *t, const struct rt_node *nd, uint8_t c)
{
	const struct rt_node *ch = &t->nodes[nd->children];
	uint32_t lo = 0, hi = nd->n_children;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (ch[mid].first < c)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < nd->n_children && ch[lo].first == c ? &ch[lo] : NULL;
}

/* Down the radix tree along the path: every prefix met on the way, then
 * the exact routes of the node the path ends at. */
static void
walk_tree(struct rt_match *m, uint32_t root)
{
	const struct rt_node *nd = &m->t->nodes[root];
	const char *p = m->rq->path.ptr;
	uint32_t n = m->rq->path.len, pos = 0;

	for (;;) {
		scan_list(m, nd->prefix);
		if (pos == n) {
			scan_list(m, nd->exact);
			return;
		}
		nd = child(m->t, nd, (uint8_t)p[pos]);
		if (nd == NULL || nd->label_len > n - pos ||
		    memcmp(nd->label, p + pos, nd->label_len) != 0)
			return;
		pos += nd->label_len;
	}
}

static void
try_group(struct rt_match *m, uint32_t gid)
{
	const struct rt_group *g = &m->t->groups[gid];

	if (g->min_index >= m->best)
		return;
	if (g->root != RT_NONE)
		walk_tree(m, g->root);
	scan_list(m, g->regex);
	scan_list(m, g->any);
}

/* The exact name, then each suffix at a dot, longest first. */
static void
try_host(struct rt_match *m, const char *h, uint32_t len, bool wildcards)
{
	const struct mg_route_table *t = m->t;
	uint32_t g = rt_strmap_find(&t->hosts, h, len, rt_hash(h, len));

	if (g != RT_NONE)
		try_group(m, g);
	if (!wildcards || t->wild_max == 0)
		return;
	for (uint32_t i = 1; i < len; i++) {
		uint32_t slen = len - i;

		if (h[i] != '.' || slen > t->wild_max)
			continue;
		if (slen < t->wild_min)
			return;
		g = rt_strmap_find(&t->hosts, h + i, slen, rt_hash(h + i, slen));
		if (g != RT_NONE)
			try_group(m, g);
	}
}

const struct mg_route *
mg_route_match(const struct mg_route_table *t,
	       const struct mg_route_request *rq, struct mg_route_scratch *s)
{
	struct rt_match m = { .t = t, .rq = rq, .s = s, .best = RT_NONE };
	enum rt_host_kind kind;
	uint32_t hlen = 0;

	if (s->table != t) {
		s->counters[MG_ROUTE_C_WRONG_SCRATCH]++;
		return NULL;
	}
	/* regex results are stamped with the request number */
	if (++s->gen == 0) {
		memset(s->path_hit, 0, sizeof(*s->path_hit) * t->n_path_regex);
		s->path_scanned = 0;
		s->gen = 1;
	}
	kind = rt_host_normalize(rq->host.ptr, rq->host.len, s->host, &hlen);
	if (kind == RT_HOST_NAME || kind == RT_HOST_IP6)
		try_host(&m, s->host, hlen, kind == RT_HOST_NAME);
	else
		s->counters[kind == RT_HOST_NONE ? MG_ROUTE_C_NO_HOST :
			    kind == RT_HOST_LONG ? MG_ROUTE_C_LONG_HOST :
			    MG_ROUTE_C_BAD_HOST]++;
	if (t->any_group != RT_NONE)
		try_group(&m, t->any_group);
	if (m.best == RT_NONE) {
		s->counters[MG_ROUTE_C_NO_ROUTE]++;
		return NULL;
	}
	s->counters[MG_ROUTE_C_MATCHED]++;
	return &t->routes[m.best];
}

void
mg_route_request_from_http(struct mg_route_request *rq,
			   const struct mg_http_msg *m, const char *buf,
			   uint32_t listener_idx)
{
	const char *tg = buf + m->target.off;
	uint32_t n = m->target.len, i = 0, q;

	memset(rq, 0, sizeof(*rq));
	rq->listener_idx = listener_idx;
	rq->method = m->method < MG_HTTP_M_MAX ? (enum mg_http_method)m->method
					       : MG_HTTP_M_OTHER;
	rq->method_str = (struct mg_route_slice){ buf + m->method_str.off,
						  m->method_str.len };
	rq->host = (struct mg_route_slice){ buf + m->host.off, m->host.len };
	rq->buf = buf;
	rq->headers = m->headers;
	rq->n_headers = m->n_headers;
	switch (m->target_form) {
	case MG_HTTP_T_AUTHORITY:
		rq->path = (struct mg_route_slice){ tg, 0 };
		return;
	case MG_HTTP_T_ASTERISK:
		rq->path = (struct mg_route_slice){ tg, n };
		return;
	case MG_HTTP_T_ABSOLUTE:
		/* scheme "://" authority, then the path (maybe empty) */
		while (i < n && tg[i] != ':')
			i++;
		i = i + 3 < n ? i + 3 : n;
		while (i < n && tg[i] != '/' && tg[i] != '?' && tg[i] != '#')
			i++;
		break;
	default:
		break;
	}
	for (q = i; q < n && tg[q] != '?' && tg[q] != '#'; q++)
		;
	rq->path = q > i ? (struct mg_route_slice){ tg + i, q - i } :
			   (struct mg_route_slice){ "/", 1 };
	if (q < n && tg[q] == '?') {
		uint32_t e = q + 1;

		while (e < n && tg[e] != '#')
			e++;
		rq->query = (struct mg_route_slice){ tg + q + 1, e - q - 1 };
	}
}
