/* Unit tests for netlink/rules: the auditctl-syntax parser, no kernel. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cmocka.h>

#include "netlink/rules.h"

extern const char default_rules_text[];

/*
 * The machine libaudit resolves -F arch=b64/b32 and -S names for: it asks
 * uname(2) (audit_detect_machine), and this definition takes the place of
 * libc's for libaudit too, so a test can parse rules as an aarch64, ppc64le
 * or s390x host would. NULL: the real machine.
 */
static const char *fake_machine;

int uname(struct utsname *u)
{
	long rc = syscall(SYS_uname, u);

	if (rc == 0 && fake_machine)
		snprintf(u->machine, sizeof(u->machine), "%s", fake_machine);
	return (int)rc;
}

#define X86_64_CONNECT 42
#define X86_64_SOCKET 41
#define I386_CONNECT 362
#define I386_SOCKETCALL 102
#define X86_64_KILL 62
#define X86_64_OPENAT 257
#define X86_64_EXECVE 59

static struct rules_set *parse(const char *text)
{
	struct rules_error err;
	struct rules_set *rs =
		rules_parse_text(text, strlen(text), "test.rules", &err);

	if (!rs)
		fail_msg("parse failed: line %u: %s\n--- text:\n%s", err.line,
			 err.msg, text);
	return rs;
}

static void expect_error(const char *text, unsigned line, const char *want)
{
	struct rules_error err;
	struct rules_set *rs =
		rules_parse_text(text, strlen(text), "bad.rules", &err);

	if (rs) {
		rules_set_free(rs);
		fail_msg("parsed, expected an error: %s", text);
	}
	assert_int_equal(errno, EINVAL);
	assert_string_equal(err.origin, "bad.rules");
	if (err.line != line || !strstr(err.msg, want))
		fail_msg("%s\ngot line %u '%s'\nwant line %u '%s'", text,
			 err.line, err.msg, line, want);
}

static const struct audit_rule_data *rule(const struct rules_set *rs, size_t i)
{
	assert_true(i < rules_count(rs));
	return rules_get(rs, i, NULL, NULL);
}

/* Index of the first `field` field, or -1. */
static int field_at(const struct audit_rule_data *r, uint32_t field)
{
	for (uint32_t i = 0; i < r->field_count; i++)
		if (r->fields[i] == field)
			return (int)i;
	return -1;
}

static uint32_t value_of(const struct audit_rule_data *r, uint32_t field,
			 uint32_t op)
{
	int i = field_at(r, field);

	if (i < 0)
		fail_msg("field %u missing", field);
	assert_int_equal(r->fieldflags[i], op);
	return r->values[i];
}

static bool is_string_field(uint32_t f)
{
	return (f >= AUDIT_SUBJ_USER && f <= AUDIT_SUBJ_CLR) ||
	       (f >= AUDIT_OBJ_USER && f <= AUDIT_OBJ_LEV_HIGH) ||
	       f == AUDIT_WATCH || f == AUDIT_DIR || f == AUDIT_FILTERKEY ||
	       f == AUDIT_EXE;
}

/* The string of the first `field` field, NUL-terminated in a static buffer. */
static const char *string_of(const struct audit_rule_data *r, uint32_t field)
{
	static char out[4096];
	size_t off = 0;

	for (uint32_t i = 0; i < r->field_count; i++) {
		if (!is_string_field(r->fields[i]))
			continue;
		if (r->fields[i] == field) {
			assert_true(off + r->values[i] <= r->buflen);
			memcpy(out, r->buf + off, r->values[i]);
			out[r->values[i]] = 0;
			return out;
		}
		off += r->values[i];
	}
	fail_msg("string field %u missing", field);
	return NULL;
}

static bool sc(const struct audit_rule_data *r, unsigned nr)
{
	return r->mask[AUDIT_WORD(nr)] & AUDIT_BIT(nr);
}

static bool all_syscalls(const struct audit_rule_data *r)
{
	for (int i = 0; i < AUDIT_BITMASK_SIZE; i++)
		if (r->mask[i] != ~0u)
			return false;
	return true;
}

