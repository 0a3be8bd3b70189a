/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "http_internal.h"

#define T1(c) [(unsigned char)(c)] = 1
const uint8_t mg_http_tchar[256] = {
	T1('!'), T1('#'), T1('$'), T1('%'), T1('&'), T1('\''), T1('*'),
	T1('+'), T1('-'), T1('.'), T1('^'), T1('_'), T1('`'), T1('|'),
	T1('~'),
	T1('0'), T1('1'), T1('2'), T1('3'), T1('4'), T1('5'), T1('6'),
	T1('7'), T1('8'), T1('9'),
	T1('A'), T1('B'), T1('C'), T1('D'), T1('E'), T1('F'), T1('G'),
	T1('H'), T1('I'), T1('J'), T1('K'), T1('L'), T1('M'), T1('N'),
	T1('O'), T1('P'), T1('Q'), T1('R'), T1('S'), T1('T'), T1('U'),
	T1('V'), T1('W'), T1('X'), T1('Y'), T1('Z'),
	T1('a'), T1('b'), T1('c'), T1('d'), T1('e'), T1('f'), T1('g'),
	T1('h'), T1('i'), T1('j'), T1('k'), T1('l'), T1('m'), T1('n'),
	T1('o'), T1('p'), T1('q'), T1('r'), T1('s'), T1('t'), T1('u'),
	T1('v'), T1('w'), T1('x'), T1('y'), T1('z'),
};

static const char *const rc_names[] = {
	"OK", "AGAIN",
#define N_(n, s, d) #n,
	MG_HTTP_ERRORS(N_)
#undef N_
};
static const char *const rc_descs[] = {
	"head complete", "need more bytes",
#define D_(n, s, d) d,
	MG_HTTP_ERRORS(D_)
#undef D_
};
static const uint16_t rc_status[] = {
	0, 0,
#define S_(n, s, d) s,
	MG_HTTP_ERRORS(S_)
#undef S_
};

const char *
mg_http_rc_name(int rc)
{
	return (rc >= 0 && rc < MG_HTTP_RC_MAX) ? rc_names[rc] : "?";
}

const char *
mg_http_rc_desc(int rc)
{
	return (rc >= 0 && rc < MG_HTTP_RC_MAX) ? rc_descs[rc] : "?";
}

unsigned
mg_http_rc_status(int rc)
{
	return (rc >= 0 && rc < MG_HTTP_RC_MAX) ? rc_status[rc] : 0;
}

