/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_TLS_H
#define MG_TLS_H

/*
 * TLS 1.2/1.3 as a byte-level engine: no sockets, no clock of its own.
 * Ciphertext received from the peer goes in, plaintext comes out;
 * plaintext to send goes in, ciphertext to transmit comes out. OpenSSL 3
 * runs the handshakes through an in-memory BIO over the connection's own
 * buffers. Once keys are agreed on an AES-128-GCM or AES-256-GCM suite, the
 * records are sealed and opened here with Intel IPsec-MB (or with OpenSSL's
 * EVP AEAD, or left to OpenSSL's record layer altogether, by
 * mg_tls_record_path); alerts, KeyUpdate and post-handshake messages still
 * go through OpenSSL, re-sealed at the sequence numbers it expects, so that
 * its state stays exact.
 *
 * Everything is per worker lcore and lock-free: an mg_tls_lcore holds the
 * lcore's OpenSSL library context (algorithms fetched once per lcore: the
 * method store of OpenSSL 3.0 takes locks on every look-up otherwise), its
 * IPsec-MB manager and its scratch buffers. Server and client contexts are
 * created per lcore from the same plain params; session tickets are
 * stateless and their keys come from a file, so a session made on one lcore
 * (or appliance) resumes on any other.
 *
 * Contexts are reference counted by their connections: freeing a context
 * (on a reload) leaves its connections working until they are freed.
 *
 * Errors: functions returning a pointer return NULL with rte_errno set
 * (and a message in err when given); others return 0 or -errno. Every
 * failure of a connection is counted by reason in its context's stats.
 *
 * On lib/tcp, a worker does, per connection:
 *   READABLE  m = up to mg_tls_conn_input_space() bytes of mg_tcp_recv();
 *             mg_tls_conn_input_mbuf(t, m, 0); then the plaintext with
 *             mg_tls_conn_peek()/mg_tls_conn_consume() (or _read());
 *   to send   mg_tls_conn_write() (it takes what the output has room for);
 *   after any of these (and after _shutdown()/_key_update()), send the
 *             output: mg_tls_conn_output_peek(), mg_tcp_send_copy(),
 *             mg_tls_conn_output_consume() of what TCP took;
 *   timers    mg_tls_conn_check_deadline() until the handshake is done;
 *   FAILED    send the output (an alert) and close.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rte_mbuf;
struct mg_tls_lcore;
struct mg_tls_server;
struct mg_tls_client;
struct mg_tls_conn;

/* Failures of connections: one list, one counter each. X(name, string) */
#define MG_TLS_ERRORS(X)						\
	X(UNKNOWN_SNI, "unknown-sni")		/* no cert, no default */ \
	X(NO_SNI, "no-sni")			/* no SNI and no default */ \
	X(NO_SHARED_CIPHER, "no-shared-cipher")				\
	X(UNSUPPORTED_VERSION, "unsupported-version")			\
	X(NO_APPLICATION_PROTOCOL, "no-application-protocol") /* ALPN */ \
	X(BAD_RECORD, "bad-record")		/* malformed record */	\
	X(RECORD_OVERFLOW, "record-overflow")	/* > 2^14 plaintext */	\
	X(BAD_RECORD_MAC, "bad-record-mac")	/* tag check failed */	\
	X(UNEXPECTED_MESSAGE, "unexpected-message")			\
	X(ALERT_RECEIVED, "alert-received")	/* fatal alert */	\
	X(HANDSHAKE_TIMEOUT, "handshake-timeout")			\
	X(HANDSHAKE_FAILED, "handshake-failed")	/* other protocol error */ \
	X(PEER_CERT_MISSING, "peer-cert-missing")			\
	X(CERT_UNTRUSTED, "cert-untrusted")	/* no path to a trusted CA */ \
	X(CERT_EXPIRED, "cert-expired")		/* or not yet valid */	\
	X(CERT_REVOKED, "cert-revoked")					\
	X(CERT_VERIFY_FAILED, "cert-verify-failed") /* other reasons */	\
	X(SAN_MISMATCH, "san-mismatch")		/* client: wrong peer */ \
	X(RENEGOTIATION_REFUSED, "renegotiation-refused") /* not fatal */ \
	X(NO_MEMORY, "no-memory")					\
	X(INTERNAL, "internal-error")

