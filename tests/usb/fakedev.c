/* usb-fakedev: a programmable USB device for the tests, built on umockdev.
 *
 *   usb-fakedev [-v] -- COMMAND [ARG...]
 *
 * Runs COMMAND (with libumockdev-preload, as itself) in a testbed holding one root hub
 * and one device, bus 1 address 2, busid 1-1, id 1209:b0b0, high speed:
 * - control: GET_DESCRIPTOR (device, configuration, strings), GET_STATUS,
 *   SET_CONFIGURATION/SET_INTERFACE; any other request stalls;
 * - bulk OUT 0x01 → bulk IN 0x81 loopback: an IN transfer waits until OUT
 *   data is there, then takes what fits;
 * - interrupt IN 0x82: every transfer completes at once with an 8-byte
 *   report, a little-endian counter then "INTR";
 * - interface 0 starts bound to a kernel driver ("fake-hid"): claiming it
 *   fails with EBUSY until the driver is detached (USBDEVFS_DISCONNECT);
 *   detach and re-attach are logged on standard error;
 * - SIGUSR1 unplugs it: waiting transfers end with -ESHUTDOWN, then every
 *   call fails with ENODEV, and a "remove" uevent is sent.
 * The product string is deliberately hostile (control characters, longer
 * than a console line) to exercise sanitising. Exits with COMMAND's status.
 * The usbfs ioctls are served from umockdev's worker thread; the main thread
 * only waits for signals and the child. */
#include <errno.h>
#include <glib-unix.h>
#include <linux/ioctl.h>
#include <linux/usbdevice_fs.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <umockdev.h>
#include <unistd.h>

#define DEVNODE "/dev/bus/usb/001/002"
#define SYSPATH "/sys/devices/usb1/1-1"

static const guint8 dev_desc[18] = {
	0x12, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x40, 0x09, 0x12, 0xb0, 0xb0, 0x00, 0x01,
	0x01, 0x02, 0x03, 0x01,
};
static const guint8 cfg_desc[39] = {
	0x09, 0x02, 0x27, 0x00, 0x01, 0x01, 0x00, 0x80, 0x32,
	0x09, 0x04, 0x00, 0x00, 0x03, 0xff, 0x00, 0x00, 0x00,
	0x07, 0x05, 0x01, 0x02, 0x00, 0x02, 0x00, /* bulk OUT 1, 512 */
	0x07, 0x05, 0x81, 0x02, 0x00, 0x02, 0x00, /* bulk IN 1, 512 */
	0x07, 0x05, 0x82, 0x03, 0x08, 0x00, 0x04, /* interrupt IN 2, 8 */
};
static const char *const strings[] = {
	NULL, "Bulkhead Test", "Loop\tback\x1b[31m device "
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	"0001",
};

struct furb {
	UMockdevIoctlData *urb; /* struct usbdevfs_urb, resolved at submit */
	UMockdevIoctlData *buf; /* its buffer */
};

static struct {
	GMutex lock;
	GQueue waiting_in; /* bulk IN waiting for loopback data */
	GQueue done;       /* completed, to be reaped */
	GByteArray *fifo;  /* bulk OUT data not yet read back */
	guint32 intr_count;
	gboolean unplugged;
	gboolean driver_bound;
	UMockdevTestbed *tb;
	int verbose;
} fd_state;

static void
finish(struct furb *f, int status, int actual)
{
	struct usbdevfs_urb *u = (struct usbdevfs_urb *)f->urb->data;

	u->status = status;
	u->actual_length = actual;
	g_queue_push_tail(&fd_state.done, f);
}

/* Feeds waiting IN transfers from the loopback FIFO. */
static void
feed_in(void)
{
	while (fd_state.fifo->len > 0 && !g_queue_is_empty(&fd_state.waiting_in)) {
		struct furb *f = g_queue_pop_head(&fd_state.waiting_in);
		struct usbdevfs_urb *u = (struct usbdevfs_urb *)f->urb->data;
		guint n = MIN((guint)u->buffer_length, fd_state.fifo->len);

		memcpy(f->buf->data, fd_state.fifo->data, n);
		g_byte_array_remove_range(fd_state.fifo, 0, n);
		finish(f, 0, (int)n);
	}
}

