/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_WAF_INTERNAL_H
#define MG_WAF_INTERNAL_H

/*
 * The rule model of lib/waf: a loaded rule set is a handful of flat arrays
 * (rules, variables, actions, macro templates) indexing one string pool,
 * so that evaluation follows indices and never allocates.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mg_waf.h"
#include "waf_reqdata.h"

#define WAF_NONE UINT32_MAX

/*
 * Variables. X(name, flags, source)
 *   flags:
 *   C  a collection: takes :selectors, &counting and !exclusions
 *   M  mutable while a phase runs (TX, MATCHED_*...): never pre-scanned
 *   R  exists only in response phases (3-5); empty in phases 1 and 2
 *   source: RQV(x) the request variable MG_WAF_V_x, RQC(x) the request
 *   collection MG_WAF_C_x, 0 computed by the engine
 */
#define WV_C 1u
#define WV_M 2u
#define WV_R 4u
#define RQV(x) (1 + MG_WAF_V_##x)
#define RQC(x) (0x100 + MG_WAF_C_##x)
#define WAF_VARS(X)							\
	X(ARGS, WV_C, RQC(ARGS))					\
	X(ARGS_NAMES, WV_C, RQC(ARGS_NAMES))				\
	X(ARGS_GET, WV_C, RQC(ARGS_GET))				\
	X(ARGS_GET_NAMES, WV_C, RQC(ARGS_GET_NAMES))			\
	X(ARGS_POST, WV_C, RQC(ARGS_POST))				\
	X(ARGS_POST_NAMES, WV_C, RQC(ARGS_POST_NAMES))			\
	X(ARGS_COMBINED_SIZE, 0, RQV(ARGS_COMBINED_SIZE))		\
	X(REQUEST_HEADERS, WV_C, RQC(REQUEST_HEADERS))			\
	X(REQUEST_HEADERS_NAMES, WV_C, RQC(REQUEST_HEADERS_NAMES))	\
	X(REQUEST_COOKIES, WV_C, RQC(REQUEST_COOKIES))			\
	X(REQUEST_COOKIES_NAMES, WV_C, RQC(REQUEST_COOKIES_NAMES))	\
	X(REQUEST_URI, 0, RQV(REQUEST_URI))				\
	X(REQUEST_URI_RAW, 0, RQV(REQUEST_URI_RAW))			\
	X(REQUEST_FILENAME, 0, RQV(REQUEST_FILENAME))			\
	X(REQUEST_BASENAME, 0, RQV(REQUEST_BASENAME))			\
	X(REQUEST_LINE, 0, RQV(REQUEST_LINE))				\
	X(REQUEST_METHOD, 0, RQV(REQUEST_METHOD))			\
	X(REQUEST_PROTOCOL, 0, RQV(REQUEST_PROTOCOL))			\
	X(QUERY_STRING, 0, RQV(QUERY_STRING))				\
	X(REQUEST_BODY, 0, RQV(REQUEST_BODY))				\
	X(REQUEST_BODY_LENGTH, 0, RQV(REQUEST_BODY_LENGTH))		\
	X(FULL_REQUEST_LENGTH, 0, RQV(FULL_REQUEST_LENGTH))		\
	X(FILES, WV_C, RQC(FILES))					\
	X(FILES_NAMES, WV_C, RQC(FILES_NAMES))				\
	X(FILES_SIZES, WV_C, RQC(FILES_SIZES))				\
	X(FILES_COMBINED_SIZE, 0, RQV(FILES_COMBINED_SIZE))		\
	X(MULTIPART_PART_HEADERS, WV_C, RQC(MULTIPART_PART_HEADERS))	\
	X(MULTIPART_FILENAME, 0, RQV(MULTIPART_FILENAME))		\
	X(MULTIPART_NAME, 0, RQV(MULTIPART_NAME))			\
	X(MULTIPART_BOUNDARY_QUOTED, 0, RQV(MULTIPART_BOUNDARY_QUOTED))	\
	X(MULTIPART_BOUNDARY_WHITESPACE, 0,				\
	  RQV(MULTIPART_BOUNDARY_WHITESPACE))				\
	X(MULTIPART_DATA_AFTER, 0, RQV(MULTIPART_DATA_AFTER))		\
	X(MULTIPART_DATA_BEFORE, 0, RQV(MULTIPART_DATA_BEFORE))		\
	X(MULTIPART_FILE_LIMIT_EXCEEDED, 0,				\
	  RQV(MULTIPART_FILE_LIMIT_EXCEEDED))				\
	X(MULTIPART_HEADER_FOLDING, 0, RQV(MULTIPART_HEADER_FOLDING))	\
	X(MULTIPART_INVALID_HEADER_FOLDING, 0,				\
	  RQV(MULTIPART_INVALID_HEADER_FOLDING))			\
	X(MULTIPART_INVALID_PART, 0, RQV(MULTIPART_INVALID_PART))	\
	X(MULTIPART_INVALID_QUOTING, 0, RQV(MULTIPART_INVALID_QUOTING))	\
	X(MULTIPART_LF_LINE, 0, RQV(MULTIPART_LF_LINE))			\
	X(MULTIPART_CRLF_LF_LINES, 0, RQV(MULTIPART_CRLF_LF_LINES))	\
	X(MULTIPART_MISSING_SEMICOLON, 0,				\
	  RQV(MULTIPART_MISSING_SEMICOLON))				\
	X(MULTIPART_STRICT_ERROR, 0, RQV(MULTIPART_STRICT_ERROR))	\
	X(MULTIPART_UNMATCHED_BOUNDARY, 0,				\
	  RQV(MULTIPART_UNMATCHED_BOUNDARY))				\
	X(REQBODY_PROCESSOR, WV_M, 0)					\
	X(REQBODY_ERROR, 0, RQV(REQBODY_ERROR))				\
	X(REQBODY_ERROR_MSG, 0, RQV(REQBODY_ERROR_MSG))			\
	X(REQBODY_PROCESSOR_ERROR, 0, RQV(REQBODY_PROCESSOR_ERROR))	\
	X(REQBODY_PROCESSOR_ERROR_MSG, 0,				\
	  RQV(REQBODY_PROCESSOR_ERROR_MSG))				\
	X(INBOUND_DATA_ERROR, 0, RQV(INBOUND_DATA_ERROR))		\
	X(URLENCODED_ERROR, 0, RQV(URLENCODED_ERROR))			\
	X(XML, WV_C, 0)							\
	X(TX, WV_C | WV_M, 0)						\
	X(IP, WV_C | WV_M, 0)						\
	X(GLOBAL, WV_C | WV_M, 0)					\
	X(SESSION, WV_C | WV_M, 0)					\
	X(USER, WV_C | WV_M, 0)						\
	X(RESOURCE, WV_C | WV_M, 0)					\
	X(GEO, WV_C | WV_M, 0)						\
	X(MATCHED_VAR, WV_M, 0)						\
	X(MATCHED_VAR_NAME, WV_M, 0)					\
	X(MATCHED_VARS, WV_C | WV_M, 0)					\
	X(MATCHED_VARS_NAMES, WV_C | WV_M, 0)				\
	X(REMOTE_ADDR, 0, 0)						\
	X(REMOTE_PORT, 0, 0)						\
	X(SERVER_ADDR, 0, 0)						\
	X(SERVER_PORT, 0, 0)						\
	X(UNIQUE_ID, 0, 0)						\
	X(DURATION, WV_M, 0)						\
	X(HIGHEST_SEVERITY, WV_M, 0)					\
	X(RESPONSE_BODY, WV_R, 0)					\
	X(RESPONSE_STATUS, WV_R, 0)					\
	X(RESPONSE_PROTOCOL, WV_R, 0)					\
	X(RESPONSE_HEADERS, WV_C | WV_R, 0)				\
	X(RESPONSE_HEADERS_NAMES, WV_C | WV_R, 0)			\
	X(RESPONSE_CONTENT_TYPE, WV_R, 0)				\
	X(RESPONSE_CONTENT_LENGTH, WV_R, 0)

