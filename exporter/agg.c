/*
 * agg: the dispatcher, where records and decoded events reach the
 * collectors (exporter/collectors/).
 *
 * The only module that knows both sides: the audit side hands it records
 * (agg_record, from the source) and assembled events (agg_event, from the
 * assembler); it decodes each event once (netlink/event) and hands records
 * and typed events to the collectors that are on and consume them, one
 * call each, by the collectors' table (collectors/table.c), after the
 * enrich stage (enrich.c) added what the records alone cannot say (a
 * socket's protocol, a destination's scope). A collector that is off is never initialised nor called and owns no family.
 *
 *   record   every collector with a record function (records:
 *            audit_records_total)
 *   event    the collectors whose .classes match the event's, by stage:
 *            every-event counters (syscall), then the call's own
 *            (connect, listen, execve), then per rule key (watch), the
 *            order in which label sets were taken before the split
 *
 * It owns what the collectors share: their families (created from each
 * collector's descriptors, in table order), the event clock, the
 * parse-error and skip counters (the decoder's are added when read), the
 * sweep generation, and the memory budget's reserve and pressure sweeps.
 *
 * Label-set caps: beyond --metrics.max-series, every label a process or a
 * text stream can choose (comm, uid, exe, port, key, syscall, type) folds
 * to "__other__"; only the small enums (family, result, success) stay, so
 * a family holds at most the cap plus a few folded label sets.
 *
 * Memory budget (metrics/budget): label sets and sketches are charged to
 * it; a label set it refuses folds, a sketch it will not let grow hands
 * its items to the folded sketch (fam.c). The host-wide sketch and the
 * folded label sets are never refused: agg_new reserves their worst case,
 * the most folded label sets each family can have (the collector's
 * folded_max) times the most one can hold (fam_series_max_bytes). When the
 * budget refused anything since the last sweep, the sweep drops the
 * per-process label sets (counters and sketches) idle for less than
 * --metrics.idle-timeout: half of it, halved again at each sweep under
 * pressure, 5 minutes at least (agg_pressed_idle); host-wide counts
 * (families marked host_wide: syscall's, records') keep theirs.
 *
 * The hot path does not allocate except when a label set is new: the
 * event is decoded into a struct on the stack, and the collectors keep
 * fixed caches (collectors/collector.c).
 *
 * Threads: called by the reader thread with the exporter's lock held.
 */
#include "exporter/agg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "exporter/collectors/collector.h"
#include "exporter/enrich.h"
#include "exporter/evclock.h"
#include "metrics/budget.h"
#include "metrics/lbl.h"
#include "netlink/event.h"

#define AGG_MAX_FAM 32 /* families of all collectors */
/* the shortest idle time a sweep under memory pressure uses */
#define AGG_PRESSED_IDLE_MIN_MS (5 * 60 * 1000)

/* label values are what the decoder kept: nothing a label shows is lost */
_Static_assert(AEV_STR_MAX == LBL_MAX, "comm and exe buffers are labels");

/* One call the dispatcher makes: a collector that is on and consumes
 * records or events (the table's entries, copied for a short hot loop). */
struct agg_call {
	struct coll *c;
	unsigned classes;
	void (*record)(struct coll *c, const struct arec_hdr *h, int64_t now);
	void (*event)(struct coll *c, const struct aev *e);
};

struct agg {
	struct agg_config cfg;
	struct coll_ctx ctx;
	struct aev_decoder *dec;
	struct enrich *enrich; /* after decoding, before the collectors */
	struct fam *fam[AGG_MAX_FAM]; /* by collector, in table order */
	struct coll coll[COLL_MAX]; /* by table index; fam NULL: off */
	/* the collectors that are on and consume records, events (by
	 * stage) */
	struct agg_call on_record[COLL_MAX], on_event[COLL_MAX];
	unsigned nrecord, nevent;
	uint64_t errors[AGG_NERR];
	uint64_t skipped[AGG_NSKIP];
	struct evclock clock; /* the records' stamps, robust (evclock.c) */
	size_t reserved; /* bytes this aggregator reserved in cfg.budget */
	uint64_t refusals; /* the budget's refusals at the last sweep */
	int64_t pressed_idle_ms; /* idle time of pressure sweeps; 0: none */
};

