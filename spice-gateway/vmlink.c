#include "vmlink.h"

#include "loop.h"
#include "sock.h"

static void
on_qube(int fd, int event, void *opaque)
{
	struct vm *vm = opaque;
	int c = sock_accept(fd, vm->name);

	if (c >= 0)
		vm_attach(vm, c);
}

int
vmlink_listen_unix(struct vm *vm, const char *path)
{
	int fd = sock_listen_unix(path, vm->name);

	if (fd < 0)
		return -1;
	vm->qube_listen_watch = loop_watch_add(fd, SPICE_WATCH_EVENT_READ, on_qube, vm);
	return 0;
}
