/* A test qube speaking the GUI protocol to bulkhead-gateway: windows with
 * known pixels (pattern.h), and a report of every message the gateway sends
 * it, one line each. With --mode it misbehaves in one of the ways a hostile
 * qube might, to show that the gateway clamps, refuses or disconnects.
 *
 *   fake_vm --socket PATH | --exec CMD [--seed N] [--mode MODE] [--hold SECONDS]
 *           [--clip TEXT] [--prefix TEXT] [--offset DX,DY]
 *   MODE: normal title huge many big outside short random
 *
 * Report lines on stdout: "hello", "key WIN CODE down|up", "button WIN B
 * down|up X Y", "motion WIN X Y", "focus WIN in|out", "configure WIN X Y W
 * H", "close WIN", "clip_request", "clip_data LEN TEXT", "disconnected".
 * --clip offers TEXT to the clipboard and sends it when asked ("BAD" sends
 * bytes that are not UTF-8, "SIZE:N" N bytes of 'x'). --offset moves every
 * window by DX,DY (two qubes side by side on the desktop). --exec runs CMD (through /bin/sh) with the
 * stream as its stdin and stdout instead of connecting to PATH; --prefix
 * sends TEXT raw before the hello (a qube trying to name itself). */
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "gui_proto.h"
#include "gui_wire.h"
#include "pattern.h"

static int sock = -1;
static int broken; /* the gateway closed the connection */
static const char *clip_text;
static int32_t off_x, off_y;

static void
send_raw(const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0 && !broken) {
		ssize_t n = send(sock, p, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			broken = 1;
			return;
		}
		p += n;
		len -= (size_t)n;
	}
}

static void
send_msg(uint32_t type, uint32_t win, const void *body, uint32_t len)
{
	uint8_t *buf = malloc(sizeof(struct gui_hdr) + len);

	send_raw(buf, gui_msg_build(buf, type, win, body, len));
	free(buf);
}

static void
create(uint32_t win, int32_t x, int32_t y, uint32_t w, uint32_t h, const char *title)
{
	struct gui_geometry g = { htole32((uint32_t)(x + off_x)), htole32((uint32_t)(y + off_y)),
		htole32(w), htole32(h), 0 };
	struct gui_title t;

	send_msg(GUI_CREATE, win, &g, sizeof(g));
	memset(&t, 0, sizeof(t));
	memcpy(t.title, title, strnlen(title, sizeof(t.title) - 1));
	send_msg(GUI_TITLE, win, &t, sizeof(t));
}

/* Damage with pixels of the pattern; declared_len overrides the body length. */
static void
damage(uint32_t win, uint32_t seed, uint32_t x, uint32_t y, uint32_t w, uint32_t h,
    int64_t declared_len)
{
	size_t npix = (size_t)w * h, body = sizeof(struct gui_damage) + npix * 4;
	uint8_t *buf = malloc(sizeof(struct gui_hdr) + body);
	struct gui_damage d = { htole32(x), htole32(y), htole32(w), htole32(h) };
	uint32_t *pix = (uint32_t *)(buf + sizeof(struct gui_hdr) + sizeof(d));
	size_t len = gui_msg_build(buf, GUI_DAMAGE, win, &d, sizeof(d));
	struct gui_hdr hd;

	/* The header declares the whole body: the rectangle and its pixels. */
	memcpy(&hd, buf, sizeof(hd));
	hd.len = htole32((uint32_t)body);
	memcpy(buf, &hd, sizeof(hd));
	for (uint32_t j = 0; j < h; j++)
		for (uint32_t i = 0; i < w; i++)
			pix[(size_t)j * w + i] = htole32(pattern_pixel(seed, x + i, y + j));
	len += npix * 4;
	if (declared_len >= 0) {
		memcpy(&hd, buf, sizeof(hd));
		hd.len = htole32((uint32_t)declared_len);
		memcpy(buf, &hd, sizeof(hd));
		if ((size_t)declared_len < body)
			len = sizeof(struct gui_hdr) + (size_t)declared_len;
	}
	send_raw(buf, len);
	free(buf);
}

/* Reads and reports what the gateway sends; returns when the socket closes
 * or after hold_ms. */
