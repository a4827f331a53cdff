/*
 * sockdiag_probe: the measurements behind docs/SOCKDIAG.md.
 *
 *   sockdiag_probe cost N
 *       opens N loopback TCP sockets (N/2 connections, both ends) and
 *       times, with clock_gettime: 10,000 listener lookups by inode
 *       (LISTEN dump), 10,000 of a bound UDP socket, 10,000 connect lookups by destination and inode,
 *       10,000 exact 4-tuple lookups, and 100 unfiltered dumps of every
 *       TCP socket; then 10,000 listener_resolve() of a listen() and of a
 *       UDP bind(), as the exporter resolves them (readlink + lookup).
 *   strace -f -qq --seccomp-bpf -e trace=connect -o '|sockdiag_probe
 *           follow MS' CLIENT...
 *       reads strace's connect lines as the exporter reads connect
 *       records: the socket's inode from /proc at once, then a lookup MS
 *       milliseconds after the line arrived, and counts what it found
 *       (success, pending, refused_or_failed, gone, and those whose
 *       descriptor was already gone when the line was read).
 *
 * Not a test: numbers, for the doc. Needs no root (cost N above ~500 may
 * need a higher RLIMIT_NOFILE, which it raises when it can).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "exporter/listener.h"
#include "netlink/sockdiag.h"
#include "netlink/sockdiag_pending.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int listener(uint16_t *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, len) < 0 ||
	    listen(fd, 4096) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) < 0) {
		perror("listener");
		exit(1);
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

static int count_cb(void *arg, const struct sockdiag_sock *s)
{
	(void)s;
	(*(unsigned *)arg)++;
	return 0;
}

static void report(const char *what, double secs, unsigned n)
{
	printf("%-44s %9.1f us/op  (%u ops)\n", what, secs * 1e6 / n, n);
}

/* 10,000 lookups of one inode in one state. */
static int time_inode(struct sockdiag *sd, int protocol, int state,
		      uint64_t inode, const char *what)
{
	struct sockdiag_sock s;
	double t0 = now_s();

	for (int i = 0; i < 10000; i++)
		if (sockdiag_lookup_inode(sd, SOCKDIAG_INET | SOCKDIAG_INET6,
					  protocol, SOCKDIAG_ST(state), inode,
					  0, &s))
			return 1;
	report(what, now_s() - t0, 10000);
	return 0;
}

/* 10,000 resolutions of a successful listen() or bind() of fd, as the
 * enrich stage asks them: /proc/self/fd/FD, then the dump. */
static int time_resolve(enum aev_class class, int fd, const char *what)
{
	struct listener *r = listener_new(NULL);
	static struct aev e;
	double t0 = now_s();

	for (int i = 0; r && i < 10000; i++) {
		memset(&e.net, 0, sizeof(e.net));
		e.class = class;
		e.success = 1;
		e.pid = (uint64_t)getpid();
		e.fd = (uint64_t)fd;
		e.have_fd = true;
		if (listener_resolve(r, &e))
			return 1;
	}
	report(what, now_s() - t0, 10000);
	listener_free(r);
	return r ? 0 : 1;
}

