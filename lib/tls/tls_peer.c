/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The peer's certificate: identity checks for the mesh, and what routes,
 * the access log and the upstream (x-forwarded-client-cert) see of it.
 * Computed when asked, never on the handshake path.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "tls_private.h"

bool
tls_san_match(X509 *x, const char *expected)
{
	size_t n = strlen(expected);
	uint8_t ip[16];
	GENERAL_NAMES *gens;
	bool ok = false;

	if (inet_pton(AF_INET, expected, ip) == 1 ||
	    inet_pton(AF_INET6, expected, ip) == 1)
		return X509_check_ip_asc(x, expected, 0) == 1;
	if (strstr(expected, "://") == NULL)
		return X509_check_host(x, expected, n,
				       X509_CHECK_FLAG_NEVER_CHECK_SUBJECT,
				       NULL) == 1;
	/* URI SANs (SPIFFE IDs) compare byte for byte */
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens) && !ok; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

		ok = g->type == GEN_URI &&
		     (size_t)ASN1_STRING_length(g->d.uniformResourceIdentifier)
			== n &&
		     memcmp(ASN1_STRING_get0_data(g->d.uniformResourceIdentifier),
			    expected, n) == 0;
	}
	GENERAL_NAMES_free(gens);
	return ok;
}

static X509 *
peer_cert(const struct mg_tls_conn *c)
{
	if (c->state != MG_TLS_ESTABLISHED && c->state != MG_TLS_PEER_CLOSED)
		return NULL;
	return SSL_get0_peer_certificate(c->ssl);
}

bool
mg_tls_conn_peer_verified(const struct mg_tls_conn *c)
{
	return peer_cert(c) != NULL &&
	       SSL_get_verify_result(c->ssl) == X509_V_OK;
}

int
mg_tls_conn_peer_fingerprint(const struct mg_tls_conn *c, uint8_t sha256[32])
{
	X509 *x = peer_cert(c);
	unsigned n = 0;

	if (x == NULL)
		return -ENOENT;
	return X509_digest(x, c->lc->sha256, sha256, &n) && n == 32 ? 0 :
								     -EIO;
}

int
mg_tls_conn_peer_subject(const struct mg_tls_conn *c, char *buf, size_t size)
{
	X509 *x = peer_cert(c);
	BIO *b;
	char *p;
	long n;

	if (x == NULL)
		return -ENOENT;
	b = BIO_new(BIO_s_mem());
	if (b == NULL)
		return -ENOMEM;
	X509_NAME_print_ex(b, X509_get_subject_name(x), 0, XN_FLAG_RFC2253);
	n = BIO_get_mem_data(b, &p);
	if (n < 0 || (size_t)n >= size) {
		BIO_free(b);
		return -ENOSPC;
	}
	memcpy(buf, p, (size_t)n);
	buf[n] = '\0';
	BIO_free(b);
	return (int)n;
}

int
mg_tls_conn_peer_san(const struct mg_tls_conn *c, enum mg_tls_san_type t,
		     unsigned idx, char *buf, size_t size)
{
	static const int gen_type[] = {
		[MG_TLS_SAN_DNS] = GEN_DNS, [MG_TLS_SAN_URI] = GEN_URI,
		[MG_TLS_SAN_IP] = GEN_IPADD,
	};
	X509 *x = peer_cert(c);
	GENERAL_NAMES *gens;
	int rc = -ENOENT;

	if (x == NULL || (unsigned)t > MG_TLS_SAN_IP)
		return -ENOENT;
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const ASN1_STRING *s = g->d.ia5;
		int n = ASN1_STRING_length(s);

		if (g->type != gen_type[t] || idx-- > 0)
			continue;
		if (t == MG_TLS_SAN_IP) {
			char ip[INET6_ADDRSTRLEN];

			if ((n != 4 && n != 16) ||
			    inet_ntop(n == 4 ? AF_INET : AF_INET6,
				      ASN1_STRING_get0_data(s), ip,
				      sizeof(ip)) == NULL) {
				rc = -EINVAL;
				break;
			}
			n = (int)strlen(ip);
			rc = (size_t)n < size ? n : -ENOSPC;
			if (rc > 0)
				memcpy(buf, ip, (size_t)n + 1);
			break;
		}
		rc = (size_t)n < size ? n : -ENOSPC;
		if (rc >= 0) {
			memcpy(buf, ASN1_STRING_get0_data(s), (size_t)n);
			buf[n] = '\0';
		}
		break;
	}
	GENERAL_NAMES_free(gens);
	return rc;
}

/* Append key=value; quoted (with \" and \\) when forced or when the value
 * holds a separator, as Envoy writes x-forwarded-client-cert. */
static bool
xfcc_put(char *buf, size_t size, size_t *len, const char *key,
	 const char *val, bool quote)
{
	size_t n = *len;

	quote = quote || strpbrk(val, ",;=\"") != NULL;
	n += (size_t)snprintf(buf + n, n < size ? size - n : 0, "%s%s=%s",
			      n ? ";" : "", key, quote ? "\"" : "");
	for (const char *p = val; *p; p++) {
		if (quote && (*p == '"' || *p == '\\')) {
			if (n + 1 < size)
				buf[n] = '\\';
			n++;
		}
		if (n + 1 < size)
			buf[n] = *p;
		n++;
	}
	if (quote) {
		if (n + 1 < size)
			buf[n] = '"';
		n++;
	}
	if (n < size)
		buf[n] = '\0';
	*len = n;
	return n < size;
}

int
mg_tls_conn_xfcc(const struct mg_tls_conn *c, char *buf, size_t size)
{
	static const struct {
		enum mg_tls_san_type type;
		const char *key;
	} sans[] = { { MG_TLS_SAN_URI, "URI" }, { MG_TLS_SAN_DNS, "DNS" } };
	uint8_t md[32];
	char hex[65], tmp[1024];
	size_t len = 0;
	bool ok;

	if (size == 0)
		return -ENOSPC;
	buf[0] = '\0';
	if (!mg_tls_conn_peer_verified(c) ||
	    mg_tls_conn_peer_fingerprint(c, md) != 0)
		return -ENOENT;
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	ok = xfcc_put(buf, size, &len, "Hash", hex, false);
	if (mg_tls_conn_peer_subject(c, tmp, sizeof(tmp)) < 0)
		return -ENOSPC;
	ok = ok && xfcc_put(buf, size, &len, "Subject", tmp, true);
	for (unsigned s = 0; s < 2; s++)
		for (unsigned i = 0;
		     mg_tls_conn_peer_san(c, sans[s].type, i, tmp,
					  sizeof(tmp)) >= 0; i++)
			ok = ok && xfcc_put(buf, size, &len, sans[s].key, tmp,
					    false);
	return ok ? (int)len : -ENOSPC;
}
