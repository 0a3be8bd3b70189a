/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tls_bench: lib/tls on one core (issue 5). Prints a table, asserts
 * nothing.
 *
 *  - full handshakes per second of the server side (ECDSA P-256 and
 *    RSA-2048 certificates, X25519), TLS 1.3 and 1.2: the client is
 *    OpenSSL in the same thread over memory BIOs and its time is not
 *    counted (thread CPU time around the server's calls only); each row's
 *    share of its crypto ceiling, the public-key operations of that
 *    handshake timed in the same run (pk_measure); OpenSSL's own server
 *    in the same harness, the floor its handshake code sets;
 *  - resumed handshakes (TLS 1.3 PSK with X25519, TLS 1.2 tickets);
 *  - two threads at once, each with its own lcore state, with a library
 *    context per lcore against OpenSSL's shared default one;
 *  - bulk records, 16 KiB and 1 KiB: one engine connection seals, another
 *    opens, on each record path (IPsec-MB, EVP, OpenSSL's record layer),
 *    and the two AEAD backends alone on the same records.
 *
 * Usage: tls_bench [seconds per row, default 2] [handshakes|threads|bulk]
 * [row]: one section only, and of the handshakes one row (from 0), e.g.
 * under perf record.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "mg_tls.h"
#include "tls_private.h"
#include "tls_selfsigned.h"

static double seconds = 2.0;
static double tsc_hz;
static char dir[64];

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU time of this thread: rates per core stay right on a loaded
 * machine (another engineer's build takes the wall clock, not this). */
static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
calibrate(void)
{
	double t0 = now(), t1;
	uint64_t c0 = __rdtsc(), c1;

	do {
		t1 = now();
	} while (t1 - t0 < 0.2);
	c1 = __rdtsc();
	tsc_hz = (double)(c1 - c0) / (t1 - t0);
}

static char ec_crt[128], ec_key[128], rsa_crt[128], rsa_key[128];
static char tickets[128];

static struct mg_tls_server *
server(struct mg_tls_lcore *lc, bool rsa, enum mg_tls_record_path path,
       uint32_t record_size)
{
	struct mg_tls_cert_params cert = {
		rsa ? rsa_crt : ec_crt, rsa ? rsa_key : ec_key, NULL,
	};
	struct mg_tls_server_params p = {
		.name = "bench", .certs = &cert, .n_certs = 1, .default_cert = 0,
		.alpn = "http/1.1", .ticket_key_file = tickets,
		.record_path = path, .record_size = record_size,
		.plain_buf = 65536, .cipher_buf = 65536,
	};
	char err[256];
	struct mg_tls_server *s = mg_tls_server_create(lc, &p, err, sizeof(err));

	if (s == NULL) {
		fprintf(stderr, "server: %s\n", err);
		exit(1);
	}
	return s;
}

static SSL_CTX *
client_ctx(OSSL_LIB_CTX *libctx, uint16_t version)
{
	SSL_CTX *x = SSL_CTX_new_ex(libctx, NULL, TLS_client_method());

	SSL_CTX_set_min_proto_version(x, version);
	SSL_CTX_set_max_proto_version(x, version);
	/* X25519 for the key exchange; P-256 too, for the ECDSA
	 * certificate of TLS 1.2 (RFC 8422 5.1) */
	SSL_CTX_set1_groups_list(x, "X25519:P-256");
	SSL_CTX_set_session_cache_mode(x, SSL_SESS_CACHE_OFF);
	return x;
}

/*
 * One handshake; returns the server's CPU seconds (accept to free). With
 * *sess: resume it; after a full one, *sess is the session to resume.
 */
static double
handshake(struct mg_tls_server *s, SSL_CTX *cx, SSL_SESSION **sess,
	  bool keep)
{
	static __thread uint8_t buf[65536];
	double t, cyc = 0;
	struct mg_tls_conn *c;
	SSL *peer = SSL_new(cx);
	int n;

	SSL_set_bio(peer, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
	SSL_set_connect_state(peer);
	SSL_set_tlsext_host_name(peer, "bench.test");
	if (sess && *sess && !keep)
		SSL_set_session(peer, *sess);
	t = cpu_now();
	c = mg_tls_conn_accept(s, 0);
	cyc += cpu_now() - t;
	for (int round = 0; round < 10; round++) {
		const uint8_t *p;
		uint32_t len;

		if (!SSL_is_init_finished(peer))
			SSL_do_handshake(peer);
		while ((n = BIO_read(SSL_get_wbio(peer), buf, sizeof(buf))) > 0) {
			t = cpu_now();
			mg_tls_conn_input(c, buf, (uint32_t)n);
			cyc += cpu_now() - t;
		}
		t = cpu_now();
		p = mg_tls_conn_output_peek(c, &len);
		if (p != NULL) {
			memcpy(buf, p, len);
			mg_tls_conn_output_consume(c, len);
		}
		cyc += cpu_now() - t;
		if (p == NULL && SSL_is_init_finished(peer))
			break;
		if (p != NULL)
			BIO_write(SSL_get_rbio(peer), buf, (int)len);
	}
	if (mg_tls_conn_state(c) != MG_TLS_ESTABLISHED ||
	    !SSL_is_init_finished(peer)) {
		fprintf(stderr, "handshake failed: %s %s\n",
			mg_tls_error_name(mg_tls_conn_error(c)),
			mg_tls_conn_error_detail(c));
		exit(1);
	}
	if (s->c.path != MG_TLS_RECORD_OPENSSL &&
	    mg_tls_conn_record_path(c) == MG_TLS_RECORD_OPENSSL) {
		fprintf(stderr, "the keys were not handed over\n");
		exit(1);
	}
	if (sess && *sess && !keep && !mg_tls_conn_resumed(c)) {
		fprintf(stderr, "the session was not resumed\n");
		exit(1);
	}
	if (sess && keep) {
		/* the client reads its ticket (TLS 1.3: after the handshake) */
		SSL_read(peer, buf, 1);
		ERR_clear_error();
		SSL_SESSION_free(*sess);
		*sess = SSL_get1_session(peer);
	}
	t = cpu_now();
	mg_tls_conn_free(c);
	cyc += cpu_now() - t;
	/* a client freed without close_notify gives its session up */
	SSL_set_shutdown(peer, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	SSL_free(peer);
	return cyc;
}

/*
 * OpenSSL's own server on the same client, over memory BIOs, with the
 * same certificate, groups and one ticket: the floor that OpenSSL 3.0's
 * handshake code sets. Returns the server's CPU seconds (SSL_new to
 * SSL_free, its SSL calls only).
 */
static SSL_CTX *
plain_ctx(OSSL_LIB_CTX *libctx, bool rsa, uint16_t version)
{
	SSL_CTX *x = SSL_CTX_new_ex(libctx, NULL, TLS_server_method());

	if (x == NULL ||
	    !SSL_CTX_use_certificate_file(x, rsa ? rsa_crt : ec_crt,
					  SSL_FILETYPE_PEM) ||
	    !SSL_CTX_use_PrivateKey_file(x, rsa ? rsa_key : ec_key,
					 SSL_FILETYPE_PEM)) {
		fprintf(stderr, "plain server: cannot load the key\n");
		exit(1);
	}
	SSL_CTX_set_min_proto_version(x, version);
	SSL_CTX_set_max_proto_version(x, version);
	SSL_CTX_set1_groups_list(x, "X25519:P-256");
	SSL_CTX_set_session_cache_mode(x, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(x, 1);
	return x;
}

/* The server's calls, apart from the client's in a profile (callgrind
 * counts them by function). */
static __attribute__((noinline)) SSL *
plain_new(SSL_CTX *sx)
{
	SSL *srv = SSL_new(sx);

	SSL_set_bio(srv, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
	SSL_set_accept_state(srv);
	return srv;
}

static __attribute__((noinline)) void
plain_step(SSL *srv)
{
	SSL_do_handshake(srv);
}

static __attribute__((noinline)) void
plain_free(SSL *srv)
{
	SSL_set_shutdown(srv, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	SSL_free(srv);
}

static double
handshake_plain(SSL_CTX *sx, SSL_CTX *cx)
{
	static __thread uint8_t buf[65536];
	SSL *peer = SSL_new(cx), *srv;
	double t, cyc = 0;
	int n;

	SSL_set_bio(peer, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
	SSL_set_connect_state(peer);
	SSL_set_tlsext_host_name(peer, "bench.test");
	t = cpu_now();
	srv = plain_new(sx);
	cyc += cpu_now() - t;
	for (int round = 0; round < 10; round++) {
		bool moved = false;

		if (!SSL_is_init_finished(peer))
			SSL_do_handshake(peer);
		while ((n = BIO_read(SSL_get_wbio(peer), buf, sizeof(buf))) > 0)
			BIO_write(SSL_get_rbio(srv), buf, n);
		t = cpu_now();
		plain_step(srv);
		cyc += cpu_now() - t;
		while ((n = BIO_read(SSL_get_wbio(srv), buf, sizeof(buf))) > 0) {
			BIO_write(SSL_get_rbio(peer), buf, n);
			moved = true;
		}
		if (!moved && SSL_is_init_finished(peer))
			break;
	}
	if (!SSL_is_init_finished(srv) || !SSL_is_init_finished(peer)) {
		fprintf(stderr, "plain handshake failed\n");
		exit(1);
	}
	SSL_read(peer, buf, 1);		/* its ticket */
	ERR_clear_error();
	t = cpu_now();
	plain_free(srv);
	cyc += cpu_now() - t;
	SSL_set_shutdown(peer, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	SSL_free(peer);
	return cyc;
}

struct hs_result {
	double server_per_s;	/* from the server's cycles */
	double total_per_s;	/* wall clock, both sides */
	double server_us;
};

/* With plain: OpenSSL's server on that context instead of s. */
static struct hs_result
bench_handshakes(struct mg_tls_server *s, SSL_CTX *plain, SSL_CTX *cx,
		 bool resume, double secs)
{
	SSL_SESSION *sess = NULL;
	uint64_t n = 0;
	double t0, cyc = 0;
	struct hs_result r;

	if (resume)
		handshake(s, cx, &sess, true);
	if (plain)
		handshake_plain(plain, cx);	/* warm */
	else
		handshake(s, cx, NULL, false);
	t0 = cpu_now();
	while (cpu_now() - t0 < secs) {
		cyc += plain ? handshake_plain(plain, cx) :
			handshake(s, cx, resume ? &sess : NULL, false);
		n++;
	}
	r.total_per_s = (double)n / (cpu_now() - t0);
	r.server_us = cyc / (double)n * 1e6;
	r.server_per_s = 1e6 / r.server_us;
	SSL_SESSION_free(sess);
	return r;
}

/* ---- the crypto ceiling ----------------------------------------------- */

/*
 * The public-key operations a server does in a full handshake, timed in
 * this run on the lcore's library context: one signature (ECDSA P-256 or
 * RSA-2048 PSS: CertificateVerify, or the TLS 1.2 ServerKeyExchange), one
 * X25519 key generation (its key share) and one X25519 derivation.
 * `openssl speed ecdhx25519` counts the derivation only, its keys are made
 * before the clock starts: a ceiling from it leaves out the key
 * generation, which costs about as much as the derivation here.
 */
struct pk_costs {
	double sign_ec, sign_rsa, keygen, derive;	/* CPU seconds each */
};

struct pk_op {
	EVP_PKEY_CTX *ctx;
	int kind;	/* 0 sign ECDSA, 1 keygen, 2 derive, 3 sign RSA */
};

/* One function per operation, apart in a profile (callgrind). */
static __attribute__((noinline)) int
pk_sign_ecdsa(EVP_PKEY_CTX *x, uint8_t *out, size_t *len,
	      const uint8_t *tbs)
{
	return EVP_PKEY_sign(x, out, len, tbs, 32);
}

static __attribute__((noinline)) int
pk_sign_rsa(EVP_PKEY_CTX *x, uint8_t *out, size_t *len, const uint8_t *tbs)
{
	return EVP_PKEY_sign(x, out, len, tbs, 32);
}

static __attribute__((noinline)) int
pk_keygen(EVP_PKEY_CTX *x)
{
	EVP_PKEY *k = NULL;
	int r = EVP_PKEY_keygen(x, &k);

	EVP_PKEY_free(k);
	return r;
}

static __attribute__((noinline)) int
pk_derive(EVP_PKEY_CTX *x, uint8_t *out, size_t *len)
{
	return EVP_PKEY_derive(x, out, len);
}

static int
pk_run(struct pk_op *o)
{
	static uint8_t tbs[32], out[512];
	size_t len = sizeof(out);

	switch (o->kind) {
	case 0:
		return pk_sign_ecdsa(o->ctx, out, &len, tbs);
	case 3:
		return pk_sign_rsa(o->ctx, out, &len, tbs);
	case 1:
		return pk_keygen(o->ctx);
	default:
		return pk_derive(o->ctx, out, &len);
	}
}

/* CPU seconds of one operation, over at least secs. */
static double
pk_time(struct pk_op *o, double secs)
{
	uint64_t n = 0;
	double t0 = cpu_now(), t;

	do {
		for (int i = 0; i < 16; i++) {
			if (pk_run(o) <= 0) {
				fprintf(stderr, "ceiling: operation %d failed\n",
					o->kind);
				exit(1);
			}
		}
		n += 16;
		t = cpu_now() - t0;
	} while (t < secs);
	EVP_PKEY_CTX_free(o->ctx);
	return t / (double)n;
}

static EVP_PKEY *
key_read(OSSL_LIB_CTX *libctx, const char *path)
{
	BIO *b = BIO_new_file(path, "r");
	EVP_PKEY *k = b ? PEM_read_bio_PrivateKey_ex(b, NULL, NULL, NULL,
						     libctx, NULL) : NULL;

	BIO_free(b);
	if (k == NULL) {
		fprintf(stderr, "ceiling: cannot read %s\n", path);
		exit(1);
	}
	return k;
}

static EVP_PKEY_CTX *
signer(OSSL_LIB_CTX *libctx, EVP_PKEY *k, bool rsa)
{
	EVP_PKEY_CTX *x = EVP_PKEY_CTX_new_from_pkey(libctx, k, NULL);

	if (x == NULL || EVP_PKEY_sign_init(x) <= 0 ||
	    EVP_PKEY_CTX_set_signature_md(x, EVP_sha256()) <= 0 ||
	    (rsa && (EVP_PKEY_CTX_set_rsa_padding(x,
					RSA_PKCS1_PSS_PADDING) <= 0 ||
		     EVP_PKEY_CTX_set_rsa_pss_saltlen(x,
					RSA_PSS_SALTLEN_DIGEST) <= 0))) {
		fprintf(stderr, "ceiling: signer set-up failed\n");
		exit(1);
	}
	return x;
}

static struct pk_costs
pk_measure(OSSL_LIB_CTX *libctx, double secs)
{
	EVP_PKEY *ec = key_read(libctx, ec_key), *rsa = key_read(libctx,
								  rsa_key);
	EVP_PKEY *a = EVP_PKEY_Q_keygen(libctx, NULL, "X25519");
	EVP_PKEY *b = EVP_PKEY_Q_keygen(libctx, NULL, "X25519");
	struct pk_op o;
	struct pk_costs pc;

	o = (struct pk_op){ signer(libctx, ec, false), 0 };
	pc.sign_ec = pk_time(&o, secs);
	o = (struct pk_op){ signer(libctx, rsa, true), 3 };
	pc.sign_rsa = pk_time(&o, secs);
	o = (struct pk_op){ EVP_PKEY_CTX_new_from_name(libctx, "X25519",
						       NULL), 1 };
	if (o.ctx == NULL || EVP_PKEY_keygen_init(o.ctx) <= 0)
		exit(1);
	pc.keygen = pk_time(&o, secs);
	o = (struct pk_op){ EVP_PKEY_CTX_new_from_pkey(libctx, a, NULL), 2 };
	if (o.ctx == NULL || EVP_PKEY_derive_init(o.ctx) <= 0 ||
	    EVP_PKEY_derive_set_peer(o.ctx, b) <= 0)
		exit(1);
	pc.derive = pk_time(&o, secs);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
	return pc;
}

/* ---- two threads ------------------------------------------------------ */

struct thread_arg {
	bool shared;
	double secs;
	uint64_t n;
	double cpu;
	pthread_barrier_t *bar;
};

static void *
thread_main(void *p)
{
	struct thread_arg *a = p;
	struct mg_tls_lcore_params lp = { .shared_libctx = a->shared };
	struct mg_tls_lcore *lc = mg_tls_lcore_create(&lp, NULL, 0);
	struct mg_tls_server *s = server(lc, false, MG_TLS_RECORD_IPSEC_MB,
					 0);
	SSL_CTX *cx = client_ctx(lc->libctx, TLS1_3_VERSION);
	double t0;

	handshake(s, cx, NULL, false);
	pthread_barrier_wait(a->bar);
	t0 = now();
	a->cpu = cpu_now();
	while (now() - t0 < a->secs) {
		handshake(s, cx, NULL, false);
		a->n++;
	}
	a->cpu = cpu_now() - a->cpu;
	SSL_CTX_free(cx);
	mg_tls_server_free(s);
	mg_tls_lcore_free(lc);
	return NULL;
}

/* Wall-clock rate of all threads; *us: CPU microseconds per loop. */
static double
bench_threads(bool shared, int nthreads, double secs, double *us)
{
	pthread_t th[8];
	struct thread_arg args[8];
	pthread_barrier_t bar;
	uint64_t total = 0;
	double cpu = 0;

	pthread_barrier_init(&bar, NULL, (unsigned)nthreads);
	for (int i = 0; i < nthreads; i++) {
		args[i] = (struct thread_arg){ .shared = shared, .secs = secs,
					       .bar = &bar };
		pthread_create(&th[i], NULL, thread_main, &args[i]);
	}
	for (int i = 0; i < nthreads; i++) {
		pthread_join(th[i], NULL);
		total += args[i].n;
		cpu += args[i].cpu;
	}
	pthread_barrier_destroy(&bar);
	*us = cpu / (double)total * 1e6;
	return (double)total / secs;
}

/* ---- bulk records ----------------------------------------------------- */

/* A server connection and a client one, both this engine, connected. */
static void
pair(struct mg_tls_lcore *lc, struct mg_tls_server *s,
     struct mg_tls_client *cl, struct mg_tls_conn **sc,
     struct mg_tls_conn **cc)
{
	static uint8_t buf[65536];

	*sc = mg_tls_conn_accept(s, 0);
	*cc = mg_tls_conn_connect(cl, NULL, 0);
	for (int i = 0; i < 10; i++) {
		uint32_t n;

		n = mg_tls_conn_output(*cc, buf, sizeof(buf));
		mg_tls_conn_input(*sc, buf, n);
		n = mg_tls_conn_output(*sc, buf, sizeof(buf));
		mg_tls_conn_input(*cc, buf, n);
	}
	if (mg_tls_conn_state(*sc) != MG_TLS_ESTABLISHED ||
	    mg_tls_conn_state(*cc) != MG_TLS_ESTABLISHED) {
		fprintf(stderr, "bulk pair: %s / %s\n",
			mg_tls_conn_error_detail(*sc),
			mg_tls_conn_error_detail(*cc));
		exit(1);
	}
}

/* Bytes per second sealed by one connection and opened by the other. */
static double
bench_bulk(struct mg_tls_lcore *lc, enum mg_tls_record_path path,
	   uint32_t rec, const char *suite, enum mg_tls_record_path *got)
{
	static uint8_t data[65536], sink[65536];
	struct mg_tls_server *s = server(lc, false, path, rec);
	struct mg_tls_client_params cp = {
		.ca_file = ec_crt, .sni = "bench.test", .record_path = path,
		.record_size = rec, .ciphersuites = suite,
		.min_version = TLS1_3_VERSION,
		.plain_buf = 65536, .cipher_buf = 65536,
	};
	char err[256];
	struct mg_tls_client *cl = mg_tls_client_create(lc, &cp, err,
							sizeof(err));
	struct mg_tls_conn *sc, *cc;
	uint64_t bytes = 0;
	double t0, t;

	if (cl == NULL) {
		fprintf(stderr, "client: %s\n", err);
		exit(1);
	}
	pair(lc, s, cl, &sc, &cc);
	*got = mg_tls_conn_record_path(cc);
	RAND_bytes(data, sizeof(data));
	t0 = cpu_now();
	do {
		for (int i = 0; i < 64; i++) {
			const uint8_t *p;
			uint32_t n;
			int w = mg_tls_conn_write(cc, data, 32768);

			while ((p = mg_tls_conn_output_peek(cc, &n)) != NULL) {
				int r = mg_tls_conn_input(sc, p, n);

				if (r <= 0)
					break;
				mg_tls_conn_output_consume(cc, (uint32_t)r);
				while (mg_tls_conn_read(sc, sink,
							sizeof(sink)) > 0)
					;
			}
			bytes += (uint64_t)(w > 0 ? w : 0);
		}
		t = cpu_now() - t0;
	} while (t < seconds);
	if (mg_tls_conn_state(sc) != MG_TLS_ESTABLISHED) {
		fprintf(stderr, "bulk: %s\n", mg_tls_conn_error_detail(sc));
		exit(1);
	}
	mg_tls_conn_free(sc);
	mg_tls_conn_free(cc);
	mg_tls_client_free(cl);
	mg_tls_server_free(s);
	return (double)bytes / t;
}

/* The backends alone: seal then open the same records, a batch of 16. */
static double
bench_aead(struct mg_tls_lcore *lc, const struct tls_aead_ops *ops,
	   uint32_t len)
{
	static uint8_t pt[TLS_BATCH][TLS_MAX_PLAIN], ct[TLS_BATCH][TLS_RX_CAP];
	static uint8_t back[TLS_BATCH][TLS_MAX_PLAIN];
	struct tls_aead_key key;
	struct tls_aead_op op[TLS_BATCH];
	uint8_t k[16];
	uint64_t bytes = 0;
	double t0, t;

	memset(&key, 0, sizeof(key));
	RAND_bytes(k, sizeof(k));
	ops->key_set(lc, &key, k, 16);
	memset(op, 0, sizeof(op));
	for (int i = 0; i < TLS_BATCH; i++) {
		RAND_bytes(pt[i], (int)len);
		op[i].aad_len = 13;
		op[i].n_seg = 1;
	}
	t0 = cpu_now();
	do {
		for (int it = 0; it < 256; it++) {
			for (int i = 0; i < TLS_BATCH; i++) {
				op[i].nonce[11] = (uint8_t)it;
				op[i].seg[0] = (struct tls_aead_seg){
					pt[i], ct[i], len };
				op[i].tag = ct[i] + len;
			}
			ops->seal(lc, &key, op, TLS_BATCH);
			for (int i = 0; i < TLS_BATCH; i++)
				op[i].seg[0] = (struct tls_aead_seg){
					ct[i], back[i], len };
			ops->open(lc, &key, op, TLS_BATCH);
			if (!op[0].ok || !op[TLS_BATCH - 1].ok) {
				fprintf(stderr, "aead bench: open failed\n");
				exit(1);
			}
			bytes += (uint64_t)len * TLS_BATCH;
		}
		t = cpu_now() - t0;
	} while (t < seconds);
	ops->key_clear(&key);
	EVP_CIPHER_CTX_free(key.evp);
	return (double)bytes / t;
}

static const char *
path_name(enum mg_tls_record_path p)
{
	return p == MG_TLS_RECORD_IPSEC_MB ? "ipsec-mb" :
	       p == MG_TLS_RECORD_EVP ? "evp" : "openssl";
}

int
main(int argc, char **argv)
{
	struct mg_tls_lcore_params lp = { 0 };
	struct mg_tls_lcore *lc;
	uint8_t raw[80];
	char b64[128];
	FILE *f;

	const char *only = argc > 2 ? argv[2] : NULL;
	int only_row = argc > 3 ? atoi(argv[3]) : -1;

	if (argc > 1)
		seconds = atof(argv[1]);
	if (seconds <= 0)
		seconds = 2.0;
	calibrate();
	snprintf(dir, sizeof(dir), "/tmp/mg-tls-bench-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	if (tls_selfsigned_write(dir, "ec", "bench.test", "DNS:bench.test",
				 ec_crt, ec_key) != 0 ||
	    tls_selfsigned_write(dir, "rsa", "bench.test", "DNS:bench.test",
				 rsa_crt, rsa_key) != 0)
		return 1;
	snprintf(tickets, sizeof(tickets), "%s/tickets.key", dir);
	RAND_bytes(raw, sizeof(raw));
	EVP_EncodeBlock((uint8_t *)b64, raw, sizeof(raw));
	f = fopen(tickets, "w");
	fprintf(f, "%s\n", b64);
	fclose(f);

	lc = mg_tls_lcore_create(&lp, NULL, 0);
	if (lc == NULL)
		return 1;
	printf("tls_bench: %s, IPsec-MB %s (%s), TSC %.2f GHz, %.1f s per "
	       "row\n\n", OpenSSL_version(OPENSSL_VERSION),
	       imb_get_version_str(), mg_tls_lcore_imb_arch(lc),
	       tsc_hz / 1e9, seconds);

	if (!only || strcmp(only, "handshakes") == 0) {
		struct pk_costs pc = pk_measure(lc->libctx, 0.25 * seconds);
		/* public-key CPU seconds per handshake of each kind */
		double full_ec = pc.sign_ec + pc.keygen + pc.derive;
		double full_rsa = pc.sign_rsa + pc.keygen + pc.derive;
		double psk = pc.keygen + pc.derive;

		printf("%-44s %12s %10s\n",
		       "public-key operations (this library context)",
		       "per second", "CPU us");
		printf("%-44s %12.0f %10.1f\n", "ECDSA P-256 sign",
		       1 / pc.sign_ec, pc.sign_ec * 1e6);
		printf("%-44s %12.0f %10.1f\n", "RSA-2048 sign (PSS)",
		       1 / pc.sign_rsa, pc.sign_rsa * 1e6);
		printf("%-44s %12.0f %10.1f\n", "X25519 key generation",
		       1 / pc.keygen, pc.keygen * 1e6);
		printf("%-44s %12.0f %10.1f\n\n", "X25519 derivation",
		       1 / pc.derive, pc.derive * 1e6);

		printf("%-44s %12s %10s %12s %10s %7s\n",
		       "handshakes (server side, 1 core)", "per second",
		       "CPU us", "loop/CPU-s", "ceiling/s", "share");
		static const struct {
			const char *name;
			bool rsa;
			uint16_t version;
			bool resume;
			enum mg_tls_record_path path;
			bool plain;	/* OpenSSL's server, not lib/tls */
		} rows[] = {
			{ "full TLS 1.3 ECDSA P-256 + X25519", false,
			  TLS1_3_VERSION, false },
			{ "  the same, keys not handed over (OpenSSL)", false,
			  TLS1_3_VERSION, false, MG_TLS_RECORD_OPENSSL },
			{ "  the same, OpenSSL's own server", false,
			  TLS1_3_VERSION, false, 0, true },
			{ "full TLS 1.3 RSA-2048 + X25519", true, TLS1_3_VERSION,
			  false },
			{ "full TLS 1.2 ECDHE-ECDSA P-256 (X25519)", false,
			  TLS1_2_VERSION, false },
			{ "  the same, OpenSSL's own server", false,
			  TLS1_2_VERSION, false, 0, true },
			{ "full TLS 1.2 ECDHE-RSA-2048 (X25519)", true,
			  TLS1_2_VERSION, false },
			{ "resumed TLS 1.3 PSK + X25519 (ticket)", false,
			  TLS1_3_VERSION, true },
			{ "resumed TLS 1.2 (ticket)", false, TLS1_2_VERSION,
			  true },
		};

		for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
			struct mg_tls_server *s = NULL;
			SSL_CTX *cx, *px = NULL;
			struct hs_result r;
			/* a resumed TLS 1.2 handshake has none */
			double pk = rows[i].resume ?
				(rows[i].version == TLS1_3_VERSION ? psk : 0) :
				rows[i].rsa ? full_rsa : full_ec;

			if (only_row >= 0 && (unsigned)only_row != i)
				continue;
			if (rows[i].plain)
				px = plain_ctx(lc->libctx, rows[i].rsa,
					       rows[i].version);
			else
				s = server(lc, rows[i].rsa, rows[i].path, 0);
			cx = client_ctx(lc->libctx, rows[i].version);
			r = bench_handshakes(s, px, cx, rows[i].resume,
					     seconds);
			printf("%-44s %12.0f %10.1f %12.0f", rows[i].name,
			       r.server_per_s, r.server_us, r.total_per_s);
			if (pk > 0)
				printf(" %10.0f %6.0f%%\n", 1 / pk,
				       100 * pk * 1e6 / r.server_us);
			else
				printf(" %10s %7s\n", "-", "-");
			SSL_CTX_free(cx);
			SSL_CTX_free(px);
			mg_tls_server_free(s);
		}
	}

	if (!only || strcmp(only, "threads") == 0) {
		printf("\n%-44s %12s %10s\n",
		       "threads, full TLS 1.3 ECDSA (both sides)",
		       "loop/s all", "CPU us");
		static const struct {
			const char *name;
			bool shared;
			int n;
		} rows[] = {
			{ "1 thread, library context per lcore", false, 1 },
			{ "1 thread, shared default context", true, 1 },
			{ "2 threads, library context per lcore", false, 2 },
			{ "2 threads, shared default context", true, 2 },
		};

		for (unsigned i = 0; i < 4; i++) {
			double us, r = bench_threads(rows[i].shared, rows[i].n,
						     seconds, &us);

			printf("%-44s %12.0f %10.1f\n", rows[i].name, r, us);
		}
	}

	if (!only || strcmp(only, "bulk") == 0) {
		printf("\n%-44s %12s %12s\n", "bulk, seal + open on 1 core",
		       "Gbit/s", "cycles/byte");
		static const enum mg_tls_record_path paths[] = {
			MG_TLS_RECORD_IPSEC_MB, MG_TLS_RECORD_EVP,
			MG_TLS_RECORD_OPENSSL,
		};
		static const uint32_t sizes[] = { 16384, 1024 };

		for (unsigned z = 0; z < 2; z++) {
			for (unsigned p = 0; p < 3; p++) {
				enum mg_tls_record_path got;
				double bps = bench_bulk(lc, paths[p], sizes[z],
						"TLS_AES_128_GCM_SHA256", &got);
				char name[80];

				snprintf(name, sizeof(name),
					 "engine, %s path, AES-128-GCM, %u B",
					 path_name(got), sizes[z]);
				printf("%-44s %12.2f %12.2f\n", name,
				       bps * 8 / 1e9, tsc_hz / bps);
			}
			for (unsigned b = 0; b < 2; b++) {
				const struct tls_aead_ops *ops = b ?
					&tls_aead_evp : &tls_aead_ipsec_mb;
				double bps = bench_aead(lc, ops, sizes[z]);
				char name[80];

				snprintf(name, sizeof(name),
					 "AEAD only, %s, AES-128-GCM, %u B",
					 ops->name, sizes[z]);
				printf("%-44s %12.2f %12.2f\n", name,
				       bps * 8 / 1e9, tsc_hz / bps);
			}
		}
	}
	mg_tls_lcore_free(lc);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return 0;
}
