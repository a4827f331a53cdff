/*
 * hconn: the HTTP server's connections, their deadlines and eviction.
 *
 * libmicrohttpd bounds a connection's idle time, but not how long a
 * request may take to arrive: a client that sends a header line every
 * second (slowloris) keeps its connection forever, and at the total
 * connection limit libmicrohttpd stops accepting, so a few hundred such
 * clients from a handful of addresses lock every scraper out. This table
 * holds every connection of the server (one mutex; the caller embeds a
 * struct hconn in its own per-connection object, so nothing is allocated
 * here) in a list ordered by when each entered its state, and:
 *
 *   deadlines  READING (a request arriving, from the connection's start,
 *              TLS handshake included, or from a kept connection's next
 *              request line) must finish within read_ns; IDLE (kept
 *              alive between requests) lasts at most idle_ns, however
 *              slowly bytes trickle in. hconn_sweep cuts the late ones.
 *   the limit  at most max connections live: a connection beyond it
 *              evicts the one that has waited longest and is not BUSY
 *              (reading, idle or sending), so a new scraper always gets
 *              in and the attacker's oldest connections go; only when
 *              every other connection is being answered does the new one
 *              go instead. A scraper's request takes milliseconds, so it
 *              is the newest, not the oldest, while a flood churns.
 *   bodies     hconn_cut_body cuts the connections that have been sending
 *              a given response since a given time, so the server can
 *              bound the responses it holds.
 *
 * Cutting is shutdown(2) of the socket: libmicrohttpd's thread sees the
 * end of the stream, closes the connection and calls back, and only then
 * (hconn_close, under the mutex, before libmicrohttpd closes the
 * descriptor) does the entry go, so a descriptor is never shut down after
 * it was closed and reused. BUSY connections are never cut: libmicrohttpd
 * does not watch a suspended socket and would not see it. A cut
 * connection no longer counts against max.
 */
#include "exporter/web/hconn.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>

struct hconn_table {
	pthread_mutex_t lock;
	struct hconn *head, *tail; /* oldest state first */
	unsigned max, live; /* live: in the list and not cut */
	int64_t read_ns, idle_ns;
	uint64_t cuts;
};

struct hconn_table *hconn_table_new(unsigned max, int64_t read_ns,
				    int64_t idle_ns)
{
	struct hconn_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	pthread_mutex_init(&t->lock, NULL);
	t->max = max;
	t->read_ns = read_ns;
	t->idle_ns = idle_ns;
	return t;
}

void hconn_table_free(struct hconn_table *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static void hconn_unlink(struct hconn_table *t, struct hconn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		t->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		t->tail = c->prev;
	c->prev = c->next = NULL;
}

static void hconn_append(struct hconn_table *t, struct hconn *c)
{
	c->prev = t->tail;
	c->next = NULL;
	if (t->tail)
		t->tail->next = c;
	else
		t->head = c;
	t->tail = c;
}

/* Shuts c's socket down once; the caller holds the lock. */
static void hconn_cut(struct hconn_table *t, struct hconn *c)
{
	if (c->cut)
		return;
	c->cut = true;
	t->live--;
	t->cuts++;
	shutdown(c->fd, SHUT_RDWR);
}

void hconn_open(struct hconn_table *t, struct hconn *c, int fd, int64_t now)
{
	c->fd = fd;
	c->state = HCONN_READING;
	c->since_ns = now;
	c->body = NULL;
	c->cut = false;
	pthread_mutex_lock(&t->lock);
	hconn_append(t, c);
	t->live++;
	if (t->live > t->max) {
		struct hconn *v = t->head;

		while (v && (v == c || v->cut || v->state == HCONN_BUSY))
			v = v->next;
		hconn_cut(t, v ? v : c);
	}
	pthread_mutex_unlock(&t->lock);
}

void hconn_close(struct hconn_table *t, struct hconn *c)
{
	pthread_mutex_lock(&t->lock);
	hconn_unlink(t, c);
	if (!c->cut)
		t->live--;
	pthread_mutex_unlock(&t->lock);
}

void hconn_set(struct hconn_table *t, struct hconn *c, enum hconn_state state,
	       const void *body, int64_t now)
{
	pthread_mutex_lock(&t->lock);
	c->state = state;
	c->body = state == HCONN_SENDING ? body : NULL;
	c->since_ns = now;
	hconn_unlink(t, c);
	hconn_append(t, c);
	pthread_mutex_unlock(&t->lock);
}

void hconn_request(struct hconn_table *t, struct hconn *c, int64_t now)
{
	/* the connection's own thread is the only one that changes state */
	if (c->state == HCONN_IDLE)
		hconn_set(t, c, HCONN_READING, NULL, now);
}

unsigned hconn_sweep(struct hconn_table *t, int64_t now)
{
	unsigned n = 0;

	pthread_mutex_lock(&t->lock);
	for (struct hconn *c = t->head; c; c = c->next) {
		int64_t allowed = c->state == HCONN_READING ? t->read_ns
				  : c->state == HCONN_IDLE  ? t->idle_ns
							    : -1;

		if (allowed >= 0 && !c->cut && now - c->since_ns >= allowed) {
			hconn_cut(t, c);
			n++;
		}
	}
	pthread_mutex_unlock(&t->lock);
	return n;
}

unsigned hconn_cut_body(struct hconn_table *t, const void *body, int64_t before)
{
	unsigned n = 0;

	pthread_mutex_lock(&t->lock);
	for (struct hconn *c = t->head; c; c = c->next)
		if (c->state == HCONN_SENDING && c->body == body && !c->cut &&
		    c->since_ns <= before) {
			hconn_cut(t, c);
			n++;
		}
	pthread_mutex_unlock(&t->lock);
	return n;
}

uint64_t hconn_cuts(struct hconn_table *t)
{
	uint64_t n;

	pthread_mutex_lock(&t->lock);
	n = t->cuts;
	pthread_mutex_unlock(&t->lock);
	return n;
}