const char *agg_err_name(enum agg_err e)
{
	static const char *const names[AGG_NERR] = {
		[AGG_E_HEADER] = "header",
		[AGG_E_TYPE] = "type",
		[AGG_E_NUL] = "nul_byte",
		[AGG_E_HEX] = "hex",
		[AGG_E_SOCKADDR] = "sockaddr",
		[AGG_E_NUMBER] = "number",
		[AGG_E_LINE_TOO_LONG] = "line_too_long",
		[AGG_E_DATAGRAM] = "truncated_datagram",
		[AGG_E_SHORT_DATAGRAM] = "short_datagram",
	};

	return e < AGG_NERR ? names[e] : "unknown";
}

enum agg_err agg_err_from_arec(int rc)
{
	switch (rc) {
	case AREC_E_TYPE:
		return AGG_E_TYPE;
	case AREC_E_NUL:
		return AGG_E_NUL;
	case AREC_E_HEX:
		return AGG_E_HEX;
	case AREC_E_SOCKADDR:
		return AGG_E_SOCKADDR;
	case AREC_E_NUMBER:
		return AGG_E_NUMBER;
	default:
		return AGG_E_HEADER;
	}
}

const char *agg_skip_name(enum agg_skip s)
{
	static const char *const names[AGG_NSKIP] = {
		[AGG_SKIP_UNKNOWN_TYPE] = "unknown_record_type",
		[AGG_SKIP_UNKNOWN_ARCH] = "unknown_arch",
		[AGG_SKIP_TOKEN] = "not_name_value",
		[AGG_SKIP_NO_SYSCALL] = "no_syscall_record",
		[AGG_SKIP_NO_MEMORY] = "no_memory",
		[AGG_SKIP_USERS_FULL] = "users_full",
	};

	return s < AGG_NSKIP ? names[s] : "unknown";
}

static bool agg_on(const struct agg *a, unsigned c)
{
	return !(a->cfg.disabled & (1u << c));
}

/* Creates the families of collector i from its descriptors, adding their
 * folded label sets' worst case to *reserve. */
static int agg_coll_new(struct agg *a, unsigned i, unsigned fam0,
			size_t *reserve)
{
	const struct coll_def *d = coll_table[i];
	const struct agg_config *cfg = &a->cfg;

	for (unsigned j = 0; j < d->nfam; j++) {
		const struct coll_fam *cf = &d->fams[j];
		struct fam_sketch sk = {
			.p = cf->host_sketch ? cfg->host_p : cfg->proc_p,
			.key_id = hash_key_id(&cfg->sketch_key),
			.nwin = cfg->nwindows
		};

		memcpy(sk.windows_ms, cfg->windows_ms, sizeof(sk.windows_ms));
		a->fam[fam0 + j] = fam_new(&cf->desc, cfg->series_cap, &sk,
					   &cfg->table_key, cfg->budget);
		if (!a->fam[fam0 + j])
			return -ENOMEM;
		*reserve +=
			cf->folded_max * fam_series_max_bytes(a->fam[fam0 + j]);
	}
	a->coll[i].ctx = &a->ctx;
	a->coll[i].fam = &a->fam[fam0];
	return 0;
}

/* When an event reaches a collector: 0 every event's, 1 its class's, 2
 * its keys' (coll_def.classes). */
static unsigned agg_stage(const struct coll_def *d)
{
	if (d->classes == AEV_ALL)
		return 0;
	return d->classes == AEV_KEYED ? 2 : 1;
}

/* Lists the collectors that are on by what they consume; events by
 * stage, then table order. */
static void agg_consumers(struct agg *a)
{
	for (unsigned i = 0; i < coll_n; i++)
		if (a->coll[i].fam && coll_table[i]->record)
			a->on_record[a->nrecord++] = (struct agg_call){
				.c = &a->coll[i],
				.record = coll_table[i]->record
			};
	for (unsigned stage = 0; stage < 3; stage++)
		for (unsigned i = 0; i < coll_n; i++)
			if (a->coll[i].fam && coll_table[i]->event &&
			    agg_stage(coll_table[i]) == stage)
				a->on_event[a->nevent++] = (struct agg_call){
					.c = &a->coll[i],
					.classes = coll_table[i]->classes,
					.event = coll_table[i]->event
				};
}

