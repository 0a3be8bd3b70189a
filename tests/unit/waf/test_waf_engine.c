/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The rule engine on small hand-written rule sets: chains, skipAfter,
 * setvar and its macros, captures, ctl, multiMatch, exclusions, anomaly
 * scoring as CRS does it, verdicts and the audit record, rules decided at
 * load. Every case runs twice, with the Hyperscan scan sets and the rules
 * folded at load, and with every rule evaluated on its own by PCRE2 on
 * every request, and both must agree.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mg_test.h"
#include "mg_waf.h"

static char err[MG_WAF_ERRLEN];

/* "1,2,3" of the logged rule ids */
struct run {
	struct mg_waf_result res;
	char ids[256];
	char audit[4096];
	int rc;
};

/* A context for rules; mode 1: no scan sets, nothing decided at load.
 * NULL (a failure counted) when they do not load. */
static struct mg_waf_ctx *
load(const char *rules, int mode, struct mg_waf_ruleset **rs, int line)
{
	struct mg_waf_conf conf = { .no_scan_sets = mode == 1,
				    .no_fold = mode == 1 };
	struct mg_waf_ctx *ctx;

	*rs = mg_waf_load_text("t.conf", rules, &conf, err, sizeof(err));
	if (*rs == NULL) {
		fprintf(stderr, "%s:%d: %s\n", __FILE__, line, err);
		mg_test_failures++;
		return NULL;
	}
	ctx = mg_waf_ctx_create(*rs, &conf);
	if (ctx == NULL) {
		mg_waf_ruleset_free(*rs);
		mg_test_failures++;
	}
	return ctx;
}

/* Load rules, evaluate req; both engines; 0 when they agree. */
static int
run2(const char *rules, const char *req, struct run *out, int line)
{
	struct run r[2];

	for (int mode = 0; mode < 2; mode++) {
		struct mg_waf_ruleset *rs;
		struct mg_waf_ctx *ctx = load(rules, mode, &rs, line);

		if (ctx == NULL)
			return -1;
		r[mode].rc = mg_waf_eval(ctx, (const uint8_t *)req,
					 strlen(req), NULL, &r[mode].res);
		mg_waf_rule_ids(&r[mode].res, r[mode].ids, sizeof(r[mode].ids));
		mg_waf_audit_json(ctx, &r[mode].res, r[mode].audit,
				  sizeof(r[mode].audit));
		/* the result's strings live in the context: copy first */
		mg_waf_ctx_free(ctx);
		mg_waf_ruleset_free(rs);
	}
	mg_test_checks++;
	if (strcmp(r[0].ids, r[1].ids) != 0 || r[0].rc != r[1].rc) {
		fprintf(stderr, "%s:%d: Hyperscan [%s] rc %d, PCRE2 [%s] rc "
			"%d\n", __FILE__, line, r[0].ids, r[0].rc, r[1].ids,
			r[1].rc);
		mg_test_failures++;
	}
	*out = r[0];
	return 0;
}

/* Evaluate and compare the fired ids with want ("" for none). */
static void
expect(const char *rules, const char *req, const char *want, int verdict,
       int line)
{
	struct run r;

	if (run2(rules, req, &r, line) < 0)
		return;
	mg_test_checks += 2;
	if (strcmp(r.ids, want) != 0) {
		fprintf(stderr, "%s:%d: fired [%s], want [%s]\n", __FILE__,
			line, r.ids, want);
		mg_test_failures++;
	}
	if (r.rc != verdict) {
		fprintf(stderr, "%s:%d: verdict %d, want %d\n", __FILE__, line,
			r.rc, verdict);
		mg_test_failures++;
	}
}
#define EXPECT(rules, req, want, verdict) \
	expect(rules, req, want, verdict, __LINE__)

static const char get_attack[] =
	"GET /a.php?q=1%20union%20select%20pw&id=42&x=SAFE HTTP/1.1\r\n"
	"Host: example.com\r\nUser-Agent: t\r\nCookie: s=abc; t=def\r\n\r\n";
static const char get_benign[] =
	"GET /a.php?q=books&id=7 HTTP/1.1\r\nHost: example.com\r\n\r\n";

/* CRS-style anomaly scoring: scores add up, the last rule blocks. */
static const char scoring[] =
	"SecDefaultAction \"phase:1,log,auditlog,pass\"\n"
	"SecDefaultAction \"phase:2,log,auditlog,pass\"\n"
	"SecAction \"id:900,phase:1,nolog,pass,"
	"setvar:tx.critical_anomaly_score=5,"
	"setvar:tx.inbound_anomaly_score_threshold=5\"\n"
	"SecRule ARGS \"@rx (?i)union\\s+select\" \"id:1001,phase:2,block,"
	"capture,t:none,t:urlDecodeUni,"
	"msg:'SQLi',logdata:'Matched %{TX.0} in %{MATCHED_VAR_NAME}',"
	"setvar:'tx.anomaly_score=+%{tx.critical_anomaly_score}'\"\n"
	"SecRule ARGS|REQUEST_HEADERS \"@pm passwd shadow\" \"id:1002,"
	"phase:2,block,t:lowercase,"
	"setvar:'tx.anomaly_score=+%{tx.critical_anomaly_score}'\"\n"
	"SecRule TX:ANOMALY_SCORE \"@ge %{tx.inbound_anomaly_score_threshold}\" "
	"\"id:1949,phase:2,deny,log,msg:'score %{TX.ANOMALY_SCORE}'\"\n";

static void
test_scoring(void)
{
	struct run r;

	EXPECT(scoring, get_benign, "", MG_WAF_PASS);
	EXPECT(scoring, get_attack, "1001,1949", MG_WAF_DENY);
	if (run2(scoring, get_attack, &r, __LINE__) == 0) {
		MG_CHECK_EQ(r.res.status, 403);
		MG_CHECK_EQ(r.res.anomaly_score, 5);
		MG_CHECK_EQ(r.res.rule_id, 1949);
		MG_CHECK(strstr(r.audit, "\"rule_ids\":[1001,1949]") != NULL);
		MG_CHECK(strstr(r.audit, "Matched union select in ARGS:q"));
		MG_CHECK(strstr(r.audit, "score 5"));
	}
	/* two matching values: setvar runs for each */
	EXPECT(scoring,
	       "GET /?a=etc/passwd&b=x HTTP/1.1\r\nHost: h\r\n"
	       "X-Path: /ETC/SHADOW\r\n\r\n", "1002,1949", MG_WAF_DENY);
	if (run2(scoring, "GET /?a=etc/passwd HTTP/1.1\r\nHost: h\r\n"
		 "X-Path: /ETC/SHADOW\r\n\r\n", &r, __LINE__) == 0)
		MG_CHECK_EQ(r.res.anomaly_score, 10);
	/* detection only: the same rules, no verdict */
	{
		char text[2048];

		snprintf(text, sizeof(text), "SecRuleEngine DetectionOnly\n%s",
			 scoring);
		if (run2(text, get_attack, &r, __LINE__) == 0) {
			MG_CHECK_EQ(r.rc, MG_WAF_PASS);
			MG_CHECK_EQ(r.res.would_block, 1);
			MG_CHECK_EQ(r.res.detect_only, 1);
			MG_CHECK(strcmp(r.ids, "1001,1949") == 0);
		}
	}
}