static void test_bundled_rules(void **state)
{
	struct rules_set *rs;
	const struct audit_rule_data *r;
	struct audit_status st;
	const char *watch[] = { "identity", "privilege", "sshd_config",
				"audit_config", "shadow_read" };
	const char *other[] = { "connect", "bind", "listen", "exec", "socket" };
	unsigned line;

	(void)state;
	rs = parse(default_rules_text);
	assert_int_equal(rules_count(rs), 41);
	assert_false(rules_delete_all(rs));
	assert_int_equal(rules_status(rs, &st), 0);
	for (size_t i = 0; i < 5; i++)
		assert_true(rules_is_watch_key(rs, watch[i], strlen(watch[i])));
	for (size_t i = 0; i < 5; i++)
		assert_false(
			rules_is_watch_key(rs, other[i], strlen(other[i])));
	assert_int_equal(rules_keyset_count(rules_watch_keys(rs)), 5);

	/* -a always,exit -F arch=b64 -S connect -F a2=16 -k connect */
	r = rules_get(rs, 0, NULL, &line);
	assert_int_equal(line, 38);
	assert_int_equal(r->action, AUDIT_ALWAYS);
	assert_int_equal(r->flags, AUDIT_FILTER_EXIT);
	assert_int_equal(r->field_count, 3);
	assert_int_equal(value_of(r, AUDIT_ARCH, AUDIT_EQUAL),
			 AUDIT_ARCH_X86_64);
	assert_int_equal(value_of(r, AUDIT_ARG2, AUDIT_EQUAL), 16);
	assert_string_equal(string_of(r, AUDIT_FILTERKEY), "connect");
	assert_true(sc(r, X86_64_CONNECT));
	assert_false(sc(r, I386_CONNECT));

	/* -a always,exit -F arch=b32 -S connect -F a2=16 -k connect */
	r = rule(rs, 2);
	assert_int_equal(value_of(r, AUDIT_ARCH, AUDIT_EQUAL), AUDIT_ARCH_I386);
	assert_true(sc(r, I386_CONNECT));
	assert_false(sc(r, X86_64_CONNECT));
	/* -a always,exit -F arch=b32 -S socketcall -F a0=3 -k connect */
	r = rule(rs, 4);
	assert_true(sc(r, I386_SOCKETCALL));
	assert_int_equal(value_of(r, AUDIT_ARG0, AUDIT_EQUAL), 3);
	/* -a always,exit -F arch=b64 -S socket -F a0=2 -F success=1 */
	r = rule(rs, 5);
	assert_true(sc(r, X86_64_SOCKET));
	assert_int_equal(value_of(r, AUDIT_ARG0, AUDIT_EQUAL), 2);
	assert_int_equal(value_of(r, AUDIT_SUCCESS, AUDIT_EQUAL), 1);
	assert_string_equal(string_of(r, AUDIT_FILTERKEY), "socket");
	/* bind ... -F success=1 */
	assert_int_equal(value_of(rule(rs, 10), AUDIT_SUCCESS, AUDIT_EQUAL), 1);
	/* execve ... -F success=1: failed execs (a PATH search) stay out */
	r = rule(rs, 18);
	assert_true(sc(r, X86_64_EXECVE));
	assert_int_equal(value_of(r, AUDIT_SUCCESS, AUDIT_EQUAL), 1);

	/* -w /etc/passwd -p wa -k identity */
	r = rule(rs, 20);
	assert_int_equal(r->flags, AUDIT_FILTER_EXIT);
	assert_int_equal(r->action, AUDIT_ALWAYS);
	assert_true(all_syscalls(r));
	assert_int_equal(r->fields[0], AUDIT_WATCH);
	assert_string_equal(string_of(r, AUDIT_WATCH), "/etc/passwd");
	assert_int_equal(value_of(r, AUDIT_PERM, AUDIT_EQUAL),
			 AUDIT_PERM_WRITE | AUDIT_PERM_ATTR);
	assert_string_equal(string_of(r, AUDIT_FILTERKEY), "identity");
	/* -w /etc/shadow -p wa: reads are the rules after it */
	assert_int_equal(value_of(rule(rs, 22), AUDIT_PERM, AUDIT_EQUAL),
			 AUDIT_PERM_WRITE | AUDIT_PERM_ATTR);
	/* -w /etc/audit/ -p wa -k audit_config: trailing / trimmed */
	r = rule(rs, 26);
	assert_string_equal(string_of(r, r->fields[0]), "/etc/audit");
	/* -a never,exit -F path=/etc/shadow -F perm=r -F exe=/usr/bin/login */
	r = rule(rs, 27);
	assert_int_equal(r->action, AUDIT_NEVER);
	assert_string_equal(string_of(r, AUDIT_WATCH), "/etc/shadow");
	assert_string_equal(string_of(r, AUDIT_EXE), "/usr/bin/login");
	assert_int_equal(value_of(r, AUDIT_PERM, AUDIT_EQUAL), AUDIT_PERM_READ);
	/* -a always,exit -F path=/etc/shadow -F perm=r -k shadow_read, last */
	r = rule(rs, 39);
	assert_int_equal(r->action, AUDIT_ALWAYS);
	assert_string_equal(string_of(r, AUDIT_WATCH), "/etc/shadow");
	assert_int_equal(value_of(r, AUDIT_PERM, AUDIT_EQUAL), AUDIT_PERM_READ);
	assert_string_equal(string_of(r, AUDIT_FILTERKEY), "shadow_read");
	rules_set_free(rs);
}

/*
 * The bundled rules as each machine's libaudit builds them. System call
 * numbers are libaudit's own tables (ausyscall MACHINE NAME): b64 is the
 * machine's native table, b32 its 32-bit one (i386, arm, s390, ppc), and
 * ppc64le has none, so its 12 b32 lines are left out, listed for the
 * loader's warning, and the other rules stay.
 */
struct machine_rules {
	const char *machine;
	uint32_t arch64, arch32; /* AUDIT_ARCH_*; arch32 0: no b32 table */
	unsigned nr64[5], nr32[5]; /* connect, bind, listen, execve, socket */
	unsigned execveat64;
	unsigned socketcall32;
};

