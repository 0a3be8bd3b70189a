/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SecRule, SecAction, SecDefaultAction and SecMarker: variables, the
 * operator and its data, actions and macro templates.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "waf_parse.h"
#include "waf_transform.h"

/* Where an action list appears: what it may say differs. */
enum act_ctx { AC_RULE, AC_CHILD, AC_ACTION, AC_DEFAULT, AC_UPDATE };

/* Actions SecRuleUpdateActionById may not change: they shape the rule
 * set (id, phase, chain) or live in ranges the rule already has. */
static const char *const not_updatable[] = {
	"id", "phase", "chain", "t", "tag", "setvar", "ctl", "initcol",
	"skip",
};

static uint32_t
str_add(struct waf_parser *p, const char *s, size_t len)
{
	uint32_t off = waf_str_add(&p->rs->s, s, len);

	if (off == WAF_NONE)
		waf_perr(p, "out of memory (string pool)");
	return off;
}

static uint32_t
str_add_lower(struct waf_parser *p, const char *s, size_t len)
{
	uint32_t off = str_add(p, s, len);

	if (off != WAF_NONE)
		for (size_t i = 0; i < len; i++)
			p->rs->s.buf[off + i] =
				(char)waf_lower((uint8_t)p->rs->s.buf[off + i]);
	return off;
}

uint32_t
waf_regex_add(struct waf_parser *p, const char *pat, size_t len,
	      bool caseless)
{
	struct mg_waf_ruleset *rs = p->rs;
	struct waf_regex *re;
	pcre2_code *code;
	uint32_t opts = PCRE2_DOTALL | PCRE2_MULTILINE;
	uint32_t caps = 0;
	PCRE2_SIZE erroff;
	int errcode;

	/* ModSecurity v3 compiles every pattern with DOTALL|MULTILINE */
	if (caseless)
		opts |= PCRE2_CASELESS;
	code = pcre2_compile((PCRE2_SPTR)pat, len, opts, &errcode, &erroff,
			     NULL);
	if (code == NULL) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(errcode, msg, sizeof(msg));
		waf_perr(p, "regular expression: %s at offset %zu", msg,
			 (size_t)erroff);
		return WAF_NONE;
	}
	/* JIT where it can; the interpreter otherwise */
	(void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &caps);
	re = WAF_PUSH(rs, regexes, n_regexes, p->cap_regexes);
	if (re == NULL) {
		pcre2_code_free(code);
		waf_perr(p, "out of memory");
		return WAF_NONE;
	}
	re->code = code;
	re->pattern = str_add(p, pat, len);
	re->capture_count = (uint16_t)caps;
	/* DOTALL: .* takes all of any value, ^ and $ hold at its ends */
	re->match_all = caps == 0 &&
			((len == 4 && memcmp(pat, "^.*$", 4) == 0) ||
			 (len == 3 && (memcmp(pat, "^.*", 3) == 0 ||
				       memcmp(pat, ".*$", 3) == 0)) ||
			 (len == 2 && memcmp(pat, ".*", 2) == 0));
	re->hs_mode = WHM_PCRE_ONLY;
	if (re->pattern == WAF_NONE)
		return WAF_NONE;
	if (caps > rs->max_captures)
		rs->max_captures = caps;
	return rs->n_regexes - 1;
}

/*
 * A selector regex that is only a word, maybe anchored with ^ and maybe
 * ending in "c*" (which may match nothing, so drop it), is matched as the
 * word: PCRE2 per key of TX costs more than the rest of a rule.
 */
static void
selector_literal(struct waf_parser *p, struct waf_regex *re, const char *pat,
		 size_t len)
{
	uint8_t kind = WLK_CONTAINS;
	size_t i = 0, n;

	if (len && pat[0] == '^') {
		kind = WLK_LINE_START;
		i = 1;
	}
	for (n = i; n < len; n++) {
		char ch = pat[n];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
			break;
	}
	if (n + 1 == len && pat[n] == '*' && n > i)
		n--;		/* c*: the word without c */
	else if (n != len)
		return;		/* anything else: PCRE2 */
	if (n == i || n - i > UINT16_MAX)
		return;
	re->lit = str_add_lower(p, pat + i, n - i);
	if (re->lit == WAF_NONE)
		return;
	re->lit_len = (uint16_t)(n - i);
	re->lit_kind = kind;
	re->lit_head = waf_key_head((const uint8_t *)pat + i,
				    (uint32_t)(n - i));
}

/*
 * "%{tx.anomaly_score}" and friends. A name without a known collection is
 * an error: ModSecurity would expand it to nothing at run time.
 */
uint32_t
waf_parse_tmpl(struct waf_parser *p, const char *text, size_t len)
{
	struct mg_waf_ruleset *rs = p->rs;
	struct waf_tmpl *t;
	size_t i = 0, lit = 0;
	uint32_t first = rs->n_segs;

#define FLUSH_LIT(end) do {						\
	if ((end) > lit) {						\
		struct waf_seg *sg = WAF_PUSH(rs, segs, n_segs,		\
					      p->cap_segs);		\
		if (sg == NULL)						\
			goto oom;					\
		sg->var = WAF_SEG_LIT;					\
		sg->str = str_add(p, text + lit, (end) - lit);		\
		sg->len = (uint32_t)((end) - lit);			\
		if (sg->str == WAF_NONE)				\
			return WAF_NONE;				\
	}								\
} while (0)

	while (i + 1 < len) {
		const char *close, *sep;
		size_t nlen, clen;
		struct waf_seg *sg;
		int v;

		if (text[i] != '%' || text[i + 1] != '{') {
			i++;
			continue;
		}
		close = memchr(text + i + 2, '}', len - i - 2);
		if (close == NULL)
			break;
		FLUSH_LIT(i);
		nlen = (size_t)(close - (text + i + 2));
		sep = NULL;
		for (size_t k = 0; k < nlen; k++)
			if (text[i + 2 + k] == '.' || text[i + 2 + k] == ':') {
				sep = text + i + 2 + k;
				break;
			}
		clen = sep ? (size_t)(sep - (text + i + 2)) : nlen;
		if (waf_ieq(text + i + 2, clen, "rule", 4))
			v = WV_RULE;
		else
			v = waf_var_lookup(text + i + 2, clen);
		if (v < 0) {
			waf_perr(p, "unknown variable in macro %%{%.*s}",
				 (int)nlen, text + i + 2);
			return WAF_NONE;
		}
		if (v != WV_RULE && !(waf_var_flags[v] & WV_C) && sep) {
			waf_perr(p, "%s takes no key in macro %%{%.*s}",
				 waf_var_names[v], (int)nlen, text + i + 2);
			return WAF_NONE;
		}
		if ((v == WV_RULE || (waf_var_flags[v] & WV_C)) && !sep) {
			waf_perr(p, "macro %%{%.*s} needs a key", (int)nlen,
				 text + i + 2);
			return WAF_NONE;
		}
		sg = WAF_PUSH(rs, segs, n_segs, p->cap_segs);
		if (sg == NULL)
			goto oom;
		sg->var = (uint8_t)v;
		sg->str = sep ? str_add_lower(p, sep + 1,
					      nlen - clen - 1) : 0;
		sg->len = sep ? (uint32_t)(nlen - clen - 1) : 0;
		if (sg->str == WAF_NONE)
			return WAF_NONE;
		sg->hash = waf_key_hash(sg->var,
					(const uint8_t *)waf_str(rs, sg->str),
					sg->len);
		i += nlen + 3;
		lit = i;
	}
	FLUSH_LIT(len);
