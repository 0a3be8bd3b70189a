/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target of the configuration loader: any bytes, as a file, must
 * give either a configuration or error messages, never a crash, a leak or
 * undefined behaviour; a configuration that loads keeps the promises of
 * mg_cfg.h. Paths of TLS files are looked up (stat, open for reading):
 * the TLS seeds name /etc/passwd, a file any Linux has.
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
	char *text = NULL;
	unsigned n;

	if (memfd < 0) {
		memfd = memfd_create("mg-fuzz-cfg", 0);
		if (memfd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	}
	if (size > 1 << 20 || has_include(data, size))
		return -1;
	if (ftruncate(memfd, 0) != 0 ||
	    pwrite(memfd, data, size, 0) != (ssize_t)size)
		abort();

	cfg = mg_config_load(path, &text, &n);
	if ((cfg == NULL) == (n == 0))
		abort();
	/* a refusal says why: one line per error */
	if (cfg == NULL && text != NULL && text[0] == '\0')
		abort();
	free(text);
	if (cfg != NULL) {
		uint64_t http = 0, client_auth = 0;

		for (uint32_t i = 0; i < cfg->n_listeners; i++) {
			const struct mg_cfg_listener *l = &cfg->listeners[i];
			const struct mg_cfg_tls_server *t = &l->tls;
			bool l4 = l->mode == MG_MODE_TCP || l->mode == MG_MODE_UDP;

			if (mg_listener_mode_is_http(l->mode))
				http |= 1ull << i;
			if (l->mode == MG_MODE_HTTPS &&
			    t->client_auth != MG_CFG_CLIENT_AUTH_NONE)
				client_auth |= 1ull << i;
			/* TLS: certificates, a default among them, versions in
			 * order, a CA exactly when client certificates are
			 * asked for. */
			if (l->mode == MG_MODE_HTTPS &&
			    (t->n_certificates < 1 ||
			     t->n_certificates > MG_MAX_TLS_CERTS ||
			     t->default_certificate < -1 ||
			     t->default_certificate >= (int32_t)t->n_certificates ||
			     t->min_version > t->max_version ||
			     (t->client_ca[0] != '\0') !=
			     (t->client_auth != MG_CFG_CLIENT_AUTH_NONE)))
				abort();
			if (l4 && l->cluster_idx < cfg->n_clusters &&
			    cfg->clusters[l->cluster_idx].tls.enabled)
				abort();
			/* Only the L4 modes have a cluster, and it is Maglev. */
			if (l->port_idx >= cfg->n_ports ||
			    (l4 && (l->cluster_idx >= cfg->n_clusters ||
				    mg_config_cluster_index(cfg, l->cluster_name) !=
				    (int)l->cluster_idx ||
				    cfg->clusters[l->cluster_idx].lb != MG_LB_MAGLEV)) ||
			    (!l4 && l->cluster_name[0] != '\0'))
				abort();
		}
		for (uint32_t i = 0; i < cfg->n_routes; i++) {
			const struct mg_cfg_route *r = &cfg->routes[i];
			unsigned actions = (r->cluster_name[0] != '\0') +
				(r->n_splits > 0) + (r->direct.status != 0) +
				(r->redirect.status != 0);

			if ((r->require_client_cert || r->client_cert.subject[0] != '\0' ||
			     r->client_cert.san[0] != '\0') &&
			    (r->listener_mask & client_auth) == 0)
				abort();
			if (actions != 1 || r->listener_mask == 0 ||
			    (r->listener_mask & ~http) != 0 ||
			    (r->cluster_name[0] != '\0' &&
			     mg_config_cluster_index(cfg, r->cluster_name) !=
			     (int)r->cluster_idx))
				abort();
			for (uint32_t s = 0; s < r->n_splits; s++)
				if (mg_config_cluster_index(cfg, r->splits[s].cluster_name) !=
				    (int)r->splits[s].cluster_idx)
					abort();
		}
		for (uint32_t i = 0; i < cfg->n_clusters; i++) {
			const struct mg_cfg_tls_client *t = &cfg->clusters[i].tls;

			if (cfg->clusters[i].port_idx >= cfg->n_ports ||
			    mg_config_port_index(cfg, cfg->clusters[i].port_name) !=
			    (int)cfg->clusters[i].port_idx ||
			    (t->enabled && t->ca[0] == '\0') ||
			    (t->cert[0] == '\0') != (t->key[0] == '\0'))
				abort();
		}
	}
	mg_config_free(cfg);
	return 0;
}
