/* priv: least privilege after start-up. See priv.c. */
#ifndef AE_EXPORTER_PRIV_H
#define AE_EXPORTER_PRIV_H

#include <stddef.h>

#include "exporter/cfg.h"

/* When running as root and --runas.user is set, switches the whole process
 * to that user and keeps, in the calling (reader) thread only, the audit
 * capabilities its source needs. Call after every privileged open. Returns
 * 0 (also when there is nothing to drop) or -errno with err set. */
int priv_drop(const struct cfg *c, char *err, size_t errlen);

#endif
