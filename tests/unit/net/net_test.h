/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_NET_TEST_H
#define MG_NET_TEST_H

/*
 * Frames for the lib/net tests and fuzz target: a small builder with its
 * own checksum code (big-endian word sums, independent of the library),
 * and an mbuf laid over a malloc'd buffer of exactly the frame's size so
 * that AddressSanitizer sees any read past the end.
 */

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "mg_net.h"

#define T_HEADROOM 128

static const uint8_t t_mac_us[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t t_mac_peer[6] = { 0x02, 0, 0, 0, 0, 0x02 };

struct tspec {
	uint16_t vlan;
	uint8_t proto;			/* IPPROTO_*; family from the addresses */
	const char *src, *dst;
	uint16_t sport, dport;		/* ICMP: identifier, sequence */
	uint8_t ttl;			/* 0: 64 */
	uint8_t icmp_type, icmp_code;
	uint8_t tcp_flags;
	unsigned payload;		/* bytes after the L4 header */
	unsigned pad;			/* trailing bytes after the IP packet */
};

static inline uint32_t
t_sum(const uint8_t *b, unsigned len, uint32_t sum)
{
	unsigned i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	return sum;
}

static inline uint16_t
t_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static inline void
t_put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

/* Checksum of an L4 message with the pseudo header (ICMPv4: none). */
static inline uint16_t
t_l4_csum(int family, const uint8_t *ip, const uint8_t *l4, unsigned len,
	  uint8_t proto)
{
	uint32_t sum = 0;

	if (family == AF_INET && proto != IPPROTO_ICMP)
		sum = t_sum(ip + 12, 8, 0);
	else if (family == AF_INET6)
		sum = t_sum(ip + 8, 32, 0);
	if (proto != IPPROTO_ICMP)
		sum += len + proto;
	return t_fold(t_sum(l4, len, sum));
}

/* Build the frame of @p s into @p b (at least 2048 bytes); its length. */
static inline unsigned
tframe(const struct tspec *s, uint8_t *b)
{
	struct mg_ip src, dst;
	unsigned off, l4len, hl, i;
	uint8_t *ip, *l4;
	uint16_t c;

	mg_ip_parse(s->src, &src);
	mg_ip_parse(s->dst, &dst);
	memcpy(b, t_mac_us, 6);
	memcpy(b + 6, t_mac_peer, 6);
	off = 12;
	if (s->vlan) {
		t_put16(b + off, 0x8100);
		t_put16(b + off + 2, s->vlan);
		off += 4;
	}
	t_put16(b + off, src.family == AF_INET ? 0x0800 : 0x86dd);
	off += 2;
	ip = b + off;
	hl = src.family == AF_INET ? 20 : 40;
	l4 = ip + hl;
	l4len = (s->proto == IPPROTO_TCP ? 20 : 8) + s->payload;
	memset(ip, 0, hl + l4len);
	if (src.family == AF_INET) {
		ip[0] = 0x45;
		t_put16(ip + 2, (uint16_t)(hl + l4len));
		t_put16(ip + 4, 0x1234);
		t_put16(ip + 6, 0x4000);	/* DF */
		ip[8] = s->ttl ? s->ttl : 64;
		ip[9] = s->proto;
		memcpy(ip + 12, &src.v4, 4);
		memcpy(ip + 16, &dst.v4, 4);
		t_put16(ip + 10, t_fold(t_sum(ip, 20, 0)));
	} else {
		ip[0] = 0x60;
		t_put16(ip + 4, (uint16_t)l4len);
		ip[6] = s->proto;
		ip[7] = s->ttl ? s->ttl : 64;
		memcpy(ip + 8, src.v6, 16);
		memcpy(ip + 24, dst.v6, 16);
	}
	switch (s->proto) {
	case IPPROTO_TCP:
		t_put16(l4, s->sport);
		t_put16(l4 + 2, s->dport);
		l4[12] = 5 << 4;
		l4[13] = s->tcp_flags;
		t_put16(l4 + 14, 65535);
		break;
	case IPPROTO_UDP:
		t_put16(l4, s->sport);
		t_put16(l4 + 2, s->dport);
		t_put16(l4 + 4, (uint16_t)l4len);
		break;
	default:
		l4[0] = s->icmp_type;
		l4[1] = s->icmp_code;
		t_put16(l4 + 4, s->sport);
		t_put16(l4 + 6, s->dport);
		break;
	}
	for (i = 0; i < s->payload; i++)
		l4[l4len - s->payload + i] = (uint8_t)(i * 7 + 1);
	c = t_l4_csum(src.family, ip, l4, l4len, s->proto);
	if (s->proto == IPPROTO_UDP && c == 0)
		c = 0xffff;
	t_put16(l4 + (s->proto == IPPROTO_TCP ? 16 : s->proto == IPPROTO_UDP ? 6 : 2), c);
	off += hl + l4len;
	memset(b + off, 0, s->pad);
	return off + s->pad;
}

/* An mbuf over exactly @p len + @p tailroom bytes of heap: no pool. */
static inline struct rte_mbuf *
t_mbuf_over(const uint8_t *data, unsigned len, unsigned tailroom)
{
	struct rte_mbuf *m = aligned_alloc(RTE_CACHE_LINE_SIZE,
		RTE_ALIGN_CEIL(sizeof(struct rte_mbuf), RTE_CACHE_LINE_SIZE));
	uint8_t *buf = malloc(T_HEADROOM + len + tailroom);

	memset(m, 0, sizeof(*m));
	m->buf_addr = buf;
	m->buf_len = (uint16_t)(T_HEADROOM + len + tailroom);
	m->data_off = T_HEADROOM;
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	m->nb_segs = 1;
	rte_mbuf_refcnt_set(m, 1);
	if (len)
		memcpy(buf + T_HEADROOM, data, len);
	return m;
}

static inline void
t_mbuf_over_free(struct rte_mbuf *m)
{
	free(m->buf_addr);
	free(m);
}


/* The test interface: 10.10.0.1/24, fd00:10::1/64, VIPs .100 / ::100. */
static inline void
t_iface(struct mg_net_iface *ifc, uint16_t vlan)
{
	memset(ifc, 0, sizeof(*ifc));
	ifc->port_id = 3;
	ifc->vlan = vlan;
	memcpy(&ifc->mac, t_mac_us, 6);
	ifc->n_addrs = 2;
	mg_prefix_parse("10.10.0.1/24", &ifc->addrs[0], &ifc->prefix_len[0]);
	mg_prefix_parse("fd00:10::1/64", &ifc->addrs[1], &ifc->prefix_len[1]);
	ifc->n_extra = 2;
	mg_ip_parse("10.10.0.100", &ifc->extra[0]);
	mg_ip_parse("fd00:10::100", &ifc->extra[1]);
	mg_ip_parse("10.10.0.254", &ifc->gateway4);
	mg_ip_parse("fd00:10::fe", &ifc->gateway6);
}

#endif /* MG_NET_TEST_H */
