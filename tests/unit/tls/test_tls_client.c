/* SPDX-License-Identifier: Apache-2.0 */
/* The client side (re-encryption to the mesh) against OpenSSL's own
 * server, which requires the mesh client certificate. */
#include <errno.h>

#include <openssl/x509v3.h>

#include "tls_test.h"

static struct mg_tls_lcore *lc;
static struct link L;

static const enum mg_tls_record_path paths[] = {
	MG_TLS_RECORD_IPSEC_MB, MG_TLS_RECORD_EVP, MG_TLS_RECORD_OPENSSL,
};
static const uint16_t versions[] = { TLS1_2_VERSION, TLS1_3_VERSION };

/* endpoint-N's server, asking for a client certificate from the mesh CA */
static SSL_CTX *
endpoint_ctx(unsigned n, uint16_t version, bool require)
{
	char crt[32], key[32];
	struct peer_opts po = { .server = true, .min_version = version,
		.max_version = version, .ca_file = P("mesh-ca.crt") };
	SSL_CTX *x;

	snprintf(crt, sizeof(crt), "endpoint-%u.crt", n);
	snprintf(key, sizeof(key), "endpoint-%u.key", n);
	po.cert = P(crt);
	po.key = P(key);
	x = peer_ctx(&po);
	SSL_CTX_set_verify(x, SSL_VERIFY_PEER |
			   (require ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), NULL);
	SSL_CTX_set_session_id_context(x, (const uint8_t *)"ep", 2);
	return x;
}

static void
client_params(struct mg_tls_client_params *p, enum mg_tls_record_path path)
{
	static char crt[128], key[128], ca[128];

	snprintf(crt, sizeof(crt), "%s", P("meshgate.crt"));
	snprintf(key, sizeof(key), "%s", P("meshgate.key"));
	snprintf(ca, sizeof(ca), "%s", P("mesh-ca.crt"));
	*p = (struct mg_tls_client_params){
		.cert_file = crt, .key_file = key, .ca_file = ca,
		.sni = "endpoint-1.mesh.local",
		.expected_san = "spiffe://mesh.local/ns/lab/sa/endpoint-1",
		.record_path = path, .session_slots = 4,
	};
}

static struct mg_tls_client *
client_new(const struct mg_tls_client_params *p)
{
	char err[256] = "";

	return created(mg_tls_client_create(lc, p, err, sizeof(err)), "client",
		       err);
}

/* The mesh client on a record path (NULL after a failed check). */
static struct mg_tls_client *
client_on(enum mg_tls_record_path path)
{
	struct mg_tls_client_params cp;

	client_params(&cp, path);
	return client_new(&cp);
}

static void
link_open(struct mg_tls_client *cl, const struct mg_tls_connect_params *cp,
	  SSL_CTX *px, uint32_t chunk)
{
	memset(&L, 0, sizeof(L));
	L.c = mg_tls_conn_connect(cl, cp, 0);
	L.peer = peer_ssl(px, NULL);
	L.chunk = chunk;
	MG_CHECK(L.c != NULL);
	MG_CHECK(mg_tls_conn_pending(L.c) > 0);	/* the ClientHello */
	pump(&L);
}

/* The endpoint sees the appliance's SPIFFE ID. */
static bool
peer_saw_meshgate(void)
{
	X509 *x = SSL_get0_peer_certificate(L.peer);

	return x != NULL && tls_san_match(x,
		"spiffe://mesh.local/ns/edge/sa/meshgate");
}

