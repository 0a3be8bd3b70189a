/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a route does: actions, weighted splits, path and host rewrites,
 * header operations and their templates, every build-time rejection,
 * and the query-string helpers.
 */
#include <errno.h>
#include <string.h>

#include "route_test.h"
#include "route_internal.h"	/* white box: compiled template parts */

static struct mg_route_table *
build_one(struct mg_config *cfg)
{
	struct mg_route_table *t = rt_build(cfg);

	MG_CHECK(t != NULL);
	return t;
}

static void
test_actions(void)
{
	struct mg_config *cfg = rt_cfg_new(5);
	struct mg_cfg_route *r = cfg->routes;
	struct mg_route_vars v = { 0 };
	const struct mg_route *rt[5];
	const struct mg_route_direct *d;
	struct mg_route_table *t;
	uint32_t count[4] = { 0 };
	uint64_t seed = 42;
	char buf[128];
	int n;

	rt_cluster(&r[0], 2);
	r[1].cluster_name[0] = '\0';
	r[1].n_splits = 2;
	strcpy(r[1].splits[0].cluster_name, "c1");
	r[1].splits[0].cluster_idx = 1;
	r[1].splits[0].weight = 1;
	strcpy(r[1].splits[1].cluster_name, "c3");
	r[1].splits[1].cluster_idx = 3;
	r[1].splits[1].weight = 3;
	r[2].cluster_name[0] = '\0';
	r[2].direct.status = 503;
	strcpy(r[2].direct.body, "{\"down\":true}");
	strcpy(r[2].direct.content_type, "application/json");
	r[3].cluster_name[0] = '\0';
	r[3].redirect.status = 308;
	strcpy(r[3].redirect.location, "https://%{host}%{path}");
	r[4].cluster_name[0] = '\0';
	r[4].n_splits = 2;
	strcpy(r[4].splits[0].cluster_name, "c0");
	r[4].splits[0].weight = 0;	/* a canary turned off */
	strcpy(r[4].splits[1].cluster_name, "c1");
	r[4].splits[1].cluster_idx = 1;
	r[4].splits[1].weight = 5;
	t = build_one(cfg);
	if (t == NULL)
		return;
	MG_CHECK_EQ(mg_route_table_count(t), 5);
	MG_CHECK(mg_route_table_get(t, 5) == NULL);
	for (uint32_t i = 0; i < 5; i++) {
		rt[i] = mg_route_table_get(t, i);
		MG_CHECK_EQ(mg_route_index(rt[i]), i);
		MG_CHECK(strcmp(mg_route_name(rt[i]), r[i].name) == 0);
	}
	MG_CHECK_EQ(mg_route_action(rt[0]), MG_ROUTE_FORWARD);
	MG_CHECK_EQ(mg_route_cluster(rt[0], 12345), 2);
	MG_CHECK(mg_route_direct(rt[0]) == NULL);
	MG_CHECK_EQ(mg_route_redirect_status(rt[0]), 0);
	MG_CHECK_EQ(mg_route_redirect_location(rt[0], &v, buf, sizeof(buf)),
		    -ENOENT);

	/* 1:3 over 10,000 fixed-seed picks: 2,500 expected for c1 */
	MG_CHECK_EQ(mg_route_action(rt[1]), MG_ROUTE_FORWARD);
	for (int i = 0; i < 10000; i++)
		count[mg_route_cluster(rt[1], (uint32_t)rt_rand(&seed))]++;
	MG_CHECK(count[1] > 2200 && count[1] < 2800);
	MG_CHECK_EQ(count[1] + count[3], 10000);
	MG_CHECK_EQ(mg_route_cluster(rt[1], 0), 1);
	MG_CHECK_EQ(mg_route_cluster(rt[1], UINT32_MAX / 4 - 1), 1);
	MG_CHECK_EQ(mg_route_cluster(rt[1], UINT32_MAX / 4 + 2), 3);
	MG_CHECK_EQ(mg_route_cluster(rt[1], UINT32_MAX), 3);
	for (int i = 0; i < 1000; i++)
		MG_CHECK_EQ(mg_route_cluster(rt[4], (uint32_t)rt_rand(&seed)),
			    1);
	MG_CHECK_EQ(mg_route_cluster(rt[4], 0), 1);

	MG_CHECK_EQ(mg_route_action(rt[2]), MG_ROUTE_DIRECT);
	MG_CHECK_EQ(mg_route_cluster(rt[2], 0), MG_ROUTE_NO_CLUSTER);
	d = mg_route_direct(rt[2]);
	MG_CHECK(d != NULL && d->status == 503);
	MG_CHECK(d && d->body.len == 13 && !memcmp(d->body.ptr, "{\"down\"", 7));
	MG_CHECK(d && d->content_type.len == 16);

	MG_CHECK_EQ(mg_route_action(rt[3]), MG_ROUTE_REDIRECT);
	MG_CHECK_EQ(mg_route_redirect_status(rt[3]), 308);
	v.v[MG_HTTP_VAR_host] = (struct mg_route_slice){ "a.example.com", 13 };
	v.v[MG_HTTP_VAR_path] = (struct mg_route_slice){ "/x/y", 4 };
	n = mg_route_redirect_location(rt[3], &v, buf, sizeof(buf));
	MG_CHECK_EQ(n, 25);
	MG_CHECK(n == 25 && !memcmp(buf, "https://a.example.com/x/y", 25));
	mg_route_table_free(t);
	rt_cfg_free(cfg);
}

