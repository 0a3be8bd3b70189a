/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading a file: libconfig parses it, then the schema tables are walked
 * over the settings. Each setting is checked for its type and bounds and
 * stored; settings no table knows are errors; keys left out get the table's
 * default. A value that fails is left zero and reported, never defaulted.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg_internal.h"

static const char *
got_name(const config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a number with a fraction";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_GROUP:
		return "a group";
	case CONFIG_TYPE_ARRAY:
		return "an array";
	case CONFIG_TYPE_LIST:
		return "a list";
	}
	return "nothing";
}

static const char *
expected_name(const struct cfg_key *k)
{
	switch (k->type) {
	case CFG_U16:
	case CFG_U32:
	case CFG_U64:
	case CFG_I32:
		return "an integer";
	case CFG_DOUBLE:
		return "a number";
	case CFG_BOOL:
		return "true or false";
	case CFG_STR:
	case CFG_ENUM:
		return "a string";
	case CFG_IP:
		return k->flags & CFG_F_IP4 ? "an IPv4 address" :
			k->flags & CFG_F_IP6 ? "an IPv6 address" :
			"an IPv4 or IPv6 address";
	case CFG_IPS:
		return "a list of addresses";
	case CFG_PREFIXES:
		return "a list of \"ADDR/LEN\"";
	case CFG_MAC:
		return "a MAC address";
	case CFG_STRS:
		return "a list of strings";
	case CFG_GROUP:
		return "a group { ... }";
	case CFG_LIST:
		return "a list of groups ( { ... }, ... )";
	}
	return "?";
}

static void
wrong_type(struct cfg_ctx *ctx, const config_setting_t *s, const char *path,
	   const char *expected)
{
	cfg_error_at(ctx, s, path, "wrong type: %s (expected %s)", got_name(s),
		     expected);
}

static bool
is_prime(uint64_t n)
{
	if (n < 2)
		return false;
	for (uint64_t d = 2; d * d <= n; d++)
		if (n % d == 0)
			return false;
	return true;
}

static void
range_text(const struct cfg_key *k, char *buf, size_t len)
{
	snprintf(buf, len, "%s%" PRId64 "..%" PRId64,
		 k->flags & CFG_F_POW2 ? "a power of two in " :
		 k->flags & CFG_F_PRIME ? "a prime in " : "", k->min, k->max);
}

static bool
load_int(struct cfg_ctx *ctx, const config_setting_t *s, const char *path,
	 const struct cfg_key *k, void *dst)
{
	int t = config_setting_type(s);
	char range[96];
	int64_t v;

	if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
		wrong_type(ctx, s, path, expected_name(k));
		return false;
	}
	v = config_setting_get_int64(s);
	range_text(k, range, sizeof(range));
	if (v < k->min || v > k->max) {
		cfg_error_at(ctx, s, path, "%" PRId64 " is out of range (expected %s)",
			     v, range);
		return false;
	}
	if ((k->flags & CFG_F_POW2) && (v & (v - 1)) != 0) {
		cfg_error_at(ctx, s, path, "%" PRId64 " is not a power of two "
			     "(expected %s)", v, range);
		return false;
	}
	if ((k->flags & CFG_F_PRIME) && !is_prime((uint64_t)v)) {
		cfg_error_at(ctx, s, path, "%" PRId64 " is not a prime (expected %s)",
			     v, range);
		return false;
	}
	if (k->type == CFG_U16)
		*(uint16_t *)dst = (uint16_t)v;
	else if (k->type == CFG_I32)
		*(int32_t *)dst = (int32_t)v;
	else if (k->type == CFG_U32)
		*(uint32_t *)dst = (uint32_t)v;
	else
		*(uint64_t *)dst = (uint64_t)v;
	return true;
}