static void check_machine_rules(const struct machine_rules *m)
{
	static const char *const keys[5] = { "connect", "bind", "listen",
					     "exec", "socket" };
	/* socketcall's a0 for each key (0: none) */
	static const unsigned call[5] = { 3, 2, 4, 0, 1 };
	/* rules per key on b64 and b32 lines (socketcall ones included) */
	static const unsigned want64[5] = { 2, 2, 1, 1, 2 },
			      want32[5] = { 3, 3, 2, 1, 3 };
	unsigned got64[5] = { 0 }, got32[5] = { 0 }, watches = 0;
	struct rules_error err;
	struct rules_set *rs;

	fake_machine = m->machine;
	rs = rules_parse_text(default_rules_text, strlen(default_rules_text),
			      "bundled", &err);
	fake_machine = NULL;
	if (!rs)
		fail_msg("%s: line %u: %s", m->machine, err.line, err.msg);
	for (size_t i = 0; i < rules_count(rs); i++) {
		const struct audit_rule_data *r = rule(rs, i);
		const char *key;
		uint32_t arch;
		int k = -1;

		/* -w lines and the -F path= rules of the shadow files */
		if (field_at(r, AUDIT_ARCH) < 0) {
			assert_true(field_at(r, AUDIT_WATCH) >= 0 ||
				    field_at(r, AUDIT_DIR) >= 0);
			watches++;
			continue;
		}
		key = string_of(r, AUDIT_FILTERKEY);
		for (int j = 0; j < 5; j++)
			if (!strcmp(key, keys[j]))
				k = j;
		assert_true(k >= 0);
		arch = value_of(r, AUDIT_ARCH, AUDIT_EQUAL);
		if (arch == m->arch64) {
			got64[k]++;
			assert_true(sc(r, m->nr64[k]));
			if (k == 3)
				assert_true(sc(r, m->execveat64));
		} else {
			if (arch != m->arch32 || !m->arch32)
				fail_msg("%s: rule %zu has arch %x", m->machine,
					 i, arch);
			got32[k]++;
			assert_true(sc(r, m->nr32[k]) ||
				    (sc(r, m->socketcall32) &&
				     value_of(r, AUDIT_ARG0, AUDIT_EQUAL) ==
					     call[k]));
		}
	}
	/* 7 -w, 12 -a never reads by login programs, 2 shadow_read */
	assert_int_equal(watches, 21);
	for (int k = 0; k < 5; k++) {
		assert_int_equal(got64[k], want64[k]);
		assert_int_equal(got32[k], m->arch32 ? want32[k] : 0);
	}
	if (m->arch32) {
		assert_int_equal(rules_count(rs), 41);
		assert_int_equal(rules_skipped_count(rs), 0);
	} else {
		unsigned line, prev = 0;

		assert_int_equal(rules_count(rs), 29);
		assert_int_equal(rules_skipped_count(rs), 12);
		for (size_t i = 0; i < 12; i++) {
			assert_string_equal(rules_skipped_get(rs, i, &line),
					    "b32");
			assert_true(line > prev);
			prev = line;
		}
	}
	rules_set_free(rs);
}

