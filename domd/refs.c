#include "refs.h"

#include <stdio.h>
#include <string.h>

#include "domd.h"
#include "store.h"

int
refs_check(const struct qube *q, char *code, char *err, size_t errlen)
{
	strcpy(code, "invalid");
	if (q->template_name[0] != '\0' && q->cls != QUBE_STANDALONE) {
		const struct vm *t = vm_find(q->template_name);
		if (t == NULL) {
			snprintf(err, errlen, "invalid template '%s': no such qube", q->template_name);
			return -1;
		}
		if (t->q.cls != QUBE_TEMPLATE) {
			snprintf(err, errlen, "invalid template '%s': it is a %s qube, not a template",
			    q->template_name, qube_class_name(t->q.cls));
			return -1;
		}
	}
	if (q->default_dispvm[0] != '\0') {
		const struct vm *d = vm_find(q->default_dispvm);
		if (d == NULL || !d->q.template_for_dispvms) {
			snprintf(err, errlen, "invalid default_dispvm '%s': no qube of that name with "
			    "template_for_dispvms = 1", q->default_dispvm);
			return -1;
		}
	}
	if (q->netvm[0] != '\0') {
		const struct vm *n = vm_find(q->netvm);
		if (n == NULL) {
			snprintf(err, errlen, "invalid netvm '%s': no such qube", q->netvm);
			return -1;
		}
		if (!n->q.provides_network) {
			snprintf(err, errlen, "invalid netvm '%s': it does not provide network "
			    "(provides_network = 0)", q->netvm);
			return -1;
		}
		/* Follow the chain from the netvm: it must not come back to q. */
		for (int hops = 0; n != NULL && hops < 1000; hops++) {
			if (!strcmp(n->q.name, q->name)) {
				snprintf(err, errlen, "invalid netvm '%s': it would make a loop",
				    q->netvm);
				return -1;
			}
			n = n->q.netvm[0] ? vm_find(n->q.netvm) : NULL;
		}
	}
	return 0;
}

const struct vm *
refs_user(const struct vm *vm, const char **how)
{
	for (const struct vm *u = domd.vms; u != NULL; u = u->next) {
		if (u == vm)
			continue;
		if (!strcmp(u->q.template_name, vm->q.name) && u->q.cls != QUBE_STANDALONE) {
			*how = "template";
			return u;
		}
		if (!strcmp(u->q.netvm, vm->q.name)) {
			*how = "netvm";
			return u;
		}
		if (!strcmp(u->q.default_dispvm, vm->q.name)) {
			*how = "default_dispvm";
			return u;
		}
	}
	return NULL;
}
