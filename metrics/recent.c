/*
 * recent: the bounded "who connected where" table.
 *
 * One entry per label tuple (comm, exe, uid, auid, protocol, scope,
 * destination address, port) with the number of connects since it was
 * created and the time it was last seen. It answers the questions a
 * distinct-count sketch cannot: who connected to 127.200.0.7:22, where did
 * this process connect, which destinations did the scanner hit (up to the
 * bound, with what exceeded it counted).
 *
 * Bounds. The capacity is fixed at recent_new(): the entry array and the
 * index are allocated once and never grow, so recent_bytes() is what the
 * memory budget charges, and recent_note() never allocates. Label text is
 * kept in fixed fields, already sanitised (lbl_sanitize): comm up to
 * RECENT_COMM_MAX bytes (TASK_COMM_LEN is 16, at most 15 raw bytes, each
 * of which may become a 3-byte U+FFFD), exe up to RECENT_EXE_MAX bytes (the
 * LBL_MAX every label is cut to). Keying by the sanitised text means two
 * raw names that sanitise alike (or exes that differ only past the cut)
 * are one entry, so the exposition never holds two identical series.
 *
 * Layout. entries[cap] holds keys and counts; a doubly-linked LRU list
 * through them (indices, head = most recently seen) orders them by last
 * seen; idx[] is an open-addressing table (linear probing, power of two
 * at least 2 * cap, so the load stays <= 1/2) of entry indices, keyed by
 * SipHash-2-4 of the key under the caller's private key
 * (a process choosing its name cannot aim at one probe chain). Deletion
 * shifts the chain back (no tombstones), so lookups stay O(1) however
 * long the table churns. Keys are zero-filled before they are built, so
 * the unused tails of the text fields hash and compare alike; the exe
 * field, last in the key, is hashed and compared only up to its length
 * (the lengths are in the key's header), which halves the bytes hashed
 * for a typical exe.
 *
 * Time. Event time is the clock (replays are deterministic); a time
 * before the newest seen is taken as the newest, so the LRU list is also
 * ordered by last_ms and expiry pops from its tail. An entry lives while
 * last_ms > now - horizon, the same half-open window as win.c.
 * Full table: the least recently seen entry is evicted (counted in
 * `evicted`), after the expired ones have gone (counted in `expired`), so
 * an eviction always means a live destination was lost to the bound.
 *
 * The metric (the collector writes it through recent_write):
 *   audit_connect_recent_total{comm,exe,uid,auid,protocol,scope,
 *                              destination,port}  counter
 * A counter, not a last-seen gauge: a gauge of timestamps answers "when"
 * but not "how many", and needs the same series. The counter counts the
 * connects since the entry was created; when the entry expires or is
 * evicted the series ends (Prometheus marks it stale) and, if the tuple
 * comes back, restarts from 1. That is a counter reset, which rate() and
 * increase() handle: the count after the reset is taken as new connects.
 * Two things to know when reading it:
 *   - presence answers "who connected to X in the last hour":
 *     count by (comm, exe, uid, auid)
 *       (last_over_time(audit_connect_recent_total{destination="X"}[1h]))
 *     holds every tuple that connected while it was in the table.
 *   - increase() misses the connects before a series' first sample (a
 *     series born at 3 reads as increase 0 until it moves), as for any
 *     counter that appears; the OpenMetrics _created line would fix it
 *     and is not written yet.
 * What the bound cut is counted beside it in
 * audit_connect_recent_evicted_total, so a reader knows when the table
 * shows less than the truth.
 */
#include "metrics/recent.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/lbl.h"

#define RECENT_NONE UINT32_MAX

struct recent_key {
	uint32_t uid, auid;
	uint16_t port;
	uint8_t family; /* 4 or 6 */
	uint8_t comm_len, proto_len, scope_len;
	uint16_t exe_len;
	uint8_t addr[16];
	char proto[RECENT_TAG_MAX];
	char scope[RECENT_TAG_MAX];
	char comm[RECENT_COMM_MAX];
	char exe[RECENT_EXE_MAX];
};

