/* Calls of the admin API from qubes (lib/admin_rpc.h): the method must be
 * on the allow-list and the policy must allow the caller that method on
 * its target, per call. The caller's guard then reads the arguments; the
 * admin API answers on domd's end of the data channel (call.h). Every
 * call is logged with its caller, method, target and decision, and sent
 * to dom0's event stream. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "call.h"
#include "domd.h"
#include "events.h"
#include "log.h"
#include "store.h"
#include "xalloc.h"

#define PENDING_PER_QUBE 64 /* calls whose arguments are being read */

/* An allowed call whose arguments its caller's guard is reading. */
struct pending {
	char caller[QUBE_NAME_MAX + 1];
	uint32_t id, method;
	char target[POLICY_TARGET_MAX];
	char arg[RPC_ARG_MAX + 1];
	int fd;
	struct pending *next;
};

static struct pending *pending;
static uint32_t next_id = 1;
static struct rpc_admin_handlers handlers;

void
rpc_set_admin_handlers(const struct rpc_admin_handlers *h)
{
	handlers = *h;
}

struct rpc_admin_view {
	struct call_env *env;
	char caller[QUBE_NAME_MAX + 1];
	char service[RPC_SERVICE_MAX + 1];
};

struct rpc_admin_view *
rpc_admin_view_new(const char *caller, const char *method)
{
	struct rpc_admin_view *v = xcalloc(1, sizeof(*v));

	v->env = call_env_new(caller);
	snprintf(v->caller, sizeof(v->caller), "%s", caller);
	snprintf(v->service, sizeof(v->service), ADMIN_RPC_PREFIX "%s", method);
	return v;
}

bool
rpc_admin_view_allows(struct rpc_admin_view *v, const char *target)
{
	struct policy_decision d;

	call_env_decide(v->env, v->caller, v->service, "", target, &d);
	return d.action == POLICY_ALLOW;
}

void
rpc_admin_view_free(struct rpc_admin_view *v)
{
	call_env_free(v->env);
	free(v);
}

bool
rpc_admin_allows(const char *caller, const char *method, const char *target)
{
	struct rpc_admin_view *v = rpc_admin_view_new(caller, method);
	bool ok = rpc_admin_view_allows(v, target);

	rpc_admin_view_free(v);
	return ok;
}

#define AUDIT_MAX (1024 * 1024) /* then the file becomes .1 */

/* One line in STATE/qubes/CALLER/admin-calls.log, which the console shows
 * (A): the time, the call, the target and the decision. */
static void
audit_file(const char *caller, const char *line)
{
	char path[4200], old[4300];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/admin-calls.log", vm_dir(caller));
	if (stat(path, &st) == 0 && st.st_size > AUDIT_MAX) {
		snprintf(old, sizeof(old), "%s.1", path);
		rename(path, old);
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0 || write(fd, line, strlen(line)) < 0)
		log_warn("%s", path);
	if (fd >= 0)
		close(fd);
}

/* why: NULL for the policy's own deny. */
static void
audit(const struct call *k, const char *target, const char *decision, const char *why)
{
	char line[512], when[32];
	time_t now = time(NULL);
	struct tm tm;

	if (why == NULL)
		why = "policy";
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(line, sizeof(line), "%s %s%s%s on %s: %s (%.200s)\n", when,
	    k->service + strlen(ADMIN_RPC_PREFIX), k->arg[0] ? "+" : "", k->arg, target,
	    decision, why);
	audit_file(k->source, line);
	log_info("admin: %s calls %s%s%s on %s: %s (%s)", k->source, k->service,
	    k->arg[0] ? "+" : "", k->arg, target, decision, why);
	event_admin_call(k->source, k->service + strlen(ADMIN_RPC_PREFIX), target, decision);
}

static bool
refuse(struct call *k, const char *target, const char *why)
{
	audit(k, target, "denied", why);
	call_finish(k, RPC_DENIED, target, -1, why); /* bulkhead-rpc: "denied by policy: WHY" */
	return true;
}

static bool
is_dom0(const char *t)
{
	return !strcmp(t, "dom0") || !strcmp(t, "@adminvm");
}

static int
count_pending(const char *caller)
{
	int n = 0;

	for (struct pending *p = pending; p != NULL; p = p->next)
		n += !strcmp(p->caller, caller);
	return n;
}

