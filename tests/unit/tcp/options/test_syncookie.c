/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SYN cookies: SipHash-2-4 against the reference vectors, round trips of
 * every encodable parameter set over IPv4 and IPv6, and the rejections:
 * forged ACKs (false accept rate over 1M random ACKs), a wrong 4-tuple or
 * client ISN, tampered timestamp bits, expired counters.
 */
#include <errno.h>
#include <string.h>

#include "mg_test.h"
#include "tcp_syncookie.h"

static uint64_t rng = 0x1234567887654321ULL;

static uint32_t
rand32(void)
{
	/* xorshift64*: fixed seed, so the run is the same every time */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545f4914f6cdd1dULL) >> 32);
}

static void
test_siphash(void)
{
	/* the reference key 00..0f and messages 00.., from the SipHash paper */
	const uint64_t k[2] = { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL };
	uint8_t m[64];

	for (unsigned i = 0; i < sizeof(m); i++)
		m[i] = (uint8_t)i;
	MG_CHECK(mg_tcp_siphash24(k, m, 0) == 0x726fdb47dd0e0e31ULL);
	MG_CHECK(mg_tcp_siphash24(k, m, 15) == 0xa129ca6149be45e5ULL);
	/* every length hashes differently */
	for (unsigned i = 1; i < sizeof(m); i++)
		MG_CHECK(mg_tcp_siphash24(k, m, i) !=
			 mg_tcp_siphash24(k, m, i - 1));
}

struct tuple {
	struct mg_ip saddr, daddr;
	uint16_t sport, dport;
};

static void
tuple_init(struct tuple *t, bool v6)
{
	if (v6) {
		mg_ip_parse("fd00:10::2", &t->saddr);
		mg_ip_parse("fd00:10::100", &t->daddr);
	} else {
		mg_ip_parse("10.10.0.2", &t->saddr);
		mg_ip_parse("10.10.0.100", &t->daddr);
	}
	t->sport = 40000;
	t->dport = 443;
}

static int
check(const struct mg_tcp_cookie_key *key, const struct tuple *t,
      uint32_t isn, uint32_t client_isn, bool has_ts, uint32_t ts_ecr,
      uint32_t now_s, struct mg_tcp_cookie_params *p)
{
	return mg_tcp_cookie_check(key, &t->saddr, t->sport, &t->daddr,
				   t->dport, isn + 1, client_isn + 1, has_ts,
				   ts_ecr, now_s, p);
}

static void
test_round_trip(const struct mg_tcp_cookie_key *key, bool v6)
{
	struct tuple t;

	tuple_init(&t, v6);
	for (unsigned m = 0; m < MG_TCP_COOKIE_N_MSS; m++)
		for (unsigned ws = 0; ws <= 15; ws++)
			for (unsigned f = 0; f < 4; f++) {
				struct mg_tcp_cookie_params in = {
					.mss = mg_tcp_cookie_mss_table[m],
					.wscale = (uint8_t)(ws == 15 ?
						MG_TCP_COOKIE_NO_WSCALE : ws),
					.sack_permitted = f & 1,
					.timestamps = f & 2,
				}, out;
				uint32_t cisn = rand32(), now = rand32() >> 1;
				uint32_t ts0 = rand32(), ts = ts0, isn;

				isn = mg_tcp_cookie_make(key, &t.saddr,
					t.sport, &t.daddr, t.dport, cisn, now,
					&in, &ts);
				if (in.timestamps)
					MG_CHECK_EQ(ts & ~0x3fu, ts0 & ~0x3fu);
				else
					MG_CHECK_EQ(ts, ts0);
				MG_CHECK_EQ(isn & 7, m);
				memset(&out, 0xaa, sizeof(out));
				MG_CHECK_EQ(check(key, &t, isn, cisn,
						  in.timestamps, ts, now, &out),
					    0);
				MG_CHECK_EQ(out.mss, in.mss);
				MG_CHECK_EQ(out.timestamps, in.timestamps);
				if (in.timestamps) {
					MG_CHECK_EQ(out.wscale, in.wscale);
					MG_CHECK_EQ(out.sack_permitted,
						    in.sack_permitted);
				} else {
					MG_CHECK_EQ(out.wscale,
						    MG_TCP_COOKIE_NO_WSCALE);
					MG_CHECK(!out.sack_permitted);
				}
				/* still good in the next period */
				MG_CHECK_EQ(check(key, &t, isn, cisn,
						  in.timestamps, ts,
						  now + 64, &out), 0);
			}
}

