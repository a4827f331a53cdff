/* Unit tests for exporter/source: text input cut into lines, and the line
 * bound (a line longer than 256 KiB is skipped and counted once, however
 * the reads happen to cut the input). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "exporter/exporter.h"
#include "exporter/source.h"

#define KIB 1024
#define LINE_MAX_BYTES (256 * KIB) /* the documented bound */
#define READ_BYTES (1024 * KIB) /* what one read of a file takes */

struct run {
	uint64_t records; /* audit_records_total, all types */
	uint64_t too_long; /* parse_errors_total{reason="line_too_long"} */
	uint64_t syscalls; /* audit_syscall_events_total, all series */
	struct asm_stats asm;
};

/* Appends a CONFIG_CHANGE record line of exactly len bytes and a newline. */
static size_t put_record(char *p, size_t len)
{
	static const char head[] = "type=CONFIG_CHANGE "
				   "msg=audit(1795260117.655:1): op=x";
	size_t n = sizeof(head) - 1;

	assert_true(len > n);
	memcpy(p, head, n);
	memset(p + n, 'a', len - n);
	p[len] = '\n';
	return len + 1;
}

/* Replays text through the file source and reads back the counts. */
static struct run replay(const char *text, size_t len)
{
	char path[] = "/tmp/ae-test-source.XXXXXX";
	struct agg_config ac = { .series_cap = 100,
				 .nwindows = 1,
				 .windows_ms = { 3600000 },
				 .host_p = 12,
				 .proc_p = 12,
				 .bind_slots = 8 };
	struct exporter *x = calloc(1, sizeof(*x));
	struct fam_rows rows = { 0 };
	struct source *src;
	struct run r = { 0 };
	char err[256];
	int fd = mkstemp(path), rc;

	assert_non_null(x);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	exporter_lock_init(x);
	x->cfg.source = CFG_FILE;
	x->cfg.audit_file = path;
	x->agg = agg_new(&ac);
	x->asm = asm_new(NULL, agg_event, x->agg);
	assert_non_null(x->asm);
	src = source_open(x, err, sizeof(err));
	assert_non_null(src);
	while ((rc = source_read(src)) > 0)
		;
	assert_int_equal(rc, 0);
	source_close(src);
	unlink(path);
	assert_int_equal(
		fam_rows(agg_fam_named(x->agg, "audit_records"), &rows), 0);
	for (size_t i = 0; i < rows.n; i++)
		r.records += rows.row[i].count;
	r.too_long = agg_errors(x->agg, AGG_E_LINE_TOO_LONG);
	fam_rows_free(&rows);
	assert_int_equal(fam_rows(agg_fam_named(x->agg, "audit_syscall_events"),
				  &rows),
			 0);
	for (size_t i = 0; i < rows.n; i++)
		r.syscalls += rows.row[i].count;
	fam_rows_free(&rows);
	r.asm = asm_stats(x->asm);
	asm_free(x->asm);
	agg_free(x->agg);
	exporter_lock_destroy(x);
	free(x);
	return r;
}

/* Lines that arrive whole in one read: exactly 256 KiB is kept, one byte
 * more is too long (it was parsed as a record before: whether a line was
 * too long depended on where the reads cut the input). */
static void test_bound_in_one_read(void **state)
{
	char *text = malloc(3 * LINE_MAX_BYTES);
	size_t n = 0;
	struct run r;

	(void)state;
	assert_non_null(text);
	n += put_record(text + n, LINE_MAX_BYTES);
	n += put_record(text + n, LINE_MAX_BYTES + 1);
	n += put_record(text + n, 100);
	assert_true(n < READ_BYTES);
	r = replay(text, n);
	assert_int_equal(r.records, 2);
	assert_int_equal(r.too_long, 1);
	free(text);
}

/* A line of exactly 256 KiB whose newline comes with the next read is
 * kept (it was counted as too long); a 2.75 MiB line over several reads
 * counts once. */
static void test_bound_across_reads(void **state)
{
	size_t skip = 3 * READ_BYTES - LINE_MAX_BYTES - 1;
	char *text = malloc(skip + 2 * LINE_MAX_BYTES);
	size_t n = 0;
	struct run r;

	(void)state;
	assert_non_null(text);
	memset(text, 'A', skip);
	text[skip] = '\n';
	n = skip + 1;
	/* ends exactly where the third read ends, without its newline */
	n += put_record(text + n, LINE_MAX_BYTES);
	assert_int_equal(n, 3 * READ_BYTES + 1);
	n += put_record(text + n, 100);
	r = replay(text, n);
	assert_int_equal(r.records, 2);
	assert_int_equal(r.too_long, 1);
	free(text);
}

