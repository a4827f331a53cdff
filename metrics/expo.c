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
 * form a segment of one buffer, and expo_finish() writes the segments
 * sorted by family name (stable, so samples keep their order), with HELP
 * and TYPE once per family. That is what makes the output deterministic and
 * lets collectors write independently.
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

int expo_family(struct expo *w, const char *name, const char *help,
		enum expo_type type)
{
	struct expo_seg *s;

	if (!lbl_name_valid(name) || strlen(name) >= sizeof(s->name))
		return -EINVAL;
	expo_close(w);
	if (w->nseg == w->capseg) {
		size_t cap = w->capseg ? w->capseg * 2 : 64;
		struct expo_seg *p = realloc(w->seg, cap * sizeof(*p));

		if (!p) {
			w->body->failed = true;
			w->cur = -1;
			return -ENOMEM;
		}
		w->seg = p;
		w->capseg = cap;
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
					    expo_format_double(r->value[k],
							       num,
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

int expo_finish(struct expo *w, struct dbuf *out)
{
	bool om = w->fmt == EXPO_OPENMETRICS;

	expo_close(w);
	w->cur = -1;
	if (w->nseg > 1)
		qsort(w->seg, w->nseg, sizeof(*w->seg), expo_seg_cmp);
	for (size_t i = 0; i < w->nseg; i++) {
		const struct expo_seg *s = &w->seg[i];
		const char *meta = s->name, *help = s->help ? s->help : "";
		char total[160];

		if (i == 0 || strcmp(s->name, w->seg[i - 1].name) != 0) {
			if (!om && s->type == EXPO_COUNTER) {
				snprintf(total, sizeof(total), "%s_total",
					 s->name);
				meta = total;
			}
			dbuf_adds(out, "# HELP ");
			dbuf_adds(out, meta);
			dbuf_addc(out, ' ');
			lbl_escape_as(out, help, strlen(help), om);
			dbuf_adds(out, "\n# TYPE ");
			dbuf_adds(out, meta);
			dbuf_adds(out, s->type == EXPO_COUNTER ? " counter\n"
							       : " gauge\n");
		}
		if (s->end > s->start)
			dbuf_add(out, w->body->p + s->start, s->end - s->start);
	}
	if (om)
		dbuf_adds(out, "# EOF\n");
	if (w->body->failed)
		return -E2BIG;
	return out->failed ? -E2BIG : 0;
}
