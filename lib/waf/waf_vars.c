/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The values of a variable for one request, in the order ModSecurity
 * gives them: collection items in insertion order, one value for a single
 * variable (empty or not), one decimal count for &VAR.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "waf_eval.h"

static const uint8_t empty[1];

/* A selector regex that is a word (see selector_literal) */
static bool
word_match(const struct waf_regex *re, const uint8_t *w, const uint8_t *key,
	   uint32_t len)
{
	const uint8_t *p = key, *end = key + len;

	if (re->lit_kind == WLK_LINE_START) {
		/* at the start and after each newline (MULTILINE) */
		while (p != NULL && (size_t)(end - p) >= re->lit_len) {
			if (waf_ieq(p, re->lit_len, w, re->lit_len))
				return true;
			p = memchr(p, '\n', (size_t)(end - p));
			p = p ? p + 1 : NULL;
		}
		return false;
	}
	for (uint32_t i = 0; i + re->lit_len <= len; i++)
		if (waf_lower(key[i]) == w[0] &&
		    waf_ieq(key + i, re->lit_len, w, re->lit_len))
			return true;
	return false;
}

bool
waf_key_match_regex(struct mg_waf_ctx *c, const struct waf_var *v,
		    const uint8_t *key, uint32_t len)
{
	const struct mg_waf_ruleset *rs = c->rs;
	const struct waf_regex *re = &rs->regexes[v->regex];
	int rc;

	if (re->lit_kind != WLK_NONE)
		return word_match(re, (const uint8_t *)waf_str(rs, re->lit),
				  key ? key : empty, len);
	rc = pcre2_match(re->code, key ? key : empty, len, 0, 0, c->md,
			 c->mctx);
	if (rc < -1)
		c->counters[MG_WAF_C_PCRE_ERROR]++;
	return rc >= 0;
}

static uint32_t
put(struct waf_val *out, uint32_t n, uint32_t cap, uint8_t var,
    const uint8_t *key, uint32_t klen, const uint8_t *v, uint32_t len)
{
	if (out == NULL)
		return n + 1;	/* only counting */
	if (n >= cap)
		return n;
	out[n].var = var;
	out[n].key = key ? key : empty;
	out[n].key_len = klen;
	out[n].v = v ? v : empty;
	out[n].len = len;
	return n + 1;
}

/* Entry e is one of the values of v (a collection, a selector) */
static bool
entry_selected(struct mg_waf_ctx *c, const struct waf_var *v,
	       const struct waf_kvent *e)
{
	const struct waf_regex *re;
	uint64_t mask;
	const char *w;
	uint32_t n;

	if (e->coll != v->id)
		return false;
	if (!(v->flags & WVF_REGEX) || e->key_nl ||
	    c->rs->regexes[v->regex].lit_kind != WLK_LINE_START)
		return waf_key_match(c, v, e->key, e->key_len);
	/* TX:/^HEADER_NAME_/: a key without a newline matches when it
	 * starts with the word */
	re = &c->rs->regexes[v->regex];
	n = re->lit_len;
	mask = n >= 8 ? ~0ull : (1ull << (8 * n)) - 1;
	w = waf_str(c->rs, re->lit);
	return e->key_len >= n && ((e->key_head ^ re->lit_head) & mask) == 0 &&
	       (n <= 8 || waf_ieq(e->key + 8, n - 8, w + 8, n - 8));
}

/* The cache of v's selector, brought up to the store's last entry */
static const struct waf_selcache *
selected(struct mg_waf_ctx *c, const struct waf_var *v)
{
	struct waf_selcache *sc = &c->selcache[v->regex];
	bool img = c->store_gen == 0 && c->img.arena != NULL;

	if (sc->req_gen != c->req_gen || sc->store_gen != c->store_gen ||
	    sc->coll != v->id) {
		if (sc->coll != v->id)
			sc->img_known = false;
		sc->coll = v->id;
		sc->req_gen = c->req_gen;
		sc->store_gen = c->store_gen;
		sc->n = img && sc->img_known ? sc->n_img : 0;
		sc->upto = img && sc->img_known ? c->img.n_store : 0;
	}
	for (; sc->upto < c->n_store; sc->upto++) {
		if (entry_selected(c, v, &c->store[sc->upto]))
			sc->idx[sc->n++] = (uint16_t)sc->upto;
		if (img && !sc->img_known && sc->upto + 1 == c->img.n_store) {
			sc->n_img = sc->n;
			sc->img_known = true;
		}
	}
	return sc;
}

