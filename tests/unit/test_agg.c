/* Unit tests for exporter/agg: events to metric updates, edge cases. */
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "exporter/agg.h"
#include "exporter/collectors/collector.h"
#include "metrics/budget.h"
#include "netlink/arec.h"
#include "netlink/asm.h"
#include "tests/unit/feed.h"

static struct agg *a;
static struct asm_ctx *as;

/* The aggregator most tests use. */
static const struct agg_config test_cfg = { .series_cap = 1000,
					    .nwindows = 2,
					    .windows_ms = { 300000, 86400000 },
					    .host_p = 14,
					    .proc_p = 12,
					    .sketch_key = { 1, 2 },
					    .table_key = { 3, 4 },
					    .bind_slots = 64 };

static int setup(void **state)
{
	(void)state;
	a = agg_new(&test_cfg);
	as = asm_new(NULL, agg_event, a);
	return a && as ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	asm_free(as);
	agg_free(a);
	return 0;
}

static void feed(const char *text)
{
	feed_text(a, as, text);
}

/* The value of the series whose label text is exactly `labels`. */
static uint64_t count(const char *which, const char *labels)
{
	return feed_value(a, which, labels);
}

/* A listen counter of the test's process (srv, uid 5, auid 0; no socket()
 * record, so protocol unknown). */
static uint64_t lsn(const char *family, const char *address, const char *port)
{
	char l[256];

	snprintf(l, sizeof(l),
		 "comm=\"srv\",uid=\"5\",auid=\"0\",family=\"%s\","
		 "protocol=\"unknown\",address=\"%s\",port=\"%s\"",
		 family, address, port);
	return count("audit_listen", l);
}

/* A connect counter of the test's process (srv, uid 5, auid 0). */
static uint64_t conn(const char *family, const char *proto, const char *scope,
		     const char *result)
{
	char l[192];

	snprintf(l, sizeof(l),
		 "comm=\"srv\",uid=\"5\",auid=\"0\",family=\"%s\","
		 "protocol=\"%s\",scope=\"%s\",result=\"%s\"",
		 family, proto, scope, result);
	return count("audit_connect", l);
}

static double estimate(const char *which, int64_t now);

/* A SYSCALL record of an AUDIT_ARCH_* machine; SYS is x86_64. */
#define SYSA(serial, arch, nr, succ, exit, a0, extra)                          \
	"type=SYSCALL msg=audit(100.000:" serial "): arch=" arch " "           \
	"syscall=" nr " success=" succ " exit=" exit " a0=" a0 " a1=0 a2=10 "  \
	"a3=0 items=0 "                                                        \
	"ppid=1 pid=77 auid=0 uid=5 gid=0 comm=\"srv\" "                       \
	"exe=\"/bin/srv\" " extra "\n"
#define SYS(serial, nr, succ, exit, a0, extra)                                 \
	SYSA(serial, "c000003e", nr, succ, exit, a0, extra)
#define EOE(serial) "type=EOE msg=audit(100.000:" serial "): \n"
#define SA(serial, hex)                                                        \
	"type=SOCKADDR msg=audit(100.000:" serial "): saddr=" hex "\n"

static void test_bind_then_listen(void **state)
{
	(void)state;
	feed(SYS("1", "49", "yes", "0", "3", "key=\"bind\"") SA("1", "02001F907"
								     "F00000100"
								     "000000000"
								     "00000")
		     EOE("1") SYS("2", "50", "yes", "0", "3", "key=\"listen\"")
			     EOE("2")
	     /* an fd never seen bound: port unknown */
	     SYS("3", "50", "yes", "0", "9", "key=\"listen\"") EOE("3")
	     /* a failed listen is not counted */
	     SYS("4", "50", "no", "-98", "3", "key=\"listen\"") EOE("4"));
	assert_int_equal(lsn("inet", "127.0.0.1", "8080"), 1);
	assert_int_equal(lsn("unknown", "unknown", "unknown"), 1);
	assert_int_equal(count("audit_syscall_events", "syscall=\"listen\",key="
						       "\"listen\","
						       "success=\"no\""),
			 1);
}

static void test_connect_edges(void **state)
{
	(void)state;
	feed(/* no SOCKADDR record (a bad pointer): family other */
	     SYS("1", "42", "no", "-14", "3", "key=\"connect\"") EOE("1")
	     /* two rule keys, joined by 0x01 in hex */
	     SYS("2", "42", "yes", "0", "3", "key=6B31016B32")
		     SA("2", "01002F746D702F7300") EOE("2")
	     /* a netlink address counts as other */
	     SYS("3", "42", "yes", "0", "3", "key=(null)")
		     SA("3", "10000000E803000001000000") EOE("3"));
	assert_int_equal(conn("other", "unknown", "unknown", "error"), 1);
	assert_int_equal(conn("unix", "unknown", "unknown", "success"), 1);
	assert_int_equal(conn("other", "unknown", "unknown", "success"), 1);
	assert_int_equal(count("audit_syscall_events", "syscall=\"connect\","
						       "key=\"k1,k2\","
						       "success=\"yes\""),
			 1);
	assert_int_equal(count("audit_syscall_events", "syscall=\"connect\","
						       "key=\"\","
						       "success=\"yes\""),
			 1);
	/* unix and netlink destinations are not inet: no unique counts */
	assert_int_equal(fam_count(agg_fam_named(a, "audit_process_connect_"
						    "unique_destinations")),
			 0);
}

/*
 * A big-endian process's sockaddr (s390x, arch=80000016: connect 362,
 * bind 361, listen 363): sa_family is host order, so AF_INET is 00 02.
 * Its SOCKADDR record may come before the SYSCALL record that says the
 * arch. The same destination from x86_64 (02 00) is the same item.
 */
