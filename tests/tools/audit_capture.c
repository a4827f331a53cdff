/*
 * audit_capture: records what the kernel audits while a command runs, in
 * audit.log text, for the golden replay fixtures.
 *
 *   audit_capture --rules FILE --out LOG [--quiet-ms N] [--max-drain-ms M]
 *                 [--loginuid UID] -- COMMAND [ARG...]
 *
 * It becomes the audit daemon with the exporter's own kernel code
 * (netlink/kaudit: refuses if another daemon runs, loads the rules with
 * the self-exclusion rule, restores everything at exit), starts COMMAND
 * once registered, and after COMMAND exits keeps reading until no record
 * has arrived for N ms (default 1000). Each record becomes one line
 *   type=NAME msg=audit(SEC.MS:SERIAL): FIELDS
 * as auditd writes them in its RAW format. --loginuid sets COMMAND's audit
 * uid (auid) first, so rules with -F auid=UID see only COMMAND and its
 * children, whatever else runs on the host. COMMAND's stdout and stderr are
 * passed through; the exit status is COMMAND's (or 1 if capturing failed).
 * SIGINT/SIGTERM stop the capture, restore the kernel and kill COMMAND.
 */
#include <errno.h>
#include <libaudit.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exporter/cfg.h"
#include "netlink/kaudit.h"
#include "netlink/nl.h"
#include "netlink/rules.h"

struct capture {
	FILE *out;
	unsigned long records;
	struct timespec last;
};

static void on_record(void *arg, uint16_t type, const char *text, size_t len)
{
	struct capture *c = arg;
	const char *name = audit_msg_type_to_name(type);

	while (len && (text[len - 1] == '\0' || text[len - 1] == '\n'))
		len--;
	if (name)
		fprintf(c->out, "type=%s msg=%.*s\n", name, (int)len, text);
	else
		fprintf(c->out, "type=UNKNOWN[%u] msg=%.*s\n", type, (int)len,
			text);
	c->records++;
	clock_gettime(CLOCK_MONOTONIC, &c->last);
}

static long ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) * 1000 +
	       (now.tv_nsec - t->tv_nsec) / 1000000;
}

int main(int argc, char **argv)
{
	const char *rules_path = NULL, *out_path = NULL;
	long quiet_ms = 1000, max_drain_ms = 5000;
	const char *loginuid = NULL;
	struct timespec exited_at;
	char **cmd = NULL;
	struct capture cap = { 0 };
	struct rules_error rerr;
	struct rules_set *rs;
	struct kaudit *ka;
	struct kaudit_opts ko;
	struct cfg cfg;
	char err[1024], msg[700];
	int go[2], sfd, status = 1, child_status = 0;
	pid_t child;
	bool exited = false;
	sigset_t set;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--rules") && i + 1 < argc)
			rules_path = argv[++i];
		else if (!strcmp(argv[i], "--out") && i + 1 < argc)
			out_path = argv[++i];
		else if (!strcmp(argv[i], "--quiet-ms") && i + 1 < argc)
			quiet_ms = atol(argv[++i]);
		else if (!strcmp(argv[i], "--max-drain-ms") && i + 1 < argc)
			max_drain_ms = atol(argv[++i]);
		else if (!strcmp(argv[i], "--loginuid") && i + 1 < argc)
			loginuid = argv[++i];
		else if (!strcmp(argv[i], "--") && i + 1 < argc) {
			cmd = argv + i + 1;
			break;
		} else {
			fprintf(stderr, "usage: audit_capture --rules FILE "
					"--out "
					"LOG [--quiet-ms N] -- COMMAND...\n");
			return 2;
		}
	}
	if (!rules_path || !out_path || !cmd) {
		fprintf(stderr, "audit_capture: --rules, --out and a command "
				"are required\n");
		return 2;
	}
	rs = rules_parse_file(rules_path, &rerr);
	if (!rs) {
		fprintf(stderr, "audit_capture: %s\n",
			rules_error_str(&rerr, msg, sizeof(msg)));
		return 1;
	}
	cap.out = fopen(out_path, "w");
	if (!cap.out) {
		perror(out_path);
		return 1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	/* the defaults the exporter would use, as the audit daemon */
	{
		char *no_args[] = { argv[0], NULL };

		cfg_parse(&cfg, 1, no_args, stdout, stderr);
		cfg_free(&cfg); /* nothing was allocated; values are static */
	}
	if (pipe(go)) {
		perror("pipe");
		return 1;
	}
	child = fork();
	if (child == 0) {
		char c;

		sigprocmask(SIG_UNBLOCK, &set, NULL);
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(126); /* the capture could not start */
		if (loginuid) {
			FILE *f = fopen("/proc/self/loginuid", "w");

			if (!f || fputs(loginuid, f) < 0 || fclose(f)) {
				perror("/proc/self/loginuid");
				_exit(126);
			}
		}
		execvp(cmd[0], cmd);
		perror(cmd[0]);
		_exit(127);
	}
	close(go[0]);
	cfg_kaudit_opts(&cfg, &ko);
	ka = kaudit_start(&ko, rs, on_record, &cap, err, sizeof(err));
	if (!ka) {
		fprintf(stderr, "audit_capture: %s\n", err);
		close(go[1]);
		waitpid(child, NULL, 0);
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &cap.last);
	if (write(go[1], "g", 1) != 1)
		perror("pipe");
	close(go[1]);
	for (;;) {
		struct pollfd p[2] = {
			{ nl_audit_fd(kaudit_events(ka)), POLLIN, 0 },
			{ sfd, POLLIN, 0 },
		};
		struct signalfd_siginfo si;
		bool stop = false;

		poll(p, 2, 100);
		if (p[0].revents)
			nl_audit_recv(kaudit_events(ka), on_record, &cap);
		while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			if (si.ssi_signo != SIGCHLD) {
				fprintf(stderr, "audit_capture: stopped by "
						"signal\n");
				kill(child, SIGKILL);
				stop = true;
			}
		}
		if (!exited &&
		    waitpid(child, &child_status, WNOHANG) == child) {
			exited = true;
			clock_gettime(CLOCK_MONOTONIC, &exited_at);
		}
		if (stop) {
			if (!exited)
				waitpid(child, &child_status, 0);
			child_status = 1 << 8;
			exited = true;
			break;
		}
		if (exited && (ms_since(&cap.last) >= quiet_ms ||
			       ms_since(&exited_at) >= max_drain_ms))
			break;
	}
	kaudit_stop(ka);
	status = WIFEXITED(child_status) ? WEXITSTATUS(child_status) : 1;
	fprintf(stderr, "audit_capture: %lu records\n", cap.records);
out:
	if (fclose(cap.out))
		status = 1;
	rules_set_free(rs);
	return status;
}
