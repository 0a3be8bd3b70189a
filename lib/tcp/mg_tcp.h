/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_TCP_H
#define MG_TCP_H

/*
 * A user-space TCP stack, one independent instance per worker lcore
 * (RFC 9293 with RFC 7323, 2018, 6675, 6298, 5681/6582, 9438, 5961, 4987).
 *
 * The stack does no I/O of its own and never blocks:
 *  - segments come in through mg_tcp_input() (already parsed by lib/net);
 *  - segments go out through the xmit callback given at creation, as
 *    mbufs holding the IP header, the TCP header and data, with headroom
 *    for the caller's L2 header;
 *  - time moves only through the now_us arguments and mg_tcp_timers()
 *    (a virtual clock in tests);
 *  - the application (the proxy above, or a built-in service) is told
 *    what happened through one event callback per connection.
 *
 * Data is carried zero-copy as mbuf chains in both directions. Receive
 * flow control is by the application: bytes it has not taken with
 * mg_tcp_recv() count against the receive buffer and close the window, so
 * a proxy that stops reading one side (because the other cannot send)
 * stops its peer instead of growing memory.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "mg_addr.h"

struct mg_pkt;
struct mg_tcp_stack;
struct mg_tcp_conn;
struct mg_tcp_listener;

/* Errors and drops of the stack: one list, one counter each. */
#define MG_TCP_ERRORS(X)						\
	X(BAD_CHECKSUM, "bad-checksum")					\
	X(BAD_OPTIONS, "bad-options")					\
	X(NO_LISTENER, "no-listener")		/* RST sent */		\
	X(NO_CONNECTION, "no-connection")	/* RST sent */		\
	X(OUT_OF_WINDOW, "out-of-window")				\
	X(PAWS_REJECTED, "paws-rejected")				\
	X(BAD_ACK, "bad-ack")						\
	X(CHALLENGE_ACK, "challenge-ack-sent")				\
	X(CHALLENGE_ACK_LIMITED, "challenge-ack-rate-limited")		\
	X(RST_IN_WINDOW_IGNORED, "rst-in-window-challenged")		\
	X(SYN_BACKLOG_FULL, "syn-backlog-full")	/* SYN dropped */	\
	X(SYNCOOKIE_SENT, "syncookie-sent")				\
	X(SYNCOOKIE_OK, "syncookie-accepted")				\
	X(SYNCOOKIE_BAD, "syncookie-rejected")				\
	X(ACCEPT_QUEUE_FULL, "accept-refused")				\
	X(CONN_LIMIT, "connection-limit")	/* RST sent */		\
	X(MEMORY_LIMIT, "memory-limit")		/* data dropped */	\
	X(RCV_QUEUE_FULL, "receive-buffer-full")			\
	X(REASS_OVERFLOW, "reassembly-overflow")			\
	X(NO_MBUF, "no-mbuf")						\
	X(XMIT_FAILED, "xmit-failed")					\
	X(RETRANSMIT_TIMEOUT, "retransmit-timeout")	/* conn dropped */ \
	X(KEEPALIVE_TIMEOUT, "keepalive-timeout")			\
	X(NO_LOCAL_PORT, "no-local-port")				\
	X(URGENT_IGNORED, "urgent-pointer-ignored")			\
	X(DATA_AFTER_CLOSE, "data-after-close")	/* RST sent */

enum mg_tcp_error {
#define X(n, s) MG_TCP_ERR_##n,
	MG_TCP_ERRORS(X)
#undef X
	MG_TCP_ERR_MAX
};
extern const char *const mg_tcp_error_names[MG_TCP_ERR_MAX];

#define MG_TCP_STATES(X)						\
	X(CLOSED, "closed") X(LISTEN, "listen") X(SYN_SENT, "syn-sent")	\
	X(SYN_RECEIVED, "syn-received") X(ESTABLISHED, "established")	\
	X(FIN_WAIT_1, "fin-wait-1") X(FIN_WAIT_2, "fin-wait-2")		\
	X(CLOSE_WAIT, "close-wait") X(CLOSING, "closing")		\
	X(LAST_ACK, "last-ack") X(TIME_WAIT, "time-wait")

enum mg_tcp_state {
#define X(n, s) MG_TCP_##n,
	MG_TCP_STATES(X)
#undef X
	MG_TCP_N_STATES
};
extern const char *const mg_tcp_state_names[MG_TCP_N_STATES];

