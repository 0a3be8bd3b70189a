/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SecLang loader: every directive CRS 3.3.4 and its setup file use,
 * line continuations and quoting, chains, exceptions, defaults, markers;
 * every refusal with FILE:LINE and its reason; the rule set of Debian's
 * modsecurity-crs, and its crs-setup.conf with the examples uncommented.
 * White-box: the rule model is inspected through waf_internal.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mg_test.h"
#include "waf_test.h"

static char err[MG_WAF_ERRLEN];

static struct mg_waf_ruleset *
load(const char *text)
{
	static const struct mg_waf_conf conf = { .no_scan_sets = true };

	return mg_waf_load_text("t.conf", text, &conf, err, sizeof(err));
}

/* text must fail with exactly this message */
static void
refused(const char *text, const char *want, int line)
{
	struct mg_waf_ruleset *rs = load(text);

	mg_test_checks++;
	if (rs != NULL || strcmp(err, want) != 0) {
		mg_test_failures++;
		fprintf(stderr, "%s:%d: want \"%s\", got %s \"%s\"\n",
			__FILE__, line, want, rs ? "success" : "error", err);
	}
	mg_waf_ruleset_free(rs);
}
#define REFUSED(text, want) refused(text, want, __LINE__)

static void
test_directives(void)
{
	static const char text[] =
		"# every directive, once\n"
		"SecComponentSignature \"OWASP_CRS/3.3.4\"\n"
		"SecCollectionTimeout 600\n"
		"SecRuleEngine DetectionOnly\n"
		"SecRequestBodyAccess On\n"
		"SecRequestBodyLimit 65536\n"
		"SecRequestBodyNoFilesLimit 65536\n"
		"SecRequestBodyLimitAction Reject\n"
		"SecArgumentsLimit 1000\n"
		"SecPcreMatchLimit 5000\n"
		"SecResponseBodyAccess Off\n"
		"SecArgumentSeparator &\n"
		"SecDefaultAction \"phase:1,log,auditlog,pass\"\n"
		"SecDefaultAction \"phase:2,nolog,auditlog,deny,status:406,"
		"tag:'host-%{request_headers.host}'\"\n"
		"SecAction \"id:10,phase:1,nolog,pass,t:none,"
		"setvar:tx.a=1\"\n"
		"SecRule ARGS \"@rx foo\" \"id:11,phase:2,block,chain\"\n"
		"  SecRule MATCHED_VAR \"@contains f\" \"t:lowercase\"\n"
		"SecMarker END-A\n"
		"SecRule ARGS:x \"@eq 1\" \"id:12,phase:1,pass,tag:'t1',"
		"skipAfter:END-A\"\n"
		"SecRule ARGS \"@rx bar\" \"id:13,phase:2,pass,tag:'t1'\"\n"
		"SecRule ARGS \"@rx baz\" \"id:14,phase:2,pass,tag:'t2'\"\n"
		"SecRule ARGS \"@rx qux\" \"id:15,phase:2,pass\"\n"
		"SecRuleRemoveById 13\n"
		"SecRuleRemoveByTag t2\n"
		"SecRuleUpdateTargetById 15 \"!ARGS:pw|REQUEST_HEADERS:X\"\n"
		"SecRuleUpdateTargetByTag t1 \"!ARGS:secret\"\n"
		"SecRuleUpdateActionById 15 \"nolog,severity:WARNING\"\n"
		"SecHttpBlKey XXXX\n"
		"SecGeoLookupDB /nonexistent.mmdb\n"
		"SecAuditEngine RelevantOnly\n"
		"SecAction \"id:16,phase:1,pass,nolog,initcol:ip=%{remote_addr},"
		"ctl:auditLogParts=+E\"\n"
		"SecAction \"id:17,phase:1,pass,nolog,initcol:global=global,"
		"setvar:ip.n=+1,expirevar:ip.n=60,ctl:auditEngine=Off\"\n";
	struct mg_waf_ruleset *rs = load(text);
	const char *w;
	const struct waf_rule *r;

	MG_CHECK(rs != NULL);
	if (rs == NULL) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	MG_CHECK(strcmp(rs->component, "OWASP_CRS/3.3.4") == 0);
	MG_CHECK_EQ(rs->collection_timeout, 600);
	MG_CHECK_EQ(rs->engine, WE_DETECT);
	MG_CHECK_EQ(rs->body_limit, 65536);
	MG_CHECK_EQ(rs->body_limit_reject, 1);
	MG_CHECK_EQ(rs->arg_limit, 1000);
	MG_CHECK_EQ(rs->pcre_match_limit, 5000);
	MG_CHECK_EQ(rs->stats.rules, 8);
	MG_CHECK_EQ(rs->stats.chained, 1);
	MG_CHECK_EQ(rs->stats.markers, 1);
	MG_CHECK_EQ(rs->stats.removed, 2);
	/* the defaults: phase 2 denies with 406 and does not log */
	MG_CHECK_EQ(rs->default_disruptive[2], WD_DENY);
	MG_CHECK_EQ(rs->default_status[2], 406);
	r = waf_test_rule(rs, 11);
	MG_CHECK(r && (r->flags & WRF_CHAIN) && (r->flags & WRF_NOLOG));
	MG_CHECK(r && r->n_tags == 1);	/* the default's tag */
	if (r) {
		const struct waf_rule *c = &rs->rules[r->next];

		MG_CHECK(c->flags & WRF_CHILD);
		MG_CHECK_EQ(c->phase, 2);
		MG_CHECK_EQ(c->head, (uint32_t)(r - rs->rules));
		MG_CHECK_EQ(c->op, WOP_CONTAINS);
		MG_CHECK_EQ(c->n_tfns, 1);
	}
	r = waf_test_rule(rs, 12);
	MG_CHECK(r && r->jump != WAF_NONE);
	MG_CHECK(r && (r->flags & WRF_LOG));	/* phase 1 default: log */
	for (uint32_t id = 13; id <= 14; id++)
		MG_CHECK(waf_test_rule(rs, id) &&
			 (waf_test_rule(rs, id)->flags & WRF_REMOVED));
	/* 15: ARGS, then !ARGS:pw and REQUEST_HEADERS:X added */
	r = waf_test_rule(rs, 15);
	MG_CHECK(r && r->n_vars == 3);
	if (r && r->n_vars == 3) {
		MG_CHECK_EQ(rs->vars[r->var_off].id, WV_ARGS);
		MG_CHECK_EQ(rs->vars[r->var_off + 1].flags,
			    WVF_EXCLUDE | WVF_KEY);
		MG_CHECK(strcmp(waf_str(rs, rs->vars[r->var_off + 1].key),
				"pw") == 0);
		MG_CHECK_EQ(rs->vars[r->var_off + 2].id, WV_REQUEST_HEADERS);
		/* selectors compare without case: kept lowercase */
		MG_CHECK(strcmp(waf_str(rs, rs->vars[r->var_off + 2].key),
				"x") == 0);
	}
	MG_CHECK(r && (r->flags & WRF_NOLOG) && r->severity == 4);
	/* 12 has tag t1: it gained !ARGS:secret */
	MG_CHECK(waf_test_rule(rs, 12) && waf_test_rule(rs, 12)->n_vars == 2);
	MG_CHECK(strstr(mg_waf_ruleset_warnings(rs), "t.conf:30: "
			"SecAuditEngine has no effect here") != NULL);
	MG_CHECK(strstr(mg_waf_ruleset_warnings(rs), "t.conf:28: "
			"SecHttpBlKey has no effect") != NULL);
	/* accepted, and said not to do all ModSecurity does: once each */
	w = mg_waf_ruleset_warnings(rs);
	MG_CHECK(strstr(w, "t.conf:7: SecRequestBodyNoFilesLimit has no "
			"effect") != NULL);
	MG_CHECK(strstr(w, "t.conf:31: initcol, expirevar: IP, GLOBAL") !=
		 NULL);
	MG_CHECK(strstr(w, "t.conf:31: ctl:auditEngine, ctl:auditLogParts "
			"have no effect") != NULL);
	MG_CHECK(strstr(w, "t.conf:32:") == NULL);
	mg_waf_ruleset_free(rs);
}

