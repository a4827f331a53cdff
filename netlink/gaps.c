/*
 * gaps: lost-event accounting from audit serial numbers.
 *
 * The kernel stamps every record with a serial from one global counter;
 * the records of one event share it. A serial is allocated only when a
 * record is really started (after the exclude filter and the backlog check),
 * so on a healthy stream every serial between two seen ones arrives too.
 * A serial that never arrives is an event lost between the kernel's stamp
 * and us: the kernel's rate limit, a multicast socket overrun, a dropped
 * line in a replayed log.
 *
 * Records from different CPUs arrive a little out of order, so a hole is
 * not a loss until it has stayed open for a grace period. The tracker keeps
 * a bitmap of the last GAPS_WINDOW serials below the highest seen (`hi`),
 * and a boundary `judged`: serials before it have been decided. The
 * boundary advances in two ways:
 *   - by time: gaps_judge() remembers `hi` at each call (a ring of marks)
 *     and judges everything below the `hi` it saw grace_ms ago;
 *   - by distance: a serial that falls out of the bitmap is judged at once.
 * Invariant: hi - GAPS_WINDOW < judged <= hi + 1 (modulo 2^32). Serials
 * before the first one seen (`first`, kept within the window) are never
 * counted, neither missing nor late: a stream may start anywhere, and a
 * serial below the first one (aup-test3.log opens with 194435, then
 * 194433) was never a gap.
 *
 * All comparisons are modulo 2^32 through signed 32-bit differences, so the
 * counter may wrap. A restart of the numbering (a reboot inside a replayed
 * log) is not a run of lost or late events: the open window is judged and
 * tracking restarts at the new serial. What tells a restart apart from
 * records that merely arrive out of order:
 *   - a jump of more than 2^24 either way;
 *   - a serial at least GAPS_WINDOW below the highest: far below anything
 *     the bitmap tracks (reordering spans a few hundred serials at most);
 *   - a step back in serial whose record is stamped more than
 *     GAPS_REBOOT_MS after the newest stamp seen so far. Serials are taken
 *     in time order, so a record that arrives late was stamped no later
 *     than the newest seen (give or take a tick of the coarse clock); a
 *     reboot takes longer than that. selinux-sepolgen-audit.log: boot 1
 *     ends at serial 1521, boot 2 starts at 51, twelve hours later. One
 *     race defeats it: a system call is stamped at its entry and numbered
 *     at its first record, so when a long blocking call's records overtake
 *     those of a short call that began a second after it, on a host that
 *     was otherwise quiet meanwhile, the short call looks like a reboot:
 *     one reset, and the few serials in between counted lost.
 * The newest stamp is a plain maximum: one record stamped in the far future
 * disables the third rule until the next restart, and one that also steps
 * the serial back restarts the tracking once (a bounded error either way).
 *
 * Cost: O(1) per record; judging is O(serials judged), each judged once.
 * Memory: 1 KiB of bitmap plus the marks, fixed.
 */
#include "netlink/gaps.h"

#include <string.h>

#define GAPS_JUMP (1 << 24)
#define GAPS_REBOOT_MS 1000

static inline unsigned gaps_slot(uint32_t s)
{
	return s % GAPS_WINDOW;
}

static inline bool gaps_bit(const struct gaps *g, uint32_t s)
{
	return g->bits[gaps_slot(s) / 64] >> (gaps_slot(s) % 64) & 1;
}

static inline void gaps_set(struct gaps *g, uint32_t s)
{
	g->bits[gaps_slot(s) / 64] |= (uint64_t)1 << (gaps_slot(s) % 64);
}

static inline void gaps_clear(struct gaps *g, uint32_t s)
{
	g->bits[gaps_slot(s) / 64] &= ~((uint64_t)1 << (gaps_slot(s) % 64));
}

void gaps_init(struct gaps *g)
{
	memset(g, 0, sizeof(*g));
}

/* Judges serials [judged, upto) and moves the boundary to upto. */
static void gaps_judge_upto(struct gaps *g, uint32_t upto)
{
	for (uint32_t s = g->judged; (int32_t)(upto - s) > 0; s++)
		if (!gaps_bit(g, s))
			g->missing++;
	if ((int32_t)(upto - g->judged) > 0)
		g->judged = upto;
}

