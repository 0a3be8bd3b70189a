/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SecLang transformations with the behaviour of libmodsecurity 3.0.9, the
 * version Debian ships and the one the CRS verdicts are compared with. Its
 * quirks are kept where a rule could see them (cssDecode keeps only the
 * last two hex digits of an escape, utf8toUnicode drops NULs and appends
 * the lead byte of overlong sequences, removeComments copies the byte after
 * a comment unexamined, ...). Two plain bugs of 3.0.9 that later v3
 * releases fixed are not kept: its sqlHexDecode drops the last byte and
 * stops at a NUL, its cssDecode stops at the first NUL (an evasion).
 *
 * SecUnicodeMapFile is not supported: urlDecodeUni keeps the low byte of
 * every %uXXXX, as v3 does without a map (modsecurity.conf-recommended
 * loads code page 20127, which maps some Latin-1 letters to ASCII).
 *
 * Every function reads in[] strictly ahead of where it writes out[], so
 * that the shrinking ones work in place.
 */
#include <stdatomic.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "waf_transform.h"

static const struct {
	const char *name;
	bool grows;
} transforms[MG_WAF_T_MAX] = {
#define MG_WAF_T_ROW_(id, nm, gr) [MG_WAF_T_##id] = { nm, gr },
	MG_WAF_TRANSFORMS(MG_WAF_T_ROW_)
#undef MG_WAF_T_ROW_
};

static const char lower_hex[] = "0123456789abcdef";