struct recent_entry {
	struct recent_key k;
	uint64_t hash;
	uint64_t count;
	int64_t first_ms, last_ms;
	uint32_t prev, next; /* LRU list; RECENT_NONE at the ends */
};

struct recent {
	struct hash_key key;
	int64_t horizon_ms;
	int64_t newest_ms;
	unsigned cap;
	uint32_t n; /* live entries */
	uint32_t used; /* entries[0..used) have been handed out */
	uint32_t free_head; /* expired entries, linked through next */
	uint32_t head, tail; /* most / least recently seen */
	uint32_t mask; /* idx has mask + 1 slots */
	uint64_t evicted, expired;
	uint32_t *idx;
	struct recent_entry *entries;
};

static size_t recent_slots_for(unsigned cap)
{
	size_t s = 2;

	while (s < 2 * (size_t)cap)
		s <<= 1;
	return s;
}

size_t recent_bytes_for(unsigned cap)
{
	return sizeof(struct recent) +
	       recent_slots_for(cap) * sizeof(uint32_t) +
	       (size_t)cap * sizeof(struct recent_entry);
}

struct recent *recent_new(unsigned cap, int64_t horizon_ms,
			  const struct hash_key *key)
{
	struct recent *r = NULL;

	if (!cap || cap > RECENT_CAP_MAX || horizon_ms <= 0 || !key) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		goto fail;
	r->key = *key;
	r->horizon_ms = horizon_ms;
	r->newest_ms = INT64_MIN;
	r->cap = cap;
	r->free_head = r->head = r->tail = RECENT_NONE;
	r->mask = (uint32_t)(recent_slots_for(cap) - 1);
	r->idx = malloc(((size_t)r->mask + 1) * sizeof(*r->idx));
	r->entries = calloc(cap, sizeof(*r->entries));
	if (!r->idx || !r->entries)
		goto fail;
	memset(r->idx, 0xff, ((size_t)r->mask + 1) * sizeof(*r->idx));
	return r;
fail:
	recent_free(r);
	errno = ENOMEM;
	return NULL;
}

void recent_free(struct recent *r)
{
	if (!r)
		return;
	free(r->idx);
	free(r->entries);
	free(r);
}

size_t recent_bytes(const struct recent *r)
{
	return recent_bytes_for(r->cap);
}

void recent_get_stats(const struct recent *r, struct recent_stats *st)
{
	st->entries = r->n;
	st->cap = r->cap;
	st->evicted = r->evicted;
	st->expired = r->expired;
}

static void recent_tag(char *dst, uint8_t *len, const char *tag)
{
	size_t n = tag ? strnlen(tag, RECENT_TAG_MAX) : 0;

	/* one byte short of the field: the kept tag stays NUL-terminated */
	*len = (uint8_t)lbl_sanitize(tag ? tag : "", n, dst,
				     RECENT_TAG_MAX - 1);
}

static int recent_key_build(struct recent_key *k, const struct recent_conn *c)
{
	memset(k, 0, sizeof(*k));
	if (c->family == 4)
		memcpy(k->addr, c->addr, 4);
	else if (c->family == 6)
		memcpy(k->addr, c->addr, 16);
	else
		return -EINVAL;
	k->family = (uint8_t)c->family;
	k->uid = c->uid;
	k->auid = c->auid;
	k->port = c->port;
	recent_tag(k->proto, &k->proto_len, c->protocol);
	recent_tag(k->scope, &k->scope_len, c->scope);
	k->comm_len = (uint8_t)lbl_sanitize(c->comm ? c->comm : "",
					    c->comm ? c->comm_len : 0, k->comm,
					    RECENT_COMM_MAX);
	k->exe_len = (uint16_t)lbl_sanitize(c->exe ? c->exe : "",
					    c->exe ? c->exe_len : 0, k->exe,
					    RECENT_EXE_MAX);
	return 0;
}

/* Bytes of k that tell it apart: all but the unused tail of exe (the
 * lengths are in the header, every other tail is zero). */
