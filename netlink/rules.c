/*
 * rules: audit rules in auditctl syntax.
 *
 * Parsing is pure (no kernel): each line is split the way auditctl's file
 * reader splits it and every rule is built by libaudit, so a file means here
 * what it means to `auditctl -R`. Splitting: blanks (space, tab, CR, so CRLF
 * files work) separate words; "\ " is a space inside a word and "\\" a
 * backslash; quotes are ordinary characters (auditctl keeps them too); a
 * line whose first word starts with '#' is a comment.
 *
 * libaudit keeps per-rule state in process globals: the arch chosen by
 * -F arch= (which decides how later -S names resolve) and "a syscall / perm
 * / exe was given" flags (which decide whether a key is allowed). They are
 * reset before every line, exactly as auditctl does, so each line is parsed
 * on its own: an arch-less -S after a "-F arch=b32" line uses the host's
 * table. Hence the parser is not thread-safe. Two libaudit lookups touch
 * the outside world: user and group names (NSS) and, for -F exe= and
 * exclude-list fields, a one-time kernel feature probe inside libaudit.
 *
 * A parsed set holds, in file order, one malloc'ed struct audit_rule_data
 * (sizeof + buflen bytes: the strings of path, dir, exe, key... fields are
 * packed in buf in field order, each field's value being its length) per
 * rule, with its line; whether the file had -D; the status settings as a
 * struct audit_status with its mask; and the keys of its file-watch rules.
 *
 * Key sets are sorted arrays searched by (bytes, length): no allocation on
 * lookup, so the aggregator may ask per event. The same code collects the
 * watch keys of a parsed set and of the kernel's rule list.
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
 *
 * Bounds: 4 MiB of text, 16 KiB per line, 8192 rules, AUDIT_MAX_FIELDS - 1
 * fields per rule (libaudit keeps one free), AUDIT_MAX_KEY_LEN bytes of keys
 * per rule including their 0x01 separators.
 */
#include "netlink/rules.h"

#include "netlink/nl.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libaudit.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* libaudit's per-rule state: exported, declared only in its private header
 * (auditctl resets it the same way). */
extern int _audit_syscalladded, _audit_permadded, _audit_archadded;
extern int _audit_exeadded, _audit_filterfsadded;
extern unsigned int _audit_elf;

#define RULES_TEXT_MAX (4u << 20)
#define RULES_LINE_MAX 16384
#define RULES_MAX 8192
#define RULES_FIELDS_MAX (AUDIT_MAX_FIELDS - 1)
#define RULES_FMT(a, b) __attribute__((format(printf, a, b)))

struct rules_rule {
	struct audit_rule_data *data; /* sizeof(*data) + data->buflen bytes */
	size_t size;
	unsigned line;
	bool watch; /* has an AUDIT_WATCH or AUDIT_DIR field */
	bool owned; /* loader copies only: we added it */
};

struct rules_vec {
	struct rules_rule *v;
	size_t n, cap;
};

struct rules_key {
	char *s; /* NUL-terminated copy */
	size_t len;
};

struct rules_keyset {
	struct rules_key *v; /* sorted by (bytes, length), unique */
	size_t n, cap;
};

struct rules_set {
	struct rules_vec rules;
	struct rules_keyset keys;
	struct audit_status status;
	bool delete_all;
	char origin[sizeof(((struct rules_error *)0)->origin)];
};

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

/* --- errors --------------------------------------------------------------- */

static void rules_err_init(struct rules_error *err, const char *origin)
{
	memset(err, 0, sizeof(*err));
	snprintf(err->origin, sizeof(err->origin), "%s",
		 origin ? origin : "rules");
}

