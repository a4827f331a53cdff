/* statedir: the state directory made writable for the unprivileged user.
 * See statedir.c. */
#ifndef AE_EXPORTER_STATEDIR_H
#define AE_EXPORTER_STATEDIR_H

#include <sys/types.h>

/* Lets uid:gid (not root) replace file in its directory, keeping what
 * root owns there root's: as root, before the privilege drop. The
 * directory is created (0700) if absent, given to group gid with mode
 * 01770 (sticky: only a file's owner may rename over it or remove it),
 * and file and file.tmp, if root left them, are given to uid. Nothing is
 * done when the directory is writable by uid already. 0 or -errno (the
 * caller keeps the baseline in memory). */
int statedir_share(const char *file, uid_t uid, gid_t gid);

#endif
