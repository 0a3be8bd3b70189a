/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Which route serves a request: every kind of condition, the edges of
 * host and wildcard matching, first-match precedence across the index's
 * buckets, a differential run against a linear reference matcher, and
 * the scratch (wrong table, request-number wrap).
 */
#include <stdbool.h>
#include <string.h>

#include "route_test.h"
#include "route_internal.h"	/* white box: the scratch's request number */

struct fx {
	struct mg_config *cfg;
	struct mg_route_table *t;
	struct mg_route_scratch *s;
};

static bool
fx_build(struct fx *f)
{
	f->t = rt_build(f->cfg);
	f->s = f->t ? mg_route_scratch_create(f->t) : NULL;
	MG_CHECK(f->t != NULL && f->s != NULL);
	return f->s != NULL;
}

static void
fx_free(struct fx *f)
{
	mg_route_scratch_free(f->s);
	mg_route_table_free(f->t);
	rt_cfg_free(f->cfg);
}

/* GET on listener 0 */
#define GET(f, target, host) rt_match((f)->t, (f)->s, 0, "GET " target, \
				      host, NULL)
/* a host lib/http refuses, straight to the matcher */
#define RAW(f, target, host) rt_match_raw_host((f)->t, (f)->s, 0,	\
					       "GET " target, host)
#define GETH(f, target, host, hdrs) rt_match((f)->t, (f)->s, 0,	\
					     "GET " target, host, hdrs)

static void
test_hosts(void)
{
	struct fx f = { .cfg = rt_cfg_new(5) };
	char long_host[400];
	const uint64_t *c;

	rt_hosts(&f.cfg->routes[0], "api.example.com", NULL);
	rt_hosts(&f.cfg->routes[1], "*.example.com", NULL);
	rt_hosts(&f.cfg->routes[2], "[::1]", NULL);
	rt_hosts(&f.cfg->routes[3], "*.b.example.org", "Mixed.Example.NET.",
		 NULL);
	if (!fx_build(&f))
		return;
	MG_CHECK_EQ(GET(&f, "/", "api.example.com"), 0);
	MG_CHECK_EQ(GET(&f, "/", "API.Example.COM"), 0);
	MG_CHECK_EQ(GET(&f, "/", "api.example.com."), 0);
	MG_CHECK_EQ(GET(&f, "/", "api.example.com:8080"), 0);
	MG_CHECK_EQ(GET(&f, "/", "api.example.com.:80"), 0);
	MG_CHECK_EQ(RAW(&f, "/", "api.example.com:"), 0);
	/* wildcard: one or more labels in front, never the domain itself */
	MG_CHECK_EQ(GET(&f, "/", "a.example.com"), 1);
	MG_CHECK_EQ(GET(&f, "/", "a.b.example.com"), 1);
	MG_CHECK_EQ(GET(&f, "/", "A.Example.Com.:443"), 1);
	MG_CHECK_EQ(GET(&f, "/", "example.com"), 4);
	MG_CHECK_EQ(GET(&f, "/", "xexample.com"), 4);
	MG_CHECK_EQ(GET(&f, "/", "c.b.example.org"), 3);
	MG_CHECK_EQ(GET(&f, "/", "b.example.org"), 4);
	MG_CHECK_EQ(GET(&f, "/", "mixed.example.net"), 3);
	/* IPv6 literals, with and without a port */
	MG_CHECK_EQ(GET(&f, "/", "[::1]"), 2);
	MG_CHECK_EQ(GET(&f, "/", "[::1]:80"), 2);
	MG_CHECK_EQ(GET(&f, "/", "[::2]:80"), 4);
	/* malformed: only the host-less route */
	MG_CHECK_EQ(RAW(&f, "/", "a..example.com"), 4);
	MG_CHECK_EQ(RAW(&f, "/", ".example.com"), 4);
	MG_CHECK_EQ(RAW(&f, "/", "a.example.com.."), 4);
	MG_CHECK_EQ(RAW(&f, "/", "api.example.com:80x"), 4);
	MG_CHECK_EQ(RAW(&f, "/", "[::1]x"), 4);
	MG_CHECK_EQ(RAW(&f, "/", "[::1"), 4);
	MG_CHECK_EQ(RAW(&f, "/", "a+b.example.com"), 4);
	memset(long_host, 'a', sizeof(long_host));
	strcpy(long_host + 300, ".example.com");
	MG_CHECK_EQ(RAW(&f, "/", long_host), 4);
	MG_CHECK_EQ(rt_match(f.t, f.s, 0, "GET /", NULL, NULL), 4);
	c = mg_route_scratch_counters(f.s);
	MG_CHECK_EQ(c[MG_ROUTE_C_BAD_HOST], 7);
	MG_CHECK_EQ(c[MG_ROUTE_C_LONG_HOST], 1);
	MG_CHECK_EQ(c[MG_ROUTE_C_NO_HOST], 1);
	MG_CHECK_EQ(c[MG_ROUTE_C_NO_ROUTE], 0);
	MG_CHECK_EQ(c[MG_ROUTE_C_MATCHED], 26);
	fx_free(&f);

	/* without a host-less route, an unknown host finds nothing */
	f = (struct fx){ .cfg = rt_cfg_new(1) };
	rt_hosts(&f.cfg->routes[0], "*.example.com", NULL);
	if (!fx_build(&f))
		return;
	MG_CHECK_EQ(GET(&f, "/", "example.com"), -1);
	MG_CHECK_EQ(rt_match(f.t, f.s, 0, "GET /", NULL, NULL), -1);
	MG_CHECK_EQ(mg_route_scratch_counters(f.s)[MG_ROUTE_C_NO_ROUTE], 2);
	fx_free(&f);
}

