/* Unit tests for exporter/web/webcfg: the web configuration file, with the
 * hashes, certificate and keys of webcfg_fixtures.h. */
#include <errno.h>
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "exporter/web/webcfg.h"

#include "tests/unit/webcfg_fixtures.h"

static struct webcfg *parse(const char *text, char *err, size_t errlen)
{
	err[0] = 0;
	return webcfg_parse(text, strlen(text), "web.yml", err, errlen);
}

/* Parsing must fail with EINVAL and a message containing want. */
static void expect_error(const char *text, const char *want)
{
	char err[1024];
	struct webcfg *w = parse(text, err, sizeof(err));

	if (w || errno != EINVAL || !strstr(err, want)) {
		print_error("text:\n%s\nwanted an error containing '%s', "
			    "got %s: '%s'\n",
			    text, want, w ? "success" : "failure", err);
		webcfg_free(w);
		fail();
	}
}

static void test_empty(void **state)
{
	static const char *const texts[] = { "", "---\n", "# nothing\n", "~\n",
					     "tls_server_config:\n" };
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct webcfg *w = parse(texts[i], err, sizeof(err));

		assert_non_null(w);
		assert_false(w->tls);
		assert_int_equal(w->nusers, 0);
		assert_int_equal(w->nheaders, 0);
		assert_true(w->http2);
		assert_int_equal(w->rate_interval_ns, 0);
		webcfg_free(w);
	}
}

static void test_full(void **state)
{
	static const char text[] =
		"tls_server_config:\n"
		"  cert_file: server.crt\n"
		"  key_file: \"server.key\"\n"
		"  client_auth_type: RequireAndVerifyClientCert\n"
		"  client_ca_file: ca.crt\n"
		"  client_allowed_sans: [client.example, 127.0.0.1]\n"
		"  min_version: TLS12\n"
		"  max_version: TLS13\n"
		"  cipher_suites:\n"
		"    - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n"
		"    - TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA\n"
		"    - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n"
		"  prefer_server_cipher_suites: false\n"
		"  curve_preferences: [X25519, CurveP256]\n"
		"http_server_config:\n"
		"  http2: false\n"
		"  headers:\n"
		"    X-Frame-Options: deny\n"
		"    X-Content-Type-Options: nosniff\n"
		"    Content-Security-Policy: \"default-src 'self'\"\n"
		"    X-XSS-Protection: ''\n"
		"basic_auth_users:\n"
		"  alice: " ALICE "\n"
		"  bob: '" BOB "'\n"
		"rate_limit:\n"
		"  interval: 1m30.5s\n"
		"  burst: 20\n";
	char err[256];
	struct webcfg *w = parse(text, err, sizeof(err));

	(void)state;
	assert_non_null(w);
	assert_true(w->tls);
	assert_string_equal(w->cert.file, "server.crt");
	assert_int_equal(w->cert.line, 2);
	assert_null(w->cert.text);
	assert_string_equal(w->key.file, "server.key");
	assert_string_equal(w->client_ca.file, "ca.crt");
	assert_int_equal(w->client_auth, WEBCFG_REQUIRE_AND_VERIFY_CLIENT_CERT);
	assert_int_equal(w->nallowed_sans, 2);
	assert_true(webcfg_san_allowed(w, "127.0.0.1"));
	assert_true(webcfg_san_allowed(w, "client.example"));
	assert_false(webcfg_san_allowed(w, "other.example"));
	assert_int_equal(w->min_version, WEBCFG_TLS12);
	assert_int_equal(w->max_version, WEBCFG_TLS13);
	assert_int_equal(w->nsuites, 2); /* the repeat counts once */
	assert_true(webcfg_suite_allowed(w, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_"
					    "SHA"));
	assert_false(webcfg_suite_allowed(w, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_"
					     "SHA256"));
	assert_false(w->prefer_server_cipher_suites);
	/* the suites' parts, then TLS 1.3's, then the curves in order */
	assert_string_equal(w->priorities, "NORMAL:-VERS-ALL:+VERS-TLS1.3:+"
					   "VERS-TLS1.2"
					   ":-KX-ALL:-CIPHER-ALL:-MAC-ALL"
					   ":+ECDHE-RSA:+ECDHE-ECDSA"
					   ":+AES-128-GCM:+AES-256-CBC:+AES-"
					   "256-GCM"
					   ":+CHACHA20-POLY1305"
					   ":+AEAD:+SHA1"
					   ":-GROUP-ALL:+GROUP-X25519:+GROUP-"
					   "SECP256R1");
	assert_false(w->http2);
	/* blank means unset */
	assert_int_equal(w->nheaders, 3);
	assert_string_equal(w->headers[0].name, "X-Frame-Options");
	assert_string_equal(w->headers[0].value, "deny");
	assert_string_equal(w->headers[2].name, "Content-Security-Policy");
	assert_string_equal(w->headers[2].value, "default-src 'self'");
	assert_int_equal(w->nusers, 2);
	assert_int_equal(w->rate_interval_ns, 90500000000ull);
	assert_int_equal(w->rate_burst, 20);
	webcfg_free(w);
}

