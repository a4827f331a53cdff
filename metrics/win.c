/*
 * win: the sliding-window distinct counter the exporter keeps per label set.
 *
 * What it answers: about how many distinct items (hashes of (address,
 * port)) were added in (now - w, now], for every window w up to a horizon
 * fixed at creation (the longest configured window, 24h by default), with
 * window edges exact to the millisecond of the event clock. One structure
 * serves all windows, and estimate computes them all in one pass.
 *
 * Algorithm: sliding HyperLogLog (Chabchoub and Hebrail, "Sliding
 * HyperLogLog: estimating cardinality in a data stream over a sliding
 * window", 2010). Items map to (register j, rank r) exactly as in hll.c.
 * For each register the sketch keeps its "list of future possible maxima":
 * the items that may still be the largest rank of that register in some
 * window, i.e. those with a rank strictly larger than every newer item's.
 * Newer items with rank >= r make an older one useless: any window that
 * holds the older also holds the newer. The register of a window starting
 * after time s is then the largest rank among the kept items newer than s.
 * That is a max over a set, so the kept items need no per-register order:
 * they can live in one time-ordered log, and the items that a newer one
 * made useless may stay in it for a while, harmlessly, until a compaction
 * drops them. That is the layout below.
 *
 * Clock. Times are int64 ms since the epoch from audit event headers:
 * mostly increasing, a few ms out of order across CPUs. An item older than
 * the newest one is stamped with the newest time: it stays in every window
 * at most those few ms longer than it should and never leaves early, and
 * the log stays sorted so add is an append. Likewise a query "now" earlier
 * than the newest item is answered as of the newest item: the sketch's
 * clock never runs backwards. A jump forward (a clock step) simply ages
 * everything; items past the horizon are reclaimed.
 *
 * Sparse form (small sets, near-exact). Pairs of uint32_t words sorted by
 * the first:
 *
 *	word 0: [0][index' = hash & 2^25-1 (25 bits)][rank' at p'=25 (6 bits)]
 *	word 1: time - base, in ms (base is an int64 in the struct)
 *
 * one pair per distinct (index', rank'), holding its latest time: 8 bytes
 * per distinct item. A window's count is linear counting over the 2^25
 * virtual registers that hold a pair newer than the window start: at 100
 * items the standard error is about 0.001 items. Re-adding a known item
 * rewrites its time in place (binary search, no allocation); a new item
 * is inserted in order (a move of at most a few KiB). The times stay
 * within the horizon of the newest (< 2^31 ms): pairs that left it are
 * dropped before the array grows, and base moves when needed.
 *
 * Dense form (the windowed log). One uint32_t word per kept item, in time
 * order, each carrying the time since the previous word:
 *
 *	entry:     [delta (26-p bits)][register j (p bits)][rank r (6 bits)]
 *	escape:    [delta >> (26-p) (25 bits)]            [1][0 0 0 0 0 0]
 *	tombstone: [delta (26-p bits)][0 ...             0][0 0 0 0 0 0]
 *
 * r >= 1 marks an entry (ranks go up to 65-p <= 61). An escape precedes an
 * entry whose delta does not fit (more than 16.4 s at p = 12, 4.1 s at
 * p = 14) and adds its high part. Tombstones exist only inside a
 * compaction. base is the time of the first entry, newest that of the
 * last, so the log decodes forwards from base and backwards from newest.
 * Gaps are under the horizon (a larger jump empties the log first), so an
 * entry needs at most one escape.
 *
 *	add        append one word (two with an escape); if the buffer is
 *	           full, compact first. No allocation but in compaction.
 *	compact    backwards from newest with a max rank per register (m
 *	           scratch bytes): an entry survives if it is inside the
 *	           horizon and its rank beats every newer entry of its
 *	           register; the dead become tombstones. Then forwards,
 *	           rewriting the survivors in place with merged deltas (the
 *	           output never overtakes the input: a merged gap needs at
 *	           most one escape and replaces at least two words). The
 *	           buffer is then sized to the survivors plus a slack of
 *	           max(n/8, m/8, 16) words, so compaction runs once per slack
 *	           adds and costs O(n + m): amortised O(1) per add, and the
 *	           log holds at most 1.25x the live items. An emptied log
 *	           returns to the sparse form.
 *	estimate   backwards from newest, one register array, a histogram
 *	           of register values kept current, and the windows in
 *	           ascending order: when the scan crosses a window's start,
 *	           that window's registers are complete and Ertl's estimator
 *	           (hll.c) runs on the histogram. O(n + m + 64 k).
 *	registers  the same scan, folding each entry to precision q on the
 *	           fly (hll_fold_rank), for the fleet export.
 *
 * Promotion: the sparse form turns dense when one more pair would make it
 * larger than a static dense sketch (8(n+1) > 3m/4: past 384 items at
 * p = 12, 1536 at p = 14). Its pairs are sorted by time, folded from
 * precision 25 to p and written as a log. Above that size the log costs
 * about 4 bytes per live item against the sparse form's 8, and its live
 * items grow only as log(n) per register.
 *
 * Bounds. A compaction leaves at most 65 - p entries per register (ranks
 * go up to 65 - p, and a survivor outranks every newer one of its
 * register), each with at most one escape (gaps stay under the horizon,
 * < 2^31 ms), so n <= 2 (65 - p) m words; the buffer is then refitted
 * only if it is outside [n + slack/2, n + 2 slack], so cap <= 1.25 n +
 * m/4 + 32 words, and the log does not grow between compactions. The
 * sparse form stays under m bytes (3m/4 plus a growth step). That is
 * win_sketch_max_bytes: 8 MiB at p = 14, 2.1 MiB at p = 12, whatever the
 * items; real streams stay
 * far below (about ln(n) entries per register: the table below). The
 * scratch of a compaction or an estimate (m bytes, freed on return) is
 * not counted.
 *
 * Budget. A sketch made with win_sketch_new_in charges the heap chunks of
 * its struct and its buffer (win_sketch_bytes and malloc's headers) to a
 * budget account (metrics/budget) before allocating; a refused charge
 * fails like a failed allocation: the add returns -ENOMEM, or the
 * compaction keeps the buffer it has. A log that the budget keeps from
 * growing would otherwise compact at every add once full (O(n) each:
 * 94% of the reader's time, 1,200 events/s, for one user's sketch of a
 * million destinations under a 16 MiB limit, bench_memory). So when a
 * compaction leaves less than a slack free, the next n/4 adds that find
 * the log full are refused at once (the caller hands them to the folded
 * sketch, fam.c) before it compacts again: amortised O(1) per add again,
 * and nothing it could have kept is lost, since only time (expiry) or new
 * items can free entries and the refused items are counted elsewhere.
 *
 * Invariants: sparse pairs sorted, unique by word 0, times in
 * [base, newest]; dense log sorted by time, first entry at base, last at
 * newest, no trailing escape; newest == INT64_MIN iff the sketch holds no
 * item; p, horizon and key_id never change.
 *
 * Measured sizes (win_sketch_bytes: 64-byte struct + buffer; n distinct
 * items spread evenly over a 24h horizon; `sketch_bench bytes`, which also
 * gives the steady state: the peak while a second and third day of new
 * items at the same rate push the first out):
 *
 *	distinct/24h      10^2     10^3     10^4     10^5     10^6
 *	p = 12 (bytes)     960    9,076   31,756   60,240   86,476
 *	  steady           960    9,076   33,680   60,240   91,624
 *	p = 14 (bytes)     960    8,344   73,156  163,156  283,436
 *
 * (10^2 and, at p = 14, 10^3 are sparse.) 20,000 sketches of 50
 * destinations each take 528 bytes each, 10 MiB in all; the process
 * holding them peaks at 15.5 MiB RSS. Below ~5,000 items a day most log
 * entries need an escape (gaps over 16 s at p = 12), so the log then
 * costs about what the sparse form would. Speed: add 73 ns (p = 12) and
 * 86 ns (p = 14) amortised, compaction included, at 100 events/ms over
 * 200k destinations; estimate of 3 windows 55 us at p = 12, 144 us at
 * p = 14.
 */
