/* Inside the RPC broker (rpc.h): the connections on the qubes' control
 * sockets, the calls in flight, and what the broker's files share. One job
 * per file: transport.c (sockets and connections), guard.c (each qube's
 * guard process, which reads them), broker.c (a call from decision to
 * hand-over), policy_env.c (the policy over domd's qubes), asks.c (the
 * operator's queue), dom0_services.c (what domd answers). */
#ifndef BULKHEAD_DOMD_RPC_CALL_H
#define BULKHEAD_DOMD_RPC_CALL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "guard_proto.h"
#include "loop.h"
#include "policy.h"
#include "qube_peer.h"
#include "rpc.h"
#include "rpc_proto.h"

/* A connection on a qube's control socket, as its guard handed it over
 * (an agent after its HELLO, a caller with its CALL). domd writes to it
 * and never reads from it: the guard reads. */
struct rpc_conn {
	int fd;
	uint32_t id;                /* the guard's number for it */
	char vm[QUBE_NAME_MAX + 1]; /* the qube whose socket it came in on */
	struct qube_peer peer;      /* who connected, as the guard saw it */
	uint32_t role;              /* RPC_ROLE_AGENT or RPC_ROLE_CALLER */
	char dispvm[QUBE_NAME_MAX + 1]; /* made for this call; gone with it */
	bool has_vhci;              /* a call to bulkhead.VhciAttach, decoded */
	struct vhci_arg vhci;       /* by its guard: domd parses none of it */
	struct rpc_conn *next;
};

enum call_stage { STAGE_ASK, STAGE_AGENT };

/* A call that waits for the operator (ask) or for its target's agent. */
struct call {
	unsigned id;
	enum call_stage stage;
	struct rpc_conn *caller;   /* NULL for dom0's calls */
	struct rpc_dom0_caller dom0; /* dom0's: who waits, if anyone */
	int dom0_fd;               /* dom0's: its end of the data channel */
	char *cmdline;             /* dom0's: the command */
	char source[QUBE_NAME_MAX + 1];
	char asker[QUBE_NAME_MAX + 1]; /* the qube that called: its asks count */
	char service[RPC_SERVICE_MAX + 1];
	char arg[RPC_ARG_MAX + 1];
	char target[POLICY_TARGET_MAX];
	char intended[POLICY_TARGET_MAX]; /* what the caller asked for, to decide again */
	char default_target[POLICY_TARGET_MAX];
	char (*targets)[POLICY_TARGET_MAX]; /* an ask's choices, as the policy gave them */
	size_t ntargets;
	char user[32];
	bool no_autostart;         /* autostart=no: the target must be running */
	bool query;                /* answered by domd itself: no service runs */
	time_t created, deadline;
	struct call *next;
};

extern struct rpc_conn *rpc_conns;
extern struct call *rpc_calls;

/* transport.c */
void rpc_conn_close(struct rpc_conn *c);
/* Every connection of vm, without telling its guard (it is gone). */
void rpc_conns_drop(const char *vm);
/* A checked message from vm's guard, with the descriptor that came with it
 * (-1 if none), which this takes. */
void rpc_from_guard(struct vm *vm, const struct guard_msg *m, int fd);

/* guard.c */
/* Starts vm's guard on its control socket (vm->ctl_fd). 0 or -1 with err. */
int guard_start(struct vm *vm, char *err, size_t errlen);
/* Ends it (it exits when domd's end closes). */
void guard_stop(struct vm *vm);
/* Hands vm's guard a copy of fd to read the arguments of admin call id
 * (GUARD_ADMIN_OPEN). 0, or -1 when the guard is not there to take it. */
int guard_send_admin(struct vm *vm, uint32_t id, uint32_t method, int fd);

/* broker.c */
/* A call from a qube, its fields checked by rpc_msg_parse(). */
void call_handle(struct rpc_conn *c, const struct rpc_call *untrusted_call);
/* The end of a call for its caller; frees it. */
void call_finish(struct call *k, uint32_t status, const char *target, int data_fd,
    const char *msg);
void call_route(struct call *k, const char *target);
/* vm's agent said hello: calls that waited for it go now. */
void call_agent_ready(struct vm *vm);

/* policy_env.c */
void call_decide(const char *source, const char *service, const char *arg, const char *target,
    struct policy_decision *out);
/* The same view of the qubes for several decisions in a row (the qubes
 * must not change in between). */
struct call_env;
struct call_env *call_env_new(const char *source);
void call_env_decide(struct call_env *ce, const char *source, const char *service,
    const char *arg, const char *target, struct policy_decision *out);
void call_env_free(struct call_env *ce);

/* asks.c */
void ask_set_targets(struct call *k, const struct policy_decision *d);
void ask_emit(const struct call *k);
bool ask_refused(struct call *k);

/* admin_calls.c */
/* true when k is a call of the admin API (answered or refused then). */
bool admin_call_answer(struct call *k);
/* vm's guard read the arguments of admin call id, or saw its caller go. */
void admin_call_args(struct vm *vm, uint32_t id, const struct admin_rpc_args *args);
void admin_call_gone(struct vm *vm, uint32_t id);
/* vm's guard is gone: the calls whose arguments it was reading fail. */
void admin_calls_drop(const char *vm);

/* dom0_services.c */
void call_query_allow(struct call *k, const char *out);
/* true when k is a call to dom0 that domd answers itself (answered then). */
bool dom0_answer(struct call *k);

#endif
