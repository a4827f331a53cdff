/*
 * hscrape: scrapes rendered on one thread, shared, and bounded.
 *
 * Rendering in libmicrohttpd's handler held one of its pool threads for
 * the whole render and gzip, and every other connection of that thread
 * waited behind it: 200 clients queued behind 4 threads (p50 1.43 s) and
 * --web.max-requests, which counted renders in progress, never reached
 * its 40. And a response held its own copy of the exposition until it
 * was sent, so clients that ask and never read held one copy each (1,000
 * of them: 3.57 GB). Here instead:
 *
 *   one worker  the handler suspends its connection and queues the
 *               request (hscrape_reserve, hscrape_submit); the worker
 *               takes every request waiting, renders each format asked
 *               for once (and gzips it once), hands every request its
 *               answer and resumes them (ops->ready). Requests that come
 *               during a render are served by the next one, so a scrape
 *               waits at most about two renders however many come at
 *               once, and pool threads only ever do network work.
 *   waiting     at most max_waiting requests are waiting for a render
 *               (--web.max-requests); more are refused at once (503),
 *               never queued.
 *   bodies      a rendered exposition (struct hbody: the scrape's buffers
 *               or a gzip stream) is shared by every response made from it
 *               and counted until the last one is sent (a reference per
 *               response, dropped by libmicrohttpd's free callback). At
 *               most max_bodies are alive: before rendering more, the
 *               worker waits for one to go, and has the connections that
 *               have been sending the oldest body for HSCRAPE_GRACE_NS cut
 *               (ops->cut; exporter/web/hconn), up to HSCRAPE_ROOM_NS (then the
 *               batch gets 503). A scraper that reads takes milliseconds
 *               to take its body, so the ones cut are clients that do not
 *               read; response memory is bounded by max_bodies expositions
 *               whatever the clients do.
 *   the clock   ops->tick runs about every HSCRAPE_TICK_NS on the worker,
 *               between renders (the connections' deadlines).
 *
 * One mutex guards the queue, the counts and the list of bodies (oldest
 * first); rendering and gzip run outside it.
 */
#include "exporter/web/hscrape.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "exporter/exporter.h"
#include "exporter/web/gzip.h"
#include "exporter/scrape.h"

#define HSCRAPE_TICK_NS (250 * INT64_C(1000000))
/* how long the worker waits for room before the batch gets 503 */
#define HSCRAPE_ROOM_NS (2000 * INT64_C(1000000))
#define HSCRAPE_ROOM_POLL_NS (20 * INT64_C(1000000))
/* a connection sending for less than this is never cut for room: a
 * response's body stays alive a little after its last byte went, and a
 * burst of scrapes must not cut scrapers taking theirs */
#define HSCRAPE_GRACE_NS (250 * INT64_C(1000000))

struct hbody {
	struct hscrape *s;
	struct hbody *prev, *next; /* alive, oldest first */
	unsigned refs; /* under s->lock */
	enum expo_format fmt;
	struct scrape_buf *buf; /* plain */
	char *z; /* gzip */
	size_t zlen;
};

struct hscrape {
	struct exporter *x;
	const struct hscrape_ops *ops;
	void *cls;
	unsigned max_waiting, max_bodies;
	pthread_mutex_t lock;
	pthread_cond_t wake, room; /* a request came; a body went */
	struct hscrape_req *head, **tailp;
	unsigned waiting; /* reserved and not yet answered */
	struct hbody *oldest, *newest;
	unsigned bodies;
	bool stop, started;
	pthread_t thread;
};

/* Waits on cv until now + ns (monotonic); the caller holds s->lock. */
static void hscrape_wait(struct hscrape *s, pthread_cond_t *cv, int64_t ns)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ns += ts.tv_nsec;
	ts.tv_sec += (time_t)(ns / 1000000000);
	ts.tv_nsec = (long)(ns % 1000000000);
	pthread_cond_timedwait(cv, &s->lock, &ts);
}

/* A new body of fmt with one reference (the worker's), or NULL. */
static struct hbody *hbody_new(struct hscrape *s, enum expo_format fmt)
{
	struct hbody *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->s = s;
	b->refs = 1;
	b->fmt = fmt;
	pthread_mutex_lock(&s->lock);
	b->prev = s->newest;
	if (s->newest)
		s->newest->next = b;
	else
		s->oldest = b;
	s->newest = b;
	s->bodies++;
	pthread_mutex_unlock(&s->lock);
	return b;
}

