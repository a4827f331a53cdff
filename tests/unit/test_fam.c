/* Unit tests for metrics/fam: label sets, caps and folding, sweeping,
 * windowed estimates and when they are remembered. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "metrics/budget.h"
#include "metrics/fam.h"
#include "metrics/win.h"
#include "tests/unit/items.h"

static const struct hash_key key = { 1, 2 };
static const struct fam_desc conn = { "audit_connect",
				      "help",
				      FAM_COUNTER,
				      3,
				      { "comm", "uid", "result" },
				      0x3 };

#define LV(s) ((struct fam_lv){ (s), sizeof(s) - 1 })

static uint64_t total(struct fam *f)
{
	struct fam_rows rows = { 0 };
	uint64_t sum = 0;

	assert_int_equal(fam_rows(f, &rows), 0);
	for (size_t i = 0; i < rows.n; i++)
		sum += rows.row[i].count;
	fam_rows_free(&rows);
	return sum;
}

static void test_basic(void **state)
{
	struct fam *f = fam_new(&conn, 0, NULL, &key, NULL);
	struct fam_lv v[3] = { LV("nc"), LV("0"), LV("success") };
	struct fam_rows rows = { 0 };
	struct fam_series *a, *b;

	(void)state;
	a = fam_get(f, v, 1);
	b = fam_get(f, v, 2);
	assert_ptr_equal(a, b);
	fam_inc(a, 2);
	fam_inc(b, 1);
	v[0] = LV("curl");
	fam_inc(fam_get(f, v, 3), 1);
	assert_int_equal(fam_count(f), 2);
	assert_int_equal(fam_rows(f, &rows), 0);
	fam_rows_sort(&rows);
	assert_int_equal(rows.n, 2);
	assert_memory_equal(rows.row[0].labels,
			    "comm=\"curl\",uid=\"0\",result=\"success\"",
			    rows.row[0].labels_len);
	assert_int_equal(rows.row[1].count, 3);
	fam_rows_free(&rows);
	assert_non_null(fam_find(f, v));
	v[0] = LV("absent");
	assert_null(fam_find(f, v));
	assert_int_equal(fam_count(f), 2); /* find never creates */
	fam_free(f);
}

static void test_sanitised_keys_merge(void **state)
{
	struct fam *f = fam_new(&conn, 0, NULL, &key, NULL);
	/* two different invalid bytes sanitise to the same U+FFFD */
	struct fam_lv a[3] = { LV("\xff"
				  "x"),
			       LV("0"), LV("error") };
	struct fam_lv b[3] = { LV("\xfe"
				  "x"),
			       LV("0"), LV("error") };
	struct fam_rows rows = { 0 };

	(void)state;
	fam_inc(fam_get(f, a, 0), 1);
	fam_inc(fam_get(f, b, 0), 1);
	assert_int_equal(fam_count(f), 1);
	fam_rows(f, &rows);
	assert_int_equal(rows.row[0].count, 2);
	assert_memory_equal(rows.row[0].labels,
			    "comm=\"\xef\xbf\xbd"
			    "x\"",
			    11);
	fam_rows_free(&rows);
	/* escaping happens once, in the label text */
	struct fam_lv c[3] = { LV("ev\"il} 1\nx"), LV("0"), LV("error") };
	fam_inc(fam_get(f, c, 0), 1);
	fam_rows(f, &rows);
	fam_rows_sort(&rows);
	assert_memory_equal(rows.row[0].labels, "comm=\"ev\\\"il} 1\\nx\"", 19);
	fam_rows_free(&rows);
	fam_free(f);
}

