/*
 * The X connection: the extensions the agent needs (DAMAGE for changed
 * pixels, XFIXES for clipboard owners, XTEST for input), the atoms, and an
 * unmapped window of our own that owns the clipboard when the viewer's text
 * is ours to serve.
 */
#include "gui_agent.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>
#include <xcb/xfixes.h>
#include <xcb/xtest.h>

struct gx gx;

xcb_atom_t
gx_atom(const char *name)
{
	xcb_intern_atom_reply_t *r =
	    xcb_intern_atom_reply(gx.c, xcb_intern_atom(gx.c, 0, (uint16_t)strlen(name), name), NULL);
	xcb_atom_t a = r ? r->atom : XCB_ATOM_NONE;

	free(r);
	return a;
}

static int
need_extension(xcb_extension_t *ext, const char *name, uint8_t *first_event)
{
	const xcb_query_extension_reply_t *q = xcb_get_extension_data(gx.c, ext);

	if (q == NULL || !q->present) {
		log_warnx("the X server has no %s extension", name);
		return -1;
	}
	if (first_event)
		*first_event = q->first_event;
	return 0;
}

int
gx_open(const char *display)
{
	const xcb_setup_t *setup;
	xcb_screen_t *scr;
	int n;

	gx.c = xcb_connect(display, &n);
	if (xcb_connection_has_error(gx.c)) {
		log_warnx("cannot connect to the X server %s", display ? display : "(DISPLAY)");
		return -1;
	}
	setup = xcb_get_setup(gx.c);
	scr = xcb_setup_roots_iterator(setup).data;
	gx.root = scr->root;
	gx.screen_w = scr->width_in_pixels;
	gx.screen_h = scr->height_in_pixels;
	if (need_extension(&xcb_damage_id, "DAMAGE", &gx.damage_event) < 0 ||
	    need_extension(&xcb_xfixes_id, "XFIXES", &gx.xfixes_event) < 0 ||
	    need_extension(&xcb_test_id, "XTEST", NULL) < 0)
		return -1;
	/* Both extensions refuse requests until the client said its version. */
	free(xcb_damage_query_version_reply(gx.c, xcb_damage_query_version(gx.c, 1, 1), NULL));
	free(xcb_xfixes_query_version_reply(gx.c, xcb_xfixes_query_version(gx.c, 5, 0), NULL));

	gx.net_wm_name = gx_atom("_NET_WM_NAME");
	gx.utf8_string = gx_atom("UTF8_STRING");
	gx.wm_protocols = gx_atom("WM_PROTOCOLS");
	gx.wm_delete_window = gx_atom("WM_DELETE_WINDOW");
	gx.clipboard = gx_atom("CLIPBOARD");
	gx.targets = gx_atom("TARGETS");
	gx.text = gx_atom("TEXT");
	gx.string = XCB_ATOM_STRING;
	gx.clip_prop = gx_atom("BULKHEAD_CLIPBOARD");

	gx.own = xcb_generate_id(gx.c);
	{
		uint32_t mask = XCB_EVENT_MASK_PROPERTY_CHANGE;
		xcb_create_window(gx.c, 0, gx.own, gx.root, -1, -1, 1, 1, 0,
		    XCB_WINDOW_CLASS_INPUT_ONLY, XCB_COPY_FROM_PARENT, XCB_CW_EVENT_MASK, &mask);
	}
	/* An X server we did not start may draw a software cursor: hidden, for
	 * the reason in gui_xvfb.c. */
	xcb_xfixes_hide_cursor(gx.c, gx.root);
	/* Top-level windows appear, move and go as children of the root. */
	{
		uint32_t mask = XCB_EVENT_MASK_SUBSTRUCTURE_NOTIFY;
		xcb_change_window_attributes(gx.c, gx.root, XCB_CW_EVENT_MASK, &mask);
	}
	xcb_flush(gx.c);
	log_info("X display %s: %ux%u", display ? display : getenv("DISPLAY"), gx.screen_w,
	    gx.screen_h);
	return 0;
}
