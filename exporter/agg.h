/* agg: hands records and decoded events to the collectors. See agg.c. */
#ifndef AE_EXPORTER_AGG_H
#define AE_EXPORTER_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exporter/users.h"
#include "metrics/fam.h"
#include "metrics/hash.h"
#include "netlink/asm.h"

/* Input that could not be parsed, or was understood and not used. */
enum agg_err {
	AGG_E_HEADER,
	AGG_E_TYPE,
	AGG_E_NUL,
	AGG_E_HEX,
	AGG_E_SOCKADDR,
	AGG_E_NUMBER,
	AGG_E_LINE_TOO_LONG,
	AGG_E_DATAGRAM, /* netlink: larger than a receive slot (nl_stats) */
	AGG_E_SHORT_DATAGRAM, /* netlink: shorter than its header (nl_stats) */
	AGG_NERR,
};
enum agg_skip {
	AGG_SKIP_UNKNOWN_TYPE, /* a record type libaudit does not name */
	AGG_SKIP_UNKNOWN_ARCH, /* a syscall arch libaudit does not know */
	AGG_SKIP_TOKEN, /* a token that is not name=value */
	AGG_SKIP_NO_SYSCALL, /* a syscall event without its SYSCALL record */
	/* one metric update lost: no memory for a new label set or for a
	 * sketch to grow */
	AGG_SKIP_NO_MEMORY,
	/* a uid the users collector could not hold (--collector.users.max) */
	AGG_SKIP_USERS_FULL,
	AGG_NSKIP,
};
const char *agg_err_name(enum agg_err e);
/* The error class of a parser result (netlink/arec AREC_E_*): header for
 * any the parser does not name otherwise. */
enum agg_err agg_err_from_arec(int rc);
const char *agg_skip_name(enum agg_skip s);

/* Decides whether a rule key belongs to a file-watch rule. */
typedef bool (*agg_watch_fn)(void *arg, const char *key, size_t len);

struct listener_ops;

struct agg_config {
	unsigned series_cap; /* label sets per family before folding */
	int64_t idle_ms; /* drop label sets idle this long (0: never) */
	/* the windows the unique-count gauges are read for; the longest is
	 * how long their sketches keep an item */
	unsigned nwindows;
	int64_t windows_ms[FAM_MAX_WINDOWS];
	unsigned host_p, proc_p; /* sketch precisions */
	struct hash_key sketch_key; /* destination hashing (fleet-shareable) */
	struct hash_key table_key; /* label-set tables (private, random) */
	unsigned bind_slots; /* (pid, fd) -> port entries remembered */
	/* label sets and sketches are charged to it (NULL: no budget);
	 * agg_new reserves there what host-wide counts need */
	struct budget *budget;
	/* watch keys: when watch_fn is NULL, a keyed event with PATH records
	 * that is not a network or exec call counts as a watch hit */
	agg_watch_fn watch_fn;
	void *watch_arg;
	/* the users collector: uids held at most (0: 1024), and who names
	 * them: in a replay (a text log from elsewhere) only the log's
	 * ENRICHED names, else users_fn (NULL: this host's NSS) */
	unsigned users_max;
	bool replay;
	/* the events are this host's, now, and the exporter may ask the
	 * kernel and /proc/PID about their sockets (cfg_resolves) */
	bool resolve;
	/* with resolve: how listeners are asked of the kernel (NULL: /proc
	 * and sock_diag; the tests' fakes otherwise) */
	const struct listener_ops *listener_ops;
	/* connect_outcome: how long after a non-blocking connect its socket
	 * is first looked up (--collector.connect_outcome.delay) */
	int64_t outcome_delay_ms;
	users_resolve_fn users_fn;
	void *users_arg;
	/* the baseline collector (docs/BASELINE.md): its file (NULL or "":
	 * memory only), learning period and save interval (ms), items per
	 * kind */
	const char *baseline_file;
	int64_t baseline_learning_ms, baseline_save_ms;
	unsigned baseline_max;
	/* the destinations collector: entries at most (0: 2000) and how
	 * long an entry lives unseen (0: 1h) */
	unsigned dest_max;
	int64_t dest_horizon_ms;
	/* bit i: the collector coll_table[i] is off (never initialised nor
	 * called, no families); 0: all on */
	uint32_t disabled;
};

struct agg;

/* Returns NULL with errno set: EINVAL when cfg->budget's limit cannot
 * hold the reserve of the host-wide counts, ENOMEM. */
struct agg *agg_new(const struct agg_config *cfg);
void agg_free(struct agg *a);

/* Every record, as it arrives: its time moves the event clock, and it goes
 * to the collectors that consume records. */
void agg_record(struct agg *a, const struct arec_hdr *h);
/* One assembled event (an asm_event_cb: arg is the agg): decoded once
 * (netlink/event) and handed to the collectors that consume its class. */
void agg_event(void *arg, const struct asm_event *ev);
void agg_error(struct agg *a, enum agg_err e);
void agg_skip(struct agg *a, enum agg_skip s, uint64_t n);
/* The collectors' periodic work (coll_def.tick), at now_ms on the
 * source's clock: after each batch of input and when idle. */
void agg_tick(struct agg *a, int64_t now_ms);
/* The soonest time (the tick's clock) a collector asked to be ticked
 * again at its last agg_tick (coll_wake); INT64_MAX: none asked. */
int64_t agg_wake(const struct agg *a);
/* Sweeps idle label sets; the caller guarantees no scrape holds rows. */
void agg_sweep(struct agg *a, int64_t now_ms);
/* Changes how watch keys are recognised (e.g. after a rules reload). */
void agg_set_watch(struct agg *a, agg_watch_fn fn, void *arg);

/* The families of collector coll (an index into coll_table), in its
 * order; NULL when it is off. */
struct fam *const *agg_coll_fams(const struct agg *a, unsigned coll);
/* What collector coll's init kept (coll_def.init); NULL when it is off
 * or keeps nothing. */
void *agg_coll_state(const struct agg *a, unsigned coll);
/* The family named name (its fam_desc name), NULL if no collector that
 * is on owns it. */
struct fam *agg_fam_named(const struct agg *a, const char *name);
uint64_t agg_errors(const struct agg *a, enum agg_err e);
uint64_t agg_skipped(const struct agg *a, enum agg_skip s);
/* The event clock (ms): the newest record time seen, robust to a lone
 * absurd stamp (exporter/evclock.c); INT64_MIN before the first record. */
int64_t agg_clock(const struct agg *a);
/* Moves the event clock on to now_ms, known good (a live plugin's input
 * was idle while wall time passed); never back. */
void agg_clock_advance(struct agg *a, int64_t now_ms);

#endif
