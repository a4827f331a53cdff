/* Unit tests for metrics/expo: both formats, ordering, numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "metrics/expo.h"

static char *render(enum expo_format fmt)
{
	static char buf[4096];
	struct expo w;
	struct expo_pieces pieces = { 0 };
	struct dbuf body, meta, out;

	dbuf_init(&body, 1 << 20);
	expo_init(&w, fmt, &body);
	dbuf_init(&meta, 1 << 20);
	dbuf_init(&out, 1 << 20);
	/* written out of order and split: the writer sorts and merges */
	expo_family(&w, "b_gauge", "A gauge.", EXPO_GAUGE);
	expo_value(&w, "x=\"1\"", 5, NULL, 1.5);
	expo_family(&w, "a_events", "Back\\slash and \"quotes\"\nnewline.",
		    EXPO_COUNTER);
	expo_counter(&w, "", 0, NULL, 18446744073709551615ull);
	expo_family(&w, "b_gauge", "A gauge.", EXPO_GAUGE);
	expo_value(&w, "x=\"2\"", 5, "window=\"5m\"", 2);
	assert_int_equal(expo_finish(&w, &meta, &pieces), 0);
	assert_int_equal(expo_pieces_join(&pieces, &out), 0);
	assert_int_equal(out.len, pieces.len);
	snprintf(buf, sizeof(buf), "%s", out.p);
	expo_pieces_free(&pieces);
	expo_free(&w);
	dbuf_free(&body);
	dbuf_free(&meta);
	dbuf_free(&out);
	return buf;
}

static void test_text(void **state)
{
	(void)state;
	assert_string_equal(render(EXPO_TEXT), "# HELP a_events_total "
					       "Back\\\\slash and "
					       "\"quotes\"\\nnewline.\n"
					       "# TYPE a_events_total counter\n"
					       "a_events_total "
					       "18446744073709551615\n"
					       "# HELP b_gauge A gauge.\n"
					       "# TYPE b_gauge gauge\n"
					       "b_gauge{x=\"1\"} 1.5\n"
					       "b_gauge{x=\"2\",window=\"5m\"} "
					       "2\n");
}

static void test_openmetrics(void **state)
{
	(void)state;
	assert_string_equal(render(EXPO_OPENMETRICS),
			    "# HELP a_events Back\\\\slash and "
			    "\\\"quotes\\\"\\nnewline.\n"
			    "# TYPE a_events counter\n"
			    "a_events_total 18446744073709551615\n"
			    "# HELP b_gauge A gauge.\n"
			    "# TYPE b_gauge gauge\n"
			    "b_gauge{x=\"1\"} 1.5\n"
			    "b_gauge{x=\"2\",window=\"5m\"} 2\n"
			    "# EOF\n");
}

static void test_numbers(void **state)
{
	char b[64];
	static const struct {
		double v;
		const char *s;
	} cases[] = {
		{ 0, "0" },
		{ -0.0, "0" },
		{ 42, "42" },
		{ -7, "-7" },
		{ 9007199254740991.0, "9007199254740991" },
		{ -9007199254740991.0, "-9007199254740991" },
		{ 0.1, "0.1" },
		{ 1.0 / 3, "0.3333333333333333" },
		{ 1e300, "1e+300" },
		{ 9007199254740993.0, "9007199254740992" },
		{ 1.5e-9, "1.5e-09" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		expo_format_double(cases[i].v, b, sizeof(b));
		assert_string_equal(b, cases[i].s);
	}
	expo_format_double(1.0 / 0.0, b, sizeof(b));
	assert_string_equal(b, "+Inf");
	expo_format_double(-1.0 / 0.0, b, sizeof(b));
	assert_string_equal(b, "-Inf");
	expo_format_double(0.0 / 0.0, b, sizeof(b));
	assert_string_equal(b, "NaN");
}

static void test_bad_name_and_cap(void **state)
{
	struct expo w;
	struct expo_pieces pieces = { 0 };
	struct dbuf body, meta;

	(void)state;
	dbuf_init(&body, 64);
	expo_init(&w, EXPO_TEXT, &body);
	assert_int_not_equal(expo_family(&w, "bad name", "h", EXPO_GAUGE), 0);
	/* samples without a family are dropped, not misattributed */
	expo_value(&w, "", 0, NULL, 1);
	assert_int_equal(expo_family(&w, "g", "h", EXPO_GAUGE), 0);
	for (int i = 0; i < 100; i++)
		expo_value(&w, "", 0, NULL, i);
	dbuf_init(&meta, 1 << 20);
	/* cap reached: an error, and no pieces to send */
	assert_int_not_equal(expo_finish(&w, &meta, &pieces), 0);
	assert_int_equal(pieces.n, 0);
	expo_pieces_free(&pieces);
	expo_free(&w);
	dbuf_free(&body);
	dbuf_free(&meta);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_openmetrics),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_bad_name_and_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
