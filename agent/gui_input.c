/*
 * Input from the gateway, played into the X server with XTEST as if a
 * keyboard and mouse were attached: keys go to the focused window, pointer
 * positions are window-relative and become screen positions here.  The
 * gateway only sends input for a window it has; one we do not know (gone
 * meanwhile) is ignored.
 */
#include "gui_agent.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>
#include <xcb/xtest.h>

static void
fake(uint8_t type, uint8_t detail, int16_t x, int16_t y)
{
	xcb_test_fake_input(gx.c, type, detail, XCB_CURRENT_TIME, gx.root, x, y, 0);
}

/* A window-relative position, kept on the window, as a screen position. */
static void
move_to(const struct gwin *w, int32_t x, int32_t y)
{
	if (x < 0) x = 0;
	if (y < 0) y = 0;
	if ((uint32_t)x >= w->width) x = (int32_t)w->width - 1;
	if ((uint32_t)y >= w->height) y = (int32_t)w->height - 1;
	fake(XCB_MOTION_NOTIFY, 0, (int16_t)(w->x + x), (int16_t)(w->y + y));
}

static bool
supports_delete(xcb_window_t id)
{
	xcb_get_property_reply_t *r = xcb_get_property_reply(gx.c, xcb_get_property(gx.c, 0, id,
	    gx.wm_protocols, XCB_ATOM_ATOM, 0, 32), NULL);
	bool yes = false;

	if (r && r->format == 32) {
		const xcb_atom_t *a = xcb_get_property_value(r);
		int n = xcb_get_property_value_length(r) / 4;
		for (int i = 0; i < n; i++)
			yes |= a[i] == gx.wm_delete_window;
	}
	free(r);
	return yes;
}

/* As a window manager's close button: WM_DELETE_WINDOW if the app takes
 * it, else its connection is closed. */
static void
close_window(xcb_window_t id)
{
	if (supports_delete(id)) {
		xcb_client_message_event_t m;

		memset(&m, 0, sizeof(m));
		m.response_type = XCB_CLIENT_MESSAGE;
		m.format = 32;
		m.window = id;
		m.type = gx.wm_protocols;
		m.data.data32[0] = gx.wm_delete_window;
		m.data.data32[1] = XCB_CURRENT_TIME;
		xcb_send_event(gx.c, 0, id, XCB_EVENT_MASK_NO_EVENT, (const char *)&m);
	} else {
		xcb_kill_client(gx.c, id);
	}
}

void
input_handle(const struct gui_gw_event *ev)
{
	struct gwin *w = windows_find(ev->window);
	uint8_t key;

	if (w == NULL) {
		log_debug("%s: message %u for window 0x%x, which is gone", __func__, ev->type,
		    ev->window);
		return;
	}
	switch (ev->type) {
	case GUI_KEY:
		key = keymap_scancode_to_x(ev->u.key.scancode);
		if (key == 0) {
			log_debug("%s: scancode 0x%x has no key", __func__, ev->u.key.scancode);
			break;
		}
		fake(ev->u.key.down ? XCB_KEY_PRESS : XCB_KEY_RELEASE, key, 0, 0);
		break;
	case GUI_MOTION:
		move_to(w, ev->u.pointer.x, ev->u.pointer.y);
		break;
	case GUI_BUTTON:
		move_to(w, ev->u.pointer.x, ev->u.pointer.y);
		fake(ev->u.pointer.down ? XCB_BUTTON_PRESS : XCB_BUTTON_RELEASE,
		    (uint8_t)ev->u.pointer.button, 0, 0);
		break;
	case GUI_FOCUS:
		if (ev->u.focus.in && w->mapped) {
			uint32_t above = XCB_STACK_MODE_ABOVE;
			xcb_configure_window(gx.c, w->id, XCB_CONFIG_WINDOW_STACK_MODE, &above);
			xcb_set_input_focus(gx.c, XCB_INPUT_FOCUS_POINTER_ROOT, w->id,
			    XCB_CURRENT_TIME);
		}
		break;
	case GUI_CONFIGURE_REQ:
		windows_configure(w->id, &ev->u.geom);
		break;
	case GUI_CLOSE_REQ:
		close_window(w->id);
		break;
	default:
		break;
	}
}
