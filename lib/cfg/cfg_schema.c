/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The schema: one table per section. Parsing, range checks, defaults, the
 * key summaries of the sample file and the tests all read these tables, so
 * a key exists, with its bounds and default, in exactly one place.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cfg_internal.h"

#define FSIZE(st, f)	sizeof(((st *)0)->f)
#define KEY(n, t, st, f)	.name = (n), .type = (t), .off = offsetof(st, f)
#define STR(n, st, f)	KEY(n, CFG_STR, st, f), .size = FSIZE(st, f)
#define N_KEYS(keys)	(sizeof(keys) / sizeof((keys)[0]))
#define SECTION(keys, line) { (keys), N_KEYS(keys), (line) }

#define DP struct mg_cfg_dataplane
static const struct cfg_key dataplane_keys[] = {
	{ KEY("workers", CFG_U32, DP, workers), .min = 1, .max = MG_MAX_WORKERS,
	  .def = "1", .doc = "worker lcores polling the ports; the main lcore comes on top" },
	{ STR("cpus", DP, cpus), .flags = CFG_F_CPUS, .def = "",
	  .doc = "CPUs for the main lcore and the workers, e.g. \"0-3\"; \"\" = all online" },
	{ KEY("mbufs", CFG_U32, DP, mbufs), .min = 1023, .max = 16777215,
	  .def = "16383", .doc = "mbufs in the packet pool; 2^n - 1 is the most compact" },
	{ KEY("mbuf_cache", CFG_U32, DP, mbuf_cache), .min = 0, .max = 512,
	  .def = "256", .doc = "per-lcore mbuf cache" },
	{ KEY("burst", CFG_U32, DP, burst), .min = 1, .max = 256,
	  .def = "32", .doc = "packets per RX/TX burst" },
	{ KEY("rx_desc", CFG_U32, DP, rx_desc), .flags = CFG_F_POW2, .min = 64,
	  .max = 4096, .def = "1024", .doc = "RX descriptors per queue" },
	{ KEY("tx_desc", CFG_U32, DP, tx_desc), .flags = CFG_F_POW2, .min = 64,
	  .max = 4096, .def = "1024", .doc = "TX descriptors per queue" },
	{ KEY("idle_sleep_us", CFG_U32, DP, idle_sleep_us), .flags = CFG_F_RELOAD,
	  .min = 0, .max = 100000, .def = "0",
	  .doc = "sleep after an empty poll; 0 spins (set it on shared machines)" },
	{ KEY("hugepages", CFG_BOOL, DP, hugepages), .def = "true",
	  .doc = "false runs the EAL with --no-huge" },
	{ KEY("memory_mb", CFG_U32, DP, memory_mb), .min = 0, .max = 1048576,
	  .def = "0", .doc = "EAL memory (-m); 0 = the EAL default" },
	{ STR("file_prefix", DP, file_prefix), .flags = CFG_F_NAME,
	  .def = "meshgate", .doc = "EAL --file-prefix, also names the telemetry socket directory" },
	{ KEY("flows_per_worker", CFG_U32, DP, flows_per_worker), .min = 1024,
	  .max = 16777216, .def = "262144", .doc = "connection-tracking entries per worker" },
	{ KEY("snat_port_min", CFG_U16, DP, snat_port_min), .min = 2048, .max = 65535,
	  .def = "10240", .doc = "lowest full-NAT local port (1024..2047 are the health probes')" },
	{ KEY("snat_port_max", CFG_U16, DP, snat_port_max), .min = 2048, .max = 65535,
	  .def = "65535", .doc = "highest full-NAT local port" },
	{ KEY("tcp_max_conns", CFG_U32, DP, tcp_max_conns), .min = 16, .max = 16777216,
	  .def = "65536", .doc = "terminated TCP connections per worker" },
	{ KEY("tcp_max_memory_mb", CFG_U32, DP, tcp_max_memory_mb), .min = 1,
	  .max = 65536, .def = "256", .doc = "buffered TCP data per worker, MiB" },
	{ KEY("tcp_time_wait_ms", CFG_U32, DP, tcp_time_wait_ms), .min = 1000,
	  .max = 240000, .def = "60000", .doc = "TIME-WAIT (2 MSL), milliseconds" },
	{ KEY("eal_args", CFG_STRS, DP, eal_args), .min = 0, .max = MG_MAX_EAL_ARGS,
	  .size = FSIZE(DP, eal_args[0]), .count_off = offsetof(DP, n_eal_args),
	  .doc = "extra EAL arguments, passed verbatim" },
};
#undef DP

#define NB struct mg_cfg_neighbour
static const struct cfg_key neighbour_keys[] = {
	{ KEY("address", CFG_IP, NB, address), .flags = CFG_F_REQUIRED,
	  .doc = "the neighbour's address, on one of the port's subnets" },
	{ KEY("mac", CFG_MAC, NB, mac), .flags = CFG_F_REQUIRED,
	  .doc = "its unicast MAC, \"02:00:00:00:00:11\"" },
};
#undef NB
static const struct cfg_section neighbour_section =
	SECTION(neighbour_keys, offsetof(struct mg_cfg_neighbour, line));

#define PT struct mg_cfg_port
static const struct cfg_key port_keys[] = {
	{ STR("name", PT, name), .flags = CFG_F_REQUIRED | CFG_F_NAME,
	  .doc = "the name listeners, clusters and impairments refer to" },
	{ STR("device", PT, device), .flags = CFG_F_REQUIRED | CFG_F_DEVICE,
	  .doc = "a PCI address (\"0000:3b:00.0\") or a vdev (\"net_af_packet0,iface=x\")" },
	{ KEY("addresses", CFG_PREFIXES, PT, addrs), .flags = CFG_F_REQUIRED,
	  .min = 1, .max = MG_MAX_PORT_ADDRS, .count_off = offsetof(PT, n_addrs),
	  .aux_off = offsetof(PT, prefix_len),
	  .doc = "addresses the port owns, \"ADDR/LEN\"; subnets of ports must not overlap" },
	{ KEY("gateway", CFG_IP, PT, gateway4), .flags = CFG_F_IP4,
	  .doc = "IPv4 next hop for destinations off the port's subnets" },
	{ KEY("gateway6", CFG_IP, PT, gateway6), .flags = CFG_F_IP6,
	  .doc = "IPv6 next hop for destinations off the port's subnets" },
	{ KEY("snat_addresses", CFG_IPS, PT, snat_addrs), .min = 0,
	  .max = MG_MAX_SNAT_ADDRS, .count_off = offsetof(PT, n_snat_addrs),
	  .doc = "full-NAT source addresses towards endpoints; none = the port's own" },
	{ KEY("vlan", CFG_U16, PT, vlan), .min = 0, .max = 4094, .def = "0",
	  .doc = "802.1Q VLAN id; 0 = untagged" },
	{ KEY("mtu", CFG_U16, PT, mtu), .min = 576, .max = 9000, .def = "1500",
	  .doc = "IP MTU; at least 1280 on a port with IPv6 addresses" },
	{ KEY("neighbours", CFG_LIST, PT, neighbours), .min = 0,
	  .max = MG_MAX_STATIC_NEIGH, .size = sizeof(struct mg_cfg_neighbour),
	  .count_off = offsetof(PT, n_neighbours), .sub = &neighbour_section,
	  .doc = "static neighbours: never probed, aged or relearned" },
};
#undef PT

static const struct cfg_enum mode_names[] = {
	{ "tcp", MG_MODE_TCP, false },
	{ "udp", MG_MODE_UDP, false },
	{ "service", MG_MODE_SERVICE, false },
	{ "http", MG_MODE_HTTP, false },
	{ "https", MG_MODE_HTTPS, false },
	{ NULL, 0, false },
};

#define TO struct mg_cfg_l4_timeouts
static const struct cfg_key timeout_keys[] = {
	{ KEY("tcp_syn", CFG_U32, TO, tcp_syn), .flags = CFG_F_RELOAD, .min = 1,
	  .max = 3600, .def = "10", .doc = "seconds for a handshake to finish" },
	{ KEY("tcp_established", CFG_U32, TO, tcp_established), .flags = CFG_F_RELOAD,
	  .min = 1, .max = 604800, .def = "900", .doc = "idle seconds of an established connection" },
	{ KEY("tcp_closing", CFG_U32, TO, tcp_closing), .flags = CFG_F_RELOAD,
	  .min = 1, .max = 3600, .def = "30", .doc = "seconds after the first FIN" },
	{ KEY("tcp_closed", CFG_U32, TO, tcp_closed), .flags = CFG_F_RELOAD,
	  .min = 1, .max = 3600, .def = "10", .doc = "seconds kept after a RST or the last ACK" },
	{ KEY("udp", CFG_U32, TO, udp), .flags = CFG_F_RELOAD, .min = 1,
	  .max = 86400, .def = "60", .doc = "idle seconds of a UDP flow" },
};
#undef TO
static const struct cfg_section timeouts_section = SECTION(timeout_keys, -1);

