/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_WAF_H
#define MG_WAF_H

/*
 * The web application firewall: ModSecurity rule language (SecLang) as the
 * OWASP Core Rule Set 3.3 writes it, on Hyperscan.
 *
 * Loading (main lcore, allocates, may take a second or two cold): the
 * SecLang files are parsed into a compact rule model; every @rx, @pm and
 * @pmFromFile pattern of phases 1 and 2 whose targets are request data is
 * put in a Hyperscan database shared by the rules with the same phase,
 * targets and transformations; the databases are serialized to a cache
 * directory under a hash of what they were built from. Anything the loader
 * does not support is refused with "FILE:LINE: reason".
 *
 * Evaluating (any lcore, one mg_waf_ctx per lcore, no allocation): each
 * group is scanned once per transformed value, the first time a rule of
 * the group is reached; rule logic (chains, setvar, ctl, skipAfter,
 * captures, anomaly scores) runs in file order, and a pattern rule costs
 * nothing unless its database reported it. Phases 1 (request head) and 2
 * (request body) are evaluated; rules of phases 3 to 5 are loaded and
 * counted but never run, since the WAF sees no response.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mg_waf_ruleset;
struct mg_waf_ctx;

enum mg_waf_mode {
	MG_WAF_MODE_RULES = 0,	/* as SecRuleEngine says (On if unset) */
	MG_WAF_MODE_DETECT,	/* DetectionOnly: match and log, never block */
	MG_WAF_MODE_BLOCK,	/* On */
	MG_WAF_MODE_OFF,
};

/* One exclusion of a target from rules, by id or by tag. */
struct mg_waf_target_exclusion {
	uint32_t id;		/* rule id, or 0 to use tag */
	const char *tag;
	const char *target;	/* "ARGS:password", "REQUEST_COOKIES:/^sess/" */
};

/* Rule ids first..last (first == last: one) */
struct mg_waf_id_range {
	uint32_t first, last;
};

struct mg_waf_conf {
	const char *setup;		/* crs-setup.conf, or NULL */
	const char *const *pre_files;	/* after setup, before the rules */
	unsigned n_pre_files;
	const char *rules_dir;		/* every *.conf in it, by name; or NULL */
	const char *const *files;	/* more SecLang files, after rules_dir */
	unsigned n_files;
	/* SecLang text: pre after setup (before the rules), post at the end */
	const char *pre_directives;
	const char *post_directives;
	uint8_t paranoia;		/* 1..4: a SecAction (id 4294960001)
					 * before the rules sets
					 * tx.paranoia_level; 0: the files
					 * decide */
	uint8_t mode;			/* enum mg_waf_mode */
	uint16_t block_status;		/* status of a deny whose rule (or
					 * SecDefaultAction) names none; 0:
					 * 403 */
	const struct mg_waf_id_range *remove_ids;	/* SecRuleRemoveById */
	unsigned n_remove_ids;
	const char *const *remove_tags;	/* SecRuleRemoveByTag */
	unsigned n_remove_tags;
	const struct mg_waf_target_exclusion *remove_targets;
	unsigned n_remove_targets;
	const char *cache_dir;		/* NULL: compile every time */
	uint32_t body_limit;		/* bytes of body inspected; 0: the
					 * SecRequestBodyLimit of the rules,
					 * at most 1 MiB */
	uint32_t arena_size;		/* per ctx; 0: 1 MiB */
	uint32_t max_value;		/* longest value inspected; 0: the
					 * body limit */
	bool no_scan_sets;		/* every rule on its own, PCRE2 only:
					 * the reference the tests compare
					 * the Hyperscan path with */
	bool no_fold;			/* evaluate every rule on every
					 * request, even those whose outcome
					 * is decided at load (waf_fold.c) */
	bool no_scan_memo;		/* no memo of scans and operator
					 * results: every value is scanned
					 * and tested, even one an earlier
					 * request had (mg_waf_ctx_create) */
};

struct mg_waf_load_stats {
	uint32_t files;
	uint32_t directives;
	uint32_t rules;			/* SecRule + SecAction, chain heads */
	uint32_t chained;		/* rules inside chains */
	uint32_t markers;
	uint32_t removed;		/* by SecRuleRemoveBy* */
	uint32_t response_rules;	/* phases 3-5: loaded, never run */
	uint32_t patterns;		/* @rx + @pm phrases in groups */
	uint32_t scan_ops;		/* rules whose operator the scan runs
					 * (@detectSQLi, @validateByteRange...) */
	uint32_t groups;		/* Hyperscan databases */
	uint32_t light_groups;		/* ... and light chains' beside them */
	uint32_t hs_exact, hs_prefilter, pcre_only;
	uint32_t regexes;
	uint32_t folded;		/* chain heads decided at load */
	uint32_t hoisted;		/* ... of which run into the TX image */
	uint32_t unread;		/* ... of which only set what no rule
					 * reads */
	uint32_t dead_targets;		/* scan targets no reachable rule reads */
	uint64_t db_bytes;		/* serialized size of all databases */
	uint64_t parse_us, compile_us, total_us;
	bool from_cache;
};

