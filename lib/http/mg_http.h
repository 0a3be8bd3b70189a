/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_HTTP_H
#define MG_HTTP_H

/*
 * HTTP/1.1 message heads (RFC 9110/9112) and the chunked transfer coding,
 * without I/O and without copies.
 *
 * Head parsers: the caller keeps the bytes received so far in one buffer
 * and calls the parser with the whole buffer (same contents, possibly
 * longer, possibly moved) every time more arrive. Parsing resumes at the
 * start of the first incomplete line and never rescans bytes already known
 * to hold no LF, so total work is linear however the bytes are split.
 * Results are slices (offset, length) into that buffer, so they survive a
 * move of the buffer.
 *
 * Strictness follows the smuggling defences of HAProxy/Envoy: bare LF line
 * endings are REJECTED (MG_HTTP_E_BARE_LF), as are bare CR, obsolete line
 * folding, whitespace before the colon, Content-Length with
 * Transfer-Encoding, conflicting Content-Length, and any
 * Transfer-Encoding in a request that is not exactly a final "chunked"
 * (or is in an HTTP/1.0 request; an HTTP/1.0 response with one is read
 * until close, RFC 9112 6.1). Absolute-form authority and Host must match
 * byte for byte but for case ("a" and "a:80" differ); CONNECT's authority
 * is not compared with Host.
 *
 * The request-target has no fragment ('#', RFC 9112 3.2; HAProxy and Envoy
 * refuse it too) and no userinfo; authority-form is for CONNECT only. Host
 * and the target's authority are a DNS name (letters, digits, '-', '_',
 * '.'), an IPv4 address or a bracketed IPv6 address, with an optional port
 * of 1-5 digits up to 65535: no percent-encoding, no sub-delims. A Host
 * that is present must not be empty, whatever the version.
 *
 * The status in MG_HTTP_ERRORS is what a server answers the client with.
 * For an error in a RESPONSE head a proxy answers 502 instead.
 */

#include <stddef.h>
#include <stdint.h>

/* X(name, status, description) */
#define MG_HTTP_ERRORS(X)						\
	X(BAD_REQUEST_LINE, 400, "malformed request line")		\
	X(BAD_METHOD, 400, "invalid method token")			\
	X(BAD_TARGET, 400, "invalid request-target")			\
	X(FRAGMENT_IN_TARGET, 400, "fragment (#) in request-target")	\
	X(USERINFO_IN_TARGET, 400, "userinfo (user@) in request-target") \
	X(AUTHORITY_FORM_NOT_CONNECT, 400, "authority-form outside CONNECT") \
	X(BAD_VERSION, 400, "malformed HTTP version")			\
	X(VERSION_NOT_SUPPORTED, 505, "HTTP version not 1.0/1.1")	\
	X(URI_TOO_LONG, 414, "request line too long")			\
	X(HEAD_TOO_LARGE, 431, "header section too large")		\
	X(TOO_MANY_HEADERS, 431, "too many header fields")		\
	X(BARE_LF, 400, "line ends in LF without CR")			\
	X(BARE_CR, 400, "CR not followed by LF")			\
	X(OBS_FOLD, 400, "obsolete line folding")			\
	X(BAD_HEADER_NAME, 400, "invalid header field name")		\
	X(SPACE_BEFORE_COLON, 400, "whitespace before colon")		\
	X(BAD_HEADER_VALUE, 400, "invalid header field value")		\
	X(CL_AND_TE, 400, "Content-Length with Transfer-Encoding")	\
	X(BAD_CONTENT_LENGTH, 400, "malformed Content-Length")		\
	X(CONFLICTING_CONTENT_LENGTH, 400, "differing Content-Length")	\
	X(TE_NOT_CHUNKED_LAST, 400, "chunked not the final coding")	\
	X(UNKNOWN_TE, 501, "unknown transfer coding")			\
	X(TE_IN_HTTP10, 400, "Transfer-Encoding in an HTTP/1.0 request") \
	X(MISSING_HOST, 400, "HTTP/1.1 request without Host")		\
	X(DUPLICATE_HOST, 400, "more than one Host")			\
	X(EMPTY_HOST, 400, "empty Host")				\
	X(BAD_HOST, 400, "Host not a DNS name, IPv4 or [IPv6] address")	\
	X(BAD_HOST_PORT, 400, "Host port not 1-5 digits up to 65535")	\
	X(HOST_MISMATCH, 400, "absolute-form authority differs from Host") \
	X(BODY_TOO_LARGE, 413, "body larger than the limit")		\
	X(BAD_STATUS_LINE, 502, "malformed status line")		\
	X(BAD_CHUNK_SIZE, 400, "malformed chunk size")			\
	X(CHUNK_SIZE_OVERFLOW, 400, "chunk size overflows")		\
	X(BAD_CHUNK_EXT, 400, "malformed chunk extension")		\
	X(CHUNK_EXT_TOO_LONG, 400, "chunk extension too long")		\
	X(BAD_CHUNK_END, 400, "chunk data not followed by CRLF")	\
	X(TRAILER_TOO_LARGE, 431, "trailer section too large")		\
	X(BAD_TRAILER, 400, "invalid trailer field")

