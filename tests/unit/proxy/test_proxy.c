/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP proxy of lib/proxy between clients and origin servers on two
 * TCP stacks joined back to back (proxy_test.h), one case per behaviour,
 * chosen by name on the command line. Deterministic: fixed seeds and a
 * virtual clock; nothing waits for wall time.
 */

#include "proxy_test.h"

/* ---- small helpers of the cases ---- */

/* The record of the @p i-th finished request (a zeroed one when absent). */
static const struct mg_access_record *
rec(unsigned i)
{
	static const struct mg_access_record none = {
		.route = -2, .cluster = -2, .endpoint = -2,
	};

	MG_CHECK(i < n_records);
	return i < n_records ? &records[i] : &none;
}

static uint32_t
received(const struct client *cl)
{
	return cl->rx_len;
}

/* The value of header @p name in an echoed request head (the body of a
 * /echo response), copied to @p buf. */
static bool
echoed_header(const struct resp *r, const char *name, char *buf, size_t cap)
{
	char key[64];
	const char *p, *end;
	int kl = snprintf(key, sizeof(key), "\r\n%s: ", name);

	p = memmem(r->body, r->body_len, key, (size_t)kl);
	if (p == NULL)
		return false;
	p += kl;
	end = memmem(p, r->body_len - (uint32_t)(p - r->body), "\r\n", 2);
	if (end == NULL)
		return false;
	snprintf(buf, cap, "%.*s", (int)(end - p), p);
	return true;
}

/* A local error answer: status, JSON body, closing. */
static void
check_error_answer(const struct resp *r, unsigned status, enum mg_proxy_error e)
{
	char want[128], id[64];

	MG_CHECK_EQ(r->status, status);
	MG_CHECK(resp_header_is(r, "Content-Type", "application/json"));
	MG_CHECK(resp_header_is(r, "Connection", "close"));
	snprintf(want, sizeof(want), "{\"status\":%u,\"reason\":\"%s\",", status,
		 mg_proxy_error_names[e]);
	MG_CHECK(r->body_len > strlen(want) &&
		 memcmp(r->body, want, strlen(want)) == 0);
	/* an answer before the head was read has no request id to give */
	if (resp_header(r, "x-request-id", id, sizeof(id))) {
		MG_CHECK_EQ(strlen(id), 36);
		MG_CHECK(body_has(r, id));
	} else {
		MG_CHECK(body_has(r, "\"request_id\":\"\"}"));
	}
}

/* ---- simple GET, keep-alive, upstream connection reuse ---- */

static void
test_keepalive(void)
{
	struct resp r[4];
	struct client *cl;
	uint32_t lens[3], total = 0;
	struct mg_ip laddr, raddr;
	uint16_t lport, rport;
	struct mg_proxy_stats st;
	struct mg_proxy_cluster_stats cs;
	const struct mg_proxy_route_stats *rs;
	char line[1024];

	cl = cl_open();
	for (unsigned i = 0; i < 3; i++) {
		char req[512];
		int n = snprintf(req, sizeof(req),
			"GET /echo?i=%u HTTP/1.1\r\nHost: one.test\r\n"
			"X-Test: %u\r\nConnection: keep-alive, X-Hop\r\n"
			"X-Hop: secret\r\nKeep-Alive: timeout=5\r\n"
			"X-Forwarded-For: 192.0.2.66\r\n\r\n", i, i);

		lens[i] = (uint32_t)n;
		cl_send(cl, req, (uint32_t)n);
		MG_CHECK_EQ(wait_responses(cl, i + 1, r, 4, 1000000), i + 1);
	}
	MG_CHECK_EQ(cl_responses(cl, r, 4), 3);
	mg_tcp_conn_addrs(cl->c, &laddr, &lport, &raddr, &rport);
	for (unsigned i = 0; i < 3; i++) {
		char want[64], id[64], v[64];
		const struct mg_access_record *a = rec(i);

		MG_CHECK_EQ(r[i].status, 200);
		MG_CHECK(resp_header_is(&r[i], "X-Server", "0"));
		/* hop-by-hop fields of the response stay behind */
		MG_CHECK(!resp_header(&r[i], "Connection", v, sizeof(v)));
		MG_CHECK(!resp_header(&r[i], "X-Drop-Me", v, sizeof(v)));
		MG_CHECK(!resp_header(&r[i], "Keep-Alive", v, sizeof(v)));
		/* what the server received */
		snprintf(want, sizeof(want), "GET /echo?i=%u HTTP/1.1\r\n", i);
		MG_CHECK(r[i].body_len > strlen(want) &&
			 memcmp(r[i].body, want, strlen(want)) == 0);
		MG_CHECK(body_has(&r[i], "\r\nHost: one.test\r\n"));
		snprintf(want, sizeof(want), "\r\nX-Test: %u\r\n", i);
		MG_CHECK(body_has(&r[i], want));
		MG_CHECK(!body_has(&r[i], "X-Hop"));
		MG_CHECK(!body_has(&r[i], "Keep-Alive"));
		MG_CHECK(!body_has(&r[i], "192.0.2.66"));	/* not trusted */
		MG_CHECK(body_has(&r[i], "\r\nX-Forwarded-For: 10.0.0.1\r\n"));
		MG_CHECK(body_has(&r[i], "\r\nX-Forwarded-Proto: http\r\n"));
		MG_CHECK(body_has(&r[i], "\r\nX-Forwarded-Host: one.test\r\n"));
		MG_CHECK(body_has(&r[i],
			"\r\nForwarded: for=10.0.0.1;proto=http;host=one.test\r\n"));
		MG_CHECK(echoed_header(&r[i], "traceparent", v, sizeof(v)) &&
			 strlen(v) == 55 && memcmp(v, "00-", 3) == 0);
		MG_CHECK(body_has(&r[i], "body-length: 0\n"));
		MG_CHECK(echoed_header(&r[i], "x-request-id", id, sizeof(id)));

		MG_CHECK_EQ(a->status, 200);
		MG_CHECK_EQ(a->route, R_ONE);
		MG_CHECK_EQ(a->cluster, C_ONE);
		MG_CHECK_EQ(a->endpoint, 0);
		MG_CHECK_EQ(a->attempts, 1);
		MG_CHECK_EQ(a->error, 0);
		MG_CHECK_EQ(a->listener, 0);
		MG_CHECK(strcmp(a->method, "GET") == 0);
		MG_CHECK(strcmp(a->host, "one.test") == 0);
		snprintf(want, sizeof(want), "/echo?i=%u", i);
		MG_CHECK(strcmp(a->path, want) == 0);
		MG_CHECK(strcmp(a->request_id, id) == 0);
		MG_CHECK_EQ(a->bytes_in, lens[i]);
		MG_CHECK_EQ(a->bytes_out, r[i].head_len + r[i].body_len);
		MG_CHECK(mg_ip_eq(&a->client, &L.addr[0]));
		MG_CHECK_EQ(a->client_port, lport);
		MG_CHECK(a->time_us > 1700000000000000ULL);
		MG_CHECK(a->upstream_us > 0);
		total += r[i].head_len + r[i].body_len;
	}
	/* one upstream connection served all three */
	MG_CHECK_EQ(servers[0].accepts, 1);
	MG_CHECK_EQ(servers[0].requests, 3);
	cs = cstats(C_ONE);
	MG_CHECK_EQ(cs.requests, 3);
	MG_CHECK_EQ(cs.connects, 1);
	MG_CHECK_EQ(cs.pool_reuses, 2);
	MG_CHECK_EQ(cs.idle, 1);
	MG_CHECK_EQ(cs.connections, 1);
	MG_CHECK_EQ(cs.active_requests, 0);
	st = pstats();
	MG_CHECK_EQ(st.sessions, 1);
	MG_CHECK_EQ(st.requests, 3);
	MG_CHECK_EQ(st.responses, 3);
	MG_CHECK_EQ(st.by_class[2], 3);
	MG_CHECK_EQ(st.log_records, 3);
	MG_CHECK_EQ(st.log_dropped, 0);
	MG_CHECK_EQ(st.bytes_in, lens[0] + lens[1] + lens[2]);
	MG_CHECK_EQ(st.bytes_out, total);
	rs = mg_proxy_route_stats(px, R_ONE);
	MG_CHECK(rs != NULL && rs->requests == 3 && rs->by_class[2] == 3);
	MG_CHECK(mg_proxy_route_stats(px, N_ROUTES) == NULL);
	MG_CHECK(mg_proxy_hist_quantile(rs->upstream_us, 0.5) > 0);

	MG_CHECK(mg_access_record_json(rec(0), line, sizeof(line), cfg) > 0);
	MG_CHECK(strstr(line, "\"status\":200,") != NULL);
	MG_CHECK(strstr(line, "\"route\":\"one\"") != NULL);
	MG_CHECK(strstr(line, "\"cluster\":\"one\"") != NULL);
	MG_CHECK(strstr(line, "\"endpoint\":\"10.0.0.1:8080\"") != NULL);
	MG_CHECK(strstr(line, "\"path\":\"/echo?i=0\"") != NULL);
	MG_CHECK(strstr(line, "\"error\":null}\n") != NULL);

	/* the client leaves: the proxy closes its side too */
	MG_CHECK(!cl->peer_closed && !cl->closed);
	mg_tcp_shutdown(cl->c, L.now);
	run(100000);
	MG_CHECK(cl->peer_closed);
	MG_CHECK(!cl->reset);
	/* the pooled connection is closed after the pool's idle timeout */
	run(29000000);
	MG_CHECK_EQ(cstats(C_ONE).idle, 1);
	run(2000000);
	cs = cstats(C_ONE);
	MG_CHECK_EQ(cs.idle, 0);
	MG_CHECK_EQ(cs.connections, 0);
	MG_CHECK_EQ(servers[0].fins, 1);
	MG_CHECK_EQ(servers[0].resets, 0);
}

/* ---- pipelined requests are answered in order ---- */

static void
test_pipelining(void)
{
	struct resp r[4];
	struct client *cl = cl_open();

	cl_sends(cl, "GET /echo?n=1 HTTP/1.1\r\nHost: one.test\r\n\r\n"
		     "GET /status/201 HTTP/1.1\r\nHost: one.test\r\n\r\n"
		     "GET /echo?n=3 HTTP/1.1\r\nHost: one.test\r\n\r\n");
	MG_CHECK_EQ(wait_responses(cl, 3, r, 4, 1000000), 3);
	MG_CHECK_EQ(r[0].status, 200);
	MG_CHECK(body_has(&r[0], "GET /echo?n=1 HTTP/1.1\r\n"));
	MG_CHECK_EQ(r[1].status, 201);
	MG_CHECK(r[1].body_len == 11 && memcmp(r[1].body, "status 201\n", 11) == 0);
	MG_CHECK_EQ(r[2].status, 200);
	MG_CHECK(body_has(&r[2], "GET /echo?n=3 HTTP/1.1\r\n"));
	MG_CHECK_EQ(n_records, 3);
	MG_CHECK(strcmp(rec(0)->path, "/echo?n=1") == 0);
	MG_CHECK(strcmp(rec(1)->path, "/status/201") == 0);
	MG_CHECK(strcmp(rec(2)->path, "/echo?n=3") == 0);
	MG_CHECK_EQ(servers[0].accepts, 1);
	MG_CHECK_EQ(servers[0].requests, 3);
	MG_CHECK(!cl->peer_closed);
}

