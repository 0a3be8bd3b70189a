/* SPDX-License-Identifier: Apache-2.0 */
/* Neighbour table: states on a virtual clock, probes, capacity, seqcount. */
#include <rte_seqcount.h>

#include "mg_neigh.h"
#include "mg_test.h"
#include "net_test.h"

#define MS 1000ull

struct probes {
	unsigned n, unicast;
	struct mg_ip last;
};

static void
count_probe(const struct mg_ip *ip, const struct rte_ether_addr *mac, void *arg)
{
	struct probes *p = arg;

	p->n++;
	if (mac != NULL)
		p->unicast++;
	p->last = *ip;
}

static struct mg_ip
ip_of(const char *s)
{
	struct mg_ip ip;

	mg_ip_parse(s, &ip);
	return ip;
}

static const struct rte_ether_addr mac1 = { .addr_bytes = { 2, 0, 0, 0, 1, 1 } };
static const struct rte_ether_addr mac2 = { .addr_bytes = { 2, 0, 0, 0, 2, 2 } };

struct state_ctx {
	const struct mg_ip *ip;
	char st[16];
};

static void
state_fn(const struct mg_ip *i, const struct rte_ether_addr *m, const char *s,
	 uint64_t age, void *arg)
{
	struct state_ctx *c = arg;

	(void)m;
	(void)age;
	if (mg_ip_eq(i, c->ip))
		snprintf(c->st, sizeof(c->st), "%s", s);
}

/* The state of @p ip as telemetry shows it ("" when absent). */
static const char *
state_of(struct mg_neigh_table *t, const struct mg_ip *ip)
{
	static struct state_ctx c;

	c.ip = ip;
	c.st[0] = '\0';
	mg_neigh_foreach(t, 0, state_fn, &c);
	return c.st;
}

static void
test_learn_lookup(void)
{
	struct mg_neigh_table *t = mg_neigh_create(64, SOCKET_ID_ANY);
	struct mg_ip a = ip_of("10.10.0.2"), b = ip_of("fd00:10::2");
	struct rte_ether_addr mac;
	struct mg_neigh_learn l = { 0 };

	MG_CHECK(t != NULL);
	MG_CHECK(mg_neigh_create(100, SOCKET_ID_ANY) == NULL);
	MG_CHECK_EQ(mg_neigh_lookup(t, &a, &mac), -ENOENT);
	MG_CHECK_EQ(mg_neigh_learn(t, &a, &mac1, 0, false), 0);
	MG_CHECK_EQ(mg_neigh_lookup(t, &a, &mac), 0);
	MG_CHECK(rte_is_same_ether_addr(&mac, &mac1));
	MG_CHECK(strcmp(state_of(t, &a), "stale") == 0);
	MG_CHECK_EQ(mg_neigh_lookup(t, &b, &mac), -ENOENT);
	MG_CHECK_EQ(mg_neigh_learn(t, &b, &mac2, 0, true), 0);
	MG_CHECK_EQ(mg_neigh_lookup(t, &b, &mac), 0);
	MG_CHECK(rte_is_same_ether_addr(&mac, &mac2));
	MG_CHECK(strcmp(state_of(t, &b), "reachable") == 0);
	/* same MAC, unconfirmed: a REACHABLE entry stays REACHABLE */
	MG_CHECK_EQ(mg_neigh_learn(t, &b, &mac2, 5, false), 0);
	MG_CHECK(strcmp(state_of(t, &b), "reachable") == 0);
	/* new MAC: STALE with the new MAC */
	MG_CHECK_EQ(mg_neigh_learn(t, &b, &mac1, 6, false), 0);
	MG_CHECK(strcmp(state_of(t, &b), "stale") == 0);
	MG_CHECK_EQ(mg_neigh_lookup(t, &b, &mac), 0);
	MG_CHECK(rte_is_same_ether_addr(&mac, &mac1));

	/* update never creates */
	struct mg_ip c = ip_of("10.10.0.3");

	MG_CHECK_EQ(mg_neigh_update(t, &c, &mac1, 0, true), -ENOENT);
	MG_CHECK_EQ(mg_neigh_lookup(t, &c, &mac), -ENOENT);
	l.ip = c;
	l.mac = mac2;
	l.mode = MG_NEIGH_LEARN_UPDATE;
	MG_CHECK_EQ(mg_neigh_apply(t, &l, 0), -ENOENT);
	l.mode = MG_NEIGH_LEARN_NONE;
	MG_CHECK_EQ(mg_neigh_apply(t, &l, 0), 0);
	MG_CHECK_EQ(mg_neigh_lookup(t, &c, &mac), -ENOENT);
	l.mode = MG_NEIGH_LEARN_CREATE;
	l.confirmed = true;
	MG_CHECK_EQ(mg_neigh_apply(t, &l, 0), 0);
	MG_CHECK(strcmp(state_of(t, &c), "reachable") == 0);

	/* remove: lookups fail; learning brings it back */
	MG_CHECK_EQ(mg_neigh_remove(t, &c, 0), 0);
	MG_CHECK_EQ(mg_neigh_lookup(t, &c, &mac), -ENOENT);
	MG_CHECK_EQ(mg_neigh_remove(t, &c, 0), -ENOENT);
	MG_CHECK_EQ(mg_neigh_update(t, &c, &mac1, 0, true), -ENOENT);
	MG_CHECK_EQ(mg_neigh_learn(t, &c, &mac1, 0, false), 0);
	MG_CHECK_EQ(mg_neigh_lookup(t, &c, &mac), 0);

	MG_CHECK_EQ(mg_neigh_learn(t, &(struct mg_ip){ 0 }, &mac1, 0, false), -EINVAL);
	mg_neigh_free(t);
}

