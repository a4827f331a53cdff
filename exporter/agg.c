/*
 * agg: the aggregator, where audit events become metric updates.
 *
 * The only module that knows both sides: it reads the records of an
 * assembled event (netlink/arec) and updates families (metrics/fam).
 *
 *   every record          audit_records_total{type}
 *   every syscall event   audit_syscall_events_total{syscall,key,success}
 *   connect()             audit_connect_total{comm,uid,family,result};
 *                         inet/inet6 destinations (address, port) into the
 *                         host-wide and the per-(comm,uid) sketches
 *   bind() that succeeded remembers (pid, fd) -> (family, port)
 *   listen() that worked  audit_listen_total{comm,uid,family,port}, port
 *                         from that remembered bind ("unknown" if none)
 *   execve/execveat       audit_execve_total{exe,uid} (successful ones: the
 *                         SYSCALL record's exe is then the new program)
 *   a watch rule's key    audit_watch_hits_total{key,comm,uid}
 *
 * System calls are named by libaudit from (arch, number), so x86_64 and
 * i386 both work; i386 programs may reach the socket calls through
 * socketcall(2), whose first argument selects the call and whose SOCKETCALL
 * record holds the real arguments. Older kernels (the 2006 logs of
 * selinux's sepolgen tests) wrote no SOCKETCALL record: the call is then
 * still counted, with the socket's fd unknown (a listen's family and port
 * are "unknown"). connect() results: success, in_progress (EINPROGRESS
 * from a non-blocking socket), error. A connect without a
 * SOCKADDR record (a bad pointer) has family "other". A SOCKADDR holds the
 * process's raw sockaddr, whose sa_family is in the byte order of the
 * SYSCALL record's arch (s390x and ppc64 are big-endian); the SYSCALL
 * record is read first, wherever it stands in the event.
 *
 * Watch keys: a rule key belongs to a file watch if the watch function says
 * so (keys of -w rules, from the loaded rules or the kernel's rule list).
 * Without one (a replay with no rules), a keyed event with PATH records
 * that is not a network or exec call counts as a watch hit.
 *
 * Label-set caps: beyond --metrics.max-series, every label a process or a
 * text stream can choose (comm, uid, exe, port, key, syscall, type) folds
 * to "__other__"; only the small enums (family, result, success) stay, so
 * a family holds at most the cap plus a few folded label sets.
 *
 * Memory budget (metrics/budget): label sets and sketches are charged to
 * it; a label set it refuses folds, a sketch it will not let grow hands
 * its items to the folded sketch (fam.c). The host-wide sketch and the
 * folded label sets are never refused: agg_new reserves their worst case,
 * the most folded label sets each family can have (agg_folded_max) times
 * the most one can hold (fam_series_max_bytes). When the budget refused
 * anything since the last sweep, the sweep drops the per-process label
 * sets (counters and sketches) idle for less than --metrics.idle-timeout:
 * half of it, halved again at each sweep under pressure, 5 minutes at
 * least (agg_pressed_idle); the syscall and record counters keep theirs.
 *
 * Out of memory: an update that needs a new label set or a sketch to grow
 * and cannot have it is lost and counted (skipped, reason no_memory);
 * nothing else changes, and the next update tries again.
 *
 * The hot path does not allocate except when a label set is new: fields are
 * decoded into fixed buffers on the stack, syscall names and the record
 * type series are cached by number, and the bind table is a fixed
 * set-associative cache (4 ways, oldest entry evicted).
 *
 * Series caches. Most events come from processes seen a moment ago, so the
 * series an event updates are kept in direct-mapped caches: per (comm, uid)
 * the connect counters and the process sketch, per (syscall, keys,
 * success) the syscall counter, and the host-wide sketch. An entry is
 * checked against its full key (never a false hit) and against the sweep
 * generation (a sweep may free series); a hit goes through fam_hit so the
 * series is stamped and a folded one still counts as folded. A miss is an
 * ordinary lookup. Measured with callgrind on a replay of 20,000
 * processes: the caches remove most hash-table lookups and their SipHash.
 *
 * Threads: called by the reader thread with the exporter's lock held.
 */
#include "exporter/agg.h"

#include <errno.h>
#include <libaudit.h>
#include <stddef.h>
#include <linux/audit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "exporter/evclock.h"
#include "metrics/budget.h"
#include "metrics/lbl.h"
#include "metrics/win.h"
#include "netlink/arec.h"

