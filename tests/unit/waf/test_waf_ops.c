/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every operator of lib/waf against libmodsecurity 3's behaviour. A case
 * is an operator as a rule writes it and the value of ARGS:v in a
 * request; the rule must fire exactly when the v3 operator returns true.
 * The expectations come from the v3 sources (src/operators/, the same in
 * 3.0.9 and 3.0.13 for every case below) and from the operator vectors
 * v3 runs in its unit tests (owasp-modsecurity/secrules-language-tests,
 * operators/<name>.json: "SLT" below), quirks included (one exception,
 * said where it is: UTF-8 past U+10FFFF). Then captures,
 * which need a second rule to look at TX, and @pmFromFile's paths.
 * Every case runs in both engines, as in test_waf_engine.c: Hyperscan
 * scan sets with rules folded at load, and every rule on its own.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mg_test.h"
#include "mg_waf.h"

struct op_case {
	const char *op;		/* as the rule writes it: "@rx ^a" */
	const char *in;		/* the value of ARGS:v */
	size_t in_len;
	bool match;		/* what ModSecurity v3 returns */
	int line;
};

#define C(op, in, match) { op, in, sizeof(in) - 1, match, __LINE__ }

/*
 * TX the macro cases read, set in phase 1 before the rule under test;
 * tx.nothing is never set, and expands to "" (v3 run_time_string.cc
 * appends nothing for a variable without a value).
 */
static const char setup[] =
	"SecRuleEngine On\n"
	"SecAction \"id:100,phase:1,pass,nolog,setvar:tx.word=abc,"
	"setvar:'tx.methods=GET HEAD',setvar:tx.num=5\"\n";

/* @pmFromFile reads this, written beside the rules file at run time */
#define PHRASE_FILE "waf_ops_phrases.txt"
static const char phrases[] =
	"# a comment line\n"
	"abc\n"
	"def\n"
	"\n"
	"ghi\n"
	"xxx yyy zzz\n"
	"  # indented comment\n"
	"Select\n"
	"  padded\n";

