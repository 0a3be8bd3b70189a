/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The syntax of the HTTP strings of a configuration: tokens, hosts, paths,
 * header values, templates, status lists and regular expressions. A value
 * is checked when it is loaded, so that the gateway never has to wonder
 * whether a name from the file can be sent on the wire.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hs.h>

#include "cfg_internal.h"

static const char *const var_names[] = {
#define MG_HTTP_VAR_NAME_(n, d) #n,
	MG_HTTP_VARS(MG_HTTP_VAR_NAME_)
#undef MG_HTTP_VAR_NAME_
};

/* "client_address, client_port, ..." for messages (ends in ", "). */
#define MG_HTTP_VAR_LIST_(n, d) #n ", "
static const char var_list[] = MG_HTTP_VARS(MG_HTTP_VAR_LIST_);
#undef MG_HTTP_VAR_LIST_

int
mg_config_http_var(const char *name, size_t len)
{
	for (int i = 0; i < MG_HTTP_VAR_MAX; i++)
		if (strlen(var_names[i]) == len &&
		    memcmp(var_names[i], name, len) == 0)
			return i;
	return -1;
}

const char *
mg_config_http_var_name(int var)
{
	return var >= 0 && var < MG_HTTP_VAR_MAX ? var_names[var] : NULL;
}

static bool
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9');
}

/* RFC 9110 5.6.2 */
static bool
is_tchar(char c)
{
	return is_alnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

const char *
cfg_token_problem(const char *s)
{
	if (*s == '\0')
		return "is empty (expected an HTTP token: letters, digits and "
			"!#$%&'*+-.^_`|~)";
	for (; *s != '\0'; s++)
		if (!is_tchar(*s))
			return "is not a valid HTTP token (expected letters, "
				"digits and !#$%&'*+-.^_`|~)";
	return NULL;
}

/* "www.example.com", "10.0.0.1": labels of letters, digits, '-' and '_',
 * no label empty, none longer than 63, none starting or ending in '-'. */
static const char *
name_problem(const char *s, size_t n)
{
	size_t label = 0;

	if (n == 0 || n > 253)
		return "is not a valid host name (expected 1..253 characters)";
	for (size_t i = 0; i <= n; i++) {
		char c = i < n ? s[i] : '.';

		if (c == '.') {
			if (label == 0)
				return "has an empty label (expected a host name "
					"such as \"www.example.com\")";
			if (s[i - 1] == '-' || s[i - label] == '-')
				return "has a label that starts or ends in '-' "
					"(expected a host name such as "
					"\"www.example.com\")";
			label = 0;
			continue;
		}
		if (!is_alnum(c) && c != '-' && c != '_')
			return c == '*' ?
				"has a '*' that is not a leading \"*.\" (expected "
				"a host name, or \"*.\" and a domain)" :
				"is not a valid host name (expected letters, "
				"digits, '-', '_' and '.', or an IP address in "
				"brackets for IPv6)";
		if (++label > 63)
			return "has a label longer than 63 characters (expected "
				"a host name)";
	}
	return NULL;
}

static bool
valid_port(const char *s)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return false;
	v = strtoul(s, &end, 10);
	return *end == '\0' && v >= 1 && v <= 65535;
}

const char *
cfg_host_problem(const char *s, unsigned flags)
{
	const char *colon;
	size_t n = strlen(s);

	if (n == 0)
		return "is empty (expected a host name)";
	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		char addr[MG_IP_STRLEN];
		struct mg_ip ip;

		if (end == NULL || (size_t)(end - s - 1) >= sizeof(addr))
			return "is not a valid IPv6 literal (expected \"[ADDR]\")";
		memcpy(addr, s + 1, (size_t)(end - s - 1));
		addr[end - s - 1] = '\0';
		if (mg_ip_parse(addr, &ip) != 0 || ip.family != AF_INET6)
			return "is not a valid IPv6 literal (expected \"[ADDR]\")";
		if (end[1] == '\0')
			return NULL;
		if (end[1] == ':' && (flags & CFG_F_HOSTPORT) && valid_port(end + 2))
			return NULL;
		return flags & CFG_F_HOSTPORT ?
			"has a bad port (expected \"[ADDR]\" or \"[ADDR]:PORT\", "
			"PORT 1..65535)" :
			"has a port (expected a host without a port; requests "
			"match without theirs)";
	}
	colon = strchr(s, ':');
	if (colon != NULL) {
		if (strchr(colon + 1, ':') != NULL)
			return "has more than one ':' (expected an IPv6 address "
				"in brackets, \"[ADDR]\")";
		if (!(flags & CFG_F_HOSTPORT))
			return "has a port (expected a host without a port; "
				"requests match without theirs)";
		if (!valid_port(colon + 1))
			return "has a bad port (expected HOST or HOST:PORT, PORT "
				"1..65535)";
		n = (size_t)(colon - s);
	}
	if (s[0] == '*' && !(flags & CFG_F_WILDCARD))
		return "is a pattern (expected one host name here)";
	if (s[0] == '*') {
		if (n == 1)
			return "matches any host (expected a host name or "
				"\"*.domain\"; leave hosts out to match any)";
		if (s[1] != '.')
			return "has a '*' that is not a leading \"*.\" (expected "
				"a host name, or \"*.\" and a domain)";
		return name_problem(s + 2, n - 2);
	}
	return name_problem(s, n);
}

