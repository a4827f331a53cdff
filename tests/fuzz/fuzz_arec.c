/*
 * fuzz_arec: the record parser (netlink/arec) on arbitrary bytes.
 *
 * The input is text cut into lines at '\n' (and, when it has several, is
 * taken whole once more, as a netlink payload may hold newlines). Each
 * line, as an exact-size heap copy (so ASan sees a read past its end), is
 * parsed in both framings: arec_parse_line (audit.log,
 * "[node=N ]type=T msg=audit(...): ...") and arec_parse_payload (a netlink
 * payload, "audit(...): ..."). For every
 * record that parses, every field is read with arec_iter_next and decoded
 * with arec_decode_string at several output caps, its value read as
 * numbers, and handed to arec_sockaddr_parse.
 *
 * Checks, from the header's contract and not from the parser's code:
 *   - the header, node, body and every field lie inside the line; a field
 *     name is not empty and holds no '=', ' ' or 0x1d;
 *   - a line holding a NUL byte is AREC_E_NUL;
 *   - arec_decode_string returns the decoded length (quoted: the value as
 *     is; unquoted even-length hex: half of it; "(null)"/"(none)": 0 and
 *     isnull), writes min(length, cap) bytes equal to an independent
 *     decoding, and not one byte more;
 *   - numbers agree with strtoull/strtoll;
 *   - a saddr that parses, read in either byte order, has the family its
 *     first two bytes say in that order, the port its next two say in
 *     network order, and a unix path no longer than sun_path.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "netlink/arec.h"
#include "tests/fuzz/fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define GUARD 0xa5

static bool inside(const char *p, size_t n, const char *lo, size_t lo_len)
{
	return p >= lo && n <= lo_len && (size_t)(p - lo) <= lo_len - n;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool all_hex(const char *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (hexval(v[i]) < 0)
			return false;
	return true;
}

/* The decoding the header promises, written out plainly. Returns the
 * decoded length; out has room for the whole value. */
static size_t expect_decode(const struct arec_field *f, char *out, bool *isnull)
{
	const char *v = f->value;
	size_t n = f->value_len;

	*isnull = false;
	if (!f->quoted && n == 6 &&
	    (!memcmp(v, "(null)", 6) || !memcmp(v, "(none)", 6))) {
		*isnull = true;
		return 0;
	}
	if (!f->quoted && n > 0 && n % 2 == 0 && all_hex(v, n)) {
		for (size_t i = 0; i < n / 2; i++)
			out[i] = (char)(hexval(v[2 * i]) << 4 |
					hexval(v[2 * i + 1]));
		return n / 2;
	}
	memcpy(out, v, n);
	return n;
}

static void check_decode(const struct arec_field *f, char *want, char *got)
{
	static const size_t caps[] = { 0, 1, 7, 256 };
	bool want_null, got_null;
	size_t want_len = expect_decode(f, want, &want_null);

	for (size_t k = 0; k < sizeof(caps) / sizeof(caps[0]); k++) {
		size_t cap = caps[k], n;

		memset(got, GUARD, cap + 1);
		n = arec_decode_string(f, got, cap, &got_null);
		FUZZ_CHECK("decoded length", n == want_len);
		FUZZ_CHECK("isnull", got_null == want_null);
		n = n < cap ? n : cap;
		FUZZ_CHECK("decoded bytes", memcmp(got, want, n) == 0);
		FUZZ_CHECK("wrote past the decoded length or cap",
			   (unsigned char)got[n] == GUARD);
	}
	FUZZ_CHECK("decode without isnull",
		   arec_decode_string(f, got, 0, NULL) == want_len);
}

static void check_numbers(const struct arec_field *f)
{
	char buf[32];
	uint64_t u;
	int64_t i;
	char *end;

	if (f->value_len >= sizeof(buf))
		return;
	memcpy(buf, f->value, f->value_len);
	buf[f->value_len] = 0;
	if (arec_u64_dec(f->value, f->value_len, &u) == 0) {
		FUZZ_CHECK("u64 dec sign", buf[0] >= '0' && buf[0] <= '9');
		errno = 0;
		FUZZ_CHECK("u64 dec value",
			   strtoull(buf, &end, 10) == u && !*end && !errno);
	}
	if (arec_u64_hex(f->value, f->value_len, &u) == 0) {
		FUZZ_CHECK("u64 hex digits", all_hex(buf, f->value_len));
		errno = 0;
		FUZZ_CHECK("u64 hex value",
			   strtoull(buf, &end, 16) == u && !*end && !errno);
	}
	if (arec_i64_dec(f->value, f->value_len, &i) == 0) {
		FUZZ_CHECK("i64 dec sign", buf[buf[0] == '-'] >= '0' &&
						   buf[buf[0] == '-'] <= '9');
		errno = 0;
		FUZZ_CHECK("i64 dec value",
			   strtoll(buf, &end, 10) == i && !*end && !errno);
	}
}

