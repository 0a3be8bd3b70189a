/* SPDX-License-Identifier: Apache-2.0 */
/* ARP, ICMP echo and ND handling in place, builders, interface helpers. */
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "mg_test.h"
#include "net_test.h"

static struct rte_mempool *mp;

static struct mg_ip
ip_of(const char *s)
{
	struct mg_ip ip;

	mg_ip_parse(s, &ip);
	return ip;
}

static struct rte_mbuf *
mbuf_of(const uint8_t *b, unsigned len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);

	memcpy(rte_pktmbuf_append(m, (uint16_t)len), b, len);
	return m;
}

static unsigned
t_l2(uint8_t *b, const uint8_t *dst, const uint8_t *src, uint16_t vlan,
     uint16_t type)
{
	memcpy(b, dst, 6);
	memcpy(b + 6, src, 6);
	if (vlan) {
		t_put16(b + 12, 0x8100);
		t_put16(b + 14, vlan);
		t_put16(b + 16, type);
		return 18;
	}
	t_put16(b + 12, type);
	return 14;
}

static unsigned
t_arp(uint8_t *b, uint16_t vlan, uint16_t op, const uint8_t *sha,
      const char *spa, const uint8_t *tha, const char *tpa)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	unsigned l = t_l2(b, op == 1 ? bcast : tha, sha, vlan, 0x0806);
	struct mg_ip s = ip_of(spa), t = ip_of(tpa);
	uint8_t *a = b + l;

	t_put16(a, 1);
	t_put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	t_put16(a + 6, op);
	memcpy(a + 8, sha, 6);
	memcpy(a + 14, &s.v4, 4);
	memcpy(a + 18, tha, 6);
	memcpy(a + 24, &t.v4, 4);
	return l + 28;
}

struct tnd {
	uint16_t vlan;
	const char *src, *dst;
	uint8_t hop, type, code, flags;
	const char *target;
	uint8_t opt_type, opt_len;	/* 0: no option */
	const uint8_t *opt_mac;
	const uint8_t *eth_dst;
};

static unsigned
t_nd(uint8_t *b, const struct tnd *s)
{
	static const uint8_t mc[6] = { 0x33, 0x33, 0xff, 0, 0, 1 };
	unsigned l = t_l2(b, s->eth_dst ? s->eth_dst : mc, t_mac_peer, s->vlan, 0x86dd);
	unsigned ilen = 24 + s->opt_len * 8u;
	struct mg_ip src = ip_of(s->src), dst = ip_of(s->dst), tg = ip_of(s->target);
	uint8_t *ip = b + l, *ic = ip + 40;

	memset(ip, 0, 40 + ilen);
	ip[0] = 0x60;
	t_put16(ip + 4, (uint16_t)ilen);
	ip[6] = IPPROTO_ICMPV6;
	ip[7] = s->hop;
	memcpy(ip + 8, src.v6, 16);
	memcpy(ip + 24, dst.v6, 16);
	ic[0] = s->type;
	ic[1] = s->code;
	ic[4] = s->flags;
	memcpy(ic + 8, tg.v6, 16);
	if (s->opt_len) {
		ic[24] = s->opt_type;
		ic[25] = s->opt_len;
		if (s->opt_mac)
			memcpy(ic + 26, s->opt_mac, 6);
	}
	t_put16(ic + 2, t_l4_csum(AF_INET6, ip, ic, ilen, IPPROTO_ICMPV6));
	return l + 40 + ilen;
}

struct result {
	enum mg_net_action act;
	enum mg_net_drop drop;
	struct mg_neigh_learn learn;
	struct mg_pkt out;		/* the reply, parsed, when TX */
	enum mg_net_drop out_parse;
	uint8_t frame[256];
	unsigned len;
};

/* Run mg_net_local_input on @p b and parse what it sends back. */
static void
run(const struct mg_net_iface *ifc, const uint8_t *b, unsigned len,
    struct result *r)
{
	struct rte_mbuf *m = mbuf_of(b, len);
	struct mg_pkt p;

	memset(r, 0, sizeof(*r));
	r->drop = MG_NET_OK;
	MG_CHECK_EQ(mg_pkt_parse(m, &p), MG_NET_OK);
	r->act = mg_net_local_input(m, &p, ifc, &r->learn, &r->drop);
	if (r->act == MG_NET_ACT_TX) {
		r->out_parse = mg_pkt_parse(m, &r->out);
		if (r->out_parse == MG_NET_OK && r->out.l4_proto)
			MG_CHECK(mg_pkt_l4_csum_ok(m, &r->out));
		r->len = rte_pktmbuf_pkt_len(m);
		if (r->len <= sizeof(r->frame))
			memcpy(r->frame, rte_pktmbuf_mtod(m, uint8_t *), r->len);
	}
	rte_pktmbuf_free(m);
}

