/* The exporter's URBs: a checked CMD_SUBMIT becomes a libusb asynchronous
 * transfer, its completion a RET_SUBMIT; CMD_UNLINK cancels one. */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "log.h"
#include "xalloc.h"

#define URB_SHORT_NOT_OK 0x0001 /* the kernel's transfer_flags */
#define URB_ZERO_PACKET 0x0040

static int32_t
transfer_errno(enum libusb_transfer_status s)
{
	switch (s) {
	case LIBUSB_TRANSFER_COMPLETED:
		return 0;
	case LIBUSB_TRANSFER_TIMED_OUT:
		return -ETIMEDOUT;
	case LIBUSB_TRANSFER_CANCELLED:
		return -ECONNRESET;
	case LIBUSB_TRANSFER_STALL:
		return -EPIPE;
	case LIBUSB_TRANSFER_NO_DEVICE:
		return -ENODEV;
	case LIBUSB_TRANSFER_OVERFLOW:
		return -EOVERFLOW;
	default:
		return -EPROTO;
	}
}

static int32_t
libusb_errno(int r)
{
	switch (r) {
	case LIBUSB_SUCCESS:
		return 0;
	case LIBUSB_ERROR_INVALID_PARAM:
		return -EINVAL;
	case LIBUSB_ERROR_ACCESS:
		return -EACCES;
	case LIBUSB_ERROR_NO_DEVICE:
		return -ENODEV;
	case LIBUSB_ERROR_NOT_FOUND:
		return -ENOENT;
	case LIBUSB_ERROR_BUSY:
		return -EBUSY;
	case LIBUSB_ERROR_TIMEOUT:
		return -ETIMEDOUT;
	case LIBUSB_ERROR_OVERFLOW:
		return -EOVERFLOW;
	case LIBUSB_ERROR_PIPE:
		return -EPIPE;
	case LIBUSB_ERROR_INTERRUPTED:
		return -EINTR;
	case LIBUSB_ERROR_NO_MEM:
		return -ENOMEM;
	case LIBUSB_ERROR_NOT_SUPPORTED:
		return -EOPNOTSUPP;
	default:
		return -EIO;
	}
}

static void
send_ret_submit(struct export *ex, uint32_t seqnum, int32_t status, const void *data,
    uint32_t len)
{
	uint8_t h[USBIP_HDR_SIZE];

	usbip_put_ret_submit(h, seqnum, status, len, 0);
	export_send(ex, h, sizeof(h), data, data != NULL ? len : 0);
}

static void
send_ret_unlink(struct export *ex, uint32_t seqnum, int32_t status)
{
	uint8_t h[USBIP_HDR_SIZE];

	usbip_put_ret_unlink(h, seqnum, status);
	export_send(ex, h, sizeof(h), NULL, 0);
}

static void
urb_free(struct urb *u)
{
	struct export *ex = u->ex;

	if (u->prev != NULL)
		u->prev->next = u->next;
	else
		ex->urbs = u->next;
	if (u->next != NULL)
		u->next->prev = u->prev;
	ex->nurbs--;
	ex->inflight_bytes -= u->length;
	libusb_free_transfer(u->xfer); /* and its buffer (LIBUSB_TRANSFER_FREE_BUFFER) */
	free(u);
}

static void
xfer_done(struct libusb_transfer *t)
{
	struct urb *u = t->user_data;
	struct export *ex = u->ex;
	const uint8_t *data = NULL;

	if (t->status == LIBUSB_TRANSFER_NO_DEVICE && !ex->gone) {
		log_info("device unplugged");
		ex->gone = true;
	}
	log_debug("%s: seqnum %u status %d actual %d", __func__, u->seqnum, t->status,
	    t->actual_length);
	if (ex->closing) {
		/* Nobody is listening any more. */
	} else if (u->unlinking && t->status == LIBUSB_TRANSFER_CANCELLED) {
		send_ret_unlink(ex, u->unlink_seqnum, -ECONNRESET);
	} else {
		if (u->direction == USBIP_DIR_IN)
			data = u->control ? libusb_control_transfer_get_data(t) : t->buffer;
		send_ret_submit(ex, u->seqnum, transfer_errno(t->status), data,
		    (uint32_t)t->actual_length);
		/* It completed before the cancel took effect. */
		if (u->unlinking)
			send_ret_unlink(ex, u->unlink_seqnum, 0);
	}
	urb_free(u);
}