static bool
load_double(struct cfg_ctx *ctx, const config_setting_t *s, const char *path,
	    const struct cfg_key *k, double *dst)
{
	int t = config_setting_type(s);
	double v;

	if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64)
		v = (double)config_setting_get_int64(s);
	else if (t == CONFIG_TYPE_FLOAT)
		v = config_setting_get_float(s);
	else {
		wrong_type(ctx, s, path, expected_name(k));
		return false;
	}
	if (!(v >= (double)k->min && v <= (double)k->max)) {
		cfg_error_at(ctx, s, path, "%g is out of range (expected %" PRId64
			     "..%" PRId64 ")", v, k->min, k->max);
		return false;
	}
	*dst = v;
	return true;
}

static bool
valid_name(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
		      *s == '.'))
			return false;
	return true;
}

/* "0-3,5,8-9" */
static bool
valid_cpus(const char *s)
{
	if (*s == '\0')
		return true;
	for (;;) {
		char *end;
		unsigned long a, b;

		if (*s < '0' || *s > '9')
			return false;
		a = strtoul(s, &end, 10);
		b = a;
		if (*end == '-') {
			if (end[1] < '0' || end[1] > '9')
				return false;
			b = strtoul(end + 1, &end, 10);
		}
		if (a > b || b >= 4096)
			return false;
		if (*end == '\0')
			return true;
		if (*end != ',')
			return false;
		s = end + 1;
	}
}

static bool
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		(c >= 'A' && c <= 'F');
}

static unsigned
hex_val(char c)
{
	return c <= '9' ? (unsigned)(c - '0') :
		(unsigned)((c | 0x20) - 'a' + 10);
}

/* "0000:3b:00.0" or "3b:00.0" (DDDD:BB:DD.F) */
static bool
valid_pci(const char *s)
{
	static const char full[] = "hhhh:hh:hh.h", short_form[] = "hh:hh.h";
	const char *pat = strlen(s) == strlen(full) ? full : short_form;

	if (strlen(s) != strlen(pat))
		return false;
	for (size_t i = 0; pat[i] != '\0'; i++)
		if (pat[i] == 'h' ? !is_hex(s[i]) : s[i] != pat[i])
			return false;
	return true;
}

