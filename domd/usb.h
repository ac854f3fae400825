/* USB devices of a USB qube (provides_usb, e.g. sys-usb) attached to other
 * qubes. domd never touches a device: it starts the importer in the qube
 * (as root), lets exactly that importer call the USB qube's bulkhead.USB
 * service once (the operator's attach is the allow; the policy denies it
 * otherwise), and keeps a handle on the channel between them so that a
 * detach cuts it whatever either side does. */
#ifndef BULKHEAD_DOMD_USB_H
#define BULKHEAD_DOMD_USB_H

#include <stdbool.h>

#include "vhci_arg.h"
#include "vm.h"

struct usb_att;

/* Attaches device id ("USBVM:BUSID" or "USBVM:VID:PID") to vm; code is an
 * API error code on failure. */
int usb_attach(struct vm *vm, const char *id, char *code, char *err, size_t errlen);
/* Detaches it (0), or -1 when it is not attached to vm. */
int usb_detach(struct vm *vm, const char *id, char *err, size_t errlen);
/* Calls fn for every attachment: the qube, the device and "attaching",
 * "attached" or "detaching". */
void usb_each(void (*fn)(const char *vm, const char *device, const char *state, void *arg),
    void *arg);

/* rpc/broker.c: a bulkhead.USB call from source for arg to target: true (and
 * the grant used up) when an attach asked for exactly this call. */
bool usb_grant_take(const char *source, const char *arg, const char *target);
/* rpc/broker.c: that call is connected; fd is one end of its channel (dup'd). */
void usb_channel(const char *source, const char *arg, int fd);

/* rpc/dom0_services.c: bulkhead.VhciAttach+BUSID+DEVID+SPEED from vm's root
 * (ns only), as the caller's guard decoded it (NULL: it could not): plugs
 * the host's vhci-hcd port for vm's attachment of BUSID, once, after its
 * bulkhead.USB call was connected; returns the importer's end of the
 * kernel's USB/IP socket, or -1 with err. */
int usb_vhci_grant(struct vm *vm, const struct vhci_arg *va, char *err, size_t errlen);

/* Hooks: vm is running (attach its assigned devices, and the devices
 * assigned from it), vm halted (its attachments end). */
void usb_vm_running(struct vm *vm);
void usb_vm_halted(struct vm *vm);

void usb_tick(void);

#endif
