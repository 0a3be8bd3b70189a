/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Scan sets (waf_internal.h): every @rx/@pm/@pmFromFile rule of phases 1
 * and 2 that reads request data (not TX, not MATCHED_VARS: those change
 * while a phase runs) and is not negated is grouped: its patterns go in
 * the Hyperscan database of each variable it reads. So is a chain head
 * with an operator of the value's bytes alone (@detectSQLi, @detectXSS,
 * @validateByteRange, @validateUrlEncoding, @validateUtf8Encoding): the
 * scan runs it on each value beside the database and reports it as a
 * match, and the scan memo keeps its result with the patterns'.
 *
 * A pattern goes in exactly when Hyperscan accepts it; otherwise in
 * prefilter mode (a superset, PCRE2 confirms); otherwise it is left to
 * PCRE2 and its rule is evaluated on its own. PCRE2 also gives the
 * captures of every @rx match, since Hyperscan reports only that a pattern
 * matched and where it ended.
 *
 * The databases are serialized to cache_dir/waf-<sha256>.hsdb, the hash
 * taken over Hyperscan's version, the host platform and every database's
 * patterns with their flags, so that a restart with unchanged rules only
 * deserializes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hs/hs.h>
#include <openssl/evp.h>

#include "waf_hs.h"
#include "waf_transform.h"

#define HS_BASE_FLAGS (HS_FLAG_DOTALL | HS_FLAG_MULTILINE | \
		       HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY)
#define CACHE_MAGIC "MGWAFHS7"

/* The rule's operator runs in the scan instead of its patterns */
static bool
scan_op(const struct waf_rule *r)
{
	return r->op != WOP_RX && r->op != WOP_PM && r->op != WOP_PM_FROM_FILE;
}

/*
 * A rule can be grouped: it reads only request data, with patterns, or
 * with an operator the scan can run (waf_op_scannable) at the head of
 * its chain: a rule inside a chain runs only when the chain's head
 * matched, and the scan would run its operator every request.
 */
static bool
rule_groupable(const struct mg_waf_ruleset *rs, uint32_t ri)
{
	const struct waf_rule *r = &rs->rules[ri];
	unsigned positive = 0;

	if (r->phase != 1 && r->phase != 2)
		return false;
	if (r->flags & (WRF_REMOVED | WRF_RX_MACRO))
		return false;
	if (!scan_op(r)) {
		/* a pattern's absence is no match to report */
		if (r->flags & WRF_NEGATED)
			return false;
	} else if (!waf_op_scannable(r->op) || r->head != ri) {
		return false;
	}
	for (uint32_t i = 0; i < r->n_vars; i++) {
		const struct waf_var *v = &rs->vars[r->var_off + i];

		if (v->flags & WVF_EXCLUDE)
			continue;
		if ((v->flags & WVF_COUNT) ||
		    (waf_var_flags[v->id] & (WV_M | WV_R)))
			return false;
		positive++;
	}
	return positive > 0;
}

static bool
var_same(const struct mg_waf_ruleset *rs, const struct waf_var *a,
	 const struct waf_var *b)
{
	if (a->id != b->id ||
	    (a->flags & (WVF_KEY | WVF_REGEX)) !=
	    (b->flags & (WVF_KEY | WVF_REGEX)))
		return false;
	if (a->flags & (WVF_KEY | WVF_REGEX))
		return strcmp(waf_str(rs, a->key), waf_str(rs, b->key)) == 0;
	return true;
}

/* The chain tfns[off .. + n) in scan set ss (added with its trie path);
 * -1 when the set has no room left. */
static int
chain_of(struct mg_waf_ruleset *rs, struct waf_scanset *ss, uint32_t off,
	 uint8_t n_tfns)
{
	uint16_t node = 0;
	int k;

	for (k = 0; k < ss->n_chains; k++)
		if (ss->chain_n_tfns[k] == n_tfns &&
		    memcmp(rs->tfns + ss->chain_tfn_off[k], rs->tfns + off,
			   n_tfns) == 0)
			return k;
	if (ss->n_chains == WAF_MAX_CHAINS)
		return -1;
	if (ss->n_nodes == 0) {
		ss->nodes[0].parent = UINT16_MAX;
		ss->n_nodes = 1;
	}
	for (uint8_t i = 0; i < n_tfns; i++) {
		uint8_t t = rs->tfns[off + i];
		uint16_t n;

		for (n = 1; n < ss->n_nodes; n++)
			if (ss->nodes[n].parent == node && ss->nodes[n].tfn == t)
				break;
		if (n == ss->n_nodes) {
			if (ss->n_nodes == WAF_MAX_NODES)
				return -1;
			ss->nodes[n].parent = node;
			ss->nodes[n].tfn = t;
			ss->n_nodes++;
		}
		node = n;
	}
	k = ss->n_chains++;
	ss->chain_tfn_off[k] = off;
	ss->chain_n_tfns[k] = n_tfns;
	ss->nodes[node].chain = (uint8_t)(k + 1);
	for (uint16_t n = node; n != UINT16_MAX; n = ss->nodes[n].parent)
		ss->nodes[n].below |= 1ull << k;
	return k;
}

