/*
 * webcfg: the web configuration file, in the Prometheus exporter-toolkit
 * format (docs/web-configuration.md of prometheus/exporter-toolkit), so a
 * file written for node_exporter works here unchanged:
 *
 *   tls_server_config:   cert/cert_file, key/key_file, client_ca/
 *                        client_ca_file, client_auth_type,
 *                        client_allowed_sans, min_version, max_version,
 *                        cipher_suites, prefer_server_cipher_suites,
 *                        curve_preferences
 *   http_server_config:  http2 (accepted, ignored), headers
 *   basic_auth_users:    user: bcrypt hash
 *   rate_limit:          interval (Go duration), burst
 *
 * Semantics follow the toolkit (web/tls_config.go, web/handler.go): the
 * YAML is strict (an unknown key, a key given twice, a wrong type is an
 * error), TLS is on when a certificate, key, client CA or client_auth_type
 * is set, and then both a certificate and a key are required; relative
 * file names are relative to the file's directory; the defaults are
 * min_version TLS12, max_version TLS13, prefer_server_cipher_suites true,
 * http2 true; only five response headers may be set, two of them only to
 * fixed values. Deliberately stricter than the toolkit, each with a clear
 * message: cert and cert_file (likewise key, client CA) given together;
 * VerifyClientCertIfGiven or RequireAndVerifyClientCert without a client
 * CA (Go would fall back to the system roots, which trusts any public CA's
 * client certificate); min_version above max_version; a second YAML
 * document; a negative rate_limit.
 *
 * The TLS settings become one GnuTLS priority string: versions as
 * -VERS-ALL:+VERS-TLS1.x, curves as -GROUP-ALL:+GROUP-..., and cipher
 * suites as their key exchange, cipher and MAC components. GnuTLS cannot
 * name single suites, so the components allow their cross product; the
 * server (exporter/http.c) therefore also checks the negotiated suite
 * against the list (webcfg_suite_allowed) and serves nothing over another.
 * As in Go, the list restricts TLS 1.0 to 1.2 only: TLS 1.3 suites stay
 * on.
 *
 * Basic auth (webcfg_auth_check): the user is looked up, and the password
 * is hashed exactly once whatever the outcome: against the user's hash, or
 * for an unknown user against dummy_hash, a bcrypt setting whose cost is
 * the highest among the users (bcrypt's time depends only on its cost).
 * The result is compared with the stored hash in constant time, so
 * neither an unknown user nor a wrong password answers sooner than the
 * other. Passwords longer than 72 bytes are refused after hashing, as Go's
 * bcrypt does (bcrypt ignores what follows byte 72).
 *
 * webcfg_parse is pure (text in, struct out) for unit tests and fuzzing;
 * webcfg_load adds the file reads and the GnuTLS checks. Bounds: input
 * WEBCFG_MAX_BYTES, WEBCFG_MAX_USERS users, WEBCFG_MAX_SANS SANs; the tree
 * walk follows the schema, so its depth is at most four levels whatever
 * the YAML holds (aliases included), and duplicate users are found by
 * sorting, in O(n log n).
 */
#include "exporter/webcfg.h"

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "metrics/dbuf.h"

#define WEBCFG_PATH_MAX 96 /* "tls_server_config.client_allowed_sans" */
#define WEBCFG_BCRYPT_PASS 72 /* bytes bcrypt reads of a password */

/* Go's crypto/tls CipherSuites() (the secure ones), as GnuTLS priority
 * components. kx NULL: a TLS 1.3 suite, which the list does not restrict. */
static const struct webcfg_suite {
	const char *name;
	const char *kx, *cipher, *mac;
} webcfg_suites[WEBCFG_MAX_SUITES] = {
	{ "TLS_RSA_WITH_AES_128_CBC_SHA", "RSA", "AES-128-CBC", "SHA1" },
	{ "TLS_RSA_WITH_AES_256_CBC_SHA", "RSA", "AES-256-CBC", "SHA1" },
	{ "TLS_RSA_WITH_AES_128_GCM_SHA256", "RSA", "AES-128-GCM", "AEAD" },
	{ "TLS_RSA_WITH_AES_256_GCM_SHA384", "RSA", "AES-256-GCM", "AEAD" },
	{ "TLS_AES_128_GCM_SHA256", NULL, NULL, NULL },
	{ "TLS_AES_256_GCM_SHA384", NULL, NULL, NULL },
	{ "TLS_CHACHA20_POLY1305_SHA256", NULL, NULL, NULL },
	{ "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA", "AES-128-CBC",
	  "SHA1" },
	{ "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA", "AES-256-CBC",
	  "SHA1" },
	{ "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA", "AES-128-CBC",
	  "SHA1" },
	{ "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA", "AES-256-CBC",
	  "SHA1" },
	{ "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA",
	  "AES-128-GCM", "AEAD" },
	{ "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA",
	  "AES-256-GCM", "AEAD" },
	{ "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA", "AES-128-GCM",
	  "AEAD" },
	{ "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA", "AES-256-GCM",
	  "AEAD" },
	{ "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA",
	  "CHACHA20-POLY1305", "AEAD" },
	{ "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA",
	  "CHACHA20-POLY1305", "AEAD" },
};

/* The toolkit's curve names and GnuTLS's groups. */
static const char *const webcfg_curves[][2] = {
	{ "CurveP256", "GROUP-SECP256R1" },
	{ "CurveP384", "GROUP-SECP384R1" },
	{ "CurveP521", "GROUP-SECP521R1" },
	{ "X25519", "GROUP-X25519" },
};
#define WEBCFG_NCURVES (sizeof(webcfg_curves) / sizeof(webcfg_curves[0]))

static const char *const webcfg_versions[] = { "TLS10", "TLS11", "TLS12",
					       "TLS13" };

