/*
 * scrape: the whole exposition, collector by collector.
 *
 * Collectors, as node_exporter has them, each switchable by flag and each
 * writing its own families (exporter/collectors/table.c, in this order):
 *   connect   audit_connect_total, the unique-destination gauges, and
 *             (opt-in) the host sketch's registers for fleet-wide counts
 *   listen, execve, watch, syscall, records   one family each
 *   kernel    audit_kernel_*: the status the reader polled last
 * and, always, the exporter's health (audit_exporter_*), build info, the
 * duration and success of each collector in this scrape, and (unless
 * disabled) process_*. A collector that fails reports success 0; the scrape
 * itself still succeeds.
 *
 * Locking: the reader must never wait long on a scrape. A family's rows
 * (label text pointers and values) are copied under the lock in one go (a
 * few microseconds per thousand label sets); sketch estimates, which cost
 * more, are computed under the lock in slices of SCRAPE_SLICE work,
 * counted by the words of sketch they scan, or remembered from the last
 * scrape (metrics/fam);
 * sorting and formatting happen outside it, and a sorted order is handed
 * back to the family for the next scrape. While the scrape holds rows,
 * `scrapes_active` keeps the reader from sweeping label sets away.
 *
 * Memory: a scrape writes its samples into one buffer, and is sent from
 * there in family order as a list of pieces (metrics/expo). The buffers
 * are kept for the next scrape (one set; a concurrent scrape gets its own
 * and frees it): growing 5 MB from nothing, with the reallocs and the
 * first touch of every page, was a fifth of a 10,000-label-set scrape.
 * Buffers four times larger than their scrape needed (and over a MiB) are
 * freed instead, so a scrape from before a sweep is not kept for good.
 */
#include "exporter/scrape.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter/collectors/collector.h"
#include "exporter/exporter.h"
#include "exporter/procstat.h"
#include "metrics/budget.h"
#include "metrics/lbl.h"
#include "metrics/win.h"

/* work per slice of estimates under the lock, in fam_rows_estimate's
 * units (2 to 8 ns each): 80 small sketches, 4,096 remembered, or one
 * large dense one (55 us at 2^12 registers), tens of microseconds */
#define SCRAPE_SLICE 4096
#define SCRAPE_MAX_BYTES (512u << 20)
#define SCRAPE_KEEP_SLACK (1u << 20)

struct scrape_buf *scrape_buf_take(struct exporter *x)
{
	struct scrape_buf *b;

	exporter_lock_scrape(x);
	b = x->scrape_kept;
	x->scrape_kept = NULL;
	exporter_unlock(x);
	if (!b) {
		b = calloc(1, sizeof(*b));
		if (!b)
			return NULL;
		b->x = x;
		dbuf_init(&b->body, SCRAPE_MAX_BYTES);
		dbuf_init(&b->meta, SCRAPE_MAX_BYTES);
	}
	return b;
}

static void scrape_buf_free(struct scrape_buf *b)
{
	if (!b)
		return;
	dbuf_free(&b->body);
	dbuf_free(&b->meta);
	expo_pieces_free(&b->pieces);
	free(b);
}

/* Whether b is worth keeping: not when this scrape needed under a quarter
 * of what it holds (label sets were swept since a larger one), so that
 * one large scrape is not kept for good. */
static bool scrape_buf_fits(const struct scrape_buf *b)
{
	return b->body.cap <= 4 * b->body.len + SCRAPE_KEEP_SLACK;
}

void scrape_buf_give(struct scrape_buf *b)
{
	struct exporter *x = b->x;

	exporter_lock_scrape(x);
	if (!x->scrape_kept && scrape_buf_fits(b)) {
		x->scrape_kept = b;
		b = NULL;
	}
	exporter_unlock(x);
	scrape_buf_free(b);
}

void scrape_buf_drop(struct exporter *x)
{
	scrape_buf_free(x->scrape_kept);
	x->scrape_kept = NULL;
}

struct scrape {
	struct exporter *x;
	struct expo w;
	struct fam_rows rows;
	int64_t now_ms;
	const char *window_names[CFG_MAX_WINDOWS];
	const struct kaudit_snap *kernel;
};

