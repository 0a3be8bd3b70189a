/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SQLi and XSS detectors: known attack shapes (many from the CRS 3.3.4
 * regression tests of rules 942100 and 941100) are found, and ordinary
 * values of an API are not: English with quotes and "and"/"or", JSON,
 * e-mail addresses, base64, JWTs, URLs, markup that runs nothing.
 */
#include <string.h>

#include "mg_test.h"
#include "waf_detect.h"

static bool
sqli(const char *s)
{
	char fp[MG_WAF_SQLI_FP_SIZE];
	bool hit = mg_waf_detect_sqli((const uint8_t *)s, strlen(s), fp);

	/* a fingerprint exactly when there is a match */
	MG_CHECK(hit == (fp[0] != 0));
	MG_CHECK(strlen(fp) < MG_WAF_SQLI_FP_SIZE);
	return hit;
}

static bool
xss(const char *s)
{
	return mg_waf_detect_xss((const uint8_t *)s, strlen(s));
}

static const char *const sqli_attacks[] = {
	"1234 OR 1=1",
	"-1839' or '1'='1",
	"-1839\" or \"1\"=\"2",
	"2010-01-01'+sleep(20.to_i)+'",
	"1' or '1",
	"x' or 1=1--",
	"admin'--",
	"admin'#",
	"admin' /*",
	"' or ''='",
	"1' and sleep(5)#",
	"1 union select 1,2,3",
	"1 UNION ALL SELECT null,null--",
	"' union select password from users--",
	"1)) or ((1=1",
	"1; drop table users",
	"1;waitfor delay '0:0:5'--",
	"'; exec xp_cmdshell 'dir'--",
	"1 and 1=2",
	"(1)or(1=1)",
	"1 or benchmark(10000000,md5(1))",
	"sleep(5)",
	"1' order by 3--",
	"1 having 1=1",
	"' having 1=1--",
	"x' AND extractvalue(1,concat(0x5c,version()))--",
	"concat(0x223e3c62723e,version(),0x3c696d67207372633d22)",
	"1/*!50000union*//*!50000select*/1",
	"1'||(select extractvalue(xmltype('<?xml version",
	"AND (name = \"",
	"from information_schema.tables where 1=2 limit",
	"EmptyValue into outfile '/tmp/x'",
	"1' or name='x",
	"') or ('1'='1",
	"\" or \"\"=\"",
	"1 or true=1",
	"@@version' or 1=1#",
};

static const char *const sqli_benign[] = {
	"Tom and Jerry",
	"rock and roll",
	"this or that",
	"1 or 2 items",
	"yes or no",
	"O'Brien",
	"it's fine",
	"don't or won't",
	"Tom's and Jerry's",
	"the students' and teachers' union",
	"rock 'n' roll",
	"I'm 6' or so",
	"say \"yes\" or \"no\"",
	"software\" and \"commercial computer software documentation",
	"The hypothetical commands `show w' and `show c' should show the",
	"Redistribution and use in source and binary forms",
	"he or she is willing to distribute software through any other "
	"system; it is up to the author to decide",
	"select your size from the list",
	"Select all",
	"Update your profile",
	"Delete from cart",
	"Drop-off location",
	"Union Square",
	"order by date",
	"#hashtag",
	"C# or F#",
	"-- signature",
	"john.doe@example.com",
	"https://www.example.com/a/b?q=x&page=2#top",
	"550e8400-e29b-41d4-a716-446655440000",
	"dGhpcyBpcyBub3QgYW4gYXR0YWNrLCBqdXN0IGJhc2U2NA==",
	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwi"
	"bmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
	"SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
	"{\"or\": 93456, \"and\": {\"limit\": [1, 2]}, \"where\": false}",
	"{\"name\": \"O'Brien\", \"query\": \"a < b\", \"n\": 3}",
	"[{\"select\": true}, {\"from\": \"x\"}]",
	"$5.99 - $10.00",
	"+1 (555) 123-4567",
	"12/03/2024 10:45",
	"a < b",
	"x = y + 1",
	"Zürich; München & Köln",
	"naïve café résumé",
	"日本語のテキストです",
	"",
};

