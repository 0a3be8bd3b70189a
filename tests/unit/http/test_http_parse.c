/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Request and response head parsers: every shape of valid head, every
 * rejection, and every input also fed split at each byte position and one
 * byte at a time (each prefix in a buffer of exactly its size, so that
 * ASan sees any read past the end) with identical results.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mg_test.h"
#include "mg_http.h"

#define MAXH 16

struct run_cfg {
	bool resp;
	enum mg_http_method req_method;
	const struct mg_http_limits *lim;
	uint16_t max_headers;
};

static const struct run_cfg REQ = { false, MG_HTTP_M_GET, NULL, MAXH };
static const struct run_cfg RESP = { true, MG_HTTP_M_GET, NULL, MAXH };

static void
init(struct mg_http_msg *m, struct mg_http_header *h, const struct run_cfg *c)
{
	memset(h, 0, sizeof(*h) * MAXH);
	if (c->resp)
		mg_http_response_init(m, h, c->max_headers, c->lim,
				      c->req_method);
	else
		mg_http_request_init(m, h, c->max_headers, c->lim);
}

static int
parse(struct mg_http_msg *m, const struct run_cfg *c, const char *in,
      size_t n)
{
	char *b = malloc(n ? n : 1);
	int rc;

	memcpy(b, in, n);
	rc = c->resp ? mg_http_response_parse(m, b, n) :
		       mg_http_request_parse(m, b, n);
	free(b);
	return rc;
}

static bool
same_result(const struct mg_http_msg *a, const struct mg_http_msg *b)
{
	return a->head_len == b->head_len && a->n_headers == b->n_headers &&
	       a->method == b->method && a->target_form == b->target_form &&
	       a->version == b->version && a->framing == b->framing &&
	       a->status == b->status && a->flags == b->flags &&
	       a->content_length == b->content_length &&
	       !memcmp(&a->method_str, &b->method_str, sizeof(a->method_str)) &&
	       !memcmp(&a->target, &b->target, sizeof(a->target)) &&
	       !memcmp(&a->host, &b->host, sizeof(a->host)) &&
	       !memcmp(&a->reason, &b->reason, sizeof(a->reason)) &&
	       !memcmp(a->headers, b->headers,
		       sizeof(a->headers[0]) * a->n_headers);
}

static unsigned split_runs;

/* Parse whole, then at every split and byte by byte; results must agree. */
static int
run(const char *in, const struct run_cfg *c, struct mg_http_msg *out,
    struct mg_http_header *hout)
{
	size_t n = strlen(in);
	struct mg_http_msg m;
	struct mg_http_header h[MAXH];
	int whole, rc;

	init(out, hout, c);
	whole = parse(out, c, in, n);
	for (size_t k = 0; k < n; k++) {
		init(&m, h, c);
		rc = parse(&m, c, in, k);
		if (rc == MG_HTTP_AGAIN)
			rc = parse(&m, c, in, n);
		split_runs++;
		MG_CHECK_EQ(rc, whole);
		if (rc != whole)
			fprintf(stderr, "  split at %zu of: %s\n", k, in);
		if (rc == MG_HTTP_OK && whole == MG_HTTP_OK)
			MG_CHECK(same_result(&m, out));
	}
	init(&m, h, c);
	rc = MG_HTTP_AGAIN;
	for (size_t k = 1; k <= n && rc == MG_HTTP_AGAIN; k++)
		rc = parse(&m, c, in, k);
	MG_CHECK_EQ(rc, whole);
	if (rc == MG_HTTP_OK && whole == MG_HTTP_OK)
		MG_CHECK(same_result(&m, out));
	/* a result is sticky */
	MG_CHECK_EQ(parse(out, c, in, n), whole);
	return whole;
}

static bool
slice_is(const char *in, struct mg_http_slice s, const char *want)
{
	return s.len == strlen(want) && memcmp(in + s.off, want, s.len) == 0;
}

