/* Applying a qube's firewall rules. Rules are kept in struct qube (qube.h)
 * and changed through vm.firewall (api_firewall.c); fw_apply() is called
 * after every change. */
#ifndef BULKHEAD_DOMD_FIREWALL_H
#define BULKHEAD_DOMD_FIREWALL_H

#include "vm.h"

/* Sends the qube's rule set to its netvm. For now only logs, at debug
 * level, what would be sent: the packet filter (netvm-firewall/) and its
 * channel come with the networking issue. */
void fw_apply(struct vm *vm);

#endif
