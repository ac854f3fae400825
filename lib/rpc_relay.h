/* Moving a call's bytes: the caller's stdio <-> data frames <-> the
 * service's pipes. Both ends treat frames from the other as untrusted. */
#ifndef BULKHEAD_RPC_RELAY_H
#define BULKHEAD_RPC_RELAY_H

#include <stddef.h>
#include <sys/types.h>

/* Caller side: in_fd -> STDIN frames; STDOUT/STDERR frames -> out_fd/err_fd.
 * Returns the service's exit code (0-255), or -1 when the stream broke
 * (message in err). */
int rpc_relay_caller(int sock, int in_fd, int out_fd, int err_fd, char *err, size_t errlen);

/* Where the caller side puts the service's output when it does more than
 * write it out: put() gets the bytes of each STDOUT (stream 1) or STDERR
 * (stream 2) frame, and returns -1 to end the call. */
struct rpc_relay_out {
	int (*put)(void *arg, int stream, const char *buf, size_t len);
	void *arg;
};

/* rpc_relay_caller() with the output going to out->put(). */
int rpc_relay_caller_to(int sock, int in_fd, const struct rpc_relay_out *out, char *err,
    size_t errlen);

/* Service side: STDIN frames -> child_in; child_out/child_err -> frames;
 * when both are at EOF and the child has exited, sends its exit code. */
int rpc_relay_service(int sock, pid_t child, int child_in, int child_out, int child_err);

#endif
