#include "api.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "domd.h"
#include "netvm_chan.h"
#include "log.h"
#include "rootgen.h"
#include "store.h"
#include "xalloc.h"

static const struct api_method *const methods[] = {
	&api_daemon_info, &api_vm_list, &api_vm_get, &api_vm_set, &api_vm_create,
	&api_vm_clone, &api_vm_remove, &api_vm_start, &api_vm_shutdown, &api_vm_kill,
	&api_vm_pause, &api_vm_unpause, &api_vm_stats, &api_template_import,
	&api_events_subscribe, &api_vm_run, &api_ask_list, &api_ask_answer, &api_vm_tag,
	&api_vm_firewall, &api_usb_list, &api_vm_usb,
	&api_policy_list, &api_policy_put, &api_policy_remove, &api_vm_restore,
};

static json_object *
make_error(json_object *id, const char *code, const char *msg)
{
	json_object *o = json_object_new_object(), *e = json_object_new_object();

	json_object_object_add(o, "id", id ? json_object_get(id) : NULL);
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(e, "code", json_object_new_string(code));
	json_object_object_add(e, "message", json_object_new_string(msg));
	json_object_object_add(o, "error", e);
	return o;
}

static json_object *
make_ok(json_object *id, json_object *result)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", id ? json_object_get(id) : NULL);
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "result", result ? result : json_object_new_object());
	return o;
}

void
reply_ok(struct request *req, json_object *result)
{
	json_object *o = make_ok(req->id, result);

	client_send(req->c, o);
	json_object_put(o);
}

static void
vreply_error(struct client *c, json_object *id, const char *code, const char *fmt, va_list ap)
{
	char msg[1024];
	json_object *o;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	o = make_error(id, code, msg);
	client_send(c, o);
	json_object_put(o);
}

void
reply_error(struct request *req, const char *code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreply_error(req->c, req->id, code, fmt, ap);
	va_end(ap);
}

void
api_reply_bad_line(struct client *c, const char *why)
{
	json_object *o = make_error(NULL, "bad-request", why);

	client_send(c, o);
	json_object_put(o);
	log_warnx("client %lu (pid %d): %s", c->serial, (int)c->pid, why);
}

char *
api_error_line(const char *code, const char *message)
{
	json_object *o = make_error(NULL, code, message);
	char *line = xasprintf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));

	json_object_put(o);
	return line;
}

void
defer(struct request *req, struct deferred *d)
{
	d->client = req->c->serial;
	d->id = req->id ? json_object_get(req->id) : NULL;
	req->c->blocked = true;
}

static struct client *
deferred_take(struct deferred *d)
{
	struct client *c = client_by_serial(d->client);

	d->client = 0;
	return c;
}

void
deferred_ok(struct deferred *d, json_object *result)
{
	struct client *c = deferred_take(d);
	json_object *o;

	if (c != NULL) {
		o = make_ok(d->id, result);
		client_send(c, o);
		json_object_put(o);
		client_unblock(c);
	} else
		json_object_put(result);
	json_object_put(d->id);
	d->id = NULL;
}

void
deferred_error(struct deferred *d, const char *code, const char *fmt, ...)
{
	struct client *c = deferred_take(d);
	va_list ap;

	if (c != NULL) {
		va_start(ap, fmt);
		vreply_error(c, d->id, code, fmt, ap);
		va_end(ap);
		client_unblock(c);
	}
	json_object_put(d->id);
	d->id = NULL;
}

static const struct api_method *
find_method(const char *name)
{
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (!strcmp(methods[i]->name, name))
			return methods[i];
	return NULL;
}

static bool
arg_allowed(const struct api_method *m, const char *key)
{
	for (const char *const *a = m->args; a != NULL && *a != NULL; a++)
		if (!strcmp(*a, key))
			return true;
	return false;
}