static void
test_lexing(void)
{
	/* continuations, both quotes, Apache's backslash rule */
	static const char text[] =
		"SecRule \"REQUEST_URI|ARGS:'a b'\" \\\n"
		"    \"@rx (?:^|[^\\\\\\\\])\\\\\\\\[cd]\\\"x\" \\\n"
		"    \"id:1,\\\n"
		"    msg:'it\\'s %{tx.0}',\\\n"
		"    logdata:'%{MATCHED_VAR_NAME}=%{MATCHED_VAR}',\\\n"
		"    t:none,t:urlDecodeUni,t:lowercase\"\n"
		"SecRule REQUEST_COOKIES:/^(a|b)$/|!REQUEST_COOKIES:/x|y/ "
		"'!@pm one two |41 42|' id:2\n";
	struct mg_waf_ruleset *rs = load(text);
	const struct waf_rule *r;

	MG_CHECK(rs != NULL);
	if (rs == NULL) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	r = waf_test_rule(rs, 1);
	MG_CHECK(r != NULL);
	if (r) {
		MG_CHECK_EQ(r->line, 1);
		MG_CHECK_EQ(r->n_vars, 2);
		MG_CHECK(strcmp(waf_str(rs, rs->vars[r->var_off + 1].key),
				"a b") == 0);
		MG_CHECK(strcmp(waf_str(rs, rs->regexes[r->op_data].pattern),
				"(?:^|[^\\\\])\\\\[cd]\"x") == 0);
		MG_CHECK_EQ(r->n_tfns, 2);
		MG_CHECK_EQ(rs->tmpls[r->msg].n_segs, 2);
		MG_CHECK_EQ(rs->tmpls[r->logdata].n_segs, 3);
		MG_CHECK(strcmp(waf_str(rs, rs->segs[rs->tmpls[r->msg].seg_off]
					.str), "it's ") == 0);
	}
	r = waf_test_rule(rs, 2);
	MG_CHECK(r != NULL);
	if (r) {
		const struct waf_phrases *ph = &rs->phrases[r->op_data];

		MG_CHECK_EQ(r->line, 7);
		MG_CHECK(r->flags & WRF_NEGATED);
		MG_CHECK_EQ(r->op, WOP_PM);
		MG_CHECK_EQ(r->n_vars, 2);
		MG_CHECK(rs->vars[r->var_off].flags & WVF_REGEX);
		MG_CHECK(strcmp(waf_str(rs, rs->vars[r->var_off].key),
				"^(a|b)$") == 0);
		MG_CHECK_EQ(ph->n, 3);
		/* |41 42| as bytes, kept as written (a capture gives it) */
		MG_CHECK(strcmp(waf_str(rs, rs->phrase_strs[ph->str_off + 2]),
				"AB") == 0);
	}
	mg_waf_ruleset_free(rs);
}

