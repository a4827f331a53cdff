/*
 * fam: metric families.
 *
 * A family maps label sets to values: a counter or, for the unique-count
 * gauges, a sliding-window sketch (metrics/win) per label set.
 * It knows nothing of audit; the aggregator hands it raw label values.
 *
 * Keys. Label values are sanitised (metrics/lbl) before anything else, and
 * the key is the sanitised values joined by 0xff, a byte that valid UTF-8
 * never contains, so distinct label sets have distinct keys and raw values
 * that sanitise alike share one series. The hash table (uthash) is keyed by
 * SipHash under a per-process random key: a process cannot pick names that
 * collide on purpose and turn lookups linear.
 *
 * Each series stores its key and its label text, pre-rendered and escaped
 * once at creation (`comm="nc",uid="0"`), so a scrape copies text and
 * formats numbers and never escapes anything.
 *
 * Bounds. A family holds at most `cap` label sets of its own; beyond that a
 * new label set has its fold labels replaced by "__other__" and lands in the
 * shared folded series, so sums over the family stay right. Folded series
 * are few (the other labels are small enums: family, result, window) and do
 * not count against the cap. Every folded update is counted (fam_folded).
 * fam_sweep drops label sets idle for longer than the idle time, and
 * windowed ones as soon as their sketch holds nothing inside the horizon
 * (not merely idle: a sketch idle for an hour still answers for 24h); the
 * one series of an unlabelled windowed family (the host-wide gauge) stays.
 * Under memory pressure (fam_sweep_pressed), windowed label sets of their
 * own idle for the idle time go too, their sketch with them: the oldest
 * idle give their room to the active.
 *
 * Threads. A family belongs to the reader thread. A scrape takes rows under
 * the exporter's lock (fam_rows), sorts and renders them outside it; label
 * text stays valid because the reader does not sweep while a scrape holds
 * rows. Windowed estimates are computed in slices, each under the lock.
 *
 * Estimates. Each windowed series keeps its last estimates and until when
 * they hold (win_sketch_estimate's until_ms: when the oldest item a window
 * counts leaves it); fam_add_item marks them stale. Most label sets see
 * no new item between two scrapes, so a scrape of 10,000 of them computes
 * few estimates, which were a sixth of the exporter's CPU in a scrape
 * (perf, docs/BENCHMARKS.md). Expiry
 * (fam_sweep) does not mark them stale: it reclaims only items outside
 * every window from then on, which no answer from then on counts.
 *
 * Sorted order. Sorting 10,000 label sets by their text was a fifth of a
 * scrape's time, and between two scrapes the set rarely changes. The family
 * counts its arrivals and departures (gen); a scrape that sorted rows hands
 * the order back (fam_rows_keep_order), and the next fam_rows() walks that
 * order instead of the hash table for as long as gen has not moved.
 */
#include "metrics/fam.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/budget.h"
#include "metrics/dbuf.h"
#include "metrics/lbl.h"
#include "metrics/win.h"

#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(elt) (oom = true)
#include <uthash.h>

#define FAM_KEY_MAX (FAM_MAX_LABELS * (LBL_MAX + 1))
/* The hash table's share of a label set, charged with it: uthash keeps
 * about one 16-byte bucket per 10 entries, and doubles them. */
#define FAM_TABLE_BYTES 16

/* A windowed series' estimates as of the last scrape: they hold for now
 * in [from_ms, until_ms) unless an item was added since (stale). */
struct fam_est {
	int64_t from_ms, until_ms;
	double v[]; /* one per window */
};

struct fam_series {
	UT_hash_handle hh;
	uint64_t count;
	struct win_sketch *sk;
	struct fam_est *est;
	int64_t last_ms;
	bool folded;
	bool stale; /* est: an item was added since */
	uint16_t key_len;
	uint32_t labels_len;
	char data[]; /* key, then label text */
};

