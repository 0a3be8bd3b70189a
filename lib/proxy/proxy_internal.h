/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_PROXY_INTERNAL_H
#define MG_PROXY_INTERNAL_H

/*
 * Private to lib/proxy: sessions (one per client connection), upstream
 * connections, per-cluster and per-endpoint state of one worker, and the
 * timer wheel that drives every timeout.
 */

#include <stdbool.h>
#include <stdint.h>

#include "mg_http.h"
#include "mg_proxy.h"
#include "mg_route.h"
#include "mg_waf.h"

#define PX_MAX_HEADERS_CAP	256	/* parser slots; listener max_headers <= */
#define PX_MAX_TRIES		8	/* endpoints remembered for retries */
#define PX_REQ_ID_LEN		36	/* UUID text */

/* --- timers: 1 ms ticks in a wheel of 4096 slots; later deadlines wait
 * in their slot until their round comes (checked on each visit). */
#define PX_TICK_US	1000
#define PX_WHEEL_SLOTS	4096

struct px_timer {
	struct px_timer *next, **pprev;
	uint64_t expiry;		/* tick */
	uint8_t kind;			/* enum px_timer_kind */
};

enum px_timer_kind { PX_T_SESSION, PX_T_UPSTREAM, PX_T_PROBE };

struct px_wheel {
	uint64_t cur;			/* next tick to run */
	struct px_timer *slot[PX_WHEEL_SLOTS];
};

void px_wheel_init(struct px_wheel *w, uint64_t now_us);
void px_timer_set(struct px_wheel *w, struct px_timer *t, uint64_t deadline_us);
void px_timer_stop(struct px_timer *t);
/* Call fn for each timer due at now_us (it is stopped first). */
void px_wheel_run(struct px_wheel *w, uint64_t now_us,
		  void (*fn)(struct px_timer *t, void *arg), void *arg);

/* --- head buffers: fixed size, allocated on first use, kept on a free
 * list afterwards, so memory follows the peak of concurrent heads. */
struct px_buf {
	struct px_buf *next_free;
	uint32_t len;			/* bytes held */
	struct mg_http_header hdrs[PX_MAX_HEADERS_CAP];	/* parser output */
	char data[];
};

enum px_up_state {
	UP_CONNECTING,
	UP_BUSY,			/* serving a session */
	UP_IDLE,			/* pooled */
	UP_CLOSING,
};

struct px_session;

struct px_upstream {
	struct mg_proxy *px;
	struct mg_tcp_conn *conn;
	struct px_session *s;		/* while BUSY/CONNECTING */
	struct px_probe *pr;		/* a health probe's connection */
	struct mg_tls_conn *tls;	/* TLS to the endpoint, or NULL */
	struct px_upstream *next_idle, **pprev_idle;
	struct px_timer timer;		/* idle timeout in the pool */
	uint32_t cluster, endpoint;
	uint32_t requests;
	uint8_t state;
	bool peer_closed;
	uint32_t next_free;
};

struct px_endpoint {
	struct mg_ip addr;
	uint16_t port;
	uint32_t conns;			/* open or opening */
	uint32_t n_idle;
	struct px_upstream *idle;	/* LIFO: the warmest first */
};

struct px_cluster {
	const struct mg_cfg_cluster *cfg;
	struct mg_ip src4, src6;	/* local addresses towards the endpoints */
	uint32_t n_ep;
	struct px_endpoint *ep;
	/* circuit breakers (this worker's share) */
	uint32_t max_conns, max_pending, max_requests, max_retries;
	uint32_t conns, pending, requests, retries;
	struct mg_lb_worker *lbw;	/* round-robin position, active requests */
	struct mg_lb_outlier *outlier;	/* passive health; NULL when off */
	struct mg_tls_client *tls;	/* re-encryption to the endpoints */
	struct mg_tls_client *tls_old;	/* before the last reload */
	unsigned tls_session_slots;
	struct px_session *pending_head, **pending_tail;
	struct mg_proxy_cluster_stats st;
};

enum px_state {
	S_HEAD,				/* reading a request head */
	S_UPSTREAM,			/* proxying to an upstream */
	S_LOCAL,			/* sending a local response */
	S_TUNNEL,			/* after 101: bytes both ways */
	S_WAF,				/* holding the body for the WAF */
	S_CLOSING,			/* error sent or connection ending */
};