static void test_byte_order(void **state)
{
#define S390X(serial, nr, succ, exit, fd)                                      \
	SYSA(serial, "80000016", nr, succ, exit, fd, "key=(null)")
	(void)state;
	/* 10.0.0.1:80, the SOCKADDR first */
	feed(SA("1", "000200500A0000010000000000000000")
		     S390X("1", "362", "yes", "0", "3") EOE("1"));
	/* [::1]:443 */
	feed(S390X("2", "362", "no", "-111", "3")
		     SA("2", "000A01BB00000000000000000000000000000000"
			     "0000000100000000") EOE("2"));
	/* unix path "/run/s" */
	feed(S390X("3", "362", "yes", "0", "4") SA("3", "00012F72756E2F7300")
		     EOE("3"));
	/* bind 8080, then listen on that fd */
	feed(S390X("4", "361", "yes", "0", "5") SA("4", "00021F9000000000000000"
							"0000000000") EOE("4"));
	feed(S390X("5", "363", "yes", "0", "5") EOE("5"));
	/* x86_64 to the same 10.0.0.1:80 */
	feed(SYS("6", "42", "yes", "0", "3", "key=(null)")
		     SA("6", "020000500A0000010000000000000000") EOE("6"));
#undef S390X
	assert_int_equal(conn("inet", "unknown", "private", "success"), 2);
	assert_int_equal(conn("inet6", "unknown", "loopback", "refused"), 1);
	assert_int_equal(conn("unix", "unknown", "unknown", "success"), 1);
	assert_int_equal(lsn("inet", "0.0.0.0", "8080"), 1);
	/* 10.0.0.1:80 twice and [::1]:443, in two scopes, beside the
	 * tcp/public series that is always there */
	assert_int_equal(fam_count(agg_fam_named(a, "audit_connect_unique_"
						    "destinations")),
			 3);
	assert_true(estimate("audit_connect_unique_destinations", 100000) == 2);
}

/*
 * i386 socketcall(2) (syscall 102, a0 the call: 2 bind, 3 connect,
 * 4 listen). With a SOCKETCALL record its a0 is the fd; older kernels
 * wrote none, and the call still counts: the connect as family other
 * (as an x86_64 connect without SOCKADDR), the listen with family and
 * port unknown, never looked up under some other fd.
 */
/* An i386 socketcall event: call is a0; extra, its other records. */
#define SOCKCALL(serial, succ, exit, call, extra)                              \
	SYSA(serial, "40000003", "102", succ, exit, call, "key=(null)")        \
	extra EOE(serial)
/* The SOCKETCALL record of a call on fd */
#define SC_ARGS(serial, fd)                                                    \
	"type=SOCKETCALL msg=audit(100.000:" serial "): nargs=3 a0=" fd        \
	" a1=bf81c050 a2=10\n"
/* A SOCKADDR of 0.0.0.0:port (4 hex digits) */
#define SA_INET(serial, port) SA(serial, "0200" port "000000000000000000000000")

static void test_socketcall(void **state)
{
	(void)state;
	/* bind fd 5 to port 8080, listen on fd 5: port known */
	feed(SOCKCALL("1", "yes", "0", "2",
		      SC_ARGS("1", "5") SA_INET("1", "1F90")));
	feed(SOCKCALL("2", "yes", "0", "4", SC_ARGS("2", "5")));
	/* binds of fds 4 and 0 that a listen without SOCKETCALL must not
	 * find (4 is its a0, 0 an unset argument) */
	feed(SOCKCALL("3", "yes", "0", "2",
		      SC_ARGS("3", "4") SA_INET("3", "2328")));
	feed(SOCKCALL("4", "yes", "0", "2",
		      SC_ARGS("4", "0") SA_INET("4", "2329")));
	/* no SOCKETCALL records: two connects, a listen, a bind */
	feed(SOCKCALL("5", "no", "-111", "3", ""));
	feed(SOCKCALL("6", "yes", "0", "3", ""));
	feed(SOCKCALL("7", "yes", "0", "4", ""));
	feed(SOCKCALL("8", "yes", "0", "2", SA_INET("8", "0050")));
	/* and an x86_64 connect without SOCKADDR, for comparison */
	feed(SYS("9", "42", "no", "-111", "3", "key=(null)") EOE("9"));
	assert_int_equal(lsn("inet", "0.0.0.0", "8080"), 1);
	assert_int_equal(lsn("unknown", "unknown", "unknown"), 1);
	assert_int_equal(fam_count(agg_fam_named(a, "audit_listen")), 2);
	assert_int_equal(conn("other", "unknown", "unknown", "refused"), 2);
	assert_int_equal(conn("other", "unknown", "unknown", "success"), 1);
	assert_int_equal(count("audit_syscall_events", "syscall=\"socketcall\","
						       "key=\"\","
						       "success=\"yes\""),
			 7);
}

static bool only_k2(void *arg, const char *key, size_t len)
{
	(void)arg;
	return len == 2 && !memcmp(key, "k2", 2);
}

static void test_watch(void **state)
{
	const char *ev = SYS("1", "257", "yes", "3", "3",
			     "key=6B31016B32") "type=CWD msg=audit(100.000:1): "
					       "cwd=\"/\"\n"
					       "type=PATH "
					       "msg=audit(100.000:1): item=0 "
					       "name=\"/etc/x\"\n" EOE("1");

	(void)state;
	/* no rules known: the heuristic counts every key of a keyed
	 * event with PATH records that is not network or exec */
	feed(ev);
	assert_int_equal(count("audit_watch_hits", "key=\"k1\",comm=\"srv\","
						   "uid=\"5\",path=\"/etc/"
						   "x\",syscall=\"openat\","
						   "result=\"success\""),
			 1);
	assert_int_equal(count("audit_watch_hits", "key=\"k2\",comm=\"srv\","
						   "uid=\"5\",path=\"/etc/"
						   "x\",syscall=\"openat\","
						   "result=\"success\""),
			 1);
	/* rules known: only their watch keys */
	agg_set_watch(a, only_k2, NULL);
	feed(SYS("2", "257", "yes", "3", "3",
		 "key=6B31016B32") "type=PATH msg=audit(100.000:2): item=0 "
				   "name=\"/etc/x\"\n" EOE("2"));
	assert_int_equal(count("audit_watch_hits", "key=\"k1\",comm=\"srv\","
						   "uid=\"5\",path=\"/etc/"
						   "x\",syscall=\"openat\","
						   "result=\"success\""),
			 1);
	assert_int_equal(count("audit_watch_hits", "key=\"k2\",comm=\"srv\","
						   "uid=\"5\",path=\"/etc/"
						   "x\",syscall=\"openat\","
						   "result=\"success\""),
			 2);
}

