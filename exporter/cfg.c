/*
 * cfg: command-line flags, the way node_exporter users know them.
 *
 * Flags are dotted and long: `--web.listen-address=:10043` or
 * `--web.listen-address :10043`; booleans are `--once` / `--no-once`;
 * collectors are switched with `--collector.NAME` / `--no-collector.NAME`.
 * `--web.listen-address` may be repeated. An argument `@FILE` reads more
 * arguments from FILE, one per line (blank lines and # comments skipped),
 * as kingpin does: auditd passes a plugin at most two arguments. Every
 * value is checked here, so
 * a bad flag or value ends the process with a message naming it and exit
 * code 2 before anything touches the kernel.
 *
 * The table below is the single description of every flag: the parser, the
 * --help text and the defaults all come from it.
 */
#include "exporter/cfg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "exporter/collectors/collector.h"
#include "exporter/log.h"
#include "metrics/fam.h"
#include "metrics/recent.h"
#include "netlink/kaudit.h"

/* K_BYTES: an int of min..max bytes; K_SIZE: a size_t of at least min */
enum cfg_kind {
	K_STR,
	K_UINT,
	K_BOOL,
	K_DUR,
	K_BYTES,
	K_SIZE,
	K_LIST,
	K_SPECIAL
};

struct cfg_flag {
	const char *name;
	enum cfg_kind kind;
	const char *def; /* default, as text */
	const char *help;
	size_t off; /* offset in struct cfg; unused for K_SPECIAL */
	unsigned min, max;
};

#define OFF(f) offsetof(struct cfg, f)

