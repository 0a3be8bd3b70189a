/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The record layer after the handshake, for AES-GCM suites (RFC 8446 5,
 * RFC 5246 6.2.3.3 with RFC 5288):
 *  - application data is sealed and opened here, a batch of records per
 *    backend call, straight between the caller's bytes and the buffers;
 *  - alerts and handshake messages (NewSessionTicket, KeyUpdate, a TLS 1.2
 *    renegotiation attempt) are opened here, re-sealed at the sequence
 *    number OpenSSL expects (rd.vseq) and handed to OpenSSL, whose own
 *    writes (alerts, KeyUpdate) are opened at its sequence number
 *    (wr.vseq) and re-sealed at ours. OpenSSL keeps an exact view of the
 *    connection in its own sequence space, and KeyUpdate changes keys on
 *    both sides of this translation at the same record.
 *
 * Nonces: TLS 1.3 XORs the 64-bit sequence number into the IV; TLS 1.2
 * sends an explicit 8-byte nonce after the 4-byte salt, and this layer
 * uses the sequence number for it (RFC 5288 3 allows it; OpenSSL 3.0 uses
 * a counter from a random start instead: both are unique per key).
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "tls_private.h"

static inline void
put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static inline uint32_t
get16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static void
nonce13(uint8_t nonce[12], const uint8_t iv[12], uint64_t seq)
{
	memcpy(nonce, iv, 12);
	for (int i = 11; i >= 4; i--, seq >>= 8)
		nonce[i] ^= (uint8_t)seq;
}

/* Record overhead of a seal: header, explicit nonce or inner type, tag. */
static inline uint32_t
seal_overhead(const struct tls_rec *r)
{
	return TLS_HDR + TLS_TAG +
	       (r->version == TLS1_3_VERSION ? 1 : TLS12_EXPLICIT_IV);
}

/* Set up op to seal n bytes at p as one record at dst; returns its size. */
static uint32_t
seal_prep(const struct tls_rec *r, const struct tls_rec_dir *d, uint64_t seq,
	  uint8_t type, const uint8_t *p, uint32_t n, uint8_t *dst,
	  struct tls_aead_op *op)
{
	if (r->version == TLS1_3_VERSION) {
		dst[0] = TLS_CT_APP;
		dst[1] = 3;
		dst[2] = 3;
		put16(dst + 3, n + 1 + TLS_TAG);
		nonce13(op->nonce, d->iv, seq);
		memcpy(op->aad, dst, TLS_HDR);
		op->aad_len = TLS_HDR;
		op->type = type;
		op->seg[0] = (struct tls_aead_seg){ p, dst + TLS_HDR, n };
		op->seg[1] = (struct tls_aead_seg){ &op->type,
						    dst + TLS_HDR + n, 1 };
		op->n_seg = 2;
		op->tag = dst + TLS_HDR + n + 1;
		return TLS_HDR + n + 1 + TLS_TAG;
	}
	dst[0] = type;
	dst[1] = 3;
	dst[2] = 3;
	put16(dst + 3, TLS12_EXPLICIT_IV + n + TLS_TAG);
	put64(dst + TLS_HDR, seq);
	memcpy(op->nonce, d->iv, 4);
	memcpy(op->nonce + 4, dst + TLS_HDR, 8);
	put64(op->aad, seq);
	op->aad[8] = type;
	op->aad[9] = 3;
	op->aad[10] = 3;
	put16(op->aad + 11, n);
	op->aad_len = 13;
	op->seg[0] = (struct tls_aead_seg){ p, dst + TLS_HDR + 8, n };
	op->n_seg = 1;
	op->tag = dst + TLS_HDR + 8 + n;
	return TLS_HDR + 8 + n + TLS_TAG;
}

/*
 * Set up op to open the record rec (header included, rec_len bytes in
 * all) into dst. Returns the bytes that will be written to dst, or -1
 * when the record is too short to be one.
 */
static int
open_prep(const struct tls_rec *r, const struct tls_rec_dir *d, uint64_t seq,
	  const uint8_t *rec, uint32_t rec_len, uint8_t *dst,
	  struct tls_aead_op *op)
{
	uint32_t ct = rec_len - TLS_HDR, n;

