/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Request data as libmodsecurity 3.0.9 presents it to rules: the URI
 * variables, query and body arguments, cookies and the urlencoded, JSON,
 * multipart and XML body processors, with the names, decodings and error
 * flags of v3 (checked against Debian's libmodsecurity3 on the same
 * requests). Where v3 only decides by looking at NUL-terminated copies, the
 * same first-NUL rules are applied here.
 *
 * Memory: one bump arena handed in by the caller. Persistent data grows up
 * from the request structure; the JSON parser's scratch stack grows down
 * from the end and is given back when it is done.
 *
 * Where this differs from v3: a Content-Disposition value with an
 * unclosed quote is an error (v3 reads past the string and decides on
 * garbage); no upload is written to disk, so FILES_TMPNAMES and
 * FILES_TMP_CONTENT do not exist and MULTIPART_FILE_LIMIT_EXCEEDED stays
 * unset; FULL_REQUEST itself is not kept (its length is); XML is read as
 * UTF-8 or ISO-8859-1 only, entities of the internal subset are expanded
 * one level, and libxml2's choice of which text survives some fatal errors
 * is followed where known (a random mutation test of XML bodies agrees
 * with Debian's libmodsecurity3 on about 98% of them).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "waf_internal.h"
#include "waf_reqdata.h"
#include "waf_transform.h"

enum {
	L_ARGS,
	L_HEADERS,
	L_COOKIES,
	L_FILES,
	L_FILES_SIZES,
	L_PART_HEADERS,
	L_XML_ATTRS,
	L_MAX
};

struct kv_list {
	struct mg_waf_kv *kv;
	uint32_t n, cap;
};

enum { STAGE_INIT, STAGE_HEAD, STAGE_BODY };
enum { ORIGIN_GET, ORIGIN_POST, ORIGIN_OTHER };

struct mg_waf_request {
	uint8_t *lo, *hi, *end;		/* free arena: [lo, hi) */
	uint8_t *base;
	struct mg_waf_req_conf conf;
	uint32_t errors;
	uint8_t stage;
	uint8_t body_type;		/* URLENCODED/MULTIPART (C-T or ctl) */
	uint8_t body_proc;		/* JSON/XML (ctl), wins over body_type */
	bool args_sized;
	uint32_t n_get, n_post;		/* ARGS = GET | POST | the rest */
	double args_combined;		/* v3 keeps it as a double */
	uint64_t head_full_len;		/* "k: v\n" of every header */
	struct mg_waf_str content_type;	/* the first one, for the boundary */
	struct mg_waf_str var[MG_WAF_V_MAX];
	struct kv_list list[L_MAX];
};

#define S(lit) ((struct mg_waf_str){ (const uint8_t *)(lit), sizeof(lit) - 1 })

static const struct mg_waf_str str_0 = S("0"), str_1 = S("1"),
	str_2 = S("2");

/* ---- arena ---- */

static void
fail(struct mg_waf_request *r, enum mg_waf_req_error e)
{
	r->errors |= 1u << e;
}

static void *
arena_alloc(struct mg_waf_request *r, size_t n, size_t align)
{
	uintptr_t p = ((uintptr_t)r->lo + align - 1) & ~(uintptr_t)(align - 1);

	if (p > (uintptr_t)r->hi || (uintptr_t)r->hi - p < n) {
		fail(r, MG_WAF_REQ_E_ARENA_FULL);
		return NULL;
	}
	r->lo = (uint8_t *)p + n;
	return (void *)p;
}

static uint8_t *
arena_bytes(struct mg_waf_request *r, size_t n)
{
	return arena_alloc(r, n, 1);
}

/* Give back the tail of the last allocation p of which only used bytes
 * are kept. */
static void
arena_trim(struct mg_waf_request *r, uint8_t *p, size_t used)
{
	if (p != NULL && p + used <= r->lo)
		r->lo = p + used;
}

static void *
scratch_alloc(struct mg_waf_request *r, size_t n)
{
	uintptr_t p;

	if ((size_t)(r->hi - r->lo) < n + 8) {
		fail(r, MG_WAF_REQ_E_ARENA_FULL);
		return NULL;
	}
	p = ((uintptr_t)r->hi - n) & ~(uintptr_t)7;
	r->hi = (uint8_t *)p;
	return (void *)p;
}

static struct mg_waf_str
mkstr(const uint8_t *p, size_t len)
{
	/* a failed allocation gives an empty string, never {NULL, len} */
	if (p == NULL || len == 0)
		return (struct mg_waf_str){ NULL, 0 };
	return (struct mg_waf_str){ p, (uint32_t)len };
}

static struct mg_waf_str
copy_str(struct mg_waf_request *r, const uint8_t *p, size_t len)
{
	uint8_t *d;

	if (len == 0)
		return mkstr(NULL, 0);
	d = arena_bytes(r, len);
	if (d == NULL)
		return mkstr(NULL, 0);
	memcpy(d, p, len);
	return mkstr(d, len);
}

static struct mg_waf_str
concat(struct mg_waf_request *r, struct mg_waf_str a, struct mg_waf_str b,
       struct mg_waf_str c)
{
	size_t n = (size_t)a.len + b.len + c.len;
	uint8_t *d = n ? arena_bytes(r, n) : NULL;

	if (d == NULL)
		return mkstr(NULL, 0);
	if (a.len)
		memcpy(d, a.p, a.len);
	if (b.len)
		memcpy(d + a.len, b.p, b.len);
	if (c.len)
		memcpy(d + a.len + b.len, c.p, c.len);
	return mkstr(d, n);
}

/* Decimal digits of v at the end of buf[24]; returns where they start. */
static char *
utoa_end(uint64_t v, char *end)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return end;
}

static struct mg_waf_str
fmt_u64(struct mg_waf_request *r, uint64_t v)
{
	char buf[24], *p = utoa_end(v, buf + sizeof(buf));

	return copy_str(r, (const uint8_t *)p, (size_t)(buf + sizeof(buf) - p));
}

/* ---- variables and lists ---- */

static void
set_var(struct mg_waf_request *r, enum mg_waf_req_var v, struct mg_waf_str s)
{
	r->var[v] = s;
}

static void
set_flag(struct mg_waf_request *r, enum mg_waf_req_var v, bool on)
{
	r->var[v] = on ? str_1 : str_0;
}

static bool
list_push(struct mg_waf_request *r, int l, struct mg_waf_str name,
	  struct mg_waf_str value)
{
	struct kv_list *kl = &r->list[l];

	if (kl->n == kl->cap) {
		uint32_t cap = kl->cap ? 2 * kl->cap : 16;
		struct mg_waf_kv *kv;

		kv = arena_alloc(r, cap * sizeof(*kv), _Alignof(struct mg_waf_kv));
		if (kv == NULL)
			return false;
		if (kl->n)
			memcpy(kv, kl->kv, kl->n * sizeof(*kv));
		kl->kv = kv;
		kl->cap = cap;
	}
	kl->kv[kl->n].name = name;
	kl->kv[kl->n].value = value;
	kl->n++;
	return true;
}

/* Room for n more items without growing (one allocation, exact size). */
static void
list_reserve(struct mg_waf_request *r, int l, size_t n)
{
	struct kv_list *kl = &r->list[l];
	struct mg_waf_kv *kv;

	if (kl->cap - kl->n >= n || n > UINT32_MAX - kl->n)
		return;
	kv = arena_alloc(r, (kl->n + n) * sizeof(*kv),
			 _Alignof(struct mg_waf_kv));
	if (kv == NULL)
		return;
	if (kl->n)
		memcpy(kv, kl->kv, kl->n * sizeof(*kv));
	kl->kv = kv;
	kl->cap = kl->n + (uint32_t)n;
}

/* Transaction::addArgument: the limit drops arguments silently */
static bool
add_argument(struct mg_waf_request *r, int origin, struct mg_waf_str name,
	     struct mg_waf_str value)
{
	if (r->conf.args_limit && r->list[L_ARGS].n >= r->conf.args_limit) {
		fail(r, MG_WAF_REQ_E_TOO_MANY_ARGS);
		return false;
	}
	if (!list_push(r, L_ARGS, name, value))
		return false;
	if (origin == ORIGIN_GET)
		r->n_get++;
	else if (origin == ORIGIN_POST)
		r->n_post++;
	r->args_combined += (double)name.len + value.len;
	r->args_sized = true;
	return true;
}

static void
set_args_combined(struct mg_waf_request *r)
{
	char buf[64];
	int n;

	if (!r->args_sized)
		return;
	if (r->args_combined < 1e15) {
		/* a sum of lengths: "%f" of a whole number, without printf's
		 * floating point path, which costs a microsecond */
		n = (int)waf_fmt_int(buf, (long long)r->args_combined);
		memcpy(buf + n, ".000000", 7);
		n += 7;
	} else {
		n = snprintf(buf, sizeof(buf), "%f", r->args_combined);
	}
	set_var(r, MG_WAF_V_ARGS_COMBINED_SIZE,
		copy_str(r, (const uint8_t *)buf, (size_t)n));
}

static void
body_error(struct mg_waf_request *r, const char *msg)
{
	set_var(r, MG_WAF_V_REQBODY_ERROR, str_1);
	set_var(r, MG_WAF_V_REQBODY_ERROR_MSG,
		mkstr((const uint8_t *)msg, strlen(msg)));
}

/* Both REQBODY_ERROR and REQBODY_PROCESSOR_ERROR, with "<what>: msg" */
static void
processor_error(struct mg_waf_request *r, const char *what,
		struct mg_waf_str msg)
{
	struct mg_waf_str m = concat(r, mkstr((const uint8_t *)what,
					      strlen(what)),
				     S(" parsing error: "), msg);

	set_var(r, MG_WAF_V_REQBODY_ERROR, str_1);
	set_var(r, MG_WAF_V_REQBODY_PROCESSOR_ERROR, str_1);
	set_var(r, MG_WAF_V_REQBODY_ERROR_MSG, m);
	set_var(r, MG_WAF_V_REQBODY_PROCESSOR_ERROR_MSG, m);
}

static void
processor_ok(struct mg_waf_request *r)
{
	set_var(r, MG_WAF_V_REQBODY_ERROR, str_0);
	set_var(r, MG_WAF_V_REQBODY_PROCESSOR_ERROR, str_0);
}

/* ---- small byte helpers ---- */