#include "metrics/win.h"

#include "metrics/budget.h"
#include "metrics/hll.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct win_sketch {
	uint64_t key_id;
	int64_t horizon; /* ms */
	int64_t newest; /* ms; INT64_MIN when empty */
	int64_t base; /* ms; sparse: offset origin; dense: first entry */
	uint32_t *w; /* sparse pairs or the dense log */
	const struct budget_acct *acct; /* charged win_sketch_bytes; or NULL */
	uint32_t n; /* words in use */
	uint32_t cap; /* words allocated */
	/* dense: adds to refuse at once before compacting again, after a
	 * compaction that left less than a slack free and could not grow */
	uint32_t backoff;
	uint8_t p;
	uint8_t dense;
};

#define WIN_SPARSE_MASK ((UINT64_C(1) << HLL_SPARSE_P) - 1)
#define WIN_ESC_MAX ((UINT64_C(1) << 25) - 1)

static inline int64_t win_before(int64_t t, int64_t d)
{
	/* t - d, saturating: d >= 0 always. */
	return t < INT64_MIN + d ? INT64_MIN : t - d;
}

static inline int64_t win_max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/* The ms a log word adds to the running time. */
static inline uint64_t win_word_delta(uint32_t w, unsigned p)
{
	if ((w & 127) == 64)
		return (uint64_t)(w >> 7) << (26 - p);
	return w >> (6 + p);
}

