/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Arbitrary bytes as a TCP options area, parsed as a SYN's and as a data
 * segment's. Whatever was parsed (also from a refused area) is written
 * back and must parse again, cleanly, to the same options; the writer must
 * stay 32-bit aligned and within 40 bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tcp_options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
same(const struct mg_tcp_opts *a, const struct mg_tcp_opts *b)
{
	if (a->has_mss != b->has_mss || a->has_wscale != b->has_wscale ||
	    a->has_ts != b->has_ts || a->sack_permitted != b->sack_permitted ||
	    a->n_sack != b->n_sack)
		return false;
	if ((a->has_mss && a->mss != b->mss) ||
	    (a->has_wscale && a->wscale != b->wscale) ||
	    (a->has_ts && (a->ts_val != b->ts_val || a->ts_ecr != b->ts_ecr)))
		return false;
	for (unsigned i = 0; i < a->n_sack; i++)
		if (a->sack[i].start != b->sack[i].start ||
		    a->sack[i].end != b->sack[i].end)
			return false;
	return true;
}

static void
run(const uint8_t *area, unsigned len, bool syn)
{
	struct mg_tcp_opts o, back;
	enum mg_tcp_opt_error why;
	uint8_t out[MG_TCP_OPT_MAXLEN];
	unsigned n;
	int rc;

	rc = mg_tcp_opts_parse_why(area, len, syn, &o, &why);
	if ((rc == 0) != (why == MG_TCP_OPT_ERR_NONE) ||
	    o.n_sack > MG_TCP_MAX_SACK_BLOCKS ||
	    (syn && o.n_sack != 0) ||
	    (!syn && (o.has_mss || o.has_wscale || o.sack_permitted)))
		__builtin_trap();
	n = mg_tcp_opts_write(out, &o, syn);
	if (n % 4 != 0 || n > MG_TCP_OPT_MAXLEN)
		__builtin_trap();
	if (mg_tcp_opts_parse(out, n, syn, &back) != 0 || !same(&o, &back))
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *area;

	/* a header carries at most 40 bytes; longer inputs are cut so that
	 * the fuzzer spends its time on real shapes */
	if (size > MG_TCP_OPT_MAXLEN)
		size = MG_TCP_OPT_MAXLEN;
	/* an exact-size copy: ASan catches any read past the area */
	area = malloc(size ? size : 1);
	if (area == NULL)
		return 0;
	memcpy(area, data, size);
	run(area, (unsigned)size, true);
	run(area, (unsigned)size, false);
	free(area);
	return 0;
}
