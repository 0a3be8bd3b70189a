/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_ROUTE_INTERNAL_H
#define MG_ROUTE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <hs.h>

#include "mg_route.h"

#define RT_NONE		UINT32_MAX
#define RT_HOST_MAX	253		/* a DNS name; longer: no pattern */
#define RT_TPL_LITERAL	UINT32_MAX	/* template part that is text */

/* ---- memory that never moves: the table's strings and small arrays ---- */

struct rt_block;
struct rt_arena {
	struct rt_block *head;
};

/* Zeroed, 8-byte aligned; NULL when out of memory. */
void *rt_alloc(struct rt_arena *a, size_t size);
/* A NUL-terminated copy of s[0..n). */
char *rt_strndup(struct rt_arena *a, const char *s, size_t n);
void rt_arena_free(struct rt_arena *a);

/* ---- string -> id hash map: host index at run time, interning at build ---- */

struct rt_slot {
	uint32_t hash;
	uint32_t id1;			/* id + 1; 0 = empty slot */
};

struct rt_strmap {
	uint32_t mask;			/* number of slots - 1 */
	uint32_t n;			/* keys (ids 0..n-1) */
	uint32_t cap;			/* room in keys[] */
	struct rt_slot *slots;
	struct mg_route_slice *keys;	/* by id; the caller owns the bytes */
};

/* CRC32-C of the bytes, for the maps. */
uint32_t rt_hash(const char *p, uint32_t len);

/* The id of the key, or RT_NONE. */
static inline uint32_t
rt_strmap_find(const struct rt_strmap *m, const char *p, uint32_t len,
	       uint32_t h)
{
	uint32_t i;

	if (m->slots == NULL)
		return RT_NONE;
	for (i = h & m->mask; m->slots[i].id1 != 0; i = (i + 1) & m->mask) {
		const struct mg_route_slice *k = &m->keys[m->slots[i].id1 - 1];

		if (m->slots[i].hash == h && k->len == len &&
		    memcmp(k->ptr, p, len) == 0)
			return m->slots[i].id1 - 1;
	}
	return RT_NONE;
}

/* The id of the key, added when new (*added true); the key's memory must
 * outlive the map. -ENOMEM. */
int rt_strmap_intern(struct rt_strmap *m, const char *p, uint32_t len,
		     uint32_t *id, bool *added);
void rt_strmap_free(struct rt_strmap *m);

/* ---- compiled routes ---- */

struct rt_tpl_part {
	uint32_t var;			/* enum mg_http_var, RT_TPL_LITERAL */
	uint32_t len;			/* literal bytes */
	const char *text;
};

struct mg_route_template {
	uint32_t n_parts;
	const struct rt_tpl_part *parts;
};

/* Compile TEXT. -EINVAL with a reason in why ("has an unknown variable
 * %{x} (...)"), -ENOMEM. */
int rt_template_compile(struct rt_arena *a, const char *text,
			const struct mg_route_template **out, char *why,
			size_t why_len);

enum rt_where { RT_HEADER, RT_QUERY };

/* A header or query condition. */
struct rt_cond {
	uint8_t where;			/* enum rt_where */
	uint8_t type;			/* enum mg_value_match */
	uint8_t invert;
	uint32_t regex;			/* id of its database, RT_NONE */
	struct mg_route_slice name;	/* header names lowercased */
	struct mg_route_slice value;
};

#define RT_ALL_METHODS	((1u << MG_HTTP_M_MAX) - 1)

struct mg_route {
	/* read for every candidate, in this order */
	uint64_t listener_mask;
	uint32_t method_mask;		/* bit per enum mg_http_method */
	uint32_t index;
	uint32_t path_regex;		/* id in the path database, RT_NONE */
	uint16_t n_conds;
	uint16_t n_methods_other;	/* extension methods (M_OTHER) */
	const struct rt_cond *conds;
	const struct mg_route_slice *methods_other;

	/* read once the route is chosen */
	const char *name;
	uint8_t path_type;		/* enum mg_path_match */
	uint8_t action;			/* enum mg_route_action */
	uint16_t redirect_status;
	struct mg_route_slice path;
	uint32_t cluster;
	uint32_t n_splits;
	uint32_t split_cluster[MG_MAX_SPLITS];
	uint32_t split_upto[MG_MAX_SPLITS];	/* cumulative weights */
	struct mg_route_direct direct;
	const struct mg_route_template *location;
	struct mg_route_slice prefix_rewrite, path_rewrite, host_rewrite;
	struct mg_route_header_ops ops[2];	/* by enum mg_route_side */
	uint64_t max_body_size;
	uint32_t timeout_ms;
};

/* ---- the index ---- */