static inline bool
is_space(uint8_t c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static inline uint8_t
lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static bool
prefix_nocase(const uint8_t *p, size_t len, const char *pre)
{
	size_t n = strlen(pre);

	if (len < n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(p[i]) != (uint8_t)pre[i])
			return false;
	return true;
}

static bool
eq_nocase(struct mg_waf_str s, const char *lit)
{
	return s.len == strlen(lit) && prefix_nocase(s.p, s.len, lit);
}

/* length up to the first NUL, as strlen() on v3's copies */
static size_t
c_len(const uint8_t *p, size_t len)
{
	const uint8_t *z = len ? memchr(p, 0, len) : NULL;

	return z ? (size_t)(z - p) : len;
}

static const uint8_t *
find(const uint8_t *p, size_t len, const char *needle)
{
	return len ? memmem(p, len, needle, strlen(needle)) : NULL;
}

/* %-decode into the arena; a string without '%' (and '+') is kept as is */
static struct mg_waf_str
url_decoded(struct mg_waf_request *r, const uint8_t *p, size_t len,
	    bool plus, uint32_t *invalid)
{
	uint8_t *d;
	size_t n;

	if (len == 0)
		return mkstr(NULL, 0);
	if (memchr(p, '%', len) == NULL && (!plus || memchr(p, '+', len) ==
					     NULL))
		return mkstr(p, len);
	d = arena_bytes(r, len);
	if (d == NULL)
		return mkstr(NULL, 0);
	n = mg_waf_url_decode(p, len, d, plus, invalid);
	arena_trim(r, d, n);
	return mkstr(d, n);
}

/*
 * Transaction::extractArguments: '&'-separated pairs (an empty last one
 * ignored, empty inner ones kept), split at the first '=', both halves
 * %-decoded with '+' as space; a bad escape sets URLENCODED_ERROR.
 */
static void
extract_args(struct mg_waf_request *r, const uint8_t *p, size_t len,
	     int origin)
{
	size_t pos = 0, n = 1;

	for (size_t i = 0; i < len; i++)
		n += p[i] == '&';
	list_reserve(r, L_ARGS, n);
	while (pos < len) {
		const uint8_t *amp = memchr(p + pos, '&', len - pos);
		size_t end = amp ? (size_t)(amp - p) : len;
		const uint8_t *eq = memchr(p + pos, '=', end - pos);
		size_t klen = eq ? (size_t)(eq - p) - pos : end - pos;
		uint32_t bad = 0;
		struct mg_waf_str k, v;

		k = url_decoded(r, p + pos, klen, true, &bad);
		v = eq ? url_decoded(r, eq + 1, end - klen - pos - 1, true,
				     &bad) : mkstr(NULL, 0);
		if (bad) {
			set_var(r, MG_WAF_V_URLENCODED_ERROR, str_1);
			fail(r, MG_WAF_REQ_E_BAD_URL_ENCODING);
		}
		add_argument(r, origin, k, v);
		pos = end + 1;
	}
}

/* ---- head ---- */

/*
 * Transaction::processURI. The fragment is cut for all but REQUEST_LINE
 * and REQUEST_URI_RAW; REQUEST_URI is the %-decoded URI (query included,
 * scheme and authority of an absolute form removed) and REQUEST_FILENAME
 * the decoded URI up to the first '?' AFTER decoding.
 */
static void
process_uri(struct mg_waf_request *r, const uint8_t *uri, size_t len)
{
	const uint8_t *hash = memchr(uri, '#', len);
	size_t ulen = hash ? (size_t)(hash - uri) : len;
	const uint8_t *q = memchr(uri, '?', ulen);
	struct mg_waf_str dec, path, ruri;
	const uint8_t *dq, *colon;
	size_t plen;

	set_var(r, MG_WAF_V_REQUEST_URI_RAW, mkstr(uri, len));
	if (q != NULL)
		set_var(r, MG_WAF_V_QUERY_STRING,
			mkstr(q + 1, ulen - (size_t)(q + 1 - uri)));
	dec = url_decoded(r, uri, ulen, false, NULL);
	dq = dec.len ? memchr(dec.p, '?', dec.len) : NULL;
	plen = dq ? (size_t)(dq - dec.p) : dec.len;
	path = mkstr(dec.p, plen);
	set_var(r, MG_WAF_V_REQUEST_FILENAME, path);
	for (size_t i = plen; i > 0; i--) {
		if (path.p[i - 1] == '/' || path.p[i - 1] == '\\') {
			if (i < plen)
				set_var(r, MG_WAF_V_REQUEST_BASENAME,
					mkstr(path.p + i, plen - i));
			break;
		}
	}
	ruri = dec;
	colon = dec.len && dec.p[0] != '/' ? memchr(dec.p, ':', dec.len) :
		NULL;
	if (colon != NULL && (size_t)(colon - dec.p) + 3 <= dec.len &&
	    colon[1] == '/' && colon[2] == '/') {
		size_t host = (size_t)(colon - dec.p) + 3;
		const uint8_t *slash = memchr(dec.p + host, '/', dec.len - host);

		if (slash != NULL)
			ruri = mkstr(slash, dec.len - (size_t)(slash - dec.p));
	}
	set_var(r, MG_WAF_V_REQUEST_URI, ruri);
	if (q != NULL && ulen > (size_t)(q + 1 - uri))
		extract_args(r, q + 1, ulen - (size_t)(q + 1 - uri),
			     ORIGIN_GET);
}

/*
 * The Cookie header as v3 splits it: at ';' (an empty last piece dropped,
 * whitespace after the last pair trimmed), name and value at the first
 * '=', leading whitespace off the name, nameless pieces skipped. Nothing
 * is decoded.
 */
static void
parse_cookies(struct mg_waf_request *r, struct mg_waf_str v)
{
	size_t pos = 0, len = v.len;

	while (len > 0 && is_space(v.p[len - 1]))
		len--;
	/* getline() yields no piece after a ';' that ends the string */
	while (pos < len) {
		const uint8_t *semi = memchr(v.p + pos, ';', len - pos);
		size_t end = semi ? (size_t)(semi - v.p) : len;
		size_t ks = pos, ke;
		const uint8_t *eq = memchr(v.p + pos, '=', end - pos);

		ke = eq ? (size_t)(eq - v.p) : end;
		while (ks < ke && is_space(v.p[ks]))
			ks++;
		if (ks < ke)
			list_push(r, L_COOKIES, mkstr(v.p + ks, ke - ks),
				  eq ? mkstr(eq + 1, end - ke - 1) :
				  mkstr(NULL, 0));
		pos = end + 1;
	}
}

static void
content_type_seen(struct mg_waf_request *r, struct mg_waf_str v)
{
	if (r->content_type.p == NULL)
		r->content_type = v;
	if (prefix_nocase(v.p, v.len, "multipart/form-data"))
		mg_waf_request_set_processor(r, MG_WAF_BP_MULTIPART);
	if (prefix_nocase(v.p, v.len, "application/x-www-form-urlencoded"))
		mg_waf_request_set_processor(r, MG_WAF_BP_URLENCODED);
	if (!r->conf.content_type_json_xml)
		return;
	if (prefix_nocase(v.p, v.len, "application/xml") ||
	    prefix_nocase(v.p, v.len, "application/soap+xml") ||
	    prefix_nocase(v.p, v.len, "text/xml"))
		mg_waf_request_set_processor(r, MG_WAF_BP_XML);
}

/* Rule 200001 runs after 200000: JSON wins over XML. */
static void
content_type_json(struct mg_waf_request *r)
{
	struct kv_list *h = &r->list[L_HEADERS];

	if (!r->conf.content_type_json_xml)
		return;
	for (uint32_t i = 0; i < h->n; i++)
		if (eq_nocase(h->kv[i].name, "content-type") &&
		    prefix_nocase(h->kv[i].value.p, h->kv[i].value.len,
				  "application/json"))
			mg_waf_request_set_processor(r, MG_WAF_BP_JSON);
}

static void
add_header(struct mg_waf_request *r, struct mg_waf_str k,
	   struct mg_waf_str v)
{
	list_push(r, L_HEADERS, k, v);
	r->head_full_len += (uint64_t)k.len + 2 + v.len + 1;
	if (eq_nocase(k, "cookie")) {
		parse_cookies(r, v);
	} else if (eq_nocase(k, "content-type")) {
		content_type_seen(r, v);
	} else if (eq_nocase(k, "authorization")) {
		const uint8_t *sp = v.len ? memchr(v.p, ' ', v.len) : NULL;

		set_var(r, MG_WAF_V_AUTH_TYPE,
			mkstr(v.p, sp ? (size_t)(sp - v.p) : v.len));
	}
}

static size_t
line_end(const uint8_t *p, size_t len, size_t pos, size_t *next)
{
	const uint8_t *nl = memchr(p + pos, '\n', len - pos);
	size_t end = nl ? (size_t)(nl - p) : len;

	*next = nl ? end + 1 : len;
	if (end > pos && p[end - 1] == '\r')
		end--;
	return end;
}

static void
parse_request_line(struct mg_waf_request *r, const uint8_t *p, size_t len)
{
	size_t m_end = 0, u_start, u_end = len, pr_start = len;

	while (m_end < len && p[m_end] != ' ' && p[m_end] != '\t')
		m_end++;
	u_start = m_end;
	while (u_start < len && (p[u_start] == ' ' || p[u_start] == '\t'))
		u_start++;
	for (size_t i = len; i > u_start; i--) {
		if (p[i - 1] == ' ' || p[i - 1] == '\t') {
			pr_start = i;
			u_end = i - 1;
			while (u_end > u_start && (p[u_end - 1] == ' ' ||
						   p[u_end - 1] == '\t'))
				u_end--;
			break;
		}
	}
	if (m_end == 0 || u_start == u_end || pr_start == len)
		fail(r, MG_WAF_REQ_E_BAD_REQUEST_LINE);
	set_var(r, MG_WAF_V_REQUEST_METHOD, mkstr(p, m_end));
	set_var(r, MG_WAF_V_REQUEST_PROTOCOL, mkstr(p + pr_start,
						    len - pr_start));
	/* v3 rebuilds the line with single spaces */
	if (pr_start == u_end + 1 && u_start == m_end + 1 && p[m_end] == ' ' &&
	    p[u_end] == ' ')
		set_var(r, MG_WAF_V_REQUEST_LINE, mkstr(p, len));
	else
		set_var(r, MG_WAF_V_REQUEST_LINE,
			concat(r, concat(r, mkstr(p, m_end), S(" "),
					 mkstr(p + u_start, u_end - u_start)),
			       S(" "), mkstr(p + pr_start, len - pr_start)));
	process_uri(r, p + u_start, u_end - u_start);
}

int
mg_waf_request_head(struct mg_waf_request *r, const uint8_t *head,
		    size_t len)
{
	size_t pos = 0, next, end, lines = 1;

	if (r->stage != STAGE_INIT)
		return -EINVAL;
	r->stage = STAGE_HEAD;
	if (len == 0) {
		fail(r, MG_WAF_REQ_E_BAD_REQUEST_LINE);
		return 0;
	}
	end = line_end(head, len, 0, &next);
	parse_request_line(r, head, end);
	for (size_t i = next; i < len; i++)
		lines += head[i] == '\n';
	list_reserve(r, L_HEADERS, lines);
	for (pos = next; pos < len; pos = next) {
		const uint8_t *colon;
		size_t ke, vs, ve;

		end = line_end(head, len, pos, &next);
		if (end == pos)
			break;		/* the empty line ends the head */
		colon = memchr(head + pos, ':', end - pos);
		if (colon == NULL || head[pos] == ' ' || head[pos] == '\t' ||
		    colon == head + pos) {
			fail(r, MG_WAF_REQ_E_BAD_HEADER);
			continue;
		}
		ke = (size_t)(colon - head);
		while (ke > pos && (head[ke - 1] == ' ' || head[ke - 1] == '\t'))
			ke--;
		vs = (size_t)(colon - head) + 1;
		ve = end;
		while (vs < ve && (head[vs] == ' ' || head[vs] == '\t'))
			vs++;
		while (ve > vs && (head[ve - 1] == ' ' || head[ve - 1] == '\t'))
			ve--;
		add_header(r, mkstr(head + pos, ke - pos),
			   mkstr(head + vs, ve - vs));
	}
	content_type_json(r);
	set_args_combined(r);
	return 0;
}

/* ---- JSON (the yajl grammar and v3's argument names) ---- */

struct json_level {
	uint32_t path_len;	/* path before this level's name */
	uint32_t sep_off;	/* where ".array_N" or "." starts */
	uint32_t count;		/* array elements so far */
	bool array;
};

struct json {
	struct mg_waf_request *r;
	const uint8_t *p, *end;
	struct json_level *lv;
	uint32_t depth, lv_cap, max_depth;
	uint8_t *path;
	uint32_t path_len, path_cap;
	struct mg_waf_str key;		/* pending map key, empty if none */
	const char *err;
};

static bool
json_path_room(struct json *j, size_t more)
{
	uint8_t *np;
	size_t cap;

	if ((size_t)j->path_len + more <= j->path_cap)
		return true;
	cap = ((size_t)j->path_len + more) * 2 + 64;
	if (cap > UINT32_MAX || (np = scratch_alloc(j->r, cap)) == NULL) {
		j->err = "out of memory";
		return false;
	}
	if (j->path_len)
		memcpy(np, j->path, j->path_len);
	j->path = np;
	j->path_cap = (uint32_t)cap;
	return true;
}

static bool
json_path_add(struct json *j, const void *s, size_t n)
{
	if (!json_path_room(j, n))
		return false;
	if (n)
		memcpy(j->path + j->path_len, s, n);
	j->path_len += (uint32_t)n;
	return true;
}

/* (Re)write the separator of the top level: ".array_<count>" or "." */
static bool
json_sep(struct json *j)
{
	struct json_level *l = &j->lv[j->depth - 1];
	char buf[32], *p;

	j->path_len = l->sep_off;
	if (!l->array)
		return json_path_add(j, ".", 1);
	p = utoa_end(l->count, buf + sizeof(buf));
	p -= 7;
	memcpy(p, ".array_", 7);
	return json_path_add(j, p, (size_t)(buf + sizeof(buf) - p));
}

/* JSON::getCurrentKey(): consumes the pending key */
static struct mg_waf_str
json_take_key(struct json *j)
{
	struct mg_waf_str k = j->key;

	if (j->depth == 0)
		return S("json");
	if (k.len == 0)
		return j->lv[j->depth - 1].array ? mkstr(NULL, 0) :
		       S("empty-key");
	j->key = mkstr(NULL, 0);
	return k;
}

static bool
json_open(struct json *j, bool array)
{
	struct mg_waf_str name = json_take_key(j);
	struct json_level *l;

	if (j->depth == j->lv_cap) {
		uint32_t cap = j->lv_cap ? 2 * j->lv_cap : 32;
		struct json_level *nl = scratch_alloc(j->r, cap * sizeof(*nl));

		if (nl == NULL) {
			j->err = "out of memory";
			return false;
		}
		if (j->depth)
			memcpy(nl, j->lv, j->depth * sizeof(*nl));
		j->lv = nl;
		j->lv_cap = cap;
	}
	l = &j->lv[j->depth++];
	l->path_len = j->path_len;
	l->array = array;
	l->count = 0;
	if (!json_path_add(j, name.p, name.len))
		return false;
	l->sep_off = j->path_len;
	if (!json_sep(j))
		return false;
	if (j->depth > j->max_depth) {
		fail(j->r, MG_WAF_REQ_E_JSON_DEPTH);
		j->err = "client cancelled parse. Parsing depth limit "
			 "exceeded";
		return false;
	}
	return true;
}

static bool
json_close(struct json *j)
{
	j->path_len = j->lv[--j->depth].path_len;
	if (j->depth > 0 && j->lv[j->depth - 1].array) {
		j->lv[j->depth - 1].count++;
		return json_sep(j);
	}
	return true;
}

/* JSON::addArgument */
static bool
json_value(struct json *j, struct mg_waf_str v)
{
	struct mg_waf_str name, tail = mkstr(NULL, 0);
	bool in_array = j->depth > 0 && j->lv[j->depth - 1].array;

	if (!in_array)
		tail = json_take_key(j);
	name = concat(j->r, mkstr(j->path, j->path_len), tail,
		      mkstr(NULL, 0));
	if (j->r->errors & (1u << MG_WAF_REQ_E_ARENA_FULL)) {
		j->err = "out of memory";
		return false;
	}
	if (!add_argument(j->r, ORIGIN_OTHER, name, v)) {
		j->err = "client cancelled parse";
		return false;
	}
	if (in_array) {
		j->lv[j->depth - 1].count++;
		return json_sep(j);
	}
	return true;
}

static void
json_skip_ws(struct json *j)
{
	while (j->p < j->end && (*j->p == ' ' || (*j->p >= '\t' &&
						 *j->p <= '\r')))
		j->p++;
}

static int
hex_val(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static uint32_t
hex4(const uint8_t *p)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v = v << 4 | (uint32_t)hex_val(p[i]);
	return v;
}

static size_t
put_utf8(uint8_t *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (uint8_t)(0xc0 | cp >> 6);
		o[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (uint8_t)(0xe0 | cp >> 12);
		o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	if (cp < 0x200000) {
		o[0] = (uint8_t)(0xf0 | cp >> 18);
		o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
		o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		o[3] = (uint8_t)(0x80 | (cp & 0x3f));
		return 4;
	}
	o[0] = '?';
	return 1;
}

/*
 * A string token, validated as yajl does (control bytes, escapes, UTF-8
 * lead and continuation bytes) and decoded as yajl does: \u escapes to
 * UTF-8, a high surrogate combined with whatever \u follows, a lone one
 * as '?'.
 */
static bool
json_string(struct json *j, struct mg_waf_str *out)
{
	const uint8_t *s = ++j->p, *q = s;
	bool esc = false;
	uint8_t *d;
	size_t o = 0;

	while (q < j->end && *q != '"') {
		uint8_t c = *q;

		if (c < 0x20) {
			j->err = "lexical error: invalid character inside "
				 "string";
			return false;
		}
		if (c == '\\') {
			esc = true;
			if (++q >= j->end)
				break;
			if (*q == 'u') {
				if (j->end - q < 5 || hex_val(q[1]) < 0 ||
				    hex_val(q[2]) < 0 || hex_val(q[3]) < 0 ||
				    hex_val(q[4]) < 0) {
					j->err = "lexical error: invalid (non-"
						 "hex) character occurs after "
						 "'\\u' inside string";
					return false;
				}
				q += 5;
				continue;
			}
			if (strchr("\"\\/bfnrt", *q) == NULL || *q == 0) {
				j->err = "lexical error: inside a string, '\\'"
					 " occurs before a character which it "
					 "may not";
				return false;
			}
			q++;
			continue;
		}
		if (c >= 0x80) {
			size_t n = (c >> 5) == 6 ? 2 : (c >> 4) == 0xe ? 3 :
				   (c >> 3) == 0x1e ? 4 : 0;

			if (n == 0 || (size_t)(j->end - q) < n)
				goto bad_utf8;
			for (size_t k = 1; k < n; k++)
				if ((q[k] & 0xc0) != 0x80)
					goto bad_utf8;
			q += n;
			continue;
		}
		q++;
	}
	if (q >= j->end) {
		j->err = "parse error: premature EOF";
		return false;
	}
	j->p = q + 1;
	if (!esc) {
		*out = mkstr(s, (size_t)(q - s));
		return true;
	}
	d = arena_bytes(j->r, (size_t)(q - s));
	if (d == NULL) {
		j->err = "out of memory";
		return false;
	}
	for (const uint8_t *i = s; i < q;) {
		uint32_t cp;

		if (*i != '\\') {
			d[o++] = *i++;
			continue;
		}
		switch (i[1]) {
		case 'b': d[o++] = '\b'; i += 2; continue;
		case 'f': d[o++] = '\f'; i += 2; continue;
		case 'n': d[o++] = '\n'; i += 2; continue;
		case 'r': d[o++] = '\r'; i += 2; continue;
		case 't': d[o++] = '\t'; i += 2; continue;
		case 'u': break;
		default: d[o++] = i[1]; i += 2; continue;
		}
		cp = hex4(i + 2);
		i += 6;
		if ((cp & 0xfc00) == 0xd800) {
			if (q - i >= 6 && i[0] == '\\' && i[1] == 'u') {
				uint32_t lo = hex4(i + 2);

				cp = ((cp & 0x3f) << 10) |
				     ((((cp >> 6) & 0xf) + 1) << 16) |
				     (lo & 0x3ff);
				i += 6;
			} else {
				d[o++] = '?';
				continue;
			}
		}
		o += put_utf8(d + o, cp);
	}
	arena_trim(j->r, d, o);
	*out = mkstr(d, o);
	return true;
bad_utf8:
	j->err = "lexical error: invalid bytes in UTF8 string.";
	return false;
}

/* One digit or more at *q, or the lexical error "... required after". */
static bool
json_digits(struct json *j, const uint8_t **q, const char *after)
{
	const uint8_t *p = *q;

	while (p < j->end && *p >= '0' && *p <= '9')
		p++;
	if (p == *q) {
		j->err = after;
		return false;
	}
	*q = p;
	return true;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool
json_number(struct json *j, struct mg_waf_str *out)
{
	const uint8_t *s = j->p, *q = s, *e = j->end;

	if (q < e && *q == '-')
		q++;
	if (q < e && *q == '0')
		q++;
	else if (!json_digits(j, &q, "lexical error: malformed number, a "
			      "digit is required after the minus sign."))
		return false;
	if (q < e && *q == '.') {
		q++;
		if (!json_digits(j, &q, "lexical error: malformed number, a "
				 "digit is required after the decimal point."))
			return false;
	}
	if (q < e && (*q == 'e' || *q == 'E')) {
		q++;
		if (q < e && (*q == '+' || *q == '-'))
			q++;
		if (!json_digits(j, &q, "lexical error: malformed number, a "
				 "digit is required after the exponent."))
			return false;
	}
	j->p = q;
	*out = mkstr(s, (size_t)(q - s));
	return true;
}

static bool
json_literal(struct json *j, struct mg_waf_str *out)
{
	static const char *const lits[] = { "true", "false", "null" };

	for (size_t i = 0; i < 3; i++) {
		size_t n = strlen(lits[i]);

		if ((size_t)(j->end - j->p) >= n &&
		    memcmp(j->p, lits[i], n) == 0) {
			j->p += n;
			*out = i == 2 ? mkstr(NULL, 0) :
			       mkstr((const uint8_t *)lits[i], n);
			return true;
		}
	}
	j->err = (size_t)(j->end - j->p) < 5 ? "parse error: premature EOF" :
		 "lexical error: invalid string in json text.";
	return false;
}

/*
 * After the top-level value only whitespace may follow. yajl waits for
 * the end of a string token before it judges it, so a string still open
 * at the end of the body passes (unless its bytes are already invalid).
 */
static void
json_trailing(struct json *j)
{
	struct mg_waf_str ignored;

	if (j->p >= j->end)
		return;
	if (*j->p == '"' && !json_string(j, &ignored) &&
	    strcmp(j->err, "parse error: premature EOF") == 0) {
		j->err = NULL;
		return;
	}
	j->err = "parse error: trailing garbage";
}

/*
 * Iterative parser: the stack of containers is the level array; after a
 * value, the top container decides what may follow.
 */
static void
json_parse(struct json *j)
{
	bool want_value = true;

	for (;;) {
		json_skip_ws(j);
		if (want_value) {
			struct mg_waf_str v;
			uint8_t c;

			if (j->p >= j->end) {
				j->err = "parse error: premature EOF";
				return;
			}
			c = *j->p;
			if (c == '{' || c == '[') {
				j->p++;
				if (!json_open(j, c == '['))
					return;
				json_skip_ws(j);
				if (j->p < j->end && *j->p == (c == '{' ? '}' :
							       ']')) {
					j->p++;
					if (!json_close(j))
						return;
					want_value = false;
					continue;
				}
				if (c == '[')
					continue;
				goto key;
			}
			if (c == '"') {
				if (!json_string(j, &v))
					return;
			} else if (c == '-' || (c >= '0' && c <= '9')) {
				if (!json_number(j, &v))
					return;
			} else if (c == 't' || c == 'f' || c == 'n') {
				if (!json_literal(j, &v))
					return;
			} else {
				j->err = c == ']' || c == '}' ?
					 "parse error: unallowed token at this "
					 "point in JSON text" :
					 "lexical error: invalid char in json "
					 "text.";
				return;
			}
			if (!json_value(j, v))
				return;
			want_value = false;
			continue;
		}
		/* after a value */
		if (j->depth == 0) {
			json_trailing(j);
			return;
		}
		if (j->p >= j->end) {
			j->err = "parse error: premature EOF";
			return;
		}
		if (*j->p == ',') {
			j->p++;
			if (j->lv[j->depth - 1].array) {
				want_value = true;
				continue;
			}
			json_skip_ws(j);
			goto key;
		}
		if (*j->p == (j->lv[j->depth - 1].array ? ']' : '}')) {
			j->p++;
			if (!json_close(j))
				return;
			continue;
		}
		j->err = j->lv[j->depth - 1].array ?
			 "parse error: after array element, I expect ',' or "
			 "']'" :
			 "parse error: after key and value, inside map, I "
			 "expect ',' or '}'";
		return;
key:
		if (j->p >= j->end) {
			j->err = "parse error: premature EOF";
			return;
		}
		if (*j->p != '"') {
			j->err = "parse error: invalid object key (must be a "
				 "string)";
			return;
		}
		if (!json_string(j, &j->key))
			return;
		json_skip_ws(j);
		if (j->p >= j->end) {
			j->err = "parse error: premature EOF";
			return;
		}
		if (*j->p != ':') {
			j->err = "parse error: object key and value must be "
				 "separated by a colon (':')";
			return;
		}
		j->p++;
		want_value = true;
	}
}

static void
process_json(struct mg_waf_request *r, const uint8_t *body, size_t len)
{
	uint8_t *hi = r->hi;
	struct json j = {
		.r = r, .p = body, .end = body + len,
		.max_depth = r->conf.json_depth_limit ?
			     r->conf.json_depth_limit : 10000,
	};

	size_t values = 1;

	/* each value follows a '[', a '{' or a ',': one array for all */
	for (size_t i = 0; i < len; i++)
		values += body[i] == ',' || body[i] == '[' || body[i] == '{';
	if (r->conf.args_limit && values > r->conf.args_limit)
		values = r->conf.args_limit;
	list_reserve(r, L_ARGS, values);
	json_parse(&j);
	r->hi = hi;		/* the scratch stack and path are done */
	if (j.err != NULL && len > 0) {
		fail(r, MG_WAF_REQ_E_JSON_SYNTAX);
		processor_error(r, "JSON", mkstr((const uint8_t *)j.err,
						 strlen(j.err)));
	} else {
		processor_ok(r);
	}
}

/* ---- XML: well-formedness, the root's text and attribute values ---- */

/*
 * What libxml2 gives v3's XML variables: XML:/\* is the text content of the
 * document element (character data, CDATA and internal entities, line ends
 * as LF), XML://@\* the values of all attributes but namespace
 * declarations. A tree built up to a fatal error stays; text of the run
 * that failed does not. Encodings: UTF-8 (checked) and ISO-8859-1.
 */

struct xml_entity {
	struct mg_waf_str name, value;
	bool external;
};

struct xml {
	struct mg_waf_request *r;
	const uint8_t *start, *p, *end;
	uint8_t *text;			/* XML:/\* being built */
	size_t text_len, text_cap;
	struct xml_entity *ent;
	uint32_t n_ent, cap_ent;
	bool external_dtd, latin1, root;
	const char *err;
};

static uint8_t *
xml_text_room(struct xml *x, size_t n)
{
	static uint8_t nothing[1];

	if (n == 0)
		return nothing;
	if (x->text_len + n > x->text_cap) {
		size_t cap = (x->text_len + n) * 2 + 64;
		uint8_t *t = scratch_alloc(x->r, cap);

		if (t == NULL) {
			x->err = "out of memory";
			return NULL;
		}
		if (x->text_len)
			memcpy(t, x->text, x->text_len);
		x->text = t;
		x->text_cap = cap;
	}
	x->text_len += n;
	return x->text + x->text_len - n;
}

static bool xml_valid(struct xml *x, const uint8_t *p, const uint8_t *e);

static bool
xml_name_char(uint8_t c)
{
	return c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == ':' || c == '-' ||
	       c == '.';
}

static size_t
xml_name(struct xml *x)
{
	const uint8_t *s = x->p;

	if (s >= x->end || !xml_name_char(*s) || *s == '-' || *s == '.' ||
	    (*s >= '0' && *s <= '9'))
		return 0;
	while (x->p < x->end && xml_name_char(*x->p))
		x->p++;
	if (!xml_valid(x, s, x->p)) {
		x->err = NULL;		/* the caller reports a bad name */
		return 0;
	}
	return (size_t)(x->p - s);
}

static void
xml_ws(struct xml *x)
{
	while (x->p < x->end && (*x->p == ' ' || *x->p == '\t' ||
				 *x->p == '\r' || *x->p == '\n'))
		x->p++;
}

static bool
xml_is_char(uint32_t cp)
{
	return cp == 0x9 || cp == 0xa || cp == 0xd ||
	       (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) ||
	       (cp >= 0x10000 && cp <= 0x10ffff);
}

/* One character at p, as bytes of UTF-8 in out (NULL: only checked);
 * its length in the output, 0 when invalid. */
static size_t
xml_one_char(struct xml *x, uint8_t *out)
{
	const uint8_t *p = x->p;
	uint32_t cp = p[0], min;
	size_t n, k;

	if (x->latin1 || cp < 0x80) {
		x->p++;
		if (!xml_is_char(cp))
			return 0;
		return out ? put_utf8(out, cp) : (cp < 0x80 ? 1 : 2);
	}
	if ((cp & 0xe0) == 0xc0)
		n = 2, cp &= 0x1f, min = 0x80;
	else if ((cp & 0xf0) == 0xe0)
		n = 3, cp &= 0x0f, min = 0x800;
	else if ((cp & 0xf8) == 0xf0)
		n = 4, cp &= 0x07, min = 0x10000;
	else
		return 0;
	if ((size_t)(x->end - p) < n)
		return 0;
	for (k = 1; k < n; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[k] & 0x3f);
	}
	if (cp < min || !xml_is_char(cp))
		return 0;
	if (out)
		memcpy(out, p, n);
	x->p += n;
	return n;
}

static const struct xml_entity *
xml_entity(const struct xml *x, const uint8_t *name, size_t n)
{
	for (uint32_t i = 0; i < x->n_ent; i++)
		if (x->ent[i].name.len == n && !memcmp(x->ent[i].name.p, name, n))
			return &x->ent[i];
	return NULL;
}

/* &...; at p: its replacement into out (NULL: only measured). */
static size_t
xml_reference(struct xml *x, uint8_t *out)
{
	const uint8_t *nm = x->p + 1;
	const uint8_t *semi = memchr(nm, ';', (size_t)(x->end - nm));
	size_t nl = semi ? (size_t)(semi - nm) : 0;
	static const struct {
		const char *name;
		uint8_t c;
	} predef[] = {
		{ "lt", '<' }, { "gt", '>' }, { "amp", '&' }, { "quot", '"' },
		{ "apos", '\'' },
	};
	const struct xml_entity *e;

	if (semi == NULL || nl == 0) {
		x->err = "bad reference";
		return 0;
	}
	x->p = semi + 1;
	if (nm[0] == '#') {
		bool hex = nl > 1 && nm[1] == 'x';
		uint32_t cp = 0;
		size_t k = hex ? 2 : 1;

		if (k == nl)
			goto bad_char;
		for (; k < nl; k++) {
			int d = hex ? hex_val(nm[k]) :
				nm[k] >= '0' && nm[k] <= '9' ? nm[k] - '0' : -1;

			if (d < 0 || cp > 0x10ffff)
				goto bad_char;
			cp = cp * (hex ? 16 : 10) + (uint32_t)d;
		}
		if (!xml_is_char(cp))
			goto bad_char;
		if (out)
			return put_utf8(out, cp);
		return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
	}
	for (size_t i = 0; i < sizeof(predef) / sizeof(predef[0]); i++) {
		if (strlen(predef[i].name) == nl &&
		    memcmp(nm, predef[i].name, nl) == 0) {
			if (out)
				out[0] = predef[i].c;
			return 1;
		}
	}
	e = xml_entity(x, nm, nl);
	if (e != NULL) {
		/* external ones are not loaded (v3 blocks them) */
		if (e->external)
			return 0;
		if (out && e->value.len)
			memcpy(out, e->value.p, e->value.len);
		return e->value.len;
	}
	if (x->external_dtd)
		return 0;	/* may be declared where we do not look */
	x->err = "undefined entity";
	return 0;
bad_char:
	x->err = "bad character reference";
	return 0;
}

/*
 * An attribute value up to the quote q, references replaced and
 * whitespace normalised, into out (NULL: only measured).
 */
static size_t
xml_attr_value(struct xml *x, uint8_t q, uint8_t *out)
{
	size_t o = 0, n;

	while (x->p < x->end && *x->p != q) {
		uint8_t *d = out ? out + o : NULL;

		if (*x->p == '&') {
			n = xml_reference(x, d);
			if (x->err != NULL)
				return o;
		} else if (*x->p == '<') {
			x->err = "'<' in an attribute value";
			return o;
		} else if (*x->p == '\r' || *x->p == '\n' || *x->p == '\t') {
			/* whitespace is SP, CR LF one of them */
			if (*x->p == '\r' && x->p + 1 < x->end &&
			    x->p[1] == '\n')
				x->p++;
			x->p++;
			if (d)
				*d = ' ';
			n = 1;
		} else {
			n = xml_one_char(x, d);
			if (n == 0) {
				x->err = "invalid character";
				return o;
			}
		}
		o += n;
	}
	return o;
}

/*
 * Character data up to '<' onto the root's text, delivered the way
 * libxml2 does: each reference on its own and plain text as far as it is
 * valid, so that an error keeps what came before it (but "]]>" loses the
 * plain run it ends).
 */
static void
xml_text(struct xml *x)
{
	size_t run = x->text_len;

	while (x->p < x->end && *x->p != '<') {
		uint8_t *d;
		size_t n;

		if (*x->p == '&') {
			const uint8_t *save = x->p;

			n = xml_reference(x, NULL);
			if (x->err != NULL || (d = xml_text_room(x, n)) == NULL)
				return;
			x->p = save;
			xml_reference(x, d);
			run = x->text_len;
			continue;
		}
		if (*x->p == ']' && x->end - x->p >= 3 && x->p[1] == ']' &&
		    x->p[2] == '>') {
			x->text_len = run;
			x->err = "']]>' in content";
			return;
		}
		if ((d = xml_text_room(x, 4)) == NULL)
			return;
		if (*x->p == '\r') {
			/* line ends are LF */
			x->p += x->p + 1 < x->end && x->p[1] == '\n' ? 2 : 1;
			*d = '\n';
			n = 1;
		} else {
			n = xml_one_char(x, d);
		}
		x->text_len -= 4 - n;
		if (n == 0) {
			x->err = "invalid character";
			return;
		}
	}
}

/* All of [p, e) are XML characters (comments, PIs, CDATA, names). */
static bool
xml_valid(struct xml *x, const uint8_t *p, const uint8_t *e)
{
	struct xml probe = { .p = p, .end = e, .latin1 = x->latin1 };

	while (probe.p < e)
		if (xml_one_char(&probe, NULL) == 0) {
			x->err = "invalid character";
			return false;
		}
	return true;
}

static bool
xml_skip_to(struct xml *x, const char *endmark)
{
	const uint8_t *e = find(x->p, (size_t)(x->end - x->p), endmark);

	if (e == NULL) {
		x->err = "unterminated markup";
		return false;
	}
	x->p = e + strlen(endmark);
	return true;
}

/* <!ENTITY name "value"> and <!ENTITY name SYSTEM "uri"> of a DTD */
static void
xml_dtd_entities(struct xml *x, const uint8_t *s, const uint8_t *e)
{
	while ((s = find(s, (size_t)(e - s), "<!ENTITY")) != NULL) {
		struct xml_entity *ent;
		const uint8_t *nm, *v, *ve;
		uint8_t q;

		s += 8;
		while (s < e && is_space(*s))
			s++;
		if (s < e && *s == '%')
			continue;	/* parameter entity */
		nm = s;
		while (s < e && xml_name_char(*s))
			s++;
		if (s == nm)
			continue;
		if (x->n_ent == x->cap_ent) {
			uint32_t cap = x->cap_ent ? 2 * x->cap_ent : 8;

			ent = scratch_alloc(x->r, cap * sizeof(*ent));
			if (ent == NULL)
				return;
			if (x->n_ent)
				memcpy(ent, x->ent, x->n_ent * sizeof(*ent));
			x->ent = ent;
			x->cap_ent = cap;
		}
		ent = &x->ent[x->n_ent];
		ent->name = mkstr(nm, (size_t)(s - nm));
		ent->value = mkstr(NULL, 0);
		ent->external = false;
		while (s < e && is_space(*s))
			s++;
		if (s < e && *s != '"' && *s != '\'') {
			ent->external = true;	/* SYSTEM or PUBLIC */
			x->n_ent++;
			continue;
		}
		if (s >= e)
			return;
		q = *s++;
		v = s;
		ve = memchr(v, q, (size_t)(e - v));
		if (ve == NULL)
			return;
		ent->value = mkstr(v, (size_t)(ve - v));
		s = ve + 1;
		if (xml_entity(x, nm, ent->name.len) == NULL)
			x->n_ent++;	/* the first declaration wins */
	}
}

/*
 * The internal subset of a DOCTYPE holds only declarations, comments, PIs
 * and parameter entity references; anything else is fatal before the root.
 */
static bool
xml_dtd_valid(struct xml *x, const uint8_t *p, const uint8_t *e)
{
	static const char *const decls[] = {
		"<!ENTITY", "<!ELEMENT", "<!ATTLIST", "<!NOTATION",
	};
	static const struct {
		const char *start, *end;
	} skips[] = {
		{ "%", ";" }, { "<!--", "-->" }, { "<?", "?>" },
	};

	/* e is the '>' after the subset's ']' */
	while (e > p && e[-1] != ']')
		e--;
	if (e > p)
		e--;
	while (p < e) {
		size_t left = (size_t)(e - p), k;

		if (is_space(*p)) {
			p++;
			continue;
		}
		/* %pe; <!-- comment --> <?pi?> */
		for (k = 0; k < sizeof(skips) / sizeof(skips[0]); k++) {
			size_t sl = strlen(skips[k].start);
			const uint8_t *end;

			if (left < sl || memcmp(p, skips[k].start, sl) != 0)
				continue;
			end = find(p + sl, left - sl, skips[k].end);
			p = end ? end + strlen(skips[k].end) : e + 1;
			break;
		}
		if (p > e)
			break;
		if (k < sizeof(skips) / sizeof(skips[0]))
			continue;
		for (k = 0; k < sizeof(decls) / sizeof(decls[0]); k++) {
			size_t n = strlen(decls[k]);

			if (left > n && !memcmp(p, decls[k], n) && is_space(p[n]))
				break;
		}
		if (k == sizeof(decls) / sizeof(decls[0]))
			break;
		/* to the '>' that ends it, quoted strings skipped */
		while (p < e && *p != '>') {
			if (*p == '"' || *p == '\'') {
				const uint8_t *q = memchr(p + 1, *p,
							  (size_t)(e - p - 1));

				p = q ? q : e;
			}
			p++;
		}
		if (p >= e) {
			p = e + 1;	/* unterminated */
			break;
		}
		p++;
	}
	if (p != e) {
		x->err = "bad declaration in the DTD";
		return false;
	}
	return true;
}

/* Comments, PIs and (in the prolog) the XML declaration and a DOCTYPE;
 * false when there is none of them at p. */
static bool
xml_misc(struct xml *x, bool prolog)
{
	size_t left = (size_t)(x->end - x->p);

	if (left >= 4 && !memcmp(x->p, "<!--", 4)) {
		const uint8_t *e = find(x->p + 4, left - 4, "--");

		if (e == NULL || e + 2 >= x->end || e[2] != '>') {
			x->err = e ? "'--' in a comment" : "unterminated comment";
			return false;
		}
		if (!xml_valid(x, x->p + 4, e))
			return false;
		x->p = e + 3;
		return true;
	}
	if (left >= 2 && !memcmp(x->p, "<?", 2)) {
		const uint8_t *decl = x->p;

		if (left >= 6 && prefix_nocase(x->p + 2, 3, "xml") &&
		    (is_space(x->p[5]) || x->p[5] == '?')) {
			const uint8_t *e;

			if (decl != x->start) {
				x->err = "XML declaration not at the start";
				return false;
			}
			if (!xml_skip_to(x, "?>"))
				return false;
			/* <?xml version="..." ...?> */
			e = decl + 5;
			while (e < x->p && is_space(*e))
				e++;
			if (!prefix_nocase(e, (size_t)(x->p - e), "version") ||
			    memcmp(e, "version", 7) != 0) {
				x->err = "malformed XML declaration";
				return false;
			}
			e = find(decl, (size_t)(x->p - decl), "encoding");
			if (e != NULL) {
				e += 8;
				while (e < x->p && (is_space(*e) || *e == '=' ||
						    *e == '"' || *e == '\''))
					e++;
				x->latin1 = prefix_nocase(e, (size_t)(x->p - e),
							  "iso-8859-1") ||
					    prefix_nocase(e, (size_t)(x->p - e),
							  "latin1");
			}
			return true;
		}
		return xml_skip_to(x, "?>") && xml_valid(x, decl, x->p);
	}
	if (prolog && left >= 9 && !memcmp(x->p, "<!DOCTYPE", 9)) {
		const uint8_t *s = x->p, *sub = NULL;
		int depth = 0;

		for (; x->p < x->end; x->p++) {
			if (*x->p == '[' && depth++ == 0)
				sub = x->p;
			else if (*x->p == ']')
				depth--;
			else if (*x->p == '>' && depth <= 0)
				break;
		}
		if (x->p >= x->end) {
			x->err = "unterminated DOCTYPE";
			return false;
		}
		x->external_dtd = find(s, (size_t)((sub ? sub : x->p) - s),
				       "SYSTEM") != NULL ||
				  find(s, (size_t)((sub ? sub : x->p) - s),
				       "PUBLIC") != NULL;
		if (sub != NULL && !xml_dtd_valid(x, sub + 1, x->p))
			return false;
		if (sub != NULL)
			xml_dtd_entities(x, sub, x->p);
		x->p++;
		return true;
	}
	return false;
}

static bool
xml_attribute(struct xml *x, uint32_t first)
{
	struct kv_list *al = &x->r->list[L_XML_ATTRS];
	const uint8_t *name = x->p, *save;
	size_t nl, vl;
	uint8_t q, *v;

	nl = xml_name(x);
	if (nl == 0) {
		x->err = "bad attribute name";
		return false;
	}
	xml_ws(x);
	if (x->p >= x->end || *x->p != '=') {
		x->err = "attribute without value";
		return false;
	}
	x->p++;
	xml_ws(x);
	if (x->p >= x->end || (*x->p != '"' && *x->p != '\'')) {
		x->err = "unquoted attribute value";
		return false;
	}
	q = *x->p++;
	save = x->p;
	vl = xml_attr_value(x, q, NULL);
	if (x->err != NULL)
		return false;
	if (x->p >= x->end) {
		x->err = "unterminated attribute value";
		return false;
	}
	/* a namespace declaration is not an attribute node */
	if (nl >= 5 && !memcmp(name, "xmlns", 5) && (nl == 5 || name[5] == ':')) {
		x->p++;
		return true;
	}
	/* duplicates are fatal (checked among the first 256 of a tag) */
	for (uint32_t i = first; i < al->n && i < first + 256; i++)
		if (al->kv[i].name.len == nl && !memcmp(al->kv[i].name.p, name, nl)) {
			x->err = "attribute redefined";
			return false;
		}
	v = vl ? arena_bytes(x->r, vl) : NULL;
	if (vl && v == NULL) {
		x->err = "out of memory";
		return false;
	}
	x->p = save;
	xml_attr_value(x, q, v);
	x->p++;
	list_push(x->r, L_XML_ATTRS, mkstr(name, nl), mkstr(v, vl));
	return true;
}

/* The start tag after '<': false on error or at the end of input. */
static bool
xml_start_tag(struct xml *x, bool *empty)
{
	uint32_t first = x->r->list[L_XML_ATTRS].n;

	for (;;) {
		bool ws = x->p < x->end && (*x->p == ' ' || *x->p == '\t' ||
					    *x->p == '\r' || *x->p == '\n');

		xml_ws(x);
		if (x->p >= x->end) {
			x->err = "premature end of data in tag";
			break;
		}
		if (*x->p == '>' || (*x->p == '/' && x->p + 1 < x->end &&
				     x->p[1] == '>')) {
			*empty = *x->p == '/';
			x->p += *empty ? 2 : 1;
			x->root = true;
			return true;
		}
		if (!ws || !xml_attribute(x, first)) {
			if (x->err == NULL)
				x->err = "bad tag";
			break;
		}
	}
	/* the element was never made: neither were its attributes */
	x->r->list[L_XML_ATTRS].n = first;
	return false;
}

/* The document element and everything in it, without recursion. */
static void
xml_element(struct xml *x)
{
	const uint8_t **open = NULL;
	uint32_t *open_len = NULL;
	size_t depth = 0, cap = 0;

	do {
		const uint8_t *nm;
		size_t nl;
		bool empty;

		if (x->p >= x->end) {
			x->err = "premature end of data";
			return;
		}
		if (*x->p != '<') {
			xml_text(x);
			if (x->err != NULL)
				return;
			continue;
		}
		if (xml_misc(x, false))
			continue;
		if (x->err != NULL)
			return;
		if ((size_t)(x->end - x->p) >= 9 &&
		    !memcmp(x->p, "<![CDATA[", 9)) {
			const uint8_t *s = x->p + 9;
			uint8_t *t;

			if (!xml_skip_to(x, "]]>") || !xml_valid(x, s, x->p - 3))
				return;
			t = xml_text_room(x, (size_t)(x->p - 3 - s));
			if (t == NULL)
				return;
			memcpy(t, s, (size_t)(x->p - 3 - s));
			continue;
		}
		if ((size_t)(x->end - x->p) >= 2 && x->p[1] == '/') {
			x->p += 2;
			nm = x->p;
			nl = xml_name(x);
			if (depth == 0 || nl != open_len[depth - 1] ||
			    memcmp(nm, open[depth - 1], nl) != 0) {
				x->err = "mismatched end tag";
				return;
			}
			xml_ws(x);
			if (x->p >= x->end || *x->p != '>') {
				x->err = "bad end tag";
				return;
			}
			x->p++;
			depth--;
			continue;
		}
		x->p++;
		nm = x->p;
		nl = xml_name(x);
		if (nl == 0) {
			x->err = "bad element name";
			return;
		}
		if (!xml_start_tag(x, &empty))
			return;
		if (empty)
			continue;
		if (depth == cap) {
			size_t ncap = cap ? 2 * cap : 16;
			const uint8_t **no = scratch_alloc(x->r, ncap *
							   sizeof(*no));
			uint32_t *nls = scratch_alloc(x->r, ncap * sizeof(*nls));

			if (no == NULL || nls == NULL) {
				x->err = "out of memory";
				return;
			}
			if (depth) {
				memcpy(no, open, depth * sizeof(*no));
				memcpy(nls, open_len, depth * sizeof(*nls));
			}
			open = no;
			open_len = nls;
			cap = ncap;
		}
		open[depth] = nm;
		open_len[depth] = (uint32_t)nl;
		depth++;
	} while (depth > 0);
}

static void
process_xml(struct mg_waf_request *r, const uint8_t *body, size_t len)
{
	uint8_t *hi = r->hi;
	struct xml x = { .r = r, .start = body, .p = body, .end = body + len };
	bool element = false;

	if (len >= 3 && !memcmp(body, "\xef\xbb\xbf", 3))
		x.start = x.p = body + 3;	/* a UTF-8 BOM */
	for (;;) {
		xml_ws(&x);
		if (x.p >= x.end || x.err != NULL)
			break;
		if (xml_misc(&x, !element))
			continue;
		if (x.err != NULL)
			break;
		if (*x.p != '<' || element) {
			x.err = element ? "extra content at the end of the "
					  "document" : "start tag expected";
			break;
		}
		element = true;
		xml_element(&x);
	}
	if (x.err == NULL && !element)
		x.err = "document is empty";
	/* libxml2 keeps the tree built up to an error; an empty text of an
	 * existing root is still a value (p set, len 0) */
	if (x.root)
		set_var(r, MG_WAF_V_XML_TEXT,
			x.text_len ? copy_str(r, x.text, x.text_len) :
			(struct mg_waf_str){ body, 0 });
	r->hi = hi;
	if (x.err != NULL) {
		fail(r, MG_WAF_REQ_E_XML_SYNTAX);
		processor_error(r, "XML", S("XML: Failed parsing document."));
	} else {
		processor_ok(r);
	}
}

/* ---- multipart/form-data (v3's line machine, flags and quirks) ---- */

#define MP_BUF 4096

enum { MP_FORMDATA = 1, MP_FILE };

struct mp_part {
	struct mg_waf_str name, filename;
	uint8_t type;
	uint64_t length;		/* file bytes */
	uint8_t *value;			/* form-data value, built here */
	size_t value_len, value_cap;
	struct mg_waf_kv *hdr;		/* header name -> value */
	uint32_t n_hdr, cap_hdr;
	struct mg_waf_str last_name;	/* header being built */
	struct mg_waf_str last_line;	/* its complete line */
	uint32_t first_line;		/* MULTIPART_PART_HEADERS of part */
	struct mp_part *next;
};

struct mp {
	struct mg_waf_request *r;
	struct mg_waf_str boundary;
	struct mp_part *part, *parts, *last;
	const char *error;		/* the last error v3 would report */
	bool err_flag, seen_data, complete, in_headers, data_read;
	bool buf_is_line;		/* the current chunk starts a line */
	uint8_t crlf, crlf_end;		/* 1: CR, 2: LF, 3: CRLF */
	uint8_t reserve;		/* line end held back from the data */
	uint32_t boundaries;
	uint64_t no_files_len;
	uint8_t unmatched, data_before, data_after, quoted, bwhitespace,
		folding, lf, crlf_line, semicolon, quoting, invalid_part,
		bad_folding;
};

static void
mp_error(struct mp *m, const char *msg)
{
	m->error = msg;
}

/* part headers are looked up without regard to case, as in v3's map */
static struct mg_waf_kv *
mp_header(struct mp_part *p, struct mg_waf_str name)
{
	for (uint32_t i = 0; i < p->n_hdr; i++)
		if (p->hdr[i].name.len == name.len &&
		    strncasecmp((const char *)p->hdr[i].name.p,
				(const char *)name.p, name.len) == 0)
			return &p->hdr[i];
	return NULL;
}

static bool
mp_token_char(uint8_t c)
{
	return c > 32 && c < 127 && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

static bool
mp_boundary_chars_ok(struct mg_waf_str b)
{
	for (uint32_t i = 0; i < b.len; i++) {
		uint8_t c = b.p[i];

		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
		      (c >= 'a' && c <= 'z') || (c == ' ' && i + 1 < b.len) ||
		      (c != 0 && strchr("'()+_,-./:=?", c) != NULL)))
			return false;
	}
	return true;
}

static size_t
count_boundary_words(const uint8_t *p, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i + 8 <= len; i++) {
		if (!prefix_nocase(p + i, len - i, "boundary"))
			continue;
		i += 8;
		if (memchr(p + i, '=', len - i) != NULL)
			n++;
		i--;
	}
	return n;
}

