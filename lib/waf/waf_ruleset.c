/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Loading a rule set: the files in order (setup, the configuration's
 * paranoia level, pre-directives, the rules directory sorted by name,
 * further files, the configuration's exclusions, post-directives), then
 * linking and the pattern groups.
 */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "waf_hs.h"
#include "waf_parse.h"

/* The rule that sets tx.paranoia_level for mg_waf_conf.paranoia. */
#define MG_WAF_PARANOIA_RULE_ID 4294960001u
#define DEFAULT_BODY_LIMIT (1u << 20)

static int
parse_dir(struct waf_parser *p, const char *dir)
{
	char pat[4096];
	glob_t g;
	int rc = 0, grc;

	snprintf(pat, sizeof(pat), "%s/*.conf", dir);
	grc = glob(pat, 0, NULL, &g);	/* sorted by name */
	if (grc == GLOB_NOMATCH) {
		p->file = dir;
		p->line = 0;
		return waf_perr(p, "no *.conf files in the rules directory");
	}
	if (grc != 0) {
		p->file = dir;
		p->line = 0;
		return waf_perr(p, "cannot list the rules directory");
	}
	for (size_t i = 0; i < g.gl_pathc && rc == 0; i++)
		rc = waf_parse_file(p, g.gl_pathv[i]);
	globfree(&g);
	return rc;
}

/* SecLang for the configuration's exclusions, appended to *buf. */
static int
exclusion_text(const struct mg_waf_conf *conf, char **buf)
{
	size_t cap = 256, len = 0;
	char *b = malloc(cap);

#define APPEND(...) do {						\
	int n_ = snprintf(NULL, 0, __VA_ARGS__);			\
	if (n_ < 0)							\
		goto fail;						\
	if (len + (size_t)n_ + 1 > cap) {				\
		char *nb_;						\
		cap = (len + (size_t)n_ + 1) * 2;			\
		nb_ = realloc(b, cap);					\
		if (nb_ == NULL)					\
			goto fail;					\
		b = nb_;						\
	}								\
	len += (size_t)snprintf(b + len, cap - len, __VA_ARGS__);	\
} while (0)

	if (b == NULL)
		return -1;
	b[0] = '\0';
	for (unsigned i = 0; i < conf->n_remove_ids; i++)
		APPEND("SecRuleRemoveById %u-%u\n", conf->remove_ids[i].first,
		       conf->remove_ids[i].last);
	for (unsigned i = 0; i < conf->n_remove_tags; i++)
		APPEND("SecRuleRemoveByTag \"%s\"\n", conf->remove_tags[i]);
	for (unsigned i = 0; i < conf->n_remove_targets; i++) {
		const struct mg_waf_target_exclusion *x =
			&conf->remove_targets[i];

		if (x->id)
			APPEND("SecRuleUpdateTargetById %u \"!%s\"\n", x->id,
			       x->target);
		else
			APPEND("SecRuleUpdateTargetByTag \"%s\" \"!%s\"\n",
			       x->tag ? x->tag : "", x->target);
	}
#undef APPEND
	*buf = b;
	return 0;
fail:
	free(b);
	return -1;
}

static int
parse_string(struct waf_parser *p, const char *name, const char *text)
{
	return waf_parse_text(p, name, text, strlen(text));
}