/* ---- request bodies: Content-Length, chunked, large ---- */

static void
check_echoed_body(const struct resp *r, uint64_t len, uint64_t hash)
{
	char want[64];

	snprintf(want, sizeof(want), "body-length: %" PRIu64 "\n", len);
	MG_CHECK(body_has(r, want));
	snprintf(want, sizeof(want), "body-hash: %016" PRIx64 "\n", hash);
	MG_CHECK(body_has(r, want));
}

static void
test_post_bodies(void)
{
	struct resp r[5];
	struct client *cl = cl_open();
	static char body[1 << 20];
	char head[256];
	uint64_t h3 = FNV0;
	int n;

	for (uint32_t i = 0; i < sizeof(body); i++)
		body[i] = (char)pattern(i);

	/* Content-Length */
	n = snprintf(head, sizeof(head), "POST /echo HTTP/1.1\r\nHost: one.test\r\n"
		     "Content-Length: 10000\r\n\r\n");
	cl_send(cl, head, (uint32_t)n);
	cl_send(cl, body, 10000);
	MG_CHECK_EQ(wait_responses(cl, 1, r, 5, 1000000), 1);
	MG_CHECK_EQ(r[0].status, 200);
	MG_CHECK(body_has(&r[0], "\r\nContent-Length: 10000\r\n"));
	check_echoed_body(&r[0], 10000, fnv(FNV0, body, 10000));
	MG_CHECK_EQ(rec(0)->bytes_in, (uint64_t)n + 10000);

	/* chunked, with a request pipelined right behind it */
	cl_sends(cl, "POST /echo?c=1 HTTP/1.1\r\nHost: one.test\r\n"
		     "Transfer-Encoding: chunked\r\n\r\n");
	for (int k = 0; k < 3; k++) {
		cl_sends(cl, "3e8\r\n");
		cl_send(cl, body + 1000 * k, 1000);
		cl_sends(cl, "\r\n");
	}
	h3 = fnv(h3, body, 3000);
	cl_sends(cl, "0\r\n\r\nGET /echo?after=chunked HTTP/1.1\r\nHost: one.test\r\n\r\n");
	MG_CHECK_EQ(wait_responses(cl, 3, r, 5, 1000000), 3);
	MG_CHECK_EQ(r[1].status, 200);
	MG_CHECK(body_has(&r[1], "POST /echo?c=1 HTTP/1.1\r\n"));
	MG_CHECK(body_has(&r[1], "\r\nTransfer-Encoding: chunked\r\n"));
	check_echoed_body(&r[1], 3000, h3);
	MG_CHECK_EQ(r[2].status, 200);
	MG_CHECK(body_has(&r[2], "GET /echo?after=chunked HTTP/1.1\r\n"));
	MG_CHECK(body_has(&r[2], "body-length: 0\n"));

	/* 1 MiB streamed through under flow control */
	n = snprintf(head, sizeof(head), "PUT /echo?big HTTP/1.1\r\nHost: one.test\r\n"
		     "Content-Length: %zu\r\n\r\n", sizeof(body));
	cl_send(cl, head, (uint32_t)n);
	cl_send(cl, body, sizeof(body));
	MG_CHECK_EQ(wait_responses(cl, 4, r, 5, 10000000), 4);
	MG_CHECK_EQ(r[3].status, 200);
	check_echoed_body(&r[3], sizeof(body), fnv(FNV0, body, sizeof(body)));
	MG_CHECK_EQ(n_records, 4);
	MG_CHECK_EQ(rec(3)->bytes_in, (uint64_t)n + sizeof(body));
	MG_CHECK_EQ(servers[0].accepts, 1);
	MG_CHECK_EQ(cstats(C_ONE).pool_reuses, 3);
	MG_CHECK(!cl->peer_closed);
}

/* ---- an HTTP/1.0 client and a chunked response ---- */

static void
test_http10_chunked(void)
{
	struct resp r[2];
	struct client *c10 = cl_open(), *c11 = cl_open();
	char v[64];

	cl_sends(c10, "GET /chunked HTTP/1.0\r\nHost: one.test\r\n\r\n");
	MG_CHECK_EQ(wait_responses(c10, 1, r, 2, 1000000), 1);
	MG_CHECK_EQ(r[0].status, 200);
	MG_CHECK(!resp_header(&r[0], "Transfer-Encoding", v, sizeof(v)));
	MG_CHECK(resp_header_is(&r[0], "Connection", "close"));
	MG_CHECK_EQ(r[0].framing, MG_HTTP_BODY_CLOSE);
	MG_CHECK(r[0].body_len == 12 && memcmp(r[0].body, "hello, world", 12) == 0);
	MG_CHECK(c10->peer_closed);
	MG_CHECK_EQ(rec(0)->status, 200);
	MG_CHECK_EQ(rec(0)->bytes_out, received(c10));
	MG_CHECK_EQ(pstats().bytes_out, received(c10));

	/* a 1.1 client gets the chunks as they are, and keeps its connection */
	cl_sends(c11, "GET /chunked HTTP/1.1\r\nHost: one.test\r\n\r\n");
	MG_CHECK_EQ(wait_responses(c11, 1, r, 2, 1000000), 1);
	MG_CHECK_EQ(r[0].status, 200);
	MG_CHECK(resp_header_is(&r[0], "Transfer-Encoding", "chunked"));
	MG_CHECK(r[0].body_len == 12 && memcmp(r[0].body, "hello, world", 12) == 0);
	MG_CHECK(has(c11->rx, c11->rx_len, "X-Trailer: t\r\n\r\n"));
	run(100000);
	MG_CHECK(!c11->peer_closed);
	MG_CHECK_EQ(rec(1)->bytes_out, received(c11));

	/* a close-delimited response: the client's connection closes after */
	cl_sends(c11, "GET /close HTTP/1.1\r\nHost: one.test\r\n\r\n");
	MG_CHECK_EQ(wait_responses(c11, 2, r, 2, 1000000), 2);
	MG_CHECK_EQ(r[1].status, 200);
	MG_CHECK(resp_header_is(&r[1], "Connection", "close"));
	MG_CHECK(r[1].body_len == 21 &&
		 memcmp(r[1].body, "read until the close\n", 21) == 0);
	MG_CHECK(c11->peer_closed);
	MG_CHECK_EQ(pstats().bytes_out, received(c10) + received(c11));
}

/* ---- direct responses and redirects ---- */

static void
test_local_answers(void)
{
	struct resp r[3];
	struct client *cl = cl_open();
	const struct mg_proxy_route_stats *rs;

	cl_sends(cl, "GET /direct HTTP/1.1\r\nHost: one.test\r\n\r\n");
	MG_CHECK_EQ(wait_responses(cl, 1, r, 3, 1000000), 1);
	MG_CHECK_EQ(r[0].status, 200);
	MG_CHECK(resp_header_is(&r[0], "Content-Type", "text/plain"));
	MG_CHECK(resp_header_is(&r[0], "Content-Length", "12"));
	MG_CHECK(r[0].body_len == 12 && memcmp(r[0].body, "hello direct", 12) == 0);

	cl_sends(cl, "GET /old HTTP/1.1\r\nHost: One.Test:80\r\n\r\n");
	MG_CHECK_EQ(wait_responses(cl, 2, r, 3, 1000000), 2);
	MG_CHECK_EQ(r[1].status, 301);
	MG_CHECK(resp_header_is(&r[1], "Location", "http://one.test/new"));
	MG_CHECK(resp_header_is(&r[1], "Content-Length", "0"));
	run(10000);
	MG_CHECK(!cl->peer_closed);

	MG_CHECK_EQ(n_records, 2);
	MG_CHECK_EQ(rec(0)->route, R_DIRECT);
	MG_CHECK_EQ(rec(0)->status, 200);
	MG_CHECK_EQ(rec(0)->cluster, -1);
	MG_CHECK_EQ(rec(0)->endpoint, -1);
	MG_CHECK_EQ(rec(0)->attempts, 0);
	MG_CHECK_EQ(rec(0)->bytes_out, r[0].head_len + r[0].body_len);
	MG_CHECK_EQ(rec(1)->route, R_REDIRECT);
	MG_CHECK_EQ(rec(1)->status, 301);
	MG_CHECK_EQ(pstats().local_responses, 2);
	MG_CHECK_EQ(servers[0].accepts + servers[1].accepts, 0);
	rs = mg_proxy_route_stats(px, R_REDIRECT);
	MG_CHECK(rs != NULL && rs->requests == 1 && rs->by_class[3] == 1);
}

/* ---- no route: 404 with a JSON body, then close ---- */

static void
test_no_route(void)
{
	struct resp r[2];
	struct client *cl = cl_open();

	cl_sends(cl, "GET /x HTTP/1.1\r\nHost: nowhere.test\r\n\r\n");
	MG_CHECK_EQ(wait_responses(cl, 1, r, 2, 1000000), 1);
	check_error_answer(&r[0], 404, MG_PROXY_E_NO_ROUTE);
	run(10000);
	MG_CHECK(cl->peer_closed);
	MG_CHECK_EQ(pstats().errors[MG_PROXY_E_NO_ROUTE], 1);
	MG_CHECK_EQ(pstats().by_class[4], 1);
	MG_CHECK_EQ(rec(0)->status, 404);
	MG_CHECK_EQ(rec(0)->route, -1);
	MG_CHECK_EQ(rec(0)->cluster, -1);
	MG_CHECK_EQ(rec(0)->error, MG_PROXY_E_NO_ROUTE + 1);
	MG_CHECK(strcmp(rec(0)->host, "nowhere.test") == 0);
}

/* ---- bad requests: 400, 414, 431, 501, 505, 413, each closing ---- */