static inline uint32_t win_gap_words(uint64_t gap, unsigned p)
{
	uint64_t hi = gap >> (26 - p);

	if (!hi)
		return 1;
	return 1 + (uint32_t)((hi + WIN_ESC_MAX - 1) / WIN_ESC_MAX);
}

/* The escape words for the high part hi of a gap; rare (gaps over 16 s
 * at p = 12), so kept out of the inlined path. */
static uint32_t win_emit_escapes(uint32_t *w, uint32_t at, uint64_t hi)
{
	while (hi) {
		uint64_t e = hi < WIN_ESC_MAX ? hi : WIN_ESC_MAX;

		w[at++] = (uint32_t)(e << 7) | 64;
		hi -= e;
	}
	return at;
}

/* Writes the words of an entry `gap` ms after the previous one at w[at];
 * returns the next free index. */
static inline uint32_t win_emit(uint32_t *w, uint32_t at, uint64_t gap,
				uint32_t j, unsigned r, unsigned p)
{
	unsigned d = 26 - p;

	if (gap >> d)
		at = win_emit_escapes(w, at, gap >> d);
	w[at++] = (uint32_t)((gap & ((UINT64_C(1) << d) - 1)) << (6 + p)) |
		  j << 6 | r;
	return at;
}

static uint32_t win_slack(const struct win_sketch *s, uint32_t n)
{
	uint32_t sl = n / 8, mm = (UINT32_C(1) << s->p) / 8;

	if (sl < mm)
		sl = mm;
	return sl < 16 ? 16 : sl;
}

/* ---- the buffer, charged to the budget ----------------------------------
 * Every change of s->w's size goes through these three, so the account
 * always holds win_sketch_bytes(s): growth is charged before it is
 * allocated and fails as -ENOMEM when refused. */

/* The heap a buffer of cap words takes. */
static size_t win_buf_heap(uint32_t cap)
{
	return budget_heap_bytes((size_t)cap * sizeof(uint32_t));
}

/* A new buffer of cap words, charged; NULL when refused or not had. */
static uint32_t *win_buf_new(struct win_sketch *s, uint32_t cap)
{
	uint32_t *w;

	if (budget_charge(s->acct, win_buf_heap(cap)) < 0)
		return NULL;
	w = malloc((size_t)cap * sizeof(uint32_t));
	if (!w)
		budget_release(s->acct, win_buf_heap(cap));
	return w;
}

/* Replaces s's buffer by w (cap words, from win_buf_new, or NULL and 0). */
static void win_buf_set(struct win_sketch *s, uint32_t *w, uint32_t cap)
{
	free(s->w);
	budget_release(s->acct, win_buf_heap(s->cap));
	s->w = w;
	s->cap = cap;
}

/* Resizes s's buffer to cap words, keeping its contents. 0 or -ENOMEM
 * (the buffer is unchanged). */
static int win_buf_resize(struct win_sketch *s, uint32_t cap)
{
	size_t old = win_buf_heap(s->cap), bytes = win_buf_heap(cap);
	uint32_t *w;

	if (bytes > old && budget_charge(s->acct, bytes - old) < 0)
		return -ENOMEM;
	w = realloc(s->w, (size_t)cap * sizeof(uint32_t));
	if (!w) {
		if (bytes > old)
			budget_release(s->acct, bytes - old);
		return -ENOMEM;
	}
	if (bytes < old)
		budget_release(s->acct, old - bytes);
	s->w = w;
	s->cap = cap;
	return 0;
}

static void win_clear(struct win_sketch *s)
{
	win_buf_set(s, NULL, 0);
	s->n = 0;
	s->dense = 0;
	s->newest = INT64_MIN;
	s->base = 0;
}

struct win_sketch *win_sketch_new(unsigned p, int64_t horizon_ms,
				  uint64_t key_id)
{
	return win_sketch_new_in(p, horizon_ms, key_id, NULL);
}

