/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Checks across keys and sections, once every value is loaded: names are
 * unique, references resolve, addresses do not collide, families agree.
 * Values that already failed to load are zero and are skipped here, so one
 * mistake gives one message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg_internal.h"

static const char *
family_name(int family)
{
	return family == AF_INET ? "IPv4" : "IPv6";
}

/* "10.0.0.1:80" or "[fd00::1]:80" */
static const char *
fmt_ip_port(const struct mg_ip *ip, unsigned port, char *buf, size_t len)
{
	char a[MG_IP_STRLEN];

	mg_ip_format(ip, a, sizeof(a));
	snprintf(buf, len, "%s%s%s:%u", ip->family == AF_INET6 ? "[" : "", a,
		 ip->family == AF_INET6 ? "]" : "", port);
	return buf;
}

/* The sections that other keys refer to by name. */
enum cfg_ref {
	REF_PORT,
	REF_CLUSTER,
	REF_LISTENER,
	REF_WAF,
};

static const struct {
	const char *section, *kind;
} refs[] = {
	[REF_PORT] = { "ports", "port" },
	[REF_CLUSTER] = { "clusters", "cluster" },
	[REF_LISTENER] = { "listeners", "listener" },
	[REF_WAF] = { "waf", "WAF policy" },
};

/* The name of entry I of a section; NULL past its end. */
static const char *
ref_name(const struct mg_config *cfg, enum cfg_ref ref, uint32_t i)
{
	switch (ref) {
	case REF_PORT:
		return i < cfg->n_ports ? cfg->ports[i].name : NULL;
	case REF_CLUSTER:
		return i < cfg->n_clusters ? cfg->clusters[i].name : NULL;
	case REF_LISTENER:
		return i < cfg->n_listeners ? cfg->listeners[i].name : NULL;
	case REF_WAF:
		return i < cfg->n_waf ? cfg->waf[i].name : NULL;
	}
	return NULL;
}

/* A reference to a missing name. Quiet when a name of that section failed
 * to load (it is empty then): it may have been the one meant. */
static void
no_such(struct cfg_ctx *ctx, const char *path, enum cfg_ref ref,
	const char *name)
{
	const char *kind = refs[ref].kind, *n;
	char choices[256];
	size_t o = 0;
	uint32_t i;

	choices[0] = '\0';
	for (i = 0; (n = ref_name(ctx->cfg, ref, i)) != NULL; i++) {
		if (n[0] == '\0')
			return;
		if (o < sizeof(choices))
			o += (size_t)snprintf(choices + o, sizeof(choices) - o,
					      "%s%s", o ? ", " : "", n);
	}
	if (i == 0 && !cfg_ok(ctx, refs[ref].section))
		return;
	if (choices[0] == '\0')
		cfg_error(ctx, path, "no %s named \"%s\" (expected the name of a "
			  "%s; none is defined)", kind, name, kind);
	else
		cfg_error(ctx, path, "no %s named \"%s\" (expected one of: %s)",
			  kind, name, choices);
}

/* Which port has a subnet holding IP; -1 when none. Subnets of different
 * ports are disjoint (checked), so the first one is the only one. */
static int
port_of(const struct mg_config *cfg, const struct mg_ip *ip)
{
	for (uint32_t i = 0; i < cfg->n_ports; i++) {
		const struct mg_cfg_port *p = &cfg->ports[i];

		for (uint32_t a = 0; a < p->n_addrs; a++)
			if (p->addrs[a].family != 0 &&
			    mg_ip_in_prefix(ip, &p->addrs[a], p->prefix_len[a]))
				return (int)i;
	}
	return -1;
}

static bool
port_has_family(const struct mg_cfg_port *p, int family)
{
	for (uint32_t a = 0; a < p->n_addrs; a++)
		if (p->addrs[a].family == family)
			return true;
	return false;
}

static bool
in_port_subnets(const struct mg_cfg_port *p, const struct mg_ip *ip)
{
	for (uint32_t a = 0; a < p->n_addrs; a++)
		if (p->addrs[a].family != 0 &&
		    mg_ip_in_prefix(ip, &p->addrs[a], p->prefix_len[a]))
			return true;
	return false;
}

/* The port that owns IP as an interface address (or SNAT address). */
static int
owner_of(const struct mg_config *cfg, const struct mg_ip *ip, bool snat)
{
	for (uint32_t i = 0; i < cfg->n_ports; i++) {
		const struct mg_cfg_port *p = &cfg->ports[i];
		uint32_t n = snat ? p->n_snat_addrs : p->n_addrs;

		for (uint32_t a = 0; a < n; a++)
			if (mg_ip_eq(ip, snat ? &p->snat_addrs[a] : &p->addrs[a]))
				return (int)i;
	}
	return -1;
}

/* The device a port string names: the vdev name before its arguments, or
 * the PCI address with its domain. */
static void
device_id(const char *dev, char *buf, size_t len)
{
	size_t n = strcspn(dev, ",");

	if (strncmp(dev, "net_", 4) == 0)
		snprintf(buf, len, "%.*s", (int)n, dev);
	else
		snprintf(buf, len, "%s%s", strlen(dev) == 7 ? "0000:" : "", dev);
	for (char *c = buf; *c != '\0'; c++)
		if (*c >= 'A' && *c <= 'F')
			*c = (char)(*c - 'A' + 'a');
}

static unsigned
count_cpus(const char *s)
{
	unsigned n = 0;

	while (*s != '\0') {
		char *end;
		unsigned long a = strtoul(s, &end, 10), b = a;

		if (*end == '-')
			b = strtoul(end + 1, &end, 10);
		n += (unsigned)(b - a + 1);
		s = *end == ',' ? end + 1 : end;
	}
	return n;
}

static void
check_dataplane(struct cfg_ctx *ctx)
{
	const struct mg_config *cfg = ctx->cfg;
	const struct mg_cfg_dataplane *dp = &cfg->dataplane;
	uint64_t need;

	if (!cfg_ok(ctx, "dataplane"))
		return;
	if (dp->cpus[0] != '\0' && count_cpus(dp->cpus) < dp->workers + 1)
		cfg_error(ctx, "dataplane.cpus", "\"%s\" has %u CPU%s for %u "
			  "worker%s (expected at least workers + 1 = %u: one for "
			  "the main lcore)", dp->cpus, count_cpus(dp->cpus),
			  count_cpus(dp->cpus) == 1 ? "" : "s", dp->workers,
			  dp->workers == 1 ? "" : "s", dp->workers + 1);
	if (dp->snat_port_min > dp->snat_port_max)
		cfg_error(ctx, "dataplane.snat_port_max", "%u is below "
			  "snat_port_min %u (expected snat_port_min <= "
			  "snat_port_max)", dp->snat_port_max, dp->snat_port_min);
	/* Every RX and TX ring may hold an mbuf per descriptor, and every
	 * lcore cache some more: fewer mbufs and RX stalls for good. */
	need = (uint64_t)cfg->n_ports * dp->workers * (dp->rx_desc + dp->tx_desc) +
		(uint64_t)(dp->workers + 1) * dp->mbuf_cache;
	if (dp->mbufs < need)
		cfg_error(ctx, "dataplane.mbufs", "%u is too few for %u port%s x "
			  "%u worker%s x (%u + %u) descriptors and the caches "
			  "(expected at least %llu)", dp->mbufs, cfg->n_ports,
			  cfg->n_ports == 1 ? "" : "s", dp->workers,
			  dp->workers == 1 ? "" : "s", dp->rx_desc, dp->tx_desc,
			  (unsigned long long)need);
}