/* Multipart::init: the boundary from Content-Type. */
static bool
mp_init(struct mp *m, struct mg_waf_str ct)
{
	const uint8_t *b, *eq, *p;
	size_t len, ct_len = c_len(ct.p, ct.len);
	bool semicolon = false;

	if (ct_len == 0) {
		mp_error(m, "Multipart: Content-Type header not available.");
		goto err;
	}
	if (ct_len > 1024) {
		mp_error(m, "Multipart: Invalid boundary in C-T (length).");
		goto err;
	}
	if (!prefix_nocase(ct.p, ct_len, "multipart/form-data")) {
		mp_error(m, "Multipart: Invalid MIME type.");
		goto err;
	}
	if (count_boundary_words(ct.p, ct_len) > 1) {
		mp_error(m, "Multipart: Multiple boundary parameters in C-T.");
		goto err;
	}
	b = find(ct.p, ct_len, "boundary");
	if (b == NULL) {
		mp_error(m, count_boundary_words(ct.p, ct_len) ?
			 "Multipart: Invalid boundary in C-T (case "
			 "sensitivity)." :
			 "Multipart: Boundary not found in C-T.");
		goto err;
	}
	for (p = ct.p + 19; p < b; p++) {
		if (is_space(*p))
			continue;
		if (*p == ';' && !semicolon) {
			semicolon = true;
			continue;
		}
		mp_error(m, "Multipart: Invalid boundary in C-T (malformed).");
		goto err;
	}
	m->semicolon = !semicolon;
	eq = memchr(b + 8, '=', (size_t)(ct.p + ct_len - (b + 8)));
	if (eq == NULL) {
		mp_error(m, "Multipart: Invalid boundary in C-T (malformed).");
		goto err;
	}
	for (p = b + 8; p < eq; p++) {
		if (!is_space(*p)) {
			mp_error(m, "Multipart: Invalid boundary in C-T "
				 "(parameter name).");
			goto err;
		}
		m->bwhitespace = 1;
	}
	b = eq + 1;
	len = (size_t)(ct.p + ct_len - b);
	if (len && is_space(*b))
		m->bwhitespace = 1;
	if (len >= 2 && b[0] == '"' && b[len - 1] == '"') {
		m->boundary = mkstr(b + 1, len - 2);
		m->quoted = 1;
	} else {
		if (len && (b[0] == '"' || (len >= 2 && b[len - 1] == '"'))) {
			mp_error(m, "Multipart: Invalid boundary in C-T "
				 "(quote).");
			goto err;
		}
		m->boundary = mkstr(b, len);
	}
	if (m->boundary.len == 0)
		return false;	/* v3 gives up here without a word */
	if (count_boundary_words(m->boundary.p, m->boundary.len) != 0) {
		mp_error(m, "Multipart: Invalid boundary in C-T (content).");
		goto err;
	}
	if (!mp_boundary_chars_ok(m->boundary)) {
		const uint8_t *semi = memchr(m->boundary.p, ';',
					     m->boundary.len);

		/* a charset= after the boundary is tolerated */
		if (semi != NULL)
			m->boundary.len = (uint32_t)(semi - m->boundary.p);
	}
	if (!mp_boundary_chars_ok(m->boundary)) {
		mp_error(m, "Multipart: Invalid boundary in C-T (characters).");
		goto err;
	}
	if (m->boundary.len == 0) {
		mp_error(m, "Multipart: Invalid boundary in C-T (empty).");
		goto err;
	}
	return true;
err:
	m->err_flag = true;
	return false;
}

