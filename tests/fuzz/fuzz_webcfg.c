/*
 * fuzz_webcfg: the web configuration parser (exporter/web/webcfg) on arbitrary
 * YAML. webcfg_parse is pure: no file is read, no TLS is set up.
 *
 * Checks, from the header's contract:
 *   - failure is EINVAL or ENOMEM with a NUL-terminated, non-empty message;
 *   - a parsed configuration keeps its bounds (users, SANs, suites,
 *     headers); with TLS on it names both a certificate and a key, inline
 *     or by file, has min_version <= max_version and a priority string;
 *   - basic auth does the same work for every check, whoever the user:
 *     one hash at each cost among the users, each cost once; it lets
 *     every configured user in with a password its hash accepts, and no
 *     one else: the hash here is a stand-in that returns the setting
 *     itself, so the answer is known without bcrypt;
 *   - every allowed SAN and suite is found again.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exporter/web/webcfg.h"
#include "tests/fuzz/fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the hash was asked to do in one check. */
struct work {
	unsigned calls;
	uint32_t costs; /* bit c: a setting of cost c was hashed */
};

/* A stand-in for bcrypt: the "hash" of any password is the setting. */
static int fake_hash(const char *pass, const char *setting, char *out,
		     size_t outlen, void *ctx)
{
	struct work *wk = ctx;
	int cost = atoi(setting + 4); /* "$2y$NN$" */

	(void)pass;
	wk->calls++;
	if (cost >= 4 && cost < 32)
		wk->costs |= 1u << cost;
	if (strlen(setting) >= outlen)
		return -EINVAL;
	strcpy(out, setting);
	return 0;
}

static bool auth(const struct webcfg *w, const char *user, const char *pass)
{
	struct work wk = { 0 };
	uint32_t want = 0;
	bool ok = webcfg_auth_check(w, user, pass, fake_hash, &wk);

	for (size_t i = 0; i < w->ncosts; i++)
		want |= 1u << w->costs[i];
	/* without credentials there is nothing to hash */
	if (!w->nusers || !user || !pass)
		FUZZ_CHECK("hashed without credentials", wk.calls == 0);
	else
		FUZZ_CHECK("the work depends on the user",
			   wk.calls == w->ncosts && wk.costs == want);
	return ok;
}

static bool has_pem(const struct webcfg_pem *p)
{
	return (p->text && *p->text) || (p->file && *p->file);
}

static void check_config(const struct webcfg *w)
{
	char toolong[80];
	bool known = false; /* a user is named "\x01" */

	FUZZ_CHECK("users", w->nusers <= WEBCFG_MAX_USERS);
	FUZZ_CHECK("SANs", w->nallowed_sans <= WEBCFG_MAX_SANS);
	FUZZ_CHECK("suites", w->nsuites <= WEBCFG_MAX_SUITES);
	FUZZ_CHECK("headers", w->nheaders <= WEBCFG_MAX_HEADERS);
	FUZZ_CHECK("costs", w->ncosts <= WEBCFG_MAX_COSTS &&
				    (w->ncosts > 0) == (w->nusers > 0));
	for (size_t i = 1; i < w->ncosts; i++)
		FUZZ_CHECK("costs in order", w->costs[i - 1] < w->costs[i]);
	/* without TLS, tls_server_config's versions are ignored (as in the
	 * toolkit), so only TLS configurations must order them */
	if (w->tls) {
		bool pems = has_pem(&w->cert) && has_pem(&w->key);

		FUZZ_CHECK("TLS without a certificate and a key", pems);
		FUZZ_CHECK("TLS versions", w->min_version <= w->max_version);
		FUZZ_CHECK("TLS priorities", w->priorities && *w->priorities);
	}
	for (size_t i = 0; i < w->nheaders; i++)
		FUZZ_CHECK("header", w->headers[i].name &&
					     w->headers[i].value &&
					     *w->headers[i].value);
	for (size_t i = 0; i < w->nsuites; i++)
		FUZZ_CHECK("suite", webcfg_suite_allowed(w, w->suites[i]));
	for (size_t i = 0; i < w->nallowed_sans; i++)
		FUZZ_CHECK("SAN", webcfg_san_allowed(w, w->allowed_sans[i]));
	memset(toolong, 'p', sizeof(toolong) - 1);
	toolong[sizeof(toolong) - 1] = 0;
	for (size_t i = 0; i < w->nusers; i++) {
		const struct webcfg_user *u = &w->users[i];

		FUZZ_CHECK("user", u->name && u->hash);
		FUZZ_CHECK("bcrypt hash", strlen(u->hash) < WEBCFG_HASH_MAX &&
						  !strncmp(u->hash, "$2", 2));
		FUZZ_CHECK("cost",
			   u->cost == atoi(u->hash + 4) &&
				   memchr(w->costs, u->cost, w->ncosts));
		FUZZ_CHECK("a user left out", auth(w, u->name, "password"));
		FUZZ_CHECK("a password over 72 bytes let in",
			   !auth(w, u->name, toolong));
		known |= !strcmp(u->name, "\x01");
	}
	if (!known)
		FUZZ_CHECK("an unknown user let in",
			   auth(w, "\x01", "password") == (w->nusers == 0));
	FUZZ_CHECK("no credentials", auth(w, NULL, NULL) == (w->nusers == 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	struct webcfg *w;

	err[0] = 0;
	errno = 0;
	w = webcfg_parse((const char *)data, size, "fuzz.yml", err,
			 sizeof(err));
	if (!w) {
		FUZZ_CHECK("parse errno", errno == EINVAL || errno == ENOMEM);
		FUZZ_CHECK("error message",
			   memchr(err, 0, sizeof(err)) && err[0]);
		return 0;
	}
	check_config(w);
	webcfg_free(w);
	return 0;
}
