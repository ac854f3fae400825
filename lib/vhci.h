/* The kernel's vhci-hcd through sysfs: its port table (`status`) and the
 * `attach`/`detach` files, used by the importer in a qube with a kernel of
 * its own (Xen) and by domd for the qubes of the ns backend. The directory
 * is BULKHEAD_VHCI_SYSFS when set (tests), else the first controller's. */
#ifndef BULKHEAD_VHCI_H
#define BULKHEAD_VHCI_H

#include <stddef.h>
#include <stdint.h>

#define VHCI_SYSFS_DEFAULT "/sys/devices/platform/vhci_hcd.0"
#define VHCI_ST_NULL 4 /* a free port, in `status` */

const char *vhci_dir(void);
/* A free port for a device of this speed (usb_device_speed: super speed
 * and faster need an "ss" port, the others an "hs" one) that is not one of
 * TAKEN (ports handed out whose state may not show yet), or -1. */
int vhci_free_port(const char *dir, int speed, const int *taken, size_t ntaken);
/* The state of a port in `status`, or -1 when it is not listed. */
int vhci_port_state(const char *dir, int port);
int vhci_attach(const char *dir, int port, int sockfd, uint32_t devid, int speed);
int vhci_detach(const char *dir, int port);

#endif
