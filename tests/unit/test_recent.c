/* Unit tests for metrics/recent: the bounded who-connected-where table. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metrics/recent.h"
#include "tests/unit/expose.h"

static const struct hash_key key = { 0x0706050403020100ull,
				     0x0f0e0d0c0b0a0908ull };

/* Connect number i: comm "c<i>", 10.0.0.i:80, tcp, private. */
static void conn_n(struct recent_conn *c, char *comm, unsigned i,
		   uint8_t addr[4])
{
	size_t n = (size_t)snprintf(comm, 16, "c%u", i);

	addr[0] = 10;
	addr[1] = 0;
	addr[2] = (uint8_t)(i >> 8);
	addr[3] = (uint8_t)i;
	*c = (struct recent_conn){ .comm = comm,
				   .comm_len = n,
				   .exe = "/usr/bin/c",
				   .exe_len = 10,
				   .uid = 1000 + i,
				   .auid = 1000,
				   .protocol = "tcp",
				   .scope = "private",
				   .family = 4,
				   .addr = addr,
				   .port = 80 };
}

static void note_n(struct recent *r, unsigned i, int64_t t)
{
	struct recent_conn c;
	char comm[16];
	uint8_t addr[4];

	conn_n(&c, comm, i, addr);
	assert_int_equal(recent_note(r, &c, t), 0);
}

/* The entries' numbers (from their address), most recent first. */
static size_t order(const struct recent *r, unsigned *out, size_t cap)
{
	struct recent_iter it;
	struct recent_view v;
	size_t n = 0;

	recent_iter_init(r, &it);
	while (recent_iter_next(r, &it, &v)) {
		assert_true(n < cap);
		out[n++] = (unsigned)v.conn.addr[2] << 8 | v.conn.addr[3];
	}
	return n;
}

static void test_new_bad(void **state)
{
	(void)state;
	assert_null(recent_new(0, 1000, &key));
	assert_null(recent_new(RECENT_CAP_MAX + 1, 1000, &key));
	assert_null(recent_new(4, 0, &key));
}

static void test_capacity_and_bytes(void **state)
{
	struct recent *r = recent_new(4, 3600000, &key);
	struct recent_stats st;
	size_t bytes;

	(void)state;
	assert_non_null(r);
	bytes = recent_bytes(r);
	assert_int_equal(bytes, recent_bytes_for(4));
	/* the entries alone: at least 4 label tuples of their full size */
	assert_true(bytes > 4 * (RECENT_EXE_MAX + RECENT_COMM_MAX));
	for (unsigned i = 0; i < 4; i++)
		note_n(r, i, 10);
	recent_get_stats(r, &st);
	assert_int_equal(st.entries, 4);
	assert_int_equal(st.evicted, 0);
	for (unsigned i = 4; i < 1000; i++)
		note_n(r, i, 20);
	recent_get_stats(r, &st);
	assert_int_equal(st.entries, 4);
	assert_int_equal(st.cap, 4);
	assert_int_equal(st.evicted, 996);
	assert_int_equal(st.expired, 0);
	assert_int_equal(recent_bytes(r), bytes); /* fixed at creation */
	recent_free(r);
}

static void test_count_and_lru_order(void **state)
{
	struct recent *r = recent_new(3, 3600000, &key);
	struct recent_iter it;
	struct recent_view v;
	unsigned got[8];

	(void)state;
	note_n(r, 1, 0);
	note_n(r, 2, 1);
	note_n(r, 3, 2);
	note_n(r, 1, 3); /* 1 is now the most recent: 2 is the oldest */
	note_n(r, 4, 4);
	assert_int_equal(order(r, got, 8), 3);
	assert_int_equal(got[0], 4);
	assert_int_equal(got[1], 1);
	assert_int_equal(got[2], 3);
	recent_iter_init(r, &it);
	assert_true(recent_iter_next(r, &it, &v));
	assert_true(recent_iter_next(r, &it, &v)); /* entry 1 */
	assert_int_equal(v.count, 2);
	assert_int_equal(v.first_ms, 0);
	assert_int_equal(v.last_ms, 3);
	assert_int_equal(v.conn.uid, 1001);
	assert_string_equal(v.conn.protocol, "tcp");
	assert_string_equal(v.conn.scope, "private");
	/* a time before the newest is taken as the newest */
	note_n(r, 3, 1);
	recent_iter_init(r, &it);
	assert_true(recent_iter_next(r, &it, &v));
	assert_int_equal(v.conn.addr[3], 3);
	assert_int_equal(v.last_ms, 4);
	recent_free(r);
}