#define AGG_NR_CACHE 1024 /* syscall numbers cached per machine */
#define AGG_MACHINES 16 /* libaudit machine ids cached */
#define AGG_TYPE_CACHE 4096 /* record types with a cached series */
#define AGG_KEY_MAX 512 /* decoded key list (kernel limit is 256) */
#define AGG_WAYS 4
#define AGG_PCACHE 4096 /* (comm, uid) entries, power of two */
#define AGG_SCACHE 1024 /* (syscall, keys, success) entries, power of two */
#define AGG_CCOMM 32 /* longest comm kept in the cache (kernel: 15) */
#define AGG_CUID 12
#define AGG_CKEY 64
/* the shortest idle time a sweep under memory pressure uses */
#define AGG_PRESSED_IDLE_MIN_MS (5 * 60 * 1000)
/* The family and result labels, indexed as the per-process cache is. */
#define AGG_NFAMILY 4
#define AGG_NRESULT 3
static const char *const agg_family_labels[AGG_NFAMILY] = { "inet", "inet6",
							    "unix", "other" };
static const char *const agg_result_labels[AGG_NRESULT] = { "success",
							    "in_progress",
							    "error" };

enum agg_op {
	OP_NONE,
	OP_CONNECT,
	OP_BIND,
	OP_LISTEN,
	OP_EXEC,
	OP_SOCKETCALL,
};

struct agg_sysname {
	const char *name;
	uint8_t op;
	bool known;
};

struct agg_bind {
	uint32_t pid;
	uint32_t fd;
	uint32_t age;
	uint16_t port;
	uint8_t family;
	uint8_t used;
};

/* The series of one (comm, uid), cached. */
struct agg_pcache {
	uint32_t gen; /* 0: empty */
	uint8_t comm_len, uid_len;
	char comm[AGG_CCOMM];
	char uid[AGG_CUID];
	struct fam_series *connect[AGG_NFAMILY][AGG_NRESULT];
	struct fam_series *proc; /* the process's unique-destination sketch */
};

/* The syscall counter of one (syscall name, keys, success), cached. */
struct agg_scache {
	uint32_t gen;
	int success;
	const char *sysname; /* libaudit's string: compared by address */
	uint8_t key_len;
	char key[AGG_CKEY];
	struct fam_series *series;
};

struct agg {
	struct agg_config cfg;
	struct fam *fam[AGG_NFAM];
	uint32_t gen; /* sweep generation, starts at 1 */
	struct agg_pcache *pcache;
	struct agg_scache *scache;
	struct fam_series *host; /* the host-wide sketch series, if gen_host */
	uint32_t gen_host;
	struct agg_sysname sysnames[AGG_MACHINES][AGG_NR_CACHE];
	struct fam_series *type_series[AGG_TYPE_CACHE];
	uint64_t errors[AGG_NERR];
	uint64_t skipped[AGG_NSKIP];
	struct agg_bind *binds;
	unsigned bind_sets;
	uint32_t bind_age;
	struct evclock clock; /* the records' stamps, robust (evclock.c) */
	size_t reserved; /* bytes this aggregator reserved in cfg.budget */
	uint64_t refusals; /* the budget's refusals at the last sweep */
	int64_t pressed_idle_ms; /* idle time of pressure sweeps; 0: none */
};

/* What one syscall event says, decoded. Scalars first: agg_event clears
 * them and leaves the string buffers, which carry their own lengths. */
struct agg_ev {
	int64_t t;
	uint64_t arch;
	int64_t nr;
	int success; /* -1 unknown, 0 no, 1 yes */
	int64_t exit;
	bool have_exit;
	uint64_t a[4];
	uint64_t pid;
	const char *uid;
	size_t uid_len;
	size_t comm_len, exe_len, key_len;
	bool have_key;
	bool have_sa;
	uint64_t sc[6]; /* SOCKETCALL arguments */
	unsigned sc_n;
	unsigned npath;
	const char *sysname;
	enum agg_op op;
	bool via_socketcall;
	/* not cleared */
	struct arec_sockaddr sa;
	char comm[LBL_MAX];
	char exe[LBL_MAX];
	char key[AGG_KEY_MAX];
	char nrbuf[24];
};

static const struct fam_desc agg_descs[AGG_NFAM] = {
	[AGG_CONNECT] = { "audit_connect",
			  "connect() calls by process name, real uid, address "
			  "family (inet, inet6, unix, other) and result "
			  "(success, in_progress for EINPROGRESS, error).",
			  FAM_COUNTER,
			  4,
			  { "comm", "uid", "family", "result" },
			  0x3 },
	[AGG_UNIQUE_HOST] = { "audit_connect_unique_destinations",
			      "Estimated number of distinct inet/inet6 "
			      "destinations (address, port) connected to in "
			      "the window.",
			      FAM_WINDOWED,
			      0,
			      { NULL },
			      0 },
	[AGG_UNIQUE_PROC] = { "audit_process_connect_unique_destinations",
			      "Estimated number of distinct inet/inet6 "
			      "destinations (address, port) connected to in "
			      "the window, by process name and real uid.",
			      FAM_WINDOWED,
			      2,
			      { "comm", "uid" },
			      0x3 },
	[AGG_LISTEN] = { "audit_listen",
			 "Successful listen() calls by process name, real uid, "
			 "address family and port (from the socket's earlier "
			 "bind(); unknown if it was not seen).",
			 FAM_COUNTER,
			 4,
			 { "comm", "uid", "family", "port" },
			 0xb }, /* all but family (inet, inet6, unix, ...) */
	[AGG_EXECVE] = { "audit_execve",
			 "Successful execve()/execveat() calls by executable "
			 "and real uid.",
			 FAM_COUNTER,
			 2,
			 { "exe", "uid" },
			 0x3 },
	[AGG_WATCH] = { "audit_watch_hits",
			"Events of file-watch rules by rule key, process name "
			"and real uid.",
			FAM_COUNTER,
			3,
			{ "key", "comm", "uid" },
			0x7 },
	[AGG_SYSCALL] = { "audit_syscall_events",
			  "Audited system call events by system call name, "
			  "rule keys (joined by commas) and success.",
			  FAM_COUNTER,
			  3,
			  { "syscall", "key", "success" },
			  0x3 },
	[AGG_RECORDS] = { "audit_records",
			  "Audit records received, by record type.",
			  FAM_COUNTER,
			  1,
			  { "type" },
			  0 },
};

