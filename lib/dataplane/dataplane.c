/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Building the data plane from a configuration: the mbuf pool, the ports,
 * the fast-path tables (listeners, clusters, endpoints), health checking,
 * one struct mg_worker per worker lcore with its rings and flow table, and
 * the RCU variable that lets the main lcore replace tables under them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <stdio.h>
#include <time.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "dp_internal.h"
#include "mg_clock.h"

RTE_LOG_REGISTER(mg_dp_logtype, mg.dp, INFO);

#define MG_RING_SIZE 4096

/* The WAF policies, as lib/waf loads them (main lcore; a restart with
 * unchanged rules loads the compiled databases from cache_dir). */
static int
waf_load(struct mg_dataplane *dp, char *err, size_t err_len)
{
	const struct mg_config *cfg = dp->cfg;

	for (uint32_t i = 0; i < cfg->n_waf; i++) {
		const struct mg_cfg_waf *w = &cfg->waf[i];
		struct mg_waf_conf *c = &dp->waf_conf[i];
		char why[MG_WAF_ERRLEN];

		memset(c, 0, sizeof(*c));
		c->setup = w->setup[0] ? w->setup : NULL;
		c->rules_dir = w->rules_dir;
		for (uint32_t k = 0; k < w->n_pre_files; k++)
			dp->waf_pre_files[i][k] = w->pre_files[k];
		c->pre_files = dp->waf_pre_files[i];
		c->n_pre_files = w->n_pre_files;
		c->paranoia = (uint8_t)w->paranoia_level;
		c->mode = w->mode == MG_CFG_WAF_DETECT ? MG_WAF_MODE_DETECT
						       : MG_WAF_MODE_BLOCK;
		c->block_status = (uint16_t)w->block_status;
		c->cache_dir = w->cache_dir[0] ? w->cache_dir : NULL;
		c->body_limit = w->body_limit;
		for (uint32_t k = 0; k < w->n_remove_ids; k++) {
			unsigned long a = 0, b = 0;

			/* checked: "ID" or "FIRST-LAST", in range */
			if (sscanf(w->remove_ids[k], "%lu-%lu", &a, &b) != 2)
				b = a;
			dp->waf_remove_ids[i][k].first = (uint32_t)a;
			dp->waf_remove_ids[i][k].last = (uint32_t)b;
		}
		c->remove_ids = dp->waf_remove_ids[i];
		c->n_remove_ids = w->n_remove_ids;
		for (uint32_t k = 0; k < w->n_remove_tags; k++)
			dp->waf_remove_tags[i][k] = w->remove_tags[k];
		c->remove_tags = dp->waf_remove_tags[i];
		c->n_remove_tags = w->n_remove_tags;
		for (uint32_t k = 0; k < w->n_exclude_targets; k++) {
			const char *t = w->exclude_targets[k];

			dp->waf_targets[i][k].id = (uint32_t)strtoul(t, NULL, 10);
			dp->waf_targets[i][k].target = strchr(t, ':') + 1;
		}
		for (uint32_t k = 0; k < w->n_exclude_targets_by_tag; k++) {
			const char *t = w->exclude_targets_by_tag[k];
			const char *colon = strchr(t, ':');	/* checked */
			struct mg_waf_target_exclusion *x =
				&dp->waf_targets[i][w->n_exclude_targets + k];

			snprintf(dp->waf_target_tags[i][k], MG_CFG_WAF_TAG_MAX, "%.*s",
				 (int)(colon - t), t);
			x->id = 0;
			x->tag = dp->waf_target_tags[i][k];
			x->target = colon + 1;
		}
		c->remove_targets = dp->waf_targets[i];
		c->n_remove_targets = w->n_exclude_targets +
				      w->n_exclude_targets_by_tag;
		dp->waf[i] = mg_waf_load(c, why, sizeof(why));
		if (dp->waf[i] == NULL) {
			snprintf(err, err_len, "waf %s: %s", w->name, why);
			return -EINVAL;
		}
		/* what loaded but will not work as written: @rbl, initcol... */
		for (const char *l = mg_waf_ruleset_warnings(dp->waf[i]); *l;) {
			const char *nl = strchr(l, '\n');
			int n = nl ? (int)(nl - l) : (int)strlen(l);

			MG_DP_LOG(WARNING, "waf %s: %.*s", w->name, n, l);
			l += n + (nl != NULL);
		}
		MG_DP_LOG(INFO, "waf %s: %u rules, %u Hyperscan databases, loaded in %"
			  PRIu64 " ms%s", w->name, mg_waf_ruleset_stats(dp->waf[i])->rules,
			  mg_waf_ruleset_stats(dp->waf[i])->groups,
			  mg_waf_ruleset_stats(dp->waf[i])->total_us / 1000,
			  mg_waf_ruleset_stats(dp->waf[i])->from_cache ? " (cache)" : "");
	}
	return 0;
}

