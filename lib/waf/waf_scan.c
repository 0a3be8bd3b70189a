/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Transformations and the scan of a phase's values.
 *
 * Most values of benign traffic come out of most transformations as they
 * went in ("books" is its own urlDecodeUni, htmlEntityDecode and jsDecode).
 * A transformation is skipped when the value holds none of its trigger
 * bytes (rs->byte_tfns), so a value costs one pass over its bytes, the
 * transformations that do change it, and one Hyperscan scan per distinct
 * output of the phase's chains: two or three for a plain argument, where
 * scanning once per rule group would take dozens.
 */
#include <string.h>

#include "waf_eval.h"
#include "waf_transform.h"

/* a transformation is a bit of a uint64_t */
_Static_assert(MG_WAF_T_MAX <= 64, "transformation ids");


static const uint8_t empty_bytes[1];

/*
 * The transformations that may change p: those whose trigger bytes it
 * holds (rs->byte_tfns, a bit per transformation for each byte value). An
 * empty value: every transformation that has trigger bytes (t:length
 * gives "0", t:sha1 a digest).
 */
static uint64_t
may_change_set(const struct mg_waf_ruleset *rs, const uint8_t *p,
	       uint32_t len)
{
	uint64_t m0 = 0, m1 = 0;
	uint8_t seen[256];
	uint32_t i = 0;

	if (len == 0)
		return rs->tfns_triggered;
	if (len >= 256) {
		/* a body: the bytes it holds first, a store each with
		 * nothing to wait for, then their transformations */
		memset(seen, 0, sizeof(seen));
		for (; i < len; i++)
			seen[p[i]] = 1;
		for (unsigned b = 0; b < 256; b++)
			m0 |= seen[b] ? rs->byte_tfns[b] : 0;
		return m0;
	}
	/* two chains of ORs: a load a byte, not a dependency */
	for (; i + 2 <= len; i += 2) {
		m0 |= rs->byte_tfns[p[i]];
		m1 |= rs->byte_tfns[p[i + 1]];
	}
	if (i < len)
		m0 |= rs->byte_tfns[p[i]];
	return m0 | m1;
}

static inline bool
may_change(uint8_t t, uint64_t m)
{
	return (m >> t) & 1;
}

/* t:sha1 or t:md5 of a short value: the last one of the kind again, or
 * a new one remembered */
static uint32_t
digest_step(struct mg_waf_ctx *c, uint8_t t, const uint8_t *in, uint32_t len,
	    uint8_t *out, size_t cap)
{
	struct waf_digest_memo *d = &c->digest[t == MG_WAF_T_MD5];
	size_t n;

	if (d->len == len && (len == 0 || memcmp(d->in, in, len) == 0) &&
	    d->out_len <= cap) {
		memcpy(out, d->out, d->out_len);
		return d->out_len;
	}
	n = mg_waf_transform_apply(t, in, len, out, cap);
	if (n == MG_WAF_TRANSFORM_E_CAP)
		return 0;
	if (n <= sizeof(d->out)) {
		memcpy(d->in, in, len);
		memcpy(d->out, out, n);
		d->len = len;
		d->out_len = (uint8_t)n;
	}
	return (uint32_t)n;
}

/* One step into out (cap bytes); an input too long for cap is cut first
 * (counted), never the output. */
static uint32_t
step(struct mg_waf_ctx *c, uint8_t t, const uint8_t *in, uint32_t len,
     uint8_t *out, size_t cap)
{
	size_t n;

	if (mg_waf_transform_out_max(t, len) > cap) {
		c->counters[MG_WAF_C_VALUE_TRUNCATED]++;
		len = cap > 32 ? (uint32_t)((cap - 32) / 4) : 0;
	}
	if ((t == MG_WAF_T_SHA1 || t == MG_WAF_T_MD5) &&
	    len <= WAF_DIGEST_INPUT)
		return digest_step(c, t, in, len, out, cap);
	n = mg_waf_transform_apply(t, in, len, out, cap);
	return n == MG_WAF_TRANSFORM_E_CAP ? 0 : (uint32_t)n;
}