static void
test_chains(void)
{
	/* the head's setvar runs before the chained rule reads it */
	static const char rules[] =
		"SecRule REQUEST_HEADERS:Host \"@rx ^([a-z]+)\\.com$\" "
		"\"id:1,phase:1,pass,log,capture,"
		"setvar:'tx.site=%{tx.1}',chain\"\n"
		"  SecRule TX:site \"@streq example\" \"chain\"\n"
		"  SecRule ARGS:id \"@eq 42\" \"setvar:tx.hit=1\"\n"
		"SecRule TX:hit \"@eq 1\" \"id:2,phase:2,pass,log\"\n"
		"SecRule TX:site \"@streq example\" \"id:3,phase:2,pass,log\"\n";

	EXPECT(rules, get_attack, "1,2,3", MG_WAF_PASS);
	/* the last link fails: no id 1, no tx.hit; tx.site stays set */
	EXPECT(rules, get_benign, "3", MG_WAF_PASS);
}

static void
test_skip(void)
{
	static const char rules[] =
		"SecAction \"id:10,phase:1,pass,nolog,setvar:tx.pl=1\"\n"
		"SecRule TX:pl \"@lt 2\" \"id:11,phase:1,pass,nolog,"
		"skipAfter:END-PL2\"\n"
		"SecRule REQUEST_URI \"@rx a\" \"id:12,phase:1,pass,log\"\n"
		"SecMarker END-PL2\n"
		"SecRule REQUEST_URI \"@rx a\" \"id:13,phase:1,pass,log,skip:1\"\n"
		"SecRule REQUEST_URI \"@rx a\" \"id:14,phase:1,pass,log\"\n"
		"SecRule REQUEST_URI \"@rx a\" \"id:15,phase:1,pass,log\"\n"
		"SecRule REQUEST_URI \"@rx zzz\" \"id:16,phase:1,pass,log,"
		"skipAfter:END-PL2\"\n"
		"SecRule REQUEST_URI \"@rx a\" \"id:17,phase:2,pass,log\"\n";

	/* 11 skips 12; 13 skips 14; 16 does not match; phase 2 runs */
	EXPECT(rules, get_benign, "13,15,17", MG_WAF_PASS);
}

static void
test_setvar(void)
{
	static const char rules[] =
		"SecAction \"id:1,phase:1,pass,nolog,setvar:tx.n=10,"
		"setvar:tx.n=-3,setvar:tx.n=+%{tx.n},setvar:tx.gone=1,"
		"setvar:!tx.gone,setvar:tx.one,"
		"setvar:'tx.h_%{request_headers.host}=%{rule.id}'\"\n"
		"SecRule TX:n \"@eq 14\" \"id:2,phase:1,pass,log\"\n"
		"SecRule &TX:gone \"@eq 0\" \"id:3,phase:1,pass,log\"\n"
		"SecRule TX:one \"@streq 1\" \"id:4,phase:1,pass,log\"\n"
		"SecRule TX:h_example.com \"@streq 1\" \"id:5,phase:1,pass,log\"\n"
		"SecRule ARGS \"@rx ^\\d+$\" \"id:6,phase:2,pass,log,"
		"setvar:'tx.last=%{MATCHED_VAR_NAME}=%{MATCHED_VAR}'\"\n"
		"SecRule TX:last \"@streq ARGS:id=42\" \"id:7,phase:2,pass,log\"\n"
		"SecRule &TX:/^h_/ \"@eq 1\" \"id:8,phase:2,pass,log\"\n";

	EXPECT(rules, get_attack, "2,3,4,5,6,7,8", MG_WAF_PASS);
	/* a value rewritten in place, as long as before: the bytes of the
	 * old one must not decide what a transformation may change */
	EXPECT("SecRule REQUEST_METHOD \"@rx .\" \"id:1,phase:1,pass,nolog,"
	       "setvar:tx.v=abc\"\n"
	       "SecRule TX:v \"@streq abc\" \"id:2,phase:1,pass,log,"
	       "t:urlDecodeUni\"\n"
	       "SecRule REQUEST_METHOD \"@rx .\" \"id:3,phase:1,pass,nolog,"
	       "setvar:tx.v=%41\"\n"
	       "SecRule TX:v \"@streq A\" \"id:4,phase:1,pass,log,"
	       "t:urlDecodeUni\"\n", get_benign, "2,4", MG_WAF_PASS);
}

static void
test_ctl(void)
{
	static const char rules[] =
		"SecRule REQUEST_URI \"@beginsWith /a.php\" \"id:1,phase:1,pass,"
		"nolog,ctl:ruleRemoveById=3,ctl:ruleRemoveTargetById=4;ARGS:q,"
		"ctl:ruleRemoveByTag=gone,"
		"ctl:ruleRemoveTargetByTag=t6;REQUEST_COOKIES\"\n"
		"SecRule ARGS \"@rx union\" \"id:2,phase:2,pass,log\"\n"
		"SecRule ARGS \"@rx union\" \"id:3,phase:2,pass,log\"\n"
		"SecRule ARGS \"@rx union\" \"id:4,phase:2,pass,log\"\n"
		"SecRule ARGS \"@rx union\" \"id:5,phase:2,pass,log,tag:'gone'\"\n"
		"SecRule REQUEST_COOKIES|ARGS:x \"@rx ^(abc|SAFE)$\" \"id:6,"
		"phase:2,pass,log,tag:'t6'\"\n"
		"SecRule REQUEST_COOKIES \"@rx ^abc$\" \"id:7,phase:2,pass,log,"
		"ctl:ruleEngine=Off\"\n"
		"SecRule ARGS \"@rx .\" \"id:8,phase:2,pass,log\"\n";

	EXPECT(rules, get_attack, "2,6,7", MG_WAF_PASS);
	/* ctl:ruleRemoveTargetById also takes a range */
	EXPECT("SecAction \"id:1,phase:1,pass,nolog,"
	       "ctl:ruleRemoveTargetById=10-19;ARGS:q\"\n"
	       "SecRule ARGS \"@rx union\" \"id:15,phase:2,pass,log\"\n"
	       "SecRule ARGS \"@rx union\" \"id:20,phase:2,pass,log\"\n",
	       get_attack, "20", MG_WAF_PASS);
}

