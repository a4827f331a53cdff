/*
 * test_gzip: the exposition's pieces as gzip, in one stream and in two
 * halves deflated at once. Each output is inflated by zlib as gzip, which
 * checks the header, the CRC-32 and the length in the trailer, and must
 * give back the pieces' bytes exactly: empty, one byte, text shorter than
 * the 32 KiB window before the split, exposition-like text of 3 MB cut
 * into pieces of random sizes at odd places, and incompressible bytes;
 * and from a caller allowed on one core only, where the second half's
 * thread has no other core to start on.
 */
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "exporter/web/gzip.h"
#include "tests/unit/gunzip.h"

/* n bytes of exposition-like text (compressible) or random bytes. */
static char *make_text(size_t n, int random_bytes)
{
	char *t = malloc(n + 64);
	uint64_t x = 0x9e3779b97f4a7c15ull;
	size_t at = 0;

	assert_non_null(t);
	while (at < n) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		if (random_bytes)
			t[at++] = (char)x;
		else
			at += (size_t)sprintf(t + at,
					      "audit_connect_total{comm=\"p%"
					      "u\",uid=\"0\"} "
					      "%u\n",
					      (unsigned)(x % 10000),
					      (unsigned)(x >> 40));
	}
	return t;
}

/* The text as pieces of sizes from 1 to max at random. */
static void make_pieces(const char *t, size_t n, size_t max,
			struct expo_pieces *ps)
{
	uint64_t x = n + max;

	memset(ps, 0, sizeof(*ps));
	ps->cap = n + 1;
	ps->v = calloc(ps->cap, sizeof(*ps->v));
	assert_non_null(ps->v);
	for (size_t at = 0; at < n;) {
		size_t len;

		x = x * 6364136223846793005ull + 1442695040888963407ull;
		len = 1 + (size_t)(x >> 33) % max;
		len = len < n - at ? len : n - at;
		ps->v[ps->n++] = (struct expo_piece){ t + at, len };
		at += len;
	}
	ps->len = n;
}

/* gunzip of z must be exactly t. */
static void check_inflates_to(const char *z, size_t zlen, const char *t,
			      size_t n)
{
	char *out = malloc(n + 1);

	assert_non_null(out);
	assert_int_equal(gunzip(z, zlen, out, n + 1), n);
	assert_memory_equal(out, t, n);
	free(out);
}

static void check(size_t n, size_t max_piece, size_t split, int random_bytes)
{
	char *t = make_text(n, random_bytes);
	struct expo_pieces ps;
	size_t zlen = 0;
	char *z;

	make_pieces(t, n, max_piece, &ps);
	z = gzip_pieces_split(&ps, split, &zlen);
	assert_non_null(z);
	check_inflates_to(z, zlen, t, n);
	if (!random_bytes && n > 100000)
		assert_true(zlen < n / 4); /* the halves still compress */
	free(z);
	expo_pieces_free(&ps);
	free(t);
}

static void test_one_stream(void **state)
{
	(void)state;
	check(0, 1, 0, 0);
	check(1, 1, 0, 0);
	check(100000, 4096, 0, 0);
	check(100000, 4096, 0, 1);
}

static void test_two_halves(void **state)
{
	(void)state;
	check(2, 1, 1, 0); /* a byte each */
	check(1000, 7, 1, 0); /* the second's dictionary: under 32 KiB */
	check(3000000, 70000, 1, 0);
	check(3000000, 1, 1000000, 0); /* one-byte pieces */
	check(3000000, 100000, 1, 1);
}

/* The split of both halves with the default threshold gives the same
 * bytes back as one stream, and the dictionary keeps the halves about as
 * small as one stream. */
static void test_default_split(void **state)
{
	size_t n = 2 * GZIP_SPLIT + 12345, one = 0, two = 0;
	char *t = make_text(n, 0);
	struct expo_pieces ps;
	char *a, *b;

	(void)state;
	make_pieces(t, n, 50000, &ps);
	a = gzip_pieces_split(&ps, 0, &one);
	b = gzip_pieces(&ps, &two);
	assert_non_null(a);
	assert_non_null(b);
	check_inflates_to(a, one, t, n);
	check_inflates_to(b, two, t, n);
	assert_true(two < one + one / 100);
	free(a);
	free(b);
	expo_pieces_free(&ps);
	free(t);
}

static void test_caller_on_one_core(void **state)
{
	cpu_set_t all, one;
	int cpu = sched_getcpu();

	(void)state;
	assert_true(cpu >= 0);
	assert_int_equal(sched_getaffinity(0, sizeof(all), &all), 0);
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	check(3000000, 70000, 1, 0);
	assert_int_equal(sched_setaffinity(0, sizeof(all), &all), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_stream),
		cmocka_unit_test(test_two_halves),
		cmocka_unit_test(test_default_split),
		cmocka_unit_test(test_caller_on_one_core),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
