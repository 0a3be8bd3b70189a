/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lib/cfg: the sample and the lab configurations load cleanly, the sample
 * documents every key of the schema as the schema has it, defaults land,
 * references resolve (routes included, up to MG_MAX_ROUTES of them), the
 * HTTP and TLS syntax checks take what they should and refuse the rest,
 * files named by the configuration are found from its directory, and every
 * file of invalid/ gives exactly the messages its "// expect: " lines list.
 *
 * Usage: test_cfg CFG_DIR INVALID_DIR
 * Invalid files are loaded from INVALID_DIR by their base name, so the
 * messages name them as "file.cfg:LINE: ..."; the files their TLS keys
 * name are in INVALID_DIR/tls/.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mg_test.h"
#include "mg_cfg.h"
#include "cfg_internal.h"

static char *
read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	if (f == NULL)
		return NULL;
	FILE *m = open_memstream(&buf, &len);
	int c;

	while ((c = fgetc(f)) != EOF)
		fputc(c, m);
	fclose(m);
	fclose(f);
	return buf;
}

/* Load PATH; the messages go to *out (caller frees). */
static struct mg_config *
load(const char *path, char **out, unsigned *n)
{
	return mg_config_load(path, out, n);
}

static void
test_valid(const char *path)
{
	char *out = NULL;
	unsigned n = 99;
	struct mg_config *cfg;

	cfg = load(path, &out, &n);
	MG_CHECK(cfg != NULL);
	MG_CHECK_EQ(n, 0);
	if (out != NULL && out[0] != '\0')
		fprintf(stderr, "%s: unexpected messages:\n%s", path, out);
	MG_CHECK(out != NULL && out[0] == '\0');
	free(out);
	mg_config_free(cfg);
}

/* PATH, loaded without looking at the messages; NULL when it fails. */
static struct mg_config *
load_quiet(const char *path)
{
	char *out = NULL;
	struct mg_config *cfg;
	unsigned n;

	cfg = load(path, &out, &n);
	free(out);
	MG_CHECK(cfg != NULL);
	return cfg;
}

static void
test_lab(const char *dir)
{
	char a[MG_IP_STRLEN], path[512];
	struct mg_config *cfg;

	snprintf(path, sizeof(path), "%s/lab-l4.cfg", dir);
	cfg = load_quiet(path);
	if (cfg == NULL)
		return;
	MG_CHECK_EQ(cfg->dataplane.workers, 1);
	MG_CHECK_EQ(cfg->dataplane.idle_sleep_us, 50);
	MG_CHECK(cfg->dataplane.hugepages);
	MG_CHECK_EQ(cfg->n_ports, 2);
	MG_CHECK(cfg->ports[0].is_vdev && cfg->ports[1].is_vdev);
	MG_CHECK_EQ(mg_config_port_index(cfg, "ext"), 0);
	MG_CHECK_EQ(mg_config_port_index(cfg, "int"), 1);
	MG_CHECK_EQ(mg_config_port_index(cfg, "nope"), -1);
	MG_CHECK_EQ(cfg->ports[0].n_addrs, 2);
	MG_CHECK_EQ(cfg->ports[0].prefix_len[1], 64);
	MG_CHECK(strcmp(mg_ip_format(&cfg->ports[1].addrs[1], a, sizeof(a)),
			"fd00:20::1") == 0);
	MG_CHECK_EQ(cfg->n_listeners, 3);
	MG_CHECK_EQ(cfg->n_clusters, 3);
	MG_CHECK_EQ(mg_config_cluster_index(cfg, "echo"), 2);
	MG_CHECK_EQ(mg_config_cluster_index(cfg, "nope"), -1);
	for (uint32_t i = 0; i < cfg->n_listeners; i++) {
		const struct mg_cfg_listener *l = &cfg->listeners[i];

		MG_CHECK_EQ(l->port_idx, 0);
		MG_CHECK_EQ(l->cluster_idx, (uint32_t)mg_config_cluster_index(cfg,
			    l->cluster_name));
		MG_CHECK(l->line > 0);
	}
	MG_CHECK_EQ(cfg->listeners[2].mode, MG_MODE_UDP);
	MG_CHECK_EQ(cfg->listeners[2].listen_port, 7);
	MG_CHECK_EQ(cfg->listeners[1].address.family, AF_INET6);
	for (uint32_t i = 0; i < cfg->n_clusters; i++) {
		const struct mg_cfg_cluster *c = &cfg->clusters[i];

		MG_CHECK_EQ(c->port_idx, 1);
		MG_CHECK_EQ(c->n_endpoints, 3);
		MG_CHECK_EQ(c->health.type, MG_HEALTH_TCP);
		MG_CHECK_EQ(c->health.interval_ms, 500);
		MG_CHECK_EQ(c->health.timeout_ms, 300);
		MG_CHECK_EQ(c->health.healthy_threshold, 2);
		MG_CHECK_EQ(c->health.unhealthy_threshold, 2);
		MG_CHECK_EQ(c->maglev_table_size, 65537);
	}
	MG_CHECK_EQ(cfg->clusters[2].health.port, 80);
	MG_CHECK_EQ(cfg->clusters[2].endpoints[1].port, 7);
	MG_CHECK(strcmp(cfg->logging.level, "info") == 0);
	MG_CHECK_EQ(cfg->logging.stats_interval_s, 0);
	mg_config_free(cfg);
}

/* Write TEXT to a new temporary file; its path goes to PATH. */
static bool
write_temp(char *path, const char *text, size_t len)
{
	int fd = mkstemp(path);
	bool ok;

	MG_CHECK(fd >= 0);
	if (fd < 0)
		return false;
	ok = write(fd, text, len) == (ssize_t)len;
	MG_CHECK(ok);
	close(fd);
	return ok;
}

/* Create an empty file PATH (what is in it is not lib/cfg's business). */
static bool
touch(const char *path)
{
	FILE *f = fopen(path, "w");

	MG_CHECK(f != NULL);
	return f != NULL && fclose(f) == 0;
}

/*
 * The sample names its TLS files in /etc/meshgate/tls/, and the loader
 * wants them readable. The copy the tests load is the sample with that
 * directory replaced by a temporary one in which every file the sample
 * names exists, empty: the rest of the text is the sample's own.
 */
#define SAMPLE_TLS_DIR "/etc/meshgate/tls/"

struct sample_copy {
	char dir[32];			/* the temporary directory */
	char path[64];			/* dir/meshgate.cfg */
	unsigned n_files;
	char files[32][128];		/* dir/NAME of each file named */
};