static const char *const xss_attacks[] = {
	"<script>alert(1)</script>",
	"<SCRIPT SRC=//x.y/z.js>",
	"<img src=x onerror=alert(1)>",
	"<svg/onload=alert(1)>",
	"<body onload=alert(1)>",
	"<a href=\"javascript:alert(1)\">x</a>",
	"<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
	"<a href=\"&#106;avascript:alert(1)\">x</a>",
	"<iframe src=\"data:text/html,<script>alert(1)</script>\">",
	"\" onmouseover=\"alert(1)",
	"' autofocus onfocus=alert(1) x='",
	"\"><script>alert(1)</script>",
	"x onmouseover=alert(1)",
	"<x:script xmlns:x=\"http://www.w3.org/1999/xhtml\" src=\"data:,alert(1)\" />",
	"<div style=\"width: expression(alert(1))\">",
	"<a href=abc style=\"width:101%",
	"<object data=\"javascript:alert(1)\">",
	"<math><a xlink:href=\"javascript:alert(1)\">x</a></math>",
	"<!--[if gte IE 4]><script>alert(1)</script><![endif]-->",
	"<?import namespace=\"t\" implementation=\"#default#time2\">",
	"<base href=\"http://evil/\">",
	"<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
	"<form><button formaction=javascript:alert(1)>x",
	"<input autofocus onfocus=alert(1)>",
	"<details open ontoggle=alert(1)>",
};

static const char *const xss_benign[] = {
	"a < b and c > d",
	"I <3 NY",
	"5 < 6",
	"<user@example.com>",
	"Tom & Jerry",
	"see <b>bold</b> text",
	"<i>italic</i> and <em>em</em>",
	"<p>para</p><br/>",
	"<a href=\"https://example.com/page?a=1&b=2\">link</a>",
	"<img src=\"cat.png\" alt=\"a cat\">",
	"</script>",
	"javascript tutorial",
	"style guide",
	"turn online now",
	"one=1&two=2",
	"{\"onclick\": \"x\", \"style\": \"bold\"}",
	"{\"html\": \"<b>hi</b>\"}",
	"john.doe@example.com",
	"https://www.example.com/a?b=c",
	"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.abc-_def",
	"R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==",
	"Привет, как дела?",
	"",
};

/* Every string of list gives want, or a line that says which did not. */
static void
expect_all(bool (*detect)(const char *), const char *const *list,
	   size_t n, bool want, const char *what)
{
	for (size_t i = 0; i < n; i++) {
		bool got = detect(list[i]);

		if (got != want)
			fprintf(stderr, "  %s %s: %s\n", want ? "missed" : "false",
				what, list[i]);
		MG_CHECK(got == want);
	}
}

#define EXPECT_ALL(fn, list, want, what) \
	expect_all(fn, list, sizeof(list) / sizeof(list[0]), want, what)

int
main(void)
{
	char fp[MG_WAF_SQLI_FP_SIZE];

	EXPECT_ALL(sqli, sqli_attacks, true, "SQLi");
	EXPECT_ALL(sqli, sqli_benign, false, "SQLi");
	EXPECT_ALL(xss, xss_attacks, true, "XSS");
	EXPECT_ALL(xss, xss_benign, false, "XSS");

	/* fingerprints name the shape */
	MG_CHECK(mg_waf_detect_sqli((const uint8_t *)"1 or 1=1", 8, fp));
	MG_CHECK(strcmp(fp, "1&1o1") == 0);
	MG_CHECK(mg_waf_detect_sqli((const uint8_t *)"x' or 'a'='a", 12, fp));
	MG_CHECK(strcmp(fp, "s&sos") == 0);
	MG_CHECK(!mg_waf_detect_sqli(NULL, 0, fp) && fp[0] == 0);
	MG_CHECK(!mg_waf_detect_xss(NULL, 0));
	/* NUL bytes are bytes */
	MG_CHECK(mg_waf_detect_xss((const uint8_t *)"<script\0>", 9));
	return mg_test_done("test_detect");
}
