/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every algorithm of lib/lb driven by a program of operations read from
 * the input, with the rules of mg_lb.h checked after each pick:
 *  - nothing healthy: MG_LB_NONE; else a healthy endpoint;
 *  - some healthy endpoint neither tried nor ejected: the pick is one;
 *  - else, some healthy one not ejected: the pick is not ejected;
 *  - else, some healthy one not tried: the pick is not tried;
 *  - a clone picks like the original; outlier counts stay in bounds.
 * A broken rule traps.
 *
 * Input: byte 0 algorithm, byte 1 endpoints (1..64), then one weight
 * byte per endpoint, then operations of an opcode byte and its operands.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_memory.h>

#include "mg_cfg.h"
#include "mg_lb.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_EPS 64
#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static const char *const algos[] = {
	"maglev", "ring_hash", "round_robin", "least_request", "random"
};
static const uint32_t table_sizes[] = { 65537, 4096, 0, 0, 0 };

struct input {
	const uint8_t *p;
	size_t left;
};

static uint8_t
byte(struct input *in)
{
	if (in->left == 0)
		return 0;
	in->left--;
	return *in->p++;
}

static uint64_t
u64(struct input *in)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | byte(in);
	return v;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *args[] = { "fuzz_lb_pick", "--no-huge", "-m", "256", "--no-pci",
		"--no-shconf", "--no-telemetry", "--log-level=lib.eal:error",
		"-l", "0", NULL };

	(void)argc;
	(void)argv;
	if (rte_eal_init(10, args) < 0)
		abort();
	return 0;
}

static bool
in_list(const uint32_t *list, uint32_t n, uint32_t e)
{
	while (n-- > 0)
		if (list[n] == e)
			return true;
	return false;
}

static void
check_pick(uint32_t e, uint32_t n, const bool *healthy, const uint32_t *tried,
	   uint32_t n_tried, const struct mg_lb_mask *ej)
{
	bool any_healthy = false, any_free = false, any_unejected = false;
	bool any_untried = false;
	uint32_t i;

	for (i = 0; i < n; i++) {
		bool t = in_list(tried, n_tried, i);
		bool x = (ej->bits[i / 64] >> (i % 64)) & 1;

		if (!healthy[i])
			continue;
		any_healthy = true;
		any_free |= !t && !x;
		any_unejected |= !x;
		any_untried |= !t;
	}
	if (!any_healthy) {
		CHECK(e == MG_LB_NONE);
		return;
	}
	CHECK(e < n && healthy[e]);
	if (any_free)
		CHECK(!in_list(tried, n_tried, e) &&
		      !((ej->bits[e / 64] >> (e % 64)) & 1));
	else if (any_unejected)
		CHECK(!((ej->bits[e / 64] >> (e % 64)) & 1));
	else if (any_untried)
		CHECK(!in_list(tried, n_tried, e));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct mg_cfg_outlier ocfg = {
		.consecutive_5xx = 3, .consecutive_connect_failures = 2,
		.base_ejection_ms = 10, .max_ejection_ms = 50,
		.max_ejection_pct = 60,
	};
	struct input in = { data, size };
	struct mg_lb_endpoint eps[MAX_EPS];
	bool healthy[MAX_EPS];
	struct mg_lb *lb;
	struct mg_lb_worker *w;
	struct mg_lb_outlier *o;
	uint32_t a, n, i, ops = 0, rebuilds = 0;
	uint64_t now = 0;

	if (size < 2)
		return 0;
	a = byte(&in) % 5;
	n = byte(&in) % MAX_EPS + 1;
	for (i = 0; i < n; i++) {
		uint8_t b = byte(&in);

		eps[i].key = 0x0a000000u + i;
		/* mostly small weights: round robin's schedule stays short */
		eps[i].weight = b == 255 ? MG_LB_WEIGHT_MAX :
				b % 20 == 0 ? 100 : b % 10 + 1u;
		healthy[i] = true;
	}
	lb = mg_lb_create(mg_lb_find(algos[a]), eps, n, table_sizes[a],
			  SOCKET_ID_ANY);
	w = mg_lb_worker_create(n, 7, SOCKET_ID_ANY);
	o = mg_lb_outlier_create(&ocfg, n, SOCKET_ID_ANY);
	CHECK(lb != NULL && w != NULL && o != NULL);

	while (in.left > 0 && ops++ < 1000) {
		uint8_t op = byte(&in);
		uint32_t tried[6], n_tried, e;
		const struct mg_lb_mask *ej = mg_lb_outlier_ejected(o);
		struct mg_lb_outlier_stats st;
		uint64_t bits, h;
		struct mg_lb *c;

		/* a Maglev rebuild takes about a millisecond: a few per input */
		if ((op % 7 == 0 || op % 7 == 5) && rebuilds++ >= 4)
			continue;
		switch (op % 7) {
		case 0:		/* health change */
			bits = u64(&in);
			for (i = 0; i < n; i++)
				healthy[i] = (bits >> i) & 1;
			CHECK(mg_lb_set_healthy(lb, healthy) == 0);
			break;
		case 1:		/* an HTTP pick */
			h = u64(&in);
			n_tried = byte(&in) % 6;
			for (i = 0; i < n_tried; i++)
				tried[i] = byte(&in) % (n + 2);
			e = mg_lb_pick_request(lb, w, h, tried, n_tried, ej);
			check_pick(e, n, healthy, tried, n_tried, ej);
			break;
		case 2:		/* an attempt's outcome */
			e = byte(&in) % (n + 1);
			mg_lb_outlier_report(o, e, (enum mg_lb_outcome)(op >> 4),
					     now);
			break;
		case 3:		/* time passes */
			now += (uint64_t)byte(&in) * 1000;
			mg_lb_outlier_tick(o, now);
			break;
		case 4:		/* requests start and end */
			e = byte(&in) % (n + 1);
			if (op & 0x80)
				mg_lb_request_done(w, e);
			else
				mg_lb_request_start(w, e);
			break;
		case 5:		/* a clone picks alike */
			c = mg_lb_clone(lb);
			CHECK(c != NULL);
			for (i = 0; i < 16; i++) {
				h = u64(&in);
				CHECK(mg_lb_pick(c, h) == mg_lb_pick(lb, h));
			}
			mg_lb_free(c);
			break;
		case 6:		/* the stateless pick */
			e = mg_lb_pick(lb, u64(&in));
			CHECK(lb->n_healthy == 0 ? e == MG_LB_NONE :
			      e < n && healthy[e]);
			break;
		}
		mg_lb_outlier_stats_get(o, &st);
		CHECK(st.ejected == ej->count && st.ejected <= n);
		CHECK(st.ejected <= 1 || st.ejected * 100 <= 60 * n);
	}
	mg_lb_outlier_free(o);
	mg_lb_worker_free(w);
	mg_lb_free(lb);
	return 0;
}
