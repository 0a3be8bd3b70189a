/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_WAF_REQDATA_H
#define MG_WAF_REQDATA_H

/*
 * The request as SecLang rules see it: the variables and collections
 * libmodsecurity v3 fills from a request head and body, with the same
 * names, the same decoding and the same error flags.
 *
 * Use: mg_waf_request_init() on a caller-owned arena, mg_waf_request_head()
 * with the raw request line and header fields (phase 1 data), then
 * optionally mg_waf_request_set_processor() (ctl:requestBodyProcessor) and
 * mg_waf_request_body() with the body (phase 2 data). Everything lives in
 * the arena: the request structure, the item arrays and decoded copies.
 * Values that need no decoding point into the head and body buffers, which
 * must therefore stay in place while the request is used. No other memory
 * is allocated.
 *
 * Arena size: every argument, cookie, header or part costs a 32-byte item
 * plus its decoded copies, and JSON names repeat their parents' paths.
 * MG_WAF_REQ_ARENA_SIZE(head_len, body_len) is enough for realistic traffic
 * (measured: a 4 KiB form 7.9 KiB, a 64 KiB JSON array of objects 375 KiB,
 * a 60 KiB upload 4 KiB); bodies made to be expensive ("&&&&...") need up
 * to 32 bytes per byte. When the arena runs out, the request keeps what it
 * had, MG_WAF_REQ_E_ARENA_FULL is set and REQBODY_ERROR is 1 (which the
 * recommended rule 200002 answers with 400): never a crash, never a
 * silent loss.
 *
 * Malformed input never fails a call: bad %-escapes set URLENCODED_ERROR,
 * broken JSON, XML or multipart bodies set REQBODY_ERROR (with
 * REQBODY_ERROR_MSG) and the MULTIPART_* flags that CRS and
 * modsecurity.conf-recommended test, exactly where ModSecurity sets them.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A byte string; p is NULL only when len is 0. */
struct mg_waf_str {
	const uint8_t *p;
	uint32_t len;
};

struct mg_waf_kv {
	struct mg_waf_str name;
	struct mg_waf_str value;
};

/*
 * Single-valued variables: X(id, SecLang name). Numbers and flags are
 * decimal strings ("0"/"1" for flags; ARGS_COMBINED_SIZE as "%f", as v3
 * keeps it in a double), as ModSecurity stores them. An empty string is a
 * variable v3 has not set, with one exception: XML_TEXT, what XML:/\*
 * yields (the text content of the root element), has p != NULL whenever
 * the document has a root element, even when its text is empty.
 */
#define MG_WAF_REQ_VARS(X)						\
	X(REQUEST_LINE, "REQUEST_LINE")					\
	X(REQUEST_METHOD, "REQUEST_METHOD")				\
	X(REQUEST_URI, "REQUEST_URI")					\
	X(REQUEST_URI_RAW, "REQUEST_URI_RAW")				\
	X(REQUEST_FILENAME, "REQUEST_FILENAME")				\
	X(REQUEST_BASENAME, "REQUEST_BASENAME")				\
	X(REQUEST_PROTOCOL, "REQUEST_PROTOCOL")				\
	X(AUTH_TYPE, "AUTH_TYPE")					\
	X(QUERY_STRING, "QUERY_STRING")					\
	X(REQUEST_BODY, "REQUEST_BODY")					\
	X(REQUEST_BODY_LENGTH, "REQUEST_BODY_LENGTH")			\
	X(REQBODY_PROCESSOR, "REQBODY_PROCESSOR")			\
	X(REQBODY_ERROR, "REQBODY_ERROR")				\
	X(REQBODY_ERROR_MSG, "REQBODY_ERROR_MSG")			\
	X(REQBODY_PROCESSOR_ERROR, "REQBODY_PROCESSOR_ERROR")		\
	X(REQBODY_PROCESSOR_ERROR_MSG, "REQBODY_PROCESSOR_ERROR_MSG")	\
	X(INBOUND_DATA_ERROR, "INBOUND_DATA_ERROR")			\
	X(URLENCODED_ERROR, "URLENCODED_ERROR")				\
	X(ARGS_COMBINED_SIZE, "ARGS_COMBINED_SIZE")			\
	X(FILES_COMBINED_SIZE, "FILES_COMBINED_SIZE")			\
	X(FULL_REQUEST_LENGTH, "FULL_REQUEST_LENGTH")			\
	X(MULTIPART_FILENAME, "MULTIPART_FILENAME")			\
	X(MULTIPART_NAME, "MULTIPART_NAME")				\
	X(MULTIPART_BOUNDARY_QUOTED, "MULTIPART_BOUNDARY_QUOTED")	\
	X(MULTIPART_BOUNDARY_WHITESPACE, "MULTIPART_BOUNDARY_WHITESPACE") \
	X(MULTIPART_DATA_AFTER, "MULTIPART_DATA_AFTER")			\
	X(MULTIPART_DATA_BEFORE, "MULTIPART_DATA_BEFORE")		\
	X(MULTIPART_FILE_LIMIT_EXCEEDED, "MULTIPART_FILE_LIMIT_EXCEEDED") \
	X(MULTIPART_HEADER_FOLDING, "MULTIPART_HEADER_FOLDING")		\
	X(MULTIPART_INVALID_HEADER_FOLDING, "MULTIPART_INVALID_HEADER_FOLDING") \
	X(MULTIPART_INVALID_PART, "MULTIPART_INVALID_PART")		\
	X(MULTIPART_INVALID_QUOTING, "MULTIPART_INVALID_QUOTING")	\
	X(MULTIPART_LF_LINE, "MULTIPART_LF_LINE")			\
	X(MULTIPART_CRLF_LF_LINES, "MULTIPART_CRLF_LF_LINES")		\
	X(MULTIPART_MISSING_SEMICOLON, "MULTIPART_MISSING_SEMICOLON")	\
	X(MULTIPART_STRICT_ERROR, "MULTIPART_STRICT_ERROR")		\
	X(MULTIPART_UNMATCHED_BOUNDARY, "MULTIPART_UNMATCHED_BOUNDARY")	\
	X(XML_TEXT, "XML:/*")

