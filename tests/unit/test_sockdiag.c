/* Unit tests for netlink/sockdiag and netlink/sockdiag_pending: lookups
 * against real loopback sockets made here (sock_diag needs no privilege;
 * the network namespace case needs root and skips without it), and the
 * pending queue on a fake clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "netlink/sockdiag.h"
#include "netlink/sockdiag_pending.h"
#include "tests/unit/sockets.h"

static struct sockdiag *sd;

static int setup(void **state)
{
	(void)state;
	sd = sockdiag_open();
	return sd ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	sockdiag_close(sd);
	return 0;
}

static uint64_t inode_of(int fd)
{
	uint64_t inode = 0;

	assert_int_equal(sockdiag_inode_of(getpid(), fd, &inode), 0);
	return inode;
}

static struct sockdiag_tuple tuple_to(uint16_t port, uint64_t inode)
{
	struct sockdiag_tuple t = { .family = AF_INET,
				    .protocol = IPPROTO_TCP,
				    .rport = port,
				    .inode = inode };
	uint32_t lo = htonl(INADDR_LOOPBACK);

	memcpy(t.raddr, &lo, 4);
	return t;
}

static void test_inode_of(void **state)
{
	int fds[2], s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	uint64_t inode;
	struct stat st;
	pid_t child;

	(void)state;
	assert_true(s >= 0);
	assert_int_equal(fstat(s, &st), 0);
	assert_int_equal(inode_of(s), (uint64_t)st.st_ino);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(sockdiag_inode_of(getpid(), fds[0], &inode),
			 -ENOTSOCK);
	close(fds[0]);
	close(fds[1]);
	close(s);
	assert_int_equal(sockdiag_inode_of(getpid(), s, &inode), -ENOENT);
	/* A process that is gone (reaped): its pid names nothing. */
	child = fork();
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, NULL, 0), child);
	assert_int_equal(sockdiag_inode_of(child, 0, &inode), -ENOENT);
	assert_int_equal(sockdiag_inode_of(0, 0, &inode), -EINVAL);
}

static void test_tcp_listener_port0(void **state)
{
	uint16_t port;
	int fd = bound(AF_INET, SOCK_STREAM, false, &port);
	uint32_t lo = htonl(INADDR_LOOPBACK);
	struct sockdiag_sock s;
	uint64_t inode;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(listen(fd, 8), 0);
	inode = inode_of(fd);
	assert_int_equal(
		sockdiag_lookup_inode(sd, SOCKDIAG_INET | SOCKDIAG_INET6,
				      IPPROTO_TCP, SOCKDIAG_ST(SOCKDIAG_LISTEN),
				      inode, 0, &s),
		0);
	assert_int_equal(s.lport, port);
	assert_int_equal(s.family, AF_INET);
	assert_int_equal(s.state, SOCKDIAG_LISTEN);
	assert_memory_equal(s.laddr, &lo, 4);
	assert_int_equal(s.uid, getuid());
	assert_int_equal(s.inode, inode);
	/* The kernel-side port filter: the right port finds it, another
	 * port does not, and neither does a state it is not in. */
	assert_int_equal(sockdiag_lookup_inode(sd, SOCKDIAG_INET, IPPROTO_TCP,
					       SOCKDIAG_ST(SOCKDIAG_LISTEN),
					       inode, port, &s),
			 0);
	assert_int_equal(sockdiag_lookup_inode(sd, SOCKDIAG_INET, IPPROTO_TCP,
					       SOCKDIAG_ST(SOCKDIAG_LISTEN),
					       inode, (uint16_t)(port ^ 1), &s),
			 -ENOENT);
	assert_int_equal(sockdiag_lookup_inode(sd, SOCKDIAG_INET, IPPROTO_TCP,
					       SOCKDIAG_ST(SOCKDIAG_SYN_SENT),
					       inode, 0, &s),
			 -ENOENT);
	close(fd);
	assert_int_equal(sockdiag_lookup_inode(sd, SOCKDIAG_INET, IPPROTO_TCP,
					       SOCKDIAG_ALL_STATES, inode, 0,
					       &s),
			 -ENOENT);
}

