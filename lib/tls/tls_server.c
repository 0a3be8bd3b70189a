/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Server contexts: certificates chosen by SNI, ALPN, client certificates,
 * OCSP staples, session tickets.
 *
 * The servername callback picks the name (exact, then wildcard, then the
 * default), and the certificate callback sees that the connection has
 * every certificate of that name (ECDSA and RSA alike) and no other,
 * before OpenSSL chooses the suite and the signature algorithm from what
 * the client offered. The SSL_CTX holds the certificates of the default
 * name (else of the first), so that connections to it start with them.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <rte_errno.h>

#include "tls_private.h"

static void
lower_copy(char *dst, const char *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[n] = '\0';
}

static int
name_find(const struct mg_tls_server *s, const char *name, bool wildcard)
{
	for (unsigned i = 0; i < s->n_names; i++)
		if (s->names[i].wildcard == wildcard &&
		    strcmp(s->names[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* The names entry for an SNI: exact, else "*." + all but the first
 * label. A linear scan: a listener has a handful of names, and this runs
 * once per full handshake. */
static int
name_lookup(const struct mg_tls_server *s, const char *sni)
{
	const char *dot;
	int i = name_find(s, sni, false);

	if (i >= 0)
		return i;
	dot = strchr(sni, '.');
	if (dot == NULL || dot == sni || dot[1] == '\0')
		return -1;
	return name_find(s, dot + 1, true);
}

static int
name_add(struct mg_tls_server *s, const char *name, size_t len,
	 unsigned cert, char *err, size_t errlen)
{
	bool wildcard = len > 2 && name[0] == '*' && name[1] == '.';
	int type = EVP_PKEY_get_base_id(s->certs[cert].pkey);
	char lname[256];
	struct tls_name *nm;
	int i;

	if (wildcard) {
		name += 2;
		len -= 2;
	}
	if (len == 0 || len > 253 || memchr(name, '*', len) != NULL) {
		tls_err(err, errlen, "certificate %u: unusable DNS name", cert);
		return -EINVAL;
	}
	lower_copy(lname, name, len);
	i = name_find(s, lname, wildcard);
	if (i < 0) {
		if (s->n_names == MG_TLS_MAX_NAMES) {
			tls_err(err, errlen, "more than %d names",
				MG_TLS_MAX_NAMES);
			return -EINVAL;
		}
		i = (int)s->n_names++;
		nm = &s->names[i];
		memcpy(nm->name, lname, len + 1);
		nm->wildcard = wildcard;
	}
	nm = &s->names[i];
	for (unsigned j = 0; j < nm->n_certs; j++) {
		if (nm->certs[j] == cert)
			return i;
		if (EVP_PKEY_get_base_id(s->certs[nm->certs[j]].pkey) == type) {
			tls_err(err, errlen, "certificates %u and %u: same key "
				"type for %s%s", nm->certs[j], cert,
				wildcard ? "*." : "", lname);
			return -EINVAL;
		}
	}
	nm->certs[nm->n_certs++] = (uint8_t)cert;
	return i;
}

/* DNS SANs, else the CN; returns the first names[] index. */
static int
cert_names(struct mg_tls_server *s, unsigned cert, char *err, size_t errlen)
{
	X509 *x = s->certs[cert].x509;
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name,
					       NULL, NULL);
	int first = -1, r;

	for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

		if (g->type != GEN_DNS)
			continue;
		r = name_add(s, (const char *)ASN1_STRING_get0_data(g->d.dNSName),
			     (size_t)ASN1_STRING_length(g->d.dNSName), cert,
			     err, errlen);
		if (r < 0) {
			GENERAL_NAMES_free(gens);
			return r;
		}
		if (first < 0)
			first = r;
	}
	GENERAL_NAMES_free(gens);
	if (first < 0) {
		X509_NAME *subj = X509_get_subject_name(x);
		int idx = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);
		ASN1_STRING *cn = idx < 0 ? NULL :
			X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, idx));

		if (cn == NULL) {
			tls_err(err, errlen, "certificate %u: no DNS name", cert);
			return -EINVAL;
		}
		first = name_add(s, (const char *)ASN1_STRING_get0_data(cn),
				 (size_t)ASN1_STRING_length(cn), cert, err,
				 errlen);
	}
	return first;
}

static int
read_file(const char *path, uint8_t **data, uint32_t *len)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (f == NULL)
		return -errno;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 ||
	    n > (1 << 20) || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return -EINVAL;
	}
	*data = malloc((size_t)n);
	if (*data == NULL || fread(*data, 1, (size_t)n, f) != (size_t)n) {
		free(*data);
		*data = NULL;
		fclose(f);
		return -EIO;
	}
	fclose(f);
	*len = (uint32_t)n;
	return 0;
}