static void test_bundled_rules_machines(void **state)
{
	static const struct machine_rules machines[] = {
		{ "x86_64",
		  AUDIT_ARCH_X86_64,
		  AUDIT_ARCH_I386,
		  { 42, 49, 50, 59, 41 },
		  { 362, 361, 363, 11, 359 },
		  322,
		  102 },
		{ "aarch64",
		  AUDIT_ARCH_AARCH64,
		  AUDIT_ARCH_ARM,
		  { 203, 200, 201, 221, 198 },
		  { 283, 282, 284, 11, 281 },
		  281,
		  102 },
		{ "ppc64le",
		  AUDIT_ARCH_PPC64LE,
		  0,
		  { 328, 327, 329, 11, 326 },
		  { 0 },
		  362,
		  0 },
		{ "ppc64",
		  AUDIT_ARCH_PPC64,
		  AUDIT_ARCH_PPC,
		  { 328, 327, 329, 11, 326 },
		  { 328, 327, 329, 11, 326 },
		  362,
		  102 },
		{ "s390x",
		  AUDIT_ARCH_S390X,
		  AUDIT_ARCH_S390,
		  { 362, 361, 363, 11, 359 },
		  { 362, 361, 363, 11, 359 },
		  354,
		  102 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(machines) / sizeof(*machines); i++)
		check_machine_rules(&machines[i]);
}

/* A b32 line on a machine without that table is left out; an arch name
 * libaudit does not know is still an error there. */
static void test_arch_absent(void **state)
{
	struct rules_set *rs;
	unsigned line;

	(void)state;
	fake_machine = "ppc64le";
	rs = parse("-a always,exit -F arch=b64 -S connect -k c\n"
		   "-a always,exit -F arch=b32 -S connect -k c\n"
		   "-w /etc/passwd -p wa -k identity\n");
	assert_int_equal(rules_count(rs), 2);
	assert_int_equal(rules_skipped_count(rs), 1);
	assert_string_equal(rules_skipped_get(rs, 0, &line), "b32");
	assert_int_equal(line, 2);
	rules_set_free(rs);
	expect_error("-a always,exit -F arch=b33 -S connect\n", 1,
		     "unknown arch 'b33'");
	fake_machine = NULL;
	/* here (x86_64) the same line is a rule */
	rs = parse("-a always,exit -F arch=b32 -S connect -k c\n");
	assert_int_equal(rules_count(rs), 1);
	assert_int_equal(rules_skipped_count(rs), 0);
	rules_set_free(rs);
}

static void test_empty_comments_crlf(void **state)
{
	struct rules_set *rs;
	const struct audit_rule_data *r;

	(void)state;
	rs = rules_parse_text(NULL, 0, NULL, NULL);
	assert_non_null(rs);
	assert_int_equal(rules_count(rs), 0);
	rules_set_free(rs);

	rs = parse("# only comments\n\n   # indented\n\t\n#-a always,bogus\n");
	assert_int_equal(rules_count(rs), 0);
	rules_set_free(rs);

	rs = parse("# crlf\r\n-w /etc/passwd -p wa -k identity\r\n\r\n"
		   "-a always,exit -F arch=b64 -S kill -k sig\r\n");
	assert_int_equal(rules_count(rs), 2);
	assert_true(rules_is_watch_key(rs, "identity", 8));
	r = rule(rs, 1);
	assert_string_equal(string_of(r, AUDIT_FILTERKEY), "sig");
	rules_set_free(rs);

	/* no newline at the end; tabs separate like spaces */
	rs = parse("-a\talways,exit  -F arch=b64\t-S kill");
	assert_int_equal(rules_count(rs), 1);
	rules_set_free(rs);
}

static void test_delete_all_and_lists(void **state)
{
	struct rules_set *rs;

	(void)state;
	rs = parse("-D\n-a always,exit -F arch=b64 -S kill\n"
		   "-a exit,always -F arch=b64 -S kill\n"
		   "-A always,exit -F arch=b64 -S kill\n"
		   "-a never,exit -F arch=b64 -S kill\n"
		   "-a always,task -F uid=0\n"
		   "-a always,user -F uid=0\n"
		   "-a never,exclude -F msgtype=CWD\n");
	assert_true(rules_delete_all(rs));
	assert_int_equal(rules_count(rs), 7);
	assert_memory_equal(rule(rs, 0), rule(rs, 1),
			    sizeof(struct audit_rule_data));
	assert_int_equal(rule(rs, 2)->flags,
			 AUDIT_FILTER_EXIT | AUDIT_FILTER_PREPEND);
	assert_int_equal(rule(rs, 3)->action, AUDIT_NEVER);
	assert_int_equal(rule(rs, 4)->flags, AUDIT_FILTER_TASK);
	assert_int_equal(rule(rs, 5)->flags, AUDIT_FILTER_USER);
	assert_int_equal(rule(rs, 6)->flags, AUDIT_FILTER_EXCLUDE);
	assert_int_equal(value_of(rule(rs, 6), AUDIT_MSGTYPE, AUDIT_EQUAL),
			 AUDIT_CWD);
	/* a rule without -S covers every call, except on the task list */
	assert_true(all_syscalls(rule(rs, 5)));
	assert_false(sc(rule(rs, 4), X86_64_KILL));
	rules_set_free(rs);
}

static void test_arch_and_syscalls(void **state)
{
	struct rules_set *rs;
	const struct audit_rule_data *r;

	(void)state;
	rs = parse("-a always,exit -F arch=b64 -S connect,bind -S kill\n"
		   "-a always,exit -F arch=x86_64 -S 42\n"
		   "-a always,exit -F arch=i386 -S connect\n"
		   "-a always,exit -F arch=b32 -S all\n"
		   /* arch-less: the host's table, not line 3's i386 */
		   "-a always,exit -S connect\n"
		   "-a always,exit -F arch=b64 -S 0x101\n");
	r = rule(rs, 0);
	assert_true(sc(r, X86_64_CONNECT));
	assert_true(sc(r, 49)); /* bind */
	assert_true(sc(r, X86_64_KILL));
	assert_false(sc(r, 43));
	r = rule(rs, 1);
	assert_int_equal(value_of(r, AUDIT_ARCH, AUDIT_EQUAL),
			 AUDIT_ARCH_X86_64);
	assert_true(sc(r, X86_64_CONNECT));
	r = rule(rs, 2);
	assert_int_equal(value_of(r, AUDIT_ARCH, AUDIT_EQUAL), AUDIT_ARCH_I386);
	assert_true(sc(r, I386_CONNECT));
	r = rule(rs, 3);
	assert_int_equal(value_of(r, AUDIT_ARCH, AUDIT_EQUAL), AUDIT_ARCH_I386);
	assert_true(all_syscalls(r));
	r = rule(rs, 4);
	assert_int_equal(field_at(r, AUDIT_ARCH), -1);
#if defined(__x86_64__)
	assert_true(sc(r, X86_64_CONNECT));
	assert_false(sc(r, I386_CONNECT));
#endif
	assert_true(sc(rule(rs, 5), X86_64_OPENAT));
	rules_set_free(rs);
}

static void test_operators(void **state)
{
	struct rules_set *rs;
	const struct audit_rule_data *r;
	static const uint32_t ops[] = {
		AUDIT_EQUAL,
		AUDIT_NOT_EQUAL,
		AUDIT_LESS_THAN,
		AUDIT_GREATER_THAN,
		AUDIT_LESS_THAN_OR_EQUAL,
		AUDIT_GREATER_THAN_OR_EQUAL,
		AUDIT_BIT_MASK,
		AUDIT_BIT_TEST,
	};

	(void)state;
	rs = parse("-a always,exit -F arch=b64 -S kill -F a0=1 -F a0!=2 "
		   "-F a0<3 -F a0>4 -F a0<=5 -F a0>=6 -F a1&7 -F a1&=0x8\n");
	r = rule(rs, 0);
	assert_int_equal(r->field_count, 9);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(r->fields[i + 1],
				 i < 6 ? AUDIT_ARG0 : AUDIT_ARG1);
		assert_int_equal(r->fieldflags[i + 1], ops[i]);
		assert_int_equal(r->values[i + 1], i + 1);
	}
	rules_set_free(rs);
}

