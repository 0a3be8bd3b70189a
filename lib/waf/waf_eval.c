/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The rule engine: phases as lists of steps, rules with their chains,
 * variables, exclusions, operators and actions, in ModSecurity v3's order:
 *
 *  - for each value that matches, MATCHED_VAR(S) are updated and the
 *    rule's setvar actions run at once, before the next rule of a chain
 *    is tried (CRS relies on it: 920420 sets tx.content_type for its
 *    chained rule);
 *  - when the whole chain matched, every rule of it runs its other
 *    actions (ctl...), innermost first; the chain head logs and runs its
 *    disruptive action and skipAfter;
 *  - a rule that does not match clears MATCHED_VAR(S).
 *
 * A rule in a pattern group is asked only for the values its group's
 * Hyperscan database reported; PCRE2 then confirms and captures.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "waf_eval.h"
#include "waf_transform.h"

static const uint8_t empty_bytes[1];

/* ----------------------------------------------------------------- */
/* exclusions */

/* ctl:ruleRemoveById / ruleRemoveByTag took the rule out */
static bool
removed_at_runtime(const struct mg_waf_ctx *c, const struct waf_rule *r)
{
	for (uint32_t i = 0; i < c->n_removals; i++) {
		const struct waf_removal *x = &c->removals[i];

		if (x->kind == WA_CTL_REMOVE_ID && r->id >= x->lo &&
		    r->id <= x->hi)
			return true;
		if (x->kind == WA_CTL_REMOVE_TAG &&
		    waf_rule_has_tag(c->rs, r, x->tag))
			return true;
	}
	return false;
}

/* The value is excluded from rule r: !VAR:key in the rule, or a
 * ctl:ruleRemoveTarget* that names it. */
static bool
excluded_by(struct mg_waf_ctx *c, const struct waf_rule *r,
	    const struct waf_val *v)
{
	const struct mg_waf_ruleset *rs = c->rs;
	const struct waf_rule *head = &rs->rules[r->head];

	for (uint32_t i = 0; i < r->n_vars; i++) {
		const struct waf_var *e = &rs->vars[r->var_off + i];

		if ((e->flags & WVF_EXCLUDE) && e->id == v->var &&
		    waf_key_match(c, e, v->key, v->key_len))
			return true;
	}
	for (uint32_t i = 0; i < c->n_removals; i++) {
		const struct waf_removal *x = &c->removals[i];
		const struct waf_var *w;

		if (x->kind == WA_CTL_REMOVE_TARGET_ID) {
			if (head->id < x->lo || head->id > x->hi)
				continue;
		} else if (x->kind == WA_CTL_REMOVE_TARGET_TAG) {
			if (!waf_rule_has_tag(rs, head, x->tag))
				continue;
		} else {
			continue;
		}
		w = &rs->vars[x->var];
		if (w->id == v->var && waf_key_match(c, w, v->key, v->key_len))
			return true;
	}
	return false;
}

/* Most values are of a collection the rule excludes nothing from, and
 * most requests remove no target. */
static inline __attribute__((always_inline)) bool
excluded(struct mg_waf_ctx *c, const struct waf_rule *r,
	 const struct waf_val *v)
{
	return (((r->excl_vars >> (v->var & 63)) & 1) ||
		c->n_removals != 0) && excluded_by(c, r, v);
}

/* ----------------------------------------------------------------- */
/* actions */

