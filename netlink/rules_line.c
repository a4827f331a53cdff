/*
 * rules_line: one line of a rules file (its words, split by rules.c)
 * becomes at most one struct audit_rule_data, built by libaudit as
 * auditctl builds it, or a status setting or -D of the set.
 *
 * libaudit keeps per-rule state in process globals: the arch chosen by
 * -F arch= (which decides how later -S names resolve) and "a syscall / perm
 * / exe was given" flags (which decide whether a key is allowed). They are
 * reset before every line, exactly as auditctl does, so each line is parsed
 * on its own: an arch-less -S after a "-F arch=b32" line uses the host's
 * table. Hence the parser is not thread-safe. A line whose -F arch=b32 or
 * b64 this machine has no table for (b32 on ppc64le) is left out, its
 * other words unread, and listed in the set (see rules.c). Two libaudit
 * lookups touch the outside world: user and group names (NSS) and, for
 * -F exe= and exclude-list fields, a one-time kernel feature probe inside
 * libaudit.
 */
#include "netlink/rules.h"

#include "netlink/rules_int.h"

#include <ctype.h>
#include <errno.h>
#include <libaudit.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define RULES_MAX 8192
#define RULES_FIELDS_MAX (AUDIT_MAX_FIELDS - 1)

/* --- one line ------------------------------------------------------------- */

struct rules_line {
	struct rules_set *rs;
	struct rules_error *err;
	unsigned no;
	size_t words;
	struct audit_rule_data *r;
	int list; /* AUDIT_FILTER_*, -1 until -a, -A or -w */
	int action;
	bool prepend, syscalls;
	bool skip; /* -F arch= names no table here: leave the line out */
	char arch[32]; /* what -S names resolve against, for messages */
	char key[AUDIT_MAX_KEY_LEN + 1];
	size_t keylen;
};

/* The line's error: rules_err at its line number; -EINVAL. */
#define ln_fail(ln, ...) rules_err((ln)->err, (ln)->no, __VA_ARGS__)

void rules_libaudit_reset(void)
{
	_audit_syscalladded = 0;
	_audit_permadded = 0;
	_audit_archadded = 0;
	_audit_exeadded = 0;
	_audit_filterfsadded = 0;
	_audit_elf = 0;
}

static int rules_u32(const char *s, uint32_t *v)
{
	char *end;
	unsigned long long x;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno || *end || x > UINT32_MAX)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

/* -b -r -f -e, and --backlog_wait_time as opt 'w'. */
static int ln_status(struct rules_line *ln, char opt, const char *arg)
{
	struct audit_status *st = &ln->rs->status;
	bool flag = opt == 'f' || opt == 'e';
	uint32_t v;

	if (opt == 'f' && !strcmp(arg, "2"))
		return ln_fail(ln, "-f 2 is refused: it would panic the "
				   "kernel when audit fails");
	if (opt == 'e' && !strcmp(arg, "2"))
		return ln_fail(ln, "-e 2 is refused: it would lock the audit "
				   "configuration until reboot, and the "
				   "exporter must be able to remove its rules");
	if (rules_u32(arg, &v) || (flag && v > 1)) {
		if (opt == 'w')
			return ln_fail(ln,
				       "--backlog_wait_time takes a "
				       "number, got '%s'",
				       arg);
		return ln_fail(ln, "-%c takes %s, got '%s'", opt,
			       flag ? "0 or 1" : "a number", arg);
	}
	switch (opt) {
	case 'b':
		st->mask |= AUDIT_STATUS_BACKLOG_LIMIT;
		st->backlog_limit = v;
		break;
	case 'r':
		st->mask |= AUDIT_STATUS_RATE_LIMIT;
		st->rate_limit = v;
		break;
	case 'f':
		st->mask |= AUDIT_STATUS_FAILURE;
		st->failure = v;
		break;
	case 'e':
		st->mask |= AUDIT_STATUS_ENABLED;
		st->enabled = v;
		break;
	default:
		st->mask |= AUDIT_STATUS_BACKLOG_WAIT_TIME;
		st->backlog_wait_time = v;
	}
	return 0;
}