RULES_FMT(3, 4)
static int rules_err(struct rules_error *err, unsigned line, const char *fmt,
		     ...)
{
	va_list ap;

	err->line = line;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

const char *rules_error_str(const struct rules_error *err, char *buf,
			    size_t len)
{
	if (err->line)
		snprintf(buf, len, "%s: line %u: %s", err->origin, err->line,
			 err->msg);
	else
		snprintf(buf, len, "%s: %s", err->origin, err->msg);
	return buf;
}

/* --- rules and vectors ---------------------------------------------------- */

static bool rules_field_is_string(uint32_t f)
{
	return (f >= AUDIT_SUBJ_USER && f <= AUDIT_SUBJ_CLR) ||
	       (f >= AUDIT_OBJ_USER && f <= AUDIT_OBJ_LEV_HIGH) ||
	       f == AUDIT_WATCH || f == AUDIT_DIR || f == AUDIT_FILTERKEY ||
	       f == AUDIT_EXE;
}

/* 0 if r's fields and strings fit in size bytes, else -EINVAL. */
static int rules_check(const struct audit_rule_data *r, size_t size)
{
	size_t used = 0;

	if (size < sizeof(*r) || r->field_count > AUDIT_MAX_FIELDS ||
	    r->buflen > size - sizeof(*r))
		return -EINVAL;
	for (uint32_t i = 0; i < r->field_count; i++) {
		if (!rules_field_is_string(r->fields[i]))
			continue;
		if (r->values[i] > r->buflen - used)
			return -EINVAL;
		used += r->values[i];
	}
	return 0;
}

/* The string of the first `field` field of a checked rule, or NULL. */
static const char *rules_string(const struct audit_rule_data *r, uint32_t field,
				size_t *len)
{
	size_t off = 0;

	for (uint32_t i = 0; i < r->field_count; i++) {
		if (!rules_field_is_string(r->fields[i]))
			continue;
		if (r->fields[i] == field) {
			*len = r->values[i];
			return r->buf + off;
		}
		off += r->values[i];
	}
	return NULL;
}

static bool rules_is_watch(const struct audit_rule_data *r)
{
	for (uint32_t i = 0; i < r->field_count; i++)
		if (r->fields[i] == AUDIT_WATCH || r->fields[i] == AUDIT_DIR)
			return true;
	return false;
}

/* Appends r (taking it) to v; on error r is freed. */
static int vec_take(struct rules_vec *v, struct audit_rule_data *r, size_t size,
		    unsigned line)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 32;
		struct rules_rule *nv = realloc(v->v, cap * sizeof(*nv));

		if (!nv) {
			free(r);
			return -ENOMEM;
		}
		v->v = nv;
		v->cap = cap;
	}
	v->v[v->n++] = (struct rules_rule){ .data = r,
					    .size = size,
					    .line = line,
					    .watch = rules_is_watch(r) };
	return 0;
}

static int vec_copy(struct rules_vec *v, const struct audit_rule_data *r,
		    size_t size, unsigned line)
{
	struct audit_rule_data *c = malloc(size);

	if (!c)
		return -ENOMEM;
	memcpy(c, r, size);
	return vec_take(v, c, size, line);
}

static void vec_free(struct rules_vec *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->v[i].data);
	free(v->v);
	memset(v, 0, sizeof(*v));
}

/* --- key sets ------------------------------------------------------------- */

static int ks_cmp(const struct rules_key *k, const char *s, size_t len)
{
	int c = memcmp(k->s, s, k->len < len ? k->len : len);

	if (c)
		return c;
	return k->len < len ? -1 : k->len > len;
}

/* Index of the first key >= s; *found says whether it equals s. */
static size_t ks_find(const struct rules_keyset *ks, const char *s, size_t len,
		      bool *found)
{
	size_t lo = 0, hi = ks->n;

	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = ks_cmp(&ks->v[mid], s, len);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int ks_add(struct rules_keyset *ks, const char *s, size_t len)
{
	bool found;
	size_t at = ks_find(ks, s, len, &found);
	char *copy;

	if (found)
		return 0;
	if (ks->n == ks->cap) {
		size_t cap = ks->cap ? ks->cap * 2 : 8;
		struct rules_key *nv = realloc(ks->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		ks->v = nv;
		ks->cap = cap;
	}
	copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, s, len);
	copy[len] = 0;
	memmove(&ks->v[at + 1], &ks->v[at], (ks->n - at) * sizeof(*ks->v));
	ks->v[at].s = copy;
	ks->v[at].len = len;
	ks->n++;
	return 0;
}

/* Adds the keys of a checked rule, if it is a file watch (split at 0x01). */
static int ks_add_rule(struct rules_keyset *ks, const struct audit_rule_data *r)
{
	size_t len;
	const char *k = rules_string(r, AUDIT_FILTERKEY, &len);

	if (!rules_is_watch(r))
		return 0;
	while (k && len) {
		const char *sep = memchr(k, AUDIT_KEY_SEPARATOR, len);
		size_t n = sep ? (size_t)(sep - k) : len;

		if (n && ks_add(ks, k, n))
			return -ENOMEM;
		if (!sep)
			break;
		len -= n + 1;
		k = sep + 1;
	}
	return 0;
}

static void ks_clear(struct rules_keyset *ks)
{
	for (size_t i = 0; i < ks->n; i++)
		free(ks->v[i].s);
	free(ks->v);
	memset(ks, 0, sizeof(*ks));
}

bool rules_keyset_has(const struct rules_keyset *ks, const char *key,
		      size_t len)
{
	bool found = false;

	if (ks)
		ks_find(ks, key, len, &found);
	return found;
}

size_t rules_keyset_count(const struct rules_keyset *ks)
{
	return ks ? ks->n : 0;
}

const char *rules_keyset_get(const struct rules_keyset *ks, size_t i)
{
	return ks->v[i].s;
}

void rules_keyset_free(struct rules_keyset *ks)
{
	if (!ks)
		return;
	ks_clear(ks);
	free(ks);
}

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
	char arch[32]; /* what -S names resolve against, for messages */
	char key[AUDIT_MAX_KEY_LEN + 1];
	size_t keylen;
};

