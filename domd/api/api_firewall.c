/* vm.firewall: list and change a qube's firewall rules (API.md). Every
 * change is validated, stored atomically, announced with an event and sent
 * to the qube's netvm (net.c); the reply waits until the netvm applied it. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "events.h"
#include "net.h"
#include "netvm_chan.h"
#include "log.h"
#include "store.h"
#include "xalloc.h"

static const char *const fw_args[] = { "op", "rule", "index", "n", "value", "rules", "policy",
	NULL };

/* The arguments each op takes besides "op". */
static const struct fw_op {
	const char *name;
	const char *args[3];
} fw_ops[] = {
	{ "list", { NULL } },
	{ "add", { "rule", "index", NULL } },
	{ "del", { "n", NULL } },
	{ "policy", { "value", NULL } },
	{ "reset", { NULL } },
	{ "set", { "rules", "policy", NULL } },
};

static json_object *
fw_to_json(const struct qube *q)
{
	json_object *o = json_object_new_object(), *rules = json_object_new_array();
	time_t now = time(NULL);

	for (int i = 0; i < q->fw.n; i++) {
		json_object *r = json_object_new_object();
		const char *text = qube_fw_rule(q, i);
		struct fwrule fr;
		char err[256];
		/* Stored rules are canonical and valid; one that is not counts
		 * as live (it would drop everything when applied). */
		bool expired = fwrule_parse(text, &fr, err, sizeof(err)) == 0 &&
		    fwrule_expired(&fr, now);

		json_object_object_add(r, "n", json_object_new_int(i + 1));
		json_object_object_add(r, "rule", json_object_new_string(text));
		json_object_object_add(r, "expired", json_object_new_boolean(expired));
		json_object_array_add(rules, r);
	}
	json_object_object_add(o, "policy", json_object_new_string(
	    fwrule_action_name(q->fw.policy)));
	json_object_object_add(o, "rules", rules);
	return o;
}

static const struct fw_op *
find_op(struct request *req, const char *op)
{
	const struct fw_op *o = NULL;

	for (size_t i = 0; i < sizeof(fw_ops) / sizeof(fw_ops[0]); i++)
		if (!strcmp(fw_ops[i].name, op))
			o = &fw_ops[i];
	if (o == NULL) {
		reply_error(req, "invalid", "vm.firewall: unknown op '%.64s' (expected list, add, "
		    "del, policy, reset or set)", op);
		return NULL;
	}
	json_object_object_foreach(req->args, key, val) {
		bool ok = !strcmp(key, "op");
		(void)val;
		for (const char *const *a = o->args; !ok && *a != NULL; a++)
			ok = !strcmp(*a, key);
		if (!ok) {
			reply_error(req, "invalid", "vm.firewall: argument '%s' does not go with "
			    "op %s", key, o->name);
			return NULL;
		}
	}
	return o;
}

static int
parse_policy(struct request *req, const char *value, int *out)
{
	if (fwrule_action_parse(value, out) == 0)
		return 0;
	reply_error(req, "invalid", "invalid firewall policy '%.64s' (expected accept or drop)",
	    value);
	return -1;
}

/* Replaces the whole firewall: {"rules":[…],"policy":…}; policy accept when
 * absent, as in a qube file without firewall_policy. */
static int
fw_set(struct request *req, struct qube *q)
{
	const char *policy = NULL;
	json_object *rules;
	char err[512];
	size_t n;

	if (arg_string(req, "policy", &policy) < 0)
		return -1;
	if (!json_object_object_get_ex(req->args, "rules", &rules) ||
	    !json_object_is_type(rules, json_type_array)) {
		reply_error(req, "bad-request", "vm.firewall set needs \"rules\", an array of "
		    "strings");
		return -1;
	}
	qube_fw_reset(q);
	if (policy != NULL && parse_policy(req, policy, &q->fw.policy) < 0)
		return -1;
	n = json_object_array_length(rules);
	if (n > QUBE_FW_RULES_MAX) {
		reply_error(req, "invalid", "too many firewall rules (%zu; at most %d)", n,
		    QUBE_FW_RULES_MAX);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *r = json_object_array_get_idx(rules, i);
		if (!json_object_is_type(r, json_type_string)) {
			reply_error(req, "invalid", "invalid firewall rule %zu: not a string", i + 1);
			return -1;
		}
		if (qube_fw_add(q, -1, json_object_get_string(r), err, sizeof(err)) < 0) {
			reply_error(req, "invalid", "invalid firewall rule %zu: %s", i + 1, err);
			return -1;
		}
	}
	return 0;
}

/* A vm.firewall request answered once the netvm has applied the rules. */
struct fw_reply {
	struct deferred d;
	json_object *result;
};