/* REACHABLE -> STALE -> PROBE (unicast probes) -> FAILED */
static void
test_aging(void)
{
	struct mg_neigh_table *t = mg_neigh_create(16, SOCKET_ID_ANY);
	struct mg_neigh_params prm = { .reachable_ms = 1000, .delay_ms = 500,
		.retrans_ms = 100, .max_probes = 3 };
	struct mg_ip a = ip_of("10.20.0.11");
	struct rte_ether_addr mac;
	struct probes pr = { 0 };
	struct mg_neigh_stats st;
	uint64_t now = 1000 * MS;

	mg_neigh_set_params(t, &prm);
	MG_CHECK_EQ(mg_neigh_learn(t, &a, &mac1, now, true), 0);
	for (; now < 1000 * MS + 999 * MS; now += 10 * MS)
		mg_neigh_age(t, now, count_probe, &pr);
	MG_CHECK(strcmp(state_of(t, &a), "reachable") == 0);
	now = 1000 * MS + 1000 * MS;
	mg_neigh_age(t, now, count_probe, &pr);
	MG_CHECK(strcmp(state_of(t, &a), "stale") == 0);
	MG_CHECK_EQ(mg_neigh_lookup(t, &a, &mac), 0);
	MG_CHECK_EQ(pr.n, 0);
	now += 499 * MS;
	mg_neigh_age(t, now, count_probe, &pr);
	MG_CHECK(strcmp(state_of(t, &a), "stale") == 0);
	now += 1 * MS;
	mg_neigh_age(t, now, count_probe, &pr);
	MG_CHECK(strcmp(state_of(t, &a), "probe") == 0);
	MG_CHECK_EQ(pr.n, 1);
	MG_CHECK_EQ(pr.unicast, 1);
	MG_CHECK_EQ(mg_neigh_lookup(t, &a, &mac), 0);	/* still usable */
	/* one probe per retrans interval, however often age() runs */
	for (unsigned i = 0; i < 25; i++) {
		now += 10 * MS;
		mg_neigh_age(t, now, count_probe, &pr);
	}
	MG_CHECK_EQ(pr.n, 3);
	MG_CHECK(strcmp(state_of(t, &a), "probe") == 0);
	now += 100 * MS;
	mg_neigh_age(t, now, count_probe, &pr);
	MG_CHECK(strcmp(state_of(t, &a), "failed") == 0);
	MG_CHECK_EQ(pr.n, 3);
	MG_CHECK_EQ(pr.unicast, 3);
	MG_CHECK_EQ(mg_neigh_lookup(t, &a, &mac), -ENOENT);
	mg_neigh_stats_get(t, &st);
	MG_CHECK_EQ(st.failed, 1);
	MG_CHECK_EQ(st.probes, 3);
	MG_CHECK_EQ(st.entries, 0);
	MG_CHECK_EQ(st.slots_used, 1);

	/* a PROBE entry answered goes back to REACHABLE */
	MG_CHECK_EQ(mg_neigh_learn(t, &a, &mac1, now, true), 0);
	now += 1500 * MS;
	mg_neigh_age(t, now, count_probe, &pr);
	now += 500 * MS;
	mg_neigh_age(t, now, count_probe, &pr);
	MG_CHECK(strcmp(state_of(t, &a), "probe") == 0);
	MG_CHECK_EQ(mg_neigh_update(t, &a, &mac1, now, true), 0);
	MG_CHECK(strcmp(state_of(t, &a), "reachable") == 0);
	mg_neigh_free(t);
}