static inline bool
is_hex(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

static inline bool
is_odigit(uint8_t c)
{
	return c >= '0' && c <= '7';
}

/* isspace() of the C locale, which is what v3 calls */
static inline bool
is_space(uint8_t c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static inline bool
is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static inline bool
is_alnum(uint8_t c)
{
	return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

static inline uint8_t
to_lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/*
 * Value of one "hex digit" the way v3 computes it: also for bytes that are
 * not hex digits (hexDecode does not check), with 8-bit wrap-around.
 */
static inline uint8_t
hex_nibble(uint8_t c)
{
	return c >= 'A' ? (uint8_t)((c & 0xdf) - 'A' + 10) : (uint8_t)(c - '0');
}

static inline uint8_t
hex_pair(const uint8_t *p)
{
	return (uint8_t)(hex_nibble(p[0]) * 16 + hex_nibble(p[1]));
}

/* Full-width ASCII (U+FF01..U+FF5E) folds onto ASCII in the %u/\u decoders */
static inline uint8_t
fold_full_width(const uint8_t *hi2, uint8_t lo)
{
	if (lo > 0 && lo < 0x5f && (hi2[0] | 0x20) == 'f' &&
	    (hi2[1] | 0x20) == 'f')
		return lo + 0x20;
	return lo;
}

/*
 * The decoders spend most of their time on text with nothing to decode:
 * they skip to the next byte they care about with memchr() and move the
 * plain run in one go (nothing to move in place until the first change).
 */
static inline void
plain_run(const uint8_t *in, size_t *i, size_t len, uint8_t c, uint8_t *out,
	  size_t *o)
{
	const uint8_t *hit = memchr(in + *i, c, len - *i);
	size_t n = hit ? (size_t)(hit - in) - *i : len - *i;

	if (out + *o != in + *i)
		memmove(out + *o, in + *i, n);
	*i += n;
	*o += n;
}

/* The control character of a C escape letter (\a ... \v), or -1. */
static int
control_escape(uint8_t c)
{
	static const char letters[] = "abfnrtv", controls[] = "\a\b\f\n\r\t\v";
	const char *p = c ? strchr(letters, c) : NULL;

	return p ? controls[p - letters] : -1;
}

/* \OOO at in[i] (the backslash): up to three octal digits, or two when
 * three_ok is false and the first is above 3; sets *used. */
static uint8_t
octal_escape(const uint8_t *in, size_t i, size_t len, bool three_ok,
	     size_t *used)
{
	size_t n = 1;
	unsigned v = 0;

	while (n < 3 && i + 1 + n < len && is_odigit(in[i + 1 + n]))
		n++;
	if (n == 3 && !three_ok && in[i + 1] > '3')
		n = 2;
	for (size_t k = 0; k < n; k++)
		v = v * 8 + (in[i + 1 + k] - '0');
	*used = 1 + n;
	return (uint8_t)v;
}

static size_t
t_case(const uint8_t *in, size_t len, uint8_t *out, bool upper)
{
	if (!upper) {
		mg_waf_lower_copy(out, in, len);
		return len;
	}
	for (size_t i = 0; i < len; i++)
		out[i] = in[i] >= 'a' && in[i] <= 'z' ? in[i] - 32 : in[i];
	return len;
}

/*
 * The bytes before the first '%' or '+' of in[0..len), copied to out
 * (which may be in); returns how many. Eight bytes are looked at a time:
 * a byte of x ^ ('%' * ones) is zero where x has a '%', and (v - ones) &
 * ~v sets the top bit of v's first zero byte (and maybe of later ones:
 * little endian, the lowest set bit is the first).
 */
static size_t
copy_to_escape(const uint8_t *in, size_t len, uint8_t *out)
{
	const uint64_t ones = 0x0101010101010101ull, tops = 0x80 * ones;
	size_t n = 0;

	_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
		       "the first byte of a word is its lowest");
	for (; n + 8 <= len; n += 8) {
		uint64_t x, pct, plus, hit;

		memcpy(&x, in + n, 8);
		pct = x ^ ('%' * ones);
		plus = x ^ ('+' * ones);
		hit = (((pct - ones) & ~pct) | ((plus - ones) & ~plus)) & tops;
		if (hit) {
			n += (size_t)__builtin_ctzll(hit) / 8;
			goto copy;
		}
	}
	while (n < len && in[n] != '%' && in[n] != '+')
		n++;
copy:
	if (n > 0 && out != in)
		memmove(out, in, n);
	return n;
}

size_t
mg_waf_url_decode(const uint8_t *in, size_t len, uint8_t *out,
		  bool plus_is_space, uint32_t *invalid)
{
	size_t i = 0, o = 0;

	while (i < len) {
		uint8_t c = in[i];
		size_t n = copy_to_escape(in + i, len - i, out + o);

		if (n > 0) {
			i += n;
			o += n;
			continue;
		}
		if (c == '%' && i + 2 < len && is_hex(in[i + 1]) &&
		    is_hex(in[i + 2])) {
			out[o++] = hex_pair(in + i + 1);
			i += 3;
			continue;
		}
		if (c == '%' && invalid != NULL)
			(*invalid)++;
		out[o++] = c == '+' && plus_is_space ? ' ' : c;
		i++;
	}
	return o;
}

/* urlDecodeUni: also IIS %uXXXX (low byte, full-width folded). */
static size_t
t_url_decode_uni(const uint8_t *in, size_t len, uint8_t *out)
{
	size_t i = 0, o = 0;

	while (i < len) {
		uint8_t c = in[i];
		size_t n = copy_to_escape(in + i, len - i, out + o);

		if (n > 0) {
			i += n;
			o += n;
			continue;
		}
		if (c == '+') {
			out[o++] = ' ';
			i++;
		} else if (i + 1 < len && (in[i + 1] | 0x20) == 'u') {
			if (i + 5 < len && is_hex(in[i + 2]) &&
			    is_hex(in[i + 3]) && is_hex(in[i + 4]) &&
			    is_hex(in[i + 5])) {
				out[o++] = fold_full_width(in + i + 2,
							   hex_pair(in + i + 4));
				i += 6;
			} else {
				/* "%u" stays, what follows is looked at again */
				out[o++] = in[i];
				out[o++] = in[i + 1];
				i += 2;
			}
		} else if (i + 2 < len && is_hex(in[i + 1]) &&
			   is_hex(in[i + 2])) {
			out[o++] = hex_pair(in + i + 1);
			i += 3;
		} else {
			out[o++] = c;
			i++;
		}
	}
	return o;
}

static size_t
t_url_encode(const uint8_t *in, size_t len, uint8_t *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		uint8_t c = in[i];

		if (c == ' ') {
			out[o++] = '+';
		} else if (c == '*' || is_alnum(c)) {
			out[o++] = c;
		} else {
			out[o++] = '%';
			out[o++] = lower_hex[c >> 4];
			out[o++] = lower_hex[c & 15];
		}
	}
	return o;
}

/*
 * Digits of a numeric character reference as strtol() reads them: the low
 * byte of the value, or 0xff once it no longer fits a long.
 */
static uint8_t
entity_number(const uint8_t *p, size_t n, unsigned base)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned d = base == 16 ? hex_nibble(p[i]) : p[i] - '0';

		if (v > ((uint64_t)INT64_MAX - d) / base)
			return 0xff;
		v = v * base + d;
	}
	return (uint8_t)v;
}

/*
 * Only &quot; &amp; &lt; &gt; &nbsp; and numeric references are decoded
 * (to one byte each); the semicolon is optional.
 */
