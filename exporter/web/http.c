/*
 * http: the /metrics server, on libmicrohttpd.
 *
 *   GET/HEAD <telemetry path>   the exposition: text 0.0.4 or OpenMetrics
 *                               by Accept, gzip by Accept-Encoding
 *   GET/HEAD /                  a landing page linking to it
 *   anything else               404; other methods 405 with Allow
 *   HTTP/1.1 without one Host   400 (as Go: RFC 9112 wants exactly one)
 *   over --web.max-requests     503 (scrapes waiting for a render)
 *
 * One daemon per --web.listen-address, each on a socket made here (so
 * ":port" is one dual-stack IPv6 socket that also takes IPv4, and
 * "0.0.0.0:port" or "[::1]:port" mean exactly that). libmicrohttpd runs an
 * epoll thread pool that only does network work: a scrape's handler
 * suspends its connection and queues it for exporter/web/hscrape's worker,
 * which renders once for every scrape waiting (metric state is only read;
 * exporter/scrape takes the lock in short slices, so a slow scrape never
 * holds up event intake), shares the rendered body among their responses
 * and resumes them. Over --web.max-requests waiting the answer is 503 at
 * once; at most HTTP_MAX_BODIES bodies are alive, the senders of the
 * oldest cut to make room, so clients that never read hold no memory of
 * their own. Limits are explicit: connections in total
 * (--web.max-connections, per listen address) and per client address
 * (--web.max-connections-per-ip), a deadline for a request to arrive
 * (--web.read-timeout, from the connection's start or a kept
 * connection's request line, TLS handshake included), an idle timeout
 * (--web.connection-timeout, whole seconds, rounded up; a kept
 * connection idles at most that long however slowly bytes trickle in),
 * and a per-connection memory limit that makes libmicrohttpd refuse
 * oversized request headers itself. Beyond the per-address limit new
 * connections are closed at once. The total limit and the deadlines are
 * exporter/web/hconn's: every connection is tracked there, a worker thread
 * (hscrape's) cuts the late ones four times a second, and one beyond the
 * total evicts the one that has waited longest and is not being answered
 * (libmicrohttpd's own limit is twice ours, only a backstop), so a
 * scraper gets in however many addresses a flood of slow clients comes
 * from (t_http_attack.sh). An idle or slow connection costs a slot and its
 * memory limit at most; it never holds a thread (epoll, non-blocking), so
 * scrapes keep being answered: t_http_load.sh holds 500.
 *
 * --web.config.file (exporter/web/webcfg) adds, as the exporter-toolkit does:
 *   TLS       libmicrohttpd with GnuTLS, set up by exporter/web/tls: the
 *             daemons start with the certificate, key, client CA and
 *             priorities, each connection's session is set up when
 *             libmicrohttpd announces it (before its handshake), its
 *             client certificate checked in the handshake, and a request
 *             over a suite not in cipher_suites served nothing. This file
 *             only tells tls which configuration a connection started
 *             under (http_tls_verify).
 *   auth      basic_auth_users: every request (all paths) needs a user and
 *             password, checked by webcfg_auth_check (one bcrypt run at
 *             each of the users' costs per attempt, known user or not;
 *             credentials that passed lately pass again without one);
 *             otherwise 401 with WWW-Authenticate. bcrypt runs in the
 *             handler and holds its pool thread meanwhile (about 0.1 s at
 *             cost 10), so a flood of bad passwords slows scrapes down;
 *             rate_limit bounds it (an attempt that runs bcrypt takes a
 *             token from the refused bucket first).
 *   headers   added to every response this file makes (200, 401, 404,
 *             405, 429, 503, and 400 for Host; not to libmicrohttpd's
 *             own 400/413/431).
 *   rate      rate_limit: two token buckets (interval per token, burst
 *             tokens, starting full): one for requests whose credentials
 *             passed (all of them without basic_auth_users), asked after
 *             the check, and one for the rest, asked before a bcrypt run
 *             (or after a check that needed none), so a client without
 *             the password can neither empty the scraper's bucket nor
 *             run bcrypt beyond the rate. An empty bucket is 429 (a
 *             refused request gets 429 rather than 401 then).
 *   http2     accepted and ignored: libmicrohttpd speaks HTTP/1.1 only.
 * Each connection is served under the configuration in force when it
 * started (exporter/web/webctx, which loads the file again when it or a file
 * it names changes, and on SIGHUP): its TLS session gets that
 * configuration's certificate, key, client CA and priorities before the
 * handshake, and its requests that configuration's users, headers and
 * rate limit. Only whether the daemons speak TLS is fixed at start.
 */