static const char *const webcfg_auth_names[] = {
	"NoClientCert",
	"RequestClientCert",
	"RequireAnyClientCert",
	"VerifyClientCertIfGiven",
	"RequireAndVerifyClientCert",
};

/* The headers the toolkit lets one set, and the values it allows (NULL:
 * any). Header names match exactly, as the toolkit's map lookup does. */
static const char *const webcfg_header_names[WEBCFG_MAX_HEADERS] = {
	"Strict-Transport-Security", "X-Content-Type-Options",
	"X-Frame-Options",	     "X-XSS-Protection",
	"Content-Security-Policy",
};
static const char *const webcfg_header_values[WEBCFG_MAX_HEADERS][3] = {
	{ NULL }, { "nosniff", NULL }, { "deny", "sameorigin", NULL }, { NULL },
	{ NULL },
};

/* One parse: the document, the result, where the error goes, and the
 * lines of the keys that cross-checks report. */
struct wp {
	yaml_document_t *doc;
	struct webcfg *w;
	const char *origin;
	char *err;
	size_t errlen;
	unsigned long key_line; /* of the key whose value is being read */
	unsigned long tls_line, auth_line, sans_line, version_line;
	bool auth_set;
	size_t ncurves;
	const char *curves[WEBCFG_NCURVES];
};

__attribute__((format(printf, 4, 5))) static int wp_fail(struct wp *p,
							 const yaml_node_t *n,
							 const char *path,
							 const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n)
		snprintf(p->err, p->errlen, "%s:%lu:%lu: %s%s%s", p->origin,
			 (unsigned long)n->start_mark.line + 1,
			 (unsigned long)n->start_mark.column + 1, path,
			 *path ? ": " : "", msg);
	else
		snprintf(p->err, p->errlen, "%s: %s%s%s", p->origin, path,
			 *path ? ": " : "", msg);
	return -EINVAL;
}

static const char *wp_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		return "a string";
	}
}

/* YAML's null: an empty plain scalar, ~ or null. */
static bool wp_is_null(const yaml_node_t *n)
{
	const char *v = (const char *)n->data.scalar.value;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") ||
	       !strcmp(v, "Null") || !strcmp(v, "NULL");
}

/* The text of a scalar; NULL for null. */
static int wp_text(struct wp *p, const yaml_node_t *n, const char *path,
		   const char **out)
{
	if (n->type != YAML_SCALAR_NODE)
		return wp_fail(p, n, path, "expected a string, found %s",
			       wp_kind(n));
	if (strlen((const char *)n->data.scalar.value) != n->data.scalar.length)
		return wp_fail(p, n, path, "a NUL byte in a string");
	*out = wp_is_null(n) ? NULL : (const char *)n->data.scalar.value;
	return 0;
}

/* A copy of a string value; NULL for null or "" (unset, as in Go). */
static int wp_string(struct wp *p, const yaml_node_t *n, const char *path,
		     char **out)
{
	const char *s;
	int rc = wp_text(p, n, path, &s);

	if (rc)
		return rc;
	free(*out);
	*out = NULL;
	if (!s || !*s)
		return 0;
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

/* YAML 1.1 booleans, as yaml.v2 reads them; null keeps the default. */
static int wp_bool(struct wp *p, const yaml_node_t *n, const char *path,
		   bool *out)
{
	static const char *const yes[] = { "y",	  "Y",	  "yes",  "Yes",
					   "YES", "true", "True", "TRUE",
					   "on",  "On",	  "ON" };
	static const char *const no[] = { "n",	 "N",	  "no",	   "No",
					  "NO",	 "false", "False", "FALSE",
					  "off", "Off",	  "OFF" };
	const char *s;
	int rc = wp_text(p, n, path, &s);

	if (rc || !s)
		return rc;
	if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
		for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
			if (!strcmp(s, yes[i])) {
				*out = true;
				return 0;
			}
			if (!strcmp(s, no[i])) {
				*out = false;
				return 0;
			}
		}
	return wp_fail(p, n, path, "'%s' is not true or false", s);
}

/* One of names[0..n); null keeps *out. */
static int wp_enum(struct wp *p, const yaml_node_t *n, const char *path,
		   const char *const *names, size_t count, const char *what,
		   int *out)
{
	char list[256] = "";
	const char *s;
	int rc = wp_text(p, n, path, &s);

	if (rc || !s)
		return rc;
	for (size_t i = 0; i < count; i++) {
		if (!strcmp(s, names[i])) {
			*out = (int)i;
			return 0;
		}
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
			 "%s%s", i ? ", " : "", names[i]);
	}
	return wp_fail(p, n, path, "unknown %s '%s' (one of %s)", what, s,
		       list);
}

