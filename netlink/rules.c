/*
 * rules: audit rules in auditctl syntax.
 *
 * The module is four files that share netlink/rules_int.h: this one
 * (errors, rules and vectors, splitting text into lines and words, parsed
 * sets), rules_line.c (one line, built by libaudit), rules_keys.c (key
 * sets, the kernel's rule list) and rules_load.c (the kernel loader).
 *
 * Parsing is pure (no kernel): each line is split the way auditctl's file
 * reader splits it and every rule is built by libaudit, so a file means here
 * what it means to `auditctl -R`. Splitting: blanks (space, tab, CR, so CRLF
 * files work) separate words; "\ " is a space inside a word and "\\" a
 * backslash; quotes are ordinary characters (auditctl keeps them too); a
 * line whose first word starts with '#' is a comment.
 *
 * A parsed set holds, in file order, one malloc'ed struct audit_rule_data
 * (sizeof + buflen bytes: the strings of path, dir, exe, key... fields are
 * packed in buf in field order, each field's value being its length) per
 * rule, with its line; whether the file had -D; the status settings as a
 * struct audit_status with its mask; and the keys of its file-watch rules.
 *
 * A line whose -F arch=b32 or b64 names a system call table this machine
 * does not have (b32 on ppc64le) is left out and listed in the set, for
 * the loader to warn about: one rules file serves x86_64, aarch64, ppc64le
 * and s390x hosts alike.
 *
 * Bounds: 4 MiB of text, 16 KiB per line, 8192 rules and 8192 lines left
 * out, AUDIT_MAX_FIELDS - 1 fields per rule (libaudit keeps one free),
 * AUDIT_MAX_KEY_LEN bytes of keys per rule including their 0x01
 * separators.
 */
#include "netlink/rules.h"

#include "netlink/rules_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RULES_TEXT_MAX (4u << 20)
#define RULES_LINE_MAX 16384
#define RULES_SKIP_MAX 8192 /* lines left out for their arch */

/* --- errors --------------------------------------------------------------- */

void rules_err_init(struct rules_error *err, const char *origin)
{
	memset(err, 0, sizeof(*err));
	snprintf(err->origin, sizeof(err->origin), "%s",
		 origin ? origin : "rules");
}

RULES_FMT(3, 4)
int rules_err(struct rules_error *err, unsigned line, const char *fmt, ...)
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
int rules_check(const struct audit_rule_data *r, size_t size)
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
const char *rules_string(const struct audit_rule_data *r, uint32_t field,
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

bool rules_is_watch(const struct audit_rule_data *r)
{
	for (uint32_t i = 0; i < r->field_count; i++)
		if (r->fields[i] == AUDIT_WATCH || r->fields[i] == AUDIT_DIR)
			return true;
	return false;
}

/* Appends r (taking it) to v; on error r is freed. */
int rules_vec_take(struct rules_vec *v, struct audit_rule_data *r, size_t size,
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
	v->v[v->n++] =
		(struct rules_rule){ .data = r, .size = size, .line = line };
	return 0;
}

int rules_vec_copy(struct rules_vec *v, const struct audit_rule_data *r,
		   size_t size, unsigned line)
{
	struct audit_rule_data *c = malloc(size);

	if (!c)
		return -ENOMEM;
	memcpy(c, r, size);
	return rules_vec_take(v, c, size, line);
}

void rules_vec_free(struct rules_vec *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->v[i].data);
	free(v->v);
	memset(v, 0, sizeof(*v));
}

/* --- sets ----------------------------------------------------------------- */

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

int rules_skip_add(struct rules_set *rs, unsigned line, const char *arch,
		   struct rules_error *err)
{
	if (rs->nskip >= RULES_SKIP_MAX)
		return rules_err(err, line, "too many lines skipped (max %d)",
				 RULES_SKIP_MAX);
	if (rs->nskip == rs->skip_cap) {
		size_t cap = rs->skip_cap ? rs->skip_cap * 2 : 16;
		struct rules_skip *n = realloc(rs->skip, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		rs->skip = n;
		rs->skip_cap = cap;
	}
	rs->skip[rs->nskip].line = line;
	snprintf(rs->skip[rs->nskip].arch, sizeof(rs->skip[0].arch), "%s",
		 arch);
	rs->nskip++;
	return 0;
}

size_t rules_skipped_count(const struct rules_set *rs)
{
	return rs->nskip;
}

const char *rules_skipped_get(const struct rules_set *rs, size_t i,
			      unsigned *line)
{
	if (line)
		*line = rs->skip[i].line;
	return rs->skip[i].arch;
}

void rules_set_free(struct rules_set *rs)
{
	if (!rs)
		return;
	free(rs->skip);
	rules_vec_free(&rs->rules);
	rules_ks_clear(&rs->keys);
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
