/* Test helper: one family written by a module into a text exposition. */
#ifndef AE_TESTS_UNIT_EXPOSE_H
#define AE_TESTS_UNIT_EXPOSE_H

#include <stdlib.h>
#include <string.h>

#include "metrics/dbuf.h"
#include "metrics/expo.h"

/* Writes the samples of family `name` (a module's writer with its label
 * scratch buffer) into w. */
typedef int (*expose_fn)(struct expo *w, struct dbuf *lb, const void *arg);

/* The whole text exposition of that one family, malloc'd (free() it);
 * any failure fails the test. */
static inline char *expose_family(const char *name, enum expo_type type,
				  expose_fn fn, const void *arg)
{
	struct dbuf body, meta, lb, out;
	struct expo w;
	struct expo_pieces ps = { 0 };
	char *s;

	dbuf_init(&body, 1 << 20);
	dbuf_init(&meta, 1 << 16);
	dbuf_init(&lb, 4096);
	dbuf_init(&out, 1 << 20);
	expo_init(&w, EXPO_TEXT, &body);
	assert_int_equal(expo_family(&w, name, "h", type), 0);
	assert_int_equal(fn(&w, &lb, arg), 0);
	assert_int_equal(expo_finish(&w, &meta, &ps), 0);
	assert_int_equal(expo_pieces_join(&ps, &out), 0);
	assert_int_equal(dbuf_addc(&out, 0), 0);
	s = strdup(out.p);
	assert_non_null(s);
	expo_pieces_free(&ps);
	expo_free(&w);
	dbuf_free(&body);
	dbuf_free(&meta);
	dbuf_free(&lb);
	dbuf_free(&out);
	return s;
}

#endif