const char *
cfg_path_problem(const char *s, bool query)
{
	if (s[0] != '/')
		return "does not start with '/' (expected a path such as "
			"\"/api/\")";
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= 0x20 || c >= 0x7f)
			return "has a space, a control or a non-ASCII character "
				"(expected a path as sent, percent-encoded)";
		if (c == '#')
			return "has a fragment (expected a path without '#')";
		if (c == '?' && !query)
			return "has a query (expected a path without '?'; the "
				"query is not part of the path)";
	}
	return NULL;
}

const char *
cfg_text_problem(const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return "has a control character (expected text that a "
				"header field can carry)";
	}
	return NULL;
}

/*
 * Walk the variables of template S: their bits go to *used. Returns 0, -1
 * for a "%{" without '}', or -2 for an unknown name (at *bad, *bad_len).
 */
static int
template_scan(const char *s, uint32_t *used, const char **bad, size_t *bad_len)
{
	for (; *s != '\0'; s++) {
		const char *name, *end;
		int var;

		if (s[0] != '%')
			continue;
		if (s[1] == '%') {
			s++;
			continue;
		}
		if (s[1] != '{')
			continue;
		name = s + 2;
		end = strchr(name, '}');
		if (end == NULL)
			return -1;
		var = mg_config_http_var(name, (size_t)(end - name));
		if (var < 0) {
			*bad = name;
			*bad_len = (size_t)(end - name);
			return -2;
		}
		*used |= 1u << var;
		s = end;
	}
	return 0;
}

_Static_assert(MG_HTTP_VAR_MAX <= 32, "template_scan: one bit per variable");

const char *
cfg_template_problem(const char *s, char *buf, size_t len)
{
	const char *p = cfg_text_problem(s), *bad = NULL;
	size_t bad_len = 0;
	uint32_t used = 0;

	if (p != NULL)
		return p;
	switch (template_scan(s, &used, &bad, &bad_len)) {
	case -1:
		return "has a \"%{\" without its '}' (expected %{variable}, "
			"or %% for a '%')";
	case -2:
		snprintf(buf, len, "has an unknown variable %%{%.*s} (expected "
			 "one of: %.*s)", (int)(bad_len < 40 ? bad_len : 40), bad,
			 (int)(sizeof(var_list) - 3), var_list);
		return buf;
	}
	return NULL;
}

uint32_t
cfg_template_vars(const char *s)
{
	const char *bad;
	size_t bad_len;
	uint32_t used = 0;

	template_scan(s, &used, &bad, &bad_len);
	return used;
}

static bool
parse_status(const char **s, unsigned *v)
{
	const char *p = *s;

	if (p[0] < '1' || p[0] > '5' || p[1] < '0' || p[1] > '9' ||
	    p[2] < '0' || p[2] > '9' || (p[3] >= '0' && p[3] <= '9'))
		return false;
	*v = (unsigned)((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
	*s = p + 3;
	return true;
}

/* "200-399" or "200,204,301-303" */
const char *
cfg_statuses_problem(const char *s)
{
	static const char bad[] = "is not a list of statuses (expected codes "
		"or ranges in 100..599, e.g. \"200-399\" or \"200,204\")";

	for (;;) {
		unsigned a, b;

		if (!parse_status(&s, &a))
			return bad;
		b = a;
		if (*s == '-') {
			s++;
			if (!parse_status(&s, &b))
				return bad;
			if (b < a)
				return "has a range that ends before it starts "
					"(expected LOW-HIGH)";
		}
		if (*s == '\0')
			return NULL;
		if (*s != ',')
			return bad;
		s++;
	}
}

const char *
cfg_query_name_problem(const char *s)
{
	if (*s == '\0')
		return "is empty (expected the name of a query parameter)";
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= 0x20 || c >= 0x7f || c == '&' || c == '=' || c == '#')
			return "is not a query parameter name (expected visible "
				"ASCII characters other than '&', '=' and '#')";
	}
	return NULL;
}

/* Compile RE alone, or anchored as the gateway matches it; the complaint
 * of Hyperscan goes to BUF, NULL when it compiles. */
static const char *
compile_problem(const char *re, bool anchor, char *buf, size_t len)
{
	hs_database_t *db = NULL;
	hs_compile_error_t *err = NULL;
	const char *msg;
	char *whole = NULL;
	size_t n;

	if (anchor) {
		n = strlen(re) + sizeof("\\A(?:)\\z");
		whole = malloc(n);
		if (whole == NULL)
			return "cannot be compiled: out of memory";
		snprintf(whole, n, "\\A(?:%s)\\z", re);
		re = whole;
	}
	if (hs_compile(re, HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY,
		       HS_MODE_BLOCK, NULL, &db, &err) == HS_SUCCESS) {
		hs_free_database(db);
		free(whole);
		return NULL;
	}
	free(whole);
	msg = err != NULL && err->message != NULL ? err->message : "unknown error";
	n = strlen(msg);
	/* Its sentences end in a full stop, which reads oddly before "(". */
	if (n > 0 && msg[n - 1] == '.')
		n--;
	snprintf(buf, len, "%.*s", (int)n, msg);
	hs_free_compile_error(err);
	return buf;
}

/*
 * Alone first, so that "a)(b", which the anchoring would make whole, is
 * refused; then anchored, which catches what would swallow the closing
 * parenthesis ("a\Qb" quotes it).
 */
const char *
cfg_regex_problem(const char *s, char *buf, size_t len)
{
	char why[256];
	bool anchor = false;

	if (compile_problem(s, false, why, sizeof(why)) == NULL) {
		anchor = true;
		if (compile_problem(s, true, why, sizeof(why)) == NULL)
			return NULL;
	}
	snprintf(buf, len, "does not compile%s: %s (expected a Hyperscan "
		 "regular expression)", anchor ? " as a whole match" : "", why);
	return buf;
}
