/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "http_internal.h"

void
mg_http_response_init(struct mg_http_msg *m, struct mg_http_header *hdrs,
		      uint16_t max_headers, const struct mg_http_limits *lim,
		      enum mg_http_method req_method)
{
	mg_http_msg_init(m, hdrs, max_headers, lim);
	m->is_response = 1;
	m->req_method = (uint8_t)req_method;
}

/* HTTP-version SP 3DIGIT [SP reason-phrase] */
static int
parse_status_line(struct mg_http_msg *m, const char *buf, uint32_t s,
		  uint32_t e)
{
	const char *p = buf + s;
	uint32_t n = e - s;
	int v;

	if (n < 12 || p[8] != ' ')
		return MG_HTTP_E_BAD_STATUS_LINE;
	v = mg_http_parse_version(p, 8);
	if (v < 0)
		return MG_HTTP_E_BAD_STATUS_LINE;
	if (v == 0)
		return MG_HTTP_E_VERSION_NOT_SUPPORTED;
	m->version = (uint8_t)v;
	if (p[9] < '1' || p[9] > '9' || p[10] < '0' || p[10] > '9' ||
	    p[11] < '0' || p[11] > '9')
		return MG_HTTP_E_BAD_STATUS_LINE;
	m->status = (uint16_t)((p[9] - '0') * 100 + (p[10] - '0') * 10 +
			       (p[11] - '0'));
	if (n > 12 && p[12] != ' ')
		return MG_HTTP_E_BAD_STATUS_LINE;
	for (uint32_t i = 13; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return MG_HTTP_E_BAD_STATUS_LINE;
	}
	m->reason.off = n > 12 ? s + 13 : e;
	m->reason.len = n > 12 ? n - 13 : 0;
	return MG_HTTP_OK;
}

static int
finish_response(struct mg_http_msg *m)
{
	uint32_t f = m->flags;
	unsigned st = m->status;

	if ((f & MG_HTTP_F_HAS_TE) && (f & MG_HTTP_F_HAS_CL))
		return MG_HTTP_E_CL_AND_TE;
	if ((f & MG_HTTP_F_HAS_TE) && (f & MG_HTTP_FI_TE_EMPTY))
		return MG_HTTP_E_TE_NOT_CHUNKED_LAST;
	if (st < 200 || st == 204 || st == 304 ||
	    m->req_method == MG_HTTP_M_HEAD ||
	    (m->req_method == MG_HTTP_M_CONNECT && st < 300)) {
		m->framing = MG_HTTP_BODY_NONE;
	} else if (f & MG_HTTP_F_HAS_TE) {
		/* RFC 9112 6.3: not chunked last -> read until close */
		m->framing = (f & MG_HTTP_FI_TE_CHUNKED_LAST) &&
			     !(f & MG_HTTP_FI_TE_BAD_ORDER) &&
			     m->version == 11 ?
			     MG_HTTP_BODY_CHUNKED : MG_HTTP_BODY_CLOSE;
	} else if (f & MG_HTTP_F_HAS_CL) {
		if (m->lim.max_body && m->content_length > m->lim.max_body)
			return MG_HTTP_E_BODY_TOO_LARGE;
		m->framing = m->content_length ? MG_HTTP_BODY_LENGTH :
						 MG_HTTP_BODY_NONE;
	} else {
		m->framing = MG_HTTP_BODY_CLOSE;
	}
	if (m->framing != MG_HTTP_BODY_CLOSE && mg_http_keep_alive(m))
		m->flags |= MG_HTTP_F_KEEP_ALIVE;
	return MG_HTTP_OK;
}

static int
response_step(struct mg_http_msg *m, const char *buf, uint32_t len)
{
	int rc;

	if (m->state == MG_HTTP_S_START) {
		uint32_t lf = 0;
		bool bare = false;

		if (mg_http_find_lf(m, buf, len, &lf, &bare) == 0) {
			if (len - m->pos >= m->lim.max_line + 2)
				return MG_HTTP_E_BAD_STATUS_LINE;
			return MG_HTTP_AGAIN;
		}
		if (lf - m->pos > m->lim.max_line + 1)
			return MG_HTTP_E_BAD_STATUS_LINE;
		if (bare)
			return MG_HTTP_E_BARE_LF;
		rc = parse_status_line(m, buf, m->pos, lf - 1);
		if (rc != MG_HTTP_OK)
			return rc;
		m->pos = m->hdr_start = lf + 1;
		m->scan = 0;
		m->state = MG_HTTP_S_HEADERS;
	}
	rc = mg_http_parse_headers(m, buf, len);
	if (rc != MG_HTTP_OK)
		return rc;
	return finish_response(m);
}

int
mg_http_response_parse(struct mg_http_msg *m, const char *buf, size_t len)
{
	int rc;

	if (m->state == MG_HTTP_S_DONE)
		return m->rc;
	if (len > MG_HTTP_MAX_BUF)
		len = MG_HTTP_MAX_BUF;
	if (len < m->pos + m->scan)	/* shorter than before: misuse */
		return MG_HTTP_AGAIN;
	rc = response_step(m, buf, (uint32_t)len);
	if (rc != MG_HTTP_AGAIN) {
		m->rc = (uint16_t)rc;
		m->state = MG_HTTP_S_DONE;
	}
	return rc;
}
