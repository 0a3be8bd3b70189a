/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Hyperscan scan sets: which rules are grouped and in which tier, the
 * CRS patterns Hyperscan cannot take exactly (listed with the reason),
 * the transformation trigger bytes the scan relies on, the database
 * cache, CRS verdicts with scan sets against PCRE2 alone on benign
 * and hostile requests, and the memos and word selectors that save work
 * without changing a verdict.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "mg_test.h"
#include "waf_eval.h"
#include "waf_test.h"
#include "waf_hs.h"
#include "waf_transform.h"

static char err[MG_WAF_ERRLEN];

static void
test_grouping(void)
{
	static const char text[] =
		"SecRule ARGS \"@rx a\" \"id:1,phase:2,t:lowercase\"\n"
		"SecRule ARGS \"@pm b c\" \"id:2,phase:2,tag:'paranoia-level/3'\"\n"
		"SecRule ARGS \"!@rx a\" \"id:3,phase:2\"\n"
		"SecRule TX:x \"@rx a\" \"id:4,phase:2\"\n"
		"SecRule ARGS \"@rx a\" \"id:5,phase:2,multiMatch,t:lowercase,"
		"t:urlDecode\"\n"
		"SecRule ARGS \"@contains a\" \"id:6,phase:2\"\n"
		"SecRule RESPONSE_BODY \"@rx a\" \"id:7,phase:4\"\n"
		"SecRule ARGS|REQUEST_HEADERS:Referer \"@rx (?<=x)y\" "
		"\"id:8,phase:1\"\n"
		"SecRule &ARGS \"@rx 1\" \"id:9,phase:2\"\n"
		"SecRule ARGS|!ARGS:pw \"@rx (a)\\1\" \"id:10,phase:2\"\n";
	struct mg_waf_conf conf = { 0 };
	struct mg_waf_ruleset *rs = mg_waf_load_text("t.conf", text, &conf,
						     err, sizeof(err));
	const struct waf_rule *r;

	MG_CHECK(rs != NULL);
	if (rs == NULL) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	MG_CHECK(waf_test_rule(rs, 1)->group != WAF_NONE);
	MG_CHECK(waf_test_rule(rs, 2)->group != WAF_NONE);
	MG_CHECK_EQ(waf_test_rule(rs, 2)->tier, 2);
	MG_CHECK_EQ(waf_test_rule(rs, 1)->tier, 0);
	MG_CHECK(waf_test_rule(rs, 3)->group == WAF_NONE);	/* negated */
	MG_CHECK(waf_test_rule(rs, 4)->group == WAF_NONE);	/* TX changes */
	/* multiMatch: grouped, through each prefix of its chain */
	MG_CHECK(waf_test_rule(rs, 5)->group != WAF_NONE);
	MG_CHECK_EQ(__builtin_popcountll(waf_test_rule(rs, 5)->chains), 3);
	MG_CHECK(waf_test_rule(rs, 6)->group == WAF_NONE);	/* not a pattern */
	MG_CHECK(waf_test_rule(rs, 7)->group == WAF_NONE);	/* response */
	MG_CHECK(waf_test_rule(rs, 9)->group == WAF_NONE);	/* a count */
	/* a look-behind: prefiltered (or PCRE2 alone), with the reason */
	r = waf_test_rule(rs, 8);
	MG_CHECK(rs->regexes[r->op_data].hs_mode != WHM_EXACT);
	MG_CHECK(rs->regexes[r->op_data].hs_why != 0);
	/* a back-reference: the same */
	r = waf_test_rule(rs, 10);
	MG_CHECK(rs->regexes[r->op_data].hs_mode != WHM_EXACT);
	/* rules 1, 2, 10 on ARGS (tiers 1 and 3), 8 on ARGS and Referer
	 * (phase 1) */
	MG_CHECK_EQ(rs->scan[2].n_targets, 2);
	MG_CHECK_EQ(rs->scan[1].n_targets, 2);
	/* none, lowercase (1 and 5), lowercase+urlDecode (5) */
	MG_CHECK_EQ(rs->scan[2].n_chains, 3);
	mg_waf_ruleset_free(rs);
}

/*
 * A transformation skipped for lack of its trigger bytes must be the
 * identity on such input: random strings of the other bytes.
 */
static void
test_triggers(void)
{
	uint64_t trig[64][4];
	uint8_t in[64], out[MG_WAF_TRANSFORM_OUT_MAX(64)];

	waf_hs_triggers(trig);
	srand(1);
	for (int t = 0; t < MG_WAF_T_MAX; t++) {
		uint8_t allowed[256];
		unsigned n = 0, bad = 0;

		for (unsigned b = 0; b < 256; b++)
			if (!(trig[t][b >> 6] & (1ull << (b & 63))))
				allowed[n++] = (uint8_t)b;
		if (n == 0)
			continue;	/* always runs */
		for (int k = 0; k < 20000; k++) {
			size_t len = (size_t)(rand() % 40), l;

			for (size_t i = 0; i < len; i++)
				in[i] = allowed[rand() % n];
			l = mg_waf_transform_apply(t, in, len, out,
						   sizeof(out));
			if (l != len || memcmp(in, out, len) != 0)
				bad++;
		}
		mg_test_checks++;
		if (bad) {
			mg_test_failures++;
			fprintf(stderr, "%s: %u inputs without trigger bytes "
				"changed\n", mg_waf_transform_name(t), bad);
		}
	}
}

