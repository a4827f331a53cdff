/*
 * fuzz_enriched: auditd's ENRICHED fields (netlink/enriched) from
 * arbitrary bytes.
 *
 * The input is a record body; the keys asked are the user ids auditd
 * names. Checks:
 *   - enriched_get returns 0 or one of its four errors, nothing else;
 *   - a value found lies after the 0x1d, inside the input, within
 *     ENRICHED_VALUE_MAX, directly after "KEY=" or "KEY=\"" that starts
 *     a token (after the 0x1d or a space), and a quoted one holds no quote
 *     and is followed by its closing quote and then a space or the end;
 *   - enriched_user gives a non-empty name that is not "unset" or
 *     "unknown(...)", from the same value enriched_get finds.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netlink/enriched.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_get(const char *b, size_t n, const char *key)
{
	const char *gs = memchr(b, 0x1d, n);
	const char *v;
	size_t vl, kl = strlen(key);
	int rc = enriched_get(b, n, key, &v, &vl);

	if (rc != 0 && rc != -ENOENT && rc != -EEXIST && rc != -E2BIG &&
	    rc != -EINVAL)
		abort();
	if (rc)
		return;
	if (!gs || v <= gs || v + vl > b + n || vl > ENRICHED_VALUE_MAX)
		abort();
	if (v[-1] == '"' && v - 1 > gs && v[-2] == '=') {
		const char *k = v - 2 - kl;

		if (memchr(v, '"', vl) || v + vl >= b + n || v[vl] != '"' ||
		    (v + vl + 1 < b + n && v[vl + 1] != ' '))
			abort();
		if (k <= gs || memcmp(k, key, kl) ||
		    (k[-1] != ' ' && k - 1 != gs))
			abort();
	} else {
		const char *k = v - 1 - kl;

		if (v[-1] != '=' || k <= gs || memcmp(k, key, kl) ||
		    (k[-1] != ' ' && k - 1 != gs))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "UID", "AUID", "EUID", "OUID" };
	static const char *const fields[] = { "uid", "auid", "euid", "ouid" };
	char *b = malloc(size ? size : 1);

	if (!b)
		return 0;
	if (size)
		memcpy(b, data, size);
	for (size_t i = 0; i < 4; i++) {
		const char *name, *v;
		size_t nl, vl;
		uint32_t id;

		check_get(b, size, keys[i]);
		if (enriched_user(b, size, fields[i], &id, &name, &nl))
			continue;
		if (!nl || (nl == 5 && !memcmp(name, "unset", 5)) ||
		    (nl >= 8 && !memcmp(name, "unknown(", 8)))
			abort();
		if (enriched_get(b, size, keys[i], &v, &vl) || v != name ||
		    vl != nl)
			abort();
	}
	free(b);
	return 0;
}