/*
 * The trie's nodes depth first, each with the end of its subtree and the
 * transformations in it: a value read through few chains (a header field:
 * 13 of the 33 at CRS PL1) skips the subtrees of the others in one step
 * each, and so does a value none of a subtree's transformations changes.
 */
static void
order_trie(struct waf_scanset *ss)
{
	struct waf_tnode old[WAF_MAX_NODES];
	uint16_t at[WAF_MAX_NODES], todo[WAF_MAX_NODES];
	unsigned n = 0, top = 0;

	if (ss->n_nodes == 0)
		return;
	memcpy(old, ss->nodes, ss->n_nodes * sizeof(old[0]));
	todo[top++] = 0;
	while (top > 0) {
		uint16_t o = todo[--top];

		at[o] = (uint16_t)n;
		ss->nodes[n] = old[o];
		ss->nodes[n].parent = o == 0 ? UINT16_MAX : at[old[o].parent];
		ss->nodes[n].end = (uint16_t)(n + 1);
		ss->nodes[n].tfns_under = o == 0 ? 0 : 1ull << old[o].tfn;
		n++;
		/* children in the order they were added */
		for (unsigned k = ss->n_nodes; k-- > 1;)
			if (old[k].parent == o)
				todo[top++] = (uint16_t)k;
	}
	for (unsigned i = n; i-- > 1;) {
		struct waf_tnode *up = &ss->nodes[ss->nodes[i].parent];

		if (up->end < ss->nodes[i].end)
			up->end = ss->nodes[i].end;
		up->tfns_under |= ss->nodes[i].tfns_under;
	}
}

static struct waf_target *
target_of(struct mg_waf_ruleset *rs, struct waf_scanset *ss,
	  const struct waf_var *v, uint8_t tier, uint32_t *cap)
{
	struct waf_target *t;

	for (uint32_t i = 0; i < ss->n_targets; i++)
		if (ss->targets[i].tier == tier &&
		    var_same(rs, &ss->targets[i].var, v))
			return &ss->targets[i];
	if (waf_vec_grow((void **)&ss->targets, cap, ss->n_targets + 1,
			 sizeof(*t)) < 0)
		return NULL;
	t = &ss->targets[ss->n_targets++];
	memset(t, 0, sizeof(*t));
	t->var = *v;
	t->tier = tier;
	return t;
}

/* paranoia-level/N of the chain head, as a tier; 0 without the tag */
static uint8_t
tier_of(const struct mg_waf_ruleset *rs, const struct waf_rule *r)
{
	const struct waf_rule *h = &rs->rules[r->head];

	for (uint32_t i = 0; i < h->n_tags; i++) {
		const char *t = waf_str(rs, rs->tags[h->tag_off + i]);

		if (strncmp(t, "paranoia-level/", 15) == 0 && t[15] >= '1' &&
		    t[15] <= '0' + WAF_TIERS && t[16] == '\0')
			return (uint8_t)(t[15] - '1');
	}
	return 0;
}

void
waf_scan_vars(struct waf_scanset *ss)
{
	ss->n_read_vars = 0;
	for (unsigned v = 0; v < WV_MAX; v++)
		for (unsigned t = 0; t < WAF_TIERS; t++)
			if (ss->var_chains[v] && ss->n_by_var[t][v]) {
				ss->read_vars[ss->n_read_vars++] = (uint8_t)v;
				break;
			}
}

/* The index of targets by tier and variable. */
static int
index_targets(struct waf_scanset *ss)
{
	uint32_t n = 0;

	ss->tix = calloc(ss->n_targets + 1, sizeof(*ss->tix));
	if (ss->tix == NULL)
		return -1;
	for (unsigned t = 0; t < WAF_TIERS; t++)
		for (unsigned v = 0; v < WV_MAX; v++) {
			ss->by_var[t][v] = n;
			for (uint32_t i = 0; i < ss->n_targets; i++)
				if (ss->targets[i].tier == t &&
				    ss->targets[i].var.id == v &&
				    ss->n_by_var[t][v] < UINT8_MAX) {
					ss->tix[n++] = (uint16_t)i;
					ss->n_by_var[t][v]++;
				}
		}
	waf_scan_vars(ss);
	return 0;
}