static int ln_list_action(struct rules_line *ln, const char *arg, char opt)
{
	const char *comma = strchr(arg, ',');
	char a[32], b[32];
	int act, list;

	if (ln->list >= 0)
		return ln_fail(ln, "only one -a, -A or -w per line");
	if (!comma || strchr(comma + 1, ',') || comma - arg >= (int)sizeof(a) ||
	    strlen(comma + 1) >= sizeof(b))
		return ln_fail(ln,
			       "-%c needs list,action (e.g. always,exit), "
			       "got '%s'",
			       opt, arg);
	snprintf(a, sizeof(a), "%.*s", (int)(comma - arg), arg);
	snprintf(b, sizeof(b), "%s", comma + 1);
	/* Either order, as auditctl: always,exit or exit,always. */
	act = audit_name_to_action(a);
	if (act >= 0) {
		list = audit_name_to_flag(b);
	} else {
		act = audit_name_to_action(b);
		list = audit_name_to_flag(a);
	}
	if (act == AUDIT_POSSIBLE)
		return ln_fail(ln, "action 'possible' is deprecated");
	if (act < 0 || list < 0)
		return ln_fail(ln,
			       "-%c needs list,action with a list of exit, "
			       "task, user, exclude, filesystem and an "
			       "action of always, never; got '%s'",
			       opt, arg);
	ln->list = list;
	ln->action = act;
	ln->prepend = opt == 'A';
	return 0;
}

static int ln_watch(struct rules_line *ln, const char *arg)
{
	char path[PATH_MAX];
	size_t len = strlen(arg);
	struct stat st;
	int type = AUDIT_WATCH;

	if (ln->list >= 0)
		return ln_fail(ln, "only one -a, -A or -w per line");
	if (arg[0] != '/')
		return ln_fail(ln, "watch path '%s' must start with /", arg);
	if (len >= sizeof(path))
		return ln_fail(ln, "watch path is longer than %d bytes",
			       PATH_MAX - 1);
	memcpy(path, arg, len + 1);
	while (len > 1 && path[len - 1] == '/')
		path[--len] = 0;
	if (strlen(strrchr(path, '/') + 1) > NAME_MAX)
		return ln_fail(ln,
			       "last part of watch path '%s' is longer "
			       "than %d bytes",
			       path, NAME_MAX);
	/* Like auditctl: an existing directory is watched as a tree. */
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		type = AUDIT_DIR;
	if (audit_add_watch_dir(type, &ln->r, path))
		return ln->r ? ln_fail(ln, "cannot build a watch on '%s'", path)
			     : -ENOMEM;
	ln->list = AUDIT_FILTER_EXIT;
	ln->action = AUDIT_ALWAYS;
	_audit_syscalladded = 1;
	return 0;
}

static int ln_perms(struct rules_line *ln, const char *arg)
{
	size_t len = strlen(arg);
	int bits = 0, rc;

	if (ln->list < 0)
		return ln_fail(ln, "-p needs -w path before it");
	/* "xwra"[i] is AUDIT_PERM_EXEC, _WRITE, _READ, _ATTR: 1 << i */
	for (size_t i = 0; i < len && len <= 4; i++) {
		const char *at = strchr("xwra", tolower((unsigned char)arg[i]));

		if (!at || !*at) {
			bits = 0;
			break;
		}
		bits |= 1 << (at - "xwra");
	}
	if (!bits)
		return ln_fail(ln, "permissions '%s': use 1 to 4 of r, w, x, a",
			       arg);
	rc = audit_update_watch_perms(ln->r, bits);
	if (rc == -1)
		return ln_fail(ln, "-p needs -w path before it");
	if (rc)
		return ln_fail(ln, "too many fields (max %d)",
			       RULES_FIELDS_MAX);
	_audit_permadded = 1;
	return 0;
}

