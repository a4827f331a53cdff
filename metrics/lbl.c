/*
 * lbl: label values made safe for the exposition.
 *
 * Label values come from processes that choose their own names, file paths
 * and rule keys. Whatever bytes they hold, the output stays well-formed:
 *   1. sanitise: the value becomes valid UTF-8 (RFC 3629: no overlong forms,
 *      no surrogates, nothing above U+10FFFF); each invalid byte and each
 *      NUL becomes U+FFFD; the value is cut to a bound at a character
 *      boundary. Series are keyed by the sanitised value, so two raw names
 *      that sanitise alike are one series, never two identical ones.
 *   2. escape: inside the quotes of a label value, the text format and
 *      OpenMetrics both need exactly \\, \" and \n.
 * A name like `ev"il} 1\nx` therefore renders as {comm="ev\"il} 1\nx"} and
 * cannot close the label set or start a new line.
 */
#include "metrics/lbl.h"

#include <stdint.h>
#include <string.h>

static const char lbl_fffd[3] = { (char)0xef, (char)0xbf, (char)0xbd };

bool lbl_is_clean(const char *in, size_t len)
{
	if (len > LBL_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c < 0x20 || c > 0x7e)
			return false;
	}
	return true;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t lbl_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];

	if (c >= 0x01 && c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && s[1] < 0xa0) /* overlong */
			return 0;
		if (c == 0xed && s[1] >= 0xa0) /* surrogates */
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && s[1] < 0x90) /* overlong */
			return 0;
		if (c == 0xf4 && s[1] >= 0x90) /* above U+10FFFF */
			return 0;
		return 4;
	}
	return 0;
}

size_t lbl_sanitize(const char *in, size_t len, char *out, size_t cap)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0;

	for (size_t i = 0; i < len;) {
		size_t n = lbl_utf8_len(s + i, len - i);
		const char *src = n ? in + i : lbl_fffd;
		size_t w = n ? n : sizeof(lbl_fffd);

		if (o + w > cap)
			break;
		memcpy(out + o, src, w);
		o += w;
		i += n ? n : 1;
	}
	return o;
}

int lbl_escape_as(struct dbuf *b, const char *v, size_t len, bool quote)
{
	size_t start = 0;
	int rc = 0;

	for (size_t i = 0; i < len && !rc; i++) {
		const char *esc;

		switch (v[i]) {
		case '\\':
			esc = "\\\\";
			break;
		case '"':
			if (!quote)
				continue;
			esc = "\\\"";
			break;
		case '\n':
			esc = "\\n";
			break;
		default:
			continue;
		}
		rc = dbuf_add(b, v + start, i - start);
		if (!rc)
			rc = dbuf_add(b, esc, 2);
		start = i + 1;
	}
	return rc ? rc : dbuf_add(b, v + start, len - start);
}

int lbl_escape(struct dbuf *b, const char *v, size_t len)
{
	return lbl_escape_as(b, v, len, true);
}

bool lbl_name_valid(const char *name)
{
	if (!name || !*name)
		return false;
	for (const char *p = name; *p; p++) {
		char c = *p;
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     c == '_' || c == ':';

		if (!alpha && !(p != name && c >= '0' && c <= '9'))
			return false;
	}
	return true;
}
