/* Unit tests for exporter/users: uid names, once per uid, bounded. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "exporter/users.h"
#include "tests/unit/expose.h"

/* A fake NSS: uid 1001 alice, 1002 a hostile name, 1003 fails once,
 * anything else has no entry. Counts every call per uid (mod 16). */
struct fake {
	unsigned calls[16];
	unsigned total;
	bool failed_1003;
};

static int fake_resolve(uint32_t uid, char *name, size_t cap, void *arg)
{
	struct fake *f = arg;
	const char *n = NULL;
	size_t len;

	f->calls[uid % 16]++;
	f->total++;
	if (uid == 1001)
		n = "alice";
	else if (uid == 1002)
		n = "ev\"il\"} 1\n\\";
	else if (uid == 1003 && !f->failed_1003) {
		f->failed_1003 = true;
		return -EIO;
	} else if (uid == 1003)
		n = "carol";
	if (!n)
		return 0;
	len = strlen(n) < cap ? strlen(n) : cap;
	memcpy(name, n, len);
	return (int)len;
}

static int write_users(struct expo *w, struct dbuf *lb, const void *arg)
{
	return users_write(arg, w, lb);
}

static char *expose(const struct users *u)
{
	return expose_family("audit_user_info", EXPO_GAUGE, write_users, u);
}

/* pending, lookup and resolved for at most max uids, in one thread, as
 * the users collector does them across its lock; the number asked. */
static size_t users_resolve(struct users *u, size_t max)
{
	uint32_t uids[64];
	size_t asked = 0;

	while (asked < max) {
		size_t want = max - asked < 64 ? max - asked : 64;
		size_t n = users_pending(u, uids, want);

		for (size_t i = 0; i < n; i++) {
			char name[USERS_NAME_MAX];

			users_resolved(u, uids[i], name,
				       users_lookup(u, uids[i], name,
						    sizeof(name)));
		}
		asked += n;
		if (n < want)
			break;
	}
	return asked;
}

static void test_once_per_uid_and_lazy(void **state)
{
	struct fake f = { 0 };
	struct users *u = users_new(8, fake_resolve, &f);
	char *s;

	(void)state;
	assert_non_null(u);
	for (int i = 0; i < 100; i++) {
		assert_int_equal(users_see(u, 1001), 0);
		assert_int_equal(users_see(u, 4242), 0);
	}
	assert_int_equal(f.total, 0); /* seeing never looks up */
	assert_int_equal(users_count(u), 2);
	assert_int_equal(users_resolve(u, 10), 2);
	assert_int_equal(users_resolve(u, 10), 0);
	users_see(u, 1001);
	assert_int_equal(users_resolve(u, 10), 0);
	assert_int_equal(f.calls[1001 % 16], 1);
	assert_int_equal(f.calls[4242 % 16], 1);
	s = expose(u);
	assert_non_null(strstr(s, "audit_user_info{uid=\"1001\",user=\"alice\"}"
				  " 1\n"));
	assert_null(strstr(s, "4242")); /* no entry: no line */
	free(s);
	users_free(u);
}

static void test_failure_retried_max_per_call(void **state)
{
	struct fake f = { 0 };
	struct users *u = users_new(8, fake_resolve, &f);
	char *s;

	(void)state;
	users_see(u, 1003);
	assert_int_equal(users_resolve(u, 10), 1); /* fails: -EIO */
	s = expose(u);
	assert_null(strstr(s, "1003"));
	free(s);
	assert_int_equal(users_resolve(u, 10), 1); /* asked again */
	assert_int_equal(users_resolve(u, 10), 0);
	assert_int_equal(f.calls[1003 % 16], 2);
	s = expose(u);
	assert_non_null(strstr(s, "{uid=\"1003\",user=\"carol\"} 1\n"));
	free(s);
	/* at most max lookups per call */
	users_see(u, 1001);
	users_see(u, 5);
	users_see(u, 6);
	assert_int_equal(users_resolve(u, 1), 1);
	assert_int_equal(users_resolve(u, 1), 1);
	assert_int_equal(users_resolve(u, 1), 1);
	assert_int_equal(users_resolve(u, 1), 0);
	assert_int_equal(f.total, 5);
	users_free(u);
}

static void test_log_names_win(void **state)
{
	struct fake f = { 0 };
	struct users *u = users_new(8, fake_resolve, &f);
	char *s;

	(void)state;
	/* named by the log before NSS: NSS is never asked */
	assert_int_equal(users_set_name(u, 1001, "alicia", 6), 0);
	users_see(u, 1001);
	assert_int_equal(users_resolve(u, 10), 0);
	assert_int_equal(f.calls[1001 % 16], 0);
	/* named by NSS first, then by the log: the log's name replaces it */
	users_see(u, 1003);
	users_resolve(u, 10);
	users_resolve(u, 10);
	assert_int_equal(users_set_name(u, 1003, "karl", 4), 0);
	/* the first log name stays; unset is not a uid */
	assert_int_equal(users_set_name(u, 1001, "other", 5), 0);
	assert_int_equal(users_set_name(u, 4294967295u, "x", 1), 0);
	assert_int_equal(users_see(u, 4294967295u), 0);
	assert_int_equal(users_count(u), 2);
	s = expose(u);
	assert_non_null(strstr(s, "{uid=\"1001\",user=\"alicia\"} 1\n"));
	assert_non_null(strstr(s, "{uid=\"1003\",user=\"karl\"} 1\n"));
	assert_null(strstr(s, "carol"));
	assert_null(strstr(s, "other"));
	free(s);
	users_free(u);
}