static size_t
t_html_entity_decode(const uint8_t *in, size_t len, uint8_t *out)
{
	static const struct {
		const char *name;
		uint8_t len, c;
	} named[] = {
		{ "quot", 4, '"' }, { "amp", 3, '&' }, { "lt", 2, '<' },
		{ "gt", 2, '>' }, { "nbsp", 4, 0xa0 },
	};
	size_t i = 0, o = 0;

	while (i < len) {
		size_t j = i + 1, k, keep = 1;
		int c = -1;

		if (in[i] != '&') {
			plain_run(in, &i, len, '&', out, &o);
			continue;
		}
		if (j >= len)
			goto copy;
		if (in[j] == '#') {
			unsigned base = 10;

			keep = 2;
			if (++j >= len)
				goto copy;
			if (in[j] == 'x' || in[j] == 'X') {
				keep = 3;
				base = 16;
				if (++j >= len)
					goto copy;
			}
			for (k = j; j < len && (base == 16 ? is_hex(in[j]) :
						is_digit(in[j])); j++)
				;
			if (j == k)
				goto copy;
			c = entity_number(in + k, j - k, base);
		} else {
			for (k = j; j < len && is_alnum(in[j]); j++)
				;
			if (j == k)
				goto copy;
			for (size_t n = 0; n < sizeof(named) / sizeof(named[0]);
			     n++) {
				if (named[n].len == j - k &&
				    strncasecmp((const char *)in + k,
						named[n].name, j - k) == 0)
					c = named[n].c;
			}
			if (c < 0) {
				keep = j - i;
				goto copy;
			}
		}
		out[o++] = (uint8_t)c;
		i = j < len && in[j] == ';' ? j + 1 : j;
		continue;
copy:
		while (keep-- > 0 && i < len)
			out[o++] = in[i++];
	}
	return o;
}

/* \uHHHH keeps the low byte (full-width folded), \xHH, \OOO, \C */
static size_t
t_js_decode(const uint8_t *in, size_t len, uint8_t *out)
{
	size_t i = 0, o = 0;

	while (i < len) {
		if (in[i] != '\\') {
			plain_run(in, &i, len, '\\', out, &o);
			continue;
		}
		if (i + 5 < len && in[i + 1] == 'u' && is_hex(in[i + 2]) &&
		    is_hex(in[i + 3]) && is_hex(in[i + 4]) &&
		    is_hex(in[i + 5])) {
			out[o++] = fold_full_width(in + i + 2,
						   hex_pair(in + i + 4));
			i += 6;
		} else if (i + 3 < len && in[i + 1] == 'x' &&
			   is_hex(in[i + 2]) && is_hex(in[i + 3])) {
			out[o++] = hex_pair(in + i + 2);
			i += 4;
		} else if (i + 1 < len && is_odigit(in[i + 1])) {
			size_t used;

			/* three digits only while the value fits a byte */
			out[o++] = octal_escape(in, i, len, false, &used);
			i += used;
		} else if (i + 1 < len) {
			int c = control_escape(in[i + 1]);

			out[o++] = c >= 0 ? (uint8_t)c : in[i + 1];
			i += 2;
		} else {
			out[o++] = in[i++];
		}
	}
	return o;
}

/*
 * CSS escapes: a backslash and 1 to 6 hex digits, of which only the last
 * two count (full-width forms folded when the leading digits allow it), one
 * whitespace after the escape swallowed; backslash-newline is a line
 * continuation; any other escaped byte stands for itself.
 */
static size_t
t_css_decode(const uint8_t *in, size_t len, uint8_t *out)
{
	size_t i = 0, o = 0;

	while (i < len) {
		size_t j = 0;
		const uint8_t *h;
		bool full;
		uint8_t c;

		if (in[i] != '\\') {
			plain_run(in, &i, len, '\\', out, &o);
			continue;
		}
		if (++i >= len)
			break;		/* a final backslash disappears */
		while (j < 6 && i + j < len && is_hex(in[i + j]))
			j++;
		if (j == 0) {
			if (in[i] == '\n')
				i++;
			else
				out[o++] = in[i++];
			continue;
		}
		h = in + i;
		c = j == 1 ? hex_nibble(h[0]) : hex_pair(h + j - 2);
		full = j == 4 || (j == 5 && h[0] == '0') ||
		       (j == 6 && h[0] == '0' && h[1] == '0');
		if (full)
			c = fold_full_width(h + j - 4, c);
		out[o++] = c;
		if (i + j < len && is_space(in[i + j]))
			j++;
		i += j;
	}
	return o;
}

static size_t
put_unicode_escape(uint8_t *out, uint32_t cp)
{
	uint8_t digits[8];
	size_t n = 0, o = 0;

	do {
		digits[n++] = lower_hex[cp & 15];
		cp >>= 4;
	} while (cp);
	out[o++] = '%';
	out[o++] = 'u';
	for (size_t pad = n; pad < 4; pad++)
		out[o++] = '0';
	while (n)
		out[o++] = digits[--n];
	return o;
}

/*
 * Valid 2..4-byte UTF-8 sequences become %uXXXX (lower-case hex, at least
 * four digits). As in v3: NULs vanish, a lead byte whose continuation bytes
 * are missing or wrong vanishes, a lead byte of F5..F7 is also copied
 * before its escape, and the lead byte is appended after the escape of a
 * surrogate or an overlong form. Other bytes are copied.
 */
