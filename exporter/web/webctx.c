/*
 * webctx: the web configuration in force, reloaded when its files change.
 *
 * The exporter-toolkit reads its web config file again for every request
 * and TLS handshake, so a renewed certificate or a changed password takes
 * effect without a restart. This does the same for the price of a few
 * stat() calls: when a connection starts (at most once a second) the file
 * and the certificate, key and client CA files it names are looked at, and
 * when one of them changed (device, inode, size, mtime or ctime: an edit
 * in place and a rename or symlink swap both count) the configuration is
 * loaded again. SIGHUP loads it whatever the files say. A configuration
 * that fails to load is logged, and the one in force stays; so does one
 * that switches TLS on, which needs other listening daemons (a restart),
 * and one that would take away a protection the one in force has (TLS,
 * basic auth, client certificates: webcfg_weakens), which fails closed:
 * an empty or cut-short file must not open /metrics. After a failure every look loads it again (a file it names
 * may only now exist), logging an error only when it differs from the
 * last.
 *
 * The files are looked at before they are read, so a change made while
 * they are read is seen at the next look (a certificate written while the
 * old key is still there fails to load, and loads once the key follows).
 * A file named only by the new configuration is looked at just after it
 * was read.
 *
 * Each loaded configuration is a webctx: the parsed file with its GnuTLS
 * credentials and priorities (webcfg_load), and a basic-auth cache. A
 * connection takes a reference when it starts and drops it when it closes
 * (exporter/web/http), so it is served under one configuration from handshake
 * to close, and an old configuration goes when its last connection does.
 */
#include "exporter/web/webctx.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "exporter/exporter.h"
#include "exporter/log.h"

#define WEBCTX_FILES 4 /* the file itself, certificate, key, client CA */
#define WEBCTX_CHECK_MS 1000

/* What tells that a file changed. */
struct webctx_stat {
	int error; /* of stat(); 0 */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};

struct webctx_file {
	char *path;
	pthread_mutex_t lock;
	struct webctx *cur;
	struct webctx_stat seen[WEBCTX_FILES]; /* at the last load */
	int64_t checked_ms;
	char failed[1024]; /* why the last load failed; "" when it did not */
};

/* File i of a configuration w (i 0 is f->path itself); NULL when w is
 * NULL or the PEM is inline. */
static const char *webctx_named(const struct webcfg *w, int i)
{
	if (!w)
		return NULL;
	switch (i) {
	case 1:
		return w->cert.file;
	case 2:
		return w->key.file;
	case 3:
		return w->client_ca.file;
	default:
		return NULL;
	}
}

/* Looks at the file and at those w names. */
static void webctx_look(const struct webctx_file *f, const struct webcfg *w,
			struct webctx_stat out[WEBCTX_FILES])
{
	for (int i = 0; i < WEBCTX_FILES; i++) {
		const char *path = i ? webctx_named(w, i) : f->path;
		struct stat st;

		out[i] = (struct webctx_stat){ 0 };
		if (!path)
			continue;
		if (stat(path, &st)) {
			out[i].error = errno;
			continue;
		}
		out[i].dev = st.st_dev;
		out[i].ino = st.st_ino;
		out[i].size = st.st_size;
		out[i].mtime = st.st_mtim;
		out[i].ctime = st.st_ctim;
	}
}

static bool webctx_same(const struct webctx_stat *a,
			const struct webctx_stat *b)
{
	for (int i = 0; i < WEBCTX_FILES; i++)
		if (a[i].error != b[i].error || a[i].dev != b[i].dev ||
		    a[i].ino != b[i].ino || a[i].size != b[i].size ||
		    a[i].mtime.tv_sec != b[i].mtime.tv_sec ||
		    a[i].mtime.tv_nsec != b[i].mtime.tv_nsec ||
		    a[i].ctime.tv_sec != b[i].ctime.tv_sec ||
		    a[i].ctime.tv_nsec != b[i].ctime.tv_nsec)
			return false;
	return true;
}

/* What the files of w, just loaded, looked like: as in `before` (looked
 * at before reading, under the configuration `old`) where they are the
 * same files, else now. */
static void webctx_seen(struct webctx_file *f, const struct webcfg *w,
			const struct webcfg *old,
			const struct webctx_stat before[WEBCTX_FILES])
{
	webctx_look(f, w, f->seen);
	f->seen[0] = before[0];
	for (int i = 1; i < WEBCTX_FILES; i++) {
		const char *a = webctx_named(w, i), *b = webctx_named(old, i);

		if (a && b && !strcmp(a, b))
			f->seen[i] = before[i];
	}
}

/* Takes w; NULL without memory or randomness (w is then freed). */
static struct webctx *webctx_new(struct webcfg *w)
{
	struct webctx *c = calloc(1, sizeof(*c));

