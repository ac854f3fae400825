#include "usb_vhci.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "vhci.h"

/* "DEVID+SPEED": a u32 and one of the kernel's usb_device_speed values a
 * USB/IP device may have (1 low, 2 full, 3 high, 5 super, 6 super-plus). */
static int
parse_spec(const char *untrusted_spec, uint32_t *devid, int *speed)
{
	unsigned long long untrusted_devid;
	char *end;
	long untrusted_speed;

	if (untrusted_spec[0] < '0' || untrusted_spec[0] > '9')
		return -1;
	errno = 0;
	untrusted_devid = strtoull(untrusted_spec, &end, 10);
	if (errno != 0 || *end != '+' || untrusted_devid > UINT32_MAX || end - untrusted_spec > 10)
		return -1;
	if (end[1] < '1' || end[1] > '6' || end[2] != '\0')
		return -1;
	untrusted_speed = end[1] - '0';
	if (untrusted_speed == 4) /* wireless: not over USB/IP */
		return -1;
	*devid = (uint32_t)untrusted_devid;
	*speed = (int)untrusted_speed;
	return 0;
}

int
usb_vhci_plug(const char *untrusted_spec, const int *taken, size_t ntaken,
    struct usb_vhci_port *out, char *err, size_t errlen)
{
	const char *dir = vhci_dir();
	uint32_t devid;
	int speed, port, sp[2];

	out->port = -1;
	out->kernel_end = -1;
	if (parse_spec(untrusted_spec, &devid, &speed) < 0) {
		snprintf(err, errlen, "expected DEVID+SPEED");
		return -1;
	}
	if ((port = vhci_free_port(dir, speed, taken, ntaken)) < 0) {
		snprintf(err, errlen, "no free vhci-hcd port for speed %d", speed);
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		return -1;
	}
	/* The number written is our descriptor: the kernel takes the socket
	 * from domd's table during the write. */
	if (vhci_attach(dir, port, sp[0], devid, speed) != 0) {
		snprintf(err, errlen, "vhci-hcd refused port %d", port);
		close(sp[0]);
		close(sp[1]);
		return -1;
	}
	out->port = port;
	out->kernel_end = sp[0];
	return sp[1];
}

void
usb_vhci_unplug(struct usb_vhci_port *p)
{
	/* The kernel frees a port by itself when its link fails. */
	if (p->port >= 0 && vhci_port_state(vhci_dir(), p->port) != VHCI_ST_NULL &&
	    vhci_detach(vhci_dir(), p->port) != 0)
		log_warnx("usb: vhci-hcd port %d: detach failed", p->port);
	if (p->kernel_end >= 0) {
		shutdown(p->kernel_end, SHUT_RDWR);
		close(p->kernel_end);
	}
	p->port = -1;
	p->kernel_end = -1;
}