static void
test_basic(void)
{
	static const uint32_t chunks[] = { 0, 1, 500 };

	for (unsigned p = 0; p < 3; p++) {
		struct mg_tls_client *cl = client_on(paths[p]);

		for (unsigned v = 0; cl && v < 2; v++) {
			SSL_CTX *px = endpoint_ctx(1, versions[v], true);

			for (unsigned k = 0; k < 3; k++) {
				link_open(cl, NULL, px, chunks[k]);
				MG_CHECK(link_established(&L));
				if (!link_established(&L)) {
					link_explain(&L, "client basic");
					link_free(&L);
					continue;
				}
				MG_CHECK(peer_saw_meshgate());
				MG_CHECK_EQ(mg_tls_conn_record_path(L.c),
					    paths[p]);
				MG_CHECK(mg_tls_conn_peer_verified(L.c));
				MG_CHECK(strcmp(mg_tls_conn_sni(L.c),
						"endpoint-1.mesh.local") == 0);
				link_exchange(&L, 150000);
				/* the endpoint speaks first this time */
				{
					char hello[8];

					SSL_write(L.peer, "hello", 5);
					pump(&L);
					MG_CHECK_EQ(mg_tls_conn_read(L.c, hello,
							sizeof(hello)), 5);
				}
				link_exchange(&L, 10);
				link_free(&L);
			}
			SSL_CTX_free(px);
		}
		mg_tls_client_free(cl);
	}
}

/* The endpoint's identity against what the cluster expects. */
static void
test_san(void)
{
	static const struct {
		unsigned endpoint;
		const char *san;	/* connect override, NULL: ctx's */
		bool ok;
	} cases[] = {
		{ 1, NULL, true },
		{ 2, NULL, false },
		{ 2, "spiffe://mesh.local/ns/lab/sa/endpoint-2", true },
		{ 2, "spiffe://mesh.local/ns/lab/sa/endpoint-1", false },
		{ 3, "endpoint-3.mesh.local", true },
		{ 3, "ENDPOINT-3.mesh.local", true },
		{ 3, "endpoint-2.mesh.local", false },
		{ 1, "10.20.0.11", true },
		{ 1, "fd00:20::11", true },
		{ 1, "10.20.0.12", false },
		{ 1, "spiffe://mesh.local/ns/lab/sa/endpoint-", false },
	};

	for (unsigned v = 0; v < 2; v++) {
		struct mg_tls_client_params cp;
		struct mg_tls_client *cl;
		struct mg_tls_stats st;
		unsigned bad = 0;

		client_params(&cp, MG_TLS_RECORD_IPSEC_MB);
		cl = client_new(&cp);
		for (unsigned i = 0; cl && i < sizeof(cases) / sizeof(cases[0]);
		     i++) {
			SSL_CTX *px = endpoint_ctx(cases[i].endpoint,
						   versions[v], true);
			struct mg_tls_connect_params cn = {
				.expected_san = cases[i].san, .session_slot = -1,
			};

			link_open(cl, &cn, px, 0);
			if (cases[i].ok) {
				MG_CHECK(link_established(&L));
				if (!link_established(&L))
					link_explain(&L, cases[i].san);
			} else {
				bad++;
				MG_CHECK_EQ(mg_tls_conn_state(L.c),
					    MG_TLS_FAILED);
				MG_CHECK_EQ(mg_tls_conn_error(L.c),
					    MG_TLS_ERR_SAN_MISMATCH);
				MG_CHECK(strstr(mg_tls_conn_error_detail(L.c),
						"not for") != NULL);
				/* the endpoint was told, no data went */
				MG_CHECK(peer_alert_in > 0);
				MG_CHECK(!SSL_is_init_finished(L.peer));
			}
			link_free(&L);
			SSL_CTX_free(px);
		}
		mg_tls_client_stats(cl, &st);
		MG_CHECK_EQ(st.errors[MG_TLS_ERR_SAN_MISMATCH], bad);
		mg_tls_client_free(cl);
	}
}

