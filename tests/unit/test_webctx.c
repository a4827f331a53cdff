/* Unit tests for exporter/web/webctx: reloading the web configuration in force.
 * Fail closed: a file that would take TLS or every user away from the
 * running exporter (empty, comments only, "basic_auth_users:" with no
 * value, TLS removed) is refused with an error in the log, and the
 * configuration in force stays; ordinary changes still reload. While a
 * webctx call runs, the log (stderr) goes to a file the test then reads;
 * cmocka's own messages keep the real stderr. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "exporter/log.h"
#include "exporter/web/webctx.h"

#include "tests/unit/webcfg_fixtures.h"

#define USERS "basic_auth_users:\n  alice: " ALICE "\n  bob: " BOB "\n"
#define TLS                                                                    \
	"tls_server_config:\n  cert_file: server.crt\n"                        \
	"  key_file: server.key\n"

struct fixture {
	char dir[64];
	char path[128]; /* dir/web.yml */
	char log[128]; /* dir/log: stderr while a webctx call runs */
	int saved_stderr; /* -1 when stderr is not captured */
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_webctx.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof(fx->path), "%s/web.yml", fx->dir);
	snprintf(fx->log, sizeof(fx->log), "%s/log", fx->dir);
	put(fx->dir, "server.crt", cert_pem);
	put(fx->dir, "server.key", key_pem);
	fx->saved_stderr = -1;
	assert_int_equal(log_setup("info", "logfmt"), 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	const char *const files[] = { "server.crt", "server.key", "web.yml",
				      "log" };
	char path[256];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", fx->dir, files[i]);
		unlink(path);
	}
	rmdir(fx->dir);
	free(fx);
	return 0;
}

/* The log so far, from its start (static; a test's lines are few). */
static const char *logged(const struct fixture *fx)
{
	static char buf[65536];
	FILE *f = fopen(fx->log, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	return buf;
}

/* Sends stderr to an empty log file, until capture_end. */
static void capture_start(struct fixture *fx)
{
	int fd = open(fx->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	fx->saved_stderr = dup(STDERR_FILENO);
	assert_true(fx->saved_stderr >= 0);
	assert_true(dup2(fd, STDERR_FILENO) == STDERR_FILENO);
	close(fd);
}

static void capture_end(struct fixture *fx)
{
	assert_true(dup2(fx->saved_stderr, STDERR_FILENO) == STDERR_FILENO);
	close(fx->saved_stderr);
	fx->saved_stderr = -1;
}

/* Writes web.yml and loads it again (SIGHUP's path), the log captured. */
static void reload(struct fixture *fx, struct webctx_file *f, const char *text)
{
	put(fx->dir, "web.yml", text);
	capture_start(fx);
	webctx_reload(f);
	capture_end(fx);
}

/* Writes web.yml and opens it, the log captured; NULL: err says why. */
static struct webctx_file *open_logged(struct fixture *fx, const char *text,
				       char *err, size_t errlen)
{
	struct webctx_file *f;

	put(fx->dir, "web.yml", text);
	capture_start(fx);
	f = webctx_file_open(fx->path, err, errlen);
	capture_end(fx);
	if (!f)
		fail_msg("%s", err);
	return f;
}

/* The text of the log must hold want. */
static void expect_logged(const struct fixture *fx, const char *want)
{
	const char *text = logged(fx);

	if (!strstr(text, want))
		fail_msg("no '%s' in the log:\n%s", want, text);
}

/* The configuration in force. */
static unsigned long in_force_users(struct webctx_file *f, bool *tls)
{
	struct webctx *c = webctx_acquire(f);
	unsigned long n = (unsigned long)c->web->nusers;

	*tls = c->web->tls;
	webctx_release(c);
	return n;
}

/* Writing text must be refused with an error saying it would remove lost,
 * and the configuration in force stay the very same. */
static void expect_refused(struct fixture *fx, struct webctx_file *f,
			   const char *text, const char *lost)
{
	struct webctx *before = webctx_acquire(f), *after;
	char want[128];

	reload(fx, f, text);
	after = webctx_acquire(f);
	webctx_release(before);
	webctx_release(after);
	if (after != before)
		fail_msg("'%s' replaced the configuration in force; log:\n%s",
			 text, logged(fx));
	expect_logged(fx, "level=error");
	expect_logged(fx, "web config not reloaded");
	snprintf(want, sizeof(want),
		 "it would remove %s from the running exporter", lost);
	expect_logged(fx, want);
}

static void test_users_stay(void **state)
{
	static const char *const cuts[] = { "",
					    "# commented out for now\n",
					    "basic_auth_users:\n",
					    "basic_auth_users: {}\n",
					    "rate_limit:\n  burst: 5\n",
					    "---\n" };
	struct fixture *fx = *state;
	char err[1024];
	bool tls;
	struct webctx_file *f = open_logged(fx, USERS, err, sizeof(err));

	assert_int_equal(in_force_users(f, &tls), 2);
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++)
		expect_refused(fx, f, cuts[i], "basic auth (2 users)");
	/* other users, or fewer: reloaded */
	reload(fx, f, "basic_auth_users:\n  carol: " ALICE "\n");
	assert_int_equal(in_force_users(f, &tls), 1);
	expect_logged(fx, "web config reloaded");
	webctx_file_close(f);
}

static void test_tls_stays(void **state)
{
	static const char *const cuts[] = { "", USERS, "# TLS TBD\n" };
	struct fixture *fx = *state;
	char err[1024];
	bool tls;
	struct webctx_file *f = open_logged(fx, TLS, err, sizeof(err));

	assert_int_equal(in_force_users(f, &tls), 0);
	assert_true(tls);
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++)
		expect_refused(fx, f, cuts[i], "TLS");
	/* client certificates, once required, stay required */
	reload(fx, f,
	       TLS "  client_auth_type: RequireAndVerifyClientCert\n"
		   "  client_ca_file: server.crt\n");
	expect_logged(fx, "web config reloaded");
	expect_refused(fx, f, TLS, "the required client certificate");
	webctx_file_close(f);
}

/* Started with a file that opens /metrics to anyone: said as a warning. */
static void test_open_warns(void **state)
{
	struct fixture *fx = *state;
	struct webctx_file *f;
	char err[1024];

	f = open_logged(fx, "# nothing yet\n", err, sizeof(err));
	expect_logged(fx, "level=warn");
	expect_logged(fx, "neither TLS nor basic auth");
	webctx_file_close(f);
	f = open_logged(fx, USERS, err, sizeof(err));
	assert_null(strstr(logged(fx), "level=warn"));
	webctx_file_close(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_users_stay, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_tls_stays, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_open_warns, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