struct win_sketch *win_sketch_new_in(unsigned p, int64_t horizon_ms,
				     uint64_t key_id,
				     const struct budget_acct *acct)
{
	struct win_sketch *s;

	if (p < WIN_P_MIN || p > WIN_P_MAX || horizon_ms < 1 ||
	    horizon_ms > WIN_HORIZON_MAX) {
		errno = EINVAL;
		return NULL;
	}
	if (budget_charge(acct, budget_heap_bytes(sizeof(*s))) < 0) {
		errno = ENOMEM;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		budget_release(acct, budget_heap_bytes(sizeof(*s)));
		return NULL;
	}
	s->acct = acct;
	s->p = (uint8_t)p;
	s->horizon = horizon_ms;
	s->key_id = key_id;
	s->newest = INT64_MIN;
	return s;
}

void win_sketch_free(struct win_sketch *s)
{
	if (!s)
		return;
	win_buf_set(s, NULL, 0);
	budget_release(s->acct, budget_heap_bytes(sizeof(*s)));
	free(s);
}

int64_t win_sketch_newest(const struct win_sketch *s)
{
	return s->newest;
}

size_t win_sketch_max_bytes(unsigned p)
{
	size_t m = (size_t)1 << p;

	/* 2.5 (65 - p) m + m/4 + 32 words: see "Bounds" above; and the
	 * headers and rounding of malloc's two chunks */
	return sizeof(struct win_sketch) +
	       sizeof(uint32_t) * (5 * (65 - p) * m / 2 + m / 4 + 32) + 64;
}

size_t win_sketch_bytes(const struct win_sketch *s)
{
	return sizeof(*s) + (size_t)s->cap * sizeof(uint32_t);
}

int win_sketch_is_sparse(const struct win_sketch *s)
{
	return !s->dense;
}

/* ---- dense form ---------------------------------------------------------- */

/* Resizes the log to n words plus slack, with hysteresis so that a steady
 * state does not realloc at every compaction. Failure keeps the buffer. */
static void win_log_fit(struct win_sketch *s)
{
	uint32_t sl = win_slack(s, s->n);

	if (s->cap >= s->n + sl / 2 && s->cap <= s->n + 2 * sl)
		return;
	(void)win_buf_resize(s, s->n + sl);
}

/* Drops every entry at or before cutoff and every entry a newer one of
 * its register matches or beats; see the design comment. 0 or -ENOMEM
 * (nothing changed). May return the sketch to the (empty) sparse form. */
static int win_compact(struct win_sketch *s, int64_t cutoff)
{
	unsigned p = s->p;
	uint32_t m = UINT32_C(1) << p, start = 0, out = 0, i;
	uint32_t keep_low = ~((UINT32_C(1) << (6 + p)) - 1);
	uint8_t *mx = calloc(m, 1);
	int64_t t = s->newest, t_start = s->base, last = 0;
	int first = 1;

	if (!mx)
		return -ENOMEM;
	for (i = s->n; i-- > 0;) {
		uint32_t w = s->w[i];

		if (w & 63) {
			uint32_t j = (w >> 6) & (m - 1);

			if (t <= cutoff) {
				start = i + 1;
				t_start = t;
				break;
			}
			if ((w & 63) > mx[j])
				mx[j] = (uint8_t)(w & 63);
			else
				s->w[i] = w & keep_low;
		}
		t -= (int64_t)win_word_delta(w, p);
	}
	free(mx);
	t = t_start;
	for (i = start; i < s->n; i++) {
		uint32_t w = s->w[i];

		t += (int64_t)win_word_delta(w, p);
		if (!(w & 63))
			continue;
		if (first) {
			s->base = last = t;
			first = 0;
		}
		out = win_emit(s->w, out, (uint64_t)(t - last),
			       (w >> 6) & (m - 1), w & 63, p);
		last = t;
	}
	s->n = out;
	if (!out) {
		win_clear(s);
		return 0;
	}
	win_log_fit(s);
	return 0;
}

/* Appends (j, r) at t >= newest. 0, 1 when the sketch went back to the
 * sparse form (the caller adds there), -ENOMEM, or -ENOBUFS (backing
 * off). */
static int win_dense_add(struct win_sketch *s, uint32_t j, unsigned r,
			 int64_t t)
{
	uint64_t gap = (uint64_t)t - (uint64_t)s->newest;
	uint32_t need = win_gap_words(gap, s->p);

	if (gap >= (uint64_t)s->horizon || s->n + need > s->cap) {
		if (gap < (uint64_t)s->horizon && s->backoff) {
			s->backoff--;
			return -ENOBUFS;
		}
		if (win_compact(s, win_before(t, s->horizon)) < 0 &&
		    s->n + need > s->cap)
			return -ENOMEM;
		if (!s->dense)
			return 1;
		gap = (uint64_t)t - (uint64_t)s->newest;
		need = win_gap_words(gap, s->p);
		/* a compaction that could grow leaves slack / 2 free at least */
		if (s->cap - s->n < need + win_slack(s, s->n) / 4)
			s->backoff = s->n / 4 + 1;
		if (s->n + need > s->cap)
			return -ENOMEM;
	}
	s->n = win_emit(s->w, s->n, gap, j, r, s->p);
	s->newest = t;
	return 0;
}