static int ln_syscalls(struct rules_line *ln, const char *arg)
{
	char name[64];

	if (ln->list >= 0 && ln->list != AUDIT_FILTER_EXIT)
		return ln_fail(ln,
			       "system calls (-S) can only be audited on "
			       "the exit list, not on '%s'",
			       audit_flag_to_name(ln->list));
	if (!_audit_elf) { /* as auditctl: the host's arch */
		int m = audit_detect_machine();
		unsigned elf = m < 0 ? 0 : audit_machine_to_elf(m);

		if (!elf)
			return ln_fail(ln, "cannot tell this machine's arch");
		_audit_elf = elf;
		snprintf(ln->arch, sizeof(ln->arch), "%s",
			 audit_machine_to_name(m));
	}
	for (const char *p = arg;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		uint32_t nr;
		bool number;
		int rc;

		if (n == 0)
			return ln_fail(ln,
				       "empty name in system call list "
				       "'%s'",
				       arg);
		if (n >= sizeof(name))
			return ln_fail(ln, "unknown syscall '%.*s...'", 40, p);
		memcpy(name, p, n);
		name[n] = 0;
		number = !rules_u32(name, &nr);
		/* libaudit would read "42abc" as 42. */
		if (isdigit((unsigned char)name[0]) && !number)
			return ln_fail(ln, "unknown syscall '%s'", name);
		rc = audit_rule_syscallbyname_data(ln->r, name);
		if (rc == -1 && number)
			return ln_fail(ln, "syscall number %s is out of range",
				       name);
		if (rc == -1)
			return ln_fail(ln, "unknown syscall '%s' for arch %s",
				       name, ln->arch);
		if (rc)
			return ln_fail(ln, "unknown arch 0x%x", _audit_elf);
		if (!comma)
			break;
		p = comma + 1;
	}
	ln->syscalls = true;
	_audit_syscalladded = 1;
	return 0;
}

static int ln_key(struct rules_line *ln, const char *k)
{
	size_t n = strlen(k);
	size_t total = ln->keylen + (ln->keylen ? 1 : 0) + n;

	if (!n)
		return ln_fail(ln, "empty key");
	if (memchr(k, AUDIT_KEY_SEPARATOR, n))
		return ln_fail(ln, "key contains the separator byte 0x01");
	if (total > AUDIT_MAX_KEY_LEN)
		return ln_fail(ln,
			       "key too long: %zu bytes, max %d (keys of "
			       "one rule count together, with a separator "
			       "byte each)",
			       total, AUDIT_MAX_KEY_LEN);
	if (ln->keylen)
		ln->key[ln->keylen++] = AUDIT_KEY_SEPARATOR;
	memcpy(ln->key + ln->keylen, k, n + 1);
	ln->keylen += n;
	return 0;
}

/* Says why libaudit refused field (id) = value, by its return code (the
 * EAU_* numbers of libaudit's errormsg.h). */
