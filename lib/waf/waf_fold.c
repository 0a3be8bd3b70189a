/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the loaded rules let the engine decide once instead of per
 * request: folding (below), the plan run_phase walks (waf_plan_runs:
 * steps to pass over, runs of grouped rules, scan targets no reachable
 * rule reads) and whether a phase-2 rule reads the body at all.
 *
 * Folding: the rules no request can change.
 *
 * CRS spends most of its rule evaluations on itself: phase 1 opens with
 * some forty rules that set TX defaults from constants (901xxx), and each
 * rule file starts with eight rules that compare
 * TX:EXECUTING_PARANOIA_LEVEL with 1..4 to skip what the level leaves
 * out. A benign GET at paranoia level 1 ran about 150 such rules for the
 * 20 or so that read the request.
 *
 * A rule (its whole chain) is static when all it reads is TX under
 * literal keys that no runtime rule wrote before it, and its macros
 * expand only such TX and the rule's own fields. Walking phases 1 and 2
 * in order, each static rule runs once here, on a simulated TX:
 *  - if it did not match, or matched without doing anything (no setvar,
 *    log, severity, ctl or disruptive action), it is folded: its result,
 *    and so its skipAfter, is decided; run_phase only follows it;
 *  - if it set TX and did nothing else, it is hoisted: it runs once per
 *    context into an image of TX (waf_fold_image) that each request
 *    starts from, provided no runtime rule before it may skip it (a skip,
 *    a ctl, a disruptive action), read what it writes, or write it;
 *  - everything else runs per request, and what it writes is dynamic
 *    from then on (a key with macros: every key with its literal start).
 * A chain whose head is static but whose rest reads the request is folded
 * when the head does not match. Rules a folded skipAfter jumps over are
 * reached, if ever, only by a runtime jump: they are runtime rules. IP,
 * GLOBAL and the other collections are treated as TX is (they live one
 * request here).
 *
 * Folding is exact: a request gets the matches, score and verdict it
 * would get without it (mg_waf_conf.no_fold; tests/unit/waf compare).
 * It is off for a rule set where a rule could see MATCHED_VAR left by the
 * rule before it (a SecAction or chain head reading MATCHED_*), which a
 * folded rule would no longer set or clear; CRS has none.
 */
#include <stdlib.h>
#include <string.h>

#include "waf_eval.h"

/* Keys of TX (or IP, GLOBAL...): exact, or every key with a prefix; all:
 * any key of any collection. */
struct key {
	const char *p;
	uint32_t len;
	uint8_t coll;		/* enum waf_var_id */
	bool prefix;
};

struct keyset {
	struct key *k;
	uint32_t n, cap;
	bool all;
};

static int
keys_add(struct keyset *ks, uint8_t coll, const char *p, uint32_t len,
	 bool prefix)
{
	if (prefix && len == 0) {
		ks->all = true;
		return 0;
	}
	if (waf_vec_grow((void **)&ks->k, &ks->cap, ks->n + 1,
			 sizeof(*ks->k)) < 0)
		return -1;
	ks->k[ks->n++] = (struct key){ p, len, coll, prefix };
	return 0;
}

static bool
keys_has(const struct keyset *ks, uint8_t coll, const char *p, uint32_t len)
{
	if (ks->all)
		return true;
	for (uint32_t i = 0; i < ks->n; i++) {
		const struct key *k = &ks->k[i];

		if (k->coll != coll)
			continue;
		if (k->prefix ? len >= k->len && waf_ieq(p, k->len, k->p,
							  k->len) :
				waf_ieq(p, len, k->p, k->len))
			return true;
	}
	return false;
}

/* Some key of a may be a key of b */
static bool
keys_meet(const struct keyset *a, const struct keyset *b)
{
	if ((a->all && (b->all || b->n)) || (b->all && a->n))
		return true;
	for (uint32_t i = 0; i < a->n; i++) {
		const struct key *k = &a->k[i];

		if (keys_has(b, k->coll, k->p, k->len))
			return true;
		/* a prefix meets any key of b that starts with it */
		for (uint32_t j = 0; k->prefix && j < b->n; j++)
			if (b->k[j].coll == k->coll && b->k[j].len >= k->len &&
			    waf_ieq(b->k[j].p, k->len, k->p, k->len))
				return true;
	}
	return false;
}

static int
keys_merge(struct keyset *dst, const struct keyset *src)
{
	dst->all |= src->all;
	for (uint32_t i = 0; i < src->n; i++)
		if (keys_add(dst, src->k[i].coll, src->k[i].p, src->k[i].len,
			     src->k[i].prefix) < 0)
			return -1;
	return 0;
}

