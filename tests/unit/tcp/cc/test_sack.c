/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The RFC 6675 scoreboard: hand-worked examples, then a long random run
 * against a byte-per-octet model that applies the RFC's definitions
 * literally (fixed seed).
 */

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mg_test.h"
#include "tcp_sack.h"
#include "tcp_seq.h"

#define B	0xfffff000u	/* sequence numbers wrap during the tests */
#define M	1000u

static struct mg_tcp_sack_block
blk(uint32_t s, uint32_t e)
{
	struct mg_tcp_sack_block b = { .start = B + s, .end = B + e };

	return b;
}

static unsigned
upd(struct mg_tcp_scoreboard *sb, uint32_t una, uint32_t nxt, int n, ...)
{
	struct mg_tcp_sack_block b[4];
	va_list ap;
	int i;

	va_start(ap, n);
	for (i = 0; i < n; i++) {
		uint32_t s = va_arg(ap, uint32_t), e = va_arg(ap, uint32_t);

		b[i] = blk(s, e);
	}
	va_end(ap);
	return mg_tcp_sb_update(sb, B + una, B + nxt, b, (unsigned)n);
}

#define CHECK_RANGE(sb, i, s, e) do {					\
	MG_CHECK_EQ((sb)->r[i].start - B, s);				\
	MG_CHECK_EQ((sb)->r[i].end - B, e);				\
} while (0)

static void
test_merge(void)
{
	struct mg_tcp_scoreboard sb;

	memset(&sb, 0, sizeof(sb));
	mg_tcp_sb_reset(&sb, B);
	MG_CHECK_EQ(sb.n, 0);
	MG_CHECK_EQ(upd(&sb, 0, 10000, 1, 2000u, 3000u), 1000);
	MG_CHECK_EQ(upd(&sb, 0, 10000, 1, 5000u, 6000u), 1000);
	MG_CHECK_EQ(sb.n, 2);
	/* Same block again: nothing new. */
	MG_CHECK_EQ(upd(&sb, 0, 10000, 2, 5000u, 6000u, 2000u, 3000u), 0);
	/* Adjacent blocks merge. */
	MG_CHECK_EQ(upd(&sb, 0, 10000, 1, 3000u, 4000u), 1000);
	MG_CHECK_EQ(sb.n, 2);
	CHECK_RANGE(&sb, 0, 2000, 4000);
	/* Overlapping, spanning both ranges and the gap. */
	MG_CHECK_EQ(upd(&sb, 0, 10000, 1, 3500u, 7000u), 2000);
	MG_CHECK_EQ(sb.n, 1);
	CHECK_RANGE(&sb, 0, 2000, 7000);
	MG_CHECK_EQ(sb.sacked_bytes, 5000);
	MG_CHECK_EQ(sb.high_sacked, B + 7000);
	/* Below, in front. */
	MG_CHECK_EQ(upd(&sb, 0, 10000, 2, 500u, 1000u, 8000u, 9000u), 1500);
	MG_CHECK_EQ(sb.n, 3);
	CHECK_RANGE(&sb, 0, 500, 1000);
	CHECK_RANGE(&sb, 2, 8000, 9000);
	MG_CHECK(mg_tcp_sb_is_sacked(&sb, B + 2000, 5000));
	MG_CHECK(!mg_tcp_sb_is_sacked(&sb, B + 2000, 5001));
	MG_CHECK(!mg_tcp_sb_is_sacked(&sb, B + 1000, 10));
	MG_CHECK(mg_tcp_sb_is_sacked(&sb, B + 1000, 0));
	/* Cumulative ACK drops what it covers. */
	MG_CHECK_EQ(upd(&sb, 1000, 10000, 0), 0);
	MG_CHECK_EQ(sb.n, 2);
	MG_CHECK_EQ(sb.sacked_bytes, 6000);
	MG_CHECK_EQ(upd(&sb, 7000, 10000, 0), 0);
	MG_CHECK_EQ(sb.n, 1);
	MG_CHECK_EQ(sb.sacked_bytes, 1000);
	MG_CHECK_EQ(upd(&sb, 10000, 12000, 0), 0);
	MG_CHECK_EQ(sb.n, 0);
	MG_CHECK_EQ(sb.sacked_bytes, 0);
	MG_CHECK_EQ(sb.high_sacked, B + 10000);
}

