/* SPDX-License-Identifier: Apache-2.0 */
/* Connection tracking on a virtual clock. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_memory.h>

#include "mg_test.h"
#include "mg_l4lb.h"

#define SEC 1000000ULL

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

static struct mg_ip
ip4(uint32_t host_order)
{
	struct mg_ip a;

	mg_ip_set_v4(&a, rte_cpu_to_be_32(host_order));
	return a;
}

static struct mg_ip
ip6(uint16_t last)
{
	struct mg_ip a;
	uint8_t b[16] = { 0xfd, 0, 0, 0x20 };

	memset(&a, 0, sizeof(a));
	b[14] = (uint8_t)(last >> 8);
	b[15] = (uint8_t)last;
	mg_ip_set_v6(&a, b);
	return a;
}

static uint16_t
be16(uint16_t v)
{
	return rte_cpu_to_be_16(v);
}

static struct mg_ct *
make_ct(uint32_t capacity, uint32_t worker, uint32_t n_workers,
	uint16_t pmin, uint16_t pmax, const struct mg_ip *addrs, uint32_t n)
{
	struct mg_ct_params p = {
		.capacity = capacity, .worker_index = worker,
		.n_workers = n_workers, .port_min = pmin, .port_max = pmax,
		.n_local_addrs = n, .local_addrs = addrs, .socket = SOCKET_ID_ANY,
	};

	return mg_ct_create(&p);
}

static void
test_params(void)
{
	struct mg_ip a = ip4(0x0a140001), bad = a;
	struct mg_ct_params p = {
		.capacity = 16, .worker_index = 0, .n_workers = 1,
		.port_min = 1024, .port_max = 65535, .n_local_addrs = 1,
		.local_addrs = &a, .socket = SOCKET_ID_ANY,
	}, q;
	struct mg_ct *ct;

	ct = mg_ct_create(&p);
	MG_CHECK(ct != NULL);
	mg_ct_free(ct);
	mg_ct_free(NULL);
	MG_CHECK(mg_ct_create(NULL) == NULL);
	MG_CHECK_EQ(rte_errno, EINVAL);
	q = p; q.capacity = 0;
	MG_CHECK(mg_ct_create(&q) == NULL);
	q = p; q.n_workers = 0;
	MG_CHECK(mg_ct_create(&q) == NULL);
	q = p; q.worker_index = 1;
	MG_CHECK(mg_ct_create(&q) == NULL);
	q = p; q.port_min = 2000; q.port_max = 1000;
	MG_CHECK(mg_ct_create(&q) == NULL);
	q = p; q.port_min = 0;
	MG_CHECK(mg_ct_create(&q) == NULL);
	q = p; q.n_local_addrs = 0;
	MG_CHECK(mg_ct_create(&q) == NULL);
	bad.family = 0;
	q = p; q.local_addrs = &bad;
	MG_CHECK(mg_ct_create(&q) == NULL);
	/* worker 3 of 4 owns no port in 1024..1026 */
	q = p; q.n_workers = 4; q.worker_index = 3; q.port_min = 1024;
	q.port_max = 1026;
	MG_CHECK(mg_ct_create(&q) == NULL);
	MG_CHECK_EQ(rte_errno, EINVAL);
	q.port_max = 1027;
	ct = mg_ct_create(&q);
	MG_CHECK(ct != NULL);
	if (ct != NULL)
		MG_CHECK_EQ(mg_ct_free_ports(ct, IPPROTO_TCP, AF_INET), 1);
	mg_ct_free(ct);
	MG_CHECK_EQ(mg_ct_port_owner(1027, 4), 3);
	MG_CHECK(strcmp(mg_ct_error_names[MG_CT_ERR_REPLY_WRONG_SOURCE],
			"reply_wrong_source") == 0);
	MG_CHECK(strcmp(mg_ct_state_names[MG_CT_ESTABLISHED], "established") == 0);
}

