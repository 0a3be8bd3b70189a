/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The health-check scheduler and state machine (main lcore), and the probe
 * sequence-number encoding that workers use to recognise replies.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>

#include "mg_health.h"

_Static_assert((MG_HEALTH_SPORT_COUNT & (MG_HEALTH_SPORT_COUNT - 1)) == 0,
	       "probe source port range must be a power of two");

struct mg_health_state {
	struct mg_health_target t;
	uint64_t interval_us, timeout_us;
	uint64_t next_due_us;		/* when the next probe should go */
	uint64_t deadline_us;		/* of the outstanding probe */
	uint32_t next_id;		/* id of the next probe, 16 bits */
	uint32_t outstanding_id;
	bool probed;			/* type != NONE */
	bool outstanding;
	bool dirty;			/* up/down changed since the last poll */
	struct mg_health_stats st;
};

struct mg_health {
	struct mg_health_key key;
	uint32_t n;
	uint64_t next_event_us;		/* no poll work before this time */
	uint64_t unknown_replies;
	unsigned n_dirty;
	struct mg_health_state s[];
};

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
mix64(uint64_t z)
{
	z = (z ^ (z >> 33)) * 0xff51afd7ed558ccdULL;
	z = (z ^ (z >> 33)) * 0xc4ceb9fe1a85ec53ULL;
	return z ^ (z >> 33);
}

/* Round function of the 4-round Feistel permutation on 32 bits. */
static uint16_t
feistel_f(const struct mg_health_key *k, unsigned round, uint16_t x)
{
	return (uint16_t)(mix64(k->k[round] ^ x) >> 40);
}

uint32_t
mg_health_key_seq(const struct mg_health_key *k, uint32_t target,
		  uint32_t probe_id)
{
	uint16_t l = (uint16_t)target, r = (uint16_t)probe_id, t;

	for (unsigned i = 0; i < 4; i++) {
		t = r;
		r = l ^ feistel_f(k, i, r);
		l = t;
	}
	return (uint32_t)l << 16 | r;
}

int
mg_health_key_decode(const struct mg_health_key *k, uint32_t ack_minus_1,
		     uint32_t *target, uint32_t *probe_id)
{
	uint16_t l = (uint16_t)(ack_minus_1 >> 16), r = (uint16_t)ack_minus_1;
	uint16_t t;

	for (unsigned i = 4; i-- > 0;) {
		t = l;
		l = r ^ feistel_f(k, i, l);
		r = t;
	}
	if (l >= k->n_targets)
		return -EINVAL;
	*target = l;
	*probe_id = r;
	return 0;
}

uint16_t
mg_health_key_sport(const struct mg_health_key *k, uint32_t target,
		    uint32_t probe_id)
{
	uint32_t seq = mg_health_key_seq(k, target, probe_id);

	return (uint16_t)(MG_HEALTH_SPORT_MIN +
		(mix64(k->k[4] ^ seq) & (MG_HEALTH_SPORT_COUNT - 1)));
}

uint32_t
mg_health_probe_seq(const struct mg_health *h, uint32_t target,
		    uint32_t probe_id)
{
	return mg_health_key_seq(&h->key, target, probe_id);
}

int
mg_health_probe_decode(const struct mg_health *h, uint32_t ack_minus_1,
		       uint32_t *target, uint32_t *probe_id)
{
	return mg_health_key_decode(&h->key, ack_minus_1, target, probe_id);
}

const struct mg_health_key *
mg_health_key(const struct mg_health *h)
{
	return &h->key;
}

static uint16_t
target_dport(const struct mg_health_target *t)
{
	return t->cfg.port != 0 ? t->cfg.port : t->port;
}

static int
check_target(const struct mg_health_target *t)
{
	switch (t->cfg.type) {
	case MG_HEALTH_NONE:
		return 0;
	case MG_HEALTH_TCP:
	case MG_HEALTH_HTTP:	/* probed by a worker's HTTP client */
		break;
	default:
		return -EINVAL;
	}
	if (t->cfg.interval_ms == 0 || t->cfg.timeout_ms == 0 ||
	    t->cfg.healthy_threshold == 0 || t->cfg.unhealthy_threshold == 0 ||
	    target_dport(t) == 0)
		return -EINVAL;
	if (t->addr.family != AF_INET && t->addr.family != AF_INET6)
		return -EINVAL;
	return 0;
}

