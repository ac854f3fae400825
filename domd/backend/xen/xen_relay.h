/* dom0's end of a Xen qube's control channel. A guest cannot reach domd's
 * per-qube Unix control socket, so a relay per domain (started by its
 * monitor) serves a libxenvchan ring to the guest and carries what comes on
 * it to and from that socket (lib/xen_relay_proto.h), where the qube's
 * guard reads it, as on ns.
 *
 * The relay is split so that no privileged process reads the guest's
 * bytes: the keeper (root: it grants pages and writes xenstore) makes the
 * rings and connects to the control socket, and never reads a ring; the
 * framer, which splits the control ring into connections, and each call's
 * splicer run confined (lib/confine.h) from before their first read. */
#ifndef BULKHEAD_DOMD_XEN_RELAY_H
#define BULKHEAD_DOMD_XEN_RELAY_H

#include <sys/types.h>

struct xen_relay_conf {
	int domid;
	const char *name;     /* the qube's, for the processes' titles */
	const char *ctl_sock; /* domd's control socket for the qube */
	const char *root;     /* an empty directory for the confined ones */
	uid_t uid;            /* their uid (confine_relay_uid) */
};

/* Forks the relay (not a child of the caller, whose SIGCHLD libxl owns).
 * Returns a pipe's write end for the caller to keep: the relay ends when
 * it closes (the caller exited). -1 on failure. */
int xen_relay_start(const struct xen_relay_conf *rc);

#endif