static void
test_refusals(void)
{
	REFUSED("\n\nSecFoo bar\n", "t.conf:3: unsupported directive \"SecFoo\"");
	REFUSED("SecRule FOO \"@rx a\" \"id:1\"\n",
		"t.conf:1: unsupported variable \"FOO\"");
	REFUSED("SecRule ARGS \"@foo a\" \"id:1\"\n",
		"t.conf:1: unsupported operator @foo");
	REFUSED("SecRule ARGS \"@rx a\" \"id:1,foo:bar\"\n",
		"t.conf:1: unsupported action \"foo\"");
	REFUSED("SecRule ARGS \"@rx a\" \"id:1,t:rot13\"\n",
		"t.conf:1: unsupported transformation t:rot13");
	REFUSED("SecRule ARGS \"@rx a\" \"id:1,ctl:debugLogLevel=9\"\n",
		"t.conf:1: unsupported ctl:debugLogLevel");
	REFUSED("SecRule ARGS \"@rx a\" \"phase:2\"\n",
		"t.conf:1: rule without an id");
	REFUSED("SecAction id:5\n\nSecAction \"id:5\"\n",
		"t.conf:3: rule id 5 is already used at t.conf:1");
	REFUSED("SecRule ARGS \"@rx a\" \"id:1,chain\"\n",
		"t.conf:1: the file ends after a rule with \"chain\"");
	REFUSED("SecRule ARGS \"@rx a\" \"id:1,chain\"\nSecAction id:2\n",
		"t.conf:2: SecAction after a rule with \"chain\": a chained "
		"SecRule was expected");
	REFUSED("SecRule ARGS \"@rx a\" \"id:1,chain\"\n"
		"SecRule ARGS \"@rx b\" \"id:2\"\n",
		"t.conf:2: id belongs to the chain's first rule");
	REFUSED("SecRule ARGS \"@rx a\" \"id:1,phase:7\"\n",
		"t.conf:1: phase:7: expected 1 to 5");
	REFUSED("SecRule ARGS \"@rx (a\" \"id:1\"\n",
		"t.conf:1: regular expression: missing closing parenthesis "
		"at offset 2");
	REFUSED("SecRule ARGS \"@rx a id:1\n",
		"t.conf:1: unterminated \" quote");
	REFUSED("SecRule ARGS \"@rx a\" \"id:1,msg:'x\"\n",
		"t.conf:1: action msg: missing closing quote");
	REFUSED("SecRule ARGS \"@rx a\" \"id:1,skipAfter:NOWHERE\"\n",
		"t.conf:1: skipAfter:NOWHERE: no SecMarker of that name");
	REFUSED("SecRule XML://foo \"@rx a\" \"id:1\"\n",
		"t.conf:1: XML://foo: only the XPath expressions /* and //@* "
		"are supported");
	REFUSED("SecRule ARGS \"@rx a\" \"id:1,logdata:'%{FOO.x}'\"\n",
		"t.conf:1: unknown variable in macro %{FOO.x}");
	REFUSED("SecDefaultAction \"log,pass\"\n",
		"t.conf:1: SecDefaultAction needs a phase");
	REFUSED("SecDefaultAction \"phase:2,log,setvar:tx.a=1\"\n",
		"t.conf:1: setvar in SecDefaultAction");
	REFUSED("SecRule ARGS \"@pmFromFile /nonexistent/x.data\" \"id:1\"\n",
		"t.conf:1: @pmFromFile: cannot open /nonexistent/x.data: No "
		"such file or directory");
	REFUSED("SecRule ARGS \"@validateByteRange 1-300\" \"id:1\"\n",
		"t.conf:1: @validateByteRange: bad range list \"1-300\"");
	REFUSED("SecRule ARGS \"@ipMatch 10.0.0.0/40\" \"id:1\"\n",
		"t.conf:1: @ipMatch: bad address list \"10.0.0.0/40\"");
	REFUSED("SecRule REQUEST_URI:x \"@rx a\" \"id:1\"\n",
		"t.conf:1: REQUEST_URI is not a collection: no \":x\"");
	REFUSED("SecRule ARGS \"@rx a\" \"id:1,setvar:ARGS.x=1\"\n",
		"t.conf:1: setvar:ARGS.x=1: not a collection setvar can write");
	REFUSED("SecRuleUpdateActionById 9 \"nolog\"\n",
		"t.conf:1: SecRuleUpdateActionById: no rule 9");
	REFUSED("SecAction id:9\nSecRuleUpdateActionById 9 \"setvar:tx.x=1\"\n",
		"t.conf:2: SecRuleUpdateActionById cannot change \"setvar\"");
	REFUSED("SecRuleUpdateTargetById 9 ARGS REQUEST_URI\n",
		"t.conf:1: SecRuleUpdateTargetById: replacing a target is not "
		"supported; add and exclude instead");
	REFUSED("Include /nonexistent/*.conf\n",
		"t.conf:1: Include: no file matches /nonexistent/*.conf");
	REFUSED("SecRule ARGS \"@rx a\" \"id:1,allow:forever\"\n",
		"t.conf:1: allow:forever: expected phase or request");
	REFUSED("SecRule ARGS \"@rx a\" \"id:1,ctl:ruleRemoveTargetById=x;"
		"ARGS\"\n",
		"t.conf:1: ctl:ruleRemoveTargetById=x;ARGS: bad rule id");
}