#include "exporter/web/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <limits.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "exporter/exporter.h"
#include "exporter/log.h"
#include "exporter/scrape.h"
#include "exporter/web/accept.h"
#include "exporter/web/gzip.h"
#include "exporter/web/hconn.h"
#include "exporter/web/hscrape.h"
#include "exporter/web/tls.h"
#include "exporter/web/webctx.h"

#define HTTP_THREADS 4
#define HTTP_CONN_MEMORY (64 * 1024)
/* rendered expositions alive at once (exporter/web/hscrape): one being
 * sent, one rendered beside it, in both formats */
#define HTTP_MAX_BODIES 4

struct http;

/* One daemon's connections (its cls for the connection callbacks). */
struct http_listener {
	struct http *h;
	struct hconn_table *conns;
};

/* What the server keeps per connection (libmicrohttpd's socket
 * context). */
struct http_conn {
	struct hconn link;
	struct hconn_table *conns;
	/* the configuration it started under: NULL without a web config
	 * file, and for a TLS connection http_notify did not set up */
	struct webctx *ctx;
	struct MHD_Connection *mhd;
	/* a scrape suspended for the worker; answered once it is ready
	 * (set by the worker before it resumes the connection) */
	struct hscrape_req req;
	enum {
		HTTP_REQ_NONE,
		HTTP_REQ_DEFERRED, /* checked, its place taken: suspend next */
		HTTP_REQ_WAITING,
		HTTP_REQ_READY,
	} req_state;
};

struct http {
	struct exporter *x;
	struct webctx_file *webf; /* NULL: plain HTTP, no auth, no headers */
	/* the configuration the daemons started with (TLS or not, for good;
	 * libmicrohttpd was given its certificate, key and CA text) */
	struct webctx *boot;
	struct MHD_Daemon *d[CFG_MAX_LISTEN];
	struct http_listener lis[CFG_MAX_LISTEN];
	unsigned n;
	struct hscrape *scrapes;
	char *landing;
	/* rate_limit's token buckets: [1] for requests whose credentials
	 * did not pass, [0] for the rest */
	pthread_mutex_t rate_lock;
	struct http_bucket {
		double tokens;
		int64_t last_ns;
	} rate[2];
};

/* Parses "[host]:port" into a bound, listening socket. Returns the
 * descriptor or -errno with err set. */
static int http_listen(const char *addr, char *err, size_t errlen)
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

/* A connection's state (http_notify); NULL when there was no memory for
 * it. */
static struct http_conn *http_conn(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

/* The configuration a connection started under. */
static struct webctx *http_ctx(struct MHD_Connection *c)
{
	struct http_conn *hc = http_conn(c);

	return hc ? hc->ctx : NULL;
}

/* Queues r (made from body, or NULL) with the headers of the
 * connection's configuration w, and releases it. */
static enum MHD_Result http_queue(const struct webcfg *w,
				  struct MHD_Connection *c, unsigned status,
				  struct MHD_Response *r,
				  const struct hbody *body)
{
	struct http_conn *hc = http_conn(c);
	enum MHD_Result ret;

	if (hc)
		hconn_set(hc->conns, &hc->link, HCONN_SENDING, body,
			  exporter_mono_ns());
	for (size_t i = 0; w && i < w->nheaders; i++)
		MHD_add_response_header(r, w->headers[i].name,
					w->headers[i].value);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result http_send(const struct webcfg *w,
				 struct MHD_Connection *c, unsigned status,
				 const char *type, const char *body)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Basic realm=\"audit_exporter\"");
	return http_queue(w, c, status, r, NULL);
}

/* libmicrohttpd is done with a response made from a body. */
static void http_body_done(void *cls)
{
	hbody_unref(cls);
}