/* A listener bound in a parent and listening in a child: the child's
 * descriptor leads to the same socket, with the parent's port. */
static void test_listener_inherited(void **state)
{
	uint16_t port;
	int fd = bound(AF_INET, SOCK_STREAM, true, &port), up[2], down[2];
	struct sockdiag_sock s;
	uint64_t inode;
	char c;
	pid_t child;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(pipe(up), 0);
	assert_int_equal(pipe(down), 0);
	child = fork();
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* a failed test ends it */
		_exit(listen(fd, 8) == 0 && write(up[1], "x", 1) == 1 &&
				      read(down[0], &c, 1) == 1
			      ? 0
			      : 1);
	}
	assert_int_equal(read(up[0], &c, 1), 1);
	assert_int_equal(sockdiag_inode_of(child, fd, &inode), 0);
	assert_int_equal(sockdiag_lookup_inode(sd, SOCKDIAG_INET, IPPROTO_TCP,
					       SOCKDIAG_ST(SOCKDIAG_LISTEN),
					       inode, 0, &s),
			 0);
	assert_int_equal(s.lport, port);
	assert_true(s.laddr[0] == 0 && s.laddr[3] == 0); /* 0.0.0.0 */
	release_child(child, up, down);
	close(fd);
}

static void test_udp_service(void **state)
{
	uint16_t port;
	int fd = bound(AF_INET, SOCK_DGRAM, false, &port);
	struct sockdiag_sock s;
	uint64_t inode;

	(void)state;
	assert_true(fd >= 0);
	inode = inode_of(fd);
	assert_int_equal(sockdiag_lookup_inode(sd, SOCKDIAG_INET, IPPROTO_UDP,
					       SOCKDIAG_ST(SOCKDIAG_CLOSE),
					       inode, 0, &s),
			 0);
	assert_int_equal(s.lport, port);
	assert_int_equal(s.state, SOCKDIAG_CLOSE);
	assert_int_equal(s.protocol, IPPROTO_UDP);
	/* not a TCP socket, and not connected */
	assert_int_equal(sockdiag_lookup_inode(sd, SOCKDIAG_INET, IPPROTO_TCP,
					       SOCKDIAG_ALL_STATES, inode, 0,
					       &s),
			 -ENOENT);
	assert_int_equal(
		sockdiag_lookup_inode(sd, SOCKDIAG_INET, IPPROTO_UDP,
				      SOCKDIAG_ST(SOCKDIAG_ESTABLISHED), inode,
				      0, &s),
		-ENOENT);
	close(fd);
}

static void test_inet6(void **state)
{
	uint16_t port;
	int fd = bound(AF_INET6, SOCK_STREAM, false, &port);
	struct sockdiag_sock s;

	(void)state;
	if (fd < 0) {
		print_message("skipped: no ::1 here\n");
		skip();
	}
	assert_int_equal(listen(fd, 8), 0);
	/* Only inet6 holds it. */
	assert_int_equal(sockdiag_lookup_inode(sd, SOCKDIAG_INET, IPPROTO_TCP,
					       SOCKDIAG_ST(SOCKDIAG_LISTEN),
					       inode_of(fd), 0, &s),
			 -ENOENT);
	assert_int_equal(
		sockdiag_lookup_inode(sd, SOCKDIAG_INET | SOCKDIAG_INET6,
				      IPPROTO_TCP, SOCKDIAG_ST(SOCKDIAG_LISTEN),
				      inode_of(fd), 0, &s),
		0);
	assert_int_equal(s.family, AF_INET6);
	assert_int_equal(s.lport, port);
	assert_memory_equal(s.laddr, &in6addr_loopback, 16);
	close(fd);
}

/* Refused: connect to a port bound but not listening; the kernel answers
 * RST, the socket is closed and unhashed, absent from every dump, while
 * the process still holds it. */
