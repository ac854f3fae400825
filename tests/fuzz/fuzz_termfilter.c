/* libFuzzer harness for termfilter: a qube's output on its way to the
 * operator's terminal. The first byte picks the terminal (UTF-8 or 8-bit)
 * and how the rest is cut into chunks. Checks that each chunk's output fits
 * TERMFILTER_OUT_MAX (the buffers are exactly that big), that the output
 * holds no C0 control but '\n', '\t', '\r', no DEL and no C1 control (raw
 * or UTF-8 encoded), that it is well-formed UTF-8 for a UTF-8 terminal,
 * that the cut into chunks changes nothing, and that filtered text passes
 * a second time unchanged. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "termfilter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* in through a fresh filter in chunks of sizes drawn from seed (0: at
 * once); a new buffer, its length in *outlen. */
static char *
run(bool utf8, const uint8_t *in, size_t len, unsigned seed, size_t *outlen)
{
	char *out = malloc(TERMFILTER_OUT_MAX(len) + 1);
	struct termfilter tf;
	size_t n = 0, off = 0;

	if (out == NULL)
		abort();
	termfilter_init(&tf, utf8);
	while (off < len) {
		size_t k = seed ? 1 + (seed = seed * 1103515245u + 12345u) % 7 : len;
		char *piece;
		size_t got;

		if (k > len - off)
			k = len - off;
		/* Exactly the room promised, so that ASan sees a write past it. */
		piece = malloc(TERMFILTER_OUT_MAX(k));
		if (piece == NULL)
			abort();
		got = termfilter_feed(&tf, in + off, k, piece);
		CHECK(got <= TERMFILTER_OUT_MAX(k), "%zu bytes out of %zu in", got, k);
		memcpy(out + n, piece, got);
		free(piece);
		n += got;
		off += k;
	}
	n += termfilter_end(&tf, out + n);
	*outlen = n;
	return out;
}

/* Length of the well-formed UTF-8 character at s (a code point of the
 * shortest form, no surrogate, at most U+10FFFF), 0 if there is none;
 * decoded independently of the filter's table. */
static size_t
utf8_char(const unsigned char *s, size_t left, uint32_t *cp)
{
	static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t len = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 :
	    (s[0] & 0xf8) == 0xf0 ? 4 : 0;

	if (len == 0 || len > left)
		return 0;
	*cp = len == 1 ? s[0] : s[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = *cp << 6 | (s[i] & 0x3f);
	}
	if (*cp < min[len] || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return len;
}

static void
check_safe(bool utf8, const unsigned char *out, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint32_t c = out[i];
		size_t len = 1;

		if (utf8) {
			len = utf8_char(out + i, n - i, &c);
			CHECK(len > 0, "malformed UTF-8 at %zu", i);
		}
		CHECK(c >= 0x20 || c == '\n' || c == '\t' || c == '\r', "C0 0x%02x at %zu", c, i);
		CHECK(c != 0x7f && (c < 0x80 || c > 0x9f), "control U+%04X at %zu", c, i);
		i += len;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n1, n2, n3;
	char *whole, *cut, *again;
	bool utf8;

	if (size < 1 || size > 65536)
		return 0;
	utf8 = data[0] & 1;
	whole = run(utf8, data + 1, size - 1, 0, &n1);
	cut = run(utf8, data + 1, size - 1, data[0] >> 1 | 1, &n2);
	check_safe(utf8, (unsigned char *)whole, n1);
	CHECK(n1 == n2 && memcmp(whole, cut, n1) == 0, "the cut into chunks changed the output");
	again = run(utf8, (uint8_t *)whole, n1, 0, &n3);
	CHECK(n3 == n1 && memcmp(again, whole, n1) == 0, "filtered text changed when filtered again");
	free(whole);
	free(cut);
	free(again);
	return 0;
}