/* Include, IncludeOptional and @pmFromFile resolve against the file. */
static void
test_include(void)
{
	char dir[] = "/tmp/test_waf_parse.XXXXXX", path[256];
	struct mg_waf_ruleset *rs;
	FILE *f;

	if (mkdtemp(dir) == NULL) {
		MG_CHECK(0);
		return;
	}
	snprintf(path, sizeof(path), "%s/words.data", dir);
	f = fopen(path, "w");
	fputs("# a comment\n\nalpha\n  beta  \n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/inc.conf", dir);
	f = fopen(path, "w");
	fputs("SecRule ARGS \"@pmFromFile words.data\" \"id:7\"\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/main.conf", dir);
	f = fopen(path, "w");
	fputs("Include inc.conf\nIncludeOptional none-*.conf\n", f);
	fclose(f);
	{
		const char *files[] = { path };
		struct mg_waf_conf conf = { .files = files, .n_files = 1,
					    .no_scan_sets = true };

		rs = mg_waf_load(&conf, err, sizeof(err));
	}
	MG_CHECK(rs != NULL);
	if (rs) {
		const struct waf_rule *r = waf_test_rule(rs, 7);

		MG_CHECK(r && rs->phrases[r->op_data].n == 2);
		MG_CHECK(r && strstr(waf_str(rs, r->file), "inc.conf"));
	} else {
		fprintf(stderr, "%s\n", err);
	}
	mg_waf_ruleset_free(rs);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	MG_CHECK(system(path) == 0);
}

