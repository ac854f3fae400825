/* An X app for tests (xcb): a window with pattern.h's pixels, and a log of
 * the input it gets; or the clipboard's owner or reader.
 *
 *   x_pattern_app --log FILE [--seed N] [--geometry WxH+X+Y] [--title T]
 *                 [--own-clip TEXT] [--redraw-on-key] [--override-redirect]
 *   x_pattern_app --print-clip
 *
 * The window shows pattern_pixel(SEED, x, y) at its pixel (x, y). Log
 * lines (flushed each): "mapped", "key KEYCODE KEYSYM" (the keysym of the
 * unshifted key, hex), "button B X Y" (window-relative), "close" (the
 * window manager's WM_DELETE_WINDOW, then it exits), "clip served N".
 * --redraw-on-key draws the pattern of the next seed after each key press
 * (pixels that change after the window appeared) and titles the window
 * "TITLE SEED". --override-redirect
 * makes it a window like a menu's, which a window manager leaves alone.
 * --own-clip makes it the
 * CLIPBOARD's owner with TEXT. --print-clip prints
 * the CLIPBOARD's text as UTF8_STRING and exits 0, or 1 when there is none
 * (within 3 s). DISPLAY names the X server. */
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xcb/xcb.h>

#include "pattern.h"

static xcb_connection_t *c;
static xcb_screen_t *scr;
static FILE *log_file;

static xcb_atom_t
atom(const char *name)
{
	xcb_intern_atom_reply_t *r =
	    xcb_intern_atom_reply(c, xcb_intern_atom(c, 0, (uint16_t)strlen(name), name), NULL);
	xcb_atom_t a = r ? r->atom : XCB_ATOM_NONE;

	free(r);
	return a;
}

static void
say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(log_file, fmt, ap);
	va_end(ap);
	fputc('\n', log_file);
	fflush(log_file);
}

/* The pattern in bands of rows, each request well under the X limit. */
static void
draw(xcb_window_t win, xcb_gcontext_t gc, uint32_t seed, uint16_t w, uint16_t h)
{
	uint16_t band = (uint16_t)(65536 / ((uint32_t)w * 4) + 1);
	uint32_t *px = malloc((size_t)w * band * 4);

	for (uint16_t y0 = 0; y0 < h; y0 += band) {
		uint16_t rows = (uint16_t)(h - y0 < band ? h - y0 : band);
		for (uint16_t j = 0; j < rows; j++)
			for (uint16_t i = 0; i < w; i++)
				px[(size_t)j * w + i] = pattern_pixel(seed, i, (uint32_t)y0 + j);
		xcb_put_image(c, XCB_IMAGE_FORMAT_Z_PIXMAP, win, gc, w, rows, 0, (int16_t)y0, 0,
		    scr->root_depth, (uint32_t)w * rows * 4, (const uint8_t *)px);
	}
	free(px);
	xcb_flush(c);
}

static uint32_t
keysym_of(uint8_t keycode)
{
	xcb_get_keyboard_mapping_reply_t *m = xcb_get_keyboard_mapping_reply(c,
	    xcb_get_keyboard_mapping(c, keycode, 1), NULL);
	uint32_t sym = 0;

	if (m && xcb_get_keyboard_mapping_keysyms_length(m) > 0)
		sym = xcb_get_keyboard_mapping_keysyms(m)[0];
	free(m);
	return sym;
}