/* What a rule's chain reads, writes and does. */
struct chain_info {
	struct keyset reads;	/* keys of TX, IP... */
	struct keyset writes;	/* keys set, added to or deleted */
	bool dynamic;		/* reads more than those and its own fields */
	bool unfoldable;	/* captures, keys with macros */
	bool ctl;
	bool jumps;
	bool disrupts;		/* deny, drop, redirect, allow */
	bool logs;		/* log, or a severity */
	bool stale_reader;	/* may read MATCHED_* of an earlier rule */
	bool fail;		/* out of memory */
};

static bool
is_matched_var(unsigned v)
{
	return v == WV_MATCHED_VAR || v == WV_MATCHED_VAR_NAME ||
	       v == WV_MATCHED_VARS || v == WV_MATCHED_VARS_NAMES;
}

/* The keys template t reads; anything else makes *dyn true. */
static void
tmpl_reads(const struct mg_waf_ruleset *rs, uint32_t t,
	   const struct waf_rule *head, struct chain_info *ci, bool *dyn,
	   bool *matched, int depth)
{
	const struct waf_tmpl *tm;

	if (t == WAF_NONE)
		return;
	tm = &rs->tmpls[t];
	for (uint32_t i = 0; i < tm->n_segs; i++) {
		const struct waf_seg *sg = &rs->segs[tm->seg_off + i];
		const char *k = waf_str(rs, sg->str);

		if (sg->var == WAF_SEG_LIT)
			continue;
		if (sg->var == WV_RULE) {
			/* rule.msg and rule.logdata are templates too */
			if (depth < 2 && strcmp(k, "msg") == 0)
				tmpl_reads(rs, head->msg, head, ci, dyn,
					   matched, depth + 1);
			else if (depth < 2 && strcmp(k, "logdata") == 0)
				tmpl_reads(rs, head->logdata, head, ci, dyn,
					   matched, depth + 1);
			continue;
		}
		if (waf_var_is_store(sg->var)) {
			ci->fail |= keys_add(&ci->reads, sg->var, k, sg->len,
					     false) < 0;
			continue;
		}
		*dyn = true;
		if (is_matched_var(sg->var) && matched)
			*matched = true;
	}
}

/* A setvar's key: its literal text, or the literal start of a key with
 * macros (which are reads too). */
static void
setvar_key(const struct mg_waf_ruleset *rs, const struct waf_act *a,
	   const struct waf_rule *head, struct chain_info *ci)
{
	const struct waf_tmpl *tm = &rs->tmpls[a->key];
	const struct waf_seg *first = tm->n_segs ? &rs->segs[tm->seg_off] :
				      NULL;
	const char *p = "";
	uint32_t len = 0;

	if (first && first->var == WAF_SEG_LIT) {
		p = waf_str(rs, first->str);
		len = first->len;
	}
	if (!tm->literal) {
		tmpl_reads(rs, a->key, head, ci, &ci->dynamic, NULL, 0);
		ci->unfoldable = true;
	}
	ci->fail |= keys_add(&ci->writes, a->coll, p, len, !tm->literal) < 0;
}

/* The whole chain of ri, or (!whole) what decides whether its head
 * matches: its variables and its operator's argument. What a rule does
 * once it matched does not change whether it does. */
static void
chain_info(const struct mg_waf_ruleset *rs, uint32_t ri, bool whole,
	   struct chain_info *ci)
{
	const struct waf_rule *head = &rs->rules[ri];
	uint8_t d = head->disruptive;
	bool *stale, logged = false;