static int
pat_add(struct waf_target *t, uint32_t ri, uint32_t phrase)
{
	/* arrays grow by powers of two from 16 */
	if (t->n_pats >= 16 && (t->n_pats & (t->n_pats - 1)) == 0) {
		uint32_t *a = realloc(t->pat_rule, 2 * t->n_pats * sizeof(*a));
		uint32_t *b;

		if (a == NULL)
			return -1;
		t->pat_rule = a;
		b = realloc(t->pat_phrase, 2 * t->n_pats * sizeof(*b));
		if (b == NULL)
			return -1;
		t->pat_phrase = b;
	} else if (t->n_pats == 0) {
		t->pat_rule = malloc(16 * sizeof(*t->pat_rule));
		t->pat_phrase = malloc(16 * sizeof(*t->pat_phrase));
		if (!t->pat_rule || !t->pat_phrase)
			return -1;
	}
	t->pat_rule[t->n_pats] = ri;
	t->pat_phrase[t->n_pats] = phrase;
	t->n_pats++;
	return 0;
}

static int
op_add(struct waf_target *t, uint32_t ri)
{
	uint32_t *a = realloc(t->op_rule, (t->n_ops + 1) * sizeof(*a));

	if (a == NULL)
		return -1;
	t->op_rule = a;
	t->op_rule[t->n_ops++] = ri;
	return 0;
}

/* A phrase as a Hyperscan expression: every byte but [A-Za-z0-9] as \xHH */
static char *
phrase_expr(const char *s)
{
	size_t n = strlen(s);
	char *e = malloc(n * 4 + 1), *o = e;

	if (e == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9'))
			*o++ = (char)c;
		else
			o += sprintf(o, "\\x%02x", c);
	}
	*o = '\0';
	return e;
}

/* Pattern i of target t: its expression (to free) and flags; *mode its
 * matching mode. */
static int
pat_expr(const struct mg_waf_ruleset *rs, const struct waf_target *t,
	 uint32_t i, char **expr, unsigned *flags, uint8_t *mode)
{
	const struct waf_rule *r = &rs->rules[t->pat_rule[i]];

	if (r->op == WOP_RX) {
		const struct waf_regex *re = &rs->regexes[r->op_data];

		*expr = strdup(waf_str(rs, re->pattern));
		*flags = HS_BASE_FLAGS;
		*mode = re->hs_mode;
		if (*mode == WHM_PREFILTER)
			*flags |= HS_FLAG_PREFILTER;
	} else {
		const struct waf_phrases *ph = &rs->phrases[r->op_data];

		*expr = phrase_expr(waf_str(rs, rs->phrase_strs[ph->str_off +
							 t->pat_phrase[i]]));
		*flags = HS_BASE_FLAGS | HS_FLAG_CASELESS;
		*mode = WHM_EXACT;
	}
	return *expr ? 0 : -1;
}

/*
 * Bytes in whose absence a transformation returns its input unchanged
 * (checked against every transformation by tests/unit/waf). A
 * transformation not listed always runs.
 */
