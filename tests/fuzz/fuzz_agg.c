/*
 * fuzz_agg: the aggregator end to end, from text to exposition.
 *
 * The input is audit.log text. Each parsed line is counted by type
 * (agg_record) and pushed into a small assembler (8 events in flight, 16
 * records, 4 KiB, 2 s) whose events go to agg_event; the aggregator keeps
 * at most 4 label sets per family before folding and remembers 8 binds.
 * When the input ends (asm_flush), every family is rendered in the text
 * format. Then every label set is swept away as idle and the same input is
 * fed a second time, with a watch-key function instead of the built-in
 * heuristic, and rendered as OpenMetrics: a cached series that outlived the
 * sweep would show up as a use after free.
 *
 * Checks, independent of the code under test:
 *   - each exposition is well-formed (tests/fuzz/fuzz_check.h): valid
 *     UTF-8, samples with escaped label values, HELP/TYPE lines, # EOF;
 *   - folding keeps sums right: audit_records_total adds up to the lines
 *     parsed, audit_syscall_events_total to the events holding a SYSCALL
 *     record, on both passes;
 *   - no family holds more than the cap of label sets without "__other__";
 *   - unique-count estimates are numbers, never negative.
 */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libaudit.h>

#include "exporter/agg.h"
#include "exporter/collectors/collector.h"
#include "metrics/dbuf.h"
#include "metrics/expo.h"
#include "metrics/fam.h"
#include "netlink/arec.h"
#include "netlink/asm.h"
#include "tests/fuzz/fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CAP 4
#define IDLE_MS 60000
#define OUT_MAX (64u << 20)

static const int64_t windows_ms[] = { 300000, 3600000, 86400000 };
static const char *const window_names[] = { "5m", "1h", "24h" };
#define NWIN (sizeof(windows_ms) / sizeof(windows_ms[0]))

struct feed {
	struct agg *agg;
	uint64_t lines; /* records counted by type */
	uint64_t syscalls; /* events with a SYSCALL record */
};

static void on_event(void *arg, const struct asm_event *ev)
{
	struct feed *f = arg;

	for (unsigned i = 0; i < ev->nrec; i++) {
		if (ev->rec[i].type == AUDIT_SYSCALL) {
			f->syscalls++;
			break;
		}
	}
	agg_event(f->agg, ev);
}

/* Keys of the fixture's and the bundled rules' watches, and any key that
 * starts with "w". */
static bool watch_key(void *arg, const char *key, size_t len)
{
	(void)arg;
	return (len > 0 && key[0] == 'w') ||
	       (len == 13 && !memcmp(key, "ae_test_watch", 13)) ||
	       (len == 8 && !memcmp(key, "identity", 8));
}

static void feed(struct feed *f, const uint8_t *data, size_t size)
{
	static const struct asm_config mc = { .max_inflight = 8,
					      .max_records = 16,
					      .max_event_bytes = 4096,
					      .timeout_ms = 2000 };
	struct asm_ctx *as = asm_new(&mc, on_event, f);
	size_t start = 0;
	int64_t now = 0;

	FUZZ_CHECK("asm_new", as != NULL);
	f->lines = f->syscalls = 0;
	for (size_t i = 0; i <= size; i++) {
		struct arec_hdr h;
		char *line;

		if (i < size && data[i] != '\n')
			continue;
		line = fuzz_copy(data + start, i - start, false);
		if (arec_parse_line(line, i - start, &h) == 0) {
			if (h.time_ms > now)
				now = h.time_ms;
			agg_record(f->agg, &h);
			f->lines++;
			asm_push(as, &h, now);
		}
		free(line);
		asm_tick(as, now);
		start = i + 1;
	}
	asm_flush(as);
	asm_free(as);
}