/* A worker misses: INCOMPLETE, broadcast probes, reply -> REACHABLE. */
static void
test_request(void)
{
	struct mg_neigh_table *t = mg_neigh_create(16, SOCKET_ID_ANY);
	struct mg_ip a = ip_of("fd00:20::11");
	struct rte_ether_addr mac;
	struct probes pr = { 0 };
	uint64_t now = 5 * MS;

	MG_CHECK_EQ(mg_neigh_request(t, &a, now), 0);
	MG_CHECK(strcmp(state_of(t, &a), "incomplete") == 0);
	MG_CHECK_EQ(mg_neigh_lookup(t, &a, &mac), -ENOENT);
	MG_CHECK_EQ(mg_neigh_request(t, &a, now), 0);	/* idempotent */
	mg_neigh_age(t, now, count_probe, &pr);
	MG_CHECK_EQ(pr.n, 1);
	MG_CHECK_EQ(pr.unicast, 0);
	MG_CHECK(mg_ip_eq(&pr.last, &a));
	now += 1000 * MS;
	mg_neigh_age(t, now, count_probe, &pr);
	MG_CHECK_EQ(pr.n, 2);
	/* the NA arrives: update (not create) resolves it */
	MG_CHECK_EQ(mg_neigh_update(t, &a, &mac2, now, true), 0);
	MG_CHECK_EQ(mg_neigh_lookup(t, &a, &mac), 0);
	MG_CHECK(rte_is_same_ether_addr(&mac, &mac2));
	MG_CHECK(strcmp(state_of(t, &a), "reachable") == 0);

	/* unanswered: 3 probes then FAILED, then a hold-down */
	struct mg_ip b = ip_of("10.20.0.99");

	MG_CHECK_EQ(mg_neigh_request(t, &b, now), 0);
	for (unsigned i = 0; i < 4; i++) {
		mg_neigh_age(t, now, count_probe, &pr);
		now += 1000 * MS;
	}
	MG_CHECK(strcmp(state_of(t, &b), "failed") == 0);
	MG_CHECK_EQ(pr.n, 5);
	MG_CHECK_EQ(mg_neigh_request(t, &b, now - 1000 * MS), -EHOSTUNREACH);
	MG_CHECK_EQ(mg_neigh_request(t, &b, now), 0);
	MG_CHECK(strcmp(state_of(t, &b), "incomplete") == 0);
	mg_neigh_free(t);
}