static void test_expiry_fake_clock(void **state)
{
	struct recent *r = recent_new(4, 1000, &key);
	struct recent_stats st;
	unsigned got[8];

	(void)state;
	note_n(r, 1, 0);
	note_n(r, 2, 500);
	note_n(r, 3, 999); /* 1 still lives: 0 > 999 - 1000 */
	recent_get_stats(r, &st);
	assert_int_equal(st.entries, 3);
	note_n(r, 4, 1000); /* 1 expires: last 0 <= 1000 - 1000 */
	recent_get_stats(r, &st);
	assert_int_equal(st.entries, 3);
	assert_int_equal(st.expired, 1);
	assert_int_equal(st.evicted, 0);
	recent_expire(r, 1500); /* 2 goes (500 <= 500), 3 stays */
	assert_int_equal(order(r, got, 8), 2);
	assert_int_equal(got[0], 4);
	assert_int_equal(got[1], 3);
	recent_expire(r, 100); /* earlier than the newest: nothing more */
	recent_get_stats(r, &st);
	assert_int_equal(st.entries, 2);
	assert_int_equal(st.expired, 2);
	/* a returning tuple starts again from 1 */
	note_n(r, 1, 1600);
	recent_get_stats(r, &st);
	assert_int_equal(st.entries, 3);
	recent_expire(r, INT64_MAX);
	recent_get_stats(r, &st);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.expired, 5);
	/* expired entries are reused, not counted as evictions */
	for (unsigned i = 10; i < 14; i++)
		note_n(r, i, INT64_MAX / 2);
	recent_get_stats(r, &st);
	assert_int_equal(st.entries, 4);
	assert_int_equal(st.evicted, 0);
	recent_free(r);
}

static void test_bad_family_and_hostile_time(void **state)
{
	struct recent *r = recent_new(2, 1000, &key);
	struct recent_conn c;
	struct recent_stats st;
	char comm[16];
	uint8_t addr[4];

	(void)state;
	conn_n(&c, comm, 1, addr);
	c.family = 10; /* AF_INET6's number is not how families are given */
	assert_int_equal(recent_note(r, &c, 0), -EINVAL);
	c.family = 4;
	assert_int_equal(recent_note(r, &c, INT64_MIN), 0);
	assert_int_equal(recent_note(r, &c, INT64_MIN + 1), 0);
	recent_get_stats(r, &st);
	assert_int_equal(st.entries, 1);
	recent_free(r);
}

struct recent_at {
	const struct recent *r;
	int64_t now;
};

static int write_recent(struct expo *w, struct dbuf *lb, const void *arg)
{
	const struct recent_at *a = arg;

	return recent_write(a->r, w, lb, a->now);
}

/* The exposition of r at now, as one string. */
static char *expose(const struct recent *r, int64_t now)
{
	struct recent_at a = { r, now };

	return expose_family("audit_connect_recent", EXPO_COUNTER, write_recent,
			     &a);
}

static void test_hostile_labels_escaped(void **state)
{
	struct recent *r = recent_new(4, 1000, &key);
	static const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const char comm[] = "ev\"il} 1\nx\\";
	static const char exe[] = "/tmp/\xff\x00z";
	struct recent_conn c = { .comm = comm,
				 .comm_len = sizeof(comm) - 1,
				 .exe = exe,
				 .exe_len = sizeof(exe) - 1,
				 .uid = 0,
				 .auid = 4294967295u,
				 .protocol = "udp",
				 .scope = "documentation",
				 .family = 6,
				 .addr = a6,
				 .port = 53 };
	char *s;

	(void)state;
	assert_int_equal(recent_note(r, &c, 100), 0);
	assert_int_equal(recent_note(r, &c, 200), 0);
	s = expose(r, 300);
	assert_non_null(strstr(s, "audit_connect_recent_total{comm=\"ev\\\"il} "
				  "1\\nx\\\\\","
				  "exe=\"/tmp/"
				  "\xef\xbf\xbd\xef\xbf\xbdz\",uid=\"0\","
				  "auid=\"4294967295\",protocol=\"udp\","
				  "scope=\"documentation\",destination=\"2001:"
				  "db8::1\","
				  "port=\"53\"} 2\n"));
	free(s);
	/* past the horizon the scrape skips it without changing the table */
	s = expose(r, 1200);
	assert_null(strstr(s, "audit_connect_recent_total{"));
	free(s);
	recent_free(r);
}