static void
test_iface(void)
{
	struct mg_net_iface ifc;
	struct mg_ip ip, nh, ll;

	t_iface(&ifc, 0);
	MG_CHECK(mg_iface_owns(&ifc, &(struct mg_ip){ 0 }) == false);
	ip = ip_of("10.10.0.1");
	MG_CHECK(mg_iface_owns(&ifc, &ip));
	ip = ip_of("10.10.0.100");
	MG_CHECK(mg_iface_owns(&ifc, &ip));
	ip = ip_of("10.10.0.2");
	MG_CHECK(!mg_iface_owns(&ifc, &ip));
	ip = ip_of("fd00:10::100");
	MG_CHECK(mg_iface_owns(&ifc, &ip));
	ip = ip_of("fe80::ff:fe00:1");	/* EUI-64 of 02:00:00:00:00:01 */
	mg_iface_link_local(&ifc, &ll);
	MG_CHECK(mg_ip_eq(&ip, &ll));
	MG_CHECK(mg_iface_owns(&ifc, &ip));
	ip = ip_of("fe80::1");
	MG_CHECK(!mg_iface_owns(&ifc, &ip));

	ip = ip_of("10.10.0.77");
	MG_CHECK_EQ(mg_iface_next_hop(&ifc, &ip, &nh), 0);
	MG_CHECK(mg_ip_eq(&nh, &ip));
	ip = ip_of("192.0.2.1");
	MG_CHECK_EQ(mg_iface_next_hop(&ifc, &ip, &nh), 0);
	MG_CHECK(mg_ip_eq(&nh, &ifc.gateway4));
	ip = ip_of("2001:db8::1");
	MG_CHECK_EQ(mg_iface_next_hop(&ifc, &ip, &nh), 0);
	MG_CHECK(mg_ip_eq(&nh, &ifc.gateway6));
	ip = ip_of("fe80::1234");
	MG_CHECK_EQ(mg_iface_next_hop(&ifc, &ip, &nh), 0);
	MG_CHECK(mg_ip_eq(&nh, &ip));
	ifc.gateway4.family = 0;
	ip = ip_of("192.0.2.1");
	MG_CHECK_EQ(mg_iface_next_hop(&ifc, &ip, &nh), -ENETUNREACH);

	ip = ip_of("10.10.0.9");
	MG_CHECK_EQ(mg_iface_src_addr(&ifc, &ip, &nh), 0);
	MG_CHECK(mg_ip_eq(&nh, &ifc.addrs[0]));
	ip = ip_of("2001:db8::1");
	MG_CHECK_EQ(mg_iface_src_addr(&ifc, &ip, &nh), 0);
	MG_CHECK(mg_ip_eq(&nh, &ifc.addrs[1]));
	ifc.n_addrs = 0;
	ip = ip_of("10.10.0.9");
	MG_CHECK_EQ(mg_iface_src_addr(&ifc, &ip, &nh), -EADDRNOTAVAIL);
	ip = ip_of("fd00:10::9");
	MG_CHECK_EQ(mg_iface_src_addr(&ifc, &ip, &nh), 0);
	MG_CHECK(mg_ip_eq(&nh, &ll));
}