void
api_run(struct request *req, const char *vm_name)
{
	const struct api_method *m;

	if ((m = find_method(req->method)) == NULL) {
		reply_error(req, "unknown-method", "unknown method '%.64s'", req->method);
		return;
	}
	if ((m->flags & API_MODIFIES) && !req->c->may_modify) {
		reply_error(req, "permission", "permission denied: uid %d is neither root "
		    "nor in group bulkhead", (int)req->c->uid);
		return;
	}
	if (req->args != NULL) {
		if (!json_object_is_type(req->args, json_type_object)) {
			reply_error(req, "bad-request", "\"args\" must be an object");
			return;
		}
		json_object_object_foreach(req->args, key, val) {
			(void)val;
			if (!arg_allowed(m, key)) {
				reply_error(req, "invalid", "%s: unknown argument '%.64s'", m->name, key);
				return;
			}
		}
	}
	if (m->flags & (API_NEEDS_VM | API_TAKES_VM)) {
		if (vm_name == NULL) {
			reply_error(req, "bad-request", "%s needs a \"vm\" string", m->name);
			return;
		}
		req->vm_name = vm_name;
		if (!qube_name_valid(req->vm_name)) {
			reply_error(req, "invalid", "invalid qube name '%.64s' (expected "
			    "[A-Za-z][A-Za-z0-9_-]{0,30})", req->vm_name);
			return;
		}
		req->vm = vm_find(req->vm_name);
		if ((m->flags & API_NEEDS_VM) && req->vm == NULL) {
			reply_error(req, "no-such-vm", "no qube named '%s'", req->vm_name);
			return;
		}
	}
	m->fn(req);
}

void
api_handle_line(struct client *c, const char *line)
{
	struct request req = { .c = c };
	const char *vm_name = NULL;
	json_object *root, *v;
	json_tokener *tok;

	if (line[0] == '\0')
		return; /* blank lines are keep-alives */
	tok = json_tokener_new_ex(32);
	root = json_tokener_parse_ex(tok, line, (int)strlen(line));
	if (root != NULL && json_tokener_get_parse_end(tok) < strlen(line)) {
		json_object_put(root);
		root = NULL;
	}
	json_tokener_free(tok);
	if (root == NULL || !json_object_is_type(root, json_type_object)) {
		api_reply_bad_line(c, "request is not a JSON object");
		c->closing = true;
		json_object_put(root);
		return;
	}
	json_object_object_get_ex(root, "id", &req.id);
	if (!json_object_object_get_ex(root, "method", &v) || !json_object_is_type(v, json_type_string)) {
		reply_error(&req, "bad-request", "request has no \"method\" string");
		goto out;
	}
	req.method = json_object_get_string(v);
	if (json_object_object_get_ex(root, "vm", &v) && json_object_is_type(v, json_type_string))
		vm_name = json_object_get_string(v);
	json_object_object_get_ex(root, "args", &req.args);
	api_run(&req, vm_name);
out:
	json_object_put(root);
}

/* Keys that are literals and new: no copy and no lookup (vm.list builds
 * tens of thousands of them). */
#define ADD(o, key, v) \
	json_object_object_add_ex((o), (key), (v), \
	    JSON_C_OBJECT_ADD_KEY_IS_NEW | JSON_C_OBJECT_ADD_CONSTANT_KEY)