enum mg_tls_error {
	MG_TLS_OK = 0,
#define X(n, s) MG_TLS_ERR_##n,
	MG_TLS_ERRORS(X)
#undef X
	MG_TLS_ERR_MAX
};
/* "ok", or the string of the X-macro list; "?" when out of range. */
const char *mg_tls_error_name(enum mg_tls_error e);

/* Who seals and opens records once the handshake is done. */
enum mg_tls_record_path {
	MG_TLS_RECORD_IPSEC_MB = 0,	/* AES-GCM on IPsec-MB (default) */
	MG_TLS_RECORD_OPENSSL,		/* OpenSSL's record layer throughout */
	MG_TLS_RECORD_EVP,		/* this record layer, OpenSSL EVP AEAD */
};
/* Other suites (ChaCha20-Poly1305, CBC) always stay on OpenSSL. */

struct mg_tls_stats {
	uint64_t errors[MG_TLS_ERR_MAX];
	uint64_t handshakes;		/* completed */
	uint64_t resumed;		/* of which resumed */
	uint64_t offloaded;		/* switched to this record layer */
	uint64_t offload_failed;	/* keys not found: stayed on OpenSSL */
	uint64_t sni_default;		/* unknown or no SNI: default cert */
	uint64_t peer_certs;		/* verified peer certificates */
	uint64_t key_updates_in, key_updates_out;	/* TLS 1.3 */
	uint64_t alerts_sent;
	uint64_t records_in, records_out;	/* this record layer only */
	uint64_t bytes_in, bytes_out;		/* plaintext, all paths */
};

/* ---- per-lcore state ---------------------------------------------- */

struct mg_tls_lcore_params {
	/* true: use OpenSSL's default library context, shared by every
	 * thread (the configuration to compare against; lock contention in
	 * algorithm look-ups). false: a library context of this lcore. */
	bool shared_libctx;
	uint32_t conn_cache;	/* freed connections kept for reuse; 0 = 64 */
};

/**
 * Create the TLS state of one lcore (thread): library context,
 * algorithms fetched once, IPsec-MB manager for the best architecture of
 * the CPU. Use it, and everything made from it, on that thread only.
 * @return NULL with rte_errno (ENOMEM, ENOTSUP: no AES-NI for IPsec-MB).
 */
struct mg_tls_lcore *mg_tls_lcore_create(const struct mg_tls_lcore_params *p,
					 char *err, size_t errlen);
/** Free it; every context and connection made from it must be gone. */
void mg_tls_lcore_free(struct mg_tls_lcore *lc);
/** "avx512", "avx2", "avx" or "sse": the IPsec-MB code in use. */
const char *mg_tls_lcore_imb_arch(const struct mg_tls_lcore *lc);

/* ---- session tickets ----------------------------------------------- */

#define MG_TLS_TICKET_KEYS_MAX 4
struct mg_tls_ticket_key {
	uint8_t name[16];
	uint8_t hmac[32];	/* HMAC-SHA256 */
	uint8_t aes[32];	/* AES-256-CBC */
};
struct mg_tls_ticket_keys {
	unsigned n;		/* k[0] encrypts; all decrypt */
	struct mg_tls_ticket_key k[MG_TLS_TICKET_KEYS_MAX];
};

/**
 * Read a ticket key file: one key per line, base64 of 80 bytes (name,
 * HMAC key, AES key, as nginx's 80-byte keys); '#' lines and blank lines
 * are ignored; the first key encrypts new tickets, all of them decrypt.
 * Rotation on a schedule: write the new key first, keep the previous ones
 * after it for a ticket lifetime, and hand the result to every context
 * with mg_tls_server_set_ticket_keys().
 * @return 0, -ENOENT, -EINVAL (err says which line), -E2BIG (> 4 keys).
 */
int mg_tls_ticket_keys_read(const char *path, struct mg_tls_ticket_keys *k,
			    char *err, size_t errlen);

/* ---- server contexts (one per listener per lcore) ------------------ */

enum mg_tls_client_auth {
	MG_TLS_CLIENT_AUTH_NONE = 0,
	MG_TLS_CLIENT_AUTH_OPTIONAL,	/* a certificate sent must verify */
	MG_TLS_CLIENT_AUTH_REQUIRED,
};

