/* gaps: counts audit serial numbers that never arrive. See gaps.c. */
#ifndef AE_NETLINK_GAPS_H
#define AE_NETLINK_GAPS_H

#include <stdbool.h>
#include <stdint.h>

#define GAPS_WINDOW 8192 /* serials tracked below the highest seen */
#define GAPS_MARKS 64

/* One serial stream (one kernel). Plain struct so it can be embedded;
 * initialise with gaps_init. */
struct gaps {
	bool started;
	uint32_t hi; /* highest serial seen */
	uint32_t judged; /* serials before this one have been judged */
	uint32_t first; /* serials before it are never counted */
	int64_t newest_ms; /* the newest record stamp since the restart */
	uint64_t bits[GAPS_WINDOW / 64];
	struct {
		int64_t t;
		uint32_t hi;
	} marks[GAPS_MARKS];
	unsigned mark_head, mark_count;
	uint64_t missing; /* serials judged never seen */
	uint64_t late; /* records for a serial already judged missing */
	uint64_t resets; /* numbering restarted (a reboot in a replayed log) */
};

void gaps_init(struct gaps *g);
/* Notes a record's serial and its own stamp (any number of records may share
 * one). */
void gaps_see(struct gaps *g, uint32_t serial, int64_t time_ms);
/* Judges the serials below the highest one seen at least grace_ms before
 * now: any still missing is counted as lost. */
void gaps_judge(struct gaps *g, int64_t now_ms, int64_t grace_ms);
/* Judges every serial up to the highest seen (end of input). */
void gaps_judge_all(struct gaps *g);

#endif
