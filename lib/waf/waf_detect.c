/* SPDX-License-Identifier: Apache-2.0 */
/*
 * @detectSQLi and @detectXSS without libinjection: small tokenizers and a
 * grammar of injection shapes over the token classes (see waf_detect.h).
 * Everything is on the stack and linear in the input.
 */
#include <pthread.h>
#include <string.h>
#include <strings.h>

#include "waf_detect.h"

/* ---------------------------------------------------------------- SQL */

/*
 * Token classes, one letter each (they make the fingerprint):
 *   s string	1 number or literal	n name		v @variable
 *   k keyword	E statement		U union		f function
 *   & and/or	o operator		c comment	( ) , ; .
 *   X anything else
 */
struct sql_tok {
	char type;
	uint8_t flags;
	const uint8_t *p;
	uint32_t len;
};

#define TOK_CLOSED	1	/* string: its closing quote was seen */
#define TOK_COMPARE	2	/* operator: a comparison */
#define TOK_DANGER	4	/* function or keyword used mostly in attacks */
#define TOK_STRONG	8	/* keyword that continues an injected query */
#define TOK_HEX		16	/* number: 0x... */

#define SQL_MAX_TOKENS 64

struct sql_lexer {
	const uint8_t *s;
	size_t len, pos;
	bool in_exec_comment;		/* inside MySQL's executable comment */
};

struct word {
	const char *w;
	char type;
	uint8_t flags;
	uint8_t len;
};

#define W(w, type, flags) { w, type, flags, sizeof(w) - 1 }

/* Lower-case, in no order: looked up through their slots (word_find). */
static const struct word sql_words[] = {
	W("select", 'E', 0), W("insert", 'E', 0), W("update", 'E', 0),
	W("delete", 'E', 0), W("drop", 'E', 0), W("create", 'E', 0),
	W("alter", 'E', 0), W("truncate", 'E', 0), W("replace", 'E', 0),
	W("exec", 'E', TOK_DANGER), W("execute", 'E', TOK_DANGER),
	W("declare", 'E', TOK_DANGER), W("shutdown", 'E', TOK_DANGER),
	W("grant", 'E', 0), W("revoke", 'E', 0), W("rename", 'E', 0),
	W("handler", 'E', 0), W("call", 'E', 0), W("merge", 'E', 0),
	W("union", 'U', 0),
	W("and", '&', 0), W("or", '&', 0), W("xor", '&', 0),
	W("like", 'o', TOK_COMPARE), W("rlike", 'o', TOK_COMPARE),
	W("regexp", 'o', TOK_COMPARE), W("is", 'o', TOK_COMPARE),
	W("in", 'o', TOK_COMPARE), W("between", 'o', TOK_COMPARE),
	W("sounds", 'o', TOK_COMPARE), W("div", 'o', 0), W("mod", 'o', 0),
	W("null", '1', 0), W("true", '1', 0), W("false", '1', 0),
	W("from", 'k', 0), W("where", 'k', TOK_STRONG),
	W("into", 'k', TOK_STRONG), W("values", 'k', 0), W("table", 'k', 0),
	W("set", 'k', 0), W("having", 'k', TOK_STRONG),
	W("limit", 'k', TOK_STRONG), W("offset", 'k', 0),
	W("order", 'k', 0), W("group", 'k', 0), W("by", 'k', 0),
	W("procedure", 'k', TOK_STRONG), W("as", 'k', 0),
	W("case", 'k', 0), W("when", 'k', 0), W("then", 'k', 0),
	W("else", 'k', 0), W("end", 'k', 0), W("exists", 'k', 0),
	W("all", 'k', 0), W("distinct", 'k', 0), W("join", 'k', 0),
	W("waitfor", 'k', TOK_DANGER), W("delay", 'k', 0),
	W("collate", 'k', 0), W("escape", 'k', 0), W("top", 'k', 0),
	W("database", 'k', 0), W("schema", 'k', 0),
	W("outfile", 'k', TOK_DANGER), W("dumpfile", 'k', TOK_DANGER),
};