/* A sequence; null is an empty one. */
static int wp_seq(struct wp *p, const yaml_node_t *n, const char *path,
		  yaml_node_item_t **start, yaml_node_item_t **top)
{
	if (wp_is_null(n)) {
		*start = *top = NULL;
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return wp_fail(p, n, path, "expected a list, found %s",
			       wp_kind(n));
	*start = n->data.sequence.items.start;
	*top = n->data.sequence.items.top;
	return 0;
}

typedef int (*wp_key_fn)(struct wp *p, size_t key, yaml_node_t *value,
			 const char *path);

/* Walks a mapping whose keys must be among names[0..count): each known
 * key once, each value to fn with its index and dotted path. */
static int wp_map(struct wp *p, yaml_node_t *n, const char *path,
		  const char *const *names, size_t count, wp_key_fn fn)
{
	unsigned long seen[16] = { 0 };

	if (wp_is_null(n))
		return 0;
	if (n->type != YAML_MAPPING_NODE)
		return wp_fail(p, n, path, "expected a mapping, found %s",
			       wp_kind(n));
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
	     pr < n->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(p->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(p->doc, pr->value);
		char sub[WEBCFG_PATH_MAX], list[400] = "";
		const char *name;
		size_t i;
		int rc;

		if (!k || !v || k->type != YAML_SCALAR_NODE)
			return wp_fail(p, k ? k : n, path,
				       "a key must be a string");
		name = (const char *)k->data.scalar.value;
		for (i = 0; i < count; i++)
			if (!strcmp(name, names[i]))
				break;
		if (i == count) {
			for (size_t j = 0; j < count; j++)
				snprintf(list + strlen(list),
					 sizeof(list) - strlen(list), "%s%s",
					 j ? ", " : "", names[j]);
			return wp_fail(p, k, path,
				       "unknown key '%.64s' (allowed: %s)",
				       name, list);
		}
		snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "",
			 names[i]);
		if (seen[i])
			return wp_fail(p, k, sub,
				       "given twice (first at line %lu)",
				       seen[i]);
		seen[i] = k->start_mark.line + 1;
		p->key_line = seen[i];
		rc = fn(p, i, v, sub);
		if (rc)
			return rc;
	}
	return 0;
}

/* cert, key, client CA: inline text or a file, not both. */
static int wp_pem(struct wp *p, const yaml_node_t *n, const char *path,
		  struct webcfg_pem *pem, bool file, const char *other)
{
	char **dst = file ? &pem->file : &pem->text;
	int rc;

	if ((file ? pem->text : pem->file) != NULL)
		return wp_fail(p, n, path, "give either this or %s, not both",
			       other);
	rc = wp_string(p, n, path, dst);
	pem->line = (unsigned)n->start_mark.line + 1;
	return rc;
}

/* Appends s to list[0..*n) unless it is there. */
static void wp_add_once(const char **list, size_t *n, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp(list[i], s))
			return;
	list[(*n)++] = s;
}

typedef int (*wp_item_fn)(struct wp *p, const yaml_node_t *item,
			  const char *path, const char *text);

/* Calls fn with each item of a list of strings (null: an empty list). */
static int wp_list(struct wp *p, const yaml_node_t *n, const char *path,
		   wp_item_fn fn)
{
	yaml_node_item_t *it = NULL, *top = NULL;
	int rc = wp_seq(p, n, path, &it, &top);

	for (; !rc && it < top; it++) {
		yaml_node_t *e = yaml_document_get_node(p->doc, *it);
		const char *s;

		rc = wp_text(p, e, path, &s);
		if (!rc)
			rc = fn(p, e, path, s);
	}
	return rc;
}

static int wp_suite(struct wp *p, const yaml_node_t *e, const char *path,
		    const char *s)
{
	for (size_t i = 0; s && i < WEBCFG_MAX_SUITES; i++)
		if (!strcmp(s, webcfg_suites[i].name)) {
			wp_add_once(p->w->suites, &p->w->nsuites,
				    webcfg_suites[i].name);
			return 0;
		}
	return wp_fail(p, e, path,
		       "unknown cipher '%s' (Go crypto/tls names of secure "
		       "suites, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)",
		       s ? s : "");
}

static int wp_curve(struct wp *p, const yaml_node_t *e, const char *path,
		    const char *s)
{
	for (size_t i = 0; s && i < WEBCFG_NCURVES; i++)
		if (!strcmp(s, webcfg_curves[i][0])) {
			wp_add_once(p->curves, &p->ncurves,
				    webcfg_curves[i][1]);
			return 0;
		}
	return wp_fail(p, e, path,
		       "unknown curve '%s' (one of CurveP256, CurveP384, "
		       "CurveP521, X25519)",
		       s ? s : "");
}

static int wp_san(struct wp *p, const yaml_node_t *e, const char *path,
		  const char *s)
{
	struct webcfg *w = p->w;

	(void)e;
	(void)path;
	w->allowed_sans[w->nallowed_sans] = strdup(s ? s : "");
	if (!w->allowed_sans[w->nallowed_sans])
		return -ENOMEM;
	w->nallowed_sans++;
	return 0;
}

static int wp_sans(struct wp *p, const yaml_node_t *n, const char *path)
{
	yaml_node_item_t *it = NULL, *top = NULL;
	struct webcfg *w = p->w;
	int rc = wp_seq(p, n, path, &it, &top);

	if (rc || wp_is_null(n))
		return rc; /* null: unset, as in Go */
	if (top - it > WEBCFG_MAX_SANS)
		return wp_fail(p, n, path, "more than %d entries",
			       WEBCFG_MAX_SANS);
	w->allowed_sans =
		calloc((size_t)(top - it) + 1, sizeof(*w->allowed_sans));
	if (!w->allowed_sans)
		return -ENOMEM;
	p->sans_line = n->start_mark.line + 1;
	return wp_list(p, n, path, wp_san);
}

static const char *const wp_tls_keys[] = {
	"cert",
	"key",
	"client_ca",
	"cert_file",
	"key_file",
	"client_ca_file",
	"client_auth_type",
	"client_allowed_sans",
	"min_version",
	"max_version",
	"cipher_suites",
	"prefer_server_cipher_suites",
	"curve_preferences",
};