static void
setvar(struct mg_waf_ctx *c, const struct waf_act *a)
{
	const uint8_t *key, *val = NULL;
	uint32_t klen, vlen = 0;
	size_t mark = c->arena_used;

	key = waf_expand(c, a->key, &klen);
	if (key == NULL)
		return;
	if (!c->rs->tmpls[a->key].literal) {
		/* an expanded key is in the arena: fold it there */
		uint8_t *k = (uint8_t *)(uintptr_t)key;

		mg_waf_lower_copy(k, k, klen);
	}
	if (a->kind == WA_SETVAR_DEL) {
		waf_store_del(c, a->coll, key, klen);
		return;
	}
	val = waf_expand(c, a->val, &vlen);
	if (val == NULL)
		return;
	if (a->kind == WA_SETVAR_ADD || a->kind == WA_SETVAR_SUB) {
		const struct waf_kvent *e = waf_store_get(c, a->coll, key, klen);
		long long cur = 0, d = 0;
		char num[24];
		bool neg = false;
		uint32_t i = 0;

		/* both sides as leading decimal integers, else 0 */
		if (e) {
			const uint8_t *p = e->val;

			if (e->len && (p[0] == '-' || p[0] == '+')) {
				neg = p[0] == '-';
				i = 1;
			}
			for (; i < e->len && p[i] >= '0' && p[i] <= '9' &&
			       cur < (long long)1e15; i++)
				cur = cur * 10 + (p[i] - '0');
			cur = neg ? -cur : cur;
		}
		neg = false;
		i = 0;
		if (vlen && (val[0] == '-' || val[0] == '+')) {
			neg = val[0] == '-';
			i = 1;
		}
		for (; i < vlen && val[i] >= '0' && val[i] <= '9' &&
		       d < (long long)1e15; i++)
			d = d * 10 + (val[i] - '0');
		d = neg ? -d : d;
		cur = a->kind == WA_SETVAR_ADD ? cur + d : cur - d;
		vlen = waf_fmt_int(num, cur);
		c->arena_used = mark;	/* the expansions are spent */
		waf_store_set(c, a->coll, key, klen, (const uint8_t *)num,
			      vlen);
		return;
	}
	waf_store_set(c, a->coll, key, klen, val, vlen);
}

/* setvar runs for each matching value, before the chain goes on. */
static void
run_setvars(struct mg_waf_ctx *c, const struct waf_rule *r)
{
	for (uint32_t i = 0; i < r->n_acts; i++) {
		const struct waf_act *a = &c->rs->acts[r->act_off + i];

		if (a->kind <= WA_SETVAR_DEL)
			setvar(c, a);
	}
}

static void
removal_add(struct mg_waf_ctx *c, const struct waf_act *a)
{
	struct waf_removal *x;

	if (c->n_removals == WAF_REMOVALS_MAX) {
		c->counters[MG_WAF_C_TX_FULL]++;
		return;
	}
	x = &c->removals[c->n_removals++];
	x->kind = a->kind;
	x->lo = a->lo;
	x->hi = a->hi;
	x->tag = a->key;
	x->var = a->val;
}

/* The other actions, once the whole chain matched. */
static void
run_ctls(struct mg_waf_ctx *c, const struct waf_rule *r)
{
	for (uint32_t i = 0; i < r->n_acts; i++) {
		const struct waf_act *a = &c->rs->acts[r->act_off + i];

		switch (a->kind) {
		case WA_CTL_RULE_ENGINE:
			c->engine = (uint8_t)a->lo;
			break;
		case WA_CTL_REMOVE_ID:
		case WA_CTL_REMOVE_TAG:
		case WA_CTL_REMOVE_TARGET_ID:
		case WA_CTL_REMOVE_TARGET_TAG:
			removal_add(c, a);
			break;
		case WA_CTL_BODY_PROCESSOR:
			if (c->req)
				mg_waf_request_set_processor(c->req,
					(enum mg_waf_body_processor)a->lo);
			break;
		case WA_CTL_BODY_ACCESS:
			c->body_access = (uint8_t)a->lo;
			break;
		default:
			/* setvar ran already; initcol, audit: nothing */
			break;
		}
	}
}

/* ----------------------------------------------------------------- */
/* matching */

static void
clean_matched(struct mg_waf_ctx *c)
{
	c->n_matched = 0;
	c->has_matched_var = false;
}

/* A value of rule r matched (t: its transformed form): its name
 * ("ARGS:q") and value, each NUL-terminated, in one allocation. */
