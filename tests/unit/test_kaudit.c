/* Unit tests for netlink/kaudit and netlink/rules_load against a scripted
 * kernel: whatever path a start or a stop takes, the kernel's audit state
 * is given back as it was found.
 *
 * As in test_nl, the sockets are real (opening NETLINK_AUDIT sockets needs
 * no privilege) but nothing reaches the kernel: the binary is linked with
 * --wrap for mnl_socket_sendto, poll, recv and recvmmsg (see the Makefile),
 * and the wrappers play the kernel's side of kernel/audit.c: AUDIT_GET
 * answers the status, AUDIT_SET changes it field by field (with the
 * kernel's checks on the daemon pid: a live daemon is not replaced, a dead
 * one is dropped, only the daemon unregisters itself), rules are added,
 * deleted (matched by bytes, AUDIT_FILTER_PREPEND not stored) and listed.
 * A test can make the kernel refuse an AUDIT_SET of some field or the Nth
 * rule added, or have SIGTERM arrive at the Nth request.
 *
 * The state each test starts from (k_boot) is what the test compares with
 * after the exporter is gone, field by field and rule by rule. */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <libmnl/libmnl.h>

#include "netlink/kaudit.h"
#include "netlink/rules.h"
#include "tests/unit/nl_wrap.h"

#define K_RULES 64
#define K_QUEUE 256
#define K_DGRAM 9000

struct k_rule {
	size_t size;
	struct audit_rule_data *r;
};

static struct {
	struct audit_status st;
	struct k_rule rules[K_RULES];
	size_t nrules;
	struct {
		int fd;
		size_t len;
		char buf[K_DGRAM];
	} q[K_QUEUE]; /* replies waiting, in order, for their socket */
	size_t nq;
	unsigned requests; /* every request sent */
	unsigned changes; /* AUDIT_SET, ADD and DEL requests */
	uint32_t refuse_set; /* AUDIT_SET of these fields fails... */
	int refuse_err; /* ...with this error */
	unsigned adds; /* AUDIT_ADD_RULE requests */
	unsigned refuse_add; /* the Nth add is refused (1-based; 0 none) */
	unsigned sigterm_at; /* SIGTERM arrives at this request */
	bool eintr; /* the next poll is interrupted */
	uint32_t daemon_portid; /* the daemon's socket; 0: not ours to know */
	uint32_t closed[64]; /* portids of the sockets closed since boot */
	size_t nclosed;
} k;

/* what the log callback was told */
static struct {
	unsigned n;
	char last[256];
	char all[4096];
} logged;

static int sfd = -1; /* SIGTERM, blocked, as the exporter reads it */

/* --- the scripted kernel -------------------------------------------------- */

