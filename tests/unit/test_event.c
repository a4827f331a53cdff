/* Unit tests for netlink/event: one assembled event decoded into the typed
 * event the collectors read. The answers are in the records themselves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <linux/audit.h>

#include "netlink/event.h"

static struct aev_decoder *d;
static struct aev e;
/* the event's records: e's views and PATH records point into them, as
 * they point into an assembler's event during its callback */
static struct asm_record rec[8];

static int setup(void **state)
{
	(void)state;
	d = aev_decoder_new();
	return d ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	aev_decoder_free(d);
	return 0;
}

/* Decodes the records (type, body) pairs given, NULL-terminated. */
static bool decode(const int *types, const char *const *bodies)
{
	struct asm_event ev = { .serial = 1, .time_ms = 100000, .rec = rec };

	for (; bodies[ev.nrec]; ev.nrec++) {
		rec[ev.nrec].type = types[ev.nrec];
		rec[ev.nrec].body = bodies[ev.nrec];
		rec[ev.nrec].len = (uint32_t)strlen(bodies[ev.nrec]);
	}
	return aev_decode(d, &ev, &e);
}

static bool view_is(struct aev_view v, const char *s)
{
	return v.p && v.len == strlen(s) && !memcmp(v.p, s, v.len);
}

/* x86_64 connect() to 10.0.0.1:8080, with a hex-encoded comm (a space)
 * and two rule keys (hex: "net" 0x01 "out"). */
static void test_connect(void **state)
{
	static const int t[] = { AUDIT_SYSCALL, AUDIT_SOCKADDR, AUDIT_EOE };
	static const char *const b[] = { "arch=c000003e syscall=42 success=no "
					 "exit=-115 a0=7 a1=0 "
					 "a2=10 a3=0 items=0 ppid=10 pid=11 "
					 "auid=1000 uid=5 gid=0 "
					 "euid=0 comm=612062 exe=\"/bin/c\" "
					 "key=6E6574016F7574",
					 "saddr="
					 "02001F900A0000010000000000000000",
					 "", NULL };

	(void)state;
	assert_true(decode(t, b));
	assert_string_equal(e.sysname, "connect");
	assert_false(e.sysname_numeric);
	assert_int_equal(e.class, AEV_CONNECT);
	assert_int_equal(e.classes, AEV_BIT(AEV_CONNECT) | AEV_KEYED);
	assert_int_equal(e.success, 0);
	assert_true(e.have_exit && e.exit == -115);
	assert_true(e.have_fd && e.fd == 7);
	assert_true(e.pid == 11);
	assert_true(view_is(e.ppid, "10"));
	assert_true(view_is(e.uid, "5"));
	assert_true(view_is(e.auid, "1000"));
	assert_true(view_is(e.euid, "0"));
	assert_int_equal(e.comm_len, 3);
	assert_memory_equal(e.comm, "a b", 3);
	assert_int_equal(e.exe_len, 6);
	assert_memory_equal(e.exe, "/bin/c", 6);
	assert_true(e.have_key);
	assert_int_equal(e.key_len, 7);
	assert_memory_equal(e.key, "net\x01out", 7);
	assert_true(e.have_sa);
	assert_int_equal(e.sa.family, AREC_AF_INET);
	assert_int_equal(e.sa.port, 8080);
	assert_memory_equal(e.sa.addr, "\x0a\x00\x00\x01", 4);
	assert_false(e.watch_candidate);
	assert_true(e.t == 100000);
}

/* i386 socketcall(2): a0 picks the call (4 listen), the SOCKETCALL record
 * holds its arguments (the fd); without that record the fd is unknown. */
static void test_socketcall(void **state)
{
	static const int t[] = { AUDIT_SYSCALL, AUDIT_SOCKETCALL, AUDIT_EOE };
	static const char *const b[] = { "arch=40000003 syscall=102 "
					 "success=yes exit=0 a0=4 a1=ff00 "
					 "a2=0 a3=0 pid=9 uid=0 comm=\"l\"",
					 "nargs=2 a0=5 a1=80", "", NULL };
	static const char *const b_old[] = { b[0], "", NULL };
	static const int t_old[] = { AUDIT_SYSCALL, AUDIT_EOE };

	(void)state;
	assert_true(decode(t, b));
	assert_string_equal(e.sysname, "socketcall");
	assert_int_equal(e.class, AEV_LISTEN);
	assert_true(e.via_socketcall);
	assert_int_equal(e.sc_n, 2);
	assert_true(e.have_fd && e.fd == 5);
	assert_int_equal(e.classes, AEV_BIT(AEV_LISTEN));
	assert_true(decode(t_old, b_old));
	assert_int_equal(e.class, AEV_LISTEN);
	assert_false(e.have_fd);
}

/* A keyed openat with two PATH records: a watch candidate; the names are
 * decoded on demand (one quoted, one hex-encoded: "a b"). */
