/* vm.run (dom0's commands in qubes), ask.list, ask.answer, vm.tag. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "dispvm.h"
#include "domd.h"
#include "events.h"
#include "rpc.h"
#include "rpc_proto.h"
#include "store.h"
#include "xalloc.h"

static bool
user_valid(const char *u)
{
	size_t n = strlen(u);

	if (n == 0 || n > 31 || !(islower((unsigned char)u[0]) || u[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!(islower((unsigned char)u[i]) || isdigit((unsigned char)u[i]) || u[i] == '_' ||
		    u[i] == '-'))
			return false;
	return true;
}

static const char *const run_args[] = { "command", "user", "autostart", "dispvm", NULL };

/* A vm.run request, answered when the call is handed to the qube's agent. */
struct run_reply {
	struct deferred d;
};

static void
run_handed_over(uint32_t status, const char *target, const char *msg, void *arg)
{
	struct run_reply *r = arg;

	if (status == RPC_ALLOWED) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "target", json_object_new_string(target));
		deferred_ok(&r->d, o);
	} else
		deferred_error(&r->d, status == RPC_DENIED ? "denied" :
		    status == RPC_TIMEOUT ? "timeout" : "backend", "%s", msg);
	free(r);
}

/* A DispVM made for the call goes with the client's connection. */
static void
run_owns_dispvm(const char *name, void *arg)
{
	struct run_reply *r = arg;

	admin_client_own_dispvm(r->d.client, name);
}

static enum api_result
vm_run(struct request *req)
{
	struct rpc_dom0_caller caller;
	struct run_reply *r;
	const char *command = NULL, *user = NULL;
	bool autostart = false, dispvm = false;
	struct vm *vm = req->vm;
	char err[512];
	int fd;

	if (arg_string(req, "command", &command) < 0 || arg_string(req, "user", &user) < 0 ||
	    arg_bool(req, "autostart", &autostart) < 0 || arg_bool(req, "dispvm", &dispvm) < 0)
		return API_DONE;
	if (command == NULL || command[0] == '\0' || strlen(command) >= RPC_CMDLINE_MAX) {
		reply_error(req, "invalid", "vm.run needs a \"command\" of 1 to %d bytes",
		    RPC_CMDLINE_MAX - 1);
		return API_DONE;
	}
	if (user != NULL && !user_valid(user)) {
		reply_error(req, "invalid", "invalid user '%.40s'", user);
		return API_DONE;
	}
	if ((fd = client_take_fd(req->c)) < 0) {
		reply_error(req, "bad-request", "vm.run needs a socket passed with the request "
		    "(SCM_RIGHTS)");
		return API_DONE;
	}
	if (dispvm) {
		vm = dispvm_create(vm->q.name, err, sizeof(err));
		if (vm == NULL) {
			close(fd);
			reply_error(req, "invalid", "%s", err);
			return API_DONE;
		}
		snprintf(req->c->dispvm, sizeof(req->c->dispvm), "%s", vm->q.name);
	} else if (vm->state == VM_HALTED && !autostart) {
		close(fd);
		reply_error(req, "bad-state", "qube %s is halted (start it, or use --autostart)",
		    vm->q.name);
		return API_DONE;
	} else if (vm->state == VM_PAUSED || vm->state == VM_HALTING) {
		close(fd);
		reply_error(req, "bad-state", "qube %s is %s", vm->q.name, vm_state_name(vm->state));
		return API_DONE;
	}
	r = xcalloc(1, sizeof(*r));
	defer(req, &r->d);
	caller = (struct rpc_dom0_caller){ run_handed_over, run_owns_dispvm, r };
	rpc_run_from_dom0(vm, command, user, fd, &caller);
	return API_DEFERRED;
}

const struct api_method api_vm_run = { "vm.run", API_NEEDS_VM | API_MODIFIES, run_args, vm_run };

static void
add_ask(const struct rpc_ask *a, void *arg)
{
	json_object *o = ask_to_json(a);

	json_object_object_add(o, "age_s", json_object_new_int64(time(NULL) - a->created));
	json_object_array_add(arg, o);
}

static enum api_result
ask_list(struct request *req)
{
	json_object *list = json_object_new_array();

	rpc_ask_each(add_ask, list);
	reply_ok(req, list);
	return API_DONE;
}

const struct api_method api_ask_list = { "ask.list", 0, NULL, ask_list };

static const char *const answer_args[] = { "id", "allow", "target", NULL };

static enum api_result
ask_answer(struct request *req)
{
	long id = -1;
	bool allow = false;
	const char *target = NULL;
	char code[32], err[512];

	if (arg_int(req, "id", 1, 0xffffffffL, &id) < 0 || arg_bool(req, "allow", &allow) < 0 ||
	    arg_string(req, "target", &target) < 0)
		return API_DONE;
	if (id < 0) {
		reply_error(req, "bad-request", "ask.answer needs \"id\"");
		return API_DONE;
	}
	if (rpc_ask_answer((unsigned)id, allow, target, code, err, sizeof(err)) < 0)
		reply_error(req, code, "%s", err);
	else
		reply_ok(req, NULL);
	return API_DONE;
}

const struct api_method api_ask_answer = { "ask.answer", API_MODIFIES, answer_args, ask_answer };

static const char *const tag_args[] = { "op", "tag", NULL };

static enum api_result
vm_tag(struct request *req)
{
	const char *op = NULL, *tag = NULL;
	struct qube old = req->vm->q;
	char err[256];

	if (arg_string(req, "op", &op) < 0 || arg_string(req, "tag", &tag) < 0)
		return API_DONE;
	if (op == NULL || tag == NULL || (strcmp(op, "add") && strcmp(op, "del"))) {
		reply_error(req, "bad-request", "vm.tag needs \"op\" (add or del) and \"tag\"");
		return API_DONE;
	}
	/* Who made a qube is domd's to say: a qube cannot claim or shed it. */
	if (req->c->remote[0] && !strncmp(tag, "created-by-", 11)) {
		reply_error(req, "permission", "the tag %.64s is set by domd only", tag);
		return API_DONE;
	}
	if (!strcmp(op, "add")) {
		if (qube_tag_add(&req->vm->q, tag, err, sizeof(err)) < 0) {
			reply_error(req, "invalid", "%s", err);
			return API_DONE;
		}
	} else
		qube_tag_del(&req->vm->q, tag);
	if (store_save(req->vm) < 0) {
		req->vm->q = old;
		reply_error(req, "internal", "cannot save %s: %s", req->vm->q.name, strerror(errno));
		return API_DONE;
	}
	event_property(req->vm, "tags");
	reply_ok(req, vm_to_json(req->vm));
	return API_DONE;
}

const struct api_method api_vm_tag = { "vm.tag", API_NEEDS_VM | API_MODIFIES, tag_args, vm_tag };