static const struct op_case cases[] = {
	/* @rx: PCRE with DOTALL and MULTILINE (v3 utils/regex.cc) */
	C("@rx abc", "xxabcxx", true),
	C("@rx abc", "ABC", false),
	C("@rx (?i)abc", "xABCx", true),
	C("@rx ^abc$", "abc", true),
	C("@rx ^abc$", "abcd", false),
	C("@rx ^abc$", "xabc", false),
	C("@rx a.c", "a\nc", true),		/* DOTALL */
	C("@rx ^b$", "a\nb", true),		/* MULTILINE */
	C("@rx ^a$", "a\nb", true),
	C("@rx ^a\\x00b$", "a\0b", true),	/* the value's NUL is kept */
	C("@rx ^\\d+$", "", false),
	/* SLT: an empty match is a match, on an empty value too */
	C("@rx ([a-z]*)", "", true),
	C("@rx <\\?(?!xml)", "<?php", true),	/* SLT */
	C("@rx <\\?(?!xml)", "<?xml", false),	/* SLT */
	C("@rx (a|b|1|2)(a|b|1|2)", "a2b1", true),	/* SLT */
	C("@rx ^%{tx.word}$", "abc", true),	/* macro: compiled per value */
	C("@rx ^%{tx.word}$", "abcd", false),
	C("!@rx ^abc$", "abc", false),
	C("!@rx ^abc$", "abd", true),

	/* @pm: phrases split at white space, no case (utils/acmp.cc) */
	C("@pm abc def ghi", "abcxxxyyy", true),	/* SLT */
	C("@pm abc def ghi", "xxxdefyyy", true),	/* SLT */
	C("@pm abc def ghi", "xxxyyyghi", true),	/* SLT */
	C("@pm abc def ghi", "xxxyyy", false),
	C("@pm abc def ghi", "ab de gh", false),
	C("@pm ghij", "abcdefghi", false),		/* SLT */
	C("@pm abc", "xxABCxx", true),
	C("@pm ABC", "xxabcxx", true),
	C("@pm abc", "", false),			/* SLT */
	C("@pm foo  \tbar", "xxbar", true),
	C("!@pm abc def", "xyz", true),
	C("!@pm abc def", "xdefx", false),

	/*
	 * @pmFromFile: one phrase a line, the line as it is; a line empty or
	 * with only white space before a '#' is skipped (pm_from_file.cc
	 * isComment); a relative name is looked for beside the rules file
	 * (utils/system.cc find_resource).
	 */
	C("@pmFromFile " PHRASE_FILE, "xxxyyyzzz", false),	/* SLT */
	C("@pmFromFile " PHRASE_FILE, "defxxxyyy", true),	/* SLT */
	C("@pmFromFile " PHRASE_FILE, "xxxdefyyy", true),	/* SLT */
	C("@pmFromFile " PHRASE_FILE, "xxxyyydef", true),	/* SLT */
	C("@pmFromFile " PHRASE_FILE, "xxx yyy zzz", true),	/* SLT */
	C("@pmFromFile " PHRASE_FILE, "xxx yyy", false),	/* SLT */
	C("@pmFromFile " PHRASE_FILE, "# a comment line", false),
	C("@pmFromFile " PHRASE_FILE, "  # indented comment", false),
	C("@pmFromFile " PHRASE_FILE, "SELECT", true),
	C("@pmFromFile " PHRASE_FILE, "xselectx", true),
	/* the line "  padded" is the phrase "  padded", spaces and all: v3
	 * trims nothing (std::getline, then acmp_add_pattern on the line) */
	C("@pmFromFile " PHRASE_FILE, "x  padded", true),
	C("@pmFromFile " PHRASE_FILE, "padded", false),
	C("@pmf " PHRASE_FILE, "xghix", true),		/* the short name */
	C("!@pmFromFile " PHRASE_FILE, "xyz", true),

	/* @contains: a substring, with case (contains.cc) */
	C("@contains abc", "xxabcxx", true),
	C("@contains abc", "abc", true),
	C("@contains abc", "ab", false),
	C("@contains abc", "ABC", false),
	C("@contains abc", "", false),			/* SLT */
	C("@contains hiding", "hidinX<-not quite, but is later on->hiding",
	  true),					/* SLT */
	C("@contains %{tx.nothing}", "abc", true),	/* SLT: "" is in all */
	C("!@contains abc", "xyz", true),
	C("!@contains abc", "xabcx", false),

	/*
	 * @containsWord: the word with a non-letter or the value's end on
	 * each side. Only A-Z and a-z are word characters in v3
	 * (contains_word.cc acceptableChar): digits and '_' are boundaries.
	 */
	C("@containsWord abc", "abc def ghi", true),	/* SLT */
	C("@containsWord def", "abc def ghi", true),	/* SLT */
	C("@containsWord ghi", "abc def ghi", true),	/* SLT */
	C("@containsWord abc", "abcdefghi", false),	/* SLT */
	C("@containsWord def", "abcdefghi", false),	/* SLT */
	C("@containsWord ghi", "abcdefghi", false),	/* SLT */
	C("@containsWord x", "x", true),		/* SLT */
	C("@containsWord x", " x ", true),		/* SLT */
	C("@containsWord y", "xyz", false),		/* SLT */
	C("@containsWord hiding",
	  "hidingX<-not on word boundary, but is later on->hiding", true),
	C("@containsWord abc", "", false),		/* SLT */
	C("@containsWord select", "1 union(select)", true),
	C("@containsWord select", "SELECT", false),
	C("@containsWord select", "selected", false),
	C("@containsWord select", "preselect", false),
	C("@containsWord abc", "\xc3\xa9" "abc", true),
	/* SLT: "abc\0def ghi" is a backslash and a zero (its runner leaves
	 * "\0" alone), so "def" follows the digit 0 and is a word */
	C("@containsWord def", "abc\\0def ghi", true),
	C("@containsWord select", "1select1", true),
	C("@containsWord select", "_select_", true),
	C("@containsWord %{tx.nothing}", "abc", true),	/* SLT */
	C("!@containsWord abc", "abcdef", true),

	/* @beginsWith, @endsWith: with case (begins_with.cc, ends_with.cc) */
	C("@beginsWith abc", "abcdef", true),
	C("@beginsWith abc", "abc", true),
	C("@beginsWith abc", "ab", false),		/* SLT */
	C("@beginsWith abc", "xabc", false),
	C("@beginsWith abc", "ABCdef", false),
	C("@beginsWith abc", "", false),		/* SLT */
	C("@beginsWith %{tx.word}", "abcdef", true),
	C("@beginsWith %{tx.word}", "xabc", false),
	C("@beginsWith %{tx.nothing}", "abc", true),	/* SLT */
	C("@beginsWith %{tx.nothing}", "", true),	/* SLT */
	C("!@beginsWith abc", "xabc", true),
	C("@endsWith ghi", "abcdefghi", true),		/* SLT */
	C("@endsWith abc", "abcdefghi", false),		/* SLT */
	C("@endsWith def", "abcdefghi", false),		/* SLT */
	C("@endsWith ghi", "abc\0ghi", true),
	C("@endsWith ghi", "ghix", false),
	C("@endsWith ghi", "abcGHI", false),
	C("@endsWith ghi", "", false),			/* SLT */
	C("@endsWith .php", "/index.php", true),
	C("@endsWith .php", "/index.php.bak", false),
	C("@endsWith %{tx.word}", "xxabc", true),
	C("@endsWith %{tx.nothing}", "abc", true),	/* SLT */
	C("!@endsWith .php", "/a.html", true),

	/* @streq: the whole value, with case (str_eq.cc) */
	C("@streq abcdefghi", "abcdefghi", true),	/* SLT */
	C("@streq abc", "abcdefghi", false),		/* SLT */
	C("@streq ghi", "abcdefghi", false),		/* SLT */
	C("@streq abc", "ABC", false),
	C("@streq abc", "abc ", false),
	C("@streq abc", "", false),			/* SLT */
	C("@streq %{tx.word}", "abc", true),
	C("@streq %{tx.word}", "abcd", false),
	C("@streq x%{tx.word}y", "xabcy", true),
	C("@streq %{tx.nothing}", "", true),		/* SLT */
	C("@streq %{tx.nothing}", "abc", false),	/* SLT */
	C("!@streq abc", "abd", true),
	C("!@streq abc", "abc", false),

	/*
	 * @within: true when the input is a substring of the argument, so
	 * part of a list item matches and an empty input always does
	 * (within.cc: str.empty() returns true first).
	 */
	C("@within abcdefghi", "abc", true),		/* SLT */
	C("@within abcdefghi", "def", true),		/* SLT */
	C("@within abcdefghi", "ghi", true),		/* SLT */
	C("@within abcdefghi", "ghij", false),		/* SLT */
	C("@within abcdefghi", "", true),		/* SLT */
	C("@within GET HEAD", "GET", true),
	C("@within GET HEAD", "POST", false),
	C("@within GET HEAD", "T H", true),
	C("@within GET HEAD", "get", false),
	C("@within %{tx.methods}", "HEAD", true),
	C("@within %{tx.methods}", "PUT", false),
	C("@within %{tx.nothing}", "abc", false),	/* SLT */
	C("@within %{tx.nothing}", "", true),		/* SLT */
	C("!@within GET HEAD", "POST", true),
	C("!@within GET HEAD", "", false),

	/*
	 * Numbers: @eq reads both sides with std::stoi, anything it refuses
	 * (no digits, or beyond int) being 0 (eq.cc); @ge @gt @le @lt with
	 * atoll (ge.cc...). Both skip leading white space, take a sign and
	 * the leading decimal digits.
	 */
	C("@eq 0", "", true),				/* SLT */
	C("@eq 5", "", false),				/* SLT */
	C("@eq xxx", "0", true),			/* SLT */
	C("@eq xxx", "5", false),			/* SLT */
	C("@eq 0", "xxx", true),			/* SLT */
	C("@eq 5", "5", true),				/* SLT */
	C("@eq 5", "10", false),			/* SLT */
	C("@eq 0", "-5", false),			/* SLT */
	C("@eq -3", "-3", true),
	C("@eq 5", "+5", true),
	C("@eq 12", "12abc", true),
	C("@eq 12", " \t12", true),
	C("@eq 0", "0x10", true),
	C("@eq 16", "0x10", false),
	C("@eq 0", "- 5", true),
	C("@eq 2147483647", "2147483647", true),
	C("@eq -2147483648", "-2147483648", true),
	/* 2^31 is out of stoi's range: it reads as 0 */
	C("@eq 0", "2147483648", true),
	C("@eq 2147483648", "2147483648", true),
	C("@eq %{tx.num}", "5", true),
	C("@eq %{tx.num}", "6", false),
	C("@eq %{tx.nothing}", "0", true),
	C("!@eq 5", "6", true),
	C("!@eq 5", "5", false),
	C("@gt 0", "", false),				/* SLT */
	C("@gt xxx", "5", true),			/* SLT */
	C("@gt xxx", "-1", false),			/* SLT */
	C("@gt -1", "xxx", true),			/* SLT */
	C("@gt 0", "-5", false),			/* SLT */
	C("@gt 0", "0", false),				/* SLT */
	C("@gt 0", "5", true),				/* SLT */
	C("@gt 5", "10", true),				/* SLT */
	C("@gt 5", "\t 7", true),
	C("@gt 5", "6px", true),
	/* atoll is 64 bits: nineteen digits compare in full */
	C("@gt 1100000000000000000", "1100000000000000001", true),
	C("@gt %{tx.num}", "6", true),
	C("@ge 0", "", true),				/* SLT */
	C("@ge 5", "", false),				/* SLT */
	C("@ge xxx", "-1", false),			/* SLT */
	C("@ge 5", "5", true),				/* SLT */
	C("@ge 5", "10", true),				/* SLT */
	C("@ge 5", "4", false),
	C("@ge -3", "-3", true),
	C("@ge 10", "9abc", false),
	C("@ge 10", "10abc", true),
	C("@ge %{tx.num}", "4", false),
	C("@le 5", "", true),				/* SLT */
	C("@le xxx", "-1", true),			/* SLT */
	C("@le xxx", "5", false),			/* SLT */
	C("@le 5", "5", true),				/* SLT */
	C("@le 5", "10", false),			/* SLT */
	C("@le -1", "-2", true),
	C("@lt 5", "", true),				/* SLT */
	C("@lt -1", "xxx", false),			/* SLT */
	C("@lt 0", "-5", true),				/* SLT */
	C("@lt 5", "5", false),				/* SLT */
	C("@lt 5", "10", false),			/* SLT */
	C("@lt 10", "9", true),				/* numbers, not text */
	C("@lt %{tx.num}", "4", true),
	C("!@lt 5", "10", true),

	/* @validateByteRange: true when a byte is outside the list
	 * (validate_byte_range.cc) */
	C("@validateByteRange 97-105", "abcdefghi", false),	/* SLT */
	C("@validateByteRange 97-105", "abcdefghij", true),	/* SLT */
	C("@validateByteRange 0-255", "", false),		/* SLT */
	C("@validateByteRange 0-255", "\x00\x7f\x80\xff", false),
	C("@validateByteRange 32-126", "hello world", false),
	C("@validateByteRange 32-126", "tab\there", true),
	C("@validateByteRange 32-126", "caf\xc3\xa9", true),
	C("@validateByteRange 32-126", "~\x7f", true),
	C("@validateByteRange 10,13,32-126", "line\r\n", false),
	C("@validateByteRange 10,13,32-126", "a\x0b" "b", true),
	C("@validateByteRange 65", "AAA", false),
	C("@validateByteRange 65", "AAB", true),
	C("@validateByteRange 48-57", "0189", false),
	C("@validateByteRange 48-57", "/", true),		/* 47 */
	C("@validateByteRange 48-57", ":", true),		/* 58 */
	C("@validateByteRange 1-255", "a\0b", true),
	C("@validateByteRange 0", "\0\0", false),
	C("@validateByteRange 128-255", "\x80\xff", false),
	C("@validateByteRange 128-255", "\x80\x7f", true),
	C("!@validateByteRange 48-57", "123", true),
	C("!@validateByteRange 48-57", "12a", false),

	/*
	 * @validateUrlEncoding: true at a '%' without two hex digits after
	 * it; an empty value is valid (validate_url_encoding.cc).
	 */
	C("@validateUrlEncoding", "", false),			/* SLT */
	C("@validateUrlEncoding", "Hello%20World!", false),	/* SLT */
	C("@validateUrlEncoding", "Hello+World!", false),	/* SLT */
	C("@validateUrlEncoding", "HelloWorld!", false),	/* SLT */
	C("@validateUrlEncoding", "%00Hello%20World!", false),	/* SLT */
	C("@validateUrlEncoding", "Hello%20World!%00", false),	/* SLT */
	C("@validateUrlEncoding", "%00", false),		/* SLT */
	C("@validateUrlEncoding", "%ff", false),		/* SLT */
	C("@validateUrlEncoding", "%FF%aB", false),
	C("@validateUrlEncoding", "%0", true),			/* SLT */
	C("@validateUrlEncoding", "%f", true),			/* SLT */
	C("@validateUrlEncoding", "%", true),			/* SLT */
	C("@validateUrlEncoding", "%0z", true),			/* SLT */
	C("@validateUrlEncoding", "%z0", true),			/* SLT */
	C("@validateUrlEncoding", "%0%", true),			/* SLT */
	C("@validateUrlEncoding", "100%", true),
	C("@validateUrlEncoding", "a%2", true),
	C("@validateUrlEncoding", "%%41", true),
	C("@validateUrlEncoding", "%g1x", true),
	C("!@validateUrlEncoding", "a%41", true),
	C("!@validateUrlEncoding", "a%4", false),

	/*
	 * @validateUtf8Encoding (validate_utf8_encoding.cc): true at a bad
	 * lead or continuation byte, a sequence cut short, an overlong
	 * form, a surrogate (U+D800..DFFF), or a lead byte of F5 and up.
	 */
	C("@validateUtf8Encoding", "", false),			/* SLT */
	C("@validateUtf8Encoding", "plain text", false),
	C("@validateUtf8Encoding", "caf\xc3\xa9", false),
	C("@validateUtf8Encoding", "\xe2\x82\xac", false),	/* U+20AC */
	C("@validateUtf8Encoding", "\xf0\x9f\x98\x80", false),	/* U+1F600 */
	C("@validateUtf8Encoding", "\xf4\x8f\xbf\xbf", false),	/* U+10FFFF */
	C("@validateUtf8Encoding", "\xc2\x80\xdf\xbf", false),
	C("@validateUtf8Encoding", "\xe0\xa0\x80\xef\xbf\xbf", false),
	C("@validateUtf8Encoding", "\xc0\x80", true),		/* overlong */
	C("@validateUtf8Encoding", "\xc1\x81", true),
	C("@validateUtf8Encoding", "\xe0\x80\xaf", true),
	C("@validateUtf8Encoding", "\xe0\x9f\xbf", true),
	C("@validateUtf8Encoding", "\xf0\x80\x80\xaf", true),
	C("@validateUtf8Encoding", "\xf0\x8f\xbf\xbf", true),
	C("@validateUtf8Encoding", "\xed\xa0\x80", true),	/* U+D800 */
	C("@validateUtf8Encoding", "a\xed\xbf\xbf" "b", true),	/* U+DFFF */
	C("@validateUtf8Encoding", "\xed\x9f\xbf", false),	/* U+D7FF */
	C("@validateUtf8Encoding", "\xee\x80\x80", false),	/* U+E000 */
	C("@validateUtf8Encoding", "\xc3", true),		/* cut short */
	C("@validateUtf8Encoding", "a\xe2\x82", true),
	C("@validateUtf8Encoding", "\xf0\x9f\x98", true),
	C("@validateUtf8Encoding", "\xc3(", true),		/* bad cont. */
	C("@validateUtf8Encoding", "\xe2\x28\xa1", true),
	C("@validateUtf8Encoding", "\xf0\x9f\x28\x80", true),
	C("@validateUtf8Encoding", "\x80", true),		/* lone cont. */
	C("@validateUtf8Encoding", "ab\xbf", true),
	C("@validateUtf8Encoding", "\xf8\x88\x80\x80\x80", true),
	C("@validateUtf8Encoding", "\xfe", true),
	C("@validateUtf8Encoding", "\xe4", true),		/* SLT */
	C("@validateUtf8Encoding", "\x03\xbf", true),		/* SLT */
	C("@validateUtf8Encoding", "\xc9\x3b", true),		/* SLT */
	C("@validateUtf8Encoding", "\xff\0", true),		/* SLT */
	C("@validateUtf8Encoding", "\0\xe4", true),		/* SLT */
	C("@validateUtf8Encoding", "\xf5\x80\x80\x80", true),	/* > U+13FFFF */
	C("@validateUtf8Encoding", "\xf7\xbf\xbf\xbf", true),
	/* U+110000..13FFFF: v3 refuses only the lead bytes F5 and up, and
	 * checks no code point limit after decoding: F4 90 80 80 passes.
	 * The one case here where meshgate differs on purpose: RFC 3629
	 * ends UTF-8 at U+10FFFF, and so does its validator. */
	C("@validateUtf8Encoding", "\xf4\x90\x80\x80", true),
	C("!@validateUtf8Encoding", "caf\xc3\xa9", true),
	C("!@validateUtf8Encoding", "\xc3", false),

	/*
	 * @ipMatch: addresses and CIDR blocks, comma-separated; IPv4 values
	 * are looked up among the IPv4 entries only, IPv6 values among the
	 * IPv6 ones (utils/msc_tree.cc tree_contains_ip); anything
	 * inet_pton refuses does not match.
	 */
	C("@ipMatch 10.10.10.10", "10.10.10.10", true),		/* SLT */
	C("@ipMatch 10.10.10.10", "10.10.10.11", false),	/* SLT */
	C("@ipMatch 10.10.10.0/21", "10.10.8.1", true),		/* SLT */
	C("@ipMatch 10.10.10.0/21", "10.10.15.254", true),	/* SLT */
	C("@ipMatch 10.10.10.0/21", "10.10.7.254", false),	/* SLT */
	C("@ipMatch 10.10.10.0/21", "10.10.16.1", false),	/* SLT */
	C("@ipMatch 156.149.249.1/8", "156.149.152.152", true),	/* SLT */
	C("@ipMatch 156.149.249.1/8", "10.10.10.11", false),	/* SLT */
	C("@ipMatch 10.0.0.0/2", "10.10.10.11", true),		/* SLT */
	C("@ipMatch 192.0.2.1,198.51.100.0/24,203.0.113.7",
	  "198.51.100.200", true),
	C("@ipMatch 192.0.2.1,198.51.100.0/24,203.0.113.7", "203.0.113.7",
	  true),
	C("@ipMatch 192.0.2.1,198.51.100.0/24,203.0.113.7", "192.0.2.1",
	  true),
	C("@ipMatch 192.0.2.1,198.51.100.0/24,203.0.113.7", "192.0.2.2",
	  false),
	C("@ipMatch 2001:db8::/32", "2001:0db8:ffff:ffff:ffff:ffff:ff00:00ff",
	  true),						/* SLT */
	C("@ipMatch 2001:db8::/63", "2001:0db8:ffff:ffff:ffff:ffff:ff00:00ff",
	  false),						/* SLT */
	C("@ipMatch ::1", "0000:0000:0000:0000:0000:0000:0000:0001", true),
	C("@ipMatch ::1", "::2", false),
	C("@ipMatch fe80::/127", "fe80::1", true),		/* SLT */
	C("@ipMatch fe80::/127", "fe80::2", false),		/* SLT */
	C("@ipMatch 2002::/52", "2002:0:0:fff:ffff:ffff:ffff:ffff", true),
	C("@ipMatch 2002::/52", "2002:0:0:1000::", false),	/* SLT */
	C("@ipMatch 2001:DB8::8:800:200C:417A",
	  "2001:0db8:0000:0000:0008:0800:200c:417a", true),	/* SLT */
	C("@ipMatch 192.0.2.0/24,2001:db8::/32", "2001:db8::1", true),
	C("@ipMatch 192.0.2.0/24,2001:db8::/32", "192.0.2.9", true),
	C("@ipMatch 192.0.2.0/24,2001:db8::/32", "2001:db9::1", false),
	C("@ipMatch 192.0.2.0/24", "not-an-ip", false),
	C("@ipMatch 192.0.2.0/24", "", false),
	C("@ipMatch 192.0.2.0/24", "192.0.2.300", false),
	C("@ipMatch 192.0.2.0/24", "192.0.2.1/24", false),
	C("@ipMatch ::1", "127.0.0.1", false),
	/* an IPv4-mapped IPv6 value is not in an IPv4 block */
	C("@ipMatch 192.0.2.0/24", "::ffff:192.0.2.7", false),
	C("!@ipMatch 192.0.2.0/24", "198.51.100.1", true),
	C("!@ipMatch 192.0.2.0/24", "192.0.2.1", false),

	/* @unconditionalMatch: always (unconditional_match.cc) */
	C("@unconditionalMatch", "abc", true),			/* SLT */
	C("@unconditionalMatch", "", true),			/* SLT */
	C("!@unconditionalMatch", "abc", false),

	/* @detectSQLi, @detectXSS: meshgate's own detectors; obvious
	 * attacks and plain values only */
	C("@detectSQLi", "1' OR '1'='1", true),
	C("@detectSQLi", "1 UNION SELECT password FROM users--", true),
	C("@detectSQLi", "1; drop table users", true),
	C("@detectSQLi", "hello world", false),
	C("@detectSQLi", "Tom and Jerry", false),
	C("@detectSQLi", "", false),
	C("!@detectSQLi", "hello world", true),
	C("@detectXSS", "<script>alert(1)</script>", true),
	C("@detectXSS", "<img src=x onerror=alert(1)>", true),
	C("@detectXSS", "hello world", false),
	C("@detectXSS", "see <b>bold</b> text", false),
	C("@detectXSS", "", false),
	C("!@detectXSS", "hello world", true),
};

