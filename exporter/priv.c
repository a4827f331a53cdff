/*
 * priv: least privilege after start-up (libcap-ng).
 *
 * Root is needed to open the audit socket, load rules, bind the HTTP port
 * and read the key file. After that the exporter runs as --runas.user
 * (default nobody) with only what its source still needs:
 *
 *   unicast        CAP_AUDIT_CONTROL: status polls, re-registering as the
 *                  audit daemon, removing its rules at exit, SIGHUP reloads
 *   multicast      CAP_AUDIT_CONTROL and CAP_AUDIT_READ
 *   plugin, stdin  CAP_AUDIT_CONTROL: reading the kernel's watch rules
 *   file           nothing
 *
 * and, with --audit.resolve-sockets on a live source (cfg_resolves: not
 * the stdin and file replays),
 * CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH: /proc/PID/fd and /proc/PID/ns of
 * another user's process are readable only with both (ptrace's read
 * check), and the enrich stage reads them to find an event's socket in
 * the kernel (exporter/enrich.c, docs/SOCKDIAG.md). They are the reader
 * thread's only; the HTTP threads have none.
 *
 * Capabilities belong to threads, but a uid change reaches every thread
 * (glibc broadcasts setresuid). The drop happens in the reader thread after
 * the HTTP threads exist: they lose everything with the uid change, the
 * reader keeps exactly the set above, and the bounding set is cleared so
 * nothing can be regained through exec. The kernel checks the audit
 * capabilities against both the caller and the socket's opener, so the
 * sockets opened as root stay usable.
 */
#include "exporter/priv.h"

#include <cap-ng.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int priv_drop(const struct cfg *c, char *err, size_t errlen)
{
	struct passwd *pw;
	int rc;

	if (geteuid() != 0 || !c->runas_user || !*c->runas_user)
		return 0;
	errno = 0;
	pw = getpwnam(c->runas_user);
	if (!pw) {
		snprintf(err, errlen, "--runas.user: no user '%s'",
			 c->runas_user);
		return errno ? -errno : -ENOENT;
	}
	capng_clear(CAPNG_SELECT_BOTH);
	if (c->source != CFG_FILE &&
	    capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED,
			 CAP_AUDIT_CONTROL)) {
		snprintf(err, errlen, "cannot keep CAP_AUDIT_CONTROL");
		return -EPERM;
	}
	if (c->source == CFG_MULTICAST &&
	    capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED,
			 CAP_AUDIT_READ)) {
		snprintf(err, errlen, "cannot keep CAP_AUDIT_READ");
		return -EPERM;
	}
	if (cfg_resolves(c) &&
	    capng_updatev(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED,
			  CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH, -1)) {
		snprintf(err, errlen,
			 "cannot keep CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH");
		return -EPERM;
	}
	rc = capng_change_id((int)pw->pw_uid, (int)pw->pw_gid,
			     CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING);
	if (rc) {
		snprintf(err, errlen,
			 "cannot switch to user '%s' (libcap-ng "
			 "error %d)",
			 c->runas_user, rc);
		return -EPERM;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		snprintf(err, errlen, "cannot set no_new_privs: %s",
			 strerror(errno));
		return -errno;
	}
	return 0;
}
