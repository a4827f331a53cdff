/*
 * gzip: the exposition's pieces as one gzip member, on two cores when it
 * is large.
 *
 * Prometheus asks for gzip on every scrape, and deflate (zlib, level 1,
 * about 600 MB/s here) was over half of a gzip scrape of 5 MB: 8 ms of
 * 14. So an exposition of GZIP_SPLIT bytes or more is deflated in two
 * halves at once, the second on a thread of its own, as pigz does:
 *
 *   header   10 bytes, written here (no name, no time: as zlib writes it)
 *   first    raw deflate of bytes [0, h), ended by a sync flush: no final
 *            block, and byte-aligned, so that the next can follow it
 *   second   raw deflate of bytes [h, n), primed with the last 32 KiB of
 *            the first half as its dictionary (what one stream would have
 *            had in its window), ended by a final block
 *   trailer  CRC-32 of all n bytes (crc32_combine of the halves' CRCs)
 *            and n mod 2^32, little-endian
 *
 * which gunzip reads as one stream. Each half's CRC is computed by the
 * thread that deflates it. Below GZIP_SPLIT, or when no thread can be
 * had (TasksMax), one stream as zlib writes it: the output differs only
 * in its bytes, never in what it inflates to.
 */
#include "exporter/gzip.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define GZIP_LEVEL 1
#define GZIP_WINDOW 32768
#define GZIP_HEADER 10
#define GZIP_TRAILER 8

/* One half: bytes [from, to) of the pieces, deflated raw into out. */
struct gzip_half {
	const struct expo_pieces *ps;
	size_t from, to;
	bool last; /* ends the stream */
	unsigned char *out;
	size_t cap, len; /* out's room and bytes written */
	uLong crc;
	int rc; /* Z_OK, or what failed */
};

/* Feeds the pieces' bytes [from, to) to z with Z_NO_FLUSH, updating crc
 * (when crc is not NULL). */
static int gzip_feed(z_stream *z, const struct expo_pieces *ps, size_t from,
		     size_t to, uLong *crc)
{
	size_t at = 0;
	int rc = Z_OK;

	for (size_t i = 0; i < ps->n && at < to && rc == Z_OK; i++) {
		size_t a = at, b = at + ps->v[i].len;

		at = b;
		if (b <= from)
			continue;
		a = a < from ? from : a;
		b = b > to ? to : b;
		for (size_t off = a; off < b && rc == Z_OK;) {
			/* avail_in is a uInt */
			size_t chunk = b - off < (1u << 30) ? b - off
							    : (1u << 30);
			const Bytef *p = (const Bytef *)ps->v[i].p +
					 (off - (at - ps->v[i].len));

			z->next_in = (Bytef *)p;
			z->avail_in = (uInt)chunk;
			if (crc)
				*crc = crc32(*crc, p, (uInt)chunk);
			rc = deflate(z, Z_NO_FLUSH);
			if (rc == Z_OK && z->avail_in)
				rc = Z_BUF_ERROR; /* out of room: cannot be */
			off += chunk;
		}
	}
	return rc;
}

/* Copies the pieces' bytes [from, to) into dst. */
static void gzip_copy(const struct expo_pieces *ps, size_t from, size_t to,
		      unsigned char *dst)
{
	size_t at = 0;

	for (size_t i = 0; i < ps->n && at < to; i++) {
		size_t a = at, b = at + ps->v[i].len;

		at = b;
		if (b <= from)
			continue;
		a = a < from ? from : a;
		b = b > to ? to : b;
		memcpy(dst, ps->v[i].p + (a - (at - ps->v[i].len)), b - a);
		dst += b - a;
	}
}