static char err[MG_WAF_ERRLEN];
static char rules_name[256];	/* "<tmpdir>/ops.conf": @pmFromFile's base */

/* A value for messages: C escapes for what is not printable. */
static const char *
printable(const char *s, size_t len)
{
	static char buf[512];
	size_t o = 0;

	for (size_t i = 0; i < len && o + 5 < sizeof(buf); i++) {
		unsigned char b = (unsigned char)s[i];

		if (b >= 0x20 && b < 0x7f && b != '\\')
			buf[o++] = (char)b;
		else
			o += (size_t)snprintf(buf + o, sizeof(buf) - o,
					      "\\x%02x", b);
	}
	buf[o] = '\0';
	return buf;
}

/* "GET /?v=<value, %-encoded> HTTP/1.1" */
static size_t
request(char *out, size_t cap, const char *in, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = (size_t)snprintf(out, cap, "GET /?v=");

	for (size_t i = 0; i < len && o + 4 < cap; i++) {
		unsigned char b = (unsigned char)in[i];

		if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') ||
		    (b >= '0' && b <= '9') || b == '-' || b == '.' ||
		    b == '_' || b == '~') {
			out[o++] = (char)b;
		} else {
			out[o++] = '%';
			out[o++] = hex[b >> 4];
			out[o++] = hex[b & 15];
		}
	}
	o += (size_t)snprintf(out + o, cap - o,
			      " HTTP/1.1\r\nHost: h\r\n\r\n");
	return o;
}

