/* dbuf: growable byte buffer with a hard cap. See dbuf.c. */
#ifndef AE_METRICS_DBUF_H
#define AE_METRICS_DBUF_H

#include <stdbool.h>
#include <stddef.h>

struct dbuf {
	char *p;
	size_t len;
	size_t cap; /* allocated */
	size_t max; /* hard cap on len */
	bool failed; /* an append was refused (cap or memory) */
};

/* Initialises an empty buffer that never grows beyond max bytes. */
void dbuf_init(struct dbuf *b, size_t max);
void dbuf_free(struct dbuf *b);
/* Empties the buffer, keeps the allocation and clears `failed`. */
void dbuf_reset(struct dbuf *b);
/* Appends; 0, or -ENOMEM / -E2BIG (then `failed` is set and the buffer is
 * unchanged). Later appends after a failure keep failing fast. */
int dbuf_add(struct dbuf *b, const void *p, size_t n);
/* Grows the content by n bytes the caller writes at the pointer returned;
 * NULL (and `failed` set) past max or without memory. One reservation for
 * a line assembled from several pieces, instead of an append per piece. */
char *dbuf_extend(struct dbuf *b, size_t n);
int dbuf_addc(struct dbuf *b, char c);
int dbuf_adds(struct dbuf *b, const char *s);
int dbuf_addf(struct dbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends the decimal form of v. */
int dbuf_add_u64(struct dbuf *b, unsigned long long v);
/* Writes the decimal digits of v to out (no NUL); their count. */
#define DBUF_U64_DIGITS 20
size_t dbuf_fmt_u64(char out[DBUF_U64_DIGITS], unsigned long long v);
/* Hands the bytes to the caller (free() them), leaves b empty. */
char *dbuf_take(struct dbuf *b, size_t *len);

#endif