static void
test_ignored_blocks(void)
{
	struct mg_tcp_scoreboard sb;

	memset(&sb, 0, sizeof(sb));
	mg_tcp_sb_reset(&sb, B + 1000);
	MG_CHECK_EQ(upd(&sb, 1000, 10000, 1, 1000u, 2000u), 0);	/* at una */
	MG_CHECK_EQ(upd(&sb, 1000, 10000, 1, 500u, 2000u), 0);	/* straddles */
	MG_CHECK_EQ(upd(&sb, 1000, 10000, 1, 9000u, 10001u), 0);	/* past nxt */
	MG_CHECK_EQ(upd(&sb, 1000, 10000, 1, 3000u, 3000u), 0);	/* empty */
	MG_CHECK_EQ(upd(&sb, 1000, 10000, 1, 4000u, 3000u), 0);	/* reversed */
	MG_CHECK_EQ(upd(&sb, 1000, 10000, 1, 10000u, 11000u), 0);
	/* Far away (a forged block half the sequence space off). */
	MG_CHECK_EQ(upd(&sb, 1000, 10000, 1, 0x80000000u, 0x80001000u), 0);
	MG_CHECK_EQ(sb.n, 0);
	/* D-SACK below the cumulative ACK, then a real block. */
	MG_CHECK_EQ(upd(&sb, 1000, 10000, 2, 0u, 1000u, 4000u, 5000u), 1000);
	MG_CHECK_EQ(sb.n, 1);
	/* D-SACK inside the second block: only the second counts. */
	MG_CHECK_EQ(upd(&sb, 1000, 10000, 2, 6200u, 6400u, 6000u, 7000u), 1000);
	MG_CHECK_EQ(sb.n, 2);
	CHECK_RANGE(&sb, 1, 6000, 7000);
	/* A first block that is not inside the second is a real one. */
	MG_CHECK_EQ(upd(&sb, 1000, 10000, 2, 8000u, 8500u, 6000u, 7000u), 500);
	MG_CHECK_EQ(sb.n, 3);
	MG_CHECK_EQ(sb.high_sacked, B + 8500);
	/* Exactly up to snd_nxt is fine. */
	MG_CHECK_EQ(upd(&sb, 1000, 10000, 1, 9500u, 10000u), 500);
	MG_CHECK_EQ(sb.overflows, 0);
}

static void
test_is_lost(void)
{
	struct mg_tcp_scoreboard sb;

	memset(&sb, 0, sizeof(sb));
	mg_tcp_sb_reset(&sb, B);
	upd(&sb, 0, 10000, 2, 2000u, 3000u, 4000u, 5000u);
	/* Two segments, 2000 bytes (= (DupThresh - 1) * SMSS, not more). */
	MG_CHECK(!mg_tcp_sb_is_lost(&sb, B, M));
	upd(&sb, 0, 10000, 1, 6000u, 7000u);
	/* Three discontiguous SACKed segments above. */
	MG_CHECK(mg_tcp_sb_is_lost(&sb, B, M));
	MG_CHECK(mg_tcp_sb_is_lost(&sb, B + 1999, M));
	MG_CHECK(!mg_tcp_sb_is_lost(&sb, B + 3000, M));	/* two above */
	MG_CHECK(!mg_tcp_sb_is_lost(&sb, B + 7000, M));
	/* Byte rule: more than 2 SMSS in one range. */
	memset(&sb, 0, sizeof(sb));
	mg_tcp_sb_reset(&sb, B);
	upd(&sb, 0, 10000, 1, 2000u, 4001u);
	MG_CHECK(mg_tcp_sb_is_lost(&sb, B + 1000, M));
	MG_CHECK(mg_tcp_sb_is_lost(&sb, B + 1999, M));
	/* Inside the range: octets above 2000 are 2000: not lost. */
	MG_CHECK(!mg_tcp_sb_is_lost(&sb, B + 2000, M));
	MG_CHECK(!mg_tcp_sb_is_lost(&sb, B + 1000, 1500));
}