static size_t
t_utf8_to_unicode(const uint8_t *in, size_t len, uint8_t *out)
{
	size_t i = 0, o = 0;

	while (i < len) {
		uint8_t c = in[i];
		size_t n, k;
		uint32_t cp, min;

		if (c == 0) {
			i++;
			continue;
		}
		if (c < 0x80) {
			size_t n = 1;

			while (i + n < len && in[i + n] != 0 && in[i + n] < 0x80)
				n++;
			memcpy(out + o, in + i, n);
			i += n;
			o += n;
			continue;
		}
		if ((c & 0xc0) == 0x80 || c >= 0xf8) {
			out[o++] = c;
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			n = 2, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 3, cp = c & 0x0f, min = 0x800;
		} else {
			n = 4, cp = c & 0x07, min = 0x10000;
			if (c >= 0xf5)
				out[o++] = c;
		}
		for (k = 1; k < n && i + k < len && (in[i + k] & 0xc0) == 0x80;
		     k++)
			cp = cp << 6 | (in[i + k] & 0x3f);
		if (k < n) {
			i++;
			continue;
		}
		o += put_unicode_escape(out + o, cp);
		if (cp >= 0xd800 && cp <= 0xdfff)
			out[o++] = c;
		if (cp < min)
			out[o++] = c;
		i += n;
	}
	return o;
}

static size_t
t_remove_nulls(const uint8_t *in, size_t len, uint8_t *out)
{
	size_t i = 0, o = 0;

	while (i < len) {
		plain_run(in, &i, len, 0, out, &o);
		i++;		/* over the NUL */
	}
	return o;
}

static size_t
t_replace_nulls(const uint8_t *in, size_t len, uint8_t *out)
{
	for (size_t i = 0; i < len; i++)
		out[i] = in[i] ? in[i] : ' ';
	return len;
}

/* Also drops 0xa0 and 0xc2, the bytes of a (UTF-8 or Latin-1) NBSP. */
static size_t
t_remove_whitespace(const uint8_t *in, size_t len, uint8_t *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++)
		if (!is_space(in[i]) && in[i] != 0xa0 && in[i] != 0xc2)
			out[o++] = in[i];
	return o;
}

static size_t
t_compress_whitespace(const uint8_t *in, size_t len, uint8_t *out)
{
	size_t o = 0;
	bool in_space = false;

	for (size_t i = 0; i < len; i++) {
		if (!is_space(in[i])) {
			out[o++] = in[i];
			in_space = false;
		} else if (!in_space) {
			out[o++] = ' ';
			in_space = true;
		}
	}
	return o;
}

static size_t
t_trim(const uint8_t *in, size_t len, uint8_t *out, bool left, bool right)
{
	size_t a = 0, b = len;

	while (left && a < b && is_space(in[a]))
		a++;
	while (right && b > a && is_space(in[b - 1]))
		b--;
	memmove(out, in + a, b - a);
	return b - a;
}

static inline bool
starts(const uint8_t *in, size_t len, size_t i, const char *s)
{
	size_t n = strlen(s);

	return len - i >= n && memcmp(in + i, s, n) == 0;
}

/* Each C comment becomes one space, an unterminated one too. */
static size_t
t_replace_comments(const uint8_t *in, size_t len, uint8_t *out)
{
	size_t i = 0, o = 0;

	while (i < len) {
		const uint8_t *end;

		if (!starts(in, len, i, "/*")) {
			out[o++] = in[i++];
			continue;
		}
		out[o++] = ' ';
		i += 2;
		end = memmem(in + i, len - i, "*/", 2);
		if (end == NULL)
			break;
		i = (size_t)(end - in) + 2;
	}
	return o;
}

/*
 * C and HTML comments are removed; "--" or "#" cuts the rest. As in v3 the
 * byte right after a comment's end is copied without being examined (a NUL
 * when the comment ends the input: ModSecurity's own tests expect it), and
 * an unterminated comment leaves one space.
 */
static size_t
t_remove_comments(const uint8_t *in, size_t len, uint8_t *out)
{
	size_t i = 0, o = 0;
	bool in_comment = false;

	while (i < len) {
		if (!in_comment) {
			if (starts(in, len, i, "/*")) {
				in_comment = true;
				i += 2;
			} else if (starts(in, len, i, "<!--")) {
				in_comment = true;
				i += 4;
			} else if (starts(in, len, i, "--") || in[i] == '#') {
				break;
			} else {
				out[o++] = in[i++];
			}
			continue;
		}
		if (starts(in, len, i, "*/"))
			i += 2;
		else if (starts(in, len, i, "-->"))
			i += 3;
		else {
			i++;
			continue;
		}
		in_comment = false;
		/* at the end this is the string's terminating NUL */
		out[o++] = i < len ? in[i++] : 0;
	}
	if (in_comment)
		out[o++] = ' ';
	return o;
}