static int ln_field_fail(struct rules_line *ln, int rc, int id,
			 const char *field, const char *value, bool compare)
{
	const char *what = compare ? "-C" : "field";
	bool uid = (id >= AUDIT_UID && id <= AUDIT_FSUID) ||
		   id == AUDIT_LOGINUID || id == AUDIT_OBJ_UID;

	if (compare && (rc == -1 || rc == -26 || rc == -27 || rc == -33))
		return ln_fail(ln, "cannot compare '%s' with '%s'", field,
			       value);
	switch (rc) {
	case -2:
	case -38:
		if (rc == -2 && !uid && id != AUDIT_GID && id != AUDIT_EGID &&
		    id != AUDIT_SGID && id != AUDIT_FSGID &&
		    id != AUDIT_OBJ_GID)
			return ln_fail(ln, "unknown field '%s'", field);
		return ln_fail(ln, "unknown %s '%s'", uid ? "user" : "group",
			       value);
	case -3:
		return ln_fail(ln, "-F arch= must come before -S");
	case -4:
	case -5:
		return ln_fail(ln, "unknown arch '%s'", value);
	case -6:
		return ln_fail(ln, "arch '%s' is not supported on this machine",
			       value);
	case -7:
	case -17:
		return ln_fail(ln, "%s '%s' can only be used on the exit list",
			       what, field);
	case -8:
		return ln_fail(ln, "unknown message type '%s'", value);
	case -9:
		return ln_fail(ln, "msgtype can only be used on the exclude "
				   "or user list");
	case -11:
		return ln_fail(ln, "value of '%s' is too long", field);
	case -12:
	case -34:
		return ln_fail(ln, "field '%s' cannot be used on the %s list",
			       field, audit_flag_to_name(ln->list));
	case -13:
		return ln_fail(ln, "%s '%s' only takes = or !=", what, field);
	case -29:
		return ln_fail(ln, "%s '%s' only takes =", what, field);
	case -14:
		return ln_fail(ln, "permissions '%s': use 1 to 4 of r, w, x, a",
			       value);
	case -15:
		return ln_fail(ln, "unknown errno '%s'", value);
	case -16:
		return ln_fail(ln, "unknown file type '%s'", value);
	case -21:
		return ln_fail(ln, "value of '%s' must be a number, got '%s'",
			       field, value);
	case -28:
		return ln_fail(ln, "too many fields (max %d)",
			       RULES_FIELDS_MAX);
	case -30:
		return ln_fail(ln, "field '%s' is not supported by the kernel",
			       field);
	case -31:
		return ln_fail(ln,
			       "field '%s' can only be used on the exit, "
			       "user or exclude list",
			       field);
	case -35:
		return ln_fail(ln, "the kernel does not support the %s list",
			       audit_flag_to_name(ln->list));
	case -36:
		return ln_fail(ln, "unknown file system type '%s'", value);
	case -37:
		return ln_fail(ln, "value of '%s' is too large", field);
	default:
		return ln_fail(ln, "bad %s '%s' (libaudit error %d)", what,
			       field, rc);
	}
}

/* True if libaudit refused -F arch=b32 or arch=b64 (rc -4 to -6) because
 * this machine has no such table (b32 on ppc64le, b64 on i386), rather
 * than for a name it does not know. */
static bool ln_arch_absent(int id, int rc, const char *op, const char *value)
{
	return id == AUDIT_ARCH && rc <= -4 && rc >= -6 && !strcmp(op, "=") &&
	       (!strcmp(value, "b32") || !strcmp(value, "b64")) &&
	       audit_detect_machine() >= 0;
}

