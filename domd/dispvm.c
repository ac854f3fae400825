#include "dispvm.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domd.h"
#include "events.h"
#include "lifecycle.h"
#include "log.h"
#include "refs.h"
#include "store.h"
#include "xalloc.h"

struct vm *
dispvm_create(const char *base_name, char *err, size_t errlen)
{
	struct vm *base = vm_find(base_name), *vm;
	char code[32], name[QUBE_NAME_MAX + 1];

	if (base == NULL || base->q.cls != QUBE_APP || !base->q.template_for_dispvms) {
		snprintf(err, errlen, "'%s' is not an AppVM with template_for_dispvms = 1", base_name);
		return NULL;
	}
	for (int tries = 0;; tries++) {
		snprintf(name, sizeof(name), "disp%d", 1 + (int)(random() % 9999));
		if (vm_find(name) == NULL)
			break;
		if (tries > 100) {
			snprintf(err, errlen, "no free DispVM name");
			return NULL;
		}
	}
	vm = vm_alloc();
	snprintf(vm->q.name, sizeof(vm->q.name), "%s", name);
	vm->q.cls = QUBE_DISP;
	vm->q.label = base->q.label;
	snprintf(vm->q.template_name, sizeof(vm->q.template_name), "%s", base->q.name);
	snprintf(vm->q.netvm, sizeof(vm->q.netvm), "%s", base->q.netvm);
	vm->q.memory = base->q.memory;
	vm->q.vcpus = base->q.vcpus;
	vm->q.virt_mode = base->q.virt_mode;
	vm->q.private_size = base->q.private_size;
	vm->q.pids_max = base->q.pids_max;
	vm->q.fw = base->q.fw; /* a DispVM has its base's firewall, as in Qubes */
	qube_new_uuid(vm->q.uuid);
	if (store_prepare_stage(&vm->q, err, errlen) < 0 ||
	    store_commit_stage(&vm->q, err, errlen) < 0) {
		free(vm);
		return NULL;
	}
	vm_insert(vm);
	event_simple("created", vm->q.name);
	if (vm_start(vm, NULL, NULL, code, err, errlen) < 0) {
		dispvm_destroy(vm);
		return NULL;
	}
	log_info("%s: DispVM from %s", vm->q.name, base->q.name);
	return vm;
}

static bool
is_up(const struct vm *v)
{
	return v != NULL && v->state != VM_HALTED;
}

int
dispvm_private_free(const struct vm *vm, char *err, size_t errlen)
{
	const struct vm *base;

	if (vm->q.cls == QUBE_DISP && is_up(base = vm_find(vm->q.template_name))) {
		snprintf(err, errlen, "DispVM %s: its base %s is running and may change its "
		    "private image; stop %s first", vm->q.name, base->q.name, base->q.name);
		return -1;
	}
	for (const struct vm *o = domd.vms; o != NULL; o = o->next) {
		if (o->q.cls == QUBE_DISP && is_up(o) && o != vm &&
		    !strcmp(o->q.template_name, vm->q.name)) {
			snprintf(err, errlen, "qube %s: DispVM %s runs from its private image; "
			    "stop it first", vm->q.name, o->q.name);
			return -1;
		}
	}
	return 0;
}

void
dispvm_release(const char *name)
{
	struct vm *vm = vm_find(name);
	char err[256];

	if (vm == NULL || vm->q.cls != QUBE_DISP)
		return;
	if (vm->state == VM_HALTED)
		dispvm_destroy(vm);
	else
		vm_kill(vm, NULL, NULL, err, sizeof(err));
}

void
dispvm_destroy(struct vm *vm)
{
	char err[256];

	if (store_remove(vm->q.name, err, sizeof(err)) < 0)
		log_warnx("%s", err);
	event_simple("removed", vm->q.name);
	vm_unlink(vm);
	free(vm);
}
