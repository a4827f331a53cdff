/* tls: the web server's TLS sessions (GnuTLS under libmicrohttpd). See
 * tls.c. */
#ifndef AE_EXPORTER_WEB_TLS_H
#define AE_EXPORTER_WEB_TLS_H

#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <stdbool.h>

struct webcfg;

/* Room tls_daemon_options needs, its end marker included. */
#define TLS_DAEMON_OPTIONS 5

/* What a TLS daemon starts with (certificate, key, priorities, client CA,
 * from w), written to opts up to and with MHD_OPTION_END. */
void tls_daemon_options(const struct webcfg *w,
			struct MHD_OptionItem opts[TLS_DAEMON_OPTIONS]);
/* Sets up connection c's TLS session, before its handshake, with w: the
 * certificate, key and client CA, the priorities, the client certificate
 * request, and verify, which GnuTLS calls with the client's certificate
 * (it finds its configuration through gnutls_session_get_ptr, which is c,
 * and calls tls_client_verify). 0, or -1 when the session is not c's or
 * GnuTLS refuses. On a libmicrohttpd thread. */
int tls_session_setup(struct MHD_Connection *c, const struct webcfg *w,
		      gnutls_certificate_verify_function *verify);
/* The client certificate checks of w (NULL: refused) on session s: 0, or
 * the GnuTLS error that fails the handshake. */
int tls_client_verify(gnutls_session_t s, const struct webcfg *w);
/* Whether a request on TLS connection c, set up under w (NULL: it was not
 * set up), may be served: below TLS 1.3 only over a suite in
 * cipher_suites. */
bool tls_request_ok(const struct webcfg *w, struct MHD_Connection *c);

#endif
