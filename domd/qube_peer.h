/* Who is at the other end of a qube's control socket, as the qube's guard
 * saw it (SO_PEERCRED, and /proc for the parent). On the ns backend a
 * qube's processes run with host ids from its uid_base, so the uid tells
 * its root from its users, and the process tree tells its init's RPC
 * endpoint (the agent) from everything else. On xen the peers are domd's
 * own relays in dom0, which speak for the guest's agent and callers. */
#ifndef BULKHEAD_DOMD_QUBE_PEER_H
#define BULKHEAD_DOMD_QUBE_PEER_H

#include <stdbool.h>
#include <sys/types.h>

#include "vm.h"

struct qube_peer {
	pid_t pid;  /* host view; 0 if unknown */
	uid_t uid;
	pid_t ppid; /* its parent when it said HELLO as the agent; 0 if unknown */
};

/* Root inside the qube (its uid 0). */
bool qube_peer_is_root(const struct vm *vm, const struct qube_peer *p);
/* The agent: root, and a child of the qube's init (the init forks its RPC
 * endpoint). A process of the qube's user that left an orphan behind has
 * init as parent too, but not root's uid. */
bool qube_peer_is_agent(const struct vm *vm, const struct qube_peer *p);

#endif