static void
check_gateway(struct cfg_ctx *ctx, uint32_t i, const struct mg_ip *gw,
	      const char *key)
{
	const struct mg_cfg_port *p = &ctx->cfg->ports[i];
	char path[64], a[MG_IP_STRLEN];

	if (gw->family == 0)
		return;
	P(path, "ports[%u].%s", i, key);
	mg_ip_format(gw, a, sizeof(a));
	if (owner_of(ctx->cfg, gw, false) == (int)i)
		cfg_error(ctx, path, "%s is an address of port \"%s\" itself "
			  "(expected a neighbour's address)", a, p->name);
	else if (!in_port_subnets(p, gw))
		cfg_error(ctx, path, "%s is off the subnets of port \"%s\" "
			  "(expected an address in one of its %s subnets)", a,
			  p->name, family_name(gw->family));
}

/* The first listener whose VIP is IP; -1 when none. */
static int
listener_of(const struct mg_config *cfg, const struct mg_ip *ip)
{
	for (uint32_t l = 0; l < cfg->n_listeners; l++)
		if (mg_ip_eq(ip, &cfg->listeners[l].address))
			return (int)l;
	return -1;
}

/* Static neighbours: on the port's subnets, not an address the appliance
 * owns, each once. */
static void
check_neighbours(struct cfg_ctx *ctx, uint32_t i)
{
	const struct mg_config *cfg = ctx->cfg;
	const struct mg_cfg_port *p = &cfg->ports[i];
	char path[96], a[MG_IP_STRLEN];

	if (!cfg_ok(ctx, P(path, "ports[%u].addresses", i)))
		return;
	for (uint32_t x = 0; x < p->n_neighbours; x++) {
		const struct mg_ip *nx = &p->neighbours[x].address;
		int owner;

		if (nx->family == 0)
			continue;
		P(path, "ports[%u].neighbours[%u].address", i, x);
		mg_ip_format(nx, a, sizeof(a));
		if ((owner = owner_of(cfg, nx, false)) >= 0) {
			cfg_error(ctx, path, "%s is an address of port \"%s\" "
				  "(expected a neighbour's address)", a,
				  cfg->ports[owner].name);
			continue;
		}
		if ((owner = owner_of(cfg, nx, true)) >= 0) {
			cfg_error(ctx, path, "%s is a SNAT address of port \"%s\" "
				  "(expected a neighbour's address)", a,
				  cfg->ports[owner].name);
			continue;
		}
		if ((owner = listener_of(cfg, nx)) >= 0) {
			cfg_error(ctx, path, "%s is the VIP of listeners[%d] "
				  "(expected a neighbour's address)", a, owner);
			continue;
		}
		if (!in_port_subnets(p, nx)) {
			cfg_error(ctx, path, "%s is off the subnets of port \"%s\" "
				  "(expected an address in one of its %s subnets)",
				  a, p->name, family_name(nx->family));
			continue;
		}
		for (uint32_t y = 0; y < x; y++)
			if (mg_ip_eq(nx, &p->neighbours[y].address)) {
				cfg_error(ctx, path, "%s is already neighbours[%u] "
					  "(expected each address once)", a, y);
				break;
			}
	}
}

static void
check_ports(struct cfg_ctx *ctx)
{
	struct mg_config *cfg = ctx->cfg;
	char path[96], a[MG_IP_STRLEN], b[MG_IP_STRLEN], id1[MG_DEVICE_MAX],
		id2[MG_DEVICE_MAX];

	for (uint32_t i = 0; i < cfg->n_ports; i++) {
		struct mg_cfg_port *p = &cfg->ports[i];
		bool has6 = false;

		p->is_vdev = strncmp(p->device, "net_", 4) == 0;
		for (uint32_t j = 0; j < i; j++) {
			const struct mg_cfg_port *q = &cfg->ports[j];

			if (p->name[0] != '\0' && strcmp(p->name, q->name) == 0)
				cfg_error(ctx, P(path, "ports[%u].name", i),
					  "\"%s\" is already the name of ports[%u] "
					  "(expected unique names)", p->name, j);
			if (p->device[0] == '\0' || q->device[0] == '\0')
				continue;
			device_id(p->device, id1, sizeof(id1));
			device_id(q->device, id2, sizeof(id2));
			if (strcmp(id1, id2) == 0)
				cfg_error(ctx, P(path, "ports[%u].device", i),
					  "\"%s\" is the device of ports[%u] too "
					  "(expected one port per device)", id1, j);
		}

		for (uint32_t x = 0; x < p->n_addrs; x++) {
			const struct mg_ip *ax = &p->addrs[x];

			if (ax->family == 0)
				continue;
			has6 |= ax->family == AF_INET6;
			P(path, "ports[%u].addresses[%u]", i, x);
			for (uint32_t y = 0; y < x; y++)
				if (mg_ip_eq(ax, &p->addrs[y]))
					cfg_error(ctx, path, "%s is listed twice "
						  "(expected each address once)",
						  mg_ip_format(ax, a, sizeof(a)));
			for (uint32_t j = 0; j < i; j++) {
				const struct mg_cfg_port *q = &cfg->ports[j];

				for (uint32_t y = 0; y < q->n_addrs; y++) {
					const struct mg_ip *ay = &q->addrs[y];
					uint8_t len = p->prefix_len[x] < q->prefix_len[y] ?
						p->prefix_len[x] : q->prefix_len[y];

					if (ay->family == 0 ||
					    !mg_ip_in_prefix(ax, ay, len))
						continue;
					cfg_error(ctx, path, "%s/%u overlaps %s/%u of "
						  "port \"%s\" (expected subnets that do "
						  "not overlap across ports)",
						  mg_ip_format(ax, a, sizeof(a)),
						  p->prefix_len[x],
						  mg_ip_format(ay, b, sizeof(b)),
						  q->prefix_len[y], q->name);
				}
			}
		}

		check_gateway(ctx, i, &p->gateway4, "gateway");
		check_gateway(ctx, i, &p->gateway6, "gateway6");
		check_neighbours(ctx, i);

		for (uint32_t x = 0; x < p->n_snat_addrs; x++) {
			const struct mg_ip *sx = &p->snat_addrs[x];
			int owner = owner_of(cfg, sx, false);
			int dup = -1;

			if (sx->family == 0)
				continue;
			P(path, "ports[%u].snat_addresses[%u]", i, x);
			mg_ip_format(sx, a, sizeof(a));
			/* The port's own address is what SNAT uses anyway. */
			if (owner >= 0 && owner != (int)i) {
				cfg_error(ctx, path, "%s is an address of port "
					  "\"%s\" (expected an address no other port "
					  "owns)", a, cfg->ports[owner].name);
				continue;
			}
			for (uint32_t j = 0; j <= i && dup < 0; j++) {
				const struct mg_cfg_port *q = &cfg->ports[j];
				uint32_t n = j == i ? x : q->n_snat_addrs;

				for (uint32_t y = 0; y < n; y++)
					if (mg_ip_eq(sx, &q->snat_addrs[y]))
						dup = (int)j;
			}
			if (dup >= 0)
				cfg_error(ctx, path, "%s is already a SNAT address "
					  "of port \"%s\" (expected each address "
					  "once)", a, cfg->ports[dup].name);
		}

		if (has6 && p->mtu < 1280 && cfg_ok(ctx, P(path, "ports[%u].mtu", i)))
			cfg_error(ctx, path, "%u is below the IPv6 minimum (expected "
				  "at least 1280 on a port with IPv6 addresses)",
				  p->mtu);
	}
}

