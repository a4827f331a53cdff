/* scrape: the whole exposition, collector by collector. See scrape.c. */
#ifndef AE_EXPORTER_SCRAPE_H
#define AE_EXPORTER_SCRAPE_H

#include "metrics/dbuf.h"
#include "metrics/expo.h"

struct exporter;

/* A scrape's memory: the samples as the collectors write them (body),
 * the HELP and TYPE lines (meta), and the exposition in order as pieces
 * of both. */
struct scrape_buf {
	struct exporter *x;
	struct dbuf body, meta;
	struct expo_pieces pieces;
};
/* The buffers the last scrape gave back, or new ones; NULL without
 * memory. */
struct scrape_buf *scrape_buf_take(struct exporter *x);
/* Keeps b for the next scrape, or frees it if one is kept already. */
void scrape_buf_give(struct scrape_buf *b);
/* Frees the kept buffers (at exit, after the last scrape). */
void scrape_buf_drop(struct exporter *x);

/* Renders the exposition in fmt into b->pieces. Never called by the
 * reader thread (it takes the exporter's lock in short slices). Returns 0,
 * or -E2BIG / -ENOMEM when the output cap was reached (b->pieces then
 * hold nothing useful). */
int scrape_render(enum expo_format fmt, struct scrape_buf *b);

/* What collectors write with (their coll_def.write), during
 * scrape_render; 0 or a negative errno, and the collector reports
 * failure. */
struct scrape;
struct fam;
/* One family: its rows copied under the lock, estimated, sorted and
 * written. */
int scrape_family(struct scrape *sc, struct fam *f);
/* With --sketch.export-registers, the registers of the union of the
 * host-wide sketches (host: that family, every label set), folded; else
 * nothing. */
int scrape_registers(struct scrape *sc, struct fam *host);
/* For a collector whose write does more than families (users): the
 * exporter's lock, to be held only for short slices; what the
 * collector's init kept (NULL: off); the exposition being written. */
void scrape_lock(struct scrape *sc);
void scrape_unlock(struct scrape *sc);
void *scrape_coll_state(struct scrape *sc, const char *coll);
struct expo *scrape_expo(struct scrape *sc);
/* The scrape's clock (the source's, read once at its start), ms. */
int64_t scrape_now_ms(const struct scrape *sc);
/* The kernel collector: audit_kernel_* from the status polled last;
 * nothing for a text source. */
int scrape_kernel(struct scrape *sc, struct fam *const *fam);

#endif
