/*
 * evclock: the event clock, the newest stamp the records carry, robust to
 * one absurd stamp.
 *
 * In a replay the events' own stamps are the clock: event timeouts, gap
 * judging, sliding windows and idle label sets all run on it. A plain
 * maximum lets one record dated in the far future (a 15-digit second, a
 * hand-edited test log: apparmor.d's audit.log has one event in 2322 among
 * captures from 2005 and 2023) move the clock there for good: every open
 * event times out, every window empties and every label set looks idle.
 *
 * The rule: a stamp at most EVCLOCK_LEAP_MS after the clock moves it at
 * once (to the newest stamp, as before). A stamp further ahead is a leap,
 * held as a candidate; it moves the clock only when a record of another
 * event (another serial: the records of one event share their stamp) also
 * leaps, and then to the lower of the two stamps, the time both agree has
 * come; the higher stays the candidate if it still leaps from there. A
 * record of another event within the leap of the clock drops the candidate:
 * the stream went on at the old time, so the leap was one stray record.
 *
 * The leap is a day, the default --metrics.idle-timeout: a step up to that
 * (a reboot, a quiet night, a final event an hour after the rest) moves the
 * clock at once, as the log says; a step beyond (a weekend, the seam
 * between two concatenated captures) at the second event after it; one
 * absurd event never. A shorter leap kept stray records closer but made the
 * clock trail the log at every quiet spell: the first event after it counts
 * at the clock before it until a second one comes, and a lone last event
 * after it (a log that ends an hour after the rest) not at all. Two absurd
 * events in a row do move the clock (nothing in the stamps alone tells them
 * from a real leap), and a stray record within the day moves it by up to a
 * day. The first stamp sets the clock unchecked; there is nothing yet to
 * check it against. A live
 * auditd plugin on stdin moves the clock on with wall time while its input
 * is idle (evclock_advance), so a quiet spell there is no leap: the first
 * event after it counts at its own time.
 *
 * Cost: O(1) per record, a few comparisons; no memory beyond the struct.
 */
#include "exporter/evclock.h"

void evclock_init(struct evclock *c)
{
	c->now = INT64_MIN;
	c->leaping = false;
}

/* A second event leapt too: the clock moves to the lower stamp. */
static void evclock_confirm(struct evclock *c, int64_t t, uint32_t serial)
{
	int64_t lo = t < c->leap_ms ? t : c->leap_ms;
	int64_t hi = t < c->leap_ms ? c->leap_ms : t;

	if (hi == t)
		c->leap_serial = serial;
	c->now = lo;
	c->leap_ms = hi;
	if (hi - lo <= EVCLOCK_LEAP_MS) {
		c->now = hi;
		c->leaping = false;
	}
}

void evclock_advance(struct evclock *c, int64_t now_ms)
{
	if (c->now == INT64_MIN || now_ms <= c->now)
		return;
	c->now = now_ms;
	if (c->leaping && c->leap_ms - c->now <= EVCLOCK_LEAP_MS)
		c->leaping = false;
}

int64_t evclock_see(struct evclock *c, int64_t time_ms, uint32_t serial)
{
	if (c->now == INT64_MIN || time_ms - c->now <= EVCLOCK_LEAP_MS) {
		if (time_ms > c->now)
			c->now = time_ms;
		if (c->leaping && serial != c->leap_serial)
			c->leaping = false;
	} else if (!c->leaping) {
		c->leaping = true;
		c->leap_ms = time_ms;
		c->leap_serial = serial;
	} else if (serial != c->leap_serial) {
		evclock_confirm(c, time_ms, serial);
	}
	return c->now;
}
