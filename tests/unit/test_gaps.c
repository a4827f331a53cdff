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

static void see_range_at(uint32_t from, uint32_t to, int64_t t) /* inclusive */
{
	for (uint32_t s = from;; s++) {
		gaps_see(&g, s, t);
		if (s == to)
			break;
	}
}

static void see_range(uint32_t from, uint32_t to)
{
	see_range_at(from, to, 0);
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
	gaps_see(&g, 12, 0);
	gaps_judge(&g, 0, 2000);
	gaps_see(&g, 11, 0); /* arrives late but within grace */
	gaps_judge(&g, 5000, 2000);
	gaps_judge_all(&g);
	assert_int_equal(g.missing, 0);
	assert_int_equal(g.late, 0);
}

static void test_late_after_judged(void **state)
{
	(void)state;
	see_range(1, 10);
	gaps_see(&g, 12, 0);
	gaps_judge(&g, 0, 2000);
	gaps_judge(&g, 2000, 2000);
	assert_int_equal(g.missing, 1);
	gaps_see(&g, 11, 0);
	assert_int_equal(g.late, 1);
	gaps_see(&g, 11, 0); /* a second record of the same serial: no news */
	gaps_see(&g, 5, 0);
	assert_int_equal(g.late, 1);
}

static void test_judged_by_distance(void **state)
{
	(void)state;
	gaps_see(&g, 1000, 0);
	gaps_see(&g, 1002, 0);
	/* no time passes, but serial 1001 falls out of the window */
	see_range(1003, 1002 + GAPS_WINDOW);
	assert_int_equal(g.missing, 1);
}

static void test_big_jump(void **state)
{
	(void)state;
	see_range(1, 100);
	gaps_see(&g, 100 + 50000, 0); /* 49999 serials never arrive */
	gaps_judge_all(&g);
	assert_int_equal(g.missing, 49999);
	gaps_see(&g, 100 + 50000 + 3, 0);
	gaps_judge_all(&g);
	assert_int_equal(g.missing, 49999 + 2);
}

static void test_wrap(void **state)
{
	(void)state;
	see_range(4294967290u, 4294967295u);
	see_range(0, 5);
	gaps_see(&g, 7, 0);
	gaps_judge_all(&g);
	assert_int_equal(g.missing, 1);
	assert_int_equal(g.resets, 0);
}

static void test_reset(void **state)
{
	(void)state;
	see_range(3000000000u, 3000000100u);
	gaps_see(&g, 3000000102u, 0); /* one hole before the reboot */
	see_range(1, 50); /* numbering restarts after a reboot */
	gaps_judge_all(&g);
	assert_int_equal(g.resets, 1);
	assert_int_equal(g.missing, 1);
}

/* aup-test3.log opens with serial 194435, then 194433 and 194434: never a
 * gap, so never late either (it counted 2 late). */
static void test_before_first(void **state)
{
	(void)state;
	gaps_see(&g, 194435, 1000);
	gaps_see(&g, 194433, 1000);
	gaps_see(&g, 194434, 1000);
	see_range_at(194436, 194440, 1000);
	gaps_judge(&g, 1000, 2000);
	gaps_judge(&g, 9000, 2000);
	gaps_see(&g, 194432, 1000); /* still before the first, after judging */
	gaps_judge_all(&g);
	assert_int_equal(g.missing, 0);
	assert_int_equal(g.late, 0);
	assert_int_equal(g.resets, 0);
}

/* A reboot that moves the numbering back by less than 2^24
 * (selinux-sepolgen-audit.log: boot 1 ends at 1521, boot 2 starts at 51
 * twelve hours later) is a restart, not 1,470 late serials. */
static void test_reboot_small_step(void **state)
{
	const int64_t t0 = 1136000000000, boot2 = t0 + 12 * 3600 * 1000;

	(void)state;
	see_range_at(1, 1521, t0);
	gaps_judge(&g, t0 + 5000, 2000);
	gaps_judge(&g, t0 + 10000, 2000);
	see_range_at(51, 60, boot2);
	see_range_at(62, 2000, boot2 + 100); /* 61 lost in boot 2 */
	gaps_judge(&g, boot2 + 5000, 2000);
	gaps_judge(&g, boot2 + 10000, 2000);
	gaps_judge_all(&g);
	assert_int_equal(g.resets, 1);
	assert_int_equal(g.late, 0);
	assert_int_equal(g.missing, 1);
}

/* Records that arrive out of order were stamped no later than the ones
 * that overtook them: a step back is no restart, however long ago the
 * overtaking record's event began. */
static void test_reorder_is_no_reboot(void **state)
{
	(void)state;
	see_range_at(1, 100, 5000);
	gaps_see(&g, 102, 5004);
	gaps_see(&g, 101, 5003);
	gaps_see(&g, 103, 2000); /* a long syscall: stamped at its entry */
	gaps_see(&g, 99, 5900); /* a further record of 99, stamped later */
	gaps_judge_all(&g);
	assert_int_equal(g.resets, 0);
	assert_int_equal(g.missing, 0);
	assert_int_equal(g.late, 0);
}

/* A serial far below everything the window tracks is a new numbering even
 * without a stamp to tell (it was ignored, and the serials after it came
 * back into the window as late). */
static void test_far_below_window(void **state)
{
	(void)state;
	see_range(100000, 100100);
	gaps_judge(&g, 0, 2000);
	gaps_judge(&g, 5000, 2000);
	see_range(100000 - GAPS_WINDOW, 100000 - GAPS_WINDOW + 9000);
	gaps_judge_all(&g);
	assert_int_equal(g.resets, 1);
	assert_int_equal(g.late, 0);
	assert_int_equal(g.missing, 0);
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
		cmocka_unit_test_setup(test_before_first, setup),
		cmocka_unit_test_setup(test_reboot_small_step, setup),
		cmocka_unit_test_setup(test_reorder_is_no_reboot, setup),
		cmocka_unit_test_setup(test_far_below_window, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
