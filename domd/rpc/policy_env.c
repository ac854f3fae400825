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

/* The policy's view of domd's qubes, made once for several decisions. */
struct call_env {
	struct env_ctx e;
	struct policy_env env;
	const struct policy *policy;
};

struct call_env *
call_env_new(const char *source)
{
	struct call_env *ce = xcalloc(1, sizeof(*ce));
	struct env_ctx *e = &ce->e;
	struct vm *src = vm_find(source);
	char dir[1100];
	size_t i = 0;

	snprintf(dir, sizeof(dir), "%s/policy.d", domd.paths.config_dir);
	for (struct vm *vm = domd.vms; vm != NULL; vm = vm->next)
		e->n++;
	e->q = xcalloc(e->n + 1, sizeof(*e->q));
	e->tags = xcalloc(e->n + 1, sizeof(*e->tags));
	for (struct vm *vm = domd.vms; vm != NULL; vm = vm->next, i++) {
		e->tags[i] = xcalloc((size_t)vm->q.ntags + 1, sizeof(char *));
		for (int t = 0; t < vm->q.ntags; t++)
			e->tags[i][t] = vm->q.tags[t];
		e->q[i].name = vm->q.name;
		e->q[i].type = qube_type(vm);
		e->q[i].tags = e->tags[i];
		e->q[i].template_for_dispvms = vm->q.template_for_dispvms;
		e->q[i].running = vm->state == VM_RUNNING;
	}
	ce->env = (struct policy_env){ env_find, e, "", env_nth };
	if (src != NULL)
		ce->env.default_dispvm = src->q.default_dispvm;
	ce->policy = policy_cache_get(&policy_cached, dir);
	return ce;
}

void
call_env_decide(struct call_env *ce, const char *source, const char *service, const char *arg,
    const char *target, struct policy_decision *out)
{
	policy_evaluate(ce->policy, &ce->env, service, arg, source,
	    target[0] ? target : "@default", out);
}

void
call_env_free(struct call_env *ce)
{
	for (size_t i = 0; i < ce->e.n; i++)
		free(ce->e.tags[i]);
	free(ce->e.tags);
	free(ce->e.q);
	free(ce);
}

void
call_decide(const char *source, const char *service, const char *arg, const char *target,
    struct policy_decision *out)
{
	struct call_env *ce = call_env_new(source);

	call_env_decide(ce, source, service, arg, target, out);
	call_env_free(ce);
}
