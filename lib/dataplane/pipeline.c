/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The per-packet pipeline of a worker:
 *
 *   parse L2/L3/L4 -> local (ARP, ND, ICMP echo, health-probe replies)
 *                  -> L4 listener: conntrack -> Maglev -> full-NAT -> tx
 *                  -> reply from an endpoint: owner check (hand-off) ->
 *                     conntrack -> full-NAT back -> tx
 *
 * Every packet leaves through exactly one of: a TX buffer, a hand-off ring,
 * or a counted drop.
 */
#include <netinet/in.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "dp_internal.h"

const char *const mg_dp_drop_names[MG_DP_DROP_MAX] = {
#define X(n, s) [MG_DP_DROP_##n] = s,
	MG_DP_DROPS(X)
#undef X
};

static void
neigh_learned(struct mg_worker *w, const struct mg_neigh_learn *l,
	      uint16_t port)
{
	struct mg_ctl_msg msg = {
		.kind = MG_CTL_NEIGH_LEARN, .port = port, .learn = *l,
	};
	mg_dp_to_main(w, &msg);
}

/* Resolve the next hop towards dst on a port and write the L2 header;
 * on a miss, ask the main lcore to resolve it and drop the packet (the
 * sender's retransmission will find the entry). */
static inline bool
l2_output(struct mg_worker *w, struct rte_mbuf *m, struct mg_pkt *p,
	  uint16_t out, const struct mg_ip *dst)
{
	struct mg_dp_port *port = &w->dp->ports[out];
	struct rte_ether_addr mac;
	struct mg_ip nh;

	if (unlikely(mg_iface_next_hop(&port->iface, dst, &nh) != 0)) {
		mg_dp_drop(w, m, MG_DP_DROP_NO_ROUTE);
		return false;
	}
	if (unlikely(mg_neigh_lookup(port->neigh, &nh, &mac) != 0)) {
		struct mg_ctl_msg msg = {
			.kind = MG_CTL_NEIGH_MISS, .port = out, .learn.ip = nh,
		};
		mg_dp_to_main(w, &msg);
		mg_dp_drop(w, m, MG_DP_DROP_NEIGH_UNRESOLVED);
		return false;
	}
	if (unlikely(mg_eth_rewrite(m, p, &port->iface, &mac) != 0)) {
		mg_dp_drop(w, m, MG_DP_DROP_L2_REWRITE);
		return false;
	}
	mg_dp_tx(w, out, m);
	return true;
}

static inline const struct mg_rt_listener *
find_listener(const struct mg_dataplane *dp, const struct mg_pkt *p)
{
	/* A handful of listeners per appliance: a linear scan over a compact
	 * array beats hashing here. */
	for (uint32_t i = 0; i < dp->n_listeners; i++) {
		const struct mg_rt_listener *l = &dp->listeners[i];

		if (l->listen_port == p->dport && l->proto == p->l4_proto &&
		    mg_ip_eq(&l->vip, &p->dst))
			return l;
	}
	return NULL;
}

static inline void *
l3_hdr(struct rte_mbuf *m, const struct mg_pkt *p)
{
	return rte_pktmbuf_mtod_offset(m, uint8_t *, p->l3_off);
}

static inline void *
l4_hdr(struct rte_mbuf *m, const struct mg_pkt *p)
{
	return rte_pktmbuf_mtod_offset(m, uint8_t *, p->l4_off);
}

