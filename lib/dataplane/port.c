/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ports: one RX/TX queue pair per worker on every port, RSS with a
 * symmetric key where the device has it, checksum offloads where the device
 * has them (software otherwise), the configured MTU, and the link state
 * reported at start.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>

#include "dp_internal.h"

/* A repeated 0x6d5a key makes the Toeplitz hash symmetric: both directions
 * of a connection land on the same queue. */
static uint8_t symmetric_rss_key[52];

static int
find_port_id(const struct mg_cfg_port *p, uint16_t *port_id)
{
	char name[MG_DEVICE_MAX];
	const char *comma = strchr(p->device, ',');
	size_t len = comma ? (size_t)(comma - p->device) : strlen(p->device);

	snprintf(name, sizeof(name), "%.*s", (int)len, p->device);
	return rte_eth_dev_get_port_by_name(name, port_id);
}

static int
port_configure(struct mg_dataplane *dp, struct mg_dp_port *port,
	       const struct mg_cfg_port *cp, char *err, size_t err_len)
{
	const struct mg_cfg_dataplane *d = &dp->cfg->dataplane;
	uint16_t nq = (uint16_t)d->workers;
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	uint16_t rxd = (uint16_t)d->rx_desc, txd = (uint16_t)d->tx_desc;
	int rc;

	rc = rte_eth_dev_info_get(port->port_id, &info);
	if (rc != 0)
		goto fail;
	if (info.max_rx_queues < nq || info.max_tx_queues < nq) {
		snprintf(err, err_len, "port %s: device has %u/%u queues, %u workers need %u",
			 cp->name, info.max_rx_queues, info.max_tx_queues, nq, nq);
		return -EINVAL;
	}

	memset(&conf, 0, sizeof(conf));
	if (nq > 1 && info.flow_type_rss_offloads != 0) {
		memset(symmetric_rss_key, 0, sizeof(symmetric_rss_key));
		for (size_t i = 0; i + 1 < sizeof(symmetric_rss_key); i += 2) {
			symmetric_rss_key[i] = 0x6d;
			symmetric_rss_key[i + 1] = 0x5a;
		}
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_key = symmetric_rss_key;
		conf.rx_adv_conf.rss_conf.rss_key_len =
			info.hash_key_size ? info.hash_key_size : 40;
		conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads &
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);
	}
	/* The full-NAT path updates checksums incrementally, which costs less
	 * than setting up TX offload metadata per packet; what the device can
	 * do is recorded for the paths that build packets (health probes
	 * today, the TCP stack next). RX checksum verdicts are used always. */
	const uint64_t csum = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM |
		RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	port->tx_csum_offload = (info.tx_offload_capa & csum) == csum;
	if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_CHECKSUM)
		conf.rxmode.offloads |= info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_CHECKSUM;
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;

	rc = rte_eth_dev_configure(port->port_id, nq, nq, &conf);
	if (rc != 0)
		goto fail;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port->port_id, &rxd, &txd);
	if (rc != 0)
		goto fail;
	for (uint16_t q = 0; q < nq; q++) {
		struct rte_eth_rxconf rxc = info.default_rxconf;
		struct rte_eth_txconf txc = info.default_txconf;

		rxc.offloads = conf.rxmode.offloads;
		txc.offloads = conf.txmode.offloads;
		rc = rte_eth_rx_queue_setup(port->port_id, q, rxd,
				rte_eth_dev_socket_id(port->port_id), &rxc, dp->pool);
		if (rc != 0)
			goto fail;
		rc = rte_eth_tx_queue_setup(port->port_id, q, txd,
				rte_eth_dev_socket_id(port->port_id), &txc);
		if (rc != 0)
			goto fail;
	}
	if (cp->mtu != 0) {
		rc = rte_eth_dev_set_mtu(port->port_id, cp->mtu);
		if (rc != 0 && rc != -ENOTSUP)
			goto fail;
	}
	rc = rte_eth_macaddr_get(port->port_id, &port->iface.mac);
	if (rc != 0)
		goto fail;
	rc = rte_eth_dev_start(port->port_id);
	if (rc != 0)
		goto fail;
	return 0;
fail:
	snprintf(err, err_len, "port %s (%s): %s", cp->name, cp->device,
		 rte_strerror(-rc));
	return rc;
}

