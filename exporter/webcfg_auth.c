/*
 * webcfg_auth: basic_auth_users, read as bcrypt hashes, and checking a
 * user's password against them.
 *
 * Basic auth (webcfg_auth_check): the user is looked up, and the password
 * is hashed exactly once whatever the outcome: against the user's hash, or
 * for an unknown user against dummy_hash, a bcrypt setting whose cost is
 * the highest among the users (bcrypt's time depends only on its cost).
 * The result is compared with the stored hash in constant time, so
 * neither an unknown user nor a wrong password answers sooner than the
 * other. Passwords longer than 72 bytes are refused after hashing, as Go's
 * bcrypt does (bcrypt ignores what follows byte 72).
 */
#include "exporter/webcfg.h"

#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "exporter/webcfg_int.h"

#define WEBCFG_BCRYPT_PASS 72 /* bytes bcrypt reads of a password */

/* A bcrypt hash as Go's bcrypt.Cost accepts it: "$2" a|b|x|y "$" cost
 * (04..31) "$" 53 characters of bcrypt's base64. The cost, or -1. */
static int webcfg_bcrypt_cost(const char *h)
{
	static const char b64[] = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
				  "opqrstuvwxyz0123456789";
	int cost;

	if (strlen(h) != 60 || h[0] != '$' || h[1] != '2' ||
	    !strchr("abxy", h[2]) || h[3] != '$' || h[4] < '0' || h[4] > '9' ||
	    h[5] < '0' || h[5] > '9' || h[6] != '$')
		return -1;
	cost = (h[4] - '0') * 10 + (h[5] - '0');
	if (cost < 4 || cost > 31)
		return -1;
	for (const char *c = h + 7; *c; c++)
		if (!strchr(b64, *c))
			return -1;
	return cost;
}

static int webcfg_user_cmp(const void *a, const void *b)
{
	return strcmp(((const struct webcfg_user *)a)->name,
		      ((const struct webcfg_user *)b)->name);
}

int webcfg_wp_users(struct wp *p, yaml_node_t *n, const char *path)
{
	struct webcfg *w = p->w;
	size_t count;
	int maxcost = 0;
	int rc = webcfg_wp_mapping(p, n, path);

	if (rc <= 0)
		return rc;
	count = (size_t)(n->data.mapping.pairs.top -
			 n->data.mapping.pairs.start);
	if (count > WEBCFG_MAX_USERS)
		return webcfg_wp_fail(p, n, path, "more than %d users",
				      WEBCFG_MAX_USERS);
	if (!count)
		return 0;
	w->users = calloc(count, sizeof(*w->users));
	if (!w->users)
		return -ENOMEM;
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
	     pr < n->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(p->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(p->doc, pr->value);
		struct webcfg_user *u = &w->users[w->nusers];
		const char *name, *hash;
		char sub[WEBCFG_PATH_MAX];
		int cost;

		if (!k || !v || k->type != YAML_SCALAR_NODE)
			return webcfg_wp_fail(p, k ? k : n, path,
					      "a user name must be a string");
		rc = webcfg_wp_text(p, k, path, &name);
		if (rc)
			return rc;
		snprintf(sub, sizeof(sub), "%s.%.40s", path, name ? name : "");
		rc = webcfg_wp_text(p, v, sub, &hash);
		if (rc)
			return rc;
		cost = hash ? webcfg_bcrypt_cost(hash) : -1;
		if (cost < 0)
			return webcfg_wp_fail(p, v, sub,
					      "not a bcrypt hash (make one "
					      "with htpasswd -nBC 10 \"\" | "
					      "tr -d ':\\n')");
		u->name = strdup(name ? name : "");
		u->hash = strdup(hash);
		u->line = (unsigned)k->start_mark.line + 1;
		w->nusers++;
		if (!u->name || !u->hash)
			return -ENOMEM;
		if (cost > maxcost)
			maxcost = cost;
	}
	qsort(w->users, w->nusers, sizeof(*w->users), webcfg_user_cmp);
	for (size_t i = 1; i < w->nusers; i++)
		if (!strcmp(w->users[i].name, w->users[i - 1].name)) {
			unsigned a = w->users[i - 1].line, b = w->users[i].line;

			snprintf(p->err, p->errlen,
				 "%s:%u: %s: user '%.40s' given twice (first "
				 "at line %u)",
				 p->origin, a > b ? a : b, path,
				 w->users[i].name, a < b ? a : b);
			return -EINVAL;
		}
	/* any salt does: only the cost decides how long bcrypt takes */
	snprintf(w->dummy_hash, sizeof(w->dummy_hash), "$2b$%02d$%s", maxcost,
		 "aeDummySaltForUnknownUsersDummyHashOfNoPasswordAtAll0");
	return 0;
}

/* a == b in time that depends only on the length of b. */
static bool webcfg_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned diff = la != lb;

	for (size_t i = 0; i < lb; i++)
		diff |= (unsigned char)(i < la ? a[i] : 0) ^
			(unsigned char)b[i];
	return diff == 0;
}

bool webcfg_auth_check(const struct webcfg *w, const char *user,
		       const char *pass, webcfg_hash_fn hash, void *ctx)
{
	const struct webcfg_user *u = NULL;
	char out[WEBCFG_HASH_MAX];
	const char *want;
	bool ok;

	if (!w->nusers)
		return true;
	if (!user || !pass)
		return false;
	for (size_t i = 0; i < w->nusers; i++)
		if (!strcmp(w->users[i].name, user))
			u = &w->users[i];
	want = u ? u->hash : w->dummy_hash;
	ok = hash(pass, want, out, sizeof(out), ctx) == 0 &&
	     webcfg_equal(out, want);
	explicit_bzero(out, sizeof(out));
	return ok && u && strlen(pass) <= WEBCFG_BCRYPT_PASS;
}

int webcfg_bcrypt(const char *pass, const char *setting, char *out,
		  size_t outlen, void *ctx)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	const char *r;
	int rc = -EINVAL;

	(void)ctx;
	if (!cd)
		return -ENOMEM;
	r = crypt_rn(pass, setting, cd, sizeof(*cd));
	if (r && r[0] != '*' && strlen(r) < outlen) {
		strcpy(out, r);
		rc = 0;
	}
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return rc;
}
