/*
 * The qube's top-level windows: the root's children, which apps map, move
 * and destroy (there is no window manager).  A window is told to the
 * gateway when it is first mapped, with its X id as the protocol id; sizes
 * are clamped to the screen, which is the gateway's display size.
 */
#include "gui_agent.h"
#include "log.h"

#include <endian.h>
#include <stdlib.h>
#include <string.h>

static struct gwin wins[GUI_MAX_WINDOWS];

struct gwin *
windows_find(xcb_window_t id)
{
	for (int i = 0; i < GUI_MAX_WINDOWS; i++)
		if (id != 0 && wins[i].id == id)
			return &wins[i];
	return NULL;
}

void
windows_each(void (*fn)(struct gwin *))
{
	for (int i = 0; i < GUI_MAX_WINDOWS; i++)
		if (wins[i].id != 0)
			fn(&wins[i]);
}

static int32_t
clamp_pos(int32_t v, uint32_t max)
{
	return v < -(int32_t)max ? -(int32_t)max : v > (int32_t)max ? (int32_t)max : v;
}

static uint32_t
clamp_size(uint32_t v, uint32_t max)
{
	return v < 1 ? 1 : v > max ? max : v;
}

static void
set_geometry(struct gwin *w, int32_t x, int32_t y, uint32_t width, uint32_t height)
{
	w->x = clamp_pos(x, gx.screen_w);
	w->y = clamp_pos(y, gx.screen_h);
	w->width = clamp_size(width, gx.screen_w);
	w->height = clamp_size(height, gx.screen_h);
}

static void
send_geometry(uint32_t type, const struct gwin *w)
{
	struct gui_geometry g = {
		(int32_t)htole32((uint32_t)w->x), (int32_t)htole32((uint32_t)w->y),
		htole32(w->width), htole32(w->height),
		htole32(w->override_redirect ? GUI_OVERRIDE_REDIRECT : 0),
	};

	link_send(type, w->id, &g, sizeof(g));
}

static void
send_title(const struct gwin *w)
{
	struct gui_title t;

	memset(&t, 0, sizeof(t));
	memcpy(t.title, w->title, strnlen(w->title, sizeof(t.title) - 1));
	link_send(GUI_TITLE, w->id, &t, sizeof(t));
}

static void
announce(struct gwin *w)
{
	send_geometry(GUI_CREATE, w);
	send_title(w);
	if (w->mapped) {
		link_send(GUI_MAP, w->id, NULL, 0);
		damage_all(w);
	}
}

void
windows_resend(void)
{
	windows_each(announce);
}

/* A newly mapped top-level: its attributes, geometry and title. */
static struct gwin *
add(xcb_window_t id)
{
	xcb_get_window_attributes_reply_t *a;
	xcb_get_geometry_reply_t *g;
	struct gwin *w = NULL;
	uint32_t mask = XCB_EVENT_MASK_PROPERTY_CHANGE;

	if (id == gx.own)
		return NULL;
	for (int i = 0; i < GUI_MAX_WINDOWS && w == NULL; i++)
		if (wins[i].id == 0)
			w = &wins[i];
	if (w == NULL) {
		log_warnx("more than %d windows; window 0x%x is not shown", GUI_MAX_WINDOWS, id);
		return NULL;
	}
	a = xcb_get_window_attributes_reply(gx.c, xcb_get_window_attributes(gx.c, id), NULL);
	g = xcb_get_geometry_reply(gx.c, xcb_get_geometry(gx.c, id), NULL);
	if (a == NULL || g == NULL || a->_class != XCB_WINDOW_CLASS_INPUT_OUTPUT) {
		free(a);
		free(g);
		return NULL; /* gone already, or nothing to see */
	}
	memset(w, 0, sizeof(*w));
	w->id = id;
	w->override_redirect = a->override_redirect;
	w->depth = g->depth;
	set_geometry(w, g->x, g->y, g->width, g->height);
	free(a);
	free(g);
	xcb_change_window_attributes(gx.c, id, XCB_CW_EVENT_MASK, &mask);
	damage_track(w);
	title_update(w);
	return w;
}

static void
mapped(xcb_window_t id)
{
	struct gwin *w = windows_find(id);

	if (w == NULL) {
		if ((w = add(id)) == NULL)
			return;
		w->mapped = true;
		announce(w);
		return;
	}
	w->mapped = true;
	link_send(GUI_MAP, w->id, NULL, 0);
	damage_all(w);
}