static void
test_validity(const struct mg_tcp_cookie_key *key, bool v6)
{
	const uint32_t now = 1000000;		/* 15625 periods exactly */
	struct mg_tcp_cookie_params in = {
		.mss = 1460, .wscale = 7, .sack_permitted = true,
		.timestamps = true,
	}, out;
	struct tuple t, bad;
	uint32_t cisn = 0xfffffff0, ts = 123456, isn;

	tuple_init(&t, v6);
	isn = mg_tcp_cookie_make(key, &t.saddr, t.sport, &t.daddr, t.dport,
				 cisn, now + 5, &in, &ts);
	MG_CHECK_EQ(check(key, &t, isn, cisn, true, ts, now + 5, &out), 0);
	MG_CHECK_EQ(check(key, &t, isn, cisn, true, ts, now + 127, &out), 0);
	MG_CHECK_EQ(check(key, &t, isn, cisn, true, ts, now + 128, &out),
		    -EINVAL);
	MG_CHECK_EQ(check(key, &t, isn, cisn, true, ts, now + 5 + 129, &out),
		    -EINVAL);
	/* a counter from the future, and one a full wrap of its bits later */
	MG_CHECK_EQ(check(key, &t, isn, cisn, true, ts, now - 1, &out),
		    -EINVAL);
	MG_CHECK_EQ(check(key, &t, isn, cisn, true, ts, now + 5 + 32 * 64,
			  &out), -EINVAL);

	/* any change to the 4-tuple or the client's ISN */
	bad = t;
	bad.sport++;
	MG_CHECK_EQ(check(key, &bad, isn, cisn, true, ts, now, &out), -EINVAL);
	bad = t;
	bad.dport = 80;
	MG_CHECK_EQ(check(key, &bad, isn, cisn, true, ts, now, &out), -EINVAL);
	bad = t;
	if (v6)
		bad.saddr.v6[15] ^= 1;
	else
		bad.saddr.v4 ^= 1u << 24;
	MG_CHECK_EQ(check(key, &bad, isn, cisn, true, ts, now, &out), -EINVAL);
	bad = t;
	if (v6)
		bad.daddr.v6[0] ^= 0x80;
	else
		bad.daddr.v4 ^= 1;
	MG_CHECK_EQ(check(key, &bad, isn, cisn, true, ts, now, &out), -EINVAL);
	bad = t;
	bad.saddr = t.daddr;
	bad.daddr = t.saddr;
	MG_CHECK_EQ(check(key, &bad, isn, cisn, true, ts, now, &out), -EINVAL);
	MG_CHECK_EQ(check(key, &t, isn, cisn + 1, true, ts, now, &out),
		    -EINVAL);
	/* another key */
	{
		struct mg_tcp_cookie_key other;

		mg_tcp_cookie_key_init(&other, 43);
		MG_CHECK_EQ(check(&other, &t, isn, cisn, true, ts, now, &out),
			    -EINVAL);
	}

	/* the parameters in TSecr are covered by the MAC */
	for (unsigned bit = 0; bit < 6; bit++)
		MG_CHECK_EQ(check(key, &t, isn, cisn, true, ts ^ (1u << bit),
				  now, &out), -EINVAL);
	MG_CHECK_EQ(check(key, &t, isn, cisn, false, 0, now, &out), -EINVAL);
	/* the MSS index is covered too */
	MG_CHECK_EQ(check(key, &t, isn ^ 1, cisn, true, ts, now, &out),
		    -EINVAL);
	/* the high bits of TSecr are ours to use, not the cookie's */
	MG_CHECK_EQ(check(key, &t, isn, cisn, true, ts + 64, now, &out), 0);

	/* without timestamps: a TSecr without our mark is ignored */
	in.timestamps = false;
	ts = 0x40;
	isn = mg_tcp_cookie_make(key, &t.saddr, t.sport, &t.daddr, t.dport,
				 cisn, now, &in, &ts);
	MG_CHECK_EQ(ts, 0x40);
	MG_CHECK_EQ(check(key, &t, isn, cisn, false, 0, now, &out), 0);
	MG_CHECK_EQ(check(key, &t, isn, cisn, true, 0x1f, now, &out), 0);
	MG_CHECK(!out.timestamps && !out.sack_permitted &&
		 out.wscale == MG_TCP_COOKIE_NO_WSCALE);
	MG_CHECK_EQ(check(key, &t, isn, cisn, true, 0x20, now, &out), -EINVAL);

	/* a scale above 14 travels as 14 */
	in.timestamps = true;
	in.wscale = 14 + 1 + 2;
	ts = 0;
	isn = mg_tcp_cookie_make(key, &t.saddr, t.sport, &t.daddr, t.dport,
				 cisn, now, &in, &ts);
	MG_CHECK_EQ(check(key, &t, isn, cisn, true, ts, now, &out), 0);
	MG_CHECK_EQ(out.wscale, 14);
}