/* p is in the request's own memory (its head, its body, what the parser
 * made of them): bytes that stay as they are until the next request. A
 * collection's value may be rewritten in place, as long as it was. */
static bool
request_bytes(const struct mg_waf_ctx *c, const uint8_t *p)
{
	uintptr_t a = (uintptr_t)p;

	return (a - (uintptr_t)c->req_arena < c->req_arena_size) ||
	       (a - (uintptr_t)c->head < WAF_HEAD_MAX) ||
	       (a - (uintptr_t)c->body < c->body_cap);
}

/*
 * What may change a value several rules transform (CRS runs a handful of
 * rules with their own t: on every argument): computed once per request
 * for the request's values, keyed by where they live.
 */
static uint64_t
value_changes(struct mg_waf_ctx *c, const uint8_t *p, uint32_t len)
{
	struct waf_may_memo *e;

	if (!request_bytes(c, p))
		return may_change_set(c->rs, p, len);
	e = &c->may_memo[(((uintptr_t)p >> 3) ^ len) % WAF_MAY_MEMO];
	if (e->gen != c->req_gen || e->p != p || e->len != len) {
		e->may = may_change_set(c->rs, p, len);
		e->gen = c->req_gen;
		e->p = p;
		e->len = len;
	}
	return e->may;
}

const uint8_t *
waf_transform(struct mg_waf_ctx *c, const uint8_t *tfns, uint8_t n,
	      const uint8_t *in, uint32_t len, uint32_t *out_len)
{
	const struct mg_waf_ruleset *rs = c->rs;
	const uint8_t *cur = in ? in : empty_bytes;
	uint64_t may, any = 0;
	unsigned b = 0;

	if (len > c->max_value) {
		len = c->max_value;
		c->counters[MG_WAF_C_VALUE_TRUNCATED]++;
	}
	*out_len = len;
	if (n == 0)
		return cur;
	if (n == 1 && tfns[0] == MG_WAF_T_LOWERCASE) {
		/* looking for an upper-case letter costs what folding does:
		 * no byte set (920450 lower-cases every header name) */
		uint32_t i = 0;

		while (i < len && !(cur[i] >= 'A' && cur[i] <= 'Z'))
			i++;
		if (i == len)
			return cur;
		memcpy(c->tbuf[0], cur, i);
		mg_waf_lower_copy(c->tbuf[0] + i, cur + i, len - i);
		return c->tbuf[0];
	}
	may = value_changes(c, cur, len);
	/* most values come out of most chains as they went in */
	for (uint8_t i = 0; i < n; i++)
		any |= 1ull << tfns[i];
	if (!(any & may))
		return cur;
	for (uint8_t i = 0; i < n; i++) {
		if (!may_change(tfns[i], may))
			continue;
		len = step(c, tfns[i], cur, len, c->tbuf[b], c->tbuf_size);
		cur = c->tbuf[b];
		b ^= 1;
		if (i + 1 < n)
			may = may_change_set(rs, cur, len);
	}
	*out_len = len;
	return cur;
}

/* Pattern id of target t matched the value being scanned, in the output
 * of chains. */
