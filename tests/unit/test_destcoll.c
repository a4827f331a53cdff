/*
 * Unit tests for exporter/collectors/destinations: who connected where,
 * through the dispatcher and the scrape.
 *
 * Events are audit.log text fed through the assembler and the aggregator
 * as the reader does (a replay: the events' clock); the exposition is
 * scrape_render's. Each expectation is the workload's own ground truth:
 * which process connected where, how often, in which order.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "exporter/agg.h"
#include "exporter/cfg.h"
#include "exporter/collectors/collector.h"
#include "exporter/exporter.h"
#include "exporter/scrape.h"
#include "metrics/budget.h"
#include "metrics/dbuf.h"
#include "metrics/recent.h"
#include "tests/unit/feed.h"

#define T0 1700000000000 /* ms */
#define CURL "comm=\"curl\" exe=\"/usr/bin/curl\""
#define PY "comm=\"python3\" exe=\"/usr/bin/python3.11\""
#define L_CURL "audit_connect_recent_total{comm=\"curl\",exe=\"/usr/bin/curl\","
#define L_PY                                                                   \
	"audit_connect_recent_total{comm=\"python3\",exe=\"/usr/bin/"          \
	"python3.11\","

static struct exporter x;
static unsigned serial;

/* An exporter replaying text, with one or two more flags. */
static void start(const char *flag, const char *flag2)
{
	char *argv[] = { (char *)"audit_exporter",
			 (char *)"--web.disable-exporter-metrics", (char *)flag,
			 (char *)flag2 };
	struct agg_config ac = { .sketch_key = { 1, 2 },
				 .table_key = { 3, 4 },
				 .bind_slots = 64,
				 .replay = true };

	serial = 0;
	memset(&x, 0, sizeof(x));
	exporter_lock_init(&x);
	x.replay = true;
	assert_int_equal(cfg_parse(&x.cfg,
				   flag2  ? 4
				   : flag ? 3
					  : 2,
				   argv, stderr, stderr),
			 0);
	feed_start(&x, &ac);
}

/* The saddr= hex of an IPv4 address a.b.c.d and port. */
static void sa4(char *buf, unsigned a, unsigned b, unsigned c, unsigned d,
		unsigned port)
{
	sprintf(buf, "0200%04X%02X%02X%02X%02X0000000000000000", port, a, b, c,
		d);
}

/* One connect() at t_ms by who (the comm= and exe= fields as the record
 * writes them) with uid and auid, to saddr (hex), exit code ex. */
static void conn_exit(int64_t t_ms, const char *who, unsigned uid,
		      unsigned auid, const char *saddr, int ex)
{
	char text[2048];
	long long s = (long long)(t_ms / 1000), ms = (long long)(t_ms % 1000);

	serial++;
	snprintf(text, sizeof(text),
		 "type=SYSCALL msg=audit(%lld.%03lld:%u): arch=c000003e "
		 "syscall=42 success=%s exit=%d a0=3 a1=7ffd a2=10 a3=0 "
		 "items=0 ppid=1 pid=4242 auid=%u uid=%u gid=0 euid=%u %s "
		 "key=\"net\"\n"
		 "type=SOCKADDR msg=audit(%lld.%03lld:%u): saddr=%s\n"
		 "type=EOE msg=audit(%lld.%03lld:%u): \n",
		 s, ms, serial, ex ? "no" : "yes", ex, auid, uid, uid, who, s,
		 ms, serial, saddr, s, ms, serial);
	feed_text(x.agg, x.asm, text);
	x.src.last_event_ms = agg_clock(x.agg); /* as source_record does */
}

static void conn(int64_t t_ms, const char *who, unsigned uid, unsigned auid,
		 const char *saddr)
{
	conn_exit(t_ms, who, uid, auid, saddr, 0);
}

static void render_fmt(enum expo_format fmt, struct dbuf *out)
{
	feed_render(&x, fmt, out);
}

static bool has(const struct dbuf *out, const char *line)
{
	char want[2048];

	assert_true(strlen(line) + 3 <= sizeof(want));
	want[0] = '\n';
	strcpy(want + 1, line);
	strcat(want, "\n");
	return strstr(out->p, want) != NULL;
}

