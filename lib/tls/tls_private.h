/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_TLS_PRIVATE_H
#define MG_TLS_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

/* without the pre-0.53 names (SHA1, AES_128_BYTES...), which clash
 * with OpenSSL's */
#define NO_COMPAT_IMB_API_053
#include <intel-ipsec-mb.h>
#include <openssl/ssl.h>

#include "mg_tls.h"

/* Record sizes (RFC 8446 5.1/5.2, RFC 5246 6.2). */
#define TLS_HDR			5
#define TLS_MAX_PLAIN		16384u
#define TLS13_MAX_CIPHER	(TLS_MAX_PLAIN + 256u)
#define TLS12_MAX_CIPHER	(TLS_MAX_PLAIN + 2048u)
#define TLS_TAG			16u
#define TLS12_EXPLICIT_IV	8u
#define TLS_RX_CAP		(TLS_HDR + TLS12_MAX_CIPHER)
/* Worst record overhead of a suite OpenSSL may seal (CBC-SHA384 with
 * minimal padding); the offload path needs 29 at most. */
#define TLS_OSSL_OVERHEAD	(TLS_HDR + 16u + 48u + 16u)

#define TLS_CT_CCS		20
#define TLS_CT_ALERT		21
#define TLS_CT_HANDSHAKE	22
#define TLS_CT_APP		23
#define TLS_HS_KEY_UPDATE	24

/* Records opened or sealed per backend call. */
#define TLS_BATCH		16
/* Runs of plaintext held between reads (one per record at most). */
#define TLS_PT_SLICES		64
/* Empty records accepted in a row (OpenSSL allows 32). */
#define TLS_MAX_EMPTY		32
/* TLS 1.3 KeyUpdate of our keys after this many records (RFC 8446 5.5
 * allows 2^24.5 with AES-GCM). */
#define TLS13_REKEY_RECORDS	(1ull << 24)
/* Output kept free by writes for alerts and KeyUpdate. */
#define TLS_CTRL_RESERVE	256u

/* ---- AEAD backends ------------------------------------------------- */

struct tls_aead_ops;

struct tls_aead_key {
	/* IPsec-MB expanded key and GHASH tables (about 1 KiB) */
	struct gcm_key_data imb __attribute__((aligned(64)));
	EVP_CIPHER_CTX *evp;
	const struct tls_aead_ops *ops;
	uint32_t key_len;
};

struct tls_aead_seg {
	const uint8_t *src;
	uint8_t *dst;
	uint32_t len;
};

/* One record to seal or open; seg[1] carries TLS 1.3's inner content
 * type when sealing out of place. */
struct tls_aead_op {
	uint8_t nonce[12];
	uint8_t aad[13];
	uint8_t aad_len;
	uint8_t n_seg;
	uint8_t type;		/* seg[1].src of a TLS 1.3 seal */
	bool ok;		/* open: the tag matched */
	struct tls_aead_seg seg[2];
	uint8_t *tag;		/* seal: written; open: the received tag */
};

struct tls_aead_ops {
	const char *name;
	int (*key_set)(struct mg_tls_lcore *lc, struct tls_aead_key *k,
		       const uint8_t *key, uint32_t len);
	void (*key_clear)(struct tls_aead_key *k);
	/* n records under one key; open sets ok per record */
	void (*seal)(struct mg_tls_lcore *lc, const struct tls_aead_key *k,
		     struct tls_aead_op *ops, unsigned n);
	void (*open)(struct mg_tls_lcore *lc, const struct tls_aead_key *k,
		     struct tls_aead_op *ops, unsigned n);
};

extern const struct tls_aead_ops tls_aead_ipsec_mb;
extern const struct tls_aead_ops tls_aead_evp;

/* ---- per-lcore state ----------------------------------------------- */

struct mg_tls_lcore {
	OSSL_LIB_CTX *libctx;	/* NULL: OpenSSL's default */
	bool own_libctx;
	/* fetched once: look-ups through the method store are what
	 * contends in OpenSSL 3.0 */
	EVP_CIPHER *aes128gcm, *aes256gcm, *aes256cbc;
	EVP_MD *sha256, *sha384;
	EVP_MD_CTX *mdctx;
	IMB_MGR *imb;
	IMB_ARCH imb_arch;
	BIO_METHOD *bio_meth;
	/* OpenSSL's records in offload mode, re-sealed from here */
	uint8_t *scratch_out;
	uint32_t scratch_out_len;
	/* a record re-sealed for OpenSSL, or a plaintext to re-seal */
	uint8_t *scratch_rec;
	uint8_t *scratch_plain;
	/* SGL contexts of one batch (TLS 1.3 seal) */
	struct gcm_context_data *gcm_ctx;
	/* freed connections kept for reuse */
	struct mg_tls_conn *cache;
	uint32_t cache_n, cache_max;
};

#define TLS_SCRATCH_OUT_CAP	(4 * (TLS_HDR + TLS13_MAX_CIPHER))