static void k_queue(int fd, uint16_t type, uint32_t seq, const void *payload,
		    size_t len)
{
	struct nlmsghdr *nlh;

	assert_true(k.nq < K_QUEUE);
	assert_true(mnl_nlmsg_size(len) <= K_DGRAM);
	nlh = mnl_nlmsg_put_header(k.q[k.nq].buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_seq = seq;
	if (len)
		memcpy(mnl_nlmsg_put_extra_header(nlh, len), payload, len);
	nlh->nlmsg_len = MNL_NLMSG_HDRLEN + (uint32_t)len; /* as the kernel's
							   * NLMSG_LENGTH */
	k.q[k.nq].fd = fd;
	k.q[k.nq].len = nlh->nlmsg_len;
	k.nq++;
}

static void k_ack(int fd, uint32_t seq, int error)
{
	struct nlmsgerr e = { .error = error };

	k_queue(fd, NLMSG_ERROR, seq, &e, sizeof(e));
}

static bool k_alive(uint32_t pid)
{
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

/* The kernel tests the daemon's connection (audit_replace): a process
 * that is gone, or a socket that is closed, is no daemon. */
static bool k_daemon_alive(void)
{
	for (size_t i = 0; k.daemon_portid && i < k.nclosed; i++)
		if (k.closed[i] == k.daemon_portid)
			return false;
	return k_alive(k.st.pid);
}

/* AUDIT_SET as kernel/audit.c does it, one field after another. */
static int k_set(const struct audit_status *s, uint32_t portid)
{
	if (s->mask & k.refuse_set)
		return k.refuse_err;
	if (k.st.enabled == 2)
		return -EPERM; /* locked */
	if (s->mask & AUDIT_STATUS_ENABLED) {
		if (s->enabled > 2)
			return -EINVAL;
		k.st.enabled = s->enabled;
	}
	if (s->mask & AUDIT_STATUS_FAILURE) {
		if (s->failure > 2)
			return -EINVAL;
		k.st.failure = s->failure;
	}
	if (s->mask & AUDIT_STATUS_PID) {
		uint32_t self = (uint32_t)getpid();

		if (s->pid && s->pid != self)
			return -EINVAL;
		if (k.st.pid && !k_daemon_alive())
			k.st.pid = 0; /* a dead daemon is dropped */
		if (k.st.pid && s->pid)
			return -EEXIST; /* a healthy daemon is not replaced */
		if (k.st.pid && k.st.pid != self)
			return -EACCES; /* only the daemon unregisters */
		k.st.pid = s->pid;
		k.daemon_portid = portid;
	}
	if (s->mask & AUDIT_STATUS_RATE_LIMIT)
		k.st.rate_limit = s->rate_limit;
	if (s->mask & AUDIT_STATUS_BACKLOG_LIMIT)
		k.st.backlog_limit = s->backlog_limit;
	if (s->mask & AUDIT_STATUS_BACKLOG_WAIT_TIME)
		k.st.backlog_wait_time = s->backlog_wait_time;
	if (s->mask & AUDIT_STATUS_LOST)
		k.st.lost = 0;
	return 0;
}

/* The stored rule identical to r (the kernel keeps no PREPEND bit), or -1. */
static ssize_t k_find(const struct audit_rule_data *r, size_t size)
{
	for (size_t i = 0; i < k.nrules; i++)
		if (k.rules[i].size == size && !memcmp(k.rules[i].r, r, size))
			return (ssize_t)i;
	return -1;
}

static int k_add(const struct audit_rule_data *r, size_t size)
{
	struct audit_rule_data *c;
	size_t at;

	k.adds++;
	if (k.adds == k.refuse_add)
		return -EINVAL;
	if (k_find(r, size) >= 0)
		return -EEXIST;
	assert_true(k.nrules < K_RULES);
	c = malloc(size);
	assert_non_null(c);
	memcpy(c, r, size);
	c->flags &= ~(uint32_t)AUDIT_FILTER_PREPEND;
	at = r->flags & AUDIT_FILTER_PREPEND ? 0 : k.nrules;
	memmove(&k.rules[at + 1], &k.rules[at],
		(k.nrules - at) * sizeof(k.rules[0]));
	k.rules[at] = (struct k_rule){ size, c };
	k.nrules++;
	return 0;
}

static int k_del(const struct audit_rule_data *r, size_t size)
{
	ssize_t i = k_find(r, size);

	if (i < 0)
		return -ENOENT;
	free(k.rules[i].r);
	memmove(&k.rules[i], &k.rules[i + 1],
		(k.nrules - (size_t)i - 1) * sizeof(k.rules[0]));
	k.nrules--;
	return 0;
}

ssize_t __wrap_mnl_socket_sendto(const struct mnl_socket *nl, const void *buf,
				 size_t len)
{
	const struct nlmsghdr *nlh = buf;
	const void *p = mnl_nlmsg_get_payload(nlh);
	size_t plen = mnl_nlmsg_get_payload_len(nlh);
	int fd = mnl_socket_get_fd(nl);
	size_t size;
	int rc = 0;

	k.requests++;
	if (k.requests == k.sigterm_at) {
		raise(SIGTERM); /* blocked: it waits in the signalfd */
		k.eintr = true;
	}
	switch (nlh->nlmsg_type) {
	case AUDIT_GET:
		k_queue(fd, AUDIT_GET, nlh->nlmsg_seq, &k.st, sizeof(k.st));
		return (ssize_t)len;
	case AUDIT_LIST_RULES:
		for (size_t i = 0; i < k.nrules; i++)
			k_queue(fd, AUDIT_LIST_RULES, nlh->nlmsg_seq,
				k.rules[i].r, k.rules[i].size);
		k_queue(fd, NLMSG_DONE, nlh->nlmsg_seq, NULL, 0);
		return (ssize_t)len;
	case AUDIT_SET:
		assert_true(plen >= sizeof(struct audit_status));
		k.changes++;
		rc = k_set(p, mnl_socket_get_portid(nl));
		break;
	case AUDIT_ADD_RULE:
	case AUDIT_DEL_RULE:
		k.changes++;
		/* the kernel takes a rule's size from its buflen, not from
		 * the message (which libmnl pads to 4 bytes) */
		assert_true(plen >= sizeof(struct audit_rule_data));
		size = sizeof(struct audit_rule_data) +
		       ((const struct audit_rule_data *)p)->buflen;
		assert_true(size <= plen);
		rc = nlh->nlmsg_type == AUDIT_ADD_RULE ? k_add(p, size)
						       : k_del(p, size);
		break;
	default:
		fail_msg("unexpected request type %u", nlh->nlmsg_type);
	}
	if (rc || (nlh->nlmsg_flags & NLM_F_ACK))
		k_ack(fd, nlh->nlmsg_seq, rc);
	return (ssize_t)len;
}

static bool k_ready(int fd)
{
	for (size_t i = 0; i < k.nq; i++)
		if (k.q[i].fd == fd)
			return true;
	return false;
}

int __wrap_poll(struct pollfd *fds, nfds_t n, int timeout)
{
	int ready = 0;

	(void)timeout;
	if (k.eintr) {
		k.eintr = false;
		errno = EINTR;
		return -1;
	}
	for (nfds_t i = 0; i < n; i++) {
		fds[i].revents = fds[i].fd >= 0 && k_ready(fds[i].fd) ? POLLIN
								      : 0;
		ready += fds[i].revents != 0;
	}
	/* this kernel answers every request at once: waiting for nothing
	 * would only spin until the reply deadline */
	if (!ready)
		fail_msg("poll with no reply queued");
	return ready;
}

/* Takes the first datagram queued for fd into buf; its length or -1. */
static ssize_t k_take(int fd, void *buf, size_t len)
{
	for (size_t i = 0; i < k.nq; i++) {
		size_t n = k.q[i].len;

		if (k.q[i].fd != fd)
			continue;
		assert_true(n <= len);
		memcpy(buf, k.q[i].buf, n);
		memmove(&k.q[i], &k.q[i + 1], (k.nq - i - 1) * sizeof(k.q[0]));
		k.nq--;
		return (ssize_t)n;
	}
	errno = EAGAIN;
	return -1;
}

int __wrap_mnl_socket_close(struct mnl_socket *nl);
int __real_mnl_socket_close(struct mnl_socket *nl);

int __wrap_mnl_socket_close(struct mnl_socket *nl)
{
	if (k.nclosed < sizeof(k.closed) / sizeof(k.closed[0]))
		k.closed[k.nclosed++] = mnl_socket_get_portid(nl);
	return __real_mnl_socket_close(nl);
}

ssize_t __wrap_recv(int fd, void *buf, size_t len, int flags)
{
	(void)flags;
	return k_take(fd, buf, len);
}

int __wrap_recvmmsg(int fd, struct mmsghdr *msgs, unsigned int n, int flags,
		    struct timespec *timeout)
{
	unsigned got = 0;

	(void)flags;
	(void)timeout;
	for (; got < n; got++) {
		struct iovec *iov = msgs[got].msg_hdr.msg_iov;
		ssize_t len = k_take(fd, iov->iov_base, iov->iov_len);

		if (len < 0)
			break;
		msgs[got].msg_len = (unsigned)len;
	}
	if (!got) {
		errno = EAGAIN;
		return -1;
	}
	return (int)got;
}

/* --- the exporter's side ------------------------------------------------- */

/* Booted state: audit off, failure 1 (printk), a small backlog, and one
 * rule of someone else's that must survive everything. */
#define BOOT_BACKLOG 64
#define BOOT_WAIT 15000
#define FOREIGN_RULE "-a always,exit -F arch=b64 -S unlink -k theirs\n"

static struct rules_set *parse(const char *text)
{
	struct rules_error err;
	struct rules_set *rs = rules_parse_text(text, strlen(text), "t", &err);
	char msg[600];

	if (!rs)
		fail_msg("%s", rules_error_str(&err, msg, sizeof(msg)));
	return rs;
}

/* Puts rule i of text into the kernel as someone else would. */
static void k_put(const char *text, size_t i)
{
	struct rules_set *rs = parse(text);
	size_t size;
	const struct audit_rule_data *r = rules_get(rs, i, &size, NULL);

	assert_int_equal(k_add(r, size), 0);
	rules_set_free(rs);
}

/* Whether the kernel holds rule i of text. */
static bool k_has(const char *text, size_t i)
{
	struct rules_set *rs = parse(text);
	size_t size;
	struct audit_rule_data *r =
		(struct audit_rule_data *)rules_get(rs, i, &size, NULL);
	bool has;

	r->flags &= ~(uint32_t)AUDIT_FILTER_PREPEND;
	has = k_find(r, size) >= 0;
	rules_set_free(rs);
	return has;
}

static void k_boot(void)
{
	for (size_t i = 0; i < k.nrules; i++)
		free(k.rules[i].r);
	memset(&k, 0, sizeof(k));
	k.st = (struct audit_status){
		.enabled = 0,
		.failure = 1,
		.pid = 0,
		.rate_limit = 0,
		.backlog_limit = BOOT_BACKLOG,
		.backlog_wait_time = BOOT_WAIT,
	};
	k_put(FOREIGN_RULE, 0);
	k.adds = 0;
}

/* The kernel is as booted: every field, and only the foreign rule. */
static void assert_as_booted(void)
{
	assert_int_equal(k.st.enabled, 0);
	assert_int_equal(k.st.failure, 1);
	assert_int_equal(k.st.pid, 0);
	assert_int_equal(k.st.rate_limit, 0);
	assert_int_equal(k.st.backlog_limit, BOOT_BACKLOG);
	assert_int_equal(k.st.backlog_wait_time, BOOT_WAIT);
	assert_int_equal(k.nrules, 1);
	assert_true(k_has(FOREIGN_RULE, 0));
	assert_int_equal(k.nq, 0); /* no reply left unread */
}

static void on_log(void *arg, enum kaudit_level level, const char *msg,
		   const struct kaudit_kv kv[KAUDIT_KV_MAX])
{
	size_t n = strlen(logged.all);

	(void)arg;
	(void)level;
	logged.n++;
	snprintf(logged.last, sizeof(logged.last), "%s%s%s", msg,
		 kv[0].key ? " " : "", kv[0].key ? kv[0].value : "");
	snprintf(logged.all + n, sizeof(logged.all) - n, "%s\n", logged.last);
}

static void no_record(void *arg, uint16_t type, const char *text, size_t len)
{
	(void)arg;
	(void)type;
	(void)text;
	(void)len;
	fail_msg("no record was scripted");
}

static const struct kaudit_opts opts = {
	.mode = KAUDIT_UNICAST,
	.backlog_limit = 8192,
	.backlog_wait_ms = 45000, /* not BOOT_WAIT at any usual HZ */
	.log = on_log,
};

static struct kaudit *start(const char *text, char *err, size_t errlen)
{
	struct rules_set *rs = text ? parse(text) : NULL;
	struct kaudit *ka =
		kaudit_start(&opts, rs, no_record, NULL, err, errlen);

	rules_set_free(rs);
	return ka;
}

/* Three rules of the exporter's own, and status settings of the file. */
#define RULES                                                                  \
	"-b 4096\n-f 0\n-r 100\n"                                              \
	"-a always,exit -F arch=b64 -S connect -k net\n"                       \
	"-A always,exit -F arch=b64 -S execve -k exec\n"                       \
	"-a always,exit -F arch=b64 -S bind -S listen -k listen\n"

/* start(RULES), which must work. */
static struct kaudit *started(void)
{
	char err[512] = "";
	struct kaudit *ka = start(RULES, err, sizeof(err));

	if (!ka)
		fail_msg("start: %s", err);
	assert_string_equal(err, "");
	return ka;
}

/* A live process (the test's parent) takes the daemon role from ka: the
 * next poll finds the source down. */
static void role_taken(struct kaudit *ka, struct kaudit_snap *snap)
{
	k.st.pid = (uint32_t)getppid();
	k.daemon_portid = 0;
	assert_int_equal(kaudit_poll(ka, snap, no_record, NULL), 0);
}

static bool sigterm_pending(void)
{
	struct signalfd_siginfo si;

	return read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si) &&
	       si.ssi_signo == SIGTERM;
}

static int setup(void **state)
{
	(void)state;
	k_boot();
	memset(&logged, 0, sizeof(logged));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	while (sigterm_pending())
		;
	return 0;
}

/* --- tests -------------------------------------------------------------- */

/* A start takes what it should (daemon role, the file's settings, the
 * defaults for the rest, enabled, its rules and the self-exclusion rule);
 * the stop gives every field and rule back. */
static void test_start_then_stop_restores_all(void **state)
{
	struct kaudit *ka = started();

	(void)state;
	assert_int_equal(k.st.pid, (uint32_t)getpid());
	assert_int_equal(k.st.enabled, 1);
	assert_int_equal(k.st.failure, 0);
	assert_int_equal(k.st.rate_limit, 100);
	assert_int_equal(k.st.backlog_limit, 4096);
	assert_int_equal(k.st.backlog_wait_time, (45 * kaudit_hz()));
	assert_int_equal(k.nrules, 1 + 3 + 1); /* foreign, ours, self */
	for (size_t i = 0; i < 3; i++)
		assert_true(k_has(RULES, i));
	kaudit_stop(ka);
	assert_as_booted();
	assert_int_equal(logged.n, 0);
}

/* The kernel refuses the AUDIT_SET of one field: the start fails, says
 * which, and whatever it had set or added before is given back. Every
 * field the exporter sets is refused in turn, the daemon pid last. */
static void test_refused_set_restores_all(void **state)
{
	static const struct {
		uint32_t bit;
		const char *says;
	} refused[] = {
		{ AUDIT_STATUS_BACKLOG_LIMIT, "cannot set audit "
					      "backlog_limit" },
		{ AUDIT_STATUS_BACKLOG_WAIT_TIME, "cannot set audit "
						  "backlog_wait_time" },
		{ AUDIT_STATUS_RATE_LIMIT, "cannot set audit rate_limit" },
		{ AUDIT_STATUS_FAILURE, "cannot set audit failure" },
		{ AUDIT_STATUS_ENABLED, "cannot set audit enabled" },
		{ AUDIT_STATUS_PID, "cannot become the audit daemon" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		char err[512] = "";

		k_boot();
		k.refuse_set = refused[i].bit;
		k.refuse_err = -EPERM;
		assert_null(start(RULES, err, sizeof(err)));
		if (!strstr(err, refused[i].says))
			fail_msg("refusing %#x: '%s'", refused[i].bit, err);
		k.refuse_set = 0;
		assert_as_booted();
	}
}

/* The daemon pid belongs to a process that no longer exists (an exporter
 * killed with SIGKILL): its rules and settings are still in the kernel,
 * with the note of what it found before it. The start takes over (no
 * duplicate rules, the stale self rule gone), and the stop gives back the
 * state from before the dead instance, not the dead one's settings. */
static void test_dead_previous_instance_taken_over(void **state)
{
	struct rules_loader *dead;
	char err[512] = "";
	struct kaudit *ka;
	uint32_t gone;
	pid_t child;

	(void)state;
	child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, NULL, 0), child);
	gone = (uint32_t)child;
	/* what the dead instance left: its rules (loaded through a loader
	 * that never unloads), its note, its settings and its pid */
	{
		struct nl_audit *ctl = nl_audit_open(NL_CONTROL, 0);
		struct rules_set *rs = parse(RULES);
		char note[128];

		assert_non_null(ctl);
		dead = rules_loader_new(ctl);
		assert_non_null(dead);
		snprintf(note, sizeof(note), "ae-orig:e=0,f=1,r=0,b=%u,w=%u",
			 BOOT_BACKLOG, BOOT_WAIT);
		assert_int_equal(rules_loader_set_note(dead, note), 0);
		assert_int_equal(rules_load(dead, rs, gone, NULL), 0);
		rules_loader_free(dead);
		rules_set_free(rs);
		nl_audit_close(ctl);
	}
	assert_int_equal(k.nrules, 5);
	k.st.enabled = 1;
	k.st.failure = 0;
	k.st.rate_limit = 100;
	k.st.backlog_limit = 4096;
	k.st.backlog_wait_time = 1;
	k.st.pid = gone;
	k.adds = 0;

	ka = start(RULES, err, sizeof(err));
	assert_non_null(ka);
	assert_string_equal(err, "");
	assert_int_equal(k.st.pid, (uint32_t)getpid());
	assert_int_equal(k.nrules, 5); /* foreign, 3 taken over, our self */
	for (size_t i = 0; i < 3; i++)
		assert_true(k_has(RULES, i));
	assert_non_null(strstr(logged.all, "earlier exporter died"));
	kaudit_stop(ka);
	assert_as_booted();
}