static const struct cfg_enum service_names[] = {
	{ "echo", 0, false },
	{ "discard", 0, false },
	{ "source", 0, false },
	{ "http", 0, false },
	{ NULL, 0, false },
};

static const struct cfg_enum cc_names[] = {
	{ "cubic", 0, false },
	{ "newreno", 0, false },
	{ NULL, 0, false },
};

#define TC struct mg_cfg_tcp
static const struct cfg_key tcp_keys[] = {
	{ KEY("rcv_buf", CFG_U32, TC, rcv_buf), .min = 4096, .max = 67108864,
	  .def = "262144", .doc = "receive buffer per connection, bytes (the window)" },
	{ KEY("snd_buf", CFG_U32, TC, snd_buf), .min = 4096, .max = 67108864,
	  .def = "262144", .doc = "send buffer per connection, bytes" },
	{ KEY("mss", CFG_U16, TC, mss), .min = 0, .max = 9000, .def = "0",
	  .doc = "our MSS; 0 = from the port MTU" },
	{ KEY("nodelay", CFG_BOOL, TC, nodelay), .def = "false",
	  .doc = "true turns Nagle's algorithm off" },
	{ KEY("timestamps", CFG_BOOL, TC, timestamps), .def = "true",
	  .doc = "offer RFC 7323 timestamps (and PAWS)" },
	{ KEY("sack", CFG_BOOL, TC, sack), .def = "true",
	  .doc = "offer RFC 2018 selective acknowledgements" },
	{ KEY("window_scaling", CFG_BOOL, TC, window_scaling), .def = "true",
	  .doc = "offer RFC 7323 window scaling" },
	{ STR("cc", TC, cc), .def = "cubic", .enums = cc_names,
	  .doc = "congestion control" },
	{ KEY("syn_backlog", CFG_U32, TC, syn_backlog), .min = 16, .max = 1048576,
	  .def = "1024", .doc = "half-open connections kept per worker" },
	{ KEY("syncookie_threshold", CFG_U32, TC, syncookie_threshold), .min = 0,
	  .max = 1048576, .def = "512",
	  .doc = "half-open connections above which SYN cookies answer; 0 = always" },
	{ KEY("delack_us", CFG_U32, TC, delack_us), .min = 0, .max = 500000,
	  .def = "40000", .doc = "delayed-ACK timer; 0 acknowledges every segment" },
	{ KEY("keepalive_idle_s", CFG_U32, TC, keepalive_idle_s), .min = 0,
	  .max = 86400, .def = "0", .doc = "idle seconds before keep-alive probes; 0 = off" },
	{ KEY("keepalive_intvl_s", CFG_U32, TC, keepalive_intvl_s), .min = 1,
	  .max = 3600, .def = "75", .doc = "seconds between keep-alive probes" },
	{ KEY("keepalive_probes", CFG_U32, TC, keepalive_probes), .min = 1,
	  .max = 100, .def = "9", .doc = "unanswered probes that end the connection" },
};
#undef TC
static const struct cfg_section tcp_section = SECTION(tcp_keys, -1);

/* Limits in the spirit of HAProxy and Envoy: heads of 8 KiB lines and
 * 32 KiB in all, slow clients cut off after seconds, not minutes. */
#define HT struct mg_cfg_http
static const struct cfg_key http_keys[] = {
	{ KEY("max_request_line", CFG_U32, HT, max_request_line), .flags = CFG_F_RELOAD,
	  .min = 256, .max = 65536, .def = "8192",
	  .doc = "longest request line, bytes; 414 beyond it" },
	{ KEY("max_header_size", CFG_U32, HT, max_header_size), .flags = CFG_F_RELOAD,
	  .min = 1024, .max = 1048576, .def = "32768",
	  .doc = "largest header section, bytes; 431 beyond it" },
	{ KEY("max_headers", CFG_U32, HT, max_headers), .flags = CFG_F_RELOAD,
	  .min = 1, .max = 1000, .def = "100", .doc = "most header fields; 431 beyond it" },
	{ KEY("max_body_size", CFG_U64, HT, max_body_size), .flags = CFG_F_RELOAD,
	  .min = 0, .max = 1099511627776LL, .def = "1073741824",
	  .doc = "largest request body, bytes; 413 beyond it; routes may change it" },
	{ KEY("header_timeout_ms", CFG_U32, HT, header_timeout_ms), .flags = CFG_F_RELOAD,
	  .min = 100, .max = 3600000, .def = "10000",
	  .doc = "the whole head must arrive within this; 408 after it" },
	{ KEY("body_timeout_ms", CFG_U32, HT, body_timeout_ms), .flags = CFG_F_RELOAD,
	  .min = 100, .max = 3600000, .def = "30000",
	  .doc = "longest pause between two pieces of a request body; 408 after it" },
	{ KEY("idle_timeout_ms", CFG_U32, HT, idle_timeout_ms), .flags = CFG_F_RELOAD,
	  .min = 100, .max = 3600000, .def = "60000",
	  .doc = "a kept-alive connection without a request is closed after this" },
	{ KEY("max_requests_per_conn", CFG_U32, HT, max_requests_per_conn),
	  .flags = CFG_F_RELOAD, .min = 0, .max = 1000000000, .def = "0",
	  .doc = "requests on one client connection; 0 = unlimited" },
	{ KEY("trusted_proxies", CFG_PREFIXES, HT, trusted_proxies), .flags = CFG_F_RELOAD,
	  .min = 0, .max = MG_MAX_TRUSTED_PROXIES, .count_off = offsetof(HT, n_trusted_proxies),
	  .aux_off = offsetof(HT, trusted_proxies_len),
	  .doc = "clients whose X-Forwarded-For and Forwarded headers are kept" },
	{ KEY("forwarded_headers", CFG_BOOL, HT, forwarded_headers), .flags = CFG_F_RELOAD,
	  .def = "true", .doc = "add X-Forwarded-For, -Proto, -Host and Forwarded" },
	{ STR("request_id_header", HT, request_id_header), .flags = CFG_F_TOKEN | CFG_F_RELOAD,
	  .def = "x-request-id", .doc = "the header that carries the request id" },
	{ KEY("generate_request_id", CFG_BOOL, HT, generate_request_id), .flags = CFG_F_RELOAD,
	  .def = "true", .doc = "give requests without an id one" },
	{ KEY("trace_context", CFG_BOOL, HT, trace_context), .flags = CFG_F_RELOAD,
	  .def = "true", .doc = "pass on a W3C traceparent, or start one" },
	{ KEY("access_log", CFG_BOOL, HT, access_log), .flags = CFG_F_RELOAD,
	  .def = "true", .doc = "log each request to logging.access_log" },
};
#undef HT
static const struct cfg_section http_section = SECTION(http_keys, -1);

static const struct cfg_enum tls_version_names[] = {
	{ "1.2", MG_CFG_TLS_1_2, false },
	{ "1.3", MG_CFG_TLS_1_3, false },
	{ NULL, 0, false },
};

static const struct cfg_enum client_auth_names[] = {
	{ "none", MG_CFG_CLIENT_AUTH_NONE, false },
	{ "optional", MG_CFG_CLIENT_AUTH_OPTIONAL, false },
	{ "required", MG_CFG_CLIENT_AUTH_REQUIRED, false },
	{ NULL, 0, false },
};

static const struct cfg_enum record_path_names[] = {
	{ "ipsec-mb", MG_CFG_TLS_RECORD_IPSEC_MB, false },
	{ "openssl", MG_CFG_TLS_RECORD_OPENSSL, false },
	{ NULL, 0, false },
};

/* Keys that TLS servers and clients share, in the struct ST. */
#define TLS_VERSION_KEYS(ST)						\
	{ KEY("min_version", CFG_ENUM, ST, min_version), .flags = CFG_F_RELOAD, \
	  .def = "1.2", .enums = tls_version_names,			\
	  .doc = "the oldest TLS version accepted" },			\
	{ KEY("max_version", CFG_ENUM, ST, max_version), .flags = CFG_F_RELOAD, \
	  .def = "1.3", .enums = tls_version_names,			\
	  .doc = "the newest TLS version offered; at least min_version" }, \
	{ STR("ciphers", ST, ciphers), .flags = CFG_F_OSSL_LIST | CFG_F_RELOAD, \
	  .doc = "TLS 1.2 cipher list, OpenSSL syntax; absent: ECDHE with AES-GCM or ChaCha20" }, \
	{ STR("ciphersuites", ST, ciphersuites),			\
	  .flags = CFG_F_OSSL_LIST | CFG_F_RELOAD,			\
	  .doc = "TLS 1.3 cipher suites, OpenSSL syntax; absent: all three" }
