/* SPDX-License-Identifier: Apache-2.0 */
/* The server side against OpenSSL's own client, over memory BIOs. */
#include <errno.h>

#include <openssl/x509v3.h>
#include <rte_mbuf.h>

#include "tls_test.h"

static struct mg_tls_lcore *lc;
static struct link L;

static const enum mg_tls_record_path paths[] = {
	MG_TLS_RECORD_IPSEC_MB, MG_TLS_RECORD_EVP, MG_TLS_RECORD_OPENSSL,
};
static const uint16_t versions[] = { TLS1_2_VERSION, TLS1_3_VERSION };

static struct mg_tls_cert_params certs[4];

/* The lab listener: api.lab.test and *.lab.test, ECDSA and RSA. */
static void
server_params(struct mg_tls_server_params *p, enum mg_tls_record_path path)
{
	static const char *const files[4][3] = {
		{ "api-ecdsa.crt", "api-ecdsa.key", "api-ecdsa.ocsp.der" },
		{ "api-rsa.crt", "api-rsa.key", NULL },
		{ "wildcard-ecdsa.crt", "wildcard-ecdsa.key", NULL },
		{ "wildcard-rsa.crt", "wildcard-rsa.key", NULL },
	};
	static char paths_[4][3][128];

	for (unsigned i = 0; i < 4; i++) {
		for (unsigned j = 0; j < 3; j++)
			if (files[i][j])
				snprintf(paths_[i][j], 128, "%s", P(files[i][j]));
		certs[i] = (struct mg_tls_cert_params){
			paths_[i][0], paths_[i][1],
			files[i][2] ? paths_[i][2] : NULL,
		};
	}
	*p = (struct mg_tls_server_params){
		.name = "api", .certs = certs, .n_certs = 4, .default_cert = -1,
		.alpn = "http/1.1", .record_path = path,
	};
}

static struct mg_tls_server *
server_new(const struct mg_tls_server_params *p)
{
	char err[256] = "";

	return created(mg_tls_server_create(lc, p, err, sizeof(err)), "server",
		       err);
}

/* The lab listener on a record path (NULL after a failed check). */
static struct mg_tls_server *
lab_server(enum mg_tls_record_path path)
{
	struct mg_tls_server_params sp;

	server_params(&sp, path);
	return server_new(&sp);
}

/* OpenSSL's client for a range of versions (0: its defaults), trusting
 * the lab CA. */
static SSL_CTX *
lab_peer(uint16_t min_version, uint16_t max_version)
{
	struct peer_opts po = { .min_version = min_version,
				.max_version = max_version,
				.ca_file = P("ca.crt") };

	return peer_ctx(&po);
}

/* Accept from s, connect a peer from px, pump. */
static void
link_open(struct mg_tls_server *s, SSL_CTX *px, const char *sni,
	  uint32_t chunk)
{
	memset(&L, 0, sizeof(L));
	L.c = mg_tls_conn_accept(s, 0);
	L.peer = peer_ssl(px, sni);
	L.chunk = chunk;
	pump(&L);
}

static bool
link_up(void)
{
	return link_established(&L);
}

static void
link_close(void)
{
	link_free(&L);
}

static void
explain(const char *what)
{
	link_explain(&L, what);
}

static void
exchange(uint32_t n)
{
	link_exchange(&L, n);
}

/* Handshake and data both ways on each record path and version, with
 * the peer's bytes given in chunks of every size. */
static void
test_basic(void)
{
	static const uint32_t chunks[] = { 0, 1, 7, 1400 };

	for (unsigned p = 0; p < 3; p++) {
		struct mg_tls_server *s = lab_server(paths[p]);

		for (unsigned v = 0; s && v < 2; v++) {
			SSL_CTX *px = lab_peer(versions[v], versions[v]);

			for (unsigned k = 0; k < 4; k++) {
				link_open(s, px, "api.lab.test", chunks[k]);
				MG_CHECK(link_up());
				if (link_up()) {
					MG_CHECK_EQ(SSL_version(L.peer),
						    versions[v]);
					MG_CHECK_EQ(mg_tls_conn_record_path(L.c),
						    paths[p]);
					/* handed over at the right sequence
					 * numbers: the client's Finished in
					 * TLS 1.2, nothing in TLS 1.3 */
					if (paths[p] != MG_TLS_RECORD_OPENSSL)
						MG_CHECK_EQ(L.c->rec.rd.seq,
							versions[v] == TLS1_2_VERSION);
					/* set only while secrets are due */
					MG_CHECK(SSL_CTX_get_keylog_callback(
							s->c.ssl) == NULL);
					exchange(200000);
				} else {
					explain("basic");
				}
				link_close();
			}
			SSL_CTX_free(px);
		}
		mg_tls_server_free(s);
	}
}

/* The records OpenSSL's own record layer sealed are the bytes this one
 * seals with the same keys and sequence numbers (TLS 1.3; TLS 1.2
 * explicit nonces differ: OpenSSL counts from a random start). */
