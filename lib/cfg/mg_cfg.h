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
#define MG_MAX_WAF_POLICIES	8
#define MG_MAX_WAF_REMOVE	64	/* rule ids, tags, targets removed */
#define MG_CFG_WAF_TAG_MAX	64	/* a rule tag, NUL included */
#define MG_MAX_ROUTES		16384	/* allocated for the routes present */
#define MG_MAX_ROUTE_HOSTS	8	/* host patterns per route */
#define MG_MAX_ROUTE_MATCHES	4	/* header or query conditions per route */
#define MG_MAX_ROUTE_METHODS	8
#define MG_MAX_ROUTE_LISTENERS	4
#define MG_MAX_SPLITS		8	/* weighted clusters per route */
#define MG_MAX_HEADER_OPS	4	/* per kind (add, set, remove) and side */
#define MG_MAX_TRUSTED_PROXIES	16
#define MG_HOST_MAX		128	/* host names and patterns */
#define MG_URI_MAX		256	/* paths, rewrites, redirect locations */
#define MG_HDR_NAME_MAX		48
#define MG_HDR_VALUE_MAX	160	/* values and templates with %{var} */
#define MG_BODY_MAX		512	/* direct-response bodies */
#define MG_MAX_TLS_CERTS	16	/* certificates per https listener */
#define MG_TLS_LIST_MAX		256	/* OpenSSL cipher, group, sigalg lists */
#define MG_ALPN_MAX		32	/* "http/1.1,http/1.0" */

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
	MG_MODE_HTTP,			/* TCP terminated, HTTP/1.1 proxied by routes */
	MG_MODE_HTTPS,			/* the same over TLS terminated here */
};

/* Modes http and https: routes serve them and they have http settings. */
static inline bool
mg_listener_mode_is_http(enum mg_listener_mode mode)
{
	return mode == MG_MODE_HTTP || mode == MG_MODE_HTTPS;
}

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

/* HTTP settings of a listener in mode "http" or "https". */
struct mg_cfg_http {
	uint32_t max_request_line;	/* 414 beyond it */
	uint32_t max_header_size;	/* 431 beyond it (the whole head) */
	uint32_t max_headers;		/* 431 beyond it */
	uint64_t max_body_size;		/* 413 beyond it; routes may lower/raise */
	uint32_t header_timeout_ms;	/* 408: whole head not received in time */
	uint32_t body_timeout_ms;	/* 408: no body bytes for this long */
	uint32_t idle_timeout_ms;	/* keep-alive connection with no request */
	uint32_t max_requests_per_conn;	/* 0 = unlimited */
	uint32_t n_trusted_proxies;	/* X-Forwarded-For/Forwarded are kept
					 * only from these client addresses */
	struct mg_ip trusted_proxies[MG_MAX_TRUSTED_PROXIES];
	uint8_t trusted_proxies_len[MG_MAX_TRUSTED_PROXIES];
	bool forwarded_headers;		/* add X-Forwarded-For/-Proto/-Host, Forwarded */
	char request_id_header[MG_HDR_NAME_MAX];	/* passed or generated */
	bool generate_request_id;
	bool trace_context;		/* pass or start W3C traceparent */
	bool access_log;		/* one JSON line per request */
};

/*
 * TLS, as lib/tls takes it (struct mg_tls_server_params and
 * mg_tls_client_params). Versions are the wire values (TLS1_2_VERSION,
 * TLS1_3_VERSION); the other enums have the values of lib/tls's
 * mg_tls_client_auth and mg_tls_record_path. Paths name files that were
 * regular and readable when the configuration was loaded; a relative path
 * is stored joined to the configuration file's directory. Their contents
 * (certificates, keys, CRLs, ticket keys) are read by lib/tls, not here.
 */
enum mg_cfg_tls_version {
	MG_CFG_TLS_1_2 = 0x0303,
	MG_CFG_TLS_1_3 = 0x0304,
};

