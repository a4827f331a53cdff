/* collector: what a collector is, and the helpers collectors share. See
 * collector.c; the collectors are listed in table.c. */
#ifndef AE_EXPORTER_COLLECTORS_COLLECTOR_H
#define AE_EXPORTER_COLLECTORS_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "exporter/agg.h"
#include "metrics/fam.h"
#include "netlink/event.h"

#define COLL_MAX 16 /* collectors in the table, at most */
#define COLL_MAX_FAM 8 /* families one collector owns, at most */

/* What the dispatcher (agg.c) shares with the collectors it runs. */
struct coll_ctx {
	const struct agg_config *cfg; /* watch_fn may change (agg_set_watch) */
	uint32_t gen; /* sweep generation, from 1: cached series are stale
		       * when it moved */
	uint64_t *skipped; /* the skip counters, by enum agg_skip */
	int64_t wake_ms; /* coll_wake's soonest, reset by each agg_tick */
};

struct scrape;

/* One enabled collector, as the dispatcher runs it. */
struct coll {
	struct coll_ctx *ctx;
	struct fam *const *fam; /* its families, in its fams[] order */
	void *state; /* what its init kept (NULL: none) */
};

/* One family a collector owns. */
struct coll_fam {
	struct fam_desc desc;
	/* the most folded label sets it can have (the budget keeps their
	 * room): the values of the labels that do not fold */
	unsigned folded_max;
	bool host_sketch; /* its sketches take the host precision */
	/* a host-wide count: never swept early under memory pressure */
	bool host_wide;
};

/*
 * One collector. The dispatcher creates its families from fams[], then
 * calls init, then hands it what it consumes. A disabled collector is
 * never initialised nor called, and owns no family.
 */
struct coll_def {
	const char *name; /* --[no-]collector.NAME, and the collector label */
	bool on; /* enabled by default */
	/* consumes events of these AEV_BIT/AEV_KEYED; an event goes first to
	 * the collectors of every event (AEV_ALL), then to those of its
	 * class, then to those of its keys (AEV_KEYED alone), as label sets
	 * were taken before the split */
	unsigned classes;
	const struct coll_fam *fams; /* COLL_FAMS(array) sets both */
	unsigned nfam;
	/* sets c->state, one allocation that the dispatcher frees (with
	 * fini if set, else free); 0 or a negative errno. NULL: no state */
	int (*init)(struct coll *c);
	/* frees c->state and gives back what init took; NULL: free() */
	void (*fini)(struct coll *c);
	/* every record, if set; now: the event clock the record moved */
	void (*record)(struct coll *c, const struct arec_hdr *h, int64_t now);
	/* the events of its classes */
	void (*event)(struct coll *c, const struct aev *e);
	/* after each batch of input the reader handled, and at least every
	 * 250 ms without input; now_ms: the source's clock (wall time live,
	 * the events' time in a replay). Under the lock, like event */
	void (*tick)(struct coll *c, int64_t now_ms);
	/* after its families were swept: forget what the sweep may free
	 * beyond what the generation tells */
	void (*sweep)(struct coll *c);
	/* writes its families at a scrape; NULL: each family in order
	 * (scrape_family). 0 or a negative errno. */
	int (*write)(struct scrape *sc, struct fam *const *fam);
};

/* The collectors, in exposition order (table.c). */
extern const struct coll_def *const coll_table[];
extern const unsigned coll_n;
/* The index of the collector named name, or -1. */
int coll_find(const char *name);

/* ---- helpers (collector.c) ------------------------------------------------ */

/* FNV-1a over n bytes, for the direct-mapped series caches (inline: it
 * is on every event's path). */
#define COLL_FNV_INIT 2166136261u
static inline uint32_t coll_fnv(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}
/* The series in *slot if cached (stamped, fold counted), else a lookup
 * that fills the slot. slot may be NULL (no cache). Inline, as the
 * next two: they are on every event's path. */
static inline struct fam_series *coll_cached(struct fam *f,
					     struct fam_series **slot,
					     const struct fam_lv *lv, int64_t t)
{
	struct fam_series *s = slot ? *slot : NULL;

	if (s) {
		fam_hit(f, s, t);
		return s;
	}
	s = fam_get(f, lv, t);
	if (slot)
		*slot = s;
	return s;
}

/* One more for the counter of lv, through a cache slot (may be NULL);
 * an update without memory is counted as skipped (no_memory). */
static inline void coll_count(struct coll_ctx *ctx, struct fam *f,
			      struct fam_series **slot, const struct fam_lv *lv,
			      int64_t t)
{
	struct fam_series *s = coll_cached(f, slot, lv, t);

	if (s)
		fam_inc(s, 1);
	else
		ctx->skipped[AGG_SKIP_NO_MEMORY]++;
}

/* One more item in the sketch of a windowed series (NULL: not had). */
static inline void coll_add_item(struct coll_ctx *ctx, struct fam *f,
				 struct fam_series *s, uint64_t h, int64_t t)
{
	if (!s || fam_add_item(f, s, h, t) < 0)
		ctx->skipped[AGG_SKIP_NO_MEMORY]++;
}

/* From tick: asks for the next tick at at_ms (the tick's clock) or sooner,
 * when that is before the reader loop's own 250 ms (exporter/main.c). */
static inline void coll_wake(struct coll *c, int64_t at_ms)
{
	if (at_ms < c->ctx->wake_ms)
		c->ctx->wake_ms = at_ms;
}

#define COLL_FAMS(a) .fams = (a), .nfam = sizeof(a) / sizeof((a)[0])
#define COLL_LV(s) ((struct fam_lv){ (s), strlen(s) })
/* The family label of an address family, shared by connect and listen:
 * inet, inet6, unix, and other for netlink and the rest. */
#define COLL_NFAMILY 4
extern const char *const coll_family_labels[COLL_NFAMILY];
static inline unsigned coll_family(enum arec_family f)
{
	return f <= AREC_AF_UNIX ? (unsigned)f : COLL_NFAMILY - 1;
}

/* A bind()'s or listen()'s local address (e->net, the enrich stage's: the
 * kernel's, or the bind's) as label values: family (as coll_family),
 * address (inet_ntop) and port (decimal); "unknown" for each when e->net
 * has none, and an empty address and port for a family without them
 * (unix). */
struct coll_local {
	char family[8];
	char address[46]; /* INET6_ADDRSTRLEN */
	char port[8];
};
void coll_local_labels(const struct aev *e, struct coll_local *out);

#endif
