#include "events.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "rpc.h"

static void (*sink)(const char *line, const char *vm);

void
events_set_sink(void (*fn)(const char *line, const char *vm))
{
	sink = fn;
}

/* vm: the qube the event is about, NULL for none. */
static void
emit(json_object *o, const char *vm)
{
	if (sink != NULL)
		sink(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), vm);
	json_object_put(o);
}

void
event_state(const struct vm *vm)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "event", json_object_new_string("state"));
	json_object_object_add(o, "vm", json_object_new_string(vm->q.name));
	json_object_object_add(o, "state", json_object_new_string(vm_state_name(vm->state)));
	json_object_object_add(o, "reason", json_object_new_string(vm->reason));
	emit(o, vm->q.name);
}

void
event_property(const struct vm *vm, const char *prop)
{
	const struct qube_prop *p = qube_prop_find(prop);
	json_object *o = json_object_new_object();
	char val[128];

	qube_get(&vm->q, prop, val, sizeof(val));
	json_object_object_add(o, "event", json_object_new_string("property"));
	json_object_object_add(o, "vm", json_object_new_string(vm->q.name));
	json_object_object_add(o, "prop", json_object_new_string(prop));
	if (p != NULL && p->type == PROP_LONG)
		json_object_object_add(o, "value", json_object_new_int64(strtoll(val, NULL, 10)));
	else if (p != NULL && p->type == PROP_BOOL)
		json_object_object_add(o, "value", json_object_new_boolean(val[0] == '1'));
	else
		json_object_object_add(o, "value", json_object_new_string(val));
	emit(o, vm->q.name);
}

void
event_outdated(const struct vm *vm)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "event", json_object_new_string("property"));
	json_object_object_add(o, "vm", json_object_new_string(vm->q.name));
	json_object_object_add(o, "prop", json_object_new_string("outdated"));
	json_object_object_add(o, "value", json_object_new_boolean(1));
	emit(o, vm->q.name);
}

void
event_simple(const char *event, const char *name)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "event", json_object_new_string(event));
	json_object_object_add(o, "vm", json_object_new_string(name));
	emit(o, name);
}

void
event_firewall(const struct vm *vm)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "event", json_object_new_string("firewall"));
	json_object_object_add(o, "vm", json_object_new_string(vm->q.name));
	json_object_object_add(o, "policy", json_object_new_string(
	    fwrule_action_name(vm->q.fw.policy)));
	json_object_object_add(o, "rules", json_object_new_int(vm->q.fw.n));
	emit(o, vm->q.name);
}

void
event_policy(const char *name, const char *op)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "event", json_object_new_string("policy"));
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "op", json_object_new_string(op));
	emit(o, NULL);
}

static void
add_ask_fields(json_object *o, const struct rpc_ask *a)
{
	json_object *t = json_object_new_array();

	for (size_t i = 0; i < a->ntargets; i++)
		json_object_array_add(t, json_object_new_string(a->targets[i]));
	json_object_object_add(o, "id", json_object_new_int64(a->id));
	json_object_object_add(o, "service", json_object_new_string(a->service));
	json_object_object_add(o, "arg", json_object_new_string(a->arg));
	json_object_object_add(o, "source", json_object_new_string(a->source));
	json_object_object_add(o, "target", json_object_new_string(a->target));
	json_object_object_add(o, "default_target", json_object_new_string(a->default_target));
	json_object_object_add(o, "targets", t);
}

json_object *
ask_to_json(const struct rpc_ask *a)
{
	json_object *o = json_object_new_object();

	add_ask_fields(o, a);
	return o;
}

void
event_ask(const struct rpc_ask *a)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "event", json_object_new_string("ask"));
	add_ask_fields(o, a);
	emit(o, NULL);
}

void
event_ask_done(unsigned id, const char *result)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "event", json_object_new_string("ask-done"));
	json_object_object_add(o, "id", json_object_new_int64(id));
	json_object_object_add(o, "result", json_object_new_string(result));
	emit(o, NULL);
}

void
event_admin_call(const char *caller, const char *method, const char *target,
    const char *decision)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "event", json_object_new_string("admin-call"));
	json_object_object_add(o, "caller", json_object_new_string(caller));
	json_object_object_add(o, "method", json_object_new_string(method));
	json_object_object_add(o, "target", json_object_new_string(target));
	json_object_object_add(o, "decision", json_object_new_string(decision));
	emit(o, NULL);
}
