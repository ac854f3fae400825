#include "vm.h"

#include <stddef.h>
#include <string.h>

#include "xalloc.h"

struct vm *
vm_alloc(void)
{
	struct vm *vm = xmalloc(sizeof(*vm));
	size_t text = offsetof(struct vm, q) + offsetof(struct qube, fw.text);
	size_t after = text + sizeof(vm->q.fw.text);

	/* Not calloc: the firewall text is most of a qube and usually empty;
	 * qube_init() clears it only where it is not zero already, so fresh
	 * memory stays untouched (RSS with hundreds of qubes). */
	memset(vm, 0, text);
	memset((char *)vm + after, 0, sizeof(*vm) - after);
	qube_init(&vm->q);
	vm->rt.pidfd = vm->rt.ready_fd = vm->rt.guest_ready_fd = vm->ctl_fd = -1;
	return vm;
}

const char *
vm_state_name(enum vm_state s)
{
	switch (s) {
	case VM_HALTED:
		return "halted";
	case VM_STARTING:
		return "starting";
	case VM_RUNNING:
		return "running";
	case VM_PAUSED:
		return "paused";
	case VM_HALTING:
		return "halting";
	}
	return "?";
}

bool
vm_is_active(const struct vm *vm)
{
	return vm->state != VM_HALTED;
}
