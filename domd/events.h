/* The event stream for subscribed clients (the console lives on it). */
#ifndef BULKHEAD_DOMD_EVENTS_H
#define BULKHEAD_DOMD_EVENTS_H

#include "vm.h"

void event_state(const struct vm *vm);
void event_property(const struct vm *vm, const char *prop);
void event_simple(const char *event, const char *name);
/* {"event":"firewall","vm":…,"policy":"accept|drop","rules":N} */
void event_firewall(const struct vm *vm);

#endif
