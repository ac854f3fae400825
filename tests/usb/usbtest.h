/* Shared by the USB test helpers: one data pattern and one checksum for
 * the bulk loopback, so usbip-peer and usb-direct measure the same work. */
#ifndef BULKHEAD_TESTS_USBTEST_H
#define BULKHEAD_TESTS_USBTEST_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#define LOOP_CHUNK (64 * 1024) /* bytes per bulk URB */
#define LOOP_WINDOW 8          /* URBs in flight each way */
#define FNV_INIT 0xcbf29ce484222325ULL
#define PATTERN_INIT 88172645463325252ULL

static inline int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static inline uint64_t
fnv(uint64_t h, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

/* The next n bytes of an xorshift stream whose state is *x. */
static inline void
pattern(uint8_t *buf, size_t n, uint64_t *x)
{
	for (size_t i = 0; i < n; i += 8) {
		*x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
		memcpy(buf + i, x, n - i < 8 ? n - i : 8);
	}
}

#endif
