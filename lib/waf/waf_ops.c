/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Operators, with the edge cases of ModSecurity v3 (an empty value is
 * within anything; @contains with an empty argument matches; numbers
 * are read as leading decimal integers, anything else as 0).
 */
#include <arpa/inet.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "waf_eval.h"
#include "waf_detect.h"

void
waf_set_capture(struct mg_waf_ctx *c, unsigned i, const uint8_t *s,
		uint32_t len)
{
	uint8_t key = (uint8_t)('0' + i);

	waf_store_set(c, WV_TX, &key, 1, s, len);
}

static bool
rx_run(struct mg_waf_ctx *c, const pcre2_code *code, const struct waf_rule *r,
       const uint8_t *s, uint32_t len)
{
	static const uint8_t empty[1];
	PCRE2_SIZE *ov;
	int rc;

	rc = pcre2_match(code, s ? s : empty, len, 0, 0, c->md, c->mctx);
	if (rc < 0) {
		if (rc != PCRE2_ERROR_NOMATCH)
			c->counters[MG_WAF_C_PCRE_ERROR]++;
		return false;
	}
	if (!(r->flags & WRF_CAPTURE))
		return true;
	ov = pcre2_get_ovector_pointer(c->md);
	/* TX.0 the whole match, TX.1.. the groups, as far as TX.9 */
	for (int i = 0; i < rc && i < 10; i++) {
		if (ov[2 * i] == PCRE2_UNSET)
			continue;
		waf_set_capture(c, (unsigned)i, s + ov[2 * i],
				(uint32_t)(ov[2 * i + 1] - ov[2 * i]));
	}
	return true;
}

bool
waf_rx_match(struct mg_waf_ctx *c, const struct waf_rule *r,
	     const uint8_t *s, uint32_t len)
{
	const struct waf_regex *re = &c->rs->regexes[r->op_data];

	if (re->match_all) {
		/* the whole value is the match: no PCRE2 call */
		if (r->flags & WRF_CAPTURE)
			waf_set_capture(c, 0, s ? s : (const uint8_t *)"", len);
		return true;
	}
	return rx_run(c, re->code, r, s, len);
}

/*
 * @rx with a macro (920480: "^%{tx.allowed_request_content_type_charset}$")
 * is compiled when first expanded and kept per context while the
 * expansion stays the same: one compile per lcore for CRS, which sets the
 * variable from constants.
 */
static bool
dyn_rx_match(struct mg_waf_ctx *c, const struct waf_rule *r,
	     const uint8_t *s, uint32_t len, const uint8_t *pat, uint32_t plen)
{
	uint32_t ri = (uint32_t)(r - c->rs->rules);
	struct waf_dynrx *d = NULL;
	PCRE2_SIZE erroff;
	int errcode;

	for (unsigned i = 0; i < WAF_DYN_RX; i++) {
		if (c->dyn[i].code && c->dyn[i].rule == ri) {
			d = &c->dyn[i];
			break;
		}
		if (d == NULL && c->dyn[i].code == NULL)
			d = &c->dyn[i];
	}
	if (d == NULL)
		d = &c->dyn[ri % WAF_DYN_RX];
	if (d->code && (d->len != plen || memcmp(d->pat, pat, plen))) {
		pcre2_code_free(d->code);
		d->code = NULL;
	}
	if (d->code == NULL) {
		char *copy = realloc(d->pat, plen + 1);

		if (copy == NULL)
			return false;
		memcpy(copy, pat, plen);
		copy[plen] = '\0';
		d->pat = copy;
		d->len = plen;
		d->rule = ri;
		d->code = pcre2_compile((PCRE2_SPTR)pat, plen, PCRE2_DOTALL |
					PCRE2_MULTILINE, &errcode, &erroff,
					NULL);
		c->counters[MG_WAF_C_DYN_REGEX]++;
		if (d->code == NULL) {
			c->counters[MG_WAF_C_DYN_REGEX_ERROR]++;
			return false;
		}
		(void)pcre2_jit_compile(d->code, PCRE2_JIT_COMPLETE);
	}
	return rx_run(c, d->code, r, s, len);
}

static bool
ci_at(const uint8_t *s, const char *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (waf_lower(s[i]) != waf_lower((uint8_t)w[i]))
			return false;
	return true;
}

