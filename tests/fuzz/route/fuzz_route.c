/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The route matcher on arbitrary requests, over a fixed table that has
 * every kind of condition and action.
 *
 * Input: byte 0 picks the mode, the listener and the method; bytes 1..4
 * are the split's random value; byte 5 the output buffer size. The rest
 * is either an HTTP request head (mode bit 0x80: parsed by lib/http and
 * handed over with mg_route_request_from_http(), as the proxy does) or
 * '\n'-separated fields: method, host, path, query, then header lines
 * "name:value". Each field is copied into a buffer of exactly its size,
 * so that ASan sees any read past it. Whatever matches, the route's
 * rewrites, templates and split are exercised with a small buffer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mg_route.h"

#define FZ_MAXH 16

static struct mg_route_table *table;
static struct mg_route_scratch *scratch;

static void
route(struct mg_cfg_route *r, uint32_t i, const char *host,
      enum mg_path_match pt, const char *path)
{
	snprintf(r->name, MG_NAME_MAX, "r%u", i);
	r->listener_mask = 0x3;
	snprintf(r->cluster_name, MG_NAME_MAX, "c%u", i % 3);
	r->cluster_idx = i % 3;
	if (host != NULL) {
		r->n_hosts = 1;
		snprintf(r->hosts[0], MG_HOST_MAX, "%s", host);
	}
	r->path_type = pt;
	snprintf(r->path, MG_URI_MAX, "%s", path);
}

static void
kv(struct mg_cfg_kv_match *m, const char *name, enum mg_value_match t,
   const char *value, bool invert)
{
	snprintf(m->name, MG_HDR_NAME_MAX, "%s", name);
	snprintf(m->value, MG_HDR_VALUE_MAX, "%s", value);
	m->type = t;
	m->invert = invert;
}

static void
op(struct mg_cfg_header_op *o, const char *name, const char *value)
{
	snprintf(o->name, MG_HDR_NAME_MAX, "%s", name);
	snprintf(o->value, MG_HDR_VALUE_MAX, "%s", value);
}

