/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The replay test's oracle for Maglev: which endpoint of a cluster a new
 * flow goes to. It builds the table the way the control loop does (every
 * endpoint healthy) and hashes the client the way the pipeline does, using
 * the libraries themselves, so the expected captures follow the real
 * choice without running the appliance.
 *
 *   maglev_pick TABLE_SIZE ADDR,PORT[,WEIGHT]... -- CLIENT,PORT,PROTO...
 *
 * prints one endpoint index (0-based, in the order given) per flow.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_eal.h>
#include <rte_memory.h>

#include "mg_addr.h"
#include "mg_l4lb.h"
#include "mg_lb.h"
#include "mg_test.h"

#define MAX_EPS 256

/* "ADDR,N[,N]": the address and up to two numbers. */
static int
split(const char *arg, struct mg_ip *ip, unsigned long *a, unsigned long *b)
{
	char buf[128], *c1, *c2;

	snprintf(buf, sizeof(buf), "%s", arg);
	c1 = strchr(buf, ',');
	if (c1 == NULL)
		return -1;
	*c1++ = '\0';
	c2 = strchr(c1, ',');
	if (c2 != NULL)
		*c2++ = '\0';
	if (mg_ip_parse(buf, ip) != 0)
		return -1;
	*a = strtoul(c1, NULL, 10);
	if (c2 != NULL)
		*b = strtoul(c2, NULL, 10);
	return 0;
}

int
main(int argc, char **argv)
{
	struct mg_lb_endpoint eps[MAX_EPS];
	uint32_t n = 0, table_size;
	struct mg_lb *lb;
	int i;

	if (argc < 4) {
		fprintf(stderr, "usage: %s TABLE_SIZE ADDR,PORT[,WEIGHT]... -- "
			"CLIENT,PORT,PROTO...\n", argv[0]);
		return 2;
	}
	table_size = (uint32_t)strtoul(argv[1], NULL, 10);
	for (i = 2; i < argc && strcmp(argv[i], "--") != 0; i++) {
		struct mg_ip ip;
		unsigned long port = 0, weight = 1;

		if (n == MAX_EPS || split(argv[i], &ip, &port, &weight) != 0) {
			fprintf(stderr, "%s: bad endpoint %s\n", argv[0], argv[i]);
			return 2;
		}
		eps[n].key = mg_l4lb_endpoint_key(&ip, (uint16_t)port);
		eps[n].weight = (uint32_t)weight;
		n++;
	}
	if (mg_test_eal_init(argv[0]) < 0)
		return 1;
	lb = mg_lb_create(mg_lb_find("maglev"), eps, n, table_size, SOCKET_ID_ANY);
	if (lb == NULL) {
		fprintf(stderr, "%s: cannot build the Maglev table\n", argv[0]);
		return 1;
	}
	for (i++; i < argc; i++) {
		struct mg_ip client;
		unsigned long port = 0, proto = 0;

		if (split(argv[i], &client, &port, &proto) != 0) {
			fprintf(stderr, "%s: bad flow %s\n", argv[0], argv[i]);
			return 2;
		}
		printf("%u\n", mg_lb_pick(lb, mg_l4lb_flow_hash(&client,
			rte_cpu_to_be_16((uint16_t)port), (uint8_t)proto)));
	}
	mg_lb_free(lb);
	rte_eal_cleanup();
	return 0;
}
