/*
 * hash: the 64-bit hashes the cardinality sketches are fed with.
 *
 * Why two hashes. The sketches (hll.c, win.c) want 64 uniformly random
 * bits per item. In production the items are (address, port) pairs chosen
 * by whoever a process connects to, so the hash is keyed: SipHash-2-4
 * (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012) under a
 * per-deployment 128-bit key. Without a key, a hostile peer set could be
 * picked to land in few registers or to carry small ranks and so hide from
 * the counts; with one, register and rank are unpredictable.
 * MurmurHash64A is only here so that tests and benchmarks can feed the same
 * bytes to Redis and to our sketch and compare the registers bit for bit:
 * Redis hashes every PFADD element with MurmurHash64A(seed 0xadc83b19).
 *
 * Byte order. Both functions read their input as little-endian 64-bit
 * words whatever the host order, so a sketch built on one host merges with
 * one built on another. The SipHash key is two little-endian words, as in
 * the paper's test vectors (key bytes 00 01 .. 0f give k0 =
 * 0x0706050403020100, k1 = 0x0f0e0d0c0b0a0908).
 * Redis's MurmurHash64A reads native words on little-endian hosts and
 * swaps on big-endian ones, so it is also little-endian: the same here.
 *
 * Costs (gcc -O2, x86-64, one core of the dev machine): SipHash-2-4 on an
 * 18-byte (IPv6 address, port) tuple takes 24 ns (tests/tools/sketch_bench
 * speed); MurmurHash64A on a 7-byte decimal string about 5 ns. Neither
 * allocates or keeps state.
 *
 * The key id. Sketches record hash_key_id(key), a SipHash of a fixed label
 * under the key itself: equal keys give equal ids, and the id reveals
 * nothing usable about the key. It is never 0, which the sketches leave
 * for "no key" (the Redis-compatible test mode).
 */
#include "metrics/hash.h"

#include <string.h>

static inline uint64_t hash_rotl(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static inline uint64_t hash_load_le64(const uint8_t *p)
{
	uint64_t v = 0;

	/* Byte by byte: endian-neutral and free of alignment traps; gcc
	 * turns it into one load on little-endian hosts. */
	for (unsigned i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* The SipRound of the paper: an ARX permutation of the 256-bit state. */
#define HASH_SIPROUND(v0, v1, v2, v3)                                          \
	do {                                                                   \
		v0 += v1;                                                      \
		v1 = hash_rotl(v1, 13);                                        \
		v1 ^= v0;                                                      \
		v0 = hash_rotl(v0, 32);                                        \
		v2 += v3;                                                      \
		v3 = hash_rotl(v3, 16);                                        \
		v3 ^= v2;                                                      \
		v0 += v3;                                                      \
		v3 = hash_rotl(v3, 21);                                        \
		v3 ^= v0;                                                      \
		v2 += v1;                                                      \
		v1 = hash_rotl(v1, 17);                                        \
		v1 ^= v2;                                                      \
		v2 = hash_rotl(v2, 32);                                        \
	} while (0)

uint64_t hash_siphash24(const struct hash_key *key, const void *data,
			size_t len)
{
	const uint8_t *p = data;
	const uint8_t *end = p + (len & ~(size_t)7);
	/* "somepseudorandomlygeneratedbytes", the paper's constants. */
	uint64_t v0 = key->k0 ^ 0x736f6d6570736575ull;
	uint64_t v1 = key->k1 ^ 0x646f72616e646f6dull;
	uint64_t v2 = key->k0 ^ 0x6c7967656e657261ull;
	uint64_t v3 = key->k1 ^ 0x7465646279746573ull;
	uint64_t m;

	for (; p != end; p += 8) {
		m = hash_load_le64(p);
		v3 ^= m;
		HASH_SIPROUND(v0, v1, v2, v3);
		HASH_SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	/* The last block: the remaining bytes, and len mod 256 on top. */
	m = (uint64_t)(len & 0xff) << 56;
	for (size_t i = 0; i < (len & 7); i++)
		m |= (uint64_t)p[i] << (8 * i);
	v3 ^= m;
	HASH_SIPROUND(v0, v1, v2, v3);
	HASH_SIPROUND(v0, v1, v2, v3);
	v0 ^= m;
	v2 ^= 0xff;
	for (int i = 0; i < 4; i++)
		HASH_SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t hash_murmur64a(const void *data, size_t len, uint64_t seed)
{
	const uint64_t mul = 0xc6a4a7935bd1e995ull;
	const unsigned r = 47;
	const uint8_t *p = data;
	const uint8_t *end = p + (len & ~(size_t)7);
	uint64_t h = seed ^ ((uint64_t)len * mul);
	uint64_t tail = 0;

	for (; p != end; p += 8) {
		uint64_t k = hash_load_le64(p);

		k *= mul;
		k ^= k >> r;
		k *= mul;
		h ^= k;
		h *= mul;
	}
	/* The 1..7 trailing bytes, little-endian, mixed in once. */
	if (len & 7) {
		for (size_t i = 0; i < (len & 7); i++)
			tail |= (uint64_t)p[i] << (8 * i);
		h ^= tail;
		h *= mul;
	}
	h ^= h >> r;
	h *= mul;
	h ^= h >> r;
	return h;
}

uint64_t hash_key_id(const struct hash_key *key)
{
	static const char label[] = "audit_exporter sketch key id";
	uint64_t id = hash_siphash24(key, label, sizeof(label) - 1);

	return id ? id : 1;
}