#define TLS_ENGINE_KEYS(ST)						\
	{ KEY("handshake_timeout_ms", CFG_U32, ST, handshake_timeout_ms), \
	  .flags = CFG_F_RELOAD, .min = 100, .max = 120000, .def = "10000", \
	  .doc = "a handshake not done by then fails" },		\
	{ KEY("record_path", CFG_ENUM, ST, record_path), .flags = CFG_F_RELOAD, \
	  .def = "ipsec-mb", .enums = record_path_names,		\
	  .doc = "who seals AES-GCM records after the handshake" }

#define TK struct mg_cfg_tls_cert
static const struct cfg_key tls_cert_keys[] = {
	{ STR("cert", TK, cert), .flags = CFG_F_REQUIRED | CFG_F_FILE | CFG_F_RELOAD,
	  .doc = "PEM file: the certificate, then its chain" },
	{ STR("key", TK, key), .flags = CFG_F_REQUIRED | CFG_F_FILE | CFG_F_RELOAD,
	  .doc = "PEM file: its private key" },
	{ STR("ocsp", TK, ocsp), .flags = CFG_F_FILE | CFG_F_RELOAD,
	  .doc = "DER file: an OCSP response to staple" },
};
#undef TK
static const struct cfg_section tls_cert_section =
	SECTION(tls_cert_keys, offsetof(struct mg_cfg_tls_cert, line));

#define TS struct mg_cfg_tls_server
static const struct cfg_key tls_server_keys[] = {
	{ KEY("certificates", CFG_LIST, TS, certificates),
	  .flags = CFG_F_REQUIRED | CFG_F_RELOAD, .min = 1, .max = MG_MAX_TLS_CERTS,
	  .size = sizeof(struct mg_cfg_tls_cert),
	  .count_off = offsetof(TS, n_certificates), .sub = &tls_cert_section,
	  .doc = "the certificates, chosen by SNI against their names" },
	{ KEY("default_certificate", CFG_I32, TS, default_certificate),
	  .flags = CFG_F_RELOAD, .min = -1, .max = MG_MAX_TLS_CERTS - 1, .def = "0",
	  .doc = "index into certificates for unknown or no SNI; -1 refuses the handshake" },
	TLS_VERSION_KEYS(TS),
	{ STR("groups", TS, groups), .flags = CFG_F_OSSL_LIST | CFG_F_RELOAD,
	  .doc = "key exchange groups; absent: X25519, P-256, P-384" },
	{ STR("sigalgs", TS, sigalgs), .flags = CFG_F_OSSL_LIST | CFG_F_RELOAD,
	  .doc = "signature algorithms; absent: OpenSSL's" },
	{ STR("alpn", TS, alpn), .flags = CFG_F_ALPN | CFG_F_RELOAD, .def = "http/1.1",
	  .doc = "ALPN protocols, comma separated; \"\" = no ALPN" },
	{ KEY("client_auth", CFG_ENUM, TS, client_auth), .flags = CFG_F_RELOAD,
	  .def = "none", .enums = client_auth_names,
	  .doc = "client certificates: not asked for, verified when sent, or required" },
	{ STR("client_ca", TS, client_ca), .flags = CFG_F_FILE | CFG_F_RELOAD,
	  .doc = "PEM file of the CAs client certificates chain to" },
	{ STR("crl", TS, crl), .flags = CFG_F_FILE | CFG_F_RELOAD,
	  .doc = "PEM file of CRLs for client certificates" },
	{ KEY("verify_depth", CFG_U32, TS, verify_depth), .flags = CFG_F_RELOAD,
	  .min = 0, .max = 10, .def = "4",
	  .doc = "intermediate CAs allowed in a client's chain" },
	{ STR("ticket_keys", TS, ticket_keys), .flags = CFG_F_FILE | CFG_F_RELOAD,
	  .doc = "session ticket keys; absent: no resumption" },
	{ KEY("ticket_lifetime_s", CFG_U32, TS, ticket_lifetime_s), .flags = CFG_F_RELOAD,
	  .min = 60, .max = 604800, .def = "7200", .doc = "how long a ticket resumes" },
	TLS_ENGINE_KEYS(TS),
	{ KEY("record_size", CFG_U32, TS, record_size), .flags = CFG_F_RELOAD,
	  .min = 512, .max = 16384, .def = "16384",
	  .doc = "plaintext bytes per record sent" },
};
#undef TS
static const struct cfg_section tls_server_section = SECTION(tls_server_keys, -1);

#define LS struct mg_cfg_listener
static const struct cfg_key listener_keys[] = {
	{ STR("name", LS, name), .flags = CFG_F_REQUIRED | CFG_F_NAME | CFG_F_RELOAD,
	  .doc = "the listener's name, for logs and statistics" },
	{ KEY("mode", CFG_ENUM, LS, mode), .flags = CFG_F_RELOAD, .def = "tcp", .enums = mode_names,
	  .doc = "tcp or udp: the L4 full-NAT path; service: TCP terminated here, "
		 "served built-in; http: HTTP/1.1 proxied by routes; https: the same over TLS" },
	{ STR("port", LS, port_name), .flags = CFG_F_NAME | CFG_F_RELOAD,
	  .doc = "the port the VIP is on; absent: the port whose subnet holds the VIP" },
	{ KEY("address", CFG_IP, LS, address), .flags = CFG_F_REQUIRED | CFG_F_RELOAD,
	  .doc = "the VIP, IPv4 or IPv6; no port may own it" },
	{ KEY("listen_port", CFG_U16, LS, listen_port), .flags = CFG_F_REQUIRED | CFG_F_RELOAD,
	  .min = 1, .max = 65535, .doc = "the TCP or UDP port on the VIP" },
	{ STR("cluster", LS, cluster_name), .flags = CFG_F_NAME | CFG_F_RELOAD,
	  .doc = "modes tcp/udp: the cluster that serves it; its endpoints share the VIP's family" },
	{ KEY("timeouts", CFG_GROUP, LS, timeouts), .flags = CFG_F_RELOAD, .sub = &timeouts_section,
	  .doc = "connection-tracking timeouts, in seconds" },
	{ STR("service", LS, service), .enums = service_names,
	  .doc = "mode service: echo, discard, source (\"N [SEED]\\n\" -> N bytes) or http" },
	{ KEY("http_body_size", CFG_U32, LS, http_body_size), .min = 0, .max = 1048576,
	  .def = "64", .doc = "service http: bytes of the fixed response body" },
	{ KEY("source_max_bytes", CFG_U64, LS, source_max_bytes), .min = 0,
	  .max = 1099511627776LL, .def = "4294967296",
	  .doc = "service source: the largest N a client may ask for" },
	{ KEY("tcp", CFG_GROUP, LS, tcp), .sub = &tcp_section,
	  .doc = "modes service, http and https: TCP settings of accepted connections" },
	{ KEY("http", CFG_GROUP, LS, http), .flags = CFG_F_RELOAD, .sub = &http_section,
	  .doc = "modes http and https: limits, timeouts and the headers added" },
	{ KEY("tls", CFG_GROUP, LS, tls), .flags = CFG_F_RELOAD, .sub = &tls_server_section,
	  .doc = "mode https: certificates, versions and client certificates" },
	{ STR("waf", LS, waf), .flags = CFG_F_NAME | CFG_F_RELOAD,
	  .doc = "modes http and https: the WAF policy of its requests; absent = none" },
};
#undef LS
static const struct cfg_section listener_section =
	SECTION(listener_keys, offsetof(struct mg_cfg_listener, line));

#define EP struct mg_cfg_endpoint
static const struct cfg_key endpoint_keys[] = {
	{ KEY("address", CFG_IP, EP, address), .flags = CFG_F_REQUIRED | CFG_F_RELOAD,
	  .doc = "the endpoint's address" },
	{ KEY("port", CFG_U16, EP, port), .flags = CFG_F_REQUIRED | CFG_F_RELOAD,
	  .min = 1, .max = 65535, .doc = "the endpoint's TCP or UDP port" },
	{ KEY("weight", CFG_U32, EP, weight), .flags = CFG_F_RELOAD, .min = 1,
	  .max = 1000, .def = "1", .doc = "share of new connections, relative to the others" },
};
#undef EP
static const struct cfg_section endpoint_section =
	SECTION(endpoint_keys, offsetof(struct mg_cfg_endpoint, line));

static const struct cfg_enum health_names[] = {
	{ "none", MG_HEALTH_NONE, false },
	{ "tcp", MG_HEALTH_TCP, false },
	{ "http", MG_HEALTH_HTTP, false },
	{ NULL, 0, false },
};