struct mg_tls_cert_params {
	const char *cert_file;	/* PEM: the certificate, then its chain */
	const char *key_file;	/* PEM private key */
	const char *ocsp_file;	/* DER OCSP response to staple, or NULL */
};

#define MG_TLS_MAX_CERTS 16
#define MG_TLS_MAX_NAMES 64
#define MG_TLS_DEPTH_DIRECT (-1)  /* verify_depth: no intermediate CA */

struct mg_tls_server_params {
	const char *name;	/* listener name: the session id context;
				 * contexts that share tickets share it */
	/*
	 * Certificates, selected by SNI against their DNS SANs (the CN when
	 * there is none): exact names first, then "*.example.com" matching
	 * one label. An ECDSA and an RSA certificate for the same names are
	 * both offered to OpenSSL, which picks by the client's signature
	 * algorithms and suites.
	 */
	const struct mg_tls_cert_params *certs;
	unsigned n_certs;
	int default_cert;	/* certs[] index (with its names' other key
				 * types) for unknown or no SNI; -1 = fail */
	uint16_t min_version;	/* TLS1_2_VERSION (0x0303, default) */
	uint16_t max_version;	/* TLS1_3_VERSION (0x0304, default) */
	const char *ciphers;	/* TLS 1.2 list; NULL = ECDHE with AES-GCM
				 * or ChaCha20-Poly1305 */
	const char *ciphersuites;	/* TLS 1.3; NULL = all three */
	const char *groups;	/* NULL = "X25519:P-256:P-384" */
	const char *sigalgs;	/* NULL = OpenSSL's */
	const char *alpn;	/* "http/1.1" or a comma list; NULL = no ALPN.
				 * "h2" is refused (no HTTP/2 yet). A client
				 * offering none of them gets a fatal alert. */
	enum mg_tls_client_auth client_auth;
	const char *client_ca_file;	/* required unless auth is NONE */
	const char *crl_file;	/* PEM CRLs of the issuers of leaves; NULL */
	int verify_depth;	/* intermediates allowed; 0 = 4 */
	const char *ticket_key_file;	/* NULL: no tickets, no resumption */
	uint32_t ticket_lifetime_s;	/* 0 = 7200 */
	uint8_t tls13_tickets;	/* tickets per TLS 1.3 handshake; 0 = 1 */
	uint32_t handshake_timeout_ms;	/* deadline of new connections;
					 * 0 = 10000 */
	enum mg_tls_record_path record_path;
	uint32_t record_size;	/* plaintext per record sent; 0 = 16384 */
	uint32_t plain_buf;	/* received plaintext buffered; 0 = 32 KiB */
	uint32_t cipher_buf;	/* ciphertext to send buffered; 0 = 32 KiB */
	/* a connection takes 22.6 KiB + plain_buf + cipher_buf (88 KiB by
	 * default), plus OpenSSL's SSL */
};

/**
 * Build a server context on lc from p (files are read now).
 * @return NULL with rte_errno EINVAL (err: what is wrong, with the file),
 *         ENOMEM.
 */
struct mg_tls_server *mg_tls_server_create(struct mg_tls_lcore *lc,
					   const struct mg_tls_server_params *p,
					   char *err, size_t errlen);
/** Release the context; its connections keep it until they are freed. */
void mg_tls_server_free(struct mg_tls_server *s);
/** Replace the ticket keys (rotation). 0 or -EINVAL (no key). */
int mg_tls_server_set_ticket_keys(struct mg_tls_server *s,
				  const struct mg_tls_ticket_keys *k);
void mg_tls_server_stats(const struct mg_tls_server *s,
			 struct mg_tls_stats *st);

/* ---- client contexts (re-encryption to the mesh) ------------------- */

