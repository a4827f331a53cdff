/*
 * test_hll: the static HyperLogLog. Accuracy within 4 standard errors at
 * 10^2 .. 10^6 distinct for p = 12 and 14 (single runs, fixed seeds),
 * near-exact small sets, registers bit-exact with a direct computation in
 * both forms and across promotion, the fold, merge (union, commutative,
 * idempotent, refusals) and the byte counts.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metrics/hll.h"
#include "tests/unit/items.h"

/* Registers computed straight from the definition. */
static void ref_registers(uint64_t seed, uint64_t n, unsigned p, uint8_t *out)
{
	uint64_t m = 1ull << p;

	memset(out, 0, m);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t h = item(seed, i);
		unsigned r = 1 + (unsigned)__builtin_ctzll((h >> p) |
							   (1ull << (64 - p)));

		if (r > out[h & (m - 1)])
			out[h & (m - 1)] = (uint8_t)r;
	}
}

static void fill(struct hll *h, uint64_t seed, uint64_t from, uint64_t to)
{
	for (uint64_t i = from; i < to; i++)
		hll_add(h, item(seed, i));
}

static void test_new_bounds(void **state)
{
	(void)state;
	errno = 0;
	assert_null(hll_new(3, 1));
	assert_int_equal(errno, EINVAL);
	assert_null(hll_new(19, 1));
	for (unsigned p = HLL_P_MIN; p <= HLL_P_MAX; p++) {
		struct hll *h = hll_new(p, 1);

		assert_non_null(h);
		assert_true(hll_estimate(h) == 0);
		assert_int_equal(hll_precision(h), p);
		hll_free(h);
	}
	hll_free(NULL);
}

static void check_accuracy(unsigned p, uint64_t seed)
{
	static const uint64_t sizes[] = { 100, 1000, 10000, 100000, 1000000 };
	double se = 1.04 / sqrt((double)(1u << p));
	struct hll *h = hll_new(p, 1);
	uint64_t done = 0;

	assert_non_null(h);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		double e;

		fill(h, seed, done, sizes[k]);
		done = sizes[k];
		e = hll_estimate(h);
		if (fabs(e - (double)done) > 4 * se * (double)done)
			fail_msg("p=%u n=%llu estimate %.1f beyond 4 SE", p,
				 (unsigned long long)done, e);
	}
	hll_free(h);
}

static void test_accuracy_p12(void **state)
{
	(void)state;
	check_accuracy(12, 1);
}

static void test_accuracy_p14(void **state)
{
	(void)state;
	check_accuracy(14, 2);
}

/* Small sets are near-exact in the sparse form: error <= 1 at 100. */
static void test_small_sets_exact(void **state)
{
	(void)state;
	for (unsigned p = 4; p <= 18; p += 2) {
		for (uint64_t seed = 0; seed < 50; seed++) {
			struct hll *h = hll_new(p < 12 ? 12 : p, 1);

			fill(h, seed, 0, 100);
			fill(h, seed, 0, 100); /* repeats change nothing */
			assert_true(hll_is_sparse(h));
			assert_true(fabs(hll_estimate(h) - 100) <= 1);
			hll_free(h);
		}
	}
}

/* Registers equal the definition in the sparse form, at promotion and in
 * the dense form; the dense estimate equals the one from the registers. */
static void test_registers_exact(void **state)
{
	static const uint64_t sizes[] = { 0, 1, 10, 767, 768, 769, 5000, 60000 };
	uint8_t *got = malloc(1 << 12), *want = malloc(1 << 12);

	(void)state;
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct hll *h = hll_new(12, 1);

		fill(h, 7, 0, sizes[k]);
		hll_registers(h, got);
		ref_registers(7, sizes[k], 12, want);
		assert_memory_equal(got, want, 1 << 12);
		assert_int_equal(hll_is_sparse(h), sizes[k] <= 768);
		if (!hll_is_sparse(h))
			assert_true(hll_estimate(h) ==
				    hll_estimate_registers(got, 12));
		hll_free(h);
	}
	free(got);
	free(want);
}

/* Every register position and every rank value survives the 6-bit
 * packing: hash = j | 1 << (p + r - 1) has index j and rank r. */
static void test_dense_packing(void **state)
{
	unsigned p = 10, m = 1u << p;
	struct hll *h = hll_new(p, 1);
	uint8_t out[1 << 10];

	(void)state;
	for (unsigned j = 0; j < m; j++) {
		unsigned r = 1 + (j * 7) % (65 - p);
		uint64_t hash = r == 65 - p ? j : (j | 1ull << (p + r - 1));

		hll_add(h, hash);
	}
	assert_false(hll_is_sparse(h));
	hll_registers(h, out);
	for (unsigned j = 0; j < m; j++)
		assert_int_equal(out[j], 1 + (j * 7) % (65 - p));
	hll_free(h);
}

