/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The health-check scheduler on a virtual clock, against a fake network
 * that answers each target's probes with a SYN-ACK, a RST, or nothing.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include <rte_errno.h>

#include "mg_test.h"
#include "mg_health.h"

#define STEP_US		1000	/* the main lcore polls every millisecond */
#define RTT_US		300
#define MAX_T		128
#define MAX_PENDING	4096

enum answer { ANS_UP, ANS_RST, ANS_SILENT, ANS_SEND_FAIL };

struct reply {
	uint32_t target, id;
	bool up;
	uint64_t at_us;
};

struct net {
	struct mg_health *h;
	uint64_t now_us;
	enum answer mode[MAX_T];
	uint64_t sends[MAX_T];
	uint64_t first_send_us[MAX_T];
	uint32_t last_id[MAX_T];
	struct reply pending[MAX_PENDING];
	unsigned n_pending;
	unsigned changes;		/* sum of poll() results */
};

static int
fake_send(uint32_t target, uint32_t probe_id, void *arg)
{
	struct net *net = arg;

	MG_CHECK(target < MAX_T);
	if (net->sends[target]++ == 0)
		net->first_send_us[target] = net->now_us;
	net->last_id[target] = probe_id;
	switch (net->mode[target]) {
	case ANS_SEND_FAIL:
		return -ENOBUFS;
	case ANS_SILENT:
		return 0;
	case ANS_UP:
	case ANS_RST:
		break;
	}
	if (net->n_pending == MAX_PENDING)
		return -ENOBUFS;
	net->pending[net->n_pending++] = (struct reply){
		.target = target, .id = probe_id,
		.up = net->mode[target] == ANS_UP,
		.at_us = net->now_us + RTT_US,
	};
	return 0;
}

/* One millisecond of the control loop: replies that arrived, then poll. */
static void
step(struct net *net)
{
	unsigned k = 0;

	net->now_us += STEP_US;
	for (unsigned i = 0; i < net->n_pending; i++) {
		struct reply *r = &net->pending[i];

		if (r->at_us <= net->now_us)
			mg_health_report(net->h, r->target, r->id, r->up,
					 r->at_us);
		else
			net->pending[k++] = *r;
	}
	net->n_pending = k;
	net->changes += mg_health_poll(net->h, net->now_us, fake_send, net);
}

/* Run until @p target reaches state @p up, at most @p limit_us; returns
 * the time it took, or UINT64_MAX. */
static uint64_t
run_until(struct net *net, uint32_t target, bool up, uint64_t limit_us)
{
	uint64_t start = net->now_us;

	while (net->now_us - start <= limit_us) {
		if (mg_health_is_up(net->h, target) == up)
			return net->now_us - start;
		step(net);
	}
	return UINT64_MAX;
}

static struct mg_cfg_health
tcp_cfg(uint32_t interval_ms, uint32_t timeout_ms, uint32_t healthy,
	uint32_t unhealthy)
{
	return (struct mg_cfg_health){
		.type = MG_HEALTH_TCP, .interval_ms = interval_ms,
		.timeout_ms = timeout_ms, .healthy_threshold = healthy,
		.unhealthy_threshold = unhealthy,
	};
}

static void
make_targets(struct mg_health_target *t, uint32_t n, struct mg_cfg_health c)
{
	for (uint32_t i = 0; i < n; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		mg_ip_set_v4(&t[i].addr, htonl(0x0a14000b + i));
		t[i].port = 80;
		t[i].cfg = c;
	}
}

