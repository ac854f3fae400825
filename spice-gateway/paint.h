/* Drawing a window with the gateway's decorations into a canvas: a
 * frame in the qube's label colour and a title bar "[qube] title" that the
 * qube's pixels never cover. Shared by a qube's own screen (screen.c) and
 * the desktop of all qubes (desktop.c), so that both look the same. */
#ifndef BULKHEAD_GW_PAINT_H
#define BULKHEAD_GW_PAINT_H

#include <stdbool.h>
#include <stdint.h>

#include "gui_proto.h"

#define SCREEN_BORDER 2   /* frame width around every window */
#define SCREEN_TITLE_H 12 /* title bar above normal windows */
#define SCREEN_BG 0x202020u

struct rect {
	int32_t x, y;
	uint32_t w, h; /* w == 0 or h == 0: empty */
};

struct swin {
	bool used, mapped, override_redirect;
	uint32_t id;
	int32_t x, y; /* content origin on the screen, after placement */
	uint32_t w, h;
	uint32_t *pix; /* w*h, xRGB */
	char title[GUI_TITLE_MAX];
};

/* The pixels of one rectangle of a screen (xRGB, stride area.w), painted
 * in the screen's coordinates; nothing outside the area is touched. */
struct canvas {
	uint32_t *fb;
	struct rect area;
};

/* How a qube's windows are decorated. */
struct deco {
	const char *vm;
	uint32_t label, text; /* frame and title text colours */
};

bool rect_empty(struct rect r);
struct rect rect_intersect(struct rect a, struct rect b);
/* The smallest rectangle holding both. */
struct rect rect_union(struct rect a, struct rect b);
bool rect_contains(struct rect r, int32_t x, int32_t y);
/* a holds all of b. */
bool rect_covers(struct rect a, struct rect b);

/* Title text that reads on the label colour: dark on light labels. */
uint32_t paint_text_rgb(uint32_t label_rgb);
/* The window with its decorations. */
struct rect swin_outer(const struct swin *w);
bool swin_content_has(const struct swin *w, int32_t x, int32_t y);

void paint_fill(const struct canvas *c, struct rect r, struct rect clip, uint32_t rgb);
/* One line of text in the gateway's font, cut at the clip. */
void paint_text(const struct canvas *c, int32_t x, int32_t y, const char *text, struct rect clip,
    uint32_t rgb);
/* The part of the window inside clip: decorations and content. */
void paint_window(const struct canvas *c, const struct swin *w, const struct deco *d,
    struct rect clip);
/* Only the window's pixels in r (which must lie inside the content). */
void paint_content(const struct canvas *c, const struct swin *w, struct rect r);

#endif
