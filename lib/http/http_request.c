/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "http_internal.h"

static const char *const method_names[MG_HTTP_M_MAX] = {
	[MG_HTTP_M_OTHER] = "",
	[MG_HTTP_M_GET] = "GET",
	[MG_HTTP_M_HEAD] = "HEAD",
	[MG_HTTP_M_POST] = "POST",
	[MG_HTTP_M_PUT] = "PUT",
	[MG_HTTP_M_DELETE] = "DELETE",
	[MG_HTTP_M_CONNECT] = "CONNECT",
	[MG_HTTP_M_OPTIONS] = "OPTIONS",
	[MG_HTTP_M_TRACE] = "TRACE",
	[MG_HTTP_M_PATCH] = "PATCH",
};

/* At most this many empty lines before the request line (RFC 9112 2.2). */
#define MG_HTTP_MAX_EMPTY_LINES 2

const char *
mg_http_method_name(enum mg_http_method m)
{
	return (unsigned)m < MG_HTTP_M_MAX ? method_names[m] : "";
}

void
mg_http_request_init(struct mg_http_msg *m, struct mg_http_header *hdrs,
		     uint16_t max_headers, const struct mg_http_limits *lim)
{
	mg_http_msg_init(m, hdrs, max_headers, lim);
}

/* Methods are case-sensitive. */
static uint8_t
method_lookup(const char *p, uint32_t n)
{
	for (unsigned i = 1; i < MG_HTTP_M_MAX; i++)
		if (strlen(method_names[i]) == n &&
		    memcmp(method_names[i], p, n) == 0)
			return (uint8_t)i;
	return MG_HTTP_M_OTHER;
}

/*
 * The absolute-form after "scheme://": authority [path-abempty [?query]].
 * userinfo is deprecated for http(s) (RFC 9110 4.2.4) and a spoofing aid.
 */
static int
parse_absolute(struct mg_http_msg *m, const char *p, uint32_t n, uint32_t s)
{
	uint32_t i = 0;

	if (!((p[0] >= 'a' && p[0] <= 'z') || (p[0] >= 'A' && p[0] <= 'Z')))
		return MG_HTTP_E_BAD_TARGET;
	while (i < n && p[i] != ':') {
		unsigned char c = (unsigned char)p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '+' || c == '-' ||
		      c == '.'))
			return MG_HTTP_E_BAD_TARGET;
		i++;
	}
	if (n - i < 3 || memcmp(p + i, "://", 3) != 0)
		return MG_HTTP_E_BAD_TARGET;
	s += i + 3;
	p += i + 3;
	n -= i + 3;
	for (i = 0; i < n && p[i] != '/' && p[i] != '?'; i++)
		if (p[i] == '@')
			return MG_HTTP_E_USERINFO_IN_TARGET;
	if (mg_http_check_authority(p, i, false) != MG_HTTP_OK)
		return MG_HTTP_E_BAD_TARGET;
	m->host.off = s;
	m->host.len = i;
	m->target_form = MG_HTTP_T_ABSOLUTE;
	return MG_HTTP_OK;
}

static int
parse_target(struct mg_http_msg *m, const char *buf, uint32_t s, uint32_t e)
{
	const char *p = buf + s;
	uint32_t n = e - s;

	for (uint32_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c <= 0x20 || c >= 0x7f)
			return MG_HTTP_E_BAD_TARGET;
		/*
		 * A fragment is not part of any request-target form
		 * (RFC 9112 3.2). Refused rather than cut off, as HAProxy
		 * and Envoy do: routes, the WAF and the upstream would
		 * otherwise each decide alone where the path ends.
		 */
		if (c == '#')
			return MG_HTTP_E_FRAGMENT_IN_TARGET;
	}
	m->target.off = s;
	m->target.len = n;
	if (m->method == MG_HTTP_M_CONNECT) {
		if (memchr(p, '@', n) != NULL)
			return MG_HTTP_E_USERINFO_IN_TARGET;
		if (mg_http_check_authority(p, n, true) != MG_HTTP_OK)
			return MG_HTTP_E_BAD_TARGET;
		m->target_form = MG_HTTP_T_AUTHORITY;
		return MG_HTTP_OK;
	}
	if (p[0] == '/') {
		m->target_form = MG_HTTP_T_ORIGIN;
		return MG_HTTP_OK;
	}
	if (n == 1 && p[0] == '*') {
		if (m->method != MG_HTTP_M_OPTIONS)
			return MG_HTTP_E_BAD_TARGET;
		m->target_form = MG_HTTP_T_ASTERISK;
		return MG_HTTP_OK;
	}
	/* "host:port" is an absolute-URI to RFC 3986, never to us: we need
	 * "scheme://", so it can only be a misplaced authority-form. */
	if (mg_http_check_authority(p, n, true) == MG_HTTP_OK)
		return MG_HTTP_E_AUTHORITY_FORM_NOT_CONNECT;
	return parse_absolute(m, p, n, s);
}