static int
setup(void)
{
	static struct mg_cfg_route r[16];
	static struct mg_config cfg;
	char err[256];

	cfg.n_listeners = 3;
	cfg.listeners[0].mode = MG_MODE_HTTP;
	cfg.listeners[1].mode = MG_MODE_HTTP;
	cfg.n_clusters = 3;
	for (int i = 0; i < 3; i++)
		snprintf(cfg.clusters[i].name, MG_NAME_MAX, "c%d", i);
	route(&r[0], 0, "api.example.com", MG_PATH_EXACT, "/exact");
	route(&r[1], 1, "*.example.com", MG_PATH_PREFIX, "/api/");
	strcpy(r[1].prefix_rewrite, "/");
	op(&r[1].request_headers.set[r[1].request_headers.n_set++],
	   "x-route", "%{route}@%{host}%{path}");
	route(&r[2], 2, "[::1]", MG_PATH_REGEX, "/items/[0-9]+(/.*)?");
	r[2].n_methods = 2;
	strcpy(r[2].methods[0], "GET");
	strcpy(r[2].methods[1], "PURGE");
	route(&r[3], 3, "*.b.example.org", MG_PATH_PREFIX, "/v");
	kv(&r[3].headers[r[3].n_headers++], "x-env", MG_VALUE_EXACT, "prod",
	   false);
	kv(&r[3].headers[r[3].n_headers++], "x-ver", MG_VALUE_REGEX,
	   "v[0-9]+", true);
	route(&r[4], 4, NULL, MG_PATH_PREFIX, "/q");
	kv(&r[4].query[r[4].n_query++], "a", MG_VALUE_EXACT, "1", false);
	kv(&r[4].query[r[4].n_query++], "id", MG_VALUE_REGEX, "[0-9]{1,6}",
	   false);
	route(&r[5], 5, NULL, MG_PATH_PREFIX, "/q");
	kv(&r[5].query[r[5].n_query++], "debug", MG_VALUE_PRESENT, "", true);
	kv(&r[5].headers[r[5].n_headers++], "cookie", MG_VALUE_REGEX,
	   ".*session=[a-f0-9]+.*", false);
	route(&r[6], 6, "redirect.example.com", MG_PATH_ANY, "");
	r[6].cluster_name[0] = '\0';
	r[6].redirect.status = 301;
	strcpy(r[6].redirect.location, "https://%{host}%{path}?from=%%{x}");
	route(&r[7], 7, NULL, MG_PATH_EXACT, "/down");
	r[7].cluster_name[0] = '\0';
	r[7].direct.status = 503;
	strcpy(r[7].direct.body, "down");
	route(&r[8], 8, NULL, MG_PATH_PREFIX, "/canary");
	r[8].cluster_name[0] = '\0';
	r[8].n_splits = 2;
	strcpy(r[8].splits[0].cluster_name, "c0");
	r[8].splits[0].weight = 95;
	strcpy(r[8].splits[1].cluster_name, "c1");
	r[8].splits[1].cluster_idx = 1;
	r[8].splits[1].weight = 5;
	strcpy(r[8].path_rewrite, "/stable");
	route(&r[9], 9, "*.example.com", MG_PATH_REGEX, "/re/.*");
	r[9].listener_mask = 0x2;
	strcpy(r[9].host_rewrite, "internal:8080");
	op(&r[9].response_headers.add[r[9].response_headers.n_add++], "x-cl",
	   "%{client_address}:%{client_port} %{request_id}");
	strcpy(r[9].response_headers.remove[r[9].response_headers.n_remove++],
	       "server");
	route(&r[10], 10, NULL, MG_PATH_REGEX, "/re/[a-z]+");
	route(&r[11], 11, NULL, MG_PATH_PREFIX, "/");
	r[11].n_methods = 1;
	strcpy(r[11].methods[0], "POST");
	route(&r[12], 12, NULL, MG_PATH_ANY, "");
	cfg.n_routes = 13;
	cfg.routes = r;
	table = mg_route_table_create(&cfg, err, sizeof(err));
	scratch = table ? mg_route_scratch_create(table) : NULL;
	if (scratch == NULL)
		__builtin_trap();
	return 0;
}

/* A copy of p[0..n) of exactly that size (freed by the caller). */
static struct mg_route_slice
dup_field(const uint8_t *p, size_t n)
{
	char *c = malloc(n ? n : 1);

	memcpy(c, p, n);
	return (struct mg_route_slice){ c, (uint32_t)n };
}

/* The next '\n'-terminated field of data[*pos..size). */
static struct mg_route_slice
next_field(const uint8_t *data, size_t size, size_t *pos)
{
	const uint8_t *s = data + *pos, *e;
	size_t n = size - *pos;

	e = memchr(s, '\n', n);
	if (e != NULL)
		n = (size_t)(e - s);
	*pos += n + (e != NULL);
	return dup_field(s, n);
}

static void
exercise(const struct mg_route *r, const struct mg_route_request *rq,
	 uint32_t rnd, size_t cap)
{
	const struct mg_route_header_ops *ops;
	struct mg_route_vars v = { 0 };
	char *buf = malloc(cap ? cap : 1);
	uint32_t c;
	int n;

	if (mg_route_index(r) >= mg_route_table_count(table) ||
	    mg_route_table_get(table, mg_route_index(r)) != r)
		__builtin_trap();
	c = mg_route_cluster(r, rnd);
	if (c != MG_ROUTE_NO_CLUSTER && c >= 3)
		__builtin_trap();
	n = mg_route_rewrite_path(r, rq->path, rq->query, buf, cap);
	if (n > (int)cap)
		__builtin_trap();
	v.v[MG_HTTP_VAR_host] = rq->host;
	v.v[MG_HTTP_VAR_path] = rq->path;
	v.v[MG_HTTP_VAR_method] = rq->method_str;
	v.v[MG_HTTP_VAR_route] = (struct mg_route_slice){
		mg_route_name(r), (uint32_t)strlen(mg_route_name(r)) };
	v.v[MG_HTTP_VAR_request_id] = rq->query;
	n = mg_route_redirect_location(r, &v, buf, cap);
	if (n > (int)cap)
		__builtin_trap();
	for (int side = 0; side < 2; side++) {
		ops = mg_route_header_ops(r, (enum mg_route_side)side);
		for (uint32_t i = 0; i < ops->n_set; i++)
			if (mg_route_template_expand(ops->set[i].value, &v, buf,
						     cap) > (int)cap)
				__builtin_trap();
		for (uint32_t i = 0; i < ops->n_add; i++)
			if (mg_route_template_expand(ops->add[i].value, &v, buf,
						     cap) > (int)cap)
				__builtin_trap();
	}
	if (mg_route_query_decode(rq->query.ptr, rq->query.len, buf, cap) >
	    (int)cap)
		__builtin_trap();
	free(buf);
}