static int
cert_load(struct mg_tls_server *s, unsigned i,
	  const struct mg_tls_cert_params *cp, char *err, size_t errlen)
{
	OSSL_LIB_CTX *libctx = s->c.lc->libctx;
	struct tls_cert *tc = &s->certs[i];
	char what[320];
	X509 *x;
	BIO *b;

	if (cp->cert_file == NULL || cp->key_file == NULL) {
		tls_err(err, errlen, "certificate %u: cert_file and key_file "
			"are required", i);
		return -EINVAL;
	}
	snprintf(what, sizeof(what), "%s", cp->cert_file);
	b = BIO_new_file(cp->cert_file, "r");
	tc->x509 = X509_new_ex(libctx, NULL);
	if (b == NULL || tc->x509 == NULL ||
	    PEM_read_bio_X509_AUX(b, &tc->x509, NULL, NULL) == NULL)
		goto bad;
	tc->chain = sk_X509_new_null();
	while ((x = X509_new_ex(libctx, NULL)) != NULL &&
	       PEM_read_bio_X509(b, &x, NULL, NULL) != NULL)
		sk_X509_push(tc->chain, x);
	X509_free(x);
	ERR_clear_error();
	BIO_free(b);

	snprintf(what, sizeof(what), "%s", cp->key_file);
	b = BIO_new_file(cp->key_file, "r");
	if (b == NULL || (tc->pkey = PEM_read_bio_PrivateKey_ex(b, NULL, NULL,
						NULL, libctx, NULL)) == NULL)
		goto bad;
	BIO_free(b);
	b = NULL;
	if (!X509_check_private_key(tc->x509, tc->pkey)) {
		snprintf(what, sizeof(what), "%s and %s", cp->cert_file,
			 cp->key_file);
		goto bad;
	}
	if (cp->ocsp_file != NULL) {
		const uint8_t *p;
		OCSP_RESPONSE *resp;

		if (read_file(cp->ocsp_file, &tc->ocsp, &tc->ocsp_len) != 0) {
			tls_err(err, errlen, "%s: cannot read", cp->ocsp_file);
			return -EINVAL;
		}
		p = tc->ocsp;
		resp = d2i_OCSP_RESPONSE(NULL, &p, tc->ocsp_len);
		if (resp == NULL || p != tc->ocsp + tc->ocsp_len) {
			OCSP_RESPONSE_free(resp);
			ERR_clear_error();
			tls_err(err, errlen, "%s: not a DER OCSP response",
				cp->ocsp_file);
			return -EINVAL;
		}
		OCSP_RESPONSE_free(resp);
	}
	return 0;
bad:
	BIO_free(b);
	tls_err_ossl(err, errlen, what);
	return -EINVAL;
}

/* ClientHello: which name's certificates this connection gets. */
static int
sni_cb(SSL *ssl, int *al, void *arg)
{
	struct mg_tls_server *s = arg;
	struct mg_tls_conn *c = SSL_get_app_data(ssl);
	const char *sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	int idx = -1;

	if (sni != NULL) {
		size_t n = strnlen(sni, sizeof(c->sni));

		if (n < sizeof(c->sni)) {
			lower_copy(c->sni, sni, n);
			idx = name_lookup(s, c->sni);
		}
	}
	if (idx < 0) {
		if (s->default_name < 0) {
			c->err = sni ? MG_TLS_ERR_UNKNOWN_SNI : MG_TLS_ERR_NO_SNI;
			*al = sni ? SSL_AD_UNRECOGNIZED_NAME :
				    SSL_AD_HANDSHAKE_FAILURE;
			return SSL_TLSEXT_ERR_ALERT_FATAL;
		}
		idx = s->default_name;
		s->c.st.sni_default++;
	}
	c->name_idx = idx;
	return SSL_TLSEXT_ERR_OK;
}

/* After the ClientHello is parsed, before suite and certificate choice.
 * The SSL_CTX holds the certificates of one name (ctx_name), which every
 * connection starts with: only another name costs a swap. */
static int
cert_cb(SSL *ssl, void *arg)
{
	struct mg_tls_server *s = arg;
	struct mg_tls_conn *c = SSL_get_app_data(ssl);
	const struct tls_name *nm;

	if (c->name_idx < 0)
		return 0;
	if (c->name_idx == s->ctx_name)
		return 1;
	SSL_certs_clear(ssl);
	nm = &s->names[c->name_idx];
	for (unsigned i = 0; i < nm->n_certs; i++) {
		const struct tls_cert *tc = &s->certs[nm->certs[i]];

		if (!SSL_use_cert_and_key(ssl, tc->x509, tc->pkey, tc->chain, 1))
			return 0;
	}
	return 1;
}

