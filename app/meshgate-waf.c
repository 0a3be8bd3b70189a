/* SPDX-License-Identifier: Apache-2.0 */
/*
 * meshgate-waf: the WAF of meshgate without the data path.
 *
 *   meshgate-waf [options] FILE|DIR...   evaluate raw HTTP requests
 *   meshgate-waf [options] --serve PORT  answer HTTP on 127.0.0.1:PORT
 *
 * A file holds one raw request (head and body). In --serve mode every
 * request gets an answer (200, or the WAF's status when it denies, or the
 * HTTP parser's status when the request is malformed) that names the
 * matched rules in X-Meshgate-Waf-Rules, so that a regression corpus can
 * be replayed against it (tests/waf/run_corpus.sh). This is a tool for
 * rule authors and tests: plain sockets, one connection at a time.
 */
#include <dirent.h>
#include <errno.h>
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "mg_http.h"
#include "mg_waf.h"

#define MAX_REQUEST (8u << 20)
#define MAX_FILES 64

struct opts {
	struct mg_waf_conf conf;
	const char *pre[MAX_FILES];
	const char *post[MAX_FILES];
	bool json;
	bool stats;
	bool quiet;
	int serve_port;
	const char *audit_log;
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: meshgate-waf [options] FILE|DIR...\n"
"       meshgate-waf [options] --serve PORT\n"
"  --setup FILE      crs-setup.conf\n"
"                    (default /etc/modsecurity/crs/crs-setup.conf)\n"
"  --rules-dir DIR   every *.conf in DIR\n"
"                    (default /usr/share/modsecurity-crs/rules)\n"
"  --pre FILE        SecLang after the setup, before the rules (repeatable)\n"
"  --post FILE       SecLang after the rules (repeatable)\n"
"  --paranoia N      tx.paranoia_level 1..4\n"
"  --mode M          block or detect (default: as the rules say, else block)\n"
"  --cache-dir DIR   keep compiled Hyperscan databases in DIR\n"
"  --json            one audit JSON line per request\n"
"  --stats           print load statistics and warnings\n"
"  --serve PORT      answer HTTP on 127.0.0.1:PORT\n"
"  --audit-log FILE  with --serve: append the audit line of every request\n"
"  --quiet           with --serve: no line per request\n");
}

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{ "setup", required_argument, NULL, 's' },
		{ "rules-dir", required_argument, NULL, 'r' },
		{ "pre", required_argument, NULL, 'b' },
		{ "post", required_argument, NULL, 'a' },
		{ "paranoia", required_argument, NULL, 'p' },
		{ "mode", required_argument, NULL, 'm' },
		{ "cache-dir", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "stats", no_argument, NULL, 'S' },
		{ "serve", required_argument, NULL, 'P' },
		{ "audit-log", required_argument, NULL, 'A' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->conf.setup = "/etc/modsecurity/crs/crs-setup.conf";
	o->conf.rules_dir = "/usr/share/modsecurity-crs/rules";
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->conf.setup = *optarg ? optarg : NULL;
			break;
		case 'r':
			o->conf.rules_dir = *optarg ? optarg : NULL;
			break;
		case 'b':
			if (o->conf.n_pre_files == MAX_FILES)
				return -1;
			o->pre[o->conf.n_pre_files++] = optarg;
			break;
		case 'a':
			if (o->conf.n_files == MAX_FILES)
				return -1;
			o->post[o->conf.n_files++] = optarg;
			break;
		case 'p':
			if (optarg[0] < '1' || optarg[0] > '4' || optarg[1]) {
				fprintf(stderr, "--paranoia: expected 1 to 4\n");
				return -1;
			}
			o->conf.paranoia = (uint8_t)(optarg[0] - '0');
			break;
		case 'm':
			if (strcmp(optarg, "block") == 0) {
				o->conf.mode = MG_WAF_MODE_BLOCK;
			} else if (strcmp(optarg, "detect") == 0) {
				o->conf.mode = MG_WAF_MODE_DETECT;
			} else {
				fprintf(stderr, "--mode: block or detect\n");
				return -1;
			}
			break;
		case 'c':
			o->conf.cache_dir = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'S':
			o->stats = true;
			break;
		case 'P':
			o->serve_port = atoi(optarg);
			if (o->serve_port <= 0 || o->serve_port > 65535) {
				fprintf(stderr, "--serve: expected a port\n");
				return -1;
			}
			break;
		case 'A':
			o->audit_log = optarg;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -1;
		}
	}
	o->conf.pre_files = o->pre;
	o->conf.files = o->post;
	return 0;
}

