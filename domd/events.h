/* The event stream for subscribed clients (the console lives on it). */
#ifndef BULKHEAD_DOMD_EVENTS_H
#define BULKHEAD_DOMD_EVENTS_H

#include <json-c/json.h>

#include "vm.h"

struct rpc_ask;

/* Where event lines go: set by the admin API (its subscribed clients);
 * without a sink they are dropped. vm is the qube an event is about (what
 * a management qube's stream is filtered by), NULL for none. */
void events_set_sink(void (*sink)(const char *line, const char *vm));

void event_state(const struct vm *vm);
void event_property(const struct vm *vm, const char *prop);
void event_simple(const char *event, const char *name);
/* {"event":"property","vm":…,"prop":"outdated","value":true}: its template
 * has a newer root than the one it runs from (rootgen.h). */
void event_outdated(const struct vm *vm);
/* {"event":"firewall","vm":…,"policy":"accept|drop","rules":N} */
void event_firewall(const struct vm *vm);
/* {"event":"policy","name":…,"op":"put|removed"} */
void event_policy(const char *name, const char *op);
/* {"event":"ask", and the ask's fields} */
void event_ask(const struct rpc_ask *a);
/* {"event":"ask-done","id":N,"result":"allowed|denied|…"} */
void event_ask_done(unsigned id, const char *result);

/* {"event":"admin-call","caller":…,"method":…,"target":…,"decision":…}:
 * a qube's call of the admin API (the audit; never sent to a qube). */
void event_admin_call(const char *caller, const char *method, const char *target,
    const char *decision);

/* An ask's fields, as its event and the ask list show them. */
json_object *ask_to_json(const struct rpc_ask *a);

#endif
