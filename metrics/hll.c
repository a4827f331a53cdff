/*
 * hll: a static HyperLogLog sketch over pre-hashed 64-bit values.
 *
 * What it answers: about how many distinct hashes were added, with a
 * relative standard error of 1.04 / sqrt(m) for m = 2^p registers (0.81% at
 * p = 14, 1.6% at p = 12), in at most 3m/4 bytes, mergeable across hosts.
 * The window sketch (win.c) is the one the exporter keeps per label set;
 * this one is its static cousin: it holds the estimator, the fold and the
 * register mapping both share, and it is what we compare with Redis.
 *
 * Register mapping (exactly Redis's, so a Redis-compatible sketch is only a
 * matter of hash choice and p = 14):
 *
 *	index = hash & (m - 1)                         the low p bits
 *	rank  = 1 + ctz((hash >> p) | 1 << (64 - p))   1 .. 65 - p
 *
 * A register holds the largest rank seen at its index, 0 when none.
 *
 * Estimator: Ertl's improved raw estimator ("New cardinality estimation
 * algorithms for HyperLogLog sketches", 2017, algorithm 6). With C[k] the
 * number of registers equal to k and q = 64 - p,
 *
 *	z = m tau(1 - C[q+1]/m);  for k = q .. 1: z = (z + C[k]) / 2;
 *	z = z + m sigma(C[0]/m);  E = m^2 / (2 ln 2 z)
 *
 * sigma and tau are the paper's series (computed to convergence). It is
 * unbiased over the whole range from a handful of items to far past 2^32
 * with no empirical bias tables and no switch-over point, which is also
 * what Redis 5+ computes for PFCOUNT.
 *
 * Two forms, like HLL++ (Heule, Nunkesser and Hall, 2013):
 *
 * Sparse: a sorted array of uint32_t words, one per occupied virtual
 * register of precision p' = 25 (2^25 of them):
 *
 *	bit 31   30 .. 6                  5 .. 0
 *	    [0] [index' = hash & 2^25-1] [rank' = 1 + ctz(hash >> 25 | 2^39)]
 *
 * Words are unique by index' (the larger rank' is kept) and sorted
 * ascending, so lookup is a binary search. The estimate is linear counting
 * over 2^25 buckets, m' ln(m' / (m' - n)): at 100 items its standard error
 * is about 0.001 items, at 3000 about 0.1, so small sets are near-exact.
 * Registers of precision p follow exactly from a word by the fold below
 * (index = index' mod m, rank = fold of rank' from 25 to p bits).
 *
 * Dense: m registers of 6 bits packed little-endian, register i at bits
 * 6i .. 6i+5 of the byte string (Redis's dense layout, without its 16-byte
 * header): 3m/4 bytes, 12288 at p = 14, 3072 at p = 12. Ranks go up to
 * 65 - p <= 61, so 6 bits always suffice.
 *
 * Promotion: the sparse form becomes dense when one more word would make
 * it larger than the dense form (4(n+1) > 3m/4, i.e. past 3m/16 words:
 * 3072 at p = 14, 768 at p = 12). It never goes back.
 *
 * Fold (precision p to q <= p, exact for this mapping): register j goes
 * to j mod 2^q. The bits of j above q are the low bits of hash >> q, so if
 * j >> q != 0 the rank at q is ctz(j >> q) + 1; otherwise those p - q bits
 * were zeros and the rank is (p - q) + R[j]. Empty registers contribute 0.
 *
 * Invariants: sparse words sorted and unique by index'; n * 4 <= cap <=
 * 3m/4 in the sparse form; cap == 3m/4 in the dense form; key_id never
 * changes. Memory (hll_bytes, measured): 32 bytes of struct plus the
 * buffer; sparse 4 bytes per distinct item (+ up to 25% slack), dense
 * 32 + 12288 at p = 14 and 32 + 3072 at p = 12.
 */
#include "metrics/hll.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct hll {
	uint64_t key_id;
	void *buf; /* sparse: uint32_t words; dense: packed registers */
	uint32_t n; /* sparse words in use */
	uint32_t cap; /* bytes allocated at buf */
	uint8_t p;
	uint8_t dense;
};

#define HLL_SPARSE_MASK ((UINT64_C(1) << HLL_SPARSE_P) - 1)

static inline uint32_t hll_dense_bytes(unsigned p)
{
	return (uint32_t)((6u << p) / 8);
}

static inline unsigned hll_reg_get(const uint8_t *r, uint32_t i)
{
	uint32_t bit = i * 6, b = bit >> 3, fb = bit & 7;
	unsigned v = r[b] >> fb;

	/* A register straddles two bytes only when it starts past bit 2;
	 * never reading the next byte otherwise keeps the last register
	 * inside the buffer. */
	if (fb > 2)
		v |= (unsigned)r[b + 1] << (8 - fb);
	return v & 63;
}

