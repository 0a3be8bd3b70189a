/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_DATAPLANE_H
#define MG_DATAPLANE_H

/*
 * The data plane: DPDK ports, the worker lcores that poll them and run the
 * pipeline, and the control loop on the main lcore (neighbour resolution,
 * health checks, table rebuilds, statistics).
 *
 * Life cycle, as app/meshgate drives it:
 *   mg_eal_args_build() -> rte_eal_init() -> mg_dataplane_create()
 *   -> mg_dataplane_run() (returns after mg_dataplane_stop())
 *   -> mg_dataplane_stats() -> mg_dataplane_free()
 */

#include <stdio.h>

#include "mg_cfg.h"

struct mg_dataplane;

/* Room for the EAL arguments mg_eal_args_build() produces. */
#define MG_EAL_MAX_ARGS 64

struct mg_eal_args {
	int argc;
	char *argv[MG_EAL_MAX_ARGS + 1];
	char storage[8192];
	size_t used;
};

/**
 * Build the EAL command line from the configuration: lcores (one main and
 * cfg->dataplane.workers workers, pinned to the configured CPUs when there
 * are enough of them, floating over them otherwise), devices (-a for PCI,
 * --vdev for virtual devices, with af_packet given one queue pair per
 * worker), memory (hugepages, or --no-huge when disabled or none are free),
 * the file prefix, the log level, then the configured extra arguments.
 *
 * @param argv0 program name for argv[0].
 * @param note  receives a one-line remark when a fallback was taken
 *              (e.g. no free hugepages), or "" (may be NULL).
 * @return 0, or -E2BIG when the arguments do not fit.
 */
int mg_eal_args_build(const struct mg_config *cfg, const char *argv0,
		      struct mg_eal_args *out, char *note, size_t note_len);

/**
 * Set up ports, queues, per-lcore state, rings and telemetry after
 * rte_eal_init(). The configuration must stay alive until
 * mg_dataplane_free().
 *
 * @return the data plane, or NULL with rte_errno set; @p err receives a
 *         readable reason.
 */
struct mg_dataplane *mg_dataplane_create(const struct mg_config *cfg,
					 char *err, size_t err_len);

/**
 * Start the workers and run the control loop on the calling (main) lcore
 * until mg_dataplane_stop() is called; then stop the workers (each drains
 * what it holds) and the ports.
 * @return 0, or -errno when a worker could not be launched.
 */
int mg_dataplane_run(struct mg_dataplane *dp);

/** Ask the data plane to stop; safe to call from a signal handler. */
void mg_dataplane_stop(struct mg_dataplane *dp);

/** Reopen the access log (after rotation); safe from a signal handler. */
void mg_dataplane_reopen_logs(struct mg_dataplane *dp);

/**
 * Have every worker build its TLS contexts again from the files the
 * configuration names (see mg_proxy_tls_reload(): connections in progress
 * keep theirs; on an error the old ones stay). The main lcore logs each
 * worker's result. Safe from a signal handler.
 */
void mg_dataplane_reload_tls(struct mg_dataplane *dp);

/** Receives one line of text (no newline) from mg_dataplane_stats(). */
typedef void (*mg_dataplane_line_fn)(const char *line, void *arg);

/** Port, lcore, listener, endpoint, TCP and drop counters, as lines of
 *  text handed to @p emit one by one. */
void mg_dataplane_stats(const struct mg_dataplane *dp, mg_dataplane_line_fn emit,
			void *arg);

/** Close the ports and release everything. */
void mg_dataplane_free(struct mg_dataplane *dp);

#endif /* MG_DATAPLANE_H */