static int
parse_request_line(struct mg_http_msg *m, const char *buf, uint32_t s,
		   uint32_t e)
{
	uint32_t i = s, ts;
	int v, rc;

	while (i < e && mg_http_is_tchar((unsigned char)buf[i]))
		i++;
	if (i == s || i == e)
		return MG_HTTP_E_BAD_REQUEST_LINE;
	if (buf[i] != ' ')
		return MG_HTTP_E_BAD_METHOD;
	m->method_str.off = s;
	m->method_str.len = i - s;
	m->method = method_lookup(buf + s, i - s);
	ts = ++i;
	while (i < e && buf[i] != ' ')
		i++;
	if (i == ts || i == e)
		return MG_HTTP_E_BAD_REQUEST_LINE;
	rc = parse_target(m, buf, ts, i);
	if (rc != MG_HTTP_OK)
		return rc;
	i++;
	if (memchr(buf + i, ' ', e - i) != NULL)
		return MG_HTTP_E_BAD_REQUEST_LINE;
	v = mg_http_parse_version(buf + i, e - i);
	if (v < 0)
		return MG_HTTP_E_BAD_VERSION;
	if (v == 0)
		return MG_HTTP_E_VERSION_NOT_SUPPORTED;
	m->version = (uint8_t)v;
	return MG_HTTP_OK;
}

static int
finish_request(struct mg_http_msg *m, const char *buf)
{
	uint32_t f = m->flags;

	if (m->version == 11 && !(f & MG_HTTP_F_HAS_HOST))
		return MG_HTTP_E_MISSING_HOST;
	if (m->target_form == MG_HTTP_T_ABSOLUTE && (f & MG_HTTP_F_HAS_HOST)) {
		const struct mg_http_header *h =
			mg_http_find_header(m, buf, "host");
		uint32_t n = m->host.len;
		bool same = h != NULL && h->value.len == n;

		for (uint32_t i = 0; same && i < n; i++)
			same = mg_http_lower((unsigned char)buf[m->host.off + i]) ==
			       mg_http_lower((unsigned char)buf[h->value.off + i]);
		if (!same)
			return MG_HTTP_E_HOST_MISMATCH;
	}
	if ((f & MG_HTTP_F_HAS_TE) && (f & MG_HTTP_F_HAS_CL))
		return MG_HTTP_E_CL_AND_TE;
	if (f & MG_HTTP_F_HAS_TE) {
		if (m->version == 10)
			return MG_HTTP_E_TE_IN_HTTP10;
		if (f & MG_HTTP_FI_TE_UNKNOWN)
			return MG_HTTP_E_UNKNOWN_TE;
		if (f & (MG_HTTP_FI_TE_BAD_ORDER | MG_HTTP_FI_TE_EMPTY) ||
		    !(f & MG_HTTP_FI_TE_CHUNKED_LAST))
			return MG_HTTP_E_TE_NOT_CHUNKED_LAST;
		m->framing = MG_HTTP_BODY_CHUNKED;
	} else if ((f & MG_HTTP_F_HAS_CL) && m->content_length > 0) {
		if (m->lim.max_body && m->content_length > m->lim.max_body)
			return MG_HTTP_E_BODY_TOO_LARGE;
		m->framing = MG_HTTP_BODY_LENGTH;
	} else {
		m->framing = MG_HTTP_BODY_NONE;
	}
	if (mg_http_keep_alive(m))
		m->flags |= MG_HTTP_F_KEEP_ALIVE;
	return MG_HTTP_OK;
}

static int
request_step(struct mg_http_msg *m, const char *buf, uint32_t len)
{
	int rc;

	while (m->state == MG_HTTP_S_START) {
		uint32_t lf = 0;
		bool bare = false;

		if (mg_http_find_lf(m, buf, len, &lf, &bare) == 0) {
			if (len - m->pos >= m->lim.max_line + 2)
				return MG_HTTP_E_URI_TOO_LONG;
			return MG_HTTP_AGAIN;
		}
		if (lf - m->pos > m->lim.max_line + 1)
			return MG_HTTP_E_URI_TOO_LONG;
		if (bare)
			return MG_HTTP_E_BARE_LF;
		if (lf - 1 == m->pos) {
			if (++m->empty_lines > MG_HTTP_MAX_EMPTY_LINES)
				return MG_HTTP_E_BAD_REQUEST_LINE;
			m->pos = lf + 1;
			m->scan = 0;
			continue;
		}
		rc = parse_request_line(m, buf, m->pos, lf - 1);
		if (rc != MG_HTTP_OK)
			return rc;
		m->pos = m->hdr_start = lf + 1;
		m->scan = 0;
		m->state = MG_HTTP_S_HEADERS;
	}
	rc = mg_http_parse_headers(m, buf, len);
	if (rc != MG_HTTP_OK)
		return rc;
	return finish_request(m, buf);
}

int
mg_http_request_parse(struct mg_http_msg *m, const char *buf, size_t len)
{
	int rc;

	if (m->state == MG_HTTP_S_DONE)
		return m->rc;
	if (len > MG_HTTP_MAX_BUF)
		len = MG_HTTP_MAX_BUF;
	if (len < m->pos + m->scan)	/* shorter than before: misuse */
		return MG_HTTP_AGAIN;
	rc = request_step(m, buf, (uint32_t)len);
	if (rc != MG_HTTP_AGAIN) {
		m->rc = (uint16_t)rc;
		m->state = MG_HTTP_S_DONE;
	}
	return rc;
}