static void test_defaults(void **state)
{
	char err[256];
	struct webcfg *w = parse("tls_server_config:\n"
				 "  cert: |\n    x\n"
				 "  key: y\n",
				 err, sizeof(err));

	(void)state;
	assert_non_null(w);
	assert_true(w->tls);
	assert_string_equal(w->cert.text, "x\n");
	assert_string_equal(w->key.text, "y");
	assert_int_equal(w->client_auth, WEBCFG_NO_CLIENT_CERT);
	assert_true(w->prefer_server_cipher_suites);
	assert_string_equal(w->priorities, "NORMAL:%SERVER_PRECEDENCE:-VERS-ALL"
					   ":+VERS-TLS1.3:+VERS-TLS1.2");
	assert_true(webcfg_suite_allowed(w, "TLS_RSA_WITH_AES_128_CBC_SHA"));
	webcfg_free(w);

	/* only TLS 1.3: no TLS 1.3 suite list to restrict; TLS10 spelled */
	w = parse("tls_server_config:\n  cert: x\n  key: y\n"
		  "  min_version: TLS10\n  max_version: TLS11\n"
		  "  cipher_suites: [TLS_RSA_WITH_AES_128_CBC_SHA]\n",
		  err, sizeof(err));
	assert_non_null(w);
	assert_string_equal(w->priorities, "NORMAL:%SERVER_PRECEDENCE:-VERS-ALL"
					   ":+VERS-TLS1.1:+VERS-TLS1.0"
					   ":-KX-ALL:-CIPHER-ALL:-MAC-ALL:+RSA:"
					   "+AES-128-CBC"
					   ":+SHA1");
	webcfg_free(w);

	/* settings without a certificate, key, CA or auth type leave TLS
	 * off, as the toolkit decides */
	w = parse("tls_server_config:\n  min_version: TLS13\n", err,
		  sizeof(err));
	assert_non_null(w);
	assert_false(w->tls);
	webcfg_free(w);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("tls_server_config:\n  cert_file: a\n  key_file: b\n"
		     "foo: 1\n",
		     "web.yml:4:1: unknown key 'foo' (allowed: "
		     "tls_server_config, http_server_config, "
		     "basic_auth_users, rate_limit)");
	expect_error("tls_server_config:\n  certfile: a\n", "web.yml:2:3: "
							    "tls_server_config:"
							    " unknown key "
							    "'certfile'");
	expect_error("tls_server_config:\n  cert_file: a\n key_file: b\n", "web"
									   ".ym"
									   "l:"
									   "3"
									   ":");
	expect_error("tls_server_config: [\n", "bad YAML");
	expect_error("a: b: c\n", "web.yml:1:5: bad YAML: mapping values are "
				  "not allowed");
	expect_error("tls_server_config:\n  cert_file: a\n  cert_file: b\n",
		     "web.yml:3:3: tls_server_config.cert_file: given twice "
		     "(first at line 2)");
	expect_error("tls_server_config:\n  cert_file: a\n  key_file: b\n"
		     "  client_auth_type: RequireClientCertPlease\n",
		     "web.yml:4:21: tls_server_config.client_auth_type: "
		     "unknown client_auth_type 'RequireClientCertPlease' (one "
		     "of NoClientCert, RequestClientCert, "
		     "RequireAnyClientCert, VerifyClientCertIfGiven, "
		     "RequireAndVerifyClientCert)");
	expect_error("tls_server_config:\n  cert_file: a\n  key_file: b\n"
		     "  cipher_suites:\n    - TLS_RSA_WITH_RC4_128_SHA\n",
		     "web.yml:5:7: tls_server_config.cipher_suites: unknown "
		     "cipher 'TLS_RSA_WITH_RC4_128_SHA'");
	expect_error("tls_server_config:\n  cert_file: a\n  key_file: b\n"
		     "  curve_preferences: [CurveP224]\n",
		     "web.yml:4:23: tls_server_config.curve_preferences: "
		     "unknown curve 'CurveP224'");
	expect_error("tls_server_config:\n  cert_file: a\n  key_file: b\n"
		     "  min_version: TLS1.2\n",
		     "tls_server_config.min_version: unknown TLS version "
		     "'TLS1.2' (one of TLS10, TLS11, TLS12, TLS13)");
	expect_error("tls_server_config:\n  cert_file: a\n  key_file: b\n"
		     "  min_version: TLS13\n  max_version: TLS12\n",
		     "web.yml:5: tls_server_config: min_version TLS13 is "
		     "above max_version TLS12");
	expect_error("tls_server_config:\n  cert_file: a\n", "web.yml:1: "
							     "tls_server_"
							     "config: missing "
							     "one of key or "
							     "key_file");
	expect_error("tls_server_config:\n  key_file: a\n", "missing one of "
							    "cert or "
							    "cert_file");
	expect_error("tls_server_config:\n  client_auth_type: "
		     "RequireAnyClientCert\n",
		     "missing one of cert or cert_file");
	expect_error("tls_server_config:\n  cert: x\n  cert_file: a\n",
		     "web.yml:3:14: tls_server_config.cert_file: give either "
		     "this or cert, not both");
	expect_error("tls_server_config:\n  cert_file: a\n  key_file: b\n"
		     "  client_ca_file: c\n",
		     "web.yml:4: tls_server_config: a client CA is configured "
		     "but client_auth_type is NoClientCert");
	expect_error("tls_server_config:\n  cert_file: a\n  key_file: b\n"
		     "  client_auth_type: VerifyClientCertIfGiven\n",
		     "web.yml:4: tls_server_config.client_auth_type: "
		     "VerifyClientCertIfGiven needs client_ca_file");
	expect_error("tls_server_config:\n  cert_file: a\n  key_file: b\n"
		     "  client_auth_type: VerifyClientCertIfGiven\n"
		     "  client_ca_file: c\n  client_allowed_sans: [x]\n",
		     "web.yml:6: tls_server_config.client_allowed_sans: "
		     "requires client_auth_type");
	expect_error("tls_server_config: [a, b]\n", "web.yml:1:20: "
						    "tls_server_config: "
						    "expected a mapping, "
						    "found a list");
	expect_error("tls_server_config:\n  cert_file: [a]\n", "tls_server_"
							       "config.cert_"
							       "file: expected "
							       "a string, "
							       "found "
							       "a list");
	expect_error("tls_server_config:\n  cert_file: a\n  key_file: b\n"
		     "  prefer_server_cipher_suites: sometimes\n",
		     "'sometimes' is not true or false");
	expect_error("tls_server_config:\n  cert_file: a\n  key_file: b\n"
		     "  prefer_server_cipher_suites: 'true'\n",
		     "'true' is not true or false");
	expect_error("http_server_config:\n  headers:\n    X-Powered-By: me\n",
		     "web.yml:3:5: http_server_config.headers: HTTP header "
		     "'X-Powered-By' can not be configured");
	expect_error("http_server_config:\n  headers:\n"
		     "    x-frame-options: deny\n",
		     "HTTP header 'x-frame-options' can not be configured");
	expect_error("http_server_config:\n  headers:\n"
		     "    X-Frame-Options: allow\n",
		     "http_server_config.headers.X-Frame-Options: 'allow' is "
		     "not allowed (only deny or sameorigin)");
	expect_error("http_server_config:\n  headers:\n"
		     "    X-Content-Type-Options: sniff\n",
		     "'sniff' is not allowed (only nosniff)");
	expect_error("http_server_config:\n  headers:\n"
		     "    X-XSS-Protection: \"1\\r\\nSet-Cookie: a=b\"\n",
		     "a control character in a header value");
	expect_error("http_server_config:\n  http2: maybe\n", "http_server_"
							      "config.http2: "
							      "'maybe' is not "
							      "true or false");
	expect_error("http_server_config:\n  http3: true\n", "unknown key "
							     "'http3' "
							     "(allowed: http2, "
							     "headers)");
	expect_error("basic_auth_users:\n  alice: secret\n", "web.yml:2:10: "
							     "basic_auth_users."
							     "alice: not a "
							     "bcrypt hash");
	expect_error("basic_auth_users:\n  alice:\n", "basic_auth_users.alice: "
						      "not a bcrypt hash");
	expect_error("basic_auth_users:\n  alice: "
		     "$2y$03$NvdZoM1chW2OxvUvGWvHbuAdePf1p/"
		     "FcP1fs7fyzZpFG848TtoIfK"
		     "\n",
		     "not a bcrypt hash");
	expect_error("basic_auth_users:\n  alice: " ALICE "\n  bob: " BOB
		     "\n  alice: " BOB "\n",
		     "web.yml:4: basic_auth_users: user 'alice' given twice "
		     "(first at line 2)");
	expect_error("basic_auth_users: [alice]\n", "basic_auth_users: "
						    "expected a mapping, found "
						    "a list");
	expect_error("rate_limit:\n  interval: soon\n", "rate_limit.interval: "
							"'soon' is not a "
							"duration");
	expect_error("rate_limit:\n  interval: -1s\n", "is not a duration");
	expect_error("rate_limit:\n  interval: 1s\n  burst: -1\n", "rate_limit."
								   "burst: "
								   "'-1' is "
								   "not a "
								   "whole "
								   "number");
	expect_error("basic_auth_users:\n---\nrate_limit:\n", "web.yml:2: more "
							      "than one YAML "
							      "document");
	expect_error("- a\n- b\n", "web.yml:1:1: expected a mapping, found "
				   "a list");
	expect_error("tls_server_config:\n  ? [a]\n  : b\n", "a key must be a "
							     "string");
	/* aliases resolve, and a self-reference cannot make the walk loop */
	expect_error("tls_server_config: &a\n  cert_file: *a\n",
		     "tls_server_config.cert_file: expected a string, found a "
		     "mapping");
}