/* Rules and a context in one engine; mode 1: every rule on its own */
struct engine {
	struct mg_waf_ruleset *rs;
	struct mg_waf_ctx *ctx;
};

static int
engine_load(struct engine *e, const char *rules, int mode, int line)
{
	/* small buffers: the values are short, and every page of a
	 * context's buffers is a page fault when it is created */
	struct mg_waf_conf conf = { .no_scan_sets = mode == 1,
				    .no_fold = mode == 1,
				    .body_limit = 16 << 10,
				    .arena_size = 64 << 10 };

	e->ctx = NULL;
	e->rs = mg_waf_load_text(rules_name, rules, &conf, err, sizeof(err));
	if (e->rs == NULL) {
		fprintf(stderr, "%s:%d: %s\n", __FILE__, line, err);
		mg_test_failures++;
		return -1;
	}
	e->ctx = mg_waf_ctx_create(e->rs, &conf);
	if (e->ctx == NULL) {
		fprintf(stderr, "%s:%d: no context\n", __FILE__, line);
		mg_test_failures++;
		mg_waf_ruleset_free(e->rs);
		e->rs = NULL;
		return -1;
	}
	return 0;
}

static void
engine_free(struct engine *e)
{
	mg_waf_ctx_free(e->ctx);
	mg_waf_ruleset_free(e->rs);
	e->ctx = NULL;
	e->rs = NULL;
}

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