struct mg_tls_client_params {
	const char *cert_file;	/* our certificate (+chain), or NULL */
	const char *key_file;
	const char *ca_file;	/* required: the peer is always verified */
	const char *crl_file;
	int verify_depth;	/* as for servers */
	const char *sni;	/* default SNI (not sent for an IP address) */
	/*
	 * Default expected identity of the peer, checked during the
	 * handshake (a mismatch fails it: san-mismatch): a URI SAN when it
	 * has a scheme ("spiffe://mesh.local/ns/lab/sa/api"), an IP SAN
	 * for an address, else a DNS SAN (wildcards in the certificate
	 * honoured). NULL = any certificate the CA vouches for.
	 */
	const char *expected_san;
	uint16_t min_version, max_version;
	const char *ciphers, *ciphersuites, *groups, *sigalgs, *alpn;
	unsigned session_slots;	/* sessions kept for reuse; 0 = none */
	uint32_t handshake_timeout_ms;
	enum mg_tls_record_path record_path;
	uint32_t record_size, plain_buf, cipher_buf;
};

struct mg_tls_client *mg_tls_client_create(struct mg_tls_lcore *lc,
					   const struct mg_tls_client_params *p,
					   char *err, size_t errlen);
void mg_tls_client_free(struct mg_tls_client *c);
void mg_tls_client_stats(const struct mg_tls_client *c,
			 struct mg_tls_stats *st);

/* ---- connections --------------------------------------------------- */

/** A server connection; its deadline is now_us + handshake timeout.
 *  NULL with rte_errno ENOMEM. */
struct mg_tls_conn *mg_tls_conn_accept(struct mg_tls_server *s,
				       uint64_t now_us);

struct mg_tls_connect_params {
	const char *sni;		/* NULL = the context's */
	const char *expected_san;	/* NULL = the context's */
	int session_slot;		/* reuse and keep sessions in this
					 * slot (< session_slots); -1 = no */
};
/** A client connection: the ClientHello is in its output at once. */
struct mg_tls_conn *mg_tls_conn_connect(struct mg_tls_client *cl,
					const struct mg_tls_connect_params *p,
					uint64_t now_us);
/** Free the connection (no close_notify: see mg_tls_conn_shutdown()). */
void mg_tls_conn_free(struct mg_tls_conn *c);

enum mg_tls_conn_state {
	MG_TLS_HANDSHAKE = 0,
	MG_TLS_ESTABLISHED,
	MG_TLS_PEER_CLOSED,	/* close_notify received: no more data */
	MG_TLS_FAILED,		/* see mg_tls_conn_error(); send the output
				 * (an alert), then close */
};
enum mg_tls_conn_state mg_tls_conn_state(const struct mg_tls_conn *c);
enum mg_tls_error mg_tls_conn_error(const struct mg_tls_conn *c);
/** OpenSSL's or the verifier's words for the failure, "" when none. */
const char *mg_tls_conn_error_detail(const struct mg_tls_conn *c);

/**
 * Give ciphertext received from the peer. Takes what it can: handshake
 * messages go to OpenSSL, records are opened into the plaintext buffer.
 * @return bytes taken (fewer than len when the plaintext or output buffer
 *         is full: read or send, then give the rest again), or -EPROTO
 *         when the connection failed now or before (the output may hold
 *         an alert to send).
 */
int mg_tls_conn_input(struct mg_tls_conn *c, const void *data, uint32_t len);
/** The same over an mbuf chain from byte @p off. */
int mg_tls_conn_input_mbuf(struct mg_tls_conn *c, const struct rte_mbuf *m,
			   uint32_t off);
/** Bytes mg_tls_conn_input() is sure to take now (a bound for
 *  mg_tcp_recv()). */
uint32_t mg_tls_conn_input_space(const struct mg_tls_conn *c);

/** Plaintext received and not yet read. */
uint32_t mg_tls_conn_readable(const struct mg_tls_conn *c);
/** Copy out up to len bytes of plaintext; returns the count. */
uint32_t mg_tls_conn_read(struct mg_tls_conn *c, void *buf, uint32_t len);
/** The first contiguous run of plaintext (*len 0: none) ... */
const uint8_t *mg_tls_conn_peek(const struct mg_tls_conn *c, uint32_t *len);
/** ... and drop n bytes of it (n <= *len). */
void mg_tls_conn_consume(struct mg_tls_conn *c, uint32_t n);

/**
 * Seal plaintext into records (the ciphertext goes to the output).
 * @return bytes taken (0 before the handshake completes or when the
 *         output is full), -EPIPE after a failure or shutdown.
 */
