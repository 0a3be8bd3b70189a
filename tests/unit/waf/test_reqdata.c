/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Request data as ModSecurity v3 presents it: every expectation here is
 * what Debian's libmodsecurity3 (3.0.9) fills in for the same request,
 * including its error flags on malformed URIs, JSON, multipart and XML
 * bodies. Then limits, arena exhaustion and API misuse.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mg_test.h"
#include "waf_reqdata.h"

static uint8_t arena[1 << 20];

static struct mg_waf_request *
request_conf(const char *head, const char *body, size_t body_len,
	     const struct mg_waf_req_conf *conf)
{
	struct mg_waf_request *r = mg_waf_request_init(arena, sizeof(arena),
						       conf);

	MG_CHECK(r != NULL);
	MG_CHECK_EQ(mg_waf_request_head(r, (const uint8_t *)head,
					strlen(head)), 0);
	MG_CHECK_EQ(mg_waf_request_body(r, (const uint8_t *)body, body_len),
		    0);
	return r;
}

static struct mg_waf_request *
request(const char *head, const char *body)
{
	static const struct mg_waf_req_conf conf = {
		.content_type_json_xml = true,
	};

	return request_conf(head, body, body ? strlen(body) : 0, &conf);
}

static bool
str_is(struct mg_waf_str s, const char *want)
{
	return s.len == strlen(want) && (s.len == 0 ||
					 memcmp(s.p, want, s.len) == 0);
}

static bool
var_is(const struct mg_waf_request *r, enum mg_waf_req_var v,
       const char *want)
{
	struct mg_waf_str s = mg_waf_request_var(r, v);

	if (!str_is(s, want)) {
		fprintf(stderr, "  %s is \"%.*s\", not \"%s\"\n",
			mg_waf_req_var_name(v), (int)s.len,
			s.p ? (const char *)s.p : "", want);
		return false;
	}
	return true;
}

static bool
has(const struct mg_waf_request *r, enum mg_waf_req_coll c, const char *name,
    const char *value)
{
	const struct mg_waf_kv *kv;
	uint32_t n = mg_waf_request_coll(r, c, &kv);

	for (uint32_t i = 0; i < n; i++)
		if (str_is(kv[i].name, name) &&
		    (value == NULL || str_is(kv[i].value, value)))
			return true;
	fprintf(stderr, "  %s has no %s=%s\n", mg_waf_req_coll_name(c), name,
		value ? value : "*");
	return false;
}

static uint32_t
count(const struct mg_waf_request *r, enum mg_waf_req_coll c)
{
	const struct mg_waf_kv *kv;

	return mg_waf_request_coll(r, c, &kv);
}

static bool
error_bit(const struct mg_waf_request *r, enum mg_waf_req_error e)
{
	return (mg_waf_request_errors(r) >> e) & 1;
}

/* Each body under head is rejected with REQBODY_ERROR and error bit e. */
static void
expect_body_errors(const char *head, const char *const *bodies, size_t n,
		   enum mg_waf_req_error e)
{
	for (size_t i = 0; i < n; i++) {
		struct mg_waf_request *r = request(head, bodies[i]);

		if (!error_bit(r, e))
			fprintf(stderr, "  accepted: %s\n", bodies[i]);
		MG_CHECK(var_is(r, MG_WAF_V_REQBODY_ERROR, "1"));
		MG_CHECK(var_is(r, MG_WAF_V_REQBODY_PROCESSOR_ERROR, "1"));
		MG_CHECK(error_bit(r, e));
	}
}

