/* sockdiag: the kernel's own view of a socket (NETLINK_SOCK_DIAG), for the
 * facts the audit records cannot tell: the real port of a port-0 bind, a
 * non-blocking connect's outcome. See sockdiag.c. */
#ifndef AE_NETLINK_SOCKDIAG_H
#define AE_NETLINK_SOCKDIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct sockdiag;

/* Address families to search, as a mask. */
#define SOCKDIAG_INET 1u
#define SOCKDIAG_INET6 2u

/* Kernel socket states (include/net/tcp_states.h), as masks for the
 * lookups. UDP uses two of them: ESTABLISHED (connected) and CLOSE
 * (bound, unconnected: a UDP service, ss's "UNCONN"). */
#define SOCKDIAG_ST(s) (1u << (s))
#define SOCKDIAG_ESTABLISHED 1
#define SOCKDIAG_SYN_SENT 2
#define SOCKDIAG_SYN_RECV 3
#define SOCKDIAG_FIN_WAIT1 4
#define SOCKDIAG_FIN_WAIT2 5
#define SOCKDIAG_TIME_WAIT 6
#define SOCKDIAG_CLOSE 7
#define SOCKDIAG_CLOSE_WAIT 8
#define SOCKDIAG_LAST_ACK 9
#define SOCKDIAG_LISTEN 10
#define SOCKDIAG_CLOSING 11
#define SOCKDIAG_ALL_STATES 0xfffu

/* One socket as the kernel reports it. Addresses are in network byte
 * order, an inet address in the first 4 bytes; ports in host order. */
struct sockdiag_sock {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t protocol; /* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t state; /* SOCKDIAG_* state */
	uint16_t lport, rport;
	uint8_t laddr[16], raddr[16];
	uint32_t uid;
	uint64_t inode; /* 0: no longer owned by a file (TIME_WAIT, orphan) */
};

/* What a connect's socket shows now. */
enum sockdiag_outcome {
	SOCKDIAG_PENDING, /* SYN_SENT (or SYN_RECV): not decided yet */
	SOCKDIAG_SUCCESS, /* the handshake completed (ESTABLISHED and later) */
	SOCKDIAG_GONE, /* not in the kernel's tables */
};

/* Opens a NETLINK_SOCK_DIAG socket. Needs no privilege. NULL with errno. */
struct sockdiag *sockdiag_open(void);
/* The memory a handle holds (its receive buffer), for a budget. */
size_t sockdiag_bytes(void);
void sockdiag_close(struct sockdiag *sd);

/* The inode of the socket behind /proc/PID/fd/FD. 0 or -errno: -ENOENT
 * when the process or the descriptor is gone (or pid names a thread that is
 * not a group leader and has exited), -ENOTSOCK when fd is not a socket,
 * -EACCES without the right to read another user's /proc entry. */
int sockdiag_inode_of(pid_t pid, int fd, uint64_t *inode);
/* The network namespace of a process: the inode behind /proc/PID/ns/net.
 * 0 or -errno as above. */
int sockdiag_netns_of(pid_t pid, uint64_t *ns);
/* The exporter's own network namespace, which is the only one the lookups
 * below see. 0 or -errno. */
int sockdiag_netns_self(uint64_t *ns);

/* Finds the socket with this inode among the families' (mask) sockets of
 * protocol (IPPROTO_TCP or IPPROTO_UDP) in the states of states_mask. A
 * known local port (lport != 0) narrows the dump with a kernel-side filter;
 * pass 0 when it is not known (a port-0 bind). 0 with *out filled, -ENOENT
 * when no such socket is there (closed, another network namespace, another
 * state), other -errno on a netlink failure. Not thread-safe per handle. */
int sockdiag_lookup_inode(struct sockdiag *sd, unsigned families, int protocol,
			  unsigned states_mask, uint64_t inode, uint16_t lport,
			  struct sockdiag_sock *out);

/* A connect's socket, by what the records say of it: family (AF_INET or
 * AF_INET6), the destination, optionally the source (lport != 0: an exact
 * kernel lookup of the 4-tuple; laddr all zero with lport set means the
 * source address is unknown and the dump is used) and the inode (0 when
 * not known; otherwise only that socket matches, so a reused descriptor or
 * a second connect to the same place is not taken for it). */
struct sockdiag_tuple {
	uint8_t family;
	uint8_t protocol;
	uint8_t laddr[16], raddr[16];
	uint16_t lport, rport;
	uint64_t inode;
};

/* Finds the socket for t. 0 with *out filled; -ENOENT when none matches;
 * -EEXIST when the inode is not known and more than one socket matches (the
 * first is in *out, but the answer is not exact); other -errno on netlink
 * failure. */
int sockdiag_lookup_tuple(struct sockdiag *sd, const struct sockdiag_tuple *t,
			  struct sockdiag_sock *out);

/* Calls cb for every socket of the families and protocol in the states of
 * states_mask whose remote port is rport and remote address raddr (each
 * only when rport != 0 / raddr != NULL; raddr is of family's length; with
 * both families raddr applies to the one it belongs to). The dump runs in
 * the kernel's filter, so sockets elsewhere cost nothing here. cb returns
 * non-zero to stop early. 0 or -errno. */
typedef int (*sockdiag_sock_cb)(void *arg, const struct sockdiag_sock *s);
int sockdiag_dump(struct sockdiag *sd, unsigned families, int protocol,
		  unsigned states_mask, uint16_t rport, int raddr_family,
		  const uint8_t *raddr, sockdiag_sock_cb cb, void *arg);

/* A TCP state as a connect's outcome. A state a connect never reaches
 * (LISTEN, CLOSE) reads as GONE: the connect's socket is not it. */
enum sockdiag_outcome sockdiag_outcome_of(uint8_t state);

/* Bytes of the kernel-side filter that matches rport/raddr (as for
 * sockdiag_dump) or lport, written into buf (at most size bytes). The
 * length, or -ENOSPC. Exposed for the tests. */
int sockdiag_bytecode(uint8_t *buf, size_t size, uint16_t lport, uint16_t rport,
		      int raddr_family, const uint8_t *raddr);

#endif