enum mg_tcp_event {
	MG_TCP_EV_ACCEPTED,	/* passive open completed (listener's callback) */
	MG_TCP_EV_CONNECTED,	/* active open completed */
	MG_TCP_EV_READABLE,	/* data (or the peer's FIN) waits in mg_tcp_recv() */
	MG_TCP_EV_WRITABLE,	/* send space opened after mg_tcp_send() fell
				 * short or filled the buffer */
	MG_TCP_EV_PEER_CLOSED,	/* FIN received: no more data will come */
	MG_TCP_EV_RESET,	/* RST received, or the connection timed out */
	MG_TCP_EV_CLOSED,	/* gone: the last event; the handle is invalid after */
};

/*
 * Event order and the life of a handle:
 *  - ACCEPTED (listener callback; call mg_tcp_set_user() there) or
 *    CONNECTED first; then READABLE, PEER_CLOSED, WRITABLE in that order
 *    after each segment or timer; RESET then CLOSED when the connection
 *    dies (RST, retransmission or keep-alive timeout).
 *  - CLOSED is told once, when the connection is finished for the
 *    application: both directions closed (it may live on in TIME-WAIT
 *    inside the stack), reset, aborted, or closed with mg_tcp_close().
 *    Data still unread when CLOSED is told may be read inside the
 *    callbacks before it, not after. No call is needed after CLOSED.
 *  - After mg_tcp_close() only CLOSED is told. Closing with unread data,
 *    or data arriving after the close, resets the connection (RST).
 *  - mg_tcp_stack_free() tells nothing.
 */

/**
 * Called by the stack for a connection's events, from inside
 * mg_tcp_input() or mg_tcp_timers(). The callback may send, receive,
 * shut down, close or abort the connection it is given.
 */
typedef void (*mg_tcp_event_fn)(struct mg_tcp_conn *c, enum mg_tcp_event ev,
				void *user);

/* Per-connection settings, given per listener or per active open. */
struct mg_tcp_conn_params {
	uint32_t rcv_buf;		/* receive buffer, bytes (window); 0 = 256 KiB */
	uint32_t snd_buf;		/* send buffer, bytes; 0 = 256 KiB */
	uint16_t mss;			/* our MSS; 0 = from the MTU */
	bool nodelay;			/* true: Nagle off */
	bool timestamps, sack, window_scaling;
	const char *cc;			/* "newreno" or "cubic"; NULL = newreno */
	uint32_t keepalive_idle_s;	/* 0 = off */
	uint32_t keepalive_intvl_s;	/* 0 = 75 */
	uint32_t keepalive_probes;	/* 0 = 9 */
	uint32_t delack_us;		/* delayed-ACK timer (<= 500 ms); 0 = 40 ms */
	uint32_t user_timeout_ms;	/* give up retransmitting (RFC 5482); 0 = 15 min */
};

struct mg_tcp_stack_params {
	uint32_t worker_index, n_workers;	/* active-open port ownership */
	uint16_t port_min, port_max;	/* local ports for active opens; 0,0 =
					 * 32768-60999; a port is ours when
					 * port % n_workers == worker_index */
	uint32_t max_conns;		/* per stack (lcore), preallocated;
					 * TIME-WAIT included; 0 = 1024 */
	uint32_t max_memory;		/* bytes of buffered data, all conns;
					 * 0 = no limit */
	uint16_t mtu;			/* path MTU towards peers; 0 = 1500 */
	uint32_t time_wait_ms;		/* 2 MSL; 60 s by default */
	uint64_t seed;			/* ISN and cookie secrets */
	uint32_t challenge_ack_limit;	/* RFC 5961 7: per second; 0 = 1000 */
	struct rte_mempool *pool;	/* for segments the stack builds */
	/* Send one IP packet (IP header at the start of the mbuf data,
	 * checksums complete). Always takes the mbuf, sent or dropped:
	 * returns 0, or -errno after freeing it (only counted). */
	int (*xmit)(void *ctx, struct rte_mbuf *m, uint8_t family);
	void *xmit_ctx;
	int socket;
};

struct mg_tcp_listen_params {
	struct mg_ip addr;
	uint16_t port;			/* host order */
	uint32_t syn_backlog;		/* half-open connections kept; 0 = 256 */
	uint32_t syncookie_threshold;	/* cookies from this many half-open; 0 = never */
	struct mg_tcp_conn_params conn;
	mg_tcp_event_fn event;		/* gets ACCEPTED and all later events */
	void *user;			/* initial user pointer of accepted conns */
};

/** Create a stack. NULL with rte_errno (EINVAL, ENOMEM). */
struct mg_tcp_stack *mg_tcp_stack_create(const struct mg_tcp_stack_params *p);

/** Abort every connection (RST) and free the stack. No events are told. */
void mg_tcp_stack_free(struct mg_tcp_stack *s);

/** Listen on addr:port. NULL with rte_errno (EADDRINUSE, ENOMEM, EINVAL). */
struct mg_tcp_listener *mg_tcp_listen(struct mg_tcp_stack *s,
				      const struct mg_tcp_listen_params *p);

