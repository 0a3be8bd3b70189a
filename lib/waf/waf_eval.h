/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_WAF_EVAL_H
#define MG_WAF_EVAL_H

/*
 * Per-lcore evaluation state. Everything a request needs is carved out of
 * buffers allocated with the context; a request only bumps and resets.
 */

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <hs/hs.h>

#include "waf_internal.h"
#include "waf_reqdata.h"

/* One value a rule inspects: a collection item or a single variable. */
struct waf_val {
	const uint8_t *key;	/* item name ("" for single variables) */
	const uint8_t *v;
	uint32_t key_len;
	uint32_t len;
	uint8_t var;		/* enum waf_var_id */
};

/* An entry of TX, IP, GLOBAL...: keys lowercase. */
struct waf_kvent {
	uint8_t *key;
	uint8_t *val;
	uint64_t key_head;	/* waf_key_head(key) */
	uint32_t key_len;
	uint32_t len;
	uint32_t cap;		/* room at val */
	uint32_t hash;
	uint8_t coll;		/* enum waf_var_id */
	uint8_t dead;		/* deleted by setvar:! */
	uint8_t key_nl;		/* the key has a newline (^ of a selector
				 * may match after it) */
};

#define WAF_STORE_MAX 1024		/* entries per request */
#define WAF_STORE_SLOTS 2048		/* hash index, power of two */
#define WAF_REMOVALS_MAX 64		/* ctl:ruleRemove* per request */
#define WAF_MATCHED_MAX 256		/* MATCHED_VARS */
#define WAF_VALS_MAX 8192		/* values of one variable list */
#define WAF_HEAD_MAX 65536
/* Room for the outputs of one value's chain trie; values whose outputs
 * might not fit go chain by chain through the two transform buffers. */
#define WAF_TSCRATCH_SIZE (4u << 20)
#define WAF_VTARGETS_MAX 16		/* targets one value belongs to */

/* A Hyperscan report: rule r matched value ordinal o of its group. */
struct waf_hit {
	uint32_t ordinal;
	uint32_t phrase;
	uint32_t next;		/* next hit of the same rule, WAF_NONE */
};

/* Per rule: hits of the current phase (valid when gen matches). */
struct waf_rule_hits {
	uint32_t gen;
	uint32_t first, last;
};

/* An @rx whose pattern has macros, compiled for its last expansion */
struct waf_dynrx {
	uint32_t rule;
	uint32_t len;
	char *pat;
	pcre2_code *code;
};
#define WAF_DYN_RX 16

/* What may change a value of the request (waf_scan.c: value_changes) */
struct waf_may_memo {
	const uint8_t *p;
	uint32_t len;
	uint32_t gen;
	uint64_t may;		/* may_change_set() of p */
};
#define WAF_MAY_MEMO 512

/* The last digest of each kind (t:sha1, t:md5) and what it was of:
 * 901318 hashes the User-Agent of every request, and a worker sees the
 * same few again and again. */
#define WAF_DIGEST_INPUT 512
struct waf_digest_memo {
	uint32_t len;		/* of the input; UINT32_MAX: empty */
	uint8_t out_len;
	uint8_t out[20];
	uint8_t in[WAF_DIGEST_INPUT];
};

/*
 * The scan memo: what the scan of a value found, for the next request
 * with the same value at the same place (phase, tier, variable, name).
 * Two ways a set; a miss replaces the way used longer ago.
 */
#define WAF_MEMO_SLOTS 4096		/* power of two */
#define WAF_MEMO_BYTES 184		/* name + value, longer: no memo */
#define WAF_MEMO_HITS 4			/* pattern matches kept */
#define WAF_MEMO_LAST 64		/* places remembered per phase, tier */

struct waf_memo_hit {
	uint16_t target;	/* index in the phase's scan set */
	uint32_t pat;		/* pattern id in the target's database */
	uint64_t chains;	/* the chains of the output that matched */
};

