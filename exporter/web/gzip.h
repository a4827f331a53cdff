/* gzip: the exposition's pieces as one gzip member. See gzip.c. */
#ifndef AE_EXPORTER_WEB_GZIP_H
#define AE_EXPORTER_WEB_GZIP_H

#include <stddef.h>

#include "metrics/expo.h"

/* Expositions this large or larger are deflated in two halves at once. */
#define GZIP_SPLIT ((size_t)1 << 20)

/* The pieces as a gzip member in a new buffer (*outlen bytes; the caller
 * frees it), or NULL without memory. */
char *gzip_pieces(const struct expo_pieces *ps, size_t *outlen);
/* The same, split at `split` bytes instead of GZIP_SPLIT (0: never), for
 * tests. */
char *gzip_pieces_split(const struct expo_pieces *ps, size_t split,
			size_t *outlen);

#endif
