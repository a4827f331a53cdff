/*
 * destinations: who connected where, one series per recent destination.
 *
 *   audit_connect_recent_total{comm,exe,uid,auid,protocol,scope,
 *                              destination,port}          counter
 *   audit_connect_recent_entries                          gauge
 *   audit_connect_recent_max_entries                      gauge
 *   audit_connect_recent_evicted_total                    counter
 *
 * The per-destination view that the unique-destination sketches cannot
 * give (issue 21 items 4 and 6): which process (comm and exe: a process
 * that renames itself changes comm, not exe), which uid and login uid,
 * reached which address and port over which protocol, and how often.
 * The table is metrics/recent.c (its design comment says how the bound,
 * the LRU and the horizon work, docs/DESTINATIONS.md how to read it).
 *
 * What is noted: every connect() of an inet/inet6 socket whose SOCKADDR
 * record was decoded (e->have_sa), whatever its result: a scanner's
 * refused attempts are the destinations it tried, which is the question.
 * protocol and scope are the enrich stage's (exporter/enrich.c), so they
 * agree with audit_connect_total's; uid and auid are numeric like
 * everywhere else.
 *
 * Bounds: --collector.destinations.max entries (1 .. RECENT_CAP_MAX),
 * taken at start as a fixed table of the memory budget (budget_table_take
 * of recent_bytes_for);
 * the least recently seen entry is evicted when the table is full, and
 * counted. Entries unseen for --collector.destinations.horizon expire on
 * the collector's tick (and before each note). recent_note never
 * allocates: the reader's path costs one SipHash and a probe.
 *
 * Clock: the event's time (the source's: wall clock live, the log's in a
 * replay), so replays are deterministic. The scrape writes the entries
 * still inside the horizon at the scrape's clock.
 *
 * Locking: the table is the reader's; a scrape writes it under the
 * exporter's lock in one slice (a walk of at most max entries into the
 * scrape's buffer, no lookup, no allocation beyond the buffers' growth).
 */
#include "exporter/collectors/collector.h"

#include <errno.h>

#include "exporter/scrape.h"
#include "metrics/budget.h"
#include "metrics/recent.h"

#define DEST_DEFAULT_MAX 2000
#define DEST_DEFAULT_HORIZON_MS (3600 * 1000)
#define DEST_LABELS_MAX 4096 /* label text of one line, at most */

static int dest_init(struct coll *c)
{
	const struct agg_config *cfg = c->ctx->cfg;
	unsigned cap = cfg->dest_max ? cfg->dest_max : DEST_DEFAULT_MAX;
	int64_t horizon = cfg->dest_horizon_ms > 0 ? cfg->dest_horizon_ms
						   : DEST_DEFAULT_HORIZON_MS;
	struct recent *r;
	int rc;

	rc = budget_table_take(cfg->budget, recent_bytes_for(cap));
	if (rc)
		return rc;
	r = recent_new(cap, horizon, &cfg->table_key);
	if (!r) {
		rc = -errno;
		budget_table_give(cfg->budget, recent_bytes_for(cap));
		return rc;
	}
	c->state = r;
	return 0;
}

static void dest_fini(struct coll *c)
{
	struct recent *r = c->state;

	budget_table_give(c->ctx->cfg->budget, recent_bytes(r));
	recent_free(r);
	c->state = NULL;
}

static void dest_event(struct coll *c, const struct aev *e)
{
	struct recent_conn rc;

	if (!e->have_sa ||
	    (e->sa.family != AREC_AF_INET && e->sa.family != AREC_AF_INET6))
		return;
	rc = (struct recent_conn){
		.comm = e->comm,
		.comm_len = e->comm_len,
		.exe = e->exe,
		.exe_len = e->exe_len,
		.uid = aev_id(e->uid),
		.auid = aev_id(e->auid),
		.protocol = socktab_proto_name(e->net.proto),
		.scope = scope_name(e->net.scope),
		.family = e->sa.family == AREC_AF_INET ? 4 : 6,
		.addr = e->sa.addr,
		.port = e->sa.port,
	};
	(void)recent_note(c->state, &rc, e->t); /* inet/inet6: cannot fail */
}

static void dest_tick(struct coll *c, int64_t now_ms)
{
	recent_expire(c->state, now_ms);
}

static int dest_write(struct scrape *sc, struct fam *const *fam)
{
	struct recent *r = scrape_coll_state(sc, "destinations");
	struct expo *w = scrape_expo(sc);
	struct recent_stats st;
	struct dbuf lb;
	int rc;

	(void)fam;
	if (!r)
		return -ENODATA;
	dbuf_init(&lb, DEST_LABELS_MAX);
	scrape_lock(sc);
	recent_get_stats(r, &st);
	expo_family(w, "audit_connect_recent",
		    "inet/inet6 connect() calls per recent destination, by "
		    "process name, executable, uid, login uid, protocol, "
		    "scope, destination address and port, since the entry was "
		    "created; entries unseen for the horizon expire, the least "
		    "recently seen is evicted when the table is full.",
		    EXPO_COUNTER);
	rc = recent_write(r, w, &lb, scrape_now_ms(sc));
	scrape_unlock(sc);
	dbuf_free(&lb);
	expo_family(w, "audit_connect_recent_entries",
		    "Destinations held in the per-destination table "
		    "(audit_connect_recent_total series).",
		    EXPO_GAUGE);
	expo_value(w, "", 0, NULL, (double)st.entries);
	expo_family(w, "audit_connect_recent_max_entries",
		    "Capacity of the per-destination table "
		    "(--collector.destinations.max).",
		    EXPO_GAUGE);
	expo_value(w, "", 0, NULL, (double)st.cap);
	expo_family(w, "audit_connect_recent_evicted",
		    "Destinations pushed out of the full per-destination table "
		    "while still inside the horizon: when it moves, the table "
		    "shows only the most recent ones.",
		    EXPO_COUNTER);
	expo_counter(w, "", 0, NULL, st.evicted);
	return rc;
}

const struct coll_def coll_destinations = {
	.name = "destinations",
	.on = true,
	.classes = AEV_BIT(AEV_CONNECT),
	.init = dest_init,
	.fini = dest_fini,
	.event = dest_event,
	.tick = dest_tick,
	.write = dest_write,
};
