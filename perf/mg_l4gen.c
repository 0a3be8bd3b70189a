/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mg_l4gen: the traffic generator and sink of the L4 benchmark
 * (perf/run_l4.sh). One lcore drives two ports:
 *
 *   port 0 "ext": sends client frames to VIP:vport from N flows (client
 *       address base + i / ports_per_client, source port sport_base +
 *       i % ports_per_client), answers ARP for the client addresses,
 *       learns the device-under-test's MAC from its ARP replies, and counts
 *       what comes back (replies through the NAT).
 *   port 1 "int": plays the endpoints: answers ARP for them, answers a TCP
 *       SYN with a SYN-ACK (so flows become established), counts what
 *       arrives and, with --reflect, sends it back with addresses and ports
 *       swapped.
 *
 * Phases: link up; ARP from every client address (the DUT learns them and
 * answers); priming packets until a whole burst crosses (the DUT has
 * resolved the endpoints); the first pass over all flows (TCP: one SYN per
 * flow; UDP: the first datagram), timed at the sink = new flows per second;
 * then data (TCP: ACK-flagged) for warm-up + the measured window.
 *
 * Transmission retries what a full ring refused: memif rings apply
 * back-pressure, so the rate measured at the sink is the rate the device
 * under test drains, not what the generator could offer.
 *
 * Data packets carry a non-zero but not valid L4 checksum (the payload is
 * not written, to keep the generator fast); the appliance updates L4
 * checksums incrementally and does not verify those of forwarded packets,
 * so its work is the same.
 *
 * Output: one line "result key=value ..." on stdout.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#define GEN_EXT		0
#define GEN_INT		1
#define GEN_MAX_BURST	64
#define GEN_PRIME_FLOWS	64

struct gen_opts {
	uint8_t proto;
	uint32_t size;			/* Ethernet frame incl. FCS */
	uint32_t flows;
	uint32_t vip;			/* network order */
	uint16_t vport;
	uint32_t client_base;		/* host order */
	uint32_t ports_per_client;
	uint16_t sport_base;
	uint32_t int_lo, int_hi;	/* endpoint range, host order */
	struct rte_ether_addr dut_mac;
	double warmup_s, duration_s, setup_timeout_s;
	bool reflect;
	uint16_t burst;
};

struct gen_counters {
	uint64_t tx, int_rx, int_rx_bytes, ext_rx, syn_rx, synack_tx;
	uint64_t arp_answered_int, arp_answered_ext, tx_refused;
};

static volatile sig_atomic_t stop;
static struct gen_opts o;
static struct gen_counters c;
static struct rte_mempool *pool;
static struct rte_ether_addr mac[2];
static bool dut_mac_learned;

/* A burst waiting for room on a port. */
struct pending {
	uint16_t n, off;
	struct rte_mbuf *pkts[GEN_MAX_BURST];
};
static struct pending pend_ext;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double
now_s(void)
{
	return (double)rte_rdtsc() / (double)rte_get_tsc_hz();
}

static uint32_t
client_addr(uint32_t flow)
{
	return htonl(o.client_base + flow / o.ports_per_client);
}

static uint16_t
client_port(uint32_t flow)
{
	return htons((uint16_t)(o.sport_base + flow % o.ports_per_client));
}

static void
send_or_free(uint16_t port, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t sent = n ? rte_eth_tx_burst(port, 0, pkts, n) : 0;

	if (sent < n)
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
}