static void test_cap_folds_and_sums(void **state)
{
	struct fam *f = fam_new(&conn, 100, NULL, &key, NULL);
	char comm[32], uid[16];
	struct fam_rows rows = { 0 };
	uint64_t other = 0;

	(void)state;
	for (int i = 0; i < 1000; i++) {
		struct fam_lv v[3];

		snprintf(comm, sizeof(comm), "proc%d", i);
		snprintf(uid, sizeof(uid), "%d", i % 7);
		v[0] = (struct fam_lv){ comm, strlen(comm) };
		v[1] = (struct fam_lv){ uid, strlen(uid) };
		v[2] = i % 2 ? LV("success") : LV("error");
		fam_inc(fam_get(f, v, 0), 1);
		fam_inc(fam_get(f, v, 0), 1); /* repeat: folds again */
	}
	/* 100 label sets of their own, plus one folded set per result */
	assert_int_equal(fam_count(f), 102);
	assert_int_equal(total(f), 2000);
	assert_int_equal(fam_folded(f), 1800);
	fam_rows(f, &rows);
	for (size_t i = 0; i < rows.n; i++)
		if (strstr(rows.row[i].labels, "comm=\"__other__\",uid="
					       "\"__other__\""))
			other += rows.row[i].count;
	assert_int_equal(other, 1800);
	fam_rows_free(&rows);
	/* a label set that existed before the cap keeps counting */
	{
		struct fam_lv v[3] = { LV("proc0"), LV("0"), LV("error") };

		fam_inc(fam_get(f, v, 0), 5);
		assert_int_equal(fam_folded(f), 1800);
	}
	fam_free(f);
}

static void test_sweep(void **state)
{
	struct fam *f = fam_new(&conn, 0, NULL, &key, NULL);
	struct fam_lv v[3] = { LV("old"), LV("0"), LV("success") };

	(void)state;
	fam_inc(fam_get(f, v, 1000), 1);
	v[0] = LV("new");
	fam_inc(fam_get(f, v, 9000), 1);
	assert_int_equal(fam_sweep(f, 10000, 5000), 1);
	assert_int_equal(fam_count(f), 1);
	assert_int_equal(fam_sweep(f, 10000, 0), 0); /* 0: never */
	fam_free(f);
}

static const struct fam_desc uniq = { "audit_u", "help",     FAM_WINDOWED,
				      1,	 { "comm" }, 0 };
static const struct fam_sketch sk2 = {
	.p = 12, .key_id = 7, .nwin = 2, .windows_ms = { 60000, 3600000 }
};

/* Estimates all rows in one call; returns what the call took: the number
 * of rows it would have done on a budget of rows.n, which is rows.n only
 * when every row's estimates were remembered (a computed one costs more
 * than the whole budget). */
static size_t estimate_all(struct fam *f, struct fam_rows *rows, int64_t now)
{
	size_t done = fam_rows_estimate(f, rows, 0, now, rows->n);

	for (size_t i = done; i < rows->n;)
		i = fam_rows_estimate(f, rows, i, now, rows->n);
	return done;
}

static void test_windowed(void **state)
{
	struct fam *f = fam_new(&uniq, 0, &sk2, &key, NULL);
	struct fam_lv v[1] = { LV("nc") };
	struct fam_rows rows = { 0 };

	(void)state;
	for (uint64_t i = 0; i < 50; i++)
		fam_add_item(f, fam_get(f, v, 1000), i * 0x9e3779b97f4a7c15ull,
			     1000 + (int64_t)i);
	/* 10 more, two minutes later */
	for (uint64_t i = 50; i < 60; i++)
		fam_add_item(f, fam_get(f, v, 121000),
			     i * 0x9e3779b97f4a7c15ull, 121000);
	fam_rows(f, &rows);
	assert_int_equal(fam_rows_estimate(f, &rows, 0, 121000, 1), 1);
	assert_true(rows.row[0].value[0] == 10);
	assert_true(rows.row[0].value[1] == 60);
	fam_rows_free(&rows);
	/* swept only once nothing is left inside the horizon */
	assert_int_equal(fam_sweep(f, 121000 + 3600000 - 1, 1), 0);
	assert_int_equal(fam_sweep(f, 121000 + 3600000, 1), 1);
	fam_free(f);
}

/* Estimates are remembered while they hold: until an item is added to the
 * series or one it counts leaves a window. */
