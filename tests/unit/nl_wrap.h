/* The calls a unit test replaces to play the kernel's side of the audit
 * socket (linked with -Wl,--wrap for each, see the Makefile): test_nl and
 * test_kaudit define them. */
#ifndef AE_TESTS_NL_WRAP_H
#define AE_TESTS_NL_WRAP_H

#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include <libmnl/libmnl.h>

ssize_t __wrap_mnl_socket_sendto(const struct mnl_socket *nl, const void *buf,
				 size_t len);
int __wrap_poll(struct pollfd *fds, nfds_t n, int timeout);
ssize_t __wrap_recv(int fd, void *buf, size_t len, int flags);
int __wrap_recvmmsg(int fd, struct mmsghdr *msgs, unsigned int n, int flags,
		    struct timespec *timeout);

#endif