static size_t recent_key_len(const struct recent_key *k)
{
	return offsetof(struct recent_key, exe) + k->exe_len;
}

static uint32_t recent_home(const struct recent *r, uint64_t h)
{
	return (uint32_t)h & r->mask;
}

/* The idx slot holding entry e, or of the key's empty slot when e is
 * RECENT_NONE and the key is absent. */
static uint32_t recent_find_slot(const struct recent *r,
				 const struct recent_key *k, uint64_t h)
{
	uint32_t s = recent_home(r, h);

	for (;; s = (s + 1) & r->mask) {
		uint32_t i = r->idx[s];

		if (i == RECENT_NONE)
			return s;
		if (r->entries[i].hash == h &&
		    !memcmp(&r->entries[i].k, k, recent_key_len(k)))
			return s;
	}
}

/* Removes idx slot s, shifting the probe chain after it back. */
static void recent_slot_delete(struct recent *r, uint32_t s)
{
	uint32_t j = s;

	for (;;) {
		uint32_t i, home;

		j = (j + 1) & r->mask;
		i = r->idx[j];
		if (i == RECENT_NONE)
			break;
		home = recent_home(r, r->entries[i].hash);
		/* move i into s unless its home lies cyclically in (s, j] */
		if (((j - home) & r->mask) >= ((j - s) & r->mask)) {
			r->idx[s] = i;
			s = j;
		}
	}
	r->idx[s] = RECENT_NONE;
}

static void recent_lru_unlink(struct recent *r, uint32_t i)
{
	struct recent_entry *e = &r->entries[i];

	if (e->prev != RECENT_NONE)
		r->entries[e->prev].next = e->next;
	else
		r->head = e->next;
	if (e->next != RECENT_NONE)
		r->entries[e->next].prev = e->prev;
	else
		r->tail = e->prev;
	e->prev = e->next = RECENT_NONE;
}

static void recent_lru_push(struct recent *r, uint32_t i)
{
	struct recent_entry *e = &r->entries[i];

	e->prev = RECENT_NONE;
	e->next = r->head;
	if (r->head != RECENT_NONE)
		r->entries[r->head].prev = i;
	r->head = i;
	if (r->tail == RECENT_NONE)
		r->tail = i;
}

/* Takes entry i out of the index and the list; the caller reuses or frees
 * it. */
static void recent_remove(struct recent *r, uint32_t i)
{
	struct recent_entry *e = &r->entries[i];

	recent_slot_delete(r, recent_find_slot(r, &e->k, e->hash));
	recent_lru_unlink(r, i);
	r->n--;
}

/* Entries last seen at or before this have expired at now_ms (saturated:
 * a hostile stamp near INT64_MIN must not overflow). */
static int64_t recent_cutoff(const struct recent *r, int64_t now_ms)
{
	int64_t now = now_ms > r->newest_ms ? now_ms : r->newest_ms;

	return now < INT64_MIN + r->horizon_ms ? INT64_MIN
					       : now - r->horizon_ms;
}

void recent_expire(struct recent *r, int64_t now_ms)
{
	int64_t cut = recent_cutoff(r, now_ms);

	while (r->tail != RECENT_NONE && r->entries[r->tail].last_ms <= cut) {
		uint32_t i = r->tail;

		recent_remove(r, i);
		r->entries[i].next = r->free_head;
		r->free_head = i;
		r->expired++;
	}
}

/* An entry to fill: a never-used one, an expired one, or the least
 * recently seen live one (evicted). */
static uint32_t recent_take(struct recent *r)
{
	uint32_t i;

	if (r->used < r->cap)
		return r->used++;
	if (r->free_head != RECENT_NONE) {
		i = r->free_head;
		r->free_head = r->entries[i].next;
		return i;
	}
	i = r->tail;
	recent_remove(r, i);
	r->evicted++;
	return i;
}

