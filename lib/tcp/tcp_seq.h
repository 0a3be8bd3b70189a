/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_TCP_SEQ_H
#define MG_TCP_SEQ_H

/* Sequence-number arithmetic modulo 2^32 (RFC 9293 3.4). */

#include <stdbool.h>
#include <stdint.h>

static inline bool mg_seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline bool mg_seq_leq(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static inline bool mg_seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
static inline bool mg_seq_geq(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }
static inline uint32_t mg_seq_max(uint32_t a, uint32_t b) { return mg_seq_gt(a, b) ? a : b; }
static inline uint32_t mg_seq_min(uint32_t a, uint32_t b) { return mg_seq_lt(a, b) ? a : b; }
/* a <= x < b */
static inline bool
mg_seq_in(uint32_t x, uint32_t a, uint32_t b)
{
	return mg_seq_leq(a, x) && mg_seq_lt(x, b);
}

#endif /* MG_TCP_SEQ_H */
