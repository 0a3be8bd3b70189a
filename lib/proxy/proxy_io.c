/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bytes in and out of one side of a proxied exchange: a lib/tcp connection,
 * plain or with a lib/tls connection on top. Plain connections move mbuf
 * chains without a copy; TLS ones feed received ciphertext to the engine,
 * hand out plaintext in new mbufs, and push the engine's output to TCP as
 * far as TCP has room (the rest waits in the engine, whose full buffer is
 * the back-pressure on writers; TCP's WRITABLE resumes the flush).
 */
#include <errno.h>
#include <string.h>

#include <rte_mbuf.h>

#include "mg_tls.h"
#include "proxy_internal.h"

/*
 * The engine may take fewer plaintext bytes than mg_tls_conn_write_space()
 * promised (it seals whole records where there is real room). What it did
 * not take waits as an mbuf chain in the TLS connection's user pointer and
 * goes first when room opens; the side counts as having no send space
 * meanwhile, so it never grows past one send.
 */
static struct rte_mbuf *
pending_of(const struct mg_tls_conn *t)
{
	return mg_tls_conn_get_user(t);
}

/* Give the engine as much of the pending chain as it takes. */
static void
pending_drain(struct mg_tls_conn *t)
{
	struct rte_mbuf *m = pending_of(t);

	while (m != NULL) {
		int n = mg_tls_conn_write(t, rte_pktmbuf_mtod(m, const void *),
					  m->data_len);

		if (n <= 0)
			break;
		if ((uint16_t)n < m->data_len) {
			/* the head segment keeps its unsent tail */
			m->data_off = (uint16_t)(m->data_off + n);
			m->data_len = (uint16_t)(m->data_len - n);
			m->pkt_len -= (uint32_t)n;
			break;
		}
		/* the head segment is done: the next one heads the chain */
		struct rte_mbuf *next = m->next;

		if (next != NULL) {
			next->pkt_len = m->pkt_len - m->data_len;
			next->nb_segs = (uint16_t)(m->nb_segs - 1);
		}
		m->next = NULL;
		m->nb_segs = 1;
		rte_pktmbuf_free_seg(m);
		m = next;
	}
	mg_tls_conn_set_user(t, m);
}

/* Move what the engine has to send into TCP, and the pending plaintext
 * into the engine as room opens. */
void
px_tls_flush(struct mg_proxy *px, struct mg_tcp_conn *c, struct mg_tls_conn *t)
{
	for (int round = 0; round < 64; round++) {
		uint32_t len, room = mg_tcp_send_space(c);
		const uint8_t *p = mg_tls_conn_output_peek(t, &len);
		int n = 0;

		if (p != NULL && len > 0 && room > 0) {
			if (len > room)
				len = room;
			n = mg_tcp_send_copy(c, p, len, px->now_us);
			if (n > 0)
				mg_tls_conn_output_consume(t, (uint32_t)n);
		}
		if (pending_of(t) != NULL) {
			uint32_t before = mg_tls_conn_pending(t);

			pending_drain(t);
			if (mg_tls_conn_pending(t) != before)
				continue;	/* new records to push */
		}
		if (n <= 0)
			return;
	}
}

void
px_tls_release(struct mg_tls_conn *t)
{
	rte_pktmbuf_free(pending_of(t));
	mg_tls_conn_set_user(t, NULL);
	mg_tls_conn_free(t);
}

/* Give the engine the ciphertext TCP holds, as far as it takes it. */
static void
tls_ingest(struct mg_proxy *px, struct mg_tcp_conn *c, struct mg_tls_conn *t,
	   bool *eof)
{
	for (;;) {
		uint32_t room = mg_tls_conn_input_space(t), n;
		struct rte_mbuf *m = NULL;

		if (room == 0)
			break;
		n = mg_tcp_recv(c, &m, room, eof);
		if (n == 0)
			break;
		/* the engine copies; a bad record is its failed state */
		mg_tls_conn_input_mbuf(t, m, 0);
		rte_pktmbuf_free(m);
	}
	px_tls_flush(px, c, t);	/* handshake messages, alerts */
}

int
px_tls_progress(struct mg_proxy *px, struct mg_tcp_conn *c,
		struct mg_tls_conn *t)
{
	bool eof = false;

	tls_ingest(px, c, t, &eof);
	switch (mg_tls_conn_state(t)) {
	case MG_TLS_FAILED:
		return -1;
	case MG_TLS_HANDSHAKE:
		return eof ? -1 : 0;
	default:
		return 1;
	}
}

uint32_t
px_recv(struct mg_proxy *px, struct mg_tcp_conn *c, struct mg_tls_conn *t,
	struct rte_mbuf **out, uint32_t max, bool *eof)
{
	struct rte_mbuf *head = NULL, *tail = NULL;
	uint32_t total = 0;
	bool tcp_eof = false;

	*out = NULL;
	if (t == NULL)
		return mg_tcp_recv(c, out, max, eof);
	tls_ingest(px, c, t, &tcp_eof);
	while (total < max && mg_tls_conn_readable(t) > 0) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(px->p.pool);
		uint32_t room, n;

		if (m == NULL)
			break;		/* later, when mbufs are back */
		room = rte_pktmbuf_tailroom(m);
		if (room > max - total)
			room = max - total;
		n = mg_tls_conn_read(t, rte_pktmbuf_mtod(m, void *), room);
		if (n == 0) {
			rte_pktmbuf_free(m);
			break;
		}
		m->data_len = (uint16_t)n;
		m->pkt_len = n;
		if (head == NULL) {
			head = tail = m;
		} else {
			tail->next = m;
			tail = m;
			head->nb_segs++;
			head->pkt_len += n;
		}
		total += n;
	}
	*out = head;
	/* the end of the stream: TCP's FIN (or close_notify) with nothing
	 * left to read */
	if (total == 0 && mg_tls_conn_readable(t) == 0 &&
	    (tcp_eof || mg_tls_conn_state(t) == MG_TLS_PEER_CLOSED ||
	     mg_tls_conn_state(t) == MG_TLS_FAILED))
		*eof = true;
	return total;
}

