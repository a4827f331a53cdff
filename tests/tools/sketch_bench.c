/*
 * sketch_bench: accuracy, memory and speed of the cardinality sketches
 * (benchmark tool behind tests/bench/bench_sketch.sh).
 *
 *   sketch_bench rmse [SCALE]   (a) relative RMSE and bias over many
 *                               trials at 10^2 .. 10^6 distinct, p = 14
 *                               and 12, hll and win, beside 1.04/sqrt(m);
 *                               SCALE (default 1) multiplies the trials
 *   sketch_bench bytes          (c) bytes per label set, 10^2 .. 10^6
 *                               distinct per 24h, win p = 12 and 14
 *   sketch_bench rss            (d) peak RSS of 20,000 p = 12 window
 *                               sketches of 50 destinations each
 *   sketch_bench speed          ns per add, per hash, per estimate
 *
 * Items are distinct 64-bit integers hashed with SipHash-2-4 under a
 * per-trial key, as the exporter hashes (address, port). Exit status 1
 * when a check printed as FAIL fails (RMSE more than 10% above
 * 1.04/sqrt(m), a bias beyond sampling noise).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics/hash.h"
#include "metrics/hll.h"
#include "metrics/win.h"

#define DAY_MS INT64_C(86400000)
#define T0 INT64_C(1700000000000)

static const uint64_t sizes[] = { 100, 1000, 10000, 100000, 1000000 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

static uint64_t item_hash(const struct hash_key *k, uint64_t i)
{
	uint8_t b[8];

	for (int j = 0; j < 8; j++)
		b[j] = (uint8_t)(i >> (8 * j));
	return hash_siphash24(k, b, sizeof(b));
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One trial: the relative error of the estimate of n distinct. */
static double trial(int windowed, unsigned p, uint64_t n, uint64_t seed)
{
	struct hash_key k = { seed * 0x9e3779b97f4a7c15ull + 1, seed ^ 0xabc };
	double e;

	if (!windowed) {
		struct hll *h = hll_new(p, 1);

		for (uint64_t i = 0; i < n; i++)
			hll_add(h, item_hash(&k, i));
		e = hll_estimate(h);
		hll_free(h);
	} else {
		struct win_sketch *s = win_sketch_new(p, DAY_MS, 1);
		int64_t w = DAY_MS, step = DAY_MS / (int64_t)n;

		for (uint64_t i = 0; i < n; i++)
			win_sketch_add(s, item_hash(&k, i),
				       T0 + (int64_t)i * step);
		win_sketch_estimate(s, T0 + (int64_t)(n - 1) * step, &w, 1, &e,
				    NULL);
		win_sketch_free(s);
	}
	return (e - (double)n) / (double)n;
}