/* Load errors: a message "FILE:LINE: what is wrong" in err[errlen]. */
#define MG_WAF_ERRLEN 512

/*
 * Load a rule set. Returns NULL with err filled in on failure (bad rule
 * text, an unsupported directive/variable/operator/action/transformation,
 * a pattern neither Hyperscan nor PCRE2 compiles, out of memory).
 */
struct mg_waf_ruleset *mg_waf_load(const struct mg_waf_conf *conf,
				   char *err, size_t errlen);
/* Parse SecLang text as if it were a file named name (tests, fuzzing). */
struct mg_waf_ruleset *mg_waf_load_text(const char *name, const char *text,
					const struct mg_waf_conf *conf,
					char *err, size_t errlen);
void mg_waf_ruleset_free(struct mg_waf_ruleset *rs);
const struct mg_waf_load_stats *
mg_waf_ruleset_stats(const struct mg_waf_ruleset *rs);
/* Notes of the load ("FILE:LINE: @rbl never matches: ..."), "" if none. */
const char *mg_waf_ruleset_warnings(const struct mg_waf_ruleset *rs);

/*
 * Per-lcore context: Hyperscan scratch cloned from the rule set's
 * prototype, PCRE2 match data and JIT stack, and an arena for one
 * request. Allocated here (main lcore), used by one lcore only.
 * It also remembers what the scan of a short value found (its pattern
 * matches, usually none), keyed by the whole value, its name and where
 * it was read, so that a value seen again (a Host, an Accept header, a
 * cookie name) is not transformed and scanned again: the same bytes give
 * the same matches, and the verdict is the one a scan would give. The
 * same for the result of a costly operator of a rule on a short value.
 */
struct mg_waf_ctx *mg_waf_ctx_create(const struct mg_waf_ruleset *rs,
				     const struct mg_waf_conf *conf);
void mg_waf_ctx_free(struct mg_waf_ctx *ctx);
/* Bytes this context holds (arena, buffers, scratch). */
size_t mg_waf_ctx_memory(const struct mg_waf_ctx *ctx);

/* Counters of a context: X(name, description) */
#define MG_WAF_COUNTERS(X)						\
	X(REQUESTS, "requests evaluated")				\
	X(BAD_REQUEST, "request head the WAF could not read")		\
	X(MATCHED, "requests that matched a logged rule")		\
	X(BLOCKED, "requests denied")					\
	X(ARENA_FULL, "values dropped for a full arena")		\
	X(VALUE_TRUNCATED, "values cut at the inspection limit")	\
	X(BODY_TRUNCATED, "bodies cut at the body limit")		\
	X(HS_ERROR, "Hyperscan scan errors")				\
	X(PCRE_ERROR, "PCRE2 match errors (limits)")			\
	X(MATCHES_DROPPED, "matches not recorded (result full)")	\
	X(TX_FULL, "setvar dropped for a full collection")		\
	X(DYN_REGEX, "@rx with a macro compiled (first use, change)")	\
	X(DYN_REGEX_ERROR, "@rx with a macro that did not compile")	\
	X(SCAN_MEMO_HIT, "values whose scan an earlier request gave")	\
	X(SCAN_MEMO_MISS, "values scanned and remembered")		\
	X(OP_MEMO_HIT, "operator results an earlier value gave")	\
	X(OP_MEMO_MISS, "operator results the memo did not have")

enum mg_waf_counter {
#define MG_WAF_CNT_ENUM_(n, d) MG_WAF_C_##n,
	MG_WAF_COUNTERS(MG_WAF_CNT_ENUM_)
#undef MG_WAF_CNT_ENUM_
	MG_WAF_C_MAX
};
const char *mg_waf_counter_name(unsigned c);
uint64_t mg_waf_counter(const struct mg_waf_ctx *ctx, unsigned c);

enum mg_waf_verdict {
	MG_WAF_PASS = 0,
	MG_WAF_DENY,		/* answer with status, do not forward */
	MG_WAF_DROP,		/* close the connection */
	MG_WAF_REDIRECT,	/* answer status (302) with location */
};

