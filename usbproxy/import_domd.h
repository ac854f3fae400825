#ifndef BULKHEAD_USBPROXY_IMPORT_DOMD_H
#define BULKHEAD_USBPROXY_IMPORT_DOMD_H

#include <stdint.h>

/* Asks domd to plug the host's vhci-hcd port for the attachment of BUSID
 * (ns backend); returns the kernel's end of the USB/IP link, or -1 (said). */
int import_domd_link(const char *busid, uint32_t devid, int speed);

#endif
