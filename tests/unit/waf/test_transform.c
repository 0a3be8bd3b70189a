/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Transformations against libmodsecurity 3.0.9's behaviour: the expected
 * outputs below are what Debian's libmodsecurity3 returns for the same
 * input (checked byte for byte), quirks included; the few rows marked
 * ">= 3.0.10" follow the later v3 fix of a 3.0.9 bug instead. Then the
 * contract of the API: lookup, output bounds, in-place use.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mg_test.h"
#include "waf_transform.h"

struct vector {
	int id;
	const char *in, *out;
	size_t in_len, out_len;
};

#define V(id, in, out) \
	{ MG_WAF_T_##id, in, out, sizeof(in) - 1, sizeof(out) - 1 }

static const struct vector vectors[] = {
	V(LOWERCASE, "HeLLo WoRLD 123 \xc3\x89\xff", "hello world 123 \xc3\x89\xff"),
	V(UPPERCASE, "hello \xc3\xa9 xyz!", "HELLO \xc3\xa9 XYZ!"),
	V(URL_DECODE, "a%20b+c%2", "a b c%2"),
	V(URL_DECODE, "%41%4a%zz%", "AJ%zz%"),
	V(URL_DECODE, "%u0041%00x", "%u0041\x00x"),
	V(URL_DECODE, "100%", "100%"),
	V(URL_DECODE, "%%41", "%A"),
	V(URL_DECODE_UNI, "%u0041%u00e9+%41", "A\xe9 A"),
	V(URL_DECODE_UNI, "%uff10%uFF41%uff5f", "0a_"),
	V(URL_DECODE_UNI, "%u12", "%u12"),
	V(URL_DECODE_UNI, "%uzzzz%41", "%uzzzzA"),
	V(URL_DECODE_UNI, "%U0042", "B"),
	/* runs of eight bytes and more before an escape (copied a word at
	 * a time), the escape at each place of the second word */
	V(URL_DECODE, "abcdefgh%41bcdefg+", "abcdefghAbcdefg "),
	V(URL_DECODE, "abcdefghabcdefg%41", "abcdefghabcdefgA"),
	V(URL_DECODE, "\xa5\xab$*,defghab+defgh", "\xa5\xab$*,defghab defgh"),
	V(URL_DECODE_UNI, "0123456789abcd+%u0041xyz", "0123456789abcd Axyz"),
	V(URL_ENCODE, "a b*c/d=\xc3\xa9~", "a+b*c%2fd%3d%c3%a9%7e"),
	V(HTML_ENTITY_DECODE, "&lt;script&gt;&quot;&amp;&nbsp;", "<script>\"&\xa0"),
	V(HTML_ENTITY_DECODE, "&#65;&#x42;&#X43&#68x", "ABCDx"),
	V(HTML_ENTITY_DECODE, "&#;&#x;&foo;&", "&#;&#x;&foo;&"),
	V(HTML_ENTITY_DECODE, "&#1234567890123456789012;&#x10FFFF;", "\xff\xff"),
	V(HTML_ENTITY_DECODE, "&LT;&QuOt", "<\""),
	V(JS_DECODE, "\\x41\\u0042\\uFF41\\101\\7\\477", "ABaA\x07'7"),
	V(JS_DECODE, "\\a\\b\\f\\n\\r\\t\\v\\\"\\q\\", "\x07\x08\x0c\n\r\t\x0b\"q\\"),
	V(JS_DECODE, "\\u004\\x4", "u004x4"),
	V(CSS_DECODE, "\\41\\42 c\\000043\\ff41\\0000ff41", "ABcCa\xff" "41"),
	V(CSS_DECODE, "\\\nx\\g\\", "xg"),
	V(CSS_DECODE, "a\\1 \\12\\123456", "a\x01\x12V"),
	V(UTF8_TO_UNICODE, "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "A%u00e9%u20ac%u1f600"),
	V(UTF8_TO_UNICODE, "\xc1\x81\xe0\x80\x80\xed\xa0\x80", "%u0041\xc1%u0000\xe0%ud800\xed"),
	V(UTF8_TO_UNICODE, "\xc3(\xff\x80x\x00y", "(\xff\x80xy"),
	V(UTF8_TO_UNICODE, "\xf5\x80\x80\x80\xf8", "\xf5%u140000\xf8"),
	V(REMOVE_NULLS, "a\x00" "b\x00\x00" "c", "abc"),
	V(REPLACE_NULLS, "a\x00" "b\x00", "a b "),
	V(REMOVE_WHITESPACE, " a \t b\r\n c\x0b\x0c\xc2\xa0" "d", "abcd"),
	V(COMPRESS_WHITESPACE, "a  \t\n b\x0b\x0c" "c  ", "a b c "),
	V(TRIM, " \t x y \n", "x y"),
	V(TRIM_LEFT, " \t x y \n", "x y \n"),
	V(TRIM_RIGHT, " \t x y \n", " \t x y"),
	V(REPLACE_COMMENTS, "a/* x */b/*c*/d/* open", "a b d "),
	V(REPLACE_COMMENTS, "/**/", " "),
	V(REMOVE_COMMENTS, "a/* x */b<!-- y -->c-- rest", "abc"),
	V(REMOVE_COMMENTS, "x#y", "x"),
	V(REMOVE_COMMENTS, "a/*b*/", "a\x00"),
	V(REMOVE_COMMENTS, "/*a*//*b*/c", "/*b*/c"),
	V(REMOVE_COMMENTS, "a<!--b", "a "),
	V(REMOVE_COMMENTS_CHAR, "a/*b*/c<!--d-->e--f#g", "abcdefg"),
	V(REMOVE_COMMENTS_CHAR, "-/*-", "--"),
	V(NORMALIZE_PATH, "/a/b/../c/./d//e/", "/a/c/d/e/"),
	V(NORMALIZE_PATH, "a/../../b", "../b"),
	V(NORMALIZE_PATH, "./x/./y", "x/y"),
	V(NORMALIZE_PATH, "/../x", "/x"),
	V(NORMALIZE_PATH, "/a/b/..", "/a"),
	V(NORMALIZE_PATH, "x/y/", "x/y/"),
	V(NORMALIZE_PATH, "..", ".."),
	V(NORMALIZE_PATH, "/.", ""),
	/* runs without a slash are copied at once, up to the byte before
	 * the next slash and the value's last byte */
	V(NORMALIZE_PATH, "json.orders.array_0.name", "json.orders.array_0.name"),
	V(NORMALIZE_PATH, "abc/def/../g.h", "abc/g.h"),
	V(NORMALIZE_PATH, "name..", ""),
	V(NORMALIZE_PATH, "x./y.", "x./y."),
	V(NORMALIZE_PATH, "C:\\tmp\\a.b\\..\\c.d", "C:\\tmp\\a.b\\..\\c.d"),
	V(NORMALIZE_PATH_WIN, "C:\\tmp\\a.b\\..\\c.d", "C:/tmp/c.d"),
	V(NORMALIZE_PATH_WIN, "C:\\a\\..\\b\\.\\c", "C:/b/c"),
	V(NORMALIZE_PATH_WIN, "\\\\server\\\\share\\x\\", "/server/share/x/"),
	V(NORMALIZE_PATH_WIN, "a\\\\\\b", "a\\b"),
	V(CMD_LINE, "C^MD.EXE /C \"dir\" , x;y", "cmd.exe/c dir x y"),
	V(CMD_LINE, "ls  -la ( x )", "ls -la( x )"),
	V(CMD_LINE, "wh'o'am\\i", "whoami"),
	V(BASE64_DECODE, "SGVsbG8gV29ybGQ=", "Hello World"),
	V(BASE64_DECODE, "SGVsbG8", "Hel"),
	V(BASE64_DECODE, "SGV sbG8=", ""),
	V(BASE64_DECODE, "SGVs\r\nbG8=", "Hello"),
	V(BASE64_DECODE, "SGVs!bG8=", ""),
	V(BASE64_DECODE, "QQ==QQ==", ""),
	V(BASE64_DECODE, "", ""),
	V(BASE64_DECODE_EXT, "SGVs.bG8*", "Hello"),
	V(BASE64_DECODE_EXT, "SGVsbG8", "Hello"),
	V(BASE64_DECODE_EXT, "Q=", ""),
	V(BASE64_DECODE_EXT, "QUJD9", ""),
	V(BASE64_ENCODE, "Hello", "SGVsbG8="),
	V(BASE64_ENCODE, "Hi", "SGk="),
	V(BASE64_ENCODE, "H", "SA=="),
	V(BASE64_ENCODE, "\x00\xff", "AP8="),
	V(HEX_DECODE, "414243", "ABC"),
	V(HEX_DECODE, "41424", "AB"),
	V(HEX_DECODE, "4g4G", "PP"),
	V(HEX_ENCODE, "AB\x00\xff", "414200ff"),
	V(LENGTH, "", "0"),
	V(LENGTH, "hello\x00", "6"),
	V(MD5, "", "\xd4\x1d\x8c\xd9\x8f\x00\xb2\x04\xe9\x80\t\x98\xec\xf8" "B~"),
	V(MD5, "hello", "]A@*\xbcK*v\xb9q\x9d\x91\x10\x17\xc5\x92"),
	V(SHA1, "", "\xda" "9\xa3\xee^kK\r2U\xbf\xef\x95`\x18\x90\xaf\xd8\x07\t"),
	V(SHA1, "hello", "\xaa\xf4\xc6\x1d\xdc\xc5\xe8\xa2\xda\xbe\xde\x0f;H,\xd9\xae\xa9" "CM"),
	V(ESCAPE_SEQ_DECODE, "\\x41\\101\\n\\t\\?\\q\\xZZ\\", "AA\n\t?qxZZ\\"),
	V(ESCAPE_SEQ_DECODE, "\\0\\777", "\x00\xff"),
	V(PARITY_EVEN_7BIT, "ABC\x80\xff", "AB\xc3\x80\x7f"),
	V(PARITY_ODD_7BIT, "ABC\x80\xff", "\xc1\xc2" "C\x00\xff"),
	V(PARITY_ZERO_7BIT, "\xc1\xff\x7f", "A\x7f\x7f"),
	V(SQL_HEX_DECODE, "0x414243", "ABC"),	/* v3 >= 3.0.10 */
	V(SQL_HEX_DECODE, "x 0x41 0x4 0xZZ 0x4142z", "x A 0x4 0xZZ ABz"),	/* v3 >= 3.0.10 */
	V(SQL_HEX_DECODE, "0x4100ff", "A\x00\xff"),	/* v3 >= 3.0.10 */
	V(CSS_DECODE, "a\\0b\\0", "a\x0b\x00"),	/* v3 >= 3.0.10 */
	V(NONE, "a\x00b", "a\x00b"),
};

static void
test_vectors(void)
{
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct vector *v = &vectors[i];
		uint8_t out[512];
		size_t n;

		n = mg_waf_transform_apply(v->id, (const uint8_t *)v->in,
					   v->in_len, out, sizeof(out));
		if (n != v->out_len || memcmp(out, v->out, n) != 0)
			fprintf(stderr, "vector %zu (%s) differs\n", i,
				mg_waf_transform_name(v->id));
		MG_CHECK(n == v->out_len && memcmp(out, v->out, n) == 0);
	}
}

static void
test_lookup(void)
{
	for (int id = 0; id < MG_WAF_T_MAX; id++)
		MG_CHECK_EQ(mg_waf_transform_lookup(mg_waf_transform_name(id)),
			    id);
	MG_CHECK_EQ(mg_waf_transform_lookup("base64decode"),
		    MG_WAF_T_BASE64_DECODE);
	MG_CHECK_EQ(mg_waf_transform_lookup("URLDECODEUNI"),
		    MG_WAF_T_URL_DECODE_UNI);
	MG_CHECK_EQ(mg_waf_transform_lookup("normalisePath"),
		    MG_WAF_T_NORMALIZE_PATH);
	MG_CHECK_EQ(mg_waf_transform_lookup("normalisepathwin"),
		    MG_WAF_T_NORMALIZE_PATH_WIN);
	MG_CHECK_EQ(mg_waf_transform_lookup("none"), MG_WAF_T_NONE);
	MG_CHECK_EQ(mg_waf_transform_lookup("urlDecod"), -1);
	MG_CHECK_EQ(mg_waf_transform_lookup(""), -1);
	MG_CHECK_EQ(mg_waf_transform_lookup(NULL), -1);
	MG_CHECK(strcmp(mg_waf_transform_name(-1), "?") == 0);
	MG_CHECK(strcmp(mg_waf_transform_name(MG_WAF_T_MAX), "?") == 0);
	MG_CHECK(strcmp(mg_waf_transform_name(MG_WAF_T_UTF8_TO_UNICODE),
			"utf8toUnicode") == 0);
}

/* A buffer one byte short is refused and left alone. */
static void
test_capacity(void)
{
	static const uint8_t in[] = "\xc1\x81\xc1\x81 ab";
	uint8_t out[64];

	for (int id = 0; id < MG_WAF_T_MAX; id++) {
		size_t need = mg_waf_transform_out_max(id, sizeof(in) - 1);

		MG_CHECK(need <= MG_WAF_TRANSFORM_OUT_MAX(sizeof(in) - 1));
		if (need == 0)
			continue;
		memset(out, 0x5a, sizeof(out));
		MG_CHECK_EQ(mg_waf_transform_apply(id, in, sizeof(in) - 1, out,
						   need - 1),
			    MG_WAF_TRANSFORM_E_CAP);
		MG_CHECK_EQ(out[0], 0x5a);
		MG_CHECK(mg_waf_transform_apply(id, in, sizeof(in) - 1, out,
						need) <= need);
	}
	/* the worst case of utf8toUnicode: 7 bytes from 2 */
	MG_CHECK_EQ(mg_waf_transform_apply(MG_WAF_T_UTF8_TO_UNICODE, in, 4,
					   out, sizeof(out)), 14);
}

/*
 * Random inputs of a few kinds: every id stays within its bound, and the
 * in-place ones give the same result in place.
 */
static void
test_random(void)
{
	static const char alphabet[] = "%u+0aF\\/.#-*<!>&;' \"\t\r\n\x00"
				       "\xc3\xa9\xe2\x80\xf0";
	uint8_t in[96], a[4 * 96 + 32], b[4 * 96 + 32];
	unsigned seed = 12345;

	for (int round = 0; round < 20000; round++) {
		size_t len = (size_t)(rand_r(&seed) % 96);
		int id = rand_r(&seed) % MG_WAF_T_MAX;
		size_t na, nb;

		for (size_t i = 0; i < len; i++)
			in[i] = round & 1 ? (uint8_t)rand_r(&seed) :
				(uint8_t)alphabet[rand_r(&seed) %
						  (sizeof(alphabet) - 1)];
		na = mg_waf_transform_apply(id, in, len, a, sizeof(a));
		MG_CHECK(na <= mg_waf_transform_out_max(id, len));
		if (!mg_waf_transform_in_place(id))
			continue;
		memcpy(b, in, len);
		nb = mg_waf_transform_apply(id, b, len, b, len > 20 ? len : 20);
		if (na != nb || memcmp(a, b, na) != 0)
			fprintf(stderr, "%s differs in place\n",
				mg_waf_transform_name(id));
		MG_CHECK(na == nb && memcmp(a, b, na) == 0);
	}
}

static void
test_url_decode_helper(void)
{
	static const uint8_t in[] = "a+%41%4g%";
	uint8_t out[16];
	uint32_t bad = 0;
	size_t n;

	n = mg_waf_url_decode(in, sizeof(in) - 1, out, false, &bad);
	MG_CHECK_EQ(n, 7);
	MG_CHECK(memcmp(out, "a+A%4g%", 7) == 0);
	MG_CHECK_EQ(bad, 2);
	n = mg_waf_url_decode(in, sizeof(in) - 1, out, true, NULL);
	MG_CHECK(n == 7 && memcmp(out, "a A%4g%", 7) == 0);
}

/* t:lowercase eight bytes at a time: every byte value, at every offset
 * and length around the 8-byte steps, against the byte-wise rule; in
 * place as well */
static void
test_lower_copy(void)
{
	uint8_t in[256 + 24], out[256 + 24], want[256 + 24];

	for (unsigned i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + 3);	/* every value, shuffled */
	for (size_t off = 0; off < 9; off++)
		for (size_t len = 0; off + len <= sizeof(in); len += 1 + len / 8) {
			unsigned bad = 0;

			for (size_t i = 0; i < len; i++) {
				uint8_t b = in[off + i];

				want[i] = b >= 'A' && b <= 'Z' ? b + 32 : b;
			}
			mg_waf_lower_copy(out, in + off, len);
			bad += memcmp(out, want, len) != 0;
			memcpy(out, in + off, len);
			mg_waf_lower_copy(out, out, len);
			bad += memcmp(out, want, len) != 0;
			MG_CHECK_EQ(bad, 0);
		}
}

int
main(void)
{
	test_vectors();
	test_lower_copy();
	test_lookup();
	test_capacity();
	test_random();
	test_url_decode_helper();
	return mg_test_done("test_transform");
}