static void
test_same_bytes(void)
{
	static uint8_t msg[40000], pt[TLS_RX_CAP], rec[60000];
	static uint8_t wire[60000];

	for (unsigned p = 0; p < 2; p++) {
		struct mg_tls_server_params sp;
		struct peer_opts po = { .min_version = TLS1_3_VERSION,
					.ca_file = P("ca.crt") };
		struct mg_tls_server *s;
		SSL_CTX *px = peer_ctx(&po);
		uint32_t off = 0, got = 0;
		uint64_t seq;
		int n, k = 0;

		server_params(&sp, paths[p]);
		s = server_new(&sp);
		link_open(s, px, "api.lab.test", 0);
		MG_CHECK(link_up());
		fill_random(msg, sizeof(msg));
		SSL_write(L.peer, msg, sizeof(msg));
		n = BIO_read(SSL_get_wbio(L.peer), wire, sizeof(wire));
		seq = L.c->rec.rd.seq;
		while (n > 0 && off + TLS_HDR <= (uint32_t)n) {
			uint32_t len = TLS_HDR + ((uint32_t)wire[off + 3] << 8 |
						  wire[off + 4]);
			uint8_t type = 0;
			int pl = tls_rec_open_one(&L.c->rec, lc, wire + off, len,
						  seq, &L.c->rec.rd, pt, &type);

			MG_CHECK(pl > 0);
			MG_CHECK_EQ(type, TLS_CT_APP);
			if (pl <= 0)
				break;
			MG_CHECK_EQ(tls_rec_seal_one(&L.c->rec, lc, type, pt,
						     (uint32_t)pl, seq,
						     &L.c->rec.rd, rec), len);
			MG_CHECK(memcmp(rec, wire + off, len) == 0);
			off += len;
			seq++;
			k++;
		}
		MG_CHECK_EQ(off, (uint32_t)n);
		MG_CHECK_EQ(k, 3);
		/* and the connection reads them */
		for (off = 0; off < (uint32_t)n;) {
			int r = mg_tls_conn_input(L.c, wire + off,
						  (uint32_t)n - off);

			MG_CHECK(r > 0);
			if (r <= 0)
				break;
			off += (uint32_t)r;
			got += mg_tls_conn_read(L.c, rec + got,
						sizeof(msg) - got);
		}
		got += mg_tls_conn_read(L.c, rec + got, sizeof(msg) - got);
		MG_CHECK_EQ(got, sizeof(msg));
		MG_CHECK(memcmp(rec, msg, sizeof(msg)) == 0);
		link_close();
		SSL_CTX_free(px);
		mg_tls_server_free(s);
	}
}

/* Records crafted with the server's read keys. */
static void
inject(uint8_t type, const uint8_t *p, uint32_t n)
{
	static uint8_t rec[TLS_RX_CAP + 64];
	struct tls_rec *r = &L.c->rec;
	uint32_t len = tls_rec_seal_one(r, lc, type, p, n, r->rd.seq, &r->rd,
					rec);

	L.last_input = mg_tls_conn_input(L.c, rec, len);
}

static void
check_fails(enum mg_tls_error e, const char *what)
{
	MG_CHECK_EQ(L.last_input, -EPROTO);
	MG_CHECK_EQ(mg_tls_conn_state(L.c), MG_TLS_FAILED);
	MG_CHECK_EQ(mg_tls_conn_error(L.c), e);
	if (mg_tls_conn_error(L.c) != e)
		explain(what);
}

/* The peer reads the alert this side sent. */
static void
check_peer_alert(int alert)
{
	char buf[16];

	link_to_peer(&L);
	MG_CHECK(peer_read(L.peer, buf, sizeof(buf)) < 0);
	MG_CHECK_EQ(peer_alert_in, alert);
	ERR_clear_error();
}

static void
test_limits(void)
{
	static uint8_t big[TLS_MAX_PLAIN + 300], got[TLS_MAX_PLAIN + 300];

	for (unsigned p = 0; p < 2; p++) {
		struct mg_tls_server *s = lab_server(paths[p]);

		for (unsigned v = 0; s && v < 2; v++) {
			SSL_CTX *px = lab_peer(versions[v], versions[v]);
			bool v13 = versions[v] == TLS1_3_VERSION;
			struct mg_tls_stats st;
			uint8_t hdr[TLS_HDR + 32];

			fill_random(big, sizeof(big));
			/* 2^14 bytes: the largest record, taken */
			link_open(s, px, "api.lab.test", 0);
			inject(TLS_CT_APP, big, TLS_MAX_PLAIN);
			MG_CHECK_EQ(mg_tls_conn_read(L.c, got, sizeof(got)),
				    TLS_MAX_PLAIN);
			MG_CHECK(memcmp(got, big, TLS_MAX_PLAIN) == 0);
			/* padding (TLS 1.3) is stripped */
			if (v13) {
				memset(big + 100, 0, 200);
				big[99] = TLS_CT_APP;
				inject(0, big, 300);
				MG_CHECK_EQ(mg_tls_conn_read(L.c, got,
							     sizeof(got)), 99);
				MG_CHECK(memcmp(got, big, 99) == 0);
			}
			/* one byte more: record_overflow */
			inject(TLS_CT_APP, big, TLS_MAX_PLAIN + 1);
			check_fails(MG_TLS_ERR_RECORD_OVERFLOW, "2^14+1");
			check_peer_alert(SSL_AD_RECORD_OVERFLOW);
			link_close();

			/* a length over the limit, refused before opening */
			link_open(s, px, "api.lab.test", 0);
			hdr[0] = TLS_CT_APP;
			hdr[1] = 3;
			hdr[2] = 3;
			hdr[3] = (TLS13_MAX_CIPHER + 1) >> 8;
			hdr[4] = (TLS13_MAX_CIPHER + 1) & 0xff;
			L.last_input = mg_tls_conn_input(L.c, hdr, TLS_HDR);
			check_fails(MG_TLS_ERR_RECORD_OVERFLOW, "long record");
			link_close();

			/* a corrupted tag: refused and counted; the
			 * record before it in the same input is read */
			link_open(s, px, "api.lab.test", 0);
			SSL_write(L.peer, "first", 5);
			SSL_write(L.peer, "second", 6);
			{
				static uint8_t w[512];
				int n = BIO_read(SSL_get_wbio(L.peer), w,
						 sizeof(w));

				w[n - 1] ^= 1;
				L.last_input = mg_tls_conn_input(L.c, w,
							(uint32_t)n);
				MG_CHECK_EQ(mg_tls_conn_read(L.c, got,
							     sizeof(got)), 5);
			}
			check_fails(MG_TLS_ERR_BAD_RECORD_MAC, "bad tag");
			check_peer_alert(SSL_AD_BAD_RECORD_MAC);
			mg_tls_server_stats(s, &st);
			MG_CHECK_EQ(st.errors[MG_TLS_ERR_BAD_RECORD_MAC], v + 1);
			link_close();

			/* TLS 1.3: no content type at all */
			if (v13) {
				link_open(s, px, "api.lab.test", 0);
				memset(big, 0, 10);
				inject(0, big, 10);
				check_fails(MG_TLS_ERR_UNEXPECTED_MESSAGE,
					    "zeros");
				link_close();
			}
			/* empty records: a few are fine, a flood is not */
			link_open(s, px, "api.lab.test", 0);
			for (int i = 0; i < TLS_MAX_EMPTY; i++)
				inject(TLS_CT_APP, big, 0);
			MG_CHECK_EQ(mg_tls_conn_state(L.c), MG_TLS_ESTABLISHED);
			inject(TLS_CT_APP, big, 0);
			check_fails(MG_TLS_ERR_BAD_RECORD, "empty flood");
			link_close();
			/* the peer's fatal alert, opened here and read by
			 * OpenSSL; a warning one is not fatal (TLS 1.2) */
			link_open(s, px, "api.lab.test", 0);
			if (!v13) {
				inject(TLS_CT_ALERT, (const uint8_t *)"\x01\x5a",
				       2);
				MG_CHECK_EQ(mg_tls_conn_state(L.c),
					    MG_TLS_ESTABLISHED);
			}
			inject(TLS_CT_ALERT, (const uint8_t *)"\x02\x28", 2);
			check_fails(MG_TLS_ERR_ALERT_RECEIVED, "alert");
			MG_CHECK(strstr(mg_tls_conn_error_detail(L.c),
					"handshake failure") != NULL);
			link_close();
			/* a record type not allowed after the handshake */
			link_open(s, px, "api.lab.test", 0);
			inject(TLS_CT_CCS, big, 1);
			check_fails(MG_TLS_ERR_UNEXPECTED_MESSAGE, "ccs");
			link_close();
			SSL_CTX_free(px);
		}
		mg_tls_server_free(s);
	}
}