int scrape_family(struct scrape *sc, struct fam *f)
{
	struct exporter *x = sc->x;
	int rc;

	if (!f)
		return -ENODATA; /* its collector is off in the aggregator */
	exporter_lock_scrape(x);
	rc = fam_rows(f, &sc->rows);
	exporter_unlock(x);
	if (rc)
		return rc;
	if (fam_desc(f)->type == FAM_WINDOWED) {
		for (size_t i = 0; i < sc->rows.n;) {
			exporter_lock_scrape(x);
			i = fam_rows_estimate(f, &sc->rows, i, sc->now_ms,
					      SCRAPE_SLICE);
			exporter_unlock(x);
		}
		if (sc->rows.failed)
			return -ENOMEM; /* no NaN for a count */
	}
	if (!sc->rows.sorted) {
		fam_rows_sort(&sc->rows);
		exporter_lock_scrape(x);
		fam_rows_keep_order(f, &sc->rows);
		exporter_unlock(x);
	}
	expo_family(&sc->w, fam_desc(f)->name, fam_desc(f)->help,
		    fam_desc(f)->type == FAM_COUNTER ? EXPO_COUNTER
						     : EXPO_GAUGE);
	expo_rows(&sc->w, fam_desc(f), &sc->rows, sc->window_names,
		  x->cfg.nwindows);
	return 0;
}

void scrape_lock(struct scrape *sc)
{
	exporter_lock_scrape(sc->x);
}

void scrape_unlock(struct scrape *sc)
{
	exporter_unlock(sc->x);
}

void *scrape_coll_state(struct scrape *sc, const char *coll)
{
	int c = coll_find(coll);

	return c < 0 ? NULL : agg_coll_state(sc->x->agg, (unsigned)c);
}

struct expo *scrape_expo(struct scrape *sc)
{
	return &sc->w;
}

int64_t scrape_now_ms(const struct scrape *sc)
{
	return sc->now_ms;
}

/* The registers of the union of the host-wide sketches (one per label
 * set: the max of theirs, register by register), folded, one series per
 * register. */
int scrape_registers(struct scrape *sc, struct fam *host)
{
	struct exporter *x = sc->x;
	unsigned m = 1u << x->cfg.export_p;
	struct fam_rows rows = { 0 };
	uint8_t *regs, *one;
	char labels[96];
	int rc = 0;

	if (!x->cfg.export_registers)
		return 0;
	regs = calloc((size_t)x->cfg.nwindows + 1, m);
	if (!regs)
		return -ENOMEM;
	one = regs + (size_t)x->cfg.nwindows * m;
	exporter_lock_scrape(x);
	rc = fam_rows(host, &rows);
	for (size_t i = 0; i < rows.n && !rc; i++)
		for (unsigned k = 0; k < x->cfg.nwindows && !rc; k++) {
			uint8_t *r = regs + (size_t)k * m;

			rc = win_sketch_registers(fam_sketch(rows.row[i].s),
						  sc->now_ms,
						  x->cfg.windows_ms[k],
						  x->cfg.export_p, one);
			for (unsigned j = 0; j < m && !rc; j++)
				if (one[j] > r[j])
					r[j] = one[j];
		}
	exporter_unlock(x);
	expo_family(&sc->w, "audit_connect_unique_destinations_register",
		    "Registers of the host-wide unique-destination sketches "
		    "(their union over protocol and scope) "
		    "folded to a low precision, per window: take the max per "
		    "register across hosts and apply the HyperLogLog "
		    "estimator for a fleet-wide count (see "
		    "alerts/fleet.rules.yml).",
		    EXPO_GAUGE);
	for (unsigned k = 0; k < x->cfg.nwindows && !rc; k++)
		for (unsigned j = 0; j < m; j++) {
			int n = snprintf(labels, sizeof(labels),
					 "window=\"%s\",register=\"%u\"",
					 x->cfg.window_names[k], j);

			expo_value(&sc->w, labels, (size_t)n, NULL,
				   regs[(size_t)k * m + j]);
		}
	free(regs);
	fam_rows_free(&rows);
	return rc;
}

/* A family with one unlabelled sample. */
static void scrape_one(struct scrape *sc, const char *name, const char *help,
		       enum expo_type type, double v)
{
	expo_family(&sc->w, name, help, type);
	expo_value(&sc->w, "", 0, NULL, v);
}

/* One sample labelled name="value" (value escaped here). */
static void scrape_labelled(struct scrape *sc, const char *label,
			    const char *value, double v)
{
	struct dbuf b;

	dbuf_init(&b, 1024);
	dbuf_adds(&b, label);
	dbuf_add(&b, "=\"", 2);
	lbl_escape(&b, value, strlen(value));
	dbuf_addc(&b, '"');
	if (!b.failed)
		expo_value(&sc->w, b.p, b.len, NULL, v);
	else
		sc->w.body->failed = true; /* no scrape with a sample missing */
	dbuf_free(&b);
}

