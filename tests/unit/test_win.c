/*
 * test_win: the sliding-window sketch.
 *
 *  - registers of every window equal, bit for bit, those of a static
 *    sketch fed exactly the items of that window, through random streams
 *    with repeats, out-of-order times, clock jumps, expiry and promotion,
 *    at several precisions (the sliding HyperLogLog loses nothing);
 *  - accuracy within 4 standard errors at 10^2 .. 10^6 distinct spread
 *    over 24h, for 5m/1h/24h windows, also after items leave windows and
 *    the horizon; error <= 1 at 100 distinct;
 *  - an estimate's until_ms: the answers hold up to it and, in the sparse
 *    form, change at it;
 *  - merge: union, commutative, idempotent, refusals;
 *  - memory: 1.5 KiB at 100 distinct, 100 KiB at 10^6 over 24h (p = 12),
 *    20,000 sketches of 50 destinations, no growth over time;
 *  - budget: the account holds win_sketch_bytes (in malloc's chunks) at
 *    every step, a refused
 *    charge fails the add and nothing passes the limit; a stream built to
 *    keep the most entries (descending ranks, gaps that need escapes)
 *    stays within win_sketch_max_bytes.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metrics/budget.h"
#include "metrics/hll.h"
#include "metrics/win.h"
#include "tests/unit/items.h"

#define MIN_MS (60 * INT64_C(1000))
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS (24 * HOUR_MS)
#define T0 INT64_C(1700000000000)

static double sq_se(unsigned p)
{
	return 1.04 / sqrt((double)(1u << p));
}

static void test_new_bounds(void **state)
{
	(void)state;
	errno = 0;
	assert_null(win_sketch_new(3, DAY_MS, 1));
	assert_int_equal(errno, EINVAL);
	assert_null(win_sketch_new(19, DAY_MS, 1));
	assert_null(win_sketch_new(12, 0, 1));
	assert_null(win_sketch_new(12, WIN_HORIZON_MAX + 1, 1));
	struct win_sketch *s = win_sketch_new(12, DAY_MS, 1);
	int64_t w = HOUR_MS;
	double e = -1;
	uint8_t r[16];

	assert_non_null(s);
	assert_true(win_sketch_newest(s) == INT64_MIN);
	win_sketch_estimate(s, T0, &w, 1, &e, NULL);
	assert_true(e == 0);
	assert_int_equal(win_sketch_registers(s, T0, w, 13, r), -EINVAL);
	assert_int_equal(win_sketch_registers(s, T0, w, 4, r), 0);
	win_sketch_expire(s, T0);
	win_sketch_free(s);
	win_sketch_free(NULL);
}

/* ---- the model: every item with its stamped time ------------------------ */

struct model {
	uint64_t *h;
	int64_t *t;
	uint8_t *live;
	size_t n, cap;
	int64_t newest;
	int64_t horizon;
};

static void model_add(struct model *md, uint64_t h, int64_t t)
{
	if (md->newest != INT64_MIN && t < md->newest)
		t = md->newest;
	if (md->n == md->cap) {
		md->cap = md->cap ? 2 * md->cap : 1024;
		md->h = realloc(md->h, md->cap * sizeof(*md->h));
		md->t = realloc(md->t, md->cap * sizeof(*md->t));
		md->live = realloc(md->live, md->cap);
	}
	md->h[md->n] = h;
	md->t[md->n] = t;
	md->live[md->n] = 1;
	md->n++;
	md->newest = t;
}

static void model_expire(struct model *md, int64_t now)
{
	int64_t clock, cut;

	if (md->newest == INT64_MIN)
		return;
	clock = now > md->newest ? now : md->newest;
	cut = clock - md->horizon;
	md->newest = INT64_MIN;
	for (size_t i = 0; i < md->n; i++) {
		if (md->t[i] <= cut)
			md->live[i] = 0;
		if (md->live[i] && md->t[i] > md->newest)
			md->newest = md->t[i];
	}
}

/* Registers of precision q of the live items in the window; also the
 * number of distinct 25-bit sparse indexes there (for linear counting). */