enum waf_var_id {
#define WAF_VAR_ENUM_(n, f, src) WV_##n,
	WAF_VARS(WAF_VAR_ENUM_)
#undef WAF_VAR_ENUM_
	WV_MAX,
	WV_RULE = WV_MAX,	/* %{rule.id}, only in macros */
};

extern const char *const waf_var_names[WV_MAX];
extern const uint8_t waf_var_name_len[WV_MAX];
extern const uint8_t waf_var_flags[WV_MAX];
extern const uint16_t waf_var_source[WV_MAX];
int waf_var_lookup(const char *name, size_t len);

/* A persistent-style collection a setvar writes: TX, IP, GLOBAL... */
static inline bool
waf_var_is_store(unsigned v)
{
	return v == WV_TX || v == WV_IP || v == WV_GLOBAL || v == WV_SESSION ||
	       v == WV_USER || v == WV_RESOURCE;
}

/* waf_var.flags */
#define WVF_COUNT	0x01	/* &VAR: the number of values */
#define WVF_EXCLUDE	0x02	/* !VAR:key */
#define WVF_KEY		0x04	/* :key, compared without case */
#define WVF_REGEX	0x08	/* :/regex/ on the key */

struct waf_var {
	uint8_t id;		/* enum waf_var_id */
	uint8_t flags;
	uint16_t regex;		/* WVF_REGEX: index into rs->regexes */
	uint32_t key;		/* string: selector (WVF_KEY: lowercase) */
	uint16_t key_len;
	uint16_t pad;
	uint32_t hash;		/* WVF_KEY: waf_key_hash(id, key) */
};

