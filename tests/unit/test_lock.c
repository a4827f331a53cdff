/* Unit tests for exporter/lock: the reader's operations on struct exporter
 * each run under the lock and do what exporter.h says, no more. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "exporter/exporter.h"
#include "netlink/rules.h"

/* Each test gets a zeroed exporter with its lock, as main() makes one. */
static int setup(void **state)
{
	struct exporter *x = calloc(1, sizeof(*x));

	if (!x)
		return -1;
	exporter_lock_init(x);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct exporter *x = *state;

	rules_set_free(x->rules);
	exporter_lock_destroy(x);
	free(x);
	return 0;
}

static int held_batch(struct exporter *x, void *arg)
{
	int *seen = arg;

	/* the lock is held: another taker would have to wait */
	*seen = pthread_mutex_trylock(&x->lock);
	if (!*seen)
		pthread_mutex_unlock(&x->lock);
	return -EAGAIN;
}

static void test_batch_runs_under_the_lock(void **state)
{
	struct exporter *x = *state;
	int seen = -1;

	assert_int_equal(exporter_batch(x, held_batch, &seen), -EAGAIN);
	assert_int_equal(seen, EBUSY);
	/* and released after */
	assert_int_equal(pthread_mutex_trylock(&x->lock), 0);
	pthread_mutex_unlock(&x->lock);
}

static void test_kernel_get_and_note(void **state)
{
	struct exporter *x = *state;
	struct kaudit_snap snap = { 0 }, got;
	int64_t before;

	x->kernel.backlog_limit = 8192;
	x->src.up = true;
	before = exporter_wall_ms();
	exporter_kernel_get(x, &got);
	assert_int_equal(got.backlog_limit, 8192);
	/* records from now on are stamped with now */
	assert_true(x->src.arrival_ms >= before);
	assert_true(x->src.arrival_ms <= exporter_wall_ms());

	snap.valid = true;
	snap.lost_total = 7;
	exporter_kernel_note(x, &snap, -EIO); /* up unknown: kept */
	assert_int_equal(x->kernel.lost_total, 7);
	assert_true(x->kernel.valid);
	assert_true(x->src.up);
	exporter_kernel_note(x, &snap, 0);
	assert_false(x->src.up);
	exporter_kernel_note(x, &snap, 1);
	assert_true(x->src.up);
}

static void test_rules_swap(void **state)
{
	static const char text[] = "-w /etc/passwd -p wa -k passwd\n";
	struct exporter *x = *state;
	struct rules_error err;
	struct rules_set *a, *b;

	a = rules_parse_text(text, strlen(text), "a", &err);
	b = rules_parse_text(text, strlen(text), "b", &err);
	assert_non_null(a);
	assert_non_null(b);
	exporter_rules_swap(x, a); /* none before */
	assert_ptr_equal(x->rules, a);
	exporter_rules_swap(x, b); /* a freed (the sanitizer build checks) */
	assert_ptr_equal(x->rules, b);
	exporter_rules_swap(x, NULL); /* b freed */
	assert_null(x->rules);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_batch_runs_under_the_lock,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_get_and_note, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rules_swap, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
