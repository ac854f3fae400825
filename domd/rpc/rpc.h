/* The RPC broker: each running qube has a control socket (bound into it as
 * /dev/bulkhead/control.sock); its agent and its callers connect there, so
 * domd knows which qube speaks. The qube's guard process reads and parses
 * what they send; domd gets checked messages (guard_proto.h). A call is decided by the policy; on allow,
 * domd makes a socketpair and hands one end to each side. A qube reaches
 * another only through such a connection. */
#ifndef BULKHEAD_DOMD_RPC_H
#define BULKHEAD_DOMD_RPC_H

#include <stdbool.h>
#include <stddef.h>

#include <stdint.h>
#include <time.h>

#include "admin_rpc.h"
#include "policy.h"
#include "vm.h"

/* The qube's control directory (RUN/qubes/NAME.ctl) and its listener. */
const char *rpc_ctl_dir(const char *name);
int rpc_listen(struct vm *vm, char *err, size_t errlen);
void rpc_unlisten(struct vm *vm);
/* domd is done with connection id that vm's guard handed over: the guard
 * closes it. */
void rpc_guard_close(struct vm *vm, uint32_t id);

/* The qube halted: fail what waited for it. */
void rpc_vm_halted(struct vm *vm);
/* The qube signalled ready: calls that waited for it may go. */
void rpc_vm_running(struct vm *vm);

/* Who waits for a call from dom0 (bulkhead run). */
struct rpc_dom0_caller {
	/* Once: the call was handed to target's agent (RPC_ALLOWED), or not
	 * (status RPC_DENIED, RPC_TIMEOUT, RPC_FAILED; msg says why). */
	void (*done)(uint32_t status, const char *target, const char *msg, void *arg);
	/* A DispVM was made for the call: the caller holds it from now on
	 * and releases it (dispvm_release) when it is done with it. */
	void (*own_dispvm)(const char *name, void *arg);
	void *arg;
};

/* dom0's calls (bulkhead run): runs cmdline in vm with data_fd as the
 * caller's end; caller is told when it is handed over. */
void rpc_run_from_dom0(struct vm *vm, const char *cmdline, const char *user, int data_fd,
    const struct rpc_dom0_caller *caller);

/* The ask queue. The operator's answer to ask id: 0, or -1 with code and
 * err (no such ask, a target the policy does not allow, ...). */
int rpc_ask_answer(unsigned id, bool allow, const char *target, char *code, char *err,
    size_t errlen);
/* A pending ask, as the operator is shown it. */
struct rpc_ask {
	unsigned id;
	const char *service, *arg, *source, *target, *default_target;
	const char (*targets)[POLICY_TARGET_MAX]; /* what the policy allows */
	size_t ntargets;
	time_t created;
};
/* Calls fn for every pending ask. */
void rpc_ask_each(void (*fn)(const struct rpc_ask *a, void *arg), void *arg);
void rpc_tick(void);

/* An allowed call of the admin API from a qube (lib/admin_rpc.h), with its
 * arguments as the caller's guard read them and domd checked them. */
struct rpc_admin_call {
	const char *caller;     /* the qube that called */
	uint32_t id;            /* domd's number for the call, per caller */
	const struct admin_rpc_method *method;
	const char *target;     /* the qube it acts on, or "dom0" */
	const char *arg;        /* the call's ARG: vm.set's property, vm.create's name */
	const struct admin_rpc_args *args;
	int fd;                 /* domd's end of the data channel: write only */
};
struct rpc_admin_handlers {
	/* Answers c; takes c->fd. */
	void (*call)(const struct rpc_admin_call *c);
	/* The caller of call id went away or broke the framing. */
	void (*gone)(const char *caller, uint32_t id);
};
/* Set by the admin API when it starts listening. */
void rpc_set_admin_handlers(const struct rpc_admin_handlers *h);
/* May caller use method (an admin_rpc_methods name) on target? The policy,
 * as for a call of bulkhead.admin.METHOD: what vm.list and the event stream
 * show a management qube. */
bool rpc_admin_allows(const char *caller, const char *method, const char *target);
/* The same for many targets in a row (a listing), with one view of the
 * qubes: they must not change before rpc_admin_view_free(). */
struct rpc_admin_view;
struct rpc_admin_view *rpc_admin_view_new(const char *caller, const char *method);
bool rpc_admin_view_allows(struct rpc_admin_view *v, const char *target);
void rpc_admin_view_free(struct rpc_admin_view *v);

/* Runs cmdline in vm as user with data_fd as its stdio channel, for domd
 * itself: nobody waits for the result; the other end of data_fd tells. */
void rpc_exec_dom0(struct vm *vm, const char *cmdline, const char *user, int data_fd);

#endif