static void test_odd_input(void **state)
{
	(void)state;
	feed(/* an arch libaudit does not know */
	     "type=SYSCALL msg=audit(100.000:1): arch=deadbeef syscall=3 "
	     "success=yes exit=0 uid=0 comm=\"x\"\n" EOE("1")
	     /* numbers that are not numbers */
	     "type=SYSCALL msg=audit(100.000:2): arch=c000003e syscall=zz "
	     "success=yes exit=1x a0=qq uid=0 comm=\"x\"\n" EOE("2")
	     /* an event without its SYSCALL record */
	     SA("3", "020000097F0000010000000000000000") EOE("3")
	     /* execve that failed: not counted as an execution */
	     SYS("4", "59", "no", "-2", "0", "key=\"exec\"") EOE("4")
		     SYS("5", "59", "yes", "0", "0", "key=\"exec\"") EOE("5"));
	assert_int_equal(agg_skipped(a, AGG_SKIP_UNKNOWN_ARCH), 1);
	assert_int_equal(agg_skipped(a, AGG_SKIP_NO_SYSCALL), 1);
	assert_true(agg_errors(a, AGG_E_NUMBER) >= 3);
	assert_int_equal(count("audit_syscall_events", "syscall=\"3\",key=\"\","
						       "success=\"yes\""),
			 1);
	assert_int_equal(count("audit_execve", "exe=\"/bin/srv\",uid=\"5\""),
			 1);
	assert_int_equal(count("audit_records", "type=\"EOE\""), 5);
	assert_true(agg_clock(a) == 100000);
}

/* A fresh aggregator with a cap of `cap` label sets per family, label sets
 * idle for idle_ms dropped, charging budget b (NULL: none). */
static void setup_cap(unsigned cap, int64_t idle_ms, struct budget *b)
{
	struct agg_config c = { .series_cap = cap,
				.idle_ms = idle_ms,
				.budget = b,
				.nwindows = 1,
				.windows_ms = { 300000 },
				.host_p = 12,
				.proc_p = 12,
				.sketch_key = { 1, 2 },
				.table_key = { 3, 4 },
				.bind_slots = 64 };

	/* the pressure the tests make is the label sets': the baseline's
	 * fixed tables would take most of a small budget's room */
	c.disabled = 1u << coll_find("baseline");
	teardown(NULL);
	a = agg_new(&c);
	as = asm_new(NULL, agg_event, a);
	assert_non_null(a);
	assert_non_null(as);
}

/* The sum of a family's counters, and its number of label sets. */
static uint64_t family_sum(const char *which, size_t *n)
{
	struct fam_rows rows = { 0 };
	uint64_t sum = 0;

	assert_int_equal(fam_rows(agg_fam_named(a, which), &rows), 0);
	for (size_t i = 0; i < rows.n; i++)
		sum += rows.row[i].count;
	*n = rows.n;
	fam_rows_free(&rows);
	return sum;
}

/* After 1,000 updates of distinct label sets under a cap of 10: 10 label
 * sets of their own (first among them `own`) and the folded one (`other`)
 * with the 990 others, all counted as folded. */
static void assert_folded_at_cap(const char *which, const char *own,
				 const char *other)
{
	size_t n;

	assert_int_equal(family_sum(which, &n), 1000);
	assert_int_equal(n, 11);
	assert_int_equal(count(which, own), 1);
	assert_int_equal(count(which, other), 990);
	assert_int_equal(fam_folded(agg_fam_named(a, which)), 990);
}

/* One process that binds and listens on 1,000 ports (what any user may
 * do on 1024-65535): past the cap the port folds too, so the family stays
 * at cap + 1 label sets and still counts every listen. */
static void test_listen_port_folds(void **state)
{
	char ev[1024];

	(void)state;
	setup_cap(10, 0, NULL);
	for (unsigned i = 0; i < 1000; i++) {
		unsigned port = 1024 + i;

		snprintf(ev, sizeof(ev),
			 SYS("%u", "49", "yes", "0", "3",
			     "key=(null)") SA("%u", "0200%"
						    "04X7F000001000000000000000"
						    "0") EOE("%u")
				 SYS("%u", "50", "yes", "0", "3", "key=(null)")
					 EOE("%u"),
			 2 * i, 2 * i, port, 2 * i, 2 * i + 1, 2 * i + 1);
		feed(ev);
	}
	assert_folded_at_cap("audit_listen",
			     "comm=\"srv\",uid=\"5\",auid=\"0\",family="
			     "\"inet\","
			     "protocol=\"unknown\",address=\"127.0.0.1\","
			     "port=\"1024\"",
			     "comm=\"__other__\",uid=\"__other__\","
			     "auid=\"__other__\",family=\"inet\","
			     "protocol=\"unknown\",address=\"__other__\","
			     "port=\"__other__\"");
}

/* 1,000 successful openat watch hits under a cap of 10: hit i has key
 * "w<i>" (keys) or "w" and file /etc/f<i> (!keys). */
static void feed_watch_hits(bool keys)
{
	char ev[1024], key[32], name[32];

	setup_cap(10, 0, NULL);
	for (unsigned i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), keys ? "w%u" : "w", i);
		snprintf(name, sizeof(name), keys ? "/etc/x" : "/etc/f%u", i);
		snprintf(ev, sizeof(ev),
			 SYS("%u", "257", "yes", "3", "3",
			     "key=\"%s\"") "type=PATH msg=audit(100.000:%u): "
					   "item=0 name=\"%s\" "
					   "nametype=NORMAL\n" EOE("%u"),
			 i + 1, key, i + 1, name, i + 1);
		feed(ev);
	}
}

/* A text stream that names 1,000 watch keys: past the cap the key folds
 * too, and every hit is still counted. */
static void test_watch_key_folds(void **state)
{
	(void)state;
	feed_watch_hits(true);
	assert_folded_at_cap("audit_watch_hits",
			     "key=\"w0\",comm=\"srv\",uid=\"5\","
			     "path=\"/etc/x\",syscall=\"openat\","
			     "result=\"success\"",
			     "key=\"__other__\",comm=\"__other__\","
			     "uid=\"__other__\",path=\"__other__\","
			     "syscall=\"__other__\",result=\"success\"");
}

/* The watch hit of key "w" by srv (uid 5) on path, by call, with result. */
static uint64_t hit(const char *path, const char *call, const char *result)
{
	char l[512];

	snprintf(l, sizeof(l),
		 "key=\"w\",comm=\"srv\",uid=\"5\",path=\"%s\",syscall=\"%s\","
		 "result=\"%s\"",
		 path, call, result);
	return count("audit_watch_hits", l);
}

#define CWD(serial, dir) "type=CWD msg=audit(100.000:" serial "): cwd=" dir "\n"
#define PATHR(serial, item, name, type)                                        \
	"type=PATH msg=audit(100.000:" serial "): item=" item " name=" name    \
	" inode=1 dev=fd:00 mode=0100644 nametype=" type "\n"

