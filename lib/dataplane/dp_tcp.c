/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Each worker's TCP stack and the built-in services listening on it. The
 * stack hands back IP packets; this file routes them (on-link subnet of a
 * port, else that family's gateway), resolves the next hop in the port's
 * neighbour table and queues them on the port.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>

#include <rte_errno.h>
#include <rte_ip.h>

#include "dp_internal.h"

/* The port and next hop towards dst: an on-link subnet first, then the
 * first port with a gateway of dst's family. */
static int
route(const struct mg_dataplane *dp, const struct mg_ip *dst, uint16_t *port,
      struct mg_ip *nh)
{
	for (uint16_t p = 0; p < dp->n_ports; p++) {
		const struct mg_net_iface *ifc = &dp->ports[p].iface;

		for (uint32_t i = 0; i < ifc->n_addrs; i++)
			if (mg_ip_in_prefix(dst, &ifc->addrs[i], ifc->prefix_len[i])) {
				*port = p;
				*nh = *dst;
				return 0;
			}
	}
	for (uint16_t p = 0; p < dp->n_ports; p++) {
		const struct mg_net_iface *ifc = &dp->ports[p].iface;
		const struct mg_ip *gw = dst->family == AF_INET ? &ifc->gateway4
							       : &ifc->gateway6;
		if (gw->family != 0) {
			*port = p;
			*nh = *gw;
			return 0;
		}
	}
	return -ENETUNREACH;
}

static int
tcp_xmit(void *ctx, struct rte_mbuf *m, uint8_t family)
{
	struct mg_worker *w = ctx;
	struct mg_dataplane *dp = w->dp;
	struct rte_ether_addr mac;
	struct mg_ip dst, nh;
	uint16_t port;

	if (family == AF_INET)
		mg_ip_set_v4(&dst, rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *)->dst_addr);
	else
		mg_ip_set_v6(&dst, rte_pktmbuf_mtod(m, struct rte_ipv6_hdr *)->dst_addr);
	if (route(dp, &dst, &port, &nh) != 0) {
		mg_dp_drop(w, m, MG_DP_DROP_NO_ROUTE);
		return -ENETUNREACH;
	}
	if (mg_neigh_lookup(dp->ports[port].neigh, &nh, &mac) != 0) {
		struct mg_ctl_msg msg = {
			.kind = MG_CTL_NEIGH_MISS, .port = port, .learn.ip = nh,
		};

		mg_dp_to_main(w, &msg);
		mg_dp_drop(w, m, MG_DP_DROP_NEIGH_UNRESOLVED);
		return -EHOSTUNREACH;
	}
	if (mg_eth_prepend(m, &dp->ports[port].iface, &mac, family == AF_INET
			   ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6) != 0) {
		mg_dp_drop(w, m, MG_DP_DROP_L2_REWRITE);
		return -ENOSPC;
	}
	mg_dp_tx(w, port, m);
	return 0;
}

/* Listen on a listener's VIP:port for @p event / @p user. */
static int
listen_on(struct mg_worker *w, const struct mg_cfg_listener *cl,
	  mg_tcp_event_fn event, void *user, char *err, size_t err_len)
{
	struct mg_tcp_listen_params lp;

	memset(&lp, 0, sizeof(lp));
	lp.addr = cl->address;
	lp.port = cl->listen_port;
	lp.syn_backlog = cl->tcp.syn_backlog;
	lp.syncookie_threshold = cl->tcp.syncookie_threshold;
	mg_proxy_conn_params(&cl->tcp, &lp.conn);
	/* The proxy queues a response head and its body in separate sends:
	 * with Nagle the body would wait for the client's delayed ACK of the
	 * head (40 ms). */
	if (mg_listener_mode_is_http(cl->mode))
		lp.conn.nodelay = true;
	lp.event = event;
	lp.user = user;
	if (mg_tcp_listen(w->tcp, &lp) == NULL) {
		snprintf(err, err_len, "listener %s: cannot listen: %s",
			 cl->name, rte_strerror(rte_errno));
		return -EINVAL;
	}
	return 0;
}

