/*
 * test_baseline: the first-seen store. Learning and after, learning kept
 * across a save and load (start and items), the clock going backwards,
 * capacity (clock eviction: new items still reported once, recently seen
 * items kept, evictions counted, chains intact after many deletions),
 * refused files (missing, short, truncated, wrong size, flipped bytes,
 * another magic or version, another key, a directory) leaving the store
 * fresh, atomic writes (a leftover temp file, an unwritable path), the
 * item hash's field separation and the byte count.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "metrics/baseline.h"
#include "tests/unit/items.h"

static const struct hash_key key = { 0x0706050403020100ull,
				     0x0f0e0d0c0b0a0908ull };
static const struct hash_key other_key = { 1, 2 };

static char dir[64], path[128], tmp_path[160];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_baseline.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/baseline", dir);
	snprintf(tmp_path, sizeof(tmp_path), "%s.tmp", path);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	unlink(tmp_path);
	rmdir(dir);
	return 0;
}

static struct baseline *mk(uint32_t max, int64_t now, int64_t period)
{
	struct baseline *b = baseline_new(&key, max, now, period);

	assert_non_null(b);
	return b;
}

static void test_new_bounds(void **state)
{
	(void)state;
	errno = 0;
	assert_null(baseline_new(&key, 0, 0, 10));
	assert_int_equal(errno, EINVAL);
	assert_null(baseline_new(&key, BASELINE_MAX_ITEMS + 1, 0, 10));
	assert_null(baseline_new(&key, 10, 0, -1));
	assert_null(baseline_new(NULL, 10, 0, 10));
	baseline_free(NULL);
}

static void test_learning_then_new(void **state)
{
	struct baseline *b = mk(100, 1000, 100);

	(void)state;
	assert_int_equal(baseline_learning(b, 1000), 1);
	assert_int_equal(baseline_learning_end(b), 1100);
	/* learnt silently */
	assert_int_equal(baseline_test(b, BASELINE_LISTEN, 1, 1010), 0);
	assert_int_equal(baseline_test(b, BASELINE_LISTEN, 2, 1099), 0);
	assert_int_equal(baseline_items(b, BASELINE_LISTEN), 2);
	/* after: what was learnt is not new, the rest is new once */
	assert_int_equal(baseline_learning(b, 1100), 0);
	assert_int_equal(baseline_test(b, BASELINE_LISTEN, 1, 1100), 0);
	assert_int_equal(baseline_test(b, BASELINE_LISTEN, 2, 1200), 0);
	assert_int_equal(baseline_test(b, BASELINE_LISTEN, 3, 1200), 1);
	assert_int_equal(baseline_test(b, BASELINE_LISTEN, 3, 1201), 0);
	/* kinds are separate sets */
	assert_int_equal(baseline_test(b, BASELINE_DEST, 1, 1200), 1);
	assert_int_equal(baseline_test(b, BASELINE_EXEC, 1, 1200), 1);
	assert_int_equal(baseline_items(b, BASELINE_LISTEN), 3);
	assert_int_equal(baseline_items(b, BASELINE_DEST), 1);
	assert_int_equal(baseline_test(b, BASELINE_KINDS, 1, 1200), -EINVAL);
	/* a period of 0 never learns */
	baseline_free(b);
	b = mk(10, 1000, 0);
	assert_int_equal(baseline_test(b, BASELINE_EXEC, 9, 1000), 1);
	baseline_free(b);
}