static void
test_refused(void)
{
	struct mg_tls_client_params cp;
	struct mg_tls_client *cl;
	SSL_CTX *px;
	char err[256];

	/* an endpoint the CA does not vouch for */
	client_params(&cp, MG_TLS_RECORD_IPSEC_MB);
	cp.ca_file = P("ca.crt");
	cl = client_new(&cp);
	px = endpoint_ctx(1, 0, true);
	link_open(cl, NULL, px, 0);
	MG_CHECK_EQ(mg_tls_conn_error(L.c), MG_TLS_ERR_CERT_UNTRUSTED);
	link_free(&L);
	mg_tls_client_free(cl);

	/* no client certificate for an endpoint that requires one */
	for (unsigned v = 0; v < 2; v++) {
		client_params(&cp, MG_TLS_RECORD_IPSEC_MB);
		cp.cert_file = cp.key_file = NULL;
		cl = client_new(&cp);
		SSL_CTX_free(px);
		px = endpoint_ctx(1, versions[v], true);
		link_open(cl, NULL, px, 0);
		pump(&L);
		MG_CHECK_EQ(mg_tls_conn_state(L.c), MG_TLS_FAILED);
		MG_CHECK_EQ(mg_tls_conn_error(L.c), MG_TLS_ERR_ALERT_RECEIVED);
		MG_CHECK(strstr(mg_tls_conn_error_detail(L.c), "alert") != NULL);
		link_free(&L);
		mg_tls_client_free(cl);
	}
	SSL_CTX_free(px);

	/* configuration */
	client_params(&cp, MG_TLS_RECORD_IPSEC_MB);
	cp.ca_file = NULL;
	MG_CHECK(mg_tls_client_create(lc, &cp, err, sizeof(err)) == NULL);
	MG_CHECK(strstr(err, "ca_file") != NULL);
	client_params(&cp, MG_TLS_RECORD_IPSEC_MB);
	cp.key_file = P("client.key");
	MG_CHECK(mg_tls_client_create(lc, &cp, err, sizeof(err)) == NULL);
}

/* Sessions kept per slot resume; TLS 1.3 tickets come after the
 * handshake, through this record layer and back to OpenSSL. */
static void
test_reuse(void)
{
	for (unsigned p = 0; p < 3; p++) {
		struct mg_tls_client *cl = client_on(paths[p]);

		for (unsigned v = 0; cl && v < 2; v++) {
			SSL_CTX *px = endpoint_ctx(1, versions[v], true);
			struct mg_tls_connect_params cn = { .session_slot = 1 };
			struct mg_tls_connect_params none = { .session_slot = -1 };
			struct mg_tls_stats st0, st1;

			mg_tls_client_stats(cl, &st0);
			for (int i = 0; i < 3; i++) {
				link_open(cl, &cn, px, 0);
				MG_CHECK(link_established(&L));
				/* the tickets of TLS 1.3 follow the
				 * handshake */
				link_exchange(&L, 1000);
				MG_CHECK_EQ(mg_tls_conn_resumed(L.c), i > 0);
				link_free(&L);
			}
			link_open(cl, &none, px, 0);
			MG_CHECK(link_established(&L));
			MG_CHECK(!mg_tls_conn_resumed(L.c));
			link_free(&L);
			mg_tls_client_stats(cl, &st1);
			MG_CHECK_EQ(st1.resumed - st0.resumed, 2);
			SSL_CTX_free(px);
		}
		mg_tls_client_free(cl);
	}
}

/* The endpoint re-keys and closes. */
static void
test_key_update_close(void)
{
	for (unsigned p = 0; p < 3; p++) {
		struct mg_tls_client_params cp;
		struct mg_tls_client *cl;
		SSL_CTX *px = endpoint_ctx(1, TLS1_3_VERSION, true);
		struct mg_tls_stats st;
		char buf[8];

		client_params(&cp, paths[p]);
		cl = client_new(&cp);
		link_open(cl, NULL, px, 0);
		MG_CHECK(link_established(&L));
		for (int i = 0; i < 2; i++) {
			SSL_key_update(L.peer, SSL_KEY_UPDATE_REQUESTED);
			link_exchange(&L, 30000);
		}
		MG_CHECK_EQ(mg_tls_conn_key_update(L.c, true), 0);
		link_exchange(&L, 30000);
		mg_tls_client_stats(cl, &st);
		MG_CHECK_EQ(st.key_updates_in, 3);
		SSL_shutdown(L.peer);
		pump(&L);
		MG_CHECK_EQ(mg_tls_conn_state(L.c), MG_TLS_PEER_CLOSED);
		MG_CHECK_EQ(mg_tls_conn_read(L.c, buf, sizeof(buf)), 0);
		link_free(&L);
		SSL_CTX_free(px);
		mg_tls_client_free(cl);
	}
}

