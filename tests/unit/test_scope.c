/* Unit tests for netlink/scope: every class, each range at its edges. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "netlink/scope.h"

struct scope_case {
	const char *addr;
	enum scope want;
};

static void check(const struct scope_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t a[16];
		int family = strchr(c[i].addr, ':') ? AF_INET6 : AF_INET;

		assert_int_equal(inet_pton(family, c[i].addr, a), 1);
		enum scope got = scope_classify(family, a);

		if (got != c[i].want)
			fail_msg("%s: got %s, want %s", c[i].addr,
				 scope_name(got), scope_name(c[i].want));
	}
}

#define CHECK(cases) check((cases), sizeof(cases) / sizeof(*(cases)))

/* The first and last address of each block and the neighbours just
 * outside it: an off-by-one in a mask shows at one of them. */
static void test_ipv4(void **state)
{
	static const struct scope_case cases[] = {
		{ "0.0.0.0", SCOPE_UNSPECIFIED },
		{ "0.0.0.1", SCOPE_RESERVED },
		{ "0.255.255.255", SCOPE_RESERVED },
		{ "1.0.0.0", SCOPE_PUBLIC },
		{ "9.255.255.255", SCOPE_PUBLIC },
		{ "10.0.0.0", SCOPE_PRIVATE },
		{ "10.255.255.255", SCOPE_PRIVATE },
		{ "11.0.0.0", SCOPE_PUBLIC },
		{ "100.63.255.255", SCOPE_PUBLIC },
		{ "100.64.0.0", SCOPE_CGNAT },
		{ "100.127.255.255", SCOPE_CGNAT },
		{ "100.128.0.0", SCOPE_PUBLIC },
		{ "126.255.255.255", SCOPE_PUBLIC },
		{ "127.0.0.0", SCOPE_LOOPBACK },
		{ "127.0.0.1", SCOPE_LOOPBACK },
		{ "127.0.0.53", SCOPE_LOOPBACK },
		{ "127.200.0.7", SCOPE_LOOPBACK },
		{ "127.255.255.255", SCOPE_LOOPBACK },
		{ "128.0.0.0", SCOPE_PUBLIC },
		{ "169.253.255.255", SCOPE_PUBLIC },
		{ "169.254.0.0", SCOPE_LINK_LOCAL },
		{ "169.254.169.253", SCOPE_LINK_LOCAL },
		{ "169.254.169.254", SCOPE_METADATA },
		{ "169.254.169.255", SCOPE_LINK_LOCAL },
		{ "169.254.170.2", SCOPE_LINK_LOCAL },
		{ "169.254.255.255", SCOPE_LINK_LOCAL },
		{ "169.255.0.0", SCOPE_PUBLIC },
		{ "172.15.255.255", SCOPE_PUBLIC },
		{ "172.16.0.0", SCOPE_PRIVATE },
		{ "172.31.255.255", SCOPE_PRIVATE },
		{ "172.32.0.0", SCOPE_PUBLIC },
		{ "191.255.255.255", SCOPE_PUBLIC },
		{ "192.0.0.0", SCOPE_RESERVED },
		{ "192.0.0.8", SCOPE_RESERVED },
		{ "192.0.0.9", SCOPE_PUBLIC },
		{ "192.0.0.10", SCOPE_PUBLIC },
		{ "192.0.0.11", SCOPE_RESERVED },
		{ "192.0.0.255", SCOPE_RESERVED },
		{ "192.0.1.0", SCOPE_PUBLIC },
		{ "192.0.2.0", SCOPE_DOCUMENTATION },
		{ "192.0.2.255", SCOPE_DOCUMENTATION },
		{ "192.0.3.0", SCOPE_PUBLIC },
		{ "192.88.98.255", SCOPE_PUBLIC },
		{ "192.88.99.0", SCOPE_RESERVED },
		{ "192.88.99.255", SCOPE_RESERVED },
		{ "192.88.100.0", SCOPE_PUBLIC },
		{ "192.167.255.255", SCOPE_PUBLIC },
		{ "192.168.0.0", SCOPE_PRIVATE },
		{ "192.168.255.255", SCOPE_PRIVATE },
		{ "192.169.0.0", SCOPE_PUBLIC },
		{ "198.17.255.255", SCOPE_PUBLIC },
		{ "198.18.0.0", SCOPE_RESERVED },
		{ "198.19.255.255", SCOPE_RESERVED },
		{ "198.20.0.0", SCOPE_PUBLIC },
		{ "198.51.99.255", SCOPE_PUBLIC },
		{ "198.51.100.0", SCOPE_DOCUMENTATION },
		{ "198.51.100.255", SCOPE_DOCUMENTATION },
		{ "198.51.101.0", SCOPE_PUBLIC },
		{ "203.0.112.255", SCOPE_PUBLIC },
		{ "203.0.113.0", SCOPE_DOCUMENTATION },
		{ "203.0.113.255", SCOPE_DOCUMENTATION },
		{ "203.0.114.0", SCOPE_PUBLIC },
		{ "8.8.8.8", SCOPE_PUBLIC },
		{ "168.63.129.16", SCOPE_PUBLIC },
		{ "223.255.255.255", SCOPE_PUBLIC },
		{ "224.0.0.0", SCOPE_MULTICAST },
		{ "224.0.0.251", SCOPE_MULTICAST },
		{ "239.255.255.255", SCOPE_MULTICAST },
		{ "240.0.0.0", SCOPE_RESERVED },
		{ "255.255.255.254", SCOPE_RESERVED },
		{ "255.255.255.255", SCOPE_BROADCAST },
	};

	(void)state;
	CHECK(cases);
}