/* Full table: refused and counted; FAILED slots are reused. */
static void
test_capacity(void)
{
	struct mg_neigh_table *t = mg_neigh_create(8, SOCKET_ID_ANY);
	struct mg_neigh_stats st;
	struct rte_ether_addr mac;
	struct mg_ip ip;
	unsigned i;

	for (i = 0; i < 8; i++) {
		mg_ip_set_v4(&ip, htonl(0x0a000001 + i));
		MG_CHECK_EQ(mg_neigh_learn(t, &ip, &mac1, 0, false), 0);
	}
	mg_ip_set_v4(&ip, htonl(0x0a000100));
	MG_CHECK_EQ(mg_neigh_learn(t, &ip, &mac1, 0, false), -ENOSPC);
	MG_CHECK_EQ(mg_neigh_request(t, &ip, 0), -ENOSPC);
	MG_CHECK_EQ(mg_neigh_lookup(t, &ip, &mac), -ENOENT);
	for (i = 0; i < 8; i++) {	/* all still there */
		struct mg_ip x;

		mg_ip_set_v4(&x, htonl(0x0a000001 + i));
		MG_CHECK_EQ(mg_neigh_lookup(t, &x, &mac), 0);
	}
	mg_neigh_stats_get(t, &st);
	MG_CHECK_EQ(st.refused_full, 2);
	MG_CHECK_EQ(st.entries, 8);
	/* one fails: its slot takes the newcomer */
	struct mg_ip gone;

	mg_ip_set_v4(&gone, htonl(0x0a000004));
	MG_CHECK_EQ(mg_neigh_remove(t, &gone, 0), 0);
	MG_CHECK_EQ(mg_neigh_learn(t, &ip, &mac2, 0, false), 0);
	MG_CHECK_EQ(mg_neigh_lookup(t, &ip, &mac), 0);
	MG_CHECK(rte_is_same_ether_addr(&mac, &mac2));
	MG_CHECK_EQ(mg_neigh_lookup(t, &gone, &mac), -ENOENT);
	for (i = 0; i < 8; i++) {
		struct mg_ip x;

		mg_ip_set_v4(&x, htonl(0x0a000001 + i));
		MG_CHECK_EQ(mg_neigh_lookup(t, &x, &mac), i == 3 ? -ENOENT : 0);
	}
	mg_neigh_free(t);

	/* a bigger table with v4 and v6 mixed */
	t = mg_neigh_create(4096, SOCKET_ID_ANY);
	for (i = 0; i < 3000; i++) {
		struct rte_ether_addr m = mac1;

		m.addr_bytes[4] = (uint8_t)(i >> 8);
		m.addr_bytes[5] = (uint8_t)i;
		if (i & 1) {
			ip = ip_of("fd00:20::");
			ip.v6[14] = (uint8_t)(i >> 8);
			ip.v6[15] = (uint8_t)i;
		} else {
			mg_ip_set_v4(&ip, htonl(0x0a140000 + i));
		}
		MG_CHECK_EQ(mg_neigh_learn(t, &ip, &m, 0, true), 0);
	}
	unsigned bad = 0;

	for (i = 0; i < 3000; i++) {
		if (i & 1) {
			ip = ip_of("fd00:20::");
			ip.v6[14] = (uint8_t)(i >> 8);
			ip.v6[15] = (uint8_t)i;
		} else {
			mg_ip_set_v4(&ip, htonl(0x0a140000 + i));
		}
		if (mg_neigh_lookup(t, &ip, &mac) != 0 || mac.addr_bytes[5] != (uint8_t)i ||
		    mac.addr_bytes[4] != (uint8_t)(i >> 8))
			bad++;
	}
	MG_CHECK_EQ(bad, 0);
	mg_neigh_stats_get(t, &st);
	MG_CHECK_EQ(st.entries, 3000);
	MG_CHECK_EQ(st.learned, 3000);
	mg_neigh_free(t);
}

/*
 * Seqcount: a reader that starts while the writer is mid-update (counter
 * odd) must retry, and one whose counter moved must retry too. Driven by
 * hand on one thread, through the same rte_seqcount calls the table uses.
 */
