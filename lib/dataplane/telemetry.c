/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Counters, summed over workers when read: through DPDK telemetry
 * (/meshgate/... commands, for dpdk-telemetry.py and monitoring) and as text
 * for the periodic and final statistics. Workers write their own counters
 * with plain stores; readers may see a value one burst old, never a torn one
 * (aligned 64-bit words).
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>

#include <rte_ethdev.h>
#include <rte_telemetry.h>

#include "dp_internal.h"
#include "mg_clock.h"
#include "mg_counters.h"

static const struct mg_dataplane *tel_dp;

static uint64_t
sum_worker(const struct mg_dataplane *dp, size_t offset)
{
	uint64_t s = 0;

	for (uint32_t i = 0; i < dp->n_workers; i++)
		s += *(const uint64_t *)((const char *)&dp->workers[i]->stats + offset);
	return s;
}

#define SUM(dp, field) sum_worker(dp, offsetof(struct mg_worker_stats, field))

static uint64_t
sum_array(const struct mg_dataplane *dp, size_t which, uint32_t idx)
{
	uint64_t s = 0;

	for (uint32_t i = 0; i < dp->n_workers; i++) {
		const struct mg_worker *w = dp->workers[i];
		const uint64_t *a = which == 0 ? w->listener_flows
			: which == 1 ? w->listener_pkts : w->endpoint_flows;
		s += a[idx];
	}
	return s;
}

/* Live full-NAT flows of a worker (none without an L4 path). */
static uint32_t
ct_count(const struct mg_worker *w)
{
	return w->ct != NULL ? mg_ct_count(w->ct) : 0;
}

static uint64_t
flows_live(const struct mg_dataplane *dp)
{
	uint64_t s = 0;

	for (uint32_t i = 0; i < dp->n_workers; i++)
		s += ct_count(dp->workers[i]);
	return s;
}

/* Telemetry keys may hold only [A-Za-z0-9_/]: "eth-truncated" is
 * published as "eth_truncated". */
static const char *
tel_key(char *buf, size_t len, const char *prefix, const char *name)
{
	snprintf(buf, len, "%s%s", prefix, name);
	for (char *c = buf; *c != '\0'; c++)
		if (!isalnum((unsigned char)*c) && *c != '_' && *c != '/')
			*c = '_';
	return buf;
}

static uint64_t
ct_errors(const struct mg_dataplane *dp, int reason)
{
	uint64_t s = 0;

	for (uint32_t i = 0; i < dp->n_workers; i++)
		if (dp->workers[i]->ct != NULL)
			s += mg_ct_stats(dp->workers[i]->ct)->errors[reason];
	return s;
}

static int
tel_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct mg_dataplane *dp = tel_dp;
	char k[64];

	if (dp == NULL)
		return -ENODEV;
	rte_tel_data_start_dict(d);
	for (uint32_t p = 0; p < dp->n_ports; p++) {
		struct rte_tel_data *c = rte_tel_data_alloc();
		struct rte_eth_stats es;

		if (c == NULL)
			return -ENOMEM;
		memset(&es, 0, sizeof(es));
		rte_eth_stats_get(dp->ports[p].port_id, &es);
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_u64(c, "dpdk_port", dp->ports[p].port_id);
		rte_tel_data_add_dict_u64(c, "rx_packets", SUM(dp, rx_pkts[p]));
		rte_tel_data_add_dict_u64(c, "rx_bytes", SUM(dp, rx_bytes[p]));
		rte_tel_data_add_dict_u64(c, "tx_packets", SUM(dp, tx_pkts[p]));
		rte_tel_data_add_dict_u64(c, "tx_bytes", SUM(dp, tx_bytes[p]));
		rte_tel_data_add_dict_u64(c, "rx_missed", es.imissed);
		rte_tel_data_add_dict_u64(c, "rx_errors", es.ierrors);
		rte_tel_data_add_dict_u64(c, "tx_errors", es.oerrors);
		rte_tel_data_add_dict_container(d, tel_key(k, sizeof(k), "",
						dp->ports[p].name), c, 0);
	}
	return 0;
}

