/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_TCP_SACK_H
#define MG_TCP_SACK_H

/*
 * The sender's SACK scoreboard and the loss-recovery rules of RFC 6675
 * (IsLost, SetPipe, NextSeg). The connection feeds it the SACK blocks of
 * every ACK and asks it what to retransmit. Private to lib/tcp.
 */

#include <stdbool.h>
#include <stdint.h>

#include "tcp_options.h"

#define MG_TCP_SB_MAX_RANGES	32	/* SACKed ranges remembered */
#define MG_TCP_DUPTHRESH	3

/*
 * Sequence numbers here are "one past" where RFC 6675 names the highest
 * octet: high_sacked, high_rxt and rescue_rxt are exclusive ends.
 * Call mg_tcp_sb_update() on every ACK that advances snd_una or carries
 * SACK blocks; the other calls take snd_una/snd_nxt and ignore anything
 * of the board outside [snd_una, snd_nxt).
 */
struct mg_tcp_scoreboard {
	uint8_t n;			/* ranges, sorted, disjoint, not adjacent */
	uint8_t rescue_valid;		/* rescue_rxt is set (RFC: "defined") */
	struct mg_tcp_sack_block r[MG_TCP_SB_MAX_RANGES];
	uint32_t sacked_bytes;		/* sum of range lengths */
	uint32_t high_sacked;		/* highest SACKed sequence + 1 */
	uint32_t high_rxt;		/* RFC 6675 HighRxt */
	uint32_t rescue_rxt;		/* RFC 6675 RescueRxt */
	uint32_t recovery_point;	/* RFC 6675 RecoveryPoint (snd_nxt) */
	uint64_t overflows;		/* ranges dropped for lack of room (the
					 * highest go first; kept by reset) */
};

/** Forget everything (connection start, RTO: RFC 6675 5.1). Zero the
 *  struct once when the connection is created (overflows survives). */
void mg_tcp_sb_reset(struct mg_tcp_scoreboard *sb, uint32_t snd_una);

/** Loss recovery starts (RFC 6675 5 (4.1)): RecoveryPoint = @p snd_nxt,
 *  HighRxt = @p snd_una, RescueRxt undefined. Call it before the first
 *  retransmission of each recovery episode. */
void mg_tcp_sb_enter_recovery(struct mg_tcp_scoreboard *sb, uint32_t snd_una,
			      uint32_t snd_nxt);

/**
 * Apply an ACK: drop what is below the new @p snd_una and merge the SACK
 * blocks [start, end) with snd_una < start < end <= snd_nxt; others
 * (stale or forged blocks) are ignored, and so is a D-SACK (RFC 2883: a
 * first block below snd_una or inside the second block).
 * @return bytes newly SACKed by this ACK (what the kept ranges gained;
 *         nonzero makes a dupack count for RFC 6675 loss detection).
 */
uint32_t mg_tcp_sb_update(struct mg_tcp_scoreboard *sb, uint32_t snd_una,
			  uint32_t snd_nxt, const struct mg_tcp_sack_block *blocks,
			  unsigned n_blocks);

/** RFC 6675 IsLost(seq): DupThresh discontiguous SACKed segments, or
 *  more than (DupThresh - 1) * SMSS bytes SACKed, above @p seq. The board
 *  holds byte ranges, not segments: each SACKed range wholly above @p seq
 *  counts as one segment (a range of several full segments meets the
 *  byte test anyway). */
bool mg_tcp_sb_is_lost(const struct mg_tcp_scoreboard *sb, uint32_t seq,
		       uint32_t mss);

/** True when [seq, seq + len) is entirely SACKed. */
bool mg_tcp_sb_is_sacked(const struct mg_tcp_scoreboard *sb, uint32_t seq,
			 uint32_t len);

/** RFC 6675 SetPipe: octets thought to be in the network: over the
 *  unSACKed octets of [snd_una, snd_nxt), one for each not IsLost() and
 *  one more for each retransmitted (below HighRxt). */
uint32_t mg_tcp_sb_pipe(const struct mg_tcp_scoreboard *sb, uint32_t snd_una,
			uint32_t snd_nxt, uint32_t mss);

/**
 * RFC 6675 NextSeg: the next range to send during recovery.
 * @param max_new  bytes of new data that may be sent (0 when none is
 *                 waiting or the receive window is closed)
 * @param rescue   allow rule 4 (one rescue retransmission per recovery)
 * @return 1 with *seq, *len for a retransmission (rules 1 and 3; 4 when
 *         @p rescue), 2 for new data (rule 2: *seq = snd_nxt, *len =
 *         min(SMSS, max_new)), 0 when nothing may be sent.
 *         Retransmissions never cover SACKed octets: rules 1 and 3 give
 *         up to SMSS from the first unSACKed octet at or above HighRxt,
 *         cut at the next SACKed range; rule 4 the last (up to) SMSS of
 *         the highest unSACKed range. The board changes only when the
 *         caller reports the send with mg_tcp_sb_sent().
 */
int mg_tcp_sb_next_seg(const struct mg_tcp_scoreboard *sb, uint32_t snd_una,
		       uint32_t snd_nxt, uint32_t mss, uint32_t max_new,
		       bool rescue, uint32_t *seq, uint32_t *len);

/** Record that [seq, seq + len) was retransmitted. One that starts in
 *  [high_rxt, high_sacked) came from rules 1/3 and advances HighRxt; any
 *  other (rule 4, or a resend outside SACK recovery) is a rescue:
 *  RescueRxt = max(RecoveryPoint, seq + len), HighRxt untouched. */
void mg_tcp_sb_sent(struct mg_tcp_scoreboard *sb, uint32_t seq, uint32_t len);

#endif /* MG_TCP_SACK_H */