static void
test_body(void)
{
	static const char rules[] =
		"SecRule REQUEST_HEADERS:Content-Type \"@rx ^text/x-json\" "
		"\"id:1,phase:1,pass,nolog,ctl:requestBodyProcessor=JSON\"\n"
		"SecRule REQBODY_PROCESSOR \"@streq JSON\" \"id:2,phase:2,pass,"
		"log\"\n"
		"SecRule ARGS:json.user.name \"@rx ^bob$\" \"id:3,phase:2,pass,"
		"log\"\n"
		"SecRule ARGS_NAMES \"@rx ^json\\.a\\.array_1$\" \"id:4,phase:2,pass,"
		"log\"\n";
	static const char req[] =
		"POST /x HTTP/1.1\r\nHost: h\r\nContent-Type: text/x-json\r\n"
		"Content-Length: 36\r\n\r\n"
		"{\"user\":{\"name\":\"bob\"},\"a\":[1,2]}  ";

	EXPECT(rules, req, "2,3,4", MG_WAF_PASS);
	/* urlencoded by Content-Type, a deny in phase 1 ends the request */
	EXPECT("SecRule REQUEST_METHOD \"@streq POST\" \"id:1,phase:1,deny,"
	       "status:405,log\"\n"
	       "SecRule ARGS \"@rx .\" \"id:2,phase:2,pass,log\"\n",
	       "POST / HTTP/1.1\r\nHost: h\r\nContent-Type: "
	       "application/x-www-form-urlencoded\r\nContent-Length: 3\r\n\r\n"
	       "a=b", "1", MG_WAF_DENY);
}

static void
test_operators(void)
{
	static const char rules[] =
		"SecRule &ARGS \"@eq 3\" \"id:1,phase:2,pass,log\"\n"
		"SecRule ARGS:id \"!@within 1 2 3\" \"id:2,phase:2,pass,log\"\n"
		"SecRule REQUEST_METHOD \"@within GET HEAD\" \"id:3,phase:1,"
		"pass,log\"\n"
		"SecRule ARGS|!ARGS:q \"@rx ^\\d+$\" \"id:4,phase:2,pass,log\"\n"
		"SecRule REQUEST_COOKIES:/^[st]$/ \"@rx ^def$\" \"id:5,phase:2,"
		"pass,log\"\n"
		"SecRule ARGS:x \"@rx ^safe$\" \"id:6,phase:2,pass,log,"
		"t:lowercase,multiMatch\"\n"
		"SecRule ARGS:x \"@validateByteRange 65-90\" \"id:7,phase:2,"
		"pass,log\"\n"
		"SecRule ARGS:q \"@validateByteRange 32-126\" \"id:8,phase:2,"
		"pass,log\"\n"
		"SecRule REQUEST_URI \"@validateUrlEncoding\" \"id:9,phase:1,"
		"pass,log\"\n"
		"SecRule REMOTE_ADDR \"@ipMatch 192.0.2.0/24,::1\" \"id:10,"
		"phase:1,pass,log\"\n"
		"SecRule ARGS:q \"@containsWord select\" \"id:11,phase:2,pass,"
		"log,t:urlDecodeUni\"\n"
		"SecRule REQUEST_FILENAME \"@endsWith .php\" \"id:12,phase:1,"
		"pass,log\"\n"
		"SecRule REQUEST_HEADERS:User-Agent \"@unconditionalMatch\" "
		"\"id:13,phase:1,pass,log\"\n"
		"SecRule REQUEST_HEADERS_NAMES \"@pm cookie\" \"id:14,phase:1,"
		"pass,log\"\n";

	static const char excl[] =
		"SecRule ARGS|!ARGS:q \"@rx ^\\d+$\" \"id:1,phase:2,pass,log\"\n"
		"SecRule REQUEST_COOKIES|!REQUEST_COOKIES:/__utm/ \"@rx evil\" "
		"\"id:2,phase:2,pass,log\"\n";

	EXPECT(rules, get_attack, "3,12,13,14,1,2,4,5,6,11", MG_WAF_PASS);
	/* t:lowercase alone: no upper case (the value as it is), upper
	 * case after a lower-case start, upper case first */
	EXPECT("SecRule ARGS:a \"@streq mixed-case\" \"id:1,phase:2,pass,log,"
	       "t:lowercase\"\n"
	       "SecRule ARGS:b \"@streq mixed-case\" \"id:2,phase:2,pass,log,"
	       "t:lowercase\"\n"
	       "SecRule ARGS:c \"@streq mixed-case\" \"id:3,phase:2,pass,log,"
	       "t:lowercase\"\n",
	       "GET /?a=mixed-case&b=mixed-CASE&c=MIXED-case HTTP/1.1\r\n"
	       "Host: h\r\n\r\n", "1,2,3", MG_WAF_PASS);
	/* @validateByteRange: a disallowed byte in each quarter of the
	 * byte range, on the request's values and on a transformation's
	 * output (e is "%C3%A9" once the query is decoded) */
	EXPECT("SecRule ARGS:e \"@validateByteRange 1-127\" \"id:1,phase:2,"
	       "pass,log\"\n"
	       "SecRule ARGS:e \"@validateByteRange 1-127\" \"id:2,phase:2,"
	       "pass,log,t:urlDecodeUni\"\n"
	       "SecRule ARGS:c \"@validateByteRange 32-64,66-255\" \"id:3,"
	       "phase:2,pass,log\"\n"
	       "SecRule ARGS:b \"@validateByteRange 0-254\" \"id:4,phase:2,"
	       "pass,log\"\n"
	       "SecRule ARGS:d \"@validateByteRange 32-255\" \"id:5,phase:2,"
	       "pass,log\"\n"
	       "SecRule ARGS:a \"@validateByteRange 1-127,192-255\" \"id:6,"
	       "phase:2,pass,log\"\n"
	       "SecRule ARGS:c|ARGS:e \"@validateByteRange 37-126\" \"id:7,"
	       "phase:2,pass,log\"\n",
	       "GET /?a=%C3%A9&b=%FF&c=A&d=%01&e=%25C3%25A9 HTTP/1.1\r\n"
	       "Host: h\r\n\r\n", "2,3,4,5,6", MG_WAF_PASS);
	/* exclusions: the excluded values alone match nothing */
	EXPECT(excl, "GET /?q=5 HTTP/1.1\r\nHost: h\r\n"
	       "Cookie: __utma=evil\r\n\r\n", "", MG_WAF_PASS);
	EXPECT(excl, "GET /?q=5&n=6 HTTP/1.1\r\nHost: h\r\n"
	       "Cookie: __utma=evil; s=evil\r\n\r\n", "1,2", MG_WAF_PASS);
	EXPECT(rules, "GET /a.php?q=%zz HTTP/1.1\r\nHost: h\r\n\r\n",
	       "3,9,12", MG_WAF_PASS);
	/* a peer in 192.0.2.0/24 */
	{
		struct mg_waf_conf conf = { 0 };
		struct mg_waf_conn conn = { .remote_addr = "192.0.2.7" };
		struct mg_waf_ruleset *rs = mg_waf_load_text("t.conf", rules,
							     &conf, err,
							     sizeof(err));
		struct mg_waf_ctx *ctx = rs ? mg_waf_ctx_create(rs, &conf) :
					 NULL;
		struct mg_waf_result res;
		char ids[256];

		MG_CHECK(ctx != NULL);
		if (ctx) {
			mg_waf_eval(ctx, (const uint8_t *)get_benign,
				    strlen(get_benign), &conn, &res);
			mg_waf_rule_ids(&res, ids, sizeof(ids));
			MG_CHECK(strcmp(ids, "3,10,12,2,4") == 0);
		}
		mg_waf_ctx_free(ctx);
		mg_waf_ruleset_free(rs);
	}
}