static void
from_fields(const uint8_t *data, size_t size, uint8_t sel, uint32_t rnd,
	    size_t cap)
{
	struct mg_http_header h[FZ_MAXH];
	struct mg_route_request rq = { 0 };
	const struct mg_route *r;
	struct mg_route_slice hbuf;
	size_t pos = 0;
	char *hb;

	rq.listener_idx = (sel >> 4) & 3 ? (sel >> 4) & 3 : 70;
	rq.method = (enum mg_http_method)((sel & 0xf) % (MG_HTTP_M_MAX + 1));
	rq.method_str = next_field(data, size, &pos);
	rq.host = next_field(data, size, &pos);
	rq.path = next_field(data, size, &pos);
	rq.query = next_field(data, size, &pos);
	/* header lines "name:value" in one buffer, as lib/http leaves them */
	hbuf = dup_field(data + pos, size - pos);
	hb = (char *)hbuf.ptr;
	for (size_t i = 0; i < hbuf.len && rq.n_headers < FZ_MAXH;) {
		const char *e = memchr(hb + i, '\n', hbuf.len - i);
		size_t end = e ? (size_t)(e - hb) : hbuf.len, colon = i;

		while (colon < end && hb[colon] != ':')
			colon++;
		h[rq.n_headers].name = (struct mg_http_slice){ (uint32_t)i,
			(uint32_t)(colon - i) };
		colon += colon < end;
		h[rq.n_headers++].value = (struct mg_http_slice){
			(uint32_t)colon, (uint32_t)(end - colon) };
		i = end + 1;
	}
	rq.buf = hb;
	rq.headers = h;
	r = mg_route_match(table, &rq, scratch);
	if (r != NULL)
		exercise(r, &rq, rnd, cap);
	free((void *)rq.method_str.ptr);
	free((void *)rq.host.ptr);
	free((void *)rq.path.ptr);
	free((void *)rq.query.ptr);
	free(hb);
}

static void
from_http(const uint8_t *data, size_t size, uint8_t sel, uint32_t rnd,
	  size_t cap)
{
	struct mg_http_header h[FZ_MAXH];
	struct mg_route_request rq;
	struct mg_route_slice b = dup_field(data, size);
	const struct mg_route *r;
	struct mg_http_msg m;

	mg_http_request_init(&m, h, FZ_MAXH, NULL);
	if (mg_http_request_parse(&m, b.ptr, b.len) == MG_HTTP_OK) {
		mg_route_request_from_http(&rq, &m, b.ptr, (sel >> 4) & 3);
		if (rq.path.len > m.target.len + 1 ||
		    rq.query.len > m.target.len)
			__builtin_trap();
		r = mg_route_match(table, &rq, scratch);
		if (r != NULL)
			exercise(r, &rq, rnd, cap);
	}
	free((void *)b.ptr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	uint32_t rnd;

	if (!ready)
		ready = setup() == 0;
	if (size < 6)
		return 0;
	memcpy(&rnd, data + 1, 4);
	if (data[0] & 0x80)
		from_http(data + 6, size - 6, data[0], rnd, data[5]);
	else
		from_fields(data + 6, size - 6, data[0], rnd, data[5]);
	return 0;
}
