/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Active HTTP health checks, run from a worker's TCP stack: the main
 * lcore's scheduler (lib/health) decides when a target is probed and keeps
 * its up/down state; a probe here connects (with the cluster's TLS, when
 * it has one: a certificate it refuses is down), sends
 *   GET <path> HTTP/1.1 / Host / Connection: close
 * and reads the status line. A status in expected_statuses is up; any
 * other status, a refused or reset connection, or no status line within
 * the check's timeout is down. The result goes back exactly once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <rte_errno.h>

#include "proxy_internal.h"

#define PX_MAX_PROBES	1024
#define PROBE_BUF	256	/* only the status line matters */

struct px_probe {
	struct mg_proxy *px;
	struct px_upstream *u;
	struct px_timer timer;
	uint32_t target, probe_id, cluster, endpoint;
	uint32_t next_free;
	uint16_t len;
	bool reported;
	bool in_use;
	char buf[PROBE_BUF];
};

/* "200-399" or "200,204,300-302": is st in it? (syntax checked by lib/cfg) */
static bool
status_expected(const char *spec, unsigned st)
{
	const char *p = spec;

	if (*p == '\0')
		return st >= 200 && st < 400;
	while (*p != '\0') {
		char *end;
		unsigned long lo = strtoul(p, &end, 10), hi = lo;

		if (*end == '-')
			hi = strtoul(end + 1, &end, 10);
		if (st >= lo && st <= hi)
			return true;
		p = *end == ',' ? end + 1 : end;
		if (end == p && *p != '\0' && *p != ',')
			break;
		while (*p == ' ')
			p++;
	}
	return false;
}

static void
report(struct px_probe *pr, bool up)
{
	struct mg_proxy *px = pr->px;

	if (pr->reported)
		return;
	pr->reported = true;
	px_timer_stop(&pr->timer);
	if (!up)
		px->st.probe_failures++;
	if (px->p.probe_done != NULL)
		px->p.probe_done(px->p.ctx, pr->target, pr->probe_id, up);
}

static void
probe_put(struct px_probe *pr)
{
	struct mg_proxy *px = pr->px;

	pr->in_use = false;
	pr->next_free = px->free_probe;
	px->free_probe = (uint32_t)(pr - px->probes);
}

static void
finish(struct px_probe *pr, bool up)
{
	struct px_upstream *u = pr->u;

	report(pr, up);
	if (u != NULL && u->conn != NULL && u->state != UP_CLOSING) {
		/* RST: no TIME-WAIT for a connection made every few seconds */
		u->state = UP_CLOSING;
		mg_tcp_abort(u->conn, pr->px->now_us);
	}
}

int
mg_proxy_probe(struct mg_proxy *px, uint32_t cluster, uint32_t endpoint,
	       uint32_t target, uint32_t probe_id, uint64_t now_us)
{
	const struct mg_cfg_health *hc;
	struct px_probe *pr;
	struct px_upstream *u;

	if (cluster >= px->cfg->n_clusters ||
	    endpoint >= px->clusters[cluster].n_ep)
		return -EINVAL;
	if (px->probes == NULL) {
		px->probes = calloc(PX_MAX_PROBES, sizeof(*px->probes));
		if (px->probes == NULL)
			return -ENOMEM;
		for (uint32_t i = 0; i < PX_MAX_PROBES; i++)
			px->probes[i].next_free = i + 1 < PX_MAX_PROBES ? i + 1 : UINT32_MAX;
		px->free_probe = 0;
	}
	if (px->free_probe == UINT32_MAX)
		return -ENOBUFS;
	hc = &px->cfg->clusters[cluster].health;
	px->now_us = now_us;
	pr = &px->probes[px->free_probe];
	u = px_up_alloc(px);
	if (u == NULL)
		return -ENOBUFS;
	px->free_probe = pr->next_free;
	memset(pr, 0, sizeof(*pr));
	pr->px = px;
	pr->in_use = true;
	pr->target = target;
	pr->probe_id = probe_id;
	pr->cluster = cluster;
	pr->endpoint = endpoint;
	pr->timer.kind = PX_T_PROBE;
	pr->u = u;
	u->pr = pr;
	u->cluster = cluster;
	u->endpoint = endpoint;
	u->state = UP_CONNECTING;
	u->conn = px_connect(px, cluster, endpoint, hc->port, u);
	if (u->conn == NULL) {
		int err = -rte_errno;

		px_up_free(u);
		probe_put(pr);
		return err != 0 ? err : -EIO;
	}
	px->st.probes++;
	px_timer_set(&px->wheel, &pr->timer, now_us + (uint64_t)hc->timeout_ms * 1000);
	return 0;
}