enum px_resp_state { R_NONE, R_HEAD, R_BODY, R_DONE };

struct px_listener {
	struct mg_proxy *px;
	struct mg_tls_server *tls;	/* https: this worker's context */
	struct mg_tls_server *tls_old;	/* before the last reload: its
					 * connections may still count */
	uint32_t index;
	const struct mg_cfg_listener *cfg;
	struct mg_http_limits lim;
};

struct px_session {
	struct mg_proxy *px;
	struct px_listener *lst;
	struct mg_tcp_conn *client;
	struct mg_tls_conn *ctls;	/* the client's TLS (https), or NULL */
	struct px_upstream *up;
	struct px_buf *req;		/* head + bytes read past it */
	struct px_buf *resp;		/* response head being read */
	struct px_timer timer;
	uint32_t next_free;
	uint8_t state, resp_state;
	bool client_eof;		/* client sent FIN */
	bool close_after;		/* close the client after this response */
	bool head_sent;			/* response head went to the client */
	bool req_done;			/* request body fully sent upstream */
	bool up_reusable;
	bool dechunk;			/* 1.0 client, chunked response */
	bool waiting_conn;		/* counted in cluster pending */
	bool counted_request;		/* counted in cluster/endpoint active */
	bool is_retry;			/* counted in cluster retries */
	uint8_t n_tried;
	uint8_t req_framing, resp_framing;
	uint8_t method, version;
	uint32_t tried[PX_MAX_TRIES];
	struct mg_ip client_addr;
	uint16_t client_port;
	uint32_t requests;		/* on this connection */

	/* the request in progress */
	struct mg_http_msg msg;		/* headers in req->hdrs */
	uint32_t head_len;		/* of the request head in req */
	uint32_t body_off;		/* start of unsent body bytes in req */
	uint64_t body_left;		/* CL: bytes still to forward */
	struct mg_http_chunked req_chunk;
	uint64_t max_body;
	int32_t route, cluster, endpoint;
	uint64_t resp_left;		/* CL response bytes to forward */
	struct mg_http_chunked resp_chunk;
	struct mg_http_msg rmsg;	/* headers in resp->hdrs */
	uint16_t status;
	uint8_t error;			/* enum mg_proxy_error + 1 */
	uint64_t t_head_us;		/* head complete */
	uint64_t t_up_start_us, t_up_end_us;
	uint64_t t_deadline_req_us;	/* whole request (route/cluster) */
	uint64_t bytes_in, bytes_out;
	char request_id[PX_REQ_ID_LEN + 1];
	uint32_t timeout_ms;		/* whole request (route, else cluster) */
	const struct mg_route *rt;	/* the matched route, or NULL */
	struct mg_route_slice path, query;	/* into req */
	bool tunnel;			/* 101 accepted: tunnel after the head */
	uint64_t t_state_us;		/* state entered (or head started) */
	uint64_t t_activity_us;		/* bytes last moved */
	uint64_t t_attempt_us;		/* this upstream attempt began */
	uint64_t t_req_sent_us;		/* request fully sent upstream */
	uint64_t t_first_byte_us;	/* first response byte */
	uint32_t resp_off;		/* unsent response bytes in resp */
	uint32_t local_sent;		/* of a local response in resp */
	uint16_t parse_error;		/* mg_http rc of a refused request */
	bool status_sent;		/* a local response is under way */
	bool resp_parsed;		/* final response head parsed */
	bool up_extra;			/* upstream sent bytes past the body */
	bool head_to_up;		/* request head queued upstream */
	bool shut;			/* FIN sent to the client */
	bool started;			/* counted in the cluster's requests */
	bool tls_up;			/* the client's handshake is done */
	uint32_t head_off;		/* bytes of a head already queued */
	bool tunnel_shut[2];		/* [0] client->up, [1] up->client done */
	bool local;			/* the route answers itself */
	/* the WAF */
	int32_t waf_policy;		/* cfg->waf[] index, -1 none */
	bool waf_hold, waf_body_done, waf_started;
	uint16_t waf_status;		/* status of a block */
	uint32_t waf_seen;		/* body bytes inspected */
	struct mg_http_chunked waf_chunk;	/* decodes for the WAF */
	struct mg_http_chunked waf_chunk_end;	/* finds the body's end */
	struct rte_mbuf *held;		/* body held for the verdict */
	uint32_t held_len;
	/* the ids of the rules that matched (X-Meshgate-Waf-Rules): all
	 * of them, the result holds no more */
	uint32_t waf_rules[MG_WAF_MAX_MATCHES];
	uint8_t n_waf_rules;
	/* waiting for the cluster's connection limit */
	struct px_session *next_pending, **pprev_pending;
};