int mg_tls_conn_write(struct mg_tls_conn *c, const void *data, uint32_t len);
/** Plaintext bytes mg_tls_conn_write() would take now (about). */
uint32_t mg_tls_conn_write_space(const struct mg_tls_conn *c);

/** Ciphertext waiting to be sent. */
uint32_t mg_tls_conn_pending(const struct mg_tls_conn *c);
/** Copy out up to len bytes of ciphertext to send; returns the count. */
uint32_t mg_tls_conn_output(struct mg_tls_conn *c, void *buf, uint32_t len);
const uint8_t *mg_tls_conn_output_peek(const struct mg_tls_conn *c,
				       uint32_t *len);
void mg_tls_conn_output_consume(struct mg_tls_conn *c, uint32_t n);

/** Queue close_notify; later writes fail with -EPIPE. 0 or -EPIPE. */
int mg_tls_conn_shutdown(struct mg_tls_conn *c);
/** TLS 1.3 KeyUpdate of our sending keys (and the peer's when asked).
 *  0, -EAGAIN (handshake not done), -ENOTSUP (TLS 1.2), -EPIPE. */
int mg_tls_conn_key_update(struct mg_tls_conn *c, bool request_peer);

/*
 * Handshake deadline: the caller owns time. The deadline is set at
 * creation and cleared (0) when the handshake completes; a timer wheel
 * can be keyed on mg_tls_conn_deadline().
 */
uint64_t mg_tls_conn_deadline(const struct mg_tls_conn *c);
void mg_tls_conn_set_deadline(struct mg_tls_conn *c, uint64_t deadline_us);
/** -ETIMEDOUT (counted as handshake-timeout, the connection fails) when
 *  the handshake is not done by now_us; else 0. */
int mg_tls_conn_check_deadline(struct mg_tls_conn *c, uint64_t now_us);

void mg_tls_conn_set_user(struct mg_tls_conn *c, void *user);
void *mg_tls_conn_get_user(const struct mg_tls_conn *c);

/* Session facts, valid once established (NULL/0/false before). */
const char *mg_tls_conn_sni(const struct mg_tls_conn *c);	/* server */
/* The protocol ALPN chose (not NUL-terminated), NULL with *len 0: none. */
const char *mg_tls_conn_alpn(const struct mg_tls_conn *c, uint32_t *len);
const char *mg_tls_conn_version(const struct mg_tls_conn *c); /* "TLSv1.3" */
const char *mg_tls_conn_cipher(const struct mg_tls_conn *c);	/* IANA */
bool mg_tls_conn_resumed(const struct mg_tls_conn *c);
/** The path records take now: IPSEC_MB/EVP once offloaded, else OPENSSL. */
enum mg_tls_record_path mg_tls_conn_record_path(const struct mg_tls_conn *c);

/* ---- the peer's certificate ---------------------------------------- */

enum mg_tls_san_type { MG_TLS_SAN_DNS, MG_TLS_SAN_URI, MG_TLS_SAN_IP };

/** True when the peer sent a certificate and it verified. */
bool mg_tls_conn_peer_verified(const struct mg_tls_conn *c);
/** SHA-256 of the peer certificate (DER). 0 or -ENOENT. */
int mg_tls_conn_peer_fingerprint(const struct mg_tls_conn *c,
				 uint8_t sha256[32]);
/** Subject in RFC 2253 form. Length written, -ENOENT, -ENOSPC. */
int mg_tls_conn_peer_subject(const struct mg_tls_conn *c, char *buf,
			     size_t size);
/** The idx-th SAN of a type (IP as text). Length, -ENOENT, -ENOSPC. */
int mg_tls_conn_peer_san(const struct mg_tls_conn *c, enum mg_tls_san_type t,
			 unsigned idx, char *buf, size_t size);
/**
 * The peer certificate as the value of Envoy's x-forwarded-client-cert:
 * Hash=<hex sha256>;Subject="<RFC 2253>";URI=<uri>;DNS=<dns>... (one
 * key=value per SAN, values quoted when they hold , ; = or ").
 * @return length written (NUL-terminated), -ENOENT (no verified peer
 *         certificate), -ENOSPC.
 */
int mg_tls_conn_xfcc(const struct mg_tls_conn *c, char *buf, size_t size);

#endif /* MG_TLS_H */
