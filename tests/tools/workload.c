/*
 * workload: a deterministic audit workload whose answer is known.
 *
 * It performs system calls on loopback and on one watched file, and
 * prints, from the return values it saw, the exact exposition lines the
 * exporter must show for them: the test oracle is the kernel's answer to
 * this program, not the exporter's code. Every series it produces carries
 * one of its own process names, so other activity on the host does not
 * disturb the counts.
 *
 *   workload --base-port P --watch FILE --exe PATH [--uid U] [--quick]
 *            [--comm NAME] [--socketcall]
 *
 * Process names (comm) and what each does:
 *   ae_wl_root   listens on 127.0.0.1:P (bind+listen) and [::1]:P+1;
 *                blocking connects: 3x 127.0.0.1:P, 2x [::1]:P+1,
 *                2x 127.0.0.1:P+2 (closed: refused); 2x non-blocking to
 *                127.0.0.1:P; 1x UDP to 127.0.0.1:P+3; executes PATH 5
 *                times; opens FILE 3x for reading and 2x for writing
 *   ae_wl_user   as uid U (default 65534): 2x 127.0.0.1:P, 1x 127.0.0.1:P+4
 *                (refused); binds 127.0.0.1:P+5 and listens
 *   ev"il} 1\nx  (a hostile name) 1x 127.0.0.1:P
 *   \xff\xfeab   (not UTF-8) 1x 127.0.0.1:P
 * --quick does the listens and connects of ae_wl_root only; --comm names
 * that process differently; --socketcall (i386 builds) makes the socket
 * calls through socketcall(2), as older 32-bit C libraries do.
 *
 * Output (stdout): one "series value" line per expected exposition line,
 * with label values escaped as the exporter must write them. Exit status 0
 * when every call behaved as planned enough to state an answer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAXS 64

struct tally {
	char series[MAXS][256];
	unsigned long long value[MAXS];
	int n;
};

static struct tally out;
static int use_socketcall;

/*
 * connect/bind/listen. On i386 the C library itself goes through
 * socketcall(2), so both paths are taken explicitly there: socketcall with
 * --socketcall, the direct system calls (bind 361, connect 362, listen 363)
 * without.
 */
static int sys_sock(int call, long a0, long a1, long a2)
{
#if defined(__i386__)
	if (use_socketcall) {
		long args[3] = { a0, a1, a2 };

		return (int)syscall(SYS_socketcall, call, args);
	}
	return (int)syscall(call == 2	? SYS_bind
			    : call == 3 ? SYS_connect
					: SYS_listen,
			    a0, a1, a2);
#endif
	switch (call) {
	case 2:
		return bind((int)a0, (const struct sockaddr *)a1,
			    (socklen_t)a2);
	case 3:
		return connect((int)a0, (const struct sockaddr *)a1,
			       (socklen_t)a2);
	default:
		return listen((int)a0, (int)a1);
	}
}

static void add(const char *series, unsigned long long v)
{
	for (int i = 0; i < out.n; i++)
		if (!strcmp(out.series[i], series)) {
			out.value[i] += v;
			return;
		}
	if (out.n == MAXS) {
		fprintf(stderr, "workload: too many series\n");
		exit(1);
	}
	snprintf(out.series[out.n], sizeof(out.series[0]), "%s", series);
	out.value[out.n++] = v;
}

/* Escapes a raw comm the way the exporter writes a label value. */
static void label(const char *raw, char *buf, size_t len)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)raw;
	     *p && o + 8 < len; p++) {
		if (*p == '"' || *p == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)*p;
		} else if (*p == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else if (*p >= 0x80 && !(p[0] >= 0xc2 && p[0] <= 0xf4)) {
			/* bytes that start no valid sequence: U+FFFD */
			memcpy(buf + o, "\xef\xbf\xbd", 3);
			o += 3;
		} else {
			buf[o++] = (char)*p;
		}
	}
	buf[o] = 0;
}

static const char *result_name(int rc, int err)
{
	if (rc == 0)
		return "success";
	if (err == EINPROGRESS)
		return "in_progress";
	return err == ECONNREFUSED ? "refused" : "error";
}

/* Fills ss with addr:port of family; returns its length. */
static socklen_t fill_addr(struct sockaddr_storage *ss, int family,
			   const char *addr, unsigned port)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, addr, &s4->sin_addr);
		return sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, addr, &s6->sin6_addr);
		return sizeof(*s6);
	}
}