static void hbody_ref(struct hbody *b)
{
	pthread_mutex_lock(&b->s->lock);
	b->refs++;
	pthread_mutex_unlock(&b->s->lock);
}

void hbody_unref(struct hbody *b)
{
	struct hscrape *s;
	bool last;

	if (!b)
		return;
	s = b->s;
	pthread_mutex_lock(&s->lock);
	last = --b->refs == 0;
	if (last) {
		if (b->prev)
			b->prev->next = b->next;
		else
			s->oldest = b->next;
		if (b->next)
			b->next->prev = b->prev;
		else
			s->newest = b->prev;
		s->bodies--;
		pthread_cond_signal(&s->room);
	}
	pthread_mutex_unlock(&s->lock);
	if (!last)
		return;
	if (b->buf)
		scrape_buf_give(b->buf);
	free(b->z);
	free(b);
}

enum expo_format hbody_format(const struct hbody *b)
{
	return b->fmt;
}

const char *hbody_gzip(const struct hbody *b, size_t *len)
{
	*len = b->zlen;
	return b->z;
}

const struct expo_pieces *hbody_pieces(const struct hbody *b)
{
	return b->buf ? &b->buf->pieces : NULL;
}

/* Waits until need more bodies fit, cutting the senders of the oldest;
 * false when they did not go in time. */
static bool hscrape_room(struct hscrape *s, unsigned need)
{
	int64_t deadline = exporter_mono_ns() + HSCRAPE_ROOM_NS;
	bool ok;

	pthread_mutex_lock(&s->lock);
	while (s->bodies + need > s->max_bodies &&
	       exporter_mono_ns() < deadline) {
		/* only compared with, never followed: it may go meanwhile,
		 * and only this thread makes new ones */
		const struct hbody *old = s->oldest;

		pthread_mutex_unlock(&s->lock);
		s->ops->cut(s->cls, old, exporter_mono_ns() - HSCRAPE_GRACE_NS);
		pthread_mutex_lock(&s->lock);
		if (s->bodies + need > s->max_bodies)
			hscrape_wait(s, &s->room, HSCRAPE_ROOM_POLL_NS);
	}
	ok = s->bodies + need <= s->max_bodies;
	pthread_mutex_unlock(&s->lock);
	return ok;
}

/* Renders fmt once into made[0] (plain) and made[1] (gzip), as wanted;
 * without memory for gzip the plain text answers those too. 0 or
 * -errno. */
static int hscrape_render(struct hscrape *s, enum expo_format fmt,
			  const bool want[2], struct hbody *made[2])
{
	struct scrape_buf *buf;
	int rc;

	if (!hscrape_room(s, (unsigned)want[0] + (unsigned)want[1]))
		return -EBUSY;
	buf = scrape_buf_take(s->x);
	rc = buf ? scrape_render(fmt, buf) : -ENOMEM;
	if (rc)
		goto out;
	if (want[1]) {
		size_t zlen = 0;
		char *z = gzip_pieces(&buf->pieces, &zlen);

		made[1] = z ? hbody_new(s, fmt) : NULL;
		if (made[1]) {
			made[1]->z = z;
			made[1]->zlen = zlen;
		} else {
			free(z);
		}
	}
	if (want[0] || !made[1]) {
		made[0] = hbody_new(s, fmt);
		if (!made[0]) {
			rc = -ENOMEM;
			goto out;
		}
		made[0]->buf = buf; /* the body's now */
		buf = NULL;
	}
out:
	if (buf)
		scrape_buf_give(buf);
	return rc;
}