/* Whether two cases use the same operator: "@rx" of "!@rx ^a" */
static bool
same_operator(const char *a, const char *b)
{
	size_t na, nb;

	a += *a == '!';
	b += *b == '!';
	na = strcspn(a, " ");
	nb = strcspn(b, " ");
	return na == nb && memcmp(a, b, na) == 0;
}

/*
 * Rules for the cases [first, end) of one operator, one rule for each
 * operator text (id 1, 2...), and the id of each case's in rule_of[].
 * Returns -1 when the text does not fit.
 */
static int
group_rules(size_t first, size_t end, unsigned *rule_of, char *out,
	    size_t cap)
{
	size_t o = (size_t)snprintf(out, cap, "%s", setup);
	unsigned next = 0;

	for (size_t i = first; i < end && o < cap; i++) {
		size_t j;

		for (j = first; j < i; j++)
			if (strcmp(cases[j].op, cases[i].op) == 0)
				break;
		if (j < i) {
			rule_of[i] = rule_of[j];
			continue;
		}
		rule_of[i] = ++next;
		o += (size_t)snprintf(out + o, cap - o, "SecRule ARGS:v \"%s\" "
				      "\"id:%u,phase:2,pass,log\"\n",
				      cases[i].op, next);
	}
	return o < cap ? 0 : -1;
}