/* The rewritten target as a string, or "E<errno>" / "none". */
static const char *
rw(const struct mg_route *r, const char *path, const char *query,
   size_t cap)
{
	static char out[300];
	char buf[256];
	struct mg_route_slice p = { path, (uint32_t)strlen(path) };
	struct mg_route_slice q = { query, query ? (uint32_t)strlen(query) : 0 };
	int n;

	memset(buf, '#', sizeof(buf));
	n = mg_route_rewrite_path(r, p, q, buf, cap);
	if (cap < sizeof(buf) && buf[cap] != '#')
		return "OVERRUN";
	if (n < 0)
		snprintf(out, sizeof(out), "E%d", -n);
	else if (n == 0)
		snprintf(out, sizeof(out), "none");
	else
		snprintf(out, sizeof(out), "%.*s", n, buf);
	return out;
}

#define CHECK_STR(got, want) do {					\
	const char *g_ = (got);						\
	mg_test_checks++;						\
	if (strcmp(g_, (want)) != 0) {					\
		mg_test_failures++;					\
		fprintf(stderr, "%s:%d: got \"%s\", want \"%s\"\n",	\
			__FILE__, __LINE__, g_, (want));		\
	}								\
} while (0)

static void
test_rewrites(void)
{
	struct mg_config *cfg = rt_cfg_new(6);
	struct mg_cfg_route *r = cfg->routes;
	const struct mg_route *rt[6];
	struct mg_route_table *t;
	struct mg_route_slice h;

	rt_path(&r[0], MG_PATH_PREFIX, "/api");
	strcpy(r[0].prefix_rewrite, "/");
	rt_path(&r[1], MG_PATH_PREFIX, "/api/");
	strcpy(r[1].prefix_rewrite, "/v2");
	rt_path(&r[2], MG_PATH_PREFIX, "/old");
	strcpy(r[2].prefix_rewrite, "/new/");
	rt_path(&r[3], MG_PATH_PREFIX, "/p");
	strcpy(r[3].path_rewrite, "/fixed");
	rt_path(&r[4], MG_PATH_EXACT, "/e");
	strcpy(r[4].prefix_rewrite, "/f");
	strcpy(r[5].host_rewrite, "backend.internal:8080");
	t = build_one(cfg);
	if (t == NULL)
		return;
	for (uint32_t i = 0; i < 6; i++)
		rt[i] = mg_route_table_get(t, i);
	CHECK_STR(rw(rt[0], "/api/x", NULL, 256), "/x");
	CHECK_STR(rw(rt[0], "/api", NULL, 256), "/");
	CHECK_STR(rw(rt[0], "/apix", NULL, 256), "/x");
	CHECK_STR(rw(rt[0], "/api/x", "q=1&r", 256), "/x?q=1&r");
	CHECK_STR(rw(rt[0], "/api//x", NULL, 256), "//x");
	CHECK_STR(rw(rt[1], "/api/x", NULL, 256), "/v2x");
	CHECK_STR(rw(rt[1], "/api/", NULL, 256), "/v2");
	CHECK_STR(rw(rt[2], "/old/a", NULL, 256), "/new/a");
	CHECK_STR(rw(rt[2], "/old", NULL, 256), "/new/");
	CHECK_STR(rw(rt[2], "/oldx", NULL, 256), "/new/x");
	CHECK_STR(rw(rt[3], "/p/anything", "z", 256), "/fixed?z");
	CHECK_STR(rw(rt[3], "/p", NULL, 256), "/fixed");
	CHECK_STR(rw(rt[4], "/e", "k=v", 256), "/f?k=v");
	CHECK_STR(rw(rt[5], "/e", "k=v", 256), "none");
	/* bounded: nothing written past cap, exact fit allowed */
	CHECK_STR(rw(rt[0], "/api/xyz", NULL, 3), "E28");
	CHECK_STR(rw(rt[0], "/api/xyz", NULL, 4), "/xyz");
	CHECK_STR(rw(rt[0], "/api/xyz", "abc", 7), "E28");
	CHECK_STR(rw(rt[0], "/api/xyz", "abc", 8), "/xyz?abc");
	CHECK_STR(rw(rt[0], "/other", NULL, 256), "E22");
	CHECK_STR(rw(rt[0], "/ap", NULL, 256), "E22");
	h = mg_route_host_rewrite(rt[5]);
	MG_CHECK(h.len == 21 && !memcmp(h.ptr, "backend.internal:8080", 21));
	MG_CHECK_EQ(mg_route_host_rewrite(rt[0]).len, 0);
	mg_route_table_free(t);

	/* rewrites the table refuses */
	rt_cfg_free(cfg);
	cfg = rt_cfg_new(1);
	r = cfg->routes;
	rt_path(r, MG_PATH_REGEX, "/x/.*");
	strcpy(r->prefix_rewrite, "/");
	MG_CHECK(rt_build_fails(cfg, "has a prefix_rewrite but no path prefix"));
	rt_path(r, MG_PATH_PREFIX, "/x");
	strcpy(r->path_rewrite, "/y");
	MG_CHECK(rt_build_fails(cfg, "both prefix_rewrite and path_rewrite"));
	r->prefix_rewrite[0] = '\0';
	strcpy(r->path_rewrite, "y");
	MG_CHECK(rt_build_fails(cfg, "does not start with '/'"));
	strcpy(r->path_rewrite, "/y");
	r->cluster_name[0] = '\0';
	r->direct.status = 200;
	MG_CHECK(rt_build_fails(cfg, "rewrites a request it answers itself"));
	r->direct.status = 0;
	rt_cluster(r, 1);
	r->path_rewrite[0] = '\0';
	strcpy(r->host_rewrite, "a b");
	MG_CHECK(rt_build_fails(cfg, "is not a host[:port]"));
	rt_cfg_free(cfg);
}

