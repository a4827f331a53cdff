/* Unit tests for netlink/arec: headers, fields, value decoding, SOCKADDR. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <libaudit.h>

#include "netlink/arec.h"

#define LINE(s) s, sizeof(s) - 1

static void test_line_header(void **state)
{
	struct arec_hdr h;
	const char line[] = "type=SYSCALL msg=audit(1795259417.591:3): "
			    "arch=c000003e "
			    "syscall=42";

	(void)state;
	assert_int_equal(arec_parse_line(LINE(line), &h), 0);
	assert_int_equal(h.type, 1300);
	assert_int_equal(h.time_ms, 1795259417591LL);
	assert_int_equal(h.serial, 3);
	assert_null(h.node);
	assert_int_equal(h.body_len, strlen("arch=c000003e syscall=42"));
	assert_memory_equal(h.body, "arch=c000003e syscall=42", h.body_len);
}

static void test_line_node_and_unknown(void **state)
{
	struct arec_hdr h;

	(void)state;
	assert_int_equal(arec_parse_line(LINE("node=web-1 type=EOE "
					      "msg=audit(1.000:7): "),
					 &h),
			 0);
	assert_int_equal(h.type, 1320);
	assert_int_equal(h.node_len, 5);
	assert_memory_equal(h.node, "web-1", 5);
	assert_int_equal(h.body_len, 0);
	assert_int_equal(arec_parse_line(LINE("type=UNKNOWN[1334] "
					      "msg=audit(2.500:9): x=1"),
					 &h),
			 0);
	assert_int_equal(h.type, 1334);
	assert_int_equal(arec_parse_line(LINE("type=NOT_A_TYPE "
					      "msg=audit(2.500:9): x=1"),
					 &h),
			 0);
	assert_int_equal(h.type, 0);
	assert_int_equal(h.type_name_len, 10);
	/* serial at the top of the 32-bit range */
	assert_int_equal(arec_parse_line(LINE("type=EOE "
					      "msg=audit(2.500:4294967295): "),
					 &h),
			 0);
	assert_int_equal(h.serial, 4294967295u);
	/* trailing CR/LF are not part of the body */
	assert_int_equal(arec_parse_line(LINE("type=EOE msg=audit(2.500:9): "
					      "a=1\r\n"),
					 &h),
			 0);
	assert_int_equal(h.body_len, 3);
}

/* auditd 1.7 to 2.5 wrote its own records without the ':' after the
 * stamp; auparse reads them, and so do we. */
static void test_line_daemon_no_colon(void **state)
{
	static const char body[] = "auditd start, ver=2.4.5 format=raw "
				   "kernel=3.10.0 auid=4294967295 pid=812 "
				   "res=success";
	struct arec_hdr h;
	struct arec_iter it;
	struct arec_field f;
	bool res = false;

	(void)state;
	assert_int_equal(arec_parse_line(LINE("type=DAEMON_START "
					      "msg=audit(1500000000.250:4242) "
					      "auditd start, ver=2.4.5 "
					      "format=raw kernel=3.10.0 "
					      "auid=4294967295 pid=812 "
					      "res=success"),
					 &h),
			 0);
	assert_int_equal(h.type, AUDIT_DAEMON_START);
	assert_int_equal(h.time_ms, 1500000000250LL);
	assert_int_equal(h.serial, 4242);
	assert_int_equal(h.body_len, sizeof(body) - 1);
	assert_memory_equal(h.body, body, h.body_len);
	arec_iter_init(&it, h.body, h.body_len);
	while (arec_iter_next(&it, &f))
		if (AREC_NAME_IS(&f, "res"))
			res = f.value_len == 7 &&
			      !memcmp(f.value, "success", 7);
	assert_true(res);
	/* DAEMON_END and DAEMON_CONFIG, the stamp at the end of the line */
	assert_int_equal(arec_parse_line(LINE("type=DAEMON_END "
					      "msg=audit(1500000100.000:4243) "
					      "auditd normal halt"),
					 &h),
			 0);
	assert_int_equal(h.type, AUDIT_DAEMON_END);
	assert_int_equal(arec_parse_line(LINE("type=DAEMON_CONFIG "
					      "msg=audit(1500000100.000:4244)"),
					 &h),
			 0);
	assert_int_equal(h.serial, 4244);
	assert_int_equal(h.body_len, 0);
}