bool
mg_http_ieq(const char *a, uint32_t alen, const char *lit)
{
	size_t n = strlen(lit);

	if (alen != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (mg_http_lower((unsigned char)a[i]) != (unsigned char)lit[i])
			return false;
	return true;
}

void
mg_http_msg_init(struct mg_http_msg *m, struct mg_http_header *hdrs,
		 uint16_t max_headers, const struct mg_http_limits *lim)
{
	memset(m, 0, sizeof(*m));
	m->headers = hdrs;
	m->max_headers = hdrs ? max_headers : 0;
	if (lim)
		m->lim = *lim;
	if (m->lim.max_line == 0 || m->lim.max_line > MG_HTTP_MAX_BUF / 4)
		m->lim.max_line = MG_HTTP_DEFAULT_MAX_LINE;
	if (m->lim.max_head == 0 || m->lim.max_head > MG_HTTP_MAX_BUF / 4)
		m->lim.max_head = MG_HTTP_DEFAULT_MAX_HEAD;
}

int
mg_http_find_lf(struct mg_http_msg *m, const char *buf, uint32_t len,
		uint32_t *lf, bool *bare)
{
	uint32_t i = m->pos + m->scan;
	const char *p;

	if (i >= len) {
		return 0;
	}
	p = memchr(buf + i, '\n', len - i);
	if (p == NULL) {
		m->scan = len - m->pos;
		return 0;
	}
	*lf = (uint32_t)(p - buf);
	*bare = *lf == m->pos || buf[*lf - 1] != '\r';
	return 1;
}

int
mg_http_parse_version(const char *p, uint32_t n)
{
	if (n != 8 || memcmp(p, "HTTP/", 5) != 0 || p[6] != '.' ||
	    p[5] < '0' || p[5] > '9' || p[7] < '0' || p[7] > '9')
		return -1;
	if (p[5] == '1' && p[7] == '1')
		return 11;
	if (p[5] == '1' && p[7] == '0')
		return 10;
	return 0;
}

/* Next element of a comma list in [*i, e): trimmed [*s, *t). */
static bool
next_elem(const char *buf, uint32_t *i, uint32_t e, uint32_t *s, uint32_t *t)
{
	uint32_t j = *i;

	if (j > e)
		return false;
	while (j < e && (buf[j] == ' ' || buf[j] == '\t'))
		j++;
	*s = j;
	while (j < e && buf[j] != ',')
		j++;
	*t = j;
	while (*t > *s && (buf[*t - 1] == ' ' || buf[*t - 1] == '\t'))
		(*t)--;
	*i = j + 1;
	return true;
}

static int
content_length(struct mg_http_msg *m, const char *buf, uint32_t vs,
	       uint32_t ve)
{
	uint32_t i = vs, s, t;

	while (next_elem(buf, &i, ve, &s, &t)) {
		uint64_t v = 0;

		if (s == t)
			return MG_HTTP_E_BAD_CONTENT_LENGTH;
		for (uint32_t k = s; k < t; k++) {
			unsigned d = (unsigned char)buf[k] - '0';

			if (d > 9)
				return MG_HTTP_E_BAD_CONTENT_LENGTH;
			if (v > (UINT64_MAX - d) / 10)
				return MG_HTTP_E_BAD_CONTENT_LENGTH;
			v = v * 10 + d;
		}
		if ((m->flags & MG_HTTP_F_HAS_CL) && v != m->content_length)
			return MG_HTTP_E_CONFLICTING_CONTENT_LENGTH;
		m->content_length = v;
		m->flags |= MG_HTTP_F_HAS_CL;
	}
	return MG_HTTP_OK;
}

static void
transfer_encoding(struct mg_http_msg *m, const char *buf, uint32_t vs,
		  uint32_t ve)
{
	uint32_t i = vs, s, t;
	bool any = false;

	m->flags |= MG_HTTP_F_HAS_TE;
	while (next_elem(buf, &i, ve, &s, &t)) {
		uint32_t k = s;

		if (s == t)
			continue;	/* empty list elements are ignored */
		any = true;
		while (k < t && mg_http_is_tchar((unsigned char)buf[k]))
			k++;
		if (m->flags & MG_HTTP_FI_TE_CHUNKED_LAST)
			m->flags |= MG_HTTP_FI_TE_BAD_ORDER;
		m->flags &= ~MG_HTTP_FI_TE_CHUNKED_LAST;
		if (k == t && mg_http_ieq(buf + s, t - s, "chunked"))
			m->flags |= MG_HTTP_FI_TE_CHUNKED_LAST;
		else if (!(k == t && (mg_http_ieq(buf + s, t - s, "gzip") ||
			   mg_http_ieq(buf + s, t - s, "x-gzip") ||
			   mg_http_ieq(buf + s, t - s, "deflate") ||
			   mg_http_ieq(buf + s, t - s, "compress") ||
			   mg_http_ieq(buf + s, t - s, "x-compress"))))
			m->flags |= MG_HTTP_FI_TE_UNKNOWN;
	}
	if (!any)
		m->flags |= MG_HTTP_FI_TE_EMPTY;
}

static void
connection(struct mg_http_msg *m, const char *buf, uint32_t vs, uint32_t ve)
{
	uint32_t i = vs, s, t;

	while (next_elem(buf, &i, ve, &s, &t)) {
		if (mg_http_ieq(buf + s, t - s, "close"))
			m->flags |= MG_HTTP_F_CONN_CLOSE;
		else if (mg_http_ieq(buf + s, t - s, "keep-alive"))
			m->flags |= MG_HTTP_F_CONN_KEEP;
		else if (mg_http_ieq(buf + s, t - s, "upgrade"))
			m->flags |= MG_HTTP_F_CONN_UPGRADE;
	}
}

static int
field_semantics(struct mg_http_msg *m, const char *buf,
		const struct mg_http_header *h)
{
	const char *n = buf + h->name.off;
	uint32_t nl = h->name.len, vs = h->value.off;
	uint32_t ve = vs + h->value.len;

	switch (mg_http_lower((unsigned char)n[0])) {
	case 'c':
		if (mg_http_ieq(n, nl, "content-length"))
			return content_length(m, buf, vs, ve);
		if (mg_http_ieq(n, nl, "connection"))
			connection(m, buf, vs, ve);
		break;
	case 't':
		if (mg_http_ieq(n, nl, "transfer-encoding"))
			transfer_encoding(m, buf, vs, ve);
		break;
	case 'h':
		if (!m->is_response && mg_http_ieq(n, nl, "host")) {
			int rc;

			if (m->flags & MG_HTTP_F_HAS_HOST)
				return MG_HTTP_E_DUPLICATE_HOST;
			/*
			 * An empty Host is for a target URI without an
			 * authority (RFC 9112 3.2). A gateway routes on the
			 * authority of every request, so it is refused in
			 * every version, as nginx does.
			 */
			rc = mg_http_check_authority(buf + vs, ve - vs, false);
			if (rc != MG_HTTP_OK)
				return rc;
			m->flags |= MG_HTTP_F_HAS_HOST;
			if (m->target_form != MG_HTTP_T_ABSOLUTE)
				m->host = h->value;
		}
		break;
	case 'e':
		if (!m->is_response && mg_http_ieq(n, nl, "expect") &&
		    mg_http_ieq(buf + vs, ve - vs, "100-continue"))
			m->flags |= MG_HTTP_F_EXPECT_100;
		break;
	case 'u':
		if (mg_http_ieq(n, nl, "upgrade"))
			m->flags |= MG_HTTP_F_UPGRADE;
		break;
	default:
		break;
	}
	return MG_HTTP_OK;
}

/* One field line [s, e) (no CRLF). */
static int
parse_field(const char *buf, uint32_t s, uint32_t e, struct mg_http_header *h)
{
	uint32_t i = s, vs, ve;

	if (buf[s] == ' ' || buf[s] == '\t')
		return MG_HTTP_E_OBS_FOLD;
	while (i < e && mg_http_is_tchar((unsigned char)buf[i]))
		i++;
	if (i == s || i == e)
		return MG_HTTP_E_BAD_HEADER_NAME;
	if (buf[i] != ':') {
		uint32_t k = i;

		if (buf[i] != ' ' && buf[i] != '\t')
			return MG_HTTP_E_BAD_HEADER_NAME;
		while (k < e && (buf[k] == ' ' || buf[k] == '\t'))
			k++;
		return (k < e && buf[k] == ':') ?
			MG_HTTP_E_SPACE_BEFORE_COLON :
			MG_HTTP_E_BAD_HEADER_NAME;
	}
	h->name.off = s;
	h->name.len = i - s;
	i++;
	while (i < e && (buf[i] == ' ' || buf[i] == '\t'))
		i++;
	vs = i;
	for (; i < e; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '\r')
			return MG_HTTP_E_BARE_CR;
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return MG_HTTP_E_BAD_HEADER_VALUE;
	}
	ve = e;
	while (ve > vs && (buf[ve - 1] == ' ' || buf[ve - 1] == '\t'))
		ve--;
	h->value.off = vs;
	h->value.len = ve - vs;
	return MG_HTTP_OK;
}