static const char *const verdict_names[] = { "PASS", "DENY", "DROP", "REDIRECT" };

static void
print_result(const struct opts *o, struct mg_waf_ctx *ctx, const char *name,
	     const struct mg_waf_result *res, int rc)
{
	static char line[1 << 16];

	if (o->json) {
		mg_waf_audit_json(ctx, res, line, sizeof(line));
		printf("%s\n", line);
		return;
	}
	if (rc < 0) {
		printf("%s: not an HTTP request\n", name);
		return;
	}
	printf("%s: %s", name, verdict_names[res->verdict]);
	if (res->verdict == MG_WAF_DENY || res->verdict == MG_WAF_REDIRECT)
		printf(" %u", res->status);
	if (res->location)
		printf(" %s", res->location);
	printf(" score=%d%s%s\n", res->anomaly_score,
	       res->detect_only ? " detection-only" : "",
	       res->would_block ? " would-block" : "");
	for (unsigned i = 0; i < res->n_matches; i++) {
		const struct mg_waf_match *m = &res->matches[i];

		printf("  %u %s", m->rule_id, m->msg);
		if (m->data[0])
			printf(" [%s]", m->data);
		printf("\n");
	}
}

static uint8_t *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;

	if (f == NULL)
		return NULL;
	buf = malloc(MAX_REQUEST);
	if (buf)
		*len = fread(buf, 1, MAX_REQUEST, f);
	fclose(f);
	return buf;
}