static uint64_t model_registers(const struct model *md, int64_t now, int64_t w,
				unsigned q, uint8_t *out)
{
	uint64_t mq = 1ull << q, distinct = 0;
	int64_t start;
	uint8_t *seen = calloc(1u << 22, 1);

	memset(out, 0, mq);
	if (md->newest == INT64_MIN)
		goto out;
	if (now < md->newest)
		now = md->newest;
	w = w < 0 ? 0 : w > md->horizon ? md->horizon : w;
	start = now - w;
	for (size_t i = 0; i < md->n; i++) {
		uint64_t h = md->h[i], idx = h & ((1u << 25) - 1);
		unsigned r;

		if (!md->live[i] || md->t[i] <= start || md->t[i] > now)
			continue;
		r = 1 +
		    (unsigned)__builtin_ctzll((h >> q) | (1ull << (64 - q)));
		if (r > out[h & (mq - 1)])
			out[h & (mq - 1)] = (uint8_t)r;
		if (!(seen[idx >> 3] & (1u << (idx & 7)))) {
			seen[idx >> 3] |= (uint8_t)(1u << (idx & 7));
			distinct++;
		}
	}
out:
	free(seen);
	return distinct;
}

static void model_free(struct model *md)
{
	free(md->h);
	free(md->t);
	free(md->live);
}

static uint64_t rng_next(uint64_t *st)
{
	*st += 1;
	return mix(*st);
}

static void check_against_model(const struct win_sketch *s,
				const struct model *md, unsigned p, int64_t now,
				int64_t w)
{
	unsigned m = 1u << p;
	uint8_t *got = malloc(m), *want = malloc(m);
	uint8_t got8[16], want8[16];
	uint64_t distinct = model_registers(md, now, w, p, want);
	double e, x;

	assert_int_equal(win_sketch_registers(s, now, w, p, got), 0);
	if (memcmp(got, want, m) != 0)
		fail_msg("p=%u now=%lld w=%lld: registers differ", p,
			 (long long)now, (long long)w);
	model_registers(md, now, w, 4, want8);
	assert_int_equal(win_sketch_registers(s, now, w, 4, got8), 0);
	assert_memory_equal(got8, want8, 16);
	win_sketch_estimate(s, now, &w, 1, &e, NULL);
	if (win_sketch_is_sparse(s))
		x = hll_linear_count(ldexp(1, 25), ldexp(1, 25) - distinct);
	else
		x = hll_estimate_registers(want, p);
	if (e != x)
		fail_msg("p=%u now=%lld w=%lld: estimate %f, want %f", p,
			 (long long)now, (long long)w, e, x);
	free(got);
	free(want);
}

/* Random streams: a pool of items (so repeats), time steps mostly small,
 * some out of order, some jumps past the horizon; expiry now and then. */
static void run_random(unsigned p, int64_t horizon, uint64_t pool,
		       unsigned steps, uint64_t seed)
{
	struct win_sketch *s = win_sketch_new(p, horizon, 1);
	struct model md = { .newest = INT64_MIN, .horizon = horizon };
	int64_t t = T0;
	uint64_t st = seed;

	assert_non_null(s);
	for (unsigned i = 0; i < steps; i++) {
		uint64_t r = rng_next(&st), h = item(seed, r % pool);
		int64_t at = t;

		switch ((r >> 32) % 64) {
		case 0:
			t += horizon + (int64_t)((r >> 40) % (uint64_t)horizon);
			break;
		case 1:
		case 2:
			at = t - (int64_t)((r >> 40) % 20);
			break;
		case 3:
			t += (int64_t)((r >> 40) % (uint64_t)(horizon / 2 + 1));
			break;
		default:
			t += (int64_t)((r >> 40) % 8);
		}
		win_sketch_add(s, h, at);
		model_add(&md, h, at);
		assert_true(win_sketch_newest(s) == md.newest);
		if ((r >> 20) % 997 == 0) {
			int64_t now =
				t + (int64_t)((r >> 8) % (uint64_t)horizon);

			win_sketch_expire(s, now);
			model_expire(&md, now);
			assert_true(win_sketch_newest(s) == md.newest);
		}
		if (i % 499 == 0) {
			int64_t w = (int64_t)((r >> 12) %
					      (uint64_t)(horizon * 3 / 2)) -
				    5;
			int64_t now = t + (int64_t)((r >> 4) % 50) - 25;

			check_against_model(s, &md, p, now, w);
			check_against_model(s, &md, p, now, horizon);
		}
	}
	model_free(&md);
	win_sketch_free(s);
}