static void
test_host_patterns(void)
{
	static const struct {
		const char *host, *error;
	} bad[] = {
		{ "*", "matches any host" },
		{ "a.*.com", "not a leading" },
		{ "*a.com", "not a leading" },
		{ "api.example.com:80", "has a port" },
		{ "[::1]:80", "has a port" },
		{ "a..com", "not a host name" },
		{ "*.[::1]", "not a host name" },
		{ "a b.com", "not a host name" },
		{ "", "empty" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mg_config *cfg = rt_cfg_new(2);

		rt_hosts(&cfg->routes[1], "ok.com", bad[i].host, NULL);
		MG_CHECK(rt_build_fails(cfg, bad[i].error));
		MG_CHECK(strstr(rt_err, "route 'r1' (line 11)") == rt_err);
		rt_cfg_free(cfg);
	}
}

static void
test_paths(void)
{
	struct fx f = { .cfg = rt_cfg_new(6) };

	rt_path(&f.cfg->routes[0], MG_PATH_EXACT, "/exact");
	rt_path(&f.cfg->routes[1], MG_PATH_PREFIX, "/api");
	rt_path(&f.cfg->routes[2], MG_PATH_PREFIX, "/api/v2/");
	rt_path(&f.cfg->routes[3], MG_PATH_REGEX, "/items/[0-9]+");
	rt_path(&f.cfg->routes[4], MG_PATH_EXACT, "/api/v2/special");
	rt_path(&f.cfg->routes[5], MG_PATH_PREFIX, "/");
	if (!fx_build(&f))
		return;
	MG_CHECK_EQ(GET(&f, "/exact", "h"), 0);
	MG_CHECK_EQ(GET(&f, "/exact?a=b", "h"), 0);
	MG_CHECK_EQ(GET(&f, "/exact/", "h"), 5);
	MG_CHECK_EQ(GET(&f, "/exactly", "h"), 5);
	MG_CHECK_EQ(GET(&f, "/EXACT", "h"), 5);
	MG_CHECK_EQ(GET(&f, "/api", "h"), 1);
	MG_CHECK_EQ(GET(&f, "/apix", "h"), 1);	/* segment-blind */
	MG_CHECK_EQ(GET(&f, "/ap", "h"), 5);
	MG_CHECK_EQ(GET(&f, "/api/v2/x", "h"), 1);	/* r1 comes first */
	MG_CHECK_EQ(GET(&f, "/api/v2/special", "h"), 1);
	MG_CHECK_EQ(GET(&f, "/items/42", "h"), 3);
	MG_CHECK_EQ(GET(&f, "/items/42?x=1", "h"), 3);
	MG_CHECK_EQ(GET(&f, "/items/42x", "h"), 5);	/* whole path */
	MG_CHECK_EQ(GET(&f, "/x/items/42", "h"), 5);
	MG_CHECK_EQ(GET(&f, "/items/", "h"), 5);
	MG_CHECK_EQ(GET(&f, "http://h/items/7?q", "h"), 3);
	fx_free(&f);

	/* the same paths the other way round: order decides, not length */
	f = (struct fx){ .cfg = rt_cfg_new(4) };
	rt_path(&f.cfg->routes[0], MG_PATH_EXACT, "/api/v2/special");
	rt_path(&f.cfg->routes[1], MG_PATH_PREFIX, "/api/v2/");
	rt_path(&f.cfg->routes[2], MG_PATH_PREFIX, "/api");
	rt_path(&f.cfg->routes[3], MG_PATH_REGEX, "/api/.*");
	if (!fx_build(&f))
		return;
	MG_CHECK_EQ(GET(&f, "/api/v2/special", "h"), 0);
	MG_CHECK_EQ(GET(&f, "/api/v2/specials", "h"), 1);
	MG_CHECK_EQ(GET(&f, "/api/v2", "h"), 2);
	MG_CHECK_EQ(GET(&f, "/api/v1/x", "h"), 2);
	MG_CHECK_EQ(GET(&f, "/other", "h"), -1);
	fx_free(&f);

	/* many prefixes on one path: the walk meets each of them */
	f = (struct fx){ .cfg = rt_cfg_new(6) };
	rt_path(&f.cfg->routes[0], MG_PATH_PREFIX, "/a/b/c/d");
	f.cfg->routes[0].n_methods = 1;
	strcpy(f.cfg->routes[0].methods[0], "POST");
	rt_path(&f.cfg->routes[1], MG_PATH_PREFIX, "/a/b/c");
	rt_path(&f.cfg->routes[2], MG_PATH_PREFIX, "/a/b");
	rt_path(&f.cfg->routes[3], MG_PATH_PREFIX, "/a/x");
	rt_path(&f.cfg->routes[4], MG_PATH_PREFIX, "/a");
	rt_path(&f.cfg->routes[5], MG_PATH_EXACT, "/a/b/c/d/e");
	if (!fx_build(&f))
		return;
	MG_CHECK_EQ(GET(&f, "/a/b/c/d/e", "h"), 1);
	MG_CHECK_EQ(rt_match(f.t, f.s, 0, "POST /a/b/c/d/e", "h", NULL), 0);
	MG_CHECK_EQ(GET(&f, "/a/b/", "h"), 2);
	MG_CHECK_EQ(GET(&f, "/a/xyz", "h"), 3);
	MG_CHECK_EQ(GET(&f, "/a/y", "h"), 4);
	MG_CHECK_EQ(GET(&f, "/b", "h"), -1);
	fx_free(&f);
}

static void
test_regex_errors(void)
{
	static const char *const bad[] = { "a)(b", "(", "[z-a]", "a{2,1}" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mg_config *cfg = rt_cfg_new(3);

		rt_path(&cfg->routes[0], MG_PATH_REGEX, "/ok/.*");
		rt_path(&cfg->routes[2], MG_PATH_REGEX, bad[i]);
		MG_CHECK(rt_build_fails(cfg, "path regex"));
		MG_CHECK(strstr(rt_err, "route 'r2'") == rt_err);
		rt_cfg_free(cfg);

		cfg = rt_cfg_new(2);
		rt_cond(&cfg->routes[1].headers[0], "x", MG_VALUE_REGEX, bad[i],
			false);
		cfg->routes[1].n_headers = 1;
		MG_CHECK(rt_build_fails(cfg, "value regex"));
		rt_cfg_free(cfg);
	}
}

static void
test_methods(void)
{
	struct fx f = { .cfg = rt_cfg_new(3) };
	struct mg_cfg_route *r0 = &f.cfg->routes[0], *r1 = &f.cfg->routes[1];

	r0->n_methods = 2;
	strcpy(r0->methods[0], "GET");
	strcpy(r0->methods[1], "POST");
	r1->n_methods = 2;
	strcpy(r1->methods[0], "PURGE");
	strcpy(r1->methods[1], "DELETE");
	if (!fx_build(&f))
		return;
	MG_CHECK_EQ(rt_match(f.t, f.s, 0, "GET /", "h", NULL), 0);
	MG_CHECK_EQ(rt_match(f.t, f.s, 0, "POST /", "h", NULL), 0);
	MG_CHECK_EQ(rt_match(f.t, f.s, 0, "HEAD /", "h", NULL), 2);
	MG_CHECK_EQ(rt_match(f.t, f.s, 0, "PURGE /", "h", NULL), 1);
	MG_CHECK_EQ(rt_match(f.t, f.s, 0, "DELETE /", "h", NULL), 1);
	MG_CHECK_EQ(rt_match(f.t, f.s, 0, "purge /", "h", NULL), 2);
	MG_CHECK_EQ(rt_match(f.t, f.s, 0, "PURGEX /", "h", NULL), 2);
	fx_free(&f);

	f = (struct fx){ .cfg = rt_cfg_new(1) };
	f.cfg->routes[0].n_methods = 1;
	strcpy(f.cfg->routes[0].methods[0], "get");
	MG_CHECK(rt_build_fails(f.cfg, "methods are case-sensitive"));
	strcpy(f.cfg->routes[0].methods[0], "GE T");
	MG_CHECK(rt_build_fails(f.cfg, "not an HTTP token"));
	rt_cfg_free(f.cfg);
}

static void
test_headers(void)
{
	struct fx f = { .cfg = rt_cfg_new(7) };
	struct mg_cfg_route *r = f.cfg->routes;

	rt_path(&r[0], MG_PATH_PREFIX, "/h0");
	rt_cond(&r[0].headers[r[0].n_headers++], "X-Env", MG_VALUE_EXACT,
		"prod", false);
	rt_path(&r[1], MG_PATH_PREFIX, "/h1");
	rt_cond(&r[1].headers[r[1].n_headers++], "x-ver", MG_VALUE_REGEX,
		"v[0-9]+", false);
	rt_path(&r[2], MG_PATH_PREFIX, "/h2");
	rt_cond(&r[2].headers[r[2].n_headers++], "x-debug", MG_VALUE_PRESENT,
		NULL, true);
	rt_path(&r[3], MG_PATH_PREFIX, "/h3");
	rt_cond(&r[3].headers[r[3].n_headers++], "x-a", MG_VALUE_EXACT, "1",
		false);
	rt_cond(&r[3].headers[r[3].n_headers++], "x-b", MG_VALUE_PRESENT,
		NULL, false);
	rt_path(&r[4], MG_PATH_PREFIX, "/h4");
	rt_cond(&r[4].headers[r[4].n_headers++], "x-env", MG_VALUE_EXACT,
		"prod", true);
	rt_path(&r[5], MG_PATH_PREFIX, "/h5");
	rt_cond(&r[5].headers[r[5].n_headers++], "x-ver", MG_VALUE_REGEX,
		"v[0-9]+", true);
	if (!fx_build(&f))
		return;
	MG_CHECK_EQ(GETH(&f, "/h0", "h", "X-Env: prod\r\n"), 0);
	MG_CHECK_EQ(GETH(&f, "/h0", "h", "x-ENV: prod\r\n"), 0);
	MG_CHECK_EQ(GETH(&f, "/h0", "h", "X-Env: Prod\r\n"), 6);
	MG_CHECK_EQ(GETH(&f, "/h0", "h", "X-Env: prod,dev\r\n"), 6);
	MG_CHECK_EQ(GETH(&f, "/h0", "h", "X-Env: dev\r\nX-Env: prod\r\n"), 0);
	MG_CHECK_EQ(GETH(&f, "/h0", "h", "X-Envy: prod\r\n"), 6);
	MG_CHECK_EQ(GETH(&f, "/h0", "h", NULL), 6);
	MG_CHECK_EQ(GETH(&f, "/h1", "h", "x-ver: v12\r\n"), 1);
	MG_CHECK_EQ(GETH(&f, "/h1", "h", "x-ver: v12a\r\n"), 6);
	MG_CHECK_EQ(GETH(&f, "/h1", "h", "x-ver: av12\r\n"), 6);
	MG_CHECK_EQ(GETH(&f, "/h1", "h", "x-ver:\r\n"), 6);
	MG_CHECK_EQ(GETH(&f, "/h1", "h", "x-ver: x\r\nx-ver: v1\r\n"), 1);
	MG_CHECK_EQ(GETH(&f, "/h2", "h", NULL), 2);
	MG_CHECK_EQ(GETH(&f, "/h2", "h", "x-debug: 0\r\n"), 6);
	MG_CHECK_EQ(GETH(&f, "/h2", "h", "x-debug:\r\n"), 6);
	MG_CHECK_EQ(GETH(&f, "/h3", "h", "x-a: 1\r\nx-b: z\r\n"), 3);
	MG_CHECK_EQ(GETH(&f, "/h3", "h", "x-a: 1\r\n"), 6);
	MG_CHECK_EQ(GETH(&f, "/h3", "h", "x-b: z\r\n"), 6);
	/* invert: absent counts as "not prod"; any prod field spoils it */
	MG_CHECK_EQ(GETH(&f, "/h4", "h", NULL), 4);
	MG_CHECK_EQ(GETH(&f, "/h4", "h", "x-env: dev\r\n"), 4);
	MG_CHECK_EQ(GETH(&f, "/h4", "h", "x-env: prod\r\n"), 6);
	MG_CHECK_EQ(GETH(&f, "/h4", "h", "x-env: dev\r\nx-env: prod\r\n"), 6);
	MG_CHECK_EQ(GETH(&f, "/h5", "h", "x-ver: beta\r\n"), 5);
	MG_CHECK_EQ(GETH(&f, "/h5", "h", "x-ver: v3\r\n"), 6);
	fx_free(&f);
}

static void
test_query(void)
{
	struct fx f = { .cfg = rt_cfg_new(6) };
	struct mg_cfg_route *r = f.cfg->routes;

	rt_path(&r[0], MG_PATH_EXACT, "/q0");
	rt_cond(&r[0].query[r[0].n_query++], "a", MG_VALUE_EXACT, "1", false);
	rt_path(&r[1], MG_PATH_EXACT, "/q1");
	rt_cond(&r[1].query[r[1].n_query++], "s", MG_VALUE_EXACT, "a%20b",
		false);
	rt_path(&r[2], MG_PATH_EXACT, "/q2");
	rt_cond(&r[2].query[r[2].n_query++], "flag", MG_VALUE_PRESENT, NULL,
		false);
	rt_path(&r[3], MG_PATH_EXACT, "/q3");
	rt_cond(&r[3].query[r[3].n_query++], "id", MG_VALUE_REGEX, "[0-9]+",
		false);
	rt_path(&r[4], MG_PATH_EXACT, "/q4");
	rt_cond(&r[4].query[r[4].n_query++], "x", MG_VALUE_PRESENT, NULL,
		true);
	if (!fx_build(&f))
		return;
	MG_CHECK_EQ(GET(&f, "/q0?a=1", "h"), 0);
	MG_CHECK_EQ(GET(&f, "/q0?b=2&a=1", "h"), 0);
	MG_CHECK_EQ(GET(&f, "/q0?a=2&a=1", "h"), 0);
	/* a fragment never reaches routing: lib/http refuses it */
	MG_CHECK_EQ(GET(&f, "/q0?a=1#frag", "h"), -2);
	MG_CHECK_EQ(GET(&f, "/q0?a=10", "h"), 5);
	MG_CHECK_EQ(GET(&f, "/q0?A=1", "h"), 5);
	MG_CHECK_EQ(GET(&f, "/q0?%61=1", "h"), 5);	/* raw: %61 is not a */
	MG_CHECK_EQ(GET(&f, "/q0", "h"), 5);
	MG_CHECK_EQ(GET(&f, "/q0#a=1", "h"), -2);
	MG_CHECK_EQ(GET(&f, "/q1?s=a%20b", "h"), 1);
	MG_CHECK_EQ(GET(&f, "/q1?s=a+b", "h"), 5);
	MG_CHECK_EQ(GET(&f, "/q2?flag", "h"), 2);
	MG_CHECK_EQ(GET(&f, "/q2?flag=", "h"), 2);
	MG_CHECK_EQ(GET(&f, "/q2?x&&flag", "h"), 2);
	MG_CHECK_EQ(GET(&f, "/q2?flags=1", "h"), 5);
	MG_CHECK_EQ(GET(&f, "/q3?id=123", "h"), 3);
	MG_CHECK_EQ(GET(&f, "/q3?id=12a", "h"), 5);
	MG_CHECK_EQ(GET(&f, "/q3?id=", "h"), 5);
	MG_CHECK_EQ(GET(&f, "/q3?id=x&id=7", "h"), 3);
	MG_CHECK_EQ(GET(&f, "/q4", "h"), 4);
	MG_CHECK_EQ(GET(&f, "/q4?y=1", "h"), 4);
	MG_CHECK_EQ(GET(&f, "/q4?x=1", "h"), 5);
	fx_free(&f);
}

static void
test_listeners(void)
{
	struct fx f = { .cfg = rt_cfg_new(2) };

	f.cfg->routes[0].listener_mask = 0x1;
	f.cfg->routes[1].listener_mask = 0x2;
	if (!fx_build(&f))
		return;
	MG_CHECK_EQ(rt_match(f.t, f.s, 0, "GET /", "h", NULL), 0);
	MG_CHECK_EQ(rt_match(f.t, f.s, 1, "GET /", "h", NULL), 1);
	MG_CHECK_EQ(rt_match(f.t, f.s, 2, "GET /", "h", NULL), -1);
	MG_CHECK_EQ(rt_match(f.t, f.s, 70, "GET /", "h", NULL), -1);
	fx_free(&f);

	f = (struct fx){ .cfg = rt_cfg_new(1) };
	f.cfg->routes[0].listener_mask = 0;
	MG_CHECK(rt_build_fails(f.cfg, "on no listener"));
	f.cfg->routes[0].listener_mask = 0x4;
	MG_CHECK(rt_build_fails(f.cfg, "'l4', which is not in mode http"));
	f.cfg->routes[0].listener_mask = 0x20;
	MG_CHECK(rt_build_fails(f.cfg, "out of range"));
	rt_cfg_free(f.cfg);
}

/* First match in configuration order, whatever bucket a route is in. */
static void
test_precedence(void)
{
	struct fx f = { .cfg = rt_cfg_new(4) };
	struct mg_cfg_route *r = f.cfg->routes;

	rt_hosts(&r[0], "*.example.com", NULL);
	rt_path(&r[0], MG_PATH_PREFIX, "/a");
	rt_hosts(&r[1], "x.example.com", NULL);
	rt_path(&r[1], MG_PATH_PREFIX, "/");
	rt_path(&r[2], MG_PATH_EXACT, "/a/b");
	rt_hosts(&r[3], "x.example.com", NULL);
	rt_path(&r[3], MG_PATH_EXACT, "/a/b");
	if (!fx_build(&f))
		return;
	MG_CHECK_EQ(GET(&f, "/a/b", "x.example.com"), 0);
	MG_CHECK_EQ(GET(&f, "/z", "x.example.com"), 1);
	MG_CHECK_EQ(GET(&f, "/a/b", "y.example.com"), 0);
	MG_CHECK_EQ(GET(&f, "/z", "y.example.com"), -1);
	MG_CHECK_EQ(GET(&f, "/a/b", "other.org"), 2);
	fx_free(&f);

	/* a route whose other conditions fail lets later ones through */
	f = (struct fx){ .cfg = rt_cfg_new(4) };
	r = f.cfg->routes;
	rt_hosts(&r[0], "x.example.com", NULL);
	r[0].n_methods = 1;
	strcpy(r[0].methods[0], "POST");
	rt_hosts(&r[1], "*.example.com", NULL);
	rt_cond(&r[1].headers[r[1].n_headers++], "x-canary", MG_VALUE_PRESENT,
		NULL, false);
	rt_hosts(&r[2], "*.example.com", "x.example.com", NULL);
	if (!fx_build(&f))
		return;
	MG_CHECK_EQ(rt_match(f.t, f.s, 0, "POST /", "x.example.com", NULL), 0);
	MG_CHECK_EQ(GETH(&f, "/", "x.example.com", "x-canary: 1\r\n"), 1);
	MG_CHECK_EQ(GET(&f, "/", "x.example.com"), 2);
	MG_CHECK_EQ(GET(&f, "/", "z.example.com"), 2);
	MG_CHECK_EQ(GET(&f, "/", "example.com"), 3);
	fx_free(&f);

	/* a host listed twice (after normalisation) is indexed once */
	f = (struct fx){ .cfg = rt_cfg_new(1) };
	rt_hosts(&f.cfg->routes[0], "A.com", "a.com.", "a.com", NULL);
	if (!fx_build(&f))
		return;
	MG_CHECK_EQ(GET(&f, "/", "a.com"), 0);
	MG_CHECK_EQ(f.t->n_lists, 1);
	fx_free(&f);
}

/* ---- differential: the index against a linear scan ---- */

static const char *const ref_hosts[] = {
	"a.com", "b.a.com", "c.b.a.com", "x.org", "y.x.org", "a.com.x.org",
};
static const char *const ref_patterns[] = {
	"a.com", "b.a.com", "c.b.a.com", "x.org", "y.x.org", "*.a.com",
	"*.b.a.com", "*.x.org", "*.com",
};
static const char *const ref_paths[] = {
	"/", "/a", "/a/b", "/a/bc", "/ab", "/b", "/a/b/c", "/a/",
};
static const char *const ref_methods[] = { "GET", "POST", "PUT" };

static bool
ref_host(const char *pat, const char *host)
{
	size_t pl = strlen(pat), hl = strlen(host);

	if (pat[0] != '*')
		return strcmp(pat, host) == 0;
	return hl > pl - 1 && strcmp(host + hl - (pl - 1), pat + 1) == 0;
}

static bool
ref_route(const struct mg_cfg_route *r, uint32_t listener, const char *m,
	  const char *host, const char *path, const char *hdr)
{
	bool ok = r->n_hosts == 0, mok = r->n_methods == 0;

	if (!(r->listener_mask & (1ull << listener)))
		return false;
	for (uint32_t i = 0; i < r->n_hosts; i++)
		ok |= ref_host(r->hosts[i], host);
	for (uint32_t i = 0; i < r->n_methods; i++)
		mok |= strcmp(r->methods[i], m) == 0;
	if (!ok || !mok)
		return false;
	if (r->path_type == MG_PATH_EXACT && strcmp(r->path, path) != 0)
		return false;
	if (r->path_type == MG_PATH_PREFIX &&
	    strncmp(r->path, path, strlen(r->path)) != 0)
		return false;
	if (r->n_headers > 0)
		return hdr != NULL && strcmp(r->headers[0].value, hdr) == 0;
	return true;
}

static void
test_differential(void)
{
	uint64_t seed = 0x5eed;
	unsigned mismatches = 0, matched = 0;

	for (int round = 0; round < 8; round++) {
		uint32_t n = 40 + (uint32_t)(rt_rand(&seed) % 200);
		struct fx f = { .cfg = rt_cfg_new(n) };

		for (uint32_t i = 0; i < n; i++) {
			struct mg_cfg_route *r = &f.cfg->routes[i];
			uint64_t x = rt_rand(&seed);

			r->listener_mask = 1 + x % 3;
			x /= 3;
			r->n_hosts = (uint32_t)(x % 3);
			x /= 3;
			for (uint32_t k = 0; k < r->n_hosts; k++)
				strcpy(r->hosts[k], ref_patterns[rt_rand(&seed) %
					9]);
			r->path_type = (enum mg_path_match)(x % 3);
			x /= 3;
			strcpy(r->path, ref_paths[x % 8]);
			x /= 8;
			if (x % 3 == 0) {
				r->n_methods = 1;
				strcpy(r->methods[0], ref_methods[(x / 3) % 3]);
			}
			x /= 9;
			if (x % 5 == 0) {
				r->n_headers = 1;
				rt_cond(&r->headers[0], "x-k", MG_VALUE_EXACT,
					(x / 5) % 2 ? "1" : "2", false);
			}
		}
		if (!fx_build(&f))
			return;
		for (int q = 0; q < 3000; q++) {
			uint64_t x = rt_rand(&seed);
			uint32_t listener = (uint32_t)(x % 2);
			const char *host = ref_hosts[(x >> 8) % 6];
			const char *path = ref_paths[(x >> 16) % 8];
			const char *m = ref_methods[(x >> 24) % 3];
			const char *hv = (x >> 32) % 3 == 0 ? NULL :
					 (x >> 32) % 3 == 1 ? "1" : "2";
			char line[64], hdr[32];
			int want = -1, got;

			for (uint32_t i = 0; want < 0 && i < n; i++)
				if (ref_route(&f.cfg->routes[i], listener, m,
					      host, path, hv))
					want = (int)i;
			snprintf(line, sizeof(line), "%s %s", m, path);
			snprintf(hdr, sizeof(hdr), "x-k: %s\r\n", hv);
			got = rt_match(f.t, f.s, listener, line, host,
				       hv ? hdr : NULL);
			mismatches += got != want;
			matched += want >= 0;
			if (got != want && mismatches < 5)
				fprintf(stderr, "%s %s host %s listener %u: "
					"got %d want %d\n", m, path, host,
					listener, got, want);
		}
		fx_free(&f);
	}
	MG_CHECK_EQ(mismatches, 0);
	MG_CHECK(matched > 1000);	/* the tables were not all misses */
}

static void
test_scratch(void)
{
	struct fx f = { .cfg = rt_cfg_new(2) };
	struct mg_route_table *other;
	struct mg_route_scratch *s;
	struct mg_config *cfg2 = rt_cfg_new(1);

	rt_path(&f.cfg->routes[0], MG_PATH_REGEX, "/r[0-9]");
	if (!fx_build(&f))
		return;
	other = rt_build(cfg2);
	s = mg_route_scratch_create(other);
	MG_CHECK_EQ(rt_match(f.t, s, 0, "GET /r1", "h", NULL), -1);
	MG_CHECK_EQ(mg_route_scratch_counters(s)[MG_ROUTE_C_WRONG_SCRATCH], 1);
	MG_CHECK_EQ(rt_match(other, s, 0, "GET /r1", "h", NULL), 0);
	mg_route_scratch_free(s);
	mg_route_table_free(other);
	rt_cfg_free(cfg2);

	/* regex results carry the request number: none leaks into the next
	 * request, across the wrap of the number too */
	MG_CHECK_EQ(rt_match(f.t, f.s, 0, "GET /r1", "h", NULL), 0);
	MG_CHECK_EQ(rt_match(f.t, f.s, 0, "GET /rx", "h", NULL), 1);
	f.s->gen = UINT32_MAX - 1;
	MG_CHECK_EQ(rt_match(f.t, f.s, 0, "GET /r2", "h", NULL), 0);
	MG_CHECK_EQ(rt_match(f.t, f.s, 0, "GET /rx", "h", NULL), 1);
	MG_CHECK_EQ(f.s->gen, 1);
	MG_CHECK_EQ(rt_match(f.t, f.s, 0, "GET /r3", "h", NULL), 0);
	fx_free(&f);

	MG_CHECK(strcmp(mg_route_counter_name(MG_ROUTE_C_NO_ROUTE),
			"NO_ROUTE") == 0);
	MG_CHECK(strcmp(mg_route_counter_name(MG_ROUTE_C_MAX), "?") == 0);
}

static void
test_from_http(void)
{
	struct rt_req q;

	MG_CHECK(!rt_req_make(&q, 1, "GET http://Example.com:8080/p/q?x=1#f",
			      "example.com:8080", NULL));
	MG_CHECK(rt_req_make(&q, 1, "GET http://Example.com:8080/p/q?x=1",
			     "example.com:8080", NULL));
	MG_CHECK_EQ(q.rq.listener_idx, 1);
	MG_CHECK_EQ(q.rq.method, MG_HTTP_M_GET);
	MG_CHECK(q.rq.path.len == 4 && !memcmp(q.rq.path.ptr, "/p/q", 4));
	MG_CHECK(q.rq.query.len == 3 && !memcmp(q.rq.query.ptr, "x=1", 3));
	MG_CHECK(q.rq.host.len == 16 &&
		 !memcmp(q.rq.host.ptr, "Example.com:8080", 16));
	MG_CHECK(rt_req_make(&q, 0, "GET http://h.com?x", "h.com", NULL));
	MG_CHECK(q.rq.path.len == 1 && q.rq.path.ptr[0] == '/');
	MG_CHECK(q.rq.query.len == 1 && q.rq.query.ptr[0] == 'x');
	MG_CHECK(rt_req_make(&q, 0, "GET /a?", "h", NULL));
	MG_CHECK(q.rq.path.len == 2 && q.rq.query.len == 0);
	MG_CHECK(rt_req_make(&q, 0, "OPTIONS *", "h", NULL));
	MG_CHECK(q.rq.path.len == 1 && q.rq.path.ptr[0] == '*');
	MG_CHECK(rt_req_make(&q, 0, "CONNECT h.com:443", "h.com:443", NULL));
	MG_CHECK_EQ(q.rq.path.len, 0);
	MG_CHECK(rt_req_make(&q, 0, "FOO /x", "h", "a: b\r\n"));
	MG_CHECK_EQ(q.rq.method, MG_HTTP_M_OTHER);
	MG_CHECK(q.rq.method_str.len == 3 && !memcmp(q.rq.method_str.ptr,
						     "FOO", 3));
	MG_CHECK_EQ(q.rq.n_headers, 2);
}

int
main(void)
{
	test_hosts();
	test_host_patterns();
	test_paths();
	test_regex_errors();
	test_methods();
	test_headers();
	test_query();
	test_listeners();
	test_precedence();
	test_differential();
	test_scratch();
	test_from_http();
	return mg_test_done("test_route_match");
}