	memset(ci, 0, sizeof(*ci));
	if (d == WD_BLOCK)
		d = rs->default_disruptive[head->phase];
	ci->disrupts = d != WD_NONE && d != WD_PASS && d != WD_BLOCK;
	ci->logs = (head->flags & WRF_LOG) || head->severity != 255;
	/* a SecAction has no match of its own: MATCHED_* would be stale */
	stale = (head->flags & WRF_ACTION) ? &ci->stale_reader : NULL;
	/* expanded only when the chain matched and logs or redirects, which
	 * are effects anyway: reads, never what makes a rule dynamic */
	if (whole) {
		tmpl_reads(rs, head->msg, head, ci, &logged, stale, 0);
		tmpl_reads(rs, head->logdata, head, ci, &logged, stale, 0);
		tmpl_reads(rs, head->redirect, head, ci, &logged, stale, 0);
	}
	for (uint32_t k = ri; k != WAF_NONE;
	     k = whole ? rs->rules[k].next : WAF_NONE) {
		const struct waf_rule *r = &rs->rules[k];
		bool is_head = k == ri;

		ci->jumps |= r->jump != WAF_NONE;
		if (r->op == WOP_GEO_LOOKUP || r->op == WOP_RBL ||
		    r->group != WAF_NONE)
			ci->dynamic = true;
		if (r->flags & WRF_CAPTURE) {
			/* TX:0..9 */
			ci->unfoldable = true;
			for (char c = '0'; c <= '9'; c++)
				ci->fail |= keys_add(&ci->writes, WV_TX,
					&"0123456789"[c - '0'], 1, false) < 0;
		}
		if (r->op_arg != WAF_NONE)
			tmpl_reads(rs, r->op_arg, head, ci, &ci->dynamic,
				   is_head ? &ci->stale_reader : NULL, 0);
		for (uint32_t i = 0; i < r->n_vars; i++) {
			const struct waf_var *v = &rs->vars[r->var_off + i];

			if (v->flags & WVF_EXCLUDE)
				continue;
			if (waf_var_is_store(v->id) && (v->flags & WVF_KEY)) {
				ci->fail |= keys_add(&ci->reads, v->id,
						     waf_str(rs, v->key),
						     v->key_len, false) < 0;
				continue;
			}
			if (waf_var_is_store(v->id))
				ci->reads.all = true;
			ci->dynamic = true;
			if (is_head && is_matched_var(v->id))
				ci->stale_reader = true;
		}
		for (uint32_t i = 0; whole && i < r->n_acts; i++) {
			const struct waf_act *a = &rs->acts[r->act_off + i];

			switch (a->kind) {
			case WA_SETVAR_SET:
			case WA_SETVAR_ADD:
			case WA_SETVAR_SUB:
				tmpl_reads(rs, a->val, head, ci, &ci->dynamic,
					   stale, 0);
				/* fall through */
			case WA_SETVAR_DEL:
				setvar_key(rs, a, head, ci);
				break;
			case WA_INITCOL:
				/* collections live one request: nothing */
				break;
			default:
				ci->ctl = true;
				break;
			}
		}
	}
}

static void
chain_info_free(struct chain_info *ci)
{
	free(ci->reads.k);
	free(ci->writes.k);
}

/* The walk over phases 1 and 2 */
struct fold {
	struct mg_waf_ruleset *rs;
	struct mg_waf_ctx *sim;		/* TX as the hoisted rules leave it */
	struct keyset dyn_writes;	/* written by runtime rules so far */
	struct keyset dyn_reads;	/* read by runtime rules so far */
	bool barrier;			/* a runtime rule may skip the rest */
	bool inserted;			/* a runtime rule added TX keys */
};

/* A TX key some rule lists by regex or whole: an image changes the order
 * of keys it lists. */
static bool
listed(struct fold *f, const struct keyset *writes)
{
	const struct mg_waf_ruleset *rs = f->rs;

	for (uint32_t i = 0; i < rs->n_vars; i++) {
		const struct waf_var *v = &rs->vars[i];

		if (!waf_var_is_store(v->id) ||
		    (v->flags & (WVF_KEY | WVF_EXCLUDE)))
			continue;
		for (uint32_t k = 0; k < writes->n; k++)
			if (writes->k[k].coll == v->id &&
			    waf_key_match(f->sim, v,
					  (const uint8_t *)writes->k[k].p,
					  writes->k[k].len))
				return true;
	}
	return false;
}

static uint64_t
sim_errors(const struct mg_waf_ctx *c)
{
	return c->counters[MG_WAF_C_ARENA_FULL] + c->counters[MG_WAF_C_TX_FULL] +
	       c->counters[MG_WAF_C_PCRE_ERROR];
}

/* A runtime rule: what it writes is dynamic from here on, and if it may
 * skip what follows, nothing after it is hoisted. */
static int
at_runtime(struct fold *f, const struct chain_info *ci)
{
	f->inserted |= ci->writes.n || ci->writes.all;
	f->barrier |= ci->jumps || ci->ctl || ci->disrupts;
	if (keys_merge(&f->dyn_writes, &ci->writes) < 0 ||
	    keys_merge(&f->dyn_reads, &ci->reads) < 0)
		return -1;
	return 0;
}

/* Reads only static keys: no request, no key a runtime rule wrote */
static bool
reads_static(const struct fold *f, const struct chain_info *ci)
{
	return !ci->dynamic && !ci->unfoldable &&
	       !keys_meet(&ci->reads, &f->dyn_writes);
}