/*
 * Operators. X(id, name, arg)  arg: 0 none, 1 required, 2 optional
 */
#define WAF_OPS(X)							\
	X(RX, "rx", 1)							\
	X(PM, "pm", 1)							\
	X(PM_FROM_FILE, "pmFromFile", 1)				\
	X(CONTAINS, "contains", 1)					\
	X(CONTAINS_WORD, "containsWord", 1)				\
	X(BEGINS_WITH, "beginsWith", 1)					\
	X(ENDS_WITH, "endsWith", 1)					\
	X(STREQ, "streq", 1)						\
	X(WITHIN, "within", 1)						\
	X(EQ, "eq", 1)							\
	X(GE, "ge", 1)							\
	X(GT, "gt", 1)							\
	X(LE, "le", 1)							\
	X(LT, "lt", 1)							\
	X(VALIDATE_BYTE_RANGE, "validateByteRange", 1)			\
	X(VALIDATE_URL_ENCODING, "validateUrlEncoding", 0)		\
	X(VALIDATE_UTF8_ENCODING, "validateUtf8Encoding", 0)		\
	X(IP_MATCH, "ipMatch", 1)					\
	X(UNCONDITIONAL_MATCH, "unconditionalMatch", 0)			\
	X(NO_MATCH, "noMatch", 0)					\
	X(DETECT_SQLI, "detectSQLi", 0)					\
	X(DETECT_XSS, "detectXSS", 0)					\
	X(GEO_LOOKUP, "geoLookup", 0)					\
	X(RBL, "rbl", 1)

enum waf_op_id {
#define WAF_OP_ENUM_(id, n, a) WOP_##id,
	WAF_OPS(WAF_OP_ENUM_)
#undef WAF_OP_ENUM_
	WOP_MAX
};

extern const char *const waf_op_names[WOP_MAX];

/*
 * Operators whose result depends on the value's bytes alone and costs
 * more than a scan memo look-up: the scan runs them on each value beside
 * Hyperscan, so that their rules are visited only where they matched.
 */
static inline bool
waf_op_scannable(uint8_t op)
{
	return op == WOP_VALIDATE_BYTE_RANGE ||
	       op == WOP_VALIDATE_URL_ENCODING ||
	       op == WOP_VALIDATE_UTF8_ENCODING || op == WOP_DETECT_SQLI ||
	       op == WOP_DETECT_XSS;
}

