#include "gui_gw_wire.h"
#include "gui_wire.h"

#include <endian.h>
#include <string.h>

/* The exact body length of each gateway message; -1: unknown type,
 * -2: variable (CLIP_DATA). */
static long
body_len(uint32_t type)
{
	switch (type) {
	case GUI_HELLO: return sizeof(struct gui_hello);
	case GUI_KEY: return sizeof(struct gui_key);
	case GUI_MOTION:
	case GUI_BUTTON: return sizeof(struct gui_pointer);
	case GUI_FOCUS: return sizeof(struct gui_focus);
	case GUI_CONFIGURE_REQ: return sizeof(struct gui_geometry);
	case GUI_CLOSE_REQ:
	case GUI_CLIP_REQUEST: return 0;
	case GUI_CLIP_DATA: return -2;
	default: return -1;
	}
}

/* Messages about a window name one; the others name none. */
static int
needs_window(uint32_t type)
{
	return type == GUI_KEY || type == GUI_MOTION || type == GUI_BUTTON || type == GUI_FOCUS ||
	    type == GUI_CONFIGURE_REQ || type == GUI_CLOSE_REQ;
}

static uint32_t
bounded(uint32_t v, uint32_t lo, uint32_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

int
gui_gw_parse(const void *untrusted_buf, size_t untrusted_len, size_t clip_max,
    struct gui_gw_event *ev, size_t *used)
{
	const uint8_t *b = untrusted_buf, *body;
	uint32_t type, window, len;
	long want;

	if (untrusted_len < sizeof(struct gui_hdr))
		return 0;
	gui_hdr_read(b, &type, &window, &len);
	want = body_len(type);
	if (want == -1 || (want >= 0 && len != (uint32_t)want))
		return -1;
	if (want == -2 && len > (clip_max < GUI_CLIP_MAX ? clip_max : GUI_CLIP_MAX))
		return -1;
	if (needs_window(type) ? window == 0 : window != 0)
		return -1;
	if (untrusted_len - sizeof(struct gui_hdr) < len)
		return 0;
	body = b + sizeof(struct gui_hdr);

	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->window = window;
	switch (type) {
	case GUI_HELLO:
		memcpy(&ev->u.hello, body, sizeof(ev->u.hello));
		if (le32toh(ev->u.hello.version) != GUI_VERSION)
			return -1;
		ev->u.hello.version = GUI_VERSION;
		ev->u.hello.flags = le32toh(ev->u.hello.flags);
		break;
	case GUI_KEY:
		memcpy(&ev->u.key, body, sizeof(ev->u.key));
		ev->u.key.scancode = le32toh(ev->u.key.scancode);
		ev->u.key.down = le32toh(ev->u.key.down) != 0;
		break;
	case GUI_MOTION:
	case GUI_BUTTON:
		memcpy(&ev->u.pointer, body, sizeof(ev->u.pointer));
		ev->u.pointer.x = (int32_t)le32toh((uint32_t)ev->u.pointer.x);
		ev->u.pointer.y = (int32_t)le32toh((uint32_t)ev->u.pointer.y);
		ev->u.pointer.button = le32toh(ev->u.pointer.button);
		ev->u.pointer.down = le32toh(ev->u.pointer.down) != 0;
		if (type == GUI_BUTTON && (ev->u.pointer.button < 1 || ev->u.pointer.button > 5))
			return -1;
		break;
	case GUI_FOCUS:
		memcpy(&ev->u.focus, body, sizeof(ev->u.focus));
		ev->u.focus.in = le32toh(ev->u.focus.in) != 0;
		break;
	case GUI_CONFIGURE_REQ: {
		struct gui_geometry *g = &ev->u.geom;

		memcpy(g, body, sizeof(*g));
		g->x = (int32_t)le32toh((uint32_t)g->x);
		g->y = (int32_t)le32toh((uint32_t)g->y);
		if (g->x < -GUI_MAX_WIDTH || g->x > GUI_MAX_WIDTH || g->y < -GUI_MAX_HEIGHT ||
		    g->y > GUI_MAX_HEIGHT)
			return -1;
		g->width = bounded(le32toh(g->width), 1, GUI_MAX_WIDTH);
		g->height = bounded(le32toh(g->height), 1, GUI_MAX_HEIGHT);
		g->flags = le32toh(g->flags) & GUI_OVERRIDE_REDIRECT;
		break;
	}
	case GUI_CLIP_DATA:
		ev->data = body;
		ev->data_len = len;
		break;
	default: /* CLOSE_REQ, CLIP_REQUEST: no body */
		break;
	}
	*used = sizeof(struct gui_hdr) + len;
	return 1;
}
