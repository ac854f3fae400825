/* A call from its decision to its hand-over to the target's agent, dom0's
 * calls, and the broker's timeouts (call.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "call.h"
#include "dispvm.h"
#include "domd.h"
#include "events.h"
#include "lifecycle.h"
#include "log.h"
#include "rpc_wire.h"
#include "store.h"
#include "usb.h"
#include "xalloc.h"

struct rpc_conn *rpc_conns;
struct call *rpc_calls;
static unsigned rpc_next_call_id = 1;

static void
call_free(struct call *k)
{
	for (struct call **p = &rpc_calls; *p != NULL; p = &(*p)->next)
		if (*p == k) {
			*p = k->next;
			break;
		}
	if (k->dom0_fd >= 0)
		close(k->dom0_fd);
	free(k->cmdline);
	free(k->targets);
	free(k);
}

/* The end of a call for its caller. */
void
call_finish(struct call *k, uint32_t status, const char *target, int data_fd, const char *msg)
{
	if (k->caller == NULL && k->dom0.done == NULL) {
		/* nobody waits any more */
	} else if (k->caller != NULL) {
		struct rpc_call_result r;
		memset(&r, 0, sizeof(r));
		r.request_id = 1;
		r.status = status;
		snprintf(r.target, sizeof(r.target), "%s", target ? target : "");
		snprintf(r.message, sizeof(r.message), "%s", msg ? msg : "");
		/* On allow the caller keeps its socket open while the call runs:
		 * its close is the end of a DispVM made for it. */
		if (rpc_send(k->caller->fd, RPC_CALL_RESULT, &r, sizeof(r), NULL, 0, data_fd, true) < 0) {
			rpc_conn_close(k->caller);
			k->caller = NULL;
		}
	} else
		k->dom0.done(status, target, msg ? msg : "failed", k->dom0.arg);
	if (k->caller != NULL && status != RPC_ALLOWED)
		rpc_conn_close(k->caller);
	call_free(k);
}

