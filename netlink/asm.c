/*
 * asm: the event assembler.
 *
 * The kernel writes one event as several records that share a serial: for a
 * syscall, SYSCALL, then auxiliary records (SOCKADDR, EXECVE, SOCKETCALL,
 * CWD, PATH...), PROCTITLE, and an EOE record that closes it. Records of
 * different events interleave when several CPUs log at once, and a stream
 * may lose the EOE (a lost record, a truncated log). An event is complete
 *   - at its EOE record;
 *   - at once, for a record type that is an event on its own (userspace
 *     messages, daemon, anomaly and kernel records: asm_type_is_single,
 *     after auparse's classification) when no event with its serial is open;
 *   - or when it has waited timeout_ms on the source's clock since its first
 *     record arrived (arrival, not the record's stamp: records that waited in
 *     a backlogged kernel queue arrive late but together), or when the
 *     in-flight table is full and it is the oldest (evicted).
 * The last two are counted: they are incomplete events. So is an open
 * event when a record of its serial comes with another stamp: the kernel
 * stamps all records of an event alike, so that is another event (a reboot
 * restarted the numbering) and the open one has ended (as timed out).
 *
 * Serials count lost events (netlink/gaps), except on auditd's own DAEMON_*
 * records, which auditd numbers from a sequence of its own: they neither
 * join nor close the kernel's events.
 *
 * Events are keyed by (node, serial), the node by the 64-bit hash and the
 * length of its whole name, so a replayed log that merges any number of
 * hosts ("node=" prefixes) keeps their events apart: another host's EOE
 * never closes an event. Serial gaps are tracked for the records without
 * node= and for the first ASM_NODES - 1 named nodes (names told apart by
 * hash, length and first 64 bytes); the serials of further nodes are not
 * tracked at all, neither missing nor late, since one tracker fed by two
 * hosts' interleaved numbering would count noise.
 *
 * Memory is bounded and allocated up front or amortised: at most
 * max_inflight open events, each keeping at most max_records records and
 * max_event_bytes of text in its own arena, which grows on demand. An
 * arena of up to ASM_KEEP_BYTES is kept for reuse when its event ends
 * (most events are a few hundred bytes: no allocation per record); a
 * larger one is freed, so what stays after a burst of huge events is at
 * most max_inflight x ASM_KEEP_BYTES (16 MiB by default) instead of
 * max_inflight x max_event_bytes (256 MiB). Record tables and arenas are
 * charged to the memory budget (part events) before they are allocated.
 * Without memory or budget for a record table or arena, the event stays
 * open, keeps what it has, and is counted as truncated when it ends. A lookup is O(1): the most recent event is checked first
 * (records of one event usually arrive back to back), then a hash of
 * open events by serial. Records of a single-record type with no open
 * event go to the callback straight from the caller's buffer, uncopied.
 */
#include "netlink/asm.h"

#include <errno.h>
#include <libaudit.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/budget.h"
#include "netlink/gaps.h"

#define ASM_NODES 16 /* gap trackers: no node=, and 15 named nodes */
#define ASM_UNTRACKED UINT16_MAX
#define ASM_HASH 4096 /* buckets, power of two */
/* node names are told apart by 64-bit hash, length and first 64 bytes */
#define ASM_NODE_CMP(len) ((len) < 64 ? (len) : 64)
#define ASM_KEEP_BYTES (16 * 1024) /* an arena kept once its event ends */

/* A kept record: its text is at arena + off (the arena may move). */
struct asm_kept {
	int type;
	uint32_t len;
	size_t off;
};

struct asm_slot {
	uint32_t serial;
	uint32_t node_len; /* the node: hash and length of its name */
	uint64_t node_hash;
	int64_t time_ms; /* the event's stamp */
	int64_t arrived_ms; /* source clock at the first record */
	unsigned nrec;
	bool truncated;
	struct asm_kept *rec;
	char *arena;
	size_t used, cap;
	struct asm_slot *hnext; /* hash chain */
	struct asm_slot *older, *newer; /* age list, oldest first */
	struct asm_slot *free_next;
};

