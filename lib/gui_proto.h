/* The GUI protocol between a qube's GUI agent and the SPICE gateway in
 * sys-gui. Fixed-size little-endian structs with a version; only damage
 * pixels and clipboard data have a variable length. Everything a qube sends
 * is untrusted_* until gui_vm_parse() accepted it.
 *
 * A message is a gui_hdr, then exactly hdr.len bytes of body. Window ids are
 * chosen by the qube (any value but 0); the gateway only knows the ones
 * created and not yet destroyed. Pixels are 32-bit xRGB, little-endian
 * (bytes B, G, R, X), rows top-down, no padding. */
#ifndef BULKHEAD_GUI_PROTO_H
#define BULKHEAD_GUI_PROTO_H

#include <stdint.h>

#define GUI_VERSION 1
#define GUI_MAX_WIDTH 8192     /* the gateway may lower these (its display size) */
#define GUI_MAX_HEIGHT 8192
#define GUI_MAX_WINDOWS 500    /* per qube, as in Qubes */
#define GUI_TITLE_MAX 256      /* bytes of the title field, NUL included */
#define GUI_CLIP_DEFAULT 64000 /* clipboard bytes; configurable 256..GUI_CLIP_MAX */
#define GUI_CLIP_MIN 256
#define GUI_CLIP_MAX 256000

enum gui_msg_type {
	/* qube -> gateway */
	GUI_HELLO = 1,       /* gui_hello; first message, both ways */
	GUI_CREATE = 2,      /* gui_geometry: a new window, unmapped */
	GUI_DESTROY = 3,     /* no body */
	GUI_MAP = 4,         /* no body */
	GUI_UNMAP = 5,       /* no body */
	GUI_CONFIGURE = 6,   /* gui_geometry: moved, resized or restyled */
	GUI_TITLE = 7,       /* gui_title */
	GUI_DAMAGE = 8,      /* gui_damage + w*h*4 bytes of pixels */
	GUI_CLIP_OFFER = 9,  /* no body: the qube's clipboard has text */
	GUI_CLIP_DATA = 10,  /* both ways: text, len <= the clipboard limit */
	/* gateway -> qube */
	GUI_KEY = 32,        /* gui_key */
	GUI_MOTION = 33,     /* gui_pointer, window-relative */
	GUI_BUTTON = 34,     /* gui_pointer */
	GUI_FOCUS = 35,      /* gui_focus */
	GUI_CONFIGURE_REQ = 36, /* gui_geometry: please take this geometry */
	GUI_CLOSE_REQ = 37,  /* no body */
	GUI_CLIP_REQUEST = 38, /* no body: send your clipboard as CLIP_DATA */
};

struct gui_hdr {
	uint32_t type;
	uint32_t window; /* 0 for messages about no window */
	uint32_t len;    /* bytes of body after this header */
};

struct gui_hello {
	uint32_t version;
	uint32_t flags; /* none yet, 0 */
};

enum gui_geometry_flags { GUI_OVERRIDE_REDIRECT = 1 }; /* menus, tooltips: thin frame */

struct gui_geometry {
	int32_t x, y;         /* of the window's content, in the qube's screen */
	uint32_t width, height;
	uint32_t flags;
};

struct gui_title {
	char title[GUI_TITLE_MAX]; /* UTF-8; need not be terminated */
};

struct gui_damage {
	uint32_t x, y, width, height; /* inside the window; pixels follow */
};

struct gui_key {
	uint32_t scancode; /* PC set 1; 0xe0xx for extended keys */
	uint32_t down;
};

struct gui_pointer {
	int32_t x, y;
	uint32_t button; /* BUTTON: 1 left, 2 middle, 3 right, 4/5 wheel */
	uint32_t down;
};

struct gui_focus {
	uint32_t in;
};

_Static_assert(sizeof(struct gui_hdr) == 12, "gui_hdr layout");
_Static_assert(sizeof(struct gui_hello) == 8, "gui_hello layout");
_Static_assert(sizeof(struct gui_geometry) == 20, "gui_geometry layout");
_Static_assert(sizeof(struct gui_title) == GUI_TITLE_MAX, "gui_title layout");
_Static_assert(sizeof(struct gui_damage) == 16, "gui_damage layout");
_Static_assert(sizeof(struct gui_key) == 8, "gui_key layout");
_Static_assert(sizeof(struct gui_pointer) == 16, "gui_pointer layout");
_Static_assert(sizeof(struct gui_focus) == 4, "gui_focus layout");

#endif
