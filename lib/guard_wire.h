/* Sending and checking guard messages (guard_proto.h). guard_msg_check()
 * is where domd accepts what a guard sent; it has a libFuzzer harness
 * (tests/fuzz/fuzz_guard.c). */
#ifndef BULKHEAD_GUARD_WIRE_H
#define BULKHEAD_GUARD_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "guard_proto.h"

/* Sends m with fd attached when fd >= 0; waits for room only if block
 * (a guard may wait for domd, never domd for a guard). 0 or -1/errno. */
int guard_send(int sock, const struct guard_msg *m, int fd, bool block);

/* Receives one datagram into buf (without blocking): its length, 0 at end
 * of file, -1/errno. *fd is the first descriptor that came with it (-1 if
 * none); any others are closed. */
ssize_t guard_recv(int sock, void *buf, size_t buflen, int *fd);

/* Checks a datagram a guard sent domd: the size, the type, a connection
 * number, for CALL every field as rpc_msg_parse() would, for FW_ANSWER a
 * printable message, for ADMIN_ARGS what admin_rpc_args_check() accepts. 0 with *out filled, or -1. */
int guard_msg_check(const void *untrusted_buf, size_t untrusted_len, struct guard_msg *out);

#endif
