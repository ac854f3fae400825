/*
 * Window titles: _NET_WM_NAME (UTF-8) if the app set it, else WM_NAME
 * (Latin-1 by ICCCM, converted).  The title is cut to the protocol's field
 * at a character boundary; the gateway sanitises what it shows either way.
 */
#include "gui_agent.h"

#include <stdlib.h>
#include <string.h>

#define TITLE_BYTES (GUI_TITLE_MAX - 1)

static size_t
latin1_to_utf8(char *dst, size_t cap, const unsigned char *src, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (src[i] < 0x80) {
			if (o + 1 > cap)
				break;
			dst[o++] = (char)src[i];
		} else {
			if (o + 2 > cap)
				break;
			dst[o++] = (char)(0xc0 | src[i] >> 6);
			dst[o++] = (char)(0x80 | (src[i] & 0x3f));
		}
	}
	return o;
}

static xcb_get_property_reply_t *
get_text(xcb_window_t id, xcb_atom_t prop)
{
	/* A little more than the field holds, so that the cut sees a whole character. */
	return xcb_get_property_reply(gx.c, xcb_get_property(gx.c, 0, id, prop, XCB_GET_PROPERTY_TYPE_ANY,
	    0, (GUI_TITLE_MAX + 8) / 4), NULL);
}

bool
title_update(struct gwin *w)
{
	char t[GUI_TITLE_MAX];
	size_t n = 0;
	xcb_get_property_reply_t *r = get_text(w->id, gx.net_wm_name);

	if (r && r->type == gx.utf8_string && r->format == 8) {
		n = (size_t)xcb_get_property_value_length(r);
		n = utf8_cut(xcb_get_property_value(r), n, TITLE_BYTES);
		memcpy(t, xcb_get_property_value(r), n);
	} else {
		free(r);
		r = get_text(w->id, XCB_ATOM_WM_NAME);
		if (r && r->format == 8 && r->type == gx.utf8_string) {
			n = (size_t)xcb_get_property_value_length(r);
			n = utf8_cut(xcb_get_property_value(r), n, TITLE_BYTES);
			memcpy(t, xcb_get_property_value(r), n);
		} else if (r && r->format == 8) {
			char u[2 * GUI_TITLE_MAX + 16];
			size_t m = latin1_to_utf8(u, sizeof(u), xcb_get_property_value(r),
			    (size_t)xcb_get_property_value_length(r));
			n = utf8_cut(u, m, TITLE_BYTES);
			memcpy(t, u, n);
		}
	}
	free(r);
	t[n] = '\0';
	if (!strcmp(t, w->title))
		return false;
	memcpy(w->title, t, n + 1);
	return true;
}