static void
test_malformed(void)
{
	
static const struct {
		unsigned status;
		enum mg_proxy_error e;
	} want[] = {
		{ 400, MG_PROXY_E_BAD_REQUEST },
		{ 414, MG_PROXY_E_URI_TOO_LONG },
		{ 431, MG_PROXY_E_HEAD_TOO_LARGE },
		{ 501, MG_PROXY_E_NOT_IMPLEMENTED },
		{ 505, MG_PROXY_E_VERSION },
		{ 413, MG_PROXY_E_BODY_TOO_LARGE },
	};
	struct client *cl[6];
	struct resp r[2];
	static char big[48 * 1024];
	uint32_t n = 0;
	struct mg_proxy_stats st;

	for (unsigned i = 0; i < 6; i++)
		cl[i] = cl_open();
	cl_sends(cl[0], "GET /echo HTTP/1.1\r\nHost: one.test\r\nBad Header: x\r\n\r\n");
	n = (uint32_t)snprintf(big, sizeof(big), "GET /");
	memset(big + n, 'a', 9000);
	n += 9000;
	n += (uint32_t)snprintf(big + n, sizeof(big) - n,
				" HTTP/1.1\r\nHost: one.test\r\n\r\n");
	cl_send(cl[1], big, n);
	n = (uint32_t)snprintf(big, sizeof(big), "GET /echo HTTP/1.1\r\nHost: one.test\r\n");
	for (unsigned k = 0; k < 40; k++) {
		n += (uint32_t)snprintf(big + n, sizeof(big) - n, "X-Big-%02u: ", k);
		memset(big + n, 'v', 990);
		n += 990;
		memcpy(big + n, "\r\n", 2);
		n += 2;
	}
	memcpy(big + n, "\r\n", 2);
	n += 2;
	cl_send(cl[2], big, n);
	cl_sends(cl[3], "GET /echo HTTP/1.1\r\nHost: one.test\r\n"
		     "Transfer-Encoding: x-unknown, chunked\r\n\r\n");
	cl_sends(cl[4], "GET /echo HTTP/2.0\r\nHost: one.test\r\n\r\n");
	cl_sends(cl[5], "POST /echo HTTP/1.1\r\nHost: one.test\r\n"
		     "Content-Length: 2000000000\r\n\r\n");
	run(200000);
	for (unsigned i = 0; i < 6; i++) {
		MG_CHECK_EQ(cl_responses(cl[i], r, 2), 1);
		check_error_answer(&r[0], want[i].status, want[i].e);
		MG_CHECK(cl[i]->peer_closed);
	}
	st = pstats();
	for (unsigned i = 0; i < 6; i++)
		MG_CHECK_EQ(st.errors[want[i].e], 1);
	MG_CHECK_EQ(servers[0].accepts, 0);
	/* answered requests are counted and logged like any other */
	MG_CHECK_EQ(st.responses, 6);
	MG_CHECK_EQ(st.by_class[4], 4);
	MG_CHECK_EQ(st.by_class[5], 2);
	MG_CHECK_EQ(n_records, 6);
}

/* ---- the request head must arrive within header_timeout_ms ---- */

static void
test_header_timeout(void)
{
	struct client *slow = cl_open(), *silent = cl_open(), *idle = cl_open();
	struct resp r[2];
	uint64_t t0;

	run(1000);
	t0 = L.now;
	cl_sends(slow, "GET /echo HTTP/1.1\r\nHost: one");
	cl_get(idle, "one.test", "/echo");
	run(9900000 - (L.now - t0));
	MG_CHECK_EQ(received(slow), 0);
	MG_CHECK(!slow->peer_closed && !silent->peer_closed);
	run(200000);
	MG_CHECK_EQ(cl_responses(slow, r, 2), 1);
	check_error_answer(&r[0], 408, MG_PROXY_E_HEADER_TIMEOUT);
	MG_CHECK(slow->peer_closed);
	/* nothing ever sent: closed without an answer */
	MG_CHECK(silent->peer_closed);
	MG_CHECK_EQ(received(silent), 0);
	MG_CHECK_EQ(pstats().errors[MG_PROXY_E_HEADER_TIMEOUT], 1);
	/* a keep-alive connection is closed after idle_timeout_ms */
	MG_CHECK_EQ(cl_responses(idle, r, 2), 1);
	MG_CHECK(!idle->peer_closed);
	run(49000000);
	MG_CHECK(!idle->peer_closed);
	run(2000000);
	MG_CHECK(idle->peer_closed);
	MG_CHECK_EQ(received(idle), r[0].head_len + r[0].body_len);
	/* the 408 is a response like the others */
	MG_CHECK_EQ(pstats().by_class[4], 1);
}

/* ---- a dead endpoint: connect timeout, retry on the other ---- */

static void
test_connect_retry(void)
{
	struct resp r[3];
	struct client *cl = cl_open();
	struct mg_proxy_cluster_stats cs;
	unsigned retried = 0;

	cl_get(cl, "dead.test", "/echo?1");
	MG_CHECK_EQ(wait_responses(cl, 1, r, 3, 5000000), 1);
	cl_get(cl, "dead.test", "/echo?2");
	MG_CHECK_EQ(wait_responses(cl, 2, r, 3, 5000000), 2);
	for (unsigned i = 0; i < 2; i++) {
		MG_CHECK_EQ(r[i].status, 200);
		MG_CHECK(resp_header_is(&r[i], "X-Server", "0"));
		MG_CHECK_EQ(rec(i)->endpoint, 1);
		MG_CHECK_EQ(rec(i)->status, 200);
		if (rec(i)->attempts == 2) {
			retried++;
			/* it waited connect_ms for the dead one */
			MG_CHECK(rec(i)->upstream_us >= 1000000);
		} else {
			MG_CHECK_EQ(rec(i)->attempts, 1);
		}
	}
	MG_CHECK_EQ(retried, 1);
	cs = cstats(C_DEAD);
	MG_CHECK_EQ(cs.requests, 2);
	MG_CHECK_EQ(cs.connect_failures, 1);
	MG_CHECK_EQ(cs.retries, 1);
	MG_CHECK_EQ(cs.active_requests, 0);
	MG_CHECK_EQ(pstats().errors[MG_PROXY_E_CONNECT_FAILED], 0);
}

/* ---- 503 on an idempotent request: retried on the other endpoint ---- */

static void
test_retry_5xx(void)
{
	struct resp r[5];
	struct client *cl = cl_open();
	unsigned retried = 0;

	servers[0].force_status = 503;
	cl_get(cl, "app.test", "/echo?1");
	MG_CHECK_EQ(wait_responses(cl, 1, r, 5, 1000000), 1);
	cl_get(cl, "app.test", "/echo?2");
	MG_CHECK_EQ(wait_responses(cl, 2, r, 5, 1000000), 2);
	for (unsigned i = 0; i < 2; i++) {
		MG_CHECK_EQ(r[i].status, 200);
		MG_CHECK(resp_header_is(&r[i], "X-Server", "1"));
		MG_CHECK_EQ(rec(i)->endpoint, 1);
		retried += rec(i)->attempts == 2;
	}
	MG_CHECK_EQ(retried, 1);
	MG_CHECK_EQ(servers[0].requests, 1);
	MG_CHECK_EQ(servers[1].requests, 2);
	MG_CHECK_EQ(cstats(C_APP).retries, 1);

	/* both fail: the last answer goes to the client */
	servers[1].force_status = 503;
	cl_get(cl, "app.test", "/echo?3");
	MG_CHECK_EQ(wait_responses(cl, 3, r, 5, 1000000), 3);
	MG_CHECK_EQ(r[2].status, 503);
	MG_CHECK(r[2].body_len == 11 && memcmp(r[2].body, "forced 503\n", 11) == 0);
	MG_CHECK_EQ(rec(2)->attempts, 2);
	MG_CHECK_EQ(rec(2)->status, 503);

	/* POST is not idempotent: never retried */
	cl_sends(cl, "POST /echo HTTP/1.1\r\nHost: app.test\r\nContent-Length: 3\r\n\r\nabc");
	MG_CHECK_EQ(wait_responses(cl, 4, r, 5, 1000000), 4);
	MG_CHECK_EQ(r[3].status, 503);
	MG_CHECK_EQ(rec(3)->attempts, 1);
	MG_CHECK_EQ(servers[0].requests + servers[1].requests, 6);
	MG_CHECK_EQ(cstats(C_APP).retries, 2);
	MG_CHECK_EQ(cstats(C_APP).active_requests, 0);
}

/* ---- outlier detection: consecutive 5xx eject, base_ejection_ms later back ---- */

static void
test_outlier(void)
{
	struct resp r[32];
	struct client *cl = cl_open();
	unsigned n = 0, n503 = 0, before;

	servers[0].force_status = 503;
	while (!mg_proxy_endpoint_ejected(px, C_APP, 0) && n < 12) {
		cl_get(cl, "app.test", "/echo");
		n++;
		MG_CHECK_EQ(wait_responses(cl, n, r, 32, 1000000), n);
		n503 += r[n - 1].status == 503;
	}
	MG_CHECK(mg_proxy_endpoint_ejected(px, C_APP, 0));
	MG_CHECK(!mg_proxy_endpoint_ejected(px, C_APP, 1));
	MG_CHECK_EQ(n503, 3);
	MG_CHECK_EQ(servers[0].requests, 3);
	MG_CHECK_EQ(cstats(C_APP).ejections, 1);
	/* ejected: everything goes to the other endpoint */
	before = servers[1].requests;
	for (unsigned i = 0; i < 4; i++) {
		cl_get(cl, "app.test", "/echo");
		n++;
		MG_CHECK_EQ(wait_responses(cl, n, r, 32, 1000000), n);
		MG_CHECK_EQ(r[n - 1].status, 200);
	}
	MG_CHECK_EQ(servers[1].requests, before + 4);
	MG_CHECK_EQ(servers[0].requests, 3);
	/* back after base_ejection_ms */
	servers[0].force_status = 0;
	run(1100000);
	MG_CHECK(!mg_proxy_endpoint_ejected(px, C_APP, 0));
	for (unsigned i = 0; i < 2; i++) {
		cl_get(cl, "app.test", "/echo");
		n++;
		MG_CHECK_EQ(wait_responses(cl, n, r, 32, 1000000), n);
		MG_CHECK_EQ(r[n - 1].status, 200);
	}
	MG_CHECK_EQ(servers[0].requests, 4);
}

/* ---- no response within response_ms: 504 ---- */

static void
test_response_timeout(void)
{
	struct resp r[2];
	struct client *cl = cl_open();
	struct mg_proxy_cluster_stats cs;

	run(1000);
	cl_get(cl, "one.test", "/delay/5000");
	run(1900000);
	MG_CHECK_EQ(received(cl), 0);
	run(200000);
	MG_CHECK_EQ(cl_responses(cl, r, 2), 1);
	check_error_answer(&r[0], 504, MG_PROXY_E_RESPONSE_TIMEOUT);
	MG_CHECK_EQ(pstats().errors[MG_PROXY_E_RESPONSE_TIMEOUT], 1);
	MG_CHECK_EQ(rec(0)->status, 504);
	MG_CHECK_EQ(rec(0)->endpoint, 0);
	MG_CHECK_EQ(rec(0)->error, MG_PROXY_E_RESPONSE_TIMEOUT + 1);
	run(100000);
	MG_CHECK(cl->peer_closed);
	/* the upstream connection was given up, not pooled */
	MG_CHECK_EQ(servers[0].resets, 1);
	cs = cstats(C_ONE);
	MG_CHECK_EQ(cs.active_requests, 0);
	MG_CHECK_EQ(cs.connections, 0);
	MG_CHECK_EQ(cs.idle, 0);
}

/* ---- the whole request within the route's timeout_ms ---- */

