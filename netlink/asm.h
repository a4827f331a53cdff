/* asm: groups audit records into events by serial. See asm.c. */
#ifndef AE_NETLINK_ASM_H
#define AE_NETLINK_ASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netlink/arec.h"

struct budget;

struct asm_record {
	int type;
	uint32_t len;
	const char *body; /* the record's fields (after "): ") */
};

struct asm_event {
	uint32_t serial;
	int64_t time_ms; /* the event's own timestamp */
	unsigned nrec;
	const struct asm_record *rec; /* in arrival order */
	bool complete; /* closed by EOE or a single-record type */
	bool truncated; /* records dropped: per-event bounds, or no memory */
};

/* Called once per event; the event and its records are valid only during
 * the call. */
typedef void (*asm_event_cb)(void *arg, const struct asm_event *ev);

struct asm_config {
	unsigned max_inflight; /* events being assembled at once */
	unsigned max_records; /* records kept per event */
	size_t max_event_bytes; /* record text kept per event */
	int64_t timeout_ms; /* flush an event this long after its first
				 * record arrived without its EOE */
	/* record tables and arenas are charged to it (metrics/budget, part
	 * events; NULL: none); it must outlive the assembler */
	struct budget *budget;
};
#define ASM_CONFIG_DEFAULT                                                     \
	{                                                                      \
		.max_inflight = 1024, .max_records = 64,                       \
		.max_event_bytes = 256 * 1024, .timeout_ms = 2000              \
	}

struct asm_stats {
	uint64_t events; /* events handed to the callback */
	uint64_t timed_out; /* flushed without EOE by the timeout */
	uint64_t evicted; /* flushed without EOE: too many in flight */
	uint64_t truncated; /* events that lost records (bounds, memory) */
	uint64_t serials_missing; /* serial numbers never seen (lost events) */
	uint64_t serials_late; /* records whose serial was already judged */
	uint64_t serial_resets; /* serial numbering restarted (reboot) */
};

/* Returns NULL with errno set. cfg may be NULL for the defaults. */
struct asm_ctx *asm_new(const struct asm_config *cfg, asm_event_cb cb,
			void *arg);
void asm_free(struct asm_ctx *a);

/* Adds one parsed record; now_ms is the source's clock at arrival (wall
 * clock live, the event clock in a replay, ticked before each push that
 * moves it). A record of an open serial with another stamp ends that event
 * (timed out) and starts its own; DAEMON_* records join no event. The
 * record's text is copied when its event stays open, so h may point into a
 * reused buffer. */
void asm_push(struct asm_ctx *a, const struct arec_hdr *h, int64_t now_ms);

/* Flushes events older than the timeout and judges serial gaps that have
 * stayed open for longer than the timeout. Call a few times a second. */
void asm_tick(struct asm_ctx *a, int64_t now_ms);

/* End of input: flushes every open event and judges every gap. */
void asm_flush(struct asm_ctx *a);

/* The counters so far, serial gaps summed over the nodes. */
struct asm_stats asm_stats(const struct asm_ctx *a);

/* Whether a record of this type is an event on its own (no EOE follows). */
bool asm_type_is_single(int type);

#endif
