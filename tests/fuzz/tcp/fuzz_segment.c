/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Segment input of the TCP stack under libFuzzer. Each input is a
 * sequence of records, each one segment sent to a fresh stack B that
 * listens on 10.0.0.2:80 (built once per input, so runs are independent):
 *
 *   u8 flags | u8 mode | u32 seq | u32 ack | u16 win | u8 optlen |
 *   optlen bytes of options | u16 paylen (capped) | u16 advance_ms
 *
 * mode bit 0: seq is relative to what the stack expects (its rcv_nxt);
 * bit 1: ack relative to its snd_una; bit 2: a bad checksum; bit 3: the
 * source port of a second client; bits 4-5: the application reads,
 * sends, shuts down or closes after the segment.
 * FUZZ_ESTABLISHED: a scripted handshake (SYN with MSS, SACK, timestamps
 * and window scale, then the ACK) opens the connection first.
 * Payload bytes are the record's own bytes (the content does not matter).
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "mg_test.h"
#include "mg_net.h"
#include "tcp_private.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct rte_mempool *pool;
static struct mg_tcp_stack *stack;
static struct mg_ip addr_a, addr_b;
static uint32_t last_isn;		/* of the last SYN-ACK B sent */
static struct mg_tcp_conn *app_conn;
static uint8_t app_action;
static uint64_t now_us;

static int
xmit(void *ctx, struct rte_mbuf *m, uint8_t family)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	unsigned l3 = family == AF_INET ? (p[0] & 15) * 4u : 40u;
	const struct rte_tcp_hdr *th = (const struct rte_tcp_hdr *)(p + l3);

	(void)ctx;
	if ((th->tcp_flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) ==
	    (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG))
		last_isn = rte_be_to_cpu_32(th->sent_seq);
	rte_pktmbuf_free(m);
	return 0;
}

static void
app_event(struct mg_tcp_conn *c, enum mg_tcp_event ev, void *user)
{
	struct rte_mbuf *m;
	bool eof;

	(void)user;
	switch (ev) {
	case MG_TCP_EV_ACCEPTED:
		app_conn = c;
		break;
	case MG_TCP_EV_READABLE:
		if ((app_action & 3) != 1)
			while (mg_tcp_recv(c, &m, UINT32_MAX, &eof) > 0)
				rte_pktmbuf_free(m);
		break;
	case MG_TCP_EV_CLOSED:
		if (app_conn == c)
			app_conn = NULL;
		break;
	default:
		break;
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	rte_log_set_global_level(RTE_LOG_CRIT);
	if (mg_test_eal_init((*argv)[0]) != 0)
		abort();
	pool = rte_pktmbuf_pool_create("fuzz_tcp", 8191, 0, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (pool == NULL)
		abort();
	mg_ip_set_v4(&addr_a, rte_cpu_to_be_32(0x0a000001));
	mg_ip_set_v4(&addr_b, rte_cpu_to_be_32(0x0a000002));
	return 0;
}

static void
send_seg(uint16_t sport, uint32_t seq, uint32_t ack, uint8_t flags,
	 uint16_t win, const uint8_t *opt, unsigned optlen,
	 const uint8_t *pay, unsigned paylen, bool bad_csum)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	unsigned olen = (optlen + 3) & ~3u;
	unsigned total = 14 + 20 + 20 + olen + paylen;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;
	struct mg_pkt p;
	uint8_t *b;

	if (m == NULL)
		return;
	b = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)total);
	if (b == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	memset(b, 0, total);
	((struct rte_ether_hdr *)b)->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(b + 14);
	th = (struct rte_tcp_hdr *)(ip + 1);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(total - 14));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = addr_a.v4;
	ip->dst_addr = addr_b.v4;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	th->src_port = rte_cpu_to_be_16(sport);
	th->dst_port = rte_cpu_to_be_16(80);
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32(ack);
	th->data_off = (uint8_t)(((20 + olen) / 4) << 4);
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(win);
	if (optlen > 0)
		memcpy(th + 1, opt, optlen);
	if (paylen > 0)
		memcpy((uint8_t *)(th + 1) + olen, pay, paylen);
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	if (bad_csum)
		th->cksum ^= 0x5a5a;
	if (mg_pkt_parse(m, &p) != MG_NET_OK) {
		rte_pktmbuf_free(m);
		return;
	}
	mg_tcp_input(stack, m, &p, now_us);
}

