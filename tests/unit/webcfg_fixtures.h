/* webcfg_fixtures: the bcrypt hashes, certificate and keys the web config
 * tests (test_webcfg, test_webctx) share. The hashes were made by
 * htpasswd -nbB (apache2-utils), the certificate and keys by openssl, so
 * the answers are known independently. Header-only, test code. */
#ifndef AE_TESTS_UNIT_WEBCFG_FIXTURES_H
#define AE_TESTS_UNIT_WEBCFG_FIXTURES_H

/* htpasswd -nbB -C 4 alice pass; -C 6 bob secret; -C 4 long a*72 */
#define ALICE "$2y$04$NvdZoM1chW2OxvUvGWvHbuAdePf1p/FcP1fs7fyzZpFG848TtoIfK"
#define BOB "$2y$06$QoBfB85PAb9dS.XpaNdNMuda2RPGCKV0aboWlKxdw2eZJMzdZopwC"
#define LONG "$2y$04$WMVBWb7jNi.cJOCkOFgFF.8zaeRV23AtPYdH48kw3UHu9bfqS6oPO"

/* openssl req -x509 -newkey ec (P-256), its key, and an unrelated key */
static const char cert_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBhDCCASmgAwIBAgIUUZW0oiI7rolkxxSkjYk8PVtV7qwwCgYIKoZIzj0EAwIw\n"
	"FjEUMBIGA1UEAwwLd2ViY2ZnLXRlc3QwIBcNMjYxMTIxMTEzMDAwWhgPMjEyNjEw\n"
	"MjgxMTMwMDBaMBYxFDASBgNVBAMMC3dlYmNmZy10ZXN0MFkwEwYHKoZIzj0CAQYI\n"
	"KoZIzj0DAQcDQgAETVechrui7B/ymREPVCqj5Pk5a/17Ydg/vsf/prQwFUQrVTlo\n"
	"FWsVmt91QwwbpO4jleali6PW8vwur4wYQ/ERwKNTMFEwHQYDVR0OBBYEFPrOFlLa\n"
	"4skWfXkJox8KL9rMGIuyMB8GA1UdIwQYMBaAFPrOFlLa4skWfXkJox8KL9rMGIuy\n"
	"MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSQAwRgIhAKIQ82BSAcFUvSxi\n"
	"/2NTiV7aCwlzUuK38Ut6y8mRDOezAiEAv48iOy2Q8Uv+hW4HOjGKpA9HrUJMk7RV\n"
	"rt0+w7dmwiE=\n"
	"-----END CERTIFICATE-----\n";
static const char key_pem[] = "-----BEGIN PRIVATE KEY-----\n"
			      "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg"
			      "So8rGdRpA9EyuvUK\n"
			      "eOlQ01y7XLtDDGBTgPDAxerJ4EqhRANCAARNV5yGu6LsH/"
			      "KZEQ9UKqPk+Tlr/Xth\n"
			      "2D++x/+mtDAVRCtVOWgVaxWa33VDDBuk7iOV5qWLo9by/"
			      "C6vjBhD8RHA\n"
			      "-----END PRIVATE KEY-----\n";
static const char other_key_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg2GRoo8rkZd3ZHmHR\n"
	"5IKBQS8+/CTmr7FEPi72pWnkZq2hRANCAARUh+uxavKObSG1PZacOSJJWCl03l8j\n"
	"ixtOF24SKKTwv0DcIQ8Qg2yWOWuYjWYN3V1Chy8oyuulW9ikndxk0aQ3\n"
	"-----END PRIVATE KEY-----\n";

/* Writes text to dir/name. */
static inline void put(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

#endif