static void
test_valid_requests(void)
{
	struct mg_http_msg m;
	struct mg_http_header h[MAXH];
	const char *in;

	in = "GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\n"
	     "User-Agent: t\r\nAccept:  */*  \r\n\r\nBODY";
	MG_CHECK_EQ(run(in, &REQ, &m, h), MG_HTTP_OK);
	MG_CHECK_EQ(m.method, MG_HTTP_M_GET);
	MG_CHECK(slice_is(in, m.method_str, "GET"));
	MG_CHECK(slice_is(in, m.target, "/index.html?q=1"));
	MG_CHECK_EQ(m.target_form, MG_HTTP_T_ORIGIN);
	MG_CHECK_EQ(m.version, 11);
	MG_CHECK_EQ(m.n_headers, 3);
	MG_CHECK(slice_is(in, h[2].name, "Accept"));
	MG_CHECK(slice_is(in, h[2].value, "*/*"));
	MG_CHECK(slice_is(in, m.host, "example.com"));
	MG_CHECK_EQ(m.framing, MG_HTTP_BODY_NONE);
	MG_CHECK(m.flags & MG_HTTP_F_KEEP_ALIVE);
	MG_CHECK_EQ(m.head_len, strlen(in) - 4);
	MG_CHECK(mg_http_find_header(&m, in, "user-agent") == &h[1]);
	MG_CHECK(mg_http_find_header(&m, in, "cookie") == NULL);

	in = "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 42\r\n"
	     "Expect: 100-Continue\r\nConnection: close\r\n\r\n";
	MG_CHECK_EQ(run(in, &REQ, &m, h), MG_HTTP_OK);
	MG_CHECK_EQ(m.method, MG_HTTP_M_POST);
	MG_CHECK_EQ(m.framing, MG_HTTP_BODY_LENGTH);
	MG_CHECK_EQ(m.content_length, 42);
	MG_CHECK(m.flags & MG_HTTP_F_EXPECT_100);
	MG_CHECK(m.flags & MG_HTTP_F_CONN_CLOSE);
	MG_CHECK(!(m.flags & MG_HTTP_F_KEEP_ALIVE));

	/* repeated identical Content-Length is merged */
	in = "PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 7, 7\r\n"
	     "content-length: 7\r\n\r\n";
	MG_CHECK_EQ(run(in, &REQ, &m, h), MG_HTTP_OK);
	MG_CHECK_EQ(m.content_length, 7);

	in = "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
	MG_CHECK_EQ(run(in, &REQ, &m, h), MG_HTTP_OK);
	MG_CHECK_EQ(m.framing, MG_HTTP_BODY_CHUNKED);
	in = "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n"
	     "Transfer-Encoding: CHUNKED\r\n\r\n";
	MG_CHECK_EQ(run(in, &REQ, &m, h), MG_HTTP_OK);
	MG_CHECK_EQ(m.framing, MG_HTTP_BODY_CHUNKED);

	/* HTTP/1.0: no Host needed, keep-alive only on request */
	in = "GET / HTTP/1.0\r\n\r\n";
	MG_CHECK_EQ(run(in, &REQ, &m, h), MG_HTTP_OK);
	MG_CHECK_EQ(m.version, 10);
	MG_CHECK(!(m.flags & MG_HTTP_F_KEEP_ALIVE));
	in = "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n";
	MG_CHECK_EQ(run(in, &REQ, &m, h), MG_HTTP_OK);
	MG_CHECK(m.flags & MG_HTTP_F_KEEP_ALIVE);

	/* absolute-form: host comes from the target */
	in = "GET http://Example.com:8080/p?x HTTP/1.1\r\n"
	     "Host: example.COM:8080\r\n\r\n";
	MG_CHECK_EQ(run(in, &REQ, &m, h), MG_HTTP_OK);
	MG_CHECK_EQ(m.target_form, MG_HTTP_T_ABSOLUTE);
	MG_CHECK(slice_is(in, m.host, "Example.com:8080"));
	in = "GET https://[::1]:443 HTTP/1.0\r\n\r\n";
	MG_CHECK_EQ(run(in, &REQ, &m, h), MG_HTTP_OK);
	MG_CHECK(slice_is(in, m.host, "[::1]:443"));

	in = "CONNECT db.example:5432 HTTP/1.1\r\nHost: db.example:5432\r\n\r\n";
	MG_CHECK_EQ(run(in, &REQ, &m, h), MG_HTTP_OK);
	MG_CHECK_EQ(m.method, MG_HTTP_M_CONNECT);
	MG_CHECK_EQ(m.target_form, MG_HTTP_T_AUTHORITY);

	in = "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n";
	MG_CHECK_EQ(run(in, &REQ, &m, h), MG_HTTP_OK);
	MG_CHECK_EQ(m.target_form, MG_HTTP_T_ASTERISK);

	in = "GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
	     "Connection: keep-alive, Upgrade\r\n\r\n";
	MG_CHECK_EQ(run(in, &REQ, &m, h), MG_HTTP_OK);
	MG_CHECK(m.flags & MG_HTTP_F_UPGRADE);
	MG_CHECK(m.flags & MG_HTTP_F_CONN_UPGRADE);
	MG_CHECK(m.flags & MG_HTTP_F_CONN_KEEP);

	/* unknown method token, leading empty lines, empty value, obs-text */
	in = "\r\n\r\nPURGE /a HTTP/1.1\r\nHost: a\r\nX-Empty:\r\n"
	     "X-Latin: caf\xe9\tok\r\n\r\n";
	MG_CHECK_EQ(run(in, &REQ, &m, h), MG_HTTP_OK);
	MG_CHECK_EQ(m.method, MG_HTTP_M_OTHER);
	MG_CHECK(slice_is(in, m.method_str, "PURGE"));
	MG_CHECK_EQ(h[1].value.len, 0);
	MG_CHECK(slice_is(in, h[2].value, "caf\xe9\tok"));

	in = "DELETE /r HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n";
	MG_CHECK_EQ(run(in, &REQ, &m, h), MG_HTTP_OK);
	MG_CHECK_EQ(m.framing, MG_HTTP_BODY_NONE);
	MG_CHECK(m.flags & MG_HTTP_F_HAS_CL);

	MG_CHECK_EQ(run("GET / HTTP/1.1\r\nHost: a\r\n", &REQ, &m, h),
		    MG_HTTP_AGAIN);
	MG_CHECK_EQ(run("", &REQ, &m, h), MG_HTTP_AGAIN);
	MG_CHECK(!strcmp(mg_http_method_name(MG_HTTP_M_PATCH), "PATCH"));
}

/* An input and the result it must give. */
struct want {
	const char *in;
	int rc;
};