static void
test_request_timeout(void)
{
	struct resp r[2];
	struct client *cl = cl_open();

	run(1000);
	cl_get(cl, "one.test", "/delay/3000");
	run(1400000);
	MG_CHECK_EQ(received(cl), 0);
	run(200000);
	MG_CHECK_EQ(cl_responses(cl, r, 2), 1);
	check_error_answer(&r[0], 504, MG_PROXY_E_REQUEST_TIMEOUT);
	MG_CHECK_EQ(pstats().errors[MG_PROXY_E_REQUEST_TIMEOUT], 1);
	MG_CHECK_EQ(rec(0)->error, MG_PROXY_E_REQUEST_TIMEOUT + 1);
	MG_CHECK_EQ(cstats(C_ONE).active_requests, 0);
}

/* ---- the request body stalls: 408 after body_timeout_ms ---- */

static void
test_body_timeout(void)
{
	struct resp r[2];
	struct client *cl = cl_open();
	struct mg_proxy_cluster_stats cs;

	cl_sends(cl, "POST /echo HTTP/1.1\r\nHost: one.test\r\n"
		     "Content-Length: 1000\r\n\r\n0123456789");
	run(29000000);
	MG_CHECK_EQ(received(cl), 0);
	run(2000000);
	MG_CHECK_EQ(cl_responses(cl, r, 2), 1);
	check_error_answer(&r[0], 408, MG_PROXY_E_BODY_TIMEOUT);
	run(100000);
	MG_CHECK(cl->peer_closed);
	MG_CHECK_EQ(pstats().errors[MG_PROXY_E_BODY_TIMEOUT], 1);
	MG_CHECK_EQ(rec(0)->status, 408);
	/* the half-sent request cannot be finished: its connection goes */
	MG_CHECK_EQ(servers[0].resets, 1);
	MG_CHECK_EQ(servers[0].requests, 0);
	cs = cstats(C_ONE);
	MG_CHECK_EQ(cs.connections, 0);
	MG_CHECK_EQ(cs.active_requests, 0);
}

/* ---- the server closes a pooled connection ---- */

static struct sconn *
server_conn(void)
{
	for (unsigned i = 0; i < MAX_SCONNS; i++)
		if (sconns[i].used && sconns[i].c != NULL)
			return &sconns[i];
	MG_CHECK(false);
	return NULL;
}

static void
test_server_closes_idle(void)
{
	struct resp r[3];
	struct client *cl = cl_open();
	struct sconn *sc;

	cl_get(cl, "one.test", "/echo?1");
	MG_CHECK_EQ(wait_responses(cl, 1, r, 3, 1000000), 1);
	MG_CHECK_EQ(cstats(C_ONE).idle, 1);
	/* the server's keep-alive timeout: FIN; the proxy closes too */
	sc = server_conn();
	if (sc != NULL)
		mg_tcp_shutdown(sc->c, L.now);
	run(100000);
	MG_CHECK_EQ(cstats(C_ONE).idle, 0);
	MG_CHECK_EQ(cstats(C_ONE).connections, 0);
	MG_CHECK_EQ(servers[0].fins, 1);
	cl_get(cl, "one.test", "/echo?2");
	MG_CHECK_EQ(wait_responses(cl, 2, r, 3, 1000000), 2);
	MG_CHECK_EQ(r[1].status, 200);
	MG_CHECK_EQ(servers[0].accepts, 2);
	MG_CHECK_EQ(cstats(C_ONE).connects, 2);
	MG_CHECK_EQ(cstats(C_ONE).pool_reuses, 0);

	/* The server closes while our request is on the way (the FIN
	 * crosses it): the request is sent again on a new connection. */
	link_run(&L, 20);
	sc = server_conn();
	cl_get(cl, "one.test", "/echo?3");
	link_run(&L, 20);
	if (sc != NULL)
		mg_tcp_close(sc->c, L.now);
	MG_CHECK_EQ(wait_responses(cl, 3, r, 3, 1000000), 3);
	MG_CHECK_EQ(r[2].status, 200);
	MG_CHECK(body_has(&r[2], "GET /echo?3 HTTP/1.1\r\n"));
	MG_CHECK_EQ(rec(2)->attempts, 2);
	MG_CHECK_EQ(servers[0].accepts, 3);
	MG_CHECK_EQ(cstats(C_ONE).pool_reuses, 1);
	MG_CHECK_EQ(cstats(C_ONE).active_requests, 0);
}

/* ---- requests queued for a connection longer than connect_ms ---- */

static void
test_pending_timeout(void)
{
	struct client *cl[3], *after;
	struct resp r[2];
	struct mg_proxy_cluster_stats cs;

	for (unsigned i = 0; i < 3; i++) {
		cl[i] = cl_open();
		cl_get(cl[i], "one.test", "/delay/1500");
		run(10000);
	}
	MG_CHECK_EQ(cstats(C_ONE).pending, 2);
	run(6000000);
	/* each answered once, served or refused, and nothing left queued */
	for (unsigned i = 0; i < 3; i++) {
		MG_CHECK_EQ(cl_responses(cl[i], r, 2), 1);
		MG_CHECK(r[0].status == 200 || r[0].status == 503);
	}
	MG_CHECK_EQ(n_records, 3);
	cs = cstats(C_ONE);
	MG_CHECK_EQ(cs.pending, 0);
	MG_CHECK_EQ(cs.active_requests, 0);
	/* and the cluster still serves */
	after = cl_open();
	cl_get(after, "one.test", "/echo");
	MG_CHECK_EQ(wait_responses(after, 1, r, 2, 3000000), 1);
	MG_CHECK_EQ(r[0].status, 200);
	MG_CHECK_EQ(cstats(C_ONE).pending, 0);
}

/* ---- circuit breaker: max_requests ---- */

static void
test_breaker_requests(void)
{
	struct client *cl[3];
	struct resp r[2];

	for (unsigned i = 0; i < 3; i++) {
		cl[i] = cl_open();
		cl_get(cl[i], "one.test", "/delay/500");
		run(10000);
	}
	MG_CHECK_EQ(cstats(C_ONE).active_requests, 2);
	MG_CHECK_EQ(cl_responses(cl[2], r, 2), 1);
	check_error_answer(&r[0], 503, MG_PROXY_E_CB_REQUESTS);
	MG_CHECK_EQ(received(cl[0]) + received(cl[1]), 0);
	run(600000);
	for (unsigned i = 0; i < 2; i++) {
		MG_CHECK_EQ(cl_responses(cl[i], r, 2), 1);
		MG_CHECK_EQ(r[0].status, 200);
	}
	MG_CHECK_EQ(cstats(C_ONE).breaker_open[2], 1);
	MG_CHECK_EQ(cstats(C_ONE).active_requests, 0);
	MG_CHECK_EQ(pstats().errors[MG_PROXY_E_CB_REQUESTS], 1);
	MG_CHECK_EQ(servers[0].requests, 2);
}

/* ---- max_connections: requests wait for a connection, then get it ---- */

static void
test_breaker_pending(void)
{
	struct client *cl[4];
	struct resp r[2];
	struct mg_proxy_cluster_stats cs;

	for (unsigned i = 0; i < 4; i++) {
		cl[i] = cl_open();
		cl_get(cl[i], "one.test", "/delay/200");
		run(10000);
	}
	cs = cstats(C_ONE);
	MG_CHECK_EQ(cs.connections, 1);
	MG_CHECK_EQ(cs.pending, 2);
	/* the fourth finds the queue full */
	MG_CHECK_EQ(cl_responses(cl[3], r, 2), 1);
	check_error_answer(&r[0], 503, MG_PROXY_E_CB_PENDING);
	MG_CHECK_EQ(cs.breaker_open[1], 1);
	run(250000);
	MG_CHECK_EQ(cl_responses(cl[0], r, 2), 1);
	MG_CHECK_EQ(received(cl[1]) + received(cl[2]), 0);
	MG_CHECK_EQ(cstats(C_ONE).pending, 1);
	run(500000);
	for (unsigned i = 0; i < 3; i++) {
		MG_CHECK_EQ(cl_responses(cl[i], r, 2), 1);
		MG_CHECK_EQ(r[0].status, 200);
	}
	cs = cstats(C_ONE);
	MG_CHECK_EQ(cs.requests, 4);	/* each once, queued or not */
	MG_CHECK_EQ(cs.pending, 0);
	MG_CHECK_EQ(cs.connects, 1);
	MG_CHECK_EQ(cs.pool_reuses, 2);
	MG_CHECK(cs.breaker_open[0] >= 2);
	MG_CHECK_EQ(servers[0].accepts, 1);
	MG_CHECK_EQ(servers[0].requests, 3);
	MG_CHECK_EQ(pstats().errors[MG_PROXY_E_CB_PENDING], 1);
}

/* ---- the upstream resets: before the response (502), in the middle (reset) ---- */

static void
test_upstream_reset(void)
{
	struct client *mid = cl_open(), *early = cl_open();
	struct resp r[2];
	struct mg_http_msg m;
	struct mg_http_header h[16];

	cl_get(mid, "one.test", "/reset/20000");
	run(200000);
	/* the head and part of the body came, then the connection was reset */
	MG_CHECK(mid->reset);
	mg_http_response_init(&m, h, 16, NULL, MG_HTTP_M_GET);
	MG_CHECK_EQ(mg_http_response_parse(&m, mid->rx, mid->rx_len), MG_HTTP_OK);
	MG_CHECK_EQ(m.status, 200);
	MG_CHECK(mid->rx_len > m.head_len && mid->rx_len <= m.head_len + 20000);
	MG_CHECK_EQ(pstats().errors[MG_PROXY_E_RESPONSE_ABORTED], 1);
	MG_CHECK_EQ(rec(0)->status, 200);
	MG_CHECK_EQ(rec(0)->error, MG_PROXY_E_RESPONSE_ABORTED + 1);
	MG_CHECK_EQ(rec(0)->attempts, 1);

	/* reset before any byte of the response: retried, then 502 */
	cl_get(early, "one.test", "/reset/0");
	run(200000);
	MG_CHECK_EQ(cl_responses(early, r, 2), 1);
	check_error_answer(&r[0], 502, MG_PROXY_E_UPSTREAM_RESET);
	MG_CHECK_EQ(rec(1)->attempts, 2);
	MG_CHECK_EQ(servers[0].requests, 3);
	MG_CHECK_EQ(cstats(C_ONE).active_requests, 0);
	MG_CHECK_EQ(cstats(C_ONE).connections, 0);
}

/* ---- the client goes away mid-request ---- */

