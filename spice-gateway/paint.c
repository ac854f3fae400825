#include "paint.h"

#include <stdio.h>
#include <string.h>

#include "font.h"

bool
rect_empty(struct rect r)
{
	return r.w == 0 || r.h == 0;
}

struct rect
rect_intersect(struct rect a, struct rect b)
{
	int64_t x0 = a.x > b.x ? a.x : b.x, y0 = a.y > b.y ? a.y : b.y;
	int64_t x1 = (int64_t)a.x + a.w < (int64_t)b.x + b.w ? (int64_t)a.x + a.w : (int64_t)b.x + b.w;
	int64_t y1 = (int64_t)a.y + a.h < (int64_t)b.y + b.h ? (int64_t)a.y + a.h : (int64_t)b.y + b.h;

	if (x1 <= x0 || y1 <= y0)
		return (struct rect){ 0, 0, 0, 0 };
	return (struct rect){ (int32_t)x0, (int32_t)y0, (uint32_t)(x1 - x0), (uint32_t)(y1 - y0) };
}

struct rect
rect_union(struct rect a, struct rect b)
{
	int64_t x0, y0, x1, y1;

	if (rect_empty(a))
		return b;
	if (rect_empty(b))
		return a;
	x0 = a.x < b.x ? a.x : b.x;
	y0 = a.y < b.y ? a.y : b.y;
	x1 = (int64_t)a.x + a.w > (int64_t)b.x + b.w ? (int64_t)a.x + a.w : (int64_t)b.x + b.w;
	y1 = (int64_t)a.y + a.h > (int64_t)b.y + b.h ? (int64_t)a.y + a.h : (int64_t)b.y + b.h;
	return (struct rect){ (int32_t)x0, (int32_t)y0, (uint32_t)(x1 - x0), (uint32_t)(y1 - y0) };
}

bool
rect_contains(struct rect r, int32_t x, int32_t y)
{
	return x >= r.x && y >= r.y && x < r.x + (int32_t)r.w && y < r.y + (int32_t)r.h;
}

bool
rect_covers(struct rect a, struct rect b)
{
	struct rect i = rect_intersect(a, b);

	return i.w == b.w && i.h == b.h;
}

uint32_t
paint_text_rgb(uint32_t label_rgb)
{
	uint32_t r = label_rgb >> 16 & 0xff, g = label_rgb >> 8 & 0xff, b = label_rgb & 0xff;

	return (r * 299 + g * 587 + b * 114) / 1000 > 140 ? 0x000000 : 0xffffff;
}

struct rect
swin_outer(const struct swin *w)
{
	uint32_t top = w->override_redirect ? SCREEN_BORDER : SCREEN_BORDER + SCREEN_TITLE_H;

	return (struct rect){ w->x - SCREEN_BORDER, w->y - (int32_t)top, w->w + 2 * SCREEN_BORDER,
		w->h + top + SCREEN_BORDER };
}

bool
swin_content_has(const struct swin *w, int32_t x, int32_t y)
{
	return rect_contains((struct rect){ w->x, w->y, w->w, w->h }, x, y);
}

void
paint_fill(const struct canvas *c, struct rect r, struct rect clip, uint32_t rgb)
{
	r = rect_intersect(rect_intersect(r, clip), c->area);
	for (uint32_t row = 0; row < r.h; row++) {
		uint32_t *p = c->fb + (size_t)(r.y - c->area.y + row) * c->area.w + (r.x - c->area.x);
		for (uint32_t i = 0; i < r.w; i++)
			p[i] = rgb;
	}
}

void
paint_text(const struct canvas *c, int32_t x, int32_t y, const char *text, struct rect clip,
    uint32_t rgb)
{
	for (const unsigned char *ch = (const unsigned char *)text; *ch; ch++) {
		const uint8_t *g;

		if (*ch >= 0x80 && *ch < 0xc0)
			continue; /* UTF-8 continuation: one '?' per character */
		g = font_glyph(*ch);
		for (int col = 0; col < FONT_W; col++)
			for (int row = 0; row < FONT_H; row++)
				if (g[col] >> row & 1)
					paint_fill(c, (struct rect){ x + col, y + row, 1, 1 }, clip, rgb);
		x += FONT_ADVANCE;
		if (x >= clip.x + (int32_t)clip.w)
			break;
	}
}

void
paint_content(const struct canvas *c, const struct swin *w, struct rect r)
{
	r = rect_intersect(r, c->area);
	for (uint32_t row = 0; row < r.h; row++)
		memcpy(c->fb + (size_t)(r.y - c->area.y + row) * c->area.w + (r.x - c->area.x),
		    w->pix + (size_t)(r.y - w->y + row) * w->w + (r.x - w->x), (size_t)r.w * 4);
}

void
paint_window(const struct canvas *c, const struct swin *w, const struct deco *d, struct rect clip)
{
	struct rect o = swin_outer(w);
	int32_t bottom = w->y + (int32_t)w->h;

	clip = rect_intersect(clip, c->area);
	if (rect_empty(rect_intersect(o, clip)))
		return;
	/* The frame around the content: above, below, left, right. */
	paint_fill(c, (struct rect){ o.x, o.y, o.w, (uint32_t)(w->y - o.y) }, clip, d->label);
	paint_fill(c, (struct rect){ o.x, bottom, o.w, SCREEN_BORDER }, clip, d->label);
	paint_fill(c, (struct rect){ o.x, w->y, SCREEN_BORDER, w->h }, clip, d->label);
	paint_fill(c, (struct rect){ w->x + (int32_t)w->w, w->y, SCREEN_BORDER, w->h }, clip,
	    d->label);
	if (!w->override_redirect) {
		char text[32 + GUI_TITLE_MAX + 4];
		struct rect bar = { w->x, o.y + SCREEN_BORDER, w->w, SCREEN_TITLE_H };

		snprintf(text, sizeof(text), "[%s] %s", d->vm, w->title);
		paint_text(c, bar.x + 2, bar.y + 2, text, rect_intersect(bar, clip), d->text);
	}
	paint_content(c, w, rect_intersect((struct rect){ w->x, w->y, w->w, w->h }, clip));
}