static void
test_arp(uint16_t vlan)
{
	static const uint8_t zero[6], mcast_mac[6] = { 1, 0, 0x5e, 0, 0, 1 };
	struct mg_net_iface ifc;
	struct result r;
	uint8_t b[256], want[256];
	unsigned len, wl;

	t_iface(&ifc, vlan);

	/* request for our address -> exact reply bytes */
	len = t_arp(b, vlan, 1, t_mac_peer, "10.10.0.2", zero, "10.10.0.1");
	run(&ifc, b, len, &r);
	MG_CHECK_EQ(r.act, MG_NET_ACT_TX);
	wl = t_arp(want, vlan, 2, t_mac_us, "10.10.0.1", t_mac_peer, "10.10.0.2");
	memset(want + wl, 0, 60 - wl > 0 ? 60 - wl : 0);
	if (wl < 60)
		wl = 60;
	MG_CHECK_EQ(r.len, wl);
	MG_CHECK_EQ(memcmp(r.frame, want, wl), 0);
	MG_CHECK_EQ(r.out_parse, MG_NET_OK);
	MG_CHECK_EQ(r.out.vlan, vlan);
	MG_CHECK_EQ(r.learn.mode, MG_NEIGH_LEARN_CREATE);
	MG_CHECK(!r.learn.confirmed);
	MG_CHECK_EQ(r.learn.port_id, 3);
	MG_CHECK(mg_ip_eq(&r.learn.ip, &(struct mg_ip){ 0 }) == false);
	MG_CHECK_EQ(r.learn.ip.v4, ip_of("10.10.0.2").v4);
	MG_CHECK_EQ(memcmp(&r.learn.mac, t_mac_peer, 6), 0);

	/* for a VIP */
	len = t_arp(b, vlan, 1, t_mac_peer, "10.10.0.2", zero, "10.10.0.100");
	run(&ifc, b, len, &r);
	MG_CHECK_EQ(r.act, MG_NET_ACT_TX);
	MG_CHECK_EQ(r.out.src.v4, ip_of("10.10.0.100").v4);

	/* not for us: no reply, refresh only */
	len = t_arp(b, vlan, 1, t_mac_peer, "10.10.0.2", zero, "10.10.0.3");
	run(&ifc, b, len, &r);
	MG_CHECK_EQ(r.act, MG_NET_ACT_DROP);
	MG_CHECK_EQ(r.drop, MG_NET_DROP_ARP_NOT_FOR_US);
	MG_CHECK_EQ(r.learn.mode, MG_NEIGH_LEARN_UPDATE);

	/* a reply to us confirms */
	len = t_arp(b, vlan, 2, t_mac_peer, "10.10.0.2", t_mac_us, "10.10.0.1");
	run(&ifc, b, len, &r);
	MG_CHECK_EQ(r.act, MG_NET_ACT_CONSUMED);
	MG_CHECK_EQ(r.learn.mode, MG_NEIGH_LEARN_CREATE);
	MG_CHECK(r.learn.confirmed);

	/* gratuitous request and reply: update existing entries only */
	len = t_arp(b, vlan, 1, t_mac_peer, "10.10.0.7", zero, "10.10.0.7");
	run(&ifc, b, len, &r);
	MG_CHECK_EQ(r.act, MG_NET_ACT_CONSUMED);
	MG_CHECK_EQ(r.learn.mode, MG_NEIGH_LEARN_UPDATE);
	MG_CHECK(!r.learn.confirmed);
	len = t_arp(b, vlan, 2, t_mac_peer, "10.10.0.7", t_mac_peer, "10.10.0.7");
	run(&ifc, b, len, &r);
	MG_CHECK_EQ(r.act, MG_NET_ACT_CONSUMED);
	MG_CHECK_EQ(r.learn.mode, MG_NEIGH_LEARN_UPDATE);

	/* probe (RFC 5227): answered, not learnt */
	len = t_arp(b, vlan, 1, t_mac_peer, "0.0.0.0", zero, "10.10.0.1");
	run(&ifc, b, len, &r);
	MG_CHECK_EQ(r.act, MG_NET_ACT_TX);
	MG_CHECK_EQ(r.learn.mode, MG_NEIGH_LEARN_NONE);
	MG_CHECK_EQ(r.out.dst.v4, 0);

	/* someone claims our address: not learnt */
	len = t_arp(b, vlan, 1, t_mac_peer, "10.10.0.1", zero, "10.10.0.1");
	run(&ifc, b, len, &r);
	MG_CHECK_EQ(r.act, MG_NET_ACT_CONSUMED);
	MG_CHECK_EQ(r.learn.mode, MG_NEIGH_LEARN_NONE);

	/* multicast or zero sender MAC */
	len = t_arp(b, vlan, 1, mcast_mac, "10.10.0.2", zero, "10.10.0.1");
	run(&ifc, b, len, &r);
	MG_CHECK_EQ(r.drop, MG_NET_DROP_ARP_MALFORMED);
	len = t_arp(b, vlan, 1, zero, "10.10.0.2", zero, "10.10.0.1");
	run(&ifc, b, len, &r);
	MG_CHECK_EQ(r.drop, MG_NET_DROP_ARP_MALFORMED);

	/* wrong VLAN for the interface */
	len = t_arp(b, vlan ? 0 : 9, 1, t_mac_peer, "10.10.0.2", zero, "10.10.0.1");
	run(&ifc, b, len, &r);
	MG_CHECK_EQ(r.act, MG_NET_ACT_DROP);
	MG_CHECK_EQ(r.drop, MG_NET_DROP_VLAN_MISMATCH);
}