static const struct cfg_flag cfg_flags[] = {
	{ "web.listen-address", K_LIST, ":10043",
	  "Address to serve metrics on, [host]:port (repeatable; [::]:port for "
	  "IPv6).",
	  OFF(listen), 0, 0 },
	{ "web.telemetry-path", K_STR, "/metrics",
	  "Path under which to expose metrics.", OFF(telemetry_path), 0, 0 },
	{ "web.config.file", K_STR, "",
	  "Path to a web configuration file (TLS, basic auth, headers) in the "
	  "exporter-toolkit format.",
	  OFF(web_config_file), 0, 0 },
	{ "web.max-requests", K_UINT, "40",
	  "Maximum number of scrape requests waiting for a render (one "
	  "render serves all that wait); more get 503 at once (0: no "
	  "limit).",
	  OFF(max_requests), 0, 100000 },
	{ "web.max-connections", K_UINT, "1024",
	  "Maximum number of open connections per listen address; a new one "
	  "beyond it closes the one that has waited longest (not one being "
	  "answered).",
	  OFF(max_connections), 1, 1000000 },
	{ "web.max-connections-per-ip", K_UINT, "256",
	  "Maximum number of open connections from one client address (0: "
	  "no limit, e.g. behind a proxy).",
	  OFF(max_connections_per_ip), 0, 1000000 },
	{ "web.connection-timeout", K_DUR, "30s",
	  "Close a connection idle for this long (whole seconds, at least "
	  "1s).",
	  OFF(connection_timeout_ms), 0, 0 },
	{ "web.read-timeout", K_DUR, "10s",
	  "A request (line, headers and body; the TLS handshake of a new "
	  "connection too) must arrive within this, or its connection is "
	  "closed (at least 100ms).",
	  OFF(read_timeout_ms), 0, 0 },
	{ "web.disable-exporter-metrics", K_BOOL, "false",
	  "Exclude metrics about the exporter process itself (process_*).",
	  OFF(disable_exporter_metrics), 0, 0 },
	{ "audit.source", K_SPECIAL, "unicast",
	  "Where audit records come from: unicast (become the audit daemon), "
	  "multicast (read-only beside auditd), plugin (auditd's live feed "
	  "on stdin: this host's user names), stdin (a replay piped in, "
	  "audit.log text), file (replay --audit.file).",
	  0, 0, 0 },
	{ "audit.file", K_STR, "",
	  "Audit log to replay with --audit.source=file.", OFF(audit_file), 0,
	  0 },
	{ "audit.rules.file", K_STR, "",
	  "Audit rules (auditctl syntax) loaded at start and removed at exit "
	  "(default: the bundled rules). Text sources only read it to learn "
	  "the file-watch keys.",
	  OFF(rules_file), 0, 0 },
	{ "audit.rules.load", K_BOOL, "true",
	  "Load the rules into the kernel (unicast and multicast sources).",
	  OFF(load_rules), 0, 0 },
	{ "audit.resolve-sockets", K_BOOL, "true",
	  "Live sources (plugin included): ask the kernel (sock_diag) and "
	  "/proc/PID about the "
	  "sockets of events, for what the records cannot say (a listener's "
	  "real port, a process's network namespace). Keeps CAP_SYS_PTRACE "
	  "and CAP_DAC_READ_SEARCH in the reader thread after the privilege "
	  "drop; --no-audit.resolve-sockets drops them and reads the records "
	  "only.",
	  OFF(resolve_sockets), 0, 0 },
	{ "audit.backlog-limit", K_UINT, "131072",
	  "Kernel audit backlog limit set while the exporter is the audit "
	  "daemon (records queued in the kernel; restored at exit).",
	  OFF(backlog_limit), 1, 1u << 30 },
	{ "audit.backlog-wait-time", K_DUR, "0s",
	  "How long the kernel may make a process wait when the backlog is "
	  "full before it drops the record (0: never stall a process; the "
	  "record is lost and counted instead).",
	  OFF(backlog_wait_ms), 0, 0 },
	{ "audit.socket-buffer", K_BYTES, "64MiB",
	  "Receive buffer of the audit socket.", OFF(rcvbuf), 65536, 1u << 30 },
	{ "audit.event-timeout", K_DUR, "2s",
	  "Flush an event this long after its first record when its EOE "
	  "record does not come.",
	  OFF(event_timeout_ms), 0, 0 },
	{ "audit.max-inflight", K_UINT, "1024",
	  "Events assembled at once at most; the oldest is flushed beyond.",
	  OFF(max_inflight), 16, 1u << 20 },
	{ "audit.priority-boost", K_UINT, "4",
	  "Raise the priority of the thread that reads audit records by this "
	  "much (nice -N), as auditd's priority_boost does, so that intake "
	  "keeps up when the host is busy; scrapes keep normal priority.",
	  OFF(priority_boost), 0, 20 },
	{ "once", K_BOOL, "false",
	  "Text sources: when the input ends, print the exposition to stdout "
	  "and exit.",
	  OFF(once), 0, 0 },
	{ "window", K_SPECIAL, "5m,1h,24h",
	  "Sliding windows of the unique-count gauges, comma separated.", 0, 0,
	  0 },
	{ "sketch.key-file", K_STR, "/var/lib/audit_exporter/sketch.key",
	  "File with the 128-bit key that hashes destinations; created if "
	  "absent. Share it across hosts for fleet-wide unique counts.",
	  OFF(sketch_key_file), 0, 0 },
	{ "sketch.host-precision", K_UINT, "14",
	  "HyperLogLog precision of the host-wide sketch (2^p registers).",
	  OFF(host_p), 4, 18 },
	{ "sketch.process-precision", K_UINT, "12",
	  "HyperLogLog precision of the per-process sketches.", OFF(proc_p), 4,
	  18 },
	{ "sketch.export-registers", K_BOOL, "false",
	  "Export the host-wide sketch registers (folded to "
	  "--sketch.export-precision) for fleet-wide counts in PromQL.",
	  OFF(export_registers), 0, 0 },
	{ "sketch.export-precision", K_UINT, "8",
	  "Precision of the exported registers.", OFF(export_p), 4, 12 },
	{ "metrics.max-series", K_UINT, "10000",
	  "Label sets per metric before new ones fold into __other__ (0: no "
	  "cap).",
	  OFF(max_series), 0, 1u << 24 },
	{ "collector.users.max", K_UINT, "1024",
	  "uids the users collector names at most (audit_user_info); more "
	  "are counted as skipped (users_full). Its table is taken at start.",
	  OFF(users_max), 1, 1u << 20 },
	{ "baseline.file", K_STR, "/var/lib/audit_exporter/baseline",
	  "Where the first-seen baseline is kept ('' keeps it in memory "
	  "only). A replay (--audit.source=file) keeps it in memory unless "
	  "this flag is given.",
	  OFF(baseline_file), 0, 0 },
	{ "baseline.learning-period", K_DUR, "1h",
	  "How long a fresh baseline learns silently before it counts what "
	  "is new.",
	  OFF(baseline_learning_ms), 0, 0 },
	{ "baseline.max-items", K_UINT, "65536",
	  "Items per kind (listeners, destinations, programs) the baseline "
	  "holds; its tables are taken at start.",
	  OFF(baseline_max), 1, 1u << 24 },
	{ "baseline.save-interval", K_DUR, "5m",
	  "How often the baseline is written to --baseline.file (and at "
	  "exit; at least 1s).",
	  OFF(baseline_save_ms), 0, 0 },
	{ "collector.connect_outcome.delay", K_DUR, "2ms",
	  "How long after a non-blocking connect() its socket is first looked "
	  "up through sock_diag (live sources). Short-lived clients close "
	  "within milliseconds, so a longer delay resolves fewer; a lookup "
	  "walks every TCP connection, so batches are also spaced by their "
	  "measured cost.",
	  OFF(outcome_delay_ms), 0, 0 },
	{ "collector.destinations.max", K_UINT, "2000",
	  "Destinations the per-destination table holds at most "
	  "(audit_connect_recent_total series); the least recently seen is "
	  "evicted beyond, counted. Its table is taken at start.",
	  OFF(dest_max), 1, RECENT_CAP_MAX },
	{ "collector.destinations.horizon", K_DUR, "1h",
	  "A destination unseen for this long leaves the per-destination "
	  "table (its series ends).",
	  OFF(dest_horizon_ms), 0, 0 },
	{ "metrics.memory-limit", K_SIZE, "256MiB",
	  "Memory for everything the host's activity grows (label sets, "
	  "sketches, open events); beyond it label sets fold into __other__ "
	  "and open events are truncated, counted. Host-wide counts are "
	  "never refused.",
	  OFF(memory_limit), 1u << 20, 0 },
	{ "metrics.idle-timeout", K_DUR, "24h",
	  "Drop label sets not updated for this long (0: never). A replay "
	  "(--audit.source=file, or --once) keeps every label set unless "
	  "this flag is given: its counters are the whole log's totals.",
	  OFF(idle_ms), 0, 0 },
	{ "log.level", K_STR, "info", "Log level: debug, info, warn, error.",
	  OFF(log_level), 0, 0 },
	{ "log.format", K_STR, "logfmt", "Log format: logfmt or json.",
	  OFF(log_format), 0, 0 },
	{ "runas.user", K_STR, "nobody",
	  "After opening the audit socket and loading rules as root, run as "
	  "this user with only the audit capabilities ('' keeps root).",
	  OFF(runas_user), 0, 0 },
};
#define CFG_NFLAGS (sizeof(cfg_flags) / sizeof(cfg_flags[0]))