/*
 * The worked example: ten segments of 1000 octets, 0..9 (octets
 * 1000*i .. 1000*i + 999). Segments 2, 4, 6 and 7 are SACKed, segment 0
 * has been retransmitted (HighRxt covers it).
 *   IsLost: octets of 0, 1 have 3 SACKed ranges above: lost. Segment 3
 *   has 2 ranges but 3000 octets above: lost. Segment 5: one range,
 *   2000 octets: not lost. 8, 9: nothing above: not lost.
 *   pipe = (5, 8, 9 not lost) 3000 + (0 retransmitted) 1000 = 4000.
 */
static void
test_pipe_and_next_seg(void)
{
	struct mg_tcp_scoreboard sb;
	uint32_t seq, len;

	memset(&sb, 0, sizeof(sb));
	mg_tcp_sb_reset(&sb, B);
	upd(&sb, 0, 10000, 3, 6000u, 8000u, 2000u, 3000u, 4000u, 5000u);
	MG_CHECK_EQ(sb.n, 3);
	mg_tcp_sb_enter_recovery(&sb, B, B + 10000);
	MG_CHECK_EQ(mg_tcp_sb_pipe(&sb, B, B + 10000, M), 3000);
	/* Rule 1: the first lost hole, segment 0. */
	MG_CHECK_EQ(mg_tcp_sb_next_seg(&sb, B, B + 10000, M, 0, false, &seq,
				       &len), 1);
	MG_CHECK_EQ(seq, B);
	MG_CHECK_EQ(len, 1000);
	mg_tcp_sb_sent(&sb, seq, len);
	MG_CHECK_EQ(sb.high_rxt, B + 1000);
	MG_CHECK_EQ(mg_tcp_sb_pipe(&sb, B, B + 10000, M), 4000);
	/* Then segment 1, even with new data waiting (rule 1 first). */
	MG_CHECK_EQ(mg_tcp_sb_next_seg(&sb, B, B + 10000, M, 5000, false, &seq,
				       &len), 1);
	MG_CHECK_EQ(seq, B + 1000);
	MG_CHECK_EQ(len, 1000);
	mg_tcp_sb_sent(&sb, seq, len);
	MG_CHECK_EQ(sb.high_rxt, B + 2000);
	/* Segment 3 (cut at the SACKed segment 4 with a bigger MSS). */
	MG_CHECK_EQ(mg_tcp_sb_next_seg(&sb, B, B + 10000, M, 0, false, &seq,
				       &len), 1);
	MG_CHECK_EQ(seq, B + 3000);
	MG_CHECK_EQ(len, 1000);
	MG_CHECK_EQ(mg_tcp_sb_next_seg(&sb, B, B + 10000, 1400, 0, false, &seq,
				       &len), 1);
	MG_CHECK_EQ(len, 1000);
	mg_tcp_sb_sent(&sb, seq, len);
	MG_CHECK_EQ(sb.high_rxt, B + 4000);
	MG_CHECK_EQ(mg_tcp_sb_pipe(&sb, B, B + 10000, M), 6000);
	/* Segment 5 is not lost: rule 2 (new data) when there is some... */
	MG_CHECK_EQ(mg_tcp_sb_next_seg(&sb, B, B + 10000, M, 300, false, &seq,
				       &len), 2);
	MG_CHECK_EQ(seq, B + 10000);
	MG_CHECK_EQ(len, 300);
	MG_CHECK_EQ(mg_tcp_sb_next_seg(&sb, B, B + 10000, M, 5000, false, &seq,
				       &len), 2);
	MG_CHECK_EQ(len, 1000);
	/* ...else rule 3. */
	MG_CHECK_EQ(mg_tcp_sb_next_seg(&sb, B, B + 10000, M, 0, false, &seq,
				       &len), 1);
	MG_CHECK_EQ(seq, B + 5000);
	MG_CHECK_EQ(len, 1000);
	mg_tcp_sb_sent(&sb, seq, len);
	MG_CHECK_EQ(sb.high_rxt, B + 6000);
	/* 0..5 once each below HighRxt; 5, 8, 9 in flight. */
	MG_CHECK_EQ(mg_tcp_sb_pipe(&sb, B, B + 10000, M), 7000);
	/* Nothing left below the highest SACK: rule 4 only if allowed. */
	MG_CHECK_EQ(mg_tcp_sb_next_seg(&sb, B, B + 10000, M, 0, false, &seq,
				       &len), 0);
	MG_CHECK_EQ(mg_tcp_sb_next_seg(&sb, B, B + 10000, M, 0, true, &seq,
				       &len), 1);
	MG_CHECK_EQ(seq, B + 9000);
	MG_CHECK_EQ(len, 1000);
	mg_tcp_sb_sent(&sb, seq, len);
	MG_CHECK_EQ(sb.high_rxt, B + 6000);	/* rule 4 leaves HighRxt */
	MG_CHECK(sb.rescue_valid);
	MG_CHECK_EQ(sb.rescue_rxt, B + 10000);
	/* One rescue per recovery. */
	MG_CHECK_EQ(mg_tcp_sb_next_seg(&sb, B, B + 10000, M, 0, true, &seq,
				       &len), 0);
	/* A partial ACK up to segment 8 keeps the rescue spent... */
	upd(&sb, 8000, 10000, 0);
	MG_CHECK_EQ(sb.n, 0);
	MG_CHECK_EQ(mg_tcp_sb_next_seg(&sb, B + 8000, B + 10000, M, 0, true,
				       &seq, &len), 0);
	MG_CHECK_EQ(mg_tcp_sb_pipe(&sb, B + 8000, B + 10000, M), 2000);
	/* ...a new recovery gives another one. */
	mg_tcp_sb_enter_recovery(&sb, B + 8000, B + 10000);
	MG_CHECK_EQ(mg_tcp_sb_next_seg(&sb, B + 8000, B + 10000, M, 0, true,
				       &seq, &len), 1);
	MG_CHECK_EQ(seq, B + 9000);

	/* Rescue below the top: the highest unSACKed octets lie under a
	 * SACKed tail, already retransmitted. */
	memset(&sb, 0, sizeof(sb));
	mg_tcp_sb_reset(&sb, B);
	mg_tcp_sb_enter_recovery(&sb, B, B + 5000);
	upd(&sb, 0, 5000, 1, 2500u, 5000u);
	MG_CHECK_EQ(mg_tcp_sb_next_seg(&sb, B, B + 5000, M, 0, true, &seq, &len),
		    1);
	MG_CHECK_EQ(seq, B);
	MG_CHECK_EQ(len, 1000);
	mg_tcp_sb_sent(&sb, seq, len);
	MG_CHECK_EQ(mg_tcp_sb_next_seg(&sb, B, B + 5000, M, 0, true, &seq, &len),
		    1);
	MG_CHECK_EQ(seq, B + 1000);
	mg_tcp_sb_sent(&sb, seq, len);
	MG_CHECK_EQ(mg_tcp_sb_next_seg(&sb, B, B + 5000, M, 0, true, &seq, &len),
		    1);
	MG_CHECK_EQ(seq, B + 2000);
	MG_CHECK_EQ(len, 500);
	mg_tcp_sb_sent(&sb, seq, len);
	MG_CHECK_EQ(sb.high_rxt, B + 2500);
	MG_CHECK_EQ(mg_tcp_sb_next_seg(&sb, B, B + 5000, M, 0, true, &seq, &len),
		    1);
	MG_CHECK_EQ(seq, B + 1500);
	MG_CHECK_EQ(len, 1000);
	mg_tcp_sb_sent(&sb, seq, len);
	MG_CHECK_EQ(sb.high_rxt, B + 2500);
	MG_CHECK_EQ(mg_tcp_sb_next_seg(&sb, B, B + 5000, M, 0, true, &seq, &len),
		    0);
	/* Nothing outstanding: only new data. */
	MG_CHECK_EQ(mg_tcp_sb_next_seg(&sb, B + 5000, B + 5000, M, 0, true, &seq,
				       &len), 0);
	MG_CHECK_EQ(mg_tcp_sb_next_seg(&sb, B + 5000, B + 5000, M, 10, true,
				       &seq, &len), 2);
	MG_CHECK_EQ(mg_tcp_sb_pipe(&sb, B + 5000, B + 5000, M), 0);
}

