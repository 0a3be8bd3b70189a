/* SPDX-License-Identifier: Apache-2.0 */
/*
 * meshgate: the appliance.
 *
 *   meshgate -c FILE                 run in the foreground
 *   meshgate --check-config FILE     check a configuration and exit
 *
 * The configuration is checked completely before any device is touched: a
 * bad file stops start-up with every error as FILE:LINE: message.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>

#include "mg_cfg.h"
#include "mg_dataplane.h"

static struct mg_dataplane *running;

static void
on_signal(int sig)
{
	if (running == NULL)
		return;
	if (sig == SIGHUP) {
		mg_dataplane_reopen_logs(running);	/* log rotation */
		mg_dataplane_reload_tls(running);	/* renewed certificates */
	}
	else
		mg_dataplane_stop(running);
}

static void
print_line(const char *line, void *arg)
{
	fprintf(arg, "%s\n", line);
}

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: meshgate -c FILE        run the appliance in the foreground\n"
		"       meshgate --check-config FILE\n"
		"                               check a configuration file and exit\n"
		"       meshgate --print-eal-args FILE\n"
		"                               show the EAL arguments FILE gives\n"
		"       meshgate -h | --help\n");
}

static struct mg_config *
load(const char *path)
{
	unsigned n_errors = 0;
	char *errors = NULL;
	struct mg_config *cfg = mg_config_load(path, &errors, &n_errors);

	if (errors != NULL)
		fputs(errors, stderr);
	free(errors);
	if (cfg == NULL)
		fprintf(stderr, "%s: %u error%s\n", path, n_errors,
			n_errors == 1 ? "" : "s");
	return cfg;
}

static int
check_config(const char *path)
{
	struct mg_config *cfg = load(path);

	if (cfg == NULL)
		return EXIT_FAILURE;
	printf("%s: OK (%u ports, %u listeners, %u clusters)\n", path,
	       cfg->n_ports, cfg->n_listeners, cfg->n_clusters);
	mg_config_free(cfg);
	return EXIT_SUCCESS;
}

static int
open_log(const struct mg_config *cfg)
{
	FILE *f;

	if (cfg->logging.file[0] == '\0')
		return 0;
	f = fopen(cfg->logging.file, "a");
	if (f == NULL) {
		fprintf(stderr, "meshgate: cannot open log file %s: %s\n",
			cfg->logging.file, strerror(errno));
		return -1;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	rte_openlog_stream(f);
	return 0;
}

static int
run(const char *path, bool print_only)
{
	struct mg_config *cfg = load(path);
	struct mg_eal_args eal;
	struct mg_dataplane *dp;
	char note[256], err[256];
	int rc;

	if (cfg == NULL)
		return EXIT_FAILURE;
	if (mg_eal_args_build(cfg, "meshgate", &eal, note, sizeof(note)) != 0) {
		fprintf(stderr, "meshgate: too many EAL arguments\n");
		goto fail_cfg;
	}
	if (print_only) {
		for (int i = 1; i < eal.argc; i++)
			printf("%s%s", eal.argv[i], i + 1 < eal.argc ? " " : "\n");
		mg_config_free(cfg);
		return EXIT_SUCCESS;
	}
	if (note[0] != '\0')
		fprintf(stderr, "meshgate: %s\n", note);

	if (rte_eal_init(eal.argc, eal.argv) < 0) {
		fprintf(stderr, "meshgate: EAL initialisation failed: %s "
			"(see the EAL messages above)\n",
			rte_errno ? rte_strerror(rte_errno) : "no reason given");
		goto fail_cfg;
	}
	if (open_log(cfg) != 0)
		goto fail_eal;

	dp = mg_dataplane_create(cfg, err, sizeof(err));
	if (dp == NULL) {
		fprintf(stderr, "meshgate: %s\n", err);
		goto fail_eal;
	}
	running = dp;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	fprintf(stderr, "meshgate: ready: %u ports, %u listeners, %u clusters, "
		"%u workers (config %s)\n", cfg->n_ports, cfg->n_listeners,
		cfg->n_clusters, cfg->dataplane.workers, path);

	rc = mg_dataplane_run(dp);
	fprintf(stderr, "meshgate: stopping\n");
	mg_dataplane_stats(dp, print_line, stderr);
	running = NULL;
	mg_dataplane_free(dp);
	rte_eal_cleanup();
	mg_config_free(cfg);
	return rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE;

fail_eal:
	rte_eal_cleanup();
fail_cfg:
	mg_config_free(cfg);
	return EXIT_FAILURE;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", required_argument, NULL, 'k' },
		{ "print-eal-args", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			return run(optarg, false);
		case 'k':
			return check_config(optarg);
		case 'e':
			return run(optarg, true);
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return 2;
		}
	}
	usage(stderr);
	return 2;
}
