/* enriched: auditd's interpreted fields after 0x1d. See enriched.c. */
#ifndef AE_NETLINK_ENRICHED_H
#define AE_NETLINK_ENRICHED_H

#include <stddef.h>
#include <stdint.h>

#define ENRICHED_VALUE_MAX 256 /* longer values are refused (LBL_MAX) */

/* The interpreted value of key (e.g. "AUID", case-sensitive, as auditd
 * writes it) in a record body, as a pointer into body, without quotes.
 * 0; -ENOENT: no 0x1d part or no such key; -EEXIST: the key is there more
 * than once (ambiguous, so neither is taken); -E2BIG: the value is longer
 * than ENRICHED_VALUE_MAX; -EINVAL: its quote is not closed. Never
 * allocates; any thread. */
int enriched_get(const char *body, size_t len, const char *key,
		 const char **val, size_t *val_len);

/* A user id field and the name auditd gave it: field is the raw record's
 * lower-case name ("uid", "auid", "euid", "ouid", at most 7 bytes), whose
 * decimal value goes to *id; the name comes from the upper-case enriched
 * field. 0, or the errors of enriched_get, and -ENOENT as well when the
 * raw field is missing or not a number, or auditd had no name for the id
 * ("unset", "unknown(N)"). */
int enriched_user(const char *body, size_t len, const char *field, uint32_t *id,
		  const char **name, size_t *name_len);

#endif