RULES_FMT(2, 3)
static int ln_fail(struct rules_line *ln, const char *fmt, ...)
{
	va_list ap;

	ln->err->line = ln->no;
	va_start(ap, fmt);
	vsnprintf(ln->err->msg, sizeof(ln->err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static void rules_libaudit_reset(void)
{
	_audit_syscalladded = 0;
	_audit_permadded = 0;
	_audit_archadded = 0;
	_audit_exeadded = 0;
	_audit_filterfsadded = 0;
	_audit_elf = 0;
}

static bool rules_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Splits line in place into at most max words; returns their number. */
static size_t rules_split(char *line, char **word, size_t max)
{
	size_t n = 0;
	char *r = line;

	while (n < max) {
		char *w;
		bool more;

		while (rules_blank(*r))
			r++;
		if (!*r)
			break;
		word[n++] = w = r;
		while (*r && !rules_blank(*r)) {
			if (*r == '\\' && (r[1] == ' ' || r[1] == '\\'))
				r++;
			*w++ = *r++;
		}
		more = *r != 0;
		*w = 0; /* w <= r */
		if (!more)
			break;
		r++;
	}
	return n;
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
	rc = vec_take(&ln->rs->rules, r, sizeof(*r) + r->buflen, ln->no);
	return rc ? rc : ks_add_rule(&ln->rs->keys, r);
}

static int rules_parse_line(struct rules_set *rs, char **word, size_t n,
			    unsigned no, struct rules_error *err)
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
	if (!rc)
		rc = ln_finish(&ln);
	audit_rule_free_data(ln.r);
	rules_libaudit_reset();
	return rc;
}

/* --- sets ----------------------------------------------------------------- */

struct rules_set *rules_parse_text(const char *text, size_t len,
				   const char *origin, struct rules_error *err)
{
	struct rules_error scratch;
	struct rules_set *rs = NULL;
	char *line = NULL, **word = NULL;
	size_t max = RULES_LINE_MAX / 2 + 1, pos = 0;
	unsigned no = 0;
	int rc = -ENOMEM;

	if (!err)
		err = &scratch;
	rules_err_init(err, origin);
	if (len > RULES_TEXT_MAX) {
		rules_err(err, 0, "larger than %u bytes", RULES_TEXT_MAX);
		rc = -EFBIG;
		goto out;
	}
	rs = calloc(1, sizeof(*rs));
	line = malloc(RULES_LINE_MAX + 1);
	word = malloc(max * sizeof(*word));
	if (!rs || !line || !word)
		goto out;
	snprintf(rs->origin, sizeof(rs->origin), "%s", err->origin);
	rc = 0;
	while (pos < len && !rc) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - text) - pos : len - pos;
		size_t words;

		no++;
		if (n > RULES_LINE_MAX)
			rc = rules_err(err, no, "line is longer than %d bytes",
				       RULES_LINE_MAX);
		else if (memchr(text + pos, 0, n))
			rc = rules_err(err, no, "NUL byte in line");
		if (rc)
			break;
		memcpy(line, text + pos, n);
		line[n] = 0;
		pos += n + 1;
		words = rules_split(line, word, max);
		if (words && word[0][0] != '#')
			rc = rules_parse_line(rs, word, words, no, err);
	}
out:
	free(line);
	free(word);
	if (rc == -ENOMEM && !err->msg[0])
		rules_err(err, no, "out of memory");
	if (rc) {
		rules_set_free(rs);
		errno = -rc;
		return NULL;
	}
	return rs;
}