static struct urb *
find_urb(struct export *ex, uint32_t seqnum)
{
	for (struct urb *u = ex->urbs; u != NULL; u = u->next)
		if (u->seqnum == seqnum)
			return u;
	return NULL;
}

static bool
seqnum_in_use(struct export *ex, uint32_t seqnum)
{
	for (struct urb *u = ex->urbs; u != NULL; u = u->next)
		if (u->seqnum == seqnum || (u->unlinking && u->unlink_seqnum == seqnum))
			return true;
	return false;
}

/* Requests that change the device's state go through libusb's own calls,
 * as the kernel's usbip-host does; true if c was one (and is answered). */
static bool
special_request(struct export *ex, const struct usbip_cmd *c)
{
	uint8_t type = c->setup[0], req = c->setup[1];
	uint16_t value = (uint16_t)(c->setup[2] | c->setup[3] << 8);
	uint16_t index = (uint16_t)(c->setup[4] | c->setup[5] << 8);
	int r;

	if (type == LIBUSB_RECIPIENT_ENDPOINT && req == LIBUSB_REQUEST_CLEAR_FEATURE && value == 0) {
		/* ENDPOINT_HALT: libusb also resets its own toggle state. */
		int dir = (index & 0x80) ? USBIP_DIR_IN : USBIP_DIR_OUT;

		if ((index & 0x70) != 0 || ex->eps.type[dir][index & 0x0f] == USBIP_EP_NONE)
			r = LIBUSB_ERROR_INVALID_PARAM;
		else
			r = libusb_clear_halt(ex->h, (unsigned char)index);
	} else if (type == LIBUSB_RECIPIENT_INTERFACE && req == LIBUSB_REQUEST_SET_INTERFACE) {
		if (index >= ex->nifaces || value > 255)
			r = LIBUSB_ERROR_INVALID_PARAM;
		else if ((r = libusb_set_interface_alt_setting(ex->h, index, value)) == 0) {
			ex->alt[index] = (uint8_t)value;
			if (usbdev_eptab(ex->dev, ex->alt, ex->nifaces, &ex->eps) != 0)
				r = LIBUSB_ERROR_IO;
		}
	} else if (type == 0 && req == LIBUSB_REQUEST_SET_CONFIGURATION) {
		/* The exported configuration stays (as with usbip-host). */
		r = 0;
	} else
		return false;
	send_ret_submit(ex, c->seqnum, libusb_errno(r), NULL, 0);
	return true;
}