/* One connect; records connect_total. */
static void do_connect(const char *comm, unsigned uid, int family, int type,
		       const char *addr, unsigned port, int nonblock)
{
	struct sockaddr_storage ss;
	socklen_t len = fill_addr(&ss, family, addr, port);
	char series[256], lc[128];
	int fd = socket(family, type | (nonblock ? SOCK_NONBLOCK : 0), 0);
	int rc, err;

	if (fd < 0) {
		perror("socket");
		exit(1);
	}
	rc = sys_sock(3, fd, (long)&ss, (long)len);
	err = errno;
	close(fd);
	label(comm, lc, sizeof(lc));
	snprintf(series, sizeof(series),
		 "audit_connect_total{comm=\"%s\",uid=\"%u\",family=\"%s\","
		 "result=\"%s\"}",
		 lc, uid, family == AF_INET ? "inet" : "inet6",
		 result_name(rc, err));
	add(series, 1);
}

/* The login uid the records carry (auid=): this process's, which setuid()
 * does not change. */
static const char *login_uid(void)
{
	static char buf[16];
	FILE *f;

	if (buf[0])
		return buf;
	f = fopen("/proc/self/loginuid", "r");
	if (!f || !fgets(buf, sizeof(buf), f))
		snprintf(buf, sizeof(buf), "4294967295");
	if (f)
		fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return buf;
}

/* Binds and listens; returns the listening socket. The exporter reads the
 * protocol from the socket() (live: the bundled rules audit it). */
static int do_listen(const char *comm, unsigned uid, int family,
		     const char *addr, unsigned port)
{
	struct sockaddr_storage ss;
	socklen_t len = fill_addr(&ss, family, addr, port);
	char series[256], lc[128];
	int fd = socket(family, SOCK_STREAM, 0), one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sys_sock(2, fd, (long)&ss, (long)len) || sys_sock(4, fd, 64, 0)) {
		fprintf(stderr, "workload: cannot listen on %s:%u: %s\n", addr,
			port, strerror(errno));
		exit(1);
	}
	label(comm, lc, sizeof(lc));
	snprintf(series, sizeof(series),
		 "audit_listen_total{comm=\"%s\",uid=\"%u\",auid=\"%s\","
		 "family=\"%s\",protocol=\"tcp\",address=\"%s\","
		 "port=\"%u\"}",
		 lc, uid, login_uid(), family == AF_INET ? "inet" : "inet6",
		 addr, port);
	add(series, 1);
	return fd;
}

static void set_comm(const char *name)
{
	prctl(PR_SET_NAME, name, 0, 0, 0);
}

/* Runs fn in a child with the given comm (and uid), collecting its tally. */
static void in_child(const char *comm, int uid, unsigned base,
		     void (*fn)(const char *, unsigned, unsigned))
{
	int pipefd[2];
	pid_t pid;
	int st;

	if (pipe(pipefd)) {
		perror("pipe");
		exit(1);
	}
	pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		if (uid >= 0 && (setgid((gid_t)uid) || setuid((uid_t)uid))) {
			perror("setuid");
			_exit(1);
		}
		set_comm(comm);
		out.n = 0;
		fn(comm, uid >= 0 ? (unsigned)uid : 0, base);
		if (write(pipefd[1], &out, sizeof(out)) != (ssize_t)sizeof(out))
			_exit(1);
		_exit(0);
	}
	close(pipefd[1]);
	{
		struct tally t;
		ssize_t n = read(pipefd[0], &t, sizeof(t));

		close(pipefd[0]);
		if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
		    WEXITSTATUS(st) || n != (ssize_t)sizeof(t)) {
			fprintf(stderr, "workload: child %s failed\n", comm);
			exit(1);
		}
		for (int i = 0; i < t.n; i++)
			add(t.series[i], t.value[i]);
	}
}

static void user_part(const char *comm, unsigned uid, unsigned base)
{
	int lfd;

	do_connect(comm, uid, AF_INET, SOCK_STREAM, "127.0.0.1", base, 0);
	do_connect(comm, uid, AF_INET, SOCK_STREAM, "127.0.0.1", base, 0);
	do_connect(comm, uid, AF_INET, SOCK_STREAM, "127.0.0.1", base + 4, 0);
	lfd = do_listen(comm, uid, AF_INET, "127.0.0.1", base + 5);
	close(lfd);
}