static void
test_start_up_and_none(void)
{
	struct mg_health_target t[9];
	struct mg_health_stats st;
	struct net net = { 0 };

	make_targets(t, 9, tcp_cfg(100, 50, 2, 3));
	t[8].cfg.type = MG_HEALTH_NONE;
	t[8].cfg.interval_ms = 0;	/* NONE needs no valid timing */
	net.h = mg_health_create(t, 9, 0, 42);
	MG_CHECK(net.h != NULL);
	if (net.h == NULL)
		return;
	MG_CHECK_EQ(mg_health_count(net.h), 9);
	for (uint32_t i = 0; i < 9; i++)
		MG_CHECK(mg_health_is_up(net.h, i));

	for (int i = 0; i < 1000; i++)
		step(&net);
	MG_CHECK_EQ(net.changes, 0);
	for (uint32_t i = 0; i < 8; i++) {
		mg_health_get(net.h, i, &st);
		MG_CHECK(st.up);
		/* One probe per 100 ms over one second, first one jittered. */
		MG_CHECK(st.probes_sent >= 9 && st.probes_sent <= 11);
		/* All answered but perhaps the one still in flight. */
		MG_CHECK(st.ok == st.probes_sent || st.ok + 1 == st.probes_sent);
		MG_CHECK_EQ(st.failed, 0);
		MG_CHECK_EQ(st.last_change_us, 0);
	}
	/* NONE: always up, never probed. */
	MG_CHECK_EQ(net.sends[8], 0);
	mg_health_get(net.h, 8, &st);
	MG_CHECK(st.up);
	MG_CHECK_EQ(st.probes_sent, 0);
	net.mode[8] = ANS_RST;
	for (int i = 0; i < 1000; i++)
		step(&net);
	MG_CHECK(mg_health_is_up(net.h, 8));
	MG_CHECK_EQ(net.sends[8], 0);
	mg_health_free(net.h);
}

static void
test_jitter(void)
{
	struct mg_health_target t[64];
	struct net net = { 0 };
	uint64_t lo = UINT64_MAX, hi = 0;
	unsigned buckets[10] = { 0 }, used = 0;

	make_targets(t, 64, tcp_cfg(1000, 500, 2, 3));
	net.now_us = 5000000;
	net.h = mg_health_create(t, 64, net.now_us, 7);
	if (net.h == NULL) {
		MG_CHECK(net.h != NULL);
		return;
	}
	for (int i = 0; i < 1100; i++)
		step(&net);
	for (uint32_t i = 0; i < 64; i++) {
		uint64_t at = net.first_send_us[i] - 5000000;

		MG_CHECK(net.sends[i] > 0);
		/* Within the first interval (plus one poll step). */
		MG_CHECK(at <= 1000 * 1000 + STEP_US);
		lo = RTE_MIN(lo, at);
		hi = RTE_MAX(hi, at);
		buckets[RTE_MIN(at / 100000, 9u)]++;
	}
	for (unsigned b = 0; b < 10; b++)
		used += buckets[b] != 0;
	/* Not in lockstep: spread over most of the interval. */
	MG_CHECK(hi - lo >= 500 * 1000);
	MG_CHECK(used >= 8);
	MG_CHECK_EQ(net.changes, 0);
	mg_health_free(net.h);
}

/*
 * A target fails at every phase of its probe cycle; it must be down within
 * unhealthy * max(interval, timeout) + timeout (+ one poll step), and not
 * before unhealthy - 1 intervals. Then it comes back after exactly
 * healthy_threshold successes.
 */
