/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The index that keeps lookup from scanning the routes.
 *
 * Level 1, host: every host pattern of every route is a key of one hash
 * map: an exact name as itself ("a.example.com"), a wildcard by its
 * suffix with the dot (".example.com" for "*.example.com"); routes
 * without hosts form one more group. A request looks up its host, then
 * each of its suffixes at a dot, then the host-less group.
 *
 * Level 2, path, per group: a radix tree over the exact paths and
 * prefixes (a request walks it once along its path and meets every prefix
 * of it on the way), the list of regex routes and the list of routes
 * without a path condition. Every list holds route indexes in ascending
 * (configuration) order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "route_internal.h"

#define RT_ANY_GROUP (RT_NONE - 1)	/* group id of host-less routes while
					 * the host keys are still counted */

enum rt_class { RT_TREE, RT_REGEX, RT_ANY };
enum rt_kind { RT_EXACT, RT_PREFIX };

/* One (host key, path, route) to index. */
struct rt_entry {
	uint32_t group;
	uint8_t cls;			/* enum rt_class */
	uint8_t kind;			/* enum rt_kind, for RT_TREE */
	uint32_t route;
	struct mg_route_slice path;
};

/* ---- host keys of a route ---- */

/* The key of a host pattern, in buf[RT_HOST_MAX + 2]. */
static int
host_key(struct rt_builder *b, const struct mg_cfg_route *cr, const char *h,
	 size_t size, char *buf, uint32_t *key_len)
{
	int len = (int)strnlen(h, size);
	bool wild = len >= 2 && h[0] == '*' && h[1] == '.';
	const char *src = wild ? h + 2 : h;
	uint32_t n = (uint32_t)(wild ? len - 2 : len), klen;
	enum rt_host_kind kind;

	if (len == 0 || (size_t)len == size)
		return rt_fail(b, cr, "has an empty or unterminated host");
	if (len == 1 && h[0] == '*')
		return rt_fail(b, cr, "host \"*\" matches any host (expected a "
			       "host name or \"*.domain\"; leave hosts out to "
			       "match any)");
	if (memchr(src, '*', n) != NULL)
		return rt_fail(b, cr, "host \"%s\" has a '*' that is not a "
			       "leading \"*.\"", h);
	if (n > 0 && ((src[0] != '[' && memchr(src, ':', n) != NULL) ||
		      (src[0] == '[' && src[n - 1] != ']')))
		return rt_fail(b, cr, "host \"%s\" has a port (expected a host "
			       "without a port; requests match without theirs)",
			       h);
	kind = rt_host_normalize(src, n, buf + 1, &klen);
	if (kind == RT_HOST_IP6 && wild)
		kind = RT_HOST_BAD;
	if (kind != RT_HOST_NAME && kind != RT_HOST_IP6)
		return rt_fail(b, cr, "host \"%s\" is not a host name or an "
			       "IPv6 literal (expected \"www.example.com\", "
			       "\"*.example.com\" or \"[2001:db8::1]\")", h);
	if (wild)
		buf[0] = '.';
	else
		memmove(buf, buf + 1, klen);
	*key_len = klen + wild;
	return 0;
}

/* The group of a host key, a new one when the key is new. */
static int
host_group(struct rt_builder *b, const char *key, uint32_t len, uint32_t *g)
{
	struct rt_strmap *m = &b->t->hosts;
	char *k;
	bool added;

	*g = rt_strmap_find(m, key, len, rt_hash(key, len));
	if (*g != RT_NONE)
		return 0;
	k = rt_strndup(&b->t->arena, key, len);
	if (k == NULL || rt_strmap_intern(m, k, len, g, &added) != 0)
		return rt_nomem(b);
	return 0;
}

static int
add_entry(struct rt_builder *b, uint32_t group, const struct mg_route *r)
{
	struct rt_entry *e;

	if (b->n_entries == b->cap_entries) {
		uint32_t cap = b->cap_entries ? b->cap_entries * 2 : 256;

		e = realloc(b->entries, sizeof(*e) * cap);
		if (e == NULL)
			return rt_nomem(b);
		b->entries = e;
		b->cap_entries = cap;
	}
	e = &b->entries[b->n_entries++];
	e->group = group;
	e->route = r->index;
	e->path = r->path;
	e->kind = r->path_type == MG_PATH_EXACT ? RT_EXACT : RT_PREFIX;
	e->cls = r->path_type == MG_PATH_REGEX ? RT_REGEX :
		 r->path_type == MG_PATH_ANY ? RT_ANY : RT_TREE;
	return 0;
}