/* Answers every request of the batch: one render per format asked for. */
static void hscrape_serve(struct hscrape *s, struct hscrape_req *batch,
			  bool stopping)
{
	bool want[2][2] = { { false } };
	struct hbody *made[2][2] = { { NULL } };
	int err[2] = { 0, 0 };

	for (struct hscrape_req *r = batch; r; r = r->next)
		want[r->fmt == EXPO_OPENMETRICS][r->gzip] = true;
	for (int f = 0; f < 2; f++)
		if (want[f][0] || want[f][1])
			err[f] = stopping ? -ESHUTDOWN
					  : hscrape_render(s,
							   f ? EXPO_OPENMETRICS
							     : EXPO_TEXT,
							   want[f], made[f]);
	while (batch) {
		struct hscrape_req *r = batch;
		int f = r->fmt == EXPO_OPENMETRICS;
		struct hbody *b = made[f][r->gzip] ? made[f][r->gzip]
						   : made[f][0];

		batch = r->next; /* r is the caller's once ready */
		r->next = NULL;
		r->err = b ? 0 : err[f] ? err[f] : -ENOMEM;
		r->body = b;
		if (b)
			hbody_ref(b);
		pthread_mutex_lock(&s->lock);
		s->waiting--;
		pthread_mutex_unlock(&s->lock);
		s->ops->ready(s->cls, r);
	}
	for (int f = 0; f < 2; f++)
		for (int z = 0; z < 2; z++)
			hbody_unref(made[f][z]);
}

static void *hscrape_main(void *arg)
{
	struct hscrape *s = arg;
	int64_t last_tick = exporter_mono_ns();
	struct hscrape_req *batch;

	pthread_mutex_lock(&s->lock);
	while (!s->stop) {
		int64_t now = exporter_mono_ns();

		if (now - last_tick >= HSCRAPE_TICK_NS) {
			pthread_mutex_unlock(&s->lock);
			s->ops->tick(s->cls);
			last_tick = now;
			pthread_mutex_lock(&s->lock);
		} else if (s->head) {
			batch = s->head;
			s->head = NULL;
			s->tailp = &s->head;
			pthread_mutex_unlock(&s->lock);
			hscrape_serve(s, batch, false);
			pthread_mutex_lock(&s->lock);
		} else {
			hscrape_wait(s, &s->wake,
				     last_tick + HSCRAPE_TICK_NS - now);
		}
	}
	/* submit queues nothing once stop is set: this is the last batch */
	batch = s->head;
	s->head = NULL;
	s->tailp = &s->head;
	pthread_mutex_unlock(&s->lock);
	hscrape_serve(s, batch, true);
	return NULL;
}

struct hscrape *hscrape_start(struct exporter *x, const struct hscrape_ops *ops,
			      void *cls, unsigned max_waiting,
			      unsigned max_bodies)
{
	struct hscrape *s = calloc(1, sizeof(*s));
	pthread_condattr_t ca;
	int rc;

	if (!s)
		return NULL;
	s->x = x;
	s->ops = ops;
	s->cls = cls;
	s->max_waiting = max_waiting;
	s->max_bodies = max_bodies < 2 ? 2 : max_bodies;
	s->tailp = &s->head;
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->wake, &ca);
	pthread_cond_init(&s->room, &ca);
	pthread_condattr_destroy(&ca);
	rc = pthread_create(&s->thread, NULL, hscrape_main, s);
	if (rc) {
		hscrape_free(s);
		errno = rc;
		return NULL;
	}
	pthread_setname_np(s->thread, "ae-scrape"); /* for the bench */
	s->started = true;
	return s;
}

bool hscrape_reserve(struct hscrape *s)
{
	bool ok;

	pthread_mutex_lock(&s->lock);
	ok = !s->stop && (!s->max_waiting || s->waiting < s->max_waiting);
	if (ok)
		s->waiting++;
	pthread_mutex_unlock(&s->lock);
	return ok;
}

void hscrape_release(struct hscrape *s)
{
	pthread_mutex_lock(&s->lock);
	s->waiting--;
	pthread_mutex_unlock(&s->lock);
}

void hscrape_submit(struct hscrape *s, struct hscrape_req *r)
{
	bool stopped;

	r->next = NULL;
	r->body = NULL;
	pthread_mutex_lock(&s->lock);
	stopped = s->stop;
	if (!stopped) {
		*s->tailp = r;
		s->tailp = &r->next;
		pthread_cond_signal(&s->wake);
	} else {
		s->waiting--;
	}
	pthread_mutex_unlock(&s->lock);
	if (stopped) {
		r->err = -ESHUTDOWN;
		s->ops->ready(s->cls, r);
	}
}

void hscrape_stop(struct hscrape *s)
{
	if (!s || !s->started)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	s->started = false;
}

void hscrape_free(struct hscrape *s)
{
	if (!s)
		return;
	hscrape_stop(s);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->wake);
	pthread_cond_destroy(&s->room);
	free(s);
}