static void test_refused(void **state)
{
	uint16_t port;
	int closed = bound(AF_INET, SOCK_STREAM, false, &port), fd, err;
	socklen_t len = sizeof(err);
	struct sockdiag_tuple t;
	struct sockdiag_sock s;
	int rc;

	(void)state;
	assert_true(closed >= 0);
	rc = connect_nb(port, &fd);
	assert_true(rc == -EINPROGRESS || rc == -ECONNREFUSED);
	wait_writable(fd);
	t = tuple_to(port, inode_of(fd));
	assert_int_equal(sockdiag_lookup_tuple(sd, &t, &s), -ENOENT);
	t.inode = 0;
	assert_int_equal(sockdiag_lookup_tuple(sd, &t, &s), -ENOENT);
	/* Not even among the closed ones. */
	assert_int_equal(sockdiag_lookup_inode(sd, SOCKDIAG_INET, IPPROTO_TCP,
					       SOCKDIAG_ALL_STATES,
					       inode_of(fd), 0, &s),
			 -ENOENT);
	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
	assert_int_equal(err, ECONNREFUSED);
	close(fd);
	close(closed);
}

static void test_established(void **state)
{
	uint16_t port;
	int l = bound(AF_INET, SOCK_STREAM, false, &port), fd, a;
	struct sockdiag_sock s, exact;
	struct sockdiag_tuple t;
	int rc;

	(void)state;
	assert_true(l >= 0);
	assert_int_equal(listen(l, 8), 0);
	rc = connect_nb(port, &fd);
	assert_true(rc == -EINPROGRESS || rc == 0);
	wait_writable(fd);
	a = accept(l, NULL, NULL);
	assert_true(a >= 0);
	/* By destination, disambiguated by inode: the accepted socket (to
	 * the client's port, from the listener's) is not it. */
	t = tuple_to(port, inode_of(fd));
	assert_int_equal(sockdiag_lookup_tuple(sd, &t, &s), 0);
	assert_int_equal(s.state, SOCKDIAG_ESTABLISHED);
	assert_int_equal(sockdiag_outcome_of(s.state), SOCKDIAG_SUCCESS);
	assert_int_equal(s.rport, port);
	assert_int_equal(s.inode, t.inode);
	/* The exact 4-tuple query finds the same socket. */
	t.lport = s.lport;
	memcpy(t.laddr, s.laddr, 4);
	assert_int_equal(sockdiag_lookup_tuple(sd, &t, &exact), 0);
	assert_int_equal(exact.inode, s.inode);
	assert_int_equal(exact.lport, s.lport);
	t.lport = (uint16_t)(s.lport ^ 1);
	assert_int_equal(sockdiag_lookup_tuple(sd, &t, &exact), -ENOENT);
	/* Another socket's inode: no match. */
	t = tuple_to(port, inode_of(a));
	assert_int_equal(sockdiag_lookup_tuple(sd, &t, &s), -ENOENT);
	close(a);
	close(fd);
	close(l);
}

static void test_in_progress(void **state)
{
	uint16_t port;
	int l = bound(AF_INET, SOCK_STREAM, false, &port), first, fd;
	struct sockdiag_tuple t;
	struct sockdiag_sock s;

	(void)state;
	assert_true(l >= 0);
	fd = syn_sent_to(l, port, &first);
	t = tuple_to(port, inode_of(fd));
	assert_int_equal(sockdiag_lookup_tuple(sd, &t, &s), 0);
	assert_int_equal(s.state, SOCKDIAG_SYN_SENT);
	assert_int_equal(sockdiag_outcome_of(s.state), SOCKDIAG_PENDING);
	/* Without the inode two sockets go there: not exact. */
	t.inode = 0;
	assert_int_equal(sockdiag_lookup_tuple(sd, &t, &s), -EEXIST);
	close(fd);
	close(first);
	close(l);
}

/* In the child: a listener in its namespace; its inode to up_fd (0: none). */
static void netns_listener(bool unshared, int up_fd)
{
	uint64_t inode = 0;
	uint16_t port;
	int fd = unshared ? bound(AF_INET, SOCK_STREAM, true, &port) : -1;

	if (fd < 0 || listen(fd, 8) < 0 ||
	    sockdiag_inode_of(getpid(), fd, &inode) < 0)
		inode = 0;
	if (write(up_fd, &inode, sizeof(inode)) != sizeof(inode))
		_exit(1);
}

