/*
 * baseline: what this host has done, remembered across restarts, so that
 * what is new can be counted from the first day without Prometheus
 * history (issue 22 item 2, docs/BASELINE.md).
 *
 * Items. An item is one canonical tuple of a kind (listener, destination
 * of a process, executable of a user; the collectors choose the fields),
 * kept as its 64-bit keyed hash: SipHash-2-4 under the exporter's sketch
 * key over the kind byte and the fields, each prefixed with its 32-bit
 * length (baseline_item). The key is secret (--sketch.key-file), so a
 * local user cannot choose names that collide with a known item to hide a
 * new one. A table entry keeps 63 bits of it: two different items collide
 * ("not new" for a new one) with probability n / 2^63 per test with n
 * items held, 7e-15 at n = 65536, about one in 10^5 over 10^10 new items.
 *
 * Table. One open-addressing table per kind, linear probing, capacity a
 * power of two with at most 3/4 of it in use (cap >= 4/3 max_items), all
 * allocated by baseline_new: memory is known up front, and nothing
 * allocates on the hot path. Entry (uint64_t):
 *
 *	bit 63      62 .. 0
 *	[ref]       [item hash, never 0 (a 0 hash becomes 1)]
 *
 * 0 is an empty slot; ref is the clock's "seen since the hand passed" bit.
 * Test-and-insert is O(1) expected (load <= 3/4: about 2.5 probes for a
 * miss).
 *
 * Full kind: clock eviction (second chance), not refusal. A store that
 * only refused once full would report a refused item as new every time
 * it recurs (a steady workload past the bound fires forever), and one that
 * stopped reporting would go silent. With the clock, an item seen again
 * is held, the one evicted is one not seen for a whole turn of the hand,
 * and a new item is still reported once and learnt: the store becomes
 * "seen recently" instead of "ever seen", which the evicted_total counter
 * makes visible. The hand clears ref bits until it finds an entry without
 * one, so at most one turn (cap steps) per eviction and O(1) amortised
 * (each step clears a bit that a test set). The entry is removed by
 * backward-shift deletion, which keeps every probe chain unbroken.
 *
 * Learning. From created to created + period, unseen items are learnt and
 * not reported; after it they are reported new (and learnt). Over is
 * sticky (the flag is persisted): a clock going backwards never restarts
 * learning. A clock going back before created while learning moves
 * created to now, so learning never lasts longer than period of the clock
 * it sees. created and the flag are persisted, so a restart neither
 * restarts nor extends learning; period is not (the flag decides it).
 *
 * File (little-endian, written by baseline_save, read by baseline_load):
 *
 *	offset  size
 *	0       8     magic "AEBASELN"
 *	8       4     version (1)
 *	12      4     kinds (BASELINE_KINDS, 3)
 *	16      8     key id (hash_key_id of the sketch key)
 *	24      8     created (unix seconds, signed)
 *	32      4     flags: bit 0 learning over
 *	36      4     0
 *	40      4*3   items per kind, then 4 bytes of 0
 *	56      8*n   the items (63-bit hashes, ref bit 0), kind by kind
 *	56+8n   8     SipHash-2-4 under the key of every byte before it
 *
 * A file is refused (the caller warns and starts fresh) when it is short
 * or its size does not match its counts, its checksum or an item is wrong
 * (-EBADMSG), its magic or version is not this one (-EPROTO), or it was
 * written under another key (-EKEYREJECTED: its hashes would not match
 * anything). The checksum is keyed, so it also says the file was written
 * by a holder of the key. Saving writes path.tmp, fsyncs it and renames
 * it over path: a crash leaves the old file or the new one, and a
 * leftover path.tmp is simply overwritten by the next save (load never
 * reads it).
 *
 * Memory (baseline_bytes): the struct plus 3 * cap * 8 bytes; at the
 * default 65536 items per kind cap is 131072, 3 MiB in all. The file is
 * at most 64 + 8 * 3 * max_items bytes (1.5 MiB at the default); a save
 * allocates one buffer of that size for the time of the write (periodic,
 * off the hot path), a load maps the file and allocates nothing.
 * baseline_encode and baseline_write are a save's two halves, for a
 * caller that keeps the buffer and writes outside its lock: the image is
 * a copy (a few ms at the default bound), the write and its fsyncs take
 * what the disk takes.
 *
 * Threads: none of its own and no locks; the thread that feeds it events
 * (the reader) owns it, encoding included; baseline_write touches no
 * store and may run anywhere.
 */
