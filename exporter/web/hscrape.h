/* hscrape: scrapes rendered on one thread, shared, and bounded. See
 * hscrape.c. */
#ifndef AE_EXPORTER_WEB_HSCRAPE_H
#define AE_EXPORTER_WEB_HSCRAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics/expo.h"

struct exporter;
struct hscrape;
/* A rendered exposition in one format, plain or gzip; shared by every
 * scrape it answers, freed with the last reference. */
struct hbody;

/* One scrape waiting for a body, embedded in the caller's object. */
struct hscrape_req {
	struct hscrape_req *next; /* the table's */
	enum expo_format fmt;
	bool gzip;
	/* set before ready(): a body whose reference is the caller's, or
	 * NULL and why (-EBUSY: no room for another body in time,
	 * -ENOMEM/-E2BIG: not rendered, -ESHUTDOWN: stopping) */
	struct hbody *body;
	int err;
};

struct hscrape_ops {
	/* the request has its answer (worker thread) */
	void (*ready)(void *cls, struct hscrape_req *r);
	/* shut down the connections sending b since before (monotonic ns)
	 * or earlier (worker thread) */
	void (*cut)(void *cls, const struct hbody *b, int64_t before);
	/* about four times a second (worker thread) */
	void (*tick)(void *cls);
};

/* Starts the worker: at most max_waiting requests waiting (0: no limit),
 * at most max_bodies bodies alive. NULL with errno. */
struct hscrape *hscrape_start(struct exporter *x, const struct hscrape_ops *ops,
			      void *cls, unsigned max_waiting,
			      unsigned max_bodies);
/* Takes a place for a request: false when max_waiting are waiting (the
 * answer is then 503). Any thread. */
bool hscrape_reserve(struct hscrape *s);
/* Gives back a place reserved and not used. Any thread. */
void hscrape_release(struct hscrape *s);
/* Queues r in the place reserved; ready() follows on the worker. */
void hscrape_submit(struct hscrape *s, struct hscrape_req *r);
/* Stops the worker; requests still waiting get -ESHUTDOWN. */
void hscrape_stop(struct hscrape *s);
/* Frees s once every body is gone (after the server stopped). */
void hscrape_free(struct hscrape *s);

/* Drops a reference (any thread); the last frees the body. NULL: none. */
void hbody_unref(struct hbody *b);
enum expo_format hbody_format(const struct hbody *b);
/* The gzip stream and its length, or NULL for a plain body. */
const char *hbody_gzip(const struct hbody *b, size_t *len);
/* The plain exposition's pieces, or NULL for a gzip body. */
const struct expo_pieces *hbody_pieces(const struct hbody *b);

#endif