int scrape_kernel(struct scrape *sc, struct fam *const *fam)
{
	const struct kaudit_snap *k = sc->kernel;
	double hz = k->hz ? k->hz : 250;

	(void)fam;
	if (sc->x->replay)
		return 0; /* text sources have no kernel to ask */
	if (!k->valid)
		return k->error ? k->error : -ENODATA;
	scrape_one(sc, "audit_kernel_enabled",
		   "Kernel audit state: 0 disabled, 1 enabled, 2 enabled and "
		   "locked until reboot.",
		   EXPO_GAUGE, k->enabled);
	scrape_one(sc, "audit_kernel_failure_mode",
		   "What the kernel does on audit failure: 0 silent, 1 printk, "
		   "2 panic.",
		   EXPO_GAUGE, k->failure);
	scrape_one(sc, "audit_kernel_rate_limit",
		   "Kernel audit rate limit in records per second (0: none).",
		   EXPO_GAUGE, k->rate_limit);
	scrape_one(sc, "audit_kernel_backlog",
		   "Audit records queued in the kernel, waiting for the audit "
		   "daemon.",
		   EXPO_GAUGE, k->backlog);
	scrape_one(sc, "audit_kernel_backlog_limit",
		   "Most audit records the kernel queues before it makes "
		   "processes wait or drops records.",
		   EXPO_GAUGE, k->backlog_limit);
	scrape_one(sc, "audit_kernel_backlog_wait_time_seconds",
		   "How long the kernel makes a process wait when the backlog "
		   "is full before it drops the record.",
		   EXPO_GAUGE, k->backlog_wait_time / hz);
	scrape_one(sc, "audit_kernel_backlog_wait_seconds",
		   "Total time processes waited because the audit backlog was "
		   "full (kept monotonic across resets of the kernel "
		   "counter).",
		   EXPO_COUNTER, (double)k->wait_actual_total / hz);
	scrape_one(sc, "audit_kernel_lost",
		   "Audit records the kernel dropped: backlog full, rate "
		   "limit, "
		   "out of memory (kept monotonic across resets of the kernel "
		   "counter).",
		   EXPO_COUNTER, (double)k->lost_total);
	scrape_one(sc, "audit_kernel_daemon_pid",
		   "PID of the process registered as the audit daemon (0: "
		   "none).",
		   EXPO_GAUGE, k->pid);
	return 0;
}

/* Values the exporter's health families are made of, copied under the
 * lock at the start of the scrape. */
struct scrape_health {
	struct asm_stats asm;
	struct source_stats src;
	struct kaudit_snap kernel;
	uint64_t errors[AGG_NERR];
	uint64_t skipped[AGG_NSKIP];
	/* every collector's families in table order; 0 for one that is off */
	size_t series[COLL_MAX * COLL_MAX_FAM];
	uint64_t folded[COLL_MAX * COLL_MAX_FAM];
	uint64_t mem_limit, mem_used[BUDGET_NPART];
	uint64_t mem_refused[BUDGET_NPART];
};

/* A family with one sample per part of the memory budget. */
static void scrape_parts(struct scrape *sc, const char *name, const char *help,
			 enum expo_type type, const uint64_t *v)
{
	expo_family(&sc->w, name, help, type);
	for (int p = 0; p < BUDGET_NPART; p++)
		scrape_labelled(sc, "part",
				budget_part_name((enum budget_part)p),
				(double)v[p]);
}

/* A family with one sample per family of every collector. */
static void scrape_per_family(struct scrape *sc, const uint64_t *v)
{
	unsigned n = 0;

	for (unsigned c = 0; c < coll_n; c++)
		for (unsigned j = 0; j < coll_table[c]->nfam; j++)
			scrape_labelled(sc, "metric",
					coll_table[c]->fams[j].desc.name,
					(double)v[n++]);
}