/* Benign and hostile requests, CRS at paranoia level 4. */
static const char *const requests[] = {
	"GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: curl/8.0\r\n"
	"Accept: */*\r\n\r\n",
	"GET /search?q=science+fiction&page=2&sort=price HTTP/1.1\r\n"
	"Host: shop.example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux)\r\n"
	"Accept: text/html\r\nCookie: session=8f14e45fceea; lang=en\r\n\r\n",
	"GET /item.php?id=1'%20OR%20'1'='1&cat=<script>alert(1)</script> "
	"HTTP/1.1\r\nHost: a\r\nUser-Agent: sqlmap/1.7\r\n\r\n",
	"GET /../../etc/passwd HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n",
	"GET /x?cmd=;cat%20/etc/shadow&f=php://filter/resource=index.php "
	"HTTP/1.1\r\nHost: a\r\n\r\n",
	"POST /login HTTP/1.1\r\nHost: a\r\nContent-Type: "
	"application/x-www-form-urlencoded\r\nContent-Length: 68\r\n\r\n"
	"user=admin&pass=x%27%20UNION%20SELECT%20password%20FROM%20users--",
	"POST /api HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
	"Content-Length: 74\r\n\r\n"
	"{\"name\":\"<img src=x onerror=alert(1)>\",\"tags\":[\"a\",\"b'--\"]}  ",
	"GET /?a=%u0041%c0%af&b=%%32%65 HTTP/1.1\r\nHost: a\r\n"
	"Referer: javascript:alert(1)\r\n\r\n",
	"GET /index.html HTTP/1.0\r\nUser-Agent: Nikto\r\nX-Forwarded-For: "
	"${jndi:ldap://x/a}\r\n\r\n",
	"POST /up HTTP/1.1\r\nHost: a\r\nContent-Type: multipart/form-data; "
	"boundary=XX\r\nContent-Length: 123\r\n\r\n--XX\r\nContent-"
	"Disposition: form-data; name=\"f\"; filename=\"a.php\"\r\n\r\n"
	"<?php system($_GET['c']); ?>\r\n--XX--\r\n",
};

/* Random values of words and punctuation CRS patterns look for. */
static void
random_request(char *buf, size_t cap, unsigned seed)
{
	static const char *const bits[] = {
		"select", "union", "or", "1=1", "'", "\"", "<", ">", "script",
		"alert(", ")", "%27", "%3c", "/", "..", "etc", "passwd", ";",
		"|", "&&", "`", "$(", "{", "}", "--", "#", "/*", "*/", "0x41",
		"&#x3c;", "\\u003c", "onerror=", "javascript:", "eval", "exec",
		"+", " ", "%00", "%u0027", "cmd", "php", "<?", "=", "@", "a",
		"Hello", "world", "2024", "json", "%2e%2e", "\\x27", "char(",
	};
	size_t n = (size_t)snprintf(buf, cap, "GET /p?");

	srand(seed);
	for (int a = 0; a < 3; a++) {
		n += (size_t)snprintf(buf + n, cap - n, "%sk%d=", a ? "&" : "",
				      a);
		for (int w = 0; w < 4 + rand() % 6; w++)
			n += (size_t)snprintf(buf + n, cap - n, "%s",
				bits[rand() % (sizeof(bits) / sizeof(*bits))]);
	}
	snprintf(buf + n, cap - n, " HTTP/1.1\r\nHost: a\r\nUser-Agent: "
		 "Mozilla/5.0\r\nAccept: */*\r\n\r\n");
}

/* A text body too long for the trie (chain by chain, outputs shared by
 * their steps) with one of a few snippets in it. */
static size_t
long_request(char *buf, size_t cap, unsigned kind)
{
	static const char *const snippets[] = {
		"the quick brown fox jumps over the lazy dog",
		"The Quick <SCRIPT>alert(1)</SCRIPT> Fox",
		"%3Cscript%3Ealert(1)%3C/script%3E and More",
		"&lt;script&gt;alert(1)&lt;/script&gt; UNION SELECT pw",
		"1' OR '1'='1 -- cat /etc/passwd; Select * FROM users",
	};
	const char *sn = snippets[kind % 5];
	size_t body = 160u << 10, n;

	n = (size_t)snprintf(buf, cap, "POST /n HTTP/1.1\r\nHost: a\r\n"
			     "Content-Type: text/plain\r\nContent-Length: "
			     "%zu\r\n\r\n", body);
	for (size_t i = 0; i < body && n < cap; i++, n++)
		buf[n] = sn[i % strlen(sn)];
	return n;
}

/* Every match of a result, its message and data, as one line. */
static void
result_line(const struct mg_waf_result *r, char *buf, size_t cap)
{
	size_t n = (size_t)snprintf(buf, cap, "%d %d %u:", r->verdict,
				    r->anomaly_score, r->rule_id);

	for (unsigned i = 0; i < r->n_matches && n < cap; i++)
		n += (size_t)snprintf(buf + n, cap - n, " %u[%s|%s]",
				      r->matches[i].rule_id,
				      r->matches[i].msg, r->matches[i].data);
}

/* Request q through contexts on and off (one saving work, one not): the
 * same result line, else both printed. */
static bool
same_result(struct mg_waf_ctx *on, struct mg_waf_ctx *off, const char *q,
	    const char *what, unsigned k)
{
	static char a_line[8192], b_line[8192];
	struct mg_waf_result a, b;

	mg_waf_eval(on, (const uint8_t *)q, strlen(q), NULL, &a);
	result_line(&a, a_line, sizeof(a_line));
	mg_waf_eval(off, (const uint8_t *)q, strlen(q), NULL, &b);
	result_line(&b, b_line, sizeof(b_line));
	if (strcmp(a_line, b_line) == 0)
		return true;
	fprintf(stderr, "request %u: %s %s\n  without %s\n", k, what, a_line,
		b_line);
	return false;
}

/* Request q[0..len) through ctx into *res: the matched rule ids must be
 * want, else both printed. */
static void
expect_ids(struct mg_waf_ctx *ctx, const char *q, size_t len,
	   struct mg_waf_result *res, const char *want, const char *what)
{
	char ids[256];

	mg_waf_eval(ctx, (const uint8_t *)q, len, NULL, res);
	mg_waf_rule_ids(res, ids, sizeof(ids));
	MG_CHECK(strcmp(ids, want) == 0);
	if (strcmp(ids, want) != 0)
		fprintf(stderr, "%s: %s, want %s\n", what, ids, want);
}

