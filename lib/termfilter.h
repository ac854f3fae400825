/* Making a qube's output safe to show on the operator's terminal. A
 * terminal obeys what it is sent (OSC 52 writes the clipboard, other
 * sequences retitle the window, move the cursor, redefine keys or make the
 * terminal answer as if typed), and what a qube sends is hostile. The
 * filter lets through printable ASCII, '\n', '\t', '\r' and, for a UTF-8
 * terminal, well-formed UTF-8 other than the C1 controls U+0080-U+009F; it
 * shows every other byte visibly: a C0 control or DEL in caret form (ESC as
 * "^["), anything else (a raw byte 0x80-0x9F, which some terminals take as
 * an 8-bit control such as CSI 0x9B, a broken, overlong or surrogate UTF-8
 * sequence) as '?'. So no escape sequence reaches the terminal, only its
 * text. Backspace is shown too: with reverse wrap-around (an xterm option)
 * it climbs back over the line above, where '\r' stays on the line.
 *
 * It works on chunks as they arrive: a UTF-8 sequence cut between two is
 * held until the next. Pure, no allocation (fuzzed by
 * tests/fuzz/fuzz_termfilter.c). */
#ifndef BULKHEAD_TERMFILTER_H
#define BULKHEAD_TERMFILTER_H

#include <stdbool.h>
#include <stddef.h>

/* Room termfilter_feed() may need in out for len bytes of input (a caret
 * pair per byte, and the bytes held from the chunk before); also enough
 * for termfilter_end(). */
#define TERMFILTER_OUT_MAX(len) (2 * (size_t)(len) + 4)

struct termfilter {
	bool utf8;                /* the terminal decodes UTF-8 */
	unsigned char held[3];    /* the start of a UTF-8 sequence */
	unsigned char nheld;      /* bytes in held */
	unsigned char need;       /* bytes of the whole sequence */
};

/* utf8: the terminal decodes UTF-8 (the operator's locale says so);
 * otherwise it shows 8-bit characters, and only bytes 0x80-0x9F (C1) are
 * replaced. */
void termfilter_init(struct termfilter *tf, bool utf8);
/* Filters in[0..len) into out, which has room for TERMFILTER_OUT_MAX(len)
 * bytes; returns the bytes written. */
size_t termfilter_feed(struct termfilter *tf, const void *in, size_t len, char *out);
/* End of the stream: a sequence still held was cut short and becomes '?'.
 * Returns the bytes written (at most 1). */
size_t termfilter_end(struct termfilter *tf, char *out);

#endif
