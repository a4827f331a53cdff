/* Unit tests for netlink/enriched: auditd's interpreted fields. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "netlink/enriched.h"

/* Hand-written in the shape auditd writes (log_format = ENRICHED). */
#define GS "\x1d"
static const char syscall_body[] =
	"arch=c000003e syscall=42 success=no exit=-115 a0=3 items=0 "
	"ppid=900 pid=901 auid=1001 uid=0 gid=0 euid=0 comm=\"curl\" "
	"exe=\"/usr/bin/curl\" key=\"ae_connect\"" GS "ARCH=x86_64 "
	"SYSCALL=connect AUID=\"alice\" UID=\"root\" GID=\"root\" "
	"EUID=\"root\"";

static int get(const char *body, const char *key, char *out)
{
	const char *v;
	size_t n;
	int rc = enriched_get(body, strlen(body), key, &v, &n);

	if (!rc) {
		memcpy(out, v, n);
		out[n] = 0;
	}
	return rc;
}

static void test_get(void **state)
{
	char v[300];

	(void)state;
	assert_int_equal(get(syscall_body, "AUID", v), 0);
	assert_string_equal(v, "alice");
	assert_int_equal(get(syscall_body, "UID", v), 0);
	assert_string_equal(v, "root");
	assert_int_equal(get(syscall_body, "ARCH", v), 0); /* a bare word */
	assert_string_equal(v, "x86_64");
	assert_int_equal(get(syscall_body, "SUID", v), -ENOENT);
	/* the raw part is not searched: "comm" is raw, not enriched */
	assert_int_equal(get(syscall_body, "comm", v), -ENOENT);
	/* no separator, no enriched part */
	assert_int_equal(get("auid=1001 uid=0 AUID=\"x\"", "AUID", v), -ENOENT);
}

static void test_sockaddr_braces_skipped(void **state)
{
	char v[300];

	(void)state;
	/* a key inside the braces is not a field; the one after them is */
	assert_int_equal(get("saddr=01" GS "SADDR={ saddr_fam=inet UID=x } "
			     "UID=\"bob\"",
			     "UID", v),
			 0);
	assert_string_equal(v, "bob");
	assert_int_equal(get("saddr=01" GS "SADDR={ saddr_fam=inet UID=x",
			     "UID", v),
			 -ENOENT); /* an open brace ends the scan */
	/* a token glued to the closing brace is not a token */
	assert_int_equal(get("saddr=01" GS "SADDR={ x }UID=\"x\"", "UID", v),
			 -ENOENT);
}

static void test_hostile(void **state)
{
	char body[1200], v[300];
	size_t n;

	(void)state;
	/* quote never closed: no prefix taken as a name */
	assert_int_equal(get("x=1" GS "UID=\"alice AUID=\"bob", "UID", v),
			 -EINVAL);
	assert_int_equal(get("x=1" GS "AUID=\"bob", "AUID", v), -EINVAL);
	/* a key twice is ambiguous */
	assert_int_equal(get("x=1" GS "UID=\"alice\" UID=\"mallory\"", "UID",
			     v),
			 -EEXIST);
	/* tokens that are not KEY=VALUE are skipped */
	assert_int_equal(get("x=1" GS "junk  =\"\" UID=\"carol\"", "UID", v),
			 0);
	assert_string_equal(v, "carol");
	/* a very long name is refused, not cut; the limit itself is kept */
	n = (size_t)snprintf(body, sizeof(body), "x=1" GS "UID=\"");
	memset(body + n, 'a', 257);
	memcpy(body + n + 257, "\"", 2);
	assert_int_equal(get(body, "UID", v), -E2BIG);
	memcpy(body + n + 256, "\"", 2);
	assert_int_equal(get(body, "UID", v), 0);
	assert_int_equal(strlen(v), ENRICHED_VALUE_MAX);
	/* empty and separator-only */
	assert_int_equal(get(GS, "UID", v), -ENOENT);
	assert_int_equal(get("", "UID", v), -ENOENT);
	assert_int_equal(get(GS "UID=", "UID", v), 0);
	assert_string_equal(v, "");
}

static void test_user(void **state)
{
	const char *name;
	size_t n;
	uint32_t id = 7;
	size_t len = strlen(syscall_body);

	(void)state;
	assert_int_equal(
		enriched_user(syscall_body, len, "auid", &id, &name, &n), 0);
	assert_int_equal(id, 1001);
	assert_memory_equal(name, "alice", 5);
	assert_int_equal(n, 5);
	assert_int_equal(
		enriched_user(syscall_body, len, "uid", &id, &name, &n), 0);
	assert_int_equal(id, 0);
	assert_int_equal(n, 4);
	/* no raw suid field */
	assert_int_equal(enriched_user(syscall_body, len, "suid", &id, &name,
				       &n),
			 -ENOENT);
}

static void test_user_noname(void **state)
{
	static const char unset[] = "auid=4294967295 uid=5000" GS
				    "AUID=\"unset\" UID=\"unknown(5000)\"";
	static const char notnum[] = "uid=abc" GS "UID=\"x\"";
	const char *name;
	size_t n;
	uint32_t id;

	(void)state;
	assert_int_equal(enriched_user(unset, strlen(unset), "auid", &id, &name,
				       &n),
			 -ENOENT);
	assert_int_equal(enriched_user(unset, strlen(unset), "uid", &id, &name,
				       &n),
			 -ENOENT);
	assert_int_equal(enriched_user(notnum, strlen(notnum), "uid", &id,
				       &name, &n),
			 -ENOENT);
	assert_int_equal(enriched_user(notnum, strlen(notnum), "toolongname",
				       &id, &name, &n),
			 -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_sockaddr_braces_skipped),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_user),
		cmocka_unit_test(test_user_noname),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