/* The family of a cluster's endpoints; 0 when none loaded. */
static int
cluster_family(const struct mg_cfg_cluster *c)
{
	for (uint32_t e = 0; e < c->n_endpoints; e++)
		if (c->endpoints[e].address.family != 0)
			return c->endpoints[e].address.family;
	return 0;
}

static void
resolve_cluster_port(struct cfg_ctx *ctx, uint32_t i)
{
	struct mg_config *cfg = ctx->cfg;
	struct mg_cfg_cluster *c = &cfg->clusters[i];
	char path[96], a[MG_IP_STRLEN];
	int found = -1;

	P(path, "clusters[%u].port", i);
	if (!cfg_ok(ctx, path))
		return;
	if (c->port_name[0] != '\0') {
		int idx = mg_config_port_index(cfg, c->port_name);

		if (idx < 0) {
			no_such(ctx, path, REF_PORT, c->port_name);
			return;
		}
		c->port_idx = (uint32_t)idx;
		const struct mg_cfg_port *p = &cfg->ports[idx];

		for (uint32_t e = 0; e < c->n_endpoints; e++) {
			const struct mg_ip *ip = &c->endpoints[e].address;
			const struct mg_ip *gw = ip->family == AF_INET ?
				&p->gateway4 : &p->gateway6;

			if (ip->family == 0 || in_port_subnets(p, ip) ||
			    gw->family != 0)
				continue;
			cfg_error(ctx, P(path, "clusters[%u].endpoints[%u].address",
					 i, e),
				  "%s is off the subnets of port \"%s\", which has "
				  "no %s gateway (expected an address on the port's "
				  "subnets, or a gateway)", mg_ip_format(ip, a, sizeof(a)),
				  p->name, family_name(ip->family));
		}
		return;
	}

	for (uint32_t e = 0; e < c->n_endpoints; e++) {
		const struct mg_ip *ip = &c->endpoints[e].address;
		int idx;

		if (ip->family == 0)
			continue;
		idx = port_of(cfg, ip);
		if (idx < 0) {
			cfg_error(ctx, path, "no port has a subnet holding endpoint "
				  "%s (expected a \"port\" key naming the port that "
				  "reaches the endpoints)", mg_ip_format(ip, a, sizeof(a)));
			return;
		}
		if (found >= 0 && idx != found) {
			cfg_error(ctx, path, "endpoints are on subnets of ports "
				  "\"%s\" and \"%s\" (expected a \"port\" key naming "
				  "the one to use)", cfg->ports[found].name,
				  cfg->ports[idx].name);
			return;
		}
		found = idx;
	}
	if (found >= 0) {
		c->port_idx = (uint32_t)found;
		memcpy(c->port_name, cfg->ports[found].name, sizeof(c->port_name));
	}
}

static const char *const lb_name[] = {
	[MG_LB_MAGLEV] = "maglev",
	[MG_LB_ROUND_ROBIN] = "round_robin",
	[MG_LB_LEAST_REQUEST] = "least_request",
	[MG_LB_RING_HASH] = "ring_hash",
	[MG_LB_RANDOM] = "random",
};

static const char *const hash_name[] = {
	[MG_HASH_CLIENT_ADDRESS] = "client_address",
	[MG_HASH_HEADER] = "header",
	[MG_HASH_COOKIE] = "cookie",
};

/* Keys that only some balancers or health checks read: given to another,
 * they would be ignored, and the file would say what does not happen. */
static void
check_cluster_policy(struct cfg_ctx *ctx, uint32_t i)
{
	const struct mg_cfg_cluster *c = &ctx->cfg->clusters[i];
	static const char *const http_keys[] = { "path", "host", "expected_statuses" };
	char path[96], path2[96];
	bool hashing = c->lb == MG_LB_MAGLEV || c->lb == MG_LB_RING_HASH;

	if (!cfg_ok(ctx, P(path, "clusters[%u].lb", i)))
		return;
	if (c->lb != MG_LB_MAGLEV &&
	    cfg_has(ctx, P(path, "clusters[%u].maglev_table_size", i)) &&
	    cfg_ok(ctx, path))
		cfg_error(ctx, path, "only lb \"maglev\" has a table (expected no "
			  "maglev_table_size with lb \"%s\")", lb_name[c->lb]);
	if (c->lb != MG_LB_RING_HASH &&
	    cfg_has(ctx, P(path, "clusters[%u].ring_size", i)) && cfg_ok(ctx, path))
		cfg_error(ctx, path, "only lb \"ring_hash\" has a ring (expected no "
			  "ring_size with lb \"%s\")", lb_name[c->lb]);

	P(path, "clusters[%u].hash_on", i);
	P(path2, "clusters[%u].hash_key", i);
	if (cfg_ok(ctx, path) && cfg_ok(ctx, path2)) {
		if (c->hash_on != MG_HASH_CLIENT_ADDRESS && !hashing)
			cfg_error(ctx, path, "lb \"%s\" does not hash (expected lb "
				  "\"maglev\" or \"ring_hash\" with hash_on \"%s\")",
				  lb_name[c->lb], hash_name[c->hash_on]);
		else if (c->hash_on != MG_HASH_CLIENT_ADDRESS && c->hash_key[0] == '\0')
			cfg_error(ctx, path, "hash_on \"%s\" needs the name of the "
				  "%s (expected a hash_key)", hash_name[c->hash_on],
				  hash_name[c->hash_on]);
		else if (c->hash_on == MG_HASH_CLIENT_ADDRESS && cfg_has(ctx, path2))
			cfg_error(ctx, path2, "only hash_on \"header\" or \"cookie\" "
				  "reads a hash_key (expected no hash_key with hash_on "
				  "\"client_address\")");
	}

	if (cfg_ok(ctx, P(path, "clusters[%u].outlier_detection", i)) &&
	    c->outlier.base_ejection_ms > c->outlier.max_ejection_ms)
		cfg_error(ctx, P(path, "clusters[%u].outlier_detection.max_ejection_ms", i),
			  "%u is below base_ejection_ms %u (expected base_ejection_ms "
			  "<= max_ejection_ms)", c->outlier.max_ejection_ms,
			  c->outlier.base_ejection_ms);

	if (c->health.type == MG_HEALTH_HTTP ||
	    !cfg_ok(ctx, P(path, "clusters[%u].health_check.type", i)))
		return;
	for (unsigned k = 0; k < sizeof(http_keys) / sizeof(http_keys[0]); k++)
		if (cfg_has(ctx, P(path, "clusters[%u].health_check.%s", i,
				   http_keys[k])))
			cfg_error(ctx, path, "only a health check of type \"http\" "
				  "reads %s (expected type = \"http\", or no %s)",
				  http_keys[k], http_keys[k]);
}

