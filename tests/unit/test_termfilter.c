/* Unit tests for lib/termfilter.h: what of a qube's output reaches a
 * terminal, whole and in pieces. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "termfilter.h"

/* in[0..len) through a fresh filter in pieces of step bytes (0: at once),
 * ended; the result NUL-terminated in a static buffer. */
static const char *
filter_steps(bool utf8, const char *in, size_t len, size_t step)
{
	static char out[4096];
	struct termfilter tf;
	size_t n = 0;

	assert_true(TERMFILTER_OUT_MAX(len) < sizeof(out));
	termfilter_init(&tf, utf8);
	if (step == 0)
		step = len ? len : 1;
	for (size_t off = 0; off < len; off += step) {
		size_t k = len - off < step ? len - off : step, got;

		got = termfilter_feed(&tf, in + off, k, out + n);
		assert_true(got <= TERMFILTER_OUT_MAX(k));
		n += got;
	}
	n += termfilter_end(&tf, out + n);
	out[n] = '\0';
	return out;
}

#define FILTER(s) filter_steps(true, s, sizeof(s) - 1, 0)
#define FILTER8(s) filter_steps(false, s, sizeof(s) - 1, 0)

static void
test_text_passes(void **state)
{
	assert_string_equal(FILTER("plain text, 100% ~ok~\n\tcol\r\n"),
	    "plain text, 100% ~ok~\n\tcol\r\n");
	assert_string_equal(FILTER(""), "");
}

static void
test_escape_sequences_shown(void **state)
{
	/* OSC 52 (clipboard), a clear screen, a title, DCS: only their text. */
	assert_string_equal(FILTER("\x1b]52;c;aGk=\x07"), "^[]52;c;aGk=^G");
	assert_string_equal(FILTER("a\x1b[2Jb"), "a^[[2Jb");
	assert_string_equal(FILTER("\x1b]0;title\x1b\\"), "^[]0;title^[\\");
	assert_string_equal(FILTER("\x1bP+q544e\x1b\\"), "^[P+q544e^[\\");
}

static void
test_c0_and_del(void **state)
{
	assert_string_equal(filter_steps(true, "\0", 1, 0), "^@");
	assert_string_equal(FILTER("\a\b\v\f\x0e\x1f\x7f"), "^G^H^K^L^N^_^?");
}

static void
test_utf8_passes(void **state)
{
	/* é, €, a non-breaking space, U+FFFD, an emoji, the last code point. */
	static const char s[] = "caf\xc3\xa9 \xe2\x82\xac\xc2\xa0\xef\xbf\xbd\xf0\x9f\x98\x80"
	    "\xf4\x8f\xbf\xbf";

	assert_string_equal(FILTER(s), s);
}

static void
test_c1_replaced(void **state)
{
	/* Raw 8-bit CSI and ST; CSI, NEL and U+0080 encoded in UTF-8. */
	assert_string_equal(FILTER("\x9b" "2J\x9c"), "?2J?");
	assert_string_equal(FILTER("\xc2\x9b" "2J\xc2\x85\xc2\x80"), "?2J??");
	assert_string_equal(FILTER("x\xc2\x9f" "y"), "x?y");
}

static void
test_malformed_utf8(void **state)
{
	/* Overlong ESC and CSI, a surrogate, past U+10FFFF, bad leads, a lone
	 * continuation byte. */
	assert_string_equal(FILTER("\xc0\x9b"), "??");
	assert_string_equal(FILTER("\xc1\x9b"), "??");
	assert_string_equal(FILTER("\xe0\x80\x9b"), "???");
	assert_string_equal(FILTER("\xf0\x80\x80\x9b"), "????");
	assert_string_equal(FILTER("\xed\xa0\x80"), "???");
	assert_string_equal(FILTER("\xf4\x90\x80\x80"), "????");
	assert_string_equal(FILTER("\xf5\xf8\xfe\xff"), "????");
	assert_string_equal(FILTER("\xa9"), "?");
	/* A sequence cut short: the next byte is looked at afresh. */
	assert_string_equal(FILTER("\xc3" "A"), "?A");
	assert_string_equal(FILTER("\xe2\x82\x1b[m"), "?^[[m");
	assert_string_equal(FILTER("\xe2\x82\xc3\xa9"), "?\xc3\xa9");
	assert_string_equal(FILTER("\xf0\x9f\x98"), "?");
}

