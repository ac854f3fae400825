/* Calls from the gateway to dom0 (`bulkhead-rpc dom0 SERVICE+ARG`), which
 * domd answers itself for the GUI qube (the clipboard policy, a qube's
 * label): allowed is exit status 0. */
#ifndef BULKHEAD_GW_RPC_CALL_H
#define BULKHEAD_GW_RPC_CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Starts the call with stdin /dev/null and stdout out_fd (-1: /dev/null);
 * SIGALRM ends it after timeout_s. Its pid, or -1. */
pid_t rpc_call_start(const char *call, unsigned timeout_s, int out_fd);
#define RPC_CALL_TIMED_OUT 125 /* bulkhead-rpc's status for an unanswered ask */

/* Waits for it: its exit status (0: allowed), or -1 when it did not exit. */
int rpc_call_status(pid_t pid);
/* Waits for it: allowed? */
bool rpc_call_wait(pid_t pid);
/* Runs it to the end (a few ms: domd answers at once); out gets the first
 * line of its output, NUL-terminated. Allowed? */
bool rpc_call_line(const char *call, char *out, size_t len);

#endif