/* Only the comment markers go: / * , * /, <!--, -->, -- and #. */
static size_t
t_remove_comments_char(const uint8_t *in, size_t len, uint8_t *out)
{
	static const char *const marks[] = {
		"/*", "*/", "<!--", "-->", "--", "#",
	};
	size_t i = 0, o = 0;

	while (i < len) {
		size_t m;

		for (m = 0; m < sizeof(marks) / sizeof(marks[0]); m++)
			if (starts(in, len, i, marks[m]))
				break;
		if (m < sizeof(marks) / sizeof(marks[0]))
			i += strlen(marks[m]);
		else
			out[o++] = in[i++];
	}
	return o;
}

/*
 * Path normalisation as v3 does it: collapse repeated slashes, drop "./"
 * segments, resolve "../" against the previous segment without climbing
 * above the root (a relative path keeps the "../" it cannot resolve), keep
 * a trailing slash only when the input had one. A segment counts as a back
 * reference when it ends in two dots, and as a self reference when it ends
 * in a dot right after a slash or at the start, exactly like v3.
 * win: backslashes are slashes. Works on out as the running result, which
 * never gets ahead of i; in is read at i and after, so in == out is fine.
 */
/* The first slash in in[i..end) (backslashes too when win), else end.
 * *fwd keeps where the next '/' is: a Windows path with none would
 * otherwise be searched to its end again at every backslash. */
static size_t
slash_at_or_after(const uint8_t *in, size_t i, size_t end, bool win,
		  size_t *fwd)
{
	const uint8_t *s;
	size_t n;

	if (*fwd < i) {
		s = memchr(in + i, '/', end - i);
		*fwd = s ? (size_t)(s - in) : end;
	}
	n = *fwd;
	if (win && (s = memchr(in + i, '\\', n - i)) != NULL)
		n = (size_t)(s - in);
	return n;
}

static size_t
t_normalize_path(const uint8_t *in, size_t len, uint8_t *out, bool win)
{
#define AT(k) (win && in[k] == '\\' ? '/' : in[k])
	const uint8_t *first = len ? memchr(in, '/', len) : NULL;
	size_t i = 0, o = 0, last, fwd = first ? (size_t)(first - in) : len;
	bool relative, trailing, hitroot = false;

	if (len == 0)
		return 0;
	last = len - 1;
	relative = AT(0) != '/';
	trailing = AT(last) == '/';
	while (i <= last && o <= last) {
		size_t plain = slash_at_or_after(in, i, len, win, &fwd);
		bool done;
		size_t top;
		uint8_t c;

		/* a byte that is no slash, followed by one that is none
		 * either, is copied as it is (JSON names are full of dots):
		 * the run up to the byte before the next slash at once */
		if (plain > i + 1) {
			memmove(out + o, in + i, plain - 1 - i);
			o += plain - 1 - i;
			i = plain - 1;
		}
		done = i == last;
		top = i;
		c = AT(i);

		if (!done && AT(i + 1) != '/')
			goto copy;
		if (c == '/' && !done)
			goto copy;
		if (c == '.') {
			if (o > 0 && out[o - 1] == '.') {
				if (relative && (hitroot || o <= 2)) {
					hitroot = true;
					goto copy;
				}
				/* drop "..": back to the slash before the
				 * previous segment (or the start) */
				o = o >= 3 ? o - 3 : 0;
				while (o > 0 && out[o] != '/')
					o--;
				if (o == 0) {
					hitroot = true;
					if (!relative && done)
						o = 1;
				}
				if (done)
					break;
				i++;
			} else if (o == 0) {
				if (done)
					break;
				i++;
			} else if (out[o - 1] == '/') {
				if (done)
					break;
				o--;
				i++;
			}
		} else if (o > 0) {
			hitroot = false;
		}
copy:
		if (AT(i) == '/') {
			while (i < last && AT(i + 1) == '/')
				i++;
			if (relative && o == 0) {
				i++;
				continue;
			}
		}
		/* v3 turns a backslash into a slash only at the two bytes an
		 * iteration starts on: the last of a longer run of slashes
		 * is copied as it was */
		out[o++] = i > top + 1 ? in[i] : AT(i);
		i++;
	}
	if (!trailing && o > 0 && out[o - 1] == '/')
		o--;
	return o;
#undef AT
}

/*
 * Quotes, backslashes and carets go; space, comma, semicolon, tab, CR and
 * LF become one space, which a following slash or parenthesis removes;
 * letters are lower-cased.
 */
