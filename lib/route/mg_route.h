/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_ROUTE_H
#define MG_ROUTE_H

/*
 * The route table of the L7 gateway: which route serves an HTTP request,
 * and what the route does with it.
 *
 * Life cycle: mg_route_table_create() runs on the main lcore, allocates and
 * compiles the regular expressions (Hyperscan); the table is then immutable
 * and read by every worker at once. Each worker matches with a scratch of
 * its own (mg_route_scratch_create(), made on the main lcore for that
 * table): Hyperscan's scratch, the per-request state and the counters. A
 * reload builds a new table and new scratches; the data plane publishes
 * both with RCU and frees the old ones after a grace period.
 *
 * Precedence: routes are tried in configuration order and the FIRST whose
 * conditions all hold serves the request (as Envoy tries the routes of a
 * virtual host). The table is indexed so that lookup does not scan the
 * routes: by host (hash of exact names and of wildcard suffixes), then by
 * path (a radix tree of exact paths and prefixes per host); only the routes
 * in the buckets the request falls in are checked, in index order, and a
 * bucket is left as soon as its next route comes after the best found.
 *
 * Conditions, all of which must hold when present:
 *  - listener: the route's listener_mask has the request's listener.
 *  - host: the Host (or absolute-form authority) is lowercased, its port
 *    and one trailing dot removed: "API.Example.com.:8080" is
 *    "api.example.com"; "[::1]:80" is "[::1]". An exact pattern matches
 *    that name. "*.example.com" matches one or more non-empty labels in
 *    front of ".example.com" ("a.example.com", "a.b.example.com"), never
 *    "example.com" itself, and never an IPv6 literal. A host that is not
 *    well formed (empty label, junk after the port, longer than 253
 *    bytes) or is absent matches only routes without hosts; it is counted.
 *  - path: byte for byte, no decoding or normalisation (that is the
 *    proxy's choice). Exact; prefix (segment-blind: "/api" matches
 *    "/apix"); regex (Hyperscan, anchored: the whole path must match).
 *    The path never includes the query.
 *  - methods: byte for byte (RFC 9110 methods are case-sensitive); HEAD
 *    is not GET.
 *  - headers: names case-insensitive, values byte for byte (exact), any
 *    value (present) or the whole value (regex). A request with several
 *    fields of the name matches when ANY of them does; fields are not
 *    split at commas. invert: the route matches when the condition does
 *    not (an absent header satisfies an inverted condition).
 *  - query parameters: the same kinds, on the raw query: "&"-separated
 *    NAME[=VALUE] pairs, NAME and VALUE compared as they appear in the
 *    request, NOT percent-decoded ("a%20b" is written "a%20b" in the
 *    configuration, and "a+b" is not "a b"). A pair without '=' is present
 *    with an empty value. Any pair of the name may match.
 */

#include <stddef.h>
#include <stdint.h>

#include "mg_cfg.h"
#include "mg_http.h"

/* A piece of text that is not NUL-terminated. */
struct mg_route_slice {
	const char *ptr;
	uint32_t len;
};

struct mg_route_table;
struct mg_route;
struct mg_route_scratch;
struct mg_route_template;
struct mg_route_vars;

/*
 * Per-worker counters of the matcher, in its scratch.
 * X(name, description)
 */
#define MG_ROUTE_COUNTERS(X)						\
	X(MATCHED, "requests a route matched")				\
	X(NO_ROUTE, "requests no route matched")			\
	X(NO_HOST, "requests without a host: host-less routes only")	\
	X(BAD_HOST, "malformed hosts: host-less routes only")		\
	X(LONG_HOST, "hosts over 253 bytes: host-less routes only")	\
	X(WRONG_SCRATCH, "lookups with a scratch of another table")	\
	X(SCAN_FAILED, "Hyperscan scans that failed (route skipped)")

enum mg_route_counter {
#define MG_ROUTE_C_ENUM_(n, d) MG_ROUTE_C_##n,
	MG_ROUTE_COUNTERS(MG_ROUTE_C_ENUM_)
#undef MG_ROUTE_C_ENUM_
	MG_ROUTE_C_MAX
};

/** The X-macro name of a counter ("NO_ROUTE"), "?" when out of range. */
const char *mg_route_counter_name(unsigned c);

/* ---- the table ---------------------------------------------------- */

/**
 * Build the route table of @p cfg (cfg->routes[0..n_routes)).
 *
 * Reads the resolved fields (listener_mask, cluster_idx, splits[].cluster_idx)
 * and checks them against the config (a named cluster must be the one at
 * its index). Compiles path regexes into one multi-pattern Hyperscan
 * database and each distinct header/query regex into its own. The table
 * keeps no pointer into @p cfg.
 *
 * @param err  receives "route 'NAME' (line N): what is wrong (what was
 *             expected)" for the first problem found (may be NULL).
 * @return the table, or NULL with rte_errno EINVAL (a route is wrong) or
 *         ENOMEM.
 */