static void test_registers_match_model(void **state)
{
	(void)state;
	run_random(12, 10000, 300, 20000, 1); /* stays sparse */
	run_random(12, 10000, 5000, 40000, 2); /* promotes */
	run_random(4, 2000, 1000, 20000, 3); /* tiny m: dense at once */
	run_random(8, 60000, 100000, 40000, 4); /* all distinct */
	run_random(18, 5000, 3000, 30000, 5); /* 8-bit deltas: escapes */
	run_random(14, 100000, 20000, 40000, 6);
}

/* ---- accuracy ----------------------------------------------------------- */

static const int64_t windows[3] = { 5 * MIN_MS, HOUR_MS, DAY_MS };

/* n distinct items evenly over [T0, T0 + 24h); item i at T0 + i*24h/n. */
static int64_t even_time(uint64_t i, uint64_t n)
{
	return T0 + (int64_t)((double)i * (double)DAY_MS / (double)n);
}

static double exact_even(uint64_t n, int64_t now, int64_t w)
{
	uint64_t c = 0;

	for (uint64_t i = 0; i < n; i++) {
		int64_t t = even_time(i, n);

		c += t > now - w && t <= now;
	}
	return (double)c;
}

static void check_windows(const struct win_sketch *s, unsigned p, uint64_t n,
			  int64_t now, const char *what)
{
	double e[3];

	win_sketch_estimate(s, now, windows, 3, e, NULL);
	for (int k = 0; k < 3; k++) {
		double x = exact_even(n, now, windows[k]);
		double tol = 4 * sq_se(p) * x + (x < 1000 ? 1 : 0);

		if (fabs(e[k] - x) > tol)
			fail_msg("p=%u n=%llu %s window %lld: %.2f vs exact "
				 "%.0f",
				 p, (unsigned long long)n, what,
				 (long long)windows[k], e[k], x);
	}
}

static void check_accuracy(unsigned p, uint64_t n, uint64_t seed)
{
	struct win_sketch *s = win_sketch_new(p, DAY_MS, 1);
	struct win_sketch *fresh;
	int64_t end = even_time(n - 1, n);

	for (uint64_t i = 0; i < n; i++)
		win_sketch_add(s, item(seed, i), even_time(i, n));
	check_windows(s, p, n, end, "full");
	/* 30 min later, nothing new: the 5m window is empty, the others
	 * have lost their oldest items. */
	check_windows(s, p, n, end + 30 * MIN_MS, "+30m");
	win_sketch_expire(s, end + 30 * MIN_MS);
	check_windows(s, p, n, end + 30 * MIN_MS, "+30m expired");
	check_windows(s, p, n, end + 23 * HOUR_MS, "+23h");
	win_sketch_expire(s, end + 25 * HOUR_MS);
	check_windows(s, p, n, end + 25 * HOUR_MS, "+25h");
	assert_true(win_sketch_newest(s) == INT64_MIN);
	/* empty again: no bigger than a sketch that never saw an item */
	fresh = win_sketch_new(p, DAY_MS, 1);
	assert_true(win_sketch_bytes(s) <= win_sketch_bytes(fresh));
	win_sketch_free(fresh);
	win_sketch_free(s);
}

static void test_accuracy_p12(void **state)
{
	(void)state;
	for (uint64_t n = 100; n <= 1000000; n *= 10)
		check_accuracy(12, n, n);
}

static void test_accuracy_p14(void **state)
{
	(void)state;
	for (uint64_t n = 100; n <= 1000000; n *= 10)
		check_accuracy(14, n, n + 1);
}