static inline void hll_reg_set(uint8_t *r, uint32_t i, unsigned v)
{
	uint32_t bit = i * 6, b = bit >> 3, fb = bit & 7;

	r[b] = (uint8_t)((r[b] & ~(63u << fb)) | (v << fb));
	if (fb > 2)
		r[b + 1] = (uint8_t)((r[b + 1] & ~(63u >> (8 - fb))) |
				     (v >> (8 - fb)));
}

uint8_t hll_fold_rank(uint64_t index, unsigned p, unsigned q, uint8_t rank)
{
	uint64_t hi;

	if (!rank)
		return 0;
	hi = (index & ((UINT64_C(1) << p) - 1)) >> q;
	if (hi)
		return (uint8_t)(1 + __builtin_ctzll(hi));
	return (uint8_t)(p - q + rank);
}

struct hll *hll_new(unsigned p, uint64_t key_id)
{
	struct hll *h;

	if (p < HLL_P_MIN || p > HLL_P_MAX) {
		errno = EINVAL;
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->p = (uint8_t)p;
	h->key_id = key_id;
	return h;
}

void hll_free(struct hll *h)
{
	if (!h)
		return;
	free(h->buf);
	free(h);
}

unsigned hll_precision(const struct hll *h)
{
	return h->p;
}

int hll_is_sparse(const struct hll *h)
{
	return !h->dense;
}

size_t hll_bytes(const struct hll *h)
{
	return sizeof(*h) + h->cap;
}

/* A sparse word's register at precision p, and its rank there. */
static inline uint32_t hll_word_reg(uint32_t word, unsigned p)
{
	return (word >> 6) & ((UINT32_C(1) << p) - 1);
}

static inline unsigned hll_word_rank(uint32_t word, unsigned p)
{
	return hll_fold_rank(word >> 6, HLL_SPARSE_P, p, (uint8_t)(word & 63));
}

static void hll_dense_add(struct hll *h, uint32_t j, unsigned v)
{
	if (v > hll_reg_get(h->buf, j))
		hll_reg_set(h->buf, j, v);
}

/* A sparse word (index at HLL_SPARSE_P, rank) into the dense registers. */
static void hll_dense_add_word(struct hll *h, uint32_t word)
{
	hll_dense_add(h, hll_word_reg(word, h->p), hll_word_rank(word, h->p));
}

/* Sparse form to dense; -ENOMEM leaves h as it was. */
static int hll_promote(struct hll *h)
{
	uint32_t bytes = hll_dense_bytes(h->p), n = h->n;
	uint32_t *w = h->buf;
	uint8_t *r = calloc(1, bytes);

	if (!r)
		return -ENOMEM;
	h->buf = r;
	h->cap = bytes;
	h->n = 0;
	h->dense = 1;
	for (uint32_t i = 0; i < n; i++)
		hll_dense_add_word(h, w[i]);
	free(w);
	return 0;
}

/* Inserts or raises the sparse word for (idx, rank); may promote. */
static int hll_sparse_add(struct hll *h, uint32_t idx, unsigned rank)
{
	uint32_t *w = h->buf;
	uint32_t lo = 0, hi = h->n, limit = hll_dense_bytes(h->p);

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if ((w[mid] >> 6) < idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < h->n && (w[lo] >> 6) == idx) {
		if ((w[lo] & 63) < rank)
			w[lo] = idx << 6 | rank;
		return 0;
	}
	if ((h->n + 1) * 4 > limit) {
		int rc = hll_promote(h);

		if (rc)
			return rc;
		hll_dense_add_word(h, idx << 6 | rank);
		return 0;
	}
	if ((h->n + 1) * 4 > h->cap) {
		/* Grow by a quarter (at least 4 words), never past the dense
		 * size: the slack stays under 25% of what is used. */
		uint32_t cap = h->cap + (h->cap / 4 > 16 ? h->cap / 4 : 16);

		cap = (cap + 3) & ~UINT32_C(3);
		if (cap > limit)
			cap = limit & ~UINT32_C(3);
		w = realloc(h->buf, cap);
		if (!w)
			return -ENOMEM;
		h->buf = w;
		h->cap = cap;
	}
	memmove(w + lo + 1, w + lo, (h->n - lo) * sizeof(*w));
	w[lo] = idx << 6 | rank;
	h->n++;
	return 0;
}

void hll_add(struct hll *h, uint64_t hash)
{
	if (h->dense) {
		hll_dense_add(h, (uint32_t)(hash & ((UINT64_C(1) << h->p) - 1)),
			      hll_rank(hash, h->p));
		return;
	}
	(void)hll_sparse_add(h, (uint32_t)(hash & HLL_SPARSE_MASK),
			     hll_rank(hash, HLL_SPARSE_P));
}

void hll_registers(const struct hll *h, uint8_t *out)
{
	uint32_t m = UINT32_C(1) << h->p;
	const uint32_t *w = h->buf;

	if (h->dense) {
		for (uint32_t j = 0; j < m; j++)
			out[j] = (uint8_t)hll_reg_get(h->buf, j);
		return;
	}
	memset(out, 0, m);
	for (uint32_t i = 0; i < h->n; i++) {
		uint32_t j = hll_word_reg(w[i], h->p);
		unsigned v = hll_word_rank(w[i], h->p);

		if (v > out[j])
			out[j] = (uint8_t)v;
	}
}

int hll_fold(const uint8_t *regs, unsigned p, unsigned q, uint8_t *out)
{
	uint64_t m = UINT64_C(1) << p, mq;

	if (q < 1 || q > p || p > 32)
		return -EINVAL;
	mq = UINT64_C(1) << q;
	memset(out, 0, mq);
	for (uint64_t j = 0; j < m; j++) {
		uint8_t v = hll_fold_rank(j, p, q, regs[j]);

		if (v > out[j & (mq - 1)])
			out[j & (mq - 1)] = v;
	}
	return 0;
}

/* sigma(x) = x + sum_{k>=1} x^(2^k) 2^(k-1), for 0 <= x < 1. */
static double hll_sigma(double x)
{
	double y = 1, z = x, prev;

	if (x == 1)
		return INFINITY;
	do {
		x *= x;
		prev = z;
		z += x * y;
		y += y;
	} while (z != prev);
	return z;
}

/* tau(x) = (1 - x - sum_{k>=1} (1 - x^(2^-k))^2 2^-k) / 3, 0 <= x <= 1. */
static double hll_tau(double x)
{
	double y = 1, z = 1 - x, prev;

	if (x == 0 || x == 1)
		return 0;
	do {
		x = sqrt(x);
		prev = z;
		y *= 0.5;
		z -= (1 - x) * (1 - x) * y;
	} while (z != prev);
	return z / 3;
}

double hll_estimate_histogram(const uint32_t *hist, unsigned p)
{
	double m = ldexp(1, (int)p), z;
	unsigned q = 64 - p;

	if (hist[0] == m)
		return 0;
	z = m * hll_tau(1 - hist[q + 1] / m);
	for (unsigned k = q; k >= 1; k--)
		z = 0.5 * (z + hist[k]);
	z += m * hll_sigma(hist[0] / m);
	return m * m / (2 * M_LN2 * z);
}

double hll_estimate_registers(const uint8_t *regs, unsigned p)
{
	uint32_t hist[64] = { 0 };
	uint64_t m;

	if (p < 1 || p > 32)
		return NAN;
	m = UINT64_C(1) << p;
	for (uint64_t j = 0; j < m; j++)
		hist[regs[j] <= 65 - p ? regs[j] : 65 - p]++;
	return hll_estimate_histogram(hist, p);
}

double hll_linear_count(double m, double zeros)
{
	return m * log(m / zeros);
}

double hll_estimate(const struct hll *h)
{
	uint32_t hist[64] = { 0 }, m = UINT32_C(1) << h->p;

	if (!h->dense)
		return hll_linear_count(ldexp(1, HLL_SPARSE_P),
					ldexp(1, HLL_SPARSE_P) - h->n);
	for (uint32_t j = 0; j < m; j++)
		hist[hll_reg_get(h->buf, j)]++;
	return hll_estimate_histogram(hist, h->p);
}

int hll_merge(struct hll *dst, const struct hll *src)
{
	uint32_t m = UINT32_C(1) << dst->p;
	int rc;

	if (dst->p != src->p || dst->key_id != src->key_id)
		return -EINVAL;
	if (dst == src)
		return 0;
	if (!src->dense) {
		const uint32_t *w = src->buf;

		/* Word by word: at most 3m/16 of them, each a binary search
		 * and a short move while dst stays sparse. A failure midway
		 * leaves dst a valid sketch of a subset of the union. */
		for (uint32_t i = 0; i < src->n; i++) {
			if (dst->dense) {
				hll_dense_add_word(dst, w[i]);
				continue;
			}
			rc = hll_sparse_add(dst, w[i] >> 6, w[i] & 63);
			if (rc)
				return rc;
		}
		return 0;
	}
	if (!dst->dense) {
		rc = hll_promote(dst);
		if (rc)
			return rc;
	}
	for (uint32_t j = 0; j < m; j++)
		hll_dense_add(dst, j, hll_reg_get(src->buf, j));
	return 0;
}
