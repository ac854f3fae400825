/* libFuzzer harness for the GUI protocol parser (lib/gui_wire.c): qubes
 * send these to the gateway, so no input may crash it, and what it accepts
 * must be what the gateway relies on: known windows, damage inside them with
 * exactly its pixels, terminated and sanitised titles, bounded clipboard.
 * The same input goes through gui_vm_parse() and, as the gateway reads it,
 * through gui_vm_parse_head() with each damage's pixels skipped. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_check.h"
#include "gui_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct gui_peer peer;

static void
run(const uint8_t *data, size_t size, bool head)
{
	struct gui_limits lim;
	size_t off = 0;

	/* Small limits so that the fuzzer reaches them. */
	gui_limits_default(&lim);
	lim.max_width = 64;
	lim.max_height = 48;
	lim.max_windows = 8;
	lim.clip_max = 300;
	gui_peer_init(&peer, &lim);
	while (off < size) {
		struct gui_event ev;
		size_t used = 0;
		int r = head ? gui_vm_parse_head(&peer, data + off, size - off, &ev, &used)
			     : gui_vm_parse(&peer, data + off, size - off, &ev, &used);

		if (r != 1)
			break;
		CHECK(used >= sizeof(struct gui_hdr) && used <= size - off, "used %zu", used);
		CHECK(peer.nwindows <= lim.max_windows, "%u windows", peer.nwindows);
		if (ev.window != 0) {
			CHECK(ev.slot >= 0 && ev.slot < GUI_MAX_WINDOWS, "slot %d", ev.slot);
			CHECK(ev.type == GUI_DESTROY || peer.win[ev.slot].id == ev.window, "slot of %u",
			    ev.window);
		}
		if (ev.type == GUI_CREATE || ev.type == GUI_CONFIGURE)
			CHECK(ev.u.geom.width >= 1 && ev.u.geom.width <= 64 && ev.u.geom.height >= 1 &&
			    ev.u.geom.height <= 48, "geometry %ux%u", ev.u.geom.width, ev.u.geom.height);
		if (ev.type == GUI_DAMAGE) {
			const struct gui_damage *d = &ev.u.damage;
			CHECK((uint64_t)d->x + d->width <= peer.win[ev.slot].width &&
			    (uint64_t)d->y + d->height <= peer.win[ev.slot].height, "damage outside");
			CHECK(ev.data_len == (size_t)d->width * d->height * 4, "pixel length");
			if (head) {
				CHECK(ev.data == NULL, "pixels in a head");
				CHECK(used == sizeof(struct gui_hdr) + sizeof(*d), "head of %zu", used);
				/* The caller takes the pixels: exactly data_len bytes. */
				if (ev.data_len > size - off - used)
					break;
				off += ev.data_len;
			} else {
				CHECK(ev.data + ev.data_len <= data + off + used,
				    "pixels past the message");
			}
		}
		if (ev.type == GUI_TITLE) {
			size_t n = strnlen(ev.title, sizeof(ev.title));
			CHECK(n < sizeof(ev.title), "title not terminated");
			CHECK(gui_utf8_valid((const uint8_t *)ev.title, n), "title not UTF-8");
			for (size_t i = 0; i < n; i++)
				CHECK((unsigned char)ev.title[i] >= 0x20 && ev.title[i] != 0x7f,
				    "control character in title");
		}
		if (ev.type == GUI_CLIP_DATA)
			CHECK(ev.data_len <= lim.clip_max, "clipboard of %zu", ev.data_len);
		off += used;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run(data, size, false);
	run(data, size, true);
	return 0;
}