/* 100 distinct: every window within 1, for many seeds, with repeats. */
static void test_small_sets_exact(void **state)
{
	(void)state;
	for (uint64_t seed = 0; seed < 100; seed++) {
		struct win_sketch *s = win_sketch_new(12, DAY_MS, 1);
		int64_t ws[4] = { MIN_MS, 5 * MIN_MS, HOUR_MS, DAY_MS };
		double e[4];

		for (uint64_t i = 0; i < 100; i++) {
			win_sketch_add(s, item(seed, i),
				       T0 + (int64_t)i * 1000);
			win_sketch_add(s, item(seed, i / 2),
				       T0 + (int64_t)i * 1000);
		}
		assert_true(win_sketch_is_sparse(s));
		win_sketch_estimate(s, T0 + 99 * 1000, ws, 4, e, NULL);
		/* (39 s, 99 s]: items 50..99 at their own second > 39, and
		 * items 20..49 last seen at second 2k + 1 > 39: 80. */
		assert_true(fabs(e[0] - 80) <= 1);
		assert_true(fabs(e[1] - 100) <= 1);
		assert_true(fabs(e[2] - 100) <= 1);
		assert_true(fabs(e[3] - 100) <= 1);
		win_sketch_free(s);
	}
}

/* An event a few ms older than the newest is stamped at the newest. */
static void test_out_of_order(void **state)
{
	struct win_sketch *s = win_sketch_new(12, DAY_MS, 1);
	int64_t w = 5;
	double e;

	(void)state;
	win_sketch_add(s, item(1, 1), T0 + 1000);
	win_sketch_add(s, item(1, 2), T0 + 990);
	assert_true(win_sketch_newest(s) == T0 + 1000);
	win_sketch_estimate(s, T0 + 1000, &w, 1, &e, NULL);
	assert_true(fabs(e - 2) < 0.01);
	/* A query before the newest item is answered as of the newest. */
	win_sketch_estimate(s, T0 + 900, &w, 1, &e, NULL);
	assert_true(fabs(e - 2) < 0.01);
	win_sketch_estimate(s, T0 + 1005, &w, 1, &e, NULL);
	assert_true(e == 0);
	win_sketch_free(s);
}

/* ---- merge -------------------------------------------------------------- */

static void check_merge(unsigned p, uint64_t na, uint64_t shift, uint64_t nb)
{
	struct win_sketch *a = win_sketch_new(p, DAY_MS, 7);
	struct win_sketch *b = win_sketch_new(p, DAY_MS, 7);
	struct win_sketch *ab = win_sketch_new(p, DAY_MS, 7);
	struct win_sketch *ba = win_sketch_new(p, DAY_MS, 7);
	uint64_t uni = shift + nb > na ? shift + nb : na;
	int64_t now = T0 + DAY_MS;
	double eab[3], eba[3], e2[3];

	/* Item i lives at the same time on both sides: a single stream of
	 * uni items split between two hosts. */
	for (uint64_t i = 0; i < na; i++)
		win_sketch_add(a, item(3, i), even_time(i, uni));
	for (uint64_t i = shift; i < shift + nb; i++)
		win_sketch_add(b, item(3, i), even_time(i, uni));
	assert_int_equal(win_sketch_merge(ab, a), 0);
	assert_int_equal(win_sketch_merge(ab, b), 0);
	assert_int_equal(win_sketch_merge(ba, b), 0);
	assert_int_equal(win_sketch_merge(ba, a), 0);
	win_sketch_estimate(ab, now, windows, 3, eab, NULL);
	win_sketch_estimate(ba, now, windows, 3, eba, NULL);
	for (int k = 0; k < 3; k++) {
		double x = exact_even(uni, now, windows[k]);

		assert_true(eab[k] == eba[k]);
		if (fabs(eab[k] - x) > 4 * sq_se(p) * x + 1)
			fail_msg("merge p=%u window %lld: %.1f vs %.0f", p,
				 (long long)windows[k], eab[k], x);
	}
	/* Idempotent. */
	assert_int_equal(win_sketch_merge(ab, a), 0);
	assert_int_equal(win_sketch_merge(ab, ab), 0);
	win_sketch_estimate(ab, now, windows, 3, e2, NULL);
	assert_memory_equal(e2, eab, sizeof(e2));
	win_sketch_free(a);
	win_sketch_free(b);
	win_sketch_free(ab);
	win_sketch_free(ba);
}

/* until_ms from estimate: answers equal at every now before it (checked at
 * random points and just before it), and, in the sparse form, where each
 * counted register's time is one of its items, differ at it. Sketches of
 * 100 (sparse) and 5,000 (dense) items over two hours, queried from the
 * newest item to past the horizon. */
