/* SPDX-License-Identifier: Apache-2.0 */
/* Per-lcore contexts: every buffer a request will use, allocated once. */
#include <stdlib.h>
#include <string.h>

#include "waf_eval.h"
#include "waf_transform.h"

#define DEFAULT_ARENA (1u << 20)
#define HITS_MAX 16384
#define JIT_STACK_MAX (512u << 10)

static const char *const counter_names[MG_WAF_C_MAX] = {
#define MG_WAF_CNT_NAME_(n, d) #n,
	MG_WAF_COUNTERS(MG_WAF_CNT_NAME_)
#undef MG_WAF_CNT_NAME_
};

const char *
mg_waf_counter_name(unsigned c)
{
	return c < MG_WAF_C_MAX ? counter_names[c] : "?";
}

uint64_t
mg_waf_counter(const struct mg_waf_ctx *ctx, unsigned c)
{
	return c < MG_WAF_C_MAX ? ctx->counters[c] : 0;
}

static void *
take(struct mg_waf_ctx *c, size_t n)
{
	void *p = calloc(1, n ? n : 1);

	if (p)
		c->memory += n;
	return p;
}

/* A selector cache for each regex that picks entries of TX (IP...) */
static int
selcache_create(struct mg_waf_ctx *c)
{
	const struct mg_waf_ruleset *rs = c->rs;

	if (rs->n_regexes == 0)
		return 0;
	c->selcache = take(c, rs->n_regexes * sizeof(*c->selcache));
	if (c->selcache == NULL)
		return -1;
	for (uint32_t i = 0; i < rs->n_vars; i++) {
		const struct waf_var *v = &rs->vars[i];
		struct waf_selcache *sc = &c->selcache[v->regex];

		if (!(v->flags & WVF_REGEX) || !waf_var_is_store(v->id) ||
		    sc->idx != NULL)
			continue;
		sc->idx = take(c, WAF_STORE_MAX * sizeof(*sc->idx));
		if (sc->idx == NULL)
			return -1;
	}
	return 0;
}

struct mg_waf_ctx *
mg_waf_ctx_create(const struct mg_waf_ruleset *rs,
		  const struct mg_waf_conf *conf)
{
	struct mg_waf_ctx *c = calloc(1, sizeof(*c));
	size_t sz = 0;

	if (c == NULL)
		return NULL;
	c->rs = rs;
	c->memory = sizeof(*c);
	c->arena_size = conf && conf->arena_size ? conf->arena_size :
			DEFAULT_ARENA;
	c->body_cap = rs->body_limit;
	c->max_value = conf && conf->max_value ? conf->max_value :
		       (uint32_t)c->body_cap;
	c->tbuf_size = MG_WAF_TRANSFORM_OUT_MAX(c->max_value);
	/* JSON names repeat their parents' paths: room for twice the bound */
	c->req_arena_size = 2 * MG_WAF_REQ_ARENA_SIZE(WAF_HEAD_MAX, c->body_cap);
	c->hits_cap = HITS_MAX;
	c->arena = take(c, c->arena_size);
	c->req_arena = take(c, c->req_arena_size);
	c->tbuf[0] = take(c, c->tbuf_size);
	c->tbuf[1] = take(c, c->tbuf_size);
	c->head = take(c, WAF_HEAD_MAX);
	c->body = take(c, c->body_cap);
	c->vals = take(c, WAF_VALS_MAX * sizeof(*c->vals));
	c->hits = take(c, c->hits_cap * sizeof(*c->hits));
	c->rule_hits = take(c, rs->n_rules * sizeof(*c->rule_hits));
	c->hit_steps = take(c, (rs->max_steps / 64 + 1) * sizeof(uint64_t));
	c->digest[0].len = c->digest[1].len = UINT32_MAX;
	c->tscratch_size = WAF_TSCRATCH_SIZE;
	c->tscratch = take(c, c->tscratch_size);
	if (!c->arena || !c->req_arena || !c->tbuf[0] || !c->tbuf[1] ||
	    !c->head || !c->body || !c->vals || !c->hits || !c->rule_hits ||
	    !c->hit_steps ||
	    !c->tscratch)
		goto fail;
	if (!(conf && conf->no_scan_memo)) {
		c->memo = take(c, WAF_MEMO_SLOTS * sizeof(*c->memo));
		c->opmemo = take(c, WAF_OPMEMO_SLOTS * sizeof(*c->opmemo));
		if (c->memo == NULL || c->opmemo == NULL)
			goto fail;
	}
	if (selcache_create(c) < 0)
		goto fail;
	if (rs->scratch) {
		if (hs_clone_scratch(rs->scratch, &c->scratch) != HS_SUCCESS)
			goto fail;
		if (hs_scratch_size(c->scratch, &sz) == HS_SUCCESS)
			c->memory += sz;
	}
	c->md = pcre2_match_data_create(rs->max_captures + 1 < 10 ? 10 :
					rs->max_captures + 1, NULL);
	c->mctx = pcre2_match_context_create(NULL);
	c->jit = pcre2_jit_stack_create(32u << 10, JIT_STACK_MAX, NULL);
	if (!c->md || !c->mctx || !c->jit)
		goto fail;
	c->memory += JIT_STACK_MAX;
	pcre2_jit_stack_assign(c->mctx, NULL, c->jit);
	if (rs->pcre_match_limit)
		pcre2_set_match_limit(c->mctx, rs->pcre_match_limit);
	if (waf_fold_image(c) < 0)
		goto fail;
	return c;
fail:
	mg_waf_ctx_free(c);
	return NULL;
}

void
mg_waf_ctx_free(struct mg_waf_ctx *c)
{
	if (c == NULL)
		return;
	hs_free_scratch(c->scratch);
	for (unsigned i = 0; i < WAF_DYN_RX; i++) {
		pcre2_code_free(c->dyn[i].code);
		free(c->dyn[i].pat);
	}
	pcre2_match_data_free(c->md);
	pcre2_match_context_free(c->mctx);
	pcre2_jit_stack_free(c->jit);
	free(c->arena);
	free(c->req_arena);
	free(c->tbuf[0]);
	free(c->tbuf[1]);
	free(c->head);
	free(c->body);
	free(c->vals);
	free(c->hits);
	free(c->rule_hits);
	free(c->hit_steps);
	free(c->tscratch);
	free(c->memo);
	free(c->opmemo);
	for (uint32_t i = 0; c->selcache && i < c->rs->n_regexes; i++)
		free(c->selcache[i].idx);
	free(c->selcache);
	waf_store_snap_free(&c->img);
	free(c);
}

size_t
mg_waf_ctx_memory(const struct mg_waf_ctx *c)
{
	return c->memory;
}
