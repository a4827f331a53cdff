/*
 * statedir: the state directory, writable by the user the exporter runs
 * as, without handing it what root keeps there.
 *
 * /var/lib/audit_exporter holds the sketch key (root's, 0600, read once
 * at start as root) and the baseline (docs/BASELINE.md), which is saved
 * for as long as the exporter runs, that is as --runas.user (nobody)
 * after the privilege drop. An atomic save writes baseline.tmp and renames
 * it over baseline, so it needs write access to the directory, not only
 * to the file. Giving the directory to nobody would let any process of
 * that user delete or replace the sketch key, and the key decides every
 * hash; keeping a capability such as CAP_DAC_OVERRIDE after the drop
 * would let the exporter write any file on the host. So the directory
 * stays root's, and its group becomes the run-as user's with mode 01770:
 * the sticky bit lets a user remove or rename over only the files it
 * owns, so nobody can write its own baseline files and cannot touch the
 * key; nobody else (others) can even look in.
 *
 * Done once, as root, before the privilege drop, and only when the
 * directory is not writable by that user already (an admin's own layout
 * is left alone). A baseline root wrote earlier (--runas.user='') is
 * given to the user, so that the sticky bit lets it be replaced.
 */
#include "exporter/statedir.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATEDIR_MODE (S_ISVTX | S_IRWXU | S_IRWXG)

/* The directory part of file into dir (cap bytes); 0 or -ENAMETOOLONG. */
static int statedir_dir(const char *file, char *dir, size_t cap)
{
	const char *slash = strrchr(file, '/');
	int n;

	if (!slash)
		n = snprintf(dir, cap, ".");
	else if (slash == file)
		n = snprintf(dir, cap, "/");
	else
		n = snprintf(dir, cap, "%.*s", (int)(slash - file), file);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

/* Whether uid:gid may create entries in a directory of st. */
static int statedir_writable(const struct stat *st, uid_t uid, gid_t gid)
{
	if (st->st_uid == uid)
		return (st->st_mode & (S_IWUSR | S_IXUSR)) ==
		       (S_IWUSR | S_IXUSR);
	if (st->st_gid == gid)
		return (st->st_mode & (S_IWGRP | S_IXGRP)) ==
		       (S_IWGRP | S_IXGRP);
	return (st->st_mode & (S_IWOTH | S_IXOTH)) == (S_IWOTH | S_IXOTH);
}

/* path, if it is a regular file root owns, becomes uid's. */
static int statedir_give(const char *path, uid_t uid, gid_t gid)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) < 0)
		rc = -errno;
	else if (S_ISREG(st.st_mode) && st.st_uid == 0 &&
		 fchown(fd, uid, gid) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

int statedir_share(const char *file, uid_t uid, gid_t gid)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	struct stat st;
	int rc;

	if (!file || !*file)
		return 0;
	rc = statedir_dir(file, dir, sizeof(dir));
	if (rc)
		return rc;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", file) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (lstat(dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (!statedir_writable(&st, uid, gid)) {
		if (st.st_uid != 0)
			return -EACCES; /* not root's: not ours to change */
		if (chown(dir, 0, gid) < 0 || chmod(dir, STATEDIR_MODE) < 0)
			return -errno;
	}
	rc = statedir_give(file, uid, gid);
	return rc ? rc : statedir_give(tmp, uid, gid);
}