static bool
mp_value_add(struct mp *m, struct mp_part *p, const uint8_t *s, size_t n)
{
	if (n == 0)
		return true;
	if (p->value_len + n > p->value_cap) {
		size_t cap = (p->value_len + n) * 2 + 64;
		uint8_t *v = scratch_alloc(m->r, cap);

		if (v == NULL)
			return false;
		if (p->value_len)
			memcpy(v, p->value, p->value_len);
		p->value = v;
		p->value_cap = cap;
	}
	memcpy(p->value + p->value_len, s, n);
	p->value_len += n;
	return true;
}

/*
 * Part data: the line end of each chunk is held back (it may belong to
 * the next boundary). v3 3.0.9 then drops the held-back bytes of form
 * fields (so their lines run together) but counts them for files.
 */
static void
mp_part_data(struct mp *m, const uint8_t *c, size_t n)
{
	struct mp_part *p = m->part;
	uint8_t held = 0;

	m->data_read = true;
	if (n >= 1 && c[n - 1] == '\n')
		held = n >= 2 && c[n - 2] == '\r' ? 2 : 1;
	n -= held;
	if (p->type == MP_FILE) {
		p->length += n + m->reserve;
	} else {
		m->no_files_len += n + m->reserve;
		mp_value_add(m, p, c, n);
	}
	m->reserve = held;
}

