/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A worker's proxy instance: creation from the configuration, the pools it
 * serves from (sessions, upstream connections, head buffers), the timer
 * wheel and the counters.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_malloc.h>

#include "mg_lb.h"
#include "mg_tls.h"
#include "proxy_internal.h"

const char *const mg_proxy_error_names[MG_PROXY_E_MAX] = {
#define X(n, s, t) [MG_PROXY_E_##n] = t,
	MG_PROXY_ERRORS(X)
#undef X
};

/* --- timer wheel --- */

void
px_wheel_init(struct px_wheel *w, uint64_t now_us)
{
	memset(w, 0, sizeof(*w));
	w->cur = now_us / PX_TICK_US;
}

void
px_timer_stop(struct px_timer *t)
{
	if (t->pprev == NULL)
		return;
	*t->pprev = t->next;
	if (t->next != NULL)
		t->next->pprev = t->pprev;
	t->next = NULL;
	t->pprev = NULL;
}

void
px_timer_set(struct px_wheel *w, struct px_timer *t, uint64_t deadline_us)
{
	uint64_t tick = (deadline_us + PX_TICK_US - 1) / PX_TICK_US;
	struct px_timer **head;

	if (tick < w->cur)
		tick = w->cur;
	if (t->pprev != NULL && t->expiry == tick)
		return;
	px_timer_stop(t);
	t->expiry = tick;
	head = &w->slot[tick & (PX_WHEEL_SLOTS - 1)];
	t->next = *head;
	if (*head != NULL)
		(*head)->pprev = &t->next;
	*head = t;
	t->pprev = head;
}

void
px_wheel_run(struct px_wheel *w, uint64_t now_us,
	     void (*fn)(struct px_timer *t, void *arg), void *arg)
{
	uint64_t now = now_us / PX_TICK_US;

	/* After a long stall, one pass over the wheel sees everything. */
	if (now > w->cur + PX_WHEEL_SLOTS)
		w->cur = now - PX_WHEEL_SLOTS;
	for (; w->cur <= now; w->cur++) {
		struct px_timer **pp = &w->slot[w->cur & (PX_WHEEL_SLOTS - 1)];

		while (*pp != NULL) {
			struct px_timer *t = *pp;

			if (t->expiry > now) {
				pp = &t->next;
				continue;
			}
			px_timer_stop(t);	/* *pp is now the next one */
			fn(t, arg);
		}
	}
}

/* --- pools --- */

uint64_t
px_rand(struct mg_proxy *px)
{
	/* xorshift64*: request ids and random choices, not secrets */
	uint64_t x = px->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	px->rng = x;
	return x * 0x2545f4914f6cdd1dULL;
}

struct px_buf *
px_buf_get(struct mg_proxy *px)
{
	struct px_buf *b = px->free_bufs;

	if (b != NULL) {
		px->free_bufs = b->next_free;
	} else {
		if (px->n_bufs >= px->max_bufs)
			return NULL;
		b = malloc(sizeof(*b) + px->buf_size);
		if (b == NULL)
			return NULL;
		px->n_bufs++;
	}
	b->next_free = NULL;
	b->len = 0;
	return b;
}

void
px_buf_put(struct mg_proxy *px, struct px_buf *b)
{
	if (b == NULL)
		return;
	b->next_free = px->free_bufs;
	px->free_bufs = b;
}

struct px_upstream *
px_up_alloc(struct mg_proxy *px)
{
	struct px_upstream *u;

	if (px->free_up == UINT32_MAX)
		return NULL;
	u = &px->ups[px->free_up];
	px->free_up = u->next_free;
	memset(u, 0, sizeof(*u));
	u->px = px;
	u->timer.kind = PX_T_UPSTREAM;
	return u;
}

void
px_up_free(struct px_upstream *u)
{
	struct mg_proxy *px = u->px;

	px_timer_stop(&u->timer);
	u->conn = NULL;
	u->next_free = px->free_up;
	px->free_up = (uint32_t)(u - px->ups);
}

/* --- creation --- */

static void
cluster_init(struct mg_proxy *px, uint32_t ci)
{
	const struct mg_config *cfg = px->cfg;
	const struct mg_cfg_cluster *cc = &cfg->clusters[ci];
	const struct mg_cfg_port *port = &cfg->ports[cc->port_idx];
	struct px_cluster *c = &px->clusters[ci];
	uint32_t w = px->p.n_workers;

	c->cfg = cc;
	for (uint32_t i = 0; i < port->n_addrs; i++) {
		const struct mg_ip *a = &port->addrs[i];
		struct mg_ip *dst = a->family == AF_INET ? &c->src4 : &c->src6;

		if (dst->family == 0)
			*dst = *a;
	}
	/* Each worker enforces its share of the cluster's limits. */
#define SHARE(x) ((x) == 0 ? UINT32_MAX : ((x) + w - 1) / w)
	c->max_conns = SHARE(cc->breakers.max_connections);
	c->max_pending = SHARE(cc->breakers.max_pending_requests);
	c->max_requests = SHARE(cc->breakers.max_requests);
	c->max_retries = SHARE(cc->breakers.max_retries);
#undef SHARE
}

