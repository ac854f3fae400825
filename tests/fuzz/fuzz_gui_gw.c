/* libFuzzer harness for the GUI agent's check of the gateway's messages
 * (lib/gui_gw_wire.c): the gateway is another domain, so no input may crash
 * the agent, and what it accepts must be what the agent relies on: input
 * for a window, buttons 1..5, bounded geometry and clipboard. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_check.h"
#include "gui_gw_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;

	while (off < size) {
		struct gui_gw_event ev;
		size_t used = 0;
		int r = gui_gw_parse(data + off, size - off, 300, &ev, &used);

		if (r != 1)
			break;
		CHECK(used >= sizeof(struct gui_hdr) && used <= size - off, "used %zu", used);
		switch (ev.type) {
		case GUI_KEY:
			CHECK(ev.window != 0 && ev.u.key.down <= 1, "key");
			break;
		case GUI_BUTTON:
			CHECK(ev.u.pointer.button >= 1 && ev.u.pointer.button <= 5, "button %u",
			    ev.u.pointer.button);
			/* fall through */
		case GUI_MOTION:
			CHECK(ev.window != 0 && ev.u.pointer.down <= 1, "pointer");
			break;
		case GUI_FOCUS:
			CHECK(ev.window != 0 && ev.u.focus.in <= 1, "focus");
			break;
		case GUI_CONFIGURE_REQ:
			CHECK(ev.u.geom.width >= 1 && ev.u.geom.width <= GUI_MAX_WIDTH &&
			    ev.u.geom.height >= 1 && ev.u.geom.height <= GUI_MAX_HEIGHT, "geometry");
			CHECK(ev.u.geom.x >= -GUI_MAX_WIDTH && ev.u.geom.x <= GUI_MAX_WIDTH &&
			    ev.u.geom.y >= -GUI_MAX_HEIGHT && ev.u.geom.y <= GUI_MAX_HEIGHT, "position");
			break;
		case GUI_CLIP_DATA:
			CHECK(ev.window == 0 && ev.data_len <= 300, "clipboard of %zu", ev.data_len);
			CHECK(ev.data + ev.data_len <= data + off + used, "text past the message");
			break;
		case GUI_HELLO:
		case GUI_CLIP_REQUEST:
			CHECK(ev.window == 0, "window on %u", ev.type);
			break;
		case GUI_CLOSE_REQ:
			CHECK(ev.window != 0, "close");
			break;
		default:
			CHECK(0, "type %u accepted", ev.type);
		}
		off += used;
	}
	return 0;
}
