/* The known pixels of the fake qube's windows, shared with the probe:
 * a pattern that differs in every pixel, row and window. */
#ifndef BULKHEAD_TEST_PATTERN_H
#define BULKHEAD_TEST_PATTERN_H

#include <stdint.h>

static inline uint32_t
pattern_pixel(uint32_t seed, uint32_t x, uint32_t y)
{
	uint32_t r = (x * 7 + seed * 40) & 0xff, g = (y * 5 + seed * 90) & 0xff;
	uint32_t b = ((x ^ y) + seed * 13) & 0xff;

	return r << 16 | g << 8 | b;
}

#endif