/* A response sent from a shared body, holding the reference the caller
 * had (dropped with the response); NULL without memory (the reference
 * is dropped then too). */
static struct MHD_Response *http_body_response(struct hbody *b)
{
	const struct expo_pieces *ps = hbody_pieces(b);
	struct MHD_Response *r = NULL;
	struct MHD_IoVec *iov;
	size_t zlen;
	const char *z = hbody_gzip(b, &zlen);

	if (z) {
		/* never written to: MHD's prototype is not const */
		r = MHD_create_response_from_buffer_with_free_callback_cls(
			zlen, (void *)z, http_body_done, b);
		if (!r)
			hbody_unref(b);
		return r;
	}
	iov = ps->n < UINT_MAX ? calloc(ps->n + 1, sizeof(*iov)) : NULL;
	if (iov) {
		for (size_t i = 0; i < ps->n; i++)
			iov[i] = (struct MHD_IoVec){ ps->v[i].p, ps->v[i].len };
		/* libmicrohttpd copies the vector */
		r = MHD_create_response_from_iovec(iov, (unsigned)ps->n,
						   http_body_done, b);
	}
	free(iov);
	if (!r)
		hbody_unref(b);
	return r;
}

/* 500: the exposition could not be rendered or put in a response. */
static enum MHD_Result http_render_failed(const struct webcfg *w,
					  struct MHD_Connection *c)
{
	log_error("scrape failed: exposition too large or out of memory");
	return http_send(w, c, MHD_HTTP_INTERNAL_SERVER_ERROR,
			 "text/plain; charset=utf-8",
			 "the exposition could not be rendered\n");
}

static enum MHD_Result http_busy(const struct webcfg *w,
				 struct MHD_Connection *c, const char *why)
{
	return http_send(w, c, MHD_HTTP_SERVICE_UNAVAILABLE,
			 "text/plain; charset=utf-8", why);
}

/* The worker has the scrape's answer: the connection goes on. */
static void http_scrape_ready(void *cls, struct hscrape_req *r)
{
	struct http_conn *hc =
		(struct http_conn *)((char *)r -
				     offsetof(struct http_conn, req));

	(void)cls;
	hc->req_state = HTTP_REQ_READY;
	MHD_resume_connection(hc->mhd);
}

/* The worker wants the connections sending b gone (hscrape's bound). */
static void http_scrape_cut(void *cls, const struct hbody *b, int64_t before)
{
	struct http *h = cls;

	for (unsigned i = 0; i < h->x->cfg.nlisten; i++)
		hconn_cut_body(h->lis[i].conns, b, before);
}

/* The worker's clock: connections past their deadlines go. */
static void http_scrape_tick(void *cls)
{
	struct http *h = cls;

	for (unsigned i = 0; i < h->x->cfg.nlisten; i++)
		hconn_sweep(h->lis[i].conns, exporter_mono_ns());
}

static const struct hscrape_ops http_scrape_ops = {
	.ready = http_scrape_ready,
	.cut = http_scrape_cut,
	.tick = http_scrape_tick,
};

/* A resumed scrape: its answer. */
static enum MHD_Result http_metrics_answer(const struct webcfg *w,
					   struct MHD_Connection *c,
					   struct http_conn *hc)
{
	struct hbody *b = hc->req.body;
	struct MHD_Response *r;

	hc->req_state = HTTP_REQ_NONE;
	hc->req.body = NULL;
	if (!b) {
		if (hc->req.err == -EBUSY || hc->req.err == -ESHUTDOWN)
			return http_busy(w, c,
					 "too many scrapes being sent at "
					 "once\n");
		return http_render_failed(w, c);
	}
	r = http_body_response(b); /* takes the reference */
	if (!r)
		return http_render_failed(w, c);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				hbody_format(b) == EXPO_OPENMETRICS
					? EXPO_CT_OPENMETRICS
					: EXPO_CT_TEXT);
	MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
	if (hbody_gzip(b, &(size_t){ 0 }))
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING,
					"gzip");
	return http_queue(w, c, MHD_HTTP_OK, r, b);
}