/* Hands the call to the target's agent. */
static void
call_exec(struct call *k, struct vm *t)
{
	struct rpc_exec e;
	int sp[2] = { -1, -1 }, agent_end, r;

	memset(&e, 0, sizeof(e));
	snprintf(e.service, sizeof(e.service), "%s", k->service);
	snprintf(e.arg, sizeof(e.arg), "%s", k->arg);
	snprintf(e.source, sizeof(e.source), "%s", k->source);
	snprintf(e.user, sizeof(e.user), "%s", k->user);
	if (k->cmdline != NULL) {
		e.flags = RPC_EXEC_COMMAND;
		e.cmdline_len = (uint32_t)strlen(k->cmdline) + 1;
		agent_end = k->dom0_fd;
	} else {
		int sz = 1 << 20;
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
			call_finish(k, RPC_FAILED, t->q.name, -1, "cannot make a channel");
			return;
		}
		/* Room for several data frames in flight: bulk copies go faster. */
		for (int i = 0; i < 2; i++) {
			setsockopt(sp[i], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
			setsockopt(sp[i], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
		}
		agent_end = sp[0];
	}
	r = rpc_send(((struct rpc_conn *)t->agent)->fd, RPC_EXEC, &e, sizeof(e), k->cmdline,
	    e.cmdline_len, agent_end, true);
	if (r < 0) {
		log_warn("%s: cannot hand a call to its agent", t->q.name);
		rpc_conn_close(t->agent);
		if (sp[0] >= 0) {
			close(sp[0]);
			close(sp[1]);
		}
		call_finish(k, RPC_FAILED, t->q.name, -1, "the target's agent does not answer");
		return;
	}
	log_info("rpc: %s -> %s: %s%s%s", k->source, t->q.name,
	    k->cmdline ? "command" : k->service, k->arg[0] ? "+" : "", k->arg);
	if (k->cmdline == NULL && !strcmp(k->service, "bulkhead.USB"))
		usb_channel(k->source, k->arg, sp[0]);
	call_finish(k, RPC_ALLOWED, t->q.name, sp[1], NULL);
	if (sp[0] >= 0) {
		close(sp[0]);
		close(sp[1]);
	}
}

/* Connects an allowed call to its target, starting it (or making a DispVM)
 * when needed. */
void
call_route(struct call *k, const char *target)
{
	char err[256], code[32];
	struct vm *t;

	if (!strcmp(target, "dom0") || !strcmp(target, "@adminvm")) {
		call_finish(k, RPC_FAILED, target, -1, "dom0 runs no services");
		return;
	}
	if (!strncmp(target, "@dispvm:", 8) && k->no_autostart) {
		call_finish(k, RPC_FAILED, target, -1, "a new DispVM needs autostart");
		return;
	}
	if (!strncmp(target, "@dispvm:", 8)) {
		t = dispvm_create(target + 8, err, sizeof(err));
		if (t == NULL) {
			call_finish(k, RPC_FAILED, target, -1, err);
			return;
		}
		if (k->caller != NULL)
			snprintf(k->caller->dispvm, sizeof(k->caller->dispvm), "%s", t->q.name);
		else if (k->dom0.own_dispvm != NULL)
			k->dom0.own_dispvm(t->q.name, k->dom0.arg);
		else
			dispvm_release(t->q.name);
		target = t->q.name;
	}
	/* An ask's answer may route to k->target itself: no self-copy. */
	if (target != k->target)
		snprintf(k->target, sizeof(k->target), "%s", target);
	t = vm_find(target);
	if (t == NULL) {
		call_finish(k, RPC_FAILED, target, -1, "no such qube");
		return;
	}
	if (t->agent != NULL && t->state == VM_RUNNING) {
		call_exec(k, t);
		return;
	}
	/* As Qubes' qrexec: with autostart=no a halted target fails the call. */
	if (k->no_autostart && t->state == VM_HALTED) {
		call_finish(k, RPC_FAILED, target, -1, "the target is not running (autostart=no)");
		return;
	}
	if (t->state == VM_HALTED && vm_start(t, NULL, NULL, code, err, sizeof(err)) < 0) {
		call_finish(k, RPC_FAILED, target, -1, err);
		return;
	}
	k->stage = STAGE_AGENT;
	k->deadline = time(NULL) + domd.start_timeout + 10;
}

void
call_handle(struct rpc_conn *c, const struct rpc_call *untrusted_call)
{
	struct policy_decision d;
	struct call *k;
	struct vm *vm;

	/* rpc_msg_parse() checked every field: from here they are trusted. */
	k = xcalloc(1, sizeof(*k));
	k->id = rpc_next_call_id++;
	k->caller = c;
	k->dom0_fd = -1;
	k->created = time(NULL);
	snprintf(k->source, sizeof(k->source), "%s", c->vm);
	snprintf(k->asker, sizeof(k->asker), "%s", c->vm);
	snprintf(k->service, sizeof(k->service), "%s", untrusted_call->service);
	snprintf(k->arg, sizeof(k->arg), "%s", untrusted_call->arg);
	snprintf(k->target, sizeof(k->target), "%s", untrusted_call->target);
	snprintf(k->intended, sizeof(k->intended), "%s", k->target);
	k->next = rpc_calls;
	rpc_calls = k;
	if (admin_call_answer(k) || dom0_answer(k))
		return;
	/* The grant is for the importer domd started, as the qube's root. */
	if (!strcmp(k->service, "bulkhead.USB") && (vm = vm_find(k->source)) != NULL &&
	    qube_peer_is_root(vm, &c->peer) && usb_grant_take(k->source, k->arg, k->target)) {
		/* The operator's attach is the allow, for this one call. */
		memset(&d, 0, sizeof(d));
		d.action = POLICY_ALLOW;
		snprintf(d.target, sizeof(d.target), "%s", k->target);
		snprintf(d.user, sizeof(d.user), "root");
		snprintf(d.origin, sizeof(d.origin), "usb attach by the operator");
		d.autostart = true;
	} else
		call_decide(k->source, k->service, k->arg, k->target, &d);
	snprintf(k->user, sizeof(k->user), "%s", d.user);
	k->no_autostart = d.action != POLICY_DENY && !d.autostart;
	switch (d.action) {
	case POLICY_ALLOW:
		log_info("rpc: %s -> %s %s+%s: allowed (%s)", k->source, d.target, k->service,
		    k->arg, d.origin);
		call_route(k, d.target);
		break;
	case POLICY_ASK:
		if (ask_refused(k))
			break;
		k->stage = STAGE_ASK;
		snprintf(k->target, sizeof(k->target), "%s", d.target);
		snprintf(k->default_target, sizeof(k->default_target), "%s", d.default_target);
		ask_set_targets(k, &d);
		k->deadline = time(NULL) + domd.ask_timeout;
		log_info("rpc: %s -> %s %s+%s: ask %u (%s)", k->source,
		    k->target[0] ? k->target : "?", k->service, k->arg, k->id, d.origin);
		ask_emit(k);
		break;
	default:
		log_info("rpc: %s -> %s %s+%s: denied (%s)", k->source,
		    k->target[0] ? k->target : "@default", k->service, k->arg, d.origin);
		call_finish(k, RPC_DENIED, k->target, -1, NULL);
	}
}

void
rpc_vm_halted(struct vm *vm)
{
	for (struct call *k = rpc_calls, *next; k != NULL; k = next) {
		next = k->next;
		if (k->stage == STAGE_AGENT && !strcmp(k->target, vm->q.name))
			call_finish(k, RPC_FAILED, vm->q.name, -1, "the target stopped");
	}
	rpc_unlisten(vm);
	vm->agent = NULL;
}

void
rpc_vm_running(struct vm *vm)
{
	struct rpc_conn *a = vm->agent;

	if (a == NULL)
		return;
	for (struct call *k = rpc_calls, *next; k != NULL; k = next) {
		next = k->next;
		if (k->stage == STAGE_AGENT && !strcmp(k->target, vm->q.name) && vm->agent == a)
			call_exec(k, vm);
	}
}

/* A command from dom0 (or domd) for vm, not routed yet. */
static struct call *
dom0_call(const char *cmdline, const char *user, int data_fd)
{
	struct call *k = xcalloc(1, sizeof(*k));

	k->id = rpc_next_call_id++;
	k->dom0_fd = data_fd;
	k->cmdline = xstrdup(cmdline);
	k->created = time(NULL);
	snprintf(k->source, sizeof(k->source), "dom0");
	snprintf(k->service, sizeof(k->service), "bulkhead.Exec");
	snprintf(k->user, sizeof(k->user), "%s", user ? user : "");
	k->next = rpc_calls;
	rpc_calls = k;
	return k;
}

void
rpc_run_from_dom0(struct vm *vm, const char *cmdline, const char *user, int data_fd,
    const struct rpc_dom0_caller *caller)
{
	struct call *k = dom0_call(cmdline, user, data_fd);

	k->dom0 = *caller;
	call_route(k, vm->q.name);
}

void
rpc_exec_dom0(struct vm *vm, const char *cmdline, const char *user, int data_fd)
{
	/* Nobody waits for the answer: the caller watches its end of data_fd. */
	call_route(dom0_call(cmdline, user, data_fd), vm->q.name);
}

void
rpc_tick(void)
{
	time_t now = time(NULL);

	for (struct call *k = rpc_calls, *next; k != NULL; k = next) {
		next = k->next;
		if (k->deadline == 0 || now < k->deadline)
			continue;
		if (k->stage == STAGE_ASK) {
			log_info("rpc: ask %u timed out; denied", k->id);
			event_ask_done(k->id, "timeout");
			call_finish(k, RPC_TIMEOUT, k->target, -1, "timed out");
		} else
			call_finish(k, RPC_FAILED, k->target, -1, "the target's agent did not connect");
	}
}

void
call_agent_ready(struct vm *vm)
{
	for (struct call *k = rpc_calls, *next; k != NULL; k = next) {
		next = k->next;
		if (k->stage == STAGE_AGENT && !strcmp(k->target, vm->q.name) &&
		    vm->state == VM_RUNNING)
			call_exec(k, vm);
	}
}
