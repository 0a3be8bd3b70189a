/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_WAF_PARSE_H
#define MG_WAF_PARSE_H

/*
 * The SecLang parser's state, shared by the files that read directives
 * (waf_parse.c), rules and actions (waf_parse_rule.c) and link the result
 * (waf_link.c). Load time only.
 */

#include "waf_internal.h"

/* A deferred exception: SecRuleRemoveBy* / SecRuleUpdateTargetBy* */
enum waf_exc_kind {
	WX_REMOVE_ID, WX_REMOVE_TAG, WX_UPDATE_TARGET_ID, WX_UPDATE_TARGET_TAG,
	WX_UPDATE_ACTION_ID,
};
struct waf_exc {
	uint8_t kind;
	uint32_t lo, hi;	/* ids */
	uint32_t tag;		/* string: the tag, or the actions */
	uint32_t var_off;	/* targets to add (update) */
	uint16_t n_vars;
	uint32_t file, line;
};

struct waf_parser {
	struct mg_waf_ruleset *rs;
	char *err;
	size_t errlen;
	const char *file;	/* current file, for errors */
	uint32_t file_str;	/* the same, in the string pool */
	uint32_t line;
	int depth;		/* Include nesting */
	uint32_t chain_parent;	/* the rule waiting for its chained rule */
	uint32_t id_ix_cap;	/* id index: open addressing, rule + 1 */
	uint32_t *id_ix;
	struct waf_exc *excs;
	uint32_t n_excs, cap_excs;
	/* capacities of the ruleset's arrays while loading */
	uint32_t cap_rules, cap_vars, cap_tfns, cap_tags, cap_acts,
		 cap_tmpls, cap_segs, cap_regexes, cap_phrases,
		 cap_phrase_strs, cap_nets, cap_netlists, cap_byte_sets;
	uint8_t default_seen[6];
};

/* Report "FILE:LINE: msg" and return -1. */
int waf_perr(struct waf_parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

int waf_parse_text(struct waf_parser *p, const char *name, const char *text,
		   size_t len);
int waf_parse_file(struct waf_parser *p, const char *path);

/* Directive handlers in waf_parse_rule.c */
int waf_parse_secrule(struct waf_parser *p, const char *vars, const char *op,
		      const char *actions);
int waf_parse_secaction(struct waf_parser *p, const char *actions);
int waf_parse_default_action(struct waf_parser *p, const char *actions);
int waf_parse_marker(struct waf_parser *p, const char *name);
/* Actions of SecRuleUpdateActionById onto rule ri. */
int waf_update_actions(struct waf_parser *p, uint32_t ri, const char *actions);
/* Variables "A|!B:x|&C" appended to rs->vars; off, n: their range */
int waf_parse_vars(struct waf_parser *p, const char *text, uint32_t *off,
		   uint16_t *n);
/* A macro template; returns its index or WAF_NONE (error reported). */
uint32_t waf_parse_tmpl(struct waf_parser *p, const char *text, size_t len);
/* A PCRE2 regex; returns its index or WAF_NONE (error reported). */
uint32_t waf_regex_add(struct waf_parser *p, const char *pat, size_t len,
		       bool caseless);

/* After every file: exceptions, defaults, chains, phases, skipAfter. */
int waf_link(struct waf_parser *p);

#endif /* MG_WAF_PARSE_H */