static void
send_request(struct px_probe *pr)
{
	struct mg_proxy *px = pr->px;
	const struct mg_cfg_health *hc = &px->cfg->clusters[pr->cluster].health;
	const struct px_endpoint *ep = &px->clusters[pr->cluster].ep[pr->endpoint];
	char req[MG_URI_MAX + MG_HOST_MAX + 128], host[MG_IP_STRLEN + 8];
	int n;

	if (hc->host[0] != '\0') {
		snprintf(host, sizeof(host), "%s", hc->host);
	} else {
		char a[MG_IP_STRLEN];

		mg_ip_format(&ep->addr, a, sizeof(a));
		snprintf(host, sizeof(host), ep->addr.family == AF_INET6
			 ? "[%s]" : "%s", a);
	}
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\n"
		     "User-Agent: meshgate-health\r\nConnection: close\r\n\r\n",
		     hc->path[0] ? hc->path : "/", host);
	if (n < 0 || (size_t)n >= sizeof(req) ||
	    px_send_copy(px, pr->u->conn, pr->u->tls, req, (uint32_t)n) != n)
		finish(pr, false);
}

/* TCP is up: the request, or first the TLS handshake of a TLS cluster. */
static void
connected(struct px_probe *pr, struct mg_tcp_conn *c)
{
	struct px_upstream *u = pr->u;
	int r;

	if (pr->reported) {
		finish(pr, false);
		return;
	}
	if (u->tls != NULL) {
		px_tls_flush(pr->px, c, u->tls);
		r = px_tls_progress(pr->px, c, u->tls);
		if (r == 0)
			return;
		if (r < 0) {
			/* a certificate the cluster refuses: down */
			pr->px->st.upstream_tls_failures++;
			finish(pr, false);
			return;
		}
	}
	u->state = UP_BUSY;
	send_request(pr);
}

/* A status line "HTTP/1.x NNN ..." decides; 1 up, 0 down, -1 need more. */
static int
judge(struct px_probe *pr)
{
	const struct mg_cfg_health *hc =
		&pr->px->cfg->clusters[pr->cluster].health;
	const char *b = pr->buf;
	unsigned st;

	if (pr->len < 12)
		return -1;
	if (memcmp(b, "HTTP/1.", 7) != 0 || b[8] != ' ' ||
	    b[9] < '1' || b[9] > '5' || b[10] < '0' || b[10] > '9' ||
	    b[11] < '0' || b[11] > '9')
		return 0;
	st = (unsigned)(b[9] - '0') * 100 + (unsigned)(b[10] - '0') * 10 +
	     (unsigned)(b[11] - '0');
	return status_expected(hc->expected_statuses, st) ? 1 : 0;
}

void
px_probe_event(struct mg_tcp_conn *c, enum mg_tcp_event ev, void *user)
{
	struct px_upstream *u = user;
	struct px_probe *pr = u->pr;
	struct mg_proxy *px = u->px;

	px->now_us = mg_tcp_now(c);
	switch (ev) {
	case MG_TCP_EV_CONNECTED:
		connected(pr, c);
		return;
	case MG_TCP_EV_WRITABLE:
		if (u->tls != NULL)
			px_tls_flush(px, c, u->tls);
		return;
	case MG_TCP_EV_READABLE:
	case MG_TCP_EV_PEER_CLOSED: {
		bool eof = false;
		uint32_t n;

		if (u->state == UP_CONNECTING) {	/* TLS handshake */
			connected(pr, c);
			if (u->state == UP_CONNECTING)
				return;
		}
		do {
			struct rte_mbuf *m = NULL;

			n = px_recv(px, c, u->tls, &m, UINT32_MAX, &eof);
			for (struct rte_mbuf *seg = m; seg != NULL; seg = seg->next) {
				uint16_t k = seg->data_len;

				if (k > PROBE_BUF - pr->len)
					k = (uint16_t)(PROBE_BUF - pr->len);
				memcpy(pr->buf + pr->len, rte_pktmbuf_mtod(seg, char *), k);
				pr->len = (uint16_t)(pr->len + k);
			}
			rte_pktmbuf_free(m);
		} while (n > 0);
		if (!pr->reported) {
			int r = judge(pr);

			if (r >= 0)
				finish(pr, r == 1);
			else if (eof || ev == MG_TCP_EV_PEER_CLOSED)
				finish(pr, false);
		}
		return;
	}
	case MG_TCP_EV_RESET:
		report(pr, false);
		return;
	case MG_TCP_EV_CLOSED:
		report(pr, false);
		pr->u = NULL;
		u->conn = NULL;
		if (u->tls != NULL) {
			px_tls_release(u->tls);
			u->tls = NULL;
		}
		px_up_free(u);
		probe_put(pr);
		return;
	default:
		return;
	}
}

void
px_probe_timeout(struct px_timer *t)
{
	struct px_probe *pr = container_of(t, struct px_probe, timer);

	finish(pr, false);
}

void
px_probes_free(struct mg_proxy *px)
{
	free(px->probes);
	px->probes = NULL;
}