_Static_assert(CFG_MAX_COLLECTORS == COLL_MAX, "one collector flag each");

/* The collectors' names, as a list: "connect, listen, ..." */
static void cfg_collector_names(FILE *out)
{
	for (unsigned i = 0; i < coll_n; i++)
		fprintf(out, "%s%s", i ? ", " : "", coll_table[i]->name);
}

bool cfg_resolves(const struct cfg *c)
{
	return c->resolve_sockets && !cfg_source_is_replay(c->source);
}

const char *cfg_source_name(enum cfg_source s)
{
	static const char *const names[CFG_NSOURCE] = { "unicast", "multicast",
							"stdin", "file",
							"plugin" };

	return (unsigned)s < CFG_NSOURCE ? names[s] : "unknown";
}

int cfg_duration(const char *s, int64_t *ms)
{
	static const struct {
		const char *unit;
		int64_t ms;
	} units[] = { { "ms", 1 },	   { "s", 1000 },
		      { "m", 60000 },	   { "h", 3600000 },
		      { "d", 86400000 },   { "w", 604800000 },
		      { "y", 31536000000 } };
	int64_t total = 0;

	if (!s || !*s)
		return -EINVAL;
	if (!strcmp(s, "0")) {
		*ms = 0;
		return 0;
	}
	while (*s) {
		char *end;
		unsigned long long v;
		size_t k;

		if (*s < '0' || *s > '9')
			return -EINVAL;
		errno = 0;
		v = strtoull(s, &end, 10);
		if (errno || end == s)
			return -EINVAL;
		for (k = 0; k < sizeof(units) / sizeof(units[0]); k++) {
			size_t n = strlen(units[k].unit);

			/* "ms" is tried before "m" */
			if (!strncmp(end, units[k].unit, n))
				break;
		}
		if (k == sizeof(units) / sizeof(units[0]))
			return -EINVAL;
		if (v > (unsigned long long)(INT64_MAX / units[k].ms) ||
		    total > INT64_MAX - (int64_t)v * units[k].ms)
			return -EINVAL;
		total += (int64_t)v * units[k].ms;
		s = end + strlen(units[k].unit);
	}
	*ms = total;
	return 0;
}

