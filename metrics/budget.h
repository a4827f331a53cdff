/* budget: one memory limit for everything a host's activity grows. See
 * budget.c. */
#ifndef AE_METRICS_BUDGET_H
#define AE_METRICS_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum budget_part {
	BUDGET_SERIES, /* label sets: keys, label text, table entries */
	BUDGET_SKETCHES, /* sliding-window sketches (win_sketch_bytes) */
	BUDGET_EVENTS, /* open events: record tables and text arenas */
	BUDGET_TABLES, /* fixed tables taken at start (budget_table_take) */
	BUDGET_NPART,
};

struct budget;

/* The heap a malloc of n bytes takes, as glibc lays it out (a 16-byte
 * aligned chunk with an 8-byte header, 32 bytes at least; 0 for none):
 * what owners charge for an allocation, so that the budget follows the
 * heap and not only what was asked for. */
static inline size_t budget_heap_bytes(size_t n)
{
	size_t c = (n + 8 + 15) & ~(size_t)15;

	return n == 0 ? 0 : c < 32 ? 32 : c;
}

/* What one kind of memory is charged to: a part of a budget, from the
 * room anyone may take or from the reserve (host-wide counts, which are
 * never refused). b NULL: nothing is counted and nothing refused. */
struct budget_acct {
	struct budget *b;
	enum budget_part part;
	bool reserved;
};

/* A budget of limit bytes, with no reserve yet; NULL with errno ENOMEM. */
struct budget *budget_new(size_t limit);
void budget_free(struct budget *b);
/* Keeps n more bytes of the limit for reserved charges: an owner reserves
 * the most its reserved charges can reach. 0, or -EINVAL when the reserve
 * would pass the limit (nothing changes). _sub gives n back. */
int budget_reserve_add(struct budget *b, size_t n);
void budget_reserve_sub(struct budget *b, size_t n);

/* Takes n bytes before they are allocated. 0, or -ENOMEM when the charge
 * would take the budget past its limit (counted as refused; nothing is
 * taken). A reserved charge always succeeds. acct NULL: 0. One thread
 * (the one that owns the memory charged). */
int budget_charge(const struct budget_acct *acct, size_t n);
/* Gives back n bytes charged earlier to the same account. */
void budget_release(const struct budget_acct *acct, size_t n);

/* A table of n bytes allocated once at start and never grown (a socket
 * table, a name cache, a bounded view): reserved and charged to
 * BUDGET_TABLES in one step, so that the rest of the limit is what the
 * host's activity may grow into. 0, or -EINVAL when the limit cannot hold
 * it. b NULL: 0. _give undoes a take of the same n. */
int budget_table_take(struct budget *b, size_t n);
void budget_table_give(struct budget *b, size_t n);

size_t budget_limit(const struct budget *b);
size_t budget_reserve(const struct budget *b);
/* Bytes charged to part now, reserved and not. */
size_t budget_used(const struct budget *b, enum budget_part part);
/* Charges of part refused so far. */
uint64_t budget_refused(const struct budget *b, enum budget_part part);
const char *budget_part_name(enum budget_part part);

#endif
