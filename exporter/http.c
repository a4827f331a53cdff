/*
 * http: the /metrics server, on libmicrohttpd.
 *
 *   GET/HEAD <telemetry path>   the exposition: text 0.0.4 or OpenMetrics
 *                               by Accept, gzip by Accept-Encoding
 *   GET/HEAD /                  a landing page linking to it
 *   anything else               404; other methods 405 with Allow
 *   over --web.max-requests     503 (scrapes in progress at once)
 *
 * One daemon per --web.listen-address, each on a socket made here (so
 * ":port" is one dual-stack IPv6 socket that also takes IPv4, and
 * "0.0.0.0:port" or "[::1]:port" mean exactly that). libmicrohttpd runs an
 * epoll thread pool; a scrape renders inside its handler, which only reads
 * metric state (exporter/scrape takes the lock in short slices), so a slow
 * scrape never holds up event intake, and slow or idle clients only hold a
 * connection slot. Limits are explicit: connections in total and per IP,
 * an idle timeout, and a per-connection memory limit that makes
 * libmicrohttpd refuse oversized request headers itself.
 */
#include "exporter/http.h"

#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include "exporter/accept.h"
#include "exporter/exporter.h"
#include "exporter/log.h"
#include "exporter/scrape.h"

#define HTTP_THREADS 4
#define HTTP_CONN_LIMIT 1024
#define HTTP_PER_IP_LIMIT 256
#define HTTP_TIMEOUT_S 30
#define HTTP_CONN_MEMORY (64 * 1024)

struct http {
	struct exporter *x;
	struct MHD_Daemon *d[CFG_MAX_LISTEN];
	unsigned n;
	atomic_uint inflight;
	char *landing;
};

int http_listen(const char *addr, char *err, size_t errlen)
{
	char host[256], port[16];
	const char *colon = strrchr(addr, ':');
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	size_t hlen;
	int fd = -1, one = 1, zero = 0, rc;

	if (!colon || !colon[1] || strlen(colon + 1) >= sizeof(port)) {
		snprintf(err, errlen, "listen address '%s' is not [host]:port",
			 addr);
		return -EINVAL;
	}
	strcpy(port, colon + 1);
	hlen = (size_t)(colon - addr);
	if (hlen >= 2 && addr[0] == '[' && addr[hlen - 1] == ']') {
		addr++;
		hlen -= 2;
	}
	if (hlen >= sizeof(host)) {
		snprintf(err, errlen, "listen address host too long");
		return -EINVAL;
	}
	memcpy(host, addr, hlen);
	host[hlen] = 0;
	/* ":port": every address, IPv6 and IPv4 on one socket */
	hints.ai_family = hlen ? AF_UNSPEC : AF_INET6;
	rc = getaddrinfo(hlen ? host : NULL, port, &hints, &res);
	if (rc) {
		snprintf(err, errlen, "listen address '%s': %s", addr,
			 gai_strerror(rc));
		return -EINVAL;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (res->ai_family == AF_INET6 && !hlen)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, res->ai_addr, res->ai_addrlen) || listen(fd, 128))
		goto fail;
	freeaddrinfo(res);
	return fd;
fail:
	rc = -errno;
	snprintf(err, errlen, "cannot listen on %s: %s", addr, strerror(errno));
	if (fd >= 0)
		close(fd);
	freeaddrinfo(res);
	return rc;
}

static enum MHD_Result http_send(struct MHD_Connection *c, unsigned status,
				 const char *type, const char *body)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* gzip of in into a new buffer; NULL on failure. */
static char *http_gzip(const char *in, size_t len, size_t *outlen)
{
	z_stream z = { 0 };
	size_t cap = deflateBound(&z, len) + 64;
	char *out = malloc(cap);

	if (!out)
		return NULL;
	if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK) {
		free(out);
		return NULL;
	}
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&z);
		free(out);
		return NULL;
	}
	*outlen = z.total_out;
	deflateEnd(&z);
	return out;
}