static int cfg_bytes(const char *s, unsigned long long *out)
{
	static const struct {
		const char *unit;
		unsigned long long mul;
	} units[] = { { "", 1 },
		      { "B", 1 },
		      { "KiB", 1ull << 10 },
		      { "MiB", 1ull << 20 },
		      { "GiB", 1ull << 30 },
		      { "KB", 1000 },
		      { "MB", 1000000 },
		      { "GB", 1000000000 } };
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	for (size_t k = 0; k < sizeof(units) / sizeof(units[0]); k++)
		if (!strcmp(end, units[k].unit)) {
			if (v > ~0ull / units[k].mul)
				return -EINVAL;
			*out = v * units[k].mul;
			return 0;
		}
	return -EINVAL;
}

static int cfg_windows(struct cfg *c, const char *list, FILE *err)
{
	char buf[256];
	char *save = NULL, *tok;

	if (strlen(list) >= sizeof(buf)) {
		fprintf(err, "--window: list too long\n");
		return -EINVAL;
	}
	strcpy(buf, list);
	c->nwindows = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		int64_t ms;

		while (*tok == ' ')
			tok++;
		if (cfg_duration(tok, &ms) || ms <= 0 ||
		    strlen(tok) >= sizeof(c->window_names[0])) {
			fprintf(err, "--window: bad duration '%s'\n", tok);
			return -EINVAL;
		}
		if (ms > INT64_C(2147483647)) {
			fprintf(err,
				"--window: '%s' is longer than the "
				"longest supported window (24 days)\n",
				tok);
			return -EINVAL;
		}
		if (c->nwindows == CFG_MAX_WINDOWS) {
			fprintf(err, "--window: at most %d windows\n",
				CFG_MAX_WINDOWS);
			return -EINVAL;
		}
		for (unsigned i = 0; i < c->nwindows; i++)
			if (c->windows_ms[i] == ms) {
				fprintf(err, "--window: '%s' given twice\n",
					tok);
				return -EINVAL;
			}
		c->windows_ms[c->nwindows] = ms;
		strcpy(c->window_names[c->nwindows], tok);
		c->nwindows++;
	}
	if (!c->nwindows) {
		fprintf(err, "--window: no window given\n");
		return -EINVAL;
	}
	return 0;
}