bool
mg_dp_needs_tcp(const struct mg_config *cfg)
{
	for (uint32_t l = 0; l < cfg->n_listeners; l++)
		if (cfg->listeners[l].mode == MG_MODE_SERVICE ||
		    mg_listener_mode_is_http(cfg->listeners[l].mode))
			return true;
	for (uint32_t c = 0; c < cfg->n_clusters; c++)
		if (cfg->clusters[c].health.type == MG_HEALTH_HTTP)
			return true;
	return false;
}

/* --- the proxy's view of the data plane --- */

static const struct mg_lb *
proxy_cluster_lb(void *ctx, uint32_t cluster)
{
	struct mg_worker *w = ctx;

	return atomic_load_explicit(&w->dp->clusters[cluster].lb,
				    memory_order_acquire);
}

static bool
proxy_access_log(void *ctx, const struct mg_access_record *r)
{
	struct mg_worker *w = ctx;

	return rte_ring_sp_enqueue_elem(w->access_log, (void *)(uintptr_t)r,
					sizeof(*r)) == 0;
}

static bool
proxy_waf_audit(void *ctx, const char *line, uint32_t len)
{
	struct mg_worker *w = ctx;
	struct mg_audit_line a;

	a.len = len < sizeof(a.text) ? len : (uint32_t)sizeof(a.text) - 1;
	memcpy(a.text, line, a.len);
	return rte_ring_sp_enqueue_elem(w->waf_audit, &a,
		offsetof(struct mg_audit_line, text) + sizeof(a.text)) == 0;
}

static void
proxy_probe_done(void *ctx, uint32_t target, uint32_t probe_id, bool up)
{
	struct mg_worker *w = ctx;
	struct mg_ctl_msg msg = {
		.kind = MG_CTL_HEALTH_REPLY, .up = up, .target = target,
		.probe_id = probe_id,
	};

	mg_dp_to_main(w, &msg);
}

