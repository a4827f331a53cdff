/*
 * populate: fills the exporter's labelled metrics with N label sets each,
 * through real audited system calls, for the scrape-cost bench.
 *
 *   populate --names N --watch FILE [--exe-dir DIR] [--port P]
 *
 * Under N process names (pop0..popN-1) it makes, each: one UDP connect to
 * 127.0.0.1:P (a connect label set and a process sketch), a bind to
 * 127.0.0.1:0 and a listen (a listen label set: name and port), an open of
 * FILE (a watch label set). With --exe-dir it also executes DIR/t<i>, N hard
 * links to /bin/true that it makes there (an execve label set per path).
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

int main(int argc, char **argv)
{
	unsigned long n = 0;
	const char *watch = NULL, *dir = NULL;
	unsigned port = 9;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char name[32], path[4096];
	int u;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--names") && i + 1 < argc)
			n = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--watch") && i + 1 < argc)
			watch = argv[++i];
		else if (!strcmp(argv[i], "--exe-dir") && i + 1 < argc)
			dir = argv[++i];
		else if (!strcmp(argv[i], "--port") && i + 1 < argc)
			port = (unsigned)atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: populate --names N --watch FILE "
					"[--exe-dir DIR] [--port P]\n");
			return 2;
		}
	}
	if (!n || !watch) {
		fprintf(stderr, "populate: --names and --watch are required\n");
		return 2;
	}
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	sa.sin_port = htons((uint16_t)port);
	u = socket(AF_INET, SOCK_DGRAM, 0);
	for (unsigned long i = 0; i < n; i++) {
		struct sockaddr_in any = { .sin_family = AF_INET };
		int t, f;

		/* the kernel keeps 15 bytes of a name: n < 10^12 fits */
		snprintf(name, sizeof(name), "pop%lu", i);
		prctl(PR_SET_NAME, name, 0, 0, 0);
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
		if (dir) {
			pid_t pid;
			int st;

			snprintf(path, sizeof(path), "%s/t%lu", dir, i);
			if (link("/bin/true", path) && access(path, X_OK)) {
				perror(path);
				return 1;
			}
			pid = fork();
			if (pid == 0) {
				execl(path, path, (char *)NULL);
				_exit(127);
			}
			if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
			    WEXITSTATUS(st)) {
				fprintf(stderr, "populate: exec failed\n");
				return 1;
			}
		}
	}
	printf("names=%lu\n", n);
	return 0;
}