#include "metrics/baseline.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define BASELINE_REF (UINT64_C(1) << 63)
#define BASELINE_HASH (BASELINE_REF - 1)
#define BASELINE_MAGIC "AEBASELN"
#define BASELINE_VERSION 1
#define BASELINE_HDR 56
#define BASELINE_OVER 1u /* flags: learning over */

struct baseline_table {
	uint64_t *slot;
	uint32_t n; /* entries in use, <= max */
	uint32_t hand; /* the clock's hand, a slot index */
	uint64_t evicted;
};

struct baseline {
	struct hash_key key;
	uint64_t key_id;
	int64_t created, period;
	uint32_t max, mask; /* mask = cap - 1 */
	uint32_t over; /* learning is over (sticky) */
	struct baseline_table t[BASELINE_KINDS];
};

static const char *const baseline_names[BASELINE_KINDS] = {
	[BASELINE_LISTEN] = "listen",
	[BASELINE_DEST] = "destination",
	[BASELINE_EXEC] = "execve",
};

struct baseline *baseline_new(const struct hash_key *key, uint32_t max_items,
			      int64_t now, int64_t period)
{
	struct baseline *b;
	uint64_t cap = 1;

	if (!key || !max_items || max_items > BASELINE_MAX_ITEMS ||
	    period < 0) {
		errno = EINVAL;
		return NULL;
	}
	while (cap * 3 < (uint64_t)max_items * 4)
		cap <<= 1;
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->key = *key;
	b->key_id = hash_key_id(key);
	b->created = now;
	b->period = period;
	b->max = max_items;
	b->mask = (uint32_t)(cap - 1);
	for (int k = 0; k < BASELINE_KINDS; k++) {
		b->t[k].slot = calloc(cap, sizeof(uint64_t));
		if (!b->t[k].slot) {
			baseline_free(b);
			errno = ENOMEM;
			return NULL;
		}
	}
	return b;
}

void baseline_free(struct baseline *b)
{
	if (!b)
		return;
	for (int k = 0; k < BASELINE_KINDS; k++)
		free(b->t[k].slot);
	free(b);
}

uint64_t baseline_item(const struct baseline *b, enum baseline_kind kind,
		       const struct baseline_field *f, unsigned n)
{
	/* Fields are hashed one by one and their (length, hash) pairs
	 * hashed again, so the tuple needs no buffer of its own. */
	uint64_t acc[1 + 2 * 8];
	unsigned i, m = 0;

	acc[m++] = (uint64_t)kind;
	for (i = 0; i < n && i < 8; i++) {
		acc[m++] = (uint64_t)f[i].len;
		acc[m++] = hash_siphash24(&b->key, f[i].p, f[i].len);
	}
	/* More than 8 fields fold into the last hash. */
	for (; i < n; i++)
		acc[m - 1] ^= hash_siphash24(&b->key, f[i].p, f[i].len) +
			      (uint64_t)f[i].len;
	return hash_siphash24(&b->key, acc, m * sizeof(acc[0]));
}

static inline uint64_t baseline_entry(uint64_t item)
{
	item &= BASELINE_HASH;
	return item ? item : 1;
}

/* The slot holding e, or the empty slot where it would go. */
static uint32_t baseline_find(const struct baseline *b,
			      const struct baseline_table *t, uint64_t e)
{
	uint32_t i = (uint32_t)e & b->mask;

	while (t->slot[i] && (t->slot[i] & BASELINE_HASH) != e)
		i = (i + 1) & b->mask;
	return i;
}

/* Removes the entry at slot i, shifting later entries of the chain back
 * so that no probe stops early at the hole. */
static void baseline_delete(const struct baseline *b, struct baseline_table *t,
			    uint32_t i)
{
	uint32_t j = i, home;

	for (;;) {
		j = (j + 1) & b->mask;
		if (!t->slot[j])
			break;
		home = (uint32_t)(t->slot[j] & BASELINE_HASH) & b->mask;
		/* The entry at j may move to i unless its home lies
		 * cyclically in (i, j]. */
		if (i < j ? (home <= i || home > j) : (home <= i && home > j)) {
			t->slot[i] = t->slot[j];
			i = j;
		}
	}
	t->slot[i] = 0;
	t->n--;
}

