/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What server and client contexts share: the SSL_CTX on the lcore's
 * library context with its versions, suites, groups and signature
 * algorithms, the verification store, the callbacks that watch OpenSSL
 * (records counted, secrets, peer verification), and reference counting.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <rte_errno.h>

#include "tls_private.h"

/* Mozilla "intermediate" without DHE: forward secrecy, AEAD only. */
#define TLS12_DEFAULT_CIPHERS						\
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"	\
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"	\
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
#define TLS13_DEFAULT_SUITES						\
	"TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:"		\
	"TLS_CHACHA20_POLY1305_SHA256"
#define TLS_DEFAULT_GROUPS "X25519:P-256:P-384"

/*
 * OpenSSL 3.0 tells neither its sequence numbers nor when its keys
 * change; its message callback sees every record header it reads or
 * writes, and the messages that change keys in TLS 1.3, Finished and
 * KeyUpdate (each header is told before the message it carries). Counting
 * records since the last key change (in TLS 1.2, since the
 * ChangeCipherSpec record) gives the sequence number of the next record
 * in each direction.
 */
static void
msg_cb(int write_p, int version, int content_type, const void *buf,
       size_t len, SSL *ssl, void *arg)
{
	struct mg_tls_conn *c = SSL_get_app_data(ssl);
	const uint8_t *b = buf;
	uint64_t *seq;

	if (c == NULL)
		return;
	seq = write_p ? &c->ossl_wseq : &c->ossl_rseq;
	switch (content_type) {
	case SSL3_RT_HEADER:
		/* TLS 1.2: the records after a ChangeCipherSpec record are
		 * under the new keys (its message is not told on reads) */
		if (len >= 1 && b[0] == SSL3_RT_CHANGE_CIPHER_SPEC &&
		    SSL_version(ssl) != TLS1_3_VERSION)
			*seq = 0;
		else
			(*seq)++;
		break;
	case SSL3_RT_HANDSHAKE:
		if (len < 1 || SSL_version(ssl) != TLS1_3_VERSION)
			break;
		if (b[0] == SSL3_MT_FINISHED) {
			*seq = 0;
			/* the application secrets come next */
			tls_keylog_arm(c, true);
		}
		if (b[0] == SSL3_MT_KEY_UPDATE) {
			*seq = 0;
			if (write_p)
				c->ctx->st.key_updates_out++;
			else
				c->ctx->st.key_updates_in++;
		}
		break;
	case SSL3_RT_ALERT:
		if (len < 2 || !write_p)
			break;
		c->ctx->st.alerts_sent++;
		if (b[1] == SSL_AD_NO_RENEGOTIATION)
			tls_count(c, MG_TLS_ERR_RENEGOTIATION_REFUSED);
		break;
	}
}

/* Peer verification: keep the first error for counting; a client also
 * checks the peer's identity on the leaf, so that a mismatch fails the
 * handshake with an alert rather than after it. */
int
tls_verify_cb(int ok, X509_STORE_CTX *xs)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(xs,
					SSL_get_ex_data_X509_STORE_CTX_idx());
	struct mg_tls_conn *c = ssl ? SSL_get_app_data(ssl) : NULL;

	if (c == NULL)
		return ok;
	if (!ok) {
		if (c->verify_err == 0)
			c->verify_err = X509_STORE_CTX_get_error(xs);
		return 0;
	}
	if (!c->server && c->san[0] != '\0' &&
	    X509_STORE_CTX_get_error_depth(xs) == 0 &&
	    !tls_san_match(X509_STORE_CTX_get_current_cert(xs), c->san)) {
		c->err = MG_TLS_ERR_SAN_MISMATCH;
		snprintf(c->detail, sizeof(c->detail),
			 "peer certificate is not for %.128s", c->san);
		X509_STORE_CTX_set_error(xs, X509_V_ERR_APPLICATION_VERIFICATION);
		return 0;
	}
	return 1;
}