static void
setup(void)
{
	struct mg_tcp_stack_params sp = {
		.max_conns = 16, .mtu = 1500, .n_workers = 1, .seed = 1,
		.max_memory = 4u << 20, .pool = pool, .xmit = xmit,
	};
	struct mg_tcp_listen_params lp = {
		.port = 80, .syn_backlog = 4, .syncookie_threshold = 2,
		.event = app_event,
		.conn = { .rcv_buf = 65536, .snd_buf = 65536, .timestamps = true,
			  .sack = true, .window_scaling = true, .cc = "cubic",
			  .keepalive_idle_s = 5, .keepalive_intvl_s = 1,
			  .keepalive_probes = 2 },
	};

	now_us = 1000000;
	last_isn = 0;
	app_conn = NULL;
	app_action = 0;
	stack = mg_tcp_stack_create(&sp);
	if (stack == NULL)
		abort();
	lp.addr = addr_b;
	if (mg_tcp_listen(stack, &lp) == NULL)
		abort();
#ifdef FUZZ_ESTABLISHED
	{
		static const uint8_t syn_opt[] = {
			2, 4, 0x05, 0xb4,		/* MSS 1460 */
			4, 2,				/* SACK permitted */
			8, 10, 0, 0, 0, 100, 0, 0, 0, 0,	/* TS */
			1, 3, 3, 7,			/* NOP, wscale 7 */
		};
		static const uint8_t ack_opt[] = {
			1, 1, 8, 10, 0, 0, 0, 101, 0, 0, 0, 0,
		};
		uint8_t ao[sizeof(ack_opt)];

		send_seg(1000, 5000, 0, RTE_TCP_SYN_FLAG, 65535, syn_opt,
			 sizeof(syn_opt), NULL, 0, false);
		memcpy(ao, ack_opt, sizeof(ao));
		memcpy(ao + 8, &(uint32_t){ 0 }, 4);
		now_us += 1000;
		send_seg(1000, 5001, last_isn + 1, RTE_TCP_ACK_FLAG, 512, ao,
			 sizeof(ao), NULL, 0, false);
	}
#endif
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;
	unsigned n = 0;

	setup();
	while (off + 15 <= size && n++ < 64) {
		const uint8_t *r = data + off;
		uint8_t flags = r[0], mode = r[1], optlen = r[12];
		uint32_t seq = rd32(r + 2), ack = rd32(r + 6);
		uint16_t win = (uint16_t)(r[10] << 8 | r[11]);
		uint16_t paylen, adv;
		const uint8_t *opt;
		struct mg_tcp_conn *c;
		uint16_t sport = (mode & 8) ? 1001 : 1000;

		off += 13;
		if (optlen > 40)
			optlen = 40;
		if (off + optlen + 4 > size)
			break;
		opt = data + off;
		off += optlen;
		paylen = (uint16_t)((data[off] << 8 | data[off + 1]) % 1500);
		adv = (uint16_t)(data[off + 2] << 8 | data[off + 3]);
		off += 4;
		c = tcp_conn_lookup(stack, &addr_b, 80, &addr_a, sport);
		if ((mode & 1) && c != NULL)
			seq += c->rcv_nxt;
		if (mode & 2)
			ack += c != NULL ? c->snd_una : last_isn + 1;
		app_action = (uint8_t)(mode >> 4);
		send_seg(sport, seq, ack, flags, win, opt, optlen, data,
			 RTE_MIN((size_t)paylen, size), (mode & 4) != 0);
		if (app_conn != NULL) {
			switch (app_action & 3) {
			case 1:
				mg_tcp_send_copy(app_conn, data,
						 (uint32_t)RTE_MIN(size, (size_t)3000),
						 now_us);
				break;
			case 2:
				mg_tcp_shutdown(app_conn, now_us);
				break;
			case 3:
				if (mode & 0x40)
					mg_tcp_abort(app_conn, now_us);
				else
					mg_tcp_close(app_conn, now_us);
				break;
			default:
				break;
			}
		}
		now_us += (uint64_t)adv * 1000;
		mg_tcp_timers(stack, now_us);
	}
	mg_tcp_stack_free(stack);
	stack = NULL;
	/* Every mbuf the stack took must be back. */
	if (rte_mempool_in_use_count(pool) != 0)
		abort();
	return 0;
}