int
rt_index_add_route(struct rt_builder *b, const struct mg_cfg_route *cr,
		   uint32_t index)
{
	const struct mg_route *r = &b->t->routes[index];
	uint32_t groups[MG_MAX_ROUTE_HOSTS], n = 0;

	if (cr->n_hosts > MG_MAX_ROUTE_HOSTS)
		return rt_fail(b, cr, "has %u hosts (expected at most %u)",
			       cr->n_hosts, MG_MAX_ROUTE_HOSTS);
	if (cr->n_hosts == 0)
		return add_entry(b, RT_ANY_GROUP, r);
	for (uint32_t i = 0; i < cr->n_hosts; i++) {
		char key[RT_HOST_MAX + 2];
		uint32_t g = 0, k, klen = 0;
		int rc = host_key(b, cr, cr->hosts[i], sizeof(cr->hosts[i]),
				  key, &klen);

		if (rc == 0)
			rc = host_group(b, key, klen, &g);
		if (rc != 0)
			return rc;
		/* "A.com" and "a.com" in one route: one entry */
		for (k = 0; k < n && groups[k] != g; k++)
			;
		if (k < n)
			continue;
		groups[n++] = g;
		if ((rc = add_entry(b, g, r)) != 0)
			return rc;
	}
	return 0;
}

/* ---- building the index ---- */

static int
entry_cmp(const void *pa, const void *pb)
{
	const struct rt_entry *a = pa, *b = pb;
	uint32_t n;
	int c;

	if (a->group != b->group)
		return a->group < b->group ? -1 : 1;
	if (a->cls != b->cls)
		return a->cls < b->cls ? -1 : 1;
	if (a->cls == RT_TREE) {
		n = a->path.len < b->path.len ? a->path.len : b->path.len;
		c = memcmp(a->path.ptr, b->path.ptr, n);
		if (c != 0)
			return c;
		if (a->path.len != b->path.len)
			return a->path.len < b->path.len ? -1 : 1;
		if (a->kind != b->kind)
			return a->kind < b->kind ? -1 : 1;
	}
	return a->route < b->route ? -1 : a->route > b->route;
}

struct rt_index {
	struct rt_builder *b;
	uint32_t *lists;
	uint32_t n_lists, cap_lists;
	struct rt_node *nodes;
	uint32_t n_nodes, cap_nodes;
};

/* The routes of e[0..n) as a list. */
static int
push_list(struct rt_index *x, const struct rt_entry *e, uint32_t n,
	  struct rt_list *out)
{
	if (x->n_lists + n > x->cap_lists) {
		uint32_t cap = x->cap_lists ? x->cap_lists : 1024;
		uint32_t *l;

		while (cap < x->n_lists + n)
			cap *= 2;
		l = realloc(x->lists, sizeof(*l) * cap);
		if (l == NULL)
			return -ENOMEM;
		x->lists = l;
		x->cap_lists = cap;
	}
	out->off = x->n_lists;
	out->n = n;
	for (uint32_t i = 0; i < n; i++)
		x->lists[x->n_lists++] = e[i].route;
	return 0;
}

static uint32_t
new_nodes(struct rt_index *x, uint32_t n)
{
	if (x->n_nodes + n > x->cap_nodes) {
		uint32_t cap = x->cap_nodes ? x->cap_nodes : 256;
		struct rt_node *nd;

		while (cap < x->n_nodes + n)
			cap *= 2;
		nd = realloc(x->nodes, sizeof(*nd) * cap);
		if (nd == NULL)
			return RT_NONE;
		x->nodes = nd;
		x->cap_nodes = cap;
	}
	memset(&x->nodes[x->n_nodes], 0, sizeof(x->nodes[0]) * n);
	x->n_nodes += n;
	return x->n_nodes - n;
}

/* A distinct path of a group's tree with its routes. */
struct rt_pkey {
	struct mg_route_slice path;
	struct rt_list exact, prefix;
};

static uint32_t
lcp(const struct mg_route_slice *a, const struct mg_route_slice *b)
{
	uint32_t n = a->len < b->len ? a->len : b->len, i = 0;

	while (i < n && a->ptr[i] == b->ptr[i])
		i++;
	return i;
}

/*
 * Make @p node the node of the keys k[lo..hi) (sorted, distinct), which
 * share their first @p depth bytes: a key of exactly that length ends
 * here, the others go to children grouped by their next byte, each child's
 * label running to the longest prefix its keys share. Depth is bounded by
 * the longest path (MG_URI_MAX).
 */