static size_t
t_cmd_line(const uint8_t *in, size_t len, uint8_t *out)
{
	size_t o = 0;
	bool space = false;

	for (size_t i = 0; i < len; i++) {
		uint8_t c = in[i];

		switch (c) {
		case '"': case '\'': case '\\': case '^':
			break;
		case ' ': case ',': case ';': case '\t': case '\r': case '\n':
			if (!space) {
				out[o++] = ' ';
				space = true;
			}
			break;
		case '/': case '(':
			if (space)
				o--;
			space = false;
			out[o++] = c;
			break;
		default:
			out[o++] = to_lower(c);
			space = false;
			break;
		}
	}
	return o;
}

/* 0..63 for the base64 alphabet, 64 for '=', 255 otherwise */
static uint8_t
b64_value(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return c == '=' ? 64 : 255;
}

/*
 * base64Decode is strict, as the mbedTLS decoder under v3: the input ends
 * at its first NUL; spaces may only precede a line end or the end, CR LF
 * and LF are skipped, at most two '=' and only at the end; anything else
 * makes the result empty. An incomplete final quantum is dropped.
 */
static size_t
t_base64_decode(const uint8_t *in, size_t len, uint8_t *out)
{
	const uint8_t *nul = memchr(in, 0, len);
	size_t i, o = 0, pad = 0, n = 0;
	uint32_t acc = 0;

	if (nul != NULL)
		len = (size_t)(nul - in);
	for (i = 0; i < len; i++) {
		size_t sp = 0;
		uint8_t v;

		while (i < len && in[i] == ' ')
			i++, sp++;
		if (i == len)
			break;
		if ((len - i >= 2 && in[i] == '\r' && in[i + 1] == '\n') ||
		    in[i] == '\n')
			continue;
		if (sp != 0)
			return 0;
		v = b64_value(in[i]);
		if (v == 255 || (v == 64 && ++pad > 2) || (v < 64 && pad))
			return 0;
	}
	for (i = 0, pad = 0; i < len; i++) {
		uint8_t v = b64_value(in[i]);

		if (in[i] == '\r' || in[i] == '\n' || in[i] == ' ')
			continue;
		pad += v == 64;
		acc = acc << 6 | (v & 63);
		if (++n < 4)
			continue;
		n = 0;
		if (pad < 3)
			out[o++] = (uint8_t)(acc >> 16);
		if (pad < 2)
			out[o++] = (uint8_t)(acc >> 8);
		if (pad < 1)
			out[o++] = (uint8_t)acc;
	}
	return o;
}

/*
 * base64DecodeExt forgives: bytes outside the alphabet are skipped and
 * every complete byte is kept, but a '=' after a lone sixth bit group
 * (other than "==") makes the result empty.
 */
static size_t
t_base64_decode_ext(const uint8_t *in, size_t len, uint8_t *out)
{
	size_t o = 0, groups = 0;
	uint32_t acc = 0;

	for (size_t i = 0; i < len; i++) {
		uint8_t v = b64_value(in[i]);

		if (v == 64) {
			if (groups % 4 == 1 && (i + 1 >= len || in[i + 1] != '='))
				return 0;
			continue;
		}
		if (v == 255)
			continue;
		acc = acc << 6 | v;
		if (groups % 4 != 0)
			out[o++] = (uint8_t)(acc >> (2 * (3 - groups % 4)));
		groups++;
	}
	/* v3 mistakes a final '9' (value 61) for a '=' after a lone group */
	if (len > 0 && in[len - 1] == '9' && groups % 4 == 1)
		return 0;
	return o;
}

static size_t
t_base64_encode(const uint8_t *in, size_t len, uint8_t *out)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		"0123456789+/";
	size_t o = 0, i;

	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | in[i + 1] << 8 | in[i + 2];

		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = alphabet[(v >> 6) & 63];
		out[o++] = alphabet[v & 63];
	}
	if (i < len) {
		uint32_t v = (uint32_t)in[i] << 16 |
			     (i + 1 < len ? in[i + 1] << 8 : 0);

		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	return o;
}

/* Pairs of bytes, not checked to be hex digits; an odd last byte goes. */
static size_t
t_hex_decode(const uint8_t *in, size_t len, uint8_t *out)
{
	size_t o = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		out[o++] = hex_pair(in + i);
	return o;
}

static size_t
t_hex_encode(const uint8_t *in, size_t len, uint8_t *out)
{
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = lower_hex[in[i] >> 4];
		out[2 * i + 1] = lower_hex[in[i] & 15];
	}
	return 2 * len;
}