/* A rule that matched (and logs: nolog rules are not reported). */
struct mg_waf_match {
	uint32_t rule_id;
	uint8_t severity;	/* 0 EMERGENCY .. 7 DEBUG, 255 none */
	uint8_t phase;
	const char *msg;	/* expanded; valid until the next request */
	const char *data;	/* logdata expanded, truncated */
};

#define MG_WAF_MAX_MATCHES 64

struct mg_waf_result {
	uint8_t verdict;		/* enum mg_waf_verdict */
	uint8_t detect_only;		/* engine in DetectionOnly */
	uint8_t would_block;		/* a deny/drop ran in DetectionOnly */
	uint8_t truncated;		/* more matches than the array holds */
	uint16_t status;		/* with DENY */
	uint16_t n_matches;
	uint32_t rule_id;		/* the rule that decided (deny/drop) */
	int32_t anomaly_score;		/* tx.anomaly_score */
	const char *location;		/* REDIRECT: the URL; else NULL */
	struct mg_waf_match matches[MG_WAF_MAX_MATCHES];
};

/* What the WAF knows of the connection (all optional). */
struct mg_waf_conn {
	const char *remote_addr;	/* "192.0.2.1" */
	uint16_t remote_port;
	const char *server_addr;
	uint16_t server_port;
	const char *unique_id;		/* request id; generated if NULL */
};

/*
 * Start a request: head[0..len) is the request line and header fields up
 * to and including the empty line. Runs phase 1. Returns the verdict so
 * far (MG_WAF_PASS, or DENY/DROP: do not call body/end then), or -EINVAL
 * when the head cannot be read as HTTP/1.x (counted BAD_REQUEST).
 */
int mg_waf_begin(struct mg_waf_ctx *ctx, const uint8_t *head, size_t len,
		 const struct mg_waf_conn *conn, struct mg_waf_result *res);
/*
 * After mg_waf_begin passed: whether phase 2 would read the body. False
 * when body access is off (SecRequestBodyAccess, or a phase-1
 * ctl:requestBodyAccess) or no phase-2 rule reads a variable a body
 * gives (ARGS, REQUEST_BODY, FILES, XML...): then mg_waf_end may come at
 * once, and the caller need not hold the body. CRS rules read ARGS and
 * REQUEST_BODY: true.
 */
bool mg_waf_wants_body(const struct mg_waf_ctx *ctx);
/* Body bytes, in order, any split; beyond the body limit they are cut. */
void mg_waf_body(struct mg_waf_ctx *ctx, const uint8_t *data, size_t len);
/*
 * The body went on beyond what mg_waf_body was given (a caller that holds
 * no more than mg_waf_body_limit bytes of it): counted (BODY_TRUNCATED),
 * and answered 413 at mg_waf_end when the rules say
 * SecRequestBodyLimitAction Reject.
 */
void mg_waf_body_truncated(struct mg_waf_ctx *ctx);
/* The request body bytes rs inspects: conf's body_limit, or the rules'
 * SecRequestBodyLimit, at most 1 MiB */
uint32_t mg_waf_body_limit(const struct mg_waf_ruleset *rs);
/* The body is complete: phase 2. Returns the verdict. */
int mg_waf_end(struct mg_waf_ctx *ctx, struct mg_waf_result *res);

/* begin + body + end on a request held in one buffer (head and body). */
int mg_waf_eval(struct mg_waf_ctx *ctx, const uint8_t *req, size_t len,
		const struct mg_waf_conn *conn, struct mg_waf_result *res);

/*
 * The rule ids of res, comma-separated ("920100,942100"), as the
 * X-Meshgate-Waf-Rules response header lists them. Returns the length
 * written (cut at a whole id to fit cap - 1).
 */
size_t mg_waf_rule_ids(const struct mg_waf_result *res, char *buf, size_t cap);

/*
 * The audit record of the last request as one JSON line (no newline):
 * unique id, the X-CRS-Test header if present, rule ids, messages,
 * matched data (truncated), anomaly score, verdict. The matches that do
 * not fit in cap are left out, whole, and "truncated":true says so: what
 * is written is one JSON object (given room for the rule ids, ~1 KiB at
 * most). Returns its length, or, when cap cannot hold even that much,
 * the length it would need.
 */
size_t mg_waf_audit_json(const struct mg_waf_ctx *ctx,
			 const struct mg_waf_result *res, char *buf, size_t cap);

#endif /* MG_WAF_H */
