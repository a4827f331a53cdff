/*
 * nl: the kernel's NETLINK_AUDIT socket.
 *
 * Three kinds of socket, all opened through libmnl:
 *
 *   control    requests with replies: AUDIT_GET/AUDIT_SET status, rule
 *              add/delete/list. Blocking with a 2 s reply deadline.
 *   unicast    the audit daemon's socket: after AUDIT_SET pid from this
 *              socket the kernel's kauditd thread sends every record here.
 *   multicast  a read-only member of AUDIT_NLGRP_READLOG beside auditd.
 *
 * Event sockets are non-blocking and drained with recvmmsg() in batches of
 * NL_BATCH datagrams, one record per datagram. Records point into the
 * socket's own receive slots; nothing is copied or allocated per record.
 *
 * Two kernel quirks shape the receive path:
 *   - unicast records carry nlmsg_len = payload length (without the header),
 *     so the length is always taken from recvmmsg(), never from the header;
 *   - replies to AUDIT_GET and AUDIT_LIST_RULES are sent by a kernel thread,
 *     so an acknowledgement may overtake them. Those requests therefore ask
 *     for no ACK and wait for the reply itself or an NLMSG_ERROR.
 *
 * Control replies are matched by sequence number; stale ones (from a request
 * that timed out) are skipped.
 *
 * A thread that reads events and also makes control requests must not stop
 * reading while it waits: a reply comes from a kernel thread that a busy
 * host may not run for a while, and meanwhile records pile up in the event
 * socket and then in the kernel's backlog. So a control socket can be given
 * its event socket and a drain: while a reply is awaited, whenever records
 * are queued, the drain is called to receive them (nl_audit_set_drain).
 */
#include "netlink/nl.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NL_BATCH 64
#define NL_SLOT 16384 /* larger than any record the kernel formats */
#define NL_MAX_BATCHES 16 /* per nl_audit_recv() call: bound the latency */
#define NL_REPLY_MS 2000
#define NL_RECORD_MIN 1100 /* AUDIT_FIRST_USER_MSG: lower types are control */
#define NL_MSGBUF 65536 /* one request or one control reply datagram */

struct nl_audit {
	struct mnl_socket *sock;
	enum nl_mode mode;
	int rcvbuf;
	uint32_t portid;
	uint32_t seq;
	struct nl_stats stats;
	struct nl_audit *drain_ev; /* control: drained while awaiting replies */
	nl_drain_fn drain;
	void *drain_arg;
	struct mmsghdr msgs[NL_BATCH];
	struct iovec iov[NL_BATCH];
	char *slots; /* NL_BATCH * NL_SLOT bytes, event sockets only */
	char request[NL_MSGBUF];
	char reply[NL_MSGBUF];
};

static void nl_set_rcvbuf(struct nl_audit *nl, int bytes)
{
	int fd = mnl_socket_get_fd(nl->sock);

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
}

/* Opens, binds and configures nl->sock for nl->mode. 0 or -errno. */
static int nl_socket(struct nl_audit *nl)
{
	int flags = SOCK_CLOEXEC | (nl->mode == NL_CONTROL ? 0 : SOCK_NONBLOCK);
	int rc;

	nl->sock = mnl_socket_open2(NETLINK_AUDIT, flags);
	if (!nl->sock)
		return -errno;
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	if (nl->mode == NL_MULTICAST) {
		int group = AUDIT_NLGRP_READLOG;

		if (mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP,
					  &group, sizeof(group)) < 0)
			goto fail;
	}
	if (nl->rcvbuf > 0)
		nl_set_rcvbuf(nl, nl->rcvbuf);
	nl->portid = mnl_socket_get_portid(nl->sock);
	return 0;
fail:
	rc = -errno;
	mnl_socket_close(nl->sock);
	nl->sock = NULL;
	return rc;
}

int nl_audit_reopen(struct nl_audit *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
	return nl_socket(nl);
}

struct nl_audit *nl_audit_open(enum nl_mode mode, int rcvbuf)
{
	struct nl_audit *nl = calloc(1, sizeof(*nl));
	int err;

	if (!nl)
		return NULL;
	nl->mode = mode;
	nl->rcvbuf = rcvbuf;
	nl->seq = (uint32_t)time(NULL);
	if (mode != NL_CONTROL) {
		nl->slots = malloc((size_t)NL_BATCH * NL_SLOT);
		if (!nl->slots)
			goto fail;
		for (int i = 0; i < NL_BATCH; i++) {
			nl->iov[i].iov_base = nl->slots + (size_t)i * NL_SLOT;
			nl->iov[i].iov_len = NL_SLOT;
			nl->msgs[i].msg_hdr.msg_iov = &nl->iov[i];
			nl->msgs[i].msg_hdr.msg_iovlen = 1;
		}
	}
	err = nl_socket(nl);
	if (err) {
		errno = -err;
		goto fail;
	}
	return nl;
fail:
	err = errno;
	nl_audit_close(nl);
	errno = err;
	return NULL;
}

