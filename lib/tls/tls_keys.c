/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Record keys for this record layer, taken from OpenSSL once the handshake
 * is done. OpenSSL 3.0 exports neither traffic keys nor sequence numbers:
 *  - TLS 1.3: the keylog callback hands over CLIENT/SERVER_TRAFFIC_SECRET_0
 *    and the keys and IVs are derived here with HKDF-Expand-Label
 *    (RFC 8446 7.1, 7.3), as are the next secrets of a KeyUpdate (7.2);
 *  - TLS 1.2: the key block is expanded from the session's master secret
 *    and the two randoms with the suite's PRF (RFC 5246 6.3); AES-GCM
 *    takes the keys and a 4-byte salt from it (RFC 5288 3).
 * Sequence numbers are the records OpenSSL counted since its last key
 * change, seen through its message callback (tls_ctx.c).
 *
 * Cost: OpenSSL formats each keylog line with a sprintf per byte, five
 * lines per TLS 1.3 handshake (15 us of the server's 240 us, ECDSA P-256,
 * perf/tls_bench) while the callback is set: it is set only around the
 * application secrets (tls_keylog_arm), which makes three lines and none
 * in TLS 1.2. The derivations here take 2.8 us.
 */
#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

#include "tls_private.h"

/*
 * HMAC (RFC 2104) on a digest fetched once per lcore, for keys of at most
 * one block. EVP_KDF's HKDF and TLS1-PRF fetch their digest and HMAC by
 * name on every derivation: a hand-over took 12.5 us with them, 2.8 us
 * this way (both TLS versions, AMD EPYC, OpenSSL 3.0.22).
 */
static int
hmac(struct mg_tls_lcore *lc, const EVP_MD *md, const uint8_t *key,
     uint32_t klen, const uint8_t *a, uint32_t alen, const uint8_t *b,
     uint32_t blen, uint8_t *out)
{
	uint8_t pad[128], inner[EVP_MAX_MD_SIZE];
	int bs = EVP_MD_get_block_size(md), hl = EVP_MD_get_size(md);
	EVP_MD_CTX *x = lc->mdctx;
	int ok;

	if (bs <= 0 || bs > (int)sizeof(pad) || klen > (uint32_t)bs)
		return -EINVAL;
	memset(pad, 0x36, (size_t)bs);
	for (uint32_t i = 0; i < klen; i++)
		pad[i] ^= key[i];
	ok = EVP_DigestInit_ex2(x, md, NULL) &&
	     EVP_DigestUpdate(x, pad, (size_t)bs) &&
	     EVP_DigestUpdate(x, a, alen) &&
	     (blen == 0 || EVP_DigestUpdate(x, b, blen)) &&
	     EVP_DigestFinal_ex(x, inner, NULL);
	for (int i = 0; i < bs; i++)
		pad[i] ^= 0x36 ^ 0x5c;
	ok = ok && EVP_DigestInit_ex2(x, md, NULL) &&
	     EVP_DigestUpdate(x, pad, (size_t)bs) &&
	     EVP_DigestUpdate(x, inner, (size_t)hl) &&
	     EVP_DigestFinal_ex(x, out, NULL);
	OPENSSL_cleanse(pad, sizeof(pad));
	OPENSSL_cleanse(inner, sizeof(inner));
	return ok ? 0 : -EINVAL;
}

/* HKDF-Expand-Label (RFC 8446 7.1) with an empty context, for at most
 * one hash of output: T(1) = HMAC(secret, HkdfLabel || 0x01). */
int
tls13_expand_label(struct mg_tls_lcore *lc, const EVP_MD *md,
		   const uint8_t *secret, uint32_t secret_len,
		   const char *label, uint8_t *out, uint32_t out_len)
{
	uint8_t info[2 + 1 + 255 + 1 + 1], t[EVP_MAX_MD_SIZE];
	size_t ll = strlen(label);
	int rc;

	if (ll > 255 - 6 || out_len > (uint32_t)EVP_MD_get_size(md))
		return -EINVAL;
	info[0] = (uint8_t)(out_len >> 8);
	info[1] = (uint8_t)out_len;
	info[2] = (uint8_t)(6 + ll);
	memcpy(info + 3, "tls13 ", 6);
	memcpy(info + 9, label, ll);
	info[9 + ll] = 0;	/* context */
	info[10 + ll] = 1;	/* the block counter of HKDF-Expand */
	rc = hmac(lc, md, secret, secret_len, info, (uint32_t)(11 + ll), NULL,
		  0, t);
	if (rc == 0)
		memcpy(out, t, out_len);
	OPENSSL_cleanse(t, sizeof(t));
	return rc;
}