int
mg_http_parse_headers(struct mg_http_msg *m, const char *buf, uint32_t len)
{
	for (;;) {
		struct mg_http_header h;
		uint32_t lf = 0;
		bool bare = false;
		int rc = mg_http_find_lf(m, buf, len, &lf, &bare);

		if (rc == 0) {
			if (len - m->hdr_start >= m->lim.max_head)
				return MG_HTTP_E_HEAD_TOO_LARGE;
			return MG_HTTP_AGAIN;
		}
		if (lf + 1 - m->hdr_start > m->lim.max_head)
			return MG_HTTP_E_HEAD_TOO_LARGE;
		if (bare)
			return MG_HTTP_E_BARE_LF;
		if (lf - 1 == m->pos) {
			m->head_len = lf + 1;
			m->pos = lf + 1;
			m->scan = 0;
			return MG_HTTP_OK;
		}
		if (m->n_headers >= m->max_headers)
			return MG_HTTP_E_TOO_MANY_HEADERS;
		rc = parse_field(buf, m->pos, lf - 1, &h);
		if (rc != MG_HTTP_OK)
			return rc;
		rc = field_semantics(m, buf, &h);
		if (rc != MG_HTTP_OK)
			return rc;
		m->headers[m->n_headers++] = h;
		m->pos = lf + 1;
		m->scan = 0;
	}
}

bool
mg_http_keep_alive(const struct mg_http_msg *m)
{
	if (m->flags & MG_HTTP_F_CONN_CLOSE)
		return false;
	return m->version == 11 || (m->flags & MG_HTTP_F_CONN_KEEP);
}

const struct mg_http_header *
mg_http_find_header(const struct mg_http_msg *m, const char *buf,
		    const char *name)
{
	for (uint16_t i = 0; i < m->n_headers; i++) {
		const struct mg_http_header *h = &m->headers[i];

		if (mg_http_ieq(buf + h->name.off, h->name.len, name))
			return h;
	}
	return NULL;
}
