/*
 * mixload: a mixed audit workload, for the benches: the replay bench's
 * captured log and the scrape bench's label sets.
 *
 *   mixload --iterations N --watch FILE [--names K] [--prefix P]
 *           [--exe PATH | --exe-dir DIR] [--exec-every E] [--port PORT]
 *
 * Iteration i runs under the process name P<i mod K> (default prefix "mix",
 * K 100): a UDP connect to 127.0.0.1:PORT+(i mod 1000); a TCP bind to
 * 127.0.0.1:0 and a listen; an open of FILE (a watched file: CWD and PATH
 * records); and every E iterations (default 50) a fork and exec of PATH,
 * or with --exe-dir of DIR/t<i>, a hard link to /bin/true made for it (a
 * distinct executable per exec: EXECVE, BPRM_FCAPS, CWD and PATH records).
 * With the bundled rules every event also brings its PROCTITLE and EOE
 * records, as on a real host. Prints the counts of what it did.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int run(const char *path)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	return waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
			       WEXITSTATUS(st) == 0
		       ? 0
		       : -1;
}

int main(int argc, char **argv)
{
	unsigned long n = 0, every = 50, names = 100, execs = 0;
	const char *watch = NULL, *exe = NULL, *dir = NULL, *prefix = "mix";
	unsigned port = 20000;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char name[32], path[4096];
	int u;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--iterations") && i + 1 < argc)
			n = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--watch") && i + 1 < argc)
			watch = argv[++i];
		else if (!strcmp(argv[i], "--names") && i + 1 < argc)
			names = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--prefix") && i + 1 < argc)
			prefix = argv[++i];
		else if (!strcmp(argv[i], "--exe") && i + 1 < argc)
			exe = argv[++i];
		else if (!strcmp(argv[i], "--exe-dir") && i + 1 < argc)
			dir = argv[++i];
		else if (!strcmp(argv[i], "--exec-every") && i + 1 < argc)
			every = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--port") && i + 1 < argc)
			port = (unsigned)atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: mixload --iterations N --watch "
					"FILE "
					"[--names K] [--prefix P] [--exe PATH "
					"| "
					"--exe-dir DIR] [--exec-every E] "
					"[--port PORT]\n");
			return 2;
		}
	}
	if (!n || !watch || !names || !every || port > 64000 ||
	    strlen(prefix) > 4 || (!exe && !dir)) {
		fprintf(stderr, "mixload: --iterations, --watch and --exe or "
				"--exe-dir are required (prefix: at most 4 "
				"characters)\n");
		return 2;
	}
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	u = socket(AF_INET, SOCK_DGRAM, 0);
	for (unsigned long i = 0; i < n; i++) {
		struct sockaddr_in any = { .sin_family = AF_INET };
		int t, f;

		/* at most 4 + 10 characters: the kernel keeps 15 */
		snprintf(name, sizeof(name), "%s%lu", prefix, i % names);
		prctl(PR_SET_NAME, name, 0, 0, 0);
		sa.sin_port = htons((uint16_t)(port + i % 1000));
		if (connect(u, (struct sockaddr *)&sa, sizeof(sa))) {
			perror("connect");
			return 1;
		}
		t = socket(AF_INET, SOCK_STREAM, 0);
		inet_pton(AF_INET, "127.0.0.1", &any.sin_addr);
		if (bind(t, (struct sockaddr *)&any, sizeof(any)) ||
		    listen(t, 1)) {
			perror("bind/listen");
			return 1;
		}
		close(t);
		f = open(watch, O_RDONLY);
		if (f < 0) {
			perror(watch);
			return 1;
		}
		close(f);
		if (i % every)
			continue;
		if (dir) {
			snprintf(path, sizeof(path), "%s/t%lu", dir, i);
			if (link("/bin/true", path) && access(path, X_OK)) {
				perror(path);
				return 1;
			}
		}
		if (run(dir ? path : exe)) {
			fprintf(stderr, "mixload: exec failed\n");
			return 1;
		}
		execs++;
	}
	printf("iterations=%lu connects=%lu listens=%lu opens=%lu execs=%lu\n",
	       n, n, n, n, execs);
	return 0;
}