/* Write one client frame for @p flow; @p flags 0 means UDP. */
static void
build_frame(struct rte_mbuf *m, uint32_t flow, uint8_t proto, uint8_t tflags,
	    uint32_t frame_len)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);
	uint16_t l3_len = (uint16_t)(frame_len - sizeof(*eh));

	rte_ether_addr_copy(&o.dut_mac, &eh->dst_addr);
	rte_ether_addr_copy(&mac[GEN_EXT], &eh->src_addr);
	eh->ether_type = htons(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0;
	ip->total_length = htons(l3_len);
	ip->packet_id = 0;
	ip->fragment_offset = 0;
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = client_addr(flow);
	ip->dst_addr = o.vip;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	if (proto == IPPROTO_UDP) {
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)(ip + 1);

		u->src_port = client_port(flow);
		u->dst_port = htons(o.vport);
		u->dgram_len = htons((uint16_t)(l3_len - sizeof(*ip)));
		u->dgram_cksum = 0x5a5a;	/* non-zero: the NAT updates it */
	} else {
		struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)(ip + 1);

		t->src_port = client_port(flow);
		t->dst_port = htons(o.vport);
		t->sent_seq = htonl(flow);
		t->recv_ack = tflags & RTE_TCP_ACK_FLAG ? htonl(1) : 0;
		t->data_off = (sizeof(*t) / 4) << 4;
		t->tcp_flags = tflags;
		t->rx_win = htons(65535);
		t->cksum = 0x5a5a;
		t->tcp_urp = 0;
	}
	m->data_len = (uint16_t)frame_len;
	m->pkt_len = frame_len;
}

/* Send what a full ring refused before anything new. */
static bool
flush_pending(void)
{
	struct pending *p = &pend_ext;
	uint16_t sent;

	if (p->off == p->n)
		return true;
	sent = rte_eth_tx_burst(GEN_EXT, 0, p->pkts + p->off, p->n - p->off);
	c.tx += sent;
	p->off += sent;
	if (p->off < p->n)
		c.tx_refused++;
	return p->off == p->n;
}

/* Queue up to @p max frames (one burst) for flows next, next+1, ...
 * (wrapping at the flow count); returns how many were queued. */
static uint16_t
gen_burst(uint32_t *next, uint8_t proto, uint8_t tflags, uint32_t frame_len,
	  uint64_t max)
{
	struct pending *p = &pend_ext;
	uint16_t n = max < o.burst ? (uint16_t)max : o.burst;

	if (n == 0 || !flush_pending())
		return 0;
	if (rte_pktmbuf_alloc_bulk(pool, p->pkts, n) != 0)
		return 0;
	for (uint16_t i = 0; i < n; i++) {
		build_frame(p->pkts[i], *next, proto, tflags, frame_len);
		if (++*next == o.flows)
			*next = 0;
	}
	p->n = n;
	p->off = 0;
	flush_pending();
	return n;
}

static void
arp_build(struct rte_mbuf *m, uint16_t op, const struct rte_ether_addr *sha,
	  uint32_t sip, const struct rte_ether_addr *tha, uint32_t tip,
	  const struct rte_ether_addr *dst)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *a = (struct rte_arp_hdr *)(eh + 1);

	rte_ether_addr_copy(dst, &eh->dst_addr);
	rte_ether_addr_copy(sha, &eh->src_addr);
	eh->ether_type = htons(RTE_ETHER_TYPE_ARP);
	a->arp_hardware = htons(RTE_ARP_HRD_ETHER);
	a->arp_protocol = htons(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = RTE_ETHER_ADDR_LEN;
	a->arp_plen = 4;
	a->arp_opcode = htons(op);
	rte_ether_addr_copy(sha, &a->arp_data.arp_sha);
	a->arp_data.arp_sip = sip;
	rte_ether_addr_copy(tha, &a->arp_data.arp_tha);
	a->arp_data.arp_tip = tip;
	m->data_len = m->pkt_len = RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN;
	memset((uint8_t *)(a + 1), 0, m->data_len - sizeof(*eh) - sizeof(*a));
}

/* Answer an ARP request in place when it asks for an address this side
 * plays; learn the DUT's MAC from replies on ext. true: @p m was reused. */
