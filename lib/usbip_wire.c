#include "usbip_wire.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

/* Header offsets (Documentation/usb/usbip_protocol.rst). */
#define OFF_COMMAND 0
#define OFF_SEQNUM 4
#define OFF_DEVID 8
#define OFF_DIRECTION 12
#define OFF_EP 16
#define OFF_FLAGS 20     /* CMD_SUBMIT; CMD_UNLINK: unlink seqnum; RET_*: status */
#define OFF_LENGTH 24    /* CMD_SUBMIT: buffer length; RET_SUBMIT: actual length */
#define OFF_START 28
#define OFF_NPACKETS 32
#define OFF_INTERVAL 36  /* RET_SUBMIT: error_count */
#define OFF_SETUP 40

#define NPACKETS_NONE 0xffffffffu /* the document's "not ISO"; the kernel sends 0 */
#define ERRNO_MAX 4095

static uint32_t
get32(const uint8_t *b, size_t off)
{
	uint32_t v;

	memcpy(&v, b + off, sizeof(v));
	return be32toh(v);
}

static void
put32(uint8_t *b, size_t off, uint32_t v)
{
	v = htobe32(v);
	memcpy(b + off, &v, sizeof(v));
}

static int
bad(const char **why, const char *what)
{
	*why = what;
	return -1;
}

int
usbip_cmd_parse(const void *untrusted_buf, size_t untrusted_len, uint32_t devid,
    const struct usbip_eptab *eps, struct usbip_cmd *out, size_t *used, const char **why)
{
	const uint8_t *b = untrusted_buf;
	uint32_t untrusted_command, untrusted_dir, untrusted_ep, untrusted_len_field,
	    untrusted_npackets;
	uint16_t wlength;
	size_t need;

	*why = NULL;
	if (untrusted_len < USBIP_HDR_SIZE)
		return 0;
	memset(out, 0, sizeof(*out));
	untrusted_command = get32(b, OFF_COMMAND);
	if (untrusted_command != USBIP_CMD_SUBMIT && untrusted_command != USBIP_CMD_UNLINK)
		return bad(why, "not a CMD_SUBMIT or CMD_UNLINK");
	if (get32(b, OFF_DEVID) != devid)
		return bad(why, "devid of another device");
	out->command = untrusted_command;
	out->seqnum = get32(b, OFF_SEQNUM);
	if (untrusted_command == USBIP_CMD_UNLINK) {
		/* direction and ep of an unlink are not used; the seqnum may name
		 * a URB that has completed meanwhile, which is answered with 0. */
		out->unlink_seqnum = get32(b, OFF_FLAGS);
		*used = USBIP_HDR_SIZE;
		return 1;
	}

	untrusted_dir = get32(b, OFF_DIRECTION);
	untrusted_ep = get32(b, OFF_EP);
	if (untrusted_dir != USBIP_DIR_OUT && untrusted_dir != USBIP_DIR_IN)
		return bad(why, "direction neither IN nor OUT");
	if (untrusted_ep > 15)
		return bad(why, "endpoint number above 15");
	out->type = eps->type[untrusted_dir][untrusted_ep];
	if (out->type == USBIP_EP_NONE)
		return bad(why, "endpoint the device does not have");
	if (out->type == USBIP_EP_ISO)
		return bad(why, "isochronous transfers are not supported");
	untrusted_npackets = get32(b, OFF_NPACKETS);
	if (untrusted_npackets != 0 && untrusted_npackets != NPACKETS_NONE)
		return bad(why, "iso packets in a non-isochronous transfer");
	untrusted_len_field = get32(b, OFF_LENGTH);
	if (untrusted_len_field > USBIP_XFER_MAX)
		return bad(why, "transfer length above the maximum");
	out->direction = untrusted_dir;
	out->ep = untrusted_ep;
	out->length = untrusted_len_field;
	out->flags = get32(b, OFF_FLAGS);
	out->interval = get32(b, OFF_INTERVAL);
	if (out->type == USBIP_EP_CONTROL) {
		memcpy(out->setup, b + OFF_SETUP, sizeof(out->setup));
		wlength = (uint16_t)(out->setup[6] | out->setup[7] << 8);
		if (wlength != out->length)
			return bad(why, "control wLength differs from the transfer length");
		/* A request without data may travel either way. */
		if (wlength > 0 && (out->setup[0] >> 7) != out->direction)
			return bad(why, "control direction differs from bmRequestType");
	}
	need = USBIP_HDR_SIZE + (out->direction == USBIP_DIR_OUT ? out->length : 0);
	if (untrusted_len < need)
		return 0;
	if (out->direction == USBIP_DIR_OUT)
		out->out_data = b + USBIP_HDR_SIZE;
	*used = need;
	return 1;
}

static bool
status_ok(int32_t s)
{
	return s <= 0 && s >= -ERRNO_MAX;
}