/* A socket in another network namespace is not found from this one, and
 * /proc/PID/ns/net tells the namespaces apart. */
static void test_other_netns(void **state)
{
	int up[2], down[2];
	uint64_t inode = 0, ns, self;
	struct sockdiag_sock s;
	pid_t child;

	(void)state;
	child = netns_child(up, down, netns_listener);
	assert_int_equal(read(up[0], &inode, sizeof(inode)), sizeof(inode));
	assert_true(inode != 0);
	assert_int_equal(sockdiag_lookup_inode(sd, SOCKDIAG_INET, IPPROTO_TCP,
					       SOCKDIAG_ALL_STATES, inode, 0,
					       &s),
			 -ENOENT);
	assert_int_equal(sockdiag_netns_of(child, &ns), 0);
	assert_int_equal(sockdiag_netns_self(&self), 0);
	assert_true(ns != self);
	assert_int_equal(sockdiag_netns_of(getpid(), &ns), 0);
	assert_true(ns == self);
	release_child(child, up, down);
}

static void test_bytecode(void **state)
{
	uint8_t bc[64], addr[4] = { 127, 0, 0, 1 };
	struct inet_diag_bc_op op;
	int len;

	(void)state;
	assert_int_equal(sockdiag_bytecode(bc, sizeof(bc), 0, 0, 0, NULL), 0);
	/* sport == 80, then daddr 127.0.0.1 port 443: 8 + 16 bytes */
	len = sockdiag_bytecode(bc, sizeof(bc), 80, 443, AF_INET, addr);
	assert_int_equal(len, 24);
	memcpy(&op, bc, sizeof(op));
	assert_int_equal(op.code, INET_DIAG_BC_S_EQ);
	assert_int_equal(op.yes, 8);
	assert_int_equal(op.no, 24 + 4); /* past the end: rejected */
	memcpy(&op, bc + 4, sizeof(op));
	assert_int_equal(op.no, 80);
	memcpy(&op, bc + 8, sizeof(op));
	assert_int_equal(op.code, INET_DIAG_BC_D_COND);
	assert_int_equal(op.yes, 16);
	assert_int_equal(op.no, 16 + 4);
	assert_memory_equal(bc + 20, addr, 4);
	assert_int_equal(sockdiag_bytecode(bc, 20, 80, 443, AF_INET, addr),
			 -ENOSPC);
}

/* --- the pending queue, on a fake clock ------------------------------ */

/* fake /proc: what each inode's descriptor holds now */
static enum sockdiag_fd_now fake_fd[8];
static unsigned fd_asked;

static enum sockdiag_fd_now fake_fd_now(void *arg,
					const struct sockdiag_conn *c)
{
	(void)arg;
	fd_asked++;
	return fake_fd[c->t.inode % 8];
}

static struct sockdiag_conn conn(uint64_t inode, uint16_t port)
{
	struct sockdiag_conn c = { .t = tuple_to(port, inode), .pid = 1 };

	return c;
}

static struct sockdiag_sock sock_of(const struct sockdiag_conn *c,
				    uint8_t state, uint64_t inode)
{
	struct sockdiag_sock s = { .family = c->t.family,
				   .protocol = IPPROTO_TCP,
				   .state = state,
				   .rport = c->t.rport,
				   .inode = inode };

	memcpy(s.raddr, c->t.raddr, 4);
	return s;
}

static struct sockdiag_pending q;