struct mg_proxy *
mg_proxy_create(const struct mg_proxy_params *p, char *err, size_t err_len)
{
	const struct mg_config *cfg = p->cfg;
	struct mg_proxy *px;
	uint32_t need = 0;

	if (cfg == NULL || p->tcp == NULL || p->max_sessions == 0 ||
	    p->max_upstreams == 0 || p->n_workers == 0) {
		rte_errno = EINVAL;
		return NULL;
	}
	px = rte_zmalloc_socket("mg_proxy", sizeof(*px), RTE_CACHE_LINE_SIZE,
				p->socket);
	if (px == NULL)
		goto nomem;
	px->p = *p;
	px->cfg = cfg;
	px->tcp = p->tcp;
	px->rng = p->seed | 1;
	px->max_bufs = p->max_buffers ? p->max_buffers : 4096;

	/* A buffer holds the largest head any listener accepts, or a
	 * response head of up to 64 KiB. */
	need = 65536;
	for (uint32_t l = 0; l < cfg->n_listeners; l++) {
		const struct mg_cfg_listener *cl = &cfg->listeners[l];
		struct px_listener *pl = &px->listeners[l];

		pl->px = px;
		pl->index = l;
		pl->cfg = cl;
		if (!mg_listener_mode_is_http(cl->mode))
			continue;
		pl->lim.max_line = cl->http.max_request_line;
		pl->lim.max_head = cl->http.max_header_size;
		pl->lim.max_body = 0;	/* bodies are counted by the proxy */
		if (cl->http.max_request_line + cl->http.max_header_size + 8 > need)
			need = cl->http.max_request_line + cl->http.max_header_size + 8;
	}
	px->buf_size = need;
	px->scratch_size = need + 8192;
	px->scratch = rte_malloc_socket("mg_proxy_scratch", px->scratch_size, 0,
					p->socket);
	px->sessions = rte_zmalloc_socket("mg_proxy_sessions",
			sizeof(*px->sessions) * p->max_sessions,
			RTE_CACHE_LINE_SIZE, p->socket);
	px->ups = rte_zmalloc_socket("mg_proxy_upstreams",
			sizeof(*px->ups) * p->max_upstreams, RTE_CACHE_LINE_SIZE,
			p->socket);
	px->route_st = rte_zmalloc_socket("mg_proxy_route_stats",
			sizeof(*px->route_st) * (cfg->n_routes + 1), 0, p->socket);
	if (px->scratch == NULL || px->sessions == NULL || px->ups == NULL ||
	    px->route_st == NULL)
		goto nomem;
	for (uint32_t i = 0; i < p->max_sessions; i++)
		px->sessions[i].next_free = i + 1 < p->max_sessions ? i + 1 : UINT32_MAX;
	px->free_session = 0;
	for (uint32_t i = 0; i < p->max_upstreams; i++)
		px->ups[i].next_free = i + 1 < p->max_upstreams ? i + 1 : UINT32_MAX;
	px->free_up = 0;

	for (uint32_t ci = 0; ci < cfg->n_clusters; ci++) {
		const struct mg_cfg_cluster *cc = &cfg->clusters[ci];
		struct px_cluster *c = &px->clusters[ci];

		c->n_ep = cc->n_endpoints;
		c->ep = rte_zmalloc_socket("mg_proxy_endpoints",
				sizeof(*c->ep) * cc->n_endpoints, 0, p->socket);
		if (c->ep == NULL)
			goto nomem;
		for (uint32_t e = 0; e < cc->n_endpoints; e++) {
			c->ep[e].addr = cc->endpoints[e].address;
			c->ep[e].port = cc->endpoints[e].port;
		}
		cluster_init(px, ci);
		c->lbw = mg_lb_worker_create(cc->n_endpoints,
				p->seed ^ (0x9e3779b97f4a7c15ULL * (ci + 1)), p->socket);
		if (c->lbw == NULL)
			goto nomem;
		if (cc->outlier.consecutive_5xx != 0 ||
		    cc->outlier.consecutive_connect_failures != 0) {
			c->outlier = mg_lb_outlier_create(&cc->outlier,
						cc->n_endpoints, p->socket);
			if (c->outlier == NULL)
				goto nomem;
		}
	}
	if (px_tls_init(px) != 0 || px_cert_regex_init(px) != 0 ||
	    px_waf_init(px) != 0)
		goto fail;
	if (p->routes != NULL) {
		px->route_scratch = mg_route_scratch_create(p->routes);
		if (px->route_scratch == NULL)
			goto nomem;
	}
	px_wheel_init(&px->wheel, 0);
	return px;
nomem:
	snprintf(err, err_len, "no memory");
	mg_proxy_free(px);
	rte_errno = ENOMEM;
	return NULL;
fail:
	snprintf(err, err_len, "%s", px->tls_err);
	mg_proxy_free(px);
	rte_errno = EINVAL;
	return NULL;
}