struct waf_memo {
	uint64_t hash;
	uint32_t used;		/* req_gen of the last hit or fill */
	uint16_t key_len, len;
	uint8_t phase;		/* 0: empty slot */
	uint8_t tier, var, n_hits;
	uint8_t bytes[WAF_MEMO_BYTES];	/* name then value */
	struct waf_memo_hit hits[WAF_MEMO_HITS];
};

/*
 * The operator memo: the result of a costly operator (@detectSQLi,
 * @validateByteRange, an @rx alone...) on a short value, for the next
 * time the same rule meets the same bytes. A result with a capture is not
 * kept: the capture is a side effect.
 */
#define WAF_OPMEMO_SLOTS 4096		/* power of two */
#define WAF_OPMEMO_BYTES 240

struct waf_opmemo {
	uint64_t hash;
	uint32_t rule;		/* rule index + 1, 0: empty slot */
	uint16_t len;
	uint8_t result;
	uint8_t pad;
	uint8_t bytes[WAF_OPMEMO_BYTES];
};

/* A runtime exclusion from ctl:ruleRemove* */
struct waf_removal {
	uint8_t kind;		/* WA_CTL_REMOVE_* */
	uint32_t lo, hi;	/* ids */
	uint32_t tag;		/* string */
	uint32_t var;		/* index into rs->vars, WAF_NONE */
};

/*
 * The entries of TX (IP, ...) a selector regex picks, by index. A key
 * never changes, so each entry is looked at once per request, and those
 * of the TX image once per context: CRS's selectors of TX (920450's
 * ^header_name_, 922110's multipart_headers_content_types) went through
 * the ~100 entries of TX on every request.
 */
struct waf_selcache {
	uint16_t *idx;		/* WAF_STORE_MAX */
	uint32_t n_img;		/* how many of idx are the image's */
	bool img_known;
	uint8_t coll;		/* what it was filled for */
	uint32_t n, upto;	/* idx[0, n) of the entries [0, upto) */
	uint32_t req_gen, store_gen;	/* when */
};

/* The collections and the arena they live in, saved to be put back */
struct waf_store_snap {
	struct waf_kvent *store;
	uint32_t n_store;
	uint16_t *slots;
	uint8_t *arena;
	size_t arena_used;
};

struct mg_waf_ctx {
	const struct mg_waf_ruleset *rs;
	hs_scratch_t *scratch;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit;

	/* per-request memory */
	uint8_t *arena;
	size_t arena_size, arena_used;
	uint8_t *req_arena;
	size_t req_arena_size;
	uint8_t *tbuf[2];
	size_t tbuf_size;
	uint32_t max_value;
	uint8_t *head;
	size_t head_len;
	uint8_t *body;
	size_t body_len, body_cap;
	struct waf_val *vals;		/* WAF_VALS_MAX */

	/* the request */
	struct mg_waf_request *req;
	struct mg_waf_result *res;
	char unique_id[40];
	char remote_addr[64], server_addr[64];
	char remote_port[24], server_port[24];
	uint64_t start_us;
	uint64_t seq;
	uint8_t engine;			/* enum waf_engine, ctl may change */
	uint8_t body_access;
	uint8_t phase;
	uint8_t done;			/* disruptive action ended it */
	uint8_t allow;			/* allow: skip the rest */
	uint8_t highest_severity;
	uint8_t body_over;		/* body bytes beyond body_cap came */
	uint8_t finished;
	uint32_t gen;			/* bumps per phase run */