static void check_until(unsigned n, int want_sparse)
{
	static const int64_t ws[3] = { 5 * MIN_MS, HOUR_MS, DAY_MS };
	struct win_sketch *s = win_sketch_new(12, DAY_MS, 1);
	int64_t t = T0, until, prev = INT64_MIN;
	double e[3], e2[3];
	unsigned changes = 0;

	assert_non_null(s);
	for (unsigned i = 0; i < n; i++) {
		t += (int64_t)(mix(i) % (2 * 2 * HOUR_MS / n)) + 1;
		win_sketch_add(s, item(7, i), t);
	}
	assert_int_equal(win_sketch_is_sparse(s), want_sparse);
	for (int64_t now = t;; now = until) {
		win_sketch_estimate(s, now, ws, 3, e, &until);
		assert_true(until > now);
		if (until == INT64_MAX)
			break;
		for (unsigned k = 0; k < 4; k++) {
			int64_t at =
				k ? now + (int64_t)(mix(k ^ (uint64_t)now) %
						    (uint64_t)(until - now))
				  : until - 1;

			win_sketch_estimate(s, at, ws, 3, e2, NULL);
			assert_memory_equal(e, e2, sizeof(e));
		}
		win_sketch_estimate(s, until, ws, 3, e2, NULL);
		if (want_sparse)
			assert_memory_not_equal(e, e2, sizeof(e));
		changes += memcmp(e, e2, sizeof(e)) != 0;
		assert_true(until > prev);
		prev = until;
	}
	/* the newest item left the longest window last */
	assert_true(prev == t + DAY_MS);
	assert_true(e[0] == 0 && e[1] == 0 && e[2] == 0);
	assert_true(changes > n / 2);
	win_sketch_free(s);
}

static void test_estimate_until(void **state)
{
	struct win_sketch *s = win_sketch_new(12, HOUR_MS, 1);
	int64_t w[2] = { 0, 2 * HOUR_MS }, until = 0;
	double e[2];

	(void)state;
	/* an empty sketch and a window of 0 never change on their own */
	win_sketch_estimate(s, T0, w, 1, e, &until);
	assert_true(e[0] == 0 && until == INT64_MAX);
	win_sketch_add(s, item(1, 1), T0);
	win_sketch_estimate(s, T0, w, 1, e, &until);
	assert_true(until == INT64_MAX);
	/* a window past the horizon ends with the horizon */
	win_sketch_estimate(s, T0, w, 2, e, &until);
	assert_true(fabs(e[1] - 1) < 0.01 && until == T0 + HOUR_MS);
	win_sketch_free(s);
	check_until(100, 1);
	check_until(5000, 0);
}

static void test_merge(void **state)
{
	(void)state;
	check_merge(12, 60, 30, 60); /* sparse + sparse */
	check_merge(12, 300, 150, 300); /* sparse + sparse -> dense */
	check_merge(12, 50, 25, 50000); /* sparse + dense */
	check_merge(12, 50000, 25000, 50); /* dense + sparse */
	check_merge(14, 200000, 100000, 200000); /* dense + dense */
}

/* Merged registers equal those of one sketch fed everything. */
static void test_merge_registers(void **state)
{
	struct win_sketch *a = win_sketch_new(10, HOUR_MS, 7);
	struct win_sketch *b = win_sketch_new(10, HOUR_MS, 7);
	struct win_sketch *all = win_sketch_new(10, HOUR_MS, 7);
	uint8_t ra[1024], rb[1024];
	uint64_t st = 9;

	(void)state;
	for (int i = 0; i < 30000; i++) {
		uint64_t r = rng_next(&st), h = item(4, r % 8000);
		int64_t t = T0 + i * 300;

		win_sketch_add(r & 1 ? a : b, h, t);
		win_sketch_add(all, h, t);
	}
	assert_int_equal(win_sketch_merge(a, b), 0);
	for (int64_t w = 1; w <= HOUR_MS; w = w * 3 + 7) {
		win_sketch_registers(a, T0 + 30000 * 300, w, 10, ra);
		win_sketch_registers(all, T0 + 30000 * 300, w, 10, rb);
		assert_memory_equal(ra, rb, sizeof(ra));
	}
	win_sketch_free(a);
	win_sketch_free(b);
	win_sketch_free(all);
}

