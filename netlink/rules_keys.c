/*
 * rules_keys: key sets, the keys of file-watch rules.
 *
 * Key sets are sorted arrays searched by (bytes, length): no allocation on
 * lookup, so the aggregator may ask per event. The same code collects the
 * watch keys of a parsed set and of the kernel's rule list.
 */
#include "netlink/rules.h"

#include "netlink/nl.h"
#include "netlink/rules_int.h"

#include <errno.h>
#include <libaudit.h>
#include <stdlib.h>
#include <string.h>

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
int rules_ks_add_rule(struct rules_keyset *ks, const struct audit_rule_data *r)
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

void rules_ks_clear(struct rules_keyset *ks)
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
	rules_ks_clear(ks);
	free(ks);
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
	ctx->rc = rules_vec_copy(ctx->out, r, sizeof(*r) + r->buflen, 0);
}

int rules_kernel_list(struct nl_audit *ctl, struct rules_vec *out)
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
		rc = rules_ks_add_rule(ks, k.v[i].data);
	rules_vec_free(&k);
	if (rc) {
		rules_keyset_free(ks);
		ks = NULL;
	}
	*out = ks;
	return rc;
}
