/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target of the configuration loader: any bytes, as a file, must
 * give either a configuration or error messages, never a crash, a leak or
 * undefined behaviour.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mg_cfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int memfd = -1;
static char path[64];
static FILE *sink;

/* @include would read other files: /dev/zero and the like never end. */
static bool
has_include(const uint8_t *data, size_t size)
{
	static const char word[] = "@include";
	size_t n = sizeof(word) - 1;

	for (size_t i = 0; i + n <= size; i++)
		if (strncasecmp((const char *)data + i, word, n) == 0)
			return true;
	return false;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_config *cfg;
	unsigned n;

	if (memfd < 0) {
		memfd = memfd_create("mg-fuzz-cfg", 0);
		if (memfd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
		sink = fopen("/dev/null", "w");
	}
	if (size > 1 << 20 || has_include(data, size))
		return -1;
	if (ftruncate(memfd, 0) != 0 ||
	    pwrite(memfd, data, size, 0) != (ssize_t)size)
		abort();

	cfg = mg_config_load(path, sink, &n);
	if ((cfg == NULL) == (n == 0))
		abort();
	if (cfg != NULL) {
		for (uint32_t i = 0; i < cfg->n_listeners; i++)
			if (cfg->listeners[i].port_idx >= cfg->n_ports ||
			    cfg->listeners[i].cluster_idx >= cfg->n_clusters ||
			    mg_config_cluster_index(cfg, cfg->listeners[i].cluster_name) !=
			    (int)cfg->listeners[i].cluster_idx)
				abort();
		for (uint32_t i = 0; i < cfg->n_clusters; i++)
			if (cfg->clusters[i].port_idx >= cfg->n_ports ||
			    mg_config_port_index(cfg, cfg->clusters[i].port_name) !=
			    (int)cfg->clusters[i].port_idx)
				abort();
	}
	mg_config_free(cfg);
	return 0;
}