/* Whether rule id fired in res */
static bool
fired(const struct mg_waf_result *res, uint32_t id)
{
	for (unsigned k = 0; k < res->n_matches; k++)
		if (res->matches[k].rule_id == id)
			return true;
	return false;
}

/*
 * The table: the cases of one operator share a rule set, loaded once,
 * where each case reads its own rule's verdict. Returns the number of
 * cases that differ from ModSecurity.
 */
static unsigned
test_cases(void)
{
	static unsigned rule_of[N_CASES];
	unsigned differ = 0;

	for (size_t first = 0, end; first < N_CASES; first = end) {
		struct engine eng[2];
		char rules[4096];

		for (end = first + 1; end < N_CASES &&
		     same_operator(cases[first].op, cases[end].op); end++)
			;
		if (group_rules(first, end, rule_of, rules, sizeof(rules))) {
			fprintf(stderr, "%s:%d: rules too long\n", __FILE__,
				cases[first].line);
			mg_test_failures++;
			continue;
		}
		for (int m = 0; m < 2; m++)
			(void)engine_load(&eng[m], rules, m, cases[first].line);
		for (size_t i = first; i < end; i++) {
			const struct op_case *c = &cases[i];
			char req[1024];
			size_t rlen = request(req, sizeof(req), c->in,
					      c->in_len);
			bool bad = false;

			for (int m = 0; m < 2; m++) {
				struct mg_waf_result res;
				bool got;
				int rc;

				if (eng[m].ctx == NULL)
					continue;
				rc = mg_waf_eval(eng[m].ctx,
						 (const uint8_t *)req, rlen,
						 NULL, &res);
				got = fired(&res, rule_of[i]);
				mg_test_checks++;
				if (rc == MG_WAF_PASS && !res.truncated &&
				    got == c->match)
					continue;
				fprintf(stderr, "%s:%d: %s on \"%s\": %s, "
					"ModSecurity: %s (%s)\n", __FILE__,
					c->line, c->op,
					printable(c->in, c->in_len),
					rc != MG_WAF_PASS || res.truncated ?
					"error" : got ? "match" : "no match",
					c->match ? "match" : "no match",
					m ? "every rule on its own" :
					"scan sets");
				mg_test_failures++;
				bad = true;
			}
			differ += bad;
		}
		for (int m = 0; m < 2; m++)
			engine_free(&eng[m]);
	}
	return differ;
}

