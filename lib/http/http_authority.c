/* SPDX-License-Identifier: Apache-2.0 */
/*
 * uri-host [":" port] as a gateway routes on it (RFC 9110 4.2.3 and 7.2,
 * RFC 3986 3.2.2-3.2.3), for the Host field and the authority of the
 * absolute- and authority-forms.
 *
 * Stricter than RFC 3986 reg-name, on purpose:
 * - letters, digits, '-', '.' and '_' only. No pct-encoded octets: a DNS
 *   name travels as ASCII (IDNA A-labels), "%00" or "%2f" would decode to
 *   bytes no host has, and "%61.com" would be a second spelling of
 *   "a.com" that host routing does not see. No sub-delims either: ';',
 *   '=' or ',' in a Host would be copied into Forwarded/X-Forwarded-Host
 *   as delimiters, and no DNS name holds them. '_' stays: it is not a
 *   delimiter anywhere we copy the host, and internal names use it.
 * - no empty label ("..", a leading '.'); one trailing '.' (an FQDN)
 *   is kept, as nginx does.
 * - a port is 1 to 5 digits and at most 65535; an empty port ("a:"),
 *   which RFC 3986 allows but says to omit, is refused as a second
 *   spelling of the same authority.
 * - an IP-literal holds an IPv6 address; IPvFuture and zone identifiers
 *   (RFC 6874, never sent in a Host by browsers) are refused.
 */
#include <string.h>

#include "http_internal.h"

/* RFC 3986 3.2.2: a registered name is limited to 255 characters. */
#define MG_HTTP_MAX_REG_NAME 255

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_hex(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool
is_name_char(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
}

/* dotted-decimal, dec-octet without leading zeros (RFC 3986 3.2.2) */
static bool
valid_ipv4(const char *p, uint32_t n)
{
	uint32_t i = 0;

	for (unsigned part = 0; part < 4; part++) {
		uint32_t s = i, v = 0;

		if (part > 0) {
			if (i == n || p[i] != '.')
				return false;
			s = ++i;
		}
		while (i < n && i - s < 4 && is_digit((unsigned char)p[i]))
			v = v * 10 + (uint32_t)(p[i++] - '0');
		if (i == s || i - s > 3 || v > 255 ||
		    (i - s > 1 && p[s] == '0'))
			return false;
	}
	return i == n;
}

/* RFC 3986 IPv6address: 8 groups, or fewer with one "::"; ls32 may be
 * an IPv4 address. */
static bool
valid_ipv6(const char *p, uint32_t n)
{
	uint32_t i = 0, groups = 0;
	bool gap = false;

	if (n >= 2 && p[0] == ':' && p[1] == ':') {
		gap = true;
		i = 2;
		if (i == n)
			return true;
	}
	for (;;) {
		uint32_t s = i;

		while (i < n && i - s < 5 && is_hex((unsigned char)p[i]))
			i++;
		if (i < n && p[i] == '.') {
			if (!valid_ipv4(p + s, n - s))
				return false;
			groups += 2;
			break;
		}
		if (i == s || i - s > 4)
			return false;
		groups++;
		if (i == n)
			break;
		if (p[i] != ':' || ++i == n)
			return false;
		if (p[i] == ':') {
			if (gap)
				return false;
			gap = true;
			if (++i == n)
				break;
		}
	}
	return gap ? groups <= 7 : groups == 8;
}

static bool
valid_reg_name(const char *p, uint32_t n)
{
	uint32_t label = 0;

	if (n == 0 || n > MG_HTTP_MAX_REG_NAME)
		return false;
	for (uint32_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (is_name_char(c)) {
			label++;
		} else {
			return false;
		}
	}
	return true;
}

static bool
valid_port(const char *p, uint32_t n)
{
	uint32_t v = 0;

	if (n == 0 || n > 5)
		return false;
	for (uint32_t i = 0; i < n; i++) {
		if (!is_digit((unsigned char)p[i]))
			return false;
		v = v * 10 + (uint32_t)(p[i] - '0');
	}
	return v <= 65535;
}

int
mg_http_check_authority(const char *p, uint32_t n, bool need_port)
{
	uint32_t hl;

	if (n == 0)
		return MG_HTTP_E_EMPTY_HOST;
	if (p[0] == '[') {
		const char *close = memchr(p, ']', n);

		if (close == NULL)
			return MG_HTTP_E_BAD_HOST;
		hl = (uint32_t)(close - p) + 1;
		if (!valid_ipv6(p + 1, hl - 2))
			return MG_HTTP_E_BAD_HOST;
		if (hl < n && p[hl] != ':')
			return MG_HTTP_E_BAD_HOST;
	} else {
		const char *colon = memchr(p, ':', n);

		hl = colon ? (uint32_t)(colon - p) : n;
		if (!valid_reg_name(p, hl))
			return MG_HTTP_E_BAD_HOST;
	}
	if (hl == n)
		return need_port ? MG_HTTP_E_BAD_HOST_PORT : MG_HTTP_OK;
	return valid_port(p + hl + 1, n - hl - 1) ? MG_HTTP_OK :
						      MG_HTTP_E_BAD_HOST_PORT;
}