/* Records as the kernel writes them (items, nametypes, exit codes) for
 * openat of /etc/passwd that succeeds, is refused (EACCES), and misses
 * (ENOENT); each is told apart by result. */
static void test_watch_result(void **state)
{
	(void)state;
	feed(SYS("1", "257", "yes", "3", "ffffff9c", "key=\"w\"") CWD(
		"1", "\"/root\"") PATHR("1", "0", "\"/etc/passwd\"", "NORMAL")
		     EOE("1") SYS("2", "257", "no", "-13", "ffffff9c",
				  "key=\"w\"") CWD("2", "\"/\"")
			     PATHR("2", "0", "\"/etc/passwd\"", "NORMAL")
				     EOE("2") SYS("3", "257", "no", "-13",
						  "ffffff9c", "key=\"w\"")
					     PATHR("3", "0", "\"/etc/passwd\"",
						   "NORMAL") EOE("3")
	     /* ENOENT: the kernel still writes the name it looked up */
	     SYS("4", "257", "no", "-2", "ffffff9c", "key=\"w\"")
		     PATHR("4", "0", "\"/etc/passwd\"", "UNKNOWN") EOE("4")
	     /* EPERM (chmod of another's file without CAP_FOWNER) */
	     SYS("5", "90", "no", "-1", "0", "key=\"w\"")
		     PATHR("5", "0", "\"/etc/passwd\"", "NORMAL") EOE("5"));
	assert_int_equal(hit("/etc/passwd", "openat", "success"), 1);
	assert_int_equal(hit("/etc/passwd", "openat", "denied"), 2);
	assert_int_equal(hit("/etc/passwd", "openat", "failed"), 1);
	assert_int_equal(hit("/etc/passwd", "chmod", "denied"), 1);
}

/* Which PATH record names the file: relative names join the cwd; a create
 * and an unlink name the entry, not its PARENT; a rename its new name. */
static void test_watch_path(void **state)
{
	(void)state;
	/* openat("shadow") in /etc */
	feed(SYS("1", "257", "yes", "3", "ffffff9c", "key=\"w\"") CWD("1", "\"/"
									   "etc"
									   "\"")
		     PATHR("1", "0", "\"shadow\"", "NORMAL") EOE("1")
	     /* a cwd with a trailing slash, and a hex-encoded cwd (a space
	      * in it): "/tmp/a b" */
	     SYS("2", "257", "yes", "3", "ffffff9c", "key=\"w\"") CWD("2", "\"/"
									   "\"")
		     PATHR("2", "0", "\"etc/group\"", "NORMAL") EOE("2")
			     SYS("3", "257", "yes", "3", "ffffff9c",
				 "key=\"w\"") CWD("3", "2F746D702F612062")
				     PATHR("3", "0", "\"./f\"", "NORMAL")
					     EOE("3")
	     /* creat: PARENT then CREATE */
	     SYS("4", "85", "yes", "3", "0", "key=\"w\"") CWD("4", "\"/\"")
		     PATHR("4", "0", "\"/var/x/\"", "PARENT")
			     PATHR("4", "1", "\"/var/x/new\"", "CREATE")
				     EOE("4")
	     /* rename("a", "b") in /srv: two PARENTs, DELETE a, CREATE b */
	     SYS("5", "82", "yes", "0", "0", "key=\"w\"") CWD("5", "\"/srv\"")
		     PATHR("5", "0", "\"/srv\"",
			   "PARENT") PATHR("5", "1", "\"/srv\"", "PARENT")
			     PATHR("5", "2", "\"a\"", "DELETE")
				     PATHR("5", "3", "\"b\"", "CREATE") EOE("5")
	     /* unlink: PARENT then DELETE */
	     SYS("6", "87", "yes", "0", "0", "key=\"w\"") CWD("6", "\"/\"")
		     PATHR("6", "0", "\"/var/x/\"", "PARENT")
			     PATHR("6", "1", "\"/var/x/new\"", "DELETE")
				     EOE("6"));
	assert_int_equal(hit("/etc/shadow", "openat", "success"), 1);
	assert_int_equal(hit("/etc/group", "openat", "success"), 1);
	assert_int_equal(hit("/tmp/a b/./f", "openat", "success"), 1);
	assert_int_equal(hit("/var/x/new", "creat", "success"), 1);
	assert_int_equal(hit("/srv/b", "rename", "success"), 1);
	assert_int_equal(hit("/var/x/new", "unlink", "success"), 1);
}

static bool only_w(void *arg, const char *key, size_t len)
{
	(void)arg;
	return len == 1 && key[0] == 'w';
}

/* An exec of a watched program (-w /usr/bin/x -p x): its PATH records are
 * the program, then the ELF interpreter; the hit names the program. */
static void test_watch_exec_path(void **state)
{
	(void)state;
	agg_set_watch(a, only_w, NULL);
	feed(SYS("1", "59", "yes", "0", "0", "key=\"w\"") CWD("1", "\"/\"")
		     PATHR("1", "0", "\"/usr/bin/x\"", "NORMAL")
			     PATHR("1", "1", "\"/lib64/ld-linux-x86-64.so.2\"",
				   "NORMAL") EOE("1"));
	assert_int_equal(hit("/usr/bin/x", "execve", "success"), 1);
}

/* A name that holds a newline, quotes and a backslash (hex-encoded by the
 * kernel) comes out escaped; a 300-byte name is cut to a label's 256. */
static void test_watch_hostile_path(void **state)
{
	struct fam_rows rows = { 0 };
	const char *hostile = "path=\"/tmp/a\\n\\\"b\\\\\"";
	char ev[2048], name[301];
	bool seen = false, cut = false;

	(void)state;
	/* "/tmp/a\n\"b\\" */
	feed(SYS("1", "257", "yes", "3", "ffffff9c", "key=\"w\"")
		     PATHR("1", "0", "2F746D702F610A22625C", "NORMAL")
			     EOE("1"));
	memset(name, 'a', 300);
	name[0] = '/';
	name[300] = 0;
	snprintf(ev, sizeof(ev),
		 SYS("2", "257", "yes", "3", "ffffff9c", "key=\"w\"")
			 PATHR("2", "0", "\"%s\"", "NORMAL") EOE("2"),
		 name);
	feed(ev);
	assert_int_equal(fam_rows(agg_fam_named(a, "audit_watch_hits"), &rows),
			 0);
	assert_int_equal(rows.n, 2);
	for (size_t i = 0; i < rows.n; i++) {
		const char *l = rows.row[i].labels;
		size_t n = rows.row[i].labels_len;

		if (memmem(l, n, hostile, strlen(hostile)))
			seen = true;
		if (memmem(l, n, name, 256) && !memmem(l, n, name, 257))
			cut = true;
		assert_null(memchr(l, '\n', n));
	}
	fam_rows_free(&rows);
	assert_true(seen);
	assert_true(cut);
}

