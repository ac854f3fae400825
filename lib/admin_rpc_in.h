/* The data channel of a qube's admin call, as its guard reads it: the
 * caller's STDIN frames (lib/rpc_proto.h) up to their end, then the
 * arguments parsed (admin_rpc_args_parse). A frame of another kind, a
 * broken header or arguments past ADMIN_RPC_PAYLOAD_MAX give a refusal
 * instead; whatever comes after is dropped. Fuzzed by
 * tests/fuzz/fuzz_admin_in.c, fed in pieces of every size. */
#ifndef BULKHEAD_ADMIN_RPC_IN_H
#define BULKHEAD_ADMIN_RPC_IN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "admin_rpc.h"
#include "rpc_proto.h"

struct admin_rpc_in {
	uint32_t method;
	bool done; /* the arguments (or a refusal) were given: the rest is dropped */
	size_t len;
	unsigned char untrusted_buf[sizeof(struct rpc_data_hdr) + ADMIN_RPC_PAYLOAD_MAX];
	size_t payload_len;
	char payload[ADMIN_RPC_PAYLOAD_MAX + 1];
};

void admin_rpc_in_init(struct admin_rpc_in *in, uint32_t method);
/* Where the next bytes from the caller go, and how many fit (never 0). */
void *admin_rpc_in_room(struct admin_rpc_in *in, size_t *room);
/* n bytes were put there. 1 when the call's arguments (or its refusal)
 * are complete now: *out is filled, once per call. 0 otherwise. */
int admin_rpc_in_took(struct admin_rpc_in *in, size_t n, struct admin_rpc_args *out);

#endif