static void test_nul_and_size(void **state)
{
	static const char text[] = "tls_server_config:\n  cert: \"a\\0b\"\n";
	char err[256];
	char *big;
	struct webcfg *w;

	(void)state;
	w = webcfg_parse(text, sizeof(text) - 1, "web.yml", err, sizeof(err));
	assert_null(w);
	assert_non_null(strstr(err, "a NUL byte"));
	big = calloc(1, WEBCFG_MAX_BYTES + 2);
	assert_non_null(big);
	memset(big, '#', WEBCFG_MAX_BYTES + 1);
	w = webcfg_parse(big, WEBCFG_MAX_BYTES + 1, "web.yml", err,
			 sizeof(err));
	assert_null(w);
	assert_non_null(strstr(err, "larger than"));
	free(big);
}

static uint64_t interval(const char *v)
{
	char text[128], err[256];
	struct webcfg *w;
	uint64_t ns;

	snprintf(text, sizeof(text), "rate_limit:\n  interval: %s\n", v);
	w = parse(text, err, sizeof(err));
	if (!w)
		return UINT64_MAX;
	ns = w->rate_interval_ns;
	webcfg_free(w);
	return ns;
}

static void test_durations(void **state)
{
	(void)state;
	/* Go's time.ParseDuration */
	assert_int_equal(interval("1s"), 1000000000ull);
	assert_int_equal(interval("0"), 0);
	assert_int_equal(interval("1.5s"), 1500000000ull);
	assert_int_equal(interval("1h2m3.5s"), 3723500000000ull);
	assert_int_equal(interval("300ms"), 300000000ull);
	assert_int_equal(interval("2us"), 2000);
	assert_int_equal(interval("2\xc2\xb5s"), 2000);
	assert_int_equal(interval("7ns"), 7);
	assert_int_equal(interval(".5m"), 30000000000ull);
	assert_int_equal(interval("+3s"), 3000000000ull);
	/* yaml.v2 reads a plain integer as nanoseconds; quoted, it is a
	 * string for ParseDuration, which wants a unit */
	assert_int_equal(interval("1000"), 1000);
	assert_int_equal(interval("'1000'"), UINT64_MAX);
	assert_int_equal(interval("1x"), UINT64_MAX);
	assert_int_equal(interval("s"), UINT64_MAX);
	assert_int_equal(interval("1.s5"), UINT64_MAX);
	assert_int_equal(interval("99999999999999999999h"), UINT64_MAX);
}