/*
 * crs-setup.conf with its examples uncommented: every SecAction block,
 * the exclusion example, SecRuleUpdateActionById, SecHttpBlKey and
 * SecGeoLookupDB load; one SecDefaultAction pair at a time.
 */
static void
test_crs_setup_examples(void)
{
	FILE *in = fopen(CRS_SETUP, "r"), *out;
	char line[4096], path[] = "/tmp/test_waf_setup.XXXXXX";
	bool block = false;
	int fd;

	if (in == NULL) {
		printf("skipped: %s not installed\n", CRS_SETUP);
		return;
	}
	fd = mkstemp(path);
	out = fdopen(fd, "w");
	while (fgets(line, sizeof(line), in)) {
		const char *s = line;

		static const char *const starts[] = {
			"#SecAction", "#SecHttpBlKey",
			"# SecRuleUpdateActionById",
			"# SecRule REQUEST_HEADERS:Content-Type",
			"#  SecRule REQUEST_URI \"@rx ^/foo",
			"#SecGeoLookupDB /usr/share/GeoIP/GeoLite2",
		};

		for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++)
			if (strncmp(s, starts[i], strlen(starts[i])) == 0)
				block = true;
		if (block && s[0] == '#') {
			s += s[1] == ' ' && s[2] == 'S' ? 2 : 1;
			fputs(s, out);
			/* a block ends where a line does not continue */
			if (!strstr(s, "\\\n"))
				block = false;
		} else {
			block = false;
			fputs(line, out);
		}
	}
	fclose(in);
	fputs("SecRuleUpdateActionById 901150 \"nolog\"\n", out);
	fclose(out);
	for (int mode = 0; mode < 3; mode++) {
		static const char *const defaults[] = {
			"SecDefaultAction \"phase:1,nolog,auditlog,pass\"\n"
			"SecDefaultAction \"phase:2,nolog,auditlog,pass\"\n",
			"SecDefaultAction \"phase:1,log,auditlog,deny,"
			"status:403\"\n"
			"SecDefaultAction \"phase:2,log,auditlog,deny,"
			"status:403\"\n",
			"SecDefaultAction \"phase:1,log,auditlog,redirect:"
			"'http://%{request_headers.host}/',tag:'Host: "
			"%{request_headers.host}'\"\n"
			"SecDefaultAction \"phase:2,log,auditlog,redirect:"
			"'http://%{request_headers.host}/',tag:'Host: "
			"%{request_headers.host}'\"\n",
		};
		char setup2[] = "/tmp/test_waf_setup2.XXXXXX";
		FILE *a = fopen(path, "r"), *b;
		struct mg_waf_ruleset *rs;
		struct mg_waf_conf conf = { .setup = setup2,
					    .rules_dir = CRS_RULES,
					    .no_scan_sets = true };

		fd = mkstemp(setup2);
		b = fdopen(fd, "w");
		while (fgets(line, sizeof(line), a)) {
			/* the file's own defaults give way to the example */
			if (strncmp(line, "SecDefaultAction", 16) == 0)
				continue;
			fputs(line, b);
		}
		fputs(defaults[mode], b);
		fclose(a);
		fclose(b);
		rs = mg_waf_load(&conf, err, sizeof(err));
		MG_CHECK(rs != NULL);
		if (rs == NULL)
			fprintf(stderr, "setup example %d: %s\n", mode, err);
		else
			MG_CHECK(waf_test_rule(rs, 900500) != NULL &&
				 waf_test_rule(rs, 1234) != NULL &&
				 rs->default_disruptive[2] ==
				 (mode == 0 ? WD_PASS : mode == 1 ? WD_DENY :
				  WD_REDIRECT));
		mg_waf_ruleset_free(rs);
		unlink(setup2);
	}
	unlink(path);
}