static void
test_icmp4(uint16_t vlan)
{
	struct mg_net_iface ifc;
	struct tspec s = { .vlan = vlan, .proto = IPPROTO_ICMP, .src = "10.10.0.2",
		.dst = "10.10.0.1", .sport = 0x1234, .dport = 7, .icmp_type = 8,
		.payload = 56, .ttl = 3 };
	struct result r;
	uint8_t b[2048];
	unsigned len;

	t_iface(&ifc, vlan);
	len = tframe(&s, b);
	run(&ifc, b, len, &r);
	MG_CHECK_EQ(r.act, MG_NET_ACT_TX);
	MG_CHECK_EQ(r.out_parse, MG_NET_OK);
	MG_CHECK_EQ(r.out.src.v4, ip_of("10.10.0.1").v4);
	MG_CHECK_EQ(r.out.dst.v4, ip_of("10.10.0.2").v4);
	MG_CHECK_EQ(r.out.icmp_type, 0);
	MG_CHECK_EQ(r.out.sport, 0x1234);
	MG_CHECK_EQ(r.out.ttl, 64);
	MG_CHECK_EQ(r.out.vlan, vlan);
	MG_CHECK_EQ(r.len, len);
	MG_CHECK_EQ(memcmp(r.frame, t_mac_peer, 6), 0);
	MG_CHECK_EQ(memcmp(r.frame + 6, t_mac_us, 6), 0);
	/* payload untouched, checksum right by an independent sum */
	MG_CHECK_EQ(memcmp(r.frame + r.out.l4_off + 4, b + r.out.l4_off + 4, 60), 0);
	MG_CHECK_EQ(t_fold(t_sum(r.frame + r.out.l4_off, r.out.l4_len, 0)), 0);
	MG_CHECK_EQ(t_fold(t_sum(r.frame + r.out.l3_off, 20, 0)), 0);

	/* padded request */
	s.payload = 4;
	s.pad = 10;
	len = tframe(&s, b);
	run(&ifc, b, len, &r);
	MG_CHECK_EQ(r.act, MG_NET_ACT_TX);
	MG_CHECK_EQ(r.out.l4_len, 12);
	s.pad = 0;

	s.dst = "10.10.0.100";
	len = tframe(&s, b);
	run(&ifc, b, len, &r);
	MG_CHECK_EQ(r.act, MG_NET_ACT_TX);
	MG_CHECK_EQ(r.out.src.v4, ip_of("10.10.0.100").v4);

	s.dst = "10.10.0.3";
	len = tframe(&s, b);
	run(&ifc, b, len, &r);
	MG_CHECK_EQ(r.drop, MG_NET_DROP_NOT_LOCAL);

	s.dst = "10.10.0.1";
	len = tframe(&s, b);
	b[len - 1] ^= 1;
	run(&ifc, b, len, &r);
	MG_CHECK_EQ(r.drop, MG_NET_DROP_L4_BAD_CHECKSUM);

	s.icmp_type = 0;
	len = tframe(&s, b);
	run(&ifc, b, len, &r);
	MG_CHECK_EQ(r.drop, MG_NET_DROP_ICMP_UNHANDLED);

	s.proto = IPPROTO_UDP;
	len = tframe(&s, b);
	run(&ifc, b, len, &r);
	MG_CHECK_EQ(r.drop, MG_NET_DROP_PROTO_UNHANDLED);
}