struct mg_proxy {
	struct mg_proxy_params p;
	const struct mg_config *cfg;
	struct mg_tcp_stack *tcp;
	struct px_wheel wheel;
	uint64_t now_us;
	uint64_t rng;
	uint32_t buf_size;		/* bytes of data in a px_buf */
	uint32_t n_bufs, max_bufs;
	struct px_buf *free_bufs;
	struct px_session *sessions;
	uint32_t free_session;
	struct px_upstream *ups;
	uint32_t free_up;
	struct px_listener listeners[MG_MAX_LISTENERS];
	struct px_cluster clusters[MG_MAX_CLUSTERS];
	struct mg_proxy_route_stats *route_st;	/* [n_routes] */
	struct mg_proxy_stats st;
	char *scratch;			/* building heads: buf_size + extra */
	uint32_t scratch_size;
	struct mg_route_scratch *route_scratch;
	struct mg_tls_lcore *tls_lcore;	/* NULL without TLS */
	/* TLS counters: [listeners | clusters]; base holds what contexts
	 * retired by reloads counted, pub what readers on other lcores see */
	struct mg_tls_stats *tls_base, *tls_pub;
	uint64_t tls_published_us;
	struct mg_waf_ctx *waf_ctx[MG_MAX_WAF_POLICIES];
	struct mg_waf_result waf_res;	/* the current request's, reused */
	struct hs_database **cert_re;	/* [route] client_cert.subject */
	struct hs_scratch *cert_scratch;
	char tls_err[256];		/* why creation failed */
	struct px_probe *probes;	/* HTTP health probes, allocated on use */
	uint32_t free_probe;
};

/* proxy.c */
uint64_t px_rand(struct mg_proxy *px);
struct px_buf *px_buf_get(struct mg_proxy *px);
void px_buf_put(struct mg_proxy *px, struct px_buf *b);
void px_session_timer(struct px_session *s);

/* proxy_session.c */
void px_client_event(struct mg_tcp_conn *c, enum mg_tcp_event ev, void *user);
void px_session_drive(struct px_session *s);
void px_session_fail(struct px_session *s, enum mg_proxy_error e);
void px_session_timeout(struct px_session *s);

/* proxy_upstream.c */
/* Pick an endpoint and get a connection (pooled, new, or queued behind
 * the connection limit). 0: under way; -1: failed and already answered. */
int px_upstream_start(struct px_session *s);
/* The final response head is parsed: 101, retries on 5xx, outlier
 * accounting. 0: go on with the response; -1: the session moved on. */
int px_upstream_response(struct px_session *s);
/* The upstream failed mid-request: retry when allowed, else answer. */
void px_upstream_failed(struct px_session *s, enum mg_proxy_error e);
void px_upstream_connect_failed(struct px_session *s);
void px_upstream_unqueue(struct px_session *s);
void px_upstream_release(struct px_session *s, bool reusable);
void px_upstream_event(struct mg_tcp_conn *c, enum mg_tcp_event ev, void *user);
void px_upstream_idle_timeout(struct px_upstream *u);
void px_outlier_result(struct mg_proxy *px, uint32_t cluster, uint32_t ep,
		       bool connect_failed, bool is_5xx);
void px_outlier_tick(struct mg_proxy *px);
struct px_upstream *px_up_alloc(struct mg_proxy *px);
void px_up_free(struct px_upstream *u);
/* An endpoint of s->cluster not tried yet (else any), or -1. */
int32_t px_pick(struct px_session *s);
/* port 0: the endpoint's own */
struct mg_tcp_conn *px_connect(struct mg_proxy *px, uint32_t cluster,
			       uint32_t endpoint, uint16_t port,
			       struct px_upstream *u);

/* proxy_head.c */
int px_build_request_head(struct px_session *s, char *out, uint32_t cap);
int px_build_response_head(struct px_session *s, char *out, uint32_t cap);
int px_build_error(struct px_session *s, unsigned status, const char *reason,
		   char *out, uint32_t cap);