static void
test_rejections(void)
{
	static const struct want cases[] = {
		{ "GET /  HTTP/1.1\r\nHost: a\r\n\r\n", MG_HTTP_E_BAD_REQUEST_LINE },
		{ " GET / HTTP/1.1\r\nHost: a\r\n\r\n", MG_HTTP_E_BAD_REQUEST_LINE },
		{ "GET /\r\n\r\n", MG_HTTP_E_BAD_REQUEST_LINE },
		{ "\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", MG_HTTP_E_BAD_REQUEST_LINE },
		{ "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", MG_HTTP_E_BAD_METHOD },
		{ "GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n", MG_HTTP_E_BAD_TARGET },
		{ "GET a/b HTTP/1.1\r\nHost: a\r\n\r\n", MG_HTTP_E_BAD_TARGET },
		{ "GET * HTTP/1.1\r\nHost: a\r\n\r\n", MG_HTTP_E_BAD_TARGET },
		{ "CONNECT /x HTTP/1.1\r\nHost: a\r\n\r\n", MG_HTTP_E_BAD_TARGET },
		{ "CONNECT host HTTP/1.1\r\nHost: a\r\n\r\n", MG_HTTP_E_BAD_TARGET },
		{ "GET http://u@h/ HTTP/1.1\r\nHost: h\r\n\r\n", MG_HTTP_E_USERINFO_IN_TARGET },
		{ "GET http:/// HTTP/1.1\r\nHost: h\r\n\r\n", MG_HTTP_E_BAD_TARGET },
		{ "GET / HTTP/1.x\r\nHost: a\r\n\r\n", MG_HTTP_E_BAD_VERSION },
		{ "GET / http/1.1\r\nHost: a\r\n\r\n", MG_HTTP_E_BAD_VERSION },
		{ "GET / HTTP/2.0\r\nHost: a\r\n\r\n", MG_HTTP_E_VERSION_NOT_SUPPORTED },
		{ "GET / HTTP/0.9\r\n\r\n", MG_HTTP_E_VERSION_NOT_SUPPORTED },
		{ "GET / HTTP/1.1\nHost: a\r\n\r\n", MG_HTTP_E_BARE_LF },
		{ "GET / HTTP/1.1\r\nHost: a\n\r\n", MG_HTTP_E_BARE_LF },
		{ "GET / HTTP/1.1\r\nHost: a\r\n\n", MG_HTTP_E_BARE_LF },
		{ "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", MG_HTTP_E_BARE_LF },
		{ "GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", MG_HTTP_E_BARE_CR },
		{ "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", MG_HTTP_E_OBS_FOLD },
		{ "GET / HTTP/1.1\r\nHost: a\r\n\tX: a\r\n\r\n", MG_HTTP_E_OBS_FOLD },
		{ "GET / HTTP/1.1\r\nHost: a\r\nX(: a\r\n\r\n", MG_HTTP_E_BAD_HEADER_NAME },
		{ "GET / HTTP/1.1\r\nHost: a\r\n: a\r\n\r\n", MG_HTTP_E_BAD_HEADER_NAME },
		{ "GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", MG_HTTP_E_BAD_HEADER_NAME },
		{ "GET / HTTP/1.1\r\nHost: a\r\nX Y: a\r\n\r\n", MG_HTTP_E_BAD_HEADER_NAME },
		{ "GET / HTTP/1.1\r\nHost: a\r\nContent-Length : 5\r\n\r\n", MG_HTTP_E_SPACE_BEFORE_COLON },
		{ "GET / HTTP/1.1\r\nHost: a\r\nX\t: 5\r\n\r\n", MG_HTTP_E_SPACE_BEFORE_COLON },
		{ "GET / HTTP/1.1\r\nHost: a\r\nX: a\x01\r\n\r\n", MG_HTTP_E_BAD_HEADER_VALUE },
		{ "GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n", MG_HTTP_E_BAD_HEADER_VALUE },
		{ "GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n", MG_HTTP_AGAIN /* see below */ },
		{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
		  "Transfer-Encoding: chunked\r\n\r\n", MG_HTTP_E_CL_AND_TE },
		{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
		  "Content-Length: 3\r\n\r\n", MG_HTTP_E_CL_AND_TE },
		{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
		  "Content-Length: 4\r\n\r\n", MG_HTTP_E_CONFLICTING_CONTENT_LENGTH },
		{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 4\r\n\r\n",
		  MG_HTTP_E_CONFLICTING_CONTENT_LENGTH },
		{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\n", MG_HTTP_E_BAD_CONTENT_LENGTH },
		{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x3\r\n\r\n", MG_HTTP_E_BAD_CONTENT_LENGTH },
		{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", MG_HTTP_E_BAD_CONTENT_LENGTH },
		{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3,\r\n\r\n", MG_HTTP_E_BAD_CONTENT_LENGTH },
		{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3 3\r\n\r\n", MG_HTTP_E_BAD_CONTENT_LENGTH },
		{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", MG_HTTP_E_BAD_CONTENT_LENGTH },
		{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551616\r\n\r\n",
		  MG_HTTP_E_BAD_CONTENT_LENGTH },
		{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n",
		  MG_HTTP_E_BAD_CONTENT_LENGTH },
		{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
		  MG_HTTP_E_TE_NOT_CHUNKED_LAST },
		{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
		  "Transfer-Encoding: chunked\r\n\r\n", MG_HTTP_E_TE_NOT_CHUNKED_LAST },
		{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
		  MG_HTTP_E_TE_NOT_CHUNKED_LAST },
		{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n",
		  MG_HTTP_E_TE_NOT_CHUNKED_LAST },
		{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n",
		  MG_HTTP_E_UNKNOWN_TE },
		{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: br, chunked\r\n\r\n",
		  MG_HTTP_E_UNKNOWN_TE },
		{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;q=1\r\n\r\n",
		  MG_HTTP_E_UNKNOWN_TE },
		{ "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
		  MG_HTTP_E_TE_IN_HTTP10 },
		{ "GET / HTTP/1.1\r\n\r\n", MG_HTTP_E_MISSING_HOST },
		{ "GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", MG_HTTP_E_DUPLICATE_HOST },
		{ "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", MG_HTTP_E_BAD_HOST },
		{ "GET / HTTP/1.1\r\nHost: a,b\r\n\r\n", MG_HTTP_E_BAD_HOST },
		{ "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", MG_HTTP_E_BAD_HOST },
		{ "GET http://a/ HTTP/1.1\r\nHost: b\r\n\r\n", MG_HTTP_E_HOST_MISMATCH },
		{ "GET http://a:80/ HTTP/1.1\r\nHost: a\r\n\r\n", MG_HTTP_E_HOST_MISMATCH },
	};
	struct mg_http_msg m;
	struct mg_http_header h[MAXH];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = run(cases[i].in, &REQ, &m, h);

		if (cases[i].rc == MG_HTTP_AGAIN)
			continue;
		MG_CHECK_EQ(rc, cases[i].rc);
		if (rc != cases[i].rc)
			fprintf(stderr, "  case %zu: got %s want %s\n", i,
				mg_http_rc_name(rc),
				mg_http_rc_name(cases[i].rc));
	}
	/* NUL inside a value (strlen cannot carry it) */
	{
		static const char nul[] = "GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n";

		mg_http_request_init(&m, h, MAXH, NULL);
		MG_CHECK_EQ(mg_http_request_parse(&m, nul, sizeof(nul) - 1),
			    MG_HTTP_E_BAD_HEADER_VALUE);
	}
	/* every error names a status a server can answer with */
	for (int rc = MG_HTTP_AGAIN + 1; rc < MG_HTTP_RC_MAX; rc++) {
		unsigned st = mg_http_rc_status(rc);

		MG_CHECK(st == 400 || st == 413 || st == 414 || st == 431 ||
			 st == 501 || st == 502 || st == 505);
		MG_CHECK(strcmp(mg_http_rc_name(rc), "?") != 0);
	}
	MG_CHECK_EQ(mg_http_rc_status(MG_HTTP_E_UNKNOWN_TE), 501);
	MG_CHECK_EQ(mg_http_rc_status(MG_HTTP_E_VERSION_NOT_SUPPORTED), 505);
	MG_CHECK_EQ(mg_http_rc_status(MG_HTTP_OK), 0);
	MG_CHECK_EQ(mg_http_rc_status(-1), 0);
	MG_CHECK(!strcmp(mg_http_rc_name(MG_HTTP_E_CL_AND_TE), "CL_AND_TE"));
	MG_CHECK(!strcmp(mg_http_rc_name(MG_HTTP_RC_MAX), "?"));
	MG_CHECK(mg_http_rc_desc(MG_HTTP_E_BARE_LF)[0] != '\0');
}

/* A request line with the Host given, or none when host is NULL. */
static int
run_host(const char *line, const char *host, struct mg_http_msg *m,
	 struct mg_http_header *h)
{
	char in[1024];

	if (host != NULL)
		snprintf(in, sizeof(in), "%s\r\nHost: %s\r\n\r\n", line, host);
	else
		snprintf(in, sizeof(in), "%s\r\n\r\n", line);
	return run(in, &REQ, m, h);
}

/* Host: a DNS name, IPv4 or [IPv6] and an optional port; nothing else. */
static void
test_host(void)
{
	static const struct want cases[] = {
		{ "example.com", MG_HTTP_OK },
		{ "EXAMPLE.com", MG_HTTP_OK },		/* case is kept */
		{ "a_b.example", MG_HTTP_OK },	/* internal names */
		{ "-a-.b-", MG_HTTP_OK },
		{ "example.com.", MG_HTTP_OK },		/* an FQDN */
		{ "example.com.:8080", MG_HTTP_OK },
		{ "xn--bcher-kva.example", MG_HTTP_OK },
		{ "10.0.0.1", MG_HTTP_OK },
		{ "10.0.0.1:65535", MG_HTTP_OK },
		{ "a:0", MG_HTTP_OK },
		{ "a:00080", MG_HTTP_OK },
		{ "[::1]", MG_HTTP_OK },
		{ "[::1]:8080", MG_HTTP_OK },
		{ "[::]", MG_HTTP_OK },
		{ "[2001:DB8::1]:443", MG_HTTP_OK },
		{ "[1:2:3:4:5:6:7:8]", MG_HTTP_OK },
		{ "[1::]", MG_HTTP_OK },
		{ "[1:2:3:4:5:6:7::]", MG_HTTP_OK },
		{ "[::ffff:192.0.2.1]", MG_HTTP_OK },
		{ "[1:2:3:4:5:6:1.2.3.4]", MG_HTTP_OK },
		{ "[::1.2.3.4]:1", MG_HTTP_OK },

		/* present but empty, OWS trimmed: nothing to route on */
		{ "", MG_HTTP_E_EMPTY_HOST },
		{ "   ", MG_HTTP_E_EMPTY_HOST },

		/* pct-encoded, sub-delims, delimiters, raw bytes */
		{ "%00", MG_HTTP_E_BAD_HOST },
		{ "%61.com", MG_HTTP_E_BAD_HOST },
		{ "a%2fb", MG_HTTP_E_BAD_HOST },
		{ "a b", MG_HTTP_E_BAD_HOST },
		{ "a,b", MG_HTTP_E_BAD_HOST },
		{ "a/b", MG_HTTP_E_BAD_HOST },
		{ "a\\b", MG_HTTP_E_BAD_HOST },
		{ "u@a", MG_HTTP_E_BAD_HOST },
		{ "a;for=10.0.0.1", MG_HTTP_E_BAD_HOST },
		{ "a=b", MG_HTTP_E_BAD_HOST },
		{ "a~b", MG_HTTP_E_BAD_HOST },
		{ "a!$&'()*+", MG_HTTP_E_BAD_HOST },
		{ "a?b", MG_HTTP_E_BAD_HOST },
		{ "a#b", MG_HTTP_E_BAD_HOST },
		{ "caf\xe9.example", MG_HTTP_E_BAD_HOST },
		/* empty labels */
		{ ".", MG_HTTP_E_BAD_HOST },
		{ ".a", MG_HTTP_E_BAD_HOST },
		{ "a..b", MG_HTTP_E_BAD_HOST },
		{ "a..", MG_HTTP_E_BAD_HOST },
		/* no host before the port */
		{ ":80", MG_HTTP_E_BAD_HOST },
		{ "::1", MG_HTTP_E_BAD_HOST },
		/* IP-literal: IPv6 only, well formed, closed */
		{ "[::1", MG_HTTP_E_BAD_HOST },
		{ "[::1]x", MG_HTTP_E_BAD_HOST },
		{ "[::1]]", MG_HTTP_E_BAD_HOST },
		{ "a[::1]", MG_HTTP_E_BAD_HOST },
		{ "[]", MG_HTTP_E_BAD_HOST },
		{ "[a.b]", MG_HTTP_E_BAD_HOST },
		{ "[1.2.3.4]", MG_HTTP_E_BAD_HOST },
		{ "[v1.x]", MG_HTTP_E_BAD_HOST },
		{ "[fe80::1%25eth0]", MG_HTTP_E_BAD_HOST },
		{ "[:1]", MG_HTTP_E_BAD_HOST },
		{ "[1:]", MG_HTTP_E_BAD_HOST },
		{ "[:::1]", MG_HTTP_E_BAD_HOST },
		{ "[1::2::3]", MG_HTTP_E_BAD_HOST },
		{ "[12345::1]", MG_HTTP_E_BAD_HOST },
		{ "[g::1]", MG_HTTP_E_BAD_HOST },
		{ "[1:2:3:4:5:6:7]", MG_HTTP_E_BAD_HOST },
		{ "[1:2:3:4:5:6:7:8:9]", MG_HTTP_E_BAD_HOST },
		{ "[1:2:3:4:5:6:7::8]", MG_HTTP_E_BAD_HOST },
		{ "[1:2:3:4:5:6:7:1.2.3.4]", MG_HTTP_E_BAD_HOST },
		{ "[1:2:3:4:5:6::1.2.3.4]", MG_HTTP_E_BAD_HOST },
		{ "[::1.2.3.256]", MG_HTTP_E_BAD_HOST },
		{ "[::01.2.3.4]", MG_HTTP_E_BAD_HOST },
		{ "[::1.2.3]", MG_HTTP_E_BAD_HOST },
		{ "[::1.2.3.4.5]", MG_HTTP_E_BAD_HOST },
		{ "[::1.2.3.4:5]", MG_HTTP_E_BAD_HOST },
		{ "[1.2.3.4::]", MG_HTTP_E_BAD_HOST },

		/* the port: 1-5 digits, at most 65535 */
		{ "example.com:", MG_HTTP_E_BAD_HOST_PORT },
		{ "[::1]:", MG_HTTP_E_BAD_HOST_PORT },
		{ "a:65536", MG_HTTP_E_BAD_HOST_PORT },
		{ "a:99999", MG_HTTP_E_BAD_HOST_PORT },
		{ "a:123456", MG_HTTP_E_BAD_HOST_PORT },
		{ "a:-1", MG_HTTP_E_BAD_HOST_PORT },
		{ "a:+80", MG_HTTP_E_BAD_HOST_PORT },
		{ "a:8o", MG_HTTP_E_BAD_HOST_PORT },
		{ "a:80:80", MG_HTTP_E_BAD_HOST_PORT },
		{ "a:b", MG_HTTP_E_BAD_HOST_PORT },
		{ "[::1]:0x50", MG_HTTP_E_BAD_HOST_PORT },
	};
	struct mg_http_msg m;
	struct mg_http_header h[MAXH];
	char name[300];
	int rc;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = run_host("GET / HTTP/1.1", cases[i].in, &m, h);
		MG_CHECK_EQ(rc, cases[i].rc);
		if (rc != cases[i].rc)
			fprintf(stderr, "  Host \"%s\": got %s want %s\n",
				cases[i].in, mg_http_rc_name(rc),
				mg_http_rc_name(cases[i].rc));
		if (rc == MG_HTTP_OK) {
			char in[1024];

			snprintf(in, sizeof(in),
				 "GET / HTTP/1.1\r\nHost: %s\r\n\r\n",
				 cases[i].in);
			MG_CHECK(slice_is(in, m.host, cases[i].in));
		}
	}
	/* the same rules in HTTP/1.0 and for every target form */
	MG_CHECK_EQ(run_host("GET / HTTP/1.0", "", &m, h),
		    MG_HTTP_E_EMPTY_HOST);
	MG_CHECK_EQ(run_host("GET / HTTP/1.0", "%00", &m, h),
		    MG_HTTP_E_BAD_HOST);
	MG_CHECK_EQ(run_host("GET / HTTP/1.0", NULL, &m, h), MG_HTTP_OK);
	MG_CHECK_EQ(m.host.len, 0);
	MG_CHECK_EQ(run_host("GET http://a/ HTTP/1.1", "", &m, h),
		    MG_HTTP_E_EMPTY_HOST);
	MG_CHECK_EQ(run_host("OPTIONS * HTTP/1.1", "", &m, h),
		    MG_HTTP_E_EMPTY_HOST);
	MG_CHECK_EQ(run_host("CONNECT a:443 HTTP/1.1", "", &m, h),
		    MG_HTTP_E_EMPTY_HOST);
	MG_CHECK_EQ(run_host("CONNECT a:443 HTTP/1.1", "a:", &m, h),
		    MG_HTTP_E_BAD_HOST_PORT);

	/* RFC 3986 3.2.2: a registered name is at most 255 characters */
	memset(name, 'a', sizeof(name));
	for (size_t i = 63; i < sizeof(name); i += 64)
		name[i] = '.';
	name[255] = '\0';
	MG_CHECK_EQ(run_host("GET / HTTP/1.1", name, &m, h), MG_HTTP_OK);
	strcpy(name + 255, ":80");
	MG_CHECK_EQ(run_host("GET / HTTP/1.1", name, &m, h), MG_HTTP_OK);
	name[255] = 'a';
	name[256] = '\0';
	MG_CHECK_EQ(run_host("GET / HTTP/1.1", name, &m, h),
		    MG_HTTP_E_BAD_HOST);

	/* raw NUL and control bytes never reach the Host check */
	{
		static const char nul[] =
			"GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n";

		mg_http_request_init(&m, h, MAXH, NULL);
		MG_CHECK_EQ(mg_http_request_parse(&m, nul, sizeof(nul) - 1),
			    MG_HTTP_E_BAD_HEADER_VALUE);
	}
	MG_CHECK_EQ(run_host("GET / HTTP/1.1", "a\x01", &m, h),
		    MG_HTTP_E_BAD_HEADER_VALUE);
	MG_CHECK_EQ(run_host("GET / HTTP/1.1", "a\tb", &m, h),
		    MG_HTTP_E_BAD_HOST);
}

struct target_case {
	const char *line;
	const char *host;
	int rc;
};

/* Fragments, userinfo, authority-form outside CONNECT, bad authorities. */
static void
test_target(void)
{
	static const struct target_case cases[] = {
		{ "GET /a?b=c/d?e HTTP/1.1", "a", MG_HTTP_OK },
		{ "GET /a@b HTTP/1.1", "a", MG_HTTP_OK },
		{ "GET /a:b HTTP/1.1", "a", MG_HTTP_OK },
		{ "GET http://h/a@b HTTP/1.1", "h", MG_HTTP_OK },
		{ "GET http://h?q@x HTTP/1.1", "h", MG_HTTP_OK },
		{ "GET http://[::1]:8080/ HTTP/1.1", "[::1]:8080", MG_HTTP_OK },
		{ "GET HTTP://A_B.example/ HTTP/1.1", "a_b.EXAMPLE", MG_HTTP_OK },
		{ "CONNECT [::1]:443 HTTP/1.1", "[::1]:443", MG_HTTP_OK },
		{ "CONNECT a:443 HTTP/1.1", "b", MG_HTTP_OK },

		/* RFC 9112 3.2: no fragment in any form */
		{ "GET /a#b HTTP/1.1", "a", MG_HTTP_E_FRAGMENT_IN_TARGET },
		{ "GET /# HTTP/1.1", "a", MG_HTTP_E_FRAGMENT_IN_TARGET },
		{ "GET /a?q#b HTTP/1.1", "a", MG_HTTP_E_FRAGMENT_IN_TARGET },
		{ "GET /public#/../admin HTTP/1.1", "a", MG_HTTP_E_FRAGMENT_IN_TARGET },
		{ "GET http://a/p#f HTTP/1.1", "a", MG_HTTP_E_FRAGMENT_IN_TARGET },
		{ "GET http://a#f HTTP/1.1", "a", MG_HTTP_E_FRAGMENT_IN_TARGET },
		{ "OPTIONS *# HTTP/1.1", "a", MG_HTTP_E_FRAGMENT_IN_TARGET },
		{ "CONNECT a:443#x HTTP/1.1", "a", MG_HTTP_E_FRAGMENT_IN_TARGET },
		{ "GET /a#b HTTP/1.0", NULL, MG_HTTP_E_FRAGMENT_IN_TARGET },

		/* userinfo: absolute-form and authority-form */
		{ "GET http://u@h/ HTTP/1.1", "h", MG_HTTP_E_USERINFO_IN_TARGET },
		{ "GET http://u:p@h:80/ HTTP/1.1", "h:80", MG_HTTP_E_USERINFO_IN_TARGET },
		{ "GET http://@h/ HTTP/1.1", "h", MG_HTTP_E_USERINFO_IN_TARGET },
		{ "GET http://h@ HTTP/1.1", "h", MG_HTTP_E_USERINFO_IN_TARGET },
		{ "CONNECT u@h:443 HTTP/1.1", "h:443", MG_HTTP_E_USERINFO_IN_TARGET },

		/* authority-form is for CONNECT only (RFC 9112 3.2.3) */
		{ "GET example.com:80 HTTP/1.1", "example.com:80",
		  MG_HTTP_E_AUTHORITY_FORM_NOT_CONNECT },
		{ "OPTIONS a:443 HTTP/1.1", "a", MG_HTTP_E_AUTHORITY_FORM_NOT_CONNECT },
		{ "POST [::1]:443 HTTP/1.1", "a", MG_HTTP_E_AUTHORITY_FORM_NOT_CONNECT },
		{ "GET a:b HTTP/1.1", "a", MG_HTTP_E_BAD_TARGET },
		{ "GET example.com HTTP/1.1", "a", MG_HTTP_E_BAD_TARGET },

		/* the absolute-form authority follows the Host rules */
		{ "GET http://a:99999/ HTTP/1.1", "a:99999", MG_HTTP_E_BAD_TARGET },
		{ "GET http://a:/ HTTP/1.1", "a:", MG_HTTP_E_BAD_TARGET },
		{ "GET http://%61/ HTTP/1.1", "a", MG_HTTP_E_BAD_TARGET },
		{ "GET http://a%00b/ HTTP/1.1", "a", MG_HTTP_E_BAD_TARGET },
		{ "GET http://[::1/ HTTP/1.1", "a", MG_HTTP_E_BAD_TARGET },
		{ "GET http://a..b/ HTTP/1.1", "a", MG_HTTP_E_BAD_TARGET },
		{ "GET http://a;b/ HTTP/1.1", "a", MG_HTTP_E_BAD_TARGET },
		{ "GET http://:80/ HTTP/1.1", "a", MG_HTTP_E_BAD_TARGET },
		{ "GET http://? HTTP/1.1", "a", MG_HTTP_E_BAD_TARGET },
		/* CONNECT: a port is required and valid */
		{ "CONNECT a HTTP/1.1", "a", MG_HTTP_E_BAD_TARGET },
		{ "CONNECT a: HTTP/1.1", "a", MG_HTTP_E_BAD_TARGET },
		{ "CONNECT a:65536 HTTP/1.1", "a", MG_HTTP_E_BAD_TARGET },
		{ "CONNECT [::1] HTTP/1.1", "a", MG_HTTP_E_BAD_TARGET },
		{ "CONNECT [::1]443 HTTP/1.1", "a", MG_HTTP_E_BAD_TARGET },
		{ "CONNECT %61:443 HTTP/1.1", "a", MG_HTTP_E_BAD_TARGET },
	};
	struct mg_http_msg m;
	struct mg_http_header h[MAXH];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = run_host(cases[i].line, cases[i].host, &m, h);

		MG_CHECK_EQ(rc, cases[i].rc);
		if (rc != cases[i].rc)
			fprintf(stderr, "  \"%s\": got %s want %s\n",
				cases[i].line, mg_http_rc_name(rc),
				mg_http_rc_name(cases[i].rc));
	}
	/* the absolute-form authority is the host, not the Host field */
	{
		const char *in = "GET http://[::1]:8080/x HTTP/1.1\r\n"
				 "Host: [::1]:8080\r\n\r\n";

		MG_CHECK_EQ(run(in, &REQ, &m, h), MG_HTTP_OK);
		MG_CHECK_EQ(m.host.off, 11);
		MG_CHECK(slice_is(in, m.host, "[::1]:8080"));
		MG_CHECK(slice_is(in, m.target, "http://[::1]:8080/x"));
		in = "GET http://h?q@x HTTP/1.1\r\nHost: h\r\n\r\n";
		MG_CHECK_EQ(run(in, &REQ, &m, h), MG_HTTP_OK);
		MG_CHECK(slice_is(in, m.host, "h"));
	}
	for (int rc = MG_HTTP_E_FRAGMENT_IN_TARGET;
	     rc <= MG_HTTP_E_AUTHORITY_FORM_NOT_CONNECT; rc++)
		MG_CHECK_EQ(mg_http_rc_status(rc), 400);
	MG_CHECK_EQ(mg_http_rc_status(MG_HTTP_E_EMPTY_HOST), 400);
	MG_CHECK_EQ(mg_http_rc_status(MG_HTTP_E_BAD_HOST_PORT), 400);
	MG_CHECK(!strcmp(mg_http_rc_name(MG_HTTP_E_FRAGMENT_IN_TARGET),
			 "FRAGMENT_IN_TARGET"));
}

static void
test_limits(void)
{
	struct mg_http_limits lim = { .max_line = 20, .max_head = 40,
				      .max_body = 100 };
	struct run_cfg c = { false, MG_HTTP_M_GET, &lim, 3 };
	struct mg_http_msg m;
	struct mg_http_header h[MAXH];

	/* request line of exactly max_line is fine, one more is 414 */
	MG_CHECK_EQ(run("GET /aaaaaa HTTP/1.0\r\n\r\n", &c, &m, h), MG_HTTP_OK);
	MG_CHECK_EQ(run("GET /aaaaaaa HTTP/1.0\r\n\r\n", &c, &m, h),
		    MG_HTTP_E_URI_TOO_LONG);
	MG_CHECK_EQ(run("GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaa", &c, &m, h),
		    MG_HTTP_E_URI_TOO_LONG);
	MG_CHECK_EQ(mg_http_rc_status(MG_HTTP_E_URI_TOO_LONG), 414);
	/* header section: 38 + 2 = 40 fits, 41 does not */
	MG_CHECK_EQ(run("GET / HTTP/1.0\r\nX: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n",
			&c, &m, h), MG_HTTP_OK);
	MG_CHECK_EQ(run("GET / HTTP/1.0\r\nX: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n",
			&c, &m, h), MG_HTTP_E_HEAD_TOO_LARGE);
	MG_CHECK_EQ(run("GET / HTTP/1.0\r\nX: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
			&c, &m, h), MG_HTTP_E_HEAD_TOO_LARGE);
	/* a bad line beyond the limit is still 431 at every split */
	MG_CHECK_EQ(run("GET / HTTP/1.0\r\nX: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\x01\n",
			&c, &m, h), MG_HTTP_E_HEAD_TOO_LARGE);
	MG_CHECK_EQ(mg_http_rc_status(MG_HTTP_E_HEAD_TOO_LARGE), 431);
	MG_CHECK_EQ(run("GET / HTTP/1.0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", &c, &m, h),
		    MG_HTTP_OK);
	MG_CHECK_EQ(run("GET / HTTP/1.0\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n",
			&c, &m, h), MG_HTTP_E_TOO_MANY_HEADERS);
	MG_CHECK_EQ(mg_http_rc_status(MG_HTTP_E_TOO_MANY_HEADERS), 431);
	MG_CHECK_EQ(run("GET / HTTP/1.0\r\nContent-Length: 100\r\n\r\n", &c, &m, h),
		    MG_HTTP_OK);
	MG_CHECK_EQ(run("GET / HTTP/1.0\r\nContent-Length: 101\r\n\r\n", &c, &m, h),
		    MG_HTTP_E_BODY_TOO_LARGE);
	MG_CHECK_EQ(mg_http_rc_status(MG_HTTP_E_BODY_TOO_LARGE), 413);
	/* no header storage at all */
	c.max_headers = 0;
	MG_CHECK_EQ(run("GET / HTTP/1.0\r\n\r\n", &c, &m, h), MG_HTTP_OK);
	MG_CHECK_EQ(run("GET / HTTP/1.0\r\nA: 1\r\n\r\n", &c, &m, h),
		    MG_HTTP_E_TOO_MANY_HEADERS);
}

static void
test_responses(void)
{
	struct run_cfg head = { true, MG_HTTP_M_HEAD, NULL, MAXH };
	struct run_cfg conn = { true, MG_HTTP_M_CONNECT, NULL, MAXH };
	struct mg_http_msg m;
	struct mg_http_header h[MAXH];
	const char *in;

	in = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: x\r\n\r\nhello";
	MG_CHECK_EQ(run(in, &RESP, &m, h), MG_HTTP_OK);
	MG_CHECK_EQ(m.status, 200);
	MG_CHECK(slice_is(in, m.reason, "OK"));
	MG_CHECK_EQ(m.framing, MG_HTTP_BODY_LENGTH);
	MG_CHECK_EQ(m.content_length, 5);
	MG_CHECK(m.flags & MG_HTTP_F_KEEP_ALIVE);
	MG_CHECK_EQ(m.head_len, strlen(in) - 5);

	in = "HTTP/1.1 404 Not Found Here\r\nTransfer-Encoding: chunked\r\n\r\n";
	MG_CHECK_EQ(run(in, &RESP, &m, h), MG_HTTP_OK);
	MG_CHECK_EQ(m.framing, MG_HTTP_BODY_CHUNKED);
	MG_CHECK(slice_is(in, m.reason, "Not Found Here"));

	/* no length: read until close, never keep-alive */
	in = "HTTP/1.1 200 OK\r\n\r\n";
	MG_CHECK_EQ(run(in, &RESP, &m, h), MG_HTTP_OK);
	MG_CHECK_EQ(m.framing, MG_HTTP_BODY_CLOSE);
	MG_CHECK(!(m.flags & MG_HTTP_F_KEEP_ALIVE));
	in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n";
	MG_CHECK_EQ(run(in, &RESP, &m, h), MG_HTTP_OK);
	MG_CHECK_EQ(m.framing, MG_HTTP_BODY_CLOSE);
	in = "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n"
	     "Connection: keep-alive\r\n\r\n";
	MG_CHECK_EQ(run(in, &RESP, &m, h), MG_HTTP_OK);
	MG_CHECK_EQ(m.framing, MG_HTTP_BODY_CLOSE);
	MG_CHECK(!(m.flags & MG_HTTP_F_KEEP_ALIVE));
	in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: br\r\n\r\n";
	MG_CHECK_EQ(run(in, &RESP, &m, h), MG_HTTP_OK);
	MG_CHECK_EQ(m.framing, MG_HTTP_BODY_CLOSE);

	/* no body: 1xx, 204, 304, HEAD, 2xx to CONNECT */
	MG_CHECK_EQ(run("HTTP/1.1 100 Continue\r\n\r\n", &RESP, &m, h), MG_HTTP_OK);
	MG_CHECK_EQ(m.framing, MG_HTTP_BODY_NONE);
	MG_CHECK_EQ(m.status, 100);
	MG_CHECK_EQ(run("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
			"Connection: upgrade\r\n\r\n", &RESP, &m, h), MG_HTTP_OK);
	MG_CHECK(m.flags & MG_HTTP_F_UPGRADE);
	MG_CHECK(m.flags & MG_HTTP_F_CONN_UPGRADE);
	MG_CHECK_EQ(run("HTTP/1.1 204 No Content\r\n\r\n", &RESP, &m, h), MG_HTTP_OK);
	MG_CHECK_EQ(m.framing, MG_HTTP_BODY_NONE);
	MG_CHECK(m.flags & MG_HTTP_F_KEEP_ALIVE);
	MG_CHECK_EQ(run("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
			&RESP, &m, h), MG_HTTP_OK);
	MG_CHECK_EQ(m.framing, MG_HTTP_BODY_NONE);
	MG_CHECK_EQ(run("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", &head, &m, h),
		    MG_HTTP_OK);
	MG_CHECK_EQ(m.framing, MG_HTTP_BODY_NONE);
	MG_CHECK_EQ(run("HTTP/1.1 200 Connection established\r\n\r\n", &conn, &m, h),
		    MG_HTTP_OK);
	MG_CHECK_EQ(m.framing, MG_HTTP_BODY_NONE);
	MG_CHECK_EQ(run("HTTP/1.1 407 Auth\r\nContent-Length: 0\r\n\r\n", &conn, &m, h),
		    MG_HTTP_OK);
	MG_CHECK_EQ(m.framing, MG_HTTP_BODY_NONE);

	/* 1.0 keep-alive, empty reason, missing reason */
	MG_CHECK_EQ(run("HTTP/1.0 200 \r\nConnection: keep-alive\r\n"
			"Content-Length: 1\r\n\r\n", &RESP, &m, h), MG_HTTP_OK);
	MG_CHECK(m.flags & MG_HTTP_F_KEEP_ALIVE);
	MG_CHECK_EQ(m.reason.len, 0);
	MG_CHECK_EQ(run("HTTP/1.0 200\r\nContent-Length: 1\r\n\r\n", &RESP, &m, h),
		    MG_HTTP_OK);
	MG_CHECK(!(m.flags & MG_HTTP_F_KEEP_ALIVE));

	static const struct want bad[] = {
		{ "HTTP/1.1 20 OK\r\n\r\n", MG_HTTP_E_BAD_STATUS_LINE },
		{ "HTTP/1.1 2000 OK\r\n\r\n", MG_HTTP_E_BAD_STATUS_LINE },
		{ "HTTP/1.1 099 OK\r\n\r\n", MG_HTTP_E_BAD_STATUS_LINE },
		{ "HTTP/1.1  200 OK\r\n\r\n", MG_HTTP_E_BAD_STATUS_LINE },
		{ "HTTP/1.1 200 O\x01K\r\n\r\n", MG_HTTP_E_BAD_STATUS_LINE },
		{ "HTTP/1.1 200 OK\rX\r\n\r\n", MG_HTTP_E_BAD_STATUS_LINE },
		{ "HTTX/1.1 200 OK\r\n\r\n", MG_HTTP_E_BAD_STATUS_LINE },
		{ "\r\nHTTP/1.1 200 OK\r\n\r\n", MG_HTTP_E_BAD_STATUS_LINE },
		{ "HTTP/2.0 200 OK\r\n\r\n", MG_HTTP_E_VERSION_NOT_SUPPORTED },
		{ "HTTP/1.1 200 OK\n\r\n", MG_HTTP_E_BARE_LF },
		{ "HTTP/1.1 200 OK\r\nA: b\n\r\n", MG_HTTP_E_BARE_LF },
		{ "HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n", MG_HTTP_E_OBS_FOLD },
		{ "HTTP/1.1 200 OK\r\nA : b\r\n\r\n", MG_HTTP_E_SPACE_BEFORE_COLON },
		{ "HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n", MG_HTTP_E_BARE_CR },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
		  "Transfer-Encoding: chunked\r\n\r\n", MG_HTTP_E_CL_AND_TE },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		  MG_HTTP_E_CONFLICTING_CONTENT_LENGTH },
		{ "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", MG_HTTP_E_BAD_CONTENT_LENGTH },
		{ "HTTP/1.1 204 OK\r\nContent-Length: x\r\n\r\n", MG_HTTP_E_BAD_CONTENT_LENGTH },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = run(bad[i].in, &RESP, &m, h);

		MG_CHECK_EQ(rc, bad[i].rc);
		if (rc != bad[i].rc)
			fprintf(stderr, "  resp case %zu: got %s want %s\n", i,
				mg_http_rc_name(rc), mg_http_rc_name(bad[i].rc));
	}
	/* status line over max_line */
	{
		struct mg_http_limits lim = { .max_line = 16 };
		struct run_cfg c = { true, MG_HTTP_M_GET, &lim, MAXH };

		MG_CHECK_EQ(run("HTTP/1.1 200 OKO\r\n\r\n", &c, &m, h), MG_HTTP_OK);
		MG_CHECK_EQ(run("HTTP/1.1 200 OKOK\r\n\r\n", &c, &m, h),
			    MG_HTTP_E_BAD_STATUS_LINE);
	}
}

/* A moved buffer keeps working: results are offsets. */
static void
test_moved_buffer(void)
{
	const char *in = "GET /m HTTP/1.1\r\nHost: moved\r\n\r\n";
	size_t n = strlen(in);
	struct mg_http_msg m;
	struct mg_http_header h[4];
	char a[64], b[64];

	mg_http_request_init(&m, h, 4, NULL);
	memcpy(a, in, n);
	MG_CHECK_EQ(mg_http_request_parse(&m, a, 20), MG_HTTP_AGAIN);
	memset(a, 'X', sizeof(a));
	memcpy(b, in, n);
	MG_CHECK_EQ(mg_http_request_parse(&m, b, n), MG_HTTP_OK);
	MG_CHECK(slice_is(b, m.host, "moved"));

	/* a shorter buffer than last time changes nothing */
	mg_http_request_init(&m, h, 4, NULL);
	MG_CHECK_EQ(mg_http_request_parse(&m, b, 20), MG_HTTP_AGAIN);
	MG_CHECK_EQ(mg_http_request_parse(&m, b, 5), MG_HTTP_AGAIN);
	MG_CHECK_EQ(mg_http_request_parse(&m, b, n), MG_HTTP_OK);
}

int
main(void)
{
	test_valid_requests();
	test_rejections();
	test_host();
	test_target();
	test_limits();
	test_responses();
	test_moved_buffer();
	printf("split runs: %u\n", split_runs);
	return mg_test_done("test_http_parse");
}
