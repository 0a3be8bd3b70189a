/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_TCP_PRIVATE_H
#define MG_TCP_PRIVATE_H

/*
 * The inside of the stack: connection, listener and stack structures and
 * the calls between tcp_*.c. Private to lib/tcp.
 *
 * A connection is kept small (struct mg_tcp_conn, about 400 bytes): what
 * only loss recovery needs (the SACK scoreboard) is taken from a per-stack
 * pool while recovering; data is held as mbuf chains outside it.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include "mg_tcp.h"
#include "tcp_cc.h"
#include "tcp_options.h"
#include "tcp_sack.h"
#include "tcp_seq.h"
#include "tcp_syncookie.h"

/* Fixed protocol numbers (RFC 6298, RFC 7323, Linux-like floors). */
#define TCP_RTO_MIN_US		200000u
#define TCP_RTO_MAX_US		60000000u
#define TCP_RTO_INIT_US		1000000u
#define TCP_PERSIST_MIN_US	200000u
#define TCP_PERSIST_MAX_US	60000000u
#define TCP_DEFAULT_BUF		(256u * 1024)
#define TCP_DEFAULT_DELACK_US	40000u
#define TCP_DEFAULT_USER_TO_MS	(15u * 60 * 1000)
#define TCP_SYN_RETRIES		6	/* about 127 s with back-off */
#define TCP_PAWS_IDLE_MS	(24u * 24 * 3600 * 1000)	/* RFC 7323 5.5 */
#define TCP_MAX_WSCALE		14
#define TCP_REASS_MAX_SEGS	256	/* out-of-order segments kept */
#define TCP_COOKIE_PERIOD_US	(128ull * 1000000)	/* 2 counter periods */

/* Timer wheel: 1 ms ticks, one slot per tick for about a second. */
#define TCP_TICK_US		1000u
#define TCP_WHEEL_SLOTS		1024u

struct tcp_tnode {
	struct tcp_tnode *next, **pprev;	/* pprev NULL: not queued */
	uint64_t expiry;			/* tick */
};

/* Connection flags. */
enum {
	TF_ACTIVE	= 1u << 0,	/* we sent the first SYN */
	TF_NODELAY	= 1u << 1,
	TF_WANT_TS	= 1u << 2,	/* offered in our SYN */
	TF_WANT_SACK	= 1u << 3,
	TF_WANT_WS	= 1u << 4,
	TF_TS		= 1u << 5,	/* negotiated */
	TF_SACK		= 1u << 6,
	TF_ACK_NOW	= 1u << 7,
	TF_DELACK	= 1u << 8,	/* an ACK is owed (delayed) */
	TF_FIN_QUEUED	= 1u << 9,	/* shutdown: FIN after the queued data */
	TF_FIN_SENT	= 1u << 10,
	TF_FIN_RCVD	= 1u << 11,
	TF_APP_CLOSED	= 1u << 12,	/* mg_tcp_close(): only CLOSED is told */
	TF_RECOVERY	= 1u << 13,	/* fast recovery */
	TF_RTT_TIMING	= 1u << 14,	/* rtt_seq/rtt_start valid (no TS) */
	TF_WANT_WRITE	= 1u << 15,	/* send fell short: WRITABLE owed */
	TF_CLOSED_TOLD	= 1u << 16,
	TF_DEAD		= 1u << 17,	/* released, on the free list soon */
	TF_FIN_OOO	= 1u << 18,	/* FIN seen beyond a hole at fin_seq */
	TF_PERSIST	= 1u << 19,	/* t_rtx is the persist timer */
	TF_HASHED	= 1u << 20,
	TF_COOKIE	= 1u << 21,	/* built from a SYN cookie */
	TF_SYN_RCVD_CNT	= 1u << 24,	/* counted in listener->n_syn */
	TF_PARTIAL_ACK	= 1u << 26,	/* recovery without SACK saw one */
};

/* Pending events, told in this order after a segment or timer. */
enum {
	TE_OPEN		= 1u << 0,	/* ACCEPTED or CONNECTED */
	TE_READABLE	= 1u << 1,
	TE_PEER_CLOSED	= 1u << 2,
	TE_WRITABLE	= 1u << 3,
	TE_RESET	= 1u << 4,
	TE_CLOSED	= 1u << 5,
};

