/* SPDX-License-Identifier: Apache-2.0 */
/* What a chosen route does: its action, rewrites and header changes. */
#include <errno.h>
#include <string.h>

#include "route_internal.h"

const char *
mg_route_name(const struct mg_route *r)
{
	return r->name;
}

uint32_t
mg_route_index(const struct mg_route *r)
{
	return r->index;
}

enum mg_route_action
mg_route_action(const struct mg_route *r)
{
	return (enum mg_route_action)r->action;
}

uint32_t
mg_route_cluster(const struct mg_route *r, uint32_t rnd)
{
	uint32_t x;

	if (r->n_splits == 0)
		return r->cluster;
	/* rnd scaled to [0, total): no division, no modulo bias */
	x = (uint32_t)(((uint64_t)rnd * r->split_upto[r->n_splits - 1]) >> 32);
	for (uint32_t i = 0; i < r->n_splits - 1; i++)
		if (x < r->split_upto[i])
			return r->split_cluster[i];
	return r->split_cluster[r->n_splits - 1];
}

const struct mg_route_direct *
mg_route_direct(const struct mg_route *r)
{
	return r->action == MG_ROUTE_DIRECT ? &r->direct : NULL;
}

uint16_t
mg_route_redirect_status(const struct mg_route *r)
{
	return r->redirect_status;
}

int
mg_route_redirect_location(const struct mg_route *r,
			   const struct mg_route_vars *v, char *buf, size_t cap)
{
	if (r->location == NULL)
		return -ENOENT;
	return mg_route_template_expand(r->location, v, buf, cap);
}

static int
put(char *buf, size_t cap, size_t *n, const char *p, size_t len)
{
	if (len > cap - *n)
		return -ENOSPC;
	if (len > 0)
		memcpy(buf + *n, p, len);
	*n += len;
	return 0;
}

int
mg_route_rewrite_path(const struct mg_route *r, struct mg_route_slice path,
		      struct mg_route_slice query, char *buf, size_t cap)
{
	struct mg_route_slice rw = r->path_rewrite, rest = { NULL, 0 };
	size_t n = 0;

	if (r->prefix_rewrite.len > 0) {
		if (path.len < r->path.len ||
		    memcmp(path.ptr, r->path.ptr, r->path.len) != 0)
			return -EINVAL;
		rw = r->prefix_rewrite;
		rest = (struct mg_route_slice){ path.ptr + r->path.len,
						path.len - r->path.len };
		/* "/api" -> "/" makes "/api/x" "/x", not "//x" */
		if (rw.ptr[rw.len - 1] == '/' && rest.len > 0 &&
		    rest.ptr[0] == '/') {
			rest.ptr++;
			rest.len--;
		}
	} else if (rw.len == 0) {
		return 0;
	}
	if (cap > INT32_MAX)
		cap = INT32_MAX;
	if (put(buf, cap, &n, rw.ptr, rw.len) != 0 ||
	    put(buf, cap, &n, rest.ptr, rest.len) != 0 ||
	    (query.len > 0 && (put(buf, cap, &n, "?", 1) != 0 ||
			       put(buf, cap, &n, query.ptr, query.len) != 0)))
		return -ENOSPC;
	return (int)n;
}

struct mg_route_slice
mg_route_host_rewrite(const struct mg_route *r)
{
	return r->host_rewrite;
}

uint64_t
mg_route_max_body_size(const struct mg_route *r)
{
	return r->max_body_size;
}

uint32_t
mg_route_timeout_ms(const struct mg_route *r)
{
	return r->timeout_ms;
}

const struct mg_route_header_ops *
mg_route_header_ops(const struct mg_route *r, enum mg_route_side side)
{
	return &r->ops[side == MG_ROUTE_RESPONSE];
}