	op->n_seg = 1;
	if (r->version == TLS1_3_VERSION) {
		if (ct < 1 + TLS_TAG)
			return -1;
		n = ct - TLS_TAG;
		nonce13(op->nonce, d->iv, seq);
		memcpy(op->aad, rec, TLS_HDR);
		op->aad_len = TLS_HDR;
		op->seg[0] = (struct tls_aead_seg){ rec + TLS_HDR, dst, n };
		op->tag = (uint8_t *)(uintptr_t)(rec + TLS_HDR + n);
		return (int)n;
	}
	if (ct < TLS12_EXPLICIT_IV + TLS_TAG)
		return -1;
	n = ct - TLS12_EXPLICIT_IV - TLS_TAG;
	memcpy(op->nonce, d->iv, 4);
	memcpy(op->nonce + 4, rec + TLS_HDR, 8);
	put64(op->aad, seq);
	op->aad[8] = rec[0];
	op->aad[9] = rec[1];
	op->aad[10] = rec[2];
	put16(op->aad + 11, n);
	op->aad_len = 13;
	op->seg[0] = (struct tls_aead_seg){ rec + TLS_HDR + 8, dst, n };
	op->tag = (uint8_t *)(uintptr_t)(rec + TLS_HDR + 8 + n);
	return (int)n;
}

/*
 * TLS 1.3: the content type is the last non-zero byte of the inner
 * plaintext (padding is zeros). Returns the content length, -1 if none.
 */
static int
inner_type(const uint8_t *p, uint32_t n, uint8_t *type)
{
	while (n > 0 && p[n - 1] == 0)
		n--;
	if (n == 0)
		return -1;
	*type = p[n - 1];
	return (int)(n - 1);
}

uint32_t
tls_rec_seal_one(struct tls_rec *r, struct mg_tls_lcore *lc, uint8_t type,
		 const uint8_t *p, uint32_t n, uint64_t seq,
		 struct tls_rec_dir *d, uint8_t *dst)
{
	struct tls_aead_op op;
	uint32_t len = seal_prep(r, d, seq, type, p, n, dst, &op);

	r->ops->seal(lc, &d->key, &op, 1);
	return op.ok ? len : 0;
}

/* Open one whole record into dst; its content length, or -1. */
int
tls_rec_open_one(struct tls_rec *r, struct mg_tls_lcore *lc,
		 const uint8_t *rec, uint32_t n, uint64_t seq,
		 struct tls_rec_dir *d, uint8_t *dst, uint8_t *type)
{
	struct tls_aead_op op;
	int len = open_prep(r, d, seq, rec, n, dst, &op);

	if (len < 0)
		return -1;
	r->ops->open(lc, &d->key, &op, 1);
	if (!op.ok)
		return -1;
	if (r->version == TLS1_3_VERSION)
		return inner_type(dst, (uint32_t)len, type);
	*type = rec[0];
	return len;
}

void
tls_rec_clear(struct tls_rec *r)
{
	if (r->ops != NULL) {
		r->ops->key_clear(&r->rd.key);
		r->ops->key_clear(&r->wr.key);
	}
	EVP_CIPHER_CTX_free(r->rd.key.evp);
	EVP_CIPHER_CTX_free(r->wr.key.evp);
	OPENSSL_cleanse(r, sizeof(*r));
}

/*
 * Follow handshake messages across records; true when a KeyUpdate
 * starts in these bytes (it must end its record, RFC 8446 5.1).
 */
static bool
hs_scan(struct tls_hs_scan *s, const uint8_t *p, uint32_t n)
{
	bool key_update = false;

	while (n > 0) {
		if (s->body_left > 0) {
			uint32_t k = n < s->body_left ? n : s->body_left;

			s->body_left -= k;
			p += k;
			n -= k;
			continue;
		}
		s->hdr[s->have++] = *p++;
		n--;
		if (s->have == 4) {
			s->have = 0;
			s->body_left = (uint32_t)s->hdr[1] << 16 |
				       (uint32_t)s->hdr[2] << 8 | s->hdr[3];
			if (s->hdr[0] == TLS_HS_KEY_UPDATE)
				key_update = true;
		}
	}
	return key_update;
}

/* Seal an alert at our sequence number (OpenSSL is not told: the
 * connection ends with it). */
static void
send_alert(struct mg_tls_conn *c, uint8_t level, uint8_t desc)
{
	struct tls_rec *r = &c->rec;
	uint8_t body[2] = { level, desc };
	uint8_t *dst = tls_buf_reserve(&c->out, TLS_HDR + 2 + 1 + TLS_TAG +
					       TLS12_EXPLICIT_IV);
	uint32_t n;

	if (dst == NULL)
		return;
	n = tls_rec_seal_one(r, c->lc, TLS_CT_ALERT, body, 2, r->wr.seq,
			     &r->wr, dst);
	if (n == 0)
		return;
	r->wr.seq++;
	c->out.tail += n;
	c->ctx->st.alerts_sent++;
}

