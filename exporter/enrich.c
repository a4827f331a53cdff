/*
 * enrich: the dispatcher's stage between decoding and the collectors.
 *
 * A SYSCALL record says what the process asked for, not what its socket
 * is: connect() names a destination but not whether the socket is TCP or
 * UDP; listen() names no address at all. Those facts come from earlier
 * events of the same (pid, fd) and, when the exporter reads the live
 * kernel, from the kernel itself. This stage keeps that memory in one
 * place and writes what it knows into the event's aev_net, so that every
 * collector (connect, listen, destinations, baseline) reads the same
 * answer and none keeps its own copy:
 *
 *   scope   connect: the destination's class (netlink/scope), pure
 *
 * Bounded: every table is allocated in enrich_new; nothing on the event's
 * path allocates. Reader thread only, under the exporter's lock.
 */
#include "exporter/enrich.h"

#include <errno.h>
#include <stdlib.h>

#include "exporter/agg.h"

struct enrich {
	const struct agg_config *cfg;
};

struct enrich *enrich_new(const struct agg_config *cfg)
{
	struct enrich *en = calloc(1, sizeof(*en));

	if (!en)
		return NULL;
	en->cfg = cfg;
	return en;
}

void enrich_free(struct enrich *en)
{
	free(en);
}

void enrich_event(struct enrich *en, struct aev *e)
{
	(void)en;
	if (e->class == AEV_CONNECT && e->have_sa)
		e->net.scope = scope_of_sockaddr(&e->sa);
}