static uint32_t
from_store(struct mg_waf_ctx *c, const struct waf_var *v, struct waf_val *out,
	   uint32_t cap)
{
	uint32_t n = 0;

	if (v->flags & WVF_KEY) {
		struct waf_kvent *e = waf_store_get_h(c, v->id,
				(const uint8_t *)waf_str(c->rs, v->key),
				v->key_len, v->hash);

		return e ? put(out, 0, cap, v->id, e->key, e->key_len, e->val,
			       e->len) : 0;
	}
	if ((v->flags & WVF_REGEX) && c->selcache != NULL &&
	    c->selcache[v->regex].idx != NULL) {
		const struct waf_selcache *sc = selected(c, v);

		for (uint32_t i = 0; i < sc->n; i++) {
			const struct waf_kvent *e = &c->store[sc->idx[i]];

			if (!e->dead)
				n = put(out, n, cap, v->id, e->key, e->key_len,
					e->val, e->len);
		}
		return n;
	}
	for (uint32_t i = 0; i < c->n_store; i++) {
		const struct waf_kvent *e = &c->store[i];

		if (!e->dead && entry_selected(c, v, e))
			n = put(out, n, cap, v->id, e->key, e->key_len, e->val,
				e->len);
	}
	return n;
}

static uint32_t
from_request(struct mg_waf_ctx *c, const struct waf_var *v,
	     struct waf_val *out, uint32_t cap)
{
	uint16_t src = waf_var_source[v->id];
	const struct mg_waf_kv *items;
	uint32_t n = 0, count;
	bool names;

	if (c->req == NULL)
		return 0;
	if (src < 0x100) {
		struct mg_waf_str s = mg_waf_request_var(c->req,
			(enum mg_waf_req_var)(src - 1));

		return put(out, 0, cap, v->id, NULL, 0, s.p, s.len);
	}
	count = mg_waf_request_coll(c->req, (enum mg_waf_req_coll)(src - 0x100),
				    &items);
	names = mg_waf_req_coll_is_names(src - 0x100);
	for (uint32_t i = 0; i < count; i++) {
		const struct mg_waf_kv *kv = &items[i];

		if (!waf_key_match(c, v, kv->name.p, kv->name.len))
			continue;
		if (names)
			n = put(out, n, cap, v->id, kv->name.p, kv->name.len,
				kv->name.p, kv->name.len);
		else
			n = put(out, n, cap, v->id, kv->name.p, kv->name.len,
				kv->value.p, kv->value.len);
	}
	return n;
}

static uint32_t
from_text(struct waf_val *out, uint32_t cap, uint8_t var, const char *s)
{
	return put(out, 0, cap, var, NULL, 0, (const uint8_t *)s,
		   (uint32_t)strlen(s));
}

/* A number written into the arena (single variables computed here). */
static uint32_t
from_number(struct mg_waf_ctx *c, struct waf_val *out, uint32_t cap,
	    uint8_t var, unsigned long long x)
{
	uint8_t *p;

	if (out == NULL)
		return 1;
	p = waf_alloc(c, 24);
	if (p == NULL)
		return 0;
	return put(out, 0, cap, var, NULL, 0, p,
		   waf_fmt_int((char *)p, (long long)x));
}