static void
check_clusters(struct cfg_ctx *ctx)
{
	struct mg_config *cfg = ctx->cfg;
	char path[96], path2[96], a[MG_IP_STRLEN + 8];

	for (uint32_t i = 0; i < cfg->n_clusters; i++) {
		struct mg_cfg_cluster *c = &cfg->clusters[i];
		const struct mg_cfg_health *h = &c->health;
		int family = cluster_family(c), first = -1;

		for (uint32_t j = 0; j < i; j++)
			if (c->name[0] != '\0' &&
			    strcmp(c->name, cfg->clusters[j].name) == 0)
				cfg_error(ctx, P(path, "clusters[%u].name", i),
					  "\"%s\" is already the name of clusters[%u] "
					  "(expected unique names)", c->name, j);

		for (uint32_t e = 0; e < c->n_endpoints; e++) {
			const struct mg_cfg_endpoint *ep = &c->endpoints[e];
			int owner;

			if (ep->address.family == 0)
				continue;
			if (first < 0)
				first = (int)e;
			P(path, "clusters[%u].endpoints[%u].address", i, e);
			if (ep->address.family != family) {
				cfg_error(ctx, path, "%s is %s but endpoints[%d] is "
					  "%s (expected one address family per "
					  "cluster)", mg_ip_format(&ep->address, a, sizeof(a)),
					  family_name(ep->address.family), first,
					  family_name(family));
				continue;
			}
			owner = owner_of(cfg, &ep->address, false);
			if (owner < 0)
				owner = owner_of(cfg, &ep->address, true);
			if (owner >= 0) {
				cfg_error(ctx, path, "%s is an address of port \"%s\" "
					  "(expected the address of a backend)",
					  mg_ip_format(&ep->address, a, sizeof(a)),
					  cfg->ports[owner].name);
				continue;
			}
			for (uint32_t f = 0; f < e; f++)
				if (c->endpoints[f].port == ep->port && ep->port != 0 &&
				    mg_ip_eq(&c->endpoints[f].address, &ep->address)) {
					cfg_error(ctx, P(path2, "clusters[%u].endpoints[%u]",
							 i, e),
						  "%s is listed twice, first as "
						  "endpoints[%u] (expected each endpoint "
						  "once)", fmt_ip_port(&ep->address,
						  ep->port, a, sizeof(a)), f);
					break;
				}
		}

		resolve_cluster_port(ctx, i);
		check_cluster_policy(ctx, i);
		cfg_check_cluster_tls(ctx, i);

		if (cfg_ok(ctx, P(path, "clusters[%u].health_check.interval_ms", i)) &&
		    cfg_ok(ctx, P(path2, "clusters[%u].health_check.timeout_ms", i)) &&
		    h->timeout_ms >= h->interval_ms)
			cfg_error(ctx, path2, "%u is not less than interval_ms %u "
				  "(expected timeout_ms < interval_ms)",
				  h->timeout_ms, h->interval_ms);
	}
}

static const char *const mode_name[] = {
	[MG_MODE_TCP] = "tcp",
	[MG_MODE_UDP] = "udp",
	[MG_MODE_SERVICE] = "service",
	[MG_MODE_HTTP] = "http",
	[MG_MODE_HTTPS] = "https",
};

/* What was said about a cluster already, once for all its listeners. */
#define REPORTED_LB	0x1
#define REPORTED_TLS	0x2

/*
 * What serves listener I: a cluster (modes tcp, udp), a built-in service,
 * or routes (modes http and https, checked with the routes). Returns the
 * index of its cluster, or a negative number when it has none.
 */
static int
check_listener_serving(struct cfg_ctx *ctx, uint32_t i, unsigned *reported)
{
	struct mg_config *cfg = ctx->cfg;
	struct mg_cfg_listener *l = &cfg->listeners[i];
	bool http = mg_listener_mode_is_http(l->mode);
	bool terminated = l->mode == MG_MODE_SERVICE || http;
	const char *mode = mode_name[l->mode];
	char path[96];
	int idx;

	P(path, "listeners[%u].cluster", i);
	idx = l->cluster_name[0] != '\0' ?
		mg_config_cluster_index(cfg, l->cluster_name) : -2;
	if (terminated && l->cluster_name[0] != '\0')
		cfg_error(ctx, path, "a listener in mode \"%s\" has no cluster "
			  "(expected no cluster key%s)", mode,
			  http ? "; routes choose clusters" : "");
	if (terminated)
		idx = -2;
	if (l->mode == MG_MODE_SERVICE) {
		if (l->service[0] == '\0' &&
		    cfg_ok(ctx, P(path, "listeners[%u].service", i)))
			cfg_error(ctx, path, "missing required key (expected "
				  "echo, discard, source or http with mode \"service\")");
	} else if (l->service[0] != '\0') {
		cfg_error(ctx, P(path, "listeners[%u].service", i),
			  "only a listener in mode \"service\" has a service "
			  "(expected no service key in mode \"%s\")", mode);
	} else if (!terminated && idx == -2 && cfg_ok(ctx, path)) {
		cfg_error(ctx, path, "missing required key (expected the "
			  "name of a cluster in mode \"%s\")", mode);
	}
	if (idx == -1)
		no_such(ctx, path, REF_CLUSTER, l->cluster_name);
	else if (idx >= 0)
		l->cluster_idx = (uint32_t)idx;

	/* The L4 path balances with Maglev alone, and does not speak TLS. */
	if (idx >= 0 && cfg->clusters[idx].lb != MG_LB_MAGLEV &&
	    !(reported[idx] & REPORTED_LB) &&
	    cfg_ok(ctx, P(path, "clusters[%d].lb", idx))) {
		cfg_error(ctx, path, "lb \"%s\" cannot serve listener \"%s\" of "
			  "mode \"%s\" (expected \"maglev\": the L4 path "
			  "balances with Maglev only)",
			  lb_name[cfg->clusters[idx].lb], l->name, mode);
		reported[idx] |= REPORTED_LB;
	}
	if (idx >= 0 && cfg->clusters[idx].tls.enabled &&
	    !(reported[idx] & REPORTED_TLS)) {
		cfg_error(ctx, P(path, "listeners[%u].cluster", i), "cluster "
			  "\"%s\" has TLS to its endpoints, which listener \"%s\" "
			  "of mode \"%s\" cannot use (expected a cluster without "
			  "tls: the L4 path passes the client's bytes as they are)",
			  l->cluster_name, l->name, mode);
		reported[idx] |= REPORTED_TLS;
	}

	/* Groups that the mode would ignore, or needs. */
	if (!cfg_ok(ctx, P(path, "listeners[%u].mode", i)))
		return idx;
	if (!http && cfg_has(ctx, P(path, "listeners[%u].http", i)))
		cfg_error(ctx, path, "only listeners in modes \"http\" and "
			  "\"https\" have http settings (expected no http group "
			  "in mode \"%s\")", mode);
	if (!terminated && cfg_has(ctx, P(path, "listeners[%u].tcp", i)))
		cfg_error(ctx, path, "only listeners in modes \"service\", "
			  "\"http\" and \"https\" terminate TCP (expected no tcp "
			  "group in mode \"%s\")", mode);
	P(path, "listeners[%u].tls", i);
	if (l->mode == MG_MODE_HTTPS && !cfg_has(ctx, path))
		cfg_error(ctx, path, "missing required key (expected a tls group "
			  "with mode \"https\")");
	else if (l->mode == MG_MODE_HTTPS)
		cfg_check_listener_tls(ctx, i);
	else if (cfg_has(ctx, path))
		cfg_error(ctx, path, "only a listener in mode \"https\" has tls "
			  "settings (expected no tls group in mode \"%s\")", mode);
	return idx;
}