static void scrape_health(struct scrape *sc, const struct scrape_health *h)
{
	struct exporter *x = sc->x;

	expo_family(&sc->w, "audit_exporter_build_info",
		    "A metric with a constant '1' value labelled by version, "
		    "revision and compiler of audit_exporter.",
		    EXPO_GAUGE);
	{
		char labels[256];
		int n = snprintf(labels, sizeof(labels),
				 "version=\"%s\",revision=\"%s\",compiler="
				 "\"gcc %d.%d.%d\"",
				 AE_VERSION, AE_REVISION, __GNUC__,
				 __GNUC_MINOR__, __GNUC_PATCHLEVEL__);

		expo_value(&sc->w, labels, (size_t)n, NULL, 1);
	}
	scrape_one(sc, "audit_exporter_events",
		   "Audit events assembled from records.", EXPO_COUNTER,
		   (double)h->asm.events);
	expo_family(&sc->w, "audit_exporter_events_incomplete",
		    "Events flushed without their EOE record: by the timeout "
		    "(--audit.event-timeout) or evicted when too many were in "
		    "flight (--audit.max-inflight).",
		    EXPO_COUNTER);
	scrape_labelled(sc, "reason", "evicted", (double)h->asm.evicted);
	scrape_labelled(sc, "reason", "timeout", (double)h->asm.timed_out);
	scrape_one(sc, "audit_exporter_events_truncated",
		   "Events that lost records to the per-event bounds or for "
		   "lack of memory.",
		   EXPO_COUNTER, (double)h->asm.truncated);
	scrape_one(sc, "audit_exporter_serial_gaps",
		   "Audit serial numbers that never arrived: events lost "
		   "between the kernel and the exporter (rate limit, socket "
		   "overruns, lines missing from a log).",
		   EXPO_COUNTER, (double)h->asm.serials_missing);
	scrape_one(sc, "audit_exporter_serials_late",
		   "Records that arrived after their serial was counted as a "
		   "gap (the gap count is that much too high).",
		   EXPO_COUNTER, (double)h->asm.serials_late);
	scrape_one(sc, "audit_exporter_serial_resets",
		   "Times the serial numbering restarted (a reboot inside a "
		   "replayed log).",
		   EXPO_COUNTER, (double)h->asm.serial_resets);
	scrape_one(sc, "audit_exporter_socket_overruns",
		   "Times the audit socket's receive buffer overflowed "
		   "(ENOBUFS); the records lost show as serial gaps.",
		   EXPO_COUNTER, (double)h->src.nl.overruns);
	expo_family(&sc->w, "audit_exporter_parse_errors",
		    "Input that could not be parsed, by reason; the record or "
		    "line is skipped (truncated_datagram, short_datagram: "
		    "netlink datagrams longer than a receive slot or shorter "
		    "than a header).",
		    EXPO_COUNTER);
	for (int e = 0; e < AGG_NERR; e++)
		scrape_labelled(sc, "reason", agg_err_name((enum agg_err)e),
				(double)h->errors[e]);
	expo_family(&sc->w, "audit_exporter_skipped",
		    "Input understood but not used, by reason (no_memory: "
		    "metric updates lost to a failed allocation; users_full: "
		    "uids seen while the user-name cache was full).",
		    EXPO_COUNTER);
	for (int s = 0; s < AGG_NSKIP; s++)
		scrape_labelled(sc, "reason", agg_skip_name((enum agg_skip)s),
				(double)h->skipped[s]);
	expo_family(&sc->w, "audit_exporter_series",
		    "Label sets held per metric.", EXPO_GAUGE);
	scrape_per_family(sc, h->series);
	expo_family(&sc->w, "audit_exporter_series_folded",
		    "Updates folded into the __other__ label set because the "
		    "metric had reached its label-set cap "
		    "(--metrics.max-series) or the memory limit "
		    "(--metrics.memory-limit).",
		    EXPO_COUNTER);
	scrape_per_family(sc, h->folded);
	scrape_one(sc, "audit_exporter_memory_limit_bytes",
		   "The memory limit of everything the host's activity grows "
		   "(--metrics.memory-limit).",
		   EXPO_GAUGE, (double)h->mem_limit);
	scrape_parts(sc, "audit_exporter_memory_used_bytes",
		     "Memory charged to the limit, by part: fixed tables "
		     "taken at start (tables), label sets "
		     "(series), sliding-window sketches, open events.",
		     EXPO_GAUGE, h->mem_used);
	scrape_parts(sc, "audit_exporter_memory_refused",
		     "Allocations refused because they would pass the memory "
		     "limit, by part; what gave way is counted as folded "
		     "(series, sketches) or truncated (events).",
		     EXPO_COUNTER, h->mem_refused);
	expo_family(&sc->w, "audit_exporter_source_up",
		    "1 while the audit source delivers: the exporter is the "
		    "registered audit daemon (unicast), subscribed "
		    "(multicast), or its input is open (stdin, file).",
		    EXPO_GAUGE);
	scrape_labelled(sc, "source", cfg_source_name(x->cfg.source),
			h->src.up ? 1 : 0);
	if (h->src.last_event_ms != INT64_MIN)
		scrape_one(sc, "audit_exporter_last_event_timestamp_seconds",
			   "Time of the newest audit event seen.", EXPO_GAUGE,
			   (double)h->src.last_event_ms / 1000.0);
}

