/*
 * fuzz_accept: HTTP Accept and Accept-Encoding negotiation
 * (exporter/web/accept) on arbitrary header values.
 *
 * The input, NUL-terminated in an exact-size heap copy, is given to both
 * accept_format and accept_gzip. Checks, from what the headers mean (RFC
 * 9110 lists, the last word on a coding wins) rather than from the code:
 *   - without "openmetrics-text" in it, no header asks for OpenMetrics;
 *   - without "gzip" or "*" in it, no header allows gzip;
 *   - a header ending in ",text/plain" (q=1) never gets OpenMetrics, one
 *     ending in ",gzip;q=0" never gets gzip, one ending in ",gzip" always
 *     does, whatever comes before.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exporter/web/accept.h"
#include "tests/fuzz/fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input with a suffix, in an exact-size heap buffer. */
static char *with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);
	char *p = malloc(len + n + 1);

	FUZZ_CHECK("out of memory", p != NULL);
	memcpy(p, s, len);
	memcpy(p + len, suffix, n + 1);
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_copy(data, size, true);
	size_t len = strlen(s);
	enum expo_format f = accept_format(s);
	bool gz = accept_gzip(s);
	char *t;

	FUZZ_CHECK("format", f == EXPO_TEXT || f == EXPO_OPENMETRICS);
	if (!strcasestr(s, "openmetrics-text"))
		FUZZ_CHECK("OpenMetrics nobody asked for", f == EXPO_TEXT);
	if (!strcasestr(s, "gzip") && !strchr(s, '*'))
		FUZZ_CHECK("gzip nobody allowed", !gz);
	t = with(s, len, ",text/plain");
	FUZZ_CHECK("text/plain;q=1 lost", accept_format(t) == EXPO_TEXT);
	free(t);
	t = with(s, len, ",gzip;q=0");
	FUZZ_CHECK("a final gzip;q=0 ignored", !accept_gzip(t));
	free(t);
	t = with(s, len, ",gzip");
	FUZZ_CHECK("a final gzip ignored", accept_gzip(t));
	free(t);
	free(s);
	return 0;
}