static void
test_uri(void)
{
	struct mg_waf_request *r;

	r = request("GET /a%2fb/c.php?x=1&y=%41+b&z HTTP/1.1\r\nHost: h\r\n"
		    "\r\n", NULL);
	MG_CHECK(var_is(r, MG_WAF_V_REQUEST_METHOD, "GET"));
	MG_CHECK(var_is(r, MG_WAF_V_REQUEST_PROTOCOL, "HTTP/1.1"));
	MG_CHECK(var_is(r, MG_WAF_V_REQUEST_LINE,
			"GET /a%2fb/c.php?x=1&y=%41+b&z HTTP/1.1"));
	MG_CHECK(var_is(r, MG_WAF_V_REQUEST_URI_RAW,
			"/a%2fb/c.php?x=1&y=%41+b&z"));
	/* decoded, query included, '+' kept */
	MG_CHECK(var_is(r, MG_WAF_V_REQUEST_URI, "/a/b/c.php?x=1&y=A+b&z"));
	MG_CHECK(var_is(r, MG_WAF_V_REQUEST_FILENAME, "/a/b/c.php"));
	MG_CHECK(var_is(r, MG_WAF_V_REQUEST_BASENAME, "c.php"));
	MG_CHECK(var_is(r, MG_WAF_V_QUERY_STRING, "x=1&y=%41+b&z"));
	MG_CHECK_EQ(count(r, MG_WAF_C_ARGS_GET), 3);
	MG_CHECK(has(r, MG_WAF_C_ARGS_GET, "y", "A b"));
	MG_CHECK(has(r, MG_WAF_C_ARGS_GET, "z", ""));
	MG_CHECK(has(r, MG_WAF_C_ARGS_NAMES, "x", NULL));
	MG_CHECK_EQ(count(r, MG_WAF_C_ARGS_POST), 0);
	MG_CHECK(var_is(r, MG_WAF_V_ARGS_COMBINED_SIZE, "7.000000"));
	MG_CHECK(var_is(r, MG_WAF_V_URLENCODED_ERROR, "0"));
	MG_CHECK(var_is(r, MG_WAF_V_REQBODY_ERROR, "0"));
	MG_CHECK(var_is(r, MG_WAF_V_FULL_REQUEST_LENGTH, "10"));

	/* %3f decodes into a '?' that ends REQUEST_FILENAME; the fragment
	 * stays only in the raw forms */
	r = request("GET /%2e%2e/x%3fy.php?q=%3f#frag?x=1 HTTP/1.1\r\n\r\n",
		    NULL);
	MG_CHECK(var_is(r, MG_WAF_V_REQUEST_FILENAME, "/../x"));
	MG_CHECK(var_is(r, MG_WAF_V_REQUEST_BASENAME, "x"));
	MG_CHECK(var_is(r, MG_WAF_V_REQUEST_URI, "/../x?y.php?q=?"));
	MG_CHECK(var_is(r, MG_WAF_V_REQUEST_URI_RAW,
			"/%2e%2e/x%3fy.php?q=%3f#frag?x=1"));
	MG_CHECK(var_is(r, MG_WAF_V_QUERY_STRING, "q=%3f"));
	MG_CHECK(has(r, MG_WAF_C_ARGS_GET, "q", "?"));

	/* absolute form: REQUEST_URI loses scheme and authority */
	r = request("GET http://example.com:80/a/b?c=d HTTP/1.1\r\n\r\n",
		    NULL);
	MG_CHECK(var_is(r, MG_WAF_V_REQUEST_URI, "/a/b?c=d"));
	MG_CHECK(var_is(r, MG_WAF_V_REQUEST_FILENAME,
			"http://example.com:80/a/b"));

	/* empty pairs, bad escapes (URLENCODED_ERROR), '=' in values */
	r = request("GET /?a&&b&=c&d=&%zz=%4&e=% HTTP/1.1\r\n\r\n", NULL);
	MG_CHECK_EQ(count(r, MG_WAF_C_ARGS_GET), 7);
	MG_CHECK(has(r, MG_WAF_C_ARGS, "", ""));
	MG_CHECK(has(r, MG_WAF_C_ARGS, "", "c"));
	MG_CHECK(has(r, MG_WAF_C_ARGS, "%zz", "%4"));
	MG_CHECK(var_is(r, MG_WAF_V_URLENCODED_ERROR, "1"));
	MG_CHECK(error_bit(r, MG_WAF_REQ_E_BAD_URL_ENCODING));
	r = request("GET /x?a=1=2&b== HTTP/1.1\r\n\r\n", NULL);
	MG_CHECK(has(r, MG_WAF_C_ARGS, "a", "1=2"));
	MG_CHECK(has(r, MG_WAF_C_ARGS, "b", "="));

	/* backslashes count for the basename; a trailing '/' leaves none */
	r = request("GET \\win\\path.asp?x HTTP/1.1\r\n\r\n", NULL);
	MG_CHECK(var_is(r, MG_WAF_V_REQUEST_BASENAME, "path.asp"));
	r = request("GET /dir/?a=1 HTTP/1.1\r\n\r\n", NULL);
	MG_CHECK(var_is(r, MG_WAF_V_REQUEST_BASENAME, ""));

	/* a broken request line is flagged, not fatal */
	r = request("GARBAGE\r\nHost: x\r\n\r\n", NULL);
	MG_CHECK(error_bit(r, MG_WAF_REQ_E_BAD_REQUEST_LINE));
	MG_CHECK(has(r, MG_WAF_C_REQUEST_HEADERS, "Host", "x"));
}

