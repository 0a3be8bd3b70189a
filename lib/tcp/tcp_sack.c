/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SACK scoreboard (RFC 6675). SACKed data is a short sorted array of
 * byte ranges; every question (IsLost, pipe, NextSeg) is answered by one
 * walk over at most MG_TCP_SB_MAX_RANGES ranges. Within one hole between
 * ranges every unSACKed octet has the same SACKed data above it, so IsLost
 * is decided per hole, not per octet.
 */

#include <string.h>

#include "tcp_sack.h"
#include "tcp_seq.h"

static inline uint32_t
blk_len(const struct mg_tcp_sack_block *b)
{
	return b->end - b->start;
}

static inline bool
lost_by(uint32_t ranges_above, uint32_t bytes_above, uint32_t mss)
{
	return ranges_above >= MG_TCP_DUPTHRESH ||
		bytes_above > (MG_TCP_DUPTHRESH - 1) * mss;
}

void
mg_tcp_sb_reset(struct mg_tcp_scoreboard *sb, uint32_t snd_una)
{
	sb->n = 0;
	sb->rescue_valid = 0;
	sb->sacked_bytes = 0;
	sb->high_sacked = snd_una;
	sb->high_rxt = snd_una;
	sb->rescue_rxt = snd_una;
	sb->recovery_point = snd_una;
}

void
mg_tcp_sb_enter_recovery(struct mg_tcp_scoreboard *sb, uint32_t snd_una,
			 uint32_t snd_nxt)
{
	sb->high_rxt = snd_una;
	sb->recovery_point = snd_nxt;
	sb->rescue_valid = 0;
}

/* Forget what the cumulative ACK covers. Marks left below snd_una are
 * pulled up to it so that they cannot come back to life on wrap-around. */
static void
sb_advance(struct mg_tcp_scoreboard *sb, uint32_t snd_una)
{
	unsigned i = 0;

	while (i < sb->n && mg_seq_leq(sb->r[i].end, snd_una))
		sb->sacked_bytes -= blk_len(&sb->r[i++]);
	if (i > 0) {
		memmove(&sb->r[0], &sb->r[i], (sb->n - i) * sizeof(sb->r[0]));
		sb->n -= i;
	}
	/* Only a reneging receiver leaves a range straddling snd_una. */
	if (sb->n > 0 && mg_seq_lt(sb->r[0].start, snd_una)) {
		sb->sacked_bytes -= snd_una - sb->r[0].start;
		sb->r[0].start = snd_una;
	}
	if (mg_seq_lt(sb->high_sacked, snd_una))
		sb->high_sacked = snd_una;
	if (mg_seq_lt(sb->high_rxt, snd_una))
		sb->high_rxt = snd_una;
	if (mg_seq_lt(sb->recovery_point, snd_una))
		sb->recovery_point = snd_una;
	/* HighACK past RescueRxt allows a rescue again: same as undefined. */
	if (sb->rescue_valid && mg_seq_geq(snd_una, sb->rescue_rxt))
		sb->rescue_valid = 0;
}

/* Merge [s, e) into the ranges; returns the octets it added. */
static uint32_t
sb_add(struct mg_tcp_scoreboard *sb, uint32_t s, uint32_t e)
{
	unsigned i, j, k;
	uint32_t ns, ne, old = 0, added;

	for (i = 0; i < sb->n && mg_seq_lt(sb->r[i].end, s); i++)
		;
	for (j = i; j < sb->n && mg_seq_leq(sb->r[j].start, e); j++)
		;
	if (i == j) {
		if (sb->n == MG_TCP_SB_MAX_RANGES) {
			/* Lose the highest range: the lowest ones decide what
			 * is retransmitted next. */
			sb->overflows++;
			if (i == sb->n)
				return 0;
			sb->n--;
			sb->sacked_bytes -= blk_len(&sb->r[sb->n]);
		}
		memmove(&sb->r[i + 1], &sb->r[i], (sb->n - i) * sizeof(sb->r[0]));
		sb->r[i].start = s;
		sb->r[i].end = e;
		sb->n++;
		sb->sacked_bytes += e - s;
		return e - s;
	}
	ns = mg_seq_min(s, sb->r[i].start);
	ne = mg_seq_max(e, sb->r[j - 1].end);
	for (k = i; k < j; k++)
		old += blk_len(&sb->r[k]);
	sb->r[i].start = ns;
	sb->r[i].end = ne;
	memmove(&sb->r[i + 1], &sb->r[j], (sb->n - j) * sizeof(sb->r[0]));
	sb->n -= j - i - 1;
	added = (ne - ns) - old;
	sb->sacked_bytes += added;
	return added;
}