static unsigned occurrences(const struct dbuf *out, const char *s)
{
	unsigned n = 0;

	for (const char *p = out->p; (p = strstr(p, s)); p += strlen(s))
		n++;
	return n;
}

/* Two processes, five destinations: one line per (process, destination),
 * counted exactly; a refused attempt counts, a unix connect does not. */
static void test_two_processes(void **state)
{
#define TAIL "protocol=\"unknown\",scope=\"loopback\","
	static const char *const want[] = {
		L_CURL "uid=\"1001\",auid=\"1001\"," TAIL "destination=\"127."
		       "200.0.7\",port="
		       "\"22\"} 2",
		L_CURL "uid=\"1001\",auid=\"1001\"," TAIL "destination=\"127.0."
		       "0.1\",port=\"80\"} "
		       "1",
		L_PY "uid=\"0\",auid=\"1001\"," TAIL "destination=\"127.200.0."
		     "7\",port=\"22\"} 1",
		L_PY "uid=\"0\",auid=\"1001\"," TAIL "destination=\"127.0.0."
		     "1\",port=\"9\"} 1",
		L_PY "uid=\"0\",auid=\"1001\"," TAIL "destination=\"::1\",port="
		     "\"443\"} 1",
	};
#undef TAIL
	char a[64], b[64], c[64];
	struct dbuf out;

	(void)state;
	start(NULL, NULL);
	sa4(a, 127, 200, 0, 7, 22);
	sa4(b, 127, 0, 0, 1, 80);
	sa4(c, 127, 0, 0, 1, 9); /* refused */
	conn(T0, CURL, 1001, 1001, a);
	conn(T0 + 1, CURL, 1001, 1001, b);
	conn(T0 + 2, CURL, 1001, 1001, a);
	conn(T0 + 3, PY, 0, 1001, a);
	conn_exit(T0 + 4, PY, 0, 1001, c, -111);
	/* ::1 port 443 */
	conn(T0 + 5, PY, 0, 1001,
	     "0A0001BB000000000000000000000000000000000000000100000000");
	/* unix /run/x: no destination of this view */
	conn(T0 + 6, PY, 0, 1001, "01002F72756E2F7800");
	render_fmt(EXPO_TEXT, &out);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_true(has(&out, want[i]));
	assert_int_equal(occurrences(&out, "\naudit_connect_recent_total{"), 5);
	assert_true(has(&out, "audit_connect_recent_entries 5"));
	assert_true(has(&out, "audit_connect_recent_max_entries 2000"));
	assert_true(has(&out, "audit_connect_recent_evicted_total 0"));
	assert_true(has(&out, "audit_exporter_scrape_collector_success{"
			      "collector=\"destinations\"} 1"));
	dbuf_free(&out);
	feed_stop(&x);
}

/* A scanner of 3,000 destinations against the default 2,000: the 2,000
 * most recent are held, the 1,000 first were evicted and are counted. */
static void test_scanner(void **state)
{
	char sa[64], line[256];
	struct dbuf out;
	unsigned lines = 0;

	(void)state;
	start(NULL, NULL);
	for (unsigned i = 0; i < 3000; i++) {
		sa4(sa, 127, 100, i / 256, i % 256, 22);
		conn(T0 + i, "comm=\"nmap\" exe=\"/usr/bin/nmap\"", 1000, 1000,
		     sa);
	}
	render_fmt(EXPO_TEXT, &out);
	assert_true(has(&out, "audit_connect_recent_entries 2000"));
	assert_true(has(&out, "audit_connect_recent_evicted_total 1000"));
	for (unsigned i = 0; i < 3000; i++) {
		snprintf(line, sizeof(line),
			 "destination=\"127.100.%u.%u\",port=\"22\"} 1\n",
			 i / 256, i % 256);
		if (strstr(out.p, line)) {
			assert_true(i >= 1000);
			lines++;
		} else {
			assert_true(i < 1000);
		}
	}
	assert_int_equal(lines, 2000);
	assert_int_equal(occurrences(&out, "\naudit_connect_recent_total{"),
			 2000);
	dbuf_free(&out);
	feed_stop(&x);
}