/* @pm outside a group: the first phrase found, without case. */
static bool
pm_match(struct mg_waf_ctx *c, const struct waf_rule *r, const uint8_t *s,
	 uint32_t len)
{
	const struct mg_waf_ruleset *rs = c->rs;
	const struct waf_phrases *ph = &rs->phrases[r->op_data];

	for (uint32_t pos = 0; pos < len; pos++) {
		for (uint32_t i = 0; i < ph->n; i++) {
			const char *w = waf_str(rs, rs->phrase_strs[ph->str_off +
								   i]);
			size_t n = strlen(w);

			if (n == 0 || n > len - pos || !ci_at(s + pos, w, n))
				continue;
			if (r->flags & WRF_CAPTURE)
				waf_set_capture(c, 0, (const uint8_t *)w,
						(uint32_t)n);
			return true;
		}
	}
	return false;
}

/* The number s starts with, as atoll() reads it (blanks, a sign, digits;
 * none: 0; too large: saturated, as glibc's) */
static long long
leading_int(const uint8_t *s, uint32_t len)
{
	uint32_t i = 0;
	long long v = 0;
	bool neg = false;

	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
			   s[i] == '\r' || s[i] == '\v' || s[i] == '\f'))
		i++;
	if (i < len && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		int d = s[i] - '0';

		if (v > (LLONG_MAX - d) / 10)
			return neg ? LLONG_MIN : LLONG_MAX;
		v = v * 10 + d;
	}
	return neg ? -v : v;
}

/* @eq's number: ModSecurity reads both sides with std::stoi, so one
 * outside int is 0 (as one without digits is) */
static long long
eq_int(const uint8_t *s, uint32_t len)
{
	long long v = leading_int(s, len);

	return v < INT_MIN || v > INT_MAX ? 0 : v;
}

static bool
word_char(const uint8_t *s, uint32_t len, int64_t i)
{
	/* outside the value counts as a boundary */
	if (i < 0 || i >= (int64_t)len)
		return false;
	/* letters only: ModSecurity's @containsWord takes a digit or '_'
	 * next to the word as a boundary ("1select1" has "select") */
	return (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z');
}

static bool
contains_word(const uint8_t *s, uint32_t len, const uint8_t *w, uint32_t wl)
{
	if (wl == 0)
		return true;
	for (uint32_t pos = 0; pos + wl <= len; pos++)
		if (memcmp(s + pos, w, wl) == 0 &&
		    !word_char(s, len, (int64_t)pos - 1) &&
		    !word_char(s, len, (int64_t)pos + wl))
			return true;
	return false;
}

static bool
bad_url_encoding(const uint8_t *s, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++) {
		if (s[i] != '%')
			continue;
		if (i + 2 >= len)
			return true;	/* not enough bytes */
		if (!((s[i + 1] >= '0' && s[i + 1] <= '9') ||
		      (waf_lower(s[i + 1]) >= 'a' &&
		       waf_lower(s[i + 1]) <= 'f')) ||
		    !((s[i + 2] >= '0' && s[i + 2] <= '9') ||
		      (waf_lower(s[i + 2]) >= 'a' &&
		       waf_lower(s[i + 2]) <= 'f')))
			return true;
		i += 2;
	}
	return false;
}

/* Invalid UTF-8: bad lead or continuation bytes, truncation, overlong
 * forms, surrogates (U+D800..DFFF), values above U+10FFFF (ModSecurity
 * lets F4 90 80 80..F4 BF BF BF through, which RFC 3629 does not). */