static void
test_headers_cookies(void)
{
	struct mg_waf_request *r;

	r = request("GET / HTTP/1.1\r\nHost: x\r\nCookie: a=1; b=2;;  =x; c\r\n"
		    "Cookie:  d = 4 ;e=5 \r\nX-A:\r\nAuthorization: Basic abc\r\n"
		    "bad line\r\n\r\n", NULL);
	MG_CHECK_EQ(count(r, MG_WAF_C_REQUEST_HEADERS), 5);
	MG_CHECK(has(r, MG_WAF_C_REQUEST_HEADERS, "X-A", ""));
	MG_CHECK(has(r, MG_WAF_C_REQUEST_HEADERS_NAMES, "Cookie", NULL));
	MG_CHECK(error_bit(r, MG_WAF_REQ_E_BAD_HEADER));
	MG_CHECK(var_is(r, MG_WAF_V_AUTH_TYPE, "Basic"));
	/* v3 trims neither values nor the end of names */
	MG_CHECK_EQ(count(r, MG_WAF_C_REQUEST_COOKIES), 5);
	MG_CHECK(has(r, MG_WAF_C_REQUEST_COOKIES, "a", "1"));
	MG_CHECK(has(r, MG_WAF_C_REQUEST_COOKIES, "c", ""));
	MG_CHECK(has(r, MG_WAF_C_REQUEST_COOKIES, "d ", " 4 "));
	MG_CHECK(has(r, MG_WAF_C_REQUEST_COOKIES, "e", "5"));
	MG_CHECK(has(r, MG_WAF_C_REQUEST_COOKIES_NAMES, "b", NULL));

	/* nothing is decoded in cookies */
	r = request("GET / HTTP/1.1\r\nCookie: x=%41+b; z=a=b=c\r\n\r\n",
		    NULL);
	MG_CHECK(has(r, MG_WAF_C_REQUEST_COOKIES, "x", "%41+b"));
	MG_CHECK(has(r, MG_WAF_C_REQUEST_COOKIES, "z", "a=b=c"));
}

#define FORM "POST /p HTTP/1.1\r\nHost: x\r\n" \
	"Content-Type: application/x-www-form-urlencoded\r\n\r\n"
#define JSON "POST /p HTTP/1.1\r\nContent-Type: application/json\r\n\r\n"
#define XML "POST /p HTTP/1.1\r\nContent-Type: text/xml\r\n\r\n"

static void
test_urlencoded(void)
{
	struct mg_waf_request *r;

	r = request("POST /p?g=1 HTTP/1.1\r\n"
		    "Content-Type: application/x-www-form-urlencoded\r\n\r\n",
		    "a=1&b=%2&c=%41%42+d&&e");
	MG_CHECK(var_is(r, MG_WAF_V_REQBODY_PROCESSOR, "URLENCODED"));
	MG_CHECK_EQ(count(r, MG_WAF_C_ARGS_GET), 1);
	MG_CHECK_EQ(count(r, MG_WAF_C_ARGS_POST), 5);
	MG_CHECK_EQ(count(r, MG_WAF_C_ARGS), 6);
	MG_CHECK(has(r, MG_WAF_C_ARGS_POST, "c", "AB d"));
	MG_CHECK(has(r, MG_WAF_C_ARGS_POST_NAMES, "e", NULL));
	MG_CHECK(var_is(r, MG_WAF_V_URLENCODED_ERROR, "1"));
	/* v3 sets no REQBODY_ERROR for the urlencoded processor */
	MG_CHECK(var_is(r, MG_WAF_V_REQBODY_ERROR, ""));
	MG_CHECK(var_is(r, MG_WAF_V_REQUEST_BODY, "a=1&b=%2&c=%41%42+d&&e"));
	MG_CHECK(var_is(r, MG_WAF_V_REQUEST_BODY_LENGTH, "22"));
	MG_CHECK(var_is(r, MG_WAF_V_ARGS_COMBINED_SIZE, "13.000000"));

	/* no processor: the body is only REQUEST_BODY */
	r = request("POST /p HTTP/1.1\r\nContent-Type: text/plain\r\n\r\n",
		    "hello=world");
	MG_CHECK_EQ(count(r, MG_WAF_C_ARGS), 0);
	MG_CHECK(var_is(r, MG_WAF_V_REQBODY_PROCESSOR, ""));
	MG_CHECK(var_is(r, MG_WAF_V_REQBODY_ERROR, "0"));
	MG_CHECK(var_is(r, MG_WAF_V_REQUEST_BODY, "hello=world"));

	/* ctl:requestBodyProcessor=URLENCODED */
	{
		struct mg_waf_request *q = mg_waf_request_init(arena,
							       sizeof(arena),
							       NULL);
		static const char head[] = "POST / HTTP/1.1\r\n\r\n";

		mg_waf_request_head(q, (const uint8_t *)head,
				    sizeof(head) - 1);
		mg_waf_request_set_processor(q, MG_WAF_BP_URLENCODED);
		mg_waf_request_body(q, (const uint8_t *)"k=v", 3);
		MG_CHECK(has(q, MG_WAF_C_ARGS_POST, "k", "v"));
		MG_CHECK_EQ(mg_waf_request_processor(q), MG_WAF_BP_URLENCODED);
	}
}