static void one_connect(const char *comm, unsigned uid, unsigned base)
{
	do_connect(comm, uid, AF_INET, SOCK_STREAM, "127.0.0.1", base, 0);
}

int main(int argc, char **argv)
{
	unsigned base = 0;
	const char *watch = NULL, *exe = NULL, *comm = "ae_wl_root";
	int uid = 65534, quick = 0;
	int l4, l6;
	char series[512], le[300];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--base-port") && i + 1 < argc)
			base = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--watch") && i + 1 < argc)
			watch = argv[++i];
		else if (!strcmp(argv[i], "--exe") && i + 1 < argc)
			exe = argv[++i];
		else if (!strcmp(argv[i], "--uid") && i + 1 < argc)
			uid = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--quick"))
			quick = 1;
		else if (!strcmp(argv[i], "--comm") && i + 1 < argc)
			comm = argv[++i];
		else if (!strcmp(argv[i], "--socketcall"))
			use_socketcall = 1;
		else {
			fprintf(stderr, "usage: workload --base-port P --watch "
					"FILE --exe PATH [--uid U] "
					"[--quick]\n");
			return 2;
		}
	}
	if (!base || base > 65500 || (!quick && (!watch || !exe))) {
		fprintf(stderr, "workload: --base-port, --watch and --exe are "
				"required\n");
		return 2;
	}
	set_comm(comm);
	l4 = do_listen(comm, 0, AF_INET, "127.0.0.1", base);
	l6 = do_listen(comm, 0, AF_INET6, "::1", base + 1);
	for (int i = 0; i < 3; i++)
		do_connect(comm, 0, AF_INET, SOCK_STREAM, "127.0.0.1", base, 0);
	for (int i = 0; i < 2; i++)
		do_connect(comm, 0, AF_INET6, SOCK_STREAM, "::1", base + 1, 0);
	for (int i = 0; i < 2; i++)
		do_connect(comm, 0, AF_INET, SOCK_STREAM, "127.0.0.1", base + 2,
			   0);
	for (int i = 0; i < 2; i++)
		do_connect(comm, 0, AF_INET, SOCK_STREAM, "127.0.0.1", base, 1);
	do_connect(comm, 0, AF_INET, SOCK_DGRAM, "127.0.0.1", base + 3, 0);
	snprintf(series, sizeof(series),
		 "audit_process_connect_unique_destinations{comm=\"%s\","
		 "uid=\"0\",window=\"5m\"}",
		 comm);
	add(series, 4);
	if (!quick) {
		for (int i = 0; i < 5; i++) {
			pid_t pid = fork();
			int st;

			if (pid == 0) {
				execl(exe, exe, (char *)NULL);
				_exit(127);
			}
			if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
			    WEXITSTATUS(st)) {
				fprintf(stderr, "workload: exec %s failed\n",
					exe);
				return 1;
			}
		}
		label(exe, le, sizeof(le));
		snprintf(series, sizeof(series),
			 "audit_execve_total{exe=\"%s\",uid=\"0\"}", le);
		add(series, 5);
		for (int i = 0; i < 5; i++) {
			int fd = open(watch, i < 3 ? O_RDONLY : O_WRONLY);

			if (fd < 0) {
				perror(watch);
				return 1;
			}
			close(fd);
		}
		/* open(3) is openat(2); the answer holds the file as given
		 * (the caller passes an absolute name) */
		label(watch, le, sizeof(le));
		snprintf(series, sizeof(series),
			 "audit_watch_hits_total{key=\"ae_test_watch\","
			 "comm=\"%s\",uid=\"0\",path=\"%s\","
			 "syscall=\"openat\",result=\"success\"}",
			 comm, le);
		add(series, 5);
		if (uid >= 0) {
			char s[256];

			in_child("ae_wl_user", uid, base, user_part);
			snprintf(s, sizeof(s),
				 "audit_process_connect_unique_destinations{"
				 "comm=\"ae_wl_user\",uid=\"%d\",window="
				 "\"5m\"}",
				 uid);
			add(s, 2);
		}
		in_child("ev\"il} 1\nx", -1, base, one_connect);
		in_child("\xff\xfe"
			 "ab",
			 -1, base, one_connect);
	}
	close(l4);
	close(l6);
	for (int i = 0; i < out.n; i++)
		printf("%s %llu\n", out.series[i], out.value[i]);
	return 0;
}
