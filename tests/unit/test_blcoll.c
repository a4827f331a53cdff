/*
 * Unit tests for exporter/collectors/baseline: the first-seen counters
 * through the dispatcher and the scrape, as a replay feeds them (the
 * events' own clock), with the store in a temporary file.
 *
 * Each test knows its answer from the events it feeds: an item seen while
 * learning is never new, an unseen one after learning is new once, and a
 * restart on the same file keeps what was learnt and when learning ends.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "exporter/agg.h"
#include "exporter/cfg.h"
#include "exporter/collectors/collector.h"
#include "exporter/exporter.h"
#include "exporter/scrape.h"
#include "metrics/budget.h"
#include "metrics/dbuf.h"
#include "tests/unit/feed.h"

static struct exporter x;
static char dir[64], file[128], fileflag[160];
static unsigned serial;

/* An exporter (a replay) with the baseline in path ("" in memory) and the
 * given learning period. */
static void start(const char *path, const char *period)
{
	char pflag[64];
	char *argv[] = { (char *)"audit_exporter",
			 (char *)"--web.disable-exporter-metrics", fileflag,
			 pflag, (char *)"--baseline.save-interval=1m" };
	struct agg_config ac = { .sketch_key = { 1, 2 },
				 .table_key = { 3, 4 },
				 .bind_slots = 64,
				 .replay = true };

	snprintf(fileflag, sizeof(fileflag), "--baseline.file=%s", path);
	snprintf(pflag, sizeof(pflag), "--baseline.learning-period=%s", period);
	memset(&x, 0, sizeof(x));
	exporter_lock_init(&x);
	x.replay = true;
	assert_int_equal(cfg_parse(&x.cfg, 5, argv, stderr, stderr), 0);
	ac.baseline_file = x.cfg.baseline_file;
	ac.baseline_learning_ms = x.cfg.baseline_learning_ms;
	ac.baseline_save_ms = x.cfg.baseline_save_ms;
	ac.baseline_max = x.cfg.baseline_max;
	feed_start(&x, &ac);
}

/* agg_free runs the collector's fini: the exit-path save. */
static void stop(void)
{
	feed_stop(&x);
}

static void feed(const char *text)
{
	feed_text(x.agg, x.asm, text);
}

/* An execve of exe by uid (auid 1000) at second t. */
static void exec_at(unsigned t, const char *exe, unsigned uid)
{
	char text[1024];

	serial++;
	snprintf(text, sizeof(text),
		 "type=SYSCALL msg=audit(%u.000:%u): arch=c000003e "
		 "syscall=59 success=yes exit=0 a0=0 a1=0 a2=0 a3=0 items=0 "
		 "ppid=1 pid=%u auid=1000 uid=%u gid=0 comm=\"x\" "
		 "exe=\"%s\"\n"
		 "type=EOE msg=audit(%u.000:%u): \n",
		 t, serial, 100 + serial, uid, exe, t, serial);
	feed(text);
}

/* A refused connect of /usr/bin/nc to 127.0.0.1:port at second t. */
static void connect_at(unsigned t, unsigned port)
{
	char text[1024];

	serial++;
	snprintf(text, sizeof(text),
		 "type=SYSCALL msg=audit(%u.000:%u): arch=c000003e "
		 "syscall=42 success=no exit=-111 a0=3 a1=0 a2=10 a3=0 "
		 "items=0 ppid=1 pid=77 auid=1000 uid=1000 gid=0 comm=\"nc\" "
		 "exe=\"/usr/bin/nc\"\n"
		 "type=SOCKADDR msg=audit(%u.000:%u): "
		 "saddr=0200%04X7F0000010000000000000000\n"
		 "type=EOE msg=audit(%u.000:%u): \n",
		 t, serial, t, serial, port, t, serial);
	feed(text);
}

/* A successful listen() of /usr/bin/ncat on fd 3 at second t. */
static void listen_at(unsigned t, const char *exe)
{
	char text[1024];

	serial++;
	snprintf(text, sizeof(text),
		 "type=SYSCALL msg=audit(%u.000:%u): arch=c000003e "
		 "syscall=50 success=yes exit=0 a0=3 a1=10 a2=0 a3=0 items=0 "
		 "ppid=1 pid=88 auid=1000 uid=1000 gid=0 comm=\"ncat\" "
		 "exe=\"%s\"\n"
		 "type=EOE msg=audit(%u.000:%u): \n",
		 t, serial, exe, t, serial);
	feed(text);
}