/* The staple of the certificate OpenSSL chose. */
static int
status_cb(SSL *ssl, void *arg)
{
	struct mg_tls_server *s = arg;
	X509 *x = SSL_get_certificate(ssl);

	for (unsigned i = 0; i < s->n_certs; i++) {
		const struct tls_cert *tc = &s->certs[i];
		uint8_t *copy;

		if (tc->x509 != x || tc->ocsp == NULL)
			continue;
		copy = OPENSSL_memdup(tc->ocsp, tc->ocsp_len);
		if (copy == NULL ||
		    !SSL_set_tlsext_status_ocsp_resp(ssl, copy,
						     (long)tc->ocsp_len)) {
			OPENSSL_free(copy);
			return SSL_TLSEXT_ERR_NOACK;
		}
		return SSL_TLSEXT_ERR_OK;
	}
	return SSL_TLSEXT_ERR_NOACK;
}

/* Our first protocol the client also offers; none of ours: fatal alert
 * no_application_protocol (RFC 7301 3.2). */
static int
alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
	const unsigned char *in, unsigned int inlen, void *arg)
{
	struct mg_tls_server *s = arg;
	struct mg_tls_conn *c = SSL_get_app_data(ssl);

	if (SSL_select_next_proto((unsigned char **)out, outlen, s->alpn,
				  s->alpn_len, in, inlen) ==
	    OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_OK;
	c->err = MG_TLS_ERR_NO_APPLICATION_PROTOCOL;
	return SSL_TLSEXT_ERR_ALERT_FATAL;
}

/*
 * The certificates of the default name (else of the first) on the SSL_CTX:
 * SSL_new() gives them to each connection by reference, where putting
 * them on with SSL_use_cert_and_key() in cert_cb compares each key with
 * its certificate again (8 us of a 350 us ECDSA handshake). When the
 * context refuses one, ctx_name stays -1: cert_cb clears what got on and
 * puts the name's certificates on each connection, failing the handshake
 * as before.
 */
static void
ctx_certs(struct mg_tls_server *s)
{
	int idx = s->default_name >= 0 ? s->default_name : 0;
	const struct tls_name *nm = &s->names[idx];

	s->ctx_name = -1;
	for (unsigned i = 0; i < nm->n_certs; i++) {
		const struct tls_cert *tc = &s->certs[nm->certs[i]];

		if (!SSL_CTX_use_cert_and_key(s->c.ssl, tc->x509, tc->pkey,
					      tc->chain, 1)) {
			ERR_clear_error();
			return;
		}
	}
	s->ctx_name = idx;
}

static void
server_destroy(struct tls_ctx *t)
{
	struct mg_tls_server *s = (struct mg_tls_server *)t;

	for (unsigned i = 0; i < MG_TLS_MAX_CERTS; i++) {
		X509_free(s->certs[i].x509);
		EVP_PKEY_free(s->certs[i].pkey);
		sk_X509_pop_free(s->certs[i].chain, X509_free);
		free(s->certs[i].ocsp);
	}
	OPENSSL_cleanse(&s->keys, sizeof(s->keys));
	free(s);
}

static int
server_setup(struct mg_tls_server *s, const struct mg_tls_server_params *p,
	     char *err, size_t errlen)
{
	SSL_CTX *x = s->c.ssl;
	const char *name = p->name ? p->name : "meshgate";
	uint8_t sid[32];
	bool ocsp = false;
	int r;

	if (p->n_certs == 0 || p->n_certs > MG_TLS_MAX_CERTS ||
	    p->certs == NULL) {
		tls_err(err, errlen, "%u certificates: expected 1 to %d",
			p->n_certs, MG_TLS_MAX_CERTS);
		return -EINVAL;
	}
	if (p->default_cert < -1 || p->default_cert >= (int)p->n_certs) {
		tls_err(err, errlen, "default_cert %d: expected -1 to %u",
			p->default_cert, p->n_certs - 1);
		return -EINVAL;
	}
	s->default_name = -1;
	for (unsigned i = 0; i < p->n_certs; i++) {
		r = cert_load(s, i, &p->certs[i], err, errlen);
		if (r != 0)
			return r;
		s->n_certs = i + 1;
		r = cert_names(s, i, err, errlen);
		if (r < 0)
			return r;
		if ((int)i == p->default_cert)
			s->default_name = r;
		ocsp |= s->certs[i].ocsp != NULL;
	}
	/* the chain is what the certificate file holds: no building (and
	 * verifying) of one from the store on every handshake */
	SSL_CTX_set_mode(x, SSL_MODE_NO_AUTO_CHAIN);
	ctx_certs(s);
	SSL_CTX_set_tlsext_servername_callback(x, sni_cb);
	SSL_CTX_set_tlsext_servername_arg(x, s);
	SSL_CTX_set_cert_cb(x, cert_cb, s);
	if (ocsp) {
		SSL_CTX_set_tlsext_status_cb(x, status_cb);
		SSL_CTX_set_tlsext_status_arg(x, s);
	}

	r = tls_alpn_wire(p->alpn, s->alpn, sizeof(s->alpn), &s->alpn_len,
			  err, errlen);
	if (r != 0)
		return r;
	if (s->alpn_len > 0)
		SSL_CTX_set_alpn_select_cb(x, alpn_cb, s);

	if (p->client_auth > MG_TLS_CLIENT_AUTH_REQUIRED) {
		tls_err(err, errlen, "client_auth %d: unknown", p->client_auth);
		return -EINVAL;
	}
	if (p->client_auth != MG_TLS_CLIENT_AUTH_NONE) {
		STACK_OF(X509_NAME) *cas;

		if (p->client_ca_file == NULL) {
			tls_err(err, errlen, "client_auth needs client_ca_file");
			return -EINVAL;
		}
		r = tls_ctx_load_verify(&s->c, p->client_ca_file, p->crl_file,
					p->verify_depth, err, errlen);
		if (r != 0)
			return r;
		/* the CAs named in the CertificateRequest */
		cas = SSL_load_client_CA_file_ex(p->client_ca_file,
						 s->c.lc->libctx, NULL);
		if (cas != NULL)
			SSL_CTX_set0_CA_list(x, cas);
		ERR_clear_error();
		SSL_CTX_set_verify(x, SSL_VERIFY_PEER |
				   (p->client_auth == MG_TLS_CLIENT_AUTH_REQUIRED ?
				    SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
				   tls_verify_cb);
	}

	/* Resumption is by stateless tickets only, so that any lcore (or
	 * appliance) holding the keys resumes any session: no session
	 * cache, whose entries would live on one lcore. */
	SSL_CTX_set_session_cache_mode(x, SSL_SESS_CACHE_OFF);
	if (!EVP_Digest(name, strlen(name), sid, NULL, s->c.lc->sha256, NULL) ||
	    !SSL_CTX_set_session_id_context(x, sid, sizeof(sid))) {
		tls_err_ossl(err, errlen, "session id context");
		return -EINVAL;
	}
	if (p->ticket_key_file != NULL) {
		r = mg_tls_ticket_keys_read(p->ticket_key_file, &s->keys, err,
					    errlen);
		if (r != 0)
			return r;
		SSL_CTX_set_tlsext_ticket_key_evp_cb(x, tls_ticket_cb);
		SSL_CTX_set_timeout(x, p->ticket_lifetime_s ?
				    p->ticket_lifetime_s : 7200);
		SSL_CTX_set_num_tickets(x, p->tls13_tickets ?
					p->tls13_tickets : 1);
	} else {
		SSL_CTX_set_options(x, SSL_OP_NO_TICKET);
		SSL_CTX_set_num_tickets(x, 0);
	}
	return 0;
}

struct mg_tls_server *
mg_tls_server_create(struct mg_tls_lcore *lc,
		     const struct mg_tls_server_params *p, char *err,
		     size_t errlen)
{
	struct tls_ctx_conf cf = TLS_CTX_CONF(p);
	struct mg_tls_server *s = (struct mg_tls_server *)tls_ctx_new(
		sizeof(*s), lc, true, &cf, server_destroy, err, errlen);
	int r;

	if (s == NULL)
		return NULL;
	r = server_setup(s, p, err, errlen);
	return r == 0 ? s : tls_ctx_abandon(&s->c, r);
}

void
mg_tls_server_free(struct mg_tls_server *s)
{
	if (s != NULL)
		tls_ctx_put(&s->c);
}

int
mg_tls_server_set_ticket_keys(struct mg_tls_server *s,
			      const struct mg_tls_ticket_keys *k)
{
	if (k->n == 0 || k->n > MG_TLS_TICKET_KEYS_MAX)
		return -EINVAL;
	if (s->keys.n == 0)
		return -ENOTSUP;	/* created without tickets */
	s->keys = *k;
	return 0;
}

void
mg_tls_server_stats(const struct mg_tls_server *s, struct mg_tls_stats *st)
{
	*st = s->c.st;
}

struct mg_tls_conn *
mg_tls_conn_accept(struct mg_tls_server *s, uint64_t now_us)
{
	struct mg_tls_conn *c = tls_conn_new(&s->c, now_us);

	if (c != NULL)
		SSL_set_accept_state(c->ssl);
	return c;
}
