/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Arbitrary bytes as an Ethernet frame: mg_pkt_parse(), then the local
 * handlers (ARP, ICMP echo, ND) and the L2 rewrite on what parses.
 *
 * No EAL: the mbuf is laid over a heap buffer. Each input runs twice, once
 * with no byte of tailroom (so ASan catches any read past the frame) and
 * once with room to spare (so replies that grow, NS -> NA, get built).
 * Replies must parse again: a reply we cannot parse ourselves is a bug.
 */
#include <stddef.h>
#include <stdint.h>

#include "../../unit/net/net_test.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct mg_net_iface ifc_untagged, ifc_tagged;

static void
check_pkt(const struct rte_mbuf *m, const struct mg_pkt *p)
{
	if (p->l3_off != p->l2_len || p->l4_off != p->l3_off + p->l3_len ||
	    (uint32_t)p->l4_off + p->l4_len > rte_pktmbuf_pkt_len(m) ||
	    p->l4_off > rte_pktmbuf_data_len(m))
		__builtin_trap();
}

static void
run_once(const uint8_t *data, size_t size, unsigned tailroom, uint64_t flags)
{
	struct rte_mbuf *m = t_mbuf_over(data, (unsigned)size, tailroom);
	const struct mg_net_iface *ifc;
	struct mg_neigh_learn learn;
	enum mg_net_drop drop = MG_NET_OK;
	struct mg_pkt p, q;
	enum mg_net_action act;

	m->ol_flags = flags;
	m->vlan_tci = 42;
	if (mg_pkt_parse(m, &p) != MG_NET_OK)
		goto out;
	check_pkt(m, &p);
	if (p.l4_proto != 0 && p.ethertype != RTE_ETHER_TYPE_ARP)
		(void)mg_pkt_l4_csum_ok(m, &p);

	/* The L2 rewrite leaves L3 parseable and in place. */
	if (tailroom == 0) {
		struct rte_ether_addr nh = { .addr_bytes = { 2, 1, 2, 3, 4, 5 } };
		struct mg_pkt r = p;

		if (mg_eth_rewrite(m, &r, p.vlan ? &ifc_untagged : &ifc_tagged, &nh) != 0)
			__builtin_trap();
		m->ol_flags = 0;
		if (mg_pkt_parse(m, &q) != MG_NET_OK || q.l4_len != p.l4_len ||
		    q.l4_proto != p.l4_proto)
			__builtin_trap();
		p = q;
	}

	ifc = p.vlan == 42 ? &ifc_tagged : &ifc_untagged;
	act = mg_net_local_input(m, &p, ifc, &learn, &drop);
	if (act == MG_NET_ACT_DROP && (drop == MG_NET_OK || drop >= MG_NET_DROP_MAX))
		__builtin_trap();
	if (act == MG_NET_ACT_TX) {
		if (mg_pkt_parse(m, &q) != MG_NET_OK)
			__builtin_trap();
		check_pkt(m, &q);
		if (q.vlan != ifc->vlan)
			__builtin_trap();
		if (q.ethertype != RTE_ETHER_TYPE_ARP && !mg_pkt_l4_csum_ok(m, &q))
			__builtin_trap();
	}
out:
	t_mbuf_over_free(m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	if (ifc_untagged.n_addrs == 0) {
		t_iface(&ifc_untagged, 0);
		t_iface(&ifc_tagged, 42);
	}
	run_once(data, size, 0, 0);
	run_once(data, size, 256, 0);
	/* What a NIC may say: checksum verdicts and a stripped tag. */
	if (size > 0 && (data[size - 1] & 3) == 1)
		run_once(data, size, 256, RTE_MBUF_F_RX_IP_CKSUM_GOOD);
	if (size > 0 && (data[size - 1] & 3) == 2)
		run_once(data, size, 256, RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED);
	return 0;
}