static const struct {
	uint8_t id;
	const char *bytes;
	uint8_t hi;		/* also NUL and every byte >= 0x80 */
} triggers[] = {
	{ MG_WAF_T_NONE, "", 0 },
	{ MG_WAF_T_LOWERCASE, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", 0 },
	{ MG_WAF_T_UPPERCASE, "abcdefghijklmnopqrstuvwxyz", 0 },
	{ MG_WAF_T_URL_DECODE, "%+", 0 },
	{ MG_WAF_T_URL_DECODE_UNI, "%+", 0 },
	{ MG_WAF_T_HTML_ENTITY_DECODE, "&", 0 },
	{ MG_WAF_T_JS_DECODE, "\\", 0 },
	{ MG_WAF_T_CSS_DECODE, "\\", 0 },
	{ MG_WAF_T_ESCAPE_SEQ_DECODE, "\\", 0 },
	{ MG_WAF_T_UTF8_TO_UNICODE, "", 1 },
	{ MG_WAF_T_COMPRESS_WHITESPACE, " \t\n\v\f\r", 0 },
	{ MG_WAF_T_REMOVE_WHITESPACE, " \t\n\v\f\r\xa0\xc2", 0 },
	{ MG_WAF_T_TRIM, " \t\n\v\f\r", 0 },
	{ MG_WAF_T_TRIM_LEFT, " \t\n\v\f\r", 0 },
	{ MG_WAF_T_TRIM_RIGHT, " \t\n\v\f\r", 0 },
	{ MG_WAF_T_REPLACE_COMMENTS, "/", 0 },
	{ MG_WAF_T_REMOVE_COMMENTS, "/<-#", 0 },
	{ MG_WAF_T_REMOVE_COMMENTS_CHAR, "/*<->#", 0 },
	{ MG_WAF_T_CMD_LINE, "\"'\\^ ,;\t\r\nABCDEFGHIJKLMNOPQRSTUVWXYZ", 0 },
	{ MG_WAF_T_NORMALIZE_PATH, "/.", 0 },
	{ MG_WAF_T_NORMALIZE_PATH_WIN, "/.\\", 0 },
	{ MG_WAF_T_SQL_HEX_DECODE, "0", 0 },
	{ MG_WAF_T_REMOVE_NULLS, "", 0 },
	{ MG_WAF_T_REPLACE_NULLS, "", 0 },
};

void
waf_hs_triggers(uint64_t trigger[64][4])
{
	memset(trigger, 0xff, 64 * sizeof(trigger[0]));
	for (size_t i = 0; i < sizeof(triggers) / sizeof(triggers[0]); i++) {
		uint64_t *t = trigger[triggers[i].id];
		const uint8_t *b = (const uint8_t *)triggers[i].bytes;

		memset(t, 0, 4 * sizeof(*t));
		for (; *b; b++)
			t[*b >> 6] |= 1ull << (*b & 63);
		if (triggers[i].hi) {
			t[2] = t[3] = ~0ull;
			t[0] |= 1;
		}
	}
	/* the empty string cannot hold NUL: set it apart */
	trigger[MG_WAF_T_REMOVE_NULLS][0] |= 1;
	trigger[MG_WAF_T_REPLACE_NULLS][0] |= 1;
}

void
waf_hs_byte_tfns(uint64_t byte_tfns[256], uint64_t *triggered)
{
	uint64_t trigger[64][4];

	waf_hs_triggers(trigger);
	*triggered = 0;
	for (unsigned b = 0; b < 256; b++)
		byte_tfns[b] = 0;
	for (unsigned t = 0; t < 64; t++)
		for (unsigned b = 0; b < 256; b++)
			if ((trigger[t][b >> 6] >> (b & 63)) & 1) {
				byte_tfns[b] |= 1ull << t;
				*triggered |= 1ull << t;
			}
}

int
waf_hs_form_groups(struct mg_waf_ruleset *rs)
{
	uint32_t tcap[3] = { 0 };

	for (uint32_t ri = 0; ri < rs->n_rules; ri++) {
		struct waf_rule *r = &rs->rules[ri];
		struct waf_scanset *ss;
		int k;

		if (!rule_groupable(rs, ri))
			continue;
		ss = &rs->scan[r->phase];
		k = chain_of(rs, ss, r->tfn_off, r->n_tfns);
		if (k < 0)
			continue;	/* evaluated on its own */
		r->chains = 1ull << k;
		/* multiMatch tests the value after each transformation:
		 * every prefix of the chain is a chain */
		for (uint8_t i = 0; (r->flags & WRF_MULTIMATCH) && i < r->n_tfns;
		     i++) {
			int pk = chain_of(rs, ss, r->tfn_off, i);

			if (pk < 0)
				break;
			r->chains |= 1ull << pk;
		}
		if ((r->flags & WRF_MULTIMATCH) && __builtin_popcountll(
			r->chains) != r->n_tfns + 1u) {
			r->chains = 0;
			continue;	/* no room: evaluated on its own */
		}
		r->group = (uint32_t)k;
		r->tier = tier_of(rs, r);
		if (r->op == WOP_RX)
			rs->regexes[r->op_data].grouped = 1;
		for (uint32_t i = 0; i < r->n_vars; i++) {
			const struct waf_var *v = &rs->vars[r->var_off + i];
			struct waf_target *t;
			uint32_t n;

			if (v->flags & WVF_EXCLUDE)
				continue;
			ss->var_chains[v->id] |= r->chains;
			if (!(v->flags & (WVF_KEY | WVF_REGEX)))
				ss->var_all[v->id] = 1;
			t = target_of(rs, ss, v, r->tier, &tcap[r->phase]);
			if (t == NULL)
				return -1;
			t->chains |= r->chains;
			if (scan_op(r)) {
				if (t->n_ops && t->op_rule[t->n_ops - 1] == ri)
					continue;	/* named twice */
				if (op_add(t, ri) < 0)
					return -1;
				continue;
			}
			if (t->n_pats && t->pat_rule[t->n_pats - 1] == ri)
				continue;	/* the rule names it twice */
			n = r->op == WOP_RX ? 1 : rs->phrases[r->op_data].n;
			for (uint32_t p = 0; p < n; p++)
				if (pat_add(t, ri, p) < 0)
					return -1;
		}
		rs->stats.scan_ops += scan_op(r);
	}
	for (uint32_t ph = 1; ph <= 2; ph++) {
		order_trie(&rs->scan[ph]);
		if (index_targets(&rs->scan[ph]) < 0)
			return -1;
	}
	return 0;
}

/* The cache key: everything the databases are compiled from. */
static int
cache_key(struct mg_waf_ruleset *rs)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	hs_platform_info_t plat;
	unsigned char dig[32];
	unsigned dlen = 0;
	int rc = -1;

	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto out;
	if (hs_populate_platform(&plat) != HS_SUCCESS)
		goto out;
	EVP_DigestUpdate(md, CACHE_MAGIC, sizeof(CACHE_MAGIC));
	EVP_DigestUpdate(md, hs_version(), strlen(hs_version()));
	EVP_DigestUpdate(md, &plat, sizeof(plat));
	for (uint32_t ph = 1; ph <= 2; ph++) {
		const struct waf_scanset *ss = &rs->scan[ph];

		EVP_DigestUpdate(md, &ss->n_targets, sizeof(ss->n_targets));
		for (uint32_t ti = 0; ti < ss->n_targets; ti++) {
			const struct waf_target *t = &ss->targets[ti];

			EVP_DigestUpdate(md, &t->tier, sizeof(t->tier));
			EVP_DigestUpdate(md, &t->n_pats, sizeof(t->n_pats));
			EVP_DigestUpdate(md, &t->light, sizeof(t->light));
			for (uint32_t i = 0; i < t->n_pats; i++) {
				const struct waf_rule *r =
					&rs->rules[t->pat_rule[i]];
				/* in the light chains' database or not */
				uint8_t light = (r->chains & t->light) != 0;
				char *expr;
				unsigned flags;
				uint8_t mode;

				if (pat_expr(rs, t, i, &expr, &flags, &mode) < 0)
					goto out;
				EVP_DigestUpdate(md, expr, strlen(expr) + 1);
				EVP_DigestUpdate(md, &light, 1);
				free(expr);
			}
		}
	}
	if (EVP_DigestFinal_ex(md, dig, &dlen) != 1 || dlen != 32)
		goto out;
	for (unsigned i = 0; i < 32; i++)
		sprintf(rs->cache_key + 2 * i, "%02x", dig[i]);
	rc = 0;
out:
	EVP_MD_CTX_free(md);
	return rc;
}

