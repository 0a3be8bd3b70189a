/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The table's life: create from the configuration (on the main lcore),
 * the per-worker scratch, release. The memory the table is made of: an
 * arena that never moves and a string hash map.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash_crc.h>

#include "route_internal.h"

/* ---- arena ---- */

#define RT_BLOCK_SIZE (64 * 1024)

struct rt_block {
	struct rt_block *next;
	size_t used, size;
	_Alignas(8) char data[];
};

void *
rt_alloc(struct rt_arena *a, size_t size)
{
	struct rt_block *b = a->head;
	void *p;

	size = (size + 7) & ~(size_t)7;
	if (b == NULL || b->size - b->used < size) {
		size_t bsize = size > RT_BLOCK_SIZE / 4 ? size : RT_BLOCK_SIZE;

		b = malloc(sizeof(*b) + bsize);
		if (b == NULL)
			return NULL;
		b->used = 0;
		b->size = bsize;
		/* A big allocation gets a block of its own, behind the
		 * current one, so that the current one keeps filling. */
		if (a->head != NULL && bsize != RT_BLOCK_SIZE) {
			b->next = a->head->next;
			a->head->next = b;
		} else {
			b->next = a->head;
			a->head = b;
		}
	}
	p = b->data + b->used;
	b->used += size;
	memset(p, 0, size);
	return p;
}

char *
rt_strndup(struct rt_arena *a, const char *s, size_t n)
{
	char *p = rt_alloc(a, n + 1);

	if (p != NULL)
		memcpy(p, s, n);
	return p;
}

void
rt_arena_free(struct rt_arena *a)
{
	while (a->head != NULL) {
		struct rt_block *b = a->head;

		a->head = b->next;
		free(b);
	}
}

/* ---- string map ---- */

/* 8 bytes at a time; the loads go through memcpy because keys and request
 * hosts sit at any alignment (rte_hash_crc() would cast the pointer). */
uint32_t
rt_hash(const char *p, uint32_t len)
{
	uint32_t h = 0x2545f491, i = 0;
	uint64_t w;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		h = rte_hash_crc_8byte(w, h);
	}
	for (; i < len; i++)
		h = rte_hash_crc_1byte((uint8_t)p[i], h);
	return h;
}

static int
strmap_grow(struct rt_strmap *m)
{
	uint32_t nslots = m->slots == NULL ? 16 : (m->mask + 1) * 2;
	struct rt_slot *slots = calloc(nslots, sizeof(*slots));
	struct mg_route_slice *keys;

	if (slots == NULL)
		return -ENOMEM;
	keys = realloc(m->keys, sizeof(*keys) * nslots / 2);
	if (keys == NULL) {
		free(slots);
		return -ENOMEM;
	}
	m->keys = keys;
	m->cap = nslots / 2;
	for (uint32_t i = 0; m->slots != NULL && i <= m->mask; i++) {
		uint32_t j = m->slots[i].hash & (nslots - 1);

		if (m->slots[i].id1 == 0)
			continue;
		while (slots[j].id1 != 0)
			j = (j + 1) & (nslots - 1);
		slots[j] = m->slots[i];
	}
	free(m->slots);
	m->slots = slots;
	m->mask = nslots - 1;
	return 0;
}

int
rt_strmap_intern(struct rt_strmap *m, const char *p, uint32_t len,
		 uint32_t *id, bool *added)
{
	uint32_t h = rt_hash(p, len), i;

	*added = false;
	*id = rt_strmap_find(m, p, len, h);
	if (*id != RT_NONE)
		return 0;
	/* at most half full: probes stay short */
	if (m->n >= m->cap && strmap_grow(m) != 0)
		return -ENOMEM;
	for (i = h & m->mask; m->slots[i].id1 != 0; i = (i + 1) & m->mask)
		;
	m->keys[m->n] = (struct mg_route_slice){ p, len };
	m->slots[i].hash = h;
	m->slots[i].id1 = ++m->n;
	*id = m->n - 1;
	*added = true;
	return 0;
}

void
rt_strmap_free(struct rt_strmap *m)
{
	free(m->slots);
	free(m->keys);
	memset(m, 0, sizeof(*m));
}

/* ---- errors ---- */