static void test_pending_outcomes(void **state)
{
	struct sockdiag_conn ok = conn(1, 80), refused = conn(2, 81),
			     gone = conn(3, 82), slow = conn(4, 83),
			     hidden = conn(5, 84);
	struct sockdiag_sock s;

	(void)state;
	memset(fake_fd, 0, sizeof(fake_fd));
	sockdiag_pending_init(&q, 1000);
	sockdiag_pending_park(&q, &ok, 0);
	sockdiag_pending_park(&q, &refused, 0);
	sockdiag_pending_park(&q, &gone, 5);
	sockdiag_pending_park(&q, &slow, 10);
	sockdiag_pending_park(&q, &hidden, 10);
	fake_fd[2] = SOCKDIAG_FD_SAME;
	fake_fd[3] = SOCKDIAG_FD_GONE;
	fake_fd[5] = SOCKDIAG_FD_UNKNOWN;

	sockdiag_pending_begin(&q);
	s = sock_of(&ok, SOCKDIAG_ESTABLISHED, 1);
	sockdiag_pending_mark(&q, &s);
	s = sock_of(&slow, SOCKDIAG_SYN_SENT, 4);
	sockdiag_pending_mark(&q, &s);
	assert_int_equal(sockdiag_pending_settle(&q, 20, fake_fd_now, NULL), 3);
	assert_int_equal(q.stats.success, 1);
	assert_int_equal(q.stats.refused_or_failed, 1);
	assert_int_equal(q.stats.unresolved_gone, 1);
	assert_int_equal(sockdiag_pending_count(&q), 2); /* slow, hidden */

	/* Still SYN_SENT just before the timeout, then timed out; the one
	 * whose /proc cannot be read waits for the timeout too. */
	sockdiag_pending_begin(&q);
	sockdiag_pending_mark(&q, &s);
	assert_int_equal(sockdiag_pending_settle(&q, 1009, fake_fd_now, NULL),
			 0);
	sockdiag_pending_begin(&q);
	sockdiag_pending_mark(&q, &s);
	assert_int_equal(sockdiag_pending_settle(&q, 1010, fake_fd_now, NULL),
			 2);
	assert_int_equal(q.stats.unresolved_timeout, 1);
	assert_int_equal(q.stats.unresolved_gone, 2);
	assert_int_equal(q.stats.parked, 5);
	assert_int_equal(q.stats.success + q.stats.refused_or_failed +
				 q.stats.unresolved_gone +
				 q.stats.unresolved_timeout + q.stats.evicted,
			 q.stats.parked);
	assert_int_equal(sockdiag_pending_count(&q), 0);
}

/* An inode seen going somewhere else is another socket (the descriptor
 * was reused before the record was read): not taken for the connect. */
static void test_pending_reused_inode(void **state)
{
	struct sockdiag_conn c = conn(1, 80);
	struct sockdiag_sock s = sock_of(&c, SOCKDIAG_ESTABLISHED, 1);

	(void)state;
	memset(fake_fd, 0, sizeof(fake_fd));
	fake_fd[1] = SOCKDIAG_FD_SAME;
	sockdiag_pending_init(&q, 1000);
	sockdiag_pending_park(&q, &c, 0);
	sockdiag_pending_begin(&q);
	s.rport = 9999;
	sockdiag_pending_mark(&q, &s);
	assert_int_equal(sockdiag_pending_settle(&q, 1, fake_fd_now, NULL), 1);
	assert_int_equal(q.stats.unresolved_gone, 1);
	assert_int_equal(q.stats.success + q.stats.refused_or_failed, 0);
}

/* Parked without an inode: even a single socket to that destination may be
 * an earlier connection's (its TIME_WAIT), so it ends unresolved at once. */
static void test_pending_without_inode(void **state)
{
	struct sockdiag_conn c = conn(0, 80), d = conn(0, 81);
	struct sockdiag_sock s;

	(void)state;
	fd_asked = 0;
	sockdiag_pending_init(&q, 100);
	sockdiag_pending_park(&q, &c, 0);
	sockdiag_pending_park(&q, &d, 0);
	sockdiag_pending_begin(&q);
	s = sock_of(&c, SOCKDIAG_TIME_WAIT, 0);
	sockdiag_pending_mark(&q, &s);
	s = sock_of(&d, SOCKDIAG_ESTABLISHED, 7);
	sockdiag_pending_mark(&q, &s);
	assert_int_equal(sockdiag_pending_settle(&q, 50, fake_fd_now, NULL), 2);
	assert_int_equal(q.stats.unresolved_gone, 2);
	assert_int_equal(q.stats.success, 0);
	assert_int_equal(fd_asked, 0); /* no inode: nothing to compare */
	assert_int_equal(sockdiag_pending_count(&q), 0);
}

