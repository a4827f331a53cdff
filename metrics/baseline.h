/* baseline: a bounded, persisted set of what this host has done, to tell
 * what is new without Prometheus history. See baseline.c. */
#ifndef AE_METRICS_BASELINE_H
#define AE_METRICS_BASELINE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "metrics/hash.h"

/* The kinds of items; each has its own table and capacity. */
enum baseline_kind {
	BASELINE_LISTEN, /* (exe or comm, protocol, address, port) */
	BASELINE_DEST, /* (exe or comm, protocol, address, port) of a connect */
	BASELINE_EXEC, /* (exe, uid) of an execve */
	BASELINE_KINDS
};

/* One field of an item's canonical tuple: len bytes at p (not copied). */
struct baseline_field {
	const void *p;
	size_t len;
};

/* The largest max_items baseline_new accepts (per kind). */
#define BASELINE_MAX_ITEMS (UINT32_C(1) << 24)

struct baseline;

/* A fresh, empty store learning from now (unix seconds) for period
 * seconds (>= 0), holding at most max_items (1 .. BASELINE_MAX_ITEMS)
 * items of each kind, hashed under key (copied). All its memory is
 * allocated here. NULL with errno EINVAL (bad argument) or ENOMEM. */
struct baseline *baseline_new(const struct hash_key *key, uint32_t max_items,
			      int64_t now, int64_t period);
/* Frees b (NULL is fine). */
void baseline_free(struct baseline *b);

/* The item hash of kind's tuple of n fields under b's key; fields are
 * length-prefixed, so ("ab", "c") and ("a", "bc") differ. Never fails, no
 * allocation. */
uint64_t baseline_item(const struct baseline *b, enum baseline_kind kind,
		       const struct baseline_field *f, unsigned n);
/* Test-and-insert of item at time now (unix seconds): 1 if the item is
 * new (not seen before and the learning period is over), 0 if it was
 * seen or is being learnt; either way it is in the store afterwards (a
 * full kind evicts its least recently seen item, counted). O(1)
 * amortised, no allocation. -EINVAL for a bad kind. One thread. */
int baseline_test(struct baseline *b, enum baseline_kind kind, uint64_t item,
		  int64_t now);

/* 1 while b learns at time now, 0 after. Learning ends at creation +
 * period and never comes back (also when the clock goes backwards). */
int baseline_learning(struct baseline *b, int64_t now);
/* When learning ends (unix seconds), for a timestamp metric. */
int64_t baseline_learning_end(const struct baseline *b);
/* Items held, items evicted because the kind was full (since b was made
 * or loaded), and the per-kind capacity. */
uint32_t baseline_items(const struct baseline *b, enum baseline_kind kind);
uint64_t baseline_evicted(const struct baseline *b, enum baseline_kind kind);
uint32_t baseline_max_items(const struct baseline *b);
/* Bytes b holds in memory, fixed at baseline_new. */
size_t baseline_bytes(const struct baseline *b);
/* The kind's name for a label ("listen", "destination", "execve"), or
 * NULL for a bad kind. */
const char *baseline_kind_name(enum baseline_kind kind);

/* Writes b to path atomically: path.tmp (mode 0600), fsync, rename over
 * path, fsync of the directory. A leftover path.tmp is overwritten. 0 or
 * -errno (ENAMETOOLONG for a path too long for its ".tmp"); on failure
 * path is unchanged and b still works in memory. */
int baseline_save(const struct baseline *b, const char *path);
/* The two halves of baseline_save, so that a caller can take the image
 * under its lock and write it outside: the largest image b can have
 * (64 + 8 * 3 * max_items bytes); b's file image into out (cap bytes),
 * its length or -ENOBUFS, no allocation, b's thread; and len bytes at buf
 * written to path as baseline_save does, touching no baseline (any
 * thread). */
size_t baseline_file_max(const struct baseline *b);
ssize_t baseline_encode(const struct baseline *b, void *out, size_t cap);
int baseline_write(const char *path, const void *buf, size_t len);
/* Replaces b's items, creation time and learning state with the file at
 * path, if b is still empty. 0, or, leaving b unchanged: -ENOENT (no file:
 * start fresh), -EBADMSG (truncated, wrong size or checksum: corrupt),
 * -EPROTO (not a baseline file, or another version), -EKEYREJECTED
 * (written under another sketch key), -EBUSY (b already holds items),
 * another -errno from open/fstat/mmap. Items of the file beyond
 * max_items are evicted (counted). */
int baseline_load(struct baseline *b, const char *path);
/* The same from size bytes at data (not kept): 0 or the errnos above but
 * those of open, fstat and mmap. */
int baseline_load_mem(struct baseline *b, const void *data, size_t size);

#endif