static void
report(int hold_ms)
{
	static uint8_t buf[65536];
	static size_t have;
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd pfd = { sock, POLLIN, 0 };
		int left;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = hold_ms - (int)((now.tv_sec - start.tv_sec) * 1000 +
		    (now.tv_nsec - start.tv_nsec) / 1000000);
		if (hold_ms >= 0 && left <= 0)
			return;
		if (poll(&pfd, 1, hold_ms >= 0 ? left : -1) <= 0)
			continue;
		ssize_t n = recv(sock, buf + have, sizeof(buf) - have, 0);
		if (n <= 0) {
			printf("disconnected\n");
			fflush(stdout);
			broken = 1;
			return;
		}
		have += (size_t)n;
		while (have >= sizeof(struct gui_hdr)) {
			struct gui_hdr h;
			const uint8_t *b = buf + sizeof(h);
			memcpy(&h, buf, sizeof(h));
			uint32_t type = le32toh(h.type), win = le32toh(h.window), len = le32toh(h.len);
			if (len > sizeof(buf) - sizeof(h)) {
				printf("bad message from the gateway\n");
				exit(1);
			}
			if (have < sizeof(h) + len)
				break;
			if (type == GUI_HELLO) {
				printf("hello\n");
			} else if (type == GUI_KEY && len == sizeof(struct gui_key)) {
				struct gui_key k;
				memcpy(&k, b, sizeof(k));
				printf("key %u 0x%x %s\n", win, le32toh(k.scancode), k.down ? "down" : "up");
			} else if ((type == GUI_BUTTON || type == GUI_MOTION) && len == sizeof(struct gui_pointer)) {
				struct gui_pointer p;
				memcpy(&p, b, sizeof(p));
				if (type == GUI_BUTTON)
					printf("button %u %u %s %d %d\n", win, le32toh(p.button),
					    p.down ? "down" : "up", (int32_t)le32toh((uint32_t)p.x),
					    (int32_t)le32toh((uint32_t)p.y));
				else
					printf("motion %u %d %d\n", win, (int32_t)le32toh((uint32_t)p.x),
					    (int32_t)le32toh((uint32_t)p.y));
			} else if (type == GUI_FOCUS && len == sizeof(struct gui_focus)) {
				struct gui_focus f;
				memcpy(&f, b, sizeof(f));
				printf("focus %u %s\n", win, f.in ? "in" : "out");
			} else if (type == GUI_CONFIGURE_REQ && len == sizeof(struct gui_geometry)) {
				struct gui_geometry g;
				memcpy(&g, b, sizeof(g));
				printf("configure %u %d %d %u %u\n", win, (int32_t)le32toh((uint32_t)g.x),
				    (int32_t)le32toh((uint32_t)g.y), le32toh(g.width), le32toh(g.height));
			} else if (type == GUI_CLIP_REQUEST) {
				printf("clip_request\n");
				if (clip_text && !strcmp(clip_text, "BAD"))
					send_msg(GUI_CLIP_DATA, 0, "\xff\xfe\xc3(", 4);
				else if (clip_text && !strncmp(clip_text, "SIZE:", 5)) {
					uint32_t size = (uint32_t)atoi(clip_text + 5);
					char *x = malloc(size ? size : 1);
					memset(x, 'x', size);
					send_msg(GUI_CLIP_DATA, 0, x, size);
					free(x);
				} else if (clip_text)
					send_msg(GUI_CLIP_DATA, 0, clip_text, (uint32_t)strlen(clip_text));
			} else if (type == GUI_CLIP_DATA) {
				printf("clip_data %u %.*s\n", len, (int)len, (const char *)b);
			} else if (type == GUI_CLOSE_REQ) {
				printf("close %u\n", win);
			} else {
				printf("message %u len %u\n", type, len);
			}
			fflush(stdout);
			memmove(buf, buf + sizeof(h) + len, have - sizeof(h) - len);
			have -= sizeof(h) + len;
		}
	}
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "seed", required_argument, NULL, 'n' },
		{ "mode", required_argument, NULL, 'm' },
		{ "hold", required_argument, NULL, 'h' },
		{ "clip", required_argument, NULL, 'c' },
		{ "exec", required_argument, NULL, 'e' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "offset", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = NULL, *mode = "normal", *cmd = NULL, *prefix = NULL;
	uint32_t seed = 1;
	int hold_ms = -1, c;
	struct gui_hello hello = { htole32(GUI_VERSION), 0 };

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': path = optarg; break;
		case 'n': seed = (uint32_t)atoi(optarg); break;
		case 'm': mode = optarg; break;
		case 'h': hold_ms = atoi(optarg) * 1000; break;
		case 'c': clip_text = optarg; break;
		case 'e': cmd = optarg; break;
		case 'p': prefix = optarg; break;
		case 'o':
			if (sscanf(optarg, "%d,%d", &off_x, &off_y) != 2)
				return 2;
			break;
		default: return 2;
		}
	}
	if ((path == NULL) == (cmd == NULL))
		return 2;
	if (cmd != NULL) {
		/* The stream is CMD's stdin/stdout (e.g. bulkhead-rpc sys-gui bulkhead.Gui). */
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
			return 1;
		if (fork() == 0) {
			dup2(sv[1], 0);
			dup2(sv[1], 1);
			close(sv[0]);
			close(sv[1]);
			execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
			_exit(127);
		}
		close(sv[1]);
		sock = sv[0];
	} else {
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
		sock = socket(AF_UNIX, SOCK_STREAM, 0);
	}
	for (int i = 0; cmd == NULL && connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0; i++) {
		if (i == 100) {
			perror(path);
			return 1;
		}
		usleep(50000);
	}
	if (prefix != NULL)
		send_raw(prefix, strlen(prefix));
	if (strcmp(mode, "random") != 0)
		send_msg(GUI_HELLO, 0, &hello, sizeof(hello));

	if (!strcmp(mode, "normal")) {
		create(1, 40, 60, 200, 120, "one");
		send_msg(GUI_MAP, 1, NULL, 0);
		damage(1, seed, 0, 0, 200, 120, -1);
		create(2, 400, 100, 160, 100, "two");
		send_msg(GUI_MAP, 2, NULL, 0);
		damage(2, seed + 1, 0, 0, 160, 100, -1);
		/* A menu: override-redirect, 50x40 at (700,300). */
		struct gui_geometry g = { htole32((uint32_t)(700 + off_x)), htole32((uint32_t)(300 + off_y)),
			htole32(50), htole32(40),
			htole32(GUI_OVERRIDE_REDIRECT) };
		send_msg(GUI_CREATE, 3, &g, sizeof(g));
		send_msg(GUI_MAP, 3, NULL, 0);
		damage(3, seed + 2, 0, 0, 50, 40, -1);
	} else if (!strcmp(mode, "title")) {
		struct gui_title t;
		uint8_t big[10000];

		create(1, 40, 60, 200, 120, "");
		send_msg(GUI_MAP, 1, NULL, 0);
		damage(1, seed, 0, 0, 200, 120, -1);
		/* Control characters, escapes and broken UTF-8, no terminator. */
		for (size_t i = 0; i < sizeof(t.title); i++)
			t.title[i] = "\x1b[2J\r\n\x7f\xc3(A\x01"[i % 11];
		send_msg(GUI_TITLE, 1, &t, sizeof(t));
		report(1000);
		memset(big, 'A', sizeof(big));
		send_msg(GUI_TITLE, 1, big, sizeof(big));
	} else if (!strcmp(mode, "huge")) {
		struct gui_geometry g = { 0, 0, htole32(100000), htole32(100000), 0 };
		send_msg(GUI_CREATE, 1, &g, sizeof(g));
		send_msg(GUI_MAP, 1, NULL, 0);
		damage(1, seed, 0, 0, 64, 64, -1);
	} else if (!strcmp(mode, "many")) {
		for (uint32_t i = 1; i <= 10000 && !broken; i++) {
			struct gui_geometry g = { htole32(i % 1000), htole32(i % 700), htole32(8), htole32(8), 0 };
			send_msg(GUI_CREATE, i, &g, sizeof(g));
		}
	} else if (!strcmp(mode, "big")) {
		/* Display-sized windows, more than the gateway's pixel budget. */
		for (uint32_t i = 1; i <= 20 && !broken; i++) {
			struct gui_geometry g = { 0, 0, htole32(1280), htole32(800), 0 };
			send_msg(GUI_CREATE, i, &g, sizeof(g));
		}
	} else if (!strcmp(mode, "outside")) {
		create(1, 40, 60, 100, 100, "outside");
		send_msg(GUI_MAP, 1, NULL, 0);
		damage(1, seed, 50, 50, 100, 100, -1);
	} else if (!strcmp(mode, "short")) {
		create(1, 40, 60, 100, 100, "short");
		send_msg(GUI_MAP, 1, NULL, 0);
		damage(1, seed, 0, 0, 100, 100, 16 + 100);
	} else if (!strcmp(mode, "random")) {
		uint8_t junk[65536];
		if (getrandom(junk, sizeof(junk), 0) != sizeof(junk))
			return 1;
		send_raw(junk, sizeof(junk));
	} else {
		fprintf(stderr, "unknown mode %s\n", mode);
		return 2;
	}
	if (clip_text)
		send_msg(GUI_CLIP_OFFER, 0, NULL, 0);
	if (broken) {
		printf("disconnected\n");
		fflush(stdout);
		return 0;
	}
	report(hold_ms);
	return 0;
}