static const struct cfg_enum *
find_enum(const struct cfg_enum *e, const char *name)
{
	for (; e->name != NULL; e++)
		if (strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

/* The HTTP syntax a string key's flags ask for; NULL when fine. */
static const char *
http_problem(const struct cfg_key *k, const char *v, char *buf, size_t len)
{
	if (k->flags & CFG_F_TOKEN)
		return cfg_token_problem(v);
	if (k->flags & CFG_F_HOST)
		return cfg_host_problem(v, k->flags);
	if (k->flags & (CFG_F_PATH | CFG_F_TARGET))
		return cfg_path_problem(v, k->flags & CFG_F_TARGET);
	if (k->flags & CFG_F_TEMPLATE)
		return cfg_template_problem(v, buf, len);
	if (k->flags & CFG_F_TEXT)
		return cfg_text_problem(v);
	if (k->flags & CFG_F_STATUSES)
		return cfg_statuses_problem(v);
	if (k->flags & CFG_F_QUERY)
		return cfg_query_name_problem(v);
	if (k->flags & CFG_F_REGEX)
		return cfg_regex_problem(v, buf, len);
	if (k->flags & CFG_F_OSSL_LIST)
		return cfg_ossl_list_problem(v);
	if (k->flags & CFG_F_ALPN)
		return cfg_alpn_problem(v);
	if (k->flags & CFG_F_SAN)
		return cfg_san_problem(v);
	if (k->flags & CFG_F_SNI)
		return cfg_sni_problem(v);
	return NULL;
}

/*
 * A file the configuration names (certificates, keys, CA bundles): a
 * relative path starts at the configuration file's directory, as @include
 * does, and is stored joined to it, so that whoever opens it later finds
 * the same file from any working directory. It must be a regular file that
 * can be read now; what it holds is for its reader (lib/tls) to judge.
 */
static bool
load_file(struct cfg_ctx *ctx, const config_setting_t *s, const char *path,
	  const struct cfg_key *k, const char *v, char *dst)
{
	const char *slash = strrchr(ctx->file, '/');
	char full[2 * MG_PATH_MAX], q[128], qf[128], as[160] = "";
	struct stat st;
	int fd = -1;

	cfg_quote(v, q, sizeof(q));
	if (v[0] == '\0') {
		cfg_error_at(ctx, s, path, "%s is empty (expected the path of a "
			     "file)", q);
		return false;
	}
	if (v[0] != '/' && slash != NULL) {
		snprintf(full, sizeof(full), "%.*s/%s", (int)(slash - ctx->file),
			 ctx->file, v);
		snprintf(as, sizeof(as), " as %s", cfg_quote(full, qf, sizeof(qf)));
	} else {
		snprintf(full, sizeof(full), "%s", v);
	}
	if (strlen(full) >= k->size) {
		cfg_error_at(ctx, s, path, "%s%s is too long (expected at most %zu "
			     "characters once joined to the configuration's "
			     "directory)", q, as, k->size - 1);
		return false;
	}
	/* stat first: opening a FIFO would block. */
	if (stat(full, &st) != 0 || (S_ISREG(st.st_mode) &&
	    (fd = open(full, O_RDONLY | O_CLOEXEC)) < 0)) {
		cfg_error_at(ctx, s, path, "%s%s cannot be read: %s (expected a "
			     "readable file)", q, as, strerror(errno));
		return false;
	}
	if (!S_ISREG(st.st_mode)) {
		cfg_error_at(ctx, s, path, "%s%s is %s (expected a regular file)",
			     q, as, S_ISDIR(st.st_mode) ? "a directory" :
			     "not a regular file");
		return false;
	}
	close(fd);
	memcpy(dst, full, strlen(full) + 1);
	return true;
}

static bool
load_string(struct cfg_ctx *ctx, const config_setting_t *s, const char *path,
	    const struct cfg_key *k, void *dst)
{
	const char *v = config_setting_get_string(s);
	const char *problem;
	char q[128], choices[256], buf[256];

	if (v == NULL && k->enums != NULL) {
		/* min_version = 1.2 is an easy slip: say what would do. */
		cfg_enum_choices(k->enums, choices, sizeof(choices));
		snprintf(buf, sizeof(buf), "a string, %s", choices);
		wrong_type(ctx, s, path, buf);
		return false;
	}
	if (v == NULL) {
		wrong_type(ctx, s, path, expected_name(k));
		return false;
	}
	cfg_quote(v, q, sizeof(q));
	if (k->enums != NULL) {
		const struct cfg_enum *e = find_enum(k->enums, v);

		cfg_enum_choices(k->enums, choices, sizeof(choices));
		if (e != NULL && e->unsupported) {
			cfg_error_at(ctx, s, path, "%s %s is not supported yet "
				     "(expected %s)", k->name, q, choices);
			return false;
		}
		if (e == NULL) {
			cfg_error_at(ctx, s, path, "%s is not a valid %s "
				     "(expected %s)", q, k->name, choices);
			return false;
		}
		if (k->type == CFG_ENUM) {
			memcpy(dst, &e->value, sizeof(int));
			return true;
		}
	}
	if (k->type == CFG_STR && strlen(v) >= k->size) {
		cfg_error_at(ctx, s, path, "%s is too long (expected at most %zu "
			     "characters)", q, k->size - 1);
		return false;
	}
	if ((k->flags & CFG_F_NAME) && !valid_name(v)) {
		cfg_error_at(ctx, s, path, "%s is not a valid name (expected "
			     "letters, digits, '-', '_' or '.')", q);
		return false;
	}
	if ((k->flags & CFG_F_CPUS) && !valid_cpus(v)) {
		cfg_error_at(ctx, s, path, "%s is not a CPU list (expected e.g. "
			     "\"0-3\" or \"1,3,5\")", q);
		return false;
	}
	if ((k->flags & CFG_F_DEVICE) && strncmp(v, "net_", 4) != 0 &&
	    !valid_pci(v)) {
		cfg_error_at(ctx, s, path, "%s is neither a PCI address nor a "
			     "virtual device (expected e.g. \"0000:3b:00.0\" or "
			     "\"net_af_packet0,iface=eth1\")", q);
		return false;
	}
	if ((problem = http_problem(k, v, buf, sizeof(buf))) != NULL) {
		cfg_error_at(ctx, s, path, "%s %s", q, problem);
		return false;
	}
	if (k->flags & CFG_F_FILE)
		return load_file(ctx, s, path, k, v, dst);
	memcpy(dst, v, strlen(v) + 1);
	return true;
}

static bool
load_ip(struct cfg_ctx *ctx, const config_setting_t *s, const char *path,
	const struct cfg_key *k, struct mg_ip *dst)
{
	const char *v = config_setting_get_string(s);
	const char *what = expected_name(k);
	struct mg_ip ip;
	char q[128];

	if (v == NULL) {
		wrong_type(ctx, s, path, what);
		return false;
	}
	if (mg_ip_parse(v, &ip) != 0 ||
	    ((k->flags & CFG_F_IP4) && ip.family != AF_INET) ||
	    ((k->flags & CFG_F_IP6) && ip.family != AF_INET6)) {
		cfg_error_at(ctx, s, path, "%s is not a valid address (expected %s)",
			     cfg_quote(v, q, sizeof(q)), what);
		return false;
	}
	*dst = ip;
	return true;
}

static bool
load_prefix(struct cfg_ctx *ctx, const config_setting_t *s, const char *path,
	    struct mg_ip *dst, uint8_t *len)
{
	const char *v = config_setting_get_string(s);
	const char *slash;
	char q[128], addr[MG_IP_STRLEN];
	struct mg_ip ip;
	uint8_t plen;
	unsigned max;

	if (v == NULL) {
		wrong_type(ctx, s, path, "a string \"ADDR/LEN\"");
		return false;
	}
	cfg_quote(v, q, sizeof(q));
	slash = strchr(v, '/');
	if (slash == NULL) {
		cfg_error_at(ctx, s, path, "%s has no prefix length (expected "
			     "ADDR/LEN, e.g. \"10.10.0.1/24\")", q);
		return false;
	}
	if ((size_t)(slash - v) >= sizeof(addr) ||
	    (memcpy(addr, v, (size_t)(slash - v)), addr[slash - v] = '\0',
	     mg_ip_parse(addr, &ip) != 0)) {
		cfg_error_at(ctx, s, path, "%s is not an address with a prefix "
			     "length (expected ADDR/LEN, e.g. \"10.10.0.1/24\")", q);
		return false;
	}
	max = ip.family == AF_INET ? 32 : 128;
	if (mg_prefix_parse(v, &ip, &plen) != 0 || plen == 0) {
		cfg_error_at(ctx, s, path, "%s has a bad prefix length "
			     "(expected 1..%u)", q, max);
		return false;
	}
	*dst = ip;
	*len = plen;
	return true;
}

/* "02:00:00:00:00:11": six pairs of hex digits; a neighbour's MAC is
 * unicast and not all zero. */
static bool
load_mac(struct cfg_ctx *ctx, const config_setting_t *s, const char *path,
	 uint8_t *dst)
{
	const char *v = config_setting_get_string(s);
	uint8_t mac[6], any = 0;
	char q[128];

	if (v == NULL) {
		wrong_type(ctx, s, path, "a MAC address \"xx:xx:xx:xx:xx:xx\"");
		return false;
	}
	cfg_quote(v, q, sizeof(q));
	for (int i = 0; i < 6; i++) {
		const char *h = v + 3 * i;

		if (strlen(v) != 17 || !is_hex(h[0]) || !is_hex(h[1]) ||
		    (i < 5 && h[2] != ':')) {
			cfg_error_at(ctx, s, path, "%s is not a MAC address "
				     "(expected six hex pairs, e.g. "
				     "\"02:00:00:00:00:11\")", q);
			return false;
		}
		mac[i] = (uint8_t)(hex_val(h[0]) << 4 | hex_val(h[1]));
		any |= mac[i];
	}
	if ((mac[0] & 1) != 0 || any == 0) {
		cfg_error_at(ctx, s, path, "%s is %s (expected the unicast "
			     "MAC of a host)", q, any == 0 ? "all zeros" :
			     "a multicast or broadcast address");
		return false;
	}
	memcpy(dst, mac, sizeof(mac));
	return true;
}

/* Paths of keys: "clusters[0].endpoints[2].port". Cut short, never
 * overflowing, when a file nests absurdly. */
static void
path_key(char *buf, size_t len, const char *parent, const char *name)
{
	if (snprintf(buf, len, "%s%s%s", parent, parent[0] != '\0' ? "." : "",
		     name) >= (int)len)
		buf[len - 1] = '\0';
}

static void
path_index(char *buf, size_t len, const char *parent, int i)
{
	if (snprintf(buf, len, "%s[%d]", parent, i) >= (int)len)
		buf[len - 1] = '\0';
}

static void load_section(struct cfg_ctx *ctx, const config_setting_t *g,
			 const struct cfg_section *sec, void *base,
			 const char *path);
static void apply_defaults(const struct cfg_section *sec, void *base);

/* Lists of scalars and lists of groups. */
static void
load_list(struct cfg_ctx *ctx, const config_setting_t *s, const char *path,
	  const struct cfg_key *k, uint8_t *base)
{
	int t = config_setting_type(s);
	int n = config_setting_length(s);
	uint32_t *count = (uint32_t *)(base + k->count_off);
	uint8_t *elems = base + k->off;
	char epath[192];

	/* An empty [] is an empty array; accept it as an empty list. */
	if (t != CONFIG_TYPE_LIST && !(t == CONFIG_TYPE_ARRAY &&
	    (k->type != CFG_LIST || n == 0))) {
		wrong_type(ctx, s, path, expected_name(k));
		return;
	}
	if (n > k->max) {
		cfg_error_at(ctx, s, path, "%d entries (expected at most %" PRId64 ")",
			     n, k->max);
		return;
	}
	if (n < k->min) {
		cfg_error_at(ctx, s, path, "empty (expected at least %" PRId64
			     " %s)", k->min, k->min == 1 ? "entry" : "entries");
		return;
	}
	if (k->flags & CFG_F_ALLOC) {
		uint8_t **ptr = (uint8_t **)(base + k->off);

		free(*ptr);
		*ptr = elems = n > 0 ? calloc((size_t)n, k->size) : NULL;
		if (n > 0 && elems == NULL) {
			cfg_error_at(ctx, s, path, "out of memory for %d entries "
				     "(expected fewer)", n);
			return;
		}
	}
	/* Failed entries keep their index, zeroed, so that later messages
	 * name the entries as the file has them. */
	*count = (uint32_t)n;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);

		path_index(epath, sizeof(epath), path, i);
		switch (k->type) {
		case CFG_IPS: {
			struct cfg_key ek = *k;

			ek.type = CFG_IP;
			load_ip(ctx, e, epath, &ek, (struct mg_ip *)elems + i);
			break;
		}
		case CFG_PREFIXES:
			load_prefix(ctx, e, epath, (struct mg_ip *)elems + i,
				    base + k->aux_off + i);
			break;
		case CFG_STRS: {
			struct cfg_key ek = *k;

			ek.type = CFG_STR;
			if (config_setting_type(e) != CONFIG_TYPE_STRING)
				wrong_type(ctx, e, epath, "a string");
			else
				load_string(ctx, e, epath, &ek,
					    elems + (size_t)i * k->size);
			break;
		}
		case CFG_LIST:
			if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
				wrong_type(ctx, e, epath, "a group { ... }");
				break;
			}
			load_section(ctx, e, k->sub,
				     elems + (size_t)i * k->size, epath);
			break;
		default:
			break;
		}
	}
}

