/* The admin API over RPC (Qubes' Admin API): a qube calls the service
 * bulkhead.admin.METHOD[+ARG] with TARGET the qube the method acts on
 * (dom0 for a method on no qube, and for vm.create, whose ARG is the new
 * name); domd answers it itself when the policy allows that call. The
 * method's arguments come on the call's stdin as one flat JSON object of
 * scalars; the reply goes to stdout as the admin socket's reply line.
 *
 * This file is the allow-list: the methods a qube may call and the
 * arguments each takes. Everything else (policy.*, ask.*, template.import
 * and vm.restore, which read dom0's files, vm.run, vm.usb, vm.firewall,
 * vm.clone) is never answered over RPC, whatever the policy says.
 *
 * The payload is parsed by the caller's guard (admin_rpc_args_parse), which
 * hands domd the checked fixed-size struct admin_rpc_args; domd checks it
 * again (admin_rpc_args_check) and never reads the qube's bytes. */
#ifndef BULKHEAD_ADMIN_RPC_H
#define BULKHEAD_ADMIN_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ADMIN_RPC_PREFIX "bulkhead.admin."
#define ADMIN_RPC_PAYLOAD_MAX 8192 /* the arguments' JSON */
#define ADMIN_RPC_ARGS_MAX 12
#define ADMIN_RPC_STR_MAX 95       /* a string argument, printable ASCII */

enum admin_rpc_target {
	ADMIN_RPC_ON_DOM0 = 0, /* TARGET is dom0 */
	ADMIN_RPC_ON_QUBE = 1, /* TARGET is the existing qube it acts on */
	ADMIN_RPC_CREATES = 2, /* TARGET is dom0, ARG the new qube's name */
};

enum admin_rpc_type { ADMIN_ARG_BOOL = 1, ADMIN_ARG_INT = 2, ADMIN_ARG_STRING = 3,
	ADMIN_ARG_SCALAR = 4 /* any of the three (vm.set's value) */ };

struct admin_rpc_key {
	const char *name;
	enum admin_rpc_type type;
};

struct admin_rpc_method {
	const char *name; /* the admin API's method */
	enum admin_rpc_target target;
	bool stream;      /* the call stays open with events after its reply */
	bool arg_is_prop; /* ARG names a property (vm.set): the allow-list below */
	const struct admin_rpc_key *keys; /* NULL-named end */
};

extern const struct admin_rpc_method admin_rpc_methods[];
extern const size_t admin_rpc_nmethods;

/* The method of service bulkhead.admin.NAME, or NULL when it is not one a
 * qube may call. *index is its place in admin_rpc_methods. */
const struct admin_rpc_method *admin_rpc_find(const char *service, uint32_t *index);
/* The number of keys a method takes. */
size_t admin_rpc_nkeys(const struct admin_rpc_method *m);
/* Properties vm.set may change over RPC: none that gives a qube a device,
 * the uplink, or a network role. */
bool admin_rpc_prop_allowed(const char *prop);

struct admin_rpc_arg {
	uint32_t key;  /* index into its method's keys */
	uint32_t type; /* ADMIN_ARG_BOOL, _INT or _STRING */
	int64_t num;   /* BOOL (0/1) and INT */
	char str[ADMIN_RPC_STR_MAX + 1];
};

struct admin_rpc_args {
	uint32_t method; /* index into admin_rpc_methods */
	uint32_t nargs;
	uint32_t error;  /* 0, or 1 when the payload was refused (msg says why) */
	uint32_t pad;
	char msg[96];
	struct admin_rpc_arg arg[ADMIN_RPC_ARGS_MAX];
};

_Static_assert(sizeof(struct admin_rpc_arg) == 112, "admin_rpc_arg layout");
_Static_assert(sizeof(struct admin_rpc_args) == 112 + 112 * ADMIN_RPC_ARGS_MAX,
    "admin_rpc_args layout");

/* Parses the call's payload for method (index) into out: a JSON object of
 * the method's keys with scalar values, each at most once. 0, or -1 with
 * out->error set and out->msg saying what was wrong. */
int admin_rpc_args_parse(uint32_t method, const char *untrusted_buf, size_t untrusted_len,
    struct admin_rpc_args *out);
/* domd's check of what a guard sent: 0 when every field is one that
 * admin_rpc_args_parse() could have made. */
int admin_rpc_args_check(const struct admin_rpc_args *a);

#endif