struct rules_set *rules_parse_file(const char *path, struct rules_error *err)
{
	struct rules_error scratch;
	struct rules_set *rs = NULL;
	size_t len = 0, cap = 65536;
	char *text = malloc(cap);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	int e = 0;

	if (!err)
		err = &scratch;
	rules_err_init(err, path);
	if (fd < 0 || !text) {
		e = fd < 0 ? errno : ENOMEM;
		goto out;
	}
	if (fstat(fd, &st)) {
		e = errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		e = EINVAL;
		goto out;
	}
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *t = cap > RULES_TEXT_MAX ? NULL
						       : realloc(text, cap * 2);

			if (!t) {
				e = cap > RULES_TEXT_MAX ? EFBIG : ENOMEM;
				goto out;
			}
			text = t;
			cap *= 2;
		}
		n = read(fd, text + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	rs = rules_parse_text(text, len, path, err);
	e = rs ? 0 : errno;
out:
	if (e && !err->msg[0])
		rules_err(err, 0, "%s",
			  e == EINVAL  ? "not a regular file"
			  : e == EFBIG ? "file is larger than 4 MiB"
				       : strerror(e));
	if (fd >= 0)
		close(fd);
	free(text);
	errno = e;
	return rs;
}

void rules_set_free(struct rules_set *rs)
{
	if (!rs)
		return;
	vec_free(&rs->rules);
	ks_clear(&rs->keys);
	free(rs);
}

size_t rules_count(const struct rules_set *rs)
{
	return rs->rules.n;
}

const struct audit_rule_data *rules_get(const struct rules_set *rs, size_t i,
					size_t *size, unsigned *line)
{
	if (size)
		*size = rs->rules.v[i].size;
	if (line)
		*line = rs->rules.v[i].line;
	return rs->rules.v[i].data;
}

bool rules_delete_all(const struct rules_set *rs)
{
	return rs->delete_all;
}

uint32_t rules_status(const struct rules_set *rs, struct audit_status *st)
{
	*st = rs->status;
	return st->mask;
}

bool rules_is_watch_key(const struct rules_set *rs, const char *key, size_t len)
{
	return rules_keyset_has(&rs->keys, key, len);
}

const struct rules_keyset *rules_watch_keys(const struct rules_set *rs)
{
	return &rs->keys;
}

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

		if (vec_copy(&c->rules, r->data, r->size, r->line)) {
			rules_set_free(c);
			return NULL;
		}
	}
	return c;
}

/* --- the kernel's rules --------------------------------------------------- */

struct rules_list_ctx {
	struct rules_vec *out;
	int rc;
};

static void rules_list_cb(void *arg, const struct audit_rule_data *r,
			  size_t size)
{
	struct rules_list_ctx *ctx = arg;

	if (ctx->rc || rules_check(r, size))
		return; /* a malformed reply is skipped, not trusted */
	ctx->rc = vec_copy(ctx->out, r, sizeof(*r) + r->buflen, 0);
}

static int rules_kernel_list(struct nl_audit *ctl, struct rules_vec *out)
{
	struct rules_list_ctx ctx = { out, 0 };
	int rc = nl_audit_list_rules(ctl, rules_list_cb, &ctx);

	return rc ? rc : ctx.rc;
}

int rules_kernel_watch_keys(struct nl_audit *ctl, struct rules_keyset **out)
{
	struct rules_vec k = { 0 };
	struct rules_keyset *ks = calloc(1, sizeof(*ks));
	int rc = ks ? rules_kernel_list(ctl, &k) : -ENOMEM;

	for (size_t i = 0; i < k.n && !rc; i++)
		rc = ks_add_rule(ks, k.v[i].data);
	vec_free(&k);
	if (rc) {
		rules_keyset_free(ks);
		ks = NULL;
	}
	*out = ks;
	return rc;
}

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
	vec_free(&ld->saved);
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
		if (note[0] && !ld->self_in &&
		    strcmp(note, ld->note) != 0) {
			memcpy(ld->note, note, sizeof(ld->note));
			if (ld_build_self(ld, ld->self_pid))
				ld_warn(ld, 0, "out of memory keeping the "
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
		if (vec_copy(&ld->saved, r->data, r->size, 0)) {
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
		vec_free(&k);
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
		if (rc == -ENOENT && r->watch) {
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
	vec_free(&k);
	return rc;
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
	vec_free(&ld->saved);
	free(ld->self);
	free(ld);
}