static void
test_icmp6_echo(uint16_t vlan)
{
	struct mg_net_iface ifc;
	struct tspec s = { .vlan = vlan, .proto = IPPROTO_ICMPV6, .src = "fd00:10::2",
		.dst = "fd00:10::1", .sport = 0x4321, .dport = 9, .icmp_type = 128,
		.payload = 33 };
	struct result r;
	uint8_t b[2048];
	unsigned len;

	t_iface(&ifc, vlan);
	len = tframe(&s, b);
	run(&ifc, b, len, &r);
	MG_CHECK_EQ(r.act, MG_NET_ACT_TX);
	MG_CHECK_EQ(r.out_parse, MG_NET_OK);
	MG_CHECK_EQ(r.out.icmp_type, 129);
	MG_CHECK(mg_ip_eq(&r.out.src, &ifc.addrs[1]));
	MG_CHECK_EQ(r.out.ttl, 64);
	MG_CHECK_EQ(r.out.vlan, vlan);
	MG_CHECK_EQ(rte_ipv6_udptcp_cksum_verify(
		(const void *)(r.frame + r.out.l3_off),
		r.frame + r.out.l4_off), 0);
	MG_CHECK_EQ(t_l4_csum(AF_INET6, r.frame + r.out.l3_off,
			      r.frame + r.out.l4_off, r.out.l4_len, IPPROTO_ICMPV6), 0);

	s.dst = "fd00:10::3";
	len = tframe(&s, b);
	run(&ifc, b, len, &r);
	MG_CHECK_EQ(r.drop, MG_NET_DROP_NOT_LOCAL);
	s.dst = "fd00:10::1";
	len = tframe(&s, b);
	b[len - 2] ^= 0x80;
	run(&ifc, b, len, &r);
	MG_CHECK_EQ(r.drop, MG_NET_DROP_L4_BAD_CHECKSUM);
}

