#include "uid_range.h"

#include <stdio.h>

#include "domd.h"
#include "events.h"
#include "log.h"
#include "store.h"

static bool
taken(const struct vm *self, long base)
{
	for (const struct vm *o = domd.vms; o != NULL; o = o->next)
		if (o != self && o->q.uid_base == base)
			return true;
	return false;
}

int
uid_range_assign(struct vm *vm, char *err, size_t errlen)
{
	long base;

	/* A copied file may carry another qube's range: never share one. */
	if (vm->q.uid_base != 0 && !taken(vm, vm->q.uid_base))
		return 0;
	for (base = QUBE_UID_BASE_MIN; base <= QUBE_UID_BASE_MAX; base += QUBE_UID_RANGE) {
		if (taken(vm, base))
			continue;
		vm->q.uid_base = base;
		if (store_save(vm) < 0) {
			snprintf(err, errlen, "cannot save the id range of %s", vm->q.name);
			vm->q.uid_base = 0;
			return -1;
		}
		log_info("%s: host ids %ld-%ld", vm->q.name, base, base + QUBE_UID_RANGE - 1);
		event_property(vm, "uid_base");
		return 0;
	}
	snprintf(err, errlen, "no free id range left for %s", vm->q.name);
	return -1;
}
