/* bulkhead-usbproxy: the USB side of Bulkhead. In sys-usb, `list` and
 * `export BUSID` (libusb, USB/IP on standard input/output, which are the RPC
 * channel); in an AppVM, `import` (the channel to the kernel's vhci-hcd).
 * One file per subcommand, collected in usbproxy_cmds[] (main.c). */
#ifndef BULKHEAD_USBPROXY_H
#define BULKHEAD_USBPROXY_H

#include <stddef.h>
#include <libusb.h>

#include "usbip_wire.h"

#define USB_STRING_MAX 64 /* sanitised descriptor strings are cut here */
#define USB_BUSID_MAX 32  /* "1-1.2.3", as the kernel's busid */

struct usbproxy_cmd {
	const char *name;
	const char *usage;
	int (*run)(int argc, char **argv);
};

extern const struct usbproxy_cmd usbproxy_list_cmd;
extern const struct usbproxy_cmd usbproxy_export_cmd;
extern const struct usbproxy_cmd usbproxy_import_cmd;

/* usbdev.c: naming and describing libusb devices. */
/* "BUS-PORT[.PORT...]"; -1 for a root hub (no ports) or a too long path. */
int usbdev_busid(libusb_device *dev, char *buf, size_t size);
/* The device named busid (a new reference), or NULL. */
/* The device with bus id busid ("1-1.2"), or the first of model
 * "VVVV.PPPP" (or "VVVV:PPPP"); referenced, NULL if none. */
libusb_device *usbdev_find(libusb_context *ctx, const char *busid);
/* sysfs' words for a speed: "1.5", "12", "480", "5000", "10000". */
const char *usbdev_speed_word(libusb_device *dev);
/* A string descriptor of the (untrusted) device, kept to printable ASCII and
 * USB_STRING_MAX bytes; "" when absent or unreadable. */
void usbdev_string(libusb_device_handle *h, uint8_t index, char out[USB_STRING_MAX + 1]);
/* Keeps printable ASCII other than tab and backslash; anything else
 * becomes '_'. In place; cuts at max bytes. */
void usb_sanitize(char *s, size_t max);
/* The endpoints of the active configuration, each interface at alt[i]. */
int usbdev_eptab(libusb_device *dev, const uint8_t *alt, int nalt, struct usbip_eptab *eps);

#endif