static void
answer_applied(const char *applied, void *arg)
{
	struct fw_reply *r = arg;

	json_object_object_add(r->result, "applied", json_object_new_string(applied));
	deferred_ok(&r->d, r->result);
	free(r);
}

static enum api_result
vm_firewall(struct request *req)
{
	struct vm *vm = req->vm;
	struct qube old = vm->q;
	struct vm *netvm;
	json_object *result;
	unsigned long gen;
	const struct fw_op *o;
	const char *op = NULL, *s = NULL;
	long num = 0;
	char err[512];

	if (arg_string(req, "op", &op) < 0)
		return API_DONE;
	if (op == NULL) {
		reply_error(req, "bad-request", "vm.firewall needs \"op\" (list, add, del, policy, "
		    "reset or set)");
		return API_DONE;
	}
	if ((o = find_op(req, op)) == NULL)
		return API_DONE;
	if (!strcmp(op, "list")) {
		reply_ok(req, fw_to_json(&vm->q));
		return API_DONE;
	}
	if (!req->c->may_modify) {
		reply_error(req, "permission", "permission denied: uid %d is neither root nor in "
		    "group bulkhead", (int)req->c->uid);
		return API_DONE;
	}
	if (vm->busy) {
		reply_error(req, "bad-state", "qube %s is busy (being created or copied)",
		    vm->q.name);
		return API_DONE;
	}
	if (!strcmp(op, "add")) {
		num = vm->q.fw.n + 1;
		if (arg_string(req, "rule", &s) < 0 || arg_int(req, "index", 1, LONG_MAX, &num) < 0)
			return API_DONE;
		if (s == NULL) {
			reply_error(req, "bad-request", "vm.firewall add needs \"rule\"");
			return API_DONE;
		}
		if (num > vm->q.fw.n + 1) {
			reply_error(req, "invalid", "invalid index %ld (%s has %d firewall rules; "
			    "expected 1 to %d)", num, vm->q.name, vm->q.fw.n, vm->q.fw.n + 1);
			return API_DONE;
		}
		if (qube_fw_add(&vm->q, (int)num - 1, s, err, sizeof(err)) < 0) {
			reply_error(req, "invalid", "%s", err);
			return API_DONE;
		}
	} else if (!strcmp(op, "del")) {
		num = 0;
		if (arg_int(req, "n", 1, LONG_MAX, &num) < 0)
			return API_DONE;
		if (num == 0) {
			reply_error(req, "bad-request", "vm.firewall del needs \"n\"");
			return API_DONE;
		}
		if (num > vm->q.fw.n) {
			reply_error(req, "invalid", "no firewall rule %ld (%s has %d)", num,
			    vm->q.name, vm->q.fw.n);
			return API_DONE;
		}
		qube_fw_del(&vm->q, (int)num - 1);
	} else if (!strcmp(op, "policy")) {
		if (arg_string(req, "value", &s) < 0)
			return API_DONE;
		if (s == NULL) {
			reply_error(req, "bad-request", "vm.firewall policy needs \"value\" (accept "
			    "or drop)");
			return API_DONE;
		}
		if (parse_policy(req, s, &vm->q.fw.policy) < 0)
			return API_DONE;
	} else if (!strcmp(op, "reset")) {
		qube_fw_reset(&vm->q);
	} else if (fw_set(req, &vm->q) < 0) {
		vm->q = old;
		return API_DONE;
	}
	if (store_save(vm) < 0) {
		int e = errno;
		vm->q = old;
		reply_error(req, "internal", "cannot save %s: %s", vm->q.name, strerror(e));
		return API_DONE;
	}
	log_info("%s: firewall %s: %d rules, policy %s", vm->q.name, op, vm->q.fw.n,
	    fwrule_action_name(vm->q.fw.policy));
	event_firewall(vm);
	/* The reply waits until the netvm has applied the change. */
	gen = net_rules_changed(vm, &netvm);
	result = fw_to_json(&vm->q);
	if (gen != 0) {
		struct fw_reply *r = xcalloc(1, sizeof(*r));
		const char *now;

		r->result = result;
		if (netvm_wait_applied(netvm, gen, answer_applied, r, &now) == 0) {
			defer(req, &r->d);
			return API_DEFERRED;
		}
		free(r);
		json_object_object_add(result, "applied", json_object_new_string(now));
		reply_ok(req, result);
		return API_DONE;
	}
	json_object_object_add(result, "applied", json_object_new_string(
	    vm->state == VM_HALTED ? "at its next start" : vm->q.netvm[0] == '\0' ?
	    "it has no netvm" : "when its netvm runs"));
	reply_ok(req, result);
	return API_DONE;
}

/* Not API_MODIFIES: "list" is open to anyone who may read (like vm.get);
 * the changing ops check the peer themselves. */
const struct api_method api_vm_firewall = { "vm.firewall", API_NEEDS_VM, fw_args, vm_firewall };
