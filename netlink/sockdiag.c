/*
 * sockdiag: asks the kernel (NETLINK_SOCK_DIAG, inet_diag) about one socket.
 *
 * The audit records of a bind(), listen() or connect() say what the process
 * asked for, not what the kernel did: a bind to port 0 reads port 0, a
 * listen() on a descriptor bound in a parent process has no address at all,
 * and a non-blocking connect() reads EINPROGRESS whatever happens next. The
 * socket itself knows, for as long as it exists. This module finds it:
 *
 *   - sockdiag_inode_of(): the record's (pid, a0 = fd) names a descriptor;
 *     /proc/PID/fd/FD links to "socket:[INODE]". The process may have
 *     exited or closed the descriptor by the time the record is read
 *     (-ENOENT), and a descriptor may have been reused since, which is why
 *     every match below also checks what the record said (state, port,
 *     destination) rather than trusting the inode alone.
 *   - sockdiag_lookup_inode(): a dump of one protocol's inet/inet6 sockets
 *     in the given states (the kernel filters by state before it builds a
 *     message), narrowed by a bytecode filter on the local port when it is
 *     known, matched by inode here. There is no inode filter in inet_diag:
 *     a listener on an unknown port costs one dump of the listeners (a few
 *     dozen on a busy host), which is why listen-time lookups ask for
 *     LISTEN only (TCP) or CLOSE only (an unconnected UDP socket).
 *   - sockdiag_lookup_tuple(): a connect's socket. With the source port
 *     and address known it is the kernel's exact lookup (no dump); without,
 *     a dump filtered in the kernel by destination address and port
 *     (INET_DIAG_BC_D_COND), so only the sockets to that one destination
 *     are sent, disambiguated by inode.
 *
 * What the kernel cannot tell (measured, docs/SOCKDIAG.md): a refused
 * connect's socket goes to CLOSE and is unhashed at once (tcp_done), so it
 * is absent from every dump, like a socket that was closed: "gone" is all
 * inet_diag says of it. A socket in another network namespace is never
 * found: the netlink socket answers for the namespace it was opened in.
 *
 * Bytecode (linux/inet_diag.h): a list of ops {code, yes, no}; after an op
 * the filter moves on by `yes` bytes when it matched and `no` bytes when it
 * did not, and a socket passes when it lands exactly on the end. An AND of
 * ops is therefore: each op's `yes` is its own length, its `no` jumps 4
 * bytes past the end. S_EQ/D_EQ carry the port in a second op's `no`;
 * D_COND carries struct inet_diag_hostcond and the address.
 *
 * Bounds: one receive buffer of SOCKDIAG_BUF bytes in the handle, reused;
 * no allocation per lookup. Each call is one request and its replies, on
 * the calling thread; a handle is not shared between threads.
 */
#include "netlink/sockdiag.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define SOCKDIAG_BUF 32768 /* MNL_SOCKET_DUMP_SIZE: a dump's datagram */
#define SOCKDIAG_BC_MAX 64 /* the longest filter built here is 36 bytes */

struct sockdiag {
	struct mnl_socket *sock;
	uint32_t portid, seq;
	char buf[SOCKDIAG_BUF];
};

struct sockdiag *sockdiag_open(void)
{
	struct sockdiag *sd = calloc(1, sizeof(*sd));
	int err;