#define HC struct mg_cfg_health
static const struct cfg_key health_keys[] = {
	{ KEY("type", CFG_ENUM, HC, type), .flags = CFG_F_RELOAD, .def = "none",
	  .enums = health_names,
	  .doc = "none: always up; tcp: a SYN probe, SYN-ACK is up; "
		 "http: a GET, the status decides" },
	{ KEY("interval_ms", CFG_U32, HC, interval_ms), .flags = CFG_F_RELOAD,
	  .min = 100, .max = 3600000, .def = "2000", .doc = "time between probes of an endpoint" },
	{ KEY("timeout_ms", CFG_U32, HC, timeout_ms), .flags = CFG_F_RELOAD,
	  .min = 1, .max = 3600000, .def = "1000", .doc = "a probe fails after this; less than interval_ms" },
	{ KEY("healthy_threshold", CFG_U32, HC, healthy_threshold), .flags = CFG_F_RELOAD,
	  .min = 1, .max = 100, .def = "2", .doc = "successes in a row to come back" },
	{ KEY("unhealthy_threshold", CFG_U32, HC, unhealthy_threshold), .flags = CFG_F_RELOAD,
	  .min = 1, .max = 100, .def = "3", .doc = "failures in a row to be taken out" },
	{ KEY("port", CFG_U16, HC, port), .flags = CFG_F_RELOAD, .min = 0,
	  .max = 65535, .def = "0", .doc = "port to probe; 0 = the endpoint's own port" },
	{ STR("path", HC, path), .flags = CFG_F_TARGET | CFG_F_RELOAD, .def = "/health",
	  .doc = "type http: the request target" },
	{ STR("host", HC, host), .flags = CFG_F_HOST | CFG_F_HOSTPORT | CFG_F_RELOAD,
	  .def = "", .doc = "type http: the Host header; \"\" = the endpoint's address" },
	{ STR("expected_statuses", HC, expected_statuses),
	  .flags = CFG_F_STATUSES | CFG_F_RELOAD, .def = "200-399",
	  .doc = "type http: the statuses that count as up" },
};
#undef HC
static const struct cfg_section health_section = SECTION(health_keys, -1);

static const struct cfg_enum lb_names[] = {
	{ "maglev", MG_LB_MAGLEV, false },
	{ "round_robin", MG_LB_ROUND_ROBIN, false },
	{ "least_request", MG_LB_LEAST_REQUEST, false },
	{ "ring_hash", MG_LB_RING_HASH, false },
	{ "random", MG_LB_RANDOM, false },
	{ NULL, 0, false },
};

static const struct cfg_enum hash_names[] = {
	{ "client_address", MG_HASH_CLIENT_ADDRESS, false },
	{ "header", MG_HASH_HEADER, false },
	{ "cookie", MG_HASH_COOKIE, false },
	{ NULL, 0, false },
};

/* Passive health, circuit breakers, timeouts, retries and pooling follow
 * Envoy's defaults where it has them. */
#define OD struct mg_cfg_outlier
static const struct cfg_key outlier_keys[] = {
	{ KEY("consecutive_5xx", CFG_U32, OD, consecutive_5xx), .flags = CFG_F_RELOAD,
	  .min = 0, .max = 1000, .def = "5", .doc = "5xx responses in a row that eject; 0 = off" },
	{ KEY("consecutive_connect_failures", CFG_U32, OD, consecutive_connect_failures),
	  .flags = CFG_F_RELOAD, .min = 0, .max = 1000, .def = "5",
	  .doc = "failed connects in a row that eject; 0 = off" },
	{ KEY("base_ejection_ms", CFG_U32, OD, base_ejection_ms), .flags = CFG_F_RELOAD,
	  .min = 100, .max = 3600000, .def = "30000",
	  .doc = "ejection time, times the ejections of the endpoint so far" },
	{ KEY("max_ejection_ms", CFG_U32, OD, max_ejection_ms), .flags = CFG_F_RELOAD,
	  .min = 100, .max = 3600000, .def = "300000", .doc = "longest ejection" },
	{ KEY("max_ejection_pct", CFG_U32, OD, max_ejection_pct), .flags = CFG_F_RELOAD,
	  .min = 0, .max = 100, .def = "10",
	  .doc = "most of the cluster ejected at once, percent" },
};
#undef OD
static const struct cfg_section outlier_section = SECTION(outlier_keys, -1);

#define CB struct mg_cfg_breakers
static const struct cfg_key breaker_keys[] = {
	{ KEY("max_connections", CFG_U32, CB, max_connections), .flags = CFG_F_RELOAD,
	  .min = 1, .max = 16777216, .def = "1024",
	  .doc = "upstream connections, open and opening" },
	{ KEY("max_pending_requests", CFG_U32, CB, max_pending_requests),
	  .flags = CFG_F_RELOAD, .min = 1, .max = 16777216, .def = "1024",
	  .doc = "requests waiting for a connection; 503 beyond it" },
	{ KEY("max_requests", CFG_U32, CB, max_requests), .flags = CFG_F_RELOAD,
	  .min = 1, .max = 16777216, .def = "1024", .doc = "requests in flight; 503 beyond it" },
	{ KEY("max_retries", CFG_U32, CB, max_retries), .flags = CFG_F_RELOAD,
	  .min = 0, .max = 16777216, .def = "3", .doc = "retries in flight" },
};
#undef CB
static const struct cfg_section breaker_section = SECTION(breaker_keys, -1);

#define UT struct mg_cfg_upstream_timeouts
static const struct cfg_key upstream_timeout_keys[] = {
	{ KEY("connect_ms", CFG_U32, UT, connect_ms), .flags = CFG_F_RELOAD,
	  .min = 0, .max = 3600000, .def = "1000",
	  .doc = "for an upstream connection to open; 0 = none" },
	{ KEY("response_ms", CFG_U32, UT, response_ms), .flags = CFG_F_RELOAD,
	  .min = 0, .max = 3600000, .def = "15000",
	  .doc = "from the request sent to the first response byte; 0 = none" },
	{ KEY("idle_ms", CFG_U32, UT, idle_ms), .flags = CFG_F_RELOAD,
	  .min = 0, .max = 3600000, .def = "60000",
	  .doc = "no bytes either way while proxying; 0 = none" },
	{ KEY("request_ms", CFG_U32, UT, request_ms), .flags = CFG_F_RELOAD,
	  .min = 0, .max = 3600000, .def = "0",
	  .doc = "the whole request, all attempts; 0 = none" },
};
#undef UT
static const struct cfg_section upstream_timeout_section =
	SECTION(upstream_timeout_keys, -1);

#define RT struct mg_cfg_retry
static const struct cfg_key retry_keys[] = {
	{ KEY("attempts", CFG_U32, RT, attempts), .flags = CFG_F_RELOAD,
	  .min = 0, .max = 10, .def = "1", .doc = "retries after the first try; 0 = none" },
	{ KEY("on_connect_failure", CFG_BOOL, RT, on_connect_failure), .flags = CFG_F_RELOAD,
	  .def = "true", .doc = "retry when the connection fails or is refused" },
	{ KEY("on_5xx", CFG_BOOL, RT, on_5xx), .flags = CFG_F_RELOAD,
	  .def = "true", .doc = "retry idempotent requests answered 502, 503 or 504" },
	{ KEY("budget_pct", CFG_U32, RT, budget_pct), .flags = CFG_F_RELOAD,
	  .min = 0, .max = 100, .def = "20",
	  .doc = "retries in flight, percent of the requests in flight" },
	{ KEY("min_retries", CFG_U32, RT, min_retries), .flags = CFG_F_RELOAD,
	  .min = 0, .max = 1000000, .def = "3", .doc = "retries allowed whatever the budget" },
};
#undef RT
static const struct cfg_section retry_section = SECTION(retry_keys, -1);

#define PL struct mg_cfg_pool
static const struct cfg_key pool_keys[] = {
	{ KEY("max_idle_per_endpoint", CFG_U32, PL, max_idle_per_endpoint),
	  .flags = CFG_F_RELOAD, .min = 0, .max = 65536, .def = "64",
	  .doc = "idle kept-alive connections per endpoint and worker" },
	{ KEY("idle_timeout_ms", CFG_U32, PL, idle_timeout_ms), .flags = CFG_F_RELOAD,
	  .min = 100, .max = 3600000, .def = "30000",
	  .doc = "an idle pooled connection is closed after this" },
	{ KEY("max_requests_per_conn", CFG_U32, PL, max_requests_per_conn),
	  .flags = CFG_F_RELOAD, .min = 0, .max = 1000000000, .def = "0",
	  .doc = "requests on one upstream connection; 0 = unlimited" },
};
#undef PL
static const struct cfg_section pool_section = SECTION(pool_keys, -1);

