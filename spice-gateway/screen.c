#include "screen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static const struct { const char *name; uint32_t rgb; } labels[] = {
	{ "red", 0xcc0000 }, { "orange", 0xf57900 }, { "yellow", 0xedd400 },
	{ "green", 0x73d216 }, { "gray", 0x555753 }, { "blue", 0x3465a4 },
	{ "purple", 0x75507b }, { "black", 0x000000 },
};

bool
screen_label_rgb(const char *label, uint32_t *rgb)
{
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
		if (!strcmp(label, labels[i].name)) {
			*rgb = labels[i].rgb;
			return true;
		}
	}
	return false;
}

void
screen_init(struct screen *s, const char *vm, uint32_t label_rgb, uint32_t w, uint32_t h)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->vm, sizeof(s->vm), "%s", vm);
	s->label = label_rgb;
	s->text = paint_text_rgb(label_rgb);
	s->w = w;
	s->h = h;
	s->focus = -1;
	screen_damage(s, (struct rect){ 0, 0, w, h });
}

void
screen_reset(struct screen *s)
{
	for (int i = 0; i < GUI_MAX_WINDOWS; i++) {
		free(s->win[i].pix);
		memset(&s->win[i], 0, sizeof(s->win[i]));
	}
	s->norder = 0;
	s->focus = -1;
	s->pixels = 0;
	screen_damage(s, (struct rect){ 0, 0, s->w, s->h });
}

void
screen_free(struct screen *s)
{
	screen_reset(s);
}

struct deco
screen_deco(const struct screen *s)
{
	return (struct deco){ s->vm, s->label, s->text };
}

void
screen_damage(struct screen *s, struct rect r)
{
	r = rect_intersect(r, (struct rect){ 0, 0, s->w, s->h });
	s->dirty = rect_union(s->dirty, r);
}

void
screen_paint(const struct screen *s, const struct canvas *c)
{
	struct rect r = c->area;
	struct deco d = screen_deco(s);
	int top = s->norder - 1;

	/* The common case: one window's content is all there is to see in r. */
	while (top >= 0 && rect_empty(rect_intersect(swin_outer(&s->win[s->order[top]]), r)))
		top--;
	if (top >= 0) {
		const struct swin *w = &s->win[s->order[top]];

		if (rect_covers((struct rect){ w->x, w->y, w->w, w->h }, r)) {
			paint_content(c, w, r);
			return;
		}
	}
	paint_fill(c, r, r, SCREEN_BG);
	for (int i = 0; i <= top; i++)
		paint_window(c, &s->win[s->order[i]], &d, r);
}

struct rect
screen_take_dirty(struct screen *s)
{
	struct rect d = s->dirty;

	s->dirty = (struct rect){ 0, 0, 0, 0 };
	return d;
}

uint32_t *
screen_pixels_at(struct screen *s, int slot, uint32_t x, uint32_t y)
{
	struct swin *w = &s->win[slot];

	return w->pix + (size_t)y * w->w + x;
}

static void
unstack(struct screen *s, int slot)
{
	for (int i = 0; i < s->norder; i++) {
		if (s->order[i] == slot) {
			memmove(&s->order[i], &s->order[i + 1], (size_t)(s->norder - i - 1) * sizeof(int));
			s->norder--;
			return;
		}
	}
}

/* Places the content so that the decorations stay on the screen. */
static void
place(const struct screen *s, struct swin *w, int32_t x, int32_t y)
{
	int32_t top = w->override_redirect ? SCREEN_BORDER : SCREEN_BORDER + SCREEN_TITLE_H;
	int32_t maxx = (int32_t)s->w - (int32_t)w->w - SCREEN_BORDER;
	int32_t maxy = (int32_t)s->h - (int32_t)w->h - SCREEN_BORDER;

	w->x = x > maxx ? maxx : x;
	w->y = y > maxy ? maxy : y;
	if (w->x < SCREEN_BORDER)
		w->x = SCREEN_BORDER;
	if (w->y < top)
		w->y = top;
}