/* Functions that ordinary input has no business calling. */
static const struct word sql_danger_fn[] = {
	W("sleep", 'f', TOK_DANGER), W("benchmark", 'f', TOK_DANGER),
	W("pg_sleep", 'f', TOK_DANGER), W("load_file", 'f', TOK_DANGER),
	W("extractvalue", 'f', TOK_DANGER), W("updatexml", 'f', TOK_DANGER),
	W("xp_cmdshell", 'f', TOK_DANGER), W("sys_exec", 'f', TOK_DANGER),
	W("sys_eval", 'f', TOK_DANGER), W("utl_inaddr", 'f', TOK_DANGER),
	W("utl_http", 'f', TOK_DANGER), W("dbms_pipe", 'f', TOK_DANGER),
	W("char", 'f', TOK_DANGER), W("chr", 'f', TOK_DANGER),
	W("concat", 'f', TOK_DANGER), W("concat_ws", 'f', TOK_DANGER),
	W("ascii", 'f', TOK_DANGER), W("ord", 'f', TOK_DANGER),
	W("hex", 'f', TOK_DANGER), W("unhex", 'f', TOK_DANGER),
	W("substring", 'f', TOK_DANGER), W("substr", 'f', TOK_DANGER),
	W("mid", 'f', TOK_DANGER), W("version", 'f', TOK_DANGER),
	W("user", 'f', TOK_DANGER), W("current_user", 'f', TOK_DANGER),
	W("database", 'f', TOK_DANGER), W("schema", 'f', TOK_DANGER),
	W("group_concat", 'f', TOK_DANGER), W("if", 'f', TOK_DANGER),
	W("ifnull", 'f', TOK_DANGER), W("cast", 'f', TOK_DANGER),
	W("convert", 'f', TOK_DANGER), W("count", 'f', TOK_DANGER),
	W("elt", 'f', TOK_DANGER), W("make_set", 'f', TOK_DANGER),
	W("name_const", 'f', TOK_DANGER), W("exp", 'f', TOK_DANGER),
	W("floor", 'f', TOK_DANGER), W("rand", 'f', TOK_DANGER),
	W("randomblob", 'f', TOK_DANGER), W("sqlite_version", 'f', TOK_DANGER),
	W("pg_read_file", 'f', TOK_DANGER), W("lo_import", 'f', TOK_DANGER),
	W("openrowset", 'f', TOK_DANGER), W("opendatasource", 'f', TOK_DANGER),
	W("openquery", 'f', TOK_DANGER), W("dbms_xmlgen", 'f', TOK_DANGER),
	W("xmltype", 'f', TOK_DANGER), W("ctxsys", 'f', TOK_DANGER),
	W("geometrycollection", 'f', TOK_DANGER), W("polygon", 'f', TOK_DANGER),
	W("multipoint", 'f', TOK_DANGER), W("json_keys", 'f', TOK_DANGER),
	W("row", 'f', TOK_DANGER), W("gtid_subset", 'f', TOK_DANGER),
};

static inline uint8_t
lc(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

#define NWORDS(list) (sizeof(list) / sizeof((list)[0]))
#define WORD_SLOTS 256		/* a power of two, over twice either list */

_Static_assert(NWORDS(sql_words) < WORD_SLOTS / 2 &&
	       NWORDS(sql_danger_fn) < WORD_SLOTS / 2, "word slots");

/*
 * Both lists hashed once, open addressing: a token costs a probe or two
 * instead of a pass over the list (that pass was 970k of the 7.6M
 * instructions a 4 KiB form costs without the scan memo). Slots hold the
 * entry's index + 1; a word's first entry is met first, as in the list.
 */
static uint8_t sql_word_slot[WORD_SLOTS], sql_fn_slot[WORD_SLOTS];
static pthread_once_t word_slots_once = PTHREAD_ONCE_INIT;

static unsigned
word_hash(const uint8_t *p, size_t n)
{
	return (lc(p[0]) * 33u + lc(p[n - 1]) * 7u + (unsigned)n * 131u) &
	       (WORD_SLOTS - 1);
}

static void
slots_fill(const struct word *list, size_t count, uint8_t *slot)
{
	for (size_t k = 0; k < count; k++) {
		unsigned h = word_hash((const uint8_t *)list[k].w, list[k].len);

		while (slot[h] != 0)
			h = (h + 1) & (WORD_SLOTS - 1);
		slot[h] = (uint8_t)(k + 1);
	}
}

static void
word_slots_fill(void)
{
	slots_fill(sql_words, NWORDS(sql_words), sql_word_slot);
	slots_fill(sql_danger_fn, NWORDS(sql_danger_fn), sql_fn_slot);
}

/* The entry of list (slots: its slots) that p[0..n) spells, ignoring case. */
static const struct word *
word_find(const struct word *list, const uint8_t *slot, const uint8_t *p,
	  size_t n)
{
	if (n == 0)
		return NULL;
	pthread_once(&word_slots_once, word_slots_fill);
	for (unsigned h = word_hash(p, n); slot[h] != 0;
	     h = (h + 1) & (WORD_SLOTS - 1)) {
		const struct word *w = &list[slot[h] - 1];
		size_t i;

		if (w->len != n)
			continue;
		for (i = 0; i < n && lc(p[i]) == (uint8_t)w->w[i]; i++)
			;
		if (i == n)
			return w;
	}
	return NULL;
}

static bool
word_is(const uint8_t *p, size_t n, const char *w)
{
	size_t i;

	for (i = 0; i < n && w[i]; i++)
		if (lc(p[i]) != (uint8_t)w[i])
			return false;
	return i == n && w[i] == 0;
}

static inline bool
is_ws(uint8_t c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || c == 0xa0;
}

static inline bool
is_word_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '$' || c >= 0x80;
}

