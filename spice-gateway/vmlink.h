/* The qube's transport, for now: a Unix socket per qube on which the
 * gateway listens; one connection at a time (a new one replaces the old).
 * In the appliance the RPC channel will hand vm_attach() its stream instead. */
#ifndef BULKHEAD_GW_VMLINK_H
#define BULKHEAD_GW_VMLINK_H

#include "vm.h"

int vmlink_listen_unix(struct vm *vm, const char *path);

#endif