static void *gzip_half_run(void *arg)
{
	struct gzip_half *g = arg;
	z_stream z = { 0 };
	int rc;

	g->crc = crc32(0, Z_NULL, 0);
	rc = deflateInit2(&z, GZIP_LEVEL, Z_DEFLATED, -15, 8,
			  Z_DEFAULT_STRATEGY);
	if (rc != Z_OK) {
		g->rc = rc;
		return NULL;
	}
	if (g->from > 0) {
		size_t d = g->from < GZIP_WINDOW ? g->from : GZIP_WINDOW;
		unsigned char dict[GZIP_WINDOW];

		gzip_copy(g->ps, g->from - d, g->from, dict);
		rc = deflateSetDictionary(&z, dict, (uInt)d);
	}
	z.next_out = g->out;
	z.avail_out = (uInt)g->cap;
	if (rc == Z_OK)
		rc = gzip_feed(&z, g->ps, g->from, g->to, &g->crc);
	if (rc == Z_OK) {
		rc = deflate(&z, g->last ? Z_FINISH : Z_SYNC_FLUSH);
		rc = rc == (g->last ? Z_STREAM_END : Z_OK) ? Z_OK : Z_BUF_ERROR;
	}
	g->len = g->cap - z.avail_out;
	g->rc = rc;
	deflateEnd(&z);
	return NULL;
}

/* Room for the raw deflate of n bytes, ended by a sync flush or a final
 * block: deflateBound's figure for the stream's own settings, and the
 * flush's empty stored block. */
static size_t gzip_bound(size_t n)
{
	z_stream z = { 0 };
	size_t b = n + n / 8 + 1024; /* if init fails: generous */

	if (deflateInit2(&z, GZIP_LEVEL, Z_DEFLATED, -15, 8,
			 Z_DEFAULT_STRATEGY) == Z_OK) {
		b = deflateBound(&z, n) + 16;
		deflateEnd(&z);
	}
	return b;
}

static void gzip_put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

char *gzip_pieces_split(const struct expo_pieces *ps, size_t split,
			size_t *outlen)
{
	static const unsigned char header[GZIP_HEADER] = {
		0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 3
	};
	size_t n = ps->len, h = split && n >= split ? n / 2 : n;
	struct gzip_half a = { ps, 0, h, h == n, NULL, 0, 0, 0, Z_OK };
	struct gzip_half b = { ps, h, n, true, NULL, 0, 0, 0, Z_OK };
	unsigned char *out;
	pthread_t t;
	bool threaded = false;

	a.cap = gzip_bound(h);
	out = malloc(GZIP_HEADER + a.cap + GZIP_TRAILER);
	if (!out)
		return NULL;
	a.out = out + GZIP_HEADER;
	if (h < n) {
		b.cap = gzip_bound(n - h);
		b.out = malloc(b.cap);
		threaded = b.out &&
			   pthread_create(&t, NULL, gzip_half_run, &b) == 0;
		if (!threaded) { /* one stream after all */
			free(b.out);
			free(out);
			return gzip_pieces_split(ps, 0, outlen);
		}
	}
	gzip_half_run(&a);
	if (threaded)
		pthread_join(t, NULL);
	if (a.rc != Z_OK || b.rc != Z_OK)
		goto fail;
	if (h < n) {
		unsigned char *grown = realloc(
			out, GZIP_HEADER + a.len + b.len + GZIP_TRAILER);

		if (!grown)
			goto fail;
		out = grown;
		memcpy(out + GZIP_HEADER + a.len, b.out, b.len);
		a.crc = crc32_combine(a.crc, b.crc, (z_off_t)(n - h));
		a.len += b.len;
	}
	memcpy(out, header, GZIP_HEADER);
	gzip_put32(out + GZIP_HEADER + a.len, (uint32_t)a.crc);
	gzip_put32(out + GZIP_HEADER + a.len + 4, (uint32_t)n);
	*outlen = GZIP_HEADER + a.len + GZIP_TRAILER;
	free(b.out);
	return (char *)out;
fail:
	free(b.out);
	free(out);
	return NULL;
}

char *gzip_pieces(const struct expo_pieces *ps, size_t *outlen)
{
	return gzip_pieces_split(ps, GZIP_SPLIT, outlen);
}