/* 1,000 distinct files: past the cap path folds (and comm, uid...), result
 * stays, so a denied attempt is still told apart. */
static void test_watch_path_folds(void **state)
{
	(void)state;
	feed_watch_hits(false);
	assert_folded_at_cap("audit_watch_hits",
			     "key=\"w\",comm=\"srv\",uid=\"5\","
			     "path=\"/etc/f0\",syscall=\"openat\","
			     "result=\"success\"",
			     "key=\"__other__\",comm=\"__other__\","
			     "uid=\"__other__\",path=\"__other__\","
			     "syscall=\"__other__\",result=\"success\"");
	feed(SYS("2000", "257", "no", "-13", "3", "key=\"w\"")
		     PATHR("2000", "0", "\"/etc/f0\"", "NORMAL") EOE("2000"));
	assert_int_equal(count("audit_watch_hits", "key=\"__other__\",comm=\"__"
						   "other__\","
						   "uid=\"__other__\",path=\"__"
						   "other__\","
						   "syscall=\"__other__\","
						   "result=\"denied\""),
			 1);
}

/* A connect of process p<proc> to 10.0.x.y:443 (x.y from dest) at t
 * seconds. */
static void feed_connect(unsigned proc, unsigned dest, unsigned serial, long t)
{
	char ev[1024];

	snprintf(ev, sizeof(ev),
		 "type=SYSCALL msg=audit(%ld.000:%u): arch=c000003e "
		 "syscall=42 success=yes exit=0 a0=3 a1=0 a2=10 a3=0 items=0 "
		 "ppid=1 pid=77 auid=0 uid=5 gid=0 comm=\"p%u\" "
		 "exe=\"/bin/c\" key=(null)\n"
		 "type=SOCKADDR msg=audit(%ld.000:%u): "
		 "saddr=020001BB0A00%02X%02X0000000000000000\n"
		 "type=EOE msg=audit(%ld.000:%u): \n",
		 t, serial, proc, t, serial, dest >> 8 & 0xff, dest & 0xff, t,
		 serial);
	feed(ev);
}

/* Under memory pressure the sweep drops per-process label sets idle for
 * half the idle timeout; without pressure they keep the whole of it. */
static void test_pressure_sweep(void **state)
{
	size_t n;

	(void)state;
	for (int pressed = 0; pressed < 2; pressed++) {
		/* 64 MiB, then about 0.5 MiB beyond the reserve (what the
		 * collectors' folded label sets take, measured) */
		struct budget *b = budget_new(64u << 20);

		setup_cap(100000, 3600000, b);
		if (pressed) {
			size_t r = budget_reserve(b);

			teardown(NULL);
			a = NULL;
			as = NULL;
			budget_free(b);
			b = budget_new(r + (512u << 10));
			setup_cap(100000, 3600000, b);
		}
		for (unsigned i = 0; i < 2000; i++)
			feed_connect(i, i, i + 1, 1795000000);
		assert_int_equal(family_sum("audit_connect", &n), 2000);
		assert_true(pressed ? n < 2000 : n == 2000);
		assert_true(pressed ==
			    (budget_refused(b, BUDGET_SERIES) +
				     budget_refused(b, BUDGET_SKETCHES) >
			     0));
		/* 31 minutes on, one process is active */
		feed_connect(5000, 1, 9000, 1795000000 + 31 * 60);
		agg_sweep(a, (1795000000 + 31 * 60) * INT64_C(1000));
		family_sum("audit_connect", &n);
		if (pressed) {
			/* the idle ones gave their room back: the active
			 * one and the folded stay, a newcomer has its own */
			assert_true(n <= 2);
			assert_true(fam_count(agg_fam_named(a, "audit_process_"
							       "connect_unique_"
							       "destination"
							       "s")) <= 2);
			feed_connect(6000, 2, 9001, 1795000000 + 32 * 60);
			assert_int_equal(count("audit_connect",
					       "comm=\"p6000\",uid=\"5\","
					       "auid=\"0\",family=\"inet\","
					       "protocol=\"unknown\","
					       "scope=\"private\","
					       "result=\"success\""),
					 1);
		} else {
			assert_int_equal(n, 2001);
		}
		/* the host-wide gauges and the syscall counter keep all:
		 * unknown/private and the tcp/public one always there */
		assert_int_equal(fam_count(agg_fam_named(a, "audit_connect_"
							    "unique_"
							    "destinations")),
				 2);
		assert_int_equal(family_sum("audit_syscall_events", &n),
				 2001 + pressed);
		teardown(NULL);
		a = NULL;
		as = NULL;
		budget_free(b);
	}
	setup(NULL);
}

/* The sum of a windowed family's estimates over its label sets, 5m
 * window (exact for families whose label sets partition the items). */
static double estimate(const char *which, int64_t now)
{
	struct fam *f = agg_fam_named(a, which);
	struct fam_rows rows = { 0 };
	double v = 0;

	assert_int_equal(fam_rows(f, &rows), 0);
	assert_true(rows.n > 0);
	for (size_t i = 0; i < rows.n;)
		i = fam_rows_estimate(f, &rows, i, now, SIZE_MAX);
	for (size_t i = 0; i < rows.n; i++)
		v += rows.row[i].value[0];
	fam_rows_free(&rows);
	return v;
}

/* The 5m estimate of a windowed family's label set `labels`; -1 if none. */
static double estimate_of(const char *which, const char *labels, int64_t now)
{
	struct fam *f = agg_fam_named(a, which);
	struct fam_rows rows = { 0 };
	double v = -1;

	assert_int_equal(fam_rows(f, &rows), 0);
	for (size_t i = 0; i < rows.n;)
		i = fam_rows_estimate(f, &rows, i, now, SIZE_MAX);
	for (size_t i = 0; i < rows.n; i++)
		if (rows.row[i].labels_len == strlen(labels) &&
		    !memcmp(rows.row[i].labels, labels, rows.row[i].labels_len))
			v = rows.row[i].value[0];
	fam_rows_free(&rows);
	return v;
}