static int rmse(double scale)
{
	/* Enough trials that the RMSE itself is known to about 5% (its
	 * relative sampling error is about 1/sqrt(2 trials)). */
	static const unsigned trials[2][NSIZES] = {
		{ 1000, 1000, 1000, 300, 200 }, /* hll */
		{ 300, 300, 300, 100, 100 }, /* win */
	};
	static const unsigned ps[2] = { 14, 12 };
	int bad = 0;

	printf("(a) accuracy: relative RMSE and bias (mean relative error) over"
	       " trials,\n    beside the standard error 1.04/sqrt(m). Checks:"
	       " RMSE <= 1.10 x SE;\n    |bias| within 3 standard errors of the"
	       " mean (+ half an item).\n    win: items over 24h, 24h window."
	       "\n\n");
	printf("%-4s %3s %9s %6s | %9s %9s %6s | %9s %8s | %s\n", "form", "p",
	       "distinct", "trials", "RMSE", "1.04/vm", "ratio", "bias",
	       "+-3sd", "check");
	for (int f = 0; f < 2; f++) {
		for (int q = 0; q < 2; q++) {
			unsigned p = ps[q];
			double se = 1.04 / sqrt((double)(1u << p));

			for (size_t k = 0; k < NSIZES; k++) {
				unsigned t = (unsigned)(trials[f][k] * scale);
				double sum = 0, sq = 0, r, mean, sd, lim;
				int ok;

				if (t < 30)
					t = 30;
				for (unsigned i = 0; i < t; i++) {
					double x = trial(f, p, sizes[k],
							 k * 100000 + i);

					sum += x;
					sq += x * x;
				}
				r = sqrt(sq / t);
				mean = sum / t;
				sd = sqrt(fmax(sq / t - mean * mean, 0) / t);
				/* Plus half an item: linear counting's
				 * deterministic n^2/2m' when no collision
				 * happens (0.00015 items at 100). */
				lim = 3 * sd + 0.5 / (double)sizes[k];
				ok = r <= 1.10 * se && fabs(mean) <= lim;
				bad |= !ok;
				printf("%-4s %3u %9llu %6u | %8.4f%% %8.4f%% "
				       "%6.3f | %+8.4f%% %7.4f%% | %s\n",
				       f ? "win" : "hll", p,
				       (unsigned long long)sizes[k], t, 100 * r,
				       100 * se, r / se, 100 * mean, 100 * lim,
				       ok ? "ok" : "FAIL");
				fflush(stdout);
			}
		}
	}
	return bad;
}

/* The largest win_sketch_bytes while n distinct items arrive evenly over
 * each of `days` days (fresh items every day). */
static size_t win_bytes(unsigned p, uint64_t n, int days, size_t *at_day1,
			int *sparse)
{
	struct hash_key k = { 1, 2 };
	struct win_sketch *s = win_sketch_new(p, DAY_MS, 1);
	size_t peak = 0;
	int64_t step = DAY_MS / (int64_t)n;

	for (int d = 0; d < days; d++) {
		for (uint64_t i = 0; i < n; i++) {
			size_t b;

			win_sketch_add(s, item_hash(&k, d * n + i),
				       T0 + d * DAY_MS + (int64_t)i * step);
			b = win_sketch_bytes(s);
			if (d > 0 && b > peak)
				peak = b;
		}
		if (d == 0) {
			*at_day1 = win_sketch_bytes(s);
			*sparse = win_sketch_is_sparse(s);
		}
	}
	win_sketch_free(s);
	return peak;
}

static int bytes(void)
{
	printf("(c) bytes per label set (win_sketch_bytes): n distinct"
	       " destinations per 24h,\n    evenly spread; 'after 24h' = at"
	       " the end of the first day, 'steady' = the\n    peak over"
	       " days 2-3 of the same rate (old items leave as new arrive)."
	       "\n    hll = the static sketch of the same n, for scale.\n\n");
	printf("%3s %9s | %11s %6s %11s | %9s\n", "p", "distinct", "after 24h",
	       "form", "steady", "hll");
	for (unsigned p = 12; p <= 14; p += 2) {
		for (size_t k = 0; k < NSIZES; k++) {
			size_t day1 = 0, steady;
			int sparse = 0;
			struct hll *h = hll_new(p, 1);
			struct hash_key key = { 1, 2 };

			steady = win_bytes(p, sizes[k], 3, &day1, &sparse);
			for (uint64_t i = 0; i < sizes[k]; i++)
				hll_add(h, item_hash(&key, i));
			printf("%3u %9llu | %11zu %6s %11zu | %9zu\n", p,
			       (unsigned long long)sizes[k], day1,
			       sparse ? "sparse" : "log", steady, hll_bytes(h));
			hll_free(h);
		}
	}
	printf("\ntargets at p = 12: <= 1,536 bytes at 100, <= 102,400 at"
	       " 10^6\n");
	return 0;
}

static long status_kib(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;
	size_t n = strlen(field);

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n) && line[n] == ':')
			v = atol(line + n + 1);
	fclose(f);
	return v;
}