enum mg_cfg_client_auth {
	MG_CFG_CLIENT_AUTH_NONE,
	MG_CFG_CLIENT_AUTH_OPTIONAL,	/* a certificate sent must verify */
	MG_CFG_CLIENT_AUTH_REQUIRED,
};

enum mg_cfg_tls_record_path {
	MG_CFG_TLS_RECORD_IPSEC_MB,	/* AES-GCM records sealed on IPsec-MB */
	MG_CFG_TLS_RECORD_OPENSSL,	/* OpenSSL's record layer throughout */
};

/* A certificate of an https listener, chosen by SNI against its names. */
struct mg_cfg_tls_cert {
	char cert[MG_PATH_MAX];		/* PEM: the certificate, then its chain */
	char key[MG_PATH_MAX];		/* PEM private key */
	char ocsp[MG_PATH_MAX];		/* DER OCSP response stapled; "" = none */
	int line;
};

/* TLS termination of a listener in mode "https". Lists of OpenSSL names
 * left "" take lib/tls's defaults. */
struct mg_cfg_tls_server {
	uint32_t n_certificates;	/* 1..MG_MAX_TLS_CERTS */
	struct mg_cfg_tls_cert certificates[MG_MAX_TLS_CERTS];
	int32_t default_certificate;	/* for unknown or no SNI; -1 = refuse */
	enum mg_cfg_tls_version min_version, max_version;	/* min <= max */
	char ciphers[MG_TLS_LIST_MAX];	/* TLS 1.2 cipher list */
	char ciphersuites[MG_TLS_LIST_MAX];	/* TLS 1.3 suites */
	char groups[MG_TLS_LIST_MAX];	/* key exchange groups */
	char sigalgs[MG_TLS_LIST_MAX];	/* signature algorithms */
	char alpn[MG_ALPN_MAX];		/* comma list of http/1.x; "" = no ALPN */
	enum mg_cfg_client_auth client_auth;
	char client_ca[MG_PATH_MAX];	/* set exactly when client_auth != NONE */
	char crl[MG_PATH_MAX];		/* PEM CRLs; "" = none */
	uint32_t verify_depth;		/* intermediate CAs allowed; 0 = the leaf's
					 * issuer is in client_ca (lib/tls:
					 * MG_TLS_DEPTH_DIRECT) */
	char ticket_keys[MG_PATH_MAX];	/* "" = no tickets, no resumption */
	uint32_t ticket_lifetime_s;
	uint32_t handshake_timeout_ms;
	enum mg_cfg_tls_record_path record_path;
	uint32_t record_size;		/* plaintext bytes per record sent */
};

/* TLS from the proxy to a cluster's endpoints (clusters of routes only). */
struct mg_cfg_tls_client {
	bool enabled;			/* false: plain TCP, the rest unused */
	char cert[MG_PATH_MAX];		/* our certificate (+chain); "" = none */
	char key[MG_PATH_MAX];		/* set exactly when cert is */
	char ca[MG_PATH_MAX];		/* set when enabled: peers are verified */
	char crl[MG_PATH_MAX];		/* "" = none */
	uint32_t verify_depth;		/* as for mg_cfg_tls_server */
	char sni[MG_HOST_MAX];		/* a host name; "" = no SNI sent */
	char expected_san[MG_URI_MAX];	/* the endpoint's URI, IP or DNS SAN;
					 * "" = any certificate ca vouches for */
	enum mg_cfg_tls_version min_version, max_version;
	char ciphers[MG_TLS_LIST_MAX];
	char ciphersuites[MG_TLS_LIST_MAX];
	char alpn[MG_ALPN_MAX];		/* "" = none offered */
	bool session_reuse;		/* resume sessions with the endpoints */
	uint32_t handshake_timeout_ms;
	enum mg_cfg_tls_record_path record_path;
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
	struct mg_cfg_tcp tcp;		/* modes "service", "http", "https" */
	struct mg_cfg_http http;	/* modes "http" and "https" */
	struct mg_cfg_tls_server tls;	/* mode "https" */
	char waf[MG_NAME_MAX];		/* modes http(s): a WAF policy; "" = none */
	int32_t waf_idx;		/* resolved: mg_config.waf index, -1 */
	int line;
};