/* A descriptor made anew before its connect's inode was read: the connect
 * ends unresolved, whatever the descriptor holds now; one made anew after
 * the read, or another process's, changes nothing. Once the records'
 * clock is told, a held socket is refused only when a newer record was
 * read (or SOCKDIAG_PENDING_CONFIRM_MS on). */
static void test_pending_reused(void **state)
{
	struct sockdiag_conn c = conn(1, 80), d = conn(2, 80), e = conn(3, 80);

	(void)state;
	memset(fake_fd, 0, sizeof(fake_fd));
	fake_fd[1] = fake_fd[2] = fake_fd[3] = SOCKDIAG_FD_SAME;
	c.fd = 7;
	d.fd = 8;
	e.fd = 9;
	c.read_ms = d.read_ms = e.read_ms = 10;
	sockdiag_pending_init(&q, 5000);
	sockdiag_pending_park(&q, &c, 0);
	sockdiag_pending_park(&q, &d, 0);
	sockdiag_pending_park(&q, &e, 0);
	sockdiag_pending_newest(&q, 10);
	sockdiag_pending_begin(&q);
	assert_int_equal(sockdiag_pending_settle(&q, 12, fake_fd_now, NULL), 0);
	sockdiag_pending_reused(&q, 1, 7, 10); /* read at 10: maybe the new */
	sockdiag_pending_reused(&q, 2, 7, 5); /* another process's fd 7 */
	sockdiag_pending_reused(&q, 1, 9, 11); /* made after the read */
	sockdiag_pending_newest(&q, 11);
	fake_fd[1] = fake_fd[2] = fake_fd[3] = SOCKDIAG_FD_GONE; /* held */
	sockdiag_pending_begin(&q);
	assert_int_equal(sockdiag_pending_settle(&q, 13, fake_fd_now, NULL), 3);
	assert_int_equal(q.stats.unresolved_gone, 1);
	assert_int_equal(q.stats.refused_or_failed, 2);
}

/* Full: the oldest is evicted and counted, the ring keeps its order
 * through settles that remove from the middle. */
static void test_pending_evicts_oldest(void **state)
{
	struct sockdiag_conn c;
	struct sockdiag_sock s;

	(void)state;
	memset(fake_fd, 0, sizeof(fake_fd));
	sockdiag_pending_init(&q, 1000);
	for (unsigned i = 0; i < SOCKDIAG_PENDING_SLOTS + 10; i++) {
		c = conn(100 + i, 80);
		sockdiag_pending_park(&q, &c, i);
	}
	assert_int_equal(q.stats.evicted, 10);
	assert_int_equal(sockdiag_pending_count(&q), SOCKDIAG_PENDING_SLOTS);
	/* 110 (now the oldest) and 200 end; the rest stays, in order. */
	sockdiag_pending_begin(&q);
	c = conn(110, 80);
	s = sock_of(&c, SOCKDIAG_ESTABLISHED, 110);
	sockdiag_pending_mark(&q, &s);
	s.inode = 200;
	sockdiag_pending_mark(&q, &s);
	s.inode = 105; /* evicted: marks nothing */
	sockdiag_pending_mark(&q, &s);
	fake_fd[1] = fake_fd[2] = fake_fd[3] = fake_fd[4] = fake_fd[5] =
		fake_fd[6] = fake_fd[7] = fake_fd[0] = SOCKDIAG_FD_UNKNOWN;
	assert_int_equal(sockdiag_pending_settle(&q, 300, fake_fd_now, NULL),
			 2);
	assert_int_equal(q.stats.success, 2);
	assert_int_equal(sockdiag_pending_count(&q),
			 SOCKDIAG_PENDING_SLOTS - 2);
	assert_int_equal(q.slot[q.head].c.t.inode, 111);
	/* The timeout ends the rest, oldest first: 111 .. 265 (parked at
	 * 11 .. 165 ms) at 1165 ms, but not 266 onwards. */
	sockdiag_pending_begin(&q);
	assert_int_equal(sockdiag_pending_settle(&q, 1165, fake_fd_now, NULL),
			 154);
	assert_int_equal(q.slot[q.head].c.t.inode, 266);
	c = conn(999, 80);
	sockdiag_pending_park(&q, &c, 2000);
	assert_int_equal(sockdiag_pending_count(&q),
			 SOCKDIAG_PENDING_SLOTS - 2 - 154 + 1);
}

