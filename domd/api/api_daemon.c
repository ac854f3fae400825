/* daemon.info and events.subscribe. */
#include <unistd.h>

#include "api.h"
#include "domd.h"

static enum api_result
daemon_info(struct request *req)
{
	json_object *o = json_object_new_object();
	int n = 0, running = 0;

	for (struct vm *vm = domd.vms; vm != NULL; vm = vm->next) {
		n++;
		running += vm->state != VM_HALTED;
	}
	json_object_object_add(o, "version", json_object_new_string(BULKHEAD_VERSION));
	json_object_object_add(o, "backend", json_object_new_string(domd.backend->name));
	json_object_object_add(o, "weak_isolation",
	    json_object_new_boolean(domd.backend->weak_isolation));
	json_object_object_add(o, "pid", json_object_new_int(getpid()));
	json_object_object_add(o, "config_dir", json_object_new_string(domd.paths.config_dir));
	json_object_object_add(o, "state_dir", json_object_new_string(domd.paths.state_dir));
	json_object_object_add(o, "run_dir", json_object_new_string(domd.paths.run_dir));
	json_object_object_add(o, "qubes", json_object_new_int(n));
	json_object_object_add(o, "running", json_object_new_int(running));
	reply_ok(req, o);
	return API_DONE;
}

const struct api_method api_daemon_info = { "daemon.info", 0, NULL, daemon_info };

static enum api_result
events_subscribe(struct request *req)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "subscribed", json_object_new_boolean(1));
	/* First: a qube's call stays open for the events after this reply. */
	req->c->subscribed = true;
	reply_ok(req, o);
	return API_DONE;
}

const struct api_method api_events_subscribe = { "events.subscribe", 0, NULL, events_subscribe };
