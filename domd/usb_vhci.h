/* The host's vhci-hcd for the ns backend. A qube there runs on the host's
 * kernel as an unprivileged uid behind a read-only /sys, so it cannot write
 * vhci-hcd's `attach`: domd does it for the importer of an attachment it
 * made, and hands the importer the other end of the socket the kernel
 * speaks USB/IP on. No descriptor of the qube's is ever given to the
 * kernel. */
#ifndef BULKHEAD_DOMD_USB_VHCI_H
#define BULKHEAD_DOMD_USB_VHCI_H

#include <stddef.h>
#include <stdint.h>

/* The attachment's port on the host: the kernel's end is kept to cut the
 * link on detach whatever the kernel or the importer do. */
struct usb_vhci_port {
	int port;       /* -1: none */
	int kernel_end; /* our copy of the socket vhci-hcd uses */
};

/* Plugs the device DEVID of SPEED (from the qube, checked: the exporter's
 * device id and usb_device_speed) into a free port not in TAKEN; returns
 * the importer's end of the socket, or -1 with err. */
int usb_vhci_plug(uint32_t devid, int speed, const int *taken, size_t ntaken,
    struct usb_vhci_port *out, char *err, size_t errlen);
/* Detaches the port (if any) and cuts the socket; idempotent. */
void usb_vhci_unplug(struct usb_vhci_port *p);

#endif