	if (!sd)
		return NULL;
	sd->sock = mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC);
	if (!sd->sock)
		goto fail;
	if (mnl_socket_bind(sd->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	sd->portid = mnl_socket_get_portid(sd->sock);
	return sd;
fail:
	err = errno;
	if (sd->sock)
		mnl_socket_close(sd->sock);
	free(sd);
	errno = err;
	return NULL;
}

size_t sockdiag_bytes(void)
{
	return sizeof(struct sockdiag);
}

void sockdiag_close(struct sockdiag *sd)
{
	if (!sd)
		return;
	mnl_socket_close(sd->sock);
	free(sd);
}

/* The inode in a /proc link "PREFIX[INODE]". */
static int sockdiag_link_inode(const char *path, const char *prefix,
			       uint64_t *inode)
{
	char link[64], *end;
	size_t plen = strlen(prefix);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	unsigned long long v;

	if (n < 0)
		return errno == ESRCH ? -ENOENT : -errno;
	link[n] = '\0';
	if (strncmp(link, prefix, plen) != 0 || link[plen] != '[')
		return -ENOTSOCK;
	errno = 0;
	v = strtoull(link + plen + 1, &end, 10);
	if (errno || end == link + plen + 1 || strcmp(end, "]") != 0)
		return -ENOTSOCK;
	*inode = v;
	return 0;
}

int sockdiag_inode_of(pid_t pid, int fd, uint64_t *inode)
{
	char path[64];

	if (pid <= 0 || fd < 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, fd);
	return sockdiag_link_inode(path, "socket:", inode);
}

int sockdiag_netns_of(pid_t pid, uint64_t *ns)
{
	char path[64];

	if (pid <= 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	return sockdiag_link_inode(path, "net:", ns);
}

int sockdiag_netns_self(uint64_t *ns)
{
	return sockdiag_link_inode("/proc/self/ns/net", "net:", ns);
}

static size_t sockdiag_addr_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

/* Appends op (and its payload) to the AND chain in buf; `no` is patched
 * once the total is known. */
static int sockdiag_bc_put(uint8_t *buf, size_t size, size_t *len,
			   const void *op, size_t oplen)
{
	if (*len + oplen > size)
		return -ENOSPC;
	memcpy(buf + *len, op, oplen);
	*len += oplen;
	return 0;
}

int sockdiag_bytecode(uint8_t *buf, size_t size, uint16_t lport, uint16_t rport,
		      int raddr_family, const uint8_t *raddr)
{
	size_t len = 0, at;
	int err = 0;

	if (lport) {
		struct inet_diag_bc_op op[2] = {
			{ .code = INET_DIAG_BC_S_EQ, .yes = sizeof(op) },
			{ .no = lport },
		};
		err = sockdiag_bc_put(buf, size, &len, op, sizeof(op));
	}
	if (!err && raddr) {
		size_t alen = sockdiag_addr_len(raddr_family);
		uint8_t op[sizeof(struct inet_diag_bc_op) +
			   sizeof(struct inet_diag_hostcond) + 16];
		size_t oplen = sizeof(struct inet_diag_bc_op) +
			       sizeof(struct inet_diag_hostcond) + alen;
		struct inet_diag_bc_op bc = { .code = INET_DIAG_BC_D_COND,
					      .yes = (uint8_t)oplen };
		struct inet_diag_hostcond hc = {
			.family = (uint8_t)raddr_family,
			.prefix_len = (uint8_t)(alen * 8),
			.port = rport ? rport : -1,
		};

		memcpy(op, &bc, sizeof(bc));
		memcpy(op + sizeof(bc), &hc, sizeof(hc));
		memcpy(op + sizeof(bc) + sizeof(hc), raddr, alen);
		err = sockdiag_bc_put(buf, size, &len, op, oplen);
	} else if (!err && rport) {
		struct inet_diag_bc_op op[2] = {
			{ .code = INET_DIAG_BC_D_EQ, .yes = sizeof(op) },
			{ .no = rport },
		};
		err = sockdiag_bc_put(buf, size, &len, op, sizeof(op));
	}
	if (err)
		return err;
	/* Every op's `no` jumps past the end: the socket fails the filter. */
	for (at = 0; at < len;) {
		struct inet_diag_bc_op op;

		memcpy(&op, buf + at, sizeof(op));
		op.no = (uint16_t)(len - at + 4);
		memcpy(buf + at, &op, sizeof(op));
		at += op.yes;
	}
	return (int)len;
}

static void sockdiag_from_msg(const struct inet_diag_msg *m, int protocol,
			      struct sockdiag_sock *s)
{
	memset(s, 0, sizeof(*s));
	s->family = m->idiag_family;
	s->protocol = (uint8_t)protocol;
	s->state = m->idiag_state;
	s->lport = ntohs(m->id.idiag_sport);
	s->rport = ntohs(m->id.idiag_dport);
	memcpy(s->laddr, m->id.idiag_src, sockdiag_addr_len(s->family));
	memcpy(s->raddr, m->id.idiag_dst, sockdiag_addr_len(s->family));
	s->uid = m->idiag_uid;
	s->inode = m->idiag_inode;
}

struct sockdiag_run {
	int protocol;
	sockdiag_sock_cb cb;
	void *arg;
	bool stopped; /* cb asked to stop: the rest is drained unseen */
	bool short_msg;
};

static int sockdiag_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct sockdiag_run *run = data;
	struct sockdiag_sock s;

	if (run->stopped)
		return MNL_CB_OK;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct inet_diag_msg)) {
		run->short_msg = true;
		return MNL_CB_OK;
	}
	sockdiag_from_msg(mnl_nlmsg_get_payload(nlh), run->protocol, &s);
	if (run->cb(run->arg, &s))
		run->stopped = true;
	return MNL_CB_OK;
}

