/* vm.start, vm.shutdown, vm.kill, vm.pause, vm.unpause, vm.stats. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "api.h"
#include "domd.h"
#include "lifecycle.h"
#include "xalloc.h"

/* A request answered when its qube settles (lifecycle's callback). */
struct state_reply {
	struct deferred d;
	const char *failed; /* what the error says when it did not get there */
};

static void
answer_settled(struct vm *vm, bool reached, void *arg)
{
	struct state_reply *r = arg;

	if (reached)
		deferred_ok(&r->d, vm_to_json(vm));
	else
		deferred_error(&r->d, "backend", "qube %s %s: %s", vm->q.name, r->failed,
		    vm->reason);
	free(r);
}

/* What a lifecycle call returned, as the request's answer: now (-1 with
 * err; 1, already there) or when the qube settles (0). */
static enum api_result
answer(struct request *req, int rc, struct state_reply *r, const char *code, const char *err)
{
	if (rc == 0) {
		defer(req, &r->d);
		return API_DEFERRED;
	}
	free(r);
	if (rc < 0)
		reply_error(req, code, "%s", err);
	else
		reply_ok(req, vm_to_json(req->vm));
	return API_DONE;
}

static struct state_reply *
state_reply(const char *failed)
{
	struct state_reply *r = xcalloc(1, sizeof(*r));

	r->failed = failed;
	return r;
}

static enum api_result
vm_start_m(struct request *req)
{
	struct state_reply *r = state_reply("did not start");
	char code[32], err[512];
	int rc = vm_start(req->vm, answer_settled, r, code, err, sizeof(err));

	return answer(req, rc, r, code, err);
}

const struct api_method api_vm_start = { "vm.start", API_NEEDS_VM | API_MODIFIES, NULL, vm_start_m };

static const char *const shutdown_args[] = { "wait", "timeout", NULL };

static enum api_result
vm_shutdown_m(struct request *req)
{
	struct state_reply *r;
	bool wait = false;
	long timeout = 30;
	char err[512];
	int rc;

	if (arg_bool(req, "wait", &wait) < 0 || arg_int(req, "timeout", 0, 86400, &timeout) < 0)
		return API_DONE;
	r = wait ? state_reply("did not halt") : NULL;
	rc = vm_shutdown(req->vm, (int)timeout, wait ? answer_settled : NULL, r, err,
	    sizeof(err));
	/* Without --wait the answer is the qube as it is now (halting). */
	return answer(req, wait || rc < 0 ? rc : 1, r, "bad-state", err);
}

const struct api_method api_vm_shutdown = { "vm.shutdown", API_NEEDS_VM | API_MODIFIES,
	shutdown_args, vm_shutdown_m };

static enum api_result
vm_kill_m(struct request *req)
{
	struct state_reply *r = state_reply("did not halt");
	char err[512];
	int rc = vm_kill(req->vm, answer_settled, r, err, sizeof(err));

	return answer(req, rc, r, "bad-state", err);
}

const struct api_method api_vm_kill = { "vm.kill", API_NEEDS_VM | API_MODIFIES, NULL, vm_kill_m };

static enum api_result
set_paused(struct request *req, bool pause)
{
	struct vm *vm = req->vm;
	char err[512];
	int r;

	if (vm->state != (pause ? VM_RUNNING : VM_PAUSED)) {
		reply_error(req, "bad-state", "qube %s is %s", vm->q.name, vm_state_name(vm->state));
		return API_DONE;
	}
	r = pause ? domd.backend->pause(vm, err, sizeof(err)) :
	    domd.backend->unpause(vm, err, sizeof(err));
	if (r < 0) {
		reply_error(req, "backend", "%s", err);
		return API_DONE;
	}
	vm_set_state(vm, pause ? VM_PAUSED : VM_RUNNING, "");
	reply_ok(req, vm_to_json(vm));
	return API_DONE;
}

static enum api_result
vm_pause_m(struct request *req)
{
	return set_paused(req, true);
}

static enum api_result
vm_unpause_m(struct request *req)
{
	return set_paused(req, false);
}

const struct api_method api_vm_pause = { "vm.pause", API_NEEDS_VM | API_MODIFIES, NULL, vm_pause_m };
const struct api_method api_vm_unpause = { "vm.unpause", API_NEEDS_VM | API_MODIFIES, NULL,
	vm_unpause_m };

static enum api_result
vm_stats_m(struct request *req)
{
	struct vm *vm = req->vm;
	struct vm_stats st;
	json_object *o;

	if (vm->state != VM_RUNNING && vm->state != VM_PAUSED && vm->state != VM_HALTING) {
		reply_error(req, "bad-state", "qube %s is %s", vm->q.name, vm_state_name(vm->state));
		return API_DONE;
	}
	if (domd.backend->stats(vm, &st) < 0) {
		reply_error(req, "backend", "cannot read statistics of %s", vm->q.name);
		return API_DONE;
	}
	o = json_object_new_object();
	json_object_object_add(o, "memory_bytes", json_object_new_uint64(st.memory_bytes));
	json_object_object_add(o, "memory_limit_bytes", json_object_new_uint64(st.memory_limit_bytes));
	json_object_object_add(o, "cpu_ns", json_object_new_uint64(st.cpu_ns));
	json_object_object_add(o, "pids", json_object_new_uint64(st.pids));
	json_object_object_add(o, "uptime_s", json_object_new_int64(time(NULL) - vm->rt.started_at));
	reply_ok(req, o);
	return API_DONE;
}

const struct api_method api_vm_stats = { "vm.stats", API_NEEDS_VM, NULL, vm_stats_m };
