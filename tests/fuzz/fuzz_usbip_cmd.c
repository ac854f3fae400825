/* libFuzzer harness for the USB/IP command parser (lib/usbip_wire.c): the
 * exporter in sys-usb reads these from an AppVM, so no input may crash it,
 * and what it accepts must fit the device's endpoints and the maxima. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "usbip_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DEVID 0x10002u

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct usbip_eptab eps;
	size_t off = 0;

	/* A device like the test one: control, bulk 1 both ways, interrupt IN 3,
	 * and an isochronous IN 4 that must be refused. */
	memset(&eps, 0, sizeof(eps));
	eps.type[0][0] = eps.type[1][0] = USBIP_EP_CONTROL;
	eps.type[0][1] = eps.type[1][1] = USBIP_EP_BULK;
	eps.type[1][3] = USBIP_EP_INTR;
	eps.type[1][4] = USBIP_EP_ISO;
	while (off < size) {
		struct usbip_cmd c;
		size_t used = 0;
		const char *why;
		int r = usbip_cmd_parse(data + off, size - off, DEVID, &eps, &c, &used, &why);

		if (r == -1 && why == NULL)
			__builtin_trap();
		if (r != 1)
			break;
		if (used < USBIP_HDR_SIZE || used > size - off)
			__builtin_trap();
		if (c.command == USBIP_CMD_SUBMIT) {
			if (c.ep > 15 || c.direction > 1 || c.length > USBIP_XFER_MAX ||
			    eps.type[c.direction][c.ep] != c.type || c.type == USBIP_EP_NONE ||
			    c.type == USBIP_EP_ISO)
				__builtin_trap();
			if (c.direction == USBIP_DIR_OUT &&
			    (c.out_data != data + off + USBIP_HDR_SIZE || used != USBIP_HDR_SIZE + c.length))
				__builtin_trap();
			if (c.direction == USBIP_DIR_IN && (c.out_data != NULL || used != USBIP_HDR_SIZE))
				__builtin_trap();
		}
		off += used;
	}
	return 0;
}