/* Disruptive actions, in waf_rule.disruptive */
enum waf_disruptive {
	WD_NONE = 0,	/* none given: the phase's default applies */
	WD_PASS,
	WD_BLOCK,	/* whatever SecDefaultAction says */
	WD_DENY,
	WD_DROP,
	WD_ALLOW,	/* allow: the rest of the transaction */
	WD_ALLOW_PHASE,
	WD_ALLOW_REQUEST,
	WD_REDIRECT,	/* redirect:URL */
};

/* Runtime actions, run in rule order: X(id, name) */
#define WAF_ACTS(X)							\
	X(SETVAR_SET, "setvar")						\
	X(SETVAR_ADD, "setvar+")					\
	X(SETVAR_SUB, "setvar-")					\
	X(SETVAR_DEL, "setvar!")					\
	X(INITCOL, "initcol")						\
	X(CTL_RULE_ENGINE, "ruleEngine")				\
	X(CTL_REMOVE_ID, "ruleRemoveById")				\
	X(CTL_REMOVE_TAG, "ruleRemoveByTag")				\
	X(CTL_REMOVE_TARGET_ID, "ruleRemoveTargetById")			\
	X(CTL_REMOVE_TARGET_TAG, "ruleRemoveTargetByTag")		\
	X(CTL_BODY_PROCESSOR, "requestBodyProcessor")			\
	X(CTL_BODY_ACCESS, "requestBodyAccess")				\
	X(CTL_FORCE_BODY_VAR, "forceRequestBodyVariable")		\
	X(CTL_AUDIT_ENGINE, "auditEngine")				\
	X(CTL_AUDIT_PARTS, "auditLogParts")

enum waf_act_id {
#define WAF_ACT_ENUM_(id, n) WA_##id,
	WAF_ACTS(WAF_ACT_ENUM_)
#undef WAF_ACT_ENUM_
	WA_MAX
};

/* Values of ctl:ruleEngine and SecRuleEngine */
enum waf_engine { WE_OFF = 0, WE_DETECT, WE_ON };



struct waf_act {
	uint8_t kind;		/* enum waf_act_id */
	uint8_t coll;		/* setvar/initcol: the collection */
	uint16_t pad;
	uint32_t key;		/* setvar: template of the name; ctl: tag */
	uint32_t val;		/* setvar: template of the value;
				 * ctl:ruleRemoveTarget*: index of the target
				 * in rs->vars */
	uint32_t lo, hi;	/* ctl:ruleRemoveById range, ctl numeric value */
};

/*
 * A macro template: a run of segments, each a literal or a variable
 * reference (%{tx.foo}, %{MATCHED_VAR}, %{rule.id}).
 */
struct waf_seg {
	uint8_t var;		/* enum waf_var_id, or WAF_SEG_LIT */
	uint8_t pad[3];
	uint32_t str;		/* literal text, or the key (lowercase) */
	uint32_t len;		/* length of either */
	uint32_t hash;		/* key: waf_key_hash(var, key) */
};
#define WAF_SEG_LIT 0xff

struct waf_tmpl {
	uint32_t seg_off;
	uint16_t n_segs;
	uint16_t literal;	/* 1: one literal segment (or none) */
};

/* waf_rule.flags */
#define WRF_NEGATED	0x0001
#define WRF_CHAIN	0x0002	/* "chain": a rule follows in the chain */
#define WRF_CHILD	0x0004	/* a chained rule, not a chain head */
#define WRF_CAPTURE	0x0008
#define WRF_MULTIMATCH	0x0010
#define WRF_LOG		0x0020
#define WRF_NOLOG	0x0040
#define WRF_AUDITLOG	0x0080
#define WRF_NOAUDITLOG	0x0100
#define WRF_ACTION	0x0200	/* SecAction: no variables, no operator */
#define WRF_MARKER	0x0400	/* SecMarker */
#define WRF_REMOVED	0x0800	/* SecRuleRemoveBy*: never evaluated */
#define WRF_T_SET	0x1000	/* the rule has its own t: (or t:none) */
#define WRF_RX_MACRO	0x2000	/* @rx "%{tx.x}": compiled when expanded */