static bool
peer_cert_is(const char *file)
{
	BIO *b = BIO_new_file(P(file), "r");
	X509 *want = PEM_read_bio_X509(b, NULL, NULL, NULL);
	X509 *have = SSL_get0_peer_certificate(L.peer);
	bool same = want && have && X509_cmp(want, have) == 0;

	X509_free(want);
	BIO_free(b);
	return same;
}

static void
test_sni(void)
{
	static const struct {
		const char *sni;
		const char *cert;	/* NULL: refused */
	} cases[] = {
		{ "api.lab.test", "api-ecdsa.crt" },
		{ "API.Lab.Test", "api-ecdsa.crt" },
		{ "www.lab.test", "wildcard-ecdsa.crt" },
		{ "x.lab.test", "wildcard-ecdsa.crt" },
		{ "a.b.lab.test", NULL },	/* one label only */
		{ "lab.test", NULL },
		{ "example.com", NULL },
		{ NULL, NULL },
	};
	SSL_CTX *px = lab_peer(0, 0);

	for (int def = -1; def <= 0; def++) {
		struct mg_tls_server_params sp;
		struct mg_tls_server *s;
		struct mg_tls_stats st;
		unsigned refused = 0, defaulted = 0, nosni = 0;

		server_params(&sp, MG_TLS_RECORD_IPSEC_MB);
		sp.default_cert = def;
		s = server_new(&sp);
		for (unsigned i = 0; s && i < sizeof(cases) / sizeof(cases[0]);
		     i++) {
			const char *want = cases[i].cert;

			if (want == NULL && def == 0) {
				want = "api-ecdsa.crt";
				defaulted++;
			}
			link_open(s, px, cases[i].sni, 0);
			if (want != NULL) {
				MG_CHECK(link_up());
				MG_CHECK(peer_cert_is(want));
				if (cases[i].sni)
					MG_CHECK(strcasecmp(mg_tls_conn_sni(L.c),
							    cases[i].sni) == 0);
			} else {
				MG_CHECK_EQ(mg_tls_conn_state(L.c),
					    MG_TLS_FAILED);
				MG_CHECK_EQ(mg_tls_conn_error(L.c),
					    cases[i].sni ? MG_TLS_ERR_UNKNOWN_SNI :
							   MG_TLS_ERR_NO_SNI);
				if (cases[i].sni) {
					refused++;
					MG_CHECK_EQ(peer_alert_in,
						    SSL_AD_UNRECOGNIZED_NAME);
				} else {
					nosni++;
					MG_CHECK_EQ(peer_alert_in,
						    SSL_AD_HANDSHAKE_FAILURE);
				}
			}
			link_close();
		}
		mg_tls_server_stats(s, &st);
		MG_CHECK_EQ(st.errors[MG_TLS_ERR_UNKNOWN_SNI], refused);
		MG_CHECK_EQ(st.errors[MG_TLS_ERR_NO_SNI], nosni);
		MG_CHECK_EQ(st.sni_default, defaulted);
		mg_tls_server_free(s);
	}
	SSL_CTX_free(px);
}

/* ECDSA or RSA for the same name, by what the client offers. */
static void
test_key_type(void)
{
	static const struct {
		uint16_t version;
		const char *sigalgs, *ciphers;
		int type;
	} cases[] = {
		{ TLS1_3_VERSION, "ECDSA+SHA256", NULL, EVP_PKEY_EC },
		{ TLS1_3_VERSION, "rsa_pss_rsae_sha256", NULL, EVP_PKEY_RSA },
		{ TLS1_3_VERSION, NULL, NULL, EVP_PKEY_EC },
		{ TLS1_2_VERSION, NULL, "ECDHE-RSA-AES128-GCM-SHA256",
		  EVP_PKEY_RSA },
		{ TLS1_2_VERSION, NULL, "ECDHE-ECDSA-AES256-GCM-SHA384",
		  EVP_PKEY_EC },
		{ TLS1_2_VERSION, "RSA+SHA256", NULL, EVP_PKEY_RSA },
	};
	struct mg_tls_server *s = lab_server(MG_TLS_RECORD_IPSEC_MB);

	for (unsigned i = 0; s && i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct peer_opts po = { .min_version = cases[i].version,
			.max_version = cases[i].version,
			.sigalgs = cases[i].sigalgs, .ciphers = cases[i].ciphers,
			.ca_file = P("ca.crt") };
		SSL_CTX *px = peer_ctx(&po);

		for (unsigned sni = 0; sni < 2; sni++) {
			link_open(s, px, sni ? "www.lab.test" : "api.lab.test",
				  0);
			MG_CHECK(link_up());
			if (link_up()) {
				EVP_PKEY *k = X509_get0_pubkey(
					SSL_get0_peer_certificate(L.peer));

				MG_CHECK_EQ(EVP_PKEY_get_base_id(k),
					    cases[i].type);
				exchange(1000);
			}
			link_close();
		}
		SSL_CTX_free(px);
	}
	mg_tls_server_free(s);
}