static void test_field_values(void **state)
{
	struct rules_set *rs;
	const struct audit_rule_data *r;

	(void)state;
	rs = parse("-a always,exit -F arch=b64 -S all -F uid=root -F "
		   "auid>=1000 -F auid!=unset -F gid=0 -k users\n"
		   "-a always,exit -F arch=b64 -S connect -F exit=-EACCES\n"
		   "-a always,exit -F arch=b64 -S connect -F exit=EINPROGRESS "
		   "-F success=0\n"
		   "-a always,exit -F arch=b64 -S openat -F path=/etc/shadow "
		   "-F perm=wa -k shadow\n"
		   "-a always,exit -F arch=b64 -S openat -F dir=/etc/ssh "
		   "-F key=ssh\n"
		   "-a always,exit -F arch=b64 -S openat -F filetype=file "
		   "-F a2&0x40\n");
	r = rule(rs, 0);
	assert_int_equal(value_of(r, AUDIT_UID, AUDIT_EQUAL), 0);
	assert_int_equal(
		value_of(r, AUDIT_LOGINUID, AUDIT_GREATER_THAN_OR_EQUAL), 1000);
	assert_int_equal(r->fields[3], AUDIT_LOGINUID);
	assert_int_equal(r->fieldflags[3], AUDIT_NOT_EQUAL);
	assert_int_equal(r->values[3], 4294967295u);
	assert_int_equal(value_of(r, AUDIT_GID, AUDIT_EQUAL), 0);
	assert_int_equal(value_of(rule(rs, 1), AUDIT_EXIT, AUDIT_EQUAL),
			 (uint32_t)-EACCES);
	assert_int_equal(value_of(rule(rs, 2), AUDIT_EXIT, AUDIT_EQUAL),
			 EINPROGRESS);
	assert_int_equal(value_of(rule(rs, 2), AUDIT_SUCCESS, AUDIT_EQUAL), 0);
	r = rule(rs, 3);
	assert_string_equal(string_of(r, AUDIT_WATCH), "/etc/shadow");
	assert_int_equal(value_of(r, AUDIT_PERM, AUDIT_EQUAL),
			 AUDIT_PERM_WRITE | AUDIT_PERM_ATTR);
	r = rule(rs, 4);
	assert_string_equal(string_of(r, AUDIT_DIR), "/etc/ssh");
	assert_string_equal(string_of(r, AUDIT_FILTERKEY), "ssh");
	assert_int_equal(value_of(rule(rs, 5), AUDIT_FILETYPE, AUDIT_EQUAL),
			 S_IFREG);
	/* path= and dir= rules are file watches; the others are not */
	assert_true(rules_is_watch_key(rs, "shadow", 6));
	assert_true(rules_is_watch_key(rs, "ssh", 3));
	assert_false(rules_is_watch_key(rs, "users", 5));
	rules_set_free(rs);
}

static void test_exe(void **state)
{
	struct rules_set *rs;
	struct rules_error err;
	const char *t = "-a always,exit -F arch=b64 -S execve -F "
			"exe=/usr/bin/ping -k ping\n";

	(void)state;
	/* libaudit asks the kernel whether it can filter on exe */
	rs = rules_parse_text(t, strlen(t), "exe", &err);
	if (!rs) {
		assert_non_null(strstr(err.msg, "not supported"));
		skip();
	}
	assert_string_equal(string_of(rule(rs, 0), AUDIT_EXE), "/usr/bin/ping");
	rules_set_free(rs);
}

static void test_compare(void **state)
{
	struct rules_set *rs;
	const struct audit_rule_data *r;

	(void)state;
	rs = parse("-a always,exit -F arch=b64 -S execve -C uid!=euid "
		   "-C auid=obj_uid -k cmp\n");
	r = rule(rs, 0);
	assert_int_equal(r->fields[1], AUDIT_FIELD_COMPARE);
	assert_int_equal(r->fieldflags[1], AUDIT_NOT_EQUAL);
	assert_int_equal(r->values[1], AUDIT_COMPARE_UID_TO_EUID);
	assert_int_equal(r->fields[2], AUDIT_FIELD_COMPARE);
	assert_int_equal(r->fieldflags[2], AUDIT_EQUAL);
	assert_int_equal(r->values[2], AUDIT_COMPARE_AUID_TO_OBJ_UID);
	rules_set_free(rs);
}

static void test_keys(void **state)
{
	struct rules_set *rs;
	char text[1200], key[300];

	(void)state;
	rs = parse("-a always,exit -F arch=b64 -S kill -k one -k two "
		   "-F key=three\n"
		   "-w /etc/hosts -k a -k b\n");
	assert_string_equal(string_of(rule(rs, 0), AUDIT_FILTERKEY), "one\001tw"
								     "o\001thre"
								     "e");
	assert_string_equal(string_of(rule(rs, 1), AUDIT_FILTERKEY), "a\001b");
	assert_true(rules_is_watch_key(rs, "a", 1));
	assert_true(rules_is_watch_key(rs, "b", 1));
	assert_false(rules_is_watch_key(rs, "a\001b", 3));
	assert_false(rules_is_watch_key(rs, "one", 3));
	rules_set_free(rs);

	/* exactly AUDIT_MAX_KEY_LEN bytes, then one more */
	memset(key, 'k', 256);
	key[256] = 0;
	snprintf(text, sizeof(text), "-w /etc/hosts -p wa -k %s\n", key);
	rs = parse(text);
	assert_int_equal(strlen(string_of(rule(rs, 0), AUDIT_FILTERKEY)), 256);
	rules_set_free(rs);
	snprintf(text, sizeof(text), "\n-w /etc/hosts -p wa -k %sk\n", key);
	expect_error(text, 2, "key too long: 257 bytes");
	/* keys of one rule count together, separators included */
	key[200] = 0;
	snprintf(text, sizeof(text), "-w /etc/hosts -k %s -k %.54s\n", key,
		 key);
	rs = parse(text); /* 200 + 1 + 54 = 255 */
	rules_set_free(rs);
	snprintf(text, sizeof(text), "-w /etc/hosts -k %s -k %.56s\n", key,
		 key);
	expect_error(text, 1, "key too long: 257 bytes");
}