/* The injected hash: counts calls and remembers the setting and the cost
 * of each (bcrypt's work is 2^cost rounds, whatever the password and
 * salt). */
struct calls {
	int n;
	char setting[WEBCFG_HASH_MAX];
	int cost[16];
	webcfg_hash_fn real; /* when set, the hash actually run */
	int failed; /* calls real refused */
};

static int counting_hash(const char *pass, const char *setting, char *out,
			 size_t outlen, void *ctx)
{
	struct calls *c = ctx;

	if (c->n < 16)
		c->cost[c->n] = atoi(setting + 4);
	c->n++;
	snprintf(c->setting, sizeof(c->setting), "%s", setting);
	if (c->real) {
		int rc = c->real(pass, setting, out, outlen, NULL);

		c->failed += rc != 0;
		return rc;
	}
	/* the "hash" of "pass" is the setting itself: a match */
	snprintf(out, outlen, "%s", strcmp(pass, "pass") ? "nope" : setting);
	return 0;
}

/* One check, which must answer want and run the hash at exactly the costs
 * costs[0..n), in that order. */
static void expect_work(const struct webcfg *w, const char *user,
			const char *pass, bool want, const int *costs, int n)
{
	struct calls c = { 0 };

	if (webcfg_auth_check(w, user, pass, counting_hash, &c) != want)
		fail_msg("user '%s': wanted %s", user ? user : "(none)",
			 want ? "a pass" : "a refusal");
	assert_int_equal(c.n, n);
	for (int i = 0; i < n; i++)
		if (c.cost[i] != costs[i])
			fail_msg("user '%s': call %d at cost %d, wanted %d",
				 user ? user : "(none)", i, c.cost[i],
				 costs[i]);
}

