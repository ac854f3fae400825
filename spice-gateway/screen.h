/* One qube's screen in the gateway: its windows (already checked by
 * gui_vm_parse), their stacking, and what changed since the viewer was last
 * sent pixels. The screen is composed from the windows with the decorations
 * the gateway draws (paint.h) only when it is sent, straight into the
 * drawable that carries it. */
#ifndef BULKHEAD_GW_SCREEN_H
#define BULKHEAD_GW_SCREEN_H

#include <stdbool.h>
#include <stdint.h>

#include "gui_wire.h"
#include "paint.h"

/* A qube's windows together may hold this many screens' worth of pixels:
 * 500 windows of the display's size would be gigabytes. */
#define SCREEN_PIXEL_BUDGET 8

enum hit { HIT_NONE, HIT_DECORATION, HIT_CONTENT };

struct screen {
	char vm[32];
	uint32_t label, text; /* frame and title text colours */
	uint32_t w, h;
	struct swin win[GUI_MAX_WINDOWS]; /* indexed by the parser's slot */
	int order[GUI_MAX_WINDOWS];       /* mapped slots, bottom to top */
	int norder;
	int focus; /* slot, or -1 */
	uint64_t pixels; /* held by all windows' backings */
	struct rect dirty;
};

/* label: a Qubes label name; false if unknown. */
bool screen_label_rgb(const char *label, uint32_t *rgb);
void screen_init(struct screen *s, const char *vm, uint32_t label_rgb, uint32_t w, uint32_t h);
void screen_free(struct screen *s);
/* Forgets every window (the qube went away). */
void screen_reset(struct screen *s);

/* Applies a checked event; a DAMAGE event's pixels are copied from
 * ev->data, or, without data, are already in the window (screen_pixels_at).
 * Returns false if the gateway cannot keep the
 * window (over the qube's pixel budget, or out of memory): the caller
 * closes the connection. */
bool screen_apply(struct screen *s, const struct gui_event *ev);

enum hit screen_hit(const struct screen *s, int32_t x, int32_t y, int *slot);
/* Raises and focuses slot (-1: nothing); returns the slot that lost focus. */
int screen_focus(struct screen *s, int slot);

/* How this qube's windows are decorated. */
struct deco screen_deco(const struct screen *s);

/* Where pixel (x, y) of the window in slot is kept. */
uint32_t *screen_pixels_at(struct screen *s, int slot, uint32_t x, uint32_t y);
/* Composes c's area of the screen into c. */
void screen_paint(const struct screen *s, const struct canvas *c);

/* The rectangle to send to the viewer since the last call (may be empty). */
struct rect screen_take_dirty(struct screen *s);
void screen_damage(struct screen *s, struct rect r);

#endif