struct mg_tls_conn *tls_conn_alloc(struct mg_tls_lcore *lc, size_t size);
void tls_conn_release(struct mg_tls_lcore *lc, struct mg_tls_conn *c);

/* ---- contexts ------------------------------------------------------ */

struct tls_ctx {
	struct mg_tls_lcore *lc;
	SSL_CTX *ssl;
	uint32_t refs;		/* the owner + one per connection */
	bool server;
	enum mg_tls_record_path path;
	uint32_t record_size, plain_buf, cipher_buf;
	uint64_t handshake_timeout_us;
	struct mg_tls_stats st;
	void (*destroy)(struct tls_ctx *t);	/* the last reference went */
};

/* Common SSL_CTX set-up of servers and clients. */
struct tls_ctx_conf {
	uint16_t min_version, max_version;
	const char *ciphers, *ciphersuites, *groups, *sigalgs;
	const char *ca_file, *crl_file;
	int verify_depth;
	enum mg_tls_record_path path;
	uint32_t record_size, plain_buf, cipher_buf, handshake_timeout_ms;
};
/* The fields of mg_tls_server_params and mg_tls_client_params that
 * tls_ctx_conf takes (they have the same names). */
#define TLS_CTX_CONF(p) ((struct tls_ctx_conf){				\
	.min_version = (p)->min_version, .max_version = (p)->max_version, \
	.ciphers = (p)->ciphers, .ciphersuites = (p)->ciphersuites,	\
	.groups = (p)->groups, .sigalgs = (p)->sigalgs,			\
	.path = (p)->record_path, .record_size = (p)->record_size,	\
	.plain_buf = (p)->plain_buf, .cipher_buf = (p)->cipher_buf,	\
	.handshake_timeout_ms = (p)->handshake_timeout_ms })

/* A context of size bytes (struct tls_ctx first) with its SSL_CTX set
 * up; NULL with rte_errno and err. */
struct tls_ctx *tls_ctx_new(size_t size, struct mg_tls_lcore *lc,
			    bool server, const struct tls_ctx_conf *cf,
			    void (*destroy)(struct tls_ctx *t), char *err,
			    size_t errlen);
/* Drop a context whose set-up failed with r; returns NULL. */
void *tls_ctx_abandon(struct tls_ctx *t, int r);
void tls_ctx_put(struct tls_ctx *t);
int tls_ctx_load_verify(struct tls_ctx *t, const char *ca_file,
			const char *crl_file, int depth, char *err,
			size_t errlen);
int tls_verify_cb(int ok, X509_STORE_CTX *xs);
/* "a,b" -> ALPN wire format; -EINVAL for an empty or long name or h2. */
int tls_alpn_wire(const char *list, uint8_t *wire, uint32_t cap,
		  uint32_t *len, char *err, size_t errlen);
void tls_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Append OpenSSL's error queue to a message and clear it. */
void tls_err_ossl(char *err, size_t errlen, const char *what);

struct tls_cert {
	X509 *x509;
	EVP_PKEY *pkey;
	STACK_OF(X509) *chain;
	uint8_t *ocsp;
	uint32_t ocsp_len;
};

struct tls_name {
	char name[256];		/* lower case; for "*.a.b" it is "a.b" */
	bool wildcard;
	uint8_t n_certs;
	uint8_t certs[MG_TLS_MAX_CERTS];
};

struct mg_tls_server {
	struct tls_ctx c;
	struct tls_cert certs[MG_TLS_MAX_CERTS];
	unsigned n_certs;
	struct tls_name names[MG_TLS_MAX_NAMES];
	unsigned n_names;
	int default_name;	/* names[] index, -1 = none */
	int ctx_name;		/* names[] whose certs the SSL_CTX has, or -1 */
	struct mg_tls_ticket_keys keys;
	uint8_t alpn[256];
	uint32_t alpn_len;
};

int tls_ticket_cb(SSL *s, unsigned char key_name[16], unsigned char *iv,
		  EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc);

struct mg_tls_client {
	struct tls_ctx c;
	char sni[256];
	char san[512];
	uint8_t alpn[256];
	uint32_t alpn_len;
	SSL_SESSION **slots;
	unsigned n_slots;
};

/* ---- connections --------------------------------------------------- */

enum tls_mode {
	TLS_MODE_OSSL = 0,	/* OpenSSL reads and writes records */
	TLS_MODE_REC,		/* this record layer (after the handshake) */
};

/* Bytes in [head, tail) of p. */
struct tls_buf {
	uint8_t *p;
	uint32_t head, tail, cap;
};

struct tls_slice {
	uint32_t off, len;
};

/* One direction of this record layer. */
struct tls_rec_dir {
	struct tls_aead_key key;
	uint8_t iv[12];		/* TLS 1.3 IV; TLS 1.2: 4-byte salt */
	uint64_t seq;		/* on the wire */
	uint64_t vseq;		/* in OpenSSL's view of the connection */
	uint8_t secret[48];	/* TLS 1.3 traffic secret, for KeyUpdate */
};

