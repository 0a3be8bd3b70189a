/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SecLang loader on arbitrary rule text. The first byte chooses: bit 0
 * also builds the Hyperscan scan sets (slower: a compile per input) and
 * evaluates two requests with the rules; otherwise the text is only
 * parsed and linked. Any outcome is fine but a crash, a leak or undefined
 * behaviour; a refusal must come with "FILE:LINE: reason".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mg_waf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const requests[] = {
	"GET /a.php?id=1%27%20or%201=1--&x=%3Cscript%3E HTTP/1.1\r\n"
	"Host: h\r\nCookie: s=1\r\nUser-Agent: fuzz\r\n\r\n",
	"POST /p HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n"
	"Content-Length: 21\r\n\r\n{\"a\":[1,\"b\"],\"c\":{}}",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_waf_conf conf = { .arena_size = 1 << 16,
				    .body_limit = 1 << 12 };
	char err[MG_WAF_ERRLEN];
	struct mg_waf_ruleset *rs;
	char *text;
	bool run;

	if (size < 1 || size > 1 << 16)
		return 0;
	run = data[0] & 1;
	conf.no_scan_sets = !run;
	text = malloc(size);
	if (text == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	rs = mg_waf_load_text("fuzz.conf", text, &conf, err, sizeof(err));
	if (rs == NULL) {
		/* every refusal names the place */
		if (strncmp(err, "fuzz.conf:", 10) != 0 &&
		    strncmp(err, "<configuration", 14) != 0 &&
		    strstr(err, ":") == NULL)
			__builtin_trap();
	} else if (run) {
		struct mg_waf_ctx *ctx = mg_waf_ctx_create(rs, &conf);
		struct mg_waf_result res;
		char audit[4096];

		for (unsigned i = 0; ctx && i < 2; i++) {
			mg_waf_eval(ctx, (const uint8_t *)requests[i],
				    strlen(requests[i]), NULL, &res);
			mg_waf_audit_json(ctx, &res, audit, sizeof(audit));
		}
		mg_waf_ctx_free(ctx);
	}
	mg_waf_ruleset_free(rs);
	free(text);
	return 0;
}