void nl_audit_close(struct nl_audit *nl)
{
	if (!nl)
		return;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl->slots);
	free(nl);
}

int nl_audit_fd(const struct nl_audit *nl)
{
	return nl->sock ? mnl_socket_get_fd(nl->sock) : -1;
}

const struct nl_stats *nl_audit_stats(const struct nl_audit *nl)
{
	return &nl->stats;
}

/* Sends one request; returns its sequence number or a negative errno. */
static int64_t nl_send(struct nl_audit *nl, uint16_t type, uint16_t flags,
		       const void *payload, size_t len)
{
	struct nlmsghdr *nlh;

	if (!nl->sock)
		return -EBADF;
	if (mnl_nlmsg_size(len) > sizeof(nl->request))
		return -EMSGSIZE;
	nlh = mnl_nlmsg_put_header(nl->request);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++nl->seq;
	if (len)
		memcpy(mnl_nlmsg_put_extra_header(nlh, len), payload, len);
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return nlh->nlmsg_seq;
}

static int64_t nl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void nl_audit_set_drain(struct nl_audit *ctl, struct nl_audit *ev,
			nl_drain_fn drain, void *arg)
{
	ctl->drain_ev = drain ? ev : NULL;
	ctl->drain = drain;
	ctl->drain_arg = arg;
}

/* Waits until nl's socket is readable or the deadline passes, handing the
 * drain whatever its event socket holds meanwhile (until the drain fails). */
static int nl_wait(struct nl_audit *nl, int64_t deadline)
{
	bool drain = nl->drain != NULL;

	for (;;) {
		int64_t left = deadline - nl_now_ms();
		struct pollfd p[2] = {
			{ .fd = mnl_socket_get_fd(nl->sock), .events = POLLIN },
			{ .fd = drain ? nl_audit_fd(nl->drain_ev) : -1,
			  .events = POLLIN },
		};
		int rc;

		if (left <= 0)
			return -ETIMEDOUT;
		rc = poll(p, 2, (int)left);
		if (rc < 0 && errno != EINTR)
			return -errno;
		if (rc <= 0)
			continue;
		if (p[0].revents)
			return 0;
		if (p[1].revents && nl->drain(nl->drain_arg) < 0)
			drain = false;
	}
}

/*
 * A reply handler sees each message with our sequence number and returns
 * 1 when the exchange is complete, 0 to keep reading, or a negative errno.
 */
typedef int (*nl_reply_fn)(void *arg, const struct nlmsghdr *nlh);

static int nl_exchange(struct nl_audit *nl, uint16_t type, uint16_t flags,
		       const void *payload, size_t len, nl_reply_fn fn,
		       void *arg)
{
	int64_t seq = nl_send(nl, type, flags, payload, len);
	int64_t deadline = nl_now_ms() + NL_REPLY_MS;
	int fd;

	if (seq <
	    0) /* -EBADF too: the socket is closed after a failed reopen */
		return (int)seq;
	fd = mnl_socket_get_fd(nl->sock);
	for (;;) {
		ssize_t n;
		int rc = nl_wait(nl, deadline);

		if (rc)
			return rc;
		n = recv(fd, nl->reply, sizeof(nl->reply), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN ||
			    errno == ENOBUFS)
				continue;
			return -errno;
		}
		for (const struct nlmsghdr *nlh = (void *)nl->reply;
		     mnl_nlmsg_ok(nlh, (int)n);
		     nlh = mnl_nlmsg_next(nlh, (int *)&n)) {
			if (nlh->nlmsg_seq != (uint32_t)seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e =
					mnl_nlmsg_get_payload(nlh);

				if (e->error)
					return e->error;
				if (flags & NLM_F_ACK)
					return 0;
				continue;
			}
			rc = fn ? fn(arg, nlh) : 0;
			if (rc)
				return rc < 0 ? rc : 0;
		}
	}
}

static int nl_status_reply(void *arg, const struct nlmsghdr *nlh)
{
	struct audit_status *st = arg;
	size_t len = mnl_nlmsg_get_payload_len(nlh);

	if (nlh->nlmsg_type != AUDIT_GET)
		return 0;
	memset(st, 0, sizeof(*st));
	memcpy(st, mnl_nlmsg_get_payload(nlh),
	       len < sizeof(*st) ? len : sizeof(*st));
	return 1;
}

int nl_audit_get_status(struct nl_audit *nl, struct audit_status *st)
{
	return nl_exchange(nl, AUDIT_GET, 0, NULL, 0, nl_status_reply, st);
}

int nl_audit_set_status(struct nl_audit *nl, const struct audit_status *st)
{
	return nl_exchange(nl, AUDIT_SET, NLM_F_ACK, st, sizeof(*st), NULL,
			   NULL);
}

