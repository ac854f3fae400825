/* Frame source for tests/bench/gui.sh: the same frames, either as a qube
 * speaking the GUI protocol to bulkhead-gateway, or straight into a plain
 * libspice-server display of its own (the gateway's loop and QXL code, no
 * protocol, no composition): the baseline.
 *
 *   gui_feed gateway SOCKET W H SECONDS
 *   gui_feed direct RUNDIR W H SECONDS   (serves RUNDIR/direct.spice, .ticket)
 *
 * W x H is the damaged rectangle of each frame, at the window's origin
 * (gateway) or at (2,14) of a 1280x800 display (direct): the same place the
 * gateway shows a window's content. Frames go out as fast as the path takes
 * them; every frame has new pixels and its time stamp. Prints the frames
 * sent. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "bench_frame.h"
#include "display.h"
#include "gui_wire.h"
#include "log.h"
#include "loop.h"

#define DW 1280
#define DH 800
#define OX 2
#define OY 14

static uint32_t fw, fh, frames;
static double end_at;

static double
now(void)
{
	return frame_now();
}

static void
paint(uint32_t *pix, size_t stride, uint32_t n)
{
	frame_paint(pix, stride, fw, fh, n);
}

static int
run_gateway(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct gui_hello hello = { htole32(GUI_VERSION), 0 };
	struct gui_geometry g = { htole32(OX), htole32(OY), htole32(DW - 4), htole32(DH - 16), 0 };
	size_t body = sizeof(struct gui_damage) + (size_t)fw * fh * 4;
	uint8_t *buf = malloc(sizeof(struct gui_hdr) + body), hdr[64];
	struct gui_damage d = { 0, 0, htole32(fw), htole32(fh) };
	int s = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	for (int i = 0; connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0; i++) {
		if (i == 100)
			fatal("%s", path);
		usleep(50000);
	}
	if (write(s, hdr, gui_msg_build(hdr, GUI_HELLO, 0, &hello, sizeof(hello))) < 0 ||
	    write(s, hdr, gui_msg_build(hdr, GUI_CREATE, 1, &g, sizeof(g))) < 0 ||
	    write(s, hdr, gui_msg_build(hdr, GUI_MAP, 1, NULL, 0)) < 0)
		fatal("write");
	gui_msg_build(buf, GUI_DAMAGE, 1, &d, sizeof(d));
	((struct gui_hdr *)buf)->len = htole32((uint32_t)body);
	while (now() < end_at) {
		uint8_t *p = buf;
		size_t left = sizeof(struct gui_hdr) + body;

		paint((uint32_t *)(buf + sizeof(struct gui_hdr) + sizeof(d)), fw, frames++);
		while (left > 0) {
			ssize_t n = write(s, p, left);
			if (n < 0)
				fatal("write");
			p += n;
			left -= (size_t)n;
		}
	}
	close(s);
	return 0;
}

static struct display *disp;
static uint32_t *fb;
static SpiceTimer *pump_timer;

/* Pushes frames while the display takes them; the release eventfd or a
 * short timer brings us back. */
static void
pump(void *unused)
{
	if (now() >= end_at) {
		loop_quit(0);
		return;
	}
	for (;;) {
		paint(fb + (size_t)OY * DW + OX, DW, frames);
		if (!display_push(disp, fb, OX, OY, fw, fh))
			break;
		frames++;
	}
	loop_timer_start(pump_timer, 5);
}

static void
on_release(int fd, int event, void *unused)
{
	display_ack(disp);
	pump(NULL);
}

static void
on_viewer(int fd, int event, void *opaque)
{
	int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (c >= 0 && spice_server_add_client(opaque, c, 0) != 0)
		close(c);
}

static int
run_direct(const char *dir, int seconds)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	SpiceServer *s = spice_server_new();
	char path[256];
	FILE *f;
	int lfd;

	loop_init();
	spice_server_set_ticket(s, "benchbenchbench", 0, 0, 0);
	spice_server_set_image_compression(s, SPICE_IMAGE_COMPRESSION_OFF);
	spice_server_set_jpeg_compression(s, SPICE_WAN_COMPRESSION_NEVER);
	spice_server_set_zlib_glz_compression(s, SPICE_WAN_COMPRESSION_NEVER);
	spice_server_set_streaming_video(s, SPICE_STREAM_VIDEO_OFF);
	if (spice_server_init(s, loop_core()) != 0)
		fatalx("spice_server_init");
	disp = display_new(s, DW, DH);
	spice_server_vm_start(s);
	fb = calloc((size_t)DW * DH, 4);

	snprintf(path, sizeof(path), "%s/direct.ticket", dir);
	if ((f = fopen(path, "w")) == NULL)
		fatal("%s", path);
	fprintf(f, "benchbenchbench\n");
	fclose(f);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/direct.spice", dir);
	unlink(sa.sun_path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 4) < 0)
		fatal("%s", sa.sun_path);
	loop_watch_add(lfd, SPICE_WATCH_EVENT_READ, on_viewer, s);
	loop_watch_add(display_wakeup_fd(disp), SPICE_WATCH_EVENT_READ, on_release, NULL);
	pump_timer = loop_timer_add(pump, NULL);
	/* Frames start once the viewer is there: the script starts it right away. */
	loop_timer_start(pump_timer, 300);
	end_at = now() + 0.3 + seconds;
	return loop_run();
}

int
main(int argc, char **argv)
{
	int seconds;

	if (argc != 6)
		return 2;
	log_init("gui_feed", 0, 0);
	fw = (uint32_t)atoi(argv[3]);
	fh = (uint32_t)atoi(argv[4]);
	seconds = atoi(argv[5]);
	if (fw < 1 || fh < 1 || fw > DW - 4 || fh > DH - 16)
		return 2;
	end_at = now() + seconds;
	if (!strcmp(argv[1], "gateway"))
		run_gateway(argv[2]);
	else if (!strcmp(argv[1], "direct"))
		run_direct(argv[2], seconds);
	else
		return 2;
	printf("%u\n", frames);
	return 0;
}
