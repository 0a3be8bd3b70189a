/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Outlier detection: consecutive failures eject an endpoint from this
 * worker's picks for a time that grows with each ejection. The rules are
 * in mg_lb.h; this is pure logic on the caller's clock.
 *
 * Why per worker: results are seen where the requests run, and a worker
 * must never wait for another. A failing endpoint fails for every worker,
 * so each ejects it after its own few failures.
 */
#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "lb_internal.h"
#include "mg_cfg.h"

struct outlier_ep {
	uint32_t consecutive_5xx;
	uint32_t consecutive_connect;
	uint32_t ejections;		/* the multiplier of base_ejection_ms */
	uint64_t until_us;		/* end of the current/last ejection */
};

struct mg_lb_outlier {
	struct mg_cfg_outlier cfg;
	uint32_t n;
	uint32_t max_multiplier;	/* the first that reaches the cap */
	uint64_t next_due_us;		/* earliest end of an ejection */
	struct mg_lb_mask mask;		/* bits points at ejected */
	uint64_t *ejected;
	struct outlier_ep *eps;
	struct mg_lb_outlier_stats stats;
};

struct mg_lb_outlier *
mg_lb_outlier_create(const struct mg_cfg_outlier *cfg, uint32_t n, int socket)
{
	struct mg_lb_outlier *o;
	size_t words = (n + 63) / 64;
	bool on;

	if (cfg == NULL || n > MG_LB_MAX_ENDPOINTS ||
	    cfg->max_ejection_pct > 100) {
		rte_errno = EINVAL;
		return NULL;
	}
	on = cfg->consecutive_5xx > 0 || cfg->consecutive_connect_failures > 0;
	if (on && (cfg->base_ejection_ms == 0 ||
		   cfg->max_ejection_ms < cfg->base_ejection_ms)) {
		rte_errno = EINVAL;
		return NULL;
	}
	o = rte_zmalloc_socket("mg_lb_outlier", sizeof(*o) +
			       sizeof(uint64_t) * words +
			       sizeof(struct outlier_ep) * n,
			       RTE_CACHE_LINE_SIZE, socket);
	if (o == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	o->cfg = *cfg;
	o->n = n;
	if (on)
		o->max_multiplier = (uint32_t)(((uint64_t)cfg->max_ejection_ms +
						cfg->base_ejection_ms - 1) /
					       cfg->base_ejection_ms);
	o->next_due_us = UINT64_MAX;
	o->ejected = (uint64_t *)(o + 1);
	o->eps = (struct outlier_ep *)(o->ejected + words);
	o->mask.bits = o->ejected;
	o->mask.size = n;
	return o;
}

void
mg_lb_outlier_free(struct mg_lb_outlier *o)
{
	rte_free(o);
}

static bool
is_ejected(const struct mg_lb_outlier *o, uint32_t e)
{
	return (o->ejected[e / 64] >> (e % 64)) & 1;
}

uint32_t
mg_lb_outlier_tick(struct mg_lb_outlier *o, uint64_t now_us)
{
	uint64_t next = UINT64_MAX;
	uint32_t w, returned = 0;

	if (now_us < o->next_due_us)
		return 0;
	for (w = 0; w < (o->n + 63) / 64; w++) {
		uint64_t bits = o->ejected[w];

		while (bits != 0) {
			uint32_t e = w * 64 + (uint32_t)__builtin_ctzll(bits);
			const struct outlier_ep *ep = &o->eps[e];

			bits &= bits - 1;
			if (ep->until_us > now_us) {
				next = RTE_MIN(next, ep->until_us);
				continue;
			}
			o->ejected[w] &= ~(1ULL << (e % 64));
			o->mask.count--;
			o->stats.returns++;
			returned++;
		}
	}
	o->next_due_us = next;
	return returned;
}

/* Envoy's rule: within the share, or the first ejection of any size. */
static bool
outlier_room(const struct mg_lb_outlier *o)
{
	if (o->cfg.max_ejection_pct == 0)
		return false;
	return o->mask.count == 0 ||
	       (uint64_t)(o->mask.count + 1) * 100 <=
	       (uint64_t)o->cfg.max_ejection_pct * o->n;
}

static int
outlier_eject(struct mg_lb_outlier *o, uint32_t e, uint64_t now_us,
	      uint64_t *counter)
{
	struct outlier_ep *ep = &o->eps[e];
	uint64_t base_us = (uint64_t)o->cfg.base_ejection_ms * 1000;
	uint64_t ms;

	if (!outlier_room(o)) {
		o->stats.ejections_refused++;
		return 0;
	}
	/* one step of decay per base ejection time back in service */
	if (ep->ejections > 0 && now_us > ep->until_us) {
		uint64_t decay = (now_us - ep->until_us) / base_us;

		ep->ejections = decay < ep->ejections ?
				ep->ejections - (uint32_t)decay : 0;
	}
	if (ep->ejections < o->max_multiplier)
		ep->ejections++;
	ms = RTE_MIN((uint64_t)o->cfg.base_ejection_ms * ep->ejections,
		     (uint64_t)o->cfg.max_ejection_ms);
	ep->until_us = now_us + ms * 1000;
	ep->consecutive_5xx = 0;
	ep->consecutive_connect = 0;
	o->ejected[e / 64] |= 1ULL << (e % 64);
	o->mask.count++;
	o->next_due_us = RTE_MIN(o->next_due_us, ep->until_us);
	(*counter)++;
	return 1;
}

int
mg_lb_outlier_report(struct mg_lb_outlier *o, uint32_t e,
		     enum mg_lb_outcome outcome, uint64_t now_us)
{
	struct outlier_ep *ep;

	if (e >= o->n || (unsigned)outcome > MG_LB_OUTCOME_CONNECT_FAILURE) {
		o->stats.bad_reports++;
		return -EINVAL;
	}
	mg_lb_outlier_tick(o, now_us);
	if (is_ejected(o, e)) {
		o->stats.ignored_while_ejected++;
		return 0;
	}
	ep = &o->eps[e];
	switch (outcome) {
	case MG_LB_OUTCOME_SUCCESS:
		ep->consecutive_5xx = 0;
		ep->consecutive_connect = 0;
		return 0;
	case MG_LB_OUTCOME_5XX:
		ep->consecutive_connect = 0;
		if (ep->consecutive_5xx < UINT32_MAX)
			ep->consecutive_5xx++;
		if (o->cfg.consecutive_5xx == 0 ||
		    ep->consecutive_5xx < o->cfg.consecutive_5xx)
			return 0;
		return outlier_eject(o, e, now_us, &o->stats.ejections_5xx);
	case MG_LB_OUTCOME_CONNECT_FAILURE:
		if (ep->consecutive_connect < UINT32_MAX)
			ep->consecutive_connect++;
		if (o->cfg.consecutive_connect_failures == 0 ||
		    ep->consecutive_connect < o->cfg.consecutive_connect_failures)
			return 0;
		return outlier_eject(o, e, now_us, &o->stats.ejections_connect);
	}
	return 0;
}

const struct mg_lb_mask *
mg_lb_outlier_ejected(const struct mg_lb_outlier *o)
{
	return &o->mask;
}

bool
mg_lb_outlier_is_ejected(const struct mg_lb_outlier *o, uint32_t e)
{
	return e < o->n && is_ejected(o, e);
}

void
mg_lb_outlier_stats_get(const struct mg_lb_outlier *o,
			struct mg_lb_outlier_stats *st)
{
	*st = o->stats;
	st->ejected = o->mask.count;
}