static void test_paths(void **state)
{
	static const int t[] = { AUDIT_SYSCALL, AUDIT_CWD, AUDIT_PATH,
				 AUDIT_PATH, AUDIT_EOE };
	static const char *const b[] = { "arch=c000003e syscall=257 "
					 "success=yes exit=3 a0=ffffff9c "
					 "a1=0 a2=0 a3=0 items=2 pid=4 uid=5 "
					 "comm=\"cat\" key=\"w\"",
					 "cwd=\"/\"",
					 "item=0 name=\"/etc/\" inode=1 "
					 "nametype=PARENT",
					 "item=1 name=6120620A inode=2 "
					 "nametype=NORMAL",
					 "",
					 NULL };
	struct aev_path p;

	(void)state;
	assert_true(decode(t, b));
	assert_string_equal(e.sysname, "openat");
	assert_int_equal(e.class, AEV_OTHER);
	assert_int_equal(e.npath, 2);
	assert_true(e.watch_candidate);
	assert_int_equal(aev_path(&e, 0, &p), 0);
	assert_true(p.have_name);
	assert_int_equal(p.name_len, 5);
	assert_memory_equal(p.name, "/etc/", 5);
	assert_true(view_is(p.nametype, "PARENT"));
	assert_int_equal(aev_path(&e, 1, &p), 0);
	assert_int_equal(p.name_len, 4);
	assert_memory_equal(p.name, "a b\n", 4);
	assert_true(view_is(p.nametype, "NORMAL"));
	assert_int_equal(aev_path(&e, 2, &p), -ENOENT);
	/* the CWD record's directory, decoded on demand and bounded */
	{
		char cwd[4];

		assert_int_equal(aev_cwd(&e, cwd, sizeof(cwd)), 1);
		assert_memory_equal(cwd, "/", 1);
	}
}

/* A hex-encoded cwd is decoded and cut at the caller's buffer; an event
 * without CWD, or with cwd=(null), has none. */
static void test_cwd(void **state)
{
	static const int t[] = { AUDIT_SYSCALL, AUDIT_CWD, AUDIT_EOE };
	static const char *const b[] = { "arch=c000003e syscall=257 "
					 "success=yes exit=3 pid=4 uid=5",
					 "cwd=2F746D702F612062", "", NULL };
	static const char *const bnull[] = { "arch=c000003e syscall=257 "
					     "success=yes exit=3 pid=4 uid=5",
					     "cwd=(null)", "", NULL };
	static const int t0[] = { AUDIT_SYSCALL, AUDIT_EOE };
	static const char *const b0[] = { "arch=c000003e syscall=257 "
					  "success=yes exit=3 pid=4 uid=5",
					  "", NULL };
	char cwd[16];

	(void)state;
	assert_true(decode(t, b));
	assert_int_equal(aev_cwd(&e, cwd, sizeof(cwd)), 8);
	assert_memory_equal(cwd, "/tmp/a b", 8);
	assert_int_equal(aev_cwd(&e, cwd, 4), 4);
	assert_memory_equal(cwd, "/tmp", 4);
	assert_true(decode(t, bnull));
	assert_int_equal(aev_cwd(&e, cwd, sizeof(cwd)), -ENOENT);
	assert_true(decode(t0, b0));
	assert_int_equal(aev_cwd(&e, cwd, sizeof(cwd)), -ENOENT);
}

/* What cannot be used is counted: an unknown arch (named by its number),
 * a number that is not one, a saddr too short, a token that is not
 * name=value, syscall parts without their SYSCALL record. */
static void test_counted(void **state)
{
	static const int t1[] = { AUDIT_SYSCALL, AUDIT_EOE };
	static const char *const b1[] = { "arch=deadbeef syscall=42 "
					  "success=yes exit=zz a0=1 pid=1 "
					  "uid=0 stray comm=\"x\"",
					  "", NULL };
	static const int t2[] = { AUDIT_SYSCALL, AUDIT_SOCKADDR, AUDIT_EOE };
	static const char *const b2[] = { "arch=c000003e syscall=42 "
					  "success=yes exit=0 a0=1 pid=1",
					  "saddr=0200", "", NULL };
	static const int t3[] = { AUDIT_PATH, AUDIT_EOE };
	static const char *const b3[] = { "item=0 name=\"/x\"", "", NULL };
	const struct aev_stats *st = aev_stats(d);

	(void)state;
	assert_true(decode(t1, b1));
	assert_true(e.sysname_numeric);
	assert_string_equal(e.sysname, "42");
	assert_int_equal(st->unknown_arch, 1);
	assert_int_equal(st->arec[-AREC_E_NUMBER], 1);
	assert_int_equal(st->tokens, 1);
	assert_false(e.have_exit);
	assert_true(decode(t2, b2));
	assert_false(e.have_sa);
	assert_int_equal(st->arec[-AREC_E_SOCKADDR], 1);
	assert_false(decode(t3, b3));
	assert_int_equal(st->no_syscall, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_connect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socketcall, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cwd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counted, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
