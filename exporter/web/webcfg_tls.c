/*
 * webcfg_tls: tls_server_config. The toolkit's names of cipher suites,
 * curves, TLS versions and client auth types are read into struct webcfg
 * and checked across keys once the whole file is read (the rules are in
 * webcfg.c's comment); the sessions (exporter/web/tls.c) ask
 * webcfg_san_allowed and webcfg_suite_allowed per connection.
 *
 * The TLS settings become one GnuTLS priority string: versions as
 * -VERS-ALL:+VERS-TLS1.x, curves as -GROUP-ALL:+GROUP-..., and cipher
 * suites as their key exchange, cipher and MAC components. GnuTLS cannot
 * name single suites, so the components allow their cross product; the
 * server (exporter/web/tls.c) therefore also checks the negotiated suite
 * against the list (webcfg_suite_allowed) and serves nothing over another.
 * As in Go, the list restricts TLS 1.0 to 1.2 only: TLS 1.3 suites stay
 * on.
 */
#include "exporter/web/webcfg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "exporter/web/webcfg_int.h"
#include "metrics/dbuf.h"

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
static const char *const webcfg_curves[WEBCFG_NCURVES][2] = {
	{ "CurveP256", "GROUP-SECP256R1" },
	{ "CurveP384", "GROUP-SECP384R1" },
	{ "CurveP521", "GROUP-SECP521R1" },
	{ "X25519", "GROUP-X25519" },
};

static const char *const webcfg_versions[] = { "TLS10", "TLS11", "TLS12",
					       "TLS13" };

static const char *const webcfg_auth_names[] = {
	"NoClientCert",
	"RequestClientCert",
	"RequireAnyClientCert",
	"VerifyClientCertIfGiven",
	"RequireAndVerifyClientCert",
};

/* cert, key, client CA: inline text or a file, not both. */
static int wp_pem(struct wp *p, const yaml_node_t *n, const char *path,
		  struct webcfg_pem *pem, bool file, const char *other)
{
	char **dst = file ? &pem->file : &pem->text;
	int rc;

	if ((file ? pem->text : pem->file) != NULL)
		return webcfg_wp_fail(
			p, n, path, "give either this or %s, not both", other);
	rc = webcfg_wp_string(p, n, path, dst);
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

static int wp_suite(struct wp *p, const yaml_node_t *e, const char *path,
		    const char *s)
{
	for (size_t i = 0; s && i < WEBCFG_MAX_SUITES; i++)
		if (!strcmp(s, webcfg_suites[i].name)) {
			wp_add_once(p->w->suites, &p->w->nsuites,
				    webcfg_suites[i].name);
			return 0;
		}
	return webcfg_wp_fail(p, e, path,
			      "unknown cipher '%s' (Go crypto/tls names of "
			      "secure suites, e.g. "
			      "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)",
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
	return webcfg_wp_fail(p, e, path,
			      "unknown curve '%s' (one of CurveP256, "
			      "CurveP384, CurveP521, X25519)",
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
	int rc = webcfg_wp_seq(p, n, path, &it, &top);

	if (rc || webcfg_wp_is_null(n))
		return rc; /* null: unset, as in Go */
	if (top - it > WEBCFG_MAX_SANS)
		return webcfg_wp_fail(p, n, path, "more than %d entries",
				      WEBCFG_MAX_SANS);
	w->allowed_sans =
		calloc((size_t)(top - it) + 1, sizeof(*w->allowed_sans));
	if (!w->allowed_sans)
		return -ENOMEM;
	p->sans_line = n->start_mark.line + 1;
	return webcfg_wp_list(p, n, path, wp_san);
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
		if (webcfg_wp_enum(p, v, path, webcfg_auth_names, 5,
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
		if (webcfg_wp_enum(p, v, path, webcfg_versions, 4,
				   "TLS version", &e))
			return -EINVAL;
		if (key == 8)
			w->min_version = (enum webcfg_tls_version)e;
		else
			w->max_version = (enum webcfg_tls_version)e;
		p->version_line = v->start_mark.line + 1;
		return 0;
	case 10:
		return webcfg_wp_list(p, v, path, wp_suite);
	case 11:
		return webcfg_wp_bool(p, v, path,
				      &w->prefer_server_cipher_suites);
	default:
		return webcfg_wp_list(p, v, path, wp_curve);
	}
}

int webcfg_wp_tls(struct wp *p, yaml_node_t *v, const char *path)
{
	p->tls_line = p->key_line;
	return webcfg_wp_map(p, v, path, wp_tls_keys,
			     sizeof(wp_tls_keys) / sizeof(wp_tls_keys[0]),
			     wp_tls_key);
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
int webcfg_wp_finish(struct wp *p)
{
	struct webcfg *w = p->w;
	const char *tls = "tls_server_config";
	bool verify = webcfg_auth_verifies(w->client_auth);
	bool has_ca = w->client_ca.text || w->client_ca.file;
	const char *missing;
	char line[32];

	w->tls = w->cert.text || w->cert.file || w->key.text || w->key.file ||
		 has_ca || p->auth_set;
	snprintf(line, sizeof(line), ":%lu", p->tls_line);
	if (!w->tls)
		return 0;
	missing = !w->cert.text && !w->cert.file ? "cert"
		  : !w->key.text && !w->key.file ? "key"
						 : NULL;
	if (missing) {
		snprintf(p->err, p->errlen,
			 "%s%s: %s: missing one of %s or %s_file", p->origin,
			 line, tls, missing, missing);
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
	if (w->allowed_sans && !webcfg_auth_requires_cert(w->client_auth)) {
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