static void
set_why(struct mg_waf_ruleset *rs, struct waf_regex *re, const char *why)
{
	if (why && re->hs_why == 0)
		re->hs_why = waf_str_add(&rs->s, why, strlen(why));
}

/* Ask Hyperscan about each grouped regex: exact, prefilter or not at all. */
static void
classify(struct mg_waf_ruleset *rs)
{
	for (uint32_t i = 0; i < rs->n_regexes; i++) {
		struct waf_regex *re = &rs->regexes[i];
		const char *pat = waf_str(rs, re->pattern);
		hs_expr_info_t *info = NULL;
		hs_compile_error_t *err = NULL;

		if (!re->grouped)
			continue;
		re->hs_mode = WHM_EXACT;
		if (hs_expression_info(pat, HS_BASE_FLAGS, &info, &err) ==
		    HS_SUCCESS) {
			free(info);
			continue;
		}
		set_why(rs, re, err->message);
		hs_free_compile_error(err);
		err = NULL;
		re->hs_mode = WHM_PREFILTER;
		if (hs_expression_info(pat, HS_BASE_FLAGS | HS_FLAG_PREFILTER,
				       &info, &err) == HS_SUCCESS) {
			free(info);
			continue;
		}
		hs_free_compile_error(err);
		re->hs_mode = WHM_PCRE_ONLY;
	}
}

/*
 * The Hyperscan expressions of t's patterns into exprs, flags and ids, of
 * those whose rule reads t through one of the chains only when only is
 * not 0; the patterns only PCRE2 takes are left out. Their count, or -1.
 */
