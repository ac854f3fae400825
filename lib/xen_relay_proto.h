/* Between the two relays of a Xen qube's control ring: domd/backend/xen/xen_relay.h in
 * dom0 and agent/xen_chan.c in the guest. The one ring carries all of the
 * qube's connections to domd's control socket (the agent's, and one per
 * bulkhead-rpc call in the qube), each frame tagged with its connection;
 * dom0 opens a connection to the socket for each new tag, so domd sees
 * exactly what it sees on ns. Descriptors cannot cross domains: a message
 * from domd that came with one (EXEC, an allowed CALL_RESULT) names a ring
 * of its own that dom0 serves, bridged to that descriptor. */
#ifndef BULKHEAD_XEN_RELAY_PROTO_H
#define BULKHEAD_XEN_RELAY_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "rpc_proto.h"

/* Xenstore paths, relative to the guest's home (/local/domain/DOMID). */
#define XEN_RELAY_CONTROL "data/bulkhead/control"
#define XEN_RELAY_CALL "data/bulkhead/call-%u"

#define XEN_RELAY_CONNS 64 /* tag 0 is the agent's connection */
#define XEN_RELAY_FRAME_MAX                                                  \
	(sizeof(struct rpc_hdr) + sizeof(struct rpc_exec) + RPC_CMDLINE_MAX)

struct xen_relay_frame {
	uint32_t conn; /* < XEN_RELAY_CONNS */
	uint32_t len;  /* bytes that follow; 0: the connection closed */
	uint32_t ring; /* dom0 -> guest: the call ring for this message, or 0 */
	uint32_t pad;
};

_Static_assert(sizeof(struct xen_relay_frame) == 16, "xen_relay_frame layout");

struct chan;

/* Sends one frame (header, then len bytes). 0 or -1. */
int xen_relay_send(struct chan *c, unsigned conn, const void *data, size_t len,
    unsigned ring);
/* The frame at the start of what the peer sent: 1 with *f in host order
 * (conn and len checked) when it is all there, 0 when more is needed, -1
 * when it is malformed (the session must end). */
int xen_relay_parse(const void *untrusted_buf, size_t len, struct xen_relay_frame *f);

#endif
