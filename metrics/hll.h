/* hll: static HyperLogLog over pre-hashed 64-bit values. See hll.c. */
#ifndef AE_METRICS_HLL_H
#define AE_METRICS_HLL_H

#include <stddef.h>
#include <stdint.h>

#define HLL_P_MIN 4
#define HLL_P_MAX 18
/* Precision of the sparse form (HLL++'s p'): 2^25 virtual registers. */
#define HLL_SPARSE_P 25

struct hll;

/* A new empty sketch of 2^p registers (HLL_P_MIN <= p <= HLL_P_MAX) that
 * only merges with sketches of the same key_id; NULL with errno EINVAL
 * (bad p) or ENOMEM. The caller owns it; one thread at a time. */
struct hll *hll_new(unsigned p, uint64_t key_id);
/* Frees h and everything it holds; NULL is a no-op. */
void hll_free(struct hll *h);
/* Adds an item by its 64-bit hash. Amortised O(1) dense, O(log n + n)
 * sparse; on ENOMEM the item is dropped (the count may then be low). */
void hll_add(struct hll *h, uint64_t hash);
/* The estimated number of distinct hashes added; 0 for an empty sketch. */
double hll_estimate(const struct hll *h);
/* dst = register-wise max of dst and src: the sketch of the union.
 * 0, -EINVAL when p or key_id differ, or -ENOMEM (dst then holds a valid
 * sketch of part of the union). src is not changed; dst == src is fine. */
int hll_merge(struct hll *dst, const struct hll *src);
/* Heap bytes h holds: its struct and its register or sparse buffer. */
size_t hll_bytes(const struct hll *h);
/* The precision p given to hll_new. */
unsigned hll_precision(const struct hll *h);
/* Non-zero while h is in the sparse form. */
int hll_is_sparse(const struct hll *h);
/* Writes the 2^p dense register values (0..65-p) to out. */
void hll_registers(const struct hll *h, uint8_t *out);
/* Folds 2^p registers of precision p to 2^q registers of precision q
 * (1 <= q <= p <= 32): exactly the registers a precision-q sketch of the
 * same hashes would hold. 0, or -EINVAL for bad p or q. */
int hll_fold(const uint8_t *regs, unsigned p, unsigned q, uint8_t *out);
/* An item's rank at precision p (1 <= p <= 63): one more than the number
 * of zeros above its p index bits, 1 .. 65 - p. */
static inline unsigned hll_rank(uint64_t hash, unsigned p)
{
	return 1 + (unsigned)__builtin_ctzll((hash >> p) |
					     (UINT64_C(1) << (64 - p)));
}
/* The rank at precision q of an item that had register index (the low p
 * bits of its hash; higher bits ignored) and rank at precision p >= q;
 * 0 when rank is 0 (an empty register). */
uint8_t hll_fold_rank(uint64_t index, unsigned p, unsigned q, uint8_t rank);
/* Ertl's improved raw estimate from 2^p register values of precision p
 * (1 <= p <= 32); 0 when every register is 0, NaN for a bad p. */
double hll_estimate_registers(const uint8_t *regs, unsigned p);
/* The same from a histogram: hist[k] = number of registers equal to k,
 * for k = 0 .. 65-p; m = 2^p. Used by the window sketch. */
double hll_estimate_histogram(const uint32_t *hist, unsigned p);
/* Linear counting over m buckets of which `zeros` are empty: m ln(m/zeros);
 * the sparse forms' estimator. +inf when zeros is 0. */
double hll_linear_count(double m, double zeros);

#endif