static void render(struct dbuf *out)
{
	render_text(&x, out);
}

/* The value of the sample line starting with prefix (-1: absent). */
static double value(const struct dbuf *out, const char *prefix)
{
	char want[512];
	const char *p;

	snprintf(want, sizeof(want), "\n%s ", prefix);
	p = strstr(out->p, want);
	return p ? strtod(p + strlen(want), NULL) : -1;
}

static double scrape_value(const char *prefix)
{
	struct dbuf out;
	double v;

	render(&out);
	v = value(&out, prefix);
	dbuf_free(&out);
	return v;
}

#define EXEC_NEW(exe, uid)                                                     \
	"audit_execve_new_total{exe=\"" exe "\",uid=\"" uid "\",auid="         \
	"\"1000\"}"
#define NC_NEW                                                                 \
	"audit_connect_new_destinations_total{comm=\"nc\",exe=\"/usr/bin/"     \
	"nc\",uid=\"1000\",auid=\"1000\"}"

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/ae-blcoll.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/baseline", dir);
	return 0;
}

static int teardown(void **state)
{
	char tmp[160];

	(void)state;
	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	unlink(file);
	unlink(tmp);
	rmdir(dir);
	return 0;
}

/* While learning nothing is new; after it, an unseen item is new once and
 * a learnt one never. */
static void test_learning(void **state)
{
	(void)state;
	start("", "1h");
	exec_at(1000, "/bin/sh", 0);
	connect_at(1000, 22);
	listen_at(1000, "/usr/sbin/sshd");
	exec_at(4599, "/bin/ls", 0); /* 1 s before the end: learnt */
	agg_tick(x.agg, 4599000);
	assert_true(scrape_value("audit_exporter_baseline_learning") == 1);
	assert_true(scrape_value("audit_exporter_baseline_learning_end_"
				 "timestamp_seconds") == 4600);
	assert_true(scrape_value("audit_exporter_baseline_items{kind="
				 "\"execve\"}") == 2);
	assert_true(scrape_value(EXEC_NEW("/bin/sh", "0")) == -1);
	assert_true(scrape_value("audit_exporter_baseline_persistent") == 0);

	/* after learning: the learnt items are not new, the others are */
	exec_at(4600, "/bin/sh", 0);
	exec_at(4600, "/bin/ls", 0);
	connect_at(4600, 22);
	listen_at(4600, "/usr/sbin/sshd");
	assert_true(scrape_value("audit_exporter_baseline_learning") == 0);
	assert_true(scrape_value(EXEC_NEW("/bin/sh", "0")) == -1);
	assert_true(scrape_value(EXEC_NEW("/bin/ls", "0")) == -1);
	assert_true(scrape_value(NC_NEW) == -1);

	exec_at(4700, "/tmp/.x", 0);
	exec_at(4701, "/tmp/.x", 0); /* again: learnt by the first */
	exec_at(4702, "/bin/sh", 33); /* known program, new for uid 33 */
	for (unsigned p = 1000; p < 1060; p++)
		connect_at(4800, p);
	connect_at(4801, 1000); /* reached already */
	listen_at(4900, "/usr/bin/ncat");
	listen_at(4901, "/usr/bin/ncat");
	assert_true(scrape_value(EXEC_NEW("/tmp/.x", "0")) == 1);
	assert_true(scrape_value(EXEC_NEW("/bin/sh", "33")) == 1);
	assert_true(scrape_value(NC_NEW) == 60);
	assert_true(scrape_value("audit_listen_new_total{comm=\"ncat\",exe="
				 "\"/usr/bin/ncat\",uid=\"1000\",auid="
				 "\"1000\",protocol=\"tcp\",address="
				 "\"unknown\",port=\"unknown\"}") == 1);
	assert_true(scrape_value("audit_listen_new_total{comm=\"ncat\",exe="
				 "\"/usr/sbin/sshd\",uid=\"1000\",auid="
				 "\"1000\",protocol=\"tcp\",address="
				 "\"unknown\",port=\"unknown\"}") == -1);
	assert_true(scrape_value("audit_exporter_baseline_items{kind="
				 "\"destination\"}") == 61);
	stop();
}

