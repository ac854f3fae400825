/* Between a qube's guard (bulkhead-guard: the unprivileged process that
 * serves the qube's control socket, its agent's ready pipe and a netvm's
 * firewall socket, and parses what the qube sends there) and domd. One fixed-size struct guard_msg per SOCK_SEQPACKET datagram,
 * with the qube connection's descriptor attached where noted, so that domd
 * can answer on it without ever reading from it. A guard parses hostile
 * bytes and may be taken over: domd takes what it sends as untrusted until
 * guard_msg_check() (guard_wire.h) has accepted it. */
#ifndef BULKHEAD_GUARD_PROTO_H
#define BULKHEAD_GUARD_PROTO_H

#include <stdint.h>

#include "admin_rpc.h"
#include "rpc_proto.h"
#include "vhci_arg.h"

enum guard_msg_type {
	GUARD_AGENT = 1,   /* guard -> domd: conn said HELLO as the agent; its fd attached */
	GUARD_CALL = 2,    /* guard -> domd: conn's one CALL, checked; its fd attached */
	GUARD_CLOSED = 3,  /* guard -> domd: conn is gone (value: enum guard_end) */
	GUARD_REFUSED = 4, /* guard -> domd: a newcomer past the limit was refused
	                    * (value: the connections open) */
	GUARD_CLOSE = 5,   /* domd -> guard: close conn, domd is done with it */
	GUARD_FW_CONNECTED = 6, /* guard -> domd: the netvm's bulkhead-firewall
	                         * connected (conn); its fd attached */
	GUARD_FW_ANSWER = 7,    /* guard -> domd: its answer line, checked (fw) */
	GUARD_FW_CLOSED = 8,    /* guard -> domd: it is gone (value: enum guard_end) */
	GUARD_READY = 9,        /* guard -> domd: the agent said "R" on its ready pipe */
	GUARD_READY_BAD = 10,   /* guard -> domd: something else came on it */
	GUARD_ADMIN_OPEN = 11,  /* domd -> guard: read the arguments of admin call
	                         * conn (value: its method) on the fd attached */
	GUARD_ADMIN_ARGS = 12,  /* guard -> domd: admin call conn's arguments,
	                         * as admin_rpc_args_parse() read them */
	GUARD_ADMIN_GONE = 13,  /* guard -> domd: admin call conn's caller sent
	                         * more than its arguments, or went away */
};

/* Why a connection ended, for domd's log. */
enum guard_end {
	GUARD_END_EOF = 0,        /* the qube closed it */
	GUARD_END_UNEXPECTED = 1, /* a message out of turn */
	GUARD_END_MALFORMED = 2,  /* the parser refused its bytes */
	GUARD_END_TOO_LONG = 3,   /* a firewall answer line past NETCFG_ANSWER_MAX */
};

/* A netvm's answer to a configuration, as netcfg_parse_answer() read it. */
struct guard_fw_answer {
	int32_t applied;  /* 1: applied, 0: an error (msg says which) */
	int32_t nrules;   /* applied: the rules it loaded */
	char msg[192];    /* printable ASCII, NUL-terminated */
};

/* Who connected (SO_PEERCRED, host view), and the parent of that process
 * at its HELLO as the agent (0 otherwise). */
struct guard_peer {
	int32_t pid;
	uint32_t uid;
	int32_t ppid;
	uint32_t pad;
};

struct guard_msg {
	uint32_t type;
	uint32_t conn;          /* the guard's number for the connection, from 1 */
	struct guard_peer peer; /* AGENT, CALL */
	union {
		struct rpc_call call;       /* CALL: as rpc_msg_parse() accepted it */
		struct guard_fw_answer fw;  /* FW_ANSWER */
		struct admin_rpc_args admin; /* ADMIN_ARGS */
	};
	uint32_t value;         /* CLOSED, REFUSED, FW_CLOSED; CALL: 1 when vhci is set;
	                         * ADMIN_OPEN: the method */
	uint32_t pad;
	/* CALL to bulkhead.VhciAttach: its argument as vhci_arg_parse() read
	 * it, so that domd decodes none of it (zero unless value is 1). */
	struct vhci_arg vhci;
};

_Static_assert(sizeof(struct guard_msg) == 1512, "guard_msg layout");

#endif
