#include "seat.h"

#include <stddef.h>

#include "log.h"
#include "vm.h"

#define KBD_OF(sin) ((struct seat *)((char *)(sin) - offsetof(struct seat, kbd)))
#define TABLET_OF(sin) ((struct seat *)((char *)(sin) - offsetof(struct seat, tablet)))

static struct swin *
win_of(struct seat_win w)
{
	return w.vm != NULL && w.slot >= 0 ? &w.vm->scr.win[w.slot] : NULL;
}

static void
kbd_push(SpiceKbdInstance *sin, uint8_t frag)
{
	struct seat *s = KBD_OF(sin);
	struct gui_key k;
	struct seat_win f;

	if (frag == 0xe0) {
		s->kbd_prefix = 1;
		return;
	}
	k.scancode = (s->kbd_prefix ? 0xe000u : 0) | (frag & 0x7fu);
	k.down = !(frag & 0x80);
	s->kbd_prefix = 0;
	if (s->ops->key != NULL && s->ops->key(s->opaque, k.scancode, k.down))
		return;
	f = s->ops->focused(s->opaque);
	if (win_of(f) != NULL)
		vm_send(f.vm, GUI_KEY, win_of(f)->id, &k, sizeof(k));
}

static uint8_t
kbd_leds(SpiceKbdInstance *sin)
{
	return 0;
}

static const SpiceKbdInterface kbd_iface = {
	.base = {
		.type = SPICE_INTERFACE_KEYBOARD,
		.description = "bulkhead gateway keyboard",
		.major_version = SPICE_INTERFACE_KEYBOARD_MAJOR,
		.minor_version = SPICE_INTERFACE_KEYBOARD_MINOR,
	},
	.push_scan_freg = kbd_push,
	.get_leds = kbd_leds,
};

static void
tablet_size(SpiceTabletInstance *sin, int w, int h)
{
}

/* The window under the pointer, and the pointer relative to its content. */
static struct seat_win
target(struct seat *s, struct gui_pointer *p, bool *content)
{
	struct seat_win w;
	enum hit h = s->ops->hit(s->opaque, s->px, s->py, &w);

	*content = h == HIT_CONTENT;
	if (win_of(w) != NULL) {
		p->x = s->px - win_of(w)->x;
		p->y = s->py - win_of(w)->y;
	}
	return w;
}

static void
set_focus(struct seat *s, struct seat_win w)
{
	struct seat_win old = s->ops->focused(s->opaque);
	struct gui_focus f;

	if (old.vm == w.vm && (old.vm == NULL || old.slot == w.slot))
		return;
	s->ops->focus(s->opaque, w);
	if (win_of(old) != NULL && win_of(old)->used) {
		f.in = 0;
		vm_send(old.vm, GUI_FOCUS, win_of(old)->id, &f, sizeof(f));
	}
	if (win_of(w) != NULL) {
		f.in = 1;
		vm_send(w.vm, GUI_FOCUS, win_of(w)->id, &f, sizeof(f));
	}
	s->ops->flush(s->opaque);
}

static void
send_button(struct seat *s, uint32_t button, bool down)
{
	struct gui_pointer p = { 0 };
	bool content;
	struct seat_win w = target(s, &p, &content);

	if (down && button <= 3)
		set_focus(s, w); /* clicks on the background drop the focus */
	if (win_of(w) == NULL || !content)
		return;
	p.button = button;
	p.down = down;
	vm_send(w.vm, GUI_BUTTON, win_of(w)->id, &p, sizeof(p));
}

static void
update_buttons(struct seat *s, uint32_t state)
{
	static const uint32_t map[] = { 1, 2, 3 }; /* SPICE left, middle, right */

	for (int b = 0; b < 3; b++) {
		uint32_t bit = 1u << b;

		if ((state ^ s->buttons) & bit)
			send_button(s, map[b], state & bit);
	}
	s->buttons = state;
}

static void
tablet_position(SpiceTabletInstance *sin, int x, int y, uint32_t state)
{
	struct seat *s = TABLET_OF(sin);
	struct gui_pointer p = { 0 };
	bool content;
	struct seat_win w;

	s->px = x;
	s->py = y;
	w = target(s, &p, &content);
	if (win_of(w) != NULL && content)
		vm_send(w.vm, GUI_MOTION, win_of(w)->id, &p, sizeof(p));
	update_buttons(s, state);
}

static void
tablet_wheel(SpiceTabletInstance *sin, int motion, uint32_t state)
{
	struct seat *s = TABLET_OF(sin);

	update_buttons(s, state);
	for (; motion < 0; motion++) {
		send_button(s, 4, true);
		send_button(s, 4, false);
	}
	for (; motion > 0; motion--) {
		send_button(s, 5, true);
		send_button(s, 5, false);
	}
}

static void
tablet_buttons(SpiceTabletInstance *sin, uint32_t state)
{
	update_buttons(TABLET_OF(sin), state);
}

static const SpiceTabletInterface tablet_iface = {
	.base = {
		.type = SPICE_INTERFACE_TABLET,
		.description = "bulkhead gateway tablet",
		.major_version = SPICE_INTERFACE_TABLET_MAJOR,
		.minor_version = SPICE_INTERFACE_TABLET_MINOR,
	},
	.set_logical_size = tablet_size,
	.position = tablet_position,
	.wheel = tablet_wheel,
	.buttons = tablet_buttons,
};

void
seat_add(struct seat *s, SpiceServer *server, const char *name, const struct seat_ops *ops,
    void *opaque)
{
	s->name = name;
	s->ops = ops;
	s->opaque = opaque;
	s->kbd.base.sif = &kbd_iface.base;
	s->tablet.base.sif = &tablet_iface.base;
	if (spice_server_add_interface(server, &s->kbd.base) != 0 ||
	    spice_server_add_interface(server, &s->tablet.base) != 0)
		fatalx("%s: cannot add the input interfaces", name);
}