/*
 * The same rules with the scan sets and without them (each rule on its
 * own, PCRE2 alone), a context each: the reference for what the scan
 * gives.
 */
struct scan_pair {
	struct mg_waf_ruleset *rs, *ref;
	struct mg_waf_ctx *ctx, *ref_ctx;
};

/* false (a failure counted, the error printed) when either does not load */
static bool
pair_load(struct scan_pair *p, const char *text)
{
	struct mg_waf_conf conf = { 0 }, ref_conf = { .no_scan_sets = true };

	memset(p, 0, sizeof(*p));
	p->rs = mg_waf_load_text("t.conf", text, &conf, err, sizeof(err));
	p->ref = mg_waf_load_text("t.conf", text, &ref_conf, err, sizeof(err));
	MG_CHECK(p->rs != NULL && p->ref != NULL);
	if (p->rs == NULL || p->ref == NULL) {
		fprintf(stderr, "%s\n", err);
		return false;
	}
	p->ctx = mg_waf_ctx_create(p->rs, &conf);
	p->ref_ctx = mg_waf_ctx_create(p->ref, &ref_conf);
	MG_CHECK(p->ctx && p->ref_ctx);
	return p->ctx && p->ref_ctx;
}

static void
pair_free(struct scan_pair *p)
{
	mg_waf_ctx_free(p->ctx);
	mg_waf_ctx_free(p->ref_ctx);
	mg_waf_ruleset_free(p->rs);
	mg_waf_ruleset_free(p->ref);
}

/*
 * The memos (a value's scan, an operator's result) give what the work
 * they save would: each request twice, with and without them, the same
 * matches with the same data; and they are used.
 */
static void
check_memo(struct mg_waf_ruleset *rs, const struct mg_waf_conf *conf)
{
	struct mg_waf_conf off_conf = *conf;
	struct mg_waf_ctx *on, *off;
	unsigned differ = 0;

	off_conf.no_scan_memo = true;
	on = mg_waf_ctx_create(rs, conf);
	off = mg_waf_ctx_create(rs, &off_conf);
	MG_CHECK(on && off);
	for (unsigned i = 0; on && off && i < 2 * (10 + 100); i++) {
		char req[2048];
		const char *q = req;
		unsigned k = i / 2;	/* each request twice in a row */

		if (k < 10)
			q = requests[k];
		else
			random_request(req, sizeof(req), k % 40);
		differ += !same_result(on, off, q, "memo", k);
	}
	MG_CHECK_EQ(differ, 0);
	if (on && off) {
		printf("memo: scan %llu hits %llu misses, operators %llu hits "
		       "%llu misses\n",
		       (unsigned long long)mg_waf_counter(on,
						MG_WAF_C_SCAN_MEMO_HIT),
		       (unsigned long long)mg_waf_counter(on,
						MG_WAF_C_SCAN_MEMO_MISS),
		       (unsigned long long)mg_waf_counter(on,
						MG_WAF_C_OP_MEMO_HIT),
		       (unsigned long long)mg_waf_counter(on,
						MG_WAF_C_OP_MEMO_MISS));
		MG_CHECK(mg_waf_counter(on, MG_WAF_C_SCAN_MEMO_HIT) > 0);
		MG_CHECK(mg_waf_counter(on, MG_WAF_C_OP_MEMO_HIT) > 0);
		MG_CHECK_EQ(mg_waf_counter(off, MG_WAF_C_SCAN_MEMO_HIT), 0);
		MG_CHECK_EQ(mg_waf_counter(off, MG_WAF_C_OP_MEMO_HIT), 0);
		MG_CHECK(mg_waf_ctx_memory(on) > mg_waf_ctx_memory(off));
	}
	mg_waf_ctx_free(on);
	mg_waf_ctx_free(off);
}

/*
 * Rules decided at load (waf_fold.c) against every rule on every
 * request, CRS at paranoia level pl: the same matches, data, scores and
 * verdicts for the same requests, one after another in one context (the
 * TX image is each request's start, nothing carries over); the CRS
 * initialization is hoisted, the paranoia-level skips folded, and
 * nothing that reads the request.
 */
static void
check_fold(const struct mg_waf_conf *base, uint8_t pl)
{
	struct mg_waf_conf conf = *base, off_conf;
	struct mg_waf_ruleset *rs, *ref;
	struct mg_waf_ctx *on = NULL, *off = NULL;
	const struct waf_rule *r;
	unsigned differ = 0;

	conf.paranoia = pl;
	off_conf = conf;
	off_conf.no_fold = true;
	rs = mg_waf_load(&conf, err, sizeof(err));
	ref = mg_waf_load(&off_conf, err, sizeof(err));
	MG_CHECK(rs != NULL && ref != NULL);
	if (rs == NULL || ref == NULL)
		goto out;
	printf("PL%u: %u rules decided at load, %u into the TX image\n", pl,
	       rs->stats.folded, rs->stats.hoisted);
	MG_CHECK(rs->stats.folded >= 60);
	MG_CHECK(rs->stats.hoisted >= 15);
	MG_CHECK_EQ(ref->stats.folded, 0);
	MG_CHECK(rs->body_read);	/* ARGS, REQUEST_BODY: bodies are held */
	/* tx.executing_paranoia_level and the other defaults: hoisted */
	r = waf_test_rule(rs, 901150);
	MG_CHECK(r && (r->fold & WAF_FOLD_HOISTED));
	/* "TX:EXECUTING_PARANOIA_LEVEL @lt 2": skips at level 1 only */
	r = waf_test_rule(rs, 920013);
	MG_CHECK(r && r->fold == (pl < 2 ? WAF_FOLD_TRUE : WAF_FOLD_FALSE));
	/* UNIQUE_ID is read only by the sampling rule behind the folded
	 * skip: not scanned */
	MG_CHECK_EQ(rs->scan[1].n_by_var[0][WV_UNIQUE_ID], 0);
	MG_CHECK(rs->stats.dead_targets > 0);
	MG_CHECK(ref->scan[1].n_by_var[0][WV_UNIQUE_ID] > 0);
	/* the User-Agent hash is read only by an initcol, which keeps
	 * nothing here: it does not run; the IP, the scoring: per request */
	MG_CHECK(waf_test_rule(rs, 901318)->fold == WAF_FOLD_FALSE);
	MG_CHECK_EQ(rs->stats.unread, 1);
	MG_CHECK(waf_test_rule(rs, 901321)->fold == WAF_FOLD_NONE);
	MG_CHECK(waf_test_rule(rs, 949110)->fold == WAF_FOLD_NONE);
	on = mg_waf_ctx_create(rs, &conf);
	off = mg_waf_ctx_create(ref, &off_conf);
	MG_CHECK(on && off);
	for (unsigned i = 0; on && off && i < 10 + 100; i++) {
		char req[2048];
		const char *q = req;

		if (i < 10)
			q = requests[i];
		else
			random_request(req, sizeof(req), i);
		differ += !same_result(on, off, q, pl == 1 ? "folded PL1" :
				       "folded PL4", i);
	}
	MG_CHECK_EQ(differ, 0);
out:
	mg_waf_ctx_free(on);
	mg_waf_ctx_free(off);
	mg_waf_ruleset_free(rs);
	mg_waf_ruleset_free(ref);
}