static void
hit_add(struct mg_waf_ctx *c, const struct waf_target *t, uint32_t id,
	uint64_t chains)
{
	uint32_t ri = waf_target_rule(t, id);
	const struct waf_rule *r = &c->rs->rules[ri];
	struct waf_rule_hits *rh = &c->rule_hits[ri];
	struct waf_hit *h;

	/* the pattern's rule reads this output only through its chains */
	if (r->group == WAF_NONE || !(chains & r->chains))
		return;
	if (rh->gen == c->gen && c->hits[rh->last].ordinal == c->scan_ordinal)
		return;	/* another phrase or output of the same value */
	if (c->n_hits == c->hits_cap) {
		c->counters[MG_WAF_C_MATCHES_DROPPED]++;
		return;
	}
	h = &c->hits[c->n_hits];
	h->ordinal = c->scan_ordinal;
	h->phrase = id < t->n_pats ? t->pat_phrase[id] : 0;
	h->next = WAF_NONE;
	if (rh->gen != c->gen) {
		uint32_t st = c->rs->rule_step[ri];

		rh->gen = c->gen;
		rh->first = c->n_hits;
		if (st != WAF_NONE)
			c->hit_steps[st >> 6] |= 1ull << (st & 63);
	} else {
		c->hits[rh->last].next = c->n_hits;
	}
	rh->last = c->n_hits++;
}

/* Match id (a pattern or an operator) of the target being scanned */
static void
target_match(struct mg_waf_ctx *c, const struct waf_target *t, uint32_t id)
{
	if (c->memo_recording) {
		if (c->memo_n < WAF_MEMO_HITS) {
			struct waf_memo_hit *m = &c->memo_rec[c->memo_n];

			m->target = (uint16_t)(t - c->rs->scan[c->phase].targets);
			m->pat = id;
			m->chains = c->scan_chains;
		}
		if (c->memo_n <= WAF_MEMO_HITS)
			c->memo_n++;
	}
	hit_add(c, t, id, c->scan_chains);
}

static int
on_match(unsigned id, unsigned long long from, unsigned long long to,
	 unsigned flags, void *arg)
{
	struct mg_waf_ctx *c = arg;

	(void)from;
	(void)to;
	(void)flags;
	target_match(c, c->scan_target, id);
	return 0;
}

/* Scan output p with the database of every target of the value whose
 * rules read it through one of chains, and run the targets' operators
 * that read it so. */
static void
scan(struct mg_waf_ctx *c, uint32_t ordinal, const uint8_t *p, uint32_t len,
     uint64_t chains)
{
	const struct mg_waf_ruleset *rs = c->rs;

	c->scan_ordinal = ordinal;
	for (unsigned i = 0; i < c->n_vtargets; i++) {
		const struct waf_target *t = c->vtargets[i];
		const hs_database_t *db;

		if (!(t->chains & chains))
			continue;
		c->scan_target = t;
		c->scan_chains = chains & t->chains;
		db = t->light_db != NULL && !(c->scan_chains & ~t->light) ?
		     t->light_db : t->db;
		if (db != NULL &&
		    hs_scan(db, (const char *)(p ? p : empty_bytes), len, 0,
			    c->scratch, on_match, c) != HS_SUCCESS)
			c->counters[MG_WAF_C_HS_ERROR]++;
		for (uint32_t k = 0; k < t->n_ops; k++) {
			const struct waf_rule *r = &rs->rules[t->op_rule[k]];

			if ((r->chains & chains) &&
			    waf_op_scan(rs, r, p ? p : empty_bytes, len) !=
			    ((r->flags & WRF_NEGATED) != 0))
				target_match(c, t, t->n_pats + k);
		}
	}
}

struct trie_out {
	const uint8_t *p;
	uint32_t len;
	uint8_t may_ok;
	uint64_t may;		/* may_change_set() of it */
	uint64_t chains;	/* the chains that end in this output */
};