int px_build_local(struct px_session *s, char *out, uint32_t cap);
int px_local_head(struct px_session *s, unsigned status, char *out,
		  uint32_t cap);
void px_request_id(struct px_session *s);
/* A new id (no header to take it from: the head did not parse). */
void px_request_id_new(struct px_session *s);

/* proxy_io.c: one side of an exchange, plain TCP or TLS on TCP (t NULL:
 * plain). The same contracts as mg_tcp_recv()/send()/send_copy(). */
struct mg_tls_conn;
uint32_t px_recv(struct mg_proxy *px, struct mg_tcp_conn *c,
		 struct mg_tls_conn *t, struct rte_mbuf **out, uint32_t max,
		 bool *eof);
int px_send(struct mg_proxy *px, struct mg_tcp_conn *c, struct mg_tls_conn *t,
	    struct rte_mbuf *m);
int px_send_copy(struct mg_proxy *px, struct mg_tcp_conn *c,
		 struct mg_tls_conn *t, const void *p, uint32_t len);
uint32_t px_send_space(struct mg_tcp_conn *c, struct mg_tls_conn *t);
uint32_t px_readable(struct mg_tcp_conn *c, struct mg_tls_conn *t);
void px_shutdown(struct mg_proxy *px, struct mg_tcp_conn *c,
		 struct mg_tls_conn *t);
void px_tls_flush(struct mg_proxy *px, struct mg_tcp_conn *c,
		  struct mg_tls_conn *t);
/* Free a TLS connection and the plaintext still waiting for it. */
void px_tls_release(struct mg_tls_conn *t);
/* Handshake progress after TCP had news: 1 done, 0 not yet, -1 failed
 * (send what is queued - an alert - and close). */
int px_tls_progress(struct mg_proxy *px, struct mg_tcp_conn *c,
		    struct mg_tls_conn *t);

/* proxy_session.c, shared with the WAF's body hold */
int64_t px_chunked_walk_chain(struct mg_http_chunked *ck, struct rte_mbuf *m,
			      bool *done);
void px_chain_cut(struct rte_mbuf *m, uint32_t keep, struct px_buf *b);

/* proxy_waf.c: 0 no WAF or passed, 1 the body must be held (S_WAF),
 * -1 blocked and answered. */
int px_waf_init(struct mg_proxy *px);
void px_waf_free(struct mg_proxy *px);
int px_waf_request(struct px_session *s);
/* S_WAF: read and inspect the body; 1 passed, 0 more to read, -1 blocked
 * or failed (answered). */
int px_waf_body(struct px_session *s);

/* proxy_tls.c: this worker's TLS contexts and their counters */
int px_tls_init(struct mg_proxy *px);
void px_tls_free(struct mg_proxy *px);
void px_tls_publish(struct mg_proxy *px);

/* proxy_route.c: the bridge to lib/route */
/* 0: forward to s->cluster; 1: answer locally; -1: no route; -2: the
 * route wants a client certificate this connection does not have. */
int px_route(struct px_session *s);
int px_cert_regex_init(struct mg_proxy *px);
void px_cert_regex_free(struct mg_proxy *px);
int px_route_target(struct px_session *s, char *out, uint32_t cap);
bool px_route_host(struct px_session *s, const char **p, uint32_t *len);
bool px_route_drops_header(struct px_session *s, const char *buf,
			   struct mg_http_slice name, bool response);
int px_route_add_headers(struct px_session *s, char *out, uint32_t cap,
			 bool response);

/* proxy_health.c */
void px_probe_event(struct mg_tcp_conn *c, enum mg_tcp_event ev, void *user);
void px_probe_timeout(struct px_timer *t);
void px_probes_free(struct mg_proxy *px);

static inline bool
px_slice_eq_ci(const char *buf, struct mg_http_slice s, const char *lit)
{
	uint32_t i;

	for (i = 0; i < s.len; i++) {
		char a = buf[s.off + i], b = lit[i];

		if (b == '\0')
			return false;
		if (a >= 'A' && a <= 'Z')
			a = (char)(a + 32);
		if (b >= 'A' && b <= 'Z')
			b = (char)(b + 32);
		if (a != b)
			return false;
	}
	return lit[i] == '\0';
}

#endif /* MG_PROXY_INTERNAL_H */