static void
test_forged(const struct mg_tcp_cookie_key *key, bool v6)
{
	const unsigned trials = 1000000;
	const uint32_t now = 7777777;
	struct mg_tcp_cookie_params out;
	unsigned hits_any = 0, hits_counter = 0;
	struct tuple t;
	uint32_t cisn = 42;

	tuple_init(&t, v6);
	for (unsigned i = 0; i < trials; i++) {
		uint32_t ack = rand32();

		/* random ACKs */
		if (mg_tcp_cookie_check(key, &t.saddr, t.sport, &t.daddr,
					t.dport, ack, cisn + 1, false, 0, now,
					&out) == 0)
			hits_any++;
		/* an attacker who knows the counter: only the MAC stands */
		ack = (ack & ~0xf8u) | ((now >> 6) & 31) << 3;
		if (mg_tcp_cookie_check(key, &t.saddr, t.sport, &t.daddr,
					t.dport, ack + 1, cisn + 1, false, 0,
					now, &out) == 0)
			hits_counter++;
	}
	printf("forged %s ACKs: %u/%u accepted at random, %u/%u with the "
	       "right counter (expected ~%.3f)\n", v6 ? "IPv6" : "IPv4",
	       hits_any, trials, hits_counter, trials,
	       trials / 16777216.0);
	MG_CHECK(hits_any <= 1);
	MG_CHECK(hits_counter <= 1);
}

static void
test_mss_clamp(void)
{
	static const struct { uint16_t in, out; } cases[] = {
		{ 0, 536 }, { 100, 536 }, { 535, 536 }, { 536, 536 },
		{ 1219, 536 }, { 1220, 1220 }, { 1299, 1220 }, { 1300, 1300 },
		{ 1400, 1380 }, { 1440, 1440 }, { 1452, 1452 }, { 1459, 1452 },
		{ 1460, 1460 }, { 1500, 1460 }, { 8959, 1460 }, { 8960, 8960 },
		{ 9000, 8960 }, { 65535, 8960 },
	};
	struct mg_tcp_cookie_key key;
	struct tuple t;

	mg_tcp_cookie_key_init(&key, 1);
	tuple_init(&t, false);
	for (unsigned i = 1; i < MG_TCP_COOKIE_N_MSS; i++)
		MG_CHECK(mg_tcp_cookie_mss_table[i - 1] <
			 mg_tcp_cookie_mss_table[i]);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mg_tcp_cookie_params in = {
			.mss = cases[i].in, .wscale = MG_TCP_COOKIE_NO_WSCALE,
		}, out;
		uint32_t ts = 0, isn;

		isn = mg_tcp_cookie_make(&key, &t.saddr, t.sport, &t.daddr,
					 t.dport, 9, 0, &in, &ts);
		MG_CHECK_EQ(check(&key, &t, isn, 9, false, 0, 0, &out), 0);
		MG_CHECK_EQ(out.mss, cases[i].out);
	}
}

int
main(void)
{
	struct mg_tcp_cookie_key key, key2;

	mg_tcp_cookie_key_init(&key, 42);
	mg_tcp_cookie_key_init(&key2, 42);
	MG_CHECK(memcmp(&key, &key2, sizeof(key)) == 0);
	MG_CHECK(key.k[0] != key.k[1]);

	test_siphash();
	for (unsigned v6 = 0; v6 < 2; v6++) {
		test_round_trip(&key, v6);
		test_validity(&key, v6);
		test_forged(&key, v6);
	}
	test_mss_clamp();
	return mg_test_done("test_tcp_syncookie");
}
