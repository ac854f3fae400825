#include "usb_vhci.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "vhci.h"

int
usb_vhci_plug(uint32_t devid, int speed, const int *taken, size_t ntaken,
    struct usb_vhci_port *out, char *err, size_t errlen)
{
	const char *dir = vhci_dir();
	int port, sp[2];

	out->port = -1;
	out->kernel_end = -1;
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
