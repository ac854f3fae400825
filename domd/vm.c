#include "vm.h"

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