static enum MHD_Result http_metrics(struct http *h, struct MHD_Connection *c)
{
	const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							 MHD_HTTP_HEADER_ACCEPT);
	const char *enc = MHD_lookup_connection_value(
		c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	enum expo_format fmt = accept_format(accept);
	struct MHD_Response *r;
	struct dbuf out;
	enum MHD_Result ret;
	char *body;
	size_t len;
	bool gz = accept_gzip(enc);
	unsigned n = atomic_fetch_add(&h->inflight, 1) + 1;

	if (h->x->cfg.max_requests && n > h->x->cfg.max_requests) {
		atomic_fetch_sub(&h->inflight, 1);
		return http_send(c, MHD_HTTP_SERVICE_UNAVAILABLE,
				 "text/plain; charset=utf-8",
				 "too many concurrent scrapes "
				 "(--web.max-requests)\n");
	}
	dbuf_init(&out, 1u << 30);
	if (scrape_render(h->x, fmt, &out)) {
		atomic_fetch_sub(&h->inflight, 1);
		dbuf_free(&out);
		log_error("scrape failed: exposition too large or out of memory");
		return http_send(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
				 "text/plain; charset=utf-8",
				 "the exposition could not be rendered\n");
	}
	atomic_fetch_sub(&h->inflight, 1);
	body = dbuf_take(&out, &len);
	if (gz) {
		size_t zlen;
		char *z = http_gzip(body ? body : "", len, &zlen);

		if (z) {
			free(body);
			body = z;
			len = zlen;
		} else {
			gz = false;
		}
	}
	r = MHD_create_response_from_buffer(len, body ? body : (void *)"",
					    body ? MHD_RESPMEM_MUST_FREE
						 : MHD_RESPMEM_PERSISTENT);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				fmt == EXPO_OPENMETRICS ? EXPO_CT_OPENMETRICS
							: EXPO_CT_TEXT);
	MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
	if (gz)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING,
					"gzip");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result http_handler(void *cls, struct MHD_Connection *c,
				    const char *url, const char *method,
				    const char *version,
				    const char *upload_data,
				    size_t *upload_data_size, void **req_cls)
{
	struct http *h = cls;

	(void)version;
	(void)upload_data;
	if (*req_cls == NULL) {
		/* headers are in; wait for the body (if any) */
		*req_cls = h;
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0; /* a body is read and ignored */
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD))
		return http_send(c, MHD_HTTP_METHOD_NOT_ALLOWED,
				 "text/plain; charset=utf-8",
				 "method not allowed: use GET\n");
	if (!strcmp(url, h->x->cfg.telemetry_path))
		return http_metrics(h, c);
	if (!strcmp(url, "/"))
		return http_send(c, MHD_HTTP_OK, "text/html; charset=utf-8",
				 h->landing);
	return http_send(c, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8",
			 "not found\n");
}

static void http_logger(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = 0;
	log_debug("libmicrohttpd", "detail", msg);
}

static char *http_landing(const char *path)
{
	struct dbuf b;

	dbuf_init(&b, 16384);
	dbuf_adds(&b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
		      "<title>audit_exporter</title></head>\n<body>"
		      "<h1>audit_exporter</h1>\n<p>Linux kernel audit events "
		      "as Prometheus metrics.</p>\n<p><a href=\"");
	for (const char *p = path; *p; p++) {
		switch (*p) {
		case '<':
			dbuf_adds(&b, "&lt;");
			break;
		case '>':
			dbuf_adds(&b, "&gt;");
			break;
		case '&':
			dbuf_adds(&b, "&amp;");
			break;
		case '"':
			dbuf_adds(&b, "&quot;");
			break;
		default:
			dbuf_addc(&b, *p);
		}
	}
	dbuf_adds(&b, "\">Metrics</a></p>\n<p>Version " AE_VERSION
		      " (revision " AE_REVISION ")</p>\n</body></html>\n");
	if (b.failed) {
		dbuf_free(&b);
		return NULL;
	}
	return dbuf_take(&b, NULL);
}

struct http *http_start(struct exporter *x, char *err, size_t errlen)
{
	struct http *h = calloc(1, sizeof(*h));

	if (!h) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->x = x;
	atomic_init(&h->inflight, 0);
	h->landing = http_landing(x->cfg.telemetry_path);
	if (!h->landing) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (unsigned i = 0; i < x->cfg.nlisten; i++) {
		int fd = http_listen(x->cfg.listen[i], err, errlen);

		if (fd < 0)
			goto fail;
		h->d[h->n] = MHD_start_daemon(
			MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0,
			NULL, NULL, http_handler, h, MHD_OPTION_LISTEN_SOCKET,
			fd, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)HTTP_THREADS,
			MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_CONN_LIMIT,
			MHD_OPTION_PER_IP_CONNECTION_LIMIT,
			(unsigned)HTTP_PER_IP_LIMIT,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_TIMEOUT_S,
			MHD_OPTION_CONNECTION_MEMORY_LIMIT,
			(size_t)HTTP_CONN_MEMORY, MHD_OPTION_EXTERNAL_LOGGER,
			http_logger, NULL, MHD_OPTION_END);
		if (!h->d[h->n]) {
			close(fd);
			snprintf(err, errlen, "cannot start the HTTP server on %s",
				 x->cfg.listen[i]);
			goto fail;
		}
		h->n++;
		log_info("listening", "address", x->cfg.listen[i]);
	}
	return h;
fail:
	http_stop(h);
	return NULL;
}

void http_stop(struct http *h)
{
	if (!h)
		return;
	for (unsigned i = 0; i < h->n; i++)
		MHD_stop_daemon(h->d[i]); /* closes the listening socket too */
	free(h->landing);
	free(h);
}
