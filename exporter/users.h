/* users: uid -> user name, resolved once per uid, bounded. See users.c. */
#ifndef AE_EXPORTER_USERS_H
#define AE_EXPORTER_USERS_H

#include <stddef.h>
#include <stdint.h>

#include "metrics/dbuf.h"
#include "metrics/expo.h"

#define USERS_NAME_MAX 64 /* sanitised name bytes kept */
#define USERS_CAP_MAX (1u << 20)

/* Writes the name of uid into name (at most cap bytes, no NUL needed) and
 * returns its length; 0 when uid has no entry; a negative errno when the
 * lookup failed (tried again at the next resolve). May block. */
typedef int (*users_resolve_fn)(uint32_t uid, char *name, size_t cap,
				void *arg);

/* The NSS resolver (getpwuid_r); arg is unused. Any thread; may block. */
int users_nss(uint32_t uid, char *name, size_t cap, void *arg);

struct users;

/* A cache of at most cap uids (1 .. USERS_CAP_MAX), memory taken now;
 * fn NULL means users_nss. NULL with errno EINVAL or ENOMEM. The caller
 * serialises calls (the reader thread, or under its lock). */
struct users *users_new(unsigned cap, users_resolve_fn fn, void *arg);
void users_free(struct users *u);
/* Notes that uid was seen (hot path: O(1), no lookup, no allocation).
 * 4294967295 (unset) is ignored. 0, or -ENOSPC when the cache is full
 * (counted in users_refused). */
int users_see(struct users *u, uint32_t uid);
/* The name a log gave uid (ENRICHED replay): wins over NSS, and over an
 * earlier name from NSS; the first log name stays. 0 or -ENOSPC. */
int users_set_name(struct users *u, uint32_t uid, const char *name, size_t len);
/* Takes the ENRICHED names a record body gives its id fields (uid, auid,
 * euid, suid, fsuid, ouid) with users_set_name; ids without a name there
 * are left alone. Returns the number of names taken. */
unsigned users_from_record(struct users *u, const char *body, size_t len);
/* Up to max uids seen and not resolved yet, into out; their number.
 * Read only. */
size_t users_pending(const struct users *u, uint32_t *out, size_t max);
/* Calls the resolver (same contract); reads only what users_new fixed, so
 * it may run without the caller's lock, beside the other calls. */
int users_lookup(const struct users *u, uint32_t uid, char *name, size_t cap);
/* Records what users_lookup returned for uid: n < 0 leaves it pending
 * (asked again), 0 means no such user (final, no info line), n > 0 a
 * name. A name the log gave meanwhile stays. O(1). */
void users_resolved(struct users *u, uint32_t uid, const char *name, int n);
/* Writes audit_user_info{uid,user} 1 for every uid that has a name, into
 * the current (gauge) family of w, lb the caller's label scratch.
 * 0, or -E2BIG/-ENOMEM from lb. Read only. */
int users_write(const struct users *u, struct expo *w, struct dbuf *lb);
size_t users_count(const struct users *u); /* uids held */
uint64_t users_refused(const struct users *u); /* uids over the cap */
size_t users_bytes(const struct users *u); /* heap bytes, fixed */

#endif