#undef FLUSH_LIT
	t = WAF_PUSH(rs, tmpls, n_tmpls, p->cap_tmpls);
	if (t == NULL)
		goto oom;
	t->seg_off = first;
	t->n_segs = (uint16_t)(rs->n_segs - first);
	t->literal = t->n_segs == 0 ||
		     (t->n_segs == 1 && rs->segs[first].var == WAF_SEG_LIT);
	return rs->n_tmpls - 1;
oom:
	waf_perr(p, "out of memory");
	return WAF_NONE;
}

/* One variable "!&NAME:selector" of text[0..len) */
static int
parse_var(struct waf_parser *p, const char *s, size_t len)
{
	struct mg_waf_ruleset *rs = p->rs;
	struct waf_var *v;
	const char *colon;
	uint8_t flags = 0;
	size_t nlen;
	int id;

	while (len && (*s == '!' || *s == '&')) {
		flags |= *s == '!' ? WVF_EXCLUDE : WVF_COUNT;
		s++;
		len--;
	}
	colon = memchr(s, ':', len);
	nlen = colon ? (size_t)(colon - s) : len;
	id = waf_var_lookup(s, nlen);
	if (id < 0)
		return waf_perr(p, "unsupported variable \"%.*s\"", (int)nlen,
				s);
	if ((flags & WVF_EXCLUDE) && !(waf_var_flags[id] & WV_C))
		return waf_perr(p, "!%s: only collections take exclusions",
				waf_var_names[id]);
	if ((flags & WVF_EXCLUDE) && (flags & WVF_COUNT))
		return waf_perr(p, "! and & together on %s",
				waf_var_names[id]);
	v = WAF_PUSH(rs, vars, n_vars, p->cap_vars);
	if (v == NULL)
		return waf_perr(p, "out of memory");
	v->id = (uint8_t)id;
	if (colon) {
		const char *k = colon + 1;
		size_t klen = len - nlen - 1;

		if (!(waf_var_flags[id] & WV_C))
			return waf_perr(p, "%s is not a collection: no "
					"\":%.*s\"", waf_var_names[id],
					(int)klen, k);
		if (klen >= 2 && k[0] == '\'' && k[klen - 1] == '\'') {
			k++;
			klen -= 2;
		}
		if (klen == 0)
			return waf_perr(p, "%s: empty selector",
					waf_var_names[id]);
		if (id != WV_XML && klen >= 2 && k[0] == '/' &&
		    k[klen - 1] == '/') {
			/* the regex keeps the escapes it was written with */
			uint32_t re = waf_regex_add(p, k + 1, klen - 2, true);

			if (re == WAF_NONE)
				return -1;
			if (re > UINT16_MAX)
				return waf_perr(p, "too many selector regexes");
			selector_literal(p, &rs->regexes[re], k + 1, klen - 2);
			v = &rs->vars[rs->n_vars - 1];
			v->regex = (uint16_t)re;
			flags |= WVF_REGEX;
			v->key = str_add(p, k + 1, klen - 2);
		} else {
			if (id == WV_XML && !(klen == 2 && !memcmp(k, "/*", 2))
			    && !(klen == 4 && !memcmp(k, "//@*", 4)))
				return waf_perr(p, "XML:%.*s: only the XPath "
						"expressions /* and //@* are "
						"supported", (int)klen, k);
			flags |= WVF_KEY;
			v = &rs->vars[rs->n_vars - 1];
			v->key = str_add_lower(p, k, klen);
		}
		if (v->key == WAF_NONE)
			return -1;
		if (klen > UINT16_MAX)
			return waf_perr(p, "selector too long");
		v->key_len = (uint16_t)klen;
		v->hash = waf_key_hash(v->id,
				       (const uint8_t *)waf_str(rs, v->key),
				       v->key_len);
	} else if (id == WV_XML) {
		return waf_perr(p, "XML needs an XPath selector (XML:/*)");
	}
	v->flags = flags;
	return 0;
}

int
waf_parse_vars(struct waf_parser *p, const char *text, uint32_t *off,
	       uint16_t *n)
{
	const char *s = text;
	uint32_t first = p->rs->n_vars;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0')
		return waf_perr(p, "no variables");
	while (*s) {
		const char *e = s;
		char in = 0;

		/* '|' ends a variable, except inside a quoted or /regex/
		 * selector */
		/* XML selectors are XPath, where '/' opens nothing */
		bool xml = strncasecmp(s, "XML:", 4) == 0 ||
			   strncasecmp(s, "!XML:", 5) == 0;

		while (*e) {
			if (in) {
				if (*e == '\\' && e[1]) {
					e += 2;
					continue;
				}
				if (*e == in)
					in = 0;
				e++;
				continue;
			}
			if (*e == '|')
				break;
			if ((*e == '\'' || (*e == '/' && !xml)) && e > s &&
			    e[-1] == ':')
				in = *e;
			e++;
		}
		if (e == s)
			return waf_perr(p, "empty variable in \"%s\"", text);
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (parse_var(p, s, (size_t)(e - s)) < 0)
			return -1;
		while (*e && *e != '|')
			e++;
		s = *e ? e + 1 : e;
		while (*s == ' ' || *s == '\t')
			s++;
	}
	if (p->rs->n_vars - first > UINT16_MAX)
		return waf_perr(p, "too many variables");
	*off = first;
	*n = (uint16_t)(p->rs->n_vars - first);
	return 0;
}

/* ----------------------------------------------------------------- */
/* operator data */