#define TC struct mg_cfg_tls_client
static const struct cfg_key tls_client_keys[] = {
	{ KEY("enabled", CFG_BOOL, TC, enabled), .flags = CFG_F_RELOAD, .def = "false",
	  .doc = "true: TLS to the endpoints" },
	{ STR("cert", TC, cert), .flags = CFG_F_FILE | CFG_F_RELOAD,
	  .doc = "PEM file: our client certificate, then its chain" },
	{ STR("key", TC, key), .flags = CFG_F_FILE | CFG_F_RELOAD,
	  .doc = "PEM file: its private key" },
	{ STR("ca", TC, ca), .flags = CFG_F_FILE | CFG_F_RELOAD,
	  .doc = "PEM file of the CAs endpoint certificates chain to" },
	{ STR("crl", TC, crl), .flags = CFG_F_FILE | CFG_F_RELOAD,
	  .doc = "PEM file of CRLs for endpoint certificates" },
	{ KEY("verify_depth", CFG_U32, TC, verify_depth), .flags = CFG_F_RELOAD,
	  .min = 0, .max = 10, .def = "4",
	  .doc = "intermediate CAs allowed in an endpoint's chain" },
	{ STR("sni", TC, sni), .flags = CFG_F_SNI | CFG_F_RELOAD,
	  .doc = "the server name sent; absent: none" },
	{ STR("expected_san", TC, expected_san), .flags = CFG_F_SAN | CFG_F_RELOAD,
	  .doc = "a SAN the endpoint's certificate must have" },
	TLS_VERSION_KEYS(TC),
	{ STR("alpn", TC, alpn), .flags = CFG_F_ALPN | CFG_F_RELOAD,
	  .doc = "ALPN protocols offered, comma separated; absent: none" },
	{ KEY("session_reuse", CFG_BOOL, TC, session_reuse), .flags = CFG_F_RELOAD,
	  .def = "true", .doc = "resume TLS sessions with the endpoints" },
	TLS_ENGINE_KEYS(TC),
};
#undef TC
#undef TLS_VERSION_KEYS
#undef TLS_ENGINE_KEYS
static const struct cfg_section tls_client_section = SECTION(tls_client_keys, -1);

#define CL struct mg_cfg_cluster
static const struct cfg_key cluster_keys[] = {
	{ STR("name", CL, name), .flags = CFG_F_REQUIRED | CFG_F_NAME | CFG_F_RELOAD,
	  .doc = "the name listeners refer to" },
	{ KEY("lb", CFG_ENUM, CL, lb), .flags = CFG_F_RELOAD, .def = "maglev",
	  .enums = lb_names,
	  .doc = "the load-balancing algorithm; tcp and udp listeners need maglev" },
	{ KEY("maglev_table_size", CFG_U32, CL, maglev_table_size),
	  .flags = CFG_F_PRIME | CFG_F_RELOAD, .min = 65537, .max = 16777213,
	  .def = "65537", .doc = "Maglev lookup table entries; larger spreads weights finer" },
	{ STR("port", CL, port_name), .flags = CFG_F_NAME | CFG_F_RELOAD,
	  .doc = "the port that reaches the endpoints; absent: the port whose subnet holds them" },
	{ KEY("endpoints", CFG_LIST, CL, endpoints), .flags = CFG_F_REQUIRED | CFG_F_RELOAD,
	  .min = 1, .max = MG_MAX_ENDPOINTS, .size = sizeof(struct mg_cfg_endpoint),
	  .count_off = offsetof(CL, n_endpoints), .sub = &endpoint_section,
	  .doc = "the backends, all of one address family" },
	{ KEY("health_check", CFG_GROUP, CL, health), .flags = CFG_F_RELOAD, .sub = &health_section,
	  .doc = "active health checks of the endpoints" },
	{ KEY("hash_on", CFG_ENUM, CL, hash_on), .flags = CFG_F_RELOAD,
	  .def = "client_address", .enums = hash_names,
	  .doc = "maglev and ring_hash on HTTP requests: what is hashed" },
	{ STR("hash_key", CL, hash_key), .flags = CFG_F_TOKEN | CFG_F_RELOAD,
	  .doc = "hash_on header or cookie: the name of the header or cookie" },
	{ KEY("ring_size", CFG_U32, CL, ring_size), .flags = CFG_F_RELOAD,
	  .min = 16, .max = 8388608, .def = "1024", .doc = "ring_hash: points on the ring" },
	{ KEY("outlier_detection", CFG_GROUP, CL, outlier), .flags = CFG_F_RELOAD,
	  .sub = &outlier_section,
	  .doc = "HTTP: endpoints that keep failing are ejected for a while" },
	{ KEY("circuit_breakers", CFG_GROUP, CL, breakers), .flags = CFG_F_RELOAD,
	  .sub = &breaker_section,
	  .doc = "HTTP: limits per cluster, shared out among the workers" },
	{ KEY("timeouts", CFG_GROUP, CL, timeouts), .flags = CFG_F_RELOAD,
	  .sub = &upstream_timeout_section, .doc = "HTTP: upstream timeouts, milliseconds" },
	{ KEY("retry", CFG_GROUP, CL, retry), .flags = CFG_F_RELOAD, .sub = &retry_section,
	  .doc = "HTTP: when to try another endpoint" },
	{ KEY("pool", CFG_GROUP, CL, pool), .flags = CFG_F_RELOAD, .sub = &pool_section,
	  .doc = "HTTP: kept-alive upstream connections" },
	{ KEY("tcp", CFG_GROUP, CL, tcp), .sub = &tcp_section,
	  .doc = "HTTP: TCP settings of upstream connections" },
	{ KEY("tls", CFG_GROUP, CL, tls), .flags = CFG_F_RELOAD, .sub = &tls_client_section,
	  .doc = "HTTP: TLS to the endpoints" },
};
#undef CL
static const struct cfg_section cluster_section =
	SECTION(cluster_keys, offsetof(struct mg_cfg_cluster, line));

static const struct cfg_section port_section =
	SECTION(port_keys, offsetof(struct mg_cfg_port, line));
static const struct cfg_section dataplane_section = SECTION(dataplane_keys, -1);

static const struct cfg_enum level_names[] = {
	{ "emerg", 0, false }, { "alert", 0, false }, { "crit", 0, false },
	{ "err", 0, false }, { "warning", 0, false }, { "notice", 0, false },
	{ "info", 0, false }, { "debug", 0, false }, { NULL, 0, false },
};

#define LG struct mg_cfg_logging
static const struct cfg_key logging_keys[] = {
	{ STR("level", LG, level), .flags = CFG_F_RELOAD, .def = "info",
	  .enums = level_names, .doc = "the least severe level that is logged" },
	{ STR("file", LG, file), .flags = CFG_F_RELOAD, .def = "", .doc = "log file; \"\" = stderr" },
	{ KEY("stats_interval_s", CFG_U32, LG, stats_interval_s), .flags = CFG_F_RELOAD,
	  .min = 0, .max = 86400, .def = "10", .doc = "seconds between statistics lines; 0 = none" },
	{ STR("access_log", LG, access_log), .flags = CFG_F_RELOAD, .def = "",
	  .doc = "file of the HTTP access log, JSON lines; \"\" = none" },
	{ KEY("access_log_ring", CFG_U32, LG, access_log_ring), .flags = CFG_F_POW2,
	  .min = 64, .max = 1048576, .def = "4096",
	  .doc = "access-log records a worker queues for the writer; more are dropped, counted" },
	{ STR("waf_audit_log", LG, waf_audit_log), .flags = CFG_F_RELOAD, .def = "",
	  .doc = "file of the WAF audit log: a JSON line per request that matched a rule" },
};
#undef LG
static const struct cfg_section logging_section = SECTION(logging_keys, -1);

#define IM struct mg_cfg_impairment
static const struct cfg_key impairment_keys[] = {
	{ STR("port", IM, port_name), .flags = CFG_F_REQUIRED | CFG_F_NAME | CFG_F_RELOAD,
	  .doc = "the port whose transmit side is impaired" },
	{ KEY("loss_pct", CFG_DOUBLE, IM, loss_pct), .flags = CFG_F_RELOAD,
	  .min = 0, .max = 100, .def = "0", .doc = "percent of packets dropped" },
	{ KEY("duplicate_pct", CFG_DOUBLE, IM, duplicate_pct), .flags = CFG_F_RELOAD,
	  .min = 0, .max = 100, .def = "0", .doc = "percent of packets sent twice" },
	{ KEY("reorder_pct", CFG_DOUBLE, IM, reorder_pct), .flags = CFG_F_RELOAD,
	  .min = 0, .max = 100, .def = "0", .doc = "percent of packets held back behind the next" },
	{ KEY("delay_us", CFG_U32, IM, delay_us), .flags = CFG_F_RELOAD, .min = 0,
	  .max = 1000000, .def = "0", .doc = "delay added to every packet" },
	{ KEY("seed", CFG_U64, IM, seed), .flags = CFG_F_RELOAD, .min = 0,
	  .max = INT64_MAX, .def = "1", .doc = "random seed, so that a run can be repeated" },
};
#undef IM
static const struct cfg_section impairment_section =
	SECTION(impairment_keys, offsetof(struct mg_cfg_impairment, line));

static const struct cfg_enum path_type_names[] = {
	{ "exact", MG_PATH_EXACT, false },
	{ "prefix", MG_PATH_PREFIX, false },
	{ "regex", MG_PATH_REGEX, false },
	{ NULL, 0, false },
};