static int
string_desc(int index, guint8 *out, int max)
{
	guint8 d[255];
	int len;

	if (index == 0) {
		d[0] = 4, d[1] = 3, d[2] = 0x09, d[3] = 0x04;
		len = 4;
	} else if (index < (int)G_N_ELEMENTS(strings)) {
		const char *s = strings[index];
		size_t n = MIN(strlen(s), (sizeof(d) - 2) / 2);

		for (size_t i = 0; i < n; i++)
			d[2 + 2 * i] = (guint8)s[i], d[3 + 2 * i] = 0;
		len = 2 + 2 * (int)n;
		d[0] = (guint8)len, d[1] = 3;
	} else
		return -1;
	len = MIN(len, max);
	memcpy(out, d, (size_t)len);
	return len;
}

/* A control transfer: its buffer is the setup packet then the data. */
static void
control(struct furb *f)
{
	struct usbdevfs_urb *u = (struct usbdevfs_urb *)f->urb->data;
	guint8 *b = f->buf->data, *data = b + 8;
	int type = b[0], req = b[1], value = b[2] | b[3] << 8, wlen = b[6] | b[7] << 8;
	int max = MIN(wlen, u->buffer_length - 8), n = -1;

	if (type == 0x80 && req == 6) {
		switch (value >> 8) {
		case 1:
			n = MIN(max, (int)sizeof(dev_desc));
			memcpy(data, dev_desc, (size_t)n);
			break;
		case 2:
			n = MIN(max, (int)sizeof(cfg_desc));
			memcpy(data, cfg_desc, (size_t)n);
			break;
		case 3:
			n = string_desc(value & 0xff, data, max);
			break;
		}
	} else if ((type == 0x80 || type == 0x81 || type == 0x82) && req == 0 && max >= 2) {
		data[0] = data[1] = 0;
		n = 2;
	} else if ((type == 0x00 && req == 9) || (type == 0x01 && req == 11))
		n = 0;
	if (fd_state.verbose)
		g_printerr("usb-fakedev: control %02x %02x %04x len %d -> %d\n", type, req, value,
		    wlen, n);
	finish(f, n < 0 ? -EPIPE : 0, n < 0 ? 0 : n);
}

static void
submit(UMockdevIoctlClient *client, UMockdevIoctlData *arg)
{
	struct usbdevfs_urb *u;
	struct furb *f = g_new0(struct furb, 1);

	f->urb = umockdev_ioctl_data_resolve(arg, 0, sizeof(struct usbdevfs_urb), NULL);
	u = (struct usbdevfs_urb *)f->urb->data;
	f->buf = umockdev_ioctl_data_resolve(f->urb, offsetof(struct usbdevfs_urb, buffer),
	    (gsize)MAX(u->buffer_length, 0), NULL);
	if (f->buf == NULL) {
		g_object_unref(f->urb);
		g_free(f);
		umockdev_ioctl_client_complete(client, -1, EINVAL);
		return;
	}
	if (u->type == USBDEVFS_URB_TYPE_CONTROL && u->endpoint == 0)
		control(f);
	else if (u->type == USBDEVFS_URB_TYPE_BULK && u->endpoint == 0x01) {
		g_byte_array_append(fd_state.fifo, f->buf->data, (guint)u->buffer_length);
		finish(f, 0, u->buffer_length);
	} else if (u->type == USBDEVFS_URB_TYPE_BULK && u->endpoint == 0x81)
		g_queue_push_tail(&fd_state.waiting_in, f);
	else if (u->type == USBDEVFS_URB_TYPE_INTERRUPT && u->endpoint == 0x82 &&
	    u->buffer_length >= 8) {
		guint32 c = GUINT32_TO_LE(++fd_state.intr_count);

		memcpy(f->buf->data, &c, 4);
		memcpy(f->buf->data + 4, "INTR", 4);
		finish(f, 0, 8);
	} else {
		g_object_unref(f->buf);
		g_object_unref(f->urb);
		g_free(f);
		umockdev_ioctl_client_complete(client, -1, EINVAL);
		return;
	}
	feed_in();
	umockdev_ioctl_client_complete(client, 0, 0);
}

