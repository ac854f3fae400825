#include "qube_peer.h"

#include "domd.h"

/* Only the ns backend runs a qube's processes on this kernel. */
static bool
local_qube(const struct vm *vm)
{
	return domd.backend == &backend_ns && vm->q.uid_base != 0;
}

bool
qube_peer_is_root(const struct vm *vm, const struct qube_peer *p)
{
	return !local_qube(vm) || p->uid == (uid_t)vm->q.uid_base;
}

bool
qube_peer_is_agent(const struct vm *vm, const struct qube_peer *p)
{
	if (!local_qube(vm))
		return true;
	return qube_peer_is_root(vm, p) && p->pid > 0 && vm->rt.init_pid > 0 &&
	    p->ppid == vm->rt.init_pid;
}
