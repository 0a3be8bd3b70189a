/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared set-up of the TLS fuzzers: a self-signed ECDSA certificate for
 * api.lab.test made with the OpenSSL API into a temporary directory (no
 * key is committed), an lcore, and a server context that asks for
 * optional client certificates, issues tickets and speaks ALPN.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/rand.h>

#include "mg_tls.h"
#include "tls_private.h"
#include "tls_selfsigned.h"

static char fz_dir[64];
static char fz_crt[128], fz_key[128], fz_tickets[128];
static struct mg_tls_lcore *fz_lc;

static const char *
fz_path(char *buf, const char *name)
{
	snprintf(buf, 128, "%s/%s", fz_dir, name);
	return buf;
}

static void
fz_cleanup(void)
{
	char cmd[96];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", fz_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", fz_dir);
}

static void
fz_make_cert(void)
{
	uint8_t raw[80];
	char b64[128];
	FILE *f;

	snprintf(fz_dir, sizeof(fz_dir), "/tmp/mg-tls-fuzz-XXXXXX");
	if (mkdtemp(fz_dir) == NULL)
		abort();
	atexit(fz_cleanup);
	if (tls_selfsigned_write(fz_dir, "ec", "api.lab.test",
				 "DNS:api.lab.test,DNS:*.lab.test", fz_crt,
				 fz_key) != 0)
		abort();
	f = fopen(fz_path(fz_tickets, "tickets.key"), "w");
	RAND_bytes(raw, sizeof(raw));
	EVP_EncodeBlock((uint8_t *)b64, raw, sizeof(raw));
	fprintf(f, "%s\n", b64);
	fclose(f);
}

static struct mg_tls_server *
fz_server(enum mg_tls_record_path path)
{
	struct mg_tls_cert_params cert = { fz_crt, fz_key, NULL };
	struct mg_tls_server_params p = {
		.name = "fuzz", .certs = &cert, .n_certs = 1, .default_cert = 0,
		.alpn = "http/1.1", .client_auth = MG_TLS_CLIENT_AUTH_OPTIONAL,
		.client_ca_file = fz_crt, .ticket_key_file = fz_tickets,
		.record_path = path, .record_size = 4096,
	};
	char err[256];
	struct mg_tls_server *s = mg_tls_server_create(fz_lc, &p, err,
						       sizeof(err));

	if (s == NULL) {
		fprintf(stderr, "fuzz server: %s\n", err);
		abort();
	}
	return s;
}

static void
fz_setup(void)
{
	struct mg_tls_lcore_params lp = { 0 };

	fz_make_cert();
	fz_lc = mg_tls_lcore_create(&lp, NULL, 0);
	if (fz_lc == NULL)
		abort();
}

/* Whatever state the connection is in, these must not misbehave. */
static void
fz_drain(struct mg_tls_conn *c)
{
	uint8_t buf[4096];
	uint32_t n;

	while (mg_tls_conn_read(c, buf, sizeof(buf)) > 0)
		;
	if (mg_tls_conn_readable(c) != 0)
		__builtin_trap();
	mg_tls_conn_peek(c, &n);
	if (n != 0)
		__builtin_trap();
	while (mg_tls_conn_output(c, buf, sizeof(buf)) > 0)
		;
}
