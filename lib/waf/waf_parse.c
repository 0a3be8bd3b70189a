/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SecLang files: logical lines, arguments, directives.
 *
 * Lines end in LF (a CR before it is dropped); a backslash at the end of a
 * line joins the next one, as in Apache's configuration reader, and the
 * joined line is a comment when it starts with '#'. Arguments are split
 * at blanks; double- or single-quoted arguments keep their blanks, and in
 * both kinds "\\" stands for "\" and a backslash before the quote for the
 * quote (Apache's rule, which the CRS patterns are written for:
 * "[^\\\\]" reaches PCRE as "[^\\]").
 */
#include <errno.h>
#include <glob.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "waf_parse.h"

#define WAF_MAX_ARGS 8
#define WAF_MAX_INCLUDE_DEPTH 8
#define WAF_MAX_FILE (64u << 20)

int
waf_perr(struct waf_parser *p, const char *fmt, ...)
{
	size_t n;
	va_list ap;

	if (p->err == NULL || p->errlen == 0)
		return -1;
	if (p->err[0] != '\0')
		return -1;	/* keep the first error */
	n = (size_t)snprintf(p->err, p->errlen, "%s:%u: ",
			     p->file ? p->file : "?", p->line);
	if (n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/*
 * Split line into at most WAF_MAX_ARGS arguments written into buf (which
 * has the line's length + 1 per argument at worst: one copy suffices since
 * unescaping only shrinks). Returns the count, or -1 on an unterminated
 * quote.
 */
static int
split_args(struct waf_parser *p, const char *line, char *buf,
	   char *argv[WAF_MAX_ARGS])
{
	const char *s = line;
	char *o = buf;
	int argc = 0;

	for (;;) {
		char quote = 0;

		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			break;
		if (argc == WAF_MAX_ARGS)
			return waf_perr(p, "more than %d arguments",
					WAF_MAX_ARGS);
		argv[argc++] = o;
		if (*s == '"' || *s == '\'')
			quote = *s++;
		for (;;) {
			if (*s == '\0') {
				if (quote)
					return waf_perr(p, "unterminated %c "
							"quote", quote);
				break;
			}
			if (!quote && (*s == ' ' || *s == '\t'))
				break;
			if (quote && *s == quote) {
				s++;
				break;
			}
			if (*s == '\\' && (s[1] == '\\' ||
					   (quote && s[1] == quote))) {
				*o++ = s[1];
				s += 2;
				continue;
			}
			*o++ = *s++;
		}
		*o++ = '\0';
	}
	return argc;
}

static int parse_include(struct waf_parser *p, const char *pattern,
			 bool optional);

static int
on_off(struct waf_parser *p, const char *dir, const char *v, uint8_t *out)
{
	if (strcasecmp(v, "On") == 0)
		*out = 1;
	else if (strcasecmp(v, "Off") == 0)
		*out = 0;
	else
		return waf_perr(p, "%s: expected On or Off, got \"%s\"", dir, v);
	return 0;
}

static int
number(struct waf_parser *p, const char *dir, const char *v, uint32_t *out)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || end == v || *end != '\0' || n > UINT32_MAX ||
	    v[0] == '-')
		return waf_perr(p, "%s: expected a number, got \"%s\"", dir,
				v);
	*out = (uint32_t)n;
	return 0;
}

/* "900000-900999" or "900100" */
static int
id_range(struct waf_parser *p, const char *v, uint32_t *lo, uint32_t *hi)
{
	const char *end;

	if (waf_id_range(v, &end, lo, hi) < 0 || *end)
		return waf_perr(p, "bad rule id or range \"%s\"", v);
	return 0;
}

