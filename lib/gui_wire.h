/* Checking GUI messages from a qube (lib/gui_proto.h). gui_vm_parse() is the
 * one place where a qube's GUI message is checked; it keeps the table of the
 * qube's windows so that it can refuse unknown ids and damage outside a
 * window. It has a libFuzzer harness (tests/fuzz/fuzz_gui.c). */
#ifndef BULKHEAD_GUI_WIRE_H
#define BULKHEAD_GUI_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gui_proto.h"

struct gui_limits {
	uint32_t max_width, max_height; /* <= GUI_MAX_WIDTH, GUI_MAX_HEIGHT */
	uint32_t max_windows;           /* <= GUI_MAX_WINDOWS */
	uint32_t clip_max;              /* GUI_CLIP_MIN..GUI_CLIP_MAX */
};

struct gui_win_slot {
	uint32_t id; /* 0: free */
	uint32_t width, height;
};

/* What the parser knows of one qube's connection. */
struct gui_peer {
	struct gui_limits lim;
	bool hello_seen;
	uint32_t nwindows;
	struct gui_win_slot win[GUI_MAX_WINDOWS];
};

/* A checked message. For window messages, slot indexes peer->win (the
 * window's slot stays the same for its life; DESTROY frees it after this
 * event). Geometry is clamped to the limits; title is sanitised and
 * terminated; data points into the parsed buffer. */
struct gui_event {
	uint32_t type;
	uint32_t window;
	int slot;
	bool clamped; /* geometry was changed to fit the limits */
	union {
		struct gui_hello hello;
		struct gui_geometry geom;
		struct gui_damage damage;
	} u;
	char title[GUI_TITLE_MAX];
	const uint8_t *data; /* DAMAGE pixels, CLIP_DATA text */
	size_t data_len;
};

void gui_limits_default(struct gui_limits *lim);
/* Clamps a limits struct to what the protocol allows. */
void gui_limits_sanitise(struct gui_limits *lim);
void gui_peer_init(struct gui_peer *p, const struct gui_limits *lim);
/* Largest message the peer may send: the reader's buffer size. */
size_t gui_peer_max_msg(const struct gui_peer *p);
/* Largest message gui_vm_parse_head() needs whole. */
size_t gui_peer_max_head(const struct gui_peer *p);

/* Parses one message at the start of untrusted_buf. 1: *ev filled and *used
 * set; 0: incomplete (the header, if present, is acceptable); -1: malformed
 * or not allowed now: the connection must be closed. */
int gui_vm_parse(struct gui_peer *p, const void *untrusted_buf, size_t untrusted_len,
    struct gui_event *ev, size_t *used);
/* The same, except that a DAMAGE message is accepted (all its checks done)
 * as soon as its gui_damage is there: *used covers the header and the
 * rectangle, ev->data is NULL, and exactly ev->data_len bytes of pixels
 * follow, which the caller reads into place itself. */
int gui_vm_parse_head(struct gui_peer *p, const void *untrusted_buf, size_t untrusted_len,
    struct gui_event *ev, size_t *used);

/* True if s[0..len) is valid UTF-8 (no overlongs, surrogates or > U+10FFFF). */
bool gui_utf8_valid(const uint8_t *s, size_t len);
/* Copies a title field into dst (GUI_TITLE_MAX bytes): stops at the first
 * NUL, replaces control characters and invalid UTF-8 with '?'. */
void gui_title_sanitise(char *dst, const char *untrusted_src, size_t untrusted_len);

/* The header at the start of buf (sizeof(struct gui_hdr) bytes at least),
 * in host byte order; for both directions' parsers. */
void gui_hdr_read(const void *buf, uint32_t *type, uint32_t *window, uint32_t *len);

/* Builds a message into buf (which must hold sizeof(gui_hdr) + body_len);
 * returns the total length. For the gateway and the agent (trusted side). */
size_t gui_msg_build(void *buf, uint32_t type, uint32_t window, const void *body,
    uint32_t body_len);

#endif
