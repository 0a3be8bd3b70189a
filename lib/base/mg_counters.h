/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_COUNTERS_H
#define MG_COUNTERS_H

/*
 * Counter structs that hold uint64_t fields only (per-worker statistics)
 * are summed field by field; a static assertion at each use checks the
 * layout.
 */
#include <stddef.h>
#include <stdint.h>

#define MG_COUNTERS_ADD(dst, src) do {					\
	_Static_assert(sizeof(*(dst)) % sizeof(uint64_t) == 0 &&	\
		       sizeof(*(dst)) == sizeof(*(src)),		\
		       "a struct of uint64_t counters");		\
	mg_counters_add((uint64_t *)(dst), (const uint64_t *)(src),	\
			sizeof(*(dst)) / sizeof(uint64_t));		\
} while (0)

static inline void
mg_counters_add(uint64_t *dst, const uint64_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] += src[i];
}

#endif /* MG_COUNTERS_H */
