/*
 * expo: the exposition writer.
 *
 * Two formats from one writer:
 *
 *   text 0.0.4      # HELP audit_connect_total <help>
 *                   # TYPE audit_connect_total counter
 *                   audit_connect_total{comm="nc",uid="0"} 3
 *
 *   OpenMetrics 1.0 # HELP audit_connect <help>
 *                   # TYPE audit_connect counter
 *                   audit_connect_total{comm="nc",uid="0"} 3
 *                   ...
 *                   # EOF
 *
 * The differences: OpenMetrics names a counter family without its _total
 * suffix, escapes double quotes in HELP, and ends with # EOF. Label values
 * arrive escaped already (metrics/lbl, once per label set).
 *
 * Families may be written in any order, even split: each family's samples
 * form a segment of one buffer, and expo_finish() lists the segments
 * sorted by family name (stable, so samples keep their order), with HELP
 * and TYPE once per family. That is what makes the output deterministic and
 * lets collectors write independently. The list is of pieces, HELP and
 * TYPE text between the segments where they lie: the samples (megabytes
 * at 10,000 label sets) are written once and sent from there, not copied
 * again into an ordered buffer, which would double a scrape's memory.
 *
 * Numbers: counters are exact integers; gauges print as integers when they
 * are whole and small enough to be exact, else in the shortest form that
 * reads back to the same double. The common cases never go through printf:
 * a scrape of 10,000 label sets per metric writes tens of thousands of
 * samples, and printf's formatting was a third of its cost.
 */
#include "metrics/expo.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/lbl.h"

struct expo_seg {
	char name[128];
	const char *help;
	enum expo_type type;
	size_t start, end; /* samples in body */
	size_t meta_start, meta_end; /* its HELP and TYPE in meta */
	size_t order;
};

void expo_init(struct expo *w, enum expo_format fmt, struct dbuf *body)
{
	memset(w, 0, sizeof(*w));
	w->fmt = fmt;
	w->cur = -1;
	w->body = body;
	dbuf_reset(body);
}

void expo_free(struct expo *w)
{
	free(w->seg);
	w->seg = NULL;
	w->nseg = w->capseg = 0;
}

static void expo_close(struct expo *w)
{
	if (w->cur >= 0)
		w->seg[w->cur].end = w->body->len;
}

/* A full array of *cap elements of size bytes, doubled: the new array
 * (*cap updated), or NULL with v and *cap as they were. */
static void *expo_grow(void *v, size_t *cap, size_t size)
{
	size_t want = *cap ? *cap * 2 : 64;

	v = realloc(v, want * size);
	if (v)
		*cap = want;
	return v;
}

int expo_family(struct expo *w, const char *name, const char *help,
		enum expo_type type)
{
	struct expo_seg *s;

	if (!lbl_name_valid(name) || strlen(name) >= sizeof(s->name))
		return -EINVAL;
	expo_close(w);
	if (w->nseg == w->capseg) {
		struct expo_seg *p = expo_grow(w->seg, &w->capseg, sizeof(*p));

		if (!p) {
			w->body->failed = true;
			w->cur = -1;
			return -ENOMEM;
		}
		w->seg = p;
	}
	s = &w->seg[w->nseg];
	strcpy(s->name, name);
	s->help = help;
	s->type = type;
	s->start = s->end = w->body->len;
	s->order = w->nseg;
	w->cur = (int)w->nseg++;
	w->name_len = (size_t)snprintf(w->name, sizeof(w->name), "%s%s", name,
				       type == EXPO_COUNTER ? "_total" : "");
	return 0;
}

/* One sample line, `name{labels,extra} num`, with one reservation: a
 * scrape writes tens of thousands, and an append per piece was most of
 * their cost. */
static void expo_sample(struct expo *w, const char *labels, size_t len,
			const char *extra, size_t extra_len, const char *num,
			size_t num_len)
{
	bool braces = len || extra_len;
	size_t n = w->name_len + len + extra_len + num_len + 2 +
		   (braces ? 2 : 0) + (len && extra_len);
	char *p;

	if (w->cur < 0 || !(p = dbuf_extend(w->body, n)))
		return;
	memcpy(p, w->name, w->name_len);
	p += w->name_len;
	if (braces)
		*p++ = '{';
	if (len) {
		memcpy(p, labels, len);
		p += len;
	}
	if (len && extra_len)
		*p++ = ',';
	if (extra_len) {
		memcpy(p, extra, extra_len);
		p += extra_len;
	}
	if (braces)
		*p++ = '}';
	*p++ = ' ';
	memcpy(p, num, num_len);
	p[num_len] = '\n';
}

void expo_counter(struct expo *w, const char *labels, size_t len,
		  const char *extra, uint64_t v)
{
	char num[DBUF_U64_DIGITS];

	expo_sample(w, labels, len, extra, extra ? strlen(extra) : 0, num,
		    dbuf_fmt_u64(num, v));
}

/* A whole number below 2^53 in decimal, without printf. */
static size_t expo_format_whole(double v, char *buf, size_t cap)
{
	char tmp[1 + DBUF_U64_DIGITS];
	size_t n = 0;

	if (v < 0)
		tmp[n++] = '-';
	n += dbuf_fmt_u64(tmp + n, (unsigned long long)fabs(v));
	if (n >= cap)
		n = cap - 1;
	memcpy(buf, tmp, n);
	buf[n] = 0;
	return n;
}