/* Client -> VIP: find or create the flow, rewrite to endpoint, send. */
static void
l4_inbound(struct mg_worker *w, struct rte_mbuf *m, struct mg_pkt *p,
	   const struct mg_rt_listener *l)
{
	struct mg_dataplane *dp = w->dp;
	const struct mg_rt_cluster *c = &dp->clusters[l->cluster];
	const struct mg_rt_endpoint *ep;
	struct mg_flow *f;
	bool is_tcp = p->l4_proto == IPPROTO_TCP;

	const uint16_t sport_be = rte_cpu_to_be_16(p->sport);

	w->listener_pkts[l->id]++;
	f = mg_ct_lookup_inbound(w->ct, &p->src, sport_be, l->id, p->l4_proto,
				 w->now_us);
	if (f == NULL) {
		uint64_t hash;
		uint32_t e;
		struct mg_lb *lb;

		/* Only a SYN opens a TCP flow; anything else for an unknown
		 * flow (a flow that expired, a scan) is refused here rather
		 * than handed to an endpoint that would reset it. */
		if (is_tcp && (p->tcp_flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG |
					       RTE_TCP_RST_FLAG)) != RTE_TCP_SYN_FLAG) {
			mg_dp_drop(w, m, MG_DP_DROP_TCP_NO_FLOW);
			return;
		}
		lb = atomic_load_explicit(&((struct mg_rt_cluster *)c)->lb,
					  memory_order_acquire);
		hash = mg_l4lb_flow_hash(&p->src, sport_be, p->l4_proto);
		e = lb != NULL ? mg_lb_pick(lb, hash) : MG_LB_NONE;
		if (e == MG_LB_NONE) {
			mg_dp_drop(w, m, MG_DP_DROP_NO_HEALTHY_ENDPOINT);
			return;
		}
		ep = &dp->endpoints[c->first_endpoint + e];
		f = mg_ct_create_flow(w->ct, &p->src, sport_be, l->id, p->l4_proto,
				      (uint16_t)(c->first_endpoint + e), &ep->addr,
				      rte_cpu_to_be_16(ep->port), w->now_us);
		if (f == NULL) {
			mg_dp_drop(w, m, MG_DP_DROP_FLOW_CREATE_FAILED);
			return;
		}
		w->listener_flows[l->id]++;
		w->endpoint_flows[c->first_endpoint + e]++;
	}
	if (is_tcp)
		mg_ct_tcp_update(w->ct, f, p->tcp_flags, true);

	ep = &dp->endpoints[f->endpoint_index];
	mg_fnat_rewrite(l3_hdr(m, p), p->dst.family, l4_hdr(m, p), p->l4_proto,
			mg_ct_local_addr(w->ct, f->local_addr_index), f->local_port,
			&ep->addr, rte_cpu_to_be_16(ep->port));
	l2_output(w, m, p, c->out_port, &ep->addr);
}

/* The packet belongs to a connection another worker owns (its local port
 * says which): pass it on, once. */
static void
hand_over(struct mg_worker *w, struct rte_mbuf *m, uint32_t owner,
	  bool handed_off)
{
	if (handed_off) {
		mg_dp_drop(w, m, MG_DP_DROP_HANDOFF_NOT_OWNER);
		return;
	}
	if (rte_ring_sp_enqueue(w->handoff_out[owner], m) != 0) {
		mg_dp_drop(w, m, MG_DP_DROP_HANDOFF_RING_FULL);
		return;
	}
	w->stats.handoff_out++;
}

/* Endpoint -> local address: the reply half of a flow. */
static void
l4_reply(struct mg_worker *w, struct rte_mbuf *m, struct mg_pkt *p,
	 bool handed_off)
{
	struct mg_dataplane *dp = w->dp;
	uint32_t owner = mg_ct_port_owner(p->dport, dp->n_workers);
	const struct mg_rt_listener *l;
	struct mg_ip client;
	struct mg_flow *f;

	if (owner != w->index) {
		hand_over(w, m, owner, handed_off);
		return;
	}
	f = mg_ct_lookup_reply(w->ct, &p->dst, rte_cpu_to_be_16(p->dport),
			       p->l4_proto, &p->src, rte_cpu_to_be_16(p->sport),
			       w->now_us);
	if (f == NULL) {
		mg_dp_drop(w, m, MG_DP_DROP_REPLY_NO_FLOW);
		return;
	}
	if (p->l4_proto == IPPROTO_TCP)
		mg_ct_tcp_update(w->ct, f, p->tcp_flags, false);

	l = &dp->listeners[f->listener_id];
	mg_flow_client(f, &client);
	mg_fnat_rewrite(l3_hdr(m, p), p->dst.family, l4_hdr(m, p), p->l4_proto,
			&l->vip, rte_cpu_to_be_16(l->listen_port),
			&client, f->client_port);
	l2_output(w, m, p, l->in_port, &client);
}

/* SYN-ACK or RST from an endpoint that a health probe went to. */
static void
health_reply(struct mg_worker *w, struct rte_mbuf *m, struct mg_pkt *p,
	     uint16_t port)
{
	const struct rte_tcp_hdr *th = l4_hdr(m, p);
	uint32_t ack = rte_be_to_cpu_32(th->recv_ack);
	struct mg_ctl_msg msg = { .kind = MG_CTL_HEALTH_REPLY };
	bool synack = (p->tcp_flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) ==
		      (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG);
	bool rst = (p->tcp_flags & RTE_TCP_RST_FLAG) != 0;

	if ((!synack && !rst) || w->dp->health == NULL ||
	    mg_health_probe_decode(w->dp->health, ack - 1, &msg.target,
				   &msg.probe_id) != 0 ||
	    mg_health_key_sport(mg_health_key(w->dp->health), msg.target,
				msg.probe_id) != p->dport) {
		mg_dp_drop(w, m, MG_DP_DROP_HEALTH_REPLY_UNKNOWN);
		return;
	}
	msg.up = synack;
	mg_dp_to_main(w, &msg);
	/* Abort the half-open connection so the endpoint frees it at once. */
	if (synack && mg_tcp_probe_rst_in_place(m, p->l3_off, p->l4_off,
						p->dst.family) == 0) {
		mg_dp_tx(w, port, m);
		return;
	}
	rte_pktmbuf_free(m);
}