/* Multipart::parse_content_disposition; < 0 on error */
static int
mp_disposition(struct mp *m, struct mg_waf_str cd)
{
	const uint8_t *p = cd.p, *e;
	struct mp_part *part = m->part;
	bool star = false;

	if (cd.len == 0)
		return -1;
	e = cd.p + c_len(cd.p, cd.len);
	if (e - p < 9 || memcmp(p, "form-data", 9) != 0)
		return -1;
	p += 9;
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	if (p == e)
		return 1;
	if (*p++ != ';')
		return -2;
	while (p < e) {
		const uint8_t *ns, *vs;
		size_t nl, vl = 0;
		uint8_t quote = 0, *v = NULL;

		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		if (p == e)
			return -3;
		ns = p;
		while (p < e && *p != '=' && *p != ' ' && *p != '\t')
			p++;
		if (p == e)
			return -4;
		nl = (size_t)(p - ns);
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		if (p == e)
			return -5;
		if (*p++ != '=')
			return -13;
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		if (p == e)
			return -6;
		if (nl == 9 && !memcmp(ns, "filename*", 9)) {
			const uint8_t *cs = p;

			while (p < e && ((*p >= '0' && *p <= '9') ||
					 ((*p | 0x20) >= 'a' &&
					  (*p | 0x20) <= 'z') ||
					 strchr("!#$%&+-^_`{}~", *p)))
				p++;
			if (p == e || *p != '\'' || p == cs)
				return -16;
			p = memchr(p + 1, '\'', (size_t)(e - p - 1));
			if (p == NULL)
				return -17;
			vs = ++p;
			while (p < e && *p != ';') {
				if (*p == '%') {
					if (e - p < 3 || hex_val(p[1]) < 0 ||
					    hex_val(p[2]) < 0)
						return -18;
					p += 3;
				} else if ((*p >= '0' && *p <= '9') ||
					   ((*p | 0x20) >= 'a' &&
					    (*p | 0x20) <= 'z') ||
					   strchr("!#$&+-.^_`~", *p)) {
					p++;
				} else {
					return -19;
				}
			}
			if (star)
				return -20;
			star = true;
			vl = (size_t)(p - vs);
		} else if (*p == '"' || *p == '\'') {
			quote = *p++;
			if (quote == '\'')
				m->quoting = 1;
			if (p == e)
				return -7;
			v = arena_bytes(m->r, (size_t)(e - p));
			if (v == NULL)
				return -99;
			for (; p < e; p++) {
				if (*p == '\\') {
					if (p + 1 == e)
						return -8;
					if (p[1] == quote || p[1] == '\\')
						p++;
				} else if (*p == quote) {
					break;
				}
				v[vl++] = *p;
			}
			arena_trim(m->r, v, vl);
			vs = v;
			/* v3 steps over the missing closing quote into memory
			 * past the string; what it finds there is garbage and
			 * in clean runs fails the header: an error */
			if (p == e)
				return -12;
			p++;
		} else {
			vs = p;
			while (p < e && mp_token_char(*p))
				p++;
			vl = (size_t)(p - vs);
		}
		if (nl == 4 && !memcmp(ns, "name", 4)) {
			if (quote != '"' && memchr(vs, '\'', vl))
				m->quoting = 1;
			set_var(m->r, MG_WAF_V_MULTIPART_NAME, mkstr(vs, vl));
			if (part->name.len)
				return -14;
			part->name = mkstr(vs, vl);
		} else if (nl == 8 && !memcmp(ns, "filename", 8)) {
			if (quote != '"' && memchr(vs, '\'', vl))
				m->quoting = 1;
			set_var(m->r, MG_WAF_V_MULTIPART_FILENAME,
				mkstr(vs, vl));
			if (part->filename.len)
				return -15;
			part->filename = mkstr(vs, vl);
		} else if (!(nl == 9 && !memcmp(ns, "filename*", 9))) {
			return -11;
		}
		if (p < e) {
			while (p < e && (*p == ' ' || *p == '\t'))
				p++;
			if (p < e) {
				if (*p != ';') {
					if (p[-1] == '\'' || p[-1] == '"')
						m->quoting = 1;
					return -12;
				}
				p++;
			}
		}
	}
	if (star && part->filename.len == 0)
		return -21;
	return 1;
}

