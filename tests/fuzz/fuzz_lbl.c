/*
 * fuzz_lbl: label values (metrics/lbl) from arbitrary bytes.
 *
 * The first input byte picks an output cap (0..255); the rest is the raw
 * value. It is sanitised at that cap and at LBL_MAX, then escaped. The
 * oracle (tests/fuzz/fuzz_check.h) decodes UTF-8 by code point, unlike
 * lbl.c, which checks byte ranges. Checks:
 *   - the sanitised value is valid UTF-8 without NUL and within the cap;
 *   - it is the input itself when that is already valid, NUL-free and
 *     fits; a smaller cap gives a prefix of it, cut only where the next
 *     character (at most 4 bytes) would not fit;
 *   - lbl_is_clean says yes exactly for printable ASCII within LBL_MAX;
 *   - the escaped value holds no raw '"' or newline, every backslash
 *     starts \\, \" or \n, and unescaping it gives the sanitised value
 *     back; an escape into a buffer too small for it fails with -E2BIG;
 *   - lbl_name_valid agrees with [a-zA-Z_:][a-zA-Z0-9_:]*.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/dbuf.h"
#include "metrics/lbl.h"
#include "tests/fuzz/fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool printable_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

static bool metric_name(const char *s)
{
	if (!*s)
		return false;
	for (const char *p = s; *p; p++) {
		char c = *p;

		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    c != '_' && c != ':' && !(p > s && c >= '0' && c <= '9'))
			return false;
	}
	return true;
}

static void check_escape(const char *v, size_t n)
{
	struct dbuf b, small;
	char *back = malloc(n + 1);
	size_t back_len;
	int rc;

	FUZZ_CHECK("out of memory", back != NULL);
	dbuf_init(&b, 8 * n + 64);
	FUZZ_CHECK("escape", lbl_escape(&b, v, n) == 0);
	FUZZ_CHECK("escaped length", b.len >= n && b.len <= 2 * n);
	FUZZ_CHECK("escaped value",
		   fuzz_label_value_ok(b.p, b.len, back, &back_len));
	FUZZ_CHECK("escape round trip", back_len == n && !memcmp(back, v, n));
	if (b.len > 0) {
		dbuf_init(&small, b.len - 1);
		rc = lbl_escape(&small, v, n);
		FUZZ_CHECK("escape into a buffer too small",
			   rc == -E2BIG && small.failed);
		dbuf_free(&small);
	}
	dbuf_free(&b);
	free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cap = size ? data[0] : 0, len = size ? size - 1 : 0;
	char *in = fuzz_copy(data + (size > 0), len, true);
	/* every input byte becomes at most 3 output bytes (U+FFFD) */
	size_t room = 3 * len + 4;
	char *all = malloc(room), *full = malloc(LBL_MAX), *cut = malloc(256);
	size_t n_all, n_full, n_cut;

	FUZZ_CHECK("out of memory", all && full && cut);
	n_all = lbl_sanitize(in, len, all, room);
	n_full = lbl_sanitize(in, len, full, LBL_MAX);
	n_cut = lbl_sanitize(in, len, cut, cap);
	FUZZ_CHECK("sanitised value is not UTF-8",
		   fuzz_utf8_valid((unsigned char *)all, n_all, false));
	FUZZ_CHECK("cap", n_full <= LBL_MAX && n_cut <= cap);
	FUZZ_CHECK("LBL_MAX cut is not a prefix",
		   n_full <= n_all && !memcmp(full, all, n_full));
	FUZZ_CHECK("small cut is not a prefix",
		   n_cut <= n_all && !memcmp(cut, all, n_cut));
	FUZZ_CHECK("cut before the cap",
		   n_full == n_all || n_full + 3 >= LBL_MAX);
	FUZZ_CHECK("cut before the cap", n_cut == n_all || n_cut + 3 >= cap);
	if (fuzz_utf8_valid((unsigned char *)in, len, false))
		FUZZ_CHECK("valid UTF-8 was changed",
			   n_all == len && !memcmp(all, in, len));
	FUZZ_CHECK("lbl_is_clean",
		   lbl_is_clean(in, len) ==
			   (len <= LBL_MAX && printable_ascii(in, len)));
	FUZZ_CHECK("lbl_name_valid", lbl_name_valid(in) == metric_name(in));
	check_escape(full, n_full);
	check_escape(in, len); /* raw bytes escape as well */
	free(all);
	free(full);
	free(cut);
	free(in);
	return 0;
}
