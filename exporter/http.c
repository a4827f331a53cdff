/*
 * http: the /metrics server, on libmicrohttpd.
 *
 *   GET/HEAD <telemetry path>   the exposition: text 0.0.4 or OpenMetrics
 *                               by Accept, gzip by Accept-Encoding
 *   GET/HEAD /                  a landing page linking to it
 *   anything else               404; other methods 405 with Allow
 *   HTTP/1.1 without one Host   400 (as Go: RFC 9112 wants exactly one)
 *   over --web.max-requests     503 (scrapes in progress at once)
 *
 * One daemon per --web.listen-address, each on a socket made here (so
 * ":port" is one dual-stack IPv6 socket that also takes IPv4, and
 * "0.0.0.0:port" or "[::1]:port" mean exactly that). libmicrohttpd runs an
 * epoll thread pool; a scrape renders inside its handler, which only reads
 * metric state (exporter/scrape takes the lock in short slices), so a slow
 * scrape never holds up event intake, and slow or idle clients only hold a
 * connection slot. Limits are explicit: connections in total
 * (--web.max-connections, per listen address; libmicrohttpd splits it
 * among the pool's threads) and per client address
 * (--web.max-connections-per-ip), an idle timeout
 * (--web.connection-timeout, whole seconds, rounded up), and a
 * per-connection memory limit that makes libmicrohttpd refuse oversized
 * request headers itself. Beyond the per-address limit new connections are
 * closed at once; at the total limit libmicrohttpd stops accepting, and
 * new ones wait in the kernel's accept queue (128) until a slot frees.
 * An idle or slow connection costs a slot and its memory limit at most;
 * it never holds a thread (epoll, non-blocking), so scrapes keep being
 * answered while slots remain: t_http_load.sh holds 500.
 *
 * --web.config.file (exporter/webcfg) adds, as the exporter-toolkit does:
 *   TLS       libmicrohttpd with GnuTLS: certificate, key, client CA and
 *             the priority string from webcfg. Client certificates are
 *             handled per session when libmicrohttpd announces a new
 *             connection (before its handshake): the request mode
 *             (ignore, request, require) and a verify function that checks
 *             the chain against the client CA (for the Verify types, with
 *             the TLS client purpose, as Go does) and client_allowed_sans,
 *             so a refused client fails in the handshake, as in Go. GnuTLS
 *             priorities can only allow the suites' components (their
 *             cross product), so a request over a TLS <= 1.2 suite not in
 *             cipher_suites is closed unanswered (GnuTLS names the suite
 *             only after the handshake). The GnuTLS callbacks
 *             find the connection through the session pointer that
 *             libmicrohttpd sets to it; a session whose pointer is not its
 *             connection is never served (fail closed).
 *   auth      basic_auth_users: every request (all paths) needs a user and
 *             password, checked by webcfg_auth_check (one bcrypt run per
 *             attempt, known user or not; credentials that passed lately
 *             pass again without one); otherwise 401 with
 *             WWW-Authenticate. bcrypt runs in the handler and holds its
 *             pool thread meanwhile (about 0.1 s at cost 10), so a flood
 *             of bad passwords slows scrapes down; rate_limit bounds it.
 *   headers   added to every response this file makes (200, 401, 404,
 *             405, 429, 503, and 400 for Host; not to libmicrohttpd's
 *             own 400/413/431).
 *   rate      rate_limit: two token buckets (interval per token, burst
 *             tokens, starting full), asked after the credentials are
 *             checked: one for requests that passed (all of them without
 *             basic_auth_users), one for those that did not, so a client
 *             without credentials cannot empty the scraper's bucket. An
 *             empty bucket is 429 (a refused request gets 429 rather
 *             than 401 then).
 *   http2     accepted and ignored: libmicrohttpd speaks HTTP/1.1 only.
 * Each connection is served under the configuration in force when it
 * started (exporter/webctx, which loads the file again when it or a file
 * it names changes, and on SIGHUP): its TLS session gets that
 * configuration's certificate, key, client CA and priorities before the
 * handshake, and its requests that configuration's users, headers and
 * rate limit. Only whether the daemons speak TLS is fixed at start.
 */
