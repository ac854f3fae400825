/* dom0's end of a Xen qube's control channel. A guest cannot reach domd's
 * per-qube Unix control socket, so a relay process per domain (started by
 * its monitor) serves a libxenvchan ring to the guest and carries what
 * comes on it to and from that socket (lib/xen_relay_proto.h). It never
 * parses what the guest says beyond the frame header: domd does, as on ns. */
#ifndef BULKHEAD_DOMD_XEN_RELAY_H
#define BULKHEAD_DOMD_XEN_RELAY_H

/* Forks the relay (not a child of the caller, whose SIGCHLD libxl owns).
 * Returns a pipe's write end for the caller to keep: the relay ends when
 * it closes (the caller exited). -1 on failure. */
int xen_relay_start(int domid, const char *ctl_sock);

#endif
