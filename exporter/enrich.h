/* enrich: what the records alone cannot say about a socket call, added to
 * the decoded event before the collectors see it. See enrich.c. */
#ifndef AE_EXPORTER_ENRICH_H
#define AE_EXPORTER_ENRICH_H

#include "netlink/event.h"

struct agg_config;
struct enrich;

/* The stage's state for cfg (what it may ask the kernel, its tables'
 * sizes), memory fixed here and taken from cfg->budget. NULL with errno
 * ENOMEM, or EINVAL when the budget cannot hold its tables. */
struct enrich *enrich_new(const struct agg_config *cfg);
void enrich_free(struct enrich *en); /* NULL is a no-op */
/* Fills e->net from what earlier events said and, live, from the kernel;
 * remembers what this event says for later ones. Reader thread, once per
 * decoded event, before any collector. */
void enrich_event(struct enrich *en, struct aev *e);

#endif
