/* libFuzzer harness for the admin call's channel reader (lib/admin_rpc_in.c):
 * the bytes a qube writes on an allowed admin call's data channel, read
 * by its guard. Byte 0 picks the method, byte 1 the size of the pieces
 * the rest is fed in (as read(2) would cut it). No input may crash it;
 * the room offered is never 0; arguments come at most once and pass
 * domd's check; and pieces of any size give what the whole gives. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "admin_rpc_in.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Feeds data in pieces of step bytes; 1 and *out when arguments came. */
static int
feed(struct admin_rpc_in *in, const uint8_t *data, size_t size, size_t step,
    struct admin_rpc_args *out)
{
	int got = 0;

	for (size_t off = 0; off < size;) {
		size_t room, n;
		struct admin_rpc_args a;
		void *p = admin_rpc_in_room(in, &room);
		CHECK(room > 0, "no room at offset %zu", off);
		n = size - off < step ? size - off : step;
		n = n < room ? n : room;
		memcpy(p, data + off, n);
		off += n;
		if (admin_rpc_in_took(in, n, &a) == 1) {
			CHECK(!got, "arguments came twice");
			CHECK(admin_rpc_args_check(&a) == 0, "domd's check refuses them (%s)", a.msg);
			*out = a;
			got = 1;
		}
	}
	return got;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct admin_rpc_in whole, pieces;
	struct admin_rpc_args a1, a2;
	uint32_t method;
	size_t step;
	int g1, g2;

	if (size < 2)
		return 0;
	method = data[0] % (uint32_t)admin_rpc_nmethods;
	step = (size_t)data[1] % 64 + 1;
	admin_rpc_in_init(&whole, method);
	admin_rpc_in_init(&pieces, method);
	memset(&a1, 0, sizeof(a1));
	memset(&a2, 0, sizeof(a2));
	g1 = feed(&whole, data + 2, size - 2, size, &a1);
	g2 = feed(&pieces, data + 2, size - 2, step, &a2);
	CHECK(g1 == g2, "whole: %d, in pieces of %zu: %d", g1, step, g2);
	CHECK(!g1 || memcmp(&a1, &a2, sizeof(a1)) == 0, "pieces of %zu change the arguments",
	    step);
	return 0;
}
