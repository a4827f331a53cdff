/*
 * Unit tests for exporter/collectors/connect_outcome, through the
 * dispatcher: connect records (audit.log text) that name this process's
 * own sockets, real loopback sockets made here in each state an outcome is
 * told by, and the collector's tick on the records' clock. The kernel's
 * sock_diag and /proc answer; nothing is faked but the records, so each
 * count is exact by construction: how many connects of each kind were
 * made. sock_diag needs no privilege; the network namespace case needs
 * root and skips without it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <signal.h>
#include <time.h>

#include "exporter/agg.h"
#include "exporter/collectors/collector.h"
#include "netlink/asm.h"
#include "tests/unit/feed.h"
#include "tests/unit/sockets.h"

/* The records' time (ms): now, as live records are, since the collector
 * compares it with when it read /proc; stamp: the next records'. */
static long long T0, stamp;
#define DELAY 2

static struct agg *a;
static struct asm_ctx *as;
static unsigned serial;

static void start(bool resolve)
{
	const struct agg_config cfg = { .series_cap = 1000,
					.nwindows = 1,
					.windows_ms = { 300000 },
					.host_p = 10,
					.proc_p = 10,
					.sketch_key = { 1, 2 },
					.table_key = { 3, 4 },
					.bind_slots = 64,
					.resolve = resolve,
					.outcome_delay_ms = DELAY };

	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	T0 = stamp = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	feed_agg_start(&cfg, &a, &as);
}

static int teardown(void **state)
{
	(void)state;
	feed_agg_stop(&a, &as);
	return 0;
}

/* One event at stamp: a SYSCALL record of syscall nr by pid as comm (uid
 * 1000) with the fields given (success to a3), then SOCKADDR saddr if
 * not NULL, then EOE. */
static void feed_event(int pid, const char *comm, const char *fields,
		       const char *saddr)
{
	char text[1024], sa[128] = "";
	long long s = stamp / 1000, ms = stamp % 1000;
	unsigned n = ++serial;

	if (saddr)
		snprintf(sa, sizeof(sa),
			 "type=SOCKADDR msg=audit(%lld.%03lld:%u): saddr=%s\n",
			 s, ms, n, saddr);
	snprintf(text, sizeof(text),
		 "type=SYSCALL msg=audit(%lld.%03lld:%u): arch=c000003e %s "
		 "items=0 ppid=1 pid=%d auid=1001 uid=1000 gid=0 comm=\"%s\" "
		 "exe=\"/bin/x\" key=\"k\"\n%s"
		 "type=EOE msg=audit(%lld.%03lld:%u): \n",
		 s, ms, n, fields, pid, comm, sa, s, ms, n);
	feed_text(a, as, text);
}

/* connect(fd, 127.0.0.1:port) by pid as comm, returning exit. */
static void feed_connect(int pid, int fd, uint16_t port, const char *comm,
			 int exit)
{
	char f[128], sa[64];

	snprintf(f, sizeof(f),
		 "syscall=42 success=%s exit=%d a0=%x a1=0 a2=10 a3=0",
		 exit ? "no" : "yes", exit, (unsigned)fd);
	snprintf(sa, sizeof(sa), "0200%04X7F0000010000000000000000",
		 (unsigned)port);
	feed_event(pid, comm, f, sa);
}

/* A successful socket(AF_INET, type | SOCK_NONBLOCK, 0) that returned
 * fd: the enrich stage remembers its protocol. */
static void feed_socket(int fd, unsigned type)
{
	char f[128];

	snprintf(f, sizeof(f),
		 "syscall=41 success=yes exit=%d a0=2 a1=%x a2=0 a3=0", fd,
		 type | SOCK_NONBLOCK);
	feed_event(getpid(), "x", f, NULL);
}

static void feed_nb(int fd, uint16_t port, const char *comm)
{
	feed_connect(getpid(), fd, port, comm, -EINPROGRESS);
}

/* audit_connect_outcome_total of comm (uid 1000, scope loopback, of
 * protocol proto) ending as outcome; 0 when absent. */
static uint64_t outcome_of(const char *comm, const char *proto, const char *how)
{
	char l[256];
	uint64_t v;

	snprintf(l, sizeof(l),
		 "comm=\"%s\",uid=\"1000\",protocol=\"%s\","
		 "scope=\"loopback\",outcome=\"%s\"",
		 comm, proto, how);
	v = feed_value(a, "audit_connect_outcome", l);
	return v == UINT64_MAX ? 0 : v;
}

