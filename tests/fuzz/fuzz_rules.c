/*
 * fuzz_rules: the auditctl-syntax rules parser (netlink/rules) on arbitrary
 * text. Parsing only: nothing reaches the kernel (libaudit may ask it once
 * which features it has, read-only). rules_parse_text is not thread-safe
 * (libaudit's per-rule globals); libFuzzer calls it from one thread.
 *
 * Checks, from the header's contract and the kernel's rule layout
 * (struct audit_rule_data: fields[], values[], and the strings of string
 * fields packed into buf, each values[i] bytes long):
 *   - failure is EINVAL (with a message and a line within the text) or
 *     EFBIG; the error string is NUL-terminated even in a small buffer;
 *   - every rule lies within its size: at most AUDIT_MAX_FIELDS fields,
 *     their strings inside buflen; lines ascend within the text;
 *   - the watch keys are exactly the keys (split at 0x01) of the rules
 *     that have a watch or dir field, each found by rules_is_watch_key and
 *     rules_keyset_has, in ascending order without duplicates;
 *   - the status mask names only settings auditctl can make.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libaudit.h>
#include <linux/audit.h>

#include "netlink/rules.h"
#include "tests/fuzz/fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Fields whose value is a string in buf (the kernel's audit_unpack_string
 * users). */
static bool string_field(uint32_t f)
{
	switch (f) {
	case AUDIT_WATCH:
	case AUDIT_DIR:
	case AUDIT_FILTERKEY:
	case AUDIT_EXE:
	case AUDIT_SUBJ_USER:
	case AUDIT_SUBJ_ROLE:
	case AUDIT_SUBJ_TYPE:
	case AUDIT_SUBJ_SEN:
	case AUDIT_SUBJ_CLR:
	case AUDIT_OBJ_USER:
	case AUDIT_OBJ_ROLE:
	case AUDIT_OBJ_TYPE:
	case AUDIT_OBJ_LEV_LOW:
	case AUDIT_OBJ_LEV_HIGH:
		return true;
	}
	return false;
}

/* Checks one rule's layout; returns its key string (or NULL) and whether
 * it is a file watch. */
static const char *check_rule(const struct audit_rule_data *r, size_t size,
			      size_t *keylen, bool *watch)
{
	const char *key = NULL;
	size_t off = 0;

	*watch = false;
	*keylen = 0;
	FUZZ_CHECK("rule size",
		   size >= sizeof(*r) && r->buflen <= size - sizeof(*r));
	FUZZ_CHECK("field count", r->field_count <= AUDIT_MAX_FIELDS);
	for (uint32_t i = 0; i < r->field_count; i++) {
		if (!string_field(r->fields[i]))
			continue;
		FUZZ_CHECK("string past buf", r->values[i] <= r->buflen - off);
		if (r->fields[i] == AUDIT_WATCH || r->fields[i] == AUDIT_DIR)
			*watch = true;
		if (r->fields[i] == AUDIT_FILTERKEY && !key) {
			key = r->buf + off;
			*keylen = r->values[i];
			FUZZ_CHECK("key length", *keylen <= AUDIT_MAX_KEY_LEN);
		}
		off += r->values[i];
	}
	return key;
}

/* Every key of a watch rule is a watch key; returns how many keys (with
 * duplicates) the rule has. */
static size_t check_keys(const struct rules_set *rs, const char *k, size_t len)
{
	const struct rules_keyset *ks = rules_watch_keys(rs);
	size_t n = 0;

	while (len) {
		const char *sep = memchr(k, AUDIT_KEY_SEPARATOR, len);
		size_t m = sep ? (size_t)(sep - k) : len;

		if (m) {
			FUZZ_CHECK("watch key not found",
				   rules_is_watch_key(rs, k, m));
			FUZZ_CHECK("watch key not in the key set",
				   rules_keyset_has(ks, k, m));
			n++;
		}
		if (!sep)
			break;
		len -= m + 1;
		k = sep + 1;
	}
	return n;
}

/* The key set is sorted by bytes, then length, without duplicates, and
 * holds nothing that no watch rule has. */
static void check_keyset(const struct rules_set *rs, size_t max_keys)
{
	const struct rules_keyset *ks = rules_watch_keys(rs);
	size_t n = rules_keyset_count(ks);
	const char *prev = NULL;

	FUZZ_CHECK("watch keys from nowhere", n <= max_keys);
	for (size_t i = 0; i < n; i++) {
		const char *k = rules_keyset_get(ks, i);

		FUZZ_CHECK("empty watch key", k && *k);
		FUZZ_CHECK("key lookup", rules_keyset_has(ks, k, strlen(k)));
		if (prev)
			FUZZ_CHECK("key order", strcmp(prev, k) < 0);
		prev = k;
	}
}

static void check_set(const struct rules_set *rs, size_t lines)
{
	struct audit_status st;
	uint32_t mask;
	unsigned last = 0;
	size_t keys = 0;

	FUZZ_CHECK("rule count", rules_count(rs) <= 8192);
	for (size_t i = 0; i < rules_count(rs); i++) {
		size_t size, keylen;
		unsigned line;
		bool watch;
		const struct audit_rule_data *r =
			rules_get(rs, i, &size, &line);
		const char *key;

		FUZZ_CHECK("rules_get", r != NULL);
		FUZZ_CHECK("rule line",
			   line >= 1 && line <= lines && line > last);
		last = line;
		key = check_rule(r, size, &keylen, &watch);
		if (watch && key)
			keys += check_keys(rs, key, keylen);
	}
	check_keyset(rs, keys);
	mask = rules_status(rs, &st);
	FUZZ_CHECK("status mask",
		   !(mask &
		     ~(uint32_t)(AUDIT_STATUS_ENABLED | AUDIT_STATUS_FAILURE |
				 AUDIT_STATUS_RATE_LIMIT |
				 AUDIT_STATUS_BACKLOG_LIMIT |
				 AUDIT_STATUS_BACKLOG_WAIT_TIME)));
	if (mask & AUDIT_STATUS_ENABLED)
		FUZZ_CHECK("enabled 2 must never be set", st.enabled <= 1);
	if (mask & AUDIT_STATUS_FAILURE)
		FUZZ_CHECK("failure 2 must never be set", st.failure <= 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rules_error err;
	struct rules_set *rs;
	char msg[16];
	size_t lines = 1;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	errno = 0;
	rs = rules_parse_text((const char *)data, size, "fuzz", &err);
	if (rs) {
		check_set(rs, lines);
		rules_set_free(rs);
		return 0;
	}
	FUZZ_CHECK("parse errno", errno == EINVAL || errno == EFBIG);
	FUZZ_CHECK("error message",
		   memchr(err.msg, 0, sizeof(err.msg)) && err.msg[0]);
	FUZZ_CHECK("error origin", memchr(err.origin, 0, sizeof(err.origin)));
	FUZZ_CHECK("error line", err.line <= lines);
	FUZZ_CHECK("error string",
		   rules_error_str(&err, msg, sizeof(msg)) == msg &&
			   strlen(msg) < sizeof(msg));
	return 0;
}
