/* A qube's direct transport (tests, benches): a Unix socket per qube on
 * which the gateway listens; one connection at a time (a new one replaces
 * the old). In the appliance a bulkhead.Gui call brings it (attach.h). */
#ifndef BULKHEAD_GW_VMLINK_H
#define BULKHEAD_GW_VMLINK_H

#include "vm.h"

int vmlink_listen_unix(struct vm *vm, const char *path);

#endif