static void test_watches(void **state)
{
	struct rules_set *rs;
	const struct audit_rule_data *r;

	(void)state;
	rs = parse("-w /no/such/file\n"
		   "-w /tmp/with\\ space\\\\x -p x -k sp\n"
		   "-w /etc/ -p r\n"
		   "-w /etc/hosts -p wa -F auid>=1000 -k k\n");
	r = rule(rs, 0);
	assert_int_equal(r->fields[0], AUDIT_WATCH);
	assert_int_equal(value_of(r, AUDIT_PERM, AUDIT_EQUAL),
			 AUDIT_PERM_READ | AUDIT_PERM_WRITE | AUDIT_PERM_EXEC |
				 AUDIT_PERM_ATTR);
	assert_false(rules_is_watch_key(rs, "", 0));
	r = rule(rs, 1);
	assert_string_equal(string_of(r, AUDIT_WATCH), "/tmp/with space\\x");
	assert_int_equal(value_of(r, AUDIT_PERM, AUDIT_EQUAL), AUDIT_PERM_EXEC);
	r = rule(rs, 2);
	assert_int_equal(r->fields[0], AUDIT_DIR);
	assert_string_equal(string_of(r, AUDIT_DIR), "/etc");
	r = rule(rs, 3);
	assert_int_equal(
		value_of(r, AUDIT_LOGINUID, AUDIT_GREATER_THAN_OR_EQUAL), 1000);
	rules_set_free(rs);
}

static void test_quotes_are_literal(void **state)
{
	struct rules_set *rs;

	(void)state;
	/* as auditctl's file reader: quotes are part of the value */
	rs = parse("-w /etc/hosts -k \"quoted\"\n");
	assert_string_equal(string_of(rule(rs, 0), AUDIT_FILTERKEY), "\"quoted"
								     "\"");
	rules_set_free(rs);
	expect_error("-a always,exit -F arch=b64 -S openat -F path=\"/a b\"\n",
		     1, "unexpected 'b\"'");
}

static void test_status(void **state)
{
	struct rules_set *rs;
	struct audit_status st;

	(void)state;
	rs = parse("-b 8192\n-r 100\n-f 1\n-e 1\n--backlog_wait_time 60000\n");
	assert_int_equal(rules_count(rs), 0);
	assert_int_equal(rules_status(rs, &st),
			 AUDIT_STATUS_BACKLOG_LIMIT | AUDIT_STATUS_RATE_LIMIT |
				 AUDIT_STATUS_FAILURE | AUDIT_STATUS_ENABLED |
				 AUDIT_STATUS_BACKLOG_WAIT_TIME);
	assert_int_equal(st.backlog_limit, 8192);
	assert_int_equal(st.rate_limit, 100);
	assert_int_equal(st.failure, 1);
	assert_int_equal(st.enabled, 1);
	assert_int_equal(st.backlog_wait_time, 60000);
	rules_set_free(rs);
	rs = parse("-f 0 -e 0 --backlog_wait_time=0\n");
	assert_int_equal(rules_status(rs, &st),
			 AUDIT_STATUS_FAILURE | AUDIT_STATUS_ENABLED |
				 AUDIT_STATUS_BACKLOG_WAIT_TIME);
	assert_int_equal(st.failure, 0);
	rules_set_free(rs);
	expect_error("-D\n-f 2\n", 2, "-f 2 is refused: it would panic");
	expect_error("-e 1\n\n-e 2\n", 3, "-e 2 is refused: it would lock");
	expect_error("-f 3\n", 1, "-f takes 0 or 1");
	expect_error("-b lots\n", 1, "-b takes a number");
	expect_error("-r 99999999999\n", 1, "-r takes a number");
	expect_error("--backlog_wait_time\n", 1, "needs a value");
}

