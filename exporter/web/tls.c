/*
 * tls: the web server's TLS, on GnuTLS under libmicrohttpd; what the
 * configuration says is exporter/web/webcfg's (webcfg_tls.c reads
 * tls_server_config into struct webcfg, webcfg_load.c makes its GnuTLS
 * credentials and priorities). This is what is done with it at run time:
 *
 *   daemon    libmicrohttpd starts with the certificate, key, client CA
 *             and priority string of the configuration in force at start
 *             (tls_daemon_options); whether the daemons speak TLS is fixed
 *             then.
 *   session   each connection's session is set up when libmicrohttpd
 *             announces the connection, before its handshake, with the
 *             configuration it started under (tls_session_setup): its
 *             certificate, key and client CA, its priorities, the client
 *             certificate request mode (ignore, request, require) and a
 *             verify function, so a refused client fails in the
 *             handshake, as in Go.
 *   verify    tls_client_verify checks the client's certificate chain
 *             against the client CA (for the Verify types, with the TLS
 *             client purpose, as Go does) and its SANs against
 *             client_allowed_sans. GnuTLS's verify callback has no
 *             argument but the session: the session points at its
 *             connection, and the server (exporter/web/http.c), which
 *             knows which configuration a connection started under, hands
 *             it over; a session whose pointer is not its connection is
 *             never served (fail closed).
 *   request   GnuTLS priorities can only allow the suites' components
 *             (their cross product), so a request over a TLS <= 1.2 suite
 *             not in cipher_suites is closed unanswered (tls_request_ok;
 *             GnuTLS names the suite only after the handshake).
 *
 * The module knows nothing of the server's connection state, only
 * libmicrohttpd's connections and GnuTLS's sessions.
 */
#include "exporter/web/tls.h"

#include <arpa/inet.h>
#include <gnutls/x509.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include "exporter/log.h"
#include "exporter/web/webcfg.h"

void tls_daemon_options(const struct webcfg *w,
			struct MHD_OptionItem opts[TLS_DAEMON_OPTIONS])
{
	unsigned k = 0;

	opts[k++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0,
					     w->cert.text };
	opts[k++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0,
					     w->key.text };
	opts[k++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0,
					     w->priorities };
	if (w->client_ca.text)
		opts[k++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST,
						     0, w->client_ca.text };
	opts[k] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
}

/* libmicrohttpd may point the session at its connection itself; where it
 * does not, this does, so that verify finds the connection. */
int tls_session_setup(struct MHD_Connection *c, const struct webcfg *w,
		      gnutls_certificate_verify_function *verify)
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
	gnutls_session_set_verify_function(s, verify);
	return 0;
}

/* Whether a certificate (DER) has a SAN in client_allowed_sans: DNS
 * names, e-mail addresses, URIs and IP addresses, written as Go does. */
static bool tls_sans_ok(const struct webcfg *w, const gnutls_datum_t *der)
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

int tls_client_verify(gnutls_session_t s, const struct webcfg *w)
{
	gnutls_typed_vdata_st purpose = {
		GNUTLS_DT_KEY_PURPOSE_OID,
		(unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT, 0
	};
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
	if (w->allowed_sans && !tls_sans_ok(w, &peers[0])) {
		log_debug("TLS client refused", "reason",
			  "no SAN in client_allowed_sans");
		return GNUTLS_E_CERTIFICATE_ERROR;
	}
	return 0;
}

/* GnuTLS names the suite only once the handshake is over, so this is
 * checked per request rather than in the handshake. */
bool tls_request_ok(const struct webcfg *w, struct MHD_Connection *c)
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