void
tls_rec_fatal(struct mg_tls_conn *c, enum mg_tls_error e, uint8_t alert,
	      const char *detail)
{
	if (c->state == MG_TLS_FAILED)
		return;
	send_alert(c, 2, alert);
	tls_conn_fail(c, e, detail);
}

/*
 * Re-seal what OpenSSL wrote (in lc->scratch_out, in its sequence space)
 * into the output at our sequence numbers.
 */
int
tls_rec_flush_ossl(struct mg_tls_conn *c)
{
	struct mg_tls_lcore *lc = c->lc;
	struct tls_rec *r = &c->rec;
	const uint8_t *p = lc->scratch_out;
	uint32_t n = lc->scratch_out_len;
	int rc = 0;

	while (n >= TLS_HDR) {
		uint32_t len = TLS_HDR + get16(p + 3), sealed;
		uint8_t type, *dst;
		int plen;

		if (n < len) {
			rc = -EIO;
			break;
		}
		plen = tls_rec_open_one(r, lc, p, len, r->wr.vseq, &r->wr,
					lc->scratch_plain, &type);
		dst = tls_buf_reserve(&c->out, (plen > 0 ? (uint32_t)plen : 0) +
					       seal_overhead(r));
		if (plen < 0 || dst == NULL) {
			rc = -EIO;
			break;
		}
		r->wr.vseq++;
		sealed = tls_rec_seal_one(r, lc, type, lc->scratch_plain,
					  (uint32_t)plen, r->wr.seq, &r->wr,
					  dst);
		if (sealed == 0) {
			rc = -EIO;
			break;
		}
		r->wr.seq++;
		c->out.tail += sealed;
		c->ctx->st.records_out++;
		/* after our KeyUpdate our next records use the next secret,
		 * and so do OpenSSL's: both sequences restart at 0 */
		if (type == TLS_CT_HANDSHAKE && r->version == TLS1_3_VERSION &&
		    hs_scan(&r->scan_out, lc->scratch_plain, (uint32_t)plen) &&
		    tls13_next_secret(lc, r, &r->wr) != 0) {
			rc = -EIO;
			break;
		}
		p += len;
		n -= len;
	}
	if (n != 0 && rc == 0)
		rc = -EIO;
	lc->scratch_out_len = 0;
	if (rc != 0)
		tls_conn_fail(c, MG_TLS_ERR_INTERNAL,
			      "re-sealing OpenSSL's record failed");
	return rc;
}

/* Hand one opened alert or handshake record to OpenSSL. */
static int
delegate_in(struct mg_tls_conn *c, uint8_t type, const uint8_t *p,
	    uint32_t n)
{
	struct mg_tls_lcore *lc = c->lc;
	struct tls_rec *r = &c->rec;
	bool key_update = false;
	uint8_t sink[64];
	uint32_t len;
	int rr;

	if (type == TLS_CT_HANDSHAKE && r->version == TLS1_3_VERSION)
		key_update = hs_scan(&r->scan_in, p, n);
	len = tls_rec_seal_one(r, lc, type, p, n, r->rd.vseq, &r->rd,
			       lc->scratch_rec);
	if (len == 0) {
		tls_conn_fail(c, MG_TLS_ERR_INTERNAL, "re-sealing failed");
		return -EPROTO;
	}
	r->rd.vseq++;
	c->feed = lc->scratch_rec;
	c->feed_len = len;
	ERR_clear_error();
	rr = SSL_read(c->ssl, sink, sizeof(sink));
	c->feed_len = 0;
	if (tls_rec_flush_ossl(c) != 0)
		return -EPROTO;
	if (rr > 0) {
		/* no application data can come out of an alert or a
		 * handshake message */
		tls_rec_fatal(c, MG_TLS_ERR_INTERNAL, 80,
			      "OpenSSL returned data from a control record");
		return -EPROTO;
	}
	if (tls_ossl_result(c, rr) != 0)
		return -EPROTO;
	if (key_update && c->state == MG_TLS_ESTABLISHED &&
	    tls13_next_secret(lc, r, &r->rd) != 0) {
		tls_rec_fatal(c, MG_TLS_ERR_INTERNAL, 80,
			      "KeyUpdate: next secret");
		return -EPROTO;
	}
	/* OpenSSL answers a KeyUpdate that asks for one with its next
	 * SSL_write, which it never gets here: send the answer now, before
	 * any application data (RFC 8446 4.6.3) */
	if (c->state == MG_TLS_ESTABLISHED &&
	    SSL_get_key_update_type(c->ssl) != SSL_KEY_UPDATE_NONE &&
	    mg_tls_conn_key_update(c, false) != 0)
		return -EPROTO;
	return 0;
}