static void test_estimates_remembered(void **state)
{
	struct fam *f = fam_new(&uniq, 0, &sk2, &key, NULL);
	struct fam_lv a[1] = { LV("a") }, b[1] = { LV("b") };
	struct fam_series *sa = fam_get(f, a, 0), *sb = fam_get(f, b, 0);
	struct fam_rows rows = { 0 };

	(void)state;
	for (uint64_t i = 0; i < 10; i++) {
		fam_add_item(f, sa, i * 0x9e3779b97f4a7c15ull, 1000);
		fam_add_item(f, sb, ~i * 0x9e3779b97f4a7c15ull, 2000);
	}
	fam_rows(f, &rows);
	fam_rows_sort(&rows);
	assert_int_equal(estimate_all(f, &rows, 2000), 1); /* computed */
	assert_int_equal(estimate_all(f, &rows, 2000), 2); /* remembered */
	assert_int_equal(estimate_all(f, &rows, 60999), 2);
	assert_true(rows.row[0].value[0] == 10 && rows.row[1].value[0] == 10);
	/* a's items leave the minute at 61000, b's at 62000 */
	assert_int_equal(estimate_all(f, &rows, 61000), 1);
	assert_true(rows.row[0].value[0] == 0 && rows.row[0].value[1] == 10);
	assert_true(rows.row[1].value[0] == 10);
	assert_int_equal(estimate_all(f, &rows, 61500), 2);
	/* an added item: b is computed afresh, a is not */
	fam_add_item(f, sb, 12345, 61500);
	assert_int_equal(fam_rows_estimate(f, &rows, 1, 61500, 2), 2);
	assert_int_equal(estimate_all(f, &rows, 61500), 2);
	assert_true(rows.row[1].value[0] == 11 && rows.row[1].value[1] == 11);
	/* a clock that went back is answered afresh */
	assert_int_equal(estimate_all(f, &rows, 1500), 1);
	assert_true(rows.row[0].value[0] == 10);
	fam_rows_free(&rows);
	fam_free(f);
}

/* Remembered estimates are what the sketch says: 40 series fed at random
 * times with random gaps (seconds to minutes, a jump past the horizon)
 * and read at random times between feeds, each row checked against the
 * sketch itself. */
static void test_estimates_match_sketch(void **state)
{
	struct fam *f = fam_new(&uniq, 0, &sk2, &key, NULL);
	struct fam_rows rows = { 0 };
	uint64_t x = 88172645463325252ull;
	int64_t t = 1000;
	size_t remembered = 0;

	(void)state;
	for (int step = 0; step < 4000; step++) {
		char name[8];
		struct fam_lv v[1] = { { name, 0 } };

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		t += (int64_t)(x % 97) * (x % 5 ? 100 : 3000) +
		     (step == 2000 ? 3600000 : 0);
		v[0].len = (size_t)snprintf(name, sizeof(name), "p%u",
					    (unsigned)(x >> 20) % 40);
		fam_add_item(f, fam_get(f, v, t), x >> 8, t);
		if (x % 7)
			continue;
		fam_rows(f, &rows);
		remembered +=
			estimate_all(f, &rows, t + (int64_t)(x >> 40) % 90000);
		for (size_t i = 0; i < rows.n; i++) {
			double e[2];

			win_sketch_estimate(fam_sketch(rows.row[i].s),
					    t + (int64_t)(x >> 40) % 90000,
					    sk2.windows_ms, 2, e, NULL);
			assert_true(rows.row[i].value[0] == round(e[0]));
			assert_true(rows.row[i].value[1] == round(e[1]));
		}
	}
	assert_true(remembered > 0);
	fam_rows_free(&rows);
	fam_free(f);
}

/* Rows are in strictly increasing label order and hold n label sets whose
 * counts sum to sum. */
static void check_rows(const struct fam_rows *rows, size_t n, uint64_t sum)
{
	uint64_t got = 0;

	assert_int_equal(rows->n, n);
	for (size_t i = 0; i < rows->n; i++) {
		got += rows->row[i].count;
		if (i) {
			const struct fam_row *a = &rows->row[i - 1];
			const struct fam_row *b = &rows->row[i];
			size_t m = a->labels_len < b->labels_len
					   ? a->labels_len
					   : b->labels_len;
			int c = memcmp(a->labels, b->labels, m);

			assert_true(c < 0 ||
				    (c == 0 && a->labels_len < b->labels_len));
		}
	}
	assert_int_equal(got, sum);
}

