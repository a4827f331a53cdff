/*
 * bare_reader: the baseline for the full-rate measurements. It does what
 * any audit daemon must do and nothing more: it becomes the audit daemon
 * with the same kernel setup as the exporter (netlink/kaudit: rules, the
 * self-exclusion rule, backlog settings, socket buffer; the same priority
 * boost of the reading thread) and drains the socket with the same batched
 * receive (netlink/nl), discarding every record. The producer's rate beside it is the most the host allows; the
 * exporter is measured against it.
 *
 *   bare_reader --rules FILE
 *
 * Runs until SIGTERM/SIGINT, then restores the kernel's audit state and
 * prints "records=N".
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "exporter/cfg.h"
#include "netlink/kaudit.h"
#include "netlink/nl.h"
#include "netlink/rules.h"

static void discard(void *arg, uint16_t type, const char *text, size_t len)
{
	(void)type;
	(void)text;
	(void)len;
	(*(unsigned long long *)arg)++;
}

int main(int argc, char **argv)
{
	unsigned long long records = 0;
	char *no_args[] = { argv[0], NULL };
	struct rules_error rerr;
	struct rules_set *rs;
	struct kaudit *ka;
	struct kaudit_opts ko;
	struct cfg cfg;
	char err[1024];
	sigset_t set;
	int sfd;

	if (argc != 3 || strcmp(argv[1], "--rules")) {
		fprintf(stderr, "usage: bare_reader --rules FILE\n");
		return 2;
	}
	rs = rules_parse_file(argv[2], &rerr);
	if (!rs) {
		fprintf(stderr, "bare_reader: %s\n",
			rules_error_str(&rerr, err, sizeof(err)));
		return 1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	cfg_parse(&cfg, 1, no_args, stdout,
		  stderr); /* the exporter's defaults */
	cfg_kaudit_opts(&cfg, &ko);
	ka = kaudit_start(&ko, rs, discard, &records, err, sizeof(err));
	rules_set_free(rs);
	if (!ka) {
		fprintf(stderr, "bare_reader: %s\n", err);
		return 1;
	}
	if (cfg.priority_boost &&
	    setpriority(PRIO_PROCESS, 0, -(int)cfg.priority_boost))
		fprintf(stderr, "bare_reader: priority: %s\n", strerror(errno));
	for (;;) {
		struct pollfd p[2] = {
			{ nl_audit_fd(kaudit_events(ka)), POLLIN, 0 },
			{ sfd, POLLIN, 0 },
		};

		if (poll(p, 2, -1) < 0)
			continue;
		if (p[1].revents)
			break;
		nl_audit_recv(kaudit_events(ka), discard, &records);
	}
	kaudit_stop(ka);
	cfg_free(&cfg);
	printf("records=%llu\n", records);
	return 0;
}