static bool
bad_utf8(const uint8_t *s, uint32_t len)
{
	for (uint32_t i = 0; i < len;) {
		uint8_t b = s[i];
		uint32_t n, cp;

		if (b < 0x80) {
			i++;
			continue;
		}
		if ((b & 0xe0) == 0xc0) {
			n = 2;
			cp = b & 0x1f;
		} else if ((b & 0xf0) == 0xe0) {
			n = 3;
			cp = b & 0x0f;
		} else if ((b & 0xf8) == 0xf0) {
			n = 4;
			cp = b & 0x07;
		} else {
			return true;
		}
		if (i + n > len)
			return true;
		for (uint32_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return true;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x80) ||
		    (n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
			return true;
		i += n;
	}
	return false;
}

static bool
ip_match(const struct mg_waf_ruleset *rs, const struct waf_rule *r,
	 const uint8_t *s, uint32_t len)
{
	const struct waf_netlist *nl = &rs->netlists[r->op_data];
	uint8_t a[16] = { 0 };
	char buf[64];
	bool v6;

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	v6 = memchr(buf, ':', len) != NULL;
	if (v6) {
		if (inet_pton(AF_INET6, buf, a) != 1)
			return false;
	} else {
		a[10] = a[11] = 0xff;
		if (inet_pton(AF_INET, buf, a + 12) != 1)
			return false;
	}
	for (uint32_t i = 0; i < nl->n; i++) {
		const struct waf_net *n = &rs->nets[nl->off + i];
		unsigned bits = n->prefix, k;

		if (n->v6 != v6)
			continue;

		for (k = 0; bits >= 8; k++, bits -= 8)
			if (a[k] != n->addr[k])
				break;
		if (bits >= 8)
			continue;
		if (bits == 0 || ((a[k] ^ n->addr[k]) &
				  (uint8_t)(0xff00u >> bits)) == 0)
			return true;
	}
	return false;
}

static const uint8_t *
find(const uint8_t *h, uint32_t hl, const uint8_t *n, uint32_t nl)
{
	if (nl == 0)
		return h;
	return memmem(h, hl, n, nl);
}

bool
waf_op_scan(const struct mg_waf_ruleset *rs, const struct waf_rule *r,
	    const uint8_t *s, uint32_t len)
{
	char fp[MG_WAF_SQLI_FP_SIZE];

	switch (r->op) {
	case WOP_VALIDATE_BYTE_RANGE: {
		const uint8_t *set = rs->byte_sets[r->op_data];

		for (uint32_t i = 0; i < len; i++)
			if (!(set[s[i] >> 3] & (1u << (s[i] & 7))))
				return true;
		return false;
	}
	case WOP_VALIDATE_URL_ENCODING:
		return len > 0 && bad_url_encoding(s, len);
	case WOP_VALIDATE_UTF8_ENCODING:
		return bad_utf8(s, len);
	case WOP_DETECT_SQLI:
		return mg_waf_detect_sqli(s, len, fp);
	case WOP_DETECT_XSS:
		return mg_waf_detect_xss(s, len);
	default:
		return false;
	}
}

bool
waf_op_match(struct mg_waf_ctx *c, const struct waf_rule *r,
	     const uint8_t *s, uint32_t len, const uint8_t *arg,
	     uint32_t alen)
{
	const struct mg_waf_ruleset *rs = c->rs;

	switch (r->op) {
	case WOP_RX:
		if (r->flags & WRF_RX_MACRO)
			return dyn_rx_match(c, r, s, len, arg, alen);
		return waf_rx_match(c, r, s, len);
	case WOP_PM:
	case WOP_PM_FROM_FILE:
		return pm_match(c, r, s, len);
	case WOP_CONTAINS:
		return find(s, len, arg, alen) != NULL;
	case WOP_CONTAINS_WORD:
		return contains_word(s, len, arg, alen);
	case WOP_BEGINS_WITH:
		return len >= alen && memcmp(s, arg, alen) == 0;
	case WOP_ENDS_WITH:
		return len >= alen && memcmp(s + len - alen, arg, alen) == 0;
	case WOP_STREQ:
		return len == alen && memcmp(s, arg, alen) == 0;
	case WOP_WITHIN:
		return len == 0 || find(arg, alen, s, len) != NULL;
	case WOP_EQ:
		return eq_int(s, len) == eq_int(arg, alen);
	case WOP_GE:
		return leading_int(s, len) >= leading_int(arg, alen);
	case WOP_GT:
		return leading_int(s, len) > leading_int(arg, alen);
	case WOP_LE:
		return leading_int(s, len) <= leading_int(arg, alen);
	case WOP_LT:
		return leading_int(s, len) < leading_int(arg, alen);
	case WOP_VALIDATE_BYTE_RANGE:
	case WOP_VALIDATE_URL_ENCODING:
	case WOP_VALIDATE_UTF8_ENCODING:
		return waf_op_scan(rs, r, s, len);
	case WOP_IP_MATCH:
		return ip_match(rs, r, s, len);
	case WOP_UNCONDITIONAL_MATCH:
		return true;
	case WOP_DETECT_SQLI: {
		char fp[MG_WAF_SQLI_FP_SIZE];

		if (!mg_waf_detect_sqli(s, len, fp))
			return false;
		if (r->flags & WRF_CAPTURE)
			waf_set_capture(c, 0, (const uint8_t *)fp,
					(uint32_t)strlen(fp));
		return true;
	}
	case WOP_DETECT_XSS:
		if (!mg_waf_detect_xss(s, len))
			return false;
		if (r->flags & WRF_CAPTURE)
			waf_set_capture(c, 0, s, len);
		return true;
	default:
		/* @noMatch, @rbl and @geoLookup (see the load warnings) */
		return false;
	}
}
