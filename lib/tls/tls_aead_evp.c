/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AES-GCM records on OpenSSL's EVP interface, with the cipher fetched once
 * per lcore: the reference the IPsec-MB backend is tested and measured
 * against, and the fallback on a CPU without AES-NI.
 */
#include <errno.h>

#include <openssl/evp.h>

#include "tls_private.h"

static int
evp_key_set(struct mg_tls_lcore *lc, struct tls_aead_key *k,
	    const uint8_t *key, uint32_t len)
{
	const EVP_CIPHER *ciph = len == 16 ? lc->aes128gcm :
				 len == 32 ? lc->aes256gcm : NULL;

	if (ciph == NULL)
		return -EINVAL;
	if (k->evp == NULL && (k->evp = EVP_CIPHER_CTX_new()) == NULL)
		return -ENOMEM;
	if (!EVP_CipherInit_ex2(k->evp, ciph, key, NULL, 1, NULL))
		return -EINVAL;
	k->key_len = len;
	return 0;
}

static void
evp_key_clear(struct tls_aead_key *k)
{
	EVP_CIPHER_CTX_free(k->evp);	/* cleanses the key schedule */
	k->evp = NULL;
}

static bool
evp_one(EVP_CIPHER_CTX *x, struct tls_aead_op *op, int enc)
{
	uint8_t fin[16];
	int outl;

	if (!EVP_CipherInit_ex2(x, NULL, NULL, op->nonce, enc, NULL) ||
	    !EVP_CipherUpdate(x, NULL, &outl, op->aad, op->aad_len))
		return false;
	for (unsigned i = 0; i < op->n_seg; i++)
		if (!EVP_CipherUpdate(x, op->seg[i].dst, &outl, op->seg[i].src,
				      (int)op->seg[i].len))
			return false;
	if (!enc && !EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, TLS_TAG,
					 op->tag))
		return false;
	if (EVP_CipherFinal_ex(x, fin, &outl) <= 0)
		return false;
	return !enc || EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, TLS_TAG,
					   op->tag) > 0;
}

static void
evp_seal(struct mg_tls_lcore *lc, const struct tls_aead_key *k,
	 struct tls_aead_op *ops, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		ops[i].ok = evp_one(k->evp, &ops[i], 1);
}

static void
evp_open(struct mg_tls_lcore *lc, const struct tls_aead_key *k,
	 struct tls_aead_op *ops, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		ops[i].ok = evp_one(k->evp, &ops[i], 0);
}

const struct tls_aead_ops tls_aead_evp = {
	.name = "evp",
	.key_set = evp_key_set,
	.key_clear = evp_key_clear,
	.seal = evp_seal,
	.open = evp_open,
};