static const struct cfg_enum value_match_names[] = {
	{ "exact", MG_VALUE_EXACT, false },
	{ "present", MG_VALUE_PRESENT, false },
	{ "regex", MG_VALUE_REGEX, false },
	{ NULL, 0, false },
};

/* Headers and query parameters differ only in what a name may be. */
#define KV struct mg_cfg_kv_match
#define KV_VALUE_KEYS							\
	{ STR("value", KV, value), .flags = CFG_F_TEXT | CFG_F_RELOAD,	\
	  .doc = "what the value must be (exact) or match (regex)" },	\
	{ KEY("type", CFG_ENUM, KV, type), .flags = CFG_F_RELOAD,	\
	  .def = "exact", .enums = value_match_names,			\
	  .doc = "exact value, present at all, or a regex on the whole value" }, \
	{ KEY("invert", CFG_BOOL, KV, invert), .flags = CFG_F_RELOAD,	\
	  .def = "false", .doc = "true: the condition holds when this does not" }
static const struct cfg_key header_match_keys[] = {
	{ STR("name", KV, name), .flags = CFG_F_REQUIRED | CFG_F_TOKEN | CFG_F_RELOAD,
	  .doc = "the header, any case" },
	KV_VALUE_KEYS,
};
static const struct cfg_key query_match_keys[] = {
	{ STR("name", KV, name), .flags = CFG_F_REQUIRED | CFG_F_QUERY | CFG_F_RELOAD,
	  .doc = "the query parameter, as in the request" },
	KV_VALUE_KEYS,
};
#undef KV_VALUE_KEYS
#undef KV
static const struct cfg_section header_match_section =
	SECTION(header_match_keys, offsetof(struct mg_cfg_kv_match, line));
static const struct cfg_section query_match_section =
	SECTION(query_match_keys, offsetof(struct mg_cfg_kv_match, line));

#define CM struct mg_cfg_cert_match
static const struct cfg_key cert_match_keys[] = {
	{ STR("subject", CM, subject), .flags = CFG_F_REGEX | CFG_F_RELOAD,
	  .doc = "a regex on the whole subject, RFC 2253 form" },
	{ STR("san", CM, san), .flags = CFG_F_SAN | CFG_F_RELOAD,
	  .doc = "a SAN of the certificate: URI, IP address or DNS name" },
};
#undef CM
static const struct cfg_section cert_match_section = SECTION(cert_match_keys, -1);

/* The match group of a route: its keys are fields of the route itself. */
#define RO struct mg_cfg_route
static const struct cfg_key match_keys[] = {
	{ KEY("hosts", CFG_STRS, RO, hosts),
	  .flags = CFG_F_HOST | CFG_F_WILDCARD | CFG_F_RELOAD, .min = 0,
	  .max = MG_MAX_ROUTE_HOSTS, .size = FSIZE(RO, hosts[0]),
	  .count_off = offsetof(RO, n_hosts),
	  .doc = "host names or \"*.domain\", without port; none = any host" },
	{ STR("path", RO, path), .flags = CFG_F_RELOAD,
	  .doc = "the path, a prefix of it, or a regex on all of it (no query)" },
	{ KEY("path_type", CFG_ENUM, RO, path_type), .flags = CFG_F_RELOAD,
	  .enums = path_type_names, .doc = "how path matches; prefix when left out" },
	{ KEY("methods", CFG_STRS, RO, methods), .flags = CFG_F_TOKEN | CFG_F_RELOAD,
	  .min = 0, .max = MG_MAX_ROUTE_METHODS, .size = FSIZE(RO, methods[0]),
	  .count_off = offsetof(RO, n_methods), .doc = "request methods; none = any" },
	{ KEY("headers", CFG_LIST, RO, headers), .flags = CFG_F_RELOAD, .min = 0,
	  .max = MG_MAX_ROUTE_MATCHES, .size = sizeof(struct mg_cfg_kv_match),
	  .count_off = offsetof(RO, n_headers), .sub = &header_match_section,
	  .doc = "conditions on request headers, all must hold" },
	{ KEY("query", CFG_LIST, RO, query), .flags = CFG_F_RELOAD, .min = 0,
	  .max = MG_MAX_ROUTE_MATCHES, .size = sizeof(struct mg_cfg_kv_match),
	  .count_off = offsetof(RO, n_query), .sub = &query_match_section,
	  .doc = "conditions on query parameters, all must hold" },
	{ KEY("client_cert", CFG_GROUP, RO, client_cert), .flags = CFG_F_RELOAD,
	  .sub = &cert_match_section, .doc = "https: conditions on the client certificate" },
};
static const struct cfg_section match_section = SECTION(match_keys, -1);

#define SP struct mg_cfg_split
static const struct cfg_key split_keys[] = {
	{ STR("cluster", SP, cluster_name), .flags = CFG_F_REQUIRED | CFG_F_NAME | CFG_F_RELOAD,
	  .doc = "a cluster" },
	{ KEY("weight", CFG_U32, SP, weight), .flags = CFG_F_REQUIRED | CFG_F_RELOAD,
	  .min = 0, .max = 10000, .doc = "its share of the requests, relative to the others" },
};
#undef SP
static const struct cfg_section split_section =
	SECTION(split_keys, offsetof(struct mg_cfg_split, line));

#define DR struct mg_cfg_direct_response
static const struct cfg_key direct_keys[] = {
	{ KEY("status", CFG_U32, DR, status), .flags = CFG_F_REQUIRED | CFG_F_RELOAD,
	  .min = 200, .max = 599, .doc = "the status of the response" },
	{ STR("body", DR, body), .flags = CFG_F_RELOAD, .doc = "its body, as is" },
	{ STR("content_type", DR, content_type), .flags = CFG_F_TEXT | CFG_F_RELOAD,
	  .def = "text/plain", .doc = "its Content-Type, when it has a body" },
};
#undef DR
static const struct cfg_section direct_section = SECTION(direct_keys, -1);

#define RD struct mg_cfg_redirect
static const struct cfg_key redirect_keys[] = {
	{ KEY("status", CFG_U32, RD, status), .flags = CFG_F_REQUIRED | CFG_F_RELOAD,
	  .min = 301, .max = 308, .doc = "301, 302, 303, 307 or 308" },
	{ STR("location", RD, location), .flags = CFG_F_REQUIRED | CFG_F_TEMPLATE | CFG_F_RELOAD,
	  .doc = "the Location header, a template" },
};
#undef RD
static const struct cfg_section redirect_section = SECTION(redirect_keys, -1);

#define HO struct mg_cfg_header_op
static const struct cfg_key header_op_keys[] = {
	{ STR("name", HO, name), .flags = CFG_F_REQUIRED | CFG_F_TOKEN | CFG_F_RELOAD,
	  .doc = "the header" },
	{ STR("value", HO, value), .flags = CFG_F_REQUIRED | CFG_F_TEMPLATE | CFG_F_RELOAD,
	  .doc = "its value, a template" },
};
#undef HO
static const struct cfg_section header_op_section =
	SECTION(header_op_keys, offsetof(struct mg_cfg_header_op, line));

#define HS struct mg_cfg_header_ops
static const struct cfg_key header_ops_keys[] = {
	{ KEY("add", CFG_LIST, HS, add), .flags = CFG_F_RELOAD, .min = 0,
	  .max = MG_MAX_HEADER_OPS, .size = sizeof(struct mg_cfg_header_op),
	  .count_off = offsetof(HS, n_add), .sub = &header_op_section,
	  .doc = "headers added, beside any of the same name" },
	{ KEY("set", CFG_LIST, HS, set), .flags = CFG_F_RELOAD, .min = 0,
	  .max = MG_MAX_HEADER_OPS, .size = sizeof(struct mg_cfg_header_op),
	  .count_off = offsetof(HS, n_set), .sub = &header_op_section,
	  .doc = "headers set, replacing any of the same name" },
	{ KEY("remove", CFG_STRS, HS, remove), .flags = CFG_F_TOKEN | CFG_F_RELOAD,
	  .min = 0, .max = MG_MAX_HEADER_OPS, .size = FSIZE(HS, remove[0]),
	  .count_off = offsetof(HS, n_remove), .doc = "headers removed" },
};
#undef HS
static const struct cfg_section header_ops_section = SECTION(header_ops_keys, -1);

