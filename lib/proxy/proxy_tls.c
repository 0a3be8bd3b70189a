/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A worker's TLS contexts: one per https listener and one per TLS cluster,
 * on this worker's own TLS state (contexts are never shared between
 * lcores), built from the configuration's file names.
 *
 * Reload (mg_proxy_tls_reload, on a signal): every context is built again
 * from the files as they are now, all or nothing; new connections take the
 * new ones and connections in progress keep the ones they began with
 * (contexts are reference counted by their connections). The replaced
 * context is kept one more reload so that what its connections still do
 * is counted.
 *
 * Counters: lib/tls counts in each context; the worker publishes the sums
 * every PUBLISH_US for the telemetry on the main lcore, which must never
 * touch a context a reload may be freeing.
 */
#include <stdio.h>
#include <string.h>

#include <rte_malloc.h>

#include "mg_counters.h"
#include "mg_tls.h"
#include "proxy_internal.h"

#define PUBLISH_US 100000

static struct mg_tls_server *
server_create(struct mg_proxy *px, uint32_t l)
{
	const struct mg_cfg_listener *cl = &px->cfg->listeners[l];
	const struct mg_cfg_tls_server *t = &cl->tls;
	struct mg_tls_cert_params certs[MG_MAX_TLS_CERTS];
	struct mg_tls_server_params sp;

	memset(&sp, 0, sizeof(sp));
	for (uint32_t i = 0; i < t->n_certificates; i++) {
		certs[i].cert_file = t->certificates[i].cert;
		certs[i].key_file = t->certificates[i].key;
		certs[i].ocsp_file = t->certificates[i].ocsp[0]
			? t->certificates[i].ocsp : NULL;
	}
#define OPT(str) ((str)[0] != '\0' ? (str) : NULL)
	sp.name = cl->name;
	sp.certs = certs;
	sp.n_certs = t->n_certificates;
	sp.default_cert = t->default_certificate;
	sp.min_version = (uint16_t)t->min_version;
	sp.max_version = (uint16_t)t->max_version;
	sp.ciphers = OPT(t->ciphers);
	sp.ciphersuites = OPT(t->ciphersuites);
	sp.groups = OPT(t->groups);
	sp.sigalgs = OPT(t->sigalgs);
	sp.alpn = OPT(t->alpn);
	sp.client_auth = (enum mg_tls_client_auth)t->client_auth;
	sp.client_ca_file = OPT(t->client_ca);
	sp.crl_file = OPT(t->crl);
	sp.verify_depth = t->verify_depth == 0 ? MG_TLS_DEPTH_DIRECT
					       : (int)t->verify_depth;
	sp.ticket_key_file = OPT(t->ticket_keys);
	sp.ticket_lifetime_s = t->ticket_lifetime_s;
	sp.handshake_timeout_ms = t->handshake_timeout_ms;
	sp.record_path = t->record_path == MG_CFG_TLS_RECORD_OPENSSL
		? MG_TLS_RECORD_OPENSSL : MG_TLS_RECORD_IPSEC_MB;
	sp.record_size = t->record_size;
	return mg_tls_server_create(px->tls_lcore, &sp, px->tls_err,
				    sizeof(px->tls_err));
}

static struct mg_tls_client *
client_create(struct mg_proxy *px, uint32_t ci)
{
	const struct mg_cfg_tls_client *t = &px->cfg->clusters[ci].tls;
	struct mg_tls_client_params cp;

	memset(&cp, 0, sizeof(cp));
	cp.cert_file = OPT(t->cert);
	cp.key_file = OPT(t->key);
	cp.ca_file = OPT(t->ca);
	cp.crl_file = OPT(t->crl);
	cp.verify_depth = t->verify_depth == 0 ? MG_TLS_DEPTH_DIRECT
					       : (int)t->verify_depth;
	cp.sni = OPT(t->sni);
	cp.expected_san = OPT(t->expected_san);
	cp.min_version = (uint16_t)t->min_version;
	cp.max_version = (uint16_t)t->max_version;
	cp.ciphers = OPT(t->ciphers);
	cp.ciphersuites = OPT(t->ciphersuites);
	cp.alpn = OPT(t->alpn);
	cp.session_slots = px->clusters[ci].tls_session_slots;
	cp.handshake_timeout_ms = t->handshake_timeout_ms;
	cp.record_path = t->record_path == MG_CFG_TLS_RECORD_OPENSSL
		? MG_TLS_RECORD_OPENSSL : MG_TLS_RECORD_IPSEC_MB;
#undef OPT
	return mg_tls_client_create(px->tls_lcore, &cp, px->tls_err,
				    sizeof(px->tls_err));
}