/*
 * The same verdicts with the scan sets as with every rule evaluated on
 * its own: grouping, tiers, trigger skipping and output sharing must not
 * change a single match.
 */
static void
test_crs_differential(void)
{
	char cache[256];
	struct mg_waf_conf conf = { .setup = CRS_SETUP,
				    .rules_dir = CRS_RULES,
				    .paranoia = 4, .cache_dir = cache };
	struct mg_waf_conf ref_conf = conf;
	struct mg_waf_ruleset *rs, *ref;
	struct mg_waf_ctx *ctx, *ref_ctx;
	unsigned differ = 0, matched = 0, n = 0;

	if (access(CRS_RULES, R_OK) != 0) {
		printf("skipped: %s not installed\n", CRS_RULES);
		return;
	}
	/* the test suites' cache (tests/meson.build) survives between runs */
	snprintf(cache, sizeof(cache), "%s",
		 getenv("MG_WAF_TEST_CACHE") ? getenv("MG_WAF_TEST_CACHE") :
		 "/tmp/waf-cache");
	ref_conf.no_scan_sets = true;
	ref_conf.no_fold = true;
	ref_conf.cache_dir = NULL;
	rs = mg_waf_load(&conf, err, sizeof(err));
	ref = mg_waf_load(&ref_conf, err, sizeof(err));
	MG_CHECK(rs != NULL && ref != NULL);
	if (rs == NULL || ref == NULL) {
		fprintf(stderr, "%s\n", err);
		goto out_rs;
	}
	ctx = mg_waf_ctx_create(rs, &conf);
	ref_ctx = mg_waf_ctx_create(ref, &ref_conf);
	MG_CHECK(ctx && ref_ctx);
	for (unsigned i = 0; ctx && ref_ctx && i < 10 + 400 + 5; i++) {
		static char req[(160u << 10) + 256];
		struct mg_waf_result a, b;
		char ia[1024], ib[1024];
		size_t len;

		if (i < 10) {
			len = strlen(requests[i]);
			memcpy(req, requests[i], len);
		} else if (i < 410) {
			random_request(req, sizeof(req), i);
			len = strlen(req);
		} else {
			len = long_request(req, sizeof(req), i - 410);
		}
		mg_waf_eval(ctx, (const uint8_t *)req, len, NULL, &a);
		mg_waf_eval(ref_ctx, (const uint8_t *)req, len, NULL, &b);
		mg_waf_rule_ids(&a, ia, sizeof(ia));
		mg_waf_rule_ids(&b, ib, sizeof(ib));
		n++;
		matched += a.n_matches > 0;
		if (strcmp(ia, ib) != 0 || a.anomaly_score != b.anomaly_score) {
			differ++;
			fprintf(stderr, "request %u: scan sets [%s] %d, PCRE2 "
				"[%s] %d\n", i, ia, a.anomaly_score, ib,
				b.anomaly_score);
		}
	}
	printf("CRS PL4: %u requests, %u matched, %u differ\n", n, matched,
	       differ);
	MG_CHECK_EQ(differ, 0);
	MG_CHECK(matched >= n / 2);
	mg_waf_ctx_free(ctx);
	mg_waf_ctx_free(ref_ctx);
	check_memo(rs, &conf);
	check_fold(&conf, 1);
	check_fold(&conf, 4);

	/* the list the issue asks for: what Hyperscan cannot take, why */
	for (uint32_t i = 0; i < rs->n_regexes; i++) {
		const struct waf_regex *re = &rs->regexes[i];
		const struct waf_rule *r = NULL;

		if (!re->grouped || re->hs_mode == WHM_EXACT)
			continue;
		for (uint32_t k = 0; k < rs->n_rules && !r; k++)
			if (rs->rules[k].op == WOP_RX &&
			    rs->rules[k].op_data == i)
				r = &rs->rules[k];
		printf("rule %u: %s: %s\n", r ? rs->rules[r->head].id : 0,
		       re->hs_mode == WHM_PREFILTER ? "Hyperscan prefilter + "
		       "PCRE2" : "PCRE2 only", waf_str(rs, re->hs_why));
		MG_CHECK(re->hs_why != 0);
	}
out_rs:
	mg_waf_ruleset_free(rs);
	mg_waf_ruleset_free(ref);
}

/*
 * A second load comes from the cache, whose directory the first made
 * with its parents; a damaged file is compiled over.
 */
