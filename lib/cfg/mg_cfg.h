/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_CFG_H
#define MG_CFG_H

/*
 * The configuration of the appliance: parsed from a libconfig file by one
 * schema table per section (cfg_schema.c), validated as a whole (references,
 * overlaps), and handed to the data plane as this plain, immutable struct.
 *
 * All sizes are fixed so that a configuration is one allocation that the
 * data plane can keep a pointer to for as long as it lives.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mg_addr.h"

#define MG_NAME_MAX		32	/* names of ports, listeners, clusters */
#define MG_DEVICE_MAX		256	/* PCI address or vdev string */
#define MG_PATH_MAX		256
#define MG_MAX_PORTS		8
#define MG_MAX_PORT_ADDRS	8	/* interface addresses per port */
#define MG_MAX_SNAT_ADDRS	32	/* full-NAT source addresses per port */
#define MG_MAX_LISTENERS	64
#define MG_MAX_CLUSTERS		64
#define MG_MAX_ENDPOINTS	256	/* per cluster */
#define MG_MAX_IMPAIRMENTS	MG_MAX_PORTS
#define MG_MAX_EAL_ARGS		16
#define MG_MAX_WORKERS		64
#define MG_MAX_STATIC_NEIGH	16	/* static neighbours per port */

struct mg_cfg_dataplane {
	uint32_t workers;		/* worker lcores (the main lcore is extra) */
	char cpus[64];			/* CPU list, e.g. "0-3"; "" = all online */
	uint32_t mbufs;			/* per-socket mbuf pool size */
	uint32_t mbuf_cache;
	uint32_t burst;			/* RX/TX burst size */
	uint32_t rx_desc, tx_desc;
	uint32_t idle_sleep_us;		/* back-off when a poll finds nothing */
	bool hugepages;			/* false: --no-huge */
	uint32_t memory_mb;		/* 0 = EAL default (hugepages) */
	char file_prefix[64];		/* EAL --file-prefix, telemetry socket dir */
	uint32_t flows_per_worker;	/* connection-tracking capacity per lcore */
	uint16_t snat_port_min;		/* full-NAT local ports; below them the */
	uint16_t snat_port_max;		/* health probes' ports (1024..2047) */
	uint32_t tcp_max_conns;		/* terminated connections per worker */
	uint32_t tcp_max_memory_mb;	/* buffered TCP data per worker */
	uint32_t tcp_time_wait_ms;	/* 2 MSL */
	uint32_t n_eal_args;
	char eal_args[MG_MAX_EAL_ARGS][128];	/* extra EAL arguments, verbatim */
};

/* A neighbour whose MAC is configured (static ARP/ND): never probed, never
 * aged, never changed by what the network says. */
struct mg_cfg_neighbour {
	struct mg_ip address;
	uint8_t mac[6];
	int line;
};

struct mg_cfg_port {
	char name[MG_NAME_MAX];
	char device[MG_DEVICE_MAX];	/* "0000:3b:00.0" or "net_af_packet0,iface=x" */
	bool is_vdev;			/* device names a virtual device */
	uint32_t n_addrs;
	struct mg_ip addrs[MG_MAX_PORT_ADDRS];
	uint8_t prefix_len[MG_MAX_PORT_ADDRS];
	struct mg_ip gateway4;		/* family 0 when unset */
	struct mg_ip gateway6;
	uint32_t n_snat_addrs;		/* 0: the port's own addresses are used */
	struct mg_ip snat_addrs[MG_MAX_SNAT_ADDRS];
	uint16_t vlan;			/* 0 = untagged */
	uint16_t mtu;
	uint32_t n_neighbours;
	struct mg_cfg_neighbour neighbours[MG_MAX_STATIC_NEIGH];
	int line;			/* where it was defined, for messages */
};

enum mg_listener_mode {
	MG_MODE_TCP,			/* L4 full-NAT */
	MG_MODE_UDP,			/* L4 full-NAT */
	MG_MODE_SERVICE,		/* TCP terminated by lib/tcp, served built-in */
};

/* TCP settings of a listener that terminates connections. */
struct mg_cfg_tcp {
	uint32_t rcv_buf, snd_buf;	/* bytes */
	uint16_t mss;			/* 0 = from the port MTU */
	bool nodelay;			/* Nagle off */
	bool timestamps, sack, window_scaling;
	char cc[16];			/* "newreno" or "cubic" */
	uint32_t syn_backlog;
	uint32_t syncookie_threshold;	/* half-open count that turns cookies on */
	uint32_t delack_us;
	uint32_t keepalive_idle_s, keepalive_intvl_s, keepalive_probes;
};