static void
submit(struct export *ex, const struct usbip_cmd *c)
{
	struct libusb_transfer *t;
	struct urb *u;
	size_t size = c->length + (c->type == USBIP_EP_CONTROL ? LIBUSB_CONTROL_SETUP_SIZE : 0);
	unsigned char ep = (unsigned char)(c->ep | (c->direction == USBIP_DIR_IN ? 0x80 : 0));
	uint8_t *buf;
	int r;

	if (ex->gone) {
		send_ret_submit(ex, c->seqnum, -ENODEV, NULL, 0);
		return;
	}
	if (c->type == USBIP_EP_CONTROL && special_request(ex, c))
		return;
	t = libusb_alloc_transfer(0);
	buf = malloc(size > 0 ? size : 1);
	u = calloc(1, sizeof(*u));
	if (t == NULL || buf == NULL || u == NULL) {
		libusb_free_transfer(t);
		free(buf);
		free(u);
		send_ret_submit(ex, c->seqnum, -ENOMEM, NULL, 0);
		return;
	}
	switch (c->type) {
	case USBIP_EP_CONTROL:
		memcpy(buf, c->setup, LIBUSB_CONTROL_SETUP_SIZE);
		if (c->direction == USBIP_DIR_OUT)
			memcpy(buf + LIBUSB_CONTROL_SETUP_SIZE, c->out_data, c->length);
		libusb_fill_control_transfer(t, ex->h, buf, xfer_done, u, 0);
		t->endpoint = (unsigned char)c->ep; /* rarely other than 0 */
		break;
	case USBIP_EP_BULK:
	case USBIP_EP_INTR:
		if (c->direction == USBIP_DIR_OUT)
			memcpy(buf, c->out_data, c->length);
		if (c->type == USBIP_EP_BULK)
			libusb_fill_bulk_transfer(t, ex->h, ep, buf, (int)c->length, xfer_done, u, 0);
		else
			libusb_fill_interrupt_transfer(t, ex->h, ep, buf, (int)c->length, xfer_done, u,
			    0);
		break;
	default: /* the parser let no other type through */
		abort();
	}
	t->flags = LIBUSB_TRANSFER_FREE_BUFFER;
	if (c->direction == USBIP_DIR_IN && (c->flags & URB_SHORT_NOT_OK))
		t->flags |= LIBUSB_TRANSFER_SHORT_NOT_OK;
	if (c->direction == USBIP_DIR_OUT && (c->flags & URB_ZERO_PACKET))
		t->flags |= LIBUSB_TRANSFER_ADD_ZERO_PACKET;
	u->ex = ex;
	u->xfer = t;
	u->seqnum = c->seqnum;
	u->direction = c->direction;
	u->length = (uint32_t)size;
	u->control = c->type == USBIP_EP_CONTROL;
	u->next = ex->urbs;
	if (ex->urbs != NULL)
		ex->urbs->prev = u;
	ex->urbs = u;
	ex->nurbs++;
	ex->inflight_bytes += size;
	if ((r = libusb_submit_transfer(t)) != 0) {
		if (r == LIBUSB_ERROR_NO_DEVICE && !ex->gone) {
			log_info("device unplugged");
			ex->gone = true;
		}
		send_ret_submit(ex, c->seqnum, libusb_errno(r), NULL, 0);
		urb_free(u);
	}
}

static int
unlink_urb(struct export *ex, const struct usbip_cmd *c)
{
	struct urb *u = find_urb(ex, c->unlink_seqnum);

	if (u == NULL) {
		/* Already answered: nothing to cancel. */
		send_ret_unlink(ex, c->seqnum, 0);
		return 0;
	}
	if (u->unlinking) {
		log_warnx("importer unlinked seqnum %u twice", c->unlink_seqnum);
		return -1;
	}
	u->unlinking = true;
	u->unlink_seqnum = c->seqnum;
	/* On failure it is completing anyway: xfer_done answers both. */
	(void)libusb_cancel_transfer(u->xfer);
	return 0;
}

int
export_command(struct export *ex, const struct usbip_cmd *c)
{
	log_debug("%s: %s seqnum %u ep %u%s length %u", __func__,
	    c->command == USBIP_CMD_SUBMIT ? "submit" : "unlink", c->seqnum, c->ep,
	    c->direction == USBIP_DIR_IN ? " in" : "", c->length);
	if (seqnum_in_use(ex, c->seqnum)) {
		log_warnx("importer reused seqnum %u while it is in flight", c->seqnum);
		return -1;
	}
	if (c->command == USBIP_CMD_UNLINK)
		return unlink_urb(ex, c);
	submit(ex, c);
	return 0;
}

void
export_cancel_all(struct export *ex)
{
	for (struct urb *u = ex->urbs; u != NULL; u = u->next)
		(void)libusb_cancel_transfer(u->xfer);
}