static void
mp_push_line(struct mp *m)
{
	struct mp_part *p = m->part;

	if (p->last_line.len) {
		list_push(m->r, L_PART_HEADERS, mkstr(NULL, 0), p->last_line);
		p->last_line = mkstr(NULL, 0);
	}
}

/* Multipart::process_part_header: one header line (or the empty one) */
static void
mp_part_header(struct mp *m, const uint8_t *c, size_t n)
{
	struct mp_part *p = m->part;
	struct mg_waf_kv *h;
	size_t i = 0, end;

	if (memchr(c, 0, n) != NULL) {
		mp_error(m, "Multipart: Nul byte in part headers.");
		return;
	}
	m->no_files_len += n;
	if (n > 1 && c[n - 2] == '\r')
		m->crlf_line = 1;
	else
		m->lf = 1;
	if ((n == 2 && c[0] == '\r') || n == 1) {
		int rc;

		mp_push_line(m);
		h = mp_header(p, S("Content-Disposition"));
		if (h == NULL) {
			mp_error(m, "Multipart: Part missing "
				 "Content-Disposition header.");
			return;
		}
		rc = mp_disposition(m, h->value);
		if (rc < 0) {
			mp_error(m, "Multipart: Invalid Content-Disposition "
				 "header.");
			return;
		}
		if (p->name.len == 0) {
			mp_error(m, "Multipart: Content-Disposition header "
				 "missing name field.");
			return;
		}
		if (p->filename.len) {
			if (find(h->value.p, c_len(h->value.p, h->value.len),
				 "filename=") == NULL) {
				mp_error(m, "Multipart: Invalid "
					 "Content-Disposition header "
					 "(filename).");
				return;
			}
			p->type = MP_FILE;
		} else {
			p->type = MP_FORMDATA;
		}
		m->in_headers = false;
		m->data_read = false;
		p->last_name = mkstr(NULL, 0);
		return;
	}
	/* strip the line end as chomp() does */
	end = n;
	while (end > 0 && (c[end - 1] == '\r' || c[end - 1] == '\n'))
		end--;
	if (is_space(c[0])) {
		m->folding = 1;
		if (c[0] != ' ' && c[0] != '\t')
			m->bad_folding = 1;
		if (p->last_name.len == 0) {
			mp_error(m, "Multipart: Invalid part header (folding "
				 "error).");
			return;
		}
		while (i < n && is_space(c[i])) {
			if (c[i] != ' ' && c[i] != '\t')
				m->bad_folding = 1;
			i++;
		}
		h = mp_header(p, p->last_name);
		if (h == NULL)
			return;
		h->value = concat(m->r, h->value, S(" "),
				  mkstr(c + i, end > i ? end - i : 0));
		if (h->value.len > MP_BUF) {
			mp_error(m, "Multipart: Part header too long.");
			return;
		}
		p->last_line = concat(m->r, p->last_name, S(": "), h->value);
		return;
	}
	mp_push_line(m);
	{
		const uint8_t *colon = memchr(c, ':', n);
		size_t vs;

		if (colon == NULL) {
			mp_error(m, "Multipart: Invalid part header (colon "
				 "missing).");
			return;
		}
		if (colon == c) {
			mp_error(m, "Multipart: Invalid part header (header "
				 "name missing).");
			return;
		}
		vs = (size_t)(colon - c) + 1;
		while (vs < n && (c[vs] == ' ' || c[vs] == '\t'))
			vs++;
		/* chomp() leaves a value made of line ends alone */
		if (vs < n && end <= vs)
			end = n;
		h = mp_header(p, mkstr(c, (size_t)(colon - c)));
		if (h != NULL)
			return;		/* a duplicate is ignored, silently */
		if (p->n_hdr == p->cap_hdr) {
			uint32_t cap = p->cap_hdr ? 2 * p->cap_hdr : 4;

			h = arena_alloc(m->r, cap * sizeof(*h), _Alignof(struct mg_waf_kv));
			if (h == NULL)
				return;
			if (p->n_hdr)
				memcpy(h, p->hdr, p->n_hdr * sizeof(*h));
			p->hdr = h;
			p->cap_hdr = cap;
		}
		h = &p->hdr[p->n_hdr++];
		h->name = copy_str(m->r, c, (size_t)(colon - c));
		h->value = copy_str(m->r, c + vs, end > vs ? end - vs : 0);
		p->last_name = h->name;
		p->last_line = copy_str(m->r, c, n);
	}
}