/* A short value: every needed trie node, outputs kept and shared. */
static void
scan_trie(struct mg_waf_ctx *c, const struct waf_scanset *ss,
	  uint32_t ordinal, const uint8_t *raw, uint32_t len, uint64_t mask)
{
	const struct mg_waf_ruleset *rs = c->rs;
	struct trie_out outs[WAF_MAX_NODES];
	uint16_t node_out[WAF_MAX_NODES];
	uint8_t *sp = c->tscratch;
	size_t room = c->tscratch_size;
	unsigned n_out = 1;

	outs[0].p = raw;
	outs[0].len = len;
	outs[0].may_ok = 0;
	outs[0].chains = 0;
	node_out[0] = 0;
	if (ss->nodes[0].chain && ((mask >> (ss->nodes[0].chain - 1)) & 1))
		outs[0].chains |= 1ull << (ss->nodes[0].chain - 1);
	for (uint16_t n = 1; n < ss->n_nodes; n++) {
		const struct waf_tnode *tn = &ss->nodes[n];
		struct trie_out *in;

		if (!(tn->below & mask)) {
			n = (uint16_t)(tn->end - 1);	/* past the subtree */
			continue;
		}
		in = &outs[node_out[tn->parent]];
		if (!in->may_ok) {
			in->may = may_change_set(rs, in->p, in->len);
			in->may_ok = 1;
		}
		if (!(tn->tfns_under & in->may)) {
			/* the subtree gives back its input: its chains
			 * (of this value's) read that */
			in->chains |= tn->below & mask;
			n = (uint16_t)(tn->end - 1);
			continue;
		}
		node_out[n] = node_out[tn->parent];
		if (may_change(tn->tfn, in->may)) {
			uint32_t l = step(c, tn->tfn, in->p, in->len, sp, room);
			unsigned i;

			/* the same bytes by another way: one scan for both
			 * (a few outputs: memcmp stops at the first
			 * difference, cheaper than hashing them all) */
			for (i = 0; i < n_out; i++)
				if (outs[i].len == l &&
				    memcmp(outs[i].p, sp, l) == 0)
					break;
			node_out[n] = (uint16_t)i;
			if (i == n_out) {
				struct trie_out *o = &outs[n_out++];

				o->p = sp;
				o->len = l;
				o->may_ok = 0;
				o->chains = 0;
				sp += l;
				room -= l;
			}
		}
		if (tn->chain && ((mask >> (tn->chain - 1)) & 1))
			outs[node_out[n]].chains |= 1ull << (tn->chain - 1);
	}
	for (unsigned i = 0; i < n_out; i++)
		if (outs[i].chains)
			scan(c, ordinal, outs[i].p, outs[i].len, outs[i].chains);
}

/* The steps a long value went through: the transformations that changed
 * it, and what may change it before each of them and after the last. */
#define WAF_EFF_MAX 16
struct waf_eff {
	uint8_t n;
	bool last_ok;		/* may[n] computed */
	uint8_t tfn[WAF_EFF_MAX];
	uint64_t may[WAF_EFF_MAX + 1];
};

/*
 * Chain k turns the value into the same bytes as the steps of e: the same
 * transformations change it, in the same order, from the same bytes.
 * Decided from the byte sets alone, without transforming anything.
 */
static bool
same_output(struct mg_waf_ctx *c, const struct waf_scanset *ss, unsigned k,
	    struct waf_eff *e, const uint8_t *out, uint32_t out_len)
{
	const struct mg_waf_ruleset *rs = c->rs;
	const uint8_t *tf = rs->tfns + ss->chain_tfn_off[k];
	unsigned p = 0;

	for (uint8_t i = 0; i < ss->chain_n_tfns[k]; i++) {
		if (p == e->n && !e->last_ok) {
			e->may[p] = may_change_set(rs, out, out_len);
			e->last_ok = true;
		}
		if (!may_change(tf[i], e->may[p]))
			continue;
		if (p == e->n || tf[i] != e->tfn[p])
			return false;
		p++;
	}
	return p == e->n;
}

/*
 * A long value: chain by chain. The unchanged ones share one scan, and so
 * do chains that change it by the same steps (lowercase, and
 * urlDecodeUni,htmlEntityDecode,lowercase of a text without % or &).
 */
