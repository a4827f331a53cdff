/* evclock: the event clock, robust to a lone absurd stamp. See evclock.c. */
#ifndef AE_EXPORTER_EVCLOCK_H
#define AE_EXPORTER_EVCLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define EVCLOCK_LEAP_MS (24 * 3600 * 1000) /* see evclock.c */

/* Plain struct so it can be embedded; initialise with evclock_init. */
struct evclock {
	int64_t now; /* INT64_MIN until the first stamp */
	int64_t leap_ms; /* a leap beyond now waiting for a second event */
	uint32_t leap_serial; /* the event that made it */
	bool leaping;
};

void evclock_init(struct evclock *c);
/* Notes a record's stamp and serial; returns the clock, which never moves
 * back. Reader thread. */
int64_t evclock_see(struct evclock *c, int64_t time_ms, uint32_t serial);
/* Moves a started clock on to now_ms, a time known good (wall time that
 * passed while a live input was idle); never back. */
void evclock_advance(struct evclock *c, int64_t now_ms);

#endif
