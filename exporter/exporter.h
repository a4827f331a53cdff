/* exporter: the one context passed down through the exporter. */
#ifndef AE_EXPORTER_EXPORTER_H
#define AE_EXPORTER_EXPORTER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "exporter/agg.h"
#include "exporter/cfg.h"
#include "metrics/hash.h"
#include "netlink/asm.h"
#include "netlink/kaudit.h"
#include "netlink/nl.h"

struct budget;
struct http;
struct rules_set;
struct scrape_buf;

/* Source-level counters the reader keeps (under the lock). */
struct source_stats {
	bool up; /* the source delivers: daemon registered, socket
			    * subscribed, input open */
	struct nl_stats nl; /* the audit event socket's counters (netlink) */
	int64_t last_event_ms;
	int64_t last_input_mono; /* when text input last arrived */
	int64_t arrival_ms; /* netlink: wall clock of the batch in hand */
};

struct exporter {
	struct cfg cfg;
	/* Guards everything below that the reader writes and a scrape
	 * reads. The reader holds it per batch; a scrape takes it in short
	 * slices and never while formatting output. Taken with
	 * exporter_lock_reader() or exporter_lock_scrape() (lock.c). */
	pthread_mutex_t lock;
	pthread_cond_t lock_free; /* no scrape waits for the lock any more */
	atomic_uint lock_wanted; /* scrapes waiting for the lock */
	struct budget *budget; /* --metrics.memory-limit, for agg and asm */
	struct agg *agg;
	struct asm_ctx *asm;
	struct kaudit_snap kernel;
	struct source_stats src;
	unsigned scrapes_active; /* the reader does not sweep while > 0 */
	int64_t start_wall_ms;
	bool replay; /* the clock is the events' own time */
	struct hash_key sketch_key;
	struct rules_set *rules; /* loaded or read for watch keys; may be NULL */
	struct kaudit *ka; /* kernel side; NULL for text sources */
	struct scrape_buf *scrape_kept; /* for the next scrape (scrape.c) */
};

/* The lock, fair to scrapes (lock.c): the reader takes it with
 * exporter_lock_reader(), which lets waiting scrapes go first for a
 * moment; scrapes with exporter_lock_scrape(). */
void exporter_lock_init(struct exporter *x);
void exporter_lock_destroy(struct exporter *x);
void exporter_lock_reader(struct exporter *x);
void exporter_lock_scrape(struct exporter *x);
void exporter_unlock(struct exporter *x);
/* What the reader does under the lock, each one thing (lock.c); the
 * reader thread only. */
typedef int (*exporter_batch_fn)(struct exporter *x, void *arg);
/* Runs fn(x, arg) under the lock, for one batch of input (records, lines,
 * a kernel reply) handed to the parser, assembler and aggregator; returns
 * what fn returns. */
int exporter_batch(struct exporter *x, exporter_batch_fn fn, void *arg);
/* Copies the kernel status last noted to *out before a poll; records that
 * arrive from now on (netlink) are stamped with the wall clock of now. */
void exporter_kernel_get(struct exporter *x, struct kaudit_snap *out);
/* Notes a kernel status poll: its status snap, and up (1: the source
 * delivers, 0: it does not, < 0: unknown, as it was). */
void exporter_kernel_note(struct exporter *x, const struct kaudit_snap *snap,
			  int up);
/* SIGHUP: rs replaces the rules set, which is freed; rs is taken. */
void exporter_rules_swap(struct exporter *x, struct rules_set *rs);
/* The source clock: wall clock live, the events' time in a replay. Call
 * with the lock held. */
int64_t exporter_now_ms(const struct exporter *x);
/* CLOCK_REALTIME and CLOCK_MONOTONIC in milliseconds, and nanoseconds. */
int64_t exporter_wall_ms(void);
int64_t exporter_mono_ms(void);
int64_t exporter_mono_ns(void);

#endif
