/* The policy (lib/policy.h) evaluated over domd's qubes (call.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "domd.h"
#include "store.h"
#include "xalloc.h"

/* The policy's view of domd's qubes, built per decision. */
struct env_ctx {
	struct policy_qube *q;
	const char ***tags;
	size_t n;
};

static struct policy *policy_cached;

static const char *
qube_type(const struct vm *vm)
{
	switch (vm->q.cls) {
	case QUBE_TEMPLATE:
		return "TemplateVM";
	case QUBE_STANDALONE:
		return "StandaloneVM";
	case QUBE_DISP:
		return "DispVM";
	default:
		return "AppVM";
	}
}

static const struct policy_qube *
env_nth(void *ctx, size_t i)
{
	struct env_ctx *e = ctx;

	return i < e->n ? &e->q[i] : NULL;
}

static const struct policy_qube *
env_find(void *ctx, const char *name)
{
	static const struct policy_qube dom0 = { "dom0", "AdminVM", NULL, false, true };
	struct env_ctx *e = ctx;

	if (!strcmp(name, "dom0"))
		return &dom0;
	for (size_t i = 0; i < e->n; i++)
		if (!strcmp(e->q[i].name, name))
			return &e->q[i];
	return NULL;
}

void
call_decide(const char *source, const char *service, const char *arg, const char *target,
    struct policy_decision *out)
{
	char dir[1100];
	struct env_ctx e = { 0 };
	struct policy_env env = { env_find, &e, "", env_nth };
	struct vm *src = vm_find(source);
	size_t i = 0;

	snprintf(dir, sizeof(dir), "%s/policy.d", domd.paths.config_dir);
	for (struct vm *vm = domd.vms; vm != NULL; vm = vm->next)
		e.n++;
	e.q = xcalloc(e.n + 1, sizeof(*e.q));
	e.tags = xcalloc(e.n + 1, sizeof(*e.tags));
	for (struct vm *vm = domd.vms; vm != NULL; vm = vm->next, i++) {
		e.tags[i] = xcalloc((size_t)vm->q.ntags + 1, sizeof(char *));
		for (int t = 0; t < vm->q.ntags; t++)
			e.tags[i][t] = vm->q.tags[t];
		e.q[i].name = vm->q.name;
		e.q[i].type = qube_type(vm);
		e.q[i].tags = e.tags[i];
		e.q[i].template_for_dispvms = vm->q.template_for_dispvms;
		e.q[i].running = vm->state == VM_RUNNING;
	}
	if (src != NULL)
		env.default_dispvm = src->q.default_dispvm;
	policy_evaluate(policy_cache_get(&policy_cached, dir), &env, service, arg, source,
	    target[0] ? target : "@default", out);
	for (i = 0; i < e.n; i++)
		free(e.tags[i]);
	free(e.tags);
	free(e.q);
}