/* The folded label sets a family can have: the values of the labels
 * that do not fold (family x result, family with "unknown", success). */
static const unsigned agg_folded_max[AGG_NFAM] = {
	[AGG_CONNECT] = AGG_NFAMILY * AGG_NRESULT,
	[AGG_UNIQUE_HOST] = 1,
	[AGG_UNIQUE_PROC] = 1,
	[AGG_LISTEN] = AGG_NFAMILY + 1,
	[AGG_EXECVE] = 1,
	[AGG_WATCH] = 1,
	[AGG_SYSCALL] = 3,
	[AGG_RECORDS] = 1,
};

const char *agg_err_name(enum agg_err e)
{
	static const char *const names[AGG_NERR] = {
		[AGG_E_HEADER] = "header",
		[AGG_E_TYPE] = "type",
		[AGG_E_NUL] = "nul_byte",
		[AGG_E_HEX] = "hex",
		[AGG_E_SOCKADDR] = "sockaddr",
		[AGG_E_NUMBER] = "number",
		[AGG_E_LINE_TOO_LONG] = "line_too_long",
		[AGG_E_DATAGRAM] = "truncated_datagram",
		[AGG_E_SHORT_DATAGRAM] = "short_datagram",
	};

	return e < AGG_NERR ? names[e] : "unknown";
}

enum agg_err agg_err_from_arec(int rc)
{
	switch (rc) {
	case AREC_E_TYPE:
		return AGG_E_TYPE;
	case AREC_E_NUL:
		return AGG_E_NUL;
	case AREC_E_HEX:
		return AGG_E_HEX;
	case AREC_E_SOCKADDR:
		return AGG_E_SOCKADDR;
	case AREC_E_NUMBER:
		return AGG_E_NUMBER;
	default:
		return AGG_E_HEADER;
	}
}

const char *agg_skip_name(enum agg_skip s)
{
	static const char *const names[AGG_NSKIP] = {
		[AGG_SKIP_UNKNOWN_TYPE] = "unknown_record_type",
		[AGG_SKIP_UNKNOWN_ARCH] = "unknown_arch",
		[AGG_SKIP_TOKEN] = "not_name_value",
		[AGG_SKIP_NO_SYSCALL] = "no_syscall_record",
		[AGG_SKIP_NO_MEMORY] = "no_memory",
	};

	return s < AGG_NSKIP ? names[s] : "unknown";
}

struct agg *agg_new(const struct agg_config *cfg)
{
	struct agg *a = calloc(1, sizeof(*a));
	unsigned sets = 1;
	size_t reserve = 0;
	int err = ENOMEM;

	if (!a)
		return NULL;
	a->cfg = *cfg;
	evclock_init(&a->clock);
	a->gen = 1;
	a->pcache = calloc(AGG_PCACHE, sizeof(*a->pcache));
	a->scache = calloc(AGG_SCACHE, sizeof(*a->scache));
	if (!a->pcache || !a->scache)
		goto fail;
	for (int i = 0; i < AGG_NFAM; i++) {
		struct fam_sketch sk = {
			.p = i == AGG_UNIQUE_HOST ? cfg->host_p : cfg->proc_p,
			.key_id = hash_key_id(&cfg->sketch_key),
			.nwin = cfg->nwindows
		};

		memcpy(sk.windows_ms, cfg->windows_ms, sizeof(sk.windows_ms));
		a->fam[i] = fam_new(&agg_descs[i], cfg->series_cap, &sk,
				    &cfg->table_key, cfg->budget);
		if (!a->fam[i])
			goto fail;
		reserve += agg_folded_max[i] * fam_series_max_bytes(a->fam[i]);
	}
	if (cfg->budget) {
		if (budget_reserve_add(cfg->budget, reserve)) {
			err = EINVAL;
			goto fail;
		}
		a->reserved = reserve;
	}
	/* the host-wide gauge exists from the start: 0, not "no data", on a
	 * host that has not connected anywhere yet */
	if (!fam_get(a->fam[AGG_UNIQUE_HOST], NULL, 0))
		goto fail;
	while (sets * AGG_WAYS < cfg->bind_slots)
		sets *= 2;
	a->bind_sets = sets;
	a->binds = calloc((size_t)sets * AGG_WAYS, sizeof(*a->binds));
	if (!a->binds)
		goto fail;
	return a;
fail:
	agg_free(a);
	errno = err;
	return NULL;
}

