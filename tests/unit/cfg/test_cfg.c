/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lib/cfg: the sample and the lab configuration load cleanly, the sample
 * documents every key of the schema as the schema has it, defaults land,
 * references resolve, and every file of invalid/ gives exactly the messages
 * its "// expect: " lines list.
 *
 * Usage: test_cfg CFG_DIR INVALID_DIR
 * Invalid files are loaded from INVALID_DIR by their base name, so the
 * messages name them as "file.cfg:LINE: ...".
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mg_test.h"
#include "mg_cfg.h"

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
	size_t len = 0;
	FILE *m = open_memstream(out, &len);
	struct mg_config *cfg = mg_config_load(path, m, n);

	fclose(m);
	return cfg;
}

static void
test_valid(const char *dir, const char *name)
{
	char path[512], *out = NULL;
	unsigned n = 99;
	struct mg_config *cfg;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	cfg = load(path, &out, &n);
	MG_CHECK(cfg != NULL);
	MG_CHECK_EQ(n, 0);
	if (out != NULL && out[0] != '\0')
		fprintf(stderr, "%s: unexpected messages:\n%s", path, out);
	MG_CHECK(out != NULL && out[0] == '\0');
	free(out);
	mg_config_free(cfg);
}

static void
test_lab(const char *dir)
{
	char path[512], *out = NULL, a[MG_IP_STRLEN];
	unsigned n;
	struct mg_config *cfg;

	snprintf(path, sizeof(path), "%s/lab-l4.cfg", dir);
	cfg = load(path, &out, &n);
	free(out);
	MG_CHECK(cfg != NULL);
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
	int fd = mkstemp(path);

	MG_CHECK(fd >= 0);
	if (fd < 0)
		return;
	MG_CHECK(write(fd, text, sizeof(text) - 1) == (ssize_t)(sizeof(text) - 1));
	close(fd);
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
	mg_config_free(cfg);
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
	test_valid(argv[1], "meshgate.cfg.sample");
	test_valid(argv[1], "lab-l4.cfg");
	test_lab(argv[1]);
	test_defaults();
	test_unreadable();
	test_sample_documents_schema(argv[1]);
	test_invalid(argv[2]);
	return mg_test_done("test_cfg");
}