/* What on_end was told, by the tag's first byte. */
static unsigned ended[SOCKDIAG_NVERDICT]['z' + 1];

static void count_end(void *arg, const struct sockdiag_conn *c,
		      enum sockdiag_verdict v)
{
	(void)arg;
	assert_int_equal(c->tag_len, 2);
	assert_int_equal(c->tag[1], '!');
	ended[v][c->tag[0]]++;
}

static struct sockdiag_conn tagged(uint64_t inode, char who)
{
	struct sockdiag_conn c = conn(inode, 80);

	c.tag[0] = (uint8_t)who;
	c.tag[1] = '!';
	c.tag_len = 2;
	return c;
}

/* Every end is handed back once with the tag it was parked with: each
 * outcome, and an evicted connect at the park that pushed it out. */
static void test_pending_tags(void **state)
{
	struct sockdiag_conn c;
	struct sockdiag_sock s;

	(void)state;
	memset(ended, 0, sizeof(ended));
	memset(fake_fd, 0, sizeof(fake_fd));
	sockdiag_pending_init(&q, 1000);
	sockdiag_pending_on_end(&q, count_end, NULL);
	assert_true(sockdiag_pending_oldest_ms(&q) == INT64_MAX);
	c = tagged(8, 'e'); /* evicted by the last park below */
	sockdiag_pending_park(&q, &c, 3);
	assert_int_equal(sockdiag_pending_oldest_ms(&q), 3);
	for (unsigned i = 1; i < SOCKDIAG_PENDING_SLOTS; i++) {
		c = tagged(16 + i, 'x'); /* 8 | i: fake_fd[i % 8] */
		sockdiag_pending_park(&q, &c, 5);
	}
	assert_int_equal(ended[SOCKDIAG_V_EVICTED]['e'], 0);
	c = tagged(1, 's');
	sockdiag_pending_park(&q, &c, 5);
	assert_int_equal(ended[SOCKDIAG_V_EVICTED]['e'], 1);
	assert_int_equal(sockdiag_pending_oldest_ms(&q), 5);

	/* 's' established; 'x' with inode 16 + i: i % 8 == 1 refused,
	 * 2 gone, 3 stays SYN_SENT until the timeout, the rest unknown */
	fake_fd[1] = SOCKDIAG_FD_SAME;
	fake_fd[2] = SOCKDIAG_FD_GONE;
	for (unsigned k = 0; k < 8; k++)
		if (k != 1 && k != 2)
			fake_fd[k] = SOCKDIAG_FD_UNKNOWN;
	sockdiag_pending_begin(&q);
	s = sock_of(&c, SOCKDIAG_ESTABLISHED, 1);
	sockdiag_pending_mark(&q, &s);
	for (unsigned i = 3; i < SOCKDIAG_PENDING_SLOTS; i += 8) {
		s = sock_of(&c, SOCKDIAG_SYN_SENT, 16 + i);
		sockdiag_pending_mark(&q, &s);
	}
	sockdiag_pending_settle(&q, 10, fake_fd_now, NULL);
	assert_int_equal(ended[SOCKDIAG_V_SUCCESS]['s'], 1);
	assert_int_equal(ended[SOCKDIAG_V_REFUSED_OR_FAILED]['x'], 32);
	assert_int_equal(ended[SOCKDIAG_V_GONE]['x'], 32);
	assert_int_equal(ended[SOCKDIAG_V_SUCCESS]['x'], 0);
	/* at the timeout: the SYN_SENT ones time out, the unknown are gone */
	sockdiag_pending_begin(&q);
	for (unsigned i = 3; i < SOCKDIAG_PENDING_SLOTS; i += 8) {
		s = sock_of(&c, SOCKDIAG_SYN_SENT, 16 + i);
		sockdiag_pending_mark(&q, &s);
	}
	sockdiag_pending_settle(&q, 1005, fake_fd_now, NULL);
	assert_int_equal(ended[SOCKDIAG_V_TIMEOUT]['x'], 32);
	assert_int_equal(ended[SOCKDIAG_V_GONE]['x'], 32 + 255 - 32 * 3);
	assert_int_equal(sockdiag_pending_count(&q), 0);
	assert_int_equal(q.stats.evicted, 1);
	assert_int_equal(q.stats.parked, SOCKDIAG_PENDING_SLOTS + 1);
}

