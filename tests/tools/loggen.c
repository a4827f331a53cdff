/*
 * loggen: writes a synthetic audit.log of connect events whose answer is
 * known by construction, for cardinality and memory tests and benches.
 *
 *   loggen --procs N --dests M [--uid U] [--prefix P] [--first F]
 *          [--start SEC] [--spread SEC] [--serial S]
 *
 * N processes numbered i = F..F+N-1 (default F 0) and named P<i> (default
 * prefix "p"), each connecting (blocking, successful, inet) to M
 * destinations: process i to 10.<i as 24 bits>, ports 1024 + j, so all are
 * distinct (across runs too when their ranges of i differ), as uid U
 * (default 1000). Every event is the kernel's four
 * records: SYSCALL, SOCKADDR, PROCTITLE, EOE, with consecutive serials and
 * timestamps spread evenly over SPREAD seconds (default 60) from SEC
 * (default 1795000000), serials from S (default 1000). Exposition answers:
 *   audit_connect_total{comm="P<i>",uid="U",family="inet",result="success"} M
 *   sum of audit_connect_total = N * M; N * M distinct destinations.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	unsigned long long procs = 0, dests = 0, start = 1795000000ull;
	unsigned long long spread = 60, serial = 1000, first = 0;
	const char *prefix = "p";
	unsigned uid = 1000;
	unsigned long long total, k = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--procs") && i + 1 < argc)
			procs = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--dests") && i + 1 < argc)
			dests = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--uid") && i + 1 < argc)
			uid = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--prefix") && i + 1 < argc)
			prefix = argv[++i];
		else if (!strcmp(argv[i], "--start") && i + 1 < argc)
			start = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--spread") && i + 1 < argc)
			spread = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--serial") && i + 1 < argc)
			serial = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--first") && i + 1 < argc)
			first = strtoull(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "usage: loggen --procs N --dests M "
					"[--uid U] "
					"[--prefix P] [--start SEC] "
					"[--spread SEC] [--serial S] [--first "
					"F]\n");
			return 2;
		}
	}
	if (!procs || !dests || first + procs > 16777216 || dests > 64512 ||
	    strlen(prefix) > 7) {
		fprintf(stderr, "loggen: 1 <= procs <= 2^24, 1 <= dests <= "
				"64512, "
				"prefix of at most 7 characters\n");
		return 2;
	}
	total = procs * dests;
	/* destinations interleaved across processes, as on a busy host */
	for (unsigned long long j = 0; j < dests; j++) {
		for (unsigned long long i = first; i < first + procs;
		     i++, k++, serial++) {
			unsigned long long ms =
				start * 1000 + spread * 1000 * k / total;
			char stamp[64];

			snprintf(stamp, sizeof(stamp),
				 "audit(%llu.%03llu:%llu):", ms / 1000,
				 ms % 1000, serial);
			printf("type=SYSCALL msg=%s arch=c000003e syscall=42 "
			       "success=yes exit=0 a0=3 a1=7ffd00001000 a2=10 "
			       "a3=0 items=0 ppid=1 pid=%llu auid=%u uid=%u "
			       "gid=%u euid=%u suid=%u fsuid=%u egid=%u "
			       "sgid=%u "
			       "fsgid=%u tty=(none) ses=1 comm=\"%s%llu\" "
			       "exe=\"/usr/bin/client\" key=\"connect\"\n",
			       stamp, 100 + i, uid, uid, uid, uid, uid, uid,
			       uid, uid, uid, prefix, i);
			printf("type=SOCKADDR msg=%s "
			       "saddr=0200%04X0A%02X%02X%02X"
			       "0000000000000000\n",
			       stamp, (unsigned)(1024 + j),
			       (unsigned)(i >> 16 & 0xff),
			       (unsigned)(i >> 8 & 0xff), (unsigned)(i & 0xff));
			printf("type=PROCTITLE msg=%s proctitle=636C69656E74\n",
			       stamp);
			printf("type=EOE msg=%s \n", stamp);
		}
	}
	return 0;
}