static void test_merge_refuses(void **state)
{
	struct win_sketch *a = win_sketch_new(12, DAY_MS, 1);
	struct win_sketch *b = win_sketch_new(14, DAY_MS, 1);
	struct win_sketch *c = win_sketch_new(12, HOUR_MS, 1);
	struct win_sketch *d = win_sketch_new(12, DAY_MS, 2);

	(void)state;
	win_sketch_add(b, 1, T0);
	win_sketch_add(c, 1, T0);
	win_sketch_add(d, 1, T0);
	assert_int_equal(win_sketch_merge(a, b), -EINVAL);
	assert_int_equal(win_sketch_merge(a, c), -EINVAL);
	assert_int_equal(win_sketch_merge(a, d), -EINVAL);
	assert_true(win_sketch_newest(a) == INT64_MIN);
	win_sketch_free(a);
	win_sketch_free(b);
	win_sketch_free(c);
	win_sketch_free(d);
}

/* ---- memory ------------------------------------------------------------- */

static size_t bytes_after(unsigned p, uint64_t n)
{
	struct win_sketch *s = win_sketch_new(p, DAY_MS, 1);
	size_t b;

	for (uint64_t i = 0; i < n; i++)
		win_sketch_add(s, item(11, i), even_time(i, n));
	b = win_sketch_bytes(s);
	win_sketch_free(s);
	return b;
}

static void test_memory_targets(void **state)
{
	size_t b100 = bytes_after(12, 100), b1m = bytes_after(12, 1000000);

	(void)state;
	print_message("p=12, 24h: %zu bytes at 100 distinct, %zu at 10^6\n",
		      b100, b1m);
	assert_true(b100 <= 1536);
	assert_true(b1m <= 100 * 1024);
}

/* 20,000 label sets of 50 destinations each, every destination seen 10
 * times over the day: far inside the exporter's 256 MiB. */
static void test_memory_many_small(void **state)
{
	enum { SETS = 20000, DESTS = 50 };
	struct win_sketch **s = calloc(SETS, sizeof(*s));
	size_t total = 0;

	(void)state;
	for (int i = 0; i < SETS; i++)
		s[i] = win_sketch_new(12, DAY_MS, 1);
	for (int rep = 0; rep < 10; rep++)
		for (int i = 0; i < SETS; i++)
			for (int d = 0; d < DESTS; d++)
				win_sketch_add(
					s[i], item((uint64_t)i, (uint64_t)d),
					T0 + rep * 2 * HOUR_MS + d * 1000);
	for (int i = 0; i < SETS; i++) {
		total += win_sketch_bytes(s[i]);
		win_sketch_free(s[i]);
	}
	free(s);
	print_message("20000 sketches x 50 destinations: %zu bytes (%.1f "
		      "MiB)\n",
		      total, (double)total / (1 << 20));
	assert_true(total <= 32u << 20);
}

/* Ten days of 2 new destinations a second (about 173k a day), with and
 * without expire calls: memory levels off after the first day. */
static void test_memory_bounded_over_time(void **state)
{
	(void)state;
	for (int use_expire = 0; use_expire < 2; use_expire++) {
		struct win_sketch *s = win_sketch_new(12, DAY_MS, 1);
		size_t day1 = 0, later = 0;
		uint64_t i = 0;

		for (int64_t t = T0; t < T0 + 10 * DAY_MS; t += 500, i++) {
			win_sketch_add(s, item(5, i), t);
			if (use_expire && i % 7200 == 0)
				win_sketch_expire(s, t);
			if (t < T0 + DAY_MS) {
				if (win_sketch_bytes(s) > day1)
					day1 = win_sketch_bytes(s);
			} else if (win_sketch_bytes(s) > later) {
				later = win_sketch_bytes(s);
			}
		}
		print_message("max bytes day 1: %zu, days 2-10: %zu\n", day1,
			      later);
		assert_true(later <= day1 * 5 / 4);
		win_sketch_free(s);
	}
}

/* A hash whose register at precision p is j and whose rank is r. */
static uint64_t hash_of(unsigned p, uint32_t j, unsigned r)
{
	return r > 64 - p ? j : j | UINT64_C(1) << (p + r - 1);
}