static void test_line_errors(void **state)
{
	struct arec_hdr h;
	static const char *const bad[] = {
		"",
		"garbage",
		"type=SYSCALL",
		"type=SYSCALL msg=",
		"type=SYSCALL msg=audit(",
		"type=SYSCALL msg=audit(12.34:5): x", /* ms must be 3 digits */
		"type=SYSCALL msg=audit(12.345): x", /* no serial */
		"type=SYSCALL msg=audit(12.345:): x", /* empty serial */
		"type=SYSCALL msg=audit(12.345:4294967296): x", /* > 32 bits */
		"type=SYSCALL msg=audit(99999999999999999999.345:1): x",
		"type=SYSCALL msg=audit(1.345:1)x", /* no colon, no space */
		"type=SYSCALL msg=audit(1.345:1);", /* not a colon */
		"type= msg=audit(1.345:1): x",
		"msg=audit(1.345:1): x", /* no type */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_true(arec_parse_line(bad[i], strlen(bad[i]), &h) < 0);
	assert_int_equal(
		arec_parse_line(LINE("type=EOE msg=audit(1.000:1): a\0b"), &h),
		AREC_E_NUL);
	assert_int_equal(arec_parse_line(LINE("msg=audit(1.345:1): x"), &h),
			 AREC_E_TYPE);
}

static void test_payload(void **state)
{
	struct arec_hdr h;
	/* the unicast socket: no type= prefix, maybe a trailing NUL */
	const char p[] = "audit(1795259417.591:4): saddr=0A00\0";

	(void)state;
	assert_int_equal(arec_parse_payload(1306, p, sizeof(p) - 1, &h), 0);
	assert_int_equal(h.type, 1306);
	assert_int_equal(h.serial, 4);
	assert_int_equal(h.body_len, strlen("saddr=0A00"));
	assert_int_equal(arec_parse_payload(1306, LINE("audit(1.1:1): x"), &h),
			 AREC_E_HEADER);
}

/* Collects fields as "name=value|" for easy comparison. */
static void fields(const char *body, char *out, size_t cap, unsigned *skipped)
{
	struct arec_iter it;
	struct arec_field f;
	size_t n = 0;

	arec_iter_init(&it, body, strlen(body));
	out[0] = 0;
	while (arec_iter_next(&it, &f))
		n += (size_t)snprintf(out + n, cap - n, "%.*s=%.*s%s|",
				      (int)f.name_len, f.name, (int)f.value_len,
				      f.value, f.quoted ? "(q)" : "");
	if (skipped)
		*skipped = it.skipped;
}

static void test_fields(void **state)
{
	char out[512];
	unsigned skipped;

	(void)state;
	fields("a=1 comm=\"nc\" key=(null)", out, sizeof(out), &skipped);
	assert_string_equal(out, "a=1|comm=nc(q)|key=(null)|");
	assert_int_equal(skipped, 0);
	/* userspace records: single-quoted msg holding its own fields */
	fields("pid=1 msg='op=login acct=\"root\" res=success'", out,
	       sizeof(out), NULL);
	assert_string_equal(out, "pid=1|msg=op=login acct=\"root\" "
				 "res=success(q)|");
	/* AVC: tokens that are not name=value are skipped and counted */
	fields("avc:  denied  { read } for  pid=5 comm=\"cat\"", out,
	       sizeof(out), &skipped);
	assert_string_equal(out, "pid=5|comm=cat(q)|");
	assert_int_equal(skipped, 6);
	/* ENRICHED format: interpreted fields after 0x1d are ignored */
	fields("uid=0 exit=0\x1d"
	       "UID=\"root\" ARCH=x86_64",
	       out, sizeof(out), NULL);
	assert_string_equal(out, "uid=0|exit=0|");
	/* edge cases: empty body, empty value, unterminated quote, =x */
	fields("", out, sizeof(out), NULL);
	assert_string_equal(out, "");
	fields("a= b=\"open", out, sizeof(out), NULL);
	assert_string_equal(out, "a=|b=open(q)|");
	fields("=x   y=2  ", out, sizeof(out), &skipped);
	assert_string_equal(out, "y=2|");
	assert_int_equal(skipped, 1);
}

static size_t decode(const char *body, char *out, size_t cap, bool *isnull)
{
	struct arec_iter it;
	struct arec_field f;

	arec_iter_init(&it, body, strlen(body));
	assert_true(arec_iter_next(&it, &f));
	return arec_decode_string(&f, out, cap, isnull);
}

static void test_decode_string(void **state)
{
	char out[64];
	bool isnull;
	size_t n;

	(void)state;
	n = decode("comm=\"nc\"", out, sizeof(out), &isnull);
	assert_int_equal(n, 2);
	assert_memory_equal(out, "nc", 2);
	assert_false(isnull);
	/* the kernel hex-encodes names with quotes, spaces, controls */
	n = decode("comm=6576226C7D20310A78", out, sizeof(out), NULL);
	assert_int_equal(n, 9);
	assert_memory_equal(out, "ev\"l} 1\nx", 9);
	/* lower case hex is accepted too */
	n = decode("name=2f746d70", out, sizeof(out), NULL);
	assert_memory_equal(out, "/tmp", 4);
	/* two rule keys joined by 0x01 */
	n = decode("key=6B31016B32", out, sizeof(out), NULL);
	assert_int_equal(n, 5);
	assert_memory_equal(out, "k1\x01k2", 5);
	n = decode("key=(null)", out, sizeof(out), &isnull);
	assert_int_equal(n, 0);
	assert_true(isnull);
	n = decode("tty=(none)", out, sizeof(out), &isnull);
	assert_true(isnull);
	/* not hex (odd length, or non-hex digits): taken as is */
	n = decode("x=ABC", out, sizeof(out), NULL);
	assert_int_equal(n, 3);
	assert_memory_equal(out, "ABC", 3);
	n = decode("x=ABCG", out, sizeof(out), NULL);
	assert_memory_equal(out, "ABCG", 4);
	/* truncation: the full length is returned, cap bytes written */
	memset(out, 'Z', sizeof(out));
	n = decode("x=41424344", out, 2, NULL);
	assert_int_equal(n, 4);
	assert_memory_equal(out, "ABZ", 3);
	n = decode("x=\"abcdef\"", out, 3, NULL);
	assert_int_equal(n, 6);
	assert_memory_equal(out, "abcZ", 4);
}

static void test_numbers(void **state)
{
	uint64_t u;
	int64_t i;

	(void)state;
	assert_int_equal(arec_u64_dec(LINE("18446744073709551615"), &u), 0);
	assert_true(u == UINT64_MAX);
	assert_int_not_equal(arec_u64_dec(LINE("18446744073709551616"), &u), 0);
	assert_int_not_equal(arec_u64_dec(LINE(""), &u), 0);
	assert_int_not_equal(arec_u64_dec(LINE("12a"), &u), 0);
	assert_int_equal(arec_u64_hex(LINE("c000003e"), &u), 0);
	assert_true(u == 0xc000003e);
	assert_int_equal(arec_u64_hex(LINE("FFFFFFFFFFFFFFFF"), &u), 0);
	assert_int_not_equal(arec_u64_hex(LINE("1FFFFFFFFFFFFFFFF"), &u), 0);
	assert_int_equal(arec_i64_dec(LINE("-115"), &i), 0);
	assert_int_equal(i, -115);
	assert_int_equal(arec_i64_dec(LINE("-9223372036854775808"), &i), 0);
	assert_true(i == INT64_MIN);
	assert_int_not_equal(arec_i64_dec(LINE("9223372036854775808"), &i), 0);
	assert_int_not_equal(arec_i64_dec(LINE("-"), &i), 0);
}

static void test_sockaddr(void **state)
{
	struct arec_sockaddr sa;
	static const uint8_t lo6[16] = { [15] = 1 };
	char hex[300];

	(void)state;
	assert_int_equal(arec_sockaddr_parse(LINE("020000097F000001000000000000"
						  "0000"),
					     false, &sa),
			 0);
	assert_int_equal(sa.family, AREC_AF_INET);
	assert_int_equal(sa.port, 9);
	assert_memory_equal(sa.addr, "\x7f\0\0\x01", 4);
	assert_int_equal(arec_sockaddr_parse(LINE("0A00000A00000000000000000000"
						  "000000000000000000010000000"
						  "0"),
					     false, &sa),
			 0);
	assert_int_equal(sa.family, AREC_AF_INET6);
	assert_int_equal(sa.port, 10);
	assert_memory_equal(sa.addr, lo6, 16);
	/* unix path socket "/tmp/sock" */
	assert_int_equal(arec_sockaddr_parse(LINE("01002F746D702F736F636B00"),
					     false, &sa),
			 0);
	assert_int_equal(sa.family, AREC_AF_UNIX);
	assert_false(sa.abstract);
	assert_int_equal(sa.path_len, 9);
	assert_memory_equal(sa.path, "/tmp/sock", 9);
	/* abstract: leading NUL, length-delimited */
	assert_int_equal(arec_sockaddr_parse(LINE("0100006162"), false, &sa),
			 0);
	assert_true(sa.abstract);
	assert_int_equal(sa.path_len, 2);
	assert_memory_equal(sa.path, "ab", 2);
	/* the longest unix address a sockaddr_storage can carry: bounded */
	strcpy(hex, "0100");
	for (int k = 0; k < 126; k++)
		strcat(hex, "41");
	assert_int_equal(arec_sockaddr_parse(hex, strlen(hex), false, &sa), 0);
	assert_int_equal(sa.path_len, sizeof(sa.path));
	/* netlink: pid 1000, groups 1 */
	assert_int_equal(arec_sockaddr_parse(LINE("10000000E803000001000000"),
					     false, &sa),
			 0);
	assert_int_equal(sa.family, AREC_AF_NETLINK);
	assert_int_equal(sa.nl_pid, 1000);
	assert_int_equal(sa.nl_groups, 1);
	/* AF_UNSPEC and unknown families are "other" */
	assert_int_equal(arec_sockaddr_parse(LINE("0000"), false, &sa), 0);
	assert_int_equal(sa.family, AREC_AF_OTHER);
	assert_int_equal(arec_sockaddr_parse(LINE("1D00AABB"), false, &sa), 0);
	assert_int_equal(sa.family, AREC_AF_OTHER);
	assert_int_equal(sa.raw_family, 29);
	/* malformed */
	assert_int_equal(arec_sockaddr_parse(LINE("0200000A7F"), false, &sa),
			 AREC_E_SOCKADDR);
	assert_int_equal(arec_sockaddr_parse(LINE("0A00000A"), false, &sa),
			 AREC_E_SOCKADDR);
	assert_int_equal(arec_sockaddr_parse(LINE("020"), false, &sa),
			 AREC_E_HEX);
	assert_int_equal(arec_sockaddr_parse(LINE("02ZZ"), false, &sa),
			 AREC_E_HEX);
	assert_int_equal(arec_sockaddr_parse(LINE(""), false, &sa), AREC_E_HEX);
	strcpy(hex, "0200");
	for (int k = 0; k < 127; k++)
		strcat(hex, "00");
	assert_int_equal(arec_sockaddr_parse(hex, strlen(hex), false, &sa),
			 AREC_E_HEX);
}

/*
 * The same addresses as a little-endian (x86_64, aarch64) and a big-endian
 * process (s390x, ppc64) passes them: sa_family, sin6_scope_id and
 * nl_pid/nl_groups are host order, so their bytes are swapped between the
 * two; port and address are network order on both, and a unix path is
 * bytes. Each must decode the same in its own order, and read in the other
 * order the family is not the same any more.
 */
static void test_sockaddr_byte_order(void **state)
{
	static const struct {
		const char *le, *be;
		enum arec_family family;
		uint16_t port;
		const char *addr; /* inet: 4 bytes, inet6: 16, unix: path */
		uint32_t scope_or_pid, groups;
		bool abstract;
	} cases[] = {
		{ .le = "020000097F0000010000000000000000",
		  .be = "000200097F0000010000000000000000",
		  .family = AREC_AF_INET,
		  .port = 9,
		  .addr = "\x7f\0\0\x01" },
		{ .le = "0A00000A0000000000000000000000000000000000000001"
			"03000000",
		  .be = "000A000A0000000000000000000000000000000000000001"
			"00000003",
		  .family = AREC_AF_INET6,
		  .port = 10,
		  .addr = "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01",
		  .scope_or_pid = 3 },
		{ .le = "01002F746D702F736F636B00",
		  .be = "00012F746D702F736F636B00",
		  .family = AREC_AF_UNIX,
		  .addr = "/tmp/sock" },
		{ .le = "0100006162",
		  .be = "0001006162",
		  .family = AREC_AF_UNIX,
		  .addr = "ab",
		  .abstract = true },
		{ .le = "10000000E803000001000000",
		  .be = "00100000000003E800000001",
		  .family = AREC_AF_NETLINK,
		  .addr = "",
		  .scope_or_pid = 1000,
		  .groups = 1 },
	};
	struct arec_sockaddr sa;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		for (int be = 0; be < 2; be++) {
			const char *hex = be ? cases[i].be : cases[i].le;

			assert_int_equal(arec_sockaddr_parse(hex, strlen(hex),
							     be, &sa),
					 0);
			assert_int_equal(sa.family, cases[i].family);
			switch (sa.family) {
			case AREC_AF_INET:
			case AREC_AF_INET6:
				assert_int_equal(sa.port, cases[i].port);
				assert_memory_equal(
					sa.addr, cases[i].addr,
					sa.family == AREC_AF_INET ? 4 : 16);
				assert_int_equal(sa.scope_id,
						 cases[i].scope_or_pid);
				break;
			case AREC_AF_UNIX:
				assert_int_equal(sa.abstract,
						 cases[i].abstract);
				assert_int_equal(sa.path_len,
						 strlen(cases[i].addr));
				assert_memory_equal(sa.path, cases[i].addr,
						    sa.path_len);
				break;
			default:
				assert_int_equal(sa.nl_pid,
						 cases[i].scope_or_pid);
				assert_int_equal(sa.nl_groups, cases[i].groups);
			}
			/* the other order: another family */
			assert_int_equal(arec_sockaddr_parse(hex, strlen(hex),
							     !be, &sa),
					 0);
			assert_int_equal(sa.family, AREC_AF_OTHER);
		}
	}
	/* AF_INET in big-endian order, too short */
	assert_int_equal(arec_sockaddr_parse(LINE("0002000A7F"), true, &sa),
			 AREC_E_SOCKADDR);
}