	if (c && w->nusers)
		c->auth_cache = webcfg_auth_cache_new();
	if (!c || (w->nusers && !c->auth_cache)) {
		free(c);
		webcfg_free(w);
		return NULL;
	}
	c->web = w;
	atomic_init(&c->refs, 1);
	return c;
}

void webctx_release(struct webctx *c)
{
	if (!c || atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	webcfg_auth_cache_free(c->auth_cache);
	webcfg_free(c->web);
	free(c);
}

static void webctx_log_loaded(const char *msg, const struct webcfg *w)
{
	char users[16];

	snprintf(users, sizeof(users), "%zu", w->nusers);
	log_info(msg, "file", w->origin, "tls", w->tls ? "on" : "off",
		 "basic_auth_users", users, "http2", "ignored (HTTP/1.1 only)");
}

/* Loads the file again (f->lock held); `before`: its files as they were
 * looked at before. */
static void webctx_load(struct webctx_file *f,
			const struct webctx_stat before[WEBCTX_FILES])
{
	const struct webcfg *old = f->cur->web;
	struct webctx *c = NULL;
	struct webcfg *w;
	char err[1024], lost[64];

	memcpy(f->seen, before, sizeof(f->seen));
	w = webcfg_load(f->path, err, sizeof(err));
	if (w && w->tls && !old->tls) {
		snprintf(err, sizeof(err),
			 "%s: switching TLS on takes a restart", f->path);
		webcfg_free(w);
	} else if (w && webcfg_weakens(old, w, lost, sizeof(lost))) {
		snprintf(err, sizeof(err),
			 "%s: it would remove %s from the running exporter "
			 "(fail closed: that takes a restart)",
			 f->path, lost);
		webcfg_free(w);
	} else if (w && !(c = webctx_new(w))) {
		snprintf(err, sizeof(err), "%s: out of memory or randomness",
			 f->path);
	}
	if (!c) {
		if (strcmp(err, f->failed))
			log_error("web config not reloaded; the one in force "
				  "stays",
				  "reason", err);
		snprintf(f->failed, sizeof(f->failed), "%s", err);
		return;
	}
	f->failed[0] = 0;
	webctx_seen(f, c->web, old, before);
	webctx_release(f->cur);
	f->cur = c;
	webctx_log_loaded("web config reloaded", c->web);
}

struct webctx_file *webctx_file_open(const char *path, char *err, size_t errlen)
{
	struct webctx_file *f = calloc(1, sizeof(*f));
	struct webctx_stat before[WEBCTX_FILES];
	struct webcfg *w;

	if (!f || !(f->path = strdup(path))) {
		snprintf(err, errlen, "out of memory");
		free(f);
		errno = ENOMEM;
		return NULL;
	}
	webctx_look(f, NULL, before);
	w = webcfg_load(path, err, errlen);
	f->cur = w ? webctx_new(w) : NULL;
	if (!f->cur) {
		if (w) {
			snprintf(err, errlen, "%s: out of memory or randomness",
				 path);
			errno = ENOMEM;
		}
		free(f->path);
		free(f);
		return NULL;
	}
	webctx_seen(f, f->cur->web, NULL, before);
	pthread_mutex_init(&f->lock, NULL);
	f->checked_ms = exporter_mono_ms();
	webctx_log_loaded("web config loaded", f->cur->web);
	if (!f->cur->web->tls && !f->cur->web->nusers)
		log_warn("the web config sets neither TLS nor basic auth: "
			 "anyone who reaches the port may scrape",
			 "file", path);
	return f;
}

void webctx_file_close(struct webctx_file *f)
{
	if (!f)
		return;
	webctx_release(f->cur);
	pthread_mutex_destroy(&f->lock);
	free(f->path);
	free(f);
}

struct webctx *webctx_acquire(struct webctx_file *f)
{
	struct webctx_stat now[WEBCTX_FILES];
	struct webctx *c;
	int64_t ms;

	if (!f)
		return NULL;
	pthread_mutex_lock(&f->lock);
	ms = exporter_mono_ms();
	if (ms - f->checked_ms >= WEBCTX_CHECK_MS) {
		f->checked_ms = ms;
		webctx_look(f, f->cur->web, now);
		if (f->failed[0] || !webctx_same(now, f->seen))
			webctx_load(f, now);
	}
	c = f->cur;
	atomic_fetch_add(&c->refs, 1);
	pthread_mutex_unlock(&f->lock);
	return c;
}

void webctx_reload(struct webctx_file *f)
{
	struct webctx_stat now[WEBCTX_FILES];

	if (!f)
		return;
	pthread_mutex_lock(&f->lock);
	f->failed[0] = 0; /* asked for: a failure is said again */
	webctx_look(f, f->cur->web, now);
	webctx_load(f, now);
	pthread_mutex_unlock(&f->lock);
}