static const struct cfg_key route_keys[] = {
	{ STR("name", RO, name), .flags = CFG_F_REQUIRED | CFG_F_NAME | CFG_F_RELOAD,
	  .doc = "the route's name, for logs, statistics and %{route}" },
	{ KEY("listeners", CFG_STRS, RO, listeners), .flags = CFG_F_NAME | CFG_F_RELOAD,
	  .min = 0, .max = MG_MAX_ROUTE_LISTENERS, .size = FSIZE(RO, listeners[0]),
	  .count_off = offsetof(RO, n_listeners),
	  .doc = "http and https listeners it serves; none = all of them" },
	{ .name = "match", .type = CFG_GROUP, .off = 0, .flags = CFG_F_RELOAD,
	  .sub = &match_section, .doc = "the conditions; none = every request" },
	{ STR("cluster", RO, cluster_name), .flags = CFG_F_NAME | CFG_F_RELOAD,
	  .doc = "action: proxy to this cluster" },
	{ KEY("split", CFG_LIST, RO, splits), .flags = CFG_F_RELOAD, .min = 1,
	  .max = MG_MAX_SPLITS, .size = sizeof(struct mg_cfg_split),
	  .count_off = offsetof(RO, n_splits), .sub = &split_section,
	  .doc = "action: proxy to clusters by weight" },
	{ KEY("direct_response", CFG_GROUP, RO, direct), .flags = CFG_F_RELOAD,
	  .sub = &direct_section, .doc = "action: answer here" },
	{ KEY("redirect", CFG_GROUP, RO, redirect), .flags = CFG_F_RELOAD,
	  .sub = &redirect_section, .doc = "action: answer with a redirect" },
	{ STR("prefix_rewrite", RO, prefix_rewrite), .flags = CFG_F_PATH | CFG_F_RELOAD,
	  .doc = "path_type prefix: replaces the matched prefix" },
	{ STR("path_rewrite", RO, path_rewrite), .flags = CFG_F_PATH | CFG_F_RELOAD,
	  .doc = "replaces the whole path, keeping the query" },
	{ STR("host_rewrite", RO, host_rewrite),
	  .flags = CFG_F_HOST | CFG_F_HOSTPORT | CFG_F_RELOAD,
	  .doc = "replaces the Host header" },
	{ KEY("request_headers", CFG_GROUP, RO, request_headers), .flags = CFG_F_RELOAD,
	  .sub = &header_ops_section, .doc = "changes to the request's headers" },
	{ KEY("response_headers", CFG_GROUP, RO, response_headers), .flags = CFG_F_RELOAD,
	  .sub = &header_ops_section, .doc = "changes to the response's headers" },
	{ KEY("max_body_size", CFG_U64, RO, max_body_size), .flags = CFG_F_RELOAD,
	  .min = 0, .max = 1099511627776LL, .def = "0",
	  .doc = "largest request body, bytes; 0 = the listener's" },
	{ KEY("timeout_ms", CFG_U32, RO, timeout_ms), .flags = CFG_F_RELOAD,
	  .min = 0, .max = 3600000, .def = "0",
	  .doc = "the whole request, all attempts; 0 = the cluster's" },
	{ KEY("require_client_cert", CFG_BOOL, RO, require_client_cert),
	  .flags = CFG_F_RELOAD, .def = "false",
	  .doc = "https: 403 unless the client sent a verified certificate" },
	{ STR("waf", RO, waf), .flags = CFG_F_NAME | CFG_F_RELOAD,
	  .doc = "the WAF policy of its requests: a name, or \"off\"; absent = the listener's" },
};
#undef RO
static const struct cfg_section route_section =
	SECTION(route_keys, offsetof(struct mg_cfg_route, line));

static const struct cfg_enum waf_mode_names[] = {
	{ "block", MG_CFG_WAF_BLOCK, false },
	{ "detect", MG_CFG_WAF_DETECT, false },
	{ NULL, 0, false },
};

#define WF struct mg_cfg_waf
static const struct cfg_key waf_keys[] = {
	{ STR("name", WF, name), .flags = CFG_F_REQUIRED | CFG_F_NAME | CFG_F_RELOAD,
	  .doc = "the name listeners and routes refer to" },
	{ STR("setup", WF, setup), .flags = CFG_F_RELOAD,
	  .def = "/etc/modsecurity/crs/crs-setup.conf",
	  .doc = "the CRS setup file, read first; \"\" = none" },
	{ STR("rules_dir", WF, rules_dir), .flags = CFG_F_RELOAD,
	  .def = "/usr/share/modsecurity-crs/rules",
	  .doc = "every *.conf in it is loaded, by name (Debian's modsecurity-crs)" },
	{ KEY("pre_files", CFG_STRS, WF, pre_files), .flags = CFG_F_RELOAD,
	  .min = 0, .max = 4, .size = FSIZE(WF, pre_files[0]),
	  .count_off = offsetof(WF, n_pre_files),
	  .doc = "SecLang files read after setup, before the rules (site settings)" },
	{ KEY("paranoia_level", CFG_U32, WF, paranoia_level), .flags = CFG_F_RELOAD,
	  .min = 1, .max = 4,
	  .doc = "the CRS paranoia level; absent: the files' (the CRS: 1)" },
	{ KEY("mode", CFG_ENUM, WF, mode), .flags = CFG_F_RELOAD, .def = "block",
	  .enums = waf_mode_names,
	  .doc = "block: a denying verdict is answered; detect: only logged" },
	{ KEY("block_status", CFG_U32, WF, block_status), .flags = CFG_F_RELOAD,
	  .min = 400, .max = 599, .def = "403",
	  .doc = "the status of a blocked request whose rule names none" },
	{ KEY("remove_ids", CFG_STRS, WF, remove_ids), .flags = CFG_F_RELOAD,
	  .min = 0, .max = MG_MAX_WAF_REMOVE, .size = FSIZE(WF, remove_ids[0]),
	  .count_off = offsetof(WF, n_remove_ids),
	  .doc = "rule ids or ranges (\"920300\", \"942100-942199\") left out" },
	{ KEY("remove_tags", CFG_STRS, WF, remove_tags), .flags = CFG_F_RELOAD,
	  .min = 0, .max = MG_MAX_WAF_REMOVE, .size = FSIZE(WF, remove_tags[0]),
	  .count_off = offsetof(WF, n_remove_tags),
	  .doc = "rules with these tags left out (\"attack-sqli\")" },
	{ KEY("exclude_targets", CFG_STRS, WF, exclude_targets), .flags = CFG_F_RELOAD,
	  .min = 0, .max = MG_MAX_WAF_REMOVE, .size = FSIZE(WF, exclude_targets[0]),
	  .count_off = offsetof(WF, n_exclude_targets),
	  .doc = "\"ID:TARGET\": rule ID no longer inspects TARGET (\"942100:ARGS:password\")" },
	{ KEY("exclude_targets_by_tag", CFG_STRS, WF, exclude_targets_by_tag),
	  .flags = CFG_F_RELOAD, .min = 0, .max = MG_MAX_WAF_REMOVE,
	  .size = FSIZE(WF, exclude_targets_by_tag[0]),
	  .count_off = offsetof(WF, n_exclude_targets_by_tag),
	  .doc = "\"TAG:TARGET\": the rules tagged TAG no longer inspect TARGET "
		 "(\"attack-sqli:ARGS:password\")" },
	{ KEY("body_limit", CFG_U32, WF, body_limit), .flags = CFG_F_RELOAD,
	  .min = 0, .max = 16777216, .def = "131072",
	  .doc = "request body bytes held and inspected; the rest is forwarded "
		 "unread; 0: the rules' SecRequestBodyLimit, at most 1 MiB" },
	{ KEY("rules_header", CFG_BOOL, WF, rules_header), .flags = CFG_F_RELOAD,
	  .def = "false", .doc = "list the matched rule ids in X-Meshgate-Waf-Rules (test harnesses)" },
	{ STR("cache_dir", WF, cache_dir), .flags = CFG_F_RELOAD,
	  .def = "/var/cache/meshgate/waf",
	  .doc = "where compiled databases are kept between starts; \"\" = none" },
};
#undef WF
static const struct cfg_section waf_section =
	SECTION(waf_keys, offsetof(struct mg_cfg_waf, line));

#define MC struct mg_config
static const struct cfg_key root_keys[] = {
	{ KEY("dataplane", CFG_GROUP, MC, dataplane), .sub = &dataplane_section,
	  .doc = "lcores, memory and the EAL" },
	{ KEY("ports", CFG_LIST, MC, ports), .flags = CFG_F_REQUIRED, .min = 1,
	  .max = MG_MAX_PORTS, .size = sizeof(struct mg_cfg_port),
	  .count_off = offsetof(MC, n_ports), .sub = &port_section,
	  .doc = "the DPDK ports and the addresses they own" },
	{ KEY("listeners", CFG_LIST, MC, listeners), .flags = CFG_F_RELOAD, .min = 0,
	  .max = MG_MAX_LISTENERS, .size = sizeof(struct mg_cfg_listener),
	  .count_off = offsetof(MC, n_listeners), .sub = &listener_section,
	  .doc = "the VIPs and what serves them" },
	{ KEY("clusters", CFG_LIST, MC, clusters), .flags = CFG_F_RELOAD, .min = 0,
	  .max = MG_MAX_CLUSTERS, .size = sizeof(struct mg_cfg_cluster),
	  .count_off = offsetof(MC, n_clusters), .sub = &cluster_section,
	  .doc = "groups of endpoints and how to balance over them" },
	{ KEY("routes", CFG_LIST, MC, routes), .flags = CFG_F_ALLOC | CFG_F_RELOAD,
	  .min = 0, .max = MG_MAX_ROUTES, .size = sizeof(struct mg_cfg_route),
	  .count_off = offsetof(MC, n_routes), .sub = &route_section,
	  .doc = "modes http and https: which requests go where, first match wins" },
	{ KEY("waf", CFG_LIST, MC, waf), .flags = CFG_F_RELOAD, .min = 0,
	  .max = MG_MAX_WAF_POLICIES, .size = sizeof(struct mg_cfg_waf),
	  .count_off = offsetof(MC, n_waf), .sub = &waf_section,
	  .doc = "WAF policies: the OWASP Core Rule Set on Hyperscan" },
	{ KEY("logging", CFG_GROUP, MC, logging), .flags = CFG_F_RELOAD, .sub = &logging_section,
	  .doc = "log level, destination and periodic statistics" },
	{ KEY("impairment", CFG_LIST, MC, impairments), .flags = CFG_F_RELOAD,
	  .min = 0, .max = MG_MAX_IMPAIRMENTS, .size = sizeof(struct mg_cfg_impairment),
	  .count_off = offsetof(MC, n_impairments), .sub = &impairment_section,
	  .doc = "test only: loss, duplication, reordering and delay on transmit" },
};
#undef MC

