/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_DP_INTERNAL_H
#define MG_DP_INTERNAL_H

/*
 * Private state of the data plane. Everything a worker touches on the fast
 * path is either its own (struct mg_worker) or immutable while it runs (the
 * listener and endpoint tables, the interfaces); the only things that change
 * under a worker are the load-balancing tables, swapped by the main lcore
 * and reclaimed after an RCU grace period, and the neighbour tables, which
 * are read through per-entry sequence counters.
 */

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "mg_cfg.h"
#include "mg_dataplane.h"
#include "mg_health.h"
#include "mg_impair.h"
#include "mg_l4lb.h"
#include "mg_lb.h"
#include "mg_neigh.h"
#include "mg_net.h"
#include "mg_proxy.h"
#include "mg_route.h"
#include "mg_service.h"
#include "mg_waf.h"
#include "mg_tcp.h"

/* Drops of the pipeline itself; parsing drops are MG_NET_DROPS and
 * connection-tracking ones MG_CT_ERRORS. */
#define MG_DP_DROPS(X)							\
	X(NOT_FOR_US, "not-for-us")					\
	X(NO_LISTENER, "no-listener")					\
	X(TCP_NO_FLOW, "tcp-no-flow")					\
	X(NO_HEALTHY_ENDPOINT, "no-healthy-endpoint")			\
	X(FLOW_CREATE_FAILED, "flow-create-failed")			\
	X(REPLY_NO_FLOW, "reply-no-flow")				\
	X(NO_ROUTE, "no-route")						\
	X(NEIGH_UNRESOLVED, "neigh-unresolved")				\
	X(L2_REWRITE, "l2-rewrite-failed")				\
	X(HANDOFF_RING_FULL, "handoff-ring-full")			\
	X(HANDOFF_NOT_OWNER, "handoff-not-owner")			\
	X(CONTROL_RING_FULL, "control-ring-full")			\
	X(HEALTH_REPLY_UNKNOWN, "health-reply-unknown")			\
	X(ICMP_ERROR_IGNORED, "icmp-error-ignored")			\
	X(TX_QUEUE_FULL, "tx-queue-full")

enum mg_dp_drop {
#define X(n, s) MG_DP_DROP_##n,
	MG_DP_DROPS(X)
#undef X
	MG_DP_DROP_MAX
};
extern const char *const mg_dp_drop_names[MG_DP_DROP_MAX];

/* Messages from workers to the main lcore (one SPSC ring per worker). */
enum mg_ctl_msg_kind {
	MG_CTL_NEIGH_LEARN,	/* ip/mac seen on port */
	MG_CTL_NEIGH_MISS,	/* a worker needed ip on port and had no MAC */
	MG_CTL_HEALTH_REPLY,	/* a probe was answered */
};

/* Worker -> main lcore: one WAF audit line. */
struct mg_audit_line {
	uint32_t len;
	char text[MG_PROXY_AUDIT_MAX];
};

/* Main lcore -> worker 0: start an HTTP health probe. */
struct mg_probe_req {
	uint32_t target, probe_id;
	uint32_t cluster, endpoint;	/* endpoint: index in the cluster */
};

struct mg_ctl_msg {
	uint8_t kind;
	uint8_t up;		/* health: SYN-ACK (1) or RST (0) */
	uint16_t port;		/* dp->ports[] index */
	uint32_t target;	/* health target */
	uint32_t probe_id;
	struct mg_neigh_learn learn;	/* NEIGH_LEARN; NEIGH_MISS: learn.ip */
} __rte_aligned(8);

/* A listener as the fast path sees it. */
struct mg_rt_listener {
	struct mg_ip vip;
	uint16_t listen_port;		/* host order */
	uint8_t proto;			/* IPPROTO_TCP / IPPROTO_UDP */
	bool terminate;			/* TCP ends here (lib/tcp), no full-NAT */
	uint16_t id;
	uint16_t in_port;		/* DPDK port index (dp->ports[]) */
	uint32_t cluster;
};

struct mg_rt_endpoint {
	struct mg_ip addr;
	uint16_t port;			/* host order */
	uint32_t cluster;		/* index in dp->clusters[] */
	uint32_t health_target;		/* index in dp->health */
};