/* 0xHH... runs (at least one pair) decode; other bytes stay. */
static size_t
t_sql_hex_decode(const uint8_t *in, size_t len, uint8_t *out)
{
	size_t i = 0, o = 0;

	while (i < len) {
		if (i + 3 < len && in[i] == '0' && to_lower(in[i + 1]) == 'x' &&
		    is_hex(in[i + 2]) && is_hex(in[i + 3])) {
			i += 2;
			do {
				out[o++] = hex_pair(in + i);
				i += 2;
			} while (i + 1 < len && is_hex(in[i]) &&
				 is_hex(in[i + 1]));
		} else {
			out[o++] = in[i++];
		}
	}
	return o;
}

/*
 * ANSI C escapes. An unknown escape (or a \x without two hex digits)
 * loses its backslash.
 */
static size_t
t_escape_seq_decode(const uint8_t *in, size_t len, uint8_t *out)
{
	size_t i = 0, o = 0;

	while (i < len) {
		int c = -1;

		if (in[i] != '\\') {
			plain_run(in, &i, len, '\\', out, &o);
			continue;
		}
		if (i + 1 >= len) {
			out[o++] = in[i++];
			continue;
		}
		c = control_escape(in[i + 1]);
		if (in[i + 1] == '\\' || in[i + 1] == '?' || in[i + 1] == '\'' ||
		    in[i + 1] == '"')
			c = in[i + 1];
		if (c >= 0) {
			i += 2;
		} else if ((in[i + 1] | 0x20) == 'x') {
			if (i + 3 < len && is_hex(in[i + 2]) &&
			    is_hex(in[i + 3])) {
				c = hex_pair(in + i + 2);
				i += 4;
			}
		} else if (is_odigit(in[i + 1])) {
			size_t used;

			c = octal_escape(in, i, len, true, &used);
			i += used;
		}
		if (c >= 0) {
			out[o++] = (uint8_t)c;
		} else {
			out[o++] = in[i + 1];
			i += 2;
		}
	}
	return o;
}

/* parity of the whole byte decides bit 7 */
static size_t
t_parity(const uint8_t *in, size_t len, uint8_t *out, int mode)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t c = in[i];
		bool odd = __builtin_parity(c);

		if (mode == 0)
			c &= 0x7f;
		else if (odd == (mode > 0))
			c |= 0x80;
		else
			c &= 0x7f;
		out[i] = c;
	}
	return len;
}

static size_t
t_length(size_t len, uint8_t *out)
{
	uint8_t digits[24];
	size_t n = 0;

	do {
		digits[n++] = (uint8_t)('0' + len % 10);
		len /= 10;
	} while (len);
	for (size_t i = 0; i < n; i++)
		out[i] = digits[n - 1 - i];
	return n;
}

static size_t
t_digest(const EVP_MD *md, const uint8_t *in, size_t len, uint8_t *out)
{
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	if (!EVP_Digest(in, len, d, &n, md, NULL))
		return 0;
	memcpy(out, d, n);
	return n;
}

/*
 * The digest fetched once: EVP_sha1() and EVP_md5() make every EVP_Digest
 * look the algorithm up in the providers again, which costs more than
 * hashing a header. Kept for the process; the legacy handle when the
 * fetch fails.
 */
static const EVP_MD *
digest_md(unsigned i, const EVP_MD *legacy)
{
	static const char *const names[] = { "SHA1", "MD5" };
	static EVP_MD *_Atomic fetched[2];
	EVP_MD *md = atomic_load_explicit(&fetched[i], memory_order_acquire);
	EVP_MD *none = NULL;

	if (md != NULL)
		return md;
	md = EVP_MD_fetch(NULL, names[i], NULL);
	if (md == NULL)
		return legacy;
	/* another thread may have been first: keep its handle */
	if (!atomic_compare_exchange_strong(&fetched[i], &none, md)) {
		EVP_MD_free(md);
		md = none;
	}
	return md;
}

int
mg_waf_transform_lookup(const char *name)
{
	if (name == NULL)
		return -1;
	if (strcasecmp(name, "normalisePath") == 0)
		return MG_WAF_T_NORMALIZE_PATH;
	if (strcasecmp(name, "normalisePathWin") == 0)
		return MG_WAF_T_NORMALIZE_PATH_WIN;
	for (int id = 0; id < MG_WAF_T_MAX; id++)
		if (strcasecmp(name, transforms[id].name) == 0)
			return id;
	return -1;
}

const char *
mg_waf_transform_name(int id)
{
	return id >= 0 && id < MG_WAF_T_MAX ? transforms[id].name : "?";
}

size_t
mg_waf_transform_out_max(int id, size_t len)
{
	switch (id) {
	case MG_WAF_T_BASE64_ENCODE:
		return (len + 2) / 3 * 4;
	case MG_WAF_T_HEX_ENCODE:
		return 2 * len;
	case MG_WAF_T_URL_ENCODE:
		return 3 * len;
	case MG_WAF_T_UTF8_TO_UNICODE:
		return 4 * len;
	case MG_WAF_T_LENGTH:
		return 20;
	case MG_WAF_T_SHA1:
		return SHA_DIGEST_LENGTH;
	case MG_WAF_T_MD5:
		return 16;
	default:
		return len;
	}
}