static void
load_value(struct cfg_ctx *ctx, const config_setting_t *s, const char *path,
	   const struct cfg_key *k, uint8_t *base)
{
	void *dst = base + k->off;

	switch (k->type) {
	case CFG_U16:
	case CFG_U32:
	case CFG_U64:
	case CFG_I32:
		load_int(ctx, s, path, k, dst);
		break;
	case CFG_DOUBLE:
		load_double(ctx, s, path, k, dst);
		break;
	case CFG_BOOL:
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			wrong_type(ctx, s, path, expected_name(k));
		else
			*(bool *)dst = config_setting_get_bool(s) != 0;
		break;
	case CFG_STR:
	case CFG_ENUM:
		load_string(ctx, s, path, k, dst);
		break;
	case CFG_IP:
		load_ip(ctx, s, path, k, dst);
		break;
	case CFG_MAC:
		load_mac(ctx, s, path, dst);
		break;
	case CFG_IPS:
	case CFG_PREFIXES:
	case CFG_STRS:
	case CFG_LIST:
		load_list(ctx, s, path, k, base);
		break;
	case CFG_GROUP:
		if (config_setting_type(s) != CONFIG_TYPE_GROUP)
			wrong_type(ctx, s, path, expected_name(k));
		else
			load_section(ctx, s, k->sub, dst, path);
		break;
	}
}