enum mg_health_type {
	MG_HEALTH_NONE,
	MG_HEALTH_TCP,			/* SYN probe: SYN-ACK is up, RST/silence down */
	MG_HEALTH_HTTP,			/* GET path from a worker; status decides */
};

struct mg_cfg_health {
	enum mg_health_type type;
	uint32_t interval_ms;
	uint32_t timeout_ms;
	uint32_t healthy_threshold;	/* consecutive successes to come back */
	uint32_t unhealthy_threshold;	/* consecutive failures to leave */
	uint16_t port;			/* 0 = the endpoint's own port */
	char path[MG_URI_MAX];		/* http: the request target */
	char host[MG_HOST_MAX];		/* http: Host header; "" = endpoint address */
	char expected_statuses[64];	/* http: "200-399" or "200,204" */
};

struct mg_cfg_endpoint {
	struct mg_ip address;
	uint16_t port;
	uint32_t weight;		/* 1..1000; Maglev honours it */
	int line;
};

enum mg_lb_kind {
	MG_LB_MAGLEV,			/* consistent hash, table lookup */
	MG_LB_ROUND_ROBIN,		/* smooth weighted round robin */
	MG_LB_LEAST_REQUEST,		/* power of two choices, by active requests */
	MG_LB_RING_HASH,		/* consistent hash on a ring */
	MG_LB_RANDOM,			/* weighted random */
};

/* What the hashing balancers (maglev, ring_hash) hash for an HTTP request;
 * the L4 path always hashes the flow. */
enum mg_hash_source {
	MG_HASH_CLIENT_ADDRESS,
	MG_HASH_HEADER,			/* hash_key names the header */
	MG_HASH_COOKIE,			/* hash_key names the cookie */
};

/* Passive health: endpoints that keep failing are ejected for a while. */
struct mg_cfg_outlier {
	uint32_t consecutive_5xx;	/* 0 = off */
	uint32_t consecutive_connect_failures;	/* 0 = off */
	uint32_t base_ejection_ms;	/* times the number of ejections so far */
	uint32_t max_ejection_ms;
	uint32_t max_ejection_pct;	/* never eject more of the cluster */
};

/* Per cluster; each worker enforces its share (limit / workers, at least 1). */
struct mg_cfg_breakers {
	uint32_t max_connections;	/* upstream connections, open and opening */
	uint32_t max_pending_requests;	/* waiting for a connection */
	uint32_t max_requests;		/* in flight */
	uint32_t max_retries;		/* retries in flight */
};

struct mg_cfg_upstream_timeouts {	/* milliseconds; 0 = none */
	uint32_t connect_ms;
	uint32_t response_ms;		/* request sent -> first response byte */
	uint32_t idle_ms;		/* no bytes either way while proxying */
	uint32_t request_ms;		/* whole request, all attempts */
};

struct mg_cfg_retry {
	uint32_t attempts;		/* retries after the first try; 0 = none */
	bool on_connect_failure;
	bool on_5xx;			/* 502/503/504, idempotent methods only */
	uint32_t budget_pct;		/* retries in flight <= this % of requests */
	uint32_t min_retries;		/* ... but always allow this many */
};

struct mg_cfg_pool {
	uint32_t max_idle_per_endpoint;	/* kept-alive idle connections per worker */
	uint32_t idle_timeout_ms;	/* an idle pooled connection is closed */
	uint32_t max_requests_per_conn;	/* 0 = unlimited */
};