struct agg *agg_new(const struct agg_config *cfg)
{
	struct agg *a = calloc(1, sizeof(*a));
	unsigned fam0 = 0;
	size_t reserve = 0;
	int err = ENOMEM;

	if (!a)
		return NULL;
	a->cfg = *cfg;
	evclock_init(&a->clock);
	a->ctx.cfg = &a->cfg;
	a->ctx.gen = 1;
	a->ctx.skipped = a->skipped;
	a->ctx.wake_ms = INT64_MAX;
	a->dec = aev_decoder_new();
	if (!a->dec)
		goto fail;
	a->enrich = enrich_new(&a->cfg);
	if (!a->enrich) {
		err = errno;
		goto fail;
	}
	for (unsigned i = 0; i < coll_n; i++) {
		if (fam0 + coll_table[i]->nfam > AGG_MAX_FAM) {
			err = EINVAL;
			goto fail;
		}
		if (agg_on(a, i) && agg_coll_new(a, i, fam0, &reserve))
			goto fail;
		fam0 += coll_table[i]->nfam;
	}
	if (cfg->budget) {
		if (budget_reserve_add(cfg->budget, reserve)) {
			err = EINVAL;
			goto fail;
		}
		a->reserved = reserve;
	}
	for (unsigned i = 0; i < coll_n; i++) {
		struct coll *c = &a->coll[i];
		int rc;

		/* -EINVAL: a table taken at start does not fit the limit */
		rc = c->fam && coll_table[i]->init ? coll_table[i]->init(c) : 0;
		if (rc) {
			err = rc == -EINVAL ? EINVAL : ENOMEM;
			goto fail;
		}
	}
	agg_consumers(a);
	return a;
fail:
	agg_free(a);
	errno = err;
	return NULL;
}

void agg_free(struct agg *a)
{
	if (!a)
		return;
	for (unsigned i = 0; i < coll_n; i++) {
		if (coll_table[i]->fini && a->coll[i].state)
			coll_table[i]->fini(&a->coll[i]);
		else
			free(a->coll[i].state);
	}
	for (int i = 0; i < AGG_MAX_FAM; i++)
		fam_free(a->fam[i]);
	if (a->reserved)
		budget_reserve_sub(a->cfg.budget, a->reserved);
	aev_decoder_free(a->dec);
	enrich_free(a->enrich);
	free(a);
}

struct fam *const *agg_coll_fams(const struct agg *a, unsigned coll)
{
	return coll < coll_n ? a->coll[coll].fam : NULL;
}

void *agg_coll_state(const struct agg *a, unsigned coll)
{
	return coll < coll_n ? a->coll[coll].state : NULL;
}

struct fam *agg_fam_named(const struct agg *a, const char *name)
{
	for (unsigned i = 0; i < coll_n; i++)
		for (unsigned j = 0; a->coll[i].fam && j < coll_table[i]->nfam;
		     j++)
			if (!strcmp(coll_table[i]->fams[j].desc.name, name))
				return a->coll[i].fam[j];
	return NULL;
}

uint64_t agg_errors(const struct agg *a, enum agg_err e)
{
	const struct aev_stats *st = aev_stats(a->dec);
	uint64_t n = a->errors[e];

	for (int i = 1; i < AREC_NERR; i++)
		if (agg_err_from_arec(-i) == e)
			n += st->arec[i];
	return n;
}

uint64_t agg_skipped(const struct agg *a, enum agg_skip s)
{
	const struct aev_stats *st = aev_stats(a->dec);

	switch (s) {
	case AGG_SKIP_UNKNOWN_ARCH:
		return a->skipped[s] + st->unknown_arch;
	case AGG_SKIP_TOKEN:
		return a->skipped[s] + st->tokens;
	case AGG_SKIP_NO_SYSCALL:
		return a->skipped[s] + st->no_syscall;
	default:
		return a->skipped[s];
	}
}