void agg_free(struct agg *a)
{
	if (!a)
		return;
	for (int i = 0; i < AGG_NFAM; i++)
		fam_free(a->fam[i]);
	if (a->reserved)
		budget_reserve_sub(a->cfg.budget, a->reserved);
	free(a->binds);
	free(a->pcache);
	free(a->scache);
	free(a);
}

struct fam *agg_fam(const struct agg *a, enum agg_fam which)
{
	return a->fam[which];
}

uint64_t agg_errors(const struct agg *a, enum agg_err e)
{
	return a->errors[e];
}

uint64_t agg_skipped(const struct agg *a, enum agg_skip s)
{
	return a->skipped[s];
}

int64_t agg_clock(const struct agg *a)
{
	return a->clock.now;
}

void agg_clock_advance(struct agg *a, int64_t now_ms)
{
	evclock_advance(&a->clock, now_ms);
}

void agg_error(struct agg *a, enum agg_err e)
{
	a->errors[e]++;
}

void agg_skip(struct agg *a, enum agg_skip s, uint64_t n)
{
	a->skipped[s] += n;
}

void agg_set_watch(struct agg *a, agg_watch_fn fn, void *arg)
{
	a->cfg.watch_fn = fn;
	a->cfg.watch_arg = arg;
}

/* The idle time of this sweep under memory pressure, 0 without: when the
 * budget refused label sets or sketch growth since the last sweep, it
 * halves from --metrics.idle-timeout at each sweep that finds pressure,
 * down to AGG_PRESSED_IDLE_MIN_MS, and is back to the flag's once a sweep
 * finds none. */
static int64_t agg_pressed_idle(struct agg *a)
{
	struct budget *b = a->cfg.budget;
	uint64_t r;

	if (!b || a->cfg.idle_ms <= 0)
		return 0;
	r = budget_refused(b, BUDGET_SERIES) +
	    budget_refused(b, BUDGET_SKETCHES);
	if (r == a->refusals) {
		a->pressed_idle_ms = 0;
		return 0;
	}
	a->refusals = r;
	a->pressed_idle_ms =
		(a->pressed_idle_ms ? a->pressed_idle_ms : a->cfg.idle_ms) / 2;
	if (a->pressed_idle_ms < AGG_PRESSED_IDLE_MIN_MS)
		a->pressed_idle_ms = AGG_PRESSED_IDLE_MIN_MS;
	return a->pressed_idle_ms;
}

void agg_sweep(struct agg *a, int64_t now_ms)
{
	int64_t pressed = agg_pressed_idle(a);

	for (int i = 0; i < AGG_NFAM; i++) {
		/* host-wide counts never go early */
		if (pressed && i != AGG_SYSCALL && i != AGG_RECORDS &&
		    pressed < a->cfg.idle_ms)
			fam_sweep_pressed(a->fam[i], now_ms, pressed);
		else
			fam_sweep(a->fam[i], now_ms, a->cfg.idle_ms);
	}
	/* cached series may be gone: a new generation empties every cache */
	memset(a->type_series, 0, sizeof(a->type_series));
	if (++a->gen == 0)
		a->gen = 1;
}

/* ---- records --------------------------------------------------------------- */

void agg_record(struct agg *a, const struct arec_hdr *h)
{
	char buf[32];
	struct fam_lv lv;
	struct fam_series *s;
	int type = h->type;
	bool cacheable = type > 0 && type < AGG_TYPE_CACHE;
	int64_t now = evclock_see(&a->clock, h->time_ms, h->serial);

	if (cacheable && a->type_series[type]) {
		fam_hit(a->fam[AGG_RECORDS], a->type_series[type], now);
		fam_inc(a->type_series[type], 1);
		return;
	}
	if (type > 0 && (lv.p = audit_msg_type_to_name(type)) != NULL) {
		lv.len = strlen(lv.p);
	} else {
		a->skipped[AGG_SKIP_UNKNOWN_TYPE]++;
		if (h->type_name && type == 0) {
			lv.p = h->type_name;
			lv.len = h->type_name_len;
		} else {
			lv.len = (size_t)snprintf(buf, sizeof(buf),
						  "UNKNOWN[%d]", type);
			lv.p = buf;
		}
	}
	s = fam_get(a->fam[AGG_RECORDS], &lv, now);
	if (!s) {
		a->skipped[AGG_SKIP_NO_MEMORY]++;
		return;
	}
	fam_inc(s, 1);
	if (cacheable)
		a->type_series[type] = s;
}