static void
apply_default(const struct cfg_key *k, uint8_t *base)
{
	void *dst = base + k->off;

	if (k->type == CFG_GROUP) {
		apply_defaults(k->sub, dst);
		return;
	}
	if (k->def == NULL)
		return;
	switch (k->type) {
	case CFG_U16:
		*(uint16_t *)dst = (uint16_t)strtoul(k->def, NULL, 10);
		break;
	case CFG_U32:
		*(uint32_t *)dst = (uint32_t)strtoul(k->def, NULL, 10);
		break;
	case CFG_U64:
		*(uint64_t *)dst = strtoull(k->def, NULL, 10);
		break;
	case CFG_I32:
		*(int32_t *)dst = (int32_t)strtol(k->def, NULL, 10);
		break;
	case CFG_DOUBLE:
		*(double *)dst = strtod(k->def, NULL);
		break;
	case CFG_BOOL:
		*(bool *)dst = strcmp(k->def, "true") == 0;
		break;
	case CFG_STR:
		snprintf(dst, k->size, "%s", k->def);
		break;
	case CFG_ENUM:
		memcpy(dst, &find_enum(k->enums, k->def)->value, sizeof(int));
		break;
	case CFG_IP:
		mg_ip_parse(k->def, dst);
		break;
	default:
		break;
	}
}