static void
test_json(void)
{
	struct mg_waf_request *r;

	r = request(JSON, "{\"a\":{\"b\":[1,\"x\",{\"c\":null}],\"\":true},"
		    "\"d\":\"\\u0041\\u00e9\"}");
	MG_CHECK(var_is(r, MG_WAF_V_REQBODY_PROCESSOR, "JSON"));
	MG_CHECK(var_is(r, MG_WAF_V_REQBODY_ERROR, "0"));
	MG_CHECK_EQ(count(r, MG_WAF_C_ARGS), 5);
	MG_CHECK(has(r, MG_WAF_C_ARGS, "json.a.b.array_0", "1"));
	MG_CHECK(has(r, MG_WAF_C_ARGS, "json.a.b.array_1", "x"));
	MG_CHECK(has(r, MG_WAF_C_ARGS, "json.a.b.array_2.c", ""));
	MG_CHECK(has(r, MG_WAF_C_ARGS, "json.a.empty-key", "true"));
	MG_CHECK(has(r, MG_WAF_C_ARGS, "json.d", "A\xc3\xa9"));
	/* JSON arguments are ARGS but not ARGS_POST */
	MG_CHECK_EQ(count(r, MG_WAF_C_ARGS_POST), 0);
	MG_CHECK(var_is(r, MG_WAF_V_ARGS_COMBINED_SIZE, "81.000000"));

	r = request(JSON, "[[1,[2,3]],{\"a\":[]},{},[],4]");
	MG_CHECK(has(r, MG_WAF_C_ARGS, "json.array_0.array_0", "1"));
	MG_CHECK(has(r, MG_WAF_C_ARGS, "json.array_0.array_1.array_1", "3"));
	MG_CHECK(has(r, MG_WAF_C_ARGS, "json.array_4", "4"));
	MG_CHECK_EQ(count(r, MG_WAF_C_ARGS), 4);

	r = request(JSON, "\"top\"");
	MG_CHECK(has(r, MG_WAF_C_ARGS, "json", "top"));

	/* surrogates, NUL and lone halves as yajl decodes them */
	r = request(JSON, "{\"a\":\"\\ud83d\\ude00\",\"b\":\"\\ud800x\","
		    "\"c\":\"\\u0000z\"}");
	MG_CHECK(has(r, MG_WAF_C_ARGS, "json.a", "\xf0\x9f\x98\x80"));
	MG_CHECK(has(r, MG_WAF_C_ARGS, "json.b", "?x"));
	{
		const struct mg_waf_kv *kv;
		uint32_t n = mg_waf_request_coll(r, MG_WAF_C_ARGS, &kv);

		MG_CHECK(n == 3 && kv[2].value.len == 2 &&
			 memcmp(kv[2].value.p, "\0z", 2) == 0);
	}

	/* malformed: REQBODY_ERROR, and what came before stays */
	static const char *const bad[] = {
		"{\"a\":1,}", "{\"a\":01}", "  ", "{\"a\":1} x",
		"{\"a\":\"\xc3(\"}", "{\"a\":\"x\ty\"}", "{'a':1}",
		"{\"a\":tru}", "{\"a\":1", "[1 2]", "{1:2}", "{\"a\":1.}",
		"\xef\xbb\xbf{}", "{\"a\":\"\\x41\"}",
	};
	expect_body_errors(JSON, bad, sizeof(bad) / sizeof(bad[0]),
			   MG_WAF_REQ_E_JSON_SYNTAX);
	r = request(JSON, "{\"a\":1,\"b\":[2,}");
	MG_CHECK(has(r, MG_WAF_C_ARGS, "json.a", "1"));
	MG_CHECK(has(r, MG_WAF_C_ARGS, "json.b.array_0", "2"));
	/* yajl waits for a string to end: one left open after the value
	 * passes, an empty body is no error */
	r = request(JSON, "{\"a\":1} \"open");
	MG_CHECK(var_is(r, MG_WAF_V_REQBODY_ERROR, "0"));
	r = request(JSON, "");
	MG_CHECK(var_is(r, MG_WAF_V_REQBODY_ERROR, "0"));
}