struct asm_node {
	uint64_t hash;
	char name[64];
	size_t len;
};

struct asm_ctx {
	struct asm_config cfg;
	struct budget_acct acct;
	asm_event_cb cb;
	void *arg;
	struct asm_slot *slots; /* cfg.max_inflight of them */
	struct asm_record *view; /* cfg.max_records: an event as emitted */
	struct asm_slot *free;
	struct asm_slot *oldest, *newest, *last;
	unsigned open;
	struct asm_slot *hash[ASM_HASH];
	struct asm_node nodes[ASM_NODES];
	unsigned nnodes;
	struct gaps gaps[ASM_NODES];
	struct asm_stats stats;
};

bool asm_type_is_single(int type)
{
	return type == AUDIT_USER ||
	       (type > AUDIT_LOGIN && type < AUDIT_FIRST_EVENT) ||
	       type == AUDIT_KERNEL || type >= AUDIT_FIRST_ANOM_MSG ||
	       (type >= AUDIT_MAC_UNLBL_ALLOW && type <= AUDIT_MAC_CALIPSO_DEL);
}

struct asm_ctx *asm_new(const struct asm_config *cfg, asm_event_cb cb,
			void *arg)
{
	static const struct asm_config defaults = ASM_CONFIG_DEFAULT;
	struct asm_ctx *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->cfg = cfg ? *cfg : defaults;
	if (!a->cfg.max_inflight || !a->cfg.max_records ||
	    !a->cfg.max_event_bytes) {
		free(a);
		errno = EINVAL;
		return NULL;
	}
	a->cb = cb;
	a->arg = arg;
	a->acct = (struct budget_acct){ a->cfg.budget, BUDGET_EVENTS, false };
	a->slots = calloc(a->cfg.max_inflight, sizeof(*a->slots));
	a->view = calloc(a->cfg.max_records, sizeof(*a->view));
	if (!a->slots || !a->view) {
		free(a->slots);
		free(a->view);
		free(a);
		errno = ENOMEM;
		return NULL;
	}
	for (unsigned i = a->cfg.max_inflight; i-- > 0;) {
		a->slots[i].free_next = a->free;
		a->free = &a->slots[i];
	}
	for (unsigned i = 0; i < ASM_NODES; i++)
		gaps_init(&a->gaps[i]);
	return a;
}

static size_t asm_table_bytes(const struct asm_ctx *a)
{
	return budget_heap_bytes(a->cfg.max_records * sizeof(struct asm_kept));
}

/* Frees a slot's arena and gives its bytes back. */
static void asm_arena_drop(struct asm_ctx *a, struct asm_slot *s)
{
	free(s->arena);
	budget_release(&a->acct, budget_heap_bytes(s->cap));
	s->arena = NULL;
	s->cap = 0;
}

void asm_free(struct asm_ctx *a)
{
	if (!a)
		return;
	for (unsigned i = 0; i < a->cfg.max_inflight; i++) {
		struct asm_slot *s = &a->slots[i];

		if (s->rec)
			budget_release(&a->acct, asm_table_bytes(a));
		free(s->rec);
		asm_arena_drop(a, s);
	}
	free(a->slots);
	free(a->view);
	free(a);
}

struct asm_stats asm_stats(const struct asm_ctx *a)
{
	struct asm_stats st = a->stats;

	for (unsigned i = 0; i < ASM_NODES; i++) {
		st.serials_missing += a->gaps[i].missing;
		st.serials_late += a->gaps[i].late;
		st.serial_resets += a->gaps[i].resets;
	}
	return st;
}

/* The node's key: FNV-1a of its name, 0 for records without node=. */
static uint64_t asm_node_hash(const char *name, size_t len)
{
	uint64_t h = 1469598103934665603ull;

	if (!name || !len)
		return 0;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)name[i]) * 1099511628211ull;
	return h;
}