static void
apply_defaults(const struct cfg_section *sec, void *base)
{
	for (unsigned i = 0; i < sec->n_keys; i++)
		apply_default(&sec->keys[i], base);
}

static void
load_section(struct cfg_ctx *ctx, const config_setting_t *g,
	     const struct cfg_section *sec, void *base, const char *path)
{
	bool seen[CFG_MAX_KEYS] = { false };
	int n = config_setting_length(g);
	char kpath[192], names[512];

	if (sec->line_off >= 0)
		*(int *)((uint8_t *)base + sec->line_off) =
			(int)config_setting_source_line(g);

	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(s);
		unsigned j;

		for (j = 0; j < sec->n_keys; j++)
			if (strcmp(sec->keys[j].name, name) == 0)
				break;
		path_key(kpath, sizeof(kpath), path, name);
		if (j == sec->n_keys) {
			size_t o = 0;

			names[0] = '\0';
			for (j = 0; j < sec->n_keys && o < sizeof(names); j++)
				o += (size_t)snprintf(names + o, sizeof(names) - o,
						      "%s%s", j ? ", " : "",
						      sec->keys[j].name);
			cfg_error_at(ctx, s, kpath, "unknown key (expected one of: %s)",
				     names);
			continue;
		}
		seen[j] = true;
		load_value(ctx, s, kpath, &sec->keys[j], base);
	}

	for (unsigned j = 0; j < sec->n_keys; j++) {
		const struct cfg_key *k = &sec->keys[j];

		if (seen[j])
			continue;
		if (k->flags & CFG_F_REQUIRED) {
			path_key(kpath, sizeof(kpath), path, k->name);
			cfg_error_at(ctx, g, kpath, "missing required key "
				     "(expected %s)", expected_name(k));
			continue;
		}
		apply_default(k, base);
	}
}

