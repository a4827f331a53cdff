/* Unit tests for netlink/nl: a control request keeps the event socket
 * drained while it awaits the kernel's reply.
 *
 * The sockets are real (opening NETLINK_AUDIT sockets needs no privilege),
 * but what passes through them is scripted: the test binary is linked with
 * --wrap for mnl_socket_sendto, poll, recv and recvmmsg (see the Makefile),
 * so that the "kernel" answers an AUDIT_GET only on the Nth poll, and one
 * more audit record is queued on the event socket at each poll before it. */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <libmnl/libmnl.h>

#include "netlink/nl.h"
#include "tests/unit/nl_wrap.h"

#define REPLY_PID 4242

static struct {
	int ctl_fd, ev_fd;
	uint32_t seq; /* of the last request sent */
	unsigned polls; /* poll() calls since the request */
	unsigned reply_on; /* the poll at which the reply is ready */
	unsigned queued; /* records waiting on the event socket */
	unsigned ev_polled; /* polls that watched the event socket */
	bool ev_fails; /* recvmmsg() on the event socket fails */
} k;

static struct {
	unsigned records; /* handed to the record callback */
	unsigned at_reply; /* records seen when the reply was read */
	unsigned drains; /* drain calls */
} seen;

static struct nl_audit *ctl, *ev;

ssize_t __wrap_mnl_socket_sendto(const struct mnl_socket *nl, const void *buf,
				 size_t len)
{
	(void)nl;
	k.seq = ((const struct nlmsghdr *)buf)->nlmsg_seq;
	k.polls = 0;
	return (ssize_t)len;
}

int __wrap_poll(struct pollfd *fds, nfds_t n, int timeout)
{
	int ready = 0;

	(void)timeout;
	k.polls++;
	for (nfds_t i = 0; i < n; i++) {
		fds[i].revents = 0;
		if (fds[i].fd == k.ctl_fd && k.polls >= k.reply_on)
			fds[i].revents = POLLIN;
		if (fds[i].fd == k.ev_fd) {
			k.ev_polled++;
			k.queued++; /* events keep coming */
			fds[i].revents = POLLIN;
		}
		ready += fds[i].revents != 0;
	}
	return ready;
}

/* The control socket's reply: an AUDIT_GET status. */
ssize_t __wrap_recv(int fd, void *buf, size_t len, int flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct audit_status *st;

	(void)flags;
	assert_int_equal(fd, k.ctl_fd);
	assert_true(len >= MNL_NLMSG_HDRLEN + sizeof(*st));
	nlh->nlmsg_type = AUDIT_GET;
	nlh->nlmsg_seq = k.seq;
	st = mnl_nlmsg_put_extra_header(nlh, sizeof(*st));
	st->pid = REPLY_PID;
	seen.at_reply = seen.records;
	return nlh->nlmsg_len;
}

/* The event socket: one AUDIT_SYSCALL record per queued event. */
int __wrap_recvmmsg(int fd, struct mmsghdr *msgs, unsigned int n, int flags,
		    struct timespec *timeout)
{
	unsigned got = 0;

	(void)flags;
	(void)timeout;
	assert_int_equal(fd, k.ev_fd);
	if (k.ev_fails) {
		errno = ENOTSOCK;
		return -1;
	}
	for (; got < n && k.queued; got++, k.queued--) {
		struct nlmsghdr *nlh = msgs[got].msg_hdr.msg_iov->iov_base;
		int text = snprintf((char *)nlh + NLMSG_HDRLEN, 64,
				    "audit(1.000:%u): arch=c000003e", got);

		nlh->nlmsg_type = AUDIT_SYSCALL;
		nlh->nlmsg_len = (uint32_t)text; /* as unicast: no header */
		msgs[got].msg_len = NLMSG_HDRLEN + (unsigned)text;
	}
	if (!got) {
		errno = EAGAIN;
		return -1;
	}
	return (int)got;
}

static void count_record(void *arg, uint16_t type, const char *text, size_t len)
{
	(void)arg;
	assert_int_equal(type, AUDIT_SYSCALL);
	assert_memory_equal(text, "audit(1.000:", 12);
	assert_true(len > 12);
	seen.records++;
}

static int drain(void *arg)
{
	seen.drains++;
	return nl_audit_recv(arg, count_record, NULL);
}

static int setup(void **state)
{
	(void)state;
	memset(&k, 0, sizeof(k));
	memset(&seen, 0, sizeof(seen));
	ctl = nl_audit_open(NL_CONTROL, 0);
	ev = nl_audit_open(NL_UNICAST, 0);
	if (!ctl || !ev)
		return -1;
	k.ctl_fd = nl_audit_fd(ctl);
	k.ev_fd = nl_audit_fd(ev);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	nl_audit_close(ctl);
	nl_audit_close(ev);
	return 0;
}

static void get_status(void)
{
	struct audit_status st;

	assert_int_equal(nl_audit_get_status(ctl, &st), 0);
	assert_int_equal(st.pid, REPLY_PID);
}

/* get_status with the drain set and the reply ready at poll reply_on. */
static void get_status_draining(unsigned reply_on)
{
	nl_audit_set_drain(ctl, ev, drain, ev);
	k.reply_on = reply_on;
	get_status();
}

/* Five polls until the reply: the records queued at the four before it are
 * received before the reply is read, and nothing is left behind. */
static void test_drains_while_awaiting_reply(void **state)
{
	(void)state;
	get_status_draining(5);
	assert_int_equal(seen.drains, 4);
	assert_int_equal(seen.at_reply, 4);
	assert_int_equal(nl_audit_stats(ev)->records, 4);
	/* the reply's poll queued one more, for the reader's next turn */
	assert_int_equal(k.queued, 1);
}

/* A reply that is ready at once: the wait ends without draining. */
static void test_prompt_reply_no_drain(void **state)
{
	(void)state;
	get_status_draining(1);
	assert_int_equal(seen.drains, 0);
	assert_int_equal(seen.records, 0);
}

/* Without a drain, or after it is turned off, the event socket is not even
 * watched. */
static void test_no_drain_unless_set(void **state)
{
	(void)state;
	k.reply_on = 5;
	get_status();
	nl_audit_set_drain(ctl, ev, drain, ev);
	nl_audit_set_drain(ctl, NULL, NULL, NULL);
	get_status();
	assert_int_equal(k.ev_polled, 0);
	assert_int_equal(seen.drains, 0);
	assert_int_equal(seen.records, 0);
}

/* A drain that fails (its socket is broken) is left alone for the rest of
 * the wait, and the reply is still read; the next request tries again. */
static void test_failed_drain_left_alone(void **state)
{
	(void)state;
	k.ev_fails = true;
	get_status_draining(5);
	assert_int_equal(seen.drains, 1);
	assert_int_equal(k.ev_polled, 1);
	get_status();
	assert_int_equal(seen.drains, 2);
	assert_int_equal(seen.records, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_drains_while_awaiting_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prompt_reply_no_drain,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_drain_unless_set, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_failed_drain_left_alone,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