static void test_errors(void **state)
{
	static const struct {
		const char *text;
		unsigned line;
		const char *msg;
	} cases[] = {
		{ "# c\n\n-a always,exit -F arch=b64 -S conect -k c\n", 3,
		  "unknown syscall 'conect' for arch b64" },
		{ "-a always,exit -F arch=b32 -S execveat,nosuchcall\n", 1,
		  "unknown syscall 'nosuchcall' for arch b32" },
		{ "-a always,exit -F arch=b64 -S 42x\n", 1,
		  "unknown syscall '42x'" },
		{ "-a always,exit -F arch=b64 -S 99999\n", 1, "out of range" },
		{ "-a always,exit -F arch=b64 -S connect,,bind\n", 1,
		  "empty name" },
		{ "-a always,exit -F arch=b64 -S kill -F foo=1\n", 1,
		  "unknown field 'foo'" },
		{ "-a always,exit -F arch=b64 -S kill -F uid=>5\n", 1,
		  "bad operator in 'uid=>5'" },
		{ "-a always,exit -F arch=b64 -S kill -F uid==5\n", 1,
		  "bad operator" },
		{ "-a always,exit -F arch=b64 -S kill -F uid<>5\n", 1,
		  "bad operator" },
		{ "-a always,exit -F arch=b64 -S kill -F uid\n", 1,
		  "missing operator in 'uid'" },
		{ "-a always,exit -F arch=b64 -S kill -F =5\n", 1,
		  "missing field name" },
		{ "-a always,exit -F arch=b64 -S kill -F uid=\n", 1,
		  "missing value" },
		{ "-a always,exit -F arch=b64 -S kill -F uid=nosuchuser_x\n", 1,
		  "unknown user 'nosuchuser_x'" },
		{ "-a always,exit -F arch=b64 -S kill -F gid=nosuchgroup_x\n",
		  1, "unknown group 'nosuchgroup_x'" },
		{ "-a always,exit -F arch=b64 -S kill -F exit=-ENOTANERRNO\n",
		  1, "unknown errno" },
		{ "-a always,exit -F arch=b64 -S kill -F a0=abc\n", 1,
		  "must be a number" },
		{ "-a always,exit -F arch=b64 -S kill -F perm=rq\n", 1,
		  "use 1 to 4 of r, w, x, a" },
		{ "-a always,exit -F arch=b64 -S kill -F perm!=r\n", 1,
		  "only takes =" },
		{ "-a always,exit -F arch=b64 -S kill -F inode>5\n", 1,
		  "only takes = or !=" },
		{ "-a always,exit -S kill -F arch=b64\n", 1,
		  "arch= must come before -S" },
		{ "-a always,exit -F arch=sparc -S kill\n", 1,
		  "unknown arch 'sparc'" },
		{ "-a always,exit -F msgtype=CWD\n", 1,
		  "msgtype can only be used on the exclude or user list" },
		{ "-a always,exclude -F msgtype=NOPE\n", 1,
		  "unknown message type 'NOPE'" },
		{ "-a always,task -F path=/etc\n", 1,
		  "can only be used on the exit list" },
		{ "-a always,exit -F arch=b64 -S kill -C uid=gid\n", 1,
		  "cannot compare 'uid' with 'gid'" },
		{ "-a always,exit -F arch=b64 -S kill -C uid<euid\n", 1,
		  "-C takes field=field or field!=field" },
		{ "-a always,exit -F arch=b64 -S kill -C uid=nope\n", 1,
		  "cannot compare 'uid' with 'nope'" },
		{ "-a always,exit -F arch=b64 -S kill -F saddr_fam=200\n", 1,
		  "value of 'saddr_fam' is too large" },
		{ "-a always,task -S connect\n", 1,
		  "system calls (-S) can only be audited on the exit list, "
		  "not on 'task'" },
		{ "-S connect -a always,user\n", 1,
		  "can only be audited on the exit list" },
		{ "-a always,exclude -S connect\n", 1, "exit list" },
		{ "-a always\n", 1, "-a needs list,action" },
		{ "-a exit,\n", 1, "needs list,action" },
		{ "-a always,bogus\n", 1, "needs list,action" },
		{ "-a always,exit,task\n", 1, "needs list,action" },
		{ "-a possible,exit\n", 1, "deprecated" },
		{ "-a always,entry -S kill\n", 1, "needs list,action" },
		{ "-a\n", 1, "option -a needs a value" },
		{ "-S connect -k x\n", 1, "missing -a list,action" },
		{ "-k x\n", 1, "missing -a list,action" },
		{ "-F arch=b64 -a always,exit\n", 1,
		  "-F needs -a list,action before it" },
		{ "-a always,exit -F pid=1 -k x\n", 1,
		  "a key needs -S, -w, or a path" },
		{ "-a always,exit -a never,exit\n", 1, "only one -a" },
		{ "-a always,exit -w /etc/hosts\n", 1, "only one -a" },
		{ "-w etc/hosts\n", 1, "must start with /" },
		{ "-p wa -w /etc/hosts\n", 1, "-p needs -w path before it" },
		{ "-w /etc/hosts -p wz\n", 1, "use 1 to 4 of r, w, x, a" },
		{ "-w /etc/hosts -p rwxaa\n", 1, "use 1 to 4" },
		{ "-w /etc/hosts -k \001x\n", 1, "separator byte" },
		{ "-w /etc/hosts -F key!=x\n", 1, "key only takes =" },
		{ "-D -k x\n", 1, "-D must be alone" },
		{ "-d always,exit -S kill\n", 1,
		  "option -d (delete rule) is not supported in a rules file" },
		{ "-W /etc/hosts\n", 1, "-W (delete watch) is not supported" },
		{ "-l\n", 1, "-l (list rules) is not supported" },
		{ "-s\n", 1, "-s (status) is not supported" },
		{ "-R /etc/audit/audit.rules\n", 1, "-R (read rules file)" },
		{ "-i\n", 1, "-i (ignore errors)" },
		{ "-c\n", 1, "-c (continue on errors)" },
		{ "-Z\n", 1, "unknown option '-Z'" },
		{ "-Dx\n", 1, "unknown option '-Dx'" },
		{ "--signal TERM\n", 1, "'--signal' is not supported" },
		{ "--loginuid-immutable\n", 1, "not supported" },
		{ "--nope\n", 1, "unknown option '--nope'" },
		{ "-w /etc/hosts -k k extra\n", 1, "unexpected 'extra'" },
		{ "-w /etc/hosts # comment\n", 1, "unexpected '#'" },
		{ "-w /etc/hosts -k\n", 1, "option -k needs a value" },
		{ "-w /etc/hosts -k x -k \"\"\n", 1, "" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		if (cases[i].msg[0])
			expect_error(cases[i].text, cases[i].line,
				     cases[i].msg);
	/* each line on its own: a key on line 2 without syscalls is refused
	 * although line 1 had -S (libaudit's global flags are reset) */
	expect_error("-a always,exit -F arch=b64 -S kill -k a\n"
		     "-a always,exit -F pid=1 -k b\n",
		     2, "a key needs");
	/* a NUL byte in a line */
	{
		struct rules_error err;
		const char t[] = "-w /etc/hosts\n-w /etc/x\0y\n";

		assert_null(rules_parse_text(t, sizeof(t) - 1, "nul", &err));
		assert_int_equal(err.line, 2);
		assert_non_null(strstr(err.msg, "NUL"));
	}
}

static void test_field_limit(void **state)
{
	char text[4096];
	size_t n;
	struct rules_set *rs;

	(void)state;
	/* arch + 62 fields = 63, the most libaudit builds */
	n = (size_t)snprintf(text, sizeof(text),
			     "-a always,exit -F arch=b64 -S kill");
	for (int i = 0; i < 62; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, " -F a0!=%d",
				      i);
	rs = parse(text);
	assert_int_equal(rule(rs, 0)->field_count, 63);
	rules_set_free(rs);
	snprintf(text + n, sizeof(text) - n, " -F a1=1\n");
	expect_error(text, 1, "too many fields (max 63)");
	/* the key needs a field too */
	snprintf(text + n, sizeof(text) - n, " -k key\n");
	expect_error(text, 1, "too many fields");
}

static void test_long_lines(void **state)
{
	size_t len = 16384, n = 0;
	char *text = malloc(len + 64);
	struct rules_set *rs;
	struct rules_error err;

	(void)state;
	assert_non_null(text);
	n = (size_t)sprintf(text, "-a always,exit -F arch=b64");
	while (n + 8 <= len)
		n += (size_t)sprintf(text + n, " -S kill");
	while (n < len)
		text[n++] = ' ';
	text[n] = 0;
	rs = parse(text); /* exactly 16384 bytes */
	assert_true(sc(rule(rs, 0), X86_64_KILL));
	rules_set_free(rs);
	strcpy(text + n, " \n");
	assert_null(rules_parse_text(text, strlen(text), "long", &err));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(err.line, 1);
	assert_non_null(strstr(err.msg, "longer than 16384 bytes"));
	free(text);

	len = (4u << 20) + 1;
	text = malloc(len);
	assert_non_null(text);
	memset(text, '\n', len);
	assert_null(rules_parse_text(text, len, "huge", &err));
	assert_int_equal(errno, EFBIG);
	assert_int_equal(err.line, 0);
	free(text);
}

static void test_parse_file(void **state)
{
	char path[] = "/tmp/test_rules.XXXXXX", buf[600];
	const char text[] = "-w /etc/passwd -p wa -k identity\n"
			    "-a always,exit -F arch=b64 -S bogus\n";
	struct rules_error err;
	struct rules_set *rs;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, 33), 33);
	rs = rules_parse_file(path, &err);
	assert_non_null(rs);
	assert_int_equal(rules_count(rs), 1);
	assert_true(rules_is_watch_key(rs, "identity", 8));
	rules_set_free(rs);
	assert_int_equal(write(fd, text + 33, sizeof(text) - 34),
			 sizeof(text) - 34);
	close(fd);
	assert_null(rules_parse_file(path, &err));
	assert_int_equal(errno, EINVAL);
	assert_string_equal(err.origin, path);
	assert_int_equal(err.line, 2);
	rules_error_str(&err, buf, sizeof(buf));
	assert_non_null(strstr(buf, ": line 2: unknown syscall 'bogus'"));
	unlink(path);

	assert_null(rules_parse_file(path, &err));
	assert_int_equal(errno, ENOENT);
	assert_int_equal(err.line, 0);
	rules_error_str(&err, buf, sizeof(buf));
	assert_non_null(strstr(buf, "No such file"));
	assert_null(rules_parse_file("/tmp", &err));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err.msg, "not a regular file"));
}