static inline bool
is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* A string from pos (just after the quote q): '' and \x are escapes. */
static void
sql_string(struct sql_lexer *lx, uint8_t q, struct sql_tok *t)
{
	const uint8_t *s = lx->s;
	size_t i = lx->pos;

	t->type = 's';
	t->p = s + i;
	while (i < lx->len) {
		if (s[i] == '\\' && q != '`') {
			i += 2;
			continue;
		}
		if (s[i] == q) {
			if (i + 1 < lx->len && s[i + 1] == q) {
				i += 2;
				continue;
			}
			t->len = (uint32_t)(i - (size_t)(t->p - s));
			t->flags |= TOK_CLOSED;
			lx->pos = i + 1;
			return;
		}
		i++;
	}
	if (i > lx->len)
		i = lx->len;
	t->len = (uint32_t)(i - (size_t)(t->p - s));
	lx->pos = lx->len;
}

static void
sql_word(struct sql_lexer *lx, struct sql_tok *t)
{
	const uint8_t *s = lx->s;
	const struct word *kw;
	size_t i = lx->pos, j;

	while (i < lx->len && (is_word_char(s[i]) ||
			       (s[i] == '.' && i + 1 < lx->len &&
				is_word_char(s[i + 1]))))
		i++;
	t->p = s + lx->pos;
	t->len = (uint32_t)(i - lx->pos);
	lx->pos = i;
	t->type = 'n';
	kw = word_find(sql_words, sql_word_slot, t->p, t->len);
	if (kw != NULL) {
		t->type = kw->type;
		t->flags = kw->flags;
	}
	for (j = i; j < lx->len && is_ws(s[j]); j++)
		;
	/*
	 * Word operators are English words too: they compare only when
	 * what follows looks like SQL (in (...), is null, like '...',
	 * between 1).
	 */
	if (t->type == 'o' && (t->flags & TOK_COMPARE)) {
		uint8_t nx = j < lx->len ? s[j] : 0;
		bool sql_like;

		if (word_is(t->p, t->len, "in"))
			sql_like = nx == '(';
		else if (word_is(t->p, t->len, "is"))
			sql_like = j + 4 <= lx->len &&
				   (word_is(s + j, 4, "null") ||
				    word_is(s + j, 3, "not") ||
				    word_is(s + j, 4, "true"));
		else
			sql_like = nx == '\'' || nx == '"' || is_digit(nx) ||
				   nx == '(' || nx == '@';
		if (!sql_like) {
			t->type = 'n';
			t->flags = 0;
		}
	}
	/* a name or a harmless keyword right before '(' is a call */
	if (j < lx->len && s[j] == '(' &&
	    (t->type == 'n' || (t->type == 'k' && !(t->flags & TOK_STRONG) &&
				!word_is(t->p, t->len, "values") &&
				!word_is(t->p, t->len, "exists")))) {
		t->type = 'f';
		t->flags = word_find(sql_danger_fn, sql_fn_slot, t->p,
				     t->len) ? TOK_DANGER : 0;
	}
}

static void
sql_number(struct sql_lexer *lx, struct sql_tok *t)
{
	const uint8_t *s = lx->s;
	size_t i = lx->pos;

	t->type = '1';
	t->p = s + i;
	if (i + 1 < lx->len && s[i] == '0' && (lc(s[i + 1]) == 'x' ||
					       lc(s[i + 1]) == 'b')) {
		t->flags = TOK_HEX;
		i += 2;
		while (i < lx->len && is_word_char(s[i]))
			i++;
	} else {
		while (i < lx->len && is_digit(s[i]))
			i++;
		if (i < lx->len && s[i] == '.')
			for (i++; i < lx->len && is_digit(s[i]); i++)
				;
		if (i + 1 < lx->len && lc(s[i]) == 'e' &&
		    (is_digit(s[i + 1]) || s[i + 1] == '+' ||
		     s[i + 1] == '-'))
			for (i += 2; i < lx->len && is_digit(s[i]); i++)
				;
	}
	t->len = (uint32_t)(i - lx->pos);
	lx->pos = i;
}

static void
sql_operator(struct sql_lexer *lx, struct sql_tok *t)
{
	static const char *const ops2[] = {
		"<=>", "||", "&&", "<>", "!=", "<=", ">=", ":=", "<<", ">>",
		"==",
	};
	const uint8_t *s = lx->s + lx->pos;
	size_t left = lx->len - lx->pos;

	t->p = s;
	t->type = 'o';
	for (size_t k = 0; k < sizeof(ops2) / sizeof(ops2[0]); k++) {
		size_t n = strlen(ops2[k]);

		if (left >= n && memcmp(s, ops2[k], n) == 0) {
			t->len = (uint32_t)n;
			lx->pos += n;
			if (s[0] == '|' || s[0] == '&')
				t->type = '&';
			else if (s[0] != '<' || s[1] != '<')
				t->flags = TOK_COMPARE;
			return;
		}
	}
	t->len = 1;
	lx->pos++;
	if (s[0] == '=' || s[0] == '<' || s[0] == '>')
		t->flags = TOK_COMPARE;
}