struct mg_route_table *mg_route_table_create(const struct mg_config *cfg,
					     char *err, size_t err_len);

/** Release a table (NULL is fine). Its scratches must be freed too. */
void mg_route_table_free(struct mg_route_table *t);

/** Number of routes (== cfg->n_routes). */
uint32_t mg_route_table_count(const struct mg_route_table *t);

/** Route @p index in configuration order, or NULL when out of range. */
const struct mg_route *mg_route_table_get(const struct mg_route_table *t,
					  uint32_t index);

/* ---- matching (workers) -------------------------------------------- */

/**
 * Per-worker matching state for one table: Hyperscan scratch, the
 * regex results of the current request and the counters. Created on the
 * main lcore; used by one lcore at a time.
 * @return the scratch, or NULL with rte_errno ENOMEM.
 */
struct mg_route_scratch *
mg_route_scratch_create(const struct mg_route_table *t);

void mg_route_scratch_free(struct mg_route_scratch *s);

/** The counters of this scratch, indexed by enum mg_route_counter. */
const uint64_t *mg_route_scratch_counters(const struct mg_route_scratch *s);

/*
 * A request as the matcher sees it: slices, nothing copied. Header slices
 * are offsets into @p buf, as lib/http produces them.
 */
struct mg_route_request {
	uint32_t listener_idx;		/* index into mg_config.listeners */
	enum mg_http_method method;
	struct mg_route_slice method_str; /* compared for MG_HTTP_M_OTHER */
	struct mg_route_slice host;	/* as received: any case, with port */
	struct mg_route_slice path;	/* without '?' and the query */
	struct mg_route_slice query;	/* after '?'; len 0 when none */
	const char *buf;
	const struct mg_http_header *headers;
	uint32_t n_headers;
};

/**
 * Fill @p rq from a request head parsed by lib/http: method, host (Host or
 * absolute-form authority), path and query split from the target (a
 * fragment is dropped; absolute-form loses scheme and authority, with "/"
 * for an empty path; "*" is the path of OPTIONS *; CONNECT has an empty
 * path), and the headers.
 */
void mg_route_request_from_http(struct mg_route_request *rq,
				const struct mg_http_msg *m, const char *buf,
				uint32_t listener_idx);

/**
 * The first route in configuration order whose conditions all hold.
 * Does not allocate; safe on any number of lcores at once, each with its
 * own scratch. Measured by perf/route_bench.c (2-vCPU AMD EPYC VM, best
 * runs): a hit costs about 100 ns with 10 routes, 120-210 ns with 1,000
 * and 170-240 ns with 10,000 (a tenth of them regexes: 240 ns); a miss
 * 30-50 ns at any size.
 * @return the route, or NULL when none matches (counted in @p s as
 *         NO_ROUTE, or WRONG_SCRATCH when @p s was made for another table).
 */
const struct mg_route *mg_route_match(const struct mg_route_table *t,
				      const struct mg_route_request *rq,
				      struct mg_route_scratch *s);

/* ---- the route and its action ---------------------------------------- */

enum mg_route_action {
	MG_ROUTE_FORWARD,		/* to a cluster, or a weighted split */
	MG_ROUTE_DIRECT,		/* answer with a fixed response */
	MG_ROUTE_REDIRECT,		/* answer with a redirect */
};

#define MG_ROUTE_NO_CLUSTER UINT32_MAX

/** The route's name (NUL-terminated) and its index in configuration
 *  order (the index the proxy keeps its per-route counters by). */
const char *mg_route_name(const struct mg_route *r);
uint32_t mg_route_index(const struct mg_route *r);

enum mg_route_action mg_route_action(const struct mg_route *r);

/**
 * The cluster a forwarded request goes to (index into mg_config.clusters).
 * A weighted split picks with @p rnd, a uniform random 32-bit value from
 * the caller: split k is chosen for a share weight_k / sum of weights of
 * the values. MG_ROUTE_NO_CLUSTER for direct responses and redirects.
 */
uint32_t mg_route_cluster(const struct mg_route *r, uint32_t rnd);

struct mg_route_direct {
	uint16_t status;
	struct mg_route_slice body;
	struct mg_route_slice content_type;	/* len 0: none configured */
};

/** The fixed response, or NULL when the action is not MG_ROUTE_DIRECT. */
const struct mg_route_direct *mg_route_direct(const struct mg_route *r);

