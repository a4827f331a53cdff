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
 *
 * The second half's thread starts on another core than the caller's. The
 * scheduler places a new thread by load averages, and here it put it on
 * the caller's own core in 15 of 25 idle scrapes, where one half waited 3
 * to 4 ms for a turn while the other core idled: two halves took 9-10 ms
 * instead of 5. Once running, the thread may run anywhere again, so that
 * the scheduler can still move it when that core gets busy.
 */
#include "exporter/web/gzip.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define GZIP_LEVEL 1
#define GZIP_WINDOW 32768
#define GZIP_HEADER 10
#define GZIP_TRAILER 8

/* One half: bytes [from, to) of the pieces, deflated raw into a buffer
 * of its own (out), after `pre` bytes left for the header and with `post`
 * more kept for the trailer. */
struct gzip_half {
	const struct expo_pieces *ps;
	size_t from, to;
	bool last; /* ends the stream */
	size_t pre, post;
	unsigned char *out;
	size_t len; /* deflated bytes, at out + pre */
	uLong crc;
	int rc; /* Z_OK, or what failed */
	bool unpin; /* started on other cores than the caller's: */
	cpu_set_t cpus; /* where it may run after all */
};

/* Calls fn on each run of the pieces' bytes [from, to), in order, in runs
 * of at most 1 GiB (zlib counts in uInt), until fn returns non-zero;
 * returns that, or 0. */
static int gzip_each(const struct expo_pieces *ps, size_t from, size_t to,
		     int (*fn)(void *arg, const unsigned char *p, size_t len),
		     void *arg)
{
	size_t start = 0; /* of piece i in the whole */
	int rc = 0;

	for (size_t i = 0; i < ps->n && start < to && !rc; i++) {
		size_t len = ps->v[i].len;
		size_t a = from > start ? from - start : 0;
		size_t b = to - start < len ? to - start : len;

		for (; a < b && !rc; a += (size_t)1 << 30) {
			size_t run = b - a < (size_t)1 << 30 ? b - a
							     : (size_t)1 << 30;

			rc = fn(arg, (const unsigned char *)ps->v[i].p + a,
				run);
		}
		start += len;
	}
	return rc;
}

/* gzip_each: deflates a run with Z_NO_FLUSH into a stream with room for
 * all of it, and adds it to the half's CRC. */
struct gzip_feed {
	z_stream *z;
	uLong *crc;
};

static int gzip_feed(void *arg, const unsigned char *p, size_t len)
{
	struct gzip_feed *f = arg;
	int rc;

	f->z->next_in = (Bytef *)p;
	f->z->avail_in = (uInt)len;
	*f->crc = crc32(*f->crc, p, (uInt)len);
	rc = deflate(f->z, Z_NO_FLUSH);
	if (rc == Z_OK && f->z->avail_in)
		rc = Z_BUF_ERROR; /* out of room: cannot be */
	return rc;
}

/* gzip_each: copies a run to *arg, a cursor. */
static int gzip_copy(void *arg, const unsigned char *p, size_t len)
{
	unsigned char **dst = arg;

	memcpy(*dst, p, len);
	*dst += len;
	return 0;
}

static void *gzip_half_run(void *arg)
{
	struct gzip_half *g = arg;
	z_stream z = { 0 };
	size_t cap;
	int rc;

	g->crc = crc32(0, Z_NULL, 0);
	rc = deflateInit2(&z, GZIP_LEVEL, Z_DEFLATED, -15, 8,
			  Z_DEFAULT_STRATEGY);
	if (rc != Z_OK) {
		g->rc = rc;
		return NULL;
	}
	/* the bound for one deflate to the end, and the sync flush's empty
	 * stored block */
	cap = deflateBound(&z, g->to - g->from) + 16;
	g->out = malloc(g->pre + cap + g->post);
	if (!g->out)
		rc = Z_MEM_ERROR;
	if (rc == Z_OK && g->from > 0) {
		size_t d = g->from < GZIP_WINDOW ? g->from : GZIP_WINDOW;
		unsigned char dict[GZIP_WINDOW], *cur = dict;

		gzip_each(g->ps, g->from - d, g->from, gzip_copy, &cur);
		rc = deflateSetDictionary(&z, dict, (uInt)d);
	}
	z.next_out = g->out + g->pre;
	z.avail_out = (uInt)cap;
	if (rc == Z_OK) {
		struct gzip_feed f = { &z, &g->crc };

		rc = gzip_each(g->ps, g->from, g->to, gzip_feed, &f);
	}
	if (rc == Z_OK) {
		rc = deflate(&z, g->last ? Z_FINISH : Z_SYNC_FLUSH);
		rc = rc == (g->last ? Z_STREAM_END : Z_OK) ? Z_OK : Z_BUF_ERROR;
	}
	g->len = cap - z.avail_out;
	g->rc = rc;
	deflateEnd(&z);
	return NULL;
}

/* The second half's thread: lets itself run where the caller may, then
 * deflates. */
static void *gzip_half_thread(void *arg)
{
	struct gzip_half *g = arg;

	if (g->unpin)
		pthread_setaffinity_np(pthread_self(), sizeof(g->cpus),
				       &g->cpus);
	return gzip_half_run(g);
}

/* Starts g's thread on a core other than the caller's, if the caller may
 * run on another; 0 or an error number. */
static int gzip_half_start(struct gzip_half *g, pthread_t *t)
{
	pthread_attr_t attr;
	cpu_set_t other;
	int cpu = sched_getcpu(), rc;

	if (pthread_attr_init(&attr))
		return EAGAIN;
	if (cpu >= 0 && cpu < CPU_SETSIZE &&
	    sched_getaffinity(0, sizeof(g->cpus), &g->cpus) == 0) {
		other = g->cpus;
		CPU_CLR(cpu, &other);
		g->unpin = CPU_COUNT(&other) > 0 &&
			   pthread_attr_setaffinity_np(&attr, sizeof(other),
						       &other) == 0;
	}
	rc = pthread_create(t, &attr, gzip_half_thread, g);
	pthread_attr_destroy(&attr);
	return rc;
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
	struct gzip_half a = { .ps = ps,
			       .to = h,
			       .last = h == n,
			       .pre = GZIP_HEADER,
			       .post = GZIP_TRAILER };
	struct gzip_half b = { .ps = ps, .from = h, .to = n, .last = true };
	unsigned char *out;
	pthread_t t;

	if (h < n && gzip_half_start(&b, &t) != 0)
		return gzip_pieces_split(ps, 0, outlen); /* one stream */
	gzip_half_run(&a);
	if (h < n)
		pthread_join(t, NULL);
	out = a.out;
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