static int
check_bufs(const struct tls_ctx_conf *cf, struct tls_ctx *t, char *err,
	   size_t errlen)
{
	t->record_size = cf->record_size ? cf->record_size : TLS_MAX_PLAIN;
	t->plain_buf = cf->plain_buf ? cf->plain_buf : 32768;
	t->cipher_buf = cf->cipher_buf ? cf->cipher_buf : 32768;
	if (t->record_size < 512 || t->record_size > TLS_MAX_PLAIN) {
		tls_err(err, errlen, "record_size %u: expected 512 to 16384",
			t->record_size);
		return -EINVAL;
	}
	/* one record of the largest plaintext must always fit */
	if (t->plain_buf < TLS_MAX_PLAIN + 256 || t->plain_buf > (1u << 24)) {
		tls_err(err, errlen, "plain_buf %u: expected 16640 to 16M",
			t->plain_buf);
		return -EINVAL;
	}
	if (t->cipher_buf < TLS_HDR + TLS13_MAX_CIPHER + TLS_CTRL_RESERVE ||
	    t->cipher_buf > (1u << 24)) {
		tls_err(err, errlen, "cipher_buf %u: expected 16901 to 16M",
			t->cipher_buf);
		return -EINVAL;
	}
	return 0;
}

static int
ctx_init(struct tls_ctx *t, struct mg_tls_lcore *lc, bool server,
	 const struct tls_ctx_conf *cf, char *err, size_t errlen)
{
	uint16_t minv = cf->min_version ? cf->min_version : TLS1_2_VERSION;
	uint16_t maxv = cf->max_version ? cf->max_version : TLS1_3_VERSION;
	SSL_CTX *x;

	t->lc = lc;
	t->server = server;
	t->refs = 1;
	t->path = cf->path;
	t->handshake_timeout_us = (uint64_t)(cf->handshake_timeout_ms ?
		cf->handshake_timeout_ms : 10000) * 1000;
	if (cf->path > MG_TLS_RECORD_EVP) {
		tls_err(err, errlen, "unknown record path %d", cf->path);
		return -EINVAL;
	}
	if (check_bufs(cf, t, err, errlen) != 0)
		return -EINVAL;
	if (minv < TLS1_VERSION || maxv > TLS1_3_VERSION || minv > maxv) {
		tls_err(err, errlen, "versions 0x%04x-0x%04x: expected TLS 1.0 "
			"to TLS 1.3, min <= max", minv, maxv);
		return -EINVAL;
	}
	x = SSL_CTX_new_ex(lc->libctx, NULL, server ? TLS_server_method() :
						       TLS_client_method());
	if (x == NULL) {
		tls_err_ossl(err, errlen, "SSL_CTX_new");
		return -ENOMEM;
	}
	t->ssl = x;
	if (!SSL_CTX_set_min_proto_version(x, minv) ||
	    !SSL_CTX_set_max_proto_version(x, maxv)) {
		tls_err_ossl(err, errlen, "protocol versions");
		return -EINVAL;
	}
	if (!SSL_CTX_set_cipher_list(x, cf->ciphers ? cf->ciphers :
					     TLS12_DEFAULT_CIPHERS)) {
		tls_err_ossl(err, errlen, "ciphers");
		return -EINVAL;
	}
	if (!SSL_CTX_set_ciphersuites(x, cf->ciphersuites ? cf->ciphersuites :
					       TLS13_DEFAULT_SUITES)) {
		tls_err_ossl(err, errlen, "ciphersuites");
		return -EINVAL;
	}
	if (!SSL_CTX_set1_groups_list(x, cf->groups ? cf->groups :
					       TLS_DEFAULT_GROUPS)) {
		tls_err_ossl(err, errlen, "groups");
		return -EINVAL;
	}
	if (cf->sigalgs != NULL && !SSL_CTX_set1_sigalgs_list(x, cf->sigalgs)) {
		tls_err_ossl(err, errlen, "sigalgs");
		return -EINVAL;
	}
	SSL_CTX_set_options(x, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
			    (server ? SSL_OP_CIPHER_SERVER_PREFERENCE |
				      SSL_OP_PRIORITIZE_CHACHA : 0));
	/* OpenSSL's record buffers go back between records: once this
	 * record layer has taken over it does not need them at all */
	SSL_CTX_set_mode(x, SSL_MODE_RELEASE_BUFFERS |
			 SSL_MODE_ENABLE_PARTIAL_WRITE |
			 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* read_ahead off: OpenSSL reads exactly the records it needs, so
	 * what follows the handshake stays with this record layer */
	SSL_CTX_set_read_ahead(x, 0);
	SSL_CTX_set_msg_callback(x, msg_cb);
	return 0;
}

/*
 * OpenSSL formats every secret of a handshake as a keylog line (a
 * sprintf per byte, five lines in TLS 1.3, one in TLS 1.2) whenever the
 * context has a keylog callback. This record layer wants the two
 * application secrets of TLS 1.3 only, which OpenSSL derives after the
 * first Finished it reads or writes: the callback is set from there until
 * both have come (three lines: the exporter secret comes with the
 * server's), and at no other time. The SSL_CTX is this lcore's own, so
 * no other thread sees it change.
 */
void
tls_keylog_arm(struct mg_tls_conn *c, bool on)
{
	on = on && c->ctx->path != MG_TLS_RECORD_OPENSSL &&
	     c->have_secret != 3;
	SSL_CTX_set_keylog_callback(c->ctx->ssl, on ? tls_keylog_cb : NULL);
}

struct tls_ctx *
tls_ctx_new(size_t size, struct mg_tls_lcore *lc, bool server,
	    const struct tls_ctx_conf *cf, void (*destroy)(struct tls_ctx *t),
	    char *err, size_t errlen)
{
	struct tls_ctx *t = calloc(1, size);
	int r;

	if (t == NULL) {
		tls_err(err, errlen, "out of memory");
		rte_errno = ENOMEM;
		return NULL;
	}
	t->destroy = destroy;
	r = ctx_init(t, lc, server, cf, err, errlen);
	return r == 0 ? t : tls_ctx_abandon(t, r);
}

void *
tls_ctx_abandon(struct tls_ctx *t, int r)
{
	tls_ctx_put(t);
	rte_errno = -r;
	return NULL;
}

void
tls_ctx_put(struct tls_ctx *t)
{
	if (t == NULL || --t->refs > 0)
		return;
	SSL_CTX_free(t->ssl);
	t->destroy(t);
}

int
tls_ctx_load_verify(struct tls_ctx *t, const char *ca_file,
		    const char *crl_file, int depth, char *err, size_t errlen)
{
	X509_STORE *st = SSL_CTX_get_cert_store(t->ssl);
	unsigned n_crl = 0;

	if (!SSL_CTX_load_verify_file(t->ssl, ca_file)) {
		char what[300];

		snprintf(what, sizeof(what), "CA file %s", ca_file);
		tls_err_ossl(err, errlen, what);
		return -EINVAL;
	}
	if (crl_file != NULL) {
		BIO *b = BIO_new_file(crl_file, "r");
		X509_CRL *crl;

		if (b == NULL) {
			tls_err(err, errlen, "CRL file %s: cannot open",
				crl_file);
			ERR_clear_error();
			return -EINVAL;
		}
		while ((crl = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL))) {
			X509_STORE_add_crl(st, crl);
			X509_CRL_free(crl);
			n_crl++;
		}
		BIO_free(b);
		ERR_clear_error();
		if (n_crl == 0) {
			tls_err(err, errlen, "CRL file %s: no PEM CRL in it",
				crl_file);
			return -EINVAL;
		}
		/* the leaf's issuer must have a CRL in the file */
		X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK);
	}
	if (depth < MG_TLS_DEPTH_DIRECT) {
		tls_err(err, errlen, "verify_depth %d: expected >= -1", depth);
		return -EINVAL;
	}
	SSL_CTX_set_verify_depth(t->ssl, depth == 0 ? 4 :
				 depth == MG_TLS_DEPTH_DIRECT ? 0 : depth);
	return 0;
}

int
tls_alpn_wire(const char *list, uint8_t *wire, uint32_t cap, uint32_t *len,
	      char *err, size_t errlen)
{
	const char *p = list;

	*len = 0;
	if (list == NULL)
		return 0;
	while (*p != '\0') {
		size_t n = strcspn(p, ",");

		if (n == 0 || n > 255 || *len + 1 + n > cap) {
			tls_err(err, errlen, "alpn \"%s\": empty or too long "
				"protocol name", list);
			return -EINVAL;
		}
		if ((n == 2 && memcmp(p, "h2", 2) == 0) ||
		    (n == 3 && memcmp(p, "h2c", 3) == 0)) {
			tls_err(err, errlen, "alpn \"%s\": HTTP/2 is not "
				"supported", list);
			return -EINVAL;
		}
		wire[(*len)++] = (uint8_t)n;
		memcpy(wire + *len, p, n);
		*len += (uint32_t)n;
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}