static void
scan_chains(struct mg_waf_ctx *c, const struct waf_scanset *ss,
	    uint32_t ordinal, const uint8_t *raw, uint32_t len, uint64_t mask)
{
	const struct mg_waf_ruleset *rs = c->rs;
	uint64_t raw_may, unchanged = 0, done = 0;
	struct waf_eff e;

	raw_may = may_change_set(rs, raw, len);
	for (unsigned k = 0; k < ss->n_chains; k++) {
		const uint8_t *tf = rs->tfns + ss->chain_tfn_off[k];
		const uint8_t *cur = raw;
		uint32_t l = len;
		unsigned b = 0;
		bool shareable = true;
		uint64_t share = 1ull << k;

		if (!((mask >> k) & 1) || ((done >> k) & 1))
			continue;
		e.n = 0;
		e.last_ok = false;
		e.may[0] = raw_may;
		for (uint8_t i = 0; i < ss->chain_n_tfns[k]; i++) {
			if (!may_change(tf[i], e.may[e.n]))
				continue;
			l = step(c, tf[i], cur, l, c->tbuf[b], c->tbuf_size);
			cur = c->tbuf[b];
			b ^= 1;
			if (e.n == WAF_EFF_MAX) {
				/* too many steps to compare: on its own */
				shareable = false;
				e.may[e.n] = may_change_set(rs, cur, l);
				continue;
			}
			e.tfn[e.n++] = tf[i];
			/* the bytes after the last step only when asked */
			e.last_ok = i + 1 < ss->chain_n_tfns[k];
			if (e.last_ok)
				e.may[e.n] = may_change_set(rs, cur, l);
		}
		if (e.n == 0) {
			unchanged |= share;
			continue;
		}
		for (unsigned j = k + 1; shareable && j < ss->n_chains; j++)
			if (((mask & ~done) >> j) & 1 &&
			    same_output(c, ss, j, &e, cur, l))
				share |= 1ull << j;
		done |= share;
		scan(c, ordinal, cur, l, share);
	}
	if (unchanged)
		scan(c, ordinal, raw, len, unchanged);
}

/* A live target of variable id, of any tier, selects value v */
static bool
target_selects(struct mg_waf_ctx *c, const struct waf_scanset *ss,
	       unsigned id, const struct waf_val *v)
{
	for (unsigned t = 0; t < WAF_TIERS; t++) {
		const uint16_t *tix = ss->tix + ss->by_var[t][id];

		for (unsigned i = 0; i < ss->n_by_var[t][id]; i++)
			if (waf_key_match(c, &ss->targets[tix[i]].var, v->key,
					  v->key_len))
				return true;
	}
	return false;
}

/*
 * The values of XML's selectors: XPath selectors name disjoint value
 * sets, each taken once however many tiers read it (a value twice in
 * the phase's values would match its rules twice).
 */
static uint32_t
resolve_xml(struct mg_waf_ctx *c, const struct waf_scanset *ss,
	    struct waf_val *out, uint32_t cap)
{
	const struct mg_waf_ruleset *rs = c->rs;
	const struct waf_var *seen[8];
	unsigned n_seen = 0;
	uint32_t n = 0;

	for (unsigned t = 0; t < WAF_TIERS; t++) {
		const uint16_t *tix = ss->tix + ss->by_var[t][WV_XML];

		for (unsigned i = 0; i < ss->n_by_var[t][WV_XML]; i++) {
			const struct waf_var *v = &ss->targets[tix[i]].var;
			unsigned k;

			for (k = 0; k < n_seen; k++)
				if (strcmp(waf_str(rs, seen[k]->key),
					   waf_str(rs, v->key)) == 0)
					break;
			if (k < n_seen)
				continue;
			if (n_seen < 8)
				seen[n_seen++] = v;
			n += waf_resolve(c, v, out + n, cap - n);
		}
	}
	return n;
}

