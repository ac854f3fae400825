/* Sending and parsing RPC messages (lib/rpc_proto.h). rpc_msg_parse() is
 * the one place where a control message from a qube is checked; it has a
 * libFuzzer harness (tests/fuzz/fuzz_rpc.c). */
#ifndef BULKHEAD_RPC_WIRE_H
#define BULKHEAD_RPC_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "rpc_proto.h"

/* A checked message: strings are NUL-terminated and allow-listed. */
struct rpc_msg {
	uint32_t type;
	union {
		struct rpc_hello hello;
		struct rpc_call call;
		struct rpc_call_result result;
		struct rpc_exec exec;
	} u;
	const char *cmdline; /* EXEC with RPC_EXEC_COMMAND: points into the buffer */
};

bool rpc_service_valid(const char *s);
bool rpc_arg_valid(const char *s);
/* "" (default), a qube name, "dom0", "@adminvm", "@default", "@dispvm", "@dispvm:NAME" */
bool rpc_target_valid(const char *s);

/* Parses one message at the start of untrusted_buf. 1: *out filled and
 * *used set; 0: incomplete; -1: malformed (the channel must be closed). */
int rpc_msg_parse(const void *untrusted_buf, size_t untrusted_len, struct rpc_msg *out,
    size_t *used);

/* Sends one message (body of body_len, then an optional trailer), with fd
 * attached when pass_fd >= 0. Blocking unless dontwait. 0 or -1/errno. */
int rpc_send(int sock, uint32_t type, const void *body, size_t body_len, const void *trailer,
    size_t trailer_len, int pass_fd, bool dontwait);

/* Blocking receive of one whole message for the agent and callers, with the
 * fd that came with it (-1 if none). The buffer must hold the largest
 * message. 1: a message; 0: EOF; -1: error or malformed. */
int rpc_recv(int sock, void *buf, size_t buflen, struct rpc_msg *out, int *fd_out);

/* Data frames between the two ends of a call. */
int rpc_data_send(int fd, uint32_t type, const void *data, size_t len);
/* Parses a frame header; -1 if the type or length is not acceptable. */
int rpc_data_hdr_check(const void *untrusted_hdr, uint32_t *type, uint32_t *len);

#endif
