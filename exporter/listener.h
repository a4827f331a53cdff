/* listener: the kernel's answer for a listen() or a UDP bind(): the real
 * local address and port of the socket. Part of the enrich stage; see
 * listener.c. */
#ifndef AE_EXPORTER_LISTENER_H
#define AE_EXPORTER_LISTENER_H

#include <stdint.h>

#include "netlink/event.h"
#include "netlink/sockdiag.h"

/* What the resolution asks the kernel. The default (listener_new(NULL))
 * is /proc/PID/fd/FD and sock_diag; the unit tests pass fakes. Both return
 * 0 or a negative errno, as sockdiag_inode_of and sockdiag_lookup_inode
 * (families: inet and inet6). */
struct listener_ops {
	int (*inode_of)(void *arg, uint64_t pid, uint64_t fd, uint64_t *inode);
	int (*lookup)(void *arg, int protocol, unsigned states_mask,
		      uint64_t inode, uint16_t lport,
		      struct sockdiag_sock *out);
	void *arg;
};

/* How the resolutions ended, for the docs and the tests. */
struct listener_stats {
	uint64_t resolved; /* found: e->net holds the kernel's answer */
	uint64_t gone; /* descriptor or socket gone, or not such a socket */
	uint64_t denied; /* /proc said EACCES/EPERM (privileges) */
	uint64_t failed; /* any other error (sock_diag, no handle) */
};

struct listener;

/* A resolver with ops (copied; NULL: the kernel's, with a sock_diag handle
 * opened here, or at the first lookup if that failed). NULL with errno
 * ENOMEM. */
struct listener *listener_new(const struct listener_ops *ops);
void listener_free(struct listener *l); /* NULL is a no-op */
/* The memory a kernel resolver (listener_new(NULL)) holds, for a budget. */
size_t listener_bytes(void);

/* For a successful listen() (TCP LISTEN) or bind() of a socket that is UDP
 * or of unknown protocol (UDP CLOSE, a UDP service), with its fd known:
 * asks the kernel and, when it finds the socket, sets e->net.have_local,
 * local_kernel, lfamily, laddr, lport and (if unknown) proto. Leaves e as
 * it was otherwise. 0 when resolved, -ENOENT when the kernel has no such
 * socket (or the descriptor is gone), -EACCES, other -errno, or -EINVAL
 * when e is not a call this resolves. Reader thread. */
int listener_resolve(struct listener *l, struct aev *e);
const struct listener_stats *listener_stats(const struct listener *l);

#endif
