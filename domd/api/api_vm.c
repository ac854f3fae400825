/* vm.list, vm.get, vm.set, vm.create, vm.clone, vm.remove. */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api.h"
#include "disk_image.h"
#include "domd.h"
#include "events.h"
#include "job.h"
#include "log.h"
#include "net.h"
#include "refs.h"
#include "rpc.h"
#include "store.h"
#include "xalloc.h"

static enum api_result
vm_list(struct request *req)
{
	json_object *a = json_object_new_array();
	/* A qube sees the qubes the policy lets it list (Qubes' admin.vm.List). */
	struct rpc_admin_view *view = req->c->remote[0] ?
	    rpc_admin_view_new(req->c->remote, "vm.list") : NULL;

	for (struct vm *vm = domd.vms; vm != NULL; vm = vm->next)
		if (view == NULL || rpc_admin_view_allows(view, vm->q.name))
			json_object_array_add(a, vm_to_json(vm));
	if (view != NULL)
		rpc_admin_view_free(view);
	reply_ok(req, a);
	/* A big listing leaves a lot of freed JSON behind: give it back. */
	malloc_trim(0);
	return API_DONE;
}

const struct api_method api_vm_list = { "vm.list", 0, NULL, vm_list };

static enum api_result
vm_get(struct request *req)
{
	reply_ok(req, vm_to_json(req->vm));
	return API_DONE;
}

const struct api_method api_vm_get = { "vm.get", API_NEEDS_VM, NULL, vm_get };

static const char *const set_args[] = { "prop", "value", NULL };

/* A private image is never shrunk (that would cut its file system). */
static bool
private_shrinks(const struct vm *vm, char *err, size_t errlen)
{
	char img[4200];
	long mib;

	snprintf(img, sizeof(img), "%s/" PRIVATE_IMAGE, vm_dir(vm->q.name));
	if ((mib = disk_image_mib(img)) <= vm->q.private_size)
		return false;
	snprintf(err, errlen, "private_size of %s cannot shrink below its image's %ld MiB",
	    vm->q.name, mib);
	return true;
}

static enum api_result
vm_set(struct request *req)
{
	struct vm *vm = req->vm;
	const struct qube_prop *p;
	const char *prop = NULL, *how;
	const struct vm *user;
	json_object *v;
	struct qube old = vm->q;
	char val[256], err[512], code[32];

	if (arg_string(req, "prop", &prop) < 0)
		return API_DONE;
	if (prop == NULL || req->args == NULL || !json_object_object_get_ex(req->args, "value", &v)) {
		reply_error(req, "bad-request", "vm.set needs \"prop\" and \"value\"");
		return API_DONE;
	}
	if ((p = qube_prop_find(prop)) == NULL) {
		reply_error(req, "invalid", "unknown property '%.64s'", prop);
		return API_DONE;
	}
	if (!p->settable) {
		reply_error(req, "invalid", "property '%s' cannot be changed", prop);
		return API_DONE;
	}
	if (json_scalar_text(v, val, sizeof(val)) < 0) {
		reply_error(req, "invalid", "invalid %s: value must be a short string, number or bool",
		    prop);
		return API_DONE;
	}
	if (p->halted_only && vm->state != VM_HALTED) {
		reply_error(req, "bad-state", "%s of %s can change only while it is halted", prop,
		    vm->q.name);
		return API_DONE;
	}
	if (!strcmp(prop, "template") && (vm->q.cls == QUBE_TEMPLATE || vm->q.cls == QUBE_STANDALONE)) {
		reply_error(req, "invalid", "a %s qube has no template to change",
		    qube_class_name(vm->q.cls));
		return API_DONE;
	}
	if (qube_set(&vm->q, prop, val, err, sizeof(err)) < 0 ||
	    qube_check(&vm->q, err, sizeof(err)) < 0) {
		vm->q = old;
		reply_error(req, "invalid", "%s", err);
		return API_DONE;
	}
	if (refs_check(&vm->q, code, err, sizeof(err)) < 0) {
		vm->q = old;
		reply_error(req, code, "%s", err);
		return API_DONE;
	}
	if (!strcmp(prop, "private_size") && private_shrinks(vm, err, sizeof(err))) {
		vm->q = old;
		reply_error(req, "invalid", "%s", err);
		return API_DONE;
	}
	if (!strcmp(prop, "netvm") && vm_is_active(vm) && vm->q.netvm[0] != '\0' &&
	    strcmp(vm->q.netvm, old.netvm) != 0) {
		/* Re-linked at once: the new netvm must be there. */
		const struct vm *n = vm_find(vm->q.netvm);
		if (n == NULL || (n->state != VM_RUNNING && n->state != VM_PAUSED)) {
			vm->q = old;
			reply_error(req, "bad-state", "netvm %s is not running: start it first, "
			    "then change the netvm of running %s", val, vm->q.name);
			return API_DONE;
		}
	}
	if (!strcmp(prop, "provides_network") && !vm->q.provides_network &&
	    (user = refs_user(vm, &how)) != NULL && !strcmp(how, "netvm")) {
		vm->q = old;
		reply_error(req, "in-use", "%s is the netvm of %s", vm->q.name, user->q.name);
		return API_DONE;
	}
	if (store_save(vm) < 0) {
		vm->q = old;
		reply_error(req, "internal", "cannot save %s: %s", vm->q.name, strerror(errno));
		return API_DONE;
	}
	event_property(vm, prop);
	if (!strcmp(prop, "netvm") && strcmp(vm->q.netvm, old.netvm) != 0)
		net_netvm_changed(vm, old.netvm);
	if (!strcmp(prop, "listen") || (!strcmp(prop, "netvm") && vm->q.listen[0] != '\0'))
		net_listen_changed(vm);
	reply_ok(req, vm_to_json(vm));
	return API_DONE;
}