	/* collections */
	struct waf_kvent store[WAF_STORE_MAX];
	uint32_t n_store;
	uint32_t n_writes;		/* setvars so far (for waf_fold.c) */
	uint16_t slots[WAF_STORE_SLOTS];	/* entry + 1, 0 empty */
	/* TX as the hoisted rules leave it, each request's start
	 * (waf_fold_image); img.arena NULL: an empty TX */
	struct waf_store_snap img;
	/* 0: the store is the image and what this request added; else
	 * bumped by every other reset */
	uint32_t store_gen, store_resets;
	/* what this request changed of the image, for the next request's
	 * start (store_gen 0): entries of the image written, slots filled */
	uint16_t img_dirty[WAF_STORE_MAX];
	uint32_t n_img_dirty;
	uint64_t img_dirty_bits[WAF_STORE_MAX / 64];
	uint16_t img_new_slots[WAF_STORE_MAX];
	uint32_t n_img_new_slots;
	struct waf_selcache *selcache;	/* per rs->regexes; NULL: none */
	struct waf_removal removals[WAF_REMOVALS_MAX];
	uint32_t n_removals;
	struct waf_val matched[WAF_MATCHED_MAX];	/* key: full name */
	uint32_t n_matched;
	struct waf_val matched_var;	/* key: full name, v: value */
	bool has_matched_var;

	/* evaluation */
	uint32_t cur_rule;		/* the chain head being run */
	struct waf_rule_hits *rule_hits;	/* per rule */
	uint64_t *hit_steps;		/* steps of the phase whose head has a
					 * hit: a bit each */
	struct waf_hit *hits;
	uint32_t n_hits, hits_cap;
	struct waf_val *pvals;		/* the phase's scanned values */
	uint32_t n_pvals;
	uint32_t pvals_gen;		/* gen pvals were resolved in */
	uint32_t scan_gen[WAF_TIERS];	/* gen each tier was scanned in */
	uint32_t scan_ordinal;		/* for the scan callback */
	uint64_t scan_chains;
	const struct waf_target *scan_target;
	const struct waf_target *vtargets[WAF_VTARGETS_MAX];
	unsigned n_vtargets;		/* the targets of the value scanned */
	uint8_t *tscratch;		/* trie outputs of one value */
	size_t tscratch_size;
	struct waf_memo *memo;		/* NULL: no memo */
	/* the slot the value at each place of a phase's and tier's values
	 * was found in or put into last: tried before hashing */
	struct waf_memo *memo_last[2][WAF_TIERS][WAF_MEMO_LAST];
	struct waf_opmemo *opmemo;	/* NULL: no memo */
	struct waf_memo_hit memo_rec[WAF_MEMO_HITS];	/* being recorded */
	uint8_t memo_n;			/* matches recorded, > max: too many */
	bool memo_recording;

	struct waf_dynrx dyn[WAF_DYN_RX];
	struct waf_may_memo may_memo[WAF_MAY_MEMO];
	struct waf_digest_memo digest[2];	/* sha1, md5 */
	uint32_t req_gen;		/* bumps per request */
	uint64_t counters[MG_WAF_C_MAX];
	size_t memory;
};

/* Arena: bump allocation, NULL (counted) when full. */
void *waf_alloc(struct mg_waf_ctx *c, size_t n);
static inline uint8_t *
waf_arena_top(struct mg_waf_ctx *c, size_t *room)
{
	*room = c->arena_size - c->arena_used;
	return c->arena + c->arena_used;
}

/* Collections (waf_store.c) */
void waf_store_reset(struct mg_waf_ctx *c);
/* A request's start: the arena and TX as the image has them */
void waf_store_start(struct mg_waf_ctx *c);
/* Save the collections and the arena (-1: no memory), put them back,
 * release the copy */
int waf_store_snap_take(const struct mg_waf_ctx *c, struct waf_store_snap *s);
void waf_store_snap_put(struct mg_waf_ctx *c, const struct waf_store_snap *s);
void waf_store_snap_free(struct waf_store_snap *s);
/* Collections: keys are lowercase (the caller folds them). */
struct waf_kvent *waf_store_get(struct mg_waf_ctx *c, uint8_t coll,
				const uint8_t *key, uint32_t len);
struct waf_kvent *waf_store_get_h(struct mg_waf_ctx *c, uint8_t coll,
				  const uint8_t *key, uint32_t len,
				  uint32_t hash);