/*
 * A rule whose test reads only static keys, but whose chain reads the
 * request or whose actions read what runtime rules write: when its head
 * does not match, the rule does not. True when folded so.
 */
static int
fold_head(struct fold *f, uint32_t ri, uint8_t phn, bool *folded)
{
	struct chain_info hi;
	struct waf_store_snap mark = { 0 };
	uint32_t writes;
	uint64_t errors;
	bool result;
	int rc = 0;

	*folded = false;
	chain_info(f->rs, ri, false, &hi);
	if (hi.fail)
		rc = -1;
	else if (reads_static(f, &hi) &&
		 waf_store_snap_take(f->sim, &mark) == 0) {
		writes = f->sim->n_writes;
		errors = sim_errors(f->sim);
		f->sim->phase = phn;
		result = waf_eval_chain(f->sim, ri, false);
		*folded = !result && f->sim->n_writes == writes &&
			  sim_errors(f->sim) == errors;
		waf_store_snap_put(f->sim, &mark);
	}
	waf_store_snap_free(&mark);
	chain_info_free(&hi);
	return rc;
}

/*
 * Rule ri at step s of phase phn. A rule that reads only static keys is
 * run on the simulated TX: what it did decides. It matched with no
 * effect, or did not match: folded. It wrote TX (a setvar, maybe of a
 * chain that failed further on), with nothing else: hoisted if nothing
 * before it forbids, else undone and left to run per request.
 */
static int
fold_step(struct fold *f, uint8_t phn, uint32_t s, uint32_t *skip_until)
{
	struct mg_waf_ruleset *rs = f->rs;
	uint32_t ri = rs->phases[phn].steps[s];
	struct waf_rule *r = &rs->rules[ri];
	struct waf_store_snap mark = { 0 };
	struct chain_info ci;
	bool result = false, wrote, effects, hoist = false, folded;
	uint64_t errors;
	uint32_t writes;
	int rc = 0;

	chain_info(rs, ri, true, &ci);
	if (ci.fail) {
		rc = -1;
		goto out;
	}
	if (s < *skip_until) {
		rc = at_runtime(f, &ci);
		goto out;
	}
	if (!reads_static(f, &ci)) {
		/* CRS: "TX:MAX_NUM_ARGS @eq 1" chained to &ARGS; 949061,
		 * adding the score of a paranoia level not run */
		rc = fold_head(f, ri, phn, &folded);
		if (rc == 0 && folded)
			goto fold;	/* never matches: nothing it does */
		if (rc == 0)
			rc = at_runtime(f, &ci);
		goto out;
	}
	if (waf_store_snap_take(f->sim, &mark) < 0) {
		rc = -1;
		goto out;
	}
	writes = f->sim->n_writes;
	errors = sim_errors(f->sim);
	f->sim->phase = phn;
	result = waf_eval_chain(f->sim, ri, true);
	wrote = f->sim->n_writes != writes;
	/* a full arena or TX, a PCRE2 limit: a request might fare better */
	effects = (result && (ci.ctl || ci.disrupts || ci.logs)) ||
		  sim_errors(f->sim) != errors;
	if (wrote)
		hoist = !effects && !f->barrier &&
			!keys_meet(&ci.writes, &f->dyn_reads) &&
			!keys_meet(&ci.writes, &f->dyn_writes) &&
			!(f->inserted && listed(f, &ci.writes));
	if (effects || (wrote && !hoist)) {
		waf_store_snap_put(f->sim, &mark);
		rc = at_runtime(f, &ci);
		goto out;
	}
	if (!hoist)
		waf_store_snap_put(f->sim, &mark);	/* its arena use only */
fold:
	r->fold = result ? WAF_FOLD_TRUE : WAF_FOLD_FALSE;
	r->fold_next = s + 1;
	if (result)
		for (uint32_t k = ri; k != WAF_NONE; k = rs->rules[k].next)
			if (rs->rules[k].jump != WAF_NONE) {
				r->fold_next = rs->rules[k].jump;
				break;
			}
	if (r->fold_next > s + 1)
		*skip_until = r->fold_next;
	rs->stats.folded++;
	if (hoist) {
		uint32_t *p = WAF_PUSH(rs, prologue, n_prologue,
				       rs->prologue_cap);

		if (p == NULL)
			rc = -1;
		else
			*p = ri;
		r->fold |= WAF_FOLD_HOISTED;
		rs->stats.hoisted++;
	}
out:
	waf_store_snap_free(&mark);
	chain_info_free(&ci);
	return rc;
}