/* A scrape: 503 when --web.max-requests are waiting already; else its
 * place is taken, and at the next call (http_metrics_wait) it waits.
 *
 * Why not suspend at once: libmicrohttpd 0.9.75 resumes a connection with
 * the event-loop state it had before the call that suspended it, and it
 * reads a resumed connection at once. Suspended in the call that
 * completes the request, the state is still "reading", and that read
 * sees a client's end of stream (a client that shut down its sending
 * side after its request) and closes the connection unanswered. Returning
 * without an answer once lets the state become "blocked" (libmicrohttpd
 * then calls again at its next turn, without waiting); suspended from
 * there, the resumed connection is not read. */
static enum MHD_Result http_metrics(struct http *h, const struct webcfg *w,
				    struct MHD_Connection *c,
				    struct http_conn *hc)
{
	if (!hscrape_reserve(h->scrapes))
		return http_busy(w, c,
				 "too many concurrent scrapes "
				 "(--web.max-requests)\n");
	hc->req.fmt = accept_format(MHD_lookup_connection_value(
		c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT));
	hc->req.gzip = accept_gzip(MHD_lookup_connection_value(
		c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING));
	hc->req_state = HTTP_REQ_DEFERRED;
	hconn_set(hc->conns, &hc->link, HCONN_BUSY, NULL, exporter_mono_ns());
	return MHD_YES;
}

/* A scrape's second call: suspended and queued for the worker. */
static enum MHD_Result http_metrics_wait(struct http *h,
					 struct MHD_Connection *c,
					 struct http_conn *hc)
{
	hc->req_state = HTTP_REQ_WAITING;
	MHD_suspend_connection(c);
	hscrape_submit(h->scrapes, &hc->req);
	return MHD_YES;
}

/* rate_limit (of the connection's configuration w): takes a token from the
 * bucket of authenticated (or anonymous) requests, or of refused ones, if
 * it has one. */
static bool http_rate_allow(struct http *h, const struct webcfg *w,
			    bool authenticated)
{
	struct http_bucket *b = &h->rate[!authenticated];
	int64_t now;
	bool ok;

	if (!w || !w->rate_interval_ns)
		return true;
	now = exporter_mono_ns();
	pthread_mutex_lock(&h->rate_lock);
	b->tokens += (double)(now - b->last_ns) / (double)w->rate_interval_ns;
	if (b->tokens > (double)w->rate_burst)
		b->tokens = (double)w->rate_burst;
	b->last_ns = now;
	ok = b->tokens >= 1.0;
	if (ok)
		b->tokens -= 1.0;
	pthread_mutex_unlock(&h->rate_lock);
	return ok;
}

/* What basic auth made of a request. */
enum http_auth_result {
	HTTP_AUTH_OK, /* in (or no users configured) */
	HTTP_AUTH_REFUSED, /* 401 */
	HTTP_AUTH_LIMITED, /* not checked: the refused bucket is empty, 429 */
};

struct http_hash_ctx {
	struct http *h;
	const struct webcfg *w;
	bool asked, limited;
};

/* The check's bcrypt run, only with a token from the bucket of requests
 * not (yet) known good: a flood of wrong passwords costs one bcrypt run
 * per token, and credentials that passed lately need no run at all. */
static int http_hash(const char *pass, const char *setting, char *out,
		     size_t outlen, void *arg)
{
	struct http_hash_ctx *k = arg;

	if (!k->asked) {
		k->asked = true;
		k->limited = !http_rate_allow(k->h, k->w, false);
	}
	if (k->limited)
		return -EAGAIN;
	return webcfg_bcrypt(pass, setting, out, outlen, NULL);
}

/* basic_auth_users: whether the request's credentials let it in; a
 * refused request has taken its token from the refused bucket. */
static enum http_auth_result http_auth(struct http *h, const struct webctx *ctx,
				       struct MHD_Connection *c)
{
	struct http_hash_ctx k = { .h = h, .w = ctx ? ctx->web : NULL };
	char *pass = NULL;
	char *user;
	bool ok;