static void test_ipv6(void **state)
{
	static const struct scope_case cases[] = {
		{ "::", SCOPE_UNSPECIFIED },
		{ "::1", SCOPE_LOOPBACK },
		{ "::2", SCOPE_RESERVED },
		{ "::127.0.0.1", SCOPE_RESERVED }, /* IPv4-compatible */
		{ "::fffe:ffff:ffff", SCOPE_RESERVED },
		{ "100::", SCOPE_RESERVED }, /* discard-only */
		{ "1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", SCOPE_RESERVED },
		{ "2000::", SCOPE_PUBLIC },
		{ "2001::", SCOPE_PUBLIC }, /* Teredo */
		{ "2001:0:ffff:ffff:ffff:ffff:ffff:ffff", SCOPE_PUBLIC },
		{ "2001:1::", SCOPE_RESERVED },
		{ "2001:1::1", SCOPE_PUBLIC },
		{ "2001:1::2", SCOPE_PUBLIC },
		{ "2001:1::3", SCOPE_PUBLIC },
		{ "2001:1::4", SCOPE_RESERVED },
		{ "2001:2::", SCOPE_RESERVED }, /* benchmarking */
		{ "2001:3::", SCOPE_PUBLIC }, /* AMT */
		{ "2001:3:ffff:ffff:ffff:ffff:ffff:ffff", SCOPE_PUBLIC },
		{ "2001:4:112::", SCOPE_PUBLIC }, /* AS112-v6 */
		{ "2001:4:112:ffff:ffff:ffff:ffff:ffff", SCOPE_PUBLIC },
		{ "2001:4:113::", SCOPE_RESERVED },
		{ "2001:10::", SCOPE_RESERVED }, /* ORCHID, deprecated */
		{ "2001:1f:ffff:ffff:ffff:ffff:ffff:ffff", SCOPE_RESERVED },
		{ "2001:20::", SCOPE_PUBLIC }, /* ORCHIDv2 */
		{ "2001:2f:ffff:ffff:ffff:ffff:ffff:ffff", SCOPE_PUBLIC },
		{ "2001:30::", SCOPE_PUBLIC }, /* DRIP */
		{ "2001:3f:ffff:ffff:ffff:ffff:ffff:ffff", SCOPE_PUBLIC },
		{ "2001:40::", SCOPE_RESERVED },
		{ "2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", SCOPE_RESERVED },
		{ "2001:200::", SCOPE_PUBLIC },
		{ "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", SCOPE_PUBLIC },
		{ "2001:db8::", SCOPE_DOCUMENTATION },
		{ "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
		  SCOPE_DOCUMENTATION },
		{ "2001:db9::", SCOPE_PUBLIC },
		{ "2001:4860:4860::8888", SCOPE_PUBLIC },
		{ "2002:808:808::", SCOPE_PUBLIC }, /* 6to4 of 8.8.8.8 */
		{ "2002:a00:1::", SCOPE_RESERVED }, /* 6to4 of 10.0.0.1 */
		{ "2002:7f00:1::", SCOPE_RESERVED }, /* 6to4 of 127.0.0.1 */
		{ "2003::", SCOPE_PUBLIC },
		{ "2620:4f:8000::", SCOPE_PUBLIC },
		{ "3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", SCOPE_PUBLIC },
		{ "3fff::", SCOPE_DOCUMENTATION },
		{ "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff",
		  SCOPE_DOCUMENTATION },
		{ "3fff:1000::", SCOPE_PUBLIC },
		{ "3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", SCOPE_PUBLIC },
		{ "4000::", SCOPE_RESERVED },
		{ "5f00::", SCOPE_RESERVED }, /* SRv6 SIDs */
		{ "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", SCOPE_RESERVED },
		{ "fc00::", SCOPE_PRIVATE },
		{ "fd00::1", SCOPE_PRIVATE },
		{ "fd00:ec2::253", SCOPE_PRIVATE },
		{ "fd00:ec2::254", SCOPE_METADATA },
		{ "fd00:ec2::255", SCOPE_PRIVATE },
		{ "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", SCOPE_PRIVATE },
		{ "fe00::", SCOPE_RESERVED },
		{ "fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", SCOPE_RESERVED },
		{ "fe80::", SCOPE_LINK_LOCAL },
		{ "fe80::1", SCOPE_LINK_LOCAL },
		{ "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", SCOPE_LINK_LOCAL },
		{ "fec0::", SCOPE_PRIVATE }, /* site-local, deprecated */
		{ "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", SCOPE_PRIVATE },
		{ "ff00::", SCOPE_MULTICAST },
		{ "ff02::fb", SCOPE_MULTICAST },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", SCOPE_MULTICAST },
	};

	(void)state;
	CHECK(cases);
}

