/*
 * fuzz_baseline: baseline files (metrics/baseline) from arbitrary bytes.
 *
 * The first input byte says what to repair in the rest, so that the
 * fuzzer reaches past the checks it cannot guess: bit 0 writes the store's
 * key id at offset 16, bit 1 writes the keyed checksum over the last 8
 * bytes. The rest is loaded into a store of 16 items per kind. Checks:
 *   - a load never crashes, and fails only with the documented errnos,
 *     leaving the store empty and learning from its own creation time;
 *   - a load that succeeds holds at most 16 items per kind, and its
 *     item counts, creation time and learning state survive a save
 *     (baseline_save into a temp file) and a load again.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics/baseline.h"
#include "tests/fuzz/fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct hash_key key = { 0x1122334455667788ull,
				     0x99aabbccddeeff00ull };

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct baseline *b, *c;
	uint8_t *f;
	size_t n;
	int ret;

	if (!size)
		return 0;
	n = size - 1;
	f = (uint8_t *)fuzz_copy(data + 1, n, false);
	if ((data[0] & 1) && n >= 24)
		put64(f + 16, hash_key_id(&key));
	if ((data[0] & 2) && n >= 8)
		put64(f + n - 8, hash_siphash24(&key, f, n - 8));
	b = baseline_new(&key, 16, 1000, 60);
	FUZZ_CHECK("new", b);
	ret = baseline_load_mem(b, f, n);
	if (ret) {
		FUZZ_CHECK("errno", ret == -EBADMSG || ret == -EPROTO ||
					    ret == -EKEYREJECTED);
		for (int k = 0; k < BASELINE_KINDS; k++)
			FUZZ_CHECK("fresh",
				   !baseline_items(b, (enum baseline_kind)k));
		FUZZ_CHECK("learning", baseline_learning_end(b) == 1060);
	} else {
		char path[] = "/tmp/fuzz_baseline.XXXXXX";
		int fd = mkstemp(path);

		FUZZ_CHECK("mkstemp", fd >= 0);
		close(fd);
		FUZZ_CHECK("save", !baseline_save(b, path));
		c = baseline_new(&key, 16, 5, 60);
		FUZZ_CHECK("new", c);
		FUZZ_CHECK("reload", !baseline_load(c, path));
		unlink(path);
		FUZZ_CHECK("created", baseline_learning_end(b) ==
					      baseline_learning_end(c));
		for (int k = 0; k < BASELINE_KINDS; k++) {
			enum baseline_kind kind = (enum baseline_kind)k;

			FUZZ_CHECK("bound", baseline_items(b, kind) <= 16);
			FUZZ_CHECK("same", baseline_items(b, kind) ==
						   baseline_items(c, kind));
		}
		FUZZ_CHECK("over", baseline_learning(b, INT64_MIN / 2) ==
					   baseline_learning(c, INT64_MIN / 2));
		baseline_free(c);
	}
	baseline_free(b);
	free(f);
	return 0;
}