/* Create and look up both directions, v4 and v6; ports owned by the worker. */
static void
test_basic(void)
{
	struct mg_ip addrs[3] = { ip4(0x0a140001), ip6(1), ip4(0x0a140002) };
	struct mg_ip c4 = ip4(0x0a0a0002), e4 = ip4(0x0a14000b);
	struct mg_ip c6 = ip6(0x1002), e6 = ip6(0x11), got;
	struct mg_ct *ct = make_ct(1024, 2, 4, 1024, 65535, addrs, 3);
	struct mg_flow *f, *g, *h;
	const struct mg_ip *la;
	uint32_t i;

	MG_CHECK(ct != NULL);
	if (ct == NULL)
		return;
	MG_CHECK(mg_ct_lookup_inbound(ct, &c4, be16(40000), 1, IPPROTO_TCP, 0) == NULL);
	f = mg_ct_create_flow(ct, &c4, be16(40000), 1, IPPROTO_TCP, 2, &e4,
			      be16(80), 0);
	MG_CHECK(f != NULL);
	if (f == NULL)
		goto out;
	MG_CHECK_EQ(f->state, MG_CT_SYN_SENT);
	MG_CHECK_EQ(f->endpoint_index, 2);
	MG_CHECK_EQ(f->listener_id, 1);
	MG_CHECK_EQ(f->client_port, be16(40000));
	MG_CHECK_EQ(rte_be_to_cpu_16(f->local_port) % 4, 2);
	MG_CHECK_EQ(mg_ct_port_owner(rte_be_to_cpu_16(f->local_port), 4), 2);
	la = mg_ct_local_addr(ct, f->local_addr_index);
	MG_CHECK(la != NULL && la->family == AF_INET);
	mg_flow_client(f, &got);
	MG_CHECK(mg_ip_eq(&got, &c4));
	MG_CHECK(mg_ct_lookup_inbound(ct, &c4, be16(40000), 1, IPPROTO_TCP, 5) == f);
	/* another listener, proto or port is another flow */
	MG_CHECK(mg_ct_lookup_inbound(ct, &c4, be16(40000), 2, IPPROTO_TCP, 5) == NULL);
	MG_CHECK(mg_ct_lookup_inbound(ct, &c4, be16(40000), 1, IPPROTO_UDP, 5) == NULL);
	MG_CHECK(mg_ct_lookup_inbound(ct, &c4, be16(40001), 1, IPPROTO_TCP, 5) == NULL);
	MG_CHECK(mg_ct_lookup_reply(ct, la, f->local_port, IPPROTO_TCP, &e4,
				    be16(80), 5) == f);
	/* duplicate create */
	MG_CHECK(mg_ct_create_flow(ct, &c4, be16(40000), 1, IPPROTO_TCP, 0, &e4,
				   be16(80), 0) == NULL);
	MG_CHECK_EQ(rte_errno, EEXIST);
	MG_CHECK_EQ(mg_ct_stats(ct)->errors[MG_CT_ERR_EXISTS], 1);

	/* v6 gets the v6 local address */
	g = mg_ct_create_flow(ct, &c6, be16(50000), 1, IPPROTO_UDP, 1, &e6,
			      be16(53), 0);
	MG_CHECK(g != NULL);
	if (g != NULL) {
		MG_CHECK_EQ(g->state, MG_CT_UDP);
		la = mg_ct_local_addr(ct, g->local_addr_index);
		MG_CHECK(la != NULL && mg_ip_eq(la, &addrs[1]));
		MG_CHECK_EQ(rte_be_to_cpu_16(g->local_port) % 4, 2);
		MG_CHECK(mg_ct_lookup_inbound(ct, &c6, be16(50000), 1, IPPROTO_UDP, 0) == g);
		MG_CHECK(mg_ct_lookup_reply(ct, la, g->local_port, IPPROTO_UDP,
					    &e6, be16(53), 0) == g);
		mg_flow_client(g, &got);
		MG_CHECK(mg_ip_eq(&got, &c6));
		/* same local port under TCP is not this flow */
		MG_CHECK(mg_ct_lookup_reply(ct, la, g->local_port, IPPROTO_TCP,
					    &e6, be16(53), 0) == NULL);
	}

	/* wrong source: endpoint port, endpoint address */
	la = mg_ct_local_addr(ct, f->local_addr_index);
	MG_CHECK(mg_ct_lookup_reply(ct, la, f->local_port, IPPROTO_TCP, &e4,
				    be16(81), 0) == NULL);
	got = ip4(0x0a14000c);
	MG_CHECK(mg_ct_lookup_reply(ct, la, f->local_port, IPPROTO_TCP, &got,
				    be16(80), 0) == NULL);
	MG_CHECK_EQ(mg_ct_stats(ct)->errors[MG_CT_ERR_REPLY_WRONG_SOURCE], 2);
	/* misses: free port, another worker's port, unknown local address */
	MG_CHECK(mg_ct_lookup_reply(ct, la, be16(1026 + 400), IPPROTO_TCP, &e4,
				    be16(80), 0) == NULL);
	MG_CHECK(mg_ct_lookup_reply(ct, la,
				    be16(rte_be_to_cpu_16(f->local_port) + 1),
				    IPPROTO_TCP, &e4, be16(80), 0) == NULL);
	MG_CHECK(mg_ct_lookup_reply(ct, &c4, f->local_port, IPPROTO_TCP, &e4,
				    be16(80), 0) == NULL);
	MG_CHECK(mg_ct_lookup_reply(ct, la, be16(80), IPPROTO_TCP, &e4,
				    be16(80), 0) == NULL);
	MG_CHECK_EQ(mg_ct_stats(ct)->errors[MG_CT_ERR_REPLY_MISS], 5);
	/* bad arguments */
	MG_CHECK(mg_ct_create_flow(ct, &c4, 1, 1, IPPROTO_ICMP, 0, &e4, 1, 0) == NULL);
	MG_CHECK_EQ(rte_errno, EINVAL);
	MG_CHECK(mg_ct_create_flow(ct, &c4, 1, MG_CT_MAX_LISTENERS, IPPROTO_TCP,
				   0, &e4, 1, 0) == NULL);
	MG_CHECK_EQ(mg_ct_stats(ct)->errors[MG_CT_ERR_BAD_ARG], 2);

	/* many flows: every port owned by worker 2, all distinct per addr */
	for (i = 0; i < 500; i++) {
		struct mg_ip c = ip4(0x0b000000 + i);

		h = mg_ct_create_flow(ct, &c, be16((uint16_t)(1000 + i)), 0,
				      IPPROTO_TCP, 0, &e4, be16(80), 0);
		MG_CHECK(h != NULL);
		if (h == NULL)
			break;
		MG_CHECK_EQ(rte_be_to_cpu_16(h->local_port) % 4, 2);
		MG_CHECK(rte_be_to_cpu_16(h->local_port) >= 1024);
		MG_CHECK(mg_ct_local_addr(ct, h->local_addr_index)->family == AF_INET);
		MG_CHECK(mg_ct_lookup_reply(ct, mg_ct_local_addr(ct, h->local_addr_index),
					    h->local_port, IPPROTO_TCP, &e4,
					    be16(80), 0) == h);
	}
	MG_CHECK_EQ(mg_ct_count(ct), 502);
	MG_CHECK_EQ(mg_ct_count_state(ct, MG_CT_SYN_SENT), 501);
	MG_CHECK_EQ(mg_ct_count_state(ct, MG_CT_UDP), 1);
	MG_CHECK_EQ(mg_ct_stats(ct)->created, 502);
	mg_ct_remove(ct, f);
	MG_CHECK_EQ(mg_ct_count(ct), 501);
	MG_CHECK(mg_ct_lookup_inbound(ct, &c4, be16(40000), 1, IPPROTO_TCP, 5) == NULL);
out:
	mg_ct_free(ct);
}