int nl_audit_rule_add(struct nl_audit *nl, const struct audit_rule_data *r,
		      size_t size)
{
	return nl_exchange(nl, AUDIT_ADD_RULE, NLM_F_ACK, r, size, NULL, NULL);
}

int nl_audit_rule_del(struct nl_audit *nl, const struct audit_rule_data *r,
		      size_t size)
{
	return nl_exchange(nl, AUDIT_DEL_RULE, NLM_F_ACK, r, size, NULL, NULL);
}

struct nl_list_ctx {
	nl_rule_cb cb;
	void *arg;
};

static int nl_list_reply(void *arg, const struct nlmsghdr *nlh)
{
	struct nl_list_ctx *ctx = arg;

	if (nlh->nlmsg_type == NLMSG_DONE)
		return 1;
	if (nlh->nlmsg_type == AUDIT_LIST_RULES &&
	    mnl_nlmsg_get_payload_len(nlh) >= sizeof(struct audit_rule_data))
		ctx->cb(ctx->arg, mnl_nlmsg_get_payload(nlh),
			mnl_nlmsg_get_payload_len(nlh));
	return 0;
}

int nl_audit_list_rules(struct nl_audit *nl, nl_rule_cb cb, void *arg)
{
	struct nl_list_ctx ctx = { cb, arg };

	return nl_exchange(nl, AUDIT_LIST_RULES, 0, NULL, 0, nl_list_reply,
			   &ctx);
}

/*
 * Walks one received batch. Returns the acknowledgement's result when a
 * NLMSG_ERROR with sequence `want` is among them (1 for success, so that 0
 * can mean "not seen"), else 0.
 */
static int nl_dispatch(struct nl_audit *nl, int count, uint32_t want,
		       nl_record_cb cb, void *arg)
{
	int ack = 0;

	for (int i = 0; i < count; i++) {
		const struct mmsghdr *m = &nl->msgs[i];
		const struct nlmsghdr *nlh = nl->iov[i].iov_base;
		size_t len = m->msg_len;

		if (m->msg_hdr.msg_flags & MSG_TRUNC) {
			nl->stats.truncated++;
			continue;
		}
		if (len < NLMSG_HDRLEN) {
			nl->stats.malformed++;
			continue;
		}
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e =
				(const void *)((const char *)nlh +
					       NLMSG_HDRLEN);

			if (want && nlh->nlmsg_seq == want &&
			    len >= NLMSG_HDRLEN + sizeof(*e))
				ack = e->error ? e->error : 1;
			continue;
		}
		if (nlh->nlmsg_type < NL_RECORD_MIN ||
		    nlh->nlmsg_type == AUDIT_REPLACE)
			continue;
		nl->stats.records++;
		cb(arg, nlh->nlmsg_type, (const char *)nlh + NLMSG_HDRLEN,
		   len - NLMSG_HDRLEN);
	}
	return ack;
}

static int nl_recv_batch(struct nl_audit *nl)
{
	if (!nl->sock)
		return -EBADF;
	for (int i = 0; i < NL_BATCH; i++)
		nl->msgs[i].msg_hdr.msg_flags = 0;
	for (;;) {
		int n = recvmmsg(mnl_socket_get_fd(nl->sock), nl->msgs,
				 NL_BATCH, MSG_DONTWAIT, NULL);

		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno == ENOBUFS) {
			nl->stats.overruns++;
			continue;
		}
		return errno == EAGAIN ? 0 : -errno;
	}
}

int nl_audit_recv(struct nl_audit *nl, nl_record_cb cb, void *arg)
{
	int total = 0;

	for (int b = 0; b < NL_MAX_BATCHES; b++) {
		int n = nl_recv_batch(nl);

		if (n < 0)
			return total ? total : n;
		if (n == 0)
			break;
		nl_dispatch(nl, n, 0, cb, arg);
		total += n;
		if (n < NL_BATCH)
			break;
	}
	return total;
}

int nl_audit_set_pid(struct nl_audit *ev, uint32_t pid, nl_record_cb cb,
		     void *arg)
{
	struct audit_status st = { .mask = AUDIT_STATUS_PID, .pid = pid };
	int64_t seq = nl_send(ev, AUDIT_SET, NLM_F_ACK, &st, sizeof(st));
	int64_t deadline = nl_now_ms() + NL_REPLY_MS;

	if (seq < 0)
		return (int)seq;
	for (;;) {
		int rc = nl_wait(ev, deadline);
		int n;

		if (rc)
			return rc;
		n = nl_recv_batch(ev);
		if (n < 0)
			return n;
		rc = nl_dispatch(ev, n, (uint32_t)seq, cb, arg);
		if (rc)
			return rc > 0 ? 0 : rc;
	}
}