static int
tables_build(struct mg_dataplane *dp, char *err, size_t err_len)
{
	const struct mg_config *cfg = dp->cfg;
	uint32_t n_eps = 0, n_targets = 0;

	for (uint32_t i = 0; i < cfg->n_clusters; i++)
		n_eps += cfg->clusters[i].n_endpoints;
	dp->endpoints = rte_zmalloc("mg_endpoints",
			sizeof(*dp->endpoints) * (n_eps + 1), RTE_CACHE_LINE_SIZE);
	dp->endpoint_up = rte_zmalloc("mg_endpoint_up", n_eps + 1, 0);
	dp->health_endpoint = rte_zmalloc("mg_health_ep",
			sizeof(uint32_t) * (n_eps + 1), 0);
	struct mg_health_target *targets = calloc(n_eps + 1, sizeof(*targets));
	if (dp->endpoints == NULL || dp->endpoint_up == NULL ||
	    dp->health_endpoint == NULL || targets == NULL) {
		free(targets);
		snprintf(err, err_len, "no memory for endpoint tables");
		return -ENOMEM;
	}

	for (uint32_t cl = 0; cl < cfg->n_clusters; cl++) {
		const struct mg_cfg_cluster *cc = &cfg->clusters[cl];
		struct mg_rt_cluster *c = &dp->clusters[cl];

		c->first_endpoint = dp->n_endpoints;
		c->n_endpoints = cc->n_endpoints;
		c->out_port = (uint16_t)cc->port_idx;
		for (uint32_t i = 0; i < cc->n_endpoints; i++) {
			struct mg_rt_endpoint *ep = &dp->endpoints[dp->n_endpoints];

			ep->addr = cc->endpoints[i].address;
			ep->port = cc->endpoints[i].port;
			ep->cluster = cl;
			ep->health_target = UINT32_MAX;
			dp->endpoint_up[dp->n_endpoints] = true;
			if (cc->health.type != MG_HEALTH_NONE) {
				targets[n_targets].addr = ep->addr;
				targets[n_targets].port = ep->port;
				targets[n_targets].cfg = cc->health;
				dp->health_endpoint[n_targets] = dp->n_endpoints;
				ep->health_target = n_targets++;
			}
			dp->n_endpoints++;
		}
	}
	dp->n_clusters = cfg->n_clusters;
	for (uint32_t cl = 0; cl < dp->n_clusters; cl++) {
		int rc = mg_control_rebuild_cluster(dp, cl);

		if (rc != 0) {
			free(targets);
			snprintf(err, err_len, "cluster %s: cannot build the Maglev table: %s",
				 cfg->clusters[cl].name, rte_strerror(-rc));
			return rc;
		}
	}

	dp->n_health_targets = n_targets;
	if (n_targets > 0) {
		dp->health = mg_health_create(targets, n_targets, mg_clock_now_us(),
					      rte_rdtsc());
		if (dp->health == NULL) {
			free(targets);
			snprintf(err, err_len, "cannot create health checks");
			return -ENOMEM;
		}
	}
	free(targets);

	for (uint32_t i = 0; i < cfg->n_listeners; i++) {
		const struct mg_cfg_listener *cl = &cfg->listeners[i];
		struct mg_rt_listener *l = &dp->listeners[i];

		l->vip = cl->address;
		l->listen_port = cl->listen_port;
		l->proto = cl->mode == MG_MODE_UDP ? IPPROTO_UDP : IPPROTO_TCP;
		l->terminate = cl->mode == MG_MODE_SERVICE ||
			       mg_listener_mode_is_http(cl->mode);
		l->id = (uint16_t)i;
		l->in_port = (uint16_t)cl->port_idx;
		l->cluster = cl->cluster_idx;
	}
	dp->n_listeners = cfg->n_listeners;

	if (waf_load(dp, err, err_len) != 0)
		return -EINVAL;
	for (uint32_t i = 0; i < cfg->n_listeners; i++)
		if (mg_listener_mode_is_http(cfg->listeners[i].mode) &&
		    dp->routes == NULL) {
			char rerr[256];

			dp->routes = mg_route_table_create(cfg, rerr, sizeof(rerr));
			if (dp->routes == NULL) {
				snprintf(err, err_len, "routes: %s", rerr);
				return -EINVAL;
			}
		}
	return 0;
}