bool
mg_waf_transform_in_place(int id)
{
	switch (id) {
	case MG_WAF_T_BASE64_ENCODE:
	case MG_WAF_T_HEX_ENCODE:
	case MG_WAF_T_URL_ENCODE:
	case MG_WAF_T_UTF8_TO_UNICODE:
		return false;
	default:
		return true;
	}
}

size_t
mg_waf_transform_apply(int id, const uint8_t *in, size_t len, uint8_t *out,
		       size_t cap)
{
	if (cap < mg_waf_transform_out_max(id, len))
		return MG_WAF_TRANSFORM_E_CAP;
	if (len == 0 && id != MG_WAF_T_LENGTH && id != MG_WAF_T_SHA1 &&
	    id != MG_WAF_T_MD5)
		return 0;

	switch (id) {
	case MG_WAF_T_BASE64_DECODE:
		return t_base64_decode(in, len, out);
	case MG_WAF_T_BASE64_DECODE_EXT:
		return t_base64_decode_ext(in, len, out);
	case MG_WAF_T_BASE64_ENCODE:
		return t_base64_encode(in, len, out);
	case MG_WAF_T_CMD_LINE:
		return t_cmd_line(in, len, out);
	case MG_WAF_T_COMPRESS_WHITESPACE:
		return t_compress_whitespace(in, len, out);
	case MG_WAF_T_CSS_DECODE:
		return t_css_decode(in, len, out);
	case MG_WAF_T_ESCAPE_SEQ_DECODE:
		return t_escape_seq_decode(in, len, out);
	case MG_WAF_T_HEX_DECODE:
		return t_hex_decode(in, len, out);
	case MG_WAF_T_HEX_ENCODE:
		return t_hex_encode(in, len, out);
	case MG_WAF_T_HTML_ENTITY_DECODE:
		return t_html_entity_decode(in, len, out);
	case MG_WAF_T_JS_DECODE:
		return t_js_decode(in, len, out);
	case MG_WAF_T_LENGTH:
		return t_length(len, out);
	case MG_WAF_T_LOWERCASE:
		return t_case(in, len, out, false);
	case MG_WAF_T_MD5:
		return t_digest(digest_md(1, EVP_md5()), in, len, out);
	case MG_WAF_T_NORMALIZE_PATH:
		return t_normalize_path(in, len, out, false);
	case MG_WAF_T_NORMALIZE_PATH_WIN:
		return t_normalize_path(in, len, out, true);
	case MG_WAF_T_PARITY_EVEN_7BIT:
		return t_parity(in, len, out, 1);
	case MG_WAF_T_PARITY_ODD_7BIT:
		return t_parity(in, len, out, -1);
	case MG_WAF_T_PARITY_ZERO_7BIT:
		return t_parity(in, len, out, 0);
	case MG_WAF_T_REMOVE_COMMENTS:
		return t_remove_comments(in, len, out);
	case MG_WAF_T_REMOVE_COMMENTS_CHAR:
		return t_remove_comments_char(in, len, out);
	case MG_WAF_T_REMOVE_NULLS:
		return t_remove_nulls(in, len, out);
	case MG_WAF_T_REMOVE_WHITESPACE:
		return t_remove_whitespace(in, len, out);
	case MG_WAF_T_REPLACE_COMMENTS:
		return t_replace_comments(in, len, out);
	case MG_WAF_T_REPLACE_NULLS:
		return t_replace_nulls(in, len, out);
	case MG_WAF_T_SHA1:
		return t_digest(digest_md(0, EVP_sha1()), in, len, out);
	case MG_WAF_T_SQL_HEX_DECODE:
		return t_sql_hex_decode(in, len, out);
	case MG_WAF_T_TRIM:
		return t_trim(in, len, out, true, true);
	case MG_WAF_T_TRIM_LEFT:
		return t_trim(in, len, out, true, false);
	case MG_WAF_T_TRIM_RIGHT:
		return t_trim(in, len, out, false, true);
	case MG_WAF_T_UPPERCASE:
		return t_case(in, len, out, true);
	case MG_WAF_T_URL_DECODE:
		return mg_waf_url_decode(in, len, out, true, NULL);
	case MG_WAF_T_URL_DECODE_UNI:
		return t_url_decode_uni(in, len, out);
	case MG_WAF_T_URL_ENCODE:
		return t_url_encode(in, len, out);
	case MG_WAF_T_UTF8_TO_UNICODE:
		return t_utf8_to_unicode(in, len, out);
	default:
		if (out != in)
			memmove(out, in, len);
		return len;
	}
}
