/* bulkhead.VhciAttach's argument, BUSID+DEVID+SPEED: the attachment's
 * device as its bulkhead.USB call named it (a bus id, e.g. 1-1.2, or a
 * model, VID.PID), the exporter's USB/IP device id and the device's
 * usb_device_speed. A qube writes it: its guard decodes it, and domd
 * takes only the checked fields. */
#ifndef BULKHEAD_VHCI_ARG_H
#define BULKHEAD_VHCI_ARG_H

#include <stdbool.h>
#include <stdint.h>

#define VHCI_ATTACH_SERVICE "bulkhead.VhciAttach"
#define VHCI_BUSID_MAX 15

struct vhci_arg {
	char busid[VHCI_BUSID_MAX + 1]; /* [A-Za-z0-9.-], NUL-terminated */
	uint32_t devid;
	int32_t speed; /* 1 low, 2 full, 3 high, 5 super, 6 super-plus */
};

/* 0 with *out filled, or -1 when untrusted_arg is anything else. */
int vhci_arg_parse(const char *untrusted_arg, struct vhci_arg *out);
/* What vhci_arg_parse() can produce, for a struct from a guard. */
bool vhci_arg_valid(const struct vhci_arg *a);

#endif