static void
test_client_abort(void)
{
	struct client *rst = cl_open(), *fin = cl_open();
	struct mg_proxy_cluster_stats cs;

	cl_get(rst, "one.test", "/delay/1000");
	run(100000);
	MG_CHECK_EQ(cstats(C_ONE).active_requests, 1);
	mg_tcp_abort(rst->c, L.now);
	run(10000);
	MG_CHECK_EQ(pstats().errors[MG_PROXY_E_CLIENT_ABORTED], 1);
	MG_CHECK_EQ(n_records, 1);
	MG_CHECK_EQ(rec(0)->status, 0);
	MG_CHECK_EQ(rec(0)->error, MG_PROXY_E_CLIENT_ABORTED + 1);
	MG_CHECK_EQ(servers[0].resets, 1);
	cs = cstats(C_ONE);
	MG_CHECK_EQ(cs.active_requests, 0);
	MG_CHECK_EQ(cs.connections, 0);

	/* A FIN while the request is in flight is a half-close (HTTP/1.1
	 * allows it, and HAProxy without abortonclose answers it): the
	 * response is still sent, then the connection ends. */
	cl_get(fin, "one.test", "/delay/300");
	run(100000);
	mg_tcp_close(fin->c, L.now);
	run(1000000);
	MG_CHECK_EQ(pstats().errors[MG_PROXY_E_CLIENT_ABORTED], 1);
	MG_CHECK_EQ(n_records, 2);
	MG_CHECK_EQ(rec(1)->status, 200);
	cs = cstats(C_ONE);
	MG_CHECK_EQ(cs.active_requests, 0);
	MG_CHECK_EQ(cs.connections, cs.idle);	/* nothing half-used is left */
}

/* ---- 4 MiB to a slow reader: memory stays bounded ---- */

static uint64_t max_memory_b;

static void
watch_memory(void)
{
	struct mg_tcp_stats st;

	mg_tcp_stats_get(L.st[1], &st);
	if (st.memory > max_memory_b)
		max_memory_b = st.memory;
}

static void
test_large_response(void)
{
	const uint32_t size = 4u << 20;
	struct client *cl = cl_open();
	struct resp r[2];
	bool same = true;

	cl->rate = 16384;		/* bytes per ms: 256 ms for it all */
	max_memory_b = 0;
	pt_each_ms = watch_memory;
	cl_get(cl, "one.test", "/large/4194304");
	MG_CHECK_EQ(wait_responses(cl, 1, r, 2, 5000000), 1);
	pt_each_ms = NULL;
	MG_CHECK_EQ(r[0].status, 200);
	MG_CHECK_EQ(r[0].body_len, size);
	for (uint32_t i = 0; i < r[0].body_len && same; i++)
		same = (uint8_t)r[0].body[i] == pattern(i);
	MG_CHECK(same);
	/* what the proxy's stack held: the client connection's send buffer
	 * and the upstream connection's receive buffer, at most */
	printf("  max memory of the proxy's stack: %" PRIu64 " bytes\n",
	       max_memory_b);
	MG_CHECK(max_memory_b > 0);
	MG_CHECK(max_memory_b <= 2 * PT_BUF + 16384);
	MG_CHECK_EQ(rec(0)->bytes_out, received(cl));
	MG_CHECK_EQ(pstats().bytes_out, received(cl));
}

/* ---- a response head waits for room in the client's send buffer ---- */

static uint64_t
memory_b(void)
{
	struct mg_tcp_stats st;

	mg_tcp_stats_get(L.st[1], &st);
	return st.memory;
}

static void
test_head_waits_for_room(void)
{
	const uint32_t left = 20;	/* fewer than any response head */
	struct client *cl = cl_open();
	struct resp r[4];
	uint64_t q;
	uint32_t y = 0;
	char path[64];

	/* The client stops reading: its window closes, then the proxy's
	 * send buffer towards it holds the rest of the first response. */
	cl->paused = true;
	cl_get(cl, "one.test", "/large/300000");
	run(500000);
	q = memory_b();
	MG_CHECK(q > 0 && q < PT_BUF - 1000);
	/* a second response that leaves @p left bytes of that buffer free:
	 * q + "HTTP/1.1 200 OK\r\nContent-Length: Y\r\n\r\n" + Y */
	for (int k = 0; k < 3; k++) {
		uint32_t digits = (uint32_t)snprintf(path, sizeof(path), "%u", y);

		y = PT_BUF - left - (uint32_t)q - 37 - digits;
	}
	snprintf(path, sizeof(path), "/large/%u", y);
	cl_get(cl, "one.test", path);
	run(500000);
	MG_CHECK_EQ(memory_b(), PT_BUF - left);	/* the setup is as meant */
	cl_get(cl, "one.test", "/status/200");
	run(100000);
	/* reading again frees the buffer: the third response follows */
	cl->paused = false;
	cl_read(cl, UINT32_MAX);
	MG_CHECK_EQ(wait_responses(cl, 3, r, 4, 2000000), 3);
	MG_CHECK_EQ(r[0].status, 200);
	MG_CHECK_EQ(r[0].body_len, 300000);
	MG_CHECK_EQ(r[1].status, 200);
	MG_CHECK_EQ(r[1].body_len, y);
	MG_CHECK_EQ(r[2].status, 200);
	MG_CHECK(r[2].body_len == 11 && memcmp(r[2].body, "status 200\n", 11) == 0);
}

/* ---- Upgrade: 101, then bytes both ways ---- */

static void
test_upgrade(void)
{
	struct client *cl = cl_open();
	struct resp r[2];
	static char blob[100000];
	uint32_t start;

	for (uint32_t i = 0; i < sizeof(blob); i++)
		blob[i] = (char)pattern(i + 5);
	cl_sends(cl, "GET /upgrade HTTP/1.1\r\nHost: one.test\r\n"
		     "Connection: Upgrade\r\nUpgrade: test-proto\r\n\r\n");
	MG_CHECK_EQ(wait_responses(cl, 1, r, 2, 1000000), 1);
	MG_CHECK_EQ(r[0].status, 101);
	MG_CHECK(resp_header_is(&r[0], "Upgrade", "test-proto"));
	MG_CHECK(resp_header_is(&r[0], "Connection", "upgrade"));
	MG_CHECK(has(servers[0].last_head, servers[0].last_head_len,
		     "\r\nUpgrade: test-proto\r\n"));
	MG_CHECK(has(servers[0].last_head, servers[0].last_head_len,
		     "\r\nConnection: upgrade\r\n"));
	MG_CHECK_EQ(pstats().upgrades, 1);
	start = r[0].head_len;
	cl_sends(cl, "ping-12345");
	run(10000);
	MG_CHECK(cl->rx_len == start + 10 &&
		 memcmp(cl->rx + start, "ping-12345", 10) == 0);
	cl_send(cl, blob, sizeof(blob));
	run(1000000);
	MG_CHECK_EQ(cl->rx_len, start + 10 + sizeof(blob));
	MG_CHECK(cl->rx_len == start + 10 + sizeof(blob) &&
		 memcmp(cl->rx + start + 10, blob, sizeof(blob)) == 0);
	/* the client's FIN goes through; the server's comes back */
	mg_tcp_shutdown(cl->c, L.now);
	run(100000);
	MG_CHECK(cl->peer_closed);
	MG_CHECK_EQ(servers[0].fins, 1);
	MG_CHECK_EQ(n_records, 1);
	MG_CHECK_EQ(rec(0)->status, 101);
	MG_CHECK_EQ(rec(0)->bytes_out, received(cl));
}

/* ---- a tunnel nobody uses is closed after the cluster's idle_ms ---- */

static void
test_upgrade_idle(void)
{
	struct client *cl = cl_open();
	struct resp r[2];

	cl_sends(cl, "GET /upgrade HTTP/1.1\r\nHost: one.test\r\n"
		     "Connection: Upgrade\r\nUpgrade: test-proto\r\n\r\n");
	MG_CHECK_EQ(wait_responses(cl, 1, r, 2, 1000000), 1);
	MG_CHECK_EQ(r[0].status, 101);
	run(59000000);
	MG_CHECK(!cl->reset && !cl->peer_closed);
	run(2000000);
	MG_CHECK(cl->reset || cl->peer_closed);
	MG_CHECK_EQ(n_records, 1);
	MG_CHECK_EQ(rec(0)->status, 101);
	MG_CHECK_EQ(cstats(C_ONE).connections, 0);
	MG_CHECK_EQ(cstats(C_ONE).active_requests, 0);
}

/* ---- HTTP health probes ---- */

static const struct probe_result *
probe_of(uint32_t target)
{
	const struct probe_result *p = NULL;
	unsigned n = 0;

	for (unsigned i = 0; i < n_probes; i++)
		if (probes[i].target == target) {
			p = &probes[i];
			n++;
		}
	MG_CHECK_EQ(n, 1);	/* exactly once */
	return p;
}

static void
test_health_probe(void)
{
	const struct probe_result *p;
	uint64_t t0;

	servers[1].health_status = 503;
	run(1000);
	t0 = L.now;
	MG_CHECK_EQ(mg_proxy_probe(px, C_APP, 0, 7, 100, L.now), 0);
	MG_CHECK_EQ(mg_proxy_probe(px, C_APP, 1, 8, 101, L.now), 0);
	MG_CHECK_EQ(mg_proxy_probe(px, C_DEAD, 0, 9, 102, L.now), 0);
	MG_CHECK(mg_proxy_probe(px, C_APP, 2, 10, 103, L.now) < 0);
	MG_CHECK(mg_proxy_probe(px, N_CLUSTERS, 0, 10, 103, L.now) < 0);
	run(100000);
	p = probe_of(7);
	MG_CHECK(p != NULL && p->up && p->probe_id == 100);
	p = probe_of(8);
	MG_CHECK(p != NULL && !p->up && p->probe_id == 101);
	MG_CHECK(has(servers[0].last_head, servers[0].last_head_len,
		     "GET /health HTTP/1.1\r\nHost: 10.0.0.1\r\n"));
	/* the dead one: down at its timeout, not before */
	MG_CHECK_EQ(n_probes, 2);
	run(500000);
	p = probe_of(9);
	MG_CHECK(p != NULL && !p->up && p->probe_id == 102);
	MG_CHECK(p != NULL && p->at >= t0 + 500000 && p->at <= t0 + 502000);
	run(1000000);
	MG_CHECK_EQ(n_probes, 3);
	MG_CHECK_EQ(pstats().probes, 3);
	MG_CHECK_EQ(pstats().probe_failures, 2);
	/* probe connections do not count as the cluster's */
	MG_CHECK_EQ(cstats(C_APP).connections, 0);
}

/* ---- the cases ---- */

static void
cfg_outlier(void)
{
	struct mg_cfg_cluster *c = &cfg->clusters[C_APP];

	c->outlier.consecutive_5xx = 3;
	c->outlier.base_ejection_ms = 1000;
	c->outlier.max_ejection_ms = 10000;
	c->outlier.max_ejection_pct = 50;
	c->retry.attempts = 0;
}

static void
cfg_response_timeout(void)
{
	cfg->clusters[C_ONE].timeouts.response_ms = 2000;
}

static void
cfg_request_timeout(void)
{
	cfg->routes[R_ONE].timeout_ms = 1500;
}

static void
cfg_breaker_requests(void)
{
	cfg->clusters[C_ONE].breakers.max_requests = 2;
}

static void
cfg_breaker_pending(void)
{
	cfg->clusters[C_ONE].breakers.max_connections = 1;
	cfg->clusters[C_ONE].breakers.max_pending_requests = 2;
}

/*
 * WAF policy @p i (cfg->waf[i]) of these rules, loaded with what
 * lib/dataplane gives lib/waf for such a policy (mode, block_status,
 * body_limit): the policy's block_status reaches the library too.
 */
