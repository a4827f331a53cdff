/*
 * budget: the one memory limit (--metrics.memory-limit) for everything a
 * host's activity can make the exporter hold: label sets of every family,
 * the sliding-window sketches, and the events being assembled.
 *
 * It is an account, not an allocator: an owner charges the bytes it is
 * about to allocate (budget_charge) and releases them when it frees them.
 * A charge that would take the total past the limit fails like a failed
 * malloc would, is counted (budget_refused), and the owner degrades.
 *
 * Reserve. Host-wide counts must never be refused: the host sketch, and
 * the folded "__other__" label sets that take every update a refused label
 * set or sketch would have had (so sums and host-wide counts stay right).
 * Their owners charge the reserve, a part of the limit that the others
 * cannot take; each owner reserves the proven worst case of what it
 * charges there (budget_reserve_add; agg.c), so that reserved charges
 * never need refusing:
 *
 *	unreserved charge of n succeeds  iff
 *	    unreserved + n + max(reserve, reserved) <= limit
 *
 * and the total stays within the limit as long as reserved <= reserve.
 *
 * What gives way, in order (each counted):
 *   1. a new label set that cannot be charged folds into the family's
 *      "__other__" label set, as at the cap (audit_exporter_series_folded);
 *   2. a process's sketch that cannot grow sends its new items to the
 *      "__other__" sketch of its family (folded as well): its own gauge
 *      stops growing, the host-wide gauge and the sum over the family do
 *      not lose them;
 *   3. an open event that cannot grow its arena is truncated
 *      (audit_exporter_events_truncated), as without memory;
 * and label sets idle for --metrics.idle-timeout, or sketches whose items
 * all left the horizon, give their room back at the next sweep; under
 * pressure (refusals since the last sweep) the per-process label sets idle
 * for less go first (agg.c: half the idle timeout, halved at each sweep
 * that finds pressure, 5 minutes at least).
 *
 * The bytes are the heap chunks the owners' allocations take
 * (budget_heap_bytes: struct, buffers, keys and label text, with an
 * estimate of the hash table's share per label set); fragmentation comes
 * on top, and the scrape's buffers (bounded by the series caps) are
 * outside the budget: the default leaves room for both below the unit's
 * MemoryMax. bench_memory measures the peak RSS against the limit.
 *
 * Threads: charges come from the thread that owns the memory (the
 * reader); a scrape reads used and refused under the exporter's lock.
 */
#include "metrics/budget.h"

#include <errno.h>
#include <stdlib.h>

struct budget {
	size_t limit, reserve;
	size_t used[BUDGET_NPART][2]; /* [part][reserved] */
	size_t total[2]; /* [reserved] */
	uint64_t refused[BUDGET_NPART];
};

struct budget *budget_new(size_t limit)
{
	struct budget *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->limit = limit;
	return b;
}

int budget_reserve_add(struct budget *b, size_t n)
{
	if (n > b->limit - b->reserve)
		return -EINVAL;
	b->reserve += n;
	return 0;
}

void budget_reserve_sub(struct budget *b, size_t n)
{
	b->reserve -= n < b->reserve ? n : b->reserve;
}

void budget_free(struct budget *b)
{
	free(b);
}

int budget_charge(const struct budget_acct *acct, size_t n)
{
	struct budget *b = acct ? acct->b : NULL;
	size_t kept, room;

	if (!b)
		return 0;
	if (!acct->reserved) {
		/* total[0] <= limit - reserve: every unreserved charge made
		 * sure of it */
		kept = b->total[1] > b->reserve ? b->total[1] : b->reserve;
		room = b->limit - b->total[0];
		if (kept > room || n > room - kept) {
			b->refused[acct->part]++;
			return -ENOMEM;
		}
	}
	b->used[acct->part][acct->reserved] += n;
	b->total[acct->reserved] += n;
	return 0;
}

void budget_release(const struct budget_acct *acct, size_t n)
{
	struct budget *b = acct ? acct->b : NULL;

	if (!b)
		return;
	b->used[acct->part][acct->reserved] -= n;
	b->total[acct->reserved] -= n;
}

int budget_table_take(struct budget *b, size_t n)
{
	const struct budget_acct acct = { b, BUDGET_TABLES, true };
	int rc;

	if (!b)
		return 0;
	rc = budget_reserve_add(b, n);
	if (!rc)
		(void)budget_charge(&acct, n); /* reserved: never refused */
	return rc;
}

void budget_table_give(struct budget *b, size_t n)
{
	const struct budget_acct acct = { b, BUDGET_TABLES, true };

	if (!b)
		return;
	budget_release(&acct, n);
	budget_reserve_sub(b, n);
}

size_t budget_limit(const struct budget *b)
{
	return b->limit;
}

size_t budget_reserve(const struct budget *b)
{
	return b->reserve;
}

size_t budget_used(const struct budget *b, enum budget_part part)
{
	return b->used[part][0] + b->used[part][1];
}

uint64_t budget_refused(const struct budget *b, enum budget_part part)
{
	return b->refused[part];
}

const char *budget_part_name(enum budget_part part)
{
	static const char *const names[BUDGET_NPART] = {
		[BUDGET_SERIES] = "series",
		[BUDGET_SKETCHES] = "sketches",
		[BUDGET_EVENTS] = "events",
		[BUDGET_TABLES] = "tables",
	};

	return part < BUDGET_NPART ? names[part] : "unknown";
}