static void test_long_exe_cut(void **state)
{
	struct recent *r = recent_new(4, 1000, &key);
	struct recent_conn c;
	struct recent_view v;
	struct recent_iter it;
	struct recent_stats st;
	char comm[16], exe[1000];
	uint8_t addr[4];

	(void)state;
	memset(exe, 'a', sizeof(exe));
	conn_n(&c, comm, 1, addr);
	c.exe = exe;
	c.exe_len = sizeof(exe);
	assert_int_equal(recent_note(r, &c, 0), 0);
	exe[999] = 'b'; /* differs only past the cut: the same series */
	assert_int_equal(recent_note(r, &c, 0), 0);
	recent_get_stats(r, &st);
	assert_int_equal(st.entries, 1);
	recent_iter_init(r, &it);
	assert_true(recent_iter_next(r, &it, &v));
	assert_int_equal(v.conn.exe_len, RECENT_EXE_MAX);
	assert_int_equal(v.count, 2);
	/* exes that differ in their last byte or their length are apart */
	c.exe = "/a/x";
	c.exe_len = 4;
	assert_int_equal(recent_note(r, &c, 0), 0);
	c.exe = "/a/y";
	assert_int_equal(recent_note(r, &c, 0), 0);
	c.exe = "/a/xy";
	c.exe_len = 5;
	assert_int_equal(recent_note(r, &c, 0), 0);
	recent_get_stats(r, &st);
	assert_int_equal(st.entries, 4);
	recent_free(r);
}

/* A naive reference: an array searched linearly, recency by a sequence
 * number, eviction of the smallest. */
struct model_ent {
	unsigned id;
	uint64_t count;
	int64_t last;
	uint64_t seq;
};
struct model {
	struct model_ent e[16];
	size_t n, cap;
	int64_t horizon, newest;
	uint64_t seq, evicted, expired;
};

static void model_expire(struct model *m, int64_t now)
{
	if (now < m->newest)
		now = m->newest;
	for (size_t i = 0; i < m->n;) {
		if (m->e[i].last <= now - m->horizon) {
			m->e[i] = m->e[--m->n];
			m->expired++;
		} else {
			i++;
		}
	}
}

static void model_note(struct model *m, unsigned id, int64_t t)
{
	size_t i;

	if (t > m->newest)
		m->newest = t;
	model_expire(m, m->newest);
	for (i = 0; i < m->n && m->e[i].id != id; i++)
		;
	if (i == m->n) {
		if (m->n == m->cap) {
			size_t old = 0;

			for (size_t j = 1; j < m->n; j++)
				if (m->e[j].seq < m->e[old].seq)
					old = j;
			m->e[old] = m->e[--m->n];
			m->evicted++;
		}
		i = m->n++;
		m->e[i] = (struct model_ent){ .id = id };
	}
	m->e[i].count++;
	m->e[i].last = m->newest;
	m->e[i].seq = ++m->seq;
}

static void model_compare(const struct model *m, const struct recent *r)
{
	struct recent_iter it;
	struct recent_view v;
	struct recent_stats st;
	uint64_t prev_seq = UINT64_MAX;
	size_t n = 0;

	recent_get_stats(r, &st);
	assert_int_equal(st.entries, m->n);
	assert_int_equal(st.evicted, m->evicted);
	assert_int_equal(st.expired, m->expired);
	recent_iter_init(r, &it);
	while (recent_iter_next(r, &it, &v)) {
		unsigned id = (unsigned)v.conn.addr[2] << 8 | v.conn.addr[3];
		size_t i;

		for (i = 0; i < m->n && m->e[i].id != id; i++)
			;
		assert_true(i < m->n);
		assert_int_equal(v.count, m->e[i].count);
		assert_int_equal(v.last_ms, m->e[i].last);
		assert_true(m->e[i].seq < prev_seq); /* most recent first */
		prev_seq = m->e[i].seq;
		n++;
	}
	assert_int_equal(n, m->n);
}

static void test_property_against_model(void **state)
{
	(void)state;
	srand(21);
	for (int round = 0; round < 200; round++) {
		struct model m = { .cap = 1 + (size_t)(rand() % 16),
				   .horizon = 1 + rand() % 50,
				   .newest = INT64_MIN };
		struct recent *r = recent_new((unsigned)m.cap, m.horizon, &key);
		int64_t t = 0;

		assert_non_null(r);
		for (int op = 0; op < 400; op++) {
			int what = rand() % 10;

			t += rand() % 8 - 2; /* a little out of order too */
			if (what == 0) {
				recent_expire(r, t);
				model_expire(&m, t);
			} else {
				/* few ids: hits, misses and evictions */
				unsigned id = (unsigned)(rand() % 24);

				note_n(r, id, t);
				model_note(&m, id, t);
			}
			model_compare(&m, r);
		}
		recent_free(r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_bad),
		cmocka_unit_test(test_capacity_and_bytes),
		cmocka_unit_test(test_count_and_lru_order),
		cmocka_unit_test(test_expiry_fake_clock),
		cmocka_unit_test(test_bad_family_and_hostile_time),
		cmocka_unit_test(test_hostile_labels_escaped),
		cmocka_unit_test(test_long_exe_cut),
		cmocka_unit_test(test_property_against_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
