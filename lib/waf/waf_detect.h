/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_WAF_DETECT_H
#define MG_WAF_DETECT_H

/*
 * The detectors behind @detectSQLi and @detectXSS, written for meshgate in
 * the manner of libinjection (which Debian does not ship): no regular
 * expressions, a small tokenizer per language and a decision on the shape
 * of the token sequence.
 *
 * SQLi: the input is tokenized as SQL three times, as if it were injected
 * bare, after a single quote and after a double quote. Tokens fold into
 * classes (one letter each: number, string, keyword, operator, union,
 * function, comment, ...), and a fingerprint of at most 5 classes is
 * judged by a grammar of injection shapes (tautologies, stacked queries,
 * UNION SELECT, string breaks closed by a comment, ...). Plain words,
 * numbers, e-mail addresses, JSON, base64 and JWTs do not match.
 *
 * XSS: the input is read as HTML text, inside an attribute value (bare,
 * after ' and after ") and as the start of a tag. It matches on a tag whose
 * name is dangerous (script, iframe, svg, object, ...), an event-handler
 * attribute (on...=), a URL attribute whose scheme is javascript:,
 * vbscript: or data:text/html (after stripping the whitespace and control
 * bytes that browsers ignore), a style with expression( or a <!-- comment
 * trick that a browser would parse as markup.
 *
 * Both are pure functions of their input, safe on any bytes and linear in
 * the input length.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room for a fingerprint: up to 5 class letters and the terminating NUL. */
#define MG_WAF_SQLI_FP_SIZE 8

/*
 * True when s[0..len) looks like an SQL injection. fingerprint receives the
 * token-class string of the matching interpretation (NUL-terminated, for
 * logs and the rule's matched data), or "" when no match.
 */
bool mg_waf_detect_sqli(const uint8_t *s, size_t len,
			char fingerprint[MG_WAF_SQLI_FP_SIZE]);

/* True when s[0..len) looks like an HTML/JavaScript injection. */
bool mg_waf_detect_xss(const uint8_t *s, size_t len);

#endif /* MG_WAF_DETECT_H */