/* IPv4 inside IPv6: mapped is the IPv4 class; NAT64 and 6to4 reach only
 * global IPv4, so anything else through them is reserved. */
static void test_embedded(void **state)
{
	static const struct scope_case cases[] = {
		{ "::ffff:127.0.0.1", SCOPE_LOOPBACK },
		{ "::ffff:0.0.0.0", SCOPE_UNSPECIFIED },
		{ "::ffff:10.1.2.3", SCOPE_PRIVATE },
		{ "::ffff:169.254.169.254", SCOPE_METADATA },
		{ "::ffff:100.64.0.1", SCOPE_CGNAT },
		{ "::ffff:224.0.0.1", SCOPE_MULTICAST },
		{ "::ffff:255.255.255.255", SCOPE_BROADCAST },
		{ "::ffff:8.8.8.8", SCOPE_PUBLIC },
		{ "::fffe:8.8.8.8",
		  SCOPE_RESERVED }, /* not the mapped prefix */
		{ "::1:ffff:8.8.8.8", SCOPE_RESERVED },
		{ "64:ff9b::8.8.8.8", SCOPE_PUBLIC },
		{ "64:ff9b::127.0.0.1", SCOPE_RESERVED },
		{ "64:ff9b::192.168.1.1", SCOPE_RESERVED },
		{ "64:ff9b:1::", SCOPE_PRIVATE }, /* local-use NAT64 */
		{ "64:ff9b:1:ffff:ffff:ffff:ffff:ffff", SCOPE_PRIVATE },
		{ "64:ff9b:2::", SCOPE_RESERVED },
		{ "64:ff9a:ffff:ffff:ffff:ffff:ffff:ffff", SCOPE_RESERVED },
	};

	(void)state;
	CHECK(cases);
}

static void test_families(void **state)
{
	static const uint8_t a[16] = { 127, 0, 0, 1 };
	struct arec_sockaddr sa;

	(void)state;
	assert_int_equal(scope_classify(AF_UNIX, a), SCOPE_UNKNOWN);
	assert_int_equal(scope_classify(AF_INET, NULL), SCOPE_UNKNOWN);
	assert_int_equal(scope_classify(-1, a), SCOPE_UNKNOWN);
	assert_int_equal(scope_of_sockaddr(NULL), SCOPE_UNKNOWN);

	memset(&sa, 0, sizeof(sa));
	sa.family = AREC_AF_INET;
	memcpy(sa.addr, a, 4);
	assert_int_equal(scope_of_sockaddr(&sa), SCOPE_LOOPBACK);
	sa.family = AREC_AF_INET6; /* 7f00:1:: */
	assert_int_equal(scope_of_sockaddr(&sa), SCOPE_RESERVED);
	sa.family = AREC_AF_UNIX;
	assert_int_equal(scope_of_sockaddr(&sa), SCOPE_UNKNOWN);
}

static void test_names(void **state)
{
	static const char *const want[SCOPE_N] = {
		"unknown",   "unspecified", "loopback", "link-local",
		"metadata",  "private",	    "cgnat",	"documentation",
		"multicast", "broadcast",   "reserved", "public",
	};

	(void)state;
	for (int s = 0; s < SCOPE_N; s++)
		assert_string_equal(scope_name((enum scope)s), want[s]);
	assert_string_equal(scope_name((enum scope)SCOPE_N), "unknown");
	assert_string_equal(scope_name((enum scope) - 1), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_embedded),
		cmocka_unit_test(test_families),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
