/* Unit tests for exporter/evclock: the event clock and absurd stamps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "exporter/evclock.h"

#define MIN_MS (60 * 1000)
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS (24 * HOUR_MS)
#define T0 1689714302008 /* ms, July 2023 */

static struct evclock c;

static int setup(void **state)
{
	(void)state;
	evclock_init(&c);
	return 0;
}

/* Steps within the leap move the clock to the newest stamp; older stamps
 * (records from other CPUs) never move it back. */
static void test_steady(void **state)
{
	(void)state;
	assert_true(c.now == INT64_MIN);
	assert_true(evclock_see(&c, T0, 1) == T0);
	assert_true(evclock_see(&c, T0 + 5, 2) == T0 + 5);
	assert_true(evclock_see(&c, T0 + 3, 3) == T0 + 5);
	/* a reboot twelve hours later, a log's last event an hour after */
	assert_true(evclock_see(&c, T0 + 12 * HOUR_MS, 4) == T0 + 12 * HOUR_MS);
	assert_true(evclock_see(&c, T0, 5) == T0 + 12 * HOUR_MS);
	assert_true(evclock_see(&c, T0 + 13 * HOUR_MS, 6) == T0 + 13 * HOUR_MS);
}

/* One event in the far future (several records, one serial: the largest
 * stamp the parser takes, year ~31,000,000) never moves the clock. */
static void test_one_absurd_event(void **state)
{
	const int64_t far = 999999999999999LL * 1000 + 999;

	(void)state;
	evclock_see(&c, T0, 1);
	evclock_see(&c, far, 2);
	evclock_see(&c, far, 2);
	evclock_see(&c, far, 2);
	assert_true(c.now == T0);
	assert_true(evclock_see(&c, T0 + 10, 3) == T0 + 10);
	/* dropped: a later leap is judged on its own */
	assert_true(evclock_see(&c, T0 + 5 * DAY_MS, 4) == T0 + 10);
	assert_true(evclock_see(&c, T0 + 20, 5) == T0 + 20);
	assert_true(evclock_see(&c, far, 6) == T0 + 20);
}

/* A real leap (a host off for three days) moves the clock at the second
 * event after it. */
static void test_leap(void **state)
{
	const int64_t boot2 = T0 + 3 * DAY_MS;

	(void)state;
	evclock_see(&c, T0, 1500);
	assert_true(evclock_see(&c, boot2, 51) == T0);
	assert_true(evclock_see(&c, boot2, 51) == T0);
	assert_true(evclock_see(&c, boot2 + 40, 52) == boot2 + 40);
	assert_true(evclock_see(&c, boot2 + 50, 53) == boot2 + 50);
}

/* Events all more than the leap apart: the clock trails by one event. */
static void test_sparse(void **state)
{
	(void)state;
	evclock_see(&c, T0, 1);
	for (int i = 1; i <= 5; i++)
		assert_true(evclock_see(&c, T0 + i * 2 * DAY_MS, 1 + i) ==
			    T0 + (i - 1) * 2 * DAY_MS);
}

/* apparmor.d's audit.log: captures of 2005 and 2023, one record of 2322
 * among them. The clock follows the captures, never 2322. */
static void test_collection(void **state)
{
	const int64_t y2005 = 1111111111111, y2023 = 1689957950207;
	const int64_t y2322 = 11111111111111;

	(void)state;
	for (int i = 0; i < 38; i++)
		evclock_see(&c, y2005, 1111);
	assert_true(evclock_see(&c, y2023, 1952) == y2005);
	assert_true(evclock_see(&c, y2005, 1111) == y2005);
	assert_true(evclock_see(&c, y2322, 111) == y2005);
	assert_true(evclock_see(&c, 1689714302008, 1693) == 1689714302008);
	assert_true(evclock_see(&c, 1689714302008, 1694) == 1689714302008);
	/* 18 hours on: within the leap */
	assert_true(evclock_see(&c, 1689779263198, 3384) == 1689779263198);
	assert_true(evclock_see(&c, 1689779263198, 3385) == 1689779263198);
	assert_true(evclock_see(&c, 1689779263106, 3379) == 1689779263198);
	assert_true(evclock_see(&c, y2005, 1111) == 1689779263198);
	assert_true(evclock_see(&c, 1690029190344, 2232) == 1689779263198);
	/* a further leap confirms the pending one, not itself */
	assert_true(evclock_see(&c, y2322, 111) == 1690029190344);
	assert_true(evclock_see(&c, y2322, 111) == 1690029190344);
}

/* A live plugin's idle input: wall time moves the clock on, so the first
 * event after two quiet days is no leap; the clock never goes back. */
static void test_advance(void **state)
{
	(void)state;
	evclock_advance(&c, T0); /* not started: nothing to move */
	assert_true(c.now == INT64_MIN);
	evclock_see(&c, T0, 1);
	evclock_advance(&c, T0 + 2 * DAY_MS - 1000);
	assert_true(evclock_see(&c, T0 + 2 * DAY_MS, 2) == T0 + 2 * DAY_MS);
	evclock_advance(&c, T0);
	assert_true(c.now == T0 + 2 * DAY_MS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_steady, setup),
		cmocka_unit_test_setup(test_one_absurd_event, setup),
		cmocka_unit_test_setup(test_leap, setup),
		cmocka_unit_test_setup(test_sparse, setup),
		cmocka_unit_test_setup(test_collection, setup),
		cmocka_unit_test_setup(test_advance, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