static int wp_tls_key(struct wp *p, size_t key, yaml_node_t *v,
		      const char *path)
{
	struct webcfg *w = p->w;
	int e;

	switch (key) {
	case 0:
		return wp_pem(p, v, path, &w->cert, false, "cert_file");
	case 1:
		return wp_pem(p, v, path, &w->key, false, "key_file");
	case 2:
		return wp_pem(p, v, path, &w->client_ca, false,
			      "client_ca_file");
	case 3:
		return wp_pem(p, v, path, &w->cert, true, "cert");
	case 4:
		return wp_pem(p, v, path, &w->key, true, "key");
	case 5:
		return wp_pem(p, v, path, &w->client_ca, true, "client_ca");
	case 6:
		e = -1;
		if (wp_enum(p, v, path, webcfg_auth_names, 5,
			    "client_auth_type", &e))
			return -EINVAL;
		if (e >= 0) {
			w->client_auth = (enum webcfg_client_auth)e;
			p->auth_set = true;
			p->auth_line = v->start_mark.line + 1;
		}
		return 0;
	case 7:
		return wp_sans(p, v, path);
	case 8:
	case 9:
		e = key == 8 ? (int)w->min_version : (int)w->max_version;
		if (wp_enum(p, v, path, webcfg_versions, 4, "TLS version", &e))
			return -EINVAL;
		if (key == 8)
			w->min_version = (enum webcfg_tls_version)e;
		else
			w->max_version = (enum webcfg_tls_version)e;
		p->version_line = v->start_mark.line + 1;
		return 0;
	case 10:
		return wp_list(p, v, path, wp_suite);
	case 11:
		return wp_bool(p, v, path, &w->prefer_server_cipher_suites);
	default:
		return wp_list(p, v, path, wp_curve);
	}
}

static int wp_header_key(struct wp *p, size_t key, yaml_node_t *v,
			 const char *path)
{
	const char *const *allowed = webcfg_header_values[key];
	struct webcfg_header *h;
	const char *s;
	int rc = wp_text(p, v, path, &s);

	if (rc)
		return rc;
	if (!s || !*s)
		return 0; /* "Unset if blank" */
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c < 0x20 && *c != '\t')
			return wp_fail(p, v, path,
				       "a control character in a header value");
	if (allowed[0]) {
		size_t i;

		for (i = 0; allowed[i]; i++)
			if (!strcmp(s, allowed[i]))
				break;
		if (!allowed[i])
			return wp_fail(p, v, path,
				       "'%s' is not allowed (only %s%s%s)", s,
				       allowed[0], allowed[1] ? " or " : "",
				       allowed[1] ? allowed[1] : "");
	}
	h = &p->w->headers[p->w->nheaders];
	h->name = webcfg_header_names[key];
	h->value = strdup(s);
	if (!h->value)
		return -ENOMEM;
	p->w->nheaders++;
	return 0;
}

static const char *const wp_http_keys[] = { "http2", "headers" };

static int wp_http_key(struct wp *p, size_t key, yaml_node_t *v,
		       const char *path)
{
	if (key == 0)
		return wp_bool(p, v, path, &p->w->http2);
	if (!wp_is_null(v) && v->type != YAML_MAPPING_NODE)
		return wp_fail(p, v, path, "expected a mapping, found %s",
			       wp_kind(v));
	/* the allowed header names are the keys; others are refused with
	 * the toolkit's reason */
	if (v->type == YAML_MAPPING_NODE)
		for (yaml_node_pair_t *pr = v->data.mapping.pairs.start;
		     pr < v->data.mapping.pairs.top; pr++) {
			yaml_node_t *k =
				yaml_document_get_node(p->doc, pr->key);
			size_t i;

			if (!k || k->type != YAML_SCALAR_NODE)
				continue; /* wp_map reports it */
			for (i = 0; i < WEBCFG_MAX_HEADERS; i++)
				if (!strcmp((const char *)k->data.scalar.value,
					    webcfg_header_names[i]))
					break;
			if (i == WEBCFG_MAX_HEADERS)
				return wp_fail(
					p, k, path,
					"HTTP header '%.64s' can not be "
					"configured (only Strict-Transport-"
					"Security, X-Content-Type-Options, "
					"X-Frame-Options, X-XSS-Protection, "
					"Content-Security-Policy)",
					(const char *)k->data.scalar.value);
		}
	return wp_map(p, v, path, webcfg_header_names, WEBCFG_MAX_HEADERS,
		      wp_header_key);
}

/* A bcrypt hash as Go's bcrypt.Cost accepts it: "$2" a|b|x|y "$" cost
 * (04..31) "$" 53 characters of bcrypt's base64. The cost, or -1. */
static int webcfg_bcrypt_cost(const char *h)
{
	static const char b64[] = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
				  "opqrstuvwxyz0123456789";
	int cost;

	if (strlen(h) != 60 || h[0] != '$' || h[1] != '2' ||
	    !strchr("abxy", h[2]) || h[3] != '$' || h[4] < '0' || h[4] > '9' ||
	    h[5] < '0' || h[5] > '9' || h[6] != '$')
		return -1;
	cost = (h[4] - '0') * 10 + (h[5] - '0');
	if (cost < 4 || cost > 31)
		return -1;
	for (const char *c = h + 7; *c; c++)
		if (!strchr(b64, *c))
			return -1;
	return cost;
}

static int webcfg_user_cmp(const void *a, const void *b)
{
	return strcmp(((const struct webcfg_user *)a)->name,
		      ((const struct webcfg_user *)b)->name);
}

