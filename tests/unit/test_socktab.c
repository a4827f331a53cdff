/* Unit tests for netlink/socktab: classification, replacement, eviction. */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "netlink/socktab.h"

static void test_proto_of(void **state)
{
	static const struct {
		uint64_t family, type, protocol;
		enum socktab_proto want;
	} cases[] = {
		{ AF_INET, SOCK_STREAM, 0, SOCKTAB_TCP },
		{ AF_INET6, SOCK_STREAM, IPPROTO_TCP, SOCKTAB_TCP },
		{ AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
		  SOCKTAB_TCP },
		{ AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP,
		  SOCKTAB_TCP },
		{ AF_INET, SOCK_STREAM, 262, SOCKTAB_TCP }, /* MPTCP */
		{ AF_INET, SOCK_STREAM, IPPROTO_SCTP, SOCKTAB_OTHER },
		{ AF_INET, SOCK_STREAM, IPPROTO_UDP, SOCKTAB_OTHER },
		{ AF_INET, SOCK_DGRAM, 0, SOCKTAB_UDP },
		{ AF_INET6, SOCK_DGRAM, IPPROTO_UDP, SOCKTAB_UDP },
		{ AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
		  SOCKTAB_UDP },
		{ AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE, SOCKTAB_OTHER },
		{ AF_INET, SOCK_DGRAM, IPPROTO_ICMP, SOCKTAB_OTHER }, /* ping */
		{ AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6, SOCKTAB_OTHER },
		{ AF_INET, SOCK_DGRAM, IPPROTO_TCP, SOCKTAB_OTHER },
		{ AF_INET, SOCK_RAW, IPPROTO_TCP, SOCKTAB_OTHER },
		{ AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP, SOCKTAB_OTHER },
		{ AF_INET, 0, 0, SOCKTAB_OTHER },
		{ AF_UNIX, SOCK_STREAM, 0, SOCKTAB_OTHER },
		{ AF_NETLINK, SOCK_DGRAM, 0, SOCKTAB_OTHER },
		{ (uint64_t)AF_INET << 32 | AF_INET, SOCK_STREAM, 0,
		  SOCKTAB_OTHER },
		/* a type whose low bits are stream but with bits beyond the
		 * flags still names a stream socket to the kernel's mask */
		{ AF_INET, 0x10 | SOCK_STREAM, 0, SOCKTAB_TCP },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		enum socktab_proto got = socktab_proto_of(
			cases[i].family, cases[i].type, cases[i].protocol);

		if (got != cases[i].want)
			fail_msg("case %zu: got %s, want %s", i,
				 socktab_proto_name(got),
				 socktab_proto_name(cases[i].want));
	}
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(socktab_proto_name(SOCKTAB_UNKNOWN), "unknown");
	assert_string_equal(socktab_proto_name(SOCKTAB_TCP), "tcp");
	assert_string_equal(socktab_proto_name(SOCKTAB_UDP), "udp");
	assert_string_equal(socktab_proto_name(SOCKTAB_OTHER), "other");
	assert_string_equal(socktab_proto_name((enum socktab_proto)9), "unknow"
								       "n");
}

static void test_new(void **state)
{
	struct socktab *t;

	(void)state;
	errno = 0;
	assert_null(socktab_new(0));
	assert_int_equal(errno, EINVAL);
	assert_null(socktab_new((1u << 24) + 1));
	assert_int_equal(errno, EINVAL);
	t = socktab_new(1);
	assert_non_null(t);
	assert_int_equal(socktab_capacity(t), 4);
	socktab_free(t);
	t = socktab_new(5);
	assert_int_equal(socktab_capacity(t), 8);
	socktab_free(t);
	t = socktab_new(4096);
	assert_int_equal(socktab_capacity(t), 4096);
	socktab_free(t);
	socktab_free(NULL);
}

