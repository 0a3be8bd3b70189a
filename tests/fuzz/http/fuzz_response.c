/* SPDX-License-Identifier: Apache-2.0 */
#include "fuzz_head.h"

static void
resp_init(struct mg_http_msg *m, struct mg_http_header *h, uint8_t sel)
{
	static const enum mg_http_method meth[4] = {
		MG_HTTP_M_GET, MG_HTTP_M_HEAD, MG_HTTP_M_CONNECT, MG_HTTP_M_POST,
	};
	struct mg_http_limits lim = {
		.max_line = (sel & 0x10) ? 64 : 0,
		.max_head = (sel & 0x20) ? 128 : 0,
		.max_body = (sel & 0x40) ? 1000 : 0,
	};

	mg_http_response_init(m, h, (sel & 0x80) ? 2 : FZ_MAXH, &lim,
			      meth[(sel >> 2) & 3]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fz_run(mg_http_response_parse, resp_init, data, size);
}
