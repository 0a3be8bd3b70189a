/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Connections: buffers, the input and output calls, and the hand-over
 * from OpenSSL to this record layer when the handshake completes.
 *
 * Memory of a connection, one allocation (reused through the lcore's
 * cache): the struct (4.1 KiB, 2.1 KiB of it the two expanded AES-GCM
 * keys), the pending-ciphertext buffer (one largest record, 18437
 * bytes), the plaintext buffer and the output buffer (plain_buf and
 * cipher_buf): 88 KiB with the default 32 KiB buffers, 56 KiB with the
 * smallest. OpenSSL's SSL adds its own; its record buffers are released
 * between records (SSL_MODE_RELEASE_BUFFERS) and unused after the
 * hand-over.
 *
 * Input: ciphertext that cannot be used at once (a partial record, or
 * records while the plaintext buffer is full) waits in rx. While OpenSSL
 * reads records, it is handed rx and then the caller's bytes through the
 * BIO; after the hand-over whole records are opened where they lie, and
 * only the partial record at the end of a call is copied.
 */
#include <errno.h>
#include <string.h>

#include <openssl/err.h>
#include <rte_errno.h>
#include <rte_mbuf.h>

#include "tls_private.h"

static void conn_resume(struct mg_tls_conn *c);

/* ---- buffers -------------------------------------------------------- */

uint32_t
tls_buf_free(const struct tls_buf *b)
{
	return b->cap - (b->tail - b->head);
}

/* Contiguous room for len bytes at the tail, moving the data down when
 * that makes it; NULL when there is not that much room in all. */
uint8_t *
tls_buf_reserve(struct tls_buf *b, uint32_t len)
{
	if (b->head == b->tail)
		b->head = b->tail = 0;
	if (b->cap - b->tail < len) {
		if (tls_buf_free(b) < len)
			return NULL;
		memmove(b->p, b->p + b->head, b->tail - b->head);
		b->tail -= b->head;
		b->head = 0;
	}
	return b->p + b->tail;
}

static struct tls_slice *
slice(struct mg_tls_conn *c, uint32_t i)
{
	return &c->sl[(c->sl_head + i) % TLS_PT_SLICES];
}

/* Contiguous plaintext room at the tail; the slices move down when that
 * gives want bytes. */
uint32_t
tls_pt_room(struct mg_tls_conn *c, uint32_t want)
{
	struct tls_buf *b = &c->pt;
	uint32_t first;

	if (c->sl_n == 0)
		b->tail = 0;
	first = c->sl_n ? slice(c, 0)->off : b->tail;
	if (b->cap - b->tail < want && first > 0) {
		memmove(b->p, b->p + first, b->tail - first);
		for (uint32_t i = 0; i < c->sl_n; i++)
			slice(c, i)->off -= first;
		b->tail -= first;
	}
	return b->cap - b->tail;
}

/* len bytes of plaintext at dst (in the room given above) are ready. */
void
tls_pt_commit(struct mg_tls_conn *c, uint8_t *dst, uint32_t len)
{
	uint32_t off = (uint32_t)(dst - c->pt.p);
	struct tls_slice *last = c->sl_n ? slice(c, c->sl_n - 1) : NULL;

	if (last != NULL && last->off + last->len == off) {
		last->len += len;
	} else {
		c->sl_n++;
		*slice(c, c->sl_n - 1) = (struct tls_slice){ off, len };
	}
	c->pt.tail = off + len;
	c->pt_bytes += len;
}

/* ---- failures ------------------------------------------------------- */

void
tls_conn_fail(struct mg_tls_conn *c, enum mg_tls_error e, const char *detail)
{
	if (c->state == MG_TLS_FAILED)
		return;
	if (c->err == MG_TLS_OK)
		c->err = (uint8_t)e;
	c->state = MG_TLS_FAILED;
	tls_count(c, (enum mg_tls_error)c->err);
	if (c->detail[0] == '\0' && detail != NULL)
		snprintf(c->detail, sizeof(c->detail), "%s", detail);
}

/* What an OpenSSL call's return means for the connection: 0 (go on,
 * maybe waiting), or -EPROTO after failing it. */
