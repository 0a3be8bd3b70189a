/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mg_addr.h"

int
mg_ip_parse(const char *s, struct mg_ip *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, &out->v4) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->v6) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

int
mg_prefix_parse(const char *s, struct mg_ip *out, uint8_t *prefix_len)
{
	char buf[MG_IP_STRLEN + 8];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long len;
	char *end;

	if (alen == 0 || alen >= MG_IP_STRLEN)
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (mg_ip_parse(buf, out) != 0)
		return -EINVAL;

	unsigned max = out->family == AF_INET ? 32 : 128;
	if (slash == NULL) {
		*prefix_len = (uint8_t)max;
		return 0;
	}
	if (slash[1] < '0' || slash[1] > '9')
		return -EINVAL;
	errno = 0;
	len = strtoul(slash + 1, &end, 10);
	if (*end != '\0' || errno != 0)
		return -EINVAL;
	if (len > max)
		return -ERANGE;
	*prefix_len = (uint8_t)len;
	return 0;
}

/* IPv4 by hand: glibc's inet_ntop formats it with sprintf, and the
 * proxy formats the client's address on every request (X-Forwarded-For,
 * the WAF's REMOTE_ADDR). */
static const char *
format_v4(uint32_t be, char *buf, size_t len)
{
	const uint8_t *b = (const uint8_t *)&be;
	char t[16];
	size_t n = 0;

	for (int i = 0; i < 4; i++) {
		unsigned v = b[i];

		if (v >= 100)
			t[n++] = (char)('0' + v / 100);
		if (v >= 10)
			t[n++] = (char)('0' + v / 10 % 10);
		t[n++] = (char)('0' + v % 10);
		t[n++] = i < 3 ? '.' : '\0';
	}
	if (n > len) {
		snprintf(buf, len, "?");
		return buf;
	}
	memcpy(buf, t, n);
	return buf;
}

const char *
mg_ip_format(const struct mg_ip *ip, char *buf, size_t len)
{
	if (ip->family == AF_INET)
		return format_v4(ip->v4, buf, len);
	if (inet_ntop(ip->family, ip->family == AF_INET ? (const void *)&ip->v4
			: (const void *)ip->v6, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
	return buf;
}

bool
mg_ip_in_prefix(const struct mg_ip *ip, const struct mg_ip *net,
		uint8_t prefix_len)
{
	const uint8_t *a, *b;
	unsigned full, rest;

	if (ip->family != net->family)
		return false;
	a = ip->family == AF_INET ? (const uint8_t *)&ip->v4 : ip->v6;
	b = net->family == AF_INET ? (const uint8_t *)&net->v4 : net->v6;
	full = prefix_len / 8;
	rest = prefix_len % 8;
	if (memcmp(a, b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}