static void
test_seqcount(void)
{
	rte_seqcount_t sc;
	uint32_t sn;

	rte_seqcount_init(&sc);
	sn = rte_seqcount_read_begin(&sc);
	MG_CHECK(!rte_seqcount_read_retry(&sc, sn));
	rte_seqcount_write_begin(&sc);
	sn = rte_seqcount_read_begin(&sc);
	MG_CHECK(rte_seqcount_read_retry(&sc, sn));	/* odd */
	rte_seqcount_write_end(&sc);
	MG_CHECK(rte_seqcount_read_retry(&sc, sn));
	sn = rte_seqcount_read_begin(&sc);
	rte_seqcount_write_begin(&sc);
	rte_seqcount_write_end(&sc);
	MG_CHECK(rte_seqcount_read_retry(&sc, sn));	/* moved */

	/* Through the table: many rewrites, lookups stay consistent. */
	struct mg_neigh_table *t = mg_neigh_create(16, SOCKET_ID_ANY);
	struct mg_ip a = ip_of("10.0.0.1");
	struct rte_ether_addr mac;
	unsigned i, bad = 0;

	for (i = 0; i < 1000; i++) {
		MG_CHECK_EQ(mg_neigh_learn(t, &a, (i & 1) ? &mac1 : &mac2, i, false), 0);
		if (mg_neigh_lookup(t, &a, &mac) != 0 ||
		    !rte_is_same_ether_addr(&mac, (i & 1) ? &mac1 : &mac2))
			bad++;
	}
	MG_CHECK_EQ(bad, 0);
	mg_neigh_free(t);
}

/* Static (PERMANENT) entries: usable at once, never aged or probed, not
 * moved by learning or by a forged reply, replaced only by a new static. */