int
tls_ossl_result(struct mg_tls_conn *c, int r)
{
	unsigned long e;
	char alert[64];
	const char *why;
	enum mg_tls_error reason;

	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_NONE:
	case SSL_ERROR_WANT_READ:
		return 0;
	case SSL_ERROR_WANT_WRITE:
		c->out_blocked = true;
		return 0;
	case SSL_ERROR_ZERO_RETURN:
		if (c->state == MG_TLS_ESTABLISHED)
			c->state = MG_TLS_PEER_CLOSED;
		return 0;
	default:
		break;
	}
	e = ERR_peek_error();
	reason = tls_classify_ossl(c, e);
	why = e ? ERR_reason_error_string(e) : NULL;
	if (c->verify_err != 0 && c->err == MG_TLS_OK)
		why = X509_verify_cert_error_string(c->verify_err);
	if (reason == MG_TLS_ERR_ALERT_RECEIVED) {
		snprintf(alert, sizeof(alert), "alert received: %s",
			 SSL_alert_desc_string_long(ERR_GET_REASON(e) -
						    SSL_AD_REASON_OFFSET));
		why = alert;
	}
	tls_conn_fail(c, reason, why ? why : "OpenSSL failed");
	ERR_clear_error();
	return -EPROTO;
}

/* ---- OpenSSL's turn -------------------------------------------------- */

/* Plaintext OpenSSL has for us (its record path), while there is room. */
static int
ossl_read(struct mg_tls_conn *c)
{
	while (c->state == MG_TLS_ESTABLISHED && c->sl_n < TLS_PT_SLICES) {
		uint32_t room = tls_pt_room(c, TLS_MAX_PLAIN);
		int r;

		if (room == 0)
			break;
		ERR_clear_error();
		r = SSL_read(c->ssl, c->pt.p + c->pt.tail,
			     room > INT32_MAX ? INT32_MAX : (int)room);
		if (r <= 0)
			return tls_ossl_result(c, r);
		tls_pt_commit(c, c->pt.p + c->pt.tail, (uint32_t)r);
		c->ctx->st.bytes_in += (uint32_t)r;
	}
	return 0;
}

static void
handshake_done(struct mg_tls_conn *c)
{
	struct tls_ctx *t = c->ctx;
	int rc;

	c->state = MG_TLS_ESTABLISHED;
	c->deadline_us = 0;
	t->st.handshakes++;
	if (SSL_session_reused(c->ssl))
		t->st.resumed++;
	if (SSL_get0_peer_certificate(c->ssl) != NULL &&
	    SSL_get_verify_result(c->ssl) == X509_V_OK)
		t->st.peer_certs++;
	if (t->path == MG_TLS_RECORD_OPENSSL)
		return;
	rc = tls_rec_setup(c);
	if (rc == 0) {
		c->mode = TLS_MODE_REC;
		c->bio_scratch = true;
		t->st.offloaded++;
	} else if (rc != -ENOTSUP) {
		t->st.offload_failed++;
	}
}

/* Run OpenSSL on c->feed: the handshake, or reads on its record path. */
static int
ossl_step(struct mg_tls_conn *c)
{
	if (c->state == MG_TLS_HANDSHAKE) {
		int r;

		c->out_blocked = false;
		ERR_clear_error();
		r = SSL_do_handshake(c->ssl);
		/* off between calls: one stopped half way (waiting, or
		 * failed) does not leave it on for the others */
		tls_keylog_arm(c, false);
		if (r != 1)
			return tls_ossl_result(c, r);
		handshake_done(c);
	}
	if (c->state == MG_TLS_ESTABLISHED && c->mode == TLS_MODE_OSSL)
		return ossl_read(c);
	return 0;
}

/* OpenSSL takes what it wants of p; returns that count or -EPROTO. */
static int
ossl_feed(struct mg_tls_conn *c, const uint8_t *p, uint32_t n)
{
	int rc;

	c->feed = p;
	c->feed_len = n;
	rc = ossl_step(c);
	n -= c->feed_len;
	c->feed = NULL;
	c->feed_len = 0;
	return rc < 0 ? rc : (int)n;
}

static int
feed(struct mg_tls_conn *c, const uint8_t *p, uint32_t n)
{
	return c->mode == TLS_MODE_OSSL ? ossl_feed(c, p, n) :
					  tls_rec_input(c, p, n);
}

/* ---- connections ---------------------------------------------------- */