static void
test_cache(void)
{
	static const char text[] =
		"SecRule ARGS \"@rx (?i)union\\s+select\" \"id:1,phase:2,log\"\n"
		"SecRule ARGS \"@pm etc/passwd\" \"id:2,phase:2,log\"\n";
	char base[] = "/tmp/test_waf_cache.XXXXXX", dir[256], path[512];
	struct mg_waf_conf conf = { .cache_dir = dir };
	struct mg_waf_ruleset *rs;
	FILE *f;

	if (mkdtemp(base) == NULL) {
		MG_CHECK(0);
		return;
	}
	snprintf(dir, sizeof(dir), "%s/var/cache/meshgate/waf", base);
	rs = mg_waf_load_text("t.conf", text, &conf, err, sizeof(err));
	MG_CHECK(rs && !mg_waf_ruleset_stats(rs)->from_cache);
	if (rs == NULL)
		return;
	snprintf(path, sizeof(path), "%s/waf-%s.hsdb", dir, rs->cache_key);
	mg_waf_ruleset_free(rs);
	rs = mg_waf_load_text("t.conf", text, &conf, err, sizeof(err));
	MG_CHECK(rs && mg_waf_ruleset_stats(rs)->from_cache);
	mg_waf_ruleset_free(rs);
	f = fopen(path, "r+");
	MG_CHECK(f != NULL);
	if (f) {
		fseek(f, 40, SEEK_SET);
		fputs("garbage garbage garbage", f);
		fclose(f);
	}
	rs = mg_waf_load_text("t.conf", text, &conf, err, sizeof(err));
	MG_CHECK(rs && !mg_waf_ruleset_stats(rs)->from_cache);
	if (rs) {
		struct mg_waf_ctx *ctx = mg_waf_ctx_create(rs, &conf);
		struct mg_waf_result res;
		static const char req[] = "GET /?a=UNION%20SELECT&b=/etc/passwd "
					  "HTTP/1.1\r\nHost: h\r\n\r\n";

		MG_CHECK(ctx != NULL);
		if (ctx) {
			mg_waf_eval(ctx, (const uint8_t *)req, strlen(req),
				    NULL, &res);
			MG_CHECK_EQ(res.n_matches, 2);
		}
		mg_waf_ctx_free(ctx);
	}
	mg_waf_ruleset_free(rs);
	snprintf(path, sizeof(path), "rm -rf %s", base);
	MG_CHECK(system(path) == 0);
}

/*
 * Selector regexes that are words are matched without PCRE2, as PCRE2
 * would: caseless, ^ at the start or after a newline, "c*" optional. Each
 * word rule has a twin PCRE2 must match (a group is not a word); both
 * count the same arguments.
 */
static void
test_word_selectors(void)
{
	static const char rules[] =
		"SecRule &ARGS:/^foo_/ \"@eq 3\" \"id:11,phase:2,pass,log\"\n"
		"SecRule &ARGS:/^(?:foo_)/ \"@eq 3\" \"id:12,phase:2,pass,log\"\n"
		"SecRule &ARGS_NAMES:/bar_*/ \"@eq 3\" \"id:13,phase:2,pass,"
		"log\"\n"
		"SecRule &ARGS_NAMES:/(?:bar)_*/ \"@eq 3\" \"id:14,phase:2,"
		"pass,log\"\n"
		"SecRule &ARGS:/a-b/ \"@eq 1\" \"id:15,phase:2,pass,log\"\n";
	static const char req[] =
		"GET /?foo_1=a&FOO_2=b&xfoo_3=c&x%0afoo_4=d&bar=e&xBARx=f&"
		"ba_r=g&foo=h&barbar_=i&A-B=j HTTP/1.1\r\nHost: h\r\n\r\n";
	static const uint8_t want_kind[] = { WLK_LINE_START, WLK_NONE,
					     WLK_CONTAINS, WLK_NONE,
					     WLK_CONTAINS };
	struct mg_waf_conf conf = { 0 };
	struct mg_waf_ruleset *rs;
	struct mg_waf_ctx *ctx;
	struct mg_waf_result res;
	unsigned k = 0;

	rs = mg_waf_load_text("t.conf", rules, &conf, err, sizeof(err));
	MG_CHECK(rs != NULL);
	if (rs == NULL) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	for (uint32_t i = 0; i < rs->n_vars; i++)
		if (rs->vars[i].flags & WVF_REGEX) {
			MG_CHECK(k < sizeof(want_kind));
			if (k < sizeof(want_kind))
				MG_CHECK_EQ(rs->regexes[rs->vars[i].regex].lit_kind,
					    want_kind[k]);
			k++;
		}
	MG_CHECK_EQ(k, sizeof(want_kind));
	ctx = mg_waf_ctx_create(rs, &conf);
	MG_CHECK(ctx != NULL);
	if (ctx)
		expect_ids(ctx, req, strlen(req), &res, "11,12,13,14,15",
			   "word selectors");
	mg_waf_ctx_free(ctx);
	mg_waf_ruleset_free(rs);
}

/*
 * A long body goes chain by chain; chains that change it by the same
 * steps share one output and one scan. Each rule sees its own output.
 */