static void
reap(UMockdevIoctlClient *client, UMockdevIoctlData *arg)
{
	struct furb *f = g_queue_pop_head(&fd_state.done);
	UMockdevIoctlData *ptr;

	if (f == NULL) {
		umockdev_ioctl_client_complete(client, -1, fd_state.unplugged ? ENODEV : EAGAIN);
		return;
	}
	ptr = umockdev_ioctl_data_resolve(arg, 0, sizeof(gpointer), NULL);
	umockdev_ioctl_data_set_ptr(ptr, 0, f->urb);
	umockdev_ioctl_client_complete(client, 0, 0);
	g_object_unref(ptr);
	g_object_unref(f->buf);
	g_object_unref(f->urb);
	g_free(f);
}

static gint
by_addr(gconstpointer a, gconstpointer addr)
{
	return ((const struct furb *)a)->urb->client_addr != (gulong)addr;
}

static void
discard(UMockdevIoctlClient *client, UMockdevIoctlData *arg)
{
	gulong addr = *(gulong *)arg->data;
	GList *l = g_queue_find_custom(&fd_state.waiting_in, (gconstpointer)addr, by_addr);

	if (l == NULL) {
		umockdev_ioctl_client_complete(client, -1, EINVAL);
		return;
	}
	finish(l->data, -ENOENT, 0);
	g_queue_delete_link(&fd_state.waiting_in, l);
	umockdev_ioctl_client_complete(client, 0, 0);
}

static void
getdriver(UMockdevIoctlClient *client, UMockdevIoctlData *arg)
{
	UMockdevIoctlData *d;

	if (!fd_state.driver_bound) {
		umockdev_ioctl_client_complete(client, -1, ENODATA);
		return;
	}
	d = umockdev_ioctl_data_resolve(arg, 0, sizeof(struct usbdevfs_getdriver), NULL);
	snprintf(((struct usbdevfs_getdriver *)d->data)->driver, USBDEVFS_MAXDRIVERNAME + 1,
	    "fake-hid");
	umockdev_ioctl_client_complete(client, 0, 0);
	g_object_unref(d);
}

/* USBDEVFS_IOCTL: the driver of interface 0 is detached or re-attached. */
static void
driver_ioctl(UMockdevIoctlClient *client, UMockdevIoctlData *arg)
{
	UMockdevIoctlData *d = umockdev_ioctl_data_resolve(arg, 0, sizeof(struct usbdevfs_ioctl), NULL);
	struct usbdevfs_ioctl *io = (struct usbdevfs_ioctl *)d->data;

	if (io->ifno != 0 || (io->ioctl_code != USBDEVFS_DISCONNECT &&
	    io->ioctl_code != USBDEVFS_CONNECT)) {
		umockdev_ioctl_client_complete(client, -1, EINVAL);
	} else if ((io->ioctl_code == USBDEVFS_DISCONNECT) != fd_state.driver_bound) {
		umockdev_ioctl_client_complete(client, -1, ENODATA);
	} else {
		fd_state.driver_bound = io->ioctl_code == USBDEVFS_CONNECT;
		g_printerr("usb-fakedev: kernel driver %s interface 0\n",
		    fd_state.driver_bound ? "re-attached to" : "detached from");
		umockdev_ioctl_client_complete(client, 0, 0);
	}
	g_object_unref(d);
}