static void
value_matched(struct mg_waf_ctx *c, const struct waf_rule *r,
	      const struct waf_val *v, const uint8_t *t, uint32_t tlen)
{
	uint32_t most = waf_var_name_len[v->var] + 1 + v->key_len;
	uint8_t *nm = waf_alloc(c, (most < 512 ? most : 512) + 1 + tlen + 1);

	if (nm) {
		uint32_t nlen = waf_val_name(v, nm, 512);
		uint8_t *val = nm + nlen + 1;

		nm[nlen] = '\0';
		memcpy(val, t, tlen);
		val[tlen] = '\0';
		c->matched_var.key = nm;
		c->matched_var.key_len = nlen;
		c->matched_var.v = val;
		c->matched_var.len = tlen;
		c->matched_var.var = v->var;
		c->has_matched_var = true;
		if (c->n_matched < WAF_MATCHED_MAX)
			c->matched[c->n_matched++] = c->matched_var;
	}
	run_setvars(c, r);
}

/* The operator's argument, macros expanded; NULL/0 when it has none. */
static const uint8_t *
op_argument(struct mg_waf_ctx *c, const struct waf_rule *r, uint32_t *len)
{
	*len = 0;
	if (r->op_arg == WAF_NONE)
		return empty_bytes;
	return waf_expand(c, r->op_arg, len);
}

/*
 * The operator memo slot of rule r and value v; NULL when r's operator is
 * cheaper than the memo or v too long. *hit: it holds the result.
 */
static struct waf_opmemo *
opmemo_slot(struct mg_waf_ctx *c, const struct waf_rule *r,
	    const struct waf_val *v, bool *hit)
{
	uint32_t ri = (uint32_t)(r - c->rs->rules) + 1;
	struct waf_opmemo *m;
	uint64_t h;

	*hit = false;
	if (c->opmemo == NULL || v->len > WAF_OPMEMO_BYTES ||
	    v->len > c->max_value)
		return NULL;
	switch (r->op) {
	case WOP_RX:
		if (r->flags & WRF_RX_MACRO)
			return NULL;	/* its pattern may change */
		break;
	case WOP_PM:
	case WOP_PM_FROM_FILE:
	case WOP_VALIDATE_BYTE_RANGE:
	case WOP_VALIDATE_URL_ENCODING:
	case WOP_VALIDATE_UTF8_ENCODING:
	case WOP_DETECT_SQLI:
	case WOP_DETECT_XSS:
		break;
	default:
		return NULL;
	}
	h = waf_hash64(((uint64_t)ri << 20) ^ v->len, v->v, v->len);
	m = &c->opmemo[h & (WAF_OPMEMO_SLOTS - 1)];
	*hit = m->hash == h && m->rule == ri && m->len == v->len &&
	       memcmp(m->bytes, v->v, v->len) == 0;
	c->counters[*hit ? MG_WAF_C_OP_MEMO_HIT : MG_WAF_C_OP_MEMO_MISS]++;
	if (!*hit) {
		m->rule = 0;	/* filled once the operator has run */
		m->hash = h;
	}
	return m;
}

/* What may make an operator's result differ for the same bytes */
static uint64_t
opmemo_errors(const struct mg_waf_ctx *c)
{
	return c->counters[MG_WAF_C_PCRE_ERROR] +
	       c->counters[MG_WAF_C_ARENA_FULL];
}

/* Keep a result that had no side effect (no capture, no error). */
static void
opmemo_fill(struct mg_waf_ctx *c, struct waf_opmemo *m,
	    const struct waf_rule *r, const struct waf_val *v, bool result,
	    uint64_t errors)
{
	if ((result && (r->flags & WRF_CAPTURE)) ||
	    opmemo_errors(c) != errors)
		return;
	m->len = (uint16_t)v->len;
	m->result = result;
	memcpy(m->bytes, v->v, v->len);
	m->rule = (uint32_t)(r - c->rs->rules) + 1;
}