static bool
sample_copy_make(const char *cfg_dir, struct sample_copy *sc)
{
	char path[512], *text, *out = NULL;
	const char *p, *hit;
	size_t len = 0;
	FILE *m;
	bool ok = true;

	snprintf(path, sizeof(path), "%s/meshgate.cfg.sample", cfg_dir);
	text = read_all(path);
	snprintf(sc->dir, sizeof(sc->dir), "/tmp/mg-test-cfg-XXXXXX");
	sc->n_files = 0;
	MG_CHECK(text != NULL);
	MG_CHECK(mkdtemp(sc->dir) != NULL);
	if (text == NULL)
		return false;
	m = open_memstream(&out, &len);
	for (p = text; (hit = strstr(p, SAMPLE_TLS_DIR)) != NULL; p = hit) {
		size_t n;

		fwrite(p, 1, (size_t)(hit - p), m);
		hit += strlen(SAMPLE_TLS_DIR);
		n = strcspn(hit, "\"");
		fprintf(m, "%s/", sc->dir);
		if (sc->n_files < sizeof(sc->files) / sizeof(sc->files[0])) {
			char *f = sc->files[sc->n_files++];

			snprintf(f, sizeof(sc->files[0]), "%s/%.*s", sc->dir,
				 (int)n, hit);
			ok &= touch(f);
		}
	}
	fputs(p, m);
	fclose(m);
	free(text);
	MG_CHECK(sc->n_files >= 10);
	snprintf(sc->path, sizeof(sc->path), "%s/meshgate.cfg", sc->dir);
	m = fopen(sc->path, "w");
	MG_CHECK(m != NULL);
	if (m != NULL) {
		ok &= fwrite(out, 1, len, m) == len;
		ok &= fclose(m) == 0;
	}
	free(out);
	MG_CHECK(ok);
	return ok && m != NULL;
}

static void
sample_copy_remove(const struct sample_copy *sc)
{
	for (unsigned i = 0; i < sc->n_files; i++)
		unlink(sc->files[i]);	/* names repeat: ENOENT is fine */
	unlink(sc->path);
	MG_CHECK(rmdir(sc->dir) == 0);
}

/* The HTTPS side of the sample: the listener, the cluster that speaks
 * mTLS to its endpoints, and the route that wants a client certificate. */
static void
check_sample_https(const struct mg_config *cfg, const struct sample_copy *sc,
		   int edge)
{
	const struct mg_cfg_tls_server *t = &cfg->listeners[edge].tls;
	int mesh = mg_config_cluster_index(cfg, "mesh-api");
	char path[128];

	MG_CHECK_EQ(cfg->listeners[edge].mode, MG_MODE_HTTPS);
	MG_CHECK(mg_listener_mode_is_http(cfg->listeners[edge].mode));
	MG_CHECK(cfg->listeners[edge].tcp.nodelay);
	MG_CHECK_EQ(cfg->listeners[edge].http.max_headers, 100);
	MG_CHECK_EQ(t->n_certificates, 3);
	snprintf(path, sizeof(path), "%s/api-ecdsa.ocsp.der", sc->dir);
	MG_CHECK(strcmp(t->certificates[0].ocsp, path) == 0);
	snprintf(path, sizeof(path), "%s/wildcard-ecdsa.key", sc->dir);
	MG_CHECK(strcmp(t->certificates[2].key, path) == 0);
	MG_CHECK(t->certificates[1].ocsp[0] == '\0');
	MG_CHECK(t->certificates[2].line > t->certificates[1].line);
	MG_CHECK_EQ(t->default_certificate, 0);
	MG_CHECK_EQ(t->min_version, MG_CFG_TLS_1_2);
	MG_CHECK_EQ(t->max_version, MG_CFG_TLS_1_3);
	MG_CHECK(strcmp(t->ciphers, "ECDHE+AESGCM:ECDHE+CHACHA20") == 0);
	MG_CHECK(strcmp(t->groups, "X25519:P-256:P-384") == 0);
	MG_CHECK(t->sigalgs[0] == '\0');
	MG_CHECK(strcmp(t->alpn, "http/1.1") == 0);
	MG_CHECK_EQ(t->client_auth, MG_CFG_CLIENT_AUTH_OPTIONAL);
	snprintf(path, sizeof(path), "%s/client-ca.crt", sc->dir);
	MG_CHECK(strcmp(t->client_ca, path) == 0);
	MG_CHECK_EQ(t->verify_depth, 4);
	MG_CHECK(t->ticket_keys[0] == '/');
	MG_CHECK_EQ(t->ticket_lifetime_s, 7200);
	MG_CHECK_EQ(t->handshake_timeout_ms, 10000);
	MG_CHECK_EQ(t->record_path, MG_CFG_TLS_RECORD_IPSEC_MB);
	MG_CHECK_EQ(t->record_size, 16384);

	MG_CHECK(mesh >= 0);
	if (mesh < 0)
		return;
	const struct mg_cfg_tls_client *c = &cfg->clusters[mesh].tls;

	MG_CHECK(c->enabled && c->session_reuse);
	snprintf(path, sizeof(path), "%s/meshgate.crt", sc->dir);
	MG_CHECK(strcmp(c->cert, path) == 0);
	MG_CHECK(c->key[0] == '/' && c->ca[0] == '/' && c->crl[0] == '\0');
	MG_CHECK(strcmp(c->sni, "api.mesh.local") == 0);
	MG_CHECK(strcmp(c->expected_san, "spiffe://mesh.local/ns/lab/sa/api") == 0);
	MG_CHECK_EQ(c->min_version, MG_CFG_TLS_1_3);
	MG_CHECK_EQ(c->max_version, MG_CFG_TLS_1_3);
	MG_CHECK_EQ(c->handshake_timeout_ms, 5000);
	MG_CHECK_EQ(c->record_path, MG_CFG_TLS_RECORD_IPSEC_MB);
	MG_CHECK_EQ(c->verify_depth, 4);
	/* Clusters without a tls group do plain TCP. */
	MG_CHECK(!cfg->clusters[mg_config_cluster_index(cfg, "api")].tls.enabled);
}

/* The gateway of the sample: its listeners, clusters and routes as the
 * file has them, references resolved, defaults filled in. */
