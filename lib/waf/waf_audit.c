/* SPDX-License-Identifier: Apache-2.0 */
/* The audit record: one JSON line per request. */
#include <stdio.h>
#include <string.h>

#include "waf_eval.h"

struct out {
	char *buf;
	size_t cap, len;
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (o->len < o->cap) {
		size_t k = o->cap - o->len < n ? o->cap - o->len : n;

		memcpy(o->buf + o->len, s, k);
	}
	o->len += n;
}

static void
puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* A JSON string of at most max bytes between its quotes (escapes
 * whole); bytes that are not printable ASCII as \u00XX. */
static void
put_json(struct out *o, const uint8_t *s, size_t n, size_t max)
{
	size_t room = max;
	char esc[8];

	put(o, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		uint8_t ch = s[i];
		size_t k = 1;

		if (ch == '"' || ch == '\\') {
			esc[0] = '\\';
			esc[1] = (char)ch;
			k = 2;
		} else if (ch < 0x20 || ch >= 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", ch);
			k = 6;
		} else {
			esc[0] = (char)ch;
		}
		if (k > room)
			break;
		put(o, esc, k);
		room -= k;
	}
	put(o, "\"", 1);
}

static void
put_num(struct out *o, long long v)
{
	char num[24];

	put(o, num, (size_t)snprintf(num, sizeof(num), "%lld", v));
}

/* What closes a record whose matches were cut */
#define AUDIT_END "],\"truncated\":true}"

size_t
mg_waf_audit_json(const struct mg_waf_ctx *c, const struct mg_waf_result *res,
		  char *buf, size_t cap)
{
	static const char *const verdicts[] = {
		"pass", "deny", "drop", "redirect",
	};
	struct out o = { buf, cap ? cap - 1 : 0, 0 };
	const struct mg_waf_kv *items;
	uint32_t n = 0;
	bool cut = false;

	puts_(&o, "{\"unique_id\":");
	put_json(&o, (const uint8_t *)c->unique_id, strlen(c->unique_id), 64);
	if (c->req)
		n = mg_waf_request_coll(c->req, MG_WAF_C_REQUEST_HEADERS,
					&items);
	for (uint32_t i = 0; i < n; i++) {
		if (!waf_ieq(items[i].name.p, items[i].name.len, "X-CRS-Test",
			     10))
			continue;
		puts_(&o, ",\"correlation\":");
		put_json(&o, items[i].value.p, items[i].value.len, 256);
		break;
	}
	puts_(&o, ",\"verdict\":\"");
	puts_(&o, res->verdict < 4 ? verdicts[res->verdict] : "?");
	puts_(&o, "\",\"detection_only\":");
	puts_(&o, res->detect_only ? "true" : "false");
	puts_(&o, ",\"would_block\":");
	puts_(&o, res->would_block ? "true" : "false");
	puts_(&o, ",\"status\":");
	put_num(&o, res->status);
	puts_(&o, ",\"anomaly_score\":");
	put_num(&o, res->anomaly_score);
	puts_(&o, ",\"rule_ids\":[");
	for (unsigned i = 0; i < res->n_matches; i++) {
		if (i)
			puts_(&o, ",");
		put_num(&o, res->matches[i].rule_id);
	}
	puts_(&o, "],\"matches\":[");
	/* each match whole or not at all, room kept for the end: the line
	 * stays one JSON object however small cap is (the rule ids above
	 * are all there unless cap cannot hold even them) */
	for (unsigned i = 0; i < res->n_matches; i++) {
		const struct mg_waf_match *m = &res->matches[i];
		size_t mark = o.len;

		puts_(&o, i ? ",{\"rule_id\":" : "{\"rule_id\":");
		put_num(&o, m->rule_id);
		puts_(&o, ",\"severity\":");
		put_num(&o, m->severity == 255 ? -1 : m->severity);
		puts_(&o, ",\"msg\":");
		put_json(&o, (const uint8_t *)m->msg, strlen(m->msg), 512);
		puts_(&o, ",\"data\":");
		put_json(&o, (const uint8_t *)m->data, strlen(m->data), 256);
		puts_(&o, "}");
		if (o.len + sizeof(AUDIT_END) - 1 > o.cap) {
			o.len = mark;
			cut = true;
			break;
		}
	}
	puts_(&o, "]");
	if (res->truncated || cut)
		puts_(&o, ",\"truncated\":true");
	puts_(&o, "}");
	if (cap)
		buf[o.len < cap ? o.len : cap - 1] = '\0';
	return o.len;
}

size_t
mg_waf_rule_ids(const struct mg_waf_result *res, char *buf, size_t cap)
{
	size_t n = 0;

	if (cap == 0)
		return 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < res->n_matches; i++) {
		char id[16];
		int k = snprintf(id, sizeof(id), "%s%u", i ? "," : "",
				 res->matches[i].rule_id);

		if (n + (size_t)k >= cap)
			break;
		memcpy(buf + n, id, (size_t)k + 1);
		n += (size_t)k;
	}
	return n;
}
