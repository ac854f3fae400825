/* bulkhead-xen-block add|remove: libxl's hotplug script for a qube's disk
 * images (its "script" for a phy disk), run in dom0 with XENBUS_PATH set
 * to the disk's backend folder in xenstore. add puts the image named by
 * "params" on a free loop device, read-only unless "mode" is "w" (so that
 * neither blkback nor the guest can write a template's image), and tells
 * blkback which device to serve ("physical-device"); remove frees it.
 * Both read only dom0's own backend folder, which no guest can write. */
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <xenstore.h>

static struct xs_handle *xs;
static const char *base;

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bulkhead-xen-block: %s: ", base != NULL ? base : "?");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* The value of base/key, or NULL when it is not there. */
static char *
get(const char *key)
{
	char path[512];
	unsigned int len;

	snprintf(path, sizeof(path), "%s/%s", base, key);
	return xs_read(xs, XBT_NULL, path, &len);
}

static void
put(const char *key, const char *value)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", base, key);
	if (!xs_write(xs, XBT_NULL, path, value, strlen(value)))
		die("cannot write %s: %s", path, strerror(errno));
}

/* A free loop device holding file; its path in dev. Retried when another
 * attach takes the same device first. */
static void
attach(const char *file, bool writable, char *dev, size_t devlen)
{
	struct loop_info64 info;
	int ctl, fd, lfd, n, tries = 0;

	if ((fd = open(file, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC)) < 0)
		die("cannot open %s: %s", file, strerror(errno));
	if ((ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC)) < 0)
		die("cannot open /dev/loop-control (is the loop module loaded?): %s",
		    strerror(errno));
	for (;;) {
		if ((n = ioctl(ctl, LOOP_CTL_GET_FREE)) < 0)
			die("no free loop device: %s", strerror(errno));
		snprintf(dev, devlen, "/dev/loop%d", n);
		if ((lfd = open(dev, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC)) < 0)
			die("cannot open %s: %s", dev, strerror(errno));
		if (ioctl(lfd, LOOP_SET_FD, fd) == 0)
			break;
		if (errno != EBUSY || ++tries > 20)
			die("cannot attach %s to %s: %s", file, dev, strerror(errno));
		close(lfd);
	}
	memset(&info, 0, sizeof(info));
	snprintf((char *)info.lo_file_name, sizeof(info.lo_file_name), "%s", file);
	if (!writable)
		info.lo_flags = LO_FLAGS_READ_ONLY;
	ioctl(lfd, LOOP_SET_STATUS64, &info);
	close(lfd);
	close(ctl);
	close(fd);
}

static void
add(void)
{
	char *file = get("params"), *mode = get("mode"), dev[64], mm[32];
	struct stat st;

	if (file == NULL || file[0] != '/')
		die("no absolute image path in params");
	attach(file, mode != NULL && strchr(mode, 'w') != NULL, dev, sizeof(dev));
	if (stat(dev, &st) < 0 || !S_ISBLK(st.st_mode))
		die("%s is not a block device", dev);
	snprintf(mm, sizeof(mm), "%x:%x", major(st.st_rdev), minor(st.st_rdev));
	put("node", dev);
	put("physical-device-path", dev);
	put("physical-device", mm);
	free(file);
	free(mode);
}

static void
del(void)
{
	char *dev = get("node");
	int fd;

	/* Nothing attached (add failed early): nothing to free. */
	if (dev == NULL)
		return;
	if (strncmp(dev, "/dev/loop", 9) != 0)
		die("node '%s' is not a loop device", dev);
	/* ENXIO: detached already (the qube's monitor cleans up after it). */
	if ((fd = open(dev, O_RDONLY | O_CLOEXEC)) < 0 ||
	    (ioctl(fd, LOOP_CLR_FD, 0) < 0 && errno != ENXIO))
		die("cannot detach %s: %s", dev, strerror(errno));
	close(fd);
	free(dev);
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: bulkhead-xen-block add|remove   (XENBUS_PATH set)\n"
	    "       bulkhead-xen-block --help | --version\n"
	    "\n"
	    "libxl's hotplug script for the disk images of Bulkhead's qubes (Xen\n"
	    "backend), run by libxl in dom0. add puts the image named by the disk's\n"
	    "\"params\" in xenstore (XENBUS_PATH: its backend folder) on a free loop\n"
	    "device, read-only unless \"mode\" is \"w\", and writes \"physical-device\";\n"
	    "remove frees the loop device.\n");
}

int
main(int argc, char **argv)
{
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	if (argc == 2 && (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version"))) {
		printf("bulkhead-xen-block %s\n", BULKHEAD_VERSION);
		return 0;
	}
	if (argc != 2 || (strcmp(argv[1], "add") && strcmp(argv[1], "remove"))) {
		usage(stderr);
		return 2;
	}
	/* Relative (backend/vbd/DOMID/DEVID): under dom0's own folder. */
	if ((base = getenv("XENBUS_PATH")) == NULL || base[0] == '\0')
		die("XENBUS_PATH is not set");
	if ((xs = xs_open(0)) == NULL)
		die("cannot open xenstore: %s", strerror(errno));
	if (!strcmp(argv[1], "add"))
		add();
	else
		del();
	xs_close(xs);
	return 0;
}
