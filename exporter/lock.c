/*
 * lock: the exporter's lock, shared between the reader and scrapes.
 *
 * The reader takes the lock once per batch of records and a scrape in short
 * slices (exporter/scrape). A pthread mutex is not fair: under a full-rate
 * storm the reader unlocks after one batch and locks again at once for the
 * next, always wins the race, and a scrape waited up to 80 ms for a slice
 * (bench_scrape: while its collectors needed 5 ms in all). So a scrape
 * says it is waiting (lock_wanted) before it blocks, and the reader, when it
 * takes the lock and finds a scrape waiting, steps aside on a condition
 * variable until no scrape waits any more, for at most LOCK_YIELD_US.
 * The bound is what keeps the design's promise that the reader never waits
 * on a scrape for long: a stream of scrapes can hold intake back that long
 * per batch, never more. A batch is up to 1,024 records, about 0.27 ms of
 * work, so even scrapes that want the lock all the time leave the reader
 * 1,024 records per 0.77 ms, 1.3 million a second, twice what one core of
 * this machine's kernel makes at full rate (680,000). 2 ms served scrapes
 * no better in bench_scrape and would have left only 450,000.
 *
 * The reader's side of the lock is also here as operations that each do
 * one thing under it (exporter.h): a batch of input handed to the parser,
 * assembler and aggregator (exporter_batch), the kernel status read before
 * a poll and noted after it, the rules swapped on SIGHUP; so the source
 * (exporter/source.c) does not take the lock itself for them.
 */
#include <errno.h>
#include <time.h>

#include "exporter/exporter.h"
#include "netlink/rules.h"

#define LOCK_YIELD_US 500

void exporter_lock_init(struct exporter *x)
{
	pthread_condattr_t ca;

	pthread_mutex_init(&x->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&x->lock_free, &ca);
	pthread_condattr_destroy(&ca);
	atomic_init(&x->lock_wanted, 0);
}

void exporter_lock_destroy(struct exporter *x)
{
	pthread_cond_destroy(&x->lock_free);
	pthread_mutex_destroy(&x->lock);
}

void exporter_lock_scrape(struct exporter *x)
{
	atomic_fetch_add(&x->lock_wanted, 1);
	pthread_mutex_lock(&x->lock);
	if (atomic_fetch_sub(&x->lock_wanted, 1) == 1)
		pthread_cond_signal(&x->lock_free);
}

void exporter_lock_reader(struct exporter *x)
{
	struct timespec until;

	pthread_mutex_lock(&x->lock);
	if (!atomic_load(&x->lock_wanted))
		return;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += LOCK_YIELD_US * 1000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (atomic_load(&x->lock_wanted))
		if (pthread_cond_timedwait(&x->lock_free, &x->lock, &until) ==
		    ETIMEDOUT)
			break;
}

void exporter_unlock(struct exporter *x)
{
	pthread_mutex_unlock(&x->lock);
}

int exporter_batch(struct exporter *x, exporter_batch_fn fn, void *arg)
{
	int rc;

	exporter_lock_reader(x);
	rc = fn(x, arg);
	exporter_unlock(x);
	return rc;
}

void exporter_kernel_get(struct exporter *x, struct kaudit_snap *out)
{
	exporter_lock_reader(x);
	*out = x->kernel;
	x->src.arrival_ms = exporter_wall_ms();
	exporter_unlock(x);
}

void exporter_kernel_note(struct exporter *x, const struct kaudit_snap *snap,
			  int up)
{
	exporter_lock_reader(x);
	x->kernel = *snap;
	if (up >= 0)
		x->src.up = up == 1;
	exporter_unlock(x);
}

void exporter_rules_swap(struct exporter *x, struct rules_set *rs)
{
	exporter_lock_reader(x);
	rules_set_free(x->rules);
	x->rules = rs;
	exporter_unlock(x);
}
