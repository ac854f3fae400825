/* `list [--watch]`: the devices sys-usb can export, one line each:
 *   BUSID<TAB>VID:PID<TAB>SPEED<TAB>MANUFACTURER<TAB>PRODUCT
 * Strings come from the device and are sanitised. With --watch, every line
 * is prefixed "add<TAB>", and hotplug events follow as "add<TAB>LINE" and
 * "remove<TAB>BUSID" until standard output closes (where libusb has
 * hotplug; otherwise --watch fails). Root hubs and hubs are not listed. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "usbproxy.h"

static int
describe(libusb_device *dev, char *line, size_t size)
{
	struct libusb_device_descriptor d;
	libusb_device_handle *h = NULL;
	char busid[USB_BUSID_MAX], mfr[USB_STRING_MAX + 1], prod[USB_STRING_MAX + 1];

	if (usbdev_busid(dev, busid, sizeof(busid)) != 0 ||
	    libusb_get_device_descriptor(dev, &d) != 0 || d.bDeviceClass == LIBUSB_CLASS_HUB)
		return -1;
	if (libusb_open(dev, &h) != 0)
		h = NULL;
	usbdev_string(h, d.iManufacturer, mfr);
	usbdev_string(h, d.iProduct, prod);
	if (h != NULL)
		libusb_close(h);
	snprintf(line, size, "%s\t%04x:%04x\t%s\t%s\t%s", busid, d.idVendor, d.idProduct,
	    usbdev_speed_word(dev), mfr, prod);
	return 0;
}

static const char *watch_prefix = "";

static int
hotplug_cb(libusb_context *ctx, libusb_device *dev, libusb_hotplug_event ev, void *arg)
{
	char line[512], busid[USB_BUSID_MAX];

	if (ev == LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED) {
		if (describe(dev, line, sizeof(line)) == 0)
			printf("add\t%s\n", line);
	} else if (usbdev_busid(dev, busid, sizeof(busid)) == 0)
		printf("remove\t%s\n", busid);
	fflush(stdout);
	return 0;
}

static int
list_run(int argc, char **argv)
{
	libusb_context *ctx;
	libusb_device **list;
	libusb_hotplug_callback_handle cb;
	char line[512];
	ssize_t n;
	int watch = argc == 2 && !strcmp(argv[1], "--watch");

	if (argc > 2 || (argc == 2 && !watch)) {
		log_warnx("usage: %s", usbproxy_list_cmd.usage);
		return 2;
	}
	if (libusb_init(&ctx) != 0) {
		log_warnx("libusb_init failed");
		return 1;
	}
	if (watch) {
		if (!libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG)) {
			log_warnx("no hotplug support in this libusb");
			libusb_exit(ctx);
			return 1;
		}
		watch_prefix = "add\t";
	}
	if ((n = libusb_get_device_list(ctx, &list)) < 0) {
		log_warnx("cannot list devices: %s", libusb_strerror((int)n));
		libusb_exit(ctx);
		return 1;
	}
	for (ssize_t i = 0; i < n; i++)
		if (describe(list[i], line, sizeof(line)) == 0)
			printf("%s%s\n", watch_prefix, line);
	libusb_free_device_list(list, 1);
	fflush(stdout);
	if (watch && libusb_hotplug_register_callback(ctx,
	    LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED | LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT, 0,
	    LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY,
	    hotplug_cb, NULL, &cb) == 0) {
		struct timeval tv = { 0, 500000 };
		struct pollfd out = { STDOUT_FILENO, 0, 0 };

		/* Until the reader goes away (POLLERR/POLLHUP on stdout). */
		while (poll(&out, 1, 0) == 0 || !(out.revents & (POLLERR | POLLHUP)))
			libusb_handle_events_timeout_completed(ctx, &tv, NULL);
	}
	libusb_exit(ctx);
	return 0;
}

const struct usbproxy_cmd usbproxy_list_cmd = { "list", "list [--watch]", list_run };
