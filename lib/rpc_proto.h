/* The RPC protocol between a qube's agent (or bulkhead-rpc in a qube) and
 * domd, on the qube's control channel; and the data stream framing between
 * the two ends of a call. Fixed-size little-endian structs with a version:
 * everything a qube sends is untrusted_* until rpc_msg_parse() or
 * rpc_data_hdr_check() (rpc_wire.h) has accepted it. */
#ifndef BULKHEAD_RPC_PROTO_H
#define BULKHEAD_RPC_PROTO_H

#include <stdint.h>

#define RPC_VERSION 1
#define RPC_SERVICE_MAX 64   /* [A-Za-z0-9._-]{1,64} */
#define RPC_ARG_MAX 64       /* [A-Za-z0-9._+-]{0,64} */
#define RPC_NAME_MAX 31      /* a qube name, or "@dispvm[:BASE]" up to 63 */
#define RPC_TARGET_MAX 63
#define RPC_CMDLINE_MAX 65536 /* dom0's command for bulkhead run */
#define RPC_DATA_MAX (256 * 1024) /* payload of one data frame */

/* Control messages. Every message starts with this header. */
enum rpc_msg_type {
	RPC_HELLO = 1,       /* both ways: version, role */
	RPC_CALL = 2,        /* qube -> domd: call SERVICE+ARG in TARGET */
	RPC_CALL_RESULT = 3, /* domd -> qube: decision; an fd is attached on allow */
	RPC_EXEC = 4,        /* domd -> agent: run a service or command; fd attached */
};

struct rpc_hdr {
	uint32_t type;
	uint32_t len; /* bytes after this header: the body, plus a trailer for EXEC */
};

enum rpc_role { RPC_ROLE_AGENT = 1, RPC_ROLE_CALLER = 2 };

struct rpc_hello {
	uint32_t version;
	uint32_t role;
};

struct rpc_call {
	char service[RPC_SERVICE_MAX + 1];
	char arg[RPC_ARG_MAX + 1];
	char target[RPC_TARGET_MAX + 1]; /* "" means @default */
	uint8_t pad[2];
	uint32_t request_id;
};

enum rpc_status {
	RPC_ALLOWED = 0,
	RPC_DENIED = 1,   /* by policy, or by the operator in an ask */
	RPC_TIMEOUT = 2,  /* an ask was not answered in time */
	RPC_FAILED = 3,   /* the target could not be started or reached */
};

struct rpc_call_result {
	uint32_t request_id;
	uint32_t status;
	char target[RPC_TARGET_MAX + 1]; /* the qube that was connected */
	char message[128];               /* for the caller's error line */
};

enum rpc_exec_flags { RPC_EXEC_COMMAND = 1 }; /* trailer is a shell command */

/* Only domd sends EXEC; a command (from dom0 only) follows as a trailer of
 * cmdline_len bytes. */
struct rpc_exec {
	char service[RPC_SERVICE_MAX + 1];
	char arg[RPC_ARG_MAX + 1];
	char source[RPC_NAME_MAX + 1];
	char user[32];
	uint8_t pad[2];
	uint32_t flags;
	uint32_t cmdline_len;
};

_Static_assert(sizeof(struct rpc_hdr) == 8, "rpc_hdr layout");
_Static_assert(sizeof(struct rpc_hello) == 8, "rpc_hello layout");
_Static_assert(sizeof(struct rpc_call) == 200, "rpc_call layout");
_Static_assert(sizeof(struct rpc_call_result) == 200, "rpc_call_result layout");
_Static_assert(sizeof(struct rpc_exec) == 204, "rpc_exec layout");

/* Data frames on the connection between caller and service. */
enum rpc_data_type {
	RPC_DATA_STDIN = 1,  /* caller -> service; len 0 is EOF */
	RPC_DATA_STDOUT = 2, /* service -> caller; len 0 is EOF */
	RPC_DATA_STDERR = 3,
	RPC_DATA_EXIT = 4,   /* service -> caller: 4-byte exit code, last frame */
};

struct rpc_data_hdr {
	uint32_t type;
	uint32_t len; /* <= RPC_DATA_MAX */
};

_Static_assert(sizeof(struct rpc_data_hdr) == 8, "rpc_data_hdr layout");

#endif
