/*
 * bulkhead-gui-agent: the qube's side of the remote GUI.  Apps draw on the
 * qube's own X server (Xvfb); this program tracks its top-level windows and
 * streams them to the gateway in sys-gui (lib/gui_proto.h) on the stdin and
 * stdout of `bulkhead-rpc sys-gui bulkhead.Gui`, and plays back the input
 * and clipboard the gateway sends.  Each part lives in its own gui_*.c; this
 * header is the glue between them.  Unlike bulkhead-agent it is linked
 * dynamically (xcb) and lives in X-capable templates only.
 */
#ifndef BULKHEAD_GUI_AGENT_H
#define BULKHEAD_GUI_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <xcb/xcb.h>
#include <xcb/damage.h>

#include "gui_gw_wire.h"

#define GUI_AGENT_NAME "bulkhead-gui-agent"

/* The X side: one connection, its root and the atoms the parts share. */
struct gx {
	xcb_connection_t *c;
	xcb_window_t root;
	uint16_t screen_w, screen_h;
	uint8_t damage_event;   /* first event of the DAMAGE extension */
	uint8_t xfixes_event;   /* first event of XFIXES */
	xcb_window_t own;       /* our own (unmapped) window: selections */
	xcb_atom_t net_wm_name, utf8_string, wm_protocols, wm_delete_window;
	xcb_atom_t clipboard, targets, clip_prop, text, string;
};
extern struct gx gx;

/* A top-level window we told the gateway about. Its protocol id is its X id. */
struct gwin {
	xcb_window_t id;
	bool mapped, override_redirect;
	int32_t x, y;             /* in the X screen */
	uint32_t width, height;   /* what the gateway knows (clamped to the screen) */
	uint8_t depth;
	xcb_damage_damage_t damage;
	bool dirty;               /* a rectangle waits for its pixels */
	uint32_t dx0, dy0, dx1, dy1;
	char title[GUI_TITLE_MAX];
};

/* gui_xvfb.c: starts Xvfb on DISPLAY (e.g. ":0") unless a server answers
 * there; returns its pid (0: one was running already), -1 on failure. */
pid_t xvfb_start(const char *display, const char *size);

/* gui_x.c: the connection, extensions and atoms; -1 with a message. */
int gx_open(const char *display);
xcb_atom_t gx_atom(const char *name);

/* gui_link.c: the stream to the gateway. */
void link_init(const char *cmd, const char *socket_path, size_t clip_max);
bool link_up(void);
int link_fd(void);               /* -1 while down */
bool link_wants_write(void);
bool link_congested(void);       /* so much queued that damage should wait */
int link_connect(void);          /* starts the call; 0 or -1 (retry later) */
void link_io(short revents);     /* reads, dispatches, writes */
void link_down(const char *why);
int link_retry_ms(void);         /* time until the next attempt, -1 when up */
void link_send(uint32_t type, uint32_t window, const void *body, uint32_t len);
/* DAMAGE with room for the pixels, which the caller writes after it. */
uint8_t *link_reserve(uint32_t type, uint32_t window, uint32_t body_len);
size_t link_clip_max(void);

/* gui_windows.c: the table of top-level windows. */
void windows_scan(void);         /* all mapped top-levels, e.g. after a (re)connect */
void windows_resend(void);       /* CREATE/TITLE/MAP/damage of each, for a new stream */
struct gwin *windows_find(xcb_window_t id);
bool windows_event(xcb_generic_event_t *ev); /* true if it was one of ours */
void windows_configure(xcb_window_t id, const struct gui_geometry *g);
void windows_each(void (*fn)(struct gwin *));

/* gui_damage.c */
void damage_track(struct gwin *w);
void damage_all(struct gwin *w);
void damage_event(const xcb_generic_event_t *ev);
void damage_flush(void);         /* pixels of every dirty window, while the link has room */

/* gui_title.c: the window's title as UTF-8, cut to fit; true if it changed. */
bool title_update(struct gwin *w);

/* gui_utf8.c: the length of the longest prefix of s[0..len) of at most max
 * bytes that does not end inside a UTF-8 sequence. */
size_t utf8_cut(const char *s, size_t len, size_t max);

/* gui_input.c: what the gateway sends about windows. */
void input_handle(const struct gui_gw_event *ev);

/* gui_keymap.c: PC set-1 scancode (0xe0xx: extended) to an X keycode of
 * Xvfb's default (evdev) keymap; 0 for no key. */
uint8_t keymap_scancode_to_x(uint32_t scancode);

/* gui_clip.c: the CLIPBOARD selection <-> the gateway. */
void clip_init(void);
bool clip_event(xcb_generic_event_t *ev);
void clip_request(void);         /* the gateway wants our text */
void clip_data(const uint8_t *text, size_t len); /* the viewer's text for us */
void clip_reoffer(void);         /* a new stream: offer again if we have text */

#endif
