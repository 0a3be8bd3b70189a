/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Linux kernel's TCP on the patterns of perf/tcp_bench.c, the ratio to
 * beat (issue 3). Plain sockets, no DPDK. perf/run_tcp.sh runs the server
 * in one network namespace and the client in another, joined by a veth
 * pair, both pinned to the same CPU, so the figures are per core
 * (application, system calls and softirq all on that CPU).
 *
 *   tcp_kernel_bench server ADDR PORT            discard: read to EOF, close
 *   tcp_kernel_bench bulk ADDR PORT GIB          one connection, 64 KiB writes
 *   tcp_kernel_bench cps ADDR PORT SECONDS K SRC...
 *        K connections in flight from the source addresses SRC (rotating):
 *        connect, shutdown(SHUT_WR) once connected (the active closer),
 *        read the server's FIN, close; counted when the FIN is read.
 *
 * Output: human lines, then one "RESULT <mode> key=value ..." line.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_EV 256

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what)
{
	perror(what);
	exit(1);
}

static struct sockaddr_in
sa(const char *addr, int port)
{
	struct sockaddr_in s;

	memset(&s, 0, sizeof(s));
	s.sin_family = AF_INET;
	s.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &s.sin_addr) != 1) {
		fprintf(stderr, "tcp_kernel_bench: bad address %s\n", addr);
		exit(2);
	}
	return s;
}

/* An epoll server for both patterns: accept everything, read and discard,
 * close on EOF. Runs until killed. */
static int
run_server(const char *addr, int port)
{
	struct sockaddr_in a = sa(addr, port);
	struct epoll_event ev, evs[MAX_EV];
	static char buf[1 << 16];
	int lfd, ep, one = 1;

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (lfd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("bind");
	if (listen(lfd, 4096) < 0)
		die("listen");
	ep = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		int n = epoll_wait(ep, evs, MAX_EV, -1), i;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("epoll_wait");
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == lfd) {
				int c;

				while ((c = accept4(lfd, NULL, NULL,
						    SOCK_NONBLOCK)) >= 0) {
					ev.events = EPOLLIN;
					ev.data.fd = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				}
				continue;
			}
			for (;;) {
				ssize_t r = read(fd, buf, sizeof(buf));

				if (r > 0)
					continue;
				if (r < 0 && errno == EAGAIN)
					break;
				close(fd);	/* EOF or error */
				break;
			}
		}
	}
	return 0;
}

static int
run_bulk(const char *addr, int port, double gib)
{
	struct sockaddr_in a = sa(addr, port);
	static char buf[1 << 16];
	uint64_t total = (uint64_t)(gib * (double)(1ull << 30)), sent = 0;
	struct rusage ru;
	double t0, t1;
	int fd, mss = 0;
	socklen_t ml = sizeof(mss);

	memset(buf, 0x5a, sizeof(buf));
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("connect");
	getsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, &ml);
	t0 = now_s();
	while (sent < total) {
		size_t k = total - sent < sizeof(buf) ? total - sent : sizeof(buf);
		ssize_t w = write(fd, buf, k);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			die("write");
		}
		sent += (uint64_t)w;
	}
	shutdown(fd, SHUT_WR);
	/* The server closes after reading everything: its FIN is the end. */
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	t1 = now_s();
	close(fd);
	getrusage(RUSAGE_SELF, &ru);
	printf("kernel bulk: %llu bytes in %.3f s, MSS %d: %.2f Gbit/s\n",
	       (unsigned long long)sent, t1 - t0, mss,
	       (double)sent * 8 / (t1 - t0) / 1e9);
	printf("RESULT kbulk bytes=%llu secs=%.4f gbps=%.3f mss=%d "
	       "cli_user=%.3f cli_sys=%.3f\n", (unsigned long long)sent, t1 - t0,
	       (double)sent * 8 / (t1 - t0) / 1e9, mss,
	       (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
	return 0;
}

struct cstate {
	bool connected;
};

static int
cps_open(int ep, const struct sockaddr_in *dst, const struct sockaddr_in *src,
	 struct cstate *st, size_t nst, uint64_t *fails)
{
	struct epoll_event ev;
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0 || (size_t)fd >= nst) {
		if (fd >= 0)
			close(fd);
		(*fails)++;
		return -1;
	}
	/* Pick the port at connect time, by 4-tuple (as our stack does). */
	setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)src, sizeof(*src)) < 0 ||
	    (connect(fd, (const struct sockaddr *)dst, sizeof(*dst)) < 0 &&
	     errno != EINPROGRESS)) {
		close(fd);
		(*fails)++;
		return -1;
	}
	st[fd].connected = false;
	ev.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP;
	ev.data.fd = fd;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	return 0;
}