#include "exporter/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
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

#include "exporter/accept.h"
#include "exporter/exporter.h"
#include "exporter/gzip.h"
#include "exporter/log.h"
#include "exporter/scrape.h"
#include "exporter/webctx.h"

#define HTTP_THREADS 4
#define HTTP_CONN_MEMORY (64 * 1024)

struct http {
	struct exporter *x;
	struct webctx_file *webf; /* NULL: plain HTTP, no auth, no headers */
	/* the configuration the daemons started with (TLS or not, for good;
	 * libmicrohttpd was given its certificate, key and CA text) */
	struct webctx *boot;
	struct MHD_Daemon *d[CFG_MAX_LISTEN];
	unsigned n;
	atomic_uint inflight;
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

/* The configuration a connection started under (http_notify): NULL
 * without a web config file, and for a TLS connection http_notify did not
 * set up. */
static struct webctx *http_ctx(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

/* Queues r with the headers of the connection's configuration w, and
 * releases it. */
static enum MHD_Result http_queue(const struct webcfg *w,
				  struct MHD_Connection *c, unsigned status,
				  struct MHD_Response *r)
{
	enum MHD_Result ret;

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
	return http_queue(w, c, status, r);
}

/* libmicrohttpd is done with a plain response: its buffers go back. */
static void http_scrape_done(void *cls)
{
	scrape_buf_give(cls);
}

/* A response sent from the scrape's own buffers, which go back for the
 * next scrape when libmicrohttpd is done (http_scrape_done). */
static struct MHD_Response *http_plain_response(struct scrape_buf *b)
{
	struct MHD_IoVec *iov = calloc(b->pieces.n + 1, sizeof(*iov));
	struct MHD_Response *r = NULL;

	if (iov && b->pieces.n <= UINT_MAX) {
		for (size_t i = 0; i < b->pieces.n; i++)
			iov[i] = (struct MHD_IoVec){ b->pieces.v[i].p,
						     b->pieces.v[i].len };
		/* libmicrohttpd copies the vector */
		r = MHD_create_response_from_iovec(iov, (unsigned)b->pieces.n,
						   http_scrape_done, b);
	}
	free(iov);
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

static enum MHD_Result http_metrics(struct http *h, const struct webcfg *w,
				    struct MHD_Connection *c)
{
	const char *accept = MHD_lookup_connection_value(
		c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	const char *enc = MHD_lookup_connection_value(
		c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	enum expo_format fmt = accept_format(accept);
	struct MHD_Response *r;
	struct scrape_buf *b;
	char *z = NULL;
	size_t zlen = 0;
	int rc;
	unsigned n = atomic_fetch_add(&h->inflight, 1) + 1;

	if (h->x->cfg.max_requests && n > h->x->cfg.max_requests) {
		atomic_fetch_sub(&h->inflight, 1);
		return http_send(w, c, MHD_HTTP_SERVICE_UNAVAILABLE,
				 "text/plain; charset=utf-8",
				 "too many concurrent scrapes "
				 "(--web.max-requests)\n");
	}
	b = scrape_buf_take(h->x);
	rc = b ? scrape_render(fmt, b) : -ENOMEM;
	atomic_fetch_sub(&h->inflight, 1);
	if (rc) {
		if (b)
			scrape_buf_give(b);
		return http_render_failed(w, c);
	}
	/* without memory for gzip, the plain text still goes out */
	if (accept_gzip(enc))
		z = gzip_pieces(&b->pieces, &zlen);
	if (z) {
		scrape_buf_give(b);
		/* freed by the allocator that made it, through our free */
		r = MHD_create_response_from_buffer_with_free_callback(zlen, z,
								       free);
		if (!r)
			free(z);
	} else {
		r = http_plain_response(b);
		if (!r)
			scrape_buf_give(b);
	}
	if (!r)
		return http_render_failed(w, c);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				fmt == EXPO_OPENMETRICS ? EXPO_CT_OPENMETRICS
							: EXPO_CT_TEXT);
	MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
	if (z)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING,
					"gzip");
	return http_queue(w, c, MHD_HTTP_OK, r);
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

/* basic_auth_users: whether the request's credentials let it in. */
static bool http_auth(const struct webctx *ctx, struct MHD_Connection *c)
{
	char *pass = NULL;
	char *user;
	bool ok;

	if (!ctx || !ctx->web->nusers)
		return true;
	user = MHD_basic_auth_get_username_password(c, &pass);
	ok = webcfg_auth_check_cached(ctx->web, ctx->auth_cache, user, pass,
				      webcfg_bcrypt, NULL);
	if (pass) {
		explicit_bzero(pass, strlen(pass));
		MHD_free(pass);
	}
	if (user)
		MHD_free(user);
	return ok;
}

/* A TLS request is served only on a session that http_notify set up and,
 * below TLS 1.3, over a suite in cipher_suites. GnuTLS names the suite
 * only once the handshake is over, so this is checked here rather than in
 * the handshake. */
static bool http_tls_ok(const struct webcfg *w, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci;
	gnutls_session_t s;
	const char *suite;

	if (!w)
		return false;
	if (!w->nsuites)
		return true;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session)
		return false;
	s = (gnutls_session_t)ci->tls_session;
	if (gnutls_protocol_get_version(s) == GNUTLS_TLS1_3)
		return true;
	suite = gnutls_ciphersuite_get(s);
	if (suite && webcfg_suite_allowed(w, suite))
		return true;
	log_debug("TLS client refused", "reason",
		  "cipher suite not in cipher_suites", "suite",
		  suite ? suite : "unknown");
	return false;
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
	struct webctx *ctx = http_ctx(c);
	const struct webcfg *w = ctx ? ctx->web : NULL;
	bool authenticated;

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
	if (h->boot && h->boot->web->tls && !http_tls_ok(w, c))
		return MHD_NO; /* closes the connection, nothing served */
	if (!http_host_ok(c, version))
		return http_send(w, c, MHD_HTTP_BAD_REQUEST,
				 "text/plain; charset=utf-8",
				 "Bad Request: one Host header is required\n");
	authenticated = http_auth(ctx, c);
	if (!http_rate_allow(h, w, authenticated))
		return http_send(w, c, MHD_HTTP_TOO_MANY_REQUESTS,
				 "text/plain; charset=utf-8",
				 "Too Many Requests\n");
	if (!authenticated)
		return http_send(w, c, MHD_HTTP_UNAUTHORIZED,
				 "text/plain; charset=utf-8", "Unauthorized\n");
	if (strcmp(method, MHD_HTTP_METHOD_GET) &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD))
		return http_send(w, c, MHD_HTTP_METHOD_NOT_ALLOWED,
				 "text/plain; charset=utf-8",
				 "method not allowed: use GET\n");
	if (!strcmp(url, h->x->cfg.telemetry_path))
		return http_metrics(h, w, c);
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

/* The configuration of a GnuTLS session's connection: the session points
 * at the connection (libmicrohttpd or http_tls_session sets that). */
static const struct webcfg *http_session_web(gnutls_session_t s)
{
	struct MHD_Connection *c = gnutls_session_get_ptr(s);
	struct webctx *ctx = c ? http_ctx(c) : NULL;

	return ctx ? ctx->web : NULL;
}

/* Whether a certificate (DER) has a SAN in client_allowed_sans: DNS
 * names, e-mail addresses, URIs and IP addresses, written as Go does. */
static bool http_sans_ok(const struct webcfg *w, const gnutls_datum_t *der)
{
	gnutls_x509_crt_t crt;
	bool ok = false;

	if (gnutls_x509_crt_init(&crt) < 0)
		return false;
	if (gnutls_x509_crt_import(crt, der, GNUTLS_X509_FMT_DER) < 0)
		goto out;
	for (unsigned i = 0; !ok; i++) {
		char buf[1024], ip[INET6_ADDRSTRLEN];
		size_t size = sizeof(buf) - 1;
		int type = gnutls_x509_crt_get_subject_alt_name(crt, i, buf,
								&size, NULL);

		if (type == GNUTLS_E_SHORT_MEMORY_BUFFER)
			continue;
		if (type < 0)
			break;
		switch (type) {
		case GNUTLS_SAN_DNSNAME:
		case GNUTLS_SAN_RFC822NAME:
		case GNUTLS_SAN_URI:
			buf[size] = 0;
			ok = strlen(buf) == size && webcfg_san_allowed(w, buf);
			break;
		case GNUTLS_SAN_IPADDRESS:
			if (size == 16 &&
			    IN6_IS_ADDR_V4MAPPED((struct in6_addr *)buf))
				inet_ntop(AF_INET, buf + 12, ip, sizeof(ip));
			else if (size == 4 || size == 16)
				inet_ntop(size == 4 ? AF_INET : AF_INET6, buf,
					  ip, sizeof(ip));
			else
				break;
			ok = webcfg_san_allowed(w, ip);
			break;
		default:
			break;
		}
	}
out:
	gnutls_x509_crt_deinit(crt);
	return ok;
}

/* GnuTLS calls this when a client's certificate has been received. */
static int http_tls_verify(gnutls_session_t s)
{
	gnutls_typed_vdata_st purpose = {
		GNUTLS_DT_KEY_PURPOSE_OID,
		(unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT, 0
	};
	const struct webcfg *w = http_session_web(s);
	const gnutls_datum_t *peers;
	enum webcfg_client_auth a;
	unsigned n = 0, status = 0;

	if (!w)
		return GNUTLS_E_CERTIFICATE_ERROR;
	a = w->client_auth;
	peers = gnutls_certificate_get_peers(s, &n);
	if (!peers || !n) {
		if (!webcfg_auth_requires_cert(a))
			return 0;
		log_debug("TLS client refused", "reason", "no certificate");
		return GNUTLS_E_NO_CERTIFICATE_FOUND;
	}
	if (webcfg_auth_verifies(a) &&
	    (gnutls_certificate_verify_peers(s, &purpose, 1, &status) < 0 ||
	     status)) {
		log_debug("TLS client refused", "reason",
			  "certificate not signed by client_ca or not for "
			  "client authentication");
		return GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR;
	}
	if (w->allowed_sans && !http_sans_ok(w, &peers[0])) {
		log_debug("TLS client refused", "reason",
			  "no SAN in client_allowed_sans");
		return GNUTLS_E_CERTIFICATE_ERROR;
	}
	return 0;
}

/* Sets up a new connection's TLS session, before its handshake, with w:
 * the certificate, key and client CA, the priorities, and the client
 * certificate checks. 0, or -1 when the session is not this connection's
 * or GnuTLS refuses. */
static int http_tls_session(struct MHD_Connection *c, const struct webcfg *w)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	gnutls_session_t s;
	void *owner;

	if (!ci || !ci->tls_session)
		return -1;
	s = (gnutls_session_t)ci->tls_session;
	owner = gnutls_session_get_ptr(s);
	if (owner && owner != (void *)c)
		return -1;
	if (!owner)
		gnutls_session_set_ptr(s, c);
	if (gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, w->cred) < 0 ||
	    gnutls_priority_set(s, w->prio) < 0)
		return -1;
	gnutls_certificate_server_set_request(
		s, webcfg_auth_requires_cert(w->client_auth)
			   ? GNUTLS_CERT_REQUIRE
		   : w->client_auth == WEBCFG_NO_CLIENT_CERT
			   ? GNUTLS_CERT_IGNORE
			   : GNUTLS_CERT_REQUEST);
	gnutls_session_set_verify_function(s, http_tls_verify);
	return 0;
}

/* A connection starts (before its TLS handshake) under the configuration
 * in force, holding it until it closes. A TLS connection whose session
 * cannot be set up keeps no configuration, and http_handler serves it
 * nothing. */
static void http_notify(void *cls, struct MHD_Connection *c,
			void **socket_context,
			enum MHD_ConnectionNotificationCode toe)
{
	struct http *h = cls;
	struct webctx *ctx;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		webctx_release(*socket_context);
		*socket_context = NULL;
		return;
	}
	ctx = webctx_acquire(h->webf);
	if (ctx && ctx->web->tls && http_tls_session(c, ctx->web)) {
		webctx_release(ctx);
		return;
	}
	*socket_context = ctx;
}

/* --web.connection-timeout in whole seconds, rounded up; at most a year. */
static unsigned http_timeout_s(int64_t ms)
{
	if (ms > INT64_C(31536000000))
		return 31536000;
	return (unsigned)((ms + 999) / 1000);
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
	struct MHD_OptionItem tls[5] = { { MHD_OPTION_END, 0, NULL } };
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG;

	if (!h) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->x = x;
	atomic_init(&h->inflight, 0);
	pthread_mutex_init(&h->rate_lock, NULL);
	h->landing = http_landing(x->cfg.telemetry_path);
	if (!h->landing) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (http_web_config(h, err, errlen))
		goto fail;
	if (h->boot && h->boot->web->tls) {
		const struct webcfg *w = h->boot->web;
		unsigned k = 0;

		/* what libmicrohttpd starts with; each session is then set
		 * up with the configuration in force (http_tls_session) */
		flags |= MHD_USE_TLS;
		tls[k++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT,
						    0, w->cert.text };
		tls[k++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0,
						    w->key.text };
		tls[k++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES,
						    0, w->priorities };
		if (w->client_ca.text)
			tls[k++] = (struct MHD_OptionItem){
				MHD_OPTION_HTTPS_MEM_TRUST, 0, w->client_ca.text
			};
		tls[k] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	}
	for (unsigned i = 0; i < x->cfg.nlisten; i++) {
		int fd = http_listen(x->cfg.listen[i], err, errlen);

		if (fd < 0)
			goto fail;
		/* the logger first, so libmicrohttpd sends everything to it */
		h->d[h->n] = MHD_start_daemon(
			flags, 0, NULL, NULL, http_handler, h,
			MHD_OPTION_EXTERNAL_LOGGER, http_logger, NULL,
			MHD_OPTION_LISTEN_SOCKET, fd,
			MHD_OPTION_THREAD_POOL_SIZE, (unsigned)HTTP_THREADS,
			MHD_OPTION_CONNECTION_LIMIT, x->cfg.max_connections,
			MHD_OPTION_PER_IP_CONNECTION_LIMIT,
			x->cfg.max_connections_per_ip,
			MHD_OPTION_CONNECTION_TIMEOUT,
			http_timeout_s(x->cfg.connection_timeout_ms),
			MHD_OPTION_CONNECTION_MEMORY_LIMIT,
			(size_t)HTTP_CONN_MEMORY, MHD_OPTION_NOTIFY_CONNECTION,
			http_notify, h, MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
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
	for (unsigned i = 0; i < h->n; i++)
		MHD_stop_daemon(h->d[i]); /* closes the listening socket too */
	webctx_release(h->boot);
	webctx_file_close(h->webf);
	pthread_mutex_destroy(&h->rate_lock);
	free(h->landing);
	free(h);
}