static void
test_split_between_chunks(void **state)
{
	static const char s[] = "\xf0\x9f\x98\x80 caf\xc3\xa9\x1b[2J\xe2\x82\xac\xc2\x9b\xc3" "A\n";
	const char *whole = "\xf0\x9f\x98\x80 caf\xc3\xa9^[[2J\xe2\x82\xac??A\n";

	for (size_t step = 1; step <= sizeof(s); step++)
		assert_string_equal(filter_steps(true, s, sizeof(s) - 1, step), whole);
}

static void
test_held_until_next_chunk(void **state)
{
	struct termfilter tf;
	char out[16];

	termfilter_init(&tf, true);
	assert_int_equal(termfilter_feed(&tf, "\xe2\x82", 2, out), 0);
	assert_int_equal(termfilter_feed(&tf, "\xac", 1, out), 3);
	assert_memory_equal(out, "\xe2\x82\xac", 3);
	assert_int_equal(termfilter_end(&tf, out), 0);
	assert_int_equal(termfilter_feed(&tf, "\xc3", 1, out), 0);
	assert_int_equal(termfilter_end(&tf, out), 1);
	assert_int_equal(out[0], '?');
}

static void
test_8bit_terminal(void **state)
{
	/* Latin-1 text passes; C1 does not, inside UTF-8 or not. */
	assert_string_equal(FILTER8("caf\xe9 \xa0\xff"), "caf\xe9 \xa0\xff");
	assert_string_equal(FILTER8("\x9b" "2J\x85\x80"), "?2J??");
	assert_string_equal(FILTER8("\xc3\xa9\xc3\x9b\x1b"), "\xc3\xa9\xc3?^[");
}

/* No byte, in any state, gives more than TERMFILTER_OUT_MAX or anything a
 * terminal would take as a control. */
static void
test_every_byte(void **state)
{
	static const char *held[] = { "", "\xc3", "\xe2\x82", "\xf0\x9f\x98", "\xe0", "\xf4" };

	for (int utf8 = 0; utf8 <= 1; utf8++) {
		for (size_t h = 0; h < sizeof(held) / sizeof(held[0]); h++) {
			for (int c = 0; c < 256; c++) {
				struct termfilter tf;
				unsigned char in = (unsigned char)c;
				char out[TERMFILTER_OUT_MAX(1) + TERMFILTER_OUT_MAX(3)];
				size_t n;

				termfilter_init(&tf, utf8);
				n = termfilter_feed(&tf, held[h], strlen(held[h]), out);
				n += termfilter_feed(&tf, &in, 1, out + n);
				n += termfilter_end(&tf, out + n);
				assert_true(n <= TERMFILTER_OUT_MAX(strlen(held[h]) + 1));
				for (size_t i = 0; i < n; i++) {
					unsigned char o = (unsigned char)out[i];
					assert_true(o >= 0x20 || o == '\n' || o == '\t' || o == '\r');
					assert_true(o != 0x7f && (o < 0x80 || o > 0x9f || (utf8 && i > 0)));
				}
			}
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_passes),
		cmocka_unit_test(test_escape_sequences_shown),
		cmocka_unit_test(test_c0_and_del),
		cmocka_unit_test(test_utf8_passes),
		cmocka_unit_test(test_c1_replaced),
		cmocka_unit_test(test_malformed_utf8),
		cmocka_unit_test(test_split_between_chunks),
		cmocka_unit_test(test_held_until_next_chunk),
		cmocka_unit_test(test_8bit_terminal),
		cmocka_unit_test(test_every_byte),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