/* The values of the variables the phase's grouped rules read, each once. */
static uint32_t
resolve_union(struct mg_waf_ctx *c, const struct waf_scanset *ss)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < ss->n_read_vars; i++) {
		unsigned id = ss->read_vars[i];
		struct waf_var all = { .id = (uint8_t)id };
		uint32_t m, k;

		if (ss->var_all[id]) {
			n += waf_resolve(c, &all, c->vals + n, WAF_VALS_MAX - n);
			continue;
		}
		if (id == WV_XML) {
			n += resolve_xml(c, ss, c->vals + n, WAF_VALS_MAX - n);
			continue;
		}
		m = waf_resolve(c, &all, c->vals + n, WAF_VALS_MAX - n);
		for (uint32_t i = k = 0; i < m; i++) {
			const struct waf_val *v = &c->vals[n + i];

			if (target_selects(c, ss, id, v))
				c->vals[n + k++] = *v;
		}
		n += k;
	}
	if (n == WAF_VALS_MAX)
		c->counters[MG_WAF_C_VALUE_TRUNCATED]++;
	return n;
}

/* The targets value o belongs to, its transformations and their scans. */
static void
scan_value(struct mg_waf_ctx *c, const struct waf_scanset *ss, uint8_t tier,
	   const struct waf_val *v, uint32_t o)
{
	const uint16_t *tix = ss->tix + ss->by_var[tier][v->var];
	unsigned nt = ss->n_by_var[tier][v->var];
	uint64_t mask = 0;
	uint32_t len = v->len;

	c->n_vtargets = 0;
	for (unsigned i = 0; i < nt; i++) {
		const struct waf_target *t = &ss->targets[tix[i]];

		if ((t->db == NULL && t->n_ops == 0) ||
		    c->n_vtargets == WAF_VTARGETS_MAX ||
		    !waf_key_match(c, &t->var, v->key, v->key_len))
			continue;
		c->vtargets[c->n_vtargets++] = t;
		mask |= t->chains;
	}
	if (mask == 0)
		return;
	if (len > c->max_value) {
		len = c->max_value;
		c->counters[MG_WAF_C_VALUE_TRUNCATED]++;
	}
	/* the trie keeps every output: when they fit (nearly always: only
	 * long bodies go chain by chain) */
	if ((uint64_t)ss->n_nodes * MG_WAF_TRANSFORM_OUT_MAX(len) <=
	    c->tscratch_size)
		scan_trie(c, ss, o, v->v, len, mask);
	else
		scan_chains(c, ss, o, v->v, len, mask);
}

/* What may make a scan's matches differ for the same value */
static uint64_t
scan_errors(const struct mg_waf_ctx *c)
{
	return c->counters[MG_WAF_C_HS_ERROR] +
	       c->counters[MG_WAF_C_PCRE_ERROR] +
	       c->counters[MG_WAF_C_VALUE_TRUNCATED];
}

/* m holds the scan of v in this phase and tier */
static bool
memo_holds(const struct mg_waf_ctx *c, const struct waf_memo *m,
	   uint8_t tier, const struct waf_val *v)
{
	return m->phase == c->phase && m->tier == tier &&
	       m->var == v->var && m->key_len == v->key_len &&
	       m->len == v->len &&
	       memcmp(m->bytes, v->key, v->key_len) == 0 &&
	       memcmp(m->bytes + v->key_len, v->v, v->len) == 0;
}

/*
 * The memo slot of value v, at place o of this phase's and tier's values:
 * *hit when it holds what v's scan found. NULL when v is too long to be
 * remembered. The slot of the last request's value at o first, without
 * hashing (a client's requests have their values in the same places);
 * then two ways: direct mapped, two values every request has could share
 * a slot and push each other out, a scan each every request (CRS PL1, a
 * GET of "/" with one header field: its request line and its empty
 * basename).
 */