static bool
arp_input(uint16_t port, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *a = (struct rte_arp_hdr *)(eh + 1);
	uint32_t tip, lo, hi;
	struct rte_ether_addr sha;
	uint32_t sip;

	if (m->data_len < sizeof(*eh) + sizeof(*a))
		return false;
	if (a->arp_opcode == htons(RTE_ARP_OP_REPLY)) {
		if (port == GEN_EXT && a->arp_data.arp_sip == o.vip) {
			rte_ether_addr_copy(&a->arp_data.arp_sha, &o.dut_mac);
			dut_mac_learned = true;
		}
		return false;
	}
	if (a->arp_opcode != htons(RTE_ARP_OP_REQUEST))
		return false;
	tip = ntohl(a->arp_data.arp_tip);
	if (port == GEN_EXT) {
		lo = o.client_base - 1;	/* the priming client */
		hi = o.client_base + (o.flows - 1) / o.ports_per_client;
	} else {
		lo = o.int_lo;
		hi = o.int_hi;
	}
	if (tip < lo || tip > hi)
		return false;
	rte_ether_addr_copy(&a->arp_data.arp_sha, &sha);
	sip = a->arp_data.arp_sip;
	arp_build(m, RTE_ARP_OP_REPLY, &mac[port], htonl(tip), &sha, sip, &sha);
	if (port == GEN_EXT)
		c.arp_answered_ext++;
	else
		c.arp_answered_int++;
	return true;
}

/* Turn a frame around: MACs, addresses and ports swapped (checksums stay
 * valid: the sums do not change). */
static void
swap_frame(struct rte_mbuf *m)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);
	struct rte_ether_addr t;
	uint32_t a;
	uint16_t *ports = (uint16_t *)((uint8_t *)ip + (ip->version_ihl & 0xf) * 4);
	uint16_t p;

	rte_ether_addr_copy(&eh->src_addr, &t);
	rte_ether_addr_copy(&eh->dst_addr, &eh->src_addr);
	rte_ether_addr_copy(&t, &eh->dst_addr);
	a = ip->src_addr;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = a;
	p = ports[0];
	ports[0] = ports[1];
	ports[1] = p;
}

static void
poll_port(uint16_t port)
{
	struct rte_mbuf *pkts[GEN_MAX_BURST], *back[GEN_MAX_BURST];
	uint16_t n, nb = 0;

	n = rte_eth_rx_burst(port, 0, pkts, GEN_MAX_BURST);
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

		if (eh->ether_type == htons(RTE_ETHER_TYPE_ARP)) {
			if (arp_input(port, m))
				back[nb++] = m;
			else
				rte_pktmbuf_free(m);
			continue;
		}
		if (port == GEN_EXT) {
			c.ext_rx++;
			rte_pktmbuf_free(m);
			continue;
		}
		c.int_rx++;
		c.int_rx_bytes += m->pkt_len;
		if (eh->ether_type == htons(RTE_ETHER_TYPE_IPV4) &&
		    m->data_len >= sizeof(*eh) + sizeof(struct rte_ipv4_hdr) +
				   sizeof(struct rte_tcp_hdr)) {
			struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);
			struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)(ip + 1);

			if (ip->next_proto_id == IPPROTO_TCP &&
			    (t->tcp_flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) ==
			    RTE_TCP_SYN_FLAG) {
				/* Be the endpoint: SYN-ACK, so the flow can
				 * become established. */
				c.syn_rx++;
				swap_frame(m);
				t->recv_ack = htonl(ntohl(t->sent_seq) + 1);
				t->sent_seq = htonl(1000);
				t->tcp_flags = RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG;
				back[nb++] = m;
				c.synack_tx++;
				continue;
			}
		}
		if (o.reflect) {
			swap_frame(m);
			back[nb++] = m;
		} else {
			rte_pktmbuf_free(m);
		}
	}
	send_or_free(port, back, nb);
}

static void
poll_all(void)
{
	poll_port(GEN_INT);
	poll_port(GEN_EXT);
}

static int
port_init(uint16_t port)
{
	struct rte_eth_conf conf;
	uint16_t rxd = 1024, txd = 1024;
	int rc;

	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_configure(port, 1, 1, &conf);
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &rxd, &txd);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(port, 0, rxd, rte_eth_dev_socket_id(port),
					    NULL, pool);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(port, 0, txd, rte_eth_dev_socket_id(port),
					    NULL);
	if (rc == 0)
		rc = rte_eth_macaddr_get(port, &mac[port]);
	if (rc == 0)
		rc = rte_eth_dev_start(port);
	return rc;
}

