/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_CLOCK_H
#define MG_CLOCK_H

/*
 * Time for timeouts. Fast-path code takes "now" as an argument in
 * microseconds rather than reading a clock itself, so that unit tests drive
 * it with a virtual clock; the worker loop reads mg_clock_now_us() once per
 * burst.
 */

#include <stdint.h>
#include <rte_cycles.h>

static inline uint64_t
mg_clock_now_us(void)
{
	/* TSC to microseconds: one multiply-free divide per burst, fine. */
	return rte_get_tsc_cycles() / (rte_get_tsc_hz() / 1000000);
}

#endif /* MG_CLOCK_H */