static void
cfg_waf_policy_limit(unsigned i, const char *name, enum mg_cfg_waf_mode mode,
		     uint32_t block_status, bool rules_header,
		     uint32_t body_limit, const char *rules)
{
	struct mg_cfg_waf *w = &cfg->waf[i];
	struct mg_waf_conf *c = &pt_waf_conf[i];
	char err[MG_WAF_ERRLEN];

	if (cfg->n_waf <= i)
		cfg->n_waf = i + 1;
	snprintf(w->name, MG_NAME_MAX, "%s", name);
	w->mode = mode;
	w->block_status = block_status;
	w->body_limit = body_limit;
	w->rules_header = rules_header;
	memset(c, 0, sizeof(*c));
	c->mode = mode == MG_CFG_WAF_DETECT ? MG_WAF_MODE_DETECT
					    : MG_WAF_MODE_BLOCK;
	c->block_status = (uint16_t)block_status;
	c->body_limit = w->body_limit;
	pt_waf[i] = mg_waf_load_text("proxy-test.conf", rules, c, err,
				     sizeof(err));
	if (pt_waf[i] == NULL)
		fprintf(stderr, "mg_waf_load_text: %s\n", err);
	MG_CHECK(pt_waf[i] != NULL);
}

/* ... holding 64 KiB of a body */
static void
cfg_waf_policy(unsigned i, const char *name, enum mg_cfg_waf_mode mode,
	       uint32_t block_status, bool rules_header, const char *rules)
{
	cfg_waf_policy_limit(i, name, mode, block_status, rules_header, 65536,
			     rules);
}

/* Listener 0 has WAF policy @p i */
static void
cfg_listener_waf(unsigned i)
{
	snprintf(cfg->listeners[0].waf, MG_NAME_MAX, "%s", cfg->waf[i].name);
	cfg->listeners[0].waf_idx = (int32_t)i;
}

/* WAF policy 0 on listener 0, with these rules */
static void
cfg_waf_rules(const char *rules)
{
	cfg_waf_policy(0, "t", MG_CFG_WAF_BLOCK, 403, false, rules);
	cfg_listener_waf(0);
}

/*
 * The WAF holds the bodies of two requests on one worker at once (A's body
 * arrives in two parts, B comes and goes between them): each is judged on
 * its own whole body. The worker's WAF context serves one request at a
 * time, so a body is inspected only once it is all held.
 */
static void
cfg_waf(void)
{
	cfg_waf_rules("SecRuleEngine On\n"
		      "SecRequestBodyAccess On\n"
		      "SecRule ARGS:q \"@contains attack\" "
		      "\"id:1001,phase:2,deny,status:403\"\n");
}

static void
test_waf_concurrent_bodies(void)
{
	static const char head[] = "POST /echo HTTP/1.1\r\nHost: one.test\r\n"
		"Content-Type: application/x-www-form-urlencoded\r\n"
		"Content-Length: 12\r\n\r\n";
	struct client *a = cl_open(), *b = cl_open();
	struct resp r[2];
	char req[512];

	snprintf(req, sizeof(req), "%sq=att", head);
	cl_sends(a, req);		/* 5 of A's 12 body bytes */
	run(20000);
	snprintf(req, sizeof(req), "%sq=benign+ok1", head);
	cl_sends(b, req);		/* B, whole: passes */
	MG_CHECK_EQ(wait_responses(b, 1, r, 2, 1000000), 1);
	MG_CHECK_EQ(r[0].status, 200);
	cl_sends(a, "ack+now");		/* the rest: "q=attack now" */
	MG_CHECK_EQ(wait_responses(a, 1, r, 2, 1000000), 1);
	MG_CHECK_EQ(r[0].status, 403);
	MG_CHECK_EQ(pstats().waf_blocked, 1);
	/* the same split, alone, also blocked; a benign body passes */
	a = cl_open();
	snprintf(req, sizeof(req), "%sq=att", head);
	cl_sends(a, req);
	run(20000);
	cl_sends(a, "ack+now");
	MG_CHECK_EQ(wait_responses(a, 1, r, 2, 1000000), 1);
	MG_CHECK_EQ(r[0].status, 403);
	MG_CHECK_EQ(pstats().waf_blocked, 2);
	MG_CHECK_EQ(pstats().waf_bodies_held, 3);
	MG_CHECK_EQ(pstats().waf_bodies_streamed, 0);
}

/* The body bytes upstream servers have of requests still coming in */
static uint64_t
upstream_partial_body(void)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < MAX_SCONNS; i++)
		if (sconns[i].used && sconns[i].in_body)
			n += sconns[i].body_len;
	return n;
}

/*
 * A policy none of whose phase-2 rules reads the body (here: a header
 * field): the body is not held; it reaches the upstream as it comes, and
 * a request blocked on its head never sends it.
 */
static void
cfg_waf_headers_only(void)
{
	cfg_waf_rules("SecRuleEngine On\n"
		      "SecRequestBodyAccess On\n"
		      "SecRule REQUEST_HEADERS:X-Probe \"@contains attack\" "
		      "\"id:1002,phase:2,deny,status:403\"\n");
}

static void
test_waf_body_streams(void)
{
	static const char head[] = "POST /echo HTTP/1.1\r\nHost: one.test\r\n"
		"Content-Type: application/x-www-form-urlencoded\r\n"
		"Content-Length: 12\r\n\r\n";
	struct client *a = cl_open();
	struct resp r[2];
	char req[512];

	snprintf(req, sizeof(req), "%sq=att", head);
	cl_sends(a, req);
	run(20000);
	/* the first 5 bytes are upstream before the other 7 are sent */
	MG_CHECK_EQ(upstream_partial_body(), 5);
	cl_sends(a, "ack+now");
	MG_CHECK_EQ(wait_responses(a, 1, r, 2, 1000000), 1);
	MG_CHECK_EQ(r[0].status, 200);
	MG_CHECK(body_has(&r[0], "body-length: 12\n"));
	MG_CHECK_EQ(pstats().waf_bodies_streamed, 1);
	MG_CHECK_EQ(pstats().waf_bodies_held, 0);
	/* blocked on a header field: 403, nothing of it upstream */
	a = cl_open();
	snprintf(req, sizeof(req), "POST /echo HTTP/1.1\r\nHost: one.test\r\n"
		 "X-Probe: attack\r\nContent-Length: 12\r\n\r\nq=att");
	cl_sends(a, req);
	MG_CHECK_EQ(wait_responses(a, 1, r, 2, 1000000), 1);
	MG_CHECK_EQ(r[0].status, 403);
	MG_CHECK_EQ(upstream_partial_body(), 0);
	MG_CHECK_EQ(pstats().waf_blocked, 1);
}

/* ---- the WAF in the request path: which policy, and what it answers ---- */

/* The requests the origin servers answered, and the connections they
 * accepted */
static uint32_t
upstream_requests(void)
{
	return servers[0].requests + servers[1].requests;
}

static uint32_t
upstream_accepts(void)
{
	return servers[0].accepts + servers[1].accepts;
}

/* A GET of @p path on @p host with header @p fields ("Name: value\r\n"
 * each, or ""), on a new connection; its response in @p r. */
static struct client *
waf_get(const char *host, const char *path, const char *fields,
	struct resp *r)
{
	struct client *cl = cl_open();
	char req[1024];

	memset(r, 0, sizeof(*r));
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\n%s\r\n",
		 path, host, fields);
	cl_sends(cl, req);
	MG_CHECK_EQ(wait_responses(cl, 1, r, 1, 1000000), 1);
	return cl;
}

/* What a request blocked by the WAF gets: the JSON error answer with
 * @p status and the request id, then the close; the matched rules in
 * X-Meshgate-Waf-Rules when @p rules is not NULL, else no such field. */
static void
check_waf_block(struct client *cl, const struct resp *r, unsigned status,
		const char *rules)
{
	char v[256];

	check_error_answer(r, status, MG_PROXY_E_WAF_BLOCKED);
	if (rules != NULL)
		MG_CHECK(resp_header_is(r, "X-Meshgate-Waf-Rules", rules));
	else
		MG_CHECK(!resp_header(r, "X-Meshgate-Waf-Rules", v, sizeof(v)));
	run(10000);
	MG_CHECK(cl->peer_closed);
}

/*
 * A route with its own policy: listener policy a denies X-Attack-A, route
 * app.test's policy b denies X-Attack-B. app.test is judged by b alone,
 * every other route (one.test, the direct answer) by a alone.
 */
static void
cfg_waf_route_policy(void)
{
	cfg_waf_policy(0, "a", MG_CFG_WAF_BLOCK, 403, true,
		       "SecRuleEngine On\n"
		       "SecRule REQUEST_HEADERS:X-Attack-A \"@contains evil\" "
		       "\"id:2001,phase:1,deny\"\n");
	cfg_waf_policy(1, "b", MG_CFG_WAF_BLOCK, 403, true,
		       "SecRuleEngine On\n"
		       "SecRule REQUEST_HEADERS:X-Attack-B \"@contains evil\" "
		       "\"id:2002,phase:1,deny\"\n");
	cfg_listener_waf(0);
	snprintf(cfg->routes[R_APP].waf, MG_NAME_MAX, "b");
	cfg->routes[R_APP].waf_idx = 1;
}

static void
test_waf_route_policy(void)
{
	struct resp r;
	struct client *cl;
	char v[256];

	/* one.test: policy a */
	cl = waf_get("one.test", "/echo", "X-Attack-A: evil\r\n", &r);
	check_waf_block(cl, &r, 403, "2001");
	MG_CHECK_EQ(upstream_requests(), 0);
	waf_get("one.test", "/echo", "X-Attack-B: evil\r\n", &r);
	MG_CHECK_EQ(r.status, 200);
	MG_CHECK(body_has(&r, "\r\nX-Attack-B: evil\r\n"));
	MG_CHECK(!resp_header(&r, "X-Meshgate-Waf-Rules", v, sizeof(v)));
	MG_CHECK_EQ(upstream_requests(), 1);

	/* app.test: policy b, and not a as well */
	cl = waf_get("app.test", "/echo", "X-Attack-B: evil\r\n", &r);
	check_waf_block(cl, &r, 403, "2002");
	MG_CHECK_EQ(upstream_requests(), 1);
	waf_get("app.test", "/echo", "X-Attack-A: evil\r\n", &r);
	MG_CHECK_EQ(r.status, 200);
	MG_CHECK(body_has(&r, "\r\nX-Attack-A: evil\r\n"));
	MG_CHECK(!resp_header(&r, "X-Meshgate-Waf-Rules", v, sizeof(v)));
	MG_CHECK_EQ(upstream_requests(), 2);
	cl = waf_get("app.test", "/echo",
		     "X-Attack-A: evil\r\nX-Attack-B: evil\r\n", &r);
	check_waf_block(cl, &r, 403, "2002");

	/* a local answer's route without a policy of its own: a's */
	cl = waf_get("other.test", "/direct", "X-Attack-A: evil\r\n", &r);
	check_waf_block(cl, &r, 403, "2001");
	waf_get("other.test", "/direct", "X-Attack-B: evil\r\n", &r);
	MG_CHECK_EQ(r.status, 200);
	MG_CHECK(r.body_len == 12 && memcmp(r.body, "hello direct", 12) == 0);

	MG_CHECK_EQ(upstream_requests(), 2);
	MG_CHECK_EQ(pstats().waf_blocked, 4);
	MG_CHECK_EQ(pstats().waf_matched, 4);
	MG_CHECK_EQ(pstats().errors[MG_PROXY_E_WAF_BLOCKED], 4);
	MG_CHECK_EQ(n_records, 7);
	MG_CHECK_EQ(rec(0)->route, R_ONE);
	MG_CHECK_EQ(rec(0)->error, MG_PROXY_E_WAF_BLOCKED + 1);
	MG_CHECK_EQ(rec(2)->route, R_APP);
	MG_CHECK_EQ(rec(2)->error, MG_PROXY_E_WAF_BLOCKED + 1);
	MG_CHECK_EQ(rec(3)->route, R_APP);
	MG_CHECK_EQ(rec(3)->status, 200);
	MG_CHECK_EQ(rec(5)->route, R_DIRECT);
	MG_CHECK_EQ(rec(5)->status, 403);
}

