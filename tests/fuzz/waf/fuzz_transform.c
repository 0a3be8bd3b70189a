/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Transformations on arbitrary bytes: the first byte picks one (or, with
 * the high bit, a chain of the next bytes' picks). Each step writes into a
 * buffer of exactly mg_waf_transform_out_max() bytes, so ASan sees any
 * write past the documented bound; a buffer one byte short must be
 * refused untouched; in-place runs must equal out-of-place ones. The
 * detectors then read every result.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "waf_detect.h"
#include "waf_transform.h"

static uint8_t *
fz_step(int id, const uint8_t *in, size_t len, size_t *out_len)
{
	size_t cap = mg_waf_transform_out_max(id, len);
	uint8_t *out = malloc(cap ? cap : 1);
	uint8_t *same;
	size_t n;

	if (out == NULL)
		__builtin_trap();
	if (cap > MG_WAF_TRANSFORM_OUT_MAX(len))
		__builtin_trap();
	if (cap > 0) {
		out[0] = 0xa5;
		if (mg_waf_transform_apply(id, in, len, out, cap - 1) !=
		    MG_WAF_TRANSFORM_E_CAP || out[0] != 0xa5)
			__builtin_trap();
	}
	n = mg_waf_transform_apply(id, in, len, out, cap);
	if (n > cap)
		__builtin_trap();
	if (mg_waf_transform_in_place(id)) {
		size_t room = cap > len ? cap : len;

		same = malloc(room ? room : 1);
		if (same == NULL)
			__builtin_trap();
		if (len)
			memcpy(same, in, len);
		if (mg_waf_transform_apply(id, same, len, same, room) != n ||
		    (n && memcmp(same, out, n) != 0))
			__builtin_trap();
		free(same);
	}
	*out_len = n;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t steps = 1, len, n;
	uint8_t *cur, *next;
	char fp[MG_WAF_SQLI_FP_SIZE];

	if (size < 1)
		return 0;
	if (data[0] & 0x80)
		steps = 1 + (data[0] & 3);
	if (size < steps)
		return 0;
	len = size - steps;
	/* an exact-size copy: reads past the end are caught too */
	cur = malloc(len ? len : 1);
	if (cur == NULL)
		__builtin_trap();
	if (len)
		memcpy(cur, data + steps, len);
	for (size_t s = 0; s < steps; s++) {
		int id = (steps == 1 ? data[0] : data[s]) % MG_WAF_T_MAX;

		next = fz_step(id, cur, len, &n);
		free(cur);
		cur = next;
		len = n;
		if (mg_waf_transform_name(id)[0] == '?')
			__builtin_trap();
	}
	if (mg_waf_detect_sqli(cur, len, fp) != (fp[0] != 0) ||
	    strlen(fp) >= MG_WAF_SQLI_FP_SIZE)
		__builtin_trap();
	(void)mg_waf_detect_xss(cur, len);
	free(cur);
	return 0;
}
