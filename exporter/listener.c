/*
 * listener: the real local address of a listening socket or a UDP service,
 * asked of the kernel at the audit record (issue 22 item 1).
 *
 * The records say what the process asked for: a bind() to port 0 reads
 * port 0, a listen() names no address, and a socket bound in a parent and
 * listening in a forked child has its bind() under another pid, which the
 * bind table (pid, fd) cannot join. The socket knows, for as long as it
 * exists, so at a successful
 *
 *   listen()  /proc/PID/fd/FD -> inode, then the TCP LISTEN sockets of
 *             inet and inet6 (sockdiag_lookup_inode: the listening hash
 *             only, tens of microseconds whatever the connections)
 *   bind()    of a UDP socket, or of one whose socket() was not seen: the
 *             same among UDP sockets in CLOSE (bound, unconnected: a UDP
 *             service; ss's UNCONN). Found means UDP, so the protocol of an
 *             unknown socket is learnt here too.
 *
 * the socket's family, address and port replace what the records said, and
 * e->net.local_kernel says so. The port the records gave (the bind table's
 * at listen, the SOCKADDR's at bind) narrows the dump with a kernel-side
 * filter; if that finds nothing (a reused descriptor, a stale entry) the
 * dump is asked again without it, so a wrong hint costs a second dump and
 * never a wrong answer: the inode alone decides.
 *
 * Not found (-ENOENT) is an honest outcome: the process closed the socket
 * or exited before its record was read, the descriptor now holds something
 * else, or the socket lives in another network namespace (sock_diag answers
 * for the exporter's own; inodes are unique across namespaces, so there is
 * no false match). The event then keeps what its records said. As an
 * unprivileged user /proc of another user's process is -EACCES: the reader
 * thread keeps CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH for this (priv.c).
 *
 * Cost per resolved call: one readlink and one or two netlink dumps
 * (measured in docs/SOCKDIAG.md). Listens and binds are rare beside
 * connects. Memory: the sock_diag handle's receive buffer (SOCKDIAG_BUF),
 * opened with the resolver; nothing here allocates per call.
 */
#include "exporter/listener.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

struct listener {
	struct listener_ops ops;
	struct sockdiag *sd; /* the kernel ops' handle, opened lazily */
	struct listener_stats stats;
};

static int listener_kernel_inode_of(void *arg, uint64_t pid, uint64_t fd,
				    uint64_t *inode)
{
	(void)arg;
	if (pid > INT32_MAX || fd > INT32_MAX)
		return -EINVAL;
	return sockdiag_inode_of((pid_t)pid, (int)fd, inode);
}

static int listener_kernel_lookup(void *arg, int protocol, unsigned states,
				  uint64_t inode, uint16_t lport,
				  struct sockdiag_sock *out)
{
	struct listener *l = arg;

	if (!l->sd) {
		l->sd = sockdiag_open();
		if (!l->sd)
			return -errno;
	}
	return sockdiag_lookup_inode(l->sd, SOCKDIAG_INET | SOCKDIAG_INET6,
				     protocol, states, inode, lport, out);
}

struct listener *listener_new(const struct listener_ops *ops)
{
	struct listener *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	if (ops) {
		l->ops = *ops;
	} else {
		l->ops.inode_of = listener_kernel_inode_of;
		l->ops.lookup = listener_kernel_lookup;
		l->ops.arg = l;
		/* at start, so its buffer is there before the first listen;
		 * a failure here is tried again at the first lookup */
		l->sd = sockdiag_open();
	}
	return l;
}

void listener_free(struct listener *l)
{
	if (!l)
		return;
	sockdiag_close(l->sd);
	free(l);
}

size_t listener_bytes(void)
{
	return sizeof(struct listener) + sockdiag_bytes();
}

const struct listener_stats *listener_stats(const struct listener *l)
{
	return &l->stats;
}

/* What e asks to be resolved: the protocol and state to look for and the
 * port its records gave (0: none). -EINVAL for a call not resolved here. */
static int listener_query(const struct aev *e, int *protocol, unsigned *states,
			  uint16_t *hint)
{
	if (e->success != 1 || !e->have_fd)
		return -EINVAL;
	if (e->class == AEV_LISTEN) {
		if (e->net.proto != SOCKTAB_UNKNOWN &&
		    e->net.proto != SOCKTAB_TCP)
			return -EINVAL;
		*protocol = IPPROTO_TCP;
		*states = SOCKDIAG_ST(SOCKDIAG_LISTEN);
		*hint = e->net.have_local ? e->net.lport : 0;
		return 0;
	}
	if (e->class != AEV_BIND)
		return -EINVAL;
	if (e->net.proto != SOCKTAB_UNKNOWN && e->net.proto != SOCKTAB_UDP)
		return -EINVAL;
	if (e->have_sa && e->sa.family != AREC_AF_INET &&
	    e->sa.family != AREC_AF_INET6)
		return -EINVAL;
	*protocol = IPPROTO_UDP;
	*states = SOCKDIAG_ST(SOCKDIAG_CLOSE);
	*hint = e->have_sa ? e->sa.port : 0;
	return 0;
}

static int listener_count(struct listener *l, int err)
{
	if (!err)
		l->stats.resolved++;
	else if (err == -ENOENT || err == -ENOTSOCK)
		l->stats.gone++;
	else if (err == -EACCES || err == -EPERM)
		l->stats.denied++;
	else
		l->stats.failed++;
	return err;
}

int listener_resolve(struct listener *l, struct aev *e)
{
	struct sockdiag_sock s;
	uint64_t inode = 0;
	unsigned states;
	uint16_t hint;
	int protocol, err;

	err = listener_query(e, &protocol, &states, &hint);
	if (err)
		return err;
	err = l->ops.inode_of(l->ops.arg, e->pid, e->fd, &inode);
	if (!err)
		err = l->ops.lookup(l->ops.arg, protocol, states, inode, hint,
				    &s);
	if (err == -ENOENT && inode && hint)
		err = l->ops.lookup(l->ops.arg, protocol, states, inode, 0, &s);
	if (!err && s.family != AF_INET && s.family != AF_INET6)
		err = -ENOENT;
	if (err)
		return listener_count(l, err);
	e->net.have_local = true;
	e->net.local_kernel = true;
	e->net.lfamily = s.family == AF_INET ? AREC_AF_INET : AREC_AF_INET6;
	memcpy(e->net.laddr, s.laddr, sizeof(e->net.laddr));
	e->net.lport = s.lport;
	if (e->net.proto == SOCKTAB_UNKNOWN)
		e->net.proto = protocol == IPPROTO_TCP ? SOCKTAB_TCP
						       : SOCKTAB_UDP;
	return listener_count(l, 0);
}