static bool
set_geometry(struct screen *s, struct swin *w, const struct gui_geometry *g)
{
	struct rect before = swin_outer(w);

	if (w->pix == NULL || g->width != w->w || g->height != w->h) {
		uint64_t now = w->pix ? (uint64_t)w->w * w->h : 0;
		uint64_t want = (uint64_t)g->width * g->height;
		uint32_t *pix;

		if (s->pixels - now + want > (uint64_t)SCREEN_PIXEL_BUDGET * s->w * s->h)
			return false;
		if ((pix = calloc((size_t)want, 4)) == NULL)
			return false;
		free(w->pix);
		s->pixels = s->pixels - now + want;
		w->pix = pix;
		w->w = g->width;
		w->h = g->height;
	}
	w->override_redirect = g->flags & GUI_OVERRIDE_REDIRECT;
	place(s, w, g->x, g->y);
	if (w->mapped) {
		screen_damage(s, before);
		screen_damage(s, swin_outer(w));
	}
	return true;
}

bool
screen_apply(struct screen *s, const struct gui_event *ev)
{
	struct swin *w = ev->slot >= 0 ? &s->win[ev->slot] : NULL;

	switch (ev->type) {
	case GUI_CREATE:
		memset(w, 0, sizeof(*w));
		w->used = true;
		w->id = ev->window;
		return set_geometry(s, w, &ev->u.geom);
	case GUI_CONFIGURE:
		return set_geometry(s, w, &ev->u.geom);
	case GUI_DESTROY:
	case GUI_UNMAP:
		if (w->mapped) {
			w->mapped = false;
			unstack(s, ev->slot);
			screen_damage(s, swin_outer(w));
		}
		if (s->focus == ev->slot)
			s->focus = -1;
		if (ev->type == GUI_DESTROY) {
			s->pixels -= w->pix ? (uint64_t)w->w * w->h : 0;
			free(w->pix);
			memset(w, 0, sizeof(*w));
		}
		return true;
	case GUI_MAP:
		if (!w->mapped) {
			w->mapped = true;
			s->order[s->norder++] = ev->slot;
			screen_damage(s, swin_outer(w));
		}
		return true;
	case GUI_TITLE:
		memcpy(w->title, ev->title, sizeof(w->title));
		if (w->mapped)
			screen_damage(s, swin_outer(w));
		return true;
	case GUI_DAMAGE: {
		const struct gui_damage *d = &ev->u.damage;

		if (ev->data != NULL)
			for (uint32_t row = 0; row < d->height; row++)
				memcpy(screen_pixels_at(s, ev->slot, d->x, d->y + row),
				    ev->data + (size_t)row * d->width * 4, (size_t)d->width * 4);
		if (w->mapped)
			screen_damage(s, (struct rect){ w->x + (int32_t)d->x, w->y + (int32_t)d->y,
			    d->width, d->height });
		return true;
	}
	default:
		return true;
	}
}

enum hit
screen_hit(const struct screen *s, int32_t x, int32_t y, int *slot)
{
	for (int i = s->norder - 1; i >= 0; i--) {
		const struct swin *w = &s->win[s->order[i]];
		if (!rect_contains(swin_outer(w), x, y))
			continue;
		*slot = s->order[i];
		if (swin_content_has(w, x, y))
			return HIT_CONTENT;
		return HIT_DECORATION;
	}
	*slot = -1;
	return HIT_NONE;
}

int
screen_focus(struct screen *s, int slot)
{
	int old = s->focus;

	s->focus = slot;
	if (slot >= 0 && s->win[slot].mapped && s->order[s->norder - 1] != slot) {
		unstack(s, slot);
		s->order[s->norder++] = slot;
		screen_damage(s, swin_outer(&s->win[slot]));
	}
	return old;
}
