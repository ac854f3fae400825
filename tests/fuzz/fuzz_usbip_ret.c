/* libFuzzer harness for the USB/IP reply parser (lib/usbip_wire.c): the
 * importer in an AppVM reads these from sys-usb. The first bytes of the
 * input choose the transfers in flight; the rest is the reply stream, which
 * must only be accepted for those transfers and within their lengths. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "usbip_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct usbip_pendtab pend;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;
	unsigned n;

	memset(&pend, 0, sizeof(pend));
	if (size < 1)
		return 0;
	/* Up to 8 commands in flight, 4 bytes each: seqnum low byte, kind and
	 * direction, length (2 bytes, scaled to reach the maximum). */
	n = data[0] % 9;
	off = 1;
	for (unsigned i = 0; i < n && size - off >= 4; i++, off += 4) {
		struct usbip_pending p = {
			.seqnum = data[off],
			.command = (data[off + 1] & 1) ? USBIP_CMD_UNLINK : USBIP_CMD_SUBMIT,
			.direction = (data[off + 1] >> 1) & 1,
			.length = ((uint32_t)data[off + 2] << 8 | data[off + 3]) * 16,
			.unlink_seqnum = data[off + 1] >> 2,
		};
		(void)usbip_pend_add(&pend, &p);
	}
	while (off < size) {
		struct usbip_ret r;
		size_t used = 0;
		const char *why;
		int res = usbip_ret_parse(data + off, size - off, &pend, &r, &used, &why);

		if (res == -1 && why == NULL)
			__builtin_trap();
		if (res != 1)
			break;
		if (used < USBIP_HDR_SIZE || used > size - off || r.status > 0)
			__builtin_trap();
		if (r.command == USBIP_RET_SUBMIT) {
			if (r.req.command != USBIP_CMD_SUBMIT || r.actual_length > r.req.length)
				__builtin_trap();
			if (r.req.direction == USBIP_DIR_IN &&
			    (r.in_data != data + off + USBIP_HDR_SIZE ||
			    used != USBIP_HDR_SIZE + r.actual_length))
				__builtin_trap();
		} else if (r.req.command != USBIP_CMD_UNLINK)
			__builtin_trap();
		usbip_pend_answered(&pend, &r);
		if (usbip_pend_find(&pend, r.seqnum) != NULL)
			__builtin_trap();
		off += used;
	}
	return 0;
}