static struct waf_memo *
memo_slot(struct mg_waf_ctx *c, uint8_t tier, const struct waf_val *v,
	  uint32_t o, bool *hit)
{
	struct waf_memo **last = o < WAF_MEMO_LAST ?
		&c->memo_last[c->phase - 1][tier][o] : NULL;
	struct waf_memo *set, *m;
	uint64_t h;

	*hit = false;
	if (c->memo == NULL || v->len > c->max_value ||
	    (uint64_t)v->key_len + v->len > WAF_MEMO_BYTES)
		return NULL;
	if (last && *last && memo_holds(c, *last, tier, v)) {
		(*last)->used = c->req_gen;
		*hit = true;
		return *last;
	}
	h = ((uint64_t)c->phase << 56) ^ ((uint64_t)tier << 48) ^
	    ((uint64_t)v->var << 40) ^ ((uint64_t)v->key_len << 20) ^ v->len;
	h = waf_hash64(waf_hash64(h, v->key, v->key_len), v->v, v->len);
	set = &c->memo[h & (WAF_MEMO_SLOTS - 2)];
	for (unsigned w = 0; w < 2; w++)
		if (set[w].hash == h && memo_holds(c, &set[w], tier, v)) {
			set[w].used = c->req_gen;
			*hit = true;
			m = &set[w];
			goto out;
		}
	m = set[0].used <= set[1].used ? &set[0] : &set[1];
	m->used = c->req_gen;
	m->hash = h;	/* filled once the scan is done */
out:
	if (last)
		*last = m;
	return m;
}

/* The matches of an earlier scan of the same value, in the same order. */
static void
memo_replay(struct mg_waf_ctx *c, const struct waf_scanset *ss,
	    const struct waf_memo *m)
{
	c->counters[MG_WAF_C_SCAN_MEMO_HIT]++;
	for (unsigned i = 0; i < m->n_hits; i++)
		hit_add(c, &ss->targets[m->hits[i].target], m->hits[i].pat,
			m->hits[i].chains);
}

/* Keep what the scan of v found, unless something was cut or failed. */
static void
memo_fill(struct mg_waf_ctx *c, struct waf_memo *m, uint8_t tier,
	  const struct waf_val *v, uint64_t errors)
{
	c->memo_recording = false;
	m->phase = 0;
	if (c->memo_n > WAF_MEMO_HITS || scan_errors(c) != errors)
		return;
	c->counters[MG_WAF_C_SCAN_MEMO_MISS]++;
	m->tier = tier;
	m->var = v->var;
	m->key_len = (uint16_t)v->key_len;
	m->len = (uint16_t)v->len;
	memcpy(m->bytes, v->key, v->key_len);
	memcpy(m->bytes + v->key_len, v->v, v->len);
	m->n_hits = c->memo_n;
	memcpy(m->hits, c->memo_rec, c->memo_n * sizeof(m->hits[0]));
	m->phase = c->phase;
}

void
waf_scan_phase(struct mg_waf_ctx *c, uint8_t tier)
{
	const struct waf_scanset *ss = &c->rs->scan[c->phase];

	if (c->scan_gen[tier] == c->gen)
		return;
	c->scan_gen[tier] = c->gen;
	if (c->pvals_gen != c->gen) {
		uint32_t n;

		c->pvals_gen = c->gen;
		c->n_pvals = 0;
		if (ss->n_targets == 0)
			return;
		n = resolve_union(c, ss);
		c->pvals = waf_alloc(c, (size_t)n * sizeof(*c->pvals));
		if (c->pvals == NULL)
			return;
		memcpy(c->pvals, c->vals, (size_t)n * sizeof(*c->pvals));
		c->n_pvals = n;
	}
	for (uint32_t o = 0; o < c->n_pvals; o++) {
		const struct waf_val *v = &c->pvals[o];
		struct waf_memo *m;
		uint64_t errors;
		bool hit;

		if (ss->n_by_var[tier][v->var] == 0)
			continue;	/* no target of this tier reads it */
		c->scan_ordinal = o;
		m = memo_slot(c, tier, v, o, &hit);
		if (hit) {
			memo_replay(c, ss, m);
			continue;
		}
		c->memo_recording = m != NULL;
		c->memo_n = 0;
		errors = scan_errors(c);
		scan_value(c, ss, tier, v, o);
		if (m != NULL)
			memo_fill(c, m, tier, v, errors);
	}
}
