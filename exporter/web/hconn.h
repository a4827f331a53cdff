/* hconn: the HTTP server's connections, their deadlines and eviction.
 * See hconn.c. */
#ifndef AE_EXPORTER_WEB_HCONN_H
#define AE_EXPORTER_WEB_HCONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum hconn_state {
	HCONN_READING, /* a request is arriving: read deadline */
	HCONN_IDLE, /* kept alive between requests: idle deadline */
	HCONN_BUSY, /* being answered (rendering): never cut */
	HCONN_SENDING, /* its answer is going out: may be evicted */
};

/* One connection, embedded in the caller's own per-connection object;
 * the fields are the table's (read them under no lock only from the
 * connection's own thread: state, body). */
struct hconn {
	struct hconn *prev, *next; /* in the table, oldest state first */
	int fd;
	enum hconn_state state;
	int64_t since_ns; /* when the state began (monotonic) */
	const void *body; /* what it is sending (HCONN_SENDING), or NULL */
	bool cut; /* shut down by the table, waiting to be closed */
};

struct hconn_table;

/* A table of at most max live connections: a request must arrive within
 * read_ns of its connection starting or of its first line, and a kept
 * connection may idle idle_ns. NULL with errno. */
struct hconn_table *hconn_table_new(unsigned max, int64_t read_ns,
				    int64_t idle_ns);
void hconn_table_free(struct hconn_table *t);
/* Adds connection c on socket fd, READING since now. Over max, the
 * longest-waiting connection that is not BUSY is shut down (or c itself
 * when every other one is). Any thread. */
void hconn_open(struct hconn_table *t, struct hconn *c, int fd, int64_t now);
/* Removes c (before its socket is closed). Any thread. */
void hconn_close(struct hconn_table *t, struct hconn *c);
/* c enters state (body: what it sends in HCONN_SENDING) at now. */
void hconn_set(struct hconn_table *t, struct hconn *c, enum hconn_state state,
	       const void *body, int64_t now);
/* A new request's first line arrived on c: a kept connection (IDLE) goes
 * READING, with the read deadline from now. */
void hconn_request(struct hconn_table *t, struct hconn *c, int64_t now);
/* Shuts down the connections past their deadline at now; returns how
 * many. */
unsigned hconn_sweep(struct hconn_table *t, int64_t now);
/* Shuts down the connections sending body since before (monotonic ns)
 * or earlier; returns how many. */
unsigned hconn_cut_body(struct hconn_table *t, const void *body,
			int64_t before);
/* Connections shut down for their deadline or evicted, since the start. */
uint64_t hconn_cuts(struct hconn_table *t);

#endif