/* An entry unseen for the horizon leaves at the collector's tick; one
 * seen inside it stays; a tuple that comes back starts again from 1. */
static void test_expiry(void **state)
{
	char a[64], b[64];
	struct dbuf out;

	(void)state;
	start("--collector.destinations.horizon=10m", NULL);
	sa4(a, 127, 0, 0, 2, 22);
	sa4(b, 127, 0, 0, 3, 22);
	conn(T0, CURL, 1001, 1001, a);
	conn(T0 + 1000, CURL, 1001, 1001, a);
	conn(T0 + 300000, CURL, 1001, 1001, b);
	/* a was last seen at T0 + 1s: gone at T0 + 10m + 1s, not before */
	agg_tick(x.agg, T0 + 600999);
	render_fmt(EXPO_TEXT, &out);
	assert_true(has(&out, "audit_connect_recent_entries 2"));
	dbuf_free(&out);
	agg_tick(x.agg, T0 + 601000);
	x.src.last_event_ms = T0 + 601000;
	render_fmt(EXPO_TEXT, &out);
	assert_true(has(&out, "audit_connect_recent_entries 1"));
	assert_null(strstr(out.p, "destination=\"127.0.0.2\""));
	assert_non_null(strstr(out.p, "destination=\"127.0.0.3\",port=\"22\"} "
				      "1\n"));
	assert_true(has(&out, "audit_connect_recent_evicted_total 0"));
	dbuf_free(&out);
	conn(T0 + 602000, CURL, 1001, 1001, a);
	render_fmt(EXPO_TEXT, &out);
	assert_non_null(strstr(out.p, "destination=\"127.0.0.2\",port=\"22\"} "
				      "1\n"));
	dbuf_free(&out);
	feed_stop(&x);
}

/* A process that renames itself (prctl) to sshd keeps its exe: the view
 * tells the renamed python from the real sshd. */
static void test_exe_kept(void **state)
{
	char a[64];
	struct dbuf out;

	(void)state;
	start(NULL, NULL);
	sa4(a, 127, 200, 0, 7, 22);
	conn(T0, PY, 1001, 1001, a);
	conn(T0 + 1, "comm=\"sshd\" exe=\"/usr/bin/python3.11\"", 1001, 1001,
	     a);
	conn(T0 + 2, "comm=\"sshd\" exe=\"/usr/sbin/sshd\"", 0, 0, a);
	render_fmt(EXPO_TEXT, &out);
	assert_true(has(&out, "audit_connect_recent_total{comm=\"sshd\",exe="
			      "\"/usr/bin/python3.11\",uid=\"1001\",auid="
			      "\"1001\",protocol=\"unknown\",scope="
			      "\"loopback\",destination=\"127.200.0.7\","
			      "port=\"22\"} 1"));
	assert_true(has(&out, "audit_connect_recent_total{comm=\"sshd\",exe="
			      "\"/usr/sbin/sshd\",uid=\"0\",auid=\"0\","
			      "protocol=\"unknown\",scope=\"loopback\","
			      "destination=\"127.200.0.7\",port=\"22\"} 1"));
	assert_true(has(&out, "audit_connect_recent_entries 3"));
	dbuf_free(&out);
	feed_stop(&x);
}

/* Hostile names: a comm with a quote, a brace, a newline and invalid
 * UTF-8 (hex-encoded by the kernel), a 300-byte exe. Escaped and cut, in
 * both formats, one HELP and TYPE each; nothing injected. */
