/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Templates of header values and redirect locations: compiled once into
 * literal and variable parts ("%%" already turned into '%'), expanded per
 * request into the caller's buffer.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "route_internal.h"

/* 2 per variable and one more; "%{path}" is 7 bytes, so a 160-byte header
 * value has at most 45 parts */
#define RT_TPL_MAX_PARTS 64

static void
var_list(char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < MG_HTTP_VAR_MAX && n < len; i++) {
		int w = snprintf(buf + n, len - n, "%s%s", i ? ", " : "",
				 mg_config_http_var_name(i));

		if (w < 0)
			return;
		n += (size_t)w;
	}
}

int
rt_template_compile(struct rt_arena *a, const char *text,
		    const struct mg_route_template **out, char *why,
		    size_t why_len)
{
	struct rt_tpl_part parts[RT_TPL_MAX_PARTS], *pp;
	size_t n = strlen(text), lit_start = 0, lit_len = 0, i = 0;
	struct mg_route_template *t;
	uint32_t np = 0;
	char *lit = rt_alloc(a, n + 1);

	if (lit == NULL)
		return -ENOMEM;
	while (i <= n) {
		unsigned char c = (unsigned char)text[i];
		const char *name, *end;
		int var;

		if (i < n && c == '%' && text[i + 1] == '%') {
			lit[lit_start + lit_len++] = '%';
			i += 2;
			continue;
		}
		if (i < n && !(c == '%' && text[i + 1] == '{')) {
			if ((c < 0x20 && c != '\t') || c == 0x7f) {
				snprintf(why, why_len, "has a control character "
					 "(expected text a header can carry)");
				return -EINVAL;
			}
			lit[lit_start + lit_len++] = (char)c;
			i++;
			continue;
		}
		/* a variable or the end: the literal so far is a part */
		if (lit_len > 0) {
			if (np == RT_TPL_MAX_PARTS)
				goto too_many;
			parts[np++] = (struct rt_tpl_part){ RT_TPL_LITERAL,
				(uint32_t)lit_len, lit + lit_start };
			lit_start += lit_len;
			lit_len = 0;
		}
		if (i == n)
			break;
		name = text + i + 2;
		end = strchr(name, '}');
		if (end == NULL) {
			snprintf(why, why_len, "has a \"%%{\" without its '}' "
				 "(expected %%{variable}, or %%%% for a '%%')");
			return -EINVAL;
		}
		var = mg_config_http_var(name, (size_t)(end - name));
		if (var < 0) {
			char vars[256];

			var_list(vars, sizeof(vars));
			snprintf(why, why_len, "has an unknown variable %%{%.*s} "
				 "(expected one of: %s)",
				 (int)(end - name < 40 ? end - name : 40), name,
				 vars);
			return -EINVAL;
		}
		if (np == RT_TPL_MAX_PARTS)
			goto too_many;
		parts[np++] = (struct rt_tpl_part){ (uint32_t)var, 0, NULL };
		i = (size_t)(end - text) + 1;
	}
	t = rt_alloc(a, sizeof(*t));
	pp = rt_alloc(a, sizeof(*pp) * (np ? np : 1));
	if (t == NULL || pp == NULL)
		return -ENOMEM;
	memcpy(pp, parts, sizeof(*pp) * np);
	t->n_parts = np;
	t->parts = pp;
	*out = t;
	return 0;
too_many:
	snprintf(why, why_len, "has more than %d parts (expected fewer "
		 "variables)", RT_TPL_MAX_PARTS);
	return -EINVAL;
}

int
mg_route_template_expand(const struct mg_route_template *t,
			 const struct mg_route_vars *v, char *buf, size_t cap)
{
	size_t n = 0;

	if (cap > INT_MAX)
		cap = INT_MAX;
	for (uint32_t i = 0; i < t->n_parts; i++) {
		const struct rt_tpl_part *p = &t->parts[i];
		const char *src = p->text;
		size_t len = p->len;

		if (p->var != RT_TPL_LITERAL) {
			src = v != NULL ? v->v[p->var].ptr : NULL;
			len = src != NULL ? v->v[p->var].len : 0;
			for (size_t k = 0; k < len; k++)
				if (src[k] == '\r' || src[k] == '\n' ||
				    src[k] == '\0')
					return -EINVAL;
		}
		if (len > cap - n)
			return -ENOSPC;
		if (len > 0)
			memcpy(buf + n, src, len);
		n += len;
	}
	return (int)n;
}