static int
print_clip(void)
{
	xcb_window_t w = xcb_generate_id(c);
	xcb_atom_t clip = atom("CLIPBOARD"), utf8 = atom("UTF8_STRING"), prop = atom("X_PATTERN_CLIP");
	xcb_generic_event_t *ev;

	xcb_create_window(c, 0, w, scr->root, 0, 0, 1, 1, 0, XCB_WINDOW_CLASS_INPUT_ONLY,
	    XCB_COPY_FROM_PARENT, 0, NULL);
	xcb_convert_selection(c, w, clip, utf8, prop, XCB_CURRENT_TIME);
	xcb_flush(c);
	for (;;) {
		struct pollfd pfd = { xcb_get_file_descriptor(c), POLLIN, 0 };
		while ((ev = xcb_poll_for_event(c)) != NULL) {
			if ((ev->response_type & 0x7f) == XCB_SELECTION_NOTIFY) {
				xcb_selection_notify_event_t *n = (xcb_selection_notify_event_t *)ev;
				xcb_get_property_reply_t *r;
				if (n->property == XCB_NONE)
					return 1;
				r = xcb_get_property_reply(c, xcb_get_property(c, 1, w, prop,
				    XCB_GET_PROPERTY_TYPE_ANY, 0, 1 << 20), NULL);
				if (r == NULL)
					return 1;
				fwrite(xcb_get_property_value(r), 1,
				    (size_t)xcb_get_property_value_length(r), stdout);
				return 0;
			}
			free(ev);
		}
		if (xcb_connection_has_error(c) || poll(&pfd, 1, 3000) <= 0)
			return 1;
	}
}