struct mg_tls_conn *
tls_conn_new(struct tls_ctx *t, uint64_t now_us)
{
	size_t size = sizeof(struct mg_tls_conn) + TLS_RX_CAP + t->plain_buf +
		      t->cipher_buf;
	struct mg_tls_conn *c = tls_conn_alloc(t->lc, size);
	uint8_t *mem;
	BIO *bio;

	if (c == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	mem = (uint8_t *)(c + 1);
	c->ctx = t;
	c->lc = t->lc;
	c->server = t->server;
	c->name_idx = -1;
	c->slot = -1;
	c->deadline_us = now_us + t->handshake_timeout_us;
	c->rx = mem;
	c->pt.p = mem + TLS_RX_CAP;
	c->pt.cap = t->plain_buf;
	c->out.p = c->pt.p + t->plain_buf;
	c->out.cap = t->cipher_buf;
	t->refs++;

	c->ssl = SSL_new(t->ssl);
	bio = c->ssl ? BIO_new(t->lc->bio_meth) : NULL;
	if (bio == NULL) {
		ERR_clear_error();
		mg_tls_conn_free(c);
		rte_errno = ENOMEM;
		return NULL;
	}
	BIO_set_data(bio, c);
	SSL_set_bio(c->ssl, bio, bio);
	SSL_set_app_data(c->ssl, c);
	SSL_set_max_send_fragment(c->ssl, t->record_size);
	return c;
}

void
mg_tls_conn_free(struct mg_tls_conn *c)
{
	struct tls_ctx *t;

	if (c == NULL)
		return;
	t = c->ctx;
	/* OpenSSL marks the session of a connection freed without a
	 * close_notify not resumable; a healthy one (a pooled upstream
	 * connection let go, say) keeps its session for the next */
	if (c->ssl != NULL && (c->state == MG_TLS_ESTABLISHED ||
			       c->state == MG_TLS_PEER_CLOSED))
		SSL_set_shutdown(c->ssl, SSL_SENT_SHUTDOWN |
				 SSL_RECEIVED_SHUTDOWN);
	SSL_free(c->ssl);	/* and the BIO */
	tls_rec_clear(&c->rec);
	OPENSSL_cleanse(c->secret, sizeof(c->secret));
	tls_conn_release(c->lc, c);
	tls_ctx_put(t);
}

enum mg_tls_conn_state
mg_tls_conn_state(const struct mg_tls_conn *c)
{
	return (enum mg_tls_conn_state)c->state;
}

enum mg_tls_error
mg_tls_conn_error(const struct mg_tls_conn *c)
{
	return (enum mg_tls_error)c->err;
}

const char *
mg_tls_conn_error_detail(const struct mg_tls_conn *c)
{
	return c->detail;
}

static bool
receiving(const struct mg_tls_conn *c)
{
	return c->state == MG_TLS_HANDSHAKE || c->state == MG_TLS_ESTABLISHED;
}

/* Copy into rx what the last record in it lacks (this record layer only
 * opens whole records); true when that record is whole now. */
static bool
rx_complete(struct mg_tls_conn *c, const uint8_t *p, uint32_t len,
	    uint32_t *taken)
{
	for (;;) {
		uint32_t off = 0, need, n;

		while (c->rx_len - off >= TLS_HDR) {
			uint32_t rec = TLS_HDR +
				((uint32_t)c->rx[off + 3] << 8 | c->rx[off + 4]);

			if (c->rx_len - off < rec)
				break;
			off += rec;
		}
		if (off == c->rx_len)
			return true;
		need = c->rx_len - off < TLS_HDR ?
		       TLS_HDR - (c->rx_len - off) :
		       off + TLS_HDR + ((uint32_t)c->rx[off + 3] << 8 |
					c->rx[off + 4]) - c->rx_len;
		n = len - *taken < need ? len - *taken : need;
		if (n > TLS_RX_CAP - c->rx_len)
			n = TLS_RX_CAP - c->rx_len;
		if (n == 0)
			return false;
		memcpy(c->rx + c->rx_len, p + *taken, n);
		c->rx_len += n;
		*taken += n;
	}
}

/* Work through rx; returns bytes used or -EPROTO. */
static int
rx_process(struct mg_tls_conn *c)
{
	int r;

	if (c->rx_len == 0)
		return 0;
	r = feed(c, c->rx, c->rx_len);
	if (r > 0) {
		memmove(c->rx, c->rx + r, c->rx_len - (uint32_t)r);
		c->rx_len -= (uint32_t)r;
	}
	return r;
}

int
mg_tls_conn_input(struct mg_tls_conn *c, const void *data, uint32_t len)
{
	const uint8_t *p = data;
	uint32_t taken = 0;
	int r;

	if (c->state == MG_TLS_FAILED)
		return -EPROTO;
	if (c->state == MG_TLS_HANDSHAKE && c->rx_len == 0 && len == 0) {
		/* start (client) or go on after output space opened */
		if (ossl_feed(c, NULL, 0) < 0)
			return -EPROTO;
	}
	while (receiving(c)) {
		uint8_t mode = c->mode;

		if (c->rx_len > 0) {
			if (c->mode == TLS_MODE_REC)
				rx_complete(c, p, len, &taken);
			r = rx_process(c);
			if (r < 0)
				return -EPROTO;
			if (c->rx_len > 0) {
				if (r > 0 || c->mode != mode)
					continue;
				break;	/* waiting: more bytes or room */
			}
		}
		if (taken == len)
			break;
		r = feed(c, p + taken, len - taken);
		if (r < 0)
			return -EPROTO;
		taken += (uint32_t)r;
		/* the handshake ended inside these bytes: the rest are
		 * records for this record layer */
		if (c->mode == mode || taken == len)
			break;
	}
	if (c->state == MG_TLS_FAILED)
		return -EPROTO;
	if (!receiving(c))
		return (int)len;	/* after close_notify: dropped */
	if (taken < len) {
		uint32_t n = len - taken;

		if (n > TLS_RX_CAP - c->rx_len)
			n = TLS_RX_CAP - c->rx_len;
		memcpy(c->rx + c->rx_len, p + taken, n);
		c->rx_len += n;
		taken += n;
	}
	return (int)taken;
}

int
mg_tls_conn_input_mbuf(struct mg_tls_conn *c, const struct rte_mbuf *m,
		       uint32_t off)
{
	uint32_t total = 0;

	for (; m != NULL; m = m->next) {
		uint32_t seg = rte_pktmbuf_data_len(m);
		int r;

		if (off >= seg) {
			off -= seg;
			continue;
		}
		r = mg_tls_conn_input(c, rte_pktmbuf_mtod_offset(m,
					const uint8_t *, off), seg - off);
		if (r < 0)
			return r;
		total += (uint32_t)r;
		if ((uint32_t)r < seg - off)
			break;
		off = 0;
	}
	return (int)total;
}

uint32_t
mg_tls_conn_input_space(const struct mg_tls_conn *c)
{
	return c->state == MG_TLS_FAILED ? 0 : TLS_RX_CAP - c->rx_len;
}

/* Output space or plaintext room opened: let waiting input through. */
static void
conn_resume(struct mg_tls_conn *c)
{
	if (c->state == MG_TLS_HANDSHAKE && c->rx_len == 0)
		ossl_feed(c, NULL, 0);
	else if (c->state == MG_TLS_ESTABLISHED && c->mode == TLS_MODE_OSSL)
		ossl_feed(c, NULL, 0);	/* plaintext OpenSSL holds */
	mg_tls_conn_input(c, NULL, 0);
}

/* ---- plaintext out -------------------------------------------------- */

uint32_t
mg_tls_conn_readable(const struct mg_tls_conn *c)
{
	return c->pt_bytes;
}

const uint8_t *
mg_tls_conn_peek(const struct mg_tls_conn *c, uint32_t *len)
{
	if (c->sl_n == 0) {
		*len = 0;
		return NULL;
	}
	*len = c->sl[c->sl_head].len;
	return c->pt.p + c->sl[c->sl_head].off;
}

static void
pt_drop(struct mg_tls_conn *c, uint32_t n)
{
	while (n > 0 && c->sl_n > 0) {
		struct tls_slice *s = slice(c, 0);
		uint32_t k = n < s->len ? n : s->len;

		s->off += k;
		s->len -= k;
		c->pt_bytes -= k;
		n -= k;
		if (s->len == 0) {
			c->sl_head = (c->sl_head + 1) % TLS_PT_SLICES;
			c->sl_n--;
		}
	}
}

void
mg_tls_conn_consume(struct mg_tls_conn *c, uint32_t n)
{
	pt_drop(c, n);
	conn_resume(c);
}

uint32_t
mg_tls_conn_read(struct mg_tls_conn *c, void *buf, uint32_t len)
{
	uint32_t done = 0, k;

	for (;;) {
		for (k = 0; done < len && c->sl_n > 0; k++) {
			struct tls_slice *s = slice(c, 0);
			uint32_t n = len - done < s->len ? len - done : s->len;

			memcpy((uint8_t *)buf + done, c->pt.p + s->off, n);
			pt_drop(c, n);
			done += n;
		}
		if (k == 0)
			break;
		/* room made: records waiting in rx or in OpenSSL */
		conn_resume(c);
	}
	return done;
}

/* ---- plaintext in, ciphertext out ----------------------------------- */

static int
ossl_write(struct mg_tls_conn *c, const uint8_t *p, uint32_t len)
{
	uint32_t taken = 0;

	while (taken < len) {
		uint32_t room = tls_buf_free(&c->out), chunk = len - taken;
		int r;

		if (room <= TLS_OSSL_OVERHEAD + TLS_CTRL_RESERVE)
			break;
		room -= TLS_OSSL_OVERHEAD + TLS_CTRL_RESERVE;
		if (chunk > c->ctx->record_size)
			chunk = c->ctx->record_size;
		if (chunk > room) {
			if (room < 1024)
				break;
			chunk = room;
		}
		ERR_clear_error();
		r = SSL_write(c->ssl, p + taken, (int)chunk);
		if (r <= 0) {
			if (tls_ossl_result(c, r) < 0)
				return -EPIPE;
			break;
		}
		taken += (uint32_t)r;
		c->ctx->st.bytes_out += (uint32_t)r;
	}
	return (int)taken;
}

int
mg_tls_conn_write(struct mg_tls_conn *c, const void *data, uint32_t len)
{
	int r;

	if (c->state == MG_TLS_FAILED || c->shut)
		return -EPIPE;
	if (c->state == MG_TLS_HANDSHAKE)
		return 0;
	if (c->mode == TLS_MODE_OSSL)
		return ossl_write(c, data, len);
	r = tls_rec_write(c, data, len);
	/* AES-GCM's limit per key (RFC 8446 5.5): renew ours in time */
	if (r > 0 && c->rec.version == TLS1_3_VERSION &&
	    c->rec.wr.seq >= TLS13_REKEY_RECORDS)
		mg_tls_conn_key_update(c, false);
	return c->state == MG_TLS_FAILED ? -EPIPE : r;
}

uint32_t
mg_tls_conn_write_space(const struct mg_tls_conn *c)
{
	uint32_t room = tls_buf_free(&c->out), per_rec;

	if (c->state != MG_TLS_ESTABLISHED && c->state != MG_TLS_PEER_CLOSED)
		return 0;
	if (room <= TLS_CTRL_RESERVE + TLS_OSSL_OVERHEAD)
		return 0;
	room -= TLS_CTRL_RESERVE;
	per_rec = c->ctx->record_size + TLS_OSSL_OVERHEAD;
	return room - (room / per_rec + 1) * TLS_OSSL_OVERHEAD;
}

uint32_t
mg_tls_conn_pending(const struct mg_tls_conn *c)
{
	return c->out.tail - c->out.head;
}

const uint8_t *
mg_tls_conn_output_peek(const struct mg_tls_conn *c, uint32_t *len)
{
	*len = c->out.tail - c->out.head;
	return *len ? c->out.p + c->out.head : NULL;
}

void
mg_tls_conn_output_consume(struct mg_tls_conn *c, uint32_t n)
{
	uint32_t avail = c->out.tail - c->out.head;

	c->out.head += n < avail ? n : avail;
	if (c->out.head == c->out.tail)
		c->out.head = c->out.tail = 0;
	if (c->out_blocked) {
		c->out_blocked = false;
		conn_resume(c);
	}
}

uint32_t
mg_tls_conn_output(struct mg_tls_conn *c, void *buf, uint32_t len)
{
	uint32_t n;
	const uint8_t *p = mg_tls_conn_output_peek(c, &n);

	if (n > len)
		n = len;
	if (n > 0)
		memcpy(buf, p, n);
	mg_tls_conn_output_consume(c, n);
	return n;
}

/* OpenSSL wrote a message itself (close_notify, KeyUpdate): after the
 * hand-over it went to the scratch area, to be re-sealed. */
static int
ossl_wrote(struct mg_tls_conn *c, int r)
{
	int rc = r < 0 ? tls_ossl_result(c, r) : 0;

	if (c->mode == TLS_MODE_REC && tls_rec_flush_ossl(c) != 0)
		return -EPIPE;
	return rc < 0 ? -EPIPE : 0;
}

int
mg_tls_conn_shutdown(struct mg_tls_conn *c)
{
	if (c->state == MG_TLS_FAILED)
		return -EPIPE;
	if (c->shut)
		return 0;
	c->shut = true;
	if (c->state == MG_TLS_HANDSHAKE)
		return 0;	/* nothing to close yet: just close */
	ERR_clear_error();
	return ossl_wrote(c, SSL_shutdown(c->ssl));
}

int
mg_tls_conn_key_update(struct mg_tls_conn *c, bool request_peer)
{
	if (c->state == MG_TLS_FAILED || c->shut)
		return -EPIPE;
	if (c->state != MG_TLS_ESTABLISHED)
		return -EAGAIN;
	if (SSL_version(c->ssl) != TLS1_3_VERSION)
		return -ENOTSUP;
	ERR_clear_error();
	if (!SSL_key_update(c->ssl, request_peer ? SSL_KEY_UPDATE_REQUESTED :
					   SSL_KEY_UPDATE_NOT_REQUESTED)) {
		ERR_clear_error();
		return -EAGAIN;	/* one is already on its way */
	}
	/* sent now rather than with the next SSL_write, which this record
	 * layer never calls */
	return ossl_wrote(c, SSL_do_handshake(c->ssl));
}

/* ---- time ------------------------------------------------------------ */

uint64_t
mg_tls_conn_deadline(const struct mg_tls_conn *c)
{
	return c->deadline_us;
}

void
mg_tls_conn_set_deadline(struct mg_tls_conn *c, uint64_t deadline_us)
{
	c->deadline_us = deadline_us;
}

int
mg_tls_conn_check_deadline(struct mg_tls_conn *c, uint64_t now_us)
{
	if (c->state != MG_TLS_HANDSHAKE || c->deadline_us == 0 ||
	    now_us < c->deadline_us)
		return 0;
	tls_conn_fail(c, MG_TLS_ERR_HANDSHAKE_TIMEOUT,
		      "handshake not done by its deadline");
	return -ETIMEDOUT;
}

/* ---- facts ----------------------------------------------------------- */

void
mg_tls_conn_set_user(struct mg_tls_conn *c, void *user)
{
	c->user = user;
}

void *
mg_tls_conn_get_user(const struct mg_tls_conn *c)
{
	return c->user;
}

static bool
established(const struct mg_tls_conn *c)
{
	return c->state == MG_TLS_ESTABLISHED || c->state == MG_TLS_PEER_CLOSED;
}

const char *
mg_tls_conn_sni(const struct mg_tls_conn *c)
{
	return c->sni[0] ? c->sni : NULL;
}

const char *
mg_tls_conn_alpn(const struct mg_tls_conn *c, uint32_t *len)
{
	const unsigned char *p = NULL;
	unsigned n = 0;

	if (established(c))
		SSL_get0_alpn_selected(c->ssl, &p, &n);
	*len = n;
	return n ? (const char *)p : NULL;
}

const char *
mg_tls_conn_version(const struct mg_tls_conn *c)
{
	return established(c) ? SSL_get_version(c->ssl) : NULL;
}

const char *
mg_tls_conn_cipher(const struct mg_tls_conn *c)
{
	return established(c) ?
	       SSL_CIPHER_standard_name(SSL_get_current_cipher(c->ssl)) : NULL;
}

bool
mg_tls_conn_resumed(const struct mg_tls_conn *c)
{
	return established(c) && SSL_session_reused(c->ssl);
}

enum mg_tls_record_path
mg_tls_conn_record_path(const struct mg_tls_conn *c)
{
	if (c->mode == TLS_MODE_OSSL)
		return MG_TLS_RECORD_OPENSSL;
	return c->rec.ops == &tls_aead_ipsec_mb ? MG_TLS_RECORD_IPSEC_MB :
						  MG_TLS_RECORD_EVP;
}