uint32_t
waf_values(struct mg_waf_ctx *c, const struct waf_var *v, struct waf_val *out,
	   uint32_t cap)
{
	uint32_t n = 0;

	if (waf_var_source[v->id])
		return from_request(c, v, out, cap);
	switch (v->id) {
	case WV_TX:
	case WV_IP:
	case WV_GLOBAL:
	case WV_SESSION:
	case WV_USER:
	case WV_RESOURCE:
		return from_store(c, v, out, cap);
	case WV_XML: {
		const char *k = waf_str(c->rs, v->key);
		const struct mg_waf_kv *items;
		uint32_t count;

		if (c->req == NULL ||
		    mg_waf_request_processor(c->req) != MG_WAF_BP_XML)
			return 0;
		if (strcmp(k, "/*") == 0) {
			struct mg_waf_str s = mg_waf_request_var(c->req,
							MG_WAF_V_XML_TEXT);

			return put(out, 0, cap, v->id, (const uint8_t *)"/*", 2,
				   s.p, s.len);
		}
		count = mg_waf_request_coll(c->req, MG_WAF_C_XML_ATTRS, &items);
		for (uint32_t i = 0; i < count; i++)
			n = put(out, n, cap, v->id, (const uint8_t *)"//@*", 4,
				items[i].value.p, items[i].value.len);
		return n;
	}
	case WV_REQBODY_PROCESSOR:
		return from_text(out, cap, v->id, c->req ?
			mg_waf_body_processor_name(
				mg_waf_request_processor(c->req)) : "");
	case WV_MATCHED_VAR:
		return c->has_matched_var ?
		       put(out, 0, cap, v->id, NULL, 0, c->matched_var.v,
			   c->matched_var.len) : 0;
	case WV_MATCHED_VAR_NAME:
		return c->has_matched_var ?
		       put(out, 0, cap, v->id, NULL, 0, c->matched_var.key,
			   c->matched_var.key_len) : 0;
	case WV_MATCHED_VARS:
	case WV_MATCHED_VARS_NAMES:
		for (uint32_t i = 0; i < c->n_matched; i++) {
			const struct waf_val *m = &c->matched[i];

			if (!waf_key_match(c, v, m->key, m->key_len))
				continue;
			n = put(out, n, cap, v->id, m->key, m->key_len,
				v->id == WV_MATCHED_VARS ? m->v : m->key,
				v->id == WV_MATCHED_VARS ? m->len : m->key_len);
		}
		return n;
	case WV_REMOTE_ADDR:
		return from_text(out, cap, v->id, c->remote_addr);
	case WV_REMOTE_PORT:
		return from_text(out, cap, v->id, c->remote_port);
	case WV_SERVER_ADDR:
		return from_text(out, cap, v->id, c->server_addr);
	case WV_SERVER_PORT:
		return from_text(out, cap, v->id, c->server_port);
	case WV_UNIQUE_ID:
		return from_text(out, cap, v->id, c->unique_id);
	case WV_DURATION:
		return from_number(c, out, cap, v->id,
				   waf_now_us() - c->start_us);
	case WV_HIGHEST_SEVERITY:
		return from_number(c, out, cap, v->id, c->highest_severity);
	default:
		/* GEO (no database) and the response: nothing */
		return 0;
	}
}

uint32_t
waf_count(struct mg_waf_ctx *c, const struct waf_var *v, struct waf_val *out,
	  uint32_t cap)
{
	/* what VAR would give, without keeping it */
	uint32_t n = waf_values(c, v, NULL, UINT32_MAX);

	return from_number(c, out, cap, v->id, n);
}

uint32_t
waf_val_name(const struct waf_val *v, uint8_t *buf, uint32_t cap)
{
	const char *coll = waf_var_names[v->var];
	uint32_t n = waf_var_name_len[v->var], k;

	if (n > cap)
		n = cap;
	memcpy(buf, coll, n);
	if (!(waf_var_flags[v->var] & WV_C) || n == cap)
		return n;
	buf[n++] = ':';
	k = v->key_len < cap - n ? v->key_len : cap - n;
	memcpy(buf + n, v->key, k);
	return n + k;
}
