/*
 * audit_exporter: Linux kernel audit events as Prometheus metrics.
 *
 * main wires the pieces together and runs the reader loop:
 *
 *   signalfd ─┐
 *   source fd ┴─ poll(250 ms) ─▶ source_read: records ▶ assembler ▶ aggregator
 *                     │  (sooner while a collector asked: coll_wake)
 *                     └─ tick: event timeouts, gap judging, kernel status
 *                        (1 s), idle label sets swept (every 60 s of the
 *                        source's clock and at the end of the input, when no
 *                        scrape holds rows)
 *   libmicrohttpd threads ─▶ scrape: read metric state in short locked slices
 *
 * Signals are blocked in every thread and read from a signalfd in the loop,
 * so a blocking call restarted by SA_RESTART can never hide a stop request:
 * SIGTERM/SIGINT stop within one poll interval even when no events arrive;
 * SIGHUP reloads the rules file. At exit the kernel's audit state is given
 * back (source_close) before anything else is torn down.
 */
#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "exporter/agg.h"
#include "exporter/collectors/collector.h"
#include "exporter/cfg.h"
#include "exporter/exporter.h"
#include "exporter/web/http.h"
#include "exporter/log.h"
#include "exporter/priv.h"
#include "exporter/scrape.h"
#include "exporter/skey.h"
#include "exporter/source.h"
#include "exporter/statedir.h"
#include "metrics/budget.h"
#include "netlink/rules.h"

#define TICK_MS 250
#define SWEEP_MS 60000

extern const char default_rules_text[];

static int setup_keys(struct exporter *x, struct agg_config *ac)
{
	char msg[64];
	bool created;
	int rc;

	rc = skey_random(&ac->table_key);
	if (rc) {
		log_error("no random bytes for the hash keys", "error",
			  strerror(-rc));
		return rc;
	}
	rc = skey_load(x->cfg.sketch_key_file, &x->sketch_key, &created);
	if (rc == 0) {
		if (created)
			log_info("created the sketch key file", "file",
				 x->cfg.sketch_key_file);
	} else {
		/* never a fixed key, not even for a replay: whoever knows
		 * the key can pick destinations that hide in the sketches
		 * (stdin is fed by whatever feeds the pipe) */
		snprintf(msg, sizeof(msg), "%s", strerror(-rc));
		log_warn("sketch key file unusable; using a random key for "
			 "this run (counts will not merge across restarts or "
			 "hosts, and replays may differ slightly)",
			 "file", x->cfg.sketch_key_file, "error", msg);
		rc = skey_random(&x->sketch_key);
		if (rc)
			return rc;
	}
	ac->sketch_key = x->sketch_key;
	return 0;
}

/* The baseline is saved as --runas.user: its directory must let that
 * user replace the file (exporter/statedir.c). Else it stays in memory,
 * which the collector warns about at its first save. */
static void setup_state_dir(const struct exporter *x)
{
	const char *user = x->cfg.runas_user;
	struct passwd *pw;
	int rc;

	if (geteuid() != 0 || !user || !*user || !x->cfg.baseline_file ||
	    !*x->cfg.baseline_file)
		return;
	pw = getpwnam(user);
	if (!pw)
		return; /* priv_drop says so */
	rc = statedir_share(x->cfg.baseline_file, pw->pw_uid, pw->pw_gid);
	if (rc)
		log_warn("cannot make the baseline's directory writable for "
			 "the run-as user",
			 "file", x->cfg.baseline_file, "user", user, "error",
			 strerror(-rc));
}

/* The rules: loaded into the kernel by netlink sources, read for watch
 * keys by text sources when a file is named. */
static int setup_rules(struct exporter *x)
{
	struct rules_error err;
	char msg[700];
	bool netlink = !cfg_source_is_text(x->cfg.source);

	if (!netlink && !x->cfg.rules_file)
		return 0;
	if (netlink && !x->cfg.load_rules && !x->cfg.rules_file)
		return 0;
	if (x->cfg.rules_file)
		x->rules = rules_parse_file(x->cfg.rules_file, &err);
	else
		x->rules = rules_parse_text(default_rules_text,
					    strlen(default_rules_text),
					    "bundled rules", &err);
	if (!x->rules) {
		log_error("bad audit rules", "reason",
			  rules_error_str(&err, msg, sizeof(msg)));
		return -EINVAL;
	}
	return 0;
}