/* Next token; false at the end. Closed comments are whitespace. */
static bool
sql_next(struct sql_lexer *lx, struct sql_tok *t)
{
	const uint8_t *s = lx->s;

	memset(t, 0, sizeof(*t));
	for (;;) {
		uint8_t c;

		while (lx->pos < lx->len && is_ws(s[lx->pos]))
			lx->pos++;
		if (lx->pos >= lx->len)
			return false;
		c = s[lx->pos];
		if (c == '/' && lx->pos + 1 < lx->len && s[lx->pos + 1] == '*') {
			const uint8_t *e;

			if (lx->pos + 2 < lx->len && s[lx->pos + 2] == '!') {
				/* MySQL runs what is inside */
				lx->pos += 3;
				while (lx->pos < lx->len && is_digit(s[lx->pos]))
					lx->pos++;
				lx->in_exec_comment = true;
				continue;
			}
			e = memmem(s + lx->pos + 2, lx->len - lx->pos - 2, "*/",
				   2);
			if (e != NULL) {
				lx->pos = (size_t)(e - s) + 2;
				continue;
			}
			t->type = 'c';
			t->p = s + lx->pos;
			t->len = (uint32_t)(lx->len - lx->pos);
			lx->pos = lx->len;
			return true;
		}
		if (c == '*' && lx->in_exec_comment && lx->pos + 1 < lx->len &&
		    s[lx->pos + 1] == '/') {
			lx->in_exec_comment = false;
			lx->pos += 2;
			continue;
		}
		break;
	}
	{
		uint8_t c = s[lx->pos];
		bool line_comment = c == '#' ||
			(c == '-' && lx->pos + 1 < lx->len &&
			 s[lx->pos + 1] == '-' && (lx->pos + 2 == lx->len ||
						   s[lx->pos + 2] <= ' '));

		if (line_comment) {
			const uint8_t *nl = memchr(s + lx->pos, '\n',
						   lx->len - lx->pos);

			t->type = 'c';
			t->p = s + lx->pos;
			lx->pos = nl ? (size_t)(nl - s) + 1 : lx->len;
			t->len = (uint32_t)(lx->pos - (size_t)(t->p - s));
			return true;
		}
		if (c == '\'' || c == '"' || c == '`') {
			lx->pos++;
			sql_string(lx, c, t);
			if (c == '`')
				t->type = 'n';	/* a quoted identifier */
			return true;
		}
		if (is_digit(c) || (c == '.' && lx->pos + 1 < lx->len &&
				    is_digit(s[lx->pos + 1]))) {
			sql_number(lx, t);
			return true;
		}
		if (c == '@') {
			size_t i = lx->pos + 1;

			if (i < lx->len && s[i] == '@')
				i++;
			while (i < lx->len && (is_word_char(s[i]) ||
					       s[i] == '.'))
				i++;
			t->type = 'v';
			t->p = s + lx->pos;
			t->len = (uint32_t)(i - lx->pos);
			lx->pos = i;
			return true;
		}
		if (is_word_char(c)) {
			sql_word(lx, t);
			return true;
		}
		if (strchr("=<>!|&+-*/%^~:", c) != NULL) {
			sql_operator(lx, t);
			return true;
		}
		t->type = strchr("(),;.", c) != NULL ? (char)c : 'X';
		t->p = s + lx->pos;
		t->len = 1;
		lx->pos++;
		return true;
	}
}

/*
 * Tokens as an attacker's fragment would be read after a break out of
 * context q (0: none). Folds what does not change the shape: "union all",
 * "order by", a sign before a number, "not", adjacent strings, a value
 * joined to a value by arithmetic.
 */
static size_t
sql_tokens(const uint8_t *s, size_t len, uint8_t q, struct sql_tok *out)
{
	struct sql_lexer lx = { .s = s, .len = len };
	size_t n = 0;

	if (q != 0) {
		sql_string(&lx, q, &out[0]);
		n = 1;
		if (!(out[0].flags & TOK_CLOSED))
			return n;	/* no break out of the string */
	}
	while (n < SQL_MAX_TOKENS) {
		struct sql_tok t;
		struct sql_tok *prev = n ? &out[n - 1] : NULL;

		if (!sql_next(&lx, &t))
			break;
		if (t.type == 'o' && word_is(t.p, t.len, "!"))
			continue;
		if (t.type == 'n' && word_is(t.p, t.len, "not"))
			continue;
		if (prev == NULL)
			goto keep;
		if (prev->type == 'U' && t.type == 'k' &&
		    (word_is(t.p, t.len, "all") ||
		     word_is(t.p, t.len, "distinct")))
			continue;
		if (t.type == 'k' && word_is(t.p, t.len, "by") &&
		    prev->type == 'k') {
			prev->flags |= TOK_STRONG;
			continue;
		}
		if (t.type == 's' && prev->type == 's')
			continue;
		if ((t.type == '1' || t.type == 'v' || t.type == 's') &&
		    prev->type == 'o' && prev->len == 1 &&
		    (prev->p[0] == '-' || prev->p[0] == '+' ||
		     prev->p[0] == '~') &&
		    (n < 2 || !strchr("s1nv)", out[n - 2].type))) {
			*prev = t;	/* a sign */
			continue;
		}
		if (n >= 2 && prev->type == 'o' && !(prev->flags & TOK_COMPARE) &&
		    strchr("s1nv", out[n - 2].type) && strchr("s1v", t.type)) {
			n--;		/* value o value: one value */
			continue;
		}
keep:
		out[n++] = t;
	}
	return n;
}

