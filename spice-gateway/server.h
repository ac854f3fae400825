/* The viewer side of one display (a qube's, or the desktop of all qubes):
 * its SpiceServer (display, and the input and agent devices its owner
 * adds), a random ticket written for the operator, and the listening
 * socket whose connections are handed to spice-server. */
#ifndef BULKHEAD_GW_SERVER_H
#define BULKHEAD_GW_SERVER_H

#include <stdint.h>

#include <spice.h>

enum listen_kind { LISTEN_UNIX, LISTEN_TCP, LISTEN_FD };

struct listen_cfg {
	enum listen_kind kind;
	const char *run_dir; /* tickets, and the Unix sockets */
	int tcp_port;        /* LISTEN_TCP: this display's port on 127.0.0.1 */
	/* LISTEN_FD: this display's listening TCP socket, inherited. It may
	 * belong to another network namespace: on the ns backend `make run`
	 * hands sys-gui's gateway sockets on the host's loopback this way. */
	int fd;
};

struct display;

struct viewer {
	char name[32]; /* the qube's, or "desktop": names the files in the run dir */
	SpiceServer *server;
	struct display *disp;
	SpiceWatch *disp_watch;
	int listen_fd;
	SpiceWatch *listen_watch;
	char ticket[33];
	/* Adds the keyboard, tablet and agent to server. */
	void (*add_devices)(void *opaque);
	/* Pushes what is still dirty (spice released drawables). */
	void (*flush)(void *opaque);
	void *opaque;
};

/* Starts v's server with a w x h display; prints "NAME URI TICKET-FILE" on
 * stdout and writes NAME.ticket and NAME.uri. 0 or -1. */
int server_start(struct viewer *v, const struct listen_cfg *cfg, uint32_t w, uint32_t h);

#endif
