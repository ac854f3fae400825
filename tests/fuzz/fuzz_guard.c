/* libFuzzer harness for guard_msg_check() (lib/guard_wire.c): a qube's
 * guard parses hostile bytes and may be taken over, so domd checks what
 * it sends. No input may crash the check, and what it accepts must be a
 * message domd can act on: a known type, a connection number, for a call
 * the fields rpc_msg_parse() would accept (and for bulkhead.VhciAttach a
 * decoded argument of a real speed), for a netvm's answer a printable
 * message, for an admin call's arguments known keys of its method. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "guard_wire.h"
#include "rpc_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guard_msg m;

	if (guard_msg_check(data, size, &m) < 0)
		return 0;
	if (size != sizeof(m) || m.conn == 0)
		__builtin_trap();
	switch (m.type) {
	case GUARD_CALL:
		if (memchr(m.call.service, '\0', sizeof(m.call.service)) == NULL ||
		    memchr(m.call.arg, '\0', sizeof(m.call.arg)) == NULL ||
		    memchr(m.call.target, '\0', sizeof(m.call.target)) == NULL ||
		    !rpc_service_valid(m.call.service) || !rpc_arg_valid(m.call.arg) ||
		    !rpc_target_valid(m.call.target) || m.value > 1 ||
		    (m.value == 1 && (strcmp(m.call.service, "bulkhead.VhciAttach") ||
		    memchr(m.vhci.busid, '\0', sizeof(m.vhci.busid)) == NULL ||
		    m.vhci.speed < 1 || m.vhci.speed > 6 || m.vhci.speed == 4)))
			__builtin_trap();
		break;
	case GUARD_CLOSED:
		if (m.value > GUARD_END_MALFORMED)
			__builtin_trap();
		break;
	case GUARD_FW_CLOSED:
		if (m.value > GUARD_END_TOO_LONG)
			__builtin_trap();
		break;
	case GUARD_FW_ANSWER:
		if (memchr(m.fw.msg, '\0', sizeof(m.fw.msg)) == NULL ||
		    (m.fw.applied != 0 && m.fw.applied != 1) || m.fw.nrules < 0)
			__builtin_trap();
		for (const char *p = m.fw.msg; *p; p++)
			if (*p < 0x20 || *p > 0x7e)
				__builtin_trap();
		break;
	case GUARD_ADMIN_ARGS:
		if (m.admin.method >= admin_rpc_nmethods || m.admin.error > 1 ||
		    memchr(m.admin.msg, '\0', sizeof(m.admin.msg)) == NULL ||
		    m.admin.nargs > ADMIN_RPC_ARGS_MAX)
			__builtin_trap();
		for (uint32_t i = 0; !m.admin.error && i < m.admin.nargs; i++)
			if (m.admin.arg[i].key >= admin_rpc_nkeys(&admin_rpc_methods[m.admin.method]) ||
			    (m.admin.arg[i].type == ADMIN_ARG_STRING &&
			    memchr(m.admin.arg[i].str, '\0', sizeof(m.admin.arg[i].str)) == NULL))
				__builtin_trap();
		break;
	case GUARD_AGENT:
	case GUARD_ADMIN_GONE:
	case GUARD_REFUSED:
	case GUARD_FW_CONNECTED:
	case GUARD_READY:
	case GUARD_READY_BAD:
		break;
	default:
		__builtin_trap(); /* GUARD_CLOSE is domd's, never a guard's */
	}
	return 0;
}