static void
test_static(void)
{
	struct mg_neigh_table *t = mg_neigh_create(16, SOCKET_ID_ANY);
	struct mg_ip a = ip_of("10.20.0.11"), b = ip_of("fd00:20::12");
	struct mg_ip fam0 = { 0 };
	const struct rte_ether_addr bcast = { .addr_bytes = { 0xff, 0xff, 0xff,
							      0xff, 0xff, 0xff } };
	const struct rte_ether_addr mcast = { .addr_bytes = { 1, 0, 0x5e, 0, 0, 1 } };
	const struct rte_ether_addr zero = { .addr_bytes = { 0 } };
	struct mg_neigh_learn l = { 0 };
	struct mg_neigh_stats st;
	struct rte_ether_addr mac;
	struct probes pr = { 0 };
	uint64_t now = 0;

	MG_CHECK(t != NULL);
	MG_CHECK_EQ(mg_neigh_add_static(t, &a, &mac1), 0);
	MG_CHECK_EQ(mg_neigh_add_static(t, &b, &mac2), 0);
	MG_CHECK(strcmp(state_of(t, &a), "permanent") == 0);
	MG_CHECK_EQ(mg_neigh_lookup(t, &a, &mac), 0);
	MG_CHECK(rte_is_same_ether_addr(&mac, &mac1));
	MG_CHECK_EQ(mg_neigh_lookup(t, &b, &mac), 0);
	MG_CHECK(rte_is_same_ether_addr(&mac, &mac2));

	/* bad arguments */
	MG_CHECK_EQ(mg_neigh_add_static(t, &fam0, &mac1), -EINVAL);
	MG_CHECK_EQ(mg_neigh_add_static(t, &a, &bcast), -EINVAL);
	MG_CHECK_EQ(mg_neigh_add_static(t, &a, &mcast), -EINVAL);
	MG_CHECK_EQ(mg_neigh_add_static(t, &a, &zero), -EINVAL);
	MG_CHECK_EQ(mg_neigh_add_static(t, &a, NULL), -EINVAL);

	/* learning, confirmed or not, create or update, changes nothing */
	MG_CHECK_EQ(mg_neigh_learn(t, &a, &mac2, now, true), 0);
	MG_CHECK_EQ(mg_neigh_learn(t, &a, &mac2, now, false), 0);
	MG_CHECK_EQ(mg_neigh_update(t, &a, &mac2, now, true), 0);
	l.ip = a;
	l.mac = mac2;
	l.mode = MG_NEIGH_LEARN_CREATE;
	MG_CHECK_EQ(mg_neigh_apply(t, &l, now), 0);
	MG_CHECK_EQ(mg_neigh_request(t, &a, now), 0);
	MG_CHECK_EQ(mg_neigh_lookup(t, &a, &mac), 0);
	MG_CHECK(rte_is_same_ether_addr(&mac, &mac1));
	MG_CHECK(strcmp(state_of(t, &a), "permanent") == 0);

	/* a day of aging: no probe, still there */
	for (unsigned i = 0; i < 24 * 60; i++) {
		now += 60000 * MS;
		mg_neigh_age(t, now, count_probe, &pr);
	}
	MG_CHECK_EQ(pr.n, 0);
	MG_CHECK(strcmp(state_of(t, &a), "permanent") == 0);
	MG_CHECK(strcmp(state_of(t, &b), "permanent") == 0);
	MG_CHECK_EQ(mg_neigh_lookup(t, &a, &mac), 0);
	mg_neigh_stats_get(t, &st);
	MG_CHECK_EQ(st.permanent, 2);
	MG_CHECK_EQ(st.entries, 2);
	MG_CHECK_EQ(st.learned, 0);
	MG_CHECK_EQ(st.probes, 0);

	/* a static replaces a learned entry, and another static */
	struct mg_ip c = ip_of("10.20.0.13");

	MG_CHECK_EQ(mg_neigh_learn(t, &c, &mac1, now, false), 0);
	MG_CHECK(strcmp(state_of(t, &c), "stale") == 0);
	MG_CHECK_EQ(mg_neigh_add_static(t, &c, &mac2), 0);
	MG_CHECK(strcmp(state_of(t, &c), "permanent") == 0);
	MG_CHECK_EQ(mg_neigh_lookup(t, &c, &mac), 0);
	MG_CHECK(rte_is_same_ether_addr(&mac, &mac2));
	MG_CHECK_EQ(mg_neigh_add_static(t, &a, &mac2), 0);
	MG_CHECK_EQ(mg_neigh_lookup(t, &a, &mac), 0);
	MG_CHECK(rte_is_same_ether_addr(&mac, &mac2));

	/* removal is explicit; then learning works again */
	MG_CHECK_EQ(mg_neigh_remove(t, &a, now), 0);
	MG_CHECK_EQ(mg_neigh_lookup(t, &a, &mac), -ENOENT);
	MG_CHECK_EQ(mg_neigh_learn(t, &a, &mac1, now, true), 0);
	MG_CHECK(strcmp(state_of(t, &a), "reachable") == 0);

	/* a full table refuses a static, and counts it */
	struct mg_neigh_table *small = mg_neigh_create(8, SOCKET_ID_ANY);
	char buf[32];
	unsigned ok = 0;

	for (unsigned i = 0; i < 9; i++) {
		struct mg_ip ip;

		snprintf(buf, sizeof(buf), "10.20.1.%u", i + 1);
		ip = ip_of(buf);
		if (mg_neigh_add_static(small, &ip, &mac1) == 0)
			ok++;
	}
	MG_CHECK_EQ(ok, 8);
	mg_neigh_stats_get(small, &st);
	MG_CHECK_EQ(st.refused_full, 1);
	MG_CHECK_EQ(st.permanent, 8);
	mg_neigh_free(small);
	mg_neigh_free(t);
}

int
main(int argc, char **argv)
{
	(void)argc;
	if (mg_test_eal_init(argv[0]) < 0)
		return EXIT_FAILURE;
	test_learn_lookup();
	test_aging();
	test_request();
	test_capacity();
	test_seqcount();
	test_static();
	rte_eal_cleanup();
	return mg_test_done("test_net_neigh");
}
