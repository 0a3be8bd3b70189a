/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Session tickets under keys from a file, so that every lcore and every
 * appliance of a fleet seals and opens the same tickets (RFC 5077 4
 * layout: key name, IV, AES-256-CBC, HMAC-SHA256, as OpenSSL builds it).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "tls_private.h"

int
mg_tls_ticket_keys_read(const char *path, struct mg_tls_ticket_keys *k,
			char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[256];
	unsigned lineno = 0;
	int rc = 0;

	memset(k, 0, sizeof(*k));
	if (f == NULL) {
		tls_err(err, errlen, "%s: cannot open", path);
		return -ENOENT;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		uint8_t raw[sizeof(line)];
		size_t n = strcspn(line, "\r\n");
		int dec, pad = 0;

		lineno++;
		line[n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		if (k->n == MG_TLS_TICKET_KEYS_MAX) {
			tls_err(err, errlen, "%s:%u: more than %d keys", path,
				lineno, MG_TLS_TICKET_KEYS_MAX);
			rc = -E2BIG;
			break;
		}
		while (n > 0 && line[n - 1] == '=') {
			pad++;
			n--;
		}
		dec = EVP_DecodeBlock(raw, (const unsigned char *)line,
				      (int)(n + (size_t)pad));
		if (dec < 0 || dec - pad != (int)sizeof(k->k[0])) {
			tls_err(err, errlen, "%s:%u: expected base64 of %zu "
				"bytes", path, lineno, sizeof(k->k[0]));
			rc = -EINVAL;
			break;
		}
		memcpy(k->k[k->n].name, raw, 16);
		memcpy(k->k[k->n].hmac, raw + 16, 32);
		memcpy(k->k[k->n].aes, raw + 48, 32);
		k->n++;
		OPENSSL_cleanse(raw, sizeof(raw));
	}
	OPENSSL_cleanse(line, sizeof(line));
	fclose(f);
	if (rc == 0 && k->n == 0) {
		tls_err(err, errlen, "%s: no key", path);
		rc = -EINVAL;
	}
	if (rc != 0)
		OPENSSL_cleanse(k, sizeof(*k));
	return rc;
}

/* enc: seal under the first key. Else find the key by name: 1 = fine,
 * 2 = fine but issue a new ticket under the first key, 0 = unknown (full
 * handshake), -1 = error. */
int
tls_ticket_cb(SSL *ssl, unsigned char key_name[16], unsigned char *iv,
	      EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc)
{
	struct mg_tls_conn *c = SSL_get_app_data(ssl);
	struct mg_tls_server *s = (struct mg_tls_server *)c->ctx;
	const struct mg_tls_ticket_key *k = NULL;
	unsigned i = 0;

	if (enc) {
		k = &s->keys.k[0];
		if (RAND_bytes_ex(c->lc->libctx, iv, 16, 0) <= 0)
			return -1;
		memcpy(key_name, k->name, 16);
	} else {
		for (i = 0; i < s->keys.n; i++) {
			if (memcmp(key_name, s->keys.k[i].name, 16) == 0) {
				k = &s->keys.k[i];
				break;
			}
		}
		if (k == NULL)
			return 0;
	}
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY,
						  (void *)k->hmac, 32),
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						 (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	if (!EVP_MAC_CTX_set_params(hctx, params) ||
	    !EVP_CipherInit_ex2(cctx, c->lc->aes256cbc, k->aes, iv, enc, NULL))
		return -1;
	return enc || i == 0 ? 1 : 2;
}