static int
phrase_add(struct waf_parser *p, const char *s, size_t len)
{
	struct mg_waf_ruleset *rs = p->rs;
	uint32_t *slot;

	slot = WAF_PUSH(rs, phrase_strs, n_phrase_strs, p->cap_phrase_strs);
	if (slot == NULL)
		return waf_perr(p, "out of memory");
	/* as written: they match without case, and a capture gives the
	 * phrase as the rule wrote it (ModSecurity's @pm) */
	*slot = str_add(p, s, len);
	return *slot == WAF_NONE ? -1 : 0;
}

/*
 * @pm's argument: |41 42| runs become bytes first, as ModSecurity's
 * content syntax, then blanks separate the phrases.
 */
static int
phrases_from_words(struct waf_parser *p, const char *arg)
{
	size_t len = strlen(arg), o = 0;
	char *buf = malloc(len + 1);
	const char *s;
	int rc = 0;

	if (buf == NULL)
		return waf_perr(p, "out of memory");
	for (size_t i = 0; i < len; i++) {
		const char *end = arg[i] == '|' ? strchr(arg + i + 1, '|') : NULL;

		if (end == NULL) {
			buf[o++] = arg[i];
			continue;
		}
		for (const char *k = arg + i + 1; k < end;) {
			char hex[3] = { 0 };

			if (*k == ' ') {
				k++;
				continue;
			}
			if (k + 1 >= end || !isxdigit((unsigned char)k[0]) ||
			    !isxdigit((unsigned char)k[1])) {
				free(buf);
				return waf_perr(p, "@pm: bad hex in \"%s\"",
						arg);
			}
			hex[0] = k[0];
			hex[1] = k[1];
			buf[o++] = (char)strtol(hex, NULL, 16);
			k += 2;
		}
		i = (size_t)(end - arg);
	}
	s = buf;
	while (s < buf + o && rc == 0) {
		const char *e;

		while (s < buf + o && (*s == ' ' || *s == '\t'))
			s++;
		if (s == buf + o)
			break;
		e = s;
		while (e < buf + o && *e != ' ' && *e != '\t')
			e++;
		rc = phrase_add(p, s, (size_t)(e - s));
		s = e;
	}
	free(buf);
	return rc;
}

