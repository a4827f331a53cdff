/*
 * storm: one process issuing connect() as fast as it can, for the
 * full-rate tests and the bench.
 *
 *   storm [--count N | --seconds S] [--comm NAME] [--port P] [--distinct K]
 *         [--rate R]
 *
 * It connects one UDP socket to 127.0.0.1:P, P+1, ..., P+K-1 in turn
 * (default K=1): each connect() is one audited system call and sends no
 * packet, so the kernel's audit path, not the network, sets the pace. It
 * runs until N calls were made or S seconds passed (at most R calls a
 * second with --rate: it sleeps when ahead, checked every 64 calls), and
 * prints
 *   connects=N seconds=T rate=R
 * where every call is counted whatever its result (all succeed on UDP).
 * Exit 0, or 1 if a call failed (then the count would not be the answer).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned long long count = 0, limit = 0, n = 0;
	double seconds = 0, rate = 0, start, elapsed;
	unsigned port = 9, distinct = 1;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--count") && i + 1 < argc)
			limit = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "--comm") && i + 1 < argc)
			prctl(PR_SET_NAME, argv[++i], 0, 0, 0);
		else if (!strcmp(argv[i], "--port") && i + 1 < argc)
			port = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--distinct") && i + 1 < argc)
			distinct = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--rate") && i + 1 < argc)
			rate = atof(argv[++i]);
		else {
			fprintf(stderr, "usage: storm [--count N | --seconds "
					"S] [--comm NAME] [--port P] "
					"[--distinct K] [--rate R]\n");
			return 2;
		}
	}
	if ((!limit && seconds <= 0) || !distinct || port + distinct > 65536) {
		fprintf(stderr, "storm: give --count or --seconds\n");
		return 2;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	start = now_s();
	for (;;) {
		sa.sin_port = htons((uint16_t)(port + n));
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			perror("connect");
			return 1;
		}
		count++;
		if (++n == distinct)
			n = 0;
		if (limit ? count == limit
			  : (count & 1023) == 0 && now_s() - start >= seconds)
			break;
		if (rate > 0 && (count & 63) == 0) {
			double ahead = (double)count / rate - (now_s() - start);

			if (ahead > 0)
				usleep((useconds_t)(ahead * 1e6));
		}
	}
	elapsed = now_s() - start;
	printf("connects=%llu seconds=%.3f rate=%.0f\n", count, elapsed,
	       (double)count / elapsed);
	return 0;
}