/*
 * Every connection starts with the default name's certificates (the
 * SSL_CTX holds them); another name must replace them all. Here the
 * default name has ECDSA and RSA, the wildcard ECDSA only: a client that
 * takes RSA alone gets the RSA certificate of api.lab.test and nothing
 * from www.lab.test, rather than api's RSA certificate left over.
 */
static void
test_name_swap(void)
{
	struct mg_tls_server_params sp;
	struct mg_tls_server *s;
	struct peer_opts po = { .min_version = TLS1_3_VERSION,
		.max_version = TLS1_3_VERSION, .sigalgs = "rsa_pss_rsae_sha256",
		.ca_file = P("ca.crt") };
	SSL_CTX *px = peer_ctx(&po);

	server_params(&sp, MG_TLS_RECORD_IPSEC_MB);
	sp.n_certs = 3;		/* api ECDSA and RSA, wildcard ECDSA */
	sp.default_cert = 0;
	s = server_new(&sp);
	for (unsigned round = 0; s && round < 2; round++) {
		link_open(s, px, "api.lab.test", 0);
		MG_CHECK(link_up());
		MG_CHECK(peer_cert_is("api-rsa.crt"));
		link_close();
		link_open(s, px, "www.lab.test", 0);
		MG_CHECK_EQ(mg_tls_conn_state(L.c), MG_TLS_FAILED);
		MG_CHECK(SSL_get0_peer_certificate(L.peer) == NULL);
		link_close();
	}
	mg_tls_server_free(s);
	SSL_CTX_free(px);
}

static void
test_client_auth(void)
{
	static const struct {
		enum mg_tls_client_auth auth;
		const char *cert;	/* NULL: none sent */
		int depth;
		bool crl;
		enum mg_tls_error err;
	} cases[] = {
		{ MG_TLS_CLIENT_AUTH_REQUIRED, "client", 0, true, MG_TLS_OK },
		{ MG_TLS_CLIENT_AUTH_REQUIRED, NULL, 0, true,
		  MG_TLS_ERR_PEER_CERT_MISSING },
		{ MG_TLS_CLIENT_AUTH_OPTIONAL, NULL, 0, true, MG_TLS_OK },
		{ MG_TLS_CLIENT_AUTH_OPTIONAL, "client", 0, true, MG_TLS_OK },
		{ MG_TLS_CLIENT_AUTH_REQUIRED, "client-expired", 0, true,
		  MG_TLS_ERR_CERT_EXPIRED },
		{ MG_TLS_CLIENT_AUTH_OPTIONAL, "client-expired", 0, true,
		  MG_TLS_ERR_CERT_EXPIRED },
		{ MG_TLS_CLIENT_AUTH_REQUIRED, "client-untrusted", 0, true,
		  MG_TLS_ERR_CERT_UNTRUSTED },
		{ MG_TLS_CLIENT_AUTH_REQUIRED, "client-revoked", 0, true,
		  MG_TLS_ERR_CERT_REVOKED },
		{ MG_TLS_CLIENT_AUTH_REQUIRED, "client-revoked", 0, false,
		  MG_TLS_OK },
		{ MG_TLS_CLIENT_AUTH_REQUIRED, "client-chain", 0, false,
		  MG_TLS_OK },
		{ MG_TLS_CLIENT_AUTH_REQUIRED, "client-chain",
		  MG_TLS_DEPTH_DIRECT, false, MG_TLS_ERR_CERT_VERIFY_FAILED },
	};

	for (unsigned v = 0; v < 2; v++) {
		for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct mg_tls_server_params sp;
			struct mg_tls_server *s;
			struct mg_tls_stats st;
			char crt[64], key[64], xfcc[1024];
			struct peer_opts po = { .min_version = versions[v],
				.max_version = versions[v],
				.ca_file = P("ca.crt") };
			SSL_CTX *px;

			if (cases[i].cert) {
				snprintf(crt, sizeof(crt), "%s.crt",
					 cases[i].cert);
				snprintf(key, sizeof(key), "%s.key",
					 cases[i].cert);
				po.cert = P(crt);
				po.key = P(key);
			}
			px = peer_ctx(&po);
			server_params(&sp, MG_TLS_RECORD_IPSEC_MB);
			sp.client_auth = cases[i].auth;
			sp.client_ca_file = P("client-ca.crt");
			sp.crl_file = cases[i].crl ? P("client-ca.crl") : NULL;
			sp.verify_depth = cases[i].depth;
			s = server_new(&sp);
			if (s == NULL)
				continue;
			link_open(s, px, "api.lab.test", 0);
			mg_tls_server_stats(s, &st);
			if (cases[i].err == MG_TLS_OK) {
				MG_CHECK(link_up());
				MG_CHECK_EQ(mg_tls_conn_peer_verified(L.c),
					    cases[i].cert != NULL);
				MG_CHECK_EQ(st.peer_certs, cases[i].cert != NULL);
				MG_CHECK_EQ(mg_tls_conn_xfcc(L.c, xfcc,
							     sizeof(xfcc)) > 0,
					    cases[i].cert != NULL);
				if (link_up())
					exchange(100);
			} else {
				MG_CHECK_EQ(mg_tls_conn_state(L.c),
					    MG_TLS_FAILED);
				MG_CHECK_EQ(mg_tls_conn_error(L.c),
					    cases[i].err);
				MG_CHECK_EQ(st.errors[cases[i].err], 1);
				if (mg_tls_conn_error(L.c) != cases[i].err)
					explain(cases[i].cert ? cases[i].cert :
						"no cert");
				MG_CHECK(!SSL_is_init_finished(L.peer) ||
					 peer_read(L.peer, xfcc, 1) < 0);
				MG_CHECK(mg_tls_conn_xfcc(L.c, xfcc,
						sizeof(xfcc)) == -ENOENT);
			}
			link_close();
			SSL_CTX_free(px);
			mg_tls_server_free(s);
		}
	}
}