static int cfg_set(struct cfg *c, const struct cfg_flag *f, const char *v,
		   FILE *err)
{
	char *p = (char *)c + f->off;
	char *end;
	unsigned long long u;
	int64_t ms;

	switch (f->kind) {
	case K_STR:
		*(const char **)p = v;
		return 0;
	case K_LIST:
		if (c->nlisten == CFG_MAX_LISTEN) {
			fprintf(err, "--%s: at most %d addresses\n", f->name,
				CFG_MAX_LISTEN);
			return -EINVAL;
		}
		c->listen[c->nlisten++] = v;
		return 0;
	case K_UINT:
		errno = 0;
		u = strtoull(v, &end, 10);
		if (errno || end == v || *end || *v == '-' || u < f->min ||
		    u > f->max) {
			fprintf(err,
				"--%s: '%s' is not a whole number in "
				"[%u, %u]\n",
				f->name, v, f->min, f->max);
			return -EINVAL;
		}
		*(unsigned *)p = (unsigned)u;
		return 0;
	case K_BOOL:
		if (!strcmp(v, "true") || !strcmp(v, "1"))
			*(bool *)p = true;
		else if (!strcmp(v, "false") || !strcmp(v, "0"))
			*(bool *)p = false;
		else {
			fprintf(err, "--%s: '%s' is not true or false\n",
				f->name, v);
			return -EINVAL;
		}
		return 0;
	case K_DUR:
		if (cfg_duration(v, &ms)) {
			fprintf(err,
				"--%s: '%s' is not a duration (e.g. 90s, "
				"5m, 1h30m)\n",
				f->name, v);
			return -EINVAL;
		}
		*(int64_t *)p = ms;
		return 0;
	case K_BYTES:
		if (cfg_bytes(v, &u) || u < f->min || u > f->max) {
			fprintf(err,
				"--%s: '%s' is not a size in [%u, %u] "
				"bytes (e.g. 64MiB)\n",
				f->name, v, f->min, f->max);
			return -EINVAL;
		}
		*(int *)p = (int)u;
		return 0;
	case K_SIZE:
		if (cfg_bytes(v, &u) || u < f->min || u > SIZE_MAX) {
			fprintf(err,
				"--%s: '%s' is not a size of at least %u "
				"bytes (e.g. 256MiB)\n",
				f->name, v, f->min);
			return -EINVAL;
		}
		*(size_t *)p = (size_t)u;
		return 0;
	case K_SPECIAL:
		if (!strcmp(f->name, "window"))
			return cfg_windows(c, v, err);
		for (int s = CFG_UNICAST; s < CFG_NSOURCE; s++)
			if (!strcmp(v, cfg_source_name((enum cfg_source)s))) {
				c->source = (enum cfg_source)s;
				return 0;
			}
		fprintf(err,
			"--audit.source: '%s' is not one of unicast, "
			"multicast, plugin, stdin, file\n",
			v);
		return -EINVAL;
	}
	return -EINVAL;
}

static void cfg_usage(FILE *out)
{
	fprintf(out, "usage: audit_exporter [flags]\n\n"
		     "Exports Linux kernel audit events as Prometheus "
		     "metrics.\n\nFlags:\n");
	for (size_t i = 0; i < CFG_NFLAGS; i++) {
		const struct cfg_flag *f = &cfg_flags[i];

		fprintf(out, "  --%s%s\n      %s", f->name,
			f->kind == K_BOOL ? "" : "=VALUE", f->help);
		if (f->def && *f->def)
			fprintf(out, " (default: %s)", f->def);
		fputc('\n', out);
	}
	fprintf(out, "  --[no-]collector.NAME\n      Enable or disable a "
		     "collector: ");
	cfg_collector_names(out);
	fprintf(out, " (default: all enabled");
	for (unsigned i = 0, n = 0; i < coll_n; i++)
		if (!coll_table[i]->on)
			fprintf(out, "%s%s", n++ ? ", " : " but ",
				coll_table[i]->name);
	fprintf(out, ").\n"
		     "  --version\n      Print the version and exit.\n"
		     "  --help\n      Print this help and exit.\n");
}

static const struct cfg_flag *cfg_find(const char *name, size_t len)
{
	for (size_t i = 0; i < CFG_NFLAGS; i++)
		if (strlen(cfg_flags[i].name) == len &&
		    !strncmp(cfg_flags[i].name, name, len))
			return &cfg_flags[i];
	return NULL;
}

static int cfg_collector(struct cfg *c, const char *name, bool on, FILE *err)
{
	int i = coll_find(name);

	if (i >= 0) {
		c->collector[i] = on;
		return 0;
	}
	fprintf(err, "unknown collector '%s' (", name);
	cfg_collector_names(err);
	fprintf(err, ")\n");
	return -EINVAL;
}

static int cfg_defaults(struct cfg *c, FILE *err)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < CFG_NFLAGS; i++)
		if (cfg_flags[i].kind != K_LIST &&
		    cfg_set(c, &cfg_flags[i], cfg_flags[i].def, err))
			return -EINVAL;
	for (unsigned i = 0; i < coll_n; i++)
		c->collector[i] = coll_table[i]->on;
	return 0;
}

#define CFG_ARGFILE_MAX (64 * 1024)
#define CFG_ARGS_MAX 256

/*
 * Expands @FILE arguments. The files' text is owned by c (the flags point
 * into it) until cfg_free. Returns the new argv (argv itself when there is
 * nothing to expand) or NULL with a message.
 */
