/*
 * rules_tool: drives netlink/rules for tests/integration/t_rules_kernel.sh.
 *
 *   rules_tool check FILE          parse only; prints the rule count, -D,
 *                                  status settings and watch keys
 *   rules_tool load FILE           load, print, unload, exit
 *   rules_tool load FILE --hold    load, print "ready pid=P added=N", then
 *                                  wait: SIGHUP re-reads FILE and reloads
 *                                  ("reloaded ..." or "reload failed: ..."),
 *                                  SIGTERM/SIGINT unload and exit
 *   rules_tool keys                the kernel's file-watch keys, one a line
 *
 * Errors go to stderr as "FILE: line N: reason"; exit status 1.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "netlink/nl.h"
#include "netlink/rules.h"

static void warn_cb(void *arg, const char *origin, unsigned line,
		    const char *msg)
{
	(void)arg;
	if (line)
		fprintf(stderr, "warning: %s: line %u: %s\n", origin, line,
			msg);
	else
		fprintf(stderr, "warning: %s: %s\n", origin, msg);
}

static void print_error(const struct rules_error *err)
{
	char buf[600];

	fprintf(stderr, "%s\n", rules_error_str(err, buf, sizeof(buf)));
}

static struct rules_set *parse(const char *path)
{
	struct rules_error err;
	struct rules_set *rs = rules_parse_file(path, &err);

	if (!rs)
		print_error(&err);
	return rs;
}

static int cmd_check(const char *path)
{
	struct rules_set *rs = parse(path);
	const struct rules_keyset *ks;
	struct audit_status st;

	if (!rs)
		return 1;
	ks = rules_watch_keys(rs);
	printf("%zu rules, -D %s, status mask 0x%x\nwatch keys:",
	       rules_count(rs), rules_delete_all(rs) ? "yes" : "no",
	       rules_status(rs, &st));
	for (size_t i = 0; i < rules_keyset_count(ks); i++)
		printf(" %s", rules_keyset_get(ks, i));
	printf("\n");
	rules_set_free(rs);
	return 0;
}

static int cmd_keys(void)
{
	struct nl_audit *ctl = nl_audit_open(NL_CONTROL, 0);
	struct rules_keyset *ks;
	int rc;

	if (!ctl) {
		perror("nl_audit_open");
		return 1;
	}
	rc = rules_kernel_watch_keys(ctl, &ks);
	nl_audit_close(ctl);
	if (rc) {
		fprintf(stderr, "rules_kernel_watch_keys: %s\n", strerror(-rc));
		return 1;
	}
	for (size_t i = 0; i < rules_keyset_count(ks); i++)
		printf("%s\n", rules_keyset_get(ks, i));
	rules_keyset_free(ks);
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Waits for signals until SIGTERM or SIGINT; SIGHUP reloads path. */
static void hold(struct rules_loader *ld, const sigset_t *set, const char *path)
{
	for (;;) {
		struct rules_error err;
		struct rules_set *rs;
		int sig = sigwaitinfo(set, NULL);
		char buf[600];

		if (sig < 0)
			continue;
		if (sig != SIGHUP)
			return;
		rs = rules_parse_file(path, &err);
		if (rs && !rules_reload(ld, rs, &err))
			printf("reloaded added=%zu\n", rules_loader_added(ld));
		else
			printf("reload failed: %s\n",
			       rules_error_str(&err, buf, sizeof(buf)));
		fflush(stdout);
		rules_set_free(rs);
	}
}

static int cmd_load(const char *path, int hold_it)
{
	struct nl_audit *ctl = NULL;
	struct rules_loader *ld = NULL;
	struct rules_set *rs;
	struct rules_error err;
	sigset_t set;
	double t0;
	int rc = 1;

	/* blocked before loading: a SIGTERM during the load is not lost */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	rs = parse(path);
	if (!rs)
		return 1;
	ctl = nl_audit_open(NL_CONTROL, 0);
	ld = ctl ? rules_loader_new(ctl) : NULL;
	if (!ld) {
		perror("rules_tool");
		goto out;
	}
	rules_loader_set_warn(ld, warn_cb, NULL);
	t0 = now_ms();
	if (rules_load(ld, rs, (uint32_t)getpid(), &err)) {
		print_error(&err);
		goto out;
	}
	printf("ready pid=%d added=%zu of %zu load_ms=%.1f\n", (int)getpid(),
	       rules_loader_added(ld), rules_count(rs) + 1, now_ms() - t0);
	fflush(stdout);
	if (hold_it)
		hold(ld, &set, path);
	rc = rules_unload(ld);
	if (rc)
		fprintf(stderr, "unload: %s\n", strerror(-rc));
	else
		printf("unloaded\n");
	rc = rc ? 1 : 0;
out:
	rules_loader_free(ld);
	if (ctl)
		nl_audit_close(ctl);
	rules_set_free(rs);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "check"))
		return cmd_check(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "keys"))
		return cmd_keys();
	if ((argc == 3 || (argc == 4 && !strcmp(argv[3], "--hold"))) &&
	    !strcmp(argv[1], "load"))
		return cmd_load(argv[2], argc == 4);
	fprintf(stderr, "usage: rules_tool check FILE | load FILE [--hold] | "
			"keys\n");
	return 2;
}
