/* The USB device nodes of a qube with provides_usb on the ns backend. Its
 * root is an unprivileged host uid and the host's /dev/bus/usb nodes are
 * host root's (devtmpfs cannot be idmapped), so its launcher mounts an
 * empty tmpfs (not nodev) at its /dev/bus/usb and domd keeps there a copy
 * of the host's tree: each USB device node (major 189) made again, owned
 * by the qube's root, mode 0600; nodes of unplugged devices removed. The
 * host's tree is BULKHEAD_USB_DEVDIR when set (tests), else /dev/bus/usb. */
#ifndef BULKHEAD_DOMD_USB_NODES_H
#define BULKHEAD_DOMD_USB_NODES_H

#include "vm.h"

/* Brings vm's copy up to date (a running ns qube with provides_usb; any
 * other is left alone). */
void usb_nodes_sync(const struct vm *vm);

#endif
