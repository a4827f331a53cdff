/*
 * rules_load: loading a parsed set into the kernel and removing it again.
 *
 * Loading. A loader owns a private copy of the loaded set; each rule there
 * carries an "owned" flag (we added it, we delete it). Invariants:
 *   - the kernel holds every owned rule, the self-exclusion rule when
 *     self_in, and has lost exactly the rules in `saved` (deleted by -D);
 *   - unload deletes owned rules in reverse order, then the self rule, then
 *     re-adds `saved` in the kernel's original order, and leaves ld empty.
 * EEXIST on add: an identical rule is already there; it is someone else's
 * and stays at exit. Except after a crash: a self-exclusion rule
 * (key RULES_SELF_KEY, -F pid=N) whose pid is no live process, is a zombie,
 * or is a live process running another program (pid reused) belongs to an
 * exporter that died without unloading (SIGKILL). Then that rule is deleted
 * and every rule of the new set is deleted from the kernel before being
 * added again (ENOENT ignored): the dead instance's copies are taken over,
 * owned by us and removed at our exit; nothing is duplicated. A live process
 * with our own name or named audit_exporter is another running exporter:
 * left alone. Limits: a dead instance's rules that are not in the new file
 * stay, and the rules its -D had removed are lost with its memory; an
 * identical rule an administrator added before the dead instance started is
 * taken over too. -D never deletes a self-exclusion rule of a live exporter.
 *
 * The kernel stores rules without AUDIT_FILTER_PREPEND and compares flags:
 * deletes clear the bit, and a -A rule never meets EEXIST (the kernel takes
 * a duplicate, as with auditctl). pids are global ones: the kernel accepts
 * audit control only from the initial pid namespace.
 */
#include "netlink/rules.h"

#include "netlink/nl.h"
#include "netlink/rules_int.h"

#include <errno.h>
#include <fcntl.h>
#include <libaudit.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct rules_loader {
	struct nl_audit *ctl;
	rules_warn_cb warn;
	void *warn_arg;
	uint32_t self_pid;
	struct audit_rule_data *self; /* the self-exclusion rule for self_pid */
	size_t self_size;
	bool self_in; /* the kernel holds self because of us */
	struct rules_set *set; /* private copy of the loaded set, or NULL */
	struct rules_vec saved; /* rules -D deleted, in the kernel's order */
	char origin[sizeof(((struct rules_error *)0)->origin)];
	/* the self rule's second key: what the caller wants remembered in
	 * the kernel (its original audit settings); a dead exporter's note,
	 * found on its stale self rule, wins over ours */
	char note[RULES_NOTE_MAX];
};

/* A copy of the rules for a loader (no keys: it does not need them). */
static struct rules_set *rules_set_dup(const struct rules_set *rs)
{
	struct rules_set *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->status = rs->status;
	c->delete_all = rs->delete_all;
	memcpy(c->origin, rs->origin, sizeof(c->origin));
	for (size_t i = 0; i < rs->rules.n; i++) {
		const struct rules_rule *r = &rs->rules.v[i];

		if (rules_vec_copy(&c->rules, r->data, r->size, r->line)) {
			rules_set_free(c);
			return NULL;
		}
	}
	return c;
}

/* --- stale self-exclusion rules ----------------------------------------- */

/* True if r is a self-exclusion rule: its keys are RULES_SELF_KEY and at
 * most a note; *pid gets its pid, note (if not NULL, RULES_NOTE_MAX bytes)
 * the note or "". */
static bool rules_is_self_note(const struct audit_rule_data *r, uint32_t *pid,
			       char *note)
{
	size_t len, n = strlen(RULES_SELF_KEY);
	const char *k = rules_string(r, AUDIT_FILTERKEY, &len);

	if (!k || len < n || memcmp(k, RULES_SELF_KEY, n) ||
	    (len > n && k[n] != AUDIT_KEY_SEPARATOR) ||
	    r->action != AUDIT_NEVER ||
	    (r->flags & ~AUDIT_FILTER_PREPEND) != AUDIT_FILTER_EXIT)
		return false;
	if (note) {
		size_t nl = len > n + 1 ? len - n - 1 : 0;

		if (nl >= RULES_NOTE_MAX)
			nl = RULES_NOTE_MAX - 1;
		memcpy(note, k + n + 1, nl);
		note[nl] = 0;
	}
	for (uint32_t i = 0; i < r->field_count; i++) {
		if (r->fields[i] == AUDIT_PID &&
		    r->fieldflags[i] == AUDIT_EQUAL) {
			*pid = r->values[i];
			return true;
		}
	}
	return false;
}

static bool rules_is_self(const struct audit_rule_data *r, uint32_t *pid)
{
	return rules_is_self_note(r, pid, NULL);
}