static void
check_listeners(struct cfg_ctx *ctx)
{
	struct mg_config *cfg = ctx->cfg;
	char path[96], a[MG_IP_STRLEN + 8];
	unsigned reported[MG_MAX_CLUSTERS] = { 0 };

	for (uint32_t i = 0; i < cfg->n_listeners; i++) {
		struct mg_cfg_listener *l = &cfg->listeners[i];
		const struct mg_ip *vip = &l->address;
		int idx, owner;

		for (uint32_t j = 0; j < i; j++)
			if (l->name[0] != '\0' &&
			    strcmp(l->name, cfg->listeners[j].name) == 0)
				cfg_error(ctx, P(path, "listeners[%u].name", i),
					  "\"%s\" is already the name of listeners[%u] "
					  "(expected unique names)", l->name, j);

		idx = check_listener_serving(ctx, i, reported);

		if (vip->family == 0)
			continue;

		/* The VIP against addresses the ports own. */
		P(path, "listeners[%u].address", i);
		mg_ip_format(vip, a, sizeof(a));
		if ((owner = owner_of(cfg, vip, false)) >= 0) {
			cfg_error(ctx, path, "%s is an address of port \"%s\" "
				  "(expected a VIP that no port owns)", a,
				  cfg->ports[owner].name);
			continue;
		}
		if ((owner = owner_of(cfg, vip, true)) >= 0) {
			cfg_error(ctx, path, "%s is a SNAT address of port \"%s\" "
				  "(expected a VIP that no port owns)", a,
				  cfg->ports[owner].name);
			continue;
		}

		/* The family of the endpoints behind it. */
		if (idx >= 0) {
			int family = cluster_family(&cfg->clusters[idx]);

			if (family != 0 && family != vip->family) {
				cfg_error(ctx, path, "%s is %s but cluster \"%s\" "
					  "has %s endpoints (expected an %s VIP)", a,
					  family_name(vip->family), l->cluster_name,
					  family_name(family), family_name(family));
				continue;
			}
		}

		/* One listener per address, port and protocol. */
		for (uint32_t j = 0; j < i; j++) {
			const struct mg_cfg_listener *o = &cfg->listeners[j];

			if ((o->mode == MG_MODE_UDP) != (l->mode == MG_MODE_UDP) ||
			    o->listen_port != l->listen_port ||
			    l->listen_port == 0 || !mg_ip_eq(&o->address, vip))
				continue;
			cfg_error(ctx, path, "%s/%s is already used by listeners[%u] "
				  "\"%s\" (expected a unique address, port and protocol)",
				  fmt_ip_port(vip, l->listen_port, a, sizeof(a)),
				  l->mode == MG_MODE_UDP ? "udp" : "tcp", j, o->name);
			break;
		}

		/* The port it is on. */
		P(path, "listeners[%u].port", i);
		if (!cfg_ok(ctx, path))
			continue;
		if (l->port_name[0] != '\0') {
			idx = mg_config_port_index(cfg, l->port_name);
			if (idx < 0) {
				no_such(ctx, path, REF_PORT, l->port_name);
				continue;
			}
		} else {
			idx = port_of(cfg, vip);
			if (idx < 0) {
				cfg_error(ctx, path, "no port has a subnet holding "
					  "the VIP %s (expected a \"port\" key naming "
					  "the port it is on)", mg_ip_format(vip, a, sizeof(a)));
				continue;
			}
			memcpy(l->port_name, cfg->ports[idx].name,
			       sizeof(l->port_name));
		}
		l->port_idx = (uint32_t)idx;
		if (cfg_ok(ctx, P(path, "ports[%d].addresses", idx)) &&
		    !port_has_family(&cfg->ports[idx], vip->family))
			cfg_error(ctx, P(path, "listeners[%u].address", i),
				  "%s is %s but port \"%s\" has no %s address "
				  "(expected an %s address on the port)",
				  mg_ip_format(vip, a, sizeof(a)), family_name(vip->family),
				  l->port_name, family_name(vip->family),
				  family_name(vip->family));
	}
}

static void
check_impairments(struct cfg_ctx *ctx)
{
	struct mg_config *cfg = ctx->cfg;
	char path[96];

	for (uint32_t i = 0; i < cfg->n_impairments; i++) {
		struct mg_cfg_impairment *im = &cfg->impairments[i];
		int idx;

		if (im->port_name[0] == '\0')
			continue;
		P(path, "impairment[%u].port", i);
		idx = mg_config_port_index(cfg, im->port_name);
		if (idx < 0) {
			no_such(ctx, path, REF_PORT, im->port_name);
			continue;
		}
		im->port_idx = (uint32_t)idx;
		for (uint32_t j = 0; j < i; j++)
			if (strcmp(cfg->impairments[j].port_name, im->port_name) == 0) {
				cfg_error(ctx, path, "port \"%s\" is already impaired "
					  "by impairment[%u] (expected one entry per "
					  "port)", im->port_name, j);
				break;
			}
	}
}

/* The actions of a route, of which it has exactly one. */
static const char *const action_keys[] = {
	"cluster", "split", "direct_response", "redirect",
};
#define N_ACTIONS (sizeof(action_keys) / sizeof(action_keys[0]))