static void add_proc(struct fam *f, unsigned i, int64_t now_ms)
{
	char comm[32];
	struct fam_lv v[3] = { { comm, 0 }, LV("0"), LV("success") };

	/* scrambled, so that creation order is not label order */
	v[0].len = (size_t)snprintf(comm, sizeof(comm), "p%u",
				    (i * 7919u) % 1000u);
	fam_inc(fam_get(f, v, now_ms), 1);
}

static void test_kept_order(void **state)
{
	struct fam *f = fam_new(&conn, 0, NULL, &key, NULL);
	struct fam_rows rows = { 0 }, stale = { 0 };

	(void)state;
	for (unsigned i = 0; i < 300; i++)
		add_proc(f, i, 1000);
	assert_int_equal(fam_rows(f, &rows), 0);
	assert_false(rows.sorted);
	fam_rows_sort(&rows);
	check_rows(&rows, 300, 300);
	fam_rows_keep_order(f, &rows);

	/* same label sets, new counts: handed out sorted, no sort needed */
	add_proc(f, 5, 1000);
	assert_int_equal(fam_rows(f, &rows), 0);
	assert_true(rows.sorted);
	check_rows(&rows, 300, 301);

	/* rows taken before a change are not kept */
	assert_int_equal(fam_rows(f, &stale), 0);
	add_proc(f, 300, 9000);
	fam_rows_sort(&stale);
	fam_rows_keep_order(f, &stale);
	assert_int_equal(fam_rows(f, &rows), 0);
	assert_false(rows.sorted);
	fam_rows_sort(&rows);
	check_rows(&rows, 301, 302);
	fam_rows_keep_order(f, &rows);

	/* a sweep invalidates the order as well */
	assert_int_equal(fam_sweep(f, 9000, 5000), 300);
	assert_int_equal(fam_rows(f, &rows), 0);
	assert_false(rows.sorted);
	fam_rows_sort(&rows);
	check_rows(&rows, 1, 1);
	fam_rows_free(&stale);
	fam_rows_free(&rows);
	fam_free(f);
}

static void test_bad_desc(void **state)
{
	struct fam_desc d = conn;

	(void)state;
	d.name = "bad-name";
	assert_null(fam_new(&d, 0, NULL, &key, NULL));
	d = conn;
	d.labels[1] = "9uid";
	assert_null(fam_new(&d, 0, NULL, &key, NULL));
	d = conn;
	d.type = FAM_WINDOWED;
	assert_null(fam_new(&d, 0, NULL, &key, NULL)); /* needs sketch params */
	{
		struct fam_sketch k = sk2;

		k.nwin = 0; /* and windows */
		assert_null(fam_new(&d, 0, &k, &key, NULL));
		k.nwin = FAM_MAX_WINDOWS + 1;
		assert_null(fam_new(&d, 0, &k, &key, NULL));
		k.nwin = 1;
		k.windows_ms[0] = 0;
		assert_null(fam_new(&d, 0, &k, &key, NULL));
	}
}

/* The estimate of the label set of v, first window, at now. */
static double estimate_of(struct fam *f, const struct fam_lv *v, int64_t now)
{
	struct fam_rows rows = { 0 };
	struct fam_series *s = fam_find(f, v);
	double x = -1;

	assert_non_null(s);
	assert_int_equal(fam_rows(f, &rows), 0);
	estimate_all(f, &rows, now);
	for (size_t i = 0; i < rows.n; i++)
		if (rows.row[i].s == s)
			x = rows.row[i].value[0];
	fam_rows_free(&rows);
	return x;
}

/* A budget that holds some label sets: the next ones fold (counted),
 * every update is still counted, the budget is never passed, and freeing
 * the family gives every byte back. */
