/*
 * webcfg_load: the web config file from disk. It is read (a regular file
 * of at most WEBCFG_MAX_BYTES) and parsed by webcfg_parse; with TLS on, the
 * certificate, key and client CA files it names are read the same way
 * (relative names against the config file's directory), and GnuTLS must
 * accept them and the priority string: the key matches the certificate,
 * the CA file holds at least one certificate. The credentials and the
 * priority cache are kept for the TLS sessions. Each error names the file,
 * the line of the key and the file read.
 */
#include "exporter/web/webcfg.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Why webcfg_read failed, for a message. */
static const char *webcfg_read_why(int e, char *buf, size_t len)
{
	if (e == EFBIG)
		snprintf(buf, len, "larger than %u bytes", WEBCFG_MAX_BYTES);
	else if (e == EINVAL)
		snprintf(buf, len, "not a regular file");
	else
		snprintf(buf, len, "%s", strerror(e));
	return buf;
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
	char *full, why[64];
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
			 webcfg_read_why(e, why, sizeof(why)));
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

/* The certificate chain and key of w into cred. Parsed here rather than by
 * gnutls_certificate_set_x509_key_mem, which leaks the certificate it was
 * parsing when the PEM is cut short (GnuTLS 3.7: about 9.7 KB per
 * attempt, and a broken file is tried again at every look); this way each
 * object is ours to free, and the messages say which of the two is bad. */
static int webcfg_load_pair(struct webcfg *w,
			    gnutls_certificate_credentials_t cred, char *err,
			    size_t errlen)
{
	gnutls_datum_t cert = { (unsigned char *)w->cert.text,
				(unsigned)strlen(w->cert.text) };
	gnutls_datum_t key = { (unsigned char *)w->key.text,
			       (unsigned)strlen(w->key.text) };
	gnutls_x509_crt_t *crts = NULL;
	gnutls_x509_privkey_t pk = NULL;
	unsigned ncrts = 0;
	struct webcfg_pem *bad = &w->cert;
	char where[600];
	int rc;

	rc = gnutls_x509_crt_list_import2(&crts, &ncrts, &cert,
					  GNUTLS_X509_FMT_PEM, 0);
	if (rc < 0)
		goto fail;
	bad = &w->key;
	rc = gnutls_x509_privkey_init(&pk);
	if (rc >= 0)
		rc = gnutls_x509_privkey_import2(pk, &key, GNUTLS_X509_FMT_PEM,
						 NULL, 0);
	if (rc >= 0)
		rc = gnutls_certificate_set_x509_key(cred, crts, ncrts, pk);
	if (rc >= 0)
		goto out;
fail:
	webcfg_pem_where(w, bad, bad == &w->key ? "key" : "cert", where,
			 sizeof(where));
	snprintf(err, errlen,
		 "%s: the certificate and key are not a PEM "
		 "certificate and its private key: %s",
		 where, gnutls_strerror(rc));
out:
	for (unsigned i = 0; i < ncrts; i++)
		gnutls_x509_crt_deinit(crts[i]);
	gnutls_free(crts);
	if (pk)
		gnutls_x509_privkey_deinit(pk);
	if (rc == GNUTLS_E_MEMORY_ERROR)
		return -ENOMEM;
	return rc < 0 ? -EINVAL : 0;
}

/* The certificate, key, CA and priorities into GnuTLS (w->cred, w->prio),
 * which must accept them. */
static int webcfg_load_tls(struct webcfg *w, char *err, size_t errlen)
{
	gnutls_certificate_credentials_t cred = NULL;
	gnutls_priority_t prio = NULL;
	const char *pos = NULL;
	char where[600];
	int rc = gnutls_certificate_allocate_credentials(&cred);

	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", w->origin, gnutls_strerror(rc));
		return -ENOMEM;
	}
	rc = webcfg_load_pair(w, cred, err, errlen);
	if (rc)
		goto out;
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
	w->cred = cred;
	w->prio = prio;
	return 0;
out:
	gnutls_certificate_free_credentials(cred);
	return rc;
}

struct webcfg *webcfg_load(const char *path, char *err, size_t errlen)
{
	struct webcfg *w = NULL;
	char *text, *dir = NULL, *slash, why[64];
	size_t len = 0;
	int e, rc;

	text = webcfg_read(path, &len, &e);
	if (!text) {
		snprintf(err, errlen, "%s: cannot read the web config file: %s",
			 path, webcfg_read_why(e, why, sizeof(why)));
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
		rc = webcfg_load_tls(w, err, errlen);
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