int recent_note(struct recent *r, const struct recent_conn *c, int64_t t_ms)
{
	struct recent_key k;
	struct recent_entry *e;
	uint64_t h;
	uint32_t s, i;

	if (recent_key_build(&k, c))
		return -EINVAL;
	if (t_ms > r->newest_ms)
		r->newest_ms = t_ms;
	recent_expire(r, r->newest_ms);
	h = hash_siphash24(&r->key, &k, recent_key_len(&k));
	s = recent_find_slot(r, &k, h);
	i = r->idx[s];
	if (i != RECENT_NONE) {
		e = &r->entries[i];
		e->count++;
		e->last_ms = r->newest_ms;
		recent_lru_unlink(r, i);
		recent_lru_push(r, i);
		return 0;
	}
	i = recent_take(r);
	e = &r->entries[i];
	e->k = k;
	e->hash = h;
	e->count = 1;
	e->first_ms = e->last_ms = r->newest_ms;
	/* an eviction may have shifted the chain: look for the slot again */
	r->idx[recent_find_slot(r, &k, h)] = i;
	recent_lru_push(r, i);
	r->n++;
	return 0;
}

void recent_iter_init(const struct recent *r, struct recent_iter *it)
{
	it->next = r->head;
}

bool recent_iter_next(const struct recent *r, struct recent_iter *it,
		      struct recent_view *v)
{
	const struct recent_entry *e;

	if (it->next == RECENT_NONE)
		return false;
	e = &r->entries[it->next];
	it->next = e->next;
	v->conn.comm = e->k.comm;
	v->conn.comm_len = e->k.comm_len;
	v->conn.exe = e->k.exe;
	v->conn.exe_len = e->k.exe_len;
	v->conn.uid = e->k.uid;
	v->conn.auid = e->k.auid;
	v->conn.protocol = e->k.proto; /* NUL-padded: tags are shorter */
	v->conn.scope = e->k.scope;
	v->conn.family = e->k.family;
	v->conn.addr = e->k.addr;
	v->conn.port = e->k.port;
	v->count = e->count;
	v->first_ms = e->first_ms;
	v->last_ms = e->last_ms;
	return true;
}

static int recent_label(struct dbuf *b, const char *name, const char *v,
			size_t len)
{
	int rc = dbuf_addf(b, "%s%s=\"", b->len ? "," : "", name);

	if (!rc)
		rc = lbl_escape(b, v, len);
	if (!rc)
		rc = dbuf_addc(b, '"');
	return rc;
}

static int recent_row(struct dbuf *b, const struct recent_entry *e)
{
	const struct recent_key *k = &e->k;
	char num[DBUF_U64_DIGITS];
	char dst[INET6_ADDRSTRLEN];
	int rc;

	if (!inet_ntop(k->family == 4 ? AF_INET : AF_INET6, k->addr, dst,
		       sizeof(dst)))
		dst[0] = 0;
	rc = recent_label(b, "comm", k->comm, k->comm_len);
	if (!rc)
		rc = recent_label(b, "exe", k->exe, k->exe_len);
	if (!rc)
		rc = recent_label(b, "uid", num, dbuf_fmt_u64(num, k->uid));
	if (!rc)
		rc = recent_label(b, "auid", num, dbuf_fmt_u64(num, k->auid));
	if (!rc)
		rc = recent_label(b, "protocol", k->proto, k->proto_len);
	if (!rc)
		rc = recent_label(b, "scope", k->scope, k->scope_len);
	if (!rc)
		rc = recent_label(b, "destination", dst, strlen(dst));
	if (!rc)
		rc = recent_label(b, "port", num, dbuf_fmt_u64(num, k->port));
	return rc;
}

int recent_write(const struct recent *r, struct expo *w, struct dbuf *lb,
		 int64_t now_ms)
{
	int64_t cut = recent_cutoff(r, now_ms);

	for (uint32_t i = r->head; i != RECENT_NONE; i = r->entries[i].next) {
		const struct recent_entry *e = &r->entries[i];
		int rc;

		if (e->last_ms <= cut)
			break; /* the list is ordered by last_ms */
		dbuf_reset(lb);
		rc = recent_row(lb, e);
		if (rc)
			return rc;
		expo_counter(w, lb->p, lb->len, NULL, e->count);
	}
	return 0;
}