/* A live process holds the daemon role: the start refuses, names it, and
 * changes nothing in the kernel. */
static void test_live_daemon_left_alone(void **state)
{
	char err[512] = "";

	(void)state;
	k.st.pid = (uint32_t)getppid();
	assert_null(start(RULES, err, sizeof(err)));
	assert_non_null(strstr(err, "is already the audit daemon"));
	assert_int_equal(k.changes, 0);
	k.st.pid = 0;
	assert_as_booted();
}

/* SIGTERM arrives during the start, at each request in turn, interrupting
 * the wait for the kernel's reply. The exporter reads SIGTERM from a
 * signalfd once the start returns: the start must still end in a whole
 * state (here: complete; the interrupted wait goes on) that the stop
 * gives back entirely, and the signal must still be there to be read. */
static void test_sigterm_mid_start(void **state)
{
	char err[512];
	unsigned requests;
	struct kaudit *ka;

	(void)state;
	ka = started();
	requests = k.requests;
	kaudit_stop(ka);
	assert_true(requests > 10);
	for (unsigned at = 1; at <= requests; at++) {
		k_boot();
		k.sigterm_at = at;
		err[0] = 0;
		ka = start(RULES, err, sizeof(err));
		if (!ka)
			fail_msg("SIGTERM at request %u: %s", at, err);
		assert_int_equal(k.st.pid, (uint32_t)getpid());
		assert_int_equal(k.nrules, 5);
		assert_true(sigterm_pending());
		kaudit_stop(ka);
		assert_as_booted();
	}
}