size_t expo_format_double(double v, char *buf, size_t cap)
{
	int n;

	if (isnan(v))
		n = snprintf(buf, cap, "NaN");
	else if (isinf(v))
		n = snprintf(buf, cap, v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 9007199254740992.0)
		return expo_format_whole(v, buf, cap);
	else {
		n = 0;
		for (int prec = 1; prec <= 17; prec++) {
			n = snprintf(buf, cap, "%.*g", prec, v);
			if (strtod(buf, NULL) == v)
				break;
		}
	}
	return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

void expo_value(struct expo *w, const char *labels, size_t len,
		const char *extra, double v)
{
	char num[40];

	expo_sample(w, labels, len, extra, extra ? strlen(extra) : 0, num,
		    expo_format_double(v, num, sizeof(num)));
}

void expo_rows(struct expo *w, const struct fam_desc *d,
	       const struct fam_rows *rows, const char *const *window_names,
	       size_t nwin)
{
	char extra[FAM_MAX_WINDOWS][96], num[40];
	size_t extra_len[FAM_MAX_WINDOWS];

	if (nwin > FAM_MAX_WINDOWS)
		nwin = FAM_MAX_WINDOWS;
	/* the window labels once per family, not once per sample */
	for (size_t k = 0; d->type == FAM_WINDOWED && k < nwin; k++) {
		snprintf(extra[k], sizeof(extra[k]), "window=\"%s\"",
			 window_names[k]);
		extra_len[k] = strlen(extra[k]);
	}
	for (size_t i = 0; i < rows->n; i++) {
		const struct fam_row *r = &rows->row[i];

		switch (d->type) {
		case FAM_COUNTER:
			expo_sample(w, r->labels, r->labels_len, NULL, 0, num,
				    dbuf_fmt_u64(num, r->count));
			break;
		case FAM_WINDOWED:
			for (size_t k = 0; k < nwin; k++)
				expo_sample(w, r->labels, r->labels_len,
					    extra[k], extra_len[k], num,
					    expo_format_double(r->value[k], num,
							       sizeof(num)));
			break;
		}
	}
}

static int expo_seg_cmp(const void *a, const void *b)
{
	const struct expo_seg *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Adds len bytes at base + off (base may be NULL when len is 0). */
static int expo_piece_add(struct expo_pieces *ps, const char *base, size_t off,
			  size_t len)
{
	struct expo_piece *last = ps->n ? &ps->v[ps->n - 1] : NULL;
	const char *p;

	if (!len)
		return 0;
	p = base + off;
	ps->len += len;
	if (last && last->p + last->len == p) { /* contiguous: one piece */
		last->len += len;
		return 0;
	}
	if (ps->n == ps->cap) {
		struct expo_piece *v = expo_grow(ps->v, &ps->cap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		ps->v = v;
	}
	ps->v[ps->n++] = (struct expo_piece){ p, len };
	return 0;
}

/* HELP and TYPE of segment i, unless the segment before it began the
 * same family. */
static void expo_meta(const struct expo *w, size_t i, struct dbuf *meta)
{
	const struct expo_seg *s = &w->seg[i];
	const char *name = s->name, *help = s->help ? s->help : "";
	bool om = w->fmt == EXPO_OPENMETRICS;
	char total[160];

	if (i > 0 && strcmp(s->name, w->seg[i - 1].name) == 0)
		return;
	if (!om && s->type == EXPO_COUNTER) {
		snprintf(total, sizeof(total), "%s_total", s->name);
		name = total;
	}
	dbuf_adds(meta, "# HELP ");
	dbuf_adds(meta, name);
	dbuf_addc(meta, ' ');
	lbl_escape_as(meta, help, strlen(help), om);
	dbuf_adds(meta, "\n# TYPE ");
	dbuf_adds(meta, name);
	dbuf_adds(meta, s->type == EXPO_COUNTER ? " counter\n" : " gauge\n");
}

int expo_finish(struct expo *w, struct dbuf *meta, struct expo_pieces *out)
{
	const char *eof = "# EOF\n";
	int rc = 0;

	expo_close(w);
	w->cur = -1;
	if (w->nseg > 1)
		qsort(w->seg, w->nseg, sizeof(*w->seg), expo_seg_cmp);
	/* all of meta first: pieces point into it, so it must not move */
	dbuf_reset(meta);
	for (size_t i = 0; i < w->nseg; i++) {
		w->seg[i].meta_start = meta->len;
		expo_meta(w, i, meta);
		w->seg[i].meta_end = meta->len;
	}
	out->n = out->len = 0;
	if (w->body->failed || meta->failed)
		return -E2BIG;
	for (size_t i = 0; i < w->nseg && !rc; i++) {
		const struct expo_seg *s = &w->seg[i];

		rc = expo_piece_add(out, meta->p, s->meta_start,
				    s->meta_end - s->meta_start);
		if (!rc)
			rc = expo_piece_add(out, w->body->p, s->start,
					    s->end - s->start);
	}
	if (!rc && w->fmt == EXPO_OPENMETRICS)
		rc = expo_piece_add(out, eof, 0, strlen(eof));
	return rc;
}

int expo_pieces_join(const struct expo_pieces *ps, struct dbuf *out)
{
	int rc = 0;

	for (size_t i = 0; i < ps->n && !rc; i++)
		rc = dbuf_add(out, ps->v[i].p, ps->v[i].len);
	return rc;
}

void expo_pieces_free(struct expo_pieces *ps)
{
	free(ps->v);
	memset(ps, 0, sizeof(*ps));
}
