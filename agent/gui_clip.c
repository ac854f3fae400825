/*
 * The qube's CLIPBOARD selection and the gateway's clipboard messages.
 * Qube to viewer: XFIXES tells when an app takes the clipboard and the
 * gateway gets a CLIP_OFFER; on its CLIP_REQUEST the text is converted to
 * UTF8_STRING and sent as CLIP_DATA.  Viewer to qube: CLIP_DATA makes our
 * own window the clipboard's owner, serving the text to the qube's apps.
 * The gateway's policy decides each transfer; the agent just follows.
 */
#include "gui_agent.h"
#include "log.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <xcb/xfixes.h>

static char *text;      /* the viewer's text we serve, while we own the clipboard */
static size_t text_len;
static bool app_owns;   /* an app of the qube owns the clipboard */

void
clip_init(void)
{
	xcb_get_selection_owner_reply_t *r;

	xcb_xfixes_select_selection_input(gx.c, gx.own, gx.clipboard,
	    XCB_XFIXES_SELECTION_EVENT_MASK_SET_SELECTION_OWNER |
	    XCB_XFIXES_SELECTION_EVENT_MASK_SELECTION_WINDOW_DESTROY |
	    XCB_XFIXES_SELECTION_EVENT_MASK_SELECTION_CLIENT_CLOSE);
	r = xcb_get_selection_owner_reply(gx.c, xcb_get_selection_owner(gx.c, gx.clipboard), NULL);
	app_owns = r && r->owner != XCB_NONE && r->owner != gx.own;
	free(r);
}

void
clip_reoffer(void)
{
	if (app_owns)
		link_send(GUI_CLIP_OFFER, 0, NULL, 0);
}

void
clip_request(void)
{
	if (!app_owns) {
		/* Nothing of the qube's to give (ours came from the viewer). */
		link_send(GUI_CLIP_DATA, 0, NULL, 0);
		return;
	}
	xcb_delete_property(gx.c, gx.own, gx.clip_prop);
	xcb_convert_selection(gx.c, gx.own, gx.clipboard, gx.utf8_string, gx.clip_prop,
	    XCB_CURRENT_TIME);
}

/* The owner answered our conversion: its text, cut to the clipboard limit. */
static void
converted(const xcb_selection_notify_event_t *e)
{
	xcb_get_property_reply_t *r = NULL;
	const char *data = "";
	size_t len = 0;

	if (e->property != XCB_NONE) {
		uint32_t words = (uint32_t)(link_clip_max() / 4 + 1);
		r = xcb_get_property_reply(gx.c, xcb_get_property(gx.c, 1, gx.own, gx.clip_prop,
		    XCB_GET_PROPERTY_TYPE_ANY, 0, words), NULL);
		if (r && r->format == 8 && (r->type == gx.utf8_string || r->type == gx.string)) {
			data = xcb_get_property_value(r);
			len = utf8_cut(data, (size_t)xcb_get_property_value_length(r), link_clip_max());
		} else if (r) {
			log_warnx("clipboard: the owner answered with a type we do not take "
			    "(too large for one property, or not text)");
		}
	}
	link_send(GUI_CLIP_DATA, 0, data, (uint32_t)len);
	free(r);
}

void
clip_data(const uint8_t *data, size_t len)
{
	free(text);
	text = xmalloc(len + 1);
	memcpy(text, data, len);
	text[len] = '\0';
	text_len = len;
	xcb_set_selection_owner(gx.c, gx.own, gx.clipboard, XCB_CURRENT_TIME);
	app_owns = false;
	log_info("clipboard: %zu bytes from the viewer", len);
}

/* An app asks for our text (the viewer's). */
static void
serve(const xcb_selection_request_event_t *e)
{
	xcb_selection_notify_event_t n;
	xcb_atom_t prop = e->property != XCB_NONE ? e->property : e->target;

	if (e->selection != gx.clipboard || text == NULL) {
		prop = XCB_NONE;
	} else if (e->target == gx.targets) {
		xcb_atom_t t[] = { gx.targets, gx.utf8_string, gx.text, gx.string };
		xcb_change_property(gx.c, XCB_PROP_MODE_REPLACE, e->requestor, prop, XCB_ATOM_ATOM,
		    32, sizeof(t) / sizeof(t[0]), t);
	} else if (e->target == gx.utf8_string || e->target == gx.text || e->target == gx.string) {
		xcb_change_property(gx.c, XCB_PROP_MODE_REPLACE, e->requestor, prop,
		    e->target == gx.string ? gx.string : gx.utf8_string, 8, (uint32_t)text_len, text);
	} else {
		prop = XCB_NONE;
	}
	memset(&n, 0, sizeof(n));
	n.response_type = XCB_SELECTION_NOTIFY;
	n.time = e->time;
	n.requestor = e->requestor;
	n.selection = e->selection;
	n.target = e->target;
	n.property = prop;
	xcb_send_event(gx.c, 0, e->requestor, XCB_EVENT_MASK_NO_EVENT, (const char *)&n);
}

bool
clip_event(xcb_generic_event_t *ev)
{
	uint8_t type = ev->response_type & 0x7f;

	if (type == gx.xfixes_event + XCB_XFIXES_SELECTION_NOTIFY) {
		xcb_xfixes_selection_notify_event_t *e = (xcb_xfixes_selection_notify_event_t *)ev;
		if (e->selection != gx.clipboard)
			return true;
		app_owns = e->owner != XCB_NONE && e->owner != gx.own;
		if (app_owns) {
			log_info("clipboard: an app of the qube took it; offering it to the viewer");
			link_send(GUI_CLIP_OFFER, 0, NULL, 0);
		}
		return true;
	}
	switch (type) {
	case XCB_SELECTION_NOTIFY:
		converted((xcb_selection_notify_event_t *)ev);
		return true;
	case XCB_SELECTION_REQUEST:
		serve((xcb_selection_request_event_t *)ev);
		return true;
	case XCB_SELECTION_CLEAR:
		free(text);
		text = NULL;
		text_len = 0;
		return true;
	default:
		return false;
	}
}