/* ---- sparse form --------------------------------------------------------- */

static inline int64_t win_pair_time(const struct win_sketch *s, uint32_t i)
{
	return s->base + (int64_t)s->w[2 * i + 1];
}

/* Index of the pair with key, or of where it would go. */
static uint32_t win_sparse_find(const struct win_sketch *s, uint32_t key)
{
	uint32_t lo = 0, hi = s->n / 2;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (s->w[2 * mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Drops the pairs at or before cutoff; keeps the buffer. */
static void win_sparse_reclaim(struct win_sketch *s, int64_t cutoff)
{
	uint32_t out = 0;

	for (uint32_t i = 0; i < s->n / 2; i++) {
		if (win_pair_time(s, i) <= cutoff)
			continue;
		s->w[2 * out] = s->w[2 * i];
		s->w[2 * out + 1] = s->w[2 * i + 1];
		out++;
	}
	s->n = 2 * out;
	if (!out)
		s->newest = INT64_MIN;
}

/* Moves base up to newest - horizon so that offsets stay below 2^32. */
static void win_sparse_rebase(struct win_sketch *s, int64_t t)
{
	int64_t nb = win_before(t, s->horizon);

	win_sparse_reclaim(s, nb);
	for (uint32_t i = 0; i < s->n / 2; i++)
		s->w[2 * i + 1] = (uint32_t)(win_pair_time(s, i) - nb);
	s->base = nb;
}

static int win_u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Writes `cnt` time-sorted items (time offset << 32 | sparse key, offsets
 * from tbase) as a fresh log; replaces the sketch's buffer. 0/-ENOMEM. */
static int win_log_from_sorted(struct win_sketch *s, const uint64_t *it,
			       uint32_t cnt, int64_t tbase)
{
	unsigned p = s->p;
	uint32_t m = UINT32_C(1) << p, words = 0, cap, at = 0;
	uint64_t prev = it[0] >> 32;
	uint32_t *w;

	for (uint32_t i = 0; i < cnt; i++) {
		words += win_gap_words((it[i] >> 32) - prev, p);
		prev = it[i] >> 32;
	}
	cap = words + win_slack(s, words);
	w = win_buf_new(s, cap);
	if (!w)
		return -ENOMEM;
	prev = it[0] >> 32;
	for (uint32_t i = 0; i < cnt; i++) {
		uint32_t key = (uint32_t)it[i], idx = key >> 6;

		at = win_emit(w, at, (it[i] >> 32) - prev, idx & (m - 1),
			      hll_fold_rank(idx, HLL_SPARSE_P, p,
					    (uint8_t)(key & 63)),
			      p);
		prev = it[i] >> 32;
	}
	win_buf_set(s, w, cap);
	s->n = at;
	s->base = tbase + (int64_t)(it[0] >> 32);
	s->dense = 1;
	return 0;
}

/* Sparse to dense; 0 or -ENOMEM (nothing changed). */
static int win_promote(struct win_sketch *s)
{
	uint32_t cnt;
	uint64_t *it;
	int rc;

	win_sparse_reclaim(s, win_before(s->newest, s->horizon));
	cnt = s->n / 2;
	if (!cnt)
		return 0; /* an empty sketch stays sparse */
	it = malloc((size_t)cnt * sizeof(*it));
	if (!it)
		return -ENOMEM;
	for (uint32_t i = 0; i < cnt; i++)
		it[i] = (uint64_t)s->w[2 * i + 1] << 32 | s->w[2 * i];
	qsort(it, cnt, sizeof(*it), win_u64_cmp);
	rc = win_log_from_sorted(s, it, cnt, s->base);
	free(it);
	return rc;
}

static int win_sparse_grow(struct win_sketch *s)
{
	uint32_t pairs = s->cap / 2, add = pairs / 4 > 4 ? pairs / 4 : 4;

	return win_buf_resize(s, (pairs + add) * 2);
}

/* 0, or -ENOMEM when the item could not be recorded. */
static int win_sparse_add(struct win_sketch *s, uint64_t hash, int64_t t)
{
	uint32_t key = (uint32_t)(hash & WIN_SPARSE_MASK) << 6 |
		       hll_rank(hash, HLL_SPARSE_P);
	uint32_t m = UINT32_C(1) << s->p, i;

	if (!s->n)
		s->base = t;
	else if ((uint64_t)t - (uint64_t)s->base > UINT32_MAX)
		win_sparse_rebase(s, t);
	i = win_sparse_find(s, key);
	if (i < s->n / 2 && s->w[2 * i] == key) {
		s->w[2 * i + 1] = (uint32_t)(t - s->base);
		s->newest = t;
		return 0;
	}
	if (s->n + 2 > s->cap) {
		win_sparse_reclaim(s, win_before(t, s->horizon));
		if (!s->n)
			s->base = t;
		i = win_sparse_find(s, key);
	}
	if (s->n + 2 > s->cap) {
		if ((s->n / 2 + 1) * 8 > 3 * m / 4 && win_promote(s) == 0 &&
		    s->dense) {
			uint32_t j = (uint32_t)(hash & (m - 1));
			int rc = win_dense_add(s, j, hll_rank(hash, s->p), t);

			/* 1: the compaction emptied the log, which is
			 * sparse again (and empty: no second promotion) */
			return rc == 1 ? win_sparse_add(s, hash, t) : rc;
		}
		if (win_sparse_grow(s) < 0)
			return -ENOMEM;
	}
	memmove(s->w + 2 * i + 2, s->w + 2 * i,
		(size_t)(s->n - 2 * i) * sizeof(*s->w));
	s->w[2 * i] = key;
	s->w[2 * i + 1] = (uint32_t)(t - s->base);
	s->n += 2;
	s->newest = t;
	return 0;
}

int win_sketch_add(struct win_sketch *s, uint64_t hash, int64_t t_ms)
{
	if (s->newest != INT64_MIN && t_ms < s->newest)
		t_ms = s->newest;
	if (s->dense) {
		uint32_t j = (uint32_t)(hash & ((UINT64_C(1) << s->p) - 1));
		int rc = win_dense_add(s, j, hll_rank(hash, s->p), t_ms);

		if (rc != 1)
			return rc;
	}
	return win_sparse_add(s, hash, t_ms);
}

void win_sketch_expire(struct win_sketch *s, int64_t now_ms)
{
	int64_t cutoff;

	if (s->newest == INT64_MIN)
		return;
	cutoff = win_before(win_max64(now_ms, s->newest), s->horizon);
	if (s->dense) {
		if (s->base <= cutoff)
			(void)win_compact(s, cutoff);
		return;
	}
	win_sparse_reclaim(s, cutoff);
	if (!s->n) {
		win_clear(s);
	} else if (s->cap > s->n + s->n / 4 + 8) {
		(void)win_buf_resize(s, s->n + 2 * (s->n / 16) + 2);
	}
}

/* ---- queries ------------------------------------------------------------- */

/* A window's width as the sketch answers it: 0 .. horizon. */
static inline int64_t win_width(const struct win_sketch *s, int64_t w)
{
	return w < 0 ? 0 : w > s->horizon ? s->horizon : w;
}

/* The start (exclusive) of a window ending at now. */
static inline int64_t win_start(const struct win_sketch *s, int64_t now,
				int64_t w)
{
	return win_before(now, win_width(s, w));
}

/* oldest[x]: the oldest register time counted in window x (INT64_MAX
 * when none is). */
static void win_sparse_estimate(const struct win_sketch *s, const int64_t *cut,
				size_t k, double *out, int64_t *oldest)
{
	double mp = ldexp(1, HLL_SPARSE_P);
	uint32_t pairs = s->n / 2;

	for (size_t x = 0; x < k; x++) {
		out[x] = 0;
		oldest[x] = INT64_MAX;
	}
	for (uint32_t i = 0; i < pairs;) {
		uint32_t idx = s->w[2 * i] >> 6;
		int64_t tmax = win_pair_time(s, i);

		for (i++; i < pairs && (s->w[2 * i] >> 6) == idx; i++)
			tmax = win_max64(tmax, win_pair_time(s, i));
		for (size_t x = 0; x < k; x++) {
			if (tmax <= cut[x])
				continue;
			out[x]++;
			if (tmax < oldest[x])
				oldest[x] = tmax;
		}
	}
	for (size_t x = 0; x < k; x++)
		out[x] = hll_linear_count(mp, mp - out[x]);
}

/* ord: room for k indices; oldest as for win_sparse_estimate, of the
 * entries scanned (some of which a newer entry may outrank). */
static void win_dense_estimate(const struct win_sketch *s, const int64_t *cut,
			       size_t k, size_t *ord, double *out,
			       int64_t *oldest)
{
	unsigned p = s->p;
	uint32_t m = UINT32_C(1) << p, hist[64] = { 0 };
	uint8_t *reg = calloc(m, 1);
	size_t x = 0;
	int64_t t = s->newest, last = INT64_MAX;

	if (!reg) {
		for (size_t y = 0; y < k; y++)
			out[y] = NAN;
		goto out;
	}
	/* Windows by start, latest first: insertion sort, k is tiny. */
	for (size_t y = 0; y < k; y++) {
		size_t z = y;

		for (; z > 0 && cut[ord[z - 1]] < cut[y]; z--)
			ord[z] = ord[z - 1];
		ord[z] = y;
	}
	hist[0] = m;
	for (uint32_t i = s->n; i-- > 0 && x < k;) {
		uint32_t w = s->w[i];

		if (w & 63) {
			uint32_t j = (w >> 6) & (m - 1), r = w & 63;

			while (x < k && t <= cut[ord[x]]) {
				out[ord[x]] = hll_estimate_histogram(hist, p);
				oldest[ord[x]] = last;
				x++;
			}
			if (r > reg[j]) {
				hist[reg[j]]--;
				hist[r]++;
				reg[j] = (uint8_t)r;
			}
			last = t;
		}
		t -= (int64_t)win_word_delta(w, p);
	}
	for (; x < k; x++) {
		out[ord[x]] = hll_estimate_histogram(hist, p);
		oldest[ord[x]] = last;
	}
out:
	free(reg);
}

/* The first now at which a window of width w no longer holds an item of
 * time t: now - w >= t. */
static int64_t win_leaves_at(const struct win_sketch *s, int64_t t, int64_t w)
{
	w = win_width(s, w);
	return t > INT64_MAX - w ? INT64_MAX : t + w;
}

void win_sketch_estimate(const struct win_sketch *s, int64_t now_ms,
			 const int64_t *windows_ms, size_t n, double *out,
			 int64_t *until_ms)
{
	int64_t stack_cut[16], *cut = stack_cut;
	int64_t stack_oldest[16], *oldest = stack_oldest;
	size_t stack_ord[16], *ord = stack_ord;
	int64_t until = INT64_MAX;

	if (s->newest == INT64_MIN) {
		for (size_t x = 0; x < n; x++)
			out[x] = 0;
		goto out;
	}
	if (n > 16) {
		cut = malloc(n * sizeof(*cut));
		oldest = malloc(n * sizeof(*oldest));
		ord = malloc(n * sizeof(*ord));
		if (!cut || !oldest || !ord) {
			for (size_t x = 0; x < n; x++)
				out[x] = NAN;
			until = INT64_MIN;
			goto out;
		}
	}
	now_ms = win_max64(now_ms, s->newest);
	for (size_t x = 0; x < n; x++)
		cut[x] = win_start(s, now_ms, windows_ms[x]);
	if (s->dense)
		win_dense_estimate(s, cut, n, ord, out, oldest);
	else
		win_sparse_estimate(s, cut, n, out, oldest);
	for (size_t x = 0; x < n; x++) {
		int64_t at =
			isnan(out[x]) ? INT64_MIN
			: oldest[x] == INT64_MAX
				? INT64_MAX
				: win_leaves_at(s, oldest[x], windows_ms[x]);

		if (at < until)
			until = at;
	}
out:
	if (until_ms)
		*until_ms = until;
	if (cut != stack_cut)
		free(cut);
	if (oldest != stack_oldest)
		free(oldest);
	if (ord != stack_ord)
		free(ord);
}

int win_sketch_registers(const struct win_sketch *s, int64_t now_ms,
			 int64_t window_ms, unsigned q, uint8_t *out)
{
	unsigned p = s->p;
	uint32_t mq = UINT32_C(1) << q, m = UINT32_C(1) << p;
	int64_t cut, t = s->newest;

	if (q < 1 || q > p)
		return -EINVAL;
	memset(out, 0, mq);
	if (s->newest == INT64_MIN)
		return 0;
	cut = win_start(s, win_max64(now_ms, s->newest), window_ms);
	if (!s->dense) {
		for (uint32_t i = 0; i < s->n / 2; i++) {
			uint32_t idx = s->w[2 * i] >> 6;
			uint8_t r;

			if (win_pair_time(s, i) <= cut)
				continue;
			r = hll_fold_rank(idx, HLL_SPARSE_P, q,
					  (uint8_t)(s->w[2 * i] & 63));
			if (r > out[idx & (mq - 1)])
				out[idx & (mq - 1)] = r;
		}
		return 0;
	}
	for (uint32_t i = s->n; i-- > 0;) {
		uint32_t w = s->w[i];

		if (w & 63) {
			uint32_t j = (w >> 6) & (m - 1);
			uint8_t r;

			if (t <= cut)
				break;
			r = hll_fold_rank(j, p, q, (uint8_t)(w & 63));
			if (r > out[j & (mq - 1)])
				out[j & (mq - 1)] = r;
		}
		t -= (int64_t)win_word_delta(w, p);
	}
	return 0;
}

/* ---- merge --------------------------------------------------------------- */

/* A precision-p entry (j, r) written as a sparse key whose fold from
 * precision 25 back to p gives exactly (j, r): the rank goes into the
 * index bits above p when it fits there, else into rank'. */
static uint32_t win_embed(uint32_t j, unsigned r, unsigned p)
{
	if (r <= HLL_SPARSE_P - p)
		return (j | UINT32_C(1) << (p + r - 1)) << 6 | 1;
	return j << 6 | (r - (HLL_SPARSE_P - p));
}

/* Appends s's items newer than cutoff to it[] as (time - cutoff) << 32 |
 * key; returns the new count. */
static uint32_t win_items(const struct win_sketch *s, int64_t cutoff,
			  uint64_t *it, uint32_t cnt)
{
	uint32_t m = UINT32_C(1) << s->p;
	int64_t t = s->base;

	if (s->newest == INT64_MIN)
		return cnt;
	if (!s->dense) {
		for (uint32_t i = 0; i < s->n / 2; i++) {
			int64_t ti = win_pair_time(s, i);

			if (ti > cutoff)
				it[cnt++] = (uint64_t)(ti - cutoff) << 32 |
					    s->w[2 * i];
		}
		return cnt;
	}
	for (uint32_t i = 0; i < s->n; i++) {
		uint32_t w = s->w[i];

		t += (int64_t)win_word_delta(w, s->p);
		if ((w & 63) && t > cutoff)
			it[cnt++] = (uint64_t)(t - cutoff) << 32 |
				    win_embed((w >> 6) & (m - 1), w & 63, s->p);
	}
	return cnt;
}

static uint32_t win_item_capacity(const struct win_sketch *s)
{
	return s->dense ? s->n : s->n / 2;
}

int win_sketch_merge(struct win_sketch *dst, const struct win_sketch *src)
{
	uint32_t m = UINT32_C(1) << dst->p, cnt, out = 0;
	int64_t newest, cutoff;
	uint64_t *it;
	int rc = 0;

	if (dst->p != src->p || dst->horizon != src->horizon ||
	    dst->key_id != src->key_id)
		return -EINVAL;
	if (dst == src || src->newest == INT64_MIN)
		return 0;
	newest = win_max64(dst->newest, src->newest);
	cutoff = win_before(newest, dst->horizon);
	it = malloc(((size_t)win_item_capacity(dst) + win_item_capacity(src)) *
		    sizeof(*it));
	if (!it)
		return -ENOMEM;
	cnt = win_items(src, cutoff, it, win_items(dst, cutoff, it, 0));
	if (!cnt) {
		win_clear(dst);
		goto out;
	}
	if (!dst->dense && !src->dense) {
		/* Both sparse: one pair per key with its latest time. Sorting
		 * by key then time leaves the latest last in each run. */
		for (uint32_t i = 0; i < cnt; i++)
			it[i] = it[i] << 32 | it[i] >> 32;
		qsort(it, cnt, sizeof(*it), win_u64_cmp);
		for (uint32_t i = 0; i < cnt; i++) {
			if (i + 1 < cnt && (it[i + 1] >> 32) == (it[i] >> 32))
				continue;
			it[out++] = it[i] << 32 | it[i] >> 32;
		}
		cnt = out;
		if (cnt * 8 <= 3 * m / 4) {
			uint32_t want =
				2 * cnt + 2 * (cnt / 4 > 4 ? cnt / 4 : 4);
			uint32_t *w = win_buf_new(dst, want);

			if (!w) {
				rc = -ENOMEM;
				goto out;
			}
			/* Back in key order: the pairs were emitted sorted
			 * by key already. */
			for (uint32_t i = 0; i < cnt; i++) {
				w[2 * i] = (uint32_t)it[i];
				w[2 * i + 1] = (uint32_t)(it[i] >> 32);
			}
			win_buf_set(dst, w, want);
			dst->n = 2 * cnt;
			dst->base = cutoff;
			dst->newest = newest;
			goto out;
		}
	}
	qsort(it, cnt, sizeof(*it), win_u64_cmp);
	rc = win_log_from_sorted(dst, it, cnt, cutoff);
	if (rc)
		goto out;
	dst->newest = newest;
	(void)win_compact(dst, cutoff);
out:
	free(it);
	return rc;
}