static int
expand(const struct mg_route_template *tp, const struct mg_route_vars *v,
       char *buf, size_t cap)
{
	memset(buf, '#', 64);
	return mg_route_template_expand(tp, v, buf, cap);
}

static const char *const bad_values[][2] = {
	{ "%{nope}", "header value \"%{nope}\" has an unknown variable "
	  "%{nope} (expected one of: client_address, client_port" },
	{ "x %{host", "without its '}'" },
	{ "a\x01z", "control character" },
	{ "a\r\nb: c", "control character" },
	{ "%{Host}", "unknown variable %{Host}" },
};
static const char *const bad_names[][2] = {
	{ "Content-Length", "the proxy manages" },
	{ "host", "use host_rewrite" },
	{ "bad name", "not an HTTP token" },
};

static void
test_templates(void)
{
	struct mg_config *cfg = rt_cfg_new(1);
	struct mg_cfg_header_ops *req = &cfg->routes[0].request_headers;
	struct mg_cfg_header_ops *resp = &cfg->routes[0].response_headers;
	const struct mg_route_header_ops *ops;
	const struct mg_route_template *tp;
	struct mg_route_vars v = { 0 };
	struct mg_route_table *t;
	char buf[64];
	int n;

	req->n_remove = 1;
	strcpy(req->remove[0], "X-Internal");
	req->n_set = 1;
	strcpy(req->set[0].name, "x-route");
	strcpy(req->set[0].value, "%{route}");
	req->n_add = 2;
	strcpy(req->add[0].name, "x-client");
	strcpy(req->add[0].value, "%{client_address}:%{client_port}");
	strcpy(req->add[1].name, "x-plain");
	strcpy(req->add[1].value, "100%% %d %{ %x");
	resp->n_add = 1;
	strcpy(resp->add[0].name, "host");	/* allowed on responses */
	strcpy(resp->add[0].value, "%{host}");
	/* "%{" always opens a variable: write "%%{" for the text */
	MG_CHECK(rt_build_fails(cfg, "has a \"%{\" without its '}'"));
	strcpy(req->add[1].value, "100%% %d %%{host} a%%%%b");
	t = build_one(cfg);
	if (t == NULL)
		return;
	ops = mg_route_header_ops(mg_route_table_get(t, 0), MG_ROUTE_REQUEST);
	MG_CHECK_EQ(ops->n_remove, 1);
	MG_CHECK_EQ(ops->n_set, 1);
	MG_CHECK_EQ(ops->n_add, 2);
	MG_CHECK(ops->remove[0].name.len == 10 && ops->remove[0].value == NULL);
	MG_CHECK(!memcmp(ops->set[0].name.ptr, "x-route", 7));
	v.v[MG_HTTP_VAR_route] = (struct mg_route_slice){ "r0", 2 };
	v.v[MG_HTTP_VAR_client_address] =
		(struct mg_route_slice){ "192.0.2.1", 9 };
	v.v[MG_HTTP_VAR_client_port] = (struct mg_route_slice){ "5555", 4 };
	n = expand(ops->set[0].value, &v, buf, sizeof(buf));
	MG_CHECK(n == 2 && !memcmp(buf, "r0", 2));
	tp = ops->add[0].value;
	MG_CHECK_EQ(tp->n_parts, 3);
	n = expand(tp, &v, buf, sizeof(buf));
	MG_CHECK(n == 14 && !memcmp(buf, "192.0.2.1:5555", 14));
	/* bounded: exact fit, one short, nothing written past cap */
	MG_CHECK_EQ(expand(tp, &v, buf, 14), 14);
	MG_CHECK_EQ(expand(tp, &v, buf, 13), -ENOSPC);
	MG_CHECK(buf[13] == '#');
	MG_CHECK_EQ(expand(tp, &v, buf, 5), -ENOSPC);
	MG_CHECK(buf[5] == '#');
	MG_CHECK_EQ(expand(tp, &v, buf, 0), -ENOSPC);
	/* empty variables and no variables at all */
	v.v[MG_HTTP_VAR_client_port] = (struct mg_route_slice){ NULL, 0 };
	n = expand(tp, &v, buf, sizeof(buf));
	MG_CHECK(n == 10 && !memcmp(buf, "192.0.2.1:", 10));
	MG_CHECK_EQ(expand(tp, NULL, buf, sizeof(buf)), 1);
	/* a value that would split the header */
	v.v[MG_HTTP_VAR_client_port] = (struct mg_route_slice){ "1\r\nX: y", 7 };
	MG_CHECK_EQ(expand(tp, &v, buf, sizeof(buf)), -EINVAL);
	v.v[MG_HTTP_VAR_client_port] = (struct mg_route_slice){ "1\0", 2 };
	MG_CHECK_EQ(expand(tp, &v, buf, sizeof(buf)), -EINVAL);
	/* "%%" is one '%', other '%' stand for themselves */
	tp = ops->add[1].value;
	MG_CHECK_EQ(tp->n_parts, 1);
	n = expand(tp, &v, buf, sizeof(buf));
	MG_CHECK(n == 20 && !memcmp(buf, "100% %d %{host} a%%b", 20));
	ops = mg_route_header_ops(mg_route_table_get(t, 0), MG_ROUTE_RESPONSE);
	MG_CHECK_EQ(ops->n_add, 1);
	MG_CHECK_EQ(ops->n_set + ops->n_remove, 0);
	mg_route_table_free(t);

	/* rejected when the table is built: values, then names */
	req->n_add = 1;
	for (size_t i = 0; i < sizeof(bad_values) / sizeof(bad_values[0]); i++) {
		strcpy(req->add[0].value, bad_values[i][0]);
		MG_CHECK(rt_build_fails(cfg, bad_values[i][1]));
	}
	strcpy(req->add[0].value, "ok");
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		strcpy(req->add[0].name, bad_names[i][0]);
		MG_CHECK(rt_build_fails(cfg, bad_names[i][1]));
	}
	strcpy(req->add[0].name, "x-ok");
	strcpy(req->remove[0], "transfer-encoding");
	MG_CHECK(rt_build_fails(cfg, "the proxy manages"));
	strcpy(req->remove[0], "x-gone");
	req->n_set = 5;
	MG_CHECK(rt_build_fails(cfg, "header operations"));
	req->n_set = 1;
	cfg->routes[0].cluster_name[0] = '\0';
	cfg->routes[0].redirect.status = 302;
	strcpy(cfg->routes[0].redirect.location, "https://x/%{pth}");
	MG_CHECK(rt_build_fails(cfg, "redirect location \"https://x/%{pth}\" "
				"has an unknown variable"));
	rt_cfg_free(cfg);
}

