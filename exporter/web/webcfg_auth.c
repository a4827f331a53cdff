/*
 * webcfg_auth: basic_auth_users, read as bcrypt hashes, and checking a
 * user's password against them.
 *
 * Basic auth (webcfg_auth_check): the time of a check must not tell which
 * users exist. bcrypt's time depends only on its cost (2^cost rounds), and
 * users may have hashes of different costs, so hashing once, against the
 * user's hash or a dummy of the highest cost for an unknown user, would
 * tell a user of a lower cost from an unknown one (a cost 10 user answers
 * four times sooner than an unknown one beside a cost 12 user). Instead every check runs bcrypt once at each
 * distinct cost among the users (w->costs), in the same order: at the
 * user's own cost against its hash, at every other cost against a dummy
 * setting (a fixed salt; any salt takes as long). A known user, an
 * unknown one and a wrong password thus do the same work, the same number
 * of calls at the same costs; one cost, the usual case, is one bcrypt run
 * as before, and several cost less than twice the costliest alone (the
 * powers of two below it sum to less than it). Each result is compared in
 * constant time. Passwords longer than 72 bytes are refused after
 * hashing, as Go's bcrypt does (bcrypt ignores what follows byte 72).
 *
 * The cache (webcfg_auth_check_cached), as the exporter-toolkit has one:
 * bcrypt at cost 10 takes about 0.1 s of a core, at every scrape. A check
 * that passes leaves a 128-bit fingerprint of user and password (two
 * SipHash-2-4 runs under a random per-process key; never the password)
 * in one of WEBCFG_AUTH_CACHE slots, reused round robin, and the same
 * credentials then pass without bcrypt. Only passes are kept, so wrong
 * passwords cost bcrypt every time (and rate_limit bounds those). The web
 * config is read once, so a kept pass cannot outlive its user.
 */
#include "exporter/web/webcfg.h"

#include <crypt.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "exporter/skey.h"
#include "exporter/web/webcfg_int.h"
#include "metrics/hash.h"

#define WEBCFG_BCRYPT_PASS 72 /* bytes bcrypt reads of a password */
#define WEBCFG_AUTH_CACHE 64 /* credentials kept */
#define WEBCFG_AUTH_CACHE_USER 256 /* longer user names are not kept */

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
	bool seen[32] = { false };
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
		u->cost = cost;
		w->nusers++;
		if (!u->name || !u->hash)
			return -ENOMEM;
		seen[cost] = true;
	}
	for (int c = 4; c < 32; c++)
		if (seen[c])
			w->costs[w->ncosts++] = (unsigned char)c;
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
	char out[WEBCFG_HASH_MAX], dummy[WEBCFG_HASH_MAX];
	bool ok = false;

	if (!w->nusers)
		return true;
	if (!user || !pass)
		return false;
	for (size_t i = 0; i < w->nusers; i++)
		if (!strcmp(w->users[i].name, user))
			u = &w->users[i];
	for (size_t i = 0; i < w->ncosts; i++) {
		bool mine = u && u->cost == w->costs[i];
		const char *want = dummy;
		bool match;

		/* any salt does: only the cost decides how long it takes */
		snprintf(dummy, sizeof(dummy), "$2b$%02u$%s",
			 (unsigned)w->costs[i],
			 "aeDummySaltForUnknownUsersDummyHashOfNoPasswordAtAll"
			 "0");
		if (mine)
			want = u->hash;
		match = hash(pass, want, out, sizeof(out), ctx) == 0 &&
			webcfg_equal(out, want);
		if (mine)
			ok = match;
	}
	explicit_bzero(out, sizeof(out));
	return ok && strlen(pass) <= WEBCFG_BCRYPT_PASS;
}

struct webcfg_auth_cache {
	pthread_mutex_t lock;
	struct hash_key key[2];
	uint64_t kept[WEBCFG_AUTH_CACHE][2]; /* 0, 0: empty */
	unsigned next;
};

struct webcfg_auth_cache *webcfg_auth_cache_new(void)
{
	struct webcfg_auth_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	if (skey_random(&c->key[0]) || skey_random(&c->key[1])) {
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

void webcfg_auth_cache_free(struct webcfg_auth_cache *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->lock);
	explicit_bzero(c, sizeof(*c));
	free(c);
}

/* The fingerprint of user and pass; false when they are not kept (too
 * long: a user name past WEBCFG_AUTH_CACHE_USER, a password past what
 * bcrypt reads, which never passes anyway). */
static bool webcfg_auth_print(const struct webcfg_auth_cache *c,
			      const char *user, const char *pass,
			      uint64_t out[2])
{
	char buf[WEBCFG_AUTH_CACHE_USER + 1 + WEBCFG_BCRYPT_PASS];
	size_t lu = strlen(user), lp = strlen(pass);

	if (lu > WEBCFG_AUTH_CACHE_USER || lp > WEBCFG_BCRYPT_PASS)
		return false;
	memcpy(buf, user, lu);
	buf[lu] = 0; /* user names cannot hold a NUL: no two pairs alike */
	memcpy(buf + lu + 1, pass, lp);
	out[0] = hash_siphash24(&c->key[0], buf, lu + 1 + lp);
	out[1] = hash_siphash24(&c->key[1], buf, lu + 1 + lp);
	explicit_bzero(buf, sizeof(buf));
	return out[0] || out[1];
}

bool webcfg_auth_check_cached(const struct webcfg *w,
			      struct webcfg_auth_cache *c, const char *user,
			      const char *pass, webcfg_hash_fn hash, void *ctx)
{
	uint64_t fp[2];
	bool keep = w->nusers && c && user && pass &&
		    webcfg_auth_print(c, user, pass, fp);
	bool ok = false;

	if (keep) {
		pthread_mutex_lock(&c->lock);
		for (unsigned i = 0; i < WEBCFG_AUTH_CACHE && !ok; i++)
			ok = c->kept[i][0] == fp[0] && c->kept[i][1] == fp[1];
		pthread_mutex_unlock(&c->lock);
		if (ok)
			return true;
	}
	ok = webcfg_auth_check(w, user, pass, hash, ctx);
	if (ok && keep) {
		pthread_mutex_lock(&c->lock);
		c->kept[c->next][0] = fp[0];
		c->kept[c->next][1] = fp[1];
		c->next = (c->next + 1) % WEBCFG_AUTH_CACHE;
		pthread_mutex_unlock(&c->lock);
	}
	return ok;
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
