/* gunzip: one gzip member inflated back, for the tests that check gzip
 * output (test_gzip, test_torture). Header-only test code; include it
 * after cmocka.h. zlib checks the header, and the trailer's CRC-32 and
 * length before it reports the end of the stream. */
#ifndef AE_TESTS_UNIT_GUNZIP_H
#define AE_TESTS_UNIT_GUNZIP_H

#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

/* Inflates gz, which must be exactly one whole gzip member, into out (at
 * most cap bytes); the inflated length. */
static inline size_t gunzip(const char *gz, size_t gzlen, char *out, size_t cap)
{
	z_stream z = { 0 };
	size_t n;

	assert_true(gzlen >= 18 && (unsigned char)gz[0] == 0x1f &&
		    (unsigned char)gz[1] == 0x8b);
	assert_int_equal(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)gz;
	z.avail_in = (uInt)gzlen;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)cap;
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	assert_int_equal(z.avail_in, 0); /* one member, nothing after it */
	n = z.total_out;
	inflateEnd(&z);
	return n;
}

#endif