static int
tel_lcores(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct mg_dataplane *dp = tel_dp;

	if (dp == NULL)
		return -ENODEV;
	rte_tel_data_start_dict(d);
	for (uint32_t i = 0; i < dp->n_workers; i++) {
		const struct mg_worker *w = dp->workers[i];
		struct rte_tel_data *c = rte_tel_data_alloc();
		char name[32];

		if (c == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_u64(c, "lcore", w->lcore_id);
		rte_tel_data_add_dict_u64(c, "polls", w->stats.polls);
		rte_tel_data_add_dict_u64(c, "busy_polls", w->stats.busy_polls);
		rte_tel_data_add_dict_u64(c, "packets", w->stats.busy_pkts);
		rte_tel_data_add_dict_u64(c, "cycles_per_packet", w->stats.busy_pkts
			? w->stats.busy_cycles / w->stats.busy_pkts : 0);
		rte_tel_data_add_dict_u64(c, "busy_cycles", w->stats.busy_cycles);
		rte_tel_data_add_dict_u64(c, "flows", ct_count(w));
		rte_tel_data_add_dict_u64(c, "ct_memory_bytes",
					  w->ct != NULL ? mg_ct_memory(w->ct) : 0);
		rte_tel_data_add_dict_u64(c, "handoff_out", w->stats.handoff_out);
		rte_tel_data_add_dict_u64(c, "handoff_in", w->stats.handoff_in);
		rte_tel_data_add_dict_u64(c, "arp_replies", w->stats.arp_replies);
		rte_tel_data_add_dict_u64(c, "icmp_echo_replies", w->stats.icmp_echo_replies);
		rte_tel_data_add_dict_u64(c, "nd_adverts", w->stats.nd_adverts);
		if (w->tcp != NULL) {
			struct mg_tcp_stats ts;
			char k[64];

			/* This worker's terminated connections by state. */
			mg_tcp_stats_get(w->tcp, &ts);
			for (int st = 0; st < MG_TCP_N_STATES; st++)
				rte_tel_data_add_dict_u64(c, tel_key(k, sizeof(k), "tcp_",
						mg_tcp_state_names[st]), ts.conns_by_state[st]);
		}
		snprintf(name, sizeof(name), "worker%u", i);
		rte_tel_data_add_dict_container(d, name, c, 0);
	}
	return 0;
}

static int
tel_listeners(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct mg_dataplane *dp = tel_dp;

	if (dp == NULL)
		return -ENODEV;
	rte_tel_data_start_dict(d);
	for (uint32_t i = 0; i < dp->n_listeners; i++) {
		const struct mg_rt_listener *l = &dp->listeners[i];
		struct rte_tel_data *c = rte_tel_data_alloc();
		char vip[MG_IP_STRLEN], name[MG_NAME_MAX];

		if (c == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_string(c, "address",
					     mg_ip_format(&l->vip, vip, sizeof(vip)));
		rte_tel_data_add_dict_u64(c, "port", l->listen_port);
		rte_tel_data_add_dict_string(c, "protocol",
					     l->proto == IPPROTO_TCP ? "tcp" : "udp");
		rte_tel_data_add_dict_string(c, "cluster",
					     dp->cfg->clusters[l->cluster].name);
		rte_tel_data_add_dict_u64(c, "packets", sum_array(dp, 1, i));
		rte_tel_data_add_dict_u64(c, "connections", sum_array(dp, 0, i));
		rte_tel_data_add_dict_container(d, tel_key(name, sizeof(name), "",
						dp->cfg->listeners[i].name), c, 0);
	}
	return 0;
}

static int
tel_endpoints(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct mg_dataplane *dp = tel_dp;

	if (dp == NULL)
		return -ENODEV;
	rte_tel_data_start_dict(d);
	for (uint32_t cl = 0; cl < dp->n_clusters; cl++) {
		const struct mg_rt_cluster *c = &dp->clusters[cl];

		for (uint32_t i = 0; i < c->n_endpoints; i++) {
			uint32_t e = c->first_endpoint + i;
			const struct mg_rt_endpoint *ep = &dp->endpoints[e];
			struct rte_tel_data *t = rte_tel_data_alloc();
			char ip[MG_IP_STRLEN], name[MG_NAME_MAX + 16];

			if (t == NULL)
				return -ENOMEM;
			rte_tel_data_start_dict(t);
			rte_tel_data_add_dict_string(t, "cluster", dp->cfg->clusters[cl].name);
			rte_tel_data_add_dict_string(t, "state",
					dp->endpoint_up[e] ? "up" : "down");
			rte_tel_data_add_dict_u64(t, "connections", sum_array(dp, 2, e));
			if (ep->health_target != UINT32_MAX) {
				struct mg_health_stats hs;

				mg_health_get(dp->health, ep->health_target, &hs);
				rte_tel_data_add_dict_u64(t, "probes", hs.probes_sent);
				rte_tel_data_add_dict_u64(t, "probes_ok", hs.ok);
				rte_tel_data_add_dict_u64(t, "probes_failed", hs.failed);
				rte_tel_data_add_dict_u64(t, "probe_timeouts", hs.timeouts);
			}
			rte_tel_data_add_dict_string(t, "address",
					mg_ip_format(&ep->addr, ip, sizeof(ip)));
			rte_tel_data_add_dict_u64(t, "port", ep->port);
			/* Telemetry keys allow only [A-Za-z0-9_/.-]: name
			 * endpoints by cluster and position. */
			snprintf(ip, sizeof(ip), "/%u", i);
			rte_tel_data_add_dict_container(d, tel_key(name, sizeof(name),
					dp->cfg->clusters[cl].name, ip), t, 0);
		}
	}
	return 0;
}

static int
tel_drops(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct mg_dataplane *dp = tel_dp;

	if (dp == NULL)
		return -ENODEV;
	char k[64];

	rte_tel_data_start_dict(d);
	for (int r = 1; r < MG_NET_DROP_MAX; r++)
		rte_tel_data_add_dict_u64(d, tel_key(k, sizeof(k), "", mg_net_drop_names[r]),
					  SUM(dp, net_drops[r]));
	for (int r = 0; r < MG_DP_DROP_MAX; r++)
		rte_tel_data_add_dict_u64(d, tel_key(k, sizeof(k), "", mg_dp_drop_names[r]),
					  SUM(dp, dp_drops[r]));
	for (int r = 0; r < MG_CT_ERR_MAX; r++)
		rte_tel_data_add_dict_u64(d, tel_key(k, sizeof(k), "conntrack_",
					  mg_ct_error_names[r]), ct_errors(dp, r));
	return 0;
}

/* The TCP stacks of all workers, summed. */
static bool
tcp_stats_sum(const struct mg_dataplane *dp, struct mg_tcp_stats *sum)
{
	bool any = false;

	memset(sum, 0, sizeof(*sum));
	for (uint32_t i = 0; i < dp->n_workers; i++) {
		struct mg_tcp_stats st;

		if (dp->workers[i]->tcp == NULL)
			continue;
		mg_tcp_stats_get(dp->workers[i]->tcp, &st);
		MG_COUNTERS_ADD(sum, &st);
		any = true;
	}
	return any;
}

static int
tel_tcp(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct mg_dataplane *dp = tel_dp;
	struct mg_tcp_stats st;
	char k[64];

	if (dp == NULL)
		return -ENODEV;
	rte_tel_data_start_dict(d);
	if (!tcp_stats_sum(dp, &st))
		return 0;
	for (int i = 0; i < MG_TCP_N_STATES; i++)
		rte_tel_data_add_dict_u64(d, tel_key(k, sizeof(k), "conns_",
					  mg_tcp_state_names[i]), st.conns_by_state[i]);
	rte_tel_data_add_dict_u64(d, "active_opens", st.active_opens);
	rte_tel_data_add_dict_u64(d, "passive_opens", st.passive_opens);
	rte_tel_data_add_dict_u64(d, "segs_in", st.segs_in);
	rte_tel_data_add_dict_u64(d, "segs_out", st.segs_out);
	rte_tel_data_add_dict_u64(d, "retransmits", st.retransmits);
	rte_tel_data_add_dict_u64(d, "bytes_in", st.bytes_in);
	rte_tel_data_add_dict_u64(d, "bytes_out", st.bytes_out);
	rte_tel_data_add_dict_u64(d, "memory", st.memory);
	for (int i = 0; i < MG_TCP_ERR_MAX; i++)
		rte_tel_data_add_dict_u64(d, tel_key(k, sizeof(k), "",
					  mg_tcp_error_names[i]), st.errors[i]);
	return 0;
}

static int
tel_services(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct mg_dataplane *dp = tel_dp;
	char k[64];

	if (dp == NULL)
		return -ENODEV;
	rte_tel_data_start_dict(d);
	for (uint32_t l = 0; l < dp->n_listeners; l++) {
		struct mg_service_stats sum = { 0 };
		struct rte_tel_data *c;

		if (dp->cfg->listeners[l].mode != MG_MODE_SERVICE)
			continue;
		for (uint32_t i = 0; i < dp->n_workers; i++) {
			struct mg_service_stats st;

			if (dp->workers[i]->service[l] == NULL)
				continue;
			mg_service_stats_get(dp->workers[i]->service[l], &st);
			sum.accepted += st.accepted;
			sum.closed += st.closed;
			sum.refused += st.refused;
			sum.bytes_in += st.bytes_in;
			sum.bytes_out += st.bytes_out;
			sum.requests += st.requests;
			sum.bad_requests += st.bad_requests;
		}
		c = rte_tel_data_alloc();
		if (c == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_string(c, "service", dp->cfg->listeners[l].service);
		rte_tel_data_add_dict_u64(c, "accepted", sum.accepted);
		rte_tel_data_add_dict_u64(c, "closed", sum.closed);
		rte_tel_data_add_dict_u64(c, "refused", sum.refused);
		rte_tel_data_add_dict_u64(c, "bytes_in", sum.bytes_in);
		rte_tel_data_add_dict_u64(c, "bytes_out", sum.bytes_out);
		rte_tel_data_add_dict_u64(c, "requests", sum.requests);
		rte_tel_data_add_dict_u64(c, "bad_requests", sum.bad_requests);
		rte_tel_data_add_dict_container(d, tel_key(k, sizeof(k), "",
						dp->cfg->listeners[l].name), c, 0);
	}
	return 0;
}

/* The HTTP proxy, all workers together. */
static int
tel_http(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct mg_dataplane *dp = tel_dp;
	struct mg_proxy_stats sum = { 0 };
	struct rte_tel_data *e;
	char k[64];

	if (dp == NULL)
		return -ENODEV;
	for (uint32_t i = 0; i < dp->n_workers; i++) {
		struct mg_proxy_stats st;

		if (dp->workers[i]->proxy == NULL)
			continue;
		mg_proxy_stats_get(dp->workers[i]->proxy, &st);
		MG_COUNTERS_ADD(&sum, &st);
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "sessions", sum.sessions);
	rte_tel_data_add_dict_u64(d, "sessions_refused", sum.sessions_refused);
	rte_tel_data_add_dict_u64(d, "requests", sum.requests);
	rte_tel_data_add_dict_u64(d, "responses", sum.responses);
	for (unsigned c = 1; c <= 5; c++) {
		snprintf(k, sizeof(k), "status_%ux", c);
		rte_tel_data_add_dict_u64(d, k, sum.by_class[c]);
	}
	rte_tel_data_add_dict_u64(d, "no_response", sum.by_class[0]);
	rte_tel_data_add_dict_u64(d, "local_responses", sum.local_responses);
	rte_tel_data_add_dict_u64(d, "upgrades", sum.upgrades);
	rte_tel_data_add_dict_u64(d, "bytes_in", sum.bytes_in);
	rte_tel_data_add_dict_u64(d, "bytes_out", sum.bytes_out);
	rte_tel_data_add_dict_u64(d, "access_log_records", sum.log_records);
	rte_tel_data_add_dict_u64(d, "access_log_dropped", sum.log_dropped);
	rte_tel_data_add_dict_u64(d, "access_log_written", dp->access_log_lines);
	rte_tel_data_add_dict_u64(d, "access_log_errors", dp->access_log_errors);
	rte_tel_data_add_dict_u64(d, "tls_handshakes", sum.tls_handshakes);
	rte_tel_data_add_dict_u64(d, "tls_failures", sum.tls_failures);
	rte_tel_data_add_dict_u64(d, "tls_handshake_timeouts", sum.tls_handshake_timeouts);
	rte_tel_data_add_dict_u64(d, "tls_reloads", sum.tls_reloads);
	rte_tel_data_add_dict_u64(d, "tls_reload_failures", sum.tls_reload_failures);
	rte_tel_data_add_dict_u64(d, "upstream_tls_failures", sum.upstream_tls_failures);
	rte_tel_data_add_dict_u64(d, "waf_matched", sum.waf_matched);
	rte_tel_data_add_dict_u64(d, "waf_blocked", sum.waf_blocked);
	rte_tel_data_add_dict_u64(d, "waf_audit_dropped", sum.waf_audit_dropped);
	rte_tel_data_add_dict_u64(d, "waf_bodies_held", sum.waf_bodies_held);
	rte_tel_data_add_dict_u64(d, "waf_bodies_truncated",
				  sum.waf_bodies_truncated);
	rte_tel_data_add_dict_u64(d, "waf_bodies_streamed", sum.waf_bodies_streamed);
	rte_tel_data_add_dict_u64(d, "waf_audit_written", dp->waf_audit_lines);
	rte_tel_data_add_dict_u64(d, "health_probes", sum.probes);
	rte_tel_data_add_dict_u64(d, "health_probe_failures", sum.probe_failures);
	e = rte_tel_data_alloc();
	if (e == NULL)
		return -ENOMEM;
	rte_tel_data_start_dict(e);
	for (unsigned r = 0; r < MG_PROXY_E_MAX; r++)
		rte_tel_data_add_dict_u64(e, tel_key(k, sizeof(k), "",
					  mg_proxy_error_names[r]), sum.errors[r]);
	rte_tel_data_add_dict_container(d, "errors", e, 0);
	e = rte_tel_data_alloc();
	if (e == NULL)
		return -ENOMEM;
	rte_tel_data_start_dict(e);
	for (int r = MG_HTTP_AGAIN + 1; r < MG_HTTP_RC_MAX; r++)
		rte_tel_data_add_dict_u64(e, mg_http_rc_name(r), sum.http_errors[r]);
	rte_tel_data_add_dict_container(d, "http_errors", e, 0);
	return 0;
}

/* Per route: requests by status class and latency quantiles (us). */
static int
tel_routes(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct mg_dataplane *dp = tel_dp;
	char k[64];

	if (dp == NULL)
		return -ENODEV;
	rte_tel_data_start_dict(d);
	for (uint32_t r = 0; r < dp->cfg->n_routes && r < 256; r++) {
		struct mg_proxy_route_stats sum = { 0 };
		struct rte_tel_data *c;

		for (uint32_t i = 0; i < dp->n_workers; i++) {
			const struct mg_proxy_route_stats *st;

			if (dp->workers[i]->proxy == NULL)
				continue;
			st = mg_proxy_route_stats(dp->workers[i]->proxy, r);
			if (st != NULL)
				MG_COUNTERS_ADD(&sum, st);
		}
		c = rte_tel_data_alloc();
		if (c == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_u64(c, "requests", sum.requests);
		for (unsigned b = 1; b <= 5; b++) {
			snprintf(k, sizeof(k), "status_%ux", b);
			rte_tel_data_add_dict_u64(c, k, sum.by_class[b]);
		}
		rte_tel_data_add_dict_u64(c, "edge_p50_us",
				mg_proxy_hist_quantile(sum.edge_us, 0.5));
		rte_tel_data_add_dict_u64(c, "edge_p99_us",
				mg_proxy_hist_quantile(sum.edge_us, 0.99));
		rte_tel_data_add_dict_u64(c, "upstream_p50_us",
				mg_proxy_hist_quantile(sum.upstream_us, 0.5));
		rte_tel_data_add_dict_u64(c, "upstream_p99_us",
				mg_proxy_hist_quantile(sum.upstream_us, 0.99));
		rte_tel_data_add_dict_container(d, tel_key(k, sizeof(k), "",
					dp->cfg->routes[r].name), c, 0);
	}
	return 0;
}

/* Per cluster, the proxy's side: pools, breakers, retries, ejections. */
static int
tel_clusters(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct mg_dataplane *dp = tel_dp;
	static const char *const breaker[4] = {
		"breaker_connections", "breaker_pending", "breaker_requests",
		"breaker_retries",
	};
	char k[64];

	if (dp == NULL)
		return -ENODEV;
	rte_tel_data_start_dict(d);
	for (uint32_t cl = 0; cl < dp->n_clusters; cl++) {
		struct mg_proxy_cluster_stats sum = { 0 };
		struct rte_tel_data *c;
		uint64_t ejected = 0;

		for (uint32_t i = 0; i < dp->n_workers; i++) {
			struct mg_proxy_cluster_stats st;
			struct mg_proxy *px = dp->workers[i]->proxy;

			if (px == NULL)
				continue;
			mg_proxy_cluster_stats(px, cl, &st);
			sum.requests += st.requests;
			sum.retries += st.retries;
			sum.connects += st.connects;
			sum.connect_failures += st.connect_failures;
			sum.pool_reuses += st.pool_reuses;
			sum.ejections += st.ejections;
			for (unsigned b = 0; b < 4; b++)
				sum.breaker_open[b] += st.breaker_open[b];
			sum.active_requests += st.active_requests;
			sum.pending += st.pending;
			sum.connections += st.connections;
			sum.idle += st.idle;
			for (uint32_t e = 0; e < dp->clusters[cl].n_endpoints; e++)
				ejected += mg_proxy_endpoint_ejected(px, cl, e);
		}
		c = rte_tel_data_alloc();
		if (c == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_u64(c, "requests", sum.requests);
		rte_tel_data_add_dict_u64(c, "retries", sum.retries);
		rte_tel_data_add_dict_u64(c, "connects", sum.connects);
		rte_tel_data_add_dict_u64(c, "connect_failures", sum.connect_failures);
		rte_tel_data_add_dict_u64(c, "pool_reuses", sum.pool_reuses);
		rte_tel_data_add_dict_u64(c, "ejections", sum.ejections);
		rte_tel_data_add_dict_u64(c, "ejected_now", ejected);
		for (unsigned b = 0; b < 4; b++)
			rte_tel_data_add_dict_u64(c, breaker[b], sum.breaker_open[b]);
		rte_tel_data_add_dict_u64(c, "active_requests", sum.active_requests);
		rte_tel_data_add_dict_u64(c, "pending", sum.pending);
		rte_tel_data_add_dict_u64(c, "connections", sum.connections);
		rte_tel_data_add_dict_u64(c, "idle", sum.idle);
		rte_tel_data_add_dict_container(d, tel_key(k, sizeof(k), "",
					dp->cfg->clusters[cl].name), c, 0);
	}
	return 0;
}

/* TLS, per https listener and per TLS cluster: handshakes (and per
 * worker, to see where resumptions land), failures by reason, records. */
static int
tls_entry(const struct mg_dataplane *dp, bool listener, uint32_t idx,
	  const char *name, struct rte_tel_data *d)
{
	struct mg_tls_stats sum = { 0 };
	struct rte_tel_data *c = rte_tel_data_alloc();
	char k[64];

	if (c == NULL)
		return -ENOMEM;
	/* flat: DPDK 22.11 telemetry nests containers one level only */
	rte_tel_data_start_dict(c);
	for (uint32_t i = 0; i < dp->n_workers; i++) {
		struct mg_tls_stats st;
		struct mg_proxy *px = dp->workers[i]->proxy;

		if (px == NULL)
			continue;
		if (listener)
			mg_proxy_tls_listener_stats(px, idx, &st);
		else
			mg_proxy_tls_cluster_stats(px, idx, &st);
		MG_COUNTERS_ADD(&sum, &st);
		snprintf(k, sizeof(k), "handshakes_worker%u", i);
		rte_tel_data_add_dict_u64(c, k, st.handshakes);
		snprintf(k, sizeof(k), "resumed_worker%u", i);
		rte_tel_data_add_dict_u64(c, k, st.resumed);
	}
	rte_tel_data_add_dict_u64(c, "handshakes", sum.handshakes);
	rte_tel_data_add_dict_u64(c, "resumed", sum.resumed);
	rte_tel_data_add_dict_u64(c, "sni_default", sum.sni_default);
	rte_tel_data_add_dict_u64(c, "peer_certs", sum.peer_certs);
	rte_tel_data_add_dict_u64(c, "offloaded", sum.offloaded);
	rte_tel_data_add_dict_u64(c, "offload_failed", sum.offload_failed);
	rte_tel_data_add_dict_u64(c, "alerts_sent", sum.alerts_sent);
	rte_tel_data_add_dict_u64(c, "key_updates_in", sum.key_updates_in);
	rte_tel_data_add_dict_u64(c, "key_updates_out", sum.key_updates_out);
	rte_tel_data_add_dict_u64(c, "records_in", sum.records_in);
	rte_tel_data_add_dict_u64(c, "records_out", sum.records_out);
	rte_tel_data_add_dict_u64(c, "bytes_in", sum.bytes_in);
	rte_tel_data_add_dict_u64(c, "bytes_out", sum.bytes_out);
	for (unsigned r = 1; r < MG_TLS_ERR_MAX; r++)
		rte_tel_data_add_dict_u64(c, tel_key(k, sizeof(k), "error_",
				mg_tls_error_name((enum mg_tls_error)r)),
				sum.errors[r]);
	rte_tel_data_add_dict_container(d, tel_key(k, sizeof(k),
				listener ? "listener_" : "cluster_", name), c, 0);
	return 0;
}

static int
tel_tls(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct mg_dataplane *dp = tel_dp;
	const struct mg_config *cfg;

	if (dp == NULL)
		return -ENODEV;
	cfg = dp->cfg;
	rte_tel_data_start_dict(d);
	for (uint32_t l = 0; l < cfg->n_listeners; l++)
		if (cfg->listeners[l].mode == MG_MODE_HTTPS &&
		    tls_entry(dp, true, l, cfg->listeners[l].name, d) != 0)
			return -ENOMEM;
	for (uint32_t ci = 0; ci < cfg->n_clusters; ci++)
		if (cfg->clusters[ci].tls.enabled &&
		    tls_entry(dp, false, ci, cfg->clusters[ci].name, d) != 0)
			return -ENOMEM;
	return 0;
}

static int
tel_summary(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct mg_dataplane *dp = tel_dp;

	if (dp == NULL)
		return -ENODEV;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "workers", dp->n_workers);
	rte_tel_data_add_dict_u64(d, "flows", flows_live(dp));
	rte_tel_data_add_dict_u64(d, "lb_rebuilds", dp->lb_rebuilds);
	rte_tel_data_add_dict_u64(d, "control_messages", dp->ctl_msgs);
	return 0;
}

int
mg_telemetry_register(struct mg_dataplane *dp)
{
	static bool registered;
	int rc = 0;

	tel_dp = dp;
	if (dp == NULL || registered)
		return 0;
	registered = true;
	rc |= rte_telemetry_register_cmd("/meshgate/summary", tel_summary,
			"Workers, live flows, table rebuilds. No parameters.");
	rc |= rte_telemetry_register_cmd("/meshgate/ports", tel_ports,
			"Per-port packet and byte counters. No parameters.");
	rc |= rte_telemetry_register_cmd("/meshgate/lcores", tel_lcores,
			"Per-worker polls, packets, cycles per packet, flows. No parameters.");
	rc |= rte_telemetry_register_cmd("/meshgate/listeners", tel_listeners,
			"Per-listener packets and connections. No parameters.");
	rc |= rte_telemetry_register_cmd("/meshgate/endpoints", tel_endpoints,
			"Per-endpoint state, connections and health probes. No parameters.");
	rc |= rte_telemetry_register_cmd("/meshgate/drops", tel_drops,
			"Drops by reason. No parameters.");
	rc |= rte_telemetry_register_cmd("/meshgate/tcp", tel_tcp,
			"TCP stack: connections by state, segments, errors. No parameters.");
	rc |= rte_telemetry_register_cmd("/meshgate/tls", tel_tls,
			"TLS per https listener and TLS cluster: handshakes, failures by reason, records");
	rc |= rte_telemetry_register_cmd("/meshgate/http", tel_http,
			"HTTP proxy: requests, status classes, errors by reason");
	rc |= rte_telemetry_register_cmd("/meshgate/routes", tel_routes,
			"per route: requests by status class, edge and upstream latency");
	rc |= rte_telemetry_register_cmd("/meshgate/clusters", tel_clusters,
			"per cluster: pools, circuit breakers, retries, ejections");
	rc |= rte_telemetry_register_cmd("/meshgate/services", tel_services,
			"Built-in services: connections, bytes, requests. No parameters.");
	return rc;
}

/* The statistics as text lines, handed one at a time to the caller (who
 * prints or logs them): a library never writes to a stream itself. */
struct line_sink {
	mg_dataplane_line_fn emit;
	void *arg;
};

static void __rte_format_printf(2, 3)
sink_printf(struct line_sink *sink, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	n = strlen(line);
	if (n > 0 && line[n - 1] == '\n')
		line[n - 1] = '\0';
	sink->emit(line, sink->arg);
}

void
mg_stats_lines(const struct mg_dataplane *dp, mg_dataplane_line_fn emit,
	       void *arg)
{
	struct line_sink out = { emit, arg };
	uint64_t now_s = (mg_clock_now_us() - dp->start_us) / 1000000;

	sink_printf(&out, "meshgate: stats after %" PRIu64 " s: %" PRIu64 " live flows\n",
		now_s, flows_live(dp));
	for (uint32_t p = 0; p < dp->n_ports; p++)
		sink_printf(&out, "  port %-8s rx %" PRIu64 " pkts %" PRIu64 " bytes, "
			"tx %" PRIu64 " pkts %" PRIu64 " bytes\n", dp->ports[p].name,
			SUM(dp, rx_pkts[p]), SUM(dp, rx_bytes[p]),
			SUM(dp, tx_pkts[p]), SUM(dp, tx_bytes[p]));
	for (uint32_t i = 0; i < dp->n_workers; i++) {
		const struct mg_worker *w = dp->workers[i];

		sink_printf(&out, "  worker %u (lcore %u): %" PRIu64 " pkts, %" PRIu64
			" cycles/pkt, %u flows, handoff out %" PRIu64 " in %" PRIu64 "\n",
			i, w->lcore_id, w->stats.busy_pkts,
			w->stats.busy_pkts ? w->stats.busy_cycles / w->stats.busy_pkts : 0,
			ct_count(w), w->stats.handoff_out, w->stats.handoff_in);
	}
	for (uint32_t l = 0; l < dp->n_listeners; l++)
		sink_printf(&out, "  listener %-10s %" PRIu64 " pkts, %" PRIu64 " connections\n",
			dp->cfg->listeners[l].name, sum_array(dp, 1, l),
			sum_array(dp, 0, l));
	for (uint32_t e = 0; e < dp->n_endpoints; e++) {
		char ip[MG_IP_STRLEN];

		sink_printf(&out, "  endpoint %s:%u %s, %" PRIu64 " connections\n",
			mg_ip_format(&dp->endpoints[e].addr, ip, sizeof(ip)),
			dp->endpoints[e].port, dp->endpoint_up[e] ? "up" : "down",
			sum_array(dp, 2, e));
	}
	struct mg_tcp_stats ts;

	if (tcp_stats_sum(dp, &ts)) {
		sink_printf(&out, "  tcp: %" PRIu64 " passive opens, %" PRIu64 " segments in, %"
			PRIu64 " out, %" PRIu64 " retransmitted, %" PRIu64 " established\n",
			ts.passive_opens, ts.segs_in, ts.segs_out, ts.retransmits,
			ts.conns_by_state[MG_TCP_ESTABLISHED]);
		for (int r = 0; r < MG_TCP_ERR_MAX; r++)
			if (ts.errors[r] != 0)
				sink_printf(&out, "  tcp %-25s %" PRIu64 "\n",
					mg_tcp_error_names[r], ts.errors[r]);
	}
	for (int r = 1; r < MG_NET_DROP_MAX; r++)
		if (SUM(dp, net_drops[r]) != 0)
			sink_printf(&out, "  drop %-24s %" PRIu64 "\n", mg_net_drop_names[r],
				SUM(dp, net_drops[r]));
	for (int r = 0; r < MG_DP_DROP_MAX; r++)
		if (SUM(dp, dp_drops[r]) != 0)
			sink_printf(&out, "  drop %-24s %" PRIu64 "\n", mg_dp_drop_names[r],
				SUM(dp, dp_drops[r]));
	for (int r = 0; r < MG_CT_ERR_MAX; r++)
		if (ct_errors(dp, r) != 0)
			sink_printf(&out, "  conntrack %-19s %" PRIu64 "\n", mg_ct_error_names[r],
				ct_errors(dp, r));
}
