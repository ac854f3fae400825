/* The frames of tests/bench/gui.sh, shared by its sources (gui_feed.c,
 * x_feed.c): every frame has new pixels, and its first two pixels carry the
 * time it was made (48 bits of CLOCK_MONOTONIC microseconds) for the
 * viewer's latency figure (spice_probe fps). */
#ifndef BULKHEAD_BENCH_FRAME_H
#define BULKHEAD_BENCH_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

static inline double
frame_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Frame n, w x h pixels, rows stride pixels apart. */
static inline void
frame_paint(uint32_t *pix, size_t stride, uint32_t w, uint32_t h, uint32_t n)
{
	uint64_t us = (uint64_t)(frame_now() * 1e6);

	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++)
			pix[(size_t)y * stride + x] = ((x + n * 3) & 0xff) << 16 | ((y + n) & 0xff) << 8 | (n & 0xff);
	pix[0] = (uint32_t)(us >> 24) & 0xffffff;
	pix[1] = (uint32_t)us & 0xffffff;
}

#endif
