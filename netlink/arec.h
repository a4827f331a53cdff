/* arec: audit record text parser (zero-copy). See arec.c. */
#ifndef AE_NETLINK_AREC_H
#define AE_NETLINK_AREC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Why a record or a field could not be parsed; counted by the caller. */
enum arec_err {
	AREC_OK = 0,
	AREC_E_HEADER = -1, /* no "audit(SEC.MS:SERIAL)[:] " header */
	AREC_E_TYPE = -2, /* no usable "type=" in a text line */
	AREC_E_NUL = -3, /* a NUL byte inside a text line */
	AREC_E_HEX = -4, /* malformed hex value */
	AREC_E_SOCKADDR = -5, /* saddr too short for its family */
	AREC_E_NUMBER = -6, /* a numeric field that is not a number */
};
#define AREC_NERR 7
/* A short stable name for an error code, for metric labels. */
const char *arec_err_name(enum arec_err e);

struct arec_hdr {
	int type; /* record type; 0 when a text name is unknown */
	const char *type_name; /* text lines: the name as written, else NULL */
	size_t type_name_len;
	const char *node; /* text lines: "node=HOST" value, else NULL */
	size_t node_len;
	int64_t time_ms; /* event time: seconds * 1000 + milliseconds */
	uint32_t serial;
	const char *body; /* the fields, after "): " */
	size_t body_len;
};

/* A text line as auditd writes it ("[node=N ]type=T msg=audit(S.M:N): ..."),
 * without its newline. Type names resolve through libaudit, UNKNOWN[n]
 * to n. */
int arec_parse_line(const char *line, size_t len, struct arec_hdr *h);
/* A netlink record: the type from the message header, the text payload. */
int arec_parse_payload(int type, const char *text, size_t len,
		       struct arec_hdr *h);

/* Field iteration over a record body. Values in double or single quotes
 * are returned without them. Tokens that are not name=value (AVC's
 * "denied { read }") are skipped and counted in `skipped`; iteration stops
 * at the end or at the 0x1d that starts auditd's enriched fields. */
struct arec_field {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
	bool quoted;
};
struct arec_iter {
	const char *p;
	const char *end;
	unsigned skipped;
};
void arec_iter_init(struct arec_iter *it, const char *body, size_t len);
/* Returns true and fills f, or false at the end. */
bool arec_iter_next(struct arec_iter *it, struct arec_field *f);

static inline bool arec_name_is(const struct arec_field *f, const char *lit,
				size_t lit_len)
{
	return f->name_len == lit_len &&
	       __builtin_memcmp(f->name, lit, lit_len) == 0;
}
#define AREC_NAME_IS(f, lit) arec_name_is((f), (lit), sizeof(lit) - 1)

/*
 * Decodes an "untrusted string" value (comm, exe, name, cwd, key, proctitle,
 * execve arguments): quoted text is taken as is, an unquoted value of even
 * length made only of hex digits is hex-decoded, "(null)" and "(none)" are
 * empty. Writes at most cap bytes (no NUL added) and returns the decoded
 * length, which may exceed cap (the output is then truncated). Sets *isnull
 * for "(null)"/"(none)" when isnull is not NULL.
 */
size_t arec_decode_string(const struct arec_field *f, char *out, size_t cap,
			  bool *isnull);

/* Numbers. 0 on success, AREC_E_NUMBER otherwise. */
int arec_u64_dec(const char *s, size_t len, uint64_t *out);
int arec_u64_hex(const char *s, size_t len, uint64_t *out);
int arec_i64_dec(const char *s, size_t len, int64_t *out);

/* Decoded SOCKADDR "saddr" value. */
enum arec_family {
	AREC_AF_INET,
	AREC_AF_INET6,
	AREC_AF_UNIX,
	AREC_AF_NETLINK,
	AREC_AF_OTHER,
};
struct arec_sockaddr {
	enum arec_family family;
	int raw_family; /* sa_family, read in the byte order given */
	uint16_t port; /* inet/inet6, host byte order */
	uint8_t addr[16]; /* inet: first 4 bytes; inet6: all 16 */
	uint32_t scope_id;
	char path[108]; /* unix: path bytes (abstract: without leading NUL) */
	size_t path_len;
	bool abstract;
	uint32_t nl_pid; /* netlink */
	uint32_t nl_groups;
};
/* Whether a SYSCALL record's arch= (an AUDIT_ARCH_* value) is a big-endian
 * machine; false for 0 (no arch known). */
bool arec_arch_big_endian(uint64_t arch);
/* hex is the saddr value, big_endian the byte order of the process that
 * passed it (arec_arch_big_endian of its SYSCALL record's arch); 0,
 * AREC_E_HEX or AREC_E_SOCKADDR. */
int arec_sockaddr_parse(const char *hex, size_t len, bool big_endian,
			struct arec_sockaddr *sa);

#endif
