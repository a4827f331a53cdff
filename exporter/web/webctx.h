/* webctx: the web configuration in force, reloaded when its files change.
 * See webctx.c. */
#ifndef AE_EXPORTER_WEB_WEBCTX_H
#define AE_EXPORTER_WEB_WEBCTX_H

#include <stdatomic.h>

#include "exporter/web/webcfg.h"

/* One loaded configuration, shared by the connections that started under
 * it. */
struct webctx {
	struct webcfg *web;
	struct webcfg_auth_cache *auth_cache; /* with basic_auth_users */
	atomic_uint refs;
};

/* The file, the configuration loaded from it, and what its files looked
 * like then. */
struct webctx_file;

/* Loads path (webcfg_load). NULL with err set on any problem. */
struct webctx_file *webctx_file_open(const char *path, char *err,
				     size_t errlen);
/* Stops watching; connections may still hold their configuration. */
void webctx_file_close(struct webctx_file *f);

/* The configuration in force, with a reference for the caller (NULL for a
 * NULL f). At most once a second it first looks whether the file or one it
 * names changed, and if so (or if the last load failed) loads it again.
 * Any thread. */
struct webctx *webctx_acquire(struct webctx_file *f);
void webctx_release(struct webctx *c);
/* Loads the file again now, changed or not (SIGHUP). */
void webctx_reload(struct webctx_file *f);

#endif
