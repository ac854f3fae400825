/* The viewer's keyboard and tablet for one qube's display. Input goes only
 * to the window that has the focus (keys) or is under the pointer, and only
 * of this display's qube: every qube has its own SpiceServer. */
#include <string.h>

#include "log.h"
#include "vm.h"

#define KBD_OF(sin) ((struct vm *)((char *)(sin) - offsetof(struct vm, kbd)))
#define TABLET_OF(sin) ((struct vm *)((char *)(sin) - offsetof(struct vm, tablet)))

static void
kbd_push(SpiceKbdInstance *sin, uint8_t frag)
{
	struct vm *vm = KBD_OF(sin);
	struct gui_key k;
	int f = vm->scr.focus;

	if (frag == 0xe0) {
		vm->kbd_prefix = 1;
		return;
	}
	k.scancode = (vm->kbd_prefix ? 0xe000u : 0) | (frag & 0x7fu);
	k.down = !(frag & 0x80);
	vm->kbd_prefix = 0;
	if (f < 0)
		return;
	vm_send(vm, GUI_KEY, vm->scr.win[f].id, &k, sizeof(k));
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

/* The window under the pointer, and the pointer relative to it. */
static int
target(struct vm *vm, struct gui_pointer *p, bool *content)
{
	int slot;
	enum hit h = screen_hit(&vm->scr, vm->px, vm->py, &slot);

	*content = h == HIT_CONTENT;
	if (slot >= 0) {
		p->x = vm->px - vm->scr.win[slot].x;
		p->y = vm->py - vm->scr.win[slot].y;
	}
	return slot;
}

static void
set_focus(struct vm *vm, int slot)
{
	struct gui_focus f;
	int old;

	if (slot == vm->scr.focus)
		return;
	old = screen_focus(&vm->scr, slot);
	if (old >= 0 && vm->scr.win[old].used) {
		f.in = 0;
		vm_send(vm, GUI_FOCUS, vm->scr.win[old].id, &f, sizeof(f));
	}
	if (slot >= 0) {
		f.in = 1;
		vm_send(vm, GUI_FOCUS, vm->scr.win[slot].id, &f, sizeof(f));
	}
	vm_flush(vm);
}

static void
send_button(struct vm *vm, uint32_t button, bool down)
{
	struct gui_pointer p = { 0 };
	bool content;
	int slot = target(vm, &p, &content);

	if (down && button <= 3)
		set_focus(vm, slot); /* clicks on the background drop the focus */
	if (slot < 0 || !content)
		return;
	p.button = button;
	p.down = down;
	vm_send(vm, GUI_BUTTON, vm->scr.win[slot].id, &p, sizeof(p));
}

static void
update_buttons(struct vm *vm, uint32_t state)
{
	static const uint32_t map[] = { 1, 2, 3 }; /* SPICE left, middle, right */

	for (int b = 0; b < 3; b++) {
		uint32_t bit = 1u << b;

		if ((state ^ vm->buttons) & bit)
			send_button(vm, map[b], state & bit);
	}
	vm->buttons = state;
}

static void
tablet_position(SpiceTabletInstance *sin, int x, int y, uint32_t state)
{
	struct vm *vm = TABLET_OF(sin);
	struct gui_pointer p = { 0 };
	bool content;
	int slot;

	vm->px = x;
	vm->py = y;
	slot = target(vm, &p, &content);
	if (slot >= 0 && content)
		vm_send(vm, GUI_MOTION, vm->scr.win[slot].id, &p, sizeof(p));
	update_buttons(vm, state);
}

static void
tablet_wheel(SpiceTabletInstance *sin, int motion, uint32_t state)
{
	struct vm *vm = TABLET_OF(sin);

	update_buttons(vm, state);
	for (; motion < 0; motion++) {
		send_button(vm, 4, true);
		send_button(vm, 4, false);
	}
	for (; motion > 0; motion--) {
		send_button(vm, 5, true);
		send_button(vm, 5, false);
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
input_add(struct vm *vm)
{
	vm->kbd.base.sif = &kbd_iface.base;
	vm->tablet.base.sif = &tablet_iface.base;
	if (spice_server_add_interface(vm->server, &vm->kbd.base) != 0 ||
	    spice_server_add_interface(vm->server, &vm->tablet.base) != 0)
		fatalx("%s: cannot add the input interfaces", vm->name);
}