/** The redirect status (301, 302, 303, 307, 308), 0 when not a redirect. */
uint16_t mg_route_redirect_status(const struct mg_route *r);

/** Expand the redirect's Location template; see mg_route_template_expand().
 *  -ENOENT when the route is not a redirect. */
int mg_route_redirect_location(const struct mg_route *r,
			       const struct mg_route_vars *v, char *buf,
			       size_t cap);

/**
 * The request target to send upstream after the route's path rewrite:
 *  - prefix rewrite (routes with an exact or prefix path): the matched
 *    prefix is replaced by the rewrite; when the rewrite ends in '/' and
 *    what follows the prefix starts with '/', one of the two is dropped,
 *    so "/api" -> "/" turns "/api/x" into "/x" (not "//x") and "/api"
 *    into "/"; "/api/" -> "/v2" turns "/api/x" into "/v2x" (write "/v2/").
 *  - path rewrite: the whole path is replaced.
 * The query, when @p query is not empty, follows as "?QUERY".
 * @return the length written to @p buf (not NUL-terminated), 0 when the
 *         route has no path rewrite (send the target unchanged), -ENOSPC
 *         when it does not fit in @p cap, -EINVAL when @p path does not
 *         start with the route's prefix.
 */
int mg_route_rewrite_path(const struct mg_route *r, struct mg_route_slice path,
			  struct mg_route_slice query, char *buf, size_t cap);

/** The host to send upstream instead of the client's; len 0 when none. */
struct mg_route_slice mg_route_host_rewrite(const struct mg_route *r);

/** The route's body limit (0: the listener's) and whole-request timeout
 *  (0: the cluster's). */
uint64_t mg_route_max_body_size(const struct mg_route *r);
uint32_t mg_route_timeout_ms(const struct mg_route *r);

/* ---- header changes and templates ---------------------------------------- */

/* Values of the template variables (MG_HTTP_VARS in mg_cfg.h) for one
 * request, filled by the caller; a variable left empty expands to "". */
struct mg_route_vars {
	struct mg_route_slice v[MG_HTTP_VAR_MAX];	/* by enum mg_http_var */
};

struct mg_route_header_op {
	struct mg_route_slice name;		/* as configured */
	const struct mg_route_template *value;	/* NULL for a removal */
};

/*
 * Header changes of one side, applied in this order: remove every field
 * of each name in remove[]; for each set[], remove the fields of its name
 * and add one with the value; for each add[], append a field (existing
 * ones stay).
 */
struct mg_route_header_ops {
	uint32_t n_remove, n_set, n_add;
	const struct mg_route_header_op *remove, *set, *add;
};

enum mg_route_side {
	MG_ROUTE_REQUEST,		/* sent upstream */
	MG_ROUTE_RESPONSE,		/* sent to the client */
};

const struct mg_route_header_ops *
mg_route_header_ops(const struct mg_route *r, enum mg_route_side side);

/**
 * Expand a template into @p buf: "%{name}" becomes the variable's value,
 * "%%" one '%', any other character itself (syntax of MG_HTTP_VARS;
 * unknown variables were rejected when the table was built).
 * @return the length written (not NUL-terminated, at most @p cap), or
 *         -ENOSPC when the result would not fit (nothing past @p cap is
 *         written), -EINVAL when a variable's value holds CR, LF or NUL
 *         (it would split the header).
 */
int mg_route_template_expand(const struct mg_route_template *t,
			     const struct mg_route_vars *v, char *buf,
			     size_t cap);

/* ---- query strings -------------------------------------------------- */

/**
 * Iterate the "&"-separated parameters of a raw query (without '?'),
 * starting at *pos (0 for the first); empty pairs ("a&&b") are skipped.
 * @return 1 with @p name and @p value (raw; value len 0 when there is no
 *         '='), advancing *pos; 0 at the end.
 */
int mg_route_query_next(struct mg_route_slice query, uint32_t *pos,
			struct mg_route_slice *name,
			struct mg_route_slice *value);

/**
 * The raw value of the first parameter named @p name (compared raw, byte
 * for byte). @return 1 when found, 0 when not.
 */
int mg_route_query_find(struct mg_route_slice query, const char *name,
			size_t name_len, struct mg_route_slice *value);

/**
 * Decode a query name or value: "%XX" (hex, any case) becomes the byte,
 * '+' a space; an invalid escape ("%zz", "%4") stays as it is, the way
 * WHATWG URL's percent-decode treats it.
 * @return the decoded length (never more than @p len), or -ENOSPC when it
 *         does not fit in @p cap.
 */
int mg_route_query_decode(const char *src, size_t len, char *dst, size_t cap);

#endif /* MG_ROUTE_H */