/* A syscall nr at 100.000 by pid with a0 and a1, comm/exe with uid and
 * auid, with saddr (hex; NULL: no SOCKADDR record), success and exit as
 * the record writes them. */
static void feed_call(unsigned serial, unsigned pid, const char *nr,
		      unsigned a0, unsigned a1, const char *comm,
		      const char *exe, const char *uid, const char *auid,
		      const char *saddr, const char *succ, const char *exit)
{
	char ev[1024], sa[128] = "";

	if (saddr)
		snprintf(sa, sizeof(sa),
			 "type=SOCKADDR msg=audit(100.000:%u): saddr=%s\n",
			 serial, saddr);
	snprintf(ev, sizeof(ev),
		 "type=SYSCALL msg=audit(100.000:%u): arch=c000003e "
		 "syscall=%s success=%s exit=%s a0=%x a1=%x a2=0 a3=0 items=0 "
		 "ppid=1 pid=%u auid=%s uid=%s gid=0 comm=\"%s\" exe=\"%s\" "
		 "key=(null)\n%s"
		 "type=EOE msg=audit(100.000:%u): \n",
		 serial, nr, succ, exit, a0, a1, pid, auid, uid, comm, exe, sa,
		 serial);
	feed(ev);
}

/* A connect of fd 3 by its own pid (1000 + serial). */
static void feed_who(unsigned serial, const char *comm, const char *exe,
		     const char *uid, const char *auid, const char *saddr,
		     const char *succ, const char *exit)
{
	feed_call(serial, 1000 + serial, "42", 3, 0, comm, exe, uid, auid,
		  saddr, succ, exit);
}

/* inet sockaddrs: port (4 hex digits) and address (8) */
#define SIN(port, addr) "0200" port addr "0000000000000000"
#define WHO_PROC(comm, exe, uid, auid, scope)                                  \
	"comm=\"" comm "\",exe=\"" exe "\",uid=\"" uid "\",auid=\"" auid       \
	"\",protocol=\"unknown\",scope=\"" scope "\""
#define WHO_CONN(comm, uid, auid, scope, result)                               \
	"comm=\"" comm "\",uid=\"" uid "\",auid=\"" auid "\","                 \
	"family=\"inet\",protocol=\"unknown\","                                \
	"scope=\"" scope "\",result=\"" result "\""

/*
 * Scope, auid, exe and results: connects to loopback and to a private
 * address are counted and sketched apart, and the host gauges add up to
 * the distinct destinations; root in alice's session reads uid 0 auid
 * 1001; a process that calls itself sshd keeps its exe; ECONNREFUSED is
 * refused, EINPROGRESS in_progress, any other failure error.
 */
static void test_connect_labels(void **state)
{
	(void)state;
	feed_who(1, "curl", "/usr/bin/curl", "1001", "1001",
		 SIN("0050", "7F000001"), "yes", "0");
	feed_who(2, "curl", "/usr/bin/curl", "1001", "1001",
		 SIN("0050", "0A000001"), "no", "-115");
	feed_who(3, "curl", "/usr/bin/curl", "1001", "1001",
		 SIN("0051", "0A000001"), "no", "-111");
	feed_who(4, "curl", "/usr/bin/curl", "1001", "1001",
		 SIN("0052", "0A000001"), "no", "-13");
	/* root in alice's session, twice to the same place */
	feed_who(5, "ssh", "/usr/bin/ssh", "0", "1001", SIN("0016", "C0A80001"),
		 "yes", "0");
	feed_who(6, "ssh", "/usr/bin/ssh", "0", "1001", SIN("0016", "C0A80001"),
		 "yes", "0");
	/* comm is what the process says; exe is what it runs */
	feed_who(7, "sshd", "/usr/bin/python3", "1001", "1001",
		 SIN("0050", "7F000001"), "yes", "0");
	/* a daemon without a login session */
	feed_who(8, "cron", "/usr/sbin/cron", "0", "4294967295",
		 SIN("0019", "7F000001"), "yes", "0");

	assert_int_equal(
		count("audit_connect",
		      WHO_CONN("curl", "1001", "1001", "loopback", "success")),
		1);
	assert_int_equal(count("audit_connect",
			       WHO_CONN("curl", "1001", "1001", "private",
					"in_progress")),
			 1);
	assert_int_equal(count("audit_connect", WHO_CONN("curl", "1001", "1001",
							 "private", "refused")),
			 1);
	assert_int_equal(count("audit_connect", WHO_CONN("curl", "1001", "1001",
							 "private", "error")),
			 1);
	assert_int_equal(count("audit_connect", WHO_CONN("ssh", "0", "1001",
							 "private", "success")),
			 2);
	assert_int_equal(count("audit_connect",
			       WHO_CONN("cron", "0", "4294967295", "loopback",
					"success")),
			 1);
	/* an exe too long for the series cache: looked up, counted alike */
	{
		char exe[160], want[320];

		memset(exe, 'x', sizeof(exe) - 1);
		exe[0] = '/';
		exe[sizeof(exe) - 1] = 0;
		for (unsigned i = 0; i < 2; i++)
			feed_who(20 + i, "longexe", exe, "0", "0",
				 SIN("0050", "7F000001"), "yes", "0");
		assert_int_equal(count("audit_connect",
				       WHO_CONN("longexe", "0", "0", "loopback",
						"success")),
				 2);
		snprintf(want, sizeof(want),
			 "comm=\"longexe\",exe=\"%s\",uid=\"0\",auid=\"0\","
			 "protocol=\"unknown\",scope=\"loopback\"",
			 exe);
		assert_true(estimate_of("audit_process_connect_unique_"
					"destinations",
					want, 100000) == 1);
	}
	/* loopback: curl's and sshd's 127.0.0.1:80 are one, cron's :25 */
	assert_true(estimate_of("audit_connect_unique_destinations",
				"protocol=\"unknown\",scope=\"loopback\"",
				100000) == 2);
	/* private: 10.0.0.1:80, :81, :82 and 192.168.0.1:22 */
	assert_true(estimate_of("audit_connect_unique_destinations",
				"protocol=\"unknown\",scope=\"private\"",
				100000) == 4);
	assert_true(estimate("audit_connect_unique_destinations", 100000) == 6);
	assert_true(estimate_of("audit_process_connect_unique_destinations",
				WHO_PROC("ssh", "/usr/bin/ssh", "0", "1001",
					 "private"),
				100000) == 1);
	assert_true(estimate_of("audit_process_connect_unique_destinations",
				WHO_PROC("sshd", "/usr/bin/python3", "1001",
					 "1001", "loopback"),
				100000) == 1);
	assert_true(estimate_of("audit_user_connect_unique_destinations",
				"uid=\"0\",auid=\"1001\",protocol=\"unknown\","
				"scope=\"private\"",
				100000) == 1);
	assert_true(estimate_of("audit_user_connect_unique_destinations",
				"uid=\"0\",auid=\"4294967295\","
				"protocol=\"unknown\",scope=\"loopback\"",
				100000) == 1);
}