/* The kernel refuses a rule half way through the file: the rules added so
 * far, and the self-exclusion rule, are removed; the status is not even
 * touched (rules go in before the settings). */
static void test_rule_refused_half_way(void **state)
{
	char err[512] = "";

	(void)state;
	k.refuse_add = 3; /* self rule, connect, then execve */
	assert_null(start(RULES, err, sizeof(err)));
	assert_non_null(strstr(err, "line 5: the kernel refused the rule"));
	assert_as_booted();
}

/* The file has a rule the kernel already holds: it is someone else's (the
 * start says so), and it stays at the stop. */
static void test_existing_rule_stays(void **state)
{
	char err[512] = "";
	struct kaudit *ka;

	(void)state;
	ka = start(RULES FOREIGN_RULE, err, sizeof(err));
	assert_non_null(ka);
	assert_non_null(strstr(logged.all, "not ours and stays at exit"));
	assert_int_equal(k.nrules, 1 + 3 + 1);
	kaudit_stop(ka);
	assert_as_booted();
}

/* -D: the kernel's rules are saved and deleted for the run, and put back
 * at the stop; also when the start then fails on a refused setting. */
static void test_delete_all_put_back(void **state)
{
	char err[512] = "";
	struct kaudit *ka;

	(void)state;
	ka = start("-D\n" RULES, err, sizeof(err));
	assert_non_null(ka);
	assert_false(k_has(FOREIGN_RULE, 0));
	assert_int_equal(k.nrules, 3 + 1);
	kaudit_stop(ka);
	assert_as_booted();

	k_boot();
	k.refuse_set = AUDIT_STATUS_ENABLED;
	k.refuse_err = -EINVAL;
	assert_null(start("-D\n" RULES, err, sizeof(err)));
	k.refuse_set = 0;
	assert_as_booted();
}