/* One request (a dump when dump is set) and all of its replies. */
static int sockdiag_request(struct sockdiag *sd,
			    const struct inet_diag_req_v2 *req, bool dump,
			    const uint8_t *bc, int bclen,
			    struct sockdiag_run *run)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(sd->buf);
	uint32_t seq = ++sd->seq;
	ssize_t n;
	int ret;

	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | (dump ? NLM_F_DUMP : 0);
	nlh->nlmsg_seq = seq;
	memcpy(mnl_nlmsg_put_extra_header(nlh, sizeof(*req)), req,
	       sizeof(*req));
	if (bclen > 0)
		mnl_attr_put(nlh, INET_DIAG_REQ_BYTECODE, (size_t)bclen, bc);
	if (mnl_socket_sendto(sd->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(sd->sock, sd->buf, sizeof(sd->buf));
		if (n < 0)
			return -errno;
		ret = mnl_cb_run(sd->buf, (size_t)n, seq, sd->portid,
				 sockdiag_msg_cb, run);
		if (ret < 0)
			return -errno;
		/* An exact lookup's answer is one message and no DONE. */
	} while (ret > MNL_CB_STOP && dump);
	return run->short_msg ? -EPROTO : 0;
}

/* The dump of each family in the mask, through the filter bc, until the
 * callback stops it. An inet6 destination (raddr_family) is never an inet
 * socket's, so that family is left out. */
static int sockdiag_dump_bc(struct sockdiag *sd, unsigned families,
			    int protocol, unsigned states_mask,
			    int raddr_family, const uint8_t *bc, int bclen,
			    struct sockdiag_run *run)
{
	static const int fams[2] = { AF_INET, AF_INET6 };

	for (int i = 0; i < 2 && !run->stopped; i++) {
		struct inet_diag_req_v2 req = {
			.sdiag_family = (uint8_t)fams[i],
			.sdiag_protocol = (uint8_t)protocol,
			.idiag_states = states_mask,
		};
		int err;

		if (!(families & (1u << i)))
			continue;
		if (raddr_family == AF_INET6 && fams[i] == AF_INET)
			continue;
		err = sockdiag_request(sd, &req, true, bc, bclen, run);
		if (err)
			return err;
	}
	return 0;
}

int sockdiag_dump(struct sockdiag *sd, unsigned families, int protocol,
		  unsigned states_mask, uint16_t rport, int raddr_family,
		  const uint8_t *raddr, sockdiag_sock_cb cb, void *arg)
{
	uint8_t bc[SOCKDIAG_BC_MAX];
	struct sockdiag_run run = { .protocol = protocol,
				    .cb = cb,
				    .arg = arg };
	int bclen = sockdiag_bytecode(bc, sizeof(bc), 0, rport, raddr_family,
				      raddr);

	if (bclen < 0)
		return bclen;
	return sockdiag_dump_bc(sd, families, protocol, states_mask,
				raddr ? raddr_family : 0, bc, bclen, &run);
}

struct sockdiag_find {
	uint64_t inode;
	uint16_t lport;
	unsigned matches;
	struct sockdiag_sock *out;
};