/*
 * Per-user unique destinations are a sketch of their own: two processes
 * of one user reaching the same destinations count them once for the
 * user, once for each process (the per-process sum overcounts).
 */
static void test_connect_per_user(void **state)
{
	char sa[64];
	double user, curl, wget;

	(void)state;
	/* curl reaches 10.0.0.1..4:443, wget 10.0.0.1..3:443 */
	for (unsigned i = 0; i < 7; i++) {
		snprintf(sa, sizeof(sa), SIN("01BB", "0A0000%02X"),
			 i < 4 ? i + 1 : i - 3);
		feed_who(10 + i, i < 4 ? "curl" : "wget",
			 i < 4 ? "/usr/bin/curl" : "/usr/bin/wget", "1001",
			 "1001", sa, "yes", "0");
	}
	user = estimate_of("audit_user_connect_unique_destinations",
			   "uid=\"1001\",auid=\"1001\",protocol=\"unknown\","
			   "scope=\"private\"",
			   100000);
	curl = estimate_of("audit_process_connect_unique_destinations",
			   WHO_PROC("curl", "/usr/bin/curl", "1001", "1001",
				    "private"),
			   100000);
	wget = estimate_of("audit_process_connect_unique_destinations",
			   WHO_PROC("wget", "/usr/bin/wget", "1001", "1001",
				    "private"),
			   100000);
	assert_true(curl == 4);
	assert_true(wget == 3);
	assert_true(user == 4);
	assert_true(user < curl + wget);
}

/*
 * Protocol: a connect's socket is what its socket() asked for, by (pid,
 * fd): a UDP and a TCP connect to one resolver's port 53 are two
 * destinations in two series; a socket never seen reads unknown.
 */
static void test_connect_protocol(void **state)
{
	(void)state;
	/* socket(AF_INET, SOCK_DGRAM) = 3, socket(AF_INET, SOCK_STREAM) = 4
	 * by pid 500; connects of fds 3, 4 and 9 to 10.0.0.53:53 */
	feed_call(1, 500, "41", 2, 2, "dig", "/usr/bin/dig", "1001", "1001",
		  NULL, "yes", "3");
	feed_call(2, 500, "41", 2, 1, "dig", "/usr/bin/dig", "1001", "1001",
		  NULL, "yes", "4");
	for (unsigned fd = 3; fd <= 9; fd += fd == 4 ? 5 : 1)
		feed_call(fd, 500, "42", fd, 0, "dig", "/usr/bin/dig", "1001",
			  "1001", SIN("0035", "0A000035"), "yes", "0");
	for (unsigned i = 0; i < 3; i++) {
		static const char *const proto[] = { "udp", "tcp", "unknown" };
		char l[192];

		snprintf(l, sizeof(l),
			 "comm=\"dig\",uid=\"1001\",auid=\"1001\","
			 "family=\"inet\",protocol=\"%s\",scope=\"private\","
			 "result=\"success\"",
			 proto[i]);
		assert_int_equal(count("audit_connect", l), 1);
	}
	assert_true(estimate_of("audit_connect_unique_destinations",
				"protocol=\"udp\",scope=\"private\"",
				100000) == 1);
	assert_true(estimate_of("audit_connect_unique_destinations",
				"protocol=\"tcp\",scope=\"private\"",
				100000) == 1);
	/* one address and port, three protocols: three items */
	assert_true(estimate("audit_connect_unique_destinations", 100000) == 3);
	assert_true(estimate_of("audit_user_connect_unique_destinations",
				"uid=\"1001\",auid=\"1001\",protocol=\"udp\","
				"scope=\"private\"",
				100000) == 1);
	/* two days on, a sweep drops every emptied sketch; outbound TCP to
	 * public addresses reads 0, not "no data" */
	agg_sweep(a, 100000 + 2 * INT64_C(86400000));
	assert_int_equal(fam_count(agg_fam_named(a, "audit_connect_unique_"
						    "destinations")),
			 1);
	assert_true(estimate_of("audit_connect_unique_destinations",
				"protocol=\"tcp\",scope=\"public\"",
				100000 + 2 * INT64_C(86400000)) == 0);
}

/* Loopback connects of this process and of a child in a network namespace
 * of its own, to 127.0.0.1:80, into an aggregator that may (resolve) or
 * may not read /proc; then of a pid that is gone. The host's loopback
 * estimate after the two, and after the third. -1: no namespace could be
 * made (not root). */
