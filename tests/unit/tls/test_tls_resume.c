/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Session tickets: a session made by one lcore's server context resumes
 * on another lcore's (each with its own OpenSSL library context), as long
 * as they share the ticket key file; rotation; keys from files.
 */
#include <errno.h>

#include "tls_test.h"

static struct mg_tls_lcore *lc_a, *lc_b;
static struct link L;

static const enum mg_tls_record_path paths[] = {
	MG_TLS_RECORD_IPSEC_MB, MG_TLS_RECORD_EVP, MG_TLS_RECORD_OPENSSL,
};
static const uint16_t versions[] = { TLS1_2_VERSION, TLS1_3_VERSION };

static struct mg_tls_server *
server_new(struct mg_tls_lcore *lc, const char *name, const char *keys,
	   enum mg_tls_record_path path)
{
	static char crt[128], key[128];
	struct mg_tls_cert_params cert = { crt, key, NULL };
	struct mg_tls_server_params p = {
		.name = name, .certs = &cert, .n_certs = 1, .default_cert = 0,
		.ticket_key_file = keys, .record_path = path,
		.tls13_tickets = 2,
	};
	char err[256] = "";
	struct mg_tls_server *s;

	snprintf(crt, sizeof(crt), "%s", P("api-ecdsa.crt"));
	snprintf(key, sizeof(key), "%s", P("api-ecdsa.key"));
	s = mg_tls_server_create(lc, &p, err, sizeof(err));
	return created(s, "server", err);
}

/* A handshake with s, resuming sess if given; returns the session to
 * resume next (tickets of TLS 1.3 come after the handshake). */
static SSL_SESSION *
handshake(struct mg_tls_server *s, SSL_CTX *px, SSL_SESSION *sess,
	  bool *resumed)
{
	SSL_SESSION *next;

	memset(&L, 0, sizeof(L));
	L.c = mg_tls_conn_accept(s, 0);
	L.peer = peer_ssl(px, "api.lab.test");
	if (sess != NULL)
		SSL_set_session(L.peer, sess);
	pump(&L);
	MG_CHECK(link_established(&L));
	*resumed = mg_tls_conn_resumed(L.c);
	MG_CHECK_EQ(*resumed, SSL_session_reused(L.peer));
	link_exchange(&L, 5000);	/* the client reads its tickets */
	next = SSL_get1_session(L.peer);
	SSL_shutdown(L.peer);
	link_free(&L);
	return next;
}

static void
write_keys(const char *path, const char *const *lines, unsigned n)
{
	FILE *f = fopen(path, "w");

	for (unsigned i = 0; i < n; i++)
		fprintf(f, "%s\n", lines[i]);
	fclose(f);
}

static void
test_across_lcores(void)
{
	for (unsigned p = 0; p < 3; p++) {
		struct mg_tls_server *a = server_new(lc_a, "api", P("tickets.key"),
						     paths[p]);
		struct mg_tls_server *b = server_new(lc_b, "api", P("tickets.key"),
						     paths[p]);

		for (unsigned v = 0; a && b && v < 2; v++) {
			struct peer_opts po = { .min_version = versions[v],
				.max_version = versions[v],
				.ca_file = P("ca.crt") };
			SSL_CTX *px = peer_ctx(&po);
			struct mg_tls_stats sa, sb;
			SSL_SESSION *s1, *s2, *s3;
			bool r;

			s1 = handshake(a, px, NULL, &r);
			MG_CHECK(!r);
			s2 = handshake(b, px, s1, &r);	/* other lcore */
			MG_CHECK(r);
			s3 = handshake(a, px, s2, &r);	/* and back */
			MG_CHECK(r);
			mg_tls_server_stats(a, &sa);
			mg_tls_server_stats(b, &sb);
			MG_CHECK_EQ(sa.resumed, v + 1);
			MG_CHECK_EQ(sb.resumed, v + 1);
			SSL_SESSION_free(s1);
			SSL_SESSION_free(s2);
			SSL_SESSION_free(s3);
			SSL_CTX_free(px);
		}
		mg_tls_server_free(a);
		mg_tls_server_free(b);
	}
}

/* The first 16 bytes of a ticket name the key that sealed it. */
static bool
ticket_key_is(SSL_SESSION *sess, const struct mg_tls_ticket_key *k)
{
	const unsigned char *t;
	size_t n;

	SSL_SESSION_get0_ticket(sess, &t, &n);
	return n >= 16 && memcmp(t, k->name, 16) == 0;
}

