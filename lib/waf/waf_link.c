/* SPDX-License-Identifier: Apache-2.0 */
/*
 * After the last file: apply SecRuleRemoveBy* and SecRuleUpdateTargetBy*
 * (to every rule, before or after them, as ModSecurity v3 does), the
 * SecDefaultAction of each phase, and build the phase step lists with
 * skipAfter resolved to step indices.
 */
#include <stdlib.h>
#include <string.h>

#include "waf_parse.h"

static bool
exc_applies(const struct mg_waf_ruleset *rs, const struct waf_exc *e,
	    const struct waf_rule *r)
{
	switch (e->kind) {
	case WX_REMOVE_ID:
	case WX_UPDATE_TARGET_ID:
	case WX_UPDATE_ACTION_ID:
		return r->id >= e->lo && r->id <= e->hi;
	default:
		return waf_rule_has_tag(rs, r, e->tag);
	}
}

/* Give rule r its variables plus the exception's, at the end of vars. */
static int
add_targets(struct waf_parser *p, uint32_t ri, const struct waf_exc *e)
{
	struct mg_waf_ruleset *rs = p->rs;
	uint32_t n = rs->rules[ri].n_vars + e->n_vars, off = rs->n_vars;

	if (n > UINT16_MAX)
		return waf_perr(p, "too many variables");
	if (waf_vec_grow((void **)&rs->vars, &p->cap_vars, rs->n_vars + n,
			 sizeof(*rs->vars)) < 0)
		return waf_perr(p, "out of memory");
	memcpy(rs->vars + off, rs->vars + rs->rules[ri].var_off,
	       rs->rules[ri].n_vars * sizeof(*rs->vars));
	memcpy(rs->vars + off + rs->rules[ri].n_vars, rs->vars + e->var_off,
	       e->n_vars * sizeof(*rs->vars));
	rs->n_vars += n;
	rs->rules[ri].var_off = off;
	rs->rules[ri].n_vars = (uint16_t)n;
	return 0;
}

static int
apply_exceptions(struct waf_parser *p)
{
	struct mg_waf_ruleset *rs = p->rs;

	for (uint32_t x = 0; x < p->n_excs; x++) {
		const struct waf_exc *e = &p->excs[x];
		uint32_t hits = 0;

		for (uint32_t i = 0; i < rs->n_rules; i++) {
			struct waf_rule *r = &rs->rules[i];

			if (r->flags & (WRF_CHILD | WRF_MARKER))
				continue;
			if (!exc_applies(rs, e, r))
				continue;
			hits++;
			if (e->kind == WX_UPDATE_ACTION_ID) {
				/* errors point at the directive */
				p->file = waf_str(rs, e->file);
				p->line = e->line;
				if (waf_update_actions(p, i,
						       waf_str(rs, e->tag)) < 0)
					return -1;
			} else if (e->kind == WX_REMOVE_ID ||
				   e->kind == WX_REMOVE_TAG) {
				if (!(r->flags & WRF_REMOVED))
					rs->stats.removed++;
				r->flags |= WRF_REMOVED;
			} else if (r->flags & WRF_ACTION) {
				p->file = waf_str(rs, e->file);
				p->line = e->line;
				return waf_perr(p, "rule %u is a SecAction: it "
						"has no targets", r->id);
			} else if (add_targets(p, i, e) < 0) {
				return -1;
			}
		}
		if (hits == 0 && e->kind == WX_UPDATE_ACTION_ID) {
			p->file = waf_str(rs, e->file);
			p->line = e->line;
			return waf_perr(p, "SecRuleUpdateActionById: no rule %u",
					e->lo);
		}
		/* removing or updating nothing else is not an error */
	}
	return 0;
}

static void
apply_defaults(struct waf_parser *p)
{
	struct mg_waf_ruleset *rs = p->rs;

	for (uint32_t i = 0; i < rs->n_rules; i++) {
		struct waf_rule *r = &rs->rules[i];
		uint8_t ph = r->phase;

		if (r->flags & WRF_MARKER)
			continue;
		if (!(r->flags & WRF_CHILD)) {
			if (r->disruptive == WD_NONE)
				r->disruptive = p->default_seen[ph] ?
					rs->default_disruptive[ph] : WD_PASS;
			if (!(r->flags & (WRF_LOG | WRF_NOLOG)))
				r->flags |= (!p->default_seen[ph] ||
					     rs->default_log[ph]) ?
					    WRF_LOG : WRF_NOLOG;
		}
	}
}

/* SecDefaultAction's tags go after each rule's own. */
static int
apply_default_tags(struct waf_parser *p)
{
	struct mg_waf_ruleset *rs = p->rs;

	for (uint32_t i = 0; i < rs->n_rules; i++) {
		struct waf_rule *r = &rs->rules[i];
		uint16_t nd = rs->n_default_tags[r->phase];
		uint32_t off = rs->n_tags;

		if ((r->flags & (WRF_MARKER | WRF_CHILD)) || nd == 0)
			continue;
		if (waf_vec_grow((void **)&rs->tags, &p->cap_tags,
				 rs->n_tags + r->n_tags + nd,
				 sizeof(*rs->tags)) < 0)
			return waf_perr(p, "out of memory");
		r = &rs->rules[i];
		memcpy(rs->tags + off, rs->tags + r->tag_off,
		       r->n_tags * sizeof(*rs->tags));
		memcpy(rs->tags + off + r->n_tags,
		       rs->tags + rs->default_tag_off[r->phase],
		       nd * sizeof(*rs->tags));
		rs->n_tags += r->n_tags + nd;
		r->tag_off = off;
		r->n_tags = (uint16_t)(r->n_tags + nd);
	}
	return 0;
}