/* The same without a socket() record: protocol unknown. */
static uint64_t outcome(const char *comm, const char *how)
{
	return outcome_of(comm, "unknown", how);
}

/* The sum of every series of the family. */
static uint64_t total(void)
{
	struct fam_rows rows = { 0 };
	uint64_t v = 0;

	fam_rows(agg_fam_named(a, "audit_connect_outcome"), &rows);
	for (size_t i = 0; i < rows.n; i++)
		v += rows.row[i].count;
	fam_rows_free(&rows);
	return v;
}

/* Each outcome from real sockets: established (2), refused with the
 * descriptor kept (1), closed before the record was read (1), closed after
 * it was parked (1), and one left in SYN_SENT until the timeout. Nothing
 * is looked up before the delay; the loop is asked to wake for it. One of
 * the established ones was seen created by socket(): protocol tcp; a
 * socket() of UDP says its connect is not one to resolve. */
static void test_outcomes(void **state)
{
	uint16_t lport, cport, sport;
	int l = bound(AF_INET, SOCK_STREAM, false, &lport);
	int closed = bound(AF_INET, SOCK_STREAM, false, &cport);
	int l0 = bound(AF_INET, SOCK_STREAM, false, &sport);
	int ok1, ok2, ref, early, late, first, slow;

	(void)state;
	start(true);
	assert_true(l >= 0 && closed >= 0 && l0 >= 0);
	assert_int_equal(listen(l, 8), 0);
	connect_nb(lport, &ok1);
	connect_nb(lport, &ok2);
	connect_nb(cport, &ref);
	connect_nb(lport, &early);
	connect_nb(lport, &late);
	slow = syn_sent_to(l0, sport, &first);
	wait_writable(ok1);
	wait_writable(ok2);
	wait_writable(ref); /* the RST came: refused */
	wait_writable(late);
	feed_nb(ok1, lport, "ok");
	close(early);
	feed_nb(early, lport, "early"); /* its descriptor is gone */
	feed_socket(ok2, SOCK_STREAM);
	feed_nb(ok2, lport, "ok");
	feed_socket(ok2 + 100, SOCK_DGRAM);
	feed_nb(ok2 + 100, lport, "udp");
	feed_nb(ref, cport, "ref");
	feed_nb(late, lport, "late");
	feed_nb(slow, sport, "slow");
	/* not parked: a blocking connect's result is audit_connect_total's */
	feed_connect(getpid(), ok1, lport, "blocking", 0);
	feed_connect(getpid(), ref, cport, "blocking", -ECONNREFUSED);
	close(late);

	agg_tick(a, T0 + DELAY - 1); /* too early: nothing asked */
	assert_int_equal(total(), 0);
	assert_int_equal(agg_wake(a), T0 + DELAY);
	agg_tick(a, T0 + DELAY);
	assert_int_equal(outcome("ok", "success"), 1);
	assert_int_equal(outcome_of("ok", "tcp", "success"), 1);
	assert_int_equal(outcome("early", "unresolved_gone"), 1);
	assert_int_equal(outcome("late", "unresolved_gone"), 1);
	/* refused, once a record newer than its /proc read was read */
	assert_int_equal(outcome("ref", "refused_or_failed"), 0);
	assert_int_equal(total(), 4);
	stamp = T0 + 900;
	feed_connect(getpid(), ok1, lport, "blocking", 0);
	agg_tick(a, T0 + 950);
	assert_int_equal(outcome("ref", "refused_or_failed"), 1);
	assert_int_equal(total(), 5);
	assert_true(agg_wake(a) > T0 + DELAY && agg_wake(a) < T0 + 3000);
	/* still SYN_SENT just before the timeout, then timed out at the
	 * next batch (spaced by the dump's cost: well under a second) */
	agg_tick(a, T0 + 2999);
	assert_int_equal(total(), 5);
	agg_tick(a, T0 + 4000);
	assert_int_equal(outcome("slow", "unresolved_timeout"), 1);
	assert_int_equal(total(), 6);
	assert_true(agg_wake(a) == INT64_MAX); /* nothing parked */
	close(ok1);
	close(ok2);
	close(ref);
	close(slow);
	close(first);
	close(l);
	close(l0);
	close(closed);
}

