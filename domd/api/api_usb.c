/* usb.list and vm.usb: USB devices attached from USB qubes (usb.h), and
 * the devices assigned to a qube for good (its "usb" property). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "events.h"
#include "store.h"
#include "usb.h"

static void
add_attachment(const char *vm, const char *device, const char *state, void *arg)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "vm", json_object_new_string(vm));
	json_object_object_add(o, "device", json_object_new_string(device));
	json_object_object_add(o, "state", json_object_new_string(state));
	json_object_array_add(arg, o);
}

/* [{"vm":…,"device":…,"state":"attaching"|"attached"|"detaching"}, …] */
static json_object *
usb_list(void)
{
	json_object *list = json_object_new_array();

	usb_each(add_attachment, list);
	return list;
}

static enum api_result
usb_list_m(struct request *req)
{
	reply_ok(req, usb_list());
	return API_DONE;
}

const struct api_method api_usb_list = { "usb.list", 0, NULL, usb_list_m };

static int
save(struct request *req, struct vm *vm, const struct qube *old)
{
	if (store_save(vm) < 0) {
		int e = errno;
		vm->q = *old;
		reply_error(req, "internal", "cannot save %s: %s", vm->q.name, strerror(e));
		return -1;
	}
	event_property(vm, "usb");
	return 0;
}

static const char *const usb_args[] = { "op", "device", "persistent", "devices", NULL };

static enum api_result
vm_usb(struct request *req)
{
	struct vm *vm = req->vm;
	struct qube old = vm->q;
	const char *op = NULL, *dev = NULL;
	bool persistent = false;
	char code[32], err[512];

	if (arg_string(req, "op", &op) < 0 || arg_string(req, "device", &dev) < 0 ||
	    arg_bool(req, "persistent", &persistent) < 0)
		return API_DONE;
	if (op != NULL && !strcmp(op, "set")) {
		/* The whole assignment list at once (bulkhead apply). */
		json_object *list;
		vm->q.nusb = 0;
		if (!json_object_object_get_ex(req->args, "devices", &list) ||
		    !json_object_is_type(list, json_type_array)) {
			reply_error(req, "bad-request", "vm.usb set needs \"devices\" (an array)");
			return API_DONE;
		}
		for (size_t i = 0; i < json_object_array_length(list); i++) {
			json_object *d = json_object_array_get_idx(list, i);
			if (!json_object_is_type(d, json_type_string) ||
			    qube_usb_add(&vm->q, json_object_get_string(d), err, sizeof(err)) < 0) {
				vm->q = old;
				reply_error(req, "invalid", "%s", json_object_is_type(d,
				    json_type_string) ? err : "devices must be strings");
				return API_DONE;
			}
		}
		if (save(req, vm, &old) == 0)
			reply_ok(req, vm_to_json(vm));
		return API_DONE;
	}
	if (op == NULL || dev == NULL || (strcmp(op, "attach") && strcmp(op, "detach"))) {
		reply_error(req, "bad-request", "vm.usb needs \"op\" (attach, detach or set) and "
		    "\"device\"");
		return API_DONE;
	}
	if (!strcmp(op, "attach")) {
		if (persistent) {
			if (qube_usb_add(&vm->q, dev, err, sizeof(err)) < 0) {
				reply_error(req, "invalid", "%s", err);
				return API_DONE;
			}
			if (save(req, vm, &old) < 0)
				return API_DONE;
			/* Assigned: attached now if both run, else when they do. */
			if (vm->state != VM_RUNNING) {
				reply_ok(req, usb_list());
				return API_DONE;
			}
		}
		if (usb_attach(vm, dev, code, err, sizeof(err)) < 0 &&
		    !(persistent && !strcmp(code, "bad-state"))) {
			/* Refused (in use, not a USB qube...): no assignment either. */
			if (persistent && vm->q.nusb != old.nusb) {
				struct qube assigned = vm->q;
				vm->q = old;
				if (save(req, vm, &assigned) < 0)
					return API_DONE;
			}
			reply_error(req, code, "%s", err);
			return API_DONE;
		}
		reply_ok(req, usb_list());
		return API_DONE;
	}
	/* detach: also drops an assignment, so that it does not come back. */
	qube_usb_del(&vm->q, dev);
	if (vm->q.nusb != old.nusb && save(req, vm, &old) < 0)
		return API_DONE;
	if (usb_detach(vm, dev, err, sizeof(err)) < 0 && vm->q.nusb == old.nusb) {
		reply_error(req, "invalid", "%s", err);
		return API_DONE;
	}
	reply_ok(req, usb_list());
	return API_DONE;
}

const struct api_method api_vm_usb = { "vm.usb", API_NEEDS_VM | API_MODIFIES, usb_args, vm_usb };
