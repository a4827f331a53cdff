/* source: where records come from and how they reach the aggregator. */
#ifndef AE_EXPORTER_SOURCE_H
#define AE_EXPORTER_SOURCE_H

#include <stddef.h>

struct exporter;
struct source;

/* Opens the configured source: the kernel side for unicast/multicast
 * (kaudit_start), the file, or stdin. NULL with err set on failure. */
struct source *source_open(struct exporter *x, char *err, size_t errlen);
/* The descriptor to poll for input (-1 once the input has ended). */
int source_fd(const struct source *s);
/* Reads what is available and processes it under the exporter's lock.
 * Returns 1 (more may come), 0 (the input ended: everything is flushed),
 * or a negative errno. Reader thread. */
int source_read(struct source *s);
/* Periodic work, a few times a second: event timeouts and gap judging;
 * every second for netlink sources, the kernel status poll. */
void source_tick(struct source *s);
/* SIGHUP: reread the rules file and replace the loaded rules. */
void source_reload(struct source *s);
/* Gives the kernel side back and closes. */
void source_close(struct source *s);

#endif