struct mg_tcp_listener;

struct mg_tcp_conn {
	struct mg_tcp_conn *hnext;		/* hash chain; free list */
	struct mg_tcp_stack *stack;
	struct tcp_tnode tnode;
	uint64_t t_rtx;				/* rtx / SYN / persist, us; 0 off */
	uint64_t t_delack;
	uint64_t t_keep;			/* keep-alive, TIME-WAIT, FIN-WAIT-2 */
	mg_tcp_event_fn event;
	void *user;
	const struct mg_tcp_cc_ops *cc;
	struct mg_tcp_scoreboard *sb;		/* only while SACK data is known */
	struct mg_tcp_listener *listener;	/* passive: until accepted */

	/* Send queue: bytes from snd_una on, as one chain of segments. */
	union {
		struct {
			struct rte_mbuf *snd_head, *snd_tail;
		};
		TAILQ_ENTRY(mg_tcp_conn) tw_link;	/* in TIME-WAIT */
	};
	struct rte_mbuf *rcv_head, *rcv_tail;	/* in-order, not yet read */
	struct rte_mbuf *reass;			/* out of order, sorted */
	uint32_t snd_queued;			/* bytes in snd_head.. */
	uint32_t rcv_queued;
	uint32_t reass_bytes;
	uint16_t reass_segs;
	uint16_t lport, rport;
	uint8_t state;
	uint8_t ev;				/* TE_* */
	struct mg_ip laddr, raddr;
	uint32_t flags;				/* TF_* */

	/* RFC 9293 3.3.1 variables. */
	uint32_t iss, irs;
	uint32_t snd_una, snd_nxt, snd_max;
	uint32_t snd_wnd, max_snd_wnd, snd_wl1, snd_wl2;
	uint32_t rcv_nxt, rcv_adv;		/* rcv_adv: right edge advertised */
	uint32_t recover;			/* end of the fast-recovery episode */
	uint32_t fin_seq;			/* TF_FIN_OOO */
	uint32_t last_ooo;			/* most recent out-of-order seq */

	/* RFC 7323 */
	uint32_t ts_recent, ts_recent_ms;	/* and when it was taken */
	uint32_t ts_offset;
	uint32_t last_ack_sent;

	/* RFC 6298 */
	uint32_t srtt_us, rttvar_us, rto_us;
	uint32_t rtt_seq;
	uint64_t rtt_start_us;
	uint64_t rtx_first_us;			/* first unanswered rtx (user timeout) */
	uint64_t last_rcv_us;			/* keep-alive idle */

	uint16_t smss;				/* peer's MSS: data + options */
	uint16_t rmss;				/* ours */
	uint8_t snd_wscale, rcv_wscale;
	uint8_t dupacks;
	uint8_t rtx_shift;			/* RTO / persist back-off */
	uint8_t ka_sent;
	uint8_t segs_unacked;			/* for the every-2nd-segment ACK */

	/* From struct mg_tcp_conn_params. */
	uint32_t rcv_buf, snd_buf;
	uint32_t delack_us;
	uint32_t user_timeout_ms;
	uint32_t ka_idle_s, ka_intvl_s;
	uint8_t ka_probes;

	struct mg_tcp_cc_state ccs;
};

struct mg_tcp_listener {
	struct mg_tcp_listener *next;
	struct mg_tcp_stack *stack;
	struct mg_ip addr;
	uint16_t port;
	uint32_t syn_backlog, syncookie_threshold;
	uint32_t n_syn;				/* half-open connections */
	uint64_t last_cookie_us;		/* 0: never sent a cookie */
	struct mg_tcp_conn_params cp;
	const struct mg_tcp_cc_ops *cc;
	mg_tcp_event_fn event;
	void *user;
};

struct tcp_wheel {
	struct tcp_tnode *slot[TCP_WHEEL_SLOTS];
	uint64_t cur;				/* next tick to run */
	uint32_t n;				/* nodes queued */
};