static void
test_json_limits(void)
{
	struct mg_waf_req_conf conf = {
		.content_type_json_xml = true, .json_depth_limit = 5,
	};
	static const char deep[] = "[[[[[[1]]]]]]";
	static const char many[] = "[1,2,3,4,5]";
	struct mg_waf_request *r;

	r = request_conf(JSON, deep, sizeof(deep) - 1, &conf);
	MG_CHECK(var_is(r, MG_WAF_V_REQBODY_ERROR, "1"));
	MG_CHECK(error_bit(r, MG_WAF_REQ_E_JSON_DEPTH));
	MG_CHECK_EQ(count(r, MG_WAF_C_ARGS), 0);

	/* SecArgumentsLimit: a JSON body stops with an error */
	conf.json_depth_limit = 0;
	conf.args_limit = 3;
	r = request_conf(JSON, many, sizeof(many) - 1, &conf);
	MG_CHECK_EQ(count(r, MG_WAF_C_ARGS), 3);
	MG_CHECK(var_is(r, MG_WAF_V_REQBODY_ERROR, "1"));
	MG_CHECK(error_bit(r, MG_WAF_REQ_E_TOO_MANY_ARGS));
	/* ... an urlencoded one drops the rest silently */
	r = request_conf(FORM, "a=1&b=2&c=3&d=4", 15, &conf);
	MG_CHECK_EQ(count(r, MG_WAF_C_ARGS), 3);
	MG_CHECK(var_is(r, MG_WAF_V_REQBODY_ERROR, ""));
}

#define B "----b0und"
#define MP "POST /p HTTP/1.1\r\nContent-Type: multipart/form-data; " \
	"boundary=" B "\r\n\r\n"
#define PART(hdrs, value) "--" B "\r\n" hdrs "\r\n\r\n" value "\r\n"
#define CD(name) "Content-Disposition: form-data; name=\"" name "\""
#define END "--" B "--\r\n"

static bool
strict_ok(const struct mg_waf_request *r)
{
	return var_is(r, MG_WAF_V_REQBODY_ERROR, "0") &&
	       var_is(r, MG_WAF_V_MULTIPART_STRICT_ERROR, "0");
}

