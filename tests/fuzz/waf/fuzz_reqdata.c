/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Request head and body processors on arbitrary bytes. The first two bytes
 * pick the configuration (limits, the processor, the arena size, from
 * 512 bytes up); the rest is the head up to the first blank line
 * and the body after it, each in an exact-size buffer so that ASan sees any
 * read past their ends. Every variable and item must lie inside the head,
 * the body, the arena or the library's constants, and the arena must never
 * be overrun.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "waf_reqdata.h"

struct fz_bounds {
	const uint8_t *head, *body, *arena;
	size_t head_len, body_len, arena_len;
};

static bool
fz_inside(const uint8_t *p, size_t len, const uint8_t *base, size_t n)
{
	return p >= base && len <= n && (size_t)(p - base) <= n - len;
}

static void
fz_check_str(const struct fz_bounds *b, struct mg_waf_str s)
{
	if (s.len == 0)
		return;
	if (s.p == NULL)
		__builtin_trap();
	if (fz_inside(s.p, s.len, b->head, b->head_len) ||
	    fz_inside(s.p, s.len, b->body, b->body_len) ||
	    fz_inside(s.p, s.len, b->arena, b->arena_len))
		return;
	/* otherwise a constant of the library: short and readable */
	if (s.len > 128)
		__builtin_trap();
	for (uint32_t i = 0; i < s.len; i++)
		if (s.p[i] == 0)
			__builtin_trap();
}

static void
fz_check(const struct mg_waf_request *r, const struct fz_bounds *b)
{
	const struct mg_waf_kv *kv;
	uint32_t n_args, n_get, n_post;

	if (mg_waf_request_arena_used(r) > b->arena_len)
		__builtin_trap();
	for (int v = 0; v < MG_WAF_V_MAX; v++)
		fz_check_str(b, mg_waf_request_var(r, v));
	for (int c = 0; c < MG_WAF_C_COLL_MAX; c++) {
		uint32_t n = mg_waf_request_coll(r, c, &kv);

		if ((n == 0) != (kv == NULL))
			__builtin_trap();
		for (uint32_t i = 0; i < n; i++) {
			fz_check_str(b, kv[i].name);
			fz_check_str(b, kv[i].value);
		}
	}
	n_args = mg_waf_request_coll(r, MG_WAF_C_ARGS, &kv);
	n_get = mg_waf_request_coll(r, MG_WAF_C_ARGS_GET, &kv);
	n_post = mg_waf_request_coll(r, MG_WAF_C_ARGS_POST, &kv);
	if (n_get + n_post > n_args)
		__builtin_trap();
	if (mg_waf_body_processor_name(mg_waf_request_processor(r))[0] == '?')
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_waf_req_conf conf = { 0 };
	struct fz_bounds b;
	struct mg_waf_request *r;
	const uint8_t *in, *sep;
	uint8_t *head, *body, *arena;
	size_t n, hl, bl, arena_len;
	uint8_t sel, proc;

	if (size < 2)
		return 0;
	sel = data[0];
	proc = data[1];
	in = data + 2;
	n = size - 2;
	conf.content_type_json_xml = sel & 1;
	conf.body_limit = sel & 2 ? 64 : 0;
	conf.body_no_files_limit = sel & 4 ? 48 : 0;
	conf.args_limit = sel & 8 ? 5 : 0;
	conf.json_depth_limit = sel & 16 ? 3 : 0;
	arena_len = sel & 32 ? 512 + (size_t)proc * 16 :
		    MG_WAF_REQ_ARENA_SIZE(n, n);
	sep = memmem(in, n, "\r\n\r\n", 4);
	hl = sep ? (size_t)(sep - in) + 4 : n;
	bl = n - hl;
	head = malloc(hl ? hl : 1);
	body = malloc(bl ? bl : 1);
	arena = malloc(arena_len);
	if (head == NULL || body == NULL || arena == NULL)
		__builtin_trap();
	memcpy(head, in, hl);
	if (bl)
		memcpy(body, in + hl, bl);
	b = (struct fz_bounds){ head, body, arena, hl, bl, arena_len };
	r = mg_waf_request_init(arena, arena_len, &conf);
	if (r == NULL) {
		/* only an arena too small for the structure itself */
		if (arena_len >= 4096)
			__builtin_trap();
		goto out;
	}
	if (mg_waf_request_head(r, head, hl) != 0)
		__builtin_trap();
	fz_check(r, &b);
	/* ctl:requestBodyProcessor, sometimes */
	if ((proc & 7) < MG_WAF_BP_MAX && (proc & 8))
		mg_waf_request_set_processor(r, proc & 7);
	if (mg_waf_request_body(r, body, bl) != 0)
		__builtin_trap();
	fz_check(r, &b);
	if (mg_waf_request_body(r, body, bl) == 0)
		__builtin_trap();
out:
	free(head);
	free(body);
	free(arena);
	return 0;
}
