/* Unit tests for exporter/web/accept: content negotiation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "exporter/web/accept.h"

static void test_format(void **state)
{
	(void)state;
	/* Prometheus 2.x's own header: OpenMetrics preferred */
	assert_int_equal(accept_format("application/"
				       "openmetrics-text;version=1.0.0,"
				       "application/"
				       "openmetrics-text;version=0.0.1;q=0.75,"
				       "text/plain;version=0.0.4;q=0.5,*/"
				       "*;q=0.1"),
			 EXPO_OPENMETRICS);
	assert_int_equal(accept_format(NULL), EXPO_TEXT);
	assert_int_equal(accept_format(""), EXPO_TEXT);
	assert_int_equal(accept_format("*/*"), EXPO_TEXT);
	assert_int_equal(accept_format("text/plain"), EXPO_TEXT);
	/* ties go to text; q decides */
	assert_int_equal(accept_format("application/openmetrics-text, "
				       "text/plain"),
			 EXPO_TEXT);
	assert_int_equal(accept_format("text/plain;q=0.4, "
				       "application/openmetrics-text;q=0.5"),
			 EXPO_OPENMETRICS);
	assert_int_equal(accept_format("application/openmetrics-text;q=0"),
			 EXPO_TEXT);
	/* a version we do not write is not acceptable */
	assert_int_equal(accept_format("application/"
				       "openmetrics-text;version=2.0.0"),
			 EXPO_TEXT);
	assert_int_equal(accept_format("Application/OpenMetrics-Text; "
				       "Version=1.0.0"),
			 EXPO_OPENMETRICS);
	assert_int_equal(accept_format("application/"
				       "openmetrics-text;version=\"0.0.1\""),
			 EXPO_OPENMETRICS);
	/* garbage and broken q-values never crash and fall back to text */
	assert_int_equal(accept_format(",,;;==;q=;,application/"
				       "openmetrics-text;q=7"),
			 EXPO_TEXT);
	assert_int_equal(accept_format("application/openmetrics-text;q=0.5x"),
			 EXPO_TEXT);
	assert_int_equal(accept_format(";;;"), EXPO_TEXT);
}

static void test_gzip(void **state)
{
	(void)state;
	assert_true(accept_gzip("gzip"));
	assert_true(accept_gzip("deflate, gzip;q=0.5"));
	assert_true(accept_gzip("*"));
	assert_true(accept_gzip("identity, *;q=0.1"));
	assert_false(accept_gzip(NULL));
	assert_false(accept_gzip(""));
	assert_false(accept_gzip("gzip;q=0"));
	assert_false(accept_gzip("*;q=1, gzip;q=0"));
	assert_false(accept_gzip("deflate, br"));
	assert_false(accept_gzip("gzip;q=abc"));
	assert_true(accept_gzip("x-gzip"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_gzip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
