/*
 * Changed pixels: a DAMAGE object per window reports the bounding box of
 * what was drawn; boxes add up per window until the event queue is empty,
 * then each dirty window's box is read with GetImage and sent as one
 * GUI_DAMAGE.  Pixels of depth 24 and 32 windows are 32-bit ZPixmap rows,
 * which on a little-endian server are the protocol's B, G, R, X bytes.
 */
#include "gui_agent.h"
#include "log.h"

#include <endian.h>
#include <stdlib.h>
#include <string.h>

void
damage_track(struct gwin *w)
{
	w->damage = xcb_generate_id(gx.c);
	xcb_damage_create(gx.c, w->damage, w->id, XCB_DAMAGE_REPORT_LEVEL_BOUNDING_BOX);
}

static void
add_rect(struct gwin *w, uint32_t x0, uint32_t y0, uint32_t x1, uint32_t y1)
{
	if (x1 > w->width)
		x1 = w->width;
	if (y1 > w->height)
		y1 = w->height;
	if (x0 >= x1 || y0 >= y1)
		return;
	if (!w->dirty) {
		w->dx0 = x0, w->dy0 = y0, w->dx1 = x1, w->dy1 = y1;
		w->dirty = true;
		return;
	}
	if (x0 < w->dx0) w->dx0 = x0;
	if (y0 < w->dy0) w->dy0 = y0;
	if (x1 > w->dx1) w->dx1 = x1;
	if (y1 > w->dy1) w->dy1 = y1;
}

void
damage_all(struct gwin *w)
{
	if (w->mapped)
		add_rect(w, 0, 0, w->width, w->height);
}

void
damage_event(const xcb_generic_event_t *ev)
{
	const xcb_damage_notify_event_t *e = (const xcb_damage_notify_event_t *)ev;
	struct gwin *w = windows_find(e->drawable);

	if (w == NULL || !w->mapped)
		return;
	if (e->area.x < 0 || e->area.y < 0)
		return;
	add_rect(w, (uint32_t)e->area.x, (uint32_t)e->area.y,
	    (uint32_t)e->area.x + e->area.width, (uint32_t)e->area.y + e->area.height);
}

/* The part of the dirty box that is on the screen (GetImage reads nothing
 * else without a compositing manager); false if none is. */
static bool
visible_box(const struct gwin *w, uint32_t *x, uint32_t *y, uint32_t *wd, uint32_t *ht)
{
	int64_t x0 = w->dx0, y0 = w->dy0, x1 = w->dx1, y1 = w->dy1;

	if (w->x + x0 < 0) x0 = -(int64_t)w->x;
	if (w->y + y0 < 0) y0 = -(int64_t)w->y;
	if (w->x + x1 > gx.screen_w) x1 = (int64_t)gx.screen_w - w->x;
	if (w->y + y1 > gx.screen_h) y1 = (int64_t)gx.screen_h - w->y;
	if (x0 >= x1 || y0 >= y1)
		return false;
	*x = (uint32_t)x0, *y = (uint32_t)y0;
	*wd = (uint32_t)(x1 - x0), *ht = (uint32_t)(y1 - y0);
	return true;
}

static void
flush_one(struct gwin *w)
{
	xcb_get_image_reply_t *img;
	struct gui_damage d;
	uint32_t x, y, wd, ht;
	uint8_t *body;
	size_t bytes;

	if (!w->dirty || !w->mapped || link_congested())
		return;
	w->dirty = false;
	/* Reset the server's box before reading, so drawing after the read
	 * reports again. */
	xcb_damage_subtract(gx.c, w->damage, XCB_NONE, XCB_NONE);
	if (!link_up() || !visible_box(w, &x, &y, &wd, &ht))
		return;
	if (w->depth != 24 && w->depth != 32) {
		log_debug("%s: window 0x%x has depth %u, not shown", __func__, w->id, w->depth);
		return;
	}
	img = xcb_get_image_reply(gx.c, xcb_get_image(gx.c, XCB_IMAGE_FORMAT_Z_PIXMAP, w->id,
	    (int16_t)x, (int16_t)y, (uint16_t)wd, (uint16_t)ht, ~0u), NULL);
	if (img == NULL)
		return; /* unmapped or gone meanwhile: its events follow */
	bytes = (size_t)wd * ht * 4;
	if ((size_t)xcb_get_image_data_length(img) < bytes) {
		log_warnx("window 0x%x: short image (%d bytes for %ux%u)", w->id,
		    xcb_get_image_data_length(img), wd, ht);
		free(img);
		return;
	}
	d.x = htole32(x);
	d.y = htole32(y);
	d.width = htole32(wd);
	d.height = htole32(ht);
	body = link_reserve(GUI_DAMAGE, w->id, (uint32_t)(sizeof(d) + bytes));
	memcpy(body, &d, sizeof(d));
	memcpy(body + sizeof(d), xcb_get_image_data(img), bytes);
	free(img);
}

void
damage_flush(void)
{
	windows_each(flush_one);
}
