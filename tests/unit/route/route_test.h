/* SPDX-License-Identifier: Apache-2.0 */
#ifndef ROUTE_TEST_H
#define ROUTE_TEST_H

/*
 * Helpers of the route tests: a configuration made in C (listeners
 * "web" and "api" in mode http, "l4" in mode tcp; clusters c0..c3), and
 * requests written as HTTP text, parsed by lib/http and handed to the
 * matcher through mg_route_request_from_http(), as the proxy does.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>

#include "mg_test.h"
#include "mg_route.h"

#define RT_HTTP_LISTENERS 0x3ull	/* web, api */

static inline struct mg_config *
rt_cfg_new(uint32_t n_routes)
{
	struct mg_config *cfg = calloc(1, sizeof(*cfg));
	static const char *const listeners[] = { "web", "api", "l4" };

	cfg->n_listeners = 3;
	for (uint32_t i = 0; i < 3; i++) {
		snprintf(cfg->listeners[i].name, MG_NAME_MAX, "%s",
			 listeners[i]);
		cfg->listeners[i].mode = i < 2 ? MG_MODE_HTTP : MG_MODE_TCP;
	}
	cfg->n_clusters = 4;
	for (uint32_t i = 0; i < 4; i++)
		snprintf(cfg->clusters[i].name, MG_NAME_MAX, "c%u", i);
	cfg->n_routes = n_routes;
	cfg->routes = calloc(n_routes ? n_routes : 1, sizeof(*cfg->routes));
	for (uint32_t i = 0; i < n_routes; i++) {
		struct mg_cfg_route *r = &cfg->routes[i];

		snprintf(r->name, MG_NAME_MAX, "r%u", i);
		r->line = (int)i + 10;
		r->listener_mask = RT_HTTP_LISTENERS;
		snprintf(r->cluster_name, MG_NAME_MAX, "c0");
	}
	return cfg;
}

static inline void
rt_cfg_free(struct mg_config *cfg)
{
	free(cfg->routes);
	free(cfg);
}

/* Up to MG_MAX_ROUTE_HOSTS hosts, NULL-terminated. */
static inline void
rt_hosts(struct mg_cfg_route *r, ...)
{
	va_list ap;
	const char *h;

	va_start(ap, r);
	r->n_hosts = 0;
	while ((h = va_arg(ap, const char *)) != NULL)
		snprintf(r->hosts[r->n_hosts++], MG_HOST_MAX, "%s", h);
	va_end(ap);
}

static inline void
rt_path(struct mg_cfg_route *r, enum mg_path_match type, const char *path)
{
	r->path_type = type;
	snprintf(r->path, MG_URI_MAX, "%s", path);
}

static inline void
rt_cond(struct mg_cfg_kv_match *kv, const char *name, enum mg_value_match t,
	const char *value, bool invert)
{
	snprintf(kv->name, MG_HDR_NAME_MAX, "%s", name);
	snprintf(kv->value, MG_HDR_VALUE_MAX, "%s", value ? value : "");
	kv->type = t;
	kv->invert = invert;
}

static inline void
rt_cluster(struct mg_cfg_route *r, uint32_t idx)
{
	snprintf(r->cluster_name, MG_NAME_MAX, "c%u", idx);
	r->cluster_idx = idx;
}

static char rt_err[512];

/* Build, printing why when it fails. */
static inline struct mg_route_table *
rt_build(const struct mg_config *cfg)
{
	struct mg_route_table *t = mg_route_table_create(cfg, rt_err,
							 sizeof(rt_err));

	if (t == NULL)
		fprintf(stderr, "build failed: %s\n", rt_err);
	return t;
}

/* Build must fail with EINVAL and a message containing @p what. */
static inline bool
rt_build_fails(const struct mg_config *cfg, const char *what)
{
	struct mg_route_table *t = mg_route_table_create(cfg, rt_err,
							 sizeof(rt_err));

	if (t != NULL) {
		mg_route_table_free(t);
		fprintf(stderr, "build did not fail (expected \"%s\")\n", what);
		return false;
	}
	if (rte_errno != EINVAL || strstr(rt_err, what) == NULL) {
		fprintf(stderr, "build failed with \"%s\" (errno %d), expected "
			"\"%s\"\n", rt_err, rte_errno, what);
		return false;
	}
	return true;
}

struct rt_req {
	char buf[4096];
	struct mg_http_header h[32];
	struct mg_http_msg msg;
	struct mg_route_request rq;
};

/*
 * Parse "METHOD TARGET" with optional Host (NULL: HTTP/1.0 without one)
 * and extra header lines ("a: b\r\nc: d\r\n"). Returns false when lib/http
 * refuses the head.
 */
static inline bool
rt_req_make(struct rt_req *q, uint32_t listener, const char *line,
	    const char *host, const char *hdrs)
{
	int n;

	if (host != NULL)
		n = snprintf(q->buf, sizeof(q->buf),
			     "%s HTTP/1.1\r\nHost: %s\r\n%s\r\n", line, host,
			     hdrs ? hdrs : "");
	else
		n = snprintf(q->buf, sizeof(q->buf), "%s HTTP/1.0\r\n%s\r\n",
			     line, hdrs ? hdrs : "");
	mg_http_request_init(&q->msg, q->h, 32, NULL);
	if (mg_http_request_parse(&q->msg, q->buf, (size_t)n) != MG_HTTP_OK)
		return false;
	mg_route_request_from_http(&q->rq, &q->msg, q->buf, listener);
	return true;
}

/* The index of the route serving the request, -1 for none, -2 when the
 * request is not valid HTTP. */
static inline int
rt_match(const struct mg_route_table *t, struct mg_route_scratch *s,
	 uint32_t listener, const char *line, const char *host,
	 const char *hdrs)
{
	static struct rt_req q;
	const struct mg_route *r;

	if (!rt_req_make(&q, listener, line, host, hdrs))
		return -2;
	r = mg_route_match(t, &q.rq, s);
	return r != NULL ? (int)mg_route_index(r) : -1;
}

/*
 * As rt_match(), with a Host lib/http would refuse (lib/route's own checks
 * are the second line of defence): the request is parsed with a valid
 * Host, then its host slice is pointed at @p raw_host.
 */
static inline int
rt_match_raw_host(const struct mg_route_table *t, struct mg_route_scratch *s,
		  uint32_t listener, const char *line, const char *raw_host)
{
	static struct rt_req q;
	const struct mg_route *r;

	if (!rt_req_make(&q, listener, line, "placeholder.invalid", NULL))
		return -2;
	q.rq.host.ptr = raw_host;
	q.rq.host.len = (uint32_t)strlen(raw_host);
	r = mg_route_match(t, &q.rq, s);
	return r != NULL ? (int)mg_route_index(r) : -1;
}

/* xorshift64*: a fixed PRNG, so that runs repeat. */
static inline uint64_t
rt_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dull;
}

#endif /* ROUTE_TEST_H */