/* The node's gap tracker, ASM_UNTRACKED beyond the first ASM_NODES. */
static uint16_t asm_node_gaps(struct asm_ctx *a, uint64_t h, const char *name,
			      size_t len)
{
	if (!h)
		return 0; /* tracker 0 is "no node=" */
	for (unsigned i = 1; i < a->nnodes + 1 && i < ASM_NODES; i++)
		if (a->nodes[i].hash == h && a->nodes[i].len == len &&
		    memcmp(a->nodes[i].name, name, ASM_NODE_CMP(len)) == 0)
			return (uint16_t)i;
	if (a->nnodes + 1 >= ASM_NODES)
		return ASM_UNTRACKED;
	a->nnodes++;
	a->nodes[a->nnodes].hash = h;
	a->nodes[a->nnodes].len = len;
	memcpy(a->nodes[a->nnodes].name, name, ASM_NODE_CMP(len));
	return (uint16_t)a->nnodes;
}

static inline unsigned asm_bucket(uint32_t serial, uint64_t node)
{
	return (serial * 2654435761u ^ (uint32_t)(node ^ node >> 32)) &
	       (ASM_HASH - 1);
}

static inline bool asm_is(const struct asm_slot *s, uint32_t serial,
			  uint64_t node, size_t node_len)
{
	return s->serial == serial && s->node_hash == node &&
	       s->node_len == node_len;
}

static struct asm_slot *asm_find(struct asm_ctx *a, uint32_t serial,
				 uint64_t node, size_t node_len)
{
	struct asm_slot *s = a->last;

	if (s && asm_is(s, serial, node, node_len))
		return s;
	for (s = a->hash[asm_bucket(serial, node)]; s; s = s->hnext)
		if (asm_is(s, serial, node, node_len))
			return a->last = s;
	return NULL;
}

static void asm_unlink(struct asm_ctx *a, struct asm_slot *s)
{
	struct asm_slot **pp = &a->hash[asm_bucket(s->serial, s->node_hash)];

	while (*pp != s)
		pp = &(*pp)->hnext;
	*pp = s->hnext;
	if (s->older)
		s->older->newer = s->newer;
	else
		a->oldest = s->newer;
	if (s->newer)
		s->newer->older = s->older;
	else
		a->newest = s->older;
	if (a->last == s)
		a->last = NULL;
	s->free_next = a->free;
	a->free = s;
	a->open--;
}

/* Hands an open event to the callback and frees its slot. */
static void asm_emit(struct asm_ctx *a, struct asm_slot *s, bool complete)
{
	struct asm_event ev = {
		.serial = s->serial,
		.time_ms = s->time_ms,
		.nrec = s->nrec,
		.rec = a->view,
		.complete = complete,
		.truncated = s->truncated,
	};

	for (unsigned i = 0; i < s->nrec; i++) {
		a->view[i].type = s->rec[i].type;
		a->view[i].len = s->rec[i].len;
		a->view[i].body = s->arena + s->rec[i].off;
	}
	a->stats.events++;
	if (s->truncated)
		a->stats.truncated++;
	asm_unlink(a, s);
	a->cb(a->arg, &ev);
	if (s->cap > ASM_KEEP_BYTES)
		asm_arena_drop(a, s);
}

static struct asm_slot *asm_open(struct asm_ctx *a, const struct arec_hdr *h,
				 uint64_t node, int64_t now_ms)
{
	struct asm_slot *s;
	unsigned b;

	if (!a->free) {
		a->stats.evicted++;
		asm_emit(a, a->oldest, false);
	}
	s = a->free;
	a->free = s->free_next;
	/* NULL: the event is open, truncated, keeps nothing */
	if (!s->rec && !budget_charge(&a->acct, asm_table_bytes(a))) {
		s->rec = calloc(a->cfg.max_records, sizeof(*s->rec));
		if (!s->rec)
			budget_release(&a->acct, asm_table_bytes(a));
	}
	s->serial = h->serial;
	s->node_hash = node;
	s->node_len = node ? (uint32_t)h->node_len : 0;
	s->time_ms = h->time_ms;
	s->arrived_ms = now_ms;
	s->nrec = 0;
	s->used = 0;
	s->truncated = !s->rec;
	b = asm_bucket(h->serial, node);
	s->hnext = a->hash[b];
	a->hash[b] = s;
	s->older = a->newest;
	s->newer = NULL;
	if (a->newest)
		a->newest->newer = s;
	else
		a->oldest = s;
	a->newest = s;
	a->last = s;
	a->open++;
	return s;
}