/* Second chance: the first entry past the hand without its ref bit. */
static void baseline_evict(const struct baseline *b, struct baseline_table *t)
{
	for (;;) {
		uint32_t h = t->hand;

		t->hand = (h + 1) & b->mask;
		if (!t->slot[h])
			continue;
		if (t->slot[h] & BASELINE_REF) {
			t->slot[h] &= ~BASELINE_REF;
			continue;
		}
		baseline_delete(b, t, h);
		t->evicted++;
		return;
	}
}

/* Holds e (without ref) in t; 1 if it was not held before. */
static int baseline_learn(const struct baseline *b, struct baseline_table *t,
			  uint64_t e, uint64_t ref)
{
	uint32_t i = baseline_find(b, t, e);

	if (t->slot[i]) {
		t->slot[i] |= ref;
		return 0;
	}
	if (t->n >= b->max) {
		baseline_evict(b, t);
		i = baseline_find(b, t, e);
	}
	t->slot[i] = e | ref;
	t->n++;
	return 1;
}

int baseline_learning(struct baseline *b, int64_t now)
{
	if (b->over)
		return 0;
	if (now < b->created)
		b->created = now;
	/* now >= created here, so the difference is exact as unsigned, for
	 * any creation time a file may hold */
	if ((uint64_t)now - (uint64_t)b->created >= (uint64_t)b->period)
		b->over = 1;
	return !b->over;
}

int64_t baseline_learning_end(const struct baseline *b)
{
	if (b->created > INT64_MAX - b->period)
		return INT64_MAX;
	return b->created + b->period;
}

int baseline_test(struct baseline *b, enum baseline_kind kind, uint64_t item,
		  int64_t now)
{
	int learning;

	if ((unsigned)kind >= BASELINE_KINDS)
		return -EINVAL;
	learning = baseline_learning(b, now);
	/* A new entry gets its ref bit too: it survives one turn. */
	if (!baseline_learn(b, &b->t[kind], baseline_entry(item), BASELINE_REF))
		return 0;
	return !learning;
}

uint32_t baseline_items(const struct baseline *b, enum baseline_kind kind)
{
	return (unsigned)kind < BASELINE_KINDS ? b->t[kind].n : 0;
}

uint64_t baseline_evicted(const struct baseline *b, enum baseline_kind kind)
{
	return (unsigned)kind < BASELINE_KINDS ? b->t[kind].evicted : 0;
}

uint32_t baseline_max_items(const struct baseline *b)
{
	return b->max;
}

size_t baseline_bytes(const struct baseline *b)
{
	return sizeof(*b) + (size_t)BASELINE_KINDS * ((size_t)b->mask + 1) *
				    sizeof(uint64_t);
}

const char *baseline_kind_name(enum baseline_kind kind)
{
	return (unsigned)kind < BASELINE_KINDS ? baseline_names[kind] : NULL;
}

/* --- file ---------------------------------------------------------------- */

static void baseline_put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static void baseline_put64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

static uint32_t baseline_get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

static uint64_t baseline_get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return le64toh(v);
}

static int baseline_write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* fsync of path's directory, so that the rename is durable. */
static void baseline_sync_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return; /* the file is written; only its durability waits */
	(void)fsync(fd);
	close(fd);
}

size_t baseline_file_max(const struct baseline *b)
{
	return BASELINE_HDR + 8 * (size_t)BASELINE_KINDS * b->max + 8;
}

