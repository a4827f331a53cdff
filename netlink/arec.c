/*
 * arec: the audit record text parser.
 *
 * Every source delivers the same text, in one of two framings:
 *
 *   netlink payload   audit(1700000000.123:456): arch=c000003e syscall=42 ...
 *                     (the record type is the netlink message type)
 *   audit.log line    [node=HOST ]type=SYSCALL msg=audit(1700000000.123:456): ...
 *                     (auditd's RAW or ENRICHED format; ENRICHED appends
 *                     interpreted fields after a 0x1d byte, which we ignore)
 *
 * The parser never copies and never allocates: the header and every field
 * are (pointer, length) slices of the caller's buffer, valid while it is.
 * Field iteration is lazy, so a record with a million fields costs time in
 * proportion to what the caller reads and no memory at all.
 *
 * Value encodings (kernel audit_log_untrustedstring and friends):
 *   - double-quoted text: printable ASCII without '"' or spaces;
 *   - anything else: upper-case hex of the raw bytes, unquoted;
 *   - "(null)" and "(none)" where there is no value;
 *   - single quotes wrap userspace messages (msg='op=... res=success').
 * Several rule keys arrive as one hex value joined by 0x01.
 *
 * Record type names in text lines resolve through libaudit. The name table
 * is built once (pthread_once) into an immutable hash of at most a few
 * hundred entries; "UNKNOWN[1334]" resolves to 1334; a name libaudit does
 * not know keeps type 0 and its text for the caller.
 */
#include "netlink/arec.h"

#include <libaudit.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>

/* ---- record type names -------------------------------------------------- */

#define AREC_NAMES 2048 /* power of two, > 4 x the number of known types */
#define AREC_NAME_MAX 40

struct arec_name_slot {
	char name[AREC_NAME_MAX];
	uint8_t len;
	int type;
};

static struct arec_name_slot arec_names[AREC_NAMES];
static pthread_once_t arec_names_once = PTHREAD_ONCE_INIT;

static uint32_t arec_name_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

static void arec_names_build(void)
{
	for (int type = 1000; type < 3000; type++) {
		const char *n = audit_msg_type_to_name(type);
		size_t len;
		uint32_t i;

		if (!n || (len = strlen(n)) >= AREC_NAME_MAX)
			continue;
		i = arec_name_hash(n, len) & (AREC_NAMES - 1);
		while (arec_names[i].len)
			i = (i + 1) & (AREC_NAMES - 1);
		memcpy(arec_names[i].name, n, len);
		arec_names[i].len = (uint8_t)len;
		arec_names[i].type = type;
	}
}

static int arec_type_by_name(const char *s, size_t len)
{
	uint32_t i;
	uint64_t n;

	if (len > 9 && memcmp(s, "UNKNOWN[", 8) == 0 && s[len - 1] == ']') {
		if (arec_u64_dec(s + 8, len - 9, &n) == 0 && n < 65536)
			return (int)n;
		return 0;
	}
	pthread_once(&arec_names_once, arec_names_build);
	if (len >= AREC_NAME_MAX)
		return 0;
	i = arec_name_hash(s, len) & (AREC_NAMES - 1);
	while (arec_names[i].len) {
		if (arec_names[i].len == len &&
		    memcmp(arec_names[i].name, s, len) == 0)
			return arec_names[i].type;
		i = (i + 1) & (AREC_NAMES - 1);
	}
	return 0;
}

/* ---- numbers ------------------------------------------------------------- */