/* A run of route indexes in mg_route_table.lists, ascending. */
struct rt_list {
	uint32_t off, n;
};

/*
 * The routes of one host key: an exact name ("a.example.com"), a wildcard
 * suffix (".example.com" for "*.example.com"), or no host condition.
 */
struct rt_group {
	uint32_t min_index;		/* smallest route index in the group */
	uint32_t root;			/* radix tree of paths, RT_NONE */
	struct rt_list regex;		/* regex paths */
	struct rt_list any;		/* no path condition */
};

/*
 * A radix tree node: the path spelled by the labels from the root to here,
 * the routes whose exact path or prefix it is. Children are contiguous in
 * mg_route_table.nodes, ordered by the first byte of their label.
 */
struct rt_node {
	const char *label;
	uint16_t label_len;
	uint8_t first;			/* label[0] */
	uint8_t pad;
	uint32_t n_children;
	uint32_t children;
	struct rt_list exact, prefix;
};

struct mg_route_table {
	uint32_t n_routes;
	struct mg_route *routes;

	struct rt_strmap hosts;		/* host key -> group */
	uint32_t n_groups;
	struct rt_group *groups;
	uint32_t any_group;		/* routes without hosts, or RT_NONE */
	uint32_t wild_min, wild_max;	/* wildcard key lengths; 0 = none */

	uint32_t n_nodes;
	struct rt_node *nodes;
	uint32_t n_lists;
	uint32_t *lists;

	hs_database_t *path_db;		/* every path regex, by path_regex */
	uint32_t n_path_regex;
	uint32_t n_value_regex;
	hs_database_t **value_dbs;	/* one per header/query regex */

	struct rt_arena arena;
};

struct mg_route_scratch {
	const struct mg_route_table *table;
	hs_scratch_t *hs;
	uint32_t gen;			/* the request being matched */
	uint32_t path_scanned;		/* gen whose path was scanned */
	bool path_scan_failed;
	uint32_t *path_hit;		/* [n_path_regex]: gen of last match */
	uint64_t counters[MG_ROUTE_C_MAX];
	char host[RT_HOST_MAX + 1];
};

/* ---- building ---- */

struct rt_builder {
	const struct mg_config *cfg;
	struct mg_route_table *t;
	char *err;
	size_t err_len;
	bool failed;
	struct rt_strmap path_re;	/* regex text -> path_regex id */
	uint32_t *path_re_route;	/* [id]: first route using it */
	struct rt_strmap value_re;	/* regex text -> value_dbs[] */
	uint32_t value_re_cap;
	struct rt_strmap names;		/* route names, for duplicates */
	struct rt_entry *entries;	/* (host key, path, route) to index */
	uint32_t n_entries, cap_entries;
};

/* Record the first problem as "route 'NAME' (line N): ..."; -EINVAL. */
int rt_fail(struct rt_builder *b, const struct mg_cfg_route *cr,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int rt_nomem(struct rt_builder *b);

/* route_build.c: route @p index of the configuration into the table. */
int rt_route_compile(struct rt_builder *b, const struct mg_cfg_route *cr,
		     uint32_t index);

/* route_index.c: host keys of a route, then the index of all of them. */
int rt_index_add_route(struct rt_builder *b, const struct mg_cfg_route *cr,
		       uint32_t index);
int rt_index_build(struct rt_builder *b);

/* route_regex.c */
int rt_regex_path(struct rt_builder *b, const struct mg_cfg_route *cr,
		  uint32_t index, const char *re, uint32_t *id);
int rt_regex_value(struct rt_builder *b, const struct mg_cfg_route *cr,
		   const char *re, uint32_t *id);
int rt_regex_finish(struct rt_builder *b);
void rt_regex_free(struct mg_route_table *t);
int rt_regex_scratch(const struct mg_route_table *t, hs_scratch_t **hs);
/* Whole-value match: 1, 0, or -1 when the scan failed. */
int rt_regex_value_match(const struct mg_route_table *t,
			 struct mg_route_scratch *s, uint32_t id,
			 const char *p, uint32_t len);
/* Scan the path once per request against every path regex. */
int rt_regex_scan_path(const struct mg_route_table *t,
		       struct mg_route_scratch *s, struct mg_route_slice path);

/* route_match.c: "Api.Example.COM.:80" -> "api.example.com" in out[]. */
enum rt_host_kind { RT_HOST_NAME, RT_HOST_IP6, RT_HOST_NONE, RT_HOST_BAD,
		    RT_HOST_LONG };
enum rt_host_kind rt_host_normalize(const char *p, uint32_t len, char *out,
				    uint32_t *out_len);

static inline char
rt_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : c;
}

#endif /* MG_ROUTE_INTERNAL_H */
