#include "xen_disks.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <linux/loop.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "disk_image.h"
#include "loopdev.h"
#include "store.h"

/* Room for a template's own updates on top of the tree it was made from
 * (sparse: only what is written takes space). */
#define ROOT_SLACK_MIB 512L

static uint64_t tree_bytes;

static int
add_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	tree_bytes += ((uint64_t)st->st_size + 4095) / 4096 * 4096 + 4096;
	return 0;
}

/* Several AppVMs may start at once from a template that has no image yet:
 * one makes it (disk_image_once). */
static int
make_root(void *arg, char *err, size_t errlen)
{
	const struct xen_disks *d = arg;
	char init[4200];
	long mib;

	snprintf(init, sizeof(init), "%s/sbin/init", d->root_tree);
	if (access(init, X_OK) < 0) {
		snprintf(err, errlen, "no root image %s, and its tree %s has no executable "
		    "sbin/init to make one from", d->root_img, d->root_tree);
		return -1;
	}
	tree_bytes = 0;
	if (nftw(d->root_tree, add_entry, 32, FTW_PHYS) < 0) {
		snprintf(err, errlen, "cannot read %s: %s", d->root_tree, strerror(errno));
		return -1;
	}
	mib = (long)(tree_bytes * 5 / 4 >> 20) + ROOT_SLACK_MIB;
	fprintf(stderr, "bulkhead-monitor: making the root image %s (%ld MiB) from %s\n",
	    d->root_img, mib, d->root_tree);
	return disk_image_make(d->root_img, d->root_tree, mib, true, err, errlen);
}

int
xen_disks_check_tools(char *err, size_t errlen)
{
	return disk_image_check_tools(false, err, errlen);
}

int
xen_disks_prepare(const struct xen_disks *d, char *err, size_t errlen)
{
	if (disk_image_once(d->root_img, make_root, (void *)d, err, errlen) < 0)
		return -1;
	/* A DispVM's base that never ran gets its image now, as at its own
	 * first start (the base is halted: dispvm_private_free). */
	if (disk_image_private(d->private_img, d->private_tree, d->private_mib, err, errlen) < 0)
		return -1;
	/* No journal: nothing on it outlives a crash. */
	unlink(d->volatile_img);
	return disk_image_make(d->volatile_img, NULL, XEN_VOLATILE_MIB, false, err, errlen);
}

void
xen_disks_clean(const char *qube_dir)
{
	char priv[4200], vol[4200], dev[512];
	struct dirent *e;
	DIR *dir;
	int fd;

	snprintf(priv, sizeof(priv), "%s/" PRIVATE_IMAGE, qube_dir);
	snprintf(vol, sizeof(vol), "%s/" VOLATILE_IMAGE, qube_dir);
	if ((dir = opendir("/sys/block")) != NULL) {
		while ((e = readdir(dir)) != NULL) {
			if (strncmp(e->d_name, "loop", 4) != 0 || (!loopdev_backs(e->d_name, priv) &&
			    !loopdev_backs(e->d_name, vol)))
				continue;
			snprintf(dev, sizeof(dev), "/dev/%s", e->d_name);
			if ((fd = open(dev, O_RDONLY | O_CLOEXEC)) >= 0) {
				if (ioctl(fd, LOOP_CLR_FD, 0) < 0)
					fprintf(stderr, "bulkhead: cannot detach %s from %s: %s\n", dev,
					    qube_dir, strerror(errno));
				close(fd);
			}
		}
		closedir(dir);
	}
	unlink(vol);
}
