#include "usbproxy.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

int
usbdev_busid(libusb_device *dev, char *buf, size_t size)
{
	uint8_t ports[8];
	int n = libusb_get_port_numbers(dev, ports, sizeof(ports));
	size_t len;

	if (n <= 0)
		return -1;
	len = (size_t)snprintf(buf, size, "%u-%u", libusb_get_bus_number(dev), ports[0]);
	for (int i = 1; i < n && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, ".%u", ports[i]);
	return len < size ? 0 : -1;
}

/* "VVVV.PPPP" or "VVVV:PPPP" (the RPC argument cannot hold ':'): 1 with
 * the ids, 0 for anything else (a bus id). */
static int
parse_vidpid(const char *s, unsigned *vid, unsigned *pid)
{
	char sep;
	int used = 0;

	if (strlen(s) != 9 || sscanf(s, "%4x%c%4x%n", vid, &sep, pid, &used) != 3 || used != 9 ||
	    (sep != '.' && sep != ':'))
		return 0;
	for (int i = 0; i < 9; i++)
		if (i != 4 && !isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

libusb_device *
usbdev_find(libusb_context *ctx, const char *busid)
{
	libusb_device **list, *found = NULL;
	char id[USB_BUSID_MAX];
	unsigned vid, pid;
	int by_ids = parse_vidpid(busid, &vid, &pid);
	ssize_t n = libusb_get_device_list(ctx, &list);

	if (n < 0)
		return NULL;
	/* The first match: a persistent assignment names the model. */
	for (ssize_t i = 0; i < n && found == NULL; i++) {
		struct libusb_device_descriptor d;
		if (by_ids ? libusb_get_device_descriptor(list[i], &d) == 0 &&
		    d.idVendor == vid && d.idProduct == pid && d.bDeviceClass != LIBUSB_CLASS_HUB :
		    usbdev_busid(list[i], id, sizeof(id)) == 0 && strcmp(id, busid) == 0)
			found = libusb_ref_device(list[i]);
	}
	libusb_free_device_list(list, 1);
	return found;
}

const char *
usbdev_speed_word(libusb_device *dev)
{
	switch (libusb_get_device_speed(dev)) {
	case LIBUSB_SPEED_LOW:
		return "1.5";
	case LIBUSB_SPEED_FULL:
		return "12";
	case LIBUSB_SPEED_SUPER:
		return "5000";
	case LIBUSB_SPEED_SUPER_PLUS:
		return "10000";
	default:
		/* High speed, and unknown: vhci's high-speed ports take both. */
		return "480";
	}
}

void
usb_sanitize(char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i < max; i++)
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '\\')
			s[i] = '_';
	s[i] = '\0';
}

void
usbdev_string(libusb_device_handle *h, uint8_t index, char out[USB_STRING_MAX + 1])
{
	unsigned char untrusted_buf[256];
	int n;

	out[0] = '\0';
	if (h == NULL || index == 0)
		return;
	n = libusb_get_string_descriptor_ascii(h, index, untrusted_buf, sizeof(untrusted_buf));
	if (n <= 0)
		return;
	/* Cut first; an embedded NUL just ends the string early. */
	if (n > USB_STRING_MAX)
		n = USB_STRING_MAX;
	memcpy(out, untrusted_buf, (size_t)n);
	out[n] = '\0';
	usb_sanitize(out, USB_STRING_MAX);
}

int
usbdev_eptab(libusb_device *dev, const uint8_t *alt, int nalt, struct usbip_eptab *eps)
{
	static const uint8_t types[4] = { USBIP_EP_CONTROL, USBIP_EP_ISO, USBIP_EP_BULK,
		USBIP_EP_INTR };
	struct libusb_config_descriptor *cfg;

	memset(eps, 0, sizeof(*eps));
	eps->type[USBIP_DIR_OUT][0] = eps->type[USBIP_DIR_IN][0] = USBIP_EP_CONTROL;
	if (libusb_get_active_config_descriptor(dev, &cfg) != 0)
		return -1;
	for (int i = 0; i < cfg->bNumInterfaces; i++) {
		const struct libusb_interface *itf = &cfg->interface[i];
		int a = i < nalt ? alt[i] : 0;

		if (a >= itf->num_altsetting)
			continue;
		for (int e = 0; e < itf->altsetting[a].bNumEndpoints; e++) {
			const struct libusb_endpoint_descriptor *ep = &itf->altsetting[a].endpoint[e];
			int dir = (ep->bEndpointAddress & 0x80) ? USBIP_DIR_IN : USBIP_DIR_OUT;
			int num = ep->bEndpointAddress & 0x0f;

			if (num != 0)
				eps->type[dir][num] = types[ep->bmAttributes & 3];
		}
	}
	libusb_free_config_descriptor(cfg);
	return 0;
}
