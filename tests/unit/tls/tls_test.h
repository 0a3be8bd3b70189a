/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_TLS_TEST_H
#define MG_TLS_TEST_H

/*
 * Shared by the TLS unit tests: the lab PKI made by scripts/pki.sh into a
 * temporary directory, plain OpenSSL peers over memory BIOs, and a pump
 * that moves bytes between a peer and an mg_tls connection until both are
 * quiet. White-box: tests may look at the connection's record state.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "mg_test.h"
#include "mg_tls.h"
#include "tls_private.h"

static char pki_dir[64];

static inline void
pki_clean(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", pki_dir);
	if (pki_dir[0] != '\0' && system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", pki_dir);
	pki_dir[0] = '\0';
}

/* Make the PKI with the script given as argv[1] (removed at exit);
 * 0 or -1. */
static inline int
pki_make(const char *script)
{
	char cmd[512];

	snprintf(pki_dir, sizeof(pki_dir), "/tmp/mg-tls-test-XXXXXX");
	if (mkdtemp(pki_dir) == NULL)
		return -1;
	atexit(pki_clean);
	snprintf(cmd, sizeof(cmd), "%s %s >/dev/null", script, pki_dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A file of the PKI; 64 paths may be in use at once. */
static inline const char *
P(const char *name)
{
	static char paths[64][128];
	static unsigned i;
	char *p = paths[i++ % 64];

	snprintf(p, 128, "%s/%s", pki_dir, name);
	return p;
}

/* ---- plain OpenSSL peers -------------------------------------------- */

struct peer_opts {
	bool server;
	uint16_t min_version, max_version;
	const char *ciphers, *ciphersuites, *sigalgs, *groups;
	const char *ca_file;		/* verify the other side with it */
	const char *cert, *key;
	const char *alpn;		/* wire format, client */
	bool tickets_off;
};

static inline SSL_CTX *
peer_ctx(const struct peer_opts *o)
{
	SSL_CTX *x = SSL_CTX_new(o->server ? TLS_server_method() :
					      TLS_client_method());

	SSL_CTX_set_min_proto_version(x, o->min_version ? o->min_version :
					  TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(x, o->max_version ? o->max_version :
					  TLS1_3_VERSION);
	if (o->ciphers)
		SSL_CTX_set_cipher_list(x, o->ciphers);
	if (o->ciphersuites)
		SSL_CTX_set_ciphersuites(x, o->ciphersuites);
	if (o->sigalgs)
		SSL_CTX_set1_sigalgs_list(x, o->sigalgs);
	if (o->groups)
		SSL_CTX_set1_groups_list(x, o->groups);
	if (o->ca_file) {
		SSL_CTX_load_verify_file(x, o->ca_file);
		SSL_CTX_set_verify(x, SSL_VERIFY_PEER, NULL);
	}
	if (o->cert) {
		SSL_CTX_use_certificate_chain_file(x, o->cert);
		SSL_CTX_use_PrivateKey_file(x, o->key, SSL_FILETYPE_PEM);
	}
	if (o->alpn)
		SSL_CTX_set_alpn_protos(x, (const uint8_t *)o->alpn,
					(unsigned)strlen(o->alpn));
	if (o->tickets_off)
		SSL_CTX_set_options(x, SSL_OP_NO_TICKET);
	return x;
}

/* The last alert a peer received (-1: none). */
static int peer_alert_in = -1;

static inline void
peer_info_cb(const SSL *s, int where, int ret)
{
	if (where & SSL_CB_READ_ALERT)
		peer_alert_in = ret & 0xff;
}

static inline SSL *
peer_ssl(SSL_CTX *x, const char *sni)
{
	SSL *s = SSL_new(x);

	peer_alert_in = -1;
	SSL_set_info_callback(s, peer_info_cb);
	SSL_set_bio(s, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
	if (SSL_is_server(s))
		SSL_set_accept_state(s);
	else
		SSL_set_connect_state(s);
	if (sni)
		SSL_set_tlsext_host_name(s, sni);
	return s;
}

/* ---- the pump ------------------------------------------------------- */

struct link {
	struct mg_tls_conn *c;
	SSL *peer;
	uint32_t chunk;		/* bytes per mg_tls_conn_input(), 0 = all */
	uint32_t pend_len;	/* peer bytes the connection did not take */
	uint8_t pend[1 << 18];
	int last_input;		/* last return of mg_tls_conn_input() */
};

/* Our output to the peer. */
static inline bool
link_to_peer(struct link *l)
{
	const uint8_t *p;
	uint32_t n;
	bool moved = false;

	while ((p = mg_tls_conn_output_peek(l->c, &n)) != NULL) {
		BIO_write(SSL_get_rbio(l->peer), p, (int)n);
		mg_tls_conn_output_consume(l->c, n);
		moved = true;
	}
	return moved;
}

/* The peer's output to us, in chunks. */
static inline bool
link_from_peer(struct link *l)
{
	BIO *w = SSL_get_wbio(l->peer);
	bool moved = false;
	int n;

	while (l->pend_len < sizeof(l->pend) &&
	       (n = BIO_read(w, l->pend + l->pend_len,
			     (int)(sizeof(l->pend) - l->pend_len))) > 0)
		l->pend_len += (uint32_t)n;
	while (l->pend_len > 0) {
		uint32_t k = l->chunk && l->chunk < l->pend_len ? l->chunk :
								  l->pend_len;
		int r = mg_tls_conn_input(l->c, l->pend, k);

		l->last_input = r;
		if (r < 0) {
			/* failed: its alert is in the output */
			l->pend_len = 0;
			return true;
		}
		if (r == 0)
			break;
		memmove(l->pend, l->pend + r, l->pend_len - (uint32_t)r);
		l->pend_len -= (uint32_t)r;
		moved = true;
	}
	return moved;
}

/* Until nothing moves; the peer's handshake is driven, its data is not
 * read. */
static inline void
pump(struct link *l)
{
	for (int round = 0; round < 1000; round++) {
		bool moved = link_to_peer(l);

		ERR_clear_error();
		if (!SSL_is_init_finished(l->peer))
			SSL_do_handshake(l->peer);
		moved |= link_from_peer(l);
		if (!moved)
			break;
	}
}

/* Read up to len bytes the peer has; returns the count (0 none, <0 err). */
static inline int
peer_read(SSL *s, void *buf, int len)
{
	int got = 0, r = 0;

	ERR_clear_error();
	while (got < len && (r = SSL_read(s, (char *)buf + got, len - got)) > 0)
		got += r;
	if (got == 0 && SSL_get_error(s, r) != SSL_ERROR_WANT_READ)
		return -1;
	return got;
}

static inline void
fill_random(void *p, size_t n)
{
	RAND_bytes(p, (int)n);
}

/* A context the test needs: a failed check, and why, when it is NULL. */
static inline void *
created(void *ctx, const char *what, const char *err)
{
	if (ctx == NULL)
		fprintf(stderr, "%s: %s\n", what, err);
	MG_CHECK(ctx != NULL);
	return ctx;
}

static inline bool
link_established(const struct link *l)
{
	return mg_tls_conn_state(l->c) == MG_TLS_ESTABLISHED &&
	       SSL_is_init_finished(l->peer);
}

static inline void
link_free(struct link *l)
{
	mg_tls_conn_free(l->c);
	SSL_free(l->peer);
	l->c = NULL;
	l->peer = NULL;
}

static inline void
link_explain(const struct link *l, const char *what)
{
	fprintf(stderr, "  %s: state %d, %s: %s\n", what,
		mg_tls_conn_state(l->c),
		mg_tls_error_name(mg_tls_conn_error(l->c)),
		mg_tls_conn_error_detail(l->c));
}

/* n random bytes from us to the peer and n back, compared. */
static inline void
link_exchange(struct link *l, uint32_t n)
{
	static uint8_t out[300000], in[300000];
	uint32_t sent = 0, got = 0;
	int r;

	if (n > sizeof(out))
		n = sizeof(out);
	fill_random(out, n);
	for (int i = 0; i < 100000 && (sent < n || got < n); i++) {
		r = mg_tls_conn_write(l->c, out + sent, n - sent);
		MG_CHECK(r >= 0);
		if (r < 0)
			return;
		sent += (uint32_t)r;
		pump(l);
		r = peer_read(l->peer, in + got, (int)(n - got));
		MG_CHECK(r >= 0);
		if (r < 0)
			return;
		got += (uint32_t)r;
	}
	MG_CHECK_EQ(got, n);
	MG_CHECK(memcmp(in, out, n) == 0);

	fill_random(out, n);
	MG_CHECK_EQ(SSL_write(l->peer, out, (int)n), (int)n);
	got = 0;
	for (int i = 0; i < 100000 && got < n; i++) {
		pump(l);
		got += mg_tls_conn_read(l->c, in + got, n - got);
	}
	MG_CHECK_EQ(got, n);
	MG_CHECK(memcmp(in, out, n) == 0);
	if (got != n)
		link_explain(l, "exchange");
}

#endif /* MG_TLS_TEST_H */