/* -F field op value, or -C field op field (compare). */
static int ln_field(struct rules_line *ln, const char *arg, bool compare)
{
	/* libaudit's search order, so messages name what it will see */
	static const char *const ops[] = { "!=", ">=", "<=", "&=", "=",
					   ">",	 "<",  "&",  NULL };
	const char *op = NULL, *value;
	char field[64], *pair;
	size_t flen;
	int id, rc;

	if (ln->list < 0 && !(!compare && !strncmp(arg, "key=", 4)))
		return ln_fail(ln, "-%c needs -a list,action before it",
			       compare ? 'C' : 'F');
	for (int i = 0; ops[i] && !op; i++)
		if (!compare || i == 0 || i == 4)
			op = strstr(arg, ops[i]) ? ops[i] : NULL;
	if (!op && compare)
		return ln_fail(ln,
			       "-C takes field=field or field!=field, got "
			       "'%s'",
			       arg);
	if (!op)
		return ln_fail(ln,
			       "missing operator in '%s' (expected "
			       "field=value)",
			       arg);
	flen = (size_t)(strstr(arg, op) - arg);
	value = arg + flen + strlen(op);
	if (!flen)
		return ln_fail(ln, "missing field name in '%s'", arg);
	if (!*value)
		return ln_fail(ln, "missing value in '%s'", arg);
	if (strchr("!<>&=", arg[flen - 1]) || strchr("!<>&=", *value))
		return ln_fail(ln,
			       "bad operator in '%s' (use = != < > <= >= "
			       "& &=)",
			       arg);
	if (flen >= sizeof(field))
		return ln_fail(ln, "unknown field '%.40s...'", arg);
	memcpy(field, arg, flen);
	field[flen] = 0;
	if (!compare && !strcmp(field, "key"))
		return strcmp(op, "=") ? ln_fail(ln, "key only takes =")
				       : ln_key(ln, value);
	id = audit_name_to_field(field);
	if (id < 0)
		return ln_fail(ln, "unknown field '%s'", field);
	pair = strdup(arg);
	if (!pair)
		return -ENOMEM;
	if (compare)
		rc = audit_rule_interfield_comp_data(&ln->r, pair, ln->list);
	else
		rc = audit_rule_fieldpair_data(&ln->r, pair, ln->list);
	free(pair);
	if (!ln->r)
		return -ENOMEM;
	if (rc && ln_arch_absent(id, rc, op, value)) {
		snprintf(ln->arch, sizeof(ln->arch), "%s", value);
		ln->skip = true;
		return 1; /* stops the line */
	}
	if (rc)
		return ln_field_fail(ln, rc, id, field, value, compare);
	if (id == AUDIT_PERM)
		_audit_permadded = 1;
	if (id == AUDIT_EXE)
		_audit_exeadded = 1;
	if (id == AUDIT_ARCH)
		snprintf(ln->arch, sizeof(ln->arch), "%s", value);
	return 0;
}

static const struct {
	char opt;
	const char *what;
} rules_refused[] = {
	{ 'd', "delete rule" },
	{ 'W', "delete watch" },
	{ 'l', "list rules" },
	{ 's', "status" },
	{ 'R', "read rules file" },
	{ 'i', "ignore errors" },
	{ 'c', "continue on errors" },
	{ 'm', "user message" },
	{ 'q', "make equivalent" },
	{ 't', "trim subtrees" },
	{ 'h', "help" },
	{ 'v', "version" },
};

static int ln_option(struct rules_line *ln, char opt, const char *arg)
{
	switch (opt) {
	case 'D':
		if (ln->words != 1)
			return ln_fail(ln, "-D must be alone on its line");
		ln->rs->delete_all = true;
		return 0;
	case 'b':
	case 'r':
	case 'f':
	case 'e':
		return ln_status(ln, opt, arg);
	case 'a':
	case 'A':
		return ln_list_action(ln, arg, opt);
	case 'w':
		return ln_watch(ln, arg);
	case 'p':
		return ln_perms(ln, arg);
	case 'S':
		return ln_syscalls(ln, arg);
	case 'F':
	case 'C':
		return ln_field(ln, arg, opt == 'C');
	case 'k':
		return ln_key(ln, arg);
	}
	for (size_t i = 0; i < sizeof(rules_refused) / sizeof(*rules_refused);
	     i++)
		if (rules_refused[i].opt == opt)
			return ln_fail(ln,
				       "option -%c (%s) is not supported "
				       "in a rules file",
				       opt, rules_refused[i].what);
	return ln_fail(ln, "unknown option '-%c'", opt);
}

static int ln_long(struct rules_line *ln, char **word, size_t n, size_t *i)
{
	const char *w = word[*i] + 2, *eq = strchr(w, '=');
	size_t len = eq ? (size_t)(eq - w) : strlen(w);

	if (len == strlen("backlog_wait_time") &&
	    !strncmp(w, "backlog_wait_time", len)) {
		if (eq)
			return ln_status(ln, 'w', eq + 1);
		if (*i + 1 >= n)
			return ln_fail(ln, "--backlog_wait_time needs a value");
		return ln_status(ln, 'w', word[++*i]);
	}
	if (!strcmp(w, "loginuid-immutable") || !strcmp(w, "reset-lost") ||
	    !strcmp(w, "reset_backlog_wait_time_actual") ||
	    !strncmp(w, "signal", 6))
		return ln_fail(ln,
			       "option '%s' is not supported in a rules "
			       "file",
			       word[*i]);
	return ln_fail(ln, "unknown option '%s'", word[*i]);
}

