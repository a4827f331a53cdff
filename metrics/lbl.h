/* lbl: label values made safe for the exposition. See lbl.c. */
#ifndef AE_METRICS_LBL_H
#define AE_METRICS_LBL_H

#include <stdbool.h>
#include <stddef.h>

#include "metrics/dbuf.h"

#define LBL_MAX 256 /* bytes of a sanitised label value, at most */

/* Turns raw bytes into valid UTF-8 of at most cap bytes (cap <= LBL_MAX
 * is typical): invalid sequences and NUL become U+FFFD, the value is cut at
 * a character boundary. Returns the length written to out. */
size_t lbl_sanitize(const char *in, size_t len, char *out, size_t cap);
/* True when in is already its own sanitised form (the common case:
 * printable ASCII within LBL_MAX bytes). */
bool lbl_is_clean(const char *in, size_t len);
/* Appends a sanitised value escaped for a quoted label value: backslash,
 * double quote and newline become \\, \" and \n. */
int lbl_escape(struct dbuf *b, const char *v, size_t len);
/* The same, quotes left alone unless quote: HELP text in the 0.0.4 text
 * format escapes only backslash and newline. */
int lbl_escape_as(struct dbuf *b, const char *v, size_t len, bool quote);
/* True when name is a valid Prometheus metric or label name. */
bool lbl_name_valid(const char *name);

#endif