	if (!ctx || !ctx->web->nusers)
		return HTTP_AUTH_OK;
	user = MHD_basic_auth_get_username_password(c, &pass);
	ok = webcfg_auth_check_cached(ctx->web, ctx->auth_cache, user, pass,
				      http_hash, &k);
	if (pass) {
		explicit_bzero(pass, strlen(pass));
		MHD_free(pass);
	}
	if (user)
		MHD_free(user);
	if (ok)
		return HTTP_AUTH_OK;
	if (!k.asked) /* no bcrypt run (no credentials): a token now */
		k.limited = !http_rate_allow(h, k.w, false);
	return k.limited ? HTTP_AUTH_LIMITED : HTTP_AUTH_REFUSED;
}

static enum MHD_Result http_count_host(void *cls, enum MHD_ValueKind kind,
				       const char *key, const char *value)
{
	(void)kind;
	(void)value;
	*(unsigned *)cls += !strcasecmp(key, MHD_HTTP_HEADER_HOST);
	return MHD_YES;
}

/* What an HTTP/1.1 request must have and libmicrohttpd (not strict) lets
 * through: exactly one Host header (RFC 9112 3.2; Go answers 400 too).
 * HTTP/1.0 needs none. */
static bool http_host_ok(struct MHD_Connection *c, const char *version)
{
	unsigned n = 0;

	if (!strcmp(version, MHD_HTTP_VERSION_1_0))
		return true;
	MHD_get_connection_values(c, MHD_HEADER_KIND, http_count_host, &n);
	return n == 1;
}

static enum MHD_Result http_handler(void *cls, struct MHD_Connection *c,
				    const char *url, const char *method,
				    const char *version,
				    const char *upload_data,
				    size_t *upload_data_size, void **req_cls)
{
	struct http *h = cls;
	struct http_conn *hc = http_conn(c);
	struct webctx *ctx = hc ? hc->ctx : NULL;
	const struct webcfg *w = ctx ? ctx->web : NULL;
	enum http_auth_result auth;

	(void)upload_data;
	if (!hc) /* no memory to track it: not served */
		return http_send(NULL, c, MHD_HTTP_INTERNAL_SERVER_ERROR,
				 "text/plain; charset=utf-8",
				 "out of memory\n");
	if (*req_cls == NULL) {
		/* headers are in; wait for the body (if any) */
		*req_cls = h;
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0; /* a body is read and ignored */
		return MHD_YES;
	}
	/* a scrape checked at its first call */
	if (hc->req_state == HTTP_REQ_DEFERRED)
		return http_metrics_wait(h, c, hc);
	if (hc->req_state == HTTP_REQ_READY)
		return http_metrics_answer(w, c, hc);
	if (h->boot && h->boot->web->tls && !tls_request_ok(w, c))
		return MHD_NO; /* closes the connection, nothing served */
	if (!http_host_ok(c, version))
		return http_send(w, c, MHD_HTTP_BAD_REQUEST,
				 "text/plain; charset=utf-8",
				 "Bad Request: one Host header is required\n");
	auth = http_auth(h, ctx, c);
	if (auth == HTTP_AUTH_LIMITED ||
	    (auth == HTTP_AUTH_OK && !http_rate_allow(h, w, true)))
		return http_send(w, c, MHD_HTTP_TOO_MANY_REQUESTS,
				 "text/plain; charset=utf-8",
				 "Too Many Requests\n");
	if (auth == HTTP_AUTH_REFUSED)
		return http_send(w, c, MHD_HTTP_UNAUTHORIZED,
				 "text/plain; charset=utf-8", "Unauthorized\n");
	if (strcmp(method, MHD_HTTP_METHOD_GET) &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD))
		return http_send(w, c, MHD_HTTP_METHOD_NOT_ALLOWED,
				 "text/plain; charset=utf-8",
				 "method not allowed: use GET\n");
	if (!strcmp(url, h->x->cfg.telemetry_path))
		return http_metrics(h, w, c, hc);
	if (!strcmp(url, "/"))
		return http_send(w, c, MHD_HTTP_OK, "text/html; charset=utf-8",
				 h->landing);
	return http_send(w, c, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8",
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

/* GnuTLS calls this when a client's certificate has been received: the
 * session points at its connection (libmicrohttpd or tls_session_setup
 * sets that), checked under the configuration the connection started
 * under. */
static int http_tls_verify(gnutls_session_t s)
{
	struct MHD_Connection *c = gnutls_session_get_ptr(s);
	struct webctx *ctx = c ? http_ctx(c) : NULL;

	return tls_client_verify(s, ctx ? ctx->web : NULL);
}

/* A connection starts (before its TLS handshake) under the configuration
 * in force, holding it until it closes. A TLS connection whose session
 * cannot be set up keeps no configuration, and http_handler serves it
 * nothing. */
static void http_notify(void *cls, struct MHD_Connection *c,
			void **socket_context,
			enum MHD_ConnectionNotificationCode toe)
{
	struct http_listener *l = cls;
	const union MHD_ConnectionInfo *ci;
	struct http_conn *hc = *socket_context;
	struct webctx *ctx;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (hc) {
			hconn_close(hc->conns, &hc->link);
			webctx_release(hc->ctx);
			free(hc);
		}
		*socket_context = NULL;
		return;
	}
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	hc = ci ? calloc(1, sizeof(*hc)) : NULL;
	if (!hc)
		return; /* http_handler answers 500 */
	hc->conns = l->conns;
	hc->mhd = c;
	hconn_open(l->conns, &hc->link, ci->connect_fd, exporter_mono_ns());
	*socket_context = hc;
	ctx = webctx_acquire(l->h->webf);
	if (ctx && ctx->web->tls &&
	    tls_session_setup(c, ctx->web, http_tls_verify)) {
		webctx_release(ctx);
		return;
	}
	hc->ctx = ctx;
}