/* Multipart::process_boundary */
static void
mp_boundary(struct mp *m, bool last)
{
	struct mp_part *p = m->part;

	if (p != NULL) {
		struct kv_list *ph = &m->r->list[L_PART_HEADERS];

		for (uint32_t i = p->first_line; i < ph->n; i++)
			ph->kv[i].name = p->name;
		if (p->name.len) {
			if (m->last)
				m->last->next = p;
			else
				m->parts = p;
			m->last = p;
		} else {
			m->invalid_part = 1;
		}
		m->part = NULL;
	}
	if (!last) {
		p = arena_alloc(m->r, sizeof(*p), _Alignof(struct mp_part));
		if (p == NULL) {
			m->err_flag = true;
			mp_error(m, "Multipart: out of memory.");
			return;
		}
		memset(p, 0, sizeof(*p));
		p->first_line = m->r->list[L_PART_HEADERS].n;
		m->part = p;
		m->in_headers = true;
		m->data_read = false;
		m->reserve = 0;
	}
}

static bool
is_boundary_at(const struct mp *m, const uint8_t *s, size_t n)
{
	return n >= m->boundary.len &&
	       memcmp(s, m->boundary.p, m->boundary.len) == 0;
}

/*
 * One chunk: a line, or the first 4096 bytes of a longer one (full: the
 * buffer of v3 filled up). false: stop.
 */
static bool
mp_chunk(struct mp *m, const uint8_t *c, size_t n, bool full)
{
	size_t sl = 0;
	bool as_boundary = false;

	/* v3 looks at a line that starts with "--" as a C string */
	if (m->buf_is_line && n > 3 && c[0] == '-' && c[1] == '-')
		sl = c_len(c, n);
	if (sl > 3) {
		if (sl >= m->boundary.len + 2 &&
		    is_boundary_at(m, c + 2, sl - 2)) {
			const uint8_t *be = c + 2 + m->boundary.len;
			size_t left = sl - 2 - m->boundary.len;
			bool final = false;

			if (m->crlf_end == 2)
				m->lf = 1;
			if (!m->data_read && m->boundaries > 0) {
				m->invalid_part = 1;	/* where data begins */
				goto data;
			}
			if (m->boundaries > 0)
				m->unmatched = 2;
			if (left >= 2 && be[0] == '-' && be[1] == '-') {
				final = true;
				be += 2;
				left -= 2;
				if (m->complete) {
					m->err_flag = true;
					mp_error(m, "Multipart: Invalid "
						 "boundary (final "
						 "duplicate).");
					return false;
				}
			}
			if ((left == 2 && be[0] == '\r' && be[1] == '\n') ||
			    (left == 1 && be[0] == '\n')) {
				if (be[0] == '\n')
					m->lf = 1;
				else
					m->crlf_line = 1;
				mp_boundary(m, final);
				if (final)
					m->complete = true;
				as_boundary = true;
				m->boundaries++;
			} else {
				m->err_flag = true;
				mp_error(m, "Multipart: Invalid boundary.");
				return false;
			}
		} else {
			size_t k = 2;

			if (m->quoted && sl >= m->boundary.len + 3 &&
			    c[2] == '"' && is_boundary_at(m, c + 3, sl - 3)) {
				m->err_flag = true;
				mp_error(m, "Multipart: Invalid boundary "
					 "(quotes).");
				return false;
			}
			while (k < sl && is_space(c[k]))
				k++;
			if (k != 2 && is_boundary_at(m, c + k, sl - k)) {
				m->err_flag = true;
				mp_error(m, "Multipart: Invalid boundary "
					 "(whitespace).");
				return false;
			}
			m->unmatched = 1;
		}
	} else if (m->buf_is_line) {
		/* "--boundary" anywhere (the boundary has no NUL, so v3's
		 * strncmp() agrees); memchr() is cheaper than memmem() for
		 * the short lines of most bodies */
		const uint8_t *q = c, *e = c + n;

		while ((q = memchr(q, '-', (size_t)(e - q))) != NULL) {
			if (e - q >= 2 && q[1] == '-' &&
			    is_boundary_at(m, q + 2, (size_t)(e - q - 2))) {
				m->unmatched = 1;
				break;
			}
			q++;
		}
	}
data:
	if (as_boundary)
		return true;
	if (m->part == NULL) {
		m->data_before = 1;
	} else if (m->in_headers) {
		if (full) {
			m->err_flag = true;
			mp_error(m, "Multipart: Part header line over 4096 "
				 "bytes long");
			return false;
		}
		mp_part_header(m, c, n);
	} else {
		mp_part_data(m, c, n);
	}
	return true;
}

/* Multipart::multipart_complete: flags, then the parts as variables */
static void
mp_complete(struct mp *m, const uint8_t *tail, size_t tail_len)
{
	struct mg_waf_request *r = m->r;
	uint64_t files_size = 0;
	bool any_file = false;

	if (m->seen_data && !m->complete) {
		if (m->boundaries == 0) {
			mp_error(m, "Multipart: No boundaries found in "
				 "payload.");
		} else if (m->buf_is_line &&
			   tail_len == 4 + (size_t)m->boundary.len &&
			   tail[0] == '-' && tail[1] == '-' &&
			   is_boundary_at(m, tail + 2, tail_len - 2) &&
			   tail[tail_len - 2] == '-' &&
			   tail[tail_len - 1] == '-') {
			if (m->crlf_end == 2)
				m->lf = 1;
			if (!m->data_read)
				m->invalid_part = 1;
			mp_boundary(m, true);
			m->complete = true;
		} else {
			mp_error(m, "Multipart: Final boundary missing.");
		}
	}
	set_var(r, MG_WAF_V_MULTIPART_UNMATCHED_BOUNDARY,
		m->unmatched == 2 ? str_2 : m->unmatched ? str_1 : str_0);
	set_flag(r, MG_WAF_V_MULTIPART_DATA_BEFORE, m->data_before);
	set_flag(r, MG_WAF_V_MULTIPART_DATA_AFTER, m->data_after);
	set_flag(r, MG_WAF_V_MULTIPART_BOUNDARY_QUOTED, m->quoted);
	set_flag(r, MG_WAF_V_MULTIPART_BOUNDARY_WHITESPACE, m->bwhitespace);
	set_flag(r, MG_WAF_V_MULTIPART_HEADER_FOLDING, m->folding);
	set_flag(r, MG_WAF_V_MULTIPART_LF_LINE, m->lf);
	set_flag(r, MG_WAF_V_MULTIPART_CRLF_LF_LINES, m->lf && m->crlf_line);
	set_flag(r, MG_WAF_V_MULTIPART_MISSING_SEMICOLON, m->semicolon);
	set_flag(r, MG_WAF_V_MULTIPART_INVALID_QUOTING, m->quoting);
	set_flag(r, MG_WAF_V_MULTIPART_INVALID_PART, m->invalid_part);
	set_flag(r, MG_WAF_V_MULTIPART_INVALID_HEADER_FOLDING, m->bad_folding);
	set_flag(r, MG_WAF_V_MULTIPART_STRICT_ERROR, m->err_flag ||
		 m->quoted || m->bwhitespace || m->data_before ||
		 m->data_after || m->folding || m->lf || m->semicolon ||
		 m->quoting || m->invalid_part || m->bad_folding);
	if (m->part != NULL)	/* its header lines are recorded at its end */
		r->list[L_PART_HEADERS].n = m->part->first_line;
	if (m->seen_data && !m->complete)
		return;		/* v3 keeps no part of an unfinished body */
	for (struct mp_part *p = m->parts; p != NULL; p = p->next) {
		if (p->type == MP_FILE) {
			any_file = true;
			files_size += p->length;
			list_push(r, L_FILES, p->name, p->filename);
			list_push(r, L_FILES_SIZES, p->name,
				  fmt_u64(r, p->length));
		} else {
			/* straight into ARGS: not counted, not limited */
			if (list_push(r, L_ARGS, p->name,
				      copy_str(r, p->value, p->value_len)))
				r->n_post++;
		}
	}
	if (any_file)
		set_var(r, MG_WAF_V_FILES_COMBINED_SIZE, fmt_u64(r, files_size));
}