static void
local_input(struct mg_worker *w, struct rte_mbuf *m, struct mg_pkt *p,
	    uint16_t port)
{
	struct mg_dp_port *dport = &w->dp->ports[port];
	struct mg_neigh_learn learn;
	enum mg_net_drop why = MG_NET_OK;
	enum mg_net_action act;

	learn.mode = MG_NEIGH_LEARN_NONE;
	act = mg_net_local_input(m, p, &dport->iface, &learn, &why);
	if (learn.mode != MG_NEIGH_LEARN_NONE)
		neigh_learned(w, &learn, port);
	switch (act) {
	case MG_NET_ACT_TX:
		if (p->ethertype == RTE_ETHER_TYPE_ARP)
			w->stats.arp_replies++;
		else if (p->l4_proto == IPPROTO_ICMPV6 && p->icmp_type == 135)
			w->stats.nd_adverts++;
		else
			w->stats.icmp_echo_replies++;
		mg_dp_tx(w, port, m);
		break;
	case MG_NET_ACT_CONSUMED:
		rte_pktmbuf_free(m);
		break;
	case MG_NET_ACT_DROP:
	default:
		w->stats.net_drops[why]++;
		rte_pktmbuf_free(m);
		break;
	}
}

static inline uint16_t
port_index(const struct mg_dataplane *dp, uint16_t port_id)
{
	for (uint16_t i = 0; i < dp->n_ports; i++)
		if (dp->ports[i].port_id == port_id)
			return i;
	return 0;
}

/* What the first pass decided for a packet the last pass must handle. */
enum stage {
	ST_DONE,		/* dropped in the first pass */
	ST_LOCAL,		/* ARP, ICMP, ICMPv6 for the port's addresses */
	ST_HEALTH,		/* a health probe's answer */
	ST_INBOUND,		/* client -> listener, full-NAT */
	ST_TERMINATE,		/* client -> listener, to this worker's TCP stack */
	ST_REPLY,		/* endpoint -> one of our local ports */
};

/*
 * Three passes over a burst, so that the flow-table cache misses of all
 * its packets overlap instead of adding up: classify (and prefetch the
 * hash slot or port entry), prefetch the flow entries, then process in
 * arrival order, so that what leaves keeps the order it came in.
 */