/* The client identity as Envoy's x-forwarded-client-cert. */
static void
test_xfcc(void)
{
	struct mg_tls_server_params sp;
	struct peer_opts po = { .ca_file = P("ca.crt"), .cert = P("client.crt"),
				.key = P("client.key") };
	SSL_CTX *px = peer_ctx(&po);
	struct mg_tls_server *s;
	char xfcc[1024], want[1024], hex[65], buf[128];
	uint8_t md[32], fp[32];
	unsigned mdlen;
	BIO *b = BIO_new_file(P("client.crt"), "r");
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);

	BIO_free(b);
	X509_digest(x, EVP_sha256(), md, &mdlen);
	X509_free(x);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	snprintf(want, sizeof(want), "Hash=%s;Subject=\"CN=client-1,"
		 "O=meshgate lab\";URI=spiffe://lab.test/client/1;"
		 "DNS=client-1.lab.test", hex);

	server_params(&sp, MG_TLS_RECORD_IPSEC_MB);
	sp.client_auth = MG_TLS_CLIENT_AUTH_OPTIONAL;
	sp.client_ca_file = P("client-ca.crt");
	s = server_new(&sp);
	link_open(s, px, "api.lab.test", 0);
	MG_CHECK(link_up());
	MG_CHECK_EQ(mg_tls_conn_xfcc(L.c, xfcc, sizeof(xfcc)),
		    (int)strlen(want));
	MG_CHECK(strcmp(xfcc, want) == 0);
	if (strcmp(xfcc, want) != 0)
		fprintf(stderr, "  xfcc %s\n  want %s\n", xfcc, want);
	MG_CHECK_EQ(mg_tls_conn_xfcc(L.c, xfcc, 20), -ENOSPC);
	MG_CHECK_EQ(mg_tls_conn_peer_fingerprint(L.c, fp), 0);
	MG_CHECK(memcmp(fp, md, 32) == 0);
	MG_CHECK(mg_tls_conn_peer_subject(L.c, buf, sizeof(buf)) > 0);
	MG_CHECK(strcmp(buf, "CN=client-1,O=meshgate lab") == 0);
	MG_CHECK(mg_tls_conn_peer_san(L.c, MG_TLS_SAN_URI, 0, buf,
				      sizeof(buf)) > 0);
	MG_CHECK(strcmp(buf, "spiffe://lab.test/client/1") == 0);
	MG_CHECK_EQ(mg_tls_conn_peer_san(L.c, MG_TLS_SAN_URI, 1, buf,
					 sizeof(buf)), -ENOENT);
	MG_CHECK_EQ(mg_tls_conn_peer_san(L.c, MG_TLS_SAN_IP, 0, buf,
					 sizeof(buf)), -ENOENT);
	link_close();
	SSL_CTX_free(px);
	mg_tls_server_free(s);
}

static void
test_alpn(void)
{
	static const struct {
		const char *offer;	/* wire format */
		const char *want;	/* NULL: refused; "": none */
	} cases[] = {
		{ "\x08http/1.1", "http/1.1" },
		{ "\x02h2\x08http/1.1", "http/1.1" },
		{ "\x02h2", NULL },
		{ NULL, "" },
	};
	struct mg_tls_server_params sp;
	struct mg_tls_server *s;
	char err[256];

	server_params(&sp, MG_TLS_RECORD_IPSEC_MB);
	s = server_new(&sp);
	for (unsigned i = 0; s && i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct peer_opts po = { .ca_file = P("ca.crt"),
					.alpn = cases[i].offer };
		SSL_CTX *px = peer_ctx(&po);
		const char *a;
		uint32_t n;

		link_open(s, px, "api.lab.test", 0);
		if (cases[i].want == NULL) {
			MG_CHECK_EQ(mg_tls_conn_error(L.c),
				    MG_TLS_ERR_NO_APPLICATION_PROTOCOL);
		} else {
			MG_CHECK(link_up());
			a = mg_tls_conn_alpn(L.c, &n);
			MG_CHECK_EQ(n, strlen(cases[i].want));
			MG_CHECK(n == 0 || memcmp(a, cases[i].want, n) == 0);
		}
		link_close();
		SSL_CTX_free(px);
	}
	mg_tls_server_free(s);
	/* h2 is refused in the configuration */
	server_params(&sp, MG_TLS_RECORD_IPSEC_MB);
	sp.alpn = "h2,http/1.1";
	err[0] = '\0';
	MG_CHECK(mg_tls_server_create(lc, &sp, err, sizeof(err)) == NULL);
	MG_CHECK(strstr(err, "HTTP/2") != NULL);
}