static void
test_sample_http(const char *dir)
{
	struct sample_copy sc;
	struct mg_config *cfg = NULL;
	const struct mg_cfg_route *r;
	char a[MG_IP_STRLEN];
	int gw, edge, api, app;
	uint64_t both;

	if (!sample_copy_make(dir, &sc))
		goto out;
	test_valid(sc.path);
	cfg = load_quiet(sc.path);
	if (cfg == NULL)
		goto out;
	gw = mg_config_listener_index(cfg, "gateway");
	edge = mg_config_listener_index(cfg, "edge");
	api = mg_config_cluster_index(cfg, "api");
	app = mg_config_cluster_index(cfg, "app");
	MG_CHECK(gw >= 0 && edge >= 0 && api >= 0 && app >= 0);
	MG_CHECK_EQ(mg_config_listener_index(cfg, "web"), 0);
	MG_CHECK_EQ(mg_config_listener_index(cfg, "nope"), -1);
	if (gw < 0 || edge < 0 || api < 0 || app < 0)
		goto out;
	check_sample_https(cfg, &sc, edge);
	both = 1ull << gw | 1ull << edge;

	const struct mg_cfg_listener *l = &cfg->listeners[gw];

	MG_CHECK_EQ(l->mode, MG_MODE_HTTP);
	MG_CHECK(l->tcp.nodelay);
	MG_CHECK_EQ(l->http.max_request_line, 8192);
	MG_CHECK_EQ(l->http.max_body_size, 1073741824ull);
	MG_CHECK_EQ(l->http.n_trusted_proxies, 1);
	MG_CHECK_EQ(l->http.trusted_proxies_len[0], 24);
	MG_CHECK(strcmp(mg_ip_format(&l->http.trusted_proxies[0], a, sizeof(a)),
			"10.10.0.0") == 0);
	MG_CHECK(strcmp(l->http.request_id_header, "x-request-id") == 0);
	MG_CHECK(l->http.forwarded_headers && l->http.access_log);

	const struct mg_cfg_cluster *c = &cfg->clusters[api];

	MG_CHECK_EQ(c->lb, MG_LB_LEAST_REQUEST);
	MG_CHECK_EQ(c->health.type, MG_HEALTH_HTTP);
	MG_CHECK(strcmp(c->health.host, "api.internal") == 0);
	MG_CHECK(strcmp(c->health.expected_statuses, "200-299") == 0);
	MG_CHECK_EQ(c->tcp.keepalive_idle_s, 60);
	MG_CHECK_EQ(c->tcp.rcv_buf, 262144);
	c = &cfg->clusters[app];
	MG_CHECK_EQ(c->lb, MG_LB_RING_HASH);
	MG_CHECK_EQ(c->hash_on, MG_HASH_COOKIE);
	MG_CHECK(strcmp(c->hash_key, "session") == 0);
	MG_CHECK(strcmp(c->health.path, "/") == 0);
	MG_CHECK(strcmp(c->health.expected_statuses, "200-399") == 0);

	MG_CHECK_EQ(cfg->n_routes, 7);
	if (cfg->n_routes != 7)
		goto out;
	for (uint32_t i = 0; i < cfg->n_routes; i++) {
		r = &cfg->routes[i];
		MG_CHECK_EQ(r->listener_mask, r->n_listeners > 0 ?
			    1ull << (strcmp(r->name, "admin") == 0 ? edge : gw) : both);
		MG_CHECK(r->line > 0);
		MG_CHECK_EQ(r->require_client_cert, strcmp(r->name, "admin") == 0);
	}
	r = &cfg->routes[0];
	MG_CHECK(strcmp(r->name, "healthz") == 0);
	MG_CHECK_EQ(r->path_type, MG_PATH_EXACT);
	MG_CHECK_EQ(r->direct.status, 200);
	MG_CHECK(strcmp(r->direct.body, "ok\n") == 0);
	MG_CHECK_EQ(r->redirect.status, 0);
	MG_CHECK_EQ(r->n_splits, 0);
	r = &cfg->routes[1];
	MG_CHECK_EQ(r->path_type, MG_PATH_PREFIX);	/* the default with a path */
	MG_CHECK_EQ(r->n_listeners, 0);
	MG_CHECK_EQ(r->n_hosts, 2);
	MG_CHECK(strcmp(r->hosts[1], "*.docs.example.com") == 0);
	MG_CHECK_EQ(r->redirect.status, 301);
	MG_CHECK_EQ(r->direct.status, 0);
	r = &cfg->routes[2];
	MG_CHECK_EQ(r->cluster_idx, (uint32_t)api);
	MG_CHECK_EQ(r->n_methods, 4);
	MG_CHECK(strcmp(r->methods[3], "DELETE") == 0);
	MG_CHECK_EQ(r->n_headers, 2);
	MG_CHECK_EQ(r->headers[0].type, MG_VALUE_REGEX);
	MG_CHECK(!r->headers[0].invert);
	MG_CHECK_EQ(r->headers[1].type, MG_VALUE_PRESENT);
	MG_CHECK(r->headers[1].invert);
	MG_CHECK_EQ(r->n_query, 1);
	MG_CHECK(r->query[0].invert && r->query[0].line > r->line);
	MG_CHECK(strcmp(r->prefix_rewrite, "/") == 0);
	MG_CHECK(strcmp(r->host_rewrite, "api.internal") == 0);
	MG_CHECK_EQ(r->request_headers.n_add, 1);
	MG_CHECK(strcmp(r->request_headers.add[0].value,
			"%{client_address}:%{client_port}") == 0);
	MG_CHECK_EQ(r->request_headers.n_set, 1);
	MG_CHECK_EQ(r->request_headers.n_remove, 1);
	MG_CHECK(strcmp(r->response_headers.remove[0], "server") == 0);
	MG_CHECK_EQ(r->max_body_size, 10485760);
	MG_CHECK_EQ(r->timeout_ms, 30000);
	r = &cfg->routes[3];
	MG_CHECK_EQ(r->path_type, MG_PATH_REGEX);
	MG_CHECK_EQ(r->cluster_idx, (uint32_t)app);
	r = &cfg->routes[4];
	MG_CHECK_EQ(r->n_splits, 2);
	MG_CHECK_EQ(r->splits[0].cluster_idx, (uint32_t)app);
	MG_CHECK_EQ(r->splits[1].cluster_idx, (uint32_t)api);
	MG_CHECK_EQ(r->splits[0].weight + r->splits[1].weight, 100);
	MG_CHECK(r->cluster_name[0] == '\0');
	MG_CHECK(r->client_cert.subject[0] == '\0' && r->client_cert.san[0] == '\0');
	r = &cfg->routes[5];
	MG_CHECK(strcmp(r->name, "admin") == 0);
	MG_CHECK(strcmp(r->client_cert.subject, "CN=client-[0-9]+(,.*)?") == 0);
	MG_CHECK(strcmp(r->client_cert.san, "spiffe://lab.test/client/1") == 0);
	MG_CHECK_EQ(r->cluster_idx, (uint32_t)mg_config_cluster_index(cfg, "mesh-api"));
	r = &cfg->routes[6];
	MG_CHECK_EQ(r->path_type, MG_PATH_ANY);
	MG_CHECK_EQ(r->n_hosts + r->n_methods + r->n_headers + r->n_query, 0);
	MG_CHECK_EQ(r->cluster_idx, (uint32_t)app);
out:
	mg_config_free(cfg);
	sample_copy_remove(&sc);
}

