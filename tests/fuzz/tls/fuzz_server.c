/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Raw bytes from a client, from the first (ClientHello) on, through a
 * server connection on each record path. Byte 0 picks the path and the
 * size of the pieces the rest is given in.
 */
#include "fuzz_tls.h"

static struct mg_tls_server *servers[3];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_setup();
	for (int i = 0; i < 3; i++)
		servers[i] = fz_server((enum mg_tls_record_path)i);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_tls_conn *c;
	uint32_t step, off = 0, idle = 0;
	uint8_t sel;

	if (size < 1)
		return 0;
	sel = data[0];
	data++;
	size--;
	c = mg_tls_conn_accept(servers[sel % 3], 0);
	if (c == NULL)
		return 0;
	/* whole, or pieces of 1 to 63 bytes */
	step = (sel >> 2) ? (sel >> 2) : (uint32_t)size;
	while (off < size) {
		uint32_t n = size - off < step ? (uint32_t)(size - off) : step;
		int r = mg_tls_conn_input(c, data + off, n);

		if (r < 0)
			break;
		if (r == 0 && ++idle > 2)
			break;
		off += (uint32_t)r;
		if (mg_tls_conn_state(c) == MG_TLS_ESTABLISHED)
			mg_tls_conn_write(c, "HTTP/1.1 200 OK\r\n\r\n", 19);
		fz_drain(c);
	}
	mg_tls_conn_check_deadline(c, UINT64_MAX);
	fz_drain(c);
	mg_tls_conn_free(c);
	return 0;
}
