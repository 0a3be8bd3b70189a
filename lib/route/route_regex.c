/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Regular expressions with Hyperscan.
 *
 * Path regexes share one multi-pattern database: a request's path is
 * scanned once, the first time a regex route is a candidate, and the
 * matches are stamped with the request's number in the scratch, so any
 * number of regex routes cost one scan. perf/route_bench.c measured one
 * scan of a 24-byte path at 77 ns with 10 regexes, 94 ns with 100 and
 * 143 ns with 1,000; one database per regex, scanned in route order until
 * the one that matches, took 174 ns, 1.8 us and 27 us. The price is build
 * time: 1,000 path regexes compile in about 1.5 s. Header and query
 * regexes apply to one value each, so each distinct one has a database
 * of its own, scanned only when its route is a candidate.
 *
 * Hyperscan has no whole-match mode: a pattern RE is compiled as
 * "\A(?:RE)\z" with HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY (the flags the
 * loader checks with). RE is parsed alone first, so that "a)(b", which the
 * wrapping would make valid, is refused; a construct that would swallow
 * the closing parenthesis fails to compile.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route_internal.h"

#define RT_RE_FLAGS (HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY)

static char *
anchored(const char *re)
{
	size_t n = strlen(re) + sizeof("\\A(?:)\\z");
	char *s = malloc(n);

	if (s != NULL)
		snprintf(s, n, "\\A(?:%s)\\z", re);
	return s;
}

static int
check_syntax(struct rt_builder *b, const struct mg_cfg_route *cr,
	     const char *what, const char *re)
{
	hs_expr_info_t *info = NULL;
	hs_compile_error_t *e = NULL;
	int rc = 0;

	if (hs_expression_info(re, RT_RE_FLAGS, &info, &e) != HS_SUCCESS)
		rc = rt_fail(b, cr, "%s regex \"%s\" does not compile: %s "
			     "(expected a Hyperscan regular expression)", what,
			     re, e && e->message ? e->message : "?");
	free(info);
	hs_free_compile_error(e);
	return rc;
}

int
rt_regex_path(struct rt_builder *b, const struct mg_cfg_route *cr,
	      uint32_t index, const char *re, uint32_t *id)
{
	bool added;

	if (rt_strmap_intern(&b->path_re, re, (uint32_t)strlen(re), id,
			     &added) != 0)
		return rt_nomem(b);
	if (!added)
		return 0;
	if (*id % 64 == 0) {		/* ids come in order: grow by 64 */
		uint32_t *p = realloc(b->path_re_route,
				      sizeof(*p) * (*id + 64));

		if (p == NULL)
			return rt_nomem(b);
		b->path_re_route = p;
	}
	b->path_re_route[*id] = index;
	return check_syntax(b, cr, "path", re);
}

int
rt_regex_value(struct rt_builder *b, const struct mg_cfg_route *cr,
	       const char *re, uint32_t *id)
{
	struct mg_route_table *t = b->t;
	hs_compile_error_t *e = NULL;
	hs_database_t *db = NULL;
	bool added;
	char *w;
	int rc;

	if (rt_strmap_intern(&b->value_re, re, (uint32_t)strlen(re), id,
			     &added) != 0)
		return rt_nomem(b);
	if (!added)
		return 0;
	if ((rc = check_syntax(b, cr, "value", re)) != 0)
		return rc;
	if (*id >= b->value_re_cap) {
		uint32_t cap = b->value_re_cap ? b->value_re_cap * 2 : 16;
		hs_database_t **dbs = realloc(t->value_dbs, sizeof(*dbs) * cap);

		if (dbs == NULL)
			return rt_nomem(b);
		t->value_dbs = dbs;
		b->value_re_cap = cap;
	}
	w = anchored(re);
	if (w == NULL)
		return rt_nomem(b);
	if (hs_compile(w, RT_RE_FLAGS, HS_MODE_BLOCK, NULL, &db, &e) !=
	    HS_SUCCESS)
		rc = rt_fail(b, cr, "value regex \"%s\" does not compile "
			     "anchored: %s", re, e && e->message ? e->message :
			     "?");
	else
		t->value_dbs[t->n_value_regex++] = db;
	hs_free_compile_error(e);
	free(w);
	return rc;
}