void
windows_scan(void)
{
	xcb_query_tree_reply_t *t = xcb_query_tree_reply(gx.c, xcb_query_tree(gx.c, gx.root), NULL);
	xcb_window_t *kids;
	int n;

	if (t == NULL)
		return;
	kids = xcb_query_tree_children(t);
	n = xcb_query_tree_children_length(t);
	for (int i = 0; i < n; i++) {
		xcb_get_window_attributes_reply_t *a = xcb_get_window_attributes_reply(gx.c,
		    xcb_get_window_attributes(gx.c, kids[i]), NULL);
		if (a && a->map_state == XCB_MAP_STATE_VIEWABLE && !windows_find(kids[i]))
			mapped(kids[i]);
		free(a);
	}
	free(t);
}

static void
configured(const xcb_configure_notify_event_t *e)
{
	struct gwin *w = windows_find(e->window);
	uint32_t ow, oh;

	if (w == NULL)
		return;
	ow = w->width;
	oh = w->height;
	w->override_redirect = e->override_redirect;
	set_geometry(w, e->x, e->y, e->width, e->height);
	send_geometry(GUI_CONFIGURE, w);
	if (w->width != ow || w->height != oh)
		damage_all(w);
}

bool
windows_event(xcb_generic_event_t *ev)
{
	struct gwin *w;

	switch (ev->response_type & 0x7f) {
	case XCB_MAP_NOTIFY: {
		xcb_map_notify_event_t *e = (xcb_map_notify_event_t *)ev;
		if (e->event == gx.root)
			mapped(e->window);
		return true;
	}
	case XCB_UNMAP_NOTIFY: {
		xcb_unmap_notify_event_t *e = (xcb_unmap_notify_event_t *)ev;
		if (e->event == gx.root && (w = windows_find(e->window)) != NULL && w->mapped) {
			w->mapped = false;
			w->dirty = false;
			link_send(GUI_UNMAP, w->id, NULL, 0);
		}
		return true;
	}
	case XCB_CONFIGURE_NOTIFY: {
		xcb_configure_notify_event_t *e = (xcb_configure_notify_event_t *)ev;
		if (e->event == gx.root)
			configured(e);
		return true;
	}
	case XCB_DESTROY_NOTIFY: {
		xcb_destroy_notify_event_t *e = (xcb_destroy_notify_event_t *)ev;
		if (e->event == gx.root && (w = windows_find(e->window)) != NULL) {
			link_send(GUI_DESTROY, w->id, NULL, 0);
			memset(w, 0, sizeof(*w));
		}
		return true;
	}
	case XCB_PROPERTY_NOTIFY: {
		xcb_property_notify_event_t *e = (xcb_property_notify_event_t *)ev;
		if ((e->atom == gx.net_wm_name || e->atom == XCB_ATOM_WM_NAME) &&
		    (w = windows_find(e->window)) != NULL && title_update(w))
			send_title(w);
		return e->window != gx.own;
	}
	case XCB_CREATE_NOTIFY:
	case XCB_REPARENT_NOTIFY:
	case XCB_GRAVITY_NOTIFY:
	case XCB_CIRCULATE_NOTIFY:
		return true;
	default:
		return false;
	}
}

/* The gateway asks for a geometry (a viewer resized, or its display is
 * smaller than ours): the window takes it, and its ConfigureNotify tells. */
void
windows_configure(xcb_window_t id, const struct gui_geometry *g)
{
	struct gwin *w = windows_find(id);
	uint32_t v[4];

	if (w == NULL)
		return;
	v[0] = (uint32_t)clamp_pos(g->x, gx.screen_w);
	v[1] = (uint32_t)clamp_pos(g->y, gx.screen_h);
	v[2] = clamp_size(g->width, gx.screen_w);
	v[3] = clamp_size(g->height, gx.screen_h);
	/* What the gateway keeps for the window until our CONFIGURE. */
	if (v[2] < w->width)
		w->width = v[2];
	if (v[3] < w->height)
		w->height = v[3];
	xcb_configure_window(gx.c, id, XCB_CONFIG_WINDOW_X | XCB_CONFIG_WINDOW_Y |
	    XCB_CONFIG_WINDOW_WIDTH | XCB_CONFIG_WINDOW_HEIGHT, v);
}
