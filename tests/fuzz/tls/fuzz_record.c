/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Records after a real handshake (with OpenSSL's client over memory
 * BIOs), built from the input and sealed with the connection's own read
 * keys so that they get past authentication: application data, alerts,
 * handshake messages (KeyUpdate, tickets, renegotiation), padding, bad
 * types, lengths and tags, in pieces of any size.
 *
 * Byte 0: bit 0 TLS 1.3, bit 1 EVP instead of IPsec-MB, bits 2-7 the
 * piece size (0: whole). Then records: a flags byte (bits 0-2 the type:
 * 0-2 application data, 3 alert, 4 handshake, 5 ChangeCipherSpec, 6 raw
 * bytes, 7 the next byte; bit 3 spoil the tag; bit 4 TLS 1.3 padding;
 * bit 5 wrong sequence number; bit 6 our KeyUpdate first; bit 7 our
 * close_notify first), two length bytes, the plaintext.
 */
#include "fuzz_tls.h"

static struct mg_tls_server *servers[2];
static SSL_CTX *client_ctx[2];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_setup();
	servers[0] = fz_server(MG_TLS_RECORD_IPSEC_MB);
	servers[1] = fz_server(MG_TLS_RECORD_EVP);
	for (int v = 0; v < 2; v++) {
		client_ctx[v] = SSL_CTX_new(TLS_client_method());
		SSL_CTX_set_min_proto_version(client_ctx[v],
			v ? TLS1_3_VERSION : TLS1_2_VERSION);
		SSL_CTX_set_max_proto_version(client_ctx[v],
			v ? TLS1_3_VERSION : TLS1_2_VERSION);
	}
	return 0;
}

/* Our output to the client, the client's to us; false when stuck. */
static void
shuttle(struct mg_tls_conn *c, SSL *peer)
{
	uint8_t buf[16384];
	int n;

	for (int round = 0; round < 8; round++) {
		const uint8_t *p;
		uint32_t len;

		while ((p = mg_tls_conn_output_peek(c, &len)) != NULL) {
			BIO_write(SSL_get_rbio(peer), p, (int)len);
			mg_tls_conn_output_consume(c, len);
		}
		if (!SSL_is_init_finished(peer))
			SSL_do_handshake(peer);
		else
			SSL_read(peer, buf, sizeof(buf));
		ERR_clear_error();
		while ((n = BIO_read(SSL_get_wbio(peer), buf, sizeof(buf))) > 0)
			if (mg_tls_conn_input(c, buf, (uint32_t)n) < 0)
				return;
	}
}

static void
feed(struct mg_tls_conn *c, const uint8_t *p, uint32_t n, uint32_t step)
{
	uint32_t off = 0, idle = 0;

	while (off < n) {
		uint32_t k = step && step < n - off ? step : n - off;
		int r = mg_tls_conn_input(c, p + off, k);

		if (r < 0)
			return;
		if (r == 0 && ++idle > 2)
			return;
		off += (uint32_t)r;
		fz_drain(c);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t rec[TLS_RX_CAP + 512], plain[TLS_MAX_PLAIN + 512];
	struct mg_tls_conn *c;
	SSL *peer;
	uint32_t step;
	bool v13;

	if (size < 1)
		return 0;
	v13 = data[0] & 1;
	step = data[0] >> 2;
	c = mg_tls_conn_accept(servers[(data[0] >> 1) & 1], 0);
	peer = SSL_new(client_ctx[v13]);
	SSL_set_bio(peer, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
	SSL_set_connect_state(peer);
	SSL_set_tlsext_host_name(peer, "api.lab.test");
	shuttle(c, peer);
	data++;
	size--;
	while (size >= 3 && mg_tls_conn_state(c) == MG_TLS_ESTABLISHED &&
	       c->mode == TLS_MODE_REC) {
		static const uint8_t types[8] = { 23, 23, 23, 21, 22, 20, 0, 0 };
		struct tls_rec *r = &c->rec;
		uint8_t f = data[0], type = types[f & 7];
		uint32_t len = ((uint32_t)data[1] << 8 | data[2]) %
			       (TLS_MAX_PLAIN + 300), n;

		data += 3;
		size -= 3;
		if ((f & 7) == 7 && size > 0) {
			type = data[0];
			data++;
			size--;
		}
		if (len > size)
			len = (uint32_t)size;
		if (f & 0x40)
			mg_tls_conn_key_update(c, f & 1);
		if (f & 0x80)
			mg_tls_conn_shutdown(c);
		if ((f & 7) == 6) {
			feed(c, data, len, step);
		} else {
			uint32_t pl = len;

			memcpy(plain, data, len);
			if ((f & 0x10) && v13) {
				/* the type, then zeros, inside */
				plain[pl++] = type;
				memset(plain + pl, 0, 64);
				pl += 64;
				type = 0;
			}
			if (pl > TLS_MAX_PLAIN + 256)
				pl = TLS_MAX_PLAIN + 256;
			n = tls_rec_seal_one(r, fz_lc, type, plain, pl,
					     r->rd.seq + ((f & 0x20) ? 1 : 0),
					     &r->rd, rec);
			if (n > 0 && (f & 0x08))
				rec[n - 1] ^= 0x01;
			if (n > 0)
				feed(c, rec, n, step);
		}
		data += len;
		size -= len;
		shuttle(c, peer);
	}
	fz_drain(c);
	mg_tls_conn_free(c);
	SSL_free(peer);
	return 0;
}