static struct mg_waf_ruleset *
load(const struct mg_waf_conf *conf, const char *tname, const char *text,
     char *err, size_t errlen)
{
	static const struct mg_waf_conf none;
	struct mg_waf_ruleset *rs;
	struct waf_parser p;
	uint64_t t0 = waf_now_us(), t1;
	char *excl = NULL;
	bool engine_set;
	int rc = 0;

	if (conf == NULL)
		conf = &none;
	if (err && errlen)
		err[0] = '\0';
	rs = calloc(1, sizeof(*rs));
	if (rs == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memset(&p, 0, sizeof(p));
	p.rs = rs;
	p.err = err;
	p.errlen = errlen;
	p.chain_parent = WAF_NONE;
	waf_str_add(&rs->s, "", 0);	/* offset 0: the empty string */
	rs->engine = 0xff;		/* unset */
	rs->body_access = 1;
	rs->json_by_type = 1;
	/* never NULL, even empty: rules index them with offset 0 */
	if (waf_vec_grow((void **)&rs->tfns, &p.cap_tfns, 1, 1) ||
	    waf_vec_grow((void **)&rs->vars, &p.cap_vars, 1,
			 sizeof(*rs->vars)) ||
	    waf_vec_grow((void **)&rs->tags, &p.cap_tags, 1,
			 sizeof(*rs->tags)) ||
	    waf_vec_grow((void **)&rs->acts, &p.cap_acts, 1,
			 sizeof(*rs->acts)) ||
	    waf_vec_grow((void **)&rs->segs, &p.cap_segs, 1,
			 sizeof(*rs->segs))) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
	}
	if (rc == 0 && conf->setup)
		rc = waf_parse_file(&p, conf->setup);
	for (unsigned i = 0; rc == 0 && i < conf->n_pre_files; i++)
		rc = waf_parse_file(&p, conf->pre_files[i]);
	if (rc == 0 && conf->paranoia) {
		char pl[256];

		if (conf->paranoia > 4) {
			snprintf(err, errlen, "paranoia level %u: expected 1 "
				 "to 4", conf->paranoia);
			rc = -1;
		} else {
			snprintf(pl, sizeof(pl), "SecAction \"id:%u,phase:1,"
				 "pass,nolog,t:none,setvar:tx.paranoia_level="
				 "%u\"", MG_WAF_PARANOIA_RULE_ID,
				 conf->paranoia);
			rc = parse_string(&p, "<configuration: paranoia>", pl);
		}
	}
	if (rc == 0 && conf->pre_directives)
		rc = parse_string(&p, "<configuration: pre_directives>",
				  conf->pre_directives);
	if (rc == 0 && conf->rules_dir)
		rc = parse_dir(&p, conf->rules_dir);
	if (rc == 0 && text)
		rc = parse_string(&p, tname, text);
	for (unsigned i = 0; rc == 0 && i < conf->n_files; i++)
		rc = waf_parse_file(&p, conf->files[i]);
	if (rc == 0 && exclusion_text(conf, &excl) < 0) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
	}
	if (rc == 0)
		rc = parse_string(&p, "<configuration: exclusions>", excl);
	if (rc == 0 && conf->post_directives)
		rc = parse_string(&p, "<configuration: post_directives>",
				  conf->post_directives);
	free(excl);
	if (rc == 0)
		rc = waf_link(&p);

	free(p.id_ix);
	free(p.excs);
	if (rc != 0)
		goto fail;

	engine_set = rs->engine != 0xff;
	if (!engine_set)
		rs->engine = WE_ON;
	switch (conf->mode) {
	case MG_WAF_MODE_DETECT:
		rs->engine = WE_DETECT;
		break;
	case MG_WAF_MODE_BLOCK:
		rs->engine = WE_ON;
		break;
	case MG_WAF_MODE_OFF:
		rs->engine = WE_OFF;
		break;
	default:
		break;
	}
	rs->block_status = conf->block_status;
	if (conf->body_limit)
		rs->body_limit = conf->body_limit;
	else if (rs->body_limit == 0 || rs->body_limit > DEFAULT_BODY_LIMIT)
		rs->body_limit = DEFAULT_BODY_LIMIT;
	rs->stats.regexes = rs->n_regexes;
	t1 = waf_now_us();
	rs->stats.parse_us = t1 - t0;
	waf_hs_byte_tfns(rs->byte_tfns, &rs->tfns_triggered);
	if (!conf->no_scan_sets && waf_hs_form_groups(rs) < 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (waf_hs_build(rs, conf->cache_dir, err, errlen) < 0)
		goto fail;
	rs->stats.compile_us = waf_now_us() - t1;
	if ((!conf->no_fold && waf_fold(rs) < 0) || waf_plan_runs(rs) < 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	rs->stats.total_us = waf_now_us() - t0;
	return rs;
fail:
	if (err && errlen && err[0] == '\0')
		snprintf(err, errlen, "cannot load the rule set");
	mg_waf_ruleset_free(rs);
	return NULL;
}

struct mg_waf_ruleset *
mg_waf_load(const struct mg_waf_conf *conf, char *err, size_t errlen)
{
	return load(conf, NULL, NULL, err, errlen);
}

struct mg_waf_ruleset *
mg_waf_load_text(const char *name, const char *text,
		 const struct mg_waf_conf *conf, char *err, size_t errlen)
{
	return load(conf, name ? name : "<text>", text ? text : "", err,
		    errlen);
}

void
mg_waf_ruleset_free(struct mg_waf_ruleset *rs)
{
	if (rs == NULL)
		return;
	waf_hs_free(rs);
	for (uint32_t i = 0; i < rs->n_regexes; i++)
		pcre2_code_free(rs->regexes[i].code);
	for (int ph = 0; ph < 6; ph++) {
		free(rs->phases[ph].steps);
		free(rs->phases[ph].run_end);
		free(rs->phases[ph].live);
	}
	free(rs->rule_step);
	free(rs->s.buf);
	free(rs->rules);
	free(rs->prologue);
	free(rs->vars);
	free(rs->tfns);
	free(rs->tags);
	free(rs->acts);
	free(rs->tmpls);
	free(rs->segs);
	free(rs->regexes);
	free(rs->phrases);
	free(rs->phrase_strs);
	free(rs->nets);
	free(rs->netlists);
	free(rs->byte_sets);
	free(rs);
}

const struct mg_waf_load_stats *
mg_waf_ruleset_stats(const struct mg_waf_ruleset *rs)
{
	return &rs->stats;
}

const char *
mg_waf_ruleset_warnings(const struct mg_waf_ruleset *rs)
{
	return rs->warnings;
}

uint32_t
mg_waf_body_limit(const struct mg_waf_ruleset *rs)
{
	return rs->body_limit;
}