static void
test_allow_and_redirect(void)
{
	EXPECT("SecRule REQUEST_URI \"@beginsWith /a\" \"id:1,phase:1,"
	       "allow,log\"\n"
	       "SecRule REQUEST_URI \"@rx .\" \"id:2,phase:1,deny,log\"\n"
	       "SecRule REQUEST_URI \"@rx .\" \"id:3,phase:2,deny,log\"\n",
	       get_benign, "1", MG_WAF_PASS);
	/* allow:phase ends phase 1 only */
	EXPECT("SecRule REQUEST_URI \"@beginsWith /a\" \"id:1,phase:1,"
	       "allow:phase,log\"\n"
	       "SecRule REQUEST_URI \"@rx .\" \"id:2,phase:1,deny,log\"\n"
	       "SecRule REQUEST_URI \"@rx .\" \"id:3,phase:2,deny,log\"\n",
	       get_benign, "1,3", MG_WAF_DENY);
	{
		struct run r;

		if (run2("SecDefaultAction \"phase:1,log,redirect:"
			 "'http://%{request_headers.host}/blocked'\"\n"
			 "SecRule ARGS:id \"@eq 7\" \"id:1,phase:1,block\"\n",
			 get_benign, &r, __LINE__) == 0) {
			MG_CHECK_EQ(r.rc, MG_WAF_REDIRECT);
			MG_CHECK_EQ(r.res.status, 302);
		}
	}
}

/* The audit record names the correlation header of the replay tools. */
static void
test_audit(void)
{
	struct run r;

	if (run2(scoring, "GET /?q=union%20select HTTP/1.1\r\nHost: h\r\n"
		 "X-CRS-Test: 942100-1-abc\r\n\r\n", &r, __LINE__) == 0) {
		MG_CHECK(strstr(r.audit, "\"correlation\":\"942100-1-abc\""));
		MG_CHECK(strstr(r.audit, "\"verdict\":\"deny\""));
		MG_CHECK(strstr(r.audit, "\"anomaly_score\":5"));
	}
}

/* A strict JSON reader: the end of the value at p, or NULL */
static const char *
json_value(const char *p, int depth);

static const char *
json_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static const char *
json_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	for (; *p != '"'; p++) {
		if ((unsigned char)*p < 0x20)
			return NULL;	/* the end of the text, or a raw control */
		if (*p != '\\')
			continue;
		p++;
		if (*p == 'u') {
			for (int i = 1; i <= 4; i++)
				if (!strchr("0123456789abcdefABCDEF", p[i]) ||
				    p[i] == '\0')
					return NULL;
			p += 4;
		} else if (!*p || !strchr("\"\\/bfnrt", *p)) {
			return NULL;
		}
	}
	return p + 1;
}

