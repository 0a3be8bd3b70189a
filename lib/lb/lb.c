/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <string.h>

#include <rte_errno.h>

#include "lb_internal.h"

static const struct mg_lb_ops *const lb_algorithms[] = {
	&mg_lb_maglev_ops,
	&mg_lb_ring_hash_ops,
	&mg_lb_round_robin_ops,
	&mg_lb_least_request_ops,
	&mg_lb_random_ops,
};

const struct mg_lb_ops *
mg_lb_find(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < sizeof(lb_algorithms) / sizeof(lb_algorithms[0]); i++)
		if (strcmp(lb_algorithms[i]->name, name) == 0)
			return lb_algorithms[i];
	return NULL;
}

int
lb_endpoints_check(const struct mg_lb_endpoint *eps, uint32_t n)
{
	uint32_t i;

	if (n > MG_LB_MAX_ENDPOINTS)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (eps[i].weight < 1 || eps[i].weight > MG_LB_WEIGHT_MAX)
			return -EINVAL;
	return 0;
}

struct mg_lb *
mg_lb_create(const struct mg_lb_ops *ops, const struct mg_lb_endpoint *eps,
	     uint32_t n, uint32_t table_size, int socket)
{
	if (ops == NULL || (eps == NULL && n > 0)) {
		rte_errno = EINVAL;
		return NULL;
	}
	return ops->create(eps, n, table_size, socket);
}

struct mg_lb *
mg_lb_clone(const struct mg_lb *lb)
{
	if (lb == NULL) {
		rte_errno = EINVAL;
		return NULL;
	}
	return lb->ops->clone(lb);
}

int
mg_lb_set_healthy(struct mg_lb *lb, const bool *healthy)
{
	if (lb == NULL)
		return -EINVAL;
	return lb->ops->set_healthy(lb, healthy);
}

void
mg_lb_free(struct mg_lb *lb)
{
	if (lb != NULL)
		lb->ops->free(lb);
}

uint64_t
mg_lb_hash_bytes(const void *data, size_t len)
{
	const uint8_t *p = data;
	/* the length goes in first, so zero padding of the tail is harmless */
	uint64_t h = lb_mix64(0x6d67617465776179ULL ^ len);
	uint64_t v;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&v, p, 8);
		h = lb_mix64(h ^ v) + 0x9e3779b97f4a7c15ULL;
	}
	v = 0;
	if (len > 0)
		memcpy(&v, p, len);
	return lb_mix64(h ^ v);
}