/* "TEXT\n" in a string of its own, NULL when out of memory */
static char *
one_message(const char *where, const char *what)
{
	size_t len = strlen(where) + strlen(what) + 4;
	char *m = malloc(len);

	if (m != NULL)
		snprintf(m, len, "%s: %s\n", where, what);
	return m;
}

struct mg_config *
mg_config_load(const char *path, char **errors, unsigned *n_errors)
{
	struct cfg_ctx ctx = { .file = path };
	struct mg_config *cfg;
	char *dir_buf, *text;
	unsigned n;
	FILE *fp;

	if (errors != NULL)
		*errors = NULL;
	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL) {
		if (errors != NULL)
			*errors = one_message(path, "out of memory");
		if (n_errors != NULL)
			*n_errors = 1;
		return NULL;
	}
	ctx.cfg = cfg;
	snprintf(cfg->path, sizeof(cfg->path), "%s", path);
	config_init(&ctx.lc);

	/* libconfig does not say why a file cannot be read; fopen does. */
	fp = fopen(path, "r");
	if (fp == NULL) {
		cfg_error_at(&ctx, NULL, "", "cannot open: %s (expected a "
			     "readable configuration file)", strerror(errno));
		goto out;
	}
	fclose(fp);

	/* @include is relative to the including file, not the cwd. */
	dir_buf = strdup(path);
	if (dir_buf != NULL)
		config_set_include_dir(&ctx.lc, dirname(dir_buf));
	free(dir_buf);

	if (config_read_file(&ctx.lc, path) != CONFIG_TRUE) {
		const char *file = config_error_file(&ctx.lc);
		char where[320];

		if (file == NULL)
			file = path;
		if (config_error_line(&ctx.lc) > 0)
			snprintf(where, sizeof(where), "%s:%d", file,
				 config_error_line(&ctx.lc));
		else
			snprintf(where, sizeof(where), "%s", file);
		/* Not through cfg_error: the location comes from libconfig. */
		if (errors != NULL)
			*errors = one_message(where, config_error_text(&ctx.lc) ?
					      config_error_text(&ctx.lc) :
					      "cannot read");
		n = 1;
		goto out_read;
	}

	load_section(&ctx, config_root_setting(&ctx.lc), &mg_cfg_root, cfg, "");
	cfg_check(&ctx);
out:
	n = ctx.n_msgs + (ctx.oom ? 1 : 0);
	text = cfg_flush(&ctx);
	if (errors != NULL)
		*errors = text;
	else
		free(text);
out_read:
	config_destroy(&ctx.lc);
	if (n_errors != NULL)
		*n_errors = n;
	if (n > 0) {
		mg_config_free(cfg);
		return NULL;
	}
	return cfg;
}

void
mg_config_free(struct mg_config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->routes);
	free(cfg);
}

/* The entry of ARRAY (N of STRIDE bytes) whose name at NAME_OFF is NAME. */
static int
index_of(const void *array, size_t stride, size_t name_off, uint32_t n,
	 const char *name)
{
	for (uint32_t i = 0; i < n; i++)
		if (strcmp((const char *)array + i * stride + name_off, name) == 0)
			return (int)i;
	return -1;
}

int
mg_config_port_index(const struct mg_config *cfg, const char *name)
{
	return index_of(cfg->ports, sizeof(cfg->ports[0]),
			offsetof(struct mg_cfg_port, name), cfg->n_ports, name);
}

int
mg_config_listener_index(const struct mg_config *cfg, const char *name)
{
	return index_of(cfg->listeners, sizeof(cfg->listeners[0]),
			offsetof(struct mg_cfg_listener, name), cfg->n_listeners, name);
}

int
mg_config_cluster_index(const struct mg_config *cfg, const char *name)
{
	return index_of(cfg->clusters, sizeof(cfg->clusters[0]),
			offsetof(struct mg_cfg_cluster, name), cfg->n_clusters, name);
}