static int cost(unsigned n)
{
	struct rlimit rl = { n + 64, n + 64 };
	struct sockdiag *sd = sockdiag_open();
	struct sockdiag_sock s;
	struct sockdiag_tuple t = { .family = AF_INET,
				    .protocol = IPPROTO_TCP };
	uint32_t lo = htonl(INADDR_LOOPBACK);
	struct sockaddr_in usin = { .sin_family = AF_INET };
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	uint64_t linode, cinode, uinode;
	uint16_t port;
	int l, first = -1;
	unsigned seen = 0;
	double t0;

	setrlimit(RLIMIT_NOFILE, &rl);
	if (!sd) {
		perror("sockdiag_open");
		return 1;
	}
	l = listener(&port);
	for (unsigned i = 0; i + 2 <= n; i += 2) {
		struct sockaddr_in sin = { .sin_family = AF_INET,
					   .sin_port = htons(port) };
		int c = socket(AF_INET, SOCK_STREAM, 0);

		sin.sin_addr.s_addr = lo;
		if (c < 0 ||
		    connect(c, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
		    accept(l, NULL, NULL) < 0) {
			perror("connection");
			return 1;
		}
		if (first < 0)
			first = c;
	}
	sockdiag_inode_of(getpid(), l, &linode);
	usin.sin_addr.s_addr = lo;
	if (u < 0 || bind(u, (struct sockaddr *)&usin, sizeof(usin)) < 0 ||
	    sockdiag_inode_of(getpid(), u, &uinode) < 0) {
		perror("udp");
		return 1;
	}
	t.rport = port;
	memcpy(t.raddr, &lo, 4);
	if (first >= 0)
		sockdiag_inode_of(getpid(), first, &cinode);
	printf("%u TCP sockets open besides the listener\n", n);

	if (time_inode(sd, IPPROTO_TCP, SOCKDIAG_LISTEN, linode,
		       "listener by inode (LISTEN dump)") ||
	    time_inode(sd, IPPROTO_UDP, SOCKDIAG_CLOSE, uinode,
		       "UDP service by inode (CLOSE dump)") ||
	    time_resolve(AEV_LISTEN, l,
			 "listen() resolved (readlink + LISTEN)") ||
	    time_resolve(AEV_BIND, u, "UDP bind() resolved (readlink + CLOSE)"))
		return 1;
	if (first >= 0) {
		t.inode = cinode;
		t0 = now_s();
		for (int i = 0; i < 10000; i++)
			if (sockdiag_lookup_tuple(sd, &t, &s))
				return 1;
		report("connect by destination + inode (filtered)",
		       now_s() - t0, 10000);
		t.lport = s.lport;
		memcpy(t.laddr, s.laddr, 4);
		t0 = now_s();
		for (int i = 0; i < 10000; i++)
			if (sockdiag_lookup_tuple(sd, &t, &s))
				return 1;
		report("connect by exact 4-tuple", now_s() - t0, 10000);
	}
	t0 = now_s();
	for (int i = 0; i < 100; i++)
		sockdiag_dump(sd, SOCKDIAG_INET, IPPROTO_TCP,
			      SOCKDIAG_ALL_STATES, 0, 0, NULL, count_cb, &seen);
	report("dump of every TCP socket", now_s() - t0, 100);
	printf("(%u sockets per dump)\n", seen / 100);
	sockdiag_close(sd);
	return 0;
}

/* --- follow ----------------------------------------------------------- */

#define FOLLOW_MAX 65536

struct seen_connect {
	struct sockdiag_conn c;
	double due;
};

enum { F_SUCCESS, F_PENDING, F_FAILED, F_GONE, F_EARLY, F_N };
static const char *const f_names[F_N] = {
	"success",
	"pending (SYN_SENT)",
	"refused_or_failed",
	"gone (closed first)",
	"descriptor gone before the line was read",
};

/* strace: "PID connect(FD, {sa_family=AF_INET, sin_port=htons(P),
 * sin_addr=inet_addr("A")}, 16) = -1 EINPROGRESS (...)" */
static int parse_line(const char *line, struct seen_connect *e)
{
	char addr[64];
	int pid, fd, port;
	const char *p = strstr(line, "connect(");

	if (!p || !strstr(line, "EINPROGRESS") ||
	    sscanf(line, "%d", &pid) != 1 ||
	    sscanf(p,
		   "connect(%d, {sa_family=AF_INET, sin_port=htons(%d), "
		   "sin_addr=inet_addr(\"%63[0-9.]\")}",
		   &fd, &port, addr) != 3)
		return -1;
	memset(e, 0, sizeof(*e));
	e->c.pid = pid;
	e->c.fd = fd;
	e->c.t.family = AF_INET;
	e->c.t.protocol = IPPROTO_TCP;
	e->c.t.rport = (uint16_t)port;
	return inet_pton(AF_INET, addr, e->c.t.raddr) == 1 ? 0 : -1;
}

static int classify(struct sockdiag *sd, const struct seen_connect *e)
{
	struct sockdiag_sock s;
	int err = sockdiag_lookup_tuple(sd, &e->c.t, &s);

	if (err == 0)
		return sockdiag_outcome_of(s.state) == SOCKDIAG_PENDING
			       ? F_PENDING
			       : F_SUCCESS;
	return sockdiag_pending_fd_proc(NULL, &e->c) == SOCKDIAG_FD_SAME
		       ? F_FAILED
		       : F_GONE;
}

static int follow(double delay_ms)
{
	static struct seen_connect q[FOLLOW_MAX];
	struct sockdiag *sd = sockdiag_open();
	unsigned head = 0, tail = 0, counts[F_N] = { 0 };
	char line[4096];
	size_t used = 0;
	bool eof = false;

	if (!sd) {
		perror("sockdiag_open");
		return 1;
	}
	while (!eof || head < tail) {
		double now = now_s();
		int wait = head < tail ? (int)((q[head].due - now) * 1000) : -1;
		struct pollfd p = { .fd = 0, .events = POLLIN };
		ssize_t n;
		char *nl;

		if (head < tail && q[head].due <= now) {
			counts[classify(sd, &q[head++])]++;
			continue;
		}
		if (eof) {
			usleep(200);
			continue;
		}
		if (poll(&p, 1, wait < 0 ? -1 : wait) <= 0)
			continue;
		n = read(0, line + used, sizeof(line) - 1 - used);
		if (n <= 0) {
			eof = true;
			continue;
		}
		used += (size_t)n;
		line[used] = '\0';
		while ((nl = strchr(line, '\n'))) {
			struct seen_connect *e = &q[tail];

			*nl = '\0';
			if (tail < FOLLOW_MAX && parse_line(line, e) == 0) {
				/* the collector's read at record time */
				if (sockdiag_inode_of(e->c.pid, e->c.fd,
						      &e->c.t.inode))
					counts[F_EARLY]++;
				else {
					e->due = now_s() + delay_ms / 1000;
					tail++;
				}
			}
			used -= (size_t)(nl + 1 - line);
			memmove(line, nl + 1, used + 1);
		}
		if (used == sizeof(line) - 1)
			used = 0; /* an overlong line: dropped */
	}
	printf("lookup %.0f ms after the connect line, %u connects:\n",
	       delay_ms, tail + counts[F_EARLY]);
	for (int i = 0; i < F_N; i++)
		printf("  %-42s %u\n", f_names[i], counts[i]);
	sockdiag_close(sd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "cost") == 0)
		return cost((unsigned)strtoul(argv[2], NULL, 10));
	if (argc == 3 && strcmp(argv[1], "follow") == 0)
		return follow(strtod(argv[2], NULL));
	fprintf(stderr, "usage: %s cost N | follow DELAY_MS\n", argv[0]);
	return 2;
}