/* Handshake message boundaries across records: finds KeyUpdate. */
struct tls_hs_scan {
	uint8_t hdr[4];
	uint8_t have;
	uint32_t body_left;
};

struct tls_rec {
	struct tls_rec_dir rd, wr;
	const struct tls_aead_ops *ops;
	uint16_t version;
	uint8_t key_len, hash_len;
	const EVP_MD *md;	/* the suite's hash, the lcore's fetch */
	struct tls_hs_scan scan_in, scan_out;
	uint32_t empty_in_row;
};

struct mg_tls_conn {
	struct tls_rec rec;	/* first: 64-byte aligned key data */
	struct tls_ctx *ctx;
	struct mg_tls_lcore *lc;
	SSL *ssl;
	void *user;
	size_t alloc_size;
	struct mg_tls_conn *next_free;

	uint8_t state;		/* enum mg_tls_conn_state */
	uint8_t mode;		/* enum tls_mode */
	uint8_t err;		/* enum mg_tls_error, first failure */
	bool server;
	bool out_blocked;	/* OpenSSL waits for output space */
	bool shut;		/* close_notify queued */
	bool bio_scratch;	/* OpenSSL writes go to lc->scratch_out */
	bool key_update_out;	/* OpenSSL wrote a KeyUpdate */
	uint8_t have_secret;	/* bit 0 client, bit 1 server */
	int verify_err;		/* X509_V_ERR_*, 0 = none */
	int name_idx;		/* server: names[] chosen, -1 = default */
	int slot;		/* client: session slot, -1 = none */
	uint64_t deadline_us;

	/* records OpenSSL counted since its last key change */
	uint64_t ossl_rseq, ossl_wseq;
	uint8_t secret[2][48];	/* TLS 1.3 *_TRAFFIC_SECRET_0 */

	/* input handed to OpenSSL through the BIO */
	const uint8_t *feed;
	uint32_t feed_len;

	uint8_t *rx;		/* pending ciphertext, TLS_RX_CAP */
	uint32_t rx_len;
	struct tls_buf pt;	/* plaintext, in slices (head unused) */
	struct tls_slice sl[TLS_PT_SLICES];
	uint32_t sl_head, sl_n;
	uint32_t pt_bytes;	/* in the slices */
	struct tls_buf out;	/* ciphertext to send */

	char sni[256];		/* server: received; client: sent */
	char san[512];		/* client: expected peer identity */
	char detail[160];
};

/* tls_peer.c */
bool tls_san_match(X509 *x, const char *expected);

/* tls_conn.c */
struct mg_tls_conn *tls_conn_new(struct tls_ctx *t, uint64_t now_us);
void tls_conn_fail(struct mg_tls_conn *c, enum mg_tls_error e,
		   const char *detail);
uint32_t tls_pt_room(struct mg_tls_conn *c, uint32_t want);
void tls_pt_commit(struct mg_tls_conn *c, uint8_t *dst, uint32_t len);
uint32_t tls_buf_free(const struct tls_buf *b);
uint8_t *tls_buf_reserve(struct tls_buf *b, uint32_t len);
int tls_ossl_result(struct mg_tls_conn *c, int r);

/* tls_error.c */
enum mg_tls_error tls_classify_ossl(struct mg_tls_conn *c,
				    unsigned long ossl_err);
enum mg_tls_error tls_classify_verify(int x509_err);
void tls_count(struct mg_tls_conn *c, enum mg_tls_error e);

/* tls_keys.c */
int tls13_expand_label(struct mg_tls_lcore *lc, const EVP_MD *md,
		       const uint8_t *secret, uint32_t secret_len,
		       const char *label, uint8_t *out, uint32_t out_len);
int tls_rec_setup(struct mg_tls_conn *c);
int tls13_next_secret(struct mg_tls_lcore *lc, struct tls_rec *r,
		      struct tls_rec_dir *d);
void tls_keylog_cb(const SSL *ssl, const char *line);
/* tls_ctx.c: the keylog callback on (if still needed) or off */
void tls_keylog_arm(struct mg_tls_conn *c, bool on);

/* tls_record.c */
int tls_rec_input(struct mg_tls_conn *c, const uint8_t *p, uint32_t n);
int tls_rec_write(struct mg_tls_conn *c, const uint8_t *p, uint32_t n);
int tls_rec_flush_ossl(struct mg_tls_conn *c);
void tls_rec_fatal(struct mg_tls_conn *c, enum mg_tls_error e,
		   uint8_t alert, const char *detail);
uint32_t tls_rec_seal_one(struct tls_rec *r, struct mg_tls_lcore *lc,
			  uint8_t type, const uint8_t *p, uint32_t n,
			  uint64_t seq, struct tls_rec_dir *d, uint8_t *dst);
int tls_rec_open_one(struct tls_rec *r, struct mg_tls_lcore *lc,
		     const uint8_t *rec, uint32_t n, uint64_t seq,
		     struct tls_rec_dir *d, uint8_t *dst, uint8_t *type);
void tls_rec_clear(struct tls_rec *r);

#endif /* MG_TLS_PRIVATE_H */