static void
test_overflow(void)
{
	struct mg_tcp_scoreboard sb;
	uint32_t i;

	memset(&sb, 0, sizeof(sb));
	mg_tcp_sb_reset(&sb, B);
	for (i = 0; i < MG_TCP_SB_MAX_RANGES; i++)
		MG_CHECK_EQ(upd(&sb, 0, 100000, 1, 1000 + 100 * i, 1050 + 100 * i),
			    50);
	MG_CHECK_EQ(sb.n, MG_TCP_SB_MAX_RANGES);
	MG_CHECK_EQ(sb.overflows, 0);
	/* A new highest range has no room. */
	MG_CHECK_EQ(upd(&sb, 0, 100000, 1, 50000u, 50010u), 0);
	MG_CHECK_EQ(sb.overflows, 1);
	MG_CHECK_EQ(sb.n, MG_TCP_SB_MAX_RANGES);
	/* A lower one pushes out the highest. */
	MG_CHECK_EQ(upd(&sb, 0, 100000, 1, 100u, 200u), 100);
	MG_CHECK_EQ(sb.overflows, 2);
	MG_CHECK_EQ(sb.n, MG_TCP_SB_MAX_RANGES);
	CHECK_RANGE(&sb, 0, 100, 200);
	CHECK_RANGE(&sb, MG_TCP_SB_MAX_RANGES - 1, 1000 + 100 * 30,
		    1050 + 100 * 30);
	MG_CHECK_EQ(sb.sacked_bytes, 100 + 31 * 50);
	/* Merging needs no room. */
	MG_CHECK_EQ(upd(&sb, 0, 100000, 1, 1050u, 1100u), 50);
	MG_CHECK_EQ(sb.n, MG_TCP_SB_MAX_RANGES - 1);
	MG_CHECK_EQ(sb.overflows, 2);
	/* Reset keeps the statistic. */
	mg_tcp_sb_reset(&sb, B);
	MG_CHECK_EQ(sb.n, 0);
	MG_CHECK_EQ(sb.overflows, 2);
}

