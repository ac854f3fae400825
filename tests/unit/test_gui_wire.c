/* Unit tests for lib/gui_wire.h: the checks on a qube's GUI messages. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "gui_wire.h"

static uint8_t buf[sizeof(struct gui_hdr) + 16 + 64 * 48 * 4 + 16];

static size_t
msg(uint32_t type, uint32_t win, const void *body, uint32_t len)
{
	return gui_msg_build(buf, type, win, body, len);
}

static int
parse(struct gui_peer *p, size_t len, struct gui_event *ev)
{
	size_t used = 0;
	int r = gui_vm_parse(p, buf, len, ev, &used);

	if (r == 1)
		assert_int_equal(used, len);
	return r;
}

/* A peer with small limits that has said hello. */
static void
peer(struct gui_peer *p)
{
	struct gui_limits lim;
	struct gui_hello h = { htole32(GUI_VERSION), 0 };
	struct gui_event ev;

	gui_limits_default(&lim);
	lim.max_width = 64;
	lim.max_height = 48;
	lim.max_windows = 3;
	gui_peer_init(p, &lim);
	assert_int_equal(parse(p, msg(GUI_HELLO, 0, &h, sizeof(h)), &ev), 1);
}

static int
create(struct gui_peer *p, uint32_t id, int32_t x, int32_t y, uint32_t w, uint32_t h,
    struct gui_event *ev)
{
	struct gui_geometry g = { x, y, w, h, 0 };

	return parse(p, msg(GUI_CREATE, id, &g, sizeof(g)), ev);
}

static void
test_hello_first(void **state)
{
	struct gui_peer p;
	struct gui_limits lim;
	struct gui_event ev;
	struct gui_geometry g = { 0, 0, 10, 10, 0 };
	struct gui_hello bad = { htole32(GUI_VERSION + 1), 0 };

	gui_limits_default(&lim);
	gui_peer_init(&p, &lim);
	assert_int_equal(parse(&p, msg(GUI_CREATE, 1, &g, sizeof(g)), &ev), -1);
	gui_peer_init(&p, &lim);
	assert_int_equal(parse(&p, msg(GUI_HELLO, 0, &bad, sizeof(bad)), &ev), -1);
	peer(&p);
	assert_int_equal(parse(&p, msg(GUI_HELLO, 0, &bad, sizeof(bad)), &ev), -1);
}

static void
test_incomplete_and_bad_header(void **state)
{
	struct gui_peer p;
	struct gui_event ev;
	size_t len;

	peer(&p);
	len = msg(GUI_CLIP_DATA, 0, "abcdef", 6);
	assert_int_equal(parse(&p, 5, &ev), 0);
	assert_int_equal(parse(&p, len - 1, &ev), 0);
	assert_int_equal(parse(&p, len, &ev), 1);
	/* A header that cannot be right is refused before its body arrives. */
	msg(GUI_DAMAGE, 1, NULL, 0);
	((struct gui_hdr *)buf)->len = htole32(0x7fffffff);
	assert_int_equal(parse(&p, sizeof(struct gui_hdr), &ev), -1);
	msg(GUI_KEY, 0, NULL, 0); /* gateway -> qube only */
	assert_int_equal(parse(&p, sizeof(struct gui_hdr), &ev), -1);
	msg(99, 0, NULL, 0);
	assert_int_equal(parse(&p, sizeof(struct gui_hdr), &ev), -1);
}

static void
test_window_ids(void **state)
{
	struct gui_peer p;
	struct gui_event ev;

	peer(&p);
	assert_int_equal(create(&p, 0, 0, 0, 10, 10, &ev), -1);
	peer(&p);
	assert_int_equal(create(&p, 5, 0, 0, 10, 10, &ev), 1);
	assert_int_equal(ev.slot, 0);
	assert_int_equal(create(&p, 5, 0, 0, 10, 10, &ev), -1); /* twice */
	peer(&p);
	assert_int_equal(parse(&p, msg(GUI_MAP, 9, NULL, 0), &ev), -1); /* unknown */
	peer(&p);
	assert_int_equal(create(&p, 1, 0, 0, 10, 10, &ev), 1);
	assert_int_equal(create(&p, 2, 0, 0, 10, 10, &ev), 1);
	assert_int_equal(create(&p, 3, 0, 0, 10, 10, &ev), 1);
	assert_int_equal(create(&p, 4, 0, 0, 10, 10, &ev), -1); /* over max_windows */
	peer(&p);
	assert_int_equal(create(&p, 1, 0, 0, 10, 10, &ev), 1);
	assert_int_equal(parse(&p, msg(GUI_DESTROY, 1, NULL, 0), &ev), 1);
	assert_int_equal(parse(&p, msg(GUI_MAP, 1, NULL, 0), &ev), -1); /* gone */
	assert_int_equal(p.nwindows, 0);
}