static bool
links_up(void)
{
	for (uint16_t p = 0; p < 2; p++) {
		struct rte_eth_link l;

		if (rte_eth_link_get_nowait(p, &l) != 0 || !l.link_status)
			return false;
	}
	return true;
}

/* Run the poll loop for @p s seconds (or until stop). */
static void
idle_for(double s)
{
	double end = now_s() + s;

	while (!stop && now_s() < end)
		poll_all();
}

/* ARP from every client address: the DUT learns the clients (it will
 * need them for replies) and tells its MAC. */
static void
announce_clients(void)
{
	uint32_t n_clients = (o.flows - 1) / o.ports_per_client + 2;
	struct rte_ether_addr zero = { { 0 } }, bcast;

	memset(&bcast, 0xff, sizeof(bcast));
	for (uint32_t i = 0; i < n_clients; i++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

		if (m == NULL)
			break;
		arp_build(m, RTE_ARP_OP_REQUEST, &mac[GEN_EXT],
			  htonl(o.client_base - 1 + i), &zero, o.vip, &bcast);
		send_or_free(GEN_EXT, &m, 1);
	}
}

/* Priming bursts from the priming client until one whole burst crosses:
 * the DUT has then resolved every endpoint it balances to. */
static int
prime(void)
{
	double end = now_s() + o.setup_timeout_s;

	while (!stop && now_s() < end) {
		struct rte_mbuf *pkts[GEN_PRIME_FLOWS];
		uint64_t before = c.int_rx;

		if (rte_pktmbuf_alloc_bulk(pool, pkts, GEN_PRIME_FLOWS) != 0)
			return -ENOMEM;
		for (uint32_t i = 0; i < GEN_PRIME_FLOWS; i++) {
			build_frame(pkts[i], 0, IPPROTO_UDP, 0, 60);
			struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(pkts[i],
				struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
			struct rte_udp_hdr *u = (struct rte_udp_hdr *)(ip + 1);

			ip->src_addr = htonl(o.client_base - 1);
			ip->hdr_checksum = 0;
			ip->hdr_checksum = rte_ipv4_cksum(ip);
			u->src_port = htons((uint16_t)(60000 + i));
		}
		send_or_free(GEN_EXT, pkts, GEN_PRIME_FLOWS);
		idle_for(0.05);
		if (c.int_rx - before >= GEN_PRIME_FLOWS)
			return 0;
	}
	return -ETIMEDOUT;
}

static int
parse_ip(const char *s, uint32_t *host)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*host = ntohl(a.s_addr);
	return 0;
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: mg_l4gen [EAL args] -- [--proto udp|tcp] [--size 64..1518]\n"
		"         [--flows N] [--vip A] [--vport P] [--client-base A]\n"
		"         [--ports-per-client N] [--sport-base P]\n"
		"         [--endpoints A-B] [--dut-mac MAC] [--warmup S] [--duration S]\n"
		"         [--setup-timeout S] [--burst N] [--reflect]\n"
		"  EAL: two ports, 0 = ext (towards the VIP), 1 = int (the endpoints).\n");
}

