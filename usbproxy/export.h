/* The exporter's state: one device, the URBs in flight, the channel. */
#ifndef BULKHEAD_USBPROXY_EXPORT_H
#define BULKHEAD_USBPROXY_EXPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "usbproxy.h"

#define EXPORT_INFLIGHT_BYTES (64u * 1024 * 1024) /* stop reading beyond this */
#define EXPORT_OUTQ_MAX (16u * 1024 * 1024)
#define EXPORT_MAX_IFACES 32

struct urb {
	struct urb *next, *prev;
	struct export *ex;
	struct libusb_transfer *xfer;
	uint32_t seqnum;
	uint32_t direction;
	uint32_t length;
	bool control;
	bool unlinking;         /* a CMD_UNLINK asked to cancel it */
	uint32_t unlink_seqnum; /* that CMD_UNLINK's own seqnum */
};

struct export {
	libusb_context *ctx;
	libusb_device *dev;
	libusb_device_handle *h;
	uint32_t devid;
	struct usbip_eptab eps;
	uint8_t alt[EXPORT_MAX_IFACES];
	int nifaces;
	struct urb *urbs;  /* in flight */
	unsigned nurbs;
	size_t inflight_bytes;
	bool gone;         /* the device was unplugged */
	bool closing;      /* EOF or a protocol error: cancel, drain, exit */
	int status;        /* exit status once closed */
	/* channel */
	int in_fd, out_fd;
	uint8_t *inbuf;
	size_t inlen;
	uint8_t *outq;
	size_t outlen, outcap, outoff;
};

/* export_urb.c */
/* Acts on one checked command; -1 if it was out of order (logged). */
int export_command(struct export *ex, const struct usbip_cmd *c);
void export_cancel_all(struct export *ex);
/* export_io.c */
void export_send(struct export *ex, const void *hdr, size_t hlen, const void *data, size_t dlen);
int export_flush(struct export *ex);

#endif
