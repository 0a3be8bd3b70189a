/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_PROXY_H
#define MG_PROXY_H

/*
 * The HTTP/1.1 full proxy of a worker lcore: client connections accepted
 * by lib/tcp on listeners in mode "http" are parsed (lib/http), routed
 * (lib/route) and proxied over pooled upstream connections to an endpoint
 * of the route's cluster (lib/lb), with both bodies streamed under TCP
 * back-pressure.
 *
 * One instance per worker, shared-nothing: it owns its sessions, its
 * upstream connection pools, its circuit-breaker counts, its outlier
 * detectors and its counters. What it shares is read-only (the
 * configuration, the route table) or published by the main lcore with RCU
 * (each cluster's balancer, read through the cluster_lb callback).
 *
 * A request's life, as the access log and the timers see it:
 *   head read -> routed -> [local answer] | endpoint picked -> connected
 *   (or taken from the pool) -> head and body sent -> response head ->
 *   response body -> done; the client connection then reads the next
 *   request (keep-alive, pipelining) or closes.
 * edge time is the time the request spent in the appliance itself: from
 * its head being complete to the last response byte queued to the client,
 * minus the upstream time (first attempt's connect start to the last
 * response byte received).
 */

#include <stdbool.h>
#include <stdint.h>

#include "mg_addr.h"
#include "mg_cfg.h"
#include "mg_http.h"
#include "mg_tcp.h"
#include "mg_tls.h"
#include "mg_waf.h"

/* The longest WAF audit line handed to the main lcore. */
#define MG_PROXY_AUDIT_MAX 2048

struct mg_lb;
struct mg_route_table;
struct mg_proxy;

/* Why a request was answered locally or failed; one counter each.
 * X(name, status, text): status 0 = the connection is closed without an
 * answer (nothing can be sent any more). */
#define MG_PROXY_ERRORS(X)						\
	X(BAD_REQUEST, 400, "malformed request")			\
	X(NO_ROUTE, 404, "no route matches")				\
	X(CLIENT_CERT, 403, "client certificate required")		\
	X(WAF_BLOCKED, 403, "request blocked by the WAF")		\
	X(WAF_DROPPED, 0, "connection dropped by the WAF")		\
	X(HEADER_TIMEOUT, 408, "request head not received in time")	\
	X(BODY_TIMEOUT, 408, "request body stalled")			\
	X(BODY_TOO_LARGE, 413, "request body too large")		\
	X(URI_TOO_LONG, 414, "request line too long")			\
	X(HEAD_TOO_LARGE, 431, "request header section too large")	\
	X(NOT_IMPLEMENTED, 501, "transfer coding not implemented")	\
	X(VERSION, 505, "HTTP version not supported")			\
	X(NO_HEALTHY_ENDPOINT, 503, "no healthy endpoint")		\
	X(CB_CONNECTIONS, 503, "circuit breaker: connections")		\
	X(CB_PENDING, 503, "circuit breaker: pending requests")		\
	X(CB_REQUESTS, 503, "circuit breaker: active requests")		\
	X(OVERLOADED, 503, "no buffer for the request")			\
	X(CONNECT_FAILED, 503, "upstream connect failed")		\
	X(UPSTREAM_RESET, 502, "upstream reset the connection")		\
	X(UPSTREAM_TLS, 502, "upstream TLS handshake failed")		\
	X(BAD_RESPONSE, 502, "malformed upstream response")		\
	X(RESPONSE_TIMEOUT, 504, "upstream response timeout")		\
	X(REQUEST_TIMEOUT, 504, "request timeout")			\
	X(UPSTREAM_IDLE, 504, "upstream idle timeout")			\
	X(CLIENT_ABORTED, 0, "client closed before the response")	\
	X(RESPONSE_ABORTED, 0, "upstream failed during the response")

enum mg_proxy_error {
#define X(n, s, t) MG_PROXY_E_##n,
	MG_PROXY_ERRORS(X)
#undef X
	MG_PROXY_E_MAX
};
extern const char *const mg_proxy_error_names[MG_PROXY_E_MAX];

/* One access-log record, handed by the worker to the main lcore as is
 * (fixed size, strings cut short and NUL-terminated). */