int
rt_fail(struct rt_builder *b, const struct mg_cfg_route *cr,
	const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed || b->err == NULL || b->err_len == 0) {
		b->failed = true;
		return -EINVAL;
	}
	b->failed = true;
	n = snprintf(b->err, b->err_len, "route '%.*s' (line %d): ",
		     MG_NAME_MAX, cr->name, cr->line);
	if (n >= 0 && (size_t)n < b->err_len) {
		va_start(ap, fmt);
		vsnprintf(b->err + n, b->err_len - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

int
rt_nomem(struct rt_builder *b)
{
	if (!b->failed && b->err != NULL && b->err_len > 0)
		snprintf(b->err, b->err_len, "out of memory building routes");
	b->failed = true;
	return -ENOMEM;
}

/* ---- the table ---- */

static void
builder_free(struct rt_builder *b)
{
	rt_strmap_free(&b->path_re);
	rt_strmap_free(&b->value_re);
	rt_strmap_free(&b->names);
	free(b->path_re_route);
	free(b->entries);
}

struct mg_route_table *
mg_route_table_create(const struct mg_config *cfg, char *err, size_t err_len)
{
	struct rt_builder b = { .cfg = cfg, .err = err, .err_len = err_len };
	struct mg_route_table *t;
	int rc = 0;

	if (err != NULL && err_len > 0)
		err[0] = '\0';
	if (cfg->n_routes > MG_MAX_ROUTES || (cfg->n_routes && !cfg->routes)) {
		if (err != NULL)
			snprintf(err, err_len, "%u routes (expected at most %u)",
				 cfg->n_routes, MG_MAX_ROUTES);
		rte_errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		rt_nomem(&b);
		rte_errno = ENOMEM;
		return NULL;
	}
	b.t = t;
	t->any_group = RT_NONE;
	t->routes = calloc(cfg->n_routes ? cfg->n_routes : 1,
			   sizeof(*t->routes));
	if (t->routes == NULL)
		rc = rt_nomem(&b);
	t->n_routes = cfg->n_routes;
	for (uint32_t i = 0; rc == 0 && i < cfg->n_routes; i++)
		rc = rt_route_compile(&b, &cfg->routes[i], i);
	if (rc == 0)
		rc = rt_index_build(&b);
	if (rc == 0)
		rc = rt_regex_finish(&b);
	builder_free(&b);
	if (rc != 0) {
		mg_route_table_free(t);
		rte_errno = -rc;
		return NULL;
	}
	return t;
}

void
mg_route_table_free(struct mg_route_table *t)
{
	if (t == NULL)
		return;
	rt_regex_free(t);
	rt_strmap_free(&t->hosts);
	free(t->groups);
	free(t->nodes);
	free(t->lists);
	free(t->routes);
	rt_arena_free(&t->arena);
	free(t);
}

uint32_t
mg_route_table_count(const struct mg_route_table *t)
{
	return t->n_routes;
}

const struct mg_route *
mg_route_table_get(const struct mg_route_table *t, uint32_t index)
{
	return index < t->n_routes ? &t->routes[index] : NULL;
}

/* ---- scratch ---- */

struct mg_route_scratch *
mg_route_scratch_create(const struct mg_route_table *t)
{
	struct mg_route_scratch *s = calloc(1, sizeof(*s));

	if (s == NULL)
		goto nomem;
	s->table = t;
	s->path_hit = calloc(t->n_path_regex ? t->n_path_regex : 1,
			     sizeof(*s->path_hit));
	if (s->path_hit == NULL || rt_regex_scratch(t, &s->hs) != 0)
		goto nomem;
	return s;
nomem:
	mg_route_scratch_free(s);
	rte_errno = ENOMEM;
	return NULL;
}

void
mg_route_scratch_free(struct mg_route_scratch *s)
{
	if (s == NULL)
		return;
	if (s->hs != NULL)
		hs_free_scratch(s->hs);
	free(s->path_hit);
	free(s);
}

const uint64_t *
mg_route_scratch_counters(const struct mg_route_scratch *s)
{
	return s->counters;
}

static const char *const counter_names[] = {
#define MG_ROUTE_C_NAME_(n, d) #n,
	MG_ROUTE_COUNTERS(MG_ROUTE_C_NAME_)
#undef MG_ROUTE_C_NAME_
};

const char *
mg_route_counter_name(unsigned c)
{
	return c < MG_ROUTE_C_MAX ? counter_names[c] : "?";
}