static void test_budget_account(void **state)
{
	struct budget *b = budget_new(16384);
	struct budget_acct acct = { b, BUDGET_SKETCHES, false };
	struct win_sketch *s = win_sketch_new_in(12, DAY_MS, 1, &acct);
	unsigned refused = 0, i;

	(void)state;
	assert_non_null(s);
	for (i = 0; i < 100000; i++) {
		int rc = win_sketch_add(s, item(3, i), T0 + i * 100);

		assert_true(rc == 0 || rc == -ENOMEM || rc == -ENOBUFS);
		refused += rc < 0;
		assert_true(budget_used(b, BUDGET_SKETCHES) >=
			    win_sketch_bytes(s));
		/* two chunks' headers and rounding */
		assert_true(budget_used(b, BUDGET_SKETCHES) <=
			    win_sketch_bytes(s) + 64);
		assert_true(budget_used(b, BUDGET_SKETCHES) <= 16384);
	}
	assert_true(refused > 0);
	/* a full log the budget keeps from growing compacts (and asks to
	 * grow) about once per n/4 refused adds, not at each: 102 refits for
	 * 94,409 refused adds of a 3,700-word log here, against one per add
	 * without the back-off */
	assert_true(budget_refused(b, BUDGET_SKETCHES) > 0);
	assert_true(budget_refused(b, BUDGET_SKETCHES) <= refused / 100);
	/* what it holds still answers */
	{
		int64_t w = DAY_MS;
		double v;

		win_sketch_estimate(s, T0 + i * 100, &w, 1, &v, NULL);
		assert_false(isnan(v));
		assert_true(v > 0);
	}
	/* expiry gives the room back */
	win_sketch_expire(s, T0 + 2 * DAY_MS + i * 100);
	assert_true(budget_used(b, BUDGET_SKETCHES) <=
		    win_sketch_bytes(s) + 64);
	assert_int_equal(win_sketch_add(s, 1, T0 + 3 * DAY_MS), 0);
	win_sketch_free(s);
	assert_int_equal(budget_used(b, BUDGET_SKETCHES), 0);
	/* a struct the budget cannot have is not made */
	b = (budget_free(b), budget_new(8));
	acct.b = b;
	assert_null(win_sketch_new_in(12, DAY_MS, 1, &acct));
	budget_free(b);
}

/* The worst a chosen stream can do: in every round each register gets
 * every rank from the highest down (each one survives compaction), with
 * gaps that need an escape word, at the longest horizon. */
static void test_max_bytes(void **state)
{
	static const unsigned ps[] = { 4, 6 };

	(void)state;
	for (size_t k = 0; k < 2; k++) {
		unsigned p = ps[k], m = 1u << p;
		struct win_sketch *s = win_sketch_new(p, WIN_HORIZON_MAX, 1);
		size_t peak = 0;
		int64_t t = T0;

		for (unsigned round = 0; round < 3; round++)
			for (unsigned r = 65 - p; r >= 1; r--)
				for (uint32_t j = 0; j < m; j++) {
					assert_int_equal(
						win_sketch_add(
							s, hash_of(p, j, r), t),
						0);
					t += (j & 1) ? 1
						     : (INT64_C(1)
							<< (26 - p)) +
							       1;
					if (win_sketch_bytes(s) > peak)
						peak = win_sketch_bytes(s);
				}
		print_message("p = %u: peak %zu bytes, bound %zu\n", p, peak,
			      win_sketch_max_bytes(p));
		assert_true(peak <= win_sketch_max_bytes(p));
		/* and the stream did come near it: the bound is not slack */
		assert_true(peak * 4 > win_sketch_max_bytes(p));
		win_sketch_free(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_bounds),
		cmocka_unit_test(test_registers_match_model),
		cmocka_unit_test(test_accuracy_p12),
		cmocka_unit_test(test_accuracy_p14),
		cmocka_unit_test(test_small_sets_exact),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_estimate_until),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_merge_registers),
		cmocka_unit_test(test_merge_refuses),
		cmocka_unit_test(test_memory_targets),
		cmocka_unit_test(test_memory_many_small),
		cmocka_unit_test(test_memory_bounded_over_time),
		cmocka_unit_test(test_budget_account),
		cmocka_unit_test(test_max_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