/* Some chain head could read MATCHED_* of the rule before it */
static bool
has_stale_reader(const struct mg_waf_ruleset *rs)
{
	for (uint8_t phn = 1; phn <= 2; phn++)
		for (uint32_t s = 0; s < rs->phases[phn].n_steps; s++) {
			uint32_t ri = rs->phases[phn].steps[s];
			struct chain_info ci;
			bool stale;

			if (rs->rules[ri].flags & WRF_MARKER)
				continue;
			chain_info(rs, ri, true, &ci);
			stale = ci.stale_reader || ci.fail;
			chain_info_free(&ci);
			if (stale)
				return true;
		}
	return false;
}

/* The keys of TX (IP...) template t expands */
static int
tmpl_keys(const struct mg_waf_ruleset *rs, uint32_t t, struct keyset *ks)
{
	const struct waf_tmpl *tm;

	if (t == WAF_NONE)
		return 0;
	tm = &rs->tmpls[t];
	for (uint32_t i = 0; i < tm->n_segs; i++) {
		const struct waf_seg *sg = &rs->segs[tm->seg_off + i];

		if (waf_var_is_store(sg->var) &&
		    keys_add(ks, sg->var, waf_str(rs, sg->str), sg->len,
			     false) < 0)
			return -1;
	}
	return 0;
}

/* Every key of TX (IP...) some rule or the engine may read by name, in a
 * variable or a macro (initcol's are not expanded: collections live one
 * request); variables with a selector regex are checked on their own. */
static int
named_reads(const struct mg_waf_ruleset *rs, struct keyset *ks)
{
	int rc = keys_add(ks, WV_TX, "anomaly_score", 13, false); /* finish */

	for (uint32_t i = 0; i < rs->n_vars && rc == 0; i++) {
		const struct waf_var *v = &rs->vars[i];

		if (!waf_var_is_store(v->id) || (v->flags & WVF_EXCLUDE) ||
		    (v->flags & WVF_REGEX))
			continue;
		if (v->flags & WVF_KEY)
			rc = keys_add(ks, v->id, waf_str(rs, v->key),
				      v->key_len, false);
		else
			ks->all = true;		/* the whole collection */
	}
	for (uint32_t ri = 0; ri < rs->n_rules && rc == 0; ri++) {
		const struct waf_rule *r = &rs->rules[ri];

		rc = tmpl_keys(rs, r->op_arg, ks) | tmpl_keys(rs, r->msg, ks) |
		     tmpl_keys(rs, r->logdata, ks) |
		     tmpl_keys(rs, r->redirect, ks);
		for (uint32_t i = 0; i < r->n_acts && rc == 0; i++) {
			const struct waf_act *a = &rs->acts[r->act_off + i];

			if (a->kind <= WA_SETVAR_DEL)
				rc = tmpl_keys(rs, a->key, ks);
			if (a->kind < WA_SETVAR_DEL && rc == 0)
				rc = tmpl_keys(rs, a->val, ks);
		}
	}
	for (unsigned ph = 0; ph < 6 && rc == 0; ph++)
		if (rs->default_disruptive[ph] == WD_REDIRECT)
			rc = tmpl_keys(rs, rs->default_redirect[ph], ks);
	return rc;
}

/* Some selector regex of TX (IP...) may pick one of the keys written */
static bool
selected_by_regex(struct fold *f, const struct keyset *writes)
{
	const struct mg_waf_ruleset *rs = f->rs;

	for (uint32_t i = 0; i < rs->n_vars; i++) {
		const struct waf_var *v = &rs->vars[i];

		if (!waf_var_is_store(v->id) || !(v->flags & WVF_REGEX) ||
		    (v->flags & WVF_EXCLUDE))
			continue;
		for (uint32_t k = 0; k < writes->n; k++)
			if (writes->k[k].coll == v->id &&
			    (writes->k[k].prefix ||
			     waf_key_match(f->sim, v,
					   (const uint8_t *)writes->k[k].p,
					   writes->k[k].len)))
				return true;
	}
	return false;
}

/*
 * Runtime rules whose only effect is to set keys nothing reads: CRS's
 * 901318 hashes the User-Agent into tx.ua_hash for an initcol that keeps
 * nothing here. Decided at load as not matching: nothing it would do
 * can be seen (no log, no ctl, no skip, no capture).
 */