static int
target_exprs(struct mg_waf_ruleset *rs, const struct waf_target *t,
	     uint64_t only, char **exprs, unsigned *flags, unsigned *ids)
{
	unsigned n = 0;

	for (uint32_t i = 0; i < t->n_pats; i++) {
		uint8_t mode;

		if (only && !(rs->rules[t->pat_rule[i]].chains & only))
			continue;
		free(exprs[n]);
		exprs[n] = NULL;
		if (pat_expr(rs, t, i, &exprs[n], &flags[n], &mode) < 0)
			return -1;
		if (mode == WHM_PCRE_ONLY)
			continue;
		ids[n++] = i;
	}
	return (int)n;
}

/*
 * Chains of a large target that read very few of its patterns (4 at most
 * each, 32 together): CRS PL1's ARGS target has 1932 patterns, of which a
 * value's base64Decode output is read by one, and that output was a third
 * of the target's scans, each as dear as a scan of all 1932.
 */
static uint64_t
light_chains(const struct mg_waf_ruleset *rs, const struct waf_target *t)
{
	uint32_t count[WAF_MAX_CHAINS] = { 0 }, in_light = 0;
	uint64_t light = 0;

	if (t->n_pats < 64)
		return 0;
	for (uint32_t i = 0; i < t->n_pats; i++)
		for (uint64_t ch = rs->rules[t->pat_rule[i]].chains; ch;
		     ch &= ch - 1)
			count[__builtin_ctzll(ch)]++;
	for (unsigned k = 0; k < WAF_MAX_CHAINS; k++)
		if (count[k] && count[k] <= 4)
			light |= 1ull << k;
	for (uint32_t i = 0; i < t->n_pats; i++)
		in_light += (rs->rules[t->pat_rule[i]].chains & light) != 0;
	return in_light <= 32 ? light : 0;
}

/*
 * Compile target t, demoting the patterns Hyperscan refuses one by one;
 * then its light chains' database, which is only an optimisation: without
 * it their outputs are scanned with the whole target's.
 */
static int
compile_target(struct mg_waf_ruleset *rs, struct waf_target *t, char *err,
	       size_t errlen)
{
	char **exprs = calloc(t->n_pats + 1, sizeof(*exprs));
	unsigned *flags = calloc(t->n_pats + 1, sizeof(*flags));
	unsigned *ids = calloc(t->n_pats + 1, sizeof(*ids));
	int rc = -1, n;

	if (!exprs || !flags || !ids) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (;;) {
		hs_compile_error_t *cerr = NULL;
		hs_database_t *db = NULL;

		n = target_exprs(rs, t, 0, exprs, flags, ids);
		if (n < 0) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		if (n == 0) {
			rc = 0;
			break;
		}
		if (hs_compile_multi((const char *const *)exprs, flags, ids,
				     (unsigned)n, HS_MODE_BLOCK, NULL, &db,
				     &cerr) == HS_SUCCESS) {
			t->db = db;
			rc = 0;
			break;
		}
		if (cerr->expression < 0 || cerr->expression >= n) {
			const struct waf_rule *r = &rs->rules[t->pat_rule[0]];

			snprintf(err, errlen, "%s:%u: Hyperscan: %s",
				 waf_str(rs, r->file), r->line, cerr->message);
			hs_free_compile_error(cerr);
			goto out;
		} else {
			const struct waf_rule *r =
				&rs->rules[t->pat_rule[ids[cerr->expression]]];
			struct waf_regex *re = &rs->regexes[r->op_data];

			if (r->op != WOP_RX) {
				snprintf(err, errlen, "%s:%u: Hyperscan: %s",
					 waf_str(rs, r->file), r->line,
					 cerr->message);
				hs_free_compile_error(cerr);
				goto out;
			}
			set_why(rs, re, cerr->message);
			re->hs_mode = re->hs_mode == WHM_EXACT ?
				      WHM_PREFILTER : WHM_PCRE_ONLY;
			hs_free_compile_error(cerr);
		}
	}
	if (t->db != NULL && t->light != 0) {
		hs_compile_error_t *cerr = NULL;
		hs_database_t *db = NULL;

		n = target_exprs(rs, t, t->light, exprs, flags, ids);
		if (n < 0) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
			goto out;
		}
		if (n > 0 && hs_compile_multi((const char *const *)exprs,
					      flags, ids, (unsigned)n,
					      HS_MODE_BLOCK, NULL, &db,
					      &cerr) == HS_SUCCESS)
			t->light_db = db;
		else if (cerr != NULL)
			hs_free_compile_error(cerr);
	}
out:
	if (exprs)
		for (uint32_t i = 0; i <= t->n_pats; i++)
			free(exprs[i]);
	free(exprs);
	free(flags);
	free(ids);
	return rc;
}