/* Routes are an allocated list: MG_MAX_ROUTES of them load (and how long
 * that takes is printed), one more is refused, and names are still found
 * to clash among that many. */
static void
test_many_routes(void)
{
	static const char head[] =
		"ports = ( { name = \"p\"; device = \"net_null0\";\n"
		"  addresses = ( \"192.0.2.1/24\" ); } );\n"
		"listeners = ( { name = \"a\"; mode = \"http\"; address = \"192.0.2.10\";\n"
		"  listen_port = 80; }, { name = \"b\"; mode = \"http\";\n"
		"  address = \"192.0.2.10\"; listen_port = 81; } );\n"
		"clusters = ( { name = \"c\"; lb = \"round_robin\"; endpoints = (\n"
		"  { address = \"192.0.2.20\"; port = 8080; } ); } );\n"
		"routes = (\n";
	unsigned counts[] = { MG_MAX_ROUTES, MG_MAX_ROUTES + 1, MG_MAX_ROUTES };

	for (unsigned t = 0; t < 3; t++) {
		char path[] = "/tmp/mg-test-cfg-XXXXXX", *text = NULL, *out = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&text, &len);
		struct mg_config *cfg;
		struct timespec t0, t1;
		unsigned n;

		fputs(head, m);
		for (unsigned i = 0; i < counts[t]; i++)
			fprintf(m, "{ name = \"r%u\"; listeners = ( \"%s\" ); "
				"match = { hosts = ( \"H%u.example.com\" ); "
				"path = \"/p%u/\"; }; cluster = \"c\"; }%s\n",
				t == 2 && i == counts[t] - 1 ? 7 : i,
				i % 2 ? "b" : "a", i, i, i + 1 < counts[t] ? "," : "");
		fputs(");\n", m);
		fclose(m);
		if (!write_temp(path, text, len)) {
			free(text);
			return;
		}
		free(text);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		cfg = load(path, &out, &n);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		unlink(path);
		if (t == 0) {
			MG_CHECK(cfg != NULL);
			MG_CHECK(out != NULL && out[0] == '\0');
			printf("test_cfg: %u routes loaded in %.0f ms\n", counts[t],
			       (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
			       (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
		} else {
			char exp[256];

			/* Route i is on line 9 + i. */
			if (t == 1)
				snprintf(exp, sizeof(exp), "%s:8: routes: %u entries "
					 "(expected at most %u)\n", path, counts[t],
					 MG_MAX_ROUTES);
			else
				snprintf(exp, sizeof(exp), "%s:%u: routes[%u].name: "
					 "\"r7\" is already the name of routes[7] "
					 "(expected unique names)\n", path,
					 8 + counts[t], counts[t] - 1);
			MG_CHECK(cfg == NULL);
			MG_CHECK_EQ(n, 1);
			MG_CHECK(out != NULL && strcmp(out, exp) == 0);
			if (out != NULL && strcmp(out, exp) != 0)
				fprintf(stderr, "expected %sgot %s", exp, out);
		}
		if (cfg != NULL) {
			const struct mg_cfg_route *r = &cfg->routes[counts[t] - 1];

			MG_CHECK_EQ(cfg->n_routes, counts[t]);
			MG_CHECK(strcmp(r->hosts[0], "h16383.example.com") == 0);
			MG_CHECK_EQ(r->listener_mask, 2);
			MG_CHECK_EQ(r->path_type, MG_PATH_PREFIX);
			MG_CHECK_EQ(cfg->routes[0].listener_mask, 1);
		}
		free(out);
		mg_config_free(cfg);
	}
}

static void
test_http_vars(void)
{
	MG_CHECK_EQ(mg_config_http_var("host", 4), MG_HTTP_VAR_host);
	MG_CHECK_EQ(mg_config_http_var("hostname", 4), MG_HTTP_VAR_host);
	MG_CHECK_EQ(mg_config_http_var("hos", 3), -1);
	MG_CHECK_EQ(mg_config_http_var("Host", 4), -1);
	MG_CHECK_EQ(mg_config_http_var("", 0), -1);
	for (int v = 0; v < MG_HTTP_VAR_MAX; v++) {
		const char *name = mg_config_http_var_name(v);

		MG_CHECK(name != NULL);
		if (name != NULL)
			MG_CHECK_EQ(mg_config_http_var(name, strlen(name)), v);
	}
	MG_CHECK(mg_config_http_var_name(-1) == NULL);
	MG_CHECK(mg_config_http_var_name(MG_HTTP_VAR_MAX) == NULL);
	MG_CHECK(strcmp(mg_config_http_var_name(MG_HTTP_VAR_upstream_address),
			"upstream_address") == 0);
	MG_CHECK_EQ(cfg_template_vars("%{route}%%{cluster}%{path}"),
		    1u << MG_HTTP_VAR_route | 1u << MG_HTTP_VAR_path);
	MG_CHECK_EQ(cfg_template_vars("%{nope}"), 0);
}

/* What the HTTP syntax checks accept and refuse; the messages themselves
 * are in invalid/. */
static void
test_http_syntax(void)
{
	static const char *const good_hosts[] = {
		"example.com", "a-b.example.com", "a_b.c", "10.0.0.1", "[fd00::1]",
		"x", "xn--bcher-kva.example",
	};
	static const char *const bad_hosts[] = {
		"", "*", "*.", "a..b", ".a", "a.", "-a", "a-", "a b", "[fd00::1",
		"[10.0.0.1]", "a:80", "*.a:80", "a*.b", "é.example",
	};
	static const char *const good_statuses[] = {
		"200", "200-399", "200,204", "100-599", "301-303,200",
	};
	static const char *const bad_statuses[] = {
		"", "20", "2000", "600", "099", "200-", "-200", "200,", ",200",
		"200 ", "399-200", "2x0",
	};
	char buf[256], label[80];

	for (size_t i = 0; i < sizeof(good_hosts) / sizeof(*good_hosts); i++)
		MG_CHECK(cfg_host_problem(good_hosts[i], CFG_F_HOST) == NULL);
	for (size_t i = 0; i < sizeof(bad_hosts) / sizeof(*bad_hosts); i++)
		MG_CHECK(cfg_host_problem(bad_hosts[i], CFG_F_HOST | CFG_F_WILDCARD) != NULL);
	MG_CHECK(cfg_host_problem("*.example.com", CFG_F_HOST | CFG_F_WILDCARD) == NULL);
	MG_CHECK(cfg_host_problem("*.example.com", CFG_F_HOST) != NULL);
	MG_CHECK(cfg_host_problem("a:80", CFG_F_HOST | CFG_F_HOSTPORT) == NULL);
	MG_CHECK(cfg_host_problem("[fd00::1]:80", CFG_F_HOST | CFG_F_HOSTPORT) == NULL);
	MG_CHECK(cfg_host_problem("a:65536", CFG_F_HOST | CFG_F_HOSTPORT) != NULL);
	MG_CHECK(cfg_host_problem("a:", CFG_F_HOST | CFG_F_HOSTPORT) != NULL);
	memset(label, 'a', 63);
	label[63] = '\0';
	MG_CHECK(cfg_host_problem(label, CFG_F_HOST) == NULL);
	label[63] = 'a';
	label[64] = '\0';
	MG_CHECK(cfg_host_problem(label, CFG_F_HOST) != NULL);

	for (size_t i = 0; i < sizeof(good_statuses) / sizeof(*good_statuses); i++)
		MG_CHECK(cfg_statuses_problem(good_statuses[i]) == NULL);
	for (size_t i = 0; i < sizeof(bad_statuses) / sizeof(*bad_statuses); i++)
		MG_CHECK(cfg_statuses_problem(bad_statuses[i]) != NULL);

	MG_CHECK(cfg_token_problem("X-Request-Id") == NULL);
	MG_CHECK(cfg_token_problem("!#$%&'*+-.^_`|~09az") == NULL);
	MG_CHECK(cfg_token_problem("") != NULL);
	MG_CHECK(cfg_token_problem("a:b") != NULL);
	MG_CHECK(cfg_token_problem("a\"b") != NULL);

	MG_CHECK(cfg_path_problem("/", false) == NULL);
	MG_CHECK(cfg_path_problem("/a%20b/~x", false) == NULL);
	MG_CHECK(cfg_path_problem("/a?b", true) == NULL);
	MG_CHECK(cfg_path_problem("/a?b", false) != NULL);
	MG_CHECK(cfg_path_problem("", true) != NULL);
	MG_CHECK(cfg_path_problem("/a#b", true) != NULL);
	MG_CHECK(cfg_path_problem("/a\x7f", true) != NULL);

	MG_CHECK(cfg_text_problem("a\tb \xc3\xa9") == NULL);
	MG_CHECK(cfg_text_problem("a\rb") != NULL);
	MG_CHECK(cfg_text_problem("\x7f") != NULL);
	MG_CHECK(cfg_query_name_problem("a[]") == NULL);
	MG_CHECK(cfg_query_name_problem("a&b") != NULL);

	MG_CHECK(cfg_template_problem("", buf, sizeof(buf)) == NULL);
	MG_CHECK(cfg_template_problem("50% %d %%{x} %{host}", buf, sizeof(buf)) == NULL);
	MG_CHECK(cfg_template_problem("%{host", buf, sizeof(buf)) != NULL);
	MG_CHECK(cfg_template_problem("%{}", buf, sizeof(buf)) != NULL);
	MG_CHECK(cfg_template_problem("%%%{x}", buf, sizeof(buf)) != NULL);

	MG_CHECK(cfg_regex_problem("^/a/[0-9]+$", buf, sizeof(buf)) == NULL);
	MG_CHECK(cfg_regex_problem(".*", buf, sizeof(buf)) == NULL);
	MG_CHECK(cfg_regex_problem("a{2,1}", buf, sizeof(buf)) != NULL);
	/* Valid once anchored as the gateway does, but not alone ... */
	MG_CHECK(cfg_regex_problem("a)(b", buf, sizeof(buf)) != NULL);
	/* ... and valid alone, but not anchored: \Q quotes ")\z" too. */
	MG_CHECK(cfg_regex_problem("a\\Qb", buf, sizeof(buf)) != NULL &&
		 strstr(buf, "as a whole match") != NULL);
}

/* A minimal file: everything else takes the schema's defaults, and ports
 * left out are found by subnet. */
static void
test_defaults(void)
{
	static const char text[] =
		"ports = ( { name = \"p\"; device = \"0000:3B:00.0\";\n"
		"  addresses = ( \"192.0.2.1/24\" ); } );\n"
		"listeners = ( { name = \"l\"; address = \"192.0.2.10\";\n"
		"  listen_port = 443; cluster = \"c\"; } );\n"
		"clusters = ( { name = \"c\"; endpoints = (\n"
		"  { address = \"192.0.2.20\"; port = 8443; } ); } );\n";
	char path[] = "/tmp/mg-test-cfg-XXXXXX", *out = NULL;
	struct mg_config *cfg;
	unsigned n;

	if (!write_temp(path, text, sizeof(text) - 1))
		return;
	cfg = load(path, &out, &n);
	unlink(path);
	if (out != NULL && out[0] != '\0')
		fprintf(stderr, "unexpected messages:\n%s", out);
	free(out);
	MG_CHECK(cfg != NULL);
	if (cfg == NULL)
		return;
	MG_CHECK_EQ(cfg->dataplane.workers, 1);
	MG_CHECK_EQ(cfg->dataplane.mbufs, 16383);
	MG_CHECK_EQ(cfg->dataplane.mbuf_cache, 256);
	MG_CHECK_EQ(cfg->dataplane.burst, 32);
	MG_CHECK_EQ(cfg->dataplane.rx_desc, 1024);
	MG_CHECK_EQ(cfg->dataplane.tx_desc, 1024);
	MG_CHECK_EQ(cfg->dataplane.idle_sleep_us, 0);
	MG_CHECK(cfg->dataplane.hugepages);
	MG_CHECK(strcmp(cfg->dataplane.file_prefix, "meshgate") == 0);
	MG_CHECK(strcmp(cfg->dataplane.cpus, "") == 0);
	MG_CHECK_EQ(cfg->dataplane.flows_per_worker, 262144);
	MG_CHECK_EQ(cfg->dataplane.n_eal_args, 0);
	MG_CHECK(!cfg->ports[0].is_vdev);
	MG_CHECK_EQ(cfg->ports[0].mtu, 1500);
	MG_CHECK_EQ(cfg->ports[0].vlan, 0);
	MG_CHECK_EQ(cfg->ports[0].gateway4.family, 0);
	MG_CHECK_EQ(cfg->listeners[0].mode, MG_MODE_TCP);
	MG_CHECK(strcmp(cfg->listeners[0].port_name, "p") == 0);
	MG_CHECK_EQ(cfg->listeners[0].timeouts.tcp_syn, 10);
	MG_CHECK_EQ(cfg->listeners[0].timeouts.tcp_established, 900);
	MG_CHECK_EQ(cfg->listeners[0].timeouts.tcp_closing, 30);
	MG_CHECK_EQ(cfg->listeners[0].timeouts.tcp_closed, 10);
	MG_CHECK_EQ(cfg->listeners[0].timeouts.udp, 60);
	MG_CHECK(strcmp(cfg->clusters[0].port_name, "p") == 0);
	MG_CHECK_EQ(cfg->clusters[0].lb, MG_LB_MAGLEV);
	MG_CHECK_EQ(cfg->clusters[0].maglev_table_size, 65537);
	MG_CHECK_EQ(cfg->clusters[0].endpoints[0].weight, 1);
	MG_CHECK_EQ(cfg->clusters[0].health.type, MG_HEALTH_NONE);
	MG_CHECK_EQ(cfg->clusters[0].health.interval_ms, 2000);
	MG_CHECK_EQ(cfg->clusters[0].health.timeout_ms, 1000);
	MG_CHECK_EQ(cfg->clusters[0].health.healthy_threshold, 2);
	MG_CHECK_EQ(cfg->clusters[0].health.unhealthy_threshold, 3);
	MG_CHECK_EQ(cfg->clusters[0].health.port, 0);
	MG_CHECK(strcmp(cfg->logging.level, "info") == 0);
	MG_CHECK(strcmp(cfg->logging.file, "") == 0);
	MG_CHECK_EQ(cfg->logging.stats_interval_s, 10);
	MG_CHECK_EQ(cfg->n_impairments, 0);

	/* The HTTP keys, present or not. */
	const struct mg_cfg_cluster *c = &cfg->clusters[0];
	const struct mg_cfg_http *h = &cfg->listeners[0].http;

	MG_CHECK_EQ(cfg->n_routes, 0);
	MG_CHECK(cfg->routes == NULL);
	MG_CHECK_EQ(h->max_request_line, 8192);
	MG_CHECK_EQ(h->max_header_size, 32768);
	MG_CHECK_EQ(h->max_headers, 100);
	MG_CHECK_EQ(h->max_body_size, 1073741824ull);
	MG_CHECK_EQ(h->header_timeout_ms, 10000);
	MG_CHECK_EQ(h->body_timeout_ms, 30000);
	MG_CHECK_EQ(h->idle_timeout_ms, 60000);
	MG_CHECK_EQ(h->max_requests_per_conn, 0);
	MG_CHECK_EQ(h->n_trusted_proxies, 0);
	MG_CHECK(h->forwarded_headers && h->generate_request_id &&
		 h->trace_context && h->access_log);
	MG_CHECK(strcmp(h->request_id_header, "x-request-id") == 0);
	MG_CHECK_EQ(c->hash_on, MG_HASH_CLIENT_ADDRESS);
	MG_CHECK(c->hash_key[0] == '\0');
	MG_CHECK_EQ(c->ring_size, 1024);
	MG_CHECK(strcmp(c->health.path, "/health") == 0);
	MG_CHECK(c->health.host[0] == '\0');
	MG_CHECK(strcmp(c->health.expected_statuses, "200-399") == 0);
	MG_CHECK_EQ(c->outlier.consecutive_5xx, 5);
	MG_CHECK_EQ(c->outlier.consecutive_connect_failures, 5);
	MG_CHECK_EQ(c->outlier.base_ejection_ms, 30000);
	MG_CHECK_EQ(c->outlier.max_ejection_ms, 300000);
	MG_CHECK_EQ(c->outlier.max_ejection_pct, 10);
	MG_CHECK_EQ(c->breakers.max_connections, 1024);
	MG_CHECK_EQ(c->breakers.max_pending_requests, 1024);
	MG_CHECK_EQ(c->breakers.max_requests, 1024);
	MG_CHECK_EQ(c->breakers.max_retries, 3);
	MG_CHECK_EQ(c->timeouts.connect_ms, 1000);
	MG_CHECK_EQ(c->timeouts.response_ms, 15000);
	MG_CHECK_EQ(c->timeouts.idle_ms, 60000);
	MG_CHECK_EQ(c->timeouts.request_ms, 0);
	MG_CHECK_EQ(c->retry.attempts, 1);
	MG_CHECK(c->retry.on_connect_failure && c->retry.on_5xx);
	MG_CHECK_EQ(c->retry.budget_pct, 20);
	MG_CHECK_EQ(c->retry.min_retries, 3);
	MG_CHECK_EQ(c->pool.max_idle_per_endpoint, 64);
	MG_CHECK_EQ(c->pool.idle_timeout_ms, 30000);
	MG_CHECK_EQ(c->pool.max_requests_per_conn, 0);
	MG_CHECK_EQ(c->tcp.syn_backlog, 1024);
	MG_CHECK(strcmp(c->tcp.cc, "cubic") == 0);
	MG_CHECK(cfg->logging.access_log[0] == '\0');
	MG_CHECK_EQ(cfg->logging.access_log_ring, 4096);

	/* The TLS keys, though neither side has TLS here. */
	const struct mg_cfg_tls_server *ts = &cfg->listeners[0].tls;
	const struct mg_cfg_tls_client *tc = &c->tls;

	MG_CHECK_EQ(ts->n_certificates, 0);
	MG_CHECK_EQ(ts->default_certificate, 0);
	MG_CHECK_EQ(ts->min_version, MG_CFG_TLS_1_2);
	MG_CHECK_EQ(ts->max_version, MG_CFG_TLS_1_3);
	MG_CHECK(ts->ciphers[0] == '\0' && ts->ciphersuites[0] == '\0' &&
		 ts->groups[0] == '\0' && ts->sigalgs[0] == '\0');
	MG_CHECK(strcmp(ts->alpn, "http/1.1") == 0);
	MG_CHECK_EQ(ts->client_auth, MG_CFG_CLIENT_AUTH_NONE);
	MG_CHECK(ts->client_ca[0] == '\0' && ts->crl[0] == '\0' &&
		 ts->ticket_keys[0] == '\0');
	MG_CHECK_EQ(ts->verify_depth, 4);
	MG_CHECK_EQ(ts->ticket_lifetime_s, 7200);
	MG_CHECK_EQ(ts->handshake_timeout_ms, 10000);
	MG_CHECK_EQ(ts->record_path, MG_CFG_TLS_RECORD_IPSEC_MB);
	MG_CHECK_EQ(ts->record_size, 16384);
	MG_CHECK(!tc->enabled && tc->session_reuse);
	MG_CHECK(tc->cert[0] == '\0' && tc->ca[0] == '\0' && tc->sni[0] == '\0' &&
		 tc->expected_san[0] == '\0' && tc->alpn[0] == '\0');
	MG_CHECK_EQ(tc->verify_depth, 4);
	MG_CHECK_EQ(tc->min_version, MG_CFG_TLS_1_2);
	MG_CHECK_EQ(tc->max_version, MG_CFG_TLS_1_3);
	MG_CHECK_EQ(tc->handshake_timeout_ms, 10000);
	MG_CHECK_EQ(tc->record_path, MG_CFG_TLS_RECORD_IPSEC_MB);
	MG_CHECK(!mg_listener_mode_is_http(MG_MODE_TCP) &&
		 !mg_listener_mode_is_http(MG_MODE_SERVICE) &&
		 mg_listener_mode_is_http(MG_MODE_HTTP));
	mg_config_free(cfg);
}

/* What the TLS syntax checks accept and refuse; the messages are in
 * invalid/tls-*.cfg. */
static void
test_tls_syntax(void)
{
	static const char *const good_sans[] = {
		"spiffe://mesh.local/ns/lab/sa/api", "spiffe://mesh.local",
		"spiffe://a_b-c.d/x.y/Z-9_", "urn:uuid:1234", "https://a.b/c?d",
		"10.20.0.11", "fd00:20::11", "::1", "api.mesh.local", "a",
	};
	static const char *const bad_sans[] = {
		"", "[fd00::1]", "spiffe://", "spiffe://Mesh.local/a",
		"spiffe:/mesh.local/a", "spiffe://mesh.local/", "spiffe://m/a//b",
		"spiffe://m/./b", "spiffe://m/a/..", "spiffe://m/a?b", "spiffe://m/a#b",
		"spiffe://m@n/a", "1x:y", "x:", ":x", "urn:a b", "urn:\x7f",
		"*.mesh.local", "a..b", "a b", "-a.b", "10.0.0.1:80",
	};
	static const char *const good_alpn[] = {
		"", "http/1.1", "http/1.0", "http/1.1,http/1.0",
	};
	static const char *const bad_alpn[] = {
		"h2", "h2,http/1.1", "http/1.1,h2", ",", "http/1.1,", ",http/1.1",
		"http/1.1,,http/1.0", "HTTP/1.1", "http/1.1 ", "h2c", "http/2",
	};
	static const char *const good_lists[] = {
		"ECDHE+AESGCM:ECDHE+CHACHA20", "TLS_AES_128_GCM_SHA256",
		"HIGH:!aNULL:!MD5:@SECLEVEL=2", "X25519:P-256", "?X25519MLKEM768:*X25519",
		"ECDSA+SHA256:rsa_pss_rsae_sha256", "DEFAULT:-RSA",
	};
	static const char *const bad_lists[] = {
		"", "A B", "A,B", "A;B", "A\"B", "A'B", "A\tB", "\xc3\xa9",
	};

	for (size_t i = 0; i < sizeof(good_sans) / sizeof(*good_sans); i++)
		MG_CHECK(cfg_san_problem(good_sans[i]) == NULL);
	for (size_t i = 0; i < sizeof(bad_sans) / sizeof(*bad_sans); i++)
		if (cfg_san_problem(bad_sans[i]) == NULL) {
			fprintf(stderr, "SAN \"%s\" taken\n", bad_sans[i]);
			MG_CHECK(cfg_san_problem(bad_sans[i]) != NULL);
		}
	for (size_t i = 0; i < sizeof(good_alpn) / sizeof(*good_alpn); i++)
		MG_CHECK(cfg_alpn_problem(good_alpn[i]) == NULL);
	for (size_t i = 0; i < sizeof(bad_alpn) / sizeof(*bad_alpn); i++)
		MG_CHECK(cfg_alpn_problem(bad_alpn[i]) != NULL);
	MG_CHECK(strstr(cfg_alpn_problem("http/1.1,h2"), "HTTP/2") != NULL);
	for (size_t i = 0; i < sizeof(good_lists) / sizeof(*good_lists); i++)
		MG_CHECK(cfg_ossl_list_problem(good_lists[i]) == NULL);
	for (size_t i = 0; i < sizeof(bad_lists) / sizeof(*bad_lists); i++)
		MG_CHECK(cfg_ossl_list_problem(bad_lists[i]) != NULL);
	MG_CHECK(cfg_sni_problem("api.mesh.local") == NULL);
	MG_CHECK(cfg_sni_problem("10.0.0.1") != NULL);
	MG_CHECK(cfg_sni_problem("fd00::1") != NULL);
	MG_CHECK(cfg_sni_problem("[fd00::1]") != NULL);
	MG_CHECK(cfg_sni_problem("a.b:443") != NULL);
	MG_CHECK(cfg_sni_problem("*.b") != NULL);
	MG_CHECK(cfg_sni_problem("") != NULL);
}

/* Write TEXT to DIR/NAME. */
static bool
write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	MG_CHECK(f != NULL);
	if (f == NULL)
		return false;
	ok = fputs(text, f) >= 0;
	ok &= fclose(f) == 0;
	MG_CHECK(ok);
	return ok;
}

/*
 * Files a configuration names are found from its own directory, whatever
 * the working directory, and stored that way; an absolute path is kept as
 * it is; a path that no longer fits once joined is refused, not cut.
 */
static void
test_tls_paths(void)
{
	static const char head[] =
		"ports = ( { name = \"p\"; device = \"net_null0\";\n"
		"  addresses = ( \"192.0.2.1/24\" ); } );\n"
		"listeners = ( { name = \"l\"; mode = \"https\";\n"
		"  address = \"192.0.2.10\"; listen_port = 443;\n"
		"  tls = { certificates = ( { cert = \"pki/a.crt\"; key = \"%s\"; } ); }; } );\n"
		"clusters = ( { name = \"c\"; lb = \"random\"; endpoints = (\n"
		"  { address = \"192.0.2.20\"; port = 8443; } );\n"
		"  tls = { enabled = true; ca = \"%s\"; }; } );\n"
		"routes = ( { name = \"r\"; cluster = \"c\"; } );\n";
	char dir[] = "/tmp/mg-test-cfg-XXXXXX", sub[512], abs_key[600], text[2048];
	char path[700], exp[1024], long_dir[512], *out = NULL;
	struct mg_config *cfg;
	unsigned n;

	MG_CHECK(mkdtemp(dir) != NULL);
	snprintf(sub, sizeof(sub), "%s/pki", dir);
	MG_CHECK(mkdir(sub, 0700) == 0);
	snprintf(abs_key, sizeof(abs_key), "%s/pki/a.key", dir);
	snprintf(text, sizeof(text), head, abs_key, "pki/ca.crt");
	if (!write_file(dir, "m.cfg", text) || !write_file(sub, "a.crt", "") ||
	    !write_file(sub, "a.key", "") || !write_file(sub, "ca.crt", ""))
		goto out;
	snprintf(path, sizeof(path), "%s/m.cfg", dir);
	cfg = load(path, &out, &n);
	if (out != NULL && out[0] != '\0')
		fprintf(stderr, "unexpected messages:\n%s", out);
	MG_CHECK(cfg != NULL);
	if (cfg != NULL) {
		snprintf(exp, sizeof(exp), "%s/pki/a.crt", dir);
		MG_CHECK(strcmp(cfg->listeners[0].tls.certificates[0].cert, exp) == 0);
		MG_CHECK(strcmp(cfg->listeners[0].tls.certificates[0].key, abs_key) == 0);
		snprintf(exp, sizeof(exp), "%s/pki/ca.crt", dir);
		MG_CHECK(strcmp(cfg->clusters[0].tls.ca, exp) == 0);
	}
	mg_config_free(cfg);
	free(out);
	out = NULL;

	/* The same file from a directory whose name leaves no room. */
	memset(long_dir, 'd', 240);
	snprintf(long_dir + 240, sizeof(long_dir) - 240, "%s", "");
	snprintf(sub, sizeof(sub), "%s/%s", dir, long_dir);
	MG_CHECK(mkdir(sub, 0700) == 0);
	snprintf(text, sizeof(text), head, abs_key, "../pki/ca.crt");
	if (!write_file(sub, "m.cfg", text))
		goto out_sub;
	snprintf(path, sizeof(path), "%s/m.cfg", sub);
	cfg = load(path, &out, &n);
	MG_CHECK(cfg == NULL);
	MG_CHECK_EQ(n, 2);	/* pki/a.crt and ../pki/ca.crt */
	MG_CHECK(out != NULL && strstr(out, "listeners[0].tls.certificates[0].cert: "
		 "\"pki/a.crt\" as \"") != NULL);
	MG_CHECK(out != NULL && strstr(out, "is too long (expected at most 255 "
		 "characters once joined to the configuration's directory)") != NULL);
	MG_CHECK(out != NULL && strstr(out, "clusters[0].tls.ca: ") != NULL);
	free(out);
	unlink(path);
out_sub:
	rmdir(sub);
out:
	snprintf(path, sizeof(path), "%s/pki/a.crt", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/pki/a.key", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/pki/ca.crt", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/m.cfg", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/pki", dir);
	MG_CHECK(rmdir(path) == 0);
	MG_CHECK(rmdir(dir) == 0);
}

static void
test_unreadable(void)
{
	char *out = NULL;
	unsigned n = 0;

	MG_CHECK(load("/nonexistent/mg.cfg", &out, &n) == NULL);
	MG_CHECK_EQ(n, 1);
	MG_CHECK(out != NULL && strcmp(out, "/nonexistent/mg.cfg: cannot open: "
		 "No such file or directory (expected a readable configuration "
		 "file)\n") == 0);
	free(out);
	/* No stream for messages, no count: still just NULL. */
	MG_CHECK(mg_config_load("/nonexistent/mg.cfg", NULL, NULL) == NULL);
	mg_config_free(NULL);
}

struct doc_arg {
	const char *sample;
	unsigned keys;
};

/* Every key appears in the sample as "# PATH: SUMMARY", the summary being
 * what the schema says: type, range, default, reloadable. */
static void
check_documented(const char *path, void *arg)
{
	struct doc_arg *da = arg;
	char summary[256], line[512];

	da->keys++;
	MG_CHECK_EQ(mg_config_schema_summary(path, summary, sizeof(summary)), 0);
	snprintf(line, sizeof(line), "# %s: %s\n", path, summary);
	if (strstr(da->sample, line) == NULL) {
		fprintf(stderr, "sample does not document %s as: %s", path, line);
		MG_CHECK(strstr(da->sample, line) != NULL);
	}
}

static void
test_sample_documents_schema(const char *dir)
{
	char path[512], buf[64];
	struct doc_arg da = { NULL, 0 };

	snprintf(path, sizeof(path), "%s/meshgate.cfg.sample", dir);
	da.sample = read_all(path);
	MG_CHECK(da.sample != NULL);
	if (da.sample == NULL)
		return;
	mg_config_schema_foreach(check_documented, &da);
	MG_CHECK(da.keys >= 60);
	MG_CHECK_EQ(mg_config_schema_summary("ports.nope", buf, sizeof(buf)),
		    -ENOENT);
	free((char *)da.sample);
}

static int
is_cfg(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 4 && strcmp(d->d_name + n - 4, ".cfg") == 0;
}

/* The "// expect: " lines at the top of a file, as one text. */
static char *
expected_of(const char *name)
{
	char *text = read_all(name), *exp = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *m;

	if (text == NULL)
		return NULL;
	m = open_memstream(&exp, &len);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "// expect: ", 11) != 0)
			break;
		fprintf(m, "%s\n", line + 11);
	}
	fclose(m);
	free(text);
	return exp;
}