static void
test_ocsp(void)
{
	struct mg_tls_server_params sp;
	struct mg_tls_server *s;
	static uint8_t file[8192];
	FILE *f = fopen(P("api-ecdsa.ocsp.der"), "rb");
	size_t flen = fread(file, 1, sizeof(file), f);

	fclose(f);
	server_params(&sp, MG_TLS_RECORD_IPSEC_MB);
	s = server_new(&sp);
	for (unsigned rsa = 0; s && rsa < 2; rsa++) {
		struct peer_opts po = { .ca_file = P("ca.crt"),
			.sigalgs = rsa ? "rsa_pss_rsae_sha256" : NULL };
		SSL_CTX *px = peer_ctx(&po);
		const unsigned char *resp;
		long n;

		memset(&L, 0, sizeof(L));
		L.c = mg_tls_conn_accept(s, 0);
		L.peer = peer_ssl(px, "api.lab.test");
		SSL_set_tlsext_status_type(L.peer, TLSEXT_STATUSTYPE_ocsp);
		pump(&L);
		MG_CHECK(link_up());
		n = SSL_get_tlsext_status_ocsp_resp(L.peer, &resp);
		if (rsa) {
			MG_CHECK(n <= 0);
		} else {
			MG_CHECK_EQ(n, (long)flen);
			MG_CHECK(n > 0 && memcmp(resp, file, flen) == 0);
		}
		link_close();
		SSL_CTX_free(px);
	}
	mg_tls_server_free(s);
}

/* A TLS 1.2 client asking to renegotiate is refused (and counted), on
 * every record path. */
static void
test_renegotiation(void)
{
	SSL_CTX *px = lab_peer(0, TLS1_2_VERSION);

	for (unsigned p = 0; p < 3; p++) {
		struct mg_tls_server *s = lab_server(paths[p]);
		struct mg_tls_stats st;

		link_open(s, px, "api.lab.test", 0);
		MG_CHECK(link_up());
		MG_CHECK(SSL_renegotiate(L.peer) == 1);
		SSL_do_handshake(L.peer);
		pump(&L);
		{
			char buf[8];

			/* the client gives up its renegotiation */
			peer_read(L.peer, buf, sizeof(buf));
			pump(&L);
		}
		mg_tls_server_stats(s, &st);
		MG_CHECK_EQ(st.errors[MG_TLS_ERR_RENEGOTIATION_REFUSED], 1);
		MG_CHECK_EQ(st.handshakes, 1);
		MG_CHECK(SSL_renegotiate_pending(L.peer) ||
			 SSL_get_error(L.peer, -1) == SSL_ERROR_SSL ||
			 mg_tls_conn_state(L.c) == MG_TLS_FAILED);
		link_close();
		mg_tls_server_free(s);
	}
	SSL_CTX_free(px);
}

/* TLS 1.3 KeyUpdate either way, re-keying both sides of this layer. */
static void
test_key_update(void)
{
	SSL_CTX *px = lab_peer(TLS1_3_VERSION, 0);

	for (unsigned p = 0; p < 3; p++) {
		struct mg_tls_server *s = lab_server(paths[p]);
		struct mg_tls_stats st;

		link_open(s, px, "api.lab.test", 0);
		MG_CHECK(link_up());
		for (int round = 0; round < 3; round++) {
			/* the peer updates and asks us to */
			MG_CHECK(SSL_key_update(L.peer,
					SSL_KEY_UPDATE_REQUESTED) == 1);
			exchange(20000);
			/* we update, asking the peer or not */
			MG_CHECK_EQ(mg_tls_conn_key_update(L.c, round & 1), 0);
			exchange(20000);
		}
		/* 3 from the peer, 1 answer to ours; 3 of ours. Answers to
		 * the peer's: sent at once by this record layer, merged with
		 * ours by OpenSSL's (it answers with its next write) */
		mg_tls_server_stats(s, &st);
		MG_CHECK_EQ(st.key_updates_in, 3 + 1);
		MG_CHECK_EQ(st.key_updates_out,
			    3 + (paths[p] == MG_TLS_RECORD_OPENSSL ? 0 : 3));
		MG_CHECK_EQ(mg_tls_conn_state(L.c), MG_TLS_ESTABLISHED);
		link_close();
		mg_tls_server_free(s);
	}
	SSL_CTX_free(px);
}

static void
test_close(void)
{
	for (unsigned p = 0; p < 3; p++) {
		struct mg_tls_server *s = lab_server(paths[p]);

		for (unsigned v = 0; s && v < 2; v++) {
			SSL_CTX *px = lab_peer(versions[v], versions[v]);
			char buf[8];

			/* the peer closes first */
			link_open(s, px, "api.lab.test", 0);
			SSL_write(L.peer, "bye", 3);
			SSL_shutdown(L.peer);
			pump(&L);
			MG_CHECK_EQ(mg_tls_conn_state(L.c), MG_TLS_PEER_CLOSED);
			MG_CHECK_EQ(mg_tls_conn_read(L.c, buf, sizeof(buf)), 3);
			MG_CHECK_EQ(mg_tls_conn_shutdown(L.c), 0);
			MG_CHECK_EQ(mg_tls_conn_write(L.c, "x", 1), -EPIPE);
			link_to_peer(&L);
			MG_CHECK_EQ(SSL_read(L.peer, buf, sizeof(buf)), 0);
			MG_CHECK_EQ(SSL_get_error(L.peer, 0),
				    SSL_ERROR_ZERO_RETURN);
			link_close();
			/* we close first */
			link_open(s, px, "api.lab.test", 0);
			MG_CHECK_EQ(mg_tls_conn_write(L.c, "end", 3), 3);
			MG_CHECK_EQ(mg_tls_conn_shutdown(L.c), 0);
			link_to_peer(&L);
			MG_CHECK_EQ(peer_read(L.peer, buf, sizeof(buf)), 3);
			MG_CHECK_EQ(SSL_get_error(L.peer, 0),
				    SSL_ERROR_ZERO_RETURN);
			link_close();
			SSL_CTX_free(px);
		}
		mg_tls_server_free(s);
	}
}