static int wp_users(struct wp *p, yaml_node_t *n, const char *path)
{
	struct webcfg *w = p->w;
	size_t count;
	int maxcost = 0;

	if (wp_is_null(n))
		return 0;
	if (n->type != YAML_MAPPING_NODE)
		return wp_fail(p, n, path, "expected a mapping, found %s",
			       wp_kind(n));
	count = (size_t)(n->data.mapping.pairs.top -
			 n->data.mapping.pairs.start);
	if (count > WEBCFG_MAX_USERS)
		return wp_fail(p, n, path, "more than %d users",
			       WEBCFG_MAX_USERS);
	if (!count)
		return 0;
	w->users = calloc(count, sizeof(*w->users));
	if (!w->users)
		return -ENOMEM;
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
	     pr < n->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(p->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(p->doc, pr->value);
		struct webcfg_user *u = &w->users[w->nusers];
		const char *name, *hash;
		char sub[WEBCFG_PATH_MAX];
		int cost, rc;

		if (!k || !v || k->type != YAML_SCALAR_NODE)
			return wp_fail(p, k ? k : n, path,
				       "a user name must be a string");
		rc = wp_text(p, k, path, &name);
		if (rc)
			return rc;
		snprintf(sub, sizeof(sub), "%s.%.40s", path, name ? name : "");
		rc = wp_text(p, v, sub, &hash);
		if (rc)
			return rc;
		cost = hash ? webcfg_bcrypt_cost(hash) : -1;
		if (cost < 0)
			return wp_fail(p, v, sub,
				       "not a bcrypt hash (make one with "
				       "htpasswd -nBC 10 \"\" | tr -d ':\\n')");
		u->name = strdup(name ? name : "");
		u->hash = strdup(hash);
		u->line = (unsigned)k->start_mark.line + 1;
		w->nusers++;
		if (!u->name || !u->hash)
			return -ENOMEM;
		if (cost > maxcost)
			maxcost = cost;
	}
	qsort(w->users, w->nusers, sizeof(*w->users), webcfg_user_cmp);
	for (size_t i = 1; i < w->nusers; i++)
		if (!strcmp(w->users[i].name, w->users[i - 1].name)) {
			unsigned a = w->users[i - 1].line, b = w->users[i].line;

			snprintf(p->err, p->errlen,
				 "%s:%u: %s: user '%.40s' given twice (first "
				 "at line %u)",
				 p->origin, a > b ? a : b, path,
				 w->users[i].name, a < b ? a : b);
			return -EINVAL;
		}
	/* any salt does: only the cost decides how long bcrypt takes */
	snprintf(w->dummy_hash, sizeof(w->dummy_hash), "$2b$%02d$%s", maxcost,
		 "aeDummySaltForUnknownUsersDummyHashOfNoPasswordAtAll0");
	return 0;
}

/* A Go duration (time.ParseDuration), or a plain integer of nanoseconds
 * (how yaml.v2 reads an integer into a time.Duration). */
static int webcfg_go_duration(const char *s, bool plain, uint64_t *ns)
{
	static const struct {
		const char *unit;
		uint64_t ns;
	} units[] = { { "ns", 1 },
		      { "us", 1000 },
		      { "\xc2\xb5s", 1000 },
		      { "\xce\xbcs", 1000 },
		      { "ms", 1000000 },
		      { "s", 1000000000ull },
		      { "m", 60000000000ull },
		      { "h", 3600000000000ull } };
	uint64_t total = 0;

	if (*s == '+')
		s++;
	if (!*s || *s == '-')
		return -EINVAL;
	if (!strcmp(s, "0")) {
		*ns = 0;
		return 0;
	}
	if (plain && strspn(s, "0123456789") == strlen(s)) {
		errno = 0;
		*ns = strtoull(s, NULL, 10);
		return errno ? -EINVAL : 0;
	}
	while (*s) {
		uint64_t whole = 0, frac = 0, scale = 1, v;
		bool digits = false;
		size_t k, n = 0;

		for (; *s >= '0' && *s <= '9'; s++, digits = true) {
			if (whole > (UINT64_MAX - 9) / 10)
				return -EINVAL;
			whole = whole * 10 + (uint64_t)(*s - '0');
		}
		if (*s == '.')
			for (s++; *s >= '0' && *s <= '9'; s++, digits = true)
				if (scale < 1000000000000000000ull) {
					frac = frac * 10 + (uint64_t)(*s - '0');
					scale *= 10;
				}
		if (!digits)
			return -EINVAL;
		for (k = 0; k < sizeof(units) / sizeof(units[0]); k++) {
			n = strlen(units[k].unit);
			/* longest match first: "ms" before "m" */
			if (!strncmp(s, units[k].unit, n) &&
			    !(n == 1 && s[0] == 'm' && s[1] == 's'))
				break;
		}
		if (k == sizeof(units) / sizeof(units[0]))
			return -EINVAL;
		if (whole > UINT64_MAX / units[k].ns)
			return -EINVAL;
		v = whole * units[k].ns;
		/* frac < scale <= 1e18, so frac * (ns / scale) cannot
		 * overflow; precision below a nanosecond is dropped */
		v += (uint64_t)((long double)frac * (long double)units[k].ns /
				(long double)scale);
		if (total > UINT64_MAX - v)
			return -EINVAL;
		total += v;
		s += n;
	}
	*ns = total;
	return 0;
}

static const char *const wp_rate_keys[] = { "interval", "burst" };

static int wp_rate_key(struct wp *p, size_t key, yaml_node_t *v,
		       const char *path)
{
	const char *s;
	char *end;
	unsigned long long u;
	int rc = wp_text(p, v, path, &s);

	if (rc || !s)
		return rc;
	if (key == 0) {
		if (webcfg_go_duration(
			    s, v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE,
			    &p->w->rate_interval_ns))
			return wp_fail(p, v, path,
				       "'%s' is not a duration (e.g. 1s, "
				       "500ms, 1m30s)",
				       s);
		return 0;
	}
	errno = 0;
	u = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || *s == '+' ||
	    u > 1000000000ull ||
	    v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return wp_fail(p, v, path,
			       "'%s' is not a whole number in [0, 1e9]", s);
	p->w->rate_burst = (unsigned)u;
	return 0;
}

static const char *const wp_top_keys[] = { "tls_server_config",
					   "http_server_config",
					   "basic_auth_users", "rate_limit" };