void
mg_proxy_free(struct mg_proxy *px)
{
	if (px == NULL)
		return;
	/* The TCP stack is freed first (it tells nothing): only memory is
	 * left to release here. */
	while (px->free_bufs != NULL) {
		struct px_buf *b = px->free_bufs;

		px->free_bufs = b->next_free;
		free(b);
	}
	if (px->sessions != NULL)
		for (uint32_t i = 0; i < px->p.max_sessions; i++) {
			free(px->sessions[i].req);
			free(px->sessions[i].resp);
		}
	px_probes_free(px);
	mg_route_scratch_free(px->route_scratch);
	px_cert_regex_free(px);
	px_waf_free(px);
	px_tls_free(px);
	for (uint32_t ci = 0; ci < MG_MAX_CLUSTERS; ci++) {
		rte_free(px->clusters[ci].ep);
		mg_lb_worker_free(px->clusters[ci].lbw);
		mg_lb_outlier_free(px->clusters[ci].outlier);
	}
	rte_free(px->route_st);
	rte_free(px->ups);
	rte_free(px->sessions);
	rte_free(px->scratch);
	rte_free(px);
}

void *
mg_proxy_listener_user(struct mg_proxy *px, uint32_t listener)
{
	if (listener >= px->cfg->n_listeners)
		return NULL;
	return &px->listeners[listener];
}

void
mg_proxy_event(struct mg_tcp_conn *c, enum mg_tcp_event ev, void *user)
{
	px_client_event(c, ev, user);
}

/* --- timers --- */

static void
timer_fire(struct px_timer *t, void *arg)
{
	(void)arg;
	switch (t->kind) {
	case PX_T_SESSION:
		px_session_timeout(container_of(t, struct px_session, timer));
		break;
	case PX_T_UPSTREAM:
		px_upstream_idle_timeout(container_of(t, struct px_upstream, timer));
		break;
	case PX_T_PROBE:
		px_probe_timeout(t);
		break;
	}
}

void
mg_proxy_timers(struct mg_proxy *px, uint64_t now_us)
{
	px->now_us = now_us;
	px_wheel_run(&px->wheel, now_us, timer_fire, px);
	px_outlier_tick(px);
	px_tls_publish(px);
}

/* --- counters --- */

void
mg_proxy_stats_get(const struct mg_proxy *px, struct mg_proxy_stats *st)
{
	*st = px->st;
}

const struct mg_proxy_route_stats *
mg_proxy_route_stats(const struct mg_proxy *px, uint32_t route)
{
	if (route >= px->cfg->n_routes)
		return NULL;
	return &px->route_st[route];
}

void
mg_proxy_cluster_stats(const struct mg_proxy *px, uint32_t cluster,
		       struct mg_proxy_cluster_stats *st)
{
	const struct px_cluster *c = &px->clusters[cluster];

	memset(st, 0, sizeof(*st));
	if (cluster >= px->cfg->n_clusters)
		return;
	*st = c->st;
	st->active_requests = c->requests;
	st->pending = c->pending;
	st->connections = c->conns;
	for (uint32_t e = 0; e < c->n_ep; e++)
		st->idle += c->ep[e].n_idle;
}

bool
mg_proxy_endpoint_ejected(const struct mg_proxy *px, uint32_t cluster,
			  uint32_t ep)
{
	if (cluster >= px->cfg->n_clusters || ep >= px->clusters[cluster].n_ep ||
	    px->clusters[cluster].outlier == NULL)
		return false;
	return mg_lb_outlier_is_ejected(px->clusters[cluster].outlier, ep);
}

uint64_t
mg_proxy_hist_quantile(const uint64_t *hist, double q)
{
	uint64_t total = 0, acc = 0, want;

	for (unsigned i = 0; i < MG_PROXY_HIST_BUCKETS; i++)
		total += hist[i];
	if (total == 0)
		return 0;
	want = (uint64_t)(q * (double)total);
	if (want >= total)
		want = total - 1;
	for (unsigned i = 0; i < MG_PROXY_HIST_BUCKETS; i++) {
		acc += hist[i];
		if (acc > want)
			return (uint64_t)1 << (i + 1);
	}
	return (uint64_t)1 << MG_PROXY_HIST_BUCKETS;
}