static void test_restart_keeps_learning(void **state)
{
	struct baseline *a = mk(100, 1000, 100), *b;

	(void)state;
	assert_int_equal(baseline_test(a, BASELINE_DEST, 42, 1010), 0);
	assert_int_equal(baseline_save(a, path), 0);
	/* restarted at 1050 with the same period: learning still ends at
	 * 1100, not 1150, and 42 is known */
	b = mk(100, 1050, 100);
	assert_int_equal(baseline_load(b, path), 0);
	assert_int_equal(baseline_learning_end(b), 1100);
	assert_int_equal(baseline_items(b, BASELINE_DEST), 1);
	assert_int_equal(baseline_test(b, BASELINE_DEST, 43, 1090), 0);
	assert_int_equal(baseline_test(b, BASELINE_DEST, 42, 1120), 0);
	assert_int_equal(baseline_test(b, BASELINE_DEST, 43, 1120), 0);
	assert_int_equal(baseline_test(b, BASELINE_DEST, 44, 1120), 1);
	/* loading twice is refused: the store holds items */
	assert_int_equal(baseline_load(b, path), -EBUSY);
	/* learning over is kept too, whatever the new period says */
	assert_int_equal(baseline_save(b, path), 0);
	baseline_free(b);
	b = mk(100, 5000, 100000);
	assert_int_equal(baseline_load(b, path), 0);
	assert_int_equal(baseline_learning(b, 5000), 0);
	assert_int_equal(baseline_items(b, BASELINE_DEST), 3);
	assert_int_equal(baseline_test(b, BASELINE_DEST, 44, 5000), 0);
	assert_int_equal(baseline_test(b, BASELINE_DEST, 45, 5000), 1);
	baseline_free(b);
	baseline_free(a);
}

static void test_clock_backwards(void **state)
{
	struct baseline *b = mk(100, 1000, 100);

	(void)state;
	/* before creation while learning: learning lasts period from the
	 * earliest time seen, not until the clock catches up */
	assert_int_equal(baseline_test(b, BASELINE_EXEC, 1, 500), 0);
	assert_int_equal(baseline_learning_end(b), 600);
	assert_int_equal(baseline_learning(b, 599), 1);
	assert_int_equal(baseline_learning(b, 650), 0);
	/* once over, going back never learns again */
	assert_int_equal(baseline_learning(b, 10), 0);
	assert_int_equal(baseline_test(b, BASELINE_EXEC, 2, 10), 1);
	assert_int_equal(baseline_test(b, BASELINE_EXEC, 1, 10), 0);
	baseline_free(b);
	/* extreme times (a file may hold any) neither overflow nor wrap */
	b = mk(10, INT64_MIN, 100);
	assert_int_equal(baseline_learning(b, INT64_MAX), 0);
	baseline_free(b);
	b = mk(10, INT64_MAX - 5, 100);
	assert_int_equal(baseline_learning_end(b), INT64_MAX);
	assert_int_equal(baseline_learning(b, INT64_MAX), 1);
	assert_int_equal(baseline_learning(b, INT64_MIN), 1);
	assert_int_equal(baseline_learning(b, INT64_MIN + 100), 0);
	baseline_free(b);
}

static void test_capacity_clock(void **state)
{
	struct baseline *b = mk(100, 0, 0);
	int missing = 0;

	(void)state;
	for (uint64_t i = 0; i < 100; i++)
		assert_int_equal(baseline_test(b, BASELINE_DEST, item(1, i), 1),
				 1);
	assert_int_equal(baseline_evicted(b, BASELINE_DEST), 0);
	/* full: a new item is still new, learnt, and new only once */
	assert_int_equal(baseline_test(b, BASELINE_DEST, item(2, 0), 1), 1);
	assert_int_equal(baseline_test(b, BASELINE_DEST, item(2, 0), 1), 0);
	assert_int_equal(baseline_evicted(b, BASELINE_DEST), 1);
	assert_int_equal(baseline_items(b, BASELINE_DEST), 100);
	/* the turn cleared every ref bit; touch the first half again, then
	 * add 40 more: only untouched items may go */
	for (uint64_t i = 0; i < 50; i++)
		missing += baseline_test(b, BASELINE_DEST, item(1, i), 1);
	assert_in_range(missing, 0, 1); /* the one evicted, if it was here */
	for (uint64_t i = 1; i <= 40; i++)
		assert_int_equal(baseline_test(b, BASELINE_DEST, item(2, i), 1),
				 1);
	assert_int_equal(baseline_evicted(b, BASELINE_DEST), 41 + missing);
	for (uint64_t i = 0; i < 50; i++)
		assert_int_equal(baseline_test(b, BASELINE_DEST, item(1, i), 1),
				 0);
	assert_int_equal(baseline_items(b, BASELINE_DEST), 100);
	/* other kinds are untouched by this one's bound */
	assert_int_equal(baseline_items(b, BASELINE_LISTEN), 0);
	baseline_free(b);
}