/* What one opened record holds: deliver, delegate or refuse it. */
static int
rec_dispatch(struct mg_tls_conn *c, const uint8_t *hdr, uint8_t *pt,
	     uint32_t n)
{
	struct tls_rec *r = &c->rec;
	uint8_t type = hdr[0];
	int len = (int)n;

	if (r->version == TLS1_3_VERSION) {
		len = inner_type(pt, n, &type);
		if (len < 0) {
			tls_rec_fatal(c, MG_TLS_ERR_UNEXPECTED_MESSAGE, 10,
				      "record without a content type");
			return -EPROTO;
		}
		if (n > TLS_MAX_PLAIN + 1) {
			tls_rec_fatal(c, MG_TLS_ERR_RECORD_OVERFLOW, 22,
				      "inner plaintext over 2^14 + 1");
			return -EPROTO;
		}
	}
	if ((uint32_t)len > TLS_MAX_PLAIN) {
		tls_rec_fatal(c, MG_TLS_ERR_RECORD_OVERFLOW, 22,
			      "plaintext over 2^14");
		return -EPROTO;
	}
	switch (type) {
	case TLS_CT_APP:
		if (len == 0) {
			if (++r->empty_in_row > TLS_MAX_EMPTY) {
				tls_rec_fatal(c, MG_TLS_ERR_BAD_RECORD, 10,
					      "too many empty records");
				return -EPROTO;
			}
			return 0;
		}
		r->empty_in_row = 0;
		tls_pt_commit(c, pt, (uint32_t)len);
		c->ctx->st.bytes_in += (uint32_t)len;
		return 0;
	case TLS_CT_ALERT:
	case TLS_CT_HANDSHAKE:
		return delegate_in(c, type, pt, (uint32_t)len);
	default:
		tls_rec_fatal(c, MG_TLS_ERR_UNEXPECTED_MESSAGE, 10,
			      "unexpected content type after the handshake");
		return -EPROTO;
	}
}

/* A record header checked: its total length, 0 when not whole yet, or
 * -EPROTO (the connection failed). */
static int
rec_header(struct mg_tls_conn *c, const uint8_t *p, uint32_t n)
{
	const struct tls_rec *r = &c->rec;
	uint32_t len;

	if (n < TLS_HDR)
		return 0;
	len = get16(p + 3);
	if (r->version == TLS1_3_VERSION ? p[0] != TLS_CT_APP :
	    (p[0] < TLS_CT_ALERT || p[0] > TLS_CT_APP)) {
		tls_rec_fatal(c, MG_TLS_ERR_UNEXPECTED_MESSAGE, 10,
			      "unexpected record type after the handshake");
		return -EPROTO;
	}
	if (p[1] != 3 || (r->version == TLS1_2_VERSION && p[2] != 3)) {
		tls_rec_fatal(c, MG_TLS_ERR_BAD_RECORD, 70,
			      "wrong record version");
		return -EPROTO;
	}
	/* TLS 1.2 allows 2^14 + 2048 bytes of ciphertext, but no more than
	 * 2^14 of plaintext: with AES-GCM that is 2^14 + 24 */
	if (len > (r->version == TLS1_3_VERSION ? TLS13_MAX_CIPHER :
		   TLS_MAX_PLAIN + TLS12_EXPLICIT_IV + TLS_TAG)) {
		tls_rec_fatal(c, MG_TLS_ERR_RECORD_OVERFLOW, 22,
			      "record longer than the limit");
		return -EPROTO;
	}
	if (len < (r->version == TLS1_3_VERSION ? 1 + TLS_TAG :
		   TLS12_EXPLICIT_IV + TLS_TAG)) {
		tls_rec_fatal(c, MG_TLS_ERR_BAD_RECORD_MAC, 20,
			      "record too short for its AEAD");
		return -EPROTO;
	}
	return n >= TLS_HDR + len ? (int)(TLS_HDR + len) : 0;
}