const struct cfg_section mg_cfg_root = SECTION(root_keys, -1);

#define FITS(keys) _Static_assert(N_KEYS(keys) <= CFG_MAX_KEYS, #keys)
FITS(dataplane_keys);
FITS(port_keys);
FITS(neighbour_keys);
FITS(timeout_keys);
FITS(tcp_keys);
FITS(http_keys);
FITS(tls_cert_keys);
FITS(tls_server_keys);
FITS(tls_client_keys);
FITS(cert_match_keys);
FITS(listener_keys);
FITS(waf_keys);
FITS(endpoint_keys);
FITS(health_keys);
FITS(outlier_keys);
FITS(breaker_keys);
FITS(upstream_timeout_keys);
FITS(retry_keys);
FITS(pool_keys);
FITS(cluster_keys);
FITS(header_match_keys);
FITS(query_match_keys);
FITS(match_keys);
FITS(split_keys);
FITS(direct_keys);
FITS(redirect_keys);
FITS(header_op_keys);
FITS(header_ops_keys);
FITS(route_keys);
FITS(logging_keys);
FITS(impairment_keys);
FITS(root_keys);

void
cfg_enum_choices(const struct cfg_enum *e, char *buf, size_t len)
{
	size_t n = 0, pos = 0;

	for (const struct cfg_enum *i = e; i->name != NULL; i++)
		if (!i->unsupported)
			n++;
	buf[0] = '\0';
	for (const struct cfg_enum *i = e; i->name != NULL; i++) {
		if (i->unsupported)
			continue;
		const char *sep = pos == 0 ? "" : --n == 1 ? " or " : ", ";
		int w = snprintf(buf + pos, len - pos, "%s\"%s\"", sep, i->name);
		if (w < 0 || (size_t)w >= len - pos)
			return;
		pos += (size_t)w;
	}
}

static const char *
string_kind(unsigned flags)
{
	return flags & CFG_F_NAME ? "name" :
		flags & CFG_F_CPUS ? "CPU list" :
		flags & CFG_F_DEVICE ? "device" :
		flags & CFG_F_TOKEN ? "HTTP token" :
		flags & CFG_F_HOSTPORT ? "host or host:port" :
		flags & CFG_F_WILDCARD ? "host name or \"*.domain\"" :
		flags & (CFG_F_HOST | CFG_F_SNI) ? "host name" :
		flags & CFG_F_PATH ? "path" :
		flags & CFG_F_TARGET ? "path with an optional ?query" :
		flags & CFG_F_TEMPLATE ? "template" :
		flags & CFG_F_TEXT ? "text" :
		flags & CFG_F_STATUSES ? "status list" :
		flags & CFG_F_QUERY ? "query parameter name" :
		flags & CFG_F_FILE ? "file" :
		flags & CFG_F_REGEX ? "regular expression" :
		flags & CFG_F_OSSL_LIST ? "OpenSSL list" :
		flags & CFG_F_ALPN ? "ALPN protocol list" :
		flags & CFG_F_SAN ? "URI, IP address or DNS name" : "string";
}

static const char *
strings_kind(unsigned flags)
{
	return flags & CFG_F_NAME ? "names" :
		flags & CFG_F_TOKEN ? "HTTP tokens" :
		flags & CFG_F_WILDCARD ? "host names or \"*.domain\"" : "strings";
}

void
cfg_key_summary(const struct cfg_key *k, char *buf, size_t len)
{
	char what[256], def[96] = "";
	const char *kind = "";

	switch (k->type) {
	case CFG_U16:
	case CFG_U32:
	case CFG_U64:
	case CFG_I32:
		kind = k->flags & CFG_F_POW2 ? "integer, a power of two in " :
			k->flags & CFG_F_PRIME ? "integer, a prime in " : "integer ";
		snprintf(what, sizeof(what), "%s%" PRId64 "..%" PRId64, kind,
			 k->min, k->max);
		break;
	case CFG_DOUBLE:
		snprintf(what, sizeof(what), "number %" PRId64 "..%" PRId64,
			 k->min, k->max);
		break;
	case CFG_BOOL:
		snprintf(what, sizeof(what), "boolean");
		break;
	case CFG_STR:
	case CFG_ENUM:
		if (k->enums != NULL)
			cfg_enum_choices(k->enums, what, sizeof(what));
		else
			snprintf(what, sizeof(what), "%s", string_kind(k->flags));
		break;
	case CFG_IP:
		snprintf(what, sizeof(what), "%s", k->flags & CFG_F_IP4 ? "IPv4 address" :
			 k->flags & CFG_F_IP6 ? "IPv6 address" : "IPv4 or IPv6 address");
		break;
	case CFG_MAC:
		snprintf(what, sizeof(what), "MAC address");
		break;
	case CFG_IPS:
	case CFG_PREFIXES:
	case CFG_STRS:
	case CFG_LIST:
		kind = k->type == CFG_IPS ? "IP addresses" :
			k->type == CFG_PREFIXES ? "\"ADDR/LEN\"" :
			k->type == CFG_STRS ? strings_kind(k->flags) : "groups";
		snprintf(what, sizeof(what), "list of %s, %" PRId64 "..%" PRId64
			 " entries", kind, k->min, k->max);
		break;
	case CFG_GROUP:
		snprintf(what, sizeof(what), "group");
		break;
	}

	if (k->flags & CFG_F_REQUIRED)
		snprintf(def, sizeof(def), ", required");
	else if (k->def == NULL)
		snprintf(def, sizeof(def), "%s", k->type == CFG_GROUP ? "" : ", optional");
	else if (k->type == CFG_STR || k->type == CFG_ENUM)
		snprintf(def, sizeof(def), ", default \"%s\"", k->def);
	else
		snprintf(def, sizeof(def), ", default %s", k->def);

	snprintf(buf, len, "%s%s%s", what, def,
		 k->flags & CFG_F_RELOAD ? "; reloadable" : "");
}

typedef void (*cfg_visit_fn)(const char *path, const struct cfg_key *k, void *arg);

static void
walk(const struct cfg_section *sec, const char *prefix, cfg_visit_fn fn,
     void *arg)
{
	char path[128];

	for (unsigned i = 0; i < sec->n_keys; i++) {
		const struct cfg_key *k = &sec->keys[i];

		snprintf(path, sizeof(path), "%s%s%s", prefix,
			 prefix[0] != '\0' ? "." : "", k->name);
		fn(path, k, arg);
		if (k->sub != NULL)
			walk(k->sub, path, fn, arg);
	}
}

struct foreach_arg {
	void (*fn)(const char *path, void *arg);
	void *arg;
};

static void
foreach_visit(const char *path, const struct cfg_key *k, void *arg)
{
	struct foreach_arg *fa = arg;

	fa->fn(path, fa->arg);
}

void
mg_config_schema_foreach(void (*fn)(const char *path, void *arg), void *arg)
{
	struct foreach_arg fa = { fn, arg };

	walk(&mg_cfg_root, "", foreach_visit, &fa);
}

struct summary_arg {
	const char *path;
	char *buf;
	size_t len;
	int rc;
};

static void
summary_visit(const char *path, const struct cfg_key *k, void *arg)
{
	struct summary_arg *sa = arg;

	if (sa->rc == 0 || strcmp(path, sa->path) != 0)
		return;
	cfg_key_summary(k, sa->buf, sa->len);
	sa->rc = 0;
}

int
mg_config_schema_summary(const char *path, char *buf, size_t len)
{
	struct summary_arg sa = { path, buf, len, -ENOENT };

	walk(&mg_cfg_root, "", summary_visit, &sa);
	return sa.rc;
}