static void test_hostile_names(void **state)
{
	char a[64], who[1024], exe[301];
	char want[1024];
	struct dbuf out;

	(void)state;
	memset(exe, 'e', 300);
	exe[0] = '/';
	exe[300] = 0;
	/* comm: ev"il} 1\nx then 0xff */
	snprintf(who, sizeof(who), "comm=657622696C7D20310A78FF exe=\"%s\"",
		 exe);
	start(NULL, NULL);
	sa4(a, 127, 0, 0, 1, 22);
	conn(T0, who, 1001, 1001, a);
	/* a 256-byte comm (a replay may say anything): cut to 64 bytes */
	memset(want, 'c', 256);
	want[256] = 0;
	snprintf(who, sizeof(who), "comm=\"%.256s\" exe=\"/x\"", want);
	sa4(a, 127, 0, 0, 2, 22);
	conn(T0 + 1, who, 1001, 1001, a);
	for (int fmt = 0; fmt < 2; fmt++) {
		const char *name = fmt ? "audit_connect_recent"
				       : "audit_connect_recent_total";

		render_fmt(fmt ? EXPO_OPENMETRICS : EXPO_TEXT, &out);
		/* the exe is cut to the 256 bytes a label keeps */
		snprintf(want, sizeof(want),
			 "audit_connect_recent_total{comm=\"ev\\\"il} "
			 "1\\nx\xEF\xBF\xBD\",exe=\"%.256s\",uid=\"1001\","
			 "auid=\"1001\",protocol=\"unknown\",scope="
			 "\"loopback\",destination=\"127.0.0.1\",port=\"22\"} "
			 "1",
			 exe);
		assert_true(has(&out, want));
		assert_null(strstr(out.p, exe)); /* not the whole 300 */
		snprintf(want, sizeof(want),
			 "{comm=\"%.64s\",exe=\"/x\",uid=\"1001\",auid="
			 "\"1001\",protocol=\"unknown\",scope=\"loopback\","
			 "destination=\"127.0.0.2\",port=\"22\"} 1\n",
			 "ccccccccccccccccccccccccccccccccccccccccccccccccccccc"
			 "ccc"
			 "cccccccc");
		assert_non_null(strstr(out.p, want));
		assert_int_equal(occurrences(&out, "\naudit_connect_recent_"
						   "total{"),
				 2);
		snprintf(want, sizeof(want), "# HELP %s ", name);
		assert_int_equal(occurrences(&out, want), 1);
		snprintf(want, sizeof(want), "# TYPE %s counter\n", name);
		assert_int_equal(occurrences(&out, want), 1);
		assert_int_equal(occurrences(&out, "# TYPE "
						   "audit_connect_recent_"
						   "entries gauge\n"),
				 1);
		if (fmt)
			assert_non_null(strstr(out.p, "\n# EOF\n"));
		dbuf_free(&out);
	}
	feed_stop(&x);
}

/* The table is taken from the budget at start, as large as the flag
 * says; --no-collector.destinations takes nothing and writes nothing. */
static void test_budget_and_off(void **state)
{
	char a[64];
	size_t off, on, small, tables_off;
	struct dbuf out;

	(void)state;
	start("--no-collector.destinations", NULL);
	off = budget_reserve(x.budget);
	tables_off = budget_used(x.budget, BUDGET_TABLES);
	assert_null(agg_coll_state(x.agg, (unsigned)coll_find("destinations")));
	sa4(a, 127, 0, 0, 1, 22);
	conn(T0, CURL, 1001, 1001, a);
	render_fmt(EXPO_TEXT, &out);
	assert_null(strstr(out.p, "audit_connect_recent"));
	assert_null(strstr(out.p, "collector=\"destinations\""));
	dbuf_free(&out);
	feed_stop(&x);

	start(NULL, NULL);
	on = budget_reserve(x.budget);
	/* a fixed table: reserved and charged at once */
	assert_true(budget_used(x.budget, BUDGET_TABLES) - tables_off ==
		    recent_bytes_for(2000));
	feed_stop(&x);
	assert_true(on - off == recent_bytes_for(2000));

	start("--collector.destinations.max=3", NULL);
	small = budget_reserve(x.budget);
	assert_true(small - off == recent_bytes_for(3));
	for (unsigned i = 0; i < 5; i++) {
		sa4(a, 127, 0, 0, 10 + i, 22);
		conn(T0 + i, CURL, 1001, 1001, a);
	}
	render_fmt(EXPO_TEXT, &out);
	assert_true(has(&out, "audit_connect_recent_max_entries 3"));
	assert_true(has(&out, "audit_connect_recent_entries 3"));
	assert_true(has(&out, "audit_connect_recent_evicted_total 2"));
	dbuf_free(&out);
	feed_stop(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_processes),
		cmocka_unit_test(test_scanner),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_exe_kept),
		cmocka_unit_test(test_hostile_names),
		cmocka_unit_test(test_budget_and_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