static int
drop_unread_writers(struct fold *f)
{
	struct mg_waf_ruleset *rs = f->rs;
	struct keyset reads = { 0 };
	int rc = named_reads(rs, &reads);

	for (uint8_t phn = 1; phn <= 2 && rc == 0; phn++) {
		const struct waf_phase *ph = &rs->phases[phn];

		for (uint32_t s = 0; s < ph->n_steps && rc == 0; s++) {
			uint32_t ri = ph->steps[s];
			struct waf_rule *r = &rs->rules[ri];
			struct chain_info ci;

			if ((r->flags & WRF_MARKER) || r->fold != WAF_FOLD_NONE)
				continue;
			chain_info(rs, ri, true, &ci);
			rc = ci.fail ? -1 : 0;
			if (rc == 0 && ci.writes.n > 0 && !ci.writes.all &&
			    !ci.ctl && !ci.jumps && !ci.disrupts && !ci.logs &&
			    !(r->flags & WRF_CAPTURE) &&
			    !keys_meet(&ci.writes, &reads) &&
			    !selected_by_regex(f, &ci.writes)) {
				r->fold = WAF_FOLD_FALSE;
				r->fold_next = s + 1;
				rs->stats.folded++;
				rs->stats.unread++;
			}
			chain_info_free(&ci);
		}
	}
	free(reads.k);
	return rc;
}

int
waf_fold(struct mg_waf_ruleset *rs)
{
	struct mg_waf_conf conf = { .no_scan_memo = true,
				    .max_value = 1u << 16 };
	struct fold f = { .rs = rs };
	int rc = 0;

	if (has_stale_reader(rs)) {
		waf_warn(rs, "rule folding off: a rule reads MATCHED_VAR "
			 "of the rule before it");
		return 0;
	}
	f.sim = mg_waf_ctx_create(rs, &conf);
	if (f.sim == NULL)
		return -1;
	f.sim->engine = rs->engine;
	for (uint8_t phn = 1; phn <= 2 && rc == 0; phn++) {
		const struct waf_phase *ph = &rs->phases[phn];
		uint32_t skip_until = 0;

		for (uint32_t s = 0; s < ph->n_steps && rc == 0; s++)
			if (!(rs->rules[ph->steps[s]].flags & WRF_MARKER))
				rc = fold_step(&f, phn, s, &skip_until);
	}
	if (rc == 0)
		rc = drop_unread_writers(&f);
	mg_waf_ctx_free(f.sim);
	free(f.dyn_writes.k);
	free(f.dyn_reads.k);
	return rc;
}

int
waf_fold_image(struct mg_waf_ctx *c)
{
	const struct mg_waf_ruleset *rs = c->rs;

	if (rs->n_prologue == 0)
		return 0;
	c->arena_used = 0;
	waf_store_reset(c);
	for (uint32_t i = 0; i < rs->n_prologue; i++) {
		c->phase = rs->rules[rs->prologue[i]].phase;
		waf_eval_chain(c, rs->prologue[i], true);
	}
	c->n_matched = 0;
	c->has_matched_var = false;
	if (waf_store_snap_take(c, &c->img) < 0)
		return -1;
	c->memory += c->n_store * sizeof(*c->store) + sizeof(c->slots) +
		     c->arena_used;
	memset(c->counters, 0, sizeof(c->counters));
	return 0;
}

/* A variable whose values come from the request body, in whole or in
 * part (ARGS: the query's and the body's) */
static bool
from_body(unsigned v)
{
	switch (v) {
	case WV_ARGS:
	case WV_ARGS_NAMES:
	case WV_ARGS_POST:
	case WV_ARGS_POST_NAMES:
	case WV_ARGS_COMBINED_SIZE:
	case WV_REQUEST_BODY:
	case WV_REQUEST_BODY_LENGTH:
	case WV_FULL_REQUEST_LENGTH:
	case WV_FILES:
	case WV_FILES_NAMES:
	case WV_FILES_SIZES:
	case WV_FILES_COMBINED_SIZE:
	case WV_MULTIPART_PART_HEADERS:
	case WV_MULTIPART_FILENAME:
	case WV_MULTIPART_NAME:
	case WV_MULTIPART_BOUNDARY_QUOTED:
	case WV_MULTIPART_BOUNDARY_WHITESPACE:
	case WV_MULTIPART_DATA_AFTER:
	case WV_MULTIPART_DATA_BEFORE:
	case WV_MULTIPART_FILE_LIMIT_EXCEEDED:
	case WV_MULTIPART_HEADER_FOLDING:
	case WV_MULTIPART_INVALID_HEADER_FOLDING:
	case WV_MULTIPART_INVALID_PART:
	case WV_MULTIPART_INVALID_QUOTING:
	case WV_MULTIPART_LF_LINE:
	case WV_MULTIPART_CRLF_LF_LINES:
	case WV_MULTIPART_MISSING_SEMICOLON:
	case WV_MULTIPART_STRICT_ERROR:
	case WV_MULTIPART_UNMATCHED_BOUNDARY:
	case WV_REQBODY_ERROR:
	case WV_REQBODY_ERROR_MSG:
	case WV_REQBODY_PROCESSOR_ERROR:
	case WV_REQBODY_PROCESSOR_ERROR_MSG:
	case WV_INBOUND_DATA_ERROR:
	case WV_URLENCODED_ERROR:
	case WV_XML:
		return true;
	default:
		return false;
	}
}

