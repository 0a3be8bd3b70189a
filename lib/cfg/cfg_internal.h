/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_CFG_INTERNAL_H
#define MG_CFG_INTERNAL_H

/*
 * The schema tables and the state shared by the loader and the checker.
 * Private to lib/cfg.
 */

#include <stddef.h>
#include <stdint.h>

#include <libconfig.h>

#include "mg_cfg.h"

enum cfg_type {
	CFG_U16,		/* uint16_t, min..max */
	CFG_U32,		/* uint32_t, min..max */
	CFG_U64,		/* uint64_t, min..max */
	CFG_I32,		/* int32_t, min..max */
	CFG_BOOL,
	CFG_DOUBLE,		/* double, min..max */
	CFG_STR,		/* char[size]; enums: one of these names */
	CFG_ENUM,		/* an enum, from the names in enums */
	CFG_IP,			/* struct mg_ip; CFG_F_IP4/CFG_F_IP6 restrict */
	CFG_IPS,		/* struct mg_ip[], min..max entries */
	CFG_PREFIXES,		/* struct mg_ip[] + uint8_t[] at aux_off */
	CFG_MAC,		/* uint8_t[6], "02:00:00:00:00:11", unicast */
	CFG_STRS,		/* char[][size], min..max entries */
	CFG_GROUP,		/* the section sub at off */
	CFG_LIST,		/* min..max groups of sub, elements of size */
};

#define CFG_F_REQUIRED	0x001
#define CFG_F_RELOAD	0x002	/* a reload may change it */
#define CFG_F_POW2	0x004
#define CFG_F_PRIME	0x008
#define CFG_F_IP4	0x010
#define CFG_F_IP6	0x020
#define CFG_F_NAME	0x040	/* letters, digits, '-', '_', '.' */
#define CFG_F_CPUS	0x080	/* "0-3,5" */
#define CFG_F_DEVICE	0x100	/* PCI address or net_* vdev */
#define CFG_F_ALLOC	0x200	/* a list whose elements are allocated: a
				 * pointer at off, freed by mg_config_free */
#define CFG_F_TOKEN	0x400	/* an HTTP token (header names, methods) */
#define CFG_F_HOST	0x800	/* a host name or IP literal, no port */
#define CFG_F_WILDCARD	0x1000	/* ... or "*.suffix" */
#define CFG_F_HOSTPORT	0x2000	/* ... with an optional ":PORT" */
#define CFG_F_PATH	0x4000	/* "/..." without query or fragment */
#define CFG_F_TARGET	0x8000	/* "/...", with an optional "?query" */
#define CFG_F_TEXT	0x10000	/* a header field value: no controls */
#define CFG_F_TEMPLATE	0x20000	/* text with %{variables} (MG_HTTP_VARS) */
#define CFG_F_STATUSES	0x40000	/* "200-299,304": HTTP statuses */
#define CFG_F_QUERY	0x80000	/* a query parameter name */
#define CFG_F_FILE	0x100000 /* a regular, readable file; a relative
				  * path is joined to the file's directory */
#define CFG_F_REGEX	0x200000 /* a Hyperscan regex on a whole value */
#define CFG_F_OSSL_LIST	0x400000 /* an OpenSSL list: "ECDHE+AESGCM:..." */
#define CFG_F_ALPN	0x800000 /* ALPN protocols: "http/1.1,http/1.0" */
#define CFG_F_SAN	0x1000000 /* a URI ("spiffe://..."), IP or DNS SAN */
#define CFG_F_SNI	0x2000000 /* a host name, not an address, no port */

struct cfg_enum {
	const char *name;
	int value;
	bool unsupported;	/* a name we know but do not implement yet */
};

struct cfg_section;

struct cfg_key {
	const char *name;
	enum cfg_type type;
	unsigned flags;
	int64_t min, max;	/* values, or entries for lists */
	const char *def;	/* default as text; NULL: none (zero/empty) */
	size_t off;		/* where the value goes in the section struct */
	size_t size;		/* char buffer size; list element size */
	size_t count_off;	/* lists: their uint32_t count */
	size_t aux_off;		/* prefixes: the prefix lengths */
	const struct cfg_enum *enums;
	const struct cfg_section *sub;
	const char *doc;
};