static bool
test_value(struct mg_waf_ctx *c, const struct waf_rule *r,
	   const struct waf_val *v, const uint8_t *arg, uint32_t alen)
{
	const struct mg_waf_ruleset *rs = c->rs;
	bool neg = (r->flags & WRF_NEGATED) != 0, any = false, hit, result;
	uint64_t errors = opmemo_errors(c);
	struct waf_opmemo *m;
	const uint8_t *t;
	uint32_t tl;

	/* the operator's result; with multiMatch, whether any form of the
	 * value matched, kept only when none did */
	m = opmemo_slot(c, r, v, &hit);
	if (!(r->flags & WRF_MULTIMATCH)) {
		if (hit && m->result == neg)
			return false;	/* no transformation needed */
		t = waf_transform(c, rs->tfns + r->tfn_off, r->n_tfns, v->v,
				  v->len, &tl);
		if (hit) {
			result = m->result;
		} else {
			result = waf_op_match(c, r, t, tl, arg, alen);
			if (m != NULL)
				opmemo_fill(c, m, r, v, result, errors);
		}
		if (result != neg) {
			value_matched(c, r, v, t, tl);
			return true;
		}
		return false;
	}
	/* multiMatch: the operator sees the value before and after every
	 * transformation that changed it */
	if (hit && !m->result)
		return false;
	t = v->v;
	tl = v->len > c->max_value ? c->max_value : v->len;
	for (uint8_t i = 0; i <= r->n_tfns; i++) {
		uint8_t *copy;

		if (i > 0) {
			uint32_t nl;
			const uint8_t *nt = waf_transform(c,
				rs->tfns + r->tfn_off + i - 1, 1, t, tl, &nl);

			if (nl == tl && memcmp(nt, t, tl) == 0)
				continue;
			/* keep it: the next step writes the other buffer,
			 * and value_matched may reuse both */
			copy = waf_alloc(c, nl + 1);
			if (copy == NULL)
				return any;
			memcpy(copy, nt, nl);
			t = copy;
			tl = nl;
		}
		if (waf_op_match(c, r, t, tl, arg, alen) != neg) {
			value_matched(c, r, v, t, tl);
			any = true;
		}
	}
	if (m != NULL && !hit && !any)
		opmemo_fill(c, m, r, v, false, errors);
	return any;
}

static bool
eval_direct(struct mg_waf_ctx *c, const struct waf_rule *r)
{
	const struct mg_waf_ruleset *rs = c->rs;
	const uint8_t *arg;
	uint32_t alen;
	bool matched = false;

	arg = op_argument(c, r, &alen);
	if (arg == NULL)
		return false;
	for (uint32_t i = 0; i < r->n_vars; i++) {
		const struct waf_var *v = &rs->vars[r->var_off + i];
		const struct waf_val *vals = c->vals;
		uint32_t n;

		if (v->flags & WVF_EXCLUDE)
			continue;
		/* macros resolve into arrays of their own: vals stays */
		n = waf_resolve(c, v, c->vals, WAF_VALS_MAX);
		for (uint32_t k = 0; k < n; k++) {
			if (excluded(c, r, &vals[k]))
				continue;
			if (test_value(c, r, &vals[k], arg, alen))
				matched = true;
		}
	}
	return matched;
}

