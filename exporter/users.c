/*
 * users: uid -> user name, for the audit_user_info metric.
 *
 *   audit_user_info{uid="1001",user="alice"} 1
 * An info metric in DESIGN.md's style (audit_<subject>_<what>; the _info
 * suffix and constant 1 are Prometheus' convention for metadata, as in
 * node_uname_info): dashboards join it on uid, or on auid with
 * label_replace, to show alice rather than 1001. A uid without a passwd
 * entry gets no line at all rather than user="": an empty name is not a
 * name, and the join then leaves the number in place, which is the truth.
 * 4294967295 (an unset auid) is never a uid here.
 *
 * When names are looked up. NSS may block for seconds (LDAP, SSSD over
 * the network), so the reader thread never calls it: users_see() only
 * notes a uid as pending (an O(1) insert into a fixed table), and the
 * resolver is asked about pending uids, each once, at a time the caller
 * chooses. The users collector (exporter/collectors/users.c) does it at
 * scrape time in three steps, so that a blocking lookup never holds the
 * lock the reader needs: users_pending() under the lock (a few uids, the
 * per-scrape maximum, so one scrape never waits on more than a handful of
 * lookups; nscd/sssd cache the rest), users_lookup() without it (it reads
 * only the resolver, fixed at creation), users_resolved() under it again.
 * A lookup that fails (an error, not "no such user") is asked again at
 * the next scrape; "no such user" is final, like a name.
 * Names can change (usermod -l) while cached: that is the price of one
 * lookup per uid, and a restart refreshes them.
 *
 * In replay the log's ENRICHED names (netlink/enriched.c) are given with
 * users_from_record() (or users_set_name()) and win: the log was written
 * on another host, so this host's NSS would name the wrong people. A uid
 * named by the log is never asked of NSS, and an NSS name already held is
 * replaced by the log's.
 * A replayed RAW log names no one; there the collector should give a
 * resolver that knows no one rather than this host's NSS.
 *
 * Bounds. cap uids, all memory at users_new(): an open-addressing table
 * (linear probing, load <= 1/2, uids never removed) of fixed entries with
 * the name sanitised (lbl_sanitize) and cut to USERS_NAME_MAX bytes. Past
 * cap a new uid is refused and counted (users_refused): hosts have tens of
 * users, so reaching the cap means something sweeps uids. The table is
 * keyed by a multiplicative hash of the uid: only root can take arbitrary
 * uids, and the cap bounds the harm of any collision pattern.
 */
#include "exporter/users.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/lbl.h"
#include "netlink/enriched.h"

#define USERS_UNSET UINT32_MAX

enum users_state {
	USERS_FREE, /* an empty slot */
	USERS_PENDING, /* seen, not asked yet (or the lookup failed) */
	USERS_NONE, /* asked: no such user */
	USERS_NSS, /* named by the resolver */
	USERS_LOG, /* named by the log: final */
};

struct users_ent {
	uint32_t uid;
	uint8_t state;
	uint8_t name_len;
	char name[USERS_NAME_MAX];
};

struct users {
	users_resolve_fn fn;
	void *arg;
	unsigned cap;
	size_t n;
	uint32_t mask;
	uint64_t refused;
	struct users_ent *ent;
};

int users_nss(uint32_t uid, char *name, size_t cap, void *arg)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	size_t n;
	int rc;

	(void)arg;
	rc = getpwuid_r((uid_t)uid, &pw, buf, sizeof(buf), &res);
	if (rc)
		return rc == ENOENT || rc == ESRCH ? 0 : -rc;
	if (!res || !res->pw_name)
		return 0;
	n = strlen(res->pw_name);
	if (n > cap)
		n = cap;
	memcpy(name, res->pw_name, n);
	return (int)n;
}

struct users *users_new(unsigned cap, users_resolve_fn fn, void *arg)
{
	struct users *u;
	size_t slots = 2;

	if (!cap || cap > USERS_CAP_MAX) {
		errno = EINVAL;
		return NULL;
	}
	while (slots < 2 * (size_t)cap)
		slots <<= 1;
	u = calloc(1, sizeof(*u));
	if (!u)
		goto fail;
	u->fn = fn ? fn : users_nss;
	u->arg = arg;
	u->cap = cap;
	u->mask = (uint32_t)(slots - 1);
	u->ent = calloc(slots, sizeof(*u->ent));
	if (!u->ent)
		goto fail;
	return u;
fail:
	users_free(u);
	errno = ENOMEM;
	return NULL;
}

