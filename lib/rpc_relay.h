/* Moving a call's bytes: the caller's stdio <-> data frames <-> the
 * service's pipes. Both ends treat frames from the other as untrusted. */
#ifndef BULKHEAD_RPC_RELAY_H
#define BULKHEAD_RPC_RELAY_H

#include <sys/types.h>

/* Caller side: in_fd -> STDIN frames; STDOUT/STDERR frames -> out_fd/err_fd.
 * Returns the service's exit code (0-255), or -1 when the stream broke
 * (message in err). */
int rpc_relay_caller(int sock, int in_fd, int out_fd, int err_fd, char *err, size_t errlen);

/* Service side: STDIN frames -> child_in; child_out/child_err -> frames;
 * when both are at EOF and the child has exited, sends its exit code. */
int rpc_relay_service(int sock, pid_t child, int child_in, int child_out, int child_err);

#endif