static void test_budget_folds_label_sets(void **state)
{
	struct budget *b = budget_new(20000);
	struct fam *f = fam_new(&conn, 0, NULL, &key, b);
	char name[16];
	size_t before;

	(void)state;
	assert_int_equal(budget_reserve_add(b, fam_series_max_bytes(f)), 0);
	for (int i = 0; i < 1000; i++) {
		struct fam_lv v[3] = { { name,
					 (size_t)snprintf(name, sizeof(name),
							  "p%d", i) },
				       LV("0"),
				       LV("success") };

		fam_inc(fam_get(f, v, i), 1);
		assert_true(budget_used(b, BUDGET_SERIES) <= 20000);
	}
	assert_int_equal(total(f), 1000);
	assert_true(fam_count(f) > 10 && fam_count(f) < 1000);
	assert_int_equal(fam_folded(f), 1000 - (fam_count(f) - 1));
	assert_true(budget_refused(b, BUDGET_SERIES) > 0);
	{
		struct fam_lv o[3] = { LV("__other__"), LV("__other__"),
				       LV("success") };

		assert_non_null(fam_find(f, o));
	}
	/* a sweep gives room back, and new label sets have their own again */
	before = fam_count(f);
	assert_int_equal(fam_sweep(f, 1000 + 600, 100), before);
	{
		struct fam_lv v[3] = { LV("new"), LV("0"), LV("success") };

		fam_inc(fam_get(f, v, 2000), 1);
		assert_non_null(fam_find(f, v));
	}
	fam_free(f);
	assert_int_equal(budget_used(b, BUDGET_SERIES), 0);
	budget_free(b);
}

/* Sketches that the budget will not let grow hand their items to the
 * folded sketch: a process's gauge stops growing, the family's __other__
 * holds the rest, and the unlabelled (host-wide) family, reserved, counts
 * every item whatever the budget. */
static void test_budget_sketches(void **state)
{
	static const struct fam_desc host = { "audit_connect_unique_"
					      "destinations",
					      "help",
					      FAM_WINDOWED,
					      0,
					      { NULL },
					      0 };
	struct fam *f = fam_new(&uniq, 0, &sk2, &key, NULL);
	/* the reserve of the host-wide and the folded sketch, the worst
	 * they can be; 8 KiB for the rest */
	size_t reserve = 2 * fam_series_max_bytes(f), limit = reserve + 8192;
	struct budget *b = budget_new(limit);
	struct fam *h = fam_new(&host, 0, &sk2, &key, b);
	struct fam_lv v[1] = { LV("nc") };
	struct fam_lv o[1] = { LV("__other__") };
	struct fam_series *hs;
	double mine, other, all;

	(void)state;
	fam_free(f);
	f = fam_new(&uniq, 0, &sk2, &key, b);
	assert_int_equal(budget_reserve_add(b, reserve), 0);
	hs = fam_get(h, NULL, 0);
	assert_non_null(hs);
	for (uint64_t i = 0; i < 20000; i++) {
		uint64_t x = item(5, i);
		int64_t t = 1000 + (int64_t)i;

		assert_int_equal(fam_add_item(f, fam_get(f, v, t), x, t), 0);
		assert_int_equal(fam_add_item(h, hs, x, t), 0);
		assert_true(budget_used(b, BUDGET_SERIES) +
				    budget_used(b, BUDGET_SKETCHES) <=
			    limit);
	}
	assert_true(budget_refused(b, BUDGET_SKETCHES) > 0);
	assert_true(fam_folded(f) > 0);
	mine = estimate_of(f, v, 30000);
	other = estimate_of(f, o, 30000);
	all = estimate_of(h, NULL, 30000);
	print_message("own %.0f, folded %.0f, host-wide %.0f of 20000\n", mine,
		      other, all);
	/* what the process's own sketch had room for, and the rest in the
	 * folded one (distinct items: the sum is the whole, within the
	 * sketches' error) */
	assert_true(mine < 19000);
	assert_true(mine + other > 20000 * 0.95 && mine + other < 20000 * 1.05);
	assert_true(all > 20000 * 0.95 && all < 20000 * 1.05);
	fam_free(f);
	fam_free(h);
	assert_int_equal(budget_used(b, BUDGET_SERIES), 0);
	assert_int_equal(budget_used(b, BUDGET_SKETCHES), 0);
	budget_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_sanitised_keys_merge),
		cmocka_unit_test(test_cap_folds_and_sums),
		cmocka_unit_test(test_sweep),
		cmocka_unit_test(test_windowed),
		cmocka_unit_test(test_estimates_remembered),
		cmocka_unit_test(test_estimates_match_sketch),
		cmocka_unit_test(test_kept_order),
		cmocka_unit_test(test_bad_desc),
		cmocka_unit_test(test_budget_folds_label_sets),
		cmocka_unit_test(test_budget_sketches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
