/* webcfg: the --web.config.file (exporter-toolkit format). See webcfg.c. */
#ifndef AE_EXPORTER_WEB_WEBCFG_H
#define AE_EXPORTER_WEB_WEBCFG_H

#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WEBCFG_MAX_BYTES (1u << 20) /* the file, and each file it names */
#define WEBCFG_MAX_USERS 4096
#define WEBCFG_MAX_SANS 1024
#define WEBCFG_MAX_SUITES 17 /* the suites the toolkit knows */
#define WEBCFG_MAX_HEADERS 5 /* the headers the toolkit lets one set */
#define WEBCFG_HASH_MAX 128 /* a bcrypt hash is 60 characters */
#define WEBCFG_MAX_COSTS 28 /* bcrypt costs run from 4 to 31 */

enum webcfg_client_auth {
	WEBCFG_NO_CLIENT_CERT,
	WEBCFG_REQUEST_CLIENT_CERT,
	WEBCFG_REQUIRE_ANY_CLIENT_CERT,
	WEBCFG_VERIFY_CLIENT_CERT_IF_GIVEN,
	WEBCFG_REQUIRE_AND_VERIFY_CLIENT_CERT,
};

/* A client without a certificate is refused. */
static inline bool webcfg_auth_requires_cert(enum webcfg_client_auth a)
{
	return a == WEBCFG_REQUIRE_ANY_CLIENT_CERT ||
	       a == WEBCFG_REQUIRE_AND_VERIFY_CLIENT_CERT;
}

/* A client's certificate is checked against the client CA. */
static inline bool webcfg_auth_verifies(enum webcfg_client_auth a)
{
	return a == WEBCFG_VERIFY_CLIENT_CERT_IF_GIVEN ||
	       a == WEBCFG_REQUIRE_AND_VERIFY_CLIENT_CERT;
}

enum webcfg_tls_version {
	WEBCFG_TLS10,
	WEBCFG_TLS11,
	WEBCFG_TLS12,
	WEBCFG_TLS13
};

/* A PEM blob given inline (text set, file NULL) or by file name (file set;
 * text filled in by webcfg_load), with the line of its key for messages. */
struct webcfg_pem {
	char *text;
	char *file;
	unsigned line;
};

struct webcfg_user {
	char *name;
	char *hash; /* bcrypt, "$2a$", "$2b$", "$2x$" or "$2y$", 60 chars */
	unsigned line;
	int cost; /* the hash's, 4..31 */
};

struct webcfg_header {
	const char *name; /* one of the toolkit's five, static */
	char *value;
};

struct webcfg {
	char *origin; /* the file name, for messages */

	/* tls_server_config: TLS is on when any of cert, key, client CA or
	 * client_auth_type is set (as the toolkit decides) */
	bool tls;
	struct webcfg_pem cert, key, client_ca;
	enum webcfg_client_auth client_auth;
	enum webcfg_tls_version min_version, max_version;
	/* TLS <= 1.2 suites allowed, by IANA name (static); none: GnuTLS's
	 * defaults. TLS 1.3 suites are never restricted (as in Go). */
	const char *suites[WEBCFG_MAX_SUITES];
	size_t nsuites;
	bool prefer_server_cipher_suites;
	char **allowed_sans; /* client_allowed_sans; NULL when unset */
	size_t nallowed_sans;
	char *priorities; /* the GnuTLS priority string all this maps to */
	/* webcfg_load: what a TLS session is set up with (certificate, key
	 * and client CA; the priorities); NULL without TLS or when parsed */
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t prio;

	bool http2; /* accepted and ignored: libmicrohttpd has no HTTP/2 */
	struct webcfg_header headers[WEBCFG_MAX_HEADERS];
	size_t nheaders; /* only headers with a non-empty value */

	struct webcfg_user *users; /* basic_auth_users; none: no auth */
	size_t nusers;
	/* the distinct costs among the users, ascending: every password
	 * check runs bcrypt once at each (webcfg_auth_check) */
	unsigned char costs[WEBCFG_MAX_COSTS];
	size_t ncosts;

	uint64_t rate_interval_ns; /* rate_limit; 0: no limit */
	unsigned rate_burst;
};

/* The hash that checks a password: writes the hash of pass under setting
 * (a bcrypt hash) to out. 0, or -errno (out then unset). */
typedef int (*webcfg_hash_fn)(const char *pass, const char *setting, char *out,
			      size_t outlen, void *ctx);

/* Parses the configuration in text[0..len) (no files are read; origin
 * names it in messages). Returns a new webcfg, or NULL with errno
 * (EINVAL: the text is wrong, err says where and why; ENOMEM). */
struct webcfg *webcfg_parse(const char *text, size_t len, const char *origin,
			    char *err, size_t errlen);
/* Reads path (at most WEBCFG_MAX_BYTES), parses it, reads the certificate,
 * key and client CA files it names (relative to its directory) and loads
 * them into GnuTLS credentials (the key must match the certificate, the CA
 * file hold a certificate) and the priorities into a priority cache. NULL
 * with errno and err set on any problem. */
struct webcfg *webcfg_load(const char *path, char *err, size_t errlen);
void webcfg_free(struct webcfg *w);
/* Whether next, replacing the running old, would take away a protection
 * old has: TLS, basic auth (every user), the client certificate old
 * requires, or its verification, or client_allowed_sans. If so, true and
 * what is lost in why ("TLS", "basic auth (2 users)", ...). */
bool webcfg_weakens(const struct webcfg *old, const struct webcfg *next,
		    char *why, size_t whylen);

/* True when basic auth lets user in with pass (always when no users are
 * configured). Runs hash once at each of w->costs, whether the user
 * exists or not and whatever its cost, and compares in constant time.
 * Any thread. */
bool webcfg_auth_check(const struct webcfg *w, const char *user,
		       const char *pass, webcfg_hash_fn hash, void *ctx);
/* Credentials that passed lately, so that a scraper sending the same user
 * and password every 15 s costs one bcrypt run, not one per scrape. */
struct webcfg_auth_cache;
/* NULL without memory or randomness. */
struct webcfg_auth_cache *webcfg_auth_cache_new(void);
void webcfg_auth_cache_free(struct webcfg_auth_cache *c);
/* webcfg_auth_check, except that credentials c holds pass at once, and
 * credentials that pass are kept in c. Any thread. */
bool webcfg_auth_check_cached(const struct webcfg *w,
			      struct webcfg_auth_cache *c, const char *user,
			      const char *pass, webcfg_hash_fn hash, void *ctx);
/* The real hash: bcrypt through libcrypt's crypt_rn. */
int webcfg_bcrypt(const char *pass, const char *setting, char *out,
		  size_t outlen, void *ctx);
/* True when san (a DNS name, e-mail address, IP address or URI of a client
 * certificate) is one of client_allowed_sans. */
bool webcfg_san_allowed(const struct webcfg *w, const char *san);
/* True when a negotiated TLS <= 1.2 suite (IANA name) is allowed. */
bool webcfg_suite_allowed(const struct webcfg *w, const char *suite);

#endif
