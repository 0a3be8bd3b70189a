/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Error messages of the loader and the checker. They are collected rather
 * than printed at once so that the checker can tell which values already
 * failed (and keep quiet about them), and so that the output comes sorted by
 * line like a compiler's.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_internal.h"

/* The setting at PATH ("clusters[0].endpoints[2].port"), or the closest
 * parent that exists; *found says which. */
static const config_setting_t *
lookup(const config_t *lc, const char *path, bool *found)
{
	const config_setting_t *s = config_root_setting(lc);
	const char *p = path;
	char name[128];

	while (*p != '\0' && s != NULL) {
		size_t n = strcspn(p, ".[");
		const config_setting_t *child = NULL;

		if (n > 0) {
			if (n >= sizeof(name))
				break;
			memcpy(name, p, n);
			name[n] = '\0';
			child = config_setting_get_member(s, name);
			if (child == NULL)
				break;
			s = child;
			p += n;
		}
		if (*p == '[') {
			char *end;
			unsigned long i = strtoul(p + 1, &end, 10);

			if (*end != ']')
				break;
			child = config_setting_get_elem(s, (unsigned)i);
			if (child == NULL)
				break;
			s = child;
			p = end + 1;
		}
		if (*p == '.')
			p++;
	}
	*found = *p == '\0' && s != NULL;
	return s;
}

bool
cfg_has(const struct cfg_ctx *ctx, const char *path)
{
	bool found;

	lookup(&ctx->lc, path, &found);
	return found;
}

static void
vrecord(struct cfg_ctx *ctx, const config_setting_t *s, const char *path,
	const char *fmt, va_list ap)
{
	const char *file = NULL;
	unsigned line = 0;
	char text[512], loc[320];
	struct cfg_msg *m;

	if (s != NULL) {
		line = config_setting_source_line(s);
		file = config_setting_source_file(s);
	}
	if (file == NULL)
		file = ctx->file;
	if (line > 0)
		snprintf(loc, sizeof(loc), "%s:%u: ", file, line);
	else
		snprintf(loc, sizeof(loc), "%s: ", file);
	vsnprintf(text, sizeof(text), fmt, ap);

	if (ctx->n_msgs == ctx->cap_msgs) {
		unsigned cap = ctx->cap_msgs ? 2 * ctx->cap_msgs : 16;
		struct cfg_msg *n = realloc(ctx->msgs, cap * sizeof(*n));

		if (n == NULL) {
			ctx->oom = true;
			return;
		}
		ctx->msgs = n;
		ctx->cap_msgs = cap;
	}
	m = &ctx->msgs[ctx->n_msgs];
	m->line = line;
	m->seq = ctx->n_msgs;
	m->path = strdup(path);
	if (asprintf(&m->text, "%s%s%s%s", loc, path, path[0] ? ": " : "",
		     text) < 0)
		m->text = NULL;
	if (m->path == NULL || m->text == NULL) {
		free(m->path);
		free(m->text);
		ctx->oom = true;
		return;
	}
	ctx->n_msgs++;
}

void
cfg_error_at(struct cfg_ctx *ctx, const config_setting_t *s, const char *path,
	     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vrecord(ctx, s, path, fmt, ap);
	va_end(ap);
}

void
cfg_error(struct cfg_ctx *ctx, const char *path, const char *fmt, ...)
{
	va_list ap;
	bool found;

	va_start(ap, fmt);
	vrecord(ctx, lookup(&ctx->lc, path, &found), path, fmt, ap);
	va_end(ap);
}

/* Is A equal to B, or B followed by a deeper component? */
static bool
is_within(const char *a, const char *b)
{
	size_t n = strlen(b);

	return strncmp(a, b, n) == 0 &&
		(a[n] == '\0' || a[n] == '.' || a[n] == '[');
}

bool
cfg_ok(const struct cfg_ctx *ctx, const char *path)
{
	for (unsigned i = 0; i < ctx->n_msgs; i++) {
		const char *p = ctx->msgs[i].path;

		if (p[0] == '\0' || is_within(path, p) || is_within(p, path))
			return false;
	}
	return true;
}

const char *
cfg_quote(const char *s, char *buf, size_t len)
{
	size_t o = 0, n = 0;

	if (len < 8) {
		buf[0] = '\0';
		return buf;
	}
	buf[o++] = '"';
	for (; *s != '\0'; s++, n++) {
		unsigned char c = (unsigned char)*s;

		if (o + 8 >= len || n == 48) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

static int
msg_cmp(const void *a, const void *b)
{
	const struct cfg_msg *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

char *
cfg_flush(struct cfg_ctx *ctx)
{
	static const char oom[] = ": out of memory while reporting errors\n";
	size_t len = 1, n = 0;
	char *text;

	if (ctx->n_msgs > 1)
		qsort(ctx->msgs, ctx->n_msgs, sizeof(ctx->msgs[0]), msg_cmp);
	for (unsigned i = 0; i < ctx->n_msgs; i++)
		len += strlen(ctx->msgs[i].text) + 1;
	if (ctx->oom)
		len += strlen(ctx->file) + sizeof(oom);
	text = malloc(len);
	for (unsigned i = 0; i < ctx->n_msgs; i++) {
		size_t l = strlen(ctx->msgs[i].text);

		if (text != NULL) {
			memcpy(text + n, ctx->msgs[i].text, l);
			text[n + l] = '\n';
			n += l + 1;
		}
		free(ctx->msgs[i].text);
		free(ctx->msgs[i].path);
	}
	if (ctx->oom && text != NULL)
		n += (size_t)sprintf(text + n, "%s%s", ctx->file, oom);
	if (text != NULL)
		text[n] = '\0';
	free(ctx->msgs);
	ctx->msgs = NULL;
	return text;
}