static int setup_signals(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* Returns 1 to stop, 0 to go on. */
static int handle_signal(int sfd, struct source *src, struct http *http)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			source_reload(src);
			http_reload(http);
			continue;
		}
		log_info("stopping", "signal",
			 si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
		return 1;
	}
	return 0;
}

static int print_exposition(struct exporter *x)
{
	struct scrape_buf *b = scrape_buf_take(x);
	int rc;

	if (!b)
		return -ENOMEM;
	rc = scrape_render(EXPO_TEXT, b);
	for (size_t i = 0; !rc && i < b->pieces.n; i++)
		if (fwrite(b->pieces.v[i].p, 1, b->pieces.v[i].len, stdout) !=
		    b->pieces.v[i].len)
			rc = -EIO;
	if (fflush(stdout))
		rc = -EIO;
	scrape_buf_give(b);
	return rc;
}

struct sweep {
	int64_t *last;
	bool at_end;
	int wait_ms; /* out: how long the loop may poll before the next tick */
};

/* The collectors' periodic work (agg_tick), then a sweep of idle label
 * sets every SWEEP_MS on the source's clock (event time in a replay),
 * unless a scrape holds rows; at_end sweeps whatever the time (end of
 * input). For exporter_batch. */
static int sweep_batch(struct exporter *x, void *arg)
{
	struct sweep *sw = arg;
	int64_t now = exporter_now_ms(x);

	agg_tick(x->agg, now);
	sw->wait_ms = TICK_MS;
	if (agg_wake(x->agg) - now < TICK_MS)
		sw->wait_ms = agg_wake(x->agg) > now
				      ? (int)(agg_wake(x->agg) - now)
				      : 0;
	if (*sw->last == INT64_MIN)
		*sw->last = now;
	if ((sw->at_end || now - *sw->last >= SWEEP_MS) &&
	    x->scrapes_active == 0) {
		agg_sweep(x->agg, now);
		*sw->last = now;
	}
	return 0;
}

/* The poll timeout until the next tick: TICK_MS, or sooner while a
 * collector asked for it (connect_outcome, while connects are parked). */
static int maybe_sweep(struct exporter *x, int64_t *last, bool at_end)
{
	struct sweep sw = { last, at_end, TICK_MS };

	exporter_batch(x, sweep_batch, &sw);
	return sw.wait_ms;
}

static void run_loop(struct exporter *x, struct source *src, struct http *http,
		     int sfd)
{
	int64_t last_tick = exporter_mono_ms(), last_sweep = INT64_MIN;
	int wait_ms = TICK_MS;

	for (;;) {
		int fd = source_fd(src);
		struct pollfd p[2] = { { sfd, POLLIN, 0 }, { fd, POLLIN, 0 } };
		int64_t now;

		if (poll(p, fd >= 0 ? 2 : 1, wait_ms) < 0 && errno != EINTR) {
			log_error("poll failed", "error", strerror(errno));
			return;
		}
		if ((p[0].revents & POLLIN) && handle_signal(sfd, src, http))
			return;
		if (fd >= 0 && p[1].revents) {
			int rc = source_read(src);

			if (rc == 0) {
				log_info("input ended");
				maybe_sweep(x, &last_sweep, true);
				if (x->cfg.once)
					return;
			} else if (rc < 0) {
				log_error("reading audit records failed",
					  "error", strerror(-rc));
				if (x->replay)
					return;
			}
		}
		now = exporter_mono_ms();
		if (now - last_tick >= TICK_MS) {
			last_tick = now;
			source_tick(src);
		}
		wait_ms = maybe_sweep(x, &last_sweep, false);
	}
}