static int
eval_file(const struct opts *o, struct mg_waf_ctx *ctx, const char *path)
{
	struct mg_waf_result res;
	size_t len = 0;
	uint8_t *buf = read_file(path, &len);
	int rc;

	if (buf == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	rc = mg_waf_eval(ctx, buf, len, NULL, &res);
	print_result(o, ctx, path, &res, rc);
	free(buf);
	return 0;
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int
eval_path(const struct opts *o, struct mg_waf_ctx *ctx, const char *path)
{
	struct dirent **ents;
	struct stat st;
	int n, rc = 0;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return eval_file(o, ctx, path);
	n = scandir(path, &ents, NULL, by_name);
	if (n < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char full[4096];

		if (ents[i]->d_name[0] != '.') {
			size_t n = strlen(path);

			snprintf(full, sizeof(full), "%s%s%s", path,
				 n && path[n - 1] == '/' ? "" : "/",
				 ents[i]->d_name);
			if (eval_path(o, ctx, full) < 0)
				rc = -1;
		}
		free(ents[i]);
	}
	free(ents);
	return rc;
}

/* ----------------------------------------------------------------- */
/* --serve */

struct conn_buf {
	uint8_t *buf;
	size_t len;
	uint8_t *body;
	size_t body_len;
};

static ssize_t
fill(int fd, struct conn_buf *b)
{
	ssize_t n;

	if (b->len == MAX_REQUEST)
		return 0;
	do {
		n = recv(fd, b->buf + b->len, MAX_REQUEST - b->len, 0);
	} while (n < 0 && errno == EINTR);
	if (n > 0)
		b->len += (size_t)n;
	return n;
}

/* Read and drop n body bytes that do not fit the buffer. */
static bool
drain(int fd, uint64_t n)
{
	char sink[65536];

	while (n) {
		ssize_t r = recv(fd, sink, n < sizeof(sink) ? n : sizeof(sink),
				 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		n -= (uint64_t)r;
	}
	return true;
}

/* End of the head at the first empty line (CRLF or bare LF), or 0. */
static size_t
head_end(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (p[i] != '\n')
			continue;
		if (p[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && p[i + 1] == '\r' && p[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/*
 * Read one request: the head through lib/http (the gateway's parser),
 * then a Content-Length or chunked body. Returns the HTTP status to
 * answer for a request lib/http refuses (the WAF still sees what came),
 * 0 when it is well-formed, -1 when nothing usable came.
 */
static int
read_request(int fd, struct conn_buf *b, size_t *head_len)
{
	struct mg_http_header hdrs[256];
	struct mg_http_msg m;
	int rc;

	mg_http_request_init(&m, hdrs, 256, NULL);
	for (;;) {
		rc = mg_http_request_parse(&m, (const char *)b->buf, b->len);
		if (rc != MG_HTTP_AGAIN)
			break;
		if (fill(fd, b) <= 0) {
			if (b->len == 0)
				return -1;
			*head_len = head_end(b->buf, b->len);
			if (*head_len == 0)
				*head_len = b->len;
			b->body = b->buf + *head_len;
			b->body_len = b->len - *head_len;
			return 400;
		}
	}
	if (rc != MG_HTTP_OK) {
		*head_len = head_end(b->buf, b->len);
		if (*head_len == 0)
			*head_len = b->len;
		b->body = b->buf + *head_len;
		b->body_len = b->len - *head_len;
		return (int)mg_http_rc_status(rc);
	}
	*head_len = m.head_len;
	b->body = b->buf + m.head_len;
	b->body_len = 0;
	if (m.framing == MG_HTTP_BODY_LENGTH) {
		/* like a server, wait for the whole body; keep what fits */
		uint64_t want = m.content_length, kept;

		while (b->len - m.head_len < want && b->len < MAX_REQUEST)
			if (fill(fd, b) <= 0)
				return 408;
		b->body_len = b->len - m.head_len;
		if (b->body_len > want)
			b->body_len = want;
		kept = b->body_len;
		if (kept < want && !drain(fd, want - kept))
			return 408;
	} else if (m.framing == MG_HTTP_BODY_CHUNKED) {
		struct mg_http_chunked ch;
		size_t pos = m.head_len, out = 0;

		/* decode in place: data never overtakes the framing */
		mg_http_chunked_init(&ch, 0, 0, 0);
		for (;;) {
			size_t used = 0;
			struct mg_http_slice d;

			rc = mg_http_chunked_decode(&ch,
				(const char *)b->buf + pos, b->len - pos, &used,
				&d);
			if (d.len) {
				memmove(b->body + out, b->buf + pos + d.off,
					d.len);
				out += d.len;
			}
			pos += used;
			if (rc == MG_HTTP_OK)
				break;
			if (rc != MG_HTTP_AGAIN) {
				b->body_len = out;
				return (int)mg_http_rc_status(rc);
			}
			if (pos == b->len && fill(fd, b) <= 0)
				break;
		}
		b->body_len = out;
	}
	/* an origin server, not a proxy: no tunnels */
	if (m.method == MG_HTTP_M_CONNECT)
		return 405;
	return 0;
}

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 302: return "Found";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 431: return "Request Header Fields Too Large";
	case 501: return "Not Implemented";
	case 505: return "HTTP Version Not Supported";
	default: return "Status";
	}
}

static void
serve_one(const struct opts *o, struct mg_waf_ctx *ctx, int fd, FILE *audit,
	  struct conn_buf *b, const struct sockaddr_in *peer)
{
	static char ids[8192], line[1 << 16];
	char addr[INET_ADDRSTRLEN] = "";
	struct mg_waf_conn conn = { .remote_addr = addr,
				    .remote_port = ntohs(peer->sin_port),
				    .server_addr = "127.0.0.1",
				    .server_port = (uint16_t)o->serve_port };
	struct mg_waf_result res;
	char resp[9000];
	size_t head_len = 0;
	int bad, status = 200, rc, n, loc_len = 0;

	inet_ntop(AF_INET, &peer->sin_addr, addr, sizeof(addr));
	b->len = 0;
	bad = read_request(fd, b, &head_len);
	if (bad < 0)
		return;
	rc = mg_waf_begin(ctx, b->buf, head_len, &conn, &res);
	if (rc == MG_WAF_PASS) {
		mg_waf_body(ctx, b->body, b->body_len);
		rc = mg_waf_end(ctx, &res);
	}
	mg_waf_rule_ids(&res, ids, sizeof(ids));
	if (audit && rc >= 0) {
		mg_waf_audit_json(ctx, &res, line, sizeof(line));
		fprintf(audit, "%s\n", line);
		fflush(audit);
	}
	if (!o->quiet)
		printf("%.*s -> %s%s [%s]\n",
		       (int)(memchr(b->buf, '\n', head_len) ?
			     (uint8_t *)memchr(b->buf, '\n', head_len) - b->buf :
			     (long)(head_len > 80 ? 80 : head_len)),
		       (const char *)b->buf,
		       rc >= 0 ? verdict_names[res.verdict] : "UNREADABLE",
		       bad ? " (malformed)" : "", ids);
	if (rc == MG_WAF_DROP)
		return;
	if (rc == MG_WAF_REDIRECT) {
		/* the URL may come from the request: no line breaks */
		loc_len = (int)strcspn(res.location, "\r\n");
		if (loc_len > 2000)
			loc_len = 2000;
	}
	if (rc == MG_WAF_DENY || rc == MG_WAF_REDIRECT)
		status = res.status;
	else if (bad)
		status = bad;
	n = snprintf(resp, sizeof(resp), "HTTP/1.1 %d %s\r\n"
		     "X-Meshgate-Waf-Rules: %s\r\n%s%.*s%s"
		     "Content-Length: 0\r\nConnection: close\r\n\r\n",
		     status, reason(status), ids,
		     rc == MG_WAF_REDIRECT ? "Location: " : "",
		     loc_len,
		     rc == MG_WAF_REDIRECT ? res.location : "",
		     rc == MG_WAF_REDIRECT ? "\r\n" : "");
	if (n > 0)
		(void)send(fd, resp, (size_t)n, MSG_NOSIGNAL);
}

static int
serve(const struct opts *o, struct mg_waf_ctx *ctx)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons((uint16_t)o->serve_port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct conn_buf b = { .buf = malloc(MAX_REQUEST) };
	/* longer than a client's usual 5 s: a client that stops sending
	 * gives up first, as it would with a real server */
	struct timeval tv = { .tv_sec = 10 };
	FILE *audit = NULL;
	int one = 1, s;

	if (b.buf == NULL)
		return -1;
	if (o->audit_log) {
		audit = fopen(o->audit_log, "a");
		if (audit == NULL) {
			fprintf(stderr, "%s: %s\n", o->audit_log,
				strerror(errno));
			return -1;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one,
				sizeof(one)) < 0 ||
	    bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(s, 64) < 0) {
		fprintf(stderr, "127.0.0.1:%d: %s\n", o->serve_port,
			strerror(errno));
		return -1;
	}
	fprintf(stderr, "meshgate-waf: serving on 127.0.0.1:%d\n",
		o->serve_port);
	for (;;) {
		struct sockaddr_in peer = { 0 };
		socklen_t plen = sizeof(peer);
		int fd = accept(s, (struct sockaddr *)&peer, &plen);

		if (fd < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "accept: %s\n", strerror(errno));
			break;
		}
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		serve_one(o, ctx, fd, audit, &b, &peer);
		fflush(stdout);
		close(fd);
	}
	close(s);
	return -1;
}

static void
print_stats(const struct mg_waf_ruleset *rs, const struct mg_waf_ctx *ctx)
{
	const struct mg_waf_load_stats *st = mg_waf_ruleset_stats(rs);

	fprintf(stderr,
		"files %u, directives %u, rules %u (+%u chained, %u markers, "
		"%u removed, %u of phases 3-5 not run)\n"
		"regexes %u; patterns in Hyperscan %u (%u exact, %u "
		"prefiltered) in %u databases (+%u for light chains) of %llu "
		"bytes; PCRE2 only %u; "
		"operators run by the scan %u\n"
		"decided at load %u (%u run into the TX image, %u setting "
		"only what no rule reads); scan targets no reachable rule "
		"reads %u\n"
		"load %.1f ms (parse %.1f, compile %.1f)%s; context %zu bytes\n",
		st->files, st->directives, st->rules, st->chained, st->markers,
		st->removed, st->response_rules, st->regexes, st->patterns,
		st->hs_exact, st->hs_prefilter, st->groups, st->light_groups,
		(unsigned long long)st->db_bytes, st->pcre_only, st->scan_ops,
		st->folded, st->hoisted, st->unread, st->dead_targets,
		st->total_us / 1000.0, st->parse_us / 1000.0,
		st->compile_us / 1000.0,
		st->from_cache ? " from the cache" : "",
		mg_waf_ctx_memory(ctx));
	fputs(mg_waf_ruleset_warnings(rs), stderr);
}

int
main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct mg_waf_ruleset *rs;
	struct mg_waf_ctx *ctx;
	char err[MG_WAF_ERRLEN];
	int rc = 0;

	if (parse_opts(argc, argv, &o) < 0 ||
	    (o.serve_port == 0 && optind == argc)) {
		usage(stderr);
		return 2;
	}
	rs = mg_waf_load(&o.conf, err, sizeof(err));
	if (rs == NULL) {
		fprintf(stderr, "meshgate-waf: %s\n", err);
		return 1;
	}
	ctx = mg_waf_ctx_create(rs, &o.conf);
	if (ctx == NULL) {
		fprintf(stderr, "meshgate-waf: cannot create a context\n");
		mg_waf_ruleset_free(rs);
		return 1;
	}
	if (o.stats)
		print_stats(rs, ctx);
	if (o.serve_port)
		rc = serve(&o, ctx);
	else
		for (int i = optind; i < argc; i++)
			if (eval_path(&o, ctx, argv[i]) < 0)
				rc = -1;
	mg_waf_ctx_free(ctx);
	mg_waf_ruleset_free(rs);
	return rc < 0 ? 1 : 0;
}
