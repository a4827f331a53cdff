/*
 * kaudit: the exporter's side of the kernel's audit state.
 *
 * The audit side alone: it knows sockets, rules and status fields, not
 * Prometheus or the exporter's flags. The caller passes its options
 * (struct kaudit_opts) and a log callback, and reads the status it polls
 * back as a struct kaudit_snap.
 *
 * Global state that the exporter changes, and how each is given back:
 *
 *   audit pid      unicast only. Taken with AUDIT_SET from the event socket
 *                  unless another live process holds it: then the exporter
 *                  refuses to start and names it (the kernel would refuse
 *                  too, with EEXIST). Released at exit; if the exporter dies,
 *                  the kernel drops a dead daemon on its next send.
 *   enabled, backlog_limit, backlog_wait_time, and the rules file's own
 *                  -b/-r/-f/-e/--backlog_wait_time: unicast only (beside
 *                  auditd those belong to auditd). Each field is set on its
 *                  own and remembered with the value found; at exit it is
 *                  put back unless someone else has changed it since (their
 *                  change wins). failure=2 and enabled=2 are never set.
 *   rules          netlink/rules: the loader removes exactly what it added.
 *
 * A SIGKILL leaves the settings changed and the rules in place. So that a
 * restart still gives back what was there before any exporter, the values
 * found are kept in the kernel itself, as a note on the self-exclusion rule
 * ("ae-orig:e=0,f=1,r=0,b=64,w=15000"); a restart that finds a dead
 * exporter's rule takes its note as what it "found".
 *
 * Sockets can disappear under a running exporter (closed by a debugger,
 * broken): both are reopened in place, and a unicast exporter then takes
 * the daemon role back, which the kernel allows once the old socket is
 * gone (it drops a daemon whose socket refuses a message).
 *
 * The status is polled every second from the reader thread: the kernel's
 * lost and backlog_wait_time_actual counters can be reset from outside
 * (auditctl --reset-lost), so they are accumulated into monotonic totals;
 * another process taking the daemon role, or audit being disabled, is
 * logged once and shown through the snapshot; when the role is free again
 * the exporter takes it back.
 */
#include "netlink/kaudit.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <zlib.h>

#include "netlink/rules.h"

struct kaudit {
	struct kaudit_opts opts;
	struct nl_audit *ctl, *ev;
	struct rules_loader *ld;
	uint32_t self;
	struct audit_status found; /* fields as they were */
	struct audit_status set; /* fields as we set them */
	struct audit_status defaults; /* what unicast sets where the rules
				       * file says nothing */
	uint32_t changed; /* AUDIT_STATUS_* bits we set */
	bool registered;
	uint32_t foreign_logged; /* the other daemon we last warned about */
	bool disabled_logged, console_logged;
	bool have_last;
	uint32_t last_lost, last_wait;
	unsigned hz;
};

/* msg, then NULL-terminated key, value pairs (at most KAUDIT_KV_MAX), to
 * the caller's log. */
__attribute__((sentinel)) static void kaudit_log(const struct kaudit *ka,
						 enum kaudit_level level,
						 const char *msg, ...)
{
	struct kaudit_kv kv[KAUDIT_KV_MAX] = { { NULL, NULL } };
	va_list ap;

	if (!ka->opts.log)
		return;
	va_start(ap, msg);
	for (size_t i = 0; i < KAUDIT_KV_MAX; i++) {
		kv[i].key = va_arg(ap, const char *);
		if (!kv[i].key)
			break;
		kv[i].value = va_arg(ap, const char *);
	}
	va_end(ap);
	ka->opts.log(ka->opts.log_arg, level, msg, kv);
}

#define kaudit_info(ka, ...) kaudit_log(ka, KAUDIT_INFO, __VA_ARGS__, (char *)0)
#define kaudit_warn(ka, ...) kaudit_log(ka, KAUDIT_WARN, __VA_ARGS__, (char *)0)
#define kaudit_error(ka, ...)                                                  \
	kaudit_log(ka, KAUDIT_ERROR, __VA_ARGS__, (char *)0)

static void kaudit_comm(uint32_t pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(buf, len, "unknown");
	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = 0;
	fclose(f);
}