static gboolean
handle_ioctl(UMockdevIoctlBase *handler, UMockdevIoctlClient *client, gpointer unused)
{
	gulong req = umockdev_ioctl_client_get_request(client);
	UMockdevIoctlData *arg = umockdev_ioctl_client_get_arg(client);

	g_mutex_lock(&fd_state.lock);
	if (fd_state.unplugged && req != USBDEVFS_REAPURB && req != USBDEVFS_REAPURBNDELAY) {
		umockdev_ioctl_client_complete(client, -1, ENODEV);
		goto out;
	}
	switch (req) {
	case USBDEVFS_GET_CAPABILITIES: {
		UMockdevIoctlData *d = umockdev_ioctl_data_resolve(arg, 0, sizeof(guint32), NULL);

		*(guint32 *)d->data = USBDEVFS_CAP_BULK_CONTINUATION | USBDEVFS_CAP_NO_PACKET_SIZE_LIM |
		    USBDEVFS_CAP_REAP_AFTER_DISCONNECT | USBDEVFS_CAP_ZERO_PACKET;
		umockdev_ioctl_client_complete(client, 0, 0);
		g_object_unref(d);
		break;
	}
	case USBDEVFS_GETDRIVER:
		getdriver(client, arg);
		break;
	case USBDEVFS_IOCTL:
		driver_ioctl(client, arg);
		break;
	case USBDEVFS_CLAIMINTERFACE:
		if (fd_state.driver_bound)
			umockdev_ioctl_client_complete(client, -1, EBUSY);
		else
			umockdev_ioctl_client_complete(client, 0, 0);
		break;
	case USBDEVFS_RELEASEINTERFACE:
	case USBDEVFS_SETINTERFACE:
	case USBDEVFS_SETCONFIGURATION:
	case USBDEVFS_CLEAR_HALT:
	case USBDEVFS_RESETEP:
	case USBDEVFS_RESET:
		umockdev_ioctl_client_complete(client, 0, 0);
		break;
	case USBDEVFS_SUBMITURB:
		submit(client, arg);
		break;
	case USBDEVFS_REAPURB:
	case USBDEVFS_REAPURBNDELAY:
		reap(client, arg);
		break;
	case USBDEVFS_DISCARDURB:
		discard(client, arg);
		break;
	default:
		if (fd_state.verbose)
			g_printerr("usb-fakedev: unhandled ioctl 0x%lx\n", req);
		umockdev_ioctl_client_complete(client, -1, ENOTTY);
	}
out:
	g_mutex_unlock(&fd_state.lock);
	return TRUE;
}

static gboolean
on_unplug(gpointer unused)
{
	g_mutex_lock(&fd_state.lock);
	if (!fd_state.unplugged) {
		fd_state.unplugged = TRUE;
		while (!g_queue_is_empty(&fd_state.waiting_in))
			finish(g_queue_pop_head(&fd_state.waiting_in), -ESHUTDOWN, 0);
	}
	g_mutex_unlock(&fd_state.lock);
	umockdev_testbed_uevent(fd_state.tb, SYSPATH, "remove");
	if (fd_state.verbose)
		g_printerr("usb-fakedev: unplugged\n");
	return G_SOURCE_CONTINUE;
}

static int child_status = 1;

static void
on_child(GPid pid, gint status, gpointer loop)
{
	if (WIFEXITED(status))
		child_status = WEXITSTATUS(status);
	else
		child_status = 128 + WTERMSIG(status);
	g_main_loop_quit(loop);
}

