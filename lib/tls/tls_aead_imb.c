/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AES-GCM records on Intel IPsec-MB, through its burst API: one call seals
 * or opens a whole batch of records. On VAES/AVX512 cores GCM is computed
 * in full at submission (it has no multi-buffer lanes to fill), so the
 * batch saves calls rather than waiting; the TLS 1.3 seal uses two SGL
 * segments (the plaintext, then the inner content type) so the plaintext
 * is encrypted where it lies, without a copy.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "tls_private.h"

static int
imb_key_set(struct mg_tls_lcore *lc, struct tls_aead_key *k,
	    const uint8_t *key, uint32_t len)
{
	if (len == 16)
		IMB_AES128_GCM_PRE(lc->imb, key, &k->imb);
	else if (len == 32)
		IMB_AES256_GCM_PRE(lc->imb, key, &k->imb);
	else
		return -EINVAL;
	k->key_len = len;
	return 0;
}

static void
imb_key_clear(struct tls_aead_key *k)
{
	OPENSSL_cleanse(&k->imb, sizeof(k->imb));
}

static void
imb_job_fill(IMB_JOB *j, const struct tls_aead_key *k, struct tls_aead_op *op,
	     bool seal, struct IMB_SGL_IOV *iov, struct gcm_context_data *gctx,
	     uint8_t *tag_out)
{
	uint64_t len = op->seg[0].len + (op->n_seg > 1 ? op->seg[1].len : 0);

	j->enc_keys = &k->imb;
	j->dec_keys = &k->imb;
	j->key_len_in_bytes = k->key_len;
	j->cipher_direction = seal ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
	j->chain_order = seal ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
	j->cipher_start_src_offset_in_bytes = 0;
	j->msg_len_to_cipher_in_bytes = len;
	j->hash_start_src_offset_in_bytes = 0;
	j->msg_len_to_hash_in_bytes = len;
	j->iv = op->nonce;
	j->iv_len_in_bytes = 12;
	j->u.GCM.aad = op->aad;
	j->u.GCM.aad_len_in_bytes = op->aad_len;
	j->auth_tag_output = tag_out;
	j->auth_tag_output_len_in_bytes = TLS_TAG;
	j->user_data = op;
	if (op->n_seg > 1) {
		for (unsigned i = 0; i < op->n_seg; i++) {
			iov[i].in = op->seg[i].src;
			iov[i].out = op->seg[i].dst;
			iov[i].len = op->seg[i].len;
		}
		j->cipher_mode = IMB_CIPHER_GCM_SGL;
		j->hash_alg = IMB_AUTH_GCM_SGL;
		j->sgl_state = IMB_SGL_ALL;
		j->sgl_io_segs = iov;
		j->num_sgl_io_segs = op->n_seg;
		j->u.GCM.ctx = gctx;
	} else {
		j->cipher_mode = IMB_CIPHER_GCM;
		j->hash_alg = IMB_AUTH_AES_GMAC;
		j->src = op->seg[0].src;
		j->dst = op->seg[0].dst;
	}
}

static void
imb_run(struct mg_tls_lcore *lc, const struct tls_aead_key *k,
	struct tls_aead_op *ops, unsigned n, bool seal)
{
	IMB_JOB *jobs[TLS_BATCH];
	struct IMB_SGL_IOV iov[TLS_BATCH][2];
	uint8_t tags[TLS_BATCH][TLS_TAG];
	unsigned got, done;

	got = IMB_GET_NEXT_BURST(lc->imb, n, jobs);
	if (got < n) {
		IMB_FLUSH_BURST(lc->imb, IMB_MAX_BURST_SIZE, jobs);
		got = IMB_GET_NEXT_BURST(lc->imb, n, jobs);
	}
	for (unsigned i = 0; i < got; i++) {
		ops[i].ok = false;
		imb_job_fill(jobs[i], k, &ops[i], seal, iov[i], &lc->gcm_ctx[i],
			     seal ? ops[i].tag : tags[i]);
	}
	done = IMB_SUBMIT_BURST(lc->imb, got, jobs);
	for (;;) {
		for (unsigned i = 0; i < done; i++) {
			struct tls_aead_op *op = jobs[i]->user_data;

			if (jobs[i]->status != IMB_STATUS_COMPLETED)
				continue;
			if (seal)
				op->ok = true;
			else
				op->ok = CRYPTO_memcmp(tags[op - ops], op->tag,
						       TLS_TAG) == 0;
		}
		if (IMB_QUEUE_SIZE(lc->imb) == 0)
			break;
		done = IMB_FLUSH_BURST(lc->imb, IMB_MAX_BURST_SIZE, jobs);
	}
}

static void
imb_seal(struct mg_tls_lcore *lc, const struct tls_aead_key *k,
	 struct tls_aead_op *ops, unsigned n)
{
	imb_run(lc, k, ops, n, true);
}

static void
imb_open(struct mg_tls_lcore *lc, const struct tls_aead_key *k,
	 struct tls_aead_op *ops, unsigned n)
{
	imb_run(lc, k, ops, n, false);
}

const struct tls_aead_ops tls_aead_ipsec_mb = {
	.name = "ipsec-mb",
	.key_set = imb_key_set,
	.key_clear = imb_key_clear,
	.seal = imb_seal,
	.open = imb_open,
};