static int
parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "proto", 1, NULL, 'p' }, { "size", 1, NULL, 's' },
		{ "flows", 1, NULL, 'f' }, { "vip", 1, NULL, 'v' },
		{ "vport", 1, NULL, 'V' }, { "client-base", 1, NULL, 'c' },
		{ "ports-per-client", 1, NULL, 'P' }, { "sport-base", 1, NULL, 'S' },
		{ "endpoints", 1, NULL, 'e' }, { "dut-mac", 1, NULL, 'm' },
		{ "warmup", 1, NULL, 'w' }, { "duration", 1, NULL, 'd' },
		{ "setup-timeout", 1, NULL, 't' }, { "burst", 1, NULL, 'b' },
		{ "reflect", 0, NULL, 'r' }, { "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint32_t vip;
	int opt;

	o.proto = IPPROTO_UDP;
	o.size = 64;
	o.flows = 1;
	o.vport = 9000;
	parse_ip("10.10.0.100", &vip);
	o.vip = htonl(vip);
	parse_ip("10.10.0.10", &o.client_base);
	o.ports_per_client = 64000;
	o.sport_base = 1024;
	parse_ip("10.20.0.11", &o.int_lo);
	parse_ip("10.20.0.13", &o.int_hi);
	rte_ether_unformat_addr("02:6d:67:00:00:01", &o.dut_mac);
	o.warmup_s = 2;
	o.duration_s = 5;
	o.setup_timeout_s = 10;
	o.burst = 32;

	while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		char *dash;

		switch (opt) {
		case 'p':
			if (strcmp(optarg, "udp") == 0)
				o.proto = IPPROTO_UDP;
			else if (strcmp(optarg, "tcp") == 0)
				o.proto = IPPROTO_TCP;
			else
				return -EINVAL;
			break;
		case 's': o.size = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'f': o.flows = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'v':
			if (parse_ip(optarg, &vip) != 0)
				return -EINVAL;
			o.vip = htonl(vip);
			break;
		case 'V': o.vport = (uint16_t)strtoul(optarg, NULL, 0); break;
		case 'c':
			if (parse_ip(optarg, &o.client_base) != 0)
				return -EINVAL;
			break;
		case 'P': o.ports_per_client = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'S': o.sport_base = (uint16_t)strtoul(optarg, NULL, 0); break;
		case 'e':
			dash = strchr(optarg, '-');
			if (dash == NULL)
				return -EINVAL;
			*dash = '\0';
			if (parse_ip(optarg, &o.int_lo) != 0 ||
			    parse_ip(dash + 1, &o.int_hi) != 0)
				return -EINVAL;
			break;
		case 'm':
			if (rte_ether_unformat_addr(optarg, &o.dut_mac) != 0)
				return -EINVAL;
			break;
		case 'w': o.warmup_s = strtod(optarg, NULL); break;
		case 'd': o.duration_s = strtod(optarg, NULL); break;
		case 't': o.setup_timeout_s = strtod(optarg, NULL); break;
		case 'b': o.burst = (uint16_t)strtoul(optarg, NULL, 0); break;
		case 'r': o.reflect = true; break;
		default:
			return -EINVAL;
		}
	}
	if (o.size < 64 || o.size > 1518 || o.flows == 0 || o.burst == 0 ||
	    o.burst > GEN_MAX_BURST || o.ports_per_client == 0 ||
	    o.ports_per_client + o.sport_base > 65536 || o.duration_s <= 0)
		return -EINVAL;
	return 0;
}