/**
 * Process one received segment addressed to this stack. The stack takes
 * the mbuf (keeps its payload or frees it). @p p is what mg_pkt_parse()
 * found; the L4 checksum is verified here.
 * @return 0, or a drop reason (already counted).
 */
int mg_tcp_input(struct mg_tcp_stack *s, struct rte_mbuf *m,
		 const struct mg_pkt *p, uint64_t now_us);

/** True when the segment belongs to this stack (a listener or a
 *  connection's 4-tuple): lets the data plane route segments. A listener
 *  address with family 0, or 0.0.0.0 / ::, matches any local address. */
bool mg_tcp_owns(const struct mg_tcp_stack *s, const struct mg_pkt *p);

/** Run due timers (retransmission, delayed ACK, persist, keep-alive,
 *  TIME-WAIT). Call every loop; cheap when nothing is due. */
void mg_tcp_timers(struct mg_tcp_stack *s, uint64_t now_us);

/**
 * Active open from @p laddr (port chosen from the stack's range, owned by
 * this worker) to raddr:rport.
 * @return the connection (CONNECTED or RESET/CLOSED follow), or NULL with
 *         rte_errno (EADDRNOTAVAIL no local port, ENOBUFS limit, ENOMEM).
 */
struct mg_tcp_conn *mg_tcp_connect(struct mg_tcp_stack *s,
				   const struct mg_ip *laddr,
				   const struct mg_ip *raddr, uint16_t rport,
				   const struct mg_tcp_conn_params *cp,
				   mg_tcp_event_fn event, void *user,
				   uint64_t now_us);

/**
 * Take up to @p max bytes of in-order received data as an mbuf chain
 * (*out, NULL when nothing is waiting); the window reopens by as much.
 * @return bytes taken; 0 with *eof true once the peer's FIN is reached.
 */
uint32_t mg_tcp_recv(struct mg_tcp_conn *c, struct rte_mbuf **out,
		     uint32_t max, bool *eof);

/** Bytes waiting in mg_tcp_recv(). */
uint32_t mg_tcp_readable(const struct mg_tcp_conn *c);

/**
 * Queue data to send. Takes the whole chain or none of it.
 * @return 0, -EAGAIN (not enough send space: wait for WRITABLE), -EPIPE
 *         (shut down or closed).
 */
int mg_tcp_send(struct mg_tcp_conn *c, struct rte_mbuf *m, uint64_t now_us);

/** Copy @p len bytes into new mbufs and queue them; returns bytes queued
 *  (short when space or mbufs ran out), or -EPIPE. */
int mg_tcp_send_copy(struct mg_tcp_conn *c, const void *data, uint32_t len,
		     uint64_t now_us);

/** Send space left (bytes). */
uint32_t mg_tcp_send_space(const struct mg_tcp_conn *c);

/** Half-close: FIN after the queued data. */
int mg_tcp_shutdown(struct mg_tcp_conn *c, uint64_t now_us);

/** Close: FIN after the queued data, no more events but CLOSED; data
 *  arriving afterwards is answered with RST (RFC 9293 3.6.1 / 1122). */
void mg_tcp_close(struct mg_tcp_conn *c, uint64_t now_us);

/** Abort: RST now, CLOSED follows. */
void mg_tcp_abort(struct mg_tcp_conn *c, uint64_t now_us);

void mg_tcp_set_user(struct mg_tcp_conn *c, mg_tcp_event_fn event, void *user);

/** The stack's current time: the now_us of the mg_tcp_input() or
 *  mg_tcp_timers() call in progress (or the last one). Lets an event
 *  callback pass a time to mg_tcp_send() and friends. */
uint64_t mg_tcp_now(const struct mg_tcp_conn *c);
enum mg_tcp_state mg_tcp_conn_state(const struct mg_tcp_conn *c);
void mg_tcp_conn_addrs(const struct mg_tcp_conn *c, struct mg_ip *laddr,
		       uint16_t *lport, struct mg_ip *raddr, uint16_t *rport);

struct mg_tcp_stats {
	uint64_t errors[MG_TCP_ERR_MAX];
	uint64_t conns_by_state[MG_TCP_N_STATES];
	uint64_t active_opens, passive_opens, segs_in, segs_out, retransmits;
	uint64_t bytes_in, bytes_out, memory;
};
void mg_tcp_stats_get(const struct mg_tcp_stack *s, struct mg_tcp_stats *st);

/** Bytes of stack memory per connection outside data buffers: the
 *  connection, its hash bucket and its share of the SACK scoreboard pool
 *  (461 bytes on x86-64; sizeof(struct mg_tcp_conn) is 416). */
size_t mg_tcp_conn_size(void);

#endif /* MG_TCP_H */