int64_t agg_clock(const struct agg *a)
{
	return a->clock.now;
}

void agg_clock_advance(struct agg *a, int64_t now_ms)
{
	evclock_advance(&a->clock, now_ms);
}

void agg_error(struct agg *a, enum agg_err e)
{
	a->errors[e]++;
}

void agg_skip(struct agg *a, enum agg_skip s, uint64_t n)
{
	a->skipped[s] += n;
}

void agg_set_watch(struct agg *a, agg_watch_fn fn, void *arg)
{
	a->cfg.watch_fn = fn;
	a->cfg.watch_arg = arg;
}

/* The idle time of this sweep under memory pressure, 0 without: when the
 * budget refused label sets or sketch growth since the last sweep, it
 * halves from --metrics.idle-timeout at each sweep that finds pressure,
 * down to AGG_PRESSED_IDLE_MIN_MS, and is back to the flag's once a sweep
 * finds none. */
static int64_t agg_pressed_idle(struct agg *a)
{
	struct budget *b = a->cfg.budget;
	uint64_t r;

	if (!b || a->cfg.idle_ms <= 0)
		return 0;
	r = budget_refused(b, BUDGET_SERIES) +
	    budget_refused(b, BUDGET_SKETCHES);
	if (r == a->refusals) {
		a->pressed_idle_ms = 0;
		return 0;
	}
	a->refusals = r;
	a->pressed_idle_ms =
		(a->pressed_idle_ms ? a->pressed_idle_ms : a->cfg.idle_ms) / 2;
	if (a->pressed_idle_ms < AGG_PRESSED_IDLE_MIN_MS)
		a->pressed_idle_ms = AGG_PRESSED_IDLE_MIN_MS;
	return a->pressed_idle_ms;
}

void agg_tick(struct agg *a, int64_t now_ms)
{
	a->ctx.wake_ms = INT64_MAX;
	for (unsigned i = 0; i < coll_n; i++)
		if (a->coll[i].fam && coll_table[i]->tick)
			coll_table[i]->tick(&a->coll[i], now_ms);
}

int64_t agg_wake(const struct agg *a)
{
	return a->ctx.wake_ms;
}

void agg_sweep(struct agg *a, int64_t now_ms)
{
	int64_t pressed = agg_pressed_idle(a);

	for (unsigned i = 0; i < coll_n; i++) {
		const struct coll_def *d = coll_table[i];
		struct coll *c = &a->coll[i];

		for (unsigned j = 0; c->fam && j < d->nfam; j++) {
			/* host-wide counts never go early */
			if (pressed && !d->fams[j].host_wide &&
			    pressed < a->cfg.idle_ms)
				fam_sweep_pressed(c->fam[j], now_ms, pressed);
			else
				fam_sweep(c->fam[j], now_ms, a->cfg.idle_ms);
		}
		if (c->fam && d->sweep)
			d->sweep(c);
	}
	/* cached series may be gone: a new generation empties every cache */
	if (++a->ctx.gen == 0)
		a->ctx.gen = 1;
}

void agg_record(struct agg *a, const struct arec_hdr *h)
{
	int64_t now = evclock_see(&a->clock, h->time_ms, h->serial);

	for (unsigned i = 0; i < a->nrecord; i++)
		a->on_record[i].record(a->on_record[i].c, h, now);
}

void agg_event(void *arg, const struct asm_event *ev)
{
	struct agg *a = arg;
	struct aev e;
	/* the records moved the clock (agg_record); an event stamped beyond
	 * it (a leap not yet confirmed, an absurd stamp) counts at the clock,
	 * so that it cannot empty the windows */
	int64_t now = ev->time_ms > a->clock.now
			      ? evclock_see(&a->clock, ev->time_ms, ev->serial)
			      : a->clock.now;

	if (!aev_decode(a->dec, ev, &e))
		return;
	e.t = ev->time_ms < now ? ev->time_ms : now;
	enrich_event(a->enrich, &e);
	for (unsigned i = 0; i < a->nevent; i++)
		if (a->on_event[i].classes & e.classes)
			a->on_event[i].event(a->on_event[i].c, &e);
}