static void
test_multipart(void)
{
	struct mg_waf_request *r;

	r = request(MP, PART(CD("a"), "hello")
		    PART(CD("f") "; filename=\"x.txt\"\r\n"
			 "Content-Type: text/plain", "file\r\ndata\r\n") END);
	MG_CHECK(strict_ok(r));
	MG_CHECK(var_is(r, MG_WAF_V_REQBODY_PROCESSOR, "MULTIPART"));
	MG_CHECK(has(r, MG_WAF_C_ARGS_POST, "a", "hello"));
	MG_CHECK_EQ(count(r, MG_WAF_C_ARGS), 1);
	MG_CHECK(has(r, MG_WAF_C_FILES, "f", "x.txt"));
	MG_CHECK(has(r, MG_WAF_C_FILES_NAMES, "f", NULL));
	MG_CHECK(has(r, MG_WAF_C_FILES_SIZES, "f", "12"));
	MG_CHECK(var_is(r, MG_WAF_V_FILES_COMBINED_SIZE, "12"));
	MG_CHECK(has(r, MG_WAF_C_MULTIPART_PART_HEADERS, "f",
		     "Content-Type: text/plain\r\n"));
	MG_CHECK_EQ(count(r, MG_WAF_C_MULTIPART_PART_HEADERS), 3);
	/* the second boundary onwards reads 2 in v3 */
	MG_CHECK(var_is(r, MG_WAF_V_MULTIPART_UNMATCHED_BOUNDARY, "2"));
	MG_CHECK(var_is(r, MG_WAF_V_ARGS_COMBINED_SIZE, ""));

	/* 3.0.9 joins the lines of a field without their line ends; bare
	 * LFs only count in part headers and before boundaries */
	r = request(MP, PART(CD("a"), "line1\r\nline2\nline3") END);
	MG_CHECK(has(r, MG_WAF_C_ARGS, "a", "line1line2line3"));
	MG_CHECK(strict_ok(r));
	r = request(MP, "--" B "\n" CD("a") "\n\nv\n--" B "--\n");
	MG_CHECK(has(r, MG_WAF_C_ARGS, "a", "v"));
	MG_CHECK(var_is(r, MG_WAF_V_MULTIPART_LF_LINE, "1"));
	MG_CHECK(var_is(r, MG_WAF_V_MULTIPART_CRLF_LF_LINES, "0"));
	MG_CHECK(var_is(r, MG_WAF_V_MULTIPART_STRICT_ERROR, "1"));

	r = request("POST /p HTTP/1.1\r\nContent-Type: multipart/form-data; "
		    "boundary=\"" B "\"\r\n\r\n", PART(CD("a"), "v") END);
	MG_CHECK(var_is(r, MG_WAF_V_MULTIPART_BOUNDARY_QUOTED, "1"));
	MG_CHECK(var_is(r, MG_WAF_V_MULTIPART_STRICT_ERROR, "1"));
	MG_CHECK(var_is(r, MG_WAF_V_REQBODY_ERROR, "0"));

	r = request("POST /p HTTP/1.1\r\nContent-Type: multipart/form-data "
		    "boundary=" B "\r\n\r\n", PART(CD("a"), "v") END);
	MG_CHECK(var_is(r, MG_WAF_V_MULTIPART_MISSING_SEMICOLON, "1"));

	r = request(MP, "junk\r\n" PART(CD("a"), "v") END "after");
	MG_CHECK(var_is(r, MG_WAF_V_MULTIPART_DATA_BEFORE, "1"));
	MG_CHECK(var_is(r, MG_WAF_V_MULTIPART_DATA_AFTER, "1"));

	r = request(MP, "--" B "\r\nContent-Disposition: form-data;\r\n"
		    " name=\"a\"\r\n\r\nv\r\n" END);
	MG_CHECK(var_is(r, MG_WAF_V_MULTIPART_HEADER_FOLDING, "1"));
	MG_CHECK(has(r, MG_WAF_C_ARGS, "a", "v"));

	/* final boundary missing: an error and no part at all */
	r = request(MP, PART(CD("a"), "v"));
	MG_CHECK(var_is(r, MG_WAF_V_REQBODY_ERROR, "1"));
	MG_CHECK(error_bit(r, MG_WAF_REQ_E_MULTIPART_SYNTAX));
	MG_CHECK_EQ(count(r, MG_WAF_C_ARGS), 0);
	MG_CHECK_EQ(count(r, MG_WAF_C_MULTIPART_PART_HEADERS), 0);

	/* a part without a name, a C-D we do not understand */
	r = request(MP, PART("Content-Type: text/plain", "v") END);
	MG_CHECK(var_is(r, MG_WAF_V_REQBODY_ERROR, "1"));
	MG_CHECK(var_is(r, MG_WAF_V_MULTIPART_INVALID_PART, "1"));
	r = request(MP, PART(CD("a") "; foo=bar", "v") END);
	MG_CHECK(var_is(r, MG_WAF_V_REQBODY_ERROR, "1"));

	/* something like the boundary inside data: 1, unless a later real
	 * boundary overwrites it with 2 as in v3 */
	r = request(MP, PART(CD("a"), "x--" B "y") END);
	MG_CHECK(var_is(r, MG_WAF_V_MULTIPART_UNMATCHED_BOUNDARY, "2"));
	MG_CHECK(has(r, MG_WAF_C_ARGS, "a", "x--" B "y"));

	r = request(MP, PART(CD("a"), "v") "--" B "x\r\n");
	MG_CHECK(var_is(r, MG_WAF_V_REQBODY_ERROR, "1"));
	r = request(MP, PART(CD("a"), "v\r\n--" B "x") END);
	MG_CHECK(var_is(r, MG_WAF_V_REQBODY_ERROR, "1"));

	/* a boundary with something after it */
	r = request(MP, PART(CD("a"), "v") "--" B "-- \r\n");
	MG_CHECK(var_is(r, MG_WAF_V_REQBODY_ERROR, "1"));

	/* header lines of 4096 bytes and more */
	{
		static char body[6000];
		char *p = body;

		p += sprintf(p, "--" B "\r\n" CD("a") "\r\nX: ");
		memset(p, 'h', 4100);
		p += 4100;
		sprintf(p, "\r\n\r\nv\r\n" END);
		r = request(MP, body);
		MG_CHECK(var_is(r, MG_WAF_V_REQBODY_ERROR, "1"));
		MG_CHECK(var_is(r, MG_WAF_V_MULTIPART_STRICT_ERROR, "1"));
	}

	/* Content-Type problems */
	r = request("POST /p HTTP/1.1\r\nContent-Type: multipart/form-data; "
		    "boundary=" B "; boundary=x\r\n\r\n", PART(CD("a"), "v") END);
	MG_CHECK(var_is(r, MG_WAF_V_REQBODY_ERROR, "1"));
	MG_CHECK_EQ(count(r, MG_WAF_C_ARGS), 0);
	r = request("POST /p HTTP/1.1\r\nContent-Type: multipart/form-data; "
		    "boundary = " B "\r\n\r\n", PART(CD("a"), "v") END);
	MG_CHECK(var_is(r, MG_WAF_V_MULTIPART_BOUNDARY_WHITESPACE, "1"));
	/* a charset after the boundary is tolerated */
	r = request("POST /p HTTP/1.1\r\nContent-Type: multipart/form-data; "
		    "boundary=a b;charset=utf-8\r\n\r\n",
		    "--a b\r\n" CD("a") "\r\n\r\nv\r\n--a b--\r\n");
	MG_CHECK(has(r, MG_WAF_C_ARGS, "a", "v"));
	MG_CHECK(strict_ok(r));

	/* empty body: nothing, no error */
	r = request(MP, "");
	MG_CHECK(var_is(r, MG_WAF_V_REQBODY_ERROR, "0"));
}

