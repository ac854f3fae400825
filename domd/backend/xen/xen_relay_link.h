/* Inside the Xen relay (xen_relay.h): what its confined framer asks the
 * keeper over a SOCK_SEQPACKET socketpair. The keeper treats each ask as
 * hostile (the framer reads the guest's bytes): fixed size, known op, the
 * ring's number its own. */
#ifndef BULKHEAD_DOMD_XEN_RELAY_LINK_H
#define BULKHEAD_DOMD_XEN_RELAY_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "xen_relay.h"

enum relay_op {
	RELAY_CONNECT = 1, /* a new connection to the control socket */
	RELAY_RING = 2,    /* a call ring bridged to the descriptor attached */
};

struct relay_ask {
	uint32_t op;
};

struct relay_answer {
	int32_t ok;    /* CONNECT: the socket is attached */
	uint32_t ring; /* RING: its number, for the guest */
};

struct chan;

/* xen_relay_framer.c: confines itself, then serves the control ring c
 * (a session) until it ends; asks the keeper on link. Never returns. */
void xen_relay_framer(const struct xen_relay_conf *rc, struct chan *c, int link, int stop_fd)
    __attribute__((noreturn));

/* The confinement of the framer and of a call's splicer: 0, or -1 with
 * err. */
int xen_relay_confine(const struct xen_relay_conf *rc, char *err, size_t errlen);

#endif