struct waf_rule {
	uint32_t id;		/* 0 for chained rules and markers */
	uint32_t file;		/* string: path */
	uint32_t line;
	uint16_t flags;
	uint8_t phase;		/* 1..5 */
	uint8_t op;		/* enum waf_op_id */
	uint8_t disruptive;	/* enum waf_disruptive */
	uint8_t severity;	/* 0..7, 255 none */
	uint16_t status;	/* status:, 0 none */
	uint32_t var_off;	/* rs->vars[var_off .. + n_vars) */
	uint16_t n_vars;
	uint8_t n_tfns;
	uint8_t tier;		/* scan set tier (0 based) */
	uint32_t tfn_off;	/* rs->tfns[tfn_off .. + n_tfns) */
	uint32_t op_arg;	/* template of the operator argument */
	uint32_t op_data;	/* regex / phrase set / byte set / ip list */
	uint32_t msg;		/* template, WAF_NONE */
	uint32_t logdata;	/* template, WAF_NONE */
	uint32_t redirect;	/* redirect: template of the URL */
	uint32_t tag_off;	/* rs->tags[tag_off .. + n_tags): strings */
	uint16_t n_tags;
	uint16_t n_acts;
	uint32_t act_off;	/* rs->acts */
	uint32_t ver;		/* string */
	uint32_t marker;	/* SecMarker name / skipAfter target: string */
	uint32_t skip;		/* skip:N */
	uint32_t next;		/* chain: the next rule, WAF_NONE */
	uint32_t head;		/* chain head (itself for heads) */
	uint32_t group;		/* grouped: its (first) chain in its
				 * phase's scan set; WAF_NONE when the rule
				 * is evaluated on its own */
	uint64_t chains;	/* grouped: every chain it reads through
				 * (multiMatch: each prefix of its t:) */
	uint32_t jump;		/* skipAfter: step index to resume at */
	uint8_t fold;		/* WAF_FOLD_*: decided at load (waf_fold.c) */
	uint32_t fold_next;	/* folded: the step that follows it */
	uint64_t excl_vars;	/* bit (id & 63) of each !VAR among its
				 * variables: other values skip the look */
};

/* waf_rule.fold */
#define WAF_FOLD_NONE		0	/* evaluated per request */
#define WAF_FOLD_FALSE		1	/* never matches */
#define WAF_FOLD_TRUE		2	/* always matches: go to fold_next */
#define WAF_FOLD_HOISTED	4	/* its setvars are in the TX image */

/* A compiled regular expression (PCRE2, JIT) */
struct waf_regex {
	void *code;		/* pcre2_code * */
	uint32_t pattern;	/* string */
	uint32_t hs_why;	/* string: why Hyperscan did not take it */
	uint16_t capture_count;
	uint8_t hs_mode;	/* enum waf_hs_mode */
	uint8_t grouped;	/* its rule is in a group */
	/* a selector that is a word ("^header_name_", "__utm"): matched
	 * without PCRE2, the same way (caseless, ^ after any newline) */
	uint8_t lit_kind;	/* enum waf_lit_kind */
	uint16_t lit_len;
	uint32_t lit;		/* string, lowercase */
	uint64_t lit_head;	/* waf_key_head() of the word */
	/* "^.*$" and the like: with DOTALL, every value matches whole
	 * (920450 captures each header name so) */
	bool match_all;
};

enum waf_lit_kind {
	WLK_NONE = 0,		/* PCRE2 decides */
	WLK_CONTAINS,		/* the word anywhere in the key */
	WLK_LINE_START,		/* ^word: at the start or after a newline */
};

/* How a pattern of a group is matched */
enum waf_hs_mode {
	WHM_EXACT = 0,		/* Hyperscan decides; PCRE2 only captures */
	WHM_PREFILTER,		/* Hyperscan prefilters, PCRE2 confirms */
	WHM_PCRE_ONLY,		/* Hyperscan cannot take it: PCRE2 alone */
};

/* @pm / @pmFromFile phrases */
struct waf_phrases {
	uint32_t str_off;	/* rs->phrase_strs[str_off .. + n) */
	uint32_t n;
	void *db;		/* hs_database_t * for rules matched alone */
};

