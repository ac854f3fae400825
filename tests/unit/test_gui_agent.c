/* Unit tests for the GUI agent's pure parts: the gateway's messages as it
 * checks them (lib/gui_gw_wire.c), scancodes to X keycodes and the UTF-8
 * cut (agent/gui_keymap.c, agent/gui_utf8.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <endian.h>
#include <string.h>

#include "gui_agent.h"
#include "gui_gw_wire.h"
#include "gui_wire.h"

static uint8_t buf[sizeof(struct gui_hdr) + GUI_CLIP_MAX + 16];

static int
parse(size_t len, size_t clip_max, struct gui_gw_event *ev)
{
	size_t used = 0;
	int r = gui_gw_parse(buf, len, clip_max, ev, &used);

	if (r == 1)
		assert_int_equal(used, len);
	return r;
}

static size_t
msg(uint32_t type, uint32_t win, const void *body, uint32_t len)
{
	return gui_msg_build(buf, type, win, body, len);
}

static void
test_fixed_bodies(void **state)
{
	struct gui_gw_event ev;
	struct gui_key k = { htole32(0xe048), htole32(7) };
	struct gui_pointer p = { (int32_t)htole32((uint32_t)-5), htole32(9), htole32(3), htole32(1) };
	struct gui_hello h = { htole32(GUI_VERSION), 0 };
	size_t n;

	assert_int_equal(parse(msg(GUI_HELLO, 0, &h, sizeof(h)), 300, &ev), 1);
	h.version = htole32(GUI_VERSION + 1);
	assert_int_equal(parse(msg(GUI_HELLO, 0, &h, sizeof(h)), 300, &ev), -1);

	assert_int_equal(parse(msg(GUI_KEY, 5, &k, sizeof(k)), 300, &ev), 1);
	assert_int_equal(ev.window, 5);
	assert_int_equal(ev.u.key.scancode, 0xe048);
	assert_int_equal(ev.u.key.down, 1); /* any non-zero is down */
	/* Input names a window; a wrong length or none is malformed. */
	assert_int_equal(parse(msg(GUI_KEY, 0, &k, sizeof(k)), 300, &ev), -1);
	assert_int_equal(parse(msg(GUI_KEY, 5, &k, sizeof(k) - 1), 300, &ev), -1);

	assert_int_equal(parse(msg(GUI_BUTTON, 5, &p, sizeof(p)), 300, &ev), 1);
	assert_int_equal(ev.u.pointer.x, -5);
	assert_int_equal(ev.u.pointer.button, 3);
	p.button = htole32(6);
	assert_int_equal(parse(msg(GUI_BUTTON, 5, &p, sizeof(p)), 300, &ev), -1);
	p.button = 0;
	assert_int_equal(parse(msg(GUI_MOTION, 5, &p, sizeof(p)), 300, &ev), 1);

	/* Incomplete: 0 while the header is acceptable. */
	n = msg(GUI_KEY, 5, &k, sizeof(k));
	assert_int_equal(parse(n - 1, 300, &ev), 0);
	assert_int_equal(parse(5, 300, &ev), 0);
	/* Qube-only and unknown types. */
	assert_int_equal(parse(msg(GUI_DAMAGE, 5, NULL, 0), 300, &ev), -1);
	assert_int_equal(parse(msg(99, 0, NULL, 0), 300, &ev), -1);
	assert_int_equal(parse(msg(GUI_CLIP_REQUEST, 3, NULL, 0), 300, &ev), -1);
	assert_int_equal(parse(msg(GUI_CLOSE_REQ, 3, NULL, 0), 300, &ev), 1);
}

static void
test_configure_req(void **state)
{
	struct gui_gw_event ev;
	struct gui_geometry g = { (int32_t)htole32(10), (int32_t)htole32(20), htole32(0),
		htole32(100000), htole32(0xff) };

	assert_int_equal(parse(msg(GUI_CONFIGURE_REQ, 9, &g, sizeof(g)), 300, &ev), 1);
	assert_int_equal(ev.u.geom.width, 1);
	assert_int_equal(ev.u.geom.height, GUI_MAX_HEIGHT);
	assert_int_equal(ev.u.geom.flags, GUI_OVERRIDE_REDIRECT);
	g.x = (int32_t)htole32((uint32_t)-100000);
	assert_int_equal(parse(msg(GUI_CONFIGURE_REQ, 9, &g, sizeof(g)), 300, &ev), -1);
}

static void
test_clip_bounded(void **state)
{
	struct gui_gw_event ev;
	static uint8_t text[GUI_CLIP_MAX + 1];

	memset(text, 'x', sizeof(text));
	assert_int_equal(parse(msg(GUI_CLIP_DATA, 0, text, 300), 300, &ev), 1);
	assert_int_equal(ev.data_len, 300);
	assert_ptr_equal(ev.data, buf + sizeof(struct gui_hdr));
	/* Over the limit: refused from the header alone, before the body came. */
	msg(GUI_CLIP_DATA, 0, text, 301);
	assert_int_equal(parse(sizeof(struct gui_hdr), 300, &ev), -1);
	/* The caller's limit never goes past the protocol's. */
	msg(GUI_CLIP_DATA, 0, text, GUI_CLIP_MAX + 1);
	assert_int_equal(parse(sizeof(struct gui_hdr), (size_t)-1, &ev), -1);
	assert_int_equal(parse(msg(GUI_CLIP_DATA, 4, text, 3), 300, &ev), -1);
}

static void
test_keymap(void **state)
{
	assert_int_equal(keymap_scancode_to_x(0x01), 9);    /* Escape */
	assert_int_equal(keymap_scancode_to_x(0x1e), 38);   /* a */
	assert_int_equal(keymap_scancode_to_x(0x58), 96);   /* F12 */
	assert_int_equal(keymap_scancode_to_x(0xe048), 111); /* Up */
	assert_int_equal(keymap_scancode_to_x(0xe01d), 105); /* right Ctrl */
	assert_int_equal(keymap_scancode_to_x(0xe05d), 135); /* Menu */
	assert_int_equal(keymap_scancode_to_x(0), 0);
	assert_int_equal(keymap_scancode_to_x(0x59), 0);
	assert_int_equal(keymap_scancode_to_x(0xe0ff), 0);
	assert_int_equal(keymap_scancode_to_x(0xe11d), 0);
	assert_int_equal(keymap_scancode_to_x(0x1001e), 0);
}

static void
test_utf8_cut(void **state)
{
	assert_int_equal(utf8_cut("abc", 3, 5), 3);
	assert_int_equal(utf8_cut("abcdef", 6, 4), 4);
	/* "aé€": a (1) é (2) € (3) */
	assert_int_equal(utf8_cut("a\xc3\xa9\xe2\x82\xac", 6, 2), 1);
	assert_int_equal(utf8_cut("a\xc3\xa9\xe2\x82\xac", 6, 3), 3);
	assert_int_equal(utf8_cut("a\xc3\xa9\xe2\x82\xac", 6, 5), 3);
	assert_int_equal(utf8_cut("\xe2\x82\xac", 3, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed_bodies),
		cmocka_unit_test(test_configure_req),
		cmocka_unit_test(test_clip_bounded),
		cmocka_unit_test(test_keymap),
		cmocka_unit_test(test_utf8_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