/* ---- Random run against a per-octet model ---- */

#define SPACE	(1u << 21)	/* octets of sequence space used */
#define RM	100u		/* SMSS of the random run */
#define POOL	512

static uint8_t rcv[SPACE];	/* the receiver holds the octet */
static uint8_t ref[SPACE];	/* the model's SACKed octets */

struct piece {
	uint32_t off, len;
};

struct model {
	uint32_t una, nxt;
	uint32_t hs, hr, rp, rrxt;	/* high_sacked, HighRxt, RecoveryPoint, RescueRxt */
	bool rvalid, in_rec;
	struct piece pool[POOL];	/* segments on their way */
	unsigned np;
};

static uint32_t
umax(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

static uint32_t
umin(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* IsLost(o) by the definition: runs starting above o, octets above o. */
static bool
ref_lost(const struct model *m, uint32_t o)
{
	uint32_t runs = 0, bytes = 0, x;

	for (x = o + 1; x < m->nxt; x++) {
		if (!ref[x])
			continue;
		bytes++;
		if (!ref[x - 1] || x - 1 == o)
			runs += x - 1 == o && ref[o] ? 0 : 1;
	}
	return runs >= MG_TCP_DUPTHRESH || bytes > (MG_TCP_DUPTHRESH - 1) * RM;
}

/* SetPipe octet by octet, IsLost from a running count from the top. */
static uint32_t
ref_pipe(const struct model *m)
{
	uint32_t runs = 0, bytes = 0, pipe = 0, hr = umax(m->hr, m->una);
	uint32_t x;

	for (x = m->nxt; x-- > m->una;) {
		if (ref[x]) {
			bytes++;
			if (x == m->una || !ref[x - 1])
				runs++;
			continue;
		}
		if (!(runs >= MG_TCP_DUPTHRESH ||
		      bytes > (MG_TCP_DUPTHRESH - 1) * RM))
			pipe++;
		if (x < hr)
			pipe++;
	}
	return pipe;
}

static int
ref_next_seg(const struct model *m, uint32_t max_new, bool rescue,
	     uint32_t *seq, uint32_t *len)
{
	uint32_t hr = umax(m->hr, m->una), hs = umin(umax(m->hs, m->una), m->nxt);
	uint32_t s2, e, h, lo;

	for (s2 = hr; s2 < m->nxt && ref[s2]; s2++)
		;
	if (s2 < hs) {
		for (e = s2; e < m->nxt && !ref[e]; e++)
			;
		if (ref_lost(m, s2) || max_new == 0) {
			*seq = s2;
			*len = umin(RM, e - s2);
			return 1;
		}
	}
	if (max_new > 0) {
		*seq = m->nxt;
		*len = umin(RM, max_new);
		return 2;
	}
	if (!rescue || (m->rvalid && m->una < m->rrxt))
		return 0;
	for (h = m->nxt; h > m->una && ref[h - 1]; h--)
		;
	if (h == m->una)
		return 0;
	for (lo = h - 1; lo > m->una && !ref[lo - 1]; lo--)
		;
	*seq = umax(lo, h - umin(h - lo, RM));
	*len = h - *seq;
	return 1;
}

static void
ref_sent(struct model *m, uint32_t seq, uint32_t len)
{
	if (seq >= umax(m->hr, m->una) && seq < umax(m->hs, m->una)) {
		m->hr = umax(m->hr, seq + len);
	} else {
		m->rrxt = umax(umax(m->rp, m->una), seq + len);
		m->rvalid = true;
	}
}

static void
pool_add(struct model *m, uint32_t off, uint32_t len)
{
	if (m->np < POOL) {
		m->pool[m->np].off = off;
		m->pool[m->np].len = len;
		m->np++;
	}
}

/* The receiver's runs of held octets above @p cum. */
static unsigned
rcv_runs(const struct model *m, uint32_t cum, struct piece *runs, unsigned max)
{
	unsigned n = 0;
	uint32_t x = cum;

	while (x < m->nxt && n < max) {
		uint32_t s;

		while (x < m->nxt && !rcv[x])
			x++;
		if (x >= m->nxt)
			break;
		s = x;
		while (x < m->nxt && rcv[x])
			x++;
		runs[n].off = s;
		runs[n].len = x - s;
		n++;
	}
	return n;
}

static void
check_board(const struct mg_tcp_scoreboard *sb, const struct model *m,
	    bool exact, unsigned step)
{
	uint32_t x = m->una, total = 0;
	unsigned i = 0, bad = 0;

	/* Invariants first: sorted, disjoint, not adjacent, sum right. */
	for (i = 0; i < sb->n; i++) {
		uint32_t s = sb->r[i].start - B, e = sb->r[i].end - B;

		if (!(s < e) || s < m->una || e > m->nxt ||
		    (i > 0 && s <= sb->r[i - 1].end - B))
			bad++;
		total += e - s;
		for (x = s; x < e && x < SPACE; x++)
			if (!ref[x])
				bad++;
	}
	if (bad || total != sb->sacked_bytes) {
		fprintf(stderr, "step %u: board inconsistent\n", step);
		MG_CHECK(0);
	}
	if (!exact)
		return;
	/* Exactly the model's runs. */
	i = 0;
	x = m->una;
	while (x < m->nxt) {
		uint32_t s;

		while (x < m->nxt && !ref[x])
			x++;
		if (x >= m->nxt)
			break;
		s = x;
		while (x < m->nxt && ref[x])
			x++;
		if (i >= sb->n || sb->r[i].start - B != s || sb->r[i].end - B != x)
			bad++;
		i++;
	}
	if (bad || i != sb->n) {
		fprintf(stderr, "step %u: board differs from the model\n", step);
		MG_CHECK(0);
	}
}

static void
random_run(unsigned seed, uint32_t window, unsigned steps, bool exact)
{
	static struct mg_tcp_scoreboard sb;
	static struct model m;
	unsigned step, fails = 0, checks = 0, recoveries = 0, rescues = 0;
	unsigned rtos = 0, stuck = 0;
	unsigned rule[3] = { 0, 0, 0 };

	srand(seed);
	memset(rcv, 0, sizeof(rcv));
	memset(ref, 0, sizeof(ref));
	memset(&m, 0, sizeof(m));
	memset(&sb, 0, sizeof(sb));
	mg_tcp_sb_reset(&sb, B);

	for (step = 0; step < steps && m.nxt + 4 * window < SPACE; step++) {
		struct mg_tcp_sack_block blocks[4];
		struct piece runs[64], last = { 0, 0 };
		unsigned nb = 0, nr, k, i;
		uint32_t cum, added, want_added = 0;

		/* Fill the window with new segments of half to one SMSS. */
		while (m.nxt - m.una + RM <= window && m.np < POOL) {
			uint32_t len = RM / 2 + (uint32_t)rand() % (RM / 2 + 1);

			pool_add(&m, m.nxt, len);
			m.nxt += len;
		}
		/* One segment arrives (or is lost), in any order. */
		if (m.np > 0) {
			i = (unsigned)rand() % m.np;
			last = m.pool[i];
			m.pool[i] = m.pool[--m.np];
			if (rand() % 8 != 0)
				memset(&rcv[last.off], 1, last.len);
			else
				last.len = 0;
		}
		/* The receiver acknowledges. */
		for (cum = m.una; cum < m.nxt && rcv[cum]; cum++)
			;
		stuck = cum > m.una ? 0 : stuck + 1;
		if (m.una < m.nxt && (m.np == 0 || stuck > 100)) {
			/* Timeout: forget the SACK information (RFC 6675
			 * 5.1) and resend every hole. */
			uint32_t x = m.una;

			mg_tcp_sb_reset(&sb, B + m.una);
			memset(&ref[m.una], 0, m.nxt - m.una);
			m.hs = m.hr = m.rp = m.una;
			m.rvalid = m.in_rec = false;
			while (x < m.nxt) {
				uint32_t s;

				while (x < m.nxt && rcv[x])
					x++;
				s = x;
				while (x < m.nxt && !rcv[x] && x - s < RM)
					x++;
				if (x > s)
					pool_add(&m, s, x - s);
			}
			stuck = 0;
			rtos++;
		}
		nr = rcv_runs(&m, cum, runs, 64);
		if (last.len > 0 && last.off >= cum) {
			for (k = 0; k < nr; k++)
				if (runs[k].off <= last.off &&
				    last.off < runs[k].off + runs[k].len)
					break;
			if (k < nr) {
				blocks[nb].start = B + runs[k].off;
				blocks[nb].end = B + runs[k].off + runs[k].len;
				nb++;
			}
		}
		while (nb < 4 && nr > 0 && rand() % 4 != 0) {
			k = (unsigned)rand() % nr;
			blocks[nb].start = B + runs[k].off;
			blocks[nb].end = B + runs[k].off + runs[k].len;
			nb++;
		}
		/* Now and then a D-SACK or a block that must be ignored. */
		switch (rand() % 10) {
		case 0:
			if (cum > 50) {
				memmove(&blocks[1], &blocks[0],
					umin(nb, 3) * sizeof(blocks[0]));
				blocks[0].start = B + cum - 50;
				blocks[0].end = B + cum - 10;
				nb = umin(nb + 1, 4);
			}
			break;
		case 1:
			if (nb > 0 && nb < 4 &&
			    blocks[0].end - blocks[0].start > 2) {
				memmove(&blocks[1], &blocks[0],
					nb * sizeof(blocks[0]));
				blocks[0].start = blocks[1].start + 1;
				blocks[0].end = blocks[1].end - 1;
				nb++;
			}
			break;
		case 2:
			if (nb < 4) {
				blocks[nb].start = B + m.nxt - 10;
				blocks[nb].end = B + m.nxt + 10;
				nb++;
			}
			break;
		case 3:
			if (nb < 4) {
				blocks[nb].start = B + cum;
				blocks[nb].end = B + cum + 20;
				nb++;
			}
			break;
		default:
			break;
		}
		/* The model applies the same blocks by their definition. */
		for (k = 0; k < nb; k++) {
			uint32_t s = blocks[k].start - B, e = blocks[k].end - B, x;

			if (!(s > cum && s < e && e <= m.nxt))
				continue;
			if (k == 0 && nb > 1 && s >= blocks[1].start - B &&
			    e <= blocks[1].end - B)
				continue;
			for (x = s; x < e; x++)
				if (!ref[x]) {
					ref[x] = 1;
					want_added++;
				}
			m.hs = umax(m.hs, e);
		}
		m.una = cum;
		added = mg_tcp_sb_update(&sb, B + m.una, B + m.nxt, blocks, nb);
		if (exact && added != want_added)
			fails++;
		check_board(&sb, &m, exact, step);
		checks++;

		/* IsLost at a few octets. */
		if (exact && m.nxt > m.una) {
			for (k = 0; k < 3; k++) {
				uint32_t o = m.una + (uint32_t)rand() % (m.nxt - m.una);

				if (mg_tcp_sb_is_lost(&sb, B + o, RM) !=
				    ref_lost(&m, o))
					fails++;
			}
		}
		/* Recovery: enter on a lost first segment, leave past the
		 * recovery point. */
		if (m.in_rec && m.una >= m.rp)
			m.in_rec = false;
		if (!m.in_rec && m.nxt > m.una &&
		    mg_tcp_sb_is_lost(&sb, B + m.una, RM)) {
			m.in_rec = true;
			m.hr = m.una;
			m.rp = m.nxt;
			m.rvalid = false;
			mg_tcp_sb_enter_recovery(&sb, B + m.una, B + m.nxt);
			recoveries++;
		}
		if (exact && mg_tcp_sb_pipe(&sb, B + m.una, B + m.nxt, RM) !=
		    ref_pipe(&m))
			fails++;
		if (!m.in_rec)
			continue;
		/* Send what NextSeg says, a few segments per ACK. */
		for (k = 0; k < 3; k++) {
			uint32_t max_new = rand() % 2 && m.nxt - m.una + RM <= window ?
				1 + (uint32_t)rand() % (2 * RM) : 0;
			uint32_t seq = 0, len = 0, rseq = 0, rlen = 0;
			int r, rr;

			r = mg_tcp_sb_next_seg(&sb, B + m.una, B + m.nxt, RM,
					       max_new, true, &seq, &len);
			if (r == 1) {
				/* Never SACKed octets, never beyond snd_nxt. */
				if (len == 0 || len > RM ||
				    mg_seq_lt(seq, B + m.una) ||
				    mg_seq_gt(seq + len, B + m.nxt))
					fails++;
				for (i = 0; i < len; i++)
					if (mg_tcp_sb_is_sacked(&sb, seq + i, 1))
						fails++;
			}
			if (exact) {
				rr = ref_next_seg(&m, max_new, true, &rseq, &rlen);
				if (rr != r || (r != 0 && (seq - B != rseq ||
							   len != rlen))) {
					fprintf(stderr, "step %u: next_seg %d %u+%u, "
						"model %d %u+%u\n", step, r,
						seq - B, len, rr, rseq, rlen);
					fails++;
				}
			}
			if (r == 0)
				break;
			rule[r]++;
			if (r == 1) {
				if (!(mg_seq_geq(seq, sb.high_rxt) &&
				      mg_seq_lt(seq, sb.high_sacked)))
					rescues++;
				mg_tcp_sb_sent(&sb, seq, len);
				ref_sent(&m, seq - B, len);
				pool_add(&m, seq - B, len);
			} else {
				pool_add(&m, m.nxt, len);
				m.nxt += len;
			}
		}
	}
	MG_CHECK_EQ(fails, 0);
	MG_CHECK(checks >= steps - 1);
	MG_CHECK(recoveries > 10);
	MG_CHECK(rule[1] > 100);
	MG_CHECK(rule[2] > 50);
	MG_CHECK(rescues > 0);
	if (exact)
		MG_CHECK_EQ(sb.overflows, 0);
	else
		MG_CHECK(sb.overflows > 0);
	printf("seed %u window %u: %u ACKs, %u recoveries, %u RTOs, "
	       "%u retransmissions (%u rescues), %u new, %llu overflows\n",
	       seed, window, checks, recoveries, rtos, rule[1], rescues, rule[2],
	       (unsigned long long)sb.overflows);
}

int
main(void)
{
	test_merge();
	test_ignored_blocks();
	test_is_lost();
	test_pipe_and_next_seg();
	test_overflow();
	/* Up to 48 segments in flight: at most 24 ranges, the model exact. */
	random_run(1, 48 * RM / 2 * 2, 6000, true);
	random_run(7, 40 * RM, 6000, true);
	/* Hundreds in flight: ranges overflow, the board stays a subset. */
	random_run(3, 400 * RM, 3000, false);
	return mg_test_done("tcp_sack");
}