/* Many evictions (backward-shift deletions) in a small table: every item
 * just tested is found again, the count stays at the bound, and the file
 * written afterwards (whose size checks the count against the slots)
 * loads back. */
static void test_capacity_churn(void **state)
{
	struct baseline *b = mk(64, 0, 0), *c;
	uint64_t evicted;

	(void)state;
	for (uint64_t i = 0; i < 20000; i++) {
		uint64_t it = item(3, mix(i) % 300);

		assert_true(baseline_test(b, BASELINE_LISTEN, it, 1) >= 0);
		assert_int_equal(baseline_test(b, BASELINE_LISTEN, it, 1), 0);
		assert_true(baseline_items(b, BASELINE_LISTEN) <= 64);
	}
	assert_int_equal(baseline_items(b, BASELINE_LISTEN), 64);
	evicted = baseline_evicted(b, BASELINE_LISTEN);
	assert_true(evicted > 1000);
	assert_int_equal(baseline_save(b, path), 0);
	c = mk(64, 0, 0);
	assert_int_equal(baseline_load(c, path), 0);
	assert_int_equal(baseline_items(c, BASELINE_LISTEN), 64);
	/* a smaller bound keeps what fits, counting the rest as evicted */
	baseline_free(c);
	c = mk(10, 0, 0);
	assert_int_equal(baseline_load(c, path), 0);
	assert_int_equal(baseline_items(c, BASELINE_LISTEN), 10);
	assert_int_equal(baseline_evicted(c, BASELINE_LISTEN), 54);
	baseline_free(c);
	baseline_free(b);
}

static size_t file_size(const char *p)
{
	struct stat st;

	assert_int_equal(stat(p, &st), 0);
	return (size_t)st.st_size;
}

static void read_file(const char *p, uint8_t *buf, size_t len)
{
	FILE *f = fopen(p, "rb");

	assert_non_null(f);
	assert_int_equal(fread(buf, 1, len, f), len);
	fclose(f);
}