static void
test_invalid(const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, is_cfg, alphasort);
	char cwd[4096];

	MG_CHECK(n >= 25);
	MG_CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	MG_CHECK(chdir(dir) == 0);
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		char *exp = expected_of(name), *out = NULL;
		unsigned n_exp = 0, n_err = 0;
		struct mg_config *cfg = load(name, &out, &n_err);

		for (const char *c = exp; c != NULL && *c != '\0'; c++)
			n_exp += *c == '\n';
		MG_CHECK(n_exp > 0);
		MG_CHECK(cfg == NULL);
		MG_CHECK_EQ(n_err, n_exp);
		if (exp == NULL || out == NULL || strcmp(exp, out) != 0) {
			fprintf(stderr, "%s: messages differ\n--- expected\n%s"
				"--- got\n%s", name, exp ? exp : "", out ? out : "");
			MG_CHECK(exp != NULL && out != NULL && strcmp(exp, out) == 0);
		}
		mg_config_free(cfg);
		free(exp);
		free(out);
		free(names[i]);
	}
	free(names);
	MG_CHECK(chdir(cwd) == 0);
	printf("test_cfg: %d invalid files checked\n", n);
}

int
main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s CFG_DIR INVALID_DIR\n", argv[0]);
		return EXIT_FAILURE;
	}
	char path[512];

	/* The sample itself is loaded as a copy (see sample_copy_make). */
	for (const char *const *f = (const char *const[]){ "lab-l4.cfg",
	     "lab-tcp.cfg", "lab-http.cfg", NULL }; *f != NULL; f++) {
		snprintf(path, sizeof(path), "%s/%s", argv[1], *f);
		test_valid(path);
	}
	test_lab(argv[1]);
	test_defaults();
	test_sample_http(argv[1]);
	test_many_routes();
	test_http_vars();
	test_http_syntax();
	test_tls_syntax();
	test_tls_paths();
	test_unreadable();
	test_sample_documents_schema(argv[1]);
	test_invalid(argv[2]);
	return mg_test_done("test_cfg");
}
