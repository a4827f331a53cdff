/*
 * users: who the uids are.
 *
 *   audit_user_info{uid,user} 1
 *
 * An info metric (exporter/users.c has the uid -> name cache and why it
 * looks as it does): dashboards join it on uid,
 * `* on (uid) group_left(user) audit_user_info`, to show alice, not 1001.
 *
 * Consumes every event (AEV_ALL): its uid and auid are noted with
 * users_see(), an O(1) insert into the fixed table, no lookup, no
 * allocation. In a replay (file, stdin) it also reads every record for
 * ENRICHED names (after 0x1d, users_from_record): the log was written on
 * another host, so its names win, and this host's NSS is never asked: the
 * resolver of a replay knows no one, and a RAW log gives no info line.
 *
 * When names are looked up: at a scrape, in this collector's write, not on
 * the reader thread. NSS may block for seconds (LDAP, SSSD); the reader
 * must never wait on it, and a lookup between batches of the main loop
 * would stall intake as surely as one inside a batch. The scrape thread
 * may wait (a scrape of a host whose directory is slow is slow, which is
 * the truth), but never with the exporter's lock: users_pending() under
 * it, at most USERS_PER_SCRAPE lookups without it, users_resolved() under
 * it again, then the lines written under it (a walk of the fixed table).
 * A host's uids are named within a few scrapes; nscd/sssd cache the rest.
 *
 * Bounds: at most --collector.users.max uids, the table taken at start
 * and charged to the memory budget as a reserve (it never grows); a uid
 * past the cap is not held and each sighting is counted as skipped
 * (reason users_full).
 */
#include "exporter/collectors/collector.h"

#include <errno.h>

#include "exporter/scrape.h"
#include "exporter/users.h"
#include "metrics/budget.h"

#define USERS_DEFAULT_MAX 1024
#define USERS_PER_SCRAPE 16 /* lookups one scrape may wait on */
#define USERS_LABELS_MAX 4096 /* label text of one line, at most */

/* The resolver of a replay: the log's uids are not this host's. */
static int users_nobody(uint32_t uid, char *name, size_t cap, void *arg)
{
	(void)uid;
	(void)name;
	(void)cap;
	(void)arg;
	return 0;
}

static int users_init(struct coll *c)
{
	const struct agg_config *cfg = c->ctx->cfg;
	struct users *u;
	int rc;

	u = users_new(cfg->users_max ? cfg->users_max : USERS_DEFAULT_MAX,
		      cfg->replay ? users_nobody : cfg->users_fn,
		      cfg->users_arg);
	if (!u)
		return -errno;
	rc = budget_table_take(cfg->budget, users_bytes(u));
	if (rc) {
		users_free(u);
		return rc;
	}
	c->state = u;
	return 0;
}

static void users_fini(struct coll *c)
{
	struct users *u = c->state;

	budget_table_give(c->ctx->cfg->budget, users_bytes(u));
	users_free(u);
	c->state = NULL;
}

static void users_note(struct coll *c, struct aev_view v)
{
	if (users_see(c->state, aev_id(v)))
		c->ctx->skipped[AGG_SKIP_USERS_FULL]++;
}

static void users_event(struct coll *c, const struct aev *e)
{
	users_note(c, e->uid);
	users_note(c, e->auid);
}

static void users_record(struct coll *c, const struct arec_hdr *h, int64_t now)
{
	(void)now;
	if (c->ctx->cfg->replay && h->body)
		users_from_record(c->state, h->body, h->body_len);
}

static int users_write_info(struct scrape *sc, struct fam *const *fam)
{
	struct users *u = scrape_coll_state(sc, "users");
	uint32_t uids[USERS_PER_SCRAPE];
	char names[USERS_PER_SCRAPE][USERS_NAME_MAX];
	int got[USERS_PER_SCRAPE];
	struct dbuf lb;
	size_t n;
	int rc;

	(void)fam;
	if (!u)
		return -ENODATA;
	scrape_lock(sc);
	n = users_pending(u, uids, USERS_PER_SCRAPE);
	scrape_unlock(sc);
	for (size_t i = 0; i < n; i++)
		got[i] = users_lookup(u, uids[i], names[i], USERS_NAME_MAX);
	dbuf_init(&lb, USERS_LABELS_MAX);
	expo_family(scrape_expo(sc), "audit_user_info",
		    "User names of the uids seen (uid to user; NSS live, the "
		    "log's ENRICHED names in a replay), always 1.",
		    EXPO_GAUGE);
	scrape_lock(sc);
	for (size_t i = 0; i < n; i++)
		users_resolved(u, uids[i], names[i], got[i]);
	rc = users_write(u, scrape_expo(sc), &lb);
	scrape_unlock(sc);
	dbuf_free(&lb);
	return rc;
}

const struct coll_def coll_users = {
	.name = "users",
	.on = true,
	.classes = AEV_ALL,
	.init = users_init,
	.fini = users_fini,
	.record = users_record,
	.event = users_event,
	.write = users_write_info,
};
