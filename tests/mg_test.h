/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_TEST_H
#define MG_TEST_H

/*
 * A minimal harness for deterministic unit tests: checks that report
 * FILE:LINE and carry on, a summary line, and an EAL set up without
 * hugepages, PCI or shared config files so that tests can run side by side.
 */

#include <stdio.h>
#include <stdlib.h>

#include <rte_eal.h>
#include <rte_log.h>

static unsigned mg_test_checks, mg_test_failures;

#define MG_CHECK(cond) do {						\
	mg_test_checks++;						\
	if (!(cond)) {							\
		mg_test_failures++;					\
		fprintf(stderr, "%s:%d: check failed: %s\n",		\
			__FILE__, __LINE__, #cond);			\
	}								\
} while (0)

#define MG_CHECK_EQ(a, b) do {						\
	long long _a = (long long)(a), _b = (long long)(b);		\
	mg_test_checks++;						\
	if (_a != _b) {							\
		mg_test_failures++;					\
		fprintf(stderr, "%s:%d: check failed: %s == %s "	\
			"(%lld != %lld)\n", __FILE__, __LINE__,		\
			#a, #b, _a, _b);				\
	}								\
} while (0)

static inline int
mg_test_eal_init(const char *name)
{
	char *argv[] = { (char *)name, "--no-huge", "-m", "512", "--no-pci",
		"--no-shconf", "--no-telemetry", "--log-level=lib.eal:error",
		"-l", "0", NULL };
	int argc = (int)(sizeof(argv) / sizeof(argv[0])) - 1;

	if (rte_eal_init(argc, argv) < 0) {
		fprintf(stderr, "%s: rte_eal_init failed\n", name);
		return -1;
	}
	return 0;
}

/* Print the summary and give the exit status for main(). */
static inline int
mg_test_done(const char *name)
{
	printf("%s: %u checks, %u failed\n", name, mg_test_checks,
	       mg_test_failures);
	return mg_test_failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif /* MG_TEST_H */
