/*
 * fuzz_asm: the event assembler (netlink/asm) fed with parsed lines.
 *
 * The input is audit.log text. Each line is parsed (netlink/arec) from its
 * own heap buffer, pushed, and the buffer is wiped and freed at once: the
 * assembler must have copied what it keeps (ASan reports a use after free
 * otherwise). The clock is the newest event time seen, as in a replay, and
 * asm_tick runs after every line; asm_flush ends the input. The input runs
 * through two assemblers: a tiny one (2 events in flight, 3 records, 512
 * bytes, 50 ms), so that eviction, truncation and timeouts happen on short
 * inputs, and a roomier one.
 *
 * Checks, from the header's contract:
 *   - every event keeps the bounds: at most max_records records, at most
 *     max_event_bytes of text unless it is one record of a single-record
 *     type handed over directly; an event without records was truncated;
 *   - every record handed out is one that was pushed with the event's
 *     serial, type and body, byte for byte;
 *   - nothing is lost: with no event truncated, exactly the records pushed
 *     (EOE aside) come out, once each; never more;
 *   - the statistics agree with what the callback saw, and a second
 *     asm_flush finds nothing left.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libaudit.h>

#include "netlink/arec.h"
#include "netlink/asm.h"
#include "tests/fuzz/fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A record as pushed: its body points into the fuzzer's input. */
struct pushed {
	uint32_t serial;
	int type;
	const char *body;
	size_t len;
};

struct run {
	struct asm_config cfg;
	const struct pushed *pushed;
	size_t npushed;
	uint64_t events;
	uint64_t records;
	bool truncated;
};

static bool was_pushed(const struct run *r, uint32_t serial,
		       const struct asm_record *rec)
{
	for (size_t i = 0; i < r->npushed; i++) {
		const struct pushed *p = &r->pushed[i];

		if (p->serial == serial && p->type == rec->type &&
		    p->len == rec->len && !memcmp(p->body, rec->body, p->len))
			return true;
	}
	return false;
}

static void on_event(void *arg, const struct asm_event *ev)
{
	struct run *r = arg;
	size_t bytes = 0;

	r->events++;
	r->records += ev->nrec;
	r->truncated |= ev->truncated;
	FUZZ_CHECK("records per event", ev->nrec <= r->cfg.max_records);
	FUZZ_CHECK("an empty event", ev->nrec > 0 || ev->truncated);
	for (unsigned i = 0; i < ev->nrec; i++) {
		FUZZ_CHECK("EOE handed out", ev->rec[i].type != AUDIT_EOE);
		FUZZ_CHECK("a record that was never pushed",
			   was_pushed(r, ev->serial, &ev->rec[i]));
		bytes += ev->rec[i].len;
	}
	if (ev->nrec > 1 ||
	    (ev->nrec == 1 && !asm_type_is_single(ev->rec[0].type)))
		FUZZ_CHECK("bytes per event", bytes <= r->cfg.max_event_bytes);
}

static void run_one(const struct asm_config *cfg, const uint8_t *data,
		    size_t size, struct pushed *pushed, size_t maxpushed)
{
	struct run r = { .cfg = *cfg, .pushed = pushed };
	struct asm_ctx *a = asm_new(cfg, on_event, &r);
	struct asm_stats st;
	int64_t now = 0;
	size_t start = 0;
	uint64_t events;

	FUZZ_CHECK("asm_new", a != NULL);
	for (size_t i = 0; i <= size; i++) {
		char *line;
		size_t len = i - start;
		struct arec_hdr h;

		if (i < size && data[i] != '\n')
			continue;
		line = fuzz_copy(data + start, len, false);
		if (arec_parse_line(line, len, &h) == 0 &&
		    r.npushed < maxpushed) {
			if (h.type != AUDIT_EOE)
				pushed[r.npushed++] = (struct pushed){
					h.serial, h.type,
					(const char *)data + start +
						(h.body - line),
					h.body_len
				};
			if (h.time_ms > now)
				now = h.time_ms;
			asm_push(a, &h, now);
		}
		memset(line, 0xee, len);
		free(line);
		asm_tick(a, now);
		start = i + 1;
	}
	asm_flush(a);
	st = asm_stats(a);
	FUZZ_CHECK("events counted", st.events == r.events);
	FUZZ_CHECK("incomplete events", st.evicted + st.timed_out <= st.events);
	FUZZ_CHECK("truncated events", st.truncated <= st.events);
	FUZZ_CHECK("truncation counted", (st.truncated > 0) == r.truncated);
	FUZZ_CHECK("more records out than in", r.records <= r.npushed);
	if (!r.truncated)
		FUZZ_CHECK("records lost", r.records == r.npushed);
	events = r.events;
	asm_flush(a);
	FUZZ_CHECK("events left after a flush", r.events == events);
	asm_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct asm_config tiny = { .max_inflight = 2,
						.max_records = 3,
						.max_event_bytes = 512,
						.timeout_ms = 50 };
	static const struct asm_config roomy = { .max_inflight = 64,
						 .max_records = 64,
						 .max_event_bytes = 64 * 1024,
						 .timeout_ms = 2000 };
	/* every line but the last ends in '\n': at most size / 2 + 1 are
	 * records */
	size_t maxpushed = size / 2 + 1;
	struct pushed *pushed = calloc(maxpushed, sizeof(*pushed));

	FUZZ_CHECK("out of memory", pushed != NULL);
	run_one(&tiny, data, size, pushed, maxpushed);
	run_one(&roomy, data, size, pushed, maxpushed);
	free(pushed);
	return 0;
}