static void
process_multipart(struct mg_waf_request *r, const uint8_t *body,
		  size_t len)
{
	uint8_t *hi = r->hi;
	struct mp m = { .r = r, .buf_is_line = true };
	size_t start = 0;
	const uint8_t *tail = body;
	size_t tail_len = 0;

	if (r->content_type.p == NULL)
		goto done;
	if (!mp_init(&m, r->content_type)) {
		/* no parse, but the flags all the same */
		mp_complete(&m, NULL, 0);
		goto done;
	}
	m.seen_data = len > 0;
	/*
	 * v3 reads a byte at a time into a 4096-byte buffer and looks at it
	 * at each LF, when it is full, or when a CR would be its last byte;
	 * the same chunks are cut here with memchr().
	 */
	while (start < len) {
		size_t window = len - start < MP_BUF ? len - start : MP_BUF;
		const uint8_t *c = body + start;
		const uint8_t *nl = memchr(c, '\n', window);
		size_t n;
		bool line = nl != NULL;

		if (line)
			n = (size_t)(nl - c) + 1;
		else if (window == MP_BUF)
			n = c[MP_BUF - 1] == '\r' ? MP_BUF - 1 : MP_BUF;
		else
			break;		/* the unfinished tail */
		if (!mp_chunk(&m, c, n, n >= MP_BUF - 1 && (!line ||
							  n == MP_BUF))) {
			tail = c;
			tail_len = n;
			break;
		}
		m.buf_is_line = line;
		if (line) {
			/* CR LF or a bare LF; the byte before may be in the
			 * previous chunk */
			bool cr = n >= 2 ? c[n - 2] == '\r' : m.crlf == 1;

			m.crlf = m.crlf_end = cr ? 3 : 2;
		} else {
			m.crlf_end = 0;
			m.crlf = n < MP_BUF || c[n - 1] == '\r';
		}
		start += n;
		if (m.complete && start < len) {
			m.data_after = 1;
			break;
		}
	}
	if (tail_len == 0 && start < len) {
		tail = body + start;
		tail_len = len - start;
	}
	mp_complete(&m, tail, tail_len);
done:
	r->hi = hi;
	if (m.error != NULL) {
		fail(r, MG_WAF_REQ_E_MULTIPART_SYNTAX);
		processor_error(r, "Multipart",
				mkstr((const uint8_t *)m.error,
				      strlen(m.error)));
	} else if (r->conf.body_no_files_limit &&
		   m.no_files_len > r->conf.body_no_files_limit) {
		body_error(r, "Request body excluding files is bigger than "
			   "the maximum expected.");
		set_var(r, MG_WAF_V_INBOUND_DATA_ERROR, str_1);
	} else {
		processor_ok(r);
	}
}

/* ---- body ---- */

static const struct mg_waf_str processor_names[MG_WAF_BP_MAX] = {
	[MG_WAF_BP_NONE] = { NULL, 0 },
	[MG_WAF_BP_URLENCODED] = S("URLENCODED"),
	[MG_WAF_BP_MULTIPART] = S("MULTIPART"),
	[MG_WAF_BP_JSON] = S("JSON"),
	[MG_WAF_BP_XML] = S("XML"),
};

void
mg_waf_request_set_processor(struct mg_waf_request *r,
			     enum mg_waf_body_processor bp)
{
	if ((unsigned)bp >= MG_WAF_BP_MAX || bp == MG_WAF_BP_NONE)
		return;
	if (bp == MG_WAF_BP_JSON || bp == MG_WAF_BP_XML)
		r->body_proc = (uint8_t)bp;
	else
		r->body_type = (uint8_t)bp;
	set_var(r, MG_WAF_V_REQBODY_PROCESSOR, processor_names[bp]);
}

enum mg_waf_body_processor
mg_waf_request_processor(const struct mg_waf_request *r)
{
	return r->body_proc ? r->body_proc : r->body_type;
}

int
mg_waf_request_body(struct mg_waf_request *r, const uint8_t *body,
		    size_t len)
{
	enum mg_waf_body_processor bp = mg_waf_request_processor(r);
	bool no_files_kind = r->body_type == MG_WAF_BP_URLENCODED ||
			     r->body_proc != MG_WAF_BP_NONE;
	static const uint8_t nothing[1];

	if (r->stage != STAGE_HEAD)
		return -EINVAL;
	r->stage = STAGE_BODY;
	if (len == 0 || body == NULL)
		body = nothing, len = 0;	/* no arithmetic on NULL */
	set_var(r, MG_WAF_V_INBOUND_DATA_ERROR, str_0);
	if (r->conf.body_limit && len > r->conf.body_limit) {
		/* SecRequestBodyLimitAction ProcessPartial */
		fail(r, MG_WAF_REQ_E_BODY_OVER_LIMIT);
		set_var(r, MG_WAF_V_INBOUND_DATA_ERROR, str_1);
		len = r->conf.body_limit;
	}
	if (no_files_kind && r->conf.body_no_files_limit &&
	    len > r->conf.body_no_files_limit) {
		fail(r, MG_WAF_REQ_E_BODY_OVER_LIMIT);
		body_error(r, "Request body excluding files is bigger than "
			   "the maximum expected.");
		set_var(r, MG_WAF_V_INBOUND_DATA_ERROR, str_1);
		if (bp == MG_WAF_BP_JSON || bp == MG_WAF_BP_XML ||
		    bp == MG_WAF_BP_URLENCODED)
			bp = MG_WAF_BP_MAX;	/* not processed */
	}
	switch (bp) {
	case MG_WAF_BP_XML:
		process_xml(r, body, len);
		break;
	case MG_WAF_BP_JSON:
		process_json(r, body, len);
		break;
	case MG_WAF_BP_MULTIPART:
		process_multipart(r, body, len);
		break;
	case MG_WAF_BP_URLENCODED:
		if (len)
			extract_args(r, body, len, ORIGIN_POST);
		break;
	case MG_WAF_BP_NONE:
		processor_ok(r);
		break;
	default:
		break;
	}
	if (r->errors & (1u << MG_WAF_REQ_E_ARENA_FULL))
		body_error(r, "Request arena exhausted.");
	if (len) {
		set_var(r, MG_WAF_V_REQUEST_BODY, mkstr(body, len));
		set_var(r, MG_WAF_V_REQUEST_BODY_LENGTH, fmt_u64(r, len));
	}
	set_var(r, MG_WAF_V_FULL_REQUEST_LENGTH,
		fmt_u64(r, r->head_full_len + 2 + len));
	set_args_combined(r);
	return 0;
}

/* ---- setup and access ---- */

struct mg_waf_request *
mg_waf_request_init(void *arena, size_t size,
		    const struct mg_waf_req_conf *conf)
{
	uintptr_t a = ((uintptr_t)arena + 7) & ~(uintptr_t)7;
	struct mg_waf_request *r = (struct mg_waf_request *)a;

	if (arena == NULL || a - (uintptr_t)arena + sizeof(*r) > size)
		return NULL;
	memset(r, 0, sizeof(*r));
	r->base = arena;
	r->lo = (uint8_t *)(r + 1);
	r->hi = r->end = (uint8_t *)arena + size;
	if (conf != NULL)
		r->conf = *conf;
	set_var(r, MG_WAF_V_URLENCODED_ERROR, str_0);
	return r;
}

struct mg_waf_str
mg_waf_request_var(const struct mg_waf_request *r, enum mg_waf_req_var v)
{
	if ((unsigned)v >= MG_WAF_V_MAX)
		return mkstr(NULL, 0);
	return r->var[v];
}

uint32_t
mg_waf_request_coll(const struct mg_waf_request *r, enum mg_waf_req_coll c,
		    const struct mg_waf_kv **items)
{
	static const int8_t list_of[MG_WAF_C_COLL_MAX] = {
		[MG_WAF_C_ARGS] = L_ARGS, [MG_WAF_C_ARGS_NAMES] = L_ARGS,
		[MG_WAF_C_ARGS_GET] = L_ARGS, [MG_WAF_C_ARGS_GET_NAMES] = L_ARGS,
		[MG_WAF_C_ARGS_POST] = L_ARGS,
		[MG_WAF_C_ARGS_POST_NAMES] = L_ARGS,
		[MG_WAF_C_REQUEST_HEADERS] = L_HEADERS,
		[MG_WAF_C_REQUEST_HEADERS_NAMES] = L_HEADERS,
		[MG_WAF_C_REQUEST_COOKIES] = L_COOKIES,
		[MG_WAF_C_REQUEST_COOKIES_NAMES] = L_COOKIES,
		[MG_WAF_C_FILES] = L_FILES, [MG_WAF_C_FILES_NAMES] = L_FILES,
		[MG_WAF_C_FILES_SIZES] = L_FILES_SIZES,
		[MG_WAF_C_MULTIPART_PART_HEADERS] = L_PART_HEADERS,
		[MG_WAF_C_XML_ATTRS] = L_XML_ATTRS,
	};
	const struct kv_list *kl;
	uint32_t first = 0, n;

	*items = NULL;
	if ((unsigned)c >= MG_WAF_C_COLL_MAX)
		return 0;
	kl = &r->list[list_of[c]];
	n = kl->n;
	if (c == MG_WAF_C_ARGS_GET || c == MG_WAF_C_ARGS_GET_NAMES) {
		n = r->n_get;
	} else if (c == MG_WAF_C_ARGS_POST || c == MG_WAF_C_ARGS_POST_NAMES) {
		first = r->n_get;
		n = r->n_post;
	}
	if (n > 0)
		*items = kl->kv + first;
	return n;
}

uint32_t
mg_waf_request_errors(const struct mg_waf_request *r)
{
	return r->errors;
}

size_t
mg_waf_request_arena_used(const struct mg_waf_request *r)
{
	return (size_t)(r->lo - r->base) + (size_t)(r->end - r->hi);
}

static const char *const var_names[MG_WAF_V_MAX] = {
#define MG_WAF_V_NAME_(id, name) [MG_WAF_V_##id] = name,
	MG_WAF_REQ_VARS(MG_WAF_V_NAME_)
#undef MG_WAF_V_NAME_
};

static const struct {
	const char *name;
	bool names;
} colls[MG_WAF_C_COLL_MAX] = {
#define MG_WAF_C_ROW_(id, nm, is_names) [MG_WAF_C_##id] = { nm, is_names },
	MG_WAF_REQ_COLLS(MG_WAF_C_ROW_)
#undef MG_WAF_C_ROW_
};

static const char *const error_desc[MG_WAF_REQ_E_MAX] = {
#define MG_WAF_RE_DESC_(id, desc) [MG_WAF_REQ_E_##id] = desc,
	MG_WAF_REQ_ERRORS(MG_WAF_RE_DESC_)
#undef MG_WAF_RE_DESC_
};

const char *
mg_waf_req_var_name(int v)
{
	return v >= 0 && v < MG_WAF_V_MAX ? var_names[v] : "?";
}

int
mg_waf_req_var_lookup(const char *name)
{
	for (int v = 0; name != NULL && v < MG_WAF_V_MAX; v++)
		if (strcasecmp(name, var_names[v]) == 0)
			return v;
	return -1;
}

const char *
mg_waf_req_coll_name(int c)
{
	return c >= 0 && c < MG_WAF_C_COLL_MAX ? colls[c].name : "?";
}

int
mg_waf_req_coll_lookup(const char *name)
{
	for (int c = 0; name != NULL && c < MG_WAF_C_COLL_MAX; c++)
		if (strcasecmp(name, colls[c].name) == 0)
			return c;
	return -1;
}

bool
mg_waf_req_coll_is_names(int c)
{
	return c >= 0 && c < MG_WAF_C_COLL_MAX && colls[c].names;
}

const char *
mg_waf_req_error_desc(int e)
{
	return e >= 0 && e < MG_WAF_REQ_E_MAX ? error_desc[e] : "?";
}

const char *
mg_waf_body_processor_name(int bp)
{
	if (bp < 0 || bp >= MG_WAF_BP_MAX)
		return "?";
	return bp == MG_WAF_BP_NONE ? "" :
	       (const char *)processor_names[bp].p;
}