/* A reload whose new rules the kernel refuses half way: the old rules are
 * back, exactly, and the stop still removes everything. */
static void test_reload_refused_half_way(void **state)
{
	static const char *next = "-a always,exit -F arch=b64 -S openat -k o\n"
				  "-a always,exit -F arch=b64 -S accept -k a\n";
	struct rules_set *rs = parse(next);
	char err[512] = "";
	struct kaudit *ka;

	(void)state;
	ka = started();
	k.refuse_add = k.adds + 2; /* accept, the second new rule */
	assert_int_not_equal(kaudit_reload(ka, rs, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "line 2: the kernel refused the rule"));
	assert_int_equal(k.nrules, 5);
	for (size_t i = 0; i < 3; i++)
		assert_true(k_has(RULES, i));
	assert_false(k_has(next, 0));
	kaudit_stop(ka);
	rules_set_free(rs);
	assert_as_booted();
}

/* A field someone else changed while the exporter ran is theirs: the stop
 * leaves it (and says so), and gives back the others. */
static void test_changed_since_is_left(void **state)
{
	struct kaudit *ka = started();

	(void)state;
	k.st.backlog_limit = 999;
	kaudit_stop(ka);
	assert_int_equal(k.st.backlog_limit, 999);
	assert_non_null(strstr(logged.all, "changed by someone else; "
					   "leaving it backlog_limit"));
	k.st.backlog_limit = BOOT_BACKLOG;
	assert_as_booted();
}