static void
sql_fingerprint(const struct sql_tok *t, size_t n, char fp[])
{
	size_t i;

	for (i = 0; i < n && i < MG_WAF_SQLI_FP_SIZE - 3; i++)
		fp[i] = t[i].type;
	fp[i] = 0;
}

static inline bool
is_value(char c)
{
	return c == 's' || c == '1' || c == 'n' || c == 'v';
}

/* what may start the right side of an injected condition */
static inline bool
is_operand(const struct sql_tok *t)
{
	return t->type == 's' || t->type == '1' || t->type == 'v' ||
	       t->type == 'f' || t->type == '(';
}

/* t[i] is a value (or call) and a comparison follows */
static bool
is_comparison_at(const struct sql_tok *t, size_t n, size_t i)
{
	while (i < n && t[i].type == '(')
		i++;
	if (i + 2 >= n + 1 || !(is_value(t[i].type) || t[i].type == 'f'))
		return false;
	i++;
	if (t[i - 1].type == 'f') {
		/* skip the call's parentheses: f(...) */
		int depth = 0;

		for (; i < n; i++) {
			if (t[i].type == '(')
				depth++;
			else if (t[i].type == ')' && --depth <= 0)
				break;
		}
		i++;
	}
	while (i < n && t[i].type == ')')
		i++;
	return i < n && t[i].type == 'o' && (t[i].flags & TOK_COMPARE);
}

/* A string that starts with JSON punctuation: the quote was a JSON key's. */
static bool
is_json_glue(const struct sql_tok *t)
{
	return t->type == 's' && t->len > 0 && strchr(":,]}", t->p[0]) != NULL;
}

/* after "' or": a second string only when it is left open ("' or '1")
 * or something follows it ("' or 'a'='a"), not in quoted English */
static bool
string_operand(const struct sql_tok *t, size_t n, size_t i)
{
	if (is_json_glue(&t[i]))
		return false;
	if (!(t[i].flags & TOK_CLOSED)) {
		/* left open for the query to close: short, one word */
		for (uint32_t k = 0; k < t[i].len; k++)
			if (is_ws(t[i].p[k]))
				return false;
		return true;
	}
	return i + 1 < n && strchr("o&c;)", t[i + 1].type) != NULL;
}

/*
 * Shapes after a break out of a string (t[0] is the rest of the string).
 */
static bool
sql_after_string(const struct sql_tok *t, size_t n)
{
	size_t i = 1;

	while (i < n && t[i].type == ')')
		i++;
	if (i >= n)
		return false;
	switch (t[i].type) {
	case '&':
		if (i + 1 >= n)
			return false;
		if (t[i + 1].type == 's')
			return string_operand(t, n, i + 1);
		if (is_operand(&t[i + 1]))
			return true;
		/* "' or name=..." but not "students' and teachers' ..." */
		return t[i + 1].type == 'n' && i + 2 < n &&
		       (t[i + 2].type == 'o' ||
			t[i + 2].type == 'c' || t[i + 2].type == ';' ||
			t[i + 2].type == '&');
	case 'o':
		if (i + 1 >= n)
			return false;
		/* "x'='x", "1'+sleep(5)+'"; not the '>' of markup */
		if (t[i + 1].type == 'n')
			return i + 2 < n && (t[i + 2].type == '&' ||
					     t[i + 2].type == 'c' ||
					     t[i + 2].type == ';');
		if (!is_operand(&t[i + 1]))
			return false;
		if (t[i].len == 1 && (t[i].p[0] == '<' || t[i].p[0] == '>'))
			return t[i + 1].type != 's' && t[i + 1].type != '(';
		return (t[i].flags & TOK_COMPARE) || t[i + 1].type == 'f' ||
		       i + 2 >= n || t[i + 2].type == 'o' ||
		       t[i + 2].type == '&' || t[i + 2].type == 'c';
	case 'c':
		return true;
	case ';':
		return i + 1 >= n || t[i + 1].type == 'E' ||
		       t[i + 1].type == 'c' || (t[i + 1].flags & TOK_DANGER);
	case 'U':
		return true;
	case 'k':
		return (t[i].flags & TOK_STRONG) && i + 1 < n &&
		       !is_json_glue(&t[i + 1]) &&
		       (is_operand(&t[i + 1]) || t[i + 1].type == 'n');
	default:
		return false;
	}
}