json_object *
vm_to_json(const struct vm *vm)
{
	json_object *o = json_object_new_object();
	const struct qube *q = &vm->q;

	ADD(o, "name", json_object_new_string(q->name));
	ADD(o, "class", json_object_new_string(qube_class_name(q->cls)));
	ADD(o, "label", json_object_new_string(qube_label_name(q->label)));
	ADD(o, "template", json_object_new_string(q->template_name));
	ADD(o, "netvm", json_object_new_string(q->netvm));
	ADD(o, "memory", json_object_new_int64(q->memory));
	ADD(o, "vcpus", json_object_new_int64(q->vcpus));
	ADD(o, "virt_mode", json_object_new_string(qube_virt_mode_name(q->virt_mode)));
	ADD(o, "private_size", json_object_new_int64(q->private_size));
	ADD(o, "pids_max", json_object_new_int64(q->pids_max));
	ADD(o, "uid_base", json_object_new_int64(q->uid_base));
	ADD(o, "autostart", json_object_new_boolean(q->autostart));
	ADD(o, "provides_network", json_object_new_boolean(q->provides_network));
	ADD(o, "template_for_dispvms",
	    json_object_new_boolean(q->template_for_dispvms));
	ADD(o, "default_dispvm", json_object_new_string(q->default_dispvm));
	ADD(o, "provides_usb", json_object_new_boolean(q->provides_usb));
	ADD(o, "uuid", json_object_new_string(q->uuid));
	ADD(o, "ip", json_object_new_string(q->ip));
	ADD(o, "uplink", json_object_new_string(q->uplink));
	ADD(o, "uplink_address", json_object_new_string(q->uplink_address));
	ADD(o, "uplink_gateway", json_object_new_string(q->uplink_gateway));
	ADD(o, "uplink_dns", json_object_new_string(q->uplink_dns));
	ADD(o, "ipv6", json_object_new_boolean(q->ipv6));
	ADD(o, "listen", json_object_new_string(q->listen));
	if (q->provides_network) {
		const char *st = netvm_status(vm);
		ADD(o, "network_status", json_object_new_string(
		    st != NULL ? st : "not running"));
	}
	{
		json_object *tags = json_object_new_array();
		for (int i = 0; i < q->ntags; i++)
			json_object_array_add(tags, json_object_new_string(q->tags[i]));
		ADD(o, "tags", tags);
	}
	{
		json_object *usb = json_object_new_array();
		for (int i = 0; i < q->nusb; i++)
			json_object_array_add(usb, json_object_new_string(q->usb[i]));
		ADD(o, "usb", usb);
	}
	/* The rules themselves come from vm.firewall: 128 of them per qube
	 * would swell vm.list. */
	ADD(o, "firewall_policy", json_object_new_string(
	    fwrule_action_name(q->fw.policy)));
	ADD(o, "firewall_rules", json_object_new_int(q->fw.n));
	ADD(o, "state", json_object_new_string(vm_state_name(vm->state)));
	ADD(o, "state_reason", json_object_new_string(vm->reason));
	ADD(o, "backend", json_object_new_string(domd.backend->name));
	/* Qubes' "restart to update" (rootgen.h). */
	ADD(o, "outdated", json_object_new_boolean(rootgen_outdated(vm)));
	if (q->cls == QUBE_TEMPLATE)
		ADD(o, "root_generation", json_object_new_int64(vm->root_gen));
	if (vm->state != VM_HALTED && vm->rt.init_pid > 0)
		ADD(o, "pid", json_object_new_int(vm->rt.init_pid));
	return o;
}

static json_object *
arg_get(struct request *req, const char *key)
{
	json_object *v;

	if (req->args == NULL || !json_object_object_get_ex(req->args, key, &v))
		return NULL;
	return v;
}

int
arg_int(struct request *req, const char *key, long min, long max, long *out)
{
	json_object *v = arg_get(req, key);
	long long n;

	if (v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_int) ||
	    (n = json_object_get_int64(v)) < min || n > max) {
		reply_error(req, "invalid", "%s: argument '%s' must be an integer from %ld to %ld",
		    req->method, key, min, max);
		return -1;
	}
	*out = (long)n;
	return 0;
}

int
arg_bool(struct request *req, const char *key, bool *out)
{
	json_object *v = arg_get(req, key);

	if (v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_boolean)) {
		reply_error(req, "invalid", "%s: argument '%s' must be true or false",
		    req->method, key);
		return -1;
	}
	*out = json_object_get_boolean(v);
	return 0;
}

int
arg_string(struct request *req, const char *key, const char **out)
{
	json_object *v = arg_get(req, key);

	if (v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_string)) {
		reply_error(req, "invalid", "%s: argument '%s' must be a string", req->method, key);
		return -1;
	}
	*out = json_object_get_string(v);
	return 0;
}

int
json_scalar_text(json_object *v, char *buf, size_t len)
{
	switch (json_object_get_type(v)) {
	case json_type_string:
		if (strlen(json_object_get_string(v)) >= len)
			return -1;
		snprintf(buf, len, "%s", json_object_get_string(v));
		return 0;
	case json_type_int:
		snprintf(buf, len, "%lld", (long long)json_object_get_int64(v));
		return 0;
	case json_type_boolean:
		snprintf(buf, len, "%d", json_object_get_boolean(v));
		return 0;
	default:
		return -1;
	}
}