static void
check_down_up(enum answer how, uint32_t interval_ms, uint32_t timeout_ms)
{
	const uint32_t healthy = 2, unhealthy = 3;
	uint64_t bound = unhealthy * (uint64_t)RTE_MAX(interval_ms, timeout_ms) *
		1000 + timeout_ms * 1000ull + STEP_US;
	uint64_t up_bound = (healthy + 1) * (uint64_t)RTE_MAX(interval_ms,
		timeout_ms) * 1000 + timeout_ms * 1000ull + RTT_US + STEP_US;
	struct mg_health_target t[4];
	struct mg_health_stats st;
	uint64_t worst = 0;

	make_targets(t, 4, tcp_cfg(interval_ms, timeout_ms, healthy,
				   unhealthy));
	for (uint32_t phase = 0; phase < interval_ms; phase += interval_ms / 13) {
		struct net net = { 0 };
		uint64_t took;

		net.h = mg_health_create(t, 4, 0, 1000 + phase);
		if (net.h == NULL) {
			MG_CHECK(net.h != NULL);
			return;
		}
		/* Settle, then fail target 2 at an arbitrary phase. */
		for (uint32_t i = 0; i < 3 * interval_ms + phase; i++)
			step(&net);
		net.changes = 0;
		net.mode[2] = how;
		took = run_until(&net, 2, false, bound + 10 * STEP_US);
		MG_CHECK(took <= bound);
		MG_CHECK(took >= (unhealthy - 1) * (uint64_t)interval_ms * 1000);
		worst = RTE_MAX(worst, took);
		mg_health_get(net.h, 2, &st);
		MG_CHECK(!st.up);
		MG_CHECK_EQ(st.consecutive_fail, unhealthy);
		MG_CHECK_EQ(st.last_change_us, net.now_us - (how == ANS_RST ?
			    STEP_US - RTT_US : 0));
		if (how == ANS_SILENT)
			MG_CHECK_EQ(st.timeouts, unhealthy);
		if (how == ANS_SEND_FAIL) {
			MG_CHECK_EQ(st.send_failed, unhealthy);
			MG_CHECK_EQ(st.timeouts, unhealthy);
		}
		step(&net);
		MG_CHECK_EQ(net.changes, 1);
		/* The others did not move. */
		for (uint32_t i = 0; i < 4; i++)
			MG_CHECK(mg_health_is_up(net.h, i) == (i != 2));

		/* Stays down while failing, still probed; one probe out at a
		 * time, so a silent target gets one per max(interval,
		 * timeout), a target that resets one per interval. */
		uint64_t sends = net.sends[2];
		uint64_t period = how == ANS_RST ? interval_ms :
			RTE_MAX(interval_ms, timeout_ms);

		for (int i = 0; i < 5 * (int)interval_ms; i++)
			step(&net);
		MG_CHECK(!mg_health_is_up(net.h, 2));
		MG_CHECK(net.sends[2] - sends <= 5 * interval_ms / period + 1);
		MG_CHECK(net.sends[2] - sends >= 5 * interval_ms / period - 1);
		MG_CHECK_EQ(net.changes, 1);

		/* Back: exactly healthy_threshold successes. */
		net.mode[2] = ANS_UP;
		took = run_until(&net, 2, true, up_bound + 10 * STEP_US);
		MG_CHECK(took <= up_bound);
		mg_health_get(net.h, 2, &st);
		MG_CHECK(st.up);
		MG_CHECK_EQ(st.consecutive_ok, healthy);
		MG_CHECK_EQ(st.consecutive_fail, 0);
		step(&net);
		MG_CHECK_EQ(net.changes, 2);
		mg_health_free(net.h);
	}
	printf("  %s interval %u timeout %u: down after at most %.1f ms "
	       "(bound %.1f)\n", how == ANS_RST ? "rst" : how == ANS_SILENT ?
	       "silence" : "send failure", interval_ms, timeout_ms,
	       worst / 1000.0, bound / 1000.0);
}

static void
test_down_up(void)
{
	check_down_up(ANS_RST, 100, 50);
	check_down_up(ANS_SILENT, 100, 50);
	check_down_up(ANS_SILENT, 100, 100);
	check_down_up(ANS_SEND_FAIL, 100, 30);
	check_down_up(ANS_SILENT, 50, 120);	/* timeout > interval */
	check_down_up(ANS_RST, 50, 120);
}

/* One bad answer in a healthy stream does not take a target down. */
static void
test_flap_below_threshold(void)
{
	struct mg_health_target t[1];
	struct net net = { 0 };
	struct mg_health_stats st;

	make_targets(t, 1, tcp_cfg(100, 50, 2, 3));
	net.h = mg_health_create(t, 1, 0, 5);
	if (net.h == NULL) {
		MG_CHECK(net.h != NULL);
		return;
	}
	for (int round = 0; round < 10; round++) {
		uint64_t s0 = net.sends[0];

		net.mode[0] = ANS_RST;

		while (net.sends[0] < s0 + 2)	/* two failures */
			step(&net);
		net.mode[0] = ANS_UP;
		for (int i = 0; i < 300; i++)
			step(&net);
	}
	MG_CHECK(mg_health_is_up(net.h, 0));
	MG_CHECK_EQ(net.changes, 0);
	mg_health_get(net.h, 0, &st);
	MG_CHECK(st.failed >= 20);
	mg_health_free(net.h);
}

