/* Unit tests for netlink/gaps: lost serial accounting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "netlink/gaps.h"

static struct gaps g;

static int setup(void **state)
{
	(void)state;
	gaps_init(&g);
	return 0;
}

static void see_range(uint32_t from, uint32_t to) /* inclusive */
{
	for (uint32_t s = from;; s++) {
		gaps_see(&g, s);
		if (s == to)
			break;
	}
}

static void test_in_order(void **state)
{
	(void)state;
	see_range(100, 20000);
	gaps_judge(&g, 0, 2000);
	gaps_judge(&g, 5000, 2000);
	gaps_judge_all(&g);
	assert_int_equal(g.missing, 0);
	assert_int_equal(g.late, 0);
}

static void test_hole_judged_after_grace(void **state)
{
	(void)state;
	see_range(1, 10);
	see_range(14, 20); /* 11, 12, 13 missing */
	gaps_judge(&g, 1000, 2000);
	assert_int_equal(g.missing, 0); /* within grace: may be reordered */
	gaps_judge(&g, 2500, 2000);
	assert_int_equal(g.missing, 0); /* the 1000 mark saw hi=20 ... */
	gaps_judge(&g, 3000, 2000);
	assert_int_equal(g.missing, 3); /* ... and is now 2 s old */
	gaps_judge_all(&g);
	assert_int_equal(g.missing, 3);
}

static void test_reordered_in_time(void **state)
{
	(void)state;
	see_range(1, 10);
	gaps_see(&g, 12);
	gaps_judge(&g, 0, 2000);
	gaps_see(&g, 11); /* arrives late but within grace */
	gaps_judge(&g, 5000, 2000);
	gaps_judge_all(&g);
	assert_int_equal(g.missing, 0);
	assert_int_equal(g.late, 0);
}

static void test_late_after_judged(void **state)
{
	(void)state;
	see_range(1, 10);
	gaps_see(&g, 12);
	gaps_judge(&g, 0, 2000);
	gaps_judge(&g, 2000, 2000);
	assert_int_equal(g.missing, 1);
	gaps_see(&g, 11);
	assert_int_equal(g.late, 1);
	gaps_see(&g, 11); /* a second record of the same serial: no news */
	gaps_see(&g, 5);
	assert_int_equal(g.late, 1);
}

static void test_judged_by_distance(void **state)
{
	(void)state;
	gaps_see(&g, 1000);
	gaps_see(&g, 1002);
	/* no time passes, but serial 1001 falls out of the window */
	see_range(1003, 1002 + GAPS_WINDOW);
	assert_int_equal(g.missing, 1);
}

static void test_big_jump(void **state)
{
	(void)state;
	see_range(1, 100);
	gaps_see(&g, 100 + 50000); /* 49999 serials never arrive */
	gaps_judge_all(&g);
	assert_int_equal(g.missing, 49999);
	gaps_see(&g, 100 + 50000 + 3);
	gaps_judge_all(&g);
	assert_int_equal(g.missing, 49999 + 2);
}

static void test_wrap(void **state)
{
	(void)state;
	see_range(4294967290u, 4294967295u);
	see_range(0, 5);
	gaps_see(&g, 7);
	gaps_judge_all(&g);
	assert_int_equal(g.missing, 1);
	assert_int_equal(g.resets, 0);
}

static void test_reset(void **state)
{
	(void)state;
	see_range(3000000000u, 3000000100u);
	gaps_see(&g, 3000000102u); /* one hole before the reboot */
	see_range(1, 50); /* numbering restarts after a reboot */
	gaps_judge_all(&g);
	assert_int_equal(g.resets, 1);
	assert_int_equal(g.missing, 1);
}

static void test_unstarted(void **state)
{
	(void)state;
	gaps_judge(&g, 10000, 2000);
	gaps_judge_all(&g);
	assert_int_equal(g.missing, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_in_order, setup),
		cmocka_unit_test_setup(test_hole_judged_after_grace, setup),
		cmocka_unit_test_setup(test_reordered_in_time, setup),
		cmocka_unit_test_setup(test_late_after_judged, setup),
		cmocka_unit_test_setup(test_judged_by_distance, setup),
		cmocka_unit_test_setup(test_big_jump, setup),
		cmocka_unit_test_setup(test_wrap, setup),
		cmocka_unit_test_setup(test_reset, setup),
		cmocka_unit_test_setup(test_unstarted, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