static char **cfg_expand(struct cfg *c, int *argc, char **argv, FILE *err)
{
	char **out = NULL;
	bool any = false;
	int n = 0;

	for (int i = 1; i < *argc; i++)
		any |= argv[i][0] == '@';
	if (!any)
		return argv;
	out = calloc(CFG_ARGS_MAX + 1, sizeof(*out));
	if (!out) {
		fprintf(err, "out of memory\n");
		return NULL;
	}
	c->owned_argv = out;
	for (int i = 0; i < *argc; i++) {
		FILE *f;
		char *text, *save = NULL, *line;
		struct stat st;
		size_t len;

		if (i == 0 || argv[i][0] != '@') {
			if (n == CFG_ARGS_MAX)
				goto too_many;
			out[n++] = argv[i];
			continue;
		}
		f = fopen(argv[i] + 1, "r");
		if (!f || fstat(fileno(f), &st) ||
		    st.st_size > CFG_ARGFILE_MAX) {
			fprintf(err, "%s: %s\n", argv[i],
				f ? "larger than 64 KiB" : strerror(errno));
			if (f)
				fclose(f);
			return NULL;
		}
		if (c->ntexts == CFG_MAX_ARGFILES) {
			fclose(f);
			fprintf(err, "more than %d @FILE arguments\n",
				CFG_MAX_ARGFILES);
			return NULL;
		}
		text = calloc(1, (size_t)st.st_size + 1);
		len = text ? fread(text, 1, (size_t)st.st_size, f) : 0;
		fclose(f);
		if (!text) {
			fprintf(err, "%s: out of memory\n", argv[i]);
			return NULL;
		}
		c->texts[c->ntexts++] = text;
		text[len] = 0;
		for (line = strtok_r(text, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			size_t l;

			while (*line == ' ' || *line == '\t')
				line++;
			l = strlen(line);
			while (l &&
			       (line[l - 1] == ' ' || line[l - 1] == '\t' ||
				line[l - 1] == '\r'))
				line[--l] = 0;
			if (!*line || *line == '#')
				continue;
			if (n == CFG_ARGS_MAX)
				goto too_many;
			out[n++] = line;
		}
	}
	*argc = n;
	return out;
too_many:
	fprintf(err, "more than %d arguments\n", CFG_ARGS_MAX);
	return NULL;
}

void cfg_free(struct cfg *c)
{
	for (unsigned i = 0; i < c->ntexts; i++)
		free(c->texts[i]);
	free(c->owned_argv);
	c->ntexts = 0;
	c->owned_argv = NULL;
}

int cfg_parse(struct cfg *c, int argc, char **argv, FILE *out, FILE *err)
{
	bool idle_given = false, baseline_given = false;

	if (cfg_defaults(c, err))
		return 2;
	argv = cfg_expand(c, &argc, argv, err);
	if (!argv)
		return 2;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char *name, *eq, *val = NULL;
		const struct cfg_flag *f;
		bool neg = false;
		size_t len;

		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			cfg_usage(out);
			return 1;
		}
		if (!strcmp(arg, "--version")) {
			fprintf(out,
				"audit_exporter version %s (revision %s)\n",
				AE_VERSION, AE_REVISION);
			return 1;
		}
		if (strncmp(arg, "--", 2) != 0) {
			fprintf(err,
				"unexpected argument '%s' (flags start "
				"with --; see --help)\n",
				arg);
			return 2;
		}
		name = arg + 2;
		if (!strncmp(name, "no-", 3)) {
			neg = true;
			name += 3;
		}
		eq = strchr(name, '=');
		len = eq ? (size_t)(eq - name) : strlen(name);
		f = cfg_find(name, len); /* --collector.NAME.OPTION */
		if (!f && !strncmp(name, "collector.", 10)) {
			char col[32];

			if (eq || len - 10 >= sizeof(col)) {
				fprintf(err,
					"--%scollector.NAME takes no "
					"value\n",
					neg ? "no-" : "");
				return 2;
			}
			memcpy(col, name + 10, len - 10);
			col[len - 10] = 0;
			if (cfg_collector(c, col, !neg, err))
				return 2;
			continue;
		}
		if (!f || (neg && f->kind != K_BOOL)) {
			fprintf(err, "unknown flag '%s' (see --help)\n", arg);
			return 2;
		}
		if (f->kind == K_BOOL) {
			val = eq ? eq + 1 : neg ? "false" : "true";
			if (neg && eq) {
				fprintf(err, "--no-%s takes no value\n",
					f->name);
				return 2;
			}
		} else if (eq) {
			val = eq + 1;
		} else if (i + 1 < argc) {
			val = argv[++i];
		} else {
			fprintf(err, "--%s needs a value\n", f->name);
			return 2;
		}
		if (cfg_set(c, f, val, err))
			return 2;
		if (f->off == OFF(idle_ms))
			idle_given = true;
		if (f->off == OFF(baseline_file))
			baseline_given = true;
	}
	/* another host's log must not become this host's baseline */
	if (!baseline_given && c->source == CFG_FILE)
		c->baseline_file = "";
	/* a replay of a week of logs shows the week, not its last day */
	if (!idle_given && (c->once || c->source == CFG_FILE))
		c->idle_ms = 0;
	if (!c->nlisten)
		c->listen[c->nlisten++] = ":10043";
	if (c->source == CFG_FILE && (!c->audit_file || !*c->audit_file)) {
		fprintf(err, "--audit.source=file needs --audit.file\n");
		return 2;
	}
	if (c->once && !cfg_source_is_text(c->source)) {
		fprintf(err, "--once needs --audit.source=file, stdin or "
			     "plugin\n");
		return 2;
	}
	if (c->telemetry_path[0] != '/') {
		fprintf(err, "--web.telemetry-path must start with /\n");
		return 2;
	}
	if (c->connection_timeout_ms < 1000) {
		fprintf(err, "--web.connection-timeout must be at least 1s\n");
		return 2;
	}
	if (c->baseline_save_ms < 1000) {
		fprintf(err, "--baseline.save-interval must be at least 1s\n");
		return 2;
	}
	if (c->read_timeout_ms < 100) {
		fprintf(err, "--web.read-timeout must be at least 100ms\n");
		return 2;
	}
	if (c->rules_file && !*c->rules_file)
		c->rules_file = NULL;
	if (c->web_config_file && !*c->web_config_file)
		c->web_config_file = NULL;
	if (log_level_parse(c->log_level) < 0) {
		fprintf(err,
			"--log.level: '%s' is not debug, info, warn or "
			"error\n",
			c->log_level);
		return 2;
	}
	if (!log_format_valid(c->log_format)) {
		fprintf(err, "--log.format: '%s' is not logfmt or json\n",
			c->log_format);
		return 2;
	}
	if (c->dest_horizon_ms <= 0) {
		fprintf(err, "--collector.destinations.horizon must be more "
			     "than 0\n");
		return 2;
	}
	if (c->export_p > c->host_p) {
		fprintf(err, "--sketch.export-precision must not exceed "
			     "--sketch.host-precision\n");
		return 2;
	}
	if (c->nwindows > FAM_MAX_WINDOWS) {
		fprintf(err, "--window: too many windows\n");
		return 2;
	}
	return 0;
}

static void cfg_kaudit_log(void *arg, enum kaudit_level level, const char *msg,
			   const struct kaudit_kv kv[KAUDIT_KV_MAX])
{
	static const enum log_level to[] = {
		[KAUDIT_INFO] = LOG_INFO,
		[KAUDIT_WARN] = LOG_WARN,
		[KAUDIT_ERROR] = LOG_ERROR,
	};

	_Static_assert(KAUDIT_KV_MAX == 2, "two pairs are passed on");
	(void)arg;
	/* log_kv ends at the first NULL key */
	log_kv(to[level], msg, kv[0].key, kv[0].value, kv[1].key, kv[1].value,
	       (char *)0);
}

void cfg_kaudit_opts(const struct cfg *c, struct kaudit_opts *o)
{
	*o = (struct kaudit_opts){
		.mode = c->source == CFG_MULTICAST ? KAUDIT_MULTICAST
						   : KAUDIT_UNICAST,
		.rcvbuf = c->rcvbuf,
		.backlog_limit = c->backlog_limit,
		.backlog_wait_ms = c->backlog_wait_ms,
		.log = cfg_kaudit_log,
	};
}