static void test_fold(void **state)
{
	uint8_t *r14 = malloc(1 << 14), r8[256], want[256];

	(void)state;
	ref_registers(3, 50000, 14, r14);
	assert_int_equal(hll_fold(r14, 14, 8, r8), 0);
	ref_registers(3, 50000, 8, want);
	assert_memory_equal(r8, want, 256);
	assert_int_equal(hll_fold(r14, 14, 14, r14), 0); /* identity */
	assert_int_equal(hll_fold(r14, 8, 9, r8), -EINVAL);
	assert_int_equal(hll_fold(r14, 8, 0, r8), -EINVAL);
	/* Sparse words fold from p' = 25 the same way. */
	assert_int_equal(hll_fold_rank(0, 25, 14, 3), 14);
	assert_int_equal(hll_fold_rank(1u << 14, 25, 14, 3), 1);
	assert_int_equal(hll_fold_rank(1u << 20, 25, 14, 3), 7);
	assert_int_equal(hll_fold_rank(1u << 20, 25, 14, 0), 0);
	free(r14);
}

static void check_same_registers(const struct hll *a, const struct hll *b)
{
	unsigned m = 1u << hll_precision(a);
	uint8_t *ra = malloc(m), *rb = malloc(m);

	hll_registers(a, ra);
	hll_registers(b, rb);
	assert_memory_equal(ra, rb, m);
	free(ra);
	free(rb);
}

/* A = items [0, na), B = [shift, shift + nb): union known exactly. */
static void check_merge(unsigned p, uint64_t na, uint64_t shift, uint64_t nb)
{
	struct hll *a = hll_new(p, 9), *b = hll_new(p, 9);
	struct hll *ab = hll_new(p, 9), *ba = hll_new(p, 9);
	struct hll *all = hll_new(p, 9);
	double uni = (double)(shift + nb > na ? shift + nb : na);
	double se = 1.04 / sqrt((double)(1u << p));

	fill(a, 5, 0, na);
	fill(b, 5, shift, shift + nb);
	fill(all, 5, 0, (uint64_t)uni);
	assert_int_equal(hll_merge(ab, a), 0);
	assert_int_equal(hll_merge(ab, b), 0);
	assert_int_equal(hll_merge(ba, b), 0);
	assert_int_equal(hll_merge(ba, a), 0);
	check_same_registers(ab, ba);
	check_same_registers(ab, all);
	assert_true(fabs(hll_estimate(ab) - uni) <= 4 * se * uni + 1);
	assert_true(hll_estimate(ab) == hll_estimate(ba));
	/* Idempotent: merging a part again, or itself, changes nothing. */
	assert_int_equal(hll_merge(ab, a), 0);
	assert_int_equal(hll_merge(ab, ab), 0);
	check_same_registers(ab, ba);
	assert_true(hll_estimate(ab) == hll_estimate(ba));
	hll_free(a);
	hll_free(b);
	hll_free(ab);
	hll_free(ba);
	hll_free(all);
}

static void test_merge(void **state)
{
	(void)state;
	check_merge(12, 60, 30, 60); /* sparse + sparse */
	check_merge(12, 500, 250, 500); /* sparse + sparse -> dense */
	check_merge(12, 50, 25, 20000); /* sparse + dense */
	check_merge(12, 20000, 10000, 50); /* dense + sparse */
	check_merge(14, 100000, 50000, 100000);
}

static void test_merge_refuses(void **state)
{
	struct hll *a = hll_new(12, 1), *b = hll_new(14, 1);
	struct hll *c = hll_new(12, 2);

	(void)state;
	fill(a, 1, 0, 10);
	assert_int_equal(hll_merge(a, b), -EINVAL);
	assert_int_equal(hll_merge(a, c), -EINVAL);
	assert_true(fabs(hll_estimate(a) - 10) < 0.5);
	hll_free(a);
	hll_free(b);
	hll_free(c);
}

static void test_bytes(void **state)
{
	struct hll *h = hll_new(14, 1);
	size_t empty = hll_bytes(h);

	(void)state;
	fill(h, 1, 0, 100);
	assert_true(hll_bytes(h) <= empty + 100 * 4 * 5 / 4 + 64);
	fill(h, 1, 0, 20000);
	assert_int_equal(hll_bytes(h), empty + 12288);
	hll_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_bounds),
		cmocka_unit_test(test_accuracy_p12),
		cmocka_unit_test(test_accuracy_p14),
		cmocka_unit_test(test_small_sets_exact),
		cmocka_unit_test(test_registers_exact),
		cmocka_unit_test(test_dense_packing),
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_merge_refuses),
		cmocka_unit_test(test_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