/* The value of a hit matched rule r: confirm (PCRE2) and capture. */
static bool
confirm(struct mg_waf_ctx *c, const struct waf_rule *r, const struct waf_hit *h,
	const uint8_t *t, uint32_t tl)
{
	const struct mg_waf_ruleset *rs = c->rs;

	if (r->op == WOP_RX) {
		const struct waf_regex *re = &rs->regexes[r->op_data];

		/* PCRE2 confirms prefilter matches and gives the captures */
		return (re->hs_mode == WHM_EXACT && !(r->flags & WRF_CAPTURE)) ||
		       waf_rx_match(c, r, t, tl);
	}
	if (waf_op_scannable(r->op)) {
		/* the scan ran the operator: again for its capture */
		if (r->flags & WRF_CAPTURE)
			(void)waf_op_match(c, r, t, tl, NULL, 0);
		return true;
	}
	if (r->flags & WRF_CAPTURE) {
		const struct waf_phrases *ph = &rs->phrases[r->op_data];
		const char *w = waf_str(rs, rs->phrase_strs[ph->str_off +
							    h->phrase]);

		waf_set_capture(c, 0, (const uint8_t *)w, (uint32_t)strlen(w));
	}
	return true;
}

/*
 * A rule of the scan set: only the values the database reported, in the
 * order of the rule's variables (then of the values), as ModSecurity
 * would visit them.
 */
static bool
eval_grouped(struct mg_waf_ctx *c, const struct waf_rule *r, uint32_t ri)
{
	const struct mg_waf_ruleset *rs = c->rs;
	const struct waf_rule_hits *rh = &c->rule_hits[ri];
	bool matched = false;

	waf_scan_phase(c, r->tier);
	if (rh->gen != c->gen)
		return false;	/* the database saw nothing for it */
	for (uint32_t i = 0; i < r->n_vars; i++) {
		const struct waf_var *s = &rs->vars[r->var_off + i];

		if (s->flags & WVF_EXCLUDE)
			continue;
		for (uint32_t h = rh->first; h != WAF_NONE;
		     h = c->hits[h].next) {
			const struct waf_val *v;
			const uint8_t *t;
			uint32_t tl;

			if (c->hits[h].ordinal >= c->n_pvals)
				continue;
			v = &c->pvals[c->hits[h].ordinal];
			if (v->var != s->id ||
			    !waf_key_match(c, s, v->key, v->key_len) ||
			    excluded(c, r, v))
				continue;
			if (r->flags & WRF_MULTIMATCH) {
				/* each form of the value, as evaluated alone */
				if (test_value(c, r, v, NULL, 0))
					matched = true;
				continue;
			}
			t = waf_transform(c, rs->tfns + r->tfn_off, r->n_tfns,
					  v->v, v->len, &tl);
			if (confirm(c, r, &c->hits[h], t, tl)) {
				value_matched(c, r, v, t, tl);
				matched = true;
			}
		}
	}
	return matched;
}

/* Rule ri alone, without the rest of its chain */
static bool
eval_link(struct mg_waf_ctx *c, uint32_t ri)
{
	const struct waf_rule *r = &c->rs->rules[ri];
	bool matched;

	if (r->flags & WRF_ACTION) {
		run_setvars(c, r);
		matched = true;
	} else if (r->group != WAF_NONE) {
		matched = eval_grouped(c, r, ri);
	} else {
		matched = eval_direct(c, r);
	}
	if (!matched)
		clean_matched(c);
	return matched;
}

/* Rule ri and the rest of its chain; true when all of it matched. */
static bool
eval_rule(struct mg_waf_ctx *c, uint32_t ri)
{
	const struct waf_rule *r = &c->rs->rules[ri];

	if (!eval_link(c, ri))
		return false;
	if (r->next != WAF_NONE && !eval_rule(c, r->next))
		return false;
	run_ctls(c, r);
	return true;
}

bool
waf_eval_chain(struct mg_waf_ctx *c, uint32_t ri, bool whole)
{
	c->cur_rule = ri;
	return whole ? eval_rule(c, ri) : eval_link(c, ri);
}

/* ----------------------------------------------------------------- */
/* phases */

