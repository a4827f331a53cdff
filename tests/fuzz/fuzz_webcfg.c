/*
 * fuzz_webcfg: the web configuration parser (exporter/webcfg) on arbitrary
 * YAML. webcfg_parse is pure: no file is read, no TLS is set up.
 *
 * Checks, from the header's contract:
 *   - failure is EINVAL or ENOMEM with a NUL-terminated, non-empty message;
 *   - a parsed configuration keeps its bounds (users, SANs, suites,
 *     headers), has min_version <= max_version, and with TLS on names both
 *     a certificate and a key, inline or by file;
 *   - basic auth hashes exactly once per check, lets every configured user
 *     in with a password its hash accepts, and no one else: the hash here
 *     is a stand-in that returns the setting itself, so the answer is known
 *     without bcrypt;
 *   - every allowed SAN and suite is found again.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exporter/webcfg.h"
#include "tests/fuzz/fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A stand-in for bcrypt: the "hash" of any password is the setting. */
static int fake_hash(const char *pass, const char *setting, char *out,
		     size_t outlen, void *ctx)
{
	unsigned *calls = ctx;

	(void)pass;
	++*calls;
	if (strlen(setting) >= outlen)
		return -EINVAL;
	strcpy(out, setting);
	return 0;
}

static bool auth(const struct webcfg *w, const char *user, const char *pass)
{
	unsigned calls = 0;
	bool ok = webcfg_auth_check(w, user, pass, fake_hash, &calls);

	/* without credentials there is nothing to hash */
	FUZZ_CHECK(calls == (w->nusers && user && pass ? 1u : 0u), "hashed "
								   "once per "
								   "check");
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

	FUZZ_CHECK(w->nusers <= WEBCFG_MAX_USERS, "users");
	FUZZ_CHECK(w->nallowed_sans <= WEBCFG_MAX_SANS, "SANs");
	FUZZ_CHECK(w->nsuites <= WEBCFG_MAX_SUITES, "suites");
	FUZZ_CHECK(w->nheaders <= WEBCFG_MAX_HEADERS, "headers");
	FUZZ_CHECK(w->min_version <= w->max_version, "TLS versions");
	if (w->tls)
		FUZZ_CHECK(has_pem(&w->cert) && has_pem(&w->key), "TLS without "
								  "a "
								  "certificate "
								  "and a key");
	for (size_t i = 0; i < w->nheaders; i++)
		FUZZ_CHECK(w->headers[i].name && w->headers[i].value &&
				   *w->headers[i].value,
			   "header");
	for (size_t i = 0; i < w->nsuites; i++)
		FUZZ_CHECK(webcfg_suite_allowed(w, w->suites[i]), "suite");
	for (size_t i = 0; i < w->nallowed_sans; i++)
		FUZZ_CHECK(webcfg_san_allowed(w, w->allowed_sans[i]), "SAN");
	memset(toolong, 'p', sizeof(toolong) - 1);
	toolong[sizeof(toolong) - 1] = 0;
	for (size_t i = 0; i < w->nusers; i++) {
		const struct webcfg_user *u = &w->users[i];

		FUZZ_CHECK(u->name && u->hash, "user");
		FUZZ_CHECK(strlen(u->hash) < WEBCFG_HASH_MAX &&
				   !strncmp(u->hash, "$2", 2),
			   "bcrypt hash");
		FUZZ_CHECK(auth(w, u->name, "password"), "a user left out");
		FUZZ_CHECK(!auth(w, u->name, toolong), "a password over 72 "
						       "bytes let in");
		known |= !strcmp(u->name, "\x01");
	}
	if (!known)
		FUZZ_CHECK(auth(w, "\x01", "password") == (w->nusers == 0),
			   "an unknown user let in");
	FUZZ_CHECK(auth(w, NULL, NULL) == (w->nusers == 0), "no credentials");
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
		FUZZ_CHECK(errno == EINVAL || errno == ENOMEM, "parse errno");
		FUZZ_CHECK(memchr(err, 0, sizeof(err)) && err[0], "error "
								  "message");
		return 0;
	}
	check_config(w);
	webcfg_free(w);
	return 0;
}
