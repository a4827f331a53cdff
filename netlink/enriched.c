/*
 * enriched: auditd's ENRICHED log format, the interpreted half of a record.
 *
 * With log_format = ENRICHED auditd appends, after a 0x1d (ASCII group
 * separator) byte, the fields it interpreted on the logging host:
 *   ... uid=1000 ... comm="ls" ...<0x1d>ARCH=x86_64 SYSCALL=connect
 *   AUID="user" UID="user" ... SADDR={ saddr_fam=local path=/x }
 * The raw part before 0x1d is what arec parses (its iteration stops at the
 * separator); this module reads the part after it. In a replay the names
 * are worth more than this host's NSS: the log was written on another
 * host, whose uid 1000 is not ours, so users_ takes them over any lookup.
 *
 * Grammar read here, tokens separated by spaces:
 *   KEY=VALUE where VALUE is "..." (a quoted name), {...} (an
 *   interpreted sockaddr, skipped to its closing brace) or a bare word.
 * Robustness, for a log that is input like any other:
 *   - a quoted value without its closing quote (none, or one that is not
 *     followed by a space or the end) makes the key unreadable (-EINVAL)
 *     and ends the scan: where it ends is unknown, so no prefix is taken
 *     as a name;
 *   - a value longer than ENRICHED_VALUE_MAX is refused (-E2BIG), not cut:
 *     a cut name would name someone else;
 *   - a key present twice is ambiguous (-EEXIST) and neither value is
 *     taken; auditd writes each key once;
 *   - tokens that are not KEY=VALUE are skipped; a '{' without '}' ends
 *     the scan, and so does a '}' not followed by a space or the end (a
 *     token glued to the braces, found by fuzz_enriched). The scan is one pass over the bytes after 0x1d, bounded by
 *     len, and never allocates.
 * auditd's words for ids it could not name, "unset" (auid -1) and
 * "unknown(N)", are not names: enriched_user reports -ENOENT for them so
 * the caller falls back to NSS or to no name at all.
 */
#include "netlink/enriched.h"

#include <errno.h>
#include <string.h>

#include "netlink/arec.h"

struct enriched_tok {
	const char *key, *val;
	size_t key_len, val_len;
	int err; /* 0, -EINVAL (open quote) or -E2BIG */
};

/* Reads the token at *p (spaces skipped); false at the end. */
static bool enriched_next(const char **p, const char *end,
			  struct enriched_tok *t)
{
	const char *s = *p;

	while (s < end && *s == ' ')
		s++;
	if (s >= end)
		return false;
	memset(t, 0, sizeof(*t));
	t->key = s;
	while (s < end && *s != ' ' && *s != '=')
		s++;
	t->key_len = (size_t)(s - t->key);
	if (s >= end || *s != '=') { /* not KEY=VALUE: an empty key */
		t->key_len = 0;
		*p = s;
		return true;
	}
	s++;
	if (s < end && *s == '"') {
		const char *q = memchr(s + 1, '"', (size_t)(end - s - 1));

		t->val = s + 1;
		/* the closing quote ends the token: "alice AUID="bob is
		 * a quote left open, not the name `alice AUID=` */
		if (!q || (q + 1 < end && q[1] != ' ')) {
			t->err = -EINVAL;
			*p = end;
			return true;
		}
		t->val_len = (size_t)(q - t->val);
		s = q + 1;
	} else if (s < end && *s == '{') {
		const char *b = memchr(s, '}', (size_t)(end - s));

		t->val = s;
		s = b ? b + 1 : end;
		t->val_len = (size_t)(s - t->val);
		if (s < end && *s != ' ') { /* "}UID=" is not two tokens */
			t->err = -EINVAL;
			s = end;
		}
	} else {
		t->val = s;
		while (s < end && *s != ' ')
			s++;
		t->val_len = (size_t)(s - t->val);
	}
	if (!t->err && t->val_len > ENRICHED_VALUE_MAX)
		t->err = -E2BIG;
	*p = s;
	return true;
}

int enriched_get(const char *body, size_t len, const char *key,
		 const char **val, size_t *val_len)
{
	const char *gs = memchr(body, 0x1d, len);
	const char *p, *end = body + len;
	size_t klen = strlen(key);
	struct enriched_tok t, found = { .err = -ENOENT };
	bool seen = false;

	if (!gs)
		return -ENOENT;
	p = gs + 1;
	while (enriched_next(&p, end, &t)) {
		if (t.key_len != klen || memcmp(t.key, key, klen))
			continue;
		if (seen)
			return -EEXIST;
		seen = true;
		found = t;
	}
	if (!seen)
		return -ENOENT;
	if (found.err)
		return found.err;
	*val = found.val;
	*val_len = found.val_len;
	return 0;
}

static bool enriched_is_noname(const char *v, size_t n)
{
	return (n == 5 && !memcmp(v, "unset", 5)) ||
	       (n >= 8 && !memcmp(v, "unknown(", 8)) || n == 0;
}

int enriched_user(const char *body, size_t len, const char *field, uint32_t *id,
		  const char **name, size_t *name_len)
{
	size_t flen = strlen(field);
	char up[8];
	struct arec_iter it;
	struct arec_field f;
	uint64_t v = 0;
	bool have = false;
	int rc;

	if (!flen || flen >= sizeof(up))
		return -ENOENT;
	for (size_t i = 0; i < flen; i++)
		up[i] = (char)(field[i] >= 'a' && field[i] <= 'z'
				       ? field[i] - 'a' + 'A'
				       : field[i]);
	up[flen] = 0;
	arec_iter_init(&it, body, len);
	while (!have && arec_iter_next(&it, &f))
		if (arec_name_is(&f, field, flen))
			have = !arec_u64_dec(f.value, f.value_len, &v) &&
			       v <= UINT32_MAX;
	if (!have)
		return -ENOENT;
	rc = enriched_get(body, len, up, name, name_len);
	if (rc)
		return rc;
	if (enriched_is_noname(*name, *name_len))
		return -ENOENT;
	*id = (uint32_t)v;
	return 0;
}
