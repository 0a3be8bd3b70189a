/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TLS state of one lcore: its OpenSSL library context and the
 * algorithms fetched from it once, its IPsec-MB manager, the BIO method of
 * its connections, scratch buffers and a cache of freed connections.
 *
 * A library context per lcore, rather than OpenSSL 3.0's default one
 * shared by all threads: every EVP_PKEY_CTX, signature and key exchange
 * of a handshake fetches its algorithm through the context's method
 * store, name map and property cache, each behind a read-write lock, and
 * the lock words bounce between cores as soon as two of them handshake.
 * Here each lcore has its own, so nothing in OpenSSL's fetch path is
 * shared; server and client contexts (SSL_CTX_new_ex on this library
 * context, which pre-fetches the record ciphers and digests) are per
 * lcore too, as are the keys and certificates loaded into them. What is
 * fetched here is what this library uses itself on every connection
 * (AES-GCM, AES-256-CBC for tickets, SHA-256/384 for key derivation).
 * Measured with perf/tls_bench on the 2-vCPU test VM: no difference at
 * two threads within its noise (the contention reported for OpenSSL 3.0
 * grows with the number of cores); the separation costs nothing
 * measurable on one thread either.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <rte_errno.h>

#include "tls_private.h"

/*
 * The connection is the BIO: reads take the bytes handed to OpenSSL by
 * mg_tls_conn_input() (c->feed), writes go straight into the output buffer
 * (or, once this record layer has taken over, into a scratch area from
 * which they are re-sealed). No copy through a BIO_s_mem, no allocation.
 */
static int
bio_write(BIO *b, const char *data, int len)
{
	struct mg_tls_conn *c = BIO_get_data(b);
	uint32_t room, n;
	uint8_t *dst;

	BIO_clear_retry_flags(b);
	if (c->bio_scratch) {
		room = TLS_SCRATCH_OUT_CAP - c->lc->scratch_out_len;
		dst = c->lc->scratch_out + c->lc->scratch_out_len;
	} else {
		room = tls_buf_free(&c->out);
		dst = room ? tls_buf_reserve(&c->out, room) : NULL;
	}
	if (room == 0) {
		c->out_blocked = true;
		BIO_set_retry_write(b);
		return -1;
	}
	n = (uint32_t)len < room ? (uint32_t)len : room;
	memcpy(dst, data, n);
	if (c->bio_scratch)
		c->lc->scratch_out_len += n;
	else
		c->out.tail += n;
	return (int)n;
}

static int
bio_read(BIO *b, char *buf, int len)
{
	struct mg_tls_conn *c = BIO_get_data(b);
	uint32_t n;

	BIO_clear_retry_flags(b);
	if (c->feed_len == 0) {
		BIO_set_retry_read(b);
		return -1;
	}
	n = (uint32_t)len < c->feed_len ? (uint32_t)len : c->feed_len;
	memcpy(buf, c->feed, n);
	c->feed += n;
	c->feed_len -= n;
	return (int)n;
}

static long
bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct mg_tls_conn *c = BIO_get_data(b);

	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1;
	case BIO_CTRL_PENDING:
		return c ? (long)c->feed_len : 0;
	default:
		return 0;
	}
}

static int
bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static const char *const imb_arch_names[IMB_ARCH_NUM] = {
	[IMB_ARCH_NONE] = "none", [IMB_ARCH_NOAESNI] = "no-aesni",
	[IMB_ARCH_SSE] = "sse", [IMB_ARCH_AVX] = "avx",
	[IMB_ARCH_AVX2] = "avx2", [IMB_ARCH_AVX512] = "avx512",
};

const char *
mg_tls_lcore_imb_arch(const struct mg_tls_lcore *lc)
{
	if (lc->imb == NULL)
		return "none";
	return lc->imb_arch < IMB_ARCH_NUM ? imb_arch_names[lc->imb_arch] :
					     "?";
}

