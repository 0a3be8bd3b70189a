/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The control loop on the main lcore: it takes the workers' messages
 * (neighbours learned or missed, health-probe replies), ages the neighbour
 * tables, schedules health checks, and rebuilds a cluster's Maglev table
 * when an endpoint goes up or down. New tables are published with an
 * atomic pointer swap; old ones are freed after an RCU grace period, so a
 * worker never waits and never reads freed memory.
 */
#include <netinet/in.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "dp_internal.h"
#include "mg_clock.h"

#define MG_CTL_PERIOD_US	1000	/* the loop's pace */
#define MG_NEIGH_AGE_US		100000

static struct mg_worker *
ctl_worker(struct mg_dataplane *dp)
{
	/* Control packets leave through worker 0's TX queues. */
	return dp->workers[0];
}

static int
ctl_send(struct mg_dataplane *dp, struct rte_mbuf *m, uint16_t port)
{
	m->port = port;
	if (rte_ring_sp_enqueue(ctl_worker(dp)->ctl_tx, m) != 0) {
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	return 0;
}

struct probe_ctx {
	struct mg_dataplane *dp;
	uint16_t port;
};

static void
neigh_probe(const struct mg_ip *ip, const struct rte_ether_addr *mac, void *arg)
{
	struct probe_ctx *pc = arg;
	struct mg_dp_port *port = &pc->dp->ports[pc->port];
	struct rte_mbuf *m;

	m = mg_neigh_probe_build(pc->dp->pool, &port->iface, ip, mac);
	if (m != NULL)
		ctl_send(pc->dp, m, pc->port);
}

static const struct mg_ip *
iface_source(const struct mg_net_iface *ifc, uint8_t family)
{
	for (uint32_t i = 0; i < ifc->n_addrs; i++)
		if (ifc->addrs[i].family == family)
			return &ifc->addrs[i];
	return NULL;
}

static int
health_send(uint32_t target, uint32_t probe_id, void *arg)
{
	struct mg_dataplane *dp = arg;
	const struct mg_rt_endpoint *ep = &dp->endpoints[dp->health_endpoint[target]];

	if (dp->cfg->clusters[ep->cluster].health.type == MG_HEALTH_HTTP) {
		/* HTTP probes need a TCP connection: worker 0's stack runs them */
		const struct mg_rt_cluster *c = &dp->clusters[ep->cluster];
		struct mg_probe_req rq = {
			.target = target, .probe_id = probe_id,
			.cluster = ep->cluster,
			.endpoint = dp->health_endpoint[target] - c->first_endpoint,
		};

		return rte_ring_sp_enqueue_elem(dp->workers[0]->probe_req, &rq,
						sizeof(rq)) == 0 ? 0 : -ENOBUFS;
	}
	uint16_t out = dp->clusters[ep->cluster].out_port;
	struct mg_dp_port *port = &dp->ports[out];
	const struct mg_ip *src = iface_source(&port->iface, ep->addr.family);
	struct rte_ether_addr mac;
	struct mg_ip nh;
	struct rte_mbuf *m;

	if (src == NULL || mg_iface_next_hop(&port->iface, &ep->addr, &nh) != 0)
		return -ENETUNREACH;
	if (mg_neigh_lookup(port->neigh, &nh, &mac) != 0) {
		mg_neigh_request(port->neigh, &nh, mg_clock_now_us());
		return -EHOSTUNREACH;
	}
	struct mg_health_probe pr;

	if (mg_health_probe_info(dp->health, target, probe_id, &pr) != 0)
		return -EINVAL;
	m = mg_tcp_probe_build(dp->pool, &port->iface.mac, &mac, port->iface.vlan,
			       src, pr.sport, &pr.dst, pr.dport, pr.seq);
	if (m == NULL)
		return -ENOMEM;
	return ctl_send(dp, m, out);
}

int
mg_control_rebuild_cluster(struct mg_dataplane *dp, uint32_t cl)
{
	const struct mg_cfg_cluster *cc = &dp->cfg->clusters[cl];
	struct mg_rt_cluster *c = &dp->clusters[cl];
	struct mg_lb_endpoint eps[MG_MAX_ENDPOINTS];
	bool healthy[MG_MAX_ENDPOINTS];
	struct mg_lb *lb, *old;

	for (uint32_t i = 0; i < c->n_endpoints; i++) {
		const struct mg_rt_endpoint *ep = &dp->endpoints[c->first_endpoint + i];

		eps[i].key = mg_l4lb_endpoint_key(&ep->addr, ep->port);
		eps[i].weight = cc->endpoints[i].weight;
		healthy[i] = dp->endpoint_up[c->first_endpoint + i];
	}
	static const char *const algo[] = {
		[MG_LB_MAGLEV] = "maglev", [MG_LB_ROUND_ROBIN] = "round_robin",
		[MG_LB_LEAST_REQUEST] = "least_request",
		[MG_LB_RING_HASH] = "ring_hash", [MG_LB_RANDOM] = "random",
	};
	lb = mg_lb_create(mg_lb_find(algo[cc->lb]), eps, c->n_endpoints,
			  cc->lb == MG_LB_RING_HASH ? cc->ring_size
						    : cc->maglev_table_size,
			  (int)rte_socket_id());
	if (lb == NULL)
		return -rte_errno;
	if (mg_lb_set_healthy(lb, healthy) != 0) {
		mg_lb_free(lb);
		return -EINVAL;
	}
	old = atomic_exchange_explicit(&c->lb, lb, memory_order_release);
	dp->lb_rebuilds++;
	if (old == NULL)
		return 0;
	if (dp->n_lb_retired == RTE_DIM(dp->lb_retired)) {
		/* No room to defer: wait for the grace period here. */
		rte_rcu_qsbr_synchronize(dp->rcu, RTE_QSBR_THRID_INVALID);
		mg_lb_free(old);
		return 0;
	}
	dp->lb_retired[dp->n_lb_retired].lb = old;
	dp->lb_retired[dp->n_lb_retired].token = rte_rcu_qsbr_start(dp->rcu);
	dp->n_lb_retired++;
	return 0;
}

static void
reclaim(struct mg_dataplane *dp)
{
	unsigned kept = 0;

	for (unsigned i = 0; i < dp->n_lb_retired; i++) {
		if (rte_rcu_qsbr_check(dp->rcu, dp->lb_retired[i].token, false) == 1)
			mg_lb_free(dp->lb_retired[i].lb);
		else
			dp->lb_retired[kept++] = dp->lb_retired[i];
	}
	dp->n_lb_retired = kept;
}

static void
health_changed(struct mg_dataplane *dp)
{
	bool dirty[MG_MAX_CLUSTERS] = { false };

	for (uint32_t t = 0; t < dp->n_health_targets; t++) {
		uint32_t e = dp->health_endpoint[t];
		bool up = mg_health_is_up(dp->health, t);
		char ip[MG_IP_STRLEN];

		if (up == dp->endpoint_up[e])
			continue;
		dp->endpoint_up[e] = up;
		dirty[dp->endpoints[e].cluster] = true;
		MG_DP_LOG(NOTICE, "cluster %s: endpoint %s:%u is %s",
			  dp->cfg->clusters[dp->endpoints[e].cluster].name,
			  mg_ip_format(&dp->endpoints[e].addr, ip, sizeof(ip)),
			  dp->endpoints[e].port, up ? "UP" : "DOWN");
	}
	for (uint32_t cl = 0; cl < dp->n_clusters; cl++)
		if (dirty[cl] && mg_control_rebuild_cluster(dp, cl) != 0)
			MG_DP_LOG(ERR, "cluster %s: table rebuild failed",
				  dp->cfg->clusters[cl].name);
}

static void
drain_messages(struct mg_dataplane *dp, uint64_t now)
{
	struct mg_ctl_msg msgs[64];

	for (uint32_t i = 0; i < dp->n_workers; i++) {
		unsigned n = rte_ring_sc_dequeue_burst_elem(dp->workers[i]->to_main,
				msgs, sizeof(msgs[0]), RTE_DIM(msgs), NULL);

		dp->ctl_msgs += n;
		for (unsigned k = 0; k < n; k++) {
			struct mg_ctl_msg *m = &msgs[k];
			struct mg_neigh_table *nt = m->port < dp->n_ports
				? dp->ports[m->port].neigh : NULL;

			switch (m->kind) {
			case MG_CTL_NEIGH_LEARN:
				if (nt != NULL)
					mg_neigh_apply(nt, &m->learn, now);
				break;
			case MG_CTL_NEIGH_MISS:
				if (nt != NULL)
					mg_neigh_request(nt, &m->learn.ip, now);
				break;
			case MG_CTL_HEALTH_REPLY:
				if (dp->health != NULL)
					mg_health_report(dp->health, m->target,
							 m->probe_id, m->up, now);
				break;
			}
		}
	}
}

/* Announce our addresses and resolve the next hops we will need, so the
 * first packets of the first flows do not wait for ARP. */
static void
announce(struct mg_dataplane *dp, uint64_t now)
{
	for (uint32_t p = 0; p < dp->n_ports; p++) {
		struct mg_net_iface *ifc = &dp->ports[p].iface;

		for (uint32_t i = 0; i < ifc->n_addrs + ifc->n_extra; i++) {
			const struct mg_ip *a = i < ifc->n_addrs ? &ifc->addrs[i]
				: &ifc->extra[i - ifc->n_addrs];
			struct rte_mbuf *m = a->family == AF_INET
				? mg_arp_gratuitous(dp->pool, ifc, a)
				: mg_nd_unsolicited_na(dp->pool, ifc, a);
			if (m != NULL)
				ctl_send(dp, m, (uint16_t)p);
		}
		if (ifc->gateway4.family != 0)
			mg_neigh_request(dp->ports[p].neigh, &ifc->gateway4, now);
		if (ifc->gateway6.family != 0)
			mg_neigh_request(dp->ports[p].neigh, &ifc->gateway6, now);
	}
	for (uint32_t cl = 0; cl < dp->n_clusters; cl++) {
		const struct mg_rt_cluster *c = &dp->clusters[cl];
		struct mg_dp_port *port = &dp->ports[c->out_port];

		for (uint32_t i = 0; i < c->n_endpoints; i++) {
			struct mg_ip nh;

			if (mg_iface_next_hop(&port->iface,
					&dp->endpoints[c->first_endpoint + i].addr, &nh) == 0)
				mg_neigh_request(port->neigh, &nh, now);
		}
	}
}

/* WAF audit lines from the workers, into logging.waf_audit_log (dropped,
 * and counted, without one). */
static void
waf_audit_drain(struct mg_dataplane *dp)
{
	const char *path = dp->cfg->logging.waf_audit_log;
	static struct mg_audit_line a[8];	/* main lcore only */

	if (dp->waf_audit_log == NULL && path[0] != '\0') {
		dp->waf_audit_log = fopen(path, "a");
		if (dp->waf_audit_log == NULL)
			dp->waf_audit_errors++;
	}
	for (uint32_t i = 0; i < dp->n_workers; i++) {
		struct rte_ring *ring = dp->workers[i]->waf_audit;
		unsigned n;

		if (ring == NULL)
			continue;
		do {
			n = rte_ring_sc_dequeue_burst_elem(ring, a, sizeof(a[0]),
							   RTE_DIM(a), NULL);
			for (unsigned k = 0; k < n; k++) {
				if (dp->waf_audit_log != NULL &&
				    fwrite(a[k].text, 1, a[k].len, dp->waf_audit_log) == a[k].len &&
				    fputc('\n', dp->waf_audit_log) != EOF)
					dp->waf_audit_lines++;
				else
					dp->waf_audit_errors++;
			}
		} while (n == RTE_DIM(a));
	}
	if (dp->waf_audit_log != NULL)
		fflush(dp->waf_audit_log);
}

/* Access-log records from the workers, as JSON lines. Formatting and
 * writing happen here so that a worker never waits for the disk. */
static void
access_log_drain(struct mg_dataplane *dp)
{
	const char *path = dp->cfg->logging.access_log;
	struct mg_access_record r[32];
	char line[2048];

	if (atomic_exchange(&dp->reopen_logs, false)) {
		if (dp->access_log != NULL)
			fclose(dp->access_log);
		if (dp->waf_audit_log != NULL)
			fclose(dp->waf_audit_log);
		dp->access_log = dp->waf_audit_log = NULL;
	}
	if (dp->access_log == NULL && path[0] != '\0') {
		dp->access_log = fopen(path, "a");
		if (dp->access_log == NULL) {
			dp->access_log_errors++;
			return;
		}
		setvbuf(dp->access_log, NULL, _IOFBF, 1 << 16);
	}
	for (uint32_t i = 0; i < dp->n_workers; i++) {
		struct rte_ring *ring = dp->workers[i]->access_log;
		unsigned n;

		if (ring == NULL)
			continue;
		do {
			n = rte_ring_sc_dequeue_burst_elem(ring, r, sizeof(r[0]),
							   RTE_DIM(r), NULL);
			for (unsigned k = 0; k < n && dp->access_log != NULL; k++) {
				int len = mg_access_record_json(&r[k], line,
							sizeof(line), dp->cfg);

				if (len > 0 && (size_t)len < sizeof(line) &&
				    fwrite(line, 1, (size_t)len, dp->access_log) == (size_t)len)
					dp->access_log_lines++;
				else
					dp->access_log_errors++;
			}
		} while (n == RTE_DIM(r));
	}
	if (dp->access_log != NULL)
		fflush(dp->access_log);
	waf_audit_drain(dp);
}

/* Say how each worker's TLS reload went, once all have answered. */
static void
tls_reload_report(struct mg_dataplane *dp)
{
	uint32_t gen = atomic_load(&dp->tls_reload_gen);

	if (gen == dp->tls_reload_logged)
		return;
	for (uint32_t i = 0; i < dp->n_workers; i++)
		if (dp->workers[i]->proxy != NULL &&
		    atomic_load_explicit(&dp->workers[i]->tls_done,
					 memory_order_acquire) != gen)
			return;		/* not yet */
	for (uint32_t i = 0; i < dp->n_workers; i++) {
		const struct mg_worker *w = dp->workers[i];

		if (w->proxy == NULL)
			continue;
		if (w->tls_error[0] != '\0')
			MG_DP_LOG(ERR, "TLS reload on worker %u failed, old certificates kept: %s",
				  i, w->tls_error);
		else
			MG_DP_LOG(INFO, "TLS reload on worker %u: new contexts in use", i);
	}
	dp->tls_reload_logged = gen;
}

static void
log_line(const char *line, void *arg)
{
	MG_DP_LOG(INFO, "%s", line);
}

void
mg_control_loop(struct mg_dataplane *dp)
{
	uint64_t now = mg_clock_now_us();
	uint64_t next_age = now, next_stats;
	uint32_t stats_us = dp->cfg->logging.stats_interval_s * 1000000u;

	next_stats = now + stats_us;
	announce(dp, now);
	while (!atomic_load_explicit(&dp->stop, memory_order_relaxed)) {
		now = mg_clock_now_us();
		drain_messages(dp, now);
		if (now >= next_age) {
			for (uint32_t p = 0; p < dp->n_ports; p++) {
				struct probe_ctx pc = { .dp = dp, .port = (uint16_t)p };

				mg_neigh_age(dp->ports[p].neigh, now, neigh_probe, &pc);
			}
			next_age = now + MG_NEIGH_AGE_US;
		}
		if (dp->health != NULL &&
		    mg_health_poll(dp->health, now, health_send, dp) > 0)
			health_changed(dp);
		if (dp->n_lb_retired > 0)
			reclaim(dp);
		if (dp->routes != NULL) {
			access_log_drain(dp);
			tls_reload_report(dp);
		}
		if (stats_us > 0 && now >= next_stats) {
			mg_stats_lines(dp, log_line, NULL);
			next_stats = now + stats_us;
		}
		rte_delay_us_sleep(MG_CTL_PERIOD_US);
	}
}

/* After the workers have stopped: nothing can read a retired table. */
void
mg_control_release(struct mg_dataplane *dp)
{
	for (unsigned i = 0; i < dp->n_lb_retired; i++)
		mg_lb_free(dp->lb_retired[i].lb);
	dp->n_lb_retired = 0;
}