/* Port exhaustion and table full leave existing flows alone. */
static void
test_exhaustion(void)
{
	struct mg_ip addrs[3] = { ip4(0x0a140001), ip4(0x0a140002), ip6(1) };
	struct mg_ip e4 = ip4(0x0a14000b), e6 = ip6(0x11);
	struct mg_flow *flows[64];
	struct mg_ct *ct;
	uint32_t i;

	/* ports 1024..1103, worker 1 of 4: 20 ports per address */
	ct = make_ct(1000, 1, 4, 1024, 1103, addrs, 3);
	MG_CHECK(ct != NULL);
	if (ct == NULL)
		return;
	MG_CHECK_EQ(mg_ct_free_ports(ct, IPPROTO_TCP, AF_INET), 40);
	MG_CHECK_EQ(mg_ct_free_ports(ct, IPPROTO_UDP, AF_INET6), 20);
	for (i = 0; i < 40; i++) {
		struct mg_ip c = ip4(0x0b000000 + i);

		flows[i] = mg_ct_create_flow(ct, &c, be16(999), 0, IPPROTO_TCP,
					     0, &e4, be16(80), i);
		MG_CHECK(flows[i] != NULL);
		if (flows[i] == NULL)
			goto out;
		MG_CHECK_EQ(rte_be_to_cpu_16(flows[i]->local_port) % 4, 1);
	}
	{
		struct mg_ip c = ip4(0x0c000000);

		MG_CHECK(mg_ct_create_flow(ct, &c, be16(999), 0, IPPROTO_TCP, 0,
					   &e4, be16(80), 0) == NULL);
		MG_CHECK_EQ(rte_errno, EADDRINUSE);
		MG_CHECK_EQ(mg_ct_stats(ct)->errors[MG_CT_ERR_NO_LOCAL_PORT], 1);
		/* UDP and v6 have their own ports */
		MG_CHECK(mg_ct_create_flow(ct, &c, be16(999), 0, IPPROTO_UDP, 0,
					   &e4, be16(80), 0) != NULL);
		c = ip6(0x5000);
		MG_CHECK(mg_ct_create_flow(ct, &c, be16(999), 0, IPPROTO_TCP, 0,
					   &e6, be16(80), 0) != NULL);
	}
	for (i = 0; i < 40; i++) {
		struct mg_ip c = ip4(0x0b000000 + i);

		MG_CHECK(mg_ct_lookup_inbound(ct, &c, be16(999), 0, IPPROTO_TCP,
					      100) == flows[i]);
	}
	/* release one: the port comes back, and is the next one handed out */
	{
		uint16_t port = flows[7]->local_port;
		uint8_t ai = flows[7]->local_addr_index;
		struct mg_ip c = ip4(0x0c000001);
		struct mg_flow *f;

		mg_ct_remove(ct, flows[7]);
		f = mg_ct_create_flow(ct, &c, be16(999), 0, IPPROTO_TCP, 0, &e4,
				      be16(80), 0);
		MG_CHECK(f != NULL && f->local_port == port &&
			 f->local_addr_index == ai);
	}
	mg_ct_free(ct);

	/* table full */
	ct = make_ct(8, 0, 1, 1024, 65535, addrs, 3);
	MG_CHECK(ct != NULL);
	if (ct == NULL)
		return;
	for (i = 0; i < 8; i++) {
		struct mg_ip c = ip4(0x0b000000 + i);

		flows[i] = mg_ct_create_flow(ct, &c, be16(999), 0, IPPROTO_TCP,
					     0, &e4, be16(80), 0);
		MG_CHECK(flows[i] != NULL);
	}
	{
		struct mg_ip c = ip4(0x0c000000);

		MG_CHECK(mg_ct_create_flow(ct, &c, be16(999), 0, IPPROTO_UDP, 0,
					   &e4, be16(80), 0) == NULL);
		MG_CHECK_EQ(rte_errno, ENOSPC);
		MG_CHECK_EQ(mg_ct_stats(ct)->errors[MG_CT_ERR_TABLE_FULL], 1);
	}
	for (i = 0; i < 8; i++) {
		struct mg_ip c = ip4(0x0b000000 + i);

		MG_CHECK(mg_ct_lookup_inbound(ct, &c, be16(999), 0, IPPROTO_TCP,
					      0) == flows[i]);
		MG_CHECK(mg_ct_lookup_reply(ct, mg_ct_local_addr(ct,
					flows[i]->local_addr_index),
					flows[i]->local_port, IPPROTO_TCP, &e4,
					be16(80), 0) == flows[i]);
	}
	MG_CHECK_EQ(mg_ct_count(ct), 8);
out:
	mg_ct_free(ct);
}

