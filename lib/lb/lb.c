/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <string.h>

#include <rte_errno.h>

#include "mg_lb.h"

static const struct mg_lb_ops *const lb_algorithms[] = {
	&mg_lb_maglev_ops,
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