/* After the last word: checks, key, default syscalls, and adds the rule. */
static int ln_finish(struct rules_line *ln)
{
	struct audit_rule_data *r;
	int rc;

	if (ln->list < 0) {
		if (ln->syscalls || ln->keylen)
			return ln_fail(ln, "missing -a list,action (or -w "
					   "path)");
		return 0; /* -D, status settings */
	}
	if (ln->syscalls && ln->list != AUDIT_FILTER_EXIT)
		return ln_fail(ln,
			       "system calls (-S) can only be audited on "
			       "the exit list, not on '%s'",
			       audit_flag_to_name(ln->list));
	if (ln->keylen) {
		char pair[AUDIT_MAX_KEY_LEN + 8];

		snprintf(pair, sizeof(pair), "key=%s", ln->key);
		rc = audit_rule_fieldpair_data(&ln->r, pair, ln->list);
		if (!ln->r)
			return -ENOMEM;
		if (rc == -19)
			return ln_fail(ln, "a key needs -S, -w, or a path, "
					   "dir, "
					   "perm or exe field before it");
		if (rc)
			return ln_field_fail(ln, rc, AUDIT_FILTERKEY, "key",
					     ln->key, false);
	}
	/* as auditctl: a rule without -S applies to every system call */
	if (ln->list != AUDIT_FILTER_TASK && !_audit_syscalladded)
		audit_rule_syscallbyname_data(ln->r, "all");
	if (ln->rs->rules.n >= RULES_MAX)
		return ln_fail(ln, "too many rules (max %d)", RULES_MAX);
	r = ln->r;
	ln->r = NULL;
	r->flags = (uint32_t)ln->list |
		   (ln->prepend ? AUDIT_FILTER_PREPEND : 0);
	r->action = (uint32_t)ln->action;
	rc = rules_vec_take(&ln->rs->rules, r, sizeof(*r) + r->buflen, ln->no);
	return rc ? rc : rules_ks_add_rule(&ln->rs->keys, r);
}

int rules_parse_line(struct rules_set *rs, char **word, size_t n, unsigned no,
		     struct rules_error *err)
{
	struct rules_line ln = { .rs = rs,
				 .err = err,
				 .no = no,
				 .words = n,
				 .list = -1,
				 .action = -1 };
	int rc = 0;

	rules_libaudit_reset();
	ln.r = audit_rule_create_data();
	if (!ln.r)
		return -ENOMEM;
	for (size_t i = 0; i < n && !rc; i++) {
		const char *w = word[i];

		if (w[0] != '-' || !w[1]) {
			rc = ln_fail(&ln,
				     "unexpected '%s' (every word must "
				     "be an option or its value)",
				     w);
		} else if (w[1] == '-') {
			rc = ln_long(&ln, word, n, &i);
		} else if (strchr("aAbCdefFkmpqrRSwW", w[1])) {
			const char *arg = w[2] ? w + 2 : NULL;

			if (!arg && i + 1 < n)
				arg = word[++i];
			rc = arg ? ln_option(&ln, w[1], arg)
				 : ln_fail(&ln, "option %s needs a value", w);
		} else {
			rc = w[2] ? ln_fail(&ln, "unknown option '%s'", w)
				  : ln_option(&ln, w[1], NULL);
		}
	}
	if (ln.skip)
		rc = rules_skip_add(rs, no, ln.arch, err);
	else if (!rc)
		rc = ln_finish(&ln);
	audit_rule_free_data(ln.r);
	rules_libaudit_reset();
	return rc;
}