static void
test_long_chains(void)
{
	static const char rules[] =
		"SecRule REQUEST_BODY \"@rx <script\" \"id:21,phase:2,pass,log,"
		"t:none,t:lowercase\"\n"
		"SecRule REQUEST_BODY \"@rx <script\" \"id:22,phase:2,pass,log,"
		"t:none,t:urlDecodeUni,t:htmlEntityDecode,t:lowercase\"\n"
		"SecRule REQUEST_BODY \"@rx <script\" \"id:23,phase:2,pass,log,"
		"t:none,t:urlDecodeUni\"\n"
		"SecRule REQUEST_BODY \"@rx <script\" \"id:24,phase:2,pass,log,"
		"t:none\"\n"
		"SecRule REQUEST_BODY \"@rx <script\" \"id:25,phase:2,pass,log,"
		"t:none,t:htmlEntityDecode,t:lowercase\"\n"
		"SecRule REQUEST_BODY \"@rx <script\" \"id:26,phase:2,pass,log,"
		"t:none,t:lowercase,t:urlDecodeUni\"\n";
	static const struct {
		const char *snippet, *want;
	} cases[] = {
		{ "a <SCRIPT> b ", "21,22,25,26" },
		{ "a %3Cscript b ", "22,23,26" },
		{ "a %3CSCRIPT b ", "22,26" },
		{ "a &lt;SCRIPT b ", "22,25" },
		{ "a <script> b ", "21,22,23,24,25,26" },
		{ "a <sCRIPT> b &amp; ", "21,22,25,26" },
		{ "nothing here ", "" },
	};
	static char req[(256u << 10) + 256];

	for (int mode = 0; mode < 2; mode++) {
		/* too long for the trie: chain by chain */
		struct mg_waf_conf conf = { .no_scan_sets = mode == 1,
					    .body_limit = 1u << 20 };
		struct mg_waf_ruleset *rs;
		struct mg_waf_ctx *ctx;

		rs = mg_waf_load_text("t.conf", rules, &conf, err, sizeof(err));
		MG_CHECK(rs != NULL);
		if (rs && mode == 0)
			MG_CHECK((uint64_t)rs->scan[2].n_nodes *
				 MG_WAF_TRANSFORM_OUT_MAX(256u << 10) >
				 WAF_TSCRATCH_SIZE);
		ctx = rs ? mg_waf_ctx_create(rs, &conf) : NULL;
		MG_CHECK(ctx != NULL);
		for (size_t i = 0; ctx && i < sizeof(cases) / sizeof(*cases);
		     i++) {
			const char *sn = cases[i].snippet;
			size_t body = 256u << 10, n, sl = strlen(sn);
			struct mg_waf_result res;
			char ids[256];

			n = (size_t)snprintf(req, sizeof(req), "POST / HTTP/1.1"
					     "\r\nHost: a\r\nContent-Type: "
					     "text/plain\r\nContent-Length: "
					     "%zu\r\n\r\n", body);
			for (size_t k = 0; k < body; k++)
				req[n + k] = sn[k % sl];
			mg_waf_eval(ctx, (const uint8_t *)req, n + body, NULL,
				    &res);
			mg_waf_rule_ids(&res, ids, sizeof(ids));
			MG_CHECK(strcmp(ids, cases[i].want) == 0);
			if (strcmp(ids, cases[i].want) != 0)
				fprintf(stderr, "long body %zu (%s): fired [%s],"
					" want [%s]\n", i, mode ? "PCRE2" :
					"scan sets", ids, cases[i].want);
		}
		mg_waf_ctx_free(ctx);
		mg_waf_ruleset_free(rs);
	}
}

/*
 * "^.*$", "^.*", ".*$" and ".*" are taken as matching every value whole
 * (no PCRE2 call): PCRE2 with ModSecurity's DOTALL|MULTILINE agrees on
 * random values with newlines, carriage returns and NULs, and on "".
 */
static void
test_match_all(void)
{
	static const char *const pats[] = { "^.*$", "^.*", ".*$", ".*" };
	static const char alphabet[] = "ab\n\r\0 Z.*$^";
	pcre2_match_data *md = pcre2_match_data_create(4, NULL);
	struct mg_waf_conf conf = { 0 };
	unsigned bad = 0;

	srand(11);
	for (unsigned k = 0; k < 4; k++) {
		char text[128];
		pcre2_code *code;
		struct mg_waf_ruleset *rs;
		int en;
		PCRE2_SIZE eo;

		snprintf(text, sizeof(text), "SecRule ARGS \"@rx %s\" "
			 "\"id:1,phase:2,capture\"\n", pats[k]);
		rs = mg_waf_load_text("t.conf", text, &conf, err, sizeof(err));
		MG_CHECK(rs && rs->regexes[waf_test_rule(rs, 1)->op_data].match_all);
		mg_waf_ruleset_free(rs);
		code = pcre2_compile((PCRE2_SPTR)pats[k], PCRE2_ZERO_TERMINATED,
				     PCRE2_DOTALL | PCRE2_MULTILINE, &en, &eo,
				     NULL);
		for (unsigned i = 0; code && i < 5000; i++) {
			uint8_t v[24];
			size_t len = i == 0 ? 0 : (size_t)(rand() % 24);
			PCRE2_SIZE *ov;

			for (size_t j = 0; j < len; j++)
				v[j] = (uint8_t)alphabet[rand() %
						(sizeof(alphabet) - 1)];
			if (pcre2_match(code, v, len, 0, 0, md, NULL) < 1) {
				bad++;
				continue;
			}
			ov = pcre2_get_ovector_pointer(md);
			bad += ov[0] != 0 || ov[1] != len;
		}
		pcre2_code_free(code);
	}
	MG_CHECK_EQ(bad, 0);
	pcre2_match_data_free(md);
}

/*
 * A worker keeps its last t:sha1 and t:md5: the digests of a run of
 * User-Agents, new, repeated and alternating, are what OpenSSL says (an
 * empty one too: transformations that make something of nothing run on
 * empty values).
 */