static void
test_nd(uint16_t vlan)
{
	static const uint8_t all_nodes_mac[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	struct mg_net_iface ifc;
	struct result r;
	uint8_t b[256];
	unsigned len;
	struct tnd ns = { .vlan = vlan, .src = "fd00:10::2", .dst = "ff02::1:ff00:1",
		.hop = 255, .type = 135, .target = "fd00:10::1",
		.opt_type = 1, .opt_len = 1, .opt_mac = t_mac_peer };
	struct tnd s;

	t_iface(&ifc, vlan);
	len = t_nd(b, &ns);
	run(&ifc, b, len, &r);
	MG_CHECK_EQ(r.act, MG_NET_ACT_TX);
	MG_CHECK_EQ(r.out_parse, MG_NET_OK);
	MG_CHECK_EQ(r.out.vlan, vlan);
	MG_CHECK_EQ(r.out.icmp_type, 136);
	MG_CHECK_EQ(r.out.icmp_code, 0);
	MG_CHECK_EQ(r.out.ttl, 255);
	MG_CHECK_EQ(r.out.l4_len, 32);
	MG_CHECK(mg_ip_eq(&r.out.src, &ifc.addrs[1]));
	MG_CHECK(mg_ip_eq(&r.out.dst, &(struct mg_ip){ 0 }) == false);
	MG_CHECK_EQ(memcmp(r.out.dst.v6, ip_of("fd00:10::2").v6, 16), 0);
	MG_CHECK_EQ(memcmp(r.frame, t_mac_peer, 6), 0);
	MG_CHECK_EQ(memcmp(r.frame + 6, t_mac_us, 6), 0);
	{
		const uint8_t *na = r.frame + r.out.l4_off;

		MG_CHECK_EQ(na[4], 0x60);	/* S | O, not a router */
		MG_CHECK_EQ(memcmp(na + 8, ifc.addrs[1].v6, 16), 0);
		MG_CHECK_EQ(na[24], 2);
		MG_CHECK_EQ(na[25], 1);
		MG_CHECK_EQ(memcmp(na + 26, t_mac_us, 6), 0);
		MG_CHECK_EQ(t_l4_csum(AF_INET6, r.frame + r.out.l3_off, na, 32,
				      IPPROTO_ICMPV6), 0);
	}
	MG_CHECK_EQ(r.learn.mode, MG_NEIGH_LEARN_CREATE);
	MG_CHECK_EQ(memcmp(r.learn.ip.v6, ip_of("fd00:10::2").v6, 16), 0);
	MG_CHECK_EQ(memcmp(&r.learn.mac, t_mac_peer, 6), 0);

	/* VIP target, our link-local target */
	s = ns;
	s.target = "fd00:10::100";
	s.dst = "ff02::1:ff00:100";
	len = t_nd(b, &s);
	run(&ifc, b, len, &r);
	MG_CHECK_EQ(r.act, MG_NET_ACT_TX);
	MG_CHECK_EQ(memcmp(r.out.src.v6, ip_of("fd00:10::100").v6, 16), 0);
	s.target = "fe80::ff:fe00:1";
	s.dst = "ff02::1:ff00:1";
	len = t_nd(b, &s);
	run(&ifc, b, len, &r);
	MG_CHECK_EQ(r.act, MG_NET_ACT_TX);

	/* RFC 4861 validation */
	s = ns;
	s.hop = 64;
	len = t_nd(b, &s);
	run(&ifc, b, len, &r);
	MG_CHECK_EQ(r.drop, MG_NET_DROP_ND_MALFORMED);
	s = ns;
	s.code = 1;
	len = t_nd(b, &s);
	run(&ifc, b, len, &r);
	MG_CHECK_EQ(r.drop, MG_NET_DROP_ND_MALFORMED);
	s = ns;
	s.opt_len = 0;
	s.opt_type = 0;
	len = t_nd(b, &s);
	b[len - 1] ^= 1;	/* checksum now wrong */
	run(&ifc, b, len, &r);
	MG_CHECK_EQ(r.drop, MG_NET_DROP_L4_BAD_CHECKSUM);
	s = ns;
	s.opt_len = 1;
	len = t_nd(b, &s);
	{	/* option length 0: rewrite it and fix the checksum */
		unsigned l2 = vlan ? 18 : 14;
		uint8_t *ic = b + l2 + 40;

		ic[25] = 0;
		ic[2] = ic[3] = 0;
		t_put16(ic + 2, t_l4_csum(AF_INET6, b + l2, ic, 32, IPPROTO_ICMPV6));
		run(&ifc, b, len, &r);
		MG_CHECK_EQ(r.drop, MG_NET_DROP_ND_MALFORMED);
	}
	s = ns;
	s.dst = "ff02::1:ff00:2";	/* wrong solicited-node group */
	len = t_nd(b, &s);
	run(&ifc, b, len, &r);
	MG_CHECK_EQ(r.drop, MG_NET_DROP_ND_MALFORMED);
	s = ns;
	s.target = "ff02::1";
	len = t_nd(b, &s);
	run(&ifc, b, len, &r);
	MG_CHECK_EQ(r.drop, MG_NET_DROP_ND_MALFORMED);
	s = ns;
	s.target = "fd00:10::3";
	s.dst = "ff02::1:ff00:3";
	len = t_nd(b, &s);
	run(&ifc, b, len, &r);
	MG_CHECK_EQ(r.drop, MG_NET_DROP_ND_NOT_FOR_US);
	MG_CHECK_EQ(r.learn.mode, MG_NEIGH_LEARN_NONE);

	/* DAD: from ::, no option, answered to all-nodes with S=0 */
	s = ns;
	s.src = "::";
	s.opt_len = 0;
	len = t_nd(b, &s);
	run(&ifc, b, len, &r);
	MG_CHECK_EQ(r.act, MG_NET_ACT_TX);
	MG_CHECK_EQ(memcmp(r.frame, all_nodes_mac, 6), 0);
	MG_CHECK_EQ(memcmp(r.out.dst.v6, ip_of("ff02::1").v6, 16), 0);
	MG_CHECK_EQ(r.frame[r.out.l4_off + 4], 0x20);
	MG_CHECK_EQ(r.learn.mode, MG_NEIGH_LEARN_NONE);
	s.opt_len = 1;
	len = t_nd(b, &s);
	run(&ifc, b, len, &r);
	MG_CHECK_EQ(r.drop, MG_NET_DROP_ND_MALFORMED);

	/* unicast NS without option (NUD): answered to the frame's sender */
	s = ns;
	s.dst = "fd00:10::1";
	s.opt_len = 0;
	s.eth_dst = t_mac_us;
	len = t_nd(b, &s);
	run(&ifc, b, len, &r);
	MG_CHECK_EQ(r.act, MG_NET_ACT_TX);
	MG_CHECK_EQ(memcmp(r.frame, t_mac_peer, 6), 0);
	MG_CHECK_EQ(r.learn.mode, MG_NEIGH_LEARN_NONE);

	/* NA with target link-layer address: update, S confirms */
	s = ns;
	s.type = 136;
	s.flags = 0x60;
	s.dst = "fd00:10::1";
	s.target = "fd00:10::2";
	s.opt_type = 2;
	s.eth_dst = t_mac_us;
	len = t_nd(b, &s);
	run(&ifc, b, len, &r);
	MG_CHECK_EQ(r.act, MG_NET_ACT_CONSUMED);
	MG_CHECK_EQ(r.learn.mode, MG_NEIGH_LEARN_UPDATE);
	MG_CHECK(r.learn.confirmed);
	MG_CHECK_EQ(memcmp(r.learn.ip.v6, ip_of("fd00:10::2").v6, 16), 0);
	s.flags = 0x20;
	s.dst = "ff02::1";
	len = t_nd(b, &s);
	run(&ifc, b, len, &r);
	MG_CHECK_EQ(r.act, MG_NET_ACT_CONSUMED);
	MG_CHECK(!r.learn.confirmed);
	s.flags = 0x60;		/* solicited to a multicast group: invalid */
	len = t_nd(b, &s);
	run(&ifc, b, len, &r);
	MG_CHECK_EQ(r.drop, MG_NET_DROP_ND_MALFORMED);
	s.flags = 0x20;
	s.opt_len = 0;
	len = t_nd(b, &s);
	run(&ifc, b, len, &r);
	MG_CHECK_EQ(r.act, MG_NET_ACT_CONSUMED);
	MG_CHECK_EQ(r.learn.mode, MG_NEIGH_LEARN_NONE);

	/* router advertisement: validated, then not ours to handle */
	s = ns;
	s.type = 134;
	s.opt_len = 0;
	len = t_nd(b, &s);
	run(&ifc, b, len, &r);
	MG_CHECK_EQ(r.drop, MG_NET_DROP_ICMP_UNHANDLED);
	s.hop = 1;
	len = t_nd(b, &s);
	run(&ifc, b, len, &r);
	MG_CHECK_EQ(r.drop, MG_NET_DROP_ND_MALFORMED);
}

/* Builders: parse back; then a peer answers them and we learn the answer. */
static void
test_builders(uint16_t vlan)
{
	struct mg_net_iface ifc, peer;
	struct mg_ip tgt = ip_of("10.10.0.2"), tgt6 = ip_of("fd00:10::2");
	struct rte_ether_addr pmac;
	struct rte_mbuf *m;
	struct mg_pkt p;
	struct mg_neigh_learn learn;
	enum mg_net_drop drop;

	t_iface(&ifc, vlan);
	t_iface(&peer, vlan);
	memcpy(&peer.mac, t_mac_peer, 6);
	memcpy(&pmac, t_mac_peer, 6);
	peer.n_addrs = 2;
	peer.addrs[0] = tgt;
	peer.addrs[1] = tgt6;
	peer.n_extra = 0;

	/* ARP request, broadcast */
	m = mg_arp_request(mp, &ifc, &tgt, NULL);
	MG_CHECK(m != NULL);
	MG_CHECK_EQ(rte_pktmbuf_pkt_len(m), 60);
	MG_CHECK_EQ(mg_pkt_parse(m, &p), MG_NET_OK);
	MG_CHECK_EQ(p.ethertype, 0x0806);
	MG_CHECK_EQ(p.vlan, vlan);
	MG_CHECK_EQ(p.src.v4, ifc.addrs[0].v4);
	MG_CHECK_EQ(p.dst.v4, tgt.v4);
	MG_CHECK(rte_is_broadcast_ether_addr(rte_pktmbuf_mtod(m, struct rte_ether_addr *)));
	/* the peer answers; we learn it as confirmed */
	MG_CHECK_EQ(mg_net_local_input(m, &p, &peer, &learn, &drop), MG_NET_ACT_TX);
	MG_CHECK_EQ(mg_pkt_parse(m, &p), MG_NET_OK);
	MG_CHECK_EQ(mg_net_local_input(m, &p, &ifc, &learn, &drop), MG_NET_ACT_CONSUMED);
	MG_CHECK_EQ(learn.mode, MG_NEIGH_LEARN_CREATE);
	MG_CHECK(learn.confirmed);
	MG_CHECK(mg_ip_eq(&learn.ip, &tgt));
	MG_CHECK(rte_is_same_ether_addr(&learn.mac, &pmac));
	rte_pktmbuf_free(m);

	/* unicast ARP probe */
	m = mg_neigh_probe_build(mp, &ifc, &tgt, &pmac);
	MG_CHECK_EQ(mg_pkt_parse(m, &p), MG_NET_OK);
	MG_CHECK(rte_is_same_ether_addr(rte_pktmbuf_mtod(m, struct rte_ether_addr *), &pmac));
	rte_pktmbuf_free(m);

	/* gratuitous ARP: the peer refreshes */
	m = mg_arp_gratuitous(mp, &ifc, &ifc.extra[0]);
	MG_CHECK_EQ(mg_pkt_parse(m, &p), MG_NET_OK);
	MG_CHECK_EQ(p.src.v4, p.dst.v4);
	MG_CHECK_EQ(mg_net_local_input(m, &p, &peer, &learn, &drop), MG_NET_ACT_CONSUMED);
	MG_CHECK_EQ(learn.mode, MG_NEIGH_LEARN_UPDATE);
	MG_CHECK(mg_ip_eq(&learn.ip, &ifc.extra[0]));
	rte_pktmbuf_free(m);

	/* NS multicast -> peer's NA -> we learn, confirmed */
	m = mg_nd_solicit(mp, &ifc, &tgt6, NULL);
	MG_CHECK(m != NULL);
	MG_CHECK_EQ(mg_pkt_parse(m, &p), MG_NET_OK);
	MG_CHECK(mg_pkt_l4_csum_ok(m, &p));
	MG_CHECK_EQ(p.icmp_type, 135);
	MG_CHECK_EQ(p.ttl, 255);
	MG_CHECK_EQ(p.vlan, vlan);
	MG_CHECK_EQ(memcmp(p.dst.v6, ip_of("ff02::1:ff00:2").v6, 16), 0);
	MG_CHECK_EQ(memcmp(rte_pktmbuf_mtod(m, uint8_t *), "\x33\x33\xff\x00\x00\x02", 6), 0);
	MG_CHECK_EQ(mg_net_local_input(m, &p, &peer, &learn, &drop), MG_NET_ACT_TX);
	MG_CHECK_EQ(learn.mode, MG_NEIGH_LEARN_CREATE);	/* the peer learns us */
	MG_CHECK(mg_ip_eq(&learn.ip, &ifc.addrs[1]));
	MG_CHECK_EQ(mg_pkt_parse(m, &p), MG_NET_OK);
	MG_CHECK_EQ(mg_net_local_input(m, &p, &ifc, &learn, &drop), MG_NET_ACT_CONSUMED);
	MG_CHECK_EQ(learn.mode, MG_NEIGH_LEARN_UPDATE);
	MG_CHECK(learn.confirmed);
	MG_CHECK(mg_ip_eq(&learn.ip, &tgt6));
	MG_CHECK(rte_is_same_ether_addr(&learn.mac, &pmac));
	rte_pktmbuf_free(m);

	/* NS unicast (NUD) */
	m = mg_neigh_probe_build(mp, &ifc, &tgt6, &pmac);
	MG_CHECK_EQ(mg_pkt_parse(m, &p), MG_NET_OK);
	MG_CHECK(mg_ip_eq(&p.dst, &tgt6));
	MG_CHECK_EQ(mg_net_local_input(m, &p, &peer, &learn, &drop), MG_NET_ACT_TX);
	rte_pktmbuf_free(m);

	/* unsolicited NA: the peer updates */
	m = mg_nd_unsolicited_na(mp, &ifc, &ifc.extra[1]);
	MG_CHECK_EQ(mg_pkt_parse(m, &p), MG_NET_OK);
	MG_CHECK(mg_pkt_l4_csum_ok(m, &p));
	MG_CHECK_EQ(mg_net_local_input(m, &p, &peer, &learn, &drop), MG_NET_ACT_CONSUMED);
	MG_CHECK_EQ(learn.mode, MG_NEIGH_LEARN_UPDATE);
	MG_CHECK(!learn.confirmed);
	MG_CHECK(mg_ip_eq(&learn.ip, &ifc.extra[1]));
	rte_pktmbuf_free(m);

	/* wrong family or no address */
	MG_CHECK(mg_arp_request(mp, &ifc, &tgt6, NULL) == NULL);
	MG_CHECK(mg_nd_solicit(mp, &ifc, &tgt, NULL) == NULL);
	ifc.n_addrs = 0;
	MG_CHECK(mg_arp_request(mp, &ifc, &tgt, NULL) == NULL);
}

int
main(int argc, char **argv)
{
	(void)argc;
	if (mg_test_eal_init(argv[0]) < 0)
		return EXIT_FAILURE;
	mp = rte_pktmbuf_pool_create("test_net_local", 255, 0, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (mp == NULL)
		return EXIT_FAILURE;
	test_iface();
	for (uint16_t vlan = 0; vlan < 100; vlan += 42) {
		test_arp(vlan);
		test_icmp4(vlan);
		test_icmp6_echo(vlan);
		test_nd(vlan);
		test_builders(vlan);
	}
	MG_CHECK_EQ(rte_mempool_in_use_count(mp), 0);
	rte_mempool_free(mp);
	rte_eal_cleanup();
	return mg_test_done("test_net_local");
}