/* Debian's CRS 3.3.4, as installed: every file loads. */
static void
test_crs(void)
{
	struct mg_waf_conf conf = { .setup = CRS_SETUP,
				    .rules_dir = CRS_RULES,
				    .no_scan_sets = true };
	struct mg_waf_ruleset *rs;
	const struct mg_waf_load_stats *st;

	if (access(CRS_RULES, R_OK) != 0) {
		printf("skipped: %s not installed\n", CRS_RULES);
		return;
	}
	rs = mg_waf_load(&conf, err, sizeof(err));
	MG_CHECK(rs != NULL);
	if (rs == NULL) {
		fprintf(stderr, "CRS: %s\n", err);
		return;
	}
	st = mg_waf_ruleset_stats(rs);
	printf("CRS: %u files, %u directives, %u rules + %u chained, "
	       "%u markers, %u regexes\n", st->files, st->directives,
	       st->rules, st->chained, st->markers, st->regexes);
	MG_CHECK(st->files >= 30);
	MG_CHECK(st->rules >= 600);
	MG_CHECK(st->chained >= 150);
	MG_CHECK_EQ(st->markers, 40);
	MG_CHECK(waf_test_rule(rs, 942100) &&
		 waf_test_rule(rs, 942100)->op == WOP_DETECT_SQLI);
	/* 920480's chained rule: "@rx ^%{tx.allowed_...}$" */
	MG_CHECK(waf_test_rule(rs, 920480) &&
		 rs->rules[waf_test_rule(rs, 920480)->next].flags &
		 WRF_RX_MACRO);
	/* the only notes: no DNS for @rbl, no GeoIP for @geoLookup */
	MG_CHECK(strstr(mg_waf_ruleset_warnings(rs), "@rbl never matches"));
	MG_CHECK(strstr(mg_waf_ruleset_warnings(rs), "@geoLookup finds "
			"nothing"));
	mg_waf_ruleset_free(rs);
}

int
main(void)
{
	test_directives();
	test_lexing();
	test_refusals();
	test_include();
	test_crs_setup_examples();
	test_crs();
	return mg_test_done("test_waf_parse");
}