static void
test_geometry_clamped(void **state)
{
	struct gui_peer p;
	struct gui_event ev;

	peer(&p);
	assert_int_equal(create(&p, 1, -100000, 7, 100000, 0, &ev), 1);
	assert_true(ev.clamped);
	assert_int_equal(ev.u.geom.x, -64);
	assert_int_equal(ev.u.geom.y, 7);
	assert_int_equal(ev.u.geom.width, 64);
	assert_int_equal(ev.u.geom.height, 1);
	assert_int_equal(create(&p, 2, 1, 2, 30, 20, &ev), 1);
	assert_false(ev.clamped);
}

static size_t
damage(uint32_t win, uint32_t x, uint32_t y, uint32_t w, uint32_t h, uint32_t npix)
{
	uint8_t body[16 + 64 * 48 * 4];
	struct gui_damage d = { x, y, w, h };

	memcpy(body, &d, sizeof(d));
	memset(body + 16, 0xab, (size_t)npix * 4);
	return msg(GUI_DAMAGE, win, body, 16 + npix * 4);
}

static void
test_damage(void **state)
{
	struct gui_peer p;
	struct gui_event ev;

	peer(&p);
	assert_int_equal(create(&p, 1, 0, 0, 20, 10, &ev), 1);
	assert_int_equal(parse(&p, damage(1, 0, 0, 20, 10, 200), &ev), 1);
	assert_int_equal(ev.data_len, 800);
	assert_int_equal(parse(&p, damage(1, 19, 9, 1, 1, 1), &ev), 1);
	assert_int_equal(parse(&p, damage(1, 19, 9, 2, 1, 2), &ev), -1); /* outside */
	peer(&p);
	create(&p, 1, 0, 0, 20, 10, &ev);
	assert_int_equal(parse(&p, damage(1, 0xffffffffu, 0, 2, 1, 2), &ev), -1); /* wraps */
	peer(&p);
	create(&p, 1, 0, 0, 20, 10, &ev);
	assert_int_equal(parse(&p, damage(1, 0, 0, 4, 4, 15), &ev), -1); /* short */
	peer(&p);
	create(&p, 1, 0, 0, 20, 10, &ev);
	assert_int_equal(parse(&p, damage(1, 0, 0, 4, 4, 17), &ev), -1); /* long */
	peer(&p);
	create(&p, 1, 0, 0, 20, 10, &ev);
	assert_int_equal(parse(&p, damage(1, 0, 0, 0, 4, 0), &ev), -1); /* empty */
	/* After a resize, damage is checked against the new size. */
	peer(&p);
	create(&p, 1, 0, 0, 20, 10, &ev);
	struct gui_geometry g = { 0, 0, 5, 5, 0 };
	assert_int_equal(parse(&p, msg(GUI_CONFIGURE, 1, &g, sizeof(g)), &ev), 1);
	assert_int_equal(parse(&p, damage(1, 0, 0, 6, 1, 6), &ev), -1);
}

/* gui_vm_parse_head() takes a damage once its rectangle is there, with the
 * same checks, and every other message only whole. */
static void
test_damage_head(void **state)
{
	struct gui_peer p;
	struct gui_event ev;
	struct gui_title t;
	size_t used = 0, len;

	peer(&p);
	assert_int_equal(create(&p, 1, 0, 0, 20, 10, &ev), 1);
	len = damage(1, 0, 0, 20, 10, 200);
	assert_int_equal(gui_vm_parse_head(&p, buf, sizeof(struct gui_hdr), &ev, &used), 0);
	assert_int_equal(gui_vm_parse_head(&p, buf, sizeof(struct gui_hdr) + 15, &ev, &used), 0);
	assert_int_equal(gui_vm_parse_head(&p, buf, sizeof(struct gui_hdr) + 16, &ev, &used), 1);
	assert_int_equal(used, sizeof(struct gui_hdr) + 16);
	assert_null(ev.data);
	assert_int_equal(ev.data_len, 800);
	assert_int_equal(ev.u.damage.width, 20);
	assert_int_equal(gui_vm_parse_head(&p, buf, len, &ev, &used), 1);
	assert_int_equal(used, sizeof(struct gui_hdr) + 16);
	/* Wrong lengths and rectangles outside are refused from the head alone. */
	damage(1, 0, 0, 4, 4, 15);
	assert_int_equal(gui_vm_parse_head(&p, buf, sizeof(struct gui_hdr) + 16, &ev, &used), -1);
	peer(&p);
	create(&p, 1, 0, 0, 20, 10, &ev);
	damage(1, 0, 0, 4, 4, 17);
	assert_int_equal(gui_vm_parse_head(&p, buf, sizeof(struct gui_hdr) + 16, &ev, &used), -1);
	peer(&p);
	create(&p, 1, 0, 0, 20, 10, &ev);
	damage(1, 19, 9, 2, 1, 2);
	assert_int_equal(gui_vm_parse_head(&p, buf, sizeof(struct gui_hdr) + 16, &ev, &used), -1);
	peer(&p);
	create(&p, 1, 0, 0, 20, 10, &ev);
	damage(2, 0, 0, 1, 1, 1);
	assert_int_equal(gui_vm_parse_head(&p, buf, sizeof(struct gui_hdr) + 16, &ev, &used), -1);
	/* A title is taken only whole. */
	peer(&p);
	create(&p, 1, 0, 0, 20, 10, &ev);
	memset(&t, 'a', sizeof(t));
	len = msg(GUI_TITLE, 1, &t, sizeof(t));
	assert_int_equal(gui_vm_parse_head(&p, buf, len - 1, &ev, &used), 0);
	assert_int_equal(gui_vm_parse_head(&p, buf, len, &ev, &used), 1);
	assert_int_equal(used, len);
	assert_true(gui_peer_max_head(&p) >= len);
}