static bool
tmpl_from_body(const struct mg_waf_ruleset *rs, uint32_t t)
{
	if (t == WAF_NONE)
		return false;
	for (uint32_t i = 0; i < rs->tmpls[t].n_segs; i++)
		if (from_body(rs->segs[rs->tmpls[t].seg_off + i].var))
			return true;
	return false;
}

/* Some rule of phase 2 reads a variable the body gives, or expands one */
static bool
phase2_reads_body(const struct mg_waf_ruleset *rs)
{
	const struct waf_phase *ph = &rs->phases[2];

	for (uint32_t s = 0; s < ph->n_steps; s++)
		for (uint32_t k = ph->steps[s]; k != WAF_NONE;
		     k = rs->rules[k].next) {
			const struct waf_rule *r = &rs->rules[k];

			if (r->flags & WRF_MARKER)
				break;
			for (uint32_t i = 0; i < r->n_vars; i++)
				if (from_body(rs->vars[r->var_off + i].id))
					return true;
			if (tmpl_from_body(rs, r->op_arg) ||
			    tmpl_from_body(rs, r->msg) ||
			    tmpl_from_body(rs, r->logdata))
				return true;
			for (uint32_t i = 0; i < r->n_acts; i++) {
				const struct waf_act *a =
					&rs->acts[r->act_off + i];

				if (a->kind <= WA_SETVAR_DEL &&
				    (tmpl_from_body(rs, a->key) ||
				     (a->kind != WA_SETVAR_DEL &&
				      tmpl_from_body(rs, a->val))))
					return true;
			}
		}
	return false;
}

/*
 * The steps of phase phn a request can reach: from the first, over
 * markers and folded rules as run_phase passes them, and from a runtime
 * rule to the next step and to its skipAfter. When a runtime ctl may
 * remove rules (*removal), a folded rule that is not hoisted may be passed
 * over or evaluated again: both ways. Jumps go forward: one pass.
 */
static void
reachable(const struct mg_waf_ruleset *rs, uint8_t phn, bool both,
	  uint8_t *reach, bool *removal)
{
	const struct waf_phase *ph = &rs->phases[phn];

	memset(reach, 0, ph->n_steps + 1);
	reach[0] = 1;
	for (uint32_t s = 0; s < ph->n_steps; s++) {
		const struct waf_rule *r = &rs->rules[ph->steps[s]];
		bool runtime = r->fold == WAF_FOLD_NONE ||
			       (both && !(r->fold & WAF_FOLD_HOISTED));

		if (!reach[s])
			continue;
		if (r->flags & WRF_MARKER) {
			reach[s + 1] = 1;
			continue;
		}
		if (r->fold != WAF_FOLD_NONE)
			reach[(r->fold & WAF_FOLD_TRUE) ? r->fold_next : s + 1] = 1;
		if (!runtime)
			continue;
		reach[s + 1] = 1;
		for (uint32_t k = ph->steps[s]; k != WAF_NONE;
		     k = rs->rules[k].next) {
			const struct waf_rule *x = &rs->rules[k];

			if (x->jump != WAF_NONE)
				reach[x->jump] = 1;
			for (uint32_t i = 0; i < x->n_acts; i++) {
				uint8_t kind = rs->acts[x->act_off + i].kind;

				*removal |= kind >= WA_CTL_REMOVE_ID &&
					    kind <= WA_CTL_REMOVE_TARGET_TAG;
			}
		}
	}
}

/* Some rule of target tg, a scan target of phase phn, can be reached */
static bool
target_live(const struct mg_waf_ruleset *rs, const struct waf_target *tg,
	    uint8_t phn, const uint8_t *reach)
{
	for (uint32_t p = 0; p < tg->n_pats + tg->n_ops; p++) {
		uint32_t h = rs->rules[waf_target_rule(tg, p)].head;
		uint32_t st = rs->rule_step[h];

		if (st == WAF_NONE || rs->rules[h].phase != phn || reach[st])
			return true;
	}
	return false;
}

