/* The keyboard and tablet of one display, routed to the windows it shows:
 * keys to the focused window, pointer events to the window under the
 * pointer (relative to its content), a click focuses and raises. A qube's
 * display shows only its own windows; the desktop shows all qubes', so the
 * display answers which qube and window is where through callbacks. */
#ifndef BULKHEAD_GW_SEAT_H
#define BULKHEAD_GW_SEAT_H

#include <stdbool.h>
#include <stdint.h>

#include <spice.h>

#include "screen.h"

struct vm;

/* A qube's window as a display sees it; vm == NULL: none. */
struct seat_win {
	struct vm *vm;
	int slot;
};

struct seat_ops {
	/* The window at (x, y) and what of it is there. */
	enum hit (*hit)(void *opaque, int32_t x, int32_t y, struct seat_win *w);
	struct seat_win (*focused)(void *opaque);
	/* Raises and focuses w (vm == NULL: nothing has the focus). */
	void (*focus)(void *opaque, struct seat_win w);
	/* A key before it goes anywhere; true: the display consumed it. */
	bool (*key)(void *opaque, uint32_t scancode, bool down);
	void (*flush)(void *opaque);
};

struct seat {
	SpiceKbdInstance kbd;
	SpiceTabletInstance tablet;
	const char *name;
	const struct seat_ops *ops;
	void *opaque;
	uint8_t kbd_prefix; /* 0xe0 seen */
	uint32_t buttons;
	int32_t px, py;
};

/* Adds the keyboard and tablet to server. */
void seat_add(struct seat *s, SpiceServer *server, const char *name, const struct seat_ops *ops,
    void *opaque);

#endif
