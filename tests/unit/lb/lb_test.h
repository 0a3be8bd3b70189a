/* SPDX-License-Identifier: Apache-2.0 */
#ifndef LB_TEST_H
#define LB_TEST_H

/* Helpers shared by the tests of lib/lb. */

#include <stdint.h>
#include <string.h>

#include <rte_memory.h>

#include "mg_lb.h"

/* Low-entropy keys on purpose (like addr:port): the algorithms must mix. */
static inline void
lb_test_eps(struct mg_lb_endpoint *eps, uint32_t n, const uint32_t *weights)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		eps[i].key = ((uint64_t)(0x0a140000u + i) << 16) | 8080;
		eps[i].weight = weights != NULL ? weights[i] : 1;
	}
}

/* Request hashes: well mixed, as mg_lb_hash_bytes() gives them. */
static inline uint64_t
lb_test_hash(uint64_t i)
{
	return mg_lb_hash_bytes(&i, sizeof(i));
}

/* Every algorithm, and the table_size each is created with in tests. */
static const struct {
	const char *name;
	uint32_t table_size;
} lb_test_algos[] = {
	{ "maglev", 65537 },
	{ "ring_hash", 65536 },
	{ "round_robin", 0 },
	{ "least_request", 0 },
	{ "random", 0 },
};
#define LB_TEST_N_ALGOS (sizeof(lb_test_algos) / sizeof(lb_test_algos[0]))

static inline struct mg_lb *
lb_test_create(const char *name, const struct mg_lb_endpoint *eps, uint32_t n)
{
	size_t i;

	for (i = 0; i < LB_TEST_N_ALGOS; i++)
		if (strcmp(lb_test_algos[i].name, name) == 0)
			return mg_lb_create(mg_lb_find(name), eps, n,
					    lb_test_algos[i].table_size,
					    SOCKET_ID_ANY);
	return NULL;
}

#endif /* LB_TEST_H */
