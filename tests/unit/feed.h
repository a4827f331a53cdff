/* Test helpers: audit.log text through the aggregator as the reader hands
 * it on, and a whole scrape of an exporter as text. */
#ifndef AE_TESTS_UNIT_FEED_H
#define AE_TESTS_UNIT_FEED_H

#include <string.h>

#include "exporter/agg.h"
#include "exporter/collectors/collector.h"
#include "exporter/exporter.h"
#include "exporter/scrape.h"
#include "metrics/budget.h"
#include "metrics/dbuf.h"
#include "netlink/arec.h"
#include "netlink/asm.h"

/* Every line of text (records, '\n' between them) to the aggregator and
 * the assembler, then the open events flushed. */
static inline void feed_text(struct agg *a, struct asm_ctx *as,
			     const char *text)
{
	char line[2048];
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		struct arec_hdr h;

		assert_true(n < sizeof(line));
		memcpy(line, p, n);
		line[n] = 0;
		if (n) {
			assert_int_equal(arec_parse_line(line, n, &h), 0);
			agg_record(a, &h);
			asm_push(as, &h, h.time_ms);
		}
		p += n + (nl != NULL);
	}
	asm_flush(as);
}

/* x's aggregator and assembler from ac, once x->cfg is parsed: ac takes
 * the flags' cap, windows, precisions and collectors, and a budget of
 * 64 MiB. */
static inline void feed_start(struct exporter *x, struct agg_config *ac)
{
	ac->series_cap = x->cfg.max_series;
	ac->nwindows = x->cfg.nwindows;
	memcpy(ac->windows_ms, x->cfg.windows_ms, sizeof(ac->windows_ms));
	ac->host_p = x->cfg.host_p;
	ac->proc_p = x->cfg.proc_p;
	ac->dest_max = x->cfg.dest_max;
	ac->dest_horizon_ms = x->cfg.dest_horizon_ms;
	for (unsigned i = 0; i < coll_n; i++)
		if (!x->cfg.collector[i])
			ac->disabled |= 1u << i;
	x->budget = budget_new((size_t)64 << 20);
	assert_non_null(x->budget);
	ac->budget = x->budget;
	x->agg = agg_new(ac);
	assert_non_null(x->agg);
	x->asm = asm_new(NULL, agg_event, x->agg);
	assert_non_null(x->asm);
	x->src.last_event_ms = INT64_MIN;
}

/* Frees what feed_start made, checking that every collector gave back
 * what it charged to the budget. */
static inline void feed_stop(struct exporter *x)
{
	scrape_buf_drop(x);
	asm_free(x->asm);
	agg_free(x->agg);
	assert_int_equal(budget_used(x->budget, BUDGET_SERIES), 0);
	assert_int_equal(budget_used(x->budget, BUDGET_TABLES), 0);
	assert_int_equal(budget_reserve(x->budget), 0);
	budget_free(x->budget);
	cfg_free(&x->cfg);
	exporter_lock_destroy(x);
}

/* A dispatcher for cfg and an assembler that feeds it, without an
 * exporter; feed_agg_stop frees both and clears the pointers. */
static inline void feed_agg_start(const struct agg_config *cfg, struct agg **a,
				  struct asm_ctx **as)
{
	*a = agg_new(cfg);
	*as = asm_new(NULL, agg_event, *a);
	assert_non_null(*a);
	assert_non_null(*as);
}

static inline void feed_agg_stop(struct agg **a, struct asm_ctx **as)
{
	asm_free(*as);
	agg_free(*a);
	*a = NULL;
	*as = NULL;
}

/* The value of family's series whose label text is exactly labels;
 * UINT64_MAX when absent. */
static inline uint64_t feed_value(const struct agg *a, const char *family,
				  const char *labels)
{
	struct fam_rows rows = { 0 };
	uint64_t v = UINT64_MAX;

	fam_rows(agg_fam_named(a, family), &rows);
	for (size_t i = 0; i < rows.n; i++)
		if (rows.row[i].labels_len == strlen(labels) &&
		    !memcmp(rows.row[i].labels, labels, rows.row[i].labels_len))
			v = rows.row[i].count;
	fam_rows_free(&rows);
	return v;
}

/* x's exposition in format fmt, NUL-terminated in out (dbuf_free it). */
static inline void feed_render(struct exporter *x, enum expo_format fmt,
			       struct dbuf *out)
{
	struct scrape_buf *b = scrape_buf_take(x);

	assert_non_null(b);
	assert_int_equal(scrape_render(fmt, b), 0);
	dbuf_init(out, 1 << 24);
	assert_int_equal(expo_pieces_join(&b->pieces, out), 0);
	dbuf_addc(out, '\0');
	assert_false(out->failed);
	scrape_buf_give(b);
}

/* x's exposition in the text format, NUL-terminated in out (dbuf_free
 * it). */
static inline void render_text(struct exporter *x, struct dbuf *out)
{
	feed_render(x, EXPO_TEXT, out);
}

#endif