static void
test_rotation(void)
{
	char path_old[128], path_new[128], path_other[128], line[4][200];
	struct mg_tls_ticket_keys knew;
	const char *lines[2];
	FILE *f = fopen(P("tickets.key"), "r");
	unsigned n = 0;

	while (n < 4 && fgets(line[n], sizeof(line[n]), f))
		if (line[n][0] != '#') {
			line[n][strcspn(line[n], "\n")] = '\0';
			n++;
		}
	fclose(f);
	MG_CHECK_EQ(n, 2);
	snprintf(path_old, sizeof(path_old), "%s", P("old.key"));
	snprintf(path_new, sizeof(path_new), "%s", P("new.key"));
	snprintf(path_other, sizeof(path_other), "%s", P("other.key"));
	lines[0] = line[0];
	write_keys(path_old, lines, 1);
	lines[0] = line[1];
	lines[1] = line[0];
	write_keys(path_new, lines, 2);	/* new key first, old after */
	lines[0] = line[1];
	write_keys(path_other, lines, 1);
	MG_CHECK_EQ(mg_tls_ticket_keys_read(path_new, &knew, NULL, 0), 0);
	MG_CHECK_EQ(knew.n, 2);

	for (unsigned v = 0; v < 2; v++) {
		struct peer_opts po = { .min_version = versions[v],
			.max_version = versions[v], .ca_file = P("ca.crt") };
		SSL_CTX *px = peer_ctx(&po);
		struct mg_tls_server *a = server_new(lc_a, "api", path_old, 0);
		struct mg_tls_server *b = server_new(lc_b, "api", path_new, 0);
		struct mg_tls_server *c = server_new(lc_b, "api", path_other, 0);
		struct mg_tls_server *d = server_new(lc_b, "other", path_old, 0);
		SSL_SESSION *s1, *s2, *s3, *s4;
		bool r;

		s1 = handshake(a, px, NULL, &r);
		MG_CHECK(ticket_key_is(s1, &knew.k[1]));
		/* rotated: the old key still opens, a ticket under the new
		 * key comes back */
		s2 = handshake(b, px, s1, &r);
		MG_CHECK(r);
		MG_CHECK(ticket_key_is(s2, &knew.k[0]));
		/* only the new key: the old ticket means a full handshake */
		s3 = handshake(c, px, s1, &r);
		MG_CHECK(!r);
		/* another listener (session id context) does not resume */
		s4 = handshake(d, px, s1, &r);
		MG_CHECK(!r);
		SSL_SESSION_free(s3);
		SSL_SESSION_free(s4);
		/* rotation of a live context */
		MG_CHECK_EQ(mg_tls_server_set_ticket_keys(a, &knew), 0);
		s3 = handshake(a, px, s1, &r);
		MG_CHECK(r);
		MG_CHECK(ticket_key_is(s3, &knew.k[0]));
		SSL_SESSION_free(s1);
		SSL_SESSION_free(s2);
		SSL_SESSION_free(s3);
		mg_tls_server_free(a);
		mg_tls_server_free(b);
		mg_tls_server_free(c);
		mg_tls_server_free(d);
		SSL_CTX_free(px);
	}
}

/* Without a key file there are no tickets. */
static void
test_no_tickets(void)
{
	struct mg_tls_server *s = server_new(lc_a, "api", NULL, 0);
	struct peer_opts po = { .ca_file = P("ca.crt") };
	SSL_CTX *px = peer_ctx(&po);
	struct mg_tls_ticket_keys k = { .n = 1 };
	SSL_SESSION *s1, *s2;
	bool r;

	s1 = handshake(s, px, NULL, &r);
	s2 = handshake(s, px, s1, &r);
	MG_CHECK(!r);
	MG_CHECK_EQ(mg_tls_server_set_ticket_keys(s, &k), -ENOTSUP);
	SSL_SESSION_free(s1);
	SSL_SESSION_free(s2);
	SSL_CTX_free(px);
	mg_tls_server_free(s);
}

static void
test_key_files(void)
{
	static const struct {
		const char *text;
		int rc;
	} cases[] = {
		{ "", -EINVAL },
		{ "# only a comment\n\n", -EINVAL },
		{ "c2hvcnQ=\n", -EINVAL },
		{ "not base64 at all!!\n", -EINVAL },
	};
	struct mg_tls_ticket_keys k;
	char err[256], path[128], line[200];
	FILE *f;

	snprintf(path, sizeof(path), "%s", P("bad.key"));
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		f = fopen(path, "w");
		fputs(cases[i].text, f);
		fclose(f);
		err[0] = '\0';
		MG_CHECK_EQ(mg_tls_ticket_keys_read(path, &k, err, sizeof(err)),
			    cases[i].rc);
		MG_CHECK(strstr(err, path) != NULL);
	}
	MG_CHECK_EQ(mg_tls_ticket_keys_read(P("nope.key"), &k, NULL, 0),
		    -ENOENT);
	/* five keys are too many */
	f = fopen(P("tickets.key"), "r");
	while (fgets(line, sizeof(line), f) && line[0] == '#')
		;
	fclose(f);
	f = fopen(path, "w");
	for (int i = 0; i < 5; i++)
		fputs(line, f);
	fclose(f);
	MG_CHECK_EQ(mg_tls_ticket_keys_read(path, &k, err, sizeof(err)),
		    -E2BIG);
	MG_CHECK_EQ(mg_tls_ticket_keys_read(P("tickets.key"), &k, NULL, 0), 0);
	MG_CHECK_EQ(k.n, 2);
}

int
main(int argc, char **argv)
{
	struct mg_tls_lcore_params own = { 0 };
	struct mg_tls_lcore_params shared = { .shared_libctx = true };

	if (argc < 2 || pki_make(argv[1]) != 0) {
		fprintf(stderr, "usage: %s path/to/pki.sh\n", argv[0]);
		return 1;
	}
	/* two lcores: one with a library context of its own, one on
	 * OpenSSL's default */
	lc_a = mg_tls_lcore_create(&own, NULL, 0);
	lc_b = mg_tls_lcore_create(&shared, NULL, 0);
	MG_CHECK(lc_a != NULL && lc_b != NULL);
	if (lc_a == NULL || lc_b == NULL)
		return 1;
	test_across_lcores();
	test_rotation();
	test_no_tickets();
	test_key_files();
	mg_tls_lcore_free(lc_a);
	mg_tls_lcore_free(lc_b);
	return mg_test_done("test_tls_resume");
}