int
main(int argc, char **argv)
{
	uint32_t frame_len, next = 0;
	double t0, t_setup = 0, t_w0, t_w1;

	struct gen_counters w0, w1;
	uint8_t data_flags;
	int n;

	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "mg_l4gen: EAL initialisation failed\n");
		return 1;
	}
	argc -= n;
	argv += n;
	if (parse_args(argc, argv) != 0) {
		usage();
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (rte_eth_dev_count_avail() < 2) {
		fprintf(stderr, "mg_l4gen: needs two ports (ext, int)\n");
		return 1;
	}
	pool = rte_pktmbuf_pool_create("gen", 16383, 256, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (pool == NULL || port_init(GEN_EXT) != 0 || port_init(GEN_INT) != 0) {
		fprintf(stderr, "mg_l4gen: port setup failed\n");
		return 1;
	}
	frame_len = o.size - RTE_ETHER_CRC_LEN;
	data_flags = o.proto == IPPROTO_TCP ? RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG : 0;

	/* 1. links */
	t0 = now_s();
	while (!stop && !links_up() && now_s() < t0 + o.setup_timeout_s)
		rte_delay_ms(10);
	if (!links_up()) {
		fprintf(stderr, "mg_l4gen: links did not come up\n");
		return 1;
	}
	/* 2. ARP both ways, 3. priming */
	for (int i = 0; i < 5 && !dut_mac_learned; i++) {
		announce_clients();
		idle_for(0.1);
	}
	if (prime() != 0)
		fprintf(stderr, "mg_l4gen: priming packets did not all cross "
			"(int received %" PRIu64 ")\n", c.int_rx);
	idle_for(0.1);

	/* 4. first pass: every flow once, timed at the sink */
	memset(&c, 0, sizeof(c));
	t0 = now_s();
	{
		/* TCP: a SYN per flow (the sink answers SYN-ACK); UDP: the
		 * first datagram of each flow. */
		bool tcp = o.proto == IPPROTO_TCP;
		uint64_t queued = 0, last_got = 0, *got = tcp ? &c.syn_rx : &c.int_rx;
		double t_last = t0, t;

		/* Until every flow has crossed, or nothing more has come for
		 * 0.2 s after the last one was sent (a lost packet is a flow
		 * the DUT did not set up in time). */
		while (!stop && *got < o.flows) {
			queued += gen_burst(&next, o.proto,
					    tcp ? RTE_TCP_SYN_FLAG : 0,
					    tcp ? 60 : frame_len, o.flows - queued);
			if (queued == o.flows)
				flush_pending();
			poll_all();
			t = now_s();
			if (*got != last_got) {
				last_got = *got;
				t_last = t;
			} else if (queued == o.flows && t > t_last + 0.2) {
				break;
			}
		}
		t_setup = t_last - t0;
		idle_for(0.2);	/* SYN-ACKs back through the DUT */
	}
	struct gen_counters setup = c;

	/* 5. data: warm-up, then the window */
	t0 = now_s();
	while (!stop && now_s() < t0 + o.warmup_s) {
		gen_burst(&next, o.proto, data_flags, frame_len, UINT64_MAX);
		poll_all();
	}
	w0 = c;
	t_w0 = now_s();
	printf("window-start\n");
	fflush(stdout);
	while (!stop && now_s() < t_w0 + o.duration_s) {
		gen_burst(&next, o.proto, data_flags, frame_len, UINT64_MAX);
		poll_all();
	}
	w1 = c;
	t_w1 = now_s();
	printf("window-end\n");
	fflush(stdout);

	double win = t_w1 - t_w0;
	double rx_pps = (double)(w1.int_rx - w0.int_rx) / win;

	printf("result proto=%s size=%u flows=%u reflect=%d "
	       "tx_pps=%.0f rx_pps=%.0f rx_gbps=%.3f back_pps=%.0f "
	       "setup_flows=%" PRIu64 " setup_s=%.3f new_flows_per_s=%.0f "
	       "dut_mac_learned=%d arp_int=%" PRIu64 " arp_ext=%" PRIu64
	       " tsc_hz=%" PRIu64 "\n",
	       o.proto == IPPROTO_TCP ? "tcp" : "udp", o.size, o.flows, o.reflect,
	       (double)(w1.tx - w0.tx) / win, rx_pps,
	       (double)(w1.int_rx_bytes - w0.int_rx_bytes) * 8 / win / 1e9,
	       (double)(w1.ext_rx - w0.ext_rx) / win,
	       o.proto == IPPROTO_TCP ? setup.syn_rx : setup.int_rx, t_setup,
	       t_setup > 0 ? (double)(o.proto == IPPROTO_TCP ? setup.syn_rx
				       : setup.int_rx) / t_setup : 0,
	       dut_mac_learned, c.arp_answered_int, c.arp_answered_ext,
	       rte_get_tsc_hz());
	fflush(stdout);

	/* The memif PMD unmaps a ring when its peer goes while the data path
	 * may still poll it: stop polling, let the DUT stop first, then go. */
	t0 = now_s();
	while (!stop && links_up() && now_s() < t0 + 10)
		rte_delay_ms(10);
	for (uint16_t p = 0; p < 2; p++) {
		rte_eth_dev_stop(p);
		rte_eth_dev_close(p);
	}
	rte_eal_cleanup();
	return 0;
}