static struct mg_flow *
mk(struct mg_ct *ct, uint32_t i, uint8_t proto, uint16_t listener,
   uint64_t now)
{
	struct mg_ip c = ip4(0x0b000000 + i), e = ip4(0x0a14000b);

	return mg_ct_create_flow(ct, &c, be16(1000), listener, proto, 0, &e,
				 be16(80), now);
}

/* Per-state timeouts and the TCP state machine. */
static void
test_timeouts(void)
{
	struct mg_ip addr = ip4(0x0a140001);
	struct mg_ct_timeouts t = { .tcp_syn = 10, .tcp_established = 900,
		.tcp_closing = 60, .tcp_closed = 5, .udp = 30 };
	struct mg_ct *ct = make_ct(64, 0, 1, 1024, 1031, &addr, 1);
	struct mg_flow *syn, *est, *closing, *closed, *udp, *f;
	uint32_t free0;

	MG_CHECK(ct != NULL);
	if (ct == NULL)
		return;
	MG_CHECK_EQ(mg_ct_set_timeouts(ct, 3, &t), 0);
	MG_CHECK_EQ(mg_ct_set_timeouts(ct, MG_CT_MAX_LISTENERS, &t), -EINVAL);
	t.udp = MG_CT_TIMEOUT_MAX_S + 1;
	MG_CHECK_EQ(mg_ct_set_timeouts(ct, 3, &t), -EINVAL);
	t.udp = 30;
	free0 = mg_ct_free_ports(ct, IPPROTO_TCP, AF_INET);
	MG_CHECK_EQ(free0, 8);

	syn = mk(ct, 1, IPPROTO_TCP, 3, 0);
	est = mk(ct, 2, IPPROTO_TCP, 3, 0);
	closing = mk(ct, 3, IPPROTO_TCP, 3, 0);
	closed = mk(ct, 4, IPPROTO_TCP, 3, 0);
	udp = mk(ct, 5, IPPROTO_UDP, 3, 0);
	MG_CHECK(syn && est && closing && closed && udp);
	if (!(syn && est && closing && closed && udp))
		goto out;
	mg_ct_tcp_update(ct, syn, MG_TCP_SYN, true);
	MG_CHECK_EQ(syn->state, MG_CT_SYN_SENT);
	mg_ct_tcp_update(ct, est, MG_TCP_SYN, true);
	/* a client ACK before the endpoint answered does not establish */
	mg_ct_tcp_update(ct, est, MG_TCP_ACK, true);
	MG_CHECK_EQ(est->state, MG_CT_SYN_SENT);
	mg_ct_tcp_update(ct, est, MG_TCP_SYN | MG_TCP_ACK, false);
	MG_CHECK_EQ(est->state, MG_CT_SYN_RECV);
	mg_ct_tcp_update(ct, est, MG_TCP_ACK, true);
	MG_CHECK_EQ(est->state, MG_CT_ESTABLISHED);
	mg_ct_tcp_update(ct, closing, MG_TCP_SYN | MG_TCP_ACK, false);
	mg_ct_tcp_update(ct, closing, MG_TCP_ACK, true);
	mg_ct_tcp_update(ct, closing, MG_TCP_FIN | MG_TCP_ACK, true);
	MG_CHECK_EQ(closing->state, MG_CT_CLOSING);
	mg_ct_tcp_update(ct, closed, MG_TCP_RST, false);
	MG_CHECK_EQ(closed->state, MG_CT_CLOSED);
	mg_ct_tcp_update(ct, udp, MG_TCP_RST, false);
	MG_CHECK_EQ(udp->state, MG_CT_UDP);
	MG_CHECK_EQ(mg_ct_count_state(ct, MG_CT_SYN_SENT), 1);
	MG_CHECK_EQ(mg_ct_count_state(ct, MG_CT_ESTABLISHED), 1);
	MG_CHECK_EQ(mg_ct_count_state(ct, MG_CT_CLOSING), 1);
	MG_CHECK_EQ(mg_ct_count_state(ct, MG_CT_CLOSED), 1);
	MG_CHECK_EQ(mg_ct_count_state(ct, MG_CT_UDP), 1);
	MG_CHECK_EQ(mg_ct_count_state(ct, MG_CT_FREE), 0);

	/* flows are looked up by address below, not through stale pointers */
	MG_CHECK_EQ(mg_ct_expire(ct, 4 * SEC, 64), 0);
	MG_CHECK_EQ(mg_ct_expire(ct, 5 * SEC, 64), 1);		/* closed */
	MG_CHECK_EQ(mg_ct_count_state(ct, MG_CT_CLOSED), 0);
	MG_CHECK_EQ(mg_ct_expire(ct, 10 * SEC - 1000, 64), 0);
	MG_CHECK_EQ(mg_ct_expire(ct, 10 * SEC, 64), 1);		/* syn */
	MG_CHECK_EQ(mg_ct_count_state(ct, MG_CT_SYN_SENT), 0);
	MG_CHECK_EQ(mg_ct_count_state(ct, MG_CT_ESTABLISHED), 1);
	MG_CHECK_EQ(mg_ct_expire(ct, 30 * SEC, 64), 1);		/* udp */
	MG_CHECK_EQ(mg_ct_expire(ct, 60 * SEC, 64), 1);		/* closing */
	MG_CHECK_EQ(mg_ct_count(ct), 1);
	MG_CHECK_EQ(mg_ct_expire(ct, 899 * SEC, 64), 0);
	/* traffic refreshes it */
	{
		struct mg_ip c = ip4(0x0b000002);

		f = mg_ct_lookup_inbound(ct, &c, be16(1000), 3, IPPROTO_TCP,
					 500 * SEC);
		MG_CHECK(f == est);
	}
	MG_CHECK_EQ(mg_ct_expire(ct, 900 * SEC, 64), 0);
	MG_CHECK_EQ(mg_ct_expire(ct, 1399 * SEC, 64), 0);
	MG_CHECK_EQ(mg_ct_expire(ct, 1400 * SEC, 64), 1);
	MG_CHECK_EQ(mg_ct_count(ct), 0);
	MG_CHECK_EQ(mg_ct_stats(ct)->expired, 5);
	MG_CHECK_EQ(mg_ct_free_ports(ct, IPPROTO_TCP, AF_INET), free0);

	/* established without refresh expires at exactly 900 s */
	f = mk(ct, 9, IPPROTO_TCP, 3, 2000 * SEC);
	MG_CHECK(f != NULL);
	if (f == NULL)
		goto out;
	mg_ct_tcp_update(ct, f, MG_TCP_SYN, true);
	mg_ct_tcp_update(ct, f, MG_TCP_SYN | MG_TCP_ACK, false);
	mg_ct_tcp_update(ct, f, MG_TCP_ACK, true);
	MG_CHECK_EQ(mg_ct_expire(ct, 2010 * SEC, 64), 0);
	MG_CHECK_EQ(mg_ct_expire(ct, 2899 * SEC, 64), 0);
	/* both FINs close; a new client SYN reopens the same flow */
	mg_ct_tcp_update(ct, f, MG_TCP_FIN | MG_TCP_ACK, false);
	MG_CHECK_EQ(f->state, MG_CT_CLOSING);
	mg_ct_tcp_update(ct, f, MG_TCP_FIN | MG_TCP_ACK, true);
	MG_CHECK_EQ(f->state, MG_CT_CLOSED);
	mg_ct_tcp_update(ct, f, MG_TCP_SYN, true);
	MG_CHECK_EQ(f->state, MG_CT_SYN_SENT);
	MG_CHECK_EQ(f->fins, 0);
	mg_ct_tcp_update(ct, f, MG_TCP_SYN | MG_TCP_ACK, false);
	mg_ct_tcp_update(ct, f, MG_TCP_ACK, true);
	MG_CHECK_EQ(mg_ct_expire(ct, 2900 * SEC, 64), 1);
	MG_CHECK_EQ(mg_ct_count(ct), 0);

	/* default timeouts on another listener: syn 10 s, established 900 s */
	f = mk(ct, 10, IPPROTO_TCP, 7, 3000 * SEC);
	MG_CHECK_EQ(mg_ct_expire(ct, 3009 * SEC, 64), 0);
	MG_CHECK_EQ(mg_ct_expire(ct, 3010 * SEC, 64), 1);

	/* expiry gives the ports back for reuse: fill, expire, fill again */
	{
		uint32_t round, i;

		for (round = 0; round < 3; round++) {
			uint64_t t0 = (4000 + round * 100) * SEC;

			for (i = 0; i < free0; i++)
				MG_CHECK(mk(ct, 100 + i, IPPROTO_TCP, 3, t0) != NULL);
			MG_CHECK(mk(ct, 200, IPPROTO_TCP, 3, t0) == NULL);
			MG_CHECK_EQ(rte_errno, EADDRINUSE);
			MG_CHECK_EQ(mg_ct_free_ports(ct, IPPROTO_TCP, AF_INET), 0);
			/* budget 1 per call: incremental */
			for (i = 0; i < 64; i++)
				mg_ct_expire(ct, t0 + 10 * SEC, 1);
			MG_CHECK_EQ(mg_ct_count(ct), 0);
			MG_CHECK_EQ(mg_ct_free_ports(ct, IPPROTO_TCP, AF_INET), free0);
		}
	}
	/* 32-bit millisecond clock wrap */
	{
		uint64_t wrap = (1ULL << 32) * 1000;

		f = mk(ct, 300, IPPROTO_UDP, 3, wrap - 5 * SEC);
		MG_CHECK(f != NULL);
		MG_CHECK_EQ(mg_ct_expire(ct, wrap + 20 * SEC, 64), 0);
		MG_CHECK_EQ(mg_ct_expire(ct, wrap + 25 * SEC, 64), 1);
	}
out:
	mg_ct_free(ct);
}

