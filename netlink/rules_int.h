/* rules_int: what the files of the rules module (rules.c, rules_line.c,
 * rules_keys.c, rules_load.c) share; private, for them alone. The public
 * API is rules.h. */
#ifndef AE_NETLINK_RULES_INT_H
#define AE_NETLINK_RULES_INT_H

#include "netlink/rules.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* libaudit's per-rule state: exported, declared only in its private header
 * (auditctl resets it the same way). */
extern int _audit_syscalladded, _audit_permadded, _audit_archadded;
extern int _audit_exeadded, _audit_filterfsadded;
extern unsigned int _audit_elf;

#define RULES_FMT(a, b) __attribute__((format(printf, a, b)))

struct rules_rule {
	struct audit_rule_data *data; /* sizeof(*data) + data->buflen bytes */
	size_t size;
	unsigned line;
	bool owned; /* loader copies only: we added it */
};

struct rules_vec {
	struct rules_rule *v;
	size_t n, cap;
};

struct rules_key {
	char *s; /* NUL-terminated copy */
	size_t len;
};

struct rules_keyset {
	struct rules_key *v; /* sorted by (bytes, length), unique */
	size_t n, cap;
};

/* A line left out: its -F arch=b32/b64 names no table on this machine. */
struct rules_skip {
	unsigned line;
	char arch[4]; /* "b32" or "b64" */
};

struct rules_set {
	struct rules_vec rules;
	struct rules_keyset keys;
	struct rules_skip *skip; /* in file order */
	size_t nskip, skip_cap;
	struct audit_status status;
	bool delete_all;
	char origin[sizeof(((struct rules_error *)0)->origin)];
};

/* --- rules.c: errors, rules, vectors ------------------------------------- */

/* Clears err and sets its origin (origin NULL: "rules"). */
void rules_err_init(struct rules_error *err, const char *origin);
/* Sets err's line and message; returns -EINVAL. */
RULES_FMT(3, 4)
int rules_err(struct rules_error *err, unsigned line, const char *fmt, ...);
/* 0 if r's fields and strings fit in size bytes, else -EINVAL. */
int rules_check(const struct audit_rule_data *r, size_t size);
/* The string of the first `field` field of a checked rule (not
 * NUL-terminated, *len bytes), or NULL. */
const char *rules_string(const struct audit_rule_data *r, uint32_t field,
			 size_t *len);
/* True if r has an AUDIT_WATCH or AUDIT_DIR field. */
bool rules_is_watch(const struct audit_rule_data *r);
/* Appends r (taking it) to v; 0 or -ENOMEM, and on error r is freed. */
int rules_vec_take(struct rules_vec *v, struct audit_rule_data *r, size_t size,
		   unsigned line);
/* Appends a copy of r's size bytes to v; 0 or -ENOMEM. */
int rules_vec_copy(struct rules_vec *v, const struct audit_rule_data *r,
		   size_t size, unsigned line);
/* Frees v's rules and array and leaves it empty. */
void rules_vec_free(struct rules_vec *v);
/* Records that line was left out for arch ("b32"/"b64"); 0, -EINVAL (err
 * set: too many lines) or -ENOMEM. */
int rules_skip_add(struct rules_set *rs, unsigned line, const char *arch,
		   struct rules_error *err);

/* --- rules_line.c: one line ---------------------------------------------- */

/* Resets libaudit's per-rule globals (before and after every rule built). */
void rules_libaudit_reset(void);
/* Parses the n words of line no into rs (a rule, a status setting or -D);
 * 0, -EINVAL with err's line and message set, or -ENOMEM. */
int rules_parse_line(struct rules_set *rs, char **word, size_t n, unsigned no,
		     struct rules_error *err);

/* --- rules_keys.c: key sets, the kernel's rules --------------------------- */

/* Adds the keys of a checked rule to ks if it is a file watch; 0 or
 * -ENOMEM. */
int rules_ks_add_rule(struct rules_keyset *ks, const struct audit_rule_data *r);
/* Frees ks's keys and array and leaves it empty (ks itself is not freed). */
void rules_ks_clear(struct rules_keyset *ks);
/* Appends copies of the kernel's rules (malformed ones skipped) to out;
 * 0 or a negative errno. */
int rules_kernel_list(struct nl_audit *ctl, struct rules_vec *out);

#endif