static void
iface_init(struct mg_dataplane *dp, struct mg_dp_port *port, uint32_t idx)
{
	const struct mg_config *cfg = dp->cfg;
	const struct mg_cfg_port *cp = &cfg->ports[idx];
	struct mg_net_iface *ifc = &port->iface;

	ifc->port_id = port->port_id;
	ifc->vlan = cp->vlan;
	ifc->n_addrs = cp->n_addrs;
	for (uint32_t i = 0; i < cp->n_addrs; i++) {
		ifc->addrs[i] = cp->addrs[i];
		ifc->prefix_len[i] = cp->prefix_len[i];
	}
	ifc->gateway4 = cp->gateway4;
	ifc->gateway6 = cp->gateway6;
	/* The port answers ARP/ND and ping for its VIPs and SNAT addresses. */
	for (uint32_t i = 0; i < cfg->n_listeners; i++) {
		const struct mg_cfg_listener *l = &cfg->listeners[i];
		bool seen = false;

		if (l->port_idx != idx)
			continue;
		for (uint32_t j = 0; j < ifc->n_extra; j++)
			seen |= mg_ip_eq(&ifc->extra[j], &l->address);
		if (!seen && !mg_iface_owns(ifc, &l->address) &&
		    ifc->n_extra < MG_NET_MAX_EXTRA)
			ifc->extra[ifc->n_extra++] = l->address;
	}
	for (uint32_t i = 0; i < cp->n_snat_addrs && ifc->n_extra < MG_NET_MAX_EXTRA; i++)
		if (!mg_iface_owns(ifc, &cp->snat_addrs[i]))
			ifc->extra[ifc->n_extra++] = cp->snat_addrs[i];
}

static void
link_report(const struct mg_dp_port *port, const struct mg_cfg_port *cp)
{
	struct rte_eth_link link;
	char mac[RTE_ETHER_ADDR_FMT_SIZE], st[RTE_ETH_LINK_MAX_STR_LEN];

	rte_ether_format_addr(mac, sizeof(mac), &port->iface.mac);
	if (rte_eth_link_get_nowait(port->port_id, &link) != 0)
		memset(&link, 0, sizeof(link));
	rte_eth_link_to_str(st, sizeof(st), &link);
	MG_DP_LOG(NOTICE, "port %s (dpdk %u, %s): mac %s, %s, TX checksum "
		  "offload %s", cp->name, port->port_id, cp->device, mac, st,
		  port->tx_csum_offload ? "available" : "absent (software)");
}

int
mg_ports_setup(struct mg_dataplane *dp, char *err, size_t err_len)
{
	const struct mg_config *cfg = dp->cfg;

	for (uint32_t i = 0; i < cfg->n_ports; i++) {
		const struct mg_cfg_port *cp = &cfg->ports[i];
		struct mg_dp_port *port = &dp->ports[i];
		int rc;

		snprintf(port->name, sizeof(port->name), "%s", cp->name);
		if (find_port_id(cp, &port->port_id) != 0) {
			snprintf(err, err_len, "port %s: no DPDK device %s "
				 "(is it bound to a DPDK driver, or is the vdev valid?)",
				 cp->name, cp->device);
			return -ENODEV;
		}
		rc = port_configure(dp, port, cp, err, err_len);
		if (rc != 0)
			return rc;
		dp->n_ports = i + 1;
		iface_init(dp, port, i);
		port->neigh = mg_neigh_create(4096, rte_socket_id());
		if (port->neigh == NULL) {
			snprintf(err, err_len, "port %s: no memory for the neighbour table",
				 cp->name);
			return -ENOMEM;
		}
		for (uint32_t n = 0; n < cp->n_neighbours; n++) {
			const struct mg_cfg_neighbour *nb = &cp->neighbours[n];
			struct rte_ether_addr mac;
			char a[MG_IP_STRLEN];

			memcpy(mac.addr_bytes, nb->mac, RTE_ETHER_ADDR_LEN);
			rc = mg_neigh_add_static(port->neigh, &nb->address, &mac);
			if (rc != 0) {
				snprintf(err, err_len, "port %s: static neighbour %s: %s",
					 cp->name, mg_ip_format(&nb->address, a, sizeof(a)),
					 rte_strerror(-rc));
				return rc;
			}
		}
		link_report(port, cp);
	}
	return 0;
}

void
mg_ports_close(struct mg_dataplane *dp)
{
	for (uint32_t i = 0; i < dp->n_ports; i++) {
		rte_eth_dev_stop(dp->ports[i].port_id);
		rte_eth_dev_close(dp->ports[i].port_id);
		mg_neigh_free(dp->ports[i].neigh);
		dp->ports[i].neigh = NULL;
	}
	dp->n_ports = 0;
}
