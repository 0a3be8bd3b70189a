/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TX, IP, GLOBAL, SESSION, USER and RESOURCE for one request: entries in
 * insertion order (the order rules enumerate them) with a hash index.
 * Nothing outlives the request: ModSecurity's persistent collections have
 * no place in a per-lcore data path, and CRS only keeps its DoS counters
 * and IP reputation flags there. Keys are lowercase: callers fold them.
 */
#include <stdlib.h>
#include <string.h>

#include "waf_eval.h"

void *
waf_alloc(struct mg_waf_ctx *c, size_t n)
{
	void *p;

	n = (n + 7) & ~(size_t)7;
	if (n > c->arena_size - c->arena_used) {
		c->counters[MG_WAF_C_ARENA_FULL]++;
		return NULL;
	}
	p = c->arena + c->arena_used;
	c->arena_used += n;
	return p;
}

/* Not the image: what a selector cache holds is stale */
static void
store_changed(struct mg_waf_ctx *c)
{
	if (++c->store_resets == 0)
		c->store_resets = 1;	/* 0 is the image's */
	c->store_gen = c->store_resets;
}

void
waf_store_reset(struct mg_waf_ctx *c)
{
	c->n_store = 0;
	memset(c->slots, 0, sizeof(c->slots));
	store_changed(c);
}

int
waf_store_snap_take(const struct mg_waf_ctx *c, struct waf_store_snap *s)
{
	s->n_store = c->n_store;
	s->arena_used = c->arena_used;
	s->store = malloc((c->n_store + 1) * sizeof(*c->store));
	s->slots = malloc(sizeof(c->slots));
	s->arena = malloc(c->arena_used + 1);
	if (!s->store || !s->slots || !s->arena) {
		waf_store_snap_free(s);
		return -1;
	}
	memcpy(s->store, c->store, c->n_store * sizeof(*c->store));
	memcpy(s->slots, c->slots, sizeof(c->slots));
	memcpy(s->arena, c->arena, c->arena_used);
	return 0;
}

void
waf_store_snap_put(struct mg_waf_ctx *c, const struct waf_store_snap *s)
{
	memcpy(c->arena, s->arena, s->arena_used);
	c->arena_used = s->arena_used;
	memcpy(c->store, s->store, s->n_store * sizeof(*c->store));
	c->n_store = s->n_store;
	memcpy(c->slots, s->slots, sizeof(c->slots));
	store_changed(c);
}

void
waf_store_snap_free(struct waf_store_snap *s)
{
	free(s->store);
	free(s->slots);
	free(s->arena);
	s->store = NULL;
	s->slots = NULL;
	s->arena = NULL;
}

/* Entry kv of the image is about to change: remembered, to be put back */
static void
image_entry_written(struct mg_waf_ctx *c, const struct waf_kvent *kv)
{
	uint32_t i = (uint32_t)(kv - c->store);

	if (c->store_gen != 0 || i >= c->img.n_store ||
	    (c->img_dirty_bits[i / 64] >> (i % 64)) & 1)
		return;
	c->img_dirty_bits[i / 64] |= 1ull << (i % 64);
	c->img_dirty[c->n_img_dirty++] = (uint16_t)i;
}

/*
 * A request's start: the arena and TX as the image has them. After a
 * request that started so, only what it changed is put back (the image
 * is ~12 KiB of entries, index and arena for CRS; a request writes a few
 * entries); after anything else, all of it.
 */
void
waf_store_start(struct mg_waf_ctx *c)
{
	if (c->img.arena == NULL || c->engine == WE_OFF) {
		c->arena_used = 0;
		waf_store_reset(c);
		return;
	}
	if (c->store_gen != 0) {
		waf_store_snap_put(c, &c->img);
	} else {
		for (uint32_t k = 0; k < c->n_img_dirty; k++) {
			uint16_t i = c->img_dirty[k];
			const struct waf_kvent *o = &c->img.store[i];

			/* its value may have been rewritten in place */
			if (o->cap)
				memcpy(o->val, c->img.arena +
				       (o->val - c->arena), o->cap);
			c->store[i] = *o;
		}
		for (uint32_t k = 0; k < c->n_img_new_slots; k++)
			c->slots[c->img_new_slots[k]] = 0;
		c->n_store = c->img.n_store;
		c->arena_used = c->img.arena_used;
	}
	c->n_img_dirty = 0;
	c->n_img_new_slots = 0;
	memset(c->img_dirty_bits, 0, sizeof(c->img_dirty_bits));
	c->store_gen = 0;
}

