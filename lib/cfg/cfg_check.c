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

#include "cfg_internal.h"

/* Format a key path into buf and give it back, for cfg_error(). */
#define P(buf, ...) (snprintf((buf), sizeof(buf), __VA_ARGS__), (buf))

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

static const char *
port_names(const struct mg_config *cfg, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (uint32_t i = 0; i < cfg->n_ports && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "",
				      cfg->ports[i].name);
	return buf;
}

static const char *
cluster_names(const struct mg_config *cfg, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (uint32_t i = 0; i < cfg->n_clusters && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "",
				      cfg->clusters[i].name);
	return buf;
}

/* A reference to a missing name. Quiet when a name of that section failed
 * to load (it is empty then): it may have been the one meant. */
static void
no_such(struct cfg_ctx *ctx, const char *path, const char *section,
	const char *kind, const char *name, const char *choices)
{
	const struct mg_config *cfg = ctx->cfg;
	bool ports = strcmp(section, "ports") == 0;
	uint32_t n = ports ? cfg->n_ports : cfg->n_clusters;

	if (n == 0 && !cfg_ok(ctx, section))
		return;
	for (uint32_t i = 0; i < n; i++)
		if ((ports ? cfg->ports[i].name : cfg->clusters[i].name)[0] == '\0')
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
	char path[96], a[MG_IP_STRLEN], names[256];
	int found = -1;

	P(path, "clusters[%u].port", i);
	if (!cfg_ok(ctx, path))
		return;
	if (c->port_name[0] != '\0') {
		int idx = mg_config_port_index(cfg, c->port_name);

		if (idx < 0) {
			no_such(ctx, path, "ports", "port", c->port_name,
				port_names(cfg, names, sizeof(names)));
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

		if (cfg_ok(ctx, P(path, "clusters[%u].health_check.interval_ms", i)) &&
		    cfg_ok(ctx, P(path2, "clusters[%u].health_check.timeout_ms", i)) &&
		    h->timeout_ms >= h->interval_ms)
			cfg_error(ctx, path2, "%u is not less than interval_ms %u "
				  "(expected timeout_ms < interval_ms)",
				  h->timeout_ms, h->interval_ms);
	}
}

static void
check_listeners(struct cfg_ctx *ctx)
{
	struct mg_config *cfg = ctx->cfg;
	char path[96], names[256], a[MG_IP_STRLEN + 8];
	static const char *const mode_name[] = { "tcp", "udp", "service" };

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

		/* The cluster (L4 modes) or the service (terminated TCP). */
		P(path, "listeners[%u].cluster", i);
		idx = l->cluster_name[0] != '\0' ?
			mg_config_cluster_index(cfg, l->cluster_name) : -2;
		if (l->mode == MG_MODE_SERVICE) {
			if (l->cluster_name[0] != '\0')
				cfg_error(ctx, path, "a listener in mode \"service\" "
					  "has no cluster (expected no cluster key)");
			if (l->service[0] == '\0' &&
			    cfg_ok(ctx, P(path, "listeners[%u].service", i)))
				cfg_error(ctx, path, "missing required key (expected "
					  "echo, discard, source or http with mode \"service\")");
			idx = -2;
		} else if (l->service[0] != '\0') {
			cfg_error(ctx, P(path, "listeners[%u].service", i),
				  "only a listener in mode \"service\" has a service "
				  "(expected no service key in mode \"%s\")",
				  mode_name[l->mode]);
		} else if (idx == -2 && cfg_ok(ctx, path)) {
			cfg_error(ctx, path, "missing required key (expected the "
				  "name of a cluster in mode \"%s\")", mode_name[l->mode]);
		}
		if (idx == -1)
			no_such(ctx, path, "clusters", "cluster",
				l->cluster_name,
				cluster_names(cfg, names, sizeof(names)));
		else if (idx >= 0)
			l->cluster_idx = (uint32_t)idx;

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
				no_such(ctx, path, "ports", "port", l->port_name,
					port_names(cfg, names, sizeof(names)));
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
	char path[96], names[256];

	for (uint32_t i = 0; i < cfg->n_impairments; i++) {
		struct mg_cfg_impairment *im = &cfg->impairments[i];
		int idx;

		if (im->port_name[0] == '\0')
			continue;
		P(path, "impairment[%u].port", i);
		idx = mg_config_port_index(cfg, im->port_name);
		if (idx < 0) {
			no_such(ctx, path, "ports", "port", im->port_name,
				port_names(cfg, names, sizeof(names)));
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

void
cfg_check(struct cfg_ctx *ctx)
{
	check_dataplane(ctx);
	check_ports(ctx);
	check_clusters(ctx);
	check_listeners(ctx);
	check_impairments(ctx);
}