static struct waf_exc *
exc_add(struct waf_parser *p, uint8_t kind)
{
	struct waf_exc *e;

	if (waf_vec_grow((void **)&p->excs, &p->cap_excs, p->n_excs + 1,
			 sizeof(*e)) < 0)
		return NULL;
	e = &p->excs[p->n_excs++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->file = p->file_str;
	e->line = p->line;
	return e;
}

/* Directives that govern logging and storage outside this engine. */
static const char *const ignored_directives[] = {
	"SecAuditEngine", "SecAuditLog", "SecAuditLog2", "SecAuditLogParts",
	"SecAuditLogType", "SecAuditLogFormat", "SecAuditLogStorageDir",
	"SecAuditLogRelevantStatus", "SecAuditLogDirMode",
	"SecAuditLogFileMode", "SecDebugLog", "SecDebugLogLevel",
	"SecTmpDir", "SecDataDir", "SecUploadDir", "SecUploadKeepFiles",
	"SecUploadFileMode", "SecUploadFileLimit", "SecUnicodeMapFile",
	"SecStatusEngine", "SecTmpSaveUploadedFiles", "SecCookieFormat",
	"SecResponseBodyMimeType", "SecResponseBodyLimit",
	"SecResponseBodyLimitAction", "SecRequestBodyInMemoryLimit",
	"SecRequestBodyJsonDepthLimit", "SecPcreMatchLimitRecursion",
};

static int
directive(struct waf_parser *p, int argc, char **argv)
{
	struct mg_waf_ruleset *rs = p->rs;
	const char *d = argv[0];
	uint32_t n;
	uint8_t b;

	rs->stats.directives++;
	if (strcasecmp(d, "SecRule") == 0) {
		if (argc < 3 || argc > 4)
			return waf_perr(p, "SecRule: expected VARIABLES "
					"OPERATOR [ACTIONS]");
		return waf_parse_secrule(p, argv[1], argv[2],
					 argc == 4 ? argv[3] : "");
	}
	if (p->chain_parent != WAF_NONE)
		return waf_perr(p, "%s after a rule with \"chain\": a chained "
				"SecRule was expected", d);
	if (strcasecmp(d, "SecAction") == 0) {
		if (argc != 2)
			return waf_perr(p, "SecAction: expected ACTIONS");
		return waf_parse_secaction(p, argv[1]);
	}
	if (strcasecmp(d, "SecMarker") == 0) {
		if (argc != 2)
			return waf_perr(p, "SecMarker: expected a name");
		return waf_parse_marker(p, argv[1]);
	}
	if (strcasecmp(d, "SecDefaultAction") == 0) {
		if (argc != 2)
			return waf_perr(p, "SecDefaultAction: expected ACTIONS");
		return waf_parse_default_action(p, argv[1]);
	}
	if (strcasecmp(d, "SecComponentSignature") == 0) {
		if (argc != 2)
			return waf_perr(p, "%s: expected one argument", d);
		snprintf(rs->component, sizeof(rs->component), "%s", argv[1]);
		return 0;
	}
	if (strcasecmp(d, "SecCollectionTimeout") == 0) {
		if (argc != 2)
			return waf_perr(p, "%s: expected one argument", d);
		return number(p, d, argv[1], &rs->collection_timeout);
	}
	if (strcasecmp(d, "SecRuleRemoveById") == 0) {
		if (argc < 2)
			return waf_perr(p, "%s: expected rule ids", d);
		for (int i = 1; i < argc; i++) {
			/* ModSecurity also takes "1 2 3" as one argument */
			char *save = NULL, *tok;

			for (tok = strtok_r(argv[i], " \t,", &save); tok;
			     tok = strtok_r(NULL, " \t,", &save)) {
				struct waf_exc *e = exc_add(p, WX_REMOVE_ID);

				if (e == NULL)
					return waf_perr(p, "out of memory");
				if (id_range(p, tok, &e->lo, &e->hi) < 0)
					return -1;
			}
		}
		return 0;
	}
	if (strcasecmp(d, "SecRuleRemoveByTag") == 0) {
		for (int i = 1; i < argc; i++) {
			struct waf_exc *e = exc_add(p, WX_REMOVE_TAG);

			if (e == NULL)
				return waf_perr(p, "out of memory");
			e->tag = waf_str_add(&rs->s, argv[i], strlen(argv[i]));
		}
		if (argc < 2)
			return waf_perr(p, "%s: expected a tag", d);
		return 0;
	}
	if (strcasecmp(d, "SecRuleUpdateTargetById") == 0 ||
	    strcasecmp(d, "SecRuleUpdateTargetByTag") == 0) {
		bool by_id = strcasecmp(d, "SecRuleUpdateTargetById") == 0;
		struct waf_exc *e;

		if (argc == 4)
			return waf_perr(p, "%s: replacing a target is not "
					"supported; add and exclude instead", d);
		if (argc != 3)
			return waf_perr(p, "%s: expected %s and TARGETS", d,
					by_id ? "ID" : "TAG");
		e = exc_add(p, by_id ? WX_UPDATE_TARGET_ID :
				       WX_UPDATE_TARGET_TAG);
		if (e == NULL)
			return waf_perr(p, "out of memory");
		if (by_id) {
			if (id_range(p, argv[1], &e->lo, &e->hi) < 0)
				return -1;
		} else {
			e->tag = waf_str_add(&rs->s, argv[1], strlen(argv[1]));
		}
		return waf_parse_vars(p, argv[2], &e->var_off, &e->n_vars);
	}
	if (strcasecmp(d, "SecRuleUpdateActionById") == 0) {
		struct waf_exc *e;

		if (argc != 3)
			return waf_perr(p, "%s: expected ID and ACTIONS", d);
		e = exc_add(p, WX_UPDATE_ACTION_ID);
		if (e == NULL)
			return waf_perr(p, "out of memory");
		if (number(p, d, argv[1], &e->lo) < 0)
			return -1;
		e->hi = e->lo;
		e->tag = waf_str_add(&rs->s, argv[2], strlen(argv[2]));
		return 0;
	}
	if (strcasecmp(d, "SecHttpBlKey") == 0 ||
	    strcasecmp(d, "SecGeoLookupDB") == 0) {
		if (argc != 2)
			return waf_perr(p, "%s: expected one argument", d);
		waf_warn(rs, "%s:%u: %s has no effect: %s", p->file, p->line,
			 d, d[3] == 'H' ? "@rbl never matches (no DNS lookups "
			 "in the request path)" : "no GeoIP database support");
		return 0;
	}
	if (strcasecmp(d, "SecRuleEngine") == 0) {
		if (argc != 2)
			return waf_perr(p, "%s: expected one argument", d);
		if (strcasecmp(argv[1], "On") == 0)
			rs->engine = WE_ON;
		else if (strcasecmp(argv[1], "Off") == 0)
			rs->engine = WE_OFF;
		else if (strcasecmp(argv[1], "DetectionOnly") == 0)
			rs->engine = WE_DETECT;
		else
			return waf_perr(p, "%s: expected On, Off or "
					"DetectionOnly", d);
		return 0;
	}
	if (strcasecmp(d, "SecRequestBodyAccess") == 0) {
		if (argc != 2)
			return waf_perr(p, "%s: expected On or Off", d);
		return on_off(p, d, argv[1], &rs->body_access);
	}
	if (strcasecmp(d, "SecResponseBodyAccess") == 0) {
		if (argc != 2 || on_off(p, d, argv[1], &b) < 0)
			return waf_perr(p, "%s: expected On or Off", d);
		if (b)
			waf_warn(rs, "%s:%u: SecResponseBodyAccess On: "
				 "responses are not inspected", p->file,
				 p->line);
		return 0;
	}
	if (strcasecmp(d, "SecRequestBodyLimit") == 0) {
		if (argc != 2)
			return waf_perr(p, "%s: expected a number", d);
		return number(p, d, argv[1], &rs->body_limit);
	}
	if (strcasecmp(d, "SecRequestBodyNoFilesLimit") == 0) {
		if (argc != 2)
			return waf_perr(p, "%s: expected a number", d);
		waf_warn(rs, "%s:%u: %s has no effect: bodies are limited by "
			 "SecRequestBodyLimit (or the policy's body_limit) "
			 "alone, files included", p->file, p->line, d);
		return number(p, d, argv[1], &n);
	}
	if (strcasecmp(d, "SecArgumentsLimit") == 0) {
		if (argc != 2)
			return waf_perr(p, "%s: expected a number", d);
		return number(p, d, argv[1], &rs->arg_limit);
	}
	if (strcasecmp(d, "SecRequestBodyLimitAction") == 0) {
		if (argc == 2 && strcasecmp(argv[1], "Reject") == 0)
			rs->body_limit_reject = 1;
		else if (argc == 2 &&
			 strcasecmp(argv[1], "ProcessPartial") == 0)
			rs->body_limit_reject = 0;
		else
			return waf_perr(p, "%s: expected Reject or "
					"ProcessPartial", d);
		return 0;
	}
	if (strcasecmp(d, "SecPcreMatchLimit") == 0) {
		if (argc != 2)
			return waf_perr(p, "%s: expected a number", d);
		if (number(p, d, argv[1], &n) < 0)
			return -1;
		rs->pcre_match_limit = n;
		return 0;
	}
	if (strcasecmp(d, "SecArgumentSeparator") == 0) {
		if (argc != 2 || strcmp(argv[1], "&") != 0)
			return waf_perr(p, "%s: only \"&\" is supported", d);
		return 0;
	}
	if (strcasecmp(d, "Include") == 0 ||
	    strcasecmp(d, "IncludeOptional") == 0) {
		if (argc != 2)
			return waf_perr(p, "%s: expected a path", d);
		return parse_include(p, argv[1],
				     strcasecmp(d, "IncludeOptional") == 0);
	}
	for (size_t i = 0; i < sizeof(ignored_directives) /
			       sizeof(ignored_directives[0]); i++)
		if (strcasecmp(d, ignored_directives[i]) == 0) {
			waf_warn(rs, "%s:%u: %s has no effect here", p->file,
				 p->line, ignored_directives[i]);
			return 0;
		}
	return waf_perr(p, "unsupported directive \"%s\"", d);
}

int
waf_parse_text(struct waf_parser *p, const char *name, const char *text,
	       size_t len)
{
	const char *saved_file = p->file;
	uint32_t saved_str = p->file_str, saved_line = p->line;
	char *line = NULL, *args = NULL;
	size_t cap = 0, pos = 0;
	uint32_t lineno = 0;
	int rc = 0;

	p->file = name;
	p->file_str = waf_str_add(&p->rs->s, name, strlen(name));
	p->rs->stats.files++;
	while (pos < len && rc == 0) {
		size_t used = 0;
		uint32_t first = lineno + 1;

		/* one logical line: join physical lines ending in '\' */
		for (;;) {
			const char *nl = memchr(text + pos, '\n', len - pos);
			size_t end = nl ? (size_t)(nl - text) : len;
			size_t n = end - pos;

			lineno++;
			if (n && text[pos + n - 1] == '\r')
				n--;
			if (used + n + 1 > cap) {
				char *nb;

				cap = (used + n + 1) * 2;
				nb = realloc(line, cap);
				if (nb == NULL) {
					rc = waf_perr(p, "out of memory");
					goto out;
				}
				line = nb;
			}
			if (memchr(text + pos, '\0', n) != NULL) {
				p->line = lineno;
				rc = waf_perr(p, "NUL byte in the rule text");
				goto out;
			}
			memcpy(line + used, text + pos, n);
			used += n;
			line[used] = '\0';
			pos = nl ? end + 1 : len;
			if (used && line[used - 1] == '\\' && pos < len) {
				line[--used] = '\0';
				continue;
			}
			if (used && line[used - 1] == '\\')
				line[--used] = '\0';
			break;
		}
		p->line = first;
		{
			const char *s = line;
			char *argv[WAF_MAX_ARGS];
			char *nb;
			int argc;

			while (*s == ' ' || *s == '\t')
				s++;
			if (*s == '\0' || *s == '#')
				continue;
			nb = realloc(args, used + WAF_MAX_ARGS + 1);
			if (nb == NULL) {
				rc = waf_perr(p, "out of memory");
				goto out;
			}
			args = nb;
			argc = split_args(p, s, args, argv);
			if (argc < 0) {
				rc = -1;
				goto out;
			}
			rc = directive(p, argc, argv);
		}
	}
	if (rc == 0 && p->chain_parent != WAF_NONE) {
		p->line = lineno;
		rc = waf_perr(p, "the file ends after a rule with \"chain\"");
	}
out:
	free(line);
	free(args);
	p->file = saved_file;
	p->file_str = saved_str;
	p->line = saved_line;
	return rc;
}

int
waf_parse_file(struct waf_parser *p, const char *path)
{
	FILE *f;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc;

	f = fopen(path, "rb");
	if (f == NULL)
		return waf_perr(p, "cannot open %s: %s", path, strerror(errno));
	for (;;) {
		size_t n;

		if (len + 65536 > cap) {
			char *nb;

			cap = cap ? cap * 2 : 65536 * 2;
			if (cap > WAF_MAX_FILE) {
				fclose(f);
				free(buf);
				return waf_perr(p, "%s: larger than %u bytes",
						path, WAF_MAX_FILE);
			}
			nb = realloc(buf, cap);
			if (nb == NULL) {
				fclose(f);
				free(buf);
				return waf_perr(p, "out of memory");
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		fclose(f);
		free(buf);
		return waf_perr(p, "cannot read %s", path);
	}
	fclose(f);
	rc = waf_parse_text(p, path, buf ? buf : "", len);
	free(buf);
	return rc;
}

static int
parse_include(struct waf_parser *p, const char *pattern, bool optional)
{
	char full[4096];
	glob_t g;
	int rc, grc;

	if (p->depth >= WAF_MAX_INCLUDE_DEPTH)
		return waf_perr(p, "Include nested deeper than %d",
				WAF_MAX_INCLUDE_DEPTH);
	if (pattern[0] != '/' && p->file != NULL) {
		char dir[4096];

		snprintf(dir, sizeof(dir), "%s", p->file);
		snprintf(full, sizeof(full), "%s/%s", dirname(dir), pattern);
	} else {
		snprintf(full, sizeof(full), "%s", pattern);
	}
	grc = glob(full, 0, NULL, &g);
	if (grc == GLOB_NOMATCH) {
		if (optional)
			return 0;
		return waf_perr(p, "Include: no file matches %s", full);
	}
	if (grc != 0)
		return waf_perr(p, "Include: cannot expand %s", full);
	p->depth++;
	rc = 0;
	for (size_t i = 0; i < g.gl_pathc && rc == 0; i++)
		rc = waf_parse_file(p, g.gl_pathv[i]);
	p->depth--;
	globfree(&g);
	return rc;
}