/* The whole batch against the kernel: established, refused and in
 * progress connects resolved by one run each. */
static void test_pending_run(void **state)
{
	uint16_t lport, cport, bport;
	int l = bound(AF_INET, SOCK_STREAM, false, &lport);
	int closed = bound(AF_INET, SOCK_STREAM, false, &cport);
	int l0 = bound(AF_INET, SOCK_STREAM, false, &bport);
	int ok, refused, first, slow, a;
	struct sockdiag_conn c;

	(void)state;
	assert_true(l >= 0 && closed >= 0 && l0 >= 0);
	assert_int_equal(listen(l, 8), 0);
	sockdiag_pending_init(&q, 1000);
	connect_nb(lport, &ok);
	connect_nb(cport, &refused);
	slow = syn_sent_to(l0, bport, &first);
	wait_writable(ok);
	wait_writable(refused);
	a = accept(l, NULL, NULL);
	c = (struct sockdiag_conn){ .t = tuple_to(lport, inode_of(ok)),
				    .pid = getpid(),
				    .fd = ok };
	sockdiag_pending_park(&q, &c, 0);
	c = (struct sockdiag_conn){ .t = tuple_to(cport, inode_of(refused)),
				    .pid = getpid(),
				    .fd = refused };
	sockdiag_pending_park(&q, &c, 0);
	c = (struct sockdiag_conn){ .t = tuple_to(bport, inode_of(slow)),
				    .pid = getpid(),
				    .fd = slow };
	sockdiag_pending_park(&q, &c, 0);
	assert_int_equal(sockdiag_pending_run(&q, sd, 10), 0);
	assert_int_equal(q.stats.success, 1);
	assert_int_equal(q.stats.refused_or_failed, 1);
	assert_int_equal(sockdiag_pending_count(&q), 1);
	assert_int_equal(sockdiag_pending_run(&q, sd, 1000), 0);
	assert_int_equal(q.stats.unresolved_timeout, 1);
	assert_int_equal(sockdiag_pending_count(&q), 0);
	assert_int_equal(sockdiag_pending_run(&q, sd, 2000), 0); /* empty */
	close(a);
	close(ok);
	close(refused);
	close(slow);
	close(first);
	close(l);
	close(l0);
	close(closed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inode_of),
		cmocka_unit_test(test_tcp_listener_port0),
		cmocka_unit_test(test_listener_inherited),
		cmocka_unit_test(test_udp_service),
		cmocka_unit_test(test_inet6),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_established),
		cmocka_unit_test(test_in_progress),
		cmocka_unit_test(test_other_netns),
		cmocka_unit_test(test_bytecode),
		cmocka_unit_test(test_pending_outcomes),
		cmocka_unit_test(test_pending_reused_inode),
		cmocka_unit_test(test_pending_without_inode),
		cmocka_unit_test(test_pending_evicts_oldest),
		cmocka_unit_test(test_pending_tags),
		cmocka_unit_test(test_pending_reused),
		cmocka_unit_test(test_pending_run),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