/* Set a value (copied). Returns 0 or -1 (counted). */
int waf_store_set(struct mg_waf_ctx *c, uint8_t coll, const uint8_t *key,
		  uint32_t klen, const uint8_t *val, uint32_t vlen);
void waf_store_del(struct mg_waf_ctx *c, uint8_t coll, const uint8_t *key,
		   uint32_t klen);

/* Values (waf_vars.c): the values of v into out (at most cap); &VAR's
 * count. waf_resolve is inline: one call per variable resolved, not two
 * (a request resolves some 70). */
uint32_t waf_values(struct mg_waf_ctx *c, const struct waf_var *v,
		    struct waf_val *out, uint32_t cap);
uint32_t waf_count(struct mg_waf_ctx *c, const struct waf_var *v,
		   struct waf_val *out, uint32_t cap);
static inline uint32_t
waf_resolve(struct mg_waf_ctx *c, const struct waf_var *v,
	    struct waf_val *out, uint32_t cap)
{
	return (v->flags & WVF_COUNT) ? waf_count(c, v, out, cap) :
					 waf_values(c, v, out, cap);
}
/* "ARGS:foo" into buf; returns the length (cut at cap). */
uint32_t waf_val_name(const struct waf_val *v, uint8_t *buf, uint32_t cap);
bool waf_key_match_regex(struct mg_waf_ctx *c, const struct waf_var *v,
			 const uint8_t *key, uint32_t len);
/* key matches the selector of v (KEY or REGEX), or v has none. Inline:
 * a rule's selector meets every header or argument of the request, and
 * most differ in length. */
static inline bool
waf_key_match(struct mg_waf_ctx *c, const struct waf_var *v,
	      const uint8_t *key, uint32_t len)
{
	if (v->flags & WVF_KEY)
		return len == v->key_len &&
		       waf_ieq(key, len, waf_str(c->rs, v->key), v->key_len);
	if (v->flags & WVF_REGEX)
		return waf_key_match_regex(c, v, key, len);
	return true;
}

/* Macros (waf_macro.c): expand into the arena; returns NULL when full. */
const uint8_t *waf_expand(struct mg_waf_ctx *c, uint32_t tmpl, uint32_t *len);

/* Operators (waf_ops.c). arg: the expanded argument (NULL if none). */
bool waf_op_match(struct mg_waf_ctx *c, const struct waf_rule *r,
		  const uint8_t *s, uint32_t len, const uint8_t *arg,
		  uint32_t arg_len);
/* A scannable operator (waf_op_scannable) on s, without its capture */
bool waf_op_scan(const struct mg_waf_ruleset *rs, const struct waf_rule *r,
		 const uint8_t *s, uint32_t len);
/* Run r's regex on s; captures to TX.0-9 when r captures. */
bool waf_rx_match(struct mg_waf_ctx *c, const struct waf_rule *r,
		  const uint8_t *s, uint32_t len);
void waf_set_capture(struct mg_waf_ctx *c, unsigned i, const uint8_t *s,
		     uint32_t len);

/* Rule ri's chain as run_phase runs it, or (!whole) its head alone;
 * true when all of it matched */
bool waf_eval_chain(struct mg_waf_ctx *c, uint32_t ri, bool whole);
/* Run the hoisted rules into the context's TX image (at creation) */
int waf_fold_image(struct mg_waf_ctx *c);

/* Scan the phase's values with the databases of a tier, once per phase
 * run. */
void waf_scan_phase(struct mg_waf_ctx *c, uint8_t tier);

/* Transformations: apply n ids to in; the result may be in tbuf. */
const uint8_t *waf_transform(struct mg_waf_ctx *c, const uint8_t *tfns,
			     uint8_t n, const uint8_t *in, uint32_t len,
			     uint32_t *out_len);

static inline uint64_t
waf_hash(const uint8_t *p, uint32_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (uint32_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

#endif /* MG_WAF_EVAL_H */