static int netns_loopback(bool resolve, double *after_gone)
{
	struct agg_config c = test_cfg;
	int go[2], ready[2];
	char byte = 0;
	pid_t child;
	double v;

	if (pipe(go) || pipe(ready))
		return -1;
	child = fork();
	if (child == 0) {
		close(go[1]);
		close(ready[0]);
		byte = unshare(CLONE_NEWNET) ? 'n' : 'y';
		if (write(ready[1], &byte, 1) != 1 || read(go[0], &byte, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	if (child < 0 || read(ready[0], &byte, 1) != 1 || byte != 'y') {
		close(go[1]);
		close(ready[0]);
		if (child > 0)
			waitpid(child, NULL, 0);
		return -1;
	}
	teardown(NULL);
	c.resolve = resolve;
	a = agg_new(&c);
	as = asm_new(NULL, agg_event, a);
	assert_non_null(a);
	feed_call(1, (unsigned)getpid(), "42", 3, 0, "curl", "/usr/bin/curl",
		  "0", "0", SIN("0050", "7F000001"), "yes", "0");
	feed_call(2, (unsigned)child, "42", 3, 0, "curl", "/usr/bin/curl", "0",
		  "0", SIN("0050", "7F000001"), "yes", "0");
	v = estimate_of("audit_connect_unique_destinations",
			"protocol=\"unknown\",scope=\"loopback\"", 100000);
	close(go[1]);
	close(ready[0]);
	waitpid(child, NULL, 0);
	/* the child is gone and reaped: /proc no longer knows its pid, the
	 * cache does */
	feed_call(3, (unsigned)child, "42", 3, 0, "curl", "/usr/bin/curl", "0",
		  "0", SIN("0051", "7F000001"), "yes", "0");
	feed_call(4, (unsigned)getpid(), "42", 3, 0, "curl", "/usr/bin/curl",
		  "0", "0", SIN("0051", "7F000001"), "yes", "0");
	*after_gone = estimate_of("audit_connect_unique_destinations",
				  "protocol=\"unknown\",scope=\"loopback\"",
				  100000);
	return (int)v;
}

/*
 * Network namespaces: live, another namespace's 127.0.0.1:80 is another
 * destination than the host's (same scope, loopback; the namespace is in
 * the item only); in a replay, or once the process is gone, the records
 * are all there is and the two are one.
 */
static void test_connect_netns(void **state)
{
	double gone;

	(void)state;
	if (netns_loopback(true, &gone) < 0)
		skip();
	assert_int_equal(netns_loopback(true, &gone), 2);
	/* :81 from the reaped child and from us: two more, as the child's
	 * namespace read 0 ms before is cached (enrich's per-pid cache, 100
	 * ms of event time) and its event happened while it lived */
	assert_true(gone == 4);
	assert_int_equal(netns_loopback(false, &gone), 1);
	assert_true(gone == 2);
}

/* The accuracy bounds, through the aggregator's own path (record
 * fields, SOCKADDR decoding, destination hashing): host-wide within 2% and
 * per process within 5% of the truth at 10^4..10^6 distinct. */
static void test_accuracy(void **state)
{
	static const char sys[] = "arch=c000003e syscall=42 success=yes exit=0 "
				  "a0=3 a2=10 "
				  "pid=9 uid=0 comm=\"scanner\" exe=\"/bin/s\" "
				  "key=(null)";
	static const unsigned sizes[] = { 10000, 100000, 1000000 };
	char sa[64];
	struct asm_record rec[2] = { { 1300, sizeof(sys) - 1, sys },
				     { 1306, 0, sa } };
	struct asm_event ev = {
		.time_ms = 100000, .nrec = 2, .rec = rec, .complete = true
	};

	(void)state;
	for (size_t k = 0; k < 3; k++) {
		double host, proc;

		teardown(NULL);
		setup(NULL);
		for (unsigned i = 0; i < sizes[k]; i++) {
			/* 10.x.y.z:443, z..x from i */
			rec[1].len = (uint32_t)snprintf(
				sa, sizeof(sa),
				"saddr=020001BB0A%02X%02X%02X0000000000000000",
				i >> 16 & 0xff, i >> 8 & 0xff, i & 0xff);
			ev.serial = i;
			agg_event(a, &ev);
		}
		host = estimate("audit_connect_unique_destinations", 100000);
		proc = estimate("audit_process_connect_unique_destinations",
				100000);
		print_message("%u distinct: host %.0f (%+.2f%%), process %.0f "
			      "(%+.2f%%)\n",
			      sizes[k], host, 100 * (host / sizes[k] - 1), proc,
			      100 * (proc / sizes[k] - 1));
		assert_true(host >= sizes[k] * 0.98 && host <= sizes[k] * 1.02);
		assert_true(proc >= sizes[k] * 0.95 && proc <= sizes[k] * 1.05);
	}
}

/* A stream of 200 connects to distinct inet destinations from 200
 * processes, into an aggregator with connect on or off. Returns the
 * bytes of sketches charged to the budget; *syscalls: how many the
 * syscall collector counted, *fams: whether connect's families exist. */
static size_t connect_stream(bool connect_on, uint64_t *syscalls, bool *fams)
{
	struct budget *b = budget_new((size_t)64 << 20);
	int ci = coll_find("connect");
	struct agg_config c = test_cfg;
	char text[1024];
	size_t used;

	assert_non_null(b);
	assert_true(ci >= 0);
	c.budget = b;
	c.disabled = connect_on ? 0 : 1u << ci;
	a = agg_new(&c);
	as = asm_new(NULL, agg_event, a);
	assert_non_null(a);
	assert_non_null(as);
	for (int i = 0; i < 200; i++) {
		snprintf(text, sizeof(text),
			 "type=SYSCALL msg=audit(100.000:%d): arch=c000003e "
			 "syscall=42 success=yes exit=0 a0=3 a1=0 a2=10 a3=0 "
			 "items=0 ppid=1 pid=%d auid=0 uid=5 gid=0 "
			 "comm=\"p%d\" exe=\"/bin/p\" key=\"net\"\n"
			 "type=SOCKADDR msg=audit(100.000:%d): "
			 "saddr=0200%04X0A0000010000000000000000\n"
			 "type=EOE msg=audit(100.000:%d): \n",
			 i + 1, 100 + i, i, i + 1, 1000 + i, i + 1);
		feed(text);
	}
	*syscalls = count("audit_syscall_events", "syscall=\"connect\",key="
						  "\"net\",success=\"yes\"");
	*fams = agg_coll_fams(a, (unsigned)ci) != NULL ||
		agg_fam_named(a, "audit_connect") != NULL ||
		agg_fam_named(a, "audit_process_connect_unique_destinations");
	used = budget_used(b, BUDGET_SKETCHES);
	asm_free(as);
	agg_free(a);
	a = NULL;
	as = NULL;
	budget_free(b);
	return used;
}

/* A collector that is off does no work: with connect off, the connects
 * build no sketch and connect has no family (an update entered would
 * find none), while the syscall collector still counts every one. The
 * same stream with connect on is the control: it does build sketches. */
static void test_disabled_collector(void **state)
{
	uint64_t n_on, n_off;
	bool fams_on, fams_off;

	(void)state;
	assert_true(connect_stream(true, &n_on, &fams_on) > 0);
	assert_true(fams_on);
	assert_int_equal(n_on, 200);
	assert_int_equal(connect_stream(false, &n_off, &fams_off), 0);
	assert_false(fams_off);
	assert_int_equal(n_off, 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bind_then_listen, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_connect_edges, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_byte_order, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_socketcall, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_connect_labels, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_connect_per_user, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_connect_protocol, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_connect_netns, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_watch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_odd_input, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_listen_port_folds, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_watch_key_folds, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_watch_result, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_watch_path, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_watch_exec_path, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_watch_hostile_path, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_watch_path_folds, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pressure_sweep, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_accuracy, setup, teardown),
		cmocka_unit_test(test_disabled_collector),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