struct mg_access_record {
	uint64_t time_us;		/* wall clock when the head was complete */
	uint64_t bytes_in, bytes_out;	/* request and response, head + body */
	uint32_t upstream_us, edge_us;
	struct mg_ip client;
	uint16_t client_port;
	uint16_t status;		/* 0: closed without a response */
	int32_t route;			/* -1: none */
	int32_t cluster;		/* -1: none */
	int32_t endpoint;		/* index in the cluster, -1: none */
	uint16_t listener;
	uint8_t attempts;		/* upstream tries */
	uint8_t error;			/* enum mg_proxy_error + 1, 0 = none */
	char method[16];
	char host[64];
	char path[160];
	char request_id[40];
};

/** Format @p r as one JSON line (with '\n') into @p buf; returns the
 *  length, or the length needed when it does not fit (snprintf rule).
 *  @p route_name / @p cluster_name map indexes to names (may be NULL). */
int mg_access_record_json(const struct mg_access_record *r, char *buf,
			  size_t len, const struct mg_config *cfg);

struct mg_proxy_params {
	const struct mg_config *cfg;
	const struct mg_route_table *routes;
	struct mg_tcp_stack *tcp;
	struct rte_mempool *pool;	/* mbufs for decrypted bytes (TLS) */
	uint32_t worker_index, n_workers;
	uint32_t max_sessions;		/* client connections */
	uint32_t max_upstreams;		/* upstream connections */
	uint32_t max_buffers;		/* head buffers (allocated on demand) */
	int socket;
	uint64_t seed;			/* request ids, random choices */
	/* The cluster's balancer as the main lcore last published it (the
	 * caller is an RCU reader while inside the proxy's calls). */
	const struct mg_lb *(*cluster_lb)(void *ctx, uint32_t cluster);
	/* Hand an access record to the main lcore; must not block. Returns
	 * false when it was dropped (ring full): counted. */
	bool (*access_log)(void *ctx, const struct mg_access_record *r);
	/* A WAF audit line (JSON, no newline) for the main lcore; must not
	 * block; false: dropped (counted). */
	bool (*waf_audit)(void *ctx, const char *line, uint32_t len);
	/* WAF policies (cfg->waf[i]) loaded by the main lcore, with the
	 * configuration they were loaded with (contexts are made from it). */
	uint32_t n_waf;
	const struct mg_waf_ruleset *waf[MG_MAX_WAF_POLICIES];
	struct mg_waf_conf waf_conf[MG_MAX_WAF_POLICIES];
	/* An HTTP health probe finished. */
	void (*probe_done)(void *ctx, uint32_t target, uint32_t probe_id,
			   bool up);
	void *ctx;
	/* wall clock = now_us + wall_offset_us (access log times) */
	int64_t wall_offset_us;
};

/**
 * Create a worker's proxy, with its TLS contexts (files are read now).
 * @return NULL with rte_errno: EINVAL (a TLS context could not be made;
 *         @p err says why), ENOMEM.
 */
struct mg_proxy *mg_proxy_create(const struct mg_proxy_params *p, char *err,
				 size_t err_len);

/** The connection parameters a configuration's tcp group gives (for
 *  accepted connections and the proxy's upstream ones alike). */
void mg_proxy_conn_params(const struct mg_cfg_tcp *t,
			  struct mg_tcp_conn_params *cp);
void mg_proxy_free(struct mg_proxy *px);

/**
 * The event callback and user pointer to give mg_tcp_listen() for
 * listener @p listener (an index into cfg->listeners, mode http).
 */
void mg_proxy_event(struct mg_tcp_conn *c, enum mg_tcp_event ev, void *user);
void *mg_proxy_listener_user(struct mg_proxy *px, uint32_t listener);

/** Run the proxy's timers (header, body, connect, response, idle and
 *  request timeouts, pooled connections' idle time, outlier ejections). */
void mg_proxy_timers(struct mg_proxy *px, uint64_t now_us);

/**
 * Start an HTTP health probe of endpoint @p endpoint of @p cluster (as the
 * cluster's health_check says); probe_done() tells the result, exactly
 * once, within the check's timeout_ms.
 * @return 0, or -errno when it could not start (then probe_done is not
 *         called: the scheduler's timeout counts it).
 */