struct mg_cfg_cluster {
	char name[MG_NAME_MAX];
	enum mg_lb_kind lb;
	uint32_t maglev_table_size;	/* a prime >= 65537 */
	uint32_t n_endpoints;
	struct mg_cfg_endpoint endpoints[MG_MAX_ENDPOINTS];
	struct mg_cfg_health health;
	enum mg_hash_source hash_on;	/* maglev, ring_hash on HTTP requests */
	char hash_key[MG_HDR_NAME_MAX];	/* header or cookie name */
	uint32_t ring_size;		/* ring_hash: points on the ring */
	struct mg_cfg_outlier outlier;
	struct mg_cfg_breakers breakers;
	struct mg_cfg_upstream_timeouts timeouts;
	struct mg_cfg_retry retry;
	struct mg_cfg_pool pool;
	struct mg_cfg_tcp tcp;		/* upstream connections of the proxy */
	struct mg_cfg_tls_client tls;	/* ... and TLS on them */
	char port_name[MG_NAME_MAX];	/* the port that reaches the endpoints */
	uint32_t port_idx;		/* resolved */
	int line;
};

enum mg_path_match {
	MG_PATH_ANY,			/* no path condition */
	MG_PATH_EXACT,
	MG_PATH_PREFIX,			/* segment-blind byte prefix, like Envoy */
	MG_PATH_REGEX,			/* whole path (no query), Hyperscan syntax */
};

enum mg_value_match {
	MG_VALUE_EXACT,
	MG_VALUE_PRESENT,		/* value ignored */
	MG_VALUE_REGEX,			/* whole value */
};

/*
 * The variables of templates (header values, redirect locations): "%{name}"
 * is replaced by the value, "%%" is one '%', and any other '%' stands for
 * itself. A variable without a value (no endpoint chosen yet) becomes "";
 * a redirect location may not use cluster or upstream_address.
 * X(name, what it is)
 */
#define MG_HTTP_VARS(X)							\
	X(client_address, "the client's IP address")			\
	X(client_port, "the client's TCP port")				\
	X(request_id, "the request id, received or generated")		\
	X(route, "the name of the route")				\
	X(cluster, "the cluster the request goes to")			\
	X(host, "the request's host, lowercased, without a port")	\
	X(path, "the request's path, without the query")		\
	X(method, "the request's method")				\
	X(scheme, "\"http\" or \"https\"")				\
	X(listener, "the name of the listener")				\
	X(upstream_address, "the endpoint, ADDR:PORT or [ADDR]:PORT")

enum mg_http_var {
#define MG_HTTP_VAR_ENUM_(n, d) MG_HTTP_VAR_##n,
	MG_HTTP_VARS(MG_HTTP_VAR_ENUM_)
#undef MG_HTTP_VAR_ENUM_
	MG_HTTP_VAR_MAX
};

/* A condition on a request header or query parameter. */
struct mg_cfg_kv_match {
	char name[MG_HDR_NAME_MAX];
	char value[MG_HDR_VALUE_MAX];
	enum mg_value_match type;
	bool invert;			/* the route matches when this does not */
	int line;
};

/* Conditions on the client certificate, verified on an https listener;
 * a request without one does not match. */
struct mg_cfg_cert_match {
	char subject[MG_URI_MAX];	/* regex on the whole RFC 2253 subject;
					 * "" = any */
	char san[MG_URI_MAX];		/* a URI, DNS or IP SAN equal to this;
					 * "" = any */
};

struct mg_cfg_header_op {
	char name[MG_HDR_NAME_MAX];
	char value[MG_HDR_VALUE_MAX];	/* a template, see MG_HTTP_VARS */
	int line;
};

/* Header changes on one side, applied remove, then set, then add. */
struct mg_cfg_header_ops {
	uint32_t n_add, n_set, n_remove;
	struct mg_cfg_header_op add[MG_MAX_HEADER_OPS];
	struct mg_cfg_header_op set[MG_MAX_HEADER_OPS];
	char remove[MG_MAX_HEADER_OPS][MG_HDR_NAME_MAX];
};