static int
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* db's size and bytes (0 for none) */
static int
db_store(int fd, const void *db)
{
	char *bytes = NULL;
	size_t size = 0;
	uint64_t sz;
	int rc;

	if (db && hs_serialize_database(db, &bytes, &size) != HS_SUCCESS)
		return -1;
	sz = size;
	rc = write_all(fd, &sz, sizeof(sz)) < 0 ||
	     (size && write_all(fd, bytes, size) < 0) ? -1 : 0;
	free(bytes);
	return rc;
}

static void
cache_path(const struct mg_waf_ruleset *rs, const char *dir, char *path,
	   size_t len)
{
	snprintf(path, len, "%s/waf-%s.hsdb", dir, rs->cache_key);
}

/* dir and its missing parents, as mkdir -p does: the default,
 * /var/cache/meshgate/waf, has no parent on a fresh machine */
static void
make_dirs(const char *dir)
{
	char p[4096];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(p))
		return;
	memcpy(p, dir, n + 1);
	for (size_t i = 1; i < n; i++)
		if (p[i] == '/') {
			p[i] = '\0';
			(void)mkdir(p, 0755);
			p[i] = '/';
		}
	(void)mkdir(p, 0755);
}

/* Write the regex modes and every database; a failure only costs the
 * next start a compile. */
static void
cache_store(struct mg_waf_ruleset *rs, const char *dir)
{
	char path[4096], tmp[4200];
	int fd;

	make_dirs(dir);
	cache_path(rs, dir, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		waf_warn(rs, "cache %s: %s", tmp, strerror(errno));
		return;
	}
	if (write_all(fd, CACHE_MAGIC, 8) < 0 ||
	    write_all(fd, &rs->n_regexes, sizeof(rs->n_regexes)) < 0)
		goto fail;
	for (uint32_t i = 0; i < rs->n_regexes; i++) {
		const struct waf_regex *re = &rs->regexes[i];
		const char *why = waf_str(rs, re->hs_why);
		uint16_t n = (uint16_t)strnlen(why, UINT16_MAX);

		/* the mode, and why Hyperscan did not take it exactly */
		if (write_all(fd, &re->hs_mode, 1) < 0 ||
		    write_all(fd, &n, sizeof(n)) < 0 || write_all(fd, why, n) < 0)
			goto fail;
	}
	for (uint32_t ph = 1; ph <= 2; ph++) {
		for (uint32_t ti = 0; ti < rs->scan[ph].n_targets; ti++) {
			const struct waf_target *t = &rs->scan[ph].targets[ti];

			if (db_store(fd, t->db) < 0 ||
			    db_store(fd, t->light_db) < 0)
				goto fail;
		}
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		waf_warn(rs, "cache %s: %s", path, strerror(errno));
		unlink(tmp);
	}
	return;
fail:
	waf_warn(rs, "cache %s: write failed", tmp);
	if (fd >= 0)
		close(fd);
	unlink(tmp);
}

static int
read_all(FILE *f, void *p, size_t n)
{
	return fread(p, 1, n, f) == n ? 0 : -1;
}

static void
drop_databases(struct mg_waf_ruleset *rs)
{
	for (uint32_t ph = 1; ph <= 2; ph++)
		for (uint32_t ti = 0; ti < rs->scan[ph].n_targets; ti++) {
			struct waf_target *t = &rs->scan[ph].targets[ti];

			hs_free_database(t->db);
			hs_free_database(t->light_db);
			t->db = NULL;
			t->light_db = NULL;
		}
}

/* A database written by db_store into *db (NULL for none); -1: bad */
static int
db_load(FILE *f, void **db)
{
	uint64_t sz;
	char *bytes;
	int rc;

	if (read_all(f, &sz, sizeof(sz)) < 0 || sz > (1ull << 31))
		return -1;
	if (sz == 0)
		return 0;
	bytes = malloc(sz);
	rc = bytes == NULL || read_all(f, bytes, sz) < 0 ||
	     hs_deserialize_database(bytes, sz, (hs_database_t **)db) !=
	     HS_SUCCESS ? -1 : 0;
	free(bytes);
	return rc;
}

