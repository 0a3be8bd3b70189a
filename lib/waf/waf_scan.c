/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Transformations and the scan of a phase's values.
 *
 * Most values of benign traffic come out of most transformations as they
 * went in ("books" is its own urlDecodeUni, htmlEntityDecode and jsDecode).
 * A transformation is skipped when the value holds none of its trigger
 * bytes (rs->trigger), so a value costs one pass to find its bytes, the
 * transformations that do change it, and one Hyperscan scan per distinct
 * output of the phase's chains: two or three for a plain argument, where
 * scanning once per rule group would take dozens.
 */
#include <string.h>

#include "waf_eval.h"
#include "waf_transform.h"


static const uint8_t empty_bytes[1];

/* The set of bytes in p: about 1 cycle a byte either way. */
static void
byte_set(const uint8_t *p, uint32_t len, uint64_t b[4])
{
	uint8_t seen[256];

	b[0] = b[1] = b[2] = b[3] = 0;
	if (len < 256) {
		for (uint32_t i = 0; i < len; i++)
			b[p[i] >> 6] |= 1ull << (p[i] & 63);
		return;
	}
	/* long input: independent stores, no read-modify-write chain */
	memset(seen, 0, sizeof(seen));
	for (uint32_t i = 0; i < len; i++)
		seen[p[i]] = 1;
	for (unsigned i = 0; i < 256; i++)
		b[i >> 6] |= (uint64_t)seen[i] << (i & 63);
}

static inline bool
may_change(const uint64_t t[4], const uint64_t b[4])
{
	return ((t[0] & b[0]) | (t[1] & b[1]) | (t[2] & b[2]) |
		(t[3] & b[3])) != 0;
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
	n = mg_waf_transform_apply(t, in, len, out, cap);
	return n == MG_WAF_TRANSFORM_E_CAP ? 0 : (uint32_t)n;
}

/*
 * The byte set of a value several rules transform (CRS runs a handful of
 * rules with their own t: on every argument): computed once per request.
 * Keyed by where the value lives, which does not change meanwhile.
 */
static const uint64_t *
value_bytes(struct mg_waf_ctx *c, const uint8_t *p, uint32_t len)
{
	struct waf_byteset *e;

	e = &c->bytesets[(((uintptr_t)p >> 3) ^ len) % WAF_BYTESETS];
	if (e->gen != c->req_gen || e->p != p || e->len != len) {
		byte_set(p, len, e->bits);
		e->gen = c->req_gen;
		e->p = p;
		e->len = len;
	}
	return e->bits;
}

const uint8_t *
waf_transform(struct mg_waf_ctx *c, const uint8_t *tfns, uint8_t n,
	      const uint8_t *in, uint32_t len, uint32_t *out_len)
{
	const struct mg_waf_ruleset *rs = c->rs;
	const uint8_t *cur = in ? in : empty_bytes;
	uint64_t bits[4], any[4] = { 0 };
	unsigned b = 0;

	if (len > c->max_value) {
		len = c->max_value;
		c->counters[MG_WAF_C_VALUE_TRUNCATED]++;
	}
	*out_len = len;
	if (n == 0)
		return cur;
	memcpy(bits, value_bytes(c, cur, len), sizeof(bits));
	/* most values come out of most chains as they went in */
	for (uint8_t i = 0; i < n; i++)
		for (unsigned k = 0; k < 4; k++)
			any[k] |= rs->trigger[tfns[i]][k];
	if (!may_change(any, bits))
		return cur;
	for (uint8_t i = 0; i < n; i++) {
		if (!may_change(rs->trigger[tfns[i]], bits))
			continue;
		len = step(c, tfns[i], cur, len, c->tbuf[b], c->tbuf_size);
		cur = c->tbuf[b];
		b ^= 1;
		if (i + 1 < n)
			byte_set(cur, len, bits);
	}
	*out_len = len;
	return cur;
}

static int
on_match(unsigned id, unsigned long long from, unsigned long long to,
	 unsigned flags, void *arg)
{
	struct mg_waf_ctx *c = arg;
	const struct waf_target *t = c->scan_target;
	uint32_t ri = t->pat_rule[id];
	const struct waf_rule *r = &c->rs->rules[ri];
	struct waf_rule_hits *rh = &c->rule_hits[ri];
	struct waf_hit *h;

	(void)from;
	(void)to;
	(void)flags;
	/* the pattern's rule reads this output only through its chains */
	if (r->group == WAF_NONE || !(c->scan_chains & r->chains))
		return 0;
	if (rh->gen == c->gen && c->hits[rh->last].ordinal == c->scan_ordinal)
		return 0;	/* another phrase or output of the same value */
	if (c->n_hits == c->hits_cap) {
		c->counters[MG_WAF_C_MATCHES_DROPPED]++;
		return 0;
	}
	h = &c->hits[c->n_hits];
	h->ordinal = c->scan_ordinal;
	h->phrase = t->pat_phrase[id];
	h->next = WAF_NONE;
	if (rh->gen != c->gen) {
		rh->gen = c->gen;
		rh->first = c->n_hits;
	} else {
		c->hits[rh->last].next = c->n_hits;
	}
	rh->last = c->n_hits++;
	return 0;
}

/* Scan output p with the database of every target of the value whose
 * rules read it through one of chains. */
