/* items: hashes of distinct items for the sketch tests (test_hll,
 * test_win), the same sequence in both. Header-only, test code. */
#ifndef AE_TESTS_UNIT_ITEMS_H
#define AE_TESTS_UNIT_ITEMS_H

#include <stdint.h>

/* splitmix64: a fast, well-mixed stand-in for hashes of distinct items. */
static inline uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* The hash of item i of the sequence named by seed. */
static inline uint64_t item(uint64_t seed, uint64_t i)
{
	return mix(seed * 0x100000001b3ull ^ mix(i));
}

#endif
