/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_WAF_TEST_H
#define MG_WAF_TEST_H

/* Helpers of the lib/waf white-box tests. */

#include "waf_internal.h"

#define CRS_SETUP "/etc/modsecurity/crs/crs-setup.conf"
#define CRS_RULES "/usr/share/modsecurity-crs/rules"

/* The chain head with this id, or NULL. */
static inline const struct waf_rule *
waf_test_rule(const struct mg_waf_ruleset *rs, uint32_t id)
{
	for (uint32_t i = 0; i < rs->n_rules; i++)
		if (rs->rules[i].id == id)
			return &rs->rules[i];
	return NULL;
}

#endif /* MG_WAF_TEST_H */
