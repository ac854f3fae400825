/* libFuzzer harness for the frame header dom0's relay reads from a Xen
 * guest (lib/xen_relay_frame.c): no input may crash it, and a frame it
 * accepts must name a valid connection and fit in what it was given. */
#include <stddef.h>
#include <stdint.h>

#include "xen_relay_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;

	while (off < size) {
		struct xen_relay_frame f;
		int r = xen_relay_parse(data + off, size - off, &f);

		if (r != 1)
			break;
		if (f.conn >= XEN_RELAY_CONNS || f.len > XEN_RELAY_FRAME_MAX ||
		    sizeof(f) + f.len > size - off)
			__builtin_trap();
		off += sizeof(f) + f.len;
	}
	return 0;
}