static void
test_stale_unknown(void)
{
	struct mg_health_target t[2];
	struct net net = { 0 };
	struct mg_health_stats st;
	uint32_t id;

	make_targets(t, 2, tcp_cfg(100, 50, 1, 1));
	net.h = mg_health_create(t, 2, 0, 9);
	if (net.h == NULL) {
		MG_CHECK(net.h != NULL);
		return;
	}
	net.mode[0] = ANS_SILENT;
	net.mode[1] = ANS_SILENT;
	while (net.sends[0] == 0)
		step(&net);
	id = net.last_id[0];

	/* Wrong id, other target's id, unknown target: all ignored. */
	mg_health_report(net.h, 0, (id + 1) & 0xffff, false, net.now_us);
	mg_health_report(net.h, 0, id + 0x10000, false, net.now_us);
	mg_health_report(net.h, 1, id, false, net.now_us);
	mg_health_report(net.h, 2, id, false, net.now_us);
	mg_health_report(net.h, UINT32_MAX, id, false, net.now_us);
	mg_health_get(net.h, 0, &st);
	MG_CHECK(st.up);
	MG_CHECK_EQ(st.stale_replies, 2);
	MG_CHECK_EQ(st.failed, 0);
	MG_CHECK_EQ(mg_health_unknown_replies(net.h), 2);
	mg_health_get(net.h, 2, &st);
	MG_CHECK_EQ(st.probes_sent, 0);
	MG_CHECK(!mg_health_is_up(net.h, 2));

	/* The right id counts, once. */
	mg_health_report(net.h, 0, id, true, net.now_us);
	mg_health_report(net.h, 0, id, false, net.now_us);
	mg_health_get(net.h, 0, &st);
	MG_CHECK(st.up);
	MG_CHECK_EQ(st.ok, 1);
	MG_CHECK_EQ(st.stale_replies, 3);

	/* A reply after its timeout is stale: the timeout already counted. */
	while (net.sends[0] < 2)
		step(&net);
	id = net.last_id[0];
	for (int i = 0; i < 60; i++)
		step(&net);
	MG_CHECK(!mg_health_is_up(net.h, 0));	/* unhealthy_threshold 1 */
	mg_health_report(net.h, 0, id, true, net.now_us);
	mg_health_get(net.h, 0, &st);
	MG_CHECK(!st.up);
	MG_CHECK_EQ(st.timeouts, 1);
	MG_CHECK_EQ(st.stale_replies, 4);
	mg_health_free(net.h);
}

static uint64_t
splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
test_seq(void)
{
	enum { N = 64, RANDOM = 1 << 20 };
	struct mg_health_target t[N];
	struct mg_health *h, *h2;
	const struct mg_health_key *k;
	struct mg_health_probe p;
	uint64_t x = 12345, accepted = 0, accepted_port = 0, same = 0;
	double expect, expect_port;
	uint32_t tg, id;

	make_targets(t, N, tcp_cfg(100, 50, 2, 3));
	t[5].cfg.port = 8080;
	h = mg_health_create(t, N, 0, 0xfeed);
	h2 = mg_health_create(t, N, 0, 0xbeef);
	if (h == NULL || h2 == NULL) {
		MG_CHECK(h != NULL && h2 != NULL);
		return;
	}
	k = mg_health_key(h);

	/* Round trip for every target and a spread of ids, every id of two. */
	for (uint32_t i = 0; i < N; i++) {
		for (uint32_t pid = 0; pid < 65536;
		     pid += (i == 0 || i == N - 1) ? 1 : 257) {
			uint32_t s = mg_health_probe_seq(h, i, pid);
			uint16_t sp = mg_health_key_sport(k, i, pid);

			tg = id = UINT32_MAX;
			MG_CHECK(mg_health_probe_decode(h, s, &tg, &id) == 0);
			if (tg != i || id != pid) {
				MG_CHECK(tg == i && id == pid);
				break;
			}
			MG_CHECK(mg_health_key_seq(k, i, pid) == s);
			MG_CHECK(sp >= MG_HEALTH_SPORT_MIN &&
				 sp <= MG_HEALTH_SPORT_MAX);
			same += mg_health_probe_seq(h2, i, pid) == s;
		}
	}
	/* Another seed, another mapping. */
	MG_CHECK(same < 16);

	/* Random acks: decode accepts n/65536 of them; with the port check,
	 * n/2^26. Fixed seed, so the counts are fixed too. */
	for (uint32_t i = 0; i < RANDOM; i++) {
		uint64_t r = splitmix(&x);
		uint32_t v = (uint32_t)r;
		uint16_t dport = MG_HEALTH_SPORT_MIN +
			(uint16_t)((r >> 32) & (MG_HEALTH_SPORT_COUNT - 1));

		if (mg_health_key_decode(k, v, &tg, &id) == 0) {
			MG_CHECK(tg < N && id <= 0xffff);
			accepted++;
			accepted_port += mg_health_key_sport(k, tg, id) == dport;
		}
	}
	expect = (double)RANDOM * N / 65536;
	expect_port = expect / MG_HEALTH_SPORT_COUNT;
	printf("  random acks: %" PRIu64 " of %u decoded (design %.0f), "
	       "%" PRIu64 " with the port (design %.2f)\n", accepted,
	       (unsigned)RANDOM, expect, accepted_port, expect_port);
	MG_CHECK(accepted <= expect + 5 * sqrt(expect));
	MG_CHECK(accepted_port <= 8);

	/* A sequence number made for a target it does not have is rejected. */
	MG_CHECK(mg_health_probe_decode(h, mg_health_probe_seq(h, N, 0), &tg,
					&id) == -EINVAL);

	MG_CHECK(mg_health_probe_info(h, 5, 77, &p) == 0);
	MG_CHECK_EQ(p.dport, 8080);
	MG_CHECK_EQ(p.seq, mg_health_probe_seq(h, 5, 77));
	MG_CHECK_EQ(p.sport, mg_health_key_sport(k, 5, 77));
	MG_CHECK(mg_ip_eq(&p.dst, &t[5].addr));
	MG_CHECK(mg_health_probe_info(h, 4, 77, &p) == 0);
	MG_CHECK_EQ(p.dport, 80);
	MG_CHECK(mg_health_probe_info(h, N, 0, &p) == -EINVAL);
	mg_health_free(h);
	mg_health_free(h2);
}