/*
 * Evaluate req on rules in both engines: the fired ids must be want and,
 * when data is not NULL, the first match's logdata must be data.
 */
static void
expect(const char *rules, const char *req, const char *want,
       const char *data, int line)
{
	for (int m = 0; m < 2; m++) {
		struct engine e;
		struct mg_waf_result res;
		char ids[64];
		const char *got;

		if (engine_load(&e, rules, m, line) < 0)
			continue;
		mg_waf_eval(e.ctx, (const uint8_t *)req, strlen(req), NULL,
			    &res);
		mg_waf_rule_ids(&res, ids, sizeof(ids));
		mg_test_checks++;
		if (strcmp(ids, want) != 0) {
			fprintf(stderr, "%s:%d: fired [%s], want [%s] (%s)\n",
				__FILE__, line, ids, want,
				m ? "every rule on its own" : "scan sets");
			mg_test_failures++;
		}
		if (data != NULL) {
			got = res.n_matches ? res.matches[0].data : NULL;
			mg_test_checks++;
			if (got == NULL || strcmp(got, data) != 0) {
				fprintf(stderr, "%s:%d: logdata \"%s\", want "
					"\"%s\" (%s)\n", __FILE__, line,
					got ? got : "(none)", data,
					m ? "every rule on its own" :
					"scan sets");
				mg_test_failures++;
			}
		}
		engine_free(&e);
	}
}
#define EXPECT(rules, req, want, data) \
	expect(rules, req, want, data, __LINE__)

#define REQ(query) "GET /?" query " HTTP/1.1\r\nHost: h\r\n\r\n"