static void test_put_get(void **state)
{
	struct socktab *t = socktab_new(1024);

	(void)state;
	assert_int_equal(socktab_get(t, 10, 3), SOCKTAB_UNKNOWN);
	socktab_put(t, 10, 3, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	socktab_put(t, 10, 4, AF_INET6, SOCK_DGRAM, 0);
	socktab_put(t, 11, 3, AF_INET, SOCK_DGRAM, IPPROTO_UDP);
	assert_int_equal(socktab_get(t, 10, 3), SOCKTAB_TCP);
	assert_int_equal(socktab_get(t, 10, 4), SOCKTAB_UDP);
	assert_int_equal(socktab_get(t, 11, 3), SOCKTAB_UDP);
	assert_int_equal(socktab_get(t, 3, 10), SOCKTAB_UNKNOWN);
	assert_int_equal(socktab_get(t, 10, 5), SOCKTAB_UNKNOWN);

	/* fd reused by a new socket(): the newer one wins, no eviction */
	socktab_put(t, 10, 3, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(socktab_get(t, 10, 3), SOCKTAB_UDP);
	socktab_drop(t, 10, 3);
	assert_int_equal(socktab_get(t, 10, 3), SOCKTAB_UNKNOWN);
	socktab_drop(t, 10, 3); /* twice is harmless */
	assert_int_equal(socktab_get(t, 10, 4), SOCKTAB_UDP);
	assert_int_equal(socktab_evicted(t), 0);
	socktab_free(t);
}

/* One set of four: the fifth key evicts the oldest put, a re-put makes an
 * entry young again, a dropped way is reused before anything is evicted. */
static void test_eviction(void **state)
{
	struct socktab *t = socktab_new(4);

	(void)state;
	for (uint32_t fd = 1; fd <= 4; fd++)
		socktab_put(t, 100, fd, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(socktab_evicted(t), 0);
	socktab_put(t, 100, 1, AF_INET, SOCK_DGRAM, 0); /* 2 is now oldest */
	socktab_put(t, 100, 5, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(socktab_evicted(t), 1);
	assert_int_equal(socktab_get(t, 100, 2), SOCKTAB_UNKNOWN);
	assert_int_equal(socktab_get(t, 100, 1), SOCKTAB_UDP);
	assert_int_equal(socktab_get(t, 100, 3), SOCKTAB_TCP);
	assert_int_equal(socktab_get(t, 100, 4), SOCKTAB_TCP);
	assert_int_equal(socktab_get(t, 100, 5), SOCKTAB_TCP);

	socktab_drop(t, 100, 4);
	socktab_put(t, 100, 6, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(socktab_evicted(t), 1);
	assert_int_equal(socktab_get(t, 100, 3), SOCKTAB_TCP);

	socktab_put(t, 100, 7, AF_INET, SOCK_STREAM, 0); /* evicts 3 */
	assert_int_equal(socktab_evicted(t), 2);
	assert_int_equal(socktab_get(t, 100, 3), SOCKTAB_UNKNOWN);
	socktab_free(t);
}

/* A flood of sockets never grows the table: what it holds stays within
 * capacity and every put beyond it is one eviction. */
/* A bind keeps its socket()'s protocol; a bind without one reads unknown;
 * a new socket() on the same (pid, fd) forgets the old bind. */
static void test_bind_local(void **state)
{
	struct socktab *t = socktab_new(64);
	struct arec_sockaddr sa = { .family = AREC_AF_INET,
				    .port = 8080,
				    .addr = { 127, 0, 0, 2 } };
	struct socktab_local l;

	(void)state;
	assert_non_null(t);
	assert_false(socktab_local(t, 10, 3, &l));
	socktab_put(t, 10, 3, AF_INET, SOCK_DGRAM, 0);
	assert_false(socktab_local(t, 10, 3, &l));
	socktab_bind(t, 10, 3, &sa);
	assert_true(socktab_local(t, 10, 3, &l));
	assert_int_equal(l.family, AREC_AF_INET);
	assert_int_equal(l.port, 8080);
	assert_memory_equal(l.addr, sa.addr, 16);
	assert_int_equal(socktab_get(t, 10, 3), SOCKTAB_UDP);
	/* a bind never preceded by a socket() seen */
	sa.port = 9;
	socktab_bind(t, 11, 4, &sa);
	assert_int_equal(socktab_get(t, 11, 4), SOCKTAB_UNKNOWN);
	assert_true(socktab_local(t, 11, 4, &l));
	assert_int_equal(l.port, 9);
	/* the fd reused by a new socket: its old bind is gone */
	socktab_put(t, 10, 3, AF_INET6, SOCK_STREAM, 0);
	assert_false(socktab_local(t, 10, 3, &l));
	assert_int_equal(socktab_get(t, 10, 3), SOCKTAB_TCP);
	socktab_free(t);
}

static void test_bounded(void **state)
{
	struct socktab *t = socktab_new(256);
	unsigned held = 0;

	(void)state;
	for (uint32_t i = 0; i < 100000; i++)
		socktab_put(t, 1000 + i % 977, i, AF_INET, SOCK_STREAM, 0);
	for (uint32_t i = 0; i < 100000; i++)
		held += socktab_get(t, 1000 + i % 977, i) == SOCKTAB_TCP;
	assert_int_equal(socktab_capacity(t), 256);
	assert_true(held <= 256);
	assert_int_equal(socktab_evicted(t) + held, 100000);
	/* the most recent put is always there */
	assert_int_equal(socktab_get(t, 1000 + 99999 % 977, 99999),
			 SOCKTAB_TCP);
	socktab_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proto_of),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_new),
		cmocka_unit_test(test_put_get),
		cmocka_unit_test(test_eviction),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_bind_local),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