static void
log_match(struct mg_waf_ctx *c, const struct waf_rule *r)
{
	struct mg_waf_result *res = c->res;
	struct mg_waf_match *m;
	const uint8_t *s;
	uint32_t len;

	if (r->severity < c->highest_severity)
		c->highest_severity = r->severity;
	if (!(r->flags & WRF_LOG))
		return;
	if (res->n_matches == MG_WAF_MAX_MATCHES) {
		res->truncated = 1;
		c->counters[MG_WAF_C_MATCHES_DROPPED]++;
		return;
	}
	m = &res->matches[res->n_matches++];
	m->rule_id = r->id;
	m->severity = r->severity;
	m->phase = r->phase;
	m->msg = "";
	m->data = "";
	if (r->msg != WAF_NONE && (s = waf_expand(c, r->msg, &len)) != NULL)
		m->msg = (const char *)s;
	if (r->logdata != WAF_NONE &&
	    (s = waf_expand(c, r->logdata, &len)) != NULL) {
		/* matched data is cut for the log, as ModSecurity does */
		if (len > 512)
			((uint8_t *)s)[512] = '\0';
		m->data = (const char *)s;
	}
}

static void
disrupt(struct mg_waf_ctx *c, const struct waf_rule *r)
{
	const struct mg_waf_ruleset *rs = c->rs;
	struct mg_waf_result *res = c->res;
	uint8_t d = r->disruptive;
	uint32_t redirect = r->redirect, len;
	const uint8_t *url;
	uint16_t status;

	if (d == WD_BLOCK) {
		d = rs->default_disruptive[r->phase] ?
		    rs->default_disruptive[r->phase] : WD_PASS;
		redirect = rs->default_redirect[r->phase];
	}
	switch (d) {
	case WD_DENY:
	case WD_DROP:
	case WD_REDIRECT:
		if (c->engine != WE_ON) {
			res->would_block = 1;
			if (res->rule_id == 0)
				res->rule_id = r->id;
			return;
		}
		/* the rule's status, SecDefaultAction's, the policy's */
		status = r->status ? r->status :
			 rs->default_status[r->phase] ?
			 rs->default_status[r->phase] :
			 d == WD_REDIRECT ? 302 :
			 rs->block_status ? rs->block_status : 403;
		res->verdict = d == WD_DENY ? MG_WAF_DENY :
			       d == WD_DROP ? MG_WAF_DROP : MG_WAF_REDIRECT;
		res->status = status;
		res->rule_id = r->id;
		if (d == WD_REDIRECT) {
			url = redirect != WAF_NONE ?
			      waf_expand(c, redirect, &len) : NULL;
			res->location = url ? (const char *)url : "/";
		}
		c->done = 1;
		return;
	case WD_ALLOW:
	case WD_ALLOW_REQUEST:
	case WD_ALLOW_PHASE:
		if (c->engine == WE_ON)
			c->allow = d;
		return;
	default:
		return;
	}
}

/* The first step in [from, end) whose head has a hit, else end */
static uint32_t
next_hit(const uint64_t *bits, uint32_t from, uint32_t end)
{
	while (from < end) {
		uint64_t w = bits[from >> 6] >> (from & 63);

		if (w)
			return from + (uint32_t)__builtin_ctzll(w) < end ?
			       from + (uint32_t)__builtin_ctzll(w) : end;
		from = (from | 63) + 1;
	}
	return end;
}

