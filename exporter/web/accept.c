/*
 * accept: HTTP content negotiation for /metrics.
 *
 * Both headers are comma-separated lists of items with parameters:
 *   Accept: application/openmetrics-text;version=1.0.0,
 *           text/plain;version=0.0.4;q=0.5, any/any;q=0.1
 *   Accept-Encoding: gzip, deflate;q=0.5, *;q=0
 * Each item's q-value (default 1, clamped to [0, 1]) is parsed by hand:
 * the parser never allocates, reads each byte once, and tolerates any
 * garbage (an item it cannot read is ignored), because the header comes
 * from the network.
 *
 * Format choice, as Prometheus expects: OpenMetrics when its best q is
 * greater than text/plain's (ties and absence go to the text format), and
 * only for versions this writer produces (1.0.0, or 0.0.1, the draft name
 * Prometheus still sends). Wildcards (any type, text/any) count for text
 * only: a client must ask for OpenMetrics by name.
 */
#include "exporter/web/accept.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

struct accept_item {
	const char *type; /* media range or coding, trimmed */
	size_t type_len;
	double q;
	const char *version; /* value of version=, trimmed */
	size_t version_len;
};

static const char *accept_skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

static size_t accept_trim(const char *s, size_t n)
{
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return n;
}

/* q-value: 0, 1, 0.x, 1.0 with up to three decimals; else -1. */
static double accept_q(const char *s, size_t n)
{
	double q = 0, scale = 0.1;
	size_t i = 1;

	if (n == 0 || (s[0] != '0' && s[0] != '1'))
		return -1;
	q = s[0] - '0';
	if (n == 1)
		return q;
	if (s[1] != '.' || n > 5)
		return -1;
	for (i = 2; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		q += (s[i] - '0') * scale;
		scale /= 10;
	}
	return q > 1 ? -1 : q;
}

/* Parses the item in [p, end) (one list element). */
static bool accept_parse_item(const char *p, const char *end,
			      struct accept_item *it)
{
	const char *semi;

	memset(it, 0, sizeof(*it));
	it->q = 1;
	p = accept_skip_ws(p, end);
	semi = memchr(p, ';', (size_t)(end - p));
	it->type = p;
	it->type_len = accept_trim(p, (size_t)((semi ? semi : end) - p));
	if (!it->type_len)
		return false;
	while (semi) {
		const char *name, *eq, *val;
		size_t nlen, vlen;

		p = accept_skip_ws(semi + 1, end);
		semi = memchr(p, ';', (size_t)(end - p));
		eq = memchr(p, '=', (size_t)((semi ? semi : end) - p));
		if (!eq)
			continue;
		name = p;
		nlen = accept_trim(name, (size_t)(eq - name));
		val = accept_skip_ws(eq + 1, semi ? semi : end);
		vlen = accept_trim(val, (size_t)((semi ? semi : end) - val));
		if (vlen >= 2 && val[0] == '"' && val[vlen - 1] == '"') {
			val++;
			vlen -= 2;
		}
		if (nlen == 1 && (name[0] == 'q' || name[0] == 'Q')) {
			double q = accept_q(val, vlen);

			if (q < 0)
				return false;
			it->q = q;
		} else if (nlen == 7 && !strncasecmp(name, "version", 7)) {
			it->version = val;
			it->version_len = vlen;
		}
	}
	return true;
}

static bool accept_is(const struct accept_item *it, const char *lit)
{
	size_t n = strlen(lit);

	return it->type_len == n && !strncasecmp(it->type, lit, n);
}

static bool accept_version(const struct accept_item *it, const char *v)
{
	return it->version_len == strlen(v) &&
	       !strncmp(it->version, v, it->version_len);
}

enum expo_format accept_format(const char *accept)
{
	const char *p, *end;
	double om = -1, text = -1;

	if (!accept)
		return EXPO_TEXT;
	p = accept;
	end = accept + strlen(accept);
	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *stop = comma ? comma : end;
		struct accept_item it;

		if (accept_parse_item(p, stop, &it)) {
			if (accept_is(&it, "application/openmetrics-text")) {
				if ((!it.version ||
				     accept_version(&it, "1.0.0") ||
				     accept_version(&it, "0.0.1")) &&
				    it.q > om)
					om = it.q;
			} else if (accept_is(&it, "text/plain") ||
				   accept_is(&it, "*/*") ||
				   accept_is(&it, "text/*")) {
				if (it.q > text)
					text = it.q;
			}
		}
		p = stop + 1;
	}
	return om > 0 && om > text ? EXPO_OPENMETRICS : EXPO_TEXT;
}

bool accept_gzip(const char *accept_encoding)
{
	const char *p, *end;
	double gzip = -1, any = -1;

	if (!accept_encoding)
		return false;
	p = accept_encoding;
	end = p + strlen(p);
	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *stop = comma ? comma : end;
		struct accept_item it;

		if (accept_parse_item(p, stop, &it)) {
			if (accept_is(&it, "gzip") || accept_is(&it, "x-gzip"))
				gzip = it.q;
			else if (accept_is(&it, "*"))
				any = it.q;
		}
		p = stop + 1;
	}
	return gzip >= 0 ? gzip > 0 : any > 0;
}
