/* The viewer side of one qube: its SpiceServer (display, keyboard, tablet,
 * agent), a random ticket written for the operator, and the listening
 * socket whose connections are handed to spice-server. */
#ifndef BULKHEAD_GW_SERVER_H
#define BULKHEAD_GW_SERVER_H

#include "vm.h"

enum listen_kind { LISTEN_UNIX, LISTEN_TCP, LISTEN_FD };

struct listen_cfg {
	enum listen_kind kind;
	const char *run_dir; /* tickets, and the Unix sockets */
	int tcp_port;        /* LISTEN_TCP: this qube's port on 127.0.0.1 */
	/* LISTEN_FD: this qube's listening TCP socket, inherited. It may belong
	 * to another network namespace: on the ns backend `make run` hands
	 * sys-gui's gateway sockets on the host's loopback this way. */
	int fd;
};

/* Starts vm's server; prints "NAME URI TICKET-FILE" on stdout. 0 or -1. */
int server_start(struct vm *vm, const struct listen_cfg *cfg);

#endif