int
main(int argc, char **argv)
{
	const char *logpath = NULL, *title = "pattern", *own_clip = NULL;
	unsigned w = 200, h = 120;
	int x = 40, y = 60, print = 0, redraw = 0, override = 0;
	uint32_t seed = 1;
	xcb_window_t win;
	xcb_gcontext_t gc;
	xcb_atom_t wm_protocols, wm_delete, clip, utf8, targets;
	xcb_generic_event_t *ev;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--print-clip") || !strcmp(a, "--redraw-on-key") ||
		    !strcmp(a, "--override-redirect")) {
			print |= !strcmp(a, "--print-clip");
			redraw |= !strcmp(a, "--redraw-on-key");
			override |= !strcmp(a, "--override-redirect");
			continue;
		}
		if (v == NULL) {
			fprintf(stderr, "x_pattern_app: %s needs a value\n", a);
			return 2;
		}
		i++;
		if (!strcmp(a, "--log"))
			logpath = v;
		else if (!strcmp(a, "--seed"))
			seed = (uint32_t)atoi(v);
		else if (!strcmp(a, "--title"))
			title = v;
		else if (!strcmp(a, "--own-clip"))
			own_clip = v;
		else if (!strcmp(a, "--geometry") && sscanf(v, "%ux%u+%d+%d", &w, &h, &x, &y) == 4)
			;
		else {
			fprintf(stderr, "x_pattern_app: bad argument %s %s\n", a, v);
			return 2;
		}
	}
	c = xcb_connect(NULL, NULL);
	if (xcb_connection_has_error(c)) {
		fprintf(stderr, "x_pattern_app: cannot connect to the X server\n");
		return 1;
	}
	scr = xcb_setup_roots_iterator(xcb_get_setup(c)).data;
	if (print)
		return print_clip();
	if (logpath == NULL || (log_file = fopen(logpath, "a")) == NULL) {
		fprintf(stderr, "x_pattern_app: --log FILE is needed and must be writable\n");
		return 2;
	}

	win = xcb_generate_id(c);
	{
		/* In the order of the value mask's bits. */
		uint32_t v[] = { (uint32_t)override, XCB_EVENT_MASK_EXPOSURE | XCB_EVENT_MASK_KEY_PRESS |
		    XCB_EVENT_MASK_BUTTON_PRESS | XCB_EVENT_MASK_STRUCTURE_NOTIFY };
		xcb_create_window(c, scr->root_depth, win, scr->root, (int16_t)x, (int16_t)y,
		    (uint16_t)w, (uint16_t)h, 0, XCB_WINDOW_CLASS_INPUT_OUTPUT, scr->root_visual,
		    XCB_CW_OVERRIDE_REDIRECT | XCB_CW_EVENT_MASK, v);
	}
	gc = xcb_generate_id(c);
	xcb_create_gc(c, gc, win, 0, NULL);
	wm_protocols = atom("WM_PROTOCOLS");
	wm_delete = atom("WM_DELETE_WINDOW");
	clip = atom("CLIPBOARD");
	utf8 = atom("UTF8_STRING");
	targets = atom("TARGETS");
	xcb_change_property(c, XCB_PROP_MODE_REPLACE, win, XCB_ATOM_WM_NAME, XCB_ATOM_STRING, 8,
	    (uint32_t)strlen(title), title);
	xcb_change_property(c, XCB_PROP_MODE_REPLACE, win, atom("_NET_WM_NAME"), utf8, 8,
	    (uint32_t)strlen(title), title);
	xcb_change_property(c, XCB_PROP_MODE_REPLACE, win, wm_protocols, XCB_ATOM_ATOM, 32, 1,
	    &wm_delete);
	xcb_map_window(c, win);
	if (own_clip)
		xcb_set_selection_owner(c, win, clip, XCB_CURRENT_TIME);
	xcb_flush(c);

	while ((ev = xcb_wait_for_event(c)) != NULL) {
		switch (ev->response_type & 0x7f) {
		case XCB_EXPOSE:
			draw(win, gc, seed, (uint16_t)w, (uint16_t)h);
			break;
		case XCB_MAP_NOTIFY:
			say("mapped");
			break;
		case XCB_CONFIGURE_NOTIFY: {
			xcb_configure_notify_event_t *e = (xcb_configure_notify_event_t *)ev;
			w = e->width;
			h = e->height;
			break;
		}
		case XCB_KEY_PRESS: {
			xcb_key_press_event_t *e = (xcb_key_press_event_t *)ev;
			say("key %u 0x%x", e->detail, keysym_of(e->detail));
			if (redraw) {
				char t[300];
				int n = snprintf(t, sizeof(t), "%s %u", title, ++seed);
				draw(win, gc, seed, (uint16_t)w, (uint16_t)h);
				xcb_change_property(c, XCB_PROP_MODE_REPLACE, win, atom("_NET_WM_NAME"),
				    utf8, 8, (uint32_t)n, t);
				xcb_flush(c);
			}
			break;
		}
		case XCB_BUTTON_PRESS: {
			xcb_button_press_event_t *e = (xcb_button_press_event_t *)ev;
			say("button %u %d %d", e->detail, e->event_x, e->event_y);
			break;
		}
		case XCB_CLIENT_MESSAGE: {
			xcb_client_message_event_t *e = (xcb_client_message_event_t *)ev;
			if (e->type == wm_protocols && e->data.data32[0] == wm_delete) {
				say("close");
				return 0;
			}
			break;
		}
		case XCB_SELECTION_REQUEST: {
			xcb_selection_request_event_t *e = (xcb_selection_request_event_t *)ev;
			xcb_selection_notify_event_t n;
			memset(&n, 0, sizeof(n));
			n.response_type = XCB_SELECTION_NOTIFY;
			n.time = e->time;
			n.requestor = e->requestor;
			n.selection = e->selection;
			n.target = e->target;
			n.property = e->property;
			if (own_clip && e->target == targets) {
				xcb_atom_t t[] = { targets, utf8 };
				xcb_change_property(c, XCB_PROP_MODE_REPLACE, e->requestor, e->property,
				    XCB_ATOM_ATOM, 32, 2, t);
			} else if (own_clip && e->target == utf8) {
				xcb_change_property(c, XCB_PROP_MODE_REPLACE, e->requestor, e->property,
				    utf8, 8, (uint32_t)strlen(own_clip), own_clip);
				say("clip served %zu", strlen(own_clip));
			} else {
				n.property = XCB_NONE;
			}
			xcb_send_event(c, 0, e->requestor, XCB_EVENT_MASK_NO_EVENT, (const char *)&n);
			xcb_flush(c);
			break;
		}
		default:
			break;
		}
		free(ev);
	}
	return 0;
}
