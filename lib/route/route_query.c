/* SPDX-License-Identifier: Apache-2.0 */
/* Query strings: parameters as they appear, and decoding for who needs it. */
#include <errno.h>
#include <string.h>

#include "route_internal.h"

int
mg_route_query_next(struct mg_route_slice query, uint32_t *pos,
		    struct mg_route_slice *name, struct mg_route_slice *value)
{
	const char *q = query.ptr;
	uint32_t i = *pos, e, eq;

	while (i < query.len && q[i] == '&')
		i++;
	if (i >= query.len) {
		*pos = query.len;
		return 0;
	}
	for (e = i; e < query.len && q[e] != '&'; e++)
		;
	for (eq = i; eq < e && q[eq] != '='; eq++)
		;
	*name = (struct mg_route_slice){ q + i, eq - i };
	*value = eq < e ? (struct mg_route_slice){ q + eq + 1, e - eq - 1 } :
			  (struct mg_route_slice){ q + e, 0 };
	*pos = e;
	return 1;
}

int
mg_route_query_find(struct mg_route_slice query, const char *name,
		    size_t name_len, struct mg_route_slice *value)
{
	struct mg_route_slice n, v;
	uint32_t pos = 0;

	while (mg_route_query_next(query, &pos, &n, &v))
		if (n.len == name_len && memcmp(n.ptr, name, name_len) == 0) {
			*value = v;
			return 1;
		}
	return 0;
}

static int
hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = rt_lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int
mg_route_query_decode(const char *src, size_t len, char *dst, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		char c = src[i];
		int hi, lo;

		if (c == '+') {
			c = ' ';
		} else if (c == '%' && i + 2 < len &&
			   (hi = hex(src[i + 1])) >= 0 &&
			   (lo = hex(src[i + 2])) >= 0) {
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (n == cap)
			return -ENOSPC;
		dst[n++] = c;
	}
	return (int)n;
}
