#include "desktop_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "display.h"
#include "log.h"
#include "loop.h"
#include "vm.h"
#include "vms.h"
#include "xalloc.h"

/* Set-1 scancodes of the keys the desktop watches. */
#define SC_CTRL_L 0x1du
#define SC_CTRL_R 0xe01du
#define SC_SHIFT_L 0x2au
#define SC_SHIFT_R 0x36u
#define SC_C 0x2eu
#define SC_V 0x2fu

struct desktop *desk;

static struct rect
notice_rect(void)
{
	return (struct rect){ 0, (int32_t)(desk->h - NOTICE_H), desk->w, NOTICE_H };
}

static void
damage(struct rect r)
{
	desk->dirty = rect_union(desk->dirty,
	    rect_intersect(r, (struct rect){ 0, 0, desk->w, desk->h }));
}

/* Composes c's area of the desktop into c: from the background up, the
 * notice bar last; or, when one window's content is all there is to see
 * there, only its pixels. */
static void
paint(const struct canvas *c)
{
	struct rect r = c->area;
	bool notice = desk->notice[0] != '\0' && !rect_empty(rect_intersect(notice_rect(), r));
	int top = desk->norder - 1;

	while (top >= 0 && rect_empty(rect_intersect(desk->order[top].outer, r)))
		top--;
	if (top >= 0 && !notice) {
		const struct swin *w = &desk->order[top].vm->scr.win[desk->order[top].slot];

		if (rect_covers((struct rect){ w->x, w->y, w->w, w->h }, r)) {
			paint_content(c, w, r);
			return;
		}
	}
	paint_fill(c, r, r, SCREEN_BG);
	for (int i = 0; i <= top; i++) {
		struct vm *vm = desk->order[i].vm;
		struct deco d = screen_deco(&vm->scr);

		paint_window(c, &vm->scr.win[desk->order[i].slot], &d, r);
	}
	if (notice) {
		struct rect bar = notice_rect(), clip = rect_intersect(bar, r);

		paint_fill(c, bar, clip, desk->notice_bg);
		paint_text(c, 4, bar.y + 4, desk->notice, clip, 0xffffff);
	}
}

static void
notice_expired(void *opaque)
{
	desk->notice[0] = '\0';
	damage(notice_rect());
	desktop_flush();
}

void
desktop_notice(uint32_t bg, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desk->notice, sizeof(desk->notice), fmt, ap);
	va_end(ap);
	desk->notice_bg = bg;
	log_info("desktop: %s", desk->notice);
	damage(notice_rect());
	desktop_flush();
	loop_timer_start(desk->notice_timer, NOTICE_MS);
}

static int
find(struct vm *vm, int slot)
{
	for (int i = 0; i < desk->norder; i++)
		if (desk->order[i].vm == vm && desk->order[i].slot == slot)
			return i;
	return -1;
}

static void
unstack(int i)
{
	memmove(&desk->order[i], &desk->order[i + 1],
	    (size_t)(desk->norder - i - 1) * sizeof(desk->order[0]));
	desk->norder--;
}

static void
drop(int i)
{
	struct dwin e = desk->order[i];

	unstack(i);
	if (desk->focus.vm == e.vm && desk->focus.slot == e.slot)
		desk->focus = (struct seat_win){ NULL, -1 };
	damage(e.outer);
}

void
desktop_event(struct vm *vm, const struct gui_event *ev)
{
	int i;
	struct swin *w;

	if (desk == NULL || ev->slot < 0)
		return;
	i = find(vm, ev->slot);
	w = &vm->scr.win[ev->slot];
	switch (ev->type) {
	case GUI_MAP:
		if (i >= 0 || !w->mapped)
			return;
		if (desk->norder == desk->cap) {
			desk->cap = desk->cap ? desk->cap * 2 : 64;
			desk->order = xrealloc(desk->order, (size_t)desk->cap * sizeof(desk->order[0]));
		}
		desk->order[desk->norder++] = (struct dwin){ vm, ev->slot, swin_outer(w) };
		damage(swin_outer(w));
		return;
	case GUI_UNMAP:
	case GUI_DESTROY:
		if (i >= 0)
			drop(i);
		return;
	case GUI_CONFIGURE:
	case GUI_TITLE:
		if (i < 0)
			return;
		damage(desk->order[i].outer);
		desk->order[i].outer = swin_outer(w);
		damage(desk->order[i].outer);
		return;
	case GUI_DAMAGE:
		if (i >= 0)
			damage((struct rect){ w->x + (int32_t)ev->u.damage.x,
			    w->y + (int32_t)ev->u.damage.y, ev->u.damage.width, ev->u.damage.height });
		return;
	default:
		return;
	}
}

