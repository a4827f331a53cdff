/* Unit tests for metrics/fam: label sets, caps and folding, sweeping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "metrics/fam.h"
#include "metrics/win.h"

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
	struct fam *f = fam_new(&conn, 0, NULL, &key);
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
	struct fam *f = fam_new(&conn, 0, NULL, &key);
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
	struct fam *f = fam_new(&conn, 100, NULL, &key);
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
	struct fam *f = fam_new(&conn, 0, NULL, &key);
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

static void test_windowed(void **state)
{
	static const struct fam_desc d = { "audit_u", "help",	  FAM_WINDOWED,
					   1,	      { "comm" }, 0 };
	struct fam_sketch sk = { 12, 3600000, 7 };
	struct fam *f = fam_new(&d, 0, &sk, &key);
	struct fam_lv v[1] = { LV("nc") };
	struct fam_rows rows = { 0 };
	int64_t win[2] = { 60000, 3600000 };

	(void)state;
	for (uint64_t i = 0; i < 50; i++)
		win_sketch_add(fam_sketch(fam_get(f, v, 1000)),
			       i * 0x9e3779b97f4a7c15ull, 1000 + (int64_t)i);
	/* 10 more, two minutes later */
	for (uint64_t i = 50; i < 60; i++)
		win_sketch_add(fam_sketch(fam_get(f, v, 121000)),
			       i * 0x9e3779b97f4a7c15ull, 121000);
	fam_rows(f, &rows);
	fam_rows_estimate(&rows, 0, rows.n, 121000, win, 2);
	assert_true(rows.row[0].value[0] == 10);
	assert_true(rows.row[0].value[1] == 60);
	fam_rows_free(&rows);
	/* swept only once nothing is left inside the horizon */
	assert_int_equal(fam_sweep(f, 121000 + 3600000 - 1, 1), 0);
	assert_int_equal(fam_sweep(f, 121000 + 3600000, 1), 1);
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
	struct fam *f = fam_new(&conn, 0, NULL, &key);
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
	assert_null(fam_new(&d, 0, NULL, &key));
	d = conn;
	d.labels[1] = "9uid";
	assert_null(fam_new(&d, 0, NULL, &key));
	d = conn;
	d.type = FAM_WINDOWED;
	assert_null(fam_new(&d, 0, NULL, &key)); /* needs sketch params */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_sanitised_keys_merge),
		cmocka_unit_test(test_cap_folds_and_sums),
		cmocka_unit_test(test_sweep),
		cmocka_unit_test(test_windowed),
		cmocka_unit_test(test_kept_order),
		cmocka_unit_test(test_bad_desc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