static void
test_xml(void)
{
	struct mg_waf_request *r;

	r = request(XML, "<?xml version=\"1.0\"?>\n<a x=\"1\" y=\"&lt;q&#65;\">"
		    "t\r\n<b y='2'>u<![CDATA[<c>]]></b>&lt;<!-- c -->z</a>\n");
	MG_CHECK(var_is(r, MG_WAF_V_REQBODY_PROCESSOR, "XML"));
	MG_CHECK(var_is(r, MG_WAF_V_REQBODY_ERROR, "0"));
	MG_CHECK(var_is(r, MG_WAF_V_XML_TEXT, "t\nu<c><z"));
	MG_CHECK_EQ(count(r, MG_WAF_C_XML_ATTRS), 3);
	MG_CHECK(has(r, MG_WAF_C_XML_ATTRS, "y", "<qA"));

	/* namespace declarations are no attributes; entities of the DTD */
	r = request(XML, "<s:E xmlns:s=\"urn:s\"><q>a' or 1=1</q></s:E>");
	MG_CHECK_EQ(count(r, MG_WAF_C_XML_ATTRS), 0);
	MG_CHECK(var_is(r, MG_WAF_V_XML_TEXT, "a' or 1=1"));
	r = request(XML, "<!DOCTYPE a [<!ENTITY foo \"bar\">]><a>&foo;x</a>");
	MG_CHECK(var_is(r, MG_WAF_V_XML_TEXT, "barx"));

	/* malformed: an error, the tree up to it kept */
	static const char *const bad[] = {
		"<a>unclosed", "<a></b>", "text only", "<a x=1>t</a>",
		"<a>&foo;</a>", "<a>x</a><b/>", "<a x=\"1\" x=\"2\">t</a>",
		"<a>x]]>y</a>", "  <?xml version=\"1.0\"?><a/>",
		"<a>x<!-- bad -- comment --></a>", "<a>\xff\xfe</a>", "",
		"<?xml verion=\"1.0\"?><a/>", "<!DOCTYPE a [<!ENTIY x \"y\">]><a/>",
		"<a>t<![CDATA[x\x01y]]>z</a>",
	};
	expect_body_errors(XML, bad, sizeof(bad) / sizeof(bad[0]),
			   MG_WAF_REQ_E_XML_SYNTAX);
	r = request(XML, "<a><b>t</b>tail");
	MG_CHECK(var_is(r, MG_WAF_V_XML_TEXT, "ttail"));
	/* text up to an error stays, as libxml2 has delivered it */
	r = request(XML, "<a>ab&#65;c&bad;d</a>");
	MG_CHECK(var_is(r, MG_WAF_V_XML_TEXT, "abAc"));
	r = request(XML, "<a>x<b>y\xffz</b></a>");
	MG_CHECK(var_is(r, MG_WAF_V_XML_TEXT, "xy"));
	r = request(XML, " \n<a>x</b>");
	MG_CHECK(var_is(r, MG_WAF_V_XML_TEXT, "x"));
	/* the root exists, its text is empty: a value all the same */
	r = request(XML, "<a></b>");
	MG_CHECK(mg_waf_request_var(r, MG_WAF_V_XML_TEXT).p != NULL);
	r = request(XML, "<a x=\"1\" x=\"2\">t</a>");
	MG_CHECK(mg_waf_request_var(r, MG_WAF_V_XML_TEXT).p == NULL);
	MG_CHECK_EQ(count(r, MG_WAF_C_XML_ATTRS), 0);
}

static void
test_limits(void)
{
	struct mg_waf_req_conf conf = { .body_limit = 8 };
	struct mg_waf_request *r;

	/* ProcessPartial: the first 8 bytes, INBOUND_DATA_ERROR */
	r = request_conf(FORM, "a=1&b=2&c=3", 11, &conf);
	MG_CHECK(var_is(r, MG_WAF_V_INBOUND_DATA_ERROR, "1"));
	MG_CHECK(var_is(r, MG_WAF_V_REQUEST_BODY, "a=1&b=2&"));
	MG_CHECK_EQ(count(r, MG_WAF_C_ARGS), 2);
	MG_CHECK(error_bit(r, MG_WAF_REQ_E_BODY_OVER_LIMIT));

	/* SecRequestBodyNoFilesLimit: not processed at all */
	conf.body_limit = 0;
	conf.body_no_files_limit = 5;
	r = request_conf(FORM, "a=1&b=2", 7, &conf);
	MG_CHECK(var_is(r, MG_WAF_V_REQBODY_ERROR, "1"));
	MG_CHECK(var_is(r, MG_WAF_V_INBOUND_DATA_ERROR, "1"));
	MG_CHECK_EQ(count(r, MG_WAF_C_ARGS), 0);
	r = request_conf(FORM, "a=1", 3, &conf);
	MG_CHECK(var_is(r, MG_WAF_V_INBOUND_DATA_ERROR, "0"));
	MG_CHECK_EQ(count(r, MG_WAF_C_ARGS), 1);
}