/* The kernel refuses to put one field back at the stop: that one is said
 * and stays, every other field, the rules and the daemon role are still
 * given back. */
static void test_refused_restore_goes_on(void **state)
{
	struct kaudit *ka = started();

	(void)state;
	k.refuse_set = AUDIT_STATUS_BACKLOG_LIMIT;
	k.refuse_err = -EINVAL;
	kaudit_stop(ka);
	assert_non_null(strstr(logged.all, "cannot restore audit setting "
					   "backlog_limit"));
	assert_int_equal(k.st.backlog_limit, 4096);
	k.refuse_set = 0;
	k.st.backlog_limit = BOOT_BACKLOG;
	assert_as_booted();
}

/* The status poll: counters the kernel resets stay monotonic; another
 * live daemon taking the role is said once and the source is down; when
 * the role is free again the exporter takes it back. The stop then gives
 * everything back, the role included. */
static void test_poll_follows_the_role(void **state)
{
	struct kaudit_snap snap = { 0 };
	struct kaudit *ka = started();
	unsigned n;

	(void)state;
	k.st.lost = 5;
	assert_int_equal(kaudit_poll(ka, &snap, no_record, NULL), 1);
	assert_true(snap.valid);
	assert_int_equal(snap.pid, (uint32_t)getpid());
	assert_int_equal(snap.lost_total, 5);
	k.st.lost = 2; /* auditctl --reset-lost, then 2 more */
	assert_int_equal(kaudit_poll(ka, &snap, no_record, NULL), 1);
	assert_int_equal(snap.lost_total, 7);

	role_taken(ka, &snap);
	assert_non_null(strstr(logged.last, "another process took"));
	n = logged.n;
	assert_int_equal(kaudit_poll(ka, &snap, no_record, NULL), 0);
	assert_int_equal(logged.n, n); /* said once */

	k.st.pid = 0; /* and gave it up */
	assert_int_equal(kaudit_poll(ka, &snap, no_record, NULL), 1);
	assert_int_equal(k.st.pid, (uint32_t)getpid());
	assert_non_null(strstr(logged.last, "registered as the audit daemon"));
	kaudit_stop(ka);
	assert_as_booted();
}

