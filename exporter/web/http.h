/* http: the /metrics server (libmicrohttpd). See http.c. */
#ifndef AE_EXPORTER_WEB_HTTP_H
#define AE_EXPORTER_WEB_HTTP_H

#include <stddef.h>

struct exporter;
struct http;

/* Starts serving on every --web.listen-address. NULL with err set. */
struct http *http_start(struct exporter *x, char *err, size_t errlen);
/* SIGHUP: loads --web.config.file again (a bad one is logged and the one
 * in force stays). Nothing without the file. */
void http_reload(struct http *h);
/* Stops the server, waiting for requests in progress. */
void http_stop(struct http *h);

#endif