/* A TLS 1.2 endpoint asking to renegotiate is refused; the connection
 * goes on. */
static void
test_renegotiation(void)
{
	for (unsigned p = 0; p < 3; p++) {
		struct mg_tls_client *cl = client_on(paths[p]);
		SSL_CTX *px = endpoint_ctx(1, TLS1_2_VERSION, true);
		struct mg_tls_stats st;

		link_open(cl, NULL, px, 0);
		MG_CHECK(link_established(&L));
		MG_CHECK(SSL_renegotiate(L.peer) == 1);
		SSL_do_handshake(L.peer);
		pump(&L);
		mg_tls_client_stats(cl, &st);
		MG_CHECK_EQ(st.errors[MG_TLS_ERR_RENEGOTIATION_REFUSED], 1);
		MG_CHECK_EQ(mg_tls_conn_state(L.c), MG_TLS_ESTABLISHED);
		MG_CHECK_EQ(st.handshakes, 1);
		link_free(&L);
		SSL_CTX_free(px);
		mg_tls_client_free(cl);
	}
}

static void
test_alpn(void)
{
	struct mg_tls_client_params cp;
	struct mg_tls_client *cl;
	SSL_CTX *px = endpoint_ctx(1, 0, true);
	const char *a;
	uint32_t n;

	client_params(&cp, MG_TLS_RECORD_IPSEC_MB);
	cp.alpn = "http/1.1";
	cl = client_new(&cp);
	link_open(cl, NULL, px, 0);
	MG_CHECK(link_established(&L));
	a = mg_tls_conn_alpn(L.c, &n);	/* the endpoint has no ALPN */
	MG_CHECK(a == NULL && n == 0);
	link_free(&L);
	mg_tls_client_free(cl);
	SSL_CTX_free(px);
}

/* Move bytes between two engine connections until both are quiet. */
static void
pump2(struct mg_tls_conn *a, struct mg_tls_conn *b)
{
	static uint8_t buf[1 << 17];

	for (int round = 0; round < 100; round++) {
		uint32_t n1 = mg_tls_conn_output(a, buf, sizeof(buf));
		int r1 = n1 ? mg_tls_conn_input(b, buf, n1) : 0;
		uint32_t n2 = mg_tls_conn_output(b, buf, sizeof(buf));
		int r2 = n2 ? mg_tls_conn_input(a, buf, n2) : 0;

		MG_CHECK(r1 == (int)n1 || r1 < 0);
		MG_CHECK(r2 == (int)n2 || r2 < 0);
		if (n1 == 0 && n2 == 0)
			break;
	}
}

/* n bytes from a to b through both engines. */
static void
send2(struct mg_tls_conn *a, struct mg_tls_conn *b, uint32_t n)
{
	static uint8_t out[200000], in[200000];
	uint32_t sent = 0, got = 0;

	fill_random(out, n);
	for (int i = 0; i < 10000 && got < n; i++) {
		int w = mg_tls_conn_write(a, out + sent, n - sent);

		MG_CHECK(w >= 0);
		if (w < 0)
			return;
		sent += (uint32_t)w;
		pump2(a, b);
		got += mg_tls_conn_read(b, in + got, n - got);
	}
	MG_CHECK_EQ(got, n);
	MG_CHECK(memcmp(in, out, n) == 0);
}

/* This engine at both ends: every pair of record paths, the client's
 * identity at the server, and our own re-keying after 2^24 records. */