struct mg_tls_lcore *
mg_tls_lcore_create(const struct mg_tls_lcore_params *p, char *err,
		    size_t errlen)
{
	struct mg_tls_lcore *lc = calloc(1, sizeof(*lc));

	if (lc == NULL)
		goto nomem;
	if (!p->shared_libctx) {
		lc->libctx = OSSL_LIB_CTX_new();
		if (lc->libctx == NULL)
			goto nomem;
		lc->own_libctx = true;
	}
	lc->aes128gcm = EVP_CIPHER_fetch(lc->libctx, "AES-128-GCM", NULL);
	lc->aes256gcm = EVP_CIPHER_fetch(lc->libctx, "AES-256-GCM", NULL);
	lc->aes256cbc = EVP_CIPHER_fetch(lc->libctx, "AES-256-CBC", NULL);
	lc->sha256 = EVP_MD_fetch(lc->libctx, "SHA256", NULL);
	lc->sha384 = EVP_MD_fetch(lc->libctx, "SHA384", NULL);
	lc->mdctx = EVP_MD_CTX_new();
	if (!lc->aes128gcm || !lc->aes256gcm || !lc->aes256cbc ||
	    !lc->sha256 || !lc->sha384 || !lc->mdctx) {
		tls_err_ossl(err, errlen, "fetching algorithms");
		rte_errno = ENOTSUP;
		goto fail;
	}

	/* IPsec-MB picks the best code for the CPU; without AES-NI the
	 * IPSEC_MB record path falls back to EVP. */
	lc->imb = alloc_mb_mgr(0);
	if (lc->imb == NULL)
		goto nomem;
	init_mb_mgr_auto(lc->imb, &lc->imb_arch);
	if (imb_get_errno(lc->imb) != 0 || lc->imb_arch < IMB_ARCH_SSE) {
		free_mb_mgr(lc->imb);
		lc->imb = NULL;
	}

	lc->bio_meth = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
				    "mg_tls");
	if (lc->bio_meth == NULL ||
	    !BIO_meth_set_write(lc->bio_meth, bio_write) ||
	    !BIO_meth_set_read(lc->bio_meth, bio_read) ||
	    !BIO_meth_set_ctrl(lc->bio_meth, bio_ctrl) ||
	    !BIO_meth_set_create(lc->bio_meth, bio_create))
		goto nomem;

	lc->scratch_out = malloc(TLS_SCRATCH_OUT_CAP);
	lc->scratch_rec = malloc(TLS_RX_CAP);
	lc->scratch_plain = malloc(TLS_RX_CAP);
	lc->gcm_ctx = aligned_alloc(64, TLS_BATCH *
				    sizeof(struct gcm_context_data));
	if (!lc->scratch_out || !lc->scratch_rec || !lc->scratch_plain ||
	    !lc->gcm_ctx)
		goto nomem;
	lc->cache_max = p->conn_cache ? p->conn_cache : 64;
	return lc;

nomem:
	tls_err(err, errlen, "out of memory");
	rte_errno = ENOMEM;
fail:
	mg_tls_lcore_free(lc);
	return NULL;
}

void
mg_tls_lcore_free(struct mg_tls_lcore *lc)
{
	if (lc == NULL)
		return;
	while (lc->cache != NULL) {
		struct mg_tls_conn *c = lc->cache;

		lc->cache = c->next_free;
		free(c);
	}
	free(lc->scratch_out);
	free(lc->scratch_rec);
	free(lc->scratch_plain);
	free(lc->gcm_ctx);
	BIO_meth_free(lc->bio_meth);
	if (lc->imb != NULL)
		free_mb_mgr(lc->imb);
	EVP_CIPHER_free(lc->aes128gcm);
	EVP_CIPHER_free(lc->aes256gcm);
	EVP_CIPHER_free(lc->aes256cbc);
	EVP_MD_free(lc->sha256);
	EVP_MD_free(lc->sha384);
	EVP_MD_CTX_free(lc->mdctx);
	if (lc->own_libctx)
		OSSL_LIB_CTX_free(lc->libctx);
	free(lc);
}

/* Connections of one size (per context) come back through the cache. */
struct mg_tls_conn *
tls_conn_alloc(struct mg_tls_lcore *lc, size_t size)
{
	struct mg_tls_conn **pp, *c;

	size = (size + 63) & ~(size_t)63;
	for (pp = &lc->cache; *pp != NULL; pp = &(*pp)->next_free) {
		if ((*pp)->alloc_size == size) {
			c = *pp;
			*pp = c->next_free;
			lc->cache_n--;
			goto init;
		}
	}
	c = aligned_alloc(64, size);
	if (c == NULL)
		return NULL;
init:
	memset(c, 0, sizeof(*c));
	c->alloc_size = size;
	return c;
}

void
tls_conn_release(struct mg_tls_lcore *lc, struct mg_tls_conn *c)
{
	if (lc->cache_n >= lc->cache_max) {
		free(c);
		return;
	}
	c->next_free = lc->cache;
	lc->cache = c;
	lc->cache_n++;
}
