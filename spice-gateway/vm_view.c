/* A qube's own display: its screen behind its SpiceServer, its seat routed
 * to its windows only (every qube has its own SpiceServer). */
#include <stdio.h>

#include "vm.h"
#include "vms.h"

static enum hit
vm_hit(void *opaque, int32_t x, int32_t y, struct seat_win *w)
{
	struct vm *vm = opaque;
	enum hit h = screen_hit(&vm->scr, x, y, &w->slot);

	w->vm = w->slot >= 0 ? vm : NULL;
	return h;
}

static struct seat_win
vm_focused(void *opaque)
{
	struct vm *vm = opaque;

	return (struct seat_win){ vm->scr.focus >= 0 ? vm : NULL, vm->scr.focus };
}

static void
vm_focus(void *opaque, struct seat_win w)
{
	struct vm *vm = opaque;

	screen_focus(&vm->scr, w.vm != NULL ? w.slot : -1);
}

static void
vm_flush_cb(void *opaque)
{
	vm_flush(opaque);
	vms_resume();
}

static const struct seat_ops vm_seat_ops = {
	.hit = vm_hit,
	.focused = vm_focused,
	.focus = vm_focus,
	.flush = vm_flush_cb,
};

static void
vm_add_devices(void *opaque)
{
	struct vm *vm = opaque;

	seat_add(&vm->seat, vm->view.server, vm->name, &vm_seat_ops, vm);
	agent_add(vm);
}

void
vm_view_init(struct vm *vm)
{
	snprintf(vm->view.name, sizeof(vm->view.name), "%s", vm->name);
	vm->view.listen_fd = -1;
	vm->view.add_devices = vm_add_devices;
	vm->view.flush = vm_flush_cb;
	vm->view.opaque = vm;
}