/* A request's first line is in: a kept connection's read deadline
 * starts. */
static void *http_request_line(void *cls, const char *uri,
			       struct MHD_Connection *c)
{
	struct http_conn *hc = http_conn(c);

	(void)cls;
	(void)uri;
	if (hc)
		hconn_request(hc->conns, &hc->link, exporter_mono_ns());
	return NULL;
}

/* A request is over (answered, or the connection failed): the connection
 * idles until the next one. */
static void http_completed(void *cls, struct MHD_Connection *c, void **req_cls,
			   enum MHD_RequestTerminationCode toe)
{
	struct http *h = cls;
	struct http_conn *hc = http_conn(c);

	(void)req_cls;
	(void)toe;
	if (!hc)
		return;
	/* a scrape whose connection went before its answer was queued */
	if (hc->req_state == HTTP_REQ_DEFERRED)
		hscrape_release(h->scrapes);
	hbody_unref(hc->req.body);
	hc->req.body = NULL;
	hc->req_state = HTTP_REQ_NONE;
	hconn_set(hc->conns, &hc->link, HCONN_IDLE, NULL, exporter_mono_ns());
}

/* --web.connection-timeout in whole seconds, rounded up; at most a year. */
static unsigned http_timeout_s(int64_t ms)
{
	if (ms > INT64_C(31536000000))
		return 31536000;
	return (unsigned)((ms + 999) / 1000);
}

/* libmicrohttpd's own limit, which it splits among its threads and at
 * which it stops accepting: above ours (exporter/web/hconn evicts at ours),
 * with room for connections cut and not yet closed. */
static unsigned http_mhd_limit(const struct cfg *c)
{
	return c->max_connections > UINT_MAX / 2 ? UINT_MAX
						 : 2 * c->max_connections;
}

/* Reads --web.config.file; 0 or -errno with err set. */
static int http_web_config(struct http *h, char *err, size_t errlen)
{
	const char *path = h->x->cfg.web_config_file;

	if (!path)
		return 0;
	h->webf = webctx_file_open(path, err, errlen);
	if (!h->webf)
		return -errno;
	h->boot = webctx_acquire(h->webf);
	if (h->boot->web->tls && !MHD_is_feature_supported(MHD_FEATURE_TLS)) {
		snprintf(err, errlen,
			 "%s: TLS is configured but libmicrohttpd "
			 "was built without it",
			 path);
		return -ENOTSUP;
	}
	for (int i = 0; i < 2; i++)
		h->rate[i] =
			(struct http_bucket){ (double)h->boot->web->rate_burst,
					      exporter_mono_ns() };
	return 0;
}

struct http *http_start(struct exporter *x, char *err, size_t errlen)
{
	struct http *h = calloc(1, sizeof(*h));
	struct MHD_OptionItem tls[TLS_DAEMON_OPTIONS] = { { MHD_OPTION_END, 0,
							    NULL } };
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG;