static int
phrases_from_file(struct waf_parser *p, const char *name)
{
	char path[4096], dir[4096], line[8192];
	FILE *f;

	if (strncasecmp(name, "http://", 7) == 0 ||
	    strncasecmp(name, "https://", 8) == 0)
		return waf_perr(p, "@pmFromFile %s: remote files are not "
				"supported", name);
	if (name[0] == '/' || p->file == NULL) {
		snprintf(path, sizeof(path), "%s", name);
	} else {
		snprintf(dir, sizeof(dir), "%s", p->file);
		snprintf(path, sizeof(path), "%s/%s", dirname(dir), name);
	}
	f = fopen(path, "r");
	if (f == NULL)
		return waf_perr(p, "@pmFromFile: cannot open %s: %s", path,
				strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);
		const char *s = line;

		/* a line is a phrase as it is, blanks included (ModSecurity's
		 * @pmFromFile), but for its end of line (CRLF too); empty
		 * lines and comments ('#' after blanks only) are not */
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		if (n == 0 || *s == '#')
			continue;
		if (phrase_add(p, line, n) < 0) {
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

static uint32_t
phrases_parse(struct waf_parser *p, const char *arg, bool from_file)
{
	struct mg_waf_ruleset *rs = p->rs;
	struct waf_phrases *ph;
	uint32_t first = rs->n_phrase_strs;

	if (from_file) {
		char *copy = strdup(arg), *save = NULL, *tok;

		if (copy == NULL) {
			waf_perr(p, "out of memory");
			return WAF_NONE;
		}
		for (tok = strtok_r(copy, " \t", &save); tok;
		     tok = strtok_r(NULL, " \t", &save))
			if (phrases_from_file(p, tok) < 0) {
				free(copy);
				return WAF_NONE;
			}
		free(copy);
	} else if (phrases_from_words(p, arg) < 0) {
		return WAF_NONE;
	}
	if (rs->n_phrase_strs == first) {
		waf_perr(p, "@pm: no phrases");
		return WAF_NONE;
	}
	ph = WAF_PUSH(rs, phrases, n_phrases, p->cap_phrases);
	if (ph == NULL) {
		waf_perr(p, "out of memory");
		return WAF_NONE;
	}
	ph->str_off = first;
	ph->n = rs->n_phrase_strs - first;
	return rs->n_phrases - 1;
}

/* "9,10,13,32-126" */
static uint32_t
byte_range_parse(struct waf_parser *p, const char *arg)
{
	struct mg_waf_ruleset *rs = p->rs;
	uint8_t (*set)[32];
	const char *s = arg;

	set = WAF_PUSH(rs, byte_sets, n_byte_sets, p->cap_byte_sets);
	if (set == NULL) {
		waf_perr(p, "out of memory");
		return WAF_NONE;
	}
	memset(*set, 0, 32);
	while (*s) {
		char *end;
		long lo, hi;

		while (*s == ' ' || *s == ',')
			s++;
		if (*s == '\0')
			break;
		lo = strtol(s, &end, 10);
		if (end == s || lo < 0 || lo > 255)
			goto bad;
		hi = lo;
		s = end;
		while (*s == ' ')
			s++;
		if (*s == '-') {
			s++;
			hi = strtol(s, &end, 10);
			if (end == s || hi < lo || hi > 255)
				goto bad;
			s = end;
		}
		for (long b = lo; b <= hi; b++)
			(*set)[b >> 3] |= (uint8_t)(1u << (b & 7));
		while (*s == ' ')
			s++;
		if (*s && *s != ',')
			goto bad;
	}
	return rs->n_byte_sets - 1;
bad:
	waf_perr(p, "@validateByteRange: bad range list \"%s\"", arg);
	return WAF_NONE;
}

static uint32_t
netlist_parse(struct waf_parser *p, const char *arg)
{
	struct mg_waf_ruleset *rs = p->rs;
	struct waf_netlist *nl;
	uint32_t first = rs->n_nets;
	char *copy = strdup(arg), *save = NULL, *tok;

	if (copy == NULL) {
		waf_perr(p, "out of memory");
		return WAF_NONE;
	}
	for (tok = strtok_r(copy, ", \t", &save); tok;
	     tok = strtok_r(NULL, ", \t", &save)) {
		struct waf_net *n;
		char *slash = strchr(tok, '/');
		long prefix = -1;
		bool v6 = strchr(tok, ':') != NULL;

		if (slash) {
			char *end;

			*slash = '\0';
			prefix = strtol(slash + 1, &end, 10);
			if (end == slash + 1 || *end || prefix < 0 ||
			    prefix > (v6 ? 128 : 32))
				goto bad;
		}
		n = WAF_PUSH(rs, nets, n_nets, p->cap_nets);
		if (n == NULL)
			goto bad;
		memset(n, 0, sizeof(*n));
		n->v6 = v6;
		if (v6) {
			if (inet_pton(AF_INET6, tok, n->addr) != 1)
				goto bad;
			n->prefix = (uint8_t)(prefix < 0 ? 128 : prefix);
		} else {
			n->addr[10] = 0xff;
			n->addr[11] = 0xff;
			if (inet_pton(AF_INET, tok, n->addr + 12) != 1)
				goto bad;
			n->prefix = (uint8_t)(96 + (prefix < 0 ? 32 : prefix));
		}
	}
	free(copy);
	nl = WAF_PUSH(rs, netlists, n_netlists, p->cap_netlists);
	if (nl == NULL || rs->n_nets == first) {
		waf_perr(p, "@ipMatch: no networks");
		return WAF_NONE;
	}
	nl->off = first;
	nl->n = rs->n_nets - first;
	return rs->n_netlists - 1;
bad:
	free(copy);
	waf_perr(p, "@ipMatch: bad address list \"%s\"", arg);
	return WAF_NONE;
}

static int
parse_operator(struct waf_parser *p, uint32_t ri, const char *text)
{
	struct mg_waf_ruleset *rs = p->rs;
	const char *s = text, *name, *arg;
	size_t nlen;
	int op = -1;
	uint32_t data = 0, tmpl;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '!') {
		rs->rules[ri].flags |= WRF_NEGATED;
		s++;
	}
	if (*s != '@') {
		op = WOP_RX;	/* a bare pattern is @rx */
		arg = s;
	} else {
		name = ++s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
		nlen = (size_t)(s - name);
		for (int i = 0; i < WOP_MAX; i++)
			if (waf_ieq(name, nlen, waf_op_names[i],
				    strlen(waf_op_names[i])))
				op = i;
		if (op < 0 && waf_ieq(name, nlen, "pmf", 3))
			op = WOP_PM_FROM_FILE;
		if (op < 0)
			return waf_perr(p, "unsupported operator @%.*s",
					(int)nlen, name);
		while (*s == ' ' || *s == '\t')
			s++;
		arg = s;
	}
	switch (op) {
	case WOP_RX:
		if (strstr(arg, "%{")) {
			/* compiled per lcore when first expanded (920480) */
			rs->rules[ri].flags |= WRF_RX_MACRO;
			data = 0;
			break;
		}
		data = waf_regex_add(p, arg, strlen(arg), false);
		break;
	case WOP_PM:
	case WOP_PM_FROM_FILE:
		if (*arg == '\0')
			return waf_perr(p, "@%s needs phrases",
					waf_op_names[op]);
		data = phrases_parse(p, arg, op == WOP_PM_FROM_FILE);
		break;
	case WOP_VALIDATE_BYTE_RANGE:
		data = byte_range_parse(p, arg);
		break;
	case WOP_IP_MATCH:
		data = netlist_parse(p, arg);
		break;
	case WOP_RBL:
		waf_warn(rs, "%s:%u: @rbl never matches: no DNS lookups in "
			 "the request path", p->file, p->line);
		break;
	case WOP_GEO_LOOKUP:
		waf_warn(rs, "%s:%u: @geoLookup finds nothing: no GeoIP "
			 "database", p->file, p->line);
		break;
	default:
		break;
	}
	if (data == WAF_NONE)
		return -1;
	rs->rules[ri].op = (uint8_t)op;
	rs->rules[ri].op_data = data;
	if ((op == WOP_RX && !(rs->rules[ri].flags & WRF_RX_MACRO)) ||
	    op == WOP_PM || op == WOP_PM_FROM_FILE)
		return 0;	/* compiled above; no runtime argument */
	{
		/* operators that need an argument, by the table */
		static const uint8_t needs[WOP_MAX] = {
#define WAF_OP_ARG_(id, n, a) [WOP_##id] = a,
			WAF_OPS(WAF_OP_ARG_)
#undef WAF_OP_ARG_
		};
		if (needs[op] == 1 && *arg == '\0' && op != WOP_RX)
			return waf_perr(p, "@%s needs an argument",
					waf_op_names[op]);
	}
	tmpl = waf_parse_tmpl(p, arg, strlen(arg));
	if (tmpl == WAF_NONE)
		return -1;
	rs->rules[ri].op_arg = tmpl;
	return 0;
}

/* ----------------------------------------------------------------- */
/* actions */

static const char *const severities[8] = {
	"EMERGENCY", "ALERT", "CRITICAL", "ERROR", "WARNING", "NOTICE",
	"INFO", "DEBUG",
};

static struct waf_act *
act_add(struct waf_parser *p, uint32_t ri, uint8_t kind)
{
	struct mg_waf_ruleset *rs = p->rs;
	struct waf_act *a;

	if (rs->rules[ri].n_acts == 0)
		rs->rules[ri].act_off = rs->n_acts;
	else if (rs->rules[ri].act_off + rs->rules[ri].n_acts != rs->n_acts) {
		waf_perr(p, "internal: actions not contiguous");
		return NULL;
	}
	a = WAF_PUSH(rs, acts, n_acts, p->cap_acts);
	if (a == NULL) {
		waf_perr(p, "out of memory");
		return NULL;
	}
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	rs->rules[ri].n_acts++;
	return a;
}

static int
parse_setvar(struct waf_parser *p, uint32_t ri, const char *v)
{
	const char *dot, *eq, *key;
	struct waf_act *a;
	uint8_t kind = WA_SETVAR_SET;
	size_t klen;
	int coll;

	if (*v == '!') {
		kind = WA_SETVAR_DEL;
		v++;
	}
	dot = strchr(v, '.');
	if (dot == NULL)
		return waf_perr(p, "setvar:%s: expected COLLECTION.NAME", v);
	coll = waf_var_lookup(v, (size_t)(dot - v));
	if (coll < 0 || !waf_var_is_store((unsigned)coll))
		return waf_perr(p, "setvar:%s: not a collection setvar can "
				"write", v);
	key = dot + 1;
	eq = strchr(key, '=');
	klen = eq ? (size_t)(eq - key) : strlen(key);
	if (klen == 0)
		return waf_perr(p, "setvar:%s: empty name", v);
	a = act_add(p, ri, kind);
	if (a == NULL)
		return -1;
	a->coll = (uint8_t)coll;
	{
		/* collection keys are lowercase; macro names fold anyway */
		char *lk = strndup(key, klen);

		if (lk == NULL)
			return waf_perr(p, "out of memory");
		for (size_t i = 0; i < klen; i++)
			lk[i] = (char)waf_lower((uint8_t)lk[i]);
		a->key = waf_parse_tmpl(p, lk, klen);
		free(lk);
	}
	if (a->key == WAF_NONE)
		return -1;
	if (kind == WA_SETVAR_DEL) {
		if (eq)
			return waf_perr(p, "setvar:!%s: no value with !", v);
		a->val = WAF_NONE;
		return 0;
	}
	if (eq == NULL) {
		/* setvar:tx.foo sets 1 */
		a = &p->rs->acts[p->rs->n_acts - 1];
		a->val = waf_parse_tmpl(p, "1", 1);
		return a->val == WAF_NONE ? -1 : 0;
	}
	eq++;
	if (*eq == '+' || *eq == '-') {
		kind = *eq == '+' ? WA_SETVAR_ADD : WA_SETVAR_SUB;
		eq++;
	}
	a = &p->rs->acts[p->rs->n_acts - 1];
	a->kind = kind;
	a->val = waf_parse_tmpl(p, eq, strlen(eq));
	return a->val == WAF_NONE ? -1 : 0;
}

/* The notes an action calls for, said at its first use in the load */
static void
once_per_load(struct waf_parser *p, enum waf_warn_once what)
{
	struct mg_waf_ruleset *rs = p->rs;

	if (rs->warned & what)
		return;
	rs->warned |= what;
	if (what == WWO_INITCOL)
		waf_warn(rs, "%s:%u: initcol, expirevar: IP, GLOBAL, SESSION "
			 "and USER last one request (no persistent storage): "
			 "what rules count across requests starts from "
			 "nothing each time", p->file, p->line);
	else
		waf_warn(rs, "%s:%u: ctl:auditEngine, ctl:auditLogParts have "
			 "no effect: the audit record's contents are fixed",
			 p->file, p->line);
}

static int
parse_ctl(struct waf_parser *p, uint32_t ri, const char *v)
{
	struct mg_waf_ruleset *rs = p->rs;
	const char *eq = strchr(v, '=');
	const char *val;
	struct waf_act *a;
	size_t nlen;
	int kind = -1;

	if (eq == NULL)
		return waf_perr(p, "ctl:%s: expected NAME=VALUE", v);
	nlen = (size_t)(eq - v);
	val = eq + 1;
	for (int k = WA_CTL_RULE_ENGINE; k < WA_MAX; k++) {
		static const char *const names[WA_MAX] = {
#define WAF_ACT_NAME_(id, n) [WA_##id] = n,
			WAF_ACTS(WAF_ACT_NAME_)
#undef WAF_ACT_NAME_
		};
		if (waf_ieq(v, nlen, names[k], strlen(names[k])))
			kind = k;
	}
	if (kind < 0)
		return waf_perr(p, "unsupported ctl:%.*s", (int)nlen, v);
	a = act_add(p, ri, (uint8_t)kind);
	if (a == NULL)
		return -1;
	switch (kind) {
	case WA_CTL_RULE_ENGINE:
		if (strcasecmp(val, "On") == 0)
			a->lo = WE_ON;
		else if (strcasecmp(val, "Off") == 0)
			a->lo = WE_OFF;
		else if (strcasecmp(val, "DetectionOnly") == 0)
			a->lo = WE_DETECT;
		else
			return waf_perr(p, "ctl:ruleEngine=%s: expected On, "
					"Off or DetectionOnly", val);
		break;
	case WA_CTL_REMOVE_ID: {
		const char *end;

		if (waf_id_range(val, &end, &a->lo, &a->hi) < 0 || *end)
			return waf_perr(p, "ctl:ruleRemoveById=%s: expected an "
					"id or a range", val);
		break;
	}
	case WA_CTL_REMOVE_TAG:
		a->key = str_add(p, val, strlen(val));
		if (a->key == WAF_NONE)
			return -1;
		break;
	case WA_CTL_REMOVE_TARGET_ID:
	case WA_CTL_REMOVE_TARGET_TAG: {
		const char *semi = strchr(val, ';');
		uint32_t off;
		uint16_t n;

		if (semi == NULL || semi == val || semi[1] == '\0')
			return waf_perr(p, "ctl:%.*s=%s: expected ID;TARGET",
					(int)nlen, v, val);
		if (kind == WA_CTL_REMOVE_TARGET_ID) {
			/* an id or a range, as ModSecurity v2 reads it */
			const char *end;

			if (waf_id_range(val, &end, &a->lo, &a->hi) < 0 ||
			    end != semi)
				return waf_perr(p, "ctl:ruleRemoveTargetById="
						"%s: bad rule id", val);
		} else {
			a->key = str_add(p, val, (size_t)(semi - val));
			if (a->key == WAF_NONE)
				return -1;
		}
		if (waf_parse_vars(p, semi + 1, &off, &n) < 0)
			return -1;
		if (n != 1 || (rs->vars[off].flags &
			       (WVF_EXCLUDE | WVF_COUNT)))
			return waf_perr(p, "ctl:%.*s: one plain target "
					"expected", (int)nlen, v);
		rs->acts[rs->n_acts - 1].val = off;	/* the target */
		break;
	}
	case WA_CTL_BODY_PROCESSOR: {
		int bp = -1;

		for (int i = 1; i < MG_WAF_BP_MAX; i++)
			if (strcasecmp(val, mg_waf_body_processor_name(i)) == 0)
				bp = i;
		if (bp < 0)
			return waf_perr(p, "ctl:requestBodyProcessor=%s: "
					"expected URLENCODED, MULTIPART, JSON "
					"or XML", val);
		a->lo = (uint32_t)bp;
		break;
	}
	case WA_CTL_BODY_ACCESS:
	case WA_CTL_FORCE_BODY_VAR:
		if (strcasecmp(val, "On") == 0)
			a->lo = 1;
		else if (strcasecmp(val, "Off") == 0)
			a->lo = 0;
		else
			return waf_perr(p, "ctl:%.*s=%s: expected On or Off",
					(int)nlen, v, val);
		break;
	case WA_CTL_AUDIT_ENGINE:
	case WA_CTL_AUDIT_PARTS:
		/* the audit record of meshgate has fixed contents */
		once_per_load(p, WWO_AUDIT_CTL);
		break;
	default:
		break;
	}
	return 0;
}

static int
tag_add(struct waf_parser *p, uint32_t ri, const char *v)
{
	struct mg_waf_ruleset *rs = p->rs;
	uint32_t *t;

	if (rs->rules[ri].n_tags == 0)
		rs->rules[ri].tag_off = rs->n_tags;
	t = WAF_PUSH(rs, tags, n_tags, p->cap_tags);
	if (t == NULL)
		return waf_perr(p, "out of memory");
	*t = str_add(p, v, strlen(v));
	rs->rules[ri].n_tags++;
	return *t == WAF_NONE ? -1 : 0;
}

static int
tfn_add(struct waf_parser *p, uint32_t ri, const char *v)
{
	struct mg_waf_ruleset *rs = p->rs;
	struct waf_rule *r = &rs->rules[ri];
	int id = mg_waf_transform_lookup(v);
	uint8_t *t;

	if (id < 0)
		return waf_perr(p, "unsupported transformation t:%s", v);
	if (id == MG_WAF_T_NONE) {
		r->flags |= WRF_T_SET;
		r->n_tfns = 0;
		r->tfn_off = rs->n_tfns;
		return 0;
	}
	if (r->n_tfns == 0)
		r->tfn_off = rs->n_tfns;
	if (r->n_tfns == UINT8_MAX)
		return waf_perr(p, "too many transformations");
	t = WAF_PUSH(rs, tfns, n_tfns, p->cap_tfns);
	if (t == NULL)
		return waf_perr(p, "out of memory");
	*t = (uint8_t)id;
	rs->rules[ri].n_tfns++;
	return 0;
}

static int
disruptive(struct waf_parser *p, uint32_t ri, uint8_t d, enum act_ctx ctx)
{
	struct waf_rule *r = &p->rs->rules[ri];

	if (ctx == AC_CHILD)
		return waf_perr(p, "disruptive actions belong to the chain's "
				"first rule");
	r->disruptive = d;
	return 0;
}

static int
uint_value(struct waf_parser *p, const char *name, const char *v,
	   uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || end == v || *end || n > max || v[0] == '-')
		return waf_perr(p, "%s:%s: expected a number up to %u", name,
				v, max);
	*out = (uint32_t)n;
	return 0;
}