/* Shapes anywhere in bare input. */
static bool
sql_anywhere(const struct sql_tok *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct sql_tok *a = &t[i];
		const struct sql_tok *b = i + 1 < n ? &t[i + 1] : NULL;
		const struct sql_tok *c = i + 2 < n ? &t[i + 2] : NULL;

		/* union select */
		if (a->type == 'U' && b != NULL &&
		    (b->type == 'E' || (b->type == '(' && c != NULL &&
					c->type == 'E')))
			return true;
		/* stacked query */
		if (a->type == ';' && b != NULL && i > 0 &&
		    (is_value(t[i - 1].type) || t[i - 1].type == ')') &&
		    (b->type == 'E' || (b->flags & TOK_DANGER)) &&
		    (c == NULL || c->type != 'n' ||
		     (i + 3 < n && t[i + 3].type == 'k')))
			return true;
		/* value and/or comparison: 1 or 1=1, or a fragment starting
		 * with one: "AND (name = " */
		if (a->type == '&' && (i == 0 || is_value(t[i - 1].type) ||
				       t[i - 1].type == ')') &&
		    b != NULL && is_comparison_at(t, n, i + 1))
			return true;
		/* value and/or call: 1 and sleep(5) */
		if (a->type == '&' && i > 0 && b != NULL && b->type == 'f' &&
		    (b->flags & TOK_DANGER) &&
		    (is_value(t[i - 1].type) || t[i - 1].type == ')'))
			return true;
		/* into outfile */
		if (a->type == 'k' && word_is(a->p, a->len, "into") &&
		    b != NULL && (b->flags & TOK_DANGER))
			return true;
		/* SQL functions fed with hex or a subquery: concat(0x3a, */
		if (a->type == 'f' && (a->flags & TOK_DANGER) && b != NULL &&
		    b->type == '(' && c != NULL &&
		    ((c->flags & TOK_HEX) || c->type == 'E' ||
		     (c->type == 'f' && (c->flags & TOK_DANGER))))
			return true;
		/* from t where 1=1 */
		if (a->type == 'k' && word_is(a->p, a->len, "from") &&
		    b != NULL && b->type == 'n' && c != NULL &&
		    word_is(c->p, c->len, "where") &&
		    (is_comparison_at(t, n, i + 3) ||
		     (i + 3 < n && t[i + 3].type == 'f')))
			return true;
		/* calls that only attacks make */
		if (a->type == 'f' && (a->flags & TOK_DANGER) &&
		    !word_is(a->p, a->len, "if") && b != NULL &&
		    b->type == '(' && (i == 0 || t[i - 1].type != 'n') &&
		    c != NULL && c->type != ')' &&
		    (word_is(a->p, a->len, "sleep") ||
		     word_is(a->p, a->len, "benchmark") ||
		     word_is(a->p, a->len, "pg_sleep") ||
		     word_is(a->p, a->len, "load_file") ||
		     word_is(a->p, a->len, "extractvalue") ||
		     word_is(a->p, a->len, "updatexml") ||
		     word_is(a->p, a->len, "xp_cmdshell") ||
		     word_is(a->p, a->len, "dbms_pipe") ||
		     word_is(a->p, a->len, "utl_inaddr") ||
		     word_is(a->p, a->len, "name_const")))
			return true;
		/* waitfor delay '0:0:5' */
		if (a->type == 'k' && word_is(a->p, a->len, "waitfor") &&
		    b != NULL && b->type == 'k' && c != NULL && c->type == 's')
			return true;
		/* a value, then "order by 1", "having 1=1", "limit 1" */
		if (i > 0 && is_value(t[i - 1].type) && a->type == 'k' &&
		    (a->flags & TOK_STRONG) && b != NULL &&
		    (b->type == '1' || b->type == 'v' ||
		     (b->type == 'f' && (b->flags & TOK_DANGER))) &&
		    (c == NULL || c->type == 'c' || c->type == 'o' ||
		     c->type == ','))
			return true;
	}
	return false;
}

bool
mg_waf_detect_sqli(const uint8_t *s, size_t len,
		   char fingerprint[MG_WAF_SQLI_FP_SIZE])
{
	static const uint8_t contexts[] = { 0, '\'', '"' };
	struct sql_tok t[SQL_MAX_TOKENS];

	fingerprint[0] = 0;
	if (s == NULL || len == 0)
		return false;
	for (size_t c = 0; c < sizeof(contexts); c++) {
		uint8_t q = contexts[c];
		size_t n;

		if (q != 0 && memchr(s, q, len) == NULL)
			continue;
		n = sql_tokens(s, len, q, t);
		if ((q != 0 && sql_after_string(t, n)) ||
		    sql_anywhere(t + (q != 0), n - (q != 0))) {
			sql_fingerprint(t, n, fingerprint);
			return true;
		}
	}
	return false;
}