static int
run_cps(const char *addr, int port, double seconds, int k, char **srcs,
	int nsrc)
{
	struct sockaddr_in dst = sa(addr, port), *src;
	struct epoll_event evs[MAX_EV], ev;
	static struct cstate st[65536];
	uint64_t done = 0, done0 = 0, fails = 0, resets = 0;
	double t0, t_warm, t_end, t1 = 0;
	int ep, in_flight = 0, i, next = 0;
	bool warm = false;
	struct rlimit rl = { 65536, 65536 };

	setrlimit(RLIMIT_NOFILE, &rl);
	src = calloc((size_t)nsrc, sizeof(*src));
	for (i = 0; i < nsrc; i++)
		src[i] = sa(srcs[i], 0);
	ep = epoll_create1(0);
	t0 = now_s();
	t_warm = t0 + 1.0;
	t_end = t_warm + seconds;
	for (;;) {
		double t;
		int n;

		while (in_flight < k) {
			if (cps_open(ep, &dst, &src[next++ % nsrc], st,
				     sizeof(st) / sizeof(st[0]), &fails) < 0)
				break;
			in_flight++;
		}
		n = epoll_wait(ep, evs, MAX_EV, 100);
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			char b[64];
			ssize_t r;

			if (!st[fd].connected && (evs[i].events & EPOLLOUT)) {
				int err = 0;
				socklen_t el = sizeof(err);

				getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
				if (err != 0)
					goto dead;
				st[fd].connected = true;
				shutdown(fd, SHUT_WR);	/* our FIN first */
				ev.events = EPOLLIN | EPOLLRDHUP;
				ev.data.fd = fd;
				epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
				continue;
			}
			if (!(evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP |
					       EPOLLERR)))
				continue;
			r = read(fd, b, sizeof(b));
			if (r < 0 && errno == EAGAIN)
				continue;
			if (r == 0) {
				done++;	/* the server's FIN: the exchange is over */
				close(fd);
				in_flight--;
				continue;
			}
dead:
			resets++;
			close(fd);
			in_flight--;
		}
		t = now_s();
		if (!warm && t >= t_warm) {
			warm = true;
			done0 = done;
		}
		if (t >= t_end) {
			t1 = t;
			break;
		}
	}
	printf("kernel cps: %llu connections in %.2f s, %d in flight: "
	       "%.0f conns/s\n", (unsigned long long)(done - done0), t1 - t_warm,
	       k, (double)(done - done0) / (t1 - t_warm));
	printf("RESULT kcps conns=%llu secs=%.4f cps=%.0f k=%d failed=%llu "
	       "resets=%llu\n", (unsigned long long)(done - done0), t1 - t_warm,
	       (double)(done - done0) / (t1 - t_warm), k,
	       (unsigned long long)fails, (unsigned long long)resets);
	return 0;
}

int
main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 4 && strcmp(argv[1], "server") == 0)
		return run_server(argv[2], atoi(argv[3]));
	if (argc >= 5 && strcmp(argv[1], "bulk") == 0)
		return run_bulk(argv[2], atoi(argv[3]), atof(argv[4]));
	if (argc >= 7 && strcmp(argv[1], "cps") == 0)
		return run_cps(argv[2], atoi(argv[3]), atof(argv[4]),
			       atoi(argv[5]), &argv[6], argc - 6);
	fprintf(stderr, "usage: tcp_kernel_bench server ADDR PORT | bulk ADDR "
		"PORT GIB | cps ADDR PORT SECONDS K SRC...\n");
	return 2;
}