uint32_t
mg_tcp_sb_update(struct mg_tcp_scoreboard *sb, uint32_t snd_una,
		 uint32_t snd_nxt, const struct mg_tcp_sack_block *blocks,
		 unsigned n_blocks)
{
	uint32_t added = 0;
	unsigned k;

	sb_advance(sb, snd_una);
	for (k = 0; k < n_blocks; k++) {
		uint32_t s = blocks[k].start, e = blocks[k].end;

		if (!mg_seq_gt(s, snd_una) || !mg_seq_lt(s, e) ||
		    mg_seq_gt(e, snd_nxt))
			continue;
		/* RFC 2883: a first block inside the second reports a
		 * duplicate, not new data. */
		if (k == 0 && n_blocks > 1 &&
		    mg_seq_geq(s, blocks[1].start) &&
		    mg_seq_leq(e, blocks[1].end))
			continue;
		added += sb_add(sb, s, e);
		if (mg_seq_gt(e, sb->high_sacked))
			sb->high_sacked = e;
	}
	return added;
}

bool
mg_tcp_sb_is_lost(const struct mg_tcp_scoreboard *sb, uint32_t seq,
		  uint32_t mss)
{
	uint32_t ranges = 0, bytes = 0;
	int i;

	for (i = (int)sb->n - 1; i >= 0; i--) {
		const struct mg_tcp_sack_block *b = &sb->r[i];

		if (mg_seq_gt(b->start, seq)) {
			ranges++;
			bytes += blk_len(b);
		} else {
			/* seq itself is SACKed: count what is above it. */
			if (mg_seq_lt(seq, b->end))
				bytes += b->end - seq - 1;
			break;
		}
		if (lost_by(ranges, bytes, mss))
			return true;
	}
	return lost_by(ranges, bytes, mss);
}

bool
mg_tcp_sb_is_sacked(const struct mg_tcp_scoreboard *sb, uint32_t seq,
		    uint32_t len)
{
	unsigned i;

	if (len == 0)
		return true;
	for (i = 0; i < sb->n; i++) {
		const struct mg_tcp_sack_block *b = &sb->r[i];

		if (mg_seq_leq(b->start, seq) && mg_seq_lt(seq, b->end))
			return mg_seq_leq(seq + len, b->end);
	}
	return false;
}

/* A range clipped to [una, nxt); false when nothing is left of it. */
static inline bool
clip(const struct mg_tcp_sack_block *b, uint32_t una, uint32_t nxt,
     uint32_t *cs, uint32_t *ce)
{
	*cs = mg_seq_max(b->start, una);
	*ce = mg_seq_min(b->end, nxt);
	return mg_seq_lt(*cs, *ce);
}