int mg_proxy_probe(struct mg_proxy *px, uint32_t cluster, uint32_t endpoint,
		   uint32_t target, uint32_t probe_id, uint64_t now_us);

/* Latency histograms: bucket i counts values in [2^i, 2^(i+1)) us
 * (bucket 0 also holds 0). */
#define MG_PROXY_HIST_BUCKETS 28

struct mg_proxy_route_stats {
	uint64_t requests;
	uint64_t by_class[6];		/* [0] no response, [1..5] 1xx..5xx */
	uint64_t edge_us[MG_PROXY_HIST_BUCKETS];
	uint64_t upstream_us[MG_PROXY_HIST_BUCKETS];
};

struct mg_proxy_cluster_stats {
	uint64_t requests, retries, connects, connect_failures;
	uint64_t pool_reuses, ejections;
	uint64_t breaker_open[4];	/* connections, pending, requests, retries */
	uint32_t active_requests, pending, connections, idle;
};

struct mg_proxy_stats {
	uint64_t sessions, sessions_refused, requests, responses;
	uint64_t errors[MG_PROXY_E_MAX];
	/* what the HTTP parser refused, by its reason (requests: answered
	 * with the reason's status; responses: 502) */
	uint64_t http_errors[MG_HTTP_RC_MAX];
	uint64_t by_class[6];
	uint64_t local_responses;	/* direct responses and redirects */
	uint64_t upgrades;		/* 101 tunnels */
	uint64_t log_records, log_dropped;
	uint64_t probes, probe_failures;
	uint64_t bytes_in, bytes_out;
	uint64_t tls_handshakes, tls_failures;	/* client side */
	uint64_t tls_handshake_timeouts;	/* of the failures */
	uint64_t tls_reloads, tls_reload_failures;
	uint64_t waf_matched, waf_blocked, waf_audit_dropped;
	/* request bodies held for inspection, and those streamed because
	 * no rule of the policy reads them */
	uint64_t waf_bodies_held, waf_bodies_streamed;
	uint64_t waf_bodies_truncated;	/* longer than the policy's limit */
	uint64_t upstream_tls_failures;
};

void mg_proxy_stats_get(const struct mg_proxy *px, struct mg_proxy_stats *st);
/** Counters of route @p route; NULL when out of range. */
const struct mg_proxy_route_stats *
mg_proxy_route_stats(const struct mg_proxy *px, uint32_t route);
void mg_proxy_cluster_stats(const struct mg_proxy *px, uint32_t cluster,
			    struct mg_proxy_cluster_stats *st);
/** Whether endpoint @p ep of @p cluster is ejected on this worker now. */
bool mg_proxy_endpoint_ejected(const struct mg_proxy *px, uint32_t cluster,
			       uint32_t ep);

/**
 * Build every TLS context of this worker again from the files the
 * configuration names (certificates, keys, OCSP responses, CAs, CRLs,
 * ticket keys), as they are now: new connections use the new contexts,
 * connections in progress keep theirs. All or nothing: on an error the
 * contexts in use stay and @p err says what is wrong (file and reason).
 * Call on the worker's lcore; it takes a few milliseconds per context.
 * @return 0 (also when nothing uses TLS), or -1.
 */
int mg_proxy_tls_reload(struct mg_proxy *px, char *err, size_t err_len);

/** TLS counters of an https listener (the client side of connections)
 *  or of a TLS cluster (towards its endpoints) on this worker, as the
 *  worker last published them (every 100 ms): safe to read from any
 *  lcore. All zero when it has no TLS. */
void mg_proxy_tls_listener_stats(const struct mg_proxy *px,
				 uint32_t listener, struct mg_tls_stats *st);
void mg_proxy_tls_cluster_stats(const struct mg_proxy *px, uint32_t cluster,
				struct mg_tls_stats *st);

/** The value at quantile @p q (0..1) of a histogram, in us (upper bound
 *  of the bucket holding it); 0 when empty. */
uint64_t mg_proxy_hist_quantile(const uint64_t *hist, double q);

#endif /* MG_PROXY_H */
