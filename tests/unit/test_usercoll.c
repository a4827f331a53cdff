/*
 * Unit tests for exporter/collectors/users: audit_user_info through the
 * dispatcher and the scrape, with a fake resolver that knows uid 1001 as
 * alice, 1003 as carol, has no entry for 1002 and fails for 1004.
 *
 * Events are fed as audit.log text through the assembler and the
 * aggregator (as the reader does); the exposition is scrape_render's, so
 * the lookups go through the collector's write: pending under the lock,
 * looked up without it, resolved under it.
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
#include "tests/unit/feed.h"

#define ALICE "audit_user_info{uid=\"1001\",user=\"alice\"} 1"

static struct exporter x;
static unsigned asked[8]; /* lookups of uid 1000 + i */

static int fake(uint32_t uid, char *name, size_t cap, void *arg)
{
	const char *n = NULL;

	(void)arg;
	if (uid >= 1000 && uid < 1008)
		asked[uid - 1000]++;
	if (uid == 1001)
		n = "alice";
	else if (uid == 1003)
		n = "carol";
	else if (uid == 1004)
		return -EAGAIN;
	if (!n)
		return 0;
	if (strlen(n) > cap)
		return -ERANGE;
	memcpy(name, n, strlen(n));
	return (int)strlen(n);
}

/* An exporter with the users collector fed by fake; argv adds flags. */
static void start(bool replay, unsigned users_max, const char *flag)
{
	char *argv[] = { (char *)"audit_exporter",
			 (char *)"--web.disable-exporter-metrics",
			 (char *)flag };
	struct agg_config ac = { .sketch_key = { 1, 2 },
				 .table_key = { 3, 4 },
				 .bind_slots = 64,
				 .users_fn = fake,
				 .users_max = users_max,
				 .replay = replay };

	memset(&x, 0, sizeof(x));
	memset(asked, 0, sizeof(asked));
	exporter_lock_init(&x);
	x.replay = replay;
	assert_int_equal(cfg_parse(&x.cfg, flag ? 3 : 2, argv, stderr, stderr),
			 0);
	feed_start(&x, &ac);
}

static void stop(void)
{
	feed_stop(&x);
}

/* One execve event of uid and auid, serial s, with an optional ENRICHED
 * tail (from 0x1d on). */
static void event(unsigned s, unsigned uid, unsigned auid, const char *tail)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "type=SYSCALL msg=audit(100.000:%u): arch=c000003e "
		 "syscall=59 success=yes exit=0 a0=0 a1=0 a2=0 a3=0 items=0 "
		 "ppid=1 pid=%u auid=%u uid=%u gid=0 comm=\"sh\" "
		 "exe=\"/bin/sh\"%s\n"
		 "type=EOE msg=audit(100.000:%u): \n",
		 s, 100 + s, auid, uid, tail ? tail : "", s);
	feed_text(x.agg, x.asm, text);
}

/* The exposition in the text format, NUL-terminated in out. */
static void render(struct dbuf *out)
{
	render_text(&x, out);
}

static bool has(const struct dbuf *out, const char *line)
{
	char want[256];

	snprintf(want, sizeof(want), "\n%s\n", line);
	return strstr(out->p, want) != NULL;
}

/* Live: 1001 named alice, 1002 (no entry) and 4294967295 (unset auid) get
 * no line; each uid is asked once, a failing lookup again. */
static void test_live_names(void **state)
{
	struct dbuf out;

	(void)state;
	start(false, 0, NULL);
	event(1, 1001, 4294967295u, NULL);
	event(2, 1002, 1001, NULL);
	event(3, 1004, 1004, NULL);
	render(&out);
	assert_true(has(&out, ALICE));
	assert_null(strstr(out.p, "uid=\"1002\",user="));
	assert_null(strstr(out.p, "uid=\"4294967295\",user="));
	assert_null(strstr(out.p, "uid=\"1004\",user="));
	assert_true(has(&out, "audit_exporter_scrape_collector_success{"
			      "collector=\"users\"} 1"));
	dbuf_free(&out);
	render(&out);
	assert_true(has(&out, ALICE));
	dbuf_free(&out);
	assert_int_equal(asked[1], 1);
	assert_int_equal(asked[2], 1);
	assert_int_equal(asked[4], 2); /* failed: asked again */
	stop();
}

/* A replay: the log's ENRICHED names win, and this host's resolver is
 * never asked (1003, which it knows as carol, gets no line). */
static void test_replay_enriched(void **state)
{
	struct dbuf out;

	(void)state;
	start(true, 0, NULL);
	event(1, 1001, 1001,
	      "\x1d"
	      "ARCH=x86_64 SYSCALL=execve AUID=\"bob\" "
	      "UID=\"bob\" GID=\"root\"");
	event(2, 1003, 1003, NULL);
	render(&out);
	assert_true(has(&out, "audit_user_info{uid=\"1001\",user=\"bob\"} 1"));
	assert_null(strstr(out.p, "user=\"alice\""));
	assert_null(strstr(out.p, "uid=\"1003\",user="));
	dbuf_free(&out);
	for (int i = 0; i < 8; i++)
		assert_int_equal(asked[i], 0);
	stop();
}

/* The cap: a third uid is not held, and each of its sightings is counted
 * as skipped (users_full). */
static void test_cap(void **state)
{
	struct dbuf out;

	(void)state;
	start(false, 2, NULL);
	event(1, 1001, 1002, NULL);
	event(2, 1003, 1003, NULL); /* uid and auid: two refusals */
	render(&out);
	assert_true(has(&out, ALICE));
	assert_null(strstr(out.p, "user=\"carol\""));
	assert_true(has(&out, "audit_exporter_skipped_total{reason=\"users_"
			      "full\"} 2"));
	dbuf_free(&out);
	assert_int_equal(asked[3], 0);
	stop();
}

/* --no-collector.users: no state, no family, no lookup. */
static void test_off(void **state)
{
	struct dbuf out;

	(void)state;
	start(false, 0, "--no-collector.users");
	assert_null(agg_coll_state(x.agg, (unsigned)coll_find("users")));
	event(1, 1001, 1001, NULL);
	render(&out);
	assert_null(strstr(out.p, "audit_user_info"));
	assert_null(strstr(out.p, "collector=\"users\""));
	assert_true(has(&out, "audit_exporter_skipped_total{reason=\"users_"
			      "full\"} 0"));
	dbuf_free(&out);
	assert_int_equal(asked[1], 0);
	assert_int_equal(budget_reserve(x.budget) > 0, 1); /* others' */
	stop();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live_names),
		cmocka_unit_test(test_replay_enriched),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