/* Renders every family in fmt and checks the rows and the text. */
static void render(struct feed *f, enum expo_format fmt)
{
	struct expo w;
	struct dbuf body, meta, out;
	struct expo_pieces pieces = { 0 };
	struct fam_rows rows = { 0 };
	int64_t now = agg_clock(f->agg) == INT64_MIN ? 0 : agg_clock(f->agg);
	uint64_t sum[COLL_MAX * COLL_MAX_FAM] = { 0 };
	unsigned k = 0, krec = 0, ksys = 0;

	dbuf_init(&body, OUT_MAX);
	expo_init(&w, fmt, &body);
	for (unsigned c = 0; c < coll_n; c++)
		for (unsigned n = 0; n < coll_table[c]->nfam; n++, k++) {
			const struct fam *fam = agg_coll_fams(f->agg, c)[n];
			const struct fam_desc *d = fam_desc(fam);
			size_t own = 0;

			if (!strcmp(d->name, "audit_records"))
				krec = k;
			if (!strcmp(d->name, "audit_syscall_events"))
				ksys = k;

			FUZZ_CHECK("fam_rows", fam_rows(fam, &rows) == 0);
			if (d->type == FAM_WINDOWED)
				for (size_t i = 0; i < rows.n;)
					i = fam_rows_estimate(fam, &rows, i,
							      now, 64);
			fam_rows_sort(&rows);
			for (size_t i = 0; i < rows.n; i++) {
				const struct fam_row *r = &rows.row[i];

				sum[k] += r->count;
				if (!memmem(r->labels, r->labels_len,
					    "\"__other__\"", 11))
					own++;
				for (size_t j = 0;
				     d->type == FAM_WINDOWED && j < NWIN; j++)
					FUZZ_CHECK("unique-count estimate",
						   !isnan(r->value[j]) &&
							   r->value[j] >= 0);
			}
			FUZZ_CHECK("label sets beyond the cap", own <= CAP);
			expo_family(&w, d->name, d->help,
				    d->type == FAM_COUNTER ? EXPO_COUNTER
							   : EXPO_GAUGE);
			expo_rows(&w, d, &rows, window_names, NWIN);
		}
	FUZZ_CHECK("records lost by folding", sum[krec] == f->lines);
	FUZZ_CHECK("syscalls lost by folding", sum[ksys] == f->syscalls);
	dbuf_init(&meta, OUT_MAX);
	dbuf_init(&out, OUT_MAX);
	FUZZ_CHECK("expo_finish", expo_finish(&w, &meta, &pieces) == 0 &&
					  expo_pieces_join(&pieces, &out) == 0);
	FUZZ_CHECK("malformed exposition",
		   fuzz_expo_ok(out.p, out.len, fmt == EXPO_OPENMETRICS));
	dbuf_free(&out);
	dbuf_free(&meta);
	expo_pieces_free(&pieces);
	expo_free(&w);
	dbuf_free(&body);
	fam_rows_free(&rows);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agg_config c = { .series_cap = CAP,
				.idle_ms = IDLE_MS,
				.nwindows = NWIN,
				.host_p = 14,
				.proc_p = 12,
				.sketch_key = { 1, 2 },
				.table_key = { 3, 4 },
				.bind_slots = 8 };
	const int64_t later = windows_ms[NWIN - 1] + IDLE_MS + 1;
	struct feed f;
	int64_t clock;

	memcpy(c.windows_ms, windows_ms, sizeof(windows_ms));
	f = (struct feed){ .agg = agg_new(&c) };
	FUZZ_CHECK("agg_new", f.agg != NULL);
	feed(&f, data, size);
	render(&f, EXPO_TEXT);
	/* everything is idle a day later: swept, then fed again */
	clock = agg_clock(f.agg) == INT64_MIN ? 0 : agg_clock(f.agg);
	agg_sweep(f.agg, clock < INT64_MAX - later ? clock + later : INT64_MAX);
	agg_set_watch(f.agg, watch_key, NULL);
	feed(&f, data, size);
	render(&f, EXPO_OPENMETRICS);
	agg_free(f.agg);
	return 0;
}
