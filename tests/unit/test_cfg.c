/* Unit tests for exporter/cfg: flags, defaults, durations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "exporter/cfg.h"
#include "exporter/collectors/collector.h"

static FILE *sink;

static int parse(struct cfg *c, int n, const char **args)
{
	char *argv[32];
	int rc;

	argv[0] = (char *)"audit_exporter";
	for (int i = 0; i < n; i++)
		argv[i + 1] = (char *)args[i];
	rc = cfg_parse(c, n + 1, argv, sink, sink);
	return rc;
}

static void test_argfile(void **state)
{
	char path[] = "/tmp/ae-cfg-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	const char *a[3] = { "--once", NULL, "--log.level=warn" };
	char at[64];
	struct cfg c;

	(void)state;
	fprintf(f, "# plugin flags\n\n  --audit.source=file  \n"
		   "--audit.file=/x.log\r\n--web.listen-address\n:9\n");
	fclose(f);
	snprintf(at, sizeof(at), "@%s", path);
	a[1] = at;
	assert_int_equal(parse(&c, 3, a), 0);
	assert_int_equal(c.source, CFG_FILE);
	assert_string_equal(c.audit_file, "/x.log");
	assert_string_equal(c.listen[0], ":9");
	assert_string_equal(c.log_level, "warn");
	assert_true(c.once);
	cfg_free(&c);
	a[1] = "@/nonexistent/args";
	assert_int_equal(parse(&c, 2, a), 2);
	cfg_free(&c);
	unlink(path);
}

static void test_defaults(void **state)
{
	struct cfg c;

	(void)state;
	assert_int_equal(parse(&c, 0, NULL), 0);
	assert_int_equal(c.nlisten, 1);
	assert_string_equal(c.listen[0], ":10043");
	assert_string_equal(c.telemetry_path, "/metrics");
	assert_int_equal(c.source, CFG_UNICAST);
	assert_null(c.rules_file);
	assert_false(c.once);
	assert_int_equal(c.nwindows, 3);
	assert_true(c.windows_ms[0] == 300000 && c.windows_ms[1] == 3600000 &&
		    c.windows_ms[2] == 86400000);
	assert_string_equal(c.window_names[2], "24h");
	assert_int_equal(c.host_p, 14);
	assert_int_equal(c.proc_p, 12);
	assert_int_equal(c.max_series, 10000);
	assert_true(c.memory_limit == (size_t)256 << 20);
	assert_int_equal(c.users_max, 1024);
	assert_string_equal(c.baseline_file, "/var/lib/audit_exporter/"
					     "baseline");
	assert_true(c.baseline_learning_ms == 3600000);
	assert_true(c.baseline_save_ms == 300000);
	assert_int_equal(c.baseline_max, 65536);
	assert_int_equal(c.dest_max, 2000);
	assert_true(c.dest_horizon_ms == 3600000);
	assert_int_equal(coll_n, 11);
	for (unsigned i = 0; i < coll_n; i++)
		assert_true(c.collector[i]);
}

/* The idle timeout the flags give, in ms. */
static int64_t idle_of(int n, const char **args)
{
	struct cfg c;
	int64_t ms;

	assert_int_equal(parse(&c, n, args), 0);
	ms = c.idle_ms;
	cfg_free(&c);
	return ms;
}

/* Idle label sets: swept after 24h live; a replay keeps them all (a week
 * of logs replayed with --once showed only the last day), unless the flag
 * is given. */
static void test_idle_default(void **state)
{
	const char *file[] = { "--audit.source=file", "--audit.file=/x.log" };
	const char *once[] = { "--audit.source=stdin", "--once" };
	const char *plugin[] = { "--audit.source=plugin" };
	const char *given[] = { "--audit.source=file", "--audit.file=/x.log",
				"--metrics.idle-timeout=1h" };

	(void)state;
	assert_true(idle_of(0, NULL) == 86400000);
	assert_true(idle_of(1, plugin) == 86400000);
	assert_true(idle_of(2, file) == 0);
	assert_true(idle_of(2, once) == 0);
	assert_true(idle_of(3, given) == 3600000);
}

/* plugin: auditd's live feed, a text source that is no replay; --once is
 * allowed (the feed ends when auditd stops). */
static void test_plugin_source(void **state)
{
	const char *a[] = { "--audit.source=plugin", "--once" };
	struct cfg c;

	(void)state;
	assert_int_equal(parse(&c, 2, a), 0);
	assert_int_equal(c.source, CFG_PLUGIN);
	assert_string_equal(cfg_source_name(c.source), "plugin");
	assert_true(cfg_source_is_text(c.source));
	assert_false(cfg_source_is_replay(c.source));
	assert_true(cfg_source_is_replay(CFG_STDIN));
	assert_true(cfg_source_is_replay(CFG_FILE));
	assert_false(cfg_source_is_replay(CFG_UNICAST));
	cfg_free(&c);
}