/* Full-NAT source addresses: the configured SNAT addresses of every port
 * that reaches a cluster, or that port's own addresses. */
static uint32_t
local_addresses(const struct mg_config *cfg, struct mg_ip *out, uint32_t max)
{
	uint32_t n = 0;

	for (uint32_t p = 0; p < cfg->n_ports; p++) {
		const struct mg_cfg_port *cp = &cfg->ports[p];
		bool used = false;

		for (uint32_t cl = 0; cl < cfg->n_clusters; cl++)
			used |= cfg->clusters[cl].port_idx == p;
		if (!used)
			continue;
		const struct mg_ip *src = cp->n_snat_addrs ? cp->snat_addrs : cp->addrs;
		uint32_t cnt = cp->n_snat_addrs ? cp->n_snat_addrs : cp->n_addrs;

		for (uint32_t i = 0; i < cnt && n < max; i++)
			out[n++] = src[i];
	}
	return n;
}

static struct rte_ring *
ring_make(const char *what, uint32_t a, uint32_t b, unsigned esize)
{
	char name[RTE_RING_NAMESIZE];

	snprintf(name, sizeof(name), "mg_%s_%u_%u", what, a, b);
	return esize == 0
		? rte_ring_create(name, MG_RING_SIZE, (int)rte_socket_id(),
				  RING_F_SP_ENQ | RING_F_SC_DEQ)
		: rte_ring_create_elem(name, esize, MG_RING_SIZE,
				  (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
}

static int
workers_create(struct mg_dataplane *dp, char *err, size_t err_len)
{
	const struct mg_config *cfg = dp->cfg;
	struct mg_ip locals[MG_MAX_PORTS * MG_MAX_SNAT_ADDRS];
	uint32_t n_locals = local_addresses(cfg, locals, RTE_DIM(locals));
	unsigned lcore;
	uint32_t i = 0;

	dp->n_workers = cfg->dataplane.workers;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		struct mg_worker *w;
		struct mg_ct_params ctp;

		if (i == dp->n_workers)
			break;
		w = rte_zmalloc_socket("mg_worker", sizeof(*w), RTE_CACHE_LINE_SIZE,
				       (int)rte_lcore_to_socket_id(lcore));
		if (w == NULL)
			goto nomem;
		dp->workers[i] = w;
		w->dp = dp;
		w->index = i;
		w->lcore_id = lcore;

		/* The full-NAT flow table, when the L4 path has clusters to
		 * reach (a configuration of services only has none). */
		if (n_locals > 0) {
			memset(&ctp, 0, sizeof(ctp));
			ctp.capacity = cfg->dataplane.flows_per_worker;
			ctp.worker_index = i;
			ctp.n_workers = dp->n_workers;
			ctp.port_min = cfg->dataplane.snat_port_min;
			ctp.port_max = cfg->dataplane.snat_port_max;
			ctp.n_local_addrs = n_locals;
			ctp.local_addrs = locals;
			ctp.socket = (int)rte_lcore_to_socket_id(lcore);
			w->ct = mg_ct_create(&ctp);
			if (w->ct == NULL) {
				snprintf(err, err_len, "worker %u: cannot create a flow table "
					 "of %u flows: %s", i, ctp.capacity, rte_strerror(rte_errno));
				return -ENOMEM;
			}
			for (uint32_t l = 0; l < cfg->n_listeners; l++) {
				const struct mg_cfg_l4_timeouts *t = &cfg->listeners[l].timeouts;
				struct mg_ct_timeouts ct_t = {
					.tcp_syn = t->tcp_syn,
					.tcp_established = t->tcp_established,
					.tcp_closing = t->tcp_closing,
					.tcp_closed = t->tcp_closed,
					.udp = t->udp,
				};

				if (mg_ct_set_timeouts(w->ct, (uint16_t)l, &ct_t) != 0) {
					snprintf(err, err_len, "listener %s: timeouts out of range",
						 cfg->listeners[l].name);
					return -EINVAL;
				}
			}
		}

		w->to_main = ring_make("ctl", i, 0, sizeof(struct mg_ctl_msg));

		/* Control packets to send: the main lcore is the only producer. */
		w->ctl_tx = ring_make("ctltx", i, 0, 0);
		w->handoff_in = rte_zmalloc(NULL, sizeof(void *) * dp->n_workers, 0);
		w->handoff_out = rte_zmalloc(NULL, sizeof(void *) * dp->n_workers, 0);
		w->listener_flows = rte_zmalloc(NULL, sizeof(uint64_t) * MG_MAX_LISTENERS, 64);
		w->listener_pkts = rte_zmalloc(NULL, sizeof(uint64_t) * MG_MAX_LISTENERS, 64);
		w->endpoint_flows = rte_zmalloc(NULL, sizeof(uint64_t) * (dp->n_endpoints + 1), 64);
		if (w->to_main == NULL || w->ctl_tx == NULL || w->handoff_in == NULL ||
		    w->handoff_out == NULL || w->listener_flows == NULL ||
		    w->listener_pkts == NULL || w->endpoint_flows == NULL)
			goto nomem;

		int trc = mg_dp_tcp_init(dp, w, err, err_len);
		if (trc != 0)
			return trc;

		for (uint32_t m = 0; m < cfg->n_impairments; m++) {
			const struct mg_cfg_impairment *im = &cfg->impairments[m];

			w->impair[im->port_idx] = mg_impair_create(im, i, dp->pool, 8192,
					(int)rte_lcore_to_socket_id(lcore));
			if (w->impair[im->port_idx] == NULL)
				goto nomem;
		}
		i++;
	}
	if (i < dp->n_workers) {
		snprintf(err, err_len, "only %u worker lcores, %u configured", i,
			 dp->n_workers);
		return -EINVAL;
	}
	/* One SPSC ring for each ordered pair of workers. */
	for (uint32_t a = 0; a < dp->n_workers; a++)
		for (uint32_t b = 0; b < dp->n_workers; b++) {
			struct rte_ring *r;

			if (a == b)
				continue;
			r = ring_make("ho", a, b, 0);
			if (r == NULL)
				goto nomem;
			dp->workers[a]->handoff_out[b] = r;
			dp->workers[b]->handoff_in[a] = r;
		}
	return 0;
nomem:
	snprintf(err, err_len, "no memory for worker state: %s",
		 rte_strerror(rte_errno));
	return -ENOMEM;
}

struct mg_dataplane *
mg_dataplane_create(const struct mg_config *cfg, char *err, size_t err_len)
{
	struct mg_dataplane *dp;
	size_t sz;
	int rc;

	dp = rte_zmalloc("mg_dataplane", sizeof(*dp), RTE_CACHE_LINE_SIZE);
	if (dp == NULL) {
		snprintf(err, err_len, "no memory");
		rte_errno = ENOMEM;
		return NULL;
	}
	dp->cfg = cfg;
	dp->start_us = mg_clock_now_us();
	{
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		dp->wall_offset_us = (int64_t)ts.tv_sec * 1000000 +
			ts.tv_nsec / 1000 - (int64_t)dp->start_us;
	}
	dp->pool = rte_pktmbuf_pool_create("mg_mbufs", cfg->dataplane.mbufs,
			cfg->dataplane.mbuf_cache, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
			(int)rte_socket_id());
	if (dp->pool == NULL) {
		snprintf(err, err_len, "cannot create a pool of %u mbufs: %s",
			 cfg->dataplane.mbufs, rte_strerror(rte_errno));
		goto fail;
	}
	sz = rte_rcu_qsbr_get_memsize(cfg->dataplane.workers);
	dp->rcu = rte_zmalloc("mg_rcu", sz, RTE_CACHE_LINE_SIZE);
	if (dp->rcu == NULL ||
	    rte_rcu_qsbr_init(dp->rcu, cfg->dataplane.workers) != 0) {
		snprintf(err, err_len, "cannot set up RCU");
		goto fail;
	}
	rc = mg_ports_setup(dp, err, err_len);
	if (rc != 0)
		goto fail;
	rc = tables_build(dp, err, err_len);
	if (rc != 0)
		goto fail;
	rc = workers_create(dp, err, err_len);
	if (rc != 0)
		goto fail;
	rc = mg_telemetry_register(dp);
	if (rc != 0)
		MG_DP_LOG(WARNING, "telemetry endpoints not registered: %s",
			  rte_strerror(-rc));
	return dp;
fail:
	mg_dataplane_free(dp);
	rte_errno = EINVAL;
	return NULL;
}

int
mg_dataplane_run(struct mg_dataplane *dp)
{
	int rc = 0;

	atomic_store(&dp->workers_stop, false);
	for (uint32_t i = 0; i < dp->n_workers; i++) {
		rc = rte_eal_remote_launch(mg_worker_main, dp->workers[i],
					   dp->workers[i]->lcore_id);
		if (rc != 0) {
			MG_DP_LOG(ERR, "cannot launch worker %u on lcore %u", i,
				  dp->workers[i]->lcore_id);
			atomic_store(&dp->stop, true);
			break;
		}
	}
	if (rc == 0)
		mg_control_loop(dp);
	atomic_store(&dp->workers_stop, true);
	rte_eal_mp_wait_lcore();
	return rc;
}

void
mg_dataplane_stop(struct mg_dataplane *dp)
{
	atomic_store(&dp->stop, true);
}

void
mg_dataplane_reopen_logs(struct mg_dataplane *dp)
{
	atomic_store(&dp->reopen_logs, true);
}

void
mg_dataplane_reload_tls(struct mg_dataplane *dp)
{
	atomic_fetch_add(&dp->tls_reload_gen, 1);
}

void
mg_dataplane_stats(const struct mg_dataplane *dp, mg_dataplane_line_fn emit,
		   void *arg)
{
	mg_stats_lines(dp, emit, arg);
}

static void
ring_free_mbufs(struct rte_ring *r)
{
	void *m;

	if (r == NULL)
		return;
	while (rte_ring_dequeue(r, &m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(r);
}

void
mg_dataplane_free(struct mg_dataplane *dp)
{
	if (dp == NULL)
		return;
	mg_telemetry_register(NULL);
	for (uint32_t i = 0; i < dp->n_workers; i++) {
		struct mg_worker *w = dp->workers[i];

		if (w == NULL)
			continue;
		for (uint32_t j = 0; j < dp->n_workers; j++)
			if (w->handoff_out != NULL)
				ring_free_mbufs(w->handoff_out[j]);
		ring_free_mbufs(w->ctl_tx);
		rte_ring_free(w->to_main);
		for (uint32_t p = 0; p < MG_MAX_PORTS; p++)
			mg_impair_free(w->impair[p]);
		for (uint32_t p = 0; p < MG_MAX_PORTS; p++)
			for (uint16_t k = 0; k < w->tx[p].n; k++)
				rte_pktmbuf_free(w->tx[p].pkts[k]);
		mg_dp_tcp_free(w);
		mg_ct_free(w->ct);
		rte_free(w->handoff_in);
		rte_free(w->handoff_out);
		rte_free(w->listener_flows);
		rte_free(w->listener_pkts);
		rte_free(w->endpoint_flows);
		rte_free(w);
	}
	mg_control_release(dp);
	for (uint32_t cl = 0; cl < dp->n_clusters; cl++)
		mg_lb_free(atomic_load(&dp->clusters[cl].lb));
	mg_health_free(dp->health);
	mg_route_table_free(dp->routes);
	for (uint32_t i = 0; i < MG_MAX_WAF_POLICIES; i++)
		mg_waf_ruleset_free(dp->waf[i]);
	if (dp->waf_audit_log != NULL)
		fclose(dp->waf_audit_log);
	if (dp->access_log != NULL && dp->access_log != stderr)
		fclose(dp->access_log);
	mg_ports_close(dp);
	rte_free(dp->endpoints);
	rte_free(dp->endpoint_up);
	rte_free(dp->health_endpoint);
	rte_free(dp->rcu);
	rte_mempool_free(dp->pool);
	rte_free(dp);
}
