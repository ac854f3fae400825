/* A qube's output made safe for a terminal (termfilter.h). */
#include "termfilter.h"

#include <string.h>

void
termfilter_init(struct termfilter *tf, bool utf8)
{
	memset(tf, 0, sizeof(*tf));
	tf->utf8 = utf8;
}

/* Bytes of the UTF-8 sequence that lead starts; 0 when it starts none (a
 * continuation byte, the overlong leads C0 and C1, past U+10FFFF). */
static unsigned char
seq_len(unsigned char lead)
{
	if (lead >= 0xc2 && lead <= 0xdf)
		return 2;
	if (lead >= 0xe0 && lead <= 0xef)
		return 3;
	if (lead >= 0xf0 && lead <= 0xf4)
		return 4;
	return 0;
}

/* Whether c may follow the bytes held. Unicode's table of well-formed
 * sequences narrows the second byte: no overlong form (which a lax decoder
 * could turn into ESC), no surrogate, nothing past U+10FFFF. */
static bool
continues(const struct termfilter *tf, unsigned char c)
{
	unsigned char lo = 0x80, hi = 0xbf;

	if (tf->nheld == 1) {
		switch (tf->held[0]) {
		case 0xe0: lo = 0xa0; break;
		case 0xed: hi = 0x9f; break;
		case 0xf0: lo = 0x90; break;
		case 0xf4: hi = 0x8f; break;
		}
	}
	return c >= lo && c <= hi;
}

/* A byte that is not part of a UTF-8 sequence. */
static size_t
put_byte(const struct termfilter *tf, unsigned char c, char *out)
{
	if ((c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t' || c == '\r') {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x20 || c == 0x7f) {
		out[0] = '^';
		out[1] = (char)(c ^ 0x40); /* ^@ … ^_, and ^? for DEL */
		return 2;
	}
	/* In an 8-bit character set only 0x80-0x9F are controls. */
	out[0] = !tf->utf8 && c >= 0xa0 ? (char)c : '?';
	return 1;
}

size_t
termfilter_feed(struct termfilter *tf, const void *in, size_t len, char *out)
{
	const unsigned char *p = in;
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = p[i];

		if (tf->nheld > 0) {
			if (!continues(tf, c)) {
				out[n++] = '?'; /* cut short: c is looked at afresh */
				tf->nheld = 0;
			} else if (tf->nheld + 1 < tf->need) {
				tf->held[tf->nheld++] = c;
				continue;
			} else {
				if (tf->need == 2 && tf->held[0] == 0xc2 && c < 0xa0) {
					out[n++] = '?'; /* U+0080-U+009F: a C1 control */
				} else {
					memcpy(out + n, tf->held, tf->nheld);
					n += tf->nheld;
					out[n++] = (char)c;
				}
				tf->nheld = 0;
				continue;
			}
		}
		if (tf->utf8 && (tf->need = seq_len(c)) > 0) {
			tf->held[0] = c;
			tf->nheld = 1;
			continue;
		}
		n += put_byte(tf, c, out + n);
	}
	return n;
}

size_t
termfilter_end(struct termfilter *tf, char *out)
{
	if (tf->nheld == 0)
		return 0;
	tf->nheld = 0;
	out[0] = '?';
	return 1;
}
