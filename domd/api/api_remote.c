/* The admin API for qubes (lib/admin_rpc.h): an allowed call of
 * bulkhead.admin.METHOD becomes a request of a client of its own, whose
 * arguments are built here from the fixed-size struct the caller's guard
 * parsed; the request then gets the same checks as one on the socket. */
#include <stdio.h>

#include "api.h"
#include "rpc.h"

static json_object *
arg_json(const struct admin_rpc_arg *a)
{
	switch (a->type) {
	case ADMIN_ARG_BOOL:
		return json_object_new_boolean(a->num != 0);
	case ADMIN_ARG_INT:
		return json_object_new_int64(a->num);
	default:
		return json_object_new_string(a->str);
	}
}

static void
remote_call(const struct rpc_admin_call *rc)
{
	struct client *c = client_new_remote(rc->fd, rc->caller, rc->id);
	struct request req = { .c = c, .method = rc->method->name };
	const char *vm_name = NULL;

	if (rc->args->error) {
		reply_error(&req, "bad-request", "%s: %s", rc->method->name, rc->args->msg);
		return;
	}
	req.args = json_object_new_object();
	for (uint32_t i = 0; i < rc->args->nargs; i++)
		json_object_object_add(req.args, rc->method->keys[rc->args->arg[i].key].name,
		    arg_json(&rc->args->arg[i]));
	if (rc->method->arg_is_prop)
		json_object_object_add(req.args, "prop", json_object_new_string(rc->arg));
	if (rc->method->target == ADMIN_RPC_ON_QUBE)
		vm_name = rc->target;
	else if (rc->method->target == ADMIN_RPC_CREATES)
		vm_name = rc->arg;
	api_run(&req, vm_name);
	json_object_put(req.args);
}

void
api_remote_init(void)
{
	static const struct rpc_admin_handlers h = { remote_call, client_remote_gone };

	rpc_set_admin_handlers(&h);
}
