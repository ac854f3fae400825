/* libFuzzer harness for the vdagent reassembly (spice-gateway/vdagent.c):
 * the viewer's agent chunks, fed in pieces of every size. Messages handed
 * out must be within the limit and what the stream declared. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_check.h"
#include "vdagent.h"

#define LIMIT 3000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
on_msg(void *opaque, uint32_t port, uint32_t type, const uint8_t *msg, uint32_t len)
{
	CHECK(port == 1 || port == 2, "port %u", port);
	if (msg != NULL) {
		CHECK(len <= LIMIT, "message of %u", len);
		/* Touch every byte so that ASan sees an overrun. */
		volatile uint8_t x = 0;
		for (uint32_t i = 0; i < len; i++)
			x ^= msg[i];
		(void)x;
	} else {
		CHECK(len > LIMIT, "skipped a message of %u", len);
	}
	(*(size_t *)opaque)++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vda_reasm r;
	size_t off = 0, n = 0, step;

	if (size < 1)
		return 0;
	step = (size_t)data[0] % 97 + 1; /* the first byte picks the feed size */
	vda_init(&r, LIMIT);
	for (off = 1; off < size; off += step) {
		size_t len = size - off < step ? size - off : step;
		vda_feed(&r, data + off, len, on_msg, &n);
	}
	vda_free(&r);

	/* What vda_frame writes reads back as the same message. */
	if (size >= 2 && size - 1 <= LIMIT) {
		uint8_t framed[LIMIT + 64];
		size_t fl = vda_frame(framed, 1, 7, data + 1, (uint32_t)(size - 1));
		size_t got = 0;

		CHECK(fl == vda_framed_len((uint32_t)(size - 1)), "framed length");
		vda_init(&r, LIMIT);
		CHECK(vda_feed(&r, framed, fl, on_msg, &got) == 0 && got == 1, "round trip");
		vda_free(&r);
	}
	return 0;
}