static struct waf_kvent *
lookup(struct mg_waf_ctx *c, uint8_t coll, const uint8_t *key, uint32_t len,
       uint32_t h, uint32_t *slot)
{
	uint32_t s = h & (WAF_STORE_SLOTS - 1);

	for (;;) {
		uint16_t e = c->slots[s];
		struct waf_kvent *kv;

		if (e == 0) {
			*slot = s;
			return NULL;
		}
		kv = &c->store[e - 1];
		if (kv->hash == h && kv->coll == coll && kv->key_len == len &&
		    memcmp(kv->key, key, len) == 0) {
			*slot = s;
			return kv;
		}
		s = (s + 1) & (WAF_STORE_SLOTS - 1);
	}
}

struct waf_kvent *
waf_store_get_h(struct mg_waf_ctx *c, uint8_t coll, const uint8_t *key,
		uint32_t len, uint32_t hash)
{
	uint32_t slot;
	struct waf_kvent *kv = lookup(c, coll, key, len, hash, &slot);

	return kv && !kv->dead ? kv : NULL;
}

struct waf_kvent *
waf_store_get(struct mg_waf_ctx *c, uint8_t coll, const uint8_t *key,
	      uint32_t len)
{
	return waf_store_get_h(c, coll, key, len, waf_key_hash(coll, key, len));
}

int
waf_store_set(struct mg_waf_ctx *c, uint8_t coll, const uint8_t *key,
	      uint32_t klen, const uint8_t *val, uint32_t vlen)
{
	uint32_t h = waf_key_hash(coll, key, klen), slot;
	struct waf_kvent *kv = lookup(c, coll, key, klen, h, &slot);

	c->n_writes++;
	if (kv == NULL) {
		uint8_t *k;

		/* the index stays at most half full */
		if (c->n_store == WAF_STORE_MAX) {
			c->counters[MG_WAF_C_TX_FULL]++;
			return -1;
		}
		k = waf_alloc(c, klen ? klen : 1);
		if (k == NULL)
			return -1;
		memcpy(k, key, klen);
		kv = &c->store[c->n_store];
		memset(kv, 0, sizeof(*kv));
		kv->key_nl = memchr(key, '\n', klen) != NULL;
		kv->key_head = waf_key_head(key, klen);
		kv->key = k;
		kv->key_len = klen;
		kv->hash = h;
		kv->coll = coll;
		c->slots[slot] = (uint16_t)(++c->n_store);
		if (c->store_gen == 0)
			c->img_new_slots[c->n_img_new_slots++] =
				(uint16_t)slot;
	} else {
		image_entry_written(c, kv);
	}
	if (kv->dead) {
		/* a deleted entry comes back at its old place */
		kv->dead = 0;
		kv->len = 0;
	}
	if (vlen > kv->cap) {
		uint32_t cap = vlen < 24 ? 24 : vlen;
		uint8_t *v = waf_alloc(c, cap);

		if (v == NULL)
			return -1;
		kv->val = v;
		kv->cap = cap;
	}
	if (vlen)
		memmove(kv->val, val, vlen);
	kv->len = vlen;
	return 0;
}

void
waf_store_del(struct mg_waf_ctx *c, uint8_t coll, const uint8_t *key,
	      uint32_t klen)
{
	struct waf_kvent *kv = waf_store_get(c, coll, key, klen);

	c->n_writes++;
	if (kv) {
		image_entry_written(c, kv);
		kv->dead = 1;
	}
}
