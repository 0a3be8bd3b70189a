/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Access-log records as JSON lines. Workers only fill a fixed-size record;
 * the main lcore formats and writes it, so a slow disk never stalls a
 * worker (a full ring drops the record and counts it).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mg_proxy.h"

/* Append s as a JSON string body (quotes not included). */
static size_t
json_escape(char *out, size_t cap, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[7];
		size_t k;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			k = 2;
		} else if (c < 0x20 || c >= 0x7f) {
			/* bytes, not text: every non-ASCII byte on its own */
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			k = 6;
		} else {
			esc[0] = (char)c;
			k = 1;
		}
		if (n + k < cap)
			memcpy(out + n, esc, k);
		n += k;
	}
	if (cap > 0)
		out[n < cap ? n : cap - 1] = '\0';
	return n;
}

int
mg_access_record_json(const struct mg_access_record *r, char *buf, size_t len,
		      const struct mg_config *cfg)
{
	char client[MG_IP_STRLEN], ts[40];
	char method[sizeof(r->method) * 6], host[sizeof(r->host) * 6];
	char path[sizeof(r->path) * 6];
	char route[MG_NAME_MAX + 2] = "null", cluster[MG_NAME_MAX + 2] = "null";
	char endpoint[MG_IP_STRLEN + 12] = "null";
	time_t sec = (time_t)(r->time_us / 1000000);
	struct tm tm;

	gmtime_r(&sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (unsigned)(r->time_us % 1000000));
	mg_ip_format(&r->client, client, sizeof(client));
	json_escape(method, sizeof(method), r->method);
	json_escape(host, sizeof(host), r->host);
	json_escape(path, sizeof(path), r->path);
	if (cfg != NULL && r->route >= 0 && (uint32_t)r->route < cfg->n_routes)
		snprintf(route, sizeof(route), "\"%s\"", cfg->routes[r->route].name);
	if (cfg != NULL && r->cluster >= 0 && (uint32_t)r->cluster < cfg->n_clusters) {
		const struct mg_cfg_cluster *c = &cfg->clusters[r->cluster];

		snprintf(cluster, sizeof(cluster), "\"%s\"", c->name);
		if (r->endpoint >= 0 && (uint32_t)r->endpoint < c->n_endpoints) {
			char a[MG_IP_STRLEN];
			const struct mg_cfg_endpoint *e = &c->endpoints[r->endpoint];

			mg_ip_format(&e->address, a, sizeof(a));
			snprintf(endpoint, sizeof(endpoint),
				 e->address.family == AF_INET6 ? "\"[%s]:%u\"" : "\"%s:%u\"",
				 a, e->port);
		}
	}
	return snprintf(buf, len,
		"{\"time\":\"%s\",\"client\":\"%s\",\"client_port\":%u,"
		"\"listener\":\"%s\",\"method\":\"%s\",\"host\":\"%s\","
		"\"path\":\"%s\",\"status\":%u,\"bytes_in\":%" PRIu64 ","
		"\"bytes_out\":%" PRIu64 ",\"route\":%s,\"cluster\":%s,"
		"\"endpoint\":%s,\"attempts\":%u,\"upstream_us\":%u,"
		"\"edge_us\":%u,\"request_id\":\"%s\",\"error\":%s%s%s}\n",
		ts, client, r->client_port,
		cfg != NULL && r->listener < cfg->n_listeners
			? cfg->listeners[r->listener].name : "",
		method, host, path, r->status, r->bytes_in, r->bytes_out,
		route, cluster, endpoint, r->attempts, r->upstream_us, r->edge_us,
		r->request_id, r->error ? "\"" : "null",
		r->error && r->error <= MG_PROXY_E_MAX
			? mg_proxy_error_names[r->error - 1] : "",
		r->error ? "\"" : "");
}
