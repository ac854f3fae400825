/* `export BUSID`: serves one device over USB/IP on standard input/output.
 * Kernel drivers are detached and every interface claimed; the first line
 * out is "<devid> <speed>\n" (devid = bus << 16 | address, speed in sysfs'
 * words); URB messages follow both ways. A malformed or out-of-order
 * message is logged and ends the export (status 1); end of input ends it
 * (status 0), and so does an unplug, after every URB in flight has been
 * answered with an error. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export.h"
#include "log.h"
#include "xalloc.h"

#define POLL_MAX 16

static int
hotplug_left(libusb_context *ctx, libusb_device *dev, libusb_hotplug_event ev, void *arg)
{
	struct export *ex = arg;

	if (dev == ex->dev && !ex->gone) {
		log_info("device unplugged");
		ex->gone = true;
	}
	return 0;
}

static int
claim_all(struct export *ex, bool *detached)
{
	struct libusb_config_descriptor *cfg;

	if (libusb_get_active_config_descriptor(ex->dev, &cfg) != 0) {
		log_warnx("cannot read the active configuration");
		return -1;
	}
	ex->nifaces = cfg->bNumInterfaces < EXPORT_MAX_IFACES ? cfg->bNumInterfaces : EXPORT_MAX_IFACES;
	libusb_free_config_descriptor(cfg);
	for (int i = 0; i < ex->nifaces; i++) {
		int r = libusb_kernel_driver_active(ex->h, i);

		if (r == 1) {
			if ((r = libusb_detach_kernel_driver(ex->h, i)) != 0) {
				log_warnx("interface %d: cannot detach its driver: %s", i, libusb_strerror(r));
				return -1;
			}
			detached[i] = true;
		}
		if ((r = libusb_claim_interface(ex->h, i)) != 0) {
			log_warnx("interface %d: cannot claim: %s", i, libusb_strerror(r));
			return -1;
		}
	}
	return usbdev_eptab(ex->dev, ex->alt, ex->nifaces, &ex->eps);
}

static void
release_all(struct export *ex, const bool *detached)
{
	for (int i = 0; i < ex->nifaces; i++) {
		libusb_release_interface(ex->h, i);
		if (detached[i] && !ex->gone)
			libusb_attach_kernel_driver(ex->h, i);
	}
}

static void
close_with(struct export *ex, int status)
{
	if (ex->closing)
		return;
	ex->closing = true;
	ex->status = status;
	export_cancel_all(ex);
}

/* Room for one more URB: past these a hostile importer would only make us
 * allocate; its messages wait in the input buffer (and the channel). */
static bool
has_room(const struct export *ex)
{
	return ex->nurbs < USBIP_INFLIGHT_MAX && ex->inflight_bytes < EXPORT_INFLIGHT_BYTES &&
	    ex->outlen - ex->outoff < EXPORT_OUTQ_MAX;
}

/* Acts on the complete messages in the input buffer while there is room. */
static void
process_input(struct export *ex)
{
	size_t off = 0, used;
	struct usbip_cmd c;
	const char *why;
	int r = 0;

	/* After an unplug, what is already here is still answered (-ENODEV). */
	while (!ex->closing && has_room(ex) &&
	    (r = usbip_cmd_parse(ex->inbuf + off, ex->inlen - off, ex->devid, &ex->eps, &c, &used,
	    &why)) == 1) {
		off += used;
		if (export_command(ex, &c) != 0) {
			close_with(ex, 1);
			return;
		}
	}
	if (r < 0) {
		log_warnx("malformed message from the importer: %s", why);
		close_with(ex, 1);
		return;
	}
	memmove(ex->inbuf, ex->inbuf + off, ex->inlen - off);
	ex->inlen -= off;
}

/* Reads what the channel has, then acts on it. */
static void
read_input(struct export *ex)
{
	ssize_t n = read(ex->in_fd, ex->inbuf + ex->inlen, USBIP_MSG_MAX - ex->inlen);

	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return;
		log_warn("reading the channel");
		close_with(ex, 1);
		return;
	}
	if (n == 0) {
		if (ex->inlen > 0) {
			log_warnx("channel closed in the middle of a message");
			close_with(ex, 1);
		} else
			close_with(ex, 0);
		return;
	}
	ex->inlen += (size_t)n;
	process_input(ex);
}

static bool
finished(const struct export *ex)
{
	if (ex->nurbs > 0)
		return false;
	if (ex->closing)
		return true;
	/* After an unplug, once every answer has left. */
	return ex->gone && ex->outoff == ex->outlen;
}

