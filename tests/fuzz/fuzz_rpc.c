/* libFuzzer harness for the RPC control-message parser (lib/rpc_wire.c):
 * qubes send these to domd, so no input may crash it, and what it accepts
 * must be well-formed. Also the data-frame header check. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rpc_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_str(const char *s, size_t size)
{
	if (memchr(s, '\0', size) == NULL)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;

	while (off < size) {
		struct rpc_msg m;
		size_t used = 0;
		int r = rpc_msg_parse(data + off, size - off, &m, &used);

		if (r != 1)
			break;
		if (used < sizeof(struct rpc_hdr) || used > size - off)
			__builtin_trap();
		if (m.type == RPC_CALL) {
			check_str(m.u.call.service, sizeof(m.u.call.service));
			if (!rpc_service_valid(m.u.call.service) || !rpc_arg_valid(m.u.call.arg) ||
			    !rpc_target_valid(m.u.call.target))
				__builtin_trap();
		}
		if (m.type == RPC_EXEC && m.cmdline != NULL &&
		    m.cmdline[m.u.exec.cmdline_len - 1] != '\0')
			__builtin_trap();
		off += used;
	}
	if (size >= sizeof(struct rpc_data_hdr)) {
		uint32_t type, len;
		if (rpc_data_hdr_check(data, &type, &len) == 0 &&
		    (len > RPC_DATA_MAX || type < RPC_DATA_STDIN || type > RPC_DATA_EXIT))
			__builtin_trap();
	}
	return 0;
}