int main(int argc, char **argv)
{
	static struct exporter x;
	struct agg_config ac = { 0 };
	struct asm_config mc = ASM_CONFIG_DEFAULT;
	struct source *src = NULL;
	struct http *http = NULL;
	char err[1024];
	int rc, sfd, status = 1;

	rc = cfg_parse(&x.cfg, argc, argv, stdout, stderr);
	if (rc) {
		cfg_free(&x.cfg);
		return rc == 1 ? 0 : 2;
	}
	log_setup(x.cfg.log_level, x.cfg.log_format);
	sfd = setup_signals();
	if (sfd < 0) {
		log_error("cannot set up signal handling", "error",
			  strerror(errno));
		return 1;
	}
	exporter_lock_init(&x);
	x.start_wall_ms = exporter_wall_ms();
	if (setup_keys(&x, &ac) || setup_rules(&x))
		goto out;
	ac.series_cap = x.cfg.max_series;
	ac.idle_ms = x.cfg.idle_ms;
	_Static_assert(sizeof(ac.windows_ms) == sizeof(x.cfg.windows_ms),
		       "the aggregator takes every window --sketch.windows can "
		       "name");
	ac.nwindows = x.cfg.nwindows;
	memcpy(ac.windows_ms, x.cfg.windows_ms, sizeof(ac.windows_ms));
	ac.host_p = x.cfg.host_p;
	ac.proc_p = x.cfg.proc_p;
	ac.bind_slots = 65536;
	ac.users_max = x.cfg.users_max;
	ac.baseline_file = x.cfg.baseline_file;
	ac.baseline_learning_ms = x.cfg.baseline_learning_ms;
	ac.baseline_save_ms = x.cfg.baseline_save_ms;
	ac.baseline_max = x.cfg.baseline_max;
	ac.dest_max = x.cfg.dest_max;
	ac.dest_horizon_ms = x.cfg.dest_horizon_ms;
	ac.replay = cfg_source_is_replay(x.cfg.source);
	ac.resolve = cfg_resolves(&x.cfg);
	ac.outcome_delay_ms = x.cfg.outcome_delay_ms;
	for (unsigned i = 0; i < coll_n; i++)
		if (!x.cfg.collector[i])
			ac.disabled |= 1u << i;
	x.budget = budget_new(x.cfg.memory_limit);
	ac.budget = x.budget;
	x.agg = x.budget ? agg_new(&ac) : NULL;
	if (!x.agg && errno == EINVAL) {
		log_error("--metrics.memory-limit cannot hold the reserve of "
			  "the host-wide counts and the fixed tables (see "
			  "--sketch.host-precision, --collector.*.max, "
			  "--baseline.max-items)");
		goto out;
	}
	mc.timeout_ms = x.cfg.event_timeout_ms;
	mc.max_inflight = x.cfg.max_inflight;
	mc.budget = x.budget;
	x.asm = x.agg ? asm_new(&mc, agg_event, x.agg) : NULL;
	if (!x.asm) {
		log_error("out of memory");
		goto out;
	}
	src = source_open(&x, err, sizeof(err));
	if (!src) {
		log_error("cannot start the audit source", "source",
			  cfg_source_name(x.cfg.source), "reason", err);
		goto out;
	}
	if (!x.cfg.once) {
		http = http_start(&x, err, sizeof(err));
		if (!http) {
			log_error("cannot serve metrics", "reason", err);
			goto out;
		}
	}
	/* nice is per thread on Linux: only the reader is raised (needs
	 * root, so before the drop), the HTTP threads stay as they are */
	if (x.cfg.priority_boost && geteuid() == 0 &&
	    setpriority(PRIO_PROCESS, 0, -(int)x.cfg.priority_boost))
		log_warn("cannot raise the reader's priority", "error",
			 strerror(errno));
	setup_state_dir(&x);
	/* after every privileged open, and after the HTTP threads exist
	 * (they lose every capability with the uid change) */
	if (priv_drop(&x.cfg, err, sizeof(err))) {
		log_error("cannot drop privileges", "reason", err);
		goto out;
	}
	log_info("audit_exporter started", "version", AE_VERSION, "source",
		 cfg_source_name(x.cfg.source));
	run_loop(&x, src, http, sfd);
	status = 0;
out:
	http_stop(http);
	source_close(src);
	if (status == 0 && x.cfg.once && print_exposition(&x)) {
		log_error("cannot write the exposition to stdout");
		status = 1;
	}
	scrape_buf_drop(&x);
	asm_free(x.asm);
	agg_free(x.agg);
	budget_free(x.budget);
	rules_set_free(x.rules);
	close(sfd);
	exporter_lock_destroy(&x);
	cfg_free(&x.cfg);
	return status;
}
