#include "gui_wire.h"

#include <endian.h>
#include <string.h>

void
gui_limits_default(struct gui_limits *lim)
{
	lim->max_width = GUI_MAX_WIDTH;
	lim->max_height = GUI_MAX_HEIGHT;
	lim->max_windows = GUI_MAX_WINDOWS;
	lim->clip_max = GUI_CLIP_DEFAULT;
}

static uint32_t
clamp_u32(uint32_t v, uint32_t lo, uint32_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

void
gui_limits_sanitise(struct gui_limits *lim)
{
	lim->max_width = clamp_u32(lim->max_width, 1, GUI_MAX_WIDTH);
	lim->max_height = clamp_u32(lim->max_height, 1, GUI_MAX_HEIGHT);
	lim->max_windows = clamp_u32(lim->max_windows, 1, GUI_MAX_WINDOWS);
	lim->clip_max = clamp_u32(lim->clip_max, GUI_CLIP_MIN, GUI_CLIP_MAX);
}

void
gui_peer_init(struct gui_peer *p, const struct gui_limits *lim)
{
	memset(p, 0, sizeof(*p));
	p->lim = *lim;
	gui_limits_sanitise(&p->lim);
}

static size_t
damage_max(const struct gui_peer *p)
{
	return sizeof(struct gui_damage) + (size_t)p->lim.max_width * p->lim.max_height * 4;
}

size_t
gui_peer_max_msg(const struct gui_peer *p)
{
	size_t m = damage_max(p);

	if (p->lim.clip_max > m)
		m = p->lim.clip_max;
	return sizeof(struct gui_hdr) + m;
}

size_t
gui_peer_max_head(const struct gui_peer *p)
{
	size_t m = sizeof(struct gui_title);

	if (p->lim.clip_max > m)
		m = p->lim.clip_max;
	return sizeof(struct gui_hdr) + m;
}

bool
gui_utf8_valid(const uint8_t *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t c = s[i];
		size_t n;
		uint32_t cp, min;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (len - i - 1 < n)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0; sets *cp. */
static size_t
utf8_seq(const uint8_t *s, size_t len, uint32_t *cp)
{
	size_t n = 1;

	if (s[0] >= 0xc0)
		n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
	if (n > len || !gui_utf8_valid(s, n))
		return 0;
	if (n == 1)
		*cp = s[0];
	else if (n == 2)
		*cp = ((s[0] & 0x1fu) << 6) | (s[1] & 0x3fu);
	else if (n == 3)
		*cp = ((s[0] & 0x0fu) << 12) | ((s[1] & 0x3fu) << 6) | (s[2] & 0x3fu);
	else
		*cp = ((s[0] & 0x07u) << 18) | ((s[1] & 0x3fu) << 12) | ((s[2] & 0x3fu) << 6) |
		    (s[3] & 0x3fu);
	return n;
}

void
gui_title_sanitise(char *dst, const char *untrusted_src, size_t untrusted_len)
{
	const uint8_t *s = (const uint8_t *)untrusted_src;
	size_t i = 0, o = 0;

	while (i < untrusted_len && s[i] != '\0' && o < GUI_TITLE_MAX - 1) {
		uint32_t cp = 0;
		size_t n = utf8_seq(s + i, untrusted_len - i, &cp);

		/* Control characters (C0, DEL, C1) and broken sequences become '?'. */
		if (n == 0 || cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
			dst[o++] = '?';
			i += n ? n : 1;
			continue;
		}
		if (o + n > GUI_TITLE_MAX - 1)
			break;
		memcpy(dst + o, s + i, n);
		o += n;
		i += n;
	}
	dst[o] = '\0';
}

static int
find_slot(const struct gui_peer *p, uint32_t id)
{
	for (int i = 0; i < GUI_MAX_WINDOWS; i++)
		if (p->win[i].id == id)
			return i;
	return -1;
}

static int32_t
clamp_i32(int32_t v, int32_t lo, int32_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Reads and clamps a geometry body into ev->u.geom. */
static void
take_geometry(const struct gui_peer *p, const uint8_t *untrusted_body, struct gui_event *ev)
{
	struct gui_geometry g;
	struct gui_geometry *out = &ev->u.geom;
	int32_t x, y;

	memcpy(&g, untrusted_body, sizeof(g));
	x = (int32_t)le32toh((uint32_t)g.x);
	y = (int32_t)le32toh((uint32_t)g.y);
	out->x = clamp_i32(x, -(int32_t)p->lim.max_width, (int32_t)p->lim.max_width);
	out->y = clamp_i32(y, -(int32_t)p->lim.max_height, (int32_t)p->lim.max_height);
	out->width = clamp_u32(le32toh(g.width), 1, p->lim.max_width);
	out->height = clamp_u32(le32toh(g.height), 1, p->lim.max_height);
	out->flags = le32toh(g.flags) & GUI_OVERRIDE_REDIRECT;
	ev->clamped = out->x != x || out->y != y || out->width != le32toh(g.width) ||
	    out->height != le32toh(g.height);
}

/* Checks the header alone: the type is one a qube may send now, and the
 * length is right (exact for fixed bodies, bounded otherwise). */
static bool
header_ok(const struct gui_peer *p, uint32_t type, uint32_t window, uint32_t len)
{
	if (!p->hello_seen)
		return type == GUI_HELLO && len == sizeof(struct gui_hello) && window == 0;
	switch (type) {
	case GUI_CREATE:
	case GUI_CONFIGURE:
		return len == sizeof(struct gui_geometry) && window != 0;
	case GUI_DESTROY:
	case GUI_MAP:
	case GUI_UNMAP:
		return len == 0 && window != 0;
	case GUI_TITLE:
		return len == sizeof(struct gui_title) && window != 0;
	case GUI_DAMAGE:
		return len >= sizeof(struct gui_damage) && len <= damage_max(p) && window != 0;
	case GUI_CLIP_OFFER:
		return len == 0 && window == 0;
	case GUI_CLIP_DATA:
		return len <= p->lim.clip_max && window == 0;
	default: /* HELLO twice, gateway-only or unknown types */
		return false;
	}
}

/* head: a DAMAGE message is taken once its rectangle is there. */
static int
parse(struct gui_peer *p, const void *untrusted_buf, size_t untrusted_len, struct gui_event *ev,
    size_t *used, bool head)
{
	const uint8_t *b = untrusted_buf;
	const uint8_t *body;
	uint32_t type, window, len, need;
	int slot = -1;

	if (untrusted_len < sizeof(struct gui_hdr))
		return 0;
	gui_hdr_read(b, &type, &window, &len);
	if (!header_ok(p, type, window, len))
		return -1;
	need = head && type == GUI_DAMAGE ? (uint32_t)sizeof(struct gui_damage) : len;
	if (untrusted_len - sizeof(struct gui_hdr) < need)
		return 0;
	body = b + sizeof(struct gui_hdr);

	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->window = window;
	if (window != 0) {
		slot = find_slot(p, window);
		/* CREATE needs a new id and room; every other window message a known id. */
		if (type == GUI_CREATE ? slot >= 0 || p->nwindows >= p->lim.max_windows : slot < 0)
			return -1;
	}

	switch (type) {
	case GUI_HELLO: {
		struct gui_hello hello;

		memcpy(&hello, body, sizeof(hello));
		if (le32toh(hello.version) != GUI_VERSION)
			return -1;
		ev->u.hello.version = GUI_VERSION;
		p->hello_seen = true;
		break;
	}
	case GUI_CREATE:
		slot = find_slot(p, 0);
		if (slot < 0)
			return -1;
		p->win[slot].id = window;
		p->nwindows++;
		take_geometry(p, body, ev);
		p->win[slot].width = ev->u.geom.width;
		p->win[slot].height = ev->u.geom.height;
		break;
	case GUI_CONFIGURE:
		take_geometry(p, body, ev);
		p->win[slot].width = ev->u.geom.width;
		p->win[slot].height = ev->u.geom.height;
		break;
	case GUI_DESTROY:
		p->win[slot].id = 0;
		p->nwindows--;
		break;
	case GUI_TITLE:
		gui_title_sanitise(ev->title, (const char *)body, sizeof(struct gui_title));
		break;
	case GUI_DAMAGE: {
		struct gui_damage d;
		uint64_t x, y, w, hgt;

		memcpy(&d, body, sizeof(d));
		x = le32toh(d.x), y = le32toh(d.y), w = le32toh(d.width), hgt = le32toh(d.height);
		if (w == 0 || hgt == 0 || x + w > p->win[slot].width ||
		    y + hgt > p->win[slot].height)
			return -1;
		/* The pixel data is exactly what the rectangle declares. */
		if ((uint64_t)len != sizeof(d) + w * hgt * 4)
			return -1;
		ev->u.damage.x = (uint32_t)x;
		ev->u.damage.y = (uint32_t)y;
		ev->u.damage.width = (uint32_t)w;
		ev->u.damage.height = (uint32_t)hgt;
		ev->data = head ? NULL : body + sizeof(d);
		ev->data_len = (size_t)(w * hgt * 4);
		break;
	}
	case GUI_CLIP_DATA:
		ev->data = body;
		ev->data_len = len;
		break;
	default: /* MAP, UNMAP, CLIP_OFFER: nothing more to check */
		break;
	}
	ev->slot = slot;
	*used = sizeof(struct gui_hdr) + need;
	return 1;
}

int
gui_vm_parse(struct gui_peer *p, const void *untrusted_buf, size_t untrusted_len,
    struct gui_event *ev, size_t *used)
{
	return parse(p, untrusted_buf, untrusted_len, ev, used, false);
}

int
gui_vm_parse_head(struct gui_peer *p, const void *untrusted_buf, size_t untrusted_len,
    struct gui_event *ev, size_t *used)
{
	return parse(p, untrusted_buf, untrusted_len, ev, used, true);
}

void
gui_hdr_read(const void *buf, uint32_t *type, uint32_t *window, uint32_t *len)
{
	struct gui_hdr h;

	memcpy(&h, buf, sizeof(h));
	*type = le32toh(h.type);
	*window = le32toh(h.window);
	*len = le32toh(h.len);
}

size_t
gui_msg_build(void *buf, uint32_t type, uint32_t window, const void *body, uint32_t body_len)
{
	struct gui_hdr h = { htole32(type), htole32(window), htole32(body_len) };

	memcpy(buf, &h, sizeof(h));
	if (body_len)
		memcpy((uint8_t *)buf + sizeof(h), body, body_len);
	return sizeof(h) + body_len;
}
