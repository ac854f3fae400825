/*
 * bulkhead-gui-agent: options, the qube's user, and the event loop over the
 * X connection and the gateway stream.
 */
#include "gui_agent.h"
#include "log.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xcb/xfixes.h>

#ifndef BULKHEAD_VERSION
#define BULKHEAD_VERSION "0.1.0"
#endif

#define QUBE_UID 1000 /* the template's "user" */
#define QUBE_GID 1000
#define DEFAULT_CALL "bulkhead-rpc sys-gui bulkhead.Gui"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: " GUI_AGENT_NAME " [-v] [--display :N] [--size WxH] [--no-xvfb]\n"
	    "       [--exec CMD | --socket PATH] [--clip-max BYTES]\n"
	    "\n"
	    "Shows the qube's X windows on sys-gui's SPICE gateway. Starts Xvfb on\n"
	    "DISPLAY (default :0, WxH default 1280x800, the gateway's display) unless\n"
	    "an X server answers there or --no-xvfb, then calls the gateway with\n"
	    "CMD (default '" DEFAULT_CALL "'), the GUI protocol on its\n"
	    "stdin and stdout (or connects to a gateway's --vm socket PATH), and\n"
	    "calls again when the call ends. Run as root (as init does), it first\n"
	    "becomes the qube's user (uid %d).\n"
	    "\n"
	    "  --clip-max BYTES  clipboard text sent at most (the gateway's limit,\n"
	    "                    default %d)\n",
	    QUBE_UID, GUI_CLIP_DEFAULT);
}

static void
become_user(void)
{
	if (getuid() != 0)
		return;
	/* Xvfb makes its socket directory only as root. */
	if (mkdir("/tmp/.X11-unix", 01777) == 0) /* past the umask */
		chmod("/tmp/.X11-unix", 01777);
	if (setgroups(0, NULL) < 0 || setgid(QUBE_GID) < 0 || setuid(QUBE_UID) < 0)
		fatal("cannot become uid %d", QUBE_UID);
	setenv("HOME", "/home/user", 1);
	setenv("USER", "user", 1);
}

static void
x_event(xcb_generic_event_t *ev)
{
	uint8_t type = ev->response_type & 0x7f;

	if (type == 0) /* an error: a window went away under a request */
		log_debug("X error %u", ((xcb_generic_error_t *)ev)->error_code);
	else if (type == gx.damage_event + XCB_DAMAGE_NOTIFY)
		damage_event(ev);
	else if (!clip_event(ev))
		windows_event(ev);
	free(ev);
}

/* Every event there is; false if none was. */
static bool
x_events(xcb_generic_event_t *(*next)(xcb_connection_t *))
{
	xcb_generic_event_t *ev;
	bool any = false;

	while ((ev = next(gx.c)) != NULL) {
		x_event(ev);
		any = true;
	}
	if (xcb_connection_has_error(gx.c))
		fatalx("the X server went away");
	return any;
}

static void
run(void)
{
	for (;;) {
		struct pollfd pfd[2];
		int n = 1, timeout;

		if (!link_up() && link_retry_ms() == 0)
			link_connect();
		x_events(xcb_poll_for_event);
		damage_flush();
		xcb_flush(gx.c);
		/* Replies read while sending damage may have queued events with
		 * them, which poll() would not see on the socket. */
		if (x_events(xcb_poll_for_queued_event))
			continue;
		pfd[0].fd = xcb_get_file_descriptor(gx.c);
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		if (link_up()) {
			pfd[1].fd = link_fd();
			pfd[1].events = POLLIN | (link_wants_write() ? POLLOUT : 0);
			pfd[1].revents = 0;
			n = 2;
		}
		timeout = link_retry_ms();
		if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR)
			fatal("poll");
		if (n == 2 && pfd[1].revents)
			link_io(pfd[1].revents);
	}
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "display", required_argument, NULL, 'd' },
		{ "size", required_argument, NULL, 's' },
		{ "no-xvfb", no_argument, NULL, 'n' },
		{ "exec", required_argument, NULL, 'e' },
		{ "socket", required_argument, NULL, 'S' },
		{ "clip-max", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *display = ":0", *size = "1280x800", *cmd = DEFAULT_CALL, *sock = NULL;
	int verbose = 0, xvfb = 1, c;
	unsigned w, h;
	char extra;
	char *end;
	long clip = GUI_CLIP_DEFAULT;

	while ((c = getopt_long(argc, argv, "vhV", opts, NULL)) != -1) {
		switch (c) {
		case 'd': display = optarg; break;
		case 's': size = optarg; break;
		case 'n': xvfb = 0; break;
		case 'e': cmd = optarg; break;
		case 'S': sock = optarg; break;
		case 'c':
			clip = strtol(optarg, &end, 10);
			if (*end != '\0' || clip < GUI_CLIP_MIN || clip > GUI_CLIP_MAX) {
				fprintf(stderr, GUI_AGENT_NAME ": --clip-max '%s': not a number of "
				    "bytes in %d..%d\n", optarg, GUI_CLIP_MIN, GUI_CLIP_MAX);
				return 2;
			}
			break;
		case 'v': verbose++; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf(GUI_AGENT_NAME " " BULKHEAD_VERSION "\n"); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, GUI_AGENT_NAME ": unexpected argument '%s' (try --help)\n", argv[optind]);
		return 2;
	}
	if (sscanf(size, "%ux%u%c", &w, &h, &extra) != 2 || w < 64 || h < 64 ||
	    w > GUI_MAX_WIDTH || h > GUI_MAX_HEIGHT) {
		fprintf(stderr, GUI_AGENT_NAME ": --size '%s': not WIDTHxHEIGHT within 64..%d\n",
		    size, GUI_MAX_WIDTH);
		return 2;
	}
	log_init(GUI_AGENT_NAME, verbose, 0);
	signal(SIGPIPE, SIG_IGN);
	become_user();
	setenv("DISPLAY", display, 1);
	if (xvfb && xvfb_start(display, size) < 0)
		return 1;
	if (gx_open(display) < 0)
		return 1;
	link_init(cmd, sock, (size_t)clip);
	clip_init();
	windows_scan();
	run();
}