static int
proxy_init(struct mg_dataplane *dp, struct mg_worker *w, int socket,
	   char *err, size_t err_len)
{
	const struct mg_config *cfg = dp->cfg;
	struct mg_proxy_params pp;
	char name[RTE_RING_NAMESIZE], why[256];
	uint32_t ring = cfg->logging.access_log_ring;

	snprintf(name, sizeof(name), "mg_alog_%u", w->index);
	w->access_log = rte_ring_create_elem(name, sizeof(struct mg_access_record),
			rte_align32pow2(ring ? ring : 4096), socket,
			RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "mg_probe_%u", w->index);
	w->probe_req = rte_ring_create_elem(name, sizeof(struct mg_probe_req),
			1024, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "mg_waud_%u", w->index);
	w->waf_audit = rte_ring_create_elem(name, sizeof(struct mg_audit_line),
			512, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (w->access_log == NULL || w->probe_req == NULL || w->waf_audit == NULL) {
		snprintf(err, err_len, "worker %u: no memory for the proxy's rings",
			 w->index);
		return -ENOMEM;
	}
	memset(&pp, 0, sizeof(pp));
	pp.cfg = cfg;
	pp.routes = dp->routes;
	pp.tcp = w->tcp;
	pp.pool = dp->pool;
	pp.worker_index = w->index;
	pp.n_workers = dp->n_workers;
	pp.max_sessions = cfg->dataplane.tcp_max_conns;
	pp.max_upstreams = cfg->dataplane.tcp_max_conns;
	pp.socket = socket;
	pp.seed = rte_rdtsc() ^ ((uint64_t)(w->index + 1) << 48);
	pp.cluster_lb = proxy_cluster_lb;
	pp.access_log = proxy_access_log;
	pp.probe_done = proxy_probe_done;
	pp.waf_audit = proxy_waf_audit;
	pp.n_waf = cfg->n_waf;
	for (uint32_t i = 0; i < cfg->n_waf; i++) {
		pp.waf[i] = dp->waf[i];
		pp.waf_conf[i] = dp->waf_conf[i];
	}
	pp.ctx = w;
	pp.wall_offset_us = dp->wall_offset_us;
	w->proxy = mg_proxy_create(&pp, why, sizeof(why));
	if (w->proxy == NULL) {
		snprintf(err, err_len, "worker %u: cannot create the HTTP proxy: %s",
			 w->index, why);
		return -rte_errno;
	}
	return 0;
}

int
mg_dp_tcp_init(struct mg_dataplane *dp, struct mg_worker *w, char *err,
	       size_t err_len)
{
	const struct mg_config *cfg = dp->cfg;
	const struct mg_cfg_dataplane *d = &cfg->dataplane;
	struct mg_tcp_stack_params sp;
	uint16_t mtu = 1500;

	if (!mg_dp_needs_tcp(cfg))
		return 0;
	for (uint32_t p = 0; p < cfg->n_ports; p++)
		if (cfg->ports[p].mtu != 0 && cfg->ports[p].mtu < mtu)
			mtu = cfg->ports[p].mtu;

	memset(&sp, 0, sizeof(sp));
	sp.worker_index = w->index;
	sp.n_workers = dp->n_workers;
	/* Active opens (the proxy's upstream connections) use the ports
	 * below the full-NAT range, above the health probes'. */
	sp.port_min = MG_TCP_ACTIVE_PORT_MIN;
	sp.port_max = (uint16_t)(d->snat_port_min - 1);
	sp.max_conns = d->tcp_max_conns;
	sp.max_memory = d->tcp_max_memory_mb << 20;
	sp.mtu = mtu;
	sp.time_wait_ms = d->tcp_time_wait_ms;
	sp.seed = rte_rdtsc() ^ ((uint64_t)w->index << 56);
	sp.pool = dp->pool;
	sp.xmit = tcp_xmit;
	sp.xmit_ctx = w;
	sp.socket = (int)rte_lcore_to_socket_id(w->lcore_id);
	w->tcp = mg_tcp_stack_create(&sp);
	if (w->tcp == NULL) {
		snprintf(err, err_len, "worker %u: cannot create the TCP stack: %s",
			 w->index, rte_strerror(rte_errno));
		return -rte_errno;
	}

	if (proxy_init(dp, w, sp.socket, err, err_len) != 0)
		return -ENOMEM;

	for (uint32_t l = 0; l < cfg->n_listeners; l++) {
		const struct mg_cfg_listener *cl = &cfg->listeners[l];
		struct mg_service_params svp;
		int rc;

		if (mg_listener_mode_is_http(cl->mode)) {
			rc = listen_on(w, cl, mg_proxy_event,
				       mg_proxy_listener_user(w->proxy, l), err, err_len);
			if (rc != 0)
				return rc;
			continue;
		}
		if (cl->mode != MG_MODE_SERVICE)
			continue;
		memset(&svp, 0, sizeof(svp));
		if (mg_service_kind_parse(cl->service, &svp.kind) != 0) {
			snprintf(err, err_len, "listener %s: unknown service %s",
				 cl->name, cl->service);
			return -EINVAL;
		}
		svp.max_conns = d->tcp_max_conns;
		svp.http_body_size = cl->http_body_size;
		svp.source_max_bytes = cl->source_max_bytes;
		svp.socket = sp.socket;
		w->service[l] = mg_service_create(&svp);
		if (w->service[l] == NULL) {
			snprintf(err, err_len, "listener %s: cannot create the %s service",
				 cl->name, cl->service);
			return -ENOMEM;
		}
		rc = listen_on(w, cl, mg_service_event, w->service[l], err, err_len);
		if (rc != 0)
			return rc;
	}
	return 0;
}

void
mg_dp_tcp_free(struct mg_worker *w)
{
	mg_tcp_stack_free(w->tcp);
	w->tcp = NULL;
	mg_proxy_free(w->proxy);
	w->proxy = NULL;
	rte_ring_free(w->access_log);
	rte_ring_free(w->probe_req);
	rte_ring_free(w->waf_audit);
	w->access_log = w->probe_req = w->waf_audit = NULL;
	for (uint32_t l = 0; l < MG_MAX_LISTENERS; l++) {
		mg_service_free(w->service[l]);
		w->service[l] = NULL;
	}
}