static void write_file(const char *p, const uint8_t *buf, size_t len)
{
	FILE *f = fopen(p, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Loading path into a fresh store fails with err and leaves it fresh. */
static void expect_refused(int err)
{
	struct baseline *b = mk(100, 7000, 100);

	assert_int_equal(baseline_load(b, path), err);
	for (int k = 0; k < BASELINE_KINDS; k++)
		assert_int_equal(baseline_items(b, (enum baseline_kind)k), 0);
	assert_int_equal(baseline_learning_end(b), 7100);
	assert_int_equal(baseline_learning(b, 7000), 1);
	assert_int_equal(baseline_test(b, BASELINE_EXEC, 5, 7000), 0);
	baseline_free(b);
}

static void test_refused_files(void **state)
{
	struct baseline *a = mk(100, 1000, 10), *o;
	uint8_t good[256], bad[256];
	size_t len;

	(void)state;
	unlink(path);
	expect_refused(-ENOENT);
	for (uint64_t i = 0; i < 5; i++)
		baseline_test(a, BASELINE_EXEC, item(4, i), 1000);
	assert_int_equal(baseline_save(a, path), 0);
	len = file_size(path);
	assert_int_equal(len, 56 + 5 * 8 + 8);
	read_file(path, good, len);

	/* empty, short, truncated by one byte and by one item */
	write_file(path, good, 0);
	expect_refused(-EBADMSG);
	write_file(path, good, 4);
	expect_refused(-EBADMSG);
	write_file(path, good, 40);
	expect_refused(-EBADMSG);
	write_file(path, good, len - 1);
	expect_refused(-EBADMSG);
	write_file(path, good, len - 8);
	expect_refused(-EBADMSG);
	/* one byte more */
	memcpy(bad, good, len);
	bad[len] = 0;
	write_file(path, bad, len + 1);
	expect_refused(-EBADMSG);
	/* a flipped bit in an item, in the checksum, in the created time;
	 * a count that does not match the size; another file, another
	 * version */
	const struct {
		size_t off;
		uint8_t flip;
		int err;
	} patches[] = {
		{ 56 + 3, 0x10, -EBADMSG }, { len - 1, 0x10, -EBADMSG },
		{ 24, 0x10, -EBADMSG },	    { 48, 0x01, -EBADMSG },
		{ 0, 0x01, -EPROTO },	    { 8, 0x03, -EPROTO },
	};
	for (size_t i = 0; i < sizeof(patches) / sizeof(patches[0]); i++) {
		memcpy(bad, good, len);
		bad[patches[i].off] ^= patches[i].flip;
		write_file(path, bad, len);
		expect_refused(patches[i].err);
	}
	/* written under another key: useless, refused as such */
	o = baseline_new(&other_key, 100, 1000, 10);
	assert_non_null(o);
	baseline_test(o, BASELINE_EXEC, 1, 1000);
	assert_int_equal(baseline_save(o, path), 0);
	expect_refused(-EKEYREJECTED);
	baseline_free(o);
	/* not a regular file */
	unlink(path);
	assert_int_equal(mkdir(path, 0700), 0);
	expect_refused(-EPROTO);
	rmdir(path);
	/* and the good one still loads */
	write_file(path, good, len);
	o = mk(100, 9000, 10);
	assert_int_equal(baseline_load(o, path), 0);
	assert_int_equal(baseline_items(o, BASELINE_EXEC), 5);
	baseline_free(o);
	baseline_free(a);
}

static void test_atomic_write(void **state)
{
	struct baseline *a = mk(100, 1000, 10), *b;
	static const uint8_t junk[] = "half a file from a crash";
	char nodir[200];

	(void)state;
	unlink(path);
	baseline_test(a, BASELINE_LISTEN, 77, 1000);
	/* a crash between the temp file and the rename: the temp file is
	 * junk and there is no baseline yet */
	write_file(tmp_path, junk, sizeof(junk));
	b = mk(100, 1000, 10);
	assert_int_equal(baseline_load(b, path), -ENOENT);
	baseline_free(b);
	assert_int_equal(baseline_save(a, path), 0);
	assert_int_equal(access(tmp_path, F_OK), -1);
	/* a leftover beside a good file is ignored */
	write_file(tmp_path, junk, sizeof(junk));
	b = mk(100, 1000, 10);
	assert_int_equal(baseline_load(b, path), 0);
	assert_int_equal(baseline_test(b, BASELINE_LISTEN, 77, 2000), 0);
	baseline_free(b);
	/* saving again replaces both */
	baseline_test(a, BASELINE_LISTEN, 78, 2000);
	assert_int_equal(baseline_save(a, path), 0);
	assert_int_equal(access(tmp_path, F_OK), -1);
	b = mk(100, 1000, 10);
	assert_int_equal(baseline_load(b, path), 0);
	assert_int_equal(baseline_items(b, BASELINE_LISTEN), 2);
	baseline_free(b);
	/* a path that cannot be written fails and leaves nothing */
	snprintf(nodir, sizeof(nodir), "%s/missing/baseline", dir);
	assert_int_equal(baseline_save(a, nodir), -ENOENT);
	/* and the store goes on in memory */
	assert_int_equal(baseline_test(a, BASELINE_LISTEN, 79, 2000), 1);
	assert_int_equal(baseline_test(a, BASELINE_LISTEN, 77, 2000), 0);
	baseline_free(a);
}

/* A save in two halves (the image under the caller's lock, the write
 * outside it) makes the same file as baseline_save; the image of a full
 * store fits baseline_file_max, one byte less is refused. */
static void test_encode_write(void **state)
{
	struct baseline *a = mk(4, 1000, 10), *b;
	uint8_t img[64 + 8 * 3 * 4], whole[sizeof(img)];
	ssize_t len;
	FILE *f;

	(void)state;
	assert_int_equal(baseline_file_max(a), sizeof(img));
	for (uint64_t i = 0; i < 4; i++)
		for (int k = 0; k < BASELINE_KINDS; k++)
			baseline_test(a, (enum baseline_kind)k, 100 + i, 1000);
	assert_int_equal(baseline_encode(a, img, sizeof(img) - 1), -ENOBUFS);
	len = baseline_encode(a, img, sizeof(img));
	assert_int_equal(len, sizeof(img));
	assert_int_equal(baseline_write(path, img, (size_t)len), 0);
	assert_int_equal(access(tmp_path, F_OK), -1);
	b = mk(4, 1000, 10);
	assert_int_equal(baseline_load(b, path), 0);
	assert_int_equal(baseline_test(b, BASELINE_EXEC, 103, 2000), 0);
	assert_int_equal(baseline_items(b, BASELINE_DEST), 4);
	baseline_free(b);
	assert_int_equal(baseline_save(a, path), 0);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(whole, 1, sizeof(whole), f), sizeof(whole));
	fclose(f);
	assert_memory_equal(whole, img, sizeof(img));
	baseline_free(a);
}

static void test_item_hash(void **state)
{
	struct baseline *b = mk(10, 0, 0);
	struct baseline *o = baseline_new(&other_key, 10, 0, 0);
	const struct baseline_field ab_c[] = { { "ab", 2 }, { "c", 1 } };
	const struct baseline_field a_bc[] = { { "a", 1 }, { "bc", 2 } };
	uint64_t h = baseline_item(b, BASELINE_DEST, ab_c, 2);

	(void)state;
	assert_non_null(o);
	assert_int_equal(h, baseline_item(b, BASELINE_DEST, ab_c, 2));
	assert_int_not_equal(h, baseline_item(b, BASELINE_DEST, a_bc, 2));
	assert_int_not_equal(h, baseline_item(b, BASELINE_LISTEN, ab_c, 2));
	assert_int_not_equal(h, baseline_item(o, BASELINE_DEST, ab_c, 2));
	assert_int_not_equal(h, baseline_item(b, BASELINE_DEST, ab_c, 1));
	/* a hash of 0 (or with the top bit) is an item like any other */
	assert_int_equal(baseline_test(b, BASELINE_DEST, 0, 0), 1);
	assert_int_equal(baseline_test(b, BASELINE_DEST, 0, 0), 0);
	assert_int_equal(baseline_test(b, BASELINE_DEST, UINT64_MAX, 0), 1);
	assert_int_equal(baseline_test(b, BASELINE_DEST, UINT64_MAX, 0), 0);
	baseline_free(o);
	baseline_free(b);
}

static void test_bytes_and_names(void **state)
{
	struct baseline *b = mk(65536, 0, 0);
	size_t tables = 3 * 131072 * 8;

	(void)state;
	assert_in_range(baseline_bytes(b), tables, tables + 512);
	assert_int_equal(baseline_max_items(b), 65536);
	baseline_free(b);
	b = mk(3, 0, 0); /* 3 items need 4 slots at load 3/4 */
	assert_in_range(baseline_bytes(b), 3 * 4 * 8, 3 * 4 * 8 + 512);
	baseline_free(b);
	assert_string_equal(baseline_kind_name(BASELINE_LISTEN), "listen");
	assert_string_equal(baseline_kind_name(BASELINE_DEST), "destination");
	assert_string_equal(baseline_kind_name(BASELINE_EXEC), "execve");
	assert_null(baseline_kind_name(BASELINE_KINDS));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_bounds),
		cmocka_unit_test(test_learning_then_new),
		cmocka_unit_test(test_restart_keeps_learning),
		cmocka_unit_test(test_clock_backwards),
		cmocka_unit_test(test_capacity_clock),
		cmocka_unit_test(test_capacity_churn),
		cmocka_unit_test(test_refused_files),
		cmocka_unit_test(test_atomic_write),
		cmocka_unit_test(test_encode_write),
		cmocka_unit_test(test_item_hash),
		cmocka_unit_test(test_bytes_and_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
