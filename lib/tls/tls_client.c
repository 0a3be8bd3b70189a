/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Client contexts for re-encryption to the mesh: our certificate, the
 * mesh CA, the SNI and identity expected of each endpoint, and sessions
 * kept per slot (an endpoint) for resumption.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <rte_errno.h>

#include "tls_private.h"

/* TLS 1.3 tickets arrive after the handshake (through this record layer
 * and back to OpenSSL); each replaces the slot's session. */
static int
new_session_cb(SSL *ssl, SSL_SESSION *sess)
{
	struct mg_tls_conn *c = SSL_get_app_data(ssl);
	struct mg_tls_client *cl = (struct mg_tls_client *)c->ctx;

	if (c->slot < 0 || (unsigned)c->slot >= cl->n_slots)
		return 0;
	SSL_SESSION_free(cl->slots[c->slot]);
	cl->slots[c->slot] = sess;
	return 1;	/* we keep the reference */
}

static void
client_destroy(struct tls_ctx *t)
{
	struct mg_tls_client *cl = (struct mg_tls_client *)t;

	for (unsigned i = 0; i < cl->n_slots; i++)
		SSL_SESSION_free(cl->slots[i]);
	free(cl->slots);
	free(cl);
}

static int
copy_str(char *dst, size_t size, const char *src, const char *what,
	 char *err, size_t errlen)
{
	size_t n = src ? strlen(src) : 0;

	if (n >= size) {
		tls_err(err, errlen, "%s: longer than %zu bytes", what,
			size - 1);
		return -EINVAL;
	}
	memcpy(dst, src ? src : "", n + 1);
	return 0;
}

static int
client_setup(struct mg_tls_client *cl, const struct mg_tls_client_params *p,
	     char *err, size_t errlen)
{
	SSL_CTX *x = cl->c.ssl;
	int r;

	if (p->ca_file == NULL) {
		tls_err(err, errlen, "ca_file is required: the peer is "
			"always verified");
		return -EINVAL;
	}
	r = tls_ctx_load_verify(&cl->c, p->ca_file, p->crl_file,
				p->verify_depth, err, errlen);
	if (r != 0)
		return r;
	SSL_CTX_set_verify(x, SSL_VERIFY_PEER, tls_verify_cb);
	if ((p->cert_file == NULL) != (p->key_file == NULL)) {
		tls_err(err, errlen, "cert_file and key_file go together");
		return -EINVAL;
	}
	if (p->cert_file != NULL &&
	    (!SSL_CTX_use_certificate_chain_file(x, p->cert_file) ||
	     !SSL_CTX_use_PrivateKey_file(x, p->key_file, SSL_FILETYPE_PEM) ||
	     !SSL_CTX_check_private_key(x))) {
		tls_err_ossl(err, errlen, p->cert_file);
		return -EINVAL;
	}
	r = copy_str(cl->sni, sizeof(cl->sni), p->sni, "sni", err, errlen);
	if (r == 0)
		r = copy_str(cl->san, sizeof(cl->san), p->expected_san,
			     "expected_san", err, errlen);
	if (r == 0)
		r = tls_alpn_wire(p->alpn, cl->alpn, sizeof(cl->alpn),
				  &cl->alpn_len, err, errlen);
	if (r != 0)
		return r;
	if (cl->alpn_len > 0 && SSL_CTX_set_alpn_protos(x, cl->alpn,
							cl->alpn_len) != 0) {
		tls_err_ossl(err, errlen, "alpn");
		return -EINVAL;
	}
	if (p->session_slots > 0) {
		cl->slots = calloc(p->session_slots, sizeof(*cl->slots));
		if (cl->slots == NULL) {
			tls_err(err, errlen, "out of memory");
			return -ENOMEM;
		}
		cl->n_slots = p->session_slots;
		SSL_CTX_set_session_cache_mode(x, SSL_SESS_CACHE_CLIENT |
					       SSL_SESS_CACHE_NO_INTERNAL_STORE);
		SSL_CTX_sess_set_new_cb(x, new_session_cb);
	} else {
		SSL_CTX_set_session_cache_mode(x, SSL_SESS_CACHE_OFF);
	}
	return 0;
}

struct mg_tls_client *
mg_tls_client_create(struct mg_tls_lcore *lc,
		     const struct mg_tls_client_params *p, char *err,
		     size_t errlen)
{
	struct tls_ctx_conf cf = TLS_CTX_CONF(p);
	struct mg_tls_client *cl = (struct mg_tls_client *)tls_ctx_new(
		sizeof(*cl), lc, false, &cf, client_destroy, err, errlen);
	int r;

	if (cl == NULL)
		return NULL;
	r = client_setup(cl, p, err, errlen);
	return r == 0 ? cl : tls_ctx_abandon(&cl->c, r);
}

void
mg_tls_client_free(struct mg_tls_client *cl)
{
	if (cl != NULL)
		tls_ctx_put(&cl->c);
}

void
mg_tls_client_stats(const struct mg_tls_client *cl, struct mg_tls_stats *st)
{
	*st = cl->c.st;
}

static bool
is_ip_literal(const char *s)
{
	uint8_t buf[16];

	return inet_pton(AF_INET, s, buf) == 1 ||
	       inet_pton(AF_INET6, s, buf) == 1;
}

struct mg_tls_conn *
mg_tls_conn_connect(struct mg_tls_client *cl,
		    const struct mg_tls_connect_params *p, uint64_t now_us)
{
	const char *sni = p && p->sni ? p->sni : cl->sni;
	const char *san = p && p->expected_san ? p->expected_san : cl->san;
	int slot = p ? p->session_slot : -1;
	struct mg_tls_conn *c;

	if (strlen(sni) >= sizeof(c->sni) || strlen(san) >= sizeof(c->san) ||
	    slot >= (int)cl->n_slots) {
		rte_errno = EINVAL;
		return NULL;
	}
	c = tls_conn_new(&cl->c, now_us);
	if (c == NULL)
		return NULL;
	strcpy(c->sni, sni);
	strcpy(c->san, san);
	c->slot = slot;
	SSL_set_connect_state(c->ssl);
	/* RFC 6066 3: no IP address in SNI */
	if ((c->sni[0] != '\0' && !is_ip_literal(c->sni) &&
	     !SSL_set_tlsext_host_name(c->ssl, c->sni)) ||
	    (slot >= 0 && cl->slots[slot] != NULL &&
	     SSL_SESSION_is_resumable(cl->slots[slot]) &&
	     !SSL_set_session(c->ssl, cl->slots[slot]))) {
		ERR_clear_error();
		mg_tls_conn_free(c);
		rte_errno = EINVAL;
		return NULL;
	}
	/* the ClientHello goes to the output now */
	mg_tls_conn_input(c, NULL, 0);
	return c;
}