/* Arenas of every small size: never a crash, a full one is reported. */
static void
test_arena(void)
{
	static const char head[] = "POST /a?x=%41&y=2 HTTP/1.1\r\n"
		"Cookie: c=1\r\nContent-Type: application/json\r\n\r\n";
	static const char body[] = "{\"a\":[1,\"\\u0041\",{\"b\":\"c\"}]}";
	static uint8_t small[4096];
	bool full_seen = false, fits = false;

	MG_CHECK(mg_waf_request_init(small, 8, NULL) == NULL);
	MG_CHECK(mg_waf_request_init(NULL, 4096, NULL) == NULL);
	for (size_t size = 64; size <= sizeof(small); size += 13) {
		struct mg_waf_req_conf conf = { .content_type_json_xml = true };
		struct mg_waf_request *r = mg_waf_request_init(small, size,
							       &conf);

		if (r == NULL)
			continue;
		mg_waf_request_head(r, (const uint8_t *)head, sizeof(head) - 1);
		mg_waf_request_body(r, (const uint8_t *)body, sizeof(body) - 1);
		MG_CHECK(mg_waf_request_arena_used(r) <= size);
		if (error_bit(r, MG_WAF_REQ_E_ARENA_FULL)) {
			full_seen = true;
			MG_CHECK(var_is(r, MG_WAF_V_REQBODY_ERROR, "1"));
		} else if (count(r, MG_WAF_C_ARGS) == 5) {
			fits = true;
		}
	}
	MG_CHECK(full_seen);
	MG_CHECK(fits);
	MG_CHECK(MG_WAF_REQ_ARENA_SIZE(sizeof(head), sizeof(body)) >= 4096);
}

static void
test_api(void)
{
	struct mg_waf_request *r = mg_waf_request_init(arena, sizeof(arena),
						       NULL);
	const struct mg_waf_kv *kv;

	MG_CHECK_EQ(mg_waf_request_body(r, NULL, 0), -EINVAL);
	MG_CHECK_EQ(mg_waf_request_head(r, (const uint8_t *)"GET / HTTP/1.1",
					14), 0);
	MG_CHECK_EQ(mg_waf_request_head(r, (const uint8_t *)"GET / HTTP/1.1",
					14), -EINVAL);
	MG_CHECK_EQ(mg_waf_request_body(r, NULL, 0), 0);
	MG_CHECK_EQ(mg_waf_request_body(r, NULL, 0), -EINVAL);
	MG_CHECK_EQ(mg_waf_request_coll(r, MG_WAF_C_COLL_MAX, &kv), 0);
	MG_CHECK(kv == NULL);
	MG_CHECK_EQ(mg_waf_request_var(r, MG_WAF_V_MAX).len, 0);

	for (int v = 0; v < MG_WAF_V_MAX; v++)
		MG_CHECK_EQ(mg_waf_req_var_lookup(mg_waf_req_var_name(v)), v);
	for (int c = 0; c < MG_WAF_C_COLL_MAX; c++)
		MG_CHECK_EQ(mg_waf_req_coll_lookup(mg_waf_req_coll_name(c)), c);
	MG_CHECK_EQ(mg_waf_req_coll_lookup("args_names"), MG_WAF_C_ARGS_NAMES);
	MG_CHECK(mg_waf_req_coll_is_names(MG_WAF_C_FILES_NAMES));
	MG_CHECK(!mg_waf_req_coll_is_names(MG_WAF_C_FILES));
	MG_CHECK_EQ(mg_waf_req_var_lookup("NOPE"), -1);
	MG_CHECK(strcmp(mg_waf_body_processor_name(MG_WAF_BP_JSON), "JSON") ==
		 0);
	MG_CHECK(strcmp(mg_waf_req_error_desc(-1), "?") == 0);
	for (int e = 0; e < MG_WAF_REQ_E_MAX; e++)
		MG_CHECK(mg_waf_req_error_desc(e)[0] != '?');
}

int
main(void)
{
	test_uri();
	test_headers_cookies();
	test_urlencoded();
	test_json();
	test_json_limits();
	test_multipart();
	test_xml();
	test_limits();
	test_arena();
	test_api();
	return mg_test_done("test_reqdata");
}