bool
admin_call_answer(struct call *k)
{
	const struct admin_rpc_method *m;
	struct policy_decision d;
	struct pending *p;
	struct vm *caller;
	const char *target = k->target;
	uint32_t index;
	int sp[2];

	if (strncmp(k->service, ADMIN_RPC_PREFIX, strlen(ADMIN_RPC_PREFIX)) != 0)
		return false;
	if (k->caller == NULL || (caller = vm_find(k->source)) == NULL)
		return refuse(k, target, "the admin API answers qubes only here");
	if ((m = admin_rpc_find(k->service, &index)) == NULL)
		return refuse(k, target, "not a method a qube may call");
	if (m->target == ADMIN_RPC_ON_QUBE) {
		if (vm_find(target) == NULL)
			return refuse(k, target, "the target must be a qube that exists");
	} else if (!is_dom0(target))
		return refuse(k, target, "the target of this method is dom0");
	else
		target = "dom0";
	if (m->arg_is_prop ? !admin_rpc_prop_allowed(k->arg) :
	    m->target == ADMIN_RPC_CREATES ? !qube_name_valid(k->arg) : k->arg[0] != '\0')
		return refuse(k, target, m->arg_is_prop ? "a property a qube may not change" :
		    m->target == ADMIN_RPC_CREATES ? "the argument must be the new qube's name" :
		    "this method takes no argument");
	call_decide(k->source, k->service, k->arg, target, &d);
	if (d.action != POLICY_ALLOW)
		return refuse(k, target, d.action == POLICY_ASK ?
		    "ask is not offered for admin methods" : NULL);
	if (handlers.call == NULL || count_pending(k->source) >= PENDING_PER_QUBE)
		return refuse(k, target, "too many admin calls waiting for their arguments");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sp) < 0) {
		call_finish(k, RPC_FAILED, "dom0", -1, "cannot make a channel");
		return true;
	}
	p = xcalloc(1, sizeof(*p));
	snprintf(p->caller, sizeof(p->caller), "%s", k->source);
	snprintf(p->target, sizeof(p->target), "%s", target);
	snprintf(p->arg, sizeof(p->arg), "%s", k->arg);
	p->id = next_id++;
	if (next_id == 0)
		next_id = 1; /* 0 is no call */
	p->method = index;
	p->fd = sp[0];
	if (guard_send_admin(caller, p->id, index, sp[0]) < 0) {
		close(sp[0]);
		close(sp[1]);
		free(p);
		call_finish(k, RPC_FAILED, "dom0", -1, "the caller's guard does not answer");
		return true;
	}
	p->next = pending;
	pending = p;
	audit(k, target, "allowed", d.origin);
	call_finish(k, RPC_ALLOWED, "dom0", sp[1], NULL);
	close(sp[1]);
	return true;
}

static struct pending *
take(const char *vm, uint32_t id)
{
	for (struct pending **pp = &pending; *pp != NULL; pp = &(*pp)->next) {
		struct pending *p = *pp;
		if (p->id == id && !strcmp(p->caller, vm)) {
			*pp = p->next;
			return p;
		}
	}
	return NULL;
}

void
admin_call_args(struct vm *vm, uint32_t id, const struct admin_rpc_args *args)
{
	struct pending *p = take(vm->q.name, id);
	struct rpc_admin_call c;

	if (p == NULL || args->method != p->method) {
		log_warnx("qube %s: its guard sent the arguments of an admin call it was not "
		    "given; ignored", vm->q.name);
		if (p != NULL)
			close(p->fd);
		free(p);
		return;
	}
	c = (struct rpc_admin_call){ p->caller, p->id, &admin_rpc_methods[p->method], p->target,
		p->arg, args, p->fd };
	handlers.call(&c);
	free(p);
}

void
admin_call_gone(struct vm *vm, uint32_t id)
{
	struct pending *p = take(vm->q.name, id);

	if (p != NULL) {
		close(p->fd);
		free(p);
	} else if (handlers.gone != NULL)
		handlers.gone(vm->q.name, id);
}

void
admin_calls_drop(const char *vm)
{
	for (struct pending **pp = &pending; *pp != NULL;) {
		struct pending *p = *pp;
		if (strcmp(p->caller, vm) != 0) {
			pp = &p->next;
			continue;
		}
		*pp = p->next;
		close(p->fd);
		free(p);
	}
}