static int wp_top_key(struct wp *p, size_t key, yaml_node_t *v,
		      const char *path)
{
	switch (key) {
	case 0:
		p->tls_line = p->key_line;
		return wp_map(p, v, path, wp_tls_keys,
			      sizeof(wp_tls_keys) / sizeof(wp_tls_keys[0]),
			      wp_tls_key);
	case 1:
		return wp_map(p, v, path, wp_http_keys, 2, wp_http_key);
	case 2:
		return wp_users(p, v, path);
	default:
		return wp_map(p, v, path, wp_rate_keys, 2, wp_rate_key);
	}
}

/* The GnuTLS priority string for the TLS settings. */
static int wp_priorities(struct wp *p)
{
	struct webcfg *w = p->w;
	/* key exchanges, ciphers, MACs: at most one each per suite, plus
	 * TLS 1.3's three ciphers and its MAC */
	const char *parts[3][WEBCFG_MAX_SUITES + 3];
	size_t nparts[3] = { 0, 0, 0 };
	struct dbuf b;

	dbuf_init(&b, 4096);
	dbuf_adds(&b, "NORMAL");
	if (w->prefer_server_cipher_suites)
		dbuf_adds(&b, ":%SERVER_PRECEDENCE");
	dbuf_adds(&b, ":-VERS-ALL");
	for (int v = (int)w->max_version; v >= (int)w->min_version; v--)
		dbuf_addf(&b, ":+VERS-TLS1.%d", v);
	for (size_t i = 0; i < w->nsuites; i++)
		for (size_t j = 0; j < WEBCFG_MAX_SUITES; j++) {
			const struct webcfg_suite *s = &webcfg_suites[j];

			if (s->name != w->suites[i] || !s->kx)
				continue;
			wp_add_once(parts[0], &nparts[0], s->kx);
			wp_add_once(parts[1], &nparts[1], s->cipher);
			wp_add_once(parts[2], &nparts[2], s->mac);
		}
	if (w->nsuites && w->max_version == WEBCFG_TLS13) {
		/* TLS 1.3 keeps its suites, as in Go */
		wp_add_once(parts[1], &nparts[1], "AES-128-GCM");
		wp_add_once(parts[1], &nparts[1], "AES-256-GCM");
		wp_add_once(parts[1], &nparts[1], "CHACHA20-POLY1305");
		wp_add_once(parts[2], &nparts[2], "AEAD");
	}
	if (w->nsuites) {
		dbuf_adds(&b, ":-KX-ALL:-CIPHER-ALL:-MAC-ALL");
		for (int k = 0; k < 3; k++)
			for (size_t m = 0; m < nparts[k]; m++)
				dbuf_addf(&b, ":+%s", parts[k][m]);
	}
	if (p->ncurves) {
		dbuf_adds(&b, ":-GROUP-ALL");
		for (size_t i = 0; i < p->ncurves; i++)
			dbuf_addf(&b, ":+%s", p->curves[i]);
	}
	if (b.failed) {
		dbuf_free(&b);
		return -ENOMEM;
	}
	w->priorities = dbuf_take(&b, NULL);
	return 0;
}

/* The checks across keys, once the whole file is read. */
static int wp_finish(struct wp *p)
{
	struct webcfg *w = p->w;
	const char *tls = "tls_server_config";
	bool verify = w->client_auth == WEBCFG_VERIFY_CLIENT_CERT_IF_GIVEN ||
		      w->client_auth == WEBCFG_REQUIRE_AND_VERIFY_CLIENT_CERT;
	bool has_ca = w->client_ca.text || w->client_ca.file;
	char line[32];

	w->tls = w->cert.text || w->cert.file || w->key.text || w->key.file ||
		 has_ca || p->auth_set;
	snprintf(line, sizeof(line), ":%lu", p->tls_line);
	if (!w->tls)
		return 0;
	if (!w->cert.text && !w->cert.file) {
		snprintf(p->err, p->errlen,
			 "%s%s: %s: missing one of cert or "
			 "cert_file",
			 p->origin, line, tls);
		return -EINVAL;
	}
	if (!w->key.text && !w->key.file) {
		snprintf(p->err, p->errlen,
			 "%s%s: %s: missing one of key or "
			 "key_file",
			 p->origin, line, tls);
		return -EINVAL;
	}
	if (has_ca && w->client_auth == WEBCFG_NO_CLIENT_CERT) {
		snprintf(p->err, p->errlen,
			 "%s:%u: %s: a client CA is configured but "
			 "client_auth_type is NoClientCert (set it to "
			 "RequireAndVerifyClientCert)",
			 p->origin, w->client_ca.line, tls);
		return -EINVAL;
	}
	if (verify && !has_ca) {
		snprintf(p->err, p->errlen,
			 "%s:%lu: %s.client_auth_type: %s needs client_ca_file "
			 "(or client_ca) to verify client certificates against",
			 p->origin, p->auth_line, tls,
			 webcfg_auth_names[w->client_auth]);
		return -EINVAL;
	}
	if (w->allowed_sans &&
	    w->client_auth != WEBCFG_REQUIRE_ANY_CLIENT_CERT &&
	    w->client_auth != WEBCFG_REQUIRE_AND_VERIFY_CLIENT_CERT) {
		snprintf(p->err, p->errlen,
			 "%s:%lu: %s.client_allowed_sans: requires "
			 "client_auth_type to be one of RequireAnyClientCert "
			 "or "
			 "RequireAndVerifyClientCert",
			 p->origin, p->sans_line, tls);
		return -EINVAL;
	}
	if (w->min_version > w->max_version) {
		snprintf(p->err, p->errlen,
			 "%s:%lu: %s: min_version %s is above max_version %s",
			 p->origin, p->version_line, tls,
			 webcfg_versions[w->min_version],
			 webcfg_versions[w->max_version]);
		return -EINVAL;
	}
	return wp_priorities(p);
}