static void gaps_restart(struct gaps *g, uint32_t serial, int64_t time_ms)
{
	memset(g->bits, 0, sizeof(g->bits));
	g->hi = serial;
	g->judged = serial;
	g->first = serial;
	g->newest_ms = time_ms;
	g->mark_count = 0;
	gaps_set(g, serial);
}

/* Moves hi forward to serial; serials in between start out unseen. */
static void gaps_advance(struct gaps *g, uint32_t serial)
{
	uint32_t d = serial - g->hi;

	if (d >= GAPS_WINDOW) {
		/* everything in the window is judged, and the serials that
		 * never had a slot are lost outright */
		gaps_judge_upto(g, g->hi + 1);
		g->missing += d - GAPS_WINDOW;
		memset(g->bits, 0, sizeof(g->bits));
		g->judged = serial - GAPS_WINDOW + 1;
	} else {
		for (uint32_t x = g->hi + 1; x != serial + 1; x++) {
			uint32_t old = x - GAPS_WINDOW;

			if ((int32_t)(old - g->judged) >= 0) {
				if (!gaps_bit(g, old))
					g->missing++;
				g->judged = old + 1;
			}
			gaps_clear(g, x);
		}
	}
	g->hi = serial;
	if ((int32_t)(g->hi - g->first) > GAPS_WINDOW)
		g->first = g->hi - GAPS_WINDOW;
}

/* Whether a record of serial, stamped time_ms, starts a new numbering. */
static bool gaps_is_restart(const struct gaps *g, int32_t d, int64_t time_ms)
{
	return d > GAPS_JUMP || d < -GAPS_JUMP || d <= -GAPS_WINDOW ||
	       (d < 0 && time_ms - g->newest_ms > GAPS_REBOOT_MS);
}

void gaps_see(struct gaps *g, uint32_t serial, int64_t time_ms)
{
	int32_t d;

	if (!g->started) {
		g->started = true;
		gaps_restart(g, serial, time_ms);
		return;
	}
	d = (int32_t)(serial - g->hi);
	if (gaps_is_restart(g, d, time_ms)) {
		gaps_judge_all(g);
		g->resets++;
		gaps_restart(g, serial, time_ms);
		return;
	}
	if (time_ms > g->newest_ms)
		g->newest_ms = time_ms;
	if (d > 0) {
		gaps_advance(g, serial);
		gaps_set(g, serial);
	} else if ((int32_t)(serial - g->judged) >= 0) {
		gaps_set(g, serial); /* reordered, still in time */
	} else if ((int32_t)(serial - g->first) >= 0 && !gaps_bit(g, serial)) {
		/* judged missing, then arrived: the count was one too many
		 * (first is within the window, so serial is too) */
		g->late++;
		gaps_set(g, serial);
	}
	/* else: a further record of a serial judged seen, or one before the
	 * first: nothing to learn */
}

void gaps_judge(struct gaps *g, int64_t now_ms, int64_t grace_ms)
{
	unsigned last;
	int found = -1;

	if (!g->started)
		return;
	/* a mark every grace/8 keeps the ring covering 8 grace periods */
	last = (g->mark_head + GAPS_MARKS - 1) % GAPS_MARKS;
	if (g->mark_count == 0 || now_ms - g->marks[last].t >= grace_ms / 8) {
		g->marks[g->mark_head].t = now_ms;
		g->marks[g->mark_head].hi = g->hi;
		g->mark_head = (g->mark_head + 1) % GAPS_MARKS;
		if (g->mark_count < GAPS_MARKS)
			g->mark_count++;
	}
	/* the newest mark at least grace_ms old */
	for (unsigned i = 0; i < g->mark_count; i++) {
		unsigned k = (g->mark_head + GAPS_MARKS - 1 - i) % GAPS_MARKS;

		if (now_ms - g->marks[k].t >= grace_ms) {
			found = (int)k;
			break;
		}
	}
	if (found >= 0)
		gaps_judge_upto(g, g->marks[found].hi);
}

void gaps_judge_all(struct gaps *g)
{
	if (g->started)
		gaps_judge_upto(g, g->hi + 1);
}