/* One action name[:value]; value already unquoted. */
static int
action(struct waf_parser *p, uint32_t ri, enum act_ctx ctx, const char *name,
       const char *v, bool has_v)
{
	struct mg_waf_ruleset *rs = p->rs;
	struct waf_rule *r = &rs->rules[ri];
	uint32_t n;

	if (ctx == AC_UPDATE)
		for (size_t i = 0; i < sizeof(not_updatable) /
				       sizeof(not_updatable[0]); i++)
			if (strcasecmp(name, not_updatable[i]) == 0)
				return waf_perr(p, "SecRuleUpdateActionById "
						"cannot change \"%s\"", name);
#define NEED_VALUE() do {						\
	if (!has_v)							\
		return waf_perr(p, "action %s needs a value", name);	\
} while (0)
#define HEAD_ONLY() do {						\
	if (ctx == AC_CHILD)						\
		return waf_perr(p, "%s belongs to the chain's first rule", \
				name);					\
} while (0)

	if (strcasecmp(name, "id") == 0) {
		NEED_VALUE();
		HEAD_ONLY();
		if (uint_value(p, name, v, UINT32_MAX, &n) < 0)
			return -1;
		if (n == 0)
			return waf_perr(p, "id:0 is not a valid rule id");
		r->id = n;
		return 0;
	}
	if (strcasecmp(name, "phase") == 0) {
		NEED_VALUE();
		HEAD_ONLY();
		if (strcasecmp(v, "request") == 0)
			n = 2;
		else if (strcasecmp(v, "response") == 0)
			n = 4;
		else if (strcasecmp(v, "logging") == 0)
			n = 5;
		else if (v[0] < '1' || v[0] > '5' || v[1] != '\0')
			return waf_perr(p, "phase:%s: expected 1 to 5", v);
		else
			n = (uint32_t)(v[0] - '0');
		r->phase = (uint8_t)n;
		return 0;
	}
	if (strcasecmp(name, "msg") == 0 || strcasecmp(name, "logdata") == 0) {
		uint32_t t;

		NEED_VALUE();
		t = waf_parse_tmpl(p, v, strlen(v));
		if (t == WAF_NONE)
			return -1;
		r = &rs->rules[ri];
		if (name[0] == 'm' || name[0] == 'M')
			r->msg = t;
		else
			r->logdata = t;
		return 0;
	}
	if (strcasecmp(name, "severity") == 0) {
		NEED_VALUE();
		for (n = 0; n < 8; n++)
			if (strcasecmp(v, severities[n]) == 0)
				break;
		if (n == 8 && uint_value(p, name, v, 7, &n) < 0)
			return -1;
		r->severity = (uint8_t)n;
		return 0;
	}
	if (strcasecmp(name, "tag") == 0) {
		NEED_VALUE();
		return tag_add(p, ri, v);
	}
	if (strcasecmp(name, "ver") == 0) {
		NEED_VALUE();
		r->ver = str_add(p, v, strlen(v));
		return r->ver == WAF_NONE ? -1 : 0;
	}
	if (strcasecmp(name, "rev") == 0 || strcasecmp(name, "maturity") == 0 ||
	    strcasecmp(name, "accuracy") == 0)
		return 0;	/* metadata nobody reads */
	if (strcasecmp(name, "t") == 0) {
		NEED_VALUE();
		return tfn_add(p, ri, v);
	}
	if (strcasecmp(name, "capture") == 0) {
		r->flags |= WRF_CAPTURE;
		return 0;
	}
	if (strcasecmp(name, "chain") == 0) {
		if (ctx == AC_ACTION || ctx == AC_DEFAULT)
			return waf_perr(p, "chain only in SecRule");
		r->flags |= WRF_CHAIN;
		return 0;
	}
	if (strcasecmp(name, "multiMatch") == 0) {
		r->flags |= WRF_MULTIMATCH;
		return 0;
	}
	if (strcasecmp(name, "log") == 0) {
		r->flags = (uint16_t)((r->flags & ~WRF_NOLOG) | WRF_LOG);
		return 0;
	}
	if (strcasecmp(name, "nolog") == 0) {
		r->flags = (uint16_t)((r->flags & ~WRF_LOG) | WRF_NOLOG);
		return 0;
	}
	if (strcasecmp(name, "auditlog") == 0) {
		r->flags = (uint16_t)((r->flags & ~WRF_NOAUDITLOG) |
				      WRF_AUDITLOG);
		return 0;
	}
	if (strcasecmp(name, "noauditlog") == 0) {
		r->flags = (uint16_t)((r->flags & ~WRF_AUDITLOG) |
				      WRF_NOAUDITLOG);
		return 0;
	}
	if (strcasecmp(name, "pass") == 0)
		return disruptive(p, ri, WD_PASS, ctx);
	if (strcasecmp(name, "block") == 0)
		return disruptive(p, ri, WD_BLOCK, ctx);
	if (strcasecmp(name, "deny") == 0)
		return disruptive(p, ri, WD_DENY, ctx);
	if (strcasecmp(name, "drop") == 0)
		return disruptive(p, ri, WD_DROP, ctx);
	if (strcasecmp(name, "allow") == 0) {
		uint8_t d = WD_ALLOW;

		if (has_v && strcasecmp(v, "phase") == 0)
			d = WD_ALLOW_PHASE;
		else if (has_v && strcasecmp(v, "request") == 0)
			d = WD_ALLOW_REQUEST;
		else if (has_v)
			return waf_perr(p, "allow:%s: expected phase or "
					"request", v);
		return disruptive(p, ri, d, ctx);
	}
	if (strcasecmp(name, "redirect") == 0) {
		uint32_t t;

		NEED_VALUE();
		if (disruptive(p, ri, WD_REDIRECT, ctx) < 0)
			return -1;
		t = waf_parse_tmpl(p, v, strlen(v));
		if (t == WAF_NONE)
			return -1;
		rs->rules[ri].redirect = t;
		return 0;
	}
	if (strcasecmp(name, "status") == 0) {
		NEED_VALUE();
		if (uint_value(p, name, v, 999, &n) < 0 || n < 100)
			return waf_perr(p, "status:%s: expected 100 to 999", v);
		r->status = (uint16_t)n;
		return 0;
	}
	if (strcasecmp(name, "skipAfter") == 0) {
		NEED_VALUE();
		if (ctx == AC_DEFAULT)
			return waf_perr(p, "skipAfter in SecDefaultAction");
		r->marker = str_add(p, v, strlen(v));
		return r->marker == WAF_NONE ? -1 : 0;
	}
	if (strcasecmp(name, "skip") == 0) {
		NEED_VALUE();
		if (uint_value(p, name, v, 10000, &n) < 0 || n == 0)
			return waf_perr(p, "skip:%s: expected 1 or more", v);
		r->skip = n;
		return 0;
	}
	if (strcasecmp(name, "setvar") == 0) {
		NEED_VALUE();
		if (ctx == AC_DEFAULT)
			return waf_perr(p, "setvar in SecDefaultAction");
		return parse_setvar(p, ri, v);
	}
	if (strcasecmp(name, "ctl") == 0) {
		NEED_VALUE();
		if (ctx == AC_DEFAULT)
			return waf_perr(p, "ctl in SecDefaultAction");
		return parse_ctl(p, ri, v);
	}
	if (strcasecmp(name, "expirevar") == 0) {
		/* collections live for one request: nothing outlives it */
		NEED_VALUE();
		once_per_load(p, WWO_INITCOL);
		return 0;
	}
	if (strcasecmp(name, "initcol") == 0) {
		const char *eq;
		int coll;
		struct waf_act *a;

		NEED_VALUE();
		eq = strchr(v, '=');
		coll = eq ? waf_var_lookup(v, (size_t)(eq - v)) : -1;
		if (coll < 0 || !waf_var_is_store((unsigned)coll) ||
		    coll == WV_TX)
			return waf_perr(p, "initcol:%s: expected "
					"COLLECTION=KEY", v);
		a = act_add(p, ri, WA_INITCOL);
		if (a == NULL)
			return -1;
		a->coll = (uint8_t)coll;
		once_per_load(p, WWO_INITCOL);
		return 0;
	}
	return waf_perr(p, "unsupported action \"%s\"", name);