struct fam {
	struct fam_desc d;
	unsigned cap;
	struct fam_sketch sk;
	int64_t horizon_ms; /* the longest window */
	struct hash_key hkey;
	struct fam_series *head;
	size_t unfolded;
	uint64_t folded;
	uint64_t gen; /* label sets added or removed so far */
	struct fam_series **order; /* sorted, as of order_gen */
	size_t order_cap;
	uint64_t order_gen;
	/* where label sets and sketches are charged, [reserved] */
	struct budget_acct series_acct[2], sketch_acct[2];
};

struct fam *fam_new(const struct fam_desc *d, unsigned cap,
		    const struct fam_sketch *sketch,
		    const struct hash_key *hkey, struct budget *b)
{
	struct fam *f;
	int64_t horizon = 0;

	if (d && d->type == FAM_WINDOWED && sketch &&
	    sketch->nwin <= FAM_MAX_WINDOWS)
		for (unsigned i = 0; i < sketch->nwin; i++)
			if (sketch->windows_ms[i] > horizon)
				horizon = sketch->windows_ms[i];
	if (!d || !lbl_name_valid(d->name) || !d->help ||
	    d->nlabels > FAM_MAX_LABELS ||
	    (d->type == FAM_WINDOWED &&
	     (horizon < 1 || horizon > WIN_HORIZON_MAX))) {
		errno = EINVAL;
		return NULL;
	}
	for (unsigned i = 0; i < d->nlabels; i++) {
		if (!lbl_name_valid(d->labels[i])) {
			errno = EINVAL;
			return NULL;
		}
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->d = *d;
	if (!f->d.fold)
		f->d.fold = (1u << d->nlabels) - 1;
	f->cap = cap;
	if (d->type == FAM_WINDOWED) {
		f->sk = *sketch;
		f->horizon_ms = horizon;
	}
	f->hkey = *hkey;
	for (int r = 0; r < 2; r++) {
		f->series_acct[r] = (struct budget_acct){ b, BUDGET_SERIES, r };
		f->sketch_acct[r] =
			(struct budget_acct){ b, BUDGET_SKETCHES, r };
	}
	return f;
}

/* Folded label sets and the one of an unlabelled family (the host-wide
 * counts) are charged to the reserve: never refused. */
static bool fam_reserved(const struct fam *f, bool folded)
{
	return folded || f->d.nlabels == 0;
}

/* The bytes a label set is charged, its sketch apart. */
static size_t fam_series_bytes(const struct fam *f, size_t klen,
			       size_t text_len)
{
	size_t n = budget_heap_bytes(sizeof(struct fam_series) + klen +
				     text_len + 1) +
		   FAM_TABLE_BYTES;

	if (f->d.type == FAM_WINDOWED)
		n += budget_heap_bytes(sizeof(struct fam_est) +
				       f->sk.nwin * sizeof(double));
	return n;
}

size_t fam_series_max_bytes(const struct fam *f)
{
	/* escaping at most doubles a value; then its name, "=", quotes and
	 * a comma */
	size_t n = fam_series_bytes(f, FAM_KEY_MAX,
				    (2 * LBL_MAX + 128) * f->d.nlabels);

	if (f->d.type == FAM_WINDOWED)
		n += win_sketch_max_bytes(f->sk.p);
	return n;
}

/* Charges the budget refused so far for f's label sets and sketches:
 * when it moves, a failure was the budget's, not malloc's. */
static uint64_t fam_refusals(const struct fam *f)
{
	const struct budget *b = f->series_acct[0].b;

	return b ? budget_refused(b, BUDGET_SERIES) +
			       budget_refused(b, BUDGET_SKETCHES)
		 : 0;
}

static void fam_series_free(struct fam *f, struct fam_series *s)
{
	budget_release(&f->series_acct[fam_reserved(f, s->folded)],
		       fam_series_bytes(f, s->key_len, s->labels_len));
	win_sketch_free(s->sk);
	free(s->est);
	free(s);
}

void fam_free(struct fam *f)
{
	struct fam_series *s, *tmp;

	if (!f)
		return;
	HASH_ITER(hh, f->head, s, tmp)
	{
		HASH_DEL(f->head, s);
		fam_series_free(f, s);
	}
	free(f->order);
	free(f);
}

const struct fam_desc *fam_desc(const struct fam *f)
{
	return &f->d;
}

/* Builds the key from the values, folding the labels in `fold`; records
 * where each sanitised value starts. Returns the key length. */
static size_t fam_key(const struct fam *f, const struct fam_lv *v,
		      uint32_t fold, char *key, size_t *off, size_t *len)
{
	size_t k = 0;

	for (unsigned i = 0; i < f->d.nlabels; i++) {
		if (i)
			key[k++] = (char)0xff;
		off[i] = k;
		if (fold >> i & 1) {
			memcpy(key + k, FAM_OTHER, sizeof(FAM_OTHER) - 1);
			len[i] = sizeof(FAM_OTHER) - 1;
		} else if (lbl_is_clean(v[i].p, v[i].len)) {
			memcpy(key + k, v[i].p, v[i].len);
			len[i] = v[i].len;
		} else {
			len[i] = lbl_sanitize(v[i].p, v[i].len, key + k,
					      LBL_MAX);
		}
		k += len[i];
	}
	return k;
}

static struct fam_series *fam_create(struct fam *f, const char *key,
				     size_t klen, const size_t *off,
				     const size_t *len, uint32_t hv,
				     bool folded, int64_t now_ms)
{
	struct fam_series *s = NULL;
	struct dbuf text;
	bool oom = false, reserved = fam_reserved(f, folded);

	dbuf_init(&text, FAM_KEY_MAX * 2 + 64 * FAM_MAX_LABELS);
	for (unsigned i = 0; i < f->d.nlabels; i++) {
		if (i)
			dbuf_addc(&text, ',');
		dbuf_adds(&text, f->d.labels[i]);
		dbuf_add(&text, "=\"", 2);
		lbl_escape(&text, key + off[i], len[i]);
		dbuf_addc(&text, '"');
	}
	if (text.failed || budget_charge(&f->series_acct[reserved],
					 fam_series_bytes(f, klen, text.len)))
		goto out;
	s = calloc(1, sizeof(*s) + klen + text.len + 1);
	if (!s) {
		budget_release(&f->series_acct[reserved],
			       fam_series_bytes(f, klen, text.len));
		goto out;
	}
	memcpy(s->data, key, klen);
	s->key_len = (uint16_t)klen;
	if (text.len)
		memcpy(s->data + klen, text.p, text.len);
	s->labels_len = (uint32_t)text.len;
	s->folded = folded;
	s->last_ms = now_ms;
	if (f->d.type == FAM_WINDOWED) {
		s->sk = win_sketch_new_in(f->sk.p, f->horizon_ms, f->sk.key_id,
					  &f->sketch_acct[reserved]);
		s->est = malloc(sizeof(*s->est) + f->sk.nwin * sizeof(double));
		s->stale = true;
		if (!s->sk || !s->est) {
			fam_series_free(f, s);
			s = NULL;
			goto out;
		}
	}
	HASH_ADD_KEYPTR_BYHASHVALUE(hh, f->head, s->data, klen, hv, s);
	if (oom) {
		fam_series_free(f, s);
		s = NULL;
		goto out;
	}
	if (!folded)
		f->unfolded++;
	f->gen++;
out:
	dbuf_free(&text);
	return s;
}

/* create: 1 find or create, 0 find and stamp, -1 find only */
static struct fam_series *fam_lookup(struct fam *f, const struct fam_lv *v,
				     uint32_t fold, int64_t now_ms, int create)
{
	char key[FAM_KEY_MAX];
	size_t off[FAM_MAX_LABELS], len[FAM_MAX_LABELS];
	size_t klen = fam_key(f, v, fold, key, off, len);
	uint32_t hv = (uint32_t)hash_siphash24(&f->hkey, key, klen);
	struct fam_series *s;

	HASH_FIND_BYHASHVALUE(hh, f->head, key, klen, hv, s);
	if (s) {
		if (create >= 0)
			s->last_ms = now_ms;
		return s;
	}
	if (create <= 0)
		return NULL;
	return fam_create(f, key, klen, off, len, hv, fold != 0, now_ms);
}

struct fam_series *fam_get(struct fam *f, const struct fam_lv *v,
			   int64_t now_ms)
{
	bool full = f->cap && f->unfolded >= f->cap;
	uint64_t refusals = fam_refusals(f);
	struct fam_series *s = fam_lookup(f, v, 0, now_ms, full ? 0 : 1);

	/* beyond the cap, or a label set the budget refused: the folded one
	 * (reserved); without memory, nothing */
	if (s || !f->d.nlabels || (!full && fam_refusals(f) == refusals))
		return s;
	f->folded++;
	return fam_lookup(f, v, f->d.fold, now_ms, 1);
}

/* The folded label set an update of s goes to (s's own values where the
 * fold keeps them), created if need be. */
static struct fam_series *
fam_folded_of(struct fam *f, const struct fam_series *s, int64_t now_ms)
{
	struct fam_lv v[FAM_MAX_LABELS];
	const char *p = s->data, *end = s->data + s->key_len;

	for (unsigned i = 0; i < f->d.nlabels; i++) {
		const char *sep = memchr(p, 0xff, (size_t)(end - p));

		v[i].p = p;
		v[i].len = (size_t)((sep ? sep : end) - p);
		p = sep ? sep + 1 : end;
	}
	return fam_lookup(f, v, f->d.fold, now_ms, 1);
}

struct fam_series *fam_find(struct fam *f, const struct fam_lv *v)
{
	return fam_lookup(f, v, 0, 0, -1);
}

void fam_hit(struct fam *f, struct fam_series *s, int64_t now_ms)
{
	s->last_ms = now_ms;
	if (s->folded)
		f->folded++;
}

void fam_inc(struct fam_series *s, uint64_t n)
{
	s->count += n;
}

int fam_add_item(struct fam *f, struct fam_series *s, uint64_t hash,
		 int64_t t_ms)
{
	uint64_t refusals = fam_refusals(f);
	int rc = win_sketch_add(s->sk, hash, t_ms);
	struct fam_series *o;

	s->stale = true;
	if (!rc || fam_reserved(f, s->folded) ||
	    (rc != -ENOBUFS && fam_refusals(f) == refusals))
		return rc;
	/* the budget will not let the sketch grow (now, or at a recent try:
	 * -ENOBUFS): the item goes to the folded sketch, so that the
	 * family's __other__ still counts it */
	o = fam_folded_of(f, s, t_ms);
	if (!o)
		return rc;
	f->folded++;
	o->stale = true;
	return win_sketch_add(o->sk, hash, t_ms);
}

const struct win_sketch *fam_sketch(const struct fam_series *s)
{
	return s->sk;
}

size_t fam_count(const struct fam *f)
{
	return HASH_COUNT(f->head);
}

uint64_t fam_folded(const struct fam *f)
{
	return f->folded;
}

/* pressure: windowed label sets of their own idle for idle_ms go too,
 * folded ones stay */
static size_t fam_sweep_as(struct fam *f, int64_t now_ms, int64_t idle_ms,
			   bool pressure)
{
	struct fam_series *s, *tmp;
	size_t dropped = 0;

	/* the next link is taken before s may be deleted */
	for (s = f->head; s; s = tmp) {
		bool idle = idle_ms > 0 && now_ms - s->last_ms > idle_ms;
		bool drop;

		tmp = s->hh.next;
		if (s->sk) {
			win_sketch_expire(s->sk, now_ms);
			/* an unlabelled family's one series always stays:
			 * a gauge of 0 says more than no gauge */
			drop = f->d.nlabels > 0 &&
			       (win_sketch_newest(s->sk) <=
					now_ms - f->horizon_ms ||
				(pressure && idle && !s->folded));
		} else {
			/* folded label sets (reserved) keep the usual idle
			 * time: only a sweep without pressure drops them */
			drop = idle && !(pressure && s->folded);
		}
		if (!drop)
			continue;
		HASH_DEL(f->head, s);
		if (!s->folded)
			f->unfolded--;
		fam_series_free(f, s);
		f->gen++;
		dropped++;
	}
	return dropped;
}

size_t fam_sweep(struct fam *f, int64_t now_ms, int64_t idle_ms)
{
	return fam_sweep_as(f, now_ms, idle_ms, false);
}

size_t fam_sweep_pressed(struct fam *f, int64_t now_ms, int64_t idle_ms)
{
	return fam_sweep_as(f, now_ms, idle_ms, true);
}

static void fam_row_set(struct fam_row *r, struct fam_series *s)
{
	r->s = s;
	r->labels = s->data + s->key_len;
	r->labels_len = s->labels_len;
	r->count = s->count;
}

int fam_rows(const struct fam *f, struct fam_rows *rows)
{
	size_t n = HASH_COUNT(f->head);
	struct fam_series *s;

	if (n > rows->cap) {
		size_t cap = rows->cap ? rows->cap : 64;
		struct fam_row *r;

		while (cap < n)
			cap *= 2;
		r = realloc(rows->row, cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		rows->row = r;
		rows->cap = cap;
	}
	rows->n = n;
	rows->gen = f->gen;
	rows->failed = false;
	rows->sorted = f->order_gen == f->gen;
	if (rows->sorted) {
		for (size_t i = 0; i < n; i++)
			fam_row_set(&rows->row[i], f->order[i]);
		return 0;
	}
	n = 0;
	for (s = f->head; s; s = s->hh.next)
		fam_row_set(&rows->row[n++], s);
	return 0;
}

/* The words estimating s scans: its log or pairs, and in the dense form
 * a register array. */
static size_t fam_estimate_words(const struct fam *f,
				 const struct fam_series *s)
{
	return win_sketch_bytes(s->sk) / sizeof(uint32_t) +
	       (win_sketch_is_sparse(s->sk) ? 0 : (size_t)1 << f->sk.p);
}

size_t fam_rows_estimate(const struct fam *f, struct fam_rows *rows,
			 size_t from, int64_t now_ms, size_t budget)
{
	size_t i = from, spent = 0;
	unsigned nwin = f->sk.nwin;

	for (; i < rows->n && (i == from || spent < budget); i++) {
		struct fam_row *r = &rows->row[i];
		struct fam_est *e = r->s->est;

		if (!e) /* not a windowed family */
			continue;
		if (r->s->stale || now_ms < e->from_ms ||
		    now_ms >= e->until_ms) {
			win_sketch_estimate(r->s->sk, now_ms, f->sk.windows_ms,
					    nwin, e->v, &e->until_ms);
			if (e->until_ms == INT64_MIN)
				rows->failed = true;
			/* a distinct count is a whole number */
			for (unsigned k = 0; k < nwin; k++)
				e->v[k] = round(e->v[k]);
			e->from_ms = now_ms;
			r->s->stale = false;
			spent +=
				FAM_ESTIMATE_COST + fam_estimate_words(f, r->s);
		} else {
			spent++;
		}
		memcpy(r->value, e->v, nwin * sizeof(double));
	}
	return i;
}

static int fam_row_cmp(const void *a, const void *b)
{
	const struct fam_row *x = a, *y = b;
	size_t n = x->labels_len < y->labels_len ? x->labels_len
						 : y->labels_len;
	int c = memcmp(x->labels, y->labels, n);

	if (c)
		return c;
	return x->labels_len < y->labels_len ? -1
					     : x->labels_len > y->labels_len;
}

void fam_rows_sort(struct fam_rows *rows)
{
	if (!rows->sorted && rows->n > 1)
		qsort(rows->row, rows->n, sizeof(*rows->row), fam_row_cmp);
	rows->sorted = true;
}

void fam_rows_keep_order(struct fam *f, const struct fam_rows *rows)
{
	if (!rows->sorted || rows->gen != f->gen || f->order_gen == f->gen)
		return;
	if (rows->n > f->order_cap) {
		struct fam_series **o = realloc(f->order, rows->n * sizeof(*o));

		if (!o)
			return; /* the next scrape sorts again */
		f->order = o;
		f->order_cap = rows->n;
	}
	for (size_t i = 0; i < rows->n; i++)
		f->order[i] = rows->row[i].s;
	f->order_gen = f->gen;
}

void fam_rows_free(struct fam_rows *rows)
{
	free(rows->row);
	memset(rows, 0, sizeof(*rows));
}