static void check_sockaddr(const struct arec_field *f, bool be)
{
	struct arec_sockaddr sa;
	const char *v = f->value;
	int rc = arec_sockaddr_parse(v, f->value_len, be, &sa);
	int b0, b1, fam;

	FUZZ_CHECK("sockaddr status",
		   rc == 0 || rc == AREC_E_HEX || rc == AREC_E_SOCKADDR);
	FUZZ_CHECK("unix path length", sa.path_len <= sizeof(sa.path));
	FUZZ_CHECK("family", sa.family <= AREC_AF_OTHER);
	if (rc)
		return;
	FUZZ_CHECK("sockaddr accepted bad hex",
		   f->value_len % 2 == 0 && f->value_len >= 4 &&
			   all_hex(v, f->value_len));
	b0 = hexval(v[0]) << 4 | hexval(v[1]);
	b1 = hexval(v[2]) << 4 | hexval(v[3]);
	fam = be ? b0 << 8 | b1 : b0 | b1 << 8; /* sa_family: host order */
	FUZZ_CHECK("raw family", sa.raw_family == fam);
	if (fam == AF_INET || fam == AF_INET6) {
		FUZZ_CHECK("inet family",
			   sa.family == (fam == AF_INET ? AREC_AF_INET
							: AREC_AF_INET6));
		FUZZ_CHECK("port",
			   sa.port == (hexval(v[4]) << 12 | hexval(v[5]) << 8 |
				       hexval(v[6]) << 4 | hexval(v[7])));
	} else if (fam == AF_UNIX) {
		FUZZ_CHECK("unix family", sa.family == AREC_AF_UNIX);
		FUZZ_CHECK("unix path longer than the address",
			   sa.path_len <= f->value_len / 2 - 2);
	}
}

static void check_record(const char *line, size_t len, const struct arec_hdr *h,
			 char *want, char *got)
{
	struct arec_iter it;
	struct arec_field f;
	size_t nfields = 0;

	FUZZ_CHECK("body", inside(h->body, h->body_len, line, len));
	if (h->node)
		FUZZ_CHECK("node", inside(h->node, h->node_len, line, len));
	if (h->type_name)
		FUZZ_CHECK("type name",
			   inside(h->type_name, h->type_name_len, line, len));
	FUZZ_CHECK("error name", arec_err_name(AREC_OK) != NULL);
	arec_iter_init(&it, h->body, h->body_len);
	while (arec_iter_next(&it, &f)) {
		FUZZ_CHECK("more fields than bytes",
			   ++nfields <= h->body_len / 2);
		FUZZ_CHECK("empty field name", f.name_len > 0);
		FUZZ_CHECK("field name",
			   inside(f.name, f.name_len, h->body, h->body_len));
		FUZZ_CHECK("field value",
			   inside(f.value, f.value_len, h->body, h->body_len));
		FUZZ_CHECK("field name holds a separator",
			   !memchr(f.name, '=', f.name_len) &&
				   !memchr(f.name, ' ', f.name_len) &&
				   !memchr(f.name, 0x1d, f.name_len));
		check_decode(&f, want, got);
		check_numbers(&f);
		check_sockaddr(&f, false);
		check_sockaddr(&f, true);
	}
	FUZZ_CHECK("skipped count", it.skipped <= h->body_len);
	FUZZ_CHECK("iteration restarted", !arec_iter_next(&it, &f));
}

static void one_line(const uint8_t *data, size_t len, char *want, char *got)
{
	char *line = fuzz_copy(data, len, false);
	struct arec_hdr h;
	int rc = arec_parse_line(line, len, &h);

	FUZZ_CHECK("line status", rc <= 0 && rc > -AREC_NERR);
	FUZZ_CHECK("error name", arec_err_name(rc) != NULL);
	if (memchr(line, 0, len))
		FUZZ_CHECK("a NUL byte went unnoticed", rc == AREC_E_NUL);
	if (rc == 0)
		check_record(line, len, &h, want, got);
	rc = arec_parse_payload(1300, line, len, &h);
	FUZZ_CHECK("payload status", rc == 0 || rc == AREC_E_HEADER);
	if (rc == 0) {
		FUZZ_CHECK("payload type", h.type == 1300);
		check_record(line, len, &h, want, got);
	}
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* decoded values are at most as long as the input */
	char *want = malloc(size + 1), *got = malloc(size + 257);
	size_t start = 0;
	bool lines = false;

	FUZZ_CHECK("out of memory", want && got);
	for (size_t i = 0; i <= size; i++) {
		if (i < size && data[i] != '\n')
			continue;
		one_line(data + start, i - start, want, got);
		start = i + 1;
		lines |= i < size;
	}
	/* a netlink payload may hold newlines: the whole input once more */
	if (lines)
		one_line(data, size, want, got);
	free(want);
	free(got);
	return 0;
}
