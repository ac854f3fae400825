#include "qube_peer.h"

#include <sys/socket.h>

#include "domd.h"
#include "procstat.h"

int
qube_peer_get(int fd, struct qube_peer *out)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	out->pid = 0;
	out->uid = (uid_t)-1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return -1;
	out->pid = cr.pid;
	out->uid = cr.uid;
	return 0;
}

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
	    proc_ppid(p->pid) == vm->rt.init_pid;
}
