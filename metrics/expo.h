/* expo: the exposition writer (text 0.0.4 and OpenMetrics 1.0). See expo.c */
#ifndef AE_METRICS_EXPO_H
#define AE_METRICS_EXPO_H

#include <stddef.h>
#include <stdint.h>

#include "metrics/dbuf.h"
#include "metrics/fam.h"

enum expo_format {
	EXPO_TEXT, /* text/plain; version=0.0.4 */
	EXPO_OPENMETRICS, /* application/openmetrics-text; version=1.0.0 */
};
enum expo_type { EXPO_COUNTER, EXPO_GAUGE };

#define EXPO_CT_TEXT "text/plain; version=0.0.4; charset=utf-8"
#define EXPO_CT_OPENMETRICS                                                    \
	"application/openmetrics-text; version=1.0.0; charset=utf-8"

struct expo_seg;

/* Collects families, then writes them sorted by name, each with its HELP
 * and TYPE once, into out. Writing order does not matter: a family begun
 * twice is written as one. All text goes through dbufs with hard caps. */
struct expo {
	enum expo_format fmt;
	struct dbuf *body; /* segments, in writing order; the caller's */
	struct expo_seg *seg;
	size_t nseg, capseg;
	int cur; /* current segment, -1 before the first family */
	char name[128]; /* the current family's sample name */
	size_t name_len;
};

/* Samples are written to body, which the caller owns and may reuse from
 * one exposition to the next (it is emptied here; its max caps them). */
void expo_init(struct expo *w, enum expo_format fmt, struct dbuf *body);
void expo_free(struct expo *w); /* leaves body to its owner */
/* Begins a family; name is the base name (counters get _total on their
 * samples). Returns 0 or -EINVAL for an invalid name. */
int expo_family(struct expo *w, const char *name, const char *help,
		enum expo_type type);
/* A sample of the current family, exact integer or floating value.
 * labels: escaped label text without braces (may be empty); extra: one more
 * escaped `name="value"` or NULL. */
void expo_counter(struct expo *w, const char *labels, size_t len,
		  const char *extra, uint64_t v);
void expo_value(struct expo *w, const char *labels, size_t len,
		const char *extra, double v);
/* Writes the rows of a family; windowed families get one sample per window,
 * labelled window=<window_names[i]>. */
void expo_rows(struct expo *w, const struct fam_desc *d,
	       const struct fam_rows *rows, const char *const *window_names,
	       size_t nwin);
/* The finished exposition as a list of pieces in order: HELP and TYPE
 * text in the caller's meta buffer, samples where they were written in
 * body. Sent as they are (an iovec), never copied into one buffer. */
struct expo_piece {
	const char *p;
	size_t len;
};
struct expo_pieces {
	struct expo_piece *v;
	size_t n, cap;
	size_t len; /* bytes in all pieces */
};
/* Sorts the families, writes their HELP and TYPE lines (and OpenMetrics'
 * # EOF) into meta, which is emptied first, and lists the exposition in
 * out, valid while body and meta are unchanged. Returns 0, or
 * -E2BIG/-ENOMEM if a cap was hit or memory ran out. */
int expo_finish(struct expo *w, struct dbuf *meta, struct expo_pieces *out);
/* Appends the pieces to one buffer (tests, tools); 0 or -E2BIG/-ENOMEM. */
int expo_pieces_join(const struct expo_pieces *ps, struct dbuf *out);
void expo_pieces_free(struct expo_pieces *ps);
/* Shortest decimal text that reads back as v ("+Inf", "NaN" as well). */
size_t expo_format_double(double v, char *buf, size_t cap);

#endif