const struct api_method api_vm_set = { "vm.set", API_NEEDS_VM | API_MODIFIES, set_args, vm_set };

/* An asynchronous create (copy job, then commit). */
struct creation {
	struct vm *vm;
	struct deferred d;
};

static void
creation_done(void *arg, int ok, const char *what)
{
	struct creation *cr = arg;
	struct vm *vm = cr->vm;
	char err[512];

	if (!ok) {
		store_discard_stage(vm->q.name);
		deferred_error(&cr->d, "internal", "creating %s failed: %s", vm->q.name, what);
		goto drop;
	}
	if (store_commit_stage(&vm->q, err, sizeof(err)) < 0) {
		store_discard_stage(vm->q.name);
		deferred_error(&cr->d, "internal", "%s", err);
		goto drop;
	}
	vm->busy = false;
	event_simple("created", vm->q.name);
	deferred_ok(&cr->d, vm_to_json(vm));
	free(cr);
	return;
drop:
	vm_unlink(vm);
	free(vm);
	free(cr);
}

/* Reserves the name (a busy placeholder in the list) while files are
 * copied; "from" is copied to "to", then the stage is committed. */
static enum api_result
create_by_copy(struct request *req, struct vm *vm, const char *from, const char *to)
{
	struct creation *cr = xcalloc(1, sizeof(*cr));
	char *argv[] = { "/bin/cp", "-a", "--reflink=auto", "--sparse=always", (char *)from, (char *)to, NULL };

	vm->busy = true;
	vm_insert(vm);
	cr->vm = vm;
	defer(req, &cr->d);
	job_spawn(argv, creation_done, cr);
	return API_DEFERRED;
}

static struct vm *
new_vm(void)
{
	struct vm *vm = vm_alloc();
	return vm;
}

static const char *const create_args[] = { "class", "label", "template", "netvm", "memory",
	"vcpus", "virt_mode", "private_size", "pids_max", "autostart", "provides_network", "template_for_dispvms", "default_dispvm", "provides_usb", "uplink",
	"uplink_address", "uplink_gateway", "uplink_dns", "ipv6", NULL };

