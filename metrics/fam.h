/* fam: metric families, label sets to values, with caps. See fam.c. */
#ifndef AE_METRICS_FAM_H
#define AE_METRICS_FAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics/hash.h"

#define FAM_MAX_LABELS 8
#define FAM_MAX_WINDOWS 8
#define FAM_OTHER "__other__"

enum fam_type {
	FAM_COUNTER, /* uint64, written with the _total suffix */
	FAM_WINDOWED, /* unique-count gauge: a sliding-window sketch per label
		       * set, written once per window with a "window" label */
};

struct fam_desc {
	const char *name; /* base name: "audit_connect" for audit_connect_total */
	const char *help;
	enum fam_type type;
	unsigned nlabels;
	const char *labels[FAM_MAX_LABELS];
	/* labels that become FAM_OTHER beyond the cap (bit i for labels[i]);
	 * 0 folds them all */
	uint32_t fold;
};

/* Sketch parameters of a FAM_WINDOWED family, and the windows it is read
 * for (1 .. FAM_MAX_WINDOWS of them). */
struct fam_sketch {
	unsigned p; /* precision */
	uint64_t key_id; /* hash key fingerprint (hash_key_id) */
	unsigned nwin;
	int64_t windows_ms[FAM_MAX_WINDOWS]; /* the longest is the horizon */
};

/* A label value as raw bytes; sanitised by the family. */
struct fam_lv {
	const char *p;
	size_t len;
};

struct fam;
struct fam_series;
struct budget;

/* A family with at most cap label sets before folding (cap 0: no cap).
 * sketch is required for FAM_WINDOWED and ignored otherwise. hkey keys the
 * label-set hash table so that chosen names cannot collide on purpose.
 * Label sets and sketches are charged to budget b (NULL: none), which
 * must outlive the family; folded label sets and the one of an unlabelled
 * family to its reserve. Returns NULL with errno set (EINVAL for a bad
 * description). */
struct fam *fam_new(const struct fam_desc *d, unsigned cap,
		    const struct fam_sketch *sketch,
		    const struct hash_key *hkey, struct budget *b);
void fam_free(struct fam *f);
const struct fam_desc *fam_desc(const struct fam *f);

/* The series for these label values (d->nlabels of them), created if new;
 * beyond the cap, or when the budget refuses the new label set, the fold
 * labels become FAM_OTHER (counted in fam_folded). now_ms stamps the use (for fam_sweep). Returns NULL only
 * when memory runs out for the folded one too. Reader thread. */
struct fam_series *fam_get(struct fam *f, const struct fam_lv *v,
			   int64_t now_ms);
/* The series for these values if it exists, without creating or touching
 * it (any thread holding the caller's lock). */
struct fam_series *fam_find(struct fam *f, const struct fam_lv *v);
/* A use of a series obtained earlier and kept by the caller (a cache):
 * stamps it as fam_get would (for fam_sweep) and counts a folded update if
 * it is a folded series. Reader thread. */
void fam_hit(struct fam *f, struct fam_series *s, int64_t now_ms);
void fam_inc(struct fam_series *s, uint64_t n);
/* Adds an item (its 64-bit hash, at event time t_ms) to the sketch of
 * series s of FAM_WINDOWED family f: win_sketch_add, and the series'
 * estimates are computed afresh at the next fam_rows_estimate. When the
 * budget will not let s's sketch grow, the item goes to the sketch of the
 * folded label set instead (counted in fam_folded). 0, or -ENOMEM when the
 * item could not be recorded at all. Reader thread. */
int fam_add_item(struct fam *f, struct fam_series *s, uint64_t hash,
		 int64_t t_ms);
/* The series' sketch (FAM_WINDOWED families), else NULL; changed only
 * through fam_add_item. */
const struct win_sketch *fam_sketch(const struct fam_series *s);

size_t fam_count(const struct fam *f); /* label sets held */
/* The most bytes one label set of f is charged, its sketch included (the
 * reserve a folded one needs). */
size_t fam_series_max_bytes(const struct fam *f);
uint64_t fam_folded(const struct fam *f); /* updates folded so far */

/* Drops label sets not used for idle_ms (0: never), and windowed ones whose
 * sketch is empty over the whole horizon; reclaims expired sketch memory.
 * Must not run while rows taken by fam_rows() are in use. Returns the
 * number of label sets dropped. */
size_t fam_sweep(struct fam *f, int64_t now_ms, int64_t idle_ms);
/* The same under memory pressure: windowed label sets of their own (not
 * folded, not an unlabelled family's) idle for idle_ms (> 0) are dropped
 * too, sketch and all; folded label sets are kept. */
size_t fam_sweep_pressed(struct fam *f, int64_t now_ms, int64_t idle_ms);

/* ---- reading for a scrape ------------------------------------------------
 * Rows are taken under the caller's lock; the label text they point to stays
 * valid until the next fam_sweep, which the caller holds off while rows are
 * in use. Estimates of windowed families are computed in slices
 * (fam_rows_estimate), each under the lock, so it is never held for long. */
struct fam_row {
	struct fam_series *s;
	const char *labels; /* `a="x",b="y"`, escaped, no braces */
	size_t labels_len;
	uint64_t count;
	double value[FAM_MAX_WINDOWS];
};
struct fam_rows {
	struct fam_row *row;
	size_t n, cap;
	uint64_t gen; /* the family's gen when taken */
	bool sorted;
	bool failed; /* an estimate could not be had (no memory) */
};
/* Replaces rows' contents with the family's label sets. 0 or -ENOMEM. */
int fam_rows(const struct fam *f, struct fam_rows *rows);
/* Fills in value[] of rows of windowed family f from row `from` on: the
 * estimates for f's windows ending at now_ms, rounded to whole numbers,
 * until `budget` is spent (at least one row). A row costs 1 when the
 * series' estimates from an earlier call still hold, else FAM_ESTIMATE_COST
 * plus the sketch words it scans. Returns the first row not filled in
 * (rows->n when done). An estimate that cannot be had for lack of memory
 * sets rows->failed (its values are NaN; the next call tries again).
 * Under the caller's lock. */
#define FAM_ESTIMATE_COST 32
size_t fam_rows_estimate(const struct fam *f, struct fam_rows *rows,
			 size_t from, int64_t now_ms, size_t budget);
/* Sorts rows by label text, for a stable output (nothing to do when
 * fam_rows handed them out in a kept order). */
void fam_rows_sort(struct fam_rows *rows);
/* Keeps the order of sorted rows in the family, so that fam_rows() hands
 * out rows sorted until a label set comes or goes. Under the caller's
 * lock; does nothing if the family changed since the rows were taken. */
void fam_rows_keep_order(struct fam *f, const struct fam_rows *rows);
void fam_rows_free(struct fam_rows *rows);

#endif