struct mg_cfg_l4_timeouts {		/* seconds */
	uint32_t tcp_syn;		/* handshake not finished */
	uint32_t tcp_established;
	uint32_t tcp_closing;		/* FIN seen */
	uint32_t tcp_closed;		/* RST seen or both FINs acked */
	uint32_t udp;
};

struct mg_cfg_listener {
	char name[MG_NAME_MAX];
	enum mg_listener_mode mode;
	char port_name[MG_NAME_MAX];
	uint32_t port_idx;		/* resolved index into mg_config.ports */
	struct mg_ip address;		/* the VIP */
	uint16_t listen_port;		/* TCP or UDP port on the VIP */
	char cluster_name[MG_NAME_MAX];
	uint32_t cluster_idx;		/* resolved */
	struct mg_cfg_l4_timeouts timeouts;
	char service[16];		/* mode "service": echo, discard, source, http */
	uint32_t http_body_size;	/* service "http" */
	uint64_t source_max_bytes;	/* service "source" */
	struct mg_cfg_tcp tcp;		/* mode "service" */
	int line;
};

enum mg_health_type {
	MG_HEALTH_NONE,
	MG_HEALTH_TCP,			/* SYN probe: SYN-ACK is up, RST/silence down */
};

struct mg_cfg_health {
	enum mg_health_type type;
	uint32_t interval_ms;
	uint32_t timeout_ms;
	uint32_t healthy_threshold;	/* consecutive successes to come back */
	uint32_t unhealthy_threshold;	/* consecutive failures to leave */
	uint16_t port;			/* 0 = the endpoint's own port */
};

struct mg_cfg_endpoint {
	struct mg_ip address;
	uint16_t port;
	uint32_t weight;		/* 1..1000; Maglev honours it */
	int line;
};

enum mg_lb_kind {
	MG_LB_MAGLEV,
};

struct mg_cfg_cluster {
	char name[MG_NAME_MAX];
	enum mg_lb_kind lb;
	uint32_t maglev_table_size;	/* a prime >= 65537 */
	uint32_t n_endpoints;
	struct mg_cfg_endpoint endpoints[MG_MAX_ENDPOINTS];
	struct mg_cfg_health health;
	char port_name[MG_NAME_MAX];	/* the port that reaches the endpoints */
	uint32_t port_idx;		/* resolved */
	int line;
};

struct mg_cfg_logging {
	char level[16];			/* emerg..debug */
	char file[MG_PATH_MAX];		/* "" = stderr */
	uint32_t stats_interval_s;	/* periodic stats line; 0 = off */
};

struct mg_cfg_impairment {
	char port_name[MG_NAME_MAX];
	uint32_t port_idx;		/* resolved */
	double loss_pct;		/* 0..100, on transmit */
	double duplicate_pct;
	double reorder_pct;
	uint32_t delay_us;
	uint64_t seed;
	int line;
};

struct mg_config {
	char path[MG_PATH_MAX];
	struct mg_cfg_dataplane dataplane;
	uint32_t n_ports;
	struct mg_cfg_port ports[MG_MAX_PORTS];
	uint32_t n_listeners;
	struct mg_cfg_listener listeners[MG_MAX_LISTENERS];
	uint32_t n_clusters;
	struct mg_cfg_cluster clusters[MG_MAX_CLUSTERS];
	struct mg_cfg_logging logging;
	uint32_t n_impairments;
	struct mg_cfg_impairment impairments[MG_MAX_IMPAIRMENTS];
};

/**
 * Load, check and resolve a configuration file.
 *
 * Every problem found is written to @p errors (when not NULL) as one line
 * "FILE:LINE: what is wrong (what was expected)"; loading goes on after an
 * error so that all of them are reported at once.
 *
 * @return a configuration to release with mg_config_free(), or NULL when the
 *         file could not be read or had at least one error. @p n_errors (when
 *         not NULL) receives the number of errors.
 */
struct mg_config *mg_config_load(const char *path, FILE *errors,
				 unsigned *n_errors);

/** Release a configuration returned by mg_config_load(). */
void mg_config_free(struct mg_config *cfg);

/** Look-ups by name; -1 when absent. */
int mg_config_port_index(const struct mg_config *cfg, const char *name);
int mg_config_cluster_index(const struct mg_config *cfg, const char *name);

/**
 * Call @p fn with the path of every key of the schema, parents before their
 * children, in file order: "dataplane", "dataplane.workers", ...,
 * "clusters.health_check.interval_ms", ...
 */
void mg_config_schema_foreach(void (*fn)(const char *path, void *arg),
			      void *arg);

/**
 * Write a one-line summary of a key into @p buf, as the sample file
 * documents it: "integer 1..256, default 32; reloadable".
 * @return 0, or -ENOENT when @p path is not a key of the schema.
 */
int mg_config_schema_summary(const char *path, char *buf, size_t len);

#endif /* MG_CFG_H */