	if (!h) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->x = x;
	pthread_mutex_init(&h->rate_lock, NULL);
	h->landing = http_landing(x->cfg.telemetry_path);
	if (!h->landing) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (http_web_config(h, err, errlen))
		goto fail;
	if (h->boot && h->boot->web->tls) {
		/* what libmicrohttpd starts with; each session is then set
		 * up with the configuration in force (tls_session_setup) */
		flags |= MHD_USE_TLS;
		tls_daemon_options(h->boot->web, tls);
	}
	/* every table before the worker, which sweeps them, and the worker
	 * before the daemons, whose handlers queue scrapes for it */
	for (unsigned i = 0; i < x->cfg.nlisten; i++) {
		h->lis[i].h = h;
		h->lis[i].conns = hconn_table_new(
			x->cfg.max_connections,
			x->cfg.read_timeout_ms * INT64_C(1000000),
			x->cfg.connection_timeout_ms * INT64_C(1000000));
		if (!h->lis[i].conns) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
	}
	h->scrapes = hscrape_start(x, &http_scrape_ops, h, x->cfg.max_requests,
				   HTTP_MAX_BODIES);
	if (!h->scrapes) {
		snprintf(err, errlen, "cannot start the scrape worker: %s",
			 strerror(errno));
		goto fail;
	}
	flags |= MHD_ALLOW_SUSPEND_RESUME;
	for (unsigned i = 0; i < x->cfg.nlisten; i++) {
		struct http_listener *l = &h->lis[i];
		int fd = http_listen(x->cfg.listen[i], err, errlen);

		if (fd < 0)
			goto fail;
		/* the logger first, so libmicrohttpd sends everything to it */
		h->d[h->n] = MHD_start_daemon(
			flags, 0, NULL, NULL, http_handler, h,
			MHD_OPTION_EXTERNAL_LOGGER, http_logger, NULL,
			MHD_OPTION_LISTEN_SOCKET, fd,
			MHD_OPTION_THREAD_POOL_SIZE, (unsigned)HTTP_THREADS,
			MHD_OPTION_CONNECTION_LIMIT, http_mhd_limit(&x->cfg),
			MHD_OPTION_PER_IP_CONNECTION_LIMIT,
			x->cfg.max_connections_per_ip,
			MHD_OPTION_CONNECTION_TIMEOUT,
			http_timeout_s(x->cfg.connection_timeout_ms),
			MHD_OPTION_CONNECTION_MEMORY_LIMIT,
			(size_t)HTTP_CONN_MEMORY, MHD_OPTION_NOTIFY_CONNECTION,
			http_notify, l, MHD_OPTION_URI_LOG_CALLBACK,
			http_request_line, NULL, MHD_OPTION_NOTIFY_COMPLETED,
			http_completed, h, MHD_OPTION_ARRAY, tls,
			MHD_OPTION_END);
		if (!h->d[h->n]) {
			close(fd);
			snprintf(err, errlen,
				 "cannot start the HTTP%s server on %s",
				 flags & MHD_USE_TLS ? "S" : "",
				 x->cfg.listen[i]);
			goto fail;
		}
		h->n++;
		log_info("listening", "address", x->cfg.listen[i], "tls",
			 flags & MHD_USE_TLS ? "on" : "off");
	}
	return h;
fail:
	http_stop(h);
	return NULL;
}

void http_reload(struct http *h)
{
	if (h)
		webctx_reload(h->webf);
}

void http_stop(struct http *h)
{
	if (!h)
		return;
	/* the worker answers every suspended scrape before it ends: a
	 * daemon must not stop with one suspended */
	hscrape_stop(h->scrapes);
	for (unsigned i = 0; i < h->n; i++)
		MHD_stop_daemon(h->d[i]); /* closes the listening socket too */
	hscrape_free(h->scrapes); /* the responses, and their bodies, gone */
	for (unsigned i = 0; i < CFG_MAX_LISTEN; i++)
		hconn_table_free(h->lis[i].conns);
	webctx_release(h->boot);
	webctx_file_close(h->webf);
	pthread_mutex_destroy(&h->rate_lock);
	free(h->landing);
	free(h);
}