/* ---------------------------------------------------------------- XSS */

/* Tags that run or load code, or change how the page is read. */
static const char *const xss_tags[] = {
	"script", "iframe", "frame", "frameset", "object", "embed",
	"applet", "base", "meta", "link", "style", "import", "xml",
	"isindex", "vmlframe", "xss", "handler", "listener", "template",
	"svg", "math", "form", "noscript",
};

/* Attributes whose value is fetched or run as a URL. */
static const char *const xss_url_attrs[] = {
	"href", "src", "action", "formaction", "data", "background",
	"dynsrc", "lowsrc", "xlink:href", "poster", "code", "codebase",
	"srcdoc", "values", "from", "to", "by", "folder", "xmlns",
	"longdesc", "usemap", "cite", "profile", "ping", "srcset", "content",
};

static inline bool
is_alpha(uint8_t c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static bool
in_list(const uint8_t *p, size_t n, const char *const *list, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (word_is(p, n, list[i]))
			return true;
	return false;
}

/*
 * An event handler: "on" and a name made of letters (onload, onerror,
 * onpointerenter, ...). Names that read like words ("once", "only",
 * "online") are not DOM events.
 */
static bool
is_event_handler(const uint8_t *p, size_t n)
{
	static const char *const not_events[] = {
		"one", "once", "only", "online", "onion", "onset", "onto",
		"onward", "onwards", "ongoing", "onboard", "onsite", "onus",
		"ones",
	};

	if (n < 5 || lc(p[0]) != 'o' || lc(p[1]) != 'n')
		return false;
	for (size_t i = 2; i < n; i++)
		if (!is_alpha(p[i]))
			return false;
	return !in_list(p, n, not_events, sizeof(not_events) /
			sizeof(not_events[0]));
}

/* Decode an attribute value the way a browser would look at a URL. */
static bool
xss_url_is_script(const uint8_t *v, size_t n)
{
	static const char *const schemes[] = {
		"javascript:", "vbscript:", "livescript:", "data:text/html",
		"data:image/svg", "data:application/x",
	};
	uint8_t buf[24];
	size_t o = 0;

	for (size_t i = 0; i < n && o < sizeof(buf); i++) {
		uint8_t c = v[i];

		if (c == '&' && i + 2 < n && v[i + 1] == '#') {
			/* &#106; &#x6A; (the ';' optional) */
			unsigned cp = 0;
			size_t k = i + 2;
			bool hex = k < n && lc(v[k]) == 'x';

			if (hex)
				k++;
			for (; k < n && k < i + 12; k++) {
				uint8_t d = lc(v[k]);

				if (is_digit(d))
					cp = cp * (hex ? 16 : 10) + (d - '0');
				else if (hex && d >= 'a' && d <= 'f')
					cp = cp * 16 + (d - 'a' + 10);
				else
					break;
			}
			if (k < n && v[k] == ';')
				k++;
			i = k - 1;
			c = cp < 256 ? (uint8_t)cp : 0;
		}
		/* browsers skip control bytes and whitespace here */
		if (c <= ' ' || c == 0x7f)
			continue;
		buf[o++] = lc(c);
	}
	for (size_t k = 0; k < sizeof(schemes) / sizeof(schemes[0]); k++) {
		size_t sl = strlen(schemes[k]);

		if (o >= sl && memcmp(buf, schemes[k], sl) == 0)
			return true;
	}
	return false;
}

struct html {
	const uint8_t *s;
	size_t len, pos;
};

/*
 * Attributes of an open tag (from pos, up to '>'). need_ws: a quoted
 * value ended just before, so a new name must follow whitespace or '/'
 * unless it has a value of its own.
 */
static bool
xss_attributes(struct html *h, bool need_ws)
{
	const uint8_t *s = h->s;

	while (h->pos < h->len) {
		size_t ns, ne, vs, ve;
		bool sep = false, has_value;

		while (h->pos < h->len && (is_ws(s[h->pos]) || s[h->pos] == '/' ||
					   s[h->pos] == 0)) {
			sep = true;
			h->pos++;
		}
		if (h->pos >= h->len)
			return false;
		if (s[h->pos] == '>') {
			h->pos++;
			return false;
		}
		ns = h->pos;
		while (h->pos < h->len && !is_ws(s[h->pos]) &&
		       s[h->pos] != '/' && s[h->pos] != '>' &&
		       s[h->pos] != '=' && (h->pos == ns || s[h->pos] != '"') &&
		       s[h->pos] != '\'')
			h->pos++;
		ne = h->pos;
		if (ne == ns)
			ne = ++h->pos;	/* a stray quote */
		while (h->pos < h->len && is_ws(s[h->pos]))
			h->pos++;
		vs = ve = h->pos;
		has_value = h->pos < h->len && s[h->pos] == '=';
		if (has_value) {
			h->pos++;
			while (h->pos < h->len && is_ws(s[h->pos]))
				h->pos++;
			if (h->pos < h->len && (s[h->pos] == '"' ||
						s[h->pos] == '\'' ||
						s[h->pos] == '`')) {
				uint8_t q = s[h->pos++];
				const uint8_t *e = memchr(s + h->pos, q,
							  h->len - h->pos);

				vs = h->pos;
				ve = e ? (size_t)(e - s) : h->len;
				h->pos = e ? ve + 1 : h->len;
			} else {
				vs = h->pos;
				while (h->pos < h->len && !is_ws(s[h->pos]) &&
				       s[h->pos] != '>')
					h->pos++;
				ve = h->pos;
			}
			if (is_event_handler(s + ns, ne - ns) && ve > vs)
				return true;
		} else if (is_event_handler(s + ns, ne - ns) &&
			   (sep || !need_ws) && h->pos < h->len &&
			   s[h->pos] == '>') {
			/* <x onfocus> with autofocus tricks: be strict */
			return false;
		}
		/* style runs expressions in old engines; xmlns brings in
		 * script namespaces */
		if (has_value && (word_is(s + ns, ne - ns, "style") ||
				(ne - ns >= 5 && word_is(s + ns, 5, "xmlns"))))
			return true;
		if (in_list(s + ns, ne - ns, xss_url_attrs,
			    sizeof(xss_url_attrs) / sizeof(xss_url_attrs[0])) &&
		    xss_url_is_script(s + vs, ve - vs))
			return true;
		need_ws = false;
	}
	return false;
}

/* Markup from pos on: any dangerous tag or attribute. */
static bool
xss_markup(struct html *h)
{
	const uint8_t *s = h->s;

	while (h->pos < h->len) {
		const uint8_t *lt = memchr(s + h->pos, '<', h->len - h->pos);
		size_t ns, i;
		bool closing;

		if (lt == NULL)
			return false;
		h->pos = (size_t)(lt - s) + 1;
		if (h->pos >= h->len)
			return false;
		if (s[h->pos] == '!' || s[h->pos] == '?') {
			/* <!-- [if ...]>, <?import, <!ENTITY ... */
			i = h->pos + 1;
			if (i + 1 < h->len && s[i] == '-' && s[i + 1] == '-') {
				for (i += 2; i < h->len && is_ws(s[i]); i++)
					;
				if (i < h->len && s[i] == '[')
					return true;
				continue;
			}
			if (word_is(s + i, h->len - i < 3 ? h->len - i : 3,
				    "xml") ||
			    word_is(s + i, h->len - i < 6 ? h->len - i : 6,
				    "import") ||
			    word_is(s + i, h->len - i < 6 ? h->len - i : 6,
				    "entity"))
				return true;
			continue;
		}
		closing = s[h->pos] == '/';
		if (closing)
			h->pos++;
		ns = h->pos;
		while (h->pos < h->len && (is_alpha(s[h->pos]) ||
					   is_digit(s[h->pos]) ||
					   s[h->pos] == ':' || s[h->pos] == '-'))
			h->pos++;
		if (h->pos == ns || !is_alpha(s[ns]))
			continue;
		/* the name must end like a tag name does */
		if (h->pos < h->len && !is_ws(s[h->pos]) && s[h->pos] != '/' &&
		    s[h->pos] != '>' && s[h->pos] != 0)
			continue;
		if (!closing && in_list(s + ns, h->pos - ns, xss_tags,
					sizeof(xss_tags) / sizeof(xss_tags[0])))
			return true;
		if (xss_attributes(h, false))
			return true;
	}
	return false;
}

bool
mg_waf_detect_xss(const uint8_t *s, size_t len)
{
	static const uint8_t contexts[] = { '"', '\'', '`' };

	if (s == NULL || len == 0)
		return false;
	{
		struct html h = { .s = s, .len = len };

		if (xss_markup(&h))
			return true;
	}
	/* every dangerous attribute has a value: no '=', no attribute (and
	 * the markup after a quote was part of the scan above) */
	if (memchr(s, '=', len) == NULL)
		return false;
	/* the value of an attribute, quoted or not, broken out of */
	for (size_t c = 0; c < sizeof(contexts); c++) {
		const uint8_t *q = memchr(s, contexts[c], len);
		struct html h = { .s = s, .len = len };

		if (q == NULL)
			continue;
		h.pos = (size_t)(q - s) + 1;
		if (xss_attributes(&h, true) || xss_markup(&h))
			return true;
	}
	{
		/* unquoted: the value ends at the first whitespace */
		struct html h = { .s = s, .len = len };

		while (h.pos < len && !is_ws(s[h.pos]) && s[h.pos] != '>')
			h.pos++;
		if (h.pos < len && xss_attributes(&h, false))
			return true;
	}
	return false;
}