static int sockdiag_find_cb(void *arg, const struct sockdiag_sock *s)
{
	struct sockdiag_find *f = arg;

	if (f->inode && s->inode != f->inode)
		return 0;
	if (f->lport && s->lport != f->lport)
		return 0;
	if (f->matches++ == 0)
		*f->out = *s;
	return f->inode != 0; /* an inode is unique: stop there */
}

int sockdiag_lookup_inode(struct sockdiag *sd, unsigned families, int protocol,
			  unsigned states_mask, uint64_t inode, uint16_t lport,
			  struct sockdiag_sock *out)
{
	struct sockdiag_find f = { .inode = inode, .out = out };
	struct sockdiag_run run = { .protocol = protocol,
				    .cb = sockdiag_find_cb,
				    .arg = &f };
	uint8_t bc[SOCKDIAG_BC_MAX];
	int bclen = sockdiag_bytecode(bc, sizeof(bc), lport, 0, 0, NULL);
	int err;

	if (!inode)
		return -EINVAL;
	if (bclen < 0)
		return bclen;
	/* find_cb stops at the inode, before the next family's dump */
	err = sockdiag_dump_bc(sd, families, protocol, states_mask, 0, bc,
			       bclen, &run);
	if (err)
		return err;
	return f.matches ? 0 : -ENOENT;
}

static bool sockdiag_zero(const uint8_t *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i])
			return false;
	return true;
}

/* The kernel's exact lookup of a 4-tuple (inet_diag_find_one_icsk). */
static int sockdiag_exact(struct sockdiag *sd, const struct sockdiag_tuple *t,
			  struct sockdiag_find *f)
{
	struct sockdiag_run run = { .protocol = t->protocol,
				    .cb = sockdiag_find_cb,
				    .arg = f };
	size_t alen = sockdiag_addr_len(t->family);
	struct inet_diag_req_v2 req = {
		.sdiag_family = t->family,
		.sdiag_protocol = t->protocol,
		.idiag_states = SOCKDIAG_ALL_STATES,
		.id = {
			.idiag_sport = htons(t->lport),
			.idiag_dport = htons(t->rport),
			.idiag_cookie = { INET_DIAG_NOCOOKIE,
					  INET_DIAG_NOCOOKIE },
		},
	};
	int err;

	memcpy(req.id.idiag_src, t->laddr, alen);
	memcpy(req.id.idiag_dst, t->raddr, alen);
	err = sockdiag_request(sd, &req, false, NULL, 0, &run);
	return err == -ENOENT ? 0 : err; /* not found: no match */
}

int sockdiag_lookup_tuple(struct sockdiag *sd, const struct sockdiag_tuple *t,
			  struct sockdiag_sock *out)
{
	struct sockdiag_find f = { .inode = t->inode,
				   .lport = t->lport,
				   .out = out };
	unsigned fam = t->family == AF_INET6 ? SOCKDIAG_INET6 : SOCKDIAG_INET;
	int err;

	if (t->family != AF_INET && t->family != AF_INET6)
		return -EAFNOSUPPORT;
	if (t->lport && !sockdiag_zero(t->laddr, sockdiag_addr_len(t->family)))
		err = sockdiag_exact(sd, t, &f);
	else
		err = sockdiag_dump(sd, fam, t->protocol, SOCKDIAG_ALL_STATES,
				    t->rport, t->family, t->raddr,
				    sockdiag_find_cb, &f);
	if (err)
		return err;
	if (!f.matches)
		return -ENOENT;
	return f.matches > 1 ? -EEXIST : 0;
}

enum sockdiag_outcome sockdiag_outcome_of(uint8_t state)
{
	switch (state) {
	case SOCKDIAG_SYN_SENT:
	case SOCKDIAG_SYN_RECV:
		return SOCKDIAG_PENDING;
	case SOCKDIAG_ESTABLISHED:
	case SOCKDIAG_FIN_WAIT1:
	case SOCKDIAG_FIN_WAIT2:
	case SOCKDIAG_TIME_WAIT:
	case SOCKDIAG_CLOSE_WAIT:
	case SOCKDIAG_LAST_ACK:
	case SOCKDIAG_CLOSING:
		return SOCKDIAG_SUCCESS;
	default:
		return SOCKDIAG_GONE;
	}
}