#undef NEED_VALUE
#undef HEAD_ONLY
}

/* Split "a,b:'x,y',c:d" and run action() on each. */
static int
parse_actions(struct waf_parser *p, uint32_t ri, const char *text,
	      enum act_ctx ctx)
{
	size_t len = strlen(text);
	char *buf = malloc(len + 2), *name, *val;
	const char *s = text;
	int rc = 0;

	if (buf == NULL)
		return waf_perr(p, "out of memory");
	while (*s && rc == 0) {
		char *o = buf;
		bool has_v = false;

		while (*s == ' ' || *s == '\t' || *s == ',' || *s == '\n')
			s++;
		if (*s == '\0')
			break;
		name = o;
		while (*s && *s != ':' && *s != ',')
			*o++ = *s++;
		while (o > name && (o[-1] == ' ' || o[-1] == '\t'))
			o--;
		*o++ = '\0';
		val = o;
		if (*s == ':') {
			has_v = true;
			s++;
			while (*s == ' ' || *s == '\t')
				s++;
			if (*s == '\'') {
				s++;
				for (;;) {
					if (*s == '\0') {
						rc = waf_perr(p, "action %s: "
							"missing closing "
							"quote", name);
						break;
					}
					if (*s == '\\' && (s[1] == '\'' ||
							   s[1] == '\\')) {
						*o++ = s[1];
						s += 2;
						continue;
					}
					if (*s == '\'') {
						s++;
						break;
					}
					*o++ = *s++;
				}
				while (*s == ' ' || *s == '\t')
					s++;
				if (rc == 0 && *s && *s != ',')
					rc = waf_perr(p, "action %s: text "
						      "after the closing "
						      "quote", name);
			} else {
				while (*s && *s != ',')
					*o++ = *s++;
				while (o > val && (o[-1] == ' ' ||
						   o[-1] == '\t'))
					o--;
			}
			*o = '\0';
		}
		if (rc == 0 && *name == '\0')
			rc = waf_perr(p, "empty action in \"%s\"", text);
		if (rc == 0)
			rc = action(p, ri, ctx, name, val, has_v);
	}
	free(buf);
	return rc;
}

