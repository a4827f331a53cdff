/*
 * audit_takeover: a careless audit daemon, for the fault tests. It asks
 * the kernel for the audit daemon role without first checking who holds it
 * (as the exporter and its tools do), discards whatever arrives, and
 * releases the role on SIGTERM/SIGINT. The kernel lets it in only when the
 * current daemon's socket is gone.
 *
 *   audit_takeover      prints "registered" or "refused: <reason>"
 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "netlink/nl.h"

static void discard(void *arg, uint16_t type, const char *text, size_t len)
{
	(void)arg;
	(void)type;
	(void)text;
	(void)len;
}

int main(void)
{
	struct nl_audit *ev = nl_audit_open(NL_UNICAST, 1 << 20);
	sigset_t set;
	int sfd, rc;

	if (!ev) {
		perror("audit socket");
		return 1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	rc = nl_audit_set_pid(ev, (uint32_t)getpid(), discard, NULL);
	if (rc) {
		printf("refused: %s\n", strerror(-rc));
		fflush(stdout);
		nl_audit_close(ev);
		return 1;
	}
	printf("registered\n");
	fflush(stdout);
	for (;;) {
		struct pollfd p[2] = { { nl_audit_fd(ev), POLLIN, 0 },
				       { sfd, POLLIN, 0 } };

		poll(p, 2, -1);
		if (p[1].revents)
			break;
		nl_audit_recv(ev, discard, NULL);
	}
	rc = nl_audit_set_pid(ev, 0, discard, NULL);
	nl_audit_close(ev);
	return rc ? 1 : 0;
}