static const char *
json_value(const char *p, int depth)
{
	char close;

	p = json_ws(p);
	if (depth > 32)
		return NULL;
	if (*p == '"')
		return json_string(p);
	if (*p == '-' || (*p >= '0' && *p <= '9')) {
		char *end;

		(void)strtod(p, &end);
		return end > p ? end : NULL;
	}
	if (strncmp(p, "true", 4) == 0 || strncmp(p, "null", 4) == 0)
		return p + 4;
	if (strncmp(p, "false", 5) == 0)
		return p + 5;
	if (*p != '{' && *p != '[')
		return NULL;
	close = *p == '{' ? '}' : ']';
	p = json_ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (close == '}') {
			p = json_string(json_ws(p));
			if (p == NULL || *(p = json_ws(p)) != ':')
				return NULL;
			p++;
		}
		p = json_value(p, depth + 1);
		if (p == NULL)
			return NULL;
		p = json_ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static bool
json_valid(const char *s)
{
	const char *end = json_value(s, 0);

	return end != NULL && *json_ws(end) == '\0';
}

/*
 * A record longer than the caller's line: matches left out whole, the
 * rule ids all there, "truncated" said, and one JSON object whatever
 * the room (the gateway's lines are 2 KiB; a corpus request can match
 * thirty rules with their messages and data).
 */
static void
test_audit_cut(void)
{
	static const size_t caps[] = { 1200, 2048, 4096, 1 << 16 };
	static char rules[16384], line[1 << 16];
	struct mg_waf_ruleset *rs;
	struct mg_waf_ctx *ctx;
	struct mg_waf_result res;
	char req[1024];
	size_t n = 0, full;

	n += (size_t)snprintf(rules + n, sizeof(rules) - n,
			      "SecRuleEngine On\n");
	for (unsigned i = 0; i < 30; i++)
		n += (size_t)snprintf(rules + n, sizeof(rules) - n,
			"SecRule ARGS \"@rx a\" \"id:%u,phase:2,pass,log,"
			"msg:'rule %u says \\\"quoted\\\" things about "
			"%%{MATCHED_VAR_NAME} at some length, to fill a line "
			"of the audit log with more than it can hold',"
			"logdata:'%%{MATCHED_VAR}'\"\n", 7000 + i, i);
	n = (size_t)snprintf(req, sizeof(req), "GET /?q=");
	for (unsigned i = 0; i < 100; i++)
		n += (size_t)snprintf(req + n, sizeof(req) - n, "a%%01%%22");
	snprintf(req + n, sizeof(req) - n, " HTTP/1.1\r\nHost: h\r\n"
		 "X-CRS-Test: %%ff%%00\"\\\r\n\r\n");
	ctx = load(rules, 0, &rs, __LINE__);
	if (ctx == NULL)
		return;
	mg_waf_eval(ctx, (const uint8_t *)req, strlen(req), NULL, &res);
	MG_CHECK_EQ(res.n_matches, 30);
	full = mg_waf_audit_json(ctx, &res, line, sizeof(line));
	MG_CHECK(full > 4096 && full < sizeof(line));
	MG_CHECK(json_valid(line));
	MG_CHECK(strstr(line, "\"truncated\"") == NULL);
	for (unsigned k = 0; k < sizeof(caps) / sizeof(caps[0]); k++) {
		size_t got = mg_waf_audit_json(ctx, &res, line, caps[k]);

		MG_CHECK(got < caps[k]);
		MG_CHECK_EQ(strlen(line), got);
		MG_CHECK(json_valid(line));
		MG_CHECK(strstr(line, "\"rule_ids\":[7000,7001,7002") != NULL);
		MG_CHECK(strstr(line, "7029],\"matches\"") != NULL);
		MG_CHECK((strstr(line, "\"truncated\":true") != NULL) ==
			 (caps[k] <= full));
	}
	mg_waf_ctx_free(ctx);
	mg_waf_ruleset_free(rs);
}

/* One request through rules loaded with conf: its verdict, ids, status */
static int
eval_conf(const char *rules, struct mg_waf_conf *conf, const char *req,
	  char *ids, size_t ids_len, uint16_t *status)
{
	struct mg_waf_ruleset *rs = mg_waf_load_text("t.conf", rules, conf,
						     err, sizeof(err));
	struct mg_waf_ctx *ctx = rs ? mg_waf_ctx_create(rs, conf) : NULL;
	struct mg_waf_result res;
	int rc = -1;

	if (ctx == NULL) {
		fprintf(stderr, "%s\n", err);
		mg_waf_ruleset_free(rs);
		return -1;
	}
	rc = mg_waf_eval(ctx, (const uint8_t *)req, strlen(req), NULL, &res);
	mg_waf_rule_ids(&res, ids, ids_len);
	*status = res.status;
	mg_waf_ctx_free(ctx);
	mg_waf_ruleset_free(rs);
	return rc;
}

/*
 * What a gateway policy gives the loader: rule id ranges left out (as
 * ranges: "1-4294967295" is one directive, not four billion ids), tags
 * left out, targets excluded, and the status of a deny that names none
 * (the rule's own, then SecDefaultAction's, win over it).
 */
static void
test_policy_conf(void)
{
	static const char *rules =
		"SecRuleEngine On\n"
		"SecRule ARGS:a \"@streq x\" \"id:10,phase:1,pass,log\"\n"
		"SecRule ARGS:a \"@streq x\" \"id:20,phase:1,pass,log\"\n"
		"SecRule ARGS:a \"@streq x\" \"id:30,phase:1,pass,log,"
		"tag:'attack-x'\"\n"
		"SecRule ARGS \"@streq x\" \"id:40,phase:1,pass,log\"\n"
		"SecRule ARGS:d \"@streq x\" \"id:50,phase:1,deny\"\n"
		"SecRule ARGS:s \"@streq x\" \"id:60,phase:1,deny,status:429\"\n";
	static const struct mg_waf_id_range ids_15_25[] = { { 15, 25 } };
	static const struct mg_waf_id_range all[] = { { 1, 4294967295u } };
	static const char *const tags[] = { "attack-x" };
	static const struct mg_waf_target_exclusion targets[] = {
		{ .id = 40, .target = "ARGS:a" },
	};
	static const struct mg_waf_target_exclusion by_tag[] = {
		{ .tag = "attack-x", .target = "ARGS:a" },
	};
	struct mg_waf_conf conf = { 0 };
	char ids[256];
	uint16_t status = 0;

	MG_CHECK_EQ(eval_conf(rules, &conf, "GET /?a=x HTTP/1.1\r\nHost: h"
			      "\r\n\r\n", ids, sizeof(ids), &status),
		    MG_WAF_PASS);
	MG_CHECK(strcmp(ids, "10,20,30,40") == 0);
	conf.remove_ids = ids_15_25;
	conf.n_remove_ids = 1;
	conf.remove_tags = tags;
	conf.n_remove_tags = 1;
	conf.remove_targets = targets;
	conf.n_remove_targets = 1;
	MG_CHECK_EQ(eval_conf(rules, &conf, "GET /?a=x&b=x HTTP/1.1\r\n"
			      "Host: h\r\n\r\n", ids, sizeof(ids), &status),
		    MG_WAF_PASS);
	MG_CHECK(strcmp(ids, "10,40") == 0);	/* 40 on b only */
	memset(&conf, 0, sizeof(conf));
	conf.remove_targets = by_tag;	/* 30 (tagged attack-x) leaves ARGS:a */
	conf.n_remove_targets = 1;
	MG_CHECK_EQ(eval_conf(rules, &conf, "GET /?a=x HTTP/1.1\r\n"
			      "Host: h\r\n\r\n", ids, sizeof(ids), &status),
		    MG_WAF_PASS);
	MG_CHECK(strcmp(ids, "10,20,40") == 0);
	conf.remove_ids = all;
	conf.n_remove_ids = 1;
	MG_CHECK_EQ(eval_conf(rules, &conf, "GET /?a=x&d=x HTTP/1.1\r\n"
			      "Host: h\r\n\r\n", ids, sizeof(ids), &status),
		    MG_WAF_PASS);
	MG_CHECK(strcmp(ids, "") == 0);
	memset(&conf, 0, sizeof(conf));
	conf.block_status = 406;
	MG_CHECK_EQ(eval_conf(rules, &conf, "GET /?d=x HTTP/1.1\r\nHost: h"
			      "\r\n\r\n", ids, sizeof(ids), &status),
		    MG_WAF_DENY);
	MG_CHECK_EQ(status, 406);	/* the rule names none */
	MG_CHECK_EQ(eval_conf(rules, &conf, "GET /?s=x HTTP/1.1\r\nHost: h"
			      "\r\n\r\n", ids, sizeof(ids), &status),
		    MG_WAF_DENY);
	MG_CHECK_EQ(status, 429);	/* the rule's own */
	conf.block_status = 0;
	MG_CHECK_EQ(eval_conf(rules, &conf, "GET /?d=x HTTP/1.1\r\nHost: h"
			      "\r\n\r\n", ids, sizeof(ids), &status),
		    MG_WAF_DENY);
	MG_CHECK_EQ(status, 403);
	conf.block_status = 406;
	MG_CHECK_EQ(eval_conf("SecRuleEngine On\n"
			      "SecDefaultAction \"phase:1,log,deny,status:451\"\n"
			      "SecRule ARGS:d \"@streq x\" \"id:70,phase:1,block\"\n",
			      &conf, "GET /?d=x HTTP/1.1\r\nHost: h\r\n\r\n",
			      ids, sizeof(ids), &status), MG_WAF_DENY);
	MG_CHECK_EQ(status, 451);	/* SecDefaultAction's */
}

/* Bad input gets an error and a counter, never a crash. */
static void
test_bad_input(void)
{
	struct mg_waf_conf conf = { 0 };
	struct mg_waf_ruleset *rs = mg_waf_load_text("t.conf", scoring, &conf,
						     err, sizeof(err));
	struct mg_waf_ctx *ctx = rs ? mg_waf_ctx_create(rs, &conf) : NULL;
	struct mg_waf_result res;
	uint8_t junk[300];

	MG_CHECK(ctx != NULL);
	if (ctx == NULL) {
		mg_waf_ruleset_free(rs);
		return;
	}
	MG_CHECK_EQ(mg_waf_eval(ctx, (const uint8_t *)"", 0, NULL, &res),
		    -22);
	MG_CHECK_EQ(mg_waf_counter(ctx, MG_WAF_C_BAD_REQUEST), 1);
	srand(7);
	for (int i = 0; i < 200; i++) {
		for (size_t k = 0; k < sizeof(junk); k++)
			junk[k] = (uint8_t)rand();
		(void)mg_waf_eval(ctx, junk, sizeof(junk), NULL, &res);
	}
	MG_CHECK_EQ(mg_waf_counter(ctx, MG_WAF_C_REQUESTS), 201);
	mg_waf_ctx_free(ctx);
	mg_waf_ruleset_free(rs);
}

/*
 * Rules decided at load (waf_fold.c) decide as they would per request:
 * TX set from constants skips what it should; what a request may change
 * is never folded; a write a runtime rule may skip, or one a runtime
 * rule reads before it, stays in place; ctl:ruleRemoveById still takes
 * out a folded skip rule.
 */
static void
test_fold(void)
{
	static const char skip_by_level[] =
		"SecAction \"id:1,phase:1,pass,nolog,setvar:tx.pl=1\"\n"
		"SecRule TX:pl \"@lt 2\" \"id:2,phase:1,pass,nolog,"
		"skipAfter:END\"\n"
		"SecRule ARGS \"@rx evil\" \"id:3,phase:1,deny,log\"\n"
		"SecMarker END\n"
		"SecRule ARGS \"@rx worse\" \"id:4,phase:1,deny,log\"\n";
	static const char request_sets_tx[] =
		"SecAction \"id:1,phase:1,pass,nolog,setvar:tx.pl=1\"\n"
		"SecRule ARGS:x \"@rx .\" \"id:2,phase:1,pass,nolog,"
		"setvar:tx.pl=5\"\n"
		"SecRule TX:pl \"@eq 5\" \"id:3,phase:1,deny,log\"\n";
	static const char skipped_write[] =
		"SecRule ARGS:skip \"@rx .\" \"id:1,phase:1,pass,nolog,"
		"skipAfter:M\"\n"
		"SecAction \"id:2,phase:1,pass,nolog,setvar:tx.y=1\"\n"
		"SecMarker M\n"
		"SecRule TX:y \"@eq 1\" \"id:3,phase:2,deny,log\"\n";
	static const char read_before_write[] =
		"SecRule REQUEST_METHOD \"@streq GET\" \"id:1,phase:1,deny,"
		"log,chain\"\n"
		"SecRule TX:z \"@eq 1\" \"t:none\"\n"
		"SecAction \"id:2,phase:1,pass,nolog,setvar:tx.z=1\"\n"
		"SecRule TX:z \"@eq 1\" \"id:3,phase:2,pass,log\"\n";
	static const char removed[] =
		"SecAction \"id:1,phase:1,pass,nolog,setvar:tx.pl=1\"\n"
		"SecRule ARGS:rm \"@rx .\" \"id:2,phase:1,pass,nolog,"
		"ctl:ruleRemoveById=3\"\n"
		"SecRule TX:pl \"@lt 2\" \"id:3,phase:1,pass,nolog,"
		"skipAfter:E\"\n"
		"SecRule ARGS \"@rx bad\" \"id:4,phase:1,deny,log\"\n"
		"SecMarker E\n";
	static const char behind_skip[] =
		"SecAction \"id:1,phase:1,pass,nolog,setvar:tx.s=100\"\n"
		"SecRule ARGS:rm \"@rx .\" \"id:2,phase:1,pass,nolog,"
		"ctl:ruleRemoveById=3\"\n"
		"SecRule TX:s \"@eq 100\" \"id:3,phase:1,pass,nolog,"
		"skipAfter:END\"\n"
		"SecRule REQUEST_HEADERS:X-T \"@rx evil\" \"id:4,phase:1,deny,"
		"log\"\n"
		"SecMarker END\n";
	static const char scored[] =
		"SecAction \"id:1,phase:1,pass,nolog,setvar:tx.score=0,"
		"setvar:tx.crit=5\"\n"
		"SecRule ARGS \"@rx bad\" \"id:2,phase:2,pass,log,"
		"setvar:'tx.score=+%{tx.crit}'\"\n"
		"SecRule TX:score \"@ge 10\" \"id:3,phase:2,deny,log\"\n";
	static const char level_scores[] =
		"SecAction \"id:1,phase:1,pass,nolog,setvar:tx.pl=1\"\n"
		"SecRule ARGS \"@rx bad\" \"id:2,phase:2,pass,log,"
		"setvar:'tx.s1=+5'\"\n"
		"SecRule ARGS \"@rx worse\" \"id:3,phase:2,pass,log,"
		"setvar:'tx.s2=+5'\"\n"
		"SecRule TX:pl \"@ge 1\" \"id:4,phase:2,pass,nolog,"
		"setvar:'tx.score=+%{tx.s1}'\"\n"
		"SecRule TX:pl \"@ge 2\" \"id:5,phase:2,pass,nolog,"
		"setvar:'tx.score=+%{tx.s2}'\"\n"
		"SecRule TX:score \"@ge 5\" \"id:6,phase:2,deny,log\"\n";
	static const char unread[] =
		"SecRule REQUEST_HEADERS:User-Agent \"@rx ^.*$\" \"id:1,"
		"phase:1,pass,nolog,t:sha1,t:hexEncode,"
		"setvar:'tx.ua=%{MATCHED_VAR}'\"\n"
		"SecAction \"id:2,phase:1,pass,nolog,"
		"initcol:ip=%{remote_addr}_%{tx.ua}\"\n"
		"SecRule ARGS:a \"@rx .\" \"id:3,phase:1,pass,nolog,"
		"setvar:tx.h_a=1\"\n"
		"SecRule ARGS:b \"@rx .\" \"id:4,phase:1,pass,nolog,"
		"setvar:tx.m=1\"\n"
		"SecRule TX:/^h_/ \"@rx .\" \"id:5,phase:2,pass,log\"\n"
		"SecRule ARGS:b \"@rx .\" \"id:6,phase:2,pass,log,"
		"msg:'m=%{tx.m}'\"\n";
	struct mg_waf_conf conf = { 0 };
	struct mg_waf_ruleset *rs;

	EXPECT(skip_by_level, "GET /?a=evil HTTP/1.1\r\nHost: h\r\n\r\n",
	       "", MG_WAF_PASS);
	EXPECT(skip_by_level, "GET /?a=worse HTTP/1.1\r\nHost: h\r\n\r\n",
	       "4", MG_WAF_DENY);
	EXPECT(request_sets_tx, "GET /?x=1 HTTP/1.1\r\nHost: h\r\n\r\n",
	       "3", MG_WAF_DENY);
	EXPECT(request_sets_tx, "GET /?y=1 HTTP/1.1\r\nHost: h\r\n\r\n",
	       "", MG_WAF_PASS);
	EXPECT(skipped_write, "GET /?skip=1 HTTP/1.1\r\nHost: h\r\n\r\n",
	       "", MG_WAF_PASS);
	EXPECT(skipped_write, "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
	       "3", MG_WAF_DENY);
	EXPECT(read_before_write, "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
	       "3", MG_WAF_PASS);
	EXPECT(removed, "GET /?a=bad HTTP/1.1\r\nHost: h\r\n\r\n",
	       "", MG_WAF_PASS);
	EXPECT(removed, "GET /?a=bad&rm=1 HTTP/1.1\r\nHost: h\r\n\r\n",
	       "4", MG_WAF_DENY);
	/* a pattern behind a folded skip is scanned only if a runtime ctl
	 * may remove the skip */
	EXPECT(behind_skip, "GET /?rm=1 HTTP/1.1\r\nHost: h\r\nX-T: evil\r\n\r\n",
	       "4", MG_WAF_DENY);
	EXPECT(behind_skip, "GET / HTTP/1.1\r\nHost: h\r\nX-T: evil\r\n\r\n",
	       "", MG_WAF_PASS);
	/* scores add up from what the hoisted rule set */
	EXPECT(scored, "GET /?a=bad HTTP/1.1\r\nHost: h\r\n\r\n",
	       "2", MG_WAF_PASS);
	EXPECT(scored, "GET /?a=bad&b=bad HTTP/1.1\r\nHost: h\r\n\r\n",
	       "2,3", MG_WAF_DENY);
	/* a score added only at a level not run (CRS 949061): decided at
	 * load though its setvar reads what runtime rules write */
	EXPECT(level_scores, "GET /?a=worse HTTP/1.1\r\nHost: h\r\n\r\n",
	       "3", MG_WAF_PASS);
	EXPECT(level_scores, "GET /?a=bad HTTP/1.1\r\nHost: h\r\n\r\n",
	       "2,6", MG_WAF_DENY);
	rs = mg_waf_load_text("t.conf", level_scores, &conf, err, sizeof(err));
	MG_CHECK(rs != NULL);
	if (rs != NULL) {
		/* 1 (into the image) and 5; 4 matches and adds at run time */
		MG_CHECK_EQ(mg_waf_ruleset_stats(rs)->folded, 2);
		MG_CHECK_EQ(mg_waf_ruleset_stats(rs)->hoisted, 1);
	}
	mg_waf_ruleset_free(rs);
	/* a rule setting only what nothing reads (an initcol's macro is
	 * not expanded) does not run; one whose key a selector regex or a
	 * macro reads does */
	EXPECT(unread, "GET /?a=1&b=1 HTTP/1.1\r\nHost: h\r\n"
	       "User-Agent: t\r\n\r\n", "5,6", MG_WAF_PASS);
	rs = mg_waf_load_text("t.conf", unread, &conf, err, sizeof(err));
	MG_CHECK(rs != NULL);
	if (rs != NULL)
		MG_CHECK_EQ(mg_waf_ruleset_stats(rs)->unread, 1);
	mg_waf_ruleset_free(rs);
}

/* mg_waf_wants_body after the head of a POST, for rules text */
static int
wants_body(const char *rules)
{
	static const char head[] = "POST /f HTTP/1.1\r\nHost: h\r\n"
		"Content-Type: application/x-www-form-urlencoded\r\n"
		"Content-Length: 3\r\n\r\n";
	struct mg_waf_conf conf = { 0 };
	struct mg_waf_ruleset *rs;
	struct mg_waf_ctx *ctx;
	struct mg_waf_result res;
	int w = -1;

	rs = mg_waf_load_text("t.conf", rules, &conf, err, sizeof(err));
	ctx = rs ? mg_waf_ctx_create(rs, &conf) : NULL;
	if (ctx && mg_waf_begin(ctx, (const uint8_t *)head, strlen(head),
				NULL, &res) == MG_WAF_PASS)
		w = mg_waf_wants_body(ctx);
	mg_waf_ctx_free(ctx);
	mg_waf_ruleset_free(rs);
	return w;
}

/*
 * The body is wanted only when a phase-2 rule reads what it gives, and
 * body access is on.
 */
static void
test_wants_body(void)
{
	MG_CHECK_EQ(wants_body("SecRule ARGS \"@rx x\" \"id:1,phase:2\"\n"), 1);
	MG_CHECK_EQ(wants_body("SecRule REQUEST_HEADERS \"@rx x\" "
			       "\"id:1,phase:2,setvar:tx.a=%{REQUEST_BODY}\"\n"),
		    1);
	MG_CHECK_EQ(wants_body("SecRule &FILES \"@gt 0\" \"id:1,phase:2\"\n"),
		    1);
	/* the head alone, in either phase; ARGS in phase 1 are the query's */
	MG_CHECK_EQ(wants_body("SecRule REQUEST_HEADERS|ARGS_GET|REQUEST_URI "
			       "\"@rx x\" \"id:1,phase:2\"\n"
			       "SecRule ARGS \"@rx x\" \"id:2,phase:1\"\n"), 0);
	MG_CHECK_EQ(wants_body("SecRequestBodyAccess Off\n"
			       "SecRule ARGS \"@rx x\" \"id:1,phase:2\"\n"), 0);
	MG_CHECK_EQ(wants_body("SecRule REQUEST_METHOD \"@streq POST\" "
			       "\"id:1,phase:1,pass,nolog,"
			       "ctl:requestBodyAccess=Off\"\n"
			       "SecRule ARGS \"@rx x\" \"id:2,phase:2\"\n"), 0);
}

/* A request of a sequence on one context: the rules it fires and the
 * score it ends with */
struct seq_step {
	const char *req;
	const char *ids;
	int score;
};

/* The steps one after another on one context, in both engines */
static void
expect_sequence(const char *rules, const struct seq_step *st, size_t n,
		int line)
{
	for (int mode = 0; mode < 2; mode++) {
		struct mg_waf_ruleset *rs;
		struct mg_waf_ctx *ctx = load(rules, mode, &rs, line);

		if (ctx == NULL)
			continue;
		for (size_t i = 0; i < n; i++) {
			struct mg_waf_result res;
			char ids[64];

			mg_waf_eval(ctx, (const uint8_t *)st[i].req,
				    strlen(st[i].req), NULL, &res);
			mg_waf_rule_ids(&res, ids, sizeof(ids));
			mg_test_checks++;
			if (strcmp(ids, st[i].ids) != 0 ||
			    res.anomaly_score != st[i].score) {
				fprintf(stderr, "%s:%d: mode %d request %zu: "
					"fired [%s] score %d, want [%s] %d\n",
					__FILE__, line, mode, i, ids,
					res.anomaly_score, st[i].ids,
					st[i].score);
				mg_test_failures++;
			}
		}
		mg_waf_ctx_free(ctx);
		mg_waf_ruleset_free(rs);
	}
}

/*
 * TX:/^h_/ on one context, request after request: the entries of the TX
 * image, the request's own, one added and one deleted between two looks
 * in the same request. The score counts what each look saw: 1 an entry in
 * phase 1, 100 in phase 2.
 */
static void
test_selector_across_requests(void)
{
	static const char rules[] =
		"SecAction \"id:900,phase:1,pass,nolog,setvar:tx.h_image=1\"\n"
		"SecRule REQUEST_HEADERS_NAMES \"@rx ^.*$\" \"id:1,phase:1,"
		"pass,nolog,capture,t:lowercase,setvar:'tx.h_%{tx.0}=1'\"\n"
		"SecRule TX:/^h_/ \"@rx .\" \"id:2,phase:1,pass,nolog,"
		"setvar:'tx.anomaly_score=+1'\"\n"
		"SecAction \"id:3,phase:2,pass,nolog,setvar:tx.h_late=1,"
		"setvar:!tx.h_host\"\n"
		"SecRule TX:/^h_/ \"@rx .\" \"id:4,phase:2,pass,nolog,"
		"setvar:'tx.anomaly_score=+100'\"\n";
	static const struct seq_step steps[] = {
		/* h_image h_host h_a; then h_image h_a h_late */
		{ "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\n\r\n", "", 303 },
		{ "GET / HTTP/1.1\r\nHost: h\r\nB: 1\r\nC: 1\r\n\r\n", "",
		  404 },
		{ "GET / HTTP/1.1\r\nHost: h\r\n\r\n", "", 202 },
		{ "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\n\r\n", "", 303 },
	};

	expect_sequence(rules, steps, sizeof(steps) / sizeof(steps[0]),
			__LINE__);
}

/*
 * A request that changed the TX image (a value rewritten in place, an
 * entry deleted, one added) leaves nothing of it to the next one.
 */
static void
test_image_after_request(void)
{
	static const char rules[] =
		"SecAction \"id:1,phase:1,pass,nolog,setvar:tx.v=abc,"
		"setvar:tx.w=1\"\n"
		"SecRule ARGS:x \"@rx .\" \"id:2,phase:1,pass,nolog,"
		"setvar:tx.v=xyz,setvar:!tx.w,setvar:tx.n=1\"\n"
		"SecRule TX:v \"@streq abc\" \"id:10,phase:2,pass,log\"\n"
		"SecRule &TX:w \"@eq 1\" \"id:11,phase:2,pass,log\"\n"
		"SecRule &TX:n \"@eq 0\" \"id:12,phase:2,pass,log\"\n";
	static const struct seq_step steps[] = {
		{ "GET /?x=1 HTTP/1.1\r\nHost: h\r\n\r\n", "", 0 },
		{ "GET / HTTP/1.1\r\nHost: h\r\n\r\n", "10,11,12", 0 },
		{ "GET /?x=1 HTTP/1.1\r\nHost: h\r\n\r\n", "", 0 },
		{ "GET /?x=1 HTTP/1.1\r\nHost: h\r\n\r\n", "", 0 },
		{ "GET / HTTP/1.1\r\nHost: h\r\n\r\n", "10,11,12", 0 },
	};

	expect_sequence(rules, steps, sizeof(steps) / sizeof(steps[0]),
			__LINE__);
}

int
main(void)
{
	test_scoring();
	test_chains();
	test_skip();
	test_setvar();
	test_ctl();
	test_body();
	test_operators();
	test_allow_and_redirect();
	test_audit();
	test_audit_cut();
	test_policy_conf();
	test_bad_input();
	test_fold();
	test_wants_body();
	test_selector_across_requests();
	test_image_after_request();
	return mg_test_done("test_waf_engine");
}