/* Reads the name and state of a process from /proc/<pid>/stat; returns 0,
 * -ENOENT when there is no such process, or another negative errno. */
static int rules_proc(const char *pid, char *comm, size_t len, char *state)
{
	char path[64], buf[512];
	const char *open_p, *close_p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ESRCH ? -ENOENT : -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ENOENT; /* it exited between open and read */
	buf[n] = 0;
	open_p = strchr(buf, '(');
	close_p = strrchr(buf, ')');
	if (!open_p || !close_p || close_p < open_p || close_p[1] != ' ')
		return -EINVAL;
	snprintf(comm, len, "%.*s", (int)(close_p - open_p - 1), open_p + 1);
	*state = close_p[2];
	return 0;
}

/* Whether the exporter that owns a self-exclusion rule for pid is gone:
 * no such process, a zombie, or a process named neither like us nor
 * "audit_exporter" (the pid was reused). When in doubt, not stale. */
static bool rules_pid_stale(uint32_t pid)
{
	char id[16], comm[64], self[64], state, self_state;
	int rc;

	snprintf(id, sizeof(id), "%u", pid);
	rc = rules_proc(id, comm, sizeof(comm), &state);
	if (rc == -ENOENT)
		return true;
	if (rc || rules_proc("self", self, sizeof(self), &self_state))
		return false;
	if (state == 'Z' || state == 'X')
		return true;
	return strcmp(comm, self) != 0 && strcmp(comm, "audit_exporter") != 0;
}

/* --- loader --------------------------------------------------------------- */

struct rules_loader *rules_loader_new(struct nl_audit *ctl)
{
	struct rules_loader *ld = calloc(1, sizeof(*ld));

	if (ld)
		ld->ctl = ctl;
	return ld;
}

void rules_loader_set_warn(struct rules_loader *ld, rules_warn_cb cb, void *arg)
{
	ld->warn = cb;
	ld->warn_arg = arg;
}

