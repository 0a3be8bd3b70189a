/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_WAF_HS_H
#define MG_WAF_HS_H

#include "waf_internal.h"

/* Put each groupable rule's chain in its phase's trie and its patterns in
 * the database of each variable it reads (load time). */
int waf_hs_form_groups(struct mg_waf_ruleset *rs);
/* Compile (or load from cache_dir) every database and the scratch
 * prototype. err gets "FILE:LINE: Hyperscan: ..." on failure. */
int waf_hs_build(struct mg_waf_ruleset *rs, const char *cache_dir, char *err,
		 size_t errlen);
void waf_hs_free(struct mg_waf_ruleset *rs);
/* The trigger bytes of every transformation (see waf_scan.c). */
void waf_hs_triggers(uint64_t trigger[64][4]);
/* The same by byte: for each byte value, the transformations it is a
 * trigger byte of (a bit each); *triggered: those with any. */
void waf_hs_byte_tfns(uint64_t byte_tfns[256], uint64_t *triggered);

#endif /* MG_WAF_HS_H */