static void
run_phase(struct mg_waf_ctx *c, uint8_t phn)
{
	const struct mg_waf_ruleset *rs = c->rs;
	const struct waf_phase *ph = &rs->phases[phn];
	uint32_t s = 0;

	c->phase = phn;
	c->gen++;
	c->n_hits = 0;
	memset(c->hit_steps, 0, (ph->n_steps / 64 + 1) * sizeof(uint64_t));
	while (s < ph->n_steps && !c->done && c->engine != WE_OFF) {
		uint32_t ri, jump = WAF_NONE;
		const struct waf_rule *r;

		if (c->n_removals == 0) {
			s = ph->live[s];	/* markers and folds passed */
			if (s == ph->n_steps)
				break;
		}
		ri = ph->steps[s];
		r = &rs->rules[ri];

		if (r->flags & WRF_MARKER) {
			s++;
			continue;
		}
		/* decided at load; a ctl:ruleRemove* may change what a
		 * folded rule sees, not what a hoisted one did */
		if (r->fold != WAF_FOLD_NONE &&
		    ((r->fold & WAF_FOLD_HOISTED) || c->n_removals == 0)) {
			s = (r->fold & WAF_FOLD_TRUE) ? r->fold_next : s + 1;
			continue;
		}
		if (removed_at_runtime(c, r)) {
			s++;
			continue;
		}
		/* most grouped rules: their database saw nothing; so did
		 * the heads after it up to the next with a hit */
		if (r->group != WAF_NONE) {
			if (c->scan_gen[r->tier] != c->gen)
				waf_scan_phase(c, r->tier);
			if (c->rule_hits[ri].gen != c->gen) {
				clean_matched(c);
				s = next_hit(c->hit_steps, s + 1, ph->run_end[s]);
				continue;
			}
		}
		c->cur_rule = ri;
		if (!eval_rule(c, ri)) {
			s++;
			continue;
		}
		c->cur_rule = ri;
		log_match(c, r);
		disrupt(c, r);
		if (c->allow)
			break;
		for (uint32_t k = ri; k != WAF_NONE; k = rs->rules[k].next)
			if (rs->rules[k].jump != WAF_NONE) {
				jump = rs->rules[k].jump;
				break;
			}
		s = jump != WAF_NONE ? jump : s + 1;
	}
	/* allow:phase ends this phase only */
	if (c->allow == WD_ALLOW_PHASE)
		c->allow = 0;
}

/* ----------------------------------------------------------------- */
/* requests */

static void finish(struct mg_waf_ctx *c, struct mg_waf_result *res);

static void
copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

int
mg_waf_begin(struct mg_waf_ctx *c, const uint8_t *head, size_t len,
	     const struct mg_waf_conn *conn, struct mg_waf_result *res)
{
	const struct mg_waf_ruleset *rs = c->rs;
	struct mg_waf_req_conf rc = {
		.body_limit = (uint32_t)c->body_cap,
		.args_limit = rs->arg_limit,
		.content_type_json_xml = rs->json_by_type,
	};

	memset(res, 0, sizeof(*res));
	c->res = res;
	c->arena_used = 0;
	c->body_len = 0;
	c->req = NULL;
	c->done = 0;
	c->allow = 0;
	c->highest_severity = 255;
	c->engine = rs->engine;
	c->body_access = rs->body_access;
	c->n_removals = 0;
	c->finished = 0;
	c->req_gen++;
	c->body_over = 0;
	clean_matched(c);
	waf_store_start(c);
	c->counters[MG_WAF_C_REQUESTS]++;
	c->start_us = waf_now_us();
	c->seq++;
	if (conn && conn->unique_id) {
		copy_str(c->unique_id, sizeof(c->unique_id), conn->unique_id);
	} else {
		/* the start time and a count, in hex */
		static const char hex[] = "0123456789abcdef";

		for (int i = 0; i < 16; i++)
			c->unique_id[i] = hex[(c->start_us >> (60 - 4 * i)) & 15];
		for (int i = 0; i < 8; i++)
			c->unique_id[16 + i] = hex[(c->seq >> (28 - 4 * i)) & 15];
		c->unique_id[24] = '\0';
	}
	copy_str(c->remote_addr, sizeof(c->remote_addr),
		 conn && conn->remote_addr ? conn->remote_addr : "");
	copy_str(c->server_addr, sizeof(c->server_addr),
		 conn && conn->server_addr ? conn->server_addr : "");
	waf_fmt_int(c->remote_port, conn ? conn->remote_port : 0);
	waf_fmt_int(c->server_port, conn ? conn->server_port : 0);
	if (len == 0 || len > WAF_HEAD_MAX) {
		c->counters[MG_WAF_C_BAD_REQUEST]++;
		c->done = 1;
		return -EINVAL;
	}
	memcpy(c->head, head, len);
	c->head_len = len;
	c->req = mg_waf_request_init(c->req_arena, c->req_arena_size, &rc);
	if (c->req == NULL || mg_waf_request_head(c->req, c->head, len) < 0) {
		c->counters[MG_WAF_C_BAD_REQUEST]++;
		c->done = 1;
		return -EINVAL;
	}
	if (c->engine != WE_OFF)
		run_phase(c, 1);
	if (c->done)
		finish(c, res);
	return res->verdict;
}