/* Keys of one section at most (the loader marks those seen in an array). */
#define CFG_MAX_KEYS	32

struct cfg_section {
	const struct cfg_key *keys;
	unsigned n_keys;
	ptrdiff_t line_off;	/* int line of the element; -1: none */
};

/* The whole file: dataplane, ports, listeners, ... */
extern const struct cfg_section mg_cfg_root;

/* An error waiting to be printed: all are sorted by line at the end. */
struct cfg_msg {
	unsigned line;
	unsigned seq;
	char *path;		/* the key path it is about, "" for the file */
	char *text;		/* the full line, without newline */
};

struct cfg_ctx {
	const char *file;	/* as given by the caller */
	config_t lc;
	struct mg_config *cfg;
	struct cfg_msg *msgs;
	unsigned n_msgs, cap_msgs;
	bool oom;
};

/*
 * Record "FILE:LINE: PATH: text". The line is that of the setting at PATH,
 * or of its closest existing parent when the key is absent.
 */
void cfg_error(struct cfg_ctx *ctx, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Format a key path into the array BUF and give it back, for cfg_error(). */
#define P(buf, ...) (snprintf((buf), sizeof(buf), __VA_ARGS__), (buf))

/* Is there a setting at PATH in the file (not only a default)? */
bool cfg_has(const struct cfg_ctx *ctx, const char *path);

/* Record an error at a known setting (NULL: no line). */
void cfg_error_at(struct cfg_ctx *ctx, const config_setting_t *s,
		  const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* False when an error was already reported at PATH or one of its parents:
 * checks that would only repeat it in other words stay quiet. */
bool cfg_ok(const struct cfg_ctx *ctx, const char *path);

/* The messages sorted by line, one per line, in one string to free (NULL
 * when out of memory); the messages are freed. */
char *cfg_flush(struct cfg_ctx *ctx);

/* Quote a value for a message: escaped and cut short. */
const char *cfg_quote(const char *s, char *buf, size_t len);

/*
 * Syntax of the HTTP strings, shared by the loader (flags of the schema)
 * and the checker (values whose rules depend on other keys). Each returns
 * NULL when S is fine, else what is wrong and what was expected, as a
 * message tail: "is not a valid token (expected ...)".
 */
const char *cfg_token_problem(const char *s);
const char *cfg_host_problem(const char *s, unsigned flags);
const char *cfg_path_problem(const char *s, bool query);
const char *cfg_text_problem(const char *s);
const char *cfg_template_problem(const char *s, char *buf, size_t len);
/* The variables template S uses: bit v for enum mg_http_var v. */
uint32_t cfg_template_vars(const char *s);
const char *cfg_statuses_problem(const char *s);
const char *cfg_query_name_problem(const char *s);
/* Compiles S with Hyperscan as the gateway will; the message names the
 * compiler's complaint. */
const char *cfg_regex_problem(const char *s, char *buf, size_t len);

/* Syntax of the TLS strings (cfg_tls.c), in the same form. */
const char *cfg_ossl_list_problem(const char *s);
const char *cfg_alpn_problem(const char *s);
const char *cfg_san_problem(const char *s);
const char *cfg_sni_problem(const char *s);

/* Cross-checks of TLS: the tls group of listener I (its mode included),
 * the tls group of cluster I, and the client-certificate conditions of
 * route I (its listener_mask resolved). */
void cfg_check_listener_tls(struct cfg_ctx *ctx, uint32_t i);
void cfg_check_cluster_tls(struct cfg_ctx *ctx, uint32_t i);
void cfg_check_route_tls(struct cfg_ctx *ctx, uint32_t i);

/* Cross-checks of a loaded configuration; resolves the *_idx fields. */
void cfg_check(struct cfg_ctx *ctx);

/* "\"tcp\" or \"udp\"": the supported names of an enum. */
void cfg_enum_choices(const struct cfg_enum *e, char *buf, size_t len);

/* "integer 1..256, default 32" for a key, for the docs and the tests. */
void cfg_key_summary(const struct cfg_key *k, char *buf, size_t len);

#endif /* MG_CFG_INTERNAL_H */