/* @ipMatch networks (IPv4 mapped into IPv6) */
struct waf_net {
	uint8_t addr[16];	/* IPv4 as ::ffff:a.b.c.d */
	uint8_t prefix;
	bool v6;		/* written as IPv6: matches IPv6 values only,
				 * as IPv4 matches IPv4 (ModSecurity keeps a
				 * tree each) */
};
struct waf_netlist {
	uint32_t off, n;
};

/* A phase is a list of steps: chain heads and markers, in file order. */
struct waf_phase {
	uint32_t *steps;	/* rule indices */
	uint32_t n_steps;
	/* for a grouped chain head: the end of the run of grouped heads of
	 * its tier it starts (the first step that is not one), so that the
	 * heads without a hit are passed over at once (waf_fold.c) */
	uint32_t *run_end;
	/* the first step at or after each that a request must look at:
	 * markers and folded rules followed (with no ctl:ruleRemove*) */
	uint32_t *live;
};

/*
 * The scan set of a phase. Every grouped rule (see waf_hs.c) adds its
 * transformation chain to the phase's trie of chains, whose root is the
 * raw value, and its patterns to the database of each variable it reads
 * (a target: REQUEST_HEADERS, REQUEST_HEADERS:User-Agent, ARGS...). Each
 * value is transformed along the trie (a step whose trigger bytes are
 * absent is skipped: its output is its input) and each distinct output is
 * scanned once with the database of each target the value belongs to; a
 * match counts for a rule only when its chain produced that output.
 */
#define WAF_MAX_CHAINS 64
#define WAF_MAX_NODES 256
/*
 * Tiers: CRS tags each rule paranoia-level/N, and a request at level 1
 * skips the rules of levels 2 to 4. Each tier has databases of its own,
 * scanned when a rule of the tier is first reached, so the patterns of
 * skipped rules cost nothing. A rule without the tag is in tier 1; a wrong
 * tag costs time, never a verdict.
 */
#define WAF_TIERS 4

struct waf_tnode {
	uint16_t parent;	/* node 0 is the root (the raw value) */
	uint8_t tfn;		/* transformation from the parent */
	uint8_t chain;		/* the chain that ends here + 1, or 0 */
	uint16_t end;		/* nodes are depth first: past the subtree */
	uint64_t below;		/* chains ending at or under this node */
	uint64_t tfns_under;	/* transformations on the edges from the
				 * parent down through the subtree (a bit
				 * each) */
};

struct waf_target {
	struct waf_var var;	/* the variable and its selector */
	uint8_t tier;
	uint64_t chains;	/* the chains its rules read it through */
	void *db;		/* hs_database_t *, NULL when no pattern */
	/* a large target's light chains (each reads very few of its
	 * patterns) and a database of their patterns alone: an output only
	 * they read (a value's base64Decode) is scanned with it */
	uint64_t light;
	void *light_db;
	uint32_t n_pats;
	uint32_t *pat_rule;	/* pattern id -> rule index */
	uint32_t *pat_phrase;	/* pattern id -> phrase index (pm), or 0 */
	/* rules whose operator the scan runs on the value itself
	 * (waf_op_scannable); their matches are ids n_pats + i */
	uint32_t n_ops;
	uint32_t *op_rule;
};

/* The rule of match id of target t: a pattern's, or an operator's */
static inline uint32_t
waf_target_rule(const struct waf_target *t, uint32_t id)
{
	return id < t->n_pats ? t->pat_rule[id] : t->op_rule[id - t->n_pats];
}

struct waf_scanset {
	struct waf_target *targets;
	uint32_t n_targets;
	struct waf_tnode nodes[WAF_MAX_NODES];
	uint16_t n_nodes;
	uint8_t n_chains;
	uint32_t chain_tfn_off[WAF_MAX_CHAINS];
	uint8_t chain_n_tfns[WAF_MAX_CHAINS];
	uint64_t var_chains[WV_MAX];	/* chains some rule uses on a var */
	uint8_t var_all[WV_MAX];	/* a rule takes the whole collection */
	/* the variables some live target reads, by id (waf_scan_vars) */
	uint8_t read_vars[WV_MAX];
	uint8_t n_read_vars;
	/* the targets of each tier and variable: tix[by_var[t][v] ..] */
	uint32_t by_var[WAF_TIERS][WV_MAX];
	uint8_t n_by_var[WAF_TIERS][WV_MAX];
	uint16_t *tix;
};