/* ---- syscall names --------------------------------------------------------- */

static enum agg_op agg_op_of(const char *name)
{
	if (!name)
		return OP_NONE;
	if (!strcmp(name, "connect"))
		return OP_CONNECT;
	if (!strcmp(name, "bind"))
		return OP_BIND;
	if (!strcmp(name, "listen"))
		return OP_LISTEN;
	if (!strcmp(name, "execve") || !strcmp(name, "execveat"))
		return OP_EXEC;
	if (!strcmp(name, "socketcall"))
		return OP_SOCKETCALL;
	return OP_NONE;
}

static void agg_name_syscall(struct agg *a, struct agg_ev *e)
{
	int machine = audit_elf_to_machine((unsigned int)e->arch);
	struct agg_sysname *c = NULL;
	const char *name;

	e->sysname = NULL;
	e->op = OP_NONE;
	if (machine < 0) {
		a->skipped[AGG_SKIP_UNKNOWN_ARCH]++;
	} else {
		if (machine < AGG_MACHINES && e->nr >= 0 &&
		    e->nr < AGG_NR_CACHE) {
			c = &a->sysnames[machine][e->nr];
			if (c->known) {
				e->sysname = c->name;
				e->op = (enum agg_op)c->op;
			}
		}
		if (!c || !c->known) {
			name = audit_syscall_to_name((int)e->nr, machine);
			e->sysname = name;
			e->op = agg_op_of(name);
			if (c) {
				c->name = name;
				c->op = (uint8_t)e->op;
				c->known = true;
			}
		}
	}
	if (!e->sysname) {
		snprintf(e->nrbuf, sizeof(e->nrbuf), "%lld", (long long)e->nr);
		e->sysname = e->nrbuf;
	}
	if (e->op == OP_SOCKETCALL) {
		/* socketcall(call, args): 2 bind, 3 connect, 4 listen; the
		 * SOCKETCALL record holds the call's own arguments */
		e->via_socketcall = true;
		switch (e->a[0]) {
		case 2:
			e->op = OP_BIND;
			break;
		case 3:
			e->op = OP_CONNECT;
			break;
		case 4:
			e->op = OP_LISTEN;
			break;
		default:
			e->op = OP_NONE;
		}
	}
}

/* ---- decoding an event ---------------------------------------------------- */

#define NAME_IS(f, lit) AREC_NAME_IS(f, lit)

static void agg_num_hex(struct agg *a, const struct arec_field *f,
			uint64_t *out)
{
	if (arec_u64_hex(f->value, f->value_len, out))
		a->errors[AGG_E_NUMBER]++;
}

static void agg_num_dec(struct agg *a, const struct arec_field *f,
			uint64_t *out)
{
	if (arec_u64_dec(f->value, f->value_len, out))
		a->errors[AGG_E_NUMBER]++;
}

static void agg_syscall_fields(struct agg *a, const struct asm_record *r,
			       struct agg_ev *e)
{
	struct arec_iter it;
	struct arec_field f;
	uint64_t u;

	arec_iter_init(&it, r->body, r->len);
	while (arec_iter_next(&it, &f)) {
		switch (f.name_len) {
		case 2:
			if (f.name[0] == 'a' && f.name[1] >= '0' &&
			    f.name[1] <= '3')
				agg_num_hex(a, &f, &e->a[f.name[1] - '0']);
			break;
		case 3:
			if (NAME_IS(&f, "pid"))
				agg_num_dec(a, &f, &e->pid);
			else if (NAME_IS(&f, "uid")) {
				e->uid = f.value;
				e->uid_len = f.value_len;
			} else if (NAME_IS(&f, "exe"))
				e->exe_len = arec_decode_string(
					&f, e->exe, sizeof(e->exe), NULL);
			else if (NAME_IS(&f, "key")) {
				bool isnull;

				e->key_len = arec_decode_string(
					&f, e->key, sizeof(e->key), &isnull);
				if (e->key_len > sizeof(e->key))
					e->key_len = sizeof(e->key);
				e->have_key = !isnull && e->key_len > 0;
			}
			break;
		case 4:
			if (NAME_IS(&f, "arch"))
				agg_num_hex(a, &f, &e->arch);
			else if (NAME_IS(&f, "exit")) {
				if (arec_i64_dec(f.value, f.value_len,
						 &e->exit) == 0)
					e->have_exit = true;
				else
					a->errors[AGG_E_NUMBER]++;
			} else if (NAME_IS(&f, "comm"))
				e->comm_len = arec_decode_string(
					&f, e->comm, sizeof(e->comm), NULL);
			break;
		case 7:
			if (NAME_IS(&f, "syscall")) {
				if (arec_u64_dec(f.value, f.value_len, &u) ||
				    u > INT32_MAX)
					a->errors[AGG_E_NUMBER]++;
				else
					e->nr = (int64_t)u;
			} else if (NAME_IS(&f, "success"))
				e->success = f.value_len == 3 &&
					     !memcmp(f.value, "yes", 3);
			break;
		default:
			break;
		}
	}
	if (e->comm_len > sizeof(e->comm))
		e->comm_len = sizeof(e->comm);
	if (e->exe_len > sizeof(e->exe))
		e->exe_len = sizeof(e->exe);
	if (it.skipped)
		a->skipped[AGG_SKIP_TOKEN] += it.skipped;
}