struct mg_cfg_split {
	char cluster_name[MG_NAME_MAX];
	uint32_t cluster_idx;		/* resolved */
	uint32_t weight;		/* relative */
	int line;
};

struct mg_cfg_direct_response {
	uint32_t status;		/* 0 = none */
	char body[MG_BODY_MAX];
	char content_type[64];
};

struct mg_cfg_redirect {
	uint32_t status;		/* 301, 302, 303, 307, 308; 0 = none */
	char location[MG_URI_MAX];	/* text with %{variable} */
};

/*
 * A route of the http and https listeners. Routes are tried in file order and the
 * first whose conditions all hold serves the request. Hosts and header
 * names compare case-insensitively (hosts are stored lowercased, without a
 * port); paths, methods, query names and values byte for byte, query
 * parameters as they appear in the request (not percent-decoded). Regular
 * expressions are Hyperscan syntax and match the whole path, value or
 * certificate subject: the loader compiles each alone
 * and as "\A(?:RE)\z", with HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY in
 * HS_MODE_BLOCK. path_type is MG_PATH_ANY exactly when there is no path.
 * Only routes with a cluster or splits have rewrites, request_headers or
 * timeout_ms; header changes never touch Connection, Content-Length,
 * Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade,
 * nor (on requests) Host. A route with require_client_cert or a
 * client_cert condition serves at least one https listener whose
 * client_auth is not none.
 */
struct mg_cfg_route {
	char name[MG_NAME_MAX];
	uint32_t n_listeners;		/* 0 = every http(s) listener */
	char listeners[MG_MAX_ROUTE_LISTENERS][MG_NAME_MAX];
	uint64_t listener_mask;		/* resolved: bit i = mg_config.listeners[i];
					 * with no listeners, every http(s) one */

	/* match: all conditions present must hold */
	uint32_t n_hosts;		/* exact names or "*.suffix"; 0 = any */
	char hosts[MG_MAX_ROUTE_HOSTS][MG_HOST_MAX];
	enum mg_path_match path_type;
	char path[MG_URI_MAX];
	uint32_t n_methods;		/* 0 = any */
	char methods[MG_MAX_ROUTE_METHODS][16];
	uint32_t n_headers;
	struct mg_cfg_kv_match headers[MG_MAX_ROUTE_MATCHES];
	uint32_t n_query;
	struct mg_cfg_kv_match query[MG_MAX_ROUTE_MATCHES];
	struct mg_cfg_cert_match client_cert;

	/* action: exactly one of cluster, splits, direct, redirect */
	char cluster_name[MG_NAME_MAX];
	uint32_t cluster_idx;		/* resolved */
	uint32_t n_splits;
	struct mg_cfg_split splits[MG_MAX_SPLITS];
	struct mg_cfg_direct_response direct;
	struct mg_cfg_redirect redirect;

	/* changes on the way */
	char prefix_rewrite[MG_URI_MAX];	/* replaces the matched prefix */
	char path_rewrite[MG_URI_MAX];	/* replaces the whole path */
	char host_rewrite[MG_HOST_MAX];
	struct mg_cfg_header_ops request_headers;
	struct mg_cfg_header_ops response_headers;
	uint64_t max_body_size;		/* 0 = the listener's */
	uint32_t timeout_ms;		/* whole request; 0 = the cluster's */
	char waf[MG_NAME_MAX];		/* "" = the listener's, "off", or a name */
	int32_t waf_idx;		/* resolved: MG_CFG_WAF_INHERIT, -1 (off)
					 * or an mg_config.waf index */
	bool require_client_cert;	/* matched, but answered 403 unless the
					 * connection has a verified client
					 * certificate */
	int line;
};