/* Load the databases of this key; 0 on success, -1: compile instead. */
static int
cache_load(struct mg_waf_ruleset *rs, const char *dir)
{
	char path[4096], magic[8];
	uint32_t n;
	FILE *f;

	cache_path(rs, dir, path, sizeof(path));
	f = fopen(path, "rb");
	if (f == NULL)
		return -1;
	if (read_all(f, magic, 8) < 0 || memcmp(magic, CACHE_MAGIC, 8) ||
	    read_all(f, &n, sizeof(n)) < 0 || n != rs->n_regexes)
		goto bad;
	for (uint32_t i = 0; i < n; i++) {
		struct waf_regex *re = &rs->regexes[i];
		char why[UINT16_MAX];
		uint16_t len;

		if (read_all(f, &re->hs_mode, 1) < 0 ||
		    re->hs_mode > WHM_PCRE_ONLY ||
		    read_all(f, &len, sizeof(len)) < 0 ||
		    read_all(f, why, len) < 0)
			goto bad;
		re->hs_why = len ? waf_str_add(&rs->s, why, len) : 0;
		if (re->hs_why == WAF_NONE)
			goto bad;
	}
	for (uint32_t ph = 1; ph <= 2; ph++) {
		for (uint32_t ti = 0; ti < rs->scan[ph].n_targets; ti++) {
			struct waf_target *t = &rs->scan[ph].targets[ti];

			if (db_load(f, &t->db) < 0 ||
			    db_load(f, &t->light_db) < 0)
				goto bad;
		}
	}
	fclose(f);
	return 0;
bad:
	fclose(f);
	drop_databases(rs);
	return -1;
}

int
waf_hs_build(struct mg_waf_ruleset *rs, const char *cache_dir, char *err,
	     size_t errlen)
{
	hs_scratch_t *scratch = NULL;

	for (uint32_t ph = 1; ph <= 2; ph++)
		for (uint32_t ti = 0; ti < rs->scan[ph].n_targets; ti++) {
			struct waf_target *t = &rs->scan[ph].targets[ti];

			t->light = light_chains(rs, t);
		}
	if (cache_key(rs) < 0) {
		snprintf(err, errlen, "cannot hash the pattern databases");
		return -1;
	}
	if (cache_dir && cache_load(rs, cache_dir) == 0) {
		rs->stats.from_cache = true;
	} else {
		classify(rs);
		for (uint32_t ph = 1; ph <= 2; ph++)
			for (uint32_t ti = 0; ti < rs->scan[ph].n_targets; ti++)
				if (compile_target(rs, &rs->scan[ph].targets[ti],
						   err, errlen) < 0)
					return -1;
		if (cache_dir)
			cache_store(rs, cache_dir);
	}
	/* a rule whose pattern only PCRE2 takes is evaluated on its own */
	for (uint32_t ri = 0; ri < rs->n_rules; ri++) {
		struct waf_rule *r = &rs->rules[ri];

		if (r->group == WAF_NONE || r->op != WOP_RX)
			continue;
		switch (rs->regexes[r->op_data].hs_mode) {
		case WHM_PCRE_ONLY:
			r->group = WAF_NONE;
			rs->stats.pcre_only++;
			break;
		case WHM_PREFILTER:
			rs->stats.hs_prefilter++;
			break;
		default:
			rs->stats.hs_exact++;
			break;
		}
	}
	for (uint32_t ph = 1; ph <= 2; ph++) {
		for (uint32_t ti = 0; ti < rs->scan[ph].n_targets; ti++) {
			const struct waf_target *t = &rs->scan[ph].targets[ti];
			size_t sz = 0;

			rs->stats.patterns += t->n_pats;
			if (t->db == NULL)
				continue;
			rs->stats.groups++;
			rs->stats.light_groups += t->light_db != NULL;
			for (int l = 0; l < 2; l++) {
				const void *db = l ? t->light_db : t->db;

				if (db == NULL)
					continue;
				if (hs_database_size(db, &sz) == HS_SUCCESS)
					rs->stats.db_bytes += sz;
				if (hs_alloc_scratch(db, &scratch) !=
				    HS_SUCCESS) {
					snprintf(err, errlen,
						 "hs_alloc_scratch failed");
					hs_free_scratch(scratch);
					return -1;
				}
			}
		}
	}
	rs->scratch = scratch;
	return 0;
}

void
waf_hs_free(struct mg_waf_ruleset *rs)
{
	for (uint32_t ph = 1; ph <= 2; ph++) {
		struct waf_scanset *ss = &rs->scan[ph];

		for (uint32_t ti = 0; ti < ss->n_targets; ti++) {
			hs_free_database(ss->targets[ti].db);
			hs_free_database(ss->targets[ti].light_db);
			free(ss->targets[ti].pat_rule);
			free(ss->targets[ti].pat_phrase);
			free(ss->targets[ti].op_rule);
		}
		free(ss->targets);
		free(ss->tix);
	}
	hs_free_scratch(rs->scratch);
}