static void test_keyset_lookup(void **state)
{
	struct rules_set *rs;
	const struct rules_keyset *ks;

	(void)state;
	rs = parse("-w /etc/a -k beta\n-w /etc/b -k alpha\n-w /etc/c -k alpha\n"
		   "-w /etc/d -k alphabet\n");
	ks = rules_watch_keys(rs);
	assert_int_equal(rules_keyset_count(ks), 3);
	assert_string_equal(rules_keyset_get(ks, 0), "alpha");
	assert_string_equal(rules_keyset_get(ks, 1), "alphabet");
	assert_string_equal(rules_keyset_get(ks, 2), "beta");
	/* key given by length, as it sits in a record */
	assert_true(rules_keyset_has(ks, "alphabet soup", 8));
	assert_true(rules_keyset_has(ks, "alphabet soup", 5));
	assert_false(rules_keyset_has(ks, "alphabet soup", 6));
	assert_false(rules_keyset_has(ks, "", 0));
	assert_false(rules_keyset_has(NULL, "alpha", 5));
	rules_set_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bundled_rules),
		cmocka_unit_test(test_bundled_rules_machines),
		cmocka_unit_test(test_arch_absent),
		cmocka_unit_test(test_empty_comments_crlf),
		cmocka_unit_test(test_delete_all_and_lists),
		cmocka_unit_test(test_arch_and_syscalls),
		cmocka_unit_test(test_operators),
		cmocka_unit_test(test_field_values),
		cmocka_unit_test(test_exe),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_watches),
		cmocka_unit_test(test_quotes_are_literal),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_field_limit),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_parse_file),
		cmocka_unit_test(test_keyset_lookup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
