/* Unit tests for metrics/lbl and metrics/dbuf: sanitising, escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metrics/dbuf.h"
#include "metrics/lbl.h"

static size_t san(const char *in, size_t len, char *out, size_t cap)
{
	return lbl_sanitize(in, len, out, cap);
}

static void test_sanitize_valid(void **state)
{
	char out[64];
	/* ASCII, 2-, 3- and 4-byte sequences at their limits */
	static const char ok[] = "a\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf"
				 "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf";

	(void)state;
	assert_int_equal(san(ok, sizeof(ok) - 1, out, sizeof(out)),
			 sizeof(ok) - 1);
	assert_memory_equal(out, ok, sizeof(ok) - 1);
	assert_true(lbl_is_clean("nginx", 5));
	/* clean means nothing to sanitise; escaping is separate */
	assert_true(lbl_is_clean("a\"b", 3));
	assert_false(lbl_is_clean("a\nb", 3));
	assert_false(lbl_is_clean("\xc3\xa9", 2));
}

static void test_sanitize_invalid(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		const char *out;
	} cases[] = {
		{ "\xff", 1, "\xef\xbf\xbd" },
		{ "a\x80z", 3, "a\xef\xbf\xbdz" },
		{ "\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd" }, /* overlong / */
		{ "\xe0\x80\xaf", 3,
		  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* overlong */
		{ "\xed\xa0\x80", 3,
		  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* surrogate */
		{ "\xf4\x90\x80\x80", 4,
		  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* >10FFFF */
		{ "\xe2\x82", 2, "\xef\xbf\xbd\xef\xbf\xbd" }, /* truncated */
		{ "a\0b", 3,
		  "a\xef\xbf\xbd"
		  "b" }, /* NUL */
	};
	char out[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = san(cases[i].in, cases[i].len, out, sizeof(out));

		assert_int_equal(n, strlen(cases[i].out));
		assert_memory_equal(out, cases[i].out, n);
	}
}

static void test_sanitize_bound(void **state)
{
	char in[600], out[LBL_MAX];
	size_t n;

	(void)state;
	/* cut at a character boundary, never in the middle of one */
	for (int i = 0; i < 200; i++)
		memcpy(in + 3 * i, "\xe2\x82\xac", 3); /* euro sign */
	n = san(in, 600, out, LBL_MAX);
	assert_int_equal(n, 255);
	assert_int_equal(san(in, 600, out, 4), 3);
	assert_int_equal(san("", 0, out, 4), 0);
}

static void test_escape(void **state)
{
	struct dbuf b;

	(void)state;
	dbuf_init(&b, 1024);
	assert_int_equal(lbl_escape(&b, "ev\"il} 1\nx\\", 11), 0);
	assert_string_equal(b.p, "ev\\\"il} 1\\nx\\\\");
	dbuf_reset(&b);
	assert_int_equal(lbl_escape(&b, "", 0), 0);
	assert_int_equal(b.len, 0);
	dbuf_free(&b);
}

static void test_names(void **state)
{
	(void)state;
	assert_true(lbl_name_valid("audit_connect_total"));
	assert_true(lbl_name_valid("a:b_c9"));
	assert_false(lbl_name_valid("9a"));
	assert_false(lbl_name_valid("a-b"));
	assert_false(lbl_name_valid(""));
	assert_false(lbl_name_valid(NULL));
}

static void test_dbuf_cap(void **state)
{
	struct dbuf b;
	char *p;
	size_t len;

	(void)state;
	dbuf_init(&b, 10);
	assert_int_equal(dbuf_adds(&b, "12345"), 0);
	assert_int_equal(dbuf_add_u64(&b, 6789), 0);
	assert_string_equal(b.p, "123456789");
	assert_int_equal(dbuf_addc(&b, '0'), 0); /* exactly the cap */
	assert_int_not_equal(dbuf_adds(&b, "a"), 0); /* one more */
	assert_true(b.failed);
	assert_int_equal(b.len, 10); /* unchanged */
	assert_int_not_equal(dbuf_addc(&b, 'x'), 0); /* keeps failing */
	dbuf_reset(&b);
	assert_int_equal(dbuf_addf(&b, "%d-%s", 7, "x"), 0);
	assert_string_equal(b.p, "7-x");
	p = dbuf_take(&b, &len);
	assert_int_equal(len, 3);
	assert_string_equal(p, "7-x");
	assert_null(b.p);
	free(p);
	dbuf_init(&b, 1 << 20);
	for (int i = 0; i < 100; i++)
		dbuf_addf(&b, "%0300d",
			  i); /* longer than addf's stack buffer */
	assert_int_equal(b.len, 30000);
	assert_false(b.failed);
	dbuf_add_u64(&b, 18446744073709551615ull);
	assert_string_equal(b.p + 30000, "18446744073709551615");
	dbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sanitize_valid),
		cmocka_unit_test(test_sanitize_invalid),
		cmocka_unit_test(test_sanitize_bound),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_dbuf_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