TAILQ_HEAD(tcp_tw_list, mg_tcp_conn);

struct mg_tcp_stack {
	struct mg_tcp_stack_params p;
	struct mg_tcp_conn **htab;
	uint32_t hmask;
	struct mg_tcp_conn *conns;		/* max_conns, allocated at create */
	struct mg_tcp_conn *free_conns;
	struct mg_tcp_conn *dead;		/* released while in a callback */
	struct mg_tcp_scoreboard *sbs;
	void **free_sbs;
	uint32_t n_free_sbs;
	uint32_t n_conns;
	uint32_t n_listeners;
	struct mg_tcp_listener *listeners;
	struct tcp_tw_list tw;			/* oldest first */
	struct tcp_wheel wheel;
	struct mg_tcp_cookie_key ckey;
	uint64_t secret[2];
	uint64_t now_us;
	uint64_t chack_sec;			/* RFC 5961 7: per-second budget */
	uint32_t chack_n;
	uint16_t port_cursor;
	uint16_t ip_id;
	int depth;				/* API calls under way */
	int seq_dynfield;			/* offset of the mbuf seq field */
	struct mg_tcp_stats st;
};

/* An out-of-order segment's place in the reassembly queue, in an mbuf
 * dynamic field (registered at stack creation). */
struct tcp_reass_field {
	struct rte_mbuf *next;
	uint32_t seq;
};

static inline struct tcp_reass_field *
tcp_mbuf_reass(const struct mg_tcp_stack *s, struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, s->seq_dynfield, struct tcp_reass_field *);
}

static inline void
tcp_count(struct mg_tcp_stack *s, enum mg_tcp_error e)
{
	s->st.errors[e]++;
}

static inline uint32_t
tcp_now_ms(uint64_t now_us)
{
	return (uint32_t)(now_us / 1000);
}

static inline uint32_t
tcp_tsval(const struct mg_tcp_conn *c, uint64_t now_us)
{
	return tcp_now_ms(now_us) + c->ts_offset;
}

/* Bytes in flight (sent, not acknowledged). */
static inline uint32_t
tcp_flight(const struct mg_tcp_conn *c)
{
	return c->snd_nxt - c->snd_una;
}

/* Payload bytes per full segment, after the options always carried. */
static inline uint32_t
tcp_eff_mss(const struct mg_tcp_conn *c)
{
	return c->smss - ((c->flags & TF_TS) ? 12 : 0);
}

/* Receive window we may offer now (before scaling and SWS rules). */
static inline uint32_t
tcp_rcv_space(const struct mg_tcp_conn *c)
{
	return c->rcv_queued >= c->rcv_buf ? 0 : c->rcv_buf - c->rcv_queued;
}

static inline bool
tcp_synchronized(uint8_t st)
{
	return st >= MG_TCP_ESTABLISHED;
}

/* tcp_stack.c */
uint32_t tcp_tuple_hash(const struct mg_tcp_stack *s, const struct mg_ip *la,
			uint16_t lp, const struct mg_ip *ra, uint16_t rp);
struct mg_tcp_conn *tcp_conn_lookup(struct mg_tcp_stack *s,
				    const struct mg_ip *la, uint16_t lp,
				    const struct mg_ip *ra, uint16_t rp);
void tcp_hash_insert(struct mg_tcp_stack *s, struct mg_tcp_conn *c);
void tcp_hash_remove(struct mg_tcp_stack *s, struct mg_tcp_conn *c);
struct mg_tcp_listener *tcp_listener_find(struct mg_tcp_stack *s,
					  const struct mg_ip *a, uint16_t port);
uint32_t tcp_new_isn(struct mg_tcp_stack *s, const struct mg_ip *la,
		     uint16_t lp, const struct mg_ip *ra, uint16_t rp,
		     uint64_t now_us);
uint32_t tcp_ts_offset(struct mg_tcp_stack *s, const struct mg_ip *la,
		       uint16_t lp, const struct mg_ip *ra, uint16_t rp);