enum mg_http_rc {
	MG_HTTP_OK = 0,		/* head (or chunked body) complete */
	MG_HTTP_AGAIN,		/* need more bytes */
#define MG_HTTP_ENUM_(n, s, d) MG_HTTP_E_##n,
	MG_HTTP_ERRORS(MG_HTTP_ENUM_)
#undef MG_HTTP_ENUM_
	MG_HTTP_RC_MAX
};

/* "OK", "AGAIN", or the X-macro name; "?" when out of range. */
const char *mg_http_rc_name(int rc);
const char *mg_http_rc_desc(int rc);
/* HTTP status to answer with; 0 for OK/AGAIN/out of range. */
unsigned mg_http_rc_status(int rc);

enum mg_http_method {
	MG_HTTP_M_OTHER = 0,	/* a valid token we do not know */
	MG_HTTP_M_GET,
	MG_HTTP_M_HEAD,
	MG_HTTP_M_POST,
	MG_HTTP_M_PUT,
	MG_HTTP_M_DELETE,
	MG_HTTP_M_CONNECT,
	MG_HTTP_M_OPTIONS,
	MG_HTTP_M_TRACE,
	MG_HTTP_M_PATCH,
	MG_HTTP_M_MAX
};
/* Canonical name, "" for MG_HTTP_M_OTHER (use msg.method_str). */
const char *mg_http_method_name(enum mg_http_method m);

enum mg_http_target_form {
	MG_HTTP_T_ORIGIN = 0,	/* /path?query */
	MG_HTTP_T_ABSOLUTE,	/* http://authority/path */
	MG_HTTP_T_AUTHORITY,	/* host:port, CONNECT only */
	MG_HTTP_T_ASTERISK,	/* *, OPTIONS only */
};

enum mg_http_framing {
	MG_HTTP_BODY_NONE = 0,
	MG_HTTP_BODY_LENGTH,	/* content_length bytes */
	MG_HTTP_BODY_CHUNKED,
	MG_HTTP_BODY_CLOSE,	/* response read until the connection closes */
};

struct mg_http_slice {
	uint32_t off;
	uint32_t len;
};

struct mg_http_header {
	struct mg_http_slice name;
	struct mg_http_slice value;	/* OWS trimmed */
};

struct mg_http_limits {
	uint32_t max_line;	/* request/status line, without CRLF */
	uint32_t max_head;	/* header section, with the final CRLF */
	uint64_t max_body;	/* Content-Length / chunked total; 0 = none */
};

#define MG_HTTP_DEFAULT_MAX_LINE 8192
#define MG_HTTP_DEFAULT_MAX_HEAD 32768

/* Flags in mg_http_msg.flags */
#define MG_HTTP_F_KEEP_ALIVE	(1u << 0)  /* connection may be reused */
#define MG_HTTP_F_EXPECT_100	(1u << 1)  /* Expect: 100-continue */
#define MG_HTTP_F_UPGRADE	(1u << 2)  /* Upgrade header present */
#define MG_HTTP_F_CONN_CLOSE	(1u << 3)  /* Connection: close */
#define MG_HTTP_F_CONN_KEEP	(1u << 4)  /* Connection: keep-alive */
#define MG_HTTP_F_CONN_UPGRADE	(1u << 5)  /* Connection: upgrade */
#define MG_HTTP_F_HAS_CL	(1u << 6)
#define MG_HTTP_F_HAS_TE	(1u << 7)
#define MG_HTTP_F_HAS_HOST	(1u << 8)

