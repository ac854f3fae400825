/* The RPC broker: each running qube has a control socket (bound into it as
 * /dev/bulkhead/control.sock); its agent and its callers connect there, so
 * domd knows which qube speaks. A call is decided by the policy; on allow,
 * domd makes a socketpair and hands one end to each side. A qube reaches
 * another only through such a connection. */
#ifndef BULKHEAD_DOMD_RPC_H
#define BULKHEAD_DOMD_RPC_H

#include <stdbool.h>
#include <stddef.h>

#include "api.h"
#include "vm.h"

/* The qube's control directory (RUN/qubes/NAME.ctl) and its listener. */
const char *rpc_ctl_dir(const char *name);
int rpc_listen(struct vm *vm, char *err, size_t errlen);
void rpc_unlisten(struct vm *vm);

/* The qube halted: fail what waited for it. */
void rpc_vm_halted(struct vm *vm);
/* The qube signalled ready: calls that waited for it may go. */
void rpc_vm_running(struct vm *vm);

/* dom0's calls (bulkhead run): runs cmdline (or service) in vm with
 * data_fd as the caller's end; req is answered when it is handed over. */
int rpc_run_from_dom0(struct vm *vm, const char *cmdline, const char *user, int data_fd,
    struct request *req, char *err, size_t errlen);

/* The ask queue. */
void rpc_ask_answer(struct request *req, unsigned id, bool allow, const char *target);
json_object *rpc_ask_list(void);
void rpc_tick(void);

/* Runs cmdline in vm as user with data_fd as its stdio channel, for domd
 * itself: nobody waits for the result; the other end of data_fd tells. */
void rpc_exec_dom0(struct vm *vm, const char *cmdline, const char *user, int data_fd);

#endif