/* The byte order of an AUDIT_ARCH_* value (linux/audit.h). */
static void test_arch_byte_order(void **state)
{
	(void)state;
	assert_false(arec_arch_big_endian(0xc000003e)); /* x86_64 */
	assert_false(arec_arch_big_endian(0x40000003)); /* i386 */
	assert_false(arec_arch_big_endian(0xc00000b7)); /* aarch64 */
	assert_false(arec_arch_big_endian(0xc0000015)); /* ppc64le */
	assert_true(arec_arch_big_endian(0x80000015)); /* ppc64 */
	assert_true(arec_arch_big_endian(0x80000016)); /* s390x */
	assert_true(arec_arch_big_endian(0x16)); /* s390 */
	assert_false(arec_arch_big_endian(0)); /* no arch= */
}

static void test_err_names(void **state)
{
	(void)state;
	for (int e = 0; e > -AREC_NERR; e--)
		assert_string_not_equal(arec_err_name((enum arec_err)e), "unkno"
									 "wn");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_header),
		cmocka_unit_test(test_line_node_and_unknown),
		cmocka_unit_test(test_line_daemon_no_colon),
		cmocka_unit_test(test_line_errors),
		cmocka_unit_test(test_payload),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_decode_string),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_sockaddr),
		cmocka_unit_test(test_sockaddr_byte_order),
		cmocka_unit_test(test_arch_byte_order),
		cmocka_unit_test(test_err_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