static void test_auth_structure(void **state)
{
	char err[256];
	struct calls c = { 0 };
	struct webcfg *w = parse("basic_auth_users:\n  alice: " ALICE
				 "\n  bob: " BOB "\n",
				 err, sizeof(err));

	(void)state;
	assert_non_null(w);
	/* the same work for every attempt, whatever the user and its cost:
	 * one run at each cost among the users (alice 04, bob 06) */
	assert_int_equal(w->ncosts, 2);
	expect_work(w, "alice", "pass", true, (const int[]){ 4, 6 }, 2);
	expect_work(w, "alice", "wrong", false, (const int[]){ 4, 6 }, 2);
	expect_work(w, "bob", "pass", true, (const int[]){ 4, 6 }, 2);
	expect_work(w, "bob", "wrong", false, (const int[]){ 4, 6 }, 2);
	/* an unknown user is hashed against dummies, and refused even when
	 * a hash matches */
	expect_work(w, "carol", "pass", false, (const int[]){ 4, 6 }, 2);
	expect_work(w, "", "", false, (const int[]){ 4, 6 }, 2);
	expect_work(w, "alicex", "pass", false, (const int[]){ 4, 6 }, 2);
	/* no credentials at all: nothing to hash */
	expect_work(w, NULL, NULL, false, NULL, 0);
	/* the user's own run is against its hash */
	assert_true(webcfg_auth_check(w, "alice", "pass", counting_hash, &c));
	assert_int_equal(c.n, 2);
	assert_string_not_equal(c.setting, ALICE);
	c.n = 0;
	assert_true(webcfg_auth_check(w, "bob", "pass", counting_hash, &c));
	assert_string_equal(c.setting, BOB);
	webcfg_free(w);

	/* users of one cost: one run, as without users of other costs */
	w = parse("basic_auth_users:\n  alice: " ALICE "\n  long: " LONG "\n",
		  err, sizeof(err));
	assert_non_null(w);
	expect_work(w, "alice", "pass", true, (const int[]){ 4 }, 1);
	expect_work(w, "carol", "pass", false, (const int[]){ 4 }, 1);
	webcfg_free(w);

	/* no users: no auth, no hashing */
	w = parse("", err, sizeof(err));
	expect_work(w, NULL, NULL, true, NULL, 0);
	webcfg_free(w);
}

static void test_auth_cache(void **state)
{
	char err[256], text[8192];
	size_t k = 0;
	struct calls c = { 0 };
	struct webcfg_auth_cache *cache = webcfg_auth_cache_new();
	/* users of one cost: one hash per check */
	struct webcfg *w = parse("basic_auth_users:\n  alice: " ALICE
				 "\n  bob: " LONG "\n",
				 err, sizeof(err));

	(void)state;
	assert_non_null(cache);
	assert_non_null(w);
	/* a pass is kept: the same credentials pass again unhashed */
	assert_true(webcfg_auth_check_cached(w, cache, "alice", "pass",
					     counting_hash, &c));
	assert_true(webcfg_auth_check_cached(w, cache, "alice", "pass",
					     counting_hash, &c));
	assert_int_equal(c.n, 1);
	/* failures are not kept: hashed every time */
	assert_false(webcfg_auth_check_cached(w, cache, "alice", "wrong",
					      counting_hash, &c));
	assert_false(webcfg_auth_check_cached(w, cache, "alice", "wrong",
					      counting_hash, &c));
	assert_int_equal(c.n, 3);
	/* kept per user and password, not per password */
	assert_true(webcfg_auth_check_cached(w, cache, "bob", "pass",
					     counting_hash, &c));
	assert_int_equal(c.n, 4);
	assert_false(webcfg_auth_check_cached(w, cache, "carol", "pass",
					      counting_hash, &c));
	assert_false(webcfg_auth_check_cached(w, cache, "alic", "epass",
					      counting_hash, &c));
	assert_int_equal(c.n, 6);
	assert_false(webcfg_auth_check_cached(w, cache, NULL, NULL,
					      counting_hash, &c));
	/* no cache: every check hashes */
	assert_true(webcfg_auth_check_cached(w, NULL, "alice", "pass",
					     counting_hash, &c));
	assert_int_equal(c.n, 7);
	webcfg_free(w);
	webcfg_auth_cache_free(cache);

	/* 65 users passing in turn: the cache holds 64, the oldest goes */
	cache = webcfg_auth_cache_new();
	k += (size_t)snprintf(text + k, sizeof(text) - k,
			      "basic_auth_users:\n");
	for (int i = 0; i < 65; i++)
		k += (size_t)snprintf(text + k, sizeof(text) - k,
				      "  u%d: " ALICE "\n", i);
	w = parse(text, err, sizeof(err));
	assert_non_null(w);
	c.n = 0;
	for (int i = 0; i < 65; i++) {
		char user[8];

		snprintf(user, sizeof(user), "u%d", i);
		assert_true(webcfg_auth_check_cached(w, cache, user, "pass",
						     counting_hash, &c));
	}
	assert_int_equal(c.n, 65);
	assert_true(webcfg_auth_check_cached(w, cache, "u64", "pass",
					     counting_hash, &c));
	assert_int_equal(c.n, 65);
	assert_true(webcfg_auth_check_cached(w, cache, "u0", "pass",
					     counting_hash, &c));
	assert_int_equal(c.n, 66);
	webcfg_free(w);
	webcfg_auth_cache_free(cache);
}

