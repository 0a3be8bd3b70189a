/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Heads the proxy writes: the request to the upstream, the response to the
 * client, and its own answers (errors as short JSON). Hop-by-hop fields
 * (RFC 9110 7.6.1) are dropped on both sides, with the fields that the
 * Connection header names.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <netinet/in.h>

#include "mg_tls.h"
#include "proxy_internal.h"

/* A bounded writer: once it overflows, every later put is ignored and the
 * result is -1. */
struct wbuf {
	char *p;
	uint32_t len, cap;
	bool overflow;
};

static void
put(struct wbuf *w, const char *s, uint32_t n)
{
	if (w->overflow || n > w->cap - w->len) {
		w->overflow = true;
		return;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
}

static void
puts_(struct wbuf *w, const char *s)
{
	put(w, s, (uint32_t)strlen(s));
}

static void __attribute__((format(printf, 2, 3)))
putf(struct wbuf *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(w->p + w->len, w->cap - w->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (uint32_t)n >= w->cap - w->len) {
		w->overflow = true;
		return;
	}
	w->len += (uint32_t)n;
}

static int
wdone(const struct wbuf *w)
{
	return w->overflow ? -1 : (int)w->len;
}

static void
put_slice(struct wbuf *w, const char *buf, struct mg_http_slice s)
{
	put(w, buf + s.off, s.len);
}

static void
put_field(struct wbuf *w, const char *buf, const struct mg_http_header *h)
{
	put_slice(w, buf, h->name);
	put(w, ": ", 2);
	put_slice(w, buf, h->value);
	put(w, "\r\n", 2);
}

/* --- which fields are not forwarded --- */

static bool
name_is(const char *buf, struct mg_http_slice n, const char *lit)
{
	return px_slice_eq_ci(buf, n, lit);
}

/* Is field name n listed in a Connection header's tokens? */
static bool
named_by_connection(const char *buf, const struct mg_http_header *hdrs,
		    uint16_t n_hdrs, struct mg_http_slice n)
{
	for (uint16_t i = 0; i < n_hdrs; i++) {
		const struct mg_http_header *h = &hdrs[i];
		uint32_t p, end;

		if (!name_is(buf, h->name, "connection"))
			continue;
		p = h->value.off;
		end = h->value.off + h->value.len;
		while (p < end) {
			uint32_t q = p;
			struct mg_http_slice tok;

			while (q < end && buf[q] != ',')
				q++;
			tok.off = p;
			tok.len = q - p;
			while (tok.len > 0 && (buf[tok.off] == ' ' || buf[tok.off] == '\t')) {
				tok.off++;
				tok.len--;
			}
			while (tok.len > 0 && (buf[tok.off + tok.len - 1] == ' ' ||
					       buf[tok.off + tok.len - 1] == '\t'))
				tok.len--;
			if (tok.len == n.len && tok.len > 0) {
				bool eq = true;

				for (uint32_t k = 0; k < n.len && eq; k++) {
					char a = buf[tok.off + k], b = buf[n.off + k];

					if (a >= 'A' && a <= 'Z')
						a = (char)(a + 32);
					if (b >= 'A' && b <= 'Z')
						b = (char)(b + 32);
					eq = a == b;
				}
				if (eq)
					return true;
			}
			p = q + 1;
		}
	}
	return false;
}

static bool
hop_by_hop(const char *buf, struct mg_http_slice n)
{
	static const char *const names[] = {
		"connection", "keep-alive", "proxy-connection", "te",
		"upgrade", "proxy-authenticate", "proxy-authorization",
	};

	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (name_is(buf, n, names[i]))
			return true;
	return false;
}

/* --- request ids and trace context --- */

static void
hex(char *out, uint64_t v, unsigned digits)
{
	static const char x[] = "0123456789abcdef";

	for (unsigned i = 0; i < digits; i++)
		out[i] = x[(v >> (4 * (digits - 1 - i))) & 15];
}

void
px_request_id(struct px_session *s)
{
	const struct mg_cfg_http *h = &s->lst->cfg->http;
	const struct mg_http_header *f;

	s->request_id[0] = '\0';
	f = mg_http_find_header(&s->msg, s->req->data, h->request_id_header);
	if (f != NULL && f->value.len > 0 && f->value.len <= PX_REQ_ID_LEN) {
		bool ok = true;

		/* kept only when it cannot break a JSON log line or a header */
		for (uint32_t i = 0; i < f->value.len && ok; i++) {
			char c = s->req->data[f->value.off + i];

			ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
			     (c >= 'A' && c <= 'Z') || c == '-' || c == '_' ||
			     c == '.' || c == ':';
		}
		if (ok) {
			memcpy(s->request_id, s->req->data + f->value.off,
			       f->value.len);
			s->request_id[f->value.len] = '\0';
			return;
		}
	}
	if (h->generate_request_id)
		px_request_id_new(s);
}

void
px_request_id_new(struct px_session *s)
{
	/* a UUID version 4 */
	uint64_t a = px_rand(s->px), b = px_rand(s->px);

	if (!s->lst->cfg->http.generate_request_id) {
		s->request_id[0] = '\0';
		return;
	}

	a = (a & ~0xf000ULL) | 0x4000ULL;
	b = (b & ~(3ULL << 62)) | (2ULL << 62);
	hex(s->request_id, a >> 32, 8);
	s->request_id[8] = '-';
	hex(s->request_id + 9, (a >> 16) & 0xffff, 4);
	s->request_id[13] = '-';
	hex(s->request_id + 14, a & 0xffff, 4);
	s->request_id[18] = '-';
	hex(s->request_id + 19, b >> 48, 4);
	s->request_id[23] = '-';
	hex(s->request_id + 24, b & 0xffffffffffffULL, 12);
	s->request_id[36] = '\0';
}

static bool
is_hex(const char *p, uint32_t n, bool *all_zero)
{
	*all_zero = true;
	for (uint32_t i = 0; i < n; i++) {
		char c = p[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
		if (c != '0')
			*all_zero = false;
	}
	return true;
}

/* W3C Trace Context: version 00 "00-<32 hex>-<16 hex>-<2 hex>". */
static bool
traceparent_valid(const char *v, uint32_t len)
{
	bool z1, z2, z3;

	return len == 55 && v[0] == '0' && v[1] == '0' && v[2] == '-' &&
	       v[35] == '-' && v[52] == '-' && is_hex(v + 3, 32, &z1) && !z1 &&
	       is_hex(v + 36, 16, &z2) && !z2 && is_hex(v + 53, 2, &z3);
}

/* --- the request to the upstream --- */

static void
put_addr(struct wbuf *w, const struct mg_ip *a, bool bracket6)
{
	char t[MG_IP_STRLEN];

	mg_ip_format(a, t, sizeof(t));
	if (a->family == AF_INET6 && bracket6)
		putf(w, "[%s]", t);
	else
		puts_(w, t);
}

static bool
trusted_proxy(const struct px_session *s)
{
	const struct mg_cfg_http *h = &s->lst->cfg->http;

	for (uint32_t i = 0; i < h->n_trusted_proxies; i++)
		if (mg_ip_in_prefix(&s->client_addr, &h->trusted_proxies[i],
				    h->trusted_proxies_len[i]))
			return true;
	return false;
}

int
px_build_request_head(struct px_session *s, char *out, uint32_t cap)
{
	const struct mg_cfg_http *h = &s->lst->cfg->http;
	const char *buf = s->req->data;
	const struct mg_http_msg *m = &s->msg;
	const struct mg_http_header *xff = NULL, *fwd = NULL, *tp = NULL;
	bool trusted = trusted_proxy(s);
	bool upgrade = (m->flags & MG_HTTP_F_UPGRADE) &&
		       (m->flags & MG_HTTP_F_CONN_UPGRADE);
	struct wbuf w = { out, 0, cap, false };
	const char *host_rw;
	uint32_t host_rw_len;
	int n;

	/* request line: the route's target (origin-form) */
	put_slice(&w, buf, m->method_str);
	put(&w, " ", 1);
	n = px_route_target(s, w.p + w.len, w.cap - w.len);
	if (n < 0)
		return -1;
	w.len += (uint32_t)n;
	puts_(&w, " HTTP/1.1\r\nHost: ");
	if (px_route_host(s, &host_rw, &host_rw_len))
		put(&w, host_rw, host_rw_len);
	else if (m->host.len > 0)
		put_slice(&w, buf, m->host);
	else {
		const struct px_endpoint *ep =
			&s->px->clusters[s->cluster].ep[s->endpoint];

		put_addr(&w, &ep->addr, true);
		putf(&w, ":%u", ep->port);
	}
	puts_(&w, "\r\n");

	for (uint16_t i = 0; i < m->n_headers; i++) {
		const struct mg_http_header *f = &s->req->hdrs[i];

		if (name_is(buf, f->name, "host") || hop_by_hop(buf, f->name) ||
		    named_by_connection(buf, s->req->hdrs, m->n_headers, f->name))
			continue;
		if (px_route_drops_header(s, buf, f->name, false))
			continue;
		if (name_is(buf, f->name, h->request_id_header))
			continue;	/* ours follows */
		if (h->forwarded_headers) {
			if (name_is(buf, f->name, "x-forwarded-for")) {
				if (xff == NULL)
					xff = f;
				continue;
			}
			if (name_is(buf, f->name, "forwarded")) {
				if (fwd == NULL)
					fwd = f;
				continue;
			}
			if (name_is(buf, f->name, "x-forwarded-proto") ||
			    name_is(buf, f->name, "x-forwarded-host"))
				continue;
		}
		/* only we say which client certificate was presented */
		if (name_is(buf, f->name, "x-forwarded-client-cert"))
			continue;
		if (h->trace_context && name_is(buf, f->name, "traceparent")) {
			tp = f;
			continue;
		}
		put_field(&w, buf, f);
	}
	if (h->forwarded_headers) {
		/* the client's hop is appended to a trusted proxy's list and
		 * replaces what anyone else claims */
		puts_(&w, "X-Forwarded-For: ");
		if (trusted && xff != NULL) {
			put_slice(&w, buf, xff->value);
			puts_(&w, ", ");
		}
		put_addr(&w, &s->client_addr, false);
		puts_(&w, s->ctls != NULL ? "\r\nX-Forwarded-Proto: https\r\n"
					 : "\r\nX-Forwarded-Proto: http\r\n");
		if (m->host.len > 0) {
			puts_(&w, "X-Forwarded-Host: ");
			put_slice(&w, buf, m->host);
			puts_(&w, "\r\n");
		}
		puts_(&w, "Forwarded: ");
		if (trusted && fwd != NULL) {
			put_slice(&w, buf, fwd->value);
			puts_(&w, ", ");
		}
		puts_(&w, "for=");
		if (s->client_addr.family == AF_INET6) {
			puts_(&w, "\"");
			put_addr(&w, &s->client_addr, true);
			puts_(&w, "\"");
		} else {
			put_addr(&w, &s->client_addr, false);
		}
		puts_(&w, s->ctls != NULL ? ";proto=https" : ";proto=http");
		if (m->host.len > 0) {
			bool plain = true;

			for (uint32_t i = 0; i < m->host.len && plain; i++) {
				char c = buf[m->host.off + i];

				plain = c != ':' && c != '[';
			}
			puts_(&w, ";host=");
			if (!plain)
				puts_(&w, "\"");
			put_slice(&w, buf, m->host);
			if (!plain)
				puts_(&w, "\"");
		}
		puts_(&w, "\r\n");
	}
	if (s->request_id[0] != '\0') {
		puts_(&w, h->request_id_header);
		put(&w, ": ", 2);
		puts_(&w, s->request_id);
		put(&w, "\r\n", 2);
	}
	if (s->ctls != NULL && mg_tls_conn_peer_verified(s->ctls)) {
		/* Envoy's x-forwarded-client-cert: Hash, Subject, URI, DNS */
		char xfcc[1024];
		int n = mg_tls_conn_xfcc(s->ctls, xfcc, sizeof(xfcc));

		if (n > 0 && (size_t)n < sizeof(xfcc))
			putf(&w, "x-forwarded-client-cert: %s\r\n", xfcc);
	}
	if (h->trace_context) {
		if (tp != NULL && traceparent_valid(buf + tp->value.off, tp->value.len)) {
			put_field(&w, buf, tp);
		} else {
			char t[56];

			memcpy(t, "00-", 3);
			hex(t + 3, px_rand(s->px), 16);
			hex(t + 19, px_rand(s->px) | 1, 16);
			t[35] = '-';
			hex(t + 36, px_rand(s->px) | 1, 16);
			memcpy(t + 52, "-01", 3);
			t[55] = '\0';
			puts_(&w, "traceparent: ");
			put(&w, t, 55);
			puts_(&w, "\r\n");
		}
	}
	if (upgrade) {
		const struct mg_http_header *u = mg_http_find_header(m, buf, "upgrade");

		if (u != NULL) {
			puts_(&w, "Connection: upgrade\r\nUpgrade: ");
			put_slice(&w, buf, u->value);
			puts_(&w, "\r\n");
		}
	}
	n = px_route_add_headers(s, w.p + w.len, w.overflow ? 0 : w.cap - w.len,
				 false);
	if (n < 0)
		return -1;
	w.len += (uint32_t)n;
	puts_(&w, "\r\n");
	return wdone(&w);
}

/* X-Meshgate-Waf-Rules: the rules that matched, when the policy says so
 * (for test harnesses such as the CRS regression corpus). */
static void
put_waf_rules(struct wbuf *w, const struct px_session *s)
{
	if (s->waf_policy < 0 || s->n_waf_rules == 0 ||
	    !s->px->cfg->waf[s->waf_policy].rules_header)
		return;
	puts_(w, "X-Meshgate-Waf-Rules: ");
	for (unsigned i = 0; i < s->n_waf_rules; i++)
		putf(w, i ? ",%u" : "%u", s->waf_rules[i]);
	puts_(w, "\r\n");
}

/* --- the response to the client --- */

static const char *
reason_phrase(unsigned st)
{
	switch (st) {
	case 200: return "OK";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return st < 300 ? "OK" : st < 400 ? "Redirect" :
			st < 500 ? "Client Error" : "Server Error";
	}
}

int
px_build_response_head(struct px_session *s, char *out, uint32_t cap)
{
	const char *buf = s->resp->data;
	const struct mg_http_msg *m = &s->rmsg;
	struct wbuf w = { out, 0, cap, false };
	bool tunnel = m->status == 101;
	int n;

	/* our side of the connection decides keep-alive */
	if (s->resp_framing == MG_HTTP_BODY_CLOSE || s->dechunk)
		s->close_after = true;
	/* the parser vouched for three digits: no printf on every response */
	{
		char line[13] = "HTTP/1.1 000 ";

		line[9] = (char)('0' + m->status / 100);
		line[10] = (char)('0' + m->status / 10 % 10);
		line[11] = (char)('0' + m->status % 10);
		put(&w, line, 13);
	}
	if (m->reason.len > 0)
		put_slice(&w, buf, m->reason);
	else
		puts_(&w, reason_phrase(m->status));
	puts_(&w, "\r\n");
	for (uint16_t i = 0; i < m->n_headers; i++) {
		const struct mg_http_header *f = &s->resp->hdrs[i];

		if (hop_by_hop(buf, f->name) ||
		    named_by_connection(buf, s->resp->hdrs, m->n_headers, f->name))
			continue;
		if (s->dechunk && name_is(buf, f->name, "transfer-encoding"))
			continue;
		if (px_route_drops_header(s, buf, f->name, true))
			continue;
		put_field(&w, buf, f);
	}
	if (tunnel) {
		const struct mg_http_header *u = mg_http_find_header(m, buf, "upgrade");

		puts_(&w, "Connection: upgrade\r\n");
		if (u != NULL) {
			puts_(&w, "Upgrade: ");
			put_slice(&w, buf, u->value);
			puts_(&w, "\r\n");
		}
	} else if (s->close_after) {
		puts_(&w, "Connection: close\r\n");
	} else if (s->version == 10) {
		puts_(&w, "Connection: keep-alive\r\n");
	}
	put_waf_rules(&w, s);
	n = px_route_add_headers(s, w.p + w.len, w.overflow ? 0 : w.cap - w.len,
				 true);
	if (n < 0)
		return -1;
	w.len += (uint32_t)n;
	puts_(&w, "\r\n");
	return wdone(&w);
}

/* --- local answers --- */

int
px_build_error(struct px_session *s, unsigned status, const char *reason,
	       char *out, uint32_t cap)
{
	char body[256];
	int bl;
	struct wbuf w = { out, 0, cap, false };

	/* reason texts are ours (MG_PROXY_ERRORS, MG_HTTP_ERRORS): no
	 * escaping needed */
	if (s->parse_error > MG_HTTP_AGAIN && s->parse_error < MG_HTTP_RC_MAX)
		bl = snprintf(body, sizeof(body),
			      "{\"status\":%u,\"reason\":\"%s\",\"detail\":\"%s\",\"request_id\":\"%s\"}\n",
			      status, reason, mg_http_rc_desc(s->parse_error),
			      s->request_id);
	else
		bl = snprintf(body, sizeof(body),
			      "{\"status\":%u,\"reason\":\"%s\",\"request_id\":\"%s\"}\n",
			      status, reason, s->request_id);
	putf(&w, "HTTP/1.1 %u %s\r\nContent-Type: application/json\r\n"
	     "Content-Length: %d\r\nConnection: close\r\n", status,
	     reason_phrase(status), bl);
	if (s->request_id[0] != '\0')
		putf(&w, "%s: %s\r\n", s->lst->cfg->http.request_id_header,
		     s->request_id);
	put_waf_rules(&w, s);
	puts_(&w, "\r\n");
	put(&w, body, (uint32_t)bl);
	return wdone(&w);
}

/* A status line and the common fields of a local answer; the caller adds
 * its own and the body. */
int
px_local_head(struct px_session *s, unsigned status, char *out, uint32_t cap)
{
	struct wbuf w = { out, 0, cap, false };

	putf(&w, "HTTP/1.1 %u %s\r\n", status, reason_phrase(status));
	if (s->request_id[0] != '\0')
		putf(&w, "%s: %s\r\n", s->lst->cfg->http.request_id_header,
		     s->request_id);
	if (s->close_after)
		puts_(&w, "Connection: close\r\n");
	else if (s->version == 10)
		puts_(&w, "Connection: keep-alive\r\n");
	put_waf_rules(&w, s);
	return wdone(&w);
}