static bool
is_https(const struct mg_proxy *px, uint32_t l)
{
	return px->cfg->listeners[l].mode == MG_MODE_HTTPS;
}

static bool
is_tls_cluster(const struct mg_proxy *px, uint32_t ci)
{
	return px->cfg->clusters[ci].tls.enabled;
}

/* Every context anew from the files, into srv[] and cli[]; all or none. */
static int
build_all(struct mg_proxy *px, struct mg_tls_server **srv,
	  struct mg_tls_client **cli)
{
	const struct mg_config *cfg = px->cfg;
	uint32_t l, ci;

	for (l = 0; l < cfg->n_listeners; l++)
		if (is_https(px, l) && (srv[l] = server_create(px, l)) == NULL)
			goto fail;
	for (ci = 0; ci < cfg->n_clusters; ci++)
		if (is_tls_cluster(px, ci) &&
		    (cli[ci] = client_create(px, ci)) == NULL)
			goto fail;
	return 0;
fail:
	for (uint32_t i = 0; i < cfg->n_listeners; i++) {
		mg_tls_server_free(srv[i]);
		srv[i] = NULL;
	}
	for (uint32_t i = 0; i < cfg->n_clusters; i++) {
		mg_tls_client_free(cli[i]);
		cli[i] = NULL;
	}
	return -1;
}

int
px_tls_init(struct mg_proxy *px)
{
	const struct mg_config *cfg = px->cfg;
	struct mg_tls_server *srv[MG_MAX_LISTENERS] = { NULL };
	struct mg_tls_client *cli[MG_MAX_CLUSTERS] = { NULL };
	uint32_t n = cfg->n_listeners + cfg->n_clusters;
	bool any = false;

	for (uint32_t l = 0; l < cfg->n_listeners; l++)
		any |= is_https(px, l);
	for (uint32_t ci = 0; ci < cfg->n_clusters; ci++)
		any |= is_tls_cluster(px, ci);
	if (!any)
		return 0;
	px->tls_base = rte_zmalloc("mg_proxy_tls_stats",
				   2 * n * sizeof(*px->tls_base), 0);
	if (px->tls_base == NULL) {
		snprintf(px->tls_err, sizeof(px->tls_err), "no memory");
		return -1;
	}
	px->tls_pub = px->tls_base + n;

	struct mg_tls_lcore_params lp = { .shared_libctx = false };

	px->tls_lcore = mg_tls_lcore_create(&lp, px->tls_err, sizeof(px->tls_err));
	if (px->tls_lcore == NULL)
		return -1;
	for (uint32_t ci = 0; ci < cfg->n_clusters; ci++)
		if (is_tls_cluster(px, ci) && cfg->clusters[ci].tls.session_reuse)
			px->clusters[ci].tls_session_slots = px->clusters[ci].n_ep;
	if (build_all(px, srv, cli) != 0)
		return -1;
	for (uint32_t l = 0; l < cfg->n_listeners; l++)
		px->listeners[l].tls = srv[l];
	for (uint32_t ci = 0; ci < cfg->n_clusters; ci++)
		px->clusters[ci].tls = cli[ci];
	return 0;
}

void
px_tls_free(struct mg_proxy *px)
{
	for (uint32_t l = 0; l < MG_MAX_LISTENERS; l++) {
		mg_tls_server_free(px->listeners[l].tls);
		mg_tls_server_free(px->listeners[l].tls_old);
		px->listeners[l].tls = px->listeners[l].tls_old = NULL;
	}
	for (uint32_t ci = 0; ci < MG_MAX_CLUSTERS; ci++) {
		mg_tls_client_free(px->clusters[ci].tls);
		mg_tls_client_free(px->clusters[ci].tls_old);
		px->clusters[ci].tls = px->clusters[ci].tls_old = NULL;
	}
	mg_tls_lcore_free(px->tls_lcore);
	px->tls_lcore = NULL;
	rte_free(px->tls_base);
	px->tls_base = px->tls_pub = NULL;
}