/*
 * A scan target none of whose rules a request can reach is not scanned:
 * CRS's UNIQUE_ID sampling rule (901410) sits behind the folded "sampling
 * at 100 %" skip, and scanning the request's unique id was a miss in the
 * scan memo every request. Targets leave the index by tier and variable.
 */
static int
drop_dead_targets(struct mg_waf_ruleset *rs)
{
	uint8_t *reach[3] = { NULL, NULL, NULL };
	bool removal = false, again = false;
	int rc = 0;

	for (uint8_t phn = 1; phn <= 2; phn++) {
		reach[phn] = malloc(rs->phases[phn].n_steps + 1);
		if (reach[phn] == NULL)
			rc = -1;
	}
	for (uint8_t phn = 1; phn <= 2 && rc == 0; phn++)
		reachable(rs, phn, false, reach[phn], &removal);
	for (uint8_t phn = 1; phn <= 2 && rc == 0 && removal; phn++)
		reachable(rs, phn, true, reach[phn], &again);
	for (uint8_t phn = 1; phn <= 2 && rc == 0; phn++) {
		struct waf_scanset *ss = &rs->scan[phn];

		if (ss->tix == NULL)
			continue;	/* no scan set (no_scan_sets) */
		for (unsigned t = 0; t < WAF_TIERS; t++)
			for (unsigned v = 0; v < WV_MAX; v++) {
				uint16_t *tix = ss->tix + ss->by_var[t][v];
				unsigned n = 0;

				for (unsigned i = 0; i < ss->n_by_var[t][v]; i++) {
					if (target_live(rs, &ss->targets[tix[i]],
							phn, reach[phn]))
						tix[n++] = tix[i];
					else
						rs->stats.dead_targets++;
				}
				ss->n_by_var[t][v] = (uint8_t)n;
			}
		waf_scan_vars(ss);
	}
	free(reach[1]);
	free(reach[2]);
	return rc;
}

/*
 * A run: consecutive grouped chain heads of one tier, neither folded nor
 * markers. A head without a hit does nothing but clear MATCHED_VAR, so
 * run_phase goes from it to the next head of the run with a hit, or past
 * the run, in one step. A runtime jump landing inside a run starts there.
 * Markers and folded rules are followed here, once: live[s] is where a
 * request arriving at step s has something to do (CRS PL1: 138 of the
 * 193 steps a benign GET went through).
 */
int
waf_plan_runs(struct mg_waf_ruleset *rs)
{
	rs->body_read = phase2_reads_body(rs);
	rs->rule_step = malloc((rs->n_rules + 1) * sizeof(*rs->rule_step));
	if (rs->rule_step == NULL)
		return -1;
	for (uint32_t i = 0; i < rs->n_rules; i++)
		rs->rule_step[i] = WAF_NONE;
	for (uint8_t phn = 1; phn <= 2; phn++) {
		struct waf_phase *ph = &rs->phases[phn];
		uint32_t end = ph->n_steps;

		ph->run_end = malloc((ph->n_steps + 1) * sizeof(uint32_t));
		ph->live = malloc((ph->n_steps + 1) * sizeof(uint32_t));
		if (ph->run_end == NULL || ph->live == NULL)
			return -1;
		ph->live[ph->n_steps] = ph->n_steps;
		if (ph->n_steps > rs->max_steps)
			rs->max_steps = ph->n_steps;
		for (uint32_t s = ph->n_steps; s-- > 0;) {
			const struct waf_rule *r = &rs->rules[ph->steps[s]];
			const struct waf_rule *nx = s + 1 < ph->n_steps ?
				&rs->rules[ph->steps[s + 1]] : NULL;
			bool grouped = !(r->flags & WRF_MARKER) &&
				       r->group != WAF_NONE &&
				       r->fold == WAF_FOLD_NONE;

			if (!(r->flags & WRF_MARKER))
				rs->rule_step[ph->steps[s]] = s;
			/* jumps go forward: live[] after s is known */
			if (r->flags & WRF_MARKER)
				ph->live[s] = ph->live[s + 1];
			else if (r->fold != WAF_FOLD_NONE)
				ph->live[s] = ph->live[(r->fold & WAF_FOLD_TRUE) ?
						      r->fold_next : s + 1];
			else
				ph->live[s] = s;
			/* a run goes on while the next step is a grouped head
			 * of the same tier */
			if (!grouped || nx == NULL || (nx->flags & WRF_MARKER) ||
			    nx->group == WAF_NONE || nx->fold != WAF_FOLD_NONE ||
			    nx->tier != r->tier)
				end = s + 1;
			ph->run_end[s] = end;
		}
	}
	return drop_dead_targets(rs);
}