int
usbip_ret_parse(const void *untrusted_buf, size_t untrusted_len,
    const struct usbip_pendtab *pend, struct usbip_ret *out, size_t *used, const char **why)
{
	const uint8_t *b = untrusted_buf;
	const struct usbip_pending *p;
	uint32_t untrusted_command, untrusted_actual, untrusted_npackets;
	int32_t untrusted_status;
	size_t need;

	*why = NULL;
	if (untrusted_len < USBIP_HDR_SIZE)
		return 0;
	memset(out, 0, sizeof(*out));
	untrusted_command = get32(b, OFF_COMMAND);
	if (untrusted_command != USBIP_RET_SUBMIT && untrusted_command != USBIP_RET_UNLINK)
		return bad(why, "not a RET_SUBMIT or RET_UNLINK");
	/* devid, direction and ep of replies are 0 by the protocol and unused. */
	p = usbip_pend_find(pend, get32(b, OFF_SEQNUM));
	if (p == NULL)
		return bad(why, "reply to a seqnum that is not in flight");
	if ((untrusted_command == USBIP_RET_SUBMIT) != (p->command == USBIP_CMD_SUBMIT))
		return bad(why, "reply of the wrong kind for its seqnum");
	untrusted_status = (int32_t)get32(b, OFF_FLAGS);
	if (!status_ok(untrusted_status))
		return bad(why, "status is not 0 or a negative errno");
	out->command = untrusted_command;
	out->seqnum = p->seqnum;
	out->status = untrusted_status;
	out->req = *p;
	if (untrusted_command == USBIP_RET_UNLINK) {
		*used = USBIP_HDR_SIZE;
		return 1;
	}
	untrusted_actual = get32(b, OFF_LENGTH);
	if (untrusted_actual > p->length)
		return bad(why, "actual length above the requested length");
	untrusted_npackets = get32(b, OFF_NPACKETS);
	if (untrusted_npackets != 0 && untrusted_npackets != NPACKETS_NONE)
		return bad(why, "iso packets in a reply to a non-isochronous transfer");
	if (get32(b, OFF_INTERVAL) != 0)
		return bad(why, "error count in a non-isochronous reply");
	out->actual_length = untrusted_actual;
	need = USBIP_HDR_SIZE + (p->direction == USBIP_DIR_IN ? untrusted_actual : 0);
	if (untrusted_len < need)
		return 0;
	if (p->direction == USBIP_DIR_IN)
		out->in_data = b + USBIP_HDR_SIZE;
	*used = need;
	return 1;
}

const struct usbip_pending *
usbip_pend_find(const struct usbip_pendtab *pend, uint32_t seqnum)
{
	for (unsigned i = 0; i < pend->n; i++)
		if (pend->e[i].seqnum == seqnum)
			return &pend->e[i];
	return NULL;
}

int
usbip_pend_add(struct usbip_pendtab *pend, const struct usbip_pending *p)
{
	if (pend->n >= USBIP_INFLIGHT_MAX || usbip_pend_find(pend, p->seqnum) != NULL)
		return -1;
	pend->e[pend->n++] = *p;
	return 0;
}

static void
pend_drop(struct usbip_pendtab *pend, uint32_t seqnum)
{
	for (unsigned i = 0; i < pend->n; i++)
		if (pend->e[i].seqnum == seqnum) {
			pend->e[i] = pend->e[--pend->n];
			return;
		}
}

void
usbip_pend_answered(struct usbip_pendtab *pend, const struct usbip_ret *r)
{
	pend_drop(pend, r->seqnum);
	/* A cancelled URB gets no RET_SUBMIT of its own. */
	if (r->command == USBIP_RET_UNLINK && r->status == -ECONNRESET)
		pend_drop(pend, r->req.unlink_seqnum);
}

static void
put_base(uint8_t *h, uint32_t command, uint32_t seqnum, uint32_t devid, uint32_t direction,
    uint32_t ep)
{
	memset(h, 0, USBIP_HDR_SIZE);
	put32(h, OFF_COMMAND, command);
	put32(h, OFF_SEQNUM, seqnum);
	put32(h, OFF_DEVID, devid);
	put32(h, OFF_DIRECTION, direction);
	put32(h, OFF_EP, ep);
}

void
usbip_put_cmd_submit(uint8_t hdr[USBIP_HDR_SIZE], uint32_t seqnum, uint32_t devid,
    uint32_t direction, uint32_t ep, uint32_t flags, uint32_t length, uint32_t interval,
    const uint8_t setup[8])
{
	put_base(hdr, USBIP_CMD_SUBMIT, seqnum, devid, direction, ep);
	put32(hdr, OFF_FLAGS, flags);
	put32(hdr, OFF_LENGTH, length);
	put32(hdr, OFF_INTERVAL, interval);
	if (setup != NULL)
		memcpy(hdr + OFF_SETUP, setup, 8);
}

void
usbip_put_cmd_unlink(uint8_t hdr[USBIP_HDR_SIZE], uint32_t seqnum, uint32_t devid,
    uint32_t direction, uint32_t ep, uint32_t unlink_seqnum)
{
	put_base(hdr, USBIP_CMD_UNLINK, seqnum, devid, direction, ep);
	put32(hdr, OFF_FLAGS, unlink_seqnum);
}

void
usbip_put_ret_submit(uint8_t hdr[USBIP_HDR_SIZE], uint32_t seqnum, int32_t status,
    uint32_t actual_length, uint32_t error_count)
{
	put_base(hdr, USBIP_RET_SUBMIT, seqnum, 0, 0, 0);
	put32(hdr, OFF_FLAGS, (uint32_t)status);
	put32(hdr, OFF_LENGTH, actual_length);
	put32(hdr, OFF_INTERVAL, error_count);
}

void
usbip_put_ret_unlink(uint8_t hdr[USBIP_HDR_SIZE], uint32_t seqnum, int32_t status)
{
	put_base(hdr, USBIP_RET_UNLINK, seqnum, 0, 0, 0);
	put32(hdr, OFF_FLAGS, (uint32_t)status);
}

int
usbip_speed_from_mbps(const char *s)
{
	static const struct {
		const char *mbps;
		int speed;
	} map[] = { { "1.5", 1 }, { "12", 2 }, { "480", 3 }, { "5000", 5 }, { "10000", 6 },
		{ "20000", 6 } };

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(s, map[i].mbps) == 0)
			return map[i].speed;
	return 0;
}