ssize_t baseline_encode(const struct baseline *b, void *out, size_t cap)
{
	uint8_t *buf = out, *p;
	size_t n = 0, len;

	for (int k = 0; k < BASELINE_KINDS; k++)
		n += b->t[k].n;
	len = BASELINE_HDR + 8 * n + 8;
	if (cap < len)
		return -ENOBUFS;
	memset(buf, 0, BASELINE_HDR);
	memcpy(buf, BASELINE_MAGIC, 8);
	baseline_put32(buf + 8, BASELINE_VERSION);
	baseline_put32(buf + 12, BASELINE_KINDS);
	baseline_put64(buf + 16, b->key_id);
	baseline_put64(buf + 24, (uint64_t)b->created);
	baseline_put32(buf + 32, b->over ? BASELINE_OVER : 0);
	p = buf + BASELINE_HDR;
	for (int k = 0; k < BASELINE_KINDS; k++) {
		baseline_put32(buf + 40 + 4 * k, b->t[k].n);
		for (uint32_t i = 0; i <= b->mask; i++) {
			if (!b->t[k].slot[i])
				continue;
			baseline_put64(p, b->t[k].slot[i] & BASELINE_HASH);
			p += 8;
		}
	}
	baseline_put64(p, hash_siphash24(&b->key, buf, (size_t)(p - buf)));
	return (ssize_t)len;
}

int baseline_write(const char *path, const void *buf, size_t len)
{
	char tmp[PATH_MAX];
	int fd, ret;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0)
		return -errno;
	ret = baseline_write_all(fd, buf, len);
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path) < 0)
		ret = -errno;
	if (ret)
		(void)unlink(tmp);
	else
		baseline_sync_dir(path);
	return ret;
}

int baseline_save(const struct baseline *b, const char *path)
{
	size_t cap = baseline_file_max(b);
	void *buf = malloc(cap);
	ssize_t len;
	int ret;

	if (!buf)
		return -ENOMEM;
	len = baseline_encode(b, buf, cap);
	ret = len < 0 ? (int)len : baseline_write(path, buf, (size_t)len);
	free(buf);
	return ret;
}

/* Checks the mapped file; 0 or the -errno baseline_load returns. */
static int baseline_check(const struct baseline *b, const uint8_t *m,
			  size_t size)
{
	uint64_t n = 0;

	if (size < 8)
		return -EBADMSG;
	if (memcmp(m, BASELINE_MAGIC, 8))
		return -EPROTO;
	if (size < BASELINE_HDR + 8)
		return -EBADMSG;
	if (baseline_get32(m + 8) != BASELINE_VERSION ||
	    baseline_get32(m + 12) != BASELINE_KINDS)
		return -EPROTO;
	if (baseline_get64(m + 16) != b->key_id)
		return -EKEYREJECTED;
	for (int k = 0; k < BASELINE_KINDS; k++)
		n += baseline_get32(m + 40 + 4 * k);
	if (size != BASELINE_HDR + 8 * n + 8)
		return -EBADMSG;
	if (baseline_get64(m + size - 8) !=
	    hash_siphash24(&b->key, m, size - 8))
		return -EBADMSG;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t e = baseline_get64(m + BASELINE_HDR + 8 * i);

		if (!e || (e & BASELINE_REF))
			return -EBADMSG;
	}
	return 0;
}

int baseline_load_mem(struct baseline *b, const void *data, size_t size)
{
	const uint8_t *m = data, *p;
	int ret;

	for (int k = 0; k < BASELINE_KINDS; k++)
		if (b->t[k].n)
			return -EBUSY;
	ret = baseline_check(b, m, size);
	if (ret)
		return ret;
	b->created = (int64_t)baseline_get64(m + 24);
	b->over = baseline_get32(m + 32) & BASELINE_OVER;
	p = m + BASELINE_HDR;
	for (int k = 0; k < BASELINE_KINDS; k++) {
		uint32_t n = baseline_get32(m + 40 + 4 * k);

		for (uint32_t i = 0; i < n; i++, p += 8)
			baseline_learn(b, &b->t[k], baseline_get64(p), 0);
	}
	return 0;
}

int baseline_load(struct baseline *b, const char *path)
{
	void *m = MAP_FAILED;
	struct stat st;
	size_t size = 0;
	int fd, ret;

	for (int k = 0; k < BASELINE_KINDS; k++)
		if (b->t[k].n)
			return -EBUSY;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = -EPROTO;
		goto out;
	}
	size = (size_t)st.st_size;
	if (size < BASELINE_HDR + 8) { /* short (and mmap of 0 bytes fails) */
		ret = -EBADMSG;
		goto out;
	}
	m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED) {
		ret = -errno;
		goto out;
	}
	ret = baseline_load_mem(b, m, size);
out:
	if (m != MAP_FAILED)
		munmap(m, size);
	close(fd);
	return ret;
}