static void test_forms(void **state)
{
	struct cfg c;
	const char *a[] = { "--web.listen-address=:1",
			    "--web.listen-address",
			    "[::1]:2",
			    "--audit.source",
			    "file",
			    "--audit.file=/x.log",
			    "--once",
			    "--no-collector.kernel",
			    "--window=90s,1h30m",
			    "--audit.socket-buffer=8MiB",
			    "--no-audit.rules.load",
			    "--metrics.memory-limit=6GiB",
			    "--collector.users.max=5",
			    "--no-collector.users" };

	(void)state;
	assert_int_equal(parse(&c, 14, a), 0);
	/* a collector's option, and the collector switched off by name */
	assert_int_equal(c.users_max, 5);
	assert_false(c.collector[coll_find("users")]);
	assert_true(c.memory_limit == (size_t)6 << 30);
	assert_int_equal(c.nlisten, 2);
	assert_string_equal(c.listen[1], "[::1]:2");
	assert_int_equal(c.source, CFG_FILE);
	assert_true(c.once);
	assert_false(c.collector[coll_find("kernel")]);
	assert_true(c.collector[coll_find("connect")]);
	assert_int_equal(c.nwindows, 2);
	assert_true(c.windows_ms[1] == 5400000);
	assert_int_equal(c.rcvbuf, 8 << 20);
	assert_false(c.load_rules);
}

static void test_errors(void **state)
{
	static const char *const bad[] = {
		"--nope",
		"--window=",
		"--window=5m,5m",
		"--window=-1m",
		"--window=30d",
		"--audit.source=udp",
		"--metrics.max-series=x",
		"--metrics.max-series=-1",
		"--once",
		"--audit.source=file",
		"--collector.bogus",
		"--log.level=loud",
		"--log.format=xml",
		"--web.telemetry-path=metrics",
		"--no-web.telemetry-path",
		"--sketch.export-precision=16",
		"positional",
		"--audit.socket-buffer=1",
		"--metrics.memory-limit=1KiB",
		"--metrics.memory-limit=lots",
		"--collector.users.max=0",
		"--collector.users.maximum=5",
		"--collector.destinations.max=0",
		"--collector.destinations.max=1048577",
		"--collector.destinations.horizon=0",
		"--collector.destinations.horizon=1x",
	};
	struct cfg c;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *a[1] = { bad[i] };

		assert_int_equal(parse(&c, 1, a), 2);
	}
	{
		const char *a[1] = { "--web.telemetry-path" }; /* no value */

		assert_int_equal(parse(&c, 1, a), 2);
	}
	{
		const char *a[1] = { "--version" };

		assert_int_equal(parse(&c, 1, a), 1);
	}
}

static void test_durations(void **state)
{
	int64_t ms;

	(void)state;
	assert_int_equal(cfg_duration("250ms", &ms), 0);
	assert_true(ms == 250);
	assert_int_equal(cfg_duration("1h30m", &ms), 0);
	assert_true(ms == 5400000);
	assert_int_equal(cfg_duration("1m500ms", &ms), 0);
	assert_true(ms == 60500);
	assert_int_equal(cfg_duration("2d", &ms), 0);
	assert_true(ms == 172800000);
	assert_int_equal(cfg_duration("0", &ms), 0);
	assert_true(ms == 0);
	assert_int_not_equal(cfg_duration("5", &ms), 0);
	assert_int_not_equal(cfg_duration("m", &ms), 0);
	assert_int_not_equal(cfg_duration("5x", &ms), 0);
	assert_int_not_equal(cfg_duration("99999999999999999999y", &ms), 0);
	assert_int_not_equal(cfg_duration("300000000y", &ms), 0);
}

static int setup(void **state)
{
	(void)state;
	sink = fopen("/dev/null", "w");
	return sink ? 0 : -1;
}

/* The collector flags come from the table: --help and the error for an
 * unknown collector list every collector in it, with their defaults. */
static void test_collector_names(void **state)
{
	char *help = NULL, *err = NULL;
	size_t help_len = 0, err_len = 0;
	FILE *out = open_memstream(&help, &help_len);
	FILE *errs = open_memstream(&err, &err_len);
	char *argv[] = { (char *)"audit_exporter", (char *)"--help", NULL };
	char *bad[] = { (char *)"audit_exporter", (char *)"--collector.bogus",
			NULL };
	char want[256] = "";
	struct cfg c;

	(void)state;
	assert_non_null(out);
	assert_non_null(errs);
	for (unsigned i = 0; i < coll_n; i++)
		snprintf(want + strlen(want), sizeof(want) - strlen(want),
			 "%s%s", i ? ", " : "", coll_table[i]->name);
	assert_int_equal(cfg_parse(&c, 2, argv, out, errs), 1);
	cfg_free(&c);
	assert_int_equal(cfg_parse(&c, 2, bad, out, errs), 2);
	cfg_free(&c);
	fclose(out);
	fclose(errs);
	assert_non_null(strstr(help, want));
	assert_non_null(strstr(help, "(default: all enabled)"));
	assert_non_null(strstr(err, "unknown collector 'bogus'"));
	assert_non_null(strstr(err, want));
	for (unsigned i = 0; i < coll_n; i++)
		assert_true(coll_table[i]->on);
	free(help);
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_collector_names),
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_plugin_source),
		cmocka_unit_test(test_idle_default),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_argfile),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