/* Keys that only a route that proxies reads. */
static const char *const proxy_keys[] = {
	"prefix_rewrite", "path_rewrite", "host_rewrite", "request_headers",
	"timeout_ms",
};

/* Headers that the proxy itself owns: framing and hop-by-hop. */
static const char *const owned_headers[] = {
	"connection", "content-length", "keep-alive", "proxy-connection", "te",
	"trailer", "transfer-encoding", "upgrade",
};

struct route_name {
	const char *name;
	uint32_t idx;
};

static int
route_name_cmp(const void *a, const void *b)
{
	const struct route_name *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c != 0 ? c : x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Unique names, found by sorting: there may be thousands of routes. */
static void
check_route_names(struct cfg_ctx *ctx)
{
	const struct mg_config *cfg = ctx->cfg;
	struct route_name *v;
	char path[64];

	if (cfg->n_routes < 2)
		return;
	v = malloc(cfg->n_routes * sizeof(*v));
	if (v == NULL) {
		cfg_error(ctx, "routes", "out of memory checking %u names "
			  "(expected fewer routes)", cfg->n_routes);
		return;
	}
	for (uint32_t i = 0; i < cfg->n_routes; i++)
		v[i] = (struct route_name){ cfg->routes[i].name, i };
	qsort(v, cfg->n_routes, sizeof(*v), route_name_cmp);
	for (uint32_t i = 1, first = 0; i < cfg->n_routes; i++) {
		if (strcmp(v[i].name, v[first].name) != 0) {
			first = i;
			continue;
		}
		if (v[i].name[0] != '\0')
			cfg_error(ctx, P(path, "routes[%u].name", v[i].idx),
				  "\"%s\" is already the name of routes[%u] "
				  "(expected unique names)", v[i].name, v[first].idx);
	}
	free(v);
}

/* The listeners of route I, as a mask of listener indexes. */
static uint64_t
route_listeners(struct cfg_ctx *ctx, uint32_t i, uint64_t http_mask)
{
	const struct mg_config *cfg = ctx->cfg;
	const struct mg_cfg_route *r = &cfg->routes[i];
	uint64_t mask = 0;
	char path[96];

	if (r->n_listeners == 0)
		return http_mask;
	for (uint32_t j = 0; j < r->n_listeners; j++) {
		const char *name = r->listeners[j];
		int idx;

		if (name[0] == '\0')
			continue;
		P(path, "routes[%u].listeners[%u]", i, j);
		idx = mg_config_listener_index(cfg, name);
		if (idx < 0) {
			no_such(ctx, path, REF_LISTENER, name);
			continue;
		}
		if (mask & (1ull << idx)) {
			cfg_error(ctx, path, "\"%s\" is listed twice (expected each "
				  "listener once)", name);
			continue;
		}
		if (!mg_listener_mode_is_http(cfg->listeners[idx].mode) &&
		    cfg_ok(ctx, P(path, "listeners[%d].mode", idx))) {
			cfg_error(ctx, P(path, "routes[%u].listeners[%u]", i, j),
				  "listener \"%s\" is in mode \"%s\" (expected a "
				  "listener in mode \"http\" or \"https\")", name,
				  mode_name[cfg->listeners[idx].mode]);
			continue;
		}
		mask |= 1ull << idx;
	}
	return mask;
}

/* The cluster at PATH by name; its index, or -1. */
static int
route_cluster(struct cfg_ctx *ctx, const char *path, const char *name)
{
	int idx = mg_config_cluster_index(ctx->cfg, name);

	if (idx < 0)
		no_such(ctx, path, REF_CLUSTER, name);
	return idx;
}

static void
check_splits(struct cfg_ctx *ctx, uint32_t i)
{
	struct mg_cfg_route *r = &ctx->cfg->routes[i];
	uint64_t sum = 0;
	char path[96];

	for (uint32_t s = 0; s < r->n_splits; s++) {
		struct mg_cfg_split *sp = &r->splits[s];
		int idx;

		sum += sp->weight;
		if (sp->cluster_name[0] == '\0')
			continue;
		P(path, "routes[%u].split[%u].cluster", i, s);
		if ((idx = route_cluster(ctx, path, sp->cluster_name)) < 0)
			continue;
		sp->cluster_idx = (uint32_t)idx;
		for (uint32_t t = 0; t < s; t++)
			if (strcmp(r->splits[t].cluster_name, sp->cluster_name) == 0) {
				cfg_error(ctx, path, "cluster \"%s\" is already "
					  "split[%u] (expected each cluster once)",
					  sp->cluster_name, t);
				break;
			}
	}
	if (sum == 0 && cfg_ok(ctx, P(path, "routes[%u].split", i)))
		cfg_error(ctx, path, "all weights are 0 (expected at least one "
			  "weight above 0)");
}

/* Exactly one action; the keys that only proxying reads. */
static void
check_route_action(struct cfg_ctx *ctx, uint32_t i)
{
	struct mg_cfg_route *r = &ctx->cfg->routes[i];
	const char *action = NULL;
	char path[96];
	int idx;

	for (unsigned a = 0; a < N_ACTIONS; a++) {
		if (!cfg_has(ctx, P(path, "routes[%u].%s", i, action_keys[a])))
			continue;
		if (action != NULL) {
			cfg_error(ctx, path, "the route already has %s (expected "
				  "one action: cluster, split, direct_response or "
				  "redirect)", action);
			return;
		}
		action = action_keys[a];
	}
	if (action == NULL) {
		/* Quiet after an error in the route: it may be the action. */
		if (cfg_ok(ctx, P(path, "routes[%u]", i)))
			cfg_error(ctx, path, "no action (expected one of cluster, "
				  "split, direct_response or redirect)");
		return;
	}

	if (r->cluster_name[0] != '\0') {
		idx = route_cluster(ctx, P(path, "routes[%u].cluster", i),
				    r->cluster_name);
		if (idx >= 0)
			r->cluster_idx = (uint32_t)idx;
	}
	if (r->n_splits > 0)
		check_splits(ctx, i);
	if (r->redirect.status != 0) {
		uint32_t st = r->redirect.status;
		uint32_t vars = cfg_template_vars(r->redirect.location);

		if (st != 301 && st != 302 && st != 303 && st != 307 && st != 308)
			cfg_error(ctx, P(path, "routes[%u].redirect.status", i),
				  "%u is not a redirect status (expected 301, 302, "
				  "303, 307 or 308)", st);
		if (vars & (1u << MG_HTTP_VAR_cluster |
			    1u << MG_HTTP_VAR_upstream_address))
			cfg_error(ctx, P(path, "routes[%u].redirect.location", i),
				  "a redirect goes to no cluster (expected no "
				  "%%{cluster} or %%{upstream_address} in it)");
	}

	if (strcmp(action, "cluster") == 0 || strcmp(action, "split") == 0)
		return;
	for (unsigned k = 0; k < sizeof(proxy_keys) / sizeof(proxy_keys[0]); k++)
		if (cfg_has(ctx, P(path, "routes[%u].%s", i, proxy_keys[k])))
			cfg_error(ctx, path, "only a route that proxies has %s "
				  "(expected cluster or split with it, not %s)",
				  proxy_keys[k], action);
}

/* Strings of a list (N of SIZE bytes from FIRST) each at most once. */
static void
check_unique(struct cfg_ctx *ctx, uint32_t i, const char *key,
	     const char *kind, const char *first, size_t size, uint32_t n)
{
	char path[96];

	for (uint32_t a = 1; a < n; a++) {
		const char *s = first + a * size;

		for (uint32_t b = 0; b < a && s[0] != '\0'; b++)
			if (strcmp(first + b * size, s) == 0) {
				cfg_error(ctx, P(path, "routes[%u].match.%s[%u]", i,
						 key, a),
					  "\"%s\" is already %s[%u] (expected each "
					  "%s once)", s, key, b, kind);
				break;
			}
	}
}

/* Hosts are stored in lower case, the form the gateway looks them up in. */
static void
check_route_hosts(struct cfg_ctx *ctx, uint32_t i)
{
	struct mg_cfg_route *r = &ctx->cfg->routes[i];

	for (uint32_t h = 0; h < r->n_hosts; h++)
		for (char *c = r->hosts[h]; *c != '\0'; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
	check_unique(ctx, i, "hosts", "host", r->hosts[0], sizeof(r->hosts[0]),
		     r->n_hosts);
	check_unique(ctx, i, "methods", "method", r->methods[0],
		     sizeof(r->methods[0]), r->n_methods);
}

static void
check_route_path(struct cfg_ctx *ctx, uint32_t i)
{
	struct mg_cfg_route *r = &ctx->cfg->routes[i];
	char path[96], type_path[96], q[128], buf[384];
	const char *problem;

	P(path, "routes[%u].match.path", i);
	P(type_path, "routes[%u].match.path_type", i);
	if (!cfg_ok(ctx, path) || !cfg_ok(ctx, type_path))
		return;
	if (!cfg_has(ctx, path)) {
		if (r->path_type != MG_PATH_ANY)
			cfg_error(ctx, type_path, "a path_type without a path "
				  "(expected a path to match)");
		return;
	}
	if (r->path_type == MG_PATH_ANY)
		r->path_type = MG_PATH_PREFIX;
	problem = r->path_type == MG_PATH_REGEX ?
		cfg_regex_problem(r->path, buf, sizeof(buf)) :
		cfg_path_problem(r->path, false);
	if (problem != NULL)
		cfg_error(ctx, path, "%s %s", cfg_quote(r->path, q, sizeof(q)),
			  problem);
}

/* Conditions on headers (KIND "headers") or query parameters ("query"). */
static void
check_route_kv(struct cfg_ctx *ctx, uint32_t i, const char *kind,
	       const struct mg_cfg_kv_match *kv, uint32_t n)
{
	char path[128], q[128], buf[384];
	const char *problem;

	for (uint32_t j = 0; j < n; j++, kv++) {
		bool has_value;

		P(path, "routes[%u].match.%s[%u].type", i, kind, j);
		if (!cfg_ok(ctx, path))
			continue;
		P(path, "routes[%u].match.%s[%u].value", i, kind, j);
		has_value = cfg_has(ctx, path);
		if (kv->type == MG_VALUE_PRESENT && has_value)
			cfg_error(ctx, path, "a condition of type \"present\" "
				  "has no value (expected no value, or type "
				  "\"exact\")");
		else if (kv->type != MG_VALUE_PRESENT && !has_value)
			cfg_error(ctx, path, "missing required key (expected a "
				  "value with type \"%s\", or type \"present\")",
				  kv->type == MG_VALUE_REGEX ? "regex" : "exact");
		else if (kv->type == MG_VALUE_REGEX && cfg_ok(ctx, path) &&
			 (problem = cfg_regex_problem(kv->value, buf,
						      sizeof(buf))) != NULL)
			cfg_error(ctx, path, "%s %s",
				  cfg_quote(kv->value, q, sizeof(q)), problem);
	}
}

/* One side's header changes: no header the proxy owns, no Host (that is
 * host_rewrite). */
static void
check_header_ops(struct cfg_ctx *ctx, uint32_t i, const char *side,
		 const struct mg_cfg_header_ops *ops)
{
	static const char *const kinds[] = { "add", "set", "remove" };
	bool request = strcmp(side, "request_headers") == 0;
	char path[128];

	for (unsigned k = 0; k < 3; k++) {
		uint32_t n = k == 0 ? ops->n_add : k == 1 ? ops->n_set : ops->n_remove;

		for (uint32_t j = 0; j < n; j++) {
			const char *name = k == 0 ? ops->add[j].name :
				k == 1 ? ops->set[j].name : ops->remove[j];
			bool owned = request && strcasecmp(name, "host") == 0;

			for (unsigned o = 0; o < sizeof(owned_headers) /
			     sizeof(owned_headers[0]); o++)
				owned |= strcasecmp(name, owned_headers[o]) == 0;
			if (!owned)
				continue;
			if (k == 2)
				P(path, "routes[%u].%s.remove[%u]", i, side, j);
			else
				P(path, "routes[%u].%s.%s[%u].name", i, side,
				  kinds[k], j);
			cfg_error(ctx, path, "\"%s\" is the proxy's own to %s "
				  "(expected another header%s)", name,
				  k == 2 ? "remove" : "set",
				  strcasecmp(name, "host") == 0 ?
				  "; host_rewrite changes Host" : "");
		}
	}
}

static void
check_route_rewrites(struct cfg_ctx *ctx, uint32_t i)
{
	const struct mg_cfg_route *r = &ctx->cfg->routes[i];
	char path[96];

	if (r->prefix_rewrite[0] != '\0' && r->path_rewrite[0] != '\0')
		cfg_error(ctx, P(path, "routes[%u].path_rewrite", i),
			  "the route has a prefix_rewrite already (expected "
			  "either prefix_rewrite or path_rewrite)");
	else if (r->prefix_rewrite[0] != '\0' && r->path_type != MG_PATH_PREFIX &&
		 cfg_ok(ctx, P(path, "routes[%u].match", i)) &&
		 cfg_ok(ctx, P(path, "routes[%u].prefix_rewrite", i)))
		cfg_error(ctx, path, "there is no matched prefix to replace "
			  "(expected path_type \"prefix\" with a path)");
	check_header_ops(ctx, i, "request_headers", &r->request_headers);
	check_header_ops(ctx, i, "response_headers", &r->response_headers);
}

static void
check_routes(struct cfg_ctx *ctx)
{
	struct mg_config *cfg = ctx->cfg;
	uint64_t http_mask = 0, served = 0;
	char path[64];

	for (uint32_t l = 0; l < cfg->n_listeners; l++)
		if (mg_listener_mode_is_http(cfg->listeners[l].mode))
			http_mask |= 1ull << l;
	if (cfg->n_routes > 0 && http_mask == 0 && cfg_ok(ctx, "listeners"))
		cfg_error(ctx, "routes", "%u route%s but no listener in mode "
			  "\"http\" or \"https\" (expected an http or https "
			  "listener for them)",
			  cfg->n_routes, cfg->n_routes == 1 ? "" : "s");

	check_route_names(ctx);
	for (uint32_t i = 0; i < cfg->n_routes; i++) {
		struct mg_cfg_route *r = &cfg->routes[i];

		r->listener_mask = route_listeners(ctx, i, http_mask);
		served |= r->listener_mask;
		check_route_action(ctx, i);
		check_route_hosts(ctx, i);
		check_route_path(ctx, i);
		check_route_kv(ctx, i, "headers", r->headers, r->n_headers);
		check_route_kv(ctx, i, "query", r->query, r->n_query);
		check_route_rewrites(ctx, i);
		cfg_check_route_tls(ctx, i);
	}

	/* A listener no route serves would answer 404 to everything. */
	if (!cfg_ok(ctx, "routes"))
		return;
	for (uint32_t l = 0; l < cfg->n_listeners; l++)
		if ((http_mask & ~served) & (1ull << l))
			cfg_error(ctx, P(path, "listeners[%u]", l), "no route "
				  "serves listener \"%s\" (expected a route that "
				  "lists it, or one without listeners)",
				  cfg->listeners[l].name);
}

static int
waf_index(const struct mg_config *cfg, const char *name)
{
	for (uint32_t i = 0; i < cfg->n_waf; i++)
		if (strcmp(cfg->waf[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* s can stand between double quotes in the SecLang the gateway writes
 * for lib/waf (SecRuleRemoveByTag "s"): a quote or a newline would end
 * the directive early and start another */
static bool
seclang_quotable(const char *s)
{
	for (; *s; s++)
		if (*s == '"' || (unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* WAF policies: unique names, rule ids and "ID:TARGET" that parse; the
 * listeners' and routes' references resolved (the files themselves are
 * read, and their errors reported, by lib/waf at start). */
static void
check_waf(struct cfg_ctx *ctx)
{
	struct mg_config *cfg = ctx->cfg;
	char path[96];

	for (uint32_t i = 0; i < cfg->n_waf; i++) {
		const struct mg_cfg_waf *w = &cfg->waf[i];

		for (uint32_t j = 0; j < i; j++)
			if (strcmp(cfg->waf[j].name, w->name) == 0)
				cfg_error(ctx, P(path, "waf[%u].name", i),
					  "\"%s\" is also waf[%u] (expected a unique name)",
					  w->name, j);
		if (w->rules_dir[0] == '\0')
			cfg_error(ctx, P(path, "waf[%u].rules_dir", i),
				  "empty (expected the directory of the rules)");
		for (uint32_t k = 0; k < w->n_remove_ids; k++) {
			unsigned long a, b;
			char tail;
			int n = sscanf(w->remove_ids[k], "%lu-%lu%c", &a, &b, &tail);

			if (!(n == 1 || n == 2) || (n == 2 && b < a) ||
			    a > UINT32_MAX || (n == 2 && b > UINT32_MAX) ||
			    strspn(w->remove_ids[k], "0123456789-") !=
			    strlen(w->remove_ids[k]))
				cfg_error(ctx, P(path, "waf[%u].remove_ids[%u]", i, k),
					  "\"%s\" (expected a rule id or a range "
					  "\"FIRST-LAST\")", w->remove_ids[k]);
		}
		for (uint32_t k = 0; k < w->n_remove_tags; k++)
			if (!seclang_quotable(w->remove_tags[k]))
				cfg_error(ctx, P(path, "waf[%u].remove_tags[%u]", i, k),
					  "has a '\"' or a control character "
					  "(expected a rule tag)");
		for (uint32_t k = 0; k < w->n_exclude_targets; k++) {
			const char *t = w->exclude_targets[k];
			const char *colon = strchr(t, ':');

			if (!seclang_quotable(t))
				cfg_error(ctx, P(path, "waf[%u].exclude_targets[%u]", i, k),
					  "has a '\"' or a control character "
					  "(expected \"ID:TARGET\")");

			if (colon == NULL || colon == t || colon[1] == '\0' ||
			    strspn(t, "0123456789") != (size_t)(colon - t))
				cfg_error(ctx, P(path, "waf[%u].exclude_targets[%u]", i, k),
					  "\"%s\" (expected \"ID:TARGET\", e.g. "
					  "\"942100:ARGS:password\")", t);
		}
		for (uint32_t k = 0; k < w->n_exclude_targets_by_tag; k++) {
			const char *t = w->exclude_targets_by_tag[k];
			const char *colon = strchr(t, ':');

			if (!seclang_quotable(t))
				cfg_error(ctx, P(path, "waf[%u].exclude_targets_by_tag[%u]",
						 i, k),
					  "has a '\"' or a control character "
					  "(expected \"TAG:TARGET\")");

			/* the tag up to the first colon: CRS tags have none */
			if (colon == NULL || colon == t || colon[1] == '\0' ||
			    (size_t)(colon - t) >= MG_CFG_WAF_TAG_MAX)
				cfg_error(ctx, P(path, "waf[%u].exclude_targets_by_tag[%u]",
						 i, k),
					  "\"%s\" (expected \"TAG:TARGET\", e.g. "
					  "\"attack-sqli:ARGS:password\")", t);
		}
	}
	for (uint32_t l = 0; l < cfg->n_listeners; l++) {
		struct mg_cfg_listener *cl = &cfg->listeners[l];

		cl->waf_idx = -1;
		if (cl->waf[0] == '\0')
			continue;
		P(path, "listeners[%u].waf", l);
		if (!mg_listener_mode_is_http(cl->mode))
			cfg_error(ctx, path, "only modes http and https have a WAF");
		else if ((cl->waf_idx = waf_index(cfg, cl->waf)) < 0)
			no_such(ctx, path, REF_WAF, cl->waf);
	}
	for (uint32_t r = 0; r < cfg->n_routes; r++) {
		struct mg_cfg_route *cr = &cfg->routes[r];

		cr->waf_idx = MG_CFG_WAF_INHERIT;
		if (cr->waf[0] == '\0')
			continue;
		if (strcmp(cr->waf, "off") == 0)
			cr->waf_idx = -1;
		else if ((cr->waf_idx = waf_index(cfg, cr->waf)) < 0)
			no_such(ctx, P(path, "routes[%u].waf", r), REF_WAF, cr->waf);
	}
}

void
cfg_check(struct cfg_ctx *ctx)
{
	check_dataplane(ctx);
	check_ports(ctx);
	check_clusters(ctx);
	check_listeners(ctx);
	check_routes(ctx);
	check_waf(ctx);
	check_impairments(ctx);
}