void
desktop_forget(struct vm *vm)
{
	if (desk == NULL)
		return;
	for (int i = desk->norder - 1; i >= 0; i--)
		if (desk->order[i].vm == vm)
			drop(i);
	desktop_clip_forget(vm);
	desktop_flush();
}

void
desktop_flush(void)
{
	struct rect d;
	uint32_t *pix;

	if (desk == NULL || desk->view.disp == NULL || rect_empty(desk->dirty))
		return;
	d = desk->dirty;
	/* When too much is in flight it stays dirty; a release wakes us. */
	pix = display_begin(desk->view.disp, (uint32_t)d.x, (uint32_t)d.y, d.w, d.h);
	if (pix == NULL)
		return;
	paint(&(struct canvas){ pix, d });
	display_end(desk->view.disp);
	desk->dirty = (struct rect){ 0, 0, 0, 0 };
}

bool
desktop_backlogged(void)
{
	return desk != NULL && desk->view.disp != NULL && !rect_empty(desk->dirty);
}

static enum hit
desk_hit(void *opaque, int32_t x, int32_t y, struct seat_win *sw)
{
	for (int i = desk->norder - 1; i >= 0; i--) {
		const struct swin *w = &desk->order[i].vm->scr.win[desk->order[i].slot];

		if (!rect_contains(swin_outer(w), x, y))
			continue;
		*sw = (struct seat_win){ desk->order[i].vm, desk->order[i].slot };
		return swin_content_has(w, x, y) ? HIT_CONTENT : HIT_DECORATION;
	}
	*sw = (struct seat_win){ NULL, -1 };
	return HIT_NONE;
}

static struct seat_win
desk_focused(void *opaque)
{
	return desk->focus;
}

static void
desk_focus(void *opaque, struct seat_win w)
{
	int i = w.vm != NULL ? find(w.vm, w.slot) : -1;
	struct dwin e;

	desk->focus = i >= 0 ? w : (struct seat_win){ NULL, -1 };
	if (i < 0 || i == desk->norder - 1)
		return;
	e = desk->order[i];
	unstack(i);
	desk->order[desk->norder++] = e;
	damage(e.outer);
}

/* Ctrl+Shift+C and Ctrl+Shift+V are the gateway's: neither the press nor
 * the release reaches a qube (the modifiers do, as they were pressed). */
static bool
desk_key(void *opaque, uint32_t code, bool down)
{
	uint32_t bit = code == SC_C ? 1 : code == SC_V ? 2 : 0;

	switch (code) {
	case SC_CTRL_L: desk->ctrl_l = down; return false;
	case SC_CTRL_R: desk->ctrl_r = down; return false;
	case SC_SHIFT_L: desk->shift_l = down; return false;
	case SC_SHIFT_R: desk->shift_r = down; return false;
	}
	if (bit == 0)
		return false;
	if (!down) {
		if (!(desk->swallow & bit))
			return false;
		desk->swallow &= ~bit;
		return true;
	}
	if (!(desk->ctrl_l || desk->ctrl_r) || !(desk->shift_l || desk->shift_r))
		return false;
	desk->swallow |= bit;
	if (bit == 1)
		desktop_copy();
	else
		desktop_paste();
	return true;
}

static void
desk_flush(void *opaque)
{
	desktop_flush();
	vms_resume();
}

static const struct seat_ops desk_seat_ops = {
	.hit = desk_hit,
	.focused = desk_focused,
	.focus = desk_focus,
	.key = desk_key,
	.flush = desk_flush,
};

static void
desk_add_devices(void *opaque)
{
	seat_add(&desk->seat, desk->view.server, DESKTOP_NAME, &desk_seat_ops, desk);
}

void
desktop_init(uint32_t w, uint32_t h, bool paste_by_domd)
{
	desk = xcalloc(1, sizeof(*desk));
	snprintf(desk->view.name, sizeof(desk->view.name), "%s", DESKTOP_NAME);
	desk->view.listen_fd = -1;
	desk->view.add_devices = desk_add_devices;
	desk->view.flush = desk_flush;
	desk->view.opaque = desk;
	desk->w = w;
	desk->h = h;
	desk->focus = (struct seat_win){ NULL, -1 };
	desk->paste_by_domd = paste_by_domd;
	desk->paste_pid = -1;
	desk->paste_pidfd = -1;
	desk->notice_timer = loop_timer_add(notice_expired, NULL);
	damage((struct rect){ 0, 0, w, h });
}

int
desktop_start(const struct listen_cfg *place)
{
	return server_start(&desk->view, place, desk->w, desk->h);
}