struct mg_rt_cluster {
	uint32_t n_endpoints;
	uint32_t first_endpoint;	/* index in dp->endpoints[] */
	uint16_t out_port;		/* dp->ports[] index reaching endpoints */
	/* Swapped by the main lcore on health changes; the old table is
	 * freed once every worker has passed a quiescent state. */
	struct mg_lb *_Atomic lb;
};

/* Counters a worker owns; others only read them (telemetry, stats). */
struct mg_worker_stats {
	uint64_t rx_pkts[MG_MAX_PORTS], rx_bytes[MG_MAX_PORTS];
	uint64_t tx_pkts[MG_MAX_PORTS], tx_bytes[MG_MAX_PORTS];
	uint64_t net_drops[MG_NET_DROP_MAX];
	uint64_t dp_drops[MG_DP_DROP_MAX];
	uint64_t arp_replies, icmp_echo_replies, nd_adverts;
	uint64_t handoff_out, handoff_in;
	uint64_t polls, busy_polls;
	uint64_t busy_cycles, busy_pkts;	/* cycles spent on bursts */
} __rte_cache_aligned;

struct mg_tx_buf {
	uint16_t n;
	struct rte_mbuf *pkts[256];
};

struct mg_worker {
	struct mg_dataplane *dp;
	uint32_t index;			/* 0..workers-1 = queue index */
	unsigned lcore_id;
	struct mg_ct *ct;
	struct rte_ring *to_main;	/* struct mg_ctl_msg elements */
	struct rte_ring *ctl_tx;	/* mbufs the main lcore wants sent */
	struct rte_ring **handoff_in;	/* [from worker], NULL for self */
	struct rte_ring **handoff_out;	/* [to worker], NULL for self */
	struct mg_impair *impair[MG_MAX_PORTS];
	struct mg_tx_buf tx[MG_MAX_PORTS];
	uint64_t now_us;
	struct mg_worker_stats stats;
	uint64_t *listener_flows;	/* [listener] new flows */
	uint64_t *listener_pkts;	/* [listener] packets in */
	uint64_t *endpoint_flows;	/* [endpoint] new flows */
	struct mg_tcp_stack *tcp;	/* terminated connections, or NULL */
	struct mg_service *service[MG_MAX_LISTENERS];
	struct mg_proxy *proxy;		/* HTTP listeners and probes, or NULL */
	struct rte_ring *access_log;	/* struct mg_access_record -> main */
	struct rte_ring *probe_req;	/* struct mg_probe_req <- main */
	struct rte_ring *waf_audit;	/* struct mg_audit_line -> main */
	/* TLS reloads: the worker answers generation tls_gen of the main
	 * lcore's request with tls_done (release) and tls_error */
	uint32_t tls_gen;
	_Atomic uint32_t tls_done;
	char tls_error[256];
} __rte_cache_aligned;

struct mg_dp_port {
	uint16_t port_id;		/* DPDK port id */
	struct mg_net_iface iface;
	struct mg_neigh_table *neigh;
	bool tx_csum_offload;		/* device can do IPv4/TCP/UDP checksums */
	char name[MG_NAME_MAX];
};

struct mg_dataplane {
	const struct mg_config *cfg;
	_Atomic bool stop;		/* lock-free: set from a signal handler */
	_Atomic bool workers_stop;
	struct rte_mempool *pool;
	uint32_t n_ports;
	struct mg_dp_port ports[MG_MAX_PORTS];

	uint32_t n_listeners;
	struct mg_rt_listener listeners[MG_MAX_LISTENERS];
	uint32_t n_clusters;
	struct mg_rt_cluster clusters[MG_MAX_CLUSTERS];
	uint32_t n_endpoints;
	struct mg_rt_endpoint *endpoints;

	struct mg_health *health;
	uint32_t n_health_targets;
	uint32_t *health_endpoint;	/* [target] -> endpoint index */
	bool *endpoint_up;		/* [endpoint], main lcore's view */

	struct rte_rcu_qsbr *rcu;
	uint32_t n_workers;
	struct mg_worker *workers[MG_MAX_WORKERS];

	/* Balancers replaced but maybe still read by a worker: freed once
	 * the RCU grace period that started with the swap has passed. */
	unsigned n_lb_retired;
	struct {
		struct mg_lb *lb;
		uint64_t token;
	} lb_retired[256];

