/* recent: the bounded "who connected where" table. See recent.c. */
#ifndef AE_METRICS_RECENT_H
#define AE_METRICS_RECENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics/dbuf.h"
#include "metrics/expo.h"
#include "metrics/hash.h"

#define RECENT_CAP_MAX (1u << 20) /* entries, at most */
#define RECENT_COMM_MAX 64 /* sanitised comm bytes kept (15 raw, x3) */
#define RECENT_EXE_MAX 256 /* sanitised exe bytes kept (LBL_MAX) */
#define RECENT_TAG_MAX 16 /* protocol and scope bytes kept */

/* One connect as the caller decoded it; pointers are only read during
 * the call. comm and exe are raw bytes (sanitised and cut here); protocol
 * and scope short NUL-terminated tags ("tcp", "loopback"); family 4 or 6
 * with 4 or 16 bytes of address in network order; port in host order. */
struct recent_conn {
	const char *comm;
	size_t comm_len;
	const char *exe;
	size_t exe_len;
	uint32_t uid, auid;
	const char *protocol;
	const char *scope;
	int family;
	const uint8_t *addr;
	uint16_t port;
};

/* An entry as the iterator shows it; pointers into the table, valid until
 * the next change. */
struct recent_view {
	struct recent_conn conn; /* comm/exe sanitised, tags as kept */
	uint64_t count; /* connects since the entry was created */
	int64_t first_ms, last_ms;
};

struct recent_stats {
	size_t entries;
	unsigned cap;
	uint64_t evicted; /* live entries pushed out because the table was full */
	uint64_t expired; /* entries removed after a horizon without a connect */
};

struct recent;

/* A table of cap entries (1 .. RECENT_CAP_MAX), all its memory taken now;
 * entries unseen for horizon_ms (> 0) expire. key keys the hash table
 * (private: chosen names must not collide on purpose). NULL with errno
 * EINVAL or ENOMEM. The caller owns it and serialises every call. */
struct recent *recent_new(unsigned cap, int64_t horizon_ms,
			  const struct hash_key *key);
void recent_free(struct recent *r); /* NULL is a no-op */
/* Counts one connect at event time t_ms (a time before the newest seen is
 * taken as the newest). Expires what the horizon has passed, then finds or
 * creates the entry, evicting the least recently seen one when full.
 * O(1) amortised, never allocates. 0, or -EINVAL (family not 4 or 6). */
int recent_note(struct recent *r, const struct recent_conn *c, int64_t t_ms);
/* Removes entries last seen at or before max(now, newest) - horizon. */
void recent_expire(struct recent *r, int64_t now_ms);
/* Heap bytes the table holds, fixed from recent_new on. */
size_t recent_bytes(const struct recent *r);
/* Heap bytes recent_new(cap, ...) takes, for budgets decided beforehand. */
size_t recent_bytes_for(unsigned cap);
void recent_get_stats(const struct recent *r, struct recent_stats *st);

/* Iteration from the most to the least recently seen entry. Read only. */
struct recent_iter {
	uint32_t next;
};
void recent_iter_init(const struct recent *r, struct recent_iter *it);
bool recent_iter_next(const struct recent *r, struct recent_iter *it,
		      struct recent_view *v);

/* Writes one counter sample per entry still inside the horizon at now_ms
 * (read only: entries past it are skipped, not removed) into the current
 * family of w, labels comm, exe, uid, auid, protocol, scope, destination,
 * port, escaped through lbl. lb is the caller's scratch buffer for the
 * label text. 0, or -E2BIG/-ENOMEM from lb. */
int recent_write(const struct recent *r, struct expo *w, struct dbuf *lb,
		 int64_t now_ms);

#endif
