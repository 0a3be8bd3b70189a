/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_TLS_SELFSIGNED_H
#define MG_TLS_SELFSIGNED_H

/*
 * A fresh self-signed certificate and key in PEM files, made with the
 * OpenSSL API where scripts/pki.sh is out of reach (the fuzzers and
 * perf/tls_bench): nothing secret is committed.
 */

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

/* dir/kind.crt and dir/kind.key for the DNS names in san ("DNS:a,DNS:b");
 * kind "rsa" is RSA-2048, anything else ECDSA P-256. 0 or -1. */
static inline int
tls_selfsigned_write(const char *dir, const char *kind, const char *cn,
		     const char *san, char crt[128], char key[128])
{
	EVP_PKEY *k = strcmp(kind, "rsa") == 0 ? EVP_RSA_gen(2048) :
						 EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL,
						  NID_subject_alt_name, san);
	FILE *fc, *fk;
	int rc = -1;

	snprintf(crt, 128, "%s/%s.crt", dir, kind);
	snprintf(key, 128, "%s/%s.key", dir, kind);
	fc = fopen(crt, "w");
	fk = fopen(key, "w");
	if (k && x && n && ext && fc && fk &&
	    X509_set_version(x, 2) &&
	    ASN1_INTEGER_set(X509_get_serialNumber(x), 1) &&
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
	    X509_gmtime_adj(X509_getm_notAfter(x), 86400) &&
	    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
				       (const unsigned char *)cn, -1, -1, 0) &&
	    X509_set_subject_name(x, n) && X509_set_issuer_name(x, n) &&
	    X509_set_pubkey(x, k) && X509_add_ext(x, ext, -1) &&
	    X509_sign(x, k, EVP_sha256()) && PEM_write_X509(fc, x) &&
	    PEM_write_PrivateKey(fk, k, NULL, NULL, 0, NULL, NULL))
		rc = 0;
	if (fc)
		fclose(fc);
	if (fk)
		fclose(fk);
	X509_EXTENSION_free(ext);
	X509_NAME_free(n);
	X509_free(x);
	EVP_PKEY_free(k);
	return rc;
}

#endif /* MG_TLS_SELFSIGNED_H */