enum mg_waf_req_var {
#define MG_WAF_V_ENUM_(id, name) MG_WAF_V_##id,
	MG_WAF_REQ_VARS(MG_WAF_V_ENUM_)
#undef MG_WAF_V_ENUM_
	MG_WAF_V_MAX
};

/*
 * Collections: X(id, SecLang name, names). For a *_NAMES collection
 * (names = 1) the items are those of the collection it names and the value
 * a rule inspects is item.name (the item's value is still there).
 *   ARGS			ARGS_GET items first, then ARGS_POST
 *   REQUEST_HEADERS		in the order received, names as sent
 *   REQUEST_COOKIES		Cookie header(s) split as v3 does
 *   FILES			name: form field, value: file name
 *   FILES_SIZES		name: form field, value: size in decimal
 *   MULTIPART_PART_HEADERS	name: form field, value: "Header: value"
 *   XML_ATTRS			what XML://@\* yields: name and value of every
 *				attribute (XML processor only)
 */
#define MG_WAF_REQ_COLLS(X)						\
	X(ARGS, "ARGS", 0)						\
	X(ARGS_NAMES, "ARGS_NAMES", 1)					\
	X(ARGS_GET, "ARGS_GET", 0)					\
	X(ARGS_GET_NAMES, "ARGS_GET_NAMES", 1)				\
	X(ARGS_POST, "ARGS_POST", 0)					\
	X(ARGS_POST_NAMES, "ARGS_POST_NAMES", 1)			\
	X(REQUEST_HEADERS, "REQUEST_HEADERS", 0)			\
	X(REQUEST_HEADERS_NAMES, "REQUEST_HEADERS_NAMES", 1)		\
	X(REQUEST_COOKIES, "REQUEST_COOKIES", 0)			\
	X(REQUEST_COOKIES_NAMES, "REQUEST_COOKIES_NAMES", 1)		\
	X(FILES, "FILES", 0)						\
	X(FILES_NAMES, "FILES_NAMES", 1)				\
	X(FILES_SIZES, "FILES_SIZES", 0)				\
	X(MULTIPART_PART_HEADERS, "MULTIPART_PART_HEADERS", 0)		\
	X(XML_ATTRS, "XML://@*", 0)

/* (The count is not MG_WAF_C_MAX: mg_waf.h's counters use that name.) */
enum mg_waf_req_coll {
#define MG_WAF_C_ENUM_(id, name, names) MG_WAF_C_##id,
	MG_WAF_REQ_COLLS(MG_WAF_C_ENUM_)
#undef MG_WAF_C_ENUM_
	MG_WAF_C_COLL_MAX
};

/* Body processors, as REQBODY_PROCESSOR names them ("" for NONE). */
enum mg_waf_body_processor {
	MG_WAF_BP_NONE = 0,
	MG_WAF_BP_URLENCODED,
	MG_WAF_BP_MULTIPART,
	MG_WAF_BP_JSON,
	MG_WAF_BP_XML,
	MG_WAF_BP_MAX
};

/*
 * What went wrong with a request, X(id, description): a bit each in
 * mg_waf_request_errors(), for counters and logs. The SecLang view of the
 * same facts is in the variables above.
 */
#define MG_WAF_REQ_ERRORS(X)						\
	X(BAD_REQUEST_LINE, "request line without method, URI or protocol") \
	X(BAD_HEADER, "header line without a colon")			\
	X(BAD_URL_ENCODING, "invalid %-escape in an urlencoded string")	\
	X(BODY_OVER_LIMIT, "body longer than the body limit (cut)")	\
	X(TOO_MANY_ARGS, "more arguments than the arguments limit")	\
	X(ARENA_FULL, "request arena exhausted")			\
	X(JSON_SYNTAX, "malformed JSON body")				\
	X(JSON_DEPTH, "JSON nesting deeper than the limit")		\
	X(XML_SYNTAX, "malformed XML body")				\
	X(MULTIPART_NO_BOUNDARY, "multipart without a usable boundary")	\
	X(MULTIPART_SYNTAX, "malformed multipart body")