/*
 * Open the whole records at p (n bytes), a batch at a time, while the
 * plaintext buffer has room. Returns the bytes consumed (whole records)
 * or -EPROTO.
 */
int
tls_rec_input(struct mg_tls_conn *c, const uint8_t *p, uint32_t n)
{
	struct tls_rec *r = &c->rec;
	struct tls_aead_op ops[TLS_BATCH];
	uint8_t *dst[TLS_BATCH];
	uint32_t done = 0;

	while (c->state == MG_TLS_ESTABLISHED) {
		uint32_t off = done, k = 0, room, used = 0;
		uint8_t *base;

		/* first record's plaintext decides the compaction */
		if (n - off >= TLS_HDR)
			room = tls_pt_room(c, get16(p + off + 3));
		else
			break;
		base = c->pt.p + c->pt.tail;
		while (k < TLS_BATCH && c->sl_n + k < TLS_PT_SLICES) {
			int len = rec_header(c, p + off, n - off), pl;

			if (len < 0)
				return k == 0 ? -EPROTO : (int)done;
			if (len == 0)
				break;
			/* plaintext bound: the ciphertext less the tag */
			if (used + (uint32_t)len - TLS_HDR - TLS_TAG > room)
				break;
			dst[k] = base + used;
			pl = open_prep(r, &r->rd, r->rd.seq + k, p + off,
				       (uint32_t)len, dst[k], &ops[k]);
			used += (uint32_t)pl;
			off += (uint32_t)len;
			k++;
		}
		if (k == 0)
			break;
		r->ops->open(c->lc, &r->rd.key, ops, k);
		for (uint32_t i = 0; i < k; i++) {
			const uint8_t *rec = p + done;
			uint32_t len = TLS_HDR + get16(rec + 3);
			uint64_t rseq = r->rd.seq;

			if (!ops[i].ok) {
				tls_rec_fatal(c, MG_TLS_ERR_BAD_RECORD_MAC, 20,
					      "record authentication failed");
				return -EPROTO;
			}
			r->rd.seq++;
			done += len;
			c->ctx->st.records_in++;
			if (rec_dispatch(c, rec, dst[i], ops[i].seg[0].len) != 0)
				return -EPROTO;
			/* after a KeyUpdate the rest of the batch was opened
			 * with the old key: open it again; after
			 * close_notify nothing more is read */
			if (r->rd.seq != rseq + 1 ||
			    c->state != MG_TLS_ESTABLISHED)
				break;
		}
	}
	return (int)done;
}

/* Seal application data; returns the bytes taken. */
int
tls_rec_write(struct mg_tls_conn *c, const uint8_t *p, uint32_t n)
{
	struct tls_rec *r = &c->rec;
	uint32_t ovh = seal_overhead(r), rs = c->ctx->record_size, taken = 0;
	struct tls_aead_op ops[TLS_BATCH];
	uint32_t lens[TLS_BATCH];

	while (taken < n) {
		uint32_t k = 0, used = 0, room, pos = taken;
		uint8_t *base;

		room = tls_buf_free(&c->out);
		if (room <= TLS_CTRL_RESERVE + ovh)
			break;
		room -= TLS_CTRL_RESERVE;
		base = tls_buf_reserve(&c->out, room);
		while (k < TLS_BATCH && pos < n) {
			uint32_t chunk = n - pos < rs ? n - pos : rs;
			uint32_t left = room - used;

			if (chunk + ovh > left) {
				/* a short record only to fill real room */
				if (left < ovh + 1024)
					break;
				chunk = left - ovh;
			}
			lens[k] = seal_prep(r, &r->wr, r->wr.seq + k,
					    TLS_CT_APP, p + pos, chunk,
					    base + used, &ops[k]);
			used += lens[k];
			pos += chunk;
			k++;
		}
		if (k == 0)
			break;
		r->ops->seal(c->lc, &r->wr.key, ops, k);
		for (uint32_t i = 0; i < k; i++) {
			if (!ops[i].ok) {
				tls_conn_fail(c, MG_TLS_ERR_INTERNAL,
					      "sealing a record failed");
				return -EPIPE;
			}
		}
		r->wr.seq += k;
		c->out.tail += used;
		c->ctx->st.records_out += k;
		c->ctx->st.bytes_out += pos - taken;
		taken = pos;
	}
	return (int)taken;
}