/*
 * A route with waf "off" under a listener with a policy: its requests
 * are not inspected at all (policy a's first rule matches every request
 * it sees, so waf_matched counts the requests inspected), and their
 * bodies are neither held nor counted as streamed.
 */
static void
cfg_waf_route_off(void)
{
	cfg_waf_policy(0, "a", MG_CFG_WAF_BLOCK, 403, true,
		       "SecRuleEngine On\n"
		       "SecRequestBodyAccess On\n"
		       "SecRule REQUEST_METHOD \"@rx .\" "
		       "\"id:2100,phase:1,pass,log\"\n"
		       "SecRule REQUEST_HEADERS:X-Attack \"@contains evil\" "
		       "\"id:2101,phase:1,deny\"\n"
		       "SecRule ARGS:q \"@contains attack\" "
		       "\"id:2102,phase:2,deny\"\n");
	cfg_listener_waf(0);
	snprintf(cfg->routes[R_APP].waf, MG_NAME_MAX, "off");
	cfg->routes[R_APP].waf_idx = -1;
}

static void
test_waf_route_off(void)
{
	static const char body[] = "q=attack+now";
	struct resp r[2];
	struct client *cl;
	char req[512], v[256], hash[64];

	/* app.test, off: both would be denied by a, both reach the origin */
	cl = waf_get("app.test", "/echo?q=attack", "X-Attack: evil\r\n", &r[0]);
	MG_CHECK_EQ(r[0].status, 200);
	MG_CHECK(body_has(&r[0], "GET /echo?q=attack HTTP/1.1\r\n"));
	MG_CHECK(body_has(&r[0], "\r\nX-Attack: evil\r\n"));
	MG_CHECK(!resp_header(&r[0], "X-Meshgate-Waf-Rules", v, sizeof(v)));
	snprintf(req, sizeof(req), "POST /echo HTTP/1.1\r\nHost: app.test\r\n"
		 "Content-Type: application/x-www-form-urlencoded\r\n"
		 "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
	cl_sends(cl, req);
	MG_CHECK_EQ(wait_responses(cl, 2, r, 2, 1000000), 2);
	MG_CHECK_EQ(r[1].status, 200);
	MG_CHECK(body_has(&r[1], "body-length: 12\n"));
	snprintf(hash, sizeof(hash), "body-hash: %016" PRIx64 "\n",
		 fnv(FNV0, body, strlen(body)));
	MG_CHECK(body_has(&r[1], hash));
	MG_CHECK(!resp_header(&r[1], "X-Meshgate-Waf-Rules", v, sizeof(v)));
	MG_CHECK(!cl->peer_closed);
	MG_CHECK_EQ(upstream_requests(), 2);
	MG_CHECK_EQ(pstats().waf_matched, 0);
	MG_CHECK_EQ(pstats().waf_blocked, 0);
	MG_CHECK_EQ(pstats().waf_bodies_held, 0);
	MG_CHECK_EQ(pstats().waf_bodies_streamed, 0);

	/* one.test, the listener's policy: inspected, and the same denied */
	waf_get("one.test", "/echo", "", &r[0]);
	MG_CHECK_EQ(r[0].status, 200);
	MG_CHECK(resp_header_is(&r[0], "X-Meshgate-Waf-Rules", "2100"));
	MG_CHECK_EQ(pstats().waf_matched, 1);
	cl = waf_get("one.test", "/echo?q=attack", "X-Attack: evil\r\n", &r[0]);
	check_waf_block(cl, &r[0], 403, "2100,2101");
	MG_CHECK_EQ(pstats().waf_matched, 2);
	MG_CHECK_EQ(pstats().waf_blocked, 1);
	MG_CHECK_EQ(upstream_requests(), 3);
}

/*
 * Detect mode: a request that matches deny rules is not blocked; it
 * reaches the origin whole (a held body too), and the response lists the
 * rules that matched when the policy asks for it (one.test, policy d),
 * not when it does not (app.test, policy q, the same rules).
 */
#define WAF_DETECT_RULES						\
	"SecRuleEngine On\n"						\
	"SecRequestBodyAccess On\n"					\
	"SecRule REQUEST_HEADERS:X-Attack \"@contains evil\" "		\
	"\"id:3001,phase:1,deny\"\n"					\
	"SecRule ARGS:q \"@contains attack\" "				\
	"\"id:3002,phase:2,deny,status:429\"\n"

static void
cfg_waf_detect(void)
{
	cfg_waf_policy(0, "d", MG_CFG_WAF_DETECT, 403, true, WAF_DETECT_RULES);
	cfg_waf_policy(1, "q", MG_CFG_WAF_DETECT, 403, false, WAF_DETECT_RULES);
	cfg_listener_waf(0);
	snprintf(cfg->routes[R_APP].waf, MG_NAME_MAX, "q");
	cfg->routes[R_APP].waf_idx = 1;
}

static void
test_waf_detect(void)
{
	static const char body[] = "q=attack+now";
	struct resp r[3];
	struct client *cl;
	char req[512], v[256], hash[64];

	cl = waf_get("one.test", "/echo?q=attack", "X-Attack: evil\r\n", &r[0]);
	MG_CHECK_EQ(r[0].status, 200);
	MG_CHECK(resp_header_is(&r[0], "X-Server", "0"));
	MG_CHECK(body_has(&r[0], "GET /echo?q=attack HTTP/1.1\r\n"));
	MG_CHECK(body_has(&r[0], "\r\nX-Attack: evil\r\n"));
	MG_CHECK(resp_header_is(&r[0], "X-Meshgate-Waf-Rules", "3001,3002"));
	/* the next request on the connection matches nothing: no list */
	cl_get(cl, "one.test", "/echo");
	MG_CHECK_EQ(wait_responses(cl, 2, r, 3, 1000000), 2);
	MG_CHECK_EQ(r[1].status, 200);
	MG_CHECK(!resp_header(&r[1], "X-Meshgate-Waf-Rules", v, sizeof(v)));
	/* a body, held for the verdict, goes on whole */
	snprintf(req, sizeof(req), "POST /echo HTTP/1.1\r\nHost: one.test\r\n"
		 "Content-Type: application/x-www-form-urlencoded\r\n"
		 "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
	cl_sends(cl, req);
	MG_CHECK_EQ(wait_responses(cl, 3, r, 3, 1000000), 3);
	MG_CHECK_EQ(r[2].status, 200);
	MG_CHECK(body_has(&r[2], "body-length: 12\n"));
	snprintf(hash, sizeof(hash), "body-hash: %016" PRIx64 "\n",
		 fnv(FNV0, body, strlen(body)));
	MG_CHECK(body_has(&r[2], hash));
	MG_CHECK(resp_header_is(&r[2], "X-Meshgate-Waf-Rules", "3002"));
	MG_CHECK_EQ(pstats().waf_bodies_held, 1);
	run(10000);
	MG_CHECK(!cl->peer_closed);

	/* policy q: the same matches, no header */
	waf_get("app.test", "/echo?q=attack", "X-Attack: evil\r\n", &r[0]);
	MG_CHECK_EQ(r[0].status, 200);
	MG_CHECK(body_has(&r[0], "\r\nX-Attack: evil\r\n"));
	MG_CHECK(!resp_header(&r[0], "X-Meshgate-Waf-Rules", v, sizeof(v)));

	MG_CHECK_EQ(upstream_requests(), 4);
	MG_CHECK_EQ(pstats().waf_matched, 3);
	MG_CHECK_EQ(pstats().waf_blocked, 0);
	MG_CHECK_EQ(pstats().errors[MG_PROXY_E_WAF_BLOCKED], 0);
	for (unsigned i = 0; i < n_records; i++)
		MG_CHECK_EQ(rec(i)->status, 200);
}

/*
 * What a blocked request gets: the policy's status, a JSON body and a
 * header with the request id (generated, or the client's own), the
 * connection closed; and what the origin gets of it: nothing, whether it
 * was blocked on its head (answered before its body is read) or on its
 * held body.
 */
static void
cfg_waf_block_answer(void)
{
	cfg_waf_rules("SecRuleEngine On\n"
		      "SecRequestBodyAccess On\n"
		      "SecRule REQUEST_HEADERS:X-Attack \"@contains evil\" "
		      "\"id:4001,phase:1,deny\"\n"
		      "SecRule ARGS:q \"@contains attack\" "
		      "\"id:4002,phase:2,deny\"\n");
}

static void
test_waf_block_answer(void)
{
	struct resp r;
	struct client *cl;
	char id[64], want[160];

	/* blocked on the head, a generated id */
	cl = waf_get("one.test", "/echo", "X-Attack: evil\r\n", &r);
	check_waf_block(cl, &r, 403, NULL);
	MG_CHECK(resp_header(&r, "x-request-id", id, sizeof(id)));
	MG_CHECK_EQ(n_records, 1);
	MG_CHECK_EQ(rec(0)->status, 403);
	MG_CHECK_EQ(rec(0)->route, R_ONE);
	MG_CHECK_EQ(rec(0)->endpoint, -1);
	MG_CHECK_EQ(rec(0)->attempts, 0);
	MG_CHECK_EQ(rec(0)->error, MG_PROXY_E_WAF_BLOCKED + 1);
	MG_CHECK(strcmp(rec(0)->request_id, id) == 0);

	/* the client's own id (not the 36 characters of a generated one) */
	cl = waf_get("one.test", "/echo?q=attack",
		     "X-Request-Id: waf-req-1\r\n", &r);
	MG_CHECK_EQ(r.status, 403);
	MG_CHECK(resp_header_is(&r, "Content-Type", "application/json"));
	MG_CHECK(resp_header_is(&r, "Connection", "close"));
	MG_CHECK(resp_header_is(&r, "x-request-id", "waf-req-1"));
	snprintf(want, sizeof(want),
		 "{\"status\":403,\"reason\":\"%s\",\"request_id\":\"waf-req-1\"}\n",
		 mg_proxy_error_names[MG_PROXY_E_WAF_BLOCKED]);
	MG_CHECK(r.body_len == strlen(want) &&
		 memcmp(r.body, want, r.body_len) == 0);
	MG_CHECK(strcmp(rec(1)->request_id, "waf-req-1") == 0);
	run(10000);
	MG_CHECK(cl->peer_closed);

	/* blocked on its held body */
	cl = cl_open();
	cl_sends(cl, "POST /echo HTTP/1.1\r\nHost: one.test\r\n"
		 "Content-Type: application/x-www-form-urlencoded\r\n"
		 "Content-Length: 12\r\n\r\nq=attack+now");
	MG_CHECK_EQ(wait_responses(cl, 1, &r, 1, 1000000), 1);
	check_waf_block(cl, &r, 403, NULL);

	/* blocked on its head: answered with the body still to come */
	cl = cl_open();
	cl_sends(cl, "POST /echo HTTP/1.1\r\nHost: one.test\r\n"
		 "X-Attack: evil\r\nContent-Length: 100000\r\n\r\n");
	MG_CHECK_EQ(wait_responses(cl, 1, &r, 1, 1000000), 1);
	check_waf_block(cl, &r, 403, NULL);

	MG_CHECK_EQ(upstream_accepts(), 0);
	MG_CHECK_EQ(upstream_requests(), 0);
	MG_CHECK_EQ(upstream_partial_body(), 0);
	MG_CHECK_EQ(cstats(C_ONE).requests, 0);
	MG_CHECK_EQ(pstats().waf_blocked, 4);

	/* the origin is there: a clean request reaches it */
	waf_get("one.test", "/echo", "", &r);
	MG_CHECK_EQ(r.status, 200);
	MG_CHECK_EQ(upstream_requests(), 1);
}

/*
 * The status of a block: a rule's own (deny,status:N) wins over the
 * policy's block_status, which answers a deny that names none (until
 * lib/waf's disrupt() did so, the policy's won every time). The policy's
 * is 406 here, not 403, since 403 is also what lib/waf answers for a
 * deny without status: a 403 would not tell whose it was.
 */
static void
cfg_waf_block_status(void)
{
	cfg_waf_policy(0, "s", MG_CFG_WAF_BLOCK, 406, true,
		       "SecRuleEngine On\n"
		       "SecRequestBodyAccess On\n"
		       "SecRule REQUEST_HEADERS:X-Limit \"@contains evil\" "
		       "\"id:5001,phase:1,deny,status:429\"\n"
		       "SecRule REQUEST_HEADERS:X-Attack \"@contains evil\" "
		       "\"id:5002,phase:1,deny\"\n"
		       "SecRule ARGS:q \"@contains attack\" "
		       "\"id:5003,phase:2,deny,status:451\"\n");
	cfg_listener_waf(0);
}

static void
test_waf_block_status(void)
{
	struct resp r;
	struct client *cl;

	cl = waf_get("one.test", "/echo", "X-Limit: evil\r\n", &r);
	check_waf_block(cl, &r, 429, "5001");
	cl = waf_get("one.test", "/echo", "X-Attack: evil\r\n", &r);
	check_waf_block(cl, &r, 406, "5002");
	cl = waf_get("one.test", "/echo?q=attack", "", &r);
	check_waf_block(cl, &r, 451, "5003");
	MG_CHECK_EQ(n_records, 3);
	MG_CHECK_EQ(rec(0)->status, 429);
	MG_CHECK_EQ(rec(1)->status, 406);
	MG_CHECK_EQ(rec(2)->status, 451);
	MG_CHECK_EQ(pstats().waf_blocked, 3);
	MG_CHECK_EQ(upstream_accepts(), 0);
}

/* A POST to @p host of @p len body bytes, "attack" at @p at (or none:
 * -1), the head sent first; its response in @p r. */
static struct client *
waf_post(const char *host, uint32_t len, int at, struct resp *r)
{
	struct client *cl = cl_open();
	static char body[8192];
	char head[256];

	memset(r, 0, sizeof(*r));
	memset(body, 'b', len);
	if (at >= 0)
		memcpy(body + at, "attack", 6);
	body[len] = '\0';
	snprintf(head, sizeof(head), "POST /echo HTTP/1.1\r\nHost: %s\r\n"
		 "Content-Type: text/plain\r\nContent-Length: %u\r\n\r\n",
		 host, len);
	cl_sends(cl, head);
	run(20000);		/* the head alone first: nothing came with it */
	cl_sends(cl, body);
	MG_CHECK_EQ(wait_responses(cl, 1, r, 1, 1000000), 1);
	return cl;
}

#define WAF_BODY_RULES \
	"SecRuleEngine On\n" \
	"SecRequestBodyAccess On\n" \
	"SecRule REQUEST_BODY \"@contains attack\" \"id:6001,phase:2,deny\"\n"

/*
 * Bodies longer than the policy's body_limit (1000 bytes): one.test's
 * policy inspects the first 1000 (ProcessPartial), app.test's refuses
 * them (SecRequestBodyLimitAction Reject: 413); both count them.
 */
static void
cfg_waf_body_limit(void)
{
	cfg_waf_policy_limit(0, "partial", MG_CFG_WAF_BLOCK, 403, true, 1000,
			     WAF_BODY_RULES);
	cfg_waf_policy_limit(1, "reject", MG_CFG_WAF_BLOCK, 403, true, 1000,
			     WAF_BODY_RULES
			     "SecRequestBodyLimitAction Reject\n");
	cfg_listener_waf(0);
	snprintf(cfg->routes[R_APP].waf, MG_NAME_MAX, "reject");
	cfg->routes[R_APP].waf_idx = 1;
}

static void
test_waf_body_limit(void)
{
	struct resp r;
	struct client *cl;

	/* within the inspected part: blocked */
	cl = waf_post("one.test", 3000, 500, &r);
	check_waf_block(cl, &r, 403, "6001");
	/* beyond it: forwarded whole, uninspected */
	waf_post("one.test", 3000, 2500, &r);
	MG_CHECK_EQ(r.status, 200);
	MG_CHECK(body_has(&r, "body-length: 3000\n"));
	/* no longer than the limit: not truncated, inspected whole */
	cl = waf_post("one.test", 1000, 994, &r);
	check_waf_block(cl, &r, 403, "6001");
	MG_CHECK_EQ(pstats().waf_bodies_truncated, 2);
	/* Reject: a longer body is refused, a shorter one passes */
	cl = waf_post("app.test", 3000, -1, &r);
	MG_CHECK_EQ(r.status, 413);
	waf_post("app.test", 900, -1, &r);
	MG_CHECK_EQ(r.status, 200);
	MG_CHECK(body_has(&r, "body-length: 900\n"));
	MG_CHECK_EQ(pstats().waf_bodies_truncated, 3);
	MG_CHECK_EQ(pstats().waf_blocked, 3);
}

/*
 * body_limit 0: the rules' SecRequestBodyLimit (2000), as lib/waf reads
 * it, not "hold nothing": "attack" at byte 1500 of a body sent after its
 * head is found.
 */
static void
cfg_waf_body_limit_rules(void)
{
	cfg_waf_policy_limit(0, "rules", MG_CFG_WAF_BLOCK, 403, true, 0,
			     WAF_BODY_RULES "SecRequestBodyLimit 2000\n");
	cfg_listener_waf(0);
}

static void
test_waf_body_limit_rules(void)
{
	struct resp r;
	struct client *cl;

	cl = waf_post("one.test", 1800, 1500, &r);
	check_waf_block(cl, &r, 403, "6001");
	waf_post("one.test", 2500, 2100, &r);
	MG_CHECK_EQ(r.status, 200);
	MG_CHECK_EQ(pstats().waf_bodies_truncated, 1);
}

static const struct {
	const char *name;
	void (*fn)(void);
	void (*cfg)(void);	/* changes to the common configuration */
} tests[] = {
	{ "keepalive", test_keepalive, NULL },
	{ "pipelining", test_pipelining, NULL },
	{ "post_bodies", test_post_bodies, NULL },
	{ "http10_chunked", test_http10_chunked, NULL },
	{ "local_answers", test_local_answers, NULL },
	{ "no_route", test_no_route, NULL },
	{ "malformed", test_malformed, NULL },
	{ "header_timeout", test_header_timeout, NULL },
	{ "connect_retry", test_connect_retry, NULL },
	{ "retry_5xx", test_retry_5xx, NULL },
	{ "outlier", test_outlier, cfg_outlier },
	{ "response_timeout", test_response_timeout, cfg_response_timeout },
	{ "request_timeout", test_request_timeout, cfg_request_timeout },
	{ "body_timeout", test_body_timeout, NULL },
	{ "server_closes_idle", test_server_closes_idle, NULL },
	{ "breaker_requests", test_breaker_requests, cfg_breaker_requests },
	{ "breaker_pending", test_breaker_pending, cfg_breaker_pending },
	{ "pending_timeout", test_pending_timeout, cfg_breaker_pending },
	{ "upstream_reset", test_upstream_reset, NULL },
	{ "client_abort", test_client_abort, NULL },
	{ "large_response", test_large_response, NULL },
	{ "head_waits_for_room", test_head_waits_for_room, NULL },
	{ "upgrade", test_upgrade, NULL },
	{ "upgrade_idle", test_upgrade_idle, NULL },
	{ "health_probe", test_health_probe, NULL },
	{ "waf_concurrent_bodies", test_waf_concurrent_bodies, cfg_waf },
	{ "waf_body_streams", test_waf_body_streams, cfg_waf_headers_only },
	{ "waf_route_policy", test_waf_route_policy, cfg_waf_route_policy },
	{ "waf_route_off", test_waf_route_off, cfg_waf_route_off },
	{ "waf_detect", test_waf_detect, cfg_waf_detect },
	{ "waf_block_answer", test_waf_block_answer, cfg_waf_block_answer },
	{ "waf_block_status", test_waf_block_status, cfg_waf_block_status },
	{ "waf_body_limit", test_waf_body_limit, cfg_waf_body_limit },
	{ "waf_body_limit_rules", test_waf_body_limit_rules,
	  cfg_waf_body_limit_rules },
};

int
main(int argc, char **argv)
{
	bool any = false;

	if (mg_test_eal_init(argv[0]) != 0)
		return EXIT_FAILURE;
	pool = rte_pktmbuf_pool_create("proxy_test", 32767, 256, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (pool == NULL) {
		fprintf(stderr, "no mbuf pool\n");
		return EXIT_FAILURE;
	}
	for (unsigned i = 0; i < RTE_DIM(tests); i++) {
		if (argc > 1 && strcmp(argv[1], tests[i].name) != 0)
			continue;
		printf("%s\n", tests[i].name);
		pt_config();
		if (tests[i].cfg != NULL)
			tests[i].cfg();
		if (pt_start())
			tests[i].fn();
		pt_stop();
		any = true;
	}
	MG_CHECK(any);
	return mg_test_done(argc > 1 ? argv[1] : "proxy");
}
