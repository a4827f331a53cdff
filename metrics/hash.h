/* hash: keyed and unkeyed 64-bit hashes for the sketches. See hash.c. */
#ifndef AE_METRICS_HASH_H
#define AE_METRICS_HASH_H

#include <stddef.h>
#include <stdint.h>

/* A 128-bit SipHash key: k0 is bytes 0..7 and k1 bytes 8..15 of the key,
 * each read little-endian (the SipHash paper's convention). */
struct hash_key {
	uint64_t k0, k1;
};

/* SipHash-2-4 of len bytes at data under key; any thread; never fails. */
uint64_t hash_siphash24(const struct hash_key *key, const void *data,
			size_t len);
/* MurmurHash64A (Appleby) of len bytes with seed, bit-exact with the
 * variant Redis uses for HyperLogLog (seed 0xadc83b19); never fails. */
uint64_t hash_murmur64a(const void *data, size_t len, uint64_t seed);
/* A 64-bit fingerprint of key (never 0) that sketches carry so that
 * sketches made with different keys refuse to merge; never fails. */
uint64_t hash_key_id(const struct hash_key *key);

#endif
