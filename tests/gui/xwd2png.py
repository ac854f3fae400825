#!/usr/bin/env python3
"""xwd2png.py XWD PNG [RRGGBB...]

Converts a TrueColor screenshot from xwd (32 bits per pixel) to PNG, and
prints for each colour given the number of pixels that have it exactly,
"RRGGBB N" a line. Standard library only (no ImageMagick in the test
environment)."""
import struct
import sys
import zlib


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: " + __doc__.strip().splitlines()[0])
    data = open(sys.argv[1], "rb").read()
    if len(data) < 100:
        sys.exit("xwd2png: %s: too short for an XWD header" % sys.argv[1])
    h = struct.unpack(">25I", data[:100])
    header_size, width, height, byte_order = h[0], h[4], h[5], h[7]
    bpp, stride, ncolors = h[11], h[12], h[19]
    if bpp != 32 or h[1] != 7 or h[2] != 2:
        sys.exit("xwd2png: %s: not a 32-bit ZPixmap XWD" % sys.argv[1])
    pixels = data[header_size + 12 * ncolors:]
    if len(pixels) < stride * height:
        sys.exit("xwd2png: %s: %d bytes of pixels, want %d" % (sys.argv[1], len(pixels), stride * height))
    want = {int(c, 16): 0 for c in sys.argv[3:]}
    rows = []
    for y in range(height):
        row = pixels[y * stride:y * stride + width * 4]
        out = bytearray(width * 3)
        for x in range(width):
            if byte_order == 0:  # LSBFirst: B G R X
                b, g, r = row[4 * x], row[4 * x + 1], row[4 * x + 2]
            else:
                r, g, b = row[4 * x + 1], row[4 * x + 2], row[4 * x + 3]
            out[3 * x:3 * x + 3] = bytes((r, g, b))
            v = r << 16 | g << 8 | b
            if v in want:
                want[v] += 1
        rows.append(b"\0" + bytes(out))

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(b"".join(rows), 6)) + chunk(b"IEND", b"")
    with open(sys.argv[2], "wb") as f:
        f.write(png)
    for c, n in want.items():
        print("%06x %d" % (c, n))


main()
