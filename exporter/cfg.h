/* cfg: command-line flags. See cfg.c. */
#ifndef AE_EXPORTER_CFG_H
#define AE_EXPORTER_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CFG_MAX_LISTEN 8
#define CFG_MAX_ARGFILES 8
#define CFG_MAX_WINDOWS 8
#define CFG_MAX_COLLECTORS 16 /* COLL_MAX (collectors/collector.h) */

enum cfg_source {
	CFG_UNICAST,
	CFG_MULTICAST,
	CFG_STDIN,
	CFG_FILE,
	CFG_PLUGIN,
};
#define CFG_NSOURCE (CFG_PLUGIN + 1)

/* Whether the exporter asks the kernel (sock_diag) and /proc/PID about
 * the sockets of events: a live source (plugin included: its events are
 * this host's) with --audit.resolve-sockets. */
struct cfg;
bool cfg_resolves(const struct cfg *c);

/* stdin, file and plugin read audit.log text (the events' own clock); the
 * others read the kernel's netlink socket. */
static inline bool cfg_source_is_text(enum cfg_source s)
{
	return s == CFG_STDIN || s == CFG_FILE || s == CFG_PLUGIN;
}
/* stdin and file are replays: a log from anywhere, so its own (ENRICHED)
 * names only and nothing asked of this host. plugin is auditd's live feed
 * of this host: names through this host's NSS, kernel lookups allowed. */
static inline bool cfg_source_is_replay(enum cfg_source s)
{
	return s == CFG_STDIN || s == CFG_FILE;
}
/* A live text feed (plugin, and stdin, which may be one): its clock also
 * moves with wall time while the input is idle. */
static inline bool cfg_source_is_feed(enum cfg_source s)
{
	return s == CFG_STDIN || s == CFG_PLUGIN;
}

struct cfg {
	const char *listen[CFG_MAX_LISTEN];
	unsigned nlisten;
	const char *telemetry_path;
	const char *web_config_file;
	unsigned max_requests;
	unsigned max_connections; /* per listen address */
	unsigned max_connections_per_ip; /* 0: no limit */
	int64_t connection_timeout_ms; /* idle connections; >= 1s */
	int64_t read_timeout_ms; /* a request must arrive in it; >= 100ms */
	bool disable_exporter_metrics;

	enum cfg_source source;
	const char *audit_file;
	const char *rules_file; /* NULL: the bundled rules */
	bool load_rules;
	/* --audit.resolve-sockets: a live source may ask the kernel and
	 * /proc about the sockets in events (cfg_resolves) */
	bool resolve_sockets;
	uint32_t backlog_limit;
	int64_t backlog_wait_ms;
	int rcvbuf;
	int64_t event_timeout_ms;
	unsigned max_inflight;
	unsigned priority_boost;
	bool once;

	int64_t windows_ms[CFG_MAX_WINDOWS];
	char window_names[CFG_MAX_WINDOWS][16];
	unsigned nwindows;
	const char *sketch_key_file;
	unsigned host_p, proc_p;
	bool export_registers;
	unsigned export_p;

	unsigned max_series;
	unsigned users_max; /* --collector.users.max */
	const char *baseline_file; /* "": memory only */
	int64_t baseline_learning_ms, baseline_save_ms;
	unsigned baseline_max;
	int64_t outcome_delay_ms; /* --collector.connect_outcome.delay */
	unsigned dest_max; /* --collector.destinations.max */
	int64_t dest_horizon_ms; /* --collector.destinations.horizon */
	size_t memory_limit; /* bytes (metrics/budget) */
	int64_t idle_ms;
	bool collector[CFG_MAX_COLLECTORS]; /* by coll_table index */

	const char *log_level;
	const char *log_format;
	const char *runas_user;

	/* what @FILE arguments brought in; freed by cfg_free */
	char *texts[CFG_MAX_ARGFILES];
	unsigned ntexts;
	char **owned_argv;
};

/* Overwrites c from argv (an argument @FILE reads more, one per line).
 * Returns 0 to run, 1 when --help or --version was answered (printed to
 * out), or 2 for a bad flag (message on err). Values point into argv or
 * into @FILE text owned by c: call cfg_free when done with c, whatever the
 * result. */
int cfg_parse(struct cfg *c, int argc, char **argv, FILE *out, FILE *err);
/* Frees what @FILE arguments allocated. */
void cfg_free(struct cfg *c);
const char *cfg_source_name(enum cfg_source s);
struct kaudit_opts;
/* The audit side's options for a netlink source (unicast or multicast),
 * from c's flags, with its messages going to the exporter's log. */
void cfg_kaudit_opts(const struct cfg *c, struct kaudit_opts *o);
/* Parses a Prometheus-style duration ("90s", "5m", "1h30m", "1d",
 * "250ms"); 0 or -EINVAL. */
int cfg_duration(const char *s, int64_t *ms);

#endif
