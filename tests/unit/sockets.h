/* Test helpers: real loopback sockets in the states a connect's outcome
 * is told by (listening, established, refused, SYN_SENT), for the tests of
 * netlink/sockdiag and of the connect_outcome collector. Include after
 * cmocka.h. */
#ifndef AE_TESTS_UNIT_SOCKETS_H
#define AE_TESTS_UNIT_SOCKETS_H

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

/* A socket of type on family's loopback (or any address), bound to port
 * 0; *port gets the kernel's choice. -1 when the family is not there. */
static inline int bound(int family, int type, bool any, uint16_t *port)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len = family == AF_INET6 ? sizeof(struct sockaddr_in6)
					   : sizeof(struct sockaddr_in);
	int fd = socket(family, type | SOCK_CLOEXEC, 0);

	*port = 0;
	if (fd < 0)
		return -1;
	ss.ss_family = (sa_family_t)family;
	if (family == AF_INET && !any)
		((struct sockaddr_in *)&ss)->sin_addr.s_addr =
			htonl(INADDR_LOOPBACK);
	if (family == AF_INET6 && !any)
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(family == AF_INET6
			      ? ((struct sockaddr_in6 *)&ss)->sin6_port
			      : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

/* A non-blocking connect to 127.0.0.1:port; the result of connect(). */
static inline int connect_nb(uint16_t port, int *fd)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port) };

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(*fd >= 0);
	return connect(*fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ? -errno
								      : 0;
}

static inline void wait_writable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };

	assert_int_equal(poll(&p, 1, 5000), 1);
}

/* Lets a child that waits on down[0] go, reaps it, closes both pipes. */
static inline void release_child(pid_t child, int up[2], int down[2])
{
	assert_int_equal(write(down[1], "x", 1), 1);
	assert_int_equal(waitpid(child, NULL, 0), child);
	close(up[0]);
	close(up[1]);
	close(down[0]);
	close(down[1]);
}

/* A child in a network namespace of its own (the test skips without root):
 * it runs in_child(unshared, up[1]), which reports through up[1], then
 * waits on down[0] until release_child. */
typedef void (*netns_child_fn)(bool unshared, int up_fd);
static inline pid_t netns_child(int up[2], int down[2], netns_child_fn in_child)
{
	pid_t child;
	char c;

	if (geteuid() != 0) {
		print_message("skipped: a network namespace needs root\n");
		skip();
	}
	assert_int_equal(pipe(up), 0);
	assert_int_equal(pipe(down), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* a failed test ends it */
		in_child(unshare(CLONE_NEWNET) == 0, up[1]);
		_exit(read(down[0], &c, 1) == 1 ? 0 : 1);
	}
	return child;
}

/* In progress: the listener's accept queue (backlog 0: one connection) is
 * full and nobody accepts, so the kernel drops the next SYN and the
 * client stays in SYN_SENT. Returns the client. */
static inline int syn_sent_to(int l, uint16_t port, int *first)
{
	int fd;

	assert_int_equal(listen(l, 0), 0);
	assert_true(connect_nb(port, first) == -EINPROGRESS);
	wait_writable(*first); /* established, in the accept queue */
	assert_int_equal(connect_nb(port, &fd), -EINPROGRESS);
	return fd;
}

#endif