struct mg_cfg_logging {
	char level[16];			/* emerg..debug */
	char file[MG_PATH_MAX];		/* "" = stderr */
	uint32_t stats_interval_s;	/* periodic stats line; 0 = off */
	char access_log[MG_PATH_MAX];	/* JSON lines; "" = none */
	char waf_audit_log[MG_PATH_MAX];	/* JSON lines; "" = none */
	uint32_t access_log_ring;	/* records queued per worker */
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

enum mg_cfg_waf_mode {
	MG_CFG_WAF_BLOCK,		/* a denying rule answers block_status */
	MG_CFG_WAF_DETECT,		/* match and log only */
};

#define MG_CFG_WAF_INHERIT	(-2)	/* a route without waf: the listener's */

/* A WAF policy: the OWASP CRS (or any SecLang files) as lib/waf loads it. */
struct mg_cfg_waf {
	char name[MG_NAME_MAX];
	char setup[MG_PATH_MAX];	/* crs-setup.conf; "" = none */
	char rules_dir[MG_PATH_MAX];	/* every *.conf in it, by name */
	uint32_t n_pre_files;		/* read after setup, before the rules */
	char pre_files[4][MG_PATH_MAX];
	uint32_t paranoia_level;	/* 1..4 */
	enum mg_cfg_waf_mode mode;
	uint32_t block_status;		/* answer of a block */
	uint32_t n_remove_ids;		/* SecRuleRemoveById */
	char remove_ids[MG_MAX_WAF_REMOVE][16];
	uint32_t n_remove_tags;		/* SecRuleRemoveByTag */
	char remove_tags[MG_MAX_WAF_REMOVE][MG_CFG_WAF_TAG_MAX];
	uint32_t n_exclude_targets;	/* "ID:TARGET": SecRuleUpdateTargetById */
	char exclude_targets[MG_MAX_WAF_REMOVE][128];
	uint32_t n_exclude_targets_by_tag;	/* "TAG:TARGET": ...ByTag */
	char exclude_targets_by_tag[MG_MAX_WAF_REMOVE][128];
	uint32_t body_limit;		/* request body bytes inspected (held) */
	bool rules_header;		/* X-Meshgate-Waf-Rules on responses */
	char cache_dir[MG_PATH_MAX];	/* compiled databases; "" = none */
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
	uint32_t n_routes;
	struct mg_cfg_route *routes;	/* n_routes, allocated with the config */
	uint32_t n_waf;
	struct mg_cfg_waf waf[MG_MAX_WAF_POLICIES];
	struct mg_cfg_logging logging;
	uint32_t n_impairments;
	struct mg_cfg_impairment impairments[MG_MAX_IMPAIRMENTS];
};

/**
 * Load, check and resolve a configuration file.
 *
 * Every problem found is one line "FILE:LINE: what is wrong (what was
 * expected)" of the text *@p errors receives (when not NULL; the caller
 * frees it; NULL if there was no room for it); loading goes on after an
 * error so that all of them are reported at once.
 *
 * @return a configuration to release with mg_config_free(), or NULL when the
 *         file could not be read or had at least one error. @p n_errors (when
 *         not NULL) receives the number of errors.
 */
struct mg_config *mg_config_load(const char *path, char **errors,
				 unsigned *n_errors);

/** Release a configuration returned by mg_config_load(). */
void mg_config_free(struct mg_config *cfg);

/** Look-ups by name; -1 when absent. */
int mg_config_port_index(const struct mg_config *cfg, const char *name);
int mg_config_cluster_index(const struct mg_config *cfg, const char *name);
int mg_config_listener_index(const struct mg_config *cfg, const char *name);

/**
 * The template variable NAME of LEN bytes (without "%{" and "}").
 * @return an enum mg_http_var, or -1 when there is no such variable.
 */
int mg_config_http_var(const char *name, size_t len);

/** The name of an enum mg_http_var; NULL when out of range. */
const char *mg_config_http_var_name(int var);

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