/* ----------------------------------------------------------------- */
/* directives */

static uint32_t
rule_new(struct waf_parser *p)
{
	struct mg_waf_ruleset *rs = p->rs;
	struct waf_rule *r = WAF_PUSH(rs, rules, n_rules, p->cap_rules);

	if (r == NULL) {
		waf_perr(p, "out of memory");
		return WAF_NONE;
	}
	memset(r, 0, sizeof(*r));
	r->file = p->file_str;
	r->line = p->line;
	r->severity = 255;
	r->msg = r->logdata = r->redirect = WAF_NONE;
	r->next = WAF_NONE;
	r->head = rs->n_rules - 1;
	r->group = WAF_NONE;
	r->jump = WAF_NONE;
	r->op = WOP_UNCONDITIONAL_MATCH;
	r->op_arg = WAF_NONE;
	return rs->n_rules - 1;
}

/* The rule index registered for id, or WAF_NONE; grows the index. */
static int
id_register(struct waf_parser *p, uint32_t ri)
{
	struct mg_waf_ruleset *rs = p->rs;
	uint32_t id = rs->rules[ri].id, mask, h;

	if ((rs->n_rules + 1) * 2 > p->id_ix_cap) {
		uint32_t cap = p->id_ix_cap ? p->id_ix_cap * 2 : 1024;
		uint32_t *ix = calloc(cap, sizeof(*ix));

		if (ix == NULL)
			return waf_perr(p, "out of memory");
		for (uint32_t i = 0; i < p->id_ix_cap; i++) {
			uint32_t e = p->id_ix[i], hh;

			if (e == 0)
				continue;
			hh = (rs->rules[e - 1].id * 2654435761u) & (cap - 1);
			while (ix[hh])
				hh = (hh + 1) & (cap - 1);
			ix[hh] = e;
		}
		free(p->id_ix);
		p->id_ix = ix;
		p->id_ix_cap = cap;
	}
	mask = p->id_ix_cap - 1;
	for (h = (id * 2654435761u) & mask; p->id_ix[h]; h = (h + 1) & mask) {
		const struct waf_rule *o = &rs->rules[p->id_ix[h] - 1];

		if (o->id == id)
			return waf_perr(p, "rule id %u is already used at "
					"%s:%u", id, waf_str(rs, o->file),
					o->line);
	}
	p->id_ix[h] = ri + 1;
	return 0;
}

