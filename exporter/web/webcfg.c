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
 * The module is five files that share exporter/web/webcfg_int.h: this one (the
 * top level, http_server_config, rate_limit, webcfg_parse, webcfg_free),
 * webcfg_yaml.c (strict reading of YAML nodes), webcfg_tls.c
 * (tls_server_config and its GnuTLS priority string), webcfg_auth.c
 * (basic_auth_users, checking a password) and webcfg_load.c (webcfg_load:
 * reading the files, the GnuTLS checks).
 *
 * Fail closed (webcfg_weakens): a file that is empty, holds only comments
 * or reads "basic_auth_users:" is a valid configuration with no TLS and no
 * users, which is what a truncated or half-written file looks like too.
 * Loaded while running, it would open /metrics to anyone without a word
 * above info. So a reload that would take away TLS, every user, a
 * required client certificate, its verification or client_allowed_sans
 * is refused (webctx logs it as an error and keeps the configuration in
 * force); removing them takes a restart, a deliberate act. Changing
 * users, certificates or SANs, or removing some users, reloads as before.
 *
 * webcfg_parse is pure (text in, struct out) for unit tests and fuzzing;
 * webcfg_load adds the file reads and the GnuTLS checks. Bounds: input
 * WEBCFG_MAX_BYTES, WEBCFG_MAX_USERS users, WEBCFG_MAX_SANS SANs; the tree
 * walk follows the schema, so its depth is at most four levels whatever
 * the YAML holds (aliases included), and duplicate users are found by
 * sorting, in O(n log n).
 */
#include "exporter/web/webcfg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "exporter/web/webcfg_int.h"

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

static int wp_header_key(struct wp *p, size_t key, yaml_node_t *v,
			 const char *path)
{
	const char *const *allowed = webcfg_header_values[key];
	struct webcfg_header *h;
	const char *s;
	int rc = webcfg_wp_text(p, v, path, &s);

	if (rc)
		return rc;
	if (!s || !*s)
		return 0; /* "Unset if blank" */
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c < 0x20 && *c != '\t')
			return webcfg_wp_fail(p, v, path,
					      "a control character in a header "
					      "value");
	if (allowed[0]) {
		size_t i;

		for (i = 0; allowed[i]; i++)
			if (!strcmp(s, allowed[i]))
				break;
		if (!allowed[i])
			return webcfg_wp_fail(
				p, v, path, "'%s' is not allowed (only %s%s%s)",
				s, allowed[0], allowed[1] ? " or " : "",
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
	int rc;

	if (key == 0)
		return webcfg_wp_bool(p, v, path, &p->w->http2);
	rc = webcfg_wp_mapping(p, v, path);
	if (rc <= 0)
		return rc;
	/* the allowed header names are the keys; others are refused with
	 * the toolkit's reason */
	for (yaml_node_pair_t *pr = v->data.mapping.pairs.start;
	     pr < v->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(p->doc, pr->key);
		size_t i;

		if (!k || k->type != YAML_SCALAR_NODE)
			continue; /* webcfg_wp_map reports it */
		for (i = 0; i < WEBCFG_MAX_HEADERS; i++)
			if (!strcmp((const char *)k->data.scalar.value,
				    webcfg_header_names[i]))
				break;
		if (i == WEBCFG_MAX_HEADERS)
			return webcfg_wp_fail(
				p, k, path,
				"HTTP header '%.64s' can not be "
				"configured (only Strict-Transport-"
				"Security, X-Content-Type-Options, "
				"X-Frame-Options, X-XSS-Protection, "
				"Content-Security-Policy)",
				(const char *)k->data.scalar.value);
	}
	return webcfg_wp_map(p, v, path, webcfg_header_names,
			     WEBCFG_MAX_HEADERS, wp_header_key);
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
	int rc = webcfg_wp_text(p, v, path, &s);

	if (rc || !s)
		return rc;
	if (key == 0) {
		if (webcfg_go_duration(
			    s, v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE,
			    &p->w->rate_interval_ns))
			return webcfg_wp_fail(p, v, path,
					      "'%s' is not a duration "
					      "(e.g. 1s, 500ms, 1m30s)",
					      s);
		return 0;
	}
	errno = 0;
	u = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || *s == '+' ||
	    u > 1000000000ull ||
	    v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return webcfg_wp_fail(p, v, path,
				      "'%s' is not a whole number in [0, 1e9]",
				      s);
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
		return webcfg_wp_tls(p, v, path);
	case 1:
		return webcfg_wp_map(p, v, path, wp_http_keys, 2, wp_http_key);
	case 2:
		return webcfg_wp_users(p, v, path);
	default:
		return webcfg_wp_map(p, v, path, wp_rate_keys, 2, wp_rate_key);
	}
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
		webcfg_wp_fail(&p, NULL, "", "larger than %u bytes",
			       WEBCFG_MAX_BYTES);
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
		rc = webcfg_wp_map(&p, root, "", wp_top_keys, 4, wp_top_key);
		if (!rc)
			rc = webcfg_wp_finish(&p);
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

bool webcfg_weakens(const struct webcfg *old, const struct webcfg *next,
		    char *why, size_t whylen)
{
	bool req_old = old->tls && webcfg_auth_requires_cert(old->client_auth);
	bool req_next = next->tls &&
			webcfg_auth_requires_cert(next->client_auth);

	if (old->tls && !next->tls)
		snprintf(why, whylen, "TLS");
	else if (old->nusers && !next->nusers)
		snprintf(why, whylen, "basic auth (%zu user%s)", old->nusers,
			 old->nusers == 1 ? "" : "s");
	else if (req_old && !req_next)
		snprintf(why, whylen, "the required client certificate");
	else if (req_old && webcfg_auth_verifies(old->client_auth) &&
		 !webcfg_auth_verifies(next->client_auth))
		snprintf(why, whylen,
			 "the verification of client certificates");
	else if (req_old && old->nallowed_sans && !next->nallowed_sans)
		snprintf(why, whylen, "client_allowed_sans (%zu name%s)",
			 old->nallowed_sans,
			 old->nallowed_sans == 1 ? "" : "s");
	else
		return false;
	return true;
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
	if (w->cred)
		gnutls_certificate_free_credentials(w->cred);
	if (w->prio)
		gnutls_priority_deinit(w->prio);
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