static void test_auth_bcrypt(void **state)
{
	char err[256];
	char a72[80], a73[80];
	struct webcfg *w = parse("basic_auth_users:\n  alice: " ALICE
				 "\n  bob: " BOB "\n  long: " LONG "\n",
				 err, sizeof(err));

	(void)state;
	assert_non_null(w);
	assert_true(webcfg_auth_check(w, "alice", "pass", webcfg_bcrypt, NULL));
	assert_true(webcfg_auth_check(w, "bob", "secret", webcfg_bcrypt, NULL));
	assert_false(
		webcfg_auth_check(w, "alice", "secret", webcfg_bcrypt, NULL));
	assert_false(webcfg_auth_check(w, "bob", "pass", webcfg_bcrypt, NULL));
	assert_false(
		webcfg_auth_check(w, "carol", "pass", webcfg_bcrypt, NULL));
	assert_false(webcfg_auth_check(w, "alice", "", webcfg_bcrypt, NULL));
	/* the dummies are bcrypt settings that really run (at 04 and 06),
	 * or an unknown user would answer sooner */
	{
		struct calls c = { .real = webcfg_bcrypt };

		assert_false(webcfg_auth_check(w, "carol", "pass",
					       counting_hash, &c));
		assert_true(webcfg_auth_check(w, "bob", "secret", counting_hash,
					      &c));
		assert_int_equal(c.n, 4);
		assert_int_equal(c.failed, 0);
	}
	/* bcrypt reads 72 bytes; a longer password is refused, as in Go */
	memset(a72, 'a', 72);
	a72[72] = 0;
	memset(a73, 'a', 73);
	a73[73] = 0;
	assert_true(webcfg_auth_check(w, "long", a72, webcfg_bcrypt, NULL));
	assert_false(webcfg_auth_check(w, "long", a73, webcfg_bcrypt, NULL));
	webcfg_free(w);
}

/* web.yml with the certificate inline, as a YAML block scalar. */
static void put_inline_cert(const char *dir)
{
	char text[2048] = "tls_server_config:\n  cert: |\n";

	for (const char *l = cert_pem; *l;) {
		const char *nl = strchr(l, '\n');

		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 "    %.*s\n", (int)(nl - l), l);
		l = nl + 1;
	}
	snprintf(text + strlen(text), sizeof(text) - strlen(text),
		 "  key_file: server.key\n");
	put(dir, "web.yml", text);
}

/* cut.crt: the certificate cut short in its second line, as a copy
 * interrupted halfway leaves it. */
static void put_cut_cert(const char *dir)
{
	char text[128];

	snprintf(text, sizeof(text), "%.100s", cert_pem);
	put(dir, "cut.crt", text);
}

static struct webcfg *load(const char *dir, char *err, size_t errlen)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/web.yml", dir);
	err[0] = 0;
	return webcfg_load(path, err, errlen);
}