static void
test_digest_memo(void)
{
	static const char rules[] =
		"SecRule REQUEST_HEADERS:User-Agent \"@rx ^.*$\" \"id:1,"
		"phase:1,pass,log,t:none,t:sha1,t:hexEncode,logdata:%{MATCHED_VAR}\"\n"
		"SecRule REQUEST_HEADERS:User-Agent \"@rx ^.*$\" \"id:2,"
		"phase:1,pass,log,t:none,t:md5,t:hexEncode,logdata:%{MATCHED_VAR}\"\n";
	static const char *const agents[] = { "curl/8.0", "Mozilla/5.0",
		"Mozilla/5.0", "curl/8.0", "", "Mozilla/5.0" };
	struct mg_waf_conf conf = { 0 };
	struct mg_waf_ruleset *rs = mg_waf_load_text("t.conf", rules, &conf,
						     err, sizeof(err));
	struct mg_waf_ctx *ctx = rs ? mg_waf_ctx_create(rs, &conf) : NULL;
	unsigned bad = 0;

	MG_CHECK(ctx != NULL);
	for (unsigned i = 0; ctx && i < 6; i++) {
		const EVP_MD *md[2] = { EVP_sha1(), EVP_md5() };
		struct mg_waf_result res;
		char req[256];

		snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: h\r\n"
			 "User-Agent: %s\r\n\r\n", agents[i]);
		mg_waf_eval(ctx, (const uint8_t *)req, strlen(req), NULL, &res);
		MG_CHECK_EQ(res.n_matches, 2);
		for (unsigned k = 0; k < 2 && k < res.n_matches; k++) {
			uint8_t d[EVP_MAX_MD_SIZE];
			char hex[2 * EVP_MAX_MD_SIZE + 1];
			unsigned n = 0;

			EVP_Digest(agents[i], strlen(agents[i]), d, &n, md[k],
				   NULL);
			for (unsigned j = 0; j < n; j++)
				snprintf(hex + 2 * j, 3, "%02x", d[j]);
			bad += strcmp(res.matches[k].data, hex) != 0;
		}
	}
	MG_CHECK_EQ(bad, 0);
	mg_waf_ctx_free(ctx);
	mg_waf_ruleset_free(rs);
}

/*
 * Operators of the value's bytes alone run in the scan: their rules are
 * grouped (not inside a chain), visited only where they matched, and
 * give what they give on their own: negated, with multiMatch and a
 * capture, with an excluded target, twice in a row (the second from the
 * scan memo), against the same rules with no scan set.
 */
static void
test_scan_operators(void)
{
	static const char text[] =
		"SecRule ARGS|!ARGS:pw \"@detectSQLi\" \"id:11,phase:2,pass,"
		"capture,multiMatch,t:none,t:urlDecodeUni,"
		"logdata:'%{TX.0} in %{MATCHED_VAR_NAME}'\"\n"
		"SecRule ARGS_NAMES|REQUEST_HEADERS:User-Agent \"@detectXSS\" "
		"\"id:12,phase:2,pass,capture,t:none,t:urlDecodeUni,"
		"logdata:'%{TX.0}|%{MATCHED_VAR_NAME}'\"\n"
		"SecRule ARGS \"!@validateByteRange 48-57\" \"id:13,phase:2,"
		"pass,logdata:'%{MATCHED_VAR_NAME}'\"\n"
		"SecRule REQUEST_URI \"@validateUrlEncoding\" \"id:14,phase:1,"
		"pass\"\n"
		"SecRule ARGS \"@rx x\" \"id:15,phase:2,pass,chain\"\n"
		"  SecRule ARGS \"@validateUtf8Encoding\" \"t:none\"\n";
	static const struct {
		const char *req, *want;
	} cases[] = {
		/* 11 on q decoded, not on pw (excluded); 13 on n alone */
		{ "GET /?q=1%27%20or%201%3D1--&pw=1%27%20or%201%3D1--&n=123 "
		  "HTTP/1.1\r\nHost: a\r\n\r\n", "11,13" },
		/* 12 on the decoded name, not on the User-Agent */
		{ "GET /?%3Cscript%3Ealert(1)%3C/script%3E=7 HTTP/1.1\r\n"
		  "Host: a\r\nUser-Agent: curl/8\r\n\r\n", "12,13" },
		{ "GET /a%zz HTTP/1.1\r\nHost: a\r\n\r\n", "14" },
		{ "GET /?a=b HTTP/1.1\r\nHost: a\r\n\r\n", "" },
		/* the chain's link runs after its head only */
		{ "GET /?a=x%FF HTTP/1.1\r\nHost: a\r\n\r\n", "15" },
	};
	struct scan_pair p;
	const struct mg_waf_ruleset *rs;

	if (!pair_load(&p, text))
		goto out;
	rs = p.rs;
	for (uint32_t id = 11; id <= 14; id++)
		MG_CHECK(waf_test_rule(rs, id)->group != WAF_NONE);
	MG_CHECK(waf_test_rule(rs, 15)->group != WAF_NONE);
	MG_CHECK(rs->rules[waf_test_rule(rs, 15)->next].group == WAF_NONE);
	MG_CHECK_EQ(rs->stats.scan_ops, 4);
	/* the raw and the decoded form of the value */
	MG_CHECK_EQ(__builtin_popcountll(waf_test_rule(rs, 11)->chains), 2);
	for (unsigned i = 0; i < 2 * 5; i++) {
		const char *q = cases[i % 5].req;
		struct mg_waf_result res;

		MG_CHECK(same_result(p.ctx, p.ref_ctx, q, "scan operators",
				     i));
		expect_ids(p.ctx, q, strlen(q), &res, cases[i % 5].want,
			   "scan operators");
		if (i % 5 == 0) {
			/* the fingerprint, captured on the decoded form */
			MG_CHECK_EQ(res.n_matches, 2);
			MG_CHECK(strstr(res.matches[0].data, " in ARGS:q") &&
				 strncmp(res.matches[0].data, " in", 3) != 0);
			MG_CHECK(strcmp(res.matches[1].data, "ARGS:n") == 0);
		}
		if (i % 5 == 1)	/* captured again once the scan matched */
			MG_CHECK(res.n_matches > 0 &&
				 strncmp(res.matches[0].data,
					 "<script>alert(1)</script>|", 26) == 0);
	}
	MG_CHECK(mg_waf_counter(p.ctx, MG_WAF_C_SCAN_MEMO_HIT) > 0);
out:
	pair_free(&p);
}

/*
 * A trigger byte anywhere in a value of any length makes its
 * transformation run, in the scan and rule by rule: ARGS a is x..x+Y..Y,
 * which 1 matches once urlDecodeUni made the + a space, and 2 once
 * lowercase ran on that.
 */
