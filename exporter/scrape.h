/* scrape: the whole exposition, collector by collector. See scrape.c. */
#ifndef AE_EXPORTER_SCRAPE_H
#define AE_EXPORTER_SCRAPE_H

#include "metrics/dbuf.h"
#include "metrics/expo.h"

struct exporter;

/* Appends the exposition in fmt to out. Never called by the reader thread
 * (it takes the exporter's lock in short slices). Returns 0, or -E2BIG /
 * -ENOMEM when the output cap was reached (out then holds nothing useful). */
int scrape_render(struct exporter *x, enum expo_format fmt, struct dbuf *out);

#endif