static struct webcfg *webcfg_new(const char *origin)
{
	struct webcfg *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->origin = strdup(origin ? origin : "web config");
	if (!w->origin) {
		free(w);
		return NULL;
	}
	w->min_version = WEBCFG_TLS12;
	w->max_version = WEBCFG_TLS13;
	w->prefer_server_cipher_suites = true;
	w->http2 = true;
	return w;
}

struct webcfg *webcfg_parse(const char *text, size_t len, const char *origin,
			    char *err, size_t errlen)
{
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	bool have_doc = false, have_parser = false;
	struct wp p = { 0 };
	yaml_node_t *root;
	int rc = -EINVAL;

	p.w = webcfg_new(origin);
	if (!p.w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p.origin = p.w->origin;
	p.err = err;
	p.errlen = errlen;
	p.doc = &doc;
	if (len > WEBCFG_MAX_BYTES) {
		wp_fail(&p, NULL, "", "larger than %u bytes", WEBCFG_MAX_BYTES);
		goto out;
	}
	if (!yaml_parser_initialize(&parser)) {
		rc = -ENOMEM;
		goto out;
	}
	have_parser = true;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc))
		goto yaml_error;
	have_doc = true;
	root = yaml_document_get_root_node(&doc);
	if (root) {
		if (!yaml_parser_load(&parser, &extra))
			goto yaml_error;
		if (yaml_document_get_root_node(&extra)) {
			snprintf(err, errlen,
				 "%s:%lu: more than one YAML document",
				 p.origin,
				 (unsigned long)extra.start_mark.line + 1);
			yaml_document_delete(&extra);
			goto out;
		}
		yaml_document_delete(&extra);
		rc = wp_map(&p, root, "", wp_top_keys, 4, wp_top_key);
		if (!rc)
			rc = wp_finish(&p);
	} else {
		rc = 0; /* an empty file: plain HTTP, no auth */
	}
	goto out;
yaml_error:
	if (parser.error == YAML_MEMORY_ERROR) {
		rc = -ENOMEM;
		goto out;
	}
	snprintf(err, errlen, "%s:%lu:%lu: bad YAML: %s%s%s", p.origin,
		 (unsigned long)parser.problem_mark.line + 1,
		 (unsigned long)parser.problem_mark.column + 1,
		 parser.problem ? parser.problem : "syntax error",
		 parser.context ? " " : "",
		 parser.context ? parser.context : "");
	rc = -EINVAL;
out:
	if (have_doc)
		yaml_document_delete(&doc);
	if (have_parser)
		yaml_parser_delete(&parser);
	if (rc) {
		if (rc == -ENOMEM)
			snprintf(err, errlen, "%s: out of memory", p.origin);
		webcfg_free(p.w);
		errno = -rc;
		return NULL;
	}
	return p.w;
}

/* Reads a whole file of at most WEBCFG_MAX_BYTES, NUL-terminated. */
static char *webcfg_read(const char *path, size_t *len, int *error)
{
	struct stat st;
	char *buf = NULL;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*error = 0;
	if (fd < 0 || fstat(fd, &st)) {
		*error = errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)WEBCFG_MAX_BYTES) {
		*error = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		*error = ENOMEM;
		goto out;
	}
	n = read(fd, buf, (size_t)st.st_size);
	if (n != (ssize_t)st.st_size) {
		*error = n < 0 ? errno : EIO;
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[n] = 0;
	*len = (size_t)n;
out:
	if (fd >= 0)
		close(fd);
	return buf;
}

/* Resolves pem->file against dir and reads it into pem->text. */
static int webcfg_read_pem(struct webcfg *w, struct webcfg_pem *pem,
			   const char *dir, const char *key, char *err,
			   size_t errlen)
{
	char *full;
	size_t len;
	int e;

	if (!pem->file)
		return 0;
	if (pem->file[0] != '/' && dir) {
		if (asprintf(&full, "%s/%s", dir, pem->file) < 0)
			return -ENOMEM;
		free(pem->file);
		pem->file = full;
	}
	pem->text = webcfg_read(pem->file, &len, &e);
	if (!pem->text) {
		snprintf(err, errlen,
			 "%s:%u: tls_server_config.%s: cannot read %s: %s",
			 w->origin, pem->line, key, pem->file,
			 e == EFBIG    ? "larger than 1 MiB"
			 : e == EINVAL ? "not a regular file"
				       : strerror(e));
		return -e;
	}
	return 0;
}

/* Where a PEM blob came from, for messages. */
static void webcfg_pem_where(const struct webcfg *w,
			     const struct webcfg_pem *pem, const char *key,
			     char *out, size_t outlen)
{
	if (pem->file)
		snprintf(out, outlen, "%s:%u: tls_server_config.%s_file (%s)",
			 w->origin, pem->line, key, pem->file);
	else
		snprintf(out, outlen, "%s:%u: tls_server_config.%s", w->origin,
			 pem->line, key);
}