static void test_load(void **state)
{
	static const struct {
		const char *text;
		int error;
		const char *want[2];
	} bad[] = {
		{ "tls_server_config:\n  cert_file: server.crt\n"
		  "  key_file: missing.key\n",
		  ENOENT,
		  { "web.yml:3: tls_server_config.key_file: cannot read ",
		    "/missing.key: No such file or directory" } },
		{ "tls_server_config:\n  cert_file: server.crt\n"
		  "  key_file: other.key\n",
		  EINVAL,
		  { "web.yml:3: tls_server_config.key_file (", "are not a PEM "
							       "certificate "
							       "and its "
							       "private "
							       "key" } },
		{ "tls_server_config:\n  cert_file: cut.crt\n"
		  "  key_file: server.key\n",
		  EINVAL,
		  { "web.yml:2: tls_server_config.cert_file (", "/cut.crt): "
								"the "
								"certificate "
								"and key" } },
		{ "tls_server_config:\n  cert_file: server.crt\n"
		  "  key_file: server.key\n"
		  "  client_auth_type: RequireAndVerifyClientCert\n"
		  "  client_ca_file: empty.pem\n",
		  EINVAL,
		  { "web.yml:5: tls_server_config.client_ca_file (", "no PEM "
								     "certifica"
								     "te "
								     "foun"
								     "d" } },
	};
	char dir[] = "/tmp/test_webcfg.XXXXXX";
	char err[1024], path[600];
	struct webcfg *w;

	(void)state;
	assert_non_null(mkdtemp(dir));
	put(dir, "server.crt", cert_pem);
	put(dir, "server.key", key_pem);
	put(dir, "other.key", other_key_pem);
	put(dir, "empty.pem", "no certificate here\n");
	put_cut_cert(dir);

	/* relative names are relative to the file's directory */
	put(dir, "web.yml",
	    "tls_server_config:\n  cert_file: server.crt\n"
	    "  key_file: server.key\n"
	    "  client_auth_type: RequireAndVerifyClientCert\n"
	    "  client_ca_file: server.crt\n");
	w = load(dir, err, sizeof(err));
	assert_non_null(w);
	assert_string_equal(w->cert.text, cert_pem);
	assert_string_equal(w->key.text, key_pem);
	assert_string_equal(w->client_ca.text, cert_pem);
	snprintf(path, sizeof(path), "%s/server.key", dir);
	assert_string_equal(w->key.file, path);
	webcfg_free(w);

	/* inline PEM */
	put_inline_cert(dir);
	w = load(dir, err, sizeof(err));
	assert_non_null(w);
	assert_string_equal(w->cert.text, cert_pem);
	webcfg_free(w);

	/* file problems name the key, its line and the file */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put(dir, "web.yml", bad[i].text);
		w = load(dir, err, sizeof(err));
		assert_null(w);
		assert_int_equal(errno, bad[i].error);
		for (size_t k = 0; k < 2; k++)
			if (!strstr(err, bad[i].want[k])) {
				print_error("%s: no '%s' in '%s'\n",
					    bad[i].text, bad[i].want[k], err);
				fail();
			}
	}

	/* parse errors come through with the path as origin */
	put(dir, "web.yml", "tls_server_config:\n  cert_fil: x\n");
	w = load(dir, err, sizeof(err));
	assert_null(w);
	assert_int_equal(errno, EINVAL);
	snprintf(path, sizeof(path),
		 "%s/web.yml:2:3: tls_server_config: "
		 "unknown key 'cert_fil'",
		 dir);
	assert_memory_equal(err, path, strlen(path));

	/* the file itself is missing */
	snprintf(path, sizeof(path), "%s/web.yml", dir);
	unlink(path);
	w = load(dir, err, sizeof(err));
	assert_null(w);
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err, "web.yml: cannot read the web config "
				    "file: No such file or directory"));

	/* without TLS nothing else is read */
	put(dir, "web.yml", "basic_auth_users:\n  alice: " ALICE "\n");
	w = load(dir, err, sizeof(err));
	assert_non_null(w);
	assert_false(w->tls);
	webcfg_free(w);

	for (const char *const *f =
		     (const char *const[]){ "server.crt", "server.key",
					    "other.key", "empty.pem", "cut.crt",
					    "web.yml", NULL };
	     *f; f++) {
		snprintf(path, sizeof(path), "%s/%s", dir, *f);
		unlink(path);
	}
	rmdir(dir);
}