static void
add_devices(UMockdevTestbed *tb)
{
	GString *hex = g_string_new(NULL);
	char *rec;

	umockdev_testbed_add_from_string(tb,
	    "P: /devices/usb1\n"
	    "N: bus/usb/001/001\n"
	    "E: SUBSYSTEM=usb\nE: DEVTYPE=usb_device\nE: DRIVER=usb\n"
	    "E: BUSNUM=001\nE: DEVNUM=001\nE: DEVNAME=/dev/bus/usb/001/001\n"
	    "A: busnum=1\\n\nA: devnum=1\\n\nA: speed=480\\n\nA: bConfigurationValue=1\\n\n"
	    "H: descriptors=12010002090001406b1d020000060302010109021900010100e0000904000001090000000705810304000c\n",
	    NULL);
	for (size_t i = 0; i < sizeof(dev_desc); i++)
		g_string_append_printf(hex, "%02x", dev_desc[i]);
	for (size_t i = 0; i < sizeof(cfg_desc); i++)
		g_string_append_printf(hex, "%02x", cfg_desc[i]);
	rec = g_strdup_printf(
	    "P: /devices/usb1/1-1\n"
	    "N: bus/usb/001/002\n"
	    "E: SUBSYSTEM=usb\nE: DEVTYPE=usb_device\nE: DRIVER=usb\n"
	    "E: BUSNUM=001\nE: DEVNUM=002\nE: DEVNAME=" DEVNODE "\n"
	    "A: busnum=1\\n\nA: devnum=2\\n\nA: speed=480\\n\nA: bConfigurationValue=1\\n\n"
	    "H: descriptors=%s\n", hex->str);
	umockdev_testbed_add_from_string(tb, rec, NULL);
	g_free(rec);
	g_string_free(hex, TRUE);
}

int
main(int argc, char **argv)
{
	UMockdevIoctlBase *handler;
	GMainLoop *loop;
	GError *err = NULL;
	GPid pid;
	char **env;
	const char *asan;
	int i = 1;

	/* The testbed's own udev calls (uevents) must see the mock sysfs too. */
	if (getenv("LD_PRELOAD") == NULL || strstr(getenv("LD_PRELOAD"), "libumockdev-preload") == NULL) {
		setenv("LD_PRELOAD", "libumockdev-preload.so.0", 1);
		execv("/proc/self/exe", argv);
		perror("usb-fakedev: re-exec");
		return 1;
	}
	if (i < argc && strcmp(argv[i], "-v") == 0)
		fd_state.verbose = 1, i++;
	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	if (i >= argc) {
		fprintf(stderr, "usage: usb-fakedev [-v] -- COMMAND [ARG...]\n");
		return 2;
	}
	g_mutex_init(&fd_state.lock);
	fd_state.driver_bound = TRUE;
	fd_state.fifo = g_byte_array_new();
	fd_state.tb = umockdev_testbed_new();
	handler = umockdev_ioctl_base_new();
	g_object_connect(handler, "signal-after::handle-ioctl", handle_ioctl, NULL, NULL);
	/* The handler first, so the device works as soon as it appears. */
	if (!umockdev_testbed_attach_ioctl(fd_state.tb, DEVNODE, handler, &err)) {
		fprintf(stderr, "usb-fakedev: attach_ioctl: %s\n", err->message);
		return 1;
	}
	add_devices(fd_state.tb);

	env = g_get_environ();
	/* Under ASan the preload library comes first: tell ASan that is fine. */
	asan = g_environ_getenv(env, "ASAN_OPTIONS");
	{
		char *a = g_strdup_printf("%s%sverify_asan_link_order=0", asan ? asan : "",
		    asan && *asan ? ":" : "");
		env = g_environ_setenv(env, "ASAN_OPTIONS", a, TRUE);
		g_free(a);
	}
	if (!g_spawn_async(NULL, argv + i, env,
	    G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_CHILD_INHERITS_STDIN |
	    G_SPAWN_CHILD_INHERITS_STDOUT | G_SPAWN_CHILD_INHERITS_STDERR,
	    NULL, NULL, &pid, &err)) {
		fprintf(stderr, "usb-fakedev: %s: %s\n", argv[i], err->message);
		return 127;
	}
	g_strfreev(env);
	/* The channel is the child's alone. */
	close(STDIN_FILENO);
	close(STDOUT_FILENO);
	loop = g_main_loop_new(NULL, FALSE);
	g_unix_signal_add(SIGUSR1, on_unplug, NULL);
	g_child_watch_add(pid, on_child, loop);
	g_main_loop_run(loop);
	umockdev_testbed_detach_ioctl(fd_state.tb, DEVNODE, NULL);
	g_object_unref(handler);
	g_object_unref(fd_state.tb);
	return child_status;
}
