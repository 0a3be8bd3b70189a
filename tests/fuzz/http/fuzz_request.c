/* SPDX-License-Identifier: Apache-2.0 */
#include "fuzz_head.h"

static void
req_init(struct mg_http_msg *m, struct mg_http_header *h, uint8_t sel)
{
	struct mg_http_limits lim = {
		.max_line = (sel & 0x10) ? 64 : 0,
		.max_head = (sel & 0x20) ? 128 : 0,
		.max_body = (sel & 0x40) ? 1000 : 0,
	};

	mg_http_request_init(m, h, (sel & 0x80) ? 2 : FZ_MAXH, &lim);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fz_run(mg_http_request_parse, req_init, data, size);
}