struct mg_http_msg {
	/* set by init */
	struct mg_http_header *headers;
	uint16_t max_headers;
	uint8_t is_response;
	uint8_t req_method;		/* response: method of the request */
	struct mg_http_limits lim;

	/* resumption state */
	uint32_t pos;			/* start of the first unparsed line */
	uint32_t scan;			/* bytes after pos known to hold no LF */
	uint32_t hdr_start;		/* offset of the first header line */
	uint8_t state;
	uint8_t empty_lines;
	uint16_t rc;			/* sticky final result */

	/* results, valid once the parser returned MG_HTTP_OK */
	uint32_t head_len;		/* bytes of the head incl. final CRLF */
	uint16_t n_headers;
	uint8_t method;			/* enum mg_http_method */
	uint8_t target_form;		/* enum mg_http_target_form */
	uint8_t version;		/* 10 or 11 */
	uint8_t framing;		/* enum mg_http_framing */
	uint16_t status;		/* response */
	uint32_t flags;			/* MG_HTTP_F_* */
	uint64_t content_length;
	struct mg_http_slice method_str;
	struct mg_http_slice target;
	struct mg_http_slice host;	/* Host, or absolute-form authority */
	struct mg_http_slice reason;
};

/*
 * hdrs has room for max_headers fields (more -> MG_HTTP_E_TOO_MANY_HEADERS);
 * lim NULL or zero fields take the defaults.
 */
void mg_http_request_init(struct mg_http_msg *m, struct mg_http_header *hdrs,
			  uint16_t max_headers,
			  const struct mg_http_limits *lim);
/*
 * buf/len: all bytes received so far (len never smaller than in the
 * previous call). Returns MG_HTTP_OK with the results filled in (the body
 * or the next message starts at buf + head_len), MG_HTTP_AGAIN, or an
 * MG_HTTP_E_* error. The result is sticky: call init for the next message.
 */
int mg_http_request_parse(struct mg_http_msg *m, const char *buf, size_t len);

/*
 * req_method decides the framing of a response to HEAD and CONNECT.
 * An interim (1xx, not 101) response is returned like any other with
 * framing NONE: init again and parse the final response at buf + head_len.
 */
void mg_http_response_init(struct mg_http_msg *m, struct mg_http_header *hdrs,
			   uint16_t max_headers,
			   const struct mg_http_limits *lim,
			   enum mg_http_method req_method);
int mg_http_response_parse(struct mg_http_msg *m, const char *buf, size_t len);

/* Case-insensitive header lookup; the first match, or NULL. */
const struct mg_http_header *
mg_http_find_header(const struct mg_http_msg *m, const char *buf,
		    const char *name);

/*
 * Chunked body decoder, a byte-wise state machine: bytes can be fed in
 * any split and are not kept. Extensions are skipped (bounded); trailer
 * fields are checked like header fields and skipped (bounded).
 */
struct mg_http_chunked {
	uint8_t state;
	uint8_t ndigits;
	uint16_t rc;
	uint32_t ext_len;
	uint32_t trailer_len;
	uint32_t line_len;
	uint32_t max_ext;		/* bytes of extensions per chunk */
	uint32_t max_trailer;		/* bytes of the trailer section */
	uint64_t max_body;		/* 0 = unlimited */
	uint64_t remaining;		/* of the current chunk */
	uint64_t total;			/* data bytes so far */
};

/* Zero limits take 1024 (ext), 8192 (trailer) and unlimited (body). */
void mg_http_chunked_init(struct mg_http_chunked *c, uint32_t max_ext,
			  uint32_t max_trailer, uint64_t max_body);
/*
 * Consume bytes from buf[0..len). Stops after the first stretch of chunk
 * data (reported in *data as a slice of buf; len 0 when none), at the end
 * of the body, or at the end of buf. *consumed is the number of bytes used.
 * Returns MG_HTTP_OK when the body (with trailers) ended — bytes after
 * *consumed belong to the next message — MG_HTTP_AGAIN otherwise (call
 * again with the rest, or with more bytes), or an error, which is sticky.
 */
int mg_http_chunked_decode(struct mg_http_chunked *c, const char *buf,
			   size_t len, size_t *consumed,
			   struct mg_http_slice *data);

#endif /* MG_HTTP_H */