int scrape_render(enum expo_format fmt, struct scrape_buf *b)
{
	struct exporter *x = b->x;
	struct scrape sc = { .x = x };
	struct scrape_health h;
	double took[COLL_MAX];
	int ok[COLL_MAX];
	unsigned n = 0;
	int rc;

	expo_init(&sc.w, fmt, &b->body);
	for (unsigned k = 0; k < x->cfg.nwindows; k++)
		sc.window_names[k] = x->cfg.window_names[k];
	exporter_lock_scrape(x);
	x->scrapes_active++;
	sc.now_ms = exporter_now_ms(x);
	h.asm = asm_stats(x->asm);
	h.src = x->src;
	h.kernel = x->kernel;
	for (int e = 0; e < AGG_NERR; e++)
		h.errors[e] = agg_errors(x->agg, (enum agg_err)e);
	/* datagrams the socket could not hand on never reach the parser */
	h.errors[AGG_E_DATAGRAM] += h.src.nl.truncated;
	h.errors[AGG_E_SHORT_DATAGRAM] += h.src.nl.malformed;
	for (int s = 0; s < AGG_NSKIP; s++)
		h.skipped[s] = agg_skipped(x->agg, (enum agg_skip)s);
	for (unsigned c = 0; c < coll_n; c++) {
		struct fam *const *fam = agg_coll_fams(x->agg, c);

		for (unsigned j = 0; j < coll_table[c]->nfam; j++, n++) {
			h.series[n] = fam ? fam_count(fam[j]) : 0;
			h.folded[n] = fam ? fam_folded(fam[j]) : 0;
		}
	}
	memset(h.mem_used, 0, sizeof(h.mem_used));
	memset(h.mem_refused, 0, sizeof(h.mem_refused));
	h.mem_limit = x->budget ? budget_limit(x->budget) : 0;
	for (int p = 0; p < BUDGET_NPART && x->budget; p++) {
		h.mem_used[p] = budget_used(x->budget, (enum budget_part)p);
		h.mem_refused[p] =
			budget_refused(x->budget, (enum budget_part)p);
	}
	exporter_unlock(x);

	sc.kernel = &h.kernel;
	for (unsigned c = 0; c < coll_n; c++) {
		const struct coll_def *d = coll_table[c];
		struct fam *const *fam = agg_coll_fams(x->agg, c);
		int64_t t0 = exporter_mono_ns();

		if (!x->cfg.collector[c])
			continue;
		rc = 0;
		if (d->write)
			rc = d->write(&sc, fam);
		else
			for (unsigned j = 0; j < d->nfam && !rc; j++)
				rc = scrape_family(&sc, fam ? fam[j] : NULL);
		ok[c] = rc == 0;
		took[c] = (double)(exporter_mono_ns() - t0) / 1e9;
	}
	scrape_health(&sc, &h);
	if (!x->cfg.disable_exporter_metrics)
		procstat_write(&sc.w);
	expo_family(&sc.w, "audit_exporter_scrape_collector_duration_seconds",
		    "Time a collector took in this scrape.", EXPO_GAUGE);
	for (unsigned c = 0; c < coll_n; c++)
		if (x->cfg.collector[c])
			scrape_labelled(&sc, "collector", coll_table[c]->name,
					took[c]);
	expo_family(&sc.w, "audit_exporter_scrape_collector_success",
		    "Whether a collector succeeded in this scrape.",
		    EXPO_GAUGE);
	for (unsigned c = 0; c < coll_n; c++)
		if (x->cfg.collector[c])
			scrape_labelled(&sc, "collector", coll_table[c]->name,
					ok[c]);

	exporter_lock_scrape(x);
	x->scrapes_active--;
	exporter_unlock(x);
	rc = expo_finish(&sc.w, &b->meta, &b->pieces);
	expo_free(&sc.w);
	fam_rows_free(&sc.rows);
	return rc;
}
