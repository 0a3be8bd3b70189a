/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>

#include <rte_errno.h>

#include "net_priv.h"

unsigned
net_l2_write(uint8_t *buf, const struct mg_net_iface *ifc,
	     const struct rte_ether_addr *dst, uint16_t ethertype)
{
	memcpy(buf, dst, RTE_ETHER_ADDR_LEN);
	memcpy(buf + 6, &ifc->mac, RTE_ETHER_ADDR_LEN);
	if (ifc->vlan == 0) {
		wr16(buf + 12, ethertype);
		return RTE_ETHER_HDR_LEN;
	}
	wr16(buf + 12, RTE_ETHER_TYPE_VLAN);
	wr16(buf + 14, ifc->vlan & 0xfff);
	wr16(buf + 16, ethertype);
	return RTE_ETHER_HDR_LEN + sizeof(struct rte_vlan_hdr);
}

int
mg_eth_prepend(struct rte_mbuf *m, const struct mg_net_iface *ifc,
	       const struct rte_ether_addr *dst, uint16_t ethertype)
{
	unsigned len = RTE_ETHER_HDR_LEN + (ifc->vlan ? sizeof(struct rte_vlan_hdr) : 0);
	uint8_t *h = (uint8_t *)rte_pktmbuf_prepend(m, (uint16_t)len);

	if (h == NULL)
		return -ENOSPC;
	net_l2_write(h, ifc, dst, ethertype);
	return 0;
}

int
mg_eth_rewrite(struct rte_mbuf *m, struct mg_pkt *p,
	       const struct mg_net_iface *out, const struct rte_ether_addr *dst)
{
	unsigned new_l2 = RTE_ETHER_HDR_LEN + (out->vlan ? sizeof(struct rte_vlan_hdr) : 0);
	int delta = (int)new_l2 - (int)p->l2_len;

	if (delta > 0) {
		if (rte_pktmbuf_prepend(m, (uint16_t)delta) == NULL)
			return -ENOSPC;
	} else if (delta < 0) {
		rte_pktmbuf_adj(m, (uint16_t)-delta);
	}
	net_l2_write(rte_pktmbuf_mtod(m, uint8_t *), out, dst, p->ethertype);
	m->ol_flags &= ~(RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED |
			 RTE_MBUF_F_TX_VLAN);
	p->l2_len = (uint16_t)new_l2;
	p->vlan = out->vlan;
	p->l3_off = (uint16_t)(p->l3_off + delta);
	p->l4_off = (uint16_t)(p->l4_off + delta);
	return 0;
}

int
net_frame_replace(struct rte_mbuf *m, const uint8_t *frame, unsigned len)
{
	unsigned plen = len < NET_MIN_FRAME ? NET_MIN_FRAME : len;

	if (plen > m->buf_len)
		return -ENOSPC;
	if (m->next != NULL) {
		rte_pktmbuf_free(m->next);
		m->next = NULL;
		m->nb_segs = 1;
	}
	if ((unsigned)m->data_off + plen > m->buf_len)
		m->data_off = (uint16_t)(m->buf_len - plen);
	memcpy(rte_pktmbuf_mtod(m, uint8_t *), frame, len);
	memset(rte_pktmbuf_mtod_offset(m, uint8_t *, len), 0, plen - len);
	m->data_len = (uint16_t)plen;
	m->pkt_len = plen;
	m->ol_flags &= ~(RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED |
			 RTE_MBUF_F_TX_VLAN);
	return 0;
}

struct rte_mbuf *
net_frame_alloc(struct rte_mempool *mp, const uint8_t *frame, unsigned len)
{
	unsigned plen = len < NET_MIN_FRAME ? NET_MIN_FRAME : len;
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint8_t *d;

	if (m == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)plen);
	if (d == NULL) {
		rte_pktmbuf_free(m);
		rte_errno = ENOMEM;
		return NULL;
	}
	memcpy(d, frame, len);
	memset(d + len, 0, plen - len);
	return m;
}
