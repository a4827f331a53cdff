/*
 * firstseen: loopback workloads whose first-seen answer is known, for the
 * baseline's live test (docs/BASELINE.md: AuditNewListener,
 * AuditNewDestinationsBurst).
 *
 *   firstseen scan --count N [--comm NAME] [--proto tcp|udp] [--port P]
 *   firstseen steady --dests K --rounds R [--comm NAME] [--proto tcp|udp]
 *                    [--port P]
 *   firstseen listen [--comm NAME] [--proto tcp|udp] [--address A]
 *                    [--port P] [--hold-ms MS]
 *
 * scan connects to N distinct loopback destinations once each: address
 * 127.1.<i / 250>.<1 + i % 250>, port P + i % 7 (default P 20000), all
 * (address, port) pairs distinct for N up to 62500. steady connects R
 * times to the same K <= 250 destinations (127.2.0.<1 + j>, port P + j),
 * so after its first round nothing it does is new. With --proto tcp
 * (scan and steady default to udp) each connect goes to a closed port and
 * is refused, as in a port scan; udp connects send nothing. Both print
 *   connects=C distinct=D errors=E
 * where errors counts connects that did not go as planned (refused for
 * tcp, success for udp); exit 1 if any did: the answer would be wrong.
 *
 * listen binds A:P (default 127.0.0.1, port 0: the kernel picks one),
 * listens if tcp (its default; udp: a bound service), prints
 * "listening PROTO ADDRESS PORT" with the real port once bound, holds the
 * socket MS milliseconds (default 0) and exits.
 *
 * --comm sets the process name (default "ae_fs_<mode>"), so that the
 * series of this run stand apart from the rest of the host's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct opts {
	const char *mode, *comm, *address;
	unsigned long count, dests, rounds, port, hold_ms;
	int tcp; /* -1: the mode's default */
};

static int usage(void)
{
	fprintf(stderr, "usage: firstseen scan --count N | steady --dests K "
			"--rounds R"
			" | listen [--address A] [--hold-ms MS]\n"
			"       [--comm NAME] [--proto tcp|udp] [--port P]\n");
	return 2;
}

/* One connect to addr:port; 0 when it went as planned, else -1. */
static int connect_one(int tcp, uint32_t addr, unsigned port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0), r;

	if (fd < 0)
		return -1;
	sin.sin_addr.s_addr = htonl(addr);
	sin.sin_port = htons((uint16_t)port);
	r = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	close(fd);
	if (tcp)
		return r < 0 && errno == ECONNREFUSED ? 0 : -1;
	return r;
}

static int run_connects(const struct opts *o)
{
	unsigned long connects = 0, errors = 0, distinct;
	int scan = !strcmp(o->mode, "scan");
	unsigned long rounds = scan ? 1 : o->rounds;
	unsigned long n = scan ? o->count : o->dests;

	if (!n || !rounds || (scan && n > 62500) || (!scan && n > 250) ||
	    o->port + (scan ? 7 : n) > 65536)
		return usage();
	for (unsigned long r = 0; r < rounds; r++) {
		for (unsigned long i = 0; i < n; i++) {
			uint32_t addr;
			unsigned port;

			if (scan) {
				addr = (127u << 24) | (1u << 16) |
				       (uint32_t)(i / 250) << 8 |
				       (uint32_t)(1 + i % 250);
				port = (unsigned)(o->port + i % 7);
			} else {
				addr = (127u << 24) | (2u << 16) |
				       (uint32_t)(1 + i);
				port = (unsigned)(o->port + i);
			}
			connects++;
			if (connect_one(o->tcp, addr, port))
				errors++;
		}
	}
	distinct = n;
	printf("connects=%lu distinct=%lu errors=%lu\n", connects, distinct,
	       errors);
	return errors ? 1 : 0;
}

static int run_listen(const struct opts *o)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	struct timespec ts = { (time_t)(o->hold_ms / 1000),
			       (long)(o->hold_ms % 1000) * 1000000 };
	int fd;

	if (o->port > 65535 ||
	    inet_pton(AF_INET, o->address, &sin.sin_addr) != 1)
		return usage();
	sin.sin_port = htons((uint16_t)o->port);
	fd = socket(AF_INET, o->tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    (o->tcp && listen(fd, 16) < 0) ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) < 0) {
		perror("firstseen: listen");
		return 1;
	}
	printf("listening %s %s %u\n", o->tcp ? "tcp" : "udp", o->address,
	       ntohs(sin.sin_port));
	fflush(stdout);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	close(fd);
	return 0;
}

static int parse_num(const char *s, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	return errno || end == s || *end || *s == '-' ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .address = "127.0.0.1",
			  .port = ULONG_MAX,
			  .tcp = -1 };
	char comm[16];
	int i;

	if (argc < 2)
		return usage();
	o.mode = argv[1];
	for (i = 2; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];
		unsigned long *num = NULL;

		if (!strcmp(k, "--comm"))
			o.comm = v;
		else if (!strcmp(k, "--address"))
			o.address = v;
		else if (!strcmp(k, "--proto") &&
			 (!strcmp(v, "tcp") || !strcmp(v, "udp")))
			o.tcp = !strcmp(v, "tcp");
		else if (!strcmp(k, "--count"))
			num = &o.count;
		else if (!strcmp(k, "--dests"))
			num = &o.dests;
		else if (!strcmp(k, "--rounds"))
			num = &o.rounds;
		else if (!strcmp(k, "--port"))
			num = &o.port;
		else if (!strcmp(k, "--hold-ms"))
			num = &o.hold_ms;
		else
			return usage();
		if (num && parse_num(v, num))
			return usage();
	}
	if (i != argc)
		return usage();
	snprintf(comm, sizeof(comm), "ae_fs_%s", o.mode);
	if (prctl(PR_SET_NAME, o.comm ? o.comm : comm, 0, 0, 0) < 0)
		return 1;
	if (o.port == ULONG_MAX) /* not given */
		o.port = strcmp(o.mode, "listen") ? 20000 : 0;
	if (o.tcp < 0)
		o.tcp = !strcmp(o.mode, "listen");
	if (!strcmp(o.mode, "scan") || !strcmp(o.mode, "steady"))
		return run_connects(&o);
	if (!strcmp(o.mode, "listen"))
		return run_listen(&o);
	return usage();
}