void users_free(struct users *u)
{
	if (!u)
		return;
	free(u->ent);
	free(u);
}

/* uid's entry, or the free slot where it would go. */
static struct users_ent *users_probe(const struct users *u, uint32_t uid)
{
	uint32_t s = (uint32_t)((uid * UINT64_C(0x9e3779b97f4a7c15)) >> 32) &
		     u->mask;

	while (u->ent[s].state != USERS_FREE && u->ent[s].uid != uid)
		s = (s + 1) & u->mask;
	return &u->ent[s];
}

/* uid's entry, created pending when new; NULL when the table is full. */
static struct users_ent *users_slot(struct users *u, uint32_t uid)
{
	struct users_ent *e = users_probe(u, uid);

	if (e->state == USERS_FREE) {
		if (u->n >= u->cap) {
			u->refused++;
			return NULL;
		}
		e->uid = uid;
		e->state = USERS_PENDING;
		u->n++;
	}
	return e;
}

int users_see(struct users *u, uint32_t uid)
{
	if (uid == USERS_UNSET)
		return 0;
	return users_slot(u, uid) ? 0 : -ENOSPC;
}

static void users_name(struct users_ent *e, const char *name, size_t len,
		       enum users_state st)
{
	e->name_len = (uint8_t)lbl_sanitize(name, len, e->name, USERS_NAME_MAX);
	e->state = (uint8_t)(e->name_len ? st : USERS_NONE);
}

int users_set_name(struct users *u, uint32_t uid, const char *name, size_t len)
{
	struct users_ent *e;

	if (uid == USERS_UNSET)
		return 0;
	e = users_slot(u, uid);
	if (!e)
		return -ENOSPC;
	if (e->state != USERS_LOG && len)
		users_name(e, name, len, USERS_LOG);
	return 0;
}

unsigned users_from_record(struct users *u, const char *body, size_t len)
{
	static const char *const fields[] = { "uid",  "auid",  "euid",
					      "suid", "fsuid", "ouid" };
	unsigned taken = 0;

	if (!memchr(body, 0x1d, len))
		return 0; /* a RAW record: nothing to look for */
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *name;
		size_t n;
		uint32_t id;

		if (!enriched_user(body, len, fields[i], &id, &name, &n) &&
		    !users_set_name(u, id, name, n))
			taken++;
	}
	return taken;
}

size_t users_pending(const struct users *u, uint32_t *out, size_t max)
{
	size_t n = 0;

	for (size_t s = 0; s <= u->mask && n < max; s++)
		if (u->ent[s].state == USERS_PENDING)
			out[n++] = u->ent[s].uid;
	return n;
}

int users_lookup(const struct users *u, uint32_t uid, char *name, size_t cap)
{
	return u->fn(uid, name, cap, u->arg);
}

void users_resolved(struct users *u, uint32_t uid, const char *name, int n)
{
	struct users_ent *e = users_probe(u, uid);

	/* a failure stays pending; the log's name, if it came meanwhile, stays;
	 * a uid not held (a free slot) is ignored */
	if (n < 0 || e->state != USERS_PENDING)
		return;
	if (n > USERS_NAME_MAX)
		n = USERS_NAME_MAX;
	users_name(e, name, (size_t)n, USERS_NSS);
}

int users_write(const struct users *u, struct expo *w, struct dbuf *lb)
{
	for (size_t s = 0; s <= u->mask; s++) {
		const struct users_ent *e = &u->ent[s];
		int rc;

		if (e->state != USERS_NSS && e->state != USERS_LOG)
			continue;
		dbuf_reset(lb);
		rc = dbuf_adds(lb, "uid=\"");
		if (!rc)
			rc = dbuf_add_u64(lb, e->uid);
		if (!rc)
			rc = dbuf_adds(lb, "\",user=\"");
		if (!rc)
			rc = lbl_escape(lb, e->name, e->name_len);
		if (!rc)
			rc = dbuf_addc(lb, '"');
		if (rc)
			return rc;
		expo_value(w, lb->p, lb->len, NULL, 1);
	}
	return 0;
}

size_t users_count(const struct users *u)
{
	return u->n;
}

uint64_t users_refused(const struct users *u)
{
	return u->refused;
}

size_t users_bytes(const struct users *u)
{
	return sizeof(*u) + ((size_t)u->mask + 1) * sizeof(*u->ent);
}