static enum api_result
vm_create(struct request *req)
{
	struct vm *vm;
	char val[256], err[512], code[32], path[4200];

	if (req->vm != NULL) {
		reply_error(req, "exists", "a qube named '%s' exists already", req->vm_name);
		return API_DONE;
	}
	vm = new_vm();
	qube_set(&vm->q, "name", req->vm_name, err, sizeof(err));
	qube_new_uuid(vm->q.uuid);
	if (req->args != NULL) {
		json_object_object_foreach(req->args, key, v) {
			if (json_scalar_text(v, val, sizeof(val)) < 0) {
				reply_error(req, "invalid", "invalid %s: value must be a short string, "
				    "number or bool", key);
				goto fail;
			}
			if (qube_set(&vm->q, key, val, err, sizeof(err)) < 0) {
				reply_error(req, "invalid", "%s", err);
				goto fail;
			}
		}
	}
	/* A qube made by a management qube carries its maker's tag, for
	 * policy (@tag:created-by-NAME), as in Qubes. */
	if (req->c->remote[0]) {
		char tag[64];
		snprintf(tag, sizeof(tag), "created-by-%s", req->c->remote);
		if (qube_tag_add(&vm->q, tag, err, sizeof(err)) < 0) {
			reply_error(req, "invalid", "%s", err);
			goto fail;
		}
	}
	if (qube_check(&vm->q, err, sizeof(err)) < 0) {
		reply_error(req, "invalid", "%s", err);
		goto fail;
	}
	if (refs_check(&vm->q, code, err, sizeof(err)) < 0) {
		reply_error(req, code, "%s", err);
		goto fail;
	}
	if (vm->q.cls == QUBE_STANDALONE && vm->q.template_name[0] != '\0') {
		const struct vm *t = vm_find(vm->q.template_name);
		if (t == NULL || t->q.cls != QUBE_TEMPLATE || t->busy) {
			reply_error(req, "invalid", "invalid template '%s': no such idle template",
			    vm->q.template_name);
			goto fail;
		}
		if (store_prepare_stage(&vm->q, err, sizeof(err)) < 0) {
			reply_error(req, "internal", "%s", err);
			goto fail;
		}
		snprintf(path, sizeof(path), "%s/root", store_stage(vm->q.name));
		return create_by_copy(req, vm, vm_root_dir(t->q.name), path);
	}
	if (store_prepare_stage(&vm->q, err, sizeof(err)) < 0) {
		reply_error(req, "internal", "%s", err);
		goto fail;
	}
	if (vm->q.cls == QUBE_TEMPLATE || vm->q.cls == QUBE_STANDALONE) {
		snprintf(path, sizeof(path), "%s/root", store_stage(vm->q.name));
		if (mkdir(path, 0755) < 0) {
			reply_error(req, "internal", "cannot create %s: %s", path, strerror(errno));
			store_discard_stage(vm->q.name);
			goto fail;
		}
	}
	if (store_commit_stage(&vm->q, err, sizeof(err)) < 0) {
		store_discard_stage(vm->q.name);
		reply_error(req, "internal", "%s", err);
		goto fail;
	}
	vm_insert(vm);
	event_simple("created", vm->q.name);
	reply_ok(req, vm_to_json(vm));
	return API_DONE;
fail:
	free(vm);
	return API_DONE;
}

const struct api_method api_vm_create = { "vm.create", API_TAKES_VM | API_MODIFIES, create_args,
	vm_create };

static const char *const clone_args[] = { "target", NULL };

static enum api_result
vm_clone(struct request *req)
{
	const char *target = NULL;
	struct vm *vm;
	char err[512], src[4200];

	if (arg_string(req, "target", &target) < 0)
		return API_DONE;
	if (target == NULL) {
		reply_error(req, "bad-request", "vm.clone needs \"target\"");
		return API_DONE;
	}
	if (!qube_name_valid(target)) {
		reply_error(req, "invalid", "invalid name '%.64s' (expected [A-Za-z][A-Za-z0-9_-]{0,30})",
		    target);
		return API_DONE;
	}
	if (vm_find(target) != NULL) {
		reply_error(req, "exists", "a qube named '%s' exists already", target);
		return API_DONE;
	}
	if (req->vm->state != VM_HALTED || req->vm->busy) {
		reply_error(req, "bad-state", "qube %s must be halted and idle to be cloned",
		    req->vm->q.name);
		return API_DONE;
	}
	vm = new_vm();
	vm->q = req->vm->q;
	qube_set(&vm->q, "name", target, err, sizeof(err));
	qube_new_uuid(vm->q.uuid);
	vm->q.ip[0] = '\0'; /* an address of its own, given at its first start */
	vm->q.uid_base = 0; /* and ids of its own (ns) */
	vm->q.autostart = false;
	vm->root_gen = req->vm->root_gen; /* its root-generation file is copied too */
	/* Copy into a fresh stage: cp creates it as the copy of the source. */
	store_discard_stage(target);
	snprintf(src, sizeof(src), "%s", vm_dir(req->vm->q.name));
	return create_by_copy(req, vm, src, store_stage(target));
}

const struct api_method api_vm_clone = { "vm.clone", API_NEEDS_VM | API_MODIFIES, clone_args,
	vm_clone };

static enum api_result
vm_remove(struct request *req)
{
	struct vm *vm = req->vm;
	const struct vm *user;
	const char *how;
	char err[512];

	if (vm->state != VM_HALTED || vm->busy) {
		reply_error(req, "bad-state", "qube %s is %s; shut it down first", vm->q.name,
		    vm->busy ? "busy" : vm_state_name(vm->state));
		return API_DONE;
	}
	if ((user = refs_user(vm, &how)) != NULL) {
		reply_error(req, "in-use", "qube %s is the %s of %s", vm->q.name, how, user->q.name);
		return API_DONE;
	}
	if (store_remove(vm->q.name, err, sizeof(err)) < 0) {
		reply_error(req, "internal", "%s", err);
		return API_DONE;
	}
	event_simple("removed", vm->q.name);
	reply_ok(req, json_object_new_object());
	vm_unlink(vm);
	free(vm);
	return API_DONE;
}

const struct api_method api_vm_remove = { "vm.remove", API_NEEDS_VM | API_MODIFIES, NULL, vm_remove };