void
mg_pipeline_input(struct mg_worker *w, struct rte_mbuf **pkts, uint16_t n,
		  bool handed_off)
{
	struct mg_dataplane *dp = w->dp;
	struct mg_pkt p[MG_MAX_BURST];
	const struct mg_rt_listener *lst[MG_MAX_BURST];
	uint32_t token[MG_MAX_BURST];
	uint8_t stage[MG_MAX_BURST];

	for (; n > MG_MAX_BURST; n -= MG_MAX_BURST, pkts += MG_MAX_BURST)
		mg_pipeline_input(w, pkts, MG_MAX_BURST, handed_off);

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint16_t port = port_index(dp, m->port);
		struct mg_dp_port *dport = &dp->ports[port];
		enum mg_net_drop why;

		stage[i] = ST_DONE;
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));

		why = mg_pkt_parse(m, &p[i]);
		if (likely(why == MG_NET_OK))
			why = mg_pkt_check_vlan(&p[i], &dport->iface);
		if (unlikely(why != MG_NET_OK)) {
			w->stats.net_drops[why]++;
			rte_pktmbuf_free(m);
			continue;
		}
		if (p[i].ethertype == RTE_ETHER_TYPE_ARP ||
		    (p[i].l4_proto != IPPROTO_TCP && p[i].l4_proto != IPPROTO_UDP)) {
			/* ARP, ICMP and ICMPv6: echo, neighbour discovery;
			 * ICMP errors are not translated through the NAT yet. */
			stage[i] = ST_LOCAL;
			continue;
		}
		lst[i] = find_listener(dp, &p[i]);
		if (lst[i] != NULL && lst[i]->terminate) {
			stage[i] = ST_TERMINATE;
			continue;
		}
		if (lst[i] != NULL) {
			stage[i] = ST_INBOUND;
			token[i] = mg_ct_prefetch_inbound(w->ct, &p[i].src,
					rte_cpu_to_be_16(p[i].sport), lst[i]->id,
					p[i].l4_proto);
			continue;
		}
		if (!mg_iface_owns(&dport->iface, &p[i].dst)) {
			mg_dp_drop(w, m, MG_DP_DROP_NOT_FOR_US);
			continue;
		}
		if (p[i].l4_proto == IPPROTO_TCP &&
		    p[i].dport >= MG_HEALTH_SPORT_MIN &&
		    p[i].dport <= MG_HEALTH_SPORT_MAX) {
			stage[i] = ST_HEALTH;
			continue;
		}
		if (w->ct == NULL ||
		    p[i].dport < dp->cfg->dataplane.snat_port_min ||
		    p[i].dport > dp->cfg->dataplane.snat_port_max) {
			/* Where this worker terminates TCP, its stack answers
			 * a segment for no listener with RST (RFC 9293 3.10.7.1)
			 * and counts it; the pure L4 path drops it silently,
			 * as L4 balancers do. */
			if (w->tcp != NULL && p[i].l4_proto == IPPROTO_TCP) {
				/* Active opens take local ports below the
				 * full-NAT range, owned like them by port %
				 * workers: a segment for another worker's
				 * connection goes to that worker's stack. */
				uint32_t owner = mg_ct_port_owner(p[i].dport,
								  dp->n_workers);

				if (p[i].dport < dp->cfg->dataplane.snat_port_min &&
				    p[i].dport >= MG_TCP_ACTIVE_PORT_MIN &&
				    owner != w->index) {
					hand_over(w, m, owner, handed_off);
					continue;
				}
				lst[i] = NULL;
				stage[i] = ST_TERMINATE;
				continue;
			}
			mg_dp_drop(w, m, MG_DP_DROP_NO_LISTENER);
			continue;
		}
		/* A reply owned by another worker is handed over in the last
		 * pass by l4_reply(); no use prefetching our table for it. */
		stage[i] = ST_REPLY;
		token[i] = mg_ct_port_owner(p[i].dport, dp->n_workers) == w->index
			? mg_ct_prefetch_reply(w->ct, &p[i].dst,
				rte_cpu_to_be_16(p[i].dport), p[i].l4_proto)
			: UINT32_MAX;
	}

	for (uint16_t i = 0; i < n; i++) {
		if (stage[i] == ST_INBOUND)
			mg_ct_prefetch_inbound_flow(w->ct, token[i]);
		else if (stage[i] == ST_REPLY && token[i] != UINT32_MAX)
			mg_ct_prefetch_reply_flow(w->ct, token[i]);
	}

	for (uint16_t i = 0; i < n; i++) {
		switch (stage[i]) {
		case ST_INBOUND:
			l4_inbound(w, pkts[i], &p[i], lst[i]);
			break;
		case ST_REPLY:
			l4_reply(w, pkts[i], &p[i], handed_off);
			break;
		case ST_TERMINATE:
			if (lst[i] != NULL)
				w->listener_pkts[lst[i]->id]++;
			mg_tcp_input(w->tcp, pkts[i], &p[i], w->now_us);
			break;
		case ST_LOCAL:
			local_input(w, pkts[i], &p[i], port_index(dp, pkts[i]->port));
			break;
		case ST_HEALTH:
			health_reply(w, pkts[i], &p[i], port_index(dp, pkts[i]->port));
			break;
		default:
			break;
		}
	}
}

void
mg_worker_tx_flush(struct mg_worker *w)
{
	struct mg_dataplane *dp = w->dp;
	struct rte_mbuf *out[512];

	for (uint32_t p = 0; p < dp->n_ports; p++) {
		struct mg_tx_buf *b = &w->tx[p];
		struct rte_mbuf **pkts = b->pkts;
		uint16_t n = b->n, sent;

		if (w->impair[p] != NULL) {
			n = mg_impair_tx(w->impair[p], b->pkts, b->n, out,
					 RTE_DIM(out), w->now_us);
			n += mg_impair_flush(w->impair[p], out + n,
					     (uint16_t)(RTE_DIM(out) - n), w->now_us);
			pkts = out;
		}
		b->n = 0;
		if (n == 0)
			continue;
		uint64_t bytes = 0;
		for (uint16_t i = 0; i < n; i++)
			bytes += pkts[i]->pkt_len;
		sent = rte_eth_tx_burst(dp->ports[p].port_id, (uint16_t)w->index,
					pkts, n);
		w->stats.tx_pkts[p] += sent;
		w->stats.tx_bytes[p] += bytes;
		if (unlikely(sent < n)) {
			for (uint16_t i = sent; i < n; i++) {
				w->stats.tx_bytes[p] -= pkts[i]->pkt_len;
				mg_dp_drop(w, pkts[i], MG_DP_DROP_TX_QUEUE_FULL);
			}
		}
	}
}