static void
test_build_errors(void)
{
	struct mg_config *cfg = rt_cfg_new(3);
	struct mg_cfg_route *r = &cfg->routes[2];
	struct mg_route_table *t;

	r->cluster_name[0] = '\0';
	MG_CHECK(rt_build_fails(cfg, "route 'r2' (line 12): has no action"));
	rt_cluster(r, 1);
	r->direct.status = 200;
	MG_CHECK(rt_build_fails(cfg, "more than one action"));
	r->direct.status = 0;
	r->cluster_idx = 0;		/* the loader did not resolve it */
	MG_CHECK(rt_build_fails(cfg, "cluster 'c1' is not resolved"));
	strcpy(r->cluster_name, "zz");
	r->cluster_idx = 9;
	MG_CHECK(rt_build_fails(cfg, "cluster 'zz' is not resolved"));
	r->cluster_name[0] = '\0';
	r->n_splits = 2;
	strcpy(r->splits[0].cluster_name, "c0");
	strcpy(r->splits[1].cluster_name, "c1");
	r->splits[1].cluster_idx = 1;
	MG_CHECK(rt_build_fails(cfg, "split weights are all 0"));
	r->splits[0].weight = UINT32_MAX;
	r->splits[1].weight = 1;
	MG_CHECK(rt_build_fails(cfg, "add up to more than"));
	r->splits[1].cluster_idx = 2;
	MG_CHECK(rt_build_fails(cfg, "cluster 'c1' is not resolved"));
	r->n_splits = 9;
	MG_CHECK(rt_build_fails(cfg, "has 9 splits"));
	r->n_splits = 0;
	r->direct.status = 99;
	MG_CHECK(rt_build_fails(cfg, "status 99 (expected 200..599)"));
	r->direct.status = 0;
	r->redirect.status = 300;
	MG_CHECK(rt_build_fails(cfg, "redirect status 300"));
	r->redirect.status = 301;
	MG_CHECK(rt_build_fails(cfg, "redirect without a location"));
	r->redirect.status = 0;
	rt_cluster(r, 0);
	strcpy(r->name, "r1");
	MG_CHECK(rt_build_fails(cfg, "route 'r1' (line 12): has the name of an "
				"earlier route"));
	r->name[0] = '\0';
	MG_CHECK(rt_build_fails(cfg, "has no name"));
	memset(r->name, 'n', sizeof(r->name));	/* no NUL */
	MG_CHECK(rt_build_fails(cfg, "has no name"));
	strcpy(r->name, "r2");
	rt_path(r, MG_PATH_EXACT, "x");
	MG_CHECK(rt_build_fails(cfg, "path \"x\" does not start with '/'"));
	rt_path(r, (enum mg_path_match)7, "/x");
	MG_CHECK(rt_build_fails(cfg, "path type 7"));
	rt_path(r, MG_PATH_REGEX, "");
	MG_CHECK(rt_build_fails(cfg, "empty path regex"));
	rt_path(r, MG_PATH_ANY, "");
	r->n_hosts = 9;
	MG_CHECK(rt_build_fails(cfg, "has 9 hosts"));
	r->n_hosts = 0;
	r->n_headers = 1;
	rt_cond(&r->headers[0], "x", (enum mg_value_match)9, "v", false);
	MG_CHECK(rt_build_fails(cfg, "match type 9"));
	rt_cond(&r->headers[0], "", MG_VALUE_PRESENT, "", false);
	MG_CHECK(rt_build_fails(cfg, "header condition without a name"));
	rt_cond(&r->headers[0], "a:b", MG_VALUE_PRESENT, "", false);
	MG_CHECK(rt_build_fails(cfg, "is not an HTTP token"));
	r->n_headers = 5;
	MG_CHECK(rt_build_fails(cfg, "expected at most 4 each"));
	r->n_headers = 0;
	r->n_methods = 9;
	MG_CHECK(rt_build_fails(cfg, "has 9 methods"));
	r->n_methods = 0;

	/* fixed again, it builds */
	t = rt_build(cfg);
	MG_CHECK(t != NULL);
	mg_route_table_free(t);
	cfg->n_routes = MG_MAX_ROUTES + 1;
	MG_CHECK(rt_build_fails(cfg, "expected at most"));
	cfg->n_routes = 3;

	/* no routes at all: a table where nothing matches */
	cfg->n_routes = 0;
	t = rt_build(cfg);
	MG_CHECK(t != NULL);
	if (t != NULL) {
		struct mg_route_scratch *s = mg_route_scratch_create(t);

		MG_CHECK_EQ(rt_match(t, s, 0, "GET /", "h", NULL), -1);
		mg_route_scratch_free(s);
		mg_route_table_free(t);
	}
	rt_cfg_free(cfg);
	mg_route_table_free(NULL);
	mg_route_scratch_free(NULL);
}