struct waf_strings {
	char *buf;
	uint32_t len, cap;
};

/* A growable array: elements of size sz */
struct waf_vec {
	void *p;
	uint32_t n, cap;
};

struct mg_waf_ruleset {
	struct waf_strings s;
	struct waf_rule *rules;
	uint32_t n_rules;
	struct waf_var *vars;
	uint32_t n_vars;
	uint8_t *tfns;
	uint32_t n_tfns;
	uint32_t *tags;
	uint32_t n_tags;
	struct waf_act *acts;
	uint32_t n_acts;
	struct waf_tmpl *tmpls;
	uint32_t n_tmpls;
	struct waf_seg *segs;
	uint32_t n_segs;
	struct waf_regex *regexes;
	uint32_t n_regexes;
	struct waf_phrases *phrases;
	uint32_t n_phrases;
	uint32_t *phrase_strs;	/* strings */
	uint32_t n_phrase_strs;
	struct waf_net *nets;
	uint32_t n_nets;
	struct waf_netlist *netlists;
	uint32_t n_netlists;
	uint8_t (*byte_sets)[32];	/* @validateByteRange: allowed bytes */
	uint32_t n_byte_sets;

	struct waf_phase phases[6];	/* [1..5] */
	uint32_t *prologue;		/* hoisted chain heads, in order */
	uint32_t *rule_step;		/* chain head -> its step, else NONE */
	bool body_read;			/* a phase-2 rule reads what a body
					 * gives (waf_plan_runs) */
	uint32_t max_steps;		/* of phases 1 and 2 */
	uint32_t n_prologue, prologue_cap;
	struct waf_scanset scan[3];	/* [1..2] */
	/* per byte value: the transformations it is a trigger byte of, in
	 * whose absence they leave a value as it is (a bit each); the
	 * transformations that have trigger bytes */
	uint64_t byte_tfns[256];
	uint64_t tfns_triggered;
	void *scratch;			/* hs_scratch_t * prototype */
	uint32_t max_captures;

	/* SecDefaultAction per phase */
	uint8_t default_disruptive[6];
	uint16_t default_status[6];
	uint8_t default_log[6];		/* 1 log, 0 nolog */
	uint8_t default_tfns[6][8];
	uint8_t n_default_tfns[6];
	uint32_t default_redirect[6];	/* template */
	uint32_t default_tag_off[6];	/* tags every rule of the phase has */
	uint16_t n_default_tags[6];

	/* engine settings (Sec* directives, then the configuration) */
	uint8_t engine;			/* enum waf_engine */
	uint8_t body_access;
	uint8_t body_limit_reject;	/* SecRequestBodyLimitAction Reject */
	uint8_t json_by_type;		/* JSON processor for application/json */
	uint32_t body_limit;
	uint32_t arg_limit;		/* SecArgumentsLimit */
	uint32_t pcre_match_limit;	/* SecPcreMatchLimit, 0 default */
	uint16_t block_status;		/* deny's when no rule names one, 0 */
	uint32_t collection_timeout;
	char component[128];		/* SecComponentSignature, for the log */

	/* load statistics */
	struct mg_waf_load_stats stats;
	char cache_key[65];

	/* warnings (load succeeded; something will never match) */
	char warnings[2048];
	uint32_t warnings_len;
	uint32_t warned;	/* enum waf_warn_once: said already */
};

/* The string pool: offset 0 is "" */
uint32_t waf_str_add(struct waf_strings *s, const char *p, size_t len);
static inline const char *
waf_str(const struct mg_waf_ruleset *rs, uint32_t off)
{
	return rs->s.buf + off;
}

/* Growable arrays used while loading (never on the data path) */
int waf_vec_grow(void **p, uint32_t *cap, uint32_t need, size_t elem);
#define WAF_PUSH(rs, arr, ncount, capv)					\
	(waf_vec_grow((void **)&(rs)->arr, &(capv), (rs)->ncount + 1,	\
		      sizeof(*(rs)->arr)) == 0 ?			\
	 &(rs)->arr[(rs)->ncount++] : NULL)

