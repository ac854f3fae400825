/* Host id ranges for the qubes' user namespaces (ns backend): one of
 * QUBE_UID_RANGE ids per qube, given at its first start and kept in its
 * file like its address, so that its files keep their owners. On either
 * backend the range's slot also gives the qube's guard its uid
 * (rpc/guard.c). */
#ifndef BULKHEAD_DOMD_UID_RANGE_H
#define BULKHEAD_DOMD_UID_RANGE_H

#include <stddef.h>

#include "vm.h"

/* Gives vm a range no other qube has (nothing if it has one); 0 or -1. */
int uid_range_assign(struct vm *vm, char *err, size_t errlen);

#endif