RULES_FMT(3, 4)
static void ld_warn(struct rules_loader *ld, unsigned line, const char *fmt,
		    ...)
{
	char msg[512];
	va_list ap;

	if (!ld->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ld->warn(ld->warn_arg, ld->origin, line, msg);
}

/* never,exit -S all -F pid=<pid> -F key=RULES_SELF_KEY[,note], prepended. */
static int ld_build_self(struct rules_loader *ld, uint32_t pid)
{
	struct audit_rule_data *r = audit_rule_create_data();
	char pair[64 + RULES_NOTE_MAX];
	int rc = -ENOMEM;

	rules_libaudit_reset();
	if (!r)
		goto out;
	audit_rule_syscallbyname_data(r, "all");
	_audit_syscalladded = 1;
	snprintf(pair, sizeof(pair), "pid=%u", pid);
	if (audit_rule_fieldpair_data(&r, pair, AUDIT_FILTER_EXIT))
		goto out;
	snprintf(pair, sizeof(pair), "key=%s%s%s", RULES_SELF_KEY,
		 ld->note[0] ? "\x01" : "", ld->note);
	if (audit_rule_fieldpair_data(&r, pair, AUDIT_FILTER_EXIT))
		goto out;
	r->flags = AUDIT_FILTER_EXIT | AUDIT_FILTER_PREPEND;
	r->action = AUDIT_NEVER;
	free(ld->self);
	ld->self = r;
	ld->self_size = sizeof(*r) + r->buflen;
	ld->self_pid = pid;
	r = NULL;
	rc = 0;
out:
	rules_libaudit_reset();
	free(r);
	return rc;
}

/* Deletes r from the kernel. The kernel stores rules without
 * AUDIT_FILTER_PREPEND and compares flags, so the bit must not be sent. */
static int ld_del(struct rules_loader *ld, struct audit_rule_data *r,
		  size_t size)
{
	uint32_t flags = r->flags;
	int rc;

	r->flags &= ~(uint32_t)AUDIT_FILTER_PREPEND;
	rc = nl_audit_rule_del(ld->ctl, r, size);
	r->flags = flags;
	return rc;
}

/* Deletes set's owned rules in reverse order, the self rule unless
 * keep_self, then re-adds what -D deleted. Goes on after errors; returns
 * the first one (ENOENT on delete and EEXIST on add mean "already so"). */
static int ld_drop(struct rules_loader *ld, struct rules_set *set,
		   bool keep_self)
{
	int first = 0, rc;

	for (size_t i = set ? set->rules.n : 0; i-- > 0;) {
		struct rules_rule *r = &set->rules.v[i];

		if (!r->owned)
			continue;
		r->owned = false;
		rc = ld_del(ld, r->data, r->size);
		if (rc == -ENOENT)
			ld_warn(ld, r->line,
				"the rule was already gone from "
				"the kernel");
		else if (rc && !first)
			first = rc;
	}
	if (!keep_self && ld->self_in) {
		ld->self_in = false;
		rc = ld_del(ld, ld->self, ld->self_size);
		if (rc == -ENOENT)
			ld_warn(ld, 0,
				"the self-exclusion rule was already "
				"gone from the kernel");
		else if (rc && !first)
			first = rc;
	}
	for (size_t i = 0; i < ld->saved.n; i++) {
		rc = nl_audit_rule_add(ld->ctl, ld->saved.v[i].data,
				       ld->saved.v[i].size);
		if (rc && rc != -EEXIST && !first)
			first = rc;
	}
	rules_vec_free(&ld->saved);
	return first;
}

/* Removes self-exclusion rules of dead exporters and, if there were any,
 * the kernel's copies of set's rules (they are the dead one's: taken over
 * by adding them again). Returns how many stale rules were removed. */
static size_t ld_clear_stale(struct rules_loader *ld, struct rules_set *set,
			     struct rules_vec *k)
{
	size_t stale = 0, taken = 0;
	char note[RULES_NOTE_MAX];

	for (size_t i = 0; i < k->n; i++) {
		uint32_t pid;
		int rc;

		if (!rules_is_self_note(k->v[i].data, &pid, note) ||
		    pid == ld->self_pid || !rules_pid_stale(pid))
			continue;
		/* the dead one remembered the state before any exporter:
		 * carry it on (our self rule is not in the kernel yet) */
		if (note[0] && !ld->self_in && strcmp(note, ld->note) != 0) {
			memcpy(ld->note, note, sizeof(ld->note));
			if (ld_build_self(ld, ld->self_pid))
				ld_warn(ld, 0,
					"out of memory keeping the "
					"stale rule's note");
		}
		rc = ld_del(ld, k->v[i].data, k->v[i].size);
		if (rc && rc != -ENOENT)
			ld_warn(ld, 0,
				"cannot delete the stale self-exclusion "
				"rule of pid %u: %s",
				pid, strerror(-rc));
		else
			stale++;
	}
	if (!stale)
		return 0;
	for (size_t i = 0; i < set->rules.n; i++)
		if (!ld_del(ld, set->rules.v[i].data, set->rules.v[i].size))
			taken++;
	ld_warn(ld, 0,
		"an earlier exporter died without removing its rules: "
		"deleted %zu stale self-exclusion rule(s), took over %zu "
		"rule(s)",
		stale, taken);
	return stale;
}

/* -D: saves and deletes every kernel rule but live exporters' self rules. */
static int ld_delete_all(struct rules_loader *ld, struct rules_vec *k,
			 struct rules_error *err)
{
	for (size_t i = 0; i < k->n; i++) {
		struct rules_rule *r = &k->v[i];
		uint32_t pid;
		int rc;

		if (rules_is_self(r->data, &pid) &&
		    (pid == ld->self_pid || !rules_pid_stale(pid)))
			continue;
		/* saved first: a deleted rule must never be forgotten */
		if (rules_vec_copy(&ld->saved, r->data, r->size, 0)) {
			rules_err(err, 0, "out of memory");
			return -ENOMEM;
		}
		rc = ld_del(ld, r->data, r->size);
		if (rc)
			free(ld->saved.v[--ld->saved.n].data);
		if (rc && rc != -ENOENT) {
			rules_err(err, 0, "-D: cannot delete a kernel rule: %s",
				  strerror(-rc));
			return rc;
		}
	}
	return 0;
}

/* Puts set into the kernel (see the design comment); on failure rolls back
 * to the state before the call. */
static int ld_apply(struct rules_loader *ld, struct rules_set *set,
		    struct rules_error *err)
{
	struct rules_vec k = { 0 };
	bool self_now = false;
	int rc;

	memcpy(ld->origin, set->origin, sizeof(ld->origin));
	rules_err_init(err, set->origin);
	for (size_t i = 0; i < set->rules.n; i++)
		set->rules.v[i].owned = false;
	rc = rules_kernel_list(ld->ctl, &k);
	if (!rc && ld_clear_stale(ld, set, &k) && set->delete_all) {
		rules_vec_free(&k);
		rc = rules_kernel_list(ld->ctl, &k);
	}
	if (rc) {
		rules_err(err, 0, "cannot list the kernel's rules: %s",
			  strerror(-rc));
		goto out;
	}
	/* first the rule that keeps our own calls out, then -D (k, listed
	 * before, does not hold it) */
	if (!ld->self_in) {
		rc = nl_audit_rule_add(ld->ctl, ld->self, ld->self_size);
		if (rc && rc != -EEXIST) {
			rules_err(err, 0,
				  "the kernel refused the self-exclusion "
				  "rule: %s",
				  strerror(-rc));
			goto fail;
		}
		ld->self_in = self_now = true;
	}
	if (set->delete_all) {
		rc = ld_delete_all(ld, &k, err);
		if (rc)
			goto fail;
	}
	for (size_t i = 0; i < set->rules.n; i++) {
		struct rules_rule *r = &set->rules.v[i];
		const char *path;
		size_t len = 0;

		rc = nl_audit_rule_add(ld->ctl, r->data, r->size);
		if (!rc) {
			r->owned = true;
			continue;
		}
		if (rc == -EEXIST) {
			ld_warn(ld, r->line,
				"the kernel already has this rule; "
				"it is not ours and stays at exit");
			continue;
		}
		if (rc == -ENOENT && rules_is_watch(r->data)) {
			path = rules_string(r->data, AUDIT_WATCH, &len);
			if (!path)
				path = rules_string(r->data, AUDIT_DIR, &len);
			ld_warn(ld, r->line,
				"watch on %.*s skipped: its "
				"directory does not exist",
				(int)len, path ? path : "");
			continue;
		}
		rules_err(err, r->line, "the kernel refused the rule: %s",
			  strerror(-rc));
		goto fail;
	}
	rc = 0;
	goto out;
fail:
	ld_drop(ld, set, !self_now);
out:
	rules_vec_free(&k);
	return rc;
}

/* Says which lines of rs were left out for their arch (rules.c). */
static void ld_warn_skipped(struct rules_loader *ld, const struct rules_set *rs)
{
	int m = audit_detect_machine();
	const char *name = m < 0 ? NULL : audit_machine_to_name(m);

	for (size_t i = 0; i < rules_skipped_count(rs); i++) {
		unsigned line;
		const char *arch = rules_skipped_get(rs, i, &line);

		ld_warn(ld, line,
			"rule not loaded: this machine (%s) has no %s system "
			"call table",
			name ? name : "unknown", arch);
	}
}

int rules_load(struct rules_loader *ld, const struct rules_set *rs,
	       uint32_t self_pid, struct rules_error *err)
{
	struct rules_error scratch;
	struct rules_set *copy;
	int rc;

	if (!err)
		err = &scratch;
	rules_err_init(err, rs->origin);
	if (ld->set || ld->self_in)
		return -EALREADY;
	copy = rules_set_dup(rs);
	if (!copy || ld_build_self(ld, self_pid)) {
		rules_set_free(copy);
		rules_err(err, 0, "out of memory");
		return -ENOMEM;
	}
	rc = ld_apply(ld, copy, err);
	if (rc) {
		rules_set_free(copy);
		return rc;
	}
	ld->set = copy;
	ld_warn_skipped(ld, rs);
	return 0;
}

int rules_reload(struct rules_loader *ld, const struct rules_set *rs,
		 struct rules_error *err)
{
	struct rules_error scratch, again;
	struct rules_set *copy, *old = ld->set;
	int rc;

	if (!err)
		err = &scratch;
	rules_err_init(err, rs->origin);
	if (!old)
		return -EINVAL;
	copy = rules_set_dup(rs);
	if (!copy) {
		rules_err(err, 0, "out of memory");
		return -ENOMEM;
	}
	ld->set = NULL;
	ld_drop(ld, old, true);
	rc = ld_apply(ld, copy, err);
	if (!rc) {
		rules_set_free(old);
		ld->set = copy;
		ld_warn_skipped(ld, rs);
		return 0;
	}
	rules_set_free(copy);
	if (!ld_apply(ld, old, &again)) {
		ld->set = old;
		return rc;
	}
	rules_set_free(old);
	snprintf(err->msg + strlen(err->msg),
		 sizeof(err->msg) - strlen(err->msg),
		 "; the previous rules could not be restored: line %u: %s",
		 again.line, again.msg);
	return rc;
}

int rules_unload(struct rules_loader *ld)
{
	int rc = ld_drop(ld, ld->set, false);

	rules_set_free(ld->set);
	ld->set = NULL;
	return rc;
}

size_t rules_loader_added(const struct rules_loader *ld)
{
	size_t n = ld->self_in;

	for (size_t i = 0; ld->set && i < ld->set->rules.n; i++)
		n += ld->set->rules.v[i].owned;
	return n;
}

int rules_loader_set_note(struct rules_loader *ld, const char *note)
{
	if (strlen(note) >= RULES_NOTE_MAX || strchr(note, AUDIT_KEY_SEPARATOR))
		return -EINVAL;
	if (ld->self_in)
		return -EALREADY;
	snprintf(ld->note, sizeof(ld->note), "%s", note);
	return 0;
}

const char *rules_loader_note(const struct rules_loader *ld)
{
	return ld->note;
}

void rules_loader_free(struct rules_loader *ld)
{
	if (!ld)
		return;
	rules_set_free(ld->set);
	rules_vec_free(&ld->saved);
	free(ld->self);
	free(ld);
}
