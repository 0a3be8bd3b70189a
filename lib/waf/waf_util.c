/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "waf_internal.h"

const char *const waf_var_names[WV_MAX] = {
#define WAF_VAR_NAME_(n, f, src) [WV_##n] = #n,
	WAF_VARS(WAF_VAR_NAME_)
#undef WAF_VAR_NAME_
};

const uint8_t waf_var_name_len[WV_MAX] = {
#define WAF_VAR_NAME_LEN_(n, f, src) [WV_##n] = sizeof(#n) - 1,
	WAF_VARS(WAF_VAR_NAME_LEN_)
#undef WAF_VAR_NAME_LEN_
};

const uint8_t waf_var_flags[WV_MAX] = {
#define WAF_VAR_FLAGS_(n, f, src) [WV_##n] = (f),
	WAF_VARS(WAF_VAR_FLAGS_)
#undef WAF_VAR_FLAGS_
};

const uint16_t waf_var_source[WV_MAX] = {
#define WAF_VAR_SOURCE_(n, f, src) [WV_##n] = (src),
	WAF_VARS(WAF_VAR_SOURCE_)
#undef WAF_VAR_SOURCE_
};

const char *const waf_op_names[WOP_MAX] = {
#define WAF_OP_NAME_(id, n, a) [WOP_##id] = n,
	WAF_OPS(WAF_OP_NAME_)
#undef WAF_OP_NAME_
};

bool
waf_ieq(const void *a, size_t alen, const void *b, size_t blen)
{
	const uint8_t *x = a, *y = b;

	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++)
		if (waf_lower(x[i]) != waf_lower(y[i]))
			return false;
	return true;
}

int
waf_var_lookup(const char *name, size_t len)
{
	for (unsigned i = 0; i < WV_MAX; i++)
		if (waf_ieq(name, len, waf_var_names[i],
			    strlen(waf_var_names[i])))
			return (int)i;
	return -1;
}

uint32_t
waf_str_add(struct waf_strings *s, const char *p, size_t len)
{
	uint32_t off;

	if (len == 0 && s->len > 0)
		return 0;
	if ((uint64_t)s->len + len + 1 > UINT32_MAX / 2)
		return WAF_NONE;
	if (s->len + len + 1 > s->cap) {
		uint32_t cap = s->cap ? s->cap : 4096;
		char *nb;

		while (cap < s->len + len + 1)
			cap *= 2;
		nb = realloc(s->buf, cap);
		if (nb == NULL)
			return WAF_NONE;
		s->buf = nb;
		s->cap = cap;
	}
	off = s->len;
	if (len)
		memcpy(s->buf + off, p, len);
	s->buf[off + len] = '\0';
	s->len += (uint32_t)len + 1;
	return off;
}

int
waf_vec_grow(void **p, uint32_t *cap, uint32_t need, size_t elem)
{
	uint32_t c = *cap;
	void *np;

	if (need <= c)
		return 0;
	if (c == 0)
		c = 16;
	while (c < need) {
		if (c > UINT32_MAX / 2)
			return -1;
		c *= 2;
	}
	np = realloc(*p, (size_t)c * elem);
	if (np == NULL)
		return -1;
	memset((char *)np + (size_t)*cap * elem, 0, (size_t)(c - *cap) * elem);
	*p = np;
	*cap = c;
	return 0;
}

void
waf_warn(struct mg_waf_ruleset *rs, const char *fmt, ...)
{
	size_t room = sizeof(rs->warnings) - rs->warnings_len;
	va_list ap;
	int n;

	if (room < 2)
		return;
	va_start(ap, fmt);
	n = vsnprintf(rs->warnings + rs->warnings_len, room - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	rs->warnings_len += (size_t)n < room - 1 ? (uint32_t)n :
			    (uint32_t)(room - 2);
	rs->warnings[rs->warnings_len++] = '\n';
	rs->warnings[rs->warnings_len] = '\0';
}

bool
waf_rule_has_tag(const struct mg_waf_ruleset *rs, const struct waf_rule *r,
		 uint32_t tag)
{
	const char *t = waf_str(rs, tag);

	for (uint32_t i = 0; i < r->n_tags; i++)
		if (strcmp(waf_str(rs, rs->tags[r->tag_off + i]), t) == 0)
			return true;
	return false;
}

uint64_t
waf_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int
waf_id_range(const char *s, const char **end, uint32_t *lo, uint32_t *hi)
{
	char *e;
	unsigned long a, b;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	a = strtoul(s, &e, 10);
	b = a;
	if (*e == '-') {
		if (e[1] < '0' || e[1] > '9')
			return -1;
		b = strtoul(e + 1, &e, 10);
	}
	if (errno || b < a || b > UINT32_MAX)
		return -1;
	*lo = (uint32_t)a;
	*hi = (uint32_t)b;
	*end = e;
	return 0;
}

uint32_t
waf_fmt_int(char *out, long long v)
{
	char tmp[24];
	unsigned long long u = v < 0 ? 0ull - (unsigned long long)v :
			       (unsigned long long)v;
	uint32_t n = 0, k = 0;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		out[k++] = '-';
	while (n)
		out[k++] = tmp[--n];
	out[k] = '\0';
	return k;
}
