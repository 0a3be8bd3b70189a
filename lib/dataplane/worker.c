/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The worker loop: poll every port's queue of this lcore, run the pipeline
 * on each burst, take packets handed over by other workers and packets the
 * main lcore wants sent, transmit, sweep expired flows, report a quiescent
 * state. No locks, no allocation, no system calls but the optional idle
 * sleep.
 */
#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "dp_internal.h"
#include "mg_clock.h"

#define MG_EXPIRE_BUDGET 64	/* flows examined per loop */

static uint16_t
poll_rings(struct mg_worker *w, uint16_t burst)
{
	struct mg_dataplane *dp = w->dp;
	struct rte_mbuf *pkts[256];
	uint16_t total = 0, n;

	for (uint32_t i = 0; i < dp->n_workers; i++) {
		if (w->handoff_in[i] == NULL)
			continue;
		n = (uint16_t)rte_ring_sc_dequeue_burst(w->handoff_in[i],
				(void **)pkts, burst, NULL);
		if (n > 0) {
			w->stats.handoff_in += n;
			mg_pipeline_input(w, pkts, n, true);
			total += n;
		}
	}
	n = (uint16_t)rte_ring_sc_dequeue_burst(w->ctl_tx, (void **)pkts,
						burst, NULL);
	for (uint16_t i = 0; i < n; i++) {
		struct mg_tx_buf *b = &w->tx[pkts[i]->port];

		if (b->n < RTE_DIM(b->pkts)) {
			b->pkts[b->n++] = pkts[i];
		} else {
			w->stats.dp_drops[MG_DP_DROP_TX_QUEUE_FULL]++;
			rte_pktmbuf_free(pkts[i]);
		}
	}
	return (uint16_t)(total + n);
}

/* The main lcore asked for new TLS contexts (a signal). */
static void
tls_reload(struct mg_worker *w)
{
	uint32_t gen = atomic_load_explicit(&w->dp->tls_reload_gen,
					    memory_order_relaxed);

	if (gen == w->tls_gen)
		return;
	w->tls_gen = gen;
	w->tls_error[0] = '\0';
	mg_proxy_tls_reload(w->proxy, w->tls_error, sizeof(w->tls_error));
	atomic_store_explicit(&w->tls_done, gen, memory_order_release);
}

int
mg_worker_main(void *arg)
{
	struct mg_worker *w = arg;
	struct mg_dataplane *dp = w->dp;
	const uint16_t burst = (uint16_t)dp->cfg->dataplane.burst;
	const uint32_t idle_us = dp->cfg->dataplane.idle_sleep_us;
	struct rte_mbuf *pkts[256];

	rte_rcu_qsbr_thread_register(dp->rcu, w->index);
	rte_rcu_qsbr_thread_online(dp->rcu, w->index);

	while (!atomic_load_explicit(&dp->workers_stop, memory_order_relaxed)) {
		uint32_t got = 0;

		w->now_us = mg_clock_now_us();
		for (uint32_t p = 0; p < dp->n_ports; p++) {
			uint16_t n = rte_eth_rx_burst(dp->ports[p].port_id,
					(uint16_t)w->index, pkts, burst);
			if (n == 0)
				continue;
			uint64_t t0 = rte_rdtsc();

			w->stats.rx_pkts[p] += n;
			for (uint16_t i = 0; i < n; i++)
				w->stats.rx_bytes[p] += pkts[i]->pkt_len;
			mg_pipeline_input(w, pkts, n, false);
			w->stats.busy_cycles += rte_rdtsc() - t0;
			w->stats.busy_pkts += n;
			got += n;
		}
		got += poll_rings(w, burst);
		if (w->tcp != NULL)
			mg_tcp_timers(w->tcp, w->now_us);
		if (w->proxy != NULL) {
			struct mg_probe_req pr[16];
			unsigned np = rte_ring_sc_dequeue_burst_elem(w->probe_req,
					pr, sizeof(pr[0]), RTE_DIM(pr), NULL);

			/* a probe that cannot start fails at its timeout */
			for (unsigned k = 0; k < np; k++)
				mg_proxy_probe(w->proxy, pr[k].cluster,
					       pr[k].endpoint, pr[k].target,
					       pr[k].probe_id, w->now_us);
			mg_proxy_timers(w->proxy, w->now_us);
			tls_reload(w);
		}
		mg_worker_tx_flush(w);
		if (w->ct != NULL)
			mg_ct_expire(w->ct, w->now_us, MG_EXPIRE_BUDGET);
		rte_rcu_qsbr_quiescent(dp->rcu, w->index);

		w->stats.polls++;
		if (got > 0)
			w->stats.busy_polls++;
		else if (idle_us > 0)
			rte_delay_us_sleep(idle_us);
	}

	/* Drain: send what is buffered, give back what impairment holds. */
	mg_worker_tx_flush(w);
	for (uint32_t p = 0; p < dp->n_ports; p++) {
		mg_impair_free(w->impair[p]);
		w->impair[p] = NULL;
	}
	rte_rcu_qsbr_thread_offline(dp->rcu, w->index);
	rte_rcu_qsbr_thread_unregister(dp->rcu, w->index);
	return 0;
}
