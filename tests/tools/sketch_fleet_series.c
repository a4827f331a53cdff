/*
 * sketch_fleet_series: promtool input series for the fleet recording rule
 * test (tests/rules/t_fleet.sh), made with the real sketch code.
 *
 *   sketch_fleet_series [N]
 *
 * Two simulated hosts share one SipHash key (a fleet must, or the fold
 * would union unrelated hashes). Host a connects to destinations 0..N-1,
 * host b to N/2..3N/2-1: they share half. Each host sees each of its
 * destinations once, at a time within the day picked per (host, dest).
 * Each host keeps its host-wide window sketch (win, p = 14, 24h horizon)
 * and exports, as the exporter does behind its opt-in flag, the p = 8
 * fold of every window's registers as
 *   audit_connect_unique_destinations_register{window, register}
 * Printed on stdout: the YAML items of `input_series` for both hosts
 * (instance host-a / host-b), plus fleet_test_exact_union{window} with the
 * exact number of distinct destinations either host saw in each window,
 * and fleet_test_expected_estimate{window}: the estimate the recording
 * rule must compute, worked out here in C from the max of the registers.
 * On stderr: a summary.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "metrics/hash.h"
#include "metrics/hll.h"
#include "metrics/win.h"

#define DAY_MS INT64_C(86400000)
#define T0 INT64_C(1700000000000)
#define FOLD_P 8

static const struct {
	const char *name;
	int64_t ms;
} windows[] = {
	{ "5m", 300000 },
	{ "1h", 3600000 },
	{ "24h", DAY_MS },
};
#define NWIN (sizeof(windows) / sizeof(windows[0]))

/* When host h (0, 1) sees destination d: [T0, T0 + 1 day). */
static int64_t seen_at(const struct hash_key *k, int h, uint64_t d)
{
	uint64_t v[2] = { d, (uint64_t)h + 0x5eed };

	return T0 +
	       (int64_t)(hash_siphash24(k, v, sizeof(v)) % (uint64_t)DAY_MS);
}

struct sighting {
	int64_t t;
	uint64_t d;
};

static int sighting_cmp(const void *a, const void *b)
{
	const struct sighting *x = a, *y = b;

	return (x->t > y->t) - (x->t < y->t);
}

/* The textbook estimator the recording rule computes in PromQL. */
static double classic(const uint8_t *r, unsigned p)
{
	double m = ldexp(1, (int)p), z = 0, zeros = 0, e;

	for (uint32_t j = 0; j < (1u << p); j++) {
		z += ldexp(1, -r[j]);
		zeros += r[j] == 0;
	}
	e = 0.7213 / (1 + 1.079 / m) * m * m / z;
	if (e <= 2.5 * m && zeros > 0)
		e = m * log(m / zeros);
	return e;
}

int main(int argc, char **argv)
{
	struct hash_key key = { 0x6175646974657870ull, 0x6f72746572666c74ull };
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 20000;
	uint64_t lo[2] = { 0, n / 2 }, hi[2] = { n, n / 2 + n };
	uint64_t id = hash_key_id(&key);
	struct win_sketch *s[2];
	int64_t now = T0 + DAY_MS;
	uint8_t regs[2][1u << FOLD_P], u[1u << FOLD_P];

	if (n < 2) {
		fprintf(stderr, "usage: sketch_fleet_series [N >= 2]\n");
		return 2;
	}
	/* Adds in time order, as events would arrive. */
	for (int h = 0; h < 2; h++) {
		uint64_t cnt = hi[h] - lo[h];
		struct sighting *ev = malloc(cnt * sizeof(*ev));

		s[h] = win_sketch_new(14, DAY_MS, id);
		if (!s[h] || !ev)
			return 1;
		for (uint64_t i = 0; i < cnt; i++) {
			ev[i].t = seen_at(&key, h, lo[h] + i);
			ev[i].d = lo[h] + i;
		}
		qsort(ev, cnt, sizeof(*ev), sighting_cmp);
		for (uint64_t i = 0; i < cnt; i++)
			win_sketch_add(s[h],
				       hash_siphash24(&key, &ev[i].d,
						      sizeof(ev[i].d)),
				       ev[i].t);
		free(ev);
	}
	for (size_t w = 0; w < NWIN; w++) {
		uint64_t exact = 0;

		for (int h = 0; h < 2; h++) {
			if (win_sketch_registers(s[h], now, windows[w].ms,
						 FOLD_P, regs[h]))
				return 1;
			for (uint32_t j = 0; j < (1u << FOLD_P); j++)
				printf("      - series: 'audit_connect_unique_"
				       "destinations_register{instance=\"host-%"
				       "c"
				       ":10043\",job=\"audit_exporter\",window="
				       "\"%s\",register=\"%u\"}'\n"
				       "        values: '%u+0x10'\n",
				       'a' + h, windows[w].name, j, regs[h][j]);
		}
		for (uint64_t d = 0; d < hi[1]; d++) {
			int in = 0;

			for (int h = 0; h < 2; h++) {
				int64_t t;

				if (d < lo[h] || d >= hi[h])
					continue;
				t = seen_at(&key, h, d);
				in |= t > now - windows[w].ms && t <= now;
			}
			exact += (uint64_t)in;
		}
		printf("      - series: "
		       "'fleet_test_exact_union{window=\"%s\"}'\n"
		       "        values: '%llu+0x10'\n",
		       windows[w].name, (unsigned long long)exact);
		for (uint32_t j = 0; j < (1u << FOLD_P); j++)
			u[j] = regs[0][j] > regs[1][j] ? regs[0][j]
						       : regs[1][j];
		printf("      - series: 'fleet_test_expected_estimate{window="
		       "\"%s\"}'\n        values: '%.6f+0x10'\n",
		       windows[w].name, classic(u, FOLD_P));
		fprintf(stderr,
			"window %-3s exact union %6llu, expected rule estimate "
			"%8.1f (%+.1f%%)\n",
			windows[w].name, (unsigned long long)exact,
			classic(u, FOLD_P),
			100 * (classic(u, FOLD_P) / (double)exact - 1));
	}
	win_sketch_free(s[0]);
	win_sketch_free(s[1]);
	return 0;
}
