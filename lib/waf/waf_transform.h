/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_WAF_TRANSFORM_H
#define MG_WAF_TRANSFORM_H

/*
 * SecLang transformations (the t:xxx of a rule), with the behaviour
 * libmodsecurity v3 documents and implements, on byte strings that may hold
 * NULs and any bytes. No allocation, no locale: bytes in, bytes out.
 *
 * Output size: most transformations never make a string longer. The ones
 * that can grow, and their worst case for an input of len bytes:
 *	urlEncode	3 * len		(every byte may become %XX)
 *	utf8toUnicode	4 * len		(an overlong 2-byte sequence becomes
 *					 %uXXXX and its lead byte: 7 bytes)
 *	hexEncode	2 * len
 *	base64Encode	4 * ((len + 2) / 3)
 *	length		20		(decimal digits of a size_t)
 *	sha1		20		(raw digest bytes, as ModSecurity)
 *	md5		16		(raw digest bytes)
 * mg_waf_transform_out_max() gives the bound for one id; a buffer of
 * MG_WAF_TRANSFORM_OUT_MAX(len) bytes is enough for every id.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* X(id, name as written after t:, grows) -- grows: may make a string longer */
#define MG_WAF_TRANSFORMS(X)						\
	X(NONE, "none", 0)						\
	X(BASE64_DECODE, "base64Decode", 0)				\
	X(BASE64_DECODE_EXT, "base64DecodeExt", 0)			\
	X(BASE64_ENCODE, "base64Encode", 1)				\
	X(CMD_LINE, "cmdLine", 0)					\
	X(COMPRESS_WHITESPACE, "compressWhitespace", 0)			\
	X(CSS_DECODE, "cssDecode", 0)					\
	X(ESCAPE_SEQ_DECODE, "escapeSeqDecode", 0)			\
	X(HEX_DECODE, "hexDecode", 0)					\
	X(HEX_ENCODE, "hexEncode", 1)					\
	X(HTML_ENTITY_DECODE, "htmlEntityDecode", 0)			\
	X(JS_DECODE, "jsDecode", 0)					\
	X(LENGTH, "length", 1)						\
	X(LOWERCASE, "lowercase", 0)					\
	X(MD5, "md5", 1)						\
	X(NORMALIZE_PATH, "normalizePath", 0)				\
	X(NORMALIZE_PATH_WIN, "normalizePathWin", 0)			\
	X(PARITY_EVEN_7BIT, "parityEven7bit", 0)			\
	X(PARITY_ODD_7BIT, "parityOdd7bit", 0)				\
	X(PARITY_ZERO_7BIT, "parityZero7bit", 0)			\
	X(REMOVE_COMMENTS, "removeComments", 0)				\
	X(REMOVE_COMMENTS_CHAR, "removeCommentsChar", 0)		\
	X(REMOVE_NULLS, "removeNulls", 0)				\
	X(REMOVE_WHITESPACE, "removeWhitespace", 0)			\
	X(REPLACE_COMMENTS, "replaceComments", 0)			\
	X(REPLACE_NULLS, "replaceNulls", 0)				\
	X(SHA1, "sha1", 1)						\
	X(SQL_HEX_DECODE, "sqlHexDecode", 0)				\
	X(TRIM, "trim", 0)						\
	X(TRIM_LEFT, "trimLeft", 0)					\
	X(TRIM_RIGHT, "trimRight", 0)					\
	X(UPPERCASE, "uppercase", 0)					\
	X(URL_DECODE, "urlDecode", 0)					\
	X(URL_DECODE_UNI, "urlDecodeUni", 0)				\
	X(URL_ENCODE, "urlEncode", 1)					\
	X(UTF8_TO_UNICODE, "utf8toUnicode", 1)

enum mg_waf_transform_id {
#define MG_WAF_T_ENUM_(id, name, grows) MG_WAF_T_##id,
	MG_WAF_TRANSFORMS(MG_WAF_T_ENUM_)
#undef MG_WAF_T_ENUM_
	MG_WAF_T_MAX
};

/* Enough output room for any transformation of len input bytes. */
#define MG_WAF_TRANSFORM_OUT_MAX(len) (4 * (size_t)(len) + 32)

/*
 * Id of a transformation by its SecLang name, compared without regard to
 * case ("base64decode" is base64Decode, as ModSecurity accepts it). The
 * British spellings normalisePath and normalisePathWin give the ids of
 * normalizePath and normalizePathWin. "none" gives MG_WAF_T_NONE, which
 * the rule engine handles (it clears the chain); applied, it copies.
 * Returns -1 for an unknown name or NULL.
 */
int mg_waf_transform_lookup(const char *name);

/* Canonical name of an id ("normalizePath"), "?" when out of range. */
const char *mg_waf_transform_name(int id);

/* Output room id may need for len input bytes (len for non-growing ids). */
size_t mg_waf_transform_out_max(int id, size_t len);

/*
 * True when in and out may be the same buffer for id: every id but
 * base64Encode, hexEncode, urlEncode and utf8toUnicode. Other overlaps of
 * in and out are never allowed.
 */
bool mg_waf_transform_in_place(int id);

/* Returned by mg_waf_transform_apply() when cap is too small. */
#define MG_WAF_TRANSFORM_E_CAP SIZE_MAX

/*
 * Apply transformation id to in[0..len) and write the result to out.
 * Returns the length of the result. cap must be at least
 * mg_waf_transform_out_max(id, len): with less, nothing is written and
 * MG_WAF_TRANSFORM_E_CAP is returned (never a cut result that a rule
 * could match differently). An unknown id copies, like none.
 */
size_t mg_waf_transform_apply(int id, const uint8_t *in, size_t len,
			      uint8_t *out, size_t cap);

/*
 * The %-decoder behind urlDecode, also used for request arguments and the
 * URI: %XX with two hex digits becomes a byte, anything else stays (and is
 * counted in *invalid when invalid is not NULL); '+' becomes a space when
 * plus_is_space. out may be in. Returns the decoded length (<= len).
 */
size_t mg_waf_url_decode(const uint8_t *in, size_t len, uint8_t *out,
			 bool plus_is_space, uint32_t *invalid);

/*
 * ASCII upper case to lower case, other bytes as they are, from in to out
 * (which may be in): t:lowercase, and what lib/waf folds itself (TX keys
 * setvar makes). Eight bytes at a time: a byte is upper case when its low
 * seven bits are at least 'A' and at most 'Z' and its top bit is clear.
 */
static inline void
mg_waf_lower_copy(uint8_t *out, const uint8_t *in, size_t len)
{
	const uint64_t ones = 0x0101010101010101ull;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t x, low, ge_a, gt_z;

		__builtin_memcpy(&x, in + i, 8);
		low = x & (0x7f * ones);
		ge_a = low + (0x80 - 'A') * ones;
		gt_z = low + (0x7f - 'Z') * ones;
		x |= ((ge_a & ~gt_z & ~x) & (0x80 * ones)) >> 2;
		__builtin_memcpy(out + i, &x, 8);
	}
	for (; i < len; i++)
		out[i] = in[i] >= 'A' && in[i] <= 'Z' ? in[i] + 32 : in[i];
}

#endif /* MG_WAF_TRANSFORM_H */