struct mg_tcp_scoreboard *tcp_sb_get(struct mg_tcp_stack *s);
void tcp_sb_put(struct mg_tcp_stack *s, struct mg_tcp_scoreboard *sb);
void tcp_enter(struct mg_tcp_stack *s);
void tcp_leave(struct mg_tcp_stack *s);

/* tcp_conn.c */
struct mg_tcp_conn *tcp_conn_alloc(struct mg_tcp_stack *s);
void tcp_conn_setup(struct mg_tcp_conn *c, const struct mg_tcp_conn_params *cp,
		    const struct mg_tcp_cc_ops *cc);
void tcp_set_state(struct mg_tcp_conn *c, uint8_t st);
void tcp_conn_release(struct mg_tcp_conn *c);
void tcp_conn_reset(struct mg_tcp_conn *c, enum mg_tcp_error why, bool send_rst,
		    uint64_t now_us);
void tcp_conn_finish(struct mg_tcp_conn *c);
void tcp_enter_time_wait(struct mg_tcp_conn *c, uint64_t now_us);
void tcp_tell(struct mg_tcp_conn *c);
void tcp_mem_add(struct mg_tcp_stack *s, int64_t bytes);
void tcp_snd_trim(struct mg_tcp_conn *c, uint32_t n);
void tcp_rcv_append(struct mg_tcp_conn *c, struct rte_mbuf *m, uint32_t len);
void tcp_queues_free(struct mg_tcp_conn *c);
const struct mg_tcp_cc_ops *tcp_cc_for(const char *name);

/* tcp_timer.c */
void tcp_wheel_init(struct tcp_wheel *w, uint64_t now_us);
void tcp_timer_update(struct mg_tcp_conn *c);
void tcp_timer_cancel(struct mg_tcp_conn *c);
void tcp_timers_run(struct mg_tcp_stack *s, uint64_t now_us);
void tcp_arm_rtx(struct mg_tcp_conn *c, uint64_t now_us);
void tcp_arm_persist(struct mg_tcp_conn *c, uint64_t now_us);
void tcp_arm_keepalive(struct mg_tcp_conn *c, uint64_t now_us);

/* tcp_reass.c */
int tcp_reass_insert(struct mg_tcp_conn *c, struct rte_mbuf *m, uint32_t seq,
		     uint32_t len);
uint32_t tcp_reass_pull(struct mg_tcp_conn *c);
unsigned tcp_reass_sack(const struct mg_tcp_conn *c,
			struct mg_tcp_sack_block *b, unsigned max);
void tcp_reass_free(struct mg_tcp_conn *c);
struct rte_mbuf *tcp_mbuf_cut_front(struct rte_mbuf *m, uint32_t n);
void tcp_mbuf_cut_back(struct rte_mbuf *m, uint32_t n);

/* tcp_output.c */
int tcp_output(struct mg_tcp_conn *c, uint64_t now_us);
int tcp_send_ctl(struct mg_tcp_conn *c, uint32_t seq, uint8_t flags,
		 uint64_t now_us);
int tcp_send_data(struct mg_tcp_conn *c, uint32_t seq, uint32_t len,
		  uint8_t flags, uint64_t now_us);
void tcp_send_ack(struct mg_tcp_conn *c, uint64_t now_us);
void tcp_send_challenge_ack(struct mg_tcp_conn *c, uint64_t now_us);
void tcp_send_reset_for(struct mg_tcp_stack *s, const struct mg_pkt *p,
			uint32_t seq, uint32_t ack, uint32_t len, bool has_ack);
int tcp_send_cookie_synack(struct mg_tcp_stack *s, const struct mg_pkt *p,
			   uint32_t isn, uint32_t irs,
			   const struct mg_tcp_opts *o, uint16_t rwnd);
uint32_t tcp_rcv_window(struct mg_tcp_conn *c);
void tcp_rtx_timeout(struct mg_tcp_conn *c, uint64_t now_us);
void tcp_persist_timeout(struct mg_tcp_conn *c, uint64_t now_us);
void tcp_recovery_send(struct mg_tcp_conn *c, uint64_t now_us);

/* tcp_input.c */
uint8_t tcp_pick_wscale(uint32_t rcv_buf);

#endif /* MG_TCP_PRIVATE_H */