/* Bytes per flow at one million flows, 16 and 32 local addresses. */
static void
test_memory(void)
{
	static const uint32_t n_addrs[] = { 1, 16, 32 };
	struct mg_ip addrs[32];
	uint32_t i, k;

	for (i = 0; i < 32; i++)
		addrs[i] = i % 2 ? ip6((uint16_t)(i + 1)) : ip4(0x0a140001 + i);
	for (k = 0; k < 3; k++) {
		struct mg_ct *ct = make_ct(1000000, 0, 1, 1024, 65535, addrs,
					   n_addrs[k]);
		double per_flow;

		MG_CHECK(ct != NULL);
		if (ct == NULL)
			continue;
		per_flow = (double)mg_ct_memory(ct) / 1000000;
		printf("conntrack: %u local addrs, 1 worker: %.1f bytes/flow\n",
		       n_addrs[k], per_flow);
		MG_CHECK(per_flow <= 128.0);
		mg_ct_free(ct);
	}
}

/*
 * Random operations against a plain reference model. Keys come from a
 * small space so that creates collide with live flows, and time moves in
 * random steps so that flows expire in the middle of it.
 */
#define REF_KEYS 20000

struct ref {
	bool live;
	uint16_t endpoint;
	uint16_t local_port;
	uint8_t local_addr;
	uint64_t last_us;
	uint32_t timeout_s;
};

