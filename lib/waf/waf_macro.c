/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Macro expansion: %{tx.foo}, %{MATCHED_VAR}, %{rule.id}... A variable
 * with several values gives its first; one with none gives nothing, as in
 * ModSecurity. Output goes to the top of the arena and is committed there.
 */
#include <stdio.h>
#include <string.h>

#include "waf_eval.h"

static const char *const severity_names[8] = {
	"EMERGENCY", "ALERT", "CRITICAL", "ERROR", "WARNING", "NOTICE",
	"INFO", "DEBUG",
};

static size_t expand_into(struct mg_waf_ctx *c, uint32_t tmpl, uint8_t *out,
			  size_t room, int depth);

static size_t
copy(uint8_t *out, size_t room, const void *p, size_t n)
{
	if (n > room)
		n = room;
	memcpy(out, p, n);
	return n;
}

static size_t
rule_field(struct mg_waf_ctx *c, const struct waf_seg *sg, uint8_t *out,
	   size_t room, int depth)
{
	const struct mg_waf_ruleset *rs = c->rs;
	const struct waf_rule *r = &rs->rules[c->cur_rule];
	const char *k = waf_str(rs, sg->str);
	char num[24];

	if (strcmp(k, "id") == 0)
		return copy(out, room, num,
			    waf_fmt_int(num, r->id));
	if (strcmp(k, "msg") == 0 && r->msg != WAF_NONE && depth < 2)
		return expand_into(c, r->msg, out, room, depth + 1);
	if (strcmp(k, "logdata") == 0 && r->logdata != WAF_NONE && depth < 2)
		return expand_into(c, r->logdata, out, room, depth + 1);
	if (strcmp(k, "severity") == 0 && r->severity < 8)
		return copy(out, room, severity_names[r->severity],
			    strlen(severity_names[r->severity]));
	if (strcmp(k, "ver") == 0)
		return copy(out, room, waf_str(rs, r->ver),
			    strlen(waf_str(rs, r->ver)));
	if (strcmp(k, "phase") == 0)
		return copy(out, room, num,
			    waf_fmt_int(num, r->phase));
	return 0;
}

static size_t
expand_into(struct mg_waf_ctx *c, uint32_t tmpl, uint8_t *out, size_t room,
	    int depth)
{
	const struct mg_waf_ruleset *rs = c->rs;
	const struct waf_tmpl *t = &rs->tmpls[tmpl];
	size_t len = 0;

	for (uint32_t i = 0; i < t->n_segs; i++) {
		const struct waf_seg *sg = &rs->segs[t->seg_off + i];
		struct waf_val val;
		struct waf_var v;

		if (sg->var == WAF_SEG_LIT) {
			len += copy(out + len, room - len, waf_str(rs, sg->str),
				    sg->len);
			continue;
		}
		if (sg->var == WV_RULE) {
			len += rule_field(c, sg, out + len, room - len, depth);
			continue;
		}
		if (waf_var_is_store(sg->var)) {
			const struct waf_kvent *e = waf_store_get_h(c, sg->var,
				(const uint8_t *)waf_str(rs, sg->str), sg->len,
				sg->hash);

			if (e)
				len += copy(out + len, room - len, e->val,
					    e->len);
			continue;
		}
		memset(&v, 0, sizeof(v));
		v.id = sg->var;
		v.flags = sg->len ? WVF_KEY : 0;
		v.key = sg->str;
		v.key_len = (uint16_t)sg->len;
		v.hash = sg->hash;
		if (waf_resolve(c, &v, &val, 1) == 1)
			len += copy(out + len, room - len, val.v, val.len);
	}
	return len;
}

const uint8_t *
waf_expand(struct mg_waf_ctx *c, uint32_t tmpl, uint32_t *len)
{
	const struct waf_tmpl *t = &c->rs->tmpls[tmpl];
	size_t room, n;
	uint8_t *out;

	if (t->literal) {
		/* no variable: the text stays in the string pool */
		if (t->n_segs == 0) {
			*len = 0;
			return (const uint8_t *)"";
		}
		*len = c->rs->segs[t->seg_off].len;
		return (const uint8_t *)waf_str(c->rs,
						c->rs->segs[t->seg_off].str);
	}
	out = waf_arena_top(c, &room);
	if (room < 8) {
		c->counters[MG_WAF_C_ARENA_FULL]++;
		return NULL;
	}
	/* the output is not committed yet: nothing may allocate meanwhile */
	c->arena_used = c->arena_size;
	n = expand_into(c, tmpl, out, room - 1, 0);
	out[n] = '\0';
	c->arena_used = (size_t)(out - c->arena) + ((n + 1 + 7) & ~(size_t)7);
	if (c->arena_used > c->arena_size)
		c->arena_used = c->arena_size;
	*len = (uint32_t)n;
	return out;
}