static int rss(void)
{
	enum { SETS = 20000, DESTS = 50 };
	struct win_sketch **s = calloc(SETS, sizeof(*s));
	struct hash_key k = { 3, 4 };
	long before = status_kib("VmHWM");
	size_t total = 0;

	for (int i = 0; i < SETS; i++)
		s[i] = win_sketch_new(12, DAY_MS, 1);
	/* Every destination seen 4 times over the day, interleaved across
	 * label sets as a real event stream would be. */
	for (int rep = 0; rep < 4; rep++)
		for (int d = 0; d < DESTS; d++)
			for (int i = 0; i < SETS; i++)
				win_sketch_add(
					s[i],
					item_hash(&k, (uint64_t)i << 8 | d),
					T0 + rep * 6 * 3600000 + d * 1000);
	for (int i = 0; i < SETS; i++)
		total += win_sketch_bytes(s[i]);
	printf("(d) 20,000 label sets x 50 destinations, win p = 12, 24h"
	       " horizon:\n");
	printf("    win_sketch_bytes total   %10.1f MiB (%zu bytes per"
	       " sketch)\n",
	       (double)total / 1048576, total / SETS);
	printf("    peak RSS before          %10.1f MiB\n", before / 1024.0);
	printf("    peak RSS after           %10.1f MiB (VmHWM; budget 256"
	       " MiB for the whole exporter)\n",
	       status_kib("VmHWM") / 1024.0);
	for (int i = 0; i < SETS; i++)
		win_sketch_free(s[i]);
	free(s);
	return 0;
}

static int speed(void)
{
	struct hash_key k = { 5, 6 };
	uint8_t tuple[18] = { 0x20, 0x01, 0x0d, 0xb8 };
	const unsigned N = 4000000;
	volatile uint64_t sink = 0;
	double t, e[3];
	int64_t ws[3] = { 300000, 3600000, DAY_MS };

	printf("(e) speed, one core:\n");
	t = now_s();
	for (unsigned i = 0; i < N; i++) {
		tuple[17] = (uint8_t)i;
		tuple[16] = (uint8_t)(i >> 8);
		tuple[15] = (uint8_t)(i >> 16);
		sink += hash_siphash24(&k, tuple, sizeof(tuple));
	}
	printf("    SipHash-2-4 of an 18-byte (IPv6, port) %8.1f ns\n",
	       (now_s() - t) * 1e9 / N);
	/* 100k events/s: 100 per ms, 200k distinct destinations cycling. */
	for (unsigned p = 12; p <= 14; p += 2) {
		struct win_sketch *s = win_sketch_new(p, DAY_MS, 1);
		uint64_t *h = malloc(N * sizeof(*h));

		for (unsigned i = 0; i < N; i++)
			h[i] = item_hash(&k, i % 200000);
		t = now_s();
		for (unsigned i = 0; i < N; i++)
			win_sketch_add(s, h[i], T0 + i / 100);
		printf("    win_sketch_add p=%u, 100 events/ms      %8.1f ns"
		       " (%zu bytes after)\n",
		       p, (now_s() - t) * 1e9 / N, win_sketch_bytes(s));
		t = now_s();
		for (int r = 0; r < 100; r++)
			win_sketch_estimate(s, T0 + N / 100, ws, 3, e, NULL);
		printf("    win_sketch_estimate p=%u, 3 windows     %8.1f us\n",
		       p, (now_s() - t) * 1e6 / 100);
		win_sketch_free(s);
		free(h);
	}
	(void)sink;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "rmse"))
		return rmse(argc > 2 ? atof(argv[2]) : 1.0);
	if (argc == 2 && !strcmp(argv[1], "bytes"))
		return bytes();
	if (argc == 2 && !strcmp(argv[1], "rss"))
		return rss();
	if (argc == 2 && !strcmp(argv[1], "speed"))
		return speed();
	fprintf(stderr, "usage: sketch_bench rmse [SCALE]|bytes|rss|speed\n");
	return 2;
}