/* What a reload may not take away from the configuration in force. */
static void test_weakens(void **state)
{
#define TLS "tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n"
#define VERIFY                                                                 \
	"  client_auth_type: RequireAndVerifyClientCert\n"                     \
	"  client_ca_file: ca.crt\n"
#define USERS "basic_auth_users:\n  alice: " ALICE "\n  bob: " BOB "\n"
	static const struct {
		const char *old, *next, *lost; /* lost NULL: allowed */
	} cases[] = {
		/* what an empty, comment-only or cut file parses to */
		{ USERS, "", "basic auth (2 users)" },
		{ USERS, "# all commented out\n", "basic auth (2 users)" },
		{ USERS, "basic_auth_users:\n", "basic auth (2 users)" },
		{ USERS, "basic_auth_users: {}\n", "basic auth (2 users)" },
		{ USERS, "rate_limit:\n  burst: 5\n", "basic auth (2 users)" },
		{ "basic_auth_users:\n  alice: " ALICE "\n", "",
		  "basic auth (1 user)" },
		{ TLS USERS, USERS, "TLS" },
		{ TLS, "", "TLS" },
		{ TLS VERIFY, "", "TLS" },
		{ TLS VERIFY, TLS, "the required client certificate" },
		{ TLS VERIFY,
		  TLS "  client_auth_type: VerifyClientCertIfGiven\n"
		      "  client_ca_file: ca.crt\n",
		  "the required client certificate" },
		{ TLS VERIFY, TLS "  client_auth_type: RequireAnyClientCert\n",
		  "the verification of client certificates" },
		{ TLS VERIFY "  client_allowed_sans: [a, b]\n", TLS VERIFY,
		  "client_allowed_sans (2 names)" },
		/* changes that keep each protection reload */
		{ USERS, "basic_auth_users:\n  carol: " ALICE "\n", NULL },
		{ USERS, "basic_auth_users:\n  bob: " BOB "\n", NULL },
		{ "", USERS, NULL },
		{ "", "", NULL },
		{ TLS, TLS VERIFY, NULL },
		{ TLS USERS, TLS VERIFY USERS, NULL },
		{ TLS VERIFY,
		  TLS "  client_auth_type: RequireAndVerifyClientCert"
		      "\n  client_ca_file: other.crt\n",
		  NULL },
		{ TLS VERIFY "  client_allowed_sans: [a, b]\n",
		  TLS VERIFY "  client_allowed_sans: [c]\n", NULL },
		{ TLS "  client_auth_type: VerifyClientCertIfGiven\n"
		      "  client_ca_file: ca.crt\n",
		  TLS, NULL },
	};
#undef TLS
#undef VERIFY
#undef USERS
	char err[256], why[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct webcfg *old = parse(cases[i].old, err, sizeof(err));
		struct webcfg *next = parse(cases[i].next, err, sizeof(err));
		bool weakens;

		assert_non_null(old);
		if (!next)
			fail_msg("case %zu: %s", i, err);
		why[0] = 0;
		weakens = webcfg_weakens(old, next, why, sizeof(why));
		if (weakens != (cases[i].lost != NULL) ||
		    (weakens && strcmp(why, cases[i].lost)))
			fail_msg("case %zu: from\n%s\nto\n%s\nwanted %s, got "
				 "%s '%s'",
				 i, cases[i].old, cases[i].next,
				 cases[i].lost ? cases[i].lost : "a reload",
				 weakens ? "a refusal" : "a reload", why);
		webcfg_free(old);
		webcfg_free(next);
	}
}

/* A certificate file cut short fails to load at every look while it stays
 * broken: each failure must give back all it took, GnuTLS's share too.
 * Counted as the heap in use (mallinfo2) across 200 failed loads, after a
 * first few that may set up what GnuTLS keeps for the process; GnuTLS
 * 3.7's gnutls_certificate_set_x509_key_mem kept 9,672 bytes each time. */
static void test_load_leak(void **state)
{
	char dir[] = "/tmp/test_webcfg.XXXXXX";
	char err[1024], path[600];
	struct mallinfo2 before, after;

	(void)state;
	assert_non_null(mkdtemp(dir));
	put(dir, "server.key", key_pem);
	put_cut_cert(dir);
	put(dir, "web.yml",
	    "tls_server_config:\n  cert_file: cut.crt\n"
	    "  key_file: server.key\n");
	for (int i = 0; i < 5; i++)
		assert_null(load(dir, err, sizeof(err)));
	before = mallinfo2();
	for (int i = 0; i < 200; i++)
		assert_null(load(dir, err, sizeof(err)));
	after = mallinfo2();
	/* 200 x 9,672 bytes were 1.9 MB; a few KB is noise */
	if (after.uordblks > before.uordblks + 16384)
		fail_msg("200 failed loads kept %zu bytes",
			 after.uordblks - before.uordblks);
	for (const char *const *f =
		     (const char *const[]){ "server.key", "cut.crt", "web.yml",
					    NULL };
	     *f; f++) {
		snprintf(path, sizeof(path), "%s/%s", dir, *f);
		unlink(path);
	}
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_nul_and_size),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_auth_structure),
		cmocka_unit_test(test_auth_cache),
		cmocka_unit_test(test_auth_bcrypt),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_load_leak),
		cmocka_unit_test(test_weakens),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