static void
test_create_errors(void)
{
	struct mg_health_target t[1];
	struct mg_health *h;

	make_targets(t, 1, tcp_cfg(0, 50, 2, 3));
	rte_errno = 0;
	MG_CHECK(mg_health_create(t, 1, 0, 1) == NULL);
	MG_CHECK_EQ(rte_errno, EINVAL);
	make_targets(t, 1, tcp_cfg(100, 0, 2, 3));
	MG_CHECK(mg_health_create(t, 1, 0, 1) == NULL);
	make_targets(t, 1, tcp_cfg(100, 50, 0, 3));
	MG_CHECK(mg_health_create(t, 1, 0, 1) == NULL);
	make_targets(t, 1, tcp_cfg(100, 50, 2, 0));
	MG_CHECK(mg_health_create(t, 1, 0, 1) == NULL);
	make_targets(t, 1, tcp_cfg(100, 50, 2, 3));
	t[0].port = 0;
	MG_CHECK(mg_health_create(t, 1, 0, 1) == NULL);
	t[0].cfg.port = 81;		/* the override is enough */
	h = mg_health_create(t, 1, 0, 1);
	MG_CHECK(h != NULL);
	mg_health_free(h);
	t[0].addr.family = 0;
	MG_CHECK(mg_health_create(t, 1, 0, 1) == NULL);
	make_targets(t, 1, tcp_cfg(100, 50, 2, 3));
	t[0].cfg.type = (enum mg_health_type)7;
	MG_CHECK(mg_health_create(t, 1, 0, 1) == NULL);
	MG_CHECK(mg_health_create(NULL, 1, 0, 1) == NULL);
	MG_CHECK(mg_health_create(t, MG_HEALTH_MAX_TARGETS + 1, 0, 1) == NULL);
	MG_CHECK_EQ(rte_errno, EINVAL);

	/* No targets: a valid, idle instance. */
	h = mg_health_create(NULL, 0, 0, 1);
	MG_CHECK(h != NULL);
	if (h != NULL) {
		MG_CHECK_EQ(mg_health_poll(h, 1000000, NULL, NULL), 0);
		MG_CHECK(!mg_health_is_up(h, 0));
		mg_health_free(h);
	}
	mg_health_free(NULL);
}

int
main(void)
{
	test_start_up_and_none();
	test_jitter();
	test_down_up();
	test_flap_below_threshold();
	test_stale_unknown();
	test_seq();
	test_create_errors();
	return mg_test_done("test_health");
}