static void agg_aux_fields(struct agg *a, const struct asm_record *r,
			   struct agg_ev *e)
{
	struct arec_iter it;
	struct arec_field f;

	arec_iter_init(&it, r->body, r->len);
	while (arec_iter_next(&it, &f)) {
		if (r->type == AUDIT_SOCKADDR && NAME_IS(&f, "saddr")) {
			/* the SYSCALL record was read first: its arch
			 * says the byte order, wherever SOCKADDR came */
			int rc = arec_sockaddr_parse(
				f.value, f.value_len,
				arec_arch_big_endian(e->arch), &e->sa);

			if (rc == 0)
				e->have_sa = true;
			else
				a->errors[agg_err_from_arec(rc)]++;
		} else if (r->type == AUDIT_SOCKETCALL && f.name_len == 2 &&
			   f.name[0] == 'a' && f.name[1] >= '0' &&
			   f.name[1] <= '5') {
			unsigned i = (unsigned)(f.name[1] - '0');

			agg_num_hex(a, &f, &e->sc[i]);
			if (i + 1 > e->sc_n)
				e->sc_n = i + 1;
		}
	}
	if (it.skipped)
		a->skipped[AGG_SKIP_TOKEN] += it.skipped;
}

/* ---- bind table ------------------------------------------------------------ */

static struct agg_bind *agg_bind_set(struct agg *a, uint32_t pid, uint32_t fd)
{
	uint64_t h = ((uint64_t)pid << 32 | fd) * 0x9e3779b97f4a7c15ull;

	return &a->binds[(h >> 32 & (a->bind_sets - 1)) * AGG_WAYS];
}

static void agg_bind_put(struct agg *a, uint32_t pid, uint32_t fd,
			 uint8_t family, uint16_t port)
{
	struct agg_bind *set = agg_bind_set(a, pid, fd);
	struct agg_bind *victim = &set[0];

	for (int w = 0; w < AGG_WAYS; w++) {
		struct agg_bind *b = &set[w];

		if (b->used && b->pid == pid && b->fd == fd) {
			victim = b;
			break;
		}
		if (!b->used || (victim->used && b->age < victim->age))
			victim = b;
	}
	victim->pid = pid;
	victim->fd = fd;
	victim->family = family;
	victim->port = port;
	victim->used = 1;
	victim->age = ++a->bind_age;
}

static const struct agg_bind *agg_bind_get(struct agg *a, uint32_t pid,
					   uint32_t fd)
{
	struct agg_bind *set = agg_bind_set(a, pid, fd);

	for (int w = 0; w < AGG_WAYS; w++)
		if (set[w].used && set[w].pid == pid && set[w].fd == fd)
			return &set[w];
	return NULL;
}

/* ---- metric updates -------------------------------------------------------- */

/* ---- series caches (see the design comment) ------------------------------- */