static void
test_trigger_positions(void)
{
	static const char text[] =
		"SecRule ARGS \"@rx ^x* Y*$\" \"id:1,phase:2,pass,"
		"t:urlDecodeUni\"\n"
		"SecRule ARGS \"@rx ^x* y*$\" \"id:2,phase:2,pass,"
		"t:urlDecodeUni,t:lowercase\"\n";

	for (int mode = 0; mode < 2; mode++) {
		struct mg_waf_conf conf = { .no_scan_sets = mode == 1 };
		struct mg_waf_ruleset *rs;
		struct mg_waf_ctx *ctx = NULL;

		rs = mg_waf_load_text("t.conf", text, &conf, err, sizeof(err));
		MG_CHECK(rs != NULL);
		if (rs)
			ctx = mg_waf_ctx_create(rs, &conf);
		for (unsigned k = 0; ctx && k < 10; k++)
			for (unsigned m = 0; m < 10; m++) {
				struct mg_waf_result res;
				char req[128];
				int n;

				n = snprintf(req, sizeof(req), "GET /?a=%.*s%%2B"
					     "%.*s HTTP/1.1\r\nHost: a\r\n\r\n",
					     (int)k, "xxxxxxxxx", (int)m,
					     "YYYYYYYYY");
				expect_ids(ctx, req, (size_t)n, &res, "1,2",
					   mode ? "trigger, rule by rule" :
						  "trigger, scan");
			}
		mg_waf_ctx_free(ctx);
		mg_waf_ruleset_free(rs);
	}
}

/*
 * A large target's light chains have a database of their own: an output
 * only they read is scanned with it, any other with the target's; the
 * same matches as without scan sets either way.
 */
static void
test_light_chains(void)
{
	static const struct {
		const char *req, *want;
	} cases[] = {
		/* "secret" through base64Decode alone: the light database */
		{ "GET /?a=c2VjcmV0 HTTP/1.1\r\nHost: a\r\n\r\n", "100" },
		/* one output for none and lowercase: the target's database */
		{ "GET /?a=word5 HTTP/1.1\r\nHost: a\r\n\r\n", "6,101" },
		/* "word5" decoded, read through base64Decode alone */
		{ "GET /?a=d29yZDU= HTTP/1.1\r\nHost: a\r\n\r\n", "101" },
		/* lowercase gives its own output, none the light one */
		{ "GET /?a=WORD7 HTTP/1.1\r\nHost: a\r\n\r\n", "8" },
	};
	const struct waf_target *t;
	struct scan_pair p;
	char text[8192];
	size_t n = 0;

	for (unsigned i = 0; i < 70; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
			"SecRule ARGS \"@rx word%u\\b\" \"id:%u,phase:2,"
			"pass,t:lowercase\"\n", i, i + 1);
	snprintf(text + n, sizeof(text) - n,
		 "SecRule ARGS \"@rx ^secret$\" \"id:100,phase:2,pass,"
		 "t:base64Decode\"\n"
		 "SecRule ARGS \"@rx ^word5$\" \"id:101,phase:2,pass,"
		 "multiMatch,t:base64Decode\"\n");
	if (!pair_load(&p, text))
		goto out;
	/* none and base64Decode light, lowercase not */
	MG_CHECK_EQ(p.rs->scan[2].n_targets, 1);
	t = &p.rs->scan[2].targets[0];
	MG_CHECK_EQ(t->n_pats, 72);
	MG_CHECK_EQ(__builtin_popcountll(t->light), 2);
	MG_CHECK(t->light_db != NULL);
	MG_CHECK_EQ(p.rs->stats.light_groups, 1);
	for (unsigned i = 0; i < 2 * 4; i++) {
		const char *q = cases[i % 4].req;
		struct mg_waf_result res;

		MG_CHECK(same_result(p.ctx, p.ref_ctx, q, "light chains", i));
		expect_ids(p.ctx, q, strlen(q), &res, cases[i % 4].want,
			   "light chains");
	}
out:
	pair_free(&p);
}

/*
 * A selector of XML read by rules of two tiers gives its values once:
 * each rule matches them once (they were taken once per tier's target,
 * and matched twice).
 */
static void
test_xml_tiers(void)
{
	static const char text[] =
		"SecRequestBodyAccess On\n"
		"SecRule REQUEST_HEADERS:Content-Type \"@rx ^text/xml\" "
		"\"id:1,phase:1,pass,nolog,ctl:requestBodyProcessor=XML\"\n"
		"SecRule XML:/* \"@rx evil\" \"id:10,phase:2,pass,"
		"setvar:tx.n=+1,tag:'paranoia-level/1'\"\n"
		"SecRule XML:/* \"@rx nothing\" \"id:11,phase:2,pass,"
		"tag:'paranoia-level/2'\"\n"
		"SecRule TX:n \"@eq 1\" \"id:12,phase:2,pass\"\n";
	static const char req[] =
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Type: text/xml\r\n"
		"Content-Length: 11\r\n\r\n<a>evil</a>";
	struct mg_waf_conf conf = { 0 };
	struct mg_waf_ruleset *rs;
	struct mg_waf_ctx *ctx = NULL;
	struct mg_waf_result res;

	rs = mg_waf_load_text("t.conf", text, &conf, err, sizeof(err));
	MG_CHECK(rs != NULL);
	if (rs == NULL) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	ctx = mg_waf_ctx_create(rs, &conf);
	MG_CHECK(ctx != NULL);
	if (ctx)
		expect_ids(ctx, req, sizeof(req) - 1, &res, "10,12",
			   "XML in two tiers");
	mg_waf_ctx_free(ctx);
	mg_waf_ruleset_free(rs);
}

int
main(void)
{
	test_digest_memo();
	test_match_all();
	test_word_selectors();
	test_long_chains();
	test_grouping();
	test_scan_operators();
	test_xml_tiers();
	test_light_chains();
	test_triggers();
	test_trigger_positions();
	test_cache();
	test_crs_differential();
	return mg_test_done("test_waf_scan");
}
