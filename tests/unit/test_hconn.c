/*
 * test_hconn: the HTTP connection table on socket pairs, with made-up
 * times: beyond the limit the longest-waiting connection that is not
 * being answered is shut down (the new one only when all others are
 * busy), a cut connection stops counting; the read and idle deadlines cut
 * what they should and nothing else (never a busy or sending one); a kept
 * connection's next request starts a new read deadline; cut_body cuts only
 * the senders of that body that began before a given time. A cut shows at the peer as the end of the
 * stream.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "exporter/web/hconn.h"

#define N 6

struct pair {
	struct hconn c;
	int peer;
};

static void pairs_open(struct pair *p, int n)
{
	for (int i = 0; i < n; i++) {
		int sv[2];

		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		p[i].c.fd = sv[0];
		p[i].peer = sv[1];
	}
}

static void pairs_close(struct pair *p, int n)
{
	for (int i = 0; i < n; i++) {
		close(p[i].c.fd);
		close(p[i].peer);
	}
}

/* Whether the table shut p's socket down (the peer sees the end). */
static bool was_cut(const struct pair *p)
{
	char b;

	return recv(p->peer, &b, 1, MSG_DONTWAIT) == 0;
}

static void test_evicts_longest_waiting(void **state)
{
	struct hconn_table *t = hconn_table_new(3, 1000, 1000);
	struct pair p[N];

	(void)state;
	assert_non_null(t);
	pairs_open(p, N);
	for (int i = 0; i < 3; i++)
		hconn_open(t, &p[i].c, p[i].c.fd, i);
	assert_false(was_cut(&p[0]));
	/* p[0] is being answered, p[1] sends: p[1] has waited longest */
	hconn_set(t, &p[0].c, HCONN_BUSY, NULL, 3);
	hconn_set(t, &p[1].c, HCONN_SENDING, NULL, 4);
	hconn_set(t, &p[2].c, HCONN_IDLE, NULL, 5);
	hconn_open(t, &p[3].c, p[3].c.fd, 6);
	assert_true(was_cut(&p[1]));
	assert_false(was_cut(&p[0]));
	assert_false(was_cut(&p[2]));
	assert_false(was_cut(&p[3]));
	assert_int_equal(hconn_cuts(t), 1);
	/* the cut one no longer counts, even before it is closed */
	hconn_set(t, &p[2].c, HCONN_BUSY, NULL, 7);
	hconn_set(t, &p[3].c, HCONN_BUSY, NULL, 8);
	/* all three live ones busy: the newcomer goes */
	hconn_open(t, &p[4].c, p[4].c.fd, 9);
	assert_true(was_cut(&p[4]));
	assert_false(was_cut(&p[2]));
	assert_false(was_cut(&p[3]));
	hconn_close(t, &p[1].c);
	hconn_close(t, &p[4].c);
	/* one closes: room for one more without a cut */
	hconn_close(t, &p[3].c);
	hconn_open(t, &p[5].c, p[5].c.fd, 10);
	assert_false(was_cut(&p[5]));
	assert_int_equal(hconn_cuts(t), 2);
	hconn_close(t, &p[0].c);
	hconn_close(t, &p[2].c);
	hconn_close(t, &p[5].c);
	pairs_close(p, N);
	hconn_table_free(t);
}

static void test_deadlines(void **state)
{
	struct hconn_table *t = hconn_table_new(10, 100, 1000);
	struct pair p[4];

	(void)state;
	pairs_open(p, 4);
	for (int i = 0; i < 4; i++)
		hconn_open(t, &p[i].c, p[i].c.fd, 0);
	hconn_set(t, &p[1].c, HCONN_IDLE, NULL, 0);
	hconn_set(t, &p[2].c, HCONN_BUSY, NULL, 0);
	hconn_set(t, &p[3].c, HCONN_SENDING, NULL, 0);
	/* a request line on a reading connection changes nothing */
	hconn_request(t, &p[0].c, 50);
	assert_int_equal(hconn_sweep(t, 99), 0);
	assert_int_equal(hconn_sweep(t, 100), 1);
	assert_true(was_cut(&p[0]));
	/* a kept connection's next request: read deadline from its line */
	hconn_request(t, &p[1].c, 950);
	assert_int_equal(hconn_sweep(t, 1000), 0);
	assert_int_equal(hconn_sweep(t, 1049), 0);
	assert_int_equal(hconn_sweep(t, 1050), 1);
	assert_true(was_cut(&p[1]));
	/* busy and sending: never by the clock */
	assert_int_equal(hconn_sweep(t, INT64_C(1) << 60), 0);
	assert_false(was_cut(&p[2]));
	assert_false(was_cut(&p[3]));
	/* idle: at idle_ns */
	hconn_set(t, &p[3].c, HCONN_IDLE, NULL, 2000);
	assert_int_equal(hconn_sweep(t, 2999), 0);
	assert_int_equal(hconn_sweep(t, 3000), 1);
	assert_true(was_cut(&p[3]));
	for (int i = 0; i < 4; i++)
		hconn_close(t, &p[i].c);
	pairs_close(p, 4);
	hconn_table_free(t);
}

static void test_cut_body(void **state)
{
	struct hconn_table *t = hconn_table_new(10, 100, 1000);
	struct pair p[3];
	int a, b;

	(void)state;
	pairs_open(p, 3);
	for (int i = 0; i < 3; i++)
		hconn_open(t, &p[i].c, p[i].c.fd, 0);
	hconn_set(t, &p[0].c, HCONN_SENDING, &a, 1);
	hconn_set(t, &p[1].c, HCONN_SENDING, &b, 1);
	hconn_set(t, &p[2].c, HCONN_SENDING, &a, 5);
	/* only those sending since the time given */
	assert_int_equal(hconn_cut_body(t, &a, 4), 1);
	assert_true(was_cut(&p[0]));
	assert_false(was_cut(&p[2]));
	assert_int_equal(hconn_cut_body(t, &a, 5), 1);
	assert_false(was_cut(&p[1]));
	assert_true(was_cut(&p[2]));
	/* once is enough */
	assert_int_equal(hconn_cut_body(t, &a, 100), 0);
	/* after its answer a connection sends no body */
	hconn_set(t, &p[1].c, HCONN_IDLE, &b, 2);
	assert_int_equal(hconn_cut_body(t, &b, 100), 0);
	for (int i = 0; i < 3; i++)
		hconn_close(t, &p[i].c);
	pairs_close(p, 3);
	hconn_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_evicts_longest_waiting),
		cmocka_unit_test(test_deadlines),
		cmocka_unit_test(test_cut_body),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