/* The TLS 1.2 PRF (RFC 5246 5): P_hash(secret, label || seed). */
static int
tls12_prf(struct mg_tls_lcore *lc, const EVP_MD *md, const uint8_t *secret,
	  uint32_t secret_len, const uint8_t *seed, uint32_t seed_len,
	  uint8_t *out, uint32_t out_len)
{
	uint8_t a[EVP_MAX_MD_SIZE], t[EVP_MAX_MD_SIZE];
	uint32_t hl = (uint32_t)EVP_MD_get_size(md), done = 0;
	int rc;

	/* A(1) = HMAC(secret, seed); block i = HMAC(secret, A(i) || seed) */
	rc = hmac(lc, md, secret, secret_len, seed, seed_len, NULL, 0, a);
	while (rc == 0 && done < out_len) {
		uint32_t n = out_len - done < hl ? out_len - done : hl;

		rc = hmac(lc, md, secret, secret_len, a, hl, seed, seed_len, t);
		if (rc == 0)
			rc = hmac(lc, md, secret, secret_len, a, hl, NULL, 0, a);
		memcpy(out + done, t, n);
		done += n;
	}
	OPENSSL_cleanse(a, sizeof(a));
	OPENSSL_cleanse(t, sizeof(t));
	return rc;
}

/* Key and IV of one direction from its TLS 1.3 traffic secret. */
static int
tls13_dir_keys(struct mg_tls_lcore *lc, struct tls_rec *r,
	       struct tls_rec_dir *d)
{
	uint8_t key[32];
	int rc;

	rc = tls13_expand_label(lc, r->md, d->secret, r->hash_len, "key",
				key, r->key_len);
	if (rc == 0)
		rc = tls13_expand_label(lc, r->md, d->secret, r->hash_len,
					"iv", d->iv, 12);
	if (rc == 0)
		rc = r->ops->key_set(lc, &d->key, key, r->key_len);
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

int
tls13_next_secret(struct mg_tls_lcore *lc, struct tls_rec *r,
		  struct tls_rec_dir *d)
{
	uint8_t next[48];
	int rc;