/* Default t: go before the rule's own unless it starts with t:none. */
static int
apply_default_tfns(struct waf_parser *p)
{
	struct mg_waf_ruleset *rs = p->rs;

	for (uint32_t i = 0; i < rs->n_rules; i++) {
		struct waf_rule *r = &rs->rules[i];
		uint8_t ph = r->phase, nd = rs->n_default_tfns[ph];
		uint32_t off = rs->n_tfns;

		if ((r->flags & (WRF_MARKER | WRF_T_SET)) || nd == 0)
			continue;
		if (r->n_tfns + nd > UINT8_MAX)
			return waf_perr(p, "too many transformations");
		if (waf_vec_grow((void **)&rs->tfns, &p->cap_tfns,
				 rs->n_tfns + nd + r->n_tfns, 1) < 0)
			return waf_perr(p, "out of memory");
		memcpy(rs->tfns + off, rs->default_tfns[ph], nd);
		memcpy(rs->tfns + off + nd, rs->tfns + r->tfn_off, r->n_tfns);
		rs->n_tfns += nd + r->n_tfns;
		r->tfn_off = off;
		r->n_tfns = (uint8_t)(r->n_tfns + nd);
	}
	return 0;
}

static int
build_phases(struct waf_parser *p)
{
	struct mg_waf_ruleset *rs = p->rs;
	uint32_t count[6] = { 0 };

	for (uint32_t i = 0; i < rs->n_rules; i++) {
		const struct waf_rule *r = &rs->rules[i];

		if (r->flags & WRF_MARKER)
			for (int ph = 1; ph <= 5; ph++)
				count[ph]++;
		else if (!(r->flags & (WRF_CHILD | WRF_REMOVED)))
			count[r->phase]++;
	}
	for (int ph = 1; ph <= 5; ph++) {
		rs->phases[ph].steps = calloc(count[ph] + 1, sizeof(uint32_t));
		if (rs->phases[ph].steps == NULL)
			return waf_perr(p, "out of memory");
		rs->phases[ph].n_steps = 0;
	}
	for (uint32_t i = 0; i < rs->n_rules; i++) {
		const struct waf_rule *r = &rs->rules[i];

		if (r->flags & WRF_MARKER) {
			for (int ph = 1; ph <= 5; ph++)
				rs->phases[ph].steps[rs->phases[ph].n_steps++] =
					i;
		} else if (!(r->flags & (WRF_CHILD | WRF_REMOVED))) {
			struct waf_phase *ph = &rs->phases[r->phase];

			ph->steps[ph->n_steps++] = i;
		}
	}
	return 0;
}

static bool
marker_exists(const struct mg_waf_ruleset *rs, const char *name)
{
	for (uint32_t i = 0; i < rs->n_rules; i++)
		if ((rs->rules[i].flags & WRF_MARKER) &&
		    strcmp(waf_str(rs, rs->rules[i].marker), name) == 0)
			return true;
	return false;
}

/*
 * skipAfter:NAME resumes after the first SecMarker NAME that follows the
 * rule in its phase; with none there, at the end of the phase.
 */
static int
resolve_jumps(struct waf_parser *p)
{
	struct mg_waf_ruleset *rs = p->rs;

	for (int phn = 1; phn <= 5; phn++) {
		const struct waf_phase *ph = &rs->phases[phn];

		for (uint32_t s = 0; s < ph->n_steps; s++) {
			uint32_t ri = ph->steps[s];

			if (rs->rules[ri].flags & WRF_MARKER)
				continue;
			for (uint32_t c = ri; c != WAF_NONE;
			     c = rs->rules[c].next) {
				struct waf_rule *r = &rs->rules[c];
				const char *name = waf_str(rs, r->marker);
				uint32_t t;

				if (r->skip) {
					uint64_t j = (uint64_t)s + 1 + r->skip;

					r->jump = j > ph->n_steps ?
						  ph->n_steps : (uint32_t)j;
					continue;
				}
				if (r->marker == 0)
					continue;
				if (!marker_exists(rs, name)) {
					p->file = waf_str(rs, r->file);
					p->line = r->line;
					return waf_perr(p, "skipAfter:%s: no "
							"SecMarker of that "
							"name", name);
				}
				for (t = s + 1; t < ph->n_steps; t++) {
					const struct waf_rule *m =
						&rs->rules[ph->steps[t]];

					if ((m->flags & WRF_MARKER) &&
					    strcmp(waf_str(rs, m->marker),
						   name) == 0)
						break;
				}
				r->jump = t < ph->n_steps ? t + 1 : ph->n_steps;
			}
		}
	}
	return 0;
}

/* Which rules name exclusions: the others skip the per-value look. */
static void
mark_exclusions(struct waf_parser *p)
{
	struct mg_waf_ruleset *rs = p->rs;

	for (uint32_t ri = 0; ri < rs->n_rules; ri++) {
		struct waf_rule *r = &rs->rules[ri];

		r->excl_vars = 0;
		for (uint32_t i = 0; i < r->n_vars; i++) {
			const struct waf_var *v = &rs->vars[r->var_off + i];

			if (v->flags & WVF_EXCLUDE)
				r->excl_vars |= 1ull << (v->id & 63);
		}
	}
}

int
waf_link(struct waf_parser *p)
{
	const char *file = p->file;
	uint32_t line = p->line;
	int rc;

	rc = apply_exceptions(p);
	if (rc == 0) {
		mark_exclusions(p);
		apply_defaults(p);
		rc = apply_default_tfns(p);
	}
	if (rc == 0)
		rc = apply_default_tags(p);
	if (rc == 0)
		rc = build_phases(p);
	if (rc == 0)
		rc = resolve_jumps(p);
	p->file = file;
	p->line = line;
	return rc;
}