static void test_from_enriched_record(void **state)
{
	static const char rec[] = "arch=c000003e syscall=42 auid=1001 uid=0 "
				  "euid=0 suid=0 "
				  "fsuid=0 ouid=77 comm=\"curl\"\x1d"
				  "ARCH=x86_64 AUID=\"alice\" UID=\"admin\" "
				  "EUID=\"admin\" "
				  "SUID=\"unknown(0)\" FSUID=\"admin\" "
				  "OUID=\"unset\"";
	static const char raw[] = "auid=1001 uid=0 comm=\"x\"";
	struct fake f = { 0 };
	struct users *u = users_new(8, fake_resolve, &f);
	char *s;

	(void)state;
	/* uid, euid, fsuid (all uid 0) and auid: four names taken */
	assert_int_equal(users_from_record(u, rec, sizeof(rec) - 1), 4);
	assert_int_equal(users_from_record(u, raw, sizeof(raw) - 1), 0);
	assert_int_equal(users_count(u), 2); /* 77 had no name: not added */
	users_see(u, 1001);
	assert_int_equal(users_resolve(u, 10), 0); /* NSS never asked */
	s = expose(u);
	/* the log's name for 0 beats this host's root */
	assert_non_null(strstr(s, "{uid=\"0\",user=\"admin\"} 1\n"));
	assert_non_null(strstr(s, "{uid=\"1001\",user=\"alice\"} 1\n"));
	free(s);
	users_free(u);
}

/* The three steps the collector takes around its lock: a name the log
 * gives between the lookup and its result stays. */
static void test_split_steps(void **state)
{
	struct fake f = { 0 };
	struct users *u = users_new(8, fake_resolve, &f);
	uint32_t uids[8];
	char name[USERS_NAME_MAX];
	char *s;

	(void)state;
	users_see(u, 1001);
	users_see(u, 1003);
	assert_int_equal(users_pending(u, uids, 1), 1);
	assert_int_equal(users_pending(u, uids, 8), 2);
	assert_int_equal(users_lookup(u, 1001, name, sizeof(name)), 5);
	assert_int_equal(users_set_name(u, 1001, "al", 2), 0); /* meanwhile */
	users_resolved(u, 1001, name, 5);
	users_resolved(u, 1003, name, -EIO); /* still pending */
	users_resolved(u, 99, "x", 1); /* never seen: ignored */
	assert_int_equal(users_pending(u, uids, 8), 1);
	assert_int_equal(uids[0], 1003);
	assert_int_equal(users_count(u), 2);
	s = expose(u);
	assert_non_null(strstr(s, "{uid=\"1001\",user=\"al\"} 1\n"));
	assert_null(strstr(s, "alice"));
	free(s);
	users_free(u);
}

static void test_cap_refused(void **state)
{
	struct fake f = { 0 };
	struct users *u = users_new(3, fake_resolve, &f);
	size_t bytes = users_bytes(u);

	(void)state;
	for (uint32_t uid = 0; uid < 1000; uid++)
		(void)users_see(u, uid);
	assert_int_equal(users_count(u), 3);
	assert_int_equal(users_refused(u), 997);
	assert_int_equal(users_see(u, 1), 0); /* held ones still fine */
	assert_int_equal(users_see(u, 5000), -ENOSPC);
	assert_int_equal(users_set_name(u, 5001, "x", 1), -ENOSPC);
	assert_int_equal(users_refused(u), 999);
	assert_int_equal(users_bytes(u), bytes);
	assert_null(users_new(0, NULL, NULL));
	users_free(u);
}

static void test_hostile_name_escaped(void **state)
{
	struct fake f = { 0 };
	struct users *u = users_new(4, fake_resolve, &f);
	char *s;

	(void)state;
	users_see(u, 1002);
	users_set_name(u, 7, "b\xffq", 3);
	users_resolve(u, 4);
	s = expose(u);
	assert_non_null(strstr(s, "{uid=\"1002\",user=\"ev\\\"il\\\"} 1\\n"
				  "\\\\\"} 1\n"));
	assert_non_null(strstr(s, "{uid=\"7\",user=\"b\xef\xbf\xbdq\"} 1\n"));
	free(s);
	users_free(u);
}

static void test_real_nss_root(void **state)
{
	struct users *u = users_new(4, NULL, NULL);
	char name[USERS_NAME_MAX];
	char *s;

	(void)state;
	assert_int_equal(users_nss(0, name, sizeof(name), NULL), 4);
	assert_memory_equal(name, "root", 4);
	users_see(u, 0);
	assert_int_equal(users_resolve(u, 4), 1);
	s = expose(u);
	assert_non_null(strstr(s, "audit_user_info{uid=\"0\",user=\"root\"} "
				  "1\n"));
	free(s);
	users_free(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_once_per_uid_and_lazy),
		cmocka_unit_test(test_failure_retried_max_per_call),
		cmocka_unit_test(test_log_names_win),
		cmocka_unit_test(test_from_enriched_record),
		cmocka_unit_test(test_split_steps),
		cmocka_unit_test(test_cap_refused),
		cmocka_unit_test(test_hostile_name_escaped),
		cmocka_unit_test(test_real_nss_root),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