/* A socket() that returns a parked connect's descriptor again, made
 * before the park read /proc: whatever the descriptor held is not that
 * connect's evidence. Here the refused socket itself is still held (as if
 * the inode read at park were the new socket's): without the socket()
 * record it reads refused_or_failed, with it unresolved_gone, also when
 * that record is read after the batch that saw the socket held (a batch
 * may run before the process's next records are read). */
static void test_reused(void **state)
{
	uint16_t cport;
	int closed = bound(AF_INET, SOCK_STREAM, false, &cport);
	int r1, r2;

	(void)state;
	start(true);
	assert_true(closed >= 0);
	connect_nb(cport, &r1);
	connect_nb(cport, &r2);
	wait_writable(r1);
	wait_writable(r2);
	feed_nb(r1, cport, "kept");
	feed_nb(r2, cport, "reused");
	agg_tick(a, T0 + DELAY);
	assert_int_equal(total(), 0); /* held, not confirmed */
	feed_socket(r2, SOCK_STREAM); /* stamped T0: before the read */
	stamp = T0 + 900;
	feed_connect(getpid(), 999, cport, "blocking", 0);
	agg_tick(a, T0 + 950);
	assert_int_equal(outcome("kept", "refused_or_failed"), 1);
	assert_int_equal(outcome("reused", "unresolved_gone"), 1);
	assert_int_equal(outcome("reused", "refused_or_failed"), 0);
	assert_int_equal(total(), 2);
	close(r1);
	close(r2);
	close(closed);
}

/* More connects than slots before a batch: the oldest are counted as
 * evicted, under their own labels; a comm too long to carry folds. */
static void test_evicted(void **state)
{
	char longc[64];

	(void)state;
	start(true);
	memset(longc, 'c', 45); /* the kernel's comm is at most 15 */
	longc[45] = 0;
	for (int i = 0; i < 3; i++)
		feed_nb(100000 + i, 80, "old"); /* no such descriptor */
	for (int i = 0; i < 255; i++)
		feed_nb(100100 + i, 80, "new");
	feed_nb(100500, 80, longc);
	assert_int_equal(outcome("old", "unresolved_evicted"), 3);
	agg_tick(a, T0 + DELAY);
	assert_int_equal(outcome("new", "unresolved_gone"), 255);
	assert_int_equal(outcome("__other__", "unresolved_gone"), 1);
	assert_int_equal(total(), 259);
}

/* In the child: whether it has a namespace of its own, to up_fd. */
static void netns_report(bool unshared, int up_fd)
{
	char c = unshared ? 'y' : 'n';

	if (write(up_fd, &c, 1) != 1)
		_exit(1);
}

/* A connect from another network namespace: the exporter's sock_diag
 * cannot see it, so it is counted as such at once, never looked up. */
static void test_other_netns(void **state)
{
	int up[2], down[2];
	pid_t child;
	char c;

	(void)state;
	child = netns_child(up, down, netns_report);
	start(true);
	assert_int_equal(read(up[0], &c, 1), 1);
	assert_int_equal(c, 'y');
	feed_connect(child, 3, 80, "ns", -EINPROGRESS);
	assert_int_equal(outcome("ns", "unresolved_netns"), 1);
	agg_tick(a, T0 + DELAY);
	assert_int_equal(total(), 1);
	assert_true(agg_wake(a) == INT64_MAX);
	release_child(child, up, down);
}

/* Without resolve (a replay): the family is there and nothing is asked. */
static void test_resolve_off(void **state)
{
	int fd;
	uint16_t lport;
	int l = bound(AF_INET, SOCK_STREAM, false, &lport);

	(void)state;
	start(false);
	assert_true(l >= 0);
	assert_int_equal(listen(l, 8), 0);
	connect_nb(lport, &fd);
	wait_writable(fd);
	feed_nb(fd, lport, "ok");
	agg_tick(a, T0 + DELAY);
	assert_non_null(agg_fam_named(a, "audit_connect_outcome"));
	assert_int_equal(total(), 0);
	assert_true(agg_wake(a) == INT64_MAX);
	close(fd);
	close(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_outcomes, teardown),
		cmocka_unit_test_teardown(test_reused, teardown),
		cmocka_unit_test_teardown(test_evicted, teardown),
		cmocka_unit_test_teardown(test_other_netns, teardown),
		cmocka_unit_test_teardown(test_resolve_off, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