/* What GnuTLS thinks of the certificate, key, CA and priorities. */
static int webcfg_check_tls(struct webcfg *w, char *err, size_t errlen)
{
	gnutls_certificate_credentials_t cred = NULL;
	gnutls_priority_t prio = NULL;
	gnutls_datum_t cert = { (unsigned char *)w->cert.text,
				(unsigned)strlen(w->cert.text) };
	gnutls_datum_t key = { (unsigned char *)w->key.text,
			       (unsigned)strlen(w->key.text) };
	const char *pos = NULL;
	char where[600];
	int rc = gnutls_certificate_allocate_credentials(&cred);

	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", w->origin, gnutls_strerror(rc));
		return -ENOMEM;
	}
	rc = gnutls_certificate_set_x509_key_mem(cred, &cert, &key,
						 GNUTLS_X509_FMT_PEM);
	if (rc < 0) {
		webcfg_pem_where(w, &w->key, "key", where, sizeof(where));
		snprintf(err, errlen,
			 "%s: the certificate and key are not a PEM "
			 "certificate and its private key: %s",
			 where, gnutls_strerror(rc));
		rc = -EINVAL;
		goto out;
	}
	if (w->client_ca.text) {
		gnutls_datum_t ca = { (unsigned char *)w->client_ca.text,
				      (unsigned)strlen(w->client_ca.text) };

		rc = gnutls_certificate_set_x509_trust_mem(cred, &ca,
							   GNUTLS_X509_FMT_PEM);
		if (rc <= 0) {
			webcfg_pem_where(w, &w->client_ca, "client_ca", where,
					 sizeof(where));
			snprintf(err, errlen,
				 "%s: no PEM certificate found%s%s", where,
				 rc < 0 ? ": " : "",
				 rc < 0 ? gnutls_strerror(rc) : "");
			rc = -EINVAL;
			goto out;
		}
	}
	rc = gnutls_priority_init(&prio, w->priorities, &pos);
	if (rc < 0) {
		snprintf(err, errlen,
			 "%s: tls_server_config: GnuTLS refuses the priority "
			 "string '%s' at '%s': %s",
			 w->origin, w->priorities, pos ? pos : "",
			 gnutls_strerror(rc));
		rc = -EINVAL;
		goto out;
	}
	rc = 0;
out:
	if (prio)
		gnutls_priority_deinit(prio);
	gnutls_certificate_free_credentials(cred);
	return rc;
}

struct webcfg *webcfg_load(const char *path, char *err, size_t errlen)
{
	struct webcfg *w = NULL;
	char *text, *dir = NULL, *slash;
	size_t len = 0;
	int e, rc;

	text = webcfg_read(path, &len, &e);
	if (!text) {
		snprintf(err, errlen, "%s: cannot read the web config file: %s",
			 path,
			 e == EFBIG    ? "larger than 1 MiB"
			 : e == EINVAL ? "not a regular file"
				       : strerror(e));
		errno = e;
		return NULL;
	}
	w = webcfg_parse(text, len, path, err, errlen);
	free(text);
	if (!w || !w->tls)
		return w;
	/* relative names are relative to the file's directory */
	slash = strrchr(path, '/');
	if (slash) {
		dir = strndup(path, (size_t)(slash - path) + (slash == path));
		if (!dir) {
			rc = -ENOMEM;
			goto fail;
		}
	}
	rc = webcfg_read_pem(w, &w->cert, dir, "cert_file", err, errlen);
	if (!rc)
		rc = webcfg_read_pem(w, &w->key, dir, "key_file", err, errlen);
	if (!rc)
		rc = webcfg_read_pem(w, &w->client_ca, dir, "client_ca_file",
				     err, errlen);
	if (!rc)
		rc = webcfg_check_tls(w, err, errlen);
	free(dir);
	if (!rc)
		return w;
fail:
	if (rc == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", path);
	webcfg_free(w);
	errno = -rc;
	return NULL;
}

static void webcfg_pem_free(struct webcfg_pem *pem)
{
	if (pem->text)
		explicit_bzero(pem->text, strlen(pem->text));
	free(pem->text);
	free(pem->file);
}

void webcfg_free(struct webcfg *w)
{
	if (!w)
		return;
	webcfg_pem_free(&w->cert);
	webcfg_pem_free(&w->key);
	webcfg_pem_free(&w->client_ca);
	for (size_t i = 0; i < w->nallowed_sans; i++)
		free(w->allowed_sans[i]);
	free(w->allowed_sans);
	free(w->priorities);
	for (size_t i = 0; i < w->nheaders; i++)
		free(w->headers[i].value);
	for (size_t i = 0; i < w->nusers; i++) {
		free(w->users[i].name);
		free(w->users[i].hash);
	}
	free(w->users);
	free(w->origin);
	free(w);
}

/* a == b in time that depends only on the length of b. */
static bool webcfg_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned diff = la != lb;

	for (size_t i = 0; i < lb; i++)
		diff |= (unsigned char)(i < la ? a[i] : 0) ^
			(unsigned char)b[i];
	return diff == 0;
}

bool webcfg_auth_check(const struct webcfg *w, const char *user,
		       const char *pass, webcfg_hash_fn hash, void *ctx)
{
	const struct webcfg_user *u = NULL;
	char out[WEBCFG_HASH_MAX];
	const char *want;
	bool ok;

	if (!w->nusers)
		return true;
	if (!user || !pass)
		return false;
	for (size_t i = 0; i < w->nusers; i++)
		if (!strcmp(w->users[i].name, user))
			u = &w->users[i];
	want = u ? u->hash : w->dummy_hash;
	ok = hash(pass, want, out, sizeof(out), ctx) == 0 &&
	     webcfg_equal(out, want);
	explicit_bzero(out, sizeof(out));
	return ok && u && strlen(pass) <= WEBCFG_BCRYPT_PASS;
}

int webcfg_bcrypt(const char *pass, const char *setting, char *out,
		  size_t outlen, void *ctx)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	const char *r;
	int rc = -EINVAL;

	(void)ctx;
	if (!cd)
		return -ENOMEM;
	r = crypt_rn(pass, setting, cd, sizeof(*cd));
	if (r && r[0] != '*' && strlen(r) < outlen) {
		strcpy(out, r);
		rc = 0;
	}
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return rc;
}

bool webcfg_san_allowed(const struct webcfg *w, const char *san)
{
	for (size_t i = 0; i < w->nallowed_sans; i++)
		if (!strcmp(w->allowed_sans[i], san))
			return true;
	return false;
}

bool webcfg_suite_allowed(const struct webcfg *w, const char *suite)
{
	if (!w->nsuites)
		return true;
	for (size_t i = 0; i < w->nsuites; i++)
		if (!strcmp(w->suites[i], suite))
			return true;
	return false;
}