/* A restart on the same file keeps the items and the end of learning:
 * what the first run learnt is not new after, and the second run does not
 * learn anew for a period of its own. */
static void test_restart(void **state)
{
	(void)state;
	start(file, "1h");
	exec_at(1000, "/bin/sh", 0);
	connect_at(1000, 22);
	agg_tick(x.agg, 1000000); /* the first tick saves */
	stop(); /* and the exit path saves */
	assert_int_equal(access(file, R_OK), 0);

	start(file, "1h");
	assert_true(scrape_value("audit_exporter_baseline_items{kind="
				 "\"execve\"}") == 1);
	assert_true(scrape_value("audit_exporter_baseline_learning_end_"
				 "timestamp_seconds") == 4600);
	exec_at(2000, "/bin/ls", 0); /* still learning (of the first run) */
	stop();

	/* the end of learning is the first run's creation + the period */
	start(file, "1h");
	exec_at(4600, "/bin/sh", 0);
	exec_at(4600, "/bin/ls", 0);
	connect_at(4600, 22);
	exec_at(4600, "/bin/new", 0);
	assert_true(scrape_value("audit_exporter_baseline_learning") == 0);
	assert_true(scrape_value(EXEC_NEW("/bin/sh", "0")) == -1);
	assert_true(scrape_value(EXEC_NEW("/bin/ls", "0")) == -1);
	assert_true(scrape_value(NC_NEW) == -1);
	assert_true(scrape_value(EXEC_NEW("/bin/new", "0")) == 1);
	assert_true(scrape_value("audit_exporter_baseline_persistent") == 1);
	stop();

	/* learning over is kept too: a longer period given now does not
	 * bring it back, and a new item is new at once */
	start(file, "24h");
	exec_at(4601, "/bin/newer", 0);
	assert_true(scrape_value(EXEC_NEW("/bin/newer", "0")) == 1);
	assert_true(scrape_value(EXEC_NEW("/bin/new", "0")) == -1);
	stop();
}

/* A file that cannot be written: warned, persistent 0, and the baseline
 * still learns and counts in memory. */
static void test_unwritable(void **state)
{
	char bad[160];

	(void)state;
	snprintf(bad, sizeof(bad), "%s/missing/baseline", dir);
	start(bad, "0");
	exec_at(1000, "/bin/sh", 0);
	agg_tick(x.agg, 1000000);
	/* the writer thread reports; a scrape sees it once it has */
	for (int i = 0; i < 1000; i++) {
		if (scrape_value("audit_exporter_baseline_persistent") == 0)
			break;
		usleep(1000);
	}
	assert_true(scrape_value("audit_exporter_baseline_persistent") == 0);
	assert_true(scrape_value(EXEC_NEW("/bin/sh", "0")) == 1);
	stop();
	assert_int_not_equal(access(bad, F_OK), 0);
}

/* A corrupt file is refused: the baseline starts afresh (learning), and
 * the next save replaces the file. */
static void test_corrupt(void **state)
{
	FILE *f;

	(void)state;
	f = fopen(file, "w");
	assert_non_null(f);
	fputs("AEBASELN and then nothing that checks out", f);
	fclose(f);
	start(file, "1h");
	exec_at(1000, "/bin/sh", 0);
	assert_true(scrape_value("audit_exporter_baseline_learning") == 1);
	assert_true(scrape_value("audit_exporter_baseline_items{kind="
				 "\"execve\"}") == 1);
	stop();
	start(file, "1h");
	assert_true(scrape_value("audit_exporter_baseline_items{kind="
				 "\"execve\"}") == 1);
	stop();
}

/* A file that cannot be read (a symlink: the load does not follow it) is
 * left as it is and the baseline kept in memory; a refused one would have
 * been replaced (test_corrupt). */
static void test_unreadable(void **state)
{
	char target[160], buf[8];
	ssize_t n;

	(void)state;
	snprintf(target, sizeof(target), "%s/target", dir);
	assert_int_equal(symlink(target, file), 0);
	start(file, "0");
	exec_at(1000, "/bin/sh", 0);
	agg_tick(x.agg, 1000000);
	assert_true(scrape_value("audit_exporter_baseline_persistent") == 0);
	assert_true(scrape_value(EXEC_NEW("/bin/sh", "0")) == 1);
	stop();
	n = readlink(file, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_not_equal(access(target, F_OK), 0);
	unlink(file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_learning, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unwritable, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