int arec_u64_dec(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	unsigned d;

	if (len == 0 || len > 20)
		return AREC_E_NUMBER;
	/* up to 19 digits cannot overflow: no check per digit */
	for (size_t i = 0; i < len && i < 19; i++) {
		d = (unsigned)(s[i] - '0');
		if (d > 9)
			return AREC_E_NUMBER;
		v = v * 10 + d;
	}
	if (len == 20) {
		d = (unsigned)(s[19] - '0');
		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return AREC_E_NUMBER;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static inline int arec_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int arec_u64_hex(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 16)
		return AREC_E_NUMBER;
	for (size_t i = 0; i < len; i++) {
		int d = arec_hexval((unsigned char)s[i]);

		if (d < 0)
			return AREC_E_NUMBER;
		v = v << 4 | (unsigned)d;
	}
	*out = v;
	return 0;
}

int arec_i64_dec(const char *s, size_t len, int64_t *out)
{
	uint64_t v;
	bool neg = len > 0 && s[0] == '-';

	if (arec_u64_dec(s + neg, len - neg, &v))
		return AREC_E_NUMBER;
	if (v > (uint64_t)INT64_MAX + neg)
		return AREC_E_NUMBER;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

/* ---- headers ------------------------------------------------------------- */

/* Reads the decimal digits at *pp (at most max of them, at least one)
 * into *v, moving *pp past them; false when there are none or too many. */
static inline bool arec_digits(const char **pp, const char *end, unsigned max,
			       uint64_t *v)
{
	const char *p = *pp;
	uint64_t n = 0;
	unsigned k = 0;

	for (; p < end && k < max; p++, k++) {
		unsigned d = (unsigned)(*p - '0');

		if (d > 9)
			break;
		n = n * 10 + d;
	}
	if (!k || (p < end && (unsigned)(*p - '0') <= 9))
		return false;
	*pp = p;
	*v = n;
	return true;
}

/*
 * Parses "audit(SEC.MS:SERIAL): " at p in one pass; returns the body start
 * or NULL. Seconds have at most 15 digits (far beyond year 9999, and no
 * overflow once multiplied by 1000), milliseconds exactly 3, the serial at
 * most 10 and fits in 32 bits. The ':' after ')' may be missing: auditd
 * 1.7 to 2.5 wrote its own DAEMON_* records so ("audit(S.M:N) auditd
 * start, ver=..."), and auparse reads them; ')' is then followed by a
 * space or the end.
 */
static const char *arec_stamp(const char *p, const char *end,
			      struct arec_hdr *h)
{
	const char *s;
	uint64_t sec, ms, serial;

	if (end - p < 6 || memcmp(p, "audit(", 6) != 0)
		return NULL;
	p += 6;
	if (!arec_digits(&p, end, 15, &sec) || p == end || *p++ != '.')
		return NULL;
	s = p;
	if (!arec_digits(&p, end, 3, &ms) || p - s != 3 || p == end ||
	    *p++ != ':')
		return NULL;
	if (!arec_digits(&p, end, 10, &serial) || serial > UINT32_MAX ||
	    p == end || *p++ != ')')
		return NULL;
	if (p < end && *p == ':')
		p++;
	else if (p < end && *p != ' ')
		return NULL;
	if (p < end && *p == ' ')
		p++;
	h->time_ms = (int64_t)sec * 1000 + (int64_t)ms;
	h->serial = (uint32_t)serial;
	return p;
}

static void arec_set_body(struct arec_hdr *h, const char *p, const char *end)
{
	while (end > p &&
	       (end[-1] == '\0' || end[-1] == '\n' || end[-1] == '\r'))
		end--;
	h->body = p;
	h->body_len = (size_t)(end - p);
}

int arec_parse_payload(int type, const char *text, size_t len,
		       struct arec_hdr *h)
{
	const char *end = text + len;
	const char *p;

	memset(h, 0, sizeof(*h));
	h->type = type;
	p = arec_stamp(text, end, h);
	if (!p)
		return AREC_E_HEADER;
	arec_set_body(h, p, end);
	return 0;
}

/* Returns the value of "name=" at p (up to a space) and moves p past it. */
static bool arec_take(const char **pp, const char *end, const char *name,
		      size_t nlen, const char **val, size_t *vlen)
{
	const char *p = *pp;
	const char *v;

	if ((size_t)(end - p) < nlen || memcmp(p, name, nlen) != 0)
		return false;
	v = p + nlen;
	p = memchr(v, ' ', (size_t)(end - v));
	if (!p)
		p = end;
	*val = v;
	*vlen = (size_t)(p - v);
	while (p < end && *p == ' ')
		p++;
	*pp = p;
	return true;
}

int arec_parse_line(const char *line, size_t len, struct arec_hdr *h)
{
	const char *p = line, *end = line + len;
	const char *body;

	memset(h, 0, sizeof(*h));
	if (memchr(line, '\0', len))
		return AREC_E_NUL;
	arec_take(&p, end, "node=", 5, &h->node, &h->node_len);
	if (!arec_take(&p, end, "type=", 5, &h->type_name, &h->type_name_len) ||
	    h->type_name_len == 0)
		return AREC_E_TYPE;
	h->type = arec_type_by_name(h->type_name, h->type_name_len);
	if ((size_t)(end - p) < 4 || memcmp(p, "msg=", 4) != 0)
		return AREC_E_HEADER;
	body = arec_stamp(p + 4, end, h);
	if (!body)
		return AREC_E_HEADER;
	arec_set_body(h, body, end);
	return 0;
}

/* ---- fields -------------------------------------------------------------- */

void arec_iter_init(struct arec_iter *it, const char *body, size_t len)
{
	/* auditd's enriched fields start at 0x1d: the record ends there */
	const char *gs = memchr(body, 0x1d, len);

	it->p = body;
	it->end = gs ? gs : body + len;
	it->skipped = 0;
}

/* Bytes that end a field name: '=' (1) and ' ' (2); everything else 0. */
static const uint8_t arec_name_stop[256] = { ['='] = 1, [' '] = 2 };

/* The end of a plain value: the next space or the record's end. Values
 * are mostly a few bytes: a loop beats a memchr call there. */
static inline const char *arec_value_end(const char *p, const char *end)
{
	while (p < end && *p != ' ')
		p++;
	return p;
}

bool arec_iter_next(struct arec_iter *it, struct arec_field *f)
{
	const char *p = it->p, *end = it->end;

	for (;;) {
		const char *s;

		while (p < end && *p == ' ')
			p++;
		if (p >= end) {
			it->p = end;
			return false;
		}
		for (s = p; p < end && !arec_name_stop[(uint8_t)*p]; p++)
			;
		if (p >= end || *p != '=' || p == s) {
			/* not name=value: skip to the next space */
			p = arec_value_end(p, end);
			it->skipped++;
			continue;
		}
		f->name = s;
		f->name_len = (size_t)(p - s);
		p++;
		if (p < end && (*p == '"' || *p == '\'')) {
			const char *q =
				memchr(p + 1, *p, (size_t)(end - p - 1));

			f->value = p + 1;
			f->quoted = true;
			if (q) {
				f->value_len = (size_t)(q - p - 1);
				p = q + 1;
			} else {
				f->value_len = (size_t)(end - p - 1);
				p = end;
			}
		} else {
			f->value = p;
			f->quoted = false;
			p = arec_value_end(p, end);
			f->value_len = (size_t)(p - f->value);
		}
		it->p = p;
		return true;
	}
}

size_t arec_decode_string(const struct arec_field *f, char *out, size_t cap,
			  bool *isnull)
{
	const char *v = f->value;
	size_t n = f->value_len;
	bool hex = !f->quoted && n > 0 && n % 2 == 0;

	if (isnull)
		*isnull = false;
	if (!f->quoted && ((n == 6 && memcmp(v, "(null)", 6) == 0) ||
			   (n == 6 && memcmp(v, "(none)", 6) == 0))) {
		if (isnull)
			*isnull = true;
		return 0;
	}
	for (size_t i = 0; hex && i < n; i++)
		hex = arec_hexval((unsigned char)v[i]) >= 0;
	if (!hex) {
		memcpy(out, v, n < cap ? n : cap);
		return n;
	}
	for (size_t i = 0; i < n / 2 && i < cap; i++)
		out[i] = (char)(arec_hexval((unsigned char)v[2 * i]) << 4 |
				arec_hexval((unsigned char)v[2 * i + 1]));
	return n / 2;
}

/* ---- SOCKADDR ------------------------------------------------------------ */

/*
 * The kernel logs a sockaddr as the raw bytes the process passed, so the
 * fields a C program stores in host order (sa_family, sin6_scope_id,
 * nl_pid, nl_groups) are in the byte order of the process's architecture,
 * and the record's arch= says which: AUDIT_ARCH_* values carry
 * __AUDIT_ARCH_LE (0x40000000) for little-endian machines (x86_64 c000003e,
 * aarch64 c00000b7, ppc64le c0000015) and not for big-endian ones (s390x
 * 80000016, ppc64 80000015). Ports and IPv4/IPv6 addresses are network
 * order on every machine; a unix path is bytes.
 */
bool arec_arch_big_endian(uint64_t arch)
{
	/* 0: no arch= seen; the little-endian reading is the common case */
	return arch != 0 && !(arch & __AUDIT_ARCH_LE);
}

static uint32_t arec_host_u32(const uint8_t *b, bool be)
{
	if (be)
		return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
		       (uint32_t)b[2] << 8 | b[3];
	return (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[1] << 8 | b[0];
}

int arec_sockaddr_parse(const char *hex, size_t len, bool big_endian,
			struct arec_sockaddr *sa)
{
	uint8_t b[128];
	size_t n = len / 2;

	memset(sa, 0, sizeof(*sa));
	sa->family = AREC_AF_OTHER;
	if (len % 2 || n < 2 || n > sizeof(b))
		return AREC_E_HEX;
	for (size_t i = 0; i < n; i++) {
		int hi = arec_hexval((unsigned char)hex[2 * i]);
		int lo = arec_hexval((unsigned char)hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return AREC_E_HEX;
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	sa->raw_family = big_endian ? b[0] << 8 | b[1] : b[0] | b[1] << 8;
	switch (sa->raw_family) {
	case AF_INET:
		if (n < 8)
			return AREC_E_SOCKADDR;
		sa->family = AREC_AF_INET;
		sa->port = (uint16_t)(b[2] << 8 | b[3]);
		memcpy(sa->addr, b + 4, 4);
		break;
	case AF_INET6:
		if (n < 24)
			return AREC_E_SOCKADDR;
		sa->family = AREC_AF_INET6;
		sa->port = (uint16_t)(b[2] << 8 | b[3]);
		memcpy(sa->addr, b + 8, 16);
		if (n >= 28)
			sa->scope_id = arec_host_u32(b + 24, big_endian);
		break;
	case AF_UNIX:
		sa->family = AREC_AF_UNIX;
		if (n > 3 && b[2] == 0) {
			sa->abstract = true;
			sa->path_len = n - 3;
		} else if (n > 2) {
			const uint8_t *z = memchr(b + 2, 0, n - 2);

			sa->path_len = z ? (size_t)(z - (b + 2)) : n - 2;
		}
		if (sa->path_len > sizeof(sa->path))
			sa->path_len = sizeof(sa->path);
		memcpy(sa->path, b + 2 + sa->abstract, sa->path_len);
		break;
	case AF_NETLINK:
		if (n < 12)
			return AREC_E_SOCKADDR;
		sa->family = AREC_AF_NETLINK;
		sa->nl_pid = arec_host_u32(b + 4, big_endian);
		sa->nl_groups = arec_host_u32(b + 8, big_endian);
		break;
	default:
		break;
	}
	return 0;
}

const char *arec_err_name(enum arec_err e)
{
	switch (e) {
	case AREC_OK:
		return "none";
	case AREC_E_HEADER:
		return "header";
	case AREC_E_TYPE:
		return "type";
	case AREC_E_NUL:
		return "nul_byte";
	case AREC_E_HEX:
		return "hex";
	case AREC_E_SOCKADDR:
		return "sockaddr";
	case AREC_E_NUMBER:
		return "number";
	}
	return "unknown";
}