/*
 * capture (rx.cc): TX.0 is the whole match and TX.1.. the groups, for a
 * group that took part; without the capture action nothing is stored.
 * @pm with capture stores the phrase as the rule writes it, not the
 * input's text (pm.cc, acmp.cc: the node's text is the pattern's).
 */
static void
test_captures(void)
{
	static const char groups[] =
		"SecRule ARGS:v \"@rx ^([a-z]+)-(\\d+)$\" \"id:1,phase:2,"
		"pass,log,capture,logdata:'%{TX.0}|%{TX.1}|%{TX.2}',chain\"\n"
		"  SecRule TX:1 \"@streq item\" \"chain\"\n"
		"  SecRule TX:2 \"@eq 42\"\n";
	static const char no_capture[] =
		"SecRule ARGS:v \"@rx ^(a)\" \"id:1,phase:2,pass,log\"\n"
		"SecRule &TX:0 \"@eq 0\" \"id:2,phase:2,pass,log\"\n"
		"SecRule &TX:1 \"@eq 0\" \"id:3,phase:2,pass,log\"\n";
	static const char unset_group[] =
		"SecRule ARGS:v \"@rx ^(a)?(b)$\" \"id:1,phase:2,pass,log,"
		"capture\"\n"
		"SecRule &TX:1 \"@eq 0\" \"id:2,phase:2,pass,log\"\n"
		"SecRule TX:2 \"@streq b\" \"id:3,phase:2,pass,log\"\n";
	static const char pm_phrase[] =
		"SecRule ARGS:v \"@pm bar Foo\" \"id:1,phase:2,pass,log,"
		"capture,logdata:'%{TX.0}'\"\n"
		"SecRule TX:0 \"@streq Foo\" \"id:2,phase:2,pass,log\"\n";
	static const char pm_lower[] =
		"SecRule ARGS:v \"@pm foo\" \"id:1,phase:2,pass,log,"
		"capture,logdata:'%{TX.0}'\"\n";
	static const char from_tx[] =
		"SecRule ARGS:v \"@rx ^(\\w+)=\" \"id:1,phase:2,pass,nolog,"
		"capture,chain\"\n"
		"  SecRule ARGS:w \"@within %{tx.1} lists\" \"setvar:tx.ok=1\"\n"
		"SecRule TX:ok \"@eq 1\" \"id:2,phase:2,pass,log\"\n";

	EXPECT(groups, REQ("v=item-42"), "1", "item-42|item|42");
	EXPECT(groups, REQ("v=item-43"), "", NULL);
	EXPECT(groups, REQ("v=Item-42"), "", NULL);
	EXPECT(no_capture, REQ("v=abc"), "1,2,3", NULL);
	EXPECT(unset_group, REQ("v=b"), "1,2,3", NULL);
	EXPECT(unset_group, REQ("v=ab"), "1,3", NULL);
	EXPECT(pm_phrase, REQ("v=xxFOOxx"), "1,2", "Foo");
	EXPECT(pm_lower, REQ("v=xxFOOxx"), "1", "foo");
	/* a capture expanded in the next rule's @within argument */
	EXPECT(from_tx, REQ("v=lis%3D1&w=lis"), "2", NULL);
	EXPECT(from_tx, REQ("v=lis%3D1&w=xyz"), "", NULL);
}

/* @pmFromFile with an absolute path, and a file that is not there */
static void
test_pm_file_paths(const char *dir)
{
	char rules[1024];
	struct mg_waf_conf conf = { 0 };
	struct mg_waf_ruleset *rs;

	snprintf(rules, sizeof(rules), "SecRule ARGS:v \"@pmFromFile %s/"
		 PHRASE_FILE "\" \"id:1,phase:2,pass,log\"\n", dir);
	EXPECT(rules, REQ("v=xxabcxx"), "1", NULL);
	EXPECT(rules, REQ("v=xyz"), "", NULL);
	/* v3 refuses the rule: "Failed to open file" (pm_from_file.cc) */
	rs = mg_waf_load_text(rules_name, "SecRule ARGS:v \"@pmFromFile "
			      "no-such-file.txt\" \"id:1,phase:2,pass\"\n",
			      &conf, err, sizeof(err));
	MG_CHECK(rs == NULL);
	mg_waf_ruleset_free(rs);
}

int
main(void)
{
	char dir[] = "/tmp/test_waf_ops.XXXXXX";
	char path[512];
	unsigned differ;
	FILE *f;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	snprintf(rules_name, sizeof(rules_name), "%s/ops.conf", dir);
	snprintf(path, sizeof(path), "%s/" PHRASE_FILE, dir);
	f = fopen(path, "w");
	if (f == NULL || fputs(phrases, f) < 0 || fclose(f) != 0) {
		perror(path);
		return EXIT_FAILURE;
	}

	differ = test_cases();
	test_captures();
	test_pm_file_paths(dir);

	unlink(path);
	rmdir(dir);
	printf("test_waf_ops: %zu cases, %u differ from ModSecurity\n",
	       N_CASES, differ);
	return mg_test_done("test_waf_ops");
}