static int
rule_finish(struct waf_parser *p, uint32_t ri, bool is_child)
{
	struct mg_waf_ruleset *rs = p->rs;
	struct waf_rule *r = &rs->rules[ri];

	if (!is_child) {
		if (r->id == 0)
			return waf_perr(p, "rule without an id");
		if (id_register(p, ri) < 0)
			return -1;
		r = &rs->rules[ri];
		if (r->phase == 0)
			r->phase = 2;
		rs->stats.rules++;
		if (r->phase > 2)
			rs->stats.response_rules++;
	} else {
		rs->stats.chained++;
	}
	p->chain_parent = (r->flags & WRF_CHAIN) ? ri : WAF_NONE;
	return 0;
}

int
waf_parse_secrule(struct waf_parser *p, const char *vars, const char *op,
		  const char *actions)
{
	struct mg_waf_ruleset *rs = p->rs;
	uint32_t parent = p->chain_parent;
	uint32_t ri = rule_new(p);
	bool child = parent != WAF_NONE;

	if (ri == WAF_NONE)
		return -1;
	if (child) {
		struct waf_rule *r = &rs->rules[ri];

		r->flags |= WRF_CHILD;
		r->head = rs->rules[parent].head;
		rs->rules[parent].next = ri;
	}
	if (waf_parse_vars(p, vars, &rs->rules[ri].var_off,
			   &rs->rules[ri].n_vars) < 0)
		return -1;
	if (parse_operator(p, ri, op) < 0)
		return -1;
	if (parse_actions(p, ri, actions, child ? AC_CHILD : AC_RULE) < 0)
		return -1;
	if (child)
		rs->rules[ri].phase = rs->rules[rs->rules[ri].head].phase;
	return rule_finish(p, ri, child);
}

int
waf_parse_secaction(struct waf_parser *p, const char *actions)
{
	uint32_t ri = rule_new(p);

	if (ri == WAF_NONE)
		return -1;
	p->rs->rules[ri].flags |= WRF_ACTION;
	if (parse_actions(p, ri, actions, AC_ACTION) < 0)
		return -1;
	return rule_finish(p, ri, false);
}

int
waf_parse_marker(struct waf_parser *p, const char *name)
{
	uint32_t ri = rule_new(p);
	struct waf_rule *r;

	if (ri == WAF_NONE)
		return -1;
	r = &p->rs->rules[ri];
	r->flags |= WRF_MARKER;
	r->marker = str_add(p, name, strlen(name));
	p->rs->stats.markers++;
	return r->marker == WAF_NONE ? -1 : 0;
}

/*
 * SecDefaultAction "phase:2,log,auditlog,pass": the disruptive action,
 * logging and transformations of rules of that phase that do not say.
 * Parsed as a rule that is never evaluated.
 */
int
waf_parse_default_action(struct waf_parser *p, const char *actions)
{
	struct mg_waf_ruleset *rs = p->rs;
	struct waf_rule *r;
	uint32_t ri = rule_new(p);
	uint8_t ph;

	if (ri == WAF_NONE)
		return -1;
	if (parse_actions(p, ri, actions, AC_DEFAULT) < 0)
		return -1;
	r = &rs->rules[ri];
	ph = r->phase;
	if (ph == 0)
		return waf_perr(p, "SecDefaultAction needs a phase");
	if (r->disruptive == WD_NONE)
		return waf_perr(p, "SecDefaultAction needs a disruptive action");
	if (r->disruptive == WD_BLOCK)
		return waf_perr(p, "SecDefaultAction cannot be block");
	if (r->id || r->n_acts || r->msg != WAF_NONE ||
	    r->logdata != WAF_NONE || r->marker || (r->flags & WRF_CAPTURE))
		return waf_perr(p, "SecDefaultAction takes only phase, "
				"disruptive, log, status, tag and t: actions");
	if (p->default_seen[ph])
		return waf_perr(p, "a second SecDefaultAction for phase %u",
				ph);
	p->default_seen[ph] = 1;
	rs->default_disruptive[ph] = r->disruptive;
	rs->default_status[ph] = r->status;
	rs->default_log[ph] = (r->flags & WRF_NOLOG) ? 0 : 1;
	if (r->n_tfns > sizeof(rs->default_tfns[ph]))
		return waf_perr(p, "too many transformations in "
				"SecDefaultAction");
	memcpy(rs->default_tfns[ph], rs->tfns + r->tfn_off, r->n_tfns);
	rs->n_default_tfns[ph] = r->n_tfns;
	rs->default_redirect[ph] = r->redirect;
	rs->default_tag_off[ph] = r->tag_off;
	rs->n_default_tags[ph] = r->n_tags;
	/* the carrier rule itself is dropped */
	rs->n_rules--;
	return 0;
}

/* SecRuleUpdateActionById 901150 "nolog", applied by waf_link. */
int
waf_update_actions(struct waf_parser *p, uint32_t ri, const char *actions)
{
	return parse_actions(p, ri, actions, AC_UPDATE);
}