static void
server_sum(const struct mg_tls_server *s, struct mg_tls_stats *sum)
{
	struct mg_tls_stats st;

	if (s == NULL)
		return;
	mg_tls_server_stats(s, &st);
	MG_COUNTERS_ADD(sum, &st);
}

static void
client_sum(const struct mg_tls_client *c, struct mg_tls_stats *sum)
{
	struct mg_tls_stats st;

	if (c == NULL)
		return;
	mg_tls_client_stats(c, &st);
	MG_COUNTERS_ADD(sum, &st);
}

static void
publish_now(struct mg_proxy *px)
{
	const struct mg_config *cfg = px->cfg;

	for (uint32_t l = 0; l < cfg->n_listeners; l++) {
		struct mg_tls_stats sum = px->tls_base[l];

		server_sum(px->listeners[l].tls, &sum);
		server_sum(px->listeners[l].tls_old, &sum);
		px->tls_pub[l] = sum;
	}
	for (uint32_t ci = 0; ci < cfg->n_clusters; ci++) {
		uint32_t i = cfg->n_listeners + ci;
		struct mg_tls_stats sum = px->tls_base[i];

		client_sum(px->clusters[ci].tls, &sum);
		client_sum(px->clusters[ci].tls_old, &sum);
		px->tls_pub[i] = sum;
	}
	px->tls_published_us = px->now_us;
}

void
px_tls_publish(struct mg_proxy *px)
{
	if (px->tls_pub != NULL &&
	    px->now_us - px->tls_published_us >= PUBLISH_US)
		publish_now(px);
}

int
mg_proxy_tls_reload(struct mg_proxy *px, char *err, size_t err_len)
{
	const struct mg_config *cfg = px->cfg;
	struct mg_tls_server *srv[MG_MAX_LISTENERS] = { NULL };
	struct mg_tls_client *cli[MG_MAX_CLUSTERS] = { NULL };

	if (px->tls_lcore == NULL)
		return 0;		/* nothing uses TLS */
	if (build_all(px, srv, cli) != 0) {
		px->st.tls_reload_failures++;
		snprintf(err, err_len, "%s", px->tls_err);
		return -1;
	}
	/* The context two reloads old goes now: its count joins the base. */
	for (uint32_t l = 0; l < cfg->n_listeners; l++) {
		struct px_listener *pl = &px->listeners[l];

		if (srv[l] == NULL)
			continue;
		server_sum(pl->tls_old, &px->tls_base[l]);
		mg_tls_server_free(pl->tls_old);
		pl->tls_old = pl->tls;
		pl->tls = srv[l];
	}
	for (uint32_t ci = 0; ci < cfg->n_clusters; ci++) {
		struct px_cluster *c = &px->clusters[ci];

		if (cli[ci] == NULL)
			continue;
		client_sum(c->tls_old, &px->tls_base[cfg->n_listeners + ci]);
		mg_tls_client_free(c->tls_old);
		c->tls_old = c->tls;
		c->tls = cli[ci];
	}
	px->st.tls_reloads++;
	publish_now(px);
	return 0;
}

static void
published(const struct mg_proxy *px, uint32_t i, struct mg_tls_stats *st)
{
	if (px->tls_pub == NULL)
		memset(st, 0, sizeof(*st));
	else
		*st = px->tls_pub[i];
}

void
mg_proxy_tls_listener_stats(const struct mg_proxy *px, uint32_t listener,
			    struct mg_tls_stats *st)
{
	if (listener >= px->cfg->n_listeners || !is_https(px, listener))
		memset(st, 0, sizeof(*st));
	else
		published(px, listener, st);
}

void
mg_proxy_tls_cluster_stats(const struct mg_proxy *px, uint32_t cluster,
			   struct mg_tls_stats *st)
{
	if (cluster >= px->cfg->n_clusters || !is_tls_cluster(px, cluster))
		memset(st, 0, sizeof(*st));
	else
		published(px, px->cfg->n_listeners + cluster, st);
}