static void
ref_key(uint32_t k, struct mg_ip *c, uint16_t *port, uint8_t *proto,
	uint16_t *listener)
{
	if (k % 3 == 0)
		*c = ip6((uint16_t)(k / 7));
	else
		*c = ip4(0x0b000000 + k / 7);
	*port = be16((uint16_t)(1000 + k % 7));
	*proto = k % 2 ? IPPROTO_UDP : IPPROTO_TCP;
	*listener = (uint16_t)(k % 5);
}

static void
test_reference(void)
{
	struct mg_ip addrs[4] = { ip4(0x0a140001), ip6(1), ip4(0x0a140002),
				  ip6(2) };
	struct mg_ct_timeouts t = { .tcp_syn = 10, .udp = 30,
		.tcp_established = 900, .tcp_closing = 60, .tcp_closed = 10 };
	struct ref *model = calloc(REF_KEYS, sizeof(*model));
	struct mg_ct *ct = make_ct(2000, 1, 3, 1024, 20000, addrs, 4);
	uint64_t now = 0;
	uint32_t op, live = 0, mismatch = 0, l;

	MG_CHECK(ct != NULL);
	if (ct == NULL)
		goto out;
	for (l = 0; l < 5; l++)
		mg_ct_set_timeouts(ct, (uint16_t)l, &t);
	for (op = 0; op < 100000; op++) {
		uint32_t k = rnd() % REF_KEYS, r = rnd() % 100;
		struct ref *m = &model[k];
		struct mg_ip c, e;
		uint16_t port, lis;
		uint8_t proto;
		struct mg_flow *f;
		bool may_expire;

		ref_key(k, &c, &port, &proto, &lis);
		e = c.family == AF_INET ? ip4(0x0a140000 + k % 3) : ip6((uint16_t)(0x10 + k % 3));
		may_expire = m->live && now - m->last_us >= m->timeout_s * SEC;
		if (r < 60) {
			/* the data-plane pattern: lookup, else create */
			f = mg_ct_lookup_inbound(ct, &c, port, lis, proto, now);
			if (f == NULL && m->live && !may_expire)
				mismatch++;
			if (f != NULL && !m->live)
				mismatch++;
			if (f == NULL && m->live) {
				m->live = false;	/* swept */
				live--;
			}
			if (f != NULL) {
				if (f->endpoint_index != m->endpoint ||
				    f->local_port != m->local_port ||
				    f->local_addr_index != m->local_addr)
					mismatch++;
				m->last_us = now;
				continue;
			}
			f = mg_ct_create_flow(ct, &c, port, lis, proto,
					      (uint16_t)(k % 50), &e,
					      be16(80), now);
			if (f == NULL) {
				/* only a full table: 12652 ports per family */
				if (rte_errno != ENOSPC || mg_ct_count(ct) != 2000)
					mismatch++;
				continue;
			}
			if (rte_be_to_cpu_16(f->local_port) % 3 != 1)
				mismatch++;
			m->live = true;
			m->endpoint = (uint16_t)(k % 50);
			m->local_port = f->local_port;
			m->local_addr = f->local_addr_index;
			m->last_us = now;
			m->timeout_s = proto == IPPROTO_TCP ? 10 : 30;
			live++;
		} else if (r < 75) {
			/* replies find the same flow through the port index */
			if (!m->live)
				continue;
			f = mg_ct_lookup_reply(ct, mg_ct_local_addr(ct, m->local_addr),
					       m->local_port, proto, &e, be16(80),
					       now);
			if (f != NULL) {
				struct mg_ip got;

				mg_flow_client(f, &got);
				if (!mg_ip_eq(&got, &c) || f->client_port != port ||
				    f->listener_id != lis)
					f = NULL;	/* the port went to another flow */
			}
			if (f == NULL) {
				if (!may_expire)
					mismatch++;
				m->live = false;
				live--;
				continue;
			}
			m->last_us = now;
		} else if (r < 80) {
			f = mg_ct_lookup_inbound(ct, &c, port, lis, proto, now);
			if (f != NULL) {
				mg_ct_remove(ct, f);
				if (m->live)
					live--;
				else
					mismatch++;
				m->live = false;
			} else if (m->live) {
				if (!may_expire)
					mismatch++;
				m->live = false;
				live--;
			}
		} else if (r < 95) {
			mg_ct_expire(ct, now, 16);
		} else {
			now += (rnd() % 200) * 1000;
		}
		if (mg_ct_count(ct) > live)
			mismatch++;	/* the model may only lag behind sweeps */
		if (mismatch != 0) {
			fprintf(stderr, "  reference mismatch at op %u (r %u key %u live %u errno %d)\n", op, r, k, live, rte_errno);
			break;
		}
	}
	MG_CHECK_EQ(mismatch, 0);
	{
		const struct mg_ct_stats *st = mg_ct_stats(ct);

		printf("reference: %u ops, %"PRIu64" created, %"PRIu64" expired, "
		       "%"PRIu64" removed, %"PRIu64" table full\n", op,
		       st->created, st->expired, st->removed,
		       st->errors[MG_CT_ERR_TABLE_FULL]);
		MG_CHECK(st->expired > 1000 && st->removed > 100 &&
			 st->errors[MG_CT_ERR_TABLE_FULL] > 0);
	}
	/* a full sweep far in the future frees everything the model holds */
	now += 1000 * SEC;
	mg_ct_expire(ct, now, 2000);
	MG_CHECK_EQ(mg_ct_count(ct), 0);
	for (l = 0; l < 5; l++)
		MG_CHECK_EQ(mg_ct_count_state(ct, MG_CT_SYN_SENT + l), 0);
	MG_CHECK_EQ(mg_ct_free_ports(ct, IPPROTO_TCP, AF_INET),
		    2 * ((20000 - 1024) / 3 + 1));
	MG_CHECK_EQ(mg_ct_free_ports(ct, IPPROTO_UDP, AF_INET6),
		    mg_ct_free_ports(ct, IPPROTO_TCP, AF_INET));
out:
	mg_ct_free(ct);
	free(model);
}