static void
test_engine_pair(void)
{
	static char crt[128], key[128], ca[128];
	struct mg_tls_cert_params cert = { crt, key, NULL };

	snprintf(crt, sizeof(crt), "%s", P("endpoint-1.crt"));
	snprintf(key, sizeof(key), "%s", P("endpoint-1.key"));
	snprintf(ca, sizeof(ca), "%s", P("mesh-ca.crt"));
	for (unsigned v = 0; v < 2; v++) {
		for (unsigned sp = 0; sp < 3; sp++) {
			struct mg_tls_server_params p = {
				.certs = &cert, .n_certs = 1, .default_cert = 0,
				.client_auth = MG_TLS_CLIENT_AUTH_REQUIRED,
				.client_ca_file = ca, .record_path = paths[sp],
				.max_version = versions[v],
			};
			char err[256], xfcc[512];
			struct mg_tls_server *s = mg_tls_server_create(lc, &p,
							err, sizeof(err));

			MG_CHECK(s != NULL);
			for (unsigned cp_ = 0; s && cp_ < 3; cp_++) {
				struct mg_tls_client_params cp;
				struct mg_tls_client *cl;
				struct mg_tls_conn *sc, *cc;

				client_params(&cp, paths[cp_]);
				cl = client_new(&cp);
				sc = mg_tls_conn_accept(s, 0);
				cc = mg_tls_conn_connect(cl, NULL, 0);
				MG_CHECK_EQ(mg_tls_conn_key_update(cc, false),
					    -EAGAIN);
				pump2(cc, sc);
				MG_CHECK_EQ(mg_tls_conn_state(sc),
					    MG_TLS_ESTABLISHED);
				MG_CHECK_EQ(mg_tls_conn_state(cc),
					    MG_TLS_ESTABLISHED);
				MG_CHECK(mg_tls_conn_xfcc(sc, xfcc,
							  sizeof(xfcc)) > 0);
				MG_CHECK(strstr(xfcc, ";URI=spiffe://mesh.local/"
						"ns/edge/sa/meshgate") != NULL);
				send2(cc, sc, 100000);
				send2(sc, cc, 100000);
				if (versions[v] == TLS1_2_VERSION)
					MG_CHECK_EQ(mg_tls_conn_key_update(sc,
							false), -ENOTSUP);
				mg_tls_conn_free(sc);
				mg_tls_conn_free(cc);
				mg_tls_client_free(cl);
			}
			mg_tls_server_free(s);
		}
	}

	/* 2^24 records under one key: the server renews its own */
	{
		struct mg_tls_server_params p = {
			.certs = &cert, .n_certs = 1, .default_cert = 0,
			.client_auth = MG_TLS_CLIENT_AUTH_REQUIRED,
			.client_ca_file = ca,
		};
		struct mg_tls_client_params cp;
		struct mg_tls_server *s = mg_tls_server_create(lc, &p, NULL, 0);
		struct mg_tls_client *cl;
		struct mg_tls_conn *sc, *cc;
		struct mg_tls_stats ss, cs;

		client_params(&cp, MG_TLS_RECORD_IPSEC_MB);
		cl = client_new(&cp);
		sc = mg_tls_conn_accept(s, 0);
		cc = mg_tls_conn_connect(cl, NULL, 0);
		pump2(cc, sc);
		MG_CHECK_EQ(sc->mode, TLS_MODE_REC);
		MG_CHECK_EQ(sc->rec.wr.seq, cc->rec.rd.seq);
		sc->rec.wr.seq = cc->rec.rd.seq = TLS13_REKEY_RECORDS - 2;
		send2(sc, cc, 60000);
		send2(cc, sc, 1000);
		send2(sc, cc, 1000);
		mg_tls_server_stats(s, &ss);
		mg_tls_client_stats(cl, &cs);
		MG_CHECK_EQ(ss.key_updates_out, 1);
		MG_CHECK_EQ(cs.key_updates_in, 1);
		MG_CHECK(sc->rec.wr.seq < 10);
		mg_tls_conn_free(sc);
		mg_tls_conn_free(cc);
		mg_tls_client_free(cl);
		mg_tls_server_free(s);
	}
}

int
main(int argc, char **argv)
{
	struct mg_tls_lcore_params lp = { 0 };

	if (argc < 2 || pki_make(argv[1]) != 0) {
		fprintf(stderr, "usage: %s path/to/pki.sh\n", argv[0]);
		return 1;
	}
	lc = mg_tls_lcore_create(&lp, NULL, 0);
	MG_CHECK(lc != NULL);
	if (lc == NULL)
		return 1;
	test_basic();
	test_san();
	test_refused();
	test_reuse();
	test_key_update_close();
	test_renegotiation();
	test_alpn();
	test_engine_pair();
	mg_tls_lcore_free(lc);
	return mg_test_done("test_tls_client");
}