uint32_t
px_readable(struct mg_tcp_conn *c, struct mg_tls_conn *t)
{
	return t == NULL ? mg_tcp_readable(c) : mg_tls_conn_readable(t);
}

uint32_t
px_send_space(struct mg_tcp_conn *c, struct mg_tls_conn *t)
{
	if (t == NULL)
		return mg_tcp_send_space(c);
	return pending_of(t) != NULL ? 0 : mg_tls_conn_write_space(t);
}

int
px_send_copy(struct mg_proxy *px, struct mg_tcp_conn *c,
	     struct mg_tls_conn *t, const void *p, uint32_t len)
{
	int n;

	if (t == NULL)
		return mg_tcp_send_copy(c, p, len, px->now_us);
	if (pending_of(t) != NULL)
		return 0;	/* in order: the pending bytes go first */
	n = mg_tls_conn_write(t, p, len);
	px_tls_flush(px, c, t);
	return n;
}

int
px_send(struct mg_proxy *px, struct mg_tcp_conn *c, struct mg_tls_conn *t,
	struct rte_mbuf *m)
{
	if (t == NULL)
		return mg_tcp_send(c, m, px->now_us);
	if (mg_tls_conn_state(t) == MG_TLS_FAILED)
		return -EPIPE;
	if (pending_of(t) != NULL)
		rte_pktmbuf_chain(pending_of(t), m);	/* callers check space */
	else
		mg_tls_conn_set_user(t, m);
	pending_drain(t);
	px_tls_flush(px, c, t);
	return 0;
}

void
px_shutdown(struct mg_proxy *px, struct mg_tcp_conn *c, struct mg_tls_conn *t)
{
	if (t != NULL) {
		mg_tls_conn_shutdown(t);	/* close_notify */
		px_tls_flush(px, c, t);
	}
	mg_tcp_shutdown(c, px->now_us);
}