/* One million random flows: insert, look up both ways, expire, repeat. */
static void
test_million(void)
{
	struct mg_ip addrs[16];
	const uint32_t n = 1000000;
	struct mg_ct *ct;
	uint32_t i, round, bad = 0;
	uint64_t seed0;

	for (i = 0; i < 16; i++)
		addrs[i] = ip4(0x0a140001 + i);
	ct = make_ct(n, 0, 1, 1024, 65535, addrs, 16);
	MG_CHECK(ct != NULL);
	if (ct == NULL)
		return;
	for (round = 0; round < 2; round++) {
		uint64_t t0 = round * 10000 * SEC;
		uint32_t created = 0;

		seed0 = rng;
		for (i = 0; i < n; i++) {
			struct mg_ip c = ip4(rnd());
			uint16_t port = (uint16_t)rnd();
			uint8_t proto = rnd() % 2 ? IPPROTO_TCP : IPPROTO_UDP;
			struct mg_ip e = ip4(0x0a140000 + port % 200);

			if (mg_ct_lookup_inbound(ct, &c, port, 0, proto, t0) != NULL)
				continue;	/* a random repeat */
			if (mg_ct_create_flow(ct, &c, port, 0, proto, port % 200,
					      &e, be16(80), t0) == NULL)
				bad++;
			else
				created++;
		}
		MG_CHECK_EQ(bad, 0);
		MG_CHECK_EQ(mg_ct_count(ct), created);
		/* replay the same sequence: every flow is found both ways */
		rng = seed0;
		for (i = 0; i < n; i++) {
			struct mg_ip c = ip4(rnd());
			uint16_t port = (uint16_t)rnd();
			uint8_t proto = rnd() % 2 ? IPPROTO_TCP : IPPROTO_UDP;
			struct mg_ip e = ip4(0x0a140000 + port % 200);
			struct mg_flow *f;

			f = mg_ct_lookup_inbound(ct, &c, port, 0, proto, t0 + SEC);
			if (f == NULL || f->endpoint_index != port % 200) {
				bad++;
				continue;
			}
			if (mg_ct_lookup_reply(ct, mg_ct_local_addr(ct, f->local_addr_index),
					       f->local_port, proto, &e, be16(80),
					       t0 + SEC) != f)
				bad++;
		}
		MG_CHECK_EQ(bad, 0);
		/* syn is 10 s, udp 300 s: sweep in small budgets */
		for (i = 0; i < 2 * n / 256 + 1; i++)
			mg_ct_expire(ct, t0 + 400 * SEC, 256);
		MG_CHECK_EQ(mg_ct_count(ct), 0);
		MG_CHECK_EQ(mg_ct_free_ports(ct, IPPROTO_TCP, AF_INET), 16 * 64512);
		MG_CHECK_EQ(mg_ct_free_ports(ct, IPPROTO_UDP, AF_INET), 16 * 64512);
	}
	mg_ct_free(ct);
}