enum mg_waf_req_error {
#define MG_WAF_RE_ENUM_(id, desc) MG_WAF_REQ_E_##id,
	MG_WAF_REQ_ERRORS(MG_WAF_RE_ENUM_)
#undef MG_WAF_RE_ENUM_
	MG_WAF_REQ_E_MAX
};

struct mg_waf_req_conf {
	/* SecRequestBodyLimit: bytes beyond it are not processed and
	 * INBOUND_DATA_ERROR is set (ProcessPartial). 0: no limit. */
	uint32_t body_limit;
	/* SecRequestBodyNoFilesLimit: an urlencoded, JSON or XML body (or
	 * the non-file parts of a multipart one) longer than this is not
	 * processed and sets REQBODY_ERROR and INBOUND_DATA_ERROR. 0: none. */
	uint32_t body_no_files_limit;
	/* SecArgumentsLimit: arguments beyond it are dropped (a JSON body
	 * then stops with REQBODY_ERROR, as in v3). 0: no limit. */
	uint32_t args_limit;
	/* SecRequestBodyJsonDepthLimit; 0: 10000 as v3's default. */
	uint32_t json_depth_limit;
	/* Pick JSON for a Content-Type starting with application/json and
	 * XML for one starting with text/xml, application/xml or
	 * application/soap+xml, as rules 200000/200001 of
	 * modsecurity.conf-recommended do; otherwise only URLENCODED and
	 * MULTIPART are chosen from Content-Type, like v3 alone. */
	bool content_type_json_xml;
};

/* The request lives in the arena given to init. */
struct mg_waf_request;

/* Arena bytes enough for a head and body of these sizes (not JSON). */
#define MG_WAF_REQ_ARENA_SIZE(head_len, body_len)			\
	(16384 + 8 * ((size_t)(head_len) + (size_t)(body_len)))

/*
 * Set up an empty request in arena[0..size) (aligned to 8 bytes or not).
 * conf NULL takes defaults (no limits). Returns the request, or NULL when
 * size cannot hold even the request structure.
 */
struct mg_waf_request *mg_waf_request_init(void *arena, size_t size,
					   const struct mg_waf_req_conf *conf);

/*
 * Read the request line and header fields from head[0..len) (CRLF or LF
 * line ends; the empty line is optional). Fills the REQUEST_* variables,
 * QUERY_STRING, ARGS_GET, headers, cookies, and chooses the body processor
 * from Content-Type. Returns 0, or -EINVAL when called twice. A malformed
 * head sets MG_WAF_REQ_E_BAD_* and is read as far as it makes sense.
 */
int mg_waf_request_head(struct mg_waf_request *r, const uint8_t *head,
			size_t len);

/* ctl:requestBodyProcessor=...; takes effect in mg_waf_request_body(). */
void mg_waf_request_set_processor(struct mg_waf_request *r,
				  enum mg_waf_body_processor bp);
enum mg_waf_body_processor
mg_waf_request_processor(const struct mg_waf_request *r);

/*
 * Process the whole body[0..len) with the chosen processor: REQUEST_BODY,
 * ARGS_POST, FILES, ... Call it for every request, with len 0 when there
 * is no body: it also sets the phase-2 flags (REQBODY_ERROR, ...).
 * Returns 0, or -EINVAL when called before mg_waf_request_head() or twice.
 */
int mg_waf_request_body(struct mg_waf_request *r, const uint8_t *body,
			size_t len);

/* A single-valued variable; empty for an id out of range. */
struct mg_waf_str mg_waf_request_var(const struct mg_waf_request *r,
				     enum mg_waf_req_var v);

/*
 * The items of a collection (*items NULL when there are none); returns
 * their number. For a *_NAMES collection inspect items[i].name.
 */
uint32_t mg_waf_request_coll(const struct mg_waf_request *r,
			     enum mg_waf_req_coll c,
			     const struct mg_waf_kv **items);

/* Bit (1u << MG_WAF_REQ_E_x) for every error seen. */
uint32_t mg_waf_request_errors(const struct mg_waf_request *r);

/* Arena bytes in use, for sizing. */
size_t mg_waf_request_arena_used(const struct mg_waf_request *r);

/* Names of ids, "?" when out of range; lookups return -1 when unknown
 * (exact SecLang spelling, case-insensitive). */
const char *mg_waf_req_var_name(int v);
int mg_waf_req_var_lookup(const char *name);
const char *mg_waf_req_coll_name(int c);
int mg_waf_req_coll_lookup(const char *name);
bool mg_waf_req_coll_is_names(int c);
const char *mg_waf_req_error_desc(int e);
const char *mg_waf_body_processor_name(int bp);

#endif /* MG_WAF_REQDATA_H */
