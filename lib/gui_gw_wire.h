/* Checking GUI messages from the gateway (lib/gui_proto.h), in a qube's GUI
 * agent. The gateway is another domain: its messages are as untrusted as a
 * qube's are to it. gui_gw_parse() is the one place they are checked; it
 * has a libFuzzer harness (tests/fuzz/fuzz_gui_gw.c). */
#ifndef BULKHEAD_GUI_GW_WIRE_H
#define BULKHEAD_GUI_GW_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "gui_proto.h"

/* A checked message: fixed bodies are in host byte order, down/in are 0 or
 * 1, a geometry has sizes of 1..GUI_MAX_WIDTH/HEIGHT, clipboard text points
 * into the parsed buffer and is at most the caller's clip_max bytes. */
struct gui_gw_event {
	uint32_t type;
	uint32_t window;
	union {
		struct gui_hello hello;
		struct gui_key key;
		struct gui_pointer pointer;
		struct gui_focus focus;
		struct gui_geometry geom;
	} u;
	const uint8_t *data;
	size_t data_len;
};

/* Parses one message at the start of untrusted_buf. 1: *ev filled and *used
 * set; 0: incomplete (the header, if present, is acceptable); -1: malformed:
 * the stream must be closed. clip_max bounds CLIP_DATA (<= GUI_CLIP_MAX). */
int gui_gw_parse(const void *untrusted_buf, size_t untrusted_len, size_t clip_max,
    struct gui_gw_event *ev, size_t *used);

#endif
