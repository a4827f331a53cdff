/*
 * fuzz_check: oracles shared by the fuzz targets, written apart from the
 * code they judge (metrics/lbl, metrics/expo) so that a bug there cannot
 * hide itself here.
 *
 *   FUZZ_CHECK(what, cond)   abort() with a message when cond is false:
 *                            libFuzzer then saves the input as a crash
 *   fuzz_copy()              an exact-size heap copy, so ASan sees any read
 *                            past the end of the input
 *   fuzz_utf8_valid()        RFC 3629 by decoding code points (the library
 *                            checks lead and continuation byte ranges)
 *   fuzz_label_value_ok()    an escaped label value: only \\, \" and \n
 *   fuzz_expo_ok()           a whole exposition, line by line
 */
#ifndef AE_TESTS_FUZZ_CHECK_H
#define AE_TESTS_FUZZ_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(what, cond)                                                 \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "fuzz check failed: %s: %s (%s:%d)\n", \
				(what), #cond, __FILE__, __LINE__);            \
			abort();                                               \
		}                                                              \
	} while (0)

/* An exact-size heap copy of data (plus a NUL when nul is set); aborts
 * when memory runs out. The caller frees it. */
static inline char *fuzz_copy(const uint8_t *data, size_t size, bool nul)
{
	size_t n = size + (nul ? 1 : 0);
	char *p = malloc(n ? n : 1);

	FUZZ_CHECK("out of memory", p != NULL);
	if (size)
		memcpy(p, data, size);
	if (nul)
		p[size] = 0;
	return p;
}

/* True when s[0..n) is well-formed UTF-8 (RFC 3629); NUL is refused unless
 * allow_nul. */
static inline bool fuzz_utf8_valid(const unsigned char *s, size_t n,
				   bool allow_nul)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i], need;
		uint32_t cp, min;

		if (c < 0x80) {
			if (c == 0 && !allow_nul)
				return false;
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			need = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			need = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			need = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return false; /* continuation byte or 0xf8.. */
		}
		if (n - i - 1 < need)
			return false;
		for (unsigned k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += need + 1;
	}
	return true;
}

/* True when v[0..n) is a label value as it may stand between the quotes:
 * no raw '"' or newline, and every backslash starts one of \\, \" or \n.
 * When out is not NULL, the unescaped value goes there (n bytes room) and
 * its length to *out_len. */
static inline bool fuzz_label_value_ok(const char *v, size_t n, char *out,
				       size_t *out_len)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = v[i];

		if (c == '"' || c == '\n')
			return false;
		if (c == '\\') {
			if (i + 1 >= n)
				return false;
			c = v[++i];
			if (c == 'n')
				c = '\n';
			else if (c != '\\' && c != '"')
				return false;
		}
		if (out)
			out[o] = c;
		o++;
	}
	if (out_len)
		*out_len = o;
	return true;
}

static inline bool fuzz_name_char(char c, bool first, bool colon)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       (colon && c == ':') || (!first && c >= '0' && c <= '9');
}

/* Length of the metric (colon) or label name at p, 0 if there is none. */
static inline size_t fuzz_name_len(const char *p, const char *end, bool colon)
{
	size_t n = 0;

	while (p + n < end && fuzz_name_char(p[n], n == 0, colon))
		n++;
	return n;
}

/* A sample value: a decimal number, +Inf, -Inf or NaN, nothing else. */
static inline bool fuzz_value_ok(const char *p, size_t n)
{
	char buf[64];
	char *end;

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, p, n);
	buf[n] = 0;
	if (!strcmp(buf, "+Inf") || !strcmp(buf, "-Inf") || !strcmp(buf, "NaN"))
		return true;
	if (strchr(buf, 'n') || strchr(buf, 'N') || strchr(buf, 'x') ||
	    strchr(buf, 'X') || buf[0] == ' ')
		return false; /* strtod would take inf, nan and hex forms */
	(void)strtod(buf, &end);
	return *end == 0;
}

/* One sample line, without its newline. */
static inline bool fuzz_sample_ok(const char *p, const char *end)
{
	size_t n = fuzz_name_len(p, end, true);

	if (!n)
		return false;
	p += n;
	if (p < end && *p == '{') {
		p++;
		while (p < end && *p != '}') {
			const char *v;

			n = fuzz_name_len(p, end, false);
			if (!n || end - p < (ptrdiff_t)n + 2 || p[n] != '=' ||
			    p[n + 1] != '"')
				return false;
			v = p += n + 2;
			/* the closing quote is the first one not escaped */
			while (p < end && *p != '"')
				p += *p == '\\' ? 2 : 1;
			if (p >= end || !fuzz_label_value_ok(v, (size_t)(p - v),
							     NULL, NULL))
				return false;
			p++;
			if (p < end && *p == ',')
				p++;
		}
		if (p >= end)
			return false;
		p++;
	}
	if (p >= end || *p != ' ')
		return false;
	p++;
	return fuzz_value_ok(p, (size_t)(end - p));
}

/* True when text[0..len) is a well-formed exposition: valid UTF-8, every
 * line ends in '\n', and is a # HELP or # TYPE line, a sample, or (only
 * OpenMetrics, only last) # EOF. */
static inline bool fuzz_expo_ok(const char *text, size_t len, bool openmetrics)
{
	const char *p = text, *end = text + len;
	bool eof = false;

	if (!fuzz_utf8_valid((const unsigned char *)text, len, false))
		return false;
	if (len && text[len - 1] != '\n')
		return false;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)(nl - p);

		if (eof)
			return false; /* nothing after # EOF */
		if (n >= 2 && p[0] == '#') {
			if (n == 5 && !memcmp(p, "# EOF", 5) && openmetrics)
				eof = true;
			else if ((n < 7 || (memcmp(p, "# HELP ", 7) &&
					    memcmp(p, "# TYPE ", 7))) ||
				 !fuzz_name_len(p + 7, nl, true))
				return false;
		} else if (!fuzz_sample_ok(p, nl)) {
			return false;
		}
		p = nl + 1;
	}
	return !openmetrics || eof;
}

#endif