	struct mg_route_table *routes;	/* NULL without HTTP listeners */
	/* WAF policies (cfg->waf[]), loaded at start */
	struct mg_waf_ruleset *waf[MG_MAX_WAF_POLICIES];
	struct mg_waf_conf waf_conf[MG_MAX_WAF_POLICIES];
	struct mg_waf_id_range waf_remove_ids[MG_MAX_WAF_POLICIES][MG_MAX_WAF_REMOVE];
	const char *waf_remove_tags[MG_MAX_WAF_POLICIES][MG_MAX_WAF_REMOVE];
	const char *waf_pre_files[MG_MAX_WAF_POLICIES][4];
	/* by id, then by tag (the tags copied out of "TAG:TARGET") */
	struct mg_waf_target_exclusion waf_targets[MG_MAX_WAF_POLICIES][2 * MG_MAX_WAF_REMOVE];
	char waf_target_tags[MG_MAX_WAF_POLICIES][MG_MAX_WAF_REMOVE][MG_CFG_WAF_TAG_MAX];
	FILE *waf_audit_log;
	uint64_t waf_audit_lines, waf_audit_errors;
	FILE *access_log;		/* main lcore only */
	_Atomic bool reopen_logs;	/* set from a signal handler */
	_Atomic uint32_t tls_reload_gen;	/* ditto: bumped per request */
	uint32_t tls_reload_logged;	/* the generation reported last */
	uint64_t access_log_lines, access_log_errors;
	int64_t wall_offset_us;		/* wall clock - mg_clock_now_us() */

	uint64_t start_us;
	uint64_t lb_rebuilds;
	uint64_t ctl_msgs;
};

static inline void
mg_dp_drop(struct mg_worker *w, struct rte_mbuf *m, enum mg_dp_drop why)
{
	w->stats.dp_drops[why]++;
	rte_pktmbuf_free(m);
}

static inline void
mg_dp_tx(struct mg_worker *w, uint16_t port, struct rte_mbuf *m)
{
	struct mg_tx_buf *b = &w->tx[port];

	if (unlikely(b->n == RTE_DIM(b->pkts))) {
		mg_dp_drop(w, m, MG_DP_DROP_TX_QUEUE_FULL);
		return;
	}
	b->pkts[b->n++] = m;
}

static inline void
mg_dp_to_main(struct mg_worker *w, const struct mg_ctl_msg *msg)
{
	if (rte_ring_sp_enqueue_elem(w->to_main, (void *)(uintptr_t)msg,
				     sizeof(*msg)) != 0)
		w->stats.dp_drops[MG_DP_DROP_CONTROL_RING_FULL]++;
}

/* Local ports of the TCP stack's active opens: from here up to
 * dataplane.snat_port_min - 1 (below: the health probes' 1024..2047). */
#define MG_TCP_ACTIVE_PORT_MIN 2048

/* The largest burst the pipeline takes (dataplane.burst is at most this). */
#define MG_MAX_BURST 256

/* pipeline.c: one burst from one port (or handed off from another worker). */
void mg_pipeline_input(struct mg_worker *w, struct rte_mbuf **pkts, uint16_t n,
		       bool handed_off);
void mg_worker_tx_flush(struct mg_worker *w);
int mg_worker_main(void *arg);

/* control.c: the main lcore's loop. */
void mg_control_loop(struct mg_dataplane *dp);
int mg_control_rebuild_cluster(struct mg_dataplane *dp, uint32_t cluster);
void mg_control_release(struct mg_dataplane *dp);

/* dp_tcp.c: the TCP stack, built-in services and HTTP proxy of a worker. */
int mg_dp_tcp_init(struct mg_dataplane *dp, struct mg_worker *w, char *err,
		   size_t err_len);
void mg_dp_tcp_free(struct mg_worker *w);
/* Whether this configuration terminates TCP (services, HTTP, probes). */
bool mg_dp_needs_tcp(const struct mg_config *cfg);

/* port.c */
int mg_ports_setup(struct mg_dataplane *dp, char *err, size_t err_len);
void mg_ports_close(struct mg_dataplane *dp);

/* telemetry.c */
int mg_telemetry_register(struct mg_dataplane *dp);
void mg_stats_lines(const struct mg_dataplane *dp, mg_dataplane_line_fn emit,
		    void *arg);

#define MG_DP_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, mg_dp_logtype, "mg.dp: " fmt "\n", ##__VA_ARGS__)
extern int mg_dp_logtype;

#endif /* MG_DP_INTERNAL_H */