/* Lowercase ASCII, leave other bytes alone */
static inline uint8_t
waf_lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}
bool waf_ieq(const void *a, size_t alen, const void *b, size_t blen);

/* A key's first 8 bytes, lowercase, zero-padded: TX:/^word/ compares
 * them with the word's at once, before the rest. */
static inline uint64_t
waf_key_head(const uint8_t *k, uint32_t len)
{
	uint64_t x = 0, hept, upper;

	if (len >= 8)
		memcpy(&x, k, 8);
	else
		for (uint32_t i = 0; i < len; i++)
			x |= (uint64_t)k[i] << (8 * i);
	/* eight bytes lowercased at once: an ASCII byte at 'A'..'Z' gets
	 * 0x20; adding to the low seven bits cannot carry into the next */
	hept = x & 0x7f7f7f7f7f7f7f7full;
	upper = (hept + 0x3f3f3f3f3f3f3f3full) &	/* >= 'A' */
		~(hept + 0x2525252525252525ull) &	/* <= 'Z' */
		~x & 0x8080808080808080ull;		/* ASCII */
	return x | (upper >> 2);
}

/* A hash 8 bytes a step: keys and values cost a few cycles, not several
 * a byte (setvar hashes its key, the memos whole values). */
static inline uint64_t
waf_hash64(uint64_t h, const uint8_t *p, uint32_t n)
{
	const uint64_t k = 0x9e3779b97f4a7c15ull;
	uint64_t x;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&x, p, 8);
		h = (h ^ x) * k;
		h ^= h >> 29;
	}
	/* the last 1-7 bytes in at most two loads: 4-7 as two words that
	 * overlap, 1-3 as the first, middle and last byte; with n, either
	 * gives the bytes back */
	x = (uint64_t)n << 56;
	if (n >= 4) {
		uint32_t a, b;

		memcpy(&a, p, 4);
		memcpy(&b, p + n - 4, 4);
		x ^= a | (uint64_t)b << 32;
	} else if (n > 0) {
		x |= p[0] | (uint64_t)p[n / 2] << 8 | (uint64_t)p[n - 1] << 16;
	}
	h = (h ^ x) * k;
	return h ^ (h >> 32);
}

/* The hash of a collection key (lowercase) in TX, IP, ... */
static inline uint32_t
waf_key_hash(uint8_t coll, const uint8_t *key, uint32_t len)
{
	return (uint32_t)waf_hash64(coll, key, len);
}

/* Rule r has tag tag (exact, as ModSecurity v3 compares) */
bool waf_rule_has_tag(const struct mg_waf_ruleset *rs,
		      const struct waf_rule *r, uint32_t tag);
/* "900100" or "900000-900999" at s; *end after it. -1: not one. */
int waf_id_range(const char *s, const char **end, uint32_t *lo, uint32_t *hi);
/* v in decimal into out (room for 21 bytes), NUL-terminated; returns the
 * length. snprintf costs more than the rest of a setvar. */
uint32_t waf_fmt_int(char *out, long long v);
/* Microseconds of CLOCK_MONOTONIC */
uint64_t waf_now_us(void);

/* Notes said once per load, however many rules call for them */
enum waf_warn_once {
	WWO_INITCOL = 1u << 0,		/* initcol, expirevar */
	WWO_AUDIT_CTL = 1u << 1,	/* ctl:auditEngine, ctl:auditLogParts */
};
void waf_warn(struct mg_waf_ruleset *rs, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* List the variables the targets of ss read (waf_hs.c), once they are
 * indexed and again when some leave */
void waf_scan_vars(struct waf_scanset *ss);

/* Fold the rules no request can change (waf_fold.c), at load */
int waf_fold(struct mg_waf_ruleset *rs);
/* The runs of grouped rules run_phase may pass over (after folding) */
int waf_plan_runs(struct mg_waf_ruleset *rs);

#endif /* MG_WAF_INTERNAL_H */