/* A last line without a newline still counts; blank and CR-only lines
 * are nothing. */
static void test_last_line_and_blanks(void **state)
{
	static const char text[] = "\n\r\n"
				   "type=EOE msg=audit(1.000:1): \r\n"
				   "garbage\n"
				   "type=CONFIG_CHANGE msg=audit(1.000:2): "
				   "op=x";
	struct run r;

	(void)state;
	r = replay(text, sizeof(text) - 1);
	assert_int_equal(r.records, 2);
	assert_int_equal(r.too_long, 0);
}

/* Replays text and compares what assembly made of it with want. */
static void assert_events(const char *text, struct run want)
{
	struct run r = replay(text, strlen(text));

	assert_int_equal(r.records, want.records);
	assert_int_equal(r.syscalls, want.syscalls);
	assert_int_equal(r.asm.events, want.asm.events);
	assert_int_equal(r.asm.timed_out, want.asm.timed_out);
	assert_int_equal(r.asm.serial_resets, want.asm.serial_resets);
	assert_int_equal(r.asm.serials_late, want.asm.serials_late);
	assert_int_equal(r.asm.serials_missing, want.asm.serials_missing);
}

/* An old kernel's log (no EOE) across a reboot: boot 2 reuses boot 1's
 * serials twelve hours later on the event clock. Boot 1's events must have
 * timed out on that clock by then, although the whole log comes in one
 * read: the timeout ran only between 1 MiB reads, so boot 2's SYSCALL
 * records joined boot 1's still-open events and were dropped. */
static void test_timeout_on_the_log_clock(void **state)
{
	static const char text[] =
		"type=SYSCALL msg=audit(1136000000.100:50): syscall=2 "
		"success=yes exit=3\n"
		"type=PATH msg=audit(1136000000.100:50): item=0 name=\"/a\"\n"
		"type=SYSCALL msg=audit(1136000000.200:51): syscall=2 "
		"success=yes exit=3\n"
		"type=SYSCALL msg=audit(1136000001.300:52): syscall=4 "
		"success=yes exit=0\n"
		/* reboot: boot 2 starts at 51, 12 hours later */
		"type=SYSCALL msg=audit(1136043200.000:51): syscall=2 "
		"success=yes exit=3\n"
		"type=PATH msg=audit(1136043200.000:51): item=0 name=\"/b\"\n"
		"type=SYSCALL msg=audit(1136043200.500:52): syscall=4 "
		"success=yes exit=0\n"
		"type=SYSCALL msg=audit(1136043201.000:53): syscall=4 "
		"success=yes exit=0\n";

	(void)state;
	assert_events(text, (struct run){ .records = 8,
					  .syscalls = 6,
					  .asm = { .events = 6,
						   .timed_out = 6,
						   .serial_resets = 1 } });
}

/* The timeout runs on the log's clock record by record, not between reads:
 * a record that comes 3 s of log time after its event began (timeout 2 s)
 * finds the event gone, whether or not a read ends in between (it joined
 * the event when the log came in one read, and not when it came in two). */
static void test_timeout_between_records(void **state)
{
	static const char text[] =
		"type=SYSCALL msg=audit(1136000000.000:50): syscall=2 "
		"success=yes exit=3\n"
		"type=SYSCALL msg=audit(1136000001.000:51): syscall=4 "
		"success=yes exit=0\n"
		"type=SYSCALL msg=audit(1136000003.000:52): syscall=4 "
		"success=yes exit=0\n"
		"type=PATH msg=audit(1136000000.000:50): item=0 name=\"/a\"\n";

	(void)state;
	/* events: 50, 51, 52, and 50's PATH on its own */
	assert_events(text,
		      (struct run){ .records = 4,
				    .syscalls = 3,
				    .asm = { .events = 4, .timed_out = 4 } });
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bound_in_one_read),
		cmocka_unit_test(test_bound_across_reads),
		cmocka_unit_test(test_last_line_and_blanks),
		cmocka_unit_test(test_timeout_on_the_log_clock),
		cmocka_unit_test(test_timeout_between_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