struct mg_health *
mg_health_create(const struct mg_health_target *t, uint32_t n,
		 uint64_t now_us, uint64_t seed)
{
	struct mg_health *h;
	uint64_t x = seed;

	if ((n > 0 && t == NULL) || n > MG_HEALTH_MAX_TARGETS) {
		rte_errno = EINVAL;
		return NULL;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (check_target(&t[i]) < 0) {
			rte_errno = EINVAL;
			return NULL;
		}
	}
	h = calloc(1, sizeof(*h) + (size_t)n * sizeof(h->s[0]));
	if (h == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	for (unsigned i = 0; i < RTE_DIM(h->key.k); i++)
		h->key.k[i] = splitmix64(&x);
	h->key.n_targets = n;
	h->n = n;
	h->next_event_us = UINT64_MAX;

	for (uint32_t i = 0; i < n; i++) {
		struct mg_health_state *s = &h->s[i];

		s->t = t[i];
		s->st.up = true;
		s->st.last_change_us = now_us;
		if (t[i].cfg.type == MG_HEALTH_NONE)
			continue;
		s->probed = true;
		s->interval_us = (uint64_t)t[i].cfg.interval_ms * 1000;
		s->timeout_us = (uint64_t)t[i].cfg.timeout_ms * 1000;
		/* Spread first probes over one interval, and start probe ids
		 * at a random point so ids of restarts do not repeat. */
		s->next_due_us = now_us + splitmix64(&x) % s->interval_us;
		s->next_id = (uint32_t)splitmix64(&x) & MG_HEALTH_PROBE_ID_MASK;
		h->next_event_us = RTE_MIN(h->next_event_us, s->next_due_us);
	}
	return h;
}

void
mg_health_free(struct mg_health *h)
{
	free(h);
}

static void
set_up(struct mg_health *h, struct mg_health_state *s, bool up,
       uint64_t now_us)
{
	s->st.up = up;
	s->st.last_change_us = now_us;
	/* A flip and a flip back before the next poll need no rebuild. */
	s->dirty = !s->dirty;
	if (s->dirty)
		h->n_dirty++;
	else
		h->n_dirty--;
}

static void
probe_done(struct mg_health *h, struct mg_health_state *s, bool ok,
	   uint64_t now_us)
{
	s->outstanding = false;
	if (ok) {
		s->st.ok++;
		s->st.consecutive_ok++;
		s->st.consecutive_fail = 0;
		if (!s->st.up &&
		    s->st.consecutive_ok >= s->t.cfg.healthy_threshold)
			set_up(h, s, true, now_us);
	} else {
		s->st.failed++;
		s->st.consecutive_fail++;
		s->st.consecutive_ok = 0;
		if (s->st.up &&
		    s->st.consecutive_fail >= s->t.cfg.unhealthy_threshold)
			set_up(h, s, false, now_us);
	}
	h->next_event_us = RTE_MIN(h->next_event_us, s->next_due_us);
}

unsigned
mg_health_poll(struct mg_health *h, uint64_t now_us,
	       int (*send)(uint32_t target, uint32_t probe_id, void *arg),
	       void *arg)
{
	uint64_t next_event = UINT64_MAX;
	unsigned changed;

	if (now_us >= h->next_event_us) {
		for (uint32_t i = 0; i < h->n; i++) {
			struct mg_health_state *s = &h->s[i];

			if (!s->probed)
				continue;
			if (s->outstanding && now_us >= s->deadline_us) {
				s->st.timeouts++;
				probe_done(h, s, false, now_us);
			}
			if (!s->outstanding && now_us >= s->next_due_us) {
				uint32_t id = s->next_id;

				s->next_id = (id + 1) & MG_HEALTH_PROBE_ID_MASK;
				s->outstanding = true;
				s->outstanding_id = id;
				s->deadline_us = now_us + s->timeout_us;
				/* Keep to the schedule, but do not catch up
				 * with a burst after a stall. */
				s->next_due_us += s->interval_us;
				if (s->next_due_us <= now_us)
					s->next_due_us = now_us + s->interval_us;
				if (send(i, id, arg) == 0)
					s->st.probes_sent++;
				else
					s->st.send_failed++;
			}
			/* While a probe is out, only its timeout is work
			 * here; a reply lowers next_event_us itself. */
			next_event = RTE_MIN(next_event, s->outstanding ?
				s->deadline_us : s->next_due_us);
		}
		/* probe_done() may have lowered it; the scan has the truth. */
		h->next_event_us = next_event;
	}

	changed = h->n_dirty;
	if (changed != 0) {
		for (uint32_t i = 0; i < h->n; i++)
			h->s[i].dirty = false;
		h->n_dirty = 0;
	}
	return changed;
}

void
mg_health_report(struct mg_health *h, uint32_t target, uint32_t probe_id,
		 bool up, uint64_t now_us)
{
	struct mg_health_state *s;

	if (target >= h->n) {
		h->unknown_replies++;
		return;
	}
	s = &h->s[target];
	if (!s->outstanding || s->outstanding_id != probe_id) {
		s->st.stale_replies++;
		return;
	}
	probe_done(h, s, up, now_us);
}

bool
mg_health_is_up(const struct mg_health *h, uint32_t target)
{
	return target < h->n && h->s[target].st.up;
}

uint32_t
mg_health_count(const struct mg_health *h)
{
	return h->n;
}

void
mg_health_get(const struct mg_health *h, uint32_t target,
	      struct mg_health_stats *st)
{
	if (target >= h->n) {
		memset(st, 0, sizeof(*st));
		return;
	}
	*st = h->s[target].st;
}

uint64_t
mg_health_unknown_replies(const struct mg_health *h)
{
	return h->unknown_replies;
}

int
mg_health_probe_info(const struct mg_health *h, uint32_t target,
		     uint32_t probe_id, struct mg_health_probe *p)
{
	if (target >= h->n)
		return -EINVAL;
	p->dst = h->s[target].t.addr;
	p->dport = target_dport(&h->s[target].t);
	p->seq = mg_health_key_seq(&h->key, target, probe_id);
	p->sport = mg_health_key_sport(&h->key, target, probe_id);
	return 0;
}