static void
test_deadline(void)
{
	struct mg_tls_server_params sp;
	struct mg_tls_server *s;
	struct mg_tls_stats st;
	struct mg_tls_conn *c;
	SSL_CTX *px = lab_peer(0, 0);

	server_params(&sp, MG_TLS_RECORD_IPSEC_MB);
	sp.handshake_timeout_ms = 5;
	s = server_new(&sp);
	c = mg_tls_conn_accept(s, 1000);
	MG_CHECK_EQ(mg_tls_conn_deadline(c), 6000);
	MG_CHECK_EQ(mg_tls_conn_check_deadline(c, 5999), 0);
	MG_CHECK_EQ(mg_tls_conn_check_deadline(c, 6000), -ETIMEDOUT);
	MG_CHECK_EQ(mg_tls_conn_error(c), MG_TLS_ERR_HANDSHAKE_TIMEOUT);
	MG_CHECK_EQ(mg_tls_conn_input(c, "x", 1), -EPROTO);
	mg_tls_conn_free(c);
	/* done in time: no deadline any more */
	link_open(s, px, "api.lab.test", 0);
	MG_CHECK(link_up());
	MG_CHECK_EQ(mg_tls_conn_deadline(L.c), 0);
	MG_CHECK_EQ(mg_tls_conn_check_deadline(L.c, UINT64_MAX), 0);
	link_close();
	mg_tls_server_stats(s, &st);
	MG_CHECK_EQ(st.errors[MG_TLS_ERR_HANDSHAKE_TIMEOUT], 1);
	SSL_CTX_free(px);
	mg_tls_server_free(s);
}

/* What clients get wrong, and suites that stay on OpenSSL. */
static void
test_bad_clients(void)
{
	static const struct {
		struct peer_opts po;
		enum mg_tls_error err;	/* OK: connects */
		enum mg_tls_record_path path;
	} cases[] = {
		{ { .min_version = TLS1_VERSION, .max_version = TLS1_1_VERSION,
		    .ciphers = "DEFAULT@SECLEVEL=0" },
		  MG_TLS_ERR_UNSUPPORTED_VERSION, 0 },
		{ { .max_version = TLS1_2_VERSION, .ciphers = "AES128-SHA" },
		  MG_TLS_ERR_NO_SHARED_CIPHER, 0 },
		{ { .max_version = TLS1_2_VERSION,
		    .ciphers = "ECDHE-ECDSA-CHACHA20-POLY1305" },
		  MG_TLS_OK, MG_TLS_RECORD_OPENSSL },
		{ { .min_version = TLS1_3_VERSION,
		    .ciphersuites = "TLS_CHACHA20_POLY1305_SHA256" },
		  MG_TLS_OK, MG_TLS_RECORD_OPENSSL },
		{ { .min_version = TLS1_3_VERSION,
		    .ciphersuites = "TLS_AES_256_GCM_SHA384" },
		  MG_TLS_OK, MG_TLS_RECORD_IPSEC_MB },
		{ { .min_version = TLS1_3_VERSION, .groups = "P-521" },
		  MG_TLS_ERR_NO_SHARED_CIPHER, 0 },
		/* a key share we do not take: HelloRetryRequest first */
		{ { .min_version = TLS1_3_VERSION, .groups = "X448:P-256" },
		  MG_TLS_OK, MG_TLS_RECORD_IPSEC_MB },
	};
	static const struct {
		const char *bytes;
		uint32_t len;
		bool waits;	/* a valid start: more is needed */
	} garbage[] = {
		{ "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 27, false },
		{ "\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00", 10, false },
		{ "\x16\x03\x01\x00\x05\x01\x00", 7, true },
		{ "\x16\x03\x01\xff\xff", 5, false },
		{ "\x17\x03\x03\x00\x10", 5, true },
		{ "\x17\x03\x03\x00\x01\x00", 6, false },
	};
	struct mg_tls_server *s = lab_server(MG_TLS_RECORD_IPSEC_MB);
	struct mg_tls_stats st;

	for (unsigned i = 0; s && i < sizeof(cases) / sizeof(cases[0]); i++) {
		SSL_CTX *px = peer_ctx(&cases[i].po);

		if (cases[i].po.max_version == TLS1_1_VERSION)
			SSL_CTX_set_security_level(px, 0);
		link_open(s, px, "api.lab.test", 0);
		if (cases[i].err == MG_TLS_OK) {
			MG_CHECK(link_up());
			MG_CHECK_EQ(mg_tls_conn_record_path(L.c), cases[i].path);
			if (link_up())
				exchange(50000);
		} else {
			MG_CHECK_EQ(mg_tls_conn_error(L.c), cases[i].err);
			if (mg_tls_conn_error(L.c) != cases[i].err)
				explain("bad client");
		}
		link_close();
		SSL_CTX_free(px);
	}
	for (unsigned i = 0; s && i < sizeof(garbage) / sizeof(garbage[0]);
	     i++) {
		struct mg_tls_conn *c = mg_tls_conn_accept(s, 0);
		int r = mg_tls_conn_input(c, garbage[i].bytes, garbage[i].len);

		if (garbage[i].waits) {
			MG_CHECK_EQ(r, (int)garbage[i].len);
			MG_CHECK_EQ(mg_tls_conn_state(c), MG_TLS_HANDSHAKE);
		} else {
			MG_CHECK_EQ(r, -EPROTO);
			MG_CHECK_EQ(mg_tls_conn_state(c), MG_TLS_FAILED);
			/* an alert to send (not to plain HTTP) */
			MG_CHECK_EQ(mg_tls_conn_pending(c) > 0, i > 0);
		}
		mg_tls_conn_free(c);
	}
	mg_tls_server_stats(s, &st);
	MG_CHECK_EQ(st.errors[MG_TLS_ERR_BAD_RECORD], 1);	/* HTTP */
	MG_CHECK_EQ(st.errors[MG_TLS_ERR_RECORD_OVERFLOW], 1);
	MG_CHECK_EQ(st.errors[MG_TLS_ERR_UNEXPECTED_MESSAGE], 1);
	mg_tls_server_free(s);
}

/* Small records and small buffers: writes and input stop at the room
 * there is and go on once it is made. */
static void
test_small(void)
{
	for (unsigned p = 0; p < 3; p++) {
		struct mg_tls_server_params sp;
		struct mg_tls_server *s;

		server_params(&sp, paths[p]);
		sp.record_size = 512;
		sp.plain_buf = TLS_MAX_PLAIN + 256;
		sp.cipher_buf = TLS_HDR + TLS13_MAX_CIPHER + TLS_CTRL_RESERVE;
		s = server_new(&sp);
		for (unsigned v = 0; s && v < 2; v++) {
			SSL_CTX *px = lab_peer(versions[v], versions[v]);

			link_open(s, px, "api.lab.test", 333);
			MG_CHECK(link_up());
			if (link_up()) {
				uint8_t big[70000];

				MG_CHECK(mg_tls_conn_write(L.c, big,
						sizeof(big)) < (int)sizeof(big));
				MG_CHECK(mg_tls_conn_write_space(L.c) <
					 sp.cipher_buf);
				link_to_peer(&L);
				while (peer_read(L.peer, big, sizeof(big)) > 0)
					;
				exchange(100000);
			}
			link_close();
			SSL_CTX_free(px);
		}
		mg_tls_server_free(s);
	}
}

/* Ciphertext in mbuf chains, records split across segments. */
static void
test_mbuf(void)
{
	struct rte_mempool *mp = rte_pktmbuf_pool_create("tls_test", 63, 0, 0,
						2048 + RTE_PKTMBUF_HEADROOM, 0);
	struct mg_tls_server_params sp;
	struct mg_tls_server *s;
	SSL_CTX *px = lab_peer(0, 0);
	static uint8_t wire[40000], msg[30000], got[30000];
	struct rte_mbuf *head = NULL, *tail = NULL;
	uint32_t n, off = 0, have = 0;

	MG_CHECK(mp != NULL);
	if (mp == NULL)
		return;
	server_params(&sp, MG_TLS_RECORD_IPSEC_MB);
	s = server_new(&sp);
	link_open(s, px, "api.lab.test", 0);
	MG_CHECK(link_up());
	fill_random(msg, sizeof(msg));
	SSL_write(L.peer, msg, sizeof(msg));
	n = (uint32_t)BIO_read(SSL_get_wbio(L.peer), wire, sizeof(wire));
	while (off < n) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		uint32_t k = n - off < 1000 ? n - off : 1000;

		memcpy(rte_pktmbuf_append(m, (uint16_t)k), wire + off, k);
		off += k;
		if (head == NULL)
			head = m;
		else
			rte_pktmbuf_chain(head, m);
		tail = m;
	}
	(void)tail;
	off = 0;
	while (off < n) {
		int r = mg_tls_conn_input_mbuf(L.c, head, off);

		MG_CHECK(r > 0);
		if (r <= 0)
			break;
		off += (uint32_t)r;
		have += mg_tls_conn_read(L.c, got + have, sizeof(got) - have);
	}
	have += mg_tls_conn_read(L.c, got + have, sizeof(got) - have);
	MG_CHECK_EQ(have, sizeof(msg));
	MG_CHECK(memcmp(got, msg, sizeof(msg)) == 0);
	rte_pktmbuf_free(head);
	link_close();
	SSL_CTX_free(px);
	mg_tls_server_free(s);
	rte_mempool_free(mp);
}