static void
serve(struct export *ex)
{
	while (!finished(ex)) {
		struct pollfd pfd[POLL_MAX];
		const struct libusb_pollfd **ufds = libusb_get_pollfds(ex->ctx);
		struct timeval zero = { 0, 0 };
		int n = 0, in_i = -1, out_i = -1, hup_i = -1;
		/* With room, what the buffer holds is at most part of a message. */
		bool want_in = !ex->closing && !ex->gone && has_room(ex) && ex->inlen < USBIP_MSG_MAX;

		if (want_in) {
			in_i = n;
			pfd[n++] = (struct pollfd){ ex->in_fd, POLLIN, 0 };
		} else if (!ex->closing && !ex->gone) {
			/* Held back: still notice an importer that went away. */
			hup_i = n;
			pfd[n++] = (struct pollfd){ ex->in_fd, POLLRDHUP, 0 };
		}
		if (ex->outoff < ex->outlen && !ex->closing) {
			out_i = n;
			pfd[n++] = (struct pollfd){ ex->out_fd, POLLOUT, 0 };
		}
		for (int i = 0; ufds != NULL && ufds[i] != NULL && n < POLL_MAX; i++)
			pfd[n++] = (struct pollfd){ ufds[i]->fd, ufds[i]->events, 0 };
		libusb_free_pollfds(ufds);
		if (poll(pfd, (nfds_t)n, 200) < 0 && errno != EINTR)
			fatal("poll");
		libusb_handle_events_timeout_completed(ex->ctx, &zero, NULL);
		if (out_i >= 0 && pfd[out_i].revents != 0 && export_flush(ex) != 0) {
			log_warn("writing the channel");
			close_with(ex, 1);
		}
		if (hup_i >= 0 && (pfd[hup_i].revents & (POLLRDHUP | POLLHUP | POLLERR)))
			close_with(ex, 0);
		if (in_i >= 0 && pfd[in_i].revents != 0)
			read_input(ex);
		else if (ex->inlen > 0)
			process_input(ex); /* what waited for room */
	}
	if (!ex->closing && export_flush(ex) != 0)
		ex->status = 1;
}

static int
export_run(int argc, char **argv)
{
	struct export ex;
	bool detached[EXPORT_MAX_IFACES] = { false };
	libusb_hotplug_callback_handle hp;
	bool have_hp = false;
	char line[64];
	int r, rc = 1;

	if (argc != 2) {
		log_warnx("usage: %s", usbproxy_export_cmd.usage);
		return 2;
	}
	memset(&ex, 0, sizeof(ex));
	ex.in_fd = STDIN_FILENO;
	ex.out_fd = STDOUT_FILENO;
	signal(SIGPIPE, SIG_IGN);
	if ((r = libusb_init(&ex.ctx)) != 0) {
		log_warnx("libusb_init: %s", libusb_strerror(r));
		return 1;
	}
	if ((ex.dev = usbdev_find(ex.ctx, argv[1])) == NULL) {
		log_warnx("no device %s", argv[1]);
		goto out;
	}
	if ((r = libusb_open(ex.dev, &ex.h)) != 0) {
		log_warnx("%s: cannot open: %s", argv[1], libusb_strerror(r));
		goto out;
	}
	if (claim_all(&ex, detached) != 0)
		goto out;
	if (libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG) &&
	    libusb_hotplug_register_callback(ex.ctx, LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT, 0,
	    LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY,
	    hotplug_left, &ex, &hp) == 0)
		have_hp = true;
	ex.devid = (uint32_t)libusb_get_bus_number(ex.dev) << 16 | libusb_get_device_address(ex.dev);
	ex.inbuf = xmalloc(USBIP_MSG_MAX);
	/* The channel is ours alone: non-blocking writes let a slow importer
	 * queue up replies instead of stalling the USB side. */
	if (fcntl(ex.out_fd, F_SETFL, fcntl(ex.out_fd, F_GETFL) | O_NONBLOCK) < 0)
		log_warn("O_NONBLOCK on the channel");
	snprintf(line, sizeof(line), "%u %s\n", ex.devid, usbdev_speed_word(ex.dev));
	export_send(&ex, line, strlen(line), NULL, 0);
	log_debug("%s: exporting %s as devid %u", __func__, argv[1], ex.devid);
	serve(&ex);
	rc = ex.status;
	if (ex.gone)
		log_info("%s: device gone, export ended", argv[1]);
out:
	if (have_hp)
		libusb_hotplug_deregister_callback(ex.ctx, hp);
	if (ex.h != NULL) {
		release_all(&ex, detached);
		libusb_close(ex.h);
	}
	if (ex.dev != NULL)
		libusb_unref_device(ex.dev);
	libusb_exit(ex.ctx);
	free(ex.inbuf);
	free(ex.outq);
	return rc;
}

const struct usbproxy_cmd usbproxy_export_cmd = { "export", "export BUSID", export_run };
