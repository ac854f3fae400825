/* A 5x8 bitmap font for printable ASCII, for the gateway's title bars. */
#ifndef BULKHEAD_GW_FONT_H
#define BULKHEAD_GW_FONT_H

#include <stdint.h>

#define FONT_W 5
#define FONT_H 8
#define FONT_ADVANCE 6

/* Column bitmaps (bit 0 is the top row) of c, or of '?' for other bytes. */
const uint8_t *font_glyph(unsigned char c);

#endif