/* A context freed while a connection lives: the connection goes on. */
static void
test_reload(void)
{
	struct mg_tls_server_params sp;
	struct mg_tls_server *s;
	SSL_CTX *px = lab_peer(0, 0);
	char err[256];

	server_params(&sp, MG_TLS_RECORD_IPSEC_MB);
	s = server_new(&sp);
	link_open(s, px, "api.lab.test", 0);
	mg_tls_server_free(s);
	MG_CHECK(link_up());
	exchange(30000);
	link_close();
	SSL_CTX_free(px);

	/* configuration errors name the file */
	server_params(&sp, MG_TLS_RECORD_IPSEC_MB);
	certs[1].key_file = certs[0].key_file;
	MG_CHECK(mg_tls_server_create(lc, &sp, err, sizeof(err)) == NULL);
	MG_CHECK(strstr(err, "api-rsa.crt") != NULL);
	server_params(&sp, MG_TLS_RECORD_IPSEC_MB);
	certs[2].cert_file = certs[0].cert_file;
	certs[2].key_file = certs[0].key_file;
	MG_CHECK(mg_tls_server_create(lc, &sp, err, sizeof(err)) == NULL);
	MG_CHECK(strstr(err, "same key type") != NULL);
	server_params(&sp, MG_TLS_RECORD_IPSEC_MB);
	sp.client_auth = MG_TLS_CLIENT_AUTH_REQUIRED;
	MG_CHECK(mg_tls_server_create(lc, &sp, err, sizeof(err)) == NULL);
	MG_CHECK(strstr(err, "client_ca_file") != NULL);
}

int
main(int argc, char **argv)
{
	struct mg_tls_lcore_params lp = { 0 };

	if (argc < 2 || pki_make(argv[1]) != 0) {
		fprintf(stderr, "usage: %s path/to/pki.sh\n", argv[0]);
		return 1;
	}
	if (mg_test_eal_init(argv[0]) < 0)
		return 1;
	lc = mg_tls_lcore_create(&lp, NULL, 0);
	MG_CHECK(lc != NULL);
	if (lc == NULL)
		return 1;
	printf("IPsec-MB %s, %s\n", imb_get_version_str(),
	       mg_tls_lcore_imb_arch(lc));
	test_basic();
	test_same_bytes();
	test_limits();
	test_sni();
	test_key_type();
	test_name_swap();
	test_client_auth();
	test_xfcc();
	test_alpn();
	test_ocsp();
	test_renegotiation();
	test_key_update();
	test_close();
	test_deadline();
	test_bad_clients();
	test_small();
	test_mbuf();
	test_reload();
	mg_tls_lcore_free(lc);
	return mg_test_done("test_tls_server");
}