static int
tree_build(struct rt_index *x, const struct rt_pkey *k, uint32_t lo,
	   uint32_t hi, uint32_t depth, uint32_t node)
{
	uint32_t nch = 0, first, i, j;

	if (lo < hi && k[lo].path.len == depth) {
		x->nodes[node].exact = k[lo].exact;
		x->nodes[node].prefix = k[lo].prefix;
		lo++;
	}
	for (i = lo; i < hi; i = j, nch++)
		for (j = i + 1; j < hi &&
		     k[j].path.ptr[depth] == k[i].path.ptr[depth]; j++)
			;
	if (nch == 0)
		return 0;
	first = new_nodes(x, nch);
	if (first == RT_NONE)
		return -ENOMEM;
	x->nodes[node].children = first;
	x->nodes[node].n_children = nch;
	for (i = lo; i < hi; i = j, first++) {
		struct rt_node *c = &x->nodes[first];
		uint32_t end;
		int rc;

		for (j = i + 1; j < hi &&
		     k[j].path.ptr[depth] == k[i].path.ptr[depth]; j++)
			;
		end = lcp(&k[i].path, &k[j - 1].path);
		c->label = k[i].path.ptr + depth;
		c->label_len = (uint16_t)(end - depth);
		c->first = (uint8_t)c->label[0];
		rc = tree_build(x, k, i, j, end, first);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* The tree of a group from its RT_TREE entries e[0..n), sorted by path. */
static int
group_tree(struct rt_index *x, const struct rt_entry *e, uint32_t n,
	   uint32_t *root)
{
	struct rt_pkey *keys = calloc(n, sizeof(*keys));
	uint32_t nk = 0, i = 0;
	int rc = -ENOMEM;

	if (keys == NULL)
		return -ENOMEM;
	while (i < n) {
		struct rt_pkey *k = &keys[nk++];
		uint32_t j = i;

		k->path = e[i].path;
		while (j < n && e[j].kind == RT_EXACT &&
		       e[j].path.len == k->path.len &&
		       memcmp(e[j].path.ptr, k->path.ptr, k->path.len) == 0)
			j++;
		if (push_list(x, e + i, j - i, &k->exact) != 0)
			goto out;
		i = j;
		while (j < n && e[j].path.len == k->path.len &&
		       memcmp(e[j].path.ptr, k->path.ptr, k->path.len) == 0)
			j++;
		if (push_list(x, e + i, j - i, &k->prefix) != 0)
			goto out;
		i = j;
	}
	*root = new_nodes(x, 1);
	if (*root != RT_NONE)
		rc = tree_build(x, keys, 0, nk, 0, *root);
out:
	free(keys);
	return rc;
}

/* The entries of a group, sorted: tree paths, regexes, then the rest. */
static int
index_group(struct rt_index *x, struct rt_group *g, const struct rt_entry *e,
	    uint32_t n)
{
	uint32_t i = 0, j = 0;
	int rc;

	g->root = RT_NONE;
	g->min_index = RT_NONE;
	for (uint32_t k = 0; k < n; k++)
		if (e[k].route < g->min_index)
			g->min_index = e[k].route;
	while (j < n && e[j].cls == RT_TREE)
		j++;
	if (j > i && (rc = group_tree(x, e + i, j - i, &g->root)) != 0)
		return rc;
	for (i = j; j < n && e[j].cls == RT_REGEX; j++)
		;
	if (push_list(x, e + i, j - i, &g->regex) != 0 ||
	    push_list(x, e + j, n - j, &g->any) != 0)
		return -ENOMEM;
	return 0;
}

static int
index_groups(struct rt_index *x, struct mg_route_table *t,
	     const struct rt_entry *e, uint32_t n)
{
	for (uint32_t i = 0, j; i < n; i = j) {
		int rc;

		for (j = i + 1; j < n && e[j].group == e[i].group; j++)
			;
		rc = index_group(x, &t->groups[e[i].group], e + i, j - i);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
rt_index_build(struct rt_builder *b)
{
	struct mg_route_table *t = b->t;
	struct rt_index x = { .b = b };
	int rc;

	t->n_groups = t->hosts.n;
	for (uint32_t i = 0; i < b->n_entries; i++) {
		if (b->entries[i].group != RT_ANY_GROUP)
			continue;
		b->entries[i].group = t->hosts.n;
		t->any_group = t->hosts.n;
		t->n_groups = t->hosts.n + 1;
	}
	for (uint32_t i = 0; i < t->hosts.n; i++) {
		uint32_t len = t->hosts.keys[i].len;

		if (t->hosts.keys[i].ptr[0] != '.')
			continue;
		if (t->wild_min == 0 || len < t->wild_min)
			t->wild_min = len;
		if (len > t->wild_max)
			t->wild_max = len;
	}
	t->groups = calloc(t->n_groups ? t->n_groups : 1, sizeof(*t->groups));
	if (t->groups == NULL)
		return rt_nomem(b);
	if (b->n_entries > 1)
		qsort(b->entries, b->n_entries, sizeof(b->entries[0]),
		      entry_cmp);
	rc = index_groups(&x, t, b->entries, b->n_entries);
	t->lists = x.lists;
	t->n_lists = x.n_lists;
	t->nodes = x.nodes;
	t->n_nodes = x.n_nodes;
	return rc == 0 ? 0 : rt_nomem(b);
}
