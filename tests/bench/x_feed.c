/* Frame source for tests/bench/gui.sh's GUI agent path: an X app drawing
 * the same frames as gui_feed.c into a window of the gateway's window size
 * at (2,14), each frame drawn into a pixmap and copied to the window in one
 * request (one damage rectangle, as an app double-buffering would), then a
 * round trip so that it never runs ahead of the server. DISPLAY names the
 * X server.
 *
 *   x_feed W H SECONDS
 *
 * Prints the frames drawn. */
#include <stdio.h>
#include <stdlib.h>
#include <xcb/xcb.h>

#include "bench_frame.h"

#define DW 1280
#define DH 800
#define OX 2
#define OY 14

int
main(int argc, char **argv)
{
	xcb_connection_t *c;
	xcb_screen_t *scr;
	xcb_window_t win;
	xcb_pixmap_t pm;
	xcb_gcontext_t gc;
	uint32_t fw, fh, frames = 0, band, *pix;
	double end_at;

	if (argc != 4)
		return 2;
	fw = (uint32_t)atoi(argv[1]);
	fh = (uint32_t)atoi(argv[2]);
	if (fw < 2 || fh < 1 || fw > DW - 4 || fh > DH - 16)
		return 2;
	c = xcb_connect(NULL, NULL);
	if (xcb_connection_has_error(c)) {
		fprintf(stderr, "x_feed: cannot connect to the X server\n");
		return 1;
	}
	scr = xcb_setup_roots_iterator(xcb_get_setup(c)).data;
	win = xcb_generate_id(c);
	xcb_create_window(c, scr->root_depth, win, scr->root, OX, OY, DW - 4, DH - 16, 0,
	    XCB_WINDOW_CLASS_INPUT_OUTPUT, scr->root_visual, 0, NULL);
	pm = xcb_generate_id(c);
	xcb_create_pixmap(c, scr->root_depth, pm, win, (uint16_t)fw, (uint16_t)fh);
	gc = xcb_generate_id(c);
	xcb_create_gc(c, gc, win, 0, NULL);
	xcb_map_window(c, win);
	pix = malloc((size_t)fw * fh * 4);
	/* PutImage in bands well under the request size limit. */
	band = 65536 / (fw * 4) + 1;
	end_at = frame_now() + atoi(argv[3]);
	while (frame_now() < end_at) {
		frame_paint(pix, fw, fw, fh, frames++);
		for (uint32_t y = 0; y < fh; y += band) {
			uint32_t rows = fh - y < band ? fh - y : band;
			xcb_put_image(c, XCB_IMAGE_FORMAT_Z_PIXMAP, pm, gc, (uint16_t)fw, (uint16_t)rows, 0,
			    (int16_t)y, 0, scr->root_depth, fw * rows * 4, (const uint8_t *)(pix + (size_t)y * fw));
		}
		xcb_copy_area(c, pm, win, gc, 0, 0, 0, 0, (uint16_t)fw, (uint16_t)fh);
		free(xcb_get_input_focus_reply(c, xcb_get_input_focus(c), NULL));
		if (xcb_connection_has_error(c))
			return 1;
	}
	printf("%u\n", frames);
	return 0;
}
