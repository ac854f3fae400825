/* libFuzzer harness for admin_rpc_args_parse() (lib/admin_rpc.c): the
 * arguments of a qube's admin call, parsed by its guard. The first byte
 * picks the method. No input may crash the parser, and what it accepts
 * must be what domd's check (admin_rpc_args_check) accepts: known keys of
 * the method, each once, of their types, printable NUL-terminated strings;
 * a refusal carries a printable reason. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "admin_rpc.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct admin_rpc_args a;
	uint32_t method;
	int r;

	if (size == 0)
		return 0;
	method = data[0] % (uint32_t)(admin_rpc_nmethods + 1); /* one past the end too */
	r = admin_rpc_args_parse(method, (const char *)data + 1, size - 1, &a);
	CHECK(r == 0 || r == -1, "returned %d", r);
	CHECK((r == 0) == (a.error == 0), "returned %d with error %u", r, a.error);
	if (method == admin_rpc_nmethods) {
		CHECK(r < 0, "accepted a method that does not exist");
		return 0;
	}
	CHECK(a.method == method, "method %u became %u", method, a.method);
	CHECK(admin_rpc_args_check(&a) == 0, "domd's check refuses what the parser made (%s)",
	    a.msg);
	CHECK(a.nargs <= admin_rpc_nkeys(&admin_rpc_methods[method]), "%u arguments", a.nargs);
	if (r == 0)
		CHECK(size - 1 <= ADMIN_RPC_PAYLOAD_MAX, "accepted %zu bytes", size - 1);
	return 0;
}
