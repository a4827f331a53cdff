/*
 * dbuf: a growable byte buffer with a hard cap, after curl's dynbuf.
 *
 * Every buffer that grows with input has a ceiling (`max`) chosen by its
 * owner, so no input can make the process allocate without bound. Growth
 * doubles the allocation (amortised O(1) appends). A refused append sets
 * `failed` and leaves the contents as they were; the writer can check once
 * at the end instead of after every append.
 */
#include "metrics/dbuf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dbuf_init(struct dbuf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void dbuf_free(struct dbuf *b)
{
	free(b->p);
	dbuf_init(b, b->max);
}

void dbuf_reset(struct dbuf *b)
{
	b->len = 0;
	b->failed = false;
}

/* Makes room for `need` bytes (content plus the NUL). */
static int dbuf_grow(struct dbuf *b, size_t need)
{
	size_t cap = b->cap ? b->cap : 256;
	char *p;

	while (cap < need)
		cap = cap > b->max / 2 ? b->max + 1 : cap * 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	p = realloc(b->p, cap);
	if (!p) {
		b->failed = true;
		return -ENOMEM;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

/* Room for n more bytes and the NUL: 0, or -E2BIG past max (the content
 * may not exceed it, whatever is allocated) or -ENOMEM; both set failed. */
static int dbuf_reserve(struct dbuf *b, size_t n)
{
	if (b->failed)
		return -ENOMEM;
	if (n > b->max - b->len) {
		b->failed = true;
		return -E2BIG;
	}
	if (b->len + n + 1 > b->cap)
		return dbuf_grow(b, b->len + n + 1);
	return 0;
}

/* Claims n bytes at the end for the caller to write (at). */
static int dbuf_claim(struct dbuf *b, size_t n, char **at)
{
	int rc = dbuf_reserve(b, n);

	if (rc)
		return rc;
	*at = b->p + b->len;
	b->len += n;
	b->p[b->len] = 0; /* always NUL-terminated, not counted */
	return 0;
}

char *dbuf_extend(struct dbuf *b, size_t n)
{
	char *at;

	return dbuf_claim(b, n, &at) ? NULL : at;
}

int dbuf_add(struct dbuf *b, const void *p, size_t n)
{
	char *at;
	int rc = dbuf_claim(b, n, &at);

	if (!rc && n)
		memcpy(at, p, n);
	return rc;
}

int dbuf_addc(struct dbuf *b, char c)
{
	/* the common case, room for it and its NUL: no call, no copy */
	if (!b->failed && b->len + 2 <= b->cap && b->len < b->max) {
		b->p[b->len++] = c;
		b->p[b->len] = 0;
		return 0;
	}
	return dbuf_add(b, &c, 1);
}

int dbuf_adds(struct dbuf *b, const char *s)
{
	return dbuf_add(b, s, strlen(s));
}

int dbuf_addf(struct dbuf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n < sizeof(tmp))
		return dbuf_add(b, tmp, (size_t)n);
	rc = dbuf_reserve(b, (size_t)n);
	if (rc)
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

size_t dbuf_fmt_u64(char out[DBUF_U64_DIGITS], unsigned long long v)
{
	char tmp[DBUF_U64_DIGITS];
	char *p = tmp + sizeof(tmp);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	memcpy(out, p, (size_t)(tmp + sizeof(tmp) - p));
	return (size_t)(tmp + sizeof(tmp) - p);
}

int dbuf_add_u64(struct dbuf *b, unsigned long long v)
{
	char digits[DBUF_U64_DIGITS];

	return dbuf_add(b, digits, dbuf_fmt_u64(digits, v));
}

char *dbuf_take(struct dbuf *b, size_t *len)
{
	char *p = b->p;

	if (len)
		*len = b->len;
	dbuf_init(b, b->max);
	return p;
}