int
rt_regex_finish(struct rt_builder *b)
{
	struct mg_route_table *t = b->t;
	uint32_t n = b->path_re.n;
	hs_compile_error_t *e = NULL;
	char **exprs;
	unsigned *flags, *ids;
	int rc = 0;

	if (n == 0)
		return 0;
	exprs = calloc(n, sizeof(*exprs));
	flags = calloc(n, sizeof(*flags));
	ids = calloc(n, sizeof(*ids));
	for (uint32_t i = 0; exprs && flags && ids && i < n; i++) {
		exprs[i] = anchored(b->path_re.keys[i].ptr);
		flags[i] = RT_RE_FLAGS;
		ids[i] = i;
		if (exprs[i] == NULL)
			rc = -ENOMEM;
	}
	if (exprs == NULL || flags == NULL || ids == NULL || rc != 0) {
		rc = rt_nomem(b);
	} else if (hs_compile_multi((const char *const *)exprs, flags, ids, n,
				    HS_MODE_BLOCK, NULL, &t->path_db, &e) !=
		   HS_SUCCESS) {
		uint32_t re = e && e->expression >= 0 ? (uint32_t)e->expression
						      : 0;

		rc = rt_fail(b, &b->cfg->routes[b->path_re_route[re]],
			     "path regex \"%s\" does not compile anchored: %s",
			     b->path_re.keys[re].ptr,
			     e && e->message ? e->message : "?");
		t->path_db = NULL;
	} else {
		t->n_path_regex = n;
	}
	hs_free_compile_error(e);
	for (uint32_t i = 0; exprs && i < n; i++)
		free(exprs[i]);
	free(exprs);
	free(flags);
	free(ids);
	return rc;
}

void
rt_regex_free(struct mg_route_table *t)
{
	if (t->path_db != NULL)
		hs_free_database(t->path_db);
	for (uint32_t i = 0; i < t->n_value_regex; i++)
		hs_free_database(t->value_dbs[i]);
	free(t->value_dbs);
}

int
rt_regex_scratch(const struct mg_route_table *t, hs_scratch_t **hs)
{
	if (t->path_db != NULL && hs_alloc_scratch(t->path_db, hs) != HS_SUCCESS)
		return -ENOMEM;
	for (uint32_t i = 0; i < t->n_value_regex; i++)
		if (hs_alloc_scratch(t->value_dbs[i], hs) != HS_SUCCESS)
			return -ENOMEM;
	return 0;
}

static int
on_value_match(unsigned int id, unsigned long long from,
	       unsigned long long to, unsigned int flags, void *ctx)
{
	*(bool *)ctx = true;
	return 1;			/* one match decides */
}

int
rt_regex_value_match(const struct mg_route_table *t,
		     struct mg_route_scratch *s, uint32_t id, const char *p,
		     uint32_t len)
{
	bool hit = false;
	hs_error_t rc = hs_scan(t->value_dbs[id], len ? p : "", len, 0, s->hs,
				on_value_match, &hit);

	if (rc == HS_SUCCESS || rc == HS_SCAN_TERMINATED)
		return hit;
	s->counters[MG_ROUTE_C_SCAN_FAILED]++;
	return -1;
}

static int
on_path_match(unsigned int id, unsigned long long from,
	      unsigned long long to, unsigned int flags, void *ctx)
{
	struct mg_route_scratch *s = ctx;

	s->path_hit[id] = s->gen;
	return 0;
}

int
rt_regex_scan_path(const struct mg_route_table *t, struct mg_route_scratch *s,
		   struct mg_route_slice path)
{
	hs_error_t rc;

	if (s->path_scanned == s->gen)
		return s->path_scan_failed ? -1 : 0;
	s->path_scanned = s->gen;
	rc = hs_scan(t->path_db, path.len ? path.ptr : "", path.len, 0, s->hs,
		     on_path_match, s);
	s->path_scan_failed = rc != HS_SUCCESS;
	if (s->path_scan_failed) {
		s->counters[MG_ROUTE_C_SCAN_FAILED]++;
		return -1;
	}
	return 0;
}