uint32_t
mg_tcp_sb_pipe(const struct mg_tcp_scoreboard *sb, uint32_t snd_una,
	       uint32_t snd_nxt, uint32_t mss)
{
	uint32_t ranges = 0, bytes = 0, pipe = 0, pos = snd_una, hr, cs, ce;
	unsigned i;

	if (!mg_seq_lt(snd_una, snd_nxt))
		return 0;
	hr = mg_seq_min(mg_seq_max(sb->high_rxt, snd_una), snd_nxt);
	for (i = 0; i < sb->n; i++)
		if (clip(&sb->r[i], snd_una, snd_nxt, &cs, &ce)) {
			ranges++;
			bytes += ce - cs;
		}
	/* Each hole, then the part above the last range (nothing above). */
	for (i = 0; i <= sb->n; i++) {
		if (i < sb->n) {
			if (!clip(&sb->r[i], snd_una, snd_nxt, &cs, &ce))
				continue;
		} else {
			cs = ce = snd_nxt;
		}
		if (mg_seq_lt(pos, cs)) {
			if (!lost_by(ranges, bytes, mss))
				pipe += cs - pos;
			if (mg_seq_lt(pos, hr))
				pipe += mg_seq_min(cs, hr) - pos;
		}
		if (i < sb->n) {
			ranges--;
			bytes -= ce - cs;
		}
		pos = ce;
	}
	return pipe;
}

int
mg_tcp_sb_next_seg(const struct mg_tcp_scoreboard *sb, uint32_t snd_una,
		   uint32_t snd_nxt, uint32_t mss, uint32_t max_new,
		   bool rescue, uint32_t *seq, uint32_t *len)
{
	uint32_t s2, hole_end, hs, top, bottom;
	unsigned i;
	int k;

	if (mss == 0)
		return 0;
	if (mg_seq_lt(snd_una, snd_nxt)) {
		/* S2: the first unSACKed octet at or above HighRxt. */
		s2 = mg_seq_min(mg_seq_max(sb->high_rxt, snd_una), snd_nxt);
		hole_end = snd_nxt;
		for (i = 0; i < sb->n; i++) {
			if (mg_seq_leq(sb->r[i].end, s2))
				continue;
			if (mg_seq_leq(sb->r[i].start, s2)) {
				s2 = sb->r[i].end;
				continue;
			}
			hole_end = mg_seq_min(sb->r[i].start, snd_nxt);
			break;
		}
		hs = mg_seq_min(mg_seq_max(sb->high_sacked, snd_una), snd_nxt);
		if (mg_seq_lt(s2, hs) && mg_seq_lt(s2, hole_end)) {
			/* Rule 1, or rule 3 when no new data may go. */
			if (mg_tcp_sb_is_lost(sb, s2, mss) || max_new == 0) {
				*seq = s2;
				*len = hole_end - s2 < mss ? hole_end - s2 : mss;
				return 1;
			}
		}
	}
	if (max_new > 0) {		/* rule 2 */
		*seq = snd_nxt;
		*len = max_new < mss ? max_new : mss;
		return 2;
	}
	if (!rescue || !mg_seq_lt(snd_una, snd_nxt) ||
	    (sb->rescue_valid && mg_seq_lt(snd_una, sb->rescue_rxt)))
		return 0;
	/* Rule 4: the last SMSS of the highest unSACKed range. */
	top = snd_nxt;
	bottom = snd_una;
	for (k = (int)sb->n - 1; k >= 0; k--) {
		uint32_t cs, ce;

		if (!clip(&sb->r[k], snd_una, snd_nxt, &cs, &ce) ||
		    mg_seq_geq(cs, top))
			continue;
		if (mg_seq_geq(ce, top)) {
			top = cs;
			continue;
		}
		bottom = ce;
		break;
	}
	if (!mg_seq_lt(snd_una, top))
		return 0;
	*seq = top - bottom > mss ? top - mss : bottom;
	*len = top - *seq;
	return 1;
}

void
mg_tcp_sb_sent(struct mg_tcp_scoreboard *sb, uint32_t seq, uint32_t len)
{
	uint32_t end = seq + len;

	if (mg_seq_geq(seq, sb->high_rxt) && mg_seq_lt(seq, sb->high_sacked)) {
		sb->high_rxt = mg_seq_max(sb->high_rxt, end);
		return;
	}
	sb->rescue_rxt = mg_seq_max(sb->recovery_point, end);
	sb->rescue_valid = 1;
}
