/* skey: the sketch hash key file. See skey.c. */
#ifndef AE_EXPORTER_SKEY_H
#define AE_EXPORTER_SKEY_H

#include <stdbool.h>

#include "metrics/hash.h"

/* Reads the 128-bit key from path (32 hex digits and a newline), or, when
 * the file does not exist, creates it (mode 0600, its directory 0700 if
 * missing) with a fresh random key; *created says which. Returns 0 or
 * -errno (-EINVAL for a malformed file). */
int skey_load(const char *path, struct hash_key *key, bool *created);
/* A fresh random key from getrandom(2). 0 or -errno. */
int skey_random(struct hash_key *key);

#endif
