/* USB/IP URB messages (protocol version 0x0111, the kernel's usbip-host and
 * vhci-hcd), as carried between the exporter in sys-usb and the importer in
 * an AppVM. Unlike our own protocols these are big-endian (the kernel's wire
 * format); setup packets stay little-endian as on the bus.
 *
 * Both directions are hostile: the AppVM's commands to sys-usb and sys-usb's
 * replies to the AppVM. Each direction has one parser; a field read from the
 * peer is untrusted_* until that parser has checked it against what the
 * reader knows (the device's endpoints, the transfers in flight).
 *
 * Not supported yet: isochronous transfers (number_of_packets > 0, or an
 * isochronous endpoint) are refused as malformed. */
#ifndef BULKHEAD_USBIP_WIRE_H
#define BULKHEAD_USBIP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define USBIP_VERSION 0x0111
#define USBIP_HDR_SIZE 48
#define USBIP_XFER_MAX (1024 * 1024) /* data of one URB, either way */
#define USBIP_INFLIGHT_MAX 1024      /* URBs one side may have outstanding */
#define USBIP_MSG_MAX (USBIP_HDR_SIZE + USBIP_XFER_MAX)

enum usbip_command {
	USBIP_CMD_SUBMIT = 1,
	USBIP_CMD_UNLINK = 2,
	USBIP_RET_SUBMIT = 3,
	USBIP_RET_UNLINK = 4,
};

enum usbip_dir { USBIP_DIR_OUT = 0, USBIP_DIR_IN = 1 };

/* Endpoint types, as the exporter reads them from the configuration. */
enum usbip_ep_type {
	USBIP_EP_NONE = 0,
	USBIP_EP_CONTROL,
	USBIP_EP_ISO,
	USBIP_EP_BULK,
	USBIP_EP_INTR,
};

/* The endpoints the device has, by [direction][number]; endpoint 0 is the
 * control endpoint both ways. */
struct usbip_eptab {
	uint8_t type[2][16];
};

/* A checked command from the importer. */
struct usbip_cmd {
	uint32_t command;  /* USBIP_CMD_SUBMIT or USBIP_CMD_UNLINK */
	uint32_t seqnum;
	uint32_t direction;
	uint32_t ep;       /* 0..15 */
	enum usbip_ep_type type;
	uint32_t flags;    /* URB_* transfer flags, passed on as information */
	uint32_t length;   /* <= USBIP_XFER_MAX; for control, wLength */
	uint32_t interval;
	uint8_t setup[8];  /* control only */
	uint32_t unlink_seqnum;
	const uint8_t *out_data; /* OUT: length bytes inside the parsed buffer */
};

/* A URB the reader of replies has sent and not yet seen answered. */
struct usbip_pending {
	uint32_t seqnum;
	uint32_t command; /* USBIP_CMD_SUBMIT or USBIP_CMD_UNLINK */
	uint32_t direction;
	uint32_t length;
	uint32_t unlink_seqnum;
};

struct usbip_pendtab {
	struct usbip_pending e[USBIP_INFLIGHT_MAX];
	unsigned n;
};

/* A checked reply from the exporter. */
struct usbip_ret {
	uint32_t command; /* USBIP_RET_SUBMIT or USBIP_RET_UNLINK */
	uint32_t seqnum;
	int32_t status;   /* 0 or a negative errno */
	uint32_t actual_length;
	uint32_t error_count;
	const uint8_t *in_data; /* IN: actual_length bytes inside the buffer */
	struct usbip_pending req; /* the command this answers */
};

/* Both parsers: 1 and *used set: one message (its data may point into buf);
 * 0: incomplete, read more (a message is at most USBIP_MSG_MAX bytes);
 * -1: malformed, *why names the problem for the log line. */
int usbip_cmd_parse(const void *untrusted_buf, size_t untrusted_len, uint32_t devid,
    const struct usbip_eptab *eps, struct usbip_cmd *out, size_t *used, const char **why);
/* Replies are checked against pend (which the caller keeps up to date: see
 * usbip_pend_add/usbip_pend_answered). */
int usbip_ret_parse(const void *untrusted_buf, size_t untrusted_len,
    const struct usbip_pendtab *pend, struct usbip_ret *out, size_t *used, const char **why);

/* Bookkeeping of the reply side: add a sent command (-1 if the table is
 * full or the seqnum is already in flight), and drop what a checked reply
 * answered. */
int usbip_pend_add(struct usbip_pendtab *pend, const struct usbip_pending *p);
const struct usbip_pending *usbip_pend_find(const struct usbip_pendtab *pend, uint32_t seqnum);
void usbip_pend_answered(struct usbip_pendtab *pend, const struct usbip_ret *r);

/* Writers: the 48-byte header of each message into hdr (data follows it on
 * the wire). */
void usbip_put_cmd_submit(uint8_t hdr[USBIP_HDR_SIZE], uint32_t seqnum, uint32_t devid,
    uint32_t direction, uint32_t ep, uint32_t flags, uint32_t length, uint32_t interval,
    const uint8_t setup[8]);
void usbip_put_cmd_unlink(uint8_t hdr[USBIP_HDR_SIZE], uint32_t seqnum, uint32_t devid,
    uint32_t direction, uint32_t ep, uint32_t unlink_seqnum);
void usbip_put_ret_submit(uint8_t hdr[USBIP_HDR_SIZE], uint32_t seqnum, int32_t status,
    uint32_t actual_length, uint32_t error_count);
void usbip_put_ret_unlink(uint8_t hdr[USBIP_HDR_SIZE], uint32_t seqnum, int32_t status);

/* "1.5", "12", "480", "5000", "10000" (sysfs' words, Qubes' first line) to
 * the kernel's enum usb_device_speed (1 low, 2 full, 3 high, 5 super,
 * 6 super-plus); 0 if unknown. */
int usbip_speed_from_mbps(const char *s);

#endif