	rc = tls13_expand_label(lc, r->md, d->secret, r->hash_len,
				"traffic upd", next, r->hash_len);
	if (rc != 0)
		return rc;
	memcpy(d->secret, next, r->hash_len);
	OPENSSL_cleanse(next, sizeof(next));
	d->seq = 0;
	d->vseq = 0;
	return tls13_dir_keys(lc, r, d);
}

static int
tls12_keys(struct mg_tls_conn *c, struct tls_rec *r)
{
	uint8_t ms[48], seed[13 + 64], kb[2 * 32 + 2 * 4];
	struct tls_rec_dir *cw = c->server ? &r->rd : &r->wr;
	struct tls_rec_dir *sw = c->server ? &r->wr : &r->rd;
	uint32_t kl = r->key_len;
	size_t msl;
	int rc;

	msl = SSL_SESSION_get_master_key(SSL_get_session(c->ssl), ms,
					 sizeof(ms));
	memcpy(seed, "key expansion", 13);
	if (msl != sizeof(ms) ||
	    SSL_get_server_random(c->ssl, seed + 13, 32) != 32 ||
	    SSL_get_client_random(c->ssl, seed + 13 + 32, 32) != 32) {
		rc = -EINVAL;
		goto out;
	}
	/* client_write_key, server_write_key, client_write_IV (salt),
	 * server_write_IV; AEAD suites have no MAC keys */
	rc = tls12_prf(c->lc, r->md, ms, sizeof(ms), seed, sizeof(seed),
		       kb, 2 * kl + 8);
	if (rc == 0)
		rc = r->ops->key_set(c->lc, &cw->key, kb, kl);
	if (rc == 0)
		rc = r->ops->key_set(c->lc, &sw->key, kb + kl, kl);
	memcpy(cw->iv, kb + 2 * kl, 4);
	memcpy(sw->iv, kb + 2 * kl + 4, 4);
out:
	OPENSSL_cleanse(ms, sizeof(ms));
	OPENSSL_cleanse(kb, sizeof(kb));
	return rc;
}

/*
 * Prepare this record layer for c, whose handshake just completed.
 * -ENOTSUP: a suite that stays on OpenSSL; other errors: keys not found.
 */
int
tls_rec_setup(struct mg_tls_conn *c)
{
	const SSL_CIPHER *ciph = SSL_get_current_cipher(c->ssl);
	struct tls_rec *r = &c->rec;
	const EVP_MD *hmd;
	int nid, rc;

	if (ciph == NULL)
		return -ENOTSUP;
	nid = SSL_CIPHER_get_cipher_nid(ciph);
	r->key_len = nid == NID_aes_128_gcm ? 16 :
		     nid == NID_aes_256_gcm ? 32 : 0;
	r->version = (uint16_t)SSL_version(c->ssl);
	hmd = SSL_CIPHER_get_handshake_digest(ciph);
	if (r->key_len == 0 || hmd == NULL ||
	    (r->version != TLS1_2_VERSION && r->version != TLS1_3_VERSION))
		return -ENOTSUP;
	switch (EVP_MD_get_type(hmd)) {
	case NID_sha256:
		r->md = c->lc->sha256;
		r->hash_len = 32;
		break;
	case NID_sha384:
		r->md = c->lc->sha384;
		r->hash_len = 48;
		break;
	default:
		return -ENOTSUP;
	}
	r->ops = c->ctx->path == MG_TLS_RECORD_IPSEC_MB && c->lc->imb ?
		 &tls_aead_ipsec_mb : &tls_aead_evp;

	if (r->version == TLS1_3_VERSION) {
		int rd = c->server ? 0 : 1, wr = 1 - rd;

		if (c->have_secret != 3)
			return -ENOENT;
		memcpy(r->rd.secret, c->secret[rd], r->hash_len);
		memcpy(r->wr.secret, c->secret[wr], r->hash_len);
		rc = tls13_dir_keys(c->lc, r, &r->rd);
		if (rc == 0)
			rc = tls13_dir_keys(c->lc, r, &r->wr);
	} else {
		rc = tls12_keys(c, r);
	}
	OPENSSL_cleanse(c->secret, sizeof(c->secret));
	if (rc != 0) {
		tls_rec_clear(r);
		return rc;
	}
	r->rd.seq = r->rd.vseq = c->ossl_rseq;
	r->wr.seq = r->wr.vseq = c->ossl_wseq;
	return 0;
}

static int
hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch |= 0x20;
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* "LABEL <client_random hex> <secret hex>" (NSS key log format). */
void
tls_keylog_cb(const SSL *ssl, const char *line)
{
	static const char *const labels[2] = {
		"CLIENT_TRAFFIC_SECRET_0 ", "SERVER_TRAFFIC_SECRET_0 ",
	};
	struct mg_tls_conn *c = SSL_get_app_data(ssl);
	const char *p;
	unsigned i, n = 0;

	if (c == NULL)
		return;
	for (i = 0; i < 2; i++)
		if (strncmp(line, labels[i], strlen(labels[i])) == 0)
			break;
	if (i == 2)
		return;
	p = strchr(line + strlen(labels[i]), ' ');
	if (p == NULL)
		return;
	for (p++; p[0] && p[1] && n < sizeof(c->secret[i]); p += 2) {
		int hi = hexval(p[0]), lo = hexval(p[1]);

		if (hi < 0 || lo < 0)
			return;
		c->secret[i][n++] = (uint8_t)(hi << 4 | lo);
	}
	if (n == 32 || n == 48)
		c->have_secret |= (uint8_t)(1u << i);
	if (c->have_secret == 3)
		tls_keylog_arm(c, false);
}
