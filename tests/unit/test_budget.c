/* Unit tests for metrics/budget: the limit, the reserve, refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <stdint.h>

#include <cmocka.h>

#include "metrics/budget.h"

static void test_limit_and_reserve(void **state)
{
	struct budget *b = budget_new(1000);
	struct budget_acct series = { b, BUDGET_SERIES, false };
	struct budget_acct host = { b, BUDGET_SKETCHES, true };
	struct budget_acct events = { b, BUDGET_EVENTS, false };

	(void)state;
	assert_non_null(b);
	assert_int_equal(budget_reserve_add(b, 1001), -EINVAL);
	assert_int_equal(budget_reserve_add(b, 200), 0);
	assert_int_equal(budget_reserve_add(b, 100), 0);
	assert_int_equal(budget_reserve_add(b, 701), -EINVAL);
	assert_int_equal(budget_limit(b), 1000);
	assert_int_equal(budget_reserve(b), 300);
	/* 700 bytes for everyone, the last one exactly to the brim */
	assert_int_equal(budget_charge(&series, 400), 0);
	assert_int_equal(budget_charge(&events, 300), 0);
	assert_int_equal(budget_charge(&events, 1), -ENOMEM);
	assert_int_equal(budget_refused(b, BUDGET_EVENTS), 1);
	assert_int_equal(budget_refused(b, BUDGET_SERIES), 0);
	assert_int_equal(budget_used(b, BUDGET_EVENTS), 300);
	/* the reserve is there whatever the others took */
	assert_int_equal(budget_charge(&host, 300), 0);
	/* and a reserved charge is never refused, even past the reserve;
	 * the others then have that much less */
	assert_int_equal(budget_charge(&host, 50), 0);
	assert_int_equal(budget_used(b, BUDGET_SKETCHES), 350);
	budget_release(&events, 100);
	assert_int_equal(budget_charge(&series, 51), -ENOMEM);
	assert_int_equal(budget_charge(&series, 50), 0);
	assert_int_equal(budget_used(b, BUDGET_SERIES), 450);
	/* of released reserve, the others get only what exceeded it */
	budget_release(&host, 350);
	assert_int_equal(budget_charge(&series, 50), 0);
	assert_int_equal(budget_charge(&series, 1), -ENOMEM);
	budget_release(&series, 500);
	budget_release(&events, 200);
	assert_int_equal(budget_charge(&series, 700), 0);
	assert_int_equal(budget_charge(&series, 1), -ENOMEM);
	/* a charge too big to add up still fails */
	assert_int_equal(budget_charge(&events, SIZE_MAX), -ENOMEM);
	assert_int_equal(budget_refused(b, BUDGET_SERIES), 3);
	budget_free(b);
}

/* A fixed table is reserved and charged at once: what is left for the
 * host's activity shrinks by it, and giving it back restores both. */
static void test_table(void **state)
{
	struct budget *b = budget_new(1000);
	const struct budget_acct any = { b, BUDGET_SERIES, false };

	(void)state;
	assert_non_null(b);
	assert_int_equal(budget_table_take(b, 600), 0);
	assert_int_equal(budget_used(b, BUDGET_TABLES), 600);
	assert_int_equal(budget_reserve(b), 600);
	assert_int_equal(budget_charge(&any, 401), -ENOMEM);
	assert_int_equal(budget_charge(&any, 400), 0);
	/* the limit cannot hold a second one */
	assert_int_equal(budget_table_take(b, 500), -EINVAL);
	assert_int_equal(budget_used(b, BUDGET_TABLES), 600);
	budget_release(&any, 400);
	budget_table_give(b, 600);
	assert_int_equal(budget_used(b, BUDGET_TABLES), 0);
	assert_int_equal(budget_reserve(b), 0);
	assert_int_equal(budget_charge(&any, 1000), 0);
	assert_int_equal(budget_table_take(NULL, 1u << 30), 0);
	budget_free(b);
}

static void test_no_budget(void **state)
{
	struct budget_acct none = { NULL, BUDGET_SERIES, false };

	(void)state;
	assert_int_equal(budget_charge(NULL, SIZE_MAX), 0);
	assert_int_equal(budget_charge(&none, SIZE_MAX), 0);
	budget_release(&none, SIZE_MAX);
	budget_release(NULL, 1);
	assert_string_equal(budget_part_name(BUDGET_SKETCHES), "sketches");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limit_and_reserve),
		cmocka_unit_test(test_no_budget),
		cmocka_unit_test(test_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