static void asm_append(struct asm_ctx *a, struct asm_slot *s,
		       const struct arec_hdr *h)
{
	size_t need = s->used + h->body_len;

	if (!s->rec || s->nrec >= a->cfg.max_records ||
	    need > a->cfg.max_event_bytes) {
		s->truncated = true;
		return;
	}
	/* the arena exists before the first record, even an empty one: the
	 * record's body points into it (arena + off) */
	if (need > s->cap || !s->arena) {
		size_t cap = s->cap ? s->cap : 1024, grow;
		char *p;

		while (cap < need)
			cap *= 2;
		if (cap > a->cfg.max_event_bytes)
			cap = a->cfg.max_event_bytes;
		grow = budget_heap_bytes(cap) - budget_heap_bytes(s->cap);
		if (budget_charge(&a->acct, grow)) {
			s->truncated = true;
			return;
		}
		p = realloc(s->arena, cap);
		if (!p) {
			budget_release(&a->acct, grow);
			s->truncated = true;
			return;
		}
		s->arena = p;
		s->cap = cap;
	}
	memcpy(s->arena + s->used, h->body, h->body_len);
	s->rec[s->nrec].type = h->type;
	s->rec[s->nrec].len = (uint32_t)h->body_len;
	s->rec[s->nrec].off = s->used;
	s->nrec++;
	s->used = need;
}

void asm_push(struct asm_ctx *a, const struct arec_hdr *h, int64_t now_ms)
{
	uint64_t node = asm_node_hash(h->node, h->node_len);
	size_t node_len = node ? h->node_len : 0;
	uint16_t g = asm_node_gaps(a, node, h->node, node_len);
	/* auditd stamps its own DAEMON_* records from a counter of its own:
	 * they are not in the kernel's serial sequence, nor in its events */
	bool daemon = h->type >= AUDIT_FIRST_DAEMON &&
		      h->type <= AUDIT_LAST_DAEMON;
	struct asm_slot *s;

	if (g != ASM_UNTRACKED && !daemon)
		gaps_see(&a->gaps[g], h->serial, h->time_ms);
	s = daemon ? NULL : asm_find(a, h->serial, node, node_len);
	if (s && s->time_ms != h->time_ms) {
		/* the kernel stamps every record of an event alike: another
		 * stamp on the serial is another event (the numbering
		 * restarted: a reboot), and the open one has ended without
		 * its EOE, as if timed out */
		a->stats.timed_out++;
		asm_emit(a, s, false);
		s = NULL;
	}
	if (h->type == AUDIT_EOE) {
		if (s)
			asm_emit(a, s, true);
		return;
	}
	if (!s && asm_type_is_single(h->type)) {
		struct asm_record r = { h->type, (uint32_t)h->body_len,
					h->body };
		struct asm_event ev = { .serial = h->serial,
					.time_ms = h->time_ms,
					.nrec = 1,
					.rec = &r,
					.complete = true };

		a->stats.events++;
		a->cb(a->arg, &ev);
		return;
	}
	if (!s)
		s = asm_open(a, h, node, now_ms);
	asm_append(a, s, h);
}

void asm_tick(struct asm_ctx *a, int64_t now_ms)
{
	while (a->oldest &&
	       now_ms - a->oldest->arrived_ms >= a->cfg.timeout_ms) {
		a->stats.timed_out++;
		asm_emit(a, a->oldest, false);
	}
	for (unsigned i = 0; i <= a->nnodes && i < ASM_NODES; i++)
		gaps_judge(&a->gaps[i], now_ms, a->cfg.timeout_ms);
}

void asm_flush(struct asm_ctx *a)
{
	while (a->oldest) {
		a->stats.timed_out++;
		asm_emit(a, a->oldest, false);
	}
	for (unsigned i = 0; i < ASM_NODES; i++)
		gaps_judge_all(&a->gaps[i]);
}