static uint32_t agg_fnv(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

/* The cache entry of this event's (comm, uid), claimed for it if it held
 * another or an older generation; NULL when they are too long to cache. */
static struct agg_pcache *agg_pentry(struct agg *a, const struct agg_ev *e)
{
	size_t ul = e->uid ? e->uid_len : 0;
	struct agg_pcache *pc;
	uint32_t h;

	if (e->comm_len > AGG_CCOMM || ul > AGG_CUID)
		return NULL;
	h = agg_fnv(2166136261u, e->comm, e->comm_len);
	h = agg_fnv(h, "\xff", 1);
	h = agg_fnv(h, e->uid, ul);
	pc = &a->pcache[h & (AGG_PCACHE - 1)];
	if (pc->gen == a->gen && pc->comm_len == e->comm_len &&
	    pc->uid_len == ul && !memcmp(pc->comm, e->comm, e->comm_len) &&
	    (ul == 0 || !memcmp(pc->uid, e->uid, ul)))
		return pc;
	memset(pc, 0, sizeof(*pc));
	pc->gen = a->gen;
	pc->comm_len = (uint8_t)e->comm_len;
	pc->uid_len = (uint8_t)ul;
	memcpy(pc->comm, e->comm, e->comm_len);
	if (ul)
		memcpy(pc->uid, e->uid, ul);
	return pc;
}

/* The series in *slot if cached (stamped, fold counted), else a lookup
 * that fills the slot. slot may be NULL (no cache). */
static struct fam_series *agg_cached(struct agg *a, enum agg_fam which,
				     struct fam_series **slot,
				     const struct fam_lv *lv, int64_t t)
{
	struct fam_series *s = slot ? *slot : NULL;

	if (s) {
		fam_hit(a->fam[which], s, t);
		return s;
	}
	s = fam_get(a->fam[which], lv, t);
	if (slot)
		*slot = s;
	return s;
}

/* One more for the counter of lv, through a cache slot (may be NULL). */
static void agg_count(struct agg *a, enum agg_fam which,
		      struct fam_series **slot, const struct fam_lv *lv,
		      int64_t t)
{
	struct fam_series *s = agg_cached(a, which, slot, lv, t);

	if (s)
		fam_inc(s, 1);
	else
		a->skipped[AGG_SKIP_NO_MEMORY]++;
}

/* One more item in the sketch of a windowed series (NULL: not had). */
static void agg_add_item(struct agg *a, enum agg_fam which,
			 struct fam_series *s, uint64_t h, int64_t t)
{
	if (!s || fam_add_item(a->fam[which], s, h, t) < 0)
		a->skipped[AGG_SKIP_NO_MEMORY]++;
}

/* The syscall counter's cache slot for this event, or NULL. */
static struct fam_series **agg_sentry(struct agg *a, const struct agg_ev *e,
				      const char *keys, size_t klen)
{
	struct agg_scache *sc;
	uint32_t h;

	if (e->sysname == e->nrbuf || klen > AGG_CKEY)
		return NULL;
	h = agg_fnv(2166136261u, &e->sysname, sizeof(e->sysname));
	h = agg_fnv(h, &e->success, sizeof(e->success));
	h = agg_fnv(h, keys, klen);
	sc = &a->scache[h & (AGG_SCACHE - 1)];
	if (sc->gen != a->gen || sc->sysname != e->sysname ||
	    sc->success != e->success || sc->key_len != klen ||
	    memcmp(sc->key, keys, klen)) {
		sc->gen = a->gen;
		sc->sysname = e->sysname;
		sc->success = e->success;
		sc->key_len = (uint8_t)klen;
		memcpy(sc->key, keys, klen);
		sc->series = NULL;
	}
	return &sc->series;
}

static void agg_unique(struct agg *a, const struct agg_ev *e,
		       const struct fam_lv *who, struct agg_pcache *pc)
{
	uint8_t buf[19];
	size_t n = 3;
	uint64_t h;
	struct fam_series *s;

	buf[0] = (uint8_t)e->sa.family;
	buf[1] = (uint8_t)(e->sa.port >> 8);
	buf[2] = (uint8_t)e->sa.port;
	memcpy(buf + 3, e->sa.addr, e->sa.family == AREC_AF_INET ? 4 : 16);
	n += e->sa.family == AREC_AF_INET ? 4 : 16;
	h = hash_siphash24(&a->cfg.sketch_key, buf, n);
	if (a->gen_host != a->gen) {
		a->host = NULL;
		a->gen_host = a->gen;
	}
	s = agg_cached(a, AGG_UNIQUE_HOST, &a->host, NULL, e->t);
	agg_add_item(a, AGG_UNIQUE_HOST, s, h, e->t);
	s = agg_cached(a, AGG_UNIQUE_PROC, pc ? &pc->proc : NULL, who, e->t);
	agg_add_item(a, AGG_UNIQUE_PROC, s, h, e->t);
}

/* Index into agg_family_labels: netlink and anything else are other. */
static unsigned agg_family(enum arec_family f)
{
	return f <= AREC_AF_UNIX ? (unsigned)f : AGG_NFAMILY - 1;
}

/* Index into agg_result_labels. */
static unsigned agg_result(const struct agg_ev *e)
{
	if (e->success == 1)
		return 0;
	if (e->have_exit && e->exit == -115) /* EINPROGRESS */
		return 1;
	return 2;
}

static bool agg_is_watch_key(struct agg *a, const struct agg_ev *e,
			     const char *k, size_t len)
{
	if (a->cfg.watch_fn)
		return a->cfg.watch_fn(a->cfg.watch_arg, k, len);
	return e->npath > 0 && e->op == OP_NONE;
}

#define LV(s) ((struct fam_lv){ (s), strlen(s) })

static void agg_syscall_event(struct agg *a, struct agg_ev *e)
{
	struct fam_lv comm = { e->comm, e->comm_len };
	struct fam_lv uid = { e->uid ? e->uid : "", e->uid ? e->uid_len : 0 };
	char keys[AGG_KEY_MAX];
	uint64_t fd;
	bool have_fd;

	agg_name_syscall(a, e);
	/* rule keys arrive joined by 0x01; labels join them with commas */
	for (size_t i = 0; i < e->key_len; i++)
		keys[i] = e->key[i] == AUDIT_KEY_SEPARATOR ? ',' : e->key[i];
	{
		size_t klen = e->have_key ? e->key_len : 0;
		struct fam_lv lv[3] = {
			LV(e->sysname),
			{ keys, klen },
			LV(e->success == 1   ? "yes"
			   : e->success == 0 ? "no"
					     : ""),
		};

		agg_count(a, AGG_SYSCALL, agg_sentry(a, e, keys, klen), lv,
			  e->t);
	}
	/* a socketcall without its SOCKETCALL record (older kernels): the
	 * call is known from a0, but its arguments, a1 a pointer to them,
	 * are not; the connect and the listen count as they do without a
	 * SOCKADDR record or a remembered bind */
	have_fd = !e->via_socketcall || e->sc_n > 0;
	fd = e->via_socketcall ? e->sc[0] : e->a[0];
	switch (e->op) {
	case OP_CONNECT: {
		enum arec_family fam = e->have_sa ? e->sa.family
						  : AREC_AF_OTHER;
		unsigned fi = agg_family(fam), ri = agg_result(e);
		struct fam_lv lv[4] = {
			comm,
			uid,
			LV(agg_family_labels[fi]),
			LV(agg_result_labels[ri]),
		};
		struct agg_pcache *pc = agg_pentry(a, e);

		agg_count(a, AGG_CONNECT, pc ? &pc->connect[fi][ri] : NULL, lv,
			  e->t);
		if (fam == AREC_AF_INET || fam == AREC_AF_INET6) {
			struct fam_lv who[2] = { comm, uid };

			agg_unique(a, e, who, pc);
		}
		break;
	}
	case OP_BIND:
		if (e->success == 1 && e->have_sa && have_fd)
			agg_bind_put(a, (uint32_t)e->pid, (uint32_t)fd,
				     (uint8_t)e->sa.family, e->sa.port);
		break;
	case OP_LISTEN:
		if (e->success == 1) {
			const struct agg_bind *b =
				have_fd ? agg_bind_get(a, (uint32_t)e->pid,
						       (uint32_t)fd)
					: NULL;
			char port[8] = "unknown";
			const char *family = "unknown";

			if (b) {
				family = agg_family_labels[agg_family(
					(enum arec_family)b->family)];
				if (b->family == AREC_AF_INET ||
				    b->family == AREC_AF_INET6)
					snprintf(port, sizeof(port), "%u",
						 b->port);
				else
					port[0] = 0;
			}
			struct fam_lv lv[4] = { comm, uid, LV(family),
						LV(port) };

			agg_count(a, AGG_LISTEN, NULL, lv, e->t);
		}
		break;
	case OP_EXEC:
		if (e->success == 1) {
			struct fam_lv lv[2] = { { e->exe, e->exe_len }, uid };

			agg_count(a, AGG_EXECVE, NULL, lv, e->t);
		}
		break;
	default:
		break;
	}
	/* watch hits: once per watch key of the event */
	for (size_t s = 0, i = 0; e->have_key && i <= e->key_len; i++) {
		if (i < e->key_len && e->key[i] != AUDIT_KEY_SEPARATOR)
			continue;
		if (i > s && agg_is_watch_key(a, e, e->key + s, i - s)) {
			struct fam_lv lv[3] = { { e->key + s, i - s },
						comm,
						uid };

			agg_count(a, AGG_WATCH, NULL, lv, e->t);
		}
		s = i + 1;
	}
}

void agg_event(void *arg, const struct asm_event *ev)
{
	struct agg *a = arg;
	const struct asm_record *sys = NULL;
	struct agg_ev e;
	bool syscall_parts = false;
	/* the records moved the clock (agg_record); an event stamped beyond
	 * it (a leap not yet confirmed, an absurd stamp) counts at the clock,
	 * so that it cannot empty the windows */
	int64_t now = ev->time_ms > a->clock.now
			      ? evclock_see(&a->clock, ev->time_ms, ev->serial)
			      : a->clock.now;
	int64_t at = ev->time_ms < now ? ev->time_ms : now;

	for (unsigned i = 0; i < ev->nrec; i++) {
		int t = ev->rec[i].type;

		if (t == AUDIT_SYSCALL && !sys)
			sys = &ev->rec[i];
		else if (t == AUDIT_SOCKADDR || t == AUDIT_PATH ||
			 t == AUDIT_EXECVE || t == AUDIT_CWD)
			syscall_parts = true;
	}
	if (!sys) {
		if (syscall_parts)
			a->skipped[AGG_SKIP_NO_SYSCALL]++;
		return;
	}
	memset(&e, 0, offsetof(struct agg_ev, sa));
	e.success = -1;
	e.t = at;
	agg_syscall_fields(a, sys, &e);
	for (unsigned i = 0; i < ev->nrec; i++) {
		int t = ev->rec[i].type;

		if (t == AUDIT_SOCKADDR || t == AUDIT_SOCKETCALL)
			agg_aux_fields(a, &ev->rec[i], &e);
		else if (t == AUDIT_PATH)
			e.npath++;
	}
	agg_syscall_event(a, &e);
}