static bool kaudit_alive(uint32_t pid)
{
	return pid && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

/* CONFIG_HZ from a kernel config file, gzipped or not (zlib reads plain
 * files as they are); 0 if absent. */
static unsigned kaudit_config_hz(const char *path)
{
	char line[256];
	unsigned hz = 0;
	gzFile gz = gzopen(path, "rb");

	if (!gz)
		return 0;
	while (!hz && gzgets(gz, line, sizeof(line)))
		sscanf(line, "CONFIG_HZ=%u", &hz);
	gzclose(gz);
	return hz;
}

unsigned kaudit_hz(void)
{
	char path[300];
	struct utsname u;
	unsigned hz = kaudit_config_hz("/proc/config.gz");

	if (!hz && uname(&u) == 0) {
		snprintf(path, sizeof(path), "/boot/config-%s", u.release);
		hz = kaudit_config_hz(path);
	}
	return hz >= 24 && hz <= 10000 ? hz : 250;
}

/* The status fields the exporter sets and restores, in the order it sets
 * and restores them: enabled last, since the others do not change what
 * is audited. */
static const struct kaudit_setting {
	uint32_t bit;
	size_t off; /* in struct audit_status */
	const char *name;
} kaudit_settings[] = {
	{ AUDIT_STATUS_BACKLOG_LIMIT,
	  offsetof(struct audit_status, backlog_limit), "backlog_limit" },
	{ AUDIT_STATUS_BACKLOG_WAIT_TIME,
	  offsetof(struct audit_status, backlog_wait_time),
	  "backlog_wait_time" },
	{ AUDIT_STATUS_RATE_LIMIT, offsetof(struct audit_status, rate_limit),
	  "rate_limit" },
	{ AUDIT_STATUS_FAILURE, offsetof(struct audit_status, failure),
	  "failure" },
	{ AUDIT_STATUS_ENABLED, offsetof(struct audit_status, enabled),
	  "enabled" },
};
#define KAUDIT_NSETTINGS (sizeof(kaudit_settings) / sizeof(kaudit_settings[0]))

static uint32_t *kaudit_field(struct audit_status *st,
			      const struct kaudit_setting *f)
{
	return (uint32_t *)((char *)st + f->off);
}

/* Sets one status field, remembering what it was; setting it back to what
 * it was makes it ours no more (nothing to restore). */
static int kaudit_set_field(struct kaudit *ka, const struct kaudit_setting *f,
			    uint32_t value)
{
	struct audit_status st = { .mask = f->bit };
	uint32_t found = *kaudit_field(&ka->found, f);
	uint32_t now = ka->changed & f->bit ? *kaudit_field(&ka->set, f)
					    : found;
	int rc;

	if (now == value) /* nothing to write, 2 included: left as found */
		return 0;
	/* the two settings that must never be made, whatever asks */
	if ((f->bit == AUDIT_STATUS_ENABLED && value > 1) ||
	    (f->bit == AUDIT_STATUS_FAILURE && value > 1))
		return -EPERM;
	*kaudit_field(&st, f) = value;
	rc = nl_audit_set_status(ka->ctl, &st);
	if (rc)
		return rc;
	*kaudit_field(&ka->set, f) = value;
	if (value == found)
		ka->changed &= ~f->bit;
	else
		ka->changed |= f->bit;
	return 0;
}

/* Unicast: the status fields the rules file sets (-b -r -f -e
 * --backlog_wait_time), the defaults for the others. */
static int kaudit_apply_status(struct kaudit *ka, const struct rules_set *rs,
			       char *err, size_t errlen)
{
	struct audit_status file = { 0 };
	uint32_t filemask = rs ? rules_status(rs, &file) : 0;

	for (size_t i = 0; i < KAUDIT_NSETTINGS; i++) {
		const struct kaudit_setting *f = &kaudit_settings[i];
		struct audit_status *from = filemask & f->bit ? &file
							      : &ka->defaults;
		int rc = kaudit_set_field(ka, f, *kaudit_field(from, f));

		if (rc) {
			snprintf(err, errlen, "cannot set audit %s: %s",
				 f->name, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static void kaudit_restore(struct kaudit *ka)
{
	struct audit_status now;

	if (!ka->changed)
		return;
	if (nl_audit_get_status(ka->ctl, &now)) {
		kaudit_error(ka, "cannot read the audit status to restore it");
		return;
	}
	for (size_t i = 0; i < KAUDIT_NSETTINGS; i++) {
		const struct kaudit_setting *f = &kaudit_settings[i];
		struct audit_status st = { .mask = f->bit };
		char was[16];

		if (!(ka->changed & f->bit))
			continue;
		snprintf(was, sizeof(was), "%u", *kaudit_field(&ka->found, f));
		if (*kaudit_field(&now, f) != *kaudit_field(&ka->set, f)) {
			kaudit_info(ka,
				    "audit setting changed by someone else; "
				    "leaving it",
				    "field", f->name);
			continue;
		}
		*kaudit_field(&st, f) = *kaudit_field(&ka->found, f);
		if (nl_audit_set_status(ka->ctl, &st))
			kaudit_error(ka, "cannot restore audit setting",
				     "field", f->name, "value", was);
	}
	ka->changed = 0;
}

#define KAUDIT_NOTE "ae-orig:e=%u,f=%u,r=%u,b=%u,w=%u"

/* The settings a self rule's note remembers, over found. */
static void kaudit_note_read(const char *note, struct audit_status *found)
{
	unsigned e, f, r, b, w;

	if (sscanf(note, KAUDIT_NOTE, &e, &f, &r, &b, &w) != 5)
		return;
	found->enabled = e;
	found->failure = f;
	found->rate_limit = r;
	found->backlog_limit = b;
	found->backlog_wait_time = w;
}

static void kaudit_rules_warn(void *arg, const char *origin, unsigned line,
			      const char *msg)
{
	char l[16];

	snprintf(l, sizeof(l), "%u", line);
	kaudit_warn((const struct kaudit *)arg, msg, "file", origin, "line", l);
}

static int kaudit_register(struct kaudit *ka, nl_record_cb cb, void *arg)
{
	int rc = nl_audit_set_pid(ka->ev, ka->self, cb, arg);

	ka->registered = rc == 0;
	return rc;
}

static void kaudit_foreign(char *err, size_t errlen, uint32_t pid)
{
	char comm[64];

	kaudit_comm(pid, comm, sizeof(comm));
	snprintf(err, errlen,
		 "pid %u (%s) is already the audit daemon; the exporter "
		 "will not take its place. Run beside it with "
		 "--audit.source=multicast, or as its plugin with "
		 "--audit.source=plugin (see "
		 "packaging/audit_exporter.plugin.conf)",
		 pid, comm);
}

struct kaudit *kaudit_start(const struct kaudit_opts *opts,
			    const struct rules_set *rs, nl_record_cb cb,
			    void *arg, char *err, size_t errlen)
{
	struct kaudit *ka = calloc(1, sizeof(*ka));
	struct rules_set *empty = NULL;
	int rc;

	if (!ka) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ka->opts = *opts;
	ka->self = (uint32_t)getpid();
	ka->hz = kaudit_hz(); /* /proc/config.gz: read while still root */
	ka->ctl = nl_audit_open(NL_CONTROL, 0);
	if (!ka->ctl) {
		snprintf(err, errlen,
			 "cannot open the audit netlink socket: %s",
			 strerror(errno));
		goto fail;
	}
	rc = nl_audit_get_status(ka->ctl, &ka->found);
	if (rc) {
		snprintf(err, errlen,
			 "cannot read the kernel's audit status: "
			 "%s%s",
			 strerror(-rc),
			 rc == -EPERM ? " (needs CAP_AUDIT_CONTROL: run as "
					"root)"
				      : "");
		goto fail;
	}
	if (opts->mode == KAUDIT_UNICAST && ka->found.pid &&
	    ka->found.pid != ka->self && kaudit_alive(ka->found.pid)) {
		kaudit_foreign(err, errlen, ka->found.pid);
		goto fail;
	}
	if (opts->mode == KAUDIT_UNICAST && ka->found.enabled == 2) {
		snprintf(err, errlen,
			 "audit configuration is locked "
			 "(enabled 2) until reboot; use "
			 "--audit.source=multicast");
		goto fail;
	}
	ka->ev = nl_audit_open(opts->mode == KAUDIT_UNICAST ? NL_UNICAST
							    : NL_MULTICAST,
			       opts->rcvbuf);
	if (!ka->ev) {
		snprintf(err, errlen, "cannot open the audit %s socket: %s%s",
			 opts->mode == KAUDIT_UNICAST ? "unicast" : "multicast",
			 strerror(errno),
			 errno == EPERM ? " (multicast needs CAP_AUDIT_READ)"
					: "");
		goto fail;
	}
	/* always at least the rule that keeps the exporter out of the
	 * stream, so that it can never audit (and stall) itself */
	{
		struct rules_error rerr;
		char msg[600];

		if (!rs) {
			empty = rules_parse_text("", 0, "no rules", &rerr);
			if (!empty) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
			rs = empty;
		}
		ka->ld = rules_loader_new(ka->ctl);
		if (!ka->ld) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		rules_loader_set_warn(ka->ld, kaudit_rules_warn, ka);
		snprintf(msg, sizeof(msg), KAUDIT_NOTE, ka->found.enabled,
			 ka->found.failure, ka->found.rate_limit,
			 ka->found.backlog_limit, ka->found.backlog_wait_time);
		rules_loader_set_note(ka->ld, msg);
		rc = rules_load(ka->ld, rs, ka->self, &rerr);
		if (rc) {
			snprintf(err, errlen, "cannot load audit rules: %s",
				 rules_error_str(&rerr, msg, sizeof(msg)));
			goto fail;
		}
		/* a dead exporter's note: the settings before it */
		kaudit_note_read(rules_loader_note(ka->ld), &ka->found);
	}
	if (opts->mode == KAUDIT_UNICAST) {
		ka->defaults = (struct audit_status){
			.backlog_limit = opts->backlog_limit,
			.backlog_wait_time =
				(uint32_t)((opts->backlog_wait_ms * ka->hz +
					    999) /
					   1000),
			.rate_limit = ka->found.rate_limit,
			.failure = ka->found.failure,
			.enabled = 1
		};
		if (kaudit_apply_status(ka, rs, err, errlen))
			goto fail;
		rc = kaudit_register(ka, cb, arg);
		if (rc == -EEXIST) {
			struct audit_status now;

			nl_audit_get_status(ka->ctl, &now);
			kaudit_foreign(err, errlen, now.pid);
			goto fail;
		}
		if (rc) {
			snprintf(err, errlen,
				 "cannot become the audit daemon: "
				 "%s",
				 strerror(-rc));
			goto fail;
		}
	}
	rules_set_free(empty);
	return ka;
fail:
	rules_set_free(empty);
	kaudit_stop(ka);
	return NULL;
}

struct nl_audit *kaudit_events(struct kaudit *ka)
{
	return ka->ev;
}

struct nl_audit *kaudit_control(struct kaudit *ka)
{
	return ka->ctl;
}

/* Monotonic total from a kernel counter that may be reset to 0. */
static void kaudit_accumulate(uint64_t *total, uint32_t *last, uint32_t now,
			      bool first)
{
	if (first)
		*total = now;
	else if (now >= *last)
		*total += now - *last;
	else
		*total += now; /* reset from outside, then counted again */
	*last = now;
}

/* AUDIT_GET, reopening a control socket that went away. */
static int kaudit_status(struct kaudit *ka, struct audit_status *st)
{
	int rc = nl_audit_get_status(ka->ctl, st);

	if (rc == -EBADF || rc == -ENOTSOCK || rc == -ECONNREFUSED) {
		kaudit_warn(ka, "the audit control socket went away; "
				"reopening it");
		rc = nl_audit_reopen(ka->ctl);
		if (!rc)
			rc = nl_audit_get_status(ka->ctl, st);
	}
	return rc;
}

int kaudit_recover(struct kaudit *ka, nl_record_cb cb, void *arg)
{
	char msg[64];
	int rc;

	ka->registered = false;
	rc = nl_audit_reopen(ka->ev);
	if (rc) {
		snprintf(msg, sizeof(msg), "%s", strerror(-rc));
		kaudit_error(ka, "cannot reopen the audit socket", "error",
			     msg);
		return rc;
	}
	kaudit_warn(ka, "the audit socket went away; reopened it");
	if (ka->opts.mode != KAUDIT_UNICAST)
		return 0;
	rc = kaudit_register(ka, cb, arg);
	if (rc == 0)
		kaudit_info(ka, "registered as the audit daemon again");
	return rc == -EEXIST ? 0 : rc;
}

int kaudit_poll(struct kaudit *ka, struct kaudit_snap *snap, nl_record_cb cb,
		void *arg)
{
	struct audit_status st;
	char pid[16], comm[64];
	int rc = kaudit_status(ka, &st);

	snap->error = rc;
	if (rc)
		return rc;
	kaudit_accumulate(&snap->lost_total, &ka->last_lost, st.lost,
			  !ka->have_last);
	kaudit_accumulate(&snap->wait_actual_total, &ka->last_wait,
			  st.backlog_wait_time_actual, !ka->have_last);
	ka->have_last = true;
	snap->valid = true;
	snap->hz = ka->hz;
	snap->enabled = st.enabled;
	snap->failure = st.failure;
	snap->pid = st.pid;
	snap->rate_limit = st.rate_limit;
	snap->backlog = st.backlog;
	snap->backlog_limit = st.backlog_limit;
	snap->backlog_wait_time = st.backlog_wait_time;
	if (st.enabled == 0 && !ka->disabled_logged) {
		kaudit_warn(ka, "kernel audit is disabled: "
				"no events will arrive");
		ka->disabled_logged = true;
	} else if (st.enabled) {
		ka->disabled_logged = false;
	}
	if (ka->opts.mode == KAUDIT_MULTICAST) {
		if (st.pid == 0 && !ka->console_logged) {
			kaudit_warn(ka, "no audit daemon is registered: the "
					"kernel "
					"also prints every audit record to the "
					"console");
			ka->console_logged = true;
		} else if (st.pid) {
			ka->console_logged = false;
		}
		return st.enabled != 0;
	}
	if (st.pid == ka->self && ka->registered) {
		ka->foreign_logged = 0;
		return st.enabled != 0;
	}
	ka->registered = false;
	if (st.pid && kaudit_alive(st.pid)) {
		if (ka->foreign_logged != st.pid) {
			snprintf(pid, sizeof(pid), "%u", st.pid);
			kaudit_comm(st.pid, comm, sizeof(comm));
			kaudit_error(ka,
				     "another process took the audit daemon "
				     "role; "
				     "no events reach the exporter",
				     "pid", pid, "comm", comm);
			ka->foreign_logged = st.pid;
		}
		return 0;
	}
	/* the role is free, held by a dead process, or ours through a socket
	 * that is gone: take it (back) through the current socket */
	rc = kaudit_register(ka, cb, arg);
	if (rc == 0) {
		kaudit_info(ka, "registered as the audit daemon again");
		ka->foreign_logged = 0;
		return st.enabled != 0;
	}
	return 0;
}

int kaudit_reload(struct kaudit *ka, const struct rules_set *rs, char *err,
		  size_t errlen)
{
	struct rules_error rerr;
	char msg[600];
	int rc;

	if (!ka->ld) {
		snprintf(err, errlen, "no rules were loaded at start");
		return -EINVAL;
	}
	rc = rules_reload(ka->ld, rs, &rerr);
	if (rc) {
		snprintf(err, errlen, "%s",
			 rules_error_str(&rerr, msg, sizeof(msg)));
		return rc;
	}
	/* the rules are in: a status field the kernel refuses is said,
	 * not a reason to call the reload failed */
	if (ka->opts.mode == KAUDIT_UNICAST &&
	    kaudit_apply_status(ka, rs, msg, sizeof(msg)))
		kaudit_error(ka, "rules reloaded, but not every status setting",
			     "reason", msg);
	return 0;
}

void kaudit_stop(struct kaudit *ka)
{
	if (!ka)
		return;
	if (ka->ld) {
		if (rules_unload(ka->ld))
			kaudit_error(ka, "could not remove every audit rule "
					 "the "
					 "exporter added");
		rules_loader_free(ka->ld);
	}
	if (ka->ctl)
		kaudit_restore(ka);
	if (ka->registered) {
		struct audit_status st = { .mask = AUDIT_STATUS_PID, .pid = 0 };

		if (nl_audit_set_status(ka->ctl, &st))
			kaudit_error(ka, "could not release the audit daemon "
					 "role");
	}
	nl_audit_close(ka->ev);
	nl_audit_close(ka->ctl);
	free(ka);
}