static void
test_query_helpers(void)
{
	struct mg_route_slice q = { "a=1&&b&c=&=d&", 13 }, n, v;
	static const char *const want[][2] = {
		{ "a", "1" }, { "b", "" }, { "c", "" }, { "", "d" },
	};
	uint32_t pos = 0, k = 0;
	char buf[32];
	int len;

	while (mg_route_query_next(q, &pos, &n, &v)) {
		MG_CHECK(k < 4);
		if (k >= 4)
			break;
		MG_CHECK(n.len == strlen(want[k][0]) &&
			 !memcmp(n.ptr, want[k][0], n.len));
		MG_CHECK(v.len == strlen(want[k][1]) &&
			 !memcmp(v.ptr, want[k][1], v.len));
		k++;
	}
	MG_CHECK_EQ(k, 4);
	MG_CHECK_EQ(mg_route_query_next(q, &pos, &n, &v), 0);
	q = (struct mg_route_slice){ "x=1&y=2&y=3", 11 };
	MG_CHECK_EQ(mg_route_query_find(q, "y", 1, &v), 1);
	MG_CHECK(v.len == 1 && v.ptr[0] == '2');
	MG_CHECK_EQ(mg_route_query_find(q, "z", 1, &v), 0);
	MG_CHECK_EQ(mg_route_query_find(q, "x=", 2, &v), 0);
	q = (struct mg_route_slice){ "", 0 };
	MG_CHECK_EQ(mg_route_query_find(q, "", 0, &v), 0);

	len = mg_route_query_decode("a%20b+c%2Fd%zz%4", 16, buf, sizeof(buf));
	MG_CHECK(len == 12 && !memcmp(buf, "a b c/d%zz%4", 12));
	len = mg_route_query_decode("%41%6a%6A%", 10, buf, sizeof(buf));
	MG_CHECK(len == 4 && !memcmp(buf, "Ajj%", 4));
	len = mg_route_query_decode("%00", 3, buf, sizeof(buf));
	MG_CHECK(len == 1 && buf[0] == '\0');
	MG_CHECK_EQ(mg_route_query_decode("abc", 3, buf, 2), -ENOSPC);
	MG_CHECK_EQ(mg_route_query_decode("a%41", 4, buf, 2), 2);
	MG_CHECK_EQ(mg_route_query_decode("", 0, buf, 0), 0);
}

int
main(void)
{
	test_actions();
	test_rewrites();
	test_templates();
	test_build_errors();
	test_query_helpers();
	return mg_test_done("test_route_action");
}