static void
scan(struct mg_waf_ctx *c, uint32_t ordinal, const uint8_t *p, uint32_t len,
     uint64_t chains)
{
	c->scan_ordinal = ordinal;
	for (unsigned i = 0; i < c->n_vtargets; i++) {
		const struct waf_target *t = c->vtargets[i];

		if (!(t->chains & chains) || t->db == NULL)
			continue;
		c->scan_target = t;
		c->scan_chains = chains & t->chains;
		if (hs_scan(t->db, (const char *)(p ? p : empty_bytes), len, 0,
			    c->scratch, on_match, c) != HS_SUCCESS)
			c->counters[MG_WAF_C_HS_ERROR]++;
	}
}

struct trie_out {
	const uint8_t *p;
	uint32_t len;
	uint8_t bits_ok;
	uint64_t bits[4];
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
	outs[0].bits_ok = 0;
	outs[0].chains = 0;
	node_out[0] = 0;
	if (ss->nodes[0].chain && ((mask >> (ss->nodes[0].chain - 1)) & 1))
		outs[0].chains |= 1ull << (ss->nodes[0].chain - 1);
	for (uint16_t n = 1; n < ss->n_nodes; n++) {
		const struct waf_tnode *tn = &ss->nodes[n];
		struct trie_out *in;

		if (!(tn->below & mask))
			continue;
		in = &outs[node_out[tn->parent]];
		if (!in->bits_ok) {
			byte_set(in->p, in->len, in->bits);
			in->bits_ok = 1;
		}
		node_out[n] = node_out[tn->parent];
		if (may_change(rs->trigger[tn->tfn], in->bits)) {
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
				o->bits_ok = 0;
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

/* A long value: chain by chain; the unchanged ones share one scan. */
static void
scan_chains(struct mg_waf_ctx *c, const struct waf_scanset *ss,
	    uint32_t ordinal, const uint8_t *raw, uint32_t len, uint64_t mask)
{
	const struct mg_waf_ruleset *rs = c->rs;
	uint64_t raw_bits[4], bits[4], unchanged = 0;

	byte_set(raw, len, raw_bits);
	for (unsigned k = 0; k < ss->n_chains; k++) {
		const uint8_t *tf = rs->tfns + ss->chain_tfn_off[k];
		const uint8_t *cur = raw;
		uint32_t l = len;
		unsigned b = 0;
		bool changed = false;

		if (!((mask >> k) & 1))
			continue;
		memcpy(bits, raw_bits, sizeof(bits));
		for (uint8_t i = 0; i < ss->chain_n_tfns[k]; i++) {
			if (!may_change(rs->trigger[tf[i]], bits))
				continue;
			l = step(c, tf[i], cur, l, c->tbuf[b], c->tbuf_size);
			cur = c->tbuf[b];
			b ^= 1;
			changed = true;
			byte_set(cur, l, bits);
		}
		if (changed)
			scan(c, ordinal, cur, l, 1ull << k);
		else
			unchanged |= 1ull << k;
	}
	if (unchanged)
		scan(c, ordinal, raw, len, unchanged);
}

/* The values of the variables the phase's grouped rules read, each once. */
static uint32_t
resolve_union(struct mg_waf_ctx *c, const struct waf_scanset *ss)
{
	uint32_t n = 0;

	for (unsigned id = 0; id < WV_MAX; id++) {
		struct waf_var all = { .id = (uint8_t)id };
		uint32_t m, k;

		if (!ss->var_chains[id])
			continue;
		if (ss->var_all[id]) {
			n += waf_resolve(c, &all, c->vals + n, WAF_VALS_MAX - n);
			continue;
		}
		if (id == WV_XML) {
			/* XPath selectors name disjoint value sets */
			for (uint32_t s = 0; s < ss->n_targets; s++)
				if (ss->targets[s].var.id == WV_XML)
					n += waf_resolve(c, &ss->targets[s].var,
							 c->vals + n,
							 WAF_VALS_MAX - n);
			continue;
		}
		m = waf_resolve(c, &all, c->vals + n, WAF_VALS_MAX - n);
		for (uint32_t i = k = 0; i < m; i++) {
			const struct waf_val *v = &c->vals[n + i];

			for (uint32_t s = 0; s < ss->n_targets; s++)
				if (ss->targets[s].var.id == id &&
				    waf_key_match(c, &ss->targets[s].var,
						  v->key, v->key_len)) {
					c->vals[n + k++] = *v;
					break;
				}
		}
		n += k;
	}
	if (n == WAF_VALS_MAX)
		c->counters[MG_WAF_C_VALUE_TRUNCATED]++;
	return n;
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
		const uint16_t *tix = ss->tix + ss->by_var[tier][v->var];
		unsigned nt = ss->n_by_var[tier][v->var];
		uint64_t mask = 0;
		uint32_t len = v->len;

		/* the targets this value belongs to, and their chains */
		c->n_vtargets = 0;
		for (unsigned i = 0; i < nt; i++) {
			const struct waf_target *t = &ss->targets[tix[i]];

			if (t->db == NULL || c->n_vtargets == WAF_VTARGETS_MAX ||
			    !waf_key_match(c, &t->var, v->key, v->key_len))
				continue;
			c->vtargets[c->n_vtargets++] = t;
			mask |= t->chains;
		}
		if (mask == 0)
			continue;
		if (len > c->max_value) {
			len = c->max_value;
			c->counters[MG_WAF_C_VALUE_TRUNCATED]++;
		}
		/* the trie keeps every output: when they fit (nearly always:
		 * only long bodies go chain by chain) */
		if ((uint64_t)ss->n_nodes * MG_WAF_TRANSFORM_OUT_MAX(len) <=
		    c->tscratch_size)
			scan_trie(c, ss, o, v->v, len, mask);
		else
			scan_chains(c, ss, o, v->v, len, mask);
	}
}