static void
test_flow_hash(void)
{
	struct mg_ip a = ip4(0x0a0a0002), b = ip6(0x1002);
	uint64_t h1 = mg_l4lb_flow_hash(&a, be16(1000), IPPROTO_TCP);

	MG_CHECK(h1 == mg_l4lb_flow_hash(&a, be16(1000), IPPROTO_TCP));
	MG_CHECK(h1 != mg_l4lb_flow_hash(&a, be16(1001), IPPROTO_TCP));
	MG_CHECK(h1 != mg_l4lb_flow_hash(&a, be16(1000), IPPROTO_UDP));
	MG_CHECK(mg_l4lb_flow_hash(&b, be16(1000), IPPROTO_TCP) ==
		 mg_l4lb_flow_hash(&b, be16(1000), IPPROTO_TCP));
	MG_CHECK(mg_l4lb_flow_hash(&b, be16(1000), IPPROTO_TCP) !=
		 mg_l4lb_flow_hash(&b, be16(1001), IPPROTO_TCP));
}

int
main(void)
{
	if (mg_test_eal_init("test_l4lb_conntrack") < 0)
		return EXIT_FAILURE;
	test_params();
	test_basic();
	test_exhaustion();
	test_timeouts();
	test_memory();
	test_reference();
	test_million();
	test_flow_hash();
	return mg_test_done("test_l4lb_conntrack");
}