static void
test_title(void **state)
{
	struct gui_peer p;
	struct gui_event ev;
	struct gui_title t;

	peer(&p);
	create(&p, 1, 0, 0, 10, 10, &ev);
	memset(&t, 0, sizeof(t));
	static const char raw[] = "a\x1b[2J\tb\x7f\xc2\x85 caf\xc3\xa9 \xc3( \xe2\x82";
	memcpy(t.title, raw, sizeof(raw) - 1);
	assert_int_equal(parse(&p, msg(GUI_TITLE, 1, &t, sizeof(t)), &ev), 1);
	assert_string_equal(ev.title, "a?[2J?b?? caf\xc3\xa9 ?( ??");
	/* No terminator: cut to the field, terminated. */
	memset(&t, 'x', sizeof(t));
	assert_int_equal(parse(&p, msg(GUI_TITLE, 1, &t, sizeof(t)), &ev), 1);
	assert_int_equal(strlen(ev.title), GUI_TITLE_MAX - 1);
	/* A title message of another length breaks the protocol. */
	uint8_t big[1000];
	memset(big, 'A', sizeof(big));
	assert_int_equal(parse(&p, msg(GUI_TITLE, 1, big, sizeof(big)), &ev), -1);
}

static void
test_clipboard_bounded(void **state)
{
	struct gui_peer p;
	struct gui_limits lim;
	struct gui_event ev;
	static uint8_t data[GUI_CLIP_MAX + 1];
	static uint8_t big[sizeof(struct gui_hdr) + GUI_CLIP_MAX + 1];
	struct gui_hello h = { htole32(GUI_VERSION), 0 };
	size_t used;

	gui_limits_default(&lim);
	assert_int_equal(lim.clip_max, 64000);
	gui_peer_init(&p, &lim);
	assert_int_equal(gui_vm_parse(&p, big, gui_msg_build(big, GUI_HELLO, 0, &h, sizeof(h)), &ev, &used), 1);
	assert_int_equal(gui_vm_parse(&p, big, gui_msg_build(big, GUI_CLIP_DATA, 0, data, 64000), &ev, &used), 1);
	assert_int_equal(gui_vm_parse(&p, big, gui_msg_build(big, GUI_CLIP_DATA, 0, data, 64001), &ev, &used), -1);
	/* Configurable within 256..256000. */
	lim.clip_max = 10;
	gui_limits_sanitise(&lim);
	assert_int_equal(lim.clip_max, GUI_CLIP_MIN);
	lim.clip_max = 1u << 30;
	gui_limits_sanitise(&lim);
	assert_int_equal(lim.clip_max, GUI_CLIP_MAX);
}

static void
test_utf8(void **state)
{
	assert_true(gui_utf8_valid((const uint8_t *)"plain", 5));
	assert_true(gui_utf8_valid((const uint8_t *)"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9));
	assert_false(gui_utf8_valid((const uint8_t *)"\xc0\xaf", 2));         /* overlong */
	assert_false(gui_utf8_valid((const uint8_t *)"\xed\xa0\x80", 3));     /* surrogate */
	assert_false(gui_utf8_valid((const uint8_t *)"\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
	assert_false(gui_utf8_valid((const uint8_t *)"\xe2\x82", 2));         /* cut */
	assert_false(gui_utf8_valid((const uint8_t *)"\xff", 1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello_first),
		cmocka_unit_test(test_incomplete_and_bad_header),
		cmocka_unit_test(test_window_ids),
		cmocka_unit_test(test_geometry_clamped),
		cmocka_unit_test(test_damage),
		cmocka_unit_test(test_damage_head),
		cmocka_unit_test(test_title),
		cmocka_unit_test(test_clipboard_bounded),
		cmocka_unit_test(test_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
