/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Received SYN-ACKs are untrusted: mg_tcp_probe_rst_in_place() and the
 * probe decoder must reject or handle any frame and any offsets.
 * Input: byte 0 bit 0 = family (IPv4/IPv6), bytes 1-2 = l3 offset,
 * bytes 3-4 = l4 offset (little endian), then the frame.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "mg_health.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct mg_health_key key = {
		{ 0x1111, 0x2222, 0x3333, 0x4444, 0x5555 }, 64 };
	struct rte_mbuf m;
	uint16_t l3_off, l4_off, len;
	uint8_t family, *frame;
	uint32_t target, id;

	if (size < 5 || size - 5 > 4096)
		return 0;
	family = (data[0] & 1) ? AF_INET6 : AF_INET;
	l3_off = (uint16_t)(data[1] | data[2] << 8);
	l4_off = (uint16_t)(data[3] | data[4] << 8);
	len = (uint16_t)(size - 5);
	/* Exactly the frame's size, so that ASan sees any overrun. */
	frame = malloc(len ? len : 1);
	if (frame == NULL)
		return 0;
	memcpy(frame, data + 5, len);

	/* A one-segment mbuf around the buffer; no EAL needed. */
	memset(&m, 0, sizeof(m));
	m.buf_addr = frame;
	m.buf_len = len;
	m.data_off = 0;
	m.data_len = len;
	m.pkt_len = len;
	m.nb_segs = 1;
	if (mg_tcp_probe_rst_in_place(&m, l3_off, l4_off, family) == 0) {
		uint16_t l4 = l3_off + (family == AF_INET ? 20 : 40);
		const struct rte_tcp_hdr *tcp;

		if (m.data_len > len || m.data_len != l4 + sizeof(*tcp))
			abort();
		tcp = (const struct rte_tcp_hdr *)(frame + l4);
		if (tcp->tcp_flags != RTE_TCP_RST_FLAG)
			abort();
		if (mg_health_key_decode(&key, rte_be_to_cpu_32(tcp->sent_seq) - 1,
					 &target, &id) == 0 &&
		    (target >= key.n_targets ||
		     mg_health_key_seq(&key, target, id) !=
		     rte_be_to_cpu_32(tcp->sent_seq) - 1))
			abort();
	}
	free(frame);
	return 0;
}