bool
mg_waf_wants_body(const struct mg_waf_ctx *c)
{
	return c->req != NULL && !c->done && !c->allow && c->body_access &&
	       c->engine != WE_OFF && c->rs->body_read;
}

void
mg_waf_body(struct mg_waf_ctx *c, const uint8_t *data, size_t len)
{
	size_t room = c->body_cap - c->body_len;

	if (c->done || c->req == NULL)
		return;
	if (len > room) {
		c->body_over = 1;
		len = room;
	}
	memcpy(c->body + c->body_len, data, len);
	c->body_len += len;
}

void
mg_waf_body_truncated(struct mg_waf_ctx *c)
{
	if (!c->done && c->req != NULL)
		c->body_over = 1;
}

/* The score and the counters, once per request. */
static void
finish(struct mg_waf_ctx *c, struct mg_waf_result *res)
{
	const struct waf_kvent *score;

	if (c->finished)
		return;
	c->finished = 1;
	score = waf_store_get(c, WV_TX, (const uint8_t *)"anomaly_score", 13);
	if (score) {
		long long v = 0;

		for (uint32_t i = 0; i < score->len && score->val[i] >= '0' &&
		     score->val[i] <= '9' && v < 1000000000; i++)
			v = v * 10 + (score->val[i] - '0');
		res->anomaly_score = (int32_t)v;
	}
	res->detect_only = c->engine == WE_DETECT;
	if (res->n_matches)
		c->counters[MG_WAF_C_MATCHED]++;
	if (res->verdict != MG_WAF_PASS)
		c->counters[MG_WAF_C_BLOCKED]++;
	c->body_over = 0;
}

int
mg_waf_end(struct mg_waf_ctx *c, struct mg_waf_result *res)
{
	const struct mg_waf_ruleset *rs = c->rs;

	if (c->req != NULL && !c->done && !c->allow) {
		if (c->body_over) {
			c->counters[MG_WAF_C_BODY_TRUNCATED]++;
			if (rs->body_limit_reject && c->engine == WE_ON) {
				res->verdict = MG_WAF_DENY;
				res->status = 413;
				c->done = 1;
			}
		}
		if (!c->done && c->body_access)
			mg_waf_request_body(c->req, c->body, c->body_len);
		if (!c->done && c->engine != WE_OFF)
			run_phase(c, 2);
	}
	finish(c, res);
	return res->verdict;
}

int
mg_waf_eval(struct mg_waf_ctx *c, const uint8_t *req, size_t len,
	    const struct mg_waf_conn *conn, struct mg_waf_result *res)
{
	size_t head = 0;
	int rc;

	/* the head ends at the first empty line: from newline to newline */
	for (size_t i = 0; i + 1 < len; i++) {
		const uint8_t *nl = memchr(req + i, '\n', len - 1 - i);

		if (nl == NULL)
			break;
		i = (size_t)(nl - req);
		if (req[i + 1] == '\n') {
			head = i + 2;
			break;
		}
		if (i + 2 < len && req[i + 1] == '\r' && req[i + 2] == '\n') {
			head = i + 3;
			break;
		}
	}
	if (head == 0)
		head = len;
	rc = mg_waf_begin(c, req, head, conn, res);
	if (rc != MG_WAF_PASS)
		return rc;
	mg_waf_body(c, req + head, len - head);
	return mg_waf_end(c, res);
}
