/* win: sliding-window distinct counter (sliding HyperLogLog). See win.c. */
#ifndef AE_METRICS_WIN_H
#define AE_METRICS_WIN_H

#include <stddef.h>
#include <stdint.h>

#define WIN_P_MIN 4
#define WIN_P_MAX 18
/* The longest horizon: 2^31 - 1 ms, about 24.8 days. */
#define WIN_HORIZON_MAX INT64_C(2147483647)

struct win_sketch;

/* A new empty sketch of 2^p registers (WIN_P_MIN <= p <= WIN_P_MAX) that
 * answers every window up to horizon_ms (1 .. WIN_HORIZON_MAX) and merges
 * only with sketches of the same p, horizon and key_id; NULL with errno
 * EINVAL or ENOMEM. The caller owns it; one thread at a time. */
struct win_sketch *win_sketch_new(unsigned p, int64_t horizon_ms,
				  uint64_t key_id);
struct budget_acct;
/* The same, with the heap it holds (win_sketch_bytes in malloc's chunks)
 * charged to acct (metrics/budget; NULL: none), which must outlive it:
 * growth the budget refuses fails as ENOMEM would. */
struct win_sketch *win_sketch_new_in(unsigned p, int64_t horizon_ms,
				     uint64_t key_id,
				     const struct budget_acct *acct);
/* The most heap a sketch of precision p can take (win_sketch_bytes in
 * malloc's chunks), whatever is added to it (see win.c): what a sketch
 * that is never refused needs reserved. */
size_t win_sketch_max_bytes(unsigned p);
/* Frees s and everything it holds; NULL is a no-op. */
void win_sketch_free(struct win_sketch *s);
/* Adds an item by its 64-bit hash at event time t_ms. A time older than
 * the newest item is taken as the newest (events arrive a few ms out of
 * order). Amortised O(1); allocates only when the sketch grows or
 * compacts. 0, or -ENOMEM: the item is not recorded (items past the
 * horizon may have been reclaimed, as always); -ENOBUFS: not recorded
 * either, because the log is full and its budget refused it room at a
 * recent compaction (the back-off of win.c: no new attempt was made). */
int win_sketch_add(struct win_sketch *s, uint64_t hash, int64_t t_ms);
/* out[i] = estimated distinct items in (now - windows_ms[i], now], for
 * i < n, in one pass. now earlier than the newest item is taken as the
 * newest; windows longer than the horizon as the horizon; windows <= 0
 * give 0. NaN for every window when scratch memory cannot be had.
 * *until_ms (unless until_ms is NULL): the first now at which one of the
 * answers may differ while s is not changed, when the oldest item a window
 * holds leaves it; INT64_MAX when none can, INT64_MIN after a NaN. Until
 * then, every now from max(now, newest) on gives the same answers.
 * Reads only (like newest, bytes, registers): readers may run together,
 * never beside a writer. */
void win_sketch_estimate(const struct win_sketch *s, int64_t now_ms,
			 const int64_t *windows_ms, size_t n, double *out,
			 int64_t *until_ms);
/* Reclaims everything at or before max(now, newest) - horizon. */
void win_sketch_expire(struct win_sketch *s, int64_t now_ms);
/* The time of the newest retained item; INT64_MIN when there is none. */
int64_t win_sketch_newest(const struct win_sketch *s);
/* Heap bytes s holds: its struct and its buffer. */
size_t win_sketch_bytes(const struct win_sketch *s);
/* Non-zero while s is in the (near-exact) sparse form. */
int win_sketch_is_sparse(const struct win_sketch *s);
/* Writes to out the 2^q registers of precision q (1 <= q <= p) of the
 * items in (now - window_ms, now] (same clamping as win_sketch_estimate):
 * what a static sketch of precision q fed those items would hold.
 * 0 or -EINVAL. */
int win_sketch_registers(const struct win_sketch *s, int64_t now_ms,
			 int64_t window_ms, unsigned q, uint8_t *out);
/* dst = the union of dst and src, window by window. 0, -EINVAL when p,
 * horizon or key_id differ, -ENOMEM (dst is then unchanged). src is not
 * changed; dst == src is fine. */
int win_sketch_merge(struct win_sketch *dst, const struct win_sketch *src);

#endif