/* Someone else holds the role when the exporter stops: it is theirs and
 * stays; the rest is given back. */
static void test_stop_leaves_a_role_taken_since(void **state)
{
	struct kaudit_snap snap = { 0 };
	struct kaudit *ka = started();
	unsigned n;

	(void)state;
	role_taken(ka, &snap);
	n = logged.n;
	kaudit_stop(ka);
	assert_int_equal(logged.n, n); /* no release tried, none failed */
	assert_int_equal(k.st.pid, (uint32_t)getppid());
	k.st.pid = 0;
	assert_as_booted();
}

/* The event socket broke under the exporter (closed, say): kaudit_recover
 * opens a fresh one and takes the role back through it, which the kernel
 * allows since the old socket is gone; the poll then finds the source up,
 * and the stop releases the role held through the new socket. */
static void test_recover_takes_the_role_back(void **state)
{
	struct kaudit_snap snap = { 0 };
	struct kaudit *ka = started();
	uint32_t before = k.daemon_portid;

	(void)state;
	assert_int_equal(kaudit_recover(ka, no_record, NULL), 0);
	assert_int_equal(k.st.pid, (uint32_t)getpid());
	assert_int_not_equal(k.daemon_portid, before);
	assert_non_null(strstr(logged.last, "registered as the audit daemon"));
	assert_int_equal(kaudit_poll(ka, &snap, no_record, NULL), 1);
	kaudit_stop(ka);
	assert_as_booted();
}

/* Recovering while another live daemon holds the role: it is left to
 * them, the source is down, and the stop does not touch the role. */
static void test_recover_leaves_a_live_daemon(void **state)
{
	struct kaudit_snap snap = { 0 };
	struct kaudit *ka = started();

	(void)state;
	role_taken(ka, &snap);
	assert_int_equal(kaudit_recover(ka, no_record, NULL), 0);
	assert_int_equal(k.st.pid, (uint32_t)getppid());
	assert_int_equal(kaudit_poll(ka, &snap, no_record, NULL), 0);
	kaudit_stop(ka);
	assert_int_equal(k.st.pid, (uint32_t)getppid());
	k.st.pid = 0;
	assert_as_booted();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_start_then_stop_restores_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_set_restores_all,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_dead_previous_instance_taken_over, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_live_daemon_left_alone,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_sigterm_mid_start, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rule_refused_half_way,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_existing_rule_stays, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_delete_all_put_back, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reload_refused_half_way,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_since_is_left,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_restore_goes_on,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_poll_follows_the_role,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_stop_leaves_a_role_taken_since, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_recover_takes_the_role_back, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_recover_leaves_a_live_daemon, setup, teardown),
	};
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
